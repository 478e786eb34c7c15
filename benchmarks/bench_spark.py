"""Benchmark: what ``leadspec.spark.qualify`` costs in Spark local mode, phase by phase.

What it measures
----------------
The input is the real X Education export (``../shared/data/x-education-leads.csv``
beside the checkout: 9,240 leads, every column read as text by Spark's CSV
reader), written once as Parquet (not timed) at two sizes: the export itself
(9,240 rows) and the export repeated to ``--rows`` rows (default 100,000:
11 copies, cut to 100,000). The rules are ``rules/x-education.yaml`` (26
criteria, 2 scores), ``as_of`` 2026-11-01.

For each master (``local[1]``, ``local[2]``) and each set of session
settings (``--settings``: ``default``, and the variants named in
:data:`VARIANTS`), a fresh Python process starts its own Spark session
(driver memory 2g, UI off) and times, in this order:

``to_sql``
    building the query in Python (``Ruleset.to_sql(dialect="spark")``).
``analysis``
    ``qualify(frame, rules)`` minus ``to_sql``: Spark parses and analyses
    the query (``session.sql``: a classic DataFrame is analysed when it is
    made).
``write 9,240``
    ``qualify(...)`` of the 9,240-row Parquet written to Parquet: Spark
    optimises, plans, generates code and runs.
``write N``
    the same with the N-row input (a new ``qualify``: its analysis is not
    counted here, the optimisation and planning are).
``baseline N``
    a trivial projection of the N rows (``selectExpr("*", "upper(`Lead
    Source`) AS stage")``) written to Parquet: what Spark needs to read and
    write the rows at all.

Before timing, the 9,240-row output's stages are checked against
``Ruleset.evaluate`` on the export (a failed check exits with status 1).
Nothing about speed is asserted. It prints a markdown table (with the
machine's 1-minute load average at the end of each run), the Python and
Spark versions, the cores and the git commit.

How to run it
-------------
::

    pip install -e '.[spark]'          # and a Java 17 runtime
    python benchmarks/bench_spark.py                              # default settings, local[1] and local[2]
    python benchmarks/bench_spark.py --settings default,no-wholestage,no-collapse --masters 'local[2]'
    python benchmarks/bench_spark.py --rows 1000000 --settings default
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

VARIANTS: dict[str, dict[str, str]] = {
    "default": {},
    # Whole-stage code generation off: each operator's expressions are compiled on their own (the
    # query's generated stage is far beyond the 64 KB a Java method may have, and Janino's failure
    # to compile it is what the "Code grows beyond 64 KB" log lines are).
    "no-wholestage": {"spark.sql.codegen.wholeStage": "false"},
    # A generated method above 8,000 bytes of bytecode is not JIT-compiled by HotSpot: Spark then runs
    # that subtree without whole-stage code generation.
    "huge-8000": {"spark.sql.codegen.hugeMethodLimit": "8000"},
    # The optimizer's CollapseProject merges the query's layers (CTEs) into fewer projections,
    # inlining columns into their readers.
    "no-collapse": {"spark.sql.optimizer.excludedRules": "org.apache.spark.sql.catalyst.optimizer.CollapseProject"},
    # No code generation for expressions at all (interpreted): the cost of compiling versus running.
    "interpreted": {"spark.sql.codegen.wholeStage": "false", "spark.sql.codegen.factoryMode": "NO_CODEGEN"},
}

sys.path.insert(0, str(HERE))
from _machine import cpu_name, git_state, usable_cores  # noqa: E402


def session(master: str, settings: dict[str, str]) -> Any:
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master(master)
        .appName("leadspec-bench")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.memory", "2g")
        .config("spark.ui.showConsoleProgress", "false")
    )
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("OFF")  # Janino's failures to compile huge methods are logged at ERROR, then Spark falls back
    return spark


def read_export(spark: Any) -> Any:
    return spark.read.csv(str(EXPORT), header=True, inferSchema=False, multiLine=True, escape='"')


def prepare(rows: int, where: str) -> None:
    """The export as Parquet in ``where``/small and repeated to ``rows`` rows in ``where``/large."""
    spark = session("local[2]", {})
    export = read_export(spark)
    export.coalesce(1).write.parquet(os.path.join(where, "small"))
    copies = -(-rows // export.count())
    repeated = export.crossJoin(spark.range(copies).withColumnRenamed("id", "copy")).drop("copy").limit(rows)
    repeated.repartition(4).write.parquet(os.path.join(where, "large"))
    spark.stop()


def python_stages() -> dict[str, int]:
    """Leads per stage by the Python engine on the export (as Spark reads it: an empty cell is None)."""
    import leadspec

    rules = leadspec.load(RULES)
    with open(EXPORT, newline="", encoding="utf-8") as handle:
        leads = [{k: (v if v != "" else None) for k, v in row.items()} for row in csv.DictReader(handle)]
    return dict(collections.Counter(r.stage for r in rules.evaluate_many(leads, AS_OF)))


def child(master: str, variant: str, data: str, expected: dict[str, int]) -> dict[str, Any]:
    """In a process of its own: the phases of one master and one set of settings."""
    import leadspec
    from leadspec.spark import qualify

    spark = session(master, VARIANTS[variant])
    rules = leadspec.load(RULES)
    small = spark.read.parquet(os.path.join(data, "small"))
    large = spark.read.parquet(os.path.join(data, "large"))
    out = os.path.join(data, f"out-{os.getpid()}")
    times: dict[str, Any] = {"rows": large.count(), "small_rows": small.count()}
    types = {f.name: f.dataType.simpleString() for f in small.schema.fields}

    start = time.perf_counter()
    query = rules.to_sql(dialect="spark", table="leads", columns=small.columns, as_of=AS_OF, types=types, pretty=False)
    times["to_sql"] = time.perf_counter() - start
    times["query_kb"] = len(query.encode()) / 1000

    start = time.perf_counter()
    qualified = qualify(small, rules, as_of=AS_OF)
    times["analysis"] = max(0.0, time.perf_counter() - start - times["to_sql"])

    start = time.perf_counter()
    qualified.write.mode("overwrite").parquet(out)
    times["write_small"] = time.perf_counter() - start
    stages = {r["stage"]: r["count"] for r in spark.read.parquet(out).groupBy("stage").count().collect()}
    if stages != expected:
        return {"error": f"stages differ from the Python engine's: spark {stages}, python {expected}"}

    qualified = qualify(large, rules, as_of=AS_OF)
    start = time.perf_counter()
    qualified.write.mode("overwrite").parquet(out)
    times["write_large"] = time.perf_counter() - start

    start = time.perf_counter()
    large.selectExpr("*", "upper(`Lead Source`) AS stage").write.mode("overwrite").parquet(out)
    times["baseline_large"] = time.perf_counter() - start
    times["load"] = os.getloadavg()[0]  # the machine's 1-minute load average at the end of the run
    spark.stop()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--masters", default="local[1],local[2]")
    parser.add_argument("--settings", default="default", help=f"comma-separated, of: {', '.join(VARIANTS)}")
    parser.add_argument("--child", nargs=4, metavar=("MASTER", "VARIANT", "DATA", "EXPECTED"), help=argparse.SUPPRESS)
    parser.add_argument("--prepare", metavar="DATA", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        prepare(args.rows, args.prepare)
        return 0
    if args.child:
        master, variant, data, expected = args.child
        print(json.dumps(child(master, variant, data, json.loads(expected))))
        return 0
    if not EXPORT.exists():
        print(f"the X Education export is not at {EXPORT}", file=sys.stderr)
        return 1
    variants = args.settings.split(",")
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown settings {unknown}: choose from {', '.join(VARIANTS)}")
    results: list[tuple[str, str, dict[str, Any]]] = []
    with tempfile.TemporaryDirectory(prefix="leadspec-bench-spark-") as tmp:
        # in a process of its own: a stopped session keeps its JVM (and its memory) until the process ends
        subprocess.run([sys.executable, __file__, "--rows", str(args.rows), "--prepare", tmp], check=True, capture_output=True)
        expected = python_stages()
        for master in args.masters.split(","):
            for variant in variants:
                run = subprocess.run(
                    [sys.executable, __file__, "--child", master, variant, tmp, json.dumps(expected)],
                    capture_output=True,
                    text=True,
                )
                lines = run.stdout.strip().splitlines()
                if run.returncode != 0 or not lines:
                    print(f"{master} {variant}: the run failed\n{run.stderr[-3000:]}", file=sys.stderr)
                    return 1
                result = json.loads(lines[-1])
                if "error" in result:
                    print(f"{master} {variant}: {result['error']}", file=sys.stderr)
                    return 1
                results.append((master, variant, result))
                print(f"{master} {variant}: {result}", file=sys.stderr, flush=True)
    print_table(results, variants)
    return 0


def print_table(results: list[tuple[str, str, dict[str, Any]]], variants: list[str]) -> None:
    import pyspark

    n = results[0][2]["rows"]
    small = results[0][2]["small_rows"]
    print(
        f"| master | settings | to_sql s | analysis s | write {small:,} s | write {n:,} s | rows/s at {n:,} "
        f"| baseline {n:,} s | load |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for master, variant, r in results:
        print(
            f"| {master} | {variant} | {r['to_sql']:.1f} | {r['analysis']:.1f} | {r['write_small']:.1f} | "
            f"{r['write_large']:.1f} | {n / r['write_large']:,.0f} | {r['baseline_large']:.1f} | {r.get('load', float('nan')):.1f} |"
        )
    state = git_state(str(ROOT))
    commit = f"{state[0]}{' (uncommitted changes)' if state[1] else ''}" if state else "unknown"
    print(
        f"\nquery {results[0][2]['query_kb']:.0f} kB; Python {platform.python_version()}, pyspark {pyspark.__version__}, "
        f"{usable_cores()} usable cores ({cpu_name()}), commit {commit}"
    )
    for variant in variants:
        if VARIANTS[variant]:
            print(f"{variant}: " + ", ".join(f"{k}={v}" for k, v in VARIANTS[variant].items()))


if __name__ == "__main__":
    sys.exit(main())
