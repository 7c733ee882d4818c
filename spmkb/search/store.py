"""The vector store: one Chroma collection of sections, embedded or on a Chroma server.

``PersistentClient`` under ``settings.chroma_path`` by default; ``HttpClient`` when
``settings.chroma_url`` is set (a heartbeat with a short timeout runs first, so a server that
is down gives a clear :class:`StoreError` instead of a hang). Chroma's default embedding
function is never used: every write and query passes embeddings.

The collection metadata records the embedding model, its dimension and the chunking
signature; sync compares it with the settings and rebuilds on a mismatch.

Rebuilds never empty the index. The logical collection ``<name>`` is served by a physical
collection named in the metadata of a small pointer collection ``<name>-ptr``
(``{"active": "<name>-g<id>"}``). A rebuild fills a NEW physical collection and switches the
pointer (one metadata write) only when it is complete; the old one is then deleted. A process
killed during a rebuild leaves the old index serving; its half-built collection is an orphan
that the next index run deletes (:meth:`Store.remove_orphans`). An index written by an older
spmkb (a plain ``<name>`` collection, no pointer) keeps serving until its first rebuild.
"""

from __future__ import annotations

import json
import os
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spmkb.config import Settings
from spmkb.errors import StoreError

HEARTBEAT_TIMEOUT = 3.0  # seconds per heartbeat attempt
ORPHAN_AGE = 6 * 3600  # a half-built collection of another host is removed after this long
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


def auth_headers(token: str | None) -> dict[str, str]:
    """The headers that carry a server token (none without one)."""
    return {"Authorization": f"Bearer {token}"} if token else {}


def heartbeat(
    address: ServerAddress, timeout: float = HEARTBEAT_TIMEOUT, token: str | None = None
) -> None:
    """Check the server answers ``/api/v2/heartbeat`` within ``timeout`` seconds."""
    url = address.url + "/api/v2/heartbeat"
    request = urllib.request.Request(url, headers=auth_headers(token))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            raise StoreError(
                f"Chroma server at {address.url} refused the request ({exc.code}: "
                + ("a token is required" if not token else "the token was not accepted")
                + ")",
                field="chroma_token",
                hint="set SPMKB_CHROMA_TOKEN (or chroma_token in spmkb.toml) to the team's token",
            ) from None
        raise StoreError(
            f"Chroma server at {address.url} answered {exc.code} {exc.reason}",
            field="chroma_url",
            hint="check the URL points at a Chroma server (or its proxy)",
        ) from None
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
        heartbeat(address, token=settings.chroma_token)
        key = f"http:{address.url}:{hash(settings.chroma_token)}:{settings.chroma_timeout}"
        if key in _CLIENTS:
            return _CLIENTS[key]
        import chromadb

        try:
            client = chromadb.HttpClient(
                host=address.host,
                port=address.port,
                ssl=address.ssl,
                headers=auth_headers(settings.chroma_token),
                settings=_chroma_settings(),
            )
            _set_timeout(client, float(settings.chroma_timeout))
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
                hint="check the folder is writable; if the index is damaged, `spmkb index "
                "--rebuild` moves it aside and builds a new one",
            ) from exc
    _CLIENTS[key] = client
    return client


def set_aside(settings: Settings) -> Path | None:
    """Move a damaged embedded index folder aside (``chroma.damaged-<time>``); return where."""
    path = Path(settings.chroma_path)
    if settings.chroma_url or not path.exists():
        return None
    _CLIENTS.pop("path:" + str(path.resolve()), None)
    from chromadb.api.shared_system_client import SharedSystemClient

    for key in [
        k for k in SharedSystemClient._identifier_to_system if k in (str(path), str(path.resolve()))
    ]:
        SharedSystemClient._identifier_to_system.pop(key, None)  # a system left half-open
    target = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
    os.replace(path, target)
    return target


def _set_timeout(client: Any, seconds: float) -> None:
    """Give every request of an HttpClient a timeout (chromadb 1.5 creates its httpx session
    with ``timeout=None``, so a frozen server would block a caller forever)."""
    import httpx

    session = getattr(getattr(client, "_server", None), "_session", None)
    if session is not None:
        session.timeout = httpx.Timeout(seconds, connect=HEARTBEAT_TIMEOUT)


def reopen_client(settings: Settings) -> Any:
    """A fresh embedded client that reads the index from disk again.

    Chroma's embedded client keeps each collection's vector index in memory: writes by another
    process (an ``spmkb index`` while a notebook searches) reach the record count but not the
    vectors it queries. A new client system re-reads both. Server clients are returned as is.
    """
    if settings.chroma_url:
        return open_client(settings)
    from chromadb.api.shared_system_client import SharedSystemClient

    key = "path:" + str(settings.chroma_path.resolve())
    old = _CLIENTS.pop(key, None)
    if old is not None:
        SharedSystemClient._identifier_to_system.pop(getattr(old, "_identifier", None), None)
    return open_client(settings)


def _is_timeout(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is a request timeout."""
    import httpx

    while exc is not None:
        if isinstance(exc, (httpx.TimeoutException, TimeoutError)):
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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


class NoClient:
    """Stands in for a Chroma client while a first index has not created Chroma yet."""

    def list_collections(self) -> list[Any]:
        """No collections yet."""
        return []


def new_physical_name(collection: str) -> str:
    """A fresh physical collection name, ``<collection>-g<id>``."""
    return f"{collection}-g{uuid.uuid4().hex[:10]}"


class Store:
    """One logical collection of sections (served by a physical one), with its signature."""

    def __init__(self, settings: Settings, client: Any | None = None) -> None:
        self.settings = settings
        self.client = client if client is not None else open_client(settings)
        self.name = settings.collection
        self.pointer = f"{self.name}-ptr"
        self.physical: str | None = None  # the collection that serves, once resolved
        self._collection: Any | None = None

    def _wrap(self, action: str, exc: Exception) -> StoreError:
        if self.settings.chroma_url:
            if _is_timeout(exc):
                return StoreError(
                    f"Chroma server at {self.settings.chroma_url} did not answer within "
                    f"{self.settings.chroma_timeout:g} s while trying to {action}",
                    field="chroma_url",
                    hint="the server is frozen or overloaded: restart it (chroma run …), or "
                    "unset SPMKB_CHROMA_URL to use the embedded index",
                )
            return StoreError(
                f"Chroma server at {self.settings.chroma_url} failed to {action}: {exc}",
                hint="check the server runs and the token (SPMKB_CHROMA_TOKEN) is right",
            )
        return StoreError(
            f"Chroma failed to {action} ({self.settings.chroma_path}): {exc}",
            hint="if it keeps failing, run `spmkb index --rebuild`",
        )

    def _names(self) -> list[str]:
        return [getattr(c, "name", c) for c in self.client.list_collections()]

    def _active(self, names: list[str]) -> str | None:
        """The physical collection the pointer names (or the legacy plain one)."""
        if self.pointer in names:
            meta = self.client.get_collection(self.pointer, embedding_function=None).metadata
            active = (meta or {}).get("active")
            if active in names:
                return str(active)
        return self.name if self.name in names else None

    def get(self) -> Any | None:
        """Return the collection that serves, or ``None`` when there is none yet."""
        if self._collection is not None:
            return self._collection
        try:
            physical = self._active(self._names())
            if physical is None:
                return None
            self._collection = self.client.get_collection(physical, embedding_function=None)
            self.physical = physical
        except Exception as exc:
            raise self._wrap("open the collection", exc) from exc
        return self._collection

    def reopen(self) -> None:
        """Forget cached handles (and, embedded, the client) so the next read sees every write."""
        self.client = reopen_client(self.settings)
        self._collection = None
        self.physical = None

    def _new_physical(self, signature: dict[str, Any], name: str | None = None) -> str:
        """Create an empty physical collection (cosine space) marked as being built."""
        name = name or new_physical_name(self.name)
        building = {"building_pid": os.getpid(), "building_host": socket.gethostname(),
                    "building_since": time.time()}  # fmt: skip
        try:
            self.client.create_collection(
                name,
                configuration={"hnsw": {"space": "cosine"}},
                metadata={**signature, **building},
                embedding_function=None,
            )
        except Exception as exc:
            raise self._wrap("create the collection", exc) from exc
        return name

    def _switch(self, physical: str) -> None:
        """Point the logical collection at ``physical`` (one metadata write)."""
        try:
            ptr = self.client.get_or_create_collection(self.pointer, embedding_function=None,
                                                        metadata={"active": physical})  # fmt: skip
            ptr.modify(metadata={"active": physical})
            col = self.client.get_collection(physical, embedding_function=None)
            meta = {k: v for k, v in (col.metadata or {}).items() if not k.startswith("building_")}
            col.modify(metadata=meta)
        except Exception as exc:
            raise self._wrap("switch to the new index", exc) from exc

    def create(self, signature: dict[str, Any], name: str | None = None) -> Any:
        """Create the serving collection when there is none (first index of a workspace)."""
        physical = self._new_physical(signature, name)
        self._switch(physical)
        self._collection = None
        return self.get()

    def begin_rebuild(self, signature: dict[str, Any]) -> Store:
        """A Store over a new, empty physical collection; the current one keeps serving."""
        other = Store(self.settings, self.client)
        physical = self._new_physical(signature)
        other.physical = physical
        try:
            other._collection = self.client.get_collection(physical, embedding_function=None)
        except Exception as exc:
            raise self._wrap("open the new collection", exc) from exc
        return other

    def finish_rebuild(self, built: Store) -> None:
        """Serve ``built`` from now on and delete the collection it replaces."""
        old = self.physical if self.get() is not None else None
        self._switch(str(built.physical))
        self._collection = None
        if old and old != built.physical:
            self._delete(old)
        self.get()

    def _delete(self, physical: str) -> None:
        try:
            self.client.delete_collection(physical)
        except Exception as exc:
            raise self._wrap(f"delete collection {physical}", exc) from exc

    def remove_orphans(self) -> list[str]:
        """Delete half-built collections left by killed rebuilds; return their names.

        A collection being built by a live process on this host (or for less than
        ``ORPHAN_AGE`` on another host) is left alone.
        """
        try:
            names = self._names()
            active = self._active(names)
            removed = []
            for name in names:
                if not name.startswith(f"{self.name}-g") or name == active:
                    continue
                meta = self.client.get_collection(name, embedding_function=None).metadata or {}
                pid, host = meta.get("building_pid"), meta.get("building_host")
                since = float(meta.get("building_since") or 0)
                if host == socket.gethostname() and pid and _alive(int(pid)) and pid != os.getpid():
                    continue
                if host and host != socket.gethostname() and time.time() - since < ORPHAN_AGE:
                    continue
                self.client.delete_collection(name)
                removed.append(name)
        except Exception as exc:
            raise self._wrap("clean up half-built collections", exc) from exc
        return removed

    def drop(self) -> None:
        """Delete the serving collection and the pointer (the index is empty afterwards)."""
        if self.get() is not None:
            self._delete(str(self.physical))
        if self.pointer in self._names():
            self._delete(self.pointer)
        self._collection = None
        self.physical = None

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

    def all_records(
        self, only: list[str] | None = None
    ) -> tuple[list[str], list[str], list[dict[str, Any]]]:
        """Return ids, documents and metadatas of every stored section (or of ``only``)."""
        col = self.get()
        ids: list[str] = []
        docs: list[str] = []
        metas: list[dict[str, Any]] = []
        if col is None:
            return ids, docs, metas
        try:
            total = col.count() if only is None else len(only)
            step = 5000
            for offset in range(0, total, step):
                part = {"ids": only[offset : offset + step]} if only is not None else {}
                window = {} if only is not None else {"limit": step, "offset": offset}
                got = col.get(include=["documents", "metadatas"], **part, **window)
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
