"""Masking personal fields and suppressing small counts, for roles without household access.

- Names: 张三 -> 张*, 欧阳明月 -> 欧阳** (a two-character surname is kept whole when
  the name has four characters).
- ID numbers: the first 4 and last 4 characters kept: 3201**********1234.
- Phones: the first 3 and last 4 digits kept: 138****5678.
- Addresses: the first 6 characters kept, the rest starred.
"""

from __future__ import annotations

import pandas as pd


def _text(value) -> str | None:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return None
    return str(value)


def mask_name(value) -> str | None:
    text = _text(value)
    if not text:
        return text
    keep = 2 if len(text) >= 4 else 1
    return text[:keep] + "*" * (len(text) - keep)


def mask_id(value) -> str | None:
    text = _text(value)
    if not text:
        return text
    if len(text) <= 8:
        return "*" * len(text)
    return text[:4] + "*" * (len(text) - 8) + text[-4:]


def mask_phone(value) -> str | None:
    text = _text(value)
    if not text:
        return text
    if len(text) <= 7:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 7) + text[-4:]


def mask_address(value) -> str | None:
    text = _text(value)
    if not text:
        return text
    return text[:6] + "*" * max(len(text) - 6, 0)


MASKS = {"head_name": mask_name, "id_number": mask_id, "phone": mask_phone,
         "address": mask_address}


def masked(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every personal column it has masked."""
    out = frame.copy()
    for column, mask in MASKS.items():
        if column in out:
            out[column] = out[column].map(mask)
    return out


def suppress(counts: pd.DataFrame, min_count: int) -> pd.DataFrame:
    """Counts for display: 1..min_count-1 become ``"<min_count"``; 0 and larger stay."""
    shown = counts.astype(object)
    small = (counts > 0) & (counts < min_count)
    return shown.mask(small, f"<{min_count}")


def suppress_count(value, min_count: int):
    """A count for display to the public: 1..min_count-1 become ``"<min_count"``."""
    if value is None or value != value:
        return value
    return f"<{min_count}" if 0 < value < min_count else value
