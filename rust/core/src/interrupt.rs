//! Cooperative cancellation of long computations.
//!
//! The bindings run heavy calls on a worker thread and set the flag when Python receives
//! SIGINT; long loops in the core poll it through [`Interrupt::check`] and return
//! [`Error::Interrupted`]. Polling is one relaxed atomic load, cheap enough for every column of a
//! reduction.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Result};

/// A handle to an optional cancellation flag.
#[derive(Clone, Copy, Debug, Default)]
pub struct Interrupt<'a> {
    flag: Option<&'a AtomicBool>,
}

impl<'a> Interrupt<'a> {
    /// A handle that is never cancelled (for tests and callers without Ctrl-C).
    pub const fn never() -> Self {
        Interrupt { flag: None }
    }

    /// A handle that reports cancellation once `flag` is set.
    pub const fn from_flag(flag: &'a AtomicBool) -> Self {
        Interrupt { flag: Some(flag) }
    }

    /// Whether cancellation has been requested.
    pub fn is_cancelled(&self) -> bool {
        self.flag.is_some_and(|f| f.load(Ordering::Relaxed))
    }

    /// Return [`Error::Interrupted`] if cancellation has been requested.
    ///
    /// # Errors
    /// [`Error::Interrupted`] once the flag is set.
    pub fn check(&self) -> Result<()> {
        if self.is_cancelled() {
            Err(Error::Interrupted)
        } else {
            Ok(())
        }
    }
}
