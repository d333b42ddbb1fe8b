"""The chart package names what its users use, and nothing else: every ``charts.X`` a notebook,
a module or a test uses exists, and every name ``neocloud.report.charts`` exports has a user."""

from __future__ import annotations

import json
import re

from conftest import NOTEBOOKS, ROOT
from neocloud.report import charts

USE = re.compile(r"(?<![\w.])charts\.([A-Za-z_]\w*)")
IMPORT = re.compile(r"from neocloud\.report\.charts import ([^\n]+)")


def _sources() -> dict[str, str]:
    """The code of every notebook's cells, every module outside the chart package, every test but this one."""
    out = {}
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        out[path.name] = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    for path in sorted((ROOT / "neocloud").rglob("*.py")):
        if path.relative_to(ROOT / "neocloud").parts[:2] != ("report", "charts"):
            out[str(path.relative_to(ROOT))] = path.read_text(encoding="utf-8")
    for path in sorted((ROOT / "tests").glob("*.py")):
        if path.name != "test_chart_names.py":
            out[str(path.relative_to(ROOT))] = path.read_text(encoding="utf-8")
    return out


def _used(text: str) -> set[str]:
    names = set(USE.findall(text))
    for imported in IMPORT.findall(text):
        names |= {part.split(" as ")[0].strip(" ()") for part in imported.split(",") if part.strip(" ()")}
    return names


def test_every_chart_name_used_exists_and_every_exported_name_is_used():
    sources = _sources()
    used = {name: [f for f, text in sources.items() if name in _used(text)] for text in sources.values() for name in _used(text)}
    missing = sorted(n for n in used if not hasattr(charts, n))
    assert not missing, {n: used[n] for n in missing}
    unused = sorted(set(charts.__all__) - set(used))
    assert not unused, f"neocloud.report.charts exports names nobody uses: {unused}"
    assert set(charts.__all__) == {n for n in vars(charts) if not n.startswith("_") and n not in {"annotations", "sys"}
                                   and not isinstance(vars(charts)[n], type(charts))}, "names outside __all__"


def test_the_check_reads_uses_and_imports():
    assert _used("from neocloud.report import charts\ncharts.enable()\nx = filing_charts.other()") == {"enable"}
    assert _used("from neocloud.report.charts import FIT, finding_title as _title") == {"FIT", "finding_title"}
