"""Export a review as one standalone HTML file: the executed notebook's outputs without any
code, followed by the latest saved version of the form (sanitised)."""

from __future__ import annotations

import re

from pathlib import Path
from typing import Any

from spmkb.errors import NotFoundError, ReviewError

#: nbconvert settings that would make the export load scripts from a CDN.
OFFLINE_URLS = (
    "require_js_url",
    "mathjax_url",
    "jquery_url",
    "jupyter_widgets_base_url",
    "widget_renderer_url",
    "mermaid_js_url",
    "mermaid_layout_elk_js_url",
)
#: Cells dropped from the export: the JSON data cell, the live form (replaced by the saved
#: review), notes for whoever runs the notebook and the parameters.
DROP_TAGS = ("review-data", "review-form", "review-help", "parameters", "injected-parameters")


def review_notebook(settings: Any, rep: str, period: str) -> Path:
    """The generated notebook of a review (NotFoundError with a hint when there is none)."""
    from spmkb.reviews.generate import output_path
    from spmkb.reviews.store import open_db, review_rows

    candidates = [output_path(settings, rep, period)]
    if Path(settings.db_path).exists():
        for row in review_rows(open_db(settings.db_path, create=False), period=period):
            if row["rep"].lower() == rep.lower() and row["notebook"]:
                candidates.insert(0, Path(row["notebook"]))
    for path in candidates:
        if path.is_file():
            return path
    raise NotFoundError(
        f"no review notebook for {rep} in {period}",
        path=candidates[-1],
        hint=f"generate it first: spmkb review new --rep '{rep}' --period {period}",
    )


def export_html(notebook: Path, saved_html: str, title: str) -> str:
    """HTML of ``notebook`` with inputs and prompts removed and ``saved_html`` appended."""
    import nbformat
    from nbconvert import HTMLExporter

    try:
        nb = nbformat.read(str(notebook), as_version=4)
    except Exception as exc:  # unreadable or not a notebook
        raise ReviewError(f"cannot read review notebook: {exc}", path=notebook) from None
    cells = [c for c in nb.cells if not set(c.get("metadata", {}).get("tags", [])) & set(DROP_TAGS)]
    saved = nbformat.v4.new_code_cell("")
    saved.outputs = [nbformat.v4.new_output("display_data", data={"text/html": saved_html})]
    nb.cells = [*cells, nbformat.v4.new_markdown_cell("## Saved review"), saved]
    nb.metadata.pop("widgets", None)
    # A standalone file that works offline and loads nothing from outside: no require.js,
    # MathJax, jQuery, widget or mermaid scripts from a CDN (the outputs are static HTML).
    offline = {name: "" for name in OFFLINE_URLS}
    exporter = HTMLExporter(
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True, **offline
    )
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    body = re.sub(r"<script[^>]*\bsrc=\"\"[^>]*>\s*</script>", "", body)
    return re.sub(
        r"<script[^>]*>(?:(?!</script>).)*(?:https?:)?//[^\"'\s]*\.m?js(?:(?!</script>).)*</script>",
        "",
        body,
        flags=re.S,
    )


def export_review(settings: Any, rep: str, period: str, out: Path | None = None) -> Path:
    """Write ``<notebook>.html`` (or ``out``) for a rep's review; return the path."""
    from spmkb.deals.periods import Period
    from spmkb.reviews.render import render_saved
    from spmkb.reviews.rubric import load_rubric
    from spmkb.reviews.store import latest, open_db

    period = Period.parse(period).label
    notebook = review_notebook(settings, rep, period)
    version = None
    if Path(settings.db_path).exists():
        conn = open_db(settings.db_path, create=False)
        rows = conn.execute(
            "SELECT rep FROM reviews WHERE period = ? AND lower(rep) = lower(?)", (period, rep)
        ).fetchone()
        version = latest(conn, rows["rep"] if rows else rep, period)
    try:
        rubric = load_rubric(settings)
    except ReviewError:
        rubric = None
    html = export_html(notebook, render_saved(version, rubric), f"Review {rep} {period}")
    target = Path(out) if out else notebook.with_suffix(".html")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(html, encoding="utf-8")
    return target
