"""Streamlit side of /import: the adjustable column mapping and the problem list, with
schema columns by their labels (户主姓名, not head_name)."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from gridmap.i18n import MESSAGES, t
from gridmap.io import boundaries, importing, spreadsheet
from gridmap.reasons import reason_text
from pages.shared import common as ui

SHOWN_PROBLEMS = 200  # listed in full (reasons wrap, nothing cut off); the rest downloaded


def field(column: str, lang: str, kind: str) -> str:
    """A schema column by its label (户主姓名, not head_name), ``kind``'s own if it has one."""
    for key in (f"import.field.{kind}.{column}", f"import.field.{column}"):
        if key in MESSAGES:
            return t(key, lang)
    return column or t("import.field.none", lang)


def mapping_editor(prepared, kind: str, name: str, spatial: bool, lang: str) -> None:
    """The mapping, adjustable (file header -> schema column), applied on a click and
    saved as a file for next time."""
    st.subheader(t("import.mapping", lang))
    columns = ["", *(boundaries.HEADERS if spatial else importing.HEADERS)[kind]]
    table = pd.DataFrame({"header": list(prepared.mapping),
                          "column": list(prepared.mapping.values())})
    changed = st.data_editor(
        table, hide_index=True, width="stretch", num_rows="dynamic",
        column_config={"header": st.column_config.TextColumn(t("import.header", lang)),
                       "column": st.column_config.SelectboxColumn(
                           t("import.column", lang), options=columns,
                           format_func=lambda c: field(c, lang, kind))},
        key=f"gridmap.import.editor.{kind}.{name}")
    new_mapping = {h: c for h, c in zip(changed["header"], changed["column"], strict=True)
                   if h and c}
    a, b = st.columns(2)
    if a.button(t("import.apply_mapping", lang)):
        st.session_state[f"gridmap.import.edited.{kind}.{name}"] = new_mapping
        st.rerun()
    b.download_button(t("import.save_mapping", lang),
                      json.dumps(prepared.mapping, ensure_ascii=False, indent=1),
                      file_name=f"mapping-{kind}.json", mime="application/json")


def problems(prepared, kind: str, lang: str) -> None:
    """Every problem by row and column, in the page's language; past ``SHOWN_PROBLEMS``
    the rest as a download."""
    if not prepared.problems:
        return
    report = prepared.report()
    report["reason"] = [reason_text(r, lang) for r in report["reason"]]
    report["column"] = report["column"].map(lambda c: field(c, lang, kind))
    shown = ui.labelled(report.drop(columns="file"), lang)
    if len(report) > SHOWN_PROBLEMS:
        st.caption(t("import.more_problems", lang, n=f"{len(report):,}", shown=SHOWN_PROBLEMS))
        st.download_button(t("import.download_problems", lang),
                           spreadsheet.csv_text(ui.labelled(report, lang)).encode("utf-8-sig"),
                           file_name=f"problems-{kind}.csv", mime="text/csv")
    st.table(shown.head(SHOWN_PROBLEMS).set_index(shown.columns[0]))
