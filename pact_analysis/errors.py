"""Errors meant for the person running the pipeline: printed as one message, without a traceback."""

from __future__ import annotations

from typing import Any


class StageError(Exception):
    """A stage cannot go on; the message says why and what to do."""


class ExtractError(StageError):
    """A raw extract breaks its contract.

    Parameters
    ----------
    file : str
        The extract's file name.
    problems : list of str
        One line per problem, each naming the row(s) and the column, for example
        ``"row 17, column birth_date: '31/02/1980' is not a date"``. Rows are numbered as a
        spreadsheet shows them (the header is row 1).
    """

    def __init__(self, file: str, problems: list[str]) -> None:
        self.file = file
        self.problems = list(problems)
        shown = self.problems[:20]
        more = len(self.problems) - len(shown)
        text = f"{file}: " + "; ".join(shown) + (f"; and {more} more problems" if more > 0 else "")
        super().__init__(text)

    def __reduce__(self) -> tuple[Any, tuple[str, list[str]]]:
        """Pickled with its file and problems (raised in a worker process, it reaches the stage whole)."""
        return type(self), (self.file, self.problems)
