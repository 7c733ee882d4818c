"""Labeled queries for search evaluation, read from YAML with errors that name file, line and field.

Each entry is ``{query, relevant, kind?, filters?, id?, note?}``: ``relevant`` lists asset ids or
paths (``[objections/no-budget]``) or grades them (``{objections/no-budget: 2, stages/closing: 1}``;
grade 0 = not relevant); ``kind`` says how the query is worded (``keyword``: the assets' own
terms; ``paraphrase``: a rep's own words; ``mixed``), so quality can be reported per kind;
``filters`` holds Searcher filters (``{stage: negotiation}``). The file is a list of entries, or a
mapping with a ``queries:`` list and an optional ``library:`` (the folder of assets the set
judges, relative to the file; without it the set is scored against the workspace library).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from spmkb.errors import Problem, SearchError, did_you_mean, suggest

#: Filters a labeled query may carry (the keyword arguments of ``Searcher.search``).
FILTERS = ("stage", "type", "persona", "industry", "competitor")
#: Keys allowed in one YAML entry.
ENTRY_KEYS = ("query", "relevant", "kind", "filters", "id", "note")
#: How a labeled query is worded, relative to the assets it should find.
KINDS = ("keyword", "mixed", "paraphrase")
EXAMPLE = "- query: customer says we're too expensive\n  relevant: [objections/price-too-high]"


@dataclass
class LabeledQuery:
    """One query with the ids (or paths) a human judged relevant, and their grades."""

    query: str
    relevant: dict[str, float]
    filters: dict[str, str] = field(default_factory=dict)
    id: str | None = None
    source: str | None = None  # file it came from
    line: int | None = None  # 1-based line of the entry
    kind: str | None = None  # one of KINDS, None when the set does not say

    def to_dict(self) -> dict[str, Any]:
        """Return the query as a JSON-ready dict (its fields but the source file)."""
        out = asdict(self)
        del out["source"]
        return out


def _problem(
    message: str, path: str, node: Any, field_: str | None = None, hint: str | None = None
) -> Problem:
    line = node.start_mark.line + 1 if node is not None and hasattr(node, "start_mark") else None
    return Problem("error", "labeled-query", message, path=path, line=line, field=field_, hint=hint)


def _entries(text: str, path: str) -> tuple[list[Any], list[Problem]]:
    """YAML nodes of the query entries (a top-level list, or ``queries:`` in a mapping)."""
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        return [], [
            Problem(
                "error",
                "yaml",
                f"invalid YAML: {problem}",
                path=path,
                line=line,
                hint="fix the syntax; entries look like:\n" + EXAMPLE,
            )
        ]
    if root is None:
        return [], [
            Problem(
                "error",
                "labeled-query",
                "no labeled queries in the file",
                path=path,
                hint="add entries like:\n" + EXAMPLE,
            )
        ]
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if key.value == "queries":
                root = value
                break
        else:
            return [], [
                _problem(
                    "expected a list of queries (or a 'queries:' list)",
                    path,
                    root,
                    hint="entries look like:\n" + EXAMPLE,
                )
            ]
    if not isinstance(root, yaml.SequenceNode):
        return [], [
            _problem(
                "expected a list of queries", path, root, hint="entries look like:\n" + EXAMPLE
            )
        ]
    return list(root.value), []


def _relevant(node: Any, path: str) -> tuple[dict[str, float], list[Problem]]:
    """``relevant`` as a list of ids/paths or a mapping id -> grade (> 0)."""
    import yaml

    def scalar(n: Any) -> str | None:
        if isinstance(n, yaml.ScalarNode) and str(n.value).strip():
            return str(n.value).strip()
        return None

    hint = "list asset ids or paths, e.g. relevant: [objections/no-budget], or grade them: {objections/no-budget: 2}"
    out: dict[str, float] = {}
    problems: list[Problem] = []
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            value = scalar(item)
            if value is None:
                problems.append(
                    _problem(
                        "each relevant item must be an asset id or path",
                        path,
                        item,
                        "relevant",
                        hint,
                    )
                )
            else:
                out[value] = 1.0
    elif isinstance(node, yaml.MappingNode):
        for key, grade in node.value:
            name = scalar(key)
            try:
                value = float(grade.value) if isinstance(grade, yaml.ScalarNode) else None
            except ValueError:
                value = None
            if name is None or value is None or not math.isfinite(value) or value < 0:
                problems.append(
                    _problem(
                        f"grade of {key.value!r} must be a number >= 0",
                        path,
                        grade,
                        "relevant",
                        hint,
                    )
                )
            elif value > 0:
                out[name] = value
    elif scalar(node) is not None:
        out[scalar(node) or ""] = 1.0
    else:
        problems.append(
            _problem(
                "must list at least one relevant asset id or path", path, node, "relevant", hint
            )
        )
    if not problems and not out:
        problems.append(
            _problem(
                "must list at least one relevant asset id or path", path, node, "relevant", hint
            )
        )
    return out, problems


def _filters(node: Any, path: str) -> tuple[dict[str, str], list[Problem]]:
    import yaml

    if not isinstance(node, yaml.MappingNode):
        return {}, [
            _problem(
                "filters must be a mapping",
                path,
                node,
                "filters",
                "e.g. filters: {stage: negotiation}",
            )
        ]
    out: dict[str, str] = {}
    problems: list[Problem] = []
    for key, value in node.value:
        name = str(key.value)
        if name not in FILTERS:
            hint = did_you_mean(name, FILTERS, "use ")
            problems.append(
                _problem(f"unknown filter '{name}'", path, key, f"filters.{name}", hint)
            )
        elif not isinstance(value, yaml.ScalarNode) or not str(value.value).strip():
            problems.append(
                _problem(
                    f"filter '{name}' needs one value",
                    path,
                    value,
                    f"filters.{name}",
                    "e.g. filters: {stage: negotiation}",
                )
            )
        else:
            out[name] = str(value.value).strip()
    return out, problems


def _kind(node: Any, path: str) -> tuple[str | None, list[Problem]]:
    """``kind`` as one of KINDS (None when absent)."""
    import yaml

    if node is None:
        return None, []
    value = str(node.value).strip().lower() if isinstance(node, yaml.ScalarNode) else ""
    if value in KINDS:
        return value, []
    close = suggest(value, KINDS) if value else []
    return None, [
        _problem(
            f"unknown kind {value!r}" if value else "kind needs one value",
            path,
            node,
            "kind",
            (f"did you mean '{close[0]}'? " if close else "") + "use " + ", ".join(KINDS),
        )
    ]


def parse_library(text: str, path: str = "<queries>") -> tuple[str | None, list[Problem]]:
    """The ``library:`` folder a labeled set names (as written), or None when it names none."""
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None, []  # parse_queries reports the syntax error
    if not isinstance(root, yaml.MappingNode):
        return None, []
    for key, value in root.value:
        if key.value == "library":
            if isinstance(value, yaml.ScalarNode) and str(value.value).strip():
                return str(value.value).strip(), []
            return None, [
                _problem(
                    "library must be one folder path",
                    path,
                    value,
                    "library",
                    "e.g. library: ../../shared/data/playbooks-sourcegraph (relative to this file)",
                )
            ]
    return None, []


def load_library(path: Path | str) -> Path | None:
    """The library folder a labeled YAML file names, resolved against the file (None if none).

    SearchError naming the file and line when the folder is missing.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None  # load_queries reports it
    value, problems = parse_library(text, str(path))
    raise_problems(problems)
    if value is None:
        return None
    folder = (path.parent / value).resolve()
    if not folder.is_dir():
        import yaml

        root = yaml.compose(text, Loader=yaml.SafeLoader)
        node = next(v for k, v in root.value if k.value == "library")
        raise SearchError(
            f"library folder not found: {folder}",
            path=path,
            line=node.start_mark.line + 1,
            field="library",
            hint="the path is relative to the labeled file; fetch the data or fix the path",
        )
    return folder


def parse_queries(text: str, path: str = "<queries>") -> tuple[list[LabeledQuery], list[Problem]]:
    """Parse labeled queries from YAML text; returns the valid queries and every problem."""
    import yaml

    nodes, problems = _entries(text, path)
    queries: list[LabeledQuery] = []
    for n, node in enumerate(nodes, 1):
        if not isinstance(node, yaml.MappingNode):
            problems.append(
                _problem(
                    f"entry {n} must be a mapping with query and relevant",
                    path,
                    node,
                    hint="entries look like:\n" + EXAMPLE,
                )
            )
            continue
        fields = {str(k.value): (k, v) for k, v in node.value}
        bad: list[Problem] = []
        for name, (key, _) in fields.items():
            if name not in ENTRY_KEYS:
                hint = did_you_mean(name, ENTRY_KEYS, "use ")
                bad.append(_problem(f"unknown key '{name}'", path, key, name, hint))
        query_node = fields.get("query", (None, None))[1]
        query = str(query_node.value).strip() if isinstance(query_node, yaml.ScalarNode) else ""
        if not query:
            bad.append(
                _problem(
                    "missing or empty query",
                    path,
                    query_node or node,
                    "query",
                    "write the query as a rep would type it",
                )
            )
        if "relevant" in fields:
            relevant, more = _relevant(fields["relevant"][1], path)
            bad += more
        else:
            relevant = {}
            bad.append(
                _problem(
                    "missing 'relevant'",
                    path,
                    node,
                    "relevant",
                    "list the asset ids a human would want for this query",
                )
            )
        filters: dict[str, str] = {}
        if "filters" in fields:
            filters, more = _filters(fields["filters"][1], path)
            bad += more
        kind, more = _kind(fields.get("kind", (None, None))[1], path)
        bad += more
        qid_node = fields.get("id", (None, None))[1]
        qid = str(qid_node.value) if isinstance(qid_node, yaml.ScalarNode) else None
        if bad:
            problems += bad
            continue
        line = node.start_mark.line + 1
        queries.append(
            LabeledQuery(query, relevant, filters, qid or f"line {line}", path, line, kind)
        )
    return queries, problems


def load_queries(path: Path | str) -> list[LabeledQuery]:
    """Read a YAML file of labeled queries; SearchError naming file, line and field when invalid.

    Every problem in the file is reported (the first with its location, the rest in the hint).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SearchError(
            "labeled queries file not found",
            path=path,
            hint="pass a YAML file such as eval/queries.yml or a BEIR folder",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SearchError(f"cannot read labeled queries: {exc}", path=path) from None
    queries, problems = parse_queries(text, str(path))
    raise_problems(problems)
    return queries


def raise_problems(problems: list[Problem]) -> None:
    """Raise a SearchError for the first problem, listing the others in its hint."""
    if not problems:
        return
    first = problems[0]
    hint = first.hint
    if len(problems) > 1:
        rest = "; ".join(
            ", ".join(
                x
                for x in (
                    f"line {p.line}" if p.line else None,
                    f"field '{p.field}'" if p.field else None,
                )
                if x
            )
            + f": {p.message}"
            for p in problems[1:]
        )
        hint = (hint + "; " if hint else "") + f"also {rest}"
    raise SearchError(first.message, path=first.path, line=first.line, field=first.field, hint=hint)
