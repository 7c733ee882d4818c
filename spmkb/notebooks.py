"""Run parameterised notebooks: the packaged templates and one papermill runner.

Reviews (and onboarding plans) are notebooks generated from a template that ships inside the
package (``spmkb/templates/*.ipynb``, read with :mod:`importlib.resources`, so an installed
wheel works without a source tree). :func:`run_notebook` executes one with papermill:

- into a temporary file that is renamed into place, so a failed run never leaves a
  half-written notebook at ``out``;
- with a per-cell execution timeout, so a lost kernel message fails instead of hanging, and
  replies awaited in one-second polls (:mod:`spmkb.kernel_poll`), so a missed wake-up of the
  asyncio poll costs a second instead of the whole timeout;
- raising :class:`~spmkb.errors.NotebookError` that names the failing cell;
- in a local kernel whose start-up warning "Kernel is running over TCP without encryption" is
  dropped from its stderr (every other line the kernel writes there still reaches ours);
- optionally in this process's long-lived kernel (``reuse_kernel``), so a batch pays kernel
  start-up and imports once.

Base layer: imports only :mod:`spmkb.errors`; papermill and jupyter_client are imported lazily.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import IO, Any

from spmkb.errors import NotebookError

#: Folder (inside the ``spmkb`` package) holding the notebook templates.
TEMPLATES = "templates"

#: The kernel's start-up warning that generation drops (and nothing else).
TCP_WARNING = "Kernel is running over TCP without encryption"

DEFAULT_TIMEOUT = 300  # seconds per cell

Template = str | Path | Traversable


def packaged_template(name: str) -> Traversable:
    """A notebook template shipped in the package (``spmkb/templates/<name>``)."""
    folder = resources.files("spmkb").joinpath(TEMPLATES)
    found = folder.joinpath(name)
    if not found.is_file():
        known = sorted(p.name for p in folder.iterdir() if p.name.endswith(".ipynb"))
        raise NotebookError(
            f"no packaged notebook template named {name!r}",
            field="template",
            hint="packaged templates: " + ", ".join(known),
        )
    return found


def template_text(name: str) -> str:
    """The text (JSON) of a packaged notebook template."""
    return packaged_template(name).read_text(encoding="utf-8")


#: How many TCP-encryption warnings this process dropped (tests check the filter ran).
dropped_warnings = 0


def _forward_stderr(stream: IO[bytes]) -> None:
    """Copy the kernel's stderr to ours, minus the TCP-encryption warning."""
    global dropped_warnings
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", "replace")
        if TCP_WARNING in line:
            dropped_warnings += 1
            continue
        sys.stderr.write(line)
        sys.stderr.flush()
    stream.close()


def start_kernel(cwd: str | Path) -> Any:
    """Start a python3 kernel in ``cwd`` whose stderr is filtered (see :data:`TCP_WARNING`).

    An *async* manager, started on this thread's jupyter event loop (the one nbclient runs
    on): with a blocking manager nbclient's output poll blocks the loop and the cell timeout
    never fires.
    """
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    from spmkb import kernel_poll

    kernel_poll.install()  # nbclient's wait for each reply in 1 s polls (see kernel_poll)
    km = AsyncKernelManager(kernel_name="python3")
    run_sync(km.start_kernel)(cwd=str(cwd), stderr=subprocess.PIPE)
    process = getattr(km.provisioner, "process", None)
    if process is not None and process.stderr is not None:
        forwarder = threading.Thread(
            target=_forward_stderr, args=(process.stderr,), name="kernel-stderr", daemon=True
        )
        forwarder.start()
        _FORWARDERS[id(km)] = forwarder
    return km


_FORWARDERS: dict[int, threading.Thread] = {}  # id(kernel manager) -> its stderr forwarder


def stop_kernel(km: Any) -> None:
    """Shut a kernel down now and wait (briefly) until its stderr has been forwarded."""
    from jupyter_core.utils import run_sync

    if km.has_kernel:
        run_sync(km.shutdown_kernel)(now=True)
    forwarder = _FORWARDERS.pop(id(km), None)
    if forwarder is not None:
        forwarder.join(timeout=5)


_KERNEL: Any = None  # this process's reusable kernel (see _reusable_kernel)
_AT_EXIT = False  # whether shutdown_kernel is registered to run at process exit


def _reusable_kernel(cwd: str | Path) -> Any:
    """A kernel kept alive for this process, so a batch pays kernel start and imports once."""
    from jupyter_core.utils import run_sync

    global _KERNEL, _AT_EXIT
    if _KERNEL is None or not run_sync(_KERNEL.is_alive)():
        shutdown_kernel()  # a dead kernel's manager still holds ports and a connection file
        _KERNEL = start_kernel(cwd)
        if not _AT_EXIT:  # also runs in pool workers, where atexit does not
            from multiprocessing.util import Finalize

            Finalize(None, shutdown_kernel, exitpriority=10)
            _AT_EXIT = True
    return _KERNEL


def shutdown_kernel() -> None:
    """Stop this process's reusable kernel, if any."""
    global _KERNEL
    if _KERNEL is not None:
        stop_kernel(_KERNEL)
        _KERNEL = None


def _input(template: Template) -> Any:
    """What papermill reads: a file path, or the parsed notebook of a packaged resource."""
    import nbformat

    if isinstance(template, str | Path):
        path = Path(template)
        if not path.is_file():
            raise NotebookError("notebook template not found", path=path)
        try:
            nbformat.read(str(path), as_version=4)
        except Exception as exc:  # NotJSONError, ValidationError, UnicodeDecodeError...
            first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
            raise NotebookError(
                f"not a readable notebook: {type(exc).__name__}: {first}",
                path=path,
                hint="save the template from JupyterLab as an .ipynb file",
            ) from None
        return str(path)
    return nbformat.reads(template.read_text(encoding="utf-8"), as_version=4)


#: Tags of the cells papermill adds to the executed notebook (not in the template).
_ADDED_TAGS = {"injected-parameters", "papermill-error-cell-tag"}


def _failed_cell(partial: Path) -> tuple[int | None, str]:
    """The failing cell's number in the template (1-based) and its first source line.

    Read from the partly executed notebook papermill saved, not counting the cells it added.
    """
    import nbformat

    try:
        nb = nbformat.read(str(partial), as_version=4)
    except Exception:  # nothing readable was saved
        return None, ""
    started: tuple[int | None, str] = (None, "")
    number = 0
    for cell in nb.cells:
        if _ADDED_TAGS & set(cell.metadata.get("tags", [])):
            continue
        number += 1
        meta = cell.metadata.get("papermill", {})
        first = next((ln for ln in cell.source.splitlines() if ln.strip()), "").strip()
        if meta.get("exception"):
            return number, first
        if meta.get("status") not in (None, "pending"):
            started = (number, first)  # the last cell that started (a timeout leaves no mark)
    return started


def _error(
    exc: BaseException, template: Template, out: Path, partial: Path, timeout: float
) -> NotebookError:
    """Turn a papermill/nbclient failure into a NotebookError naming the cell."""
    number, first = _failed_cell(partial)
    name = Path(template).name if isinstance(template, str | Path) else template.name
    if type(exc).__name__ == "CellTimeoutError" or isinstance(exc, TimeoutError):
        what = f"timed out after {timeout:g} s"
    elif type(exc).__name__ == "DeadKernelError":
        what = "stopped: the kernel died"
    else:
        what = f"raised {getattr(exc, 'ename', type(exc).__name__)}: {getattr(exc, 'evalue', exc)}"
    where = f"cell {number}" + (f" ({first})" if first else "") if number else "a cell"
    err = NotebookError(
        f"notebook {name}: {where} {what}",
        path=out,
        hint="nothing was written; run the template by hand (jupyter lab) to see the cell",
    )
    err.cell, err.source = number, first
    return err


def run_notebook(
    template: Template,
    out: Path | str,
    parameters: dict[str, Any],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    cwd: Path | str | None = None,
    reuse_kernel: bool = False,
) -> Path:
    """Execute ``template`` with ``parameters`` into ``out`` atomically; return ``out``.

    ``timeout`` bounds each cell (seconds). ``cwd`` is the kernel's working directory
    (default: ``out``'s folder). ``reuse_kernel`` runs in this process's long-lived kernel
    (started in ``cwd`` on first use) instead of a fresh one; a template run that way must set
    every variable it uses in its parameters cell. Raises :class:`NotebookError` naming the
    failing cell; nothing is written at ``out`` then.
    """
    import papermill as pm

    out = Path(out)
    source = _input(template)
    out.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(cwd) if cwd is not None else out.parent
    tmp = out.with_name(f".{out.stem}.{os.getpid()}.tmp.ipynb")
    km = _reusable_kernel(folder) if reuse_kernel else start_kernel(folder)
    try:
        pm.execute_notebook(
            source,
            str(tmp),
            parameters=parameters,
            progress_bar=False,
            cwd=str(folder),
            kernel_name="python3",
            execution_timeout=timeout,
            km=km,
        )
    except Exception as exc:  # PapermillExecutionError, CellTimeoutError, DeadKernelError...
        error = _error(exc, template, out, tmp, timeout)
        tmp.unlink(missing_ok=True)
        if reuse_kernel:  # a timed-out or dead kernel must not run the next notebook
            shutdown_kernel()
        raise error from None
    finally:
        if not reuse_kernel:
            stop_kernel(km)
    os.replace(tmp, out)
    return out
