"""Primary sources first (issue 21, item 7): a fact that has a primary source (a filing on SEC EDGAR,
the company's own announcement or release) cites it as ``source``; the page where it was read is
kept as ``as_reported_by``. Checked over every source of ``params/*.yaml``, the ledger
(``contracts.yaml``), the reported figures (``reported.yaml``) and the ``source_url`` of the data
tables (``neocloud/data/*.csv``)."""

from __future__ import annotations

import csv
import re
from urllib.parse import urlsplit

import pytest
import yaml

from conftest import ROOT

DATA = ROOT / "neocloud" / "data"
PARAMS = ROOT / "params"

SPACEX_EDGAR = "https://www.sec.gov/Archives/edgar/data/1181412/"
"""SpaceX's filings on EDGAR (CIK 1181412): the S-1 and its amendments, the free-writing
prospectuses, the 10-Q and the 8-K exhibits."""
GOOGLE_FWP = SPACEX_EDGAR + "000162828026041150/spacexagreementfwp.htm"

AGGREGATOR_HOSTS = frozenset({
    "prismix.dev", "superada.ai", "www.superada.ai", "buzzingtechnews.com", "xix.ai", "relvehq.com",
    "itmagazine.cc", "global-s1.rainsnews.com", "foxvector.com", "news.warptechlab.com",
    "quantabundancia.com", "top10.dev", "aissential.tech", "www.agenticbrew.ai", "agenticdaily.ai",
    "iexexchanger.com", "www.gktoday.in", "www.krasa.ai", "kaelresearch.com", "tradevae.com",
    "www.tradevae.com", "crypto-observer.com", "news.anyfans.com", "azzet.com", "thedailyscout.com",
    "hubkub.com", "news.mogaznews.com", "www.aitechsuite.com", "nai500.com", "www.cdomagazine.tech",
    "businessleadersreview.com", "theaitrack.com", "www.ghanamma.com", "newtechnology.blog",
    "windowsnews.ai", "particle.news", "wyomingstarnews.org", "www.mexc.co", "marketchameleon.com",
    "up2info.com", "daily-news-55s.pages.dev", "fox28spokane.marketminute.com", "www.epicos.com",
    "carboot.cafe", "www.finanznachrichten.de", "www.gongsmedia.com", "www.stocktitan.net",
})
"""Aggregators, mirrors and content farms that earlier versions cited for facts with a primary
source. A source on one of these hosts must be listed in :data:`NO_PRIMARY_FOUND`."""

NO_PRIMARY_FOUND = {
    "https://global-s1.rainsnews.com/en/us/tech/spacex-signs-6-3-billion-computing-deal-with-open-source-ai-startup-reflection-a-14913":
        "Reflection AI - SpaceX (2026-06-22): reported by TechCrunch, CNBC and Reuters; no filing or release was found",
    "http://tradevae.com/news/stock-markets/reflection-ai-secures-large-scale-compute-agreement-with-spacex/":
        "Reflection AI - SpaceX start date: as above",
    "https://buzzingtechnews.com/?p=3510":
        "Musk's post on X of 2026-05-28: the post's own URL was not found among the stored pages",
    "https://www.krasa.ai/news/spacex-s1-anthropic-1-25-billion-monthly-colossus-compute-deal":
        'the press total "roughly $45B": a headline of the press, not a figure of the filing',
    "https://www.stocktitan.net/sec-filings/NBIS/6-k-nebius-group-n-v-current-report-foreign-issuer-ed78201470e8.html":
        "Nebius's 6-K of 2026-02-12: its EDGAR address was not found (a mirror of the filing)",
    "https://up2info.com/corporate-news/nebius-plans-to-deploy-first-phase-of-meta-deal-in-december":
        "Nebius - Microsoft's full run rate from 2027: management's words as reported (Q3 2025 results); not in the 6-K as read",
    "https://windowsnews.ai/article/microsofts-174b-nebius-bet-to-relieve-azures-east-us-gpu-crunch.380350":
        "Vineland's 300 MW: no Nebius release giving it was found",
    "https://www.mexc.co/en-IN/news/openai-and-oracle-sign-300-billion-computing-power-agreement/92441":
        "Oracle - OpenAI $300B: the Wall Street Journal's, from people familiar; neither company disclosed it",
    "https://daily-news-55s.pages.dev/articles/2026-05-10-anthropic-commits-200-billion-to-google-cloud-over-five-year.html":
        "Google Cloud - Anthropic ~$200B: a second-hand report; no company statement of it",
}

_FILING = re.compile(r"\b(S-1(/A)?|10-Q|10-K|8-K|6-K|424B4|free-writing prospectus)\b")


def _walk(obj, path: tuple[str, ...], out: list) -> None:
    if isinstance(obj, dict):
        if path and path[-1] in ("source", "as_reported_by") and "url" in obj:
            out.append((path, obj))
        for key, value in obj.items():
            _walk(value, path + (str(key),), out)
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            _walk(value, path + (str(i),), out)


def _yaml_sources() -> list[tuple[str, tuple[str, ...], dict]]:
    files = sorted(PARAMS.glob("*.yaml")) + [DATA / "contracts.yaml", DATA / "reported.yaml"]
    out = []
    for f in files:
        found: list = []
        _walk(yaml.safe_load(f.read_text(encoding="utf-8")), (), found)
        out += [(f.name, path, src) for path, src in found]
    return out


def _csv_sources() -> list[tuple[str, dict[str, str]]]:
    out = []
    for f in sorted(DATA.glob("*.csv")):
        with f.open(encoding="utf-8", newline="") as fh:
            out += [(f.name, row) for row in csv.DictReader(fh) if row.get("source_url")]
    return out


def _restated_in_the_ledger(name: str, path: tuple[str, ...]) -> bool:
    """``params/base.yaml``'s ``terms`` and ``other_deals`` restate the ledger's SpaceX records
    (``contracts.yaml``, checked here), which replace them."""
    return name == "base.yaml" and path[0] in ("terms", "other_deals")


def test_no_aggregator_is_cited_as_the_source_where_a_primary_was_found():
    bad = [f"{name}: {'.'.join(path)}: {src['url']}" for name, path, src in _yaml_sources()
           if path[-1] == "source" and urlsplit(src["url"]).hostname in AGGREGATOR_HOSTS
           and src["url"] not in NO_PRIMARY_FOUND and not _restated_in_the_ledger(name, path)]
    bad += [f"{name}: {row['source_url']}" for name, row in _csv_sources()
            if urlsplit(row["source_url"]).hostname in AGGREGATOR_HOSTS and row["source_url"] not in NO_PRIMARY_FOUND]
    assert bad == [], "cite the primary as source and this page as as_reported_by:\n" + "\n".join(bad)


def test_a_source_named_as_a_filing_is_on_edgar():
    """A ``source`` whose title or quote names an SEC form is the filing itself (on sec.gov); a page
    that quotes the filing belongs in ``as_reported_by``."""
    bad = []
    for name, path, src in _yaml_sources():
        words = f"{src.get('title') or ''} {src.get('quote') or ''}"
        if path[-1] == "source" and _FILING.search(words) and urlsplit(src["url"]).hostname != "www.sec.gov" \
                and src["url"] not in NO_PRIMARY_FOUND and not _restated_in_the_ledger(name, path):
            bad.append(f"{name}: {'.'.join(path)}: {src['url']} ({words.strip()[:80]})")
    assert bad == [], "\n".join(bad)


def test_as_reported_by_sits_beside_a_different_primary():
    sources = _yaml_sources()
    nested = [(n, p, s) for n, p, s in sources if "as_reported_by" in s]
    assert len(nested) >= 40  # the rewrite of 2026-11-30: one per fact whose primary was found
    for name, path, src in nested:
        assert src["as_reported_by"]["url"] != src["url"], f"{name}: {'.'.join(path)}"
        assert urlsplit(src["url"]).hostname not in AGGREGATOR_HOSTS, f"{name}: {'.'.join(path)}"


def _ledger_record(record_id: str) -> dict:
    records = yaml.safe_load((DATA / "contracts.yaml").read_text(encoding="utf-8"))["contracts"]
    return next(r for r in records if r["id"] == record_id)


def _at(obj: dict, dotted: str):
    for key in dotted.split("."):
        obj = obj[int(key)] if isinstance(obj, list) else obj[key]
    return obj


# Facts that shared/facts.md (or a filing it names) places in a SpaceX filing on EDGAR.
FILED_FACTS = [
    ("spacex-anthropic-colossus-1", ["signed", "end", "monthly_fee_usd", "ramp_months",
                                     "termination.notice_days", "termination.lockup_months"], SPACEX_EDGAR),
    ("spacex-google", ["signed", "end", "monthly_fee_usd", "gpus", "termination.notice_days",
                       "termination.earliest_notice_date", "delivery_failure.deadline"], GOOGLE_FWP),
]
BASE_FILED = ["key_dates.ipo", "gpu_bases.colossus_1_and_2", "seller.baseline_revenue_usd_per_year",
              "seller.baseline_growth_per_year"]
"""Filed facts base.yaml states itself; its signing date and the AI segment's revenue come from the
ledger and reported.yaml (the book it names), checked on the scenario as read."""


@pytest.mark.parametrize("record_id, fields, filing", FILED_FACTS)
def test_the_seller_s_filed_terms_cite_its_filings(record_id, fields, filing):
    record = _ledger_record(record_id)
    for field in fields:
        assert _at(record, field)["source"]["url"].startswith(filing), f"{record_id}.{field}"


def test_the_base_case_cites_the_filings_for_filed_facts():
    base = yaml.safe_load((PARAMS / "base.yaml").read_text(encoding="utf-8"))
    for key in BASE_FILED:
        assert _at(base, key)["source"]["url"].startswith(SPACEX_EDGAR), key
    from neocloud import load_scenario

    read = load_scenario(PARAMS / "base.yaml")
    assert read.key_dates.signed.source.url.startswith(SPACEX_EDGAR)
    assert read.seller.segment_revenue and all(r.source.url.startswith(SPACEX_EDGAR) for r in read.seller.segment_revenue)
    readings = {r["id"]: r["source"]["url"] for r in base["termination_readings"]}
    assert readings["original_s1"].startswith(SPACEX_EDGAR) and readings["amended_s1"].startswith(SPACEX_EDGAR)


def test_spacex_s_reported_figures_cite_edgar():
    reported = yaml.safe_load((DATA / "reported.yaml").read_text(encoding="utf-8"))["reported"]
    spacex = [r for r in reported if r["filer"] == "SpaceX"]
    assert spacex
    for r in spacex:
        assert r["source"]["url"].startswith(SPACEX_EDGAR), r["id"]


def test_google_s_row_in_the_tables_cites_the_free_writing_prospectus():
    rows = {(name, row.get("deal") or row.get("party") or row.get("note")): row["source_url"] for name, row in _csv_sources()}
    assert rows[("comparables.csv", "Google - SpaceX")] == GOOGLE_FWP
    assert rows[("capacity.csv", "Google")] == GOOGLE_FWP


def test_the_aggregator_check_can_fail():
    """The check above is not vacuous: an aggregator page put back as the source is named."""
    src = {"url": "https://prismix.dev/news/1ef16b68dd61", "date": "2026-05-20"}
    found: list = []
    _walk({"terms": {"monthly_fee_usd": {"source": src}}, "key_dates": {"signed": {"source": src}}}, (), found)
    flagged = [p for p, s in found if urlsplit(s["url"]).hostname in AGGREGATOR_HOSTS
               and s["url"] not in NO_PRIMARY_FOUND and not _restated_in_the_ledger("base.yaml", p)]
    assert flagged == [("key_dates", "signed", "source")]
