"""The few domain errors gridmap raises; pages turn them into messages."""


class GridmapError(Exception):
    """Base class of gridmap's own errors."""


class ValidationError(GridmapError, ValueError):
    """Data that does not fit the schema or the rules.

    Carries where the problem is, so the message can name file, row and column.
    """

    def __init__(self, reason: str, *, source: str | None = None,
                 row: int | None = None, column: str | None = None) -> None:
        self.reason, self.source, self.row, self.column = reason, source, row, column
        where = ", ".join(
            part for part in (
                f"file {source}" if source else "",
                f"row {row}" if row is not None else "",
                f"column {column}" if column else "",
            ) if part
        )
        super().__init__(f"{where}: {reason}" if where else reason)


class StoreError(GridmapError):
    """The store could not be opened, read or written."""


class NotFoundError(GridmapError, KeyError):
    """An id that the store does not hold."""

    def __str__(self) -> str:  # KeyError quotes its argument; we want plain text
        return str(self.args[0]) if self.args else ""
