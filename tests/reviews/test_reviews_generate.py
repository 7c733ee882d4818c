"""Generated review notebooks (executed with papermill): figures, no-data periods, export, CLI."""

from __future__ import annotations

import math

import json
from datetime import date
from pathlib import Path

import nbformat
import pytest
from typer.testing import CliRunner

from spmkb.cli import app
from spmkb.config import Settings
from spmkb.deals import metrics as m
from spmkb.deals.forecast import forecast
from spmkb.reviews import store
from spmkb.reviews.export import export_review
from spmkb.reviews.generate import new_review, new_reviews
from spmkb.reviews.notebook import DATA_MIME, DATA_TAG

pytestmark = pytest.mark.slow


def notebook_data(path: Path) -> dict:
    """The JSON the executed notebook displayed in its ``review-data`` cell."""
    nb = nbformat.read(str(path), as_version=4)
    cells = [c for c in nb.cells if DATA_TAG in c.metadata.get("tags", [])]
    assert len(cells) == 1
    outputs = [o for o in cells[0].outputs if DATA_MIME in o.get("data", {})]
    return outputs[0]["data"][DATA_MIME]


def check_against_metrics(data, d: dict, rep: str, period: str) -> None:
    """Assert the notebook's figures equal the deals layer's functions."""
    card = {(r["measure"], r["stage"]): r for r in d["scorecard"]}
    wr = m.win_rate(data, rep=rep, period=period)
    assert card[("win_rate", None)]["value"] == pytest.approx(
        float(wr["win_rate"].iloc[0]), rel=1e-12
    )
    assert card[("win_rate", None)]["n"] == int(wr["n"].iloc[0])
    size = m.deal_size(data, rep=rep, period=period)
    if len(size):
        assert card[("avg_deal_size", None)]["value"] == pytest.approx(
            float(size["average"].iloc[0])
        )
    cyc = m.sales_cycle(data, rep=rep, period=period)
    if len(cyc):
        assert card[("sales_cycle", None)]["value"] == pytest.approx(
            float(cyc["median_days"].iloc[0])
        )
    sc = m.stage_conversion(data, rep=rep, period=period)
    for row in sc[sc["scope"] == "rep"].itertuples():
        got = card[("stage_conversion", row.stage)]["value"]
        assert _same(got, row.conversion), (row.stage, got, row.conversion)
        funnel = {f["stage"]: f for f in d["funnel"]}
        assert funnel[row.stage]["n"] == row.n
    att = m.attainment(data, rep=rep, period=period)
    want = float(att["attainment"].iloc[0]) if len(att) else None
    got = card[("quota_attainment", None)]["value"]
    assert _same(got, want), (got, want)


def _same(got: float | None, want: float | None) -> bool:
    """The notebook's JSON figure equals the metric: both missing (None / NaN), or equal."""
    want_missing = want is None or math.isnan(want)
    if got is None or want_missing:
        return got is None and want_missing
    return got == pytest.approx(want)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory, sample_deals: Path, make_ws):
    """Reviews generated as a batch (pool of 2, reused kernels) plus one single review."""
    settings = make_ws(tmp_path_factory.mktemp("ws"), sample_deals)
    batch = new_reviews(settings, ["priya nair", "Chloe Dubois"], "2026-Q2", workers=2)
    assert batch.ok, batch.errors
    empty = new_reviews(settings, ["Maya Chen"], "2030-Q1", workers=1)
    assert empty.ok, empty.errors
    return settings, batch, empty


def test_batch_notebooks_match_metrics(generated, sample_data) -> None:
    settings, batch, _ = generated
    assert set(batch.paths) == {"Priya Nair", "Chloe Dubois"}
    path = Path(batch.paths["Priya Nair"])
    assert path == settings.reviews_dir / "2026-Q2" / "priya-nair.ipynb"
    d = notebook_data(path)
    assert (d["rep"], d["team"], d["period"]) == ("Priya Nair", "Central", "2026-Q2")
    check_against_metrics(sample_data, d, "Priya Nair", "2026-Q2")
    fc = forecast(sample_data, rep="Priya Nair", period="2026-Q3", as_of=date(2026, 7, 1))
    assert d["forecast"]["p50"] == pytest.approx(fc.p50)
    focus = m.coaching_focus(sample_data, rep="Priya Nair", period="2026-Q2")
    assert d["focus"]["stage"] == focus["stage"].iloc[0]
    # no search index in this workspace: the section says so instead of failing
    assert d["recommendations"]["items"] == []
    # the review is registered as generated
    rows = store.review_rows(store.open_db(settings.db_path), period="2026-Q2")
    assert {r["rep"] for r in rows} == {"Priya Nair", "Chloe Dubois"}
    assert all(r["status"] is None and r["notebook"] for r in rows)


FORM_TAG = "review-form"


def test_generated_review_looks_finished(generated) -> None:
    """Opened before any cell runs, the review shows this review's parameters only, and the
    form cell shows HTML (saved answers, run-all prompt), never the widget's ``VBox(`` text;
    no output carries the kernel's TCP warning; no stale widget state is kept."""
    from spmkb.notebooks import TCP_WARNING

    _, batch, _ = generated
    nb = nbformat.read(batch.paths["Priya Nair"], as_version=4)
    tags = [t for c in nb.cells for t in c.metadata.get("tags", [])]
    assert "parameters" not in tags and tags.count("injected-parameters") == 1
    assigns = [c for c in nb.cells if c.cell_type == "code" and "rep = " in c.source]
    assert len(assigns) == 1 and 'rep = "Priya Nair"' in assigns[0].source
    assert "widgets" not in nb.metadata
    (form,) = [
        c for c in nb.cells if c.cell_type == "code" and FORM_TAG in c.metadata.get("tags", [])
    ]
    (out,) = form.outputs
    assert "Run all cells to fill in the form" in out["data"]["text/html"]
    assert "not been saved yet" in out["data"]["text/html"]
    assert "VBox(" not in out["data"]["text/plain"]
    text = json.dumps(nb)
    assert TCP_WARNING not in text
    assert "papermill fills" not in text


def test_finish_notebook_drops_example_parameters_state_and_tcp_warning() -> None:
    """A hand-made executed notebook: example parameters + injected ones (counts 41, 42), a
    stderr output with the TCP warning and another line (count 43), saved widget state.
    Finished: the injected cell and the other stderr line, numbered 1 and 2, nothing else."""
    from spmkb.notebooks import TCP_WARNING
    from spmkb.reviews.generate import finish_notebook

    nb = nbformat.v4.new_notebook()
    example = nbformat.v4.new_code_cell('rep = "Example"')
    example.metadata["tags"] = ["parameters"]
    injected = nbformat.v4.new_code_cell('rep = "Priya Nair"')
    injected.metadata["tags"] = ["injected-parameters"]
    example.execution_count, injected.execution_count = 41, 42  # a reused kernel's counts
    run = nbformat.v4.new_code_cell("review = open_review(rep)")
    run.execution_count = 43
    run.outputs = [
        nbformat.v4.new_output("stream", name="stderr", text=f"{TCP_WARNING}. Use IPC.\nother\n"),
        nbformat.v4.new_output("stream", name="stderr", text=f"[W] {TCP_WARNING}\n"),
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("# Review"), example, injected, run]
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    done = finish_notebook(nb)
    assert [c.source for c in done.cells] == [
        "# Review",
        'rep = "Priya Nair"',
        "review = open_review(rep)",
    ]
    assert [o["text"] for o in done.cells[2].outputs] == ["other\n"]
    assert "widgets" not in done.metadata
    assert [c.execution_count for c in done.cells if c.cell_type == "code"] == [1, 2]


def test_period_warnings(sample_data) -> None:
    """2030-Q1: nothing in the data closes then, one warning naming the data's span.
    2026-Q1: Chloe Dubois (started 2026-06-01) has no deals then, Priya Nair has."""
    from spmkb.reviews.generate import period_warnings

    (w,) = period_warnings(sample_data, ["Priya Nair"], "2030-Q1")
    assert w.startswith("no deals in the data close in 2030-Q1 (the deal data closes deals from ")
    assert w.endswith("the review(s) show no figures; check the period")
    assert period_warnings(sample_data, ["Chloe Dubois", "Priya Nair"], "2026-Q1") == [
        "Chloe Dubois has no deals closing in 2026-Q1: the review shows no figures"
    ]


def test_too_few_deals_notebook_has_figures_without_verdicts(generated, sample_data) -> None:
    _, batch, _ = generated
    d = notebook_data(Path(batch.paths["Chloe Dubois"]))
    check_against_metrics(sample_data, d, "Chloe Dubois", "2026-Q2")
    # Chloe Dubois started on 2026-06-01: one closed deal in 2026-Q2, so no measure resting
    # on deals has its n, and volumes (activities) are not judged for part of a quarter.
    # Pipeline coverage is for 2026-Q3, when she works the whole quarter: it may be judged.
    judged = [r for r in d["scorecard"] if r["measure"] != "pipeline_coverage"]
    assert all(r["verdict"] is None for r in judged)
    by = {(r["measure"], r["stage"]): r["warning"] for r in judged}
    assert by[("win_rate", None)] == "not enough data (n = 1 closed deals, needs 5): no verdict"
    assert by[("activity_volume", None)] == (
        "active only part of 2026-Q2 (started 2026-06-01): no verdict on a volume"
    )
    assert all(w for w in by.values())


def test_period_without_deals_says_so_in_every_section(generated) -> None:
    _, _, batch = generated
    (warning,) = batch.warnings  # generating it warned
    assert warning.startswith("no deals in the data close in 2030-Q1")
    empty = Path(batch.paths["Maya Chen"])
    d = notebook_data(empty)
    assert d["deals"] == 0
    assert "no deals closing in 2030-Q1" in d["notes"][0]
    nb = nbformat.read(str(empty), as_version=4)
    html = [
        o["data"]["text/html"]
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if "text/html" in o.get("data", {})
    ]
    assert (
        sum("No data:" in h for h in html) >= 5
    )  # trend, funnel, win/loss, forecast... all say it


def test_form_save_and_html_export_without_code(generated) -> None:
    settings, batch, _ = generated
    conn = store.open_db(settings.db_path)
    store.save_review(
        conn,
        "Priya Nair",
        "2026-Q2",
        {
            "ratings": {"discovery": 4, "closing": 2},
            "strengths": "Clear **discovery**. <script>alert('x')</script>",
            "goals": [{"text": "Demo to proposal above 60%", "due": "2026-09-30"}],
        },
        author="Grace Okafor",
        expected_version=0,
    )
    out = export_review(settings, "Priya Nair", "2026-Q2", settings.store / "priya.html")
    html = out.read_text()
    d = notebook_data(Path(batch.paths["Priya Nair"]))
    win = next(r for r in d["scorecard"] if r["measure"] == "win_rate")["value"]
    assert f"<td>{win:.0%}</td>" in html  # the scorecard figure
    assert "Demo to proposal above 60%" in html and "<strong>discovery</strong>" in html
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in html  # kept as text, not dropped
    # for the rep: no developer text, no parameters
    for dev in ("papermill", "run all", "For the manager", "spmkb.", 'rep = "', "Run → Run"):
        assert dev.lower() not in html.lower(), dev
    assert "In [" not in html and "In&nbsp;[" not in html
    assert "open_review(" not in html and "ReviewForm(" not in html
    assert "review data for" not in html  # the JSON cell is dropped
    # standalone and offline: nothing is loaded from outside (no CDN require.js or MathJax)
    import re

    assert re.findall(r"<(?:script|link)[^>]*(?:src|href)=[\"']?(?:https?:)?//", html) == []
    assert "cdnjs" not in html and "require.min.js" not in html
    assert re.findall(r"import[^;\n]*[\"'](?:https?:)?//", html) == []  # no remote ES modules


def test_cli_list_show_export(generated) -> None:
    settings, _, _ = generated
    runner = CliRunner()
    s = ["--store", str(settings.store)]
    res = runner.invoke(app, ["review", "list", "--period", "2026-Q2", "--json", *s])
    assert res.exit_code == 0, res.output
    listed = json.loads(res.output)
    assert {r["rep"] for r in listed["reviews"]} >= {"Priya Nair", "Chloe Dubois"}
    res = runner.invoke(app, ["review", "show", "Priya Nair", "2026-Q2", *s])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["review", "show", "Priya Nare", "2026-Q2", *s])
    assert res.exit_code == 1
    assert "did you mean 'Priya Nair'?" in res.output


def test_cli_unknown_rep_suggests(generated) -> None:
    settings, _, _ = generated
    res = CliRunner().invoke(
        app,
        [
            "review",
            "new",
            "--rep",
            "Priya Nare",
            "--period",
            "2026-Q2",
            "--store",
            str(settings.store),
            "--deals",
            str(settings.deals),
        ],
    )
    assert res.exit_code == 1
    assert (
        "Error: no rep named 'Priya Nare' in the deal data — did you mean 'Priya Nair'?"
        in res.output
    )


def test_corrupt_database_fails_before_writing(tmp_path: Path, sample_deals: Path, make_ws) -> None:
    settings: Settings = make_ws(tmp_path, sample_deals)
    settings.db_path.parent.mkdir(parents=True)
    settings.db_path.write_bytes(b"not a database" * 50)
    from spmkb.errors import StorageError

    with pytest.raises(StorageError, match=r"spmkb\.db"):
        new_review(settings, "Maya Chen", "2026-Q2")
    assert not (settings.reviews_dir / "2026-Q2").exists()
    assert settings.db_path.read_bytes() == b"not a database" * 50


def test_team_notebook_shows_status_and_scores(
    generated, sample_data, repo_root: Path, tmp_path: Path
) -> None:
    import papermill as pm

    from spmkb.reviews.scorecard import team_scores
    from spmkb.reviews.standards import load_standards

    settings, _, _ = generated
    out = tmp_path / "team.ipynb"
    pm.execute_notebook(
        str(repo_root / "notebooks" / "team-reviews.ipynb"),
        str(out),
        progress_bar=False,
        execution_timeout=180,
        parameters={
            "team": "Central",
            "period": "2026-Q2",
            "store": str(settings.store),
            "data_dir": str(settings.deals),
            "standards": str(settings.standards),
        },
    )
    d = notebook_data(out)
    status = {r["rep"]: r["status"] for r in d["reviews"]}
    assert status["Priya Nair"] in ("generated", "draft")
    assert status["Noah Williams"] == "not generated"
    want = team_scores(sample_data, "Central", "2026-Q2", load_standards(settings.standards))
    assert [r["score"] for r in d["scores"]] == pytest.approx(list(want["score"]))


def test_cli_new_for_a_team(generated) -> None:
    settings, _, _ = generated
    s = ["--store", str(settings.store), "--deals", str(settings.deals), "--out", str(settings.reviews_dir),
         "--playbooks", str(settings.playbooks)]  # fmt: skip
    res = CliRunner().invoke(
        app, ["review", "new", "--team", "west", "--period", "2026-Q1", "--json", *s]
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.output[res.output.index("{") :])
    assert out["generated"] == 3 and out["failed"] == 0
    for rep, path in out["paths"].items():
        assert notebook_data(Path(path))["rep"] == rep
    res = CliRunner().invoke(
        app, ["review", "new", "--team", "West", "--all", "--period", "2026-Q1", *s]
    )
    assert res.exit_code == 2
    assert "give exactly one of --rep NAME, --team TEAM or --all" in res.output


def test_cli_new_warns_about_a_period_without_the_reps_deals(generated) -> None:
    """Chloe Dubois started 2026-06-01: her 2026-Q1 review is generated, with a warning."""
    settings, _, _ = generated
    s = ["--store", str(settings.store), "--deals", str(settings.deals), "--out", str(settings.reviews_dir),
         "--playbooks", str(settings.playbooks)]  # fmt: skip
    res = CliRunner().invoke(
        app, ["review", "new", "--rep", "Chloe Dubois", "--period", "2026-Q1", *s]
    )
    assert res.exit_code == 0, res.output
    assert (
        "Warning: Chloe Dubois has no deals closing in 2026-Q1: the review shows no figures"
        in res.output
    )
    assert (settings.reviews_dir / "2026-Q1" / "chloe-dubois.ipynb").is_file()
