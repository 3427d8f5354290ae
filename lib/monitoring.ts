/**
 * App-side access to authentication, alerts and metrics in the running server (see
 * server/metrics/handle.ts for why it is a handle). Only types come from server/.
 */
import type { MonitoringHandle } from '@/server/metrics/handle';

const KEY = Symbol.for('gastown.monitoring');

export function monitoring(): MonitoringHandle {
  const handle = (globalThis as { [KEY]?: MonitoringHandle })[KEY];
  if (!handle) throw Object.assign(new Error('monitoring is not running in this process'), { code: 'unavailable' });
  return handle;
}
