"""Reading survey answers for the assessment from Excel or CSV with Chinese headers.

Headers are the indicator names of the configuration (its keys work too) and 户编号
(the household id). Yes/no answers may be 是/否, 有/无, 1/0 or true/false. Every
problem is reported with its spreadsheet row (the header is row 1) and column, all
at once, so a whole file can be fixed in one go.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from gridmap.assessment import Config
from gridmap.errors import ValidationError
from gridmap.io.importing import decode_text, yes_no

HOUSEHOLD = "户编号"


@dataclass(frozen=True)
class Problem:
    row: int  # spreadsheet row: the header is row 1
    column: str
    reason: str


def read_table(source, name: str) -> pd.DataFrame:
    """A survey file as text cells: ``.xlsx`` or ``.csv`` (UTF-8, UTF-8 with BOM or GBK)."""
    raw = Path(source).read_bytes() if isinstance(source, str | Path) else source.read()
    if name.lower().endswith((".xlsx", ".xlsm")):
        try:
            return pd.read_excel(io.BytesIO(raw), dtype=object)
        except Exception as exc:  # a broken or renamed file
            raise ValidationError(f"not a readable Excel file ({exc})", source=name) from exc
    return pd.read_csv(io.StringIO(decode_text(raw, name)), dtype=object,
                       keep_default_na=False, na_values=[""])


def parse_answers(table: pd.DataFrame, config: Config, *, name: str = "survey"
                  ) -> tuple[pd.DataFrame, list[Problem]]:
    """Survey rows → answers (``household_id`` plus one column per indicator key) and
    the problems found. Rows with a problem are left out of the answers."""
    by_header = {i.name: i for i in config.indicators} | {i.key: i for i in config.indicators}
    columns = {c: by_header[str(c).strip()] for c in table.columns
               if str(c).strip() in by_header}
    household = next((c for c in table.columns if str(c).strip() in (HOUSEHOLD,
                                                                      "household_id")), None)
    missing = [i.name for i in config.indicators
               if i not in columns.values() and not i.optional]
    if household is None:
        missing.insert(0, HOUSEHOLD)
    if missing:
        raise ValidationError(f"columns missing: {', '.join(missing)}", source=name)
    problems: list[Problem] = []
    rows = []
    for n, (_, record) in enumerate(table.iterrows(), start=2):
        answers, bad = {}, []
        hid = record[household]
        if pd.isna(hid) or not str(hid).strip():
            bad.append(Problem(n, HOUSEHOLD, "empty"))
        answers["household_id"] = "" if pd.isna(hid) else str(hid).strip()
        for column, ind in columns.items():
            value, reason = _value(record[column], ind)
            if reason == "empty" and ind.optional:  # may be left blank
                reason = None
            if reason:
                bad.append(Problem(n, ind.name, reason))
            answers[ind.key] = value
        if bad:
            problems += bad
        elif any(v is not None for v in answers.values()):
            rows.append(answers)
    frame = pd.DataFrame(rows, columns=["household_id", *config.keys])
    twice = frame["household_id"].duplicated(keep="first")
    for i in frame.index[twice]:
        problems.append(Problem(0, HOUSEHOLD, f"{frame.at[i, 'household_id']} appears twice"))
    return frame[~twice].reset_index(drop=True), problems


def _value(cell, ind) -> tuple[object, str | None]:
    if cell is None or (not isinstance(cell, str) and pd.isna(cell)) or str(cell).strip() == "":
        return None, "empty"
    text = str(cell).strip()
    if ind.type == "bool":
        answer = yes_no(text)
        if answer is None:
            return None, f"{text!r} is not yes or no (是/否)"
        return answer, None
    if ind.type == "choice":
        if text in ind.values:
            return text, None
        return None, f"{text!r} is not one of {', '.join(ind.values)}"
    try:
        number = float(text.replace(",", "").replace("，", ""))
    except ValueError:
        return None, f"{text!r} is not a number"
    if number < 0:
        return None, f"{text!r} is below 0"
    return number, None


def problems_text(problems: list[Problem], name: str) -> list[str]:
    """One line per problem: 'survey.xlsx, row 5, column 劳动力状况: ...'."""
    return [f"{name}, " + (f"row {p.row}, " if p.row else "") + f"column {p.column}: {p.reason}"
            for p in problems]
