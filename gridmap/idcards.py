"""Resident ID numbers (公民身份号码, GB 11643-1999): checked and read, vectorised.

An ID number has 18 characters: a 6-digit address code (its first digit 1-9), the
birth date as YYYYMMDD, a 3-digit sequence (odd for men, even for women) and a check
character, ISO 7064 MOD 11-2 over the first 17 (``0``-``9`` or ``X``). Pure functions.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
CHECK = np.array(list("10X98765432"))
_SHAPE = r"^[1-9]\d{16}[0-9X]$"


def normalise(values) -> pd.Series:
    """Trimmed, upper-case text (a lower-case ``x`` is the same check character);
    ``None`` where empty."""
    s = pd.Series(values, dtype=object)
    text = s.map(lambda v: None if v is None or (isinstance(v, float) and v != v)
                 else str(v).strip().upper(), na_action=None)
    return text.where(text.notna() & (text != ""), None)


def check_digit(first17: str) -> str:
    """The check character of the first 17 digits."""
    digits = np.frombuffer(first17.encode("ascii"), dtype=np.uint8) - ord("0")
    return str(CHECK[int(digits @ WEIGHTS) % 11])


def problems(values, *, today: date | None = None) -> pd.Series:
    """Why each ID number is not valid (``None`` where it is), same index as ``values``:
    empty, wrong shape, impossible birth date, or a wrong check character."""
    ids = normalise(values)
    ids.index = pd.Series(values).index
    reason = pd.Series(None, index=ids.index, dtype=object)
    empty = ids.isna()
    reason[empty] = "empty"
    shaped = ids.str.fullmatch(_SHAPE).fillna(False).astype(bool) & ~empty
    reason[~shaped & ~empty] = "not 18 characters: 17 digits and a digit or X"
    if not shaped.any():
        return reason.where(reason.notna(), None)
    good = ids[shaped]
    born = pd.to_datetime(good.str.slice(6, 14), format="%Y%m%d", errors="coerce")
    limit = pd.Timestamp(today or date.today())
    bad_birth = born.isna() | (born < pd.Timestamp("1900-01-01")) | (born > limit)
    reason[bad_birth[bad_birth].index] = "no such birth date in it"
    body = np.frombuffer("".join(good.str.slice(0, 17)).encode("ascii"),
                         dtype=np.uint8).reshape(len(good), 17) - ord("0")
    expected = CHECK[(body @ WEIGHTS) % 11]
    wrong = (good.str.slice(17, 18).to_numpy() != expected) & ~bad_birth.to_numpy()
    reason[good.index[wrong]] = [f"wrong check character (should be {c})"
                                 for c in expected[wrong]]
    return reason.where(reason.notna(), None)


def is_valid(number) -> bool:
    """True for one valid ID number."""
    return pd.isna(problems([number]).iloc[0])


def birth_dates(values) -> pd.Series:
    """The birth date in each (valid-shaped) ID number, ``NaT`` elsewhere."""
    ids = normalise(values)
    return pd.to_datetime(ids.str.slice(6, 14), format="%Y%m%d", errors="coerce")


def make(area_codes, births, sequences) -> np.ndarray:
    """Valid ID numbers from 6-digit area codes, birth dates and sequences (0-999)."""
    body = (pd.Series(area_codes, dtype=str).str.slice(0, 6).reset_index(drop=True)
            + pd.Series(pd.DatetimeIndex(births).strftime("%Y%m%d"))
            + pd.Series(np.asarray(sequences)).astype(str).str.zfill(3))
    n = len(body)
    if not n:
        return np.array([], dtype=object)
    digits = np.frombuffer("".join(body).encode("ascii"), dtype=np.uint8).reshape(n, 17) \
        - ord("0")
    return (body + CHECK[(digits @ WEIGHTS) % 11]).to_numpy(dtype=object)
