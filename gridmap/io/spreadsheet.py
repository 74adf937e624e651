"""Tables for people to open in Excel: CSV and workbooks, with no cell that can run.

A text cell that starts with ``= + - @``, a tab or a carriage return could be read by
Excel as a formula (``=HYPERLINK("http://…?x="&A1, "click")`` sends a neighbouring cell,
an ID number, anywhere). Following OWASP's CSV-injection guidance, every export path
goes through this module:

- CSV: such cells get a leading apostrophe (``inert_frame``), so they are inert text;
- Excel: such cells are stored as strings with Excel's quote prefix (``harden_sheet``),
  shown exactly as typed and never evaluated.

Numbers (negative ones too) stay numbers.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def inert_cell(value):
    """A spreadsheet cell that cannot be a formula: text starting with ``= + - @``, tab
    or carriage return gets a leading apostrophe; anything else is returned as is."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def inert_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` for CSV output with every text cell made inert (headers too).
    Numeric columns are left alone, so -3 stays the number -3."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(inert_cell)
    out.columns = [inert_cell(c) if isinstance(c, str) else c for c in out.columns]
    return out


def harden_sheet(sheet) -> None:
    """Make every text cell of an openpyxl worksheet inert: openpyxl turns a string that
    starts with '=' into a formula, and Excel would evaluate it on open. Such cells (and
    those starting with + - @ tab CR) become strings with Excel's quote prefix."""
    for row in sheet.iter_rows():
        for cell in row:
            text = cell.value
            if cell.data_type == "f" or (isinstance(text, str) and text.startswith(
                    FORMULA_START)):
                cell.value = str(text)
                cell.data_type = "s"
                cell.quotePrefix = True


def csv_text(frame: pd.DataFrame) -> str:
    """``frame`` as CSV text with every text cell inert. Lines end in CRLF (RFC 4180), so
    a carriage return inside a value is quoted rather than breaking the row."""
    return inert_frame(frame).to_csv(index=False, lineterminator="\r\n")


def write_xlsx(sheets: dict[str, pd.DataFrame], out: str | Path | io.BytesIO) -> None:
    """A workbook, one sheet per entry: header bold and frozen, columns sized to fit, no
    cell a formula."""
    from openpyxl.styles import Font

    with pd.ExcelWriter(out, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
            sheet = writer.sheets[name]
            harden_sheet(sheet)
            sheet.freeze_panes = "A2"
            for cell in sheet[1]:
                cell.font = Font(bold=True)
            for i, column in enumerate(frame.columns, start=1):
                width = max([len(str(column))] + [len(str(v)) for v in frame[column].head(200)])
                sheet.column_dimensions[sheet.cell(1, i).column_letter].width = min(
                    4 + 1.6 * width, 60)


def xlsx_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    """``write_xlsx`` into memory (for a download)."""
    buffer = io.BytesIO()
    write_xlsx(sheets, buffer)
    return buffer.getvalue()
