"""``spmkb eval``: measure search quality on labeled queries (a thin face over :mod:`spmkb.search.evaluate`)."""

from __future__ import annotations

from pathlib import Path

import typer

from spmkb.cli import _app as cli

ALL = ("hybrid", "semantic", "lexical")


@cli.app.command("eval")
def eval_cmd(
    queries: Path = typer.Argument(
        ...,
        help="Labeled queries: a YAML file (eval/queries.yml) or a BEIR folder (corpus.jsonl, queries.jsonl, qrels/test.tsv).",
    ),
    store: str = cli.StoreOpt,
    playbooks: str = cli.PlaybooksOpt,
    chroma_url: str = cli.ChromaUrlOpt,
    mode: str = typer.Option("hybrid", "--mode", help="hybrid, semantic, lexical or all."),
    k: int = typer.Option(
        10, "-k", min=5, max=100, help="Depth of each result list (recall@k, MRR, nDCG@k)."
    ),
    no_index: bool = cli.flag(
        "--no-index", "Score a YAML set against the index as it is (skip the incremental re-index)."
    ),
    misses: bool = cli.flag(
        "--misses", "List the queries whose relevant assets were not all found."
    ),
    as_json: bool = cli.JsonOpt,
) -> None:
    """Measure search quality: recall@5, recall@k, MRR and nDCG@k over labeled queries.

    A YAML file is scored against the workspace index (brought up to date first), or against
    the library it names (library: folder, indexed into <store>/eval-<folder name>). Queries
    carrying a kind (keyword, mixed, paraphrase) are also reported per kind. A BEIR
    folder's corpus is indexed once into <store>/beir-<folder name> and reused afterwards.

    Example: spmkb eval eval/queries.yml --mode all

    Example: spmkb eval ../shared/data/ir-cranfield --mode all --json
    """
    from spmkb.search.evaluate import run_evaluation

    modes = ALL if mode == "all" else (mode,)
    settings = cli.settings_from(store=store, playbooks=playbooks, chroma_url=chroma_url)
    run = run_evaluation(
        queries, settings, modes=modes, k=k, index=not no_index, progress=not as_json
    )
    if as_json:
        cli.emit_json(run.to_dict())
        return
    first = next(iter(run.reports.values()))
    line = f"{run.source}: {len(first.per_query)} queries, top {k}"
    if run.index is not None:
        line += f" (index: {run.index.assets} assets, {run.index.embedded} sections embedded now, {run.index.reused} reused)"
    typer.echo(line)
    names = list(first.metrics)
    typer.echo(f"{'mode':<10}" + "".join(f"{n:>11}" for n in names) + f"{'median ms':>11}")
    for name, report in run.reports.items():
        values = "".join(f"{v:>11.3f}" for v in report.metrics.values())
        typer.echo(f"{name:<10}{values}{report.latency_ms:>11.0f}")
    kinds = {name: r.by_kind for name, r in run.reports.items()}
    if any(set(k) - {"none"} for k in kinds.values()):
        typer.echo("By query kind (n = queries of that kind):")
        typer.echo(f"{'mode':<10}{'kind':<12}{'n':>5}" + "".join(f"{n:>11}" for n in names))
        for name, groups in kinds.items():
            for kind, (n, metrics) in groups.items():
                values = "".join(f"{v:>11.3f}" for v in metrics.values())
                typer.echo(f"{name:<10}{kind:<12}{n:>5}{values}")
    if misses:
        for name, report in run.reports.items():
            for q in report.per_query:
                missed = [r for r in q.query.relevant if r not in q.found]
                if missed:
                    typer.echo(
                        f"[{name}] {q.query.query!r} ({q.query.id}): missed {', '.join(missed)}"
                    )
    for query, ids in first.unknown.items():
        typer.echo(f"Warning: {query!r} lists ids not in the index: {', '.join(ids)}", err=True)
