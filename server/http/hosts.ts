/**
 * The Host allow-list (DNS-rebinding defence). A page on another site can point its own
 * name at this machine and then talk to the server as a same-origin page; the one thing
 * it cannot forge is the `Host` header its browser sends, which names the attacker's site.
 * So every request, page, API or socket.io handshake, and whatever GT_AUTH says, must name
 * this server:
 *   - the bind address (HOST) with the port;
 *   - localhost, 127.0.0.1 and [::1] with the port;
 *   - GT_PUBLIC_URL's host (with its port, or its scheme's default);
 *   - when HOST listens everywhere (0.0.0.0 or ::): the machine's host name and its
 *     interface addresses with the port;
 *   - every name in GT_ALLOWED_HOSTS (`name` on any port, `name:port` on that port only).
 */
import os from 'node:os';

export interface HostAllowListOptions {
  /** HOST: the bind address. */
  host: string;
  /** The listening port (a function: with PORT=0 it is known only after listen). */
  port: () => number;
  publicUrl?: string | null;
  /** GT_ALLOWED_HOSTS entries. */
  extra?: string[];
  /** For tests; defaults to the machine's. */
  hostname?: string;
  interfaces?: string[];
}

interface Entry {
  name: string;
  /** Null: any port. */
  port: number | null;
}

const WILDCARD = new Set(['0.0.0.0', '::', '[::]']);

/** `[::1]` and `::1` alike, lower case, no trailing dot. */
function normalizeName(name: string): string {
  const n = name.toLowerCase().replace(/\.$/, '');
  return n.startsWith('[') && n.endsWith(']') ? n.slice(1, -1) : n;
}

/** A Host header's name and port (null when it names none); null when it is not a host at all. */
export function parseHostHeader(value: string): { name: string; port: number | null } | null {
  const m = /^(\[[0-9a-f:.]+\]|[^\s:/?#@[\]]+)(?::(\d{1,5}))?$/i.exec(value.trim());
  if (!m) return null;
  return { name: normalizeName(m[1]), port: m[2] === undefined ? null : Number(m[2]) };
}

/** Parses GT_ALLOWED_HOSTS: comma- or space-separated `name` or `name:port`. */
export function parseAllowedHosts(value: string | undefined): string[] {
  return (value ?? '')
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export class HostAllowList {
  private readonly fixed: Entry[] = [];
  private readonly atPort: string[] = [];

  constructor(private readonly options: HostAllowListOptions) {
    const names = new Set(['localhost', '127.0.0.1', '::1']);
    if (WILDCARD.has(options.host)) {
      names.add(options.hostname ?? os.hostname());
      for (const address of options.interfaces ?? interfaceAddresses()) names.add(address);
    } else names.add(options.host);
    this.atPort = [...names].map(normalizeName);
    if (options.publicUrl) {
      const url = new URL(options.publicUrl);
      const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
      this.fixed.push({ name: normalizeName(url.hostname), port });
    }
    for (const raw of options.extra ?? []) {
      const parsed = parseHostHeader(raw);
      if (!parsed) throw new Error(`GT_ALLOWED_HOSTS: '${raw}' is not a host name or host:port`);
      this.fixed.push(parsed);
    }
  }

  /**
   * Whether a request's Host header names this server. A Host without a port means the
   * scheme's default (80, or 443 behind TLS), as a browser sends it.
   */
  allows(hostHeader: string | null | undefined, secure = false): boolean {
    if (!hostHeader) return false;
    const parsed = parseHostHeader(hostHeader);
    if (!parsed) return false;
    const port = parsed.port ?? (secure ? 443 : 80);
    if (port === this.options.port() && this.atPort.includes(parsed.name)) return true;
    return this.fixed.some((e) => e.name === parsed.name && (e.port === null || e.port === port));
  }
}

function interfaceAddresses(): string[] {
  return Object.values(os.networkInterfaces())
    .flat()
    .filter((i) => i !== undefined)
    .map((i) => i.address)
    .filter((a) => !a.includes('%')); // link-local with a zone: no browser puts that in a Host header
}
