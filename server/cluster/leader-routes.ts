/**
 * What the leader keeps for the whole town (docs/cluster.md, "One leader"), so where requests
 * about it are answered: the alert rules, the alerts in play and the silences live in the
 * leader's alert manager, which evaluates them. A rule or silence changed on another node
 * would only reach the leader when it next led; forwarded, it takes effect at once, and every
 * node reads the same rules, alerts and silences.
 */
import { ALERT_COMMANDS } from '../alerts/commands';

const LEADER_COMMANDS: ReadonlySet<string> = new Set(ALERT_COMMANDS.map((c) => c.name));

/** Route prefixes the leader answers (reads and writes). */
const LEADER_PREFIXES = ['/api/alerts', '/api/silences'];

/** True for a command the leader runs. */
export function isLeaderCommand(name: string): boolean {
  return LEADER_COMMANDS.has(name);
}

/** True for a request the leader answers (`/api/alerts`, `/api/silences` and below). */
export function isLeaderRoute(pathname: string): boolean {
  return LEADER_PREFIXES.some((p) => pathname === p || pathname.startsWith(`${p}/`));
}
