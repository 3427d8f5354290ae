/**
 * How commands reach the alert manager of the town they run against. The CommandBus hands
 * a command the Town; alerting lives beside the engine, not in it, so the composition root
 * attaches the town's manager here and the alert commands look it up.
 */
import { EngineError } from '../engine/errors';
import type { Town } from '../engine/town';
import type { AlertManager } from './manager';

const managers = new WeakMap<Town, AlertManager>();

/** Attaches `manager` to `town`; returns a detach function. */
export function attachAlertManager(town: Town, manager: AlertManager): () => void {
  managers.set(town, manager);
  return () => {
    if (managers.get(town) === manager) managers.delete(town);
  };
}

export function alertManagerOf(town: Town): AlertManager {
  const manager = managers.get(town);
  if (!manager) throw new EngineError('unavailable', 'alerting is not running in this process');
  return manager;
}
