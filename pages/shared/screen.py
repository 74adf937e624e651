"""The presentation screen's parts: kiosk style, cached data, HTML panels.

Everything here is an aggregate. Text from data (street and category names) is
escaped; counts below the policy minimum show as "<N", and the figures derived from
them are withheld by the pure layer (``gridmap.screen``, ``gridmap.privacy``).
"""

from __future__ import annotations

import html
from datetime import date, timedelta

from gridmap.i18n import label, t
from gridmap.style import TIER_COLORS
from pages.shared import common as ui

VIEWS = ("map", "coverage", "hot_list", "funnel")

KIOSK_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
[data-testid="stStatusWidget"], footer { display: none !important; }
.stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] {
  background: #0b1220 !important; color: #e8eef8; }
[data-testid="stMainBlockContainer"] { padding: 1.2vh 1.6vw 0 1.6vw !important;
  max-width: 100% !important; }
[data-testid="stVerticalBlock"] { gap: 0.8vh !important; }
.gm-title { display: flex; justify-content: space-between; align-items: baseline;
  font-size: 2.1vw; font-weight: 700; color: #ffffff; line-height: 1.2; }
.gm-title small { font-size: 1.0vw; font-weight: 400; color: #9fb0c8; }
.gm-row { display: flex; gap: 0.8vw; }
.gm-fig { flex: 1; background: #15203a; border-radius: 0.5vw; padding: 0.8vh 0.9vw;
  border-left: 0.45vw solid #4a6fa5; }
.gm-fig .k { font-size: 0.95vw; color: #b8c6dc; }
.gm-fig .v { font-size: 2.6vw; font-weight: 700; color: #ffffff; line-height: 1.15; }
.gm-fig .d { font-size: 0.9vw; color: #9fb0c8; }
.gm-panel-title { font-size: 1.4vw; font-weight: 600; color: #ffffff; margin-top: 0.4vh; }
.gm-bars { display: grid; grid-template-columns: 14vw 1fr 6vw; gap: 0.5vh 0.8vw;
  align-items: center; font-size: 1.05vw; color: #e8eef8; }
.gm-bar { height: 2.2vh; background: #4a6fa5; border-radius: 0.3vw; }
.gm-table { width: 100%; border-collapse: collapse; font-size: 1.1vw; color: #e8eef8; }
.gm-table td, .gm-table th { padding: 0.55vh 0.8vw; border-bottom: 1px solid #2a3a5c;
  text-align: left; }
.gm-table th { color: #9fb0c8; font-weight: 400; }
.gm-fig .d { font-size: 1.25vw; font-weight: 600; line-height: 1.3; white-space: nowrap; }
.gm-fig .d.good { color: #4ade80; } .gm-fig .d.bad { color: #fb7185; }
.gm-fig .d.neutral { color: #cbd5e1; } .gm-fig .d small { font-size: 0.9vw;
  font-weight: 400; color: #9fb0c8; margin-right: 0.4vw; }
/* A panel fills the screen below the figures: rows share its height. */
.gm-fill { height: 59vh; display: flex; flex-direction: column; }
.gm-fill .gm-bars { flex: 1; grid-auto-rows: 1fr; grid-template-columns: 16vw 1fr 10vw;
  font-size: 1.35vw; }
.gm-fill .gm-bars > div { display: flex; align-items: center; height: 100%; }
.gm-fill .gm-bars > div > .gm-bar { height: 45%; max-height: 4vh; }
.gm-fill .gm-table { flex: 1; height: 100%; font-size: 1.45vw; }
.gm-side .gm-fill { height: 52vh; }
.gm-side .gm-bars { grid-template-columns: 9vw 1fr 5vw; }
.gm-side-title { font-size: 1.15vw; color: #b8c6dc; margin-bottom: 0.6vh; }
[data-testid="stImage"] img { max-height: 59vh; object-fit: contain; }
</style>
"""


def _trend_html(trend, lang: str, against: str = "week") -> str:
    """'较上周 ▲ 3' / '▼ 1.2 个百分点' / '较上月同期 ▲ 40', green when good news, red when
    bad; blank when withheld."""
    if trend is None:
        return '<div class="d neutral">&nbsp;</div>'
    if trend.direction == 0:
        return f'<div class="d neutral">{html.escape(t("screen.same", lang))}</div>'
    amount = trend.text.lstrip("+-")
    text = ("▲ " if trend.direction > 0 else "▼ ") + (
        t("screen.pp", lang, change=amount) if trend.points else amount)
    return (f'<div class="d {trend.judgement}"><small>{t(f"screen.last_{against}", lang)}</small>'
            f"{html.escape(text)}</div>")


def figures_html(as_of: date, lang: str) -> str:
    """Two rows of large figures, each with its change against last week."""
    minimum = ui.policy().min_count
    cards = []
    for fig in ui.read_model(as_of).screen_figures():
        color = TIER_COLORS.get(fig.key, "#4a6fa5")
        name = label(fig.key, lang) if fig.key in TIER_COLORS else t(f"screen.fig.{fig.key}",
                                                                     lang)
        cards.append(f'<div class="gm-fig" style="border-left-color:{color}">'
                     f'<div class="k">{html.escape(name)}</div>'
                     f'<div class="v">{html.escape(str(fig.shown(minimum)))}</div>'
                     f'{_trend_html(fig.trend(minimum), lang, fig.against)}</div>')
    # Tiers, visits and coverage on top (a rate's change is the longest text), the rest
    # below.
    return (f'<div class="gm-row">{"".join(cards[:6])}</div>'
            f'<div class="gm-row" style="margin-top:0.8vh">{"".join(cards[6:])}</div>')


@ui.data_cache(max_entries=3)
def map_png(as_of: date, lang: str) -> bytes:
    """The city map of hexagons (red and orange households) as an image."""
    import geopandas as gpd

    from gridmap import hexbins, mapview
    from gridmap.render import snapshot
    districts = ui.read("areas").query("level == 'district'")
    base = mapview.MapView(area=None, unit_level="hex", units=gpd.GeoDataFrame(),
                           indicator="red_orange", classes=None,
                           outlines={"district": districts[["geometry"]]},
                           bounds=tuple(districts.total_bounds), as_of=as_of.isoformat())
    counts, polygons, _ = ui.read_model(as_of).hex_data(None, hexbins.resolution_for(None))
    minimum = ui.policy().min_count
    view = mapview.hex_view(base, counts, polygons, "red_orange", min_count=minimum,
                            scheme="natural_breaks")
    return snapshot.render(view, title=None, lang=lang, size=(11, 6.4), dpi=120, dark=True,
                           font_scale=1.5)


def _bars(rows: list[tuple[str, float, str]], color: str = "#4a6fa5") -> str:
    cells = "".join(
        f"<div>{html.escape(name)}</div>"
        f'<div><div class="gm-bar" style="width:{max(min(share, 100), 0):.1f}%;'
        f'background:{color}"></div></div>'
        f"<div>{html.escape(text)}</div>" for name, share, text in rows)
    return f'<div class="gm-fill"><div class="gm-bars">{cells}</div></div>'


def map_side_html(as_of: date, lang: str) -> str:
    """Beside the map: the streets with the most red and orange households."""
    from gridmap.screen import most_red_orange
    table = most_red_orange(ui.read_model(as_of).coverage_table("street"),
                            ui.policy().min_count)
    bars = _bars(list(zip(table["name"], table["share"], table["text"], strict=True)),
                 color=TIER_COLORS["orange"])
    return (f'<div class="gm-side"><div class="gm-side-title">'
            f'{html.escape(t("screen.most_red_orange", lang))}</div>{bars}</div>')


def coverage_html(as_of: date, lang: str) -> str:
    from gridmap.screen import lowest_coverage
    table = lowest_coverage(ui.read_model(as_of).coverage_table("street"), ui.policy().min_count)
    return _bars(list(zip(table["name"], table["coverage_pct"], table["text"], strict=True)))


def hot_list_html(as_of: date, lang: str) -> str:
    from gridmap.casework import hot_list
    from gridmap.screen import shown_hot_list
    table = shown_hot_list(hot_list(ui.read("cases"), ui.read("needs"), week_end=as_of),
                           ui.policy().min_count)
    table = table[table["kind"] == "difficulty"].head(10)
    head = "".join(f"<th>{html.escape(t(f'screen.hot.{c}', lang))}</th>"
                   for c in ("rank", "category", "count", "share", "change"))
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(text)}</td>" for text in (
            r.rank, label(r.category, lang), r.count, r.share, r.change)) + "</tr>"
        for r in table.itertuples(index=False))
    return f'<div class="gm-fill"><table class="gm-table"><tr>{head}</tr>{rows}</table></div>'


def funnel_html(as_of: date, lang: str) -> str:
    from gridmap.casework import funnel
    from gridmap.screen import shown_funnel
    table = shown_funnel(funnel(ui.read("cases"), ui.policy(),
                                start=as_of - timedelta(days=89), end=as_of),
                         ui.policy().min_count)
    return _bars([(label(step, lang), bar, f"{cases} · {pct}") for step, bar, cases, pct
                  in zip(table["step"], table["bar"], table["cases"], table["pct"],
                         strict=True)])
