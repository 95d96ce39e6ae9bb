"""Exception and warning classes raised by oineus_diff.

Every class derives from :class:`OineusDiffError` and from the built-in exception a caller
would expect, so ``except ValueError`` keeps working.
"""

__all__ = [
    "CellIndexError",
    "CellNotFoundError",
    "ComplexTooLargeError",
    "InternalError",
    "InvalidInputError",
    "OineusDiffError",
    "OineusDiffWarning",
]


class OineusDiffError(Exception):
    """Base class of every exception raised by oineus_diff itself."""


class InvalidInputError(OineusDiffError, ValueError):
    """An input array or parameter has an invalid value (raised by the core)."""


class CellIndexError(OineusDiffError, IndexError):
    """A cell index (sid) is out of range."""


class CellNotFoundError(OineusDiffError, KeyError):
    """No cell of the filtration has the given vertices."""


class ComplexTooLargeError(OineusDiffError, MemoryError):
    """The complex or a matrix derived from it does not fit in memory."""


class InternalError(OineusDiffError, RuntimeError):
    """A bug in the core was caught at the boundary; please report it."""


class OineusDiffWarning(UserWarning):
    """Warnings emitted by oineus_diff."""
