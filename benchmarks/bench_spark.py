"""Benchmark: ``leadspec.spark.qualify`` in Spark local mode, against a trivial projection of the same rows.

What it measures
----------------
The input is the real X Education export (``../shared/data/x-education-leads.csv``
beside the checkout: 9,240 leads, every column read as text by Spark's CSV
reader) repeated to about N rows (default 1,000,000: 109 copies), written
once to a temporary Parquet directory in 8 files (not timed). For each
master (``local[1]``, ``local[2]``) a fresh Python process starts its own
Spark session (driver memory 2g, UI off) and times, ``--repeats`` times
(default 3; the best time counts), two jobs that read the Parquet input
and compute every output column of every row, ending in Spark's ``noop``
sink (nothing is written or collected, every column is computed):

(a) the baseline: ``selectExpr("*", "upper(`Lead Source`) AS stage")``;
(b) ``leadspec.spark.qualify(df, rules/x-education.yaml, as_of=2026-11-01)``:
    every input column, stage, reasons, 26 criteria, 2 scores, blocked_by,
    missing, issues, ruleset_digest.

Before timing, (b)'s stages are checked: the number of leads per stage
must be the number ``Ruleset.evaluate`` gives on the export times the
copies (a failed check exits with status 1). Nothing about speed is
asserted. It prints a markdown table (master, rows, seconds, rows/s for
(a) and (b), and (b)/(a)), the Python and Spark versions, the cores and
the git commit.

How to run it
-------------
::

    pip install -e '.[spark]'          # and a Java 17 runtime
    python benchmarks/bench_spark.py                  # about 1,000,000 rows
    python benchmarks/bench_spark.py --rows 100000 --repeats 1
"""

from __future__ import annotations

import argparse
import collections
import csv
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EXPORT = ROOT.parent / "shared" / "data" / "x-education-leads.csv"
RULES = ROOT / "rules" / "x-education.yaml"
AS_OF = "2026-11-01"
MASTERS = ("local[1]", "local[2]")

sys.path.insert(0, str(HERE))
from _machine import cpu_name, git_state, usable_cores  # noqa: E402


def session(master: str) -> Any:
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master(master)
        .appName("leadspec-bench")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.memory", "2g")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def read_export(spark: Any) -> Any:
    return spark.read.csv(str(EXPORT), header=True, inferSchema=False, multiLine=True, escape='"')


def prepare(rows: int, where: str) -> int:
    """Write the export repeated to about ``rows`` rows as Parquet in ``where``; the number of copies."""
    spark = session("local[2]")
    export = read_export(spark)
    copies = max(1, round(rows / export.count()))
    export.crossJoin(spark.range(copies).withColumnRenamed("id", "copy")).drop("copy").repartition(8).write.parquet(where)
    spark.stop()
    return copies


def python_stages(copies: int) -> dict[str, int]:
    """Leads per stage by the Python engine on the export (as Spark reads it: an empty cell is None), times ``copies``."""
    import leadspec

    rules = leadspec.load(RULES)
    with open(EXPORT, newline="", encoding="utf-8") as handle:
        leads = [{k: (v if v != "" else None) for k, v in row.items()} for row in csv.DictReader(handle)]
    counts = collections.Counter(r.stage for r in rules.evaluate_many(leads, AS_OF))
    return {stage: n * copies for stage, n in counts.items()}


def child(master: str, data: str, repeats: int, expected: dict[str, int]) -> dict[str, Any]:
    """In a process of its own: the best times of (a) and (b) with ``master``."""
    import leadspec
    from leadspec.spark import qualify

    spark = session(master)
    rules = leadspec.load(RULES)
    frame = spark.read.parquet(data)
    rows = frame.count()
    qualified = qualify(frame, rules, as_of=AS_OF)
    stages = {r["stage"]: r["count"] for r in qualified.groupBy("stage").count().collect()}
    if stages != expected:
        return {"error": f"stages differ from the Python engine's: spark {stages}, python {expected}"}
    jobs = {
        "baseline": lambda: frame.selectExpr("*", "upper(`Lead Source`) AS stage"),
        "qualify": lambda: qualify(spark.read.parquet(data), rules, as_of=AS_OF),
    }
    best: dict[str, float] = {}
    for _ in range(repeats):
        for name, job in jobs.items():
            start = time.perf_counter()
            job().write.format("noop").mode("overwrite").save()
            best[name] = min(best.get(name, float("inf")), time.perf_counter() - start)
    spark.stop()
    return {"rows": rows, **best}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", nargs=3, metavar=("MASTER", "DATA", "EXPECTED"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        master, data, expected = args.child
        print(json.dumps(child(master, data, args.repeats, json.loads(expected))))
        return 0
    if not EXPORT.exists():
        print(f"the X Education export is not at {EXPORT}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="leadspec-bench-spark-") as tmp:
        data = os.path.join(tmp, "leads.parquet")
        copies = prepare(args.rows, data)
        expected = python_stages(copies)
        results: dict[str, dict[str, Any]] = {}
        for master in MASTERS:
            run = subprocess.run(
                [sys.executable, __file__, "--repeats", str(args.repeats), "--child", master, data, json.dumps(expected)],
                capture_output=True,
                text=True,
            )
            lines = run.stdout.strip().splitlines()
            if run.returncode != 0 or not lines:
                print(f"{master}: the run failed\n{run.stderr[-3000:]}", file=sys.stderr)
                return 1
            results[master] = json.loads(lines[-1])
            if "error" in results[master]:
                print(f"{master}: {results[master]['error']}", file=sys.stderr)
                return 1
    import pyspark

    print("| master | rows | baseline s | baseline rows/s | qualify s | qualify rows/s | qualify / baseline |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for master, r in results.items():
        rows = r["rows"]
        print(
            f"| {master} | {rows:,} | {r['baseline']:.2f} | {rows / r['baseline']:,.0f} | {r['qualify']:.2f} | "
            f"{rows / r['qualify']:,.0f} | {r['qualify'] / r['baseline']:.2f}x |"
        )
    state = git_state(str(ROOT))
    commit = f"{state[0]}{' (uncommitted changes)' if state[1] else ''}" if state else "unknown"
    print(
        f"\nbest of {args.repeats}; Python {platform.python_version()}, pyspark {pyspark.__version__}, "
        f"{usable_cores()} usable cores ({cpu_name()}), commit {commit}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
