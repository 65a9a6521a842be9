#!/usr/bin/env bash
# Data-quality checks benchmark: Weir's fused checks (all checks on a relation in one scan) vs one
# full scan of the checked columns vs each check as its own query, on DuckDB and Postgres.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: bench/checks.sh [options]

1. bench/gen_checks_project.py writes a project into bench/out/checks-ROWS-ENGINE: fct_orders
   (ROWS rows, 14 columns, generated deterministically from range()/generate_series), two
   dimension tables (dim_products 1,000 rows, dim_countries 20 rows) and exactly 50 checks on
   fct_orders (mix: gen_checks_project.py --list-checks). The data is clean: all checks pass.
2. Per engine (DuckDB file under the project's target/; Postgres: a private cluster started by
   this script under bench/out/checks-pg, stopped at the end and deleted unless --keep):
   untimed: `weir run` builds the tables (skipped when fct_orders already has ROWS rows, unless
   --rebuild; Postgres then gets VACUUM (FREEZE, ANALYZE)); one probe of `weir test` (must pass
   50/50; a warning when not all were decided by the fused scan) and of `weir test --no-fusion` (50/50).
   timed (warmup 1, --runs R):
     one scan   one query reading every checked column: count(*) + count/min/max of each of
                the 14 columns (one_scan.sql). DuckDB: bench/.venv's Python duckdb (the engine
                version of Weir's JDBC driver), connect + query + close timed in-process.
                Postgres: hyperfine of `psql -X -f one_scan.sql` (psql start and connect incl.).
     fused      hyperfine of `weir test --fusion` (WEIR_SKIP_BUILD=1); also the runner's elapsed_time
                of each run from target/run_results.json (hyperfine --prepare harvests it)
     no-fusion  the same with `weir test --no-fusion`: each check its own query, as dbt and
                Great Expectations run them; same threads (profile: 2)
   Ratios: fused / one scan (target <= 1.5) and no-fusion / fused (target >= 3 on DuckDB,
   >= 10 on Postgres), for elapsed_time and for wall time. The wall time of `weir test`
   includes JVM start and project parse (~0.5-1 s fixed); elapsed_time does not.
3. Breakdown (unless --no-breakdown; needs the Postgres part): Weir's fused query is taken
   from the Postgres server log (log_min_duration_statement = 0 during the fused probe),
   then it and variants (without count(distinct), without the relationships joins, without
   regexes, count(*) only) are timed, without warmup, on each engine, with EXPLAIN ANALYZE of the full query
   (DuckDB: the same query translated to its dialect).
Output: bench/out/checks-ROWS-ENGINE-*.json|jsonl|sql|txt, summary bench/out/checks-ROWS-summary.txt.

Options:
  --rows N          rows of fct_orders (default 10000000; develop with 1000000)
  --runs R          timed runs of each measurement (default 3)
  --warmup W        untimed runs before the Weir measurements (default 1; the untimed probes
                    of step 2 already ran both `weir test` modes once, so --warmup 0 is fair at
                    10M rows); the one-scan baseline always gets at least 1
  --breakdown-runs B  runs of each breakdown query, no warmup (default 1)
  --engines LIST    comma-separated: duckdb,postgres (default both)
  --threads T       threads in profiles.yml (default 2)
  --pg-port P       port of the private Postgres (default: a free port)
  --rebuild         rebuild the tables even when they already hold ROWS rows
  --keep            keep the Postgres data directory (reused by the next run)
  --no-breakdown    skip step 3
  --no-snapshot     run the launcher in place instead of a snapshot copy (see below)
  -h, --help
Snapshot: a run takes half an hour at 10M rows and other sessions rebuild Weir meanwhile (a jar
replaced under a running JVM fails with NoClassDefFoundError, and a rebuild would mix versions).
So the launcher and its build output (weir-cli/target/{weir-cli.jar,lib,native,weir.jsa}) are
first copied, timestamps kept, to bench/out/weir-snapshot/ (same layout) and that copy of the repo
launcher is what runs, always with WEIR_SKIP_BUILD=1.
Environment:
  WEIR      Weir launcher (default: <repo>/weir); it runs with WEIR_SKIP_BUILD=1, probes
            included (export WEIR_SKIP_BUILD=0 to let the probe rebuild a stale jar)
  PG_BIN    Postgres server binaries (default: pg_config --bindir, else the newest
            /usr/lib/postgresql/*/bin); as root the server runs as user `postgres`
EOF
}

ROWS=10000000; RUNS=3; WARMUP=1; BREAKDOWN_RUNS=1; ENGINES="duckdb,postgres"; THREADS=2; PG_PORT=""
REBUILD=0; KEEP=0; BREAKDOWN=1; SNAPSHOT=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --rows) ROWS="$2"; shift ;;
    --runs) RUNS="$2"; shift ;;
    --warmup) WARMUP="$2"; shift ;;
    --breakdown-runs) BREAKDOWN_RUNS="$2"; shift ;;
    --engines) ENGINES="$2"; shift ;;
    --threads) THREADS="$2"; shift ;;
    --pg-port) PG_PORT="$2"; shift ;;
    --rebuild) REBUILD=1 ;;
    --keep) KEEP=1 ;;
    --no-breakdown) BREAKDOWN=0 ;;
    --no-snapshot) SNAPSHOT=0 ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
ensure_setup
mkdir -p "$OUT_DIR"
log "$(machine_info)"

# Weir is never rebuilt by this benchmark, not even by its probes (others build beside it and a
# rebuild half-way would mix versions): WEIR_SKIP_BUILD=1 unless the caller sets it otherwise.
export WEIR_SKIP_BUILD="${WEIR_SKIP_BUILD:-1}"
NAME="checks-$ROWS"
TOOL="$BENCH_DIR/checks_tool.py"
RELATION="main.fct_orders"
LOADAVG_LOG="$OUT_DIR/$NAME-loadavg.txt"
: >"$LOADAVG_LOG"
note_load() { printf '%s %s %s\n' "$(date -u +%H:%M:%S)" "$1" "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$LOADAVG_LOG"; }

snapshot_weir() {
  local src dst="$OUT_DIR/weir-snapshot"
  src="$(cd "$(dirname "$WEIR")" && pwd)"
  [[ -f "$src/weir-cli/target/weir-cli.jar" && -d "$src/weir-cli/target/lib" ]] \
    || die "Weir is not built ($src/weir-cli/target/weir-cli.jar missing): cd $src && mvn -q -o install -DskipTests"
  rm -rf "$dst"
  mkdir -p "$dst/weir-cli/target"
  cp -p "$WEIR" "$dst/weir"
  local f
  for f in weir-cli.jar lib native weir.jsa; do
    [[ -e "$src/weir-cli/target/$f" ]] && cp -rp "$src/weir-cli/target/$f" "$dst/weir-cli/target/"
  done
  WEIR="$dst/weir"
  "$WEIR" --version >/dev/null 2>&1 || die "the snapshot of Weir does not start ($WEIR --version); a build may be running, retry"
  log "Weir snapshot: $WEIR ($("$WEIR" --version 2>/dev/null | head -n 1), jar of $(date -u -r "$dst/weir-cli/target/weir-cli.jar" +%H:%M:%SZ))"
}
[[ $SNAPSHOT == 1 ]] && snapshot_weir

# ---------------------------------------------------------------- private Postgres
PG_ROOT="$OUT_DIR/checks-pg"
PG_DATA="$PG_ROOT/data"
PG_STARTED=0

as_pg() {  # run a server binary as the cluster owner
  if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_setup() {
  local bin="${PG_BIN:-}"
  [[ -z "$bin" ]] && command -v pg_config >/dev/null && bin="$(pg_config --bindir 2>/dev/null || true)"
  [[ -z "$bin" || ! -x "$bin/initdb" ]] && bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [[ -n "$bin" && -x "$bin/initdb" && -x "$bin/pg_ctl" ]] \
    || die "no Postgres server binaries (apt-get install postgresql, or set PG_BIN)"
  command -v psql >/dev/null || die "psql not found"
  if [[ "$(id -u)" == 0 ]]; then getent passwd postgres >/dev/null || die "running as root needs a 'postgres' user"; fi
  PG_BIN="$bin"
  [[ -z "$PG_PORT" ]] && PG_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  mkdir -p "$PG_ROOT"
  [[ "$(id -u)" == 0 ]] && chown postgres "$PG_ROOT"
  if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
    log "initdb $PG_DATA ($("$PG_BIN/postgres" --version))"
    as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U bench --auth=trust -E UTF8 --locale=C >"$PG_ROOT/initdb.log" 2>&1 \
      || { tail -n 20 "$PG_ROOT/initdb.log" >&2; die "initdb failed"; }
  fi
  # Settings: defaults, except what only speeds up loading (no fsync: a throw-away cluster) and a
  # moderate shared_buffers. work_mem, parallel workers and JIT keep their defaults.
  as_pg tee "$PG_DATA/conf.d.bench.conf" >/dev/null <<EOF
port = $PG_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_ROOT'
shared_buffers = '256MB'
fsync = off
synchronous_commit = off
full_page_writes = off
max_wal_size = '4GB'
EOF
  grep -q "conf.d.bench.conf" "$PG_DATA/postgresql.conf" \
    || echo "include 'conf.d.bench.conf'" | as_pg tee -a "$PG_DATA/postgresql.conf" >/dev/null
  log "starting Postgres on 127.0.0.1:$PG_PORT"
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_ROOT/server.log" -w -t 60 start >/dev/null \
    || { tail -n 20 "$PG_ROOT/server.log" >&2; die "Postgres did not start"; }
  PG_STARTED=1
  export PGHOST=127.0.0.1 PGPORT="$PG_PORT" PGUSER=bench PGDATABASE=bench PGPASSWORD=bench
  psql -X -q -d postgres -tAc "select 1 from pg_database where datname = 'bench'" | grep -q 1 \
    || psql -X -q -d postgres -c "create database bench" >/dev/null
}

pg_teardown() {
  if [[ $PG_STARTED == 1 ]]; then
    log "stopping Postgres"
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true
    PG_STARTED=0
  fi
  if [[ $KEEP == 0 && -d "$PG_ROOT" ]]; then
    log "deleting $PG_ROOT (--keep keeps it)"
    rm -rf "$PG_ROOT"
  fi
}

cleanup() { pg_teardown; }
trap cleanup EXIT

# ---------------------------------------------------------------- one engine
table_rows() {  # rows of fct_orders in engine $1 (project dir $2), or 0
  if [[ "$1" == duckdb ]]; then
    [[ -f "$2/target/checks.duckdb" ]] || { echo 0; return; }
    "$PY" -c "import duckdb,sys
try: print(duckdb.connect(sys.argv[1], read_only=True).execute('select count(*) from $RELATION').fetchone()[0])
except Exception: print(0)" "$2/target/checks.duckdb"
  else
    psql -X -q -tAc "select count(*) from $RELATION" 2>/dev/null || echo 0
  fi
}

bench_engine() {
  local e="$1" D="$OUT_DIR/$NAME-$1"
  local dq p
  dq="$(q "$D")"
  p="$OUT_DIR/$NAME-$e"
  for f in one-scan.json fused.json unfused.json fused-elapsed.jsonl unfused-elapsed.jsonl breakdown.json explain.txt \
           statements.log fused-probe-run_results.json unfused-probe-run_results.json; do
    rm -f "$p-$f"
  done
  "$PY" "$BENCH_DIR/gen_checks_project.py" "$D" --rows "$ROWS" --threads "$THREADS" \
    --pg-port "${PG_PORT:-54329}" >&2
  sed "s/{relation}/$RELATION/" "$D/one_scan.sql" >"$D/one_scan.$e.sql"

  local have
  have="$(table_rows "$e" "$D")"
  if [[ $REBUILD == 1 || "$have" != "$ROWS" ]]; then
    log "[$e] building the tables (weir run, untimed; also the probe of Weir)"
    [[ $e == duckdb ]] && rm -f "$D/target/checks.duckdb" "$D/target/checks.duckdb.wal"
    local t0=$SECONDS
    (cd "$D" && weir_probe "$p-build.log" run --project-dir "$D" --target "$e") \
      || die "[$e] weir run failed (log: $p-build.log)"
    if [[ $e == postgres ]]; then
      log "[postgres] vacuum (freeze, analyze)"
      psql -X -q -c "vacuum (freeze, analyze)" >/dev/null
    fi
    log "[$e] tables built in $((SECONDS - t0)) s"
  else
    log "[$e] fct_orders already has $ROWS rows: not rebuilt (--rebuild forces it)"
  fi
  [[ "$(table_rows "$e" "$D")" == "$ROWS" ]] || die "[$e] fct_orders does not have $ROWS rows"

  log "[$e] probes: weir test / weir test --no-fusion (untimed)"
  local mark=0
  if [[ $e == postgres ]]; then  # the fused probe's statements go to the server log (breakdown)
    psql -X -q -c "alter system set log_min_duration_statement = 0" -c "select pg_reload_conf()" >/dev/null
    mark="$(wc -c <"$PG_ROOT/server.log")"
  fi
  (cd "$D" && weir_probe "$p-fused-check.log" test --project-dir "$D" --target "$e" --fusion) \
    || die "[$e] weir test failed (log: $p-fused-check.log)"
  if [[ $e == postgres ]]; then
    psql -X -q -c "alter system reset log_min_duration_statement" -c "select pg_reload_conf()" >/dev/null
    tail -c +"$((mark + 1))" "$PG_ROOT/server.log" >"$p-statements.log"
  fi
  python3 "$TOOL" check "$D/target/run_results.json" --expect 50 || die "[$e] weir test: not 50 passes"
  python3 "$TOOL" check "$D/target/run_results.json" --expect 50 --fused >/dev/null 2>&1 \
    || log "[$e] WARNING: not all 50 checks were decided by the fused scan in the probe (the summary shows the minimum per timed run)"
  cp "$D/target/run_results.json" "$p-fused-probe-run_results.json"
  (cd "$D" && weir_probe "$p-unfused-check.log" test --project-dir "$D" --target "$e" --no-fusion) \
    || die "[$e] weir test --no-fusion failed (log: $p-unfused-check.log)"
  python3 "$TOOL" check "$D/target/run_results.json" --expect 50 || die "[$e] weir test --no-fusion: not 50 passes"
  cp "$D/target/run_results.json" "$p-unfused-probe-run_results.json"

  note_load "$e:one-scan"
  local sw=$((WARMUP > 0 ? WARMUP : 1))  # the baseline always gets a warmup: it is cheap, and no probe ran it
  if [[ $e == duckdb ]]; then
    log "[duckdb] one scan (Python duckdb, warmup $sw, $RUNS runs)"
    "$PY" "$TOOL" one-scan-duckdb "$D/target/checks.duckdb" "$D/one_scan.sql" "$RELATION" \
      --runs "$RUNS" --warmup "$sw" --json "$p-one-scan.json"
  else
    hf "one scan (psql)" "$p-one-scan.json" --warmup "$sw" --runs "$RUNS" \
      -- "psql -X -q -v ON_ERROR_STOP=1 -f $(q "$D/one_scan.$e.sql") >/dev/null"
  fi

  local mode flag
  for mode in fused unfused; do
    flag=" --fusion"; [[ $mode == unfused ]] && flag=" --no-fusion"   # explicit: the default differs per engine
    note_load "$e:$mode"
    rm -f "$D/target/run_results.json"
    hf "weir test$flag ($e)" "$p-$mode.json" --warmup "$WARMUP" --runs "$RUNS" \
      --prepare "python3 $(q "$TOOL") harvest $dq/target/run_results.json $(q "$p-$mode-elapsed.jsonl")" \
      -- "cd $dq && $WEIR_TIMED_ENV $(q "$WEIR") test --project-dir $dq --target $e$flag" \
      || die "[$e] hyperfine of weir test$flag failed"
    python3 "$TOOL" harvest "$D/target/run_results.json" "$p-$mode-elapsed.jsonl"
  done
  note_load "$e:done"
}

breakdown() {
  local p="$OUT_DIR/$NAME"
  log "[breakdown] Weir's fused query, from the Postgres log of the fused probe"
  python3 "$TOOL" fused-sql "$p-postgres-statements.log" "$p-postgres-fused" || return 0
  local variants=(full scan-only no-distinct no-joins no-regex no-distinct-no-joins) v files
  note_load "breakdown:postgres"
  files=(); for v in "${variants[@]}"; do files+=("$p-postgres-fused-$v.sql"); done
  log "[breakdown] postgres: fused query and variants (psql \\timing)"
  python3 "$TOOL" time-psql --runs "$BREAKDOWN_RUNS" --json "$p-postgres-breakdown.json" \
    --explain "$p-postgres-explain.txt" -- "${files[@]}"
  if [[ ",$ENGINES," == *",duckdb,"* ]]; then
    python3 "$TOOL" fused-sql "$p-postgres-statements.log" "$p-duckdb-fused" --to-duckdb checks
    note_load "breakdown:duckdb"
    files=(); for v in "${variants[@]}"; do files+=("$p-duckdb-fused-$v.sql"); done
    log "[breakdown] duckdb: fused query and variants (Python duckdb, in-process)"
    "$PY" "$TOOL" time-duckdb "$OUT_DIR/$NAME-duckdb/target/checks.duckdb" "${files[@]}" --runs "$BREAKDOWN_RUNS" \
      --json "$p-duckdb-breakdown.json" --explain "$p-duckdb-explain.txt"
  fi
}

IFS=, read -r -a ENGINE_LIST <<<"$ENGINES"
for e in "${ENGINE_LIST[@]}"; do
  case "$e" in duckdb|postgres) ;; *) die "unknown engine: $e" ;; esac
done
if [[ ",$ENGINES," == *",postgres,"* ]]; then
  df -h "$OUT_DIR" | tail -n 1 | sed 's/^/[bench] disk: /' >&2
  pg_setup
fi
for e in "${ENGINE_LIST[@]}"; do bench_engine "$e"; done
if [[ $BREAKDOWN == 1 && ",$ENGINES," == *",postgres,"* ]]; then breakdown; fi
[[ -d "$PG_DATA" ]] && du -sh "$PG_DATA" 2>/dev/null | sed 's/^/[bench] postgres data dir: /' >&2

{
  machine_info
  echo "rows=$ROWS checks=50 threads=$THREADS runs=$RUNS warmup=$WARMUP engines=$ENGINES breakdown-runs=$BREAKDOWN_RUNS"
  [[ ",$ENGINES," == *",postgres,"* ]] && echo "postgres: $("$PG_BIN/postgres" --version)"
  echo "duckdb: $("$PY" -c 'import duckdb; print(duckdb.__version__)') (Python baseline; Weir embeds duckdb_jdbc)"
  echo "load average at the start of each part:"; sed 's/^/  /' "$LOADAVG_LOG"
  echo
  python3 "$TOOL" report "$OUT_DIR" "$NAME" "${ENGINE_LIST[@]}" --warmup "$WARMUP"
} | tee "$OUT_DIR/$NAME-summary.txt"
