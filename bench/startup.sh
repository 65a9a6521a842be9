#!/usr/bin/env bash
# CLI start-up benchmark: `weir --version` and `weir ls` on a small project.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: bench/startup.sh [--models N] [--runs R] [--no-dbt] [--no-weir] [-h|--help]

Generates a small synthetic project (default 20 models, shared generator) into
bench/out/startup-N and times with hyperfine (warmup 2, default 10 runs):
  weir --version                       process + JVM start-up, no project
  weir ls --project-dir D              start-up + loading and listing a small project
and, as references measured in the same run,
  dbt ls                               (dbt-core 1.11; `dbt --version` is not timed:
                                        it always asks PyPI for the latest version)
  java -version                        the JVM floor (the JDK on PATH)
Weir is skipped with a message when ./weir is missing or fails; timed Weir runs get
WEIR_SKIP_BUILD=1 (the untimed probe may let the repo launcher build Weir).
Results: bench/out/startup-*.json, table in bench/out/startup-summary.txt.

Options:
  --models N   project size (default 20)
  --runs R     hyperfine runs (default 10)
  --no-dbt     skip the dbt ls reference
  --no-weir    skip Weir (only the references)
Environment:
  WEIR             Weir launcher (default: <repo>/weir)
  GEN_DBT_PROJECT  path of gen_dbt_project.py
EOF
}

MODELS=20; RUNS=10; DO_DBT=1; DO_WEIR=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --models) MODELS="$2"; shift ;;
    --runs) RUNS="$2"; shift ;;
    --no-dbt) DO_DBT=0 ;;
    --no-weir) DO_WEIR=0 ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
ensure_setup
GEN="$(find_shared_generator)"
mkdir -p "$OUT_DIR"
log "$(machine_info)"

D="$OUT_DIR/startup-$MODELS"
dq="$(q "$D")"
rm -rf "$D"
"$PY" "$GEN" "$D" "$MODELS" >&2
for f in weir-version weir-ls dbt-ls java-version; do rm -f "$OUT_DIR/startup-$f.json"; done

if command -v java >/dev/null; then
  hf "java -version" "$OUT_DIR/startup-java-version.json" --warmup 2 --runs "$RUNS" -- "java -version"
fi

if [[ $DO_DBT == 1 ]]; then
  (cd "$D" && "$DBT" ls >"$OUT_DIR/startup-dbt-check.log" 2>&1) \
    || { tail -n 20 "$OUT_DIR/startup-dbt-check.log" >&2; die "dbt ls failed on $D"; }
  hf "dbt ls ($MODELS models)" "$OUT_DIR/startup-dbt-ls.json" --warmup 2 --runs "$RUNS" \
    -- "cd $dq && $(q "$DBT") ls"
fi

if [[ $DO_WEIR == 1 ]] && weir_probe "$OUT_DIR/startup-weir-version.log" --version; then
  hf "weir --version" "$OUT_DIR/startup-weir-version.json" --warmup 2 --runs "$RUNS" \
    -- "$WEIR_TIMED_ENV $(q "$WEIR") --version" || rm -f "$OUT_DIR/startup-weir-version.json"
  rm -rf "$D/target"
  if (cd "$D" && weir_probe "$OUT_DIR/startup-weir-ls.log" ls --project-dir "$D"); then
    hf "weir ls ($MODELS models)" "$OUT_DIR/startup-weir-ls.json" --warmup 2 --runs "$RUNS" \
      -- "cd $dq && $WEIR_TIMED_ENV $(q "$WEIR") ls --project-dir $dq" || rm -f "$OUT_DIR/startup-weir-ls.json"
  fi
fi

{
  machine_info
  "$PY" "$BENCH_DIR/lib/report.py" startup "$OUT_DIR"
} | tee "$OUT_DIR/startup-summary.txt"
