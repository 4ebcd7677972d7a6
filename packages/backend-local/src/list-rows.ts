import type { ListQuery, StoreRef } from "@store/core/backend";
import { encodeKey } from "./key-encoding";
import type { ListRow } from "./rows";
import type { Statements } from "./statements";
import { cutoff, toMillis } from "./timestamps";

/**
 * The rows of one page in list order, through the recency index: the first page straight off it, a
 * page at an offset by a deferred join, a keyset page as two seeks (the rest of the cursor's own
 * timestamp by key, then older timestamps).
 */
export function listRows(
  s: Statements,
  ref: StoreRef,
  { limit, offset, after, notBefore }: ListQuery,
): ListRow[] {
  const { store, project } = ref;
  const from = cutoff(notBefore);
  if (after === undefined) {
    return (
      offset === 0
        ? s.list.all(store, project, from, limit)
        : s.listAt.all(store, project, from, limit, offset)
    ) as ListRow[];
  }
  const key = encodeKey(after.key);
  const at = toMillis(after.updatedAt);
  if (offset > 0) {
    return s.listAfterOffset.all(store, project, at, at, key, from, limit, offset) as ListRow[];
  }
  const ties = s.listTies.all(store, project, at, key, from, limit) as ListRow[];
  if (ties.length === limit) return ties;
  const older = s.listOlder.all(store, project, at, from, limit - ties.length) as ListRow[];
  return ties.length === 0 ? older : ties.concat(older);
}
