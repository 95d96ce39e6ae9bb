//! Wasserstein and bottleneck matchings between diagrams.

use numpy::{PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray2};
use oineus_diff_core::distance::{
    bottleneck_matching as core_bottleneck, wasserstein_matching as core_wasserstein, Matching, Point,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::runtime;

/// A matching as arrays: (finite_to_finite (k, 2), a_to_diagonal, b_to_diagonal, the four
/// essential families as (k, 2) arrays).
type MatchingArrays<'py> = (
    Bound<'py, PyArray2<i64>>,
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<i64>>,
    Vec<Bound<'py, PyArray2<i64>>>,
);

/// Bottleneck extras: longest finite edges as (indices (k, 2) with −1 for a diagonal side,
/// endpoints (k, 4), lengths (k,)) and the longest essential pairs per family.
type LongestArrays<'py> = (
    Bound<'py, PyArray2<i64>>,
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray1<f64>>,
    Vec<Bound<'py, PyArray2<i64>>>,
);

fn points(dgm: &PyReadonlyArray2<'_, f64>, name: &str) -> PyResult<Vec<Point>> {
    let view = dgm.as_array();
    if view.ncols() != 2 {
        return Err(PyValueError::new_err(format!(
            "{name} must have shape (n, 2); got {:?}",
            view.shape()
        )));
    }
    Ok(view.rows().into_iter().map(|r| [r[0], r[1]]).collect())
}

fn pairs<'py>(py: Python<'py>, pairs: &[[usize; 2]]) -> PyResult<Bound<'py, PyArray2<i64>>> {
    let flat: Vec<i64> = pairs.iter().flat_map(|p| [p[0] as i64, p[1] as i64]).collect();
    PyArray1::from_vec(py, flat).reshape([pairs.len(), 2])
}

fn indices<'py>(py: Python<'py>, idx: &[usize]) -> Bound<'py, PyArray1<i64>> {
    PyArray1::from_vec(py, idx.iter().map(|&i| i as i64).collect())
}

fn matching_arrays<'py>(py: Python<'py>, m: &Matching) -> PyResult<MatchingArrays<'py>> {
    Ok((
        pairs(py, &m.finite_to_finite)?,
        indices(py, &m.a_to_diagonal),
        indices(py, &m.b_to_diagonal),
        m.essential.iter().map(|e| pairs(py, e)).collect::<PyResult<_>>()?,
    ))
}

/// A (1 + delta)-approximate Wasserstein matching by auction: (matching arrays, cost).
#[pyfunction]
#[pyo3(signature = (dgm_1, dgm_2, q, delta, internal_p, include_essential))]
pub fn wasserstein_matching<'py>(
    py: Python<'py>,
    dgm_1: PyReadonlyArray2<'py, f64>,
    dgm_2: PyReadonlyArray2<'py, f64>,
    q: f64,
    delta: f64,
    internal_p: f64,
    include_essential: bool,
) -> PyResult<(MatchingArrays<'py>, f64)> {
    let (a, b) = (points(&dgm_1, "dgm_1")?, points(&dgm_2, "dgm_2")?);
    let result = runtime::run(py, 1, |interrupt| {
        core_wasserstein(&a, &b, q, delta, internal_p, include_essential, interrupt)
    })?;
    Ok((matching_arrays(py, &result.matching)?, result.cost))
}

/// A bottleneck matching: (matching arrays, distance, longest-edge arrays).
#[pyfunction]
#[pyo3(signature = (dgm_1, dgm_2, delta, include_essential))]
pub fn bottleneck_matching<'py>(
    py: Python<'py>,
    dgm_1: PyReadonlyArray2<'py, f64>,
    dgm_2: PyReadonlyArray2<'py, f64>,
    delta: f64,
    include_essential: bool,
) -> PyResult<(MatchingArrays<'py>, f64, LongestArrays<'py>)> {
    let (a, b) = (points(&dgm_1, "dgm_1")?, points(&dgm_2, "dgm_2")?);
    let result = runtime::run(py, 1, |interrupt| {
        core_bottleneck(&a, &b, delta, include_essential, interrupt)
    })?;
    let side = |i: Option<usize>| i.map_or(-1, |i| i as i64);
    let longest = &result.longest_finite;
    let idx: Vec<i64> = longest.iter().flat_map(|e| [side(e.idx_a), side(e.idx_b)]).collect();
    let ends: Vec<f64> = longest
        .iter()
        .flat_map(|e| [e.point_a[0], e.point_a[1], e.point_b[0], e.point_b[1]])
        .collect();
    let lengths: Vec<f64> = longest.iter().map(|e| e.length).collect();
    let longest_arrays = (
        PyArray1::from_vec(py, idx).reshape([longest.len(), 2])?,
        PyArray1::from_vec(py, ends).reshape([longest.len(), 4])?,
        PyArray1::from_vec(py, lengths),
        result
            .longest_essential
            .iter()
            .map(|e| pairs(py, e))
            .collect::<PyResult<_>>()?,
    );
    Ok((matching_arrays(py, &result.matching)?, result.distance, longest_arrays))
}
