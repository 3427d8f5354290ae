/**
 * Writes commits in-process for ever, one per second of a made-up clock, and prints each
 * id once it is written: the victim of the SIGKILL test in
 * tests/integration/loose-object.test.ts.
 *
 * Usage: node --import tsx tests/support/commit-writer-loop.ts <git dir> <tree> <parent> <first second>
 */
import { writeCommitObject } from '../../server/git/loose-object';

const [gitDir, tree, parent, first] = process.argv.slice(2);
const identity = { name: 'Gas Town', email: 'gastown@localhost' };

for (let seconds = Number(first); ; seconds++) {
  const id = await writeCommitObject(gitDir, {
    tree,
    parents: [parent],
    message: `commit at ${seconds}\n\n${'x'.repeat(seconds % 4096)}`,
    author: identity,
    committer: identity,
    date: { seconds, offsetMinutes: 0 },
  });
  process.stdout.write(`${id}\n`);
}
