// ESLint flat config: typescript-eslint's recommended rules, React hooks rules for the
// pages, and the boundaries of the tree: the engine never reads the wall clock nor sets
// real timers (time is the Clock port's job, so tests and simulations run on virtual
// time); the browser and the CLI see the server only through contracts/; the engine
// reaches adapters only through its ports; contracts/ depends on nothing but zod.
// tests/unit/import-rules.test.ts proves each import rule fails on a violation.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

const wallClock = [
  {
    selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
    message: 'Engine code reads time from the Clock port, not Date.now().',
  },
  {
    selector: "NewExpression[callee.name='Date'][arguments.length=0]",
    message: 'Engine code reads time from the Clock port, not new Date().',
  },
  {
    selector: 'CallExpression[callee.name=/^(setTimeout|setInterval)$/]',
    message: 'Engine code schedules with clock.setTimer, not real timers.',
  },
];

/** Code that runs in the browser or the CLI: it reads the server's shapes from contracts/ only. */
const clientFiles = [
  'components/**/*.{ts,tsx}',
  'cli/**/*.ts',
  'lib/stream-client.ts',
  'lib/toast.ts',
  'lib/commands.ts',
  'lib/lab-client.ts',
  'lib/session.ts',
  'lib/format.ts',
  'lib/user-timing.ts',
];
const noServerImports = {
  regex: '^(@/|(\\.\\./)+)server(/|$)',
  message: 'The browser and the CLI import the API and socket shapes from contracts/, never from server/.',
};

/** What the engine may not reach: the adapters behind its ports, and the frameworks. */
const engineForbidden = [
  {
    regex:
      '^(\\.\\./|@/server/)(git|store|agents|gates|checks|spawner|alerts|metrics|realtime|queries|commands|lab|fleet|auth|demo)(/|$)',
    message: 'The engine reaches adapters through its ports (server/engine/ports.ts); the composition root wires them.',
  },
  { regex: '^(node:)?child_process$', message: 'The engine runs no processes; the agent and check adapters do.' },
  { regex: '^(next|react|react-dom)(/|$)', message: 'The engine is framework-free: no Next.js, no React.' },
  { regex: '^@prisma/', message: 'The engine persists through the TownStore port, not Prisma.' },
];

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      '.next/',
      'data/',
      'server/store/generated/',
      'server/store/generated-pg/',
      'test-results/',
      'playwright-report/',
      'next-env.d.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.tsx', 'components/**/*.ts'],
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'warn' },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['server/engine/**/*.ts'],
    ignores: ['server/engine/clock.ts'],
    rules: { 'no-restricted-syntax': ['error', ...wallClock] },
  },
  {
    files: ['server/engine/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: engineForbidden }] },
  },
  {
    files: clientFiles,
    rules: { 'no-restricted-imports': ['error', { patterns: [noServerImports] }] },
  },
  {
    files: ['contracts/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!zod$|\\./)',
              message: 'contracts/ is shared by server, browser and CLI: it imports only zod and its own files.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.mjs', 'scripts/**/*.js', 'next.config.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
