#!/usr/bin/env python3
"""Interleaved A/B timing: runs each labelled command in turn (A, B, A, B, ...) and reports wall and CPU time.

This machine's speed drifts by +-20 % within minutes, so two builds measured one batch after the other compare the
machine's moods as much as the builds. Alternating run by run spreads the drift over both.

Usage: bench/interleave.py RUNS 'LABEL=COMMAND' 'LABEL=COMMAND' [...]

Example (two builds of Weir, each in its own tree, each having trained its class-data archive once):
  bench/interleave.py 12 \\
    'before=WEIR_SKIP_BUILD=1 /tmp/before/weir parse --project-dir bench/out/parse-10000 --no-parse-cache' \\
    'after=WEIR_SKIP_BUILD=1 ./weir parse --project-dir bench/out/parse-10000 --no-parse-cache'
"""
import resource
import statistics
import subprocess
import sys
import time


def main(argv):
    if len(argv) < 3 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(argv) > 1 and argv[1] in ("-h", "--help") else 2
    runs = int(argv[1])
    commands = []
    for spec in argv[2:]:
        label, sep, command = spec.partition("=")
        if not sep or not command:
            print(f"not LABEL=COMMAND: {spec}", file=sys.stderr)
            return 2
        commands.append((label, command))
    wall = {label: [] for label, _ in commands}
    cpu = {label: [] for label, _ in commands}
    for i in range(runs):
        for label, command in commands:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.monotonic()
            done = subprocess.run(command, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if done.returncode != 0:
                print(f"{label} failed (exit {done.returncode}): {command}", file=sys.stderr)
                return 1
            wall[label].append(time.monotonic() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[label].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        print(f"run {i + 1}/{runs} done", file=sys.stderr)
    print(f"{'':12s} {'wall mean':>10s} {'median':>8s} {'min':>8s} {'cpu mean':>9s}   (seconds, {runs} runs each, interleaved)")
    for label, _ in commands:
        w, c = wall[label], cpu[label]
        print(f"{label:12s} {statistics.mean(w):10.3f} {statistics.median(w):8.3f} {min(w):8.3f} {statistics.mean(c):9.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
