"""The built wheel works without a source tree: it ships the review template and generates a review.

The wheel is built offline (``--no-build-isolation --no-index``, with the installed setuptools)
from a copy of the project, installed without dependencies into a fresh virtual environment
that reuses this environment's packages through a ``.pth`` line (a plain path line, so the
editable install of spmkb living there is not activated), and run with PYTHONPATH unset from a
folder outside the repository. Nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]


def _run(args: list[str | Path], cwd: Path, env: dict[str, str]) -> str:
    """Run a command; fail the test with its output when it fails."""
    res = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=400
    )
    assert res.returncode == 0, f"{args} failed:\n{res.stdout}\n{res.stderr}"
    return res.stdout


def test_wheel_generates_a_review_outside_the_repo(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False")
    env["PIP_NO_INPUT"] = "1"

    # 1. build the wheel from a copy (an in-tree build would leave build/ in the repo)
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    shutil.copytree(
        REPO / "spmkb", src / "spmkb", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    pip = [sys.executable, "-m", "pip"]
    _run([*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", "dist", src],
         tmp_path, env)  # fmt: skip
    (wheel,) = (tmp_path / "dist").glob("spmkb-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "spmkb/templates/review.ipynb" in names
    assert "spmkb/notebooks.py" in names
    assert not [n for n in names if n.startswith(("tests/", "notebooks/"))]

    # 2. a fresh venv; install the wheel first, then let it see this environment's packages
    # (in that order: pip must not see the shared spmkb, or it would try to replace it)
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], tmp_path, env)
    python = venv / "bin" / "python"
    _run([*pip, "--python", python, "install", "--no-deps", "--no-index", wheel], tmp_path, env)
    purelib = Path(
        _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
             tmp_path, env).strip()
    )  # fmt: skip
    (purelib / "_shared_packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    # 3. spmkb resolves to the installed wheel, not a source tree
    ws = tmp_path / "ws"
    ws.mkdir()
    probe = (
        "import spmkb, importlib.resources as r; print(spmkb.__file__); "
        "print(r.files('spmkb').joinpath('templates/review.ipynb').is_file())"
    )
    where, has_template = _run([python, "-c", probe], ws, env).split()
    assert Path(where) == purelib / "spmkb" / "__init__.py"
    assert has_template == "True"

    # 4. the console script generates and executes a review from the packaged template
    spmkb = venv / "bin" / "spmkb"
    _run([spmkb, "sample-data", "--store", "S"], ws, env)
    out = _run(
        [spmkb, "review", "new", "--rep", "Priya Nair", "--period", "2026-Q2", "--store", "S"],
        ws,
        env,
    )
    notebook = ws / "reviews" / "2026-Q2" / "priya-nair.ipynb"
    assert f"Priya Nair: {notebook}" in out
    nb = nbformat.read(str(notebook), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code)
    assert not [o for c in code for o in c.get("outputs", []) if o["output_type"] == "error"]
    data = next(
        o["data"]["application/json"]
        for c in code
        for o in c.get("outputs", [])
        if "application/json" in o.get("data", {})
    )
    assert (data["rep"], data["period"]) == ("Priya Nair", "2026-Q2")
    assert json.dumps(data)  # the figures are plain JSON
