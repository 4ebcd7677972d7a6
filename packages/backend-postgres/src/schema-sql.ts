/**
 * The tables and functions of schema version 1. Every operation that writes is one call of a
 * function defined here, so that each is one statement, one round trip and one transaction, however
 * many steps it takes (check a condition, write, trim the project, raise the version floor).
 *
 * Locking rules, which keep these functions free of deadlocks:
 * - A removal (delete, prune, retention, and an import batch) first locks the project's row in
 *   `projects` (`lock_project`), then the entries. Plain puts never lock that row, and lock one entry.
 * - `version_floor` of a project is at least every version ever removed from it, so a deleted and
 *   re-created key never repeats a version (see `nextVersion` in @store/core). It only moves while
 *   its row is locked.
 *
 * Plans that do not depend on statistics. A fresh or just bulk-loaded table has none until
 * autovacuum analyzes it, and then the planner guesses: it took the list-order index to find one key
 * (filtering the whole project), or the primary key and a sort to list a page (reading the whole
 * project). So the list-order index starts with the expression `store || '/' || project`, which only
 * list-order queries use (a key lookup can then only take the primary key), and those queries run
 * with `enable_sort = off` (a page can then only walk the index). Store names and project ids cannot
 * contain '/', so the expression is unambiguous.
 *
 * Text columns that are compared or sorted use `COLLATE "C"` (byte order, no locale, and exact
 * equality). Timestamps are core's RFC 3339 UTC strings with milliseconds, stored as given: as text
 * they compare exactly as core compares them (`updated_at::timestamptz` converts them for queries).
 * Values are core's JSON text, stored as given: the `json`/`jsonb` types would refuse some strings
 * JavaScript accepts (a lone surrogate) and `jsonb` would reorder object keys.
 */
export function schemaVersion1(s: string): string {
  return `
CREATE TABLE ${s}.entries (
  store      text COLLATE "C" NOT NULL,
  project    text COLLATE "C" NOT NULL,
  key        text COLLATE "C" NOT NULL,
  key_order  bytea NOT NULL,
  value      text NOT NULL,
  task_id    text NOT NULL,
  created_at text COLLATE "C" NOT NULL,
  updated_at text COLLATE "C" NOT NULL,
  version    bigint NOT NULL,
  PRIMARY KEY (store, project, key)
);
COMMENT ON COLUMN ${s}.entries.key_order IS 'the key as UTF-16BE bytes: its byte order is JavaScript''s string order';
COMMENT ON COLUMN ${s}.entries.value IS 'the value as JSON text, exactly as serialized by @store/core';

-- List order (newest first, ties by key) is this index's order: pages, cursors, retention and prune
-- walk it instead of sorting. Its first column is an expression so that no key lookup can use it.
CREATE INDEX entries_recency ON ${s}.entries ((store || '/' || project), updated_at DESC, key_order);

CREATE TABLE ${s}.projects (
  store         text COLLATE "C" NOT NULL,
  project       text COLLATE "C" NOT NULL,
  version_floor bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (store, project)
);
COMMENT ON COLUMN ${s}.projects.version_floor IS 'at least every version removed from the project: new keys start above it';

-- Locks the project's row (creating it first), and returns its floor.
CREATE FUNCTION ${s}.lock_project(p_store text, p_project text) RETURNS bigint
LANGUAGE plpgsql AS $fn$
DECLARE
  v_floor bigint;
BEGIN
  SELECT version_floor INTO v_floor FROM ${s}.projects
   WHERE store = p_store AND project = p_project FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    INSERT INTO ${s}.projects (store, project) VALUES (p_store, p_project) ON CONFLICT DO NOTHING;
    SELECT version_floor INTO v_floor FROM ${s}.projects
     WHERE store = p_store AND project = p_project FOR NO KEY UPDATE;
  END IF;
  RETURN v_floor;
END
$fn$;

-- Raises the floor after a removal; the caller holds the project's lock.
CREATE FUNCTION ${s}.raise_floor(p_store text, p_project text, p_removed bigint) RETURNS void
LANGUAGE sql AS $fn$
  UPDATE ${s}.projects SET version_floor = p_removed
   WHERE store = p_store AND project = p_project AND version_floor < p_removed;
$fn$;

-- Removes every entry after the newest p_keep (in list order); the caller holds the project's lock.
CREATE FUNCTION ${s}.trim_project(p_store text, p_project text, p_keep integer) RETURNS bigint
LANGUAGE plpgsql SET enable_sort = off AS $fn$
DECLARE
  v_updated_at text;
  v_key_order bytea;
  v_removed bigint;
  v_highest bigint;
BEGIN
  SELECT updated_at, key_order INTO v_updated_at, v_key_order FROM ${s}.entries
   WHERE (store || '/' || project) = p_store || '/' || p_project
   ORDER BY updated_at DESC, key_order OFFSET p_keep LIMIT 1;
  IF NOT FOUND THEN
    RETURN 0;
  END IF;
  WITH removed AS (
    DELETE FROM ${s}.entries
     WHERE (store || '/' || project) = p_store || '/' || p_project
       AND updated_at <= v_updated_at AND (updated_at < v_updated_at OR key_order >= v_key_order)
    RETURNING version
  )
  SELECT count(*), max(version) INTO v_removed, v_highest FROM removed;
  IF v_highest IS NOT NULL THEN
    PERFORM ${s}.raise_floor(p_store, p_project, v_highest);
  END IF;
  RETURN v_removed;
END
$fn$;

-- A page in list order: newest first, ties by key; after (p_after_updated_at, p_after_key_order)
-- when they are set (keyset paging), entries updated before p_not_before ('' for none) left out.
CREATE FUNCTION ${s}.list_entries(
  p_store text, p_project text, p_not_before text, p_after_updated_at text, p_after_key_order bytea,
  p_limit integer, p_offset integer
) RETURNS TABLE (key text, value text, created_at text, updated_at text, task_id text, version bigint)
LANGUAGE plpgsql STABLE SET enable_sort = off AS $fn$
BEGIN
  IF p_after_updated_at IS NULL THEN
    RETURN QUERY
      SELECT e.key, e.value, e.created_at, e.updated_at, e.task_id, e.version FROM ${s}.entries e
       WHERE (e.store || '/' || e.project) = p_store || '/' || p_project AND e.updated_at >= p_not_before
       ORDER BY e.updated_at DESC, e.key_order LIMIT p_limit OFFSET p_offset;
  ELSE
    RETURN QUERY
      SELECT e.key, e.value, e.created_at, e.updated_at, e.task_id, e.version FROM ${s}.entries e
       WHERE (e.store || '/' || e.project) = p_store || '/' || p_project AND e.updated_at >= p_not_before
         AND e.updated_at <= p_after_updated_at
         AND (e.updated_at < p_after_updated_at OR e.key_order > p_after_key_order)
       ORDER BY e.updated_at DESC, e.key_order LIMIT p_limit OFFSET p_offset;
  END IF;
END
$fn$;

-- Inserts a new key, or returns NULL when a concurrent writer created it first.
CREATE FUNCTION ${s}.insert_entry(
  p_store text, p_project text, p_key text, p_key_order bytea, p_value text, p_task_id text,
  p_updated_at text, p_created_at text, p_version bigint
) RETURNS bigint
LANGUAGE plpgsql AS $fn$
DECLARE
  v_version bigint;
  v_floor bigint;
BEGIN
  INSERT INTO ${s}.entries (store, project, key, key_order, value, task_id, created_at, updated_at, version)
  VALUES (p_store, p_project, p_key, p_key_order, p_value, p_task_id, COALESCE(p_created_at, p_updated_at),
          p_updated_at,
          GREATEST(COALESCE((SELECT version_floor FROM ${s}.projects
                              WHERE store = p_store AND project = p_project), 0) + 1,
                   COALESCE(p_version, 0)))
  ON CONFLICT (store, project, key) DO NOTHING
  RETURNING version INTO v_version;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  -- The insert may have waited for a concurrent removal of this very key to commit, after its
  -- snapshot read the floor. This statement's snapshot sees that removal and the floor it raised.
  SELECT version_floor INTO v_floor FROM ${s}.projects WHERE store = p_store AND project = p_project;
  IF v_floor >= v_version THEN
    UPDATE ${s}.entries SET version = v_floor + 1
     WHERE store = p_store AND project = p_project AND key = p_key
    RETURNING version INTO v_version;
  END IF;
  RETURN v_version;
END
$fn$;

-- Upsert, conditional or not, with retention. Returns the version written, or (written NULL) the
-- live version that failed the condition (NULL when there is none); a failed condition writes nothing.
-- p_not_before is '' when the store has no TTL.
CREATE FUNCTION ${s}.put_entry(
  p_store text, p_project text, p_key text, p_key_order bytea, p_value text, p_task_id text,
  p_updated_at text, p_created_at text, p_version bigint,
  p_if_version bigint, p_if_absent boolean, p_not_before text, p_max_entries integer,
  OUT written bigint, OUT current_version bigint
)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_version bigint;
  v_updated_at text;
BEGIN
  IF p_max_entries IS NOT NULL THEN
    PERFORM ${s}.lock_project(p_store, p_project);
  END IF;
  IF p_if_version IS NOT NULL THEN
    -- Compare and set in one statement: a concurrent write makes it re-check the new row.
    UPDATE ${s}.entries
       SET key_order = p_key_order, value = p_value, task_id = p_task_id, updated_at = p_updated_at,
           created_at = COALESCE(p_created_at, created_at), version = GREATEST(version, COALESCE(p_version, 0)) + 1
     WHERE store = p_store AND project = p_project AND key = p_key
       AND version = p_if_version AND updated_at >= p_not_before
    RETURNING version INTO written;
    IF NOT FOUND THEN
      SELECT version INTO current_version FROM ${s}.entries
       WHERE store = p_store AND project = p_project AND key = p_key AND updated_at >= p_not_before;
      RETURN;
    END IF;
  ELSE
    LOOP
      IF p_if_absent THEN
        SELECT version, updated_at INTO v_version, v_updated_at FROM ${s}.entries
         WHERE store = p_store AND project = p_project AND key = p_key FOR UPDATE;
        IF FOUND AND v_updated_at >= p_not_before THEN
          current_version := v_version;
          RETURN;
        END IF;
      END IF;
      -- With ifAbsent only over an expired entry: a live one created since the check above (committed
      -- between the two statements) must not be overwritten; the insert then conflicts and the loop
      -- checks again, under the row's lock.
      UPDATE ${s}.entries
         SET key_order = p_key_order, value = p_value, task_id = p_task_id, updated_at = p_updated_at,
             created_at = COALESCE(p_created_at, created_at), version = GREATEST(version, COALESCE(p_version, 0)) + 1
       WHERE store = p_store AND project = p_project AND key = p_key
         AND (NOT p_if_absent OR updated_at < p_not_before)
      RETURNING version INTO written;
      EXIT WHEN FOUND;
      written := ${s}.insert_entry(p_store, p_project, p_key, p_key_order, p_value, p_task_id,
                                   p_updated_at, p_created_at, p_version);
      EXIT WHEN written IS NOT NULL;
    END LOOP;
  END IF;
  IF p_max_entries IS NOT NULL THEN
    PERFORM ${s}.trim_project(p_store, p_project, p_max_entries);
  END IF;
END
$fn$;

-- Delete, conditional or not. existed: a live entry was removed (an expired one is removed too, but
-- did not exist for the caller); conflicted: the live version was not p_if_version (current_version).
CREATE FUNCTION ${s}.delete_entry(
  p_store text, p_project text, p_key text, p_if_version bigint, p_not_before text,
  OUT existed boolean, OUT conflicted boolean, OUT current_version bigint
)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_version bigint;
  v_updated_at text;
BEGIN
  PERFORM ${s}.lock_project(p_store, p_project);
  DELETE FROM ${s}.entries
   WHERE store = p_store AND project = p_project AND key = p_key
     AND (p_if_version IS NULL OR (version = p_if_version AND updated_at >= p_not_before))
  RETURNING version, updated_at INTO v_version, v_updated_at;
  IF NOT FOUND THEN
    existed := false;
    conflicted := p_if_version IS NOT NULL;
    IF conflicted THEN
      SELECT version INTO current_version FROM ${s}.entries
       WHERE store = p_store AND project = p_project AND key = p_key AND updated_at >= p_not_before;
    END IF;
    RETURN;
  END IF;
  PERFORM ${s}.raise_floor(p_store, p_project, v_version);
  existed := v_updated_at >= p_not_before;
  conflicted := false;
END
$fn$;

-- Removes entries updated before p_older_than and those after the newest p_max_entries; either may be
-- NULL. Returns how many it removed.
CREATE FUNCTION ${s}.prune_entries(p_store text, p_project text, p_max_entries integer, p_older_than text)
RETURNS bigint
LANGUAGE plpgsql AS $fn$
DECLARE
  v_removed bigint := 0;
  v_count bigint;
  v_highest bigint;
BEGIN
  PERFORM ${s}.lock_project(p_store, p_project);
  IF p_older_than IS NOT NULL THEN
    WITH removed AS (
      DELETE FROM ${s}.entries
       WHERE (store || '/' || project) = p_store || '/' || p_project AND updated_at < p_older_than
      RETURNING version
    )
    SELECT count(*), max(version) INTO v_count, v_highest FROM removed;
    IF v_highest IS NOT NULL THEN
      PERFORM ${s}.raise_floor(p_store, p_project, v_highest);
    END IF;
    v_removed := v_count;
  END IF;
  IF p_max_entries IS NOT NULL THEN
    v_removed := v_removed + ${s}.trim_project(p_store, p_project, p_max_entries);
  END IF;
  RETURN v_removed;
END
$fn$;

-- Writes a batch of records (import) keeping their timestamps and versions, in one statement. No key
-- may repeat in a batch. The project stays locked, so no removal can move the floor while new keys
-- are numbered. ON CONFLICT finds existing keys through the primary key, row by row, whatever the
-- planner knows; the imported version and creation time of each key are looked up by key (jsonb).
CREATE FUNCTION ${s}.put_many(
  p_store text, p_project text, p_keys text[], p_key_orders bytea[], p_values text[], p_task_ids text[],
  p_created_at text[], p_updated_at text[], p_versions bigint[]
) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  v_floor bigint;
  v_versions jsonb := jsonb_object(p_keys, p_versions::text[]);
  v_created jsonb := jsonb_object(p_keys, p_created_at);
BEGIN
  v_floor := ${s}.lock_project(p_store, p_project);
  INSERT INTO ${s}.entries AS e (store, project, key, key_order, value, task_id, created_at, updated_at, version)
  SELECT p_store, p_project, b.key, b.key_order, b.value, b.task_id, COALESCE(b.created_at, b.updated_at),
         b.updated_at, GREATEST(v_floor + 1, COALESCE(b.version, 0))
    FROM unnest(p_keys, p_key_orders, p_values, p_task_ids, p_created_at, p_updated_at, p_versions)
      AS b(key, key_order, value, task_id, created_at, updated_at, version)
  ON CONFLICT (store, project, key) DO UPDATE
     SET key_order = EXCLUDED.key_order, value = EXCLUDED.value, task_id = EXCLUDED.task_id,
         updated_at = EXCLUDED.updated_at,
         created_at = CASE WHEN v_created ->> EXCLUDED.key IS NULL THEN e.created_at ELSE EXCLUDED.created_at END,
         version = GREATEST(e.version, COALESCE((v_versions ->> EXCLUDED.key)::bigint, 0)) + 1;
END
$fn$;
`;
}
