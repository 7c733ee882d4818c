"""The mapping model shared by every preset: canonical fields, stage labels, sources.

A :class:`Mapping` says which source column feeds each canonical field and how stage labels
map onto :data:`~spmkb.deals.schema.PIPELINE_STAGES` plus ``won``/``lost``; a
:class:`Source` is what a preset read (rows still in source columns); a :class:`Preset`
describes one known export. :func:`resolve_mapping` matches a preset (and ``[deals]``
overrides from ``spmkb.toml``) against a file's headers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from spmkb.deals.schema import OPPORTUNITY_COLUMNS, PIPELINE_STAGES
from spmkb.errors import DealDataError, did_you_mean

#: Canonical fields every mapping must find (``stage`` may be replaced by won/closed flags).
REQUIRED: tuple[str, ...] = ("id", "rep", "stage", "amount", "created")
#: Pseudo-columns a mapping may point at besides the canonical opportunity columns.
FLAGS: tuple[str, ...] = ("won", "closed")
#: Stage every closed deal gets when the furthest stage it reached is unknown.
LAST_OPEN_STAGE = PIPELINE_STAGES[-1]


def stage_key(label: str) -> str:
    """Normalise a stage label for matching: lower case, letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", str(label).lower())


#: Labels every mapping understands: the canonical stages, won/lost and common synonyms.
COMMON_STAGES: dict[str, str] = {
    **{s: s for s in PIPELINE_STAGES},
    "won": "won",
    "lost": "lost",
    "closed won": "won",
    "closed lost": "lost",
    "closed-won": "won",
    "closed-lost": "lost",
    "open": "open",
}


@dataclass
class Mapping:
    """Resolved column and stage mapping for one import."""

    name: str
    columns: dict[str, str]  # canonical field or flag -> source column (as in the file)
    stages: dict[str, str]  # stage_key(label) -> canonical stage, "won", "lost" or "open"
    labels: dict[str, str] = field(default_factory=dict)  # stage_key -> label shown in hints
    allow_missing: frozenset[str] = frozenset()  # required fields that may be empty
    dayfirst: bool = False
    date_format: str | None = None


@dataclass
class Source:
    """Opportunity rows read by a preset, still in source columns, plus extra tables."""

    frame: pd.DataFrame  # index = row number in the main file (header = row 1)
    path: Path  # the main file (row numbers refer to it)
    mapping: Mapping
    reps: pd.DataFrame | None = None  # canonical reps table, when the export has one
    reps_path: Path | None = None
    tables: dict[str, pd.DataFrame] = field(
        default_factory=dict
    )  # stage_history, activities, quotas
    notes: list[str] = field(default_factory=list)  # facts about the source shown as info
    finish: Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame] | None = None


@dataclass
class Preset:
    """A known export: its column names, stage labels, signature headers and reader."""

    name: str
    description: str
    columns: dict[str, tuple[str, ...]]  # canonical -> candidate source headers
    stages: dict[str, str] = field(default_factory=dict)
    signature: tuple[str, ...] = ()  # headers (lower case) that identify the export
    files: tuple[str, ...] = ()  # folder presets: file stems that identify the folder
    allow_missing: frozenset[str] = frozenset()
    dayfirst: bool = False
    read: Callable[[Path, Preset, dict[str, Any]], Source] | None = None


def numbered(frame: pd.DataFrame) -> pd.DataFrame:
    """Index ``frame`` by spreadsheet row number (header = row 1, first data row = 2)."""
    frame.index = pd.RangeIndex(2, len(frame) + 2, name="row")
    return frame


def resolve_mapping(
    preset: Preset, headers: list[str], deals_cfg: dict[str, Any], path: Path
) -> Mapping:
    """Match ``preset``'s candidate headers (and ``[deals] columns`` overrides) to ``headers``."""
    lower = {h.lower(): h for h in headers}
    columns: dict[str, str] = {}
    for canon, candidates in preset.columns.items():
        for cand in candidates:
            if cand.lower() in lower:
                columns[canon] = lower[cand.lower()]
                break
    for canon, src in (deals_cfg.get("columns") or {}).items():
        if canon not in OPPORTUNITY_COLUMNS and canon not in FLAGS:
            raise DealDataError(
                f"[deals] columns has unknown field '{canon}'",
                field=canon,
                hint=did_you_mean(canon, [*OPPORTUNITY_COLUMNS, *FLAGS], "fields: "),
            )
        if str(src).lower() not in lower:
            raise DealDataError(
                f"column '{src}' (mapped to '{canon}' in [deals] columns) is not in the file",
                path=path,
                field=canon,
                hint=did_you_mean(str(src), headers, "columns: "),
            )
        columns[canon] = lower[str(src).lower()]
    allow = frozenset(preset.allow_missing) | frozenset(deals_cfg.get("allow_missing") or ())
    missing = [c for c in REQUIRED if c not in columns and c not in allow]
    if "stage" in missing and ({"status", "won"} & set(columns)):
        missing.remove("stage")
    if missing:
        wanted = "; ".join(
            f"{c} ({' or '.join(repr(x) for x in preset.columns.get(c, ())) or 'not mapped'})"
            for c in missing
        )
        raise DealDataError(
            f"the {preset.name} mapping finds no column for required field(s): {wanted}",
            path=path,
            hint="map them in spmkb.toml, e.g. [deals] columns = {"
            + ", ".join(f'{c} = "<column>"' for c in missing)
            + "}; columns in the file: "
            + ", ".join(headers[:30]),
        )
    stages_src = {**COMMON_STAGES, **preset.stages, **(deals_cfg.get("stages") or {})}
    stages: dict[str, str] = {}
    labels: dict[str, str] = {}
    valid = {*PIPELINE_STAGES, "won", "lost", "open"}
    for label, canon in stages_src.items():
        target = str(canon).strip().lower()
        if target not in valid:
            raise DealDataError(
                f"[deals.stages] maps '{label}' to '{canon}', which is not a stage",
                field=str(label),
                hint="use one of: " + ", ".join(sorted(valid)),
            )
        stages[stage_key(label)] = target
        labels[stage_key(label)] = str(label)
    return Mapping(
        name=preset.name,
        columns=columns,
        stages=stages,
        labels=labels,
        allow_missing=allow,
        dayfirst=bool(deals_cfg.get("dayfirst", preset.dayfirst)),
        date_format=deals_cfg.get("date_format"),
    )


__all__ = [
    "COMMON_STAGES",
    "FLAGS",
    "LAST_OPEN_STAGE",
    "REQUIRED",
    "Mapping",
    "Preset",
    "Source",
    "numbered",
    "resolve_mapping",
    "stage_key",
]
