//! Index diagrams of a filtration.

use numpy::{PyArray1, PyArray2, PyArrayMethods};
use oineus_diff_core::diagram::persistence as core_persistence;
use oineus_diff_core::reduction::Side;
use pyo3::prelude::*;

use crate::filtration::PyFiltration;
use crate::runtime;

/// Per dimension 0 … max_dim − 1, an int64 (n, 2) array of [birth sid, death sid] rows.
#[pyfunction]
#[pyo3(signature = (fil, dualize, include_inf_points, n_threads))]
pub fn index_diagrams<'py>(
    py: Python<'py>,
    fil: &Bound<'py, PyFiltration>,
    dualize: bool,
    include_inf_points: bool,
    n_threads: usize,
) -> PyResult<Vec<Bound<'py, PyArray2<i64>>>> {
    let inner = &fil.get().inner;
    let side = if dualize { Side::Cohomology } else { Side::Homology };
    let dgms = runtime::run(py, n_threads, |interrupt| {
        core_persistence(inner, side, include_inf_points, interrupt)
    })?;
    dgms.into_dims()
        .into_iter()
        .map(|rows| {
            let n = rows.len();
            PyArray1::from_vec(py, rows.into_iter().flatten().collect()).reshape([n, 2])
        })
        .collect()
}
