//! `Filtration` handles and the builders that make them.

use std::sync::Arc;

use numpy::{PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray2, PyReadonlyArrayDyn, PyUntypedArrayMethods};
use oineus_diff_core::filtration::cubical::{cube_filtration as core_cube, CubeParams, ValuesOn};
use oineus_diff_core::filtration::delaunay::{
    alpha_filtration as core_alpha, cech_delaunay_filtration as core_cech, weak_alpha_filtration as core_weak_alpha,
    DelaunayParams,
};
use oineus_diff_core::filtration::freudenthal::{freudenthal_filtration as core_freudenthal, FreudenthalParams};
use oineus_diff_core::filtration::vr::{vr_filtration as core_vr, VrInput, VrParams};
use oineus_diff_core::filtration::{Filtration, Precision};
use oineus_diff_core::matrix::BoundaryOracle;
use oineus_diff_core::reduction::implicit_vr;
use oineus_diff_core::reduction::planar_cubical::cube_persistence_2d;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::errors::CoreError;
use crate::runtime;

/// A sparse matrix in CSC form for scipy: (indptr, indices).
type CscArrays<'py> = (Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<i64>>);

/// A filtration owned by the core; Python's `DiffFiltration` holds one.
#[pyclass(name = "Filtration", module = "oineus_diff._core", frozen)]
pub struct PyFiltration {
    /// Shared with the optimizers built from this filtration.
    pub(crate) inner: Arc<Filtration>,
}

fn flat_u32_to_2d<'py>(py: Python<'py>, flat: Vec<u32>, width: usize) -> PyResult<Bound<'py, PyArray2<u32>>> {
    let rows = flat.len().checked_div(width).unwrap_or(0);
    PyArray1::from_vec(py, flat).reshape([rows, width])
}

#[pymethods]
impl PyFiltration {
    /// The number of cells N.
    fn size(&self) -> usize {
        self.inner.size()
    }

    /// The largest cell dimension present.
    fn max_dim(&self) -> usize {
        self.inner.max_dim()
    }

    /// The builder's public name.
    fn kind(&self) -> &'static str {
        self.inner.kind().name()
    }

    /// Whether comparisons are reversed.
    fn negate(&self) -> bool {
        self.inner.negate()
    }

    /// (start, stop) sids of dimension `dim`.
    fn dim_range(&self, dim: usize) -> (usize, usize) {
        let r = self.inner.dim_range(dim);
        (r.start, r.end)
    }

    /// The values in sid order, as the core computed and rounded them.
    fn values<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        PyArray1::from_slice(py, self.inner.values())
    }

    /// Per sid, the sid of the cell the value is read from.
    fn sources<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u32>> {
        PyArray1::from_slice(py, self.inner.sources())
    }

    /// Per sid, the critical edge (larger vertex, smaller vertex) as an (N, 2) array.
    fn critical_edges<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<u32>>> {
        let flat: Vec<u32> = self.inner.critical_edges().into_iter().flatten().collect();
        flat_u32_to_2d(py, flat, 2)
    }

    /// The vertex tuples of dimension `dim` in sid order, shape (n, vertices per cell).
    fn cells_in_dimension<'py>(&self, py: Python<'py>, dim: usize) -> PyResult<Bound<'py, PyArray2<u32>>> {
        let width = self
            .inner
            .cell(self.inner.dim_range(dim).start)
            .map_or(dim.saturating_add(1), |c| c.len());
        flat_u32_to_2d(py, self.inner.cells_in_dimension(dim).into_owned(), width)
    }

    /// The ascending vertex ids of cell `sid`.
    fn cell(&self, sid: usize) -> PyResult<Vec<u32>> {
        Ok(self.inner.cell(sid).map_err(CoreError)?)
    }

    /// The sid of the cell with these vertex ids.
    fn sorted_id(&self, vertices: Vec<u32>) -> PyResult<usize> {
        Ok(self.inner.sorted_id(&vertices).map_err(CoreError)?)
    }

    /// The ascending sids of the facets of cell `sid`.
    fn boundary(&self, sid: usize) -> PyResult<Vec<u32>> {
        self.inner.cell(sid).map_err(CoreError)?;
        let mut out = Vec::new();
        self.inner.facets(sid, &mut out);
        Ok(out)
    }

    /// The boundary matrix in CSC form: (indptr, indices), both int64.
    fn boundary_csc<'py>(&self, py: Python<'py>) -> PyResult<CscArrays<'py>> {
        let n = self.inner.size();
        let mut indptr = Vec::with_capacity(n + 1);
        let mut indices = Vec::new();
        let mut facets = Vec::new();
        indptr.push(0i64);
        for sid in 0..n {
            self.inner.facets(sid, &mut facets);
            indices.extend(facets.iter().map(|&f| f as i64));
            indptr.push(indices.len() as i64);
        }
        Ok((PyArray1::from_vec(py, indptr), PyArray1::from_vec(py, indices)))
    }

    /// Pickling is not supported: the filtration belongs to one autograd graph.
    fn __reduce__(&self) -> PyResult<()> {
        Err(pyo3::exceptions::PyTypeError::new_err(
            "oineus_diff filtrations cannot be pickled",
        ))
    }
}

/// Build a Vietoris-Rips filtration from a contiguous float64 array.
#[pyfunction]
#[pyo3(signature = (data, from_pwdists, max_dim, max_diameter, eps, single_precision, n_threads))]
#[allow(clippy::too_many_arguments)]
pub fn vr_filtration(
    py: Python<'_>,
    data: PyReadonlyArray2<'_, f64>,
    from_pwdists: bool,
    max_dim: usize,
    max_diameter: Option<f64>,
    eps: f64,
    single_precision: bool,
    n_threads: usize,
) -> PyResult<PyFiltration> {
    let shape = data.shape().to_vec();
    let values = data
        .as_slice()
        .map_err(|_| PyValueError::new_err("data must be C-contiguous"))?;
    let (input, params) = vr_arguments(
        values,
        &shape,
        from_pwdists,
        max_dim,
        max_diameter,
        eps,
        single_precision,
    );
    let inner = runtime::run(py, n_threads, |interrupt| core_vr(&input, &params, interrupt))?;
    Ok(PyFiltration { inner: Arc::new(inner) })
}

/// One diagram dimension of [`vr_persistence`]: birth and death critical edges (int64 (n, 2),
/// −1 for an essential death) and values (float64, inf for an essential death).
type VrDiagram<'py> = (
    Bound<'py, PyArray2<i64>>,
    Bound<'py, PyArray2<i64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
);

/// The diagrams of the Vietoris-Rips filtration `vr_filtration` would build, computed without it.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
#[pyo3(signature = (data, from_pwdists, max_dim, max_diameter, eps, single_precision, include_inf_points, n_threads))]
pub fn vr_persistence<'py>(
    py: Python<'py>,
    data: PyReadonlyArray2<'py, f64>,
    from_pwdists: bool,
    max_dim: usize,
    max_diameter: Option<f64>,
    eps: f64,
    single_precision: bool,
    include_inf_points: bool,
    n_threads: usize,
) -> PyResult<Vec<VrDiagram<'py>>> {
    let shape = data.shape().to_vec();
    let values = data
        .as_slice()
        .map_err(|_| PyValueError::new_err("data must be C-contiguous"))?;
    let (input, params) = vr_arguments(
        values,
        &shape,
        from_pwdists,
        max_dim,
        max_diameter,
        eps,
        single_precision,
    );
    let dgms = runtime::run(py, n_threads, |interrupt| {
        implicit_vr::vr_persistence(&input, &params, include_inf_points, interrupt)
    })?;
    let edges = |rows: Vec<[u32; 2]>| -> PyResult<Bound<'py, PyArray2<i64>>> {
        let n = rows.len();
        let flat: Vec<i64> = rows
            .into_iter()
            .flatten()
            .map(|v| if v == implicit_vr::NO_DEATH { -1 } else { i64::from(v) })
            .collect();
        PyArray1::from_vec(py, flat).reshape([n, 2])
    };
    dgms.dims
        .into_iter()
        .map(|dgm| {
            Ok((
                edges(dgm.birth_edges)?,
                edges(dgm.death_edges)?,
                PyArray1::from_vec(py, dgm.birth_values),
                PyArray1::from_vec(py, dgm.death_values),
            ))
        })
        .collect()
}

fn vr_arguments<'a>(
    values: &'a [f64],
    shape: &[usize],
    from_pwdists: bool,
    max_dim: usize,
    max_diameter: Option<f64>,
    eps: f64,
    single_precision: bool,
) -> (VrInput<'a>, VrParams) {
    let input = if from_pwdists {
        VrInput::Distances {
            matrix: values,
            n_points: shape[0],
        }
    } else {
        VrInput::Points {
            coords: values,
            n_points: shape[0],
            n_dims: shape[1],
        }
    };
    let precision = if single_precision {
        Precision::Single
    } else {
        Precision::Double
    };
    let params = VrParams {
        max_dim,
        max_diameter,
        eps,
        precision,
    };
    (input, params)
}

fn grid_input<'a>(data: &'a PyReadonlyArrayDyn<'_, f64>) -> PyResult<(&'a [f64], Vec<usize>)> {
    let shape = data.shape().to_vec();
    let values = data
        .as_slice()
        .map_err(|_| PyValueError::new_err("data must be C-contiguous"))?;
    Ok((values, shape))
}

/// Build a Freudenthal filtration from a contiguous float64 array of 1 to 4 axes.
#[pyfunction]
#[pyo3(signature = (data, negate, wrap, max_dim, n_threads))]
pub fn freudenthal_filtration(
    py: Python<'_>,
    data: PyReadonlyArrayDyn<'_, f64>,
    negate: bool,
    wrap: bool,
    max_dim: usize,
    n_threads: usize,
) -> PyResult<PyFiltration> {
    let (values, shape) = grid_input(&data)?;
    let params = FreudenthalParams { negate, wrap, max_dim };
    let inner = runtime::run(py, n_threads, |interrupt| {
        core_freudenthal(values, &shape, &params, interrupt)
    })?;
    Ok(PyFiltration { inner: Arc::new(inner) })
}

/// Build a cubical filtration from a contiguous float64 array of 1 to 4 axes.
#[pyfunction]
#[pyo3(signature = (data, negate, max_dim, values_on_cells, n_threads))]
pub fn cube_filtration(
    py: Python<'_>,
    data: PyReadonlyArrayDyn<'_, f64>,
    negate: bool,
    max_dim: usize,
    values_on_cells: bool,
    n_threads: usize,
) -> PyResult<PyFiltration> {
    let (values, shape) = grid_input(&data)?;
    let params = cube_params(negate, max_dim, values_on_cells);
    let inner = runtime::run(py, n_threads, |interrupt| core_cube(values, &shape, &params, interrupt))?;
    Ok(PyFiltration { inner: Arc::new(inner) })
}

/// The diagrams of the cubical filtration `cube_filtration` would build from a 2-D array,
/// computed without it: per dimension an int64 (n, 2) array of [birth source, death source]
/// rows (flat data indices, −1 for an essential death), or `None` for a grid this path does not
/// handle.
#[pyfunction]
#[pyo3(signature = (data, negate, max_dim, values_on_cells, include_inf_points, n_threads))]
pub fn cube_persistence<'py>(
    py: Python<'py>,
    data: PyReadonlyArrayDyn<'py, f64>,
    negate: bool,
    max_dim: usize,
    values_on_cells: bool,
    include_inf_points: bool,
    n_threads: usize,
) -> PyResult<Option<Vec<Bound<'py, PyArray2<i64>>>>> {
    let (values, shape) = grid_input(&data)?;
    let params = cube_params(negate, max_dim, values_on_cells);
    let dgms = runtime::run(py, n_threads, |interrupt| {
        cube_persistence_2d(values, &shape, &params, include_inf_points, interrupt)
    })?;
    dgms.map(|dgms| {
        dgms.dims
            .into_iter()
            .map(|rows| {
                let n = rows.len();
                PyArray1::from_vec(py, rows.into_iter().flatten().collect()).reshape([n, 2])
            })
            .collect()
    })
    .transpose()
}

fn cube_params(negate: bool, max_dim: usize, values_on_cells: bool) -> CubeParams {
    let values_on = if values_on_cells {
        ValuesOn::Cells
    } else {
        ValuesOn::Vertices
    };
    CubeParams {
        negate,
        max_dim,
        values_on,
    }
}

/// Which Delaunay-family builder to run.
type DelaunayBuilder =
    fn(&[f64], usize, usize, &DelaunayParams, &oineus_diff_core::Interrupt) -> oineus_diff_core::Result<Filtration>;

fn delaunay_family(
    py: Python<'_>,
    points: PyReadonlyArray2<'_, f64>,
    squared: bool,
    single_precision: bool,
    n_threads: usize,
    builder: DelaunayBuilder,
) -> PyResult<PyFiltration> {
    let shape = points.shape().to_vec();
    let coords = points
        .as_slice()
        .map_err(|_| PyValueError::new_err("points must be C-contiguous"))?;
    let precision = if single_precision {
        Precision::Single
    } else {
        Precision::Double
    };
    let params = DelaunayParams { squared, precision };
    let inner = runtime::run(py, n_threads, |interrupt| {
        builder(coords, shape[0], shape[1], &params, interrupt)
    })?;
    Ok(PyFiltration { inner: Arc::new(inner) })
}

/// Build an alpha filtration from a contiguous float64 (n, 2) or (n, 3) array.
#[pyfunction]
#[pyo3(signature = (points, squared, single_precision, n_threads))]
pub fn alpha_filtration(
    py: Python<'_>,
    points: PyReadonlyArray2<'_, f64>,
    squared: bool,
    single_precision: bool,
    n_threads: usize,
) -> PyResult<PyFiltration> {
    delaunay_family(py, points, squared, single_precision, n_threads, core_alpha)
}

/// Build a weak alpha filtration from a contiguous float64 (n, 2) or (n, 3) array.
#[pyfunction]
#[pyo3(signature = (points, squared, single_precision, n_threads))]
pub fn weak_alpha_filtration(
    py: Python<'_>,
    points: PyReadonlyArray2<'_, f64>,
    squared: bool,
    single_precision: bool,
    n_threads: usize,
) -> PyResult<PyFiltration> {
    delaunay_family(py, points, squared, single_precision, n_threads, core_weak_alpha)
}

/// Build a Čech–Delaunay filtration from a contiguous float64 (n, 2) or (n, 3) array.
#[pyfunction]
#[pyo3(signature = (points, squared, single_precision, n_threads))]
pub fn cech_delaunay_filtration(
    py: Python<'_>,
    points: PyReadonlyArray2<'_, f64>,
    squared: bool,
    single_precision: bool,
    n_threads: usize,
) -> PyResult<PyFiltration> {
    delaunay_family(py, points, squared, single_precision, n_threads, core_cech)
}
