"""One error family. Each member carries the CLI exit code it maps to.

Exit codes: 0 ok, 1 findings (only with ``--fail-on-breaks``), 2 bad input or configuration.
"""

from __future__ import annotations


class MidofficeError(Exception):
    """Base of every error midoffice raises on purpose. ``exit_code`` is the CLI's."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class ConfigError(MidofficeError):
    """The configuration is missing, unreadable or inconsistent."""


class BadInputError(MidofficeError):
    """A file cannot be loaded at all: unreadable, wrong format, wrong columns."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        expected: str | None = None,
        found: str | None = None,
        hint: str | None = None,
    ) -> None:
        where = ""
        if path:
            where = f"{path}" + (f", line {line}" if line is not None else "") + ": "
        detail = ""
        if expected is not None:
            detail += f"; expected {expected}"
        if found is not None:
            detail += f"; found {found}"
        super().__init__(f"{where}{message}{detail}", hint=hint)
        self.path, self.line, self.expected, self.found = path, line, expected, found


class UnknownFormatError(BadInputError):
    """No connector recognises the file."""


class StoreError(MidofficeError):
    """The store cannot be opened or used (wrong schema version, locked, missing)."""


class StoreVersionError(StoreError):
    """The store was written by another schema version."""


class WorkflowError(MidofficeError):
    """A workflow action is not allowed (unknown break, four-eyes violation, bad state)."""


class FindingsError(MidofficeError):
    """Findings exist and the caller asked to fail on them (``--fail-on-breaks``)."""

    exit_code = 1
