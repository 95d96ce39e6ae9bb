"""Bad input to vr_filtration and persistence_diagram (SPEC §8): the documented exception
classes, with messages that name the offending parameter."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch

import oineus_diff as od

NAN = float("nan")
INF = float("inf")


@pytest.fixture
def points():
    return np.random.default_rng(0).random((6, 2))


@pytest.fixture
def fil(points):
    return od.vr_filtration(points, max_dim=2)


DMAT = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 1.5], [2.0, 1.5, 0.0]])


# ---------------------------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data,type_name",
    [
        ([[0.0, 0.0], [1.0, 1.0]], "list"),
        (3.0, "float"),
        (7, "int"),
        ((1.0, 2.0), "tuple"),
        (None, "NoneType"),
    ],
)
def test_data_of_wrong_type_raises_type_error(data, type_name):
    with pytest.raises(
        TypeError, match=rf"^data must be a torch\.Tensor or numpy\.ndarray, got {type_name}$"
    ):
        od.vr_filtration(data)


def test_list_message_is_exactly_as_documented():
    with pytest.raises(TypeError) as info:
        od.vr_filtration([[0.0, 0.0], [1.0, 1.0]])
    assert str(info.value) == "data must be a torch.Tensor or numpy.ndarray, got list"


@pytest.mark.parametrize(
    "data",
    [torch.zeros(3, 2, dtype=torch.complex64), np.zeros((3, 2), dtype=np.complex128)],
    ids=["torch", "numpy"],
)
def test_complex_data_raises_type_error(data):
    with pytest.raises(TypeError, match=r"data.*complex"):
        od.vr_filtration(data)


def test_object_array_raises_type_error():
    with pytest.raises(TypeError, match="data"):
        od.vr_filtration(np.array([[1.0, None]], dtype=object))


@pytest.mark.parametrize("shape", [(), (5,), (2, 3, 4)])
def test_point_cloud_of_wrong_ndim_raises_value_error_with_shapes(shape):
    expected = re.escape(f"data must have shape (n_points, n_dims); got {shape}")
    with pytest.raises(ValueError, match=expected):
        od.vr_filtration(torch.zeros(shape))


@pytest.mark.parametrize("shape", [(3, 4), (4, 3), (5,)])
def test_distance_matrix_of_wrong_shape_raises_value_error_with_shapes(shape):
    with pytest.raises(ValueError, match=rf"data must .*\(n, n\).*{re.escape(str(shape))}"):
        od.vr_filtration(torch.zeros(shape), from_pwdists=True, max_dim=1)


@pytest.mark.parametrize("shape,from_pwdists", [((0, 2), False), ((3, 0), False), ((0, 0), True)])
def test_empty_data_raises_value_error(shape, from_pwdists):
    with pytest.raises(ValueError, match=r"data is empty"):
        od.vr_filtration(torch.zeros(shape), from_pwdists=from_pwdists, max_dim=1)


@pytest.mark.parametrize(
    "bad,count",
    [([NAN], 1), ([INF], 1), ([-INF, NAN], 2), ([NAN, NAN, INF], 3)],
)
def test_non_finite_points_raise_value_error_with_count(bad, count):
    data = np.random.default_rng(1).random((5, 3))
    data.flat[: len(bad)] = bad
    with pytest.raises(ValueError, match=rf"data.* {count} NaN or infinite"):
        od.vr_filtration(data)
    with pytest.raises(ValueError, match=rf"data.* {count} NaN or infinite"):
        od.vr_filtration(torch.tensor(data, requires_grad=True))


@pytest.mark.parametrize("bad", [-1.0, NAN, INF, -INF])
def test_bad_lower_triangle_distance_raises_value_error_naming_data(bad):
    dmat = DMAT.copy()
    dmat[2, 0] = bad
    with pytest.raises(ValueError, match=r"^data .*1 negative, NaN or infinite"):
        od.vr_filtration(dmat, from_pwdists=True, max_dim=1)


def test_bad_distances_are_counted():
    dmat = np.ones((4, 4))
    dmat[1, 0], dmat[2, 1], dmat[3, 0] = -1.0, NAN, INF
    with pytest.raises(ValueError, match=r"data .* 3 negative, NaN or infinite"):
        od.vr_filtration(dmat, from_pwdists=True, max_dim=1)


def test_upper_triangle_and_diagonal_are_not_validated():
    dmat = DMAT.copy()
    dmat[0, 1], dmat[0, 2], dmat[1, 2] = NAN, -5.0, INF
    np.fill_diagonal(dmat, NAN)
    fil = od.vr_filtration(dmat, from_pwdists=True, max_dim=1)
    assert fil.values.tolist() == [0.0, 0.0, 0.0, 1.0, 1.5]
    dgms = od.persistence_diagram(fil)
    assert dgms[0].tolist() == [[0.0, 1.0], [0.0, 1.5]]


# ---------------------------------------------------------------------------------------------
# vr_filtration parameters
# ---------------------------------------------------------------------------------------------


def test_distance_matrix_needs_non_negative_max_dim():
    with pytest.raises(ValueError, match=r"max_dim.*distance matrix"):
        od.vr_filtration(DMAT, from_pwdists=True)
    with pytest.raises(ValueError, match=r"max_dim"):
        od.vr_filtration(DMAT, from_pwdists=True, max_dim=-3)


def test_negative_max_dim_for_points_means_ambient_dimension(points):
    assert od.vr_filtration(points, max_dim=-7).max_dim == 2


@pytest.mark.parametrize("value", [1.0, True, "2", None, np.float64(2.0)])
def test_non_integer_max_dim_raises_type_error(points, value):
    with pytest.raises(TypeError, match="max_dim"):
        od.vr_filtration(points, max_dim=value)


def test_numpy_integer_max_dim_is_accepted(points):
    assert od.vr_filtration(points, max_dim=np.int64(1)).max_dim == 1


def test_nan_max_diameter_raises_value_error(points):
    with pytest.raises(ValueError, match="max_diameter"):
        od.vr_filtration(points, max_diameter=NAN)


def test_non_numeric_max_diameter_raises_type_error(points):
    with pytest.raises(TypeError, match="max_diameter"):
        od.vr_filtration(points, max_diameter="1.0")


def test_any_negative_max_diameter_means_default(points):
    default = od.vr_filtration(points)
    for value in (-1.0, -5.0, -INF):
        other = od.vr_filtration(points, max_diameter=value)
        assert other.cells() == default.cells()


@pytest.mark.parametrize("eps", [-1e-12, -1.0, NAN])
def test_invalid_eps_raises_value_error(points, eps):
    with pytest.raises(ValueError, match="eps"):
        od.vr_filtration(points, eps=eps)


@pytest.mark.parametrize("n_threads", [0, -1, -8])
def test_non_positive_n_threads_raises_value_error(points, fil, n_threads):
    with pytest.raises(ValueError, match=r"^n_threads must be a positive integer"):
        od.vr_filtration(points, n_threads=n_threads)
    with pytest.raises(ValueError, match=r"^n_threads must be a positive integer"):
        od.persistence_diagram(fil, n_threads=n_threads)


@pytest.mark.parametrize("n_threads", [True, False, 1.5, 2.0, "4"])
def test_bool_or_float_n_threads_raises_type_error(points, fil, n_threads):
    with pytest.raises(TypeError, match="n_threads"):
        od.vr_filtration(points, n_threads=n_threads)
    with pytest.raises(TypeError, match="n_threads"):
        od.persistence_diagram(fil, n_threads=n_threads)


def test_vr_n_threads_none_means_one(points):
    assert od.vr_filtration(points, n_threads=None).cells() == od.vr_filtration(points).cells()


@pytest.mark.parametrize("name", ["from_pwdists", "packed"])
def test_non_bool_flags_raise_type_error(points, name):
    with pytest.raises(TypeError, match=name):
        od.vr_filtration(points, **{name: "yes"})


def test_keyword_only_parameters_cannot_be_positional(points, fil):
    with pytest.raises(TypeError):
        od.vr_filtration(points, False, 2, -1.0, 0.0, False)
    with pytest.raises(TypeError):
        od.persistence_diagram(fil, None, False, "dgm-loss", 1.0, "avg", None, [0])


def test_packed_has_no_effect(points):
    assert od.vr_filtration(points, packed=True).cells() == od.vr_filtration(points).cells()


# ---------------------------------------------------------------------------------------------
# persistence_diagram parameters
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, np.zeros((3, 2)), torch.zeros(3), "fil"])
def test_fil_not_a_diff_filtration_raises_type_error(value):
    with pytest.raises(TypeError, match=r"^fil must be a DiffFiltration"):
        od.persistence_diagram(value)


@pytest.mark.parametrize("value", ["foo", "dgm_loss", "critsets", ""])
def test_unknown_gradient_method_raises_value_error_listing_accepted(fil, value):
    with pytest.raises(ValueError, match=r"gradient_method.*'dgm-loss'.*'crit-sets'"):
        od.persistence_diagram(fil, gradient_method=value)


@pytest.mark.parametrize("value", ["median", "average", "", "fix-crit"])
def test_unknown_conflict_strategy_raises_value_error_listing_accepted(fil, value):
    with pytest.raises(ValueError, match=r"conflict_strategy.*Max.*Avg.*Sum.*FixCritAvg") as info:
        od.persistence_diagram(fil, conflict_strategy=value)
    assert "fca" in str(info.value)


@pytest.mark.parametrize(
    "value",
    ["avg", "AVG", "Max", "sum", "fca", "FCA", "fixcritavg", "FixCritAvg", od.ConflictStrategy.Sum],
)
def test_accepted_conflict_strategies_do_not_change_dgm_loss(fil, value):
    reference = od.persistence_diagram(fil)
    dgms = od.persistence_diagram(fil, conflict_strategy=value)
    for d in reference:
        assert torch.equal(dgms[d], reference[d])


@pytest.mark.parametrize("value", [0, 0.0, -1, -1e-9, NAN, INF, -INF])
def test_invalid_step_size_raises_value_error(fil, value):
    with pytest.raises(ValueError, match="step_size"):
        od.persistence_diagram(fil, step_size=value)
    with pytest.raises(ValueError, match="step_size"):
        od.persistence_diagram(fil, gradient_method="crit-sets", step_size=value)


@pytest.mark.parametrize("value", [[3], [-1], [0, 1, 2, 3], range(5)])
def test_dims_to_backprop_out_of_range_raises_value_error(fil, value):
    assert fil.max_dim == 2
    with pytest.raises(ValueError, match="dims_to_backprop"):
        od.persistence_diagram(fil, dims_to_backprop=value)


@pytest.mark.parametrize("value", [[1.0], [True], ["0"], 1])
def test_dims_to_backprop_of_wrong_type_raises_type_error(fil, value):
    with pytest.raises(TypeError, match="dims_to_backprop"):
        od.persistence_diagram(fil, dims_to_backprop=value)


@pytest.mark.parametrize("name,value", [("dualize", 1), ("dualize", "yes"), ("include_inf_points", None)])
def test_non_bool_flags_of_persistence_diagram_raise_type_error(fil, name, value):
    with pytest.raises(TypeError, match=name):
        od.persistence_diagram(fil, **{name: value})


@pytest.mark.parametrize("spelling", ["crit-sets", "Crit-Sets", "CRIT-SETS"])
def test_crit_sets_is_accepted_in_any_case(fil, spelling):
    dgms = od.persistence_diagram(fil, gradient_method=spelling)
    assert dgms.gradient_method == "crit-sets"


def test_crit_sets_validates_arguments(fil):
    with pytest.raises(ValueError, match="conflict_strategy"):
        od.persistence_diagram(fil, gradient_method="crit-sets", conflict_strategy="nope")
    with pytest.raises(ValueError, match="dims_to_backprop"):
        od.persistence_diagram(fil, gradient_method="crit-sets", dims_to_backprop=[9])
    with pytest.raises(ValueError, match="n_threads"):
        od.persistence_diagram(fil, gradient_method="crit-sets", n_threads=0)


def test_errors_are_raised_before_any_work_leaves_inputs_unchanged():
    data = torch.tensor([[0.0, 0.0], [1.0, NAN]], requires_grad=True)
    with pytest.raises(ValueError):
        od.vr_filtration(data)
    assert data.grad is None
    assert math.isnan(data[1, 1].item())


# ---------------------------------------------------------------------------------------------
# Grid builders: freudenthal_filtration and cube_filtration (SPEC §3.2, §3.3, §8)
# ---------------------------------------------------------------------------------------------

GRID = np.random.default_rng(2).random((4, 5))


def freudenthal(data, **kwargs):
    return od.freudenthal_filtration(data, **kwargs)


def cube_vertices(data, **kwargs):
    return od.cube_filtration(data, **kwargs)


def cube_cells(data, **kwargs):
    return od.cube_filtration(data, values_on="cells", **kwargs)


GRID_BUILDERS = pytest.mark.parametrize(
    "grid_builder",
    [freudenthal, cube_vertices, cube_cells],
    ids=["freudenthal", "cube-vertices", "cube-cells"],
)


@GRID_BUILDERS
@pytest.mark.parametrize("shape", [(), (2, 2, 2, 2, 2), (1, 1, 1, 1, 1, 1)])
def test_grid_of_wrong_ndim_raises_value_error_with_shapes(grid_builder, shape):
    with pytest.raises(ValueError, match=rf"^data .*4.*{re.escape(str(shape))}"):
        grid_builder(torch.zeros(shape))
    with pytest.raises(ValueError, match=rf"^data .*{re.escape(str(shape))}"):
        grid_builder(np.zeros(shape))


@GRID_BUILDERS
@pytest.mark.parametrize("shape", [(0,), (3, 0), (0, 4), (2, 0, 2), (2, 2, 2, 0)])
def test_empty_grid_raises_value_error(grid_builder, shape):
    with pytest.raises(ValueError, match=r"^data is empty"):
        grid_builder(torch.zeros(shape))


@GRID_BUILDERS
@pytest.mark.parametrize(
    "bad,count",
    [([NAN], 1), ([INF], 1), ([-INF, NAN], 2), ([NAN, NAN, INF], 3)],
)
def test_non_finite_grid_entries_raise_value_error_with_count(grid_builder, bad, count):
    data = GRID.copy()
    data.flat[-len(bad) :] = bad
    with pytest.raises(ValueError, match=rf"^data .* {count} NaN or infinite"):
        grid_builder(data)
    leaf = torch.tensor(data, requires_grad=True)
    with pytest.raises(ValueError, match=rf"^data .* {count} NaN or infinite"):
        grid_builder(leaf)
    assert leaf.grad is None


@GRID_BUILDERS
@pytest.mark.parametrize(
    "data,type_name",
    [([[0.0, 1.0], [2.0, 3.0]], "list"), (3.0, "float"), ((1.0, 2.0), "tuple"), (None, "NoneType")],
)
def test_grid_data_of_wrong_type_raises_type_error(grid_builder, data, type_name):
    with pytest.raises(
        TypeError, match=rf"^data must be a torch\.Tensor or numpy\.ndarray, got {type_name}$"
    ):
        grid_builder(data)


def test_grid_list_message_is_exactly_as_documented():
    for builder in (od.freudenthal_filtration, od.cube_filtration):
        with pytest.raises(TypeError) as info:
            builder([[0.0, 1.0], [2.0, 3.0]])
        assert str(info.value) == "data must be a torch.Tensor or numpy.ndarray, got list"


@GRID_BUILDERS
@pytest.mark.parametrize(
    "data",
    [torch.zeros(3, 3, dtype=torch.complex64), np.zeros((3, 3), dtype=np.complex128)],
    ids=["torch", "numpy"],
)
def test_complex_grid_raises_type_error(grid_builder, data):
    with pytest.raises(TypeError, match=r"data.*complex"):
        grid_builder(data)


@GRID_BUILDERS
@pytest.mark.parametrize("max_dim", [-1, -4])
def test_negative_grid_max_dim_raises_value_error(grid_builder, max_dim):
    with pytest.raises(ValueError, match="max_dim"):
        grid_builder(GRID, max_dim=max_dim)


@GRID_BUILDERS
@pytest.mark.parametrize("max_dim", [1.0, 2.5, True, "2", np.float64(2.0)])
def test_non_integer_grid_max_dim_raises_type_error(grid_builder, max_dim):
    with pytest.raises(TypeError, match="max_dim"):
        grid_builder(GRID, max_dim=max_dim)


def test_numpy_integer_grid_max_dim_is_accepted():
    assert od.freudenthal_filtration(GRID, max_dim=np.int32(1)).max_dim == 1
    assert od.cube_filtration(GRID, max_dim=np.int64(1)).max_dim == 1


def test_freudenthal_max_dim_none_raises_type_error():
    # Only cube_filtration documents None ("data.ndim").
    with pytest.raises(TypeError, match="max_dim"):
        od.freudenthal_filtration(GRID, max_dim=None)


@pytest.mark.parametrize("shape", [(2, 5), (5, 2), (3, 3, 2), (2,), (1, 4), (3, 3, 3, 2)])
def test_freudenthal_wrap_with_short_axis_raises_value_error(shape):
    with pytest.raises(ValueError, match=rf"wrap.*3.*{re.escape(str(shape))}"):
        od.freudenthal_filtration(np.zeros(shape), wrap=True)


def test_freudenthal_wrap_accepts_axes_of_length_three():
    fil = od.freudenthal_filtration(np.zeros((3, 3)), wrap=True)
    assert len(fil) == 9 + 27 + 18


@pytest.mark.parametrize("values_on", ["vertices", "cells"])
def test_cube_wrap_raises_value_error(values_on):
    with pytest.raises(ValueError, match="wrap"):
        od.cube_filtration(GRID, wrap=True, values_on=values_on)


@pytest.mark.parametrize("values_on", ["", "top", "vertex", "cell", "top-cells", "pixels"])
def test_unknown_values_on_raises_value_error_listing_accepted(values_on):
    with pytest.raises(ValueError, match=r"values_on") as info:
        od.cube_filtration(GRID, values_on=values_on)
    message = str(info.value)
    for accepted in ("vertices", "cells", "top_cells"):
        assert f"'{accepted}'" in message


@GRID_BUILDERS
@pytest.mark.parametrize("n_threads", [0, -1, -8])
def test_grid_non_positive_n_threads_raises_value_error(grid_builder, n_threads):
    with pytest.raises(ValueError, match=r"^n_threads must be a positive integer"):
        grid_builder(GRID, n_threads=n_threads)


@GRID_BUILDERS
@pytest.mark.parametrize("n_threads", [True, False, 1.5, 2.0, "4"])
def test_grid_bool_or_float_n_threads_raises_type_error(grid_builder, n_threads):
    with pytest.raises(TypeError, match="n_threads"):
        grid_builder(GRID, n_threads=n_threads)


@GRID_BUILDERS
def test_grid_n_threads_none_means_one(grid_builder):
    assert grid_builder(GRID, n_threads=None).cells() == grid_builder(GRID).cells()


@pytest.mark.parametrize("name", ["negate", "wrap", "slim"])
def test_non_bool_freudenthal_flags_raise_type_error(name):
    with pytest.raises(TypeError, match=name):
        od.freudenthal_filtration(GRID, **{name: "yes"})


@pytest.mark.parametrize("name", ["negate", "wrap"])
def test_non_bool_cube_flags_raise_type_error(name):
    with pytest.raises(TypeError, match=name):
        od.cube_filtration(GRID, **{name: "yes"})
