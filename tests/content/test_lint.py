"""lint_library and the ``spmkb lint`` command."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spmkb.cli import app
from spmkb.content import lint_library
from spmkb.content.lint import format_problem, iter_links

TODAY = date(2026, 11, 1)


def write(root: Path, rel: str, text: str) -> Path:
    """Write ``text`` to ``root/rel``, creating folders."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def asset(
    title: str,
    *,
    reviewed: date | None = None,
    every: int | None = 90,
    owner: str | None = "enablement",
    extra: str = "",
    body: str = "Text.",
) -> str:
    """A small asset file with front matter."""
    fm = [f"title: {title}"]
    if owner:
        fm.append(f"owner: {owner}")
    if reviewed:
        fm.append(f"reviewed: {reviewed.isoformat()}")
    if every:
        fm.append(f"review_every: {every}")
    if extra:
        fm.append(extra)
    return "---\n" + "\n".join(fm) + "\n---\n" + body + "\n"


@pytest.fixture
def clean(tmp_path: Path) -> Path:
    """A playbook folder without errors."""
    root = tmp_path / "playbooks"
    write(root, "README.md", "# Docs\n\n[broken](nope.md) is ignored: README is not an asset\n")
    write(
        root,
        "objections/price.md",
        asset(
            "Price",
            reviewed=TODAY - timedelta(days=10),
            body="See [timing](timing.md#top), [web](https://x.example), [mail](mailto:a@b.c), "
            "[anchor](#x), [site](/handbook/sales/) and [folder](../battlecards/).\n",
        ),
    )
    write(root, "objections/timing.md", asset("Timing", reviewed=TODAY - timedelta(days=80)))
    write(root, "battlecards/acme.md", asset("Acme", reviewed=TODAY - timedelta(days=100)))
    write(root, "battlecards/notes.md", asset("Notes", owner=None, every=None))
    return root


@pytest.fixture
def broken(clean: Path) -> Path:
    """The clean folder plus files with errors."""
    write(
        clean,
        "calls/opener.md",
        asset(
            "Opener",
            extra="stages: [discovry]\ntype: call scrpt",
            body='Intro\n\nSee [missing](../objections/nope.md "title") and ![img](img/x.png).\n',
        ),
    )
    write(clean, "calls/bad.md", "---\ntitle: [x\n---\nB\n")
    write(clean, "calls/dup.md", asset("Dup", extra="id: objections/price"))
    return clean


def test_freshness_buckets(clean: Path) -> None:
    report = lint_library(clean, today=TODAY)
    # 10 of 90 days -> fresh; 80 >= 0.8 * 90 -> aging; 100 > 90 -> stale; no dates -> unknown
    assert report.freshness == {
        "battlecards/acme": "stale",
        "battlecards/notes": "unknown",
        "objections/price": "fresh",
        "objections/timing": "aging",
    }
    assert report.freshness_counts() == {"fresh": 1, "aging": 1, "stale": 1, "unknown": 1}


def test_clean_folder_has_only_warnings(clean: Path) -> None:
    report = lint_library(clean, today=TODAY)
    assert report.ok, [str(p) for p in report.errors]
    assert sorted((p.code, p.path) for p in report.warnings) == [
        ("missing-owner", "battlecards/notes.md"),
        ("stale", "battlecards/acme.md"),
    ]
    stale = next(p for p in report.warnings if p.code == "stale")
    assert stale.line == 4 and "due 2026-10-22" in stale.message


def test_errors_are_located_and_explained(broken: Path) -> None:
    report = lint_library(broken, today=TODAY)
    assert not report.ok
    found = {(p.code, p.path, p.line, p.severity) for p in report.errors}
    assert found == {
        ("vocabulary", "calls/opener.md", 5, "error"),
        ("vocabulary", "calls/opener.md", 6, "error"),
        ("broken-link", "calls/opener.md", 10, "error"),
        ("broken-link", "calls/opener.md", 10, "error"),
        ("yaml", "calls/bad.md", 2, "error"),
        ("duplicate-id", "calls/dup.md", 5, "error"),
        ("duplicate-id", "objections/price.md", None, "error"),
    }
    by_value = {p.value: p for p in report.errors if p.code in ("vocabulary", "broken-link")}
    assert "did you mean 'discovery'?" in by_value["discovry"].hint
    assert "did you mean 'call-script'?" in by_value["call-scrpt"].hint
    assert "missing file" in by_value["../objections/nope.md"].message
    assert "img/x.png" in by_value


def test_iter_links_skips_code() -> None:
    body = (
        "a [x](one.md)\n```\n[y](two.md)\n```\n`[z](three.md)` [w]( <four.md> )\n[ref]: five.md\n"
    )
    assert iter_links(body) == [(0, "one.md"), (4, "four.md"), (5, "five.md")]


def test_format_problem_line(broken: Path) -> None:
    report = lint_library(broken, today=TODAY)
    yaml_err = next(p for p in report.errors if p.code == "yaml")
    assert format_problem(yaml_err, "playbooks").startswith(
        "playbooks/calls/bad.md:2: error: invalid YAML in front matter"
    )
    assert " — fix the YAML syntax" in format_problem(yaml_err)


def test_to_dict_is_json_ready(broken: Path) -> None:
    data = json.loads(json.dumps(lint_library(broken, today=TODAY).to_dict()))
    assert set(data) == {"root", "ok", "counts", "freshness", "assets", "skipped", "problems"}
    assert data["ok"] is False
    assert data["counts"]["files"] == data["counts"]["assets"] + data["counts"]["skipped"]
    assert set(data["assets"][0]) == {
        "id",
        "path",
        "title",
        "type",
        "owner",
        "reviewed",
        "due",
        "freshness",
    }


runner = CliRunner()


def test_cli_lint_clean_exits_0(clean: Path) -> None:
    result = runner.invoke(app, ["lint", "--playbooks", str(clean), "--today", "2026-11-01"])
    assert result.exit_code == 0, result.output
    last = result.output.strip().splitlines()[-1]
    assert last == (
        "4 files: 4 assets loaded, 0 skipped; 0 errors, 2 warnings; "
        "freshness: 1 fresh, 1 aging, 1 stale, 1 unknown"
    )
    assert f"{clean}/battlecards/notes.md:1: warning: no owner" in result.output


def test_cli_lint_errors_exit_1_with_did_you_mean(broken: Path) -> None:
    result = runner.invoke(app, ["lint", "--playbooks", str(broken), "--today", "2026-11-01"])
    assert result.exit_code == 1
    assert f"{broken}/calls/opener.md:5: error: 'discovry' is not a known stage" in result.output
    assert "did you mean 'discovery'?" in result.output
    assert f"{broken}/calls/bad.md:2: error: invalid YAML" in result.output


def test_cli_lint_json(broken: Path) -> None:
    result = runner.invoke(
        app, ["lint", "--playbooks", str(broken), "--json", "--today", "2026-11-01"]
    )
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["counts"]["errors"] == 7
    assert {p["code"] for p in data["problems"]} >= {"yaml", "vocabulary", "broken-link"}


def test_cli_lint_assets_listing(clean: Path) -> None:
    result = runner.invoke(
        app, ["lint", "--playbooks", str(clean), "--assets", "--today", "2026-11-01"]
    )
    assert "stale    2026-10-22 battlecards/acme  (enablement)" in result.output


def test_cli_lint_bad_today_and_missing_folder(tmp_path: Path) -> None:
    result = runner.invoke(app, ["lint", "--playbooks", str(tmp_path), "--today", "soon"])
    assert result.exit_code == 1 and "Error: field '--today': invalid date 'soon'" in result.output
    result = runner.invoke(app, ["lint", "--playbooks", str(tmp_path / "nope")])
    assert result.exit_code == 1 and "playbook folder not found" in result.output
    assert "Traceback" not in result.output


def test_cli_lint_help_has_example() -> None:
    result = runner.invoke(app, ["lint", "--help"])
    assert result.exit_code == 0 and "spmkb lint --playbooks" in result.output


def test_cli_lint_reads_vocabulary_from_spmkb_toml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "playbooks/pilot.md", asset("Pilot plan", extra="stages: [pilot]"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SPMKB_PLAYBOOKS", raising=False)
    result = runner.invoke(app, ["lint"])
    assert result.exit_code == 1 and "'pilot' is not a known stage" in result.output
    (tmp_path / "spmkb.toml").write_text('[vocabulary]\nstages = ["pilot"]\n', encoding="utf-8")
    result = runner.invoke(app, ["lint"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("1 files: 1 assets loaded")
