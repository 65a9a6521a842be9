#!/usr/bin/env python3
"""Helpers of bench/checks.sh (data-quality checks: one scan). Stdlib only, except `duckdb` for
the DuckDB subcommands (run them with bench/.venv/bin/python: the venv's duckdb is the engine
version of Weir's duckdb_jdbc).

  checks_tool.py one-scan-duckdb DB SQLFILE RELATION --runs R --warmup W --json OUT
      The "one full scan" baseline on DuckDB: per run, time.perf_counter() around
      connect(DB, read_only) + execute(one_scan.sql with {relation}) + fetchall + close, i.e. what
      one `weir test` invocation must at least do with the database file. JSON: {mean, stddev,
      median, min, max, n, times, query_mean} (query_mean: execute + fetch only).
  checks_tool.py harvest RUN_RESULTS JSONL
      Used as hyperfine's --prepare: appends the runner's elapsed_time (and the number of
      checks, passes and fused checks) of the previous `weir test` to JSONL, then deletes
      run_results.json. The first W lines (warmup runs) are dropped by `report`.
  checks_tool.py check RUN_RESULTS --expect N [--fused]
      Exit 1 unless N results all passed (and, with --fused, all were decided by one scan).
  checks_tool.py fused-sql LOGFILE OUT_PREFIX [--to-duckdb CATALOG]
      Finds Weir's fused query (the statement selecting weir_m0) in a Postgres server log
      (log_min_duration_statement = 0; Weir does not log its SQL and DuckDB's log_query_path
      stays empty under Weir), optionally translated to DuckDB (regex operator, catalog), writes OUT_PREFIX-full.sql and variants for the breakdown:
      -count.sql (count(*) over the same FROM: the scan with the joins), -no-distinct.sql (without
      the count(distinct) aggregates of the unique checks), -no-joins.sql (without the
      relationships joins and their aggregates), -no-regex.sql (without regex predicates).
  checks_tool.py time-duckdb DB SQLFILE... --runs R [--explain OUT]
      Times each SQL file (connect once, R runs, no warmup); --explain writes EXPLAIN ANALYZE of
      the first file.
  checks_tool.py time-psql --runs R --json OUT [--explain OUT] -- SQLFILE...
      The same through psql (\\timing; connection from the PG* environment variables); the
      EXPLAIN has (ANALYZE, BUFFERS, VERBOSE).
  checks_tool.py report OUT_DIR NAME ENGINE... --warmup W
      The summary table of one invocation (see checks.sh --help).
"""
import json
import os
import re
import statistics
import sys
import time


def stats(times):
    return {"mean": statistics.mean(times), "stddev": statistics.stdev(times) if len(times) > 1 else 0.0,
            "median": statistics.median(times), "min": min(times), "max": max(times), "n": len(times),
            "times": times}


def arg(argv, name, default=None, conv=str):
    if name in argv:
        i = argv.index(name)
        v = argv[i + 1]
        del argv[i:i + 2]
        return conv(v)
    return default


# ---------------------------------------------------------------- DuckDB baseline

def one_scan_duckdb(argv):
    import duckdb
    runs = arg(argv, "--runs", 5, int)
    warmup = arg(argv, "--warmup", 1, int)
    out = arg(argv, "--json")
    db, sqlfile, relation = argv
    sql = open(sqlfile).read().replace("{relation}", relation)
    totals, queries = [], []
    for k in range(warmup + runs):
        t0 = time.perf_counter()
        con = duckdb.connect(db, read_only=True)
        t1 = time.perf_counter()
        row = con.execute(sql).fetchall()
        t2 = time.perf_counter()
        con.close()
        t3 = time.perf_counter()
        if k >= warmup:
            totals.append(t3 - t0)
            queries.append(t2 - t1)
    res = stats(totals)
    res["query_mean"] = statistics.mean(queries)
    res["rows_counted"] = row[0][0]
    res["duckdb_version"] = duckdb.__version__
    if out:
        with open(out, "w") as f:
            json.dump(res, f, indent=2)
    print(f"[bench] one scan (duckdb, connect+query+close): {res['mean']:.3f}s ± {res['stddev']:.3f} "
          f"(n={res['n']}), query only {res['query_mean']:.3f}s, rows={row[0][0]}", file=sys.stderr)


# ---------------------------------------------------------------- Weir's run_results.json

def read_results(path):
    with open(path) as f:
        r = json.load(f)
    res = r.get("results", [])
    fused = [x for x in res if (x.get("adapter_response") or {}).get("weir_fused_checks")]
    return {"elapsed": r.get("elapsed_time"), "checks": len(res),
            "passed": sum(1 for x in res if x.get("status") == "pass"),
            "fused": len(fused),
            "fused_with": max([(x.get("adapter_response") or {}).get("weir_fused_checks", 0) for x in res] or [0]),
            "slowest": max([x.get("execution_time") or 0 for x in res] or [0])}


def harvest(argv):
    rr, jsonl = argv
    if os.path.exists(rr):
        rec = read_results(rr)
        with open(jsonl, "a") as f:
            f.write(json.dumps(rec) + "\n")
        os.remove(rr)


def check(argv):
    expect = arg(argv, "--expect", 50, int)
    want_fused = "--fused" in argv
    argv = [a for a in argv if a != "--fused"]
    rec = read_results(argv[0])
    ok = rec["checks"] == expect and rec["passed"] == expect and (not want_fused or rec["fused"] == expect)
    print(f"[bench] {argv[0]}: {rec['checks']} checks, {rec['passed']} passed, {rec['fused']} decided by a fused "
          f"scan (largest scan: {rec['fused_with']} checks), elapsed_time {rec['elapsed']:.3f}s", file=sys.stderr)
    return 0 if ok else 1


# ---------------------------------------------------------------- the fused query and its breakdown

def find_fused(logfile):
    """The longest `select\n  ... weir_m0 ... from <relation> weir_t [left join ...]*` in the log
    (DuckDB's log_query_path file or a Postgres server log with log_min_duration_statement)."""
    text = open(logfile, errors="replace").read().replace("\n\t", "\n")  # Postgres continuation lines
    pat = re.compile(r"select\n  (?:(?!\nfrom ).)*?\nfrom [^\n]* weir_t(?:\nleft join [^\n]*)*", re.S)
    cands = [m.group(0) for m in pat.finditer(text) if "weir_m0" in m.group(0)]
    if not cands:
        sys.exit(f"no fused query (select ... weir_m0 ... weir_t) found in {logfile}")
    return max(cands, key=len).strip().rstrip(";")


def split_fused(q):
    head, rest = q.split("\nfrom ", 1)
    assert head.startswith("select\n  ")
    aggs = head[len("select\n  "):].split(",\n  ")
    lines = rest.split("\nleft join ")
    frm = lines[0]
    joins = ["left join " + j for j in lines[1:]]
    return aggs, frm, joins


def build(aggs, frm, joins):
    if not aggs:
        aggs = ["count(*) as weir_m0"]
    return "select\n  " + ",\n  ".join(aggs) + "\nfrom " + frm + "".join("\n" + j for j in joins)


def to_duckdb(q, catalog):
    """Weir's fused query as the Postgres log shows it, in DuckDB's dialect: regex predicates
    (`(col ~ 'p')` -> regexp_matches(col, 'p')) and the catalog of relation names."""
    def rx(m):
        lit = m.group(3)
        if m.group(2):  # E'...' escape string: \\ -> \
            lit = lit.replace("\\\\", "\\")
        return f"regexp_matches({m.group(1)}, '{lit}')"
    q = re.sub(r"\((\w+) ~ (E?)'((?:[^']|'')*)'\)", rx, q)
    return re.sub(r'"[^"]+"\.("[^"]+"\.)', '"' + catalog + r'".\1', q)


def fused_sql(argv):
    duck = arg(argv, "--to-duckdb")
    logfile, prefix = argv
    q = find_fused(logfile)
    if duck:
        q = to_duckdb(q, duck)
    aggs, frm, joins = split_fused(q)
    variants = {
        "full": build(aggs, frm, joins),
        "count": build(["count(*) as n"], frm, joins),
        "scan-only": build(["count(*) as n"], frm, []),
        "no-distinct": build([a for a in aggs if "distinct" not in a], frm, joins),
        "no-joins": build([a for a in aggs if "weir_r" not in a], frm, []),
        "no-regex": build([a for a in aggs if "regexp_matches" not in a and " ~ " not in a], frm, joins),
        "no-distinct-no-joins": build([a for a in aggs if "weir_r" not in a and "distinct" not in a], frm, []),
    }
    for k, v in variants.items():
        with open(f"{prefix}-{k}.sql", "w") as f:
            f.write(v + ";\n")
    print(f"[bench] fused query: {len(aggs)} aggregates, {len(joins)} joins -> {prefix}-*.sql", file=sys.stderr)


def time_duckdb(argv):
    import duckdb
    runs = arg(argv, "--runs", 3, int)
    explain = arg(argv, "--explain")
    out = arg(argv, "--json")
    db, files = argv[0], argv[1:]
    con = duckdb.connect(db, read_only=True)
    res = {}
    for fn in files:
        sql = open(fn).read().strip().rstrip(";")
        ts = []
        for _ in range(runs):
            t0 = time.perf_counter()
            con.execute(sql).fetchall()
            ts.append(time.perf_counter() - t0)
        res[os.path.basename(fn)] = stats(ts)
        print(f"[bench]   {os.path.basename(fn):45s} {statistics.mean(ts):.3f}s (n={runs})", file=sys.stderr)
    if explain:
        rows = con.execute("explain analyze " + open(files[0]).read().strip().rstrip(";")).fetchall()
        with open(explain, "w") as f:
            for r in rows:
                f.write(str(r[-1]) + "\n")
    if out:
        with open(out, "w") as f:
            json.dump(res, f, indent=2)
    con.close()


def time_psql(argv):
    """time-psql --runs R --json OUT [--explain OUT] -- SQLFILE... ; connection from PG* env vars."""
    import subprocess
    runs = arg(argv, "--runs", 3, int)
    explain = arg(argv, "--explain")
    out = arg(argv, "--json")
    files = [a for a in argv if a != "--"]
    res = {}
    for fn in files:
        cmd = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", "\\timing on"]
        for _ in range(runs):
            cmd += ["-f", fn]
        txt = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        ts = [float(x) / 1000 for x in re.findall(r"^Time: ([0-9.]+) ms", txt, re.M)]
        res[os.path.basename(fn)] = stats(ts)
        print(f"[bench]   {os.path.basename(fn):45s} {statistics.mean(ts):.3f}s (n={len(ts)})", file=sys.stderr)
    if explain:
        sql = open(files[0]).read().strip().rstrip(";")
        txt = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c",
                              "explain (analyze, buffers, verbose) " + sql], check=True, capture_output=True, text=True).stdout
        with open(explain, "w") as f:
            f.write(txt)
    if out:
        with open(out, "w") as f:
            json.dump(res, f, indent=2)


# ---------------------------------------------------------------- report

def load(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        d = json.load(f)
    if "results" in d:
        r = d["results"][0]
        t = r.get("times") or [r["mean"]]
        return {"mean": r["mean"], "stddev": r.get("stddev") or 0.0, "n": len(t),
                "cpu": (r.get("user") or 0) + (r.get("system") or 0)}
    return d


def load_elapsed(path, warmup):
    if not os.path.exists(path):
        return None
    recs = [json.loads(x) for x in open(path) if x.strip()]
    recs = recs[warmup:]
    if not recs:
        return None
    ts = [r["elapsed"] for r in recs]
    s = stats(ts)
    s["fused"] = min(r["fused"] for r in recs)
    s["passed"] = min(r["passed"] for r in recs)
    return s


def fmt(s):
    if s is None:
        return "-"
    m, sd = s["mean"], s.get("stddev") or 0.0
    return f"{m:.3f} s ± {sd:.3f} (n={s.get('n', 1)})" if m < 10 else f"{m:.2f} s ± {sd:.2f} (n={s.get('n', 1)})"


def ratio(a, b):
    if a is None or b is None or b["mean"] <= 0:
        return None
    return a["mean"] / b["mean"]


def rfmt(x, target, le):
    if x is None:
        return "-"
    ok = x <= target if le else x >= target
    return f"{x:.2f}x ({'met' if ok else 'MISSED'}: {'<=' if le else '>='} {target:g})"


def report(argv):
    warmup = arg(argv, "--warmup", 1, int)
    out_dir, name, engines = argv[0], argv[1], argv[2:]
    targets = {"duckdb": 3, "postgres": 10}
    lines = []
    for e in engines:
        p = lambda k: os.path.join(out_dir, f"{name}-{e}-{k}")
        scan = load(p("one-scan.json"))
        if scan and scan.get("times") and len(scan["times"]) > 1 and scan["stddev"] > 0.25 * scan["mean"]:
            lines.append(f"(one scan: large spread, runs {', '.join(f'{t:.3f}' for t in scan['times'])} s)")
        fw, uw = load(p("fused.json")), load(p("unfused.json"))
        fe, ue = load_elapsed(p("fused-elapsed.jsonl"), warmup), load_elapsed(p("unfused-elapsed.jsonl"), warmup)
        lines.append(f"## {e}")
        if scan is None and fw is None:
            lines.append("(not measured in this run)")
            continue
        how = ("Python duckdb: connect + query + close, in-process timing" if e == "duckdb"
               else "psql -X -f one_scan.sql (process start + connect + query, hyperfine)")
        rows = [
            ("one full scan of the 14 checked columns", fmt(scan), how),
            ("weir test (fused), runner elapsed_time", fmt(fe), f"run_results.json; fused checks per run: {fe['fused'] if fe else '-'}"),
            ("weir test (fused), wall", fmt(fw), "hyperfine; includes JVM start + project parse"),
            ("weir test --no-fusion, runner elapsed_time", fmt(ue), "run_results.json"),
            ("weir test --no-fusion, wall", fmt(uw), "hyperfine"),
        ]
        if fw and uw:
            rows.append(("CPU (user+sys) fused / no-fusion", f"{fw['cpu']:.2f} s / {uw['cpu']:.2f} s",
                         "hyperfine, Weir's process (DuckDB runs inside it)" if e == "duckdb"
                         else "hyperfine, Weir's process only (the Postgres server's CPU is not counted)"))
        if scan and scan.get("query_mean"):
            rows.append(("one scan, query only", f"{scan['query_mean']:.3f} s", "execute + fetch, without connect/close"))
        w = max(len(r[0]) for r in rows)
        w2 = max(len(r[1]) for r in rows)
        lines.append(f"| {'measure'.ljust(w)} | {'time (mean ± stddev)'.ljust(w2)} | how |")
        lines.append(f"|{'-' * (w + 2)}|{'-' * (w2 + 2)}|-----|")
        for a, b, c in rows:
            lines.append(f"| {a.ljust(w)} | {b.ljust(w2)} | {c} |")
        lines.append("")
        lines.append(f"fused / one scan,        elapsed_time: {rfmt(ratio(fe, scan), 1.5, True)}")
        lines.append(f"fused / one scan,        wall:         {rfmt(ratio(fw, scan), 1.5, True)}")
        lines.append(f"no-fusion / fused,       elapsed_time: {rfmt(ratio(ue, fe), targets.get(e, 3), False)}")
        lines.append(f"no-fusion / fused,       wall:         {rfmt(ratio(uw, fw), targets.get(e, 3), False)}")
        bd = p("breakdown.json")
        if os.path.exists(bd):
            lines.append("")
            lines.append("Breakdown: Weir's fused query and variants, run alone (see checks.sh --help):")
            for k, v in json.load(open(bd)).items():
                lines.append(f"  {k:45s} {v['mean']:.3f} s (n={v['n']})")
        lines.append("")
    print("\n".join(lines))


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__)
        return 0
    cmd, rest = argv[1], argv[2:]
    fn = {"one-scan-duckdb": one_scan_duckdb, "harvest": harvest, "check": check, "fused-sql": fused_sql,
          "time-duckdb": time_duckdb, "time-psql": time_psql, "report": report}.get(cmd)
    if fn is None:
        print(__doc__)
        return 2
    return fn(rest) or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
