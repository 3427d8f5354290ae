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
