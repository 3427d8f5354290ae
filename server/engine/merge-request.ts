/**
 * The merge request lifecycle and the merge queue's order.
 *
 *   state      | claim   | land   | conflict   | requeue | resubmit | abandon
 *   -----------+---------+--------+------------+---------+----------+----------
 *   queued     | merging |        |            |         |          | abandoned
 *   merging    |         | merged | conflicted | queued  |          |
 *   conflicted |         |        |            |         | queued   | abandoned
 *   merged     |         |        |            |         |          |
 *   abandoned  |         |        |            |         |          |
 *
 * `requeue` puts a claimed request back untouched: the target moved under it, or the
 * server stopped (or crashed) before the ref update.
 */
import { IllegalTransition } from './errors';
import type { MergeRequest, MergeRequestStatus } from './model';

export type MergeRequestEvent = 'claim' | 'land' | 'conflict' | 'requeue' | 'resubmit' | 'abandon';

export function nextMergeRequestStatus(status: MergeRequestStatus, event: MergeRequestEvent): MergeRequestStatus {
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
    case 'requeue':
      if (status === 'merging') return 'queued';
      break;
    case 'resubmit':
      if (status === 'conflicted') return 'queued';
      break;
    case 'abandon':
      if (status === 'queued' || status === 'conflicted') return 'abandoned';
      break;
    default: {
      const never: never = event;
      throw new Error(`unknown merge request event ${String(never)}`);
    }
  }
  throw new IllegalTransition('merge request', status, event);
}

/** Queue order: bead priority first (0 is most urgent), then first-enqueued first. */
export function compareQueueOrder(a: MergeRequest, b: MergeRequest): number {
  return a.priority - b.priority || a.enqueuedAt - b.enqueuedAt || a.id.localeCompare(b.id);
}

/** Merge requests waiting for or being processed by the Refinery. */
export function isInQueue(mr: MergeRequest): boolean {
  return mr.status === 'queued' || mr.status === 'merging';
}
