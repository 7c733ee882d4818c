"""The notebook runner: packaged templates, papermill execution, atomic output, clean errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from spmkb.errors import NotebookError
from spmkb.notebooks import (
    TCP_WARNING,
    packaged_template,
    run_notebook,
    shutdown_kernel,
    template_text,
)

DATA = Path(__file__).parent / "data" / "notebooks"


def _stdout(path: Path) -> list[str]:
    """Every stdout line the executed notebook printed."""
    nb = nbformat.read(str(path), as_version=4)
    return [
        line
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("name") == "stdout"
        for line in o["text"].splitlines()
    ]


def test_packaged_review_template_is_read_from_the_package() -> None:
    res = packaged_template("review.ipynb")
    assert Path(str(res)).parent.name == "templates"
    assert Path(str(res)).parent.parent.name == "spmkb"  # inside the package, not notebooks/
    nb = json.loads(template_text("review.ipynb"))
    params = [c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", [])]
    assert len(params) == 1
    names = {line.split("=")[0].strip() for line in params[0]["source"]}
    assert names == {
        "rep",
        "period",
        "data_dir",
        "store",
        "standards",
        "playbooks",
        "recommendations_json",
        "config",
    }
    # committed clean: no outputs, no execution counts
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)


def test_unknown_packaged_template_lists_the_known_ones() -> None:
    with pytest.raises(NotebookError) as exc:
        packaged_template("reveiw.ipynb")
    assert str(exc.value) == (
        "field 'template': no packaged notebook template named 'reveiw.ipynb'"
        " — packaged templates: review.ipynb"
    )


@pytest.mark.slow
def test_run_injects_parameters_and_filters_only_the_tcp_warning(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """x = 21 doubles to 42; the kernel's own stderr line is kept, its TCP warning dropped."""
    import spmkb.notebooks as runner

    before = runner.dropped_warnings
    out = tmp_path / "sub" / "double.ipynb"
    got = run_notebook(DATA / "double.ipynb", out, {"x": 21, "label": "twice"}, timeout=60)
    assert got == out
    assert _stdout(out)[0] == "twice 42"
    nb = nbformat.read(str(out), as_version=4)
    assert [c.execution_count for c in nb.cells if c.cell_type == "code"] == [1, 2, 3, 4]
    assert sorted(p.name for p in out.parent.iterdir()) == ["double.ipynb"]  # no temp file left
    err = capfd.readouterr().err
    assert "kernel-stderr-marker" in err  # the kernel's stderr still reaches ours
    assert TCP_WARNING not in err
    assert runner.dropped_warnings == before + 1  # the kernel did warn; the filter dropped it


def test_stderr_forwarder_drops_only_the_tcp_warning(capfd: pytest.CaptureFixture[str]) -> None:
    """Three lines in, the middle one the kernel's TCP warning: the other two come out, in order."""
    import io

    import spmkb.notebooks as runner

    before = runner.dropped_warnings
    lines = f"first line\n[IPKernelApp] WARNING | {TCP_WARNING}. Use IPC.\nlast line\n"
    runner._forward_stderr(io.BytesIO(lines.encode()))
    assert capfd.readouterr().err == "first line\nlast line\n"
    assert runner.dropped_warnings == before + 1


@pytest.mark.slow
def test_failing_cell_is_named_and_nothing_is_written(tmp_path: Path) -> None:
    """Cell 4 of fails.ipynb raises; an older notebook at ``out`` is left as it was."""
    out = tmp_path / "fails.ipynb"
    out.write_text("previous run")
    with pytest.raises(NotebookError) as exc:
        run_notebook(DATA / "fails.ipynb", out, {"x": 7}, timeout=60)
    assert str(exc.value) == (
        f"{out}: notebook fails.ipynb: cell 4 (raise ValueError(f'bad x: {{x}}')) raised "
        "ValueError: bad x: 7 — nothing was written; run the template by hand "
        "(jupyter lab) to see the cell"
    )
    assert exc.value.cell == 4
    assert out.read_text() == "previous run"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fails.ipynb"]


@pytest.mark.slow
def test_timeout_fails_the_cell_instead_of_hanging(tmp_path: Path) -> None:
    out = tmp_path / "sleeps.ipynb"
    with pytest.raises(NotebookError) as exc:
        run_notebook(DATA / "sleeps.ipynb", out, {}, timeout=2)
    assert "cell 2 (import time) timed out after 2 s" in str(exc.value)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_reused_kernel_serves_several_runs_and_fresh_ones_do_not(tmp_path: Path) -> None:
    def pid(name: str, reuse: bool) -> str:
        out = run_notebook(
            DATA / "double.ipynb", tmp_path / name, {"x": 1}, timeout=60, reuse_kernel=reuse
        )
        return _stdout(out)[1]

    try:
        first, second = pid("a.ipynb", True), pid("b.ipynb", True)
    finally:
        shutdown_kernel()
    fresh1, fresh2 = pid("c.ipynb", False), pid("d.ipynb", False)
    assert first == second
    assert len({first, fresh1, fresh2}) == 3


@pytest.mark.slow
def test_packaged_template_runs_from_its_resource(tmp_path: Path) -> None:
    """A Traversable (not a path) is read with importlib.resources and executed."""
    with pytest.raises(NotebookError) as exc:
        run_notebook(
            packaged_template("review.ipynb"),
            tmp_path / "r.ipynb",
            {"rep": "Nobody", "period": "2026-Q2", "data_dir": str(tmp_path / "none")},
            timeout=120,
        )
    # the template ran: its first code cell failed on the missing deal folder
    assert "notebook review.ipynb: cell 4 (from spmkb.reviews.notebook import open_review)" in str(
        exc.value
    )
    assert "DealDataError" in str(exc.value)


def test_reviews_template_setting_overrides_the_packaged_one(tmp_path: Path) -> None:
    from spmkb.config import load_settings
    from spmkb.errors import ReviewError
    from spmkb.reviews.generate import template_path

    assert template_path(load_settings(cwd=tmp_path, environ={})) == packaged_template(
        "review.ipynb"
    )
    (tmp_path / "spmkb.toml").write_text('[reviews]\ntemplate = "mine/review.ipynb"\n')
    (tmp_path / "sub").mkdir()
    settings = load_settings(cwd=tmp_path / "sub", environ={})
    with pytest.raises(ReviewError) as exc:
        template_path(settings)
    assert str(exc.value).startswith(
        f"{tmp_path / 'mine' / 'review.ipynb'}, field 'reviews.template': review template not found"
    )
    (tmp_path / "mine").mkdir()
    shutil.copy(DATA / "double.ipynb", tmp_path / "mine" / "review.ipynb")
    assert template_path(settings) == tmp_path / "mine" / "review.ipynb"  # relative to the toml


def test_a_template_that_is_not_a_notebook_fails_before_any_kernel(tmp_path: Path) -> None:
    bad = tmp_path / "broken.ipynb"
    bad.write_text('{"cells": [')
    with pytest.raises(NotebookError) as exc:
        run_notebook(bad, tmp_path / "out.ipynb", {})
    assert str(exc.value).startswith(f"{bad}: not a readable notebook: NotJSONError")
    with pytest.raises(NotebookError, match="notebook template not found"):
        run_notebook(tmp_path / "missing.ipynb", tmp_path / "out.ipynb", {})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.ipynb"]
