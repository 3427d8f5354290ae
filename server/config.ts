/**
 * Server configuration from the environment, validated once at start so a typo fails
 * loudly instead of running a town with surprising settings.
 */
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { parseAlertmanagerUrls } from './alerts/alertmanager';
import { DEFAULT_DEMO_SIZE, DEMO_SIZE_LIMITS } from './demo/demo-size';
import { parseAllowedHosts } from './http/hosts';

const DAY_MS = 86_400_000;

const boolFlag = z.enum(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true');

/** A whole number within the demo size's limits for `key`, defaulting to the default demo's. */
const demoSizeVar = (key: keyof typeof DEMO_SIZE_LIMITS) =>
  z.coerce.number().int().min(DEMO_SIZE_LIMITS[key].min).max(DEMO_SIZE_LIMITS[key].max).default(DEFAULT_DEMO_SIZE[key]);

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  GT_DATA_DIR: z.string().min(1).default('./data'),
  // Unset: the embedded SQLite file. Set: a PostgreSQL database shared by the town's servers.
  GT_DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgresql:// (or postgres://) URL' }).optional(),
  // The SQLite file; default <GT_DATA_DIR>/gastown.db. Nodes of a cluster on one machine share one.
  GT_DATABASE_FILE: z.string().min(1).optional(),
  GT_TIME_SCALE: z.coerce.number().positive().max(10_000).default(1),
  GT_DEMO: boolFlag.default(true),
  // The demo town's size, bounded (see DEMO_SIZE_LIMITS for why).
  GT_DEMO_RIGS: demoSizeVar('rigs'),
  GT_DEMO_POLECATS: demoSizeVar('polecatsPerRig'),
  GT_OPERATOR_TOKEN: z.string().min(8).optional(),
  GT_VIEWER_TOKEN: z.string().min(8).optional(),
  GT_SESSION_SECRET: z.string().min(16).optional(),
  GT_AUTH: z.enum(['on', 'off']).default('on'),
  GT_ALERT_WEBHOOK_URL: z.url().optional(),
  // Alertmanagers to post alerts to (server/alerts/alertmanager.ts): one URL, or an HA pair comma-separated.
  GT_ALERTMANAGER_URL: z
    .string()
    .optional()
    .superRefine((v, ctx) => {
      const parsed = v === undefined ? null : parseAlertmanagerUrls(v);
      if (parsed && 'problem' in parsed) ctx.addIssue({ code: 'custom', message: parsed.problem });
    }),
  // The town's name: the `town` label on alerts and the page title (default: the host's name).
  GT_TOWN_NAME: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'a town name is 1-63 letters, digits, dots, dashes or underscores')
    .optional(),
  GT_METRICS_PUBLIC: boolFlag.default(false),
  GT_PUBLIC_URL: z.url().optional(),
  // Extra names the Host header may carry (server/http/hosts.ts): `name` or `name:port`, comma-separated.
  GT_ALLOWED_HOSTS: z.string().optional(),
  GT_EVENT_RETENTION_DAYS: z.coerce.number().positive().max(3650).default(7),
  GT_AUDIT_RETENTION_DAYS: z.coerce.number().positive().max(3650).default(90),
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  // This server's name among the nodes of a cluster (deltas, Redis client names); default the host name.
  GT_NODE: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'letters, digits, . _ - (at most 63)')
    .optional(),
  // Live streams shared with the other nodes through Redis (server/realtime/redis-link.ts); unset: this node only.
  GT_REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  // Key prefix of the town's Redis stream and channels: towns sharing one Redis each need their own.
  GT_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9:._-]{0,99}$/, 'letters, digits, : . _ - (at most 100)')
    .default('gastown'),
  // Cluster mode (docs/cluster.md). Default: on when GT_DATABASE_URL names a shared database.
  GT_CLUSTER: boolFlag.optional(),
  // Real milliseconds. A node is dead, and its leases free, after GT_LEASE_TTL_MS without a heartbeat.
  GT_HEARTBEAT_MS: z.coerce.number().int().min(100).max(60_000).default(2_000),
  GT_LEASE_TTL_MS: z.coerce.number().int().min(300).max(600_000).default(10_000),
  // The same on every node: signs the caller's identity on requests forwarded to a rig's owner.
  GT_CLUSTER_SECRET: z.string().min(16, 'GT_CLUSTER_SECRET must be at least 16 characters').optional(),
});

export type DatabaseConfig = { provider: 'sqlite'; file: string } | { provider: 'postgresql'; url: string };

/** The host name as a node name (GT_NODE's rule): other characters become '-'. */
function hostNode(): string {
  return (
    os
      .hostname()
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '')
      .slice(0, 63) || 'node'
  );
}

export interface ServerConfig {
  port: number;
  host: string;
  dataDir: string;
  /** Where the town's records live: the SQLite file under dataDir (default), or PostgreSQL. */
  database: DatabaseConfig;
  timeScale: number;
  demo: boolean;
  /** The demo town's size (used when `demo` is on): rigs, and polecats on each. */
  demoSize: { rigs: number; polecatsPerRig: number };
  /** Tokens and the session key; unset ones are generated into <dataDir>/auth.json (server/auth). */
  operatorToken: string | null;
  viewerToken: string | null;
  sessionSecret: string | null;
  /** `off`: no authentication, every request is the local operator (loopback HOST only). */
  authMode: 'on' | 'off';
  /** Where alerts are POSTed when they fire and resolve. */
  alertWebhookUrl: string | null;
  /** Alertmanager base URLs (GT_ALERTMANAGER_URL); empty: none. */
  alertmanagerUrls: string[];
  /** GT_TOWN_NAME, or the host's name. */
  townName: string;
  /** /metrics without a token (a trusted network's Prometheus). */
  metricsPublic: boolean;
  /** The URL people reach this server at (printed, and linked from webhooks); default http://HOST:PORT. */
  publicUrl: string | null;
  /** Host names requests may carry besides the bind address, loopback and publicUrl's (GT_ALLOWED_HOSTS). */
  allowedHosts: string[];
  /** How long the event log and the audit log keep a row (engine-clock ms). */
  eventRetentionMs: number;
  auditRetentionMs: number;
  /** This node's name (GT_NODE, default the host name). */
  node: string;
  /** Redis for live streams across nodes (GT_REDIS_URL); null: one server, nothing shared. */
  redisUrl: string | null;
  redisPrefix: string;
  /** Cluster mode (docs/cluster.md); null: one server, every stored rig is its own, no leases. */
  cluster: ClusterConfig | null;
  dev: boolean;
}

export interface ClusterConfig {
  /** This node's name (GT_NODE, default the host name). */
  node: string;
  /** How often the node heartbeats and renews its leases (real ms). */
  heartbeatMs: number;
  /** How long a lease lasts without renewal (real ms, on the database's clock). */
  leaseTtlMs: number;
  /** GT_CLUSTER_SECRET; null: this node answers only for its own rigs (nothing is forwarded). */
  secret: string | null;
}

export function loadConfig(env: NodeJS.ProcessEnv): ServerConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  // A shared database means several servers, unless told otherwise.
  const clustered = e.GT_CLUSTER ?? Boolean(e.GT_DATABASE_URL);
  // Two missed heartbeats before a lease lapses: one slow pass must not lose every rig.
  if (clustered && e.GT_LEASE_TTL_MS < 2 * e.GT_HEARTBEAT_MS) {
    throw new Error(
      `Invalid configuration: GT_LEASE_TTL_MS (${e.GT_LEASE_TTL_MS}) must be at least twice GT_HEARTBEAT_MS (${e.GT_HEARTBEAT_MS})`,
    );
  }
  const dataDir = path.resolve(e.GT_DATA_DIR);
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir,
    database: e.GT_DATABASE_URL
      ? { provider: 'postgresql', url: e.GT_DATABASE_URL }
      : { provider: 'sqlite', file: e.GT_DATABASE_FILE ? path.resolve(e.GT_DATABASE_FILE) : path.join(dataDir, 'gastown.db') },
    timeScale: e.GT_TIME_SCALE,
    demo: e.GT_DEMO,
    demoSize: { rigs: e.GT_DEMO_RIGS, polecatsPerRig: e.GT_DEMO_POLECATS },
    operatorToken: e.GT_OPERATOR_TOKEN ?? null,
    viewerToken: e.GT_VIEWER_TOKEN ?? null,
    sessionSecret: e.GT_SESSION_SECRET ?? null,
    authMode: e.GT_AUTH,
    alertWebhookUrl: e.GT_ALERT_WEBHOOK_URL ?? null,
    alertmanagerUrls: urlsOf(e.GT_ALERTMANAGER_URL),
    townName: e.GT_TOWN_NAME ?? townNameOf(os.hostname()),
    metricsPublic: e.GT_METRICS_PUBLIC,
    publicUrl: e.GT_PUBLIC_URL?.replace(/\/$/, '') ?? null,
    allowedHosts: parseAllowedHosts(e.GT_ALLOWED_HOSTS),
    eventRetentionMs: e.GT_EVENT_RETENTION_DAYS * DAY_MS,
    auditRetentionMs: e.GT_AUDIT_RETENTION_DAYS * DAY_MS,
    node: e.GT_NODE ?? hostNode(),
    redisUrl: e.GT_REDIS_URL ?? null,
    redisPrefix: e.GT_REDIS_PREFIX,
    cluster: clustered
      ? {
          node: e.GT_NODE ?? hostNode(),
          heartbeatMs: e.GT_HEARTBEAT_MS,
          leaseTtlMs: e.GT_LEASE_TTL_MS,
          secret: e.GT_CLUSTER_SECRET ?? null,
        }
      : null,
    dev: e.NODE_ENV !== 'production',
  };
}

function urlsOf(value: string | undefined): string[] {
  const parsed = value === undefined ? null : parseAlertmanagerUrls(value);
  return parsed && 'urls' in parsed ? parsed.urls : [];
}

/** A host name as a town name: the first label, in the characters a town name allows. */
function townNameOf(host: string): string {
  const name = host
    .split('.')[0]
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 63);
  return name || 'gastown';
}
