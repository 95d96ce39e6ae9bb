//! The one error type of the core crate.
//!
//! Every fallible public function returns [`Result`]. Variants are named in domain terms and
//! carry what a good message needs; the bindings map each variant to one Python exception class.

/// Everything that can go wrong in the core on valid-typed input.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum Error {
    /// A parameter has a value outside its domain.
    #[error("invalid parameter {name}: {reason}")]
    InvalidParameter {
        /// The parameter's public name.
        name: &'static str,
        /// What was wrong with it, including the value received.
        reason: String,
    },
    /// An array does not have the shape the call needs.
    #[error("{name} must have shape {expected}; got {found}")]
    ShapeMismatch {
        /// The argument's public name.
        name: &'static str,
        /// The expected shape, in words.
        expected: String,
        /// The shape received.
        found: String,
    },
    /// An input value is NaN or infinite where a finite number is required.
    #[error("{name} contains {count} non-finite entries (first at index {first_idx})")]
    NonFiniteValue {
        /// The argument's public name.
        name: &'static str,
        /// How many entries are not finite.
        count: usize,
        /// The flat index of the first one.
        first_idx: usize,
    },
    /// A cell index (sid) is out of range.
    #[error("cell index {idx} is out of range for a filtration of {size} cells")]
    IndexOutOfRange {
        /// The index received.
        idx: usize,
        /// The number of cells.
        size: usize,
    },
    /// A vertex tuple does not name a cell of the filtration.
    #[error("no cell with vertices {vertices:?}")]
    CellNotFound {
        /// The (sorted) vertex ids asked for.
        vertices: Vec<u32>,
    },
    /// The complex (or a matrix derived from it) does not fit in memory or in the index type.
    #[error("{what} is too large: {reason}")]
    TooLarge {
        /// What was being allocated.
        what: &'static str,
        /// Why it does not fit.
        reason: String,
    },
    /// Drawing or encoding a rendered frame failed (a bug, not bad input).
    #[error("rendering failed: {reason}")]
    Render {
        /// What the drawing or encoding library reported.
        reason: String,
    },
    /// The computation was cancelled through its [`crate::Interrupt`] flag (Ctrl-C).
    #[error("interrupted")]
    Interrupted,
}

/// The core crate's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// Reserve room for `additional` more elements, reporting an allocation failure as an error
/// instead of aborting the process.
pub(crate) fn try_reserve<T>(v: &mut Vec<T>, additional: usize, what: &'static str) -> Result<()> {
    v.try_reserve(additional).map_err(|_| Error::TooLarge {
        what,
        reason: format!(
            "cannot allocate {} more elements of {} bytes",
            additional,
            std::mem::size_of::<T>()
        ),
    })
}

/// A vector of `len` copies of `value`, allocated fallibly.
pub(crate) fn try_filled<T: Clone>(len: usize, value: T, what: &'static str) -> Result<Vec<T>> {
    let mut v = Vec::new();
    try_reserve(&mut v, len, what)?;
    v.resize(len, value);
    Ok(v)
}

/// A cap on the bytes a construction may allocate, shared by its worker threads.
///
/// Allocation failure is not reliable on systems that overcommit memory: a build that keeps
/// growing is killed instead of seeing an error. Builders whose output size is unknown in
/// advance charge what they keep to a budget of the memory the system reports as available, and
/// stop with [`Error::TooLarge`] when it runs out.
#[derive(Debug)]
pub(crate) struct MemoryBudget {
    limit: usize,
    used: std::sync::atomic::AtomicUsize,
}

impl MemoryBudget {
    /// A budget of the memory currently available (Linux `MemAvailable`), unlimited elsewhere.
    pub(crate) fn available() -> Self {
        let limit = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|info| {
                let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
                let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
                Some(kib.saturating_mul(1024))
            })
            .unwrap_or(usize::MAX);
        MemoryBudget {
            limit,
            used: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// Record `bytes` more, failing once the total exceeds the limit.
    pub(crate) fn charge(&self, bytes: usize, what: &'static str) -> Result<()> {
        let used = self
            .used
            .fetch_add(bytes, std::sync::atomic::Ordering::Relaxed)
            .saturating_add(bytes);
        if used > self.limit {
            return Err(Error::TooLarge {
                what,
                reason: format!(
                    "needs more than the {} MiB of memory available",
                    self.limit / (1024 * 1024)
                ),
            });
        }
        Ok(())
    }
}
