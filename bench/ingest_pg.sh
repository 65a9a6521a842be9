#!/usr/bin/env bash
# Postgres -> DuckDB ingestion with `weir ingest`, side by side with `psql \copy` of the same
# tables to a file (the practical limit of reading a Postgres table), in one invocation.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: bench/ingest_pg.sh [--rows N] [--runs R] [--port P] [--keep]

Starts a private PostgreSQL cluster (Debian's postgresql package; as the postgres user when run
as root) on a free port, generates two tables of N rows each:
  wide    10 mixed-type columns (bigint, int, numeric(12,2), double, smallint, text x2,
          timestamp, timestamptz, boolean)
  narrow  3 columns (bigint, int, double precision)
and measures, R times each, alternating:
  copy    psql -c "\copy (select * from T) to FILE"
  weir    weir ingest -s bench.T   (full refresh into a DuckDB file; JVM start-up included)
Weir's own load-phase time (source read + cast + DuckDB appender + atomic publish, without JVM
start-up and project parse) is read from its --debug log and reported too.

Options:
  --rows N   rows per table (default 10000000)
  --runs R   measurements per tool and table (default 3)
  --port P   port of the private cluster (default: a free one from 55432 up)
  --keep     keep the cluster and the generated tables for a next run with the same --rows
Output: bench/out/ingest-pg/ (cluster, project, logs) and bench/out/ingest-pg-summary.txt
EOF
}

ROWS=10000000
RUNS=3
PORT=""
KEEP=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --rows) ROWS="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

PGBIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
[[ -n "$PGBIN" && -x "$PGBIN/initdb" ]] || die "Debian's postgresql package is missing (apt-get install postgresql)"
command -v psql >/dev/null || die "psql not found (apt-get install postgresql-client)"

W="$OUT_DIR/ingest-pg"
mkdir -p "$W"
chmod 777 "$W" 2>/dev/null || true
CLUSTER="$W/cluster"
SOCK="$W/sock"
as_pg() { if [[ $(id -u) == 0 ]]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }

if [[ -z "$PORT" ]]; then
  PORT=55432
  while (echo >/dev/tcp/127.0.0.1/$PORT) 2>/dev/null; do PORT=$((PORT + 1)); done
fi

if [[ ! -f "$CLUSTER/PG_VERSION" ]]; then
  log "initdb $CLUSTER"
  mkdir -p "$CLUSTER" "$SOCK"
  [[ $(id -u) == 0 ]] && chown postgres "$CLUSTER" "$SOCK"
  as_pg "'$PGBIN/initdb' -D '$CLUSTER' -A trust -U postgres -E UTF8 >/dev/null"
fi
mkdir -p "$SOCK"; [[ $(id -u) == 0 ]] && chown postgres "$SOCK"
log "starting postgres on port $PORT"
as_pg "'$PGBIN/pg_ctl' -D '$CLUSTER' -l '$W/postgres.log' -w -o \"-p $PORT -k $SOCK -c shared_buffers=512MB -c fsync=off -c synchronous_commit=off -c full_page_writes=off\" start >/dev/null"
stop_pg() { as_pg "'$PGBIN/pg_ctl' -D '$CLUSTER' -m fast stop >/dev/null" || true; [[ $KEEP == 1 ]] || rm -rf "$CLUSTER"; }
trap stop_pg EXIT

PSQL=(psql -X -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1)
have=$("${PSQL[@]}" -At -c "select coalesce((select count(*) from narrow), -1)" 2>/dev/null || echo -1)
if [[ "$have" != "$ROWS" ]]; then
  log "generating $ROWS rows in wide and narrow"
  "${PSQL[@]}" <<SQL
drop table if exists wide; drop table if exists narrow;
create table wide as
select g::bigint as id, (g % 100000)::int as customer_id, ((g % 100000) / 100.0)::numeric(12,2) as amount,
       (g * 0.37)::double precision as price, (g % 300)::smallint as qty,
       (array['new','paid','shipped','returned'])[1 + g % 4] as status, 'note number ' || g as note,
       timestamp '2024-01-01' + (g % 1000000) * interval '1 second' as created_at,
       timestamptz '2024-01-01 00:00+00' + (g % 1000000) * interval '1 minute' as updated_at, (g % 2 = 0) as active
from generate_series(1, $ROWS) g;
alter table wide add primary key (id);
create table narrow as select g::bigint as id, (g % 1000)::int as v, (g * 0.5)::double precision as x from generate_series(1, $ROWS) g;
alter table narrow add primary key (id);
vacuum analyze wide; vacuum analyze narrow;
SQL
fi

P="$W/project"
mkdir -p "$P/models"
cat > "$P/dbt_project.yml" <<EOF
name: bench_ingest
version: "1.0.0"
config-version: 2
profile: bench_ingest
EOF
cat > "$P/profiles.yml" <<EOF
bench_ingest:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: '$P/target/bench.duckdb'
      schema: main
      threads: 1
EOF
cat > "$P/models/ingest.yml" <<EOF
ingestions:
  - name: bench
    connection:
      url: "jdbc:postgresql://127.0.0.1:$PORT/postgres"
      user: "{{ env_var('BENCH_PG_USER') }}"
    tables:
      - name: wide
        source_table: public.wide
      - name: narrow
        source_table: public.narrow
EOF
export BENCH_PG_USER=postgres

log "probe: weir parse (builds Weir when needed)"
"$WEIR" parse --project-dir "$P" >/dev/null

secs() { python3 -c 'import sys; print(f"{float(sys.argv[1]):.3f}")' "$1"; }
now() { date +%s.%N; }

RES="$W/results.tsv"
: > "$RES"
for t in narrow wide; do
  for r in $(seq 1 "$RUNS"); do
    rm -f "$W/$t.copy"
    s=$(now)
    "${PSQL[@]}" -c "\\copy (select * from $t) to '$W/$t.copy'"
    e=$(now)
    printf '%s\tcopy\t%s\t%s\n' "$t" "$r" "$(python3 -c "print($e - $s)")" >> "$RES"
    rm -f "$W/$t.copy"
    rm -f "$P/target/bench.duckdb" "$P/target/bench.duckdb.wal"
    s=$(now)
    env $WEIR_TIMED_ENV "$WEIR" ingest -s "bench.$t" --project-dir "$P" --debug > "$W/weir-$t-$r.log" 2>&1 \
      || { cat "$W/weir-$t-$r.log" >&2; die "weir ingest failed"; }
    e=$(now)
    node=$(sed -n "s/.*OK loaded ingestion main\.$t .* in \([0-9.]*\)s\].*/\1/p" "$W/weir-$t-$r.log" | head -n 1)
    printf '%s\tweir\t%s\t%s\t%s\n' "$t" "$r" "$(python3 -c "print($e - $s)")" "${node:-nan}" >> "$RES"
  done
done
loaded=$(sed -n "s/.*OK loaded ingestion main\.wide .*\[\([0-9]*\) rows in.*/\1/p" "$W/weir-wide-$RUNS.log" | head -n 1)

SUMMARY="$OUT_DIR/ingest-pg-summary.txt"
python3 - "$RES" "$ROWS" "$(date -u +%Y-%m-%dT%H:%MZ)" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" > "$SUMMARY" <<'PY'
import sys, statistics
res, rows, date, cores, load = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
data = {}
for line in open(res):
    f = line.rstrip("\n").split("\t")
    data.setdefault((f[0], f[1]), []).append(f[3:])
print(f"# ingest_pg: {date}, {cores} cores, load {load}, {rows:,} rows per table")
print()
print("| table | psql \\copy to file | weir ingest (whole command) | weir load phase | command / copy | load phase / copy |")
print("|---|---|---|---|---|---|")
for t in ("narrow", "wide"):
    c = [float(x[0]) for x in data[(t, "copy")]]
    w = [float(x[0]) for x in data[(t, "weir")]]
    l = [float(x[1]) for x in data[(t, "weir")]]
    cm, wm, lm = statistics.median(c), statistics.median(w), statistics.median(l)
    rate = lambda s: f"{rows / s / 1e6:.2f} M rows/s ({s:.2f}s)"
    print(f"| {t} | {rate(cm)} | {rate(wm)} | {rate(lm)} | {cm / wm:.2f}x | {cm / lm:.2f}x |")
print()
print(f"medians of {len(c)} runs; 'load phase' = the ingestion node's time as Weir reports it (read, cast, append, publish)")
PY
cat "$SUMMARY"
log "check: the last weir run loaded ${loaded:-?} rows into main.wide (expected $ROWS)"
