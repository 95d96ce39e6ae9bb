//! From pairs of sids to index diagrams: one list of (birth sid, death sid) rows per dimension.
//!
//! Rows are ordered by birth sid ascending (each positive cell is the birth of at most one
//! point, so the order is total and independent of the side reduced). Pairs whose birth and
//! death values are equal are dropped (zero persistence); essential classes (positive cells in
//! no pair) are kept on request, with death index −1.

use crate::error::{try_filled, Result};
use crate::filtration::Filtration;
use crate::interrupt::Interrupt;
use crate::reduction::{persistence_pairs, Side};

/// The death index of an essential row.
pub const ESSENTIAL: i64 = -1;

/// Index diagrams of dimensions 0 … `max_dim − 1` of a filtration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IndexDiagrams {
    dims: Vec<Vec<[i64; 2]>>,
}

impl IndexDiagrams {
    /// The number of dimensions held (`max_dim` of the filtration).
    pub fn n_dims(&self) -> usize {
        self.dims.len()
    }

    /// The rows [birth sid, death sid] of dimension `dim` (empty if absent).
    pub fn in_dimension(&self, dim: usize) -> &[[i64; 2]] {
        self.dims.get(dim).map_or(&[], |d| d.as_slice())
    }

    /// Consume into one row list per dimension.
    pub fn into_dims(self) -> Vec<Vec<[i64; 2]>> {
        self.dims
    }
}

/// Arrange `pairs` (birth sid, death sid) of `fil` into index diagrams.
///
/// # Errors
/// [`crate::Error::TooLarge`] if the bookkeeping array cannot be allocated.
pub fn index_diagrams(fil: &Filtration, pairs: &[(u32, u32)], include_essential: bool) -> Result<IndexDiagrams> {
    let top = fil.max_dim();
    let values = fil.values();
    let mut dims: Vec<Vec<[i64; 2]>> = vec![Vec::new(); top];
    let mut paired = try_filled(fil.size(), false, "pairing table")?;
    for &(birth, death) in pairs {
        paired[birth as usize] = true;
        paired[death as usize] = true;
        let dim = fil.dim_of(birth as usize);
        // Equal values in the filtration dtype: a zero-persistence pair, not reported.
        if dim < top && values[birth as usize] != values[death as usize] {
            dims[dim].push([birth as i64, death as i64]);
        }
    }
    if include_essential {
        for (dim, rows) in dims.iter_mut().enumerate() {
            rows.extend(fil.dim_range(dim).filter(|&s| !paired[s]).map(|s| [s as i64, ESSENTIAL]));
        }
    }
    for rows in &mut dims {
        rows.sort_unstable_by_key(|r| r[0]);
    }
    Ok(IndexDiagrams { dims })
}

/// Reduce `fil` on `side` (with clearing) and return its index diagrams.
///
/// # Errors
/// As [`persistence_pairs`] and [`index_diagrams`].
///
/// # Examples
/// See the crate documentation.
pub fn persistence(fil: &Filtration, side: Side, include_essential: bool, interrupt: &Interrupt) -> Result<IndexDiagrams> {
    let pairs = persistence_pairs(fil, side, interrupt)?;
    interrupt.check()?;
    index_diagrams(fil, &pairs, include_essential)
}
