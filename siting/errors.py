"""Errors that the command line reports as a clear message, without a traceback."""

from __future__ import annotations

from pathlib import Path


class SitingError(Exception):
    """A problem with the user's input or setup, explained in plain words.

    The command line prints ``str(error)`` and exits with status 2; no
    traceback is shown. Say what is wrong, where, and what to do.
    """


class InputError(SitingError):
    """Bad input data, located by file, row and field where known.

    Parameters
    ----------
    message
        What is wrong.
    path
        The file that holds the bad data.
    row
        The 1-based data row (the header is not counted), if one row is at fault.
    field
        The column or key at fault.
    hint
        What the user can do about it.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        row: int | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.path = None if path is None else str(path)
        self.row = row
        self.field = field
        self.hint = hint
        where = []
        if self.path is not None:
            where.append(self.path)
        if row is not None:
            where.append(f"row {row}")
        if field is not None:
            where.append(f"field '{field}'")
        text = (": ".join([", ".join(where), message]) if where else message)
        if hint:
            text += f". {hint}"
        super().__init__(text)
