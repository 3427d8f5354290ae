/**
 * App-side access to the running engine (see server/runtime.ts for why it is a handle).
 * Only types are imported from server/, so nothing of the engine is bundled by Next.
 */
import type { Runtime } from '@/server/runtime';

const KEY = Symbol.for('gastown.runtime');

export function runtime(): Runtime {
  const rt = (globalThis as { [KEY]?: Runtime })[KEY];
  if (!rt) throw new Error('The Gas Town engine is not running in this process (start the app with `npm start`).');
  return rt;
}
