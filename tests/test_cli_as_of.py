"""An ``--as-of`` the rules cannot use stops the command before any lead is read (issue 8).

Rules with windows refuse a moment so early that a window would start
before the year 1 (``evaluate`` and ``stage`` raise ValueError alike). The
commands say so once, with exit 2, instead of rejecting every row of the
input or ending in a traceback.
"""

from __future__ import annotations

from pathlib import Path

from conftest import ROOT, cli

RULES = str(ROOT / "rules" / "b2b-saas.yaml")  # windows of up to 90 days
SAMPLE = str(ROOT / "examples" / "x-education-sample.csv")
TOO_EARLY = "0001-01-02"


def test_qualify_refuses_an_as_of_before_the_windows_reach_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    code, _, err = cli("qualify", RULES, SAMPLE, "--allow-missing-columns", "--as-of", TOO_EARLY, "-o", str(out))
    assert code == 2
    assert err.startswith("--as-of: as_of 0001-01-02T00:00:00+00:00 is too early for these rules")
    assert "rejected" not in err
    assert not out.exists()


def test_explain_refuses_it_without_a_traceback() -> None:
    code, out, err = cli("explain", RULES, "-", "--as-of", TOO_EARLY, stdin="{}")
    assert (code, out) == (2, "")
    assert "the earliest as_of they take is 0001-04-01" in err


def test_diff_with_leads_refuses_it() -> None:
    code, _, err = cli("diff", RULES, RULES, "--leads", SAMPLE, "--as-of", TOO_EARLY)
    assert code == 2 and err.startswith("--as-of: ")


def test_an_as_of_at_the_earliest_moment_is_used() -> None:
    code, out, err = cli("explain", RULES, "-", "--as-of", "0001-04-01", stdin="{}")
    assert code == 0, err
    assert out.startswith("Lead")
