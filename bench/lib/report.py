#!/usr/bin/env python3
"""Summaries of hyperfine JSON exports for bench/*.sh (stdlib only).

  report.py parse OUT_DIR N [N...]      table for parse.sh
  report.py startup OUT_DIR             table for startup.sh
  report.py overhead OUT_DIR NAME NODES table for run_overhead.sh

A missing JSON file means "not measured in this run" and shows as '-'. The shell scripts
delete the JSON files of a benchmark before measuring it, so every ratio printed compares
figures taken in the same run (the machine is noisy; absolute numbers across runs are not
comparable, ratios within one run are).
"""
import json
import os
import sys


def load(path):
    """Return {mean, stddev, median, min, max, n} in seconds, or None when absent."""
    if not os.path.exists(path):
        return None
    with open(path) as f:
        data = json.load(f)
    if "results" in data:  # hyperfine
        r = data["results"][0]
        times = r.get("times") or [r["mean"]]
        return {"mean": r["mean"], "stddev": r.get("stddev") or 0.0, "median": r["median"],
                "min": r["min"], "max": r["max"], "n": len(times), "command": r.get("command", ""),
                "cpu": (r.get("user") or 0.0) + (r.get("system") or 0.0)}
    return data  # our own JSON (duckdb_alone.py / ReplayStatements.java) has the same keys


def fmt(s):
    if s is None:
        return "-"
    m = s["mean"]
    if m >= 10:
        txt = f"{m:.1f}s"
    elif m >= 1:
        txt = f"{m:.2f}s"
    else:
        txt = f"{m * 1000:.0f}ms"
    if s.get("n", 1) > 1 and s.get("stddev"):
        sd = s["stddev"]
        txt += f" ±{sd:.1f}" if m >= 10 else (f" ±{sd:.2f}" if m >= 1 else f" ±{sd * 1000:.0f}")
    return txt + f" (n={s.get('n', 1)})"


def cpu(s):
    """user+system CPU seconds of the command (hyperfine mean), less sensitive to other load."""
    return None if s is None or s.get("cpu") is None else {"mean": s["cpu"], "n": 1}


def ratio(a, b):
    if a is None or b is None or b["mean"] <= 0:
        return "-"
    return f"{a['mean'] / b['mean']:.2f}x"


def table(header, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    line = lambda r: "| " + " | ".join(str(x).ljust(w) for x, w in zip(r, widths)) + " |"
    out = [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in rows]
    return "\n".join(out)


def parse_report(out_dir, ns):
    rows, cpu_rows = [], []
    for n in ns:
        g = lambda k: load(os.path.join(out_dir, f"parse-{n}-{k}.json"))
        dc, dw, wc, ww = g("dbt-cold"), g("dbt-warm"), g("weir-cold"), g("weir-warm")
        rows.append([n, fmt(dc), fmt(dw), fmt(wc), fmt(ww),
                     ratio(dc, wc), ratio(dw, ww), ratio(dc, dw)])
        c = [cpu(x) for x in (dc, dw, wc, ww)]
        cpu_rows.append([n] + [fmt(x).replace(" (n=1)", "") for x in c]
                        + [ratio(c[0], c[2]), ratio(c[1], c[3]), ratio(c[0], c[1])])
    head = ["models", "dbt cold", "dbt warm", "weir cold", "weir warm",
            "dbt/weir cold", "dbt/weir warm", "dbt cold/warm"]
    print("Wall time (mean ± stddev):")
    print(table(head, rows))
    print("CPU time (user+sys, mean):")
    print(table(head, cpu_rows))
    print("('x' ratios > 1 mean the second tool is faster; '-' = not measured in this run)")


def startup_report(out_dir):
    names = [("weir --version", "startup-weir-version"), ("weir ls", "startup-weir-ls"),
             ("dbt ls (reference)", "startup-dbt-ls"), ("java -version (JVM floor)", "startup-java-version")]
    res = {k: load(os.path.join(out_dir, f"{f}.json")) for k, f in names}
    rows = [[k, fmt(v), fmt(cpu(v)).replace(" (n=1)", "")] for k, v in res.items()]
    print(table(["command", "mean wall", "cpu (user+sys)"], rows))
    print(f"dbt ls / weir ls: {ratio(res['dbt ls (reference)'], res['weir ls'])}")


def overhead_report(out_dir, name, nodes):
    p = lambda f: load(os.path.join(out_dir, f"{name}-{f}.json"))
    alone, jdbc = p("duckdb-alone"), p("jdbc-replay")
    print(f"project: {name}, nodes: {nodes}")
    print(f"DuckDB alone (Python duckdb, same compiled statements, fresh file): {fmt(alone)}")
    print(f"DuckDB alone via JDBC (statements only, in-JVM timing):           {fmt(jdbc)}")
    rows = []
    per = {}
    for tool in ("dbt", "weir"):
        run, empty = p(f"{tool}-run"), p(f"{tool}-startup")
        if run is None:
            rows.append([tool, "-", "-", "-", "-", "-", "-"])
            continue
        base = alone["mean"] if alone else 0.0
        st = empty["mean"] if empty else 0.0
        gross = (run["mean"] - base) / nodes
        net = (run["mean"] - st - base) / nodes
        per[tool] = net
        rows.append([tool, fmt(run), fmt(cpu(run)).replace(" (n=1)", ""), fmt(empty),
                     f"{(run['mean'] - base):.2f}s", f"{gross * 1000:.1f}ms", f"{net * 1000:.1f}ms"])
    print(table(["tool", "run wall", "run cpu", "start-up", "run - duckdb alone",
                 "per node incl. start-up", "per node excl. start-up"], rows))
    for tool in ("dbt", "weir"):
        st = p(f"{tool}-startup")
        if st:
            print(f"start-up of {tool} measured as: {st.get('command', '?')}")
    if per.get("dbt", 0) > 0 and per.get("weir", 0) > 0:
        print(f"per-node overhead dbt/weir: {per['dbt'] / per['weir']:.2f}x")


def main(argv):
    if len(argv) < 3 or argv[1] in ("-h", "--help"):
        print(__doc__)
        return 0 if len(argv) > 1 and argv[1] in ("-h", "--help") else 2
    kind, out_dir = argv[1], argv[2]
    if kind == "parse":
        parse_report(out_dir, argv[3:])
    elif kind == "startup":
        startup_report(out_dir)
    elif kind == "overhead":
        overhead_report(out_dir, argv[3], int(argv[4]))
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
