"""Charts of the content-gaps notebook, with one colour meaning in every chart.

A gap (fewer assets than the threshold) is always the warning colour and enough coverage is
always the same blue, whichever comes first: plotly colours categories by first appearance, so
"gap" was blue in the stage chart and red in the type chart. Each title states its n.
"""

from __future__ import annotations

from typing import Any

#: Warning amber: a stage or asset type with too few assets.
GAP_COLOUR = "#e69f00"
#: The panels' blue: enough assets.
OK_COLOUR = "#1f4e79"
OK_LABEL = "enough"


def gap_label(few: int) -> str:
    """The legend entry of a gap, e.g. "gap: fewer than 2 assets"."""
    return f"gap: fewer than {few} assets"


def coverage_figure(frame: Any, facet: str) -> Any:
    """Bar chart of assets per ``facet`` value (a ``stages``/``types`` table of content_gaps)."""
    import plotly.express as px

    few = int(frame.attrs.get("few", 2))
    n = frame.attrs.get("assets")
    gap = gap_label(few)
    data = frame.assign(coverage=[gap if g else OK_LABEL for g in frame["gap"]])
    of = f" (n = {n} assets)" if n is not None else ""
    if n is not None and facet == "stage":
        of = f" (n = {n} assets; an asset can be tagged with several stages)"
    fig = px.bar(
        data,
        x=facet,
        y="assets",
        color="coverage",
        color_discrete_map={gap: GAP_COLOUR, OK_LABEL: OK_COLOUR},
        category_orders={"coverage": [gap, OK_LABEL], facet: list(frame[facet])},
        title=f"Assets per {facet}{of}",
    )
    fig.update_layout(legend_title_text="", yaxis_title="assets", xaxis_title=facet)
    return fig


__all__ = ["GAP_COLOUR", "OK_COLOUR", "OK_LABEL", "coverage_figure", "gap_label"]
