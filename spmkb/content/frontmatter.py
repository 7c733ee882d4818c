"""Validate a YAML front-matter block, keeping the file line of every key.

The YAML is composed into nodes first so every key keeps the line it came from; each
problem names the file, the line, the field and how to fix it. Every field is checked, so
one run reports all wrong fields, not only the first.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import yaml

from spmkb.config import Settings
from spmkb.content.fields import (
    ALIASES,
    EXTENSION_KEYS,
    FIELD_BY_NAME,
    ID_PATTERN,
    ONBOARDING_FIELDS,
    YAML_LOADER,
    FieldSpec,
    FieldValueError,
    convert_value,
    describe_kind,
)
from spmkb.errors import Problem, did_you_mean, suggest

#: Front matter may hold at most this many YAML values once aliases are expanded.
MAX_NODES = 5000


def _expanded_size(node: yaml.Node, limit: int) -> int:
    """Count nodes with aliases expanded, stopping once ``limit`` is passed (alias bombs)."""
    count = 0
    stack = [node]
    while stack and count <= limit:
        current = stack.pop()
        count += 1
        if isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
        elif isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                stack.extend((key, value))
    return count


def _first_line(exc: BaseException) -> str:
    """The message of a YAML error without PyYAML's internal position line
    (``in "<unicode string>", line 1, column 8``: the Problem gives the file's own line)."""
    problem = getattr(exc, "problem", None)
    text = str(problem if problem else exc)
    return text.splitlines()[0].strip() if text.strip() else type(exc).__name__


def _shown(value: Any) -> Any:
    """The value to keep on a Problem: scalars only (lists/mappings may be huge)."""
    return value if isinstance(value, (str, int, float, bool, date)) else None


def _refused(
    bad: FieldValueError, path: str, line: int | None, field: str, value: Any, hint: str
) -> Problem:
    """The ``field-type`` error for a value that ``convert_value`` refused."""
    return Problem(
        "error",
        "field-type",
        bad.message,
        path=path,
        line=line,
        field=field,
        value=_shown(value),
        hint=hint,
    )


def _yaml_problem(exc: yaml.YAMLError, path: str, first_line: int) -> Problem:
    line = None
    message = "invalid YAML in front matter"
    if isinstance(exc, yaml.MarkedYAMLError):
        # An unclosed [list], {mapping} or quote is best shown where it was opened.
        opened = exc.context_mark is not None and (
            exc.problem_mark is None
            or any(w in (exc.context or "") for w in ("flow", "quoted", "stream end"))
        )
        mark, other = (exc.context_mark, exc.problem_mark) if opened else (exc.problem_mark, None)
        if mark is not None:
            line = first_line + mark.line
        parts = [p for p in (exc.context, exc.problem) if p]
        if parts:
            message += ": " + ", ".join(parts)
        if other is not None and first_line + other.line != line:
            message += f" (at line {first_line + other.line})"
    return Problem(
        "error",
        "yaml",
        message,
        path=path,
        line=line,
        hint="fix the YAML syntax: 'key: value' per line, lists as [a, b], quote "
        "text that contains ': ' or starts with a special character",
    )


def validate_front_matter(
    meta_text: str, path: str, settings: Settings, first_line: int = 2
) -> tuple[dict[str, Any], dict[str, int], list[Problem]]:
    """Validate front matter text; return Asset keyword values, key lines and problems.

    ``first_line`` is the file line of the first front-matter line (2 after ``---``).
    """
    problems: list[Problem] = []
    try:
        loader = YAML_LOADER(meta_text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        return {}, {}, [_yaml_problem(exc, path, first_line)]
    except RecursionError:
        node, too_deep = None, True
    else:
        too_deep = node is not None and _expanded_size(node, MAX_NODES) > MAX_NODES
    if too_deep:
        return (
            {},
            {},
            [
                Problem(
                    "error",
                    "yaml",
                    "front matter is too deeply nested or its YAML aliases expand too far",
                    path=path,
                    line=first_line,
                    hint="use plain 'field: value' lines and short lists; no &anchors / *aliases",
                )
            ],
        )
    if node is None:
        return {}, {}, []
    if not isinstance(node, yaml.MappingNode):
        return (
            {},
            {},
            [
                Problem(
                    "error",
                    "front-matter",
                    f"front matter must be a mapping of fields, got {_node_kind(node)}",
                    path=path,
                    line=first_line + node.start_mark.line,
                    hint="write one 'field: value' per line between the '---' lines",
                )
            ],
        )
    values: dict[str, Any] = {}
    lines: dict[str, int] = {}
    extra: dict[str, Any] = {}
    for key_node, value_node in node.value:
        key = str(key_node.value).strip()
        line = first_line + key_node.start_mark.line
        name = ALIASES.get(key, key)
        if name in lines:
            problems.append(
                Problem(
                    "warning",
                    "duplicate-key",
                    f"'{key}' is given twice; the last one wins",
                    path=path,
                    line=line,
                    field=key,
                    hint="delete one of them",
                )
            )
        try:
            value = SafeValue.construct(value_node)
        except (yaml.YAMLError, ValueError, TypeError) as exc:
            problems.append(
                Problem(
                    "error",
                    "field-type",
                    f"'{key}' has an invalid value: {_first_line(exc)}",
                    path=path,
                    line=line,
                    field=key,
                    hint=(
                        "remove the YAML tag: front matter holds plain text, numbers, dates "
                        "and lists"
                        if "for the tag" in str(exc)
                        else "check the value's syntax (dates as YYYY-MM-DD)"
                    ),
                )
            )
            continue
        spec = FIELD_BY_NAME.get(name)
        if spec is None:
            extra[key] = value
            lines[key] = line
            if key in EXTENSION_KEYS:
                continue
            problems.append(
                Problem(
                    "warning",
                    "unknown-field",
                    f"unknown field '{key}' (kept in extra)",
                    path=path,
                    line=line,
                    field=key,
                    hint=did_you_mean(
                        key, [*FIELD_BY_NAME, *ALIASES], "known fields: ", FIELD_BY_NAME
                    ),
                )
            )
            continue
        if name in values and key in ALIASES:
            continue  # the real field wins over its alias
        lines[name] = line
        if value is None or value == "" or value == []:
            continue
        try:
            if name == "onboarding":
                values[name] = _onboarding(value, value_node, path, first_line, problems)
            else:
                values[name] = convert_value(spec.kind, value, key, spec.example, value_node)
        except FieldValueError as bad:
            where = first_line + bad.line_offset if bad.line_offset is not None else line
            problems.append(_refused(bad, path, where, key, value, bad.hint))
            continue
        if name == "id" and not ID_PATTERN.match(values[name]):
            problems.append(
                Problem(
                    "error",
                    "field-type",
                    f"id {values[name]!r} has characters that are not allowed",
                    path=path,
                    line=line,
                    field="id",
                    hint="use lowercase letters, digits, '-', '_', '.' and '/', e.g. objections/price",
                )
            )
        if spec.vocabulary:
            _check_vocabulary(
                spec, values[name], value_node, path, line, first_line, settings, problems
            )
    if extra:
        values["extra"] = extra
    return values, lines, problems


_SINGULAR = {"stages": "stage", "types": "type", "personas": "persona", "industries": "industry"}


def _check_vocabulary(
    spec: FieldSpec,
    value: Any,
    node: yaml.Node,
    path: str,
    line: int,
    first_line: int,
    settings: Settings,
    problems: list[Problem],
) -> None:
    allowed = getattr(settings, spec.vocabulary or "")
    items = value if isinstance(value, list) else [value]
    for i, item in enumerate(items):
        if item in allowed:
            continue
        where = line
        if isinstance(node, yaml.SequenceNode) and i < len(node.value):
            where = first_line + node.value[i].start_mark.line
        close = suggest(item, allowed)
        vocab = spec.vocabulary or ""
        known = f"did you mean '{close[0]}'?" if close else "known: " + ", ".join(allowed) + "."
        hint = f'{known} Or add it in spmkb.toml: [vocabulary] {vocab} = ["{item}"]'
        problems.append(
            Problem(
                "warning",
                "vocabulary",
                f"'{item}' is not a known {_SINGULAR.get(vocab, vocab)}",
                path=path,
                line=where,
                field=spec.name,
                value=item,
                hint=hint,
            )
        )


def _node_kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return f"a single value ({str(node.value)[:40]!r})"


def _onboarding(
    value: Any, node: yaml.Node, path: str, first_line: int, problems: list[Problem]
) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FieldValueError(
            f"'onboarding' must be a mapping, got {describe_kind(value)}",
            "write it as an indented block: onboarding: then '  day: 14', '  track: ae'",
        )
    sub_lines = {}
    if isinstance(node, yaml.MappingNode):
        sub_lines = {str(k.value): k.start_mark.line for k, _ in node.value}
        sub_nodes = {str(k.value): v for k, v in node.value}
    else:
        sub_nodes = {}
    out: dict[str, Any] = {}
    for key, item in value.items():
        key = str(key)
        known = ONBOARDING_FIELDS.get(key)
        if known is None or item is None:
            out[key] = item
            continue
        kind, help_text = known
        try:
            out[key] = convert_value(
                kind,
                item,
                f"onboarding.{key}",
                help_text.split("e.g. ")[-1],
                sub_nodes.get(key, node),
            )
        except FieldValueError as bad:
            offset = bad.line_offset if bad.line_offset is not None else sub_lines.get(key)
            where = first_line + offset if offset is not None else None
            problems.append(
                _refused(bad, path, where, f"onboarding.{key}", item, f"{key}: {help_text}")
            )
    return out


class SafeValue:
    """Construct Python values from composed YAML nodes with the safe constructor."""

    @staticmethod
    def construct(node: yaml.Node) -> Any:
        """Return the plain Python value of ``node`` (dates stay dates)."""
        constructor = yaml.constructor.SafeConstructor()
        return constructor.construct_object(node, deep=True)
