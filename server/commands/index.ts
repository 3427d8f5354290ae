/** The command catalogue: every operator action the product offers. */
import { configureAgents } from './agents';
import { createBead } from './beads';
import { CommandBus, type CommandDefinition } from './command';
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
import { addPolecats } from './polecats';
import { configureRefinery, scaleRefinery } from './refinery';
import { mergeRig, splitRig } from './rigs';
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
import type { Town } from '../engine/town';
import { ALERT_COMMANDS } from '../alerts/commands';

export const COMMANDS = [
  createBead,
  addPolecats,
  scaleRefinery,
  configureRefinery,
  configureAgents,
  splitRig,
  mergeRig,
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
] as unknown as CommandDefinition[];

export function createCommandBus(town: Town): CommandBus {
  return new CommandBus(town, COMMANDS);
}

export type { Actor, Role } from './command';
