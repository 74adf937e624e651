"""Values as the SQL backends store and bind them (dates as ISO text)."""

from __future__ import annotations

import pandas as pd

DATETIME, DATE = "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"


def sql_value(kind: str, value):
    """One value of a column of ``kind`` as it is bound in SQL."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if kind == "datetime":
        return pd.Timestamp(value).strftime(DATETIME)
    if kind == "date":
        return pd.Timestamp(value).strftime(DATE)
    if kind == "bool":
        return bool(value)
    if kind == "int":
        return int(value)  # numpy ints would be bound as 8-byte blobs
    if kind == "float":
        return float(value)
    return str(value)
