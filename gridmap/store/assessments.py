"""Writing assessments (多维评估): appended, never changed. Takes the transaction it runs
in."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gridmap import schema
from gridmap.errors import ValidationError

if TYPE_CHECKING:
    from gridmap.store.sql import Transaction


def save_assessments(tx: Transaction, rows: pd.DataFrame) -> int:
    """Append assessments (``assessments`` columns), all or nothing; returns how many."""
    frame = schema.conform("assessments", rows)
    schema.validate("assessments", frame)
    known = {h for (h,) in tx.execute("SELECT household_id FROM households")}
    unknown = ~frame["household_id"].isin(known)
    if unknown.any():
        i = int(np.flatnonzero(unknown.to_numpy())[0])
        raise ValidationError(f"no household {frame['household_id'][i]!r}",
                              source="assessments", row=i + 1, column="household_id")
    names = schema.LAYERS["assessments"].column_names
    kinds = [schema.LAYERS["assessments"].column(n).kind for n in names]
    values = [[tx.value(k, v) for k, v in zip(kinds, row, strict=True)]
              for row in frame[names].itertuples(index=False)]
    cols = ", ".join(f'"{n}"' for n in names)
    tx.executemany(f"INSERT INTO assessments ({cols}) VALUES "
                   f"({', '.join('?' * len(names))})", values)
    return len(frame)
