"""Masking personal fields and suppressing small counts, for roles without household access.

- Names: 张三 -> 张*, 欧阳明月 -> 欧阳** (a two-character surname is kept whole when
  the name has four characters).
- ID numbers: the first 4 and last 4 characters kept: 3201**********1234.
- Phones: the first 3 and last 4 digits kept: 138****5678.
- Addresses: the first 6 characters kept, the rest starred.

Small counts (1 to ``min_count - 1``) show as ``"<min_count"``, and no figure may give
one back: a share, a difference or a rank computed from a suppressed count is withheld
(``HIDDEN``), and so is a breakdown beside its total, or a total that the shown parts
could be subtracted from. Ranks: a suppressed row has none (ordered ranks among "<5"
rows would tell their counts apart), and lists put such rows in a fixed order (by
name), never by their count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

HIDDEN = "—"  # in place of a figure withheld because it would give a small count back


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


def is_small(values, min_count: int) -> np.ndarray:
    """Where a count is suppressed (from 1 to ``min_count - 1``); missing values are not."""
    numbers = pd.DataFrame(values).apply(pd.to_numeric, errors="coerce").to_numpy(float)
    small = (numbers > 0) & (numbers < min_count)
    return small if np.ndim(values) > 1 else small[:, 0]


def suppress_derived(table: pd.DataFrame, min_count: int,
                     derived: Mapping[str, Sequence[str]], *, shares: Sequence[str] = (),
                     by: str | None = None) -> pd.DataFrame:
    """``table`` for display, with no figure that gives a small count back.

    ``derived`` maps each derived column (a share, a difference, a rank) to the count
    columns it is computed from. Those counts show 1..min_count-1 as ``"<min_count"``;
    a derived figure is ``HIDDEN`` where any of its counts is suppressed. ``shares``
    (some of ``derived``) are shares of their group's total (rows with the same ``by``,
    or the whole table): in a group with any suppressed count they are hidden on every
    row, since the shown rows' shares give the total back, and the total less the
    shown counts gives the suppressed ones.
    """
    out = table.astype(object)
    sources = list(dict.fromkeys(c for columns in derived.values() for c in columns))
    small = {c: is_small(table[c], min_count) for c in sources}
    keys = table[by].to_numpy() if by else np.zeros(len(table))
    for column, counts in derived.items():
        hide = np.logical_or.reduce([small[c] for c in counts])
        if column in shares:
            hide = pd.Series(hide).groupby(keys).transform("any").to_numpy(bool)
        out[column] = out[column].mask(hide, HIDDEN)
    for column in sources:
        out[column] = out[column].mask(small[column], f"<{min_count}")
    return out


def suppress_breakdown(parts: pd.DataFrame, min_count: int) -> pd.DataFrame:
    """The parts of a shown total (e.g. households per tier beside a cell's count), for
    display: a row's parts are all ``HIDDEN`` where any of them is suppressed, since the
    total less the other parts gives it back (and even "<5" beside exact parts and the
    total narrows it to one value). Elsewhere the counts as they are."""
    out = parts.astype(object)
    out[is_small(parts, min_count).any(axis=1)] = HIDDEN
    return out
