"""gridmap's error messages in the user's language.

The domain code raises its errors in English (the CLI prints them as they are). Pages
show them through ``error_text``: the place (file, row, column) and the reason, in
Chinese when the page is in Chinese. A reason no pattern below knows stays English.
"""

from __future__ import annotations

import re

from gridmap.i18n import MESSAGES, label, normalise_language, t

# (a whole English reason, its Chinese). Named groups are carried over; a quoted schema
# value among them ('reported', 'red') is shown by its Chinese name.
_ZH = [(re.compile(pattern, re.S), text) for pattern, text in (
    # tables and columns (imports, surveys, schema checks)
    (r"empty|empty value|must not be empty|answer missing", "为空"),
    (r"column missing", "缺少此列"),
    (r"(?:missing columns|columns missing:) (?P<a>.+)", "缺少列 {a}"),
    (r"missing geometry", "缺少图形"),
    (r"(?P<v>.+) is not one of (?P<a>.+)", "{v} 不是可选值（{a}）之一"),
    (r"(?P<v>.+) is outside (?P<a>[^.]+)\.\.(?P<b>.+)", "{v} 超出 {a}–{b} 的范围"),
    (r"duplicate (?P<a>.+)", "{a} 重复"),
    (r"(?P<v>.+) repeats row (?P<n>\d+)", "{v} 与第 {n} 行重复"),
    (r"(?P<v>.+) repeats feature (?P<n>.+)", "{v} 与第 {n} 个要素重复"),
    (r"(?P<v>.+) appears twice", "{v} 出现了两次"),
    (r"not a readable Excel file \((?P<a>.*)\)", "不是可读取的 Excel 文件（{a}）"),
    (r"not UTF-8 or GBK text", "不是 UTF-8 或 GBK 编码的文本"),
    (r"no header row found in the first (?P<n>\d+) rows \(expected headers such as "
     r"(?P<a>.+)\)", "前 {n} 行中没有找到表头（应有 {a} 等列）"),
    (r"no column for (?P<a>.+?) \((?:headers|columns): (?P<b>.*)\)",
     "没有 {a} 对应的列（现有列：{b}）"),
    (r"the mapping names headers not in the file: (?P<a>.+)", "列对应中的表头不在文件中：{a}"),
    (r"(?P<n>\d+) errors in (?P<f>.+); nothing written\. First: (?P<a>.+)",
     "{f} 有 {n} 处错误，未写入任何数据。第一处：{a}"),
    (r"nothing to import", "没有可导入的数据"),
    (r"the file is empty", "文件是空的"),
    (r"the file has a header row but no data rows", "文件只有表头，没有数据行"),
    (r"the file has no features", "文件中没有任何要素"),
    (r"cannot read it as GeoJSON, GeoPackage or Shapefile \((?P<a>.*)\)",
     "无法读取为 GeoJSON、GeoPackage 或 Shapefile（{a}）"),
    (r"not a mapping file \(JSON: file header -> column\)",
     "不是列对应文件（JSON：文件表头 -> 字段）"),
    (r"a file ending in (?P<a>.+) is needed", "需要扩展名为 {a} 的文件"),
    # values
    (r"stored as a number, so digits were lost: format the column as text",
     "以数字保存，位数已丢失：请把此列设为文本格式"),
    (r"(?P<v>.+) is not 18 characters \(17 digits and a digit or X\)",
     "{v} 不是 18 位（17 位数字加一位数字或 X）"),
    (r"(?P<v>.+) fails its check digit", "{v} 校验位不对"),
    (r"(?P<v>.+) is not a date", "{v} 不是日期"),
    (r"(?P<v>.+) is not a number of members 1-30", "{v} 不是 1–30 之间的家庭人口数"),
    (r"(?P<v>.+) is not a number", "{v} 不是数字"),
    (r"(?P<v>.+) are not coordinates", "{v} 不是经纬度坐标"),
    (r"(?P<v>.+) is not a tier(?: \(.*\))?", "{v} 不是四色等级（红/橙/黄/绿）"),
    (r"(?P<v>.+) is not yes or no \(是/否\)", "{v} 不是“是”或“否”"),
    (r"(?P<v>.+) is below 0", "{v} 小于 0"),
    (r"(?P<v>.+) is not (?P<a>[^A-Za-z]+)", "{v} 不是 {a} 之一"),
    (r"unknown categories (?P<v>.+); allowed: (?P<a>.+)", "未知的救助类别 {v}；可选：{a}"),
    # places
    (r"no (?P<k>household|worker|grid) (?P<v>.+?)(?: in the store(?: or the file)?)?",
     "没有{k} {v}"),
    (r"empty, and the point lies in no grid", "为空，且坐标不在任何网格内"),
    (r"empty, and there are no coordinates", "为空，且没有坐标"),
    (r"no coordinates: placed at its grid's centre and flagged approximate",
     "没有坐标：已放在所属网格中心，并标为近似位置"),
    (r"the point lies outside its grid (?P<v>.+)", "坐标不在所属网格 {v} 内"),
    (r"grid (?P<g>.+) already has the primary worker (?P<w>.+?): import this one as 协助, "
     r"or rebalance", "网格 {g} 已有主责网格员 {w}：请以“协助”导入，或在工作量页调配"),
    (r"unknown (?P<k>community|street|district) (?P<v>.+)", "未知的{k} {v}"),
    # tiers, cases and needs
    (r"a tier change needs a reason", "调整等级须填写原因"),
    (r"household (?P<h>.+) is already (?P<v>.+)", "该户已是{v}"),
    (r"a case changes a tier only when it is assessed", "只有在分析研判时才能调整等级"),
    (r"(?P<k>case|need) (?P<i>\S+) is (?P<v>'[^']+') and can go to (?P<a>.+), "
     r"not to (?P<b>'[^']+')", "{k} {i} 目前处于“{v}”，只能进入 {a}，不能进入“{b}”"),
    (r"(?P<v>.+) is not a (?P<k>case|need) stage; stages are (?P<a>.+)",
     "{v} 不是{k}的环节（环节：{a}）"),
    (r"(?P<t>[\d-]+ [\d:]+) is before the (?P<k>case|need) became (?P<v>'[^']+') "
     r"\((?P<s>[\d-]+ [\d:]+)\)", "{t} 早于{k}进入“{v}”的时间（{s}）"),
    (r"an eligible case needs the assistance it is eligible for",
     "符合救助条件的案件须选择救助项目"),
    (r"no assistance for a case judged not in difficulty", "研判为不困难的案件不能选择救助项目"),
    (r"case (?P<i>\S+) was judged not in difficulty; close it instead",
     "案件 {i} 已研判为不困难，请直接办结"),
    (r"aid needs an amount \(0 or more yuan\)", "救助须填写金额（0 元或以上）"),
    (r"handling needs a referral, aid given or a service ordered",
     "跟踪办理须有转介、救助或订购服务"),
    # services and their orders
    (r"'(?P<a>[^']+)' is not a service of the catalogue", "{a} 不是服务目录中的服务"),
    (r"a (?P<a>.+) may not deliver (?P<b>.+)", "{a}不能提供此项服务（{b}）"),
    (r"who delivered it is required", "须填写服务人员"),
    (r"the quantity must be more than 0", "数量须大于 0"),
    (r"the quantity ordered must be more than 0", "订购数量须大于 0"),
    (r"an order needs the provider to deliver it", "订购服务须选择服务机构"),
    (r"a case orders a service when it is handled", "案件在跟踪办理时才能订购服务"),
    (r"a need orders a service when it is claimed", "微心愿在认领时才能订购服务"),
    (r"case (?P<i>\S+) needs aid or a referral before it is closed.*",
     "案件 {i} 办结前须有救助或转介（仅研判为不困难的案件可直接办结）"),
    (r"case (?P<i>\S+) needs a visit to the household after closing before it is "
     r"followed up", "案件 {i} 回访前须在办结后走访该户"),
    (r"visit (?P<i>\S+) was before the case was closed", "走访 {i} 早于办结时间"),
    # workload, tokens, accounts
    (r"accepting a proposal needs who accepts it", "采纳方案须填写采纳人"),
    (r"a token needs a name", "令牌须有名称"),
    (r"a token named (?P<v>.+) exists; revoke it or pick another name",
     "已有名为 {v} 的令牌：请先吊销，或另取名称"),
    (r"an account needs a user name", "账号须有用户名"),
    (r"an account (?P<v>.+) exists", "账号 {v} 已存在"),
    (r"import (?P<i>\S+) was undone already", "导入 {i} 已撤销"),
)]
_NOUNS = {"household": "户", "worker": "人员", "grid": "网格", "case": "案件", "need": "需求",
          "community": "社区/村", "street": "街道/镇", "district": "区县"}
_WHERE = {"zh": ("文件 {}", "第 {} 行", "列 {}", "，", "："),
          "en": ("file {}", "row {}", "column {}", ", ", ": ")}


_PROBLEM = re.compile(r"(?P<f>.+), row (?P<r>\d+), column (?P<c>[^:]+): (?P<a>.+)", re.S)


def _term(value: str, lang: str) -> str:
    """A captured value as shown: a quoted schema value by its name, nouns translated, a
    list item by item, a nested problem ('FILE, row N, column C: REASON') in full."""
    if (nested := _PROBLEM.fullmatch(value)) is not None:
        return _located(nested["f"], int(nested["r"]), nested["c"], nested["a"], lang)
    if value.startswith("[") and value.endswith("]"):
        return "、".join(_term(v.strip(), lang) for v in value[1:-1].split(",") if v.strip())
    bare = value.strip("'\"")
    if value != bare and label(bare, lang) != bare:
        return label(bare, lang)
    if value in _NOUNS:
        return _NOUNS[value]
    return ", ".join(label(v, lang) if label(v, lang) != v else v for v in value.split(", "))


def reason_text(reason: str, lang: str) -> str:
    """One English reason in ``lang`` (unknown ones unchanged)."""
    if normalise_language(lang) != "zh":
        return reason
    for pattern, text in _ZH:
        found = pattern.fullmatch(reason)
        if found:
            return text.format(**{k: _term(v, lang) for k, v in found.groupdict().items()
                                  if v is not None})
    return reason


def _located(source, row, column, reason: str, lang: str) -> str:
    file_, row_, column_, comma, colon = _WHERE[normalise_language(lang)]
    if column and lang == "zh":  # the field's Chinese name where it has one, no raw id
        known = [k for k in (f"import.field.{column}", f"map.col.{column}") if k in MESSAGES]
        column = t(known[0], lang) if known else column
    text = reason_text(reason, lang)
    if column and source is None and row is None:  # a form's field: its name says where
        return f"{column}{colon}{text}"
    where = comma.join(part.format(value) for part, value in (
        (file_, source), (row_, row), (column_, column)) if value is not None and value != "")
    return f"{where}{colon}{text}" if where else text


def error_text(error: Exception, lang: str) -> str:
    """An error for a page: where (file, row, column) and why, in ``lang``."""
    if getattr(error, "reason", None) is None:
        return reason_text(str(error), lang)
    return _located(error.source, error.row, error.column, error.reason,
                    normalise_language(lang))
