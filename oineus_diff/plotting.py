"""Static matplotlib plots of persistence diagrams, their gradients and matchings.

matplotlib is an optional dependency (the ``plot`` extra). It is imported on the first call of
a plotting function, never when ``oineus_diff`` is imported; without it the call raises
``ImportError`` naming matplotlib.

Every diagram argument accepts an (n, 2) numpy array or tensor (any device, ``requires_grad``
allowed: it is detached and copied to the CPU), a list of such arrays indexed by dimension, a
dict ``{dim: array}``, a list of (birth, death) pairs, or a :class:`PersistenceDiagrams`.
A single diagram is drawn as dimension 0.

Essential points (one infinite coordinate) are drawn on lines just outside the data: death
+inf on a horizontal line above the finite points, death −inf below, birth ±inf on vertical
lines right and left of them.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as _np
import torch as _torch

from oineus_diff.distances import BottleneckMatching, DiagramMatching
from oineus_diff.persistence import PersistenceDiagrams

__all__ = ["plot_diagram", "plot_diagram_gradient", "plot_matching"]

# Okabe–Ito colours: a palette readable with every common colour-vision deficiency.
GRADIENT_GREEN = "#009E73"
DGM_A_BLUE = "#0072B2"
DGM_B_VERMILLION = "#D55E00"
LONGEST_RED = "red"

_AXIS_BOUND_KEYS = ("xmin", "xmax", "ymin", "ymax")
_PAIR_FILTERS = ("either", "both")
# Default caps once a plot would hold this many arrows or matching edges.
_DEFAULT_TOP_K = 200
_MATCHING_OVERLAY_THRESHOLD = 1000
# With scatter_only=False, points this close to the diagonal (fraction of the span) become a
# density.
_DENSITY_BAND = 0.03


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            "plotting needs matplotlib; install it with `pip install oineus-diff[plot]` "
            "or `pip install matplotlib`"
        ) from exc
    return plt


# ---------------------------------------------------------------------------------------------
# input conversion
# ---------------------------------------------------------------------------------------------


def _as_array(diagram: Any, name: str) -> _np.ndarray:
    """Return a float64 (n, 2) numpy copy of one diagram (tensor, array or list of pairs)."""
    if isinstance(diagram, _torch.Tensor):
        if diagram.is_complex():
            raise TypeError(f"{name} must be real, got dtype {diagram.dtype}")
        array = diagram.detach().to("cpu", _torch.float64).numpy().copy()
    elif isinstance(diagram, _np.ndarray):
        if diagram.dtype == object or _np.iscomplexobj(diagram):
            raise TypeError(f"{name} must have a real numeric dtype, got numpy dtype {diagram.dtype}")
        array = _np.array(diagram, dtype=_np.float64)
    elif isinstance(diagram, (list, tuple)):
        if len(diagram) == 0:
            return _np.zeros((0, 2))
        try:
            array = _np.array(diagram, dtype=_np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must be a list of (birth, death) pairs of numbers") from exc
    else:
        raise TypeError(
            f"{name} must be a numpy array, tensor, list of (birth, death) pairs, list or dict of "
            f"diagrams, or PersistenceDiagrams; got {type(diagram).__name__}"
        )
    if array.ndim != 2 or array.shape[1] != 2:
        if array.size == 0:
            return _np.zeros((0, 2))
        raise ValueError(f"{name} must have shape (n, 2); got {tuple(array.shape)}")
    return array


def _is_single_diagram(diagrams: Any) -> bool:
    """Tell one diagram (True) from a container of diagrams (list of arrays, dict, ...)."""
    if isinstance(diagrams, (_torch.Tensor, _np.ndarray)):
        return True
    if isinstance(diagrams, (list, tuple)):
        if len(diagrams) == 0:
            return True
        # A list of diagrams holds 2-D arrays or lists of pairs; a diagram holds pairs of numbers.
        first = diagrams[0]
        if isinstance(first, (_torch.Tensor, _np.ndarray)):
            return first.ndim < 2
        if isinstance(first, (list, tuple)):
            return len(first) == 0 or isinstance(first[0], numbers.Real) or _is_scalar(first[0])
        return True
    # Anything else is handed to the single-diagram conversion, which names what it accepts.
    return not isinstance(diagrams, (PersistenceDiagrams, Mapping))


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (_torch.Tensor, _np.ndarray)) and value.ndim == 0


def _check_dim_key(key: Any, name: str) -> int:
    if isinstance(key, bool) or not isinstance(key, (int, _np.integer)):
        raise TypeError(f"{name} keys must be integer dimensions; got {type(key).__name__}")
    if key < 0:
        raise ValueError(f"{name} keys must be non-negative dimensions; got {key}")
    return int(key)


def _raw_diagrams(diagrams: Any, name: str) -> dict[int, Any]:
    """Map dimension → the diagram object as given (tensors keep their ``.grad``)."""
    if isinstance(diagrams, PersistenceDiagrams):
        return {d: diagrams[d] for d in diagrams}
    if isinstance(diagrams, Mapping):
        return {_check_dim_key(k, name): v for k, v in sorted(diagrams.items(), key=lambda kv: kv[0])}
    if _is_single_diagram(diagrams):
        return {0: diagrams}
    return dict(enumerate(diagrams))


def _is_container(diagrams: Any) -> bool:
    return isinstance(diagrams, (PersistenceDiagrams, Mapping)) or not _is_single_diagram(diagrams)


def _select_dims(available: list[int], dims: Any, name: str = "dims") -> list[int]:
    if dims is None:
        return available
    if isinstance(dims, (int, _np.integer)) and not isinstance(dims, bool):
        dims = [dims]
    try:
        requested = list(dims)
    except TypeError:
        kind = type(dims).__name__
        raise TypeError(f"{name} must be None, an int or an iterable of ints; got {kind}") from None
    out = []
    for d in requested:
        if isinstance(d, bool) or not isinstance(d, (int, _np.integer)):
            raise TypeError(f"{name} entries must be ints; got {type(d).__name__}")
        if int(d) not in available:
            raise ValueError(f"{name} entry {d} is not a dimension of the diagrams; available: {available}")
        if int(d) not in out:
            out.append(int(d))
    return sorted(out)


def _drop_nan_rows(array: _np.ndarray, name: str) -> _np.ndarray:
    nan_rows = _np.isnan(array).any(axis=1)
    n_nan = int(nan_rows.sum())
    if n_nan:
        warnings.warn(f"{name}: skipped {n_nan} rows containing NaN", UserWarning, stacklevel=3)
        return array[~nan_rows]
    return array


def _copy_style(style: Any, name: str) -> dict[str, Any]:
    if style is None:
        return {}
    if not isinstance(style, Mapping):
        raise TypeError(f"{name} must be a dict of matplotlib keyword arguments; got {type(style).__name__}")
    return dict(style)


def _check_optional_real(value: Any, name: str, *, minimum: float | None = None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number or None; got {type(value).__name__}")
    value = float(value)
    if math.isnan(value) or (minimum is not None and value < minimum):
        raise ValueError(f"{name} must be a number ≥ {minimum}; got {value}")
    return value


def _check_optional_count(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, _np.integer)):
        raise TypeError(f"{name} must be a positive int or None; got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be a positive int; got {value}")
    return int(value)


def _check_flag(value: Any, name: str) -> bool:
    if not isinstance(value, (bool, _np.bool_)):
        raise TypeError(f"{name} must be a bool; got {type(value).__name__}")
    return bool(value)


# ---------------------------------------------------------------------------------------------
# layout shared by the three plots
# ---------------------------------------------------------------------------------------------


@dataclass
class _Layout:
    """Where things go: the finite range, the essential lines and the log shifts."""

    low: float
    high: float
    shift_x: float
    shift_y: float
    log_x: bool
    log_y: bool
    inf_margin: float

    @property
    def span(self) -> float:
        return self.high - self.low

    def _outside(self, value: float, log: bool, above: bool) -> float:
        margin = self.inf_margin
        if log:
            lo, hi = math.log10(self.low), math.log10(self.high)
            width = hi - lo if hi > lo else 1.0
            return 10.0 ** (hi + margin * width if above else lo - margin * width)
        return self.high + margin * self.span if above else self.low - margin * self.span

    def y_line(self, positive: bool) -> float:
        """Return the y of the +inf (``positive``) or −inf death line, in plotted coordinates."""
        shifted = _Layout(
            self.low + self.shift_y,
            self.high + self.shift_y,
            0.0,
            0.0,
            self.log_x,
            self.log_y,
            self.inf_margin,
        )
        return shifted._outside(0.0, self.log_y, positive)

    def x_line(self, positive: bool) -> float:
        """Return the x of the +inf (``positive``) or −inf birth line, in plotted coordinates."""
        shifted = _Layout(
            self.low + self.shift_x,
            self.high + self.shift_x,
            0.0,
            0.0,
            self.log_x,
            self.log_y,
            self.inf_margin,
        )
        return shifted._outside(0.0, self.log_x, positive)

    def to_plot(self, points: _np.ndarray) -> _np.ndarray:
        """Shift finite (birth, death) rows into plotted coordinates; infinities go on the lines."""
        out = _np.array(points, dtype=_np.float64, copy=True).reshape(-1, 2)
        out[:, 0] += self.shift_x
        out[:, 1] += self.shift_y
        out[:, 0] = _np.where(out[:, 0] == _np.inf, self.x_line(True), out[:, 0])
        out[:, 0] = _np.where(out[:, 0] == -_np.inf, self.x_line(False), out[:, 0])
        out[:, 1] = _np.where(out[:, 1] == _np.inf, self.y_line(True), out[:, 1])
        out[:, 1] = _np.where(out[:, 1] == -_np.inf, self.y_line(False), out[:, 1])
        return out


def _make_layout(arrays: list[_np.ndarray], log_x: bool, log_y: bool, inf_margin: float) -> _Layout:
    finite = [a[_np.isfinite(a)] for a in arrays]
    values = _np.concatenate(finite) if finite else _np.zeros(0)
    if values.size == 0:
        low, high = 0.0, 1.0
    else:
        low, high = float(values.min()), float(values.max())
        if high <= low:
            low, high = low - 0.5, high + 0.5
    span = high - low

    def positive_shift(min_value: float) -> float:
        # Move the smallest value to 5% of the span above zero, so it has a finite logarithm.
        return 0.0 if min_value > 0 else -min_value + 0.05 * span

    shift_x = shift_y = 0.0
    births = _np.concatenate([a[:, 0][_np.isfinite(a[:, 0])] for a in arrays]) if arrays else _np.zeros(0)
    deaths = _np.concatenate([a[:, 1][_np.isfinite(a[:, 1])] for a in arrays]) if arrays else _np.zeros(0)
    min_birth = float(births.min()) if births.size else low
    min_death = float(deaths.min()) if deaths.size else low
    if log_x and log_y:
        # One common shift keeps the diagonal at y = x.
        shift_x = shift_y = positive_shift(min(min_birth, min_death, low))
    elif log_x:
        shift_x = positive_shift(min(min_birth, low))
    elif log_y:
        shift_y = positive_shift(min(min_death, low))
    return _Layout(low, high, shift_x, shift_y, log_x, log_y, inf_margin)


def _axis_label(word: str, log: bool, shift: float) -> str:
    if not log:
        return word
    if shift:
        return f"{word} (log scale, shifted by +{shift:.3g})"
    return f"{word} (log scale)"


def _check_axis_bounds(axis_bounds: Any) -> dict[str, float]:
    if axis_bounds is None:
        return {}
    if not isinstance(axis_bounds, Mapping):
        raise TypeError(f"axis_bounds must be a dict with keys among {_AXIS_BOUND_KEYS}; got {axis_bounds!r}")
    out = {}
    for key, value in axis_bounds.items():
        if key not in _AXIS_BOUND_KEYS:
            raise ValueError(f"axis_bounds keys must be among {_AXIS_BOUND_KEYS}; got {key!r}")
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise ValueError(f"axis_bounds[{key!r}] must be a finite number; got {value!r}")
        out[key] = float(value)
    return out


def _prepare_axes(ax: Any, layout: _Layout, axis_bounds: dict[str, float], title: Any) -> Any:
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots()
    if layout.log_x:
        ax.set_xscale("log")
    if layout.log_y:
        ax.set_yscale("log")
    ax.set_xlabel(_axis_label("birth", layout.log_x, layout.shift_x))
    ax.set_ylabel(_axis_label("death", layout.log_y, layout.shift_y))
    if title is not None:
        ax.set_title(str(title))
    return ax


def _apply_bounds(ax: Any, axis_bounds: dict[str, float]) -> None:
    if "xmin" in axis_bounds or "xmax" in axis_bounds:
        ax.set_xlim(left=axis_bounds.get("xmin"), right=axis_bounds.get("xmax"))
    if "ymin" in axis_bounds or "ymax" in axis_bounds:
        ax.set_ylim(bottom=axis_bounds.get("ymin"), top=axis_bounds.get("ymax"))


def _draw_diagonal(ax: Any, layout: _Layout, style: dict[str, Any]) -> None:
    # Sampled densely so that the line stays the diagonal on log axes with unequal shifts.
    t = _np.linspace(layout.low, layout.high, 200)
    kwargs = {"color": "0.5", "linestyle": "--", "linewidth": 1.0, "zorder": 1}
    kwargs.update(style)
    ax.plot(t + layout.shift_x, t + layout.shift_y, **kwargs)


def _draw_inf_lines(ax: Any, layout: _Layout, arrays: list[_np.ndarray], style: dict[str, Any]) -> None:
    """Draw and label the lines of the essential families present in ``arrays``."""
    rows = _np.concatenate(arrays) if arrays else _np.zeros((0, 2))
    kwargs = {"color": "0.6", "linestyle": ":", "linewidth": 1.0, "zorder": 1}
    kwargs.update(style)
    label_style = {"color": kwargs.get("color", "0.6"), "fontsize": "small"}
    trans_y = ax.get_yaxis_transform()  # x in axes fraction, y in data
    trans_x = ax.get_xaxis_transform()  # x in data, y in axes fraction
    if (rows[:, 1] == _np.inf).any():
        y = layout.y_line(True)
        ax.axhline(y, **kwargs)
        ax.text(0.01, y, "∞", transform=trans_y, va="bottom", ha="left", **label_style)
    if (rows[:, 1] == -_np.inf).any():
        y = layout.y_line(False)
        ax.axhline(y, **kwargs)
        ax.text(0.01, y, "−∞", transform=trans_y, va="top", ha="left", **label_style)
    if (rows[:, 0] == _np.inf).any():
        x = layout.x_line(True)
        ax.axvline(x, **kwargs)
        ax.text(x, 0.01, "∞", transform=trans_x, va="bottom", ha="left", **label_style)
    if (rows[:, 0] == -_np.inf).any():
        x = layout.x_line(False)
        ax.axvline(x, **kwargs)
        ax.text(x, 0.01, "−∞", transform=trans_x, va="bottom", ha="right", **label_style)


def _essential_marker(row_finite_birth: bool, death: float, birth: float) -> str:
    if row_finite_birth:
        return "^" if death > 0 else "v"
    return ">" if birth > 0 else "<"


def _colors_for(dims: list[int], color: Any) -> dict[int, Any]:
    plt = _pyplot()
    from matplotlib.colors import is_color_like

    if color is None:
        cycle = plt.rcParams["axes.prop_cycle"].by_key().get("color", ["C0"])
        return {d: cycle[i % len(cycle)] for i, d in enumerate(dims)}
    if isinstance(color, Mapping):
        default = _colors_for(dims, None)
        out = {}
        for d in dims:
            value = color.get(d, default[d])
            if not is_color_like(value):
                raise ValueError(f"color[{d}] is not a matplotlib colour: {value!r}")
            out[d] = value
        return out
    if is_color_like(color):
        if len(dims) > 1:
            warnings.warn(
                f"a single color is used for {len(dims)} dimensions; they cannot be told apart "
                "(pass a list or a dict of colours)",
                UserWarning,
                stacklevel=4,
            )
        return {d: color for d in dims}
    if isinstance(color, (list, tuple)) and len(color) > 0:
        for value in color:
            if not is_color_like(value):
                raise ValueError(f"color entries must be matplotlib colours; got {value!r}")
        return {d: color[i % len(color)] for i, d in enumerate(dims)}
    raise ValueError(f"color must be a colour, a list of colours or a dict keyed by dimension; got {color!r}")


def _draw_points(
    ax: Any,
    layout: _Layout,
    arrays: dict[int, _np.ndarray],
    colors: dict[int, Any],
    *,
    point_style: dict[str, Any],
    inf_point_style: dict[str, Any],
    dim_label_fmt: str,
    scatter_only: bool,
    density_threshold: int,
) -> None:
    for d, array in arrays.items():
        label = dim_label_fmt.format(dim=d)
        finite_rows = _np.isfinite(array).all(axis=1)
        finite = layout.to_plot(array[finite_rows])
        raw_finite = array[finite_rows]
        kwargs = {"s": 20, "color": colors[d], "label": label, "zorder": 3}
        kwargs.update(point_style)
        if not scatter_only and len(finite) >= density_threshold:
            near = _np.abs(raw_finite[:, 1] - raw_finite[:, 0]) < _DENSITY_BAND * layout.span
            xscale = "log" if layout.log_x else "linear"
            yscale = "log" if layout.log_y else "linear"
            ax.hexbin(
                finite[near, 0],
                finite[near, 1],
                gridsize=60,
                cmap="Greys",
                mincnt=1,
                xscale=xscale,
                yscale=yscale,
                zorder=2,
            )
            finite = finite[~near]
        ax.scatter(finite[:, 0], finite[:, 1], **kwargs)
        essential = array[~finite_rows]
        if len(essential):
            placed = layout.to_plot(essential)
            finite_birth = _np.isfinite(essential[:, 0])
            for marker in ("^", "v", ">", "<"):
                chosen = _np.array(
                    [
                        _essential_marker(bool(fb), float(row[1]), float(row[0])) == marker
                        for fb, row in zip(finite_birth, essential, strict=True)
                    ],
                    dtype=bool,
                )
                if not chosen.any():
                    continue
                inf_kwargs = {"s": 40, "color": colors[d], "marker": marker, "zorder": 3}
                inf_kwargs.update(inf_point_style)
                ax.scatter(placed[chosen, 0], placed[chosen, 1], **inf_kwargs)


def _arrays_for(raw: dict[int, Any], dims: list[int], name: str) -> dict[int, _np.ndarray]:
    out = {}
    for d in dims:
        label = f"{name}[{d}]" if len(raw) > 1 else name
        out[d] = _drop_nan_rows(_as_array(raw[d], label), name)
    return out


# ---------------------------------------------------------------------------------------------
# plot_diagram
# ---------------------------------------------------------------------------------------------


def plot_diagram(
    diagrams: Any,
    ax: Any = None,
    *,
    dims: Any = None,
    color: Any = None,
    log_x: bool = False,
    log_y: bool = False,
    title: str | None = None,
    axis_bounds: Mapping[str, float] | None = None,
    point_style: Mapping[str, Any] | None = None,
    inf_point_style: Mapping[str, Any] | None = None,
    diagonal_style: Mapping[str, Any] | None = None,
    inf_line_style: Mapping[str, Any] | None = None,
    inf_line_margin: float = 0.05,
    dim_label_fmt: str = "H{dim}",
    scatter_only: bool = True,
    density_threshold: int = 20000,
    legend: bool = True,
) -> Any:
    """Plot persistence diagrams, one scatter per homology dimension.

    Each point (birth, death) is a class born at ``birth`` and dying at ``death``; its distance
    above the dashed diagonal is its persistence. Essential points (death ±inf) lie on dotted
    lines ``inf_line_margin`` of the data span above (▲) or below (▼) the finite points,
    labelled ∞ / −∞.

    Parameters
    ----------
    diagrams : array-like, list, dict or PersistenceDiagrams
        An (n, 2) numpy array or tensor (any device; detached), a list of (birth, death) pairs,
        a list of diagrams indexed by dimension, a dict ``{dim: diagram}`` or a
        :class:`PersistenceDiagrams`. A single diagram is drawn as dimension 0.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when ``None``.
    dims : int or iterable of int, optional
        The dimensions to draw (default: all).
    color : colour, list of colours or dict {dim: colour}, optional
        Default: the matplotlib colour cycle. A single colour for several dimensions warns.
    log_x, log_y : bool, default False
        Log-scale axes; data are shifted to be positive and the axis label says by how much.
    title : str, optional
        The axes title.
    axis_bounds : dict, optional
        Any of ``xmin``, ``xmax``, ``ymin``, ``ymax`` (plotted coordinates).
    point_style, inf_point_style, diagonal_style, inf_line_style : dict, optional
        Keyword arguments for the finite scatter, the essential scatter, the diagonal and the
        infinity lines; copied, never mutated.
    inf_line_margin : float, default 0.05
        Distance of the infinity lines from the data, as a fraction of the span.
    dim_label_fmt : str, default "H{dim}"
        Legend label of each dimension.
    scatter_only : bool, default True
        With ``False`` and at least ``density_threshold`` finite points, the points within 3% of
        the span from the diagonal are drawn as a hexbin density.
    density_threshold : int, default 20000
        See ``scatter_only``.
    legend : bool, default True
        Show a legend titled "dimension" when more than one dimension is drawn.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    TypeError
        For an argument of the wrong type.
    ValueError
        For a diagram not of shape (n, 2), an unknown dimension in ``dims``, an invalid colour
        or axis bound.

    Warns
    -----
    UserWarning
        When rows containing NaN are skipped (with their count), or when one colour is used for
        several dimensions.

    Notes
    -----
    **Gradients.** Plotting reads detached CPU copies; it never touches the autograd graph.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import oineus_diff as od
    >>> ax = od.plot_diagram({0: [[0.0, 1.0], [0.0, float("inf")]], 1: [[0.5, 0.8]]})
    >>> ax.get_xlabel(), ax.get_legend().get_title().get_text()
    ('birth', 'dimension')
    """
    _pyplot()
    log_x = _check_flag(log_x, "log_x")
    log_y = _check_flag(log_y, "log_y")
    scatter_only = _check_flag(scatter_only, "scatter_only")
    legend = _check_flag(legend, "legend")
    margin = _check_optional_real(inf_line_margin, "inf_line_margin", minimum=0.0)
    threshold = _check_optional_count(density_threshold, "density_threshold")
    if not isinstance(dim_label_fmt, str):
        raise TypeError(f"dim_label_fmt must be a str; got {type(dim_label_fmt).__name__}")
    bounds = _check_axis_bounds(axis_bounds)
    styles = {
        "point_style": _copy_style(point_style, "point_style"),
        "inf_point_style": _copy_style(inf_point_style, "inf_point_style"),
        "diagonal_style": _copy_style(diagonal_style, "diagonal_style"),
        "inf_line_style": _copy_style(inf_line_style, "inf_line_style"),
    }
    raw = _raw_diagrams(diagrams, "diagrams")
    chosen = _select_dims(sorted(raw), dims)
    arrays = _arrays_for(raw, chosen, "diagrams")
    colors = _colors_for(chosen, color)
    layout = _make_layout(list(arrays.values()), log_x, log_y, margin or 0.0)
    ax = _prepare_axes(ax, layout, bounds, title)
    _draw_diagram_body(
        ax,
        layout,
        arrays,
        colors,
        styles,
        dim_label_fmt=dim_label_fmt,
        scatter_only=scatter_only,
        density_threshold=threshold or 20000,
    )
    if legend and len(chosen) > 1:
        ax.legend(title="dimension")
    _apply_bounds(ax, bounds)
    return ax


def _draw_diagram_body(
    ax: Any,
    layout: _Layout,
    arrays: dict[int, _np.ndarray],
    colors: dict[int, Any],
    styles: dict[str, dict[str, Any]],
    *,
    dim_label_fmt: str = "H{dim}",
    scatter_only: bool = True,
    density_threshold: int = 20000,
) -> None:
    _draw_diagonal(ax, layout, styles.get("diagonal_style", {}))
    _draw_inf_lines(ax, layout, list(arrays.values()), styles.get("inf_line_style", {}))
    _draw_points(
        ax,
        layout,
        arrays,
        colors,
        point_style=styles.get("point_style", {}),
        inf_point_style=styles.get("inf_point_style", {}),
        dim_label_fmt=dim_label_fmt,
        scatter_only=scatter_only,
        density_threshold=density_threshold,
    )


# ---------------------------------------------------------------------------------------------
# plot_diagram_gradient
# ---------------------------------------------------------------------------------------------


def _stored_grad(tensor: Any) -> Any:
    """``tensor.grad`` without torch's warning about non-leaf tensors that did not retain it."""
    if not isinstance(tensor, _torch.Tensor):
        return None
    if not tensor.is_leaf and not tensor.retains_grad:
        return None
    return tensor.grad


def _gradients_for(raw: dict[int, Any], dims: list[int], gradient: Any) -> dict[int, _np.ndarray]:
    """Return the (n, 2) gradient of each chosen dimension, from ``gradient`` or ``.grad``."""
    out: dict[int, _np.ndarray] = {}
    explicit: dict[int, Any] | None = None
    if gradient is not None:
        if isinstance(gradient, Mapping) or not _is_single_diagram(gradient):
            explicit = _raw_diagrams(gradient, "gradient")
        elif len(dims) == 1:
            explicit = {dims[0]: gradient}
        else:
            raise ValueError(
                f"gradient is a single array but {len(dims)} dimensions {dims} are drawn; "
                "pass a dict {dim: gradient} or select one dimension with dims"
            )
    for d in dims:
        source = explicit.get(d) if explicit is not None else _stored_grad(raw[d])
        if source is None:
            raise ValueError(
                f"no gradient for dimension {d}: pass gradient=, or call dgms[{d}].retain_grad() "
                "before backward() so that the diagram tensor keeps its .grad"
            )
        name = f"gradient[{d}]" if len(dims) > 1 else "gradient"
        out[d] = _as_array(source, name)
    return out


def plot_diagram_gradient(
    diagram: Any,
    gradient: Any = None,
    *,
    ax: Any = None,
    dims: Any = None,
    descent: bool = False,
    plot_points: bool = True,
    min_persistence: float | None = None,
    top_k_arrows: int | None = None,
    arrow_overlay_threshold: int = 1000,
    diagram_color: Any = None,
    grad_color: Any = None,
    quiver_style: Mapping[str, Any] | None = None,
    label: str | None = None,
    title: str | None = None,
    axis_bounds: Mapping[str, float] | None = None,
    log_x: bool = False,
    log_y: bool = False,
) -> Any:
    """Plot a diagram with the gradient of a loss as arrows on its points.

    Each point (b, d) gets the arrow (∂L/∂b, ∂L/∂d), or its negation with ``descent=True``:
    the direction a gradient-descent step moves the point. One quiver per dimension is drawn,
    in ascending order. For an essential point only the birth component is drawn, as a
    horizontal arrow on the infinity line.

    Parameters
    ----------
    diagram : array-like, list, dict or PersistenceDiagrams
        As for :func:`plot_diagram`.
    gradient : array-like or dict {dim: array-like}, optional
        The gradient, of the diagram's shape. When omitted, each diagram tensor's ``.grad`` is
        used; for ``dgms[d]`` that needs ``dgms[d].retain_grad()`` before ``backward()``. With
        neither ``gradient`` nor ``dims`` given, only the dimensions that have a ``.grad`` are
        drawn.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when ``None``.
    dims : int or iterable of int, optional
        The dimensions to draw (default: all).
    descent : bool, default False
        Draw −gradient.
    plot_points : bool, default True
        Draw the diagram itself (through :func:`plot_diagram`).
    min_persistence : float, optional
        Keep only points with abs(death − birth) ≥ this.
    top_k_arrows : int, optional
        Keep the arrows with the K largest gradient norms. When unset and at least
        ``arrow_overlay_threshold`` arrows remain, 200 are kept and a warning is emitted.
    arrow_overlay_threshold : int, default 1000
        See ``top_k_arrows``.
    diagram_color : colour, list or dict, optional
        ``color`` of :func:`plot_diagram`.
    grad_color : colour, optional
        Arrow colour; default ``quiver_style["color"]`` if given, else Okabe–Ito green
        (#009E73).
    quiver_style : dict, optional
        Keyword arguments of ``Axes.quiver`` (copied).
    label : str, optional
        Legend label of the arrows (set on the first quiver).
    title : str, optional
        The axes title.
    axis_bounds : dict, optional
        As for :func:`plot_diagram`.
    log_x, log_y : bool, default False
        As for :func:`plot_diagram`.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    TypeError
        For an argument of the wrong type.
    ValueError
        If a gradient is missing (the message mentions ``retain_grad``), its row count differs
        from the diagram's, or there are no diagram points at all.

    Warns
    -----
    UserWarning
        When arrows are capped to 200 ("capping arrows"), and as :func:`plot_diagram` does.

    Notes
    -----
    **Gradients.** Nothing is differentiated here: the arrows show a gradient computed before
    (rows with a non-finite gradient are not drawn). Plotting reads detached CPU copies.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import torch, oineus_diff as od
    >>> dgm = torch.tensor([[0.0, 1.0], [0.2, 0.5]], requires_grad=True)
    >>> (dgm[:, 1] - dgm[:, 0]).sum().backward()
    >>> ax = od.plot_diagram_gradient(dgm, descent=True)
    >>> ax.collections[-1].U.tolist(), ax.collections[-1].V.tolist()
    ([1.0, 1.0], [-1.0, -1.0])
    """
    _pyplot()
    descent = _check_flag(descent, "descent")
    plot_points = _check_flag(plot_points, "plot_points")
    log_x = _check_flag(log_x, "log_x")
    log_y = _check_flag(log_y, "log_y")
    threshold = _check_optional_real(min_persistence, "min_persistence", minimum=0.0)
    top_k = _check_optional_count(top_k_arrows, "top_k_arrows")
    overlay = _check_optional_count(arrow_overlay_threshold, "arrow_overlay_threshold")
    style = _copy_style(quiver_style, "quiver_style")
    bounds = _check_axis_bounds(axis_bounds)
    raw = _raw_diagrams(diagram, "diagram")
    chosen = _select_dims(sorted(raw), dims)
    if dims is None and gradient is None and len(chosen) > 1:
        # Without an explicit choice, draw the dimensions whose tensors kept a gradient (often
        # only dgms[1].retain_grad() was called); none at all is the missing-gradient error.
        with_grad = [d for d in chosen if _stored_grad(raw[d]) is not None]
        chosen = with_grad or chosen
    grads = _gradients_for(raw, chosen, gradient)
    arrays: dict[int, _np.ndarray] = {}
    for d in chosen:
        name = f"diagram[{d}]" if len(chosen) > 1 else "diagram"
        array = _as_array(raw[d], name)
        grad = grads[d]
        if grad.shape[0] != array.shape[0]:
            raise ValueError(
                f"gradient for dimension {d} has {grad.shape[0]} rows but the diagram has {array.shape[0]}"
            )
        if grad.shape != array.shape:
            raise ValueError(f"gradient for dimension {d} must have shape {array.shape}; got {grad.shape}")
        keep = ~_np.isnan(array).any(axis=1)
        if threshold is not None:
            with _np.errstate(invalid="ignore"):
                keep &= _np.abs(array[:, 1] - array[:, 0]) >= threshold
        arrays[d] = array[keep]
        grads[d] = grad[keep]
    n_points = sum(len(a) for a in arrays.values())
    if n_points == 0:
        raise ValueError("No diagram points to plot.")

    if plot_points:
        ax = plot_diagram(
            arrays,
            ax,
            color=diagram_color,
            log_x=log_x,
            log_y=log_y,
            title=title,
            axis_bounds=None,
        )
        layout = _make_layout(list(arrays.values()), log_x, log_y, 0.05)
    else:
        layout = _make_layout(list(arrays.values()), log_x, log_y, 0.05)
        ax = _prepare_axes(ax, layout, bounds, title)

    # Arrow origins and components per dimension, before capping.
    origins, vectors, owners = [], [], []
    sign = -1.0 if descent else 1.0
    for d in chosen:
        array, grad = arrays[d], sign * grads[d]
        finite_birth = _np.isfinite(array[:, 0])
        finite_death = _np.isfinite(array[:, 1])
        vec = grad.copy()
        # Essential rows: only the finite coordinate moves, along its infinity line.
        vec[~finite_death, 1] = 0.0
        vec[~finite_birth, 0] = 0.0
        drawable = _np.where(
            finite_birth & finite_death,
            _np.isfinite(grad).all(axis=1),
            _np.where(finite_birth, _np.isfinite(grad[:, 0]), _np.isfinite(grad[:, 1])),
        )
        drawable &= finite_birth | finite_death
        origins.append(layout.to_plot(array[drawable]))
        vectors.append(vec[drawable])
        owners.append(_np.full(int(drawable.sum()), d))
    origin = _np.concatenate(origins)
    vector = _np.concatenate(vectors)
    owner = _np.concatenate(owners)
    if top_k is None and overlay is not None and len(vector) >= overlay:
        top_k = _DEFAULT_TOP_K
        warnings.warn(
            f"capping arrows: {len(vector)} arrows would overlap, drawing the {top_k} with the largest "
            "gradient norm (set top_k_arrows to choose)",
            UserWarning,
            stacklevel=2,
        )
    if top_k is not None and len(vector) > top_k:
        norms = _np.hypot(vector[:, 0], vector[:, 1])
        kept = _np.sort(_np.argsort(-norms, kind="stable")[:top_k])
        origin, vector, owner = origin[kept], vector[kept], owner[kept]

    color = grad_color if grad_color is not None else style.pop("color", GRADIENT_GREEN)
    style.pop("color", None)
    kwargs = {"angles": "xy", "zorder": 4, "width": 0.004}
    kwargs.update(style)
    first = True
    for d in chosen:
        mine = owner == d
        if not mine.any():
            continue
        ax.quiver(
            origin[mine, 0],
            origin[mine, 1],
            vector[mine, 0],
            vector[mine, 1],
            color=color,
            label=label if (first and label is not None) else None,
            **kwargs,
        )
        first = False
    _apply_bounds(ax, bounds)
    return ax


# ---------------------------------------------------------------------------------------------
# plot_matching
# ---------------------------------------------------------------------------------------------


def _one_dimension(diagram: Any, dim: Any, name: str) -> _np.ndarray:
    if _is_container(diagram):
        raw = _raw_diagrams(diagram, name)
        if dim is None:
            raise ValueError(f"{name} holds several dimensions {sorted(raw)}; pass dim= to choose one")
        if isinstance(dim, bool) or not isinstance(dim, (int, _np.integer)):
            raise TypeError(f"dim must be an int; got {type(dim).__name__}")
        if int(dim) not in raw:
            raise ValueError(f"dim={dim} is not a dimension of {name}; available: {sorted(raw)}")
        return _as_array(raw[int(dim)], name)
    return _as_array(diagram, name)


def _projection(points: _np.ndarray) -> _np.ndarray:
    mid = 0.5 * (points[:, 0] + points[:, 1])
    return _np.stack([mid, mid], axis=1)


def plot_matching(
    dgm_a: Any,
    dgm_b: Any,
    matching: DiagramMatching,
    ax: Any = None,
    *,
    dim: int | None = None,
    plot_essential: bool = False,
    plot_diagonal_projections: bool = False,
    color_dgm_a: Any = None,
    color_dgm_b: Any = None,
    match_color: Any = "0.30",
    min_persistence: float | None = None,
    pair_filter: str = "either",
    top_k_pairs: int | None = None,
    linewidth: float | None = None,
) -> Any:
    """Plot two diagrams and a matching between them.

    Matched points are joined by segments, collected in one ``LineCollection``: finite↔finite
    pairs and, for a Wasserstein matching, each point matched to the diagonal joined to its
    projection Δ(p) = ((b+d)/2, (b+d)/2). For a :class:`BottleneckMatching` only finite↔finite
    edges are drawn, and the longest edges (those attaining the distance) are drawn in red.

    Parameters
    ----------
    dgm_a, dgm_b : array-like, list, dict or PersistenceDiagrams
        The two diagrams, as given to the matching function. A multi-dimension container needs
        ``dim``.
    matching : DiagramMatching or BottleneckMatching
        From :func:`wasserstein_matching` or :func:`bottleneck_matching`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when ``None``.
    dim : int, optional
        The dimension to take from multi-dimension containers.
    plot_essential : bool, default False
        Draw essential points on the infinity lines and join their matched pairs.
    plot_diagonal_projections : bool, default False
        Mark Δ(p) for points matched to the diagonal.
    color_dgm_a, color_dgm_b : colour, optional
        Default Okabe–Ito blue (#0072B2) and vermillion (#D55E00).
    match_color : colour, default "0.30"
        Colour of the matching edges.
    min_persistence : float, optional
        Keep an edge when either endpoint (``pair_filter="either"``) or both (``"both"``) have
        abs(death − birth) ≥ this; a diagonal projection has persistence 0.
    pair_filter : {"either", "both"}, default "either"
        See ``min_persistence``.
    top_k_pairs : int, optional
        Keep the K longest edges (L∞ length). When unset and there are at least 1000 edges,
        200 are kept and a warning is emitted.
    linewidth : float, optional
        Width of the matching edges.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    TypeError
        If ``matching`` is not a :class:`DiagramMatching` or :class:`BottleneckMatching`.
    ValueError
        If a multi-dimension container is given without ``dim``, for an unknown
        ``pair_filter``, or for a matching whose indices do not fit the diagrams.

    Warns
    -----
    UserWarning
        When edges are capped to 200 ("capping").

    Notes
    -----
    **Gradients.** Matchings are not differentiable; plotting reads detached CPU copies.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import oineus_diff as od
    >>> a, b = [[0.0, 1.0], [0.3, 0.4]], [[0.1, 1.1]]
    >>> ax = od.plot_matching(a, b, od.wasserstein_matching(a, b))
    >>> len(ax.collections[-1].get_segments())
    2
    """
    plt = _pyplot()
    from matplotlib.collections import LineCollection

    if not isinstance(matching, DiagramMatching):
        raise TypeError(
            f"matching must be a DiagramMatching or BottleneckMatching; got {type(matching).__name__}"
        )
    pair_filter = str(pair_filter) if isinstance(pair_filter, str) else pair_filter
    if pair_filter not in _PAIR_FILTERS:
        raise ValueError(f"pair_filter must be one of {list(_PAIR_FILTERS)}; got {pair_filter!r}")
    plot_essential = _check_flag(plot_essential, "plot_essential")
    plot_projections = _check_flag(plot_diagonal_projections, "plot_diagonal_projections")
    threshold = _check_optional_real(min_persistence, "min_persistence", minimum=0.0)
    top_k = _check_optional_count(top_k_pairs, "top_k_pairs")
    width = _check_optional_real(linewidth, "linewidth", minimum=0.0)
    a = _one_dimension(dgm_a, dim, "dgm_a")
    b = _one_dimension(dgm_b, dim, "dgm_b")
    is_bottleneck = isinstance(matching, BottleneckMatching)

    def indices(array: Any, size: int, what: str) -> _np.ndarray:
        idx = _np.asarray(array, dtype=_np.int64)
        if idx.size and (idx.min() < 0 or idx.max() >= size):
            raise ValueError(f"matching.{what} refers to rows outside the diagrams; were they matched?")
        return idx

    pairs = _np.asarray(matching.finite_to_finite, dtype=_np.int64).reshape(-1, 2)
    indices(pairs[:, 0], len(a), "finite_to_finite")
    indices(pairs[:, 1], len(b), "finite_to_finite")
    a_diag = indices(matching.a_to_diagonal, len(a), "a_to_diagonal")
    b_diag = indices(matching.b_to_diagonal, len(b), "b_to_diagonal")

    starts = [a[pairs[:, 0]]]
    ends = [b[pairs[:, 1]]]
    if not is_bottleneck:
        starts += [a[a_diag], _projection(b[b_diag])]
        ends += [_projection(a[a_diag]), b[b_diag]]
    start = _np.concatenate(starts).reshape(-1, 2)
    end = _np.concatenate(ends).reshape(-1, 2)

    if threshold is not None:
        pers_start = _np.abs(start[:, 1] - start[:, 0]) >= threshold
        pers_end = _np.abs(end[:, 1] - end[:, 0]) >= threshold
        keep = (pers_start | pers_end) if pair_filter == "either" else (pers_start & pers_end)
        start, end = start[keep], end[keep]
    if top_k is None and len(start) >= _MATCHING_OVERLAY_THRESHOLD:
        top_k = _DEFAULT_TOP_K
        warnings.warn(
            f"capping matching edges: drawing the {top_k} longest of {len(start)} "
            "(set top_k_pairs to choose)",
            UserWarning,
            stacklevel=2,
        )
    if top_k is not None and len(start) > top_k:
        lengths = _np.abs(end - start).max(axis=1)
        kept = _np.sort(_np.argsort(-lengths, kind="stable")[:top_k])
        start, end = start[kept], end[kept]

    shown_a = a if plot_essential else a[_np.isfinite(a).all(axis=1)]
    shown_b = b if plot_essential else b[_np.isfinite(b).all(axis=1)]
    shown_a = shown_a[~_np.isnan(shown_a).any(axis=1)]
    shown_b = shown_b[~_np.isnan(shown_b).any(axis=1)]
    layout = _make_layout([shown_a, shown_b], False, False, 0.05)
    if ax is None:
        _, ax = plt.subplots()
    ax.set_xlabel("birth")
    ax.set_ylabel("death")
    _draw_diagonal(ax, layout, {})
    if plot_essential:
        _draw_inf_lines(ax, layout, [shown_a, shown_b], {})
    color_a = DGM_A_BLUE if color_dgm_a is None else color_dgm_a
    color_b = DGM_B_VERMILLION if color_dgm_b is None else color_dgm_b
    placed_a, placed_b = layout.to_plot(shown_a), layout.to_plot(shown_b)
    ax.scatter(placed_a[:, 0], placed_a[:, 1], s=20, color=color_a, label="dgm_a", zorder=3)
    ax.scatter(placed_b[:, 0], placed_b[:, 1], s=20, color=color_b, label="dgm_b", zorder=3)

    if plot_essential:
        for family in matching.essential:
            rows = _np.asarray(matching.essential[family], dtype=_np.int64).reshape(-1, 2)
            if rows.size:
                start = _np.concatenate([start, a[rows[:, 0]]])
                end = _np.concatenate([end, b[rows[:, 1]]])
    segments = _np.stack([layout.to_plot(start), layout.to_plot(end)], axis=1)
    edges = LineCollection(list(segments), colors=match_color, linewidths=width or 1.0, zorder=2)
    ax.add_collection(edges)

    if isinstance(matching, BottleneckMatching) and matching.longest is not None:
        longest = [(edge.point_a, edge.point_b) for edge in matching.longest.finite]
        if longest:
            ax.add_collection(
                LineCollection(
                    [_np.array(seg, dtype=_np.float64) for seg in longest],
                    colors=LONGEST_RED,
                    linewidths=2.0 * (width or 1.0),
                    zorder=2.5,
                    label="longest",
                )
            )
    if plot_projections:
        projected = _np.concatenate([_projection(a[a_diag]), _projection(b[b_diag])]).reshape(-1, 2)
        ax.scatter(projected[:, 0], projected[:, 1], marker="x", s=15, color=match_color, zorder=3)
    ax.autoscale_view()
    return ax
