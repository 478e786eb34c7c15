"""`leadspec init`: a starter rule file, its test file and a pre-commit configuration that work as written.

Every starter is proven by running `leadspec check --strict` and
`leadspec test` on it (and `leadspec qualify` on the export it came from):
without an export, from the real Maven CRM and X Education exports when
present, from JSON Lines, and from a header with awkward names.
"""

from __future__ import annotations

import io
import os
import re
import stat
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, SHARED_DATA, cli
from leadspec.cli.init import PRE_COMMIT_CONFIG, Column, field_id, guess

MAVEN = SHARED_DATA / "maven-crm" / "sales_pipeline.csv"
X_EDUCATION = SHARED_DATA / "x-education-leads.csv"
ID = re.compile(r"^[a-z][a-z0-9_]*$")


def written(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def assert_works(folder: Path, name: str, export: Path | None = None) -> dict:
    """The starter in ``folder`` passes check --strict and test; qualify reads ``export`` with it, rejecting nothing. Returns the rule file as data."""
    rules = folder / "rules"
    code, out, err = cli("check", "--strict", rules)
    assert (code, out) == (0, ""), out
    assert re.fullmatch(r"2 files checked: 0 errors, 0 warnings( \(\d+ more allowed by `allow:` entries\))?\n", err), err
    code, out, _ = cli("test", rules)
    assert code == 0 and re.search(r"^[1-9]\d* passed, 0 failed$", out, re.MULTILINE), out
    if export is not None:
        code, _, err = cli("qualify", rules / f"{name}.yaml", export, "-o", folder / "out.csv")
        assert code == 0 and " 0 rejected" in err, err
    data: dict = yaml.safe_load((rules / f"{name}.yaml").read_text(encoding="utf-8"))
    return data


def test_init_without_flags_writes_a_working_starter_and_never_prompts(tmp_path: Path) -> None:
    code, out, err = cli("init", "--dir", tmp_path, stdin="acme\nmore answers\n")  # not a terminal: no question
    assert code == 0 and out == ""
    assert "?" not in err and "Name of the rules" not in err
    assert written(tmp_path) == [".pre-commit-config.yaml", "rules/leads.test.yaml", "rules/leads.yaml"]  # nothing else: no temporary file left
    data = assert_works(tmp_path, "leads")
    assert data["name"] == "leads" and data["fields"]["employees"] == {"type": "integer", "source": "NumberOfEmployees"}


def test_init_refuses_to_overwrite_and_names_the_files_unless_forced(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "acme.yaml").write_text("mine\n", encoding="utf-8")
    code, out, err = cli("init", "--name", "acme", "--dir", tmp_path)
    assert code == 2
    assert err == f"{tmp_path / 'rules' / 'acme.yaml'} exists: not overwritten (--force overwrites it)\nnothing written\n"
    assert written(tmp_path) == ["rules/acme.yaml"] and (tmp_path / "rules" / "acme.yaml").read_text(encoding="utf-8") == "mine\n"
    code, _, _ = cli("init", "--name", "acme", "--dir", tmp_path, "--force")
    assert code == 0
    assert_works(tmp_path, "acme")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_init_asks_for_what_is_missing_only_on_a_terminal(tmp_path: Path) -> None:
    code, _, err = cli("init", "--dir", tmp_path, stdin=_Terminal("\nAcme Corp\n"))  # no export; the name
    assert code == 0
    assert "A sample export to take the columns from" in err and "Name of the rules [leads]: " in err
    assert_works(tmp_path, "acme-corp")


def test_the_pre_commit_config_is_the_one_the_docs_document(tmp_path: Path) -> None:
    page = (ROOT / "docs" / "keeping-rules-in-git.md").read_text(encoding="utf-8")
    blocks = dict(re.findall(r'^```\w+ title="([^"]+)"\n(.*?)^```', page, re.MULTILINE | re.DOTALL))
    documented = yaml.safe_load(blocks[".pre-commit-config.yaml"])
    assert yaml.safe_load(PRE_COMMIT_CONFIG) == documented
    cli("init", "--dir", tmp_path)
    assert yaml.safe_load((tmp_path / ".pre-commit-config.yaml").read_text(encoding="utf-8")) == documented


def test_the_comments_teach_and_name_the_docs_pages_by_title(tmp_path: Path) -> None:
    cli("init", "--dir", tmp_path)
    rules = (tmp_path / "rules" / "leads.yaml").read_text(encoding="utf-8")
    tests = (tmp_path / "rules" / "leads.test.yaml").read_text(encoding="utf-8")
    config = (tmp_path / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    assert '"Rule files"' in rules and '"Expressions"' in rules and '"Rule test files"' in tests and '"Keeping rules in git"' in config
    for text in (rules, tests, config):
        assert ".md" not in text and "docs/" not in text
        comments = [line for line in text.splitlines() if line.lstrip().startswith("#")]
        assert len(comments) >= 4


@pytest.mark.skipif(not MAVEN.exists(), reason="the Maven CRM export is not here (see examples/README.md for its public source)")
def test_init_from_the_maven_crm_export(tmp_path: Path) -> None:
    code, _, _ = cli("init", "--from", MAVEN, "--dir", tmp_path)
    assert code == 0
    fields = assert_works(tmp_path, "sales-pipeline", MAVEN)["fields"]
    assert fields["opportunity_id"] == {"type": "string", "role": "id"}
    assert fields["deal_stage"]["type"] == "enum"
    assert sorted(fields["deal_stage"]["values"]) == ["Engaging", "Lost", "Prospecting", "Won"]  # Prospecting first appears on line 8,302
    assert fields["engage_date"] == {"type": "date", "format": "%m/%d/%Y"}
    assert fields["close_value"] == {"type": "integer"}
    assert fields["sales_agent"] == {"type": "string"}


@pytest.mark.skipif(not X_EDUCATION.exists(), reason="the X Education export is not here (Kaggle's Leads Dataset; see examples/README.md)")
def test_init_from_the_x_education_export(tmp_path: Path) -> None:
    code, _, _ = cli("init", "--from", X_EDUCATION, "--name", "x-education", "--dir", tmp_path)
    assert code == 0
    fields = assert_works(tmp_path, "x-education", X_EDUCATION)["fields"]
    assert fields["prospect_id"]["role"] == "id"
    assert fields["do_not_email"] == {"type": "boolean", "source": "Do Not Email"}
    assert fields["total_time_spent_on_website"] == {"type": "integer", "source": "Total Time Spent on Website"}
    assert fields["page_views_per_visit"] == {"type": "number", "source": "Page Views Per Visit"}


def test_init_from_a_header_with_awkward_names(tmp_path: Path) -> None:
    export = tmp_path / "awk.csv"
    export.write_text(
        "Lead Source,account.name,Name,Name,Größe,客户,,class,2024 Revenue,yes,Zip,Stage\n"
        "web,Acme,a,b,10,x,,A,1.5,yes,02139,Won\n"
        "ads,Beta,c,d,20,y,,B,2.5,no,10001,Lost\n"
        "web,Gamma,e,f,30,z,,A,3,yes,94105,Won\n"
        "web,Delta,g,h,40,w,,A,4,no,94107,Lost\n",
        encoding="utf-8",
    )
    code, _, _ = cli("init", "--from", export, "--dir", tmp_path / "out")
    assert code == 0
    data = assert_works(tmp_path / "out", "awk", export)
    fields = data["fields"]
    assert all(ID.match(name) for name in fields), list(fields)
    sources = {name: spec.get("source", name) for name, spec in fields.items()}
    assert sources == {
        "lead_source": "Lead Source",
        "account_name": "account.name",
        "grosse": "Größe",
        "column_6": "客户",
        "class_": "class",
        "c_2024_revenue": "2024 Revenue",
        "yes_": "yes",
        "zip": "Zip",
        "stage": "Stage",
    }
    assert [fields[n]["type"] for n in ("grosse", "c_2024_revenue", "yes_", "zip", "stage")] == ["integer", "number", "boolean", "string", "enum"]
    text = (tmp_path / "out" / "rules" / "awk.yaml").read_text(encoding="utf-8")
    assert "# the header 'Name' is in columns 3, 4: rename them in the export to read them (not declared)" in text
    assert "# column 7 has no header: a field cannot name it as its source, so it is not declared" in text


def test_init_from_json_lines_opens_nested_objects(tmp_path: Path) -> None:
    export = tmp_path / "s.jsonl"
    export.write_text(
        '{"id": "a1", "account": {"sector": "software", "employees": 120}, "won": true, "tags": ["x"]}\n'
        '{"id": "a2", "account": {"sector": "retail", "employees": 30}, "won": false, "tags": []}\n'
        '{"id": "a3", "account": {"sector": "software", "employees": 500}, "won": null}\n',
        encoding="utf-8",
    )
    code, _, _ = cli("init", "--from", export, "--dir", tmp_path)
    assert code == 0
    fields = assert_works(tmp_path, "s", export)["fields"]
    assert fields == {
        "id": {"type": "string", "role": "id"},
        "account_sector": {"type": "string", "source": "account.sector"},
        "account_employees": {"type": "integer", "source": "account.employees"},
        "won": {"type": "boolean"},
        "tags": {"type": "list"},
    }


def test_init_from_a_semicolon_separated_export_says_how_to_qualify_it(tmp_path: Path) -> None:
    export = tmp_path / "semi.csv"
    export.write_text("Employees;Country\n12;FR\n250;DE\n", encoding="utf-8")
    code, _, err = cli("init", "--from", export, "--dir", tmp_path)
    assert code == 0
    rules = tmp_path / "rules" / "semi.yaml"
    assert err.splitlines()[-1] == f"then: leadspec qualify {rules} {export} -o qualified.csv --delimiter ';'  ({export} is ';'-separated)"
    assert assert_works(tmp_path, "semi")["fields"] == {"employees": {"type": "integer", "source": "Employees"}, "country": {"type": "string", "source": "Country"}}
    assert "# the export is separated by ';': qualify it with --delimiter ';'\n" in (tmp_path / "rules" / "semi.yaml").read_text(encoding="utf-8")
    code, _, err = cli("qualify", tmp_path / "rules" / "semi.yaml", export, "--delimiter", ";", "-o", tmp_path / "out.csv")
    assert code == 0 and " 0 rejected" in err


def test_init_from_an_export_it_cannot_read(tmp_path: Path) -> None:
    code, _, err = cli("init", "--from", tmp_path / "nope.csv", "--dir", tmp_path)
    assert code == 2 and err.startswith(f"{tmp_path / 'nope.csv'}: cannot read: ")
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    code, _, err = cli("init", "--from", tmp_path / "empty.csv", "--dir", tmp_path)
    assert code == 2 and err == f"{tmp_path / 'empty.csv'}: cannot take the columns from it: the file is empty: no header line\n"
    assert written(tmp_path) == ["empty.csv"]


GUESSES = [
    # (values, type, format, enum values)
    (["12", "250", "", "-3"], "integer", None, []),
    (["02139", "10001"], "string", None, []),  # leading zeros: a code, not a number
    (["1.5", "2", "3e2"], "number", None, []),
    (["yes", "No", "YES", ""], "boolean", None, []),
    (["2026-01-02", "2025-12-31"], "date", None, []),
    (["2026-01-02T10:00:00Z", "2026-01-02 10:00"], "datetime", None, []),
    (["10/20/2016", "3/1/2017"], "date", "%m/%d/%Y", []),
    (["20/10/2016", "3/1/2017"], "date", "%d/%m/%Y", []),
    (["20.10.2016", "03.01.2017"], "date", "%d.%m.%Y", []),
    (["10/20/2016 14:05", "3/1/2017 09:00"], "datetime", "%m/%d/%Y %H:%M", []),
    (["Won", "Lost", "won", "Won", "Lost", "Engaging", "Won"], "enum", None, ["Won", "Lost", "Engaging"]),
    (["Acme", "Beta", "Gamma"], "string", None, []),  # each seen once: not an enum
    (['["a", "b"]', "[]"], "list", None, []),
    (["", "  "], "string", None, []),
]


@pytest.mark.parametrize("values, type_, format_, choices", GUESSES, ids=[f"{g[1]}-{i}" for i, g in enumerate(GUESSES)])
def test_a_column_type_is_guessed_from_its_values(values: list[str], type_: str, format_: str | None, choices: list[str]) -> None:
    column = Column("h", "h", values)
    guess(column)
    assert (column.type, column.format, column.choices) == (type_, format_, choices)


@pytest.mark.parametrize(
    "header, expected",
    [
        ("NumberOfEmployees", "number_of_employees"),
        ("Lead Source", "lead_source"),
        ("account.name", "account_name"),
        ("Größe", "grosse"),
        ("Société", "societe"),
        ("客户", "column_3"),
        ("", "column_3"),
        ("2024 Revenue", "c_2024_revenue"),
        ("import", "import_"),
        ("No", "no_"),
        ("__x__", "x"),
    ],
)
def test_a_field_id_is_made_from_a_header(header: str, expected: str) -> None:
    assert field_id(header, 3, set()) == expected


def test_field_ids_stay_unique() -> None:
    taken: set[str] = set()
    assert [field_id(h, i, taken) for i, h in enumerate(["Lead Source", "lead_source", "LEAD-SOURCE"], 1)] == ["lead_source", "lead_source_2", "lead_source_3"]


def test_init_is_listed_in_the_help() -> None:
    code, out, _ = cli("--help")
    assert code == 0 and "init" in out
    code, out, _ = cli("init", "--help")
    assert code == 0 and out.startswith("Usage: leadspec init [OPTIONS]")


def test_a_second_key_is_kept_for_reports_and_a_threshold_is_on_a_real_quantity(tmp_path: Path) -> None:
    # the shipped sample: Prospect ID and Lead Number are both unique keys; Converted is 0/1
    code, _, _ = cli("init", "--from", ROOT / "examples" / "x-education-sample.csv", "--name", "x", "--dir", tmp_path)
    assert code == 0
    rules = assert_works(tmp_path, "x", ROOT / "examples" / "x-education-sample.csv")
    assert rules["fields"]["prospect_id"]["role"] == "id"
    assert rules["fields"]["lead_number"]["role"] == "output"
    assert rules["stages"][0]["all"][0]["when"] == "total_visits >= 4"  # not a lead number, not the 0/1 outcome


def test_the_files_get_the_mode_a_new_file_gets(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        code, _, err = cli("init", "--name", "acme", "--dir", tmp_path)
    finally:
        os.umask(old)
    assert code == 0, err
    modes = {p: stat.S_IMODE(os.stat(tmp_path / p).st_mode) for p in ("rules/acme.yaml", "rules/acme.test.yaml", ".pre-commit-config.yaml")}
    assert modes == dict.fromkeys(modes, 0o644)  # was 0o600: a teammate or a CI user could not read them
