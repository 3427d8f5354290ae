/**
 * Runs a history replay in a worker thread (./worker.ts) and resolves with its report;
 * progress arrives as the thread posts it. A replay that fails rejects with git's message.
 */
import { Worker } from 'node:worker_threads';
import type { HistoryReport } from '../../../contracts/lab-history';
import type { HistoryJob, HistoryProgressListener } from './history';
import type { WorkerMessage } from './worker';

const ENTRY = new URL('./worker-entry.mjs', import.meta.url);

export function replayOffLoop(job: HistoryJob, onProgress: HistoryProgressListener = () => {}): Promise<HistoryReport> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(ENTRY, { workerData: job });
    let settled = false;
    worker.on('message', (message: WorkerMessage) => {
      if (message.kind === 'progress') onProgress(message.windowsDone, message.windows);
      else {
        settled = true;
        if (message.kind === 'done') resolve(message.report);
        else reject(new Error(message.message));
        void worker.terminate();
      }
    });
    worker.on('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`history replay worker exited with code ${code}`));
    });
  });
}
