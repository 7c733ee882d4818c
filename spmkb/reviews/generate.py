"""Generate review notebooks: ``reviews/<period>/<rep-slug>.ipynb`` executed with papermill.

:func:`new_review` checks everything cheap first (rep, period, standards, database) so a bad
input fails before any notebook is written, then executes the template
(``spmkb/templates/review.ipynb``, or ``[reviews] template``) with
:func:`spmkb.notebooks.run_notebook`, which writes a temporary file and moves it into place, so
a failed run never leaves a half-written review. :func:`new_reviews` does the same for many
reps: recommendations are computed once in this process (one model load for the batch) and
passed to each notebook as JSON, and notebooks run in a small pool of worker processes
(papermill starts one kernel per notebook).

The executed notebook is finished before it is moved into place
(:func:`finish_notebook`): the template's example parameters are dropped (the injected ones,
this review's, are the only parameters shown), as is the widget state papermill saves (the form
shows its saved answers as HTML until the cells run). A rep without deals closing in the period
still gets a review, with a warning in :attr:`BatchResult.warnings`.
"""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spmkb.config import Settings
from spmkb.deals.periods import Period
from spmkb.errors import ReviewError, SpmkbError
from spmkb.notebooks import Template, packaged_template, run_notebook, shutdown_kernel
from spmkb.reviews.store import ensure_review, open_db, slugify

#: The packaged review template (``spmkb/templates/review.ipynb``).
TEMPLATE = "review.ipynb"

#: Seconds a review cell may run before the review fails (a lost kernel message otherwise hangs).
CELL_TIMEOUT = 300


@dataclass
class BatchResult:
    """Outcome of generating many reviews."""

    period: str
    paths: dict[str, str] = field(default_factory=dict)  # rep -> notebook
    errors: dict[str, str] = field(default_factory=dict)  # rep -> message
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # e.g. no deals in the period

    @property
    def ok(self) -> bool:
        """Whether every review was generated."""
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        """Return the result as a JSON-ready dict."""
        n = len(self.paths)
        return {
            "period": self.period,
            "generated": n,
            "failed": len(self.errors),
            "paths": self.paths,
            "errors": self.errors,
            "seconds": round(self.seconds, 2),
            "seconds_per_review": round(self.seconds / n, 2) if n else None,
            "notes": self.notes,
            "warnings": self.warnings,
        }


def template_path(settings: Settings) -> Template:
    """The review template: ``[reviews] template`` in spmkb.toml, else the packaged one."""
    custom = settings.option("reviews", "template")
    if custom is None:
        return packaged_template(TEMPLATE)
    path = Path(custom)
    if not path.is_file():
        raise ReviewError(
            "review template not found",
            path=path,
            field="reviews.template",
            hint="set [reviews] template in spmkb.toml to an .ipynb with a 'parameters' cell "
            "(relative to the spmkb.toml folder), or remove it to use the packaged template",
        )
    return path


def output_path(settings: Settings, rep: str, period: str, out_dir: Path | None = None) -> Path:
    """Where a rep's review notebook goes: ``<reviews_dir>/<period>/<rep-slug>.ipynb``."""
    return Path(out_dir or settings.reviews_dir) / str(period) / f"{slugify(rep)}.ipynb"


def _parameters(
    settings: Settings, rep: str, period: str, recommendations: dict[str, Any] | None
) -> dict[str, Any]:
    deals = (
        Path(settings.deals).resolve() if settings.deals else Path(settings.deals_store).resolve()
    )
    return {
        "rep": rep,
        "period": period,
        "data_dir": str(deals),
        "store": str(Path(settings.store).resolve()),
        "standards": str(Path(settings.standards).resolve()),
        "playbooks": str(Path(settings.playbooks).resolve()),
        "recommendations_json": json.dumps(recommendations) if recommendations is not None else "",
        # the kernel reads the same spmkb.toml ([deals], [reviews] rubric...) wherever it runs
        "config": str(settings.config_file.resolve()) if settings.config_file else "",
    }


def _prepare(settings: Settings, data: Any, period: str) -> tuple[Any, Any]:
    """Validate standards and open the database before any notebook is written."""
    from spmkb.reviews.standards import load_standards

    Period.parse(period)
    standards = load_standards(settings=settings)
    conn = open_db(settings.db_path)  # StorageError (and no writes) when corrupt
    return standards, conn


def recommendations_for(
    settings: Settings, data: Any, reps: list[str], period: str
) -> tuple[dict[str, Any], str]:
    """Recommendations per rep for their focus stage, with one Searcher for the batch."""
    from spmkb.reviews.sections import focus_of, open_searcher, recommend_for_stage

    searcher, note = open_searcher(settings)
    by_stage: dict[Any, dict[str, Any]] = {}
    out = {}
    for rep in reps:
        try:
            stage = focus_of(data, rep, period).get("stage")
        except SpmkbError:
            stage = None
        if stage not in by_stage:
            rec = recommend_for_stage(searcher, stage)
            if searcher is None and stage:
                rec["note"] = note
            by_stage[stage] = rec
        out[rep] = by_stage[stage]
    return out, note


def new_review(
    settings: Settings,
    rep: str,
    period: str,
    *,
    out_dir: Path | None = None,
    recommend: bool | None = None,
    data: Any = None,
) -> Path:
    """Generate and execute one rep's review notebook; return its path.

    ``recommend``: True = recommend assets (needs a search index), False = skip, None = when an
    index exists.
    """
    result = new_reviews(
        settings, [rep], period, out_dir=out_dir, recommend=recommend, data=data, workers=1
    )
    if result.errors:
        raise ReviewError(next(iter(result.errors.values())))
    return Path(next(iter(result.paths.values())))


def finish_notebook(nb: Any) -> Any:
    """What a reader of the executed review sees: only this review's parameters, no stale state.

    Drops the template's ``parameters`` cell (its example values stand above the injected
    ones), the widget state papermill saved (a form that cannot save; the form cell's HTML
    output shows the saved answers instead) and any kernel warning about unencrypted TCP;
    numbers the executed cells from 1.
    """
    from spmkb.notebooks import TCP_WARNING

    nb.cells = [
        c
        for c in nb.cells
        if not ("parameters" in c.metadata.get("tags", []) and c.cell_type == "code")
    ]
    nb.metadata.pop("widgets", None)
    count = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if cell.get("execution_count") is not None:  # [1], [2]… even in a reused kernel
            count += 1
            cell.execution_count = count
            for out in cell.outputs:
                if "execution_count" in out:
                    out["execution_count"] = count
        for out in cell.outputs:
            if out.get("output_type") == "stream" and TCP_WARNING in out.get("text", ""):
                out["text"] = "".join(
                    line for line in out["text"].splitlines(True) if TCP_WARNING not in line
                )
        cell.outputs = [
            o for o in cell.outputs if o.get("output_type") != "stream" or o.get("text")
        ]
    return nb


def _finish(raw: Path, out: Path) -> None:
    """Write :func:`finish_notebook` of ``raw`` to ``out`` atomically."""
    import nbformat

    nb = finish_notebook(nbformat.read(str(raw), as_version=4))
    tmp = out.with_name(f".{out.stem}.{os.getpid()}.tmp.ipynb")
    nbformat.write(nb, str(tmp))
    os.replace(tmp, out)


def _run_one(
    args: tuple[str, Template, str, dict[str, Any], bool],
) -> tuple[str, str | None, str | None]:
    rep, template, out, params, reuse = args
    # A reused kernel starts in the reviews folder (one kernel serves every period's folder).
    cwd = Path(out).parent.parent if reuse else Path(out).parent
    raw = Path(out).with_name(f".{Path(out).stem}.{os.getpid()}.run.ipynb")
    try:
        run_notebook(template, raw, params, timeout=CELL_TIMEOUT, cwd=cwd, reuse_kernel=reuse)
        _finish(raw, Path(out))
    except SpmkbError as err:
        if getattr(err, "path", None) == raw:
            err.path = Path(out)  # name the review, not the temporary run file
        return rep, None, str(err)
    finally:
        raw.unlink(missing_ok=True)
    return rep, out, None


def period_warnings(data: Any, reps: list[str], period: str) -> list[str]:
    """Warnings for a period without data: none of the data, or none of a rep's deals, close in it."""
    from spmkb.deals._frame import date_of, deal_frame, select

    f = deal_frame(data)
    in_period = select(f, period=period)
    if not in_period.any():
        closes = f.close[f.closed]
        span = (
            f" (the deal data closes deals from {date_of(int(closes.min()))} to "
            f"{date_of(int(closes.max()))})"
            if len(closes)
            else " (the deal data has no closed deals)"
        )
        return [
            f"no deals in the data close in {period}{span}: the review(s) show no figures; "
            "check the period"
        ]
    return [
        f"{rep} has no deals closing in {period}: the review shows no figures"
        for rep in reps
        if not (in_period & select(f, rep=rep)).any()
    ]


def new_reviews(
    settings: Settings,
    reps: list[str],
    period: str,
    *,
    out_dir: Path | None = None,
    recommend: bool | None = None,
    data: Any = None,
    workers: int = 2,
) -> BatchResult:
    """Generate reviews for ``reps``; errors are collected per rep, the rest still generated."""
    from spmkb.deals.workspace import load_deal_data
    from spmkb.deals.roster import roster

    started = time.perf_counter()
    data = data if data is not None else load_deal_data(settings)
    ros = roster(data)
    period = Period.parse(period).label
    result = BatchResult(period)
    names = []
    for rep in reps:
        names.append(ros.find_name(rep))  # unknown rep: NotFoundError before anything runs
    _standards, conn = _prepare(settings, data, period)
    template = template_path(settings)
    recs: dict[str, Any] = {}
    if recommend is not False:
        has_index = bool(settings.chroma_url) or Path(settings.chroma_path).exists()
        if recommend or has_index:
            recs, note = recommendations_for(settings, data, names, period)
            if note:
                result.notes.append(note)
    result.warnings = period_warnings(data, names, period)
    reuse = len(names) > 1
    # Same-team reviews share team figures (cached in the kernel): keep them on one worker.
    names = sorted(dict.fromkeys(names), key=lambda r: (str(ros.team_of(r)), r))
    jobs = [
        (
            rep,
            template,
            str(output_path(settings, rep, period, out_dir)),
            _parameters(settings, rep, period, recs.get(rep)),
            reuse,
        )
        for rep in names
    ]
    if workers > 1 and len(jobs) > 1:
        import multiprocessing as mp

        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
            chunk = max(1, -(-len(jobs) // (workers * 2)))
            outcomes = list(pool.map(_run_one, jobs, chunksize=chunk))
    else:
        try:
            outcomes = [_run_one(j) for j in jobs]
        finally:
            shutdown_kernel()
    for rep, path, error in outcomes:
        if error:
            result.errors[rep] = error
            continue
        result.paths[rep] = str(path)
        ensure_review(conn, rep, period, team=ros.team_of(rep), notebook=str(path))
    result.seconds = time.perf_counter() - started
    return result
