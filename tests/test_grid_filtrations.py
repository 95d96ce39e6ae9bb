"""Grid builders: freudenthal_filtration and cube_filtration (SPEC §1.2, §2, §3.2, §3.3, §4.8,
§10.2, §10.3, §10.7).

Besides the hand-checked vectors of the SPEC, every small grid is compared with a brute-force
builder written here straight from the SPEC's emission rules (pattern tables, face bits, lower
and upper star, the critical-index rules and the sort key (dimension, value', emission index)),
and its diagrams with a plain serial Z/2 reduction of ``boundary_matrix()``.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse
import torch

import oineus_diff as od

INF = float("inf")

F_3X3 = [[0.0, 5.0, 1.0], [4.0, 6.0, 2.0], [3.0, 7.0, 0.5]]
MICRO = [0.0, 3.0, 1.0, 2.0, 0.5, 4.0]
BUILDERS = ["freudenthal", "cube-vertices", "cube-cells"]


def build(builder, data, **kwargs):
    if builder == "freudenthal":
        return od.freudenthal_filtration(data, **kwargs)
    values_on = "vertices" if builder == "cube-vertices" else "cells"
    return od.cube_filtration(data, values_on=values_on, **kwargs)


def dims_of(fil):
    return [fil.size_in_dimension(d) for d in range(fil.max_dim + 1)]


def cell_dimensions(fil):
    return np.repeat(np.arange(fil.max_dim + 1), dims_of(fil))


def bitwise_equal(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b)


def plateau_grid(seed, shape, levels=4):
    """Small integer-valued grid: many exact ties between vertex values."""
    return np.random.default_rng(seed).integers(0, levels, size=shape).astype(np.float64)


def random_grid(seed, shape):
    return np.random.default_rng(seed).random(shape)


# ---------------------------------------------------------------------------------------------
# Brute-force builders, transcribed from SPEC §3.2 and §3.3
# ---------------------------------------------------------------------------------------------

# Offsets are written axis 0 first; the anchor (all zeros) is implicit.
FREUDENTHAL_PATTERNS = {
    1: {1: [("1",)]},
    2: {1: [("01",), ("11",), ("10",)], 2: [("10", "11"), ("01", "11")]},
    3: {
        1: [("010",), ("110",), ("011",), ("111",), ("001",), ("100",), ("101",)],
        2: [
            ("001", "011"),
            ("001", "101"),
            ("100", "101"),
            ("100", "111"),
            ("010", "110"),
            ("101", "111"),
            ("011", "111"),
            ("010", "011"),
            ("001", "111"),
            ("100", "110"),
            ("010", "111"),
            ("110", "111"),
        ],
        3: [
            ("001", "011", "111"),
            ("100", "101", "111"),
            ("010", "110", "111"),
            ("001", "101", "111"),
            ("100", "110", "111"),
            ("010", "011", "111"),
        ],
    },
}


def four_d_patterns():
    """Chains b1 < ... < bk of nonzero 4-bit sets, lexicographic as binary numbers."""
    chains = {k: [] for k in range(1, 5)}

    def extend(chain):
        if chain:
            chains[len(chain)].append(chain)
        if len(chain) == 4:
            return
        for b in range(1, 16):
            if not chain or (b != chain[-1] and b & chain[-1] == chain[-1]):
                extend((*chain, b))

    extend(())
    return {k: [tuple(format(b, "04b") for b in c) for c in sorted(v)] for k, v in chains.items()}


FREUDENTHAL_PATTERNS[4] = four_d_patterns()


def flat_index(coords, shape):
    index = 0
    for c, n in zip(coords, shape, strict=True):
        index = index * n + c
    return index


def sort_cells(records):
    """records: (dim, value', emission, vertices, value, critical, facets)."""
    records.sort(key=lambda r: r[:3])
    return [{"vertices": r[3], "value": r[4], "critical": r[5], "facets": r[6]} for r in records]


def reference_freudenthal(data, negate=False, wrap=False, max_dim=3):
    data = np.asarray(data, dtype=np.float64)
    shape = data.shape
    flat = data.reshape(-1)
    max_dim = min(max_dim, data.ndim)
    records = []
    emission = 0
    for dim in range(max_dim + 1):
        patterns = [()] if dim == 0 else FREUDENTHAL_PATTERNS[data.ndim][dim]
        for anchor in itertools.product(*map(range, shape)):
            for pattern in patterns:
                coords = [anchor]
                for offset in pattern:
                    c = tuple(a + int(o) for a, o in zip(anchor, offset, strict=True))
                    if wrap:
                        c = tuple(x % n for x, n in zip(c, shape, strict=True))
                    coords.append(c)
                if any(x >= n for c in coords for x, n in zip(c, shape, strict=True)):
                    continue
                ids = [flat_index(c, shape) for c in coords]
                values = [flat[i] for i in ids]
                extreme = min(values) if negate else max(values)
                critical = ids[values.index(extreme)]
                vertices = tuple(sorted(ids))
                facets = [tuple(f) for f in itertools.combinations(vertices, dim)] if dim else []
                key = -extreme if negate else extreme
                records.append((dim, key, emission, vertices, extreme, critical, facets))
                emission += 1
    return sort_cells(records)


def reference_cubes(data, negate=False, max_dim=None, values_on="vertices"):
    data = np.asarray(data, dtype=np.float64)
    shape = data.shape
    ndim = data.ndim
    flat = data.reshape(-1)
    max_dim = ndim if max_dim is None else min(max_dim, ndim)
    on_cells = values_on == "cells"
    grid = tuple(n + 1 for n in shape) if on_cells else shape

    def cube_vertices(anchor, axes):
        out = []
        for m in range(2 ** len(axes)):
            v = list(anchor)
            for i, a in enumerate(axes):
                if m >> i & 1:
                    v[a] += 1
            out.append(tuple(v))
        return out

    records = []
    emission = 0
    for anchor in itertools.product(*map(range, grid)):
        for bits in range(2**ndim):
            axes = [a for a in range(ndim) if bits >> a & 1]
            if any(anchor[a] + 1 >= grid[a] for a in axes):
                continue
            emission += 1
            if len(axes) > max_dim:
                continue
            coords = cube_vertices(anchor, axes)
            if on_cells:
                missing = [a for a in range(ndim) if a not in axes]
                sources = []
                for s in range(2 ** len(missing)):
                    top = list(anchor)
                    for i, c in enumerate(missing):
                        if s >> i & 1:
                            top[c] -= 1
                    if all(0 <= t < n for t, n in zip(top, shape, strict=True)):
                        sources.append(flat_index(top, shape))
                extreme_of = max if negate else min
            else:
                sources = [flat_index(c, shape) for c in coords]
                extreme_of = min if negate else max
            values = [flat[i] for i in sources]
            extreme = extreme_of(values)
            critical = sources[values.index(extreme)]
            facets = []
            for a in axes:
                rest = [b for b in axes if b != a]
                upper = list(anchor)
                upper[a] += 1
                for start in (anchor, tuple(upper)):
                    facets.append(tuple(sorted(flat_index(v, grid) for v in cube_vertices(start, rest))))
            vertices = tuple(sorted(flat_index(c, grid) for c in coords))
            key = -extreme if negate else extreme
            records.append((len(axes), key, emission, vertices, extreme, critical, facets))
    return sort_cells(records)


def reference_for(builder, data, **kwargs):
    if builder == "freudenthal":
        return reference_freudenthal(data, **kwargs)
    values_on = "vertices" if builder == "cube-vertices" else "cells"
    return reference_cubes(data, values_on=values_on, **kwargs)


def serial_index_pairs(fil, include_inf_points):
    """Standard Z/2 column reduction of fil.boundary_matrix(), pairs as in SPEC §1.3."""
    mat = fil.boundary_matrix()
    n = mat.shape[0]
    columns = [set(mat.indices[mat.indptr[j] : mat.indptr[j + 1]].tolist()) for j in range(n)]
    death_of = {}  # pivot row (a birth) -> the column that owns it (its death)
    for j in range(n):
        col = columns[j]
        while col:
            low = max(col)
            if low not in death_of:
                death_of[low] = j
                break
            col ^= columns[death_of[low]]
    values = fil.values.detach().numpy()
    dims = cell_dimensions(fil)
    negative = {j for j in range(n) if columns[j]}
    rows = {d: [] for d in range(fil.max_dim)}
    for i in range(n):
        if i in negative or dims[i] >= fil.max_dim:
            continue
        if i in death_of:
            if values[i] != values[death_of[i]]:
                rows[dims[i]].append([i, death_of[i]])
        elif include_inf_points:
            rows[dims[i]].append([i, -1])
    return {d: np.array(r, dtype=np.int64).reshape(-1, 2) for d, r in rows.items()}


# ---------------------------------------------------------------------------------------------
# SPEC §10.3 cell counts
# ---------------------------------------------------------------------------------------------

COUNTS = [
    # shape, Freudenthal, Freudenthal wrap, cube vertices, cube cells
    ((5,), [5, 4], None, [5, 4], [6, 5]),
    ((7,), [7, 6], None, [7, 6], [8, 7]),
    ((2, 2), [4, 5, 2], None, [4, 4, 1], [9, 12, 4]),
    ((3, 3), [9, 16, 8], [9, 27, 18], [9, 12, 4], [16, 24, 9]),
    ((4, 5), [20, 43, 24], None, [20, 31, 12], [30, 49, 20]),
    ((2, 2, 2), [8, 19, 18, 6], None, [8, 12, 6, 1], [27, 54, 36, 8]),
    ((3, 3, 3), [27, 98, 120, 48], [27, 189, 324, 162], [27, 54, 36, 8], [64, 144, 108, 27]),
    ((3, 4, 3), None, None, [36, 75, 52, 12], [80, 184, 141, 36]),
    ((2, 2, 2, 2), [16, 65, 110, 84, 24], None, [16, 32, 24, 8, 1], None),
    ((3, 3, 3, 3), [81, 544, 1232, 1152, 384], None, [81, 216, 216, 96, 16], None),
]


def count_cases():
    cases = []
    for shape, fr, fr_wrap, cube_v, cube_c in COUNTS:
        label = "x".join(map(str, shape))
        for builder, kwargs, expected in [
            ("freudenthal", {"max_dim": 4}, fr),
            ("freudenthal", {"max_dim": 4, "wrap": True}, fr_wrap),
            ("cube-vertices", {}, cube_v),
            ("cube-cells", {}, cube_c),
        ]:
            if expected is not None:
                tag = builder + ("-wrap" if kwargs.get("wrap") else "")
                cases.append(pytest.param(shape, builder, kwargs, expected, id=f"{tag}-{label}"))
    return cases


@pytest.mark.parametrize("shape,builder,kwargs,expected", count_cases())
def test_cell_counts_per_dimension_match_spec_table(shape, builder, kwargs, expected):
    fil = build(builder, random_grid(1, shape), **kwargs)
    assert dims_of(fil) == expected
    assert len(fil) == fil.size() == sum(expected)
    assert fil.max_dim == len(expected) - 1
    assert fil.size_in_dimension(len(expected)) == 0
    start = 0
    for d, count in enumerate(expected):
        assert fil.dim_range(d) == (start, start + count)
        start += count


@pytest.mark.parametrize("shape,builder,kwargs,expected", count_cases())
def test_values_sum_backward_gives_input_gradient_summing_to_n(shape, builder, kwargs, expected):
    data = torch.tensor(random_grid(2, shape), requires_grad=True)
    fil = build(builder, data, **kwargs)
    fil.values.sum().backward()
    assert data.grad.dtype == torch.float64
    assert data.grad.sum().item() == len(fil) == sum(expected)
    # Each cell sends its unit gradient to exactly its critical entry.
    counts = np.bincount(fil.critical_indices, minlength=data.numel()).reshape(shape)
    np.testing.assert_array_equal(data.grad.numpy(), counts)


def test_four_d_freudenthal_default_max_dim_omits_four_simplices():
    fil = od.freudenthal_filtration(random_grid(3, (3, 3, 3, 3)))
    assert dims_of(fil) == [81, 544, 1232, 1152]
    assert fil.max_dim == 3


@pytest.mark.parametrize("max_dim,expected", [(0, [9]), (1, [9, 16]), (2, [9, 16, 8]), (7, [9, 16, 8])])
def test_freudenthal_max_dim_truncates_and_is_clamped(max_dim, expected):
    fil = od.freudenthal_filtration(np.array(F_3X3), max_dim=max_dim)
    assert dims_of(fil) == expected
    dgms = od.persistence_diagram(fil)
    assert list(dgms) == list(range(len(expected) - 1))


@pytest.mark.parametrize(
    "max_dim,expected", [(None, [16, 24, 9]), (0, [16]), (1, [16, 24]), (5, [16, 24, 9])]
)
def test_cube_max_dim_none_means_ndim_and_larger_is_clamped(max_dim, expected):
    fil = od.cube_filtration(np.array(F_3X3), max_dim=max_dim, values_on="cells")
    assert dims_of(fil) == expected


@pytest.mark.parametrize(
    "builder,shape,max_dim,counts",
    [
        ("freudenthal", (1,), 0, [1]),
        ("freudenthal", (1, 1), 0, [1]),
        ("freudenthal", (1, 5), 1, [5, 4]),
        ("freudenthal", (5, 1, 1), 1, [5, 4]),
        ("freudenthal", (2, 1, 3), 2, [6, 9, 4]),
        ("cube-vertices", (1,), 0, [1]),
        ("cube-vertices", (1, 5), 1, [5, 4]),
        ("cube-vertices", (2, 1, 3), 2, [6, 7, 2]),
        ("cube-cells", (1,), 1, [2, 1]),
        ("cube-cells", (1, 1), 2, [4, 4, 1]),
        ("cube-cells", (1, 5), 2, [12, 16, 5]),
    ],
)
def test_max_dim_is_the_largest_dimension_present_on_degenerate_grids(builder, shape, max_dim, counts):
    fil = build(builder, random_grid(9, shape))
    assert fil.max_dim == max_dim
    assert dims_of(fil) == counts
    dgms = od.persistence_diagram(fil, include_inf_points=True)
    assert list(dgms) == list(range(max_dim))
    if max_dim > 0:
        assert (dgms.index_pairs(0)[:, 1] == -1).sum() == 1


def test_max_dim_zero_gives_an_empty_diagram_container():
    dgms = od.persistence_diagram(od.freudenthal_filtration(np.array(F_3X3), max_dim=0))
    assert len(dgms) == 0
    assert dgms.max_dim == -1


# ---------------------------------------------------------------------------------------------
# SPEC §10.2: the 3x3 grid
# ---------------------------------------------------------------------------------------------

SPEC_10_2_PAIRS = {
    "freudenthal": [[1, 14], [2, 10], [4, 12]],
    "cube-vertices": [[1, 14], [2, 10], [4, 12]],
    "cube-cells": [[4, 36], [8, 28], [12, 34]],
}


@pytest.mark.parametrize("builder", BUILDERS)
def test_spec_3x3_grid_diagrams_and_index_pairs(builder):
    fil = build(builder, torch.tensor(F_3X3, dtype=torch.float64))
    dgms = od.persistence_diagram(fil)
    assert list(dgms) == [0, 1]
    assert dgms[0].tolist() == [[0.5, 5.0], [1.0, 2.0], [3.0, 4.0]]
    np.testing.assert_array_equal(dgms.index_pairs(0), SPEC_10_2_PAIRS[builder])
    assert dgms[1].shape == (0, 2)
    assert dgms.index_pairs(1).shape == (0, 2)


@pytest.mark.parametrize("builder", BUILDERS)
def test_spec_3x3_grid_essential_point_is_first_row(builder):
    fil = build(builder, torch.tensor(F_3X3, dtype=torch.float64))
    dgms = od.persistence_diagram(fil, include_inf_points=True)
    assert dgms[0].tolist() == [[0.0, INF], [0.5, 5.0], [1.0, 2.0], [3.0, 4.0]]
    np.testing.assert_array_equal(dgms.index_pairs(0), [[0, -1], *SPEC_10_2_PAIRS[builder]])
    assert dgms[1].shape == (0, 2)


def test_spec_3x3_grid_negated_freudenthal_has_only_the_essential_point():
    fil = od.freudenthal_filtration(torch.tensor(F_3X3, dtype=torch.float64), negate=True)
    assert fil.negate is True
    finite = od.persistence_diagram(fil)
    assert finite[0].shape == (0, 2)
    assert finite[1].shape == (0, 2)
    full = od.persistence_diagram(fil, include_inf_points=True)
    assert full[0].tolist() == [[7.0, -INF]]
    np.testing.assert_array_equal(full.index_pairs(0), [[0, -1]])
    assert fil.cell(0) == (7,)
    assert full[1].shape == (0, 2)


# ---------------------------------------------------------------------------------------------
# SPEC §4.8: the 1-D micro-example
# ---------------------------------------------------------------------------------------------


def test_micro_example_cells_values_and_critical_indices():
    fil = od.freudenthal_filtration(torch.tensor(MICRO, dtype=torch.float64))
    assert fil.cells() == [(0,), (4,), (2,), (3,), (1,), (5,), (2, 3), (3, 4), (0, 1), (1, 2), (4, 5)]
    assert fil.values.tolist() == [0.0, 0.5, 1.0, 2.0, 3.0, 4.0, 2.0, 2.0, 3.0, 3.0, 4.0]
    np.testing.assert_array_equal(fil.critical_indices, [0, 4, 2, 3, 1, 5, 3, 3, 1, 1, 5])
    assert fil.kind == "freudenthal"
    assert fil.max_dim == 1
    assert fil.input_shape == (6,)


def test_micro_example_diagram_and_index_pairs():
    fil = od.freudenthal_filtration(torch.tensor(MICRO, dtype=torch.float64))
    dgms = od.persistence_diagram(fil)
    assert list(dgms) == [0]
    assert dgms[0].tolist() == [[0.5, 3.0], [1.0, 2.0]]
    np.testing.assert_array_equal(dgms.index_pairs(0), [[1, 9], [2, 7]])
    full = od.persistence_diagram(fil, include_inf_points=True)
    assert full[0].tolist() == [[0.0, INF], [0.5, 3.0], [1.0, 2.0]]
    np.testing.assert_array_equal(full.index_pairs(0), [[0, -1], [1, 9], [2, 7]])


def test_micro_example_negated_sids_and_diagram():
    fil = od.freudenthal_filtration(torch.tensor(MICRO, dtype=torch.float64), negate=True)
    assert fil.cells() == [(5,), (1,), (3,), (2,), (4,), (0,), (1, 2), (2, 3), (3, 4), (4, 5), (0, 1)]
    # Values stay raw under negate; the upper star takes the minimum.
    assert fil.values.tolist() == [4.0, 3.0, 2.0, 1.0, 0.5, 0.0, 1.0, 1.0, 0.5, 0.5, 0.0]
    dgms = od.persistence_diagram(fil)
    assert dgms[0].tolist() == [[3.0, 0.5], [2.0, 1.0]]
    np.testing.assert_array_equal(dgms.index_pairs(0), [[1, 9], [2, 7]])
    full = od.persistence_diagram(fil, include_inf_points=True)
    assert full[0].tolist() == [[4.0, -INF], [3.0, 0.5], [2.0, 1.0]]
    np.testing.assert_array_equal(full.index_pairs(0), [[0, -1], [1, 9], [2, 7]])


# ---------------------------------------------------------------------------------------------
# Cells, sids, values and critical indices against the brute-force builders
# ---------------------------------------------------------------------------------------------


def small_grid_cases():
    shapes = [(6,), (3, 3), (4, 5), (5, 3), (2, 3, 4), (3, 3, 3), (2, 2, 2, 2), (3, 2, 2, 3)]
    # Degenerate grids: axes of length 1 leave the top dimensions empty.
    shapes += [(1,), (1, 5), (4, 1), (2, 1, 3), (1, 3, 1, 2)]
    cases = []
    for builder in BUILDERS:
        for shape in shapes:
            for plateaus in (False, True):
                for negate in (False, True):
                    label = f"{builder}-{'x'.join(map(str, shape))}-{'ties' if plateaus else 'distinct'}"
                    label += "-neg" if negate else ""
                    cases.append(pytest.param(builder, shape, plateaus, negate, id=label))
    return cases


def grid_data(shape, plateaus, seed=0):
    seed += sum(shape) * 7
    return plateau_grid(seed, shape) if plateaus else random_grid(seed, shape)


def builder_kwargs(builder, shape, negate):
    kwargs = {"negate": negate}
    if builder == "freudenthal" and len(shape) == 4:
        kwargs["max_dim"] = 4
    return kwargs


@pytest.mark.parametrize("builder,shape,plateaus,negate", small_grid_cases())
def test_cells_values_and_critical_indices_follow_the_spec_rules(builder, shape, plateaus, negate):
    data = grid_data(shape, plateaus)
    kwargs = builder_kwargs(builder, shape, negate)
    fil = build(builder, data, **kwargs)
    expected = reference_for(builder, data, **kwargs)
    assert fil.cells() == [c["vertices"] for c in expected]
    assert fil.values.tolist() == [c["value"] for c in expected]
    np.testing.assert_array_equal(fil.critical_indices, [c["critical"] for c in expected])


@pytest.mark.parametrize("shape", [(5,), (3, 3), (3, 4), (4, 3, 3), (3, 3, 3), (3, 3, 4, 3)])
@pytest.mark.parametrize("negate", [False, True])
def test_wrapped_freudenthal_follows_the_spec_rules(shape, negate):
    data = plateau_grid(sum(shape), shape)
    fil = od.freudenthal_filtration(data, negate=negate, wrap=True, max_dim=4)
    expected = reference_freudenthal(data, negate=negate, wrap=True, max_dim=4)
    assert fil.cells() == [c["vertices"] for c in expected]
    assert fil.values.tolist() == [c["value"] for c in expected]
    np.testing.assert_array_equal(fil.critical_indices, [c["critical"] for c in expected])


def test_four_d_freudenthal_pattern_table_sizes():
    assert [len(FREUDENTHAL_PATTERNS[4][k]) for k in range(1, 5)] == [15, 50, 60, 24]


@pytest.mark.parametrize("builder", BUILDERS)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("plateaus", [False, True])
def test_values_are_an_exact_gather_at_critical_indices(builder, dtype, plateaus):
    data = torch.tensor(grid_data((6, 7), plateaus, seed=5), dtype=dtype)
    fil = build(builder, data)
    crit = fil.critical_indices
    assert isinstance(crit, np.ndarray)
    assert crit.dtype == np.int64
    assert crit.shape == (len(fil),)
    assert crit.min() >= 0 and crit.max() < data.numel()
    assert bitwise_equal(fil.values, data.flatten()[torch.from_numpy(crit)])


@pytest.mark.parametrize("builder", BUILDERS)
def test_values_sorted_within_each_dimension_block(builder):
    for negate in (False, True):
        fil = build(builder, grid_data((5, 6), True), negate=negate)
        for d in range(fil.max_dim + 1):
            start, stop = fil.dim_range(d)
            block = fil.values[start:stop]
            steps = block[1:] - block[:-1]
            assert torch.all(steps <= 0) if negate else torch.all(steps >= 0)


# ---------------------------------------------------------------------------------------------
# DiffFiltration members on grids (SPEC §2)
# ---------------------------------------------------------------------------------------------


def test_freudenthal_vertex_ids_are_flat_indices_into_data():
    data = random_grid(4, (3, 4))
    fil = od.freudenthal_filtration(data)
    vertices = [c[0] for c in fil.cells()[: fil.size_in_dimension(0)]]
    assert sorted(vertices) == list(range(12))
    # The vertex with flat index k holds data.flat[k].
    for sid, vertex in enumerate(vertices):
        assert fil.values[sid].item() == data.flat[vertex]
    # In 2-D the diagonal of each square joins (i, j) to (i+1, j+1), never (i, j+1)-(i+1, j).
    fil.sorted_id([0, 5])
    with pytest.raises(KeyError):
        fil.sorted_id([1, 4])
    assert fil.sorted_id([0, 1, 5]) >= fil.dim_range(2)[0]
    assert fil.sorted_id([0, 4, 5]) >= fil.dim_range(2)[0]


def test_cube_vertex_ids_for_vertices_and_cells():
    data = random_grid(5, (2, 3))
    on_vertices = od.cube_filtration(data)
    on_cells = od.cube_filtration(data, values_on="cells")
    # "vertices": the vertex grid is the data shape (2, 3).
    assert sorted(c[0] for c in on_vertices.cells()[:6]) == list(range(6))
    top_v = on_vertices.cells()[on_vertices.dim_range(2)[0] :]
    assert sorted(top_v) == [(0, 1, 3, 4), (1, 2, 4, 5)]
    # "cells": the vertex grid is (3, 4); the top cube of data[i, j] has vertex ids
    # 4i + j, 4i + j + 1, 4(i + 1) + j, 4(i + 1) + j + 1.
    assert sorted(c[0] for c in on_cells.cells()[:12]) == list(range(12))
    start = on_cells.dim_range(2)[0]
    for sid in range(start, len(on_cells)):
        cell = on_cells.cell(sid)
        i, j = divmod(int(on_cells.critical_indices[sid]), 3)
        assert cell == (4 * i + j, 4 * i + j + 1, 4 * (i + 1) + j, 4 * (i + 1) + j + 1)
        assert on_cells.values[sid].item() == data[i, j]


@pytest.mark.parametrize("builder", BUILDERS)
@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 3, 3)])
def test_sorted_id_round_trips_for_every_cell(builder, shape):
    fil = build(builder, grid_data(shape, True))
    cells = fil.cells()
    assert list(fil) == cells
    assert [fil.cell(i) for i in range(len(fil))] == cells
    assert all(list(c) == sorted(set(c)) for c in cells)
    for sid, cell in enumerate(cells):
        assert fil.sorted_id(cell) == sid
        assert fil.sorted_id(list(reversed(cell))) == sid


@pytest.mark.parametrize("builder", BUILDERS)
def test_sorted_id_of_absent_cells_raises_key_error(builder):
    fil = build(builder, random_grid(6, (3, 3)))
    n_vertices = fil.size_in_dimension(0)
    for vertices in ([n_vertices], [0, n_vertices - 1], [-1], list(range(n_vertices))):
        with pytest.raises(KeyError):
            fil.sorted_id(vertices)


@pytest.mark.parametrize("builder", BUILDERS)
def test_cell_out_of_range_raises_index_error(builder):
    fil = build(builder, random_grid(7, (3, 3)))
    with pytest.raises(IndexError):
        fil.cell(len(fil))
    with pytest.raises(IndexError):
        fil.boundary(len(fil))


def boundary_cases():
    cases = []
    for builder in BUILDERS:
        for shape in [(5,), (3, 4), (2, 3, 3), (2, 2, 2, 2)]:
            cases.append(pytest.param(builder, shape, {}, id=f"{builder}-{'x'.join(map(str, shape))}"))
    cases.append(pytest.param("freudenthal", (3, 4), {"wrap": True}, id="freudenthal-wrap-3x4"))
    cases.append(pytest.param("freudenthal", (3, 3, 3), {"wrap": True}, id="freudenthal-wrap-3x3x3"))
    cases.append(pytest.param("freudenthal", (2, 2, 2, 2), {"max_dim": 4}, id="freudenthal-4d-top"))
    return cases


@pytest.mark.parametrize("builder,shape,kwargs", boundary_cases())
def test_boundary_lists_the_sids_of_the_facets(builder, shape, kwargs):
    data = grid_data(shape, True, seed=3)
    fil = build(builder, data, **kwargs)
    expected = reference_for(builder, data, **kwargs)
    sid_of = {c["vertices"]: sid for sid, c in enumerate(expected)}
    for sid, cell in enumerate(expected):
        facets = sorted(sid_of[f] for f in cell["facets"])
        assert fil.boundary(sid) == facets
        # Monotone: every facet comes earlier.
        assert all(f < sid for f in facets)


@pytest.mark.parametrize("builder,shape,kwargs", boundary_cases())
def test_boundary_matrix_agrees_with_boundary_and_squares_to_zero(builder, shape, kwargs):
    fil = build(builder, grid_data(shape, False, seed=4), **kwargs)
    mat = fil.boundary_matrix()
    assert isinstance(mat, scipy.sparse.csc_matrix)
    assert mat.dtype == np.int8
    assert mat.shape == (len(fil), len(fil))
    for col in range(len(fil)):
        assert mat.indices[mat.indptr[col] : mat.indptr[col + 1]].tolist() == fil.boundary(col)
    # A d-simplex has d + 1 facets (none for a vertex), a d-cube 2d.
    dims = cell_dimensions(fil)
    n_facets = np.where(dims > 0, dims + 1, 0) if fil.kind == "freudenthal" else 2 * dims
    np.testing.assert_array_equal(np.diff(mat.indptr), n_facets)
    assert set(mat.data.tolist()) <= {1}
    wide = mat.astype(np.int32)
    square = (wide @ wide).toarray() % 2
    assert not square.any()
    dense = mat.toarray()
    assert not np.tril(dense).any()


@pytest.mark.parametrize("builder", BUILDERS)
def test_kind_negate_and_repr(builder):
    fil = build(builder, torch.tensor(F_3X3, dtype=torch.float64), negate=True)
    kind = "freudenthal" if builder == "freudenthal" else "cubical"
    assert fil.kind == kind
    assert fil.negate is True
    assert build(builder, np.array(F_3X3)).negate is False
    assert fil.input_shape == (3, 3)
    assert fil.dtype == torch.float64
    assert fil.device == torch.device("cpu")
    assert repr(fil) == (
        f"DiffFiltration(kind='{kind}', size={len(fil)}, max_dim=2, negate=True, "
        "dtype=torch.float64, device='cpu')"
    )


# ---------------------------------------------------------------------------------------------
# Persistence on grids
# ---------------------------------------------------------------------------------------------


def persistence_cases():
    cases = []
    for builder, shape, kwargs in [
        ("freudenthal", (6, 7), {}),
        ("freudenthal", (3, 4, 4), {}),
        ("freudenthal", (4, 5), {"wrap": True}),
        ("freudenthal", (3, 3, 4), {"wrap": True}),
        ("freudenthal", (2, 3, 2, 3), {"max_dim": 4}),
        ("cube-vertices", (6, 7), {}),
        ("cube-vertices", (3, 4, 4), {}),
        ("cube-vertices", (2, 3, 2, 3), {}),
        ("cube-cells", (6, 7), {}),
        ("cube-cells", (3, 4, 4), {}),
        ("cube-cells", (2, 3, 2, 2), {}),
    ]:
        wrap = "-wrap" if kwargs.get("wrap") else ""
        cases.append(pytest.param(builder, shape, kwargs, id=f"{builder}{wrap}-{'x'.join(map(str, shape))}"))
    return cases


@pytest.mark.parametrize("negate", [False, True])
@pytest.mark.parametrize("plateaus", [False, True])
@pytest.mark.parametrize("builder,shape,kwargs", persistence_cases())
def test_index_pairs_match_a_serial_reduction_of_the_boundary_matrix(
    builder, shape, kwargs, plateaus, negate
):
    data = grid_data(shape, plateaus, seed=11)
    fil = build(builder, data, negate=negate, **kwargs)
    values = fil.values
    for include_inf_points in (False, True):
        expected = serial_index_pairs(fil, include_inf_points)
        for dualize in (False, True):
            dgms = od.persistence_diagram(fil, dualize=dualize, include_inf_points=include_inf_points)
            assert list(dgms) == list(range(fil.max_dim))
            for d in dgms:
                pairs = dgms.index_pairs(d)
                np.testing.assert_array_equal(pairs, expected[d], err_msg=f"H{d} dualize={dualize}")
                births = values[pairs[:, 0]]
                deaths = torch.where(
                    torch.from_numpy(pairs[:, 1] >= 0),
                    values[np.maximum(pairs[:, 1], 0)],
                    torch.tensor(-INF if negate else INF, dtype=torch.float64),
                )
                assert bitwise_equal(dgms[d], torch.stack([births, deaths], dim=1))


def test_wrapped_grid_has_torus_homology():
    # Torus: one H0 class, two essential H1 classes (H2 is the unreported top dimension).
    fil = od.freudenthal_filtration(random_grid(8, (4, 5)), wrap=True)
    dgms = od.persistence_diagram(fil, include_inf_points=True)
    assert (dgms.index_pairs(0)[:, 1] == -1).sum() == 1
    assert (dgms.index_pairs(1)[:, 1] == -1).sum() == 2
    three = od.freudenthal_filtration(random_grid(9, (3, 3, 4)), wrap=True)
    dgms3 = od.persistence_diagram(three, include_inf_points=True)
    assert [(dgms3.index_pairs(d)[:, 1] == -1).sum() for d in dgms3] == [1, 3, 3]


@pytest.mark.parametrize("builder", BUILDERS)
def test_default_dualize_is_false_and_both_values_agree(builder):
    data = torch.tensor(grid_data((9, 8), True, seed=2), requires_grad=True)
    fil = build(builder, data)
    assert od.persistence_diagram(fil).dualize is False
    for include_inf_points in (False, True):
        hom = od.persistence_diagram(fil, dualize=False, include_inf_points=include_inf_points)
        coh = od.persistence_diagram(fil, dualize=True, include_inf_points=include_inf_points)
        assert hom.dualize is False and coh.dualize is True
        for d in hom:
            assert bitwise_equal(hom[d].detach(), coh[d].detach())
            np.testing.assert_array_equal(hom.index_pairs(d), coh.index_pairs(d))
    assert len(hom[0]) > 1 and len(hom[1]) > 0


@pytest.mark.parametrize("builder", BUILDERS)
def test_zero_persistence_pairs_are_dropped_on_plateaus(builder):
    fil = build(builder, plateau_grid(12, (8, 8), levels=3))
    dgms = od.persistence_diagram(fil, include_inf_points=True)
    for d in dgms:
        finite = dgms[d][torch.isfinite(dgms[d][:, 1])]
        assert torch.all(finite[:, 1] > finite[:, 0])


def test_top_cells_alias_and_case_insensitive_values_on():
    data = grid_data((5, 6), True, seed=13)
    reference = od.cube_filtration(data, values_on="cells")
    for spelling in ("top_cells", "TOP_CELLS", "CELLS", "Cells"):
        other = od.cube_filtration(data, values_on=spelling)
        assert other.cells() == reference.cells()
        assert bitwise_equal(other.values, reference.values)
        np.testing.assert_array_equal(other.critical_indices, reference.critical_indices)
    vertices = od.cube_filtration(data)
    assert od.cube_filtration(data, values_on="VERTICES").cells() == vertices.cells()
    assert vertices.cells() != reference.cells()


@pytest.mark.parametrize("slim", [False, True])
def test_freudenthal_slim_has_no_effect(slim):
    data = grid_data((5, 5), True)
    fil = od.freudenthal_filtration(data, slim=slim)
    plain = od.freudenthal_filtration(data)
    assert fil.cells() == plain.cells()
    assert bitwise_equal(fil.values, plain.values)


# ---------------------------------------------------------------------------------------------
# Dtypes, strides and threads
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("builder", BUILDERS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
def test_low_precision_input_gives_float32_values_and_diagrams(builder, dtype):
    data = torch.tensor(grid_data((6, 5), False, seed=14), dtype=dtype, requires_grad=True)
    fil = build(builder, data)
    assert fil.dtype == torch.float32
    assert fil.values.dtype == torch.float32
    assert bitwise_equal(fil.values.detach(), data.detach().float().flatten()[fil.critical_indices])
    # Combinatorics are those of the same numbers in float64.
    reference = build(builder, data.detach().double())
    assert fil.cells() == reference.cells()
    dgms = od.persistence_diagram(fil, include_inf_points=True)
    ref_dgms = od.persistence_diagram(reference, include_inf_points=True)
    for d in dgms:
        assert dgms[d].dtype == torch.float32
        np.testing.assert_array_equal(dgms.index_pairs(d), ref_dgms.index_pairs(d))
        assert bitwise_equal(dgms[d].detach(), ref_dgms[d].float())
    finite = dgms[0][torch.isfinite(dgms[0][:, 1])]
    (finite[:, 1] - finite[:, 0]).sum().backward()
    assert data.grad.dtype == dtype
    assert torch.count_nonzero(data.grad) > 0


@pytest.mark.parametrize("builder", BUILDERS)
@pytest.mark.parametrize("dtype", [torch.int32, torch.int64, torch.uint8, torch.bool])
def test_integer_and_bool_input_give_float64_values_without_grad(builder, dtype):
    raw = plateau_grid(15, (5, 6), levels=2 if dtype == torch.bool else 4)
    data = torch.tensor(raw).to(dtype)
    fil = build(builder, data)
    assert fil.dtype == torch.float64
    assert not fil.values.requires_grad
    reference = build(builder, data.double())
    assert fil.cells() == reference.cells()
    assert bitwise_equal(fil.values, reference.values)
    dgms = od.persistence_diagram(fil)
    assert all(t.dtype == torch.float64 and t.grad_fn is None for t in dgms.values())


@pytest.mark.parametrize("builder", BUILDERS)
def test_numpy_input_does_not_require_grad(builder):
    raw = grid_data((4, 6), False, seed=16)
    fil = build(builder, raw)
    assert not fil.values.requires_grad
    assert fil.input_shape == (4, 6)
    reference = build(builder, torch.from_numpy(raw))
    assert fil.cells() == reference.cells()
    assert bitwise_equal(fil.values, reference.values)
    assert build(builder, raw.astype(np.float32)).dtype == torch.float32


def weighted_gradient(builder, data, **kwargs):
    fil = build(builder, data, **kwargs)
    weights = torch.arange(1, len(fil) + 1, dtype=fil.dtype)
    (fil.values * weights).sum().backward()
    return fil


@pytest.mark.parametrize("builder", BUILDERS)
@pytest.mark.parametrize("shape", [(5, 7), (3, 4, 5)])
@pytest.mark.parametrize("plateaus", [False, True])
def test_transposed_input_matches_contiguous_copy(builder, shape, plateaus):
    raw = grid_data(shape, plateaus, seed=17)
    contiguous = torch.tensor(raw, requires_grad=True)
    reverse = tuple(reversed(range(len(shape))))
    storage = torch.tensor(raw.transpose(reverse).copy(), requires_grad=True)
    view = storage.permute(reverse)
    assert not view.is_contiguous()
    assert torch.equal(view, contiguous)
    a = weighted_gradient(builder, contiguous)
    b = weighted_gradient(builder, view)
    assert a.input_shape == b.input_shape == shape
    assert a.cells() == b.cells()
    assert bitwise_equal(a.values, b.values)
    np.testing.assert_array_equal(a.critical_indices, b.critical_indices)
    assert bitwise_equal(contiguous.grad, storage.grad.permute(reverse))
    da = od.persistence_diagram(a, include_inf_points=True)
    db = od.persistence_diagram(b, include_inf_points=True)
    for d in da:
        assert bitwise_equal(da[d].detach(), db[d].detach())
        np.testing.assert_array_equal(da.index_pairs(d), db.index_pairs(d))


@pytest.mark.parametrize("builder", BUILDERS)
def test_strided_input_matches_contiguous_copy(builder):
    big = torch.tensor(grid_data((12, 15), True, seed=18), requires_grad=True)
    view = big[1::2, ::3]
    assert not view.is_contiguous()
    leaf = view.detach().clone().requires_grad_(True)
    a = weighted_gradient(builder, view)
    b = weighted_gradient(builder, leaf)
    assert a.cells() == b.cells()
    assert bitwise_equal(a.values, b.values)
    assert bitwise_equal(big.grad[1::2, ::3], leaf.grad)
    mask = torch.ones_like(big, dtype=torch.bool)
    mask[1::2, ::3] = False
    assert torch.count_nonzero(big.grad[mask]) == 0
    # A non-contiguous numpy array too.
    raw = grid_data((6, 8), True, seed=19)
    assert build(builder, raw.T).cells() == build(builder, np.ascontiguousarray(raw.T)).cells()


def threaded_results(builder, data, negate, include_inf_points, n_threads, dualize):
    fil = build(builder, data, negate=negate, n_threads=n_threads)
    # Formed before the diagrams, so that they are gathered from it and the loss reaches it.
    _ = fil.values
    dgms = od.persistence_diagram(
        fil, dualize=dualize, include_inf_points=include_inf_points, n_threads=n_threads
    )
    loss = 0
    for d in dgms:
        weights = torch.linspace(-1.0, 2.0, 2 * len(dgms[d]), dtype=torch.float64).reshape(-1, 2)
        finite = torch.isfinite(dgms[d])
        loss = loss + (torch.where(finite, dgms[d], 0.0) * weights).sum()
    (grad,) = torch.autograd.grad(loss, fil.values)
    assert torch.count_nonzero(grad) > 0
    return (
        fil.cells(),
        fil.values.detach().numpy().tobytes(),
        fil.critical_indices.tobytes(),
        [dgms[d].detach().numpy().tobytes() for d in dgms],
        [dgms.index_pairs(d).tobytes() for d in dgms],
        grad.numpy().tobytes(),
    )


@pytest.mark.parametrize("include_inf_points", [False, True])
@pytest.mark.parametrize("negate", [False, True])
def test_spec_determinism_vector_40x40_freudenthal(negate, include_inf_points):
    # SPEC §10.7: bitwise equal for n_threads in {1, 2, 4, 8} and both dualize values.
    data = torch.tensor(random_grid(40, (40, 40)), requires_grad=True)
    reference = threaded_results("freudenthal", data, negate, include_inf_points, 1, False)
    for n_threads in (1, 2, 4, 8):
        for dualize in (False, True):
            result = threaded_results("freudenthal", data, negate, include_inf_points, n_threads, dualize)
            assert result == reference, (n_threads, dualize)


@pytest.mark.parametrize("builder", ["cube-vertices", "cube-cells"])
@pytest.mark.parametrize("negate", [False, True])
def test_cubical_results_do_not_depend_on_n_threads(builder, negate):
    data = torch.tensor(plateau_grid(41, (24, 25), levels=6), requires_grad=True)
    reference = threaded_results(builder, data, negate, True, 1, False)
    for n_threads in (2, 4, 8):
        for dualize in (False, True):
            assert threaded_results(builder, data, negate, True, n_threads, dualize) == reference


def test_three_d_results_do_not_depend_on_n_threads():
    data = torch.tensor(plateau_grid(42, (7, 8, 6), levels=5), requires_grad=True)
    for builder in BUILDERS:
        reference = threaded_results(builder, data, False, True, 1, False)
        for n_threads in (2, 8):
            assert threaded_results(builder, data, False, True, n_threads, True) == reference


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("builder", BUILDERS)
def test_cuda_grid_input_matches_cpu_and_stays_on_device(builder):
    raw = torch.tensor(grid_data((9, 10), True, seed=43))
    results = {}
    for device in ("cpu", "cuda"):
        data = raw.to(device).requires_grad_(True)
        fil = build(builder, data)
        assert fil.values.device.type == device
        dgms = od.persistence_diagram(fil, include_inf_points=True)
        assert all(t.device.type == device for t in dgms.values())
        finite = dgms[0][torch.isfinite(dgms[0][:, 1])]
        (finite[:, 1] - finite[:, 0]).pow(2).sum().backward()
        assert data.grad.device.type == device
        results[device] = (fil.cells(), dgms, data.grad.cpu())
    (cells_cpu, cpu, grad_cpu), (cells_cuda, cuda, grad_cuda) = results["cpu"], results["cuda"]
    assert cells_cpu == cells_cuda
    for d in cpu:
        np.testing.assert_array_equal(cpu.index_pairs(d), cuda.index_pairs(d))
        assert bitwise_equal(cpu[d].detach(), cuda[d].detach().cpu())
    np.testing.assert_allclose(grad_cuda.numpy(), grad_cpu.numpy(), rtol=1e-12, atol=0)


def test_slim_and_n_threads_of_freudenthal_are_keyword_only():
    data = random_grid(44, (3, 3))
    with pytest.raises(TypeError):
        od.freudenthal_filtration(data, False, False, 2, False)
    assert dims_of(od.freudenthal_filtration(data, False, False, 1)) == [9, 16]
    # cube_filtration has no keyword-only parameters.
    assert dims_of(od.cube_filtration(data, False, False, 2, "cells", 2)) == [16, 24, 9]


def test_grid_builders_with_threads_print_nothing(capfd):
    data = torch.tensor(random_grid(45, (20, 21)), requires_grad=True)
    for builder in BUILDERS:
        fil = build(builder, data, n_threads=8)
        dgms = od.persistence_diagram(fil, include_inf_points=True, n_threads=8)
        finite = dgms[1][torch.isfinite(dgms[1][:, 1])]
        (finite[:, 1] - finite[:, 0]).sum().backward()
    assert torch.count_nonzero(data.grad) > 0
    out, err = capfd.readouterr()
    assert out == ""
    assert err == ""


@pytest.mark.parametrize("builder", BUILDERS)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_diagrams_before_values_give_the_same_numbers_and_input_gradient(builder, dtype):
    """Until ``fil.values`` is formed, grid diagrams are gathered from the data directly; the
    numbers, the dtype and the gradient reaching the data are those of the gather through
    ``values``."""
    raw = torch.tensor(plateau_grid(44, (9, 11), levels=5) + 0.25 * random_grid(45, (9, 11)), dtype=dtype)
    results = []
    for form_values_first in (False, True):
        data = raw.clone().requires_grad_(True)
        fil = build(builder, data, negate=True)
        if form_values_first:
            _ = fil.values
        assert (fil._values is not None) == form_values_first
        assert fil.dtype == dtype and fil.device == data.device
        dgms = od.persistence_diagram(fil, include_inf_points=True)
        loss = 0
        for d in dgms:
            finite = torch.isfinite(dgms[d])
            weights = torch.arange(dgms[d].numel(), dtype=dtype).reshape(-1, 2) - 3.0
            loss = loss + (torch.where(finite, dgms[d], 0.0) * weights).sum()
        loss.backward()
        results.append(([dgms[d].detach() for d in dgms], data.grad))
    (lazy, lazy_grad), (eager, eager_grad) = results
    for a, b in zip(lazy, eager, strict=True):
        assert a.dtype == dtype
        assert torch.equal(a, b)
    assert torch.count_nonzero(eager_grad) > 0
    assert torch.equal(lazy_grad, eager_grad)


def test_grid_values_refuse_data_modified_in_place_after_the_build():
    data = torch.tensor(random_grid(46, (6, 7)), requires_grad=True)
    fil = od.cube_filtration(data, values_on="cells")
    with torch.no_grad():
        data[0, 0] += 1.0
    with pytest.raises(RuntimeError, match="modified in place"):
        od.persistence_diagram(fil)
    with pytest.raises(RuntimeError, match="modified in place"):
        _ = fil.values


def test_lazy_grid_diagrams_support_gradcheck():
    data = torch.tensor(random_grid(47, (4, 5)), requires_grad=True)

    def diagram_sum(x):
        dgms = od.persistence_diagram(od.freudenthal_filtration(x))
        return torch.cat([dgms[d].reshape(-1) for d in dgms]).sum() + (dgms[0][:, 1] ** 2).sum()

    assert torch.autograd.gradcheck(diagram_sum, (data,))
    assert torch.autograd.gradgradcheck(diagram_sum, (data,))


def test_grid_values_from_an_array_are_gathered_at_the_build():
    """An array can change under the tensor made from it without the tensor knowing: its values
    are taken when the cells are sorted, so a later change to the array cannot reach them."""
    array = random_grid(48, (5, 6))
    fil = od.cube_filtration(array, values_on="cells")
    expected = od.persistence_diagram(fil)[0].clone()
    array += 10.0
    assert fil._values is not None
    assert torch.equal(od.persistence_diagram(fil)[0], expected)


@pytest.mark.parametrize("values_on", ["vertices", "cells"])
@pytest.mark.parametrize("negate", [False, True])
@pytest.mark.parametrize("max_dim", [0, 1, 2, 5])
def test_2d_cubical_diagrams_are_computed_without_the_cells(values_on, negate, max_dim):
    """A 2-D cubical filtration is built only when its cells are needed: its diagrams come from
    union-finds over the grid, with the numbers, gradients and index pairs of the built one."""
    raw = plateau_grid(49, (7, 9), levels=4) + 0.5 * random_grid(50, (7, 9))
    results = []
    for build_first in (False, True):
        data = torch.tensor(raw, requires_grad=True)
        fil = od.cube_filtration(data, negate=negate, max_dim=max_dim, values_on=values_on)
        if build_first:
            _ = fil.values
        shape = (len(fil), fil.max_dim, fil.kind, fil.negate, [fil.dim_range(d) for d in range(4)])
        dgms = od.persistence_diagram(fil, include_inf_points=True)
        assert fil._is_built == build_first
        weights = [torch.linspace(-1.0, 2.0, dgms[d].numel(), dtype=torch.float64) for d in dgms]
        finite = [torch.where(torch.isfinite(dgms[d]), dgms[d], 0.0).reshape(-1) for d in dgms]
        loss = sum((f * w).sum() for f, w in zip(finite, weights, strict=True))
        if len(dgms):
            loss.backward()
        index_pairs = [dgms.index_pairs(d) for d in dgms]
        results.append((shape, [dgms[d].detach() for d in dgms], data.grad, index_pairs))
    (direct_shape, direct, direct_grad, direct_pairs), (built_shape, built, built_grad, built_pairs) = results
    assert direct_shape == built_shape
    assert len(direct) == len(built) == min(max_dim, 2)
    for a, b in zip(direct, built, strict=True):
        assert torch.equal(a, b)
    for a, b in zip(direct_pairs, built_pairs, strict=True):
        assert np.array_equal(a, b)
    if max_dim > 0:
        assert torch.count_nonzero(built_grad) > 0
        assert torch.equal(direct_grad, built_grad)


def test_2d_cubical_filtrations_build_their_cells_when_asked():
    data = torch.tensor(random_grid(51, (5, 6)), requires_grad=True)
    eager = od.cube_filtration(data.detach().numpy(), values_on="cells")
    assert eager._is_built
    for ask in (
        lambda f: f.values,
        lambda f: f.cell(3),
        lambda f: f.critical_indices,
        lambda f: od.persistence_diagram(f, gradient_method="crit-sets"),
        lambda f: od.TopologyOptimizer(f),
    ):
        fil = od.cube_filtration(data, values_on="cells")
        assert not fil._is_built
        ask(fil)
        assert fil._is_built
        assert list(fil) == list(eager)
        assert torch.equal(fil.values.detach(), eager.values)


def test_2d_cubical_filtrations_check_their_data_at_the_build():
    data = torch.tensor(random_grid(52, (4, 4)))
    data[1, 2] = float("nan")
    with pytest.raises(ValueError, match="data"):
        od.cube_filtration(data, values_on="cells")
    # Grids the union-find path does not take are built at once, as before.
    assert od.cube_filtration(torch.ones(1, 5), values_on="vertices")._is_built
    assert od.cube_filtration(torch.ones(3, 3, 3))._is_built
    assert not od.cube_filtration(torch.ones(1, 5), values_on="cells")._is_built
