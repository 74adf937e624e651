"""Importing a provider's service records (服务记录) from Excel or CSV, all or nothing.

A provider keeps its own sheet: who was served, the service, who delivered it, when and
for how long. ``prepare`` reads it the way ledgers are read (``gridmap.io.importing``:
the header row found below any title rows, Chinese headers mapped, CSV in UTF-8 or
GBK), checks every row and lists every problem with the file, spreadsheet row, column
and reason; nothing is written. ``importing.commit`` then writes the rows in one
transaction (upsert by record id, so the same file twice changes nothing the second
time), and ``python -m gridmap import undo ID`` takes it back.

Overlapping records of one staff member, and records outside any entitlement, are
imported with a warning.
"""

from __future__ import annotations

import hashlib

import pandas as pd

from gridmap import schema
from gridmap.errors import ValidationError
from gridmap.io.importing import (
    Prepared,
    cell_text,
    data_rows,
    header_key,
    note_problem,
    parse_when,
    read_cells,
)
from gridmap.services import Catalogue, load_catalogue, record_warnings

KIND = "services"
HEADERS: dict[str, tuple[str, ...]] = {
    "record_id": ("服务编号", "记录编号", "record_id"),
    "household_id": ("户编号", "家庭编号", "服务对象编号",
                     "household_id"),
    "service_id": ("服务项目", "服务内容", "服务类型", "服务",
                   "service_id", "service"),
    "provider_id": ("服务机构编号", "机构编号", "服务机构",
                    "provider_id", "provider"),
    "delivered_by": ("服务人员", "服务人", "护理员", "delivered_by"),
    "started_at": ("开始时间", "服务时间", "服务日期", "started_at"),
    "quantity": ("时长（小时）", "时长(小时)", "服务时长", "时长", "数量",
                 "quantity"),
    "scheduled_at": ("预约时间", "计划时间", "scheduled_at"),
    "note": ("备注", "服务情况", "note"),
}
REQUIRED = ("household_id", "service_id", "provider_id", "delivered_by", "started_at",
            "quantity")
MAX_HOURS = 24.0  # one record covers at most a day (24-hour care in hospital, seed 004)


def _header_row(cells: pd.DataFrame, search: int = 15) -> int:
    known = {header_key(h) for names in HEADERS.values() for h in names}
    for i in range(min(search, len(cells))):
        if sum(header_key(v) in known for v in cells.iloc[i]) >= 2:
            return i
    raise ValidationError(f"no header row found in the first {search} rows (expected "
                          "headers such as 户编号, 服务项目, 服务人员, 开始时间, "
                          "时长)")


def _mapping(headers: list[str]) -> dict[str, str]:
    by_key = {header_key(n): column for column, names in HEADERS.items() for n in names}
    mapping, taken = {}, set()
    for header in headers:
        column = by_key.get(header_key(header))
        if column and column not in taken:
            mapping[header] = column
            taken.add(column)
    return mapping


def prepare(source, name: str, *, store, catalogue: Catalogue | None = None) -> Prepared:
    """Read and check a provider's records against ``store``; nothing is written."""
    catalogue = catalogue or load_catalogue()
    cells = read_cells(source, name)
    header = _header_row(cells)
    headers, body = data_rows(cells, header, name)
    mapping = _mapping(headers)
    missing = [c for c in REQUIRED if c not in mapping.values()]
    if missing:
        raise ValidationError(f"no column for {', '.join(missing)} (headers: "
                              f"{', '.join(h for h in headers if h)})", source=name)
    prepared = Prepared(KIND, name, mapping, header + 1, rows_read=len(body))
    rows = pd.DataFrame({column: body[h] for h, column in mapping.items()})
    rows["_row"] = body.index.to_numpy() + header + 2  # the spreadsheet row
    _check(rows, prepared, store, catalogue)
    return prepared


def _service_lookup(catalogue: Catalogue) -> dict[str, str]:
    """A cell naming a service (its key, Chinese or English name) -> its key."""
    lookup = {}
    for s in catalogue.services:
        for text in (s.key, s.name, s.name_en):
            lookup[header_key(text)] = s.key
    return lookup


def _check(rows: pd.DataFrame, prepared: Prepared, store, catalogue: Catalogue) -> None:
    households = set(store.read("households", columns=["household_id"])["household_id"])
    providers = store.read("providers")
    kind_of = providers.set_index("provider_id")["kind"]
    provider_by_name = {header_key(n): i for i, n in zip(providers["provider_id"],
                                                         providers["name"], strict=True)}
    services = _service_lookup(catalogue)
    units = catalogue.units()
    existing = store.read("service_records", columns=["record_id", "recorded_by",
                                                      "recorded_at"]).set_index("record_id")
    now = pd.Timestamp.now().floor("s")
    out, first = [], {}
    for record in rows.to_dict(orient="records"):
        n, ok = record["_row"], True
        for column in REQUIRED:
            if not cell_text(record.get(column)):
                note_problem(prepared, n, column, "empty")
                ok = False
        household = cell_text(record.get("household_id"))
        if household and household not in households:
            note_problem(prepared, n, "household_id", f"no household {household!r} in the store")
            ok = False
        service_text = cell_text(record.get("service_id"))
        service = services.get(header_key(service_text)) if service_text else None
        if service_text and service is None:
            note_problem(prepared, n, "service_id", f"{service_text!r} is not a service of the "
                         "catalogue (data/services.toml)")
            ok = False
        provider_text = cell_text(record.get("provider_id"))
        provider = (provider_text if provider_text in kind_of.index
                    else provider_by_name.get(header_key(provider_text)))
        if provider_text and provider is None:
            note_problem(prepared, n, "provider_id", f"no provider {provider_text!r} in the store")
            ok = False
        elif service and provider and not catalogue.allows(service, kind_of[provider]):
            note_problem(prepared, n, "provider_id", f"a {kind_of[provider]} may not deliver "
                         f"{catalogue.service(service).name}")
            ok = False
        when = parse_when(record.get("started_at"))
        if cell_text(record.get("started_at")) and when is None:
            note_problem(prepared, n, "started_at", f"{record.get('started_at')!r} is not a "
                         "date and time")
            ok = False
        booked = parse_when(record.get("scheduled_at"))
        if cell_text(record.get("scheduled_at")) and booked is None:
            note_problem(prepared, n, "scheduled_at", f"{record.get('scheduled_at')!r} is not "
                         "a date and time")
            ok = False
        quantity = pd.to_numeric(cell_text(record.get("quantity")), errors="coerce")
        if cell_text(record.get("quantity")) and not (pd.notna(quantity) and quantity > 0):
            note_problem(prepared, n, "quantity", f"{record.get('quantity')!r} is not a "
                         "number above 0")
            ok = False
        elif service and pd.notna(quantity) and units[service] == "hours" and (
                quantity > MAX_HOURS):
            note_problem(prepared, n, "quantity", f"{quantity:g} hours: one record covers at "
                         f"most {MAX_HOURS:g}; split longer care by day")
            ok = False
        if not ok:
            continue
        who = cell_text(record["delivered_by"])
        record_id = cell_text(record.get("record_id")) or "S" + hashlib.sha1(
            f"{household}|{service}|{provider}|{when}|{who}".encode()).hexdigest()[:12].upper()
        if record_id in first:
            note_problem(prepared, n, "record_id", f"{record_id!r} repeats row {first[record_id]}")
            continue
        first[record_id] = n
        known = record_id in existing.index
        out.append({"record_id": record_id, "household_id": household, "service_id": service,
                    "provider_id": provider, "delivered_by": who, "started_at": when,
                    "quantity": float(quantity), "scheduled_at": booked,
                    "note": cell_text(record.get("note")),
                    "recorded_by": existing.at[record_id, "recorded_by"] if known
                    else f"import:{prepared.file}",
                    "recorded_at": existing.at[record_id, "recorded_at"] if known else now,
                    "_row": n})
    if prepared.errors or not out:
        return
    frame = pd.DataFrame(out)
    records = schema.conform("service_records", frame)
    found = record_warnings(records, store.read("entitlements"), catalogue)
    row_of = dict(zip(frame["record_id"], frame["_row"], strict=True))
    for record_id, warning, detail in found.itertuples(index=False):
        note_problem(prepared, row_of[record_id], "started_at" if warning == "overlap"
                     else "service_id", detail, warning=True)
    prepared.frames["service_records"] = records
