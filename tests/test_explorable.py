"""Explorable reports in a real browser: controls show the library's figures, nothing overlaps or
is cut, pages fit a phone and a desktop, and print keeps charts whole.

Every page of every scenario is opened once at 390 px and once at 1,440 px by the shared visits of
``browser_session`` (one browser per test process, one visit per page and width, every
measurement taken in that visit); these tests assert on what the visits measured.

Like every browser test, these fail (never skip) when Debian's Chromium is missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import neocloud as nc
from browser_session import PRINT_HEIGHT, PRINT_WIDTH, WIDTHS, browser, survey  # noqa: F401  (the fixtures)
from conftest import ROOT
from neocloud.model.deal import committed_floor, total_contract_value
from neocloud.report.narrative import notice_shares, usd

pytestmark = pytest.mark.browser


class Grids:
    """What each control drives, from the library: the grid row at the controls' values (its
    ``title`` is what the chart's title must read), the scenario's own value of each control, and
    the figure the report's words state for the scenario, which the title at the scenario's values
    must show. The market grid's rows are computed at the points the controls visit (the library's
    grid, :func:`neocloud.market_grid`, at that point, with the library's own run of the market
    model there), each once."""

    def __init__(self, sc):
        self.sc, self.fig = sc, nc.headline_figures(sc)
        self.probability = nc.probability_grid(sc)
        self.lines, self.floors = nc.readings_grid(sc)
        self.ramp = nc.ramp_grid(sc)
        m, t = nc.scenario_market(sc), sc.deal
        # the market grid's points, as market_grid documents them: the scenario's price and $1 steps
        # either side (7, above zero), its drift and 10 points either side
        self.prices = [m.price_usd_per_h100e_hour if k == 0 else round(m.price_usd_per_h100e_hour + k, 10)
                       for k in range(-3, 4) if m.price_usd_per_h100e_hour + k > 0]
        self.drifts = [m.drift_per_year if k == 0 else round(m.drift_per_year + 0.1 * k, 10) for k in range(-1, 2)]
        self._market: dict = {}
        self.own = {"notice_p": sc.termination.monthly_notice_probability.value, "reading": 0,
                    "m_price": m.price_usd_per_h100e_hour, "m_drift": m.drift_per_year,
                    "ramp_d": t.ramp_discount, "ramp_start": f"{t.start:%b %Y}"}
        from neocloud.model.ledger import ALL_SELLERS

        self.own |= {"cal_horizon": 12, "cal_seller": ALL_SELLERS}
        self._calendar = None
        mx = self.fig["market_exit"]
        self.stated = {"notice_p": [usd(self.fig["expected_revenue_usd"])], "reading": [usd(self.fig["committed_floor_usd"])],
                       "m_price": [usd(mx["expected_revenue_usd"]), f"buyer walks on {notice_shares(mx['buyer_notice_share'], mx['seller_notice_share'])[0]}"] if mx else [],
                       "ramp_d": [usd(self.fig["total_contract_value_usd"])], "cal_horizon": []}

    CHARTS = ({"notice_p"}, {"reading"}, {"m_price", "m_drift"}, {"ramp_d", "ramp_start"}, {"cal_horizon", "cal_seller"})

    def calendar(self):
        """The market report's notice calendar at the scenario's reporting date, as the notebook draws it."""
        if self._calendar is None:
            from neocloud.model.ledger import notice_calendar, notice_calendar_grid
            from neocloud.report.market_words import calendar_readout

            sc = self.sc
            calendar = notice_calendar(nc.load_ledger(), sc.as_of.value, 12)
            self._calendar = notice_calendar_grid(calendar, sc.as_of.value, (3, 6, 12)), calendar_readout
        return self._calendar

    def market(self, price: float, drift: float) -> "tuple[str, list[str]]":
        """The market grid's row at the grid point (``price``, ``drift``): its title, and the
        figures of the library's run of the market model there."""
        gp = [p for p in self.prices if abs(p - price) < 1e-9]
        gd = [d for d in self.drifts if abs(d - drift) < 1e-9]
        assert gp and gd, f"the controls hold ${price} and {drift} a year, not a point of the market grid {self.prices} x {self.drifts}"
        key = (gp[0], gd[0])
        if key not in self._market:
            sc = self.sc
            r = nc.rational_exit(sc, nc.MarketModel(gp[0], gd[0], nc.scenario_market(sc).volatility_per_year))
            g, _ = nc.market_grid(sc, prices=[gp[0]], drifts=[gd[0]], computed=r)
            self._market[key] = g.title.iloc[0], [usd(r.expected_revenue_usd), f"buyer walks on {notice_shares(r.notice_probability.buyer.sum(), r.notice_probability.seller.sum())[0]}"]
        return self._market[key]

    def row(self, values: dict[str, str]) -> "tuple[str, list[str]]":
        """The title of the grid row at ``values`` (control name -> value as the input holds it),
        and figures the library computes afresh for that setting, which the title must show."""
        sc = self.sc
        if "notice_p" in values:
            p = float(values["notice_p"])
            g = self.probability.iloc[[(self.probability.probability - p).abs().argmin()]]
            return g.title.iloc[0], [usd(nc.expected_revenue(sc.deal, float(g.probability.iloc[0])))]
        if "reading" in values:
            f = self.floors.iloc[int(values["reading"])]
            return f.title, [usd(committed_floor(nc.reading_terms(sc, f.id)))]
        if "m_price" in values:
            return self.market(float(values["m_price"]), float(values["m_drift"]))
        if "cal_horizon" in values:   # the windows and fees of the ledger's grid row, recomputed by the library
            grid, readout = self.calendar()
            g = grid[(grid.horizon_months == int(float(values["cal_horizon"]))) & (grid.seller == values["cal_seller"])]
            return readout(g.iloc[0]), [usd(float(g.at_stake_usd.iloc[0]))] if "at_stake_usd" in g else []
        t, d = sc.deal, float(values["ramp_d"])
        g = self.ramp[(self.ramp.start_label == values["ramp_start"]) & ((self.ramp.ramp_discount - d).abs() < 1e-9)]
        total = total_contract_value(nc.DealTerms(t.monthly_fee_usd, g.start.iloc[0], t.end, t.ramp_months, d, t.notice_days,
                                                  t.lockup_months, t.capacity_mw))
        return g.title.iloc[0], [usd(total)]


def scenario_reports(rendered: Path) -> "dict[str, list[str]]":
    """Each rendered scenario (a ``params/`` file) and its reports' pages, relative to ``rendered``."""
    return {d.name: sorted(p.relative_to(rendered).as_posix() for p in d.glob("*.html"))
            for d in sorted(rendered.iterdir()) if d.is_dir() and (ROOT / "params" / f"{d.name}.yaml").is_file()}


def control_problems(grids: Grids, where: str, visit: dict) -> "tuple[list[set[str]], list[str]]":
    """The controls of one visit (:data:`browser_session.MOVE_EVERY_CONTROL`) checked against the
    library's grids: the control sets found, and every problem (a stale title, a control that opens
    off the scenario's value, controls below their chart)."""
    found, problems = [], []
    loaded = visit["control_state"]
    for rec in visit["moved"]:
        chart = rec["chart"]
        here = f"{where}, chart {chart}"
        if "problem" in rec:
            problems.append(f"{here}: {rec['problem']}")
            continue
        names = set(rec["names"])
        found.append(names)
        if names not in Grids.CHARTS:
            problems.append(f"{here}: controls {names} with no test of what they drive")
            continue
        # (a) on load: the scenario's own value, exactly
        for c in (c for c in loaded if c["chart"] == chart):
            own = grids.own[c["name"]]
            held = c["value"] if isinstance(own, str) else float(c["value"])
            if not (held == own or (not isinstance(own, str) and abs(held - own) < 1e-12)):
                problems.append(f"{here}: {c['name']} opens on {c['value']} ({c['label']}), the scenario's is {own}")
        title, figures = grids.row(rec["values"])
        if rec["title"] != title:
            problems.append(f"{here}: on loading the title reads {rec['title']!r}, not the grid row's {title!r}")
        for stated in grids.stated.get(sorted(names & grids.stated.keys())[0], []) + figures:
            if stated not in rec["title"]:
                problems.append(f"{here}: the title at the scenario's values {rec['title']!r} does not state {stated}")
        # (b) moved: the title is the grid row at the new setting
        for m in rec["moves"]:
            title, figures = grids.row(m["values"])
            if m["title"] != title:
                problems.append(f"{here}: after moving {m['name']} to {m['to']} the title reads {m['title']!r}, not the grid row's {title!r}")
            elif not all(f in title for f in figures):
                problems.append(f"{here}: after moving {m['name']} to {m['to']} the title {title!r} does not state {figures}")
        # (c) the controls sit above the chart they drive, below the words before it
        if not rec["above"]:
            problems.append(f"{here}: the controls are not above their chart")
    if visit["errors"] or visit["requests"]:
        problems.append(f"{where}: {visit['errors']} {visit['requests']}")
    return found, problems


def test_every_control_opens_on_the_scenario_and_the_title_follows_it(rendered, survey):
    """For each control of each report of each scenario, at 390 and 1,440 px: on load it holds the
    scenario's own value, its chart's title is the grid row there and states the figure the
    report's words state; moved to every other option (or a slider's ends and a point between),
    the title reads the grid row at the new setting, with the figures the library computes for
    it; the controls sit above the chart they drive. The base case has every kind of control."""
    reports = scenario_reports(rendered)
    assert len(reports) == len(list((ROOT / "params").glob("*.yaml"))) >= 8, sorted(reports)
    problems: list[str] = []
    found: dict[str, list[set[str]]] = {}
    for stem, pages in reports.items():
        grids = Grids(nc.load_scenario(ROOT / "params" / f"{stem}.yaml"))
        for page, width, visit in survey.each(pages):
            f, p = control_problems(grids, f"{page} at {width} px", visit)
            found.setdefault(stem, []).extend(f)
            problems += p
    assert not problems, f"{len(problems)} problems: {problems[:20]}"
    base = found["base"]
    assert sorted(map(sorted, base)) == sorted(map(sorted, [*Grids.CHARTS, *Grids.CHARTS])), f"controls found in base: {base}"
    assert all(found[s] for s in reports), {s: found[s] for s in reports}


def test_the_control_check_finds_a_stale_title(rendered, survey):
    """The check of the controls fails a chart whose title stays as it loaded after a control
    moved, and a control that opens off the scenario's value (the base case's market chart, its
    visit at 1,440 px with the first move's title replaced by the title on loading)."""
    import copy

    visit = copy.deepcopy(survey.get("base/termination.html", 1440))
    market = next(rec for rec in visit["moved"] if "m_price" in rec.get("names", []))
    grids = Grids(nc.load_scenario(ROOT / "params/base.yaml"))
    assert control_problems(grids, "base/termination.html", visit)[1] == []
    first = market["moves"][0]
    assert first["title"] != market["title"], first
    first["title"] = market["title"]
    next(c for c in visit["control_state"] if c["name"] == "m_drift")["value"] = "0.5"
    problems = control_problems(grids, "base/termination.html", visit)[1]
    assert len(problems) == 2 and "m_drift opens on 0.5" in problems[0] and f"after moving m_price to {first['to']}" in problems[1], problems


def test_no_label_overlaps_or_is_cut_in_any_chart(rendered, survey):
    problems = [(page, width, p) for page, width, visit in survey.each(sorted(p for ps in scenario_reports(rendered).values() for p in ps))
                for p in visit["overlaps"]]
    assert not problems, problems[:20]


@pytest.mark.parametrize("width", WIDTHS)
def test_pages_fit_a_phone_and_a_desktop(rendered, survey, width):
    problems = []
    for page, _, visit in survey.each(survey.pages(), [width]):
        if visit["fit"]["scroll"] > width:
            problems.append(f"{page} at {width} px: the page scrolls sideways ({visit['fit']['scroll']} px)")
        # what is wider than the screen scrolls inside its own box
        if visit["fit"]["wide"]:
            problems.append((page, width, visit["fit"]["wide"]))
    assert not problems, problems[:20]


def test_print_keeps_every_chart_whole(rendered, survey):
    pages = sorted(p.relative_to(rendered).as_posix() for p in (rendered / "base").glob("*.html"))
    assert pages
    for page, _, visit in survey.each(pages, [max(WIDTHS)]):
        printed = visit["print"]
        sizes = printed["sizes"]
        assert sizes and all(w <= PRINT_WIDTH + 0.5 and h <= PRINT_HEIGHT for w, h in sizes), (page, sizes)
        assert printed["avoid"], page
        pdf = Path(printed["pdf"])
        assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000, page
