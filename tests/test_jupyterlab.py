"""The committed notebooks open in JupyterLab as they are, charts drawn from their stored outputs.

A real JupyterLab server on loopback and Debian's Chromium; fails (never skips) without them.
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

from conftest import NOTEBOOKS
from helpers import wait_for
from test_browser import CHROMIUM, FLAGS

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


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_notebook_opens_in_jupyterlab_with_its_charts(lab, path):
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    stored = sum("application/vnd.vegalite.v5+json" in o.get("data", {})
                 for c in json.loads(path.read_text())["cells"] for o in c.get("outputs", []))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = browser.new_context(viewport={"width": 1300, "height": 1000})
        outside: list[str] = []
        context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(lab)
                      else (outside.append(r.request.url), r.abort()))
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{lab}/lab/tree/notebooks/{path.name}?reset")  # no restored tabs from earlier tests
        charts = ".jp-NotebookPanel:not(.lm-mod-hidden) .vega-embed svg"  # the open notebook's only
        page.wait_for_function(f"() => document.querySelectorAll('{charts}').length >= {stored}", timeout=90_000)
        assert page.locator(charts).count() == stored >= 4
        assert not errors, errors
        assert not outside, outside
        browser.close()
