"""Front-matter fields: their declared kinds, help and examples, and value conversion.

Validation of a whole front-matter block, with file line numbers, is in
:mod:`spmkb.content.frontmatter`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import yaml

# libyaml's parser is ~10x faster and keeps the same line marks; fall back to pure Python.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._/-]*$")


def normalise_term(value: str) -> str:
    """Vocabulary form of a value: lowercase, spaces and underscores -> hyphens."""
    return re.sub(r"-{2,}", "-", re.sub(r"[\s_]+", "-", str(value).strip().lower())).strip("-")


@dataclass(frozen=True)
class FieldSpec:
    """One known front-matter field: its name, kind, help text and an example."""

    name: str
    kind: str  # str | term | terms | strs | date | days | mapping | id
    help: str
    example: str
    vocabulary: str | None = None  # Settings attribute holding allowed values


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "id", "id", "Stable id; default: the path without suffix, lowercased.", "objections/price"
    ),
    FieldSpec(
        "title",
        "str",
        "Title shown in search results; default: first heading.",
        "Price is too high",
    ),
    FieldSpec(
        "type",
        "term",
        "Asset type (vocabulary `types`); default: from the folder.",
        "objection-handling",
        "types",
    ),
    FieldSpec(
        "stages",
        "terms",
        "Pipeline stages the asset helps with (vocabulary `stages`).",
        "[negotiation, proposal]",
        "stages",
    ),
    FieldSpec(
        "personas",
        "terms",
        "Buyer personas (vocabulary `personas`).",
        "[economic-buyer, finance]",
        "personas",
    ),
    FieldSpec(
        "industries",
        "terms",
        "Industries (vocabulary `industries`).",
        "[financial-services]",
        "industries",
    ),
    FieldSpec("products", "strs", "Products the asset covers (free text).", "[Analytics Cloud]"),
    FieldSpec("competitors", "strs", "Competitors the asset covers (free text).", "[Acme CRM]"),
    FieldSpec("owner", "str", "Person or team who keeps the asset current.", "jane.doe"),
    FieldSpec("reviewed", "date", "Date of the last content review (YYYY-MM-DD).", "2026-09-01"),
    FieldSpec("review_every", "days", "Days between reviews (positive whole number).", "90"),
    FieldSpec("tags", "strs", "Free-form tags.", "[pricing, discount]"),
    FieldSpec(
        "summary",
        "str",
        "One or two sentences shown under the title.",
        "How to answer 'too expensive' without discounting.",
    ),
    FieldSpec(
        "onboarding",
        "mapping",
        "Place in an onboarding curriculum (see below).",
        "{day: 14, order: 2, track: ae, objectives: [...]}",
    ),
)
FIELD_BY_NAME: dict[str, FieldSpec] = {f.name: f for f in FIELDS}

#: Other names accepted for a field (GitLab handbook pages use ``description``).
ALIASES: dict[str, str] = {"description": "summary"}

#: Blocks read by other practices: kept in ``Asset.extra`` without an unknown-field warning.
EXTENSION_KEYS: dict[str, str] = {
    "rubric": "competencies and level descriptions of a review-rubric asset (spmkb.reviews)",
}

#: Known keys of the ``onboarding`` block and their kinds.
ONBOARDING_FIELDS: dict[str, tuple[str, str]] = {
    "day": ("days0", "day of the new hire's ramp when the module is due, e.g. 14"),
    "order": ("int", "position among modules due the same day, e.g. 2"),
    "track": ("term", "curriculum track, e.g. ae or sdr"),
    "objectives": ("strs", "list of learning objectives"),
    "minutes": ("days", "expected time in minutes, e.g. 30"),
    "required": ("bool", "true or false"),
    "tracks": ("terms", "further tracks that share this module, e.g. [sdr]"),
    "requires": ("strs", "ids of modules to finish first, e.g. [onboarding/ae/week-01]"),
    "study": ("strs", "ids or relative paths of assets to study, e.g. [objections/no-budget]"),
    "certification": ("raw", "a gate: {rubric: <asset id>, pass_level: 3, signed_off_by: manager}"),
    "milestone": (
        "raw",
        "free text, or {text: ..., measure: opportunities_created, threshold: 5, day: 30}",
    ),
}


class FieldValueError(Exception):
    """A value of the wrong type (internal; turned into a Problem)."""

    def __init__(self, message: str, hint: str, line_offset: int | None = None) -> None:
        """Keep the message, the fix and the line offset of the bad item (if any)."""
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.line_offset = line_offset


def _scalar_str(value: Any, name: str, example: str) -> str:
    if isinstance(value, (bool, list, dict)) or value is None:
        raise FieldValueError(
            f"'{name}' must be text, got {describe_kind(value)}",
            f"write it as one line of text, e.g. {name}: {example}",
        )
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value).strip()


def describe_kind(value: Any) -> str:
    """Describe a YAML value for an error message: "a list", "a number (3)", ..."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"true/false ({value!r})"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, (date, datetime)):
        return f"a date ({value.isoformat()})"
    if isinstance(value, (int, float)):
        return f"a number ({value!r})"
    return f"text ({str(value)[:40]!r})"


def _str_list(value: Any, name: str, example: str, node: yaml.Node) -> list[str]:
    items = value if isinstance(value, list) else [value]
    if isinstance(value, dict):
        raise FieldValueError(
            f"'{name}' must be a list of text, got a mapping",
            f"write a list, e.g. {name}: {example}",
        )
    out: list[str] = []
    for i, item in enumerate(items):
        if isinstance(item, (list, dict)) or item is None or isinstance(item, bool):
            offset = None
            if isinstance(node, yaml.SequenceNode) and i < len(node.value):
                offset = node.value[i].start_mark.line
            raise FieldValueError(
                f"item {i + 1} of '{name}' must be text, got {describe_kind(item)}",
                f"write a list of plain values, e.g. {name}: {example}",
                offset,
            )
        text = str(item).strip()
        if text:
            out.append(text)
    return out


def _date(value: Any, name: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise FieldValueError(
        f"'{name}' must be a date, got {describe_kind(value)}",
        f"write the date as YYYY-MM-DD, e.g. {name}: 2026-09-01",
    )


def _int(value: Any, name: str, minimum: int, example: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        else:
            raise FieldValueError(
                f"'{name}' must be a whole number, got {describe_kind(value)}",
                f"write a number without quotes or units, e.g. {name}: {example}",
            )
    if value < minimum:
        raise FieldValueError(
            f"'{name}' must be {minimum} or more, got {value}", f"e.g. {name}: {example}"
        )
    return value


def convert_value(spec_kind: str, value: Any, name: str, example: str, node: yaml.Node) -> Any:
    """Convert ``value`` to the field kind, or raise :class:`FieldValueError` with a fix."""
    converters: dict[str, Callable[[], Any]] = {
        "str": lambda: _scalar_str(value, name, example),
        "id": lambda: _scalar_str(value, name, example).lower(),
        "term": lambda: normalise_term(_scalar_str(value, name, example)),
        "terms": lambda: [normalise_term(v) for v in _str_list(value, name, example, node)],
        "strs": lambda: _str_list(value, name, example, node),
        "date": lambda: _date(value, name),
        "days": lambda: _int(value, name, 1, example),
        "days0": lambda: _int(value, name, 0, example),
        "int": lambda: _int(value, name, -(10**9), example),
        "bool": lambda: _bool(value, name),
        "raw": lambda: value,  # checked by the practice that reads it (spmkb.onboarding.lint)
    }
    return converters[spec_kind]()


def _bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    raise FieldValueError(
        f"'{name}' must be true or false, got {describe_kind(value)}", f"write {name}: true"
    )
