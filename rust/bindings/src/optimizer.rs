//! The critical-set optimizer handle: a core `TopologyOptimizer` that caches its reductions.

use numpy::{PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1};
use oineus_diff_core::critical_sets::{ConflictStrategy, CriticalSet, IndicesValues, Move, TopologyOptimizer};
use oineus_diff_core::filtration::Precision;
use oineus_diff_core::reduction::Side;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::filtration::PyFiltration;
use crate::runtime;

/// Sids and values as int64 and float64 arrays.
type ArrayPair<'py> = (Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<f64>>);

/// Critical sets in CSR form: (offsets, cells), set k at offsets[k]..offsets[k + 1].
type SetArrays<'py> = (Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<i64>>);

/// A filtration's critical-set state; Python's `TopologyOptimizer` and the crit-sets autograd
/// node hold one.
#[pyclass(name = "TopologyOptimizer", module = "oineus_diff._core")]
pub struct PyTopologyOptimizer {
    inner: TopologyOptimizer,
}

fn strategy(name: &str) -> PyResult<ConflictStrategy> {
    match name {
        "max" => Ok(ConflictStrategy::Max),
        "avg" => Ok(ConflictStrategy::Avg),
        "sum" => Ok(ConflictStrategy::Sum),
        "fca" => Ok(ConflictStrategy::FixCritAvg),
        _ => Err(PyValueError::new_err(format!("unknown conflict strategy {name:?}"))),
    }
}

fn move_kind(name: &str) -> PyResult<Move> {
    match name {
        "increase_birth" => Ok(Move::IncreaseBirth),
        "decrease_birth" => Ok(Move::DecreaseBirth),
        "increase_death" => Ok(Move::IncreaseDeath),
        "decrease_death" => Ok(Move::DecreaseDeath),
        _ => Err(PyValueError::new_err(format!("unknown move {name:?}"))),
    }
}

fn pair_arrays(py: Python<'_>, iv: IndicesValues) -> ArrayPair<'_> {
    let indices: Vec<i64> = iv.indices.into_iter().map(i64::from).collect();
    (PyArray1::from_vec(py, indices), PyArray1::from_vec(py, iv.values))
}

#[pymethods]
impl PyTopologyOptimizer {
    /// The state of `fil`; pairs are computed on cohomology if `dualize`, else on homology.
    #[new]
    #[pyo3(signature = (fil, dualize, single_precision))]
    fn new(fil: &Bound<'_, PyFiltration>, dualize: bool, single_precision: bool) -> Self {
        let side = if dualize { Side::Cohomology } else { Side::Homology };
        let precision = if single_precision {
            Precision::Single
        } else {
            Precision::Double
        };
        PyTopologyOptimizer {
            inner: TopologyOptimizer::new(fil.get().inner.clone(), side, precision),
        }
    }

    /// The current values, by current sid.
    fn values<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        PyArray1::from_slice(py, self.inner.values())
    }

    /// Per dimension 0 … max_dim − 1, an int64 (n, 2) array of [birth sid, death sid] rows.
    fn index_diagrams<'py>(
        &mut self,
        py: Python<'py>,
        include_inf_points: bool,
        n_threads: usize,
    ) -> PyResult<Vec<Bound<'py, PyArray2<i64>>>> {
        let inner = &mut self.inner;
        let dims = runtime::run(py, n_threads, |interrupt| {
            inner.index_diagrams(include_inf_points, interrupt)
        })?;
        dims.into_iter()
            .map(|rows| {
                let n = rows.len();
                PyArray1::from_vec(py, rows.into_iter().flatten().collect()).reshape([n, 2])
            })
            .collect()
    }

    /// One critical set per (cell, target): (offsets, cells) with set k at offsets[k]..offsets[k+1].
    fn singletons<'py>(
        &mut self,
        py: Python<'py>,
        cells: PyReadonlyArray1<'py, u32>,
        targets: PyReadonlyArray1<'py, f64>,
        n_threads: usize,
    ) -> PyResult<SetArrays<'py>> {
        let (cells, targets) = (cells.as_slice()?, targets.as_slice()?);
        let inner = &mut self.inner;
        let sets = runtime::run(py, n_threads, |interrupt| inner.singletons(cells, targets, interrupt))?;
        let mut offsets = Vec::with_capacity(sets.len() + 1);
        offsets.push(0i64);
        let mut flat = Vec::new();
        for set in sets {
            flat.extend(set.cells.into_iter().map(i64::from));
            offsets.push(flat.len() as i64);
        }
        Ok((PyArray1::from_vec(py, offsets), PyArray1::from_vec(py, flat)))
    }

    /// Resolve explicit critical sets (targets per set, CSR offsets, cells) with a strategy.
    fn combine<'py>(
        &self,
        py: Python<'py>,
        targets: PyReadonlyArray1<'py, f64>,
        offsets: PyReadonlyArray1<'py, i64>,
        cells: PyReadonlyArray1<'py, u32>,
        strategy_name: &str,
    ) -> PyResult<ArrayPair<'py>> {
        let (targets, offsets, cells) = (targets.as_slice()?, offsets.as_slice()?, cells.as_slice()?);
        let sets: Vec<CriticalSet> = targets
            .iter()
            .zip(offsets.windows(2))
            .map(|(&target, w)| CriticalSet {
                target,
                cells: cells[w[0] as usize..w[1] as usize].to_vec(),
            })
            .collect();
        let strategy = strategy(strategy_name)?;
        let inner = &self.inner;
        let iv = runtime::run(py, 1, |_| inner.combine(&sets, strategy))?;
        Ok(pair_arrays(py, iv))
    }

    /// `combine(singletons(cells, targets), strategy)` in one call.
    fn crit_sets_apply<'py>(
        &mut self,
        py: Python<'py>,
        cells: PyReadonlyArray1<'py, u32>,
        targets: PyReadonlyArray1<'py, f64>,
        strategy_name: &str,
        n_threads: usize,
    ) -> PyResult<ArrayPair<'py>> {
        let (cells, targets) = (cells.as_slice()?, targets.as_slice()?);
        let strategy = strategy(strategy_name)?;
        let inner = &mut self.inner;
        let iv = runtime::run(py, n_threads, |interrupt| {
            inner.crit_sets_apply(cells, targets, strategy, interrupt)
        })?;
        Ok(pair_arrays(py, iv))
    }

    /// The crit-sets gradient on the values: touched sids ascending and f − t per sid.
    fn crit_sets_gradient<'py>(
        &mut self,
        py: Python<'py>,
        cells: PyReadonlyArray1<'py, u32>,
        targets: PyReadonlyArray1<'py, f64>,
        strategy_name: &str,
        n_threads: usize,
    ) -> PyResult<ArrayPair<'py>> {
        let (cells, targets) = (cells.as_slice()?, targets.as_slice()?);
        let strategy = strategy(strategy_name)?;
        let inner = &mut self.inner;
        let iv = runtime::run(py, n_threads, |interrupt| {
            inner.crit_sets_gradient(cells, targets, strategy, interrupt)
        })?;
        Ok(pair_arrays(py, iv))
    }

    /// The critical set of one explicit move (`target` None: unbounded).
    #[pyo3(signature = (kind, sid, target, n_threads))]
    fn move_cell(
        &mut self,
        py: Python<'_>,
        kind: &str,
        sid: usize,
        target: Option<f64>,
        n_threads: usize,
    ) -> PyResult<Vec<u32>> {
        let mv = move_kind(kind)?;
        let inner = &mut self.inner;
        runtime::run(py, n_threads, |interrupt| inner.move_cell(mv, sid, target, interrupt))
    }

    /// Reduce both sides of every dimension completely.
    fn reduce_all(&mut self, py: Python<'_>, n_threads: usize) -> PyResult<()> {
        let inner = &mut self.inner;
        runtime::run(py, n_threads, |interrupt| inner.reduce_all(interrupt))
    }

    /// Replace the values and re-sort; returns perm with perm[new sid] = old sid.
    fn update<'py>(
        &mut self,
        py: Python<'py>,
        values: PyReadonlyArray1<'py, f64>,
        n_threads: usize,
    ) -> PyResult<Bound<'py, PyArray1<i64>>> {
        let values = values.as_slice()?;
        let inner = &mut self.inner;
        let perm = runtime::run(py, n_threads, |_| inner.update(values))?;
        Ok(PyArray1::from_vec(py, perm.into_iter().map(i64::from).collect()))
    }
}
