/**
 * The handle through which Next.js route handlers and server components reach the one
 * running engine. Next compiles `app/` into its own bundles, so importing the engine from
 * there would create a second copy; the custom server publishes the live instances on
 * globalThis instead, and only types cross this boundary.
 */
import type { CommandBus } from './commands/command';
import type { Town } from './engine/town';
import type { ServerConfig } from './config';
import type { AuditEntry, StoredEvent } from '../contracts/activity';
import type { BeadQuery, EventQuery } from './engine/ports';
import type { Bead, Escalation, Gate } from '../contracts/records';
import type { MergeQueueView, MergeRequestDetail, RefineryStatsView, TownOverview, StatusView } from '../contracts/town';
import type { ConvoySummary, ConvoyView } from '../contracts/convoys';
import type { CostGroup, CostRange, CostsView } from '../contracts/costs';
import type { SplitPreview, SuggestedSplit } from '../contracts/split';
import type { LabService } from './lab/service';
import type { RigCloner } from './rigs/rig-cloner';
import type { StreamsStatus } from './realtime/redis-link';
import type { ClusterView } from '../contracts/cluster';
import type { Forwarder } from './cluster/forward';
import type { TownReads } from './cluster/town-reads';
import type { OtherNodesOverview } from './queries/town-view';

/** Read-only questions the pages and the API ask; answered by server/queries. */
export interface Queries {
  /** `others`: in a cluster, what the other nodes answered for their rigs (folded in). */
  overview(others?: OtherNodesOverview): TownOverview;
  mergeQueue(rig?: string): MergeQueueView[];
  /** One merge request of `rig`, in the queue or landed/rejected (history), with its check runs. */
  mergeRequest(rig: string, id: string): Promise<MergeRequestDetail | null>;
  refineryStats(rig?: string): RefineryStatsView;
  status(): StatusView;
  convoys(): Promise<ConvoySummary[]>;
  convoy(id: string): Promise<ConvoyView | null>;
  costs(by: CostGroup, range: CostRange): Promise<CostsView>;
  escalations(query: { status?: Escalation['status'][]; limit?: number }): Promise<Escalation[]>;
  gates(query: { status?: Gate['status'][]; limit?: number }): Promise<Gate[]>;
  beads(query: BeadQuery): Promise<Bead[]>;
  bead(id: string): Promise<Bead | null>;
  /** The rig a bead, a convoy (its first bead's) or an escalation is about; null when unknown. Routes commands in a cluster. */
  recordRig(kind: 'bead' | 'convoy' | 'escalation', id: string): Promise<string | null>;
  /** Every bead (or one rig's) as `issues.jsonl`, the beads interchange format (bd export). */
  beadsExport(rig?: string): Promise<string>;
  events(query: EventQuery): Promise<StoredEvent[]>;
  /** Operator actions (accepted and refused), newest first. */
  /** Audit records, newest first; `before`: the page after the record with this id. */
  audit(limit: number, before?: number): Promise<AuditEntry[]>;
  /** What a split would do (dry run), with before/after diagrams; refuses a bad request like the split itself. */
  splitPreview(rig: string, input: unknown): Promise<SplitPreview>;
  /** Partitions suggested from the rig's history. */
  splitSuggestion(rig: string): Promise<SuggestedSplit>;
  /** The nodes and the rigs each owns by lease (docs/cluster.md); one node in single-server mode. */
  cluster(): Promise<ClusterView>;
}

export interface Runtime {
  town: Town;
  commands: CommandBus;
  queries: Queries;
  config: ServerConfig;
  /** The what-if lab: the same engine on a virtual clock (server/lab). */
  lab: LabService;
  /** Rigs being cloned from their upstream (rig.add), for GET /api/rigs/clones. */
  rigCloner: RigCloner;
  /** Whether live streams are shared with other nodes, and the Redis link's state (GET /api/health). */
  streams: () => StreamsStatus;
  /** Relays requests about other nodes' rigs to their owners (docs/cluster.md); null: one server, or no GT_CLUSTER_SECRET. */
  forwarder: Forwarder | null;
  /** GET /api/rigs and /api/status: every rig of the town, from any node. */
  townReads: TownReads;
}

const KEY = Symbol.for('gastown.runtime');
type Holder = { [KEY]?: Runtime };

export function publishRuntime(runtime: Runtime): void {
  (globalThis as Holder)[KEY] = runtime;
}

export function getRuntime(): Runtime | undefined {
  return (globalThis as Holder)[KEY];
}
