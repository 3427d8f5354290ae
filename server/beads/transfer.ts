/**
 * Beads in and out of a town in the interchange format (`bd import`, `bd export`): the
 * file is parsed whole (interchange.ts: a malformed line is named and nothing is
 * imported), then handed to the engine's import (engine/bead-import.ts: one transaction).
 */
import { invalid } from '../engine/errors';
import type { ImportResult } from '../engine/bead-import';
import type { TownStore } from '../engine/ports';
import type { Town } from '../engine/town';
import { parseBeadsJsonl, serializeBeadsJsonl, toInterchange } from './interchange';

/** Imports an `issues.jsonl` file's beads; new ones go to `rig`. All or nothing. */
export function importBeadsFile(town: Town, jsonl: string, rig?: string): Promise<ImportResult> {
  const parsed = parseBeadsJsonl(jsonl);
  if (!parsed.ok) throw invalid(`line ${parsed.line}: ${parsed.error}`, { line: parsed.line });
  return town.beads.import(parsed.beads, rig);
}

/** Every bead of the town (or of one rig), in play and history, oldest first, as `issues.jsonl`. */
export async function exportBeadsFile(town: Town, store: TownStore, rig?: string): Promise<string> {
  const byId = new Map((await store.listBeads({ rig })).map((b) => [b.id, b]));
  // Beads in play from memory: fresher than their last write.
  for (const bead of town.beads.list()) if (rig === undefined || bead.rig === rig) byId.set(bead.id, bead);
  const beads = [...byId.values()].sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  return serializeBeadsJsonl(beads.map((b) => toInterchange(b)));
}
