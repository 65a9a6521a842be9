#!/usr/bin/env bash
# Stream benchmark: Kafka -> DuckDB exactly once vs Kafka's raw consumer rate, and end-to-end latency.
# Usage: bench/stream.sh [--messages N] [--rate R] [--seconds S] [--latency-only] [--proof]
#   --latency-only  skips the throughput runs (raw consumer and Weir) and measures only the latency at --rate.
#   --proof  also runs the exactly-once kill proof with 1,000,000 messages (StreamExactlyOnceTest).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/bench/out"
N=1000000; RATE=10000; SECS=30; PROOF=0
while [ $# -gt 0 ]; do
  case "$1" in
    --messages) N="$2"; shift 2;;
    --rate) RATE="$2"; shift 2;;
    --seconds) SECS="$2"; shift 2;;
    --latency-only) N=0; shift;;
    --proof) PROOF=1; shift;;
    -h|--help) sed -n 2,5p "$0"; exit 0;;
    *) echo "unknown argument: $1" >&2; exit 2;;
  esac
done
mkdir -p "$OUT"
rm -f "$OUT/stream.json" "$OUT/stream-summary.txt"
cd "$ROOT"
mvn -q -o install -DskipTests -pl weir-core,weir-engine-duckdb,weir-stream >/dev/null
(cd weir-stream && mvn -q -o test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$OUT/stream-cp.txt" >/dev/null)
{
  echo "# stream benchmark $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
  java -Xmx2g -cp "weir-stream/target/test-classes:weir-stream/target/classes:$(cat "$OUT/stream-cp.txt")" \
    dev.weir.stream.StreamBench "$N" "$RATE" "$SECS" "$OUT" 2>&1 | grep -v -e '^Bootstrap metadata' -e '^Formatting metadata'
} | tee "$OUT/stream-summary.txt"
if [ "$PROOF" = 1 ]; then
  mvn -o -pl weir-cli test -Dtest=StreamExactlyOnceTest -Dsurefire.failIfNoSpecifiedTests=false -Dweir.stream.proof.n=1000000 \
    | grep -e 'exactly-once proof' -e 'Tests run' | tee -a "$OUT/stream-summary.txt"
fi
