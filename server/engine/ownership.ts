/**
 * Which rigs this node runs, reconciled with the rig leases in the shared database
 * (docs/cluster.md). One `pass` (called every heartbeat by server/cluster/heartbeat.ts):
 *
 *   1. heartbeat: the node's row gets the database's time (it is alive);
 *   2. renew every lease held; one that was taken (the epoch moved on) is lost;
 *   3. claim every stored rig whose lease is free, expired, or this node's from an earlier
 *      run, and attach it (records from the store, reconciled with git: the [Assembly] seam);
 *   4. detach every rig lost (its writes are refused from the moment it is lost).
 *
 * A write refused by the fence (another node claimed the rig between two passes) is a loss
 * too, handled at once. Losing comes before writing: the holdings drop the rig first, so
 * nothing more of it reaches the database, then the detach drains it from memory.
 *
 * The pass reads no clock of its own: lease times are the database's (LeasePort.now).
 */
import type { Logger } from './context';
import { conflict, notFound } from './errors';
import { isLive } from './lease';
import type { LeaseHoldings } from './lease-holdings';
import type { LeasePort } from './ports';

/** The seam Ownership attaches and detaches rigs through (Town.rigs). */
export interface RigSeam {
  get(name: string): unknown;
  attach(name: string): Promise<unknown>;
  detach(name: string): Promise<unknown>;
}

export interface OwnershipOptions {
  /** `sample`: what the node sends with its heartbeat for the leader (its rigs' metrics, JSON). */
  node: { name: string; startedAt: number; url: () => string | null; sample?: () => string | null };
  leases: LeasePort;
  holdings: LeaseHoldings;
  rigs: RigSeam;
  /** Names of the stored rigs: each wants an owner. */
  storedRigs: () => Promise<string[]>;
  log: Logger;
}

/** Passes to skip a rig whose attach failed here (another node may manage it). */
const ATTACH_BACKOFF_PASSES = 5;

export class Ownership {
  private readonly losing = new Set<string>();
  private readonly backoff = new Map<string, number>();
  private lost = 0;

  constructor(private readonly options: OwnershipOptions) {}

  /** Rigs lost to another node since start (a view for /api/cluster). */
  get losses(): number {
    return this.lost;
  }

  /** A write of `rig` was refused by the fence: the rig is another node's now. */
  fenced(rig: string): void {
    if (!this.options.holdings.holds(rig) && !this.options.rigs.get(rig)) return;
    void this.lose(rig, 'a write was fenced');
  }

  /** One reconciliation with the database (see the module comment). Never throws. */
  async pass(): Promise<void> {
    const { leases, holdings, node, log } = this.options;
    try {
      const now = await leases.heartbeat({
        name: node.name,
        url: node.url(),
        startedAt: node.startedAt,
        ttlMs: holdings.ttlMs,
        rigMetrics: node.sample?.() ?? null,
      });
      for (const { rig, epoch } of holdings.list()) {
        const renewed = await leases.renew(rig, node.name, epoch, holdings.ttlMs);
        if (!renewed) await this.lose(rig, `its lease (epoch ${epoch}) was taken`);
      }
      const [stored, rows] = await Promise.all([this.options.storedRigs(), leases.listLeases()]);
      const byRig = new Map(rows.map((l) => [l.rig, l]));
      for (const rig of stored) {
        if (holdings.holds(rig) || this.losing.has(rig)) continue;
        const skip = this.backoff.get(rig) ?? 0;
        if (skip > 0) {
          this.backoff.set(rig, skip - 1);
          continue;
        }
        const lease = byRig.get(rig);
        if (lease && isLive(lease, now) && lease.owner !== node.name) continue;
        const claimed = await leases.claim(rig, node.name, holdings.ttlMs);
        if (claimed) await this.take(rig, claimed.epoch, lease?.owner ?? null);
      }
    } catch (err) {
      log.warn('cluster: a heartbeat pass failed; the next one tries again', { error: String(err) });
    }
  }

  /**
   * Moves a rig this node runs to node `to` (gt rig move): drained and detached here (its
   * writes land first), then its lease handed to `to`, which claims and attaches it on its
   * next heartbeat. Refused when this node does not hold the rig or `to` is not alive.
   */
  async moveOut(rig: string, to: string): Promise<{ rig: string; from: string; to: string; epoch: number }> {
    const { leases, holdings, rigs, node } = this.options;
    const epoch = holdings.epochOf(rig);
    if (epoch === undefined || !rigs.get(rig)) {
      const lease = (await leases.listLeases()).find((l) => l.rig === rig);
      if (!lease) throw notFound('rig', rig);
      throw conflict(`rig '${rig}' is run by node '${lease.owner ?? 'none'}', not '${node.name}': move it there`);
    }
    if (to === node.name) throw conflict(`rig '${rig}' is already on node '${to}'`);
    const [now, nodes] = await Promise.all([leases.now(), leases.listNodes()]);
    const target = nodes.find((n) => n.name === to);
    if (!target) throw notFound('node', to);
    if (now - target.heartbeatAt >= target.ttlMs)
      throw conflict(`node '${to}' is not alive (no heartbeat for ${now - target.heartbeatAt} ms)`);
    this.losing.add(rig); // the heartbeat neither renews nor reclaims it meanwhile
    try {
      await rigs.detach(rig);
      holdings.drop(rig);
      if (!(await leases.hand(rig, node.name, epoch, to, holdings.ttlMs)))
        throw conflict(`rig '${rig}': its lease moved on while it was drained (another node claimed it)`);
      this.options.log.info(`cluster: moved rig ${rig} to node ${to} (epoch ${epoch + 1})`);
      return { rig, from: node.name, to, epoch: epoch + 1 };
    } finally {
      this.losing.delete(rig);
    }
  }

  /** Gives up every lease (a graceful stop, after the town's writes drained): others claim them at once. */
  async releaseAll(): Promise<void> {
    const { leases, holdings, node } = this.options;
    for (const { rig, epoch } of holdings.list()) {
      holdings.drop(rig);
      await leases.release(rig, node.name, epoch).catch(() => false);
    }
  }

  private async take(rig: string, epoch: number, from: string | null): Promise<void> {
    const { holdings, rigs, log, leases, node } = this.options;
    holdings.hold({ rig, epoch });
    log.info(`cluster: claimed rig ${rig} at epoch ${epoch}${from && from !== node.name ? ` (was ${from}'s)` : ''}`);
    if (rigs.get(rig)) return; // already in memory (created here): nothing to load
    try {
      await rigs.attach(rig);
    } catch (err) {
      log.warn(`cluster: attaching rig ${rig} failed; releasing it`, { error: String(err) });
      holdings.drop(rig);
      this.backoff.set(rig, ATTACH_BACKOFF_PASSES);
      await leases.release(rig, node.name, epoch).catch(() => false);
    }
  }

  private async lose(rig: string, why: string): Promise<void> {
    if (this.losing.has(rig)) return;
    const { holdings, rigs, log } = this.options;
    this.losing.add(rig);
    holdings.drop(rig);
    this.lost++;
    log.warn(`cluster: lost rig ${rig}: ${why}; detaching it`);
    try {
      if (rigs.get(rig)) await rigs.detach(rig);
    } catch (err) {
      log.warn(`cluster: detaching rig ${rig} failed`, { error: String(err) });
    } finally {
      this.losing.delete(rig);
    }
  }
}
