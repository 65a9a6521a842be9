#!/usr/bin/env bash
# Scheduler benchmark: (a) step start latency over a chain of 1,000 noop steps, (b) one pipeline of 10,000 noop steps
# with a wide fan-out, (c) scheduler idle CPU with 1,000 pipelines registered.
# Usage: bench/scheduler.sh [--chain N] [--fan N] [--pipelines N] [--idle-seconds S] [--parts abc]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/bench/out"
CHAIN=1000; FAN=10000; PIPES=1000; IDLE=60; PARTS=abc
while [ $# -gt 0 ]; do
  case "$1" in
    --chain) CHAIN="$2"; shift 2;;
    --fan) FAN="$2"; shift 2;;
    --pipelines) PIPES="$2"; shift 2;;
    --idle-seconds) IDLE="$2"; shift 2;;
    --parts) PARTS="$2"; shift 2;;
    -h|--help) sed -n 2,4p "$0"; exit 0;;
    *) echo "unknown argument: $1" >&2; exit 2;;
  esac
done
mkdir -p "$OUT"
rm -rf "$OUT/sched-chain" "$OUT/sched-fan" "$OUT/sched-idle" "$OUT/scheduler-summary.txt"
cd "$ROOT"
mvn -q -o install -DskipTests -pl weir-orchestrate,weir-cli >/dev/null
(cd weir-cli && mvn -q -o dependency:build-classpath -Dmdep.outputFile="$OUT/sched-cp.txt" >/dev/null)
CP="$ROOT/weir-cli/target/classes:$(cat "$OUT/sched-cp.txt")"
weir() { java -Xmx1g -cp "$CP" dev.weir.cli.Main "$@"; }

python3 - "$OUT" "$CHAIN" "$FAN" "$PIPES" <<'PY'
import os, sys
out, chain, fan, pipes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    open(path, "w").write(text)
# (a) a chain: s0 -> s1 -> ... ; one step at a time
lines = ["max_parallel: 1", "steps:"]
for i in range(chain):
    lines.append(f"  - name: s{i}\n    noop: {{}}" + (f"\n    depends_on: [s{i-1}]" if i else ""))
write(f"{out}/sched-chain/pipelines/chain.yml", "\n".join(lines) + "\n")
# (b) a wide fan-out: root -> 100 groups -> (fan-101)/100 leaves each, all noop
groups = 100
lines = ["max_parallel: 16", "steps:", "  - name: root\n    noop: {}"]
for g in range(groups):
    lines.append(f"  - name: g{g}\n    noop: {{}}\n    depends_on: [root]")
n = 1 + groups
i = 0
while n < fan:
    lines.append(f"  - name: l{i}\n    noop: {{}}\n    depends_on: [g{i % groups}]")
    i += 1; n += 1
write(f"{out}/sched-fan/pipelines/fan.yml", "\n".join(lines) + "\n")
# (c) many pipelines, scheduled daily from today on: nothing is due, the scheduler idles
import datetime
today = datetime.datetime.utcnow().strftime("%Y-%m-%d")
for k in range(pipes):
    write(f"{out}/sched-idle/pipelines/p{k:04d}.yml",
          f"schedule: {{cron: \"{k % 60} {k % 24} * * *\", start_date: \"{today}\"}}\nsteps:\n  - name: a\n    noop: {{}}\n  - name: b\n    noop: {{}}\n    depends_on: [a]\n")
PY

stats() { # $1 store, $2 run id: latency upstream end -> downstream start over consecutive steps of the chain
python3 - "$1" "$2" <<'PY'
import sqlite3, sys, datetime, statistics
def t(s):
    s = s.rstrip("Z"); base, _, frac = s.partition(".")
    return datetime.datetime.fromisoformat(base).timestamp() + (float("0." + frac) if frac else 0.0)
db = sqlite3.connect(sys.argv[1]); rid = int(sys.argv[2])
rows = db.execute("select step, started_at, ended_at from step_run where run_id = ? and state = 'success' order by position", (rid,)).fetchall()
gaps = sorted((t(rows[i][1]) - t(rows[i-1][2])) * 1000 for i in range(1, len(rows)))
p99 = gaps[min(len(gaps) - 1, int(round(0.99 * len(gaps))) - 1)]
print(f"steps {len(rows)}  median {statistics.median(gaps):.2f} ms  p99 {p99:.2f} ms  max {gaps[-1]:.2f} ms")
PY
}

{
  echo "# scheduler benchmark $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
  if [[ "$PARTS" == *a* ]]; then
  echo "## (a) step start latency, chain of $CHAIN noop steps (upstream finished -> downstream started; targets median <= 20 ms, p99 <= 100 ms)"
  weir pipeline trigger chain --project-dir "$OUT/sched-chain" > "$OUT/sched-chain.log"
  tail -n 1 "$OUT/sched-chain.log"
  stats "$OUT/sched-chain/target/weir_meta.sqlite" 1
  fi
  if [[ "$PARTS" == *b* ]]; then
  echo "## (b) one pipeline of $FAN noop steps, fan-out root -> 100 -> the rest (target <= 10 s)"
  s=$(date +%s.%N)
  weir pipeline trigger fan --project-dir "$OUT/sched-fan" > "$OUT/sched-fan.log"
  e=$(date +%s.%N)
  tail -n 1 "$OUT/sched-fan.log" | sed 's/Details:.*//'
  python3 - "$OUT/sched-fan/target/weir_meta.sqlite" "$s" "$e" <<'PY'
import sqlite3, sys, datetime
def t(s):
    s = s.rstrip("Z"); base, _, frac = s.partition(".")
    return datetime.datetime.fromisoformat(base).timestamp() + (float("0." + frac) if frac else 0.0)
db = sqlite3.connect(sys.argv[1])
q, st, en = db.execute("select queued_at, started_at, ended_at from pipeline_run where id = 1").fetchone()
n = db.execute("select count(*) from step_run where run_id = 1 and state = 'success'").fetchone()[0]
print(f"{n} steps succeeded; run recorded -> finished {t(en) - t(q):.2f} s (first step start -> run end {t(en) - t(st):.2f} s); whole command incl. JVM start and parse {float(sys.argv[3]) - float(sys.argv[2]):.2f} s")
PY
  fi
  if [[ "$PARTS" == *c* ]]; then
  echo "## (c) scheduler idle with $PIPES pipelines registered, CPU over ${IDLE} s (target <= 5% of one core)"
  java -Xmx1g -cp "$CP" dev.weir.cli.Main scheduler --project-dir "$OUT/sched-idle" > "$OUT/sched-idle.log" 2>&1 &
  PID=$!
  sleep 20  # start-up: parsing the files and JIT compilation settle
  tick=$(getconf CLK_TCK)
  a=$(awk '{print $14 + $15}' /proc/$PID/stat); sleep "$IDLE"; b=$(awk '{print $14 + $15}' /proc/$PID/stat)
  kill -TERM $PID; wait $PID || true
  python3 -c "print(f'cpu {($b - $a) / $tick:.2f} s in $IDLE s = {100.0 * ($b - $a) / $tick / $IDLE:.2f}% of one core')"
  echo "runs started while idle: $(grep -c ' RUN ' "$OUT/sched-idle.log" || true)"
  fi
} 2>&1 | tee "$OUT/scheduler-summary.txt"
