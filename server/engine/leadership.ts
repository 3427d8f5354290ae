/**
 * The town's leader (docs/cluster.md, "One leader for the town-wide duties"): the node that
 * holds the leader lease runs what must happen once per town, not once per node: alert
 * evaluation and posting, the town-wide metric series, the node-down watch. The lease is a
 * rig lease under a name no rig can have (`LEADER_LEASE`), so it follows the same rules
 * (engine/lease.ts): claimed when free or expired with the epoch bumped, renewed by every
 * heartbeat, released on a clean stop, and lost once another node's claim moved the epoch.
 *
 * Fencing: a leader paused past its TTL (SIGSTOP, a VM freeze) wakes up with its timers due
 * before its next heartbeat can learn that another node took over. So `isLeader()` is true
 * only until the lease would lapse as measured on this node's monotonic clock from the moment
 * its last renewal was *asked* (a bound that is never later than the database's expiry,
 * since the database stamped the renewal after it was asked): a woken ex-leader's duties see
 * `false` before they run, whatever its heartbeat has done yet.
 */
import type { Logger } from './context';
import type { LeasePort, RigLease } from './ports';

/** The leader lease's row among the rig leases: a colon is not allowed in a rig's name. */
export const LEADER_LEASE = 'town:leader';

export interface LeadershipOptions {
  node: string;
  leases: Pick<LeasePort, 'claim' | 'renew' | 'release' | 'now'> & { leader(): Promise<RigLease | null> };
  ttlMs: number;
  /** This process's monotonic clock, ms (performance.now in the server; stepped in tests). */
  monotonic: () => number;
  /** Told when this node becomes the leader (after the claim) and when it stops being it. */
  onChange?: (leader: boolean) => void;
  log: Logger;
}

export class Leadership {
  private epoch: number | null = null;
  /** Monotonic ms until which the held lease surely binds. */
  private validUntil = -Infinity;

  constructor(private readonly options: LeadershipOptions) {}

  /** Whether this node may run the town-wide duties right now. */
  isLeader(): boolean {
    return this.epoch !== null && this.options.monotonic() < this.validUntil;
  }

  /** The epoch this node leads by (null: not the leader). */
  get heldEpoch(): number | null {
    return this.isLeader() ? this.epoch : null;
  }

  /** One heartbeat's worth: renew the lease held, or claim it when free or expired. Never throws. */
  async pass(): Promise<void> {
    const { leases, node, ttlMs, monotonic, log } = this.options;
    const asked = monotonic();
    try {
      if (this.epoch !== null) {
        const renewed = await leases.renew(LEADER_LEASE, node, this.epoch, ttlMs);
        if (renewed) {
          this.validUntil = asked + ttlMs;
          return;
        }
        this.step(null, 'its leader lease was taken');
      }
      const current = await leases.leader();
      const now = await leases.now();
      if (current && current.owner !== null && current.owner !== node && current.expiresAt > now) return;
      const claimed = await leases.claim(LEADER_LEASE, node, ttlMs);
      if (!claimed) return;
      this.validUntil = asked + ttlMs;
      this.step(
        claimed.epoch,
        `leader at epoch ${claimed.epoch}${current?.owner && current.owner !== node ? ` (was ${current.owner})` : ''}`,
      );
    } catch (err) {
      // A failed renewal: the bound runs out on its own, and the duties stop with it.
      log.warn('cluster: a leader lease pass failed; the next one tries again', { error: String(err) });
    }
  }

  /** Gives the lease up (a clean stop): another node leads from its next heartbeat. */
  async release(): Promise<void> {
    const epoch = this.epoch;
    if (epoch === null) return;
    this.step(null, 'released the leader lease');
    await this.options.leases.release(LEADER_LEASE, this.options.node, epoch).catch(() => false);
  }

  private step(epoch: number | null, why: string): void {
    const was = this.epoch !== null;
    this.epoch = epoch;
    if (epoch === null) this.validUntil = -Infinity;
    this.options.log.info(`cluster: ${this.options.node} ${why}`);
    if (was !== (epoch !== null)) this.options.onChange?.(epoch !== null);
  }
}
