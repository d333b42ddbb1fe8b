"""The committed notebooks open in JupyterLab as they are, charts drawn from their stored outputs.

A real JupyterLab server on loopback and Debian's Chromium; fails (never skips) without them. The
Lab is loaded once (one page, the test process's browser) and each notebook is opened in it as a
reader opens a file (the Lab's ``docmanager:open`` command, the app exposed to the page for it).
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from browser_session import browser, need_chromium  # noqa: F401  (the fixture)
from conftest import NOTEBOOKS
from helpers import wait_for

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab")
    shutil.copytree(NOTEBOOKS, root / "notebooks")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    jupyter = Path(sys.executable).parent / "jupyter"
    proc = subprocess.Popen(
        [str(jupyter), "lab", "--allow-root", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         "--ServerApp.token=", "--ServerApp.password=", "--LabApp.extension_manager=readonly",
         "--LabApp.expose_app_in_browser=True",
         f"--ServerApp.root_dir={root}", f"--LabApp.workspaces_dir={root / '.workspaces'}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        def up() -> bool:
            if proc.poll() is not None:
                raise AssertionError("JupyterLab exited before it served its status page")
            try:
                with urllib.request.urlopen(f"{url}/api/status", timeout=2) as r:
                    return r.status == 200
            except OSError:
                return False

        wait_for(up, "JupyterLab to serve its status page", timeout_s=60)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


class LabPage:
    """The Lab open in one page, with what it said and what it tried outside the server."""

    def __init__(self, browser, url: str):
        self.context = browser.new_context(viewport={"width": 1300, "height": 1000})
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(url)
                           else (self.outside.append(r.request.url), r.abort()))
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(f"{url}/lab?reset")  # no restored tabs from earlier runs
        self.page.wait_for_function("() => window.jupyterapp && window.jupyterapp.started", timeout=90_000)
        self.page.evaluate("() => window.jupyterapp.started.then(() => null)")


@pytest.fixture(scope="module")
def lab_page(lab, browser):  # noqa: F811
    need_chromium()
    p = LabPage(browser, lab)
    yield p
    p.context.close()


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_notebook_opens_in_jupyterlab_with_its_charts(lab_page, path):
    stored = sum("application/vnd.vegalite.v5+json" in o.get("data", {})
                 for c in json.loads(path.read_text())["cells"] for o in c.get("outputs", []))
    page = lab_page.page
    errors, outside = len(lab_page.errors), len(lab_page.outside)
    page.evaluate("p => window.jupyterapp.commands.execute('docmanager:open', {path: p}).then(() => null)", f"notebooks/{path.name}")
    # the open notebook's charts only (the notebooks opened before are hidden tabs)
    panel = ".jp-NotebookPanel:not(.lm-mod-hidden)[data-nc-path]"
    page.wait_for_function("""p => { const w = window.jupyterapp.shell.currentWidget;
        return w && w.context && w.context.path === p; }""", arg=f"notebooks/{path.name}", timeout=90_000)
    page.evaluate("() => window.jupyterapp.shell.currentWidget.node.setAttribute('data-nc-path', window.jupyterapp.shell.currentWidget.context.path)")
    charts = f"{panel} .vega-embed svg"
    page.wait_for_function(f"() => document.querySelectorAll('{charts}').length >= {stored}", timeout=90_000)
    assert page.evaluate("() => window.jupyterapp.shell.currentWidget.node.getAttribute('data-nc-path')") == f"notebooks/{path.name}"
    assert page.locator(charts).count() == stored >= 4
    assert not lab_page.errors[errors:], lab_page.errors[errors:]
    assert not lab_page.outside[outside:], lab_page.outside[outside:]
