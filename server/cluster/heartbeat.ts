/**
 * The driver of a node's Ownership (engine/ownership.ts) and leader lease (engine/leadership.ts): a real-time timer, apart from the
 * step it calls, so the engine reads no clock. Passes never overlap: a slow one (a busy
 * database, a long attach) delays the next instead of racing it. Lease times are real
 * milliseconds on the database's clock, whatever GT_TIME_SCALE does to engine time.
 */
/** What one heartbeat does (Ownership's pass, then the leader's: server/main.ts). */
export interface HeartbeatPass {
  pass(): Promise<void>;
}

export interface Heartbeat {
  /** Resolves once the first pass is done (the node has claimed what it can). */
  readonly first: Promise<void>;
  /** Stops the timer and waits for a pass in progress. */
  stop(): Promise<void>;
}

export function startHeartbeat(ownership: HeartbeatPass, everyMs: number): Heartbeat {
  let stopped = false;
  let running = true;
  const done = () => {
    running = false;
  };
  let current: Promise<void> = ownership.pass().finally(done);
  const first = current;
  const timer = setInterval(() => {
    if (stopped || running) return; // a pass still running: this tick is skipped, not queued
    running = true;
    current = ownership.pass().finally(done);
  }, everyMs);
  timer.unref();
  return {
    first,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await current;
    },
  };
}
