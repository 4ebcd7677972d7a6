import type { StoreRef } from "@store/core/backend";

/**
 * The Redis keys of one (store, project). Store names and project ids are `[A-Za-z0-9._-]` (core
 * checks), so `store/project` cannot collide with another pair. The braces make it a hash tag: all
 * keys of a project hash to one cluster slot, so every script touches a single slot.
 *
 *   <prefix>{<store>/<project>}:values  HASH  encoded key -> the value's JSON text
 *   <prefix>{<store>/<project>}:meta    HASH  encoded key -> "<version> <createdAt> <updatedAt> <taskId>"
 *   <prefix>{<store>/<project>}:order   ZSET  score 0, member clock(updatedAt) + " " + encoded key
 *   <prefix>{<store>/<project>}:floor   STRING  the highest version ever removed from the project
 */
export interface ProjectKeys {
  values: string;
  meta: string;
  order: string;
  floor: string;
}

export function projectKeys(keyPrefix: string, ref: StoreRef): ProjectKeys {
  const base = `${keyPrefix}{${ref.store}/${ref.project}}:`;
  return { values: `${base}values`, meta: `${base}meta`, order: `${base}order`, floor: `${base}floor` };
}

/** The four keys in the order every script declares them (KEYS[1..4]). */
export function keyList(keys: ProjectKeys): [string, string, string, string] {
  return [keys.values, keys.meta, keys.order, keys.floor];
}
