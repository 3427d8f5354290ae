/**
 * The Mayor's dispatch: ready beads to idle polecats. A bead is ready when it is open
 * and every bead it depends on is done. Order: priority (0 first), then age. The Mayor
 * only chooses; the Town carries the assignment out.
 */
import type { Bead, Polecat, Rig } from '../../contracts/records';

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
  const active = new Set(view.rigs.filter((r) => r.status === 'active').map((r) => r.name));
  // Idle polecats are listed only for rigs that have a ready bead: a town of a hundred
  // rigs dispatches after every landing, and most rigs have nothing to hand out.
  const idleByRig = new Map<string, Polecat[]>();
  for (const bead of ready) {
    if (!active.has(bead.rig)) continue;
    let idle = idleByRig.get(bead.rig);
    if (!idle) idleByRig.set(bead.rig, (idle = [...view.idlePolecats(bead.rig)]));
    const polecat = idle.shift();
    if (polecat) assignments.push({ bead, polecat });
  }
  return assignments;
}
