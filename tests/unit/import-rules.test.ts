/**
 * The tree's import boundaries (eslint.config.mjs) fail on a violation: the browser and
 * the CLI reach the server only through contracts/, the engine reaches no adapter or
 * framework, and contracts/ imports only zod. Each case lints a line of code as if it
 * were in the named file, with the repository's own ESLint config.
 */
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: path.resolve(import.meta.dirname, '../..') });

/** The no-restricted-imports messages ESLint reports for `code` placed at `filePath`. */
async function importErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${code}\nexport {};\n`, { filePath });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('import rules', () => {
  it('refuses a component importing a server type, naming contracts/', async () => {
    const errors = await importErrors('components/X.tsx', "import type { Bead } from '@/server/engine/town';");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/contracts\//);
  });

  it('refuses the CLI importing the server by a relative path', async () => {
    expect(await importErrors('cli/x.ts', "import { townOverview } from '../server/queries/town-view';")).toHaveLength(1);
  });

  it('refuses a browser lib file importing the server', async () => {
    expect(await importErrors('lib/stream-client.ts', "import type { StreamHub } from '@/server/realtime/hub';")).toHaveLength(1);
  });

  it('lets components and the CLI import contracts/', async () => {
    expect(await importErrors('components/X.tsx', "import type { TownOverview } from '@/contracts/town';")).toEqual([]);
    expect(await importErrors('cli/x.ts', "import type { Bead } from '../contracts/records';")).toEqual([]);
  });

  it('lets the server-side route helpers in lib/ reach the server', async () => {
    expect(await importErrors('lib/runtime.ts', "import type { Runtime } from '@/server/runtime';")).toEqual([]);
  });

  it('refuses the engine importing an adapter, a process or a framework', async () => {
    for (const spec of [
      '../store/prisma-store',
      '../git/cli-git',
      '../commands/command',
      '../queries/town-view',
      'node:child_process',
      '@prisma/client',
      'next/server',
      'react',
    ]) {
      expect(await importErrors('server/engine/x.ts', `import * as m from '${spec}';\nvoid m;`), spec).toHaveLength(1);
    }
  });

  it('lets the engine import its own modules and contracts/', async () => {
    const code = "import type { Clock } from './clock';\nimport type { Rig } from '../../contracts/records';";
    expect(await importErrors('server/engine/x.ts', code)).toEqual([]);
  });

  it('refuses contracts/ importing anything but zod and its own files', async () => {
    expect(await importErrors('contracts/x.ts', "import type { Town } from '../server/engine/town';")).toHaveLength(1);
    expect(
      await importErrors('contracts/x.ts', "import { z } from 'zod';\nimport type { Rig } from './records';\nvoid z;"),
    ).toEqual([]);
  });
});
