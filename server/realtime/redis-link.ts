/**
 * The connection to Redis that carries live streams between nodes (GT_REDIS_URL): a
 * node-redis client, socket.io's Redis Streams adapter on it, and the link's health.
 *
 * Why the streams adapter: it forwards broadcasts through a Redis stream and each node reads
 * it from its own last offset, so a node whose connection to Redis dropped reads on where it
 * stopped when it is back; the pub/sub adapter drops whatever was sent meanwhile.
 *
 * Redis down, at start or later: the node keeps serving its own clients its own events
 * (the hub delivers locally first, server/realtime/hub.ts), logs once that it is cut off,
 * reports `down` in /api/health, and keeps retrying (every 2 s at most). When Redis answers
 * again it logs that, reports `ready`, and the relay resends what this node published while
 * cut off; the adapter's readers pick up what the others published. Commands wait in the
 * client's offline queue meanwhile, bounded so an outage cannot fill memory.
 */
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { createClient } from 'redis';
import type { Logger } from '../engine/context';
import type { RelayLink } from './relay';

export type RedisState = 'connecting' | 'ready' | 'down';

/** What /api/health says about the live streams. */
export type StreamsStatus =
  | { mode: 'local' }
  | {
      mode: 'cluster';
      redis: RedisState;
      /** GT_REDIS_URL without its password. */
      url: string;
      /** The key prefix of this town's stream and channels. */
      prefix: string;
      /** Wall ms of the last change of `redis`. */
      since: number;
      /** Why it is down (the last connection error). */
      error: string | null;
    };

export interface RedisLinkOptions {
  url: string;
  /** Stream and channel names start with it, so towns (and test runs) sharing a Redis do not mix. */
  prefix: string;
  /** This node's name: the connections' client name (`CLIENT LIST` shows `gastown:<node>`). */
  node: string;
  log: Logger;
}

/** Longest wait between reconnect attempts. */
const MAX_RETRY_MS = 2_000;
/** Commands held while Redis is unreachable; past this they fail at once (the relay resends from its buffer). */
const OFFLINE_QUEUE_LIMIT = 10_000;

export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'redis://(unparsable)';
  }
}

export class RedisLink implements RelayLink {
  readonly client;
  private state: RedisState = 'connecting';
  private since = Date.now();
  private error: string | null = null;
  private downSince: number | null = null;
  private readonly readyListeners: Array<(downSince: number | null) => void> = [];
  private closing = false;

  constructor(private readonly options: RedisLinkOptions) {
    this.client = createClient({
      url: options.url,
      name: `gastown:${options.node}`,
      commandsQueueMaxLength: OFFLINE_QUEUE_LIMIT,
      // A connection that died silently (no RST) is noticed by a failed ping, not only by the next publish.
      pingInterval: 5_000,
      socket: { reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, MAX_RETRY_MS), connectTimeout: 5_000 },
    });
    const where = redactRedisUrl(options.url);
    this.client.on('ready', () => {
      const downSince = this.downSince;
      this.downSince = null;
      this.set('ready', null);
      options.log.info(
        downSince === null
          ? `live streams shared through Redis at ${where} (prefix ${options.prefix})`
          : `Redis at ${where} is back after ${Math.round((Date.now() - downSince) / 1000)} s: live streams shared again`,
      );
      for (const l of this.readyListeners) l(downSince);
    });
    this.client.on('error', (err: unknown) => {
      const message = err instanceof Error ? err.message || err.name : String(err);
      if (this.state !== 'down' && !this.closing) {
        options.log.warn(
          `Redis at ${where} unavailable (${message}): live streams carry only this node's events until it answers; retrying`,
        );
      }
      this.downSince ??= Date.now();
      this.set('down', message);
    });
    // A dropped connection may be noticed as 'end'/'reconnecting' without an 'error' first.
    this.client.on('reconnecting', () => {
      this.downSince ??= Date.now();
      if (this.state === 'ready') this.set('down', this.error ?? 'connection lost');
    });
  }

  private set(state: RedisState, error: string | null): void {
    if (state !== this.state) this.since = Date.now();
    this.state = state;
    this.error = error;
  }

  /** Starts connecting (and retrying) without waiting: a node serves its own clients whether Redis answers or not. */
  connect(): void {
    this.client.connect().catch((err: unknown) => this.options.log.error('Redis connection gave up', { err: String(err) }));
  }

  /** socket.io's adapter factory on this link. */
  adapter() {
    const name = `${this.options.prefix}:socket.io`;
    return createAdapter(this.client, { streamName: name, channelPrefix: name });
  }

  ready(): boolean {
    return this.state === 'ready';
  }

  onReady(listener: (downSince: number | null) => void): void {
    this.readyListeners.push(listener);
  }

  status(): StreamsStatus {
    return {
      mode: 'cluster',
      redis: this.state,
      url: redactRedisUrl(this.options.url),
      prefix: this.options.prefix,
      since: this.since,
      error: this.error,
    };
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.client.isOpen) await this.client.close().catch(() => this.client.destroy());
  }
}
