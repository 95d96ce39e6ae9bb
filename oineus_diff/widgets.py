"""A live view of an optimisation in a notebook: data, diagrams with descent arrows, loss.

Frames are drawn by the Rust core (plotters into PNG, about 10 ms for 10^4 points and 10^3
arrows) and shown in a single output area that is replaced in place: an ipywidgets ``Image``
when ipywidgets is installed, otherwise an IPython display handle. Outside a Jupyter kernel
nothing is displayed, but the loss history is recorded and :meth:`OptimizationMonitor.save`
writes the latest frame.
"""

from __future__ import annotations

import math
import numbers
import os
import time
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

import numpy as _np
import torch as _torch

from oineus_diff import _core
from oineus_diff.persistence import PersistenceDiagrams

__all__ = ["OptimizationMonitor"]

# Frames are sized from ``figsize`` (inches) at this many pixels per inch.
_DPI = 100
_DEFAULT_FIGSIZE = (12.0, 4.0)
# Caps on the arrows one frame draws: the K largest by norm.
_MAX_DATA_ARROWS = 1000
_DIAGRAM_ARROW_THRESHOLD = 1000
_DIAGRAM_ARROW_CAP = 200

# The clock the throttle reads (a module attribute so that tests can drive it).
_now = time.monotonic


class MonitorHistory(NamedTuple):
    """The recorded steps and losses, one entry per :meth:`OptimizationMonitor.update`."""

    steps: list[int]
    losses: list[float]


def _check_positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, _np.integer)):
        raise TypeError(f"{name} must be a positive int; got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be a positive int; got {value}")
    return int(value)


def _check_interval(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"min_interval must be a number of seconds; got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"min_interval must be a finite number ≥ 0; got {value}")
    return value


def _check_figsize(figsize: Any) -> tuple[int, int]:
    if figsize is None:
        figsize = _DEFAULT_FIGSIZE
    try:
        width, height = figsize
    except (TypeError, ValueError):
        raise TypeError(f"figsize must be a (width, height) pair in inches; got {figsize!r}") from None
    sides = []
    for side in (width, height):
        if isinstance(side, bool) or not isinstance(side, numbers.Real):
            raise TypeError(f"figsize must hold numbers; got {figsize!r}")
        pixels = round(float(side) * _DPI) if math.isfinite(side) else -1
        if not 64 <= pixels <= 8192:
            raise ValueError(f"figsize sides must lie in 0.64 … 81.92 inches; got {figsize!r}")
        sides.append(pixels)
    return sides[0], sides[1]


def _check_dims(dims: Any) -> tuple[int, ...] | None:
    if dims is None:
        return None
    if isinstance(dims, (int, _np.integer)) and not isinstance(dims, bool):
        dims = (dims,)
    if not isinstance(dims, Iterable):
        raise TypeError(f"dims must be None, an int or an iterable of ints; got {type(dims).__name__}")
    out = []
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, (int, _np.integer)):
            raise TypeError(f"dims entries must be ints; got {type(d).__name__}")
        if d < 0:
            raise ValueError(f"dims entries must be non-negative; got {d}")
        out.append(int(d))
    return tuple(sorted(set(out)))


def _loss_value(loss: Any) -> float:
    if isinstance(loss, _torch.Tensor):
        if loss.numel() != 1 or loss.ndim > 1:
            raise ValueError(
                f"loss must be a number or a 0-d tensor; got a tensor of shape {tuple(loss.shape)}"
            )
        return float(loss.detach().to("cpu", _torch.float64).reshape(()))
    if isinstance(loss, _np.ndarray) and loss.ndim == 0:
        return float(loss)
    if isinstance(loss, bool) or not isinstance(loss, numbers.Real):
        raise TypeError(f"loss must be a float or a 0-d tensor; got {type(loss).__name__}")
    return float(loss)


def _numpy_copy(value: Any, name: str) -> _np.ndarray:
    """Return a detached float64 CPU copy of a tensor or array (no graph, no device memory)."""
    if isinstance(value, _torch.Tensor):
        if value.is_complex():
            raise TypeError(f"{name} must be real, got dtype {value.dtype}")
        return _np.ascontiguousarray(value.detach().to("cpu", _torch.float64).numpy(), dtype=_np.float64)
    if isinstance(value, _np.ndarray):
        if value.dtype == object or _np.iscomplexobj(value):
            raise TypeError(f"{name} must have a real numeric dtype, got numpy dtype {value.dtype}")
        return _np.array(value, dtype=_np.float64, order="C")
    raise TypeError(f"{name} must be a torch.Tensor or numpy.ndarray, got {type(value).__name__}")


def _data_kind(data: _np.ndarray) -> str:
    if data.ndim == 1:
        return "signal"
    if data.ndim == 2 and data.shape[1] in (2, 3):
        return "points"
    if data.ndim == 2:
        return "field"
    raise ValueError(
        "data must be a point cloud (n, 2) or (n, 3), a 2-D field or a 1-D signal; "
        f"got shape {tuple(data.shape)}"
    )


def _top_k_rows(arrows: _np.ndarray, k: int) -> _np.ndarray:
    """Set all but the ``k`` rows of largest norm to NaN (rows already NaN stay NaN)."""
    norms = _np.linalg.norm(arrows, axis=1)
    norms = _np.where(_np.isfinite(norms), norms, -1.0)
    if int((norms >= 0).sum()) <= k:
        return arrows
    keep = _np.argsort(-norms, kind="stable")[:k]
    out = _np.full_like(arrows, _np.nan)
    out[keep] = arrows[keep]
    return out


def _diagram_arrows(points: _np.ndarray, gradient: _np.ndarray) -> _np.ndarray:
    """Descent arrows by the rules of ``plot_diagram_gradient``; NaN rows are not drawn."""
    arrows = -gradient
    finite_birth = _np.isfinite(points[:, 0])
    finite_death = _np.isfinite(points[:, 1])
    # An essential point moves only along its infinity line.
    arrows[~finite_death, 1] = 0.0
    arrows[~finite_birth, 0] = 0.0
    drawable = _np.isfinite(arrows).all(axis=1) & (finite_birth | finite_death)
    drawable &= ~_np.isnan(points).any(axis=1)
    arrows[~drawable] = _np.nan
    return arrows


def _stored_grad(tensor: Any) -> Any:
    if not isinstance(tensor, _torch.Tensor):
        return None
    if not tensor.is_leaf and not tensor.retains_grad:
        return None
    return tensor.grad


class OptimizationMonitor:
    """Watch an optimisation live: the data, the diagrams with descent arrows, and the loss.

    One figure with three panels is updated in place inside a Jupyter kernel: (1) the data, a
    2-D point cloud as a scatter (3-D clouds on 3-D axes), a 2-D field as an image or a 1-D
    signal as a line, with descent arrows (−``data_grad``) on points and signals and red/blue
    marks where a descent step raises/lowers a field; (2) the diagrams of ``dims`` with
    descent arrows by the rules of :func:`plot_diagram_gradient`; (3) the loss against the step.

    Parameters
    ----------
    every : int, default 1
        Redraw only at steps divisible by ``every``.
    min_interval : float, default 0.2
        And only when at least this many seconds passed since the last redraw.
    dims : int or iterable of int, optional
        The diagram dimensions to show (default: all given).
    log_loss : bool, default False
        Plot log10 of the loss, when all recorded losses are positive.
    figsize : (float, float), optional
        Frame size in inches at 100 pixels per inch; default (12, 4).

    Raises
    ------
    TypeError, ValueError
        For parameters of the wrong type or out of range.

    Notes
    -----
    Every :meth:`update` records the loss and keeps detached CPU copies of what it was given,
    so no autograd graph or device memory is retained; CUDA tensors are accepted. Frames are
    rendered by the Rust core. In a Jupyter kernel, an ipywidgets ``Image`` (or, without
    ipywidgets, an IPython display handle) shows the latest frame in one output area; outside
    a kernel, or if displaying fails, nothing is shown and nothing is raised.

    **Gradients.** The monitor only reads gradients computed before (each diagram tensor's
    retained ``.grad``, or ``gradients``, and ``data_grad``); it never calls ``backward``.

    Examples
    --------
    >>> import torch, oineus_diff as od
    >>> pts = torch.randn(40, 2, dtype=torch.float64, requires_grad=True)
    >>> with od.OptimizationMonitor(dims=(1,), min_interval=0.0) as mon:
    ...     for step in range(3):
    ...         dgms = od.persistence_diagram(od.vr_filtration(pts, max_dim=2))
    ...         dgms[1].retain_grad()
    ...         loss = -(dgms[1][:, 1] - dgms[1][:, 0]).sum()
    ...         loss.backward()
    ...         mon.update(step, loss, diagrams=dgms, data=pts, data_grad=pts.grad)
    >>> mon.history.steps, mon.latest_frame[1:4]
    ([0, 1, 2], b'PNG')
    """

    def __init__(
        self,
        every: int = 1,
        min_interval: float = 0.2,
        dims: int | Iterable[int] | None = None,
        log_loss: bool = False,
        figsize: tuple[float, float] | None = None,
    ) -> None:
        self._every = _check_positive_int(every, "every")
        self._min_interval = _check_interval(min_interval)
        self._dims = _check_dims(dims)
        if not isinstance(log_loss, (bool, _np.bool_)):
            raise TypeError(f"log_loss must be a bool; got {type(log_loss).__name__}")
        self._log_loss = bool(log_loss)
        self._width, self._height = _check_figsize(figsize)
        self._steps: list[int] = []
        self._losses: list[float] = []
        self._state: dict[str, Any] = {}
        self._latest_png: bytes | None = None
        self._drawn_step: int | None = None
        self._last_draw = -math.inf
        self._n_frames = 0
        self._view: Any = None
        self._display_failed = False

    # -- public surface -------------------------------------------------------------------

    @property
    def history(self) -> MonitorHistory:
        """The recorded (steps, losses), as copies."""
        return MonitorHistory(list(self._steps), list(self._losses))

    @property
    def latest_frame(self) -> bytes | None:
        """The PNG bytes of the latest frame, or ``None`` before the first redraw."""
        return self._latest_png

    @property
    def n_frames(self) -> int:
        """How many frames have been rendered."""
        return self._n_frames

    def update(
        self,
        step: int,
        loss: Any,
        *,
        diagrams: PersistenceDiagrams | Mapping[int, Any] | None = None,
        gradients: Mapping[int, Any] | None = None,
        data: Any = None,
        data_grad: Any = None,
    ) -> None:
        """Record one step and redraw if the throttle allows.

        Parameters
        ----------
        step : int
            The step number (the x axis of the loss panel).
        loss : float or 0-d tensor
            The loss at this step.
        diagrams : PersistenceDiagrams or dict {dim: tensor}, optional
            The diagrams to show; each one's retained ``.grad`` gives its descent arrows.
        gradients : dict {dim: array or tensor}, optional
            Explicit diagram gradients, winning over ``.grad``.
        data : tensor or array, optional
            (n, 2) or (n, 3) points, a 2-D field or a 1-D signal.
        data_grad : tensor or array, optional
            The gradient of the loss with respect to ``data`` (same shape).

        Raises
        ------
        TypeError, ValueError
            For arguments of the wrong type or shape.
        """
        if isinstance(step, bool) or not isinstance(step, (int, _np.integer)):
            raise TypeError(f"step must be an int; got {type(step).__name__}")
        step = int(step)
        value = _loss_value(loss)
        state = self._copy_state(diagrams, gradients, data, data_grad)
        self._steps.append(step)
        self._losses.append(value)
        self._state = state
        self._state["step"] = step
        if step % self._every == 0 and _now() - self._last_draw >= self._min_interval:
            self._redraw()

    def close(self) -> None:
        """Draw the final state (if it has not been drawn yet)."""
        if self._steps and self._drawn_step != self._steps[-1]:
            self._redraw()
        elif self._latest_png is None:
            self._redraw()

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the latest frame as a PNG file, rendering the current state if none exists.

        Parameters
        ----------
        path : str or os.PathLike
            The file to write.
        """
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or os.PathLike; got {type(path).__name__}")
        png = self._latest_png
        if png is None or (self._steps and self._drawn_step != self._steps[-1]):
            png = self._render()
        with open(path, "wb") as out:
            out.write(png)

    def __enter__(self) -> OptimizationMonitor:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"OptimizationMonitor(every={self._every}, min_interval={self._min_interval}, "
            f"dims={self._dims}, steps recorded={len(self._steps)}, frames={self._n_frames})"
        )

    def _repr_png_(self) -> bytes | None:
        return self._latest_png

    # -- internals --------------------------------------------------------------------------

    def _copy_state(self, diagrams: Any, gradients: Any, data: Any, data_grad: Any) -> dict[str, Any]:
        state: dict[str, Any] = {"diagrams": [], "data": None}
        if data is not None:
            array = _numpy_copy(data, "data")
            kind = _data_kind(array)
            arrows = None
            if data_grad is not None:
                grad = _numpy_copy(data_grad, "data_grad")
                if grad.shape != array.shape:
                    raise ValueError(
                        f"data_grad must have the shape of data {tuple(array.shape)}; got {tuple(grad.shape)}"
                    )
                arrows = -grad
                if kind == "points":
                    arrows = _top_k_rows(arrows, _MAX_DATA_ARROWS)
            state["data"] = (kind, array, arrows)
        elif data_grad is not None:
            raise ValueError("data_grad was given without data")
        if diagrams is not None:
            state["diagrams"] = self._copy_diagrams(diagrams, gradients)
        elif gradients is not None:
            raise ValueError("gradients were given without diagrams")
        return state

    def _copy_diagrams(self, diagrams: Any, gradients: Any) -> list[tuple[int, _np.ndarray, Any]]:
        if isinstance(diagrams, PersistenceDiagrams):
            raw = {d: diagrams[d] for d in diagrams}
        elif isinstance(diagrams, Mapping):
            raw = dict(diagrams)
        else:
            raise TypeError(
                "diagrams must be a PersistenceDiagrams or a dict {dim: tensor}; "
                f"got {type(diagrams).__name__}"
            )
        if gradients is not None and not isinstance(gradients, Mapping):
            raise TypeError(
                f"gradients must be a dict {{dim: array or tensor}}; got {type(gradients).__name__}"
            )
        for d in raw:
            if isinstance(d, bool) or not isinstance(d, (int, _np.integer)):
                raise TypeError(f"diagrams keys must be integer dimensions; got {type(d).__name__}")
        dims = sorted(raw) if self._dims is None else list(self._dims)
        missing = [d for d in dims if d not in raw]
        if missing:
            raise ValueError(f"dims {missing} are not among the diagrams' dimensions {sorted(raw)}")
        out = []
        all_arrows = []
        for d in dims:
            points = _numpy_copy(raw[d], f"diagrams[{d}]")
            if points.ndim != 2 or points.shape[1] != 2:
                if points.size:
                    raise ValueError(f"diagrams[{d}] must have shape (n, 2); got {tuple(points.shape)}")
                points = _np.zeros((0, 2))
            source = gradients.get(d) if gradients is not None else _stored_grad(raw[d])
            arrows = None
            if source is not None:
                grad = _numpy_copy(source, f"gradients[{d}]")
                if grad.size == 0:
                    grad = _np.zeros((0, 2))
                if grad.shape != points.shape:
                    raise ValueError(
                        f"gradient for dimension {d} has {grad.shape[0]} rows "
                        f"but the diagram has {points.shape[0]}"
                    )
                arrows = _diagram_arrows(points, grad)
                all_arrows.append(arrows)
            out.append((d, points, arrows))
        # The same cap as plot_diagram_gradient: the 200 largest once 1000 arrows would overlap.
        n_arrows = sum(int(_np.isfinite(a).all(axis=1).sum()) for a in all_arrows)
        if n_arrows >= _DIAGRAM_ARROW_THRESHOLD:
            stacked = _top_k_rows(_np.concatenate(all_arrows), _DIAGRAM_ARROW_CAP)
            start = 0
            capped = []
            for d, points, arrows in out:
                if arrows is not None:
                    arrows = stacked[start : start + len(arrows)]
                    start += len(arrows)
                capped.append((d, points, arrows))
            out = capped
        return out

    def _render(self) -> bytes:
        state = self._state
        kind, data, data_arrows = state.get("data") or ("none", _np.zeros(0), None)
        diagrams = state.get("diagrams", [])
        steps = _np.asarray(self._steps, dtype=_np.float64)
        losses = _np.asarray(self._losses, dtype=_np.float64)
        finite = losses[_np.isfinite(losses)]
        log = self._log_loss and finite.size > 0 and bool((finite > 0).all())
        if self._steps:
            title = f"step {self._steps[-1]}   loss {self._losses[-1]:.6g}"
        else:
            title = "no steps recorded"
        png: bytes = _core.render_monitor_frame(
            self._width,
            self._height,
            title,
            kind,
            data,
            data_arrows,
            [d for d, _, _ in diagrams],
            [_np.ascontiguousarray(p) for _, p, _ in diagrams],
            [None if a is None else _np.ascontiguousarray(a) for _, _, a in diagrams],
            steps,
            losses,
            log,
        )
        self._latest_png = png
        self._drawn_step = self._steps[-1] if self._steps else None
        self._n_frames += 1
        return png

    def _redraw(self) -> None:
        self._render()
        self._last_draw = _now()
        self._show()

    def _show(self) -> None:
        """Show the latest frame in the kernel's output area; never raise."""
        if self._display_failed or self._latest_png is None:
            return
        try:
            if self._view is None:
                self._view = _make_view(self._latest_png)
            else:
                self._view.update(self._latest_png)
        except Exception:  # the display environment must never break a training loop
            self._display_failed = True
            self._view = None


class _WidgetView:
    """An ipywidgets Image whose value is replaced at each frame."""

    def __init__(self, png: bytes) -> None:
        import ipywidgets
        from IPython.display import display

        self._image = ipywidgets.Image(value=png, format="png")
        display(self._image)

    def update(self, png: bytes) -> None:
        self._image.value = png


class _HandleView:
    """An IPython display handle whose PNG is replaced at each frame (no ipywidgets)."""

    def __init__(self, png: bytes) -> None:
        from IPython.display import Image, display

        self._handle = display(Image(data=png, format="png"), display_id=True)

    def update(self, png: bytes) -> None:
        from IPython.display import Image

        self._handle.update(Image(data=png, format="png"))


class _NoView:
    """Outside a kernel: record only."""

    def update(self, png: bytes) -> None:
        return None


def _make_view(png: bytes) -> Any:
    try:
        from IPython import get_ipython
    except ImportError:
        return _NoView()
    shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return _NoView()
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return _HandleView(png)
    return _WidgetView(png)
