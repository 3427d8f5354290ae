/**
 * The rig leases this node holds, and the epoch it holds each by: the WriteFence the store
 * checks every rig-scoped write against (store/fence.ts). Only Ownership changes it (a
 * claim, a loss), and the store when it claims a rig created here. A rig not held is one
 * this node must not write.
 */
import type { RigLease, WriteFence } from './ports';

export class LeaseHoldings implements WriteFence {
  private readonly epochs = new Map<string, number>();
  private readonly createdListeners: Array<(lease: RigLease) => void> = [];

  constructor(
    readonly node: string,
    readonly ttlMs: number,
    private readonly clock: () => Promise<number>,
  ) {}

  epochOf(rig: string): number | undefined {
    return this.epochs.get(rig);
  }

  now(): Promise<number> {
    return this.clock();
  }

  /** The rigs held, with their epochs, in name order. */
  list(): Array<{ rig: string; epoch: number }> {
    return [...this.epochs].map(([rig, epoch]) => ({ rig, epoch })).sort((a, b) => (a.rig < b.rig ? -1 : 1));
  }

  holds(rig: string): boolean {
    return this.epochs.has(rig);
  }

  hold(lease: Pick<RigLease, 'rig' | 'epoch'>): void {
    this.epochs.set(lease.rig, lease.epoch);
  }

  /** From here on every write of `rig` is refused (before it reaches the database). */
  drop(rig: string): void {
    this.epochs.delete(rig);
  }

  created(lease: RigLease): void {
    this.hold(lease);
    for (const listener of this.createdListeners) listener(lease);
  }

  onCreated(listener: (lease: RigLease) => void): void {
    this.createdListeners.push(listener);
  }
}
