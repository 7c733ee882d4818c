"""Real browser: the three coaching notebooks served by Voila against the sample deal data and
driven in Chromium (Playwright): choose a team, build and save a plan, switch the recognition
board to a rep's own view.

Same harness as the other browser tests (tests/browser_harness.py: Debian Chromium, the
playwright package, never ``playwright install``; skips without them unless
SPMKB_REQUIRE_BROWSER=1). One Voila server over a folder holding the three notebooks binds
127.0.0.1 on a free port, runs in its own process group and is stopped by PID in teardown.
Screenshots: tests/output/ui/coaching-*.png.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_harness import ARGS, CHROMIUM, SHOTS, WAIT_MS, free_port, need_browser, stop, wait_http

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = ("top-performers.ipynb", "coaching.ipynb", "recognition.ipynb")


@pytest.fixture(scope="module")
def voila(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """Voila over a folder with the three notebooks; the sample as the workspace's deals."""
    need_browser()
    from spmkb.deals.sample import write_sample

    base = tmp_path_factory.mktemp("coaching-voila")
    root = base / "root"
    root.mkdir()
    for name in NOTEBOOKS:
        shutil.copy(REPO / "notebooks" / name, root / name)
    write_sample(base / "store" / "deals", csv=False)
    env = {**__import__("os").environ, "SPMKB_STORE": str(base / "store"),
           "SPMKB_PLAYBOOKS": str(REPO / "playbooks"), "PYTHONPATH": str(REPO),
           "JUPYTER_CONFIG_DIR": str(base / "config"), "JUPYTER_RUNTIME_DIR": str(base / "rt"),
           "IPYTHONDIR": str(base / "ipython")}  # fmt: skip
    port = free_port()
    log = base / "voila.log"
    cmd = [sys.executable, "-m", "voila", str(root), "--no-browser", f"--port={port}",
           "--Voila.ip=127.0.0.1", "--Voila.port_retries=0"]  # fmt: skip
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, cwd=root)  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        # poll a static file: every GET of a notebook starts a kernel
        wait_http(f"{url}/voila/static/voila.js", {}, proc, log, 180)
        SHOTS.mkdir(parents=True, exist_ok=True)
        yield {"url": url, "log": log, "store": base / "store"}
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def browser(voila: dict) -> Iterator:
    """Headless Debian Chromium, one for this module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield b
        b.close()


def _open(browser, voila: dict, name: str, shot: str, check) -> None:
    """Open ``name`` in Voila, run ``check(page)``, screenshot; on failure a failure shot and
    the server's log."""
    page = browser.new_page(viewport={"width": 1400, "height": 2000})  # Voila scrolls inside
    try:
        page.goto(f"{voila['url']}/voila/render/{name}", timeout=WAIT_MS)
        check(page)
        page.screenshot(path=str(SHOTS / f"{shot}.png"), full_page=True)
    except Exception:
        page.screenshot(path=str(SHOTS / f"{shot}-failure.png"), full_page=True)
        print(voila["log"].read_text()[-3000:])
        raise
    finally:
        page.close()


def _panel(page):
    """The panel's output (the first widget HTML below its status line)."""
    return page.locator(".widget-vbox").first


def test_profile_shows_sentences_with_n_and_ci_and_switches_team(browser, voila) -> None:
    def check(page) -> None:
        head = page.locator("h3", has_text="Top performers 2026-H1 — all teams")
        head.wait_for(timeout=WAIT_MS)
        text = _panel(page).inner_text()
        assert "Top performers: discovery before the demo in " in text
        assert "95 % CI +" in text and "n = " in text and " reps vs " in text
        assert "Every measure (" in text and "Difference (95 % CI)" in text
        assert "Profile(" not in page.content()  # no raw repr
        assert page.locator(".cm-editor, .CodeMirror, .jp-CodeMirrorEditor").count() == 0
        page.locator(".widget-dropdown select").first.select_option(label="West")
        page.get_by_role("button", name="Show profile").click()
        page.locator("h3", has_text="Top performers 2026-H1 — West").wait_for(timeout=WAIT_MS)
        west = _panel(page).inner_text()
        assert "Too few reps to profile the top tier in 2026-H1 (West): 1 top and 9 other" in west
        assert "measures tested" not in west  # no table of numbers under a "too few" message
        page.locator(".widget-dropdown select").first.select_option(label="Enterprise")
        page.get_by_role("button", name="Show profile").click()
        page.locator("h3", has_text="Top performers 2026-H1 — Enterprise").wait_for(timeout=WAIT_MS)
        ent = _panel(page).inner_text()
        assert "3 reps in the top tier, 11 reps in the rest" in ent
        assert "No measure separates the top tier from the rest" in ent

    _open(browser, voila, "top-performers.ipynb", "coaching-profile", check)


def test_plan_built_and_saved_twice_gives_versions(browser, voila) -> None:
    def check(page) -> None:
        page.get_by_role("button", name="Build plan").wait_for(timeout=WAIT_MS)
        page.locator(".widget-dropdown select").first.select_option(label="Lena Fischer")
        page.get_by_role("button", name="Build plan").click()
        page.locator("h3", has_text="Coaching plan — Lena Fischer (2026-Q3)").wait_for(
            timeout=WAIT_MS
        )
        text = _panel(page).inner_text()
        assert "Focus: discovery -> demo: 58% vs rest of team 80% (n = 76 vs 889" in text
        assert "not saved yet" in text
        page.get_by_role("button", name="Save").click()
        page.locator(".spmkb-status", has_text="Error:").wait_for(timeout=60_000)
        assert "author is required" in _panel(page).inner_text()
        page.get_by_placeholder("your name").fill("Grace Okafor")
        page.get_by_role("button", name="Save").click()
        page.locator(".spmkb-status", has_text="Saved version 1.").wait_for(timeout=60_000)
        assert "Saved version 1 (draft)" in _panel(page).inner_text()
        page.get_by_role("button", name="Save").click()
        page.locator(".spmkb-status", has_text="Saved version 2.").wait_for(timeout=60_000)

    _open(browser, voila, "coaching.ipynb", "coaching-plan", check)
    from spmkb.coaching import store

    conn = store.open_db(voila["store"] / "spmkb.db")
    ids = [r[0] for r in conn.execute("SELECT doc_id FROM coaching_docs WHERE rep = ?", ("Lena Fischer",))]  # fmt: skip
    assert len(ids) == 1 and ids[0].endswith("/2026-Q3")
    assert [v.version for v in store.versions(conn, ids[0])] == [1, 2]


def test_recognition_board_without_ranks_then_a_reps_own_view(browser, voila) -> None:
    def check(page) -> None:
        page.locator("h1", has_text="Recognition 2026-Q2").first.wait_for(timeout=WAIT_MS)
        board = _panel(page).inner_text()
        assert "Levels: 100% / 125% / 150% of quota" in board
        assert "Position" not in page.inner_text("body") and "above " not in board
        selects = page.locator(".widget-dropdown select")
        selects.nth(0).select_option(label="East")
        page.get_by_role("button", name="Show", exact=True).click()
        page.locator("h1", has_text="Recognition 2026-Q2 — East").wait_for(timeout=WAIT_MS)
        assert "Position" not in _panel(page).inner_text()
        selects.nth(1).select_option(label="Leo Moreau")
        page.get_by_role("button", name="Show", exact=True).click()
        page.locator("h3", has_text="Leo Moreau — 2026-Q2 (only you see this)").wait_for(
            timeout=WAIT_MS
        )
        view = _panel(page).inner_text()
        assert "Position: above 13 of the 14 other reps with a quota in East." in view
        assert "not for the team channel" in view

    _open(browser, voila, "recognition.ipynb", "coaching-recognition", check)
