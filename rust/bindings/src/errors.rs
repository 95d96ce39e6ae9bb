//! Core errors to Python exceptions: one variant, one class.
//!
//! The classes live in `oineus_diff/errors.py`, so they can inherit from both the package's
//! base class and the matching built-in (`ValueError`, `IndexError`, ...).

use oineus_diff_core::Error;
use pyo3::exceptions::PyKeyboardInterrupt;
use pyo3::PyErr;

pyo3::import_exception!(oineus_diff.errors, InvalidInputError);
pyo3::import_exception!(oineus_diff.errors, CellIndexError);
pyo3::import_exception!(oineus_diff.errors, CellNotFoundError);
pyo3::import_exception!(oineus_diff.errors, ComplexTooLargeError);
pyo3::import_exception!(oineus_diff.errors, InternalError);

/// A core error on its way to Python (the orphan rule forbids `From<Error> for PyErr` here).
pub struct CoreError(pub Error);

impl From<CoreError> for PyErr {
    fn from(err: CoreError) -> PyErr {
        let message = err.0.to_string();
        match err.0 {
            Error::InvalidParameter { .. } | Error::ShapeMismatch { .. } | Error::NonFiniteValue { .. } => {
                InvalidInputError::new_err(message)
            }
            Error::IndexOutOfRange { .. } => CellIndexError::new_err(message),
            Error::CellNotFound { .. } => CellNotFoundError::new_err(message),
            Error::TooLarge { .. } => ComplexTooLargeError::new_err(message),
            Error::Render { .. } => InternalError::new_err(message),
            Error::Interrupted => PyKeyboardInterrupt::new_err(message),
        }
    }
}

/// A panic caught at the boundary: a bug in the core, reported as an exception.
pub fn panic_to_pyerr(payload: Box<dyn std::any::Any + Send>) -> PyErr {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic payload".to_string());
    InternalError::new_err(format!(
        "internal error in the oineus_diff core (please report it): {what}"
    ))
}
