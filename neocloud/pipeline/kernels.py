"""Warm kernels for the render workers: one Jupyter kernel per worker, reused across reports.

Starting a kernel and importing the stack (pandas, Altair, neocloud) costs more CPU than running
a report's cells. A worker therefore keeps one kernel, warmed once with silent imports, and
before each report resets it to the state of a fresh kernel as far as a report can see:

* the user namespace is emptied and the execution counter starts again at 1
  (``InteractiveShell.reset(new_session=True)``), so the executed notebook's cells carry the
  same execution counts as with a new kernel;
* the working directory is the report's notebook folder, as papermill would start it;
* the warning filters and "once" registries are restored, so a warning shows in every report
  that triggers it, not only in the first;
* silent executions do not count (``silent=True``);
* the scenario the render injects is vouched for (``__neocloud_kernel__.vouched``: the file's name
  as the report shows it and the digest of the data the render read from it), so that the
  report's first cell validates the data and does not read the file again to compare
  (:func:`neocloud.report.start.start_report`).

Imported modules stay imported, and YAML files read stay parsed
(:func:`neocloud.inputs.scenario.each_file_read_once`: the kernel lives for one render, whose inputs are
fixed): that is the saving. Reports must therefore hold no state in
module globals (the library is pure functions); the reproducibility tests render the same
reports in different orders and through fresh kernels (papermill's CLI) and compare the bytes.

A kernel that died, timed out or ran a failing report is shut down and replaced.

Kernels talk to their worker over Unix sockets (IPC) in a private temporary folder, not TCP:
two workers starting kernels at once cannot race for the same port, and nothing listens on
the network. Their clients are :class:`ReadyKernelClient`: ready when the kernel has answered,
without jupyter_client's fixed 0.2 s wait on every connection (twice per report).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_core.utils import run_sync

WARM_UP = """\
import warnings as _w, sys as _s, os as _o
if _o.environ.get('NEOCLOUD_RECORD_OPENS'):  # tests: which files the kernel opens (neocloud.pipeline.opens)
    from neocloud.pipeline.opens import record_opens
    record_opens(_o.environ['NEOCLOUD_RECORD_OPENS'], 'kernel')
    del record_opens
import neocloud, neocloud.report.charts, neocloud.report.narrative  # the reports' imports, once per kernel
from neocloud.inputs.sourced import each_file_read_once
_s.modules['__neocloud_kernel__'] = type(_s)('__neocloud_kernel__')
_s.modules['__neocloud_kernel__'].filters = list(_w.filters)
# the data files every report reads (the ledger, the filings) are parsed once per kernel: a kernel
# lives for one render, and a render's inputs are fixed (its cache keys hold their bytes)
_s.modules['__neocloud_kernel__'].reading = each_file_read_once()
_s.modules['__neocloud_kernel__'].reading.__enter__()
del each_file_read_once
del _w, _s, _o
"""

RESET = """\
import os as _os, sys as _s, warnings as _w
_w.filters[:] = _s.modules['__neocloud_kernel__'].filters
_w._filters_mutated()
_w.onceregistry.clear()
_os.chdir({cwd})
_s.modules['__neocloud_kernel__'].vouched = {vouched}
del _os, _s, _w
get_ipython().reset(new_session=True)
"""


class ReadyKernelClient(AsyncKernelClient):
    """jupyter_client's asynchronous kernel client, whose :meth:`wait_for_ready` returns as soon
    as the kernel has answered a ``kernel_info_request`` on both channels.

    jupyter_client's own (8.x) asks for the kernel's info, waits up to 0.2 s for any message on
    IOPub (to know it is connected), then drains IOPub until it has been quiet for 0.2 s: every
    connection costs at least 0.2 s of idle time, and a warm-kernel report makes two (the reset
    and papermill's nbclient): 0.4 s a report with the core idle. Here the client waits for the
    kernel's *idle* status whose parent is its own request, which the kernel publishes on IOPub
    after the reply (ipykernel's ``dispatch_shell``): once it is read, IOPub is connected (a
    subscription made too late would miss it; the request is then sent again, as jupyter_client
    starts over) and holds nothing older that a cell's output could be mistaken for (nbclient
    also reads only messages whose parent is its request). A client not created by a kernel
    manager, which must first wait for heartbeats, waits as jupyter_client does.
    """

    async def wait_for_ready(self, timeout: float | None = None) -> None:  # type: ignore[override]
        """Wait until the kernel answers on shell and IOPub; ``RuntimeError`` if it died first or
        ``timeout`` seconds (default: no limit) passed, as jupyter_client raises."""
        from jupyter_client.manager import KernelManager

        if not isinstance(self.parent, KernelManager):
            await super()._async_wait_for_ready(timeout)
            return
        limit = float("inf") if timeout is None else timeout
        deadline = time.monotonic() + limit
        while True:
            if await self._answered(self.kernel_info()):
                return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {limit:.0f} seconds")

    async def _answered(self, msg_id: str) -> bool:
        """Whether the kernel answered request ``msg_id``: its reply on shell within 1 s, then its
        idle status on IOPub within 0.2 s of the last message there (jupyter_client's waits)."""
        from queue import Empty

        try:
            while True:
                msg = await self.shell_channel.get_msg(timeout=1)
                if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "kernel_info_reply":
                    self._handle_kernel_info_reply(msg)
                    break
            while True:
                msg = await self.iopub_channel.get_msg(timeout=0.2)
                if (msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status"
                        and msg["content"].get("execution_state") == "idle"):
                    return True
        except Empty:
            return False


class WarmKernel:
    """One reusable kernel (a ``jupyter_client`` kernel manager), started lazily.

    ``manager_for(folder, vouched)`` returns a started, reset kernel manager for a report whose
    notebook lives in ``folder`` (``vouched``: the scenario file's label and the digest of the data
    the render read from it, or None); pass it to papermill as ``km``. ``discard()`` after any failure;
    ``shutdown()`` when the worker exits.
    """

    def __init__(self, kernel_name: str = "python3", log: Path | None = None, start_timeout_s: float = 120):
        self.kernel_name = kernel_name
        self.log = log
        self.start_timeout_s = start_timeout_s
        self.km: Any = None
        self._log_file: Any = None
        self._sockets: Path | None = None

    def _silent(self, code: str, timeout_s: float = 120) -> None:
        run_sync(self._async_silent)(code, timeout_s)

    async def _async_silent(self, code: str, timeout_s: float) -> None:
        kc = self.km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=self.start_timeout_s)
            reply = await kc.execute_interactive(code, silent=True, store_history=False, timeout=timeout_s)
            if reply["content"]["status"] != "ok":
                content = reply["content"]
                raise RuntimeError(f"kernel set-up failed: {content.get('ename')}: {content.get('evalue')}")
        finally:
            kc.stop_channels()

    def manager_for(self, folder: Path, vouched: "tuple[str, str | None] | None" = None) -> Any:
        try:
            return self._manager_for(folder, vouched)
        except RuntimeError:  # a kernel that failed to start (rare): one fresh try
            self.discard()
            return self._manager_for(folder, vouched)

    def _manager_for(self, folder: Path, vouched: "tuple[str, str | None] | None" = None) -> Any:
        from jupyter_client import AsyncKernelManager

        if self.km is None or not run_sync(self.km.is_alive)():
            self.discard()
            self._sockets = Path(tempfile.mkdtemp(prefix="neocloud-kernel-"))
            # nbclient (inside papermill) drives the kernel asynchronously: it needs the async manager
            self.km = AsyncKernelManager(kernel_name=self.kernel_name, transport="ipc", ip=str(self._sockets / "k"),
                                         client_class=f"{__name__}.ReadyKernelClient")
            if self.log is not None:
                self._log_file = open(self.log, "wb")  # noqa: SIM115 - closed in discard(); one kernel's life
            out = {"stdout": self._log_file, "stderr": self._log_file} if self._log_file else {}
            run_sync(self.km.start_kernel)(cwd=str(folder), **out)
            self._silent(WARM_UP)
        self._silent(RESET.format(cwd=json.dumps(str(folder)), vouched=repr(tuple(vouched) if vouched else None)))
        return self.km

    def discard(self) -> None:
        """Shut the kernel down now (it may be dirty or dead); the next report starts a new one."""
        if self.km is not None:
            try:
                if self.km.has_kernel:
                    run_sync(self.km.shutdown_kernel)(now=True)
            except Exception:  # noqa: BLE001 - a dead kernel cannot refuse to die
                pass
            self.km = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        if self._sockets is not None:
            shutil.rmtree(self._sockets, ignore_errors=True)
            self._sockets = None

    shutdown = discard


_PROCESS_KERNEL: WarmKernel | None = None


def process_kernel(outputs: Path) -> WarmKernel:
    """This process's :class:`WarmKernel`, created on first use (its log under ``outputs/.tmp/``)
    and shut down when the process exits."""
    global _PROCESS_KERNEL
    if _PROCESS_KERNEL is None:
        from multiprocessing.util import Finalize

        (outputs / ".tmp").mkdir(parents=True, exist_ok=True)
        _PROCESS_KERNEL = WarmKernel(log=outputs / ".tmp" / f"kernel-{os.getpid()}.log")
        Finalize(_PROCESS_KERNEL, _PROCESS_KERNEL.shutdown, exitpriority=100)
    return _PROCESS_KERNEL


def shutdown_process_kernel() -> None:
    """Shut this process's kernel down, if it has one (a worker that is told to stop)."""
    if _PROCESS_KERNEL is not None:
        _PROCESS_KERNEL.shutdown()


def kernel_metadata(kernel_name: str) -> dict[str, str]:
    """The ``kernelspec`` a notebook records for the kernel it ran on: its name, display name and
    language, as JupyterLab writes them (the name alone if no such kernel is installed).

    >>> kernel_metadata("python3")["language"]
    'python'
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel:
        return {"name": kernel_name}
    return {"display_name": spec.display_name, "language": spec.language, "name": kernel_name}


def current_kernel_name(saved: str | None) -> str:
    """The kernel to run a notebook saved under the kernel name ``saved``: that kernel if it is
    installed, else this environment's own Python kernel (``python3``, ipykernel's native
    kernel). A notebook saved in JupyterLab under a user's kernel (``"name": "my-env"``) then
    runs here rather than failing with ``NoSuchKernel``.

    >>> current_kernel_name("no-such-kernel-here")
    'python3'
    """
    from jupyter_client.kernelspec import NATIVE_KERNEL_NAME, KernelSpecManager, NoSuchKernel

    if saved:
        try:
            KernelSpecManager().get_kernel_spec(saved)
            return saved
        except NoSuchKernel:
            pass
    return NATIVE_KERNEL_NAME


def register_engine() -> str:
    """Register (once) and name the papermill engine the render uses: papermill's nbclient
    engine, saving the executed notebook once when execution ends (also when it fails, so the
    partial notebook is kept) instead of after every cell, which cost more than the cells.

    It runs whatever kernel name a notebook was saved with (:func:`current_kernel_name`; a warm
    kernel given as ``km`` is used as it is), and the executed notebook records the kernel it
    actually ran on (:func:`kernel_metadata`), not the one it was saved with."""
    from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines
    from papermill.utils import nb_kernel_name

    class FinalSaveOnly(NotebookExecutionManager):
        _final = False

        def save(self, **kwargs: Any) -> None:
            if self._final:
                super().save(**kwargs)

        def notebook_complete(self, **kwargs: Any) -> None:
            self._final = True
            super().notebook_complete(**kwargs)

    class OneSaveEngine(NBClientEngine):
        @classmethod
        def nb_kernel_name(cls, nb: Any, name: str | None = None) -> str:
            return name or current_kernel_name(nb_kernel_name(nb, None))

        @classmethod
        def execute_notebook(cls, nb: Any, kernel_name: str, output_path: Any = None, progress_bar: bool = True,
                             log_output: bool = False, autosave_cell_every: int = 30, **kwargs: Any) -> Any:
            nb_man = FinalSaveOnly(nb, output_path=output_path, progress_bar=progress_bar, log_output=log_output,
                                   autosave_cell_every=autosave_cell_every)
            km = kwargs.get("km")
            ran_on = getattr(km, "kernel_name", None) or kernel_name
            nb_man.notebook_start()
            try:
                cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
            finally:
                nb_man.cleanup_pbar()
                nb_man.nb.metadata["kernelspec"] = kernel_metadata(ran_on)
                nb_man.notebook_complete()
            return nb_man.nb

    if "neocloud" not in papermill_engines._engines:
        papermill_engines.register("neocloud", OneSaveEngine)
    return "neocloud"
