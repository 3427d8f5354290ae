#!/usr/bin/env node
/**
 * The demo town's validation gate. The Refinery runs it in a scratch worktree checked out
 * at a merge result:
 *
 *   node demo-check.mjs --duration-ms 3000
 *
 * It spends `--duration-ms` "running checks" (a timer, not a busy loop, so a hundred
 * gates in parallel cost no CPU), then scans every regular file under the current
 * directory (skipping `.git`) for the marker string "GT_GATE_" + "FAIL" (spelled in two
 * parts in this file so it never flags itself). The scripted agent writes that marker
 * into a file when it simulates a broken change (see the rig setting
 * `agentFailureRate`), so a broken change fails this gate the way a failing test suite
 * would, and a clean one passes. Prints the offending `file:line: text` lines and exits 1
 * if any file holds the marker; otherwise prints "checks passed (N files)" and exits 0.
 * Exit 2 means the command line was wrong.
 *
 * Plain Node ESM with no dependencies: it runs from the product's install directory
 * against any repository.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const MARKER = 'GT_GATE_' + 'FAIL';

function parseArgs(argv) {
  let durationMs = 0;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--duration-ms=') ? ['--duration-ms', arg.slice(14)] : [arg, undefined];
    if (flag !== '--duration-ms') throw new Error(`unknown argument ${JSON.stringify(arg)}`);
    const value = inline ?? argv[++i];
    durationMs = Number(value);
    if (value === undefined || value === '' || !Number.isFinite(durationMs) || durationMs < 0) {
      throw new Error(`--duration-ms needs a number of milliseconds >= 0, got ${JSON.stringify(value)}`);
    }
  }
  return { durationMs };
}

/** Regular files under `dir`, relative to `root`, in a stable order; `.git` is skipped. */
async function listFiles(root, dir = root) {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files = [];
  for (const entry of entries) {
    if (entry.name === '.git') continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(root, full)));
    else if (entry.isFile()) files.push(path.relative(root, full));
  }
  return files;
}

/** `file:line: text` for every line of `file` that holds the marker. */
async function findMarker(root, file) {
  const content = await readFile(path.join(root, file));
  if (!content.includes(MARKER)) return [];
  return content
    .toString('utf8')
    .split('\n')
    .flatMap((line, index) => (line.includes(MARKER) ? [`${file}:${index + 1}: ${line.trim()}`] : []));
}

async function main() {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`demo-check: ${error.message}`);
    console.error('usage: node demo-check.mjs [--duration-ms N]');
    return 2;
  }
  if (options.durationMs > 0) await sleep(options.durationMs);

  const root = process.cwd();
  const files = await listFiles(root);
  const offending = [];
  for (const file of files) offending.push(...(await findMarker(root, file)));

  if (offending.length > 0) {
    for (const line of offending) console.log(line);
    console.log(`checks failed: ${offending.length} line(s) marked ${MARKER} (${files.length} files)`);
    return 1;
  }
  console.log(`checks passed (${files.length} files)`);
  return 0;
}

process.exitCode = await main();
