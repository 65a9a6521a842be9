#!/usr/bin/env bash
# CSV file ingestion with `weir ingest`, side by side with DuckDB's own read_csv of the same files
# into a table (Python duckdb from bench/.venv: the same engine version), in one invocation.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: bench/ingest_files.sh [--size-mb MB] [--files N] [--runs R] [--keep]

Generates a set of N CSV files totalling about MB megabytes (10 mixed-type columns: bigint, int,
decimal, double, smallint, two texts, timestamp, date, boolean) under bench/out/ingest-files/,
checking free disk first (the files plus two DuckDB copies must fit), then measures R times each,
alternating:
  duckdb  create table t as select * from read_csv('data/*.csv')   (Python duckdb, timed inside Python)
  weir    weir ingest   (file ingestion, mode full_refresh, into a fresh DuckDB file; JVM start-up included)
Weir's own load-phase time (the ingestion node's time: listing, hashing, schema reading, per-file
read_csv into staging with rejects, publish) is read from its output and reported too.

Options:
  --size-mb MB  total size of the CSV set (default 1024)
  --files N     number of files (default 8)
  --runs R      measurements per tool (default 3)
  --keep        keep the generated files for a next run with the same size
Output: bench/out/ingest-files/ and bench/out/ingest-files-summary.txt
EOF
}

SIZE_MB=1024
FILES=8
RUNS=3
KEEP=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --size-mb) SIZE_MB="$2"; shift 2 ;;
    --files) FILES="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
[[ -x "$PY" ]] && "$PY" -c 'import duckdb' 2>/dev/null || { log "bench/.venv missing: running bench/setup.sh"; bash "$BENCH_DIR/setup.sh"; }

W="$OUT_DIR/ingest-files"
P="$W/project"
DATA="$P/data"
mkdir -p "$DATA" "$P/models"

# Free disk: the CSV set, Weir's DuckDB file and DuckDB's own (each about the CSV size or less), plus slack.
need_mb=$((SIZE_MB * 3 + 512))
free_mb=$(df -Pm "$W" | awk 'NR == 2 {print $4}')
have_mb=$(du -sm "$DATA" 2>/dev/null | cut -f1 || echo 0)
if (( free_mb + have_mb < need_mb )); then
  die "not enough free disk under $W: ${free_mb} MB free, ${need_mb} MB needed for a ${SIZE_MB} MB set (use --size-mb)"
fi
log "free disk: ${free_mb} MB (need ~${need_mb} MB)"

STAMP="$DATA/.size-$SIZE_MB-files-$FILES"
if [[ ! -f "$STAMP" ]]; then
  rm -rf "$DATA"; mkdir -p "$DATA"
  log "generating ~${SIZE_MB} MB of CSV in $FILES files"
  "$PY" - "$DATA" "$SIZE_MB" "$FILES" <<'PY'
import sys, os, duckdb
data, size_mb, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
con = duckdb.connect()
con.execute("set enable_progress_bar = false")
gen = """select range as id, (range % 100000)::int as customer_id, ((range % 100000) / 100.0)::decimal(12,2) as amount,
  range * 0.37 as price, (range % 300)::smallint as qty, ['new','paid','shipped','returned'][1 + range % 4] as status,
  'note number ' || range as note, timestamp '2024-01-01' + to_seconds(range % 1000000) as created_at,
  date '2020-01-01' + (range % 2000)::int as day, range % 2 = 0 as active from range({lo}, {hi})"""
probe = os.path.join(data, "probe.csv")
con.execute(f"copy ({gen.format(lo=0, hi=200000)}) to '{probe}' (header)")
per_row = os.path.getsize(probe) / 200000
os.remove(probe)
rows = int(size_mb * 1024 * 1024 / per_row / files)
for i in range(files):
    con.execute(f"copy ({gen.format(lo=i * rows, hi=(i + 1) * rows)}) to '{data}/part-{i:03d}.csv' (header)")
print(f"{rows * files} rows, {rows} per file", file=sys.stderr)
PY
  touch "$STAMP"
fi
ROWS_TOTAL=$("$PY" -c "import duckdb; print(duckdb.connect().execute('set enable_progress_bar = false').execute(\"select count(*) from read_csv('$DATA/*.csv')\").fetchall()[0][0])")
BYTES=$(du -cb "$DATA"/*.csv | tail -n 1 | cut -f1)
log "CSV set: $(ls "$DATA"/*.csv | wc -l) files, $((BYTES / 1024 / 1024)) MB, $ROWS_TOTAL rows"

cat > "$P/dbt_project.yml" <<EOF
name: bench_files
version: "1.0.0"
config-version: 2
profile: bench_files
EOF
cat > "$P/profiles.yml" <<EOF
bench_files:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: '$W/weir.duckdb'
      schema: main
      threads: 1
EOF
cat > "$P/models/ingest.yml" <<EOF
ingestions:
  - name: bench
    files:
      - name: events
        path: "data/*.csv"
        mode: full_refresh
EOF

log "probe: weir parse (builds Weir when needed)"
"$WEIR" parse --project-dir "$P" >/dev/null

now() { date +%s.%N; }
RES="$W/results.tsv"
: > "$RES"
for r in $(seq 1 "$RUNS"); do
  rm -f "$W/duck.duckdb" "$W/duck.duckdb.wal"
  t=$("$PY" - "$W/duck.duckdb" "$DATA" <<'PY'
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("set enable_progress_bar = false")
s = time.perf_counter()
con.execute(f"create table events as select * from read_csv('{sys.argv[2]}/*.csv')")
e = time.perf_counter()
assert con.execute("select count(*) from events").fetchall()[0][0] > 0
print(e - s)
PY
)
  printf 'duckdb\t%s\t%s\n' "$r" "$t" >> "$RES"
  rm -f "$W/duck.duckdb" "$W/duck.duckdb.wal"

  rm -f "$W/weir.duckdb" "$W/weir.duckdb.wal"
  s=$(now)
  env $WEIR_TIMED_ENV "$WEIR" ingest --project-dir "$P" > "$W/weir-$r.log" 2>&1 || { cat "$W/weir-$r.log" >&2; die "weir ingest failed"; }
  e=$(now)
  node=$(sed -n "s/.*OK loaded ingestion main\.events .* in \([0-9.]*\)s\].*/\1/p" "$W/weir-$r.log" | head -n 1)
  printf 'weir\t%s\t%s\t%s\n' "$r" "$(python3 -c "print($e - $s)")" "${node:-nan}" >> "$RES"
done
loaded=$(sed -n "s/.*OK loaded ingestion main\.events .*\[\([0-9]*\) rows from.*/\1/p" "$W/weir-$RUNS.log" | head -n 1)
[[ "$loaded" == "$ROWS_TOTAL" ]] || die "weir loaded ${loaded:-?} rows, expected $ROWS_TOTAL"

SUMMARY="$OUT_DIR/ingest-files-summary.txt"
python3 - "$RES" "$ROWS_TOTAL" "$BYTES" "$(date -u +%Y-%m-%dT%H:%MZ)" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$FILES" > "$SUMMARY" <<'PY'
import sys, statistics
res, rows, size, date, cores, load, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7]
data = {}
for line in open(res):
    f = line.rstrip("\n").split("\t")
    data.setdefault(f[0], []).append(f[2:])
d = statistics.median(float(x[0]) for x in data["duckdb"])
w = statistics.median(float(x[0]) for x in data["weir"])
l = statistics.median(float(x[1]) for x in data["weir"])
mb = size / 1024 / 1024
rate = lambda s: f"{mb / s:.0f} MB/s, {rows / s / 1e6:.2f} M rows/s ({s:.2f}s)"
print(f"# ingest_files: {date}, {cores} cores, load {load}, {files} CSV files, {mb:.0f} MB, {rows:,} rows")
print()
print("| DuckDB read_csv into a table | weir ingest (whole command) | weir load phase | command vs DuckDB | load phase vs DuckDB |")
print("|---|---|---|---|---|")
print(f"| {rate(d)} | {rate(w)} | {rate(l)} | {d / w:.2f}x | {d / l:.2f}x |")
print()
print(f"medians of {len(data['duckdb'])} runs; 'load phase' = the ingestion node's time as Weir reports it")
PY
cat "$SUMMARY"
[[ $KEEP == 1 ]] || { rm -rf "$DATA"; rm -f "$W/weir.duckdb" "$W/weir.duckdb.wal"; }
