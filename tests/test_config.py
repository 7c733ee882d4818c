"""Settings: defaults, spmkb.toml found by walking up, SPMKB_* variables, flags, errors."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from spmkb.config import (
    DEFAULT_STAGES,
    SETTINGS,
    TABLE_SETTINGS,
    Settings,
    find_config,
    load_settings,
)
from spmkb.errors import ConfigError, NotFoundError, Problem, SpmkbError, suggest


def test_defaults_are_relative_to_the_working_directory(tmp_path: Path) -> None:
    s = load_settings(cwd=tmp_path, environ={})
    assert s.playbooks == tmp_path / "playbooks"
    assert s.store == tmp_path / ".spmkb"
    assert s.chroma_path == tmp_path / ".spmkb" / "chroma"
    assert s.db_path == tmp_path / ".spmkb" / "spmkb.db"
    assert s.chroma_url is None
    assert s.stages == DEFAULT_STAGES
    assert s.config_file is None


def test_toml_is_found_by_walking_up_and_paths_are_relative_to_it(tmp_path: Path) -> None:
    (tmp_path / "spmkb.toml").write_text(
        'playbooks = "content"\n[vocabulary]\nstages = ["Pilot"]\n'
    )
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_config(deep) == tmp_path / "spmkb.toml"
    s = load_settings(cwd=deep, environ={})
    assert s.playbooks == tmp_path / "content"
    assert s.store == tmp_path / ".spmkb"
    assert s.stages[-1] == "pilot"
    assert s.stages[: len(DEFAULT_STAGES)] == DEFAULT_STAGES


def test_environment_overrides_file_and_flags_override_environment(tmp_path: Path) -> None:
    (tmp_path / "spmkb.toml").write_text('store = "from-file"\n')
    env = {"SPMKB_STORE": "/tmp/from-env", "SPMKB_CHROMA_URL": "http://127.0.0.1:9"}
    s = load_settings(cwd=tmp_path, environ=env)
    assert s.store == Path("/tmp/from-env")
    assert s.chroma_url == "http://127.0.0.1:9"
    s = load_settings({"store": "flag-store", "chroma_url": None}, cwd=tmp_path, environ=env)
    assert s.store == tmp_path / "flag-store"
    assert s.chroma_url == "http://127.0.0.1:9"  # a None flag does not mask the environment


def test_unknown_key_names_the_file_and_suggests(tmp_path: Path) -> None:
    cfg = tmp_path / "spmkb.toml"
    cfg.write_text('playbook = "x"\n')
    with pytest.raises(ConfigError) as exc:
        load_settings(cwd=tmp_path, environ={})
    text = str(exc.value)
    assert str(cfg) in text
    assert "unknown setting 'playbook'" in text
    assert "did you mean 'playbooks'?" in text


def test_invalid_toml_reports_the_line(tmp_path: Path) -> None:
    cfg = tmp_path / "spmkb.toml"
    cfg.write_text('store = ".spmkb"\nplaybooks = \n')
    with pytest.raises(ConfigError) as exc:
        load_settings(cwd=tmp_path, environ={})
    assert exc.value.line == 2
    assert f"{cfg}:2" in str(exc.value)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("embed_batch_size = 'many'\n", "embed_batch_size"),
        ("[vocabulary]\nstages = 'pilot'\n", "vocabulary.stages"),
        ("[vocabulary]\ncolours = ['red']\n", "vocabulary.colours"),
        ("vocabulary = 3\n", "vocabulary"),
        ("collection = 'ab'\n", "collection"),
    ],
    ids=["wrong-type", "vocab-not-list", "unknown-vocab", "table-not-table", "short-collection"],
)
def test_bad_values_name_the_field(tmp_path: Path, text: str, field: str) -> None:
    (tmp_path / "spmkb.toml").write_text(text)
    with pytest.raises(ConfigError) as exc:
        load_settings(cwd=tmp_path, environ={})
    assert exc.value.field == field


def test_error_and_problem_text() -> None:
    err = SpmkbError("bad date", path="deals.csv", row=7, field="created", hint="use YYYY-MM-DD")
    assert str(err) == "deals.csv, row 7, field 'created': bad date — use YYYY-MM-DD"
    assert err.to_dict()["row"] == 7
    p = Problem.from_error(err, code="date")
    assert str(p) == "deals.csv, row 7, field 'created': error: bad date — use YYYY-MM-DD"
    nf = NotFoundError("unknown rep 'Alise'", suggestions=["Alice"])
    assert str(nf) == "unknown rep 'Alise' — did you mean 'Alice'?"
    assert suggest("discovry", DEFAULT_STAGES) == ["discovery"]


def test_deals_table_and_deals_path_coexist(tmp_path: Path) -> None:
    (tmp_path / "spmkb.toml").write_text(
        '[deals]\npath = "exports/deals.csv"\npreset = "hubspot"\n[deals.columns]\nid = "Deal Id"\n'
    )
    s = load_settings(cwd=tmp_path, environ={})
    assert s.deals == tmp_path / "exports" / "deals.csv"
    assert s.table("deals")["columns"] == {"id": "Deal Id"}


def test_misspelt_table_key_names_the_file_and_line_and_suggests(tmp_path: Path) -> None:
    cfg = tmp_path / "spmkb.toml"
    cfg.write_text('store = ".spmkb"\n\n[reviews]\ntemplte = "my-review.ipynb"\n')
    with pytest.raises(ConfigError) as exc:
        load_settings(cwd=tmp_path, environ={})
    assert str(exc.value) == (
        f"{cfg}:4, field 'reviews.templte': unknown setting 'templte' in [reviews]"
        " — did you mean 'template'? known [reviews] settings: template, rubric"
    )


@pytest.mark.parametrize(
    ("text", "field", "suggestion"),
    [
        ("[search]\nrrf = 10\n", "search.rrf", "rrf_k"),
        ("[search]\nsemantic_weigth = 2\n", "search.semantic_weigth", "semantic_weight"),
        ("[deals]\ndate_fmt = '%d/%m/%Y'\n", "deals.date_fmt", "date_format"),
        ("[deals]\ntimezon = 'Europe/Paris'\n", "deals.timezon", "timezone"),
        ("[deals.column]\nid = 'Deal Id'\n", "deals.column", "columns"),
        ("[vocabulary]\nstage = ['pilot']\n", "vocabulary.stage", "stages"),
        ("reviews.rubrik = 'r.md'\n", "reviews.rubrik", "rubric"),
    ],
    ids=["search", "search-weight", "deals", "deals-timezone", "deals-subtable", "vocab", "dotted"],
)
def test_unknown_key_in_every_table_is_an_error(
    tmp_path: Path, text: str, field: str, suggestion: str
) -> None:
    (tmp_path / "spmkb.toml").write_text(text)
    with pytest.raises(ConfigError) as exc:
        load_settings(cwd=tmp_path, environ={})
    assert exc.value.field == field
    assert exc.value.line == text.count("\n", 0, text.index(field.split(".")[1])) + 1
    assert f"did you mean '{suggestion}'?" in str(exc.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[search]\nrrf_k = 'high'\n", "[search] rrf_k must be a number, got 'high'"),
        ("[deals]\ncolumns = 'Deal Id'\n", "[deals] columns must be a table, got 'Deal Id'"),
        ("[deals]\ndayfirst = 'yes'\n", "[deals] dayfirst must be true or false, got 'yes'"),
        ("[deals]\nallow_missing = 'amount'\n", "[deals] allow_missing must be a list of strings"),
        ("[reviews]\ntemplate = 3\n", "[reviews] template must be a path (string), got 3"),
    ],
    ids=["float", "table", "bool", "list", "path"],
)
def test_table_values_of_the_wrong_kind_name_the_field(
    tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "spmkb.toml").write_text(text)
    with pytest.raises(ConfigError) as exc:
        load_settings(cwd=tmp_path, environ={})
    assert message in str(exc.value)
    assert exc.value.line == 2


def test_table_options_have_declared_defaults_and_paths_relative_to_the_file(
    tmp_path: Path,
) -> None:
    (tmp_path / "spmkb.toml").write_text(
        '[reviews]\ntemplate = "templates/review.ipynb"\n[search]\nrrf_k = 60\n'
    )
    (tmp_path / "sub").mkdir()
    s = load_settings(cwd=tmp_path / "sub", environ={})
    assert s.option("reviews", "template") == tmp_path / "templates" / "review.ipynb"
    assert s.option("reviews", "rubric") is None
    assert s.option("search", "rrf_k") == 60.0
    assert s.option("search", "semantic_weight") == 1.0
    assert s.option("deals", "far_future_dates") == "reject"
    assert s.option("deals", "timezone") is None
    assert s.option("deals", "closed_without_close_date") == "warn"
    assert s.table("search") == {"rrf_k": 60.0}  # table(): only what the file sets
    with pytest.raises(KeyError):
        s.option("reviews", "templte")


def test_settings_fields_and_defaults_come_from_the_declarations() -> None:
    s = Settings()
    declared = [x.name for x in SETTINGS]
    assert [f.name for f in fields(Settings)][: len(declared)] == declared
    for x in SETTINGS:
        want = Path(x.default) if x.kind == "path" and x.default is not None else x.default
        assert getattr(s, x.name) == want, x.name
    assert s.stages == DEFAULT_STAGES
    assert s.db_path == Path(".spmkb") / "spmkb.db"


def test_every_table_key_the_code_reads_is_declared() -> None:
    """Scan the package for ``.table("t").get("k")``, ``.option("t", "k")`` and the deals
    layer's ``cfg.get("k")``: each (table, key) must be in TABLE_SETTINGS."""
    root = Path(__file__).resolve().parents[1] / "spmkb"
    used: set[tuple[str, str]] = set()
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'\.table\("(\w+)"\)\.get\("(\w+)"', text))
        used |= set(re.findall(r'\.option\(\s*"(\w+)",\s*"(\w+)"', text))
        if path.parent.name == "deals":
            used |= {("deals", k) for k in re.findall(r'\bcfg\.get\("(\w+)"', text)}
    assert {("reviews", "template"), ("reviews", "rubric"), ("deals", "currency")} <= used
    declared = {(t, s.name) for t, keys in TABLE_SETTINGS.items() for s in keys}
    assert used - declared == set()


def test_search_fusion_weights_come_from_the_declared_settings(tmp_path) -> None:
    """FusionWeights reads [search] through Settings.option: declared defaults, file values."""
    from spmkb.search.query import FusionWeights

    w = FusionWeights.from_settings(load_settings(cwd=tmp_path, environ={}))
    assert (w.semantic, w.lexical, w.rrf_k, w.exact_boost) == (1.0, 1.0, 20.0, 1.5)
    (tmp_path / "spmkb.toml").write_text("[search]\nrrf_k = 60\n")
    w = FusionWeights.from_settings(load_settings(cwd=tmp_path, environ={}))
    assert w.rrf_k == 60.0
