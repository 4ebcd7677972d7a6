import type { StoreRef } from "@store/core/backend";
import type { Statements } from "./statements";

/**
 * Every removal keeps the project's row in \`projects\` right in the same transaction: \`floor\` rises to
 * the largest version removed, so a re-created key never repeats one, and a counted project's \`n\`
 * drops by what was removed. Once per statement rather than once per row, as a trigger would: see
 * docs/DECISIONS.md. All of these run inside BEGIN IMMEDIATE.
 */

/** Records that \`removed\` entries went, the largest version among them \`top\`; \`count\`: the exact n now. */
export function recordRemoval(
  s: Statements,
  ref: StoreRef,
  top: number,
  removed: number,
  count: number | null = null,
): void {
  s.removed.run({ store: ref.store, project: ref.project, floor: top, removed, count });
}

/**
 * Removes every entry after the newest \`keep\`, found by position in the recency index, so the result
 * is right even when the count is not (rows another program deleted leave it too high). Leaves a
 * counted project's count exact: \`keep\` when something went, else counted again (prune is rare and
 * walks the project anyway).
 */
export function removeBeyond(s: Statements, ref: StoreRef, keep: number): number {
  const top = s.beyondTop.get(ref.store, ref.project, keep) as number | null;
  if (top !== null) {
    const removed = s.deleteBeyond.run(ref.store, ref.project, keep).changes;
    recordRemoval(s, ref, top, removed, keep);
    return removed;
  }
  if (projectCount(s, ref) !== null) s.countProject.run({ store: ref.store, project: ref.project });
  return 0;
}

/** Removes the entries updated before \`before\` (epoch ms). */
export function removeOlder(s: Statements, ref: StoreRef, before: number): number {
  const top = s.olderTop.get(ref.store, ref.project, before) as number | null;
  if (top === null) return 0;
  const removed = s.deleteOlder.run(ref.store, ref.project, before).changes;
  recordRemoval(s, ref, top, removed);
  return removed;
}

/** The project's entry count, or null while no retention has counted it. */
function projectCount(s: Statements, ref: StoreRef): number | null {
  return (s.project.get(ref.store, ref.project) as [number | null, number] | undefined)?.[0] ?? null;
}

/** The project's entry count and floor, counting its entries now if retention never did. */
export function countOf(s: Statements, ref: StoreRef): { n: number; floor: number } {
  const row = s.project.get(ref.store, ref.project) as [number | null, number] | undefined;
  if (row && row[0] !== null) return { n: row[0], floor: row[1] };
  s.countProject.run({ store: ref.store, project: ref.project });
  const counted = s.project.get(ref.store, ref.project) as [number, number];
  return { n: counted[0], floor: counted[1] };
}
