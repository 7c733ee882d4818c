"""The root Typer app and the helpers every command shares.

Commands live in one module per domain (``content``, ``search``, ``deals``, ``reviews``) and
register themselves on :data:`app` or a sub-app. Each command resolves its inputs, calls one
core function and renders the result; :func:`handle_errors` turns an ``SpmkbError`` into
``Error: …`` on stderr and exit code 1, never a traceback: the apps are :class:`App`, whose
``command()`` applies it, so a command cannot forget it. Options that several commands take
together are declared once as an :class:`Options` group (a dataclass of options) that a command
takes as one parameter.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
import sys
import typing
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from spmkb.errors import SpmkbError

F = TypeVar("F", bound=Callable[..., Any])


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


class Options:
    """Base of an option group: a dataclass whose fields are options (``Annotated[T,
    typer.Option(...)]`` with a default) that commands take as one parameter of its type."""


def _with_groups(fn: F) -> F:
    """Spell out each :class:`Options` parameter of ``fn`` as its fields, for Typer.

    Typer sees the fields as options in the group's place; ``fn`` receives the group built
    from them.
    """
    sig = inspect.signature(fn, eval_str=True)
    params: list[inspect.Parameter] = []
    groups: dict[str, tuple[type, list[str]]] = {}
    for p in sig.parameters.values():
        group = p.annotation
        if not (isinstance(group, type) and issubclass(group, Options)):
            params.append(p.replace(kind=inspect.Parameter.KEYWORD_ONLY))
            continue
        hints = typing.get_type_hints(group, include_extras=True)
        fields = dataclasses.fields(group)  # type: ignore[arg-type]
        groups[p.name] = (group, [f.name for f in fields])
        params += [
            inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default,
                              annotation=hints[f.name])
            for f in fields
        ]  # fmt: skip
    if not groups:
        return fn

    @functools.wraps(fn)
    def wrapper(**kwargs: Any) -> Any:
        for name, (group, names) in groups.items():
            kwargs[name] = group(**{n: kwargs.pop(n) for n in names})
        return fn(**kwargs)

    wrapper.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    return wrapper  # type: ignore[return-value]


class App(typer.Typer):
    """A Typer app whose commands print ``Error: …`` and exit 1 on an ``SpmkbError`` and may
    take :class:`Options` groups."""

    def command(self, *args: Any, **kwargs: Any) -> Callable[[F], F]:  # type: ignore[override]
        """Register a command (see ``typer.Typer.command``) with the error handler."""
        register = super().command(*args, **kwargs)

        def decorator(fn: F) -> F:
            register(handle_errors(_with_groups(fn)))
            return fn

        return decorator


app = App(
    name="spmkb",
    help="Sales performance management knowledge base: playbooks, search, deals, reviews.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
deals_app = App(help="Check and import CRM deal data.", no_args_is_help=True)
report_app = App(
    help="Deal analytics on the command line (same figures as the dashboards).",
    no_args_is_help=True,
)
review_app = App(help="Structured performance reviews.", no_args_is_help=True)
app.add_typer(deals_app, name="deals")
app.add_typer(report_app, name="report")
app.add_typer(review_app, name="review")

# Shared option declarations, as default values (``store: Path | None = StoreOpt``) and as
# types (``store: Store = None``, for Options groups).
_STORE_HELP = "Workspace folder (default .spmkb; env SPMKB_STORE)."
_PLAYBOOKS_HELP = "Playbook folder (default playbooks; env SPMKB_PLAYBOOKS)."
_JSON_HELP = "Print machine-readable JSON."
StoreOpt = typer.Option(None, "--store", help=_STORE_HELP)
PlaybooksOpt = typer.Option(None, "--playbooks", help=_PLAYBOOKS_HELP)
ChromaUrlOpt = typer.Option(None, "--chroma-url", help="Chroma server URL (env SPMKB_CHROMA_URL).")
JsonOpt = typer.Option(False, "--json", help=_JSON_HELP)


def flag(name: str, help: str) -> Any:
    """A boolean ``--name`` option, off unless given."""
    return typer.Option(False, name, help=help)


Store = Annotated[Path | None, typer.Option("--store", help=_STORE_HELP)]
Playbooks = Annotated[Path | None, typer.Option("--playbooks", help=_PLAYBOOKS_HELP)]
Json = Annotated[bool, typer.Option("--json", help=_JSON_HELP)]


def settings_from(**flags: Any):  # -> Settings (lazy import keeps --help fast)
    """Resolve workspace settings with CLI flags (``None`` = not given) on top."""
    from spmkb.config import load_settings

    return load_settings({k: v for k, v in flags.items() if v is not None})


def echo_each(prefix: str, items: Iterable[Any]) -> None:
    """Print one line per item: ``prefix`` then the item (``echo_each("Note: ", notes)``)."""
    for item in items:
        typer.echo(f"{prefix}{item}")


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
