/**
 * The merge request lifecycle and the merge queue's order.
 *
 *   state      | claim   | land   | conflict   | reject   | requeue | resubmit | escalate  | abandon
 *   -----------+---------+--------+------------+----------+---------+----------+-----------+----------
 *   queued     | merging |        |            |          |         |          |           | abandoned
 *   merging    |         | merged | conflicted | rejected | queued  |          |           |
 *   conflicted |         |        |            |          |         | queued   | escalated | abandoned
 *   rejected   |         |        |            |          |         | queued   | escalated | abandoned
 *   merged, escalated, abandoned: final
 *
 * `requeue` puts a claimed request back untouched: the worker count went down, the target
 * kept moving, or the server stopped (or crashed) before the ref update. `escalate` is
 * taken when a request has failed `maxAttempts` times: a person has to look.
 */
import { IllegalTransition } from './errors';
import type { MergeRequest, MergeRequestStatus } from '../../contracts/records';

export type MergeRequestEvent = 'claim' | 'land' | 'conflict' | 'reject' | 'requeue' | 'resubmit' | 'escalate' | 'abandon';

export function nextMergeRequestStatus(status: MergeRequestStatus, event: MergeRequestEvent): MergeRequestStatus {
  const returned = status === 'conflicted' || status === 'rejected';
  switch (event) {
    case 'claim':
      if (status === 'queued') return 'merging';
      break;
    case 'land':
      if (status === 'merging') return 'merged';
      break;
    case 'conflict':
      if (status === 'merging') return 'conflicted';
      break;
    case 'reject':
      if (status === 'merging') return 'rejected';
      break;
    case 'requeue':
      if (status === 'merging') return 'queued';
      break;
    case 'resubmit':
      if (returned) return 'queued';
      break;
    case 'escalate':
      if (returned) return 'escalated';
      break;
    case 'abandon':
      if (status === 'queued' || returned) return 'abandoned';
      break;
    default: {
      const never: never = event;
      throw new Error(`unknown merge request event ${String(never)}`);
    }
  }
  throw new IllegalTransition('merge request', status, event);
}

/** Final states: the request is history. */
export function isFinished(status: MergeRequestStatus): boolean {
  return status === 'merged' || status === 'escalated' || status === 'abandoned';
}

/** Merge requests waiting for or being processed by the Refinery. */
export function isInQueue(mr: MergeRequest): boolean {
  return mr.status === 'queued' || mr.status === 'merging';
}

/**
 * Priority with aging: every `agingStepMs` of waiting counts as one level more urgent, so
 * a priority-4 request overtakes fresh priority-0 ones after 4 steps and none starves.
 */
export function effectivePriority(mr: MergeRequest, now: number, agingStepMs: number): number {
  const steps = agingStepMs > 0 ? Math.floor(Math.max(0, now - mr.enqueuedAt) / agingStepMs) : 0;
  return mr.priority - steps;
}

/** Queue order for requests not yet taken by a worker: aged priority, then age. */
export function queueOrder(now: number, agingStepMs: number) {
  return (a: MergeRequest, b: MergeRequest): number =>
    effectivePriority(a, now, agingStepMs) - effectivePriority(b, now, agingStepMs) ||
    a.enqueuedAt - b.enqueuedAt ||
    a.id.localeCompare(b.id);
}

/** Queue order without aging (priority, then first-enqueued first). */
export function compareQueueOrder(a: MergeRequest, b: MergeRequest): number {
  return a.priority - b.priority || a.enqueuedAt - b.enqueuedAt || a.id.localeCompare(b.id);
}
