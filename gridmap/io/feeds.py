"""Department feeds and household members (persons) from Excel or CSV (UTF-8 or GBK).

A feed has Chinese headers (身份证号, 姓名, 事项, 日期, 金额, 地址, 社区代码; others by a
mapping file) and goes in all or nothing: every problem is listed with the file, the
spreadsheet row, the column and the reason, and one bad row refuses the whole file.
ID numbers are checked with their check character; a 事项 with no rule in the policy
is reported, never guessed. Re-importing the same rows creates nothing (each row is
kept once, by its hash; see ``gridmap.feeds.row_hashes``).

Persons come from the member ledgers the way households do, upserted by person id.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from gridmap import idcards, schema
from gridmap.errors import ValidationError
from gridmap.io.importing import Problem, data_rows, header_key, parse_when, read_cells, yes_no
from gridmap.policy import Policy

FEED_HEADERS: dict[str, tuple[str, ...]] = {
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "证件号码", "id_number"),
    "name": ("姓名", "name"),
    "item": ("事项", "预警事项", "业务事项", "item"),
    "happened_on": ("日期", "发生日期", "业务日期", "happened_on"),
    "amount": ("金额", "自付金额", "金额(元)", "amount"),
    "address": ("地址", "住址", "家庭住址", "address"),
    "community_code": ("社区代码", "社区编码", "所属社区代码", "community_code"),
}
FEED_REQUIRED = ("id_number", "item", "happened_on")
PERSON_HEADERS: dict[str, tuple[str, ...]] = {
    "person_id": ("人员编号", "成员编号", "person_id"),
    "household_id": ("户编号", "家庭编号", "户号", "household_id"),
    "name": ("姓名", "成员姓名", "name"),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "证件号码", "id_number"),
    "relation": ("与户主关系", "关系", "relation"),
    "birth_date": ("出生日期", "birth_date"),
    "disability": ("残疾", "持残疾证", "残疾证", "disability"),
    "chronic_illness": ("慢性病", "重病", "大病", "chronic_illness"),
}
PERSON_REQUIRED = ("household_id", "name", "id_number", "relation")
RELATION_WORDS = {"户主": ("户主", "本人"), "配偶": ("配偶", "妻", "夫", "妻子", "丈夫"),
                  "子女": ("子女", "子", "女", "儿子", "女儿"), "父母": ("父母", "父亲", "母亲"),
                  "孙子女": ("孙子女", "孙子", "孙女", "外孙", "外孙女"),
                  "兄弟姐妹": ("兄弟姐妹", "兄", "弟", "姐", "妹"), "其他": ("其他",)}


@dataclass
class FeedFile:
    """A file read and checked: its rows (``feed_rows`` columns but the hash and feed)
    and every problem; nothing written."""

    file: str
    mapping: dict[str, str]
    rows: pd.DataFrame = field(default_factory=pd.DataFrame)
    problems: list[Problem] = field(default_factory=list)
    rows_read: int = 0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def report(self) -> pd.DataFrame:
        return pd.DataFrame([p.__dict__ for p in self.problems],
                            columns=["file", "row", "column", "reason", "severity"])


def _body(source, name: str, headers: dict[str, tuple[str, ...]], required: tuple[str, ...],
          mapping: dict[str, str] | None) -> tuple[pd.DataFrame, dict[str, str]]:
    """The data rows with schema column names and ``_row`` (the spreadsheet's row)."""
    cells = read_cells(source, name)
    known = ({header_key(h) for h in mapping} if mapping else
             {header_key(h) for names in headers.values() for h in names})
    header = next((i for i in range(min(15, len(cells)))
                   if sum(header_key(v) in known for v in cells.iloc[i]) >= 2), None)
    if header is None:
        raise ValidationError(f"no header row found in the first 15 rows (expected headers "
                              f"such as {', '.join(headers[c][0] for c in required)})",
                              source=name)
    names, body = data_rows(cells, header, name)
    if mapping:
        unknown = [h for h in mapping if h not in names]
        if unknown:
            raise ValidationError(f"the mapping names headers not in the file: {unknown}",
                                  source=name)
    else:
        by_key = {header_key(n): c for c, spellings in headers.items() for n in spellings}
        mapping = {}
        for h in names:
            column = by_key.get(header_key(h))
            if column and column not in mapping.values():
                mapping[h] = column
    missing = [c for c in required if c not in mapping.values()]
    if missing:
        raise ValidationError(f"no column for {', '.join(headers[c][0] for c in missing)} "
                              f"(headers: {', '.join(h for h in names if h)})", source=name)
    rows = pd.DataFrame({column: body[h].to_numpy() for h, column in mapping.items()})
    for column in headers:
        if column not in rows:
            rows[column] = None
    rows["_row"] = body.index.to_numpy() + header + 2
    return rows, mapping


def _flagger(out: FeedFile, rows: pd.DataFrame):
    """``flag(mask, column, reason)``: a problem in ``out`` on each of ``rows`` where
    ``mask`` holds, under the file's header for ``column``; ``reason`` is one text, or a
    Series of texts aligned with ``rows``."""

    def flag(mask, column: str, reason) -> None:
        mask = np.asarray(mask, dtype=bool)
        reasons = reason[mask] if isinstance(reason, pd.Series) else [reason] * int(mask.sum())
        header = next((h for h, c in out.mapping.items() if c == column), column)
        for n, text in zip(rows["_row"][mask], reasons, strict=True):
            out.problems.append(Problem(out.file, int(n), header, text))

    return flag


def _texts(values: pd.Series) -> pd.Series:
    text = values.map(lambda v: None if v is None or (isinstance(v, float) and v != v)
                      else str(v).strip())
    text = text.str.replace(r"^(\d+)\.0$", r"\1", regex=True)
    return text.where(text.notna() & (text != ""), None).astype(object)


def _dates(values: pd.Series) -> pd.Series:
    return pd.Series([parse_when(v) for v in values], index=values.index,
                     dtype="datetime64[ns]")


def read_feed(source, name: str, policy: Policy, *, received_on: date | None = None,
              mapping: dict[str, str] | None = None) -> FeedFile:
    """Read and check a feed file (nothing written)."""
    rows, mapping = _body(source, name, FEED_HEADERS, FEED_REQUIRED, mapping)
    out = FeedFile(name, mapping, rows_read=len(rows))
    flag = _flagger(out, rows)

    raw_ids = rows["id_number"]
    if pd.api.types.infer_dtype(raw_ids, skipna=True) in ("integer", "floating", "mixed"):
        numeric = raw_ids.map(lambda v: isinstance(v, int | float) and not isinstance(v, bool))
        flag(numeric, "id_number", "an ID number stored as a number loses its last digits; "
             "format the column as text")
    else:
        numeric = pd.Series(False, index=rows.index)
    ids = idcards.normalise(_texts(raw_ids))
    ids.index = rows.index
    bad_id = idcards.problems(ids, today=received_on)
    flag(bad_id.notna() & ~numeric, "id_number", bad_id)
    items = _texts(rows["item"])
    flag(items.isna(), "item", "empty")
    rules = {r.item: r for r in policy.feeds.rules}
    unknown = items.notna() & ~items.isin(list(rules))
    flag(unknown, "item", items.map(lambda v: f"unknown 事项 {v!r}: no rule for it in the "
                                    f"policy (feeds.rules); known: {', '.join(rules)}"))
    when = _dates(rows["happened_on"])
    flag(when.isna(), "happened_on", "not a date")
    if received_on is not None:
        flag(when > pd.Timestamp(received_on), "happened_on",
             f"after the day the feed was received ({received_on})")
    amount_text = _texts(rows["amount"]).str.replace(",", "", regex=False)
    amount = pd.to_numeric(amount_text, errors="coerce")
    flag(amount_text.notna() & amount.isna(), "amount", "not a number")
    needs_amount = items.map(lambda v: v in rules and rules[v].sum_at_least is not None)
    flag(needs_amount.astype(bool) & amount_text.isna(), "amount",
         "empty: this 事项 sums amounts")
    if out.errors:
        return out
    out.rows = pd.DataFrame({
        "id_number": ids.to_numpy(), "name": _texts(rows["name"]).to_numpy(),
        "item": items.to_numpy(), "happened_on": when.dt.normalize().to_numpy(),
        "amount": amount.to_numpy(float), "address": _texts(rows["address"]).to_numpy(),
        "community_code": _texts(rows["community_code"]).to_numpy()})
    return out


def person_ids(id_numbers: pd.Series) -> np.ndarray:
    """A person's stable id from their ID number (re-imports update, never duplicate)."""
    return ("P" + id_numbers.astype(str).map(
        lambda v: hashlib.sha1(v.encode()).hexdigest()[:12])).to_numpy(dtype=object)


def read_persons(source, name: str, *, households: pd.DataFrame,
                 mapping: dict[str, str] | None = None) -> FeedFile:
    """Read and check a member ledger (persons); ``rows`` in ``persons`` columns."""
    rows, mapping = _body(source, name, PERSON_HEADERS, PERSON_REQUIRED, mapping)
    out = FeedFile(name, mapping, rows_read=len(rows))
    flag = _flagger(out, rows)

    household = _texts(rows["household_id"])
    flag(household.isna(), "household_id", "empty")
    flag(household.notna() & ~household.isin(households["household_id"]), "household_id",
         "no such household")
    names = _texts(rows["name"])
    flag(names.isna(), "name", "empty")
    ids = idcards.normalise(_texts(rows["id_number"]))
    ids.index = rows.index
    bad = idcards.problems(ids)
    flag(bad.notna(), "id_number", bad)
    flag(ids.notna() & ids.duplicated(keep="first"), "id_number", "repeats an earlier row")
    words = {header_key(w): k for k, spellings in RELATION_WORDS.items() for w in spellings}
    relation = _texts(rows["relation"]).map(lambda v: words.get(header_key(v)))
    flag(relation.isna(), "relation", f"not one of {', '.join(schema.RELATIONS)}")
    birth = _dates(rows["birth_date"]).fillna(idcards.birth_dates(ids).set_axis(rows.index))
    flags = {c: rows[c].map(lambda v: False if v is None or (isinstance(v, float) and v != v)
                            else yes_no(v)) for c in ("disability", "chronic_illness")}
    for column, values in flags.items():
        flag(values.isna(), column, "not yes or no (是/否)")
    if out.errors:
        return out
    given = _texts(rows["person_id"])
    pid = given.where(given.notna(), pd.Series(person_ids(ids), index=rows.index))
    out.rows = schema.conform("persons", pd.DataFrame({
        "person_id": pid.to_numpy(), "household_id": household.to_numpy(),
        "name": names.to_numpy(), "id_number": ids.to_numpy(),
        "relation": relation.to_numpy(), "birth_date": birth.to_numpy(),
        "disability": flags["disability"].astype(bool).to_numpy(),
        "chronic_illness": flags["chronic_illness"].astype(bool).to_numpy()}))
    return out
