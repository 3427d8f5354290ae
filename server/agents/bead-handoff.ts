/**
 * How a bead reaches an external agent: as data only. The whole task is in a prompt file
 * (GT_PROMPT_FILE) and in environment variables; templates may also pass the prompt as
 * one argument. Nothing here is ever parsed by a shell, so a title full of `$(...)`,
 * quotes or newlines arrives exactly as the operator typed it.
 */
import type { AgentSession } from '../engine/ports';
import { USAGE_MARKER } from './usage-protocol';

/** The task as the agent reads it: the bead, how to finish, how to report usage. */
export function renderPrompt(session: AgentSession): string {
  const { bead, rig, polecat, mode, attempt } = session;
  const lines = [
    `# ${bead.id}: ${bead.title}`,
    '',
    bead.description || '(no description)',
    '',
    '## Where',
    `You are polecat ${polecat.name} of rig ${rig.name}, working in a git worktree on branch ${polecat.branch}.`,
    bead.paths.length > 0 ? `The change is expected to touch: ${bead.paths.join(', ')}.` : 'The bead names no paths.',
    mode === 'rework'
      ? `This is attempt ${attempt}: your earlier change did not merge cleanly (a conflict or a failing check) and the branch was reset to the current ${rig.targetBranch}. Make the change again on top of it.`
      : `This is attempt ${attempt}.`,
    '',
    '## Done means',
    `Commit your change on ${polecat.branch} (git add, git commit) and exit with status 0. Exiting without a new commit, or with a non-zero status, counts as a failed attempt.`,
    '',
    '## Usage (optional)',
    `Print one line per model request: ${USAGE_MARKER}{"input_tokens": N, "output_tokens": N, "model": "<model>"}`,
    '',
  ];
  return lines.join('\n');
}

/** Environment variables naming the bead and the polecat (docs/agents.md lists them). */
export function agentEnvironment(session: AgentSession, promptFile: string, model: string | null): Record<string, string> {
  const { bead, rig, polecat } = session;
  return {
    GT_BEAD_ID: bead.id,
    GT_BEAD_TITLE: bead.title,
    GT_BEAD_DESCRIPTION: bead.description,
    GT_BEAD_PRIORITY: String(bead.priority),
    GT_BEAD_PATHS: bead.paths.join('\n'),
    GT_BEAD_LABELS: bead.labels.join('\n'),
    GT_RIG: rig.name,
    GT_POLECAT: polecat.name,
    GT_POLECAT_ID: polecat.id,
    GT_BRANCH: polecat.branch,
    GT_TARGET_BRANCH: rig.targetBranch,
    GT_WORKTREE: polecat.worktreePath,
    GT_PROMPT_FILE: promptFile,
    GT_MODE: session.mode,
    GT_ATTEMPT: String(session.attempt),
    ...(model ? { GT_MODEL: model } : {}),
  };
}
