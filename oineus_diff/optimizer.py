"""Strategy enums shared by the critical-set machinery."""

from __future__ import annotations

import enum
from typing import Any

__all__ = ["ConflictStrategy", "DenoiseStrategy"]


# Extra accepted spellings, per enum class name, normalised as by `_normalise`.
_ALIASES: dict[str, dict[str, str]] = {"ConflictStrategy": {"fca": "FixCritAvg"}}


def _normalise(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


class _NamedStrategy(enum.Enum):
    @classmethod
    def _parse(cls, value: Any, name: str) -> Any:
        if isinstance(value, cls):
            return value
        aliases = _ALIASES.get(cls.__name__, {})
        if isinstance(value, str):
            key = _normalise(value)
            for member in cls:
                if _normalise(member.name) == key:
                    return member
            if key in aliases:
                return cls[aliases[key]]
        accepted = [m.name for m in cls] + list(aliases)
        raise ValueError(f"{name} must be one of {accepted} (any case) or a {cls.__name__}; got {value!r}")


class DenoiseStrategy(_NamedStrategy):
    """How ``TopologyOptimizer.simplify`` moves a point to the diagonal.

    ``BirthBirth`` moves the death to the birth, ``DeathDeath`` the birth to the death, and
    ``Midway`` both to their mean.
    """

    BirthBirth = "birth_birth"
    DeathDeath = "death_death"
    Midway = "midway"


class ConflictStrategy(_NamedStrategy):
    """How several targets for one cell are combined into one.

    ``Avg`` takes their mean; ``Max`` the target farthest from the current value (the first
    received on ties); ``Sum`` keeps every target; ``FixCritAvg`` is ``Avg`` except that a moved
    cell gets exactly its own prescribed target.
    """

    Max = "max"
    Avg = "avg"
    Sum = "sum"
    FixCritAvg = "fca"
