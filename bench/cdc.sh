#!/usr/bin/env bash
# CDC benchmark: Postgres (logical replication) -> DuckDB exactly once: changes/s applied and commit-to-visible latency.
# Usage: bench/cdc.sh [--rows N] [--changes M] [--tx K] [--rate R] [--seconds S] [--latency-only] [--throughput-only]
#                     [--checkpoint SIZE] [--duckdb-threads T] [--max-batch B] [--repeat X]
#   --latency-only / --throughput-only  run one part; --checkpoint sets DuckDB's checkpoint_threshold in the profile settings;
#   CDC_JAVA_OPTS: extra JVM options (e.g. -XX:StartFlightRecording=filename=/tmp/cdc.jfr); CDC_CLASSES: weir-cdc classes to run
#   instead of weir-cdc/target/classes (a before/after copy); --no-build skips the Maven build.
#   --max-batch sets the source's max_batch (default 10000); --repeat runs the whole benchmark X times (fresh JVM each).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/bench/out"
ROWS=50000; CHANGES=200000; TX=50; RATE=5000; SECS=30; CKPT=-; MAXB=10000; REPEAT=1
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) ROWS="$2"; shift 2;;
    --changes) CHANGES="$2"; shift 2;;
    --tx) TX="$2"; shift 2;;
    --rate) RATE="$2"; shift 2;;
    --seconds) SECS="$2"; shift 2;;
    --latency-only) CHANGES=0; shift;;
    --throughput-only) SECS=0; shift;;
    --checkpoint) CKPT="$2"; shift 2;;
    --max-batch) MAXB="$2"; shift 2;;
    --duckdb-threads) JOPTS="${JOPTS:-} -Dcdc.bench.duckdb_threads=$2"; shift 2;;
    --repeat) REPEAT="$2"; shift 2;;
    --no-build) NOBUILD=1; shift;;
    -h|--help) sed -n 2,8p "$0"; exit 0;;
    *) echo "unknown argument: $1" >&2; exit 2;;
  esac
done
mkdir -p "$OUT"
rm -f "$OUT/cdc.json" "$OUT/cdc-summary.txt"
cd "$ROOT"
if [ "${NOBUILD:-0}" != 1 ]; then
  mvn -q -o install -DskipTests -pl weir-core,weir-engine-duckdb,weir-engine-postgres,weir-cdc >/dev/null
  (cd weir-cdc && mvn -q -o test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$OUT/cdc-cp.txt" >/dev/null)
fi
# Run from a snapshot of the classes and Weir jars: other sessions rebuild weir-cdc under a running JVM (NoClassDefFoundError).
SNAP="$OUT/cdc-snapshot"
rm -rf "$SNAP"; mkdir -p "$SNAP/jars"
if [ -n "${CDC_CLASSES:-}" ]; then cp -r "$CDC_CLASSES" "$SNAP/classes"; else cp weir-cdc/target/weir-cdc-0.1.0-SNAPSHOT.jar "$SNAP/classes.jar" 2>/dev/null \
  || cp ~/.m2/repository/dev/weir/weir-cdc/0.1.0-SNAPSHOT/weir-cdc-0.1.0-SNAPSHOT.jar "$SNAP/classes.jar"; fi
MAIN="$SNAP/classes"; [ -d "$MAIN" ] || MAIN="$SNAP/classes.jar"
CP=""
for j in $(tr ':' ' ' < "$OUT/cdc-cp.txt"); do
  case "$j" in
    */dev/weir/*) cp "$j" "$SNAP/jars/"; CP="$CP:$SNAP/jars/$(basename "$j")";;
    *) CP="$CP:$j";;
  esac
done
# the driver and its source helper, compiled here (weir-cdc/target/test-classes may be mid-rebuild)
mkdir -p "$SNAP/test-classes"
javac -nowarn -d "$SNAP/test-classes" -cp "$MAIN$CP" weir-cdc/src/test/java/dev/weir/cdc/CdcBench.java weir-cdc/src/test/java/dev/weir/cdc/CdcSource.java
for i in $(seq 1 "$REPEAT"); do
  {
    echo "# cdc benchmark $(date -u +%Y-%m-%dT%H:%M:%SZ), run $i/$REPEAT, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
    # from weir-cdc: CdcSource keeps the extracted Postgres binaries in weir-cdc/target/embedded-pg
    (cd weir-cdc && java -Xmx2g ${JOPTS:-} ${CDC_JAVA_OPTS:-} -cp "$SNAP/test-classes:$MAIN$CP" \
      dev.weir.cdc.CdcBench "$ROWS" "$CHANGES" "$TX" "$RATE" "$SECS" "$OUT" "$CKPT" "$MAXB" 2>&1)
    echo "# end $(date -u +%Y-%m-%dT%H:%M:%SZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
  } | tee -a "$OUT/cdc-summary.txt"
  if [ "$REPEAT" -gt 1 ]; then cp "$OUT/cdc.json" "$OUT/cdc-$i.json"; fi
done
