/** The command catalogue: every operator action the product offers. */
import { configureAgents } from './agents';
import { createBead, importBeads } from './beads';
import { CommandBus, type Command } from './command';
import {
  addToConvoy,
  closeBead,
  createConvoy,
  dependBead,
  dispatchConvoy,
  limitProvider,
  removeFromConvoy,
  setBudget,
  staggerConvoy,
} from './convoys';
import { addPolecats, removePolecat, slingBead } from './polecats';
import { configureRefinery, scaleRefinery } from './refinery';
import { addRig, mergeRig, removeRig, splitRig } from './rigs';
import { moveRig } from './cluster';
import type { ClusterControl } from './command';
import { configureUpstream, fetchRig } from './upstream';
import {
  acknowledgeEscalation,
  approveGate,
  configureDeacon,
  configureWitness,
  createGate,
  injectFailure,
  nudgePolecat,
  parkRig,
  resolveEscalation,
  restartPolecat,
  setTier,
  unparkRig,
} from './supervision';
import type { AlertManager } from '../alerts/manager';
import type { Town } from '../engine/town';
import type { RigCloner } from '../rigs/rig-cloner';
import { ALERT_COMMANDS } from '../alerts/commands';

export const COMMANDS: Command[] = [
  createBead,
  importBeads,
  addRig,
  removeRig,
  addPolecats,
  removePolecat,
  slingBead,
  scaleRefinery,
  configureRefinery,
  configureAgents,
  splitRig,
  mergeRig,
  moveRig,
  fetchRig,
  configureUpstream,
  parkRig,
  unparkRig,
  setTier,
  configureWitness,
  configureDeacon,
  restartPolecat,
  nudgePolecat,
  injectFailure,
  acknowledgeEscalation,
  resolveEscalation,
  createGate,
  approveGate,
  createConvoy,
  dispatchConvoy,
  staggerConvoy,
  addToConvoy,
  removeFromConvoy,
  closeBead,
  dependBead,
  setBudget,
  limitProvider,
  ...ALERT_COMMANDS,
];

/** The command bus over an engine: its audit log and clock, and the alerting beside it where it runs. */
export function createCommandBus(options: {
  engine: Town;
  alerts?: AlertManager;
  rigCloner?: RigCloner;
  cluster?: ClusterControl;
}): CommandBus {
  const { engine, alerts, rigCloner, cluster } = options;
  return new CommandBus({ engine, alerts, rigCloner, cluster, audit: engine.audit, clock: engine.clock }, COMMANDS);
}

export type { Actor, Command, CommandContext, Role } from './command';
