"""No dead link, whichever usual way a report is made (issue 21): every ``href`` and ``src`` of
every page resolves in the folder that way writes (a file beside it, an anchor of the page), or is
an absolute web address (a source's page). A report names another report in words; the sources
page, which both ways write, lists the scenario's reports and links those written beside it.

The ways: ``papermill`` then ``jupyter nbconvert --to neocloud-report`` (the report and its sources
page) or ``--to html`` (the report alone) of each notebook, alone in an empty folder; and
``neocloud render`` of one scenario (its reports, its sources page and the index)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup

from conftest import NOTEBOOKS, ROOT, shared_papermill

BIN = Path(sys.executable).parent
WEB = ("http", "https")
"""Schemes of an absolute web address: a source's own page (some sources serve plain http)."""


def run(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=900)


def _ids(path: Path, cache: dict[Path, set[str]]) -> set[str]:
    if path not in cache:
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        cache[path] = {t["id"] for t in soup.find_all(id=True)} | {t["name"] for t in soup.find_all("a", attrs={"name": True})}
    return cache[path]


def dead_links(folder: Path) -> list[str]:
    """Every address a page under ``folder`` links or loads that does not resolve there: a file
    that is not there, an anchor the page (or the page linked) does not hold, a scheme other than
    the web's (``javascript:``, ``file:``); ``data:`` and ``mailto:`` are whole in themselves."""
    dead: list[str] = []
    ids: dict[Path, set[str]] = {}
    pages = sorted(folder.rglob("*.html"))
    assert pages, f"no page in {folder}"
    for page in pages:
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for tag in soup.find_all(True):
            for attr in ("href", "src"):
                address = tag.get(attr)
                if address is None:
                    continue
                where = f"{page.relative_to(folder)}: <{tag.name} {attr}={address!r}>"
                parts = urlsplit(address)
                if parts.scheme in WEB:
                    if not parts.netloc:
                        dead.append(where + " (a web address without a host)")
                    continue
                if parts.scheme in ("data", "mailto"):
                    continue
                if parts.scheme or address.startswith("//"):
                    dead.append(where + " (not a file beside the page nor a web address)")
                    continue
                target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
                if not target.is_file():
                    dead.append(where + " (no such file)")
                elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in _ids(target, ids):
                    dead.append(where + " (no such anchor)")
    return dead


def test_dead_links_finds_each_kind_of_dead_link(tmp_path):
    """The checker itself: each kind of dead address is found, and only those."""
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "index.html").write_text('<a href="../r.html#top">back</a>', encoding="utf-8")
    (tmp_path / "r.html").write_text(
        '<h1 id="top">R</h1><a href="#top">ok</a><a href="sources/index.html">ok</a><a href="https://www.sec.gov/x">ok</a>'
        '<img src="data:image/png;base64,AA"><a href="termination.html">dead</a><a href="#nowhere">dead</a>'
        '<a href="../other/deal.html">dead</a><script src="javascript:alert(1)"></script><a href="https:///x">dead</a>',
        encoding="utf-8")
    found = dead_links(tmp_path)
    assert [f.split(": ", 1)[1].split(" (")[0] for f in found] == [
        "<a href='termination.html'>", "<a href='#nowhere'>", "<a href='../other/deal.html'>",
        "<script src='javascript:alert(1)'>", "<a href='https:///x'>"]


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> dict[str, Path]:
    """Each notebook run by the papermill CLI, as the README shows: the scenario reports for
    ``early_exit`` (as other test files run them), the market report (one per reporting date) for
    the base case; once for the test run (:func:`conftest.shared_papermill`; the tests copy them)."""
    return {nb.stem: shared_papermill(tmp_path_factory, nb.stem, "params/base.yaml" if nb.stem == "market" else "params/early_exit.yaml")
            for nb in sorted(NOTEBOOKS.glob("*.ipynb"))}


@pytest.mark.parametrize("to", ["neocloud-report", "html"])
@pytest.mark.parametrize("name", sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")))
def test_a_report_exported_alone_the_usual_way_has_no_dead_link(executed, name, to, tmp_path):
    """Each notebook exported alone to an empty folder: every link of the report (and, for
    ``--to neocloud-report``, of the sources page it writes beside it) resolves there."""
    shutil.copy(executed[name], tmp_path / f"{name}.ipynb")
    res = run(BIN / "jupyter", "nbconvert", "--to", to, f"{name}.ipynb", cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    written = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.html")}
    assert written == ({f"{name}.html", "sources/index.html"} if to == "neocloud-report" else {f"{name}.html"})
    assert dead_links(tmp_path) == []
    if to == "neocloud-report":
        # the sources page names the scenario's other reports, and links only the one written
        nav = BeautifulSoup((tmp_path / "sources" / "index.html").read_text(encoding="utf-8"), "html.parser").find(class_="nc-nav")
        assert [a["href"] for a in nav.find_all("a")] == [f"../{name}.html"]
        assert all(other in nav.get_text(" ").split() for other in ("deal", "termination", "ipo_narrative", "market"))


def test_a_render_of_one_scenario_has_no_dead_link(rendered_base_alone):
    """``neocloud render`` of the base case alone (the other scenarios' folders not written):
    its reports, its sources page and the index link only what the render wrote."""
    out = rendered_base_alone
    assert sorted(p.name for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")) == ["base"]  # the base case alone
    assert sorted(p.name for p in (out / "base").glob("*.html")) == ["deal.html", "ipo_narrative.html", "market.html",
                                                                      "termination.html"]
    assert dead_links(out) == []
