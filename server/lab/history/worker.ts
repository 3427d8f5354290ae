/**
 * Where the server runs a history replay: a worker thread, so its parsing, hashing and
 * object writes never hold up the town's event loop (the git it runs is in child
 * processes anyway). The thread posts progress per window and the report at the end.
 * Loaded through tsx, as the server is (`node --import tsx`).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { replayHistory, type HistoryJob } from './history';

export type WorkerMessage =
  | { kind: 'progress'; windowsDone: number; windows: number }
  | { kind: 'done'; report: Awaited<ReturnType<typeof replayHistory>> }
  | { kind: 'failed'; message: string };

const port = parentPort!;
replayHistory(workerData as HistoryJob, (windowsDone, windows) =>
  port.postMessage({ kind: 'progress', windowsDone, windows } satisfies WorkerMessage),
)
  .then((report) => port.postMessage({ kind: 'done', report } satisfies WorkerMessage))
  .catch((error: unknown) =>
    port.postMessage({ kind: 'failed', message: error instanceof Error ? error.message : String(error) } satisfies WorkerMessage),
  );
