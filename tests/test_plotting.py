"""plot_diagram, plot_diagram_gradient and plot_matching (SPEC §7.1–7.3), on the Agg backend.

The artists are checked against the numbers they must carry: scatter offsets equal the input
points, quiver U/V equal the gradient (negated for descent), matching segments join the rows the
matching names.
"""

from __future__ import annotations

import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.collections import LineCollection, PathCollection  # noqa: E402
from matplotlib.colors import to_hex, to_rgba  # noqa: E402
from matplotlib.quiver import Quiver  # noqa: E402

import oineus_diff as od  # noqa: E402

H0 = np.array([[0.0, 1.0], [0.0, 2.0], [0.5, 0.75]])
H1 = np.array([[1.0, 3.0], [1.5, 1.75]])


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def scatters(ax):
    return [c for c in ax.collections if isinstance(c, PathCollection)]


def quivers(ax):
    return [c for c in ax.collections if isinstance(c, Quiver)]


def line_collections(ax):
    return [c for c in ax.collections if isinstance(c, LineCollection) and not isinstance(c, Quiver)]


def sorted_rows(array):
    array = np.asarray(array, dtype=float)
    return array[np.lexsort((array[:, 1], array[:, 0]))]


# ---------------------------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "diagrams",
    [
        H0,
        torch.tensor(H0, requires_grad=True),
        torch.tensor(H0, dtype=torch.float32),
        H0.tolist(),
        [H0],
        {0: torch.tensor(H0)},
    ],
    ids=["ndarray", "tensor-requires-grad", "float32", "list-of-pairs", "list-of-arrays", "dict"],
)
def test_every_accepted_form_draws_the_same_points(diagrams):
    ax = od.plot_diagram(diagrams)
    (points,) = scatters(ax)
    np.testing.assert_allclose(sorted_rows(points.get_offsets()), sorted_rows(H0))
    assert ax.get_xlabel() == "birth" and ax.get_ylabel() == "death"


def test_persistence_diagrams_are_drawn_per_dimension():
    pts = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=torch.float64)
    dgms = od.persistence_diagram(od.vr_filtration(pts, max_dim=2))
    ax = od.plot_diagram(dgms)
    drawn = scatters(ax)
    assert [c.get_label() for c in drawn] == ["H0", "H1"]
    for d, coll in enumerate(drawn):
        np.testing.assert_allclose(sorted_rows(coll.get_offsets()), sorted_rows(dgms[d].numpy()))
    assert ax.get_legend().get_title().get_text() == "dimension"


def test_draws_on_the_given_axes_and_returns_them():
    fig, ax = plt.subplots()
    assert od.plot_diagram(H0, ax) is ax
    assert od.plot_diagram_gradient(H0, np.ones_like(H0), ax=ax) is ax
    m = od.wasserstein_matching(H0, H1)
    assert od.plot_matching(H0, H1, m, ax) is ax
    assert fig.axes == [ax]


def test_a_new_figure_is_created_without_ax():
    before = plt.get_fignums()
    ax = od.plot_diagram(H0)
    assert ax.figure.number not in before


def test_bad_diagram_shapes_and_types_raise():
    with pytest.raises(ValueError, match=r"diagrams must have shape \(n, 2\); got \(3, 3\)"):
        od.plot_diagram(np.zeros((3, 3)))
    with pytest.raises(TypeError, match="diagrams"):
        od.plot_diagram("not a diagram")
    with pytest.raises(TypeError, match="diagrams"):
        od.plot_diagram(3.0)
    with pytest.raises(TypeError, match="keys"):
        od.plot_diagram({"zero": H0})
    with pytest.raises(ValueError, match="dims entry 3"):
        od.plot_diagram([H0, H1], dims=[3])
    with pytest.raises(TypeError, match="dims"):
        od.plot_diagram([H0, H1], dims=["0"])


def test_matplotlib_missing_raises_import_error_naming_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    for call in (
        lambda: od.plot_diagram(H0),
        lambda: od.plot_diagram_gradient(H0, H0),
        lambda: od.plot_matching(H0, H1, od.wasserstein_matching(H0, H1)),
    ):
        with pytest.raises(ImportError, match="matplotlib"):
            call()


# ---------------------------------------------------------------------------------------------
# plot_diagram
# ---------------------------------------------------------------------------------------------


def test_dims_restricts_the_dimensions_drawn():
    ax = od.plot_diagram([H0, H1], dims=[1])
    (coll,) = scatters(ax)
    assert coll.get_label() == "H1"
    np.testing.assert_allclose(coll.get_offsets(), H1)
    assert ax.get_legend() is None


def test_colours_single_list_dict_and_default_cycle():
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    ax = od.plot_diagram([H0, H1])
    assert [to_hex(c.get_facecolor()[0]) for c in scatters(ax)] == [to_hex(cycle[0]), to_hex(cycle[1])]
    ax = od.plot_diagram([H0, H1, H0], color=["red", "blue"])
    assert [to_hex(c.get_facecolor()[0]) for c in scatters(ax)] == ["#ff0000", "#0000ff", "#ff0000"]
    ax = od.plot_diagram([H0, H1], color={1: "black"})
    assert [to_hex(c.get_facecolor()[0]) for c in scatters(ax)] == [to_hex(cycle[0]), "#000000"]
    with pytest.warns(UserWarning, match="single color"):
        ax = od.plot_diagram([H0, H1], color="green")
    assert {to_hex(c.get_facecolor()[0]) for c in scatters(ax)} == {to_hex("green")}
    with pytest.raises(ValueError, match="color"):
        od.plot_diagram(H0, color=["not-a-colour"])


def test_single_colour_for_one_dimension_does_not_warn():
    od.plot_diagram(H0, color="green")


def test_legend_only_for_several_dimensions_and_can_be_switched_off():
    assert od.plot_diagram(H0).get_legend() is None
    assert od.plot_diagram([H0, H1]).get_legend().get_title().get_text() == "dimension"
    assert od.plot_diagram([H0, H1], legend=False).get_legend() is None


def test_diagonal_spans_the_data_range():
    ax = od.plot_diagram([H0, H1])
    diagonal = ax.get_lines()[0]
    x, y = diagonal.get_data()
    np.testing.assert_allclose(x, y)
    assert x.min() == pytest.approx(0.0) and x.max() == pytest.approx(3.0)


def test_essential_points_sit_on_labelled_lines_above_and_below():
    dgm = np.array([[0.0, 1.0], [0.0, 4.0], [1.0, np.inf], [2.0, -np.inf]])
    ax = od.plot_diagram(dgm, inf_line_margin=0.1)
    span = 4.0
    finite, plus, minus = scatters(ax)
    np.testing.assert_allclose(finite.get_offsets(), dgm[:2])
    np.testing.assert_allclose(plus.get_offsets(), [[1.0, 4.0 + 0.1 * span]])
    np.testing.assert_allclose(minus.get_offsets(), [[2.0, 0.0 - 0.1 * span]])
    hlines = [line.get_ydata()[0] for line in ax.get_lines()[1:]]
    assert hlines == pytest.approx([4.4, -0.4])
    assert {t.get_text() for t in ax.texts} == {"∞", "−∞"}

    # The markers: ▲ for +inf, ▼ for −inf.
    def marker_vertices(name):
        style = matplotlib.markers.MarkerStyle(name)
        return style.get_path().transformed(style.get_transform()).vertices

    up, down = marker_vertices("^"), marker_vertices("v")
    np.testing.assert_allclose(plus.get_paths()[0].vertices, up)
    np.testing.assert_allclose(minus.get_paths()[0].vertices, down)


def test_nan_rows_are_skipped_with_their_count():
    dgm = np.array([[0.0, 1.0], [np.nan, 2.0], [0.5, np.nan]])
    with pytest.warns(UserWarning, match="skipped 2 rows"):
        ax = od.plot_diagram(dgm)
    np.testing.assert_allclose(scatters(ax)[0].get_offsets(), [[0.0, 1.0]])


def test_log_axes_shift_the_data_and_say_so():
    dgm = np.array([[-1.0, 1.0], [0.0, 3.0]])
    ax = od.plot_diagram(dgm, log_x=True, log_y=True)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    shift = 1.0 + 0.05 * 4.0
    assert "shifted by +1.2" in ax.get_xlabel() and "log" in ax.get_ylabel()
    np.testing.assert_allclose(scatters(ax)[0].get_offsets(), dgm + shift)
    ax = od.plot_diagram(np.array([[1.0, 2.0]]), log_y=True)
    assert ax.get_ylabel() == "death (log scale)"


def test_axis_bounds_and_title():
    ax = od.plot_diagram(H0, axis_bounds={"xmin": -1.0, "xmax": 5.0, "ymax": 7.0}, title="T")
    assert ax.get_xlim() == (-1.0, 5.0)
    assert ax.get_ylim()[1] == 7.0
    assert ax.get_title() == "T"
    with pytest.raises(ValueError, match="axis_bounds"):
        od.plot_diagram(H0, axis_bounds={"left": 0.0})


def test_style_dicts_are_copied_not_mutated():
    point_style = {"s": 5, "marker": "s"}
    diagonal_style = {"color": "red"}
    ax = od.plot_diagram(H0, point_style=point_style, diagonal_style=diagonal_style)
    assert point_style == {"s": 5, "marker": "s"}
    assert diagonal_style == {"color": "red"}
    assert to_hex(ax.get_lines()[0].get_color()) == "#ff0000"
    quiver_style = {"color": "black", "width": 0.01}
    od.plot_diagram_gradient(H0, np.ones_like(H0), quiver_style=quiver_style)
    assert quiver_style == {"color": "black", "width": 0.01}


def test_density_mode_bins_points_near_the_diagonal():
    rng = np.random.default_rng(0)
    births = rng.uniform(0, 1, 300)
    near = np.stack([births, births + 0.001], axis=1)
    far = np.array([[0.0, 1.0], [0.1, 0.9]])
    dgm = np.concatenate([near, far])
    ax = od.plot_diagram(dgm, scatter_only=False, density_threshold=100)
    hexbins = [c for c in ax.collections if type(c).__name__ == "PolyCollection"]
    assert len(hexbins) == 1
    assert hexbins[0].get_array().sum() == 300
    np.testing.assert_allclose(scatters(ax)[0].get_offsets(), far)
    # Below the threshold, and with scatter_only=True, every point is a scatter point.
    assert len(scatters(od.plot_diagram(dgm, scatter_only=False))[0].get_offsets()) == 302
    assert len(scatters(od.plot_diagram(dgm, density_threshold=100))[0].get_offsets()) == 302


# ---------------------------------------------------------------------------------------------
# plot_diagram_gradient
# ---------------------------------------------------------------------------------------------


def test_arrows_equal_the_gradient_and_descent_flips_them():
    grad = np.array([[0.5, -1.0], [2.0, 0.0], [-0.25, 0.125]])
    ax = od.plot_diagram_gradient(H0, grad)
    (q,) = quivers(ax)
    np.testing.assert_allclose(q.X, H0[:, 0])
    np.testing.assert_allclose(q.Y, H0[:, 1])
    np.testing.assert_allclose(q.U, grad[:, 0])
    np.testing.assert_allclose(q.V, grad[:, 1])
    (q,) = quivers(od.plot_diagram_gradient(H0, grad, descent=True))
    np.testing.assert_allclose(q.U, -grad[:, 0])
    np.testing.assert_allclose(q.V, -grad[:, 1])


def test_retained_grad_of_persistence_diagrams_is_used():
    pts = torch.tensor([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0], [3.0, 4.0]], dtype=torch.float64)
    pts.requires_grad_(True)
    dgms = od.persistence_diagram(od.vr_filtration(pts, max_dim=2))
    for d in dgms:
        dgms[d].retain_grad()
    loss = (dgms[0][:, 1] - dgms[0][:, 0]).sum() + 2.0 * (dgms[1][:, 1] - dgms[1][:, 0]).sum()
    loss.backward()
    ax = od.plot_diagram_gradient(dgms, descent=True)
    q0, q1 = quivers(ax)
    # d(death - birth)/d(birth, death) = (-1, 1); descent negates it.
    np.testing.assert_allclose(np.stack([q0.U, q0.V], axis=1), np.tile([1.0, -1.0], (len(dgms[0]), 1)))
    np.testing.assert_allclose(np.stack([q1.U, q1.V], axis=1), np.tile([2.0, -2.0], (len(dgms[1]), 1)))
    np.testing.assert_allclose(np.stack([q1.X, q1.Y], axis=1), dgms[1].detach().numpy())


def test_without_dims_only_dimensions_with_a_retained_grad_are_drawn():
    pts = torch.tensor([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0], [3.0, 4.0]], dtype=torch.float64)
    pts.requires_grad_(True)
    dgms = od.persistence_diagram(od.vr_filtration(pts, max_dim=2))
    dgms[1].retain_grad()
    (dgms[1][:, 1] - dgms[1][:, 0]).sum().backward()
    ax = od.plot_diagram_gradient(dgms)
    (q,) = quivers(ax)
    np.testing.assert_allclose(np.stack([q.X, q.Y], axis=1), dgms[1].detach().numpy())
    assert [c.get_label() for c in scatters(ax)] == ["H1"]
    # Asking for dimension 0 explicitly is the missing-gradient error.
    with pytest.raises(ValueError, match=r"dgms\[0\]\.retain_grad"):
        od.plot_diagram_gradient(dgms, dims=[0, 1])


def test_missing_gradient_mentions_retain_grad():
    pts = torch.tensor([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]], dtype=torch.float64, requires_grad=True)
    dgms = od.persistence_diagram(od.vr_filtration(pts, max_dim=1))
    (dgms[0][:, 1]).sum().backward()
    with pytest.raises(ValueError, match="retain_grad"):
        od.plot_diagram_gradient(dgms)
    with pytest.raises(ValueError, match="retain_grad"):
        od.plot_diagram_gradient(H0)


def test_explicit_gradient_wins_over_grad_and_dict_gradients():
    dgm = torch.tensor(H0, requires_grad=True)
    dgm.sum().backward()
    explicit = np.full_like(H0, 3.0)
    (q,) = quivers(od.plot_diagram_gradient(dgm, explicit))
    np.testing.assert_allclose(q.U, 3.0)
    ax = od.plot_diagram_gradient({0: H0, 1: H1}, {0: np.ones_like(H0), 1: -np.ones_like(H1)})
    q0, q1 = quivers(ax)
    np.testing.assert_allclose(q0.U, 1.0)
    np.testing.assert_allclose(q1.U, -1.0)
    with pytest.raises(ValueError, match="single array"):
        od.plot_diagram_gradient({0: H0, 1: H1}, np.ones_like(H0))


def test_row_count_mismatch_and_empty_diagrams_raise():
    with pytest.raises(ValueError, match="3 rows but the diagram has 2"):
        od.plot_diagram_gradient(H1, np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"^No diagram points to plot\.$"):
        od.plot_diagram_gradient(np.zeros((0, 2)), np.zeros((0, 2)))
    with pytest.raises(ValueError, match="No diagram points"):
        od.plot_diagram_gradient(H0, np.ones_like(H0), min_persistence=10.0)


def test_non_finite_gradient_rows_are_not_drawn():
    grad = np.array([[1.0, 1.0], [np.nan, 0.0], [np.inf, 1.0]])
    (q,) = quivers(od.plot_diagram_gradient(H0, grad))
    np.testing.assert_allclose(q.X, [0.0])
    np.testing.assert_allclose(q.U, [1.0])


def test_essential_rows_get_a_horizontal_arrow_on_the_infinity_line():
    dgm = np.array([[0.0, 2.0], [1.0, np.inf]])
    grad = np.array([[1.0, 1.0], [0.5, np.nan]])
    (q,) = quivers(od.plot_diagram_gradient(dgm, grad))
    np.testing.assert_allclose(q.X, [0.0, 1.0])
    np.testing.assert_allclose(q.Y, [2.0, 2.0 + 0.05 * 2.0])
    np.testing.assert_allclose(q.U, [1.0, 0.5])
    np.testing.assert_allclose(q.V, [1.0, 0.0])


def test_one_quiver_per_dimension_in_ascending_order():
    ax = od.plot_diagram_gradient({1: H1, 0: H0}, {0: np.ones_like(H0), 1: 2 * np.ones_like(H1)})
    q0, q1 = quivers(ax)
    np.testing.assert_allclose(q0.X, H0[:, 0])
    np.testing.assert_allclose(q1.X, H1[:, 0])
    (q,) = quivers(od.plot_diagram_gradient([H0, H1], {1: np.ones_like(H1)}, dims=[1]))
    np.testing.assert_allclose(q.X, H1[:, 0])


def test_min_persistence_keeps_points_at_or_above_the_threshold():
    grad = np.arange(6.0).reshape(3, 2)
    ax = od.plot_diagram_gradient(H0, grad, min_persistence=1.0)
    (q,) = quivers(ax)
    np.testing.assert_allclose(q.X, [0.0, 0.0])
    np.testing.assert_allclose(q.Y, [1.0, 2.0])
    np.testing.assert_allclose(scatters(ax)[0].get_offsets(), H0[:2])


def test_top_k_arrows_keeps_the_largest_norms_and_default_cap_warns():
    grad = np.array([[0.1, 0.0], [3.0, 4.0], [0.0, 1.0]])
    (q,) = quivers(od.plot_diagram_gradient(H0, grad, top_k_arrows=2))
    np.testing.assert_allclose(q.U, [3.0, 0.0])
    np.testing.assert_allclose(q.V, [4.0, 1.0])
    rng = np.random.default_rng(1)
    big = np.sort(rng.uniform(0, 1, (1000, 2)), axis=1)
    big_grad = rng.normal(size=(1000, 2))
    with pytest.warns(UserWarning, match="capping arrows"):
        (q,) = quivers(od.plot_diagram_gradient(big, big_grad))
    assert len(q.U) == 200
    norms = np.hypot(big_grad[:, 0], big_grad[:, 1])
    assert np.hypot(q.U, q.V).min() == pytest.approx(np.sort(norms)[-200])
    # Below the threshold, or with an explicit K, nothing warns.
    (q,) = quivers(od.plot_diagram_gradient(big[:999], big_grad[:999]))
    assert len(q.U) == 999
    (q,) = quivers(od.plot_diagram_gradient(big, big_grad, top_k_arrows=1000))
    assert len(q.U) == 1000


def test_arrow_colour_default_green_and_overrides():
    def colour(ax):
        return to_hex(quivers(ax)[0].get_facecolor()[0])

    assert colour(od.plot_diagram_gradient(H0, np.ones_like(H0))) == "#009e73"
    assert colour(od.plot_diagram_gradient(H0, np.ones_like(H0), grad_color="red")) == "#ff0000"
    ax = od.plot_diagram_gradient(H0, np.ones_like(H0), quiver_style={"color": "blue"})
    assert colour(ax) == "#0000ff"


def test_plot_points_false_draws_only_arrows_and_label_is_set():
    ax = od.plot_diagram_gradient(H0, np.ones_like(H0), plot_points=False, label="grad")
    assert scatters(ax) == []
    (q,) = quivers(ax)
    assert q.get_label() == "grad"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.gpu
def test_cuda_tensors_are_plotted():
    dgm = torch.tensor(H0, device="cuda", requires_grad=True)
    (dgm**2).sum().backward()
    (q,) = quivers(od.plot_diagram_gradient(dgm))
    np.testing.assert_allclose(q.U, 2 * H0[:, 0])
    ax = od.plot_diagram({0: dgm})
    np.testing.assert_allclose(scatters(ax)[0].get_offsets(), H0)


# ---------------------------------------------------------------------------------------------
# plot_matching
# ---------------------------------------------------------------------------------------------

A = np.array([[0.0, 1.0], [0.5, 2.0], [0.3, 0.7]])
B = np.array([[0.2, 1.2], [0.6, 2.1], [1.0, 1.1]])


def test_wasserstein_edges_include_diagonal_projections():
    m = od.wasserstein_matching(A, B)
    ax = od.plot_matching(A, B, m)
    (edges,) = line_collections(ax)
    segments = sorted(tuple(map(tuple, np.round(s, 12))) for s in edges.get_segments())
    expected = [(tuple(A[i]), tuple(B[j])) for i, j in m.finite_to_finite]
    expected += [(tuple(A[i]), ((A[i].sum() / 2),) * 2) for i in m.a_to_diagonal]
    expected += [(((B[j].sum() / 2),) * 2, tuple(B[j])) for j in m.b_to_diagonal]
    assert len(m.a_to_diagonal) + len(m.b_to_diagonal) > 0
    assert segments == sorted(tuple(tuple(np.round(p, 12)) for p in seg) for seg in expected)
    a_pts, b_pts = scatters(ax)
    assert to_hex(a_pts.get_facecolor()[0]) == "#0072b2"
    assert to_hex(b_pts.get_facecolor()[0]) == "#d55e00"
    assert to_rgba(edges.get_edgecolor()[0]) == pytest.approx(to_rgba("0.30"))


def test_bottleneck_draws_finite_edges_and_longest_in_red():
    m = od.bottleneck_matching(A, B, delta=0.0)
    ax = od.plot_matching(A, B, m)
    edges, longest = line_collections(ax)
    assert len(edges.get_segments()) == len(m.finite_to_finite)
    assert len(longest.get_segments()) == len(m.longest.finite) >= 1
    assert to_hex(longest.get_edgecolor()[0]) == "#ff0000"
    for seg, edge in zip(longest.get_segments(), m.longest.finite, strict=True):
        assert np.abs(seg[1] - seg[0]).max() == pytest.approx(m.distance)
        np.testing.assert_allclose(seg, [edge.point_a, edge.point_b])


def test_matching_type_and_dim_errors():
    with pytest.raises(TypeError, match="matching must be"):
        od.plot_matching(A, B, {"finite_to_finite": []})
    m = od.wasserstein_matching(A, B)
    with pytest.raises(ValueError, match="pass dim"):
        od.plot_matching({0: A, 1: H1}, B, m)
    ax = od.plot_matching({0: A, 1: H1}, [B], m, dim=0)
    assert len(line_collections(ax)[0].get_segments()) > 0
    with pytest.raises(ValueError, match="pair_filter"):
        od.plot_matching(A, B, m, pair_filter="neither")


def test_matching_from_persistence_diagrams_with_dim():
    pts = torch.tensor([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0], [3.0, 4.0]], dtype=torch.float64)
    dgms = od.persistence_diagram(od.vr_filtration(pts, max_dim=2))
    m = od.wasserstein_matching(dgms[0], dgms[0] + 0.5)
    ax = od.plot_matching(dgms, {0: dgms[0] + 0.5}, m, dim=0)
    (edges,) = line_collections(ax)
    for seg in edges.get_segments():
        if not np.isclose(seg[1, 0], seg[1, 1]):
            np.testing.assert_allclose(seg[1] - seg[0], [0.5, 0.5])


def test_min_persistence_either_and_both():
    m = od.wasserstein_matching(A, B)
    n_all = len(line_collections(od.plot_matching(A, B, m))[0].get_segments())
    either = line_collections(od.plot_matching(A, B, m, min_persistence=1.0))[0].get_segments()
    both = line_collections(od.plot_matching(A, B, m, min_persistence=1.0, pair_filter="both"))[0]
    for seg in either:
        assert max(abs(seg[0][1] - seg[0][0]), abs(seg[1][1] - seg[1][0])) >= 1.0
    for seg in both.get_segments():
        assert min(abs(seg[0][1] - seg[0][0]), abs(seg[1][1] - seg[1][0])) >= 1.0
    assert n_all > len(either) >= len(both.get_segments()) >= 1


def test_top_k_pairs_default_cap_warns():
    rng = np.random.default_rng(2)
    a = np.sort(rng.uniform(0, 1, (1000, 2)), axis=1)
    b = np.sort(rng.uniform(0, 1, (1000, 2)), axis=1)
    m = od.wasserstein_matching(a, b)
    assert len(m.finite_to_finite) + len(m.a_to_diagonal) + len(m.b_to_diagonal) >= 1000
    with pytest.warns(UserWarning, match="capping"):
        ax = od.plot_matching(a, b, m)
    assert len(line_collections(ax)[0].get_segments()) == 200
    ax = od.plot_matching(a, b, m, top_k_pairs=5)
    segs = line_collections(ax)[0].get_segments()
    assert len(segs) == 5
    lengths = sorted(np.abs(s[1] - s[0]).max() for s in segs)
    all_ax = od.plot_matching(a, b, m, top_k_pairs=10**6)
    all_lengths = sorted(np.abs(s[1] - s[0]).max() for s in line_collections(all_ax)[0].get_segments())
    np.testing.assert_allclose(lengths, all_lengths[-5:])


def test_essential_pairs_and_diagonal_projections():
    a = np.array([[0.0, 1.0], [0.2, np.inf]])
    b = np.array([[0.1, 1.1], [0.5, np.inf], [0.4, 0.45]])
    m = od.wasserstein_matching(a, b, ignore_inf_points=False)
    ax = od.plot_matching(a, b, m, plot_essential=True, plot_diagonal_projections=True, linewidth=2.5)
    (edges,) = line_collections(ax)
    assert edges.get_linewidths()[0] == 2.5
    y_inf = 1.1 + 0.05 * 1.1
    essential = [s for s in edges.get_segments() if np.isclose(s[0][1], y_inf)]
    assert len(essential) == 1
    np.testing.assert_allclose(essential[0], [[0.2, y_inf], [0.5, y_inf]])
    projections = scatters(ax)[-1]
    np.testing.assert_allclose(projections.get_offsets(), [[0.425, 0.425]])
    assert "∞" in {t.get_text() for t in ax.texts}
    # Without plot_essential, the essential pair is not drawn.
    (edges,) = line_collections(od.plot_matching(a, b, m))
    assert len(edges.get_segments()) == 2
