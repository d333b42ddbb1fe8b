"""A second render with nothing changed answers from its stamp (issue 18: a no-op render at most
1 s, timed in ``python -m neocloud.bench``), and stays sound: every kind of input changed by one
byte re-renders what depends on it and only that, an output deleted or edited is made again, and a
no-op opens no scenario file and imports neither pandas nor pydantic."""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT
from helpers import HELLO, copy_scenario, make_notebook, reports_only, snapshot

RECORD = ("import sys\nfrom neocloud.pipeline.opens import record_opens\nrecord_opens(sys.argv[1], 'parent')\n"
          "from neocloud.commands.cli import main\nrc = main(['render', *sys.argv[2:]])\n"
          "print('HEAVY', sorted(m for m in ('pandas', 'pydantic', 'numpy') if m in sys.modules))\nsys.exit(rc)\n")
"""A render in a fresh interpreter that logs the YAML files it opens and says which heavy modules it imported."""


def _render(project: Path, *args: str, env: dict[str, str] | None = None, log: Path | None = None) -> subprocess.CompletedProcess:
    code = ["-m", "neocloud.commands.cli", "render"] if log is None else ["-c", RECORD, str(log)]
    proc = subprocess.run([sys.executable, *code, "--outputs", "out", *args], cwd=project, capture_output=True,
                          text=True, timeout=900, env={**os.environ, **(env or {})})
    return proc


def _counts(proc: subprocess.CompletedProcess) -> str:
    found = re.search(r"^(\d+ rendered, \d+ up to date, \d+ failed, \d+ invalid)", proc.stdout, re.M)
    assert found, proc.stdout + proc.stderr
    return found.group(1)


def _outputs(project: Path) -> dict[str, bytes]:
    return snapshot(project / "out")


def _one_byte(path: Path, old: bytes, new: bytes) -> None:
    data = path.read_bytes()
    assert old in data and len(old) == len(new), (path, old)
    path.write_bytes(data.replace(old, new, 1))


@pytest.fixture(scope="module")
def _rendered_project(tmp_path_factory) -> tuple[Path, Path, dict]:
    """The project of :func:`project` rendered once for this file, a copy of it as the render left
    it (every file's bytes and modification time), and whether the folder is still as rendered."""
    root = tmp_path_factory.mktemp("noop")
    p = root / "project"
    params = p / "params"
    copy_scenario(params, "base")
    copy_scenario(params, "other", **{'title: "Base case': 'title: "Other case'})
    (params / "child.yaml").write_text('extends: base.yaml\ntitle: "Child of the base case"\n', encoding="utf-8")
    (params / "sweeps").mkdir()
    shutil.copy(ROOT / "params/sweeps/termination_sobol.yaml", params / "sweeps/termination_sobol.yaml")
    shutil.copytree(ROOT / "neocloud/data", p / "data", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    for name in ("deal", "termination"):
        make_notebook(p / "notebooks" / f"{name}.ipynb", HELLO)
    first = _render(p, env={"NEOCLOUD_DATA": str(p / "data")})
    assert first.returncode == 0 and _counts(first) == "6 rendered, 0 up to date, 0 failed, 0 invalid", first.stdout + first.stderr
    assert (p / "out/.cache/noop-stamp.json").is_file()
    kept = root / "as-rendered"
    shutil.copytree(p, kept, symlinks=True)
    return p, kept, {"fresh": True}


@pytest.fixture
def project(_rendered_project) -> Path:
    """A project folder: three scenarios (``child`` extends ``base``), the termination report's
    sweep file, edited copies of the data files ($NEOCLOUD_DATA) and two quick reports named as
    the shipped ones, so that their declarations hold (``termination`` reads the sweep file,
    ``deal`` the comparables), rendered and stamped. The first test to ask gets the render's own
    folder; each later one a copy of it as the render left it, at the same path, rendered again
    (nothing to render: new files, which the stamp does not vouch for, take the normal path,
    which stamps them)."""
    p, kept, state = _rendered_project
    if not state.pop("fresh", False):
        shutil.rmtree(p)
        shutil.copytree(kept, p, symlinks=True)
        again = _render(p, env={"NEOCLOUD_DATA": str(p / "data")})
        assert _counts(again) == "0 rendered, 6 up to date, 0 failed, 0 invalid", again.stdout + again.stderr
    assert (p / "out/.cache/noop-stamp.json").is_file()
    return p


def _rendered_now(project: Path, before: dict[str, bytes]) -> set[str]:
    """The reports whose key changed since ``before`` (scenario/report)."""
    after = _outputs(project)
    return {k.replace("/.", "/").removesuffix(".key") for k in after if k.endswith(".key") and after[k] != before.get(k)}


def test_a_noop_answers_from_the_stamp_with_the_same_lines_and_outputs(project, tmp_path):
    env = {"NEOCLOUD_DATA": str(project / "data")}
    before = _outputs(project)
    log = tmp_path / "opens.log"
    noop = _render(project, env=env, log=log)
    assert noop.returncode == 0 and _counts(noop) == "0 rendered, 6 up to date, 0 failed, 0 invalid", noop.stdout + noop.stderr
    assert "HEAVY []" in noop.stdout  # neither pandas nor pydantic (nor numpy) imported
    from neocloud.pipeline.opens import opens_by_file

    opened = opens_by_file(log)
    assert not [p for p in opened if "/params/" in p], opened  # no scenario (nor sweep) file opened
    assert noop.stderr == "" and _outputs(project) == before

    # the normal path (no stamp) on the same inputs prints the same lines and leaves the same bytes
    (project / "out/.cache/noop-stamp.json").unlink()
    normal = _render(project, env=env)
    strip = lambda s: re.sub(r" in \d+\.\ds$", "", s, flags=re.M)  # noqa: E731 - the time differs
    assert strip(normal.stdout) == strip(noop.stdout.replace("HEAVY []\n", "")) and normal.stderr == noop.stderr
    assert _outputs(project) == before and (project / "out/.cache/noop-stamp.json").is_file()

    # --force and other options take the normal path
    forced = _render(project, "--force", env=env)
    assert _counts(forced) == "6 rendered, 0 up to date, 0 failed, 0 invalid", forced.stdout + forced.stderr
    one = _render(project, "params/other.yaml", env=env)
    assert _counts(one) == "0 rendered, 2 up to date, 0 failed, 0 invalid" and "HEAVY" not in one.stdout
    assert _counts(_render(project, "params/other.yaml", env=env, log=log)) == "0 rendered, 2 up to date, 0 failed, 0 invalid"


KINDS = {
    "scenario": ("params/other.yaml", b"Other case", b"Othex case", {"other/deal", "other/termination"}),
    # the question, which child.yaml takes from base.yaml (its title is its own); other.yaml is a copy
    "extended": ("params/base.yaml", b"What is the", b"What is thx",
                 {"base/deal", "base/termination", "child/deal", "child/termination"}),
    "data": ("data/comparables.csv", b"investors.coreweave", b"investorx.coreweave",  # declared by deal alone
             {"base/deal", "other/deal", "child/deal"}),
    "notebook": ("notebooks/termination.ipynb", b'"Python 3"', b'"Python 4"',
                 {"base/termination", "other/termination", "child/termination"}),
    "sweep": ("params/sweeps/termination_sobol.yaml", b"# Sobol'", b"# sobol'",  # declared by termination alone
              {"base/termination", "other/termination", "child/termination"}),
}
"""Each kind of input a render reads, a one-byte change to it, and the reports that depend on it
(the package's source, its shipped data and the lock: every report, and the stamp's digest,
:func:`test_the_stamp_covers_the_package_source_and_the_lock`)."""


def test_a_one_byte_change_re_renders_what_depends_on_it_and_only_that(project):
    env = {"NEOCLOUD_DATA": str(project / "data")}
    for kind, (path, old, new, expected) in KINDS.items():
        before = _outputs(project)
        _one_byte(project / path, old, new)
        again = _render(project, env=env)
        assert again.returncode == 0, (kind, again.stdout + again.stderr)
        n = len(expected)
        assert _counts(again) == f"{n} rendered, {6 - n} up to date, 0 failed, 0 invalid", (kind, again.stdout)
        assert _rendered_now(project, before) == expected, kind
        noop = _render(project, env=env)
        assert _counts(noop) == "0 rendered, 6 up to date, 0 failed, 0 invalid", (kind, noop.stdout + noop.stderr)


def test_a_deleted_or_edited_output_is_made_again_and_bad_input_still_stops_first(project):
    env = {"NEOCLOUD_DATA": str(project / "data")}
    before = _outputs(project)
    out = project / "out"
    (out / "other/deal.html").unlink()
    with open(out / "base/termination.ipynb", "ab") as f:
        f.write(b" ")
    (out / "child/.figures.json").write_text("{}")
    (out / "index.html").write_bytes(b"edited")
    (out / "other/sources/index.html").write_bytes(b"edited")
    again = _render(project, env=env)
    assert _counts(again) == "2 rendered, 4 up to date, 0 failed, 0 invalid", again.stdout + again.stderr
    assert _outputs(project) == before

    # an invalid file misses the stamp: its error, exit 2, its reports untouched
    other = project / "params/other.yaml"
    good = other.read_bytes()
    _one_byte(other, b"title:", b"titlx:")
    bad = _render(project, env=env)
    assert bad.returncode == 2 and "other.yaml" in bad.stderr + bad.stdout, bad.stdout + bad.stderr
    assert reports_only(_outputs(project)) == reports_only(before)  # the index names the invalid file
    other.write_bytes(good)
    assert _counts(_render(project, env=env)) == "0 rendered, 6 up to date, 0 failed, 0 invalid"
    assert _outputs(project) == before and (out / ".cache/noop-stamp.json").is_file()


def test_the_stamp_covers_the_package_source_and_the_lock(tmp_path, monkeypatch):
    """Every file of the package (its source, templates, shipped data) and ``constraints.txt``
    are in the digest: one byte changed in any of them and a render takes the normal path."""
    from neocloud.pipeline import cache, stamp

    package = tmp_path / "neocloud"
    shutil.copytree(ROOT / "neocloud", package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "constraints.txt", tmp_path / "constraints.txt")
    monkeypatch.setattr(cache, "PACKAGE_DIR", package)
    scenarios, notebooks = stamp.discover(ROOT / "params", ROOT / "notebooks", None)
    context = stamp.render_context(None, ROOT / "params", ROOT / "notebooks", tmp_path / "out")

    def digest(recorded: dict | None) -> tuple[str, dict]:
        sha = stamp.Digests(recorded)  # a recorded digest is reused while the file's status is unchanged
        inputs = stamp.input_files(context, scenarios, scenarios, notebooks, [], sha)
        return stamp.inputs_digest(inputs), sha.table(time.time_ns() - stamp.RACY_NS)

    first, table = digest(None)
    assert digest(table)[0] == first
    for path, old, new in [(package / "model/deal.py", b"def ", b"def\t"), (package / "data/gpu_prices.csv", b"2", b"3"),
                           (package / "templates/index.html.j2", b"<", b" "), (tmp_path / "constraints.txt", b"=", b"<")]:
        data = path.read_bytes()
        path.write_bytes(data.replace(old, new, 1))  # the same size, at once (the same clock tick, maybe)
        assert digest(table)[0] != first, path
        path.write_bytes(data)
        assert digest(table)[0] == first, path
    (package / "model/new_module.py").write_text("")  # a file added
    assert digest(table)[0] != first


def test_the_lazy_package_gives_every_public_name():
    """``neocloud``'s names load on first use (PEP 562) from the module each topic names, and
    ``dir``, ``from neocloud import X`` and ``neocloud.X`` see all of ``__all__``."""
    import neocloud as nc

    assert set(nc._MODULE_OF) | {"__version__"} == set(nc.__all__)
    for name, module in nc._MODULE_OF.items():
        assert getattr(importlib.import_module(module), name) is getattr(nc, name), name
    assert set(nc.__all__) <= set(dir(nc))
    with pytest.raises(AttributeError):
        nc.no_such_name  # noqa: B018
    light = subprocess.run([sys.executable, "-c", "import sys, neocloud\nfrom neocloud.pipeline.stamp import noop_render\n"
                            "print(sorted(m for m in ('pandas', 'pydantic', 'numpy') if m in sys.modules))"],
                           capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert light.stdout.strip() == "[]", light.stdout + light.stderr
