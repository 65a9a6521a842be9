#!/usr/bin/env bash
# Parse benchmark: dbt-core vs Weir on synthetic projects from the shared generator.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: bench/parse.sh [options] [N...]        (default N: 1000 10000)

For each N, generates a synthetic dbt project of N models with the shared generator
(shared/bench/gen_dbt_project.py) into bench/out/parse-N, then times with hyperfine
(warmup 1), in the project directory:
  dbt cold    dbt parse --no-partial-parse        (the untimed check run is the warmup)
  dbt warm    dbt parse                           (partial parse; the warmup writes the cache)
  weir cold   $WEIR parse --project-dir D --no-parse-cache
  weir warm   $WEIR parse --project-dir D
Weir is skipped with a message when its launcher is missing or a probe run fails; timed
Weir runs get WEIR_SKIP_BUILD=1 (the untimed probe may let the repo launcher build Weir).
Results: bench/out/parse-N-{dbt,weir}-{cold,warm}.json (hyperfine JSON) and a table with
ratios (bench/out/parse-summary.txt). All figures of one invocation come from the same run.

Options:
  --runs R         hyperfine runs per command (default 5)
  --big-runs R     runs for dbt when N >= BIG (default 2)
  --big N          threshold for --big-runs (default 5000)
  --no-dbt         skip dbt (e.g. to re-measure Weir only; ratios then need the dbt JSONs)
  --no-weir        skip Weir
  --regen          regenerate projects even when bench/out/parse-N exists
  -h, --help
Environment:
  WEIR             Weir launcher (default: <repo>/weir)
  GEN_DBT_PROJECT  path of gen_dbt_project.py (default: shared/bench/gen_dbt_project.py)
EOF
}

RUNS=5; BIG_RUNS=2; BIG=5000; DO_DBT=1; DO_WEIR=1; REGEN=0; NS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --runs) RUNS="$2"; shift ;;
    --big-runs) BIG_RUNS="$2"; shift ;;
    --big) BIG="$2"; shift ;;
    --no-dbt) DO_DBT=0 ;;
    --no-weir) DO_WEIR=0 ;;
    --regen) REGEN=1 ;;
    -*) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
    *) [[ "$1" =~ ^[0-9]+$ ]] || { echo "not a model count: $1" >&2; exit 2; }; NS+=("$1") ;;
  esac
  shift
done
[[ ${#NS[@]} -gt 0 ]] || NS=(1000 10000)

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
ensure_setup
GEN="$(find_shared_generator)"
mkdir -p "$OUT_DIR"
log "$(machine_info)"

for n in "${NS[@]}"; do
  D="$OUT_DIR/parse-$n"
  if [[ $REGEN == 1 || ! -f "$D/dbt_project.yml" ]]; then
    rm -rf "$D"
    "$PY" "$GEN" "$D" "$n" >&2
  fi
  # The shared generator writes a dbt-duckdb profiles.yml today; add one if it ever stops.
  if [[ ! -f "$D/profiles.yml" ]]; then
    prof="$(sed -n 's/^profile: *//p' "$D/dbt_project.yml" | tr -d "'\"")"
    printf '%s:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: target/bench.duckdb\n      threads: 1\n' \
      "$prof" >"$D/profiles.yml"
  fi
  dq="$(q "$D")"
  runs="$RUNS"; [[ $n -ge $BIG ]] && runs="$BIG_RUNS"

  if [[ $DO_DBT == 1 ]]; then
    rm -f "$OUT_DIR/parse-$n-dbt-cold.json" "$OUT_DIR/parse-$n-dbt-warm.json"
    rm -rf "$D/target" "$D/logs"
    # Fail loudly (with dbt's output) if the project does not parse at all.
    (cd "$D" && "$DBT" parse --no-partial-parse >"$OUT_DIR/parse-$n-dbt-probe.log" 2>&1) \
      || { tail -n 20 "$OUT_DIR/parse-$n-dbt-probe.log" >&2; die "dbt parse failed on $D"; }
    # That check is the cold warmup run (same command): no second warmup, it costs minutes at 10k.
    hf "dbt parse cold ($n models)" "$OUT_DIR/parse-$n-dbt-cold.json" --warmup 0 --runs "$runs" \
      -- "cd $dq && $(q "$DBT") parse --no-partial-parse"
    hf "dbt parse warm ($n models)" "$OUT_DIR/parse-$n-dbt-warm.json" --warmup 1 --runs "$RUNS" \
      -- "cd $dq && $(q "$DBT") parse"
  fi

  if [[ $DO_WEIR == 1 ]]; then
    rm -f "$OUT_DIR/parse-$n-weir-cold.json" "$OUT_DIR/parse-$n-weir-warm.json"
    rm -rf "$D/target" "$D/logs"
    if (cd "$D" && weir_probe "$OUT_DIR/parse-$n-weir-probe.log" parse --project-dir "$D" --no-parse-cache); then
      hf "weir parse cold ($n models)" "$OUT_DIR/parse-$n-weir-cold.json" --warmup 1 --runs "$RUNS" \
        -- "cd $dq && $WEIR_TIMED_ENV $(q "$WEIR") parse --project-dir $dq --no-parse-cache" \
        || { log "SKIP Weir cold: hyperfine failed"; rm -f "$OUT_DIR/parse-$n-weir-cold.json"; }
      hf "weir parse warm ($n models)" "$OUT_DIR/parse-$n-weir-warm.json" --warmup 1 --runs "$RUNS" \
        -- "cd $dq && $WEIR_TIMED_ENV $(q "$WEIR") parse --project-dir $dq" \
        || { log "SKIP Weir warm: hyperfine failed"; rm -f "$OUT_DIR/parse-$n-weir-warm.json"; }
    fi
  fi
done

if [[ $DO_DBT == 0 ]]; then
  log "NOTE: --no-dbt: any dbt figures below come from an earlier run, not this one"
fi
{
  machine_info
  "$PY" "$BENCH_DIR/lib/report.py" parse "$OUT_DIR" "${NS[@]}"
} | tee "$OUT_DIR/parse-summary.txt"
