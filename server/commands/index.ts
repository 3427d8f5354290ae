/** The command catalogue: every operator action the product offers. */
import { createBead } from './beads';
import { CommandBus, type CommandDefinition } from './command';
import { addPolecats } from './polecats';
import { configureRefinery, scaleRefinery } from './refinery';
import type { Town } from '../engine/town';

export const COMMANDS = [createBead, addPolecats, scaleRefinery, configureRefinery] as unknown as CommandDefinition[];

export function createCommandBus(town: Town): CommandBus {
  return new CommandBus(town, COMMANDS);
}

export type { Actor, Role } from './command';
