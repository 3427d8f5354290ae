/**
 * The town's scale tier by the seed's table (Small, Medium, Large, XL by agents and rigs),
 * its recommended setup beside the actual one, and what the seed's path says to do next
 * ("Small -> Medium: add rigs; Medium -> Large: partition + stagger; Large -> XL:
 * dedicated machines").
 */
import type { ScaleTier, ScaleTierView } from '../../contracts/town';

interface TierRow {
  tier: ScaleTier;
  maxAgents: number;
  agents: string;
  rigs: [number, number];
  setup: string;
  cores: number;
  memoryGb: number;
}

export const SCALE_TABLE: TierRow[] = [
  {
    tier: 'Small',
    maxAgents: 10,
    agents: '5-10',
    rigs: [1, 3],
    setup: 'Single machine, 8+ cores, 32GB RAM',
    cores: 8,
    memoryGb: 32,
  },
  {
    tier: 'Medium',
    maxAgents: 20,
    agents: '10-20',
    rigs: [3, 7],
    setup: 'Single machine, 16+ cores, 64GB RAM',
    cores: 16,
    memoryGb: 64,
  },
  {
    tier: 'Large',
    maxAgents: 40,
    agents: '20-40',
    rigs: [5, 15],
    setup: 'Two machines, load-balanced rigs',
    cores: 16,
    memoryGb: 64,
  },
  {
    tier: 'XL',
    maxAgents: Number.POSITIVE_INFINITY,
    agents: '40+',
    rigs: [15, Number.POSITIVE_INFINITY],
    setup: 'Distributed setup, dedicated machines per rig cluster',
    cores: 16,
    memoryGb: 64,
  },
];

export interface ScaleInput {
  agents: number;
  rigs: number;
  cores: number;
  memoryGb: number;
  /** Servers running the town: 1 (the default), or a cluster's nodes alive (docs/cluster.md). */
  machines?: number;
  partitioned: boolean;
  staggered: boolean;
  multiRefinery: boolean;
  tieredPatrols: boolean;
}

export function scaleTier(input: ScaleInput): ScaleTierView {
  const row = SCALE_TABLE.find((r) => input.agents <= r.maxAgents)!;
  const rank = SCALE_TABLE.indexOf(row);
  const [minRigs, maxRigs] = row.rigs;
  const advice: string[] = [];
  if (input.rigs < minRigs)
    advice.push(
      `${input.rigs} rig${input.rigs === 1 ? '' : 's'} for ${input.agents} agents: split rigs (${row.tier} runs ${minRigs}-${maxRigs})`,
    );
  if (rank >= 1 && !input.tieredPatrols) advice.push('tier the Deacon’s patrols');
  if (rank >= 2 && !input.staggered) advice.push('stagger convoys into waves');
  if (rank >= 2 && !input.multiRefinery) advice.push('add Refinery workers to busy rigs');
  if (rank >= 2) advice.push(`this tier runs on ${row.setup.toLowerCase()}`);
  else if (input.cores < row.cores || input.memoryGb < row.memoryGb * 0.9) {
    advice.push(
      `this machine has ${input.cores} cores and ${input.memoryGb} GB; the seed recommends ${row.cores}+ cores and ${row.memoryGb} GB`,
    );
  }
  return {
    tier: row.tier,
    agents: input.agents,
    rigs: input.rigs,
    recommended: {
      agents: row.agents,
      rigs: Number.isFinite(maxRigs) ? `${minRigs}-${maxRigs}` : `${minRigs}+`,
      setup: row.setup,
    },
    actual: {
      setup:
        (input.machines ?? 1) === 1
          ? `1 machine, ${input.cores} cores, ${input.memoryGb} GB RAM`
          : `${input.machines} machines (cluster nodes alive); this one ${input.cores} cores, ${input.memoryGb} GB RAM`,
      strategies: [
        { name: 'partitioned rigs', inUse: input.partitioned },
        { name: 'staggered convoys', inUse: input.staggered },
        { name: 'multiple Refinery workers', inUse: input.multiRefinery },
        { name: 'tiered patrols', inUse: input.tieredPatrols },
      ],
    },
    advice,
  };
}
