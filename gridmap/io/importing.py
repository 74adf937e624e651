"""Importing ledgers (台账) kept by hand: households, workers and visits from Excel or CSV.

A file goes in correctly or is refused clearly. ``prepare`` reads it, finds the header
row (title rows above it are skipped), maps the Chinese headers to the schema (guessed,
or given as a reusable mapping), normalises the values, and lists every problem with
the file, spreadsheet row, column and reason; nothing is written. ``commit`` then
writes the accepted rows in one transaction (upsert by id, so importing the same file
twice changes nothing the second time), and ``Store.undo_import`` takes it back.

It runs past 500 lines because the three ledgers share one reading, mapping and
normalising path, and their checks are best read side by side.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridmap import schema
from gridmap.aliases import new_aliases
from gridmap.errors import ValidationError

KINDS = ("households", "workers", "visits")
UPLOAD_SUFFIXES = (".xlsx", ".xlsm", ".csv")

# File headers (as people write them) per schema column.
HEADERS: dict[str, dict[str, tuple[str, ...]]] = {
    "households": {
        "household_id": ("户编号", "家庭编号", "户号", "household_id"),
        "head_name": ("户主姓名", "姓名", "户主", "head_name"),
        "id_number": ("身份证号", "身份证号码", "公民身份号码", "证件号码", "id_number"),
        "phone": ("联系电话", "电话", "手机", "手机号", "phone"),
        "address": ("住址", "家庭住址", "地址", "居住地址", "address"),
        "grid_id": ("所属网格", "网格编码", "网格编号", "网格", "grid_id"),
        "tier": ("颜色等级", "四色标注", "等级", "颜色", "tier"),
        "categories": ("救助类别", "类别", "困难类别", "人员类别", "categories"),
        "members": ("家庭人口", "家庭人数", "人口数", "members"),
        "lon": ("经度", "lon", "lng", "longitude"),
        "lat": ("纬度", "lat", "latitude"),
    },
    "workers": {
        "worker_id": ("人员编号", "工号", "网格员编号", "worker_id"),
        "name": ("姓名", "网格员", "name"),
        "kind": ("人员类型", "类型", "专兼职", "kind"),
        "capacity": ("工作量系数", "能力系数", "capacity"),
        "chief_id": ("网格长编号", "网格长", "chief_id"),
        "grid_id": ("负责网格", "所属网格", "网格编码", "grid_id"),
        "role": ("职责", "网格职责", "role"),
    },
    "visits": {
        "visit_id": ("走访编号", "visit_id"),
        "household_id": ("户编号", "家庭编号", "household_id"),
        "worker_id": ("走访人编号", "网格员编号", "人员编号", "worker_id"),
        "visited_at": ("走访日期", "走访时间", "日期", "visited_at"),
        "method": ("走访方式", "方式", "method"),
        "note": ("走访情况", "备注", "情况", "note"),
        "found_difficulty": ("发现新困难", "新发现困难", "found_difficulty"),
    },
}
REQUIRED = {"households": ("head_name", "id_number", "address", "tier"),
            "workers": ("worker_id", "name", "kind"),
            "visits": ("household_id", "worker_id", "visited_at", "method")}

TIER_WORDS = {
    "red": ("红", "红色", "红色等级", "红色预警", "red", "1", "一级"),
    "orange": ("橙", "橙色", "橙色等级", "orange", "2", "二级"),
    "yellow": ("黄", "黄色", "黄色等级", "yellow", "3", "三级"),
    "green": ("绿", "绿色", "绿色等级", "green", "4", "四级"),
}
METHOD_WORDS = {
    "door": ("上门", "入户", "上门走访", "入户走访", "走访", "door"),
    "phone": ("电话", "电话回访", "电话走访", "phone"),
    "online": ("网络", "微信", "视频", "线上", "online"),
    "volunteer": ("志愿者", "侧面了解", "志愿者走访", "volunteer"),
}
ROLE_WORDS = {"primary": ("主责", "专职", "primary"), "backup": ("协助", "兼职", "backup")}
KIND_WORDS = {"full_time": ("专职", "专职网格员", "full_time"),
              "part_time": ("兼职", "兼职网格员", "part_time"),
              "volunteer": ("志愿者", "volunteer")}
YES_WORDS = frozenset({"是", "有", "1", "true", "yes", "y", "√", "对"})
NO_WORDS = frozenset({"否", "无", "没有", "0", "false", "no", "n", "×", "不是"})
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


@dataclass(frozen=True)
class Problem:
    file: str
    row: int  # the spreadsheet's own row number
    column: str
    reason: str
    severity: str = "error"  # or "warning" (imported, but look at it)

    def __str__(self) -> str:
        return f"{self.file}, row {self.row}, column {self.column}: {self.reason}"


@dataclass
class Prepared:
    """A file read and checked: the rows to write per layer and every problem."""

    kind: str
    file: str
    mapping: dict[str, str]  # file header -> schema column
    header_row: int
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    rows_read: int = 0
    progress: object = None  # progress(fraction, message), for large files

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def report(self) -> pd.DataFrame:
        """One row per problem: ``file, row, column, severity, reason``."""
        return pd.DataFrame([p.__dict__ for p in self.problems],
                            columns=["file", "row", "column", "reason", "severity"])


# -- reading -------------------------------------------------------------------------
def read_cells(source, name: str) -> pd.DataFrame:
    """Every cell of the first sheet (or the CSV) as read, no header assumed. CSV may be
    UTF-8, UTF-8 with BOM or GBK. Excel keeps numbers as numbers, so a long ID number
    typed as a number can be recognised (and refused) later."""
    raw = Path(source).read_bytes() if isinstance(source, str | Path) else source.read()
    if not raw.strip():
        raise ValidationError("the file is empty", source=name)
    if name.lower().endswith((".xlsx", ".xlsm")):
        try:
            return pd.read_excel(io.BytesIO(raw), header=None, dtype=object)
        except Exception as exc:  # a broken or renamed file
            raise ValidationError(f"not a readable Excel file ({exc})", source=name) from exc
    return pd.read_csv(io.StringIO(decode_text(raw, name)), header=None, dtype=str,
                       keep_default_na=False, na_values=[""])


def decode_text(raw: bytes, name: str) -> str:
    """A CSV's text: UTF-8 (with or without BOM), else GBK."""
    for encoding in ("utf-8-sig", "gbk"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError("not UTF-8 or GBK text", source=name)


def yes_no(value) -> bool | None:
    """A yes/no cell (是/否, 有/无, 对/不是, 1/0, √/×, yes/no): True or False, ``None`` when it
    is neither."""
    key = header_key(value).removesuffix(".0")
    return True if key in YES_WORDS else False if key in NO_WORDS else None


def header_key(value) -> str:
    return re.sub(r"\s+", "", str(value)).lower() if pd.notna(value) else ""


def find_header(cells: pd.DataFrame, kind: str, *, search: int = 15,
                mapping: dict[str, str] | None = None) -> int:
    """The row holding the headers: the first of the top rows with two or more known
    headers, or of the mapping's (title rows, merged cells and blank rows above it are
    skipped)."""
    known = ({header_key(h) for h in mapping} if mapping else
             {header_key(h) for names in HEADERS[kind].values() for h in names})
    for i in range(min(search, len(cells))):
        if sum(header_key(v) in known for v in cells.iloc[i]) >= 2:
            return i
    raise ValidationError(f"no header row found in the first {search} rows (expected "
                          f"headers such as {', '.join(REQUIRED[kind])})")


def data_rows(cells: pd.DataFrame, header: int, name: str) -> tuple[list[str], pd.DataFrame]:
    """The headers (the texts of row ``header`` of ``cells``) and the data rows below
    them, blank rows dropped, indexed by their place below the header row; a file with
    a header row and nothing under it is refused."""
    headers = [str(v).strip() if pd.notna(v) else "" for v in cells.iloc[header]]
    body = cells.iloc[header + 1:].reset_index(drop=True)
    body.columns = headers
    body = body.dropna(how="all")
    if body.empty:
        raise ValidationError("the file has a header row but no data rows", source=name)
    return headers, body


def guess_mapping(headers, kind: str) -> dict[str, str]:
    """File header -> schema column, by the known spellings (first match wins)."""
    by_key = {}
    for column, names in HEADERS[kind].items():
        for name in names:
            by_key.setdefault(header_key(name), column)
    mapping, taken = {}, set()
    for header in headers:
        column = by_key.get(header_key(header))
        if column and column not in taken:
            mapping[str(header)] = column
            taken.add(column)
    return mapping


def load_mapping(path: str | Path) -> dict[str, str]:
    """A saved header mapping (JSON: file header -> column)."""
    return mapping_from_bytes(Path(path).read_bytes(), Path(path).name)


def mapping_from_bytes(raw: bytes, name: str) -> dict[str, str]:
    """A header mapping from a JSON file's bytes; anything but an object of texts is
    refused, naming the file."""
    try:
        mapping = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        mapping = None
    if not isinstance(mapping, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
        raise ValidationError("not a mapping file (JSON: file header -> column)", source=name)
    return mapping


def save_mapping(mapping: dict[str, str], path: str | Path) -> None:
    Path(path).write_text(json.dumps(mapping, ensure_ascii=False, indent=1), encoding="utf-8")


# -- values --------------------------------------------------------------------------
_LOOKUPS: dict[int, dict[str, str]] = {}


def _word(value, words: dict[str, tuple[str, ...]]) -> str | None:
    lookup = _LOOKUPS.get(id(words))
    if lookup is None:
        lookup = _LOOKUPS[id(words)] = {header_key(n): k for k, names in words.items()
                                        for n in names}
    return lookup.get(header_key(value).removesuffix(".0"))


def parse_when(value) -> pd.Timestamp | None:
    """A date or date-time: an Excel serial number, a datetime cell, or text such as
    2026-11-05, 2026/11/5, 2026.11.5 or 2026年11月5日 (with an optional time)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, datetime | date | pd.Timestamp):
        return pd.Timestamp(value)
    text = str(value).strip()
    if re.fullmatch(r"\d{5}(\.\d+)?", text):  # an Excel serial day
        serial = float(text)
        if 20000 <= serial <= 80000:
            return (_EXCEL_EPOCH + pd.to_timedelta(serial, unit="D")).round("s")
        return None
    text = re.sub(r"[年月/.]", "-", text).replace("日", " ").strip()
    try:
        return pd.Timestamp(text)
    except (ValueError, TypeError):
        return None


def cell_text(value) -> str | None:
    """A cell as text, stripped; ``None`` when empty. A whole number read as a float
    (``"1234.0"``) loses its ``.0``."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    return text or None


# -- preparing ----------------------------------------------------------------------------
def prepare(kind: str, source, name: str, *, store, mapping: dict[str, str] | None = None,
            as_of: date | None = None, progress=None) -> Prepared:
    """Read and check a file against ``store``; nothing is written. ``progress(fraction,
    message)`` hears how far it got (large files)."""
    if kind not in KINDS:
        raise ValidationError(f"unknown import {kind!r}; use one of {', '.join(KINDS)}")
    cells = read_cells(source, name)
    header = find_header(cells, kind, mapping=mapping)
    headers, body = data_rows(cells, header, name)
    mapping = dict(mapping) if mapping else guess_mapping(headers, kind)
    unknown = [h for h in mapping if h not in headers]
    if unknown:
        raise ValidationError(f"the mapping names headers not in the file: {unknown}",
                              source=name)
    missing = [c for c in REQUIRED[kind] if c not in mapping.values()]
    if missing:
        raise ValidationError(f"no column for {', '.join(missing)} (headers: "
                              f"{', '.join(h for h in headers if h)})", source=name)
    prepared = Prepared(kind, name, mapping, header + 1, rows_read=len(body))
    prepared.progress = progress or (lambda fraction, message: None)
    rows = pd.DataFrame({column: body[h] for h, column in mapping.items()})
    rows["_row"] = body.index.to_numpy() + header + 2  # the spreadsheet row
    as_of = as_of or date.today()
    {"households": _households, "workers": _workers, "visits": _visits}[kind](
        rows, prepared, store, as_of)
    return prepared


def note_problem(prepared: Prepared, row: int, column: str, reason: str, *, warning=False):
    prepared.problems.append(Problem(prepared.file, int(row), column, reason,
                                     "warning" if warning else "error"))


def _filled(prepared: Prepared, record: dict, kind: str) -> bool:
    """Whether a row has every required column; an "empty" problem for each that lacks."""
    empty = [c for c in REQUIRED[kind] if not cell_text(record.get(c))]
    for column in empty:
        note_problem(prepared, record["_row"], column, "empty")
    return not empty


def _duplicates(prepared: Prepared, ids: pd.Series, rows: pd.Series, column: str) -> None:
    first = {}
    for value, row in zip(ids, rows, strict=True):
        if value is None:
            continue
        if value in first:
            note_problem(prepared, row, column, f"{value!r} repeats row {first[value]}")
        else:
            first[value] = row


def _texts(values: pd.Series) -> pd.Series:
    """Cells as trimmed text (``None`` when empty); 12.0 from Excel becomes 12."""
    present = values.notna()
    strings = pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty")
    text = values.astype(object).where(present, None)
    if not strings:  # Excel numbers and dates among the text: make them text first
        text = text.map(lambda v: v if v is None else str(v)).astype(object)
    text = text.str.strip()
    whole = text.str.endswith(".0").fillna(False).to_numpy(bool)
    if whole.any():  # only those cells: the regex is the costly part
        text[whole] = text[whole].str.replace(r"^(\d+)\.0$", r"\1", regex=True)
    return text.where(text.notna() & (text != ""), None)


def _flag(prepared: Prepared, bad: set, rows: pd.Series, mask, column: str, reason,
          *, warning: bool = False) -> None:
    """A problem for every row where ``mask`` holds; ``reason`` may be a Series."""
    mask = np.asarray(mask, dtype=bool)
    reasons = reason[mask] if isinstance(reason, pd.Series) else [reason] * int(mask.sum())
    for n, text in zip(rows[mask], reasons, strict=True):
        note_problem(prepared, n, column, text, warning=warning)
        if not warning:
            bad.add(int(n))


def _households(rows: pd.DataFrame, prepared: Prepared, store, as_of: date) -> None:
    """Checked column by column (vectorised: a million rows take seconds)."""
    grids = store.read("grids")
    shapes = grids.set_index("grid_id").geometry
    existing = store.read("households")
    by_id_number = existing.drop_duplicates("id_number").set_index("id_number")["household_id"]
    old = existing.set_index("household_id")
    prepared.progress(0.1, f"checking {len(rows):,} rows")
    number = rows["_row"].reset_index(drop=True)
    rows = rows.reset_index(drop=True)
    cell = {c: (_texts(rows[c]) if c in rows else pd.Series([None] * len(rows), dtype=object))
            for c in ("household_id", "head_name", "id_number", "phone", "address",
                      "grid_id", "tier", "categories", "members", "lon", "lat")}
    bad: set[int] = set()
    for column in REQUIRED["households"]:
        _flag(prepared, bad, number, cell[column].isna(), column, "empty")
    # ID numbers: kept as text, 18 characters, check digit.
    ids = cell["id_number"].str.upper()
    raw = rows["id_number"] if "id_number" in rows else pd.Series([None] * len(rows))
    numeric = raw.map(lambda v: isinstance(v, float | np.floating) or (
        isinstance(v, int | np.integer) and len(str(v)) > 15)).to_numpy(bool)
    _flag(prepared, bad, number, numeric, "id_number",
          "stored as a number, so digits were lost: format the column as text")
    shaped = ids.str.fullmatch(r"\d{17}[\dX]").fillna(False).to_numpy(bool) & ~numeric
    _flag(prepared, bad, number, ids.notna().to_numpy() & ~numeric & ~shaped, "id_number",
          ids.map(lambda v: f"{v!r} is not 18 characters (17 digits and a digit or X)"))
    check_ok = np.zeros(len(rows), dtype=bool)
    if shaped.any():
        digits = (np.frombuffer("".join(ids[shaped].str[:17]).encode(), dtype=np.uint8)
                  .reshape(-1, 17).astype(int) - 48)
        expected = np.array(list(_ID_CHECK))[(digits @ np.array(_ID_WEIGHTS)) % 11]
        check_ok[shaped] = expected == ids[shaped].str[17].to_numpy()
    _flag(prepared, bad, number, shaped & ~check_ok, "id_number",
          ids.map(lambda v: f"{v!r} fails its check digit"))
    # Tiers, categories, members.
    lookup = {header_key(n): k for k, names in TIER_WORDS.items() for n in names}
    keys = cell["tier"].str.replace(" ", "", regex=False).str.replace("\u3000", "",
                                                                       regex=False).str.lower()
    tier = keys.map(lookup).astype(object)
    tier = tier.where(tier.notna(), None)
    _flag(prepared, bad, number, cell["tier"].notna().to_numpy() & tier.isna().to_numpy(),
          "tier", cell["tier"].map(lambda v: f"{v!r} is not a tier (红/橙/黄/绿, "
                                   "red/orange/yellow/green or 1-4)"))
    parts = cell["categories"].fillna("").str.split(r"[;；,，、/\s]+", regex=True)
    parts = parts.map(lambda items: [c for c in items if c])
    unknown = parts.map(lambda items: [c for c in items
                                       if c not in schema.HOUSEHOLD_CATEGORIES])
    _flag(prepared, bad, number, unknown.map(bool).to_numpy(bool), "categories",
          unknown.map(lambda u: f"unknown categories {u}; allowed: "
                      f"{', '.join(schema.HOUSEHOLD_CATEGORIES)}"))
    categories = parts.map(lambda items: schema.CATEGORY_SEPARATOR.join(items) or None)
    members = pd.to_numeric(cell["members"], errors="coerce")
    members_bad = cell["members"].notna() & (members.isna() | (members % 1 != 0)
                                             | (members < 1) | (members > 30))
    _flag(prepared, bad, number, members_bad.to_numpy(), "members",
          cell["members"].map(lambda v: f"{v!r} is not a number of members 1-30"))
    members = members.fillna(1)
    # Where it lives: its coordinates, else its grid's representative point.
    lon = pd.to_numeric(cell["lon"], errors="coerce")
    lat = pd.to_numeric(cell["lat"], errors="coerce")
    given = (cell["lon"].notna() & cell["lat"].notna()).to_numpy()
    not_numbers = given & (lon.isna() | lat.isna()).to_numpy()
    _flag(prepared, bad, number, not_numbers, "lon",
          cell["lon"].str.cat(cell["lat"].fillna(""), sep=", ").map(
              lambda v: f"{v!r} are not coordinates"))
    has_point = given & ~not_numbers
    points = np.full(len(rows), None, dtype=object)
    points[has_point] = shapely.points(lon[has_point].to_numpy(), lat[has_point].to_numpy())
    grid = cell["grid_id"].copy()
    unknown_grid = grid.notna().to_numpy() & ~grid.isin(shapes.index).to_numpy()
    _flag(prepared, bad, number, unknown_grid, "grid_id",
          grid.map(lambda v: f"no grid {v!r} in the store"))
    grid[unknown_grid] = None
    locate = has_point & grid.isna().to_numpy() & ~unknown_grid
    if locate.any():  # by location; on a shared edge, the first grid by id: exactly one
        tree = shapely.STRtree(shapes.values)
        which, hit = tree.query(points[locate], predicate="covered_by")
        names = pd.Series(shapes.index.to_numpy()[hit], index=which).groupby(level=0).min()
        found = pd.Series(names.reindex(range(int(locate.sum()))).to_numpy(), dtype=object)
        grid[np.flatnonzero(locate)] = found.where(found.notna(), None).to_numpy()
        nowhere = np.zeros(len(rows), dtype=bool)
        nowhere[np.flatnonzero(locate)] = found.isna().to_numpy()
        _flag(prepared, bad, number, nowhere, "grid_id",
              "empty, and the point lies in no grid")
    no_place = grid.isna().to_numpy() & ~has_point & ~unknown_grid
    _flag(prepared, bad, number, no_place & cell["grid_id"].isna().to_numpy(), "grid_id",
          "empty, and there are no coordinates")
    placed = grid.notna().to_numpy()
    approximate = placed & ~has_point
    centres = shapes.representative_point()
    points[approximate] = centres.reindex(grid[approximate]).to_numpy()
    _flag(prepared, bad, number, approximate, "lon",
          "no coordinates: placed at its grid's centre and flagged approximate", warning=True)
    check = placed & has_point
    outside = np.zeros(len(rows), dtype=bool)
    if check.any():
        outside[check] = ~shapely.covers(shapes.reindex(grid[check]).to_numpy(),
                                         points[check])
    _flag(prepared, bad, number, outside, "lon",
          grid.map(lambda v: f"the point lies outside its grid {v}"), warning=True)
    prepared.progress(0.6, "checked; matching existing households")
    frame = pd.DataFrame({
        "household_id": cell["household_id"], "head_name": cell["head_name"],
        "id_number": ids, "phone": cell["phone"], "address": cell["address"],
        "grid_id": grid, "tier": tier, "categories": categories,
        "members": members.astype(int), "geometry": points,
        "location_quality": np.where(approximate, "approximate", "exact"), "_row": number})
    frame = frame[~frame["_row"].isin(bad)]
    # Ids: given, or the existing household with that ID number, or a stable new one.
    given = frame["household_id"].notna()
    _duplicates(prepared, frame.loc[given, "household_id"], frame.loc[given, "_row"],
                "household_id")
    _duplicates(prepared, frame["id_number"], frame["_row"], "id_number")
    known = frame["id_number"].map(by_id_number)
    derived = "H" + frame["id_number"].map(
        lambda v: hashlib.sha1(v.encode()).hexdigest()[:12].upper())
    frame["household_id"] = frame["household_id"].fillna(known).fillna(derived)
    if prepared.errors:
        return
    is_new = ~frame["household_id"].isin(old.index)
    frame["alias"] = frame["household_id"].map(old["alias"])
    frame.loc[is_new, "alias"] = _new_aliases(existing["alias"], int(is_new.sum()))
    since = pd.Timestamp(as_of)
    frame["tier_since"] = frame["household_id"].map(old["tier_since"]).fillna(since)
    previous = frame["household_id"].map(old["tier"])
    changed = previous.notna() & (previous != frame["tier"])
    frame.loc[changed, "tier_since"] = since
    frame["registered_grid_id"] = frame["household_id"].map(old["registered_grid_id"])
    frame["warning_level"] = frame["household_id"].map(old["warning_level"]).fillna(0)
    households = schema.conform("households", gpd.GeoDataFrame(frame, geometry="geometry",
                                                               crs=schema.CRS))
    history = frame[is_new | changed]
    prepared.frames["households"] = households
    prepared.frames["tier_changes"] = schema.conform("tier_changes", pd.DataFrame({
        "household_id": history["household_id"], "changed_at": since,
        "from_tier": previous[is_new | changed].where(changed[is_new | changed]),
        "to_tier": history["tier"], "reason": f"imported from {prepared.file}",
        "changed_by": "import"}))


def _new_aliases(taken: pd.Series, n: int) -> list[str]:
    """Pseudonyms for new households, the same for the same file and store (seeded by
    how many are taken), so a repeated check shows the same ones."""
    return new_aliases(taken, n, np.random.default_rng(len(set(taken))))


def _workers(rows: pd.DataFrame, prepared: Prepared, store, as_of: date) -> None:
    """Workers, and their grid (主责 or 协助) when the file names one."""
    grids = set(store.read("grids", columns=["grid_id"])["grid_id"])
    known = set(store.read("workers", columns=["worker_id"])["worker_id"])
    assignments = store.read("assignments")
    primary_of = assignments[assignments["role"] == "primary"].set_index("grid_id")[
        "worker_id"]
    in_file = {cell_text(v) for v in rows["worker_id"]} if "worker_id" in rows else set()
    out, links = [], []
    for record in rows.to_dict(orient="records"):
        n = record["_row"]
        ok = _filled(prepared, record, "workers")
        kind = _word(record.get("kind"), KIND_WORDS)
        if cell_text(record.get("kind")) and kind is None:
            note_problem(prepared, n, "kind", f"{record.get('kind')!r} is not 专职/兼职/志愿者")
            ok = False
        capacity = cell_text(record.get("capacity"))
        default = {"full_time": 1.0, "part_time": 0.4, "volunteer": 0.5}.get(kind, 1.0)
        try:
            capacity = float(capacity) if capacity else default
        except ValueError:
            note_problem(prepared, n, "capacity", f"{capacity!r} is not a number")
            ok = False
        chief = cell_text(record.get("chief_id"))
        if chief and chief not in known | in_file:
            note_problem(prepared, n, "chief_id", f"no worker {chief!r} in the store or the file")
            ok = False
        worker, grid = cell_text(record.get("worker_id")), cell_text(record.get("grid_id"))
        if grid:
            role = (_word(record.get("role"), ROLE_WORDS) if cell_text(record.get("role")) else
                    "primary" if kind == "full_time" else "backup")
            if role is None:
                note_problem(prepared, n, "role", f"{record.get('role')!r} is not 主责/协助")
                ok = False
            elif grid not in grids:
                note_problem(prepared, n, "grid_id", f"no grid {grid!r} in the store")
                ok = False
            elif role == "primary" and primary_of.get(grid, worker) != worker:
                note_problem(prepared, n, "grid_id", f"grid {grid} already has the primary worker "
                         f"{primary_of[grid]}: import this one as 协助, or rebalance")
                ok = False
            else:
                links.append({"worker_id": worker, "grid_id": grid, "role": role})
        if ok:
            out.append({"worker_id": worker, "name": cell_text(record["name"]), "kind": kind,
                        "capacity": capacity, "chief_id": chief, "_row": n})
    frame = pd.DataFrame(out)
    if frame.empty:
        return
    _duplicates(prepared, frame["worker_id"], frame["_row"], "worker_id")
    if not prepared.errors:
        prepared.frames["workers"] = schema.conform("workers", frame)
        if links:
            prepared.frames["assignments"] = schema.conform("assignments",
                                                            pd.DataFrame(links))


def _visits(rows: pd.DataFrame, prepared: Prepared, store, as_of: date) -> None:
    households = set(store.read("households", columns=["household_id"])["household_id"])
    workers = set(store.read("workers", columns=["worker_id"])["worker_id"])
    out = []
    for record in rows.to_dict(orient="records"):
        n = record["_row"]
        ok = _filled(prepared, record, "visits")
        household = cell_text(record.get("household_id"))
        worker = cell_text(record.get("worker_id"))
        if household and household not in households:
            note_problem(prepared, n, "household_id", f"no household {household!r} in the store")
            ok = False
        if worker and worker not in workers:
            note_problem(prepared, n, "worker_id", f"no worker {worker!r} in the store")
            ok = False
        when = parse_when(record.get("visited_at"))
        if cell_text(record.get("visited_at")) and when is None:
            note_problem(prepared, n, "visited_at", f"{record.get('visited_at')!r} is not a date")
            ok = False
        method = _word(record.get("method"), METHOD_WORDS)
        if cell_text(record.get("method")) and method is None:
            note_problem(prepared, n, "method", f"{record.get('method')!r} is not 上门/电话/网络/"
                     "志愿者")
            ok = False
        found_text = header_key(record.get("found_difficulty"))
        found = yes_no(found_text) if found_text else False  # empty: nothing found
        if found is None:
            note_problem(prepared, n, "found_difficulty", f"{found_text!r} is not 是/否")
            ok = False
        if ok:
            visit_id = cell_text(record.get("visit_id")) or "V" + hashlib.sha1(
                f"{household}|{worker}|{when}|{method}".encode()).hexdigest()[:12].upper()
            out.append({"visit_id": visit_id, "household_id": household, "worker_id": worker,
                        "visited_at": when, "method": method,
                        "note": cell_text(record.get("note")), "found_difficulty": found,
                        "_row": n})
    frame = pd.DataFrame(out)
    if frame.empty:
        return
    _duplicates(prepared, frame["visit_id"], frame["_row"], "visit_id")
    if not prepared.errors:
        prepared.frames["visits"] = schema.conform("visits", frame)


def commit(store, prepared: Prepared, *, by: str, progress=None) -> str:
    """Write a prepared import, all or nothing; returns the import's id (for undo)."""
    if prepared.errors:
        raise ValidationError(f"{len(prepared.errors)} errors in {prepared.file}; nothing "
                              f"written. First: {prepared.errors[0]}", source=prepared.file)
    if not prepared.frames:
        raise ValidationError("nothing to import", source=prepared.file)
    return store.import_rows(prepared.frames, source=prepared.file, by=by, progress=progress)
