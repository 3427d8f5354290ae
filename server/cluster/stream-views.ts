/**
 * The other nodes' views for this node's live streams (server/realtime/topics.ts,
 * `RemoteViews`): a rig another node runs, as that node answers GET /api/rigs/<rig>, and the
 * other nodes' parts of the overview. Asked as this node (a viewer by its name), through the
 * same Forwarder as the JSON API's relayed reads.
 */
import type { RigDetail } from '../../contracts/realtime';
import type { RemoteViews } from '../realtime/topics';
import type { Forwarder } from './forward';
import type { TownReads } from './town-reads';

/** The message of an `{ error: { message } }` answer, or the status. */
async function refusal(answer: Response): Promise<string> {
  const body = (await answer.json().catch(() => null)) as { error?: { message?: string } } | null;
  return body?.error?.message ?? `answered ${answer.status}`;
}

export function clusterStreamViews(forwarder: Forwarder, reads: TownReads): RemoteViews {
  return {
    async admitRig(rig) {
      const placement = await forwarder.place(rig);
      if (placement.at === 'unavailable') return placement.message;
      return placement.at === 'here' ? `no such topic 'rig:${rig}'` : null;
    },
    async rigDetail(rig): Promise<RigDetail | null> {
      const answer = await forwarder.forRig(rig, {
        method: 'GET',
        target: `/api/rigs/${encodeURIComponent(rig)}`,
        actor: reads.self,
        accept: 'application/json',
      });
      if (!answer || answer.status === 404) {
        await answer?.body?.cancel();
        return null;
      }
      if (answer.status !== 200) throw new Error(`rig ${rig}: ${await refusal(answer)}`);
      return (await answer.json()) as RigDetail;
    },
    otherNodes: (localRigs) => reads.otherNodes(reads.self, localRigs),
  };
}
