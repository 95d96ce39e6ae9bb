//! Reductions of Z/2 column matrices: the canonical serial (ELZ) reduction with V, and the
//! clearing (twist) reduction that computes pairs only.
//!
//! Both follow Edelsbrunner, Letscher and Zomorodian, "Topological persistence and
//! simplification" (2002); clearing is the twist of Chen and Kerber, "Persistent homology
//! computation with a twist" (2011). The persistence pairing is unique, so every variant yields
//! the same pairs; the canonical reduction is the reference the others are tested against.

mod canonical;
mod clearing;

use std::ops::Range;

pub use canonical::{reduce_canonical, Decomposition};
pub use clearing::reduce_pairs_with_clearing;

use crate::error::Result;
use crate::filtration::Filtration;
use crate::interrupt::Interrupt;
use crate::matrix::ColumnMatrix;

/// Sentinel for "no column owns this pivot row".
pub(crate) const NO_OWNER: u32 = u32::MAX;

/// Which matrix a reduction works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The boundary matrix D (persistent homology).
    Homology,
    /// The anti-transpose D⊥ (persistent cohomology); same pairs, often far fewer operations.
    Cohomology,
}

/// The persistence pairs of a filtration as (birth sid, death sid), ascending by birth sid,
/// computed on `side` with clearing.
///
/// Only cells of dimension ≤ `max_dim` exist, so this is the pairing of the truncated complex;
/// pairs in dimensions below `max_dim` are those of the full complex.
///
/// # Errors
/// [`crate::Error::TooLarge`] if a matrix cannot be allocated, [`crate::Error::Interrupted`] when
/// cancelled.
pub fn persistence_pairs(
    fil: &Filtration,
    side: Side,
    interrupt: &Interrupt,
) -> Result<Vec<(u32, u32)>> {
    let n = fil.size();
    let mut pairs: Vec<(u32, u32)> = match side {
        Side::Homology => {
            let d = ColumnMatrix::boundary(fil)?;
            // Top dimension first, so that positive columns of the next block are cleared.
            let blocks: Vec<Range<usize>> = (1..=fil.max_dim()).rev().map(|k| fil.dim_range(k)).collect();
            reduce_pairs_with_clearing(&d, &blocks, interrupt)?
                .into_iter()
                .map(|(col, row)| (row, col))
                .collect()
        }
        Side::Cohomology => {
            let dt = ColumnMatrix::coboundary_anti_transposed(fil)?;
            // Dimension 0 first: its pivots are edges, whose columns are then cleared.
            let blocks: Vec<Range<usize>> = (0..fil.max_dim())
                .map(|k| {
                    let r = fil.dim_range(k);
                    (n - r.end)..(n - r.start)
                })
                .collect();
            reduce_pairs_with_clearing(&dt, &blocks, interrupt)?
                .into_iter()
                .map(|(col, row)| ((n - 1) as u32 - col, (n - 1) as u32 - row))
                .collect()
        }
    };
    pairs.sort_unstable();
    Ok(pairs)
}
