/**
 * Typed refusals. Commands map them to HTTP statuses (see server/commands), the CLI to
 * exit codes; nothing else should need to parse an error message.
 */
export type EngineErrorCode = 'invalid' | 'not_found' | 'conflict' | 'forbidden' | 'unavailable';

export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

export const notFound = (what: string, id: string) => new EngineError('not_found', `${what} '${id}' does not exist`);
export const invalid = (message: string, details?: unknown) => new EngineError('invalid', message, details);
export const conflict = (message: string) => new EngineError('conflict', message);

/** An illegal move in a state machine: a bug in the caller, or a stale request. */
export class IllegalTransition extends EngineError {
  constructor(machine: string, from: string, event: string) {
    super('conflict', `${machine}: cannot '${event}' from state '${from}'`);
    this.name = 'IllegalTransition';
  }
}

/**
 * Why an operation on a rig's upstream (clone, fetch, push) failed. `refused`: the URL or
 * branch broke the rules (contracts/git-url.ts) and git never ran; `rejected`: the upstream
 * refused a push (a hook, a protected branch); the rest name git's own failures.
 */
export type UpstreamErrorKind =
  | 'refused'
  | 'exists'
  | 'unreachable'
  | 'auth'
  | 'no_such_branch'
  | 'not_a_repository'
  | 'empty'
  | 'timeout'
  | 'rejected'
  | 'failed';

/**
 * A failed upstream operation, with git's reason (first meaningful line of its stderr)
 * and every URL password in it redacted. All are the operator's to fix (a 4xx), except
 * `exists`, a name or directory already taken (a conflict).
 */
export class UpstreamError extends EngineError {
  constructor(
    readonly kind: UpstreamErrorKind,
    message: string,
  ) {
    super(kind === 'exists' ? 'conflict' : 'invalid', message, { kind });
    this.name = 'UpstreamError';
  }
}

/**
 * A rig-scoped write refused because this node no longer holds the rig's lease at the
 * epoch it wrote with (another node claimed it: docs/cluster.md, "Fencing"). Not a failing
 * store: the town keeps running, and the node detaches the rig it lost.
 */
export class FencedError extends EngineError {
  constructor(
    readonly rig: string,
    readonly epoch: number | null,
    reason: string,
  ) {
    super('conflict', `rig '${rig}': write refused, ${reason} (fenced: another node owns it now)`, { rig, epoch });
    this.name = 'FencedError';
  }
}

/** True for a FencedError, also across module copies (Next's bundles), by name. */
export function isFenced(err: unknown): err is FencedError {
  return err instanceof Error && err.name === 'FencedError' && 'rig' in err;
}
