"""Benchmark: how ``leadspec check --deep`` (``leadspec.analysis.analyze``) grows with the number of criteria.

What it measures
----------------
Generated rule files of 10, 100 and 1,000 criteria (``--sizes``), written
as YAML text with a seeded ``random.Random``: a realistic mix of numeric
bands (``employees >= 200``, ``50 <= seconds_on_site < 600``), enums
(``industry in [...]``), event counts in windows (``count('demo',
within='30d') >= 2``) and text functions (``contains(lower(title), 'vp')``,
``domain(email) == 'corp.example'``, ``startswith(title, 'head')``). The
fields grow with the file (one for every five criteria or so); each stage
is an ``any:`` of ``all:`` groups of three to six criteria, there are two
disqualifiers, and about a tenth of the criteria are score rules (bands
over one number, as people write them). Every file is loaded and
checked first (``leadspec.loads`` + ``leadspec.lint``).

For each file: the wall time of ``leadspec.loads()`` (the baseline: what a
plain ``check`` costs) and of ``analyze()`` (what ``--deep`` adds), their
ratio, how many questions stayed undecided and how many findings it made;
then the same for the shipped ``rules/*.yaml``. Each size runs in a child
process with a time limit (``--limit``, default 300 s): a size that does
not finish in time is reported as such and the larger ones are not run.
The 1-minute load average is printed beside every row (the machine is
shared). Nothing about speed is asserted.

    python benchmarks/bench_deep.py                      # 10, 100, 1,000 criteria and rules/*.yaml
    python benchmarks/bench_deep.py --sizes 10 100 --limit 60
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import random
import sys
import time
from pathlib import Path
from typing import Any

from _machine import cpu_name, git_state, usable_cores  # benchmarks/ is on sys.path when a script here runs

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2026-12-01"
INDUSTRIES = ["saas", "fintech", "retail", "health", "education", "media", "logistics", "energy"]
WORDS = ["vp", "head", "chief", "director", "founder", "manager", "lead", "owner"]
DOMAINS = ["corp.example", "acme.example", "globex.example", "initech.example"]
EVENTS = ["demo", "webinar", "pricing_view", "download", "email_click"]
WINDOWS = ["7d", "14d", "30d", "90d"]


def generated(criteria: int, seed: int = 7) -> str:
    """A rule file of about ``criteria`` criteria (score rules and disqualifiers included), as YAML text."""
    rng = random.Random(seed)
    numbers = max(2, criteria // 10)
    enums = max(1, criteria // 25)
    texts = max(1, criteria // 40)
    lines = ["leadspec: 1", f"name: generated-{criteria}", "fields:"]
    for i in range(numbers):
        kind = "integer" if i % 2 == 0 else "number"
        lines.append(f"  n{i}: {{type: {kind}, min: 0}}")
    for i in range(enums):
        values = rng.sample(INDUSTRIES, 5)
        lines.append(f"  e{i}: {{type: enum, values: [{', '.join(values)}]}}")
    for i in range(texts):
        lines.append(f"  title{i}: {{type: string}}")
        lines.append(f"  email{i}: {{type: string}}")
    lines.append(f"  events: {{type: events, values: [{', '.join(EVENTS)}]}}")
    enum_values = {f"e{i}": line.split("values: [")[1].rstrip("]}").split(", ") for i, line in enumerate(lines[3 + numbers : 3 + numbers + enums])}

    def criterion() -> str:
        kind = rng.choice(["band", "band", "band", "enum", "enum", "count", "count", "text"])
        if kind == "band":
            name = f"n{rng.randrange(numbers)}"
            low = rng.choice([10, 50, 100, 200, 500, 1000])
            if rng.random() < 0.5:
                return f"{name} >= {low}"
            return f"{low} <= {name} < {low * rng.choice([2, 5, 10])}"
        if kind == "enum":
            name = f"e{rng.randrange(enums)}"
            chosen = rng.sample(enum_values[name], rng.randint(1, 3))
            return f"{name} in [{', '.join(repr(v) for v in chosen)}]" if len(chosen) > 1 else f"{name} == {chosen[0]!r}"
        if kind == "count":
            return f"count({rng.choice(EVENTS)!r}, within={rng.choice(WINDOWS)!r}) >= {rng.randint(1, 3)}"
        i = rng.randrange(texts)
        return rng.choice(
            [
                f"contains(lower(title{i}), {rng.choice(WORDS)!r})",
                f"domain(email{i}) == {rng.choice(DOMAINS)!r}",
                f"startswith(title{i}, {rng.choice(WORDS)!r})",
            ]
        )

    scored = max(2, criteria // 10)
    lines += ["scores:", "  fit:", "    rules:"]
    edges = sorted(rng.sample(range(50, 5000, 50), scored - 1))
    bounds = [0] + edges + [None]
    for j, (low, high) in enumerate(zip(bounds, bounds[1:])):  # bands over one number, edge to edge
        when = f"n0 >= {low}" if high is None else f"{low} <= n0 < {high}"
        lines.append(f"      - {{id: band{j}, when: '{when}', points: {j + 1}}}")
    lines += ["disqualify:", "  - {id: tiny, when: 'n0 < 1'}", f"  - {{id: personal, when: \"domain(email0) in ['gmail.com', 'yahoo.com']\"}}"]
    lines.append("stages:")
    left = criteria - scored - 2
    stage = 0
    while left > 0:
        lines += [f"  - id: s{stage}", "    any:"]
        in_stage = min(left, rng.randint(8, 16))
        group = number = 0
        while in_stage > 0:
            size = min(in_stage, rng.randint(3, 6))
            lines += [f"      - id: g{group}", "        all:"]
            for _ in range(size):
                lines.append(f"          - c{number}: {_yaml_quote(criterion())}")
                number += 1
            group += 1
            in_stage -= size
            left -= size
        stage += 1
    return "\n".join(lines) + "\n"


def _yaml_quote(expr: str) -> str:
    return '"' + expr.replace("\\", "\\\\").replace('"', '\\"') + '"'


def measure(text: str, name: str, out: Any) -> None:
    """In a child process: load and analyse ``text``; send (criteria, load s, analyze s, undecided, findings, stages)."""
    import leadspec
    from leadspec.analysis import analyze

    warm = leadspec.loads(generated(10, seed=1), name="warm-up.yaml")  # the imports and caches a first load or proof pays once
    analyze(warm, as_of=AS_OF)
    leadspec.loads(text, name=name)
    start = time.perf_counter()
    rules = leadspec.loads(text, name=name)  # the second load of the file: the baseline without import time
    loaded = time.perf_counter() - start
    leadspec.lint(rules)
    start = time.perf_counter()
    analysis = analyze(rules, as_of=AS_OF)
    analysed = time.perf_counter() - start
    reached = sum(s.reachable is True for s in analysis.stages)
    out.send((len(rules.plan.criteria), loaded, analysed, len(analysis.undecided), len(analysis.findings), f"{reached}/{len(analysis.stages)}"))


def run(text: str, name: str, limit: float) -> tuple[Any, ...] | None:
    """The measurement of one file in a child process, or None when it takes longer than ``limit`` seconds."""
    there, here = multiprocessing.Pipe(duplex=False)
    child = multiprocessing.Process(target=measure, args=(text, name, here))
    child.start()
    if there.poll(limit):
        result = there.recv()
        child.join()
        return result
    child.kill()
    child.join()
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000], help="criteria per generated file (default 10 100 1000)")
    parser.add_argument("--limit", type=float, default=300.0, help="seconds one file may take before it is stopped (default 300)")
    args = parser.parse_args(argv)
    state = git_state(str(ROOT), "src")
    commit = "unknown" if state is None else state[0] + (" (src/ has uncommitted changes)" if state[1] else "")

    rows: list[str] = []
    previous: tuple[int, float] | None = None
    stopped = False
    files = [(f"generated, {n:,} criteria written", generated(n), f"generated-{n}.yaml") for n in sorted(args.sizes)]
    files += [(f"`{p.relative_to(ROOT)}`", p.read_text(encoding="utf-8"), str(p)) for p in sorted((ROOT / "rules").glob("*.yaml")) if not p.name.endswith(".test.yaml")]
    for title, text, name in files:
        generated_file = title.startswith("generated")
        if stopped and generated_file:
            rows.append(f"| {title} | | | | | | | | not run: the smaller size took longer than {args.limit:.0f} s |")
            continue
        load = os.getloadavg()[0]
        print(f"{title} ...", file=sys.stderr, flush=True)
        got = run(text, name, args.limit)
        if got is None:
            rows.append(f"| {title} | | | > {args.limit:.0f} | | | | | stopped after {args.limit:.0f} s; load average {load:.2f} |")
            stopped = stopped or generated_file
            continue
        criteria, loaded, analysed, undecided, findings, reached = got
        growth = ""
        if generated_file and previous is not None:
            growth = f"{analysed / previous[1]:.1f}× for {criteria / previous[0]:.0f}× the criteria;"
        if generated_file:
            previous = (criteria, analysed)
        rows.append(
            f"| {title} | {criteria:,} | {loaded * 1000:,.0f} | {analysed:,.2f} | {analysed / loaded:,.0f}× | {analysed / criteria * 1000:,.0f} | {reached} | {undecided} / {findings} | {growth} load average {load:.2f} |"
        )

    print("# check --deep: analyze() against load(), as the rule file grows")
    print()
    print("| rule file | criteria in the plan | load ms | analyze s | analyze / load | analyze ms per criterion | stages reached | undecided / findings | growth, load average (1 min) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for row in rows:
        print(row)
    print()
    print("criteria in the plan: score rules, disqualifiers and groups with an id included; load: the second leadspec.loads() of the text in a warm process")
    print(f"as of {AS_OF}, default --timeout (5 s per question); Python {platform.python_version()}, {cpu_name()}, {usable_cores()} usable cores, leadspec at {commit}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
