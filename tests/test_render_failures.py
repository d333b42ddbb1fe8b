"""The pipeline when things go wrong: a failing cell, a killed kernel, an invalid scenario, a full
disk, an interrupt, two renders at once, a failing scenario: nothing good is lost, the rest goes on.
(Split from test_render.py so that the two halves run on both cores.)"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT, neocloud_cli
from helpers import (
    FIGURES_TITLE,
    HELLO,
    copy_scenario,
    make_notebook,
    render_cli,
    reports_only,
    snapshot,
    touch_code,
    wait_for,
    wait_for_file_code,
)


@pytest.fixture(scope="module")
def good_render(tmp_path_factory) -> Path:
    """One good render (a notebook, a scenario, its outputs) for the module, never changed: each
    test that needs one works on its own copy (:func:`_good_render`)."""
    folder = tmp_path_factory.mktemp("good-render")
    nbs = folder / "nbs"
    make_notebook(nbs / "report.ipynb", HELLO)
    params = folder / "params"
    copy_scenario(params, "s")
    res = render_cli(folder / "out", "--params", str(params), notebooks=nbs)
    assert res.returncode == 0, res.stdout + res.stderr
    return folder


def _good_render(tmp_path, good_render):
    """A copy of the module's good render in ``tmp_path`` (the notebooks, the scenario and the
    outputs together, as a user moves a project: the outputs' claim on their scenario is
    relative), and the snapshot of its outputs."""
    shutil.copytree(good_render, tmp_path, dirs_exist_ok=True, symlinks=True)
    nbs, params, out = tmp_path / "nbs", tmp_path / "params", tmp_path / "out"
    assert (out / "s" / "report.html").is_file() and (out / "s" / "report.ipynb").is_file()
    return nbs, params, out, snapshot(out)


def _assert_untouched(out: Path, before: dict[str, bytes]):
    assert reports_only(snapshot(out)) == reports_only(before)
    assert not (out / ".tmp").exists() or not any((out / ".tmp").iterdir())


def test_a_cell_that_raises_keeps_the_previous_report(tmp_path, good_render):
    nbs, params, out, before = _good_render(tmp_path, good_render)
    make_notebook(nbs / "report.ipynb", HELLO, "raise RuntimeError('boom in a cell')")
    res = render_cli(out, "--params", str(params), notebooks=nbs)
    assert res.returncode == 1
    # execution count 4: papermill's injected parameters cell is number 2
    assert "FAILED s/report: cell 4 raised RuntimeError: boom in a cell" in res.stdout
    partial = out / "_failed" / "s" / "report.ipynb"
    assert f"partial notebook: {partial}" in res.stdout
    assert "boom in a cell" in partial.read_text()
    _assert_untouched(out, before)
    assert "Traceback" not in res.stderr


def test_a_killed_kernel_keeps_the_previous_report(tmp_path, good_render):
    nbs, params, out, before = _good_render(tmp_path, good_render)
    make_notebook(nbs / "report.ipynb", HELLO, "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)")
    res = render_cli(out, "--params", str(params), notebooks=nbs)
    assert res.returncode == 1
    assert "the kernel died" in res.stdout and "partial notebook:" in res.stdout
    _assert_untouched(out, before)


def test_an_invalid_scenario_keeps_the_previous_report(tmp_path, good_render):
    nbs, params, out, before = _good_render(tmp_path, good_render)
    scenario = params / "s.yaml"
    text = scenario.read_text()   # the base case names its book; a ramp discount it states itself, out of range
    scenario.write_text(text + "\n" if "\nterms:" not in text else
                        text.replace("\nterms:\n", "\nterms:\n  ramp_discount:\n    value: 2.5\n    assumption: true\n    note: out of range\n", 1))
    res = render_cli(out, "--params", str(params), notebooks=nbs)
    assert res.returncode == 2
    assert "terms.ramp_discount.value': value 2.5" in res.stdout and "left as they were" in res.stdout
    _assert_untouched(out, before)


def test_a_full_disk_keeps_the_previous_report(tmp_path, good_render, monkeypatch):
    from neocloud.pipeline import execute
    from neocloud.pipeline.render import render
    from neocloud.pipeline.reports import Status

    nbs, params, out, before = _good_render(tmp_path, good_render)
    make_notebook(nbs / "report.ipynb", HELLO, "print('new version')")

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(execute, "notebook_to_html", full)  # workers are forked: they inherit the patch
    result = render(params=params, notebooks=nbs, outputs=out, jobs=1, say=lambda s: None)
    assert [o.status for o in result.outcomes] == [Status.FAILED]
    assert "disk full" in result.outcomes[0].error
    _assert_untouched(out, before)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_render_keeps_the_previous_report(tmp_path, good_render, sig):
    nbs, params, out, before = _good_render(tmp_path, good_render)
    started, never = tmp_path / "started", tmp_path / "never"
    make_notebook(nbs / "report.ipynb", HELLO, touch_code(started), wait_for_file_code(never))
    proc = subprocess.Popen([sys.executable, "-m", "neocloud.commands.cli", "render", "--outputs", str(out), "--params", str(params),
                             "--notebooks", str(nbs)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    wait_for(started.exists, "the kernel to start the report's last cell")
    if sig == signal.SIGINT:
        os.killpg(proc.pid, sig)  # Ctrl-C reaches the whole foreground process group
    else:
        proc.send_signal(sig)  # `kill PID` reaches the parent only
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, (stdout, stderr)
    assert "interrupted" in stderr and "Traceback" not in stderr
    _assert_untouched(out, before)


def test_two_renders_at_once_do_not_corrupt_each_other(tmp_path):
    nbs = tmp_path / "nbs"
    started, go = tmp_path / "started", tmp_path / "go"
    # the first render's kernel holds the lock until the test says go
    make_notebook(nbs / "report.ipynb", HELLO, f"import os\nif not os.path.exists({str(started)!r}):\n    "
                  + touch_code(started) + "\n    " + wait_for_file_code(go).replace("\n", "\n    "))
    params = tmp_path / "params"
    copy_scenario(params, "s")
    out = tmp_path / "out"
    args = [sys.executable, "-m", "neocloud.commands.cli", "render", "--outputs", str(out), "--params", str(params),
            "--notebooks", str(nbs), "--force"]
    first = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(started.exists, "the first render to hold the lock and run its notebook")
    refused = subprocess.run([*args, "--no-wait"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    second = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    waiting = second.stdout.readline()  # printed (and flushed) while it waits for the lock
    go.touch()
    out1, _ = first.communicate(timeout=120)
    out2, _ = second.communicate(timeout=120)
    assert refused.returncode == 3 and "another `neocloud render` (pid" in refused.stderr
    assert first.returncode == 0 and second.returncode == 0, (out1, out2)
    assert "waiting for it to finish" in waiting, waiting + out2
    nb = nbformat.read(out / "s" / "report.ipynb", as_version=4)
    assert nb.cells[-1].outputs == [] or "error" not in json.dumps(nb.cells[-1].outputs)
    assert (out / "s" / "report.html").read_text().rstrip().endswith("</html>")


def test_one_failing_scenario_never_stops_the_others_or_the_index(tmp_path):
    # a valid scenario whose report fails (the report raises for it: since lock-ups are bounded by
    # the term, no value `check` accepts makes the maths fail): the other scenario's reports and the
    # index are written all the same
    nbs = tmp_path / "nbs"
    make_notebook(nbs / "report.ipynb", FIGURES_TITLE + "\nif sc.title.startswith('Bad'):\n    raise RuntimeError('this report fails')")
    params = tmp_path / "params"
    copy_scenario(params, "good")
    bad = copy_scenario(params, "bad", **{'title: "Base case': 'title: "Bad case'})
    assert neocloud_cli("check", str(bad)).returncode == 0
    out = tmp_path / "out"
    res = render_cli(out, "--params", str(params), notebooks=nbs)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "Traceback" not in res.stderr and "Traceback" not in res.stdout
    assert "1 rendered, 0 up to date, 1 failed" in res.stdout
    assert "FAILED bad/report" in res.stdout and "good/report: ok" in res.stdout
    assert (out / "good" / "report.html").is_file() and not (out / "bad" / "report.html").exists()
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="good/report.html"' in index
    assert "last render failed" in index
    assert "Base case" in index  # the good scenario's figures are in the table


def test_a_scenario_whose_figures_fail_leaves_the_index_written(tmp_path, monkeypatch):
    # the index of a render where one scenario's headline figures cannot be computed says so for
    # that scenario and lists the others with their figures
    from neocloud.pipeline import index as index_module
    from neocloud.pipeline.reports import RenderResult

    params = tmp_path / "params"
    good, bad = copy_scenario(params, "good"), copy_scenario(params, "bad", **{'title: "Base case': 'title: "Bad case'})
    real = index_module.cached_figures

    def figures(outputs, path, scenario, env_key):
        if path == bad:
            raise ValueError("the maths cannot compute with this scenario")
        return real(outputs, path, scenario, env_key)

    monkeypatch.setattr(index_module, "cached_figures", figures)
    out = tmp_path / "out"
    out.mkdir()
    written = index_module.write_index(out, [bad, good], [], RenderResult())
    html = written.read_text(encoding="utf-8")
    assert "its headline figures could not be computed: ValueError: the maths cannot compute with this scenario" in html
    assert "Base case" in html
