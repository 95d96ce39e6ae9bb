//! `oineus_diff._core`: the PyO3 layer over `oineus_diff_core`.
//!
//! Each function extracts NumPy views, checks what only the bindings can see (contiguity),
//! releases the GIL around the core call and converts the result. Argument validation lives in
//! the Python package; algorithms live in the core.

mod distance;
mod errors;
mod filtration;
mod optimizer;
mod persistence;
mod render;
mod runtime;

use pyo3::prelude::*;

/// Panic inside a worker on purpose, to test that a core panic surfaces as `InternalError`.
#[pyfunction]
fn _panic_in_worker(py: Python<'_>) -> PyResult<()> {
    runtime::run(py, 1, |_| -> oineus_diff_core::Result<()> {
        panic!("deliberate panic for the boundary test")
    })
}

/// Spin in a worker until interrupted, to test that Ctrl-C stops a core call.
#[pyfunction]
fn _spin_until_interrupted(py: Python<'_>, seconds: f64) -> PyResult<bool> {
    runtime::run(py, 1, |interrupt| {
        let start = std::time::Instant::now();
        while start.elapsed().as_secs_f64() < seconds {
            interrupt.check()?;
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        Ok(true)
    })
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<filtration::PyFiltration>()?;
    m.add_class::<optimizer::PyTopologyOptimizer>()?;
    m.add_function(wrap_pyfunction!(filtration::vr_filtration, m)?)?;
    m.add_function(wrap_pyfunction!(filtration::vr_persistence, m)?)?;
    m.add_function(wrap_pyfunction!(filtration::freudenthal_filtration, m)?)?;
    m.add_function(wrap_pyfunction!(filtration::cube_filtration, m)?)?;
    m.add_function(wrap_pyfunction!(filtration::cube_persistence, m)?)?;
    m.add_function(wrap_pyfunction!(filtration::alpha_filtration, m)?)?;
    m.add_function(wrap_pyfunction!(filtration::weak_alpha_filtration, m)?)?;
    m.add_function(wrap_pyfunction!(filtration::cech_delaunay_filtration, m)?)?;
    m.add_function(wrap_pyfunction!(persistence::index_diagrams, m)?)?;
    m.add_function(wrap_pyfunction!(distance::wasserstein_matching, m)?)?;
    m.add_function(wrap_pyfunction!(distance::bottleneck_matching, m)?)?;
    m.add_function(wrap_pyfunction!(render::render_monitor_frame, m)?)?;
    m.add_function(wrap_pyfunction!(_panic_in_worker, m)?)?;
    m.add_function(wrap_pyfunction!(_spin_until_interrupted, m)?)?;
    Ok(())
}
