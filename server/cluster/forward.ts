/**
 * Forwarding (docs/cluster.md, "Forwarding"): in a cluster every route answers the same on
 * every node. A request about a rig this node does not run goes to the node that owns the
 * rig's lease, at the URL in that node's row, carrying the caller's identity signed with the
 * cluster secret (forwarded-identity.ts); the owner authorises, runs and audits it as the
 * caller, and its status and body come back unchanged.
 *
 * Where a request goes (`place`):
 *   - this node runs the rig, or no node knows it (the local answer: 404, as on one server): here;
 *   - a live lease held by an alive node with a URL: that node;
 *   - a lease that lapsed, a released one, or an owner that is dead: 503 naming the last owner
 *     (a surviving node claims the rig on its next heartbeat, and then answers for it).
 */
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Actor } from '../commands/command';
import { isLive } from '../engine/lease';
import type { NodeRecord, RigLease } from '../engine/ports';
import { forwardingHeaders } from './forwarded-identity';

/** A rig of the town no node answered for, and why. */
export interface UnavailableRig {
  name: string;
  /** The node holding (or last holding) its lease; null when none ever did or it was released. */
  node: string | null;
  reason: string;
}

/** What the other alive nodes answered to one read, and how to name the rigs none answered for. */
export interface Gathered<T> {
  answers: Array<{ node: string; body: T }>;
  /** The stored rigs not in `answered` (this node's and the others' answers), with why. */
  unavailable(answered: ReadonlySet<string>): UnavailableRig[];
  /**
   * The rigs this node runs and those the answering nodes hold a live lease on: for an answer
   * that does not list its rigs (a merge queue, Refinery numbers).
   */
  leasedByAnswering(): Set<string>;
}

export type Placement =
  { at: 'here' } | { at: 'owner'; node: string; url: string } | { at: 'unavailable'; node: string | null; message: string };

export interface ForwarderOptions {
  /** This node's name. */
  node: string;
  secret: string;
  /** True when this node runs (has attached) the rig. */
  runsHere(rig: string): boolean;
  /** True while this node holds the leader lease (engine/leadership.ts). */
  leads(): boolean;
  /** The shared database's view: leases, nodes, stored rigs, and its clock. */
  leases: {
    now(): Promise<number>;
    listLeases(): Promise<RigLease[]>;
    listNodes(): Promise<NodeRecord[]>;
    rigNames(): Promise<string[]>;
    leader(): Promise<RigLease | null>;
  };
  /** Fetch, injectable only so a test may point it elsewhere; the real one by default. */
  fetch?: typeof fetch;
}

export interface RelayRequest {
  method: string;
  /** Path and query on the owner, as the caller sent them here. */
  target: string;
  actor: Actor;
  contentType?: string | null;
  accept?: string | null;
  body?: string | ReadableStream<Uint8Array> | null;
}

/** How long the owner may take to start answering before the caller gets a 503 (a paused owner accepts, then says nothing). */
const ANSWER_TIMEOUT_MS = 15_000;

/**
 * Headers of the owner's answer that describe that hop, not the answer: not passed back. (fetch
 * has decoded the body already; a cookie would be signed with the owner's secret, not this node's.)
 */
const HOP_HEADERS = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'content-encoding',
  'date',
  'set-cookie',
]);

/** Header naming the node that answered a forwarded request (so a caller can see the hop). */
export const SERVED_BY = 'x-gt-served-by';

export class Forwarder {
  private readonly fetch: typeof fetch;

  constructor(private readonly options: ForwarderOptions) {
    this.fetch = options.fetch ?? fetch;
  }

  /** Where a request about `rig` is answered. */
  async place(rig: string): Promise<Placement> {
    const { node: self, leases } = this.options;
    if (this.options.runsHere(rig)) return { at: 'here' };
    const [now, rows, nodes] = await Promise.all([leases.now(), leases.listLeases(), leases.listNodes()]);
    const lease = rows.find((l) => l.rig === rig);
    // Unknown in the town, or this node's own (claimed, attaching): the local answer.
    if (!lease || lease.owner === self) return { at: 'here' };
    const owner = nodes.find((n) => n.name === lease.owner);
    if (!lease.owner || !isLive(lease, now) || !owner || now - owner.heartbeatAt >= owner.ttlMs) {
      const who = lease.owner ? `node '${lease.owner}', which is not alive` : 'no node (released)';
      return {
        at: 'unavailable',
        node: lease.owner,
        message: `rig '${rig}' is owned by ${who}: a surviving node claims it on its next heartbeat; try again shortly`,
      };
    }
    if (!owner.url) {
      return {
        at: 'unavailable',
        node: owner.name,
        message: `rig '${rig}' is run by node '${owner.name}', which has no URL yet`,
      };
    }
    return { at: 'owner', node: owner.name, url: owner.url };
  }

  /**
   * Sends the caller's request to the owner and answers with the owner's response (status,
   * JSON, body unchanged); the owner unreachable or silent is a 503 naming it.
   */
  async relay(owner: { node: string; url: string }, request: RelayRequest): Promise<Response> {
    const headers: Record<string, string> = forwardingHeaders(this.options.secret, this.options.node, request.actor);
    if (request.contentType) headers['content-type'] = request.contentType;
    if (request.accept) headers.accept = request.accept;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), ANSWER_TIMEOUT_MS);
    try {
      const answer = await this.fetch(new URL(request.target, owner.url), {
        method: request.method,
        headers,
        body: request.body ?? undefined,
        redirect: 'manual',
        signal: abort.signal,
        // A streamed request body (the custom server's IncomingMessage) needs half-duplex.
        ...(request.body && typeof request.body !== 'string' ? { duplex: 'half' } : {}),
      } as RequestInit);
      clearTimeout(timer);
      const out = new Headers();
      answer.headers.forEach((value, key) => {
        if (!HOP_HEADERS.has(key)) out.append(key, value);
      });
      out.set(SERVED_BY, owner.node);
      return new Response(answer.body, { status: answer.status, headers: out });
    } catch (err) {
      clearTimeout(timer);
      const why = abort.signal.aborted ? `did not answer within ${ANSWER_TIMEOUT_MS / 1000} s` : 'cannot be reached';
      return Response.json(
        {
          error: {
            code: 'unavailable',
            message: `node '${owner.node}' (${owner.url}), which runs this rig, ${why}`,
            details: { node: owner.node, reason: err instanceof Error ? err.message : String(err) },
          },
        },
        { status: 503, headers: { [SERVED_BY]: this.options.node } },
      );
    }
  }

  /** The answer for a placement this node cannot serve: 503 naming the owner. */
  unavailable(placement: Extract<Placement, { at: 'unavailable' }>): Response {
    return Response.json(
      { error: { code: 'unavailable', message: placement.message, details: { node: placement.node } } },
      { status: 503, headers: { [SERVED_BY]: this.options.node, 'retry-after': '2' } },
    );
  }

  /**
   * Asks every other alive node the same read (GET `target`, as `actor`; forwarded, so each
   * answers with its own rigs only) for a town-wide answer (town-reads.ts).
   */
  async gather<T>(target: string, actor: Actor): Promise<Gathered<T>> {
    const { leases, node: self } = this.options;
    const [now, rows, nodes, stored] = await Promise.all([
      leases.now(),
      leases.listLeases(),
      leases.listNodes(),
      leases.rigNames(),
    ]);
    const alive = new Set(nodes.filter((n) => now - n.heartbeatAt < n.ttlMs).map((n) => n.name));
    const failed = new Map<string, string>();
    const answers: Gathered<T>['answers'] = [];
    await Promise.all(
      nodes
        .filter((n) => n.name !== self && alive.has(n.name) && n.url)
        .map(async (n) => {
          const answer = await this.relay(
            { node: n.name, url: n.url! },
            { method: 'GET', target, actor, accept: 'application/json' },
          );
          if (answer.status !== 200) {
            failed.set(n.name, `node '${n.name}' answered ${answer.status}`);
            await answer.body?.cancel();
            return;
          }
          answers.push({ node: n.name, body: (await answer.json()) as T });
        }),
    );
    const byRig = new Map(rows.map((l) => [l.rig, l]));
    const answering = new Set(answers.map((a) => a.node));
    return {
      answers,
      leasedByAnswering: () =>
        new Set(
          stored.filter((rig) => {
            const lease = byRig.get(rig);
            return this.options.runsHere(rig) || (lease?.owner && answering.has(lease.owner) && isLive(lease, now));
          }),
        ),
      unavailable: (answered) =>
        stored
          .filter((rig) => !answered.has(rig))
          .sort()
          .map((rig) => {
            const lease = byRig.get(rig);
            const owner = lease?.owner ?? null;
            const reason = !owner
              ? 'no node runs it (released, or never claimed): a node claims it on its next heartbeat'
              : !isLive(lease!, now) || !alive.has(owner)
                ? `node '${owner}' is not alive: a surviving node claims it on its next heartbeat`
                : (failed.get(owner) ?? `node '${owner}' is attaching it`);
            return { name: rig, node: owner, reason };
          }),
    };
  }

  /**
   * Answers a request about what the leader keeps (leader-routes.ts) on the leader; null when
   * this node leads. No live leader (a failover under way) is a 503: one leads from the next
   * heartbeat.
   */
  async forLeader(request: RelayRequest): Promise<Response | null> {
    if (this.options.leads()) return null;
    const { leases } = this.options;
    const [now, lease, nodes] = await Promise.all([leases.now(), leases.leader(), leases.listNodes()]);
    const leader = lease?.owner ? nodes.find((n) => n.name === lease.owner) : undefined;
    if (!lease || !leader || !isLive(lease, now) || now - leader.heartbeatAt >= leader.ttlMs || !leader.url) {
      return this.unavailable({
        at: 'unavailable',
        node: lease?.owner ?? null,
        message: 'the town has no leader right now: a node takes the leader lease on its next heartbeat; try again shortly',
      });
    }
    return this.relay({ node: leader.name, url: leader.url }, request);
  }

  /** Places `rig` and answers the request where it belongs; null when it is this node's to answer. */
  async forRig(rig: string, request: RelayRequest): Promise<Response | null> {
    const placement = await this.place(rig);
    if (placement.at === 'here') return null;
    if (placement.at === 'unavailable') return this.unavailable(placement);
    return this.relay(placement, request);
  }
}

/**
 * Commands that name their rig only through a record (`{ id }`): run by that rig's owner, who
 * holds the record (a bead; a convoy, with its beads' rigs; an escalation, raised by its rig's roles).
 */
const RECORD_COMMANDS: Record<string, 'bead' | 'convoy' | 'escalation'> = {
  'bead.close': 'bead',
  'bead.depend': 'bead',
  'convoy.dispatch': 'convoy',
  'convoy.stagger': 'convoy',
  'convoy.add': 'convoy',
  'convoy.remove': 'convoy',
  'escalation.ack': 'escalation',
  'escalation.resolve': 'escalation',
};

/** The record a command names its rig through, or null. */
export function commandRecord(name: string, input: unknown): { kind: 'bead' | 'convoy' | 'escalation'; id: string } | null {
  const kind = Object.hasOwn(RECORD_COMMANDS, name) ? RECORD_COMMANDS[name] : undefined;
  if (!kind || typeof input !== 'object' || input === null) return null;
  const id = (input as { id?: unknown }).id;
  return typeof id === 'string' && id.length > 0 ? { kind, id } : null;
}

const named = (value: unknown): string | null => (typeof value === 'string' && value.length > 0 ? value : null);

/**
 * The rig a command acts on, when it names one (`{ rig }`; a new convoy, its first bead's
 * `rig`); a new rig (`rig.add`) is this node's.
 */
export function commandRig(name: string, input: unknown): string | null {
  if (name === 'rig.add' || typeof input !== 'object' || input === null || Array.isArray(input)) return null;
  if (name === 'convoy.create') {
    const beads = (input as { beads?: unknown }).beads;
    const first = Array.isArray(beads) ? (beads as unknown[])[0] : undefined;
    return typeof first === 'object' && first !== null ? named((first as { rig?: unknown }).rig) : null;
  }
  return named((input as { rig?: unknown }).rig);
}

/** A web Response written to Node's ServerResponse, its body streamed. */
export async function writeResponse(answer: Response, res: ServerResponse): Promise<void> {
  const headers: Record<string, string> = {};
  answer.headers.forEach((value, key) => {
    headers[key] = value;
  });
  res.writeHead(answer.status, headers);
  if (!answer.body) return void res.end();
  await new Promise<void>((resolve) => {
    const body = Readable.fromWeb(answer.body as WebReadableStream);
    body.on('error', () => res.destroy());
    res.on('close', () => {
      body.destroy();
      resolve();
    });
    body.pipe(res);
  });
}
