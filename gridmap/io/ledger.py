"""The ledger (台账) for meetings: an Excel workbook per community or grid, one sheet per
tier, Chinese headers. Personal fields (head's name, ID number, phone, address) go in
only for a role allowed to see them; otherwise the household is known by its alias."""

from __future__ import annotations

import pandas as pd

from gridmap import schema
from gridmap.i18n import label, t
from gridmap.teams import responsible

COLUMNS = ("alias", "categories", "tier", "grid", "last_visit", "due", "days_overdue",
           "worker")
PERSONAL = ("head_name", "id_number", "phone", "address")


def ledger_sheets(households: pd.DataFrame, status: pd.DataFrame, grids: pd.DataFrame,
                  workers: pd.DataFrame, assignments: pd.DataFrame, helpers: pd.DataFrame, *,
                  personal: bool, lang: str = "zh",
                  services: pd.Series | None = None) -> dict[str, pd.DataFrame]:
    """Sheet name -> table, red to green. ``status`` is ``coverage.household_status`` for
    ``households`` (same order). ``services`` (``services.services_text`` of this month,
    by household id) adds each household's services this month (issue 21)."""
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
    if services is not None:
        table["services"] = households["household_id"].map(services).fillna("").to_numpy()
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
