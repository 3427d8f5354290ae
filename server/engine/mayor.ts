/**
 * The Mayor's dispatch: ready beads to idle polecats. A bead is ready when it is open
 * and every bead it depends on is done. Order: priority (0 first), then age. The Mayor
 * only chooses; the Town carries the assignment out.
 */
import type { Bead, Polecat, Rig } from './model';

export interface Assignment {
  bead: Bead;
  polecat: Polecat;
}

export interface DispatchView {
  rigs: Rig[];
  beads: Iterable<Bead>;
  idlePolecats(rig: string): Polecat[];
  /** Status of a bead by id; undefined when it is no longer in play (done). */
  beadStatus(id: string): Bead['status'] | undefined;
}

export function isReady(bead: Bead, view: Pick<DispatchView, 'beadStatus'>): boolean {
  if (bead.status !== 'open') return false;
  return bead.dependsOn.every((dep) => {
    const status = view.beadStatus(dep);
    return status === undefined || status === 'done' || status === 'closed';
  });
}

export function planDispatch(view: DispatchView): Assignment[] {
  const assignments: Assignment[] = [];
  const ready = [...view.beads]
    .filter((b) => isReady(b, view))
    .sort((a, b) => a.priority - b.priority || a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  const idleByRig = new Map<string, Polecat[]>();
  for (const rig of view.rigs) {
    if (rig.status === 'active') idleByRig.set(rig.name, [...view.idlePolecats(rig.name)]);
  }
  for (const bead of ready) {
    const polecat = idleByRig.get(bead.rig)?.shift();
    if (polecat) assignments.push({ bead, polecat });
  }
  return assignments;
}
