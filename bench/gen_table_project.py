#!/usr/bin/env python3
"""Generate a dbt/DuckDB project of table models for the run-overhead benchmark.

Usage: gen_table_project.py OUT_DIR [--models 200] [--layers 5] [--rows 4000]
                            [--threads 1] [--seed 7]

Layout: the models are split evenly into layers (layer0 ... layerK-1, one folder each).
  * layer 0 builds its rows from DuckDB's range() table function (no seed, no files);
  * every model of a later layer refs one model of the layer just above it and, for joins
    and aggregates, a second model of any earlier layer, so the DAG is a few layers deep
    and wide (dbt can run a layer's models in parallel when threads > 1).
Every model is materialized as a table and does a little real work over ROWS rows:
hashing (md5), joins on id, window sums, group-by aggregates joined back. Columns are the
same everywhere (id, grp, val, tag) so any model can feed any other. Output is deterministic
for a given seed. profiles.yml (dbt-duckdb, path target/bench.duckdb relative to the
project directory, which is where the scripts run the tools) is written alongside.
"""
import argparse
import os
import random
import shutil
import sys


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("out")
    p.add_argument("--models", type=int, default=200)
    p.add_argument("--layers", type=int, default=5)
    p.add_argument("--rows", type=int, default=4000)
    p.add_argument("--threads", type=int, default=1, help="dbt threads in profiles.yml")
    p.add_argument("--seed", type=int, default=7)
    a = p.parse_args()
    if a.layers < 1 or a.models < a.layers:
        sys.exit("need models >= layers >= 1")

    rnd = random.Random(a.seed)
    if os.path.exists(os.path.join(a.out, "models")):
        shutil.rmtree(os.path.join(a.out, "models"))
    os.makedirs(a.out, exist_ok=True)

    with open(os.path.join(a.out, "dbt_project.yml"), "w") as f:
        f.write(
            "name: weir_bench_tables\n"
            "version: '1.0'\n"
            "config-version: 2\n"
            "profile: weir_bench_tables\n"
            "model-paths: [models]\n"
            "vars:\n"
            f"  bench_rows: {a.rows}\n"
            "models:\n"
            "  weir_bench_tables:\n"
            "    +materialized: table\n"
        )
    with open(os.path.join(a.out, "profiles.yml"), "w") as f:
        f.write(
            "weir_bench_tables:\n"
            "  target: dev\n"
            "  outputs:\n"
            "    dev:\n"
            "      type: duckdb\n"
            "      path: target/bench.duckdb\n"
            f"      threads: {a.threads}\n"
        )

    # Split the models evenly over the layers (earlier layers get the remainder).
    sizes = [a.models // a.layers + (1 if i < a.models % a.layers else 0) for i in range(a.layers)]
    layers = []  # list of lists of model names
    for li, size in enumerate(sizes):
        d = os.path.join(a.out, "models", f"layer{li}")
        os.makedirs(d, exist_ok=True)
        names = [f"l{li}_m{j:03d}" for j in range(size)]
        for j, name in enumerate(names):
            if li == 0:
                mult, off, mod = rnd.randrange(3, 9973), rnd.randrange(10007), rnd.choice([7, 13, 31, 97])
                sql = (
                    f"select i as id, i % {mod} as grp, (i * {mult} + {off}) % 10007 as val,\n"
                    f"       md5(cast(i + {off} as varchar)) as tag\n"
                    f"from range({{{{ var('bench_rows') }}}}) t(i)\n"
                )
            else:
                up = rnd.choice(layers[li - 1])
                other = rnd.choice([m for layer in layers for m in layer])
                kind = (j + li) % 3
                if kind == 0:  # join two upstream tables on id
                    sql = (
                        "select a.id, a.grp, (a.val + b.val * 3) % 10007 as val,\n"
                        "       md5(a.tag || b.tag) as tag\n"
                        f"from {{{{ ref('{up}') }}}} a\n"
                        f"join {{{{ ref('{other}') }}}} b on a.id = b.id\n"
                    )
                elif kind == 1:  # window over one upstream table
                    sql = (
                        "select id, grp,\n"
                        "       (val + sum(val) over (partition by grp order by id\n"
                        "                             rows between 3 preceding and current row)) % 10007 as val,\n"
                        "       md5(tag || cast(id as varchar)) as tag\n"
                        f"from {{{{ ref('{up}') }}}}\n"
                    )
                else:  # aggregate one table, join it back onto another
                    sql = (
                        "with g as (\n"
                        "  select grp, avg(val) as m, count(*) as n\n"
                        f"  from {{{{ ref('{other}') }}}}\n"
                        "  group by grp\n"
                        ")\n"
                        "select a.id, a.grp, cast(a.val * 3 + coalesce(g.m, 0) + coalesce(g.n, 0) as bigint) % 10007 as val,\n"
                        "       a.tag\n"
                        f"from {{{{ ref('{up}') }}}} a\n"
                        "left join g on a.grp = g.grp\n"
                    )
            with open(os.path.join(d, f"{name}.sql"), "w") as f:
                f.write(sql)
        layers.append(names)
    print(f"generated {a.models} table models in {a.layers} layers ({a.rows} rows each) in {a.out}")


if __name__ == "__main__":
    main()
