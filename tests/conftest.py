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


def once_per_run(tmp_path_factory, name: str, make) -> Path:
    """``make(path)`` run once for the test run, ``path`` being ``name`` in the run's folder
    (:func:`run_folder`), and ``path`` returned: the first test (of any xdist worker) to ask runs it
    under a file lock, the others wait for it and read what it made (tests only read it). What a
    ``make`` that failed left is made again by the next to ask."""
    from filelock import FileLock

    path = run_folder(tmp_path_factory) / name
    done = path.with_name(f"{name}.ok")
    with FileLock(str(path.with_name(f"{name}.lock"))):
        if not done.is_file():
            make(path)
            done.write_text("ok\n")
    return path


def shared_render(tmp_path_factory, name: str, *args: str) -> Path:
    """``neocloud render --outputs FOLDER ARGS`` in a fresh interpreter, once for the test run
    (:func:`once_per_run`): the folder."""
    def make(out: Path) -> None:
        proc = neocloud_cli("render", "--outputs", str(out), *args)
        assert proc.returncode == 0, proc.stdout + proc.stderr

    return once_per_run(tmp_path_factory, name, make)


def shared_papermill(tmp_path_factory, notebook: str, scenario: str) -> Path:
    """``papermill notebooks/NOTEBOOK.ipynb OUT -p scenario_file SCENARIO``, the README's command, run
    from the project folder once for the test run (:func:`once_per_run`): the executed notebook
    (tests copy it before they write beside it; none changes it)."""
    def make(folder: Path) -> None:
        folder.mkdir(exist_ok=True)
        proc = subprocess.run([str(Path(sys.executable).parent / "papermill"), f"notebooks/{notebook}.ipynb",
                               str(folder / f"{notebook}.ipynb"), "-p", "scenario_file", scenario],
                              cwd=ROOT, capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, proc.stderr[-3000:]

    return once_per_run(tmp_path_factory, f"papermill-{notebook}-{Path(scenario).stem}", make) / f"{notebook}.ipynb"


@pytest.fixture(scope="session")
def rendered(tmp_path_factory) -> Path:
    """Every scenario x notebook rendered once for the test run (as `neocloud render` does)
    (:func:`shared_render`)."""
    return shared_render(tmp_path_factory, "rendered-outputs")


@pytest.fixture(scope="session")
def rendered_base_alone(tmp_path_factory) -> Path:
    """``neocloud render params/base.yaml``: the base case alone in an empty folder (the other
    scenarios' folders not written), once for the test run (:func:`shared_render`)."""
    return shared_render(tmp_path_factory, "rendered-base-alone", "params/base.yaml")


def shared_cli_run(tmp_path_factory, name: str, *args: str) -> subprocess.CompletedProcess:
    """``neocloud ARGS`` in a fresh interpreter, once for the test run (:func:`once_per_run`): its
    exit code and output, the same for every test and xdist worker that asks for ``name``."""
    import json

    def make(kept: Path) -> None:
        proc = neocloud_cli(*args)
        kept.write_text(json.dumps({"returncode": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr}))

    run = json.loads(once_per_run(tmp_path_factory, f"cli-{name}.json", make).read_text())
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

