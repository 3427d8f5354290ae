/**
 * The merge request page shows each step of the validation that decided the request: its
 * name, whether it passed, its exit status, its duration and the end of its output.
 */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { MergeRequest } from '@/contracts/records';
import { MergeRequestPage } from '@/components/MergeRequestPage';

const mr: MergeRequest = {
  id: 'mr-k3x9',
  rig: 'shop',
  polecatId: 'shop/furiosa',
  beadId: 'bd-a1',
  branch: 'polecat/furiosa',
  headSha: 'c0ffee'.padEnd(40, '0'),
  status: 'rejected',
  priority: 2,
  attempts: 2,
  mergeCommit: null,
  conflictFiles: [],
  failedCheck: 'test',
  checkOutput: "1 failed\ncheck 'test' exited with code 3\n",
  checkRuns: [
    {
      name: 'setup',
      kind: 'setup',
      command: ['npm', 'ci'],
      exitCode: 0,
      ok: true,
      durationMs: 41_250,
      failure: null,
      output: 'added 312 packages\n',
    },
    {
      name: 'lint',
      kind: 'check',
      command: ['npm', 'run', 'lint'],
      exitCode: 0,
      ok: true,
      durationMs: 3_400,
      failure: null,
      output: '',
    },
    {
      name: 'test',
      kind: 'check',
      command: ['npm', 'test'],
      exitCode: 3,
      ok: false,
      durationMs: 95_000,
      failure: "check 'test' exited with code 3",
      output: "FAIL totals <row>\ncheck 'test' exited with code 3\n",
    },
  ],
  enqueuedAt: 0,
  updatedAt: 0,
  landedAt: null,
};

const render = (over: Partial<MergeRequest> = {}, inQueue = false) =>
  renderToStaticMarkup(
    createElement(MergeRequestPage, { detail: { mergeRequest: { ...mr, ...over }, beadTitle: 'Fix the totals row', inQueue } }),
  );

/** The text of each `data-testid=check-run` item, tags stripped. */
function runs(html: string): string[] {
  return [...html.matchAll(/<li[^>]*data-testid="check-run"[^>]*>([\s\S]*?)<\/li>/g)].map((m) =>
    m[1]
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
  );
}

describe('the merge request page', () => {
  it("shows each check's name, outcome, exit status and duration, passing ones too", () => {
    const html = render();
    const [setup, lint, test] = runs(html);
    expect(setup).toMatch(/^passed setup npm ci exit 0 41\.3 s/);
    expect(setup).toContain('added 312 packages');
    expect(lint).toMatch(/^passed lint npm run lint exit 0 3\.4 s$/);
    expect(test).toMatch(/^failed test npm test exit 3 1 min 35 s/);
    expect(test).toContain('FAIL totals &lt;row&gt;');
    expect(html).toContain('data-testid="mr-status">rejected<');
    expect(html).toContain('Fix the totals row');
  });

  it('says why a step has no exit code', () => {
    const html = render({
      checkRuns: [
        { ...mr.checkRuns[2], exitCode: null, failure: "check 'test' timed out after 60000 ms", output: '' },
        {
          ...mr.checkRuns[0],
          exitCode: null,
          ok: false,
          failure: "setup 'npm ci' failed: could not start: program not found: npm",
        },
      ],
    });
    const [timedOut, missing] = runs(html);
    expect(timedOut).toContain('timed out');
    expect(missing).toContain('did not start');
    expect(missing).toContain('setup &#x27;npm ci&#x27; failed: could not start: program not found: npm');
  });

  it('says so when nothing has decided the request yet', () => {
    expect(render({ checkRuns: [], status: 'queued' }, true)).toContain('No validation has decided this request yet');
  });
});
