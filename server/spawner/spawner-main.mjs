/**
 * The spawner process: a small, long-lived `node` that starts git and check processes on
 * the server's behalf (see spawner.ts for why). It talks to the server over the IPC
 * channel only:
 *
 *   server -> spawner  { type: 'run', id, request }   start request.argv (run-process.mjs)
 *                      { type: 'abort', id }           kill it (its group with killGroup)
 *   spawner -> server  { type: 'ready' }               once, at start
 *                      { type: 'started', id, pid }    the process exists
 *                      { type: 'done', id, result }    it ended; output already bounded
 *
 * When the server goes away (the channel disconnects, even after a SIGKILL), it kills the
 * process groups it runs (checks: nobody would enforce their timeouts any more) and exits.
 * Plain git commands are left to finish: killing one mid-write would leave a lock behind.
 */
import os from 'node:os';
import { killProcessGroup, runProcess } from './run-process.mjs';

/**
 * The fleet's git and checks run one step below the server and the operators' browsers
 * (nice 10; every process started here inherits it): when a big town's checks fill the CPU,
 * the control room still answers at once and the work takes what is left. On an idle
 * machine it changes nothing. Where lowering is not allowed, they run at the server's.
 */
const FLEET_NICENESS = 10;
try {
  os.setPriority(Math.max(os.getPriority(), FLEET_NICENESS));
} catch {
  // A container without the right to change priorities: same priority as the server.
}

/** Running requests by id: their abort handle and whether they own a process group. */
const running = new Map();

function send(message) {
  // The server may be gone already; its requests are then nobody's business.
  if (process.connected) process.send(message);
}

process.on('message', (message) => {
  if (message.type === 'run') {
    const { id, request } = message;
    let pid;
    const handle = runProcess(request, (started) => {
      pid = started;
      send({ type: 'started', id, pid });
    });
    running.set(id, { abort: handle.abort, killGroup: Boolean(request.killGroup), pid: () => pid });
    handle.result.then((result) => {
      running.delete(id);
      send({ type: 'done', id, result });
    });
  } else if (message.type === 'abort') {
    running.get(message.id)?.abort();
  }
});

process.on('disconnect', () => {
  for (const entry of running.values()) if (entry.killGroup) killProcessGroup(entry.pid());
  process.exit(0);
});

send({ type: 'ready' });
