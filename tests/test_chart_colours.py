"""Every chart of every committed notebook keeps to colours a colour-blind reader tells apart:
categorical colours from Okabe and Ito's palette (or greys and black), sequential colours from
schemes made for it, distinct colours within a scale, and one colour per company everywhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import NOTEBOOKS
from neocloud.report.charts.theme import COMPANY_COLOURS, PALETTE

VEGALITE = "application/vnd.vegalite.v5+json"
SEQUENTIAL = {"blues", "greens", "greys", "oranges", "purples", "viridis", "cividis", "magma", "inferno", "plasma"}
"""Single-hue and perceptually uniform schemes: read by lightness, not hue."""


def _grey(colour: str) -> bool:
    c = colour.lstrip("#")
    c = "".join(ch * 2 for ch in c) if len(c) == 3 else c
    return len(c) == 6 and c[0:2] == c[2:4] == c[4:6]


def _specs(path: Path) -> list[dict]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [o["data"][VEGALITE] for c in nb["cells"] for o in c.get("outputs", []) if VEGALITE in o.get("data", {})]


def _walk(node, found: list[tuple[str, object]]) -> None:
    if isinstance(node, dict):
        if "scheme" in node:
            found.append(("scheme", node["scheme"]))
        if isinstance(node.get("range"), list) and all(isinstance(c, str) and c.startswith("#") for c in node["range"]):
            found.append(("range", (tuple(node.get("domain") or ()), tuple(node["range"]))))
        for key in ("color", "fill", "stroke", "value"):
            if isinstance(node.get(key), str) and node[key].startswith("#"):
                found.append(("colour", node[key]))
        for value in node.values():
            _walk(value, found)
    elif isinstance(node, list):
        for value in node:
            _walk(value, found)


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_every_chart_colour_is_colour_blind_safe(path):
    allowed = {c.upper() for c in PALETTE} | {c.upper() for c in COMPANY_COLOURS.values()}
    specs = _specs(path)
    assert specs, f"{path.name} has no chart outputs"
    problems = []
    for i, spec in enumerate(specs):
        found: list[tuple[str, object]] = []
        _walk(spec, found)
        for kind, what in found:
            if kind == "scheme" and what not in SEQUENTIAL:
                problems.append((i, f"scheme {what!r} is not a colour-blind-safe sequential scheme"))
            if kind == "colour" and what.upper() not in allowed and not _grey(what):
                problems.append((i, f"colour {what} is neither Okabe-Ito nor a grey"))
            if kind == "range":
                domain, colours = what
                odd = [c for c in colours if c.upper() not in allowed and not _grey(c)]
                if odd:
                    problems.append((i, f"scale colours {odd} are neither Okabe-Ito nor greys"))
                if len(set(colours)) < len(colours) and not domain:
                    problems.append((i, f"a scale repeats a colour: {colours}"))
                for name, colour in zip(domain, colours):
                    if name in COMPANY_COLOURS and colour.upper() != COMPANY_COLOURS[name].upper():
                        problems.append((i, f"{name} drawn in {colour}, not its colour {COMPANY_COLOURS[name]}"))
                if domain and len(set(colours)) < len(colours):
                    problems.append((i, f"two series of one scale share a colour: {dict(zip(domain, colours))}"))
    assert not problems, (path.name, problems)


def test_the_check_finds_what_it_looks_for():
    found: list[tuple[str, object]] = []
    _walk({"encoding": {"color": {"scale": {"scheme": "tableau10"}}},
           "layer": [{"mark": {"type": "line", "color": "#ff0000"}},
                     {"encoding": {"color": {"scale": {"domain": ["Anthropic", "Google"], "range": ["#0072B2", "#0072B2"]}}}}]},
          found)
    assert ("scheme", "tableau10") in found and ("colour", "#ff0000") in found
    assert ("range", (("Anthropic", "Google"), ("#0072B2", "#0072B2"))) in found
    assert _grey("#555") and _grey("#c8c8c8") and not _grey("#0072B2")
