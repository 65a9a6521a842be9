#!/usr/bin/env bash
# Local services for the coffee_shop example's stream and CDC source, nothing to install: a Kafka
# broker (KRaft) on localhost:9092 and a PostgreSQL 17 with logical replication on localhost:5433,
# started by a Java program from Weir's test classpath (the same broker and Postgres the tests use),
# with the topic shop.order_events and the database shop created. Prints the variables to export.
#
#   examples/coffee_shop/dev/services.sh             # until Ctrl-C
#   examples/coffee_shop/dev/services.sh --generate  # also order events and database changes, ~2/s
#   examples/coffee_shop/dev/services.sh --help
#
# Both start empty each time (files under weir-cli/target/dev-services), so the script also drops
# the stream's and the CDC source's tables and positions from the example's target/weir.duckdb.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROJECT="$(cd "$HERE/.." && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
TARGET="$ROOT/weir-cli/target"
SRC="$ROOT/weir-cli/src/test/java/dev/weir/cli/DevServices.java"

# Weir and its test jars installed (the launcher builds when the sources changed).
"$ROOT/weir" --version >/dev/null

# The test classpath of weir-cli (Kafka's test kit, zonky's Postgres), resolved once by Maven.
CP_FILE="$TARGET/dev-services.classpath"
if [ ! -s "$CP_FILE" ] || [ "$ROOT/weir-cli/pom.xml" -nt "$CP_FILE" ] || [ "$ROOT/pom.xml" -nt "$CP_FILE" ]; then
  echo "Resolving the test classpath (mvn dependency:build-classpath) ..." >&2
  (cd "$ROOT" && mvn -q -B -pl weir-cli dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile="$CP_FILE") >&2
fi
CP="$(cat "$CP_FILE")"

CLASSES="$TARGET/dev-services-classes"
if [ ! -f "$CLASSES/dev/weir/cli/DevServices.class" ] || [ "$SRC" -nt "$CLASSES/dev/weir/cli/DevServices.class" ]; then
  rm -rf "$CLASSES" && mkdir -p "$CLASSES"
  javac -nowarn --release 17 -d "$CLASSES" -cp "$CP" "$SRC"
fi

cd "$TARGET"
exec java -cp "$CLASSES:$CP" dev.weir.cli.DevServices --data-dir "$TARGET/dev-services" --project-dir "$PROJECT" "$@"
