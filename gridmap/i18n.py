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
    "level.hex": ("六边形（H3）", "Hexagons (H3)"),
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
    # map
    "nav.map": ("地图", "Map"),
    "map.title": ("网格地图", "Grid map"),
    "map.indicator": ("着色指标", "Colour by"),
    "map.scheme": ("分级方法", "Classes"),
    "map.tiers": ("显示等级", "Tiers shown"),
    "map.categories": ("救助类别", "Categories"),
    "map.search": ("搜索网格（编号或名称）", "Find a grid (id or name)"),
    "map.search_none": ("没有匹配的网格", "No grid matches"),
    "map.search_pick": ("匹配的网格", "Matching grids"),
    "map.breadcrumb_top": ("全市", "Whole city"),
    "map.households": ("困难家庭", "Households"),
    "map.heat": ("热力图（按应访频次加权）", "Heatmap (weighted by required visits)"),
    "map.basemap": ("底图", "Basemap"),
    "map.no_data": ("无数据", "No data"),
    "map.grid_type": ("类型", "Type"),
    "map.workers": ("网格员", "Workers"),
    "map.last_visit": ("最近走访", "Last visit"),
    "map.never_visited": ("从未走访", "never"),
    "map.points_hidden": ("本视图有 {n} 户，过多不逐户显示；请下钻到更小区域查看。",
                          "{n} households in this view: too many to draw one by one; "
                          "drill down to see them."),
    "map.click_hint": ("点击地图上的区域可逐级下钻；侧栏与地址栏同步保存当前位置。",
                       "Click an area on the map to drill down; the sidebar and the URL "
                       "keep the current place."),
    "map.outline.district": ("区县边界", "District boundaries"),
    "map.outline.street": ("街道/镇边界", "Street/town boundaries"),
    "map.outline.community": ("社区/村边界", "Community/village boundaries"),
    "map.panel.households": ("本网格困难家庭", "Households in this grid"),
    "map.panel.workers": ("本网格网格员", "Workers of this grid"),
    "map.col.alias": ("代号", "Alias"),
    "map.col.tier": ("等级", "Tier"),
    "map.col.last_visit": ("最近走访", "Last visit"),
    "map.col.days_until_due": ("距应访天数", "Days until due"),
    "map.col.name": ("姓名", "Name"),
    "map.col.kind": ("类别", "Kind"),
    "map.col.role": ("职责", "Role"),
    # coverage
    "nav.coverage": ("走访覆盖", "Coverage"),
    "coverage.title": ("走访覆盖与走访登记", "Visit coverage and the visit log"),
    "coverage.overall": ("总覆盖率", "Coverage"),
    "coverage.never": ("从未走访", "Never visited"),
    "coverage.tab.map": ("覆盖地图", "Map"),
    "coverage.tab.overdue": ("逾期清单", "Overdue list"),
    "coverage.tab.trend": ("每周趋势", "Weekly trend"),
    "coverage.tab.visit": ("登记走访", "Log a visit"),
    "coverage.tab.tier": ("调整等级", "Change a tier"),
    "coverage.tab.flows": ("等级流向", "Tier flows"),
    "coverage.level": ("统计层级", "Level"),
    "coverage.worker": ("网格员", "Worker"),
    "coverage.all_workers": ("全部网格员", "All workers"),
    "coverage.count": ("共 {n} 户逾期", "{n} households overdue"),
    "coverage.download_csv": ("下载 CSV", "Download CSV"),
    "coverage.download_xlsx": ("下载 Excel", "Download Excel"),
    "coverage.trend_caption": ("按当前等级回溯计算每周末的覆盖率。",
                               "Coverage at the end of each week, judged by current tiers."),
    "coverage.week": ("周末日期", "Week ending"),
    "coverage.pct": ("覆盖率（%）", "Coverage (%)"),
    "coverage.household": ("困难家庭（代号 · 网格）", "Household (alias · grid)"),
    "coverage.narrow": ("本范围有 {n} 户，请先在侧栏选择社区或网格。",
                        "{n} households here: pick a community or grid in the sidebar first."),
    "coverage.date": ("走访日期", "Date"),
    "coverage.time": ("时间", "Time"),
    "coverage.method": ("走访方式", "Method"),
    "coverage.note": ("走访记录", "Note"),
    "coverage.found": ("发现新的困难", "Found a new difficulty"),
    "coverage.visitor": ("走访人", "Visited by"),
    "coverage.save_visit": ("保存走访", "Save the visit"),
    "coverage.saved_visit": ("已保存。{alias} 下次应访日期：{due}",
                             "Saved. {alias} is next due on {due}"),
    "coverage.new_tier": ("新等级", "New tier"),
    "coverage.reason": ("调整原因（必填）", "Reason (required)"),
    "coverage.save_tier": ("保存调整", "Save the change"),
    "coverage.saved_tier": ("已将 {alias} 调整为{tier}", "{alias} is now {tier}"),
    "coverage.history": ("等级变更记录", "Tier history"),
    "coverage.period": ("统计期间", "Period"),
    "coverage.flows_caption": ("行：原等级；列：新等级；数字为户数。",
                               "Rows: from; columns: to; households."),
    "coverage.error": ("未保存：{error}", "Not saved: {error}"),
    "map.col.grid": ("网格", "Grid"),
    "map.col.warning": ("预警等级", "Warning"),
    "map.col.worker": ("网格员", "Worker"),
    "map.col.last_method": ("最近方式", "Last method"),
    "map.col.due": ("应访日期", "Due"),
    "map.col.days_overdue": ("逾期天数", "Days overdue"),
    "map.col.changed_at": ("时间", "When"),
    "map.col.from_tier": ("原等级", "From"),
    "map.col.to_tier": ("新等级", "To"),
    "map.col.reason": ("原因", "Reason"),
    "map.col.changed_by": ("操作人", "By"),
    # hotspots
    "nav.hotspots": ("热点分析", "Hotspots"),
    "hotspots.title": ("困难聚集热点", "Where need clusters"),
    "hotspots.indicator": ("分析指标", "Indicator"),
    "hotspots.method": ("方法", "Method"),
    "hotspots.method.gi": ("Getis-Ord Gi* 热点", "Getis-Ord Gi* hotspots"),
    "hotspots.method.moran": ("局部 Moran's I 聚类", "Local Moran's I clusters"),
    "hotspots.permutations": ("置换次数", "Permutations"),
    "hotspots.fdr": ("错误发现率（FDR）校正", "False-discovery-rate correction"),
    "hotspots.fdr_note": ("开启 FDR 时置换次数至少 9999：999 次置换的最小 p 值为 0.001，"
                          "在 {n} 个网格上几乎无法通过校正。",
                          "With FDR on, use at least 9,999 permutations: with 999 the "
                          "smallest p-value is 0.001, which almost never survives the "
                          "correction over {n} grids."),
    "hotspots.summary": ("热点 {hot} 个单元，冷点 {cold} 个单元（随机种子 {seed}）。",
                         "{hot} hot units, {cold} cold units (seed {seed})."),
    "hotspots.method.emerging": ("新兴热点（近30天 对比 前30天）",
                                 "Emerging (last 30 days vs the 30 before)"),
    "hotspots.emerging_summary": ("近30天新发现困难：{n} 个网格新成为热点。",
                                  "New difficulties, last 30 days: {n} grids newly hot."),
    "class.became_hot": ("新成为热点", "Newly hot"),
    "class.hotter": ("热度上升", "Hotter"),
    "class.no_rise": ("未上升", "No rise"),
    "hotspots.heat": ("叠加热力图", "Add a heatmap"),
    "hotspots.unit": ("分析单元", "Units"),
    "hotspots.unit.grid": ("网格", "Grids"),
    "hotspots.unit.hex": ("六边形（H3，少于 {n} 户不显示具体数）",
                          "Hexagons (H3; counts below {n} hidden)"),
    "hotspots.open_cases": ("“未结案件”需在闭环管理功能上线后提供。",
                            "Open cases arrive with the closed-loop cases."),
    "class.hot_99": ("热点 99%", "Hot 99%"),
    "class.hot_95": ("热点 95%", "Hot 95%"),
    "class.hot_90": ("热点 90%", "Hot 90%"),
    "class.not_significant": ("不显著", "Not significant"),
    "class.cold_90": ("冷点 90%", "Cold 90%"),
    "class.cold_95": ("冷点 95%", "Cold 95%"),
    "class.cold_99": ("冷点 99%", "Cold 99%"),
    "class.high_high": ("高-高聚集", "High-High"),
    "class.low_low": ("低-低聚集", "Low-Low"),
    "class.high_low": ("高-低异常", "High-Low outlier"),
    "class.low_high": ("低-高异常", "Low-High outlier"),
    "indicator.red_orange_rate": ("红橙户占比", "Share of red + orange households"),
    "indicator.new_difficulties_30d": ("近30天新发现困难", "New difficulties, 30 days"),
    "indicator.new_difficulties_90d": ("近90天新发现困难", "New difficulties, 90 days"),
    "indicator.overdue_rate": ("逾期户占比", "Share overdue"),
    "indicator.open_cases": ("未结案件", "Open cases"),
    "unit.value": ("数值", "Value"),
    "indicator.red_orange": ("红橙户数", "Red + orange households"),
    "indicator.households": ("困难家庭户数", "Households"),
    "indicator.red": ("红色户数", "Red households"),
    "indicator.orange": ("橙色户数", "Orange households"),
    "indicator.yellow": ("黄色户数", "Yellow households"),
    "indicator.green": ("绿色户数", "Green households"),
    "indicator.visits_required": ("每月应走访次数", "Required visits per month"),
    "indicator.coverage_pct": ("走访覆盖率", "Visit coverage"),
    "indicator.overdue": ("逾期未访户数", "Overdue households"),
    "unit.households": ("单位：户", "Unit: households"),
    "unit.visits_per_month": ("单位：次/月", "Unit: visits per month"),
    "unit.percent": ("单位：%（颜色越深覆盖率越低）", "Unit: % (darker = lower coverage)"),
    "scheme.quantiles": ("分位数", "Quantiles"),
    "scheme.natural_breaks": ("自然断点", "Natural breaks"),
    "scheme.equal_interval": ("等间距", "Equal interval"),
}

LABELS: dict[str, tuple[str, str]] = {
    "red": ("红色", "Red"), "orange": ("橙色", "Orange"),
    "yellow": ("黄色", "Yellow"), "green": ("绿色", "Green"),
    "urban": ("城市网格", "Urban"), "rural": ("农村网格", "Rural"),
    "dedicated": ("专属网格", "Dedicated"),
    "full_time": ("专职网格员", "Full-time"), "part_time": ("兼职网格员", "Part-time"),
    "volunteer": ("志愿者", "Volunteer"),
    "door": ("上门", "In person"), "phone": ("电话", "Phone"), "online": ("网络", "Online"),
    "primary": ("主责", "Primary"), "backup": ("协助", "Backup"),
    "exact": ("精确", "Exact"), "approximate": ("近似", "Approximate"),
    "all": ("合计", "All"),
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


def localise_frame(frame, lang: str = DEFAULT_LANGUAGE, *, prefix: str = "col."):
    """A copy of ``frame`` for display: headers from ``prefix + column``, schema values
    (tiers, kinds, roles, ...) named in ``lang``."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or str(out[column].dtype) in ("str", "string"):
            out[column] = out[column].map(lambda v: label(v, lang) if isinstance(v, str) else v)
            out[column] = out[column].where(out[column].notna(), "")
    return out.rename(columns={c: t(prefix + c, lang) for c in out.columns
                               if prefix + c in MESSAGES})
