"""Words around the numbers: formatting, safe Markdown and tables for the notebooks.

Scenario text (titles, notes, sources) is untrusted: :func:`esc` makes it inert in Markdown
and HTML, and every helper here that puts scenario text into Markdown uses it.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()+!|~$])")


def usd(x: float, digits: int | None = None) -> str:
    """Money in words a reader scans: billions, millions, whole dollars, or dollars and cents.

    >>> usd(45e9), usd(6169354838.7), usd(4166666.67), usd(5703.86), usd(7.7779), usd(-2.5e9), usd(9.2e8)
    ('$45.0B', '$6.17B', '$4.17M', '$5,704', '$7.78', '-$2.50B', '$920M')
    """
    sign = "-" if x < 0 else ""
    a = abs(x)
    if 1e3 <= a < 1e6 and digits is None:
        return f"{sign}${a:,.0f}"
    for scale, suffix in ((1e9, "B"), (1e6, "M")):
        if a >= scale:
            v = a / scale
            d = digits if digits is not None else (0 if v >= 100 and v == round(v) else 1 if v >= 10 and v == round(v, 1) else 2)
            return f"{sign}${v:,.{d}f}{suffix}"
    return f"{sign}${a:,.{2 if digits is None else digits}f}"


def pct(x: float | None, digits: int = 1) -> str:
    """A fraction as a percentage; ``None`` or NaN (a share of nothing) as ``n/a``.

    >>> pct(0.4456), pct(0.05, 0), pct(None)
    ('44.6%', '5%', 'n/a')
    """
    if x is None or x != x:
        return "n/a"
    return f"{x * 100:.{digits}f}%"


def shares(*fractions: float, digits: int = 0) -> tuple[str, ...]:
    """Shares of one whole (fractions that add up to 1: the paths on which the buyer, the seller or
    neither ends a contract) as percentages that add up to 100% as shown. Each is rounded down
    to ``digits`` decimals and the units left are given to the largest remainders (Hamilton's
    largest-remainder method), so no share moves by more than one unit of its last digit. Shares
    that do not add up to 1 (one in 10^9) are rounded each on its own, as :func:`pct` does.

    >>> shares(0.4849, 0.5105, 0.0046)  # each rounded on its own: 48%, 51%, 0% (99% in all)
    ('49%', '51%', '0%')
    >>> shares(0.25, 0.25, 0.5), shares(1 / 3, 1 / 3, 1 / 3, digits=1)
    (('25%', '25%', '50%'), ('33.4%', '33.3%', '33.3%'))
    >>> shares(0.2, 0.3)
    ('20%', '30%')
    """
    if not fractions or any(f is None or f != f for f in fractions) or abs(math.fsum(fractions) - 1.0) > 1e-9:
        return tuple(pct(f, digits) for f in fractions)
    unit = 10 ** (digits + 2)  # units of the last digit shown in a whole
    exact = [f * unit for f in fractions]
    floors = [math.floor(x + 1e-9) for x in exact]
    left = unit - sum(floors)
    # the largest remainders first; among equal remainders, the earlier share
    for i in sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))[:max(left, 0)]:
        floors[i] += 1
    return tuple(f"{n / 10 ** digits:.{digits}f}%" for n in floors)


def notice_shares(buyer: float, seller: float) -> tuple[str, str, str]:
    """The shares of paths on which the buyer, the seller and neither side ends the contract (the
    rest), as :func:`shares` writes them: whole percentages that add up to 100%, the same in
    every sentence, title and table that states them.

    >>> notice_shares(0.4849, 0.5105)
    ('49%', '51%', '0%')
    """
    return shares(buyer, seller, 1.0 - buyer - seller)


def day(d: dt.date | str) -> str:
    """A date written out unambiguously.

    >>> day(dt.date(2026, 10, 30))
    '30 Oct 2026'
    """
    d = dt.date.fromisoformat(d) if isinstance(d, str) else d
    return f"{d.day} {d:%b %Y}"


BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""Unicode direction controls: in a title they would reorder the computed figures after them."""


def plain(text: Any) -> str:
    """Scenario text without Unicode direction controls (U+202E would reverse what follows).

    >>> plain("Deal\u202e 45.0B")
    'Deal 45.0B'
    """
    return BIDI_CONTROLS.sub("", str(text))


def esc(text: Any) -> str:
    """Make scenario text inert in Markdown and HTML: ``<``, ``>`` and ``&`` become entities,
    Markdown's special characters are backslash-escaped, line breaks become spaces (so the
    text cannot start a heading or a list) and direction controls are dropped (:func:`plain`).

    >>> print(esc("<script>alert(1)</script> *x* CoreWeave's"))
    &lt;script&gt;alert\\(1\\)&lt;/script&gt; \\*x\\* CoreWeave's
    """
    s = html.escape(plain(str.__str__(text) if isinstance(text, str) else text), quote=False)
    s = _MD_SPECIAL.sub(r"\\\1", s)
    return " ".join(s.split())


class UserText(str):
    """Text that came from a scenario, a data file or a ledger, kept plain for data (a chart's
    legend, ``str()``, a table cell of a data frame) and escaped whenever it is formatted into a
    report's words: ``f"**{label}**"`` and ``format(label)`` give :func:`esc` of it, so a label
    built here cannot reach Markdown raw even where the caller forgets :func:`esc`.
    :func:`esc` of it escapes it once (never twice).

    >>> label = UserText("G[click](javascript:alert(1)) <img src=x>")
    >>> print(f"- **{label}**")
    - **G\\[click\\]\\(javascript:alert\\(1\\)\\) &lt;img src=x&gt;**
    >>> str(label) == "G[click](javascript:alert(1)) <img src=x>", esc(label) == f"{label}"
    (True, True)
    """

    __slots__ = ()

    def __format__(self, spec: str) -> str:
        return format(esc(str.__str__(self)), spec)


def link(url: str, text: str | None = None) -> str:
    """A Markdown link whose URL cannot break out of the link syntax; a URL that is not
    ``http(s)://`` (``javascript:``, ``data:``) is never a link, only escaped text.

    >>> link("https://example.com/a b(c)")
    '[example.com](https://example.com/a%20b%28c%29)'
    >>> print(link("javascript:alert(1)"))
    javascript:alert\\(1\\)
    """
    if not re.match(r"(?i)^https?://", str(url).strip()):
        return esc(text if text is not None else url)
    safe = quote(url, safe=":/?#@!$&'*+,;=%~-._")
    safe = safe.replace("'", "%27")
    label = text if text is not None else urlsplit(url).netloc
    return f"[{esc(label)}]({html.escape(safe, quote=True)})"


NUMBER_CELL = re.compile(r"^(?:\*\*)?[-+]?(?:\$|USD )?[\d,]*\.?\d+(?:[BMK]|%| ?MW| ?x|x)?(?:\*\*)?(?: \(.*\))?$")
"""A table cell that states a number ($1.25B, 300 MW, 50%, 1,035, 5.9x), possibly bold or with a note."""


def table(rows: Iterable[Sequence[str]], header: Sequence[str]) -> str:
    """A Markdown table from cells that are already Markdown (escape scenario text first). A
    column whose cells all state numbers is right-aligned (Markdown's ``---:``).

    >>> print(table([["a", "$1.25B"], ["b", "50%"]], ["name", "value"]))
    | name | value |
    |---|---:|
    | a | $1.25B |
    | b | 50% |
    """
    rows = [list(r) for r in rows]
    numeric = [bool(rows) and all(NUMBER_CELL.match(r[i].strip()) or r[i].strip() in ("", "n/a", "-") for r in rows)
               and any(NUMBER_CELL.match(r[i].strip()) for r in rows) for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "".join("---:|" if n else "---|" for n in numeric)]
    lines += ["| " + " | ".join(c.replace("\n", " ") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def source_ref(source: Any) -> str:
    """A source as a short Markdown reference: linked site, date, and whether it was dated.

    >>> from neocloud.inputs.scenario import Source
    >>> source_ref(Source(url="https://aimultiple.com/gpu-index", date=dt.date(2026, 6, 30), dated="gathered"))
    '[aimultiple.com](https://aimultiple.com/gpu-index), undated (gathered by 30 Jun 2026)'
    """
    when = day(source.date) if source.dated == "published" else f"undated (gathered by {day(source.date)})"
    return f"{link(source.url)}, {when}{as_reported_by(source)}"


def as_reported_by(source: Any, secondary: Any = None) -> str:
    """``", as reported by <link>"`` when a source cites the primary text (a filing, a company's
    release) and keeps the page where the figure was read as ``as_reported_by``
    (:class:`neocloud.inputs.sourced.Source`); ``secondary``, that page where a record keeps it
    beside its source (a reported figure's ``as_reported_by``); ``""`` when there is none. The
    link is made like every link of user text (:func:`link`: escaped, ``http(s)`` only).

    >>> from neocloud.inputs.scenario import Source
    >>> press = Source(url="https://www.cnbc.com/a", date=dt.date(2026, 8, 4))
    >>> as_reported_by(Source(url="https://www.sec.gov/x", date=dt.date(2026, 8, 4), as_reported_by=press))
    ', as reported by [www.cnbc.com](https://www.cnbc.com/a)'
    >>> as_reported_by(press)
    ''
    """
    page = secondary if secondary is not None else getattr(source, "as_reported_by", None)
    url = getattr(page, "url", None)
    return f", as reported by {link(url)}" if isinstance(url, str) and url.strip() else ""


def cite(*items: Any) -> list[str]:
    """Plain-text source lines for a chart caption, from inputs, sources or ready strings: the
    source's host and date in the short form a caption holds on a phone (the page a figure was read
    on, ``as_reported_by``, is on the sources page and in the tables).

    >>> from neocloud import load_scenario
    >>> s = load_scenario("params/base.yaml")
    >>> cite(s.terms.monthly_fee_usd, s.terms.ramp_discount, "neocloud model")
    ['www.sec.gov (20 May 2026)', 'assumption: see the sources page', 'neocloud model']
    """
    out: list[str] = []
    for item in items:
        if isinstance(item, str):
            text = item
        else:
            source = getattr(item, "source", item)
            if source is None:
                text = "assumption: see the sources page"
            else:
                host = urlsplit(source.url).netloc
                text = f"{host} ({day(source.date)})" if source.dated == "published" else f"{host} (undated)"
        if text not in out:
            out.append(text)
    return out


def between(low: str, high: str) -> str:
    """Two formatted ends of a range as words: one figure when they read the same.

    >>> between("$6.17B", "$6.17B"), between("99%", "100%")
    ('$6.17B', '99% to 100%')
    """
    return low if low == high else f"{low} to {high}"


def input_value(key: str, value: Any) -> str:
    """An input's value as a person reads it, by the unit in its name: money in USD, megawatts,
    fractions as percentages, dates written out, counts with thousands separators.

    >>> input_value("terms.monthly_fee_usd", 1.25e9), input_value("terms.capacity_mw", 300.0)
    ('$1.25B', '300 MW')
    >>> input_value("terms.ramp_discount", 0.5), input_value("gpu_bases.reported", 220000)
    ('50%', '220,000')
    >>> input_value("terms.start", dt.date(2026, 5, 1)), input_value("seller.owner_cost_usd_per_mw_year", 8.5e6)
    ('1 May 2026', '$8.50M')
    """
    leaf = key.rsplit(".", 1)[-1]
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, dt.date):
        return day(value)
    if isinstance(value, (int, float)):
        if "usd" in leaf or key.startswith(("seller.segment_revenue", "market_prices.")):
            return usd(float(value))
        if leaf.endswith("_mw"):
            return f"{value:,.0f} MW" if float(value).is_integer() else f"{value:,.1f} MW"
        if any(w in leaf for w in ("discount", "growth", "probability", "concentration", "share")):
            return pct(float(value), 0 if round(value * 100, 6).is_integer() else 2)
        if isinstance(value, int) or float(value).is_integer():
            return f"{value:,.0f}"
        return f"{value:,}"
    return str(value)


INPUT_LABELS: dict[str, str] = {
    "as_of": "Reporting date",
    "terms.monthly_fee_usd": "Monthly fee",
    "terms.start": "First day of service",
    "terms.end": "Last day of service",
    "terms.ramp_months": "Ramp-up months",
    "terms.ramp_discount": "Ramp-up discount on the fee",
    "terms.take_or_pay": "Take-or-pay: no termination for convenience",
    "terms.delivery_steps.*.share": "Share of the capacity delivered from a date",
    "terms.notice_days": "Notice period (days)",
    "terms.lockup_months": "Months before notice is allowed (lock-up)",
    "terms.capacity_mw": "Power contracted",
    "terms.earliest_notice_date": "Earliest notice date",
    "key_dates.signed": "Date signed",
    "key_dates.announced": "Date announced",
    "key_dates.ipo": "IPO date",
    "termination.monthly_notice_probability": "Monthly chance of notice",
    "seller.baseline_revenue_usd_per_year": "Seller's revenue without the book (a year)",
    "seller.baseline_growth_per_year": "Growth of that revenue (a year)",
    "seller.owner_cost_usd_per_mw_year": "Owner's cost per MW-year",
    "seller.all_in_capex_usd_per_mw": "All-in capital cost per MW, chips included",
    "seller.precedent_concentration": "Precedent: one customer's share of revenue",
    "seller.segment_revenue.*": "AI segment revenue: {label}",
    "gpu_bases.*": "{label}",
    "market_prices.*": "Market price: {label}",
    "other_deals.*.signed": "Date signed",
    "other_deals.*.gpus": "{label}",
    "other_deals.*.gpus_h100e": "H100-equivalent GPUs",
    "other_deals.*.delivery.deadline": "Delivery deadline",
    "other_deals.*.delivery.grace_months": "Months of grace after the delivery deadline",
    "market.price_usd_per_h100e_hour": "Market price per H100-equivalent hour at the reporting date",
    "market.drift_per_year": "Drift of the market price (a year)",
    "market.volatility_per_year": "Volatility of the market price (a year)",
    "market.buyer_switching_cost_months_of_fee": "Buyer's cost of switching (months of fee)",
    "market.seller_switching_cost_months_of_fee": "Seller's cost of switching (months of fee)",
    "market.discount_rate_per_year": "Discount rate (a year)",
}
"""Each input's label in words, by its key in the scenario file with ``*`` for a list index or
a name of the file's own choosing (``{label}``: the item's own label). A deal of ``other_deals``
takes the labels of ``terms.*`` for its terms."""


def input_pattern(key: str) -> str:
    """The :data:`INPUT_LABELS` key of an input's dotted key: list indices and names chosen in
    the file become ``*``.

    >>> input_pattern("other_deals.0.terms.notice_days"), input_pattern("gpu_bases.reported")
    ('other_deals.*.terms.notice_days', 'gpu_bases.*')
    """
    parts = key.split(".")
    out = []
    for i, part in enumerate(parts):
        if part.isdigit() or (i == 1 and parts[0] in ("gpu_bases", "market_prices")):
            out.append("*")
        else:
            out.append(part)
    return ".".join(out)


def input_label(key: str, item: Any = None) -> str:
    """An input's label in words (plain text; escape it for Markdown), from its dotted key in the
    scenario file and, for items named in the file (a GPU count, a market price, a segment's
    revenue), the item's own ``label``. A key no label is known for reads as its last part in
    words.

    >>> input_label("terms.monthly_fee_usd"), input_label("other_deals.1.terms.notice_days")
    ('Monthly fee', 'Notice period (days)')
    >>> from neocloud import load_scenario
    >>> s = load_scenario("params/base.yaml")
    >>> input_label("gpu_bases.reported", s.gpu_bases["reported"])
    'Reported GPU count (over 220,000)'
    >>> input_label("extra.some_new_input_usd")
    'Some new input usd'
    """
    pattern = input_pattern(key)
    if pattern.startswith("other_deals.*.terms."):
        pattern = pattern.removeprefix("other_deals.*.")
    text = INPUT_LABELS.get(pattern)
    if text is None:
        return key.rsplit(".", 1)[-1].replace("_", " ").capitalize()
    return text.replace("{label}", str(getattr(item, "label", "") or key.rsplit(".", 1)[-1]))


def sources_table(scenario: Any, prefix: str = "") -> str:
    """Every input of a scenario (or those whose key starts with ``prefix``) with its value and
    its source or assumption, as Markdown. Each input is labelled in words
    (:func:`input_label`), its key in the scenario file in small print below (and as the label's
    tooltip).

    >>> from neocloud import load_scenario
    >>> print(sources_table(load_scenario("params/base.yaml")).splitlines()[3][:114])
    | <span title="terms.monthly_fee_usd">Monthly fee</span><br><small class="nc-key">terms.monthly\\_fee\\_usd</small>
    """
    names = {f"other_deals.{i}.": f"{o.deal_name}: " for i, o in enumerate(getattr(scenario, "other_deals", []))}
    rows = []
    for key, value, item in scenario.inputs():
        if not key.startswith(prefix):
            continue
        label = input_label(key, item)
        for dotted, name in names.items():
            if key.startswith(dotted):
                label = name + label
        if item.source is not None:
            basis = source_ref(item.source)
        else:
            basis = "**assumption**: " + esc(item.note or "")
        if item.source is not None and item.note:
            basis += " " + esc(item.note)
        for other in item.other_readings:
            basis += f"<br>other reading: {esc(input_value(key, other.value))} ({source_ref(other.source)})"
            if other.note:
                basis += " " + esc(other.note)
        shown = f'<span title="{html.escape(key, quote=True)}">{esc(label)}</span><br><small class="nc-key">{esc(key)}</small>'
        rows.append([shown, esc(input_value(key, value)), basis])
    return table(rows, ["input", "value", "source or assumption"])


def prospectus_questions(figures: dict[str, Any], concentration: float, precedent: float) -> list[str]:
    """Questions a prospectus reader should ask, each carrying the figure that prompts it.

    ``figures`` is :func:`neocloud.analysis.summary.headline_figures`; ``concentration`` the deal's
    highest quarterly share of seller revenue; ``precedent`` a comparable share (e.g. 62%).

    >>> from neocloud import headline_figures, load_scenario
    >>> qs = prospectus_questions(headline_figures(load_scenario("params/base.yaml")), 0.45, 0.62)
    >>> len(qs) >= 4, qs[0][:40]
    (True, 'Of the $45.0B headline, only $4.92B is e')
    """
    f = figures
    t = f["terms"]
    take_or_pay = bool(t.get("take_or_pay"))  # no notice right: no question may assume one
    qs = [
        f"Of the {usd(f['total_contract_value_usd'])} headline, only {usd(f['enforceable_rpo_usd'])} is enforceable "
        f"at {day(f['as_of'])} under a {t['notice_days']}-day termination right. Which figure does the filing call "
        f"backlog or remaining performance obligations, and does it disclose the other?",
        f"The buyer can leave with notice from {day(f['earliest_notice_date'])}, which ends service on "
        f"{day(f['earliest_termination_date'])} and caps revenue at {usd(f['committed_floor_usd'])}. "
        f"Is there any termination fee or minimum commitment not in the reported terms?",
    ] if not take_or_pay else [
        f"The contract is take-or-pay (no termination for convenience): all {usd(f['enforceable_rpo_usd'])} of its "
        f"backlog at {day(f['as_of'])} is enforceable, and the seller counts on the whole "
        f"{usd(f['total_contract_value_usd'])}. Does the filing call it take-or-pay, and which rights (for cause, late "
        f"delivery, the buyer's credit) could still end it early?",
    ]
    qs += [
        f"The deal could be {pct(concentration)} of the seller's quarterly revenue "
        f"(the comparable prospectus precedent: {pct(precedent, 0)}). How does the filing describe this customer concentration risk?",
        f"The price is {usd(f['usd_per_mw_month'])} per MW-month, or "
        + ", ".join(f"{usd(v)}" for v in f["usd_per_gpu_hour"].values())
        + " per GPU-hour depending on the GPU count. What do the GPU count and the capacity actually cover?",
    ]
    if t["ramp_months"]:
        qs.append(
            f"The first {t['ramp_months']} months are discounted by an undisclosed amount "
            f"(assumed {pct(t['ramp_discount'], 0)} here). What is the actual discount, and how is it recognised?"
        )
    gap = f["total_contract_value_usd"] - f["expected_revenue_usd"]
    if not take_or_pay:
        qs.append(
            f"At {pct(f['monthly_notice_probability'])} a month chance of notice, expected revenue is "
            f"{usd(f['expected_revenue_usd'])}, {usd(gap)} below the headline. What does management assume about renewal?"
        )
    book = f.get("book") or {}
    deals = book.get("deals", [])
    if len(deals) > 1:
        walkable = [d for d in deals if not d["terms"].get("take_or_pay")]
        qs.append(
            f"The book of {len(deals)} contracts shows {usd(book['headline_backlog_usd'])} of headline backlog at "
            f"{day(book['as_of'])}, of which {usd(book['enforceable_rpo_usd'])} is enforceable. "
            + ("Are the customers' termination rights and their notice periods disclosed contract by contract?" if walkable
               else "Is each contract's take-or-pay commitment disclosed contract by contract?")
        )
        if walkable:
            which = ("Every contract of the book lets" if len(walkable) == len(deals)
                     else f"{len(walkable)} of the book's {len(deals)} contracts let")
            qs.append(
                f"{which} either side walk away on notice; if every buyer left at its first opportunity "
                f"the seller would keep {usd(book['committed_floor_usd'])} of {usd(book['total_contract_value_usd'])}. "
                "Is the demand behind these contracts bridge capacity, and what happens to the capacity if it goes?"
            )
    readings = f.get("termination_readings") or []
    if len(readings) > 1:
        low = min(readings, key=lambda r: r["committed_floor_usd"])
        high = max(readings, key=lambda r: r["committed_floor_usd"])
        qs.append(
            f"The termination terms have been reported {len(readings)} ways, giving a committed floor from "
            f"{usd(low['committed_floor_usd'])} (notice from {day(low['earliest_notice_date'])}) to "
            f"{usd(high['committed_floor_usd'])} (from {day(high['earliest_notice_date'])}). What exactly does the contract say?"
        )
    return qs


def dollars(text: str) -> str:
    r"""Escape every unescaped ``$`` so Markdown renderers do not read money as LaTeX maths.

    >>> print(dollars(r"from $1.25B to **\$45B**"))
    from \$1.25B to **\$45B**
    """
    return re.sub(r"(?<!\\)\$", r"\\$", text)


def headline_fit(scenario: Any, fits: "tuple[float, float] | None") -> str:
    """The verdict of the headline reconciliation in one Markdown sentence (``fits`` is
    :func:`neocloud.model.economics.consistent_discounts`).

    >>> from neocloud import consistent_discounts, load_scenario
    >>> s = load_scenario("params/base.yaml")
    >>> headline_fit(s, consistent_discounts(s))
    'With service from 1 May 2026, ramp discounts from **5% to 95%** give a total that fits every reported total.'
    """
    if not any(h.kind == "total" for h in scenario.headlines):
        return "The scenario lists no reported total to reconcile."
    start = day(scenario.deal.start)
    if fits is None:
        return f"No ramp discount makes a start on {start} fit every reported total."
    return (f"With service from {start}, ramp discounts from **{pct(fits[0], 0)} to {pct(fits[1], 0)}** "
            "give a total that fits every reported total.")


def assumed(item: Any) -> str:
    """A marker for a figure that rests on an assumption, to put right after it in a sentence.

    >>> from neocloud import load_scenario
    >>> s = load_scenario("params/base.yaml")
    >>> assumed(s.terms.ramp_discount), assumed(s.terms.monthly_fee_usd)
    (' (*an assumption: not disclosed*)', '')
    """
    return " (*an assumption: not disclosed*)" if getattr(item, "assumption", False) else ""


def warnings_markdown(scenario: Any) -> str:
    """The scenario's suspicious but valid inputs as a Markdown note for the top of a report
    (empty when there are none).

    >>> from neocloud import load_scenario
    >>> warnings_markdown(load_scenario("params/base.yaml"))
    ''
    """
    from neocloud.analysis.checks import scenario_warnings

    found = scenario_warnings(scenario)
    if not found:
        return ""
    return "**Check these inputs** (valid, but unusual):\n\n" + "\n".join(f"- {esc(w)}" for w in found)


SOURCES_PAGE_LINK = re.compile(r"\[([^\]]+)\]\(sources/index\.html\)")
"""A link to the scenario's sources page beside the report (``sources/index.html``)."""

LINKED_MARKDOWN_MIME = "text/vnd.neocloud.linked-markdown"
"""Markdown that links the sources page beside the report: only ``--to neocloud-report``, which
writes that page, shows it (:mod:`neocloud.pipeline.export`); every other view shows the
``text/markdown`` form, which names the page without linking it (no dead link)."""


def unlinked_sources(text: str) -> str:
    """``text`` with each link to the sources page (``sources/index.html``, which only ``neocloud
    render`` and ``jupyter nbconvert --to neocloud-report`` write) replaced by words that say
    where that page is made, so that a notebook in JupyterLab or exported ``--to html`` shows no
    dead link.

    >>> print(unlinked_sources("on one page: [sources and assumptions](sources/index.html)."))
    on one page: sources and assumptions (the page `jupyter nbconvert --to neocloud-report` writes beside the report, as `sources/index.html`).
    """
    return SOURCES_PAGE_LINK.sub(r"\1 (the page `jupyter nbconvert --to neocloud-report` writes beside the report, "
                                 r"as `sources/index.html`)", text)


class _SourcesLinked:
    """Markdown that links the sources page: ``text/markdown`` names the page without linking it
    (:func:`unlinked_sources`), :data:`LINKED_MARKDOWN_MIME` keeps the link."""

    def __init__(self, text: str) -> None:
        self.text = text

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/markdown": unlinked_sources(self.text), LINKED_MARKDOWN_MIME: self.text}

    def __repr__(self) -> str:
        return "<Markdown that links the sources page>"


def md(text: str) -> Any:
    """Display Markdown in a notebook (an object Jupyter renders as ``text/markdown``); dollar
    signs are money, never maths. A link to the sources page beside the report
    (``sources/index.html``) is kept for ``--to neocloud-report`` alone (:data:`LINKED_MARKDOWN_MIME`).

    >>> sorted(md("See [sources](sources/index.html).")._repr_mimebundle_())
    ['text/markdown', 'text/vnd.neocloud.linked-markdown']
    """
    from IPython.display import Markdown

    text = dollars(text)
    if SOURCES_PAGE_LINK.search(text):
        return _SourcesLinked(text)
    return Markdown(text)
