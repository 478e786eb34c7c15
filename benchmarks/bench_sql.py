"""Benchmark: the X Education rules as one DuckDB query, against a hand-written query and the Python engine.

What it measures
----------------
The input is the real X Education export (``../shared/data/x-education-leads.csv``
beside the checkout: 9,240 leads), repeated to N rows (default 1,000,000)
exactly as ``bench_qualify.py`` repeats it (new ``Prospect ID`` and ``Lead
Number`` in every later copy), written to a temporary directory. The rules
are ``rules/x-education.yaml``; ``--as-of`` is 2026-11-01. Three ways of
writing every input row with its ``stage`` and ``reasons`` to a CSV file run
on 10,000 rows and on N rows, at 1 and 2 threads:

(a) the hand-written DuckDB query of ``baseline_x_education.sql`` (the same
    rules written by hand, stage and reasons with the Python engine's text),
    run by DuckDB's own ``COPY (query) TO 'out.csv'`` over
    ``read_csv(..., all_varchar = true)``, ``SET threads = 1|2``;
(b) ``leadspec qualify --engine duckdb --jobs 1|2`` (the query leadspec
    generates; ``--jobs`` is DuckDB's threads);
(c) ``leadspec qualify --jobs 1|2`` (the Python engine, worker processes).

Each run is a subprocess started by a fresh wrapper process that times it
(``time.perf_counter``; interpreter start-up, imports and rule loading
included in every row alike) and reports ``RUSAGE_CHILDREN.ru_maxrss``: the
peak RSS of the largest process of the run. The 10,000-row runs are
repeated 3 times, the N-row runs ``--repeats`` times (default 1); the best
time and the highest RSS count.

Every output is checked before its time is shown: exit status 0, one row
per input row, and each row's ``stage`` and ``reasons`` equal to what
``Ruleset.evaluate()`` and ``Result.summary()`` give that row's lead; (b)'s
output must be byte-identical to (c)'s (sha256). A failed check is printed
and makes the script exit with status 1. Nothing about speed is asserted.

It prints a markdown table (rows, threads, seconds, rows/s, peak RSS), the
ratios (b)/(a) (issue 11's target: within 1.5x) and (c)/(b) (the DuckDB
engine should be faster than the Python engine at the same threads), how
peak RSS grows from 10,000 to N rows, the Python version, the cores and the
git commit.

How to run it
-------------
::

    pip install -e '.[duckdb]'
    python benchmarks/bench_sql.py                 # 1,000,000 rows (a few minutes on 2 cores)
    python benchmarks/bench_sql.py --quick         # 100,000 rows
    python benchmarks/bench_sql.py --rows 300000 --repeats 2 --keep
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import itertools
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import leadspec
from _machine import bytecode, cpu_name, git_state, usable_cores  # benchmarks/ is on sys.path when a script here runs
from bench_qualify import SOURCE, WRAPPER, leadspec_command, read_source, repeated_rows

ROOT = Path(__file__).resolve().parent.parent
RULES_FILE = ROOT / "rules" / "x-education.yaml"
BASELINE_SQL = Path(__file__).resolve().parent / "baseline_x_education.sql"
AS_OF_TEXT = "2026-11-01"
AS_OF = datetime(2026, 11, 1, tzinfo=timezone.utc)
SMALL = 10_000

# (a): DuckDB runs the hand-written query over the CSV read as text and writes the result with COPY.
BASELINE_RUNNER = r"""
import sys, duckdb
source, output, threads, query = sys.argv[1], sys.argv[2], int(sys.argv[3]), open(sys.argv[4], encoding="utf-8").read()
con = duckdb.connect()
con.execute(f"SET threads = {threads}")
quoted = lambda text: "'" + text.replace("'", "''") + "'"
con.execute(f"CREATE VIEW leads AS SELECT * FROM read_csv({quoted(source)}, all_varchar = true, header = true, delim = ',', quote = '\"', escape = '\"')")
con.execute(f"COPY ({query}) TO {quoted(output)} (FORMAT csv, HEADER true)")
"""


@dataclass
class Run:
    """One implementation at one size and thread count."""

    what: str  # "baseline", "duckdb", "python"
    rows: int
    threads: int
    seconds: float = float("inf")
    rss_kib: int = 0
    output: Path | None = None
    digest: str = ""
    problems: list[str] = field(default_factory=list)
    skipped: str = ""

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.output is not None and self.seconds else float("nan")

    @property
    def rss_mib(self) -> float:
        return self.rss_kib / 1024 / 1024 if sys.platform == "darwin" else self.rss_kib / 1024


LABELS = {
    "baseline": "(a) hand-written DuckDB query (`COPY`)",
    "duckdb": "(b) `leadspec qualify --engine duckdb`",
    "python": "(c) `leadspec qualify` (Python engine)",
}


def write_input(path: Path, n: int, header: list[str], rows: list[list[str]]) -> None:
    print(f"writing {path.name} ({n:,} rows) ...", file=sys.stderr, flush=True)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(itertools.islice(repeated_rows(header, rows), n))


def has_duckdb_engine() -> str:
    """'' when ``leadspec qualify`` has ``--engine duckdb``, else why (b) cannot run."""
    try:
        import duckdb  # noqa: F401
    except ImportError:
        return "duckdb is not installed (pip install 'leadspec[duckdb]')"
    done = subprocess.run([*leadspec_command(), "qualify", "--help"], capture_output=True, text=True)
    return "" if "--engine" in done.stdout else "`leadspec qualify` has no --engine option at this commit"


def command(run: Run, source: Path, output: Path) -> list[str]:
    if run.what == "baseline":
        return [sys.executable, "-c", BASELINE_RUNNER, str(source), str(output), str(run.threads), str(BASELINE_SQL)]
    cmd = [*leadspec_command(), "qualify", str(RULES_FILE), str(source), "-o", str(output), "--as-of", AS_OF_TEXT, "--jobs", str(run.threads)]
    return cmd + (["--engine", "duckdb"] if run.what == "duckdb" else [])


def measure(run: Run, source: Path, work: Path, repeats: int) -> None:
    output = work / f"{run.what}-{run.rows}-t{run.threads}.csv"
    stderr_path = work / f"{run.what}-{run.rows}-t{run.threads}.err"
    for attempt in range(repeats):
        print(f"{run.what}: {run.rows:,} rows, {run.threads} thread(s) (run {attempt + 1} of {repeats}) ...", file=sys.stderr, flush=True)
        done = subprocess.run([sys.executable, "-c", WRAPPER, str(stderr_path), *command(run, source, output)], capture_output=True, text=True, check=True)
        report = json.loads(done.stdout)
        if report["code"] != 0:
            run.problems.append(f"exit status {report['code']}: {stderr_path.read_text(encoding='utf-8', errors='replace').strip()[-500:]}")
            return
        run.seconds = min(run.seconds, report["seconds"])
        run.rss_kib = max(run.rss_kib, report["maxrss"])
    run.output = output


def verify(run: Run, expected: list[tuple[str, str]]) -> None:
    """Every output row has the stage and reasons the Python engine gives its lead (row i is lead i mod 9,240)."""
    if run.output is None:
        return
    print(f"checking {run.output.name} ...", file=sys.stderr, flush=True)
    digest = hashlib.sha256()
    with open(run.output, "rb") as raw:
        for block in iter(lambda: raw.read(1 << 20), b""):
            digest.update(block)
    run.digest = digest.hexdigest()
    period = len(expected)
    with open(run.output, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, strict=True)
        header = next(reader, [])
        if header[-2:] != ["stage", "reasons"]:
            run.problems.append(f"the output's last columns are {header[-2:]!r}, not stage and reasons")
            return
        count = 0
        for index, values in enumerate(reader):
            count += 1
            if (values[-2], values[-1]) != expected[index % period]:
                run.problems.append(f"row {index + 1:,}: stage and reasons {values[-2:]!r}, the Python engine's {list(expected[index % period])!r}")
                return
    if count != run.rows:
        run.problems.append(f"{count:,} rows in the output, {run.rows:,} expected")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the big input (default 1000000)")
    parser.add_argument("--quick", action="store_true", help="100,000 rows, for a quick look")
    parser.add_argument("--repeats", type=int, default=1, help="runs of each big measurement; the best time counts (the 10,000-row ones run 3 times)")
    parser.add_argument("--threads", default="1,2", help="thread counts to run (default 1,2)")
    parser.add_argument("--keep", action="store_true", help="keep the inputs and outputs (their directory is printed)")
    args = parser.parse_args(argv)
    big = 100_000 if args.quick else args.rows
    if big <= SMALL:
        parser.error(f"--rows must be more than {SMALL:,}")
    threads = [int(t) for t in args.threads.split(",")]

    state = git_state(str(ROOT), "src")
    commit = "unknown" if state is None else state[0] + (" (src/ has uncommitted changes)" if state[1] else "")
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    header, source_rows = read_source()
    rules = leadspec.load(RULES_FILE)
    expected = []
    for values in source_rows:
        result = rules.evaluate(dict(zip(header, values)), as_of=AS_OF)
        expected.append((result.stage, result.summary()))
    why_not = has_duckdb_engine()

    compiled = bytecode("leadspec")  # (the runs start new interpreters: as installed, not compiled from source each time)
    work = Path(tempfile.mkdtemp(prefix="leadspec-bench-sql-"))
    runs = [Run(what, n, t) for n in (SMALL, big) for t in threads for what in ("baseline", "duckdb", "python")]
    try:
        sources = {n: work / f"x-education-{n}.csv" for n in (SMALL, big)}
        for n, path in sources.items():
            write_input(path, n, header, source_rows)
        for run in runs:
            if run.what == "duckdb" and why_not:
                run.skipped = why_not
                continue
            measure(run, sources[run.rows], work, 3 if run.rows == SMALL else args.repeats)
            verify(run, expected)
            if run.output is not None and run.what != "python":  # the Python engine's outputs are kept for the byte comparison
                run.output.unlink()
        for n in (SMALL, big):
            for t in threads:
                b, c = (next(r for r in runs if (r.what, r.rows, r.threads) == (w, n, t)) for w in ("duckdb", "python"))
                if b.digest and c.digest and b.digest != c.digest:
                    b.problems.append(f"the output is not byte-identical to the Python engine's ({n:,} rows, {t} thread(s))")
    finally:
        if args.keep:
            print(f"inputs and outputs kept in {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)

    print(f"# SQL benchmark: {big:,} rows of {SOURCE.name} (repeated), rules {RULES_FILE.relative_to(ROOT)}, --as-of {AS_OF_TEXT}")
    print()
    print("| implementation | rows | threads | seconds | rows/s | peak RSS MiB |")
    print("|---|---:|---:|---:|---:|---:|")
    for run in runs:
        if run.skipped:
            print(f"| {LABELS[run.what]} | {run.rows:,} | {run.threads} | not run: {run.skipped} | | |")
        elif run.output is None:
            print(f"| {LABELS[run.what]} | {run.rows:,} | {run.threads} | failed | | |")
        else:
            print(f"| {LABELS[run.what]} | {run.rows:,} | {run.threads} | {run.seconds:,.2f} | {run.rate:,.0f} | {run.rss_mib:,.1f} |")
    print()

    def get(what: str, n: int, t: int) -> Run:
        return next(r for r in runs if (r.what, r.rows, r.threads) == (what, n, t))

    print("| ratio | threads | measured | target |")
    print("|---|---:|---:|---|")
    for t in threads:
        a, b, c = get("baseline", big, t), get("duckdb", big, t), get("python", big, t)
        ba = b.seconds / a.seconds if a.output and b.output else float("nan")
        cb = c.seconds / b.seconds if b.output and c.output else float("nan")
        ca = c.seconds / a.seconds if a.output and c.output else float("nan")
        print(f"| time (b) / (a): leadspec's query vs the hand-written one | {t} | {ba:.2f}x | within 1.5x: {_judge(ba <= 1.5, ba)} |")
        print(f"| time (c) / (b): Python engine vs leadspec's query | {t} | {cb:.2f}x | above 1x: {_judge(cb > 1.0, cb)} |")
        print(f"| time (c) / (a): Python engine vs the hand-written query (info) | {t} | {ca:.2f}x | |")
    print()
    print("| peak RSS growth, 10,000 -> N rows | threads | 10,000 rows MiB | N rows MiB | growth |")
    print("|---|---:|---:|---:|---:|")
    for what in ("baseline", "duckdb", "python"):
        for t in threads:
            small, large = get(what, SMALL, t), get(what, big, t)
            if small.output and large.output and small.rss_kib:
                print(f"| {LABELS[what]} | {t} | {small.rss_mib:,.1f} | {large.rss_mib:,.1f} | {large.rss_kib / small.rss_kib - 1:+.1%} |")
    print()
    print(f"Python {platform.python_version()} ({platform.python_implementation()}), {usable_cores()} cores ({platform.system()} {platform.machine()}, {cpu_name()})")
    print(f"leadspec {leadspec.__version__}, git {commit}; duckdb {_duckdb_version()}")
    print("peak RSS: the largest single process of a run (RUSAGE_CHILDREN of a wrapper process)")
    if hasattr(os, "getloadavg"):
        print(f"load average (1 min): {load_before:.2f} before the runs, {os.getloadavg()[0]:.2f} after")
    print(compiled)

    problems = [f"{LABELS[r.what]}, {r.rows:,} rows, {r.threads} thread(s): {p}" for r in runs for p in r.problems]
    if problems:
        print("\nFAILED:")
        for line in problems:
            print(f"- {line}")
        return 1
    print("\noutputs verified: every row's stage and reasons are the Python engine's" + ("; (b) byte-identical to (c)" if not why_not else ""))
    return 0


def _judge(ok: bool, value: float) -> str:
    return "not judged" if value != value else ("PASS" if ok else "MISS")


def _duckdb_version() -> str:
    try:
        import duckdb
    except ImportError:
        return "not installed"
    return str(duckdb.__version__)


if __name__ == "__main__":
    sys.exit(main())
