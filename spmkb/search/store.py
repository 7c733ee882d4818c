"""The vector store: one Chroma collection of sections, embedded or on a Chroma server.

``PersistentClient`` under ``settings.chroma_path`` by default; ``HttpClient`` when
``settings.chroma_url`` is set (a heartbeat with a short timeout runs first, so a server that
is down gives a clear :class:`StoreError` instead of a hang). Chroma's default embedding
function is never used: every write and query passes embeddings.

The collection metadata records the embedding model, its dimension and the chunking
signature; :meth:`Store.collection` reports a mismatch so sync can rebuild.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from spmkb.config import Settings
from spmkb.errors import StoreError

HEARTBEAT_TIMEOUT = 3.0  # seconds per heartbeat attempt
_CLIENTS: dict[str, Any] = {}


@dataclass(frozen=True)
class ServerAddress:
    """Host, port and TLS flag parsed from a Chroma server URL."""

    host: str
    port: int
    ssl: bool

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:8000``."""
        return f"{'https' if self.ssl else 'http'}://{self.host}:{self.port}"


def parse_url(url: str) -> ServerAddress:
    """Parse ``http(s)://host[:port]`` (a bare ``host:port`` means http)."""
    text = url.strip()
    if "://" not in text:
        text = "http://" + text
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise StoreError(
            f"invalid Chroma URL {url!r}",
            field="chroma_url",
            hint="use http://host:port, e.g. http://127.0.0.1:8000",
        )
    ssl = parts.scheme == "https"
    try:
        port = parts.port or (443 if ssl else 8000)
    except ValueError:
        raise StoreError(f"invalid port in Chroma URL {url!r}", field="chroma_url") from None
    return ServerAddress(parts.hostname, port, ssl)


def heartbeat(address: ServerAddress, timeout: float = HEARTBEAT_TIMEOUT) -> None:
    """Check the server answers ``/api/v2/heartbeat`` within ``timeout`` seconds."""
    url = address.url + "/api/v2/heartbeat"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            json.loads(resp.read() or b"{}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise StoreError(
            f"Chroma server at {address.url} is not reachable ({reason})",
            field="chroma_url",
            hint="start it with `chroma run --path DIR --host HOST --port PORT`, "
            "or unset SPMKB_CHROMA_URL / --chroma-url to use the embedded index",
        ) from None


def _chroma_settings() -> Any:
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def open_client(settings: Settings) -> Any:
    """Return a Chroma client for ``settings`` (cached per path/URL in this process)."""
    if settings.chroma_url:
        address = parse_url(settings.chroma_url)
        heartbeat(address)
        key = "http:" + address.url
        if key in _CLIENTS:
            return _CLIENTS[key]
        import chromadb

        try:
            client = chromadb.HttpClient(
                host=address.host, port=address.port, ssl=address.ssl, settings=_chroma_settings()
            )
        except Exception as exc:
            raise StoreError(f"cannot connect to Chroma at {address.url}: {exc}") from exc
    else:
        path = settings.chroma_path
        key = "path:" + str(path.resolve())
        if key in _CLIENTS:
            return _CLIENTS[key]
        import chromadb

        try:
            path.mkdir(parents=True, exist_ok=True)
            client = chromadb.PersistentClient(path=str(path), settings=_chroma_settings())
        except Exception as exc:
            raise StoreError(
                f"cannot open the index: {exc}",
                path=path,
                hint="check the folder is writable; delete it and run `spmkb index --rebuild` if corrupt",
            ) from exc
    _CLIENTS[key] = client
    return client


def where_clause(filters: dict[str, Any]) -> dict[str, Any] | None:
    """Build a Chroma ``where`` from filters: list fields match by membership, ``type`` exactly."""
    terms: list[dict[str, Any]] = []
    for key, value in filters.items():
        if value is None or value == "":
            continue
        if key == "type":
            terms.append({"type": value})
        elif key == "asset_id":
            terms.append({"asset_id": value})
        elif key == "path":
            terms.append({"path": value})
        else:
            terms.append({key: {"$contains": value}})
    if not terms:
        return None
    return terms[0] if len(terms) == 1 else {"$and": terms}


class Store:
    """One Chroma collection of sections, with the index signature in its metadata."""

    def __init__(self, settings: Settings, client: Any | None = None) -> None:
        self.settings = settings
        self.client = client if client is not None else open_client(settings)
        self.name = settings.collection
        self._collection: Any | None = None

    def _wrap(self, action: str, exc: Exception) -> StoreError:
        where = self.settings.chroma_url or str(self.settings.chroma_path)
        return StoreError(f"Chroma failed to {action} ({where}): {exc}")

    def get(self) -> Any | None:
        """Return the existing collection, or ``None`` when it does not exist yet."""
        if self._collection is not None:
            return self._collection
        try:
            names = [getattr(c, "name", c) for c in self.client.list_collections()]
            if self.name not in names:
                return None
            self._collection = self.client.get_collection(self.name, embedding_function=None)
        except Exception as exc:
            raise self._wrap("open the collection", exc) from exc
        return self._collection

    def create(self, signature: dict[str, Any]) -> Any:
        """Create the collection (cosine space) with ``signature`` as its metadata."""
        try:
            self._collection = self.client.create_collection(
                self.name,
                configuration={"hnsw": {"space": "cosine"}},
                metadata=dict(signature),
                embedding_function=None,
                get_or_create=True,
            )
        except Exception as exc:
            raise self._wrap("create the collection", exc) from exc
        return self._collection

    def drop(self) -> None:
        """Delete the collection if it exists."""
        self._collection = None
        try:
            if self.get() is not None:
                self.client.delete_collection(self.name)
        except StoreError:
            raise
        except Exception as exc:
            raise self._wrap("delete the collection", exc) from exc
        self._collection = None

    def signature(self) -> dict[str, Any]:
        """Metadata of the existing collection (empty when there is none)."""
        col = self.get()
        return dict(col.metadata or {}) if col is not None else {}

    def set_metadata(self, metadata: dict[str, Any]) -> None:
        """Replace the collection metadata (signature + bookkeeping)."""
        col = self.get()
        if col is None:
            return
        try:
            col.modify(metadata=dict(metadata))
        except Exception as exc:
            raise self._wrap("update collection metadata", exc) from exc

    def all_metadata(self) -> dict[str, dict[str, Any]]:
        """Return ``{id: metadata}`` for every stored section."""
        col = self.get()
        if col is None:
            return {}
        out: dict[str, dict[str, Any]] = {}
        try:
            total = col.count()
            step = 5000
            for offset in range(0, total, step):
                got = col.get(include=["metadatas"], limit=step, offset=offset)
                out.update(zip(got["ids"], got["metadatas"], strict=True))
        except Exception as exc:
            raise self._wrap("read the index", exc) from exc
        return out

    def all_records(self) -> tuple[list[str], list[str], list[dict[str, Any]]]:
        """Return ids, documents and metadatas of every stored section."""
        col = self.get()
        ids: list[str] = []
        docs: list[str] = []
        metas: list[dict[str, Any]] = []
        if col is None:
            return ids, docs, metas
        try:
            total = col.count()
            step = 5000
            for offset in range(0, total, step):
                got = col.get(include=["documents", "metadatas"], limit=step, offset=offset)
                ids += got["ids"]
                docs += got["documents"]
                metas += got["metadatas"]
        except Exception as exc:
            raise self._wrap("read the index", exc) from exc
        return ids, docs, metas

    def embeddings(self, ids: list[str]) -> dict[str, list[float]]:
        """Return stored embeddings for ``ids`` (missing ids are left out)."""
        col = self.get()
        if col is None or not ids:
            return {}
        out: dict[str, list[float]] = {}
        try:
            for start in range(0, len(ids), 1000):
                got = col.get(ids=ids[start : start + 1000], include=["embeddings"])
                out.update(zip(got["ids"], got["embeddings"], strict=True))
        except Exception as exc:
            raise self._wrap("read embeddings", exc) from exc
        return out

    def upsert(
        self,
        ids: list[str],
        embeddings: Any,
        documents: list[str],
        metadatas: list[dict[str, Any]],
        batch: int = 1000,
    ) -> None:
        """Write sections in batches (embeddings always given)."""
        col = self.get()
        if col is None:
            raise StoreError("the collection does not exist", hint="run `spmkb index --rebuild`")
        try:
            for s in range(0, len(ids), batch):
                col.upsert(
                    ids=ids[s : s + batch],
                    embeddings=embeddings[s : s + batch],
                    documents=documents[s : s + batch],
                    metadatas=metadatas[s : s + batch],
                )
        except Exception as exc:
            raise self._wrap("write sections", exc) from exc

    def delete(self, ids: list[str], batch: int = 1000) -> None:
        """Delete sections by id."""
        col = self.get()
        if col is None or not ids:
            return
        try:
            for s in range(0, len(ids), batch):
                col.delete(ids=ids[s : s + batch])
        except Exception as exc:
            raise self._wrap("delete sections", exc) from exc

    def count(self) -> int:
        """Number of stored sections (0 when the collection does not exist)."""
        col = self.get()
        if col is None:
            return 0
        try:
            return int(col.count())
        except Exception as exc:
            raise self._wrap("count sections", exc) from exc

    def query(
        self, embedding: Any, n: int, where: dict[str, Any] | None = None
    ) -> tuple[list[str], list[float]]:
        """Nearest sections to ``embedding``: ids and cosine distances, best first."""
        col = self.get()
        if col is None:
            return [], []
        try:
            got = col.query(
                query_embeddings=[embedding], n_results=n, where=where, include=["distances"]
            )
        except Exception as exc:
            raise self._wrap("query the index", exc) from exc
        return list(got["ids"][0]), [float(d) for d in got["distances"][0]]

    def ids_where(self, where: dict[str, Any] | None) -> list[str]:
        """Ids of sections matching ``where`` (filter evaluated inside Chroma)."""
        col = self.get()
        if col is None:
            return []
        try:
            return list(col.get(where=where, include=[])["ids"])
        except Exception as exc:
            raise self._wrap("filter the index", exc) from exc
