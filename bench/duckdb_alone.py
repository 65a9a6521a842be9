#!/usr/bin/env python3
"""DuckDB-alone baseline for the run-overhead benchmark (bench/run_overhead.sh).

METHOD
  What a dbt-compatible tool must at least spend on `run` is the time DuckDB takes to execute
  the models' statements. This script measures exactly that, so that
      per-node overhead = (tool's run wall time - start-up - DuckDB-alone time) / node count.

  1. Input: a manifest.json written by a `dbt run` (or `dbt compile`) of the project. For each
     model node it takes the compiled SQL (manifest `compiled_code`, else the file under
     target/compiled/), the relation name ("db"."schema"."alias") and the materialization.
  2. Statements: `create schema if not exists` for each schema, then for each model, in a
     topological order of depends_on (ties broken by name):
         table -> CREATE TABLE <relation> AS (<compiled SQL>)
         view  -> CREATE VIEW  <relation> AS (<compiled SQL>)
     i.e. the same SELECTs dbt sends, written straight to the final relation (dbt-duckdb
     writes to <alias>__dbt_tmp, then renames and drops the backup; that bookkeeping, its
     metadata queries and transactions are counted as the tool's overhead, not DuckDB's).
     Other node kinds (seeds, tests, snapshots, incremental) are not supported: the project
     must consist of table/view models only (bench/gen_table_project.py makes one).
  3. Timing: each run uses a fresh database file named <database>.duckdb in a new temporary
     directory (so the catalog name in the compiled SQL resolves), and times, with
     time.perf_counter(), connect + all statements + close (close checkpoints the file, as
     the tools' runs do). Python start-up, `import duckdb`, reading the manifest are outside
     the timed region. `--warmup` runs are discarded (page cache, lazy library init).
  4. Output: JSON {mean, stddev, median, min, max, n, times, exec_sum_mean, statements,
     duckdb_version} and a one-line summary on stdout.

  --emit-sql FILE writes the exact statement list (one "-- @stmt <id>" line before each
  statement; first line "-- weir-bench statements v1 database=<db>") so that the same work
  can be replayed through JDBC by bench/jdbc/ReplayStatements.java (the "statements only"
  measurement for Weir's engine, which embeds DuckDB through JDBC).

Usage: duckdb_alone.py --manifest target/manifest.json [--project-dir D] [--runs 5]
                       [--warmup 1] [--json OUT.json] [--emit-sql OUT.sql] [--keep-db FILE]
"""
import argparse
import heapq
import json
import os
import shutil
import statistics
import sys
import tempfile
import time


def load_statements(manifest_path, project_dir):
    with open(manifest_path) as f:
        m = json.load(f)
    nodes = {k: v for k, v in m["nodes"].items() if v.get("resource_type") == "model"}
    if not nodes:
        sys.exit("no model nodes in manifest")
    others = [k for k, v in m["nodes"].items()
              if v.get("resource_type") in ("seed", "snapshot")]
    databases = {n["database"] for n in nodes.values()}
    if len(databases) != 1:
        sys.exit(f"expected one database, found {sorted(databases)}")
    database = databases.pop()

    deps = {}
    for uid, n in nodes.items():
        ups = n.get("depends_on", {}).get("nodes", [])
        missing = [u for u in ups if u not in nodes]
        if missing:
            sys.exit(f"{uid} depends on non-model nodes {missing} (seeds/sources unsupported; "
                     f"other nodes in manifest: {others[:3]})")
        deps[uid] = set(ups)

    # Kahn's algorithm, deterministic.
    children = {u: [] for u in nodes}
    indeg = {u: len(d) for u, d in deps.items()}
    for u, d in deps.items():
        for p in d:
            children[p].append(u)
    ready = [u for u, k in indeg.items() if k == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        u = heapq.heappop(ready)
        order.append(u)
        for c in children[u]:
            indeg[c] -= 1
            if indeg[c] == 0:
                heapq.heappush(ready, c)
    if len(order) != len(nodes):
        sys.exit("dependency cycle in manifest")

    stmts = []
    schemas = sorted({(n["database"], n["schema"]) for n in nodes.values()})
    for db, schema in schemas:
        stmts.append((f"schema.{schema}", f'create schema if not exists "{db}"."{schema}"'))
    for uid in order:
        n = nodes[uid]
        sql = n.get("compiled_code")
        if not sql:
            path = n.get("compiled_path") or os.path.join(
                "target", "compiled", n["package_name"], n["original_file_path"])
            full = path if os.path.isabs(path) else os.path.join(project_dir, path)
            if not os.path.exists(full):
                sys.exit(f"no compiled SQL for {uid} (looked in manifest and {full}); run dbt first")
            with open(full) as f:
                sql = f.read()
        mat = n.get("config", {}).get("materialized", "view")
        kind = {"table": "table", "view": "view"}.get(mat)
        if kind is None:
            sys.exit(f"{uid}: materialization {mat!r} unsupported (table/view only)")
        rel = n.get("relation_name") or f'"{n["database"]}"."{n["schema"]}"."{n["alias"]}"'
        stmts.append((uid, f"create {kind} {rel} as (\n{sql.strip().rstrip(';')}\n)"))
    return database, stmts


def run_once(database, stmts, keep_db=None):
    tmp = tempfile.mkdtemp(prefix="weir-bench-duckdb-")
    path = os.path.join(tmp, f"{database}.duckdb")
    try:
        import duckdb
        exec_sum = 0.0
        t0 = time.perf_counter()
        con = duckdb.connect(path)
        for _, sql in stmts:
            s0 = time.perf_counter()
            con.execute(sql)
            exec_sum += time.perf_counter() - s0
        con.close()
        wall = time.perf_counter() - t0
        if keep_db:
            shutil.copyfile(path, keep_db)
        return wall, exec_sum
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description="DuckDB-alone baseline (see module docstring for the method)")
    p.add_argument("--manifest", required=True)
    p.add_argument("--project-dir", default=None, help="default: manifest's ../")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--json")
    p.add_argument("--emit-sql")
    p.add_argument("--keep-db", help="copy the last run's database file here (for checking)")
    a = p.parse_args()
    project_dir = a.project_dir or os.path.dirname(os.path.dirname(os.path.abspath(a.manifest)))
    database, stmts = load_statements(a.manifest, project_dir)

    if a.emit_sql:
        with open(a.emit_sql, "w") as f:
            f.write(f"-- weir-bench statements v1 database={database}\n")
            for uid, sql in stmts:
                f.write(f"-- @stmt {uid}\n{sql}\n")

    import duckdb
    for _ in range(a.warmup):
        run_once(database, stmts)
    walls, execs = [], []
    for i in range(a.runs):
        w, e = run_once(database, stmts, a.keep_db if i == a.runs - 1 else None)
        walls.append(w)
        execs.append(e)
    res = {
        "tool": "duckdb-python",
        "duckdb_version": duckdb.__version__,
        "statements": len(stmts),
        "models": sum(1 for u, _ in stmts if not u.startswith("schema.")),
        "n": len(walls),
        "times": walls,
        "mean": statistics.mean(walls),
        "stddev": statistics.stdev(walls) if len(walls) > 1 else 0.0,
        "median": statistics.median(walls),
        "min": min(walls),
        "max": max(walls),
        "exec_sum_mean": statistics.mean(execs),
    }
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=2)
    print(f"duckdb alone (python duckdb {duckdb.__version__}): {res['models']} models, "
          f"mean {res['mean']:.3f}s ±{res['stddev']:.3f} (min {res['min']:.3f}s, n={res['n']}), "
          f"statements only {res['exec_sum_mean']:.3f}s")


if __name__ == "__main__":
    main()
