//! Pairs with clearing on several threads: atomic pivot ownership in the manner of Morozov and
//! Nigmetov ("Towards lockfree persistent homology", SPAA 2020), fitted to the per-dimension
//! blocks of [`super::reduce_pairs_with_clearing_after`].
//!
//! Within a block, the threads take consecutive runs of columns from a shared counter, so they
//! sweep the block left to right together. A thread reduces its column j with the owners of its
//! pivots:
//!
//! - the pivot row l is free: j publishes its column and claims l (compare-and-swap);
//! - l is owned by a column i < j: j adds i's published column, whose pivot is l;
//! - l is owned by a column i > j: j publishes and takes l from i (compare-and-swap), then the
//!   same thread continues with i, which has lost its pivot.
//!
//! Columns are only ever added to columns on their right, and when every thread is done each
//! row is owned by at most one column, each owner's published column having that row as pivot.
//! That is a reduced matrix, and the pivots of any reduction by left-to-right additions are the
//! unique persistence pairs. The pairs are read off the ownership table, which is therefore the
//! same for every schedule and thread count (the intermediate columns are not, and are never
//! returned).
//!
//! Published columns that differ from the matrix's live in sharded maps behind short locks, held
//! only while a column is copied in or added from. Memory: the ownership table (4 bytes per row
//! of the matrix) and the clearing table (1 byte per column), as in the serial path, plus the
//! columns that reduction changed.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::error::{try_reserve, Result};
use crate::interrupt::Interrupt;
use crate::matrix::{add_column, ColumnMatrix};
use crate::reduction::NO_OWNER;

/// Columns a thread takes from the shared counter at a time: large enough that the counter is
/// not contended, small enough that the threads stay close together in the block.
const RUN: usize = 256;

/// Blocks with fewer columns than this are reduced by one thread: starting more costs more.
pub(crate) const MIN_PARALLEL_BLOCK: usize = 16384;

/// Shards of the published-column store (a power of two).
const SHARDS: usize = 512;

/// Reduced columns that differ from the matrix's, by column index. The hash must spread the
/// high bits of an index to the low ones: every key of a shard has the same low bits.
type ReducedColumns = FxHashMap<u32, Vec<u32>>;

/// What the threads of one block share.
struct Shared<'a> {
    matrix: &'a ColumnMatrix,
    block: Range<usize>,
    owner: &'a [AtomicU32],
    cleared: &'a [AtomicBool],
    /// The next block offset to hand out.
    next: AtomicUsize,
    /// Published columns, sharded by column index.
    published: Vec<Mutex<ReducedColumns>>,
    run: usize,
}

impl Shared<'_> {
    fn shard(&self, j: usize) -> MutexGuard<'_, ReducedColumns> {
        // A panic elsewhere cannot leave a map half-updated in a way that matters here: the
        // whole reduction is abandoned with it.
        self.published[j & (SHARDS - 1)]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Add column i's published column to `column` if its pivot is still `low`; false when i
    /// has meanwhile lost that pivot (the caller looks at the owner again).
    fn add_published(&self, i: usize, low: u32, column: &mut Vec<u32>, scratch: &mut Vec<u32>) -> bool {
        let shard = self.shard(i);
        let source = shard
            .get(&(i as u32))
            .map_or_else(|| self.matrix.column(i), |c| c.as_slice());
        if source.last() != Some(&low) {
            return false;
        }
        add_column(column, source, scratch);
        true
    }

    /// Column j as last published (or the matrix column), and whether it differs from the matrix's.
    fn take_over(&self, j: usize, column: &mut Vec<u32>) -> bool {
        column.clear();
        match self.shard(j).get(&(j as u32)) {
            Some(c) => {
                column.extend_from_slice(c);
                true
            }
            None => {
                column.extend_from_slice(self.matrix.column(j));
                false
            }
        }
    }

    fn publish(&self, j: usize, column: &[u32]) {
        let mut shard = self.shard(j);
        let slot = shard.entry(j as u32).or_default();
        slot.clear();
        slot.extend_from_slice(column);
    }

    /// One thread's share: runs of columns from the counter until the block is exhausted.
    fn work(&self, interrupt: &Interrupt) -> Result<()> {
        let mut column = Vec::new();
        let mut scratch = Vec::new();
        loop {
            let start = self.next.fetch_add(self.run, Ordering::Relaxed);
            if start >= self.block.len() {
                return Ok(());
            }
            interrupt.check()?;
            let end = (start + self.run).min(self.block.len());
            for j in (self.block.start + start)..(self.block.start + end) {
                if self.cleared[j].load(Ordering::Relaxed) {
                    continue;
                }
                column.clear();
                column.extend_from_slice(self.matrix.column(j));
                self.reduce(j, &mut column, &mut scratch);
            }
        }
    }

    /// Reduce column j (held in `column`) until it owns its pivot or is zero, continuing with
    /// every column it takes a pivot from.
    fn reduce(&self, mut j: usize, column: &mut Vec<u32>, scratch: &mut Vec<u32>) {
        let mut modified = false;
        while let Some(&low) = column.last() {
            let slot = &self.owner[low as usize];
            let i = slot.load(Ordering::Acquire);
            if i != NO_OWNER && (i as usize) < j {
                if self.add_published(i as usize, low, column, scratch) {
                    modified = true;
                }
                continue;
            }
            // Free, or owned by a column on the right: publish, then claim.
            if modified {
                self.publish(j, column);
            }
            if slot
                .compare_exchange(i, j as u32, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
            {
                continue;
            }
            if i == NO_OWNER {
                return;
            }
            // Column i lost its pivot to j: this thread reduces it further.
            j = i as usize;
            modified = self.take_over(j, column);
        }
    }
}

/// [`super::reduce_pairs_with_clearing_after`] on the current rayon pool: blocks in order, the
/// columns of each block shared by `n_workers` workers. The pairs come out ascending by pivot
/// row within each block.
///
/// # Errors
/// [`crate::Error::TooLarge`] if a table cannot be allocated, [`crate::Error::Interrupted`] when
/// cancelled.
pub fn reduce_pairs_parallel(
    matrix: &ColumnMatrix,
    blocks: &[Range<usize>],
    known_zero: &[u32],
    n_workers: usize,
    interrupt: &Interrupt,
) -> Result<Vec<(u32, u32)>> {
    reduce_in_runs(matrix, blocks, known_zero, n_workers, RUN, interrupt)
}

/// [`reduce_pairs_parallel`] with runs of `run` columns (tests use short runs, so that small
/// matrices interleave as much as large ones).
pub(crate) fn reduce_in_runs(
    matrix: &ColumnMatrix,
    blocks: &[Range<usize>],
    known_zero: &[u32],
    n_workers: usize,
    run: usize,
    interrupt: &Interrupt,
) -> Result<Vec<(u32, u32)>> {
    interrupt.check()?;
    let n = matrix.size();
    let mut owner: Vec<AtomicU32> = Vec::new();
    try_reserve(&mut owner, n, "pivot table")?;
    owner.extend((0..n).map(|_| AtomicU32::new(NO_OWNER)));
    let mut cleared: Vec<AtomicBool> = Vec::new();
    try_reserve(&mut cleared, n, "clearing table")?;
    cleared.extend((0..n).map(|_| AtomicBool::new(false)));
    for &j in known_zero {
        cleared[j as usize].store(true, Ordering::Relaxed);
    }
    let mut pairs = Vec::new();
    for block in blocks.iter().filter(|b| !b.is_empty()) {
        let found = reduce_block(matrix, block.clone(), &owner, &cleared, n_workers, run, interrupt)?;
        // Clearing: the pivot rows are positive cells, whose columns reduce to zero.
        found
            .par_iter()
            .for_each(|&(_, low)| cleared[low as usize].store(true, Ordering::Relaxed));
        try_reserve(&mut pairs, found.len(), "pair list")?;
        pairs.extend(found);
    }
    Ok(pairs)
}

/// The pairs (column, pivot) of one block, ascending by pivot.
fn reduce_block(
    matrix: &ColumnMatrix,
    block: Range<usize>,
    owner: &[AtomicU32],
    cleared: &[AtomicBool],
    n_workers: usize,
    run: usize,
    interrupt: &Interrupt,
) -> Result<Vec<(u32, u32)>> {
    // The rows this block's columns can have: the pairs are read off this part of the table.
    let (lo, hi) = block
        .clone()
        .into_par_iter()
        .filter(|&j| !cleared[j].load(Ordering::Relaxed))
        .map(|j| {
            let col = matrix.column(j);
            match (col.first(), col.last()) {
                (Some(&first), Some(&last)) => (first as usize, last as usize + 1),
                _ => (usize::MAX, 0),
            }
        })
        .reduce(|| (usize::MAX, 0), |a, b| (a.0.min(b.0), a.1.max(b.1)));
    if lo >= hi {
        return Ok(Vec::new());
    }
    let shared = Shared {
        matrix,
        block: block.clone(),
        owner,
        cleared,
        next: AtomicUsize::new(0),
        published: (0..SHARDS).map(|_| Mutex::new(ReducedColumns::default())).collect(),
        run: run.max(1),
    };
    (0..n_workers.max(1))
        .into_par_iter()
        .try_for_each(|_| shared.work(interrupt))?;
    interrupt.check()?;
    Ok(owner[lo..hi]
        .par_iter()
        .enumerate()
        .filter_map(|(k, slot)| {
            let j = slot.load(Ordering::Relaxed);
            (j != NO_OWNER && block.contains(&(j as usize))).then_some((j, (lo + k) as u32))
        })
        .collect())
}
