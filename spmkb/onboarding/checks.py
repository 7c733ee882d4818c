"""Curriculum checks (:mod:`spmkb.onboarding.lint` runs them next to content lint).

Errors: unknown track or measure, a day outside 0-max_day, two modules of a track with the
same day and order, a prerequisite that does not exist, circular prerequisites, a module due
before its prerequisite, study links that do not resolve, bad certifications. Every problem
names the file and the line of the offending key (:func:`add_lines`).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from spmkb.content.fields import YAML_LOADER
from spmkb.errors import Problem, suggest


def _err(module_path: str, code: str, message: str, key: str, hint: str, value=None) -> Problem:
    return Problem("error", code, message, path=module_path, field=f"onboarding.{key}",
                   value=value, hint=hint)  # fmt: skip


def check_curriculum(cur) -> list[Problem]:
    """Duplicate orders, missing, circular and late prerequisites of ``cur``'s modules."""
    problems: list[Problem] = []
    mods = cur.modules
    for track in cur.tracks():
        seen: dict[tuple[int, int], str] = {}
        for m in cur.track(track):
            key = (m.day, m.order)
            if key in seen:
                problems.append(_err(m.path, "onboarding-order", f"order {m.order} on day {m.day} "
                                     f"of track {track} is also used by {seen[key]}", "order",
                                     "give modules due the same day different orders"))  # fmt: skip
            else:
                seen[key] = m.id
    for m in mods.values():
        for req in m.requires:
            if req not in mods:
                close = suggest(req, list(mods))
                problems.append(_err(m.path, "onboarding-requires", f"prerequisite {req!r} is not "
                                     "an onboarding module", "requires", (f"did you mean "
                                     f"'{close[0]}'?" if close else "use the id of a module"),
                                     req))  # fmt: skip
            elif mods[req].day > m.day:
                problems.append(_err(m.path, "onboarding-requires", f"module is due on day {m.day}, "
                                     f"before its prerequisite {req} (day {mods[req].day})",
                                     "requires", "move this module later or the prerequisite "
                                     "earlier", req))  # fmt: skip
    for cycle in find_cycles({m.id: [r for r in m.requires if r in mods] for m in mods.values()}):
        first = mods[cycle[0]]
        problems.append(_err(first.path, "onboarding-cycle", "circular prerequisites: "
                             + " -> ".join([*cycle, cycle[0]]), "requires",
                             "remove one of the requires links in the circle"))  # fmt: skip
    return problems


def find_cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Each elementary cycle reached by a depth-first walk, once (rotated to its smallest id)."""
    found: dict[tuple[str, ...], list[str]] = {}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                cyc = stack[stack.index(nxt) :]
                k = cyc.index(min(cyc))
                rot = cyc[k:] + cyc[:k]
                found.setdefault(tuple(rot), rot)
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return list(found.values())


def _key_lines(text: str) -> dict[str, int]:
    """1-based file lines of ``onboarding.<key>`` (and ``<key>.<sub>``) in a file's front matter."""
    lines = text.replace("\r\n", "\n").split("\n")
    if not lines or lines[0].rstrip() != "---":
        return {}
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        return {}
    try:
        root = yaml.compose("\n".join(lines[1:end]), Loader=YAML_LOADER)
    except yaml.YAMLError:
        return {}
    out: dict[str, int] = {}
    if not isinstance(root, yaml.MappingNode):
        return out
    for k, v in root.value:
        if k.value != "onboarding" or not isinstance(v, yaml.MappingNode):
            continue
        out["onboarding"] = k.start_mark.line + 2
        for sk, sv in v.value:
            name = f"onboarding.{sk.value}"
            out[name] = sk.start_mark.line + 2
            if isinstance(sv, yaml.MappingNode):
                for ssk, _ in sv.value:
                    out[f"{name}.{ssk.value}"] = ssk.start_mark.line + 2
            elif isinstance(sv, yaml.SequenceNode):
                for item in sv.value:
                    if isinstance(item, yaml.ScalarNode):
                        out[f"{name}={item.value}"] = item.start_mark.line + 2
    return out


def add_lines(problems: list[Problem], root: Path) -> None:
    """Set each onboarding problem's line to the line of its key in the file (in place)."""
    cache: dict[str, dict[str, int]] = {}
    for p in problems:
        if not p.path or not (p.field or "").startswith("onboarding"):
            continue
        if p.path not in cache:
            try:
                cache[p.path] = _key_lines((Path(root) / p.path).read_text(encoding="utf-8"))
            except OSError:
                cache[p.path] = {}
        keys = cache[p.path]
        field = p.field or "onboarding"
        line = keys.get(f"{field}={p.value}") if p.value is not None else None
        while line is None and field:
            line = keys.get(field)
            field = field.rpartition(".")[0]
        if line is not None:
            p.line = line


__all__ = ["add_lines", "check_curriculum", "find_cycles"]
