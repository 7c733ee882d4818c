"""Loading whole playbook folders: nasty files are skipped and reported, the rest loads."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from spmkb.config import Settings
from spmkb.content import load_asset, load_library, safe_path
from spmkb.errors import ContentError

NASTY = Path(__file__).resolve().parents[1] / "data" / "content" / "nasty"


@pytest.fixture(scope="module")
def nasty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of tests/data/content/nasty plus generated files that are not committed."""
    tmp_path = tmp_path_factory.mktemp("nasty")
    root = tmp_path / "playbooks"
    shutil.copytree(NASTY, root)
    big = "---\ntitle: Huge\n---\n" + ("word " * 1_000_000)  # 5 MB
    (root / "huge.md").write_text(big, encoding="utf-8")
    outside = tmp_path / "secret"
    outside.mkdir()
    (outside / "passwords.md").write_text("# Secret\n\nhunter2\n", encoding="utf-8")
    (root / "leak.md").symlink_to(outside / "passwords.md")
    (root / "leakdir").symlink_to(outside, target_is_directory=True)
    (root / ".git").mkdir()
    (root / ".git" / "HEAD.md").write_text("# not an asset\n", encoding="utf-8")
    (root / "notes.txt").write_text("not markdown\n", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def library(nasty: Path):
    """The nasty folder loaded once per test."""
    return load_library(nasty, Settings())


# file, problem code, line, field, pieces of the message, piece of the hint
SKIPPED = [
    ("bad_yaml.md", "yaml", 3, None, ["invalid YAML", "flow sequence"], "YAML syntax"),
    ("not_a_mapping.md", "front-matter", 2, None, ["must be a mapping"], "field: value"),
    ("wrong_type.md", "field-type", 4, "review_every", ["whole number"], "review_every: 90"),
    ("latin1.md", "encoding", 2, None, ["not UTF-8", "byte 0xe9 at line 2, column 11"], "UTF-8"),
    ("binary.md", "binary", 2, None, ["binary file", "NUL byte"], "Markdown text"),
    ("empty.md", "empty", None, None, ["file is empty"], "delete the file"),
    ("huge.md", "too-large", None, None, ["too large", "2,000,000"], "max_file_bytes"),
    ("leak.md", "symlink-escape", None, None, ["symlink points outside"], "remove it"),
    (
        "objections/price.md",
        "duplicate-id",
        None,
        "id",
        ["already used by battlecards/price.md"],
        "another 'id:'",
    ),
]


@pytest.mark.parametrize(
    ("rel", "code", "line", "field", "pieces", "hint"), SKIPPED, ids=[s[0] for s in SKIPPED]
)
def test_bad_file_is_skipped_with_located_message(
    library, rel: str, code: str, line: int | None, field: str | None, pieces: list[str], hint: str
) -> None:
    assert rel in library.skipped
    errors = [p for p in library.problems if p.path == rel and p.severity == "error"]
    assert len(errors) == 1, errors
    err = errors[0]
    assert (err.code, err.line, err.field) == (code, line, field)
    for piece in pieces:
        assert piece in err.message
    assert hint in err.hint


def test_valid_rest_loads_and_every_file_is_accounted_for(library) -> None:
    loaded = sorted(a.path for a in library.assets)
    assert loaded == ["battlecards/price.md", "good.md"]
    assert sorted(library.files) == sorted([*loaded, *library.skipped])
    # hidden folders, non-Markdown files and the root README are not candidates
    assert not [
        f for f in library.files if f.startswith(".git") or f.endswith((".txt", "README.md"))
    ]
    good = library.by_id["good"]
    assert good.type == "discovery-guide" and good.personas == ["economic-buyer", "champion"]


def test_duplicate_id_reports_both_files(library) -> None:
    dup = [p for p in library.problems if p.code == "duplicate-id"]
    assert {(p.path, p.severity) for p in dup} == {
        ("objections/price.md", "error"),
        ("battlecards/price.md", "warning"),
    }
    first = next(p for p in dup if p.path == "battlecards/price.md")
    assert first.line == 2  # the explicit 'id:' line
    assert "objections/price.md" in first.message


def test_folder_symlink_outside_is_reported_not_followed(library) -> None:
    (problem,) = [p for p in library.problems if p.path == "leakdir"]
    assert (problem.severity, problem.code) == ("error", "symlink-escape")
    assert "outside the playbook folder" in problem.message
    assert not any(f.startswith("leakdir/") for f in library.files)
    assert "leakdir" not in library.skipped  # skipped lists candidate files only


def test_symlink_escape_is_never_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "root"
    root.mkdir()
    secret = tmp_path / "secret.md"
    secret.write_text("# Secret\n", encoding="utf-8")
    (root / "link.md").symlink_to(secret)
    (root / "ok.md").write_text("# Fine\n", encoding="utf-8")
    read: list[str] = []
    original = Path.read_bytes

    def spy(self: Path) -> bytes:
        read.append(os.path.realpath(self))
        return original(self)

    monkeypatch.setattr(Path, "read_bytes", spy)
    with pytest.raises(ContentError, match="symlink points outside the playbook folder") as info:
        load_asset(root / "link.md", root)
    assert info.value.path == "link.md"
    lib = load_library(root)
    assert [a.id for a in lib.assets] == ["ok"]
    assert str(secret.resolve()) not in read


def test_symlink_inside_root_is_fine(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# A\n", encoding="utf-8")
    (tmp_path / "b.md").symlink_to(tmp_path / "a.md")
    assert load_asset(tmp_path / "b.md", tmp_path).title == "A"


@pytest.mark.parametrize(
    ("rel", "ok"),
    [("a/b.md", True), ("../x.md", False), ("a/../../x.md", False), ("/etc/passwd", False)],
    ids=["inside", "parent", "sneaky-parent", "absolute"],
)
def test_safe_path(tmp_path: Path, rel: str, ok: bool) -> None:
    if ok:
        assert safe_path(tmp_path, rel) == (tmp_path / rel).resolve()
    else:
        with pytest.raises(ContentError, match="outside the playbook folder"):
            safe_path(tmp_path, rel)


def test_load_asset_relative_to_root() -> None:
    asset = load_asset(Path("good.md"), NASTY)
    assert asset.path == "good.md" and asset.id == "good"


def test_load_asset_path_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = tmp_path / "real"
    (real / "objections").mkdir(parents=True)
    (real / "objections" / "price.md").write_text("# Price\n", encoding="utf-8")
    (tmp_path / "alias").symlink_to(real, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    forms = [
        (Path("objections/price.md"), Path("real")),  # relative path, relative root
        (real / "objections" / "price.md", Path("real")),  # absolute path, relative root
        (safe_path(Path("alias"), "objections/price.md"), Path("alias")),  # resolved path
        (tmp_path / "alias" / "objections" / "price.md", real),  # symlinked path, real root
        (Path("real") / "objections" / "price.md", Path("real")),  # root / rel, relative root
    ]
    for path, root in forms:
        asset = load_asset(path, root)
        assert (asset.id, asset.path) == ("objections/price", "objections/price.md"), (path, root)


def test_relative_root_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "plays" / "a").mkdir(parents=True)
    (tmp_path / "plays" / "a" / "b.md").write_text("# B\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    lib = load_library(Path("plays"))
    assert [a.id for a in lib.assets] == ["a/b"] and lib.skipped == {}


def test_missing_root_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="playbook folder not found"):
        load_library(tmp_path / "nope")


def test_fifo_and_dangling_symlink_are_skipped_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.md")
    (tmp_path / "dangling.md").symlink_to(tmp_path / "gone.md")
    (tmp_path / "ok.md").write_text("# OK\n", encoding="utf-8")
    lib = load_library(tmp_path)
    assert [a.id for a in lib.assets] == ["ok"]
    assert "not a regular file" in lib.skipped["pipe.md"]
    assert "No such file" in lib.skipped["dangling.md"]
    codes = {p.path: p.code for p in lib.problems if p.severity == "error"}
    assert codes == {"pipe.md": "not-a-file", "dangling.md": "unreadable"}


def test_max_file_bytes_comes_from_settings(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# A\n\n" + "x" * 200, encoding="utf-8")
    lib = load_library(tmp_path, Settings(max_file_bytes=100))
    assert lib.assets == [] and "too large" in lib.skipped["a.md"]


def test_a_relative_root_loads_like_an_absolute_one(tmp_path, monkeypatch) -> None:
    from spmkb.content import load_library

    (tmp_path / "pb").mkdir()
    (tmp_path / "pb" / "a.md").write_text(
        "---\ntitle: A\ntype: playbook\nowner: x\n---\n# A\n\nBody text.\n"
    )
    monkeypatch.chdir(tmp_path)
    lib = load_library("pb")
    assert [a.id for a in lib.assets] == ["a"]
    assert not lib.errors


def test_a_file_name_that_is_not_utf8_is_named_and_skipped(tmp_path) -> None:
    """``caf\\xe9.md`` (Latin-1 bytes) is reported by name; the other files still load."""
    import os

    from spmkb.content import load_library

    root = tmp_path / "pb"
    root.mkdir()
    (root / "good.md").write_text("# Good\n\nA fine asset about discovery calls.\n")
    fd = os.open(os.fsencode(str(root)) + b"/caf\xe9.md", os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, b"# Cafe\n\nText.\n")
    os.close(fd)
    lib = load_library(root)
    assert [a.path for a in lib.assets] == ["good.md"]
    (problem,) = [p for p in lib.problems if p.code == "file-name"]
    assert str(problem) == (
        "caf\\xe9.md: error: file name is not valid UTF-8; skipped — rename the file "
        "(e.g. with `mv` in a UTF-8 terminal), then index again"
    )
    assert lib.skipped == {"caf\\xe9.md": "file name is not valid UTF-8"}
