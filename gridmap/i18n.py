"""The translation layer: every user-visible string, in Chinese (default) and English.

``t(key, lang)`` looks a message up; ``label(value, lang)`` names a schema value
(a tier, a grid type, ...). A key missing in either language is a test failure.
"""

from __future__ import annotations

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

MESSAGES: dict[str, tuple[str, str]] = {
    # app frame
    "app.title": ("网格化主动发现", "gridmap: proactive discovery"),
    "app.language": ("语言", "Language"),
    "app.area": ("区域", "Area"),
    "app.all": ("全部", "All"),
    "app.building_demo": ("首次运行：正在生成镇江演示数据……",
                          "First run: building the Zhenjiang demo data…"),
    "app.demo_ready": ("演示数据已生成", "Demo data is ready"),
    "app.store_error": ("无法打开数据库：{error}", "Cannot open the store: {error}"),
    "nav.overview": ("概览", "Overview"),
    # levels
    "level.district": ("区县", "District"),
    "level.street": ("街道/镇", "Street/town"),
    "level.community": ("社区/村", "Community/village"),
    "level.grid": ("网格", "Grid"),
    # overview
    "overview.title": ("概览", "Overview"),
    "overview.scope": ("范围：{scope}", "Scope: {scope}"),
    "overview.whole_city": ("全市", "Whole city"),
    "overview.grids": ("网格", "Grids"),
    "overview.households": ("困难家庭（四色标注）", "Households by tier"),
    "overview.workers": ("网格员与志愿者", "Workers and volunteers"),
    "overview.visits": ("近30天走访", "Visits, last 30 days"),
    "overview.visits_count": ("走访次数", "Visits"),
    "overview.visited_households": ("走访户数", "Households visited"),
    "overview.total": ("合计", "Total"),
    "overview.as_of": ("统计截至 {date}", "As of {date}"),
    "overview.tier_chart": ("各颜色等级户数", "Households per tier"),
    "overview.count": ("户数", "Households"),
    "overview.tier": ("等级", "Tier"),
}

LABELS: dict[str, tuple[str, str]] = {
    "red": ("红色", "Red"), "orange": ("橙色", "Orange"),
    "yellow": ("黄色", "Yellow"), "green": ("绿色", "Green"),
    "urban": ("城市网格", "Urban"), "rural": ("农村网格", "Rural"),
    "dedicated": ("专属网格", "Dedicated"),
    "full_time": ("专职网格员", "Full-time"), "part_time": ("兼职网格员", "Part-time"),
    "volunteer": ("志愿者", "Volunteers"),
    "door": ("上门", "In person"), "phone": ("电话", "Phone"), "online": ("网络", "Online"),
    "primary": ("主责", "Primary"), "backup": ("协助", "Backup"),
    "exact": ("精确", "Exact"), "approximate": ("近似", "Approximate"),
    "district": ("区县", "District"), "street": ("街道/镇", "Street/town"),
    "community": ("社区/村", "Community/village"), "grid": ("网格", "Grid"),
}


def normalise_language(value: str | None) -> str:
    """``'en'``, ``'EN'``, ``'en-GB'`` -> ``'en'``; anything unknown -> Chinese."""
    code = (value or "").lower()[:2]
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, lang: str = DEFAULT_LANGUAGE, **values) -> str:
    """The message ``key`` in ``lang``, with ``{placeholders}`` filled from ``values``."""
    text = MESSAGES[key][LANGUAGES.index(normalise_language(lang))]
    return text.format(**values) if values else text


def label(value: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """The display name of a schema value (tier, grid type, ...); unknown values pass through."""
    pair = LABELS.get(value)
    return pair[LANGUAGES.index(normalise_language(lang))] if pair else value
