"""A printable snapshot of a map view (PNG or PDF): the units coloured as on screen,
outlines, title, legend with breaks and unit, scale bar, north arrow and date.

Aggregates only: household points are never printed; suppressed small counts are
hatched, counts of 0 left empty. Chinese text is set in Noto Sans CJK (Debian's
``fonts-noto-cjk``, which ``.ci/run`` installs); without a CJK font it refuses rather
than print empty boxes.
"""

from __future__ import annotations

import io
import math
from functools import cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: files only
import matplotlib.pyplot as plt
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from gridmap.errors import GridmapError
from gridmap.i18n import t
from gridmap.mapview import SUPPRESSED_CLASS, ZERO_CLASS, MapView
from gridmap.render.webmap import view_colors, view_indicator
from gridmap.style import NO_DATA, SUPPRESSED, SUPPRESSED_HATCH

FONT_CANDIDATES = ("NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular.otf",
                   "NotoSansCJK-Regular.otf", "wqy-microhei.ttc", "wqy-zenhei.ttc")
FORMATS = ("png", "pdf")
_NICE_KM = (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200)


@cache
def cjk_font() -> font_manager.FontProperties:
    """The CJK font every label uses."""
    for path in font_manager.findSystemFonts():
        if Path(path).name in FONT_CANDIDATES:
            font_manager.fontManager.addfont(path)
            return font_manager.FontProperties(fname=path)
    raise GridmapError("no CJK font found: install Debian's fonts-noto-cjk")


def _scale_km(width_km: float) -> float:
    """A round length near a fifth of the map's width."""
    return min(_NICE_KM, key=lambda km: abs(km - width_km / 5))


A4_LANDSCAPE = (11.69, 8.27)


def render(view: MapView, *, title: str | None, fmt: str = "png", lang: str = "zh",
           dpi: int = 200, size: tuple[float, float] = A4_LANDSCAPE, dark: bool = False,
           font_scale: float = 1.0) -> bytes:
    """The snapshot as PNG or PDF bytes (A4 landscape unless ``size`` in inches says
    otherwise; ``dark`` for the presentation screen)."""
    if fmt not in FORMATS:
        raise GridmapError(f"a map snapshot is {' or '.join(FORMATS)}, not {fmt!r}")
    fig = draw(view, title=title, lang=lang, size=size, dark=dark, font_scale=font_scale)
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=dpi, facecolor=fig.get_facecolor())
    plt.close(fig)
    return buffer.getvalue()


def draw(view: MapView, *, title: str | None, lang: str = "zh",
         size: tuple[float, float] = A4_LANDSCAPE, dark: bool = False,
         font_scale: float = 1.0) -> Figure:
    """The snapshot as a matplotlib figure (``render`` saves it; close it when done)."""
    font = cjk_font().copy()
    font.set_size(10 * font_scale)
    ink, paper = ("#e8eef8", "#0b1220") if dark else ("#222222", "white")
    colors = view_colors(view)
    fig, ax = plt.subplots(figsize=size, facecolor=paper)
    ax.set_facecolor(paper)
    fig.subplots_adjust(left=0.03, right=0.78, top=0.9 if title else 0.97, bottom=0.07)
    hidden = (view.units["cls"] == SUPPRESSED_CLASS).to_numpy()
    units = view.units[~hidden]
    fill = ["none" if c == ZERO_CLASS else NO_DATA if c < 0 else colors[c]
            for c in units["cls"]]
    units.plot(ax=ax, color=fill, edgecolor="#555555", linewidth=0.3)
    if hidden.any():  # one collection, hatched
        view.units[hidden].plot(ax=ax, facecolor=SUPPRESSED, edgecolor="#333333",
                                hatch=SUPPRESSED_HATCH, linewidth=0.3)
    styles = {"district": (1.6, "-"), "street": (0.9, "--"), "community": (0.4, "-")}
    for level, frame in view.outlines.items():
        width, style = styles.get(level, (0.5, "-"))
        frame.boundary.plot(ax=ax, color=ink, linewidth=width, linestyle=style)
    minx, miny, maxx, maxy = view.bounds
    mid_lat = (miny + maxy) / 2
    ax.set_aspect(1 / math.cos(math.radians(mid_lat)))
    ax.set_axis_off()

    # Scale bar (bottom left) and north arrow (top right), in the map's own units.
    km_per_degree = 111.32 * math.cos(math.radians(mid_lat))
    km = _scale_km((maxx - minx) * km_per_degree)
    length = km / km_per_degree
    x0, y0, h = minx + 0.03 * (maxx - minx), miny - 0.02 * (maxy - miny), 0.008 * (maxy - miny)
    for i in range(2):
        ax.add_patch(Rectangle((x0 + i * length / 2, y0), length / 2, h,
                               facecolor=ink if i == 0 else paper,
                               edgecolor=ink, linewidth=0.6))
    ax.text(x0 + length / 2, y0 + 2.2 * h, f"{km:g} km", ha="center", va="bottom",
            fontproperties=font, color=ink)
    ax.annotate(t("snapshot.north", lang), xy=(0.97, 0.97), xytext=(0.97, 0.86),
                xycoords="axes fraction", ha="center", va="center", fontproperties=font,
                color=ink, arrowprops={"arrowstyle": "-|>", "color": ink,
                                                    "lw": 1.5})

    # Legend: the classes with their ranges and unit, as on screen.
    ind = view_indicator(view)
    handles, names = [], []
    if view.categories:
        for key, color in view.categories:
            handles.append(Patch(facecolor=color, edgecolor="#777777"))
            names.append(t(f"class.{key}", lang))
    elif view.classes:
        for text, color in zip(view.classes.labels(ind.decimals), colors, strict=True):
            handles.append(Patch(facecolor=color, edgecolor="#777777"))
            names.append(text)
    if view.min_count is None or view.categories:
        handles.append(Patch(facecolor=NO_DATA, edgecolor="#777777"))
        names.append(t("map.no_data", lang))
    else:  # as the cells are drawn above
        handles += [Patch(facecolor="none", edgecolor="#777777"),
                    Patch(facecolor=SUPPRESSED, edgecolor="#333333", hatch=SUPPRESSED_HATCH)]
        names += [t("map.zero", lang), t("map.suppressed", lang, n=view.min_count)]
    legend = fig.legend(handles, names, loc="upper left", bbox_to_anchor=(0.79, 0.88),
                        frameon=False, prop=font, labelcolor=ink,
                        title=f"{t('indicator.' + view.indicator, lang)}\n"
                              f"{t(ind.unit, lang)}")
    legend.get_title().set_fontproperties(font)
    legend.get_title().set_color(ink)
    if title:
        fig.text(0.03, 0.95, title, fontproperties=font, fontsize=18 * font_scale, va="top",
                 color=ink)
    fig.text(0.03, 0.025, t("snapshot.footer", lang, date=view.as_of or "—"),
             fontproperties=font, color=ink, alpha=0.8)
    return fig
