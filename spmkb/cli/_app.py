"""The root Typer app and the helpers every command shares.

Commands live in one module per domain (``content``, ``search``, ``deals``, ``reviews``) and
register themselves on :data:`app` or a sub-app. Each command resolves its inputs, calls one
core function and renders the result; :func:`handle_errors` turns an ``SpmkbError`` into
``Error: …`` on stderr and exit code 1, never a traceback.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import typer

from spmkb.errors import SpmkbError

F = TypeVar("F", bound=Callable[..., Any])

app = typer.Typer(
    name="spmkb",
    help="Sales performance management knowledge base: playbooks, search, deals, reviews.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
deals_app = typer.Typer(help="Check and import CRM deal data.", no_args_is_help=True)
report_app = typer.Typer(
    help="Deal analytics on the command line (same figures as the dashboards).",
    no_args_is_help=True,
)
review_app = typer.Typer(help="Structured performance reviews.", no_args_is_help=True)
app.add_typer(deals_app, name="deals")
app.add_typer(report_app, name="report")
app.add_typer(review_app, name="review")

# Shared option declarations (use as default values in command signatures).
StoreOpt = typer.Option(None, "--store", help="Workspace folder (default .spmkb; env SPMKB_STORE).")
PlaybooksOpt = typer.Option(
    None, "--playbooks", help="Playbook folder (default playbooks; env SPMKB_PLAYBOOKS)."
)
ChromaUrlOpt = typer.Option(None, "--chroma-url", help="Chroma server URL (env SPMKB_CHROMA_URL).")
JsonOpt = typer.Option(False, "--json", help="Print machine-readable JSON.")


def handle_errors(fn: F) -> F:
    """Decorate a command so an ``SpmkbError`` prints ``Error: …`` and exits 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SpmkbError as err:
            typer.echo(f"Error: {err}", err=True)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            typer.echo("Interrupted.", err=True)
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def settings_from(**flags: Any):  # -> Settings (lazy import keeps --help fast)
    """Resolve workspace settings with CLI flags (``None`` = not given) on top."""
    from spmkb.config import load_settings

    return load_settings({k: v for k, v in flags.items() if v is not None})


def emit_json(data: Any) -> None:
    """Print ``data`` as indented JSON (dates and paths as strings)."""

    def default(o: Any) -> Any:
        if hasattr(o, "to_dict"):
            return o.to_dict()
        if hasattr(o, "isoformat"):
            return o.isoformat()
        if isinstance(o, Path):
            return str(o)
        if hasattr(o, "item"):
            return o.item()
        return str(o)

    sys.stdout.write(json.dumps(data, indent=2, default=default, ensure_ascii=False) + "\n")
