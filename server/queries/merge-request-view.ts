/**
 * A merge request's page: the request as the queue holds it (fresh to the tick) or, once
 * it has left the queue, as the store recorded it, with every step of the validation that
 * decided it (setup and checks: exit status, duration, output tail).
 */
import type { MergeRequestDetail } from '../../contracts/town';
import type { TownStore } from '../engine/ports';
import type { Town } from '../engine/town';

export async function mergeRequestView(
  town: Town,
  store: TownStore,
  rig: string,
  id: string,
): Promise<MergeRequestDetail | null> {
  const live = town.rigs.get(rig) ? town.rigs.mergeQueue(rig).find((mr) => mr.id === id) : undefined;
  const mergeRequest = live ?? (await store.listMergeRequests({ rig, ids: [id], limit: 1 }))[0];
  if (!mergeRequest || mergeRequest.rig !== rig) return null;
  const bead = town.beads.get(mergeRequest.beadId) ?? (await store.getBead(mergeRequest.beadId));
  return { mergeRequest: structuredClone(mergeRequest), beadTitle: bead?.title ?? null, inQueue: live !== undefined };
}
