# Shared helpers for bench/*.sh. Source it; do not execute it.
# shellcheck shell=bash

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO_DIR="$(cd "$BENCH_DIR/.." && pwd)"
OUT_DIR="${BENCH_OUT_DIR:-$BENCH_DIR/out}"
VENV="$BENCH_DIR/.venv"
PY="$VENV/bin/python"
DBT="$VENV/bin/dbt"
# Weir's launcher; override with WEIR=/path/to/weir.
WEIR="${WEIR:-$REPO_DIR/weir}"
# The repo launcher rebuilds Weir (mvn install) when sources are newer than its jar. The
# untimed probe run may do that (unless WEIR_SKIP_BUILD=1 is already set); the timed runs
# never do: they get WEIR_SKIP_BUILD=1, as an installed launcher would behave.
WEIR_TIMED_ENV="WEIR_SKIP_BUILD=1"

# dbt must not phone home: the machine only reaches package registries, and the
# benchmark must not include network latency.
export DBT_SEND_ANONYMOUS_USAGE_STATS=false
export DBT_VERSION_CHECK=false
export DO_NOT_TRACK=1

log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] ERROR: %s\n' "$*" >&2; exit 1; }

# The shared synthetic-project generator (not copied into the repo). CI lays shared/
# beside the clone; sessions have it at /work/shared.
find_shared_generator() {
  local c
  for c in "${GEN_DBT_PROJECT:-}" "$REPO_DIR/../shared/bench/gen_dbt_project.py" \
           /work/shared/bench/gen_dbt_project.py; do
    if [[ -n "$c" && -f "$c" ]]; then printf '%s\n' "$c"; return 0; fi
  done
  die "gen_dbt_project.py not found (set GEN_DBT_PROJECT=/path/to/gen_dbt_project.py)"
}

# Create the venv / install hyperfine when missing (setup.sh is idempotent but slowish).
ensure_setup() {
  if [[ ! -x "$DBT" || ! -x "$PY" ]] || ! command -v hyperfine >/dev/null 2>&1 \
     || ! "$PY" -c 'import duckdb, dbt.adapters.duckdb' >/dev/null 2>&1; then
    log "reference tools missing: running bench/setup.sh"
    bash "$BENCH_DIR/setup.sh"
  fi
}

# hyperfine wrapper: hf NAME JSON_OUT [hyperfine options...] -- COMMAND
# Output of the benchmarked command is discarded by hyperfine; its table goes to stderr.
hf() {
  local name="$1" json="$2"; shift 2
  local opts=()
  while [[ $# -gt 0 && "$1" != "--" ]]; do opts+=("$1"); shift; done
  [[ "${1:-}" == "--" ]] && shift
  local cmd="$*"
  log "hyperfine: $name"
  hyperfine --style basic --export-json "$json" -n "$name" "${opts[@]}" "$cmd" >&2
}

# weir_probe LOGFILE ARGS... : run Weir once (in the current directory) to see whether it works.
# Returns non-zero (with a message) when the launcher is missing or the command fails.
weir_probe() {
  local logf="$1"; shift
  if [[ ! -e "$WEIR" ]]; then
    log "SKIP Weir: launcher not found at $WEIR (set WEIR=... to point elsewhere)"
    return 1
  fi
  if [[ ! -x "$WEIR" ]]; then
    log "SKIP Weir: $WEIR is not executable"
    return 1
  fi
  if ! timeout "${WEIR_PROBE_TIMEOUT:-1800}" "$WEIR" "$@" >"$logf" 2>&1; then
    log "SKIP Weir: '$WEIR $*' failed (log: $logf); last lines:"
    tail -n 5 "$logf" | sed 's/^/[bench]   /' >&2 || true
    return 1
  fi
  return 0
}

q() { printf '%q' "$1"; }

machine_info() {
  printf 'date=%s cores=%s loadavg=%s cpu=%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(nproc)" \
    "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null | tr ' ' ,)" \
    "$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//' || echo '?')"
}
