//! Pairs only, with clearing: a column whose index is already a pivot is known to reduce to
//! zero and is skipped.

use rustc_hash::FxHashMap;
use std::ops::Range;

use crate::error::{try_filled, Result};
use crate::interrupt::Interrupt;
use crate::matrix::{add_column, ColumnMatrix};
use crate::reduction::parallel::{reduce_pairs_parallel, MIN_PARALLEL_BLOCK};
use crate::reduction::NO_OWNER;

/// Reduce the columns of `blocks`, block by block in the given order and left to right within a
/// block, and return every pair (column, pivot row), in no particular order.
///
/// On a rayon pool of more than one thread, a large block's columns are shared by the threads
/// (see [`super::reduce_pairs_parallel`]); the pairs are the same for every thread count.
///
/// Columns of different blocks must never need each other (true when blocks are the columns of
/// one dimension each). When column j gets pivot r, column r is cleared: it is positive, so its
/// reduced column is zero. Clearing saves work only when the block holding r comes later, which
/// is why homology lists dimensions top-down and cohomology bottom-up.
///
/// # Errors
/// [`crate::Error::TooLarge`] if the pivot table cannot be allocated,
/// [`crate::Error::Interrupted`] when cancelled.
pub fn reduce_pairs_with_clearing(
    matrix: &ColumnMatrix,
    blocks: &[Range<usize>],
    interrupt: &Interrupt,
) -> Result<Vec<(u32, u32)>> {
    reduce_pairs_with_clearing_after(matrix, blocks, &[], interrupt)
}

/// [`reduce_pairs_with_clearing`] when the columns in `known_zero` are already known to reduce to
/// zero (for instance the deaths of H0 found by union-find, in cohomology).
///
/// # Errors
/// As [`reduce_pairs_with_clearing`].
pub fn reduce_pairs_with_clearing_after(
    matrix: &ColumnMatrix,
    blocks: &[Range<usize>],
    known_zero: &[u32],
    interrupt: &Interrupt,
) -> Result<Vec<(u32, u32)>> {
    // Several threads pay off only when some block can be cut into two chunks or more.
    let n_threads = rayon::current_num_threads();
    if n_threads > 1 && blocks.iter().any(|b| b.len() >= MIN_PARALLEL_BLOCK) {
        return reduce_pairs_parallel(matrix, blocks, known_zero, n_threads, interrupt);
    }
    let n = matrix.size();
    let mut owner = try_filled(n, NO_OWNER, "pivot table")?;
    let mut cleared = try_filled(n, false, "clearing table")?;
    for &j in known_zero {
        cleared[j as usize] = true;
    }
    let mut pairs = Vec::new();
    let mut scratch = Vec::new();
    let mut column = Vec::new();
    for block in blocks {
        // Reduced columns that differ from the matrix's; the others are read from the matrix.
        let mut reduced: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
        for j in block.clone() {
            interrupt.check()?;
            if cleared[j] {
                continue;
            }
            column.clear();
            column.extend_from_slice(matrix.column(j));
            let mut modified = false;
            while let Some(&low) = column.last() {
                let i = owner[low as usize];
                if i == NO_OWNER {
                    break;
                }
                let source = reduced
                    .get(&i)
                    .map_or_else(|| matrix.column(i as usize), |c| c.as_slice());
                add_column(&mut column, source, &mut scratch);
                modified = true;
            }
            if let Some(&low) = column.last() {
                owner[low as usize] = j as u32;
                cleared[low as usize] = true;
                pairs.push((j as u32, low));
                if modified {
                    reduced.insert(j as u32, std::mem::take(&mut column));
                }
            }
        }
    }
    Ok(pairs)
}
