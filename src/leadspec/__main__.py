"""``python -m leadspec RULES INPUT.csv [-o OUT.csv]``: qualify the leads of a CSV export.

Writes every input column plus ``stage`` and ``reasons`` (a one-line
explanation) and prints a summary (rows read, rows written, leads per
stage) to stderr. The ``leadspec`` command line will replace this.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter

from collections.abc import Iterable, Iterator

from . import Result, Ruleset, RulesError, load
from .ruleset import _as_of


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m leadspec", description="Qualify the leads of a CSV export.")
    parser.add_argument("rules", help="rule file (YAML)")
    parser.add_argument("input", help="CSV export, one lead a row")
    parser.add_argument("-o", "--output", help="CSV file to write (default: standard output)")
    parser.add_argument("--as-of", help="evaluate as of this ISO 8601 moment (default: now)")
    args = parser.parse_args(argv)
    try:
        rules = load(args.rules)
    except RulesError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        source = open(args.input, newline="", encoding="utf-8-sig")
    except OSError as exc:
        print(f"{args.input}: cannot read: {exc.strerror}", file=sys.stderr)
        return 2
    out = open(args.output, "w", newline="", encoding="utf-8") if args.output else sys.stdout
    stages: Counter[str] = Counter()
    read = 0
    try:
        reader = csv.DictReader(source)
        writer = csv.DictWriter(out, fieldnames=[*(reader.fieldnames or []), "stage", "reasons"])
        writer.writeheader()
        for row, result in _evaluated(rules, reader, args.as_of):
            read += 1
            stages[result.stage] += 1
            writer.writerow({**row, "stage": result.stage, "reasons": result.summary()})
    except (csv.Error, ValueError) as exc:
        print(f"{args.input}: line {reader.line_num}: {exc}", file=sys.stderr)
        return 2
    finally:
        source.close()
        if out is not sys.stdout:
            out.close()
    per_stage = ", ".join(f"{stage} {stages[stage]}" for stage in rules.stage_ids if stages[stage])
    print(f"{read} rows read, {read} written ({per_stage})", file=sys.stderr)
    return 0


def _evaluated(rules: Ruleset, rows: Iterable[dict[str, str]], as_of: str | None) -> Iterator[tuple[dict[str, str], Result]]:
    moment = _as_of(as_of)
    for row in rows:
        yield row, rules.evaluate(row, as_of=moment)


if __name__ == "__main__":
    sys.exit(main())
