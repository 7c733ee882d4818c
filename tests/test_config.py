"""Settings: defaults, spmkb.toml found by walking up, SPMKB_* variables, flags, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from spmkb.config import DEFAULT_STAGES, find_config, load_settings
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
