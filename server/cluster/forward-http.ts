/**
 * The custom server's forwarding step (after the auth gate, before Next): a request under
 * /api/rigs/<rig>/ (or a merge-queue read for `?rig=`) about a rig another node runs is relayed to that node (forward.ts),
 * and one about what the leader keeps (/api/alerts, /api/silences: leader-routes.ts) to the leader; body
 * streamed through (its size was already bounded by the boundary), the owner's answer streamed
 * back. Commands that name their rig in the body are forwarded where they are parsed
 * (lib/api.ts runCommand), through the same Forwarder.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { Actor } from '../commands/command';
import { FORWARDED_BY } from './forwarded-identity';
import { writeResponse, type Forwarder } from './forward';
import { isLeaderRoute } from './leader-routes';

/** Routes under /api/rigs/ that are not one rig's. */
const TOWN_WIDE = new Set(['clones']);

/** Town-wide reads that narrow to one rig with `?rig=` (`gt mq list <rig>`, `gt refinery stats <rig>`). */
const RIG_QUERY_ROUTES = new Set(['/api/mq', '/api/refinery/stats']);

/** The rig a request is about (`/api/rigs/<rig>` and below, or `?rig=` on a read above), or null. */
export function rigOfRequest(pathname: string, target: string | undefined): string | null {
  if (RIG_QUERY_ROUTES.has(pathname)) return new URL(target ?? '/', 'http://gastown.invalid').searchParams.get('rig') || null;
  const match = /^\/api\/rigs\/([^/]+)(?:\/|$)/.exec(pathname);
  if (!match) return null;
  let rig: string;
  try {
    rig = decodeURIComponent(match[1]);
  } catch {
    return null;
  }
  return TOWN_WIDE.has(rig) ? null : rig;
}

const hasBody = (req: IncomingMessage) =>
  !['GET', 'HEAD'].includes(req.method ?? 'GET') &&
  (req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0);

const header = (req: IncomingMessage, name: string): string | null => {
  const v = req.headers[name];
  return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
};

export interface ForwardStepOptions {
  forwarder: Forwarder;
  /** The caller, as the gate authenticated them (null: nobody; the gate has answered already). */
  identify(req: IncomingMessage): Actor | null;
}

/** Answers (true) a request that belongs to another node; false: this node answers it. */
export function createForwardStep(options: ForwardStepOptions) {
  return async function forward(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> {
    const rig = rigOfRequest(pathname, req.url);
    const toLeader = rig === null && isLeaderRoute(pathname);
    // The loop guard: a request another node forwarded is answered here, whatever it finds.
    if ((rig === null && !toLeader) || header(req, FORWARDED_BY) !== null) return false;
    const actor = options.identify(req);
    if (!actor) return false;
    const request = {
      method: req.method ?? 'GET',
      target: req.url ?? pathname,
      actor,
      contentType: header(req, 'content-type'),
      accept: header(req, 'accept'),
      body: hasBody(req) ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : null,
    };
    const answer = rig === null ? await options.forwarder.forLeader(request) : await options.forwarder.forRig(rig, request);
    if (!answer) return false;
    await writeResponse(answer, res);
    return true;
  };
}
