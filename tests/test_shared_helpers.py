"""The small shared helpers: cli.App and Options groups, did_you_mean, fmt.figure, Jsonable."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import pytest
import typer
from typer.testing import CliRunner

from spmkb.cli._app import App, Json, Options
from spmkb.errors import ConfigError, did_you_mean
from spmkb.fmt import CELL, PROSE, difference, figure
from spmkb.jsonable import Jsonable


@dataclass(frozen=True)
class _Where(Options):
    """--team and --json (a test group)."""

    team: Annotated[str | None, typer.Option("--team", help="Only this team.")] = None
    json_out: Json = False


def _app() -> tuple[App, list[object]]:
    app = App(no_args_is_help=True)
    seen: list[object] = []

    @app.command("show")
    def show(rep: str = typer.Option(..., "--rep", help="Rep."), *, where: _Where) -> None:
        """Show a rep. Example: x show --rep Ada"""
        seen.append((rep, where))
        if rep == "nobody":
            raise ConfigError("no such rep", field="--rep", hint="check the name")

    @app.command("other")
    def other() -> None:
        """Another command, so that `show` is a sub-command."""

    return app, seen


def test_an_options_group_is_spelt_out_as_options_and_handed_over_built() -> None:
    app, seen = _app()
    result = CliRunner().invoke(app, ["show", "--rep", "Ada", "--team", "East", "--json"])
    assert result.exit_code == 0, result.output
    assert seen == [("Ada", _Where(team="East", json_out=True))]
    helped = CliRunner().invoke(app, ["show", "--help"], env={"COLUMNS": "120"})
    # the group's options stand where the group parameter stands: after --rep
    assert helped.output.index("--rep") < helped.output.index("--team")
    assert helped.output.index("--team") < helped.output.index("--json")


def test_a_command_of_an_app_prints_spmkb_errors_and_exits_1() -> None:
    app, _seen = _app()
    result = CliRunner().invoke(app, ["show", "--rep", "nobody"])
    assert result.exit_code == 1
    assert result.output == "Error: field '--rep': no such rep — check the name\n"


def test_did_you_mean_puts_the_closest_choice_before_the_list() -> None:
    assert (
        did_you_mean("tema", ["team", "rep"], "known: ") == "did you mean 'team'? known: team, rep"
    )
    assert did_you_mean("zzz", ["team", "rep"], "known: ") == "known: team, rep"
    shown = did_you_mean("dels", ["deals", "k"], "known settings: ", ["[deals]", "k"])
    assert shown == "did you mean 'deals'? known settings: [deals], k"


@pytest.mark.parametrize(
    ("value", "unit", "style", "expected"),
    [
        (0.256, "ratio", CELL, "26%"),
        (1234567.4, "money", CELL, "1,234,567"),
        (12.34, "days", CELL, "12.3 d"),
        (12.34, "days", PROSE, "12 days"),
        (3.0, "count", CELL, "3"),
        (3.0, "count", PROSE, "3"),
        (1026.04, "count", PROSE, "1,026"),
        (2.44, "count", CELL, "2.4"),
        (2.44, "count", PROSE, "2.4"),
        (1.256, "times", CELL, "1.26×"),
        (2.25, "", PROSE, "2.2"),
    ],
)
def test_figure_writes_each_unit_as_its_style_says(
    value: float, unit: str, style: dict[str, str], expected: str
) -> None:
    assert figure(value, unit, style) == expected


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (0.123, "ratio", "+12 pts"),
        (-1250.4, "money", "-1,250"),
        (376.2, "count", "+376"),
        (0.44, "count", "+0.4"),
        (-3.6, "days", "-4 days"),
        (0.25, "times", "+0.2"),
    ],
)
def test_difference_writes_a_signed_gap_in_the_unit(value: float, unit: str, expected: str) -> None:
    assert difference(value, unit) == expected


def test_jsonable_to_dict_is_the_fields() -> None:
    @dataclass
    class Point(Jsonable):
        x: int
        tags: tuple[str, ...] = ()

    assert Point(1, ("a",)).to_dict() == {"x": 1, "tags": ("a",)}


@pytest.mark.parametrize(
    ("p", "expected"),
    [(0.0123, "0.012"), (0.0004, "<0.001"), (0.0005, "0.001"), (float("nan"), "-")],
)
def test_p_cell_writes_a_table_p_value(p: float, expected: str) -> None:
    """0.0004 would round to 0.000, so it reads "<0.001"; 0.0005 rounds to 0.001; NaN is "-"."""
    from spmkb.fmt import p_cell

    assert p_cell(p) == expected
