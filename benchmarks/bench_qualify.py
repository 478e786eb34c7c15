"""Benchmark: ``leadspec qualify`` on a large CRM export, end to end.

What it measures
----------------
The input is the real "X Education" export
(``../shared/data/x-education-leads.csv`` beside the checkout, 9,240 leads, 38 columns; see
that directory's README), repeated until it has N rows. The first copy is
the export verbatim; every later copy gets a new ``Prospect ID`` (a UUID
derived from the original one and the copy number) and a new ``Lead
Number`` (copy x 1,000,000 + the original number), so no two rows are the
same. The files are written once and cached under ``benchmarks/out/``
(git-ignored).

The rules are ``rules/x-education.yaml``; ``--as-of`` is fixed at
2026-11-01.

* ``leadspec qualify rules/x-education.yaml INPUT -o OUT --as-of 2026-11-01
  [--jobs 2]`` is run as a subprocess on 10,000 rows and on N rows, with
  ``--jobs 1`` and ``--jobs 2``. Each run is started by a small Python
  wrapper process that times it (``time.perf_counter`` around
  ``subprocess.run``; leadspec's start-up and rule loading are included)
  and reports its own ``RUSAGE_CHILDREN.ru_maxrss``: the peak RSS of the
  largest process of that run (with ``--jobs 2``, the larger of the main
  process and the workers, not their sum), and the processor time (user +
  system) of all its processes, for information: the wall time also holds
  the waits for the disk (the output is written, then synced), which on a
  shared machine vary from run to run. A fresh wrapper per run keeps
  the measurements apart (``RUSAGE_CHILDREN`` is a running maximum).
  The 10,000-row runs are repeated 3 times (best time, highest RSS). The
  N-row runs go in ``--rounds`` rounds (default 3): each round times
  ``evaluate()`` in-process (below), then runs ``--jobs 1``, then
  ``--jobs 2``, so that each round's ratios compare figures taken within
  half a minute of each other on a machine whose speed drifts. One more
  run on N rows adds ``--details`` (the whole result as JSON in a
  ``details`` column), with ``evaluate()`` timed just before it; then,
  as its baseline, a script that computes nothing writes the same bytes
  (the first 2,000 rows of that output repeated to N rows, in batches of
  2,000 rows, synced and renamed as qualify does): the rate no
  ``--details`` run can pass on this machine, whatever computes it. The
  1-minute load average as each run started is printed beside it.
* Every output is checked: exit status 0, the summary line on stderr,
  exactly one output row per input row plus the header, every output row
  equal to its input row plus ``stage`` and ``reasons`` (and ``details``,
  whose ``stage`` must be the row's), and each stage
  equal to what ``Ruleset.evaluate()`` gives the original lead. The
  ``--jobs 2`` output must be byte-identical to the ``--jobs 1`` output,
  and every later round's outputs to the first round's (sha256).
  Any failure is printed and makes the script exit with status 1.
* In-process, ``Ruleset.evaluate()`` alone on the first 200,000 rows of the
  big file (read into dicts beforehand, as the CLI's reader makes them;
  best of 3, garbage collector on), in every round. For information
  ``evaluate()`` + ``Result.summary()`` (what ``qualify`` computes for the
  ``reasons`` column) on a tenth of them.

It prints a markdown table (rows, jobs, seconds, rows/s, peak RSS), the
targets of the CLI issue with PASS/MISS, the Python version, the cores and
the git commit:

* memory is flat: the N-row peak RSS is within 10% of the 10,000-row peak
  RSS (``--jobs 1``);
* the whole ``qualify`` (N rows, ``--jobs 1``) runs at >= 40% of the rate of
  ``evaluate()`` alone (the median of the rounds' ratios, their range beside it);
* ``--jobs 2`` is >= 1.6x as fast as ``--jobs 1`` (N rows; the median of the rounds);
* ``qualify --details`` (N rows, ``--jobs 1``) runs at >= 25% of the rate
  of ``evaluate()`` alone (issue 14).

How to run it
-------------
::

    pip install -e .
    python benchmarks/bench_qualify.py                # 1,000,000 rows (many minutes)
    python benchmarks/bench_qualify.py --quick        # 100,000 rows
    python benchmarks/bench_qualify.py --rows 300000 --rounds 5
"""

from __future__ import annotations

import argparse
import csv
import gc
import hashlib
import itertools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import leadspec
from _machine import bytecode, cpu_name, git_state, usable_cores  # benchmarks/ is on sys.path when a script here runs

ROOT = Path(__file__).resolve().parent.parent
RULES_FILE = ROOT / "rules" / "x-education.yaml"
SOURCE = ROOT.parent / "shared" / "data" / "x-education-leads.csv"  # ../shared/data beside the checkout
OUT_DIR = Path(__file__).resolve().parent / "out"
AS_OF_TEXT = "2026-11-01"
AS_OF = datetime(2026, 11, 1, tzinfo=timezone.utc)
SMALL = 10_000
EVALUATE_ROWS = 200_000
DATA_VERSION = 1  # bump when the way the big files are made changes (new cache file names)
ID_NAMESPACE = uuid.UUID("6f1c2a52-3a8e-4c6e-9c1d-0b7e1e5a2c11")

# Runs one command, then prints its wall time, exit status and the peak RSS
# (KiB on Linux) of the largest process it started. A fresh interpreter per
# measurement: RUSAGE_CHILDREN is a maximum over all children ever waited for.
WRAPPER = r"""
import json, resource, subprocess, sys, time
stderr_path, cmd = sys.argv[1], sys.argv[2:]
with open(stderr_path, "wb") as err:
    start = time.perf_counter()
    code = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=err).returncode
    seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": seconds, "code": code, "maxrss": usage.ru_maxrss, "cpu": usage.ru_utime + usage.ru_stime}))
"""


# --------------------------------------------------------------------------------------
# Input files
# --------------------------------------------------------------------------------------
def read_source() -> tuple[list[str], list[list[str]]]:
    with open(SOURCE, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, strict=True)
        header = next(reader)
        rows = [values for values in reader if values]
    return header, rows


def repeated_rows(header: list[str], rows: list[list[str]]) -> Iterator[list[str]]:
    """The export's rows, again and again; copy 0 verbatim, later copies with new ids."""
    pid, number = header.index("Prospect ID"), header.index("Lead Number")
    yield from rows
    for copy in itertools.count(1):
        for values in rows:
            values = list(values)
            values[pid] = str(uuid.uuid5(ID_NAMESPACE, f"{values[pid]}#{copy}"))
            values[number] = str(copy * 1_000_000 + int(values[number]))
            yield values


def input_file(n: int, header: list[str], rows: list[list[str]]) -> Path:
    """The cached n-row CSV, written on first use (atomically: a partial file is never reused)."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / f"x-education-{n}-v{DATA_VERSION}.csv"
    if path.exists():
        return path
    print(f"writing {path.name} ({n:,} rows) ...", file=sys.stderr, flush=True)
    number = header.index("Lead Number")
    assert all(0 <= int(values[number]) < 1_000_000 for values in rows), "Lead Number must stay below 1,000,000 for the ids to be distinct"
    fd, tmp = tempfile.mkstemp(dir=OUT_DIR, prefix=path.stem, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)  # "\r\n" line endings, as in the export
            writer.writerow(header)
            writer.writerows(itertools.islice(repeated_rows(header, rows), n))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return path


# --------------------------------------------------------------------------------------
# Running qualify
# --------------------------------------------------------------------------------------
def leadspec_command() -> list[str]:
    script = Path(sys.executable).with_name("leadspec")
    return [str(script)] if script.exists() else [sys.executable, "-m", "leadspec"]


def mib(maxrss: int) -> float:
    """``ru_maxrss`` in MiB (kibibytes on Linux, bytes on macOS)."""
    return maxrss / 1024 / 1024 if sys.platform == "darwin" else maxrss / 1024


class Run:
    def __init__(self, rows: int, jobs: int, details: bool = False, round: int = 0) -> None:
        self.rows = rows
        self.jobs = jobs
        self.details = details
        self.round = round  # of the N-row runs without --details: 1, 2, ... (0: not in a round)
        self.evaluate_rate = float("nan")  # evaluate() alone, rows/s, timed just before (N-row runs)
        self.load = float("nan")  # the 1-minute load average as the best run started
        self.seconds = float("inf")
        self.cpu = float("nan")  # processor time (user + system) of every process of the best run
        self.rss_kib = 0
        self.output: Path | None = None
        self.problems: list[str] = []
        self.digest = ""
        self.size = 0  # bytes of the output

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    @property
    def rss_mib(self) -> float:
        return mib(self.rss_kib)

    @property
    def finished(self) -> bool:
        """The command ran to exit status 0 (its output may since be deleted: a later round's, once hashed)."""
        return self.output is not None


def run_qualify(run: Run, source: Path, work: Path, repeats: int) -> None:
    tag = f"{run.rows}-j{run.jobs}" + ("-details" if run.details else "") + (f"-r{run.round}" if run.round else "")
    output = work / f"out-{tag}.csv"
    stderr_path = work / f"err-{tag}.txt"
    cmd = [*leadspec_command(), "qualify", str(RULES_FILE), str(source), "-o", str(output), "--as-of", AS_OF_TEXT]
    if run.jobs != 1:
        cmd += ["--jobs", str(run.jobs)]
    if run.details:
        cmd.append("--details")
    for attempt in range(repeats):
        print(f"qualify {run.rows:,} rows, --jobs {run.jobs}{' --details' if run.details else ''} (run {attempt + 1} of {repeats}) ...", file=sys.stderr, flush=True)
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        done = subprocess.run([sys.executable, "-c", WRAPPER, str(stderr_path), *cmd], capture_output=True, text=True, check=True)
        report = json.loads(done.stdout)
        stderr = stderr_path.read_text(encoding="utf-8", errors="replace")
        if report["code"] != 0:
            run.problems.append(f"exit status {report['code']}: {stderr.strip()[-500:]}")
            return
        expected = f"{run.rows:,} rows read, {run.rows:,} written, 0 rejected"
        if expected not in stderr:
            run.problems.append(f"summary is not {expected!r}: {stderr.strip()[-500:]!r}")
        if report["seconds"] < run.seconds:
            run.seconds, run.load, run.cpu = report["seconds"], load, report["cpu"]
        run.rss_kib = max(run.rss_kib, report["maxrss"])
    run.output = output


# Writes the rows of the --details output again, and nothing else: its first 2,000 data rows over and over until it has
# as many rows, in text batches of 2,000 rows as qualify writes them, then synced and renamed into place (what qualify's
# output costs the processor and the disk whatever computes it; the floor of any qualify --details).
WRITE_ONLY = r"""
import itertools, os, sys
source, target, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(source, encoding="utf-8", newline="") as handle:
    lines = list(itertools.islice(handle, 2001))
header, batch = lines[0], "".join(lines[1:])
per = len(lines) - 1
with open(target + ".tmp", "w", encoding="utf-8", newline="") as out:
    out.write(header)
    left = rows
    while left >= per:
        out.write(batch)
        left -= per
    out.write("".join(lines[1 : 1 + left]))
    out.flush()
    os.fsync(out.fileno())
os.replace(target + ".tmp", target)
"""


def time_write_only(run: Run, work: Path) -> Run:
    """The bytes of ``run``'s output (its first 2,000 rows repeated) written alone, timed as qualify is (a ``Run``)."""
    floor = Run(run.rows, 1, details=True)
    if run.output is None:
        return floor
    print(f"writing {run.rows:,} rows of the --details output alone ...", file=sys.stderr, flush=True)
    target, stderr_path = work / "write-only.csv", work / "err-write-only.txt"
    floor.load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    floor.size = run.size = run.output.stat().st_size
    cmd = [sys.executable, "-c", WRITE_ONLY, str(run.output), str(target), str(run.rows)]
    done = subprocess.run([sys.executable, "-c", WRAPPER, str(stderr_path), *cmd], capture_output=True, text=True, check=True)
    report = json.loads(done.stdout)
    if report["code"] == 0:
        floor.seconds, floor.cpu, floor.output = report["seconds"], report["cpu"], target
    target.unlink(missing_ok=True)
    return floor


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as raw:
        for block in iter(lambda: raw.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_output(run: Run, source: Path, base_stages: list[str]) -> None:
    """One output row per input row: the input values, then stage and reasons (and with --details the result as JSON,
    whose stage is the row's); the stage evaluate() gives."""
    if run.output is None:
        return
    print(f"checking the output of {run.rows:,} rows, --jobs {run.jobs} ...", file=sys.stderr, flush=True)
    period = len(base_stages)
    run.digest = file_digest(run.output)
    with open(source, encoding="utf-8-sig", newline="") as inp, open(run.output, encoding="utf-8", newline="") as out:
        src, got = csv.reader(inp, strict=True), csv.reader(out, strict=True)
        header = next(src)
        out_header = next(got, None)
        added = ["stage", "reasons"] + (["details"] if run.details else [])
        if out_header != header + added:
            run.problems.append(f"output header {out_header!r} is not the input header + {', '.join(added)}")
            return
        records = 0
        for index, (values, written) in enumerate(itertools.zip_longest(src, got)):
            if values is None or written is None:
                which = "fewer" if written is None else "more"
                run.problems.append(f"the output has {which} rows than the input (first difference at row {index + 1:,})")
                return
            records += 1
            if run.details:
                details = written.pop()
                if json.loads(details)["stage"] != written[-2]:
                    run.problems.append(f"row {index + 1:,}: the details {details[:200]!r} do not hold the stage {written[-2]!r}")
                    return
            if written[:-2] != values or written[-2] != base_stages[index % period] or not written[-1]:
                run.problems.append(f"row {index + 1:,}: output {written!r} does not match input {values!r} (stage expected {base_stages[index % period]!r})")
                return
        if records != run.rows:
            run.problems.append(f"{records:,} data rows in the output, expected {run.rows:,}")


# --------------------------------------------------------------------------------------
# evaluate() in-process
# --------------------------------------------------------------------------------------
def read_leads(source: Path, n: int) -> list[dict[str, Any]]:
    """The first n rows as the CLI's CSV reader makes them: {header: text}."""
    with open(source, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, strict=True)
        header = next(reader)
        return [dict(zip(header, values)) for values in itertools.islice(reader, n)]


def best_rate(fn: Any, leads: list[dict[str, Any]], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        fn(leads)
        best = min(best, time.perf_counter() - start)
    return len(leads) / best


def time_evaluate(rules: leadspec.Ruleset, leads: list[dict[str, Any]]) -> tuple[float, float, int]:
    evaluate, as_of = rules.evaluate, AS_OF

    def only_evaluate(batch: list[dict[str, Any]]) -> None:
        for lead in batch:
            evaluate(lead, as_of=as_of)

    def with_summary(batch: list[dict[str, Any]]) -> None:
        for lead in batch:
            evaluate(lead, as_of=as_of).summary()

    tenth = leads[: max(1, len(leads) // 10)]
    return best_rate(only_evaluate, leads, 3), best_rate(with_summary, tenth, 3), len(tenth)


# --------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------
def cores() -> str:
    return f"{usable_cores()} cores ({platform.system()} {platform.machine()}, {cpu_name()})"


def git_commit() -> str:
    state = git_state(str(ROOT), "src")
    if state is None:
        return "unknown (not a git checkout)"
    return state[0] + (" (src/ has uncommitted changes)" if state[1] else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the big input (default 1000000)")
    parser.add_argument("--quick", action="store_true", help="100,000 rows, for a quick look")
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of the big runs (evaluate() timed, --jobs 1, --jobs 2); the median ratio counts (default 3)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the qualify outputs (in benchmarks/out/) instead of deleting them")
    args = parser.parse_args(argv)
    big = 100_000 if args.quick else args.rows
    if big <= SMALL:
        parser.error(f"--rows must be more than {SMALL:,}")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    commit = git_commit()
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    header, source_rows = read_source()
    rules = leadspec.load(RULES_FILE)
    base = [dict(zip(header, values)) for values in source_rows]
    base_stages = [rules.evaluate(lead, as_of=AS_OF).stage for lead in base]
    files = {n: input_file(n, header, source_rows) for n in (SMALL, big)}
    print(f"reading {min(EVALUATE_ROWS, big):,} rows for evaluate() ...", file=sys.stderr, flush=True)
    leads = read_leads(files[big], min(EVALUATE_ROWS, big))
    summary_rates: list[float] = []

    def evaluate_now(run: Run) -> None:
        """evaluate() alone, timed just before ``run``: the ratios compare figures taken minutes apart at most."""
        print(f"timing evaluate() on {len(leads):,} rows ...", file=sys.stderr, flush=True)
        rate, with_summary, _ = time_evaluate(rules, leads)
        run.evaluate_rate = rate
        summary_rates.append(with_summary)

    compiled = bytecode("leadspec")  # (the runs start new interpreters: as installed, not compiled from source each time)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=OUT_DIR, prefix="qualify-run-"))
    small = [Run(SMALL, jobs) for jobs in (1, 2)]
    rounds = [(Run(big, 1, round=r), Run(big, 2, round=r)) for r in range(1, args.rounds + 1)]
    detailed = Run(big, 1, details=True)
    runs = small + [run for pair in rounds for run in pair] + [detailed]
    try:
        for run in small:
            run_qualify(run, files[SMALL], work, 3)
            verify_output(run, files[SMALL], base_stages)
        for one, two in rounds:
            evaluate_now(one)
            for run in (one, two):
                run_qualify(run, files[big], work, 1)
                if run.round == 1:
                    verify_output(run, files[big], base_stages)
                elif run.output is not None:  # a later round: the same bytes as the first round's
                    print(f"checking the output of {run.rows:,} rows, --jobs {run.jobs} (round {run.round}) ...", file=sys.stderr, flush=True)
                    run.digest = file_digest(run.output)
                    if rounds[0][0].digest and run.digest != rounds[0][0].digest:
                        run.problems.append(f"round {run.round}: the output differs from round 1's")
                if run.output is not None and not args.keep and run.round > 1:
                    run.output.unlink()
        evaluate_now(detailed)
        run_qualify(detailed, files[big], work, 1)
        verify_output(detailed, files[big], base_stages)
        write_only = time_write_only(detailed, work)
        for one, two in [tuple(small)] + rounds:
            if one.digest and two.digest and one.digest != two.digest:
                two.problems.append(f"the --jobs 2 output differs from the --jobs 1 output ({one.rows:,} rows)")
        if all(one.digest and one.digest == two.digest for one, two in [tuple(small)] + rounds):
            print(f"{SMALL:,} and {big:,} rows: --jobs 2 output byte-identical to --jobs 1 in every round", file=sys.stderr)
    finally:
        if args.keep:
            print(f"outputs kept in {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)

    shares = Counter(rules.evaluate(lead, as_of=AS_OF).stage for lead in leads)
    del leads

    print(f"# leadspec qualify benchmark: {big:,} rows of {SOURCE.name} (repeated), rules {RULES_FILE.relative_to(ROOT)}, --as-of {AS_OF_TEXT}")
    print()
    print("stages (first evaluated rows): " + ", ".join(f"{s} {shares[s] / sum(shares.values()):.1%}" for s in rules.stage_ids))
    print()
    print("| rows | round | jobs | options | seconds | rows/s | processor s (all processes) | peak RSS MiB | load average (1 min) as it started |")
    print("|---:|---:|---:|---|---:|---:|---:|---:|---:|")
    for run in runs:
        options = "--details" if run.details else ""
        where = f"| {run.rows:,} | {run.round or ''} | {run.jobs} | {options} |"
        if not run.finished:
            print(f"{where} failed | | | | |")
        else:
            print(f"{where} {run.seconds:,.2f} | {run.rate:,.0f} | {run.cpu:,.2f} | {run.rss_mib:,.1f} | {run.load:.2f} |")
    print()
    print(
        f"| round | `evaluate()` alone, rows/s ({min(EVALUATE_ROWS, big):,} rows in-process, best of 3) | `qualify` / `evaluate()` | "
        "the same by processor time (info) | `--jobs 2` / `--jobs 1` |"
    )
    print("|---:|---:|---:|---:|---:|")
    share_of: list[float] = []  # of the rounds whose runs both finished (a failed run is no figure: it is reported below)
    speedup_of: list[float] = []
    for one, two in rounds:
        if not (one.finished and two.finished):
            print(f"| {one.round} | {one.evaluate_rate:,.0f} | a run failed | | |")
            continue
        share_of.append(one.rate / one.evaluate_rate)
        speedup_of.append(two.rate / one.rate)
        by_cpu = one.rows / one.cpu / one.evaluate_rate
        print(f"| {one.round} | {one.evaluate_rate:,.0f} | {share_of[-1]:.1%} | {by_cpu:.1%} | {speedup_of[-1]:.2f}x |")
    print(f"| `--details` | {detailed.evaluate_rate:,.0f} | {detailed.rate / detailed.evaluate_rate:.1%} | {detailed.rows / detailed.cpu / detailed.evaluate_rate:.1%} | |")
    if write_only.finished:  # the floor: the same bytes written by a script that computes nothing
        print(
            f"| writing the `--details` output alone (baseline) | {detailed.evaluate_rate:,.0f} | {write_only.rate / detailed.evaluate_rate:.1%} | "
            f"{write_only.rows / write_only.cpu / detailed.evaluate_rate:.1%} | |"
        )
    print()
    print(f"For information, `evaluate()` + `Result.summary()` (the `reasons` column), on a tenth of the rows: {max(summary_rates):,.0f} rows/s at best.")
    print()

    def spread(values: list[float], form: str) -> str:
        return "" if len(values) < 2 else f" (the {len(values)} rounds: {format(min(values), form)}–{format(max(values), form)})"

    small1 = small[0]
    big1s = [one for one, _ in rounds]
    ran = all(one.finished and two.finished for one, two in rounds)
    rows = ["| target | measured | result |", "|---|---:|---|"]

    def judge(label: str, measured: str, ok: bool, valid: bool) -> None:
        rows.append(f"| {label} | {measured} | {('PASS' if ok else 'MISS') if valid else 'not judged: a run failed'} |")

    peak = max(run.rss_kib for run in big1s)
    valid_mem = small1.finished and ran
    growth = peak / small1.rss_kib if valid_mem and small1.rss_kib else float("nan")
    judge(
        f"memory flat: peak RSS at {big:,} rows within 10% of {SMALL:,} rows (--jobs 1)",
        f"{mib(peak):,.1f} vs {small1.rss_mib:,.1f} MiB ({growth - 1:+.1%})",
        growth <= 1.10,
        valid_mem,
    )
    share = statistics.median(share_of) if share_of else float("nan")
    judge(
        f"qualify ({big:,} rows, --jobs 1) >= 40% of `evaluate()` alone (median of the rounds)",
        f"{share:.1%}{spread(share_of, '.1%')}",
        share >= 0.40,
        ran,
    )
    detailed_share = detailed.rate / detailed.evaluate_rate
    floor_text = f"; writing its {write_only.size / 2**20:,.0f} MiB alone: {write_only.rate / detailed.evaluate_rate:.1%}" if write_only.finished else ""
    judge(
        f"qualify --details ({big:,} rows, --jobs 1) >= 25% of `evaluate()` alone",
        f"{detailed_share:.1%} ({detailed.rate:,.0f} vs {detailed.evaluate_rate:,.0f} rows/s{floor_text})",
        detailed_share >= 0.25,
        detailed.finished,
    )
    speedup = statistics.median(speedup_of) if speedup_of else float("nan")
    judge(f"--jobs 2 >= 1.6x --jobs 1 ({big:,} rows, median of the rounds)", f"{speedup:.2f}x{spread(speedup_of, '.2f')}", speedup >= 1.6, ran)
    print("\n".join(rows))
    print()
    print(f"Python {platform.python_version()} ({platform.python_implementation()}), {cores()}")
    print(f"leadspec {leadspec.__version__}, git {commit}; command: {' '.join(Path(c).name for c in leadspec_command())}")
    print("peak RSS: the largest single process of a run (RUSAGE_CHILDREN of a wrapper process)")
    if hasattr(os, "getloadavg"):
        print(f"load average (1 min): {load_before:.2f} before the runs, {os.getloadavg()[0]:.2f} after (other work on the machine skews --jobs 2 most)")
    print(compiled)

    problems = [f"{r.rows:,} rows, --jobs {r.jobs}{f' (round {r.round})' if r.round else ''}: {p}" for r in runs for p in r.problems]
    if problems:
        print("\nFAILED:")
        for line in problems:
            print(f"- {line}")
        return 1
    print(
        f"\noutputs verified: {SMALL:,} and {big:,} rows + header, every row its input + stage and reasons, stages as evaluate(); "
        "--jobs 2 byte-identical to --jobs 1, every round's output the first round's"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
