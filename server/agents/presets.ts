/**
 * Agent commands as argument templates. A preset names a common coding-agent CLI and
 * how to run it headless on one bead; a custom command is the operator's own argv. Either
 * way the result is an argument array: `{placeholder}`s are replaced by whole data values
 * in one pass (a bead title that contains `{promptFile}` stays that text), and the
 * program is started without a shell, so bead text can never become shell syntax.
 */
import path from 'node:path';
import type { AgentPresetName, AgentSpec } from '../../contracts/records';

export interface AgentPreset {
  label: string;
  /** The program and its arguments for one headless run on a bead. */
  argv: string[];
  /** Added after `argv` when the rig names a model. */
  modelArgs: string[];
}

/*
 * Each preset runs its CLI non-interactively with edits allowed (the polecat's worktree
 * is a throwaway branch, reviewed by the Refinery's checks before anything lands). The
 * prompt tells the agent to commit; Aider commits by itself.
 */
export const PRESETS: Record<AgentPresetName, AgentPreset> = {
  claude: {
    label: 'Claude Code',
    argv: ['claude', '-p', '{prompt}', '--dangerously-skip-permissions'],
    modelArgs: ['--model', '{model}'],
  },
  codex: {
    label: 'Codex CLI',
    argv: ['codex', 'exec', '--full-auto', '{prompt}'],
    modelArgs: ['--model', '{model}'],
  },
  gemini: {
    label: 'Gemini CLI',
    argv: ['gemini', '--yolo', '--prompt', '{prompt}'],
    modelArgs: ['--model', '{model}'],
  },
  aider: {
    label: 'Aider',
    argv: ['aider', '--yes-always', '--auto-commits', '--message-file', '{promptFile}'],
    modelArgs: ['--model', '{model}'],
  },
  opencode: {
    label: 'OpenCode',
    argv: ['opencode', 'run', '{prompt}'],
    modelArgs: ['--model', '{model}'],
  },
};

/** The values a template may use. */
export const PLACEHOLDERS = [
  'prompt',
  'promptFile',
  'beadId',
  'beadTitle',
  'rig',
  'polecat',
  'worktree',
  'branch',
  'model',
  'mode',
  'attempt',
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type TemplateValues = Record<Placeholder, string>;

const PLACEHOLDER = /\{([A-Za-z]+)\}/g;

/** Placeholders a template uses that we do not know (a typo the operator should hear about). */
export function unknownPlaceholders(args: string[]): string[] {
  const known = new Set<string>(PLACEHOLDERS);
  return [...new Set(args.flatMap((a) => [...a.matchAll(PLACEHOLDER)].map((m) => m[1])))].filter((n) => !known.has(n));
}

/** One pass over each argument: substituted values are never scanned again. */
export function fillTemplate(args: string[], values: TemplateValues): string[] {
  return args.map((arg) =>
    arg.replace(PLACEHOLDER, (whole, name: string) => (name in values ? values[name as Placeholder] : whole)),
  );
}

/** The argv template of a preset or command spec (the scripted agent has none). */
export function templateOf(spec: Exclude<AgentSpec, { kind: 'scripted' }>): string[] {
  if (spec.kind === 'command') return spec.command;
  const preset = PRESETS[spec.preset];
  return [...preset.argv, ...(spec.model ? preset.modelArgs : []), ...(spec.args ?? [])];
}

/**
 * The program to start: a relative path is a file of the polecat's worktree (its own
 * checkout of the rig), anything else as given.
 */
export function resolveProgram(program: string, worktree: string): string {
  return !path.isAbsolute(program) && program.includes('/') ? path.join(worktree, program) : program;
}

/** One line for the page: what this rig runs. */
export function describeAgent(spec: AgentSpec): string {
  if (spec.kind === 'scripted') return 'scripted (built-in)';
  if (spec.kind === 'preset') return `${PRESETS[spec.preset].label}${spec.model ? ` · ${spec.model}` : ''}`;
  return spec.command.join(' ');
}
