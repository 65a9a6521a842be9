#!/usr/bin/env bash
# Run-overhead benchmark: per-node overhead of `dbt run` (dbt-duckdb) and `weir run` over
# DuckDB alone executing the same compiled statements.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: bench/run_overhead.sh [options]

1. bench/gen_table_project.py writes a project of M table models (default 200, 5 layers,
   4000 rows each, built from range()) into bench/out/run-M.
2. dbt: one checked `dbt run` (its manifest, with the compiled SQL, is kept as
   bench/out/run-M-manifest.json), then hyperfine (warmup 1) of
     dbt run                                  fresh database file each run (--prepare rm)
     dbt run --select tag:<none>              start-up: same process, nothing selected
3. DuckDB alone: bench/duckdb_alone.py executes the same compiled statements (CREATE TABLE
   AS, DAG order) on a fresh file with the Python duckdb package -> run-M-duckdb-alone.json.
   When the DuckDB JDBC jar is available (DUCKDB_JDBC_JAR, or ~/.m2 at the version in
   pom.xml) the same statements are replayed through JDBC -> run-M-jdbc-replay.json.
4. Weir (skipped with a message when missing/failing): hyperfine of
     $WEIR run --project-dir D
     $WEIR run --project-dir D --select tag:<none>   (falls back to `$WEIR --version`)
5. Table: per-node overhead = (run wall - start-up - DuckDB alone) / M, also shown without
   subtracting start-up. Summary in bench/out/run-M-summary.txt.

Options:
  --models M     number of models (default 200)
  --rows R       rows per model (default 4000)
  --layers L     DAG layers (default 5)
  --threads T    threads in profiles.yml, used by dbt and Weir (default 1: serial, so that
                 "wall - DuckDB alone" is overhead; DuckDB itself still uses all cores)
  --runs R       hyperfine runs for the `run` commands (default 3); start-up uses 2R
  --no-dbt       skip dbt (needs bench/out/run-M-manifest.json from an earlier run)
  --no-weir      skip Weir
  --no-jdbc      skip the JDBC replay
  -h, --help
Environment:
  WEIR             Weir launcher (default: <repo>/weir)
  DUCKDB_JDBC_JAR  duckdb_jdbc jar for the JDBC replay
EOF
}

MODELS=200; ROWS=4000; LAYERS=5; THREADS=1; RUNS=3; DO_DBT=1; DO_WEIR=1; DO_JDBC=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --models) MODELS="$2"; shift ;;
    --rows) ROWS="$2"; shift ;;
    --layers) LAYERS="$2"; shift ;;
    --threads) THREADS="$2"; shift ;;
    --runs) RUNS="$2"; shift ;;
    --no-dbt) DO_DBT=0 ;;
    --no-weir) DO_WEIR=0 ;;
    --no-jdbc) DO_JDBC=0 ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
ensure_setup
mkdir -p "$OUT_DIR"
log "$(machine_info)"

NAME="run-$MODELS"
D="$OUT_DIR/$NAME"
dq="$(q "$D")"
MANIFEST="$OUT_DIR/$NAME-manifest.json"
NONE_SEL="tag:weir_bench_selects_nothing"
PREP="rm -f $dq/target/bench.duckdb $dq/target/bench.duckdb.wal"

"$PY" "$BENCH_DIR/gen_table_project.py" "$D" --models "$MODELS" --rows "$ROWS" \
  --layers "$LAYERS" --threads "$THREADS" >&2

for f in dbt-run dbt-startup weir-run weir-startup duckdb-alone jdbc-replay; do
  rm -f "$OUT_DIR/$NAME-$f.json"
done

if [[ $DO_DBT == 1 ]]; then
  rm -rf "$D/target" "$D/logs"
  log "checking dbt run"
  (cd "$D" && "$DBT" run >"$OUT_DIR/$NAME-dbt-check.log" 2>&1) \
    || { tail -n 30 "$OUT_DIR/$NAME-dbt-check.log" >&2; die "dbt run failed on $D"; }
  cp "$D/target/manifest.json" "$MANIFEST"
  hf "dbt run ($MODELS tables)" "$OUT_DIR/$NAME-dbt-run.json" --warmup 1 --runs "$RUNS" \
    --prepare "$PREP" -- "cd $dq && $(q "$DBT") run"
  hf "dbt run --select $NONE_SEL" "$OUT_DIR/$NAME-dbt-startup.json" --warmup 1 --runs $((2 * RUNS)) \
    -- "cd $dq && $(q "$DBT") run --select $NONE_SEL"
fi

[[ -f "$MANIFEST" ]] || die "no $MANIFEST: run once without --no-dbt to get dbt's compiled SQL"
log "DuckDB alone (python)"
"$PY" "$BENCH_DIR/duckdb_alone.py" --manifest "$MANIFEST" --project-dir "$D" \
  --runs $((2 * RUNS)) --warmup 1 --json "$OUT_DIR/$NAME-duckdb-alone.json" \
  --emit-sql "$OUT_DIR/$NAME-statements.sql" >&2

if [[ $DO_JDBC == 1 ]]; then
  jar="${DUCKDB_JDBC_JAR:-}"
  if [[ -z "$jar" ]]; then
    v="$(sed -n 's:.*<duckdb.version>\(.*\)</duckdb.version>.*:\1:p' "$REPO_DIR/pom.xml" 2>/dev/null | head -1)"
    [[ -n "$v" ]] && jar="$HOME/.m2/repository/org/duckdb/duckdb_jdbc/$v/duckdb_jdbc-$v.jar"
  fi
  if [[ -n "$jar" && -f "$jar" ]] && command -v java >/dev/null; then
    log "DuckDB alone (JDBC replay, $(basename "$jar"))"
    java -cp "$jar" "$BENCH_DIR/jdbc/ReplayStatements.java" "$OUT_DIR/$NAME-statements.sql" \
      --runs $((2 * RUNS)) --warmup 1 --json "$OUT_DIR/$NAME-jdbc-replay.json" >&2 \
      || { log "JDBC replay failed; skipped"; rm -f "$OUT_DIR/$NAME-jdbc-replay.json"; }
  else
    log "SKIP JDBC replay: no duckdb_jdbc jar (set DUCKDB_JDBC_JAR) or no java"
  fi
fi

if [[ $DO_WEIR == 1 ]]; then
  rm -rf "$D/target" "$D/logs"
  if (cd "$D" && weir_probe "$OUT_DIR/$NAME-weir-check.log" run --project-dir "$D"); then
    hf "weir run ($MODELS tables)" "$OUT_DIR/$NAME-weir-run.json" --warmup 1 --runs "$RUNS" \
      --prepare "$PREP" -- "cd $dq && $WEIR_TIMED_ENV $(q "$WEIR") run --project-dir $dq" \
      || { log "SKIP weir run: hyperfine failed"; rm -f "$OUT_DIR/$NAME-weir-run.json"; }
    if (cd "$D" && weir_probe "$OUT_DIR/$NAME-weir-startup-check.log" run --project-dir "$D" --select "$NONE_SEL"); then
      hf "weir run --select $NONE_SEL" "$OUT_DIR/$NAME-weir-startup.json" --warmup 1 --runs $((2 * RUNS)) \
        -- "cd $dq && $WEIR_TIMED_ENV $(q "$WEIR") run --project-dir $dq --select $NONE_SEL" || true
    else
      log "weir start-up: empty selection failed, using '$WEIR --version' instead"
      hf "weir --version" "$OUT_DIR/$NAME-weir-startup.json" --warmup 1 --runs $((2 * RUNS)) \
        -- "$WEIR_TIMED_ENV $(q "$WEIR") --version" || rm -f "$OUT_DIR/$NAME-weir-startup.json"
    fi
  fi
fi

{
  machine_info
  echo "threads=$THREADS rows=$ROWS layers=$LAYERS"
  "$PY" "$BENCH_DIR/lib/report.py" overhead "$OUT_DIR" "$NAME" "$MODELS"
} | tee "$OUT_DIR/$NAME-summary.txt"
