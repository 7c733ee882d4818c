"""The busy message and page of the hosted app (no server: the text a refused visitor sees)."""

from __future__ import annotations

import pytest

from spmkb.errors import AppBusyError


@pytest.mark.parametrize(
    ("running", "text"),
    [
        (1, "The app is busy: 1 person is using it; try again in a minute"),
        (4, "The app is busy: 4 people are using it; try again in a minute"),
    ],
    ids=["one", "four"],
)
def test_busy_message_counts_people(running: int, text: str) -> None:
    err = AppBusyError(running, limit=running)
    assert err.message == text
    assert str(err) == f"{text} — at most {running} at once (SPMKB_APP_MAX_KERNELS)"


def test_busy_page_states_the_message_the_cap_and_retries_after_a_minute() -> None:
    from spmkb.app import RETRY_AFTER_S, render_busy_page

    page = render_busy_page(AppBusyError(3, 3))
    assert "<h1>The app is busy: 3 people are using it; try again in a minute</h1>" in page
    assert "serves at most 3 people at once" in page
    assert RETRY_AFTER_S == 60
    assert '<meta http-equiv="refresh" content="60">' in page
    assert "<script" not in page


def test_the_app_page_drops_links_to_outside_hosts_and_keeps_local_ones() -> None:
    """Voila's lab template links Font Awesome from cdn.jsdelivr.net (its bundle already has
    the fonts); the hosted app must work offline, so both CDN links go and nothing else does.
    """
    from spmkb.app import strip_remote_links

    cdn = "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@^5/css/all.min.css"
    head = (
        "<style>body{}</style>\n"
        f'  <link rel="stylesheet" href="{cdn}" type="text/css" />\n'
        "  <link rel='stylesheet' HREF='http://example.com/x.css'>\n"
        '  <link rel="icon" href="data:;base64,=">\n'
        '  <link rel="stylesheet" href="/voila/static/index.css">\n'
    )
    assert strip_remote_links(head) == (
        "<style>body{}</style>\n"
        "  "  # the indentation before the first dropped link
        "  "
        '  <link rel="icon" href="data:;base64,=">\n'
        '  <link rel="stylesheet" href="/voila/static/index.css">\n'
    )
