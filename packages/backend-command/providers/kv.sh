#!/bin/sh
# Reference provider for @store/backend-command, protocol v1, in POSIX sh (plus sha256sum/shasum).
# One file per entry under $KV_DIR (default: the working directory): <store>/p-<project>/<name>.
#   line 1: updated_at TAB sort-key TAB name TAB created_at TAB version   (the index line)
#   line 2: {"key":…,"updated_at":…,"created_at":…,"task_id":…,"version":N   (the entry without its value)
#   line 3: the value (core's JSON, always one line)
# Writes of a project take its lock, so checking IF_VERSION / IF_ABSENT and writing are one step, and
# versions never repeat: .floor holds the highest version ever removed. A put writes a temporary file
# and renames it, so readers (who take no lock) see the old entry or the new one.
# Usage in a manifest:  commands: { get: ./kv.sh get, put: ./kv.sh put, delete: ./kv.sh delete,
#                                   list: ./kv.sh list, prune: ./kv.sh prune }
#                       put_reads_stdin: true
#                       conditional_writes: true
set -eu
export LC_ALL=C
TAB='	'
case ${KV_DIR:-.} in
/*) dir=$KV_DIR/$STORE_NAME/p-$PROJECT_ID ;;
*) dir=$PWD/${KV_DIR:-.}/$STORE_NAME/p-$PROJECT_ID ;;
esac

# The file name of $KEY: short lower-case keys as they are, everything else hashed (no case folding,
# no path tricks, no length limits). The two forms cannot collide: "k…" versus "h…".
name() {
  case $KEY in
    *[!a-z0-9_-]*) ;;
    *) if [ ${#KEY} -le 100 ]; then n=k$KEY; return; fi ;;
  esac
  if command -v sha256sum >/dev/null 2>&1; then h=$(printf '%s' "$KEY" | sha256sum); else h=$(printf '%s' "$KEY" | shasum -a 256); fi
  n=h${h%% *}
}

# JSON string body of $1 (keys and task ids hold no control characters: only " and \ need escaping).
esc() {
  case $1 in
    *[\\\"]*) r=$(printf '%s' "$1" | sed 's/[\\"]/\\&/g') ;;
    *) r=$1 ;;
  esac
}

# A sort key whose byte order is JavaScript's (UTF-16) order: UTF-8 lead bytes of U+E000-U+FFFF
# (EE, EF) move above those of U+10000 and up (F0-F4), as surrogates sort below U+E000 in UTF-16.
sortkey() {
  case $KEY in
    *[!\ -~]*) s=$(printf '%s' "$KEY" | tr '\356\357\360\361\362\363\364' '\363\364\356\357\360\361\362') ;;
    *) s=$KEY ;;
  esac
}

# Index lines of the entries in $dir (the working directory by then), newest first, ties by key.
index() {
  set -- [kh]*
  [ -e "$1" ] || return 0
  awk -F "$TAB" -v nb="${NOT_BEFORE:-}" 'FNR == 1 { if ($1 >= nb) print; nextfile }' "$@" |
    sort -t "$TAB" -k1,1r -k2,2
}

# The project's write lock, released when this script exits: flock(1) where there is one; else a lock
# file created only if absent (set -C) holding this shell's pid, broken when that pid is gone (a holder
# killed by a timeout). KV_LOCK=pid chooses the lock file where flock exists.
lock() {
  [ -d "$dir" ] || mkdir -p "$dir"
  if [ "${KV_LOCK:-}" != pid ] && command -v flock >/dev/null 2>&1; then
    exec 9>"$dir/.lock"
    flock 9
    return
  fi
  l=$dir/.lock.pid
  set -C
  until { echo $$ >"$l"; } 2>/dev/null; do
    holder=
    read -r holder 2>/dev/null <"$l" || :
    if [ -n "$holder" ] && ! kill -0 "$holder" 2>/dev/null; then rm -f "$l"; else sleep 0.01; fi
  done
  set +C
  trap 'rm -f "$l"' EXIT
}

# The entry at $f: cur = its version (expired or not), live = the version of a live entry, or empty.
current() {
  cur='' live='' created='' u=''
  if [ -f "$f" ]; then IFS=$TAB read -r u sk nm created cur <"$f" || :; fi
  if [ -n "$cur" ] && { [ -z "${NOT_BEFORE:-}" ] || ! [ "$u" \< "$NOT_BEFORE" ]; }; then live=$cur; fi
}

# A failed IF_ABSENT / IF_VERSION: exit 75 with the live entry's version, writing nothing.
check() {
  if { [ "${IF_ABSENT:-}" = 1 ] && [ -n "$live" ]; } || { [ -n "${IF_VERSION:-}" ] && [ "$IF_VERSION" != "$live" ]; }; then
    printf '{"version":%s}\n' "${live:-null}"
    exit 75
  fi
}

# Raises .floor (the highest version removed) to $1, before the removal itself.
raise() {
  fl=0
  if [ -f "$dir/.floor" ]; then read -r fl <"$dir/.floor" || :; fi
  if [ "$1" -gt "${fl:-0}" ]; then
    printf '%s\n' "$1" >"$dir/.floor.tmp"
    mv -f "$dir/.floor.tmp" "$dir/.floor"
  fi
}

case ${1:-} in
get)
  name
  f=$dir/$n
  [ -f "$f" ] || exit 0
  if [ -n "${NOT_BEFORE:-}" ]; then
    IFS=$TAB read -r u rest <"$f" || exit 0
    if [ "$u" \< "$NOT_BEFORE" ]; then exit 0; fi
  fi
  # The metadata line, then the value (the backend's get extension); a seed-style provider would
  # print the value alone:  sed -n 3p "$f"
  awk 'NR == 2 { print $0 "}" } NR == 3 { print; exit }' "$f"
  ;;
put)
  name
  sortkey
  lock
  f=$dir/$n
  current
  check
  imported=${IMPORTED_VERSION:-0}
  if [ -n "$cur" ]; then
    v=$(((cur > imported ? cur : imported) + 1))
  else
    fl=0
    if [ -f "$dir/.floor" ]; then read -r fl <"$dir/.floor" || :; fi
    v=$((${fl:-0} + 1 > imported ? ${fl:-0} + 1 : imported))
  fi
  now=${UPDATED_AT:-$(date -u +%Y-%m-%dT%H:%M:%S.000Z)}
  created=${CREATED_AT:-${created:-$now}}
  esc "$KEY"; k=$r
  esc "${TASK_ID:-}"; t=$r
  tmp=$dir/.tmp.$$
  {
    printf '%s\t%s\t%s\t%s\t%s\n' "$now" "$s" "$n" "$created" "$v"
    printf '{"key":"%s","updated_at":"%s","created_at":"%s","task_id":"%s","version":%s\n' "$k" "$now" "$created" "$t" "$v"
    # $VALUE holds the value unless it is too large for the environment: then only stdin does.
    if [ -n "${VALUE+set}" ]; then printf '%s\n' "$VALUE"; else cat; echo; fi
  } >"$tmp"
  mv -f "$tmp" "$f"
  printf '{"version":%s}\n' "$v"
  ;;
delete)
  name
  lock
  f=$dir/$n
  current
  check
  [ -n "$cur" ] || { echo '{"existed":false}'; exit 0; }
  raise "$cur"
  rm -f "$f"
  if [ -n "$live" ]; then echo '{"existed":true}'; else echo '{"existed":false}'; fi
  ;;
list)
  [ -d "$dir" ] || { echo '[]'; exit 0; }
  cd "$dir"
  names=$(index | awk -F "$TAB" -v s="$((OFFSET + 1))" -v e="$((OFFSET + LIMIT))" 'NR > e { exit } NR >= s { print $3 }')
  [ -n "$names" ] || { echo '[]'; exit 0; }
  set -f
  # shellcheck disable=SC2086 # names are [a-z0-9_-] or hex: splitting on newlines is safe
  set -- $names
  printf '['
  awk 'FNR == 1 { if (NR > 1) printf ","; next } FNR == 2 { printf "%s,\"value\":", $0; next } FNR == 3 { printf "%s}", $0 }' "$@"
  printf ']\n'
  ;;
prune)
  [ -d "$dir" ] || { echo '{"removed":0}'; exit 0; }
  lock
  cd "$dir"
  older=${OLDER_THAN:-}
  # OLDER_THAN (core's clock) is set whenever TTL_DAYS is; computing it here needs GNU date.
  if [ -z "$older" ] && [ -n "${TTL_DAYS:-}" ]; then older=$(date -u -d "-$TTL_DAYS days" +%Y-%m-%dT%H:%M:%S.000Z); fi
  # The highest version removed first, then the names of the entries to remove.
  victims=$(NOT_BEFORE='' index | awk -F "$TAB" -v max="${MAX_ENTRIES:-}" -v ot="$older" '
    (max != "" && NR > max + 0) || (ot != "" && $1 < ot) { names[++c] = $3; if ($5 + 0 > top) top = $5 + 0 }
    END { print top + 0; for (i = 1; i <= c; i++) print names[i] }')
  set -f
  # shellcheck disable=SC2086
  set -- $victims
  raise "$1"
  shift
  [ $# -eq 0 ] || rm -f -- "$@"
  printf '{"removed":%d}\n' $#
  ;;
*)
  echo "usage: kv.sh get|put|delete|list|prune (run by @store/backend-command)" >&2
  exit 2
  ;;
esac
