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
* silent executions do not count (``silent=True``).

Imported modules stay imported: that is the saving. Reports must therefore hold no state in
module globals (the library is pure functions); the reproducibility tests render the same
reports in different orders and through fresh kernels (papermill's CLI) and compare the bytes.

A kernel that died, timed out or ran a failing report is shut down and replaced.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

WARM_UP = """\
import warnings as _w, sys as _s
import neocloud, neocloud.charts, neocloud.narrative  # the reports' imports, once per kernel
_s.modules['__neocloud_kernel__'] = type(_s)('__neocloud_kernel__')
_s.modules['__neocloud_kernel__'].filters = list(_w.filters)
del _w, _s
"""

RESET = """\
import os as _os, sys as _s, warnings as _w
_w.filters[:] = _s.modules['__neocloud_kernel__'].filters
_w._filters_mutated()
_w.onceregistry.clear()
_os.chdir({cwd})
del _os, _s, _w
get_ipython().reset(new_session=True)
"""


class WarmKernel:
    """One reusable kernel (a ``jupyter_client`` kernel manager), started lazily.

    ``manager_for(folder)`` returns a started, reset kernel manager for a report whose notebook
    lives in ``folder``; pass it to papermill as ``km``. ``discard()`` after any failure;
    ``shutdown()`` when the worker exits.
    """

    def __init__(self, kernel_name: str = "python3", log: Path | None = None, start_timeout_s: float = 120):
        self.kernel_name = kernel_name
        self.log = log
        self.start_timeout_s = start_timeout_s
        self.km: Any = None
        self._log_file: Any = None

    def _silent(self, code: str, timeout_s: float = 120) -> None:
        kc = self.km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=self.start_timeout_s)
            reply = kc.execute_interactive(code, silent=True, store_history=False, timeout=timeout_s)
            if reply["content"]["status"] != "ok":
                content = reply["content"]
                raise RuntimeError(f"kernel set-up failed: {content.get('ename')}: {content.get('evalue')}")
        finally:
            kc.stop_channels()

    def manager_for(self, folder: Path) -> Any:
        from jupyter_client import KernelManager

        if self.km is None or not self.km.is_alive():
            self.discard()
            self.km = KernelManager(kernel_name=self.kernel_name)
            if self.log is not None:
                self._log_file = open(self.log, "wb")  # noqa: SIM115 - closed in discard(); one kernel's life
            out = {"stdout": self._log_file, "stderr": self._log_file} if self._log_file else {}
            self.km.start_kernel(cwd=str(folder), **out)
            self._silent(WARM_UP)
        self._silent(RESET.format(cwd=json.dumps(str(folder))))
        return self.km

    def discard(self) -> None:
        """Shut the kernel down now (it may be dirty or dead); the next report starts a new one."""
        if self.km is not None:
            try:
                if self.km.has_kernel:
                    self.km.shutdown_kernel(now=True)
            except Exception:  # noqa: BLE001 - a dead kernel cannot refuse to die
                pass
            self.km = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    shutdown = discard
