//! The canonical (ELZ) reduction of one dimension block, computed lazily left to right, with the
//! columns of V that the critical-set moves read and rows of U = V⁻¹ solved on demand.
//!
//! Column operations never mix dimensions, so V (and U) are block-diagonal by dimension: the
//! canonical reduction of the columns of one dimension, alone and in order, equals that block of
//! the reduction of the whole matrix. Reducing only a prefix of a block is again canonical, so a
//! move bounded by its target reduces only the columns it can reach.
//!
//! Only the columns that reduce to non-zero (the owners of pivots, known from the pairing) are
//! reduced. The serial algorithm adds to a column only earlier columns with a non-zero R, so
//! skipping the zero columns changes neither R nor V of the others; and the zero columns, in a
//! Vietoris-Rips top dimension nearly all of the 10^7 columns, are the expensive ones to reduce.
//! Their V is rebuilt on demand ([`BlockReduction::v_column`]); rows of U come from a cochain
//! dual to the non-zero columns of R ([`BlockReduction::u_rows`]).
//!
//! R itself is never stored: R_k = M·V_k, and a column is reduced as a lazily merged sum of
//! column slices (a heap of run heads, as in Ripser), which finds each pivot after popping only
//! the entries above it. Merging whole columns instead costs up to 10^5 entries per addition on
//! a Vietoris-Rips coboundary block, whose reduced columns fill in.

use std::borrow::Cow;
use std::collections::BinaryHeap;
use std::ops::Range;
use std::sync::Arc;

use crate::error::{try_filled, try_reserve, Result};
use crate::interrupt::Interrupt;
use crate::matrix::add_column;

/// Sentinel for "no column owns this pivot row" and "no slot".
const NONE: u32 = u32::MAX;

/// Poll the interrupt flag once per this many columns.
const INTERRUPT_STRIDE: usize = 1024;

/// The columns `block` of a square matrix of size n (in matrix indices), stored compactly.
#[derive(Debug, Clone, Default)]
pub(crate) struct BlockColumns {
    /// Matrix indices of the stored columns.
    pub(crate) block: Range<usize>,
    /// `offsets[k]..offsets[k + 1]` delimits local column k in `entries`.
    pub(crate) offsets: Vec<usize>,
    /// Row indices, ascending within each column.
    pub(crate) entries: Vec<u32>,
}

impl BlockColumns {
    fn column(&self, local: usize) -> &[u32] {
        &self.entries[self.offsets[local]..self.offsets[local + 1]]
    }
}

/// The lazily computed canonical reduction of one dimension block.
///
/// Invariants: the columns `block.start .. block.start + reduced` are settled: each column
/// that reduces to non-zero holds exactly the low and V of the serial left-to-right algorithm
/// (without clearing) in `low[slot]` and `v[slot]`, and owns its pivot row in `owner`; the
/// other columns hold nothing. Memory is one word per column and per row plus V of the
/// non-zero columns.
#[derive(Debug, Clone)]
pub(crate) struct BlockReduction {
    columns: Arc<BlockColumns>,
    reduced: usize,
    /// Per row index (matrix index − `row_offset`), the local column owning it as a pivot.
    owner: Vec<u32>,
    row_offset: usize,
    /// Per local column, its index in `low` and `v`, or [`NONE`] for a zero column.
    slot: Vec<u32>,
    low: Vec<u32>,
    v: Vec<Vec<u32>>,
}

/// A column under reduction: a sum over Z/2 of slices of the block's columns, each read from its
/// end, with a max-heap of their current entries; equal heads cancel in pairs.
#[derive(Debug, Default)]
struct Working {
    /// Per run: its local column and how many of its entries remain.
    runs: Vec<(u32, u32)>,
    /// (row << 32) | run for the last remaining entry of every run.
    heads: BinaryHeap<u64>,
}

impl Working {
    fn clear(&mut self) {
        self.runs.clear();
        self.heads.clear();
    }

    /// Add the entries of local column `k` up to row `limit` (inclusive; all when `None`).
    fn add(&mut self, columns: &BlockColumns, k: usize, limit: Option<u32>) {
        let column = columns.column(k);
        let end = limit.map_or(column.len(), |p| column.partition_point(|&x| x <= p));
        if end > 0 {
            let run = self.runs.len() as u64;
            self.runs.push((k as u32, end as u32));
            self.heads.push((u64::from(column[end - 1]) << 32) | run);
        }
    }

    fn advance(&mut self, columns: &BlockColumns, run: usize) {
        let (k, left) = &mut self.runs[run];
        *left -= 1;
        if *left > 0 {
            let row = columns.column(*k as usize)[*left as usize - 1];
            self.heads.push((u64::from(row) << 32) | run as u64);
        }
    }

    /// The largest row of odd multiplicity, or `None` for a zero sum.
    fn pivot(&mut self, columns: &BlockColumns) -> Option<u32> {
        loop {
            let head = self.heads.pop()?;
            match self.heads.peek() {
                Some(&next) if next >> 32 == head >> 32 => {
                    self.heads.pop();
                    self.advance(columns, (head & 0xffff_ffff) as usize);
                    self.advance(columns, (next & 0xffff_ffff) as usize);
                }
                _ => {
                    self.heads.push(head);
                    return Some((head >> 32) as u32);
                }
            }
        }
    }
}

impl BlockReduction {
    /// A block with nothing reduced yet; `rows` is the range of row indices its columns use.
    pub(crate) fn new(columns: Arc<BlockColumns>, rows: Range<usize>) -> Result<Self> {
        let n = columns.block.len();
        Ok(BlockReduction {
            columns,
            reduced: 0,
            owner: try_filled(rows.len(), NONE, "pivot table")?,
            row_offset: rows.start,
            slot: try_filled(n, NONE, "pivot lows")?,
            low: Vec::new(),
            v: Vec::new(),
        })
    }

    fn local(&self, j: usize) -> usize {
        debug_assert!(self.columns.block.contains(&j), "column {j} outside its block");
        j - self.columns.block.start
    }

    /// The local column owning pivot row `row`, if any.
    fn owner_of(&self, row: u32) -> Option<usize> {
        let k = self.owner[row as usize - self.row_offset];
        (k != NONE).then_some(k as usize)
    }

    /// Reduce the columns up to matrix index `last` (inclusive), except those `zero(j)` says
    /// reduce to zero (from the pairing, or cleared by the partner of a death); columns that
    /// turn out zero anyway are settled with nothing stored.
    pub(crate) fn ensure(&mut self, last: usize, zero: &dyn Fn(usize) -> bool, interrupt: &Interrupt) -> Result<()> {
        let target = self.local(last) + 1;
        if target <= self.reduced {
            return Ok(());
        }
        let start = self.columns.block.start;
        let mut scratch = Vec::new();
        let mut working = Working::default();
        for k in self.reduced..target {
            if k % INTERRUPT_STRIDE == 0 {
                interrupt.check()?;
            }
            if zero(start + k) {
                continue;
            }
            let (low, v_k) = self.reduce(k, &mut working, &mut scratch);
            let Some(low) = low else { continue };
            try_reserve(&mut self.low, 1, "pivot lows")?;
            try_reserve(&mut self.v, 1, "matrix V")?;
            self.owner[low as usize - self.row_offset] = k as u32;
            self.slot[k] = self.low.len() as u32;
            self.low.push(low);
            self.v.push(v_k);
        }
        self.reduced = target;
        Ok(())
    }

    /// The pairs (column, low) of the settled non-zero columns, in matrix indices.
    pub(crate) fn pivots(&self) -> impl Iterator<Item = (usize, u32)> + '_ {
        let start = self.columns.block.start;
        self.slot[..self.reduced]
            .iter()
            .enumerate()
            .filter(|&(_, &s)| s != NONE)
            .map(move |(k, &s)| (start + k, self.low[s as usize]))
    }

    /// Reduce local column k against the owners reduced so far: its low (`None` for zero) and
    /// V_k. Adding owner i adds M·V_i, of which only the rows up to low(R_i) are read: the rows
    /// above cancel among the columns of V_i.
    fn reduce(&self, k: usize, working: &mut Working, scratch: &mut Vec<u32>) -> (Option<u32>, Vec<u32>) {
        let start = self.columns.block.start;
        working.clear();
        working.add(&self.columns, k, None);
        let mut v_k = vec![(start + k) as u32];
        loop {
            let Some(low) = working.pivot(&self.columns) else {
                return (None, v_k);
            };
            let Some(i) = self.owner_of(low) else {
                return (Some(low), v_k);
            };
            let v_i = &self.v[self.slot[i] as usize];
            for &l in v_i {
                working.add(&self.columns, l as usize - start, Some(low));
            }
            add_column(&mut v_k, v_i, scratch);
        }
    }

    /// low(R_j), or `None` for a zero column. Column j must be settled.
    pub(crate) fn low(&self, j: usize) -> Option<u32> {
        let k = self.local(j);
        debug_assert!(k < self.reduced, "column {j} is not reduced yet");
        let s = self.slot[k];
        (s != NONE).then(|| self.low[s as usize])
    }

    /// Column j of V (ascending matrix indices, ending with j). Column j must be settled.
    ///
    /// A zero column is reduced here, against the owners before it, which are all settled.
    pub(crate) fn v_column(&self, j: usize) -> Cow<'_, [u32]> {
        let k = self.local(j);
        debug_assert!(k < self.reduced, "column {j} is not reduced yet");
        match self.slot[k] {
            NONE => {
                let (low, v_k) = self.reduce(k, &mut Working::default(), &mut Vec::new());
                debug_assert!(low.is_none(), "column {j} has no owner but does not reduce to zero");
                Cow::Owned(v_k)
            }
            s => Cow::Borrowed(&self.v[s as usize]),
        }
    }

    /// Rows of U = V⁻¹: for each (i, last), row i restricted to the columns i ..= last
    /// (ascending matrix indices; the first is i). The columns up to every `last` must be
    /// settled.
    ///
    /// M = R·U and the non-zero columns of R are independent, so column j of U (off the
    /// diagonal of a zero column) holds the coordinates of M_j in the basis of non-zero columns
    /// R_k, k ≤ j; the row of a zero column is its diagonal alone. For a non-zero column i, a
    /// cochain w on the pivot rows with w·R_k = δ_ik for every owner k is found by one sweep of
    /// the pivot rows upwards from low(R_i) (R_k has nothing above its pivot, so the system is
    /// triangular); then U[i, j] = w·M_j. Sixty-four rows are solved at once, one bit each, so
    /// a batch costs one pass over the R of the owners plus one over the block's columns up to
    /// the largest `last`.
    pub(crate) fn u_rows(&self, queries: &[(usize, usize)]) -> Vec<Vec<u32>> {
        let mut rows: Vec<Vec<u32>> = queries.iter().map(|&(i, _)| vec![i as u32]).collect();
        let owned: Vec<usize> = (0..queries.len())
            .filter(|&q| self.slot[self.local(queries[q].0)] != NONE)
            .collect();
        for batch in owned.chunks(64) {
            self.solve_rows(queries, batch, &mut rows);
        }
        rows
    }

    /// [`BlockReduction::u_rows`] for up to 64 queries of non-zero columns (bit b of a mask
    /// belongs to `queries[batch[b]]`).
    fn solve_rows(&self, queries: &[(usize, usize)], batch: &[usize], rows: &mut [Vec<u32>]) {
        let lows: Vec<u32> = batch
            .iter()
            .map(|&q| self.low(queries[q].0).expect("a non-zero column"))
            .collect();
        let from = lows.iter().copied().min().expect("a non-empty batch") as usize - self.row_offset;
        // w per owner slot (the value at its pivot row), one bit per query, solved over the
        // owners by ascending pivot row.
        let mut by_low: Vec<u32> = (0..self.low.len() as u32)
            .filter(|&s| self.low[s as usize] as usize - self.row_offset >= from)
            .collect();
        by_low.sort_unstable_by_key(|&s| self.low[s as usize]);
        let mut w = vec![0u64; self.low.len()];
        let w_at = |w: &[u64], row: u32| self.owner_of(row).map_or(0, |k| w[self.slot[k] as usize]);
        let start = self.columns.block.start;
        for &s in &by_low {
            let s = s as usize;
            let row = self.low[s];
            // w·R_k below its pivot, with R_k = Σ M_l over l in V_k: rows at or above the
            // pivot are left out (w is not known there yet, and above it they cancel).
            let mut bits = 0u64;
            for &l in &self.v[s] {
                let column = self.columns.column(l as usize - start);
                let below = column.partition_point(|&q| q < row);
                bits = column[..below].iter().fold(bits, |acc, &q| acc ^ w_at(&w, q));
            }
            for (b, &low) in lows.iter().enumerate() {
                if low == row {
                    bits |= 1 << b;
                }
            }
            w[s] = bits;
        }
        // The scan below reads w once per entry of the block: spread it over the rows when
        // that table is small, saving two indirections per read.
        let dense: Option<Vec<u64>> = (self.owner.len() <= 1 << 22).then(|| {
            let mut dense = vec![0u64; self.owner.len()];
            for (s, &bits) in w.iter().enumerate() {
                dense[self.low[s] as usize - self.row_offset] = bits;
            }
            dense
        });
        let w_at = |row: u32| match &dense {
            Some(dense) => dense[row as usize - self.row_offset],
            None => w_at(&w, row),
        };
        let first = batch
            .iter()
            .map(|&q| self.local(queries[q].0))
            .min()
            .expect("non-empty");
        let last = batch
            .iter()
            .map(|&q| self.local(queries[q].1))
            .max()
            .expect("non-empty");
        for k in first..=last {
            let mut bits = self.columns.column(k).iter().fold(0u64, |acc, &q| acc ^ w_at(q));
            let j = start + k;
            while bits != 0 {
                let b = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let (i, end) = queries[batch[b]];
                if j > i && j <= end {
                    rows[batch[b]].push(j as u32);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrix::ColumnMatrix;
    use crate::reduction::reduce_canonical;

    fn block_of(m: &ColumnMatrix, block: Range<usize>) -> BlockColumns {
        let mut offsets = vec![0];
        let mut entries = Vec::new();
        for j in block.clone() {
            entries.extend_from_slice(m.column(j));
            offsets.push(entries.len());
        }
        BlockColumns {
            block,
            offsets,
            entries,
        }
    }

    #[test]
    fn block_reduction_of_a_filled_triangle_equals_the_full_reduction() {
        let d = ColumnMatrix::from_columns(7, 3..7, &[vec![0, 1], vec![0, 2], vec![1, 2], vec![3, 4, 5]]);
        let full = reduce_canonical(&d, &Interrupt::never()).unwrap();
        let mut b = BlockReduction::new(Arc::new(block_of(&d, 3..6)), 0..3).unwrap();
        // Edges 3 and 4 kill vertices; edge 5 closes the cycle and reduces to zero.
        b.ensure(5, &|j| j == 5, &Interrupt::never()).unwrap();
        assert_eq!(b.pivots().collect::<Vec<_>>(), vec![(3, 1), (4, 2)]);
        for j in 3..6 {
            assert_eq!(b.v_column(j).as_ref(), full.v_column(j));
            assert_eq!(b.low(j), full.low(j));
        }
        // V_5 = {3, 4, 5}: U is V⁻¹, so U[3, :] = {3, 5} and U[4, :] = {4, 5}; row 5 of a zero
        // column is its diagonal.
        let rows = b.u_rows(&[(3, 5), (4, 5), (4, 4), (5, 5)]);
        assert_eq!(rows, vec![vec![3, 5], vec![4, 5], vec![4], vec![5]]);
    }
}
