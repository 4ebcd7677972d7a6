#!/bin/sh
# Reference provider for @store/backend-command, protocol v1, in POSIX sh (plus sha256sum/shasum).
# One file per entry under $KV_DIR (default: the working directory): <store>/p-<project>/<name>.
#   line 1: updated_at TAB sort-key TAB name TAB created_at   (the index line)
#   line 2: {"key":…,"updated_at":…,"created_at":…,"task_id":…   (the entry without its value)
#   line 3: the value (core's JSON, always one line)
# A put writes a temporary file and renames it, so readers see the old entry or the new one.
# Usage in a manifest:  commands: { get: ./kv.sh get, put: ./kv.sh put, delete: ./kv.sh delete,
#                                   list: ./kv.sh list, prune: ./kv.sh prune }
set -eu
export LC_ALL=C
TAB='	'
dir=${KV_DIR:-.}/$STORE_NAME/p-$PROJECT_ID

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
  [ -d "$dir" ] || mkdir -p "$dir"
  f=$dir/$n
  now=${UPDATED_AT:-$(date -u +%Y-%m-%dT%H:%M:%S.000Z)}
  created=${CREATED_AT:-}
  if [ -z "$created" ] && [ -f "$f" ]; then IFS=$TAB read -r u sk nm created <"$f" || :; fi
  created=${created:-$now}
  esc "$KEY"; k=$r
  esc "${TASK_ID:-}"; t=$r
  tmp=$dir/.tmp.$$
  {
    printf '%s\t%s\t%s\t%s\n' "$now" "$s" "$n" "$created"
    printf '{"key":"%s","updated_at":"%s","created_at":"%s","task_id":"%s"\n' "$k" "$now" "$created" "$t"
    # $VALUE holds the value unless it is too large for the environment: then only stdin does.
    if [ -n "${VALUE+set}" ]; then printf '%s\n' "$VALUE"; else cat; echo; fi
  } >"$tmp"
  mv -f "$tmp" "$f"
  ;;
delete)
  name
  if rm "$dir/$n" 2>/dev/null; then echo '{"existed":true}'; else echo '{"existed":false}'; fi
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
  cd "$dir"
  older=${OLDER_THAN:-}
  # OLDER_THAN (core's clock) is set whenever TTL_DAYS is; computing it here needs GNU date.
  if [ -z "$older" ] && [ -n "${TTL_DAYS:-}" ]; then older=$(date -u -d "-$TTL_DAYS days" +%Y-%m-%dT%H:%M:%S.000Z); fi
  victims=$(NOT_BEFORE='' index | awk -F "$TAB" -v max="${MAX_ENTRIES:-}" -v ot="$older" \
    '(max != "" && NR > max + 0) || (ot != "" && $1 < ot) { print $3 }')
  set -f
  # shellcheck disable=SC2086
  set -- $victims
  [ $# -eq 0 ] || rm -f -- "$@"
  printf '{"removed":%d}\n' $#
  ;;
*)
  echo "usage: kv.sh get|put|delete|list|prune (run by @store/backend-command)" >&2
  exit 2
  ;;
esac
