#!/usr/bin/env bash
# Create bench/.venv with the reference tools (dbt-core, dbt-duckdb, duckdb) and install
# hyperfine when missing. Idempotent: a second run only checks.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: bench/setup.sh [--force]

Prepares the benchmark toolchain (never a dependency of Weir itself):
  * bench/.venv   Python 3.11+ virtualenv with the versions pinned in bench/requirements.txt
                  (dbt-core, dbt-duckdb, duckdb) and bench/constraints.txt (transitive pins)
  * hyperfine     from Debian (apt-get), when not on PATH; needs root

Options:
  --force   recreate bench/.venv from scratch
  -h, --help
Environment:
  PYTHON    interpreter used to create the venv (default: python3)
EOF
}

FORCE=0
for a in "$@"; do
  case "$a" in
    -h|--help) usage; exit 0 ;;
    --force) FORCE=1 ;;
    *) echo "unknown argument: $a" >&2; usage >&2; exit 2 ;;
  esac
done

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

PYTHON="${PYTHON:-python3}"
command -v "$PYTHON" >/dev/null || die "$PYTHON not found"
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' \
  || die "$PYTHON is older than 3.10 (dbt-core 1.11 needs >= 3.10)"

if [[ $FORCE == 1 && -d "$VENV" ]]; then
  log "removing $VENV"
  rm -rf "$VENV"
fi

stamp="$VENV/.requirements.sha256"
want="$(cat "$BENCH_DIR/requirements.txt" "$BENCH_DIR/constraints.txt" | sha256sum | cut -d' ' -f1)"
if [[ -x "$VENV/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]] \
   && "$VENV/bin/python" -c 'import duckdb, dbt.adapters.duckdb' >/dev/null 2>&1; then
  log "venv up to date: $VENV"
else
  if [[ ! -x "$VENV/bin/python" ]]; then
    log "creating venv $VENV"
    "$PYTHON" -m venv "$VENV"
  fi
  log "installing pinned reference tools (requirements.txt + constraints.txt)"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r "$BENCH_DIR/requirements.txt" -c "$BENCH_DIR/constraints.txt"
  "$VENV/bin/python" -c 'import duckdb, dbt.adapters.duckdb' \
    || die "venv install finished but dbt-duckdb does not import"
  printf '%s\n' "$want" >"$stamp"
fi

if command -v hyperfine >/dev/null 2>&1; then
  log "hyperfine present: $(hyperfine --version)"
else
  [[ "$(id -u)" == 0 ]] || die "hyperfine missing and not root: install it with apt-get install hyperfine"
  log "installing hyperfine from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq hyperfine >/dev/null
  log "hyperfine installed: $(hyperfine --version)"
fi

"$VENV/bin/python" - <<'PYEOF' >&2
from importlib.metadata import version as v
import duckdb
print(f"[bench] dbt-core {v('dbt-core')} / dbt-duckdb {v('dbt-duckdb')} / duckdb {duckdb.__version__}")
PYEOF
