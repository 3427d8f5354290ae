const distDir = globalThis.process.env.GT_NEXT_DIST_DIR;

/** @type {import('next').NextConfig} */
const nextConfig = {
  // The engine runs in the custom server (server/main.ts); pages reach it through the
  // runtime handle. Native and engine-side packages must never be bundled by Next.
  serverExternalPackages: ['better-sqlite3', '@prisma/client', '@prisma/adapter-better-sqlite3', 'socket.io'],
  poweredByHeader: false,
  // A second server in the same checkout (tests that run two nodes) needs its own build
  // directory: \`next dev\` locks its own. Relative to the project, under .next (ignored).
  ...(process.env.GT_NEXT_DIST_DIR ? { distDir: process.env.GT_NEXT_DIST_DIR } : {}),
  typescript: { tsconfigPath: 'tsconfig.next.json' },
  reactStrictMode: true,
  // A second server in the same checkout (two cluster nodes, tests/integration/cluster.test.ts)
  // needs its own build directory: `next dev` locks its directory, one server per directory.
  ...(distDir ? { distDir } : {}),
};

export default nextConfig;
