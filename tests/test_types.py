"""The package type-checks with ``mypy --strict`` (the test extra installs mypy)."""

from __future__ import annotations

from mypy import api

from conftest import ROOT


def test_the_package_passes_mypy_strict() -> None:
    out, err, status = api.run(["--strict", "--cache-dir", str(ROOT / ".mypy_cache"), str(ROOT / "src" / "leadspec")])
    assert status == 0, out + err
