"""Argument checks shared by every public function.

Each check raises ``TypeError`` (wrong type or dtype) or ``ValueError`` (wrong shape or value)
naming the parameter and what was received, before any call into the core.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as _np
import torch as _torch

_LOW_PRECISION = (_torch.float16, _torch.bfloat16, _torch.float32)


def as_tensor(data: Any, name: str) -> _torch.Tensor:
    """Return ``data`` as a tensor; numpy arrays are converted, anything else is a TypeError."""
    if isinstance(data, _torch.Tensor):
        tensor = data
    elif isinstance(data, _np.ndarray):
        if data.dtype == object:
            raise TypeError(f"{name} must have a numeric dtype, got numpy dtype object")
        tensor = _torch.as_tensor(data)
    else:
        raise TypeError(f"{name} must be a torch.Tensor or numpy.ndarray, got {type(data).__name__}")
    if tensor.is_complex():
        raise TypeError(f"{name} must be real, got dtype {tensor.dtype}")
    return tensor


def filtration_dtype(tensor: _torch.Tensor) -> _torch.dtype:
    """float32 for float32/float16/bfloat16 input, float64 for everything else."""
    return _torch.float32 if tensor.dtype in _LOW_PRECISION else _torch.float64


def check_not_empty(tensor: _torch.Tensor, name: str) -> None:
    """Raise ValueError if the tensor has no entries."""
    if tensor.numel() == 0:
        raise ValueError(f"{name} is empty (shape {tuple(tensor.shape)})")


def detached_float64(tensor: _torch.Tensor, name: str) -> _np.ndarray:
    """A contiguous float64 CPU numpy copy of ``tensor``, checked for NaN and infinities."""
    array = _np.ascontiguousarray(tensor.detach().to("cpu", _torch.float64).numpy())
    bad = ~_np.isfinite(array)
    n_bad = int(bad.sum())
    if n_bad:
        first = int(_np.flatnonzero(bad)[0])
        raise ValueError(
            f"{name} must be finite; got {n_bad} NaN or infinite entries (first at flat index {first})"
        )
    return array


def check_bool(value: Any, name: str) -> bool:
    """Accept Python and numpy booleans only."""
    if not isinstance(value, (bool, _np.bool_)):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__}")
    return bool(value)


def check_int(value: Any, name: str) -> int:
    """Accept integers (not bools)."""
    if isinstance(value, (bool, _np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    return int(value)


def check_float(value: Any, name: str) -> float:
    """Accept real numbers (not bools); NaN is checked by the caller where it matters."""
    if isinstance(value, (bool, _np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    return float(value)


def check_n_threads(value: Any) -> int:
    """``None`` means 1; otherwise a positive int."""
    if value is None:
        return 1
    if isinstance(value, (bool, _np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"n_threads must be a positive integer or None, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"n_threads must be a positive integer; got {value}")
    return int(value)


def check_positive_finite(value: Any, name: str) -> float:
    """A finite float > 0."""
    number = check_float(value, name)
    if not (math.isfinite(number) and number > 0):
        raise ValueError(f"{name} must be a finite number > 0; got {number}")
    return number


def check_choice(value: Any, name: str, choices: Iterable[str]) -> str:
    """A case-insensitive string among ``choices``, returned lower-case."""
    choices = tuple(choices)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of {list(choices)}; got {type(value).__name__}")
    lowered = value.lower()
    if lowered not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}; got {value!r}")
    return lowered
