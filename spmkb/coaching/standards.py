"""Suggest review standards from the top-performer profile, as a reviewable diff of standards.yml.

Only findings (measures that separate the top tier after false-discovery control) are
suggested: each becomes an ``absolute`` standard whose target is the top tier's figure, with a
comment giving the window and the n, or (``kind="top_profile"``) a ``standard: top_profile``
that each review resolves to the top tier's figure of its own period. The file is edited line by line, so comments and the
order of the rest stay as they are; the result is a unified diff for a person to review and
apply — nothing is written.
"""

from __future__ import annotations

import difflib
import re

from spmkb.coaching.profile import Comparison, Profile

_KEY = re.compile(r"^  ([A-Za-z_][\w]*):\s*(#.*)?$")
_WEIGHT = re.compile(r"^\s{4}weight:\s*([\d.]+)")


def _block(c: Comparison, window: str, weight: str, kind: str = "absolute",
           team: str | None = None) -> list[str]:  # fmt: skip
    if kind == "top_profile":
        return [
            f"  {c.measure}:",
            f"    standard: top_profile   # suggested: a finding of the profile of {window} "
            f"(top {c.reps_top} reps {c.top:.3g}, rest {c.rest:.3g})",
            *([] if team else ["    scope: company"]),
            f"    direction: {c.direction}",
            f"    weight: {weight}",
        ]
    target = f"{c.top:.3f}" if c.unit in ("ratio", "count", "times") else f"{c.top:.0f}"
    return [
        f"  {c.measure}:",
        f"    standard: absolute   # suggested: the top tier's figure in {window}",
        f"    target: {target}        # top {c.reps_top} reps, n = {c.n_top} {c.n_of}; "
        f"rest {c.rest:.3g}",
        f"    direction: {c.direction}",
        f"    weight: {weight}",
    ]


def suggest_lines(profile: Profile, text: str, kind: str = "absolute") -> list[str]:
    """The standards text with one block per finding replaced (or added under ``measures:``)."""
    lines = text.splitlines()
    if not any(line.rstrip() == "measures:" for line in lines):
        lines += ["measures:"]
    for c in profile.findings:
        if c.stage is not None:
            continue  # per-stage measures keep their own block
        start = end = None
        weight = "1"
        in_measures = False
        for i, line in enumerate(lines):
            if line.rstrip() == "measures:":
                in_measures = True
                continue
            if in_measures and start is None:
                m = _KEY.match(line)
                if m and m.group(1) == c.measure:
                    start = i
                    continue
            if start is not None and end is None:
                w = _WEIGHT.match(line)
                if w:
                    weight = w.group(1)
                if (
                    line.strip()
                    and not line.startswith("   ")
                    and not line.lstrip().startswith("#")
                ):
                    end = i
        block = _block(c, profile.window.label, weight, kind, profile.team)
        if start is None:
            lines += block
        else:
            lines[start : end if end is not None else len(lines)] = block
    return lines


def suggest_standards(
    profile: Profile, text: str, path: str = "standards.yml", kind: str = "absolute"
) -> str:
    """A unified diff from ``text`` to the suggested standards (empty when nothing changes);
    ``kind``: ``absolute`` (the figure as a fixed target) or ``top_profile``."""
    if profile.message:
        return ""
    new = suggest_lines(profile, text, kind)
    diff = difflib.unified_diff(
        text.splitlines(), new, fromfile=f"a/{path}", tofile=f"b/{path}", lineterm=""
    )
    return "\n".join(diff) + ("\n" if new != text.splitlines() else "")


__all__ = ["suggest_lines", "suggest_standards"]
