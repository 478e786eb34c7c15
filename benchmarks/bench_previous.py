"""Benchmark: ``qualify --previous`` against a previous output of 1,000,000 rows — memory stays flat.

What it measures
----------------
Issue 12's target: the previous output is indexed on disk, not held in
memory, so ``leadspec qualify --previous LAST --key COLUMN`` keeps a flat
peak RSS whatever the size of LAST. The input is the real X Education
export (``../shared/data/x-education-leads.csv`` beside the checkout),
repeated to N rows (default 1,000,000) as ``bench_qualify.py`` repeats it
(a new ``Prospect ID`` in every later copy), to N/10 and to 10,000 rows. For
each size, three runs of ``rules/x-education.yaml`` with ``--key "Prospect ID"``:

- night 1: ``--previous`` an empty file (every lead new), ``--as-of`` 2026-11-01T09:00:00Z;
- night 2: ``--previous`` night 1's output (N rows), ``--as-of`` 2026-11-02T09:00:00Z:
  the run the target is about;
- baseline: the same input and ``--as-of`` without ``--previous``, in the same run.

Each run is a subprocess started by a fresh wrapper process that times it
(``time.perf_counter``) and reports ``RUSAGE_CHILDREN.ru_maxrss``. Night 2's
output is checked: N rows, every ``handoff`` ``same``, every
``stage_since`` night 1's ``--as-of``; a failed check exits with status 1.
Nothing about speed or memory is asserted: the script prints the table, the
RSS growth from 10,000 to N rows, and night 2's ratios to the baseline.

How to run it
-------------
::

    pip install -e .
    python benchmarks/bench_previous.py                # 1,000,000 rows (about 5 minutes on 2 cores)
    python benchmarks/bench_previous.py --rows 200000  # a quicker look
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from _machine import cpu_name, git_state, usable_cores  # benchmarks/ is on sys.path when a script here runs
from bench_qualify import SOURCE, WRAPPER, leadspec_command, read_source, repeated_rows

ROOT = Path(__file__).resolve().parent.parent
RULES_FILE = ROOT / "rules" / "x-education.yaml"
NIGHT_1, NIGHT_2 = "2026-11-01T09:00:00Z", "2026-11-02T09:00:00Z"
KEY = "Prospect ID"
SMALL = 10_000


@dataclass
class Run:
    what: str  # "night 1", "night 2", "baseline"
    rows: int
    seconds: float = 0.0
    rss_mib: float = 0.0


def timed(args: list[str], stderr_path: Path) -> tuple[float, float]:
    """(seconds, peak RSS in MiB) of ``leadspec ARGS``; exits when it fails."""
    done = subprocess.run([sys.executable, "-c", WRAPPER, str(stderr_path), *leadspec_command(), *args], capture_output=True, text=True, check=True)
    report = json.loads(done.stdout)
    if report["code"] != 0:
        sys.exit(f"leadspec {' '.join(args)} exited {report['code']}: {stderr_path.read_text(encoding='utf-8', errors='replace')[-800:]}")
    rss = report["maxrss"] / 1024 / (1024 if sys.platform == "darwin" else 1)
    return float(report["seconds"]), rss


def check_night_2(path: Path, rows: int) -> list[str]:
    problems = []
    count = 0
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            count += 1
            if row["handoff"] != "same" or row["stage_since"] != NIGHT_1:
                problems.append(f"row {count:,}: handoff {row['handoff']!r}, stage_since {row['stage_since']!r}")
                break
    if count != rows:
        problems.append(f"{count:,} rows in night 2's output, {rows:,} expected")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the big input and previous output (default 1000000)")
    args = parser.parse_args(argv)
    if args.rows <= SMALL:
        parser.error(f"--rows must be more than {SMALL:,}")
    state = git_state(str(ROOT), "src")
    commit = "unknown" if state is None else state[0] + (" (src/ has uncommitted changes)" if state[1] else "")
    header, source_rows = read_source()
    work = Path(tempfile.mkdtemp(prefix="leadspec-bench-previous-"))
    runs: list[Run] = []
    problems: list[str] = []
    try:
        empty = work / "empty.csv"
        empty.write_text("")
        sizes = sorted({SMALL, max(SMALL, args.rows // 10), args.rows})  # a middle size too: flat is a plateau, not two points
        for n in sizes:
            source = work / f"in-{n}.csv"
            print(f"writing {source.name} ({n:,} rows) ...", file=sys.stderr, flush=True)
            with open(source, "w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(header)
                for i, row in enumerate(repeated_rows(header, source_rows)):
                    if i == n:
                        break
                    writer.writerow(row)
            first, second, plain = work / f"night1-{n}.csv", work / f"night2-{n}.csv", work / f"plain-{n}.csv"
            common = ["qualify", str(RULES_FILE), str(source)]
            plan = [
                ("night 1", common + ["-o", str(first), "--as-of", NIGHT_1, "--previous", str(empty), "--key", KEY]),
                ("night 2", common + ["-o", str(second), "--as-of", NIGHT_2, "--previous", str(first), "--key", KEY]),
                ("baseline", common + ["-o", str(plain), "--as-of", NIGHT_2]),
            ]
            for what, command in plan:
                print(f"{what}: {n:,} rows ...", file=sys.stderr, flush=True)
                seconds, rss = timed(command, work / "stderr.txt")
                runs.append(Run(what, n, seconds, rss))
            problems += check_night_2(second, n)
            for path in (source, first, second, plain):
                path.unlink()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"# qualify --previous: {args.rows:,} rows of {SOURCE.name} (repeated), rules {RULES_FILE.relative_to(ROOT)}, --jobs 1")
    print()
    print("| run | rows | seconds | rows/s | peak RSS MiB |")
    print("|---|---:|---:|---:|---:|")
    for run in runs:
        print(f"| {run.what} | {run.rows:,} | {run.seconds:.2f} | {run.rows / run.seconds:,.0f} | {run.rss_mib:,.1f} |")
    print()
    get = {(r.what, r.rows): r for r in runs}
    print("| measure | value |")
    print("|---|---:|")
    for what in ("night 2", "baseline"):
        growth = get[(what, args.rows)].rss_mib / get[(what, SMALL)].rss_mib
        print(f"| {what}: peak RSS at {args.rows:,} rows / at {SMALL:,} rows | {growth:.2f}x |")
    big2, base = get[("night 2", args.rows)], get[("baseline", args.rows)]
    print(f"| night 2 / baseline at {args.rows:,} rows: time | {big2.seconds / base.seconds:.2f}x |")
    print(f"| night 2 / baseline at {args.rows:,} rows: peak RSS | {big2.rss_mib / base.rss_mib:.2f}x |")
    print()
    print(f"Python {platform.python_version()}, {cpu_name()}, {usable_cores()} usable cores, leadspec at {commit}")
    for problem in problems:
        print(f"CHECK FAILED: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
