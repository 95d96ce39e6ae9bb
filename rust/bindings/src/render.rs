//! PNG frames of the live optimisation monitor (`OptimizationMonitor`).

use numpy::{PyReadonlyArray1, PyReadonlyArray2, PyReadonlyArrayDyn, PyUntypedArrayMethods};
use oineus_diff_core::render::{render_png, DataView, DiagramView, LossView, MonitorFrame};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::errors::CoreError;
use crate::runtime;

/// Render one monitor frame (data, diagrams with descent arrows, loss) to PNG bytes.
#[pyfunction]
#[pyo3(signature = (
    width, height, title, data_kind, data, data_arrows, diagram_dims, diagrams, diagram_arrows,
    steps, losses, log_loss
))]
#[allow(clippy::too_many_arguments)]
pub fn render_monitor_frame<'py>(
    py: Python<'py>,
    width: u32,
    height: u32,
    title: String,
    data_kind: &str,
    data: PyReadonlyArrayDyn<'py, f64>,
    data_arrows: Option<PyReadonlyArrayDyn<'py, f64>>,
    diagram_dims: Vec<usize>,
    diagrams: Vec<PyReadonlyArray2<'py, f64>>,
    diagram_arrows: Vec<Option<PyReadonlyArray2<'py, f64>>>,
    steps: PyReadonlyArray1<'py, f64>,
    losses: PyReadonlyArray1<'py, f64>,
    log_loss: bool,
) -> PyResult<Bound<'py, PyBytes>> {
    if diagrams.len() != diagram_dims.len() || diagram_arrows.len() != diagram_dims.len() {
        return Err(PyValueError::new_err(format!(
            "diagram_dims, diagrams and diagram_arrows must have equal lengths; got {}, {} and {}",
            diagram_dims.len(),
            diagrams.len(),
            diagram_arrows.len()
        )));
    }
    let shape = data.shape().to_vec();
    let data_arrows = data_arrows.as_ref().map(|a| a.as_slice()).transpose()?;
    let data = DataView::new(data_kind, data.as_slice()?, &shape, data_arrows).map_err(CoreError)?;
    let mut views = Vec::with_capacity(diagrams.len());
    for ((&dim, points), arrows) in diagram_dims.iter().zip(&diagrams).zip(&diagram_arrows) {
        let arrows = arrows.as_ref().map(|a| a.as_slice()).transpose()?;
        views.push(DiagramView {
            dim,
            points: points.as_slice()?,
            arrows,
        });
    }
    let frame = MonitorFrame {
        width,
        height,
        title,
        data,
        diagrams: views,
        loss: LossView {
            steps: steps.as_slice()?,
            losses: losses.as_slice()?,
            log: log_loss,
        },
    };
    let png = runtime::run(py, 1, |_| render_png(&frame))?;
    Ok(PyBytes::new(py, &png))
}
