"""Benchmark: ``leadspec report`` on the X Education export and on it repeated, against ``leadspec qualify`` on the same rows.

What it measures
----------------
The input is the real X Education export (``../shared/data/x-education-leads.csv``
beside the checkout: 9,240 leads) and the same export repeated 10 and 100 times
(92,400 and 924,000 rows; ``--quick``: 10 times only), made exactly as
``bench_qualify.py`` repeats it, in a temporary directory. The rules are
``rules/x-education.yaml``, ``--as-of`` 2026-11-01. Two commands run on each
input, one after the other:

(a) ``leadspec qualify RULES IN -o OUT`` (the Python engine, one process): the
    baseline, the evaluation of every lead plus writing it;
(b) ``leadspec report RULES IN --outcome Converted --feedback Tags --format json -o OUT``.

Each run is a subprocess started by a fresh wrapper process that times it
(``time.perf_counter``, start-up included) and reports ``RUSAGE_CHILDREN.ru_maxrss``,
the peak RSS of the run. Each is repeated ``--repeats`` times (default 2); the best
time and the highest RSS count. The report's output is checked: exit status 0
and ``leads`` equal to the rows of the input. Nothing about speed is asserted.

It prints a markdown table (rows, seconds, rows/s, peak RSS for each command),
the ratio (b)/(a) per size, how each command's peak RSS grows from the smallest
input to the largest (issue 13: the report streams, memory flat in the number of
leads), the load average before and after, the Python version and the commit.

How to run it
-------------
::

    python benchmarks/bench_report.py            # 9,240, 92,400 and 924,000 rows (a few minutes)
    python benchmarks/bench_report.py --quick    # 9,240 and 92,400 rows
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from _machine import cpu_name, git_state, usable_cores  # benchmarks/ is on sys.path when a script here runs
from bench_qualify import SOURCE, WRAPPER, leadspec_command, read_source, repeated_rows

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules" / "x-education.yaml"
AS_OF = "2026-11-01"


def measure(cmd: list[str], work: Path, repeats: int) -> tuple[float, int, str]:
    """(best seconds, highest peak RSS in KiB, the last run's standard error); exit status 0 is required."""
    best, rss, err_text = float("inf"), 0, ""
    stderr_path = work / "stderr.txt"
    for _ in range(repeats):
        done = subprocess.run([sys.executable, "-c", WRAPPER, str(stderr_path), *cmd], capture_output=True, text=True, check=True)
        report = json.loads(done.stdout)
        err_text = stderr_path.read_text(encoding="utf-8", errors="replace")
        if report["code"] != 0:
            raise SystemExit(f"{' '.join(cmd)} exited {report['code']}: {err_text[-500:]}")
        best, rss = min(best, report["seconds"]), max(rss, report["maxrss"])
    return best, rss, err_text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="9,240 and 92,400 rows only")
    parser.add_argument("--repeats", type=int, default=2, help="runs of each measurement; the best time counts (default 2)")
    args = parser.parse_args(argv)
    if not SOURCE.is_file():
        print(f"the real export {SOURCE} is not there (see ../shared/data/README.md beside the checkout)", file=sys.stderr)
        return 2
    header, rows = read_source()
    copies = (1, 10) if args.quick else (1, 10, 100)
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    results = []
    work = Path(tempfile.mkdtemp(prefix="leadspec-bench-report-"))
    try:
        for copy in copies:
            n = len(rows) * copy
            source = work / f"x-education-{n}.csv"
            with open(source, "w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(header)
                writer.writerows(itertools.islice(repeated_rows(header, rows), n))
            print(f"{n:,} rows ...", file=sys.stderr, flush=True)
            qualify = [*leadspec_command(), "qualify", str(RULES), str(source), "-o", str(work / "out.csv"), "--as-of", AS_OF, "--jobs", "1"]
            report = [
                *leadspec_command(), "report", str(RULES), str(source), "--outcome", "Converted", "--feedback", "Tags",
                "--as-of", AS_OF, "--format", "json", "-o", str(work / "report.json"),
            ]  # fmt: skip
            a = measure(qualify, work, args.repeats)
            b = measure(report, work, args.repeats)
            made = json.loads((work / "report.json").read_text(encoding="utf-8"))
            if made["leads"] != n:
                raise SystemExit(f"the report counted {made['leads']:,} leads of {n:,}")
            results.append((n, a, b))
            source.unlink()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    state = git_state(str(ROOT), "src")
    commit = "unknown" if state is None else state[0] + (" (src/ has uncommitted changes)" if state[1] else "")
    print(f"# Report benchmark: {SOURCE.name} and its copies, rules {RULES.relative_to(ROOT)}, --as-of {AS_OF}")
    print()
    print("| rows | (a) qualify s | (a) rows/s | (a) peak RSS MiB | (b) report s | (b) rows/s | (b) peak RSS MiB | (b)/(a) time |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, a, b in results:
        print(f"| {n:,} | {a[0]:.2f} | {n / a[0]:,.0f} | {a[1] / 1024:,.1f} | {b[0]:.2f} | {n / b[0]:,.0f} | {b[1] / 1024:,.1f} | {b[0] / a[0]:.2f}x |")
    print()
    first, last = results[0], results[-1]
    print(f"peak RSS growth from {first[0]:,} to {last[0]:,} rows: (a) {last[1][1] / first[1][1] - 1:+.1%}, (b) {last[2][1] / first[2][1] - 1:+.1%}")
    print(f"Python {platform.python_version()}, {usable_cores()} cores ({platform.system()} {platform.machine()}, {cpu_name()}); git {commit}")
    if hasattr(os, "getloadavg"):
        print(f"load average (1 min): {load_before:.2f} before the runs, {os.getloadavg()[0]:.2f} after")
    return 0


if __name__ == "__main__":
    sys.exit(main())
