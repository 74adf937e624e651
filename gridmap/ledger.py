"""The ledger (台账) for meetings: an Excel workbook per community or grid, one sheet per
tier, Chinese headers. Personal fields (head's name, ID number, phone, address) go in
only for a role allowed to see them; otherwise the household is known by its alias."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from gridmap import schema
from gridmap.coverage import responsible
from gridmap.i18n import label, t

COLUMNS = ("alias", "categories", "tier", "grid", "last_visit", "due", "days_overdue",
           "worker")
PERSONAL = ("head_name", "id_number", "phone", "address")


def ledger_sheets(households: pd.DataFrame, status: pd.DataFrame, grids: pd.DataFrame,
                  workers: pd.DataFrame, assignments: pd.DataFrame, helpers: pd.DataFrame, *,
                  personal: bool, lang: str = "zh") -> dict[str, pd.DataFrame]:
    """Sheet name -> table, red to green. ``status`` is ``coverage.household_status`` for
    ``households`` (same order)."""
    who = responsible(households, assignments, helpers).to_numpy()
    names = workers.set_index("worker_id")["name"]
    table = pd.DataFrame({
        "alias": households["alias"].to_numpy(),
        "categories": households["categories"].fillna("").to_numpy(),
        "tier": households["tier"].to_numpy(),
        "grid": households["grid_id"].map(grids.set_index("grid_id")["name"]).to_numpy(),
        "last_visit": pd.to_datetime(status["last_visit"]).dt.date.to_numpy(),
        "due": pd.to_datetime(status["due"]).dt.date.to_numpy(),
        "days_overdue": status["days_overdue"].to_numpy(),
        "worker": names.reindex(who).to_numpy(),
    })
    if personal:
        for column in PERSONAL:
            table[column] = households[column].to_numpy()
    table = table.sort_values(["grid", "due"], kind="stable")
    sheets = {}
    for tier in schema.TIERS:
        part = table[table["tier"] == tier].copy()
        part["tier"] = part["tier"].map(lambda v: label(v, lang))
        sheets[label(tier, lang)] = part.rename(
            columns={c: t(f"ledger.col.{c}", lang) for c in part.columns})
    return sheets


def write_xlsx(sheets: dict[str, pd.DataFrame], out: str | Path | io.BytesIO) -> None:
    """The workbook: one sheet per entry, header bold and frozen, columns sized to fit."""
    from openpyxl.styles import Font

    with pd.ExcelWriter(out, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
            sheet = writer.sheets[name]
            sheet.freeze_panes = "A2"
            for cell in sheet[1]:
                cell.font = Font(bold=True)
            for i, column in enumerate(frame.columns, start=1):
                width = max([len(str(column))] + [len(str(v)) for v in frame[column].head(200)])
                sheet.column_dimensions[sheet.cell(1, i).column_letter].width = min(
                    4 + 1.6 * width, 60)


def ledger_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(sheets, buffer)
    return buffer.getvalue()
