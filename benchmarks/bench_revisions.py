"""Benchmark: one revision of leadspec against another, on the same machine in the same run.

What it measures
----------------
For two revisions (``--before``, default ``762738f``, the commit before issue 9, and
``--after``, default ``WORKTREE``: the ``src/`` of this checkout as it is now), the CPU time
(``time.process_time``) per lead of ``Ruleset.stage()``, ``Ruleset.evaluate()`` and
``evaluate()`` + ``Result.summary()`` on

* the generated leads of ``bench_evaluate.py`` with ``b2b-bench.yaml``;
* the X Education export (``../shared/data/x-education-leads.csv`` beside the checkout) with
  ``rules/x-education.yaml``, when that file is present (otherwise the rows say why not);

and the CPU time of ``leadspec.load()`` of each rule file. Both sides read the same rule files
and leads (this checkout's), so only the engine differs.

How
---
Each revision's ``src/`` is exported with ``git archive REV src | tar -x`` (or copied, for
``WORKTREE``) into a temporary directory, and one long-lived worker process per side runs this
script with ``PYTHONPATH`` set to that ``src/`` (it checks ``leadspec.__file__``). Before any
timing, both sides must give the same ``stage()``, ``evaluate().stage`` and ``summary()`` on
every lead: comparing different answers would be meaningless, so a difference exits with 1.
The machine is shared, so each measurement is a short batch (about 25 ms of CPU) and the two
sides run back to back on the SAME slice of leads, in alternating order (A B, then B A); each
round goes through every case, so every case is spread over the whole run. Contention only
ever makes a batch slower: the minimum per side and the median of the paired after/before
ratios are the robust figures; the median per side is shown for scale. Nothing is asserted
about speed; the script prints a Markdown table and the load average, and exits 0.

    python benchmarks/bench_revisions.py                     # a few minutes
    python benchmarks/bench_revisions.py --quick             # under a minute
    python benchmarks/bench_revisions.py --before 762738f --after HEAD --rounds 30
"""

from __future__ import annotations

import argparse
import csv
import gc
import importlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
XEDU_CSV = ROOT.parent / "shared" / "data" / "x-education-leads.csv"
RULES = {"bench": HERE / "b2b-bench.yaml", "xedu": ROOT / "rules" / "x-education.yaml"}
if os.environ.get("LEADSPEC_BENCH_RULES"):  # --rules-rev: both sides read the rule files of that revision
    RULES = {case: Path(path) for case, path in json.loads(os.environ["LEADSPEC_BENCH_RULES"]).items()}
TITLES = {"bench": "b2b-bench, generated leads", "xedu": "x-education, real export"}
OPS = ("stage", "evaluate", "evaluate+summary")
LABELS = {"stage": "`stage()`", "evaluate": "`evaluate()`", "evaluate+summary": "`evaluate()`+`summary()`"}
SEED = 20261101
Job = tuple[str, str]  # (case, op); op "load" times load() of the case's rule file


def worker(src: str, n_leads: int) -> None:
    """One side: load, check, answer, then time batches asked for on stdin (one JSON line each)."""
    import leadspec

    assert Path(leadspec.__file__).resolve().is_relative_to(Path(src).resolve()), leadspec.__file__
    be: Any = importlib.import_module("bench_evaluate")  # this directory is sys.path[0]
    cases: dict[str, tuple[Any, list[dict[str, Any]]]] = {"bench": (leadspec.load(RULES["bench"]), be.generate_leads(n_leads, SEED))}
    if XEDU_CSV.exists():
        with open(XEDU_CSV, newline="", encoding="utf-8") as handle:
            cases["xedu"] = (leadspec.load(RULES["xedu"]), list(csv.DictReader(handle))[:n_leads])
    as_of = be.AS_OF
    answers = {
        name: [[rs.stage(lead, as_of), (r := rs.evaluate(lead, as_of)).stage, r.summary()] for lead in leads]
        for name, (rs, leads) in cases.items()
    }
    gc.collect()
    gc.freeze()  # the leads and rulesets live all run: keep them out of every later collection
    print(json.dumps({"file": leadspec.__file__, "answers": answers}), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        rs, leads = cases[req["case"]]
        if req["op"] == "load":
            path, load = RULES[req["case"]], leadspec.load
            c0 = time.process_time()
            for _ in range(req["n"]):
                load(path)
            print(json.dumps({"cpu": (time.process_time() - c0) / req["n"] * 1e6}), flush=True)
            continue
        batch, stage, evaluate = leads[req["lo"] : req["hi"]], rs.stage, rs.evaluate
        c0 = time.process_time()
        if req["op"] == "stage":
            for lead in batch:
                stage(lead, as_of)
        elif req["op"] == "evaluate":
            for lead in batch:
                evaluate(lead, as_of)
        else:
            for lead in batch:
                evaluate(lead, as_of).summary()
        print(json.dumps({"cpu": (time.process_time() - c0) / len(batch) * 1e6}), flush=True)


def export(rev: str, dest: Path) -> str:
    """Put REV's src/ under DEST (WORKTREE: this checkout's src/); return a description of it."""
    if rev == "WORKTREE":
        shutil.copytree(ROOT / "src", dest / "src", ignore=shutil.ignore_patterns("__pycache__"))
        head = _git("rev-parse", "--short", "HEAD")
        dirty = _git("status", "--porcelain", "--", "src")
        return f"working tree at {head}" + (" with uncommitted changes in src/" if dirty else " (src/ clean)")
    dest.mkdir(parents=True)
    archive = subprocess.Popen(["git", "-C", str(ROOT), "archive", rev, "src"], stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(dest)], stdin=archive.stdout, check=True)
    if archive.wait() != 0:
        raise SystemExit(f"git archive {rev} failed")
    return f"commit {_git('rev-parse', '--short', rev)}"


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True).stdout.strip()


class Side:
    """A worker process running one revision's src/."""

    def __init__(self, src: Path, n_leads: int) -> None:
        env = dict(os.environ, PYTHONPATH=str(src), PYTHONHASHSEED="0")
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", str(src), "--leads", str(n_leads)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
        )
        hello = self._read()
        if not Path(hello["file"]).resolve().is_relative_to(src.resolve()):
            raise SystemExit(f"worker for {src} imported {hello['file']}")
        self.file: str = hello["file"]
        self.answers: dict[str, list[list[str]]] = hello["answers"]

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"a worker died (exit status {self.proc.wait()}); its traceback is above")
        result: dict[str, Any] = json.loads(line)
        return result

    def ask(self, req: dict[str, Any]) -> float:
        stdin: IO[str] | None = self.proc.stdin
        assert stdin is not None
        stdin.write(json.dumps(req) + "\n")
        stdin.flush()
        return float(self._read()["cpu"])

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait()


def agree(sides: dict[str, Side], stages_only: bool = False) -> bool:
    """Print, per case, whether both sides give the same stage and summary on every lead (``stages_only``: the stages)."""
    ok = True
    for case in sides["before"].answers:
        b, a = sides["before"].answers[case], sides["after"].answers[case]
        width = 2 if stages_only else 3
        bad = [i for i, (x, y) in enumerate(zip(b, a)) if x[:width] != y[:width] or x[0] != x[1] or y[0] != y[1]]
        stages = {s: [x[0] for x in a].count(s) for s in sorted({x[0] for x in a})}
        print(f"{TITLES[case]}: {len(a)} leads, stages {stages}; leads where the sides differ: {len(bad)}")
        for i in bad[:3]:
            print(f"  lead {i}: before (stage, evaluate().stage, summary) = {b[i]}\n  {'':>{len(str(i)) + 7}} after = {a[i]}")
        ok = ok and not bad and len(a) == len(b)
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", default="762738f", help="a git revision (default 762738f) or WORKTREE")
    ap.add_argument("--after", default="WORKTREE", help="a git revision or WORKTREE (default: this checkout's src/)")
    ap.add_argument("--rounds", type=int, default=None, help="rounds over every case (default 50, --quick 3)")
    ap.add_argument("--quick", action="store_true", help="2,000 leads, 3 rounds, shorter batches: a smoke test")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--leads", type=int, default=None, help="generated leads (default 20,000; --quick 2,000)")
    ap.add_argument("--rules-rev", help="read the rule files from this git revision (when BEFORE cannot load today's)")
    ap.add_argument("--agree", choices=("all", "stages"), default="all",
                    help="what both sides must give alike before timing: stages and summaries (default), or stages only (summaries reworded on purpose)")
    args = ap.parse_args()
    n_leads = args.leads or (2000 if args.quick else 20000)
    if args.worker:
        worker(args.worker, n_leads)
        return 0
    rounds, pairs, target_us = (args.rounds or 3, 2, 10_000.0) if args.quick else (args.rounds or 50, 4, 25_000.0)
    load_start = os.getloadavg()
    print(f"load average at start: {load_start[0]:.2f} {load_start[1]:.2f} {load_start[2]:.2f} ({os.cpu_count()} CPUs)", flush=True)
    with tempfile.TemporaryDirectory(prefix="leadspec-revs-") as tmp:
        revs = {"before": args.before, "after": args.after}
        for side, rev in revs.items():
            print(f"{side}: {rev} = {export(rev, Path(tmp, side))}")
        if args.rules_rev:
            chosen = {}
            for case, path in RULES.items():
                text = _git("show", f"{args.rules_rev}:{path.relative_to(ROOT).as_posix()}")
                chosen[case] = Path(tmp, f"{case}-{path.name}")
                chosen[case].write_text(text + "\n", encoding="utf-8")
            os.environ["LEADSPEC_BENCH_RULES"] = json.dumps({case: str(p) for case, p in chosen.items()})
            print(f"rule files: from {args.rules_rev}")
        sides = {side: Side(Path(tmp, side, "src"), n_leads) for side in revs}
        for side in sides:
            print(f"{side} imports {sides[side].file}")
        if not XEDU_CSV.exists():
            print(f"x-education: skipped, {XEDU_CSV} is absent")
        if not agree(sides, stages_only=args.agree == "stages"):
            print("the two sides give different answers: nothing timed")
            return 1
        sizes = {case: len(ans) for case, ans in sides["after"].answers.items()}
        jobs: list[Job] = [(case, op) for case in sizes for op in OPS] + [(case, "load") for case in sizes]
        batch: dict[Job, int] = {}
        for case, op in jobs:  # one untimed pass per side warms up and sizes the batches
            req = {"case": case, "op": op, "n": 1, "lo": 0, "hi": sizes[case]}
            per = max(s.ask(req) for s in sides.values())
            n = round(target_us / per)
            batch[(case, op)] = max(1, n) if op == "load" else max(min(100, sizes[case]), min(sizes[case], n))
        cpu: dict[tuple[str, Job], list[float]] = {(s, j): [] for s in sides for j in jobs}
        ratios: dict[Job, list[float]] = {j: [] for j in jobs}
        loads, rng, k, t0 = [], random.Random(SEED), 0, time.time()
        for r in range(rounds):
            for job in jobs:
                case, op = job
                n = batch[job]
                for _ in range(pairs):
                    k += 1
                    lo = rng.randrange(sizes[case] - n + 1) if op != "load" else 0
                    req = {"case": case, "op": op, "n": n, "lo": lo, "hi": lo + n}
                    got = {s: sides[s].ask(req) for s in (("before", "after") if k % 2 else ("after", "before"))}
                    for s in sides:
                        cpu[(s, job)].append(got[s])
                    ratios[job].append(got["after"] / got["before"])
            loads.append(os.getloadavg()[0])
            print(f"round {r + 1}/{rounds}: {time.time() - t0:.0f} s, 1-minute load {loads[-1]:.2f}", flush=True)
        for worker_side in sides.values():
            worker_side.close()
    load_end = os.getloadavg()
    print(f"load average at end: {load_end[0]:.2f} {load_end[1]:.2f} {load_end[2]:.2f}; "
          f"1-minute load per round: min {min(loads):.2f}, median {statistics.median(loads):.2f}, max {max(loads):.2f}")
    print(f"\nCPU time per lead (µs), or per `load()` call (ms); {rounds * pairs} paired batches per row\n")
    print("| case | before min / median | after min / median | ratio of mins | median paired ratio [IQR] |")
    print("|---|---:|---:|---:|---:|")
    for job in jobs:
        case, op = job
        b, a, rat = cpu[("before", job)], cpu[("after", job)], ratios[job]
        scale, label = (1e-3, f"`load({RULES[case].name})`, ms") if op == "load" else (1.0, f"{TITLES[case]}: {LABELS[op]}")
        q1, _, q3 = statistics.quantiles(rat, n=4) if len(rat) > 1 else (rat[0], 0.0, rat[0])
        print(f"| {label} | {min(b) * scale:.2f} / {statistics.median(b) * scale:.2f} "
              f"| {min(a) * scale:.2f} / {statistics.median(a) * scale:.2f} | {min(a) / min(b):.3f} "
              f"| {statistics.median(rat):.3f} [{q1:.3f}–{q3:.3f}] |")
    if not XEDU_CSV.exists():
        print(f"\n(x-education rows not run: {XEDU_CSV} is absent)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
