"""leadspec diff and flags: a flag added, removed or changed is an edit in a sentence, and with leads the
impact counts the leads each flag raises and lowers, beside the stage moves (text, markdown, JSON, model)."""

from __future__ import annotations

import re

import csv
import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import leadspec
from conftest import SHARED_DATA, cli

EXAMPLES = 2000 if os.environ.get("LEADSPEC_FUZZ") else 40

BASE = """\
leadspec: 1
name: maven
version: '1'
fields:
  opportunity_id: {type: string, role: id}
  deal_stage: {type: enum, values: [Prospecting, Engaging, Won, Lost]}
  employees:  {type: integer}
  sector:     {type: string}
flags:
  customer: deal_stage == 'Won'
  competitor:
    when: sector == 'competitor'
    because: "{sector} sells what we sell"
  needs_enrichment: {when: not has(employees), missing: pass}
stages:
  - id: icp
    when: 100 <= employees <= 5000 and not customer
"""


def changed(*replacements: tuple[str, str]) -> str:
    text = BASE
    for a, b in replacements:
        assert a in text, a
        text = text.replace(a, b)
    return text


def sentences(old: str, new: str) -> list[str]:
    return [e.sentence for e in leadspec.diff(leadspec.loads(old), leadspec.loads(new)).edits]


@pytest.mark.parametrize(
    ("replacements", "expected"),
    [
        # the value compared, read from the expression tree as for criteria
        ([("customer: deal_stage == 'Won'", "customer: deal_stage == 'Lost'")], ["flag customer: deal_stage value Won → Lost"]),
        ([("customer: deal_stage == 'Won'", "customer: deal_stage in ['Won', 'Engaging']")], ["flag customer: condition deal_stage equal to 'Won' → deal_stage one of ('Won', 'Engaging')"]),
        # because and missing
        (
            [('because: "{sector} sells what we sell"', 'because: "{sector} competes with us"')],
            ["flag competitor: explanation '{sector} sells what we sell' → '{sector} competes with us'"],
        ),
        ([("missing: pass}", "missing: fail}")], ["flag needs_enrichment: a missing value now counts as fail (was pass)"]),
        ([("customer: deal_stage == 'Won'", "customer: {when: deal_stage == 'Won', missing: fail}")], ["flag customer: a missing value now counts as fail (was unknown)"]),
        # added, removed, renamed (one removed, one added)
        ([("  customer: deal_stage == 'Won'\n", "  customer: deal_stage == 'Won'\n  partner: sector == 'partner'\n")], ["flag partner added: sector equal to 'partner'"]),
        ([("  needs_enrichment: {when: not has(employees), missing: pass}\n", "")], ["flag needs_enrichment removed (was employees missing)"]),
        (
            [("  customer: deal_stage == 'Won'\n", "  won: deal_stage == 'Won'\n"), ("and not customer", "and not won")],
            [
                "flag customer removed (was deal_stage equal to 'Won')",
                "flag won added: deal_stage equal to 'Won'",
                "icp.when: condition employees from 100 to 5,000 and flag customer false → employees from 100 to 5,000 and flag won false",
            ],
        ),
        # no change: the shorthand and its mapping, the order of the flags
        ([("customer: deal_stage == 'Won'", "customer: {when: deal_stage == 'Won'}")], []),
        (
            [("  customer: deal_stage == 'Won'\n", ""), ("  needs_enrichment: {when: not has(employees), missing: pass}\n", "  needs_enrichment: {when: not has(employees), missing: pass}\n  customer: deal_stage == 'Won'\n")],
            [],
        ),
    ],
)
def test_a_flag_edit_is_a_sentence(replacements: list[tuple[str, str]], expected: list[str]) -> None:
    assert sentences(BASE, changed(*replacements)) == expected


def test_flag_edits_are_in_the_model_and_the_json() -> None:
    new = changed(("customer: deal_stage == 'Won'", "customer: deal_stage == 'Lost'"), ("  needs_enrichment: {when: not has(employees), missing: pass}\n", ""))
    result = leadspec.diff(leadspec.loads(BASE), leadspec.loads(new))
    assert [(e.kind, e.area, e.id, e.what) for e in result.edits] == [("removed", "flag", "needs_enrichment", ""), ("changed", "flag", "customer", "when")]
    assert result.edits[1].old == "deal_stage == 'Won'" and result.edits[1].new == "deal_stage == 'Lost'"
    assert [e["sentence"] for e in result.to_dict()["edits"]] == ["flag needs_enrichment removed (was employees missing)", "flag customer: deal_stage value Won → Lost"]


LEADS: list[dict[str, Any]] = [
    {"opportunity_id": "OPP-1", "deal_stage": "Won", "employees": "200", "sector": "retail"},  # customer in both
    {"opportunity_id": "OPP-2", "deal_stage": "Engaging", "employees": "200", "sector": "retail"},  # customer in the new rules only
    {"opportunity_id": "OPP-3", "deal_stage": "Lost", "employees": "20", "sector": "competitor"},  # competitor in the old rules only
    {"opportunity_id": "OPP-4", "deal_stage": "Prospecting"},  # no employees: needs enrichment; competitor unknown -> false in the new
    {"opportunity_id": "OPP-5", "deal_stage": "Won", "employees": "300", "sector": "partner"},  # customer in both
]

NEW = changed(
    ("customer: deal_stage == 'Won'", "customer: deal_stage in ['Won', 'Engaging']"),
    ("when: sector == 'competitor'", "when: sector == 'rival'\n    missing: fail"),
)


def test_the_impact_counts_the_leads_each_flag_raises_and_lowers() -> None:
    result = leadspec.diff(leadspec.loads(BASE), leadspec.loads(NEW), LEADS, as_of="2026-11-01")
    impact = {f.flag: (f.before, f.after, f.flagged, f.unflagged, f.changed) for f in result.flags}
    assert impact == {
        "customer": (2, 3, 1, 0, 1),  # OPP-2 becomes a customer
        "competitor": (1, 0, 0, 1, 2),  # OPP-3 unflagged; OPP-4 unknown -> false (missing: fail)
        "needs_enrichment": (1, 1, 0, 0, 0),
    }
    assert result.reflagged == 3  # OPP-2, OPP-3, OPP-4
    assert result.moved == 1  # OPP-2 leaves the ICP (a customer is not in it)
    samples = {f.flag: [(s.lead, s.flipped) for s in f.samples] for f in result.flags}
    assert samples == {
        "customer": [("OPP-2", (("flags.customer", "fail", "pass"),))],
        "competitor": [("OPP-3", (("flags.competitor", "pass", "fail"),)), ("OPP-4", (("flags.competitor", "unknown", "fail"),))],
        "needs_enrichment": [],
    }


def test_the_impact_in_text_markdown_and_json() -> None:
    result = leadspec.diff(leadspec.loads(BASE), leadspec.loads(NEW), LEADS, as_of="2026-11-01")
    text = result.to_text()
    assert re.match(r"3 changes from maven 1 \([0-9a-f]{12}\) to maven 1 \([0-9a-f]{12}; bump `version:` to tell them apart\); 1 of 5 leads change stage, 3 change flags\n", text)
    assert text.endswith(
        "Flags (leads flagged before → after):\n"
        "  customer: 2 → 3 flagged (+1): 1 lead becomes flagged\n"
        "      OPP-2: flags.customer fail → pass\n"
        "  competitor: 1 → 0 flagged (-1): 1 unflagged, 1 between false and unknown\n"
        "      OPP-3: flags.competitor pass → fail\n"
        "      OPP-4: flags.competitor unknown → fail\n"
        "  needs_enrichment: 1 → 1 flagged (+0): no lead changes\n"
    )
    markdown = result.to_markdown()
    assert (
        "| flag | flagged before | after | change | become flagged | unflagged |\n"
        "|---|---:|---:|---:|---:|---:|\n"
        "| customer | 2 | 3 | +1 | 1 | 0 |\n"
        "| competitor | 1 | 0 | -1 | 0 | 1 |\n"
        "| needs\\_enrichment | 1 | 1 | +0 | 0 | 0 |\n"
    ) in markdown
    assert "Sample leads whose flags change:\n\n- customer: OPP-2 (`flags.customer` fail → pass)\n" in markdown
    data = json.loads(json.dumps(result.to_dict()))
    assert data["reflagged"] == 3
    assert data["flags"][0] == {
        "flag": "customer",
        "before": 2,
        "after": 3,
        "flagged": 1,
        "unflagged": 0,
        "changed": 1,
        "samples": [{"lead": "OPP-2", "flipped": [["flags.customer", "fail", "pass"]]}],
    }


def test_a_flag_in_one_version_only_changes_the_leads_it_flags(tmp_path: Path) -> None:
    without = changed(("flags:\n", "flags:\n  customer_old: deal_stage == 'Lost'\n"), ("  customer: deal_stage == 'Won'\n", ""), ("and not customer", ""))
    result = leadspec.diff(leadspec.loads(without), leadspec.loads(BASE), LEADS, as_of="2026-11-01")
    impact = {f.flag: (f.before, f.after, f.flagged, f.unflagged, f.changed) for f in result.flags}
    assert impact["customer"] == (0, 2, 2, 0, 2)  # added: OPP-1 and OPP-5 become flagged; the others are not flagged before or after
    assert impact["customer_old"] == (1, 0, 0, 1, 1)  # removed: OPP-3 was flagged
    assert [f.flag for f in result.flags][:2] == ["customer", "competitor"]  # the new rules' order, then flags only the old rules have
    customer = next(f for f in result.flags if f.flag == "customer")
    assert [s.flipped for s in customer.samples] == [(("flags.customer", "new", "pass"),), (("flags.customer", "new", "pass"),)]
    # the command line: the same numbers
    old_path, new_path, leads_path = tmp_path / "old.yaml", tmp_path / "new.yaml", tmp_path / "leads.csv"
    old_path.write_text(without)
    new_path.write_text(BASE)
    with leads_path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["opportunity_id", "deal_stage", "employees", "sector"])
        writer.writeheader()
        writer.writerows(LEADS)
    code, out, err = cli("diff", old_path, new_path, "--leads", leads_path, "--as-of", "2026-11-01", "--format", "json")
    assert (code, err) == (0, "")
    flags = {f["flag"]: (f["before"], f["after"], f["flagged"], f["unflagged"]) for f in json.loads(out)["flags"]}
    assert flags["customer"] == (0, 2, 2, 0) and flags["customer_old"] == (1, 0, 0, 1)
    code, out, err = cli("diff", old_path, new_path, "--leads", leads_path, "--as-of", "2026-11-01")
    assert "  customer: 0 → 2 flagged (+2): 2 leads become flagged\n      OPP-1: flags.customer new → pass\n" in out


def test_rules_without_flags_say_nothing_of_flags() -> None:
    plain = changed(("flags:\n", ""), ("  customer: deal_stage == 'Won'\n", ""), ("  competitor:\n    when: sector == 'competitor'\n    because: \"{sector} sells what we sell\"\n", ""),
                    ("  needs_enrichment: {when: not has(employees), missing: pass}\n", ""), ("and not customer", ""))
    result = leadspec.diff(leadspec.loads(plain), leadspec.loads(plain.replace("100 <=", "250 <=")), LEADS, as_of="2026-11-01")
    assert result.flags == () and result.reflagged == 0
    assert re.fullmatch(r"1 change from maven 1 \([0-9a-f]{12}\) to maven 1 \([0-9a-f]{12}; bump `version:` to tell them apart\); 2 of 5 leads change stage", result.summary())
    assert "Flags" not in result.to_text() and "flag" not in result.to_markdown()
    assert result.to_dict()["flags"] == [] and result.to_dict()["reflagged"] == 0


def _lead() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"opportunity_id": st.text("abc", min_size=1, max_size=3)},
        optional={
            "deal_stage": st.sampled_from(["Prospecting", "Engaging", "Won", "Lost", ""]),
            "employees": st.sampled_from(["", "20", "200", "20000", "many"]),
            "sector": st.sampled_from(["", "competitor", "rival", "partner"]),
        },
    )


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.lists(_lead(), max_size=12))
def test_impact_law_counts_agree_with_each_rulesets_own_flags(leads: list[dict[str, Any]]) -> None:
    """For any leads: before/after are the leads each version flags, flagged/unflagged the leads that cross."""
    old, new = leadspec.loads(BASE), leadspec.loads(NEW)
    result = leadspec.diff(old, new, leads, as_of="2026-11-01")
    was = [old.evaluate(lead, as_of="2026-11-01").flags for lead in leads]
    now = [new.evaluate(lead, as_of="2026-11-01").flags for lead in leads]
    for impact in result.flags:
        f = impact.flag
        assert impact.before == sum(w[f] is True for w in was)
        assert impact.after == sum(n[f] is True for n in now)
        assert impact.flagged == sum(w[f] is not True and n[f] is True for w, n in zip(was, now))
        assert impact.unflagged == sum(w[f] is True and n[f] is not True for w, n in zip(was, now))
        assert impact.changed == sum(w[f] is not n[f] for w, n in zip(was, now))
        assert len(impact.samples) == min(3, impact.changed)
    assert result.reflagged == sum(w != n for w, n in zip(was, now))


MAVEN = SHARED_DATA / "maven-crm" / "sales_pipeline.csv"


@pytest.mark.skipif(not MAVEN.exists(), reason="the Maven CRM export (Maven Analytics' CRM Sales Opportunities) is not in ../shared/data/maven-crm")
def test_adding_a_customer_flag_to_the_maven_crm_rules_flags_every_won_opportunity() -> None:
    old = leadspec.loads("""
leadspec: 1
name: maven
fields:
  opportunity_id: {type: string, role: id}
  deal_stage: {type: enum, values: [Prospecting, Engaging, Won, Lost]}
  close_value: {type: number}
stages:
  - id: open
    when: deal_stage in ['Prospecting', 'Engaging']
""")
    new = leadspec.loads("""
leadspec: 1
name: maven
fields:
  opportunity_id: {type: string, role: id}
  deal_stage: {type: enum, values: [Prospecting, Engaging, Won, Lost]}
  close_value: {type: number}
flags:
  customer: deal_stage == 'Won'
stages:
  - id: open
    when: deal_stage in ['Prospecting', 'Engaging']
""")
    with MAVEN.open(newline="") as f:
        rows = list(csv.DictReader(f))
    won = Counter(row["deal_stage"] for row in rows)["Won"]
    result = leadspec.diff(old, new, rows, as_of="2026-11-01")
    (customer,) = result.flags
    assert (customer.flag, customer.before, customer.after, customer.flagged, customer.unflagged) == ("customer", 0, won, won, 0)
    assert result.moved == 0 and result.reflagged == won
    assert f"  customer: 0 → {won:,} flagged (+{won:,}): {won:,} leads become flagged\n" in result.to_text()
