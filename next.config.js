const distDir = globalThis.process.env.GT_NEXT_DIST_DIR;

/** @type {import('next').NextConfig} */
const nextConfig = {
  // The engine runs in the custom server (server/main.ts); pages reach it through the
  // runtime handle. Native and engine-side packages must never be bundled by Next.
  serverExternalPackages: ['better-sqlite3', '@prisma/client', '@prisma/adapter-better-sqlite3', 'socket.io'],
  poweredByHeader: false,
  typescript: { tsconfigPath: 'tsconfig.next.json' },
  reactStrictMode: true,
  // A second server in the same checkout (two cluster nodes, tests/integration/cluster.test.ts)
  // needs its own build directory: `next dev` locks its directory, one server per directory.
  ...(distDir ? { distDir } : {}),
};

export default nextConfig;
