/**
 * Town-wide reads on any node (docs/cluster.md, "Forwarding"): GET /api/rigs and GET
 * /api/status list every rig of the town, each with the node that runs it. This node answers
 * for its own rigs and asks every other alive node for theirs (forwarded, so each answers
 * with its own only: no node asks back); a rig nobody answered for is listed as unavailable
 * with the reason. On one server, or without the cluster secret, only this node's rigs.
 */
import type { TownRigsView } from '../../contracts/cluster';
import type { StatusView } from '../../contracts/town';
import type { Actor } from '../commands/command';
import type { Queries } from '../runtime';
import type { Forwarder } from './forward';

export interface TownReadsOptions {
  node: string;
  queries: Pick<Queries, 'overview' | 'status'>;
  forwarder: Forwarder | null;
}

const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);

export class TownReads {
  constructor(private readonly options: TownReadsOptions) {}

  /** Every rig of the town; `forwarded`: another node asks, so this node's own only. */
  async rigs(actor: Actor, forwarded: boolean): Promise<TownRigsView> {
    const { node, queries, forwarder } = this.options;
    const view: TownRigsView = { node, rigs: queries.overview().rigs.map((r) => ({ ...r, node })), unavailable: [] };
    if (!forwarder || forwarded) return view;
    const gathered = await forwarder.gather<TownRigsView>('/api/rigs', actor);
    for (const { node: other, body } of gathered.answers) view.rigs.push(...body.rigs.filter((r) => r.node === other));
    view.rigs.sort(byName);
    view.unavailable = gathered.unavailable(new Set(view.rigs.map((r) => r.name)));
    return view;
  }

  /**
   * The town's status: every node's rigs and agents; the Deacon, escalations and gates are
   * this node's (each node's Deacon patrols the rigs it runs).
   */
  async status(actor: Actor, forwarded: boolean): Promise<StatusView> {
    const { queries, forwarder } = this.options;
    const status = queries.status();
    if (!forwarder || forwarded) return status;
    const gathered = await forwarder.gather<StatusView>('/api/status', actor);
    for (const { node: other, body } of gathered.answers) {
      status.rigs.push(...body.rigs.filter((r) => r.node === other));
      status.agents.total += body.agents.total;
      for (const [state, count] of Object.entries(body.agents.by_state))
        status.agents.by_state[state] = (status.agents.by_state[state] ?? 0) + count;
      status.agents.unhealthy.push(...body.agents.unhealthy);
    }
    status.rigs.sort(byName);
    status.unavailable_rigs = gathered.unavailable(new Set(status.rigs.map((r) => r.name)));
    return status;
  }
}
