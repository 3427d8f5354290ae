/**
 * The polecat lifecycle as data plus one pure function.
 *
 *   state      | assign   | submit    | land | conflict, reject | fail | release
 *   -----------+----------+-----------+------+------------------+------+--------
 *   idle       | working  |           |      |                  |      |
 *   working    |          | submitted |      |                  | idle | idle
 *   submitted  |          |           | idle | reworking        |      | idle
 *   reworking  |          | submitted |      |                  | idle | idle
 *   throttled  |          |           |      |                  | idle | idle
 *   stalled    |          |           |      |                  | idle | idle
 *
 *   stall:             working | reworking -> stalled    (the Witness escalated it; the worktree is kept)
 *   resume:            stalled -> working                (an operator restarts it on the same bead)
 *   throttle:          working | reworking -> throttled  (waiting on an API provider limit)
 *   unthrottle:        throttled -> working
 *   unthrottle-rework: throttled -> reworking
 *
 * Every other (state, event) pair is refused with IllegalTransition (the table is checked
 * pair by pair by tests/unit/state-machines.test.ts). `conflict` and `reject` (a
 * check failed) both send the merge request back for rework. `fail` is an agent
 * session that ended in failure, so it comes only while a session runs: a submitted
 * polecat has none (its session ended by submitting), and a failure reported for it would
 * be a bug, not a state change. `release` returns the bead to the pool from any busy state
 * (operator restart, escalation, a rig split). Throttled is entered while a polecat waits
 * for an agent slot (its rig's or its API provider's, agent-sessions.ts); stalled when the
 * Witness escalates it (supervision.ts).
 */
import { IllegalTransition } from './errors';
import type { PolecatState } from '../../contracts/records';

export type PolecatEvent =
  | 'assign'
  | 'submit'
  | 'land'
  | 'conflict'
  | 'reject'
  | 'fail'
  | 'release'
  | 'stall'
  | 'resume'
  | 'throttle'
  | 'unthrottle'
  | 'unthrottle-rework';

export function nextPolecatState(state: PolecatState, event: PolecatEvent): PolecatState {
  switch (event) {
    case 'assign':
      if (state === 'idle') return 'working';
      break;
    case 'submit':
      if (state === 'working' || state === 'reworking') return 'submitted';
      break;
    case 'land':
      if (state === 'submitted') return 'idle';
      break;
    case 'conflict':
    case 'reject':
      if (state === 'submitted') return 'reworking';
      break;
    case 'stall':
      if (state === 'working' || state === 'reworking') return 'stalled';
      break;
    case 'resume':
      if (state === 'stalled') return 'working';
      break;
    case 'throttle':
      if (state === 'working' || state === 'reworking') return 'throttled';
      break;
    case 'unthrottle':
      if (state === 'throttled') return 'working';
      break;
    case 'unthrottle-rework':
      if (state === 'throttled') return 'reworking';
      break;
    case 'fail':
      if (state !== 'idle' && state !== 'submitted') return 'idle';
      break;
    case 'release':
      if (state !== 'idle') return 'idle';
      break;
    default: {
      const never: never = event;
      throw new Error(`unknown polecat event ${String(never)}`);
    }
  }
  throw new IllegalTransition('polecat', state, event);
}

/** True when the polecat holds a bead that some part of the engine is acting on. */
export function isBusy(state: PolecatState): boolean {
  return state !== 'idle';
}
