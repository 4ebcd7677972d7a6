/**
 * The Lua scripts. Redis runs a script atomically, so each op reads, checks and writes in one step:
 * no other client's command runs in between (that is what makes `ifVersion` and `ifAbsent` safe).
 * Every script gets the project's keys as KEYS[1..4] = values, meta, order, floor (see layout.ts).
 *
 * Timestamps are compared byte by byte in `older`, not with Lua's `<`: Redis sets LC_COLLATE from
 * the environment, and Lua's string `<` uses strcoll, which may ignore punctuation.
 */

const COMMON = `
local function parse(meta)
  local version, created, updated = string.match(meta, '^(%d+) (%S+) (%S+) ')
  return tonumber(version), created, updated
end

local function older(a, b)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

local function clock(updated)
  return (string.gsub(updated, '%d', function(d) return string.char(105 - string.byte(d)) end))
end

local function member(updated, field)
  return clock(updated) .. ' ' .. field
end

local function field_of(m)
  return string.sub(m, ${24 + 2})
end

local function raise_floor(version)
  local floor = tonumber(redis.call('GET', KEYS[4])) or 0
  if version > floor then redis.call('SET', KEYS[4], string.format('%d', version)) end
end

-- Removes one entry given its order member; its version raises the floor.
local function remove_member(m)
  local field = field_of(m)
  local meta = redis.call('HGET', KEYS[2], field)
  if meta then raise_floor(parse(meta)) end
  redis.call('HDEL', KEYS[1], field)
  redis.call('HDEL', KEYS[2], field)
  redis.call('ZREM', KEYS[3], m)
end

-- Removes the members from rank 'from' on, at most 'count' of them; returns how many.
local function remove_from_rank(from, count)
  if count <= 0 then return 0 end
  local excess = redis.call('ZRANGE', KEYS[3], from, from + count - 1)
  for _, m in ipairs(excess) do remove_member(m) end
  return #excess
end
`;

/**
 * put. ARGV: field, json, taskId, updatedAt, createdAt|'', importedVersion|'', maxEntries|'',
 * notBefore|'', ifVersion|'', ifAbsent ('1'|''). Returns {1, version written} or, when the condition
 * fails, {0, live version or 0} having written nothing.
 */
export const PUT = `${COMMON}
local field, updated_at, not_before = ARGV[1], ARGV[4], ARGV[8]
local meta = redis.call('HGET', KEYS[2], field)
local version, created, updated
if meta then version, created, updated = parse(meta) end
local live = meta and (not_before == '' or not older(updated, not_before))
if ARGV[10] == '1' and live then return {0, version} end
if ARGV[9] ~= '' and not (live and version == tonumber(ARGV[9])) then
  return {0, live and version or 0}
end
local imported = tonumber(ARGV[6]) or 0
local next_version
if version then
  next_version = math.max(version, imported) + 1
else
  next_version = math.max((tonumber(redis.call('GET', KEYS[4])) or 0) + 1, imported)
end
if meta then redis.call('ZREM', KEYS[3], member(updated, field)) end
local created_at = ARGV[5]
if created_at == '' then created_at = created or updated_at end
redis.call('HSET', KEYS[1], field, ARGV[2])
redis.call('HSET', KEYS[2], field, string.format('%d', next_version) .. ' ' .. created_at .. ' ' .. updated_at .. ' ' .. ARGV[3])
redis.call('ZADD', KEYS[3], 0, member(updated_at, field))
if ARGV[7] ~= '' then
  local max = tonumber(ARGV[7])
  remove_from_rank(max, redis.call('ZCARD', KEYS[3]) - max)
end
return {1, next_version}
`;

/**
 * delete. ARGV: field, notBefore|'', ifVersion|''. Returns {1, 1 if a live entry was removed else 0}
 * or {0, live version or 0} when the condition fails. An expired entry is removed too (not counted).
 */
export const DELETE = `${COMMON}
local field, not_before = ARGV[1], ARGV[2]
local meta = redis.call('HGET', KEYS[2], field)
local version, created, updated
if meta then version, created, updated = parse(meta) end
local live = meta and (not_before == '' or not older(updated, not_before))
if ARGV[3] ~= '' and not (live and version == tonumber(ARGV[3])) then
  return {0, live and version or 0}
end
if not meta then return {1, 0} end
remove_member(member(updated, field))
return {1, live and 1 or 0}
`;

/** get. ARGV: field, notBefore|''. Returns {meta, json}, or nil when absent or expired. */
export const GET = `${COMMON}
local meta = redis.call('HGET', KEYS[2], ARGV[1])
if not meta then return false end
if ARGV[2] ~= '' then
  local _, _, updated = parse(meta)
  if older(updated, ARGV[2]) then return false end
end
return {meta, redis.call('HGET', KEYS[1], ARGV[1])}
`;

/**
 * list. ARGV: min, max (ZRANGE BYLEX bounds), offset, limit. Returns {fields, metas, values}, three
 * parallel arrays in list order. Without bounds it pages by rank, which skips in O(log n).
 */
export const LIST = `${COMMON}
local offset, limit = tonumber(ARGV[3]), tonumber(ARGV[4])
local members
if ARGV[1] == '-' and ARGV[2] == '+' then
  members = redis.call('ZRANGE', KEYS[3], offset, offset + limit - 1)
else
  members = redis.call('ZRANGE', KEYS[3], ARGV[1], ARGV[2], 'BYLEX', 'LIMIT', offset, limit)
end
if #members == 0 then return {{}, {}, {}} end
local fields = {}
for i, m in ipairs(members) do fields[i] = field_of(m) end
return {fields, redis.call('HMGET', KEYS[2], unpack(fields)), redis.call('HMGET', KEYS[1], unpack(fields))}
`;

/**
 * prune, one batch. ARGV: maxEntries|'', olderThan bound|'', batch. Removes at most `batch` entries:
 * first those older than the bound (the tail of the order), then those beyond the newest maxEntries.
 * Returns how many it removed; the caller repeats while a batch comes back full.
 */
export const PRUNE = `${COMMON}
local batch, removed = tonumber(ARGV[3]), 0
if ARGV[2] ~= '' then
  local old = redis.call('ZRANGE', KEYS[3], ARGV[2], '+', 'BYLEX', 'LIMIT', 0, batch)
  for _, m in ipairs(old) do remove_member(m) end
  removed = #old
end
if ARGV[1] ~= '' then
  removed = removed + remove_from_rank(tonumber(ARGV[1]), batch - removed)
end
return removed
`;
