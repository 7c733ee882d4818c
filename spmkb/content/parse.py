"""Read playbook files into :class:`~spmkb.content.model.Asset` objects.

Text and file functions come in pairs: :func:`parse_asset` works on a string (unit-tested
on literals), :func:`load_asset` reads one file safely (size limit, binary and UTF-8
checks, symlinks that escape the playbook root), and :func:`load_library` walks a whole
playbook folder, collecting a :class:`~spmkb.errors.Problem` for every bad file while the
valid rest loads.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from spmkb.config import Settings
from spmkb.content.fences import FenceTracker
from spmkb.content.fields import normalise_term
from spmkb.content.frontmatter import validate_front_matter
from spmkb.content.model import Asset
from spmkb.errors import ContentError, Problem

#: File name endings that are playbook assets (checked case-insensitively, longest first).
MARKDOWN_SUFFIXES: tuple[str, ...] = (".html.md.erb", ".md.erb", ".html.md", ".markdown", ".md")

#: Files at the root of the playbook folder that document the folder and are not assets.
ROOT_DOCS: frozenset[str] = frozenset({"readme.md", "readme.markdown"})

_ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_ERB = re.compile(r"<%.*?%>", re.DOTALL)
_HEADER_ID = re.compile(r"\s*\{#[^}\n]*\}\s*$")
_IAL = re.compile(r"\{:[^}\n]*\}")

#: Folder names that imply an asset type when the front matter does not give one.
FOLDER_TYPES: dict[str, str] = {
    "battlecards": "battlecard",
    "competitive": "battlecard",
    "competitors": "battlecard",
    "competition": "battlecard",
    "objections": "objection-handling",
    "onboarding": "onboarding-module",
    "case-studies": "case-study",
    "customer-stories": "case-study",
    "emails": "email-template",
    "email-templates": "email-template",
    "templates": "template",
    "talk-tracks": "talk-track",
    "scripts": "call-script",
    "call-scripts": "call-script",
    "demos": "demo-script",
    "demo": "demo-script",
    "discovery": "discovery-guide",
    "qualification": "qualification-guide",
    "pricing": "pricing-guide",
    "playbooks": "playbook",
    "processes": "process",
    "rubrics": "review-rubric",
}


def is_markdown(name: str) -> bool:
    """True when a file name has one of the :data:`MARKDOWN_SUFFIXES`."""
    lower = name.lower()
    return any(lower.endswith(s) for s in MARKDOWN_SUFFIXES)


def strip_suffix(name: str) -> str:
    """Drop the Markdown suffix (and a ``.html`` before it): ``index.html.md`` -> ``index``."""
    lower = name.lower()
    for suffix in MARKDOWN_SUFFIXES:
        if lower.endswith(suffix):
            return name[: -len(suffix)]
    return name


def derive_id(rel_path: str) -> str:
    """Asset id from a relative path: no suffix, lowercase, ``/`` kept, spaces -> ``-``."""
    parts = PurePosixPath(rel_path.replace("\\", "/")).parts
    stem = strip_suffix(parts[-1]) if parts else ""
    joined = "/".join([*parts[:-1], stem])
    return re.sub(r"\s+", "-", joined.strip().lower())


def infer_type(rel_path: str, types: tuple[str, ...]) -> str:
    """Asset type from the folder names (deepest first), else ``reference``."""
    folders = [normalise_term(p) for p in PurePosixPath(rel_path).parts[:-1]]
    for folder in reversed(folders):
        if folder in types:
            return folder
        if folder.endswith("s") and folder[:-1] in types:
            return folder[:-1]
        mapped = FOLDER_TYPES.get(folder)
        if mapped and mapped in types:
            return mapped
    return "reference"


def _humanise(rel_path: str) -> str:
    parts = PurePosixPath(rel_path).parts
    stem = strip_suffix(parts[-1]) if parts else "untitled"
    if stem.lower() in {"index", "readme", "_index"} and len(parts) > 1:
        stem = parts[-2]
    words = re.sub(r"[-_]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else "Untitled"


def first_heading(body: str) -> str | None:
    """Text of the first H1 (else the first heading of any level) outside code fences."""
    found: str | None = None
    fences = FenceTracker()
    for line in body.splitlines():
        if fences.in_code(line):
            continue
        h = _ATX.match(line)
        if h:
            text = clean_heading(h.group(2))
            if not text:
                continue
            if len(h.group(1)) == 1:
                return text
            found = found or text
    return found


def clean_heading(text: str) -> str:
    """Heading text without kramdown ids/IALs and emphasis markers."""
    text = _HEADER_ID.sub("", text)
    text = _IAL.sub("", text)
    text = re.sub(r"[*_`]{1,3}([^*_`]+)[*_`]{1,3}", r"\1", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return text.strip()


def strip_erb(text: str) -> str:
    """Remove ``<% ... %>`` ERB tags, keeping the line count."""
    return _ERB.sub(lambda m: "\n" * m.group(0).count("\n"), text)


@dataclass
class _Split:
    meta_text: str | None
    body: str
    body_line: int


def split_front_matter(text: str, path: str) -> _Split:
    """Split ``---`` fenced YAML front matter from the body (raises on an unclosed block)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return _Split(None, text, 1)
    for i in range(1, len(lines)):
        if lines[i].rstrip() in ("---", "..."):
            return _Split("\n".join(lines[1:i]), "\n".join(lines[i + 1 :]), i + 2)
    raise ContentError(
        "front matter is not closed",
        path=path,
        line=1,
        hint="add a line with '---' after the last front matter field",
    )


def _parse(text: str, path: str, settings: Settings | None) -> tuple[Asset | None, list[Problem]]:
    """Parse one asset, returning it (or None) and every problem found."""
    settings = settings or Settings()
    problems: list[Problem] = []
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if path.lower().endswith(".erb"):
        text = strip_erb(text)
    if not text.strip():
        return None, [
            Problem(
                "error",
                "empty",
                "file is empty",
                path=path,
                hint="add front matter and content, or delete the file",
            )
        ]
    try:
        split = split_front_matter(text, path)
    except ContentError as err:
        return None, [Problem.from_error(err, "front-matter")]
    meta: dict[str, Any] = {}
    lines: dict[str, int] = {}
    if split.meta_text is not None:
        meta, lines, meta_problems = validate_front_matter(split.meta_text, path, settings)
        problems.extend(meta_problems)
        if any(p.severity == "error" for p in problems):
            return None, problems
    else:
        problems.append(
            Problem(
                "warning",
                "no-front-matter",
                "no front matter: title, type and id were inferred",
                path=path,
                line=1,
                hint="start the file with '---', 'title:', 'type:', 'owner:' ... and '---' "
                "(see docs/authoring.md)",
            )
        )
    body = split.body
    asset_type = meta.pop("type", None) or infer_type(path, settings.types)
    title = meta.pop("title", None) or first_heading(body) or _humanise(path)
    asset_id = meta.pop("id", None) or derive_id(path)
    asset = Asset(
        id=asset_id,
        title=title,
        type=asset_type,
        path=path,
        body=body,
        has_front_matter=split.meta_text is not None,
        body_line=split.body_line,
        **meta,
    )
    if not body.strip():
        problems.append(
            Problem(
                "warning",
                "empty-body",
                "the file has front matter but no body text",
                path=path,
                line=split.body_line,
                hint="write the content below the closing '---'",
            )
        )
    asset.field_lines = lines
    return asset, problems


def parse_asset(text: str, path: str, settings: Settings | None = None) -> Asset:
    """Parse Markdown ``text`` (with optional YAML front matter) of the file at ``path``.

    Raises :class:`ContentError` naming the file, line and field of the first error.
    """
    asset, problems = _parse(text, path, settings)
    errors = [p for p in problems if p.severity == "error"]
    if asset is None or errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ContentError(
            first.message + more,
            path=first.path,
            line=first.line,
            field=first.field,
            hint=first.hint,
        )
    return asset


def safe_path(root: Path, rel: str) -> Path:
    """Resolve ``rel`` inside ``root``; raise :class:`ContentError` when it escapes."""
    if "\x00" in rel:
        raise ContentError("path contains a NUL byte", path=rel)
    candidate = Path(rel)
    base = Path(root).resolve()
    target = (candidate if candidate.is_absolute() else base / candidate).resolve()
    if target != base and base not in target.parents:
        raise ContentError(
            "path points outside the playbook folder",
            path=rel,
            hint=f"keep assets inside {base}; replace the symlink by a copy of the file",
        )
    return target


def _rel(path: Path, root: Path) -> str:
    """POSIX path of ``path`` relative to ``root`` (absolute/relative and symlinked roots ok)."""
    pairs = (
        (path, root),
        (Path(os.path.abspath(path)), Path(os.path.abspath(root))),
        (Path(os.path.abspath(path)).parent.resolve() / path.name, Path(root).resolve()),
    )
    for p, r in pairs:
        try:
            return p.relative_to(r).as_posix()
        except ValueError:
            continue
    return path.as_posix()


def _under(path: Path, root: Path) -> Path:
    """``path`` joined onto ``root`` when relative (unless it already starts with ``root``)."""
    if path.is_absolute():
        return path
    if not root.is_absolute() and root.parts and path.parts[: len(root.parts)] == root.parts:
        return path  # "playbooks/x.md" given together with root "playbooks"
    return root / path


def read_text(path: Path, root: Path, settings: Settings | None = None) -> str:
    """Read an asset file's text after the safety checks of :func:`load_asset`."""
    settings = settings or Settings()
    root = Path(root)
    path = _under(Path(path), root)
    rel = _rel(path, root)
    try:
        safe_path(root, str(path))
    except ContentError:
        what = "symlink" if _has_symlink(path, root) else "path"
        raise ContentError(
            f"{what} points outside the playbook folder; not read",
            path=rel,
            hint="replace the symlink by a copy of the file, or remove it",
        ) from None
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise ContentError(
                "not a regular file (a device, socket or pipe)",
                path=rel,
                hint="keep only Markdown text files in the playbook folder",
            )
        size = info.st_size
        if size > settings.max_file_bytes:
            raise ContentError(
                f"file is too large ({size:,} bytes; the limit is {settings.max_file_bytes:,})",
                path=rel,
                hint="split it into several assets, or raise max_file_bytes in spmkb.toml",
            )
        data = path.read_bytes()
    except OSError as exc:
        raise ContentError(
            f"cannot read file: {exc.strerror}",
            path=rel,
            hint="check that the file exists (symlink target too) and is readable",
        ) from None
    if b"\x00" in data:
        offset = data.index(b"\x00")
        raise ContentError(
            f"binary file (NUL byte at offset {offset}), not Markdown text",
            path=rel,
            line=data.count(b"\n", 0, offset) + 1,
            hint="only Markdown text files belong here; move the file out or rename it",
        )
    if not data.strip():
        raise ContentError(
            "file is empty", path=rel, hint="add front matter and content, or delete the file"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ContentError(
            f"not UTF-8 text: byte 0x{data[exc.start]:02x} at line {line}, column {col}",
            path=rel,
            line=line,
            hint="re-save the file as UTF-8 (e.g. iconv -f cp1252 -t utf-8)",
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _has_symlink(path: Path, root: Path) -> bool:
    p = path
    while p != root and p != p.parent:
        if p.is_symlink():
            return True
        p = p.parent
    return False


def load_asset(path: Path, root: Path, settings: Settings | None = None) -> Asset:
    """Read and parse one asset file below ``root`` (raises :class:`ContentError`).

    ``path`` is absolute, or relative to ``root`` (``root / rel`` with a relative root works too).
    """
    root = Path(root)
    path = Path(path)
    text = read_text(path, root, settings)
    return parse_asset(text, _rel(_under(path, root), root), settings)
