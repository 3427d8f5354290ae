// The worker thread's entry: Node 20 does not apply the parent's `--import tsx` hooks to a
// worker's own entry module, so the thread registers tsx itself, then loads the replay.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
