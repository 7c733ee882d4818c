"""The onboarding panel's pure renderers, the panel driven headlessly, and the notebook
executed with papermill against a sample workspace."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import nbformat
import pytest

from spmkb.config import load_settings
from spmkb.deals.sample import write_sample
from spmkb.onboarding import service
from spmkb.widgets.onboarding_panel import (
    OnboardingPanel,
    render_hire,
    render_milestones,
    render_team,
    timeline_figure,
)

REPO = Path(__file__).resolve().parents[2]
TODAY = date(2026, 8, 14)


@pytest.fixture(scope="module")
def sample_ws(tmp_path_factory: pytest.TempPathFactory):
    """Settings over the shipped playbooks and sample deals (12 reps, six new hires)."""
    root = tmp_path_factory.mktemp("faces")
    write_sample(root / "deals", n_reps=12, csv=False)
    settings = load_settings({"playbooks": str(REPO / "playbooks"), "store": str(root / ".spmkb"),
                              "deals": str(root / "deals")}, cwd=root, environ={})  # fmt: skip
    return service.open_workspace(settings, today=TODAY)


def test_render_hire_shows_progress_next_modules_and_evidence(sample_ws) -> None:
    (st,) = service.status(sample_ws, "Chloe Dubois")
    text = render_hire(st)
    assert "Chloe Dubois — ae, day 74" in text
    assert "Next modules" in text and "study:" in text
    assert "At least 5 opportunities created by day 30: <b>met on day" in text
    assert "evidence: OPP-" in text
    assert "<script" not in render_team([st])


def test_timeline_has_modules_and_milestones(sample_ws) -> None:
    (st,) = service.status(sample_ws, "Chloe Dubois")
    fig = timeline_figure(st)
    ys = {y for trace in fig.data for y in trace.y}
    assert ys == {"modules", "milestones"}
    assert sum(len(t.x) for t in fig.data if t.y[0] == "modules") == 10


def test_render_milestones_escapes_and_shows_n() -> None:
    row = {"label": "<b>x</b>", "n": [3, 4], "median": [None, 90.0], "hazard_ratio": None,
           "hr_ci": [None, None], "p": None, "q": None, "verdict": "not enough data (n = 3 vs 4)"}  # fmt: skip
    text = render_milestones([row])
    assert "&lt;b&gt;x&lt;/b&gt;" in text and "3 / 4" in text and "not enough data" in text


def test_panel_headless_select_hire_and_error_status(sample_ws) -> None:
    panel = OnboardingPanel(sample_ws, rep="zoe martin")
    assert panel.hire.value == "Zoe Martin" and panel.current.plan.hire.name == "Zoe Martin"
    panel.hire.value = "Chloe Dubois"
    assert "Chloe Dubois" in panel.summary.value
    bad = OnboardingPanel(sample_ws, rep="Nobody")
    assert "Error:" in bad.status.value and "'Nobody' is not a current hire" in bad.status.value


def test_notebook_is_clean_and_short() -> None:
    nb = nbformat.read(REPO / "notebooks" / "onboarding.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    assert sum("parameters" in c.metadata.get("tags", []) for c in code) == 1
    assert len(code) <= 8


@pytest.mark.slow
def test_notebook_executes(sample_ws, tmp_path: Path) -> None:
    import papermill

    out = tmp_path / "onboarding.ipynb"
    s = sample_ws.settings
    papermill.execute_notebook(
        str(REPO / "notebooks" / "onboarding.ipynb"), str(out),
        parameters={"store": str(s.store), "playbooks": str(s.playbooks), "deals": str(s.deals),
                    "today": TODAY.isoformat(), "rep": "Chloe Dubois"},
        cwd=str(tmp_path), progress_bar=False, kernel_name="python3", execution_timeout=300,
    )  # fmt: skip
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
    plots = [o for o in outputs if "application/vnd.plotly.v1+json" in o.get("data", {})]
    assert len(plots) == 2
    html_out = "\n".join(str(o.get("data", {}).get("text/html", "")) for o in outputs)
    assert "Chloe Dubois" in html_out and "verdict" in html_out
