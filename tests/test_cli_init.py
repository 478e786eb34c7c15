"""`leadspec init`: a starter rule file, its test file and a pre-commit configuration that work as written.

Every starter is proven by running `leadspec check --strict` and
`leadspec test` on it (and `leadspec qualify` on the export it came from):
without an export, from the real Maven CRM and X Education exports when
present, from JSON Lines, and from a header with awkward names.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shlex
import stat
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, SHARED_DATA, cli
from leadspec.cli.init import HOOKS, MAX_FIELDS, PRE_COMMIT_CONFIG, Column, _expression, _q, field_id, guess

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


def run_then(err: str, folder: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Run the `then:` command init printed, as a shell would split it, in ``folder``; it must qualify every row. Returns its words."""
    line = next(line for line in err.splitlines() if line.startswith("then: "))
    words = shlex.split(line[len("then: ") :])
    assert words[:2] == ["leadspec", "qualify"] and words[4:6] == ["-o", "qualified.csv"], words
    monkeypatch.chdir(folder)
    code, _, out = cli(*words[1:])
    assert code == 0 and " 0 rejected" in out, out
    assert (folder / "qualified.csv").exists()
    return words


def test_init_from_a_semicolon_separated_export_says_how_to_qualify_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    export = tmp_path / "semi.csv"
    export.write_text("Employees;Country\n12;FR\n250;DE\n", encoding="utf-8")
    code, _, err = cli("init", "--from", export, "--dir", tmp_path)
    assert code == 0
    rules = tmp_path / "rules" / "semi.yaml"
    assert err.splitlines()[-2:] == [
        f"then: leadspec qualify {rules} {export} -o qualified.csv --delimiter ';'",
        "  --delimiter ';': semi.csv is separated by ';'",
    ]
    assert assert_works(tmp_path, "semi")["fields"] == {"employees": {"type": "integer", "source": "Employees"}, "country": {"type": "string", "source": "Country"}}
    text = rules.read_text(encoding="utf-8")
    assert "  # qualify it with --delimiter ';': semi.csv is separated by ';'\n" in text
    assert "# `leadspec qualify rules/semi.yaml semi.csv -o qualified.csv --delimiter ';'`.\n" in text
    run_then(err, tmp_path, monkeypatch)


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
    (["١٢٣", "٤٥"], "string", None, []),  # Arabic-Indic digits: leadspec reads 0-9 only
    (["１２", "３４"], "string", None, []),  # fullwidth digits
    (["1.5", "٢.٥"], "string", None, []),
    (["٢٠٢٦-٠١-٠٢", "٢٠٢٥-١٢-٣١"], "string", None, []),
    (["١٠/٢٠/٢٠١٦", "٣/١/٢٠١٧"], "string", None, []),  # strptime reads them, leadspec's numbers do not
    (["2026-01-01", "2026-13-45"], "string", None, []),  # the shape of a date, not a date
    (["2026-02-30"], "string", None, []),
    (["2026-01-01T10:00:00Z", "2026-01-01T25:00:00Z"], "string", None, []),
    (["Straße", "STRASSE", "Straße", "STRASSE"], "enum", None, ["Straße", "STRASSE"]),  # one value to leadspec only when str.lower says so
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


# -- values that YAML would misread, and the quoting every value goes through ------------------------------

EXAMPLES = 2000 if os.environ.get("LEADSPEC_FUZZ") else 25


def write_csv(path: Path, header: list[str], rows: list[list[str]], delimiter: str = ",") -> Path:
    """A CSV export; comma-separated ones with every value quoted (a lone unquoted header holding a tab is a tab-separated file to any reader)."""
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, delimiter=delimiter, quoting=csv.QUOTE_ALL if delimiter == "," else csv.QUOTE_MINIMAL).writerows([header, *rows])
    return path


def test_values_holding_colon_space_or_space_hash_are_quoted(tmp_path: Path) -> None:
    # `when: deal_stage == "Stage: Won"` unquoted was a YAML mapping inside a mapping: yaml-syntax
    export = tmp_path / "deals.csv"
    export.write_text("Deal Stage,Ticket\n" "Stage: Won,a #1\nStage: Lost,a #1\nStage: Won,b #2\nStage: Lost,b #2\n", encoding="utf-8")
    code, _, err = cli("init", "--from", export, "--dir", tmp_path / "a")
    assert code == 0, err
    data = assert_works(tmp_path / "a", "deals", export)
    assert data["stages"][0]["all"][0]["when"] == "deal_stage == 'Stage: Won'"
    assert data["fields"]["deal_stage"]["values"] == ["Stage: Won", "Stage: Lost"]
    export = tmp_path / "tickets.csv"
    export.write_text("Ticket\na #1\na #1\nb #2\nb #2\n", encoding="utf-8")
    code, _, err = cli("init", "--from", export, "--dir", tmp_path / "b")
    assert code == 0, err
    data = assert_works(tmp_path / "b", "tickets", export)
    assert data["stages"][0]["all"][0]["when"] == "ticket == 'a #1'"  # ` #` unquoted started a comment: `ticket == 'a`
    assert data["fields"]["ticket"]["values"] == ["a #1", "b #2"]


@pytest.mark.parametrize("header", ["Note\x7f", "Note\x85x", "a\u2028b", "\ufeffNote", "tab\there", "Emoji 😀", "quote \" and \\\\"])
def test_a_header_yaml_would_refuse_or_change_is_a_source_that_reads_back(tmp_path: Path, header: str) -> None:
    # \\x7f: "unacceptable character"; \\x85 (NEL) and \\u2028 were folded to a space, so `source` named no column
    export = write_csv(tmp_path / "e.csv", [header, "Employees"], [["x", "10"], ["y", "20"], ["z", "300"]])
    code, _, err = cli("init", "--from", export, "--dir", tmp_path)
    assert code == 0, err
    fields = assert_works(tmp_path, "e", export)["fields"]
    assert [spec.get("source", name) for name, spec in fields.items()] == [header, "Employees"]


def _loaded(folder: Path, name: str) -> tuple[dict, dict]:
    rules = yaml.safe_load((folder / "rules" / f"{name}.yaml").read_text(encoding="utf-8"))
    tests = yaml.safe_load((folder / "rules" / f"{name}.test.yaml").read_text(encoding="utf-8"))
    return rules, tests


_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    headers=st.lists(_TEXT.filter(lambda h: h.strip() != ""), min_size=1, max_size=4, unique=True),
    values=st.lists(_TEXT, min_size=2, max_size=4),
    data=st.data(),
)
def test_any_header_and_value_reads_back_exactly_from_the_files_init_writes(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, headers: list[str], values: list[str], data: st.DataObject
) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    # each value twice, so that a column of a few values becomes an enum (values written in the file too)
    rows = [[data.draw(st.sampled_from(values)) for _ in headers] for _ in range(2 * len(values))]
    export = write_csv(folder / "e.csv", headers, rows)
    code, _, said = cli("init", "--from", export, "--name", "e", "--dir", folder)
    assert code == 0, said
    rules, tests = _loaded(folder, "e")
    fields = rules["fields"]
    assert [spec.get("source", name) for name, spec in fields.items()] == headers
    for header, (name, spec) in zip(headers, fields.items()):
        seen = [row[headers.index(header)].strip() for row in rows]
        if spec["type"] == "enum":
            assert {v.lower() for v in spec["values"]} == {v.lower() for v in seen if v}
            assert set(spec["values"]) <= set(seen)
    for case in tests["cases"]:
        assert set(case["lead"]) <= set(headers)
        for key, value in case["lead"].items():
            column = [row[headers.index(key)].strip() for row in rows]
            assert value in column or value in ("yes", "no", "x") or _is_number(value), (key, value, column)
    code, out, err = cli("check", "--strict", folder / "rules")
    assert code == 0, out + err
    code, out, _ = cli("test", folder / "rules")
    assert code == 0, out
    run_then(said, folder, monkeypatch)  # and the printed qualify command reads every row of the export


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@settings(max_examples=EXAMPLES * 20, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",))))
def test_every_quoted_scalar_reads_back_exactly(text: str) -> None:
    for loader in (yaml.SafeLoader, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        assert yaml.load(f"k: {_q(text)}\n", Loader=loader) == {"k": text}
        assert yaml.load(f"k: {{a: {_q(text)}, {_q(text)}: b}}\n", Loader=loader) == {"k": {"a": text, text: "b"}}
        assert yaml.load(f"k: {_expression(text)}\n", Loader=loader) == {"k": text}
    assert "\n" not in _q(text)


@pytest.mark.parametrize("expression", ["deal_stage", "employees >= 50", "x >= -3.5", "x >= 1e5", "has(country)", "on", "yes"])
def test_expressions_read_back_exactly(expression: str) -> None:
    assert yaml.safe_load(f"when: {_expression(expression)}\n") == {"when": expression}


# -- exports init could not start from -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, why",
    [
        (",\n1,2\n", "columns 1, 2 have no header: a field cannot name them as their source, so they are not declared"),
        ("a,a\n1,2\n", "the header 'a' is in columns 1, 2: rename them in the export to read them (not declared)"),
        (" ,b,b\n1,2,3\n", "column 1 has no header: a field cannot name it as its source, so it is not declared; the header 'b' is in columns 2, 3: rename them in the export to read them (not declared)"),
    ],
)
def test_an_export_without_a_column_to_declare_is_refused_with_the_reason(tmp_path: Path, text: str, why: str) -> None:
    # was an IndexError traceback (usable[0] if usable else columns[0] with no column at all)
    export = tmp_path / "e.csv"
    export.write_text(text, encoding="utf-8")
    code, out, err = cli("init", "--from", export, "--dir", tmp_path)
    assert (code, out) == (2, "")
    assert err == f"{export}: cannot take the columns from it: no column can be declared: every header is blank or repeated ({why}). Give each column its own header\n"
    assert written(tmp_path) == ["e.csv"]


def test_digits_of_other_scripts_are_text_not_numbers(tmp_path: Path) -> None:
    # leadspec reads the digits 0-9 only: a column of ١٢٣ typed integer made every value a bad value
    export = tmp_path / "e.csv"
    export.write_text("Employees,Founded\n١٢٣,٢٠٢٠-٠١-٠١\n٤٥,٢٠٢١-٠١-٠١\n٦٧٨,٢٠٢٢-٠١-٠١\n", encoding="utf-8")
    code, _, err = cli("init", "--from", export, "--dir", tmp_path)
    assert code == 0, err
    fields = assert_works(tmp_path, "e", export)["fields"]
    assert (fields["employees"]["type"], fields["founded"]["type"]) == ("string", "string")
    code, out, _ = cli("qualify", tmp_path / "rules" / "e.yaml", export, "--details", "--output-format", "jsonl")
    results = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [r["details"]["issues"] for r in results] == [[], [], []]  # no bad value


def test_a_date_shaped_value_that_is_no_date_makes_the_column_text(tmp_path: Path) -> None:
    # 2026-13-45 has the shape of a date: typed date, it was the generated case's value, and the case failed
    export = tmp_path / "e.csv"
    export.write_text("Signed,Met\n2026-13-45,2026-01-01T25:00:00Z\n2026-01-01,2026-01-01T10:00:00Z\n", encoding="utf-8")
    code, _, err = cli("init", "--from", export, "--dir", tmp_path)
    assert code == 0, err
    rules = assert_works(tmp_path, "e", export)
    assert (rules["fields"]["signed"]["type"], rules["fields"]["met"]["type"]) == ("string", "string")


# -- a repository that has its own pre-commit configuration -----------------------------------------------

USER_CONFIG = """\
repos:
  - repo: https://github.com/psf/black
    rev: 24.1.0
    hooks:
      - id: black
"""


@pytest.mark.parametrize("force", [False, True])
def test_a_pre_commit_config_that_exists_is_kept_and_the_hooks_to_add_are_said(tmp_path: Path, force: bool) -> None:
    # was: "exists: not overwritten ... nothing written"; with --force the user's other hooks were gone
    config = tmp_path / ".pre-commit-config.yaml"
    config.write_text(USER_CONFIG, encoding="utf-8")
    code, out, err = cli("init", "--name", "acme", "--dir", tmp_path, *(["--force"] if force else []))
    assert (code, out) == (0, ""), err
    assert config.read_text(encoding="utf-8") == USER_CONFIG
    assert written(tmp_path) == [".pre-commit-config.yaml", "rules/acme.test.yaml", "rules/acme.yaml"]
    assert f"kept your {config}: add these hooks to it, under `repos:`:\n{HOOKS}" in err
    assert_works(tmp_path, "acme")
    # the snippet, added as said, gives the documented hooks beside the user's own
    merged = yaml.safe_load(USER_CONFIG + HOOKS)
    assert merged["repos"][0]["hooks"] == [{"id": "black"}] and merged["repos"][1:] == yaml.safe_load(PRE_COMMIT_CONFIG)["repos"]


def test_a_second_starter_in_the_same_folder_adds_only_its_own_files(tmp_path: Path) -> None:
    assert cli("init", "--name", "acme", "--dir", tmp_path)[0] == 0
    before = {p: (tmp_path / p).read_bytes() for p in written(tmp_path)}
    code, _, err = cli("init", "--name", "other", "--dir", tmp_path)
    assert code == 0, err
    assert written(tmp_path) == sorted([*before, "rules/other.test.yaml", "rules/other.yaml"])
    assert all((tmp_path / p).read_bytes() == data for p, data in before.items())
    assert f"kept your {tmp_path / '.pre-commit-config.yaml'}: it runs the leadspec hooks already\n" in err
    code, out, err = cli("check", "--strict", tmp_path / "rules")
    assert (code, out, err) == (0, "", "4 files checked: 0 errors, 0 warnings (2 more allowed by `allow:` entries)\n")
    code, out, _ = cli("test", tmp_path / "rules")
    assert code == 0 and "6 passed, 0 failed" in out, out


# -- wide exports ----------------------------------------------------------------------------------------


def test_an_export_wider_than_a_rule_file_holds_declares_the_first_columns_and_names_the_rest(tmp_path: Path) -> None:
    # was quadratic (about a minute for 20,000 columns), and the file it wrote failed check with too-many-nodes
    header = [f"c{i}" for i in range(20_000)]
    export = tmp_path / "wide.csv"
    export.write_text(",".join(header) + "\n" + ",".join(str(i % 7) for i in range(20_000)) + "\n" + ",".join(str(i % 5) for i in range(20_000)) + "\n", encoding="utf-8")
    code, _, err = cli("init", "--from", export, "--dir", tmp_path)
    assert code == 0, err
    fields = assert_works(tmp_path, "wide", export)["fields"]
    assert list(fields) == header[:MAX_FIELDS]
    text = (tmp_path / "rules" / "wide.yaml").read_text(encoding="utf-8")
    assert f"  # the export has more columns than the {MAX_FIELDS:,} fields a starter declares: the other {20_000 - MAX_FIELDS:,} are not declared:\n" in text
    listed = re.findall(r"'(c\d+)'", text.split("are not declared:\n", 1)[1])
    assert listed == header[MAX_FIELDS:]


# -- the qualify command init prints works as printed -------------------------------------------------------


def test_a_tsv_export_gets_a_qualify_command_that_reads_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the hint said --delimiter '\t', and qualify refused: "cannot tell the format of 'exp.tsv'"
    export = tmp_path / "exp.tsv"
    export.write_text("Employees\tCountry\n12\tFR\n250\tDE\n40\tUS\n", encoding="utf-8")
    code, _, err = cli("init", "--from", export, "--name", "t", "--dir", tmp_path)
    assert code == 0, err
    assert_works(tmp_path, "t")
    words = run_then(err, tmp_path, monkeypatch)
    assert words[6:] == ["--input-format", "csv", "--delimiter", "tab"]
    assert "  --input-format csv: qualify tells the format from the name (.csv, .jsonl); exp.tsv is read as CSV\n" in err
    text = (tmp_path / "rules" / "t.yaml").read_text(encoding="utf-8")
    assert "# `leadspec qualify rules/t.yaml exp.tsv -o qualified.csv --input-format csv --delimiter tab`.\n" in text


def test_an_export_with_columns_qualify_adds_gets_the_options_that_rename_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # qualify refuses an input with a `stage` or `reasons` column unless the added one is named otherwise
    export = write_csv(
        tmp_path / "crm.csv",
        ["stage", "reasons", "leadspec_stage", "details", "flags.vip", "Employees"],
        [["won", "x", "a", "d", "1", "12"], ["lost", "y", "b", "e", "0", "250"], ["won", "z", "c", "f", "1", "40"]],
    )
    code, _, err = cli("init", "--from", export, "--dir", tmp_path)
    assert code == 0, err
    assert_works(tmp_path, "crm")
    words = run_then(err, tmp_path, monkeypatch)
    assert words[6:] == ["--stage-column", "leadspec_stage_2", "--reasons-column", "leadspec_reasons"]
    text = (tmp_path / "rules" / "crm.yaml").read_text(encoding="utf-8")
    assert "  # qualify it with --stage-column leadspec_stage_2: crm.csv has a column 'stage', which qualify adds (and never overwrites): the added one needs another name\n" in text
    assert "  # the export has a column 'details': with --details, qualify needs --details-column leadspec_details\n" in text
    assert "  # the export has columns named flags.…: once the rules have flags:, qualify needs --flags-column leadspec_flags\n" in text
    code, _, err = cli("qualify", tmp_path / "rules" / "crm.yaml", export, "-o", tmp_path / "plain.csv")
    assert code == 2 and "which qualify adds" in err  # why the options are there


def test_a_json_lines_export_with_a_stage_key_gets_the_option_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    export = tmp_path / "leads.jsonl"
    export.write_text('{"stage": "won", "n": 1}\n{"stage": "lost", "n": 20}\n{"stage": "won", "n": 300}\n', encoding="utf-8")
    code, _, err = cli("init", "--from", export, "--dir", tmp_path)
    assert code == 0, err
    assert run_then(err, tmp_path, monkeypatch)[6:] == ["--stage-column", "leadspec_stage"]
    assert "  --stage-column leadspec_stage: leads.jsonl has a key 'stage', which qualify adds (and never overwrites): the added one needs another name\n" in err


def test_a_header_longer_than_a_yaml_key_may_be_is_still_a_case_key(tmp_path: Path) -> None:
    header = "Lead status " + "x" * 1500  # a plain YAML key is at most 1,024 characters: written `? KEY: VALUE`
    export = write_csv(tmp_path / "e.csv", [header], [["open"], ["closed"], ["open"], ["closed"]])
    code, _, err = cli("init", "--from", export, "--dir", tmp_path)
    assert code == 0, err
    rules = assert_works(tmp_path, "e", export)
    assert rules["fields"]["lead_status_" + "x" * 48]["source"] == header


def test_a_field_named_like_the_criterion_s_text_value_is_still_unread(tmp_path: Path) -> None:
    # `kind == 'size'`: the word size inside the text is no reading of the field size; it needs the allow: entry (found by the fuzz test)
    export = write_csv(tmp_path / "e.csv", ["Size", "Kind"], [["a", "size"], ["b", "size"], ["c", "shop"], ["d", "shop"]])
    code, _, err = cli("init", "--from", export, "--dir", tmp_path)
    assert code == 0, err
    rules = assert_works(tmp_path, "e", export)
    assert rules["stages"][0]["all"][0]["when"] == "kind == 'size'" and rules["allow"] == [{"code": "unused-field", "because": "starter file: the rules do not read every declared field yet"}]


@pytest.mark.parametrize(
    "line, delimiter",
    [("a,b,c\n", ","), ("a;b;c\n", ";"), ('"a;b",c\n', ","), ('";\n', ","), ("a\tb\n", "\t"), ("x|y\n", "|"), ("only\n", ","), ('"a,b";c;d\n', ";")],
)
def test_the_delimiter_is_guessed_outside_quotes(line: str, delimiter: str) -> None:
    # a header with ';' and a line break inside its quotes was taken as ';'-separated (found by the round-trip property)
    from leadspec.cli.init import guess_delimiter

    assert guess_delimiter(line) == delimiter
