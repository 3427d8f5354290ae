/**
 * The one rule for a program the town will start for an operator: an agent command
 * (`agent.configure`) and a Refinery check (`refinery.configure`) are validated alike, so
 * a setting that can only fail every later bead or merge is refused when it is made.
 *
 *   - the argv has a program and at most 64 arguments, each without NUL bytes;
 *   - a bare name (`npm`) is looked up on PATH when it runs;
 *   - a relative path with a slash (`scripts/check.sh`) is a file of the rig's repository
 *     and may not climb out of it (`../x`, `a/../../x`);
 *   - an absolute path must be an executable regular file now (`/tmp` is refused).
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { invalid } from '../engine/errors';
import { text, TEXT_LIMITS } from '../../contracts/text';

/** Most arguments a command may have. */
export const MAX_ARGS = 64;

/** One argument of a command line. */
export const ProgramArg = text({ max: TEXT_LIMITS.arg });

/** Why a program is refused without looking at the disk, or null. */
export function programProblem(program: string): string | null {
  if (program.trim() === '') return 'the command needs a program';
  if (program.includes('\0')) return 'the program contains a NUL byte';
  if (path.isAbsolute(program) || !program.includes('/')) return null; // absolute, or found on PATH
  const inside = path.posix.normalize(program);
  if (inside === '..' || inside.startsWith('../')) return `'${program}' is outside the rig's repository`;
  return null;
}

/**
 * A command line as the API takes it: `[program, ...args]`. `empty` is the message for
 * `[]` (the two commands word it for their own field).
 */
export function commandLine(empty: string) {
  return z
    .array(ProgramArg)
    .min(1, empty)
    .max(MAX_ARGS, `at most ${MAX_ARGS} arguments`)
    .superRefine((argv, ctx) => {
      const problem = argv.length > 0 ? programProblem(argv[0]) : null;
      if (problem) ctx.addIssue({ code: 'custom', path: [0], message: problem });
    });
}

/** Why an absolute program cannot be started as it is now, or null (relative ones are looked up later). */
export async function executableProblem(program: string): Promise<string | null> {
  if (!path.isAbsolute(program)) return null;
  const info = await stat(program).catch(() => null);
  const executable = info?.isFile()
    ? await access(program, constants.X_OK).then(
        () => true,
        () => false,
      )
    : false;
  return executable ? null : `'${program}' is not an executable file`;
}

/** Refuses (a 400 naming `field`) an absolute program that is not an executable regular file. */
export async function requireExecutable(field: string, program: string): Promise<void> {
  const problem = await executableProblem(program);
  if (problem) throw invalid(`${field}: ${problem}`);
}
