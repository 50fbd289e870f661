# Shared helpers of scripts/bench/*: sourced, not run. The caller sets NAME
# (log prefix) before sourcing. Every process started here is tracked by PID
# and stopped on exit, failure or Ctrl-C; nothing listens beyond 127.0.0.1.
# shellcheck shell=bash disable=SC2034  # globals are read by the sourcing script

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=$ROOT/build/troupe
TICK=$(getconf CLK_TCK)

log() { echo "$NAME: $*" >&2; }
die() { log "error: $*"; exit 1; }

PIDS=()        # processes we started, stopped in reverse order on exit
WORK=""        # temp dir of this run (configs, logs, data)
PG_DIR=""      # TROUPE_PG_DIR of our private PostgreSQL, when started

# stop_pid PID [WHAT]: stops PID if it is still a child of ours (a reused
# PID is left alone); warns when it dies other than of SIGTERM (a crash).
stop_pid() {
  local pid=$1 i
  [[ $(ps -o ppid= -p "$pid" 2>/dev/null | tr -d ' ') == "$$" ]] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  ((i < 50)) || kill -KILL "$pid" 2>/dev/null || true
  local rc=0
  wait "$pid" 2>/dev/null || rc=$?
  ((rc == 0 || rc == 143)) || log "warning: pid $pid (${2:-?}) exited with status $rc when stopped"
}

cleanup() {
  local i
  trap - EXIT INT TERM
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[i]}" "$(ps -o comm= -p "${PIDS[i]}" || true)"; done
  PIDS=()
  if [[ -n $PG_DIR ]]; then
    TROUPE_PG_DIR=$PG_DIR "$ROOT/scripts/pg" stop 2>/dev/null || true
    rm -rf "$PG_DIR"
  fi
  [[ -z $WORK || -n ${KEEP:-} ]] || rm -rf "$WORK"
  [[ -z ${KEEP:-} ]] || log "kept $WORK"
}
trap cleanup EXIT
trap 'log interrupted; exit 130' INT TERM

# A work dir that nginx workers (user nobody when run as root) can read.
make_work() { WORK=$(mktemp -d -t "troupe-$NAME.XXXXXX"); chmod 755 "$WORK"; }

# Runs "$@" in the background, tracked; sets LAST_PID.
spawn() { "$@" & LAST_PID=$!; PIDS+=("$LAST_PID"); }

# Runs "$@" in the background and waits for it, so that Ctrl-C stops it at once.
run_fg() {
  local pid rc=0
  spawn "$@"; pid=$LAST_PID
  wait "$pid" || rc=$?
  local kept=() p
  for p in "${PIDS[@]}"; do [[ $p == "$pid" ]] || kept+=("$p"); done
  PIDS=("${kept[@]}")
  return "$rc"
}

pause() { run_fg sleep "$1"; }

free_ports() {
  python3 -c 'import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))' "$1"
}

http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1" || true; }

# wait_http URL PID SECONDS LOG: until URL answers 200, while PID lives.
wait_http() {
  local deadline=$((SECONDS + $3))
  until [[ $(http_code "$1") == 200 ]]; do
    kill -0 "$2" 2>/dev/null || { tail -n 20 "$4" >&2; die "pid $2 exited before $1 answered"; }
    ((SECONDS < deadline)) || { tail -n 20 "$4" >&2; die "$1 not ready after $3 s"; }
    sleep 0.2
  done
}

# Sum of the samples of metric NAME (any labels) at URL.
metric() {
  curl -sf --max-time 5 "$1" | awk -v n="$2" '
    index($0, n) == 1 && (substr($0, length(n) + 1, 1) ~ /[{ ]/) { v += $NF }
    END { printf "%.0f\n", v }'
}

# CPU clock ticks (user+system) of PID; with a second argument "c" also of
# its reaped children.
ticks() {
  awk -v c="${2:-}" '{ sub(/^.*\) /, ""); print $12 + $13 + (c ? $14 + $15 : 0) }' "/proc/$1/stat"
}

# Ticks of PID and its live children (nginx: master and workers).
tree_ticks() {
  local c total
  total=$(ticks "$1")
  for c in $(ps --ppid "$1" -o pid=); do total=$((total + $(ticks "$c" 2>/dev/null || echo 0))); done
  echo "$total"
}

start_pg() {
  PG_DIR=$(mktemp -d -t troupe-pg.XXXXXX)
  log "starting PostgreSQL in $PG_DIR"
  DSN=$(TROUPE_PG_DIR=$PG_DIR "$ROOT/scripts/pg" start 2>>"$WORK/pg-start.log") \
    || { cat "$WORK/pg-start.log" >&2; die "PostgreSQL did not start"; }
}

# STATEMENTS=N in the environment: where PostgreSQL's time goes.
# statements_enable (re)starts the private PostgreSQL of PG_DIR with
# pg_stat_statements (planning tracked too); statements_reset DSN before the
# measured run and statements_report DSN after it print, on stderr, the N
# statements that took the most time in it. The extension costs a little:
# the figures of such a run are for reading, not for comparing.
statements_enable() {
  [[ -n ${STATEMENTS:-} ]] || return 0
  [[ $STATEMENTS =~ ^[1-9][0-9]*$ ]] || die "STATEMENTS needs a positive number"
  log "STATEMENTS=$STATEMENTS: restarting PostgreSQL with pg_stat_statements"
  local dsn
  {
    dsn=$(TROUPE_PG_DIR=$PG_DIR "$ROOT/scripts/pg" start 2>>"$WORK/pg-start.log") &&
      psql "$dsn" -XqAt -v ON_ERROR_STOP=1 -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'" &&
      TROUPE_PG_DIR=$PG_DIR "$ROOT/scripts/pg" stop 2>>"$WORK/pg-start.log" &&
      TROUPE_PG_DIR=$PG_DIR "$ROOT/scripts/pg" start >/dev/null 2>>"$WORK/pg-start.log" &&
      psql "$dsn" -XqAt -v ON_ERROR_STOP=1 -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" \
        -c "ALTER SYSTEM SET pg_stat_statements.track_planning = on" -c "SELECT pg_reload_conf()" >/dev/null
  } || die "cannot load pg_stat_statements (see $WORK/pg-start.log)"
}
statements_reset() {
  [[ -z ${STATEMENTS:-} ]] || psql "$1" -XqAt -c "SELECT pg_stat_statements_reset()" >/dev/null
}
statements_report() {
  [[ -n ${STATEMENTS:-} ]] || return 0
  log "the $STATEMENTS statements that took the most time in the measured run (ms, per call in us):"
  psql "$1" -XqA -F ' | ' -P footer=off -c "SELECT calls, rows,
      round((total_exec_time + total_plan_time)::numeric, 1) AS total_ms,
      round((1000 * total_exec_time / calls)::numeric, 1) AS exec_us, round((1000 * total_plan_time / calls)::numeric, 1) AS plan_us,
      left(regexp_replace(query, '\s+', ' ', 'g'), 200) AS statement
    FROM pg_stat_statements WHERE calls > 0 ORDER BY total_exec_time + total_plan_time DESC LIMIT $STATEMENTS" >&2
  log "the tables written most: pages, live and dead rows, updates and the share of them that were HOT:"
  psql "$1" -XqA -F ' | ' -P footer=off -c "SELECT relname AS table, pg_relation_size(relid) / 8192 AS pages,
      n_live_tup AS live, n_dead_tup AS dead, n_tup_upd AS updates,
      round(100.0 * n_tup_hot_upd / greatest(n_tup_upd, 1)) AS hot_pct, autovacuum_count AS autovacuums
    FROM pg_stat_user_tables ORDER BY n_tup_ins + n_tup_upd DESC LIMIT 8" >&2
}

# Ticks of the whole PostgreSQL instance: postmaster, live children and the
# children it already reaped (short-lived autovacuum workers...).
pg_ticks() {
  local pm
  pm=$(head -n 1 "$PG_DIR/data/postmaster.pid")
  echo $(($(tree_ticks "$pm") + $(ticks "$pm" c) - $(ticks "$pm")))
}

# start_node PORT [--key=value...]: sets NODE_PID once /ready answers 200.
start_node() {
  local port=$1; shift
  [[ -x $BIN ]] || die "$BIN missing: build it first (scripts/build)"
  log "starting troupe node on 127.0.0.1:$port"
  spawn "$BIN" node --node.name=bench --http.host=127.0.0.1 --http.port="$port" \
    --postgres.dsn="$DSN" "$@" >"$WORK/node.log" 2>&1
  NODE_PID=$LAST_PID
  wait_http "http://127.0.0.1:$port/ready" "$NODE_PID" 30 "$WORK/node.log"
}

# start_nginx CONF: nginx in the foreground of a tracked background process.
start_nginx() {
  spawn nginx -e "$WORK/nginx-error.log" -c "$1" -p "$WORK/" -g 'daemon off;'
  NGINX_PID=$LAST_PID
}

# Number formatting: fmt VALUE [DECIMALS].
fmt() { awk -v v="$1" -v d="${2:-0}" 'BEGIN { printf "%." d "f", v }'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "nan"; else printf "%.6g", a / b }'; }

# each P WHAT EXPECT LIST SCRIPT [ARG...]: runs `sh -c SCRIPT` once per line
# of LIST, P at once, with $1 the work dir, then the ARGs, then the line's
# words. SCRIPT prints "WORD HTTP_CODE BODY_FILE" (curl -w); dies unless
# every code is EXPECT.
each() {
  local p=$1 what=$2 expect=$3 list=$4 script=$5 codes=$4.codes failed code body
  shift 5
  log "$what: $(wc -l <"$list") requests, $p at once"
  : >"$codes"
  # xargs exits 123 when a curl failed: the code (000) tells.
  run_fg xargs -a "$list" -P "$p" -L 1 sh -c "$script" sh "$WORK" "$@" >>"$codes" || true
  [[ $(wc -l <"$codes") == $(wc -l <"$list") ]] || die "$what: $(wc -l <"$codes") answers for $(wc -l <"$list") requests"
  failed=$(awk -v e="$expect" '$2 != e' "$codes")
  [[ -n $failed ]] || return 0
  read -r _ code body <<<"$failed"
  die "$what: $(wc -l <<<"$failed") answers not $expect; the first: $code $(cat "$body" 2>/dev/null || true)"
}

# wrk_script FILE: FILE, a wrk script that starts with counted.lua; the
# rest of it comes on stdin.
wrk_script() { { echo "dofile('$ROOT/scripts/bench/counted.lua')"; cat; } >"$1"; }

# wrk_field FILE NAME: NAME=VALUE from the "result" line counted.lua printed.
wrk_field() { awk -v k="$2" '$1 == "result" { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$1"; }

# route_count URL ROUTE STATUS_CLASS: troupe_http_requests_total of ROUTE
# (its pattern) answered STATUS_CLASS (2xx...) by the node at URL.
route_count() {
  curl -sf --max-time 5 "$1/metrics" | awk -v r="route=\"$2\"" -v s="status=\"$3\"" '
    index($0, "troupe_http_requests_total{") == 1 && index($0, r) && index($0, s) { v += $NF }
    END { printf "%.0f\n", v }'
}
