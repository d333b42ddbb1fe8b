"""One figure, one value (issue 21, item 5): a figure stated on several pages of a scenario (its
reports, its sources page and its column of the index) is the same computation at the same
settings, or names its settings beside it.

A *labelled figure* is a kind of figure (:data:`KINDS`: the full-term value, the committed floor,
the market-driven expected revenue, the shares of exits...) of one thing (a deal, the book): a
table cell under a header of that kind in a row that names the thing, a row of the index, or a
sentence of the reports that states it. Its *settings* are what it names beside it (a number of
simulated paths, "one market", "as reported": :data:`SETTINGS`). The rule: the occurrences that
name no settings state one value, and two occurrences that state different values never name the
same settings.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

KINDS: list[tuple[str, str]] = [
    ("value over the full term", r"^(?:full term|value(?: as reported)?|total contract value)\b"),
    ("committed floor", r"^(?:book: )?committed floor\b(?! over the readings)"),
    ("enforceable RPO", r"^enforceable rpo\b"),
    ("headline backlog", r"^headline backlog\b"),
    ("market-driven expected revenue", r"^(?:expected revenue \(one market|market-driven exits: expected revenue)"),
    ("hazard-model expected revenue", r"^expected revenue \(hazard model\)"),
    ("share of exits by the buyer", r"^buyer ends it"),
    ("share of exits by the seller", r"^seller ends it"),
    ("monthly fee", r"^monthly fee$"),
]
"""Each kind of labelled figure, by the header (or index label) that states it (lower case)."""

SENTENCES: list[tuple[str, str]] = [
    ("market-driven expected revenue", r"Expected revenue under market-driven exits is (?P<v>\$[\d.,]+[BMK]?)"),
    ("market-driven expected revenue", r"(?P<v>\$[\d.,]+[BMK]?) expected, P5"),
    ("market-driven expected revenue", r"under market-driven exits .{0,120}?the expected revenue is (?P<v>\$[\d.,]+[BMK]?)"),
    ("share of exits by the buyer", r"[Tt]he buyer (?:walks|ends the contract) on (?P<v>\d+%) of paths"),
    ("share of exits by the seller", r"[Tt]he buyer (?:walks|ends the contract) on \d+% of paths,? (?:and )?the seller on (?P<v>\d+%)"),
    ("value over the full term", r"(?P<v>\$[\d.,]+[BMK]?) if the contract runs its course"),
    ("committed floor", r"All the seller can count on is (?P<v>\$[\d.,]+[BMK]?)"),
    ("hazard-model expected revenue", r"chance of notice each month, (?P<v>\$[\d.,]+[BMK]?) is expected"),
]
"""Sentences of the reports that state a labelled figure of the scenario's own deal."""

SETTINGS = re.compile(r"\d[\d,]* paths(?:, seed \d+)?|one market|as reported|the book's price paths|over \d+ months")
"""What an occurrence may name beside its value to say how it was computed."""

FIGURE = re.compile(r"^\**(\$[\d.,]+[BMK]?|\d[\d.,]*%)\**$")


def _kind(label: str) -> str | None:
    text = re.sub(r"\s+", " ", label.replace("*", "")).strip().lower()
    for kind, pattern in KINDS:
        if re.search(pattern, text):
            return kind
    return None


def _settings(text: str) -> frozenset[str]:
    return frozenset(m.group(0) for m in SETTINGS.finditer(text))


def labelled_figures(html: str, page: str, own_deal: str, column: str | None = None) -> list[tuple[str, str, str, frozenset[str], str]]:
    """Every labelled figure of one page: ``(thing, kind, value, settings, where)``. ``column``:
    for the index, the scenario's column (its rows are the scenario's own deal, or the book)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style"]):
        tag.decompose()
    found = []
    for tbl in soup.find_all("table"):
        rows = tbl.find_all("tr")
        if not rows:
            continue
        header = [c.get_text(" ", strip=True) for c in rows[0].find_all(["th", "td"])]
        if column is not None:  # the index: a figure a row, a scenario a column
            if column not in header:
                continue
            at = header.index(column)
            for r in rows[1:]:
                cells = [c.get_text(" ", strip=True) for c in r.find_all(["th", "td"])]
                label = cells[0]
                thing = "the book" if label.lower().startswith("book:") else own_deal
                kind = _kind(label[len("Book: "):] if thing == "the book" else label)
                value = cells[at].split(" (")[0] if at < len(cells) else ""
                if kind and FIGURE.match(value):
                    found.append((thing, kind, value, _settings(label + " " + cells[at]), f"{page}: index row {label!r}"))
            continue
        body = [[c.get_text(" ", strip=True) for c in r.find_all(["th", "td"])] for r in rows[1:]]
        things = [cells[0].replace("*", "").strip() for cells in body if cells]
        for cells in body:
            if not cells:
                continue
            thing = cells[0].replace("*", "").strip()
            if things.count(thing) > 1:  # several facts of one thing: the row alone does not say which
                continue
            for head, cell in zip(header[1:], cells[1:]):
                kind = _kind(head)
                value = cell.replace("*", "").strip()
                if kind and FIGURE.match(value):
                    found.append((thing, kind, value, _settings(head + " " + cell), f"{page}: table {head!r}"))
    text = soup.get_text(" ", strip=False)
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    for sentence in re.split(r"(?<=[.;])\s+(?=[A-Z*])|\n+", text):
        for kind, pattern in SENTENCES:
            for m in re.finditer(pattern, sentence):
                found.append((own_deal, kind, m.group("v"), _settings(sentence), f"{page}: {sentence.strip()[:90]!r}"))
    return found


def figure_problems(outputs: Path, stem: str, own_deal: str) -> list[str]:
    """Each labelled figure of scenario ``stem`` that breaks the rule, over its pages in
    ``outputs`` (its reports, its sources page, its column of the index)."""
    pages = sorted((outputs / stem).glob("*.html")) + sorted((outputs / stem).glob("sources/*.html"))
    found = []
    for page in pages:
        found += labelled_figures(page.read_text(encoding="utf-8"), page.relative_to(outputs).as_posix(), own_deal)
    index = outputs / "index.html"
    if index.is_file():
        found += labelled_figures(index.read_text(encoding="utf-8"), "index.html", own_deal, column=stem)
    groups: dict[tuple[str, str], list] = defaultdict(list)
    for thing, kind, value, settings, where in found:
        groups[(thing, kind)].append((value, settings, where))
    problems = []
    for (thing, kind), seen in sorted(groups.items()):
        plain = {v for v, s, _ in seen if not s}
        if len(plain) > 1:
            problems.append(f"{thing}, {kind}: {sorted(plain)} with no settings named: "
                            + "; ".join(f"{v} at {w}" for v, s, w in seen if not s))
        by_settings: dict[frozenset[str], set[str]] = defaultdict(set)
        for v, s, _ in seen:
            if s:
                by_settings[s].add(v)
        for s, values in by_settings.items():
            if len(values) > 1:
                problems.append(f"{thing}, {kind}: {sorted(values)} under the same settings {sorted(s)}: "
                                + "; ".join(f"{v} at {w}" for v, t, w in seen if t == s))
    return problems


def test_the_check_finds_one_figure_with_two_values(tmp_path):
    """The rule fails a figure stated twice with two values and no settings, and passes it once
    one of them names its settings."""
    (tmp_path / "s").mkdir()
    deal = "A - B"
    one = f"<table><tr><th>contract</th><th>full term</th></tr><tr><td>{deal}</td><td>$30.0B</td></tr></table>"
    two = "<p>The deal is worth <strong>$31.74B</strong> if the contract runs its course.</p>"
    (tmp_path / "s" / "one.html").write_text(one)
    (tmp_path / "s" / "two.html").write_text(two)
    problems = figure_problems(tmp_path, "s", deal)
    assert len(problems) == 1 and "$30.0B" in problems[0] and "$31.74B" in problems[0], problems
    (tmp_path / "s" / "one.html").write_text(one.replace("full term", "value as reported"))
    assert figure_problems(tmp_path, "s", deal) == []
    (tmp_path / "s" / "two.html").write_text(two + "<p>The buyer walks on 48% of paths (20,000 paths). "
                                             "The buyer ends the contract on 49% of paths (20,000 paths).</p>")
    assert any("under the same settings" in p for p in figure_problems(tmp_path, "s", deal))


def test_every_figure_on_several_pages_has_one_value_or_names_its_settings(rendered):
    from neocloud import load_scenario

    problems = []
    for scenario in sorted((ROOT / "params").glob("*.yaml")):
        if not (rendered / scenario.stem).is_dir():
            continue
        problems += figure_problems(rendered, scenario.stem, load_scenario(scenario).deal_name)
    assert not problems, problems[:20]


@pytest.mark.parametrize("stem", ["base"])
def test_the_base_case_states_its_shared_figures_on_several_pages(rendered, stem):
    """The rule bites: the base case states its headline figures on several pages."""
    from neocloud import load_scenario

    deal = load_scenario(ROOT / "params" / f"{stem}.yaml").deal_name
    found = []
    for page in [*sorted((rendered / stem).glob("*.html")), rendered / "index.html"]:
        found += labelled_figures(page.read_text(encoding="utf-8"), page.name, deal, column=stem if page.name == "index.html" else None)
    pages = defaultdict(set)
    for thing, kind, _, _, where in found:
        pages[(thing, kind)].add(where.split(":")[0])
    shared = [k for k, v in pages.items() if len(v) > 1]
    assert (deal, "market-driven expected revenue") in shared and (deal, "committed floor") in shared, sorted(pages.items())
