"""Shared fixtures. Tests run from the repository root (pytest's rootdir)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from neocloud import DealTerms, load_scenario

# Hypothesis profiles, explicit: the same random search everywhere (never derandomised, so CI
# meets new examples as a laptop does), more examples in CI, and every failure printed with the
# `@reproduce_failure(...)` line that replays it. Hypothesis would otherwise load a derandomised
# profile of its own whenever CI is set. Pick one with HYPOTHESIS_PROFILE=dev|ci.
_COMMON = dict(derandomize=False, print_blob=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=100, **_COMMON)
settings.register_profile("ci", max_examples=300, **_COMMON)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
settings.load_profile(PROFILE)


def examples(n: int) -> int:
    """A slow property's example count: ``n`` on a laptop, three times as many in CI."""
    return n * settings.default.max_examples // 100

ROOT = Path(__file__).resolve().parent.parent
PARAMS = ROOT / "params"
NOTEBOOKS = ROOT / "notebooks"
SCENARIOS = sorted(PARAMS.glob("*.yaml"))


@pytest.fixture(autouse=True, scope="session")
def _at_root() -> None:
    os.chdir(ROOT)


@pytest.fixture
def base():
    return load_scenario(PARAMS / "base.yaml")


@pytest.fixture
def terms() -> DealTerms:
    """The base case by hand: $1.25B a month, 1 May 2026 to 31 May 2029, 2 ramp months at 50%."""
    return DealTerms(1.25e9, dt.date(2026, 5, 1), dt.date(2029, 5, 31), 2, 0.5, 90, 3, 300.0)


def neocloud_cli(*args: str, timeout: float = 900, **kw) -> subprocess.CompletedProcess:
    """Run the installed command as a user would, in a fresh interpreter."""
    return subprocess.run([sys.executable, "-m", "neocloud.commands.cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=kw.pop("cwd", ROOT), **kw)


def run_folder(tmp_path_factory) -> Path:
    """A folder shared by every process of this test run: with pytest-xdist each worker has its
    own session and base temp folder (``.../popen-gwN``), whose parent is the run's; without
    xdist, the session's own base temp folder."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def shared_render(tmp_path_factory, name: str, *args: str) -> tuple[Path, str]:
    """``neocloud render --outputs FOLDER ARGS`` run once for the test run in a fresh interpreter,
    shared by the xdist workers: the first to need it renders under a file lock, the others wait
    for it and read the same folder (the tests only read it). The folder, and what the render
    printed."""
    from filelock import FileLock

    root = run_folder(tmp_path_factory)
    out, done = root / name, root / f"{name}.ok"
    with FileLock(str(root / f"{name}.lock")):
        if not done.is_file():
            proc = neocloud_cli("render", "--outputs", str(out), *args)
            assert proc.returncode == 0, proc.stdout + proc.stderr
            done.write_text(proc.stdout)
    return out, done.read_text()


def shared_papermill(tmp_path_factory, notebook: str, scenario: str) -> Path:
    """``papermill notebooks/NOTEBOOK.ipynb OUT -p scenario_file SCENARIO``, the README's command, run
    once for the test run from the project folder and shared by the xdist workers as
    :func:`shared_render` shares a render: the executed notebook (tests copy it before they write
    beside it; none changes it)."""
    from filelock import FileLock

    root = run_folder(tmp_path_factory) / "papermill"
    root.mkdir(exist_ok=True)
    out = root / f"{notebook}-{Path(scenario).stem}" / f"{notebook}.ipynb"
    with FileLock(str(out.parent) + ".lock"):
        if not out.is_file():
            out.parent.mkdir(exist_ok=True)
            part = out.with_suffix(".part.ipynb")
            proc = subprocess.run([str(Path(sys.executable).parent / "papermill"), f"notebooks/{notebook}.ipynb", str(part),
                                   "-p", "scenario_file", scenario], cwd=ROOT, capture_output=True, text=True, timeout=900)
            assert proc.returncode == 0, proc.stderr[-3000:]
            part.replace(out)
    return out


@pytest.fixture(scope="session")
def rendered(tmp_path_factory) -> Path:
    """Every scenario x notebook rendered once for the test run (as `neocloud render` does)
    (:func:`shared_render`)."""
    return shared_render(tmp_path_factory, "rendered-outputs")[0]


@pytest.fixture(scope="session")
def rendered_base_alone(tmp_path_factory) -> tuple[Path, str]:
    """``neocloud render params/base.yaml``: the base case alone in an empty folder (the other
    scenarios' folders not written), once for the test run (:func:`shared_render`): its folder
    and what the render printed."""
    return shared_render(tmp_path_factory, "rendered-base-alone", "params/base.yaml")


def shared_cli_run(tmp_path_factory, name: str, *args: str) -> subprocess.CompletedProcess:
    """``neocloud ARGS`` run once for the test run, in a fresh interpreter, its result shared by
    every test and xdist worker that asks for the same ``name`` (the first runs it under a file
    lock, as :func:`rendered` renders; the others read its exit code and output)."""
    import json

    from filelock import FileLock

    root = run_folder(tmp_path_factory)
    kept = root / f"cli-{name}.json"
    with FileLock(str(root / f"cli-{name}.lock")):
        if not kept.is_file():
            proc = neocloud_cli(*args)
            kept.write_text(json.dumps({"returncode": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr}))
    run = json.loads(kept.read_text())
    return subprocess.CompletedProcess(["neocloud", *args], run["returncode"], run["stdout"], run["stderr"])


@pytest.fixture(scope="session")
def base_summary_json(tmp_path_factory) -> subprocess.CompletedProcess:
    """``neocloud summary params/base.yaml --json`` from the installed command, once per test run
    (several files read its output; none changes it)."""
    return shared_cli_run(tmp_path_factory, "summary-base-json", "summary", "params/base.yaml", "--json")


HEAVIEST_FIRST = (
    "test_notebooks.py",  # first: its early tests start the session's render (`rendered`), which later files read
    "test_usual_ways.py", "test_render.py", "test_render_failures.py", "test_odd_input.py", "test_readable.py",
    "test_sweep_odd_use.py", "test_scenarios.py", "test_sweeps.py", "test_explorable.py", "test_browser.py",
    "test_ledger.py", "test_hostile_text.py", "test_jupyterlab.py", "test_book.py", "test_properties.py",
    "test_layout.py", "termination.ipynb", "market.ipynb", "ipo_narrative.ipynb", "deal.ipynb",  # nbval: each cell an item
)
"""Test files by their share of a run (``pytest --durations``), the longest first. With
``--dist loadfile --no-loadscope-reorder`` (``make test``) the two workers take files in this
order, each taking the next when it is nearly free (xdist hands a worker its next file when two of
its tests are left): the long files start first and the short ones fill the end, so that both
workers finish together (the longest first is the classic greedy schedule). Files not named here
(the short ones: doctests, small unit files) follow in collection order."""


def pytest_collection_modifyitems(config, items):
    """Run the files of :data:`HEAVIEST_FIRST` first, in that order; the order of tests within a
    file, and of the other files, is unchanged (a stable sort)."""
    rank = {name: i for i, name in enumerate(HEAVIEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


def pytest_sessionfinish(session, exitstatus):
    """With NEOCLOUD_REQUIRE_ALL set (CI), any skipped test fails the run."""
    if not os.environ.get("NEOCLOUD_REQUIRE_ALL"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        names = ", ".join(getattr(r, "nodeid", "?") for r in skipped[:10])
        print(f"\nNEOCLOUD_REQUIRE_ALL: {len(skipped)} test(s) skipped, which CI does not allow: {names}")
        session.exitstatus = 1

