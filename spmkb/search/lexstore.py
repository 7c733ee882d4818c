"""The lexical side of the index, stored on its own next to the vectors.

``spmkb index`` writes, BEFORE it embeds anything (before it even opens Chroma, whose import
alone takes seconds), one snapshot per physical Chroma collection: every section's id, text
and metadata plus the scored BM25 arrays. A :class:`~spmkb.search.query.Searcher` opens that
file instead of reading every record back from Chroma and tokenizing them again, so new and
changed sections are lexically searchable at once and opening a large index is fast.

Files, under ``<store>/lexical/`` (embedded index) or ``<store>/lexical/<host>-<port>/``
(a ``chroma run`` server; the local folder is a cache keyed by server and collection):

- ``<physical>.npz``: the snapshot (``numpy.savez``, no pickles: a JSON blob + BM25 arrays);
- ``<physical>.state.json``: embedding progress of the run that wrote the snapshot (total,
  pending, complete, the writer's pid and host), rewritten after every embedded round;
- ``<collection>.json``: the physical collection a first index is creating, so the snapshot
  serves before Chroma holds the collection.

Every file is written to a temporary name and moved into place with :func:`os.replace`, so a
reader sees the old file or the new one, never half of one. The snapshot's ``gen`` is a hash of
every section's id, text hash and metadata: an unchanged library writes nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from spmkb.config import Settings
from spmkb.search.lexical import LexicalIndex

#: Bump when tokenization or the snapshot layout changes (older snapshots are re-tokenized).
LEXICAL_VERSION = 1
RUNNING_AGE = 600.0  # a run on another host counts as running while its state is this fresh


def _dumps(obj: Any) -> bytes:
    try:
        import orjson

        return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
    except ImportError:  # pragma: no cover - orjson is optional
        return json.dumps(obj, sort_keys=True, ensure_ascii=False).encode("utf-8")


def _loads(data: bytes) -> Any:
    try:
        import orjson

        return orjson.loads(data)
    except ImportError:  # pragma: no cover
        return json.loads(data.decode("utf-8"))


def lexical_dir(settings: Settings) -> Path:
    """Folder of the lexical files for this index (embedded, or per Chroma server)."""
    base = Path(settings.store) / "lexical"
    if settings.chroma_url:
        from spmkb.search.store import parse_url

        address = parse_url(settings.chroma_url)
        return base / f"{address.host}-{address.port}"
    return base


def snapshot_path(settings: Settings, physical: str) -> Path:
    """Path of the snapshot of physical collection ``physical``."""
    return lexical_dir(settings) / f"{physical}.npz"


def state_path(settings: Settings, physical: str) -> Path:
    """Path of the embedding-progress file of physical collection ``physical``."""
    return lexical_dir(settings) / f"{physical}.state.json"


def _atomic_write(path: Path, write: Any) -> None:
    """Write through ``write(fileobj)`` into a temporary file, then move it onto ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def fingerprint(record_id: str, metadata: dict[str, Any]) -> str:
    """What identifies one stored section: its id and metadata (which holds the text hash)."""
    return hashlib.sha256(_dumps([record_id, metadata])).hexdigest()[:20]


def generation(fingerprints: list[str]) -> str:
    """The snapshot's generation: a hash of every section's fingerprint (order-free)."""
    return hashlib.sha256("\n".join(sorted(fingerprints)).encode()).hexdigest()[:16]


@dataclass
class Snapshot:
    """The lexical side of one physical collection, as stored."""

    physical: str
    gen: str
    signature: dict[str, Any]
    ids: list[str]
    docs: list[str]
    metas: list[dict[str, Any]]
    fingerprints: list[str]
    arrays: dict[str, Any] | None = None
    version: int = LEXICAL_VERSION
    written: float = 0.0

    lexical_key: str = ""

    def lexical(self, documents: list[str], options: Any = None) -> LexicalIndex:
        """The BM25 index over ``documents`` (the texts as ranked with ``options``): restored
        from the arrays, or built again when the layout or the field weights differ."""
        same = self.lexical_key == lexical_key(options)
        if self.arrays is not None and self.version == LEXICAL_VERSION and same:
            return LexicalIndex.from_arrays(documents, self.arrays)
        return LexicalIndex(documents)


def lexical_key(options: Any = None) -> str:
    """What of the ranking options shapes the BM25 documents (title and heading weights)."""
    if options is None:
        from spmkb.search.ranking import RankingOptions

        options = RankingOptions()
    return f"title={options.title_weight}:heading={options.heading_weight}"


def lexical_texts(docs: list[str], metas: list[dict[str, Any]], options: Any = None) -> list[str]:
    """The BM25 documents for ``options`` (:func:`spmkb.search.ranking.lexical_documents`)."""
    from spmkb.search.ranking import RankingOptions, lexical_documents

    return lexical_documents(docs, metas, options or RankingOptions())


def write_snapshot(
    settings: Settings,
    physical: str,
    signature: dict[str, Any],
    ids: list[str],
    docs: list[str],
    metas: list[dict[str, Any]],
    options: Any = None,
) -> Snapshot:
    """Tokenize and score the sections (BM25 documents as ranking ``options`` shape them),
    then store them for ``physical`` (atomically)."""
    fingerprints = [fingerprint(i, m) for i, m in zip(ids, metas, strict=True)]
    lexical = LexicalIndex(lexical_texts(docs, metas, options))
    arrays = lexical.to_arrays()
    vocab = arrays.pop("bm25_vocab")
    snap = Snapshot(physical, generation(fingerprints), dict(signature), ids, docs, metas,
                    fingerprints, arrays, LEXICAL_VERSION, time.time(),
                    lexical_key(options))  # fmt: skip
    header = {"physical": physical, "gen": snap.gen, "signature": snap.signature,
              "version": LEXICAL_VERSION, "written": snap.written, "n": len(ids),
              "lexical_key": snap.lexical_key}  # fmt: skip
    blob = _dumps({"ids": ids, "docs": docs, "metas": metas, "vocab": vocab})

    def write(fh: Any) -> None:
        np.savez(
            fh,
            header=np.frombuffer(_dumps(header), dtype=np.uint8),
            keys=np.frombuffer(_dumps(fingerprints), dtype=np.uint8),
            blob=np.frombuffer(blob, dtype=np.uint8),
            **arrays,
        )

    _atomic_write(snapshot_path(settings, physical), write)
    snap.arrays = {**arrays, "bm25_vocab": vocab}
    return snap


def read_header(settings: Settings, physical: str) -> dict[str, Any] | None:
    """The snapshot's header and section fingerprints only (``None`` when absent or damaged)."""
    path = snapshot_path(settings, physical)
    try:
        with np.load(path, allow_pickle=False) as npz:
            header = _loads(npz["header"].tobytes())
            header["fingerprints"] = _loads(npz["keys"].tobytes())
    except (OSError, ValueError, KeyError):
        return None
    return header


def read_snapshot(settings: Settings, physical: str) -> Snapshot | None:
    """The stored snapshot of ``physical`` (``None`` when absent or damaged)."""
    path = snapshot_path(settings, physical)
    try:
        with np.load(path, allow_pickle=False) as npz:
            header = _loads(npz["header"].tobytes())
            body = _loads(npz["blob"].tobytes())
            fingerprints = _loads(npz["keys"].tobytes())
            arrays = {k: npz[k] for k in npz.files if k.startswith("bm25_")}
    except (OSError, ValueError, KeyError):
        return None
    arrays["bm25_vocab"] = body.get("vocab", [])
    return Snapshot(
        physical=str(header.get("physical", physical)),
        gen=str(header.get("gen", "")),
        signature=dict(header.get("signature") or {}),
        ids=list(body["ids"]),
        docs=list(body["docs"]),
        metas=list(body["metas"]),
        fingerprints=list(fingerprints),
        arrays=arrays,
        version=int(header.get("version", 0)),
        written=float(header.get("written", 0.0)),
        lexical_key=str(header.get("lexical_key", "")),
    )


@dataclass
class IndexState:
    """Embedding progress of the run that wrote a snapshot."""

    gen: str
    total: int
    pending: int
    complete: bool
    pid: int = field(default_factory=os.getpid)
    host: str = field(default_factory=socket.gethostname)
    updated: float = field(default_factory=time.time)

    @property
    def embedded_share(self) -> float:
        """Fraction of the snapshot's sections whose current text is embedded."""
        if self.complete or self.total <= 0:
            return 1.0
        return max(0.0, min(1.0, (self.total - self.pending) / self.total))

    def running(self) -> bool:
        """Whether the run that writes this state is still alive (judged by pid on this host)."""
        if self.complete:
            return False
        if self.host != socket.gethostname():
            return time.time() - self.updated < RUNNING_AGE
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def progress_note(state: IndexState) -> str:
    """What a search says while the sections are not all embedded (floor: 100 % only once
    complete)."""
    pct = int(100 * state.embedded_share)
    if state.running():
        return f"semantic results for {pct} % of the library so far; `spmkb index` is embedding the rest"
    return (
        "the index is incomplete: an `spmkb index` run did not finish; semantic results for "
        f"{pct} % of the library — run `spmkb index` to complete it"
    )


def write_state(settings: Settings, physical: str, state: IndexState) -> None:
    """Store ``state`` for ``physical`` (atomically)."""
    state.updated = time.time()
    data = json.dumps(asdict(state)).encode()
    _atomic_write(state_path(settings, physical), lambda fh: fh.write(data))


def read_state(settings: Settings, physical: str) -> IndexState | None:
    """The stored progress of ``physical`` (``None`` when absent or unreadable)."""
    try:
        data = json.loads(state_path(settings, physical).read_text(encoding="utf-8"))
        return IndexState(**data)
    except (OSError, ValueError, TypeError):
        return None


def hint_path(settings: Settings) -> Path:
    """Path of the file naming the physical collection a first index is creating."""
    return lexical_dir(settings) / f"{settings.collection}.json"


def write_hint(settings: Settings, physical: str) -> None:
    """Record ``physical`` as the collection that serves (or will) for this index."""
    data = json.dumps({"physical": physical}).encode()
    _atomic_write(hint_path(settings), lambda fh: fh.write(data))


def read_hint(settings: Settings) -> str | None:
    """The physical collection named by the hint file, if any."""
    try:
        return str(json.loads(hint_path(settings).read_text(encoding="utf-8"))["physical"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def stamp(settings: Settings, physical: str) -> tuple[int, int]:
    """Modification stamps (ns) of the snapshot and the state file (0 when absent)."""
    out = []
    for path in (snapshot_path(settings, physical), state_path(settings, physical)):
        try:
            out.append(path.stat().st_mtime_ns)
        except OSError:
            out.append(0)
    return out[0], out[1]


def remove_others(settings: Settings, keep: set[str]) -> list[str]:
    """Delete the snapshot and state files of physical collections not in ``keep``."""
    folder = lexical_dir(settings)
    removed = []
    prefix = f"{settings.collection}-g"
    for path in folder.glob(f"{prefix}*") if folder.is_dir() else []:
        physical = path.name.removesuffix(".npz").removesuffix(".state.json")
        if physical not in keep:
            path.unlink(missing_ok=True)
            removed.append(path.name)
    return removed
