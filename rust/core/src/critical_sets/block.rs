//! The canonical (ELZ) reduction of one dimension block, computed lazily left to right, with the
//! columns of V that the critical-set moves read and the rows of U = V⁻¹, either recorded during
//! the reduction or solved on demand from the rows of V (see [`UFrom`]).
//!
//! Column operations never mix dimensions, so V (and U) are block-diagonal by dimension: the
//! canonical reduction of the columns of one dimension, alone and in order, equals that block of
//! the reduction of the whole matrix. Reducing only a prefix of a block is again canonical, so a
//! move bounded by its target reduces only the columns it can reach.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::ops::Range;

use crate::error::{try_filled, try_reserve, Result};
use crate::interrupt::Interrupt;
use crate::matrix::add_column;

/// Sentinel for "no column owns this pivot row" and "no low".
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
/// Invariants: the columns `block.start .. block.start + reduced` hold exactly what the serial
/// left-to-right algorithm without clearing computes. R is kept for non-zero columns only (the
/// owners of pivots). Rows of U come from one of two sources ([`UFrom`]); `rows[i]` holds the
/// columns j > i (ascending) with V[i, j] = 1 or with U[i, j] = 1 accordingly.
#[derive(Debug, Clone)]
pub(crate) struct BlockReduction {
    columns: BlockColumns,
    u_from: UFrom,
    reduced: usize,
    /// Per row index (matrix index − `row_offset`), the local column owning it as a pivot.
    owner: Vec<u32>,
    row_offset: usize,
    low: Vec<u32>,
    r: Vec<Vec<u32>>,
    v: Vec<Vec<u32>>,
    rows: Vec<Vec<u32>>,
}

/// Where the rows of U come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UFrom {
    /// From the rows of V, by [`BlockReduction::u_row`]'s walk. V is kept for every column, so
    /// columns may be cleared.
    VRows,
    /// Straight from the reduction. With M = R·U and the non-zero columns of R independent
    /// (distinct lows), U[i, j] for i ≠ j is 1 exactly when R_i is added to column j: each owner
    /// is added at most once (the low strictly decreases), and a zero column of R has no
    /// off-diagonal entries in its row of U (those of V lie in rows of non-zero columns by the
    /// ELZ predicate, and so do those of V⁻¹). V is then needed only for the columns the moves
    /// read, and the many columns that reduce to zero carry none; no column may be cleared.
    Owners,
}

impl BlockReduction {
    /// A block with nothing reduced yet; `rows` is the range of row indices its columns use.
    pub(crate) fn new(columns: BlockColumns, rows: Range<usize>, u_from: UFrom) -> Result<Self> {
        let n = columns.block.len();
        Ok(BlockReduction {
            columns,
            u_from,
            reduced: 0,
            owner: try_filled(rows.len(), NONE, "pivot table")?,
            row_offset: rows.start,
            low: try_filled(n, NONE, "pivot lows")?,
            r: Vec::new(),
            v: Vec::new(),
            rows: Vec::new(),
        })
    }

    fn local(&self, j: usize) -> usize {
        debug_assert!(self.columns.block.contains(&j), "column {j} outside its block");
        j - self.columns.block.start
    }

    /// The number of reduced columns; the next one to reduce is `block.start + reduced()`.
    pub(crate) fn reduced(&self) -> usize {
        self.reduced
    }

    /// Reduce the columns up to matrix index `last` (inclusive).
    ///
    /// `cleared(j)` may give, for a column j known to reduce to zero, a cycle z of the matrix
    /// (M·z = 0) whose largest index is j: typically the reduced column of j's partner in the
    /// adjacent block (clearing, Chen and Kerber). Such a column is not reduced; its V is z with
    /// every off-diagonal entry at a zero column l removed by adding V_l, from the largest l
    /// down. The result is a cycle with largest index j and all other entries at non-zero
    /// columns, and only one such cycle exists (the non-zero columns of R are independent, so
    /// are those of M at the same indices), so it is the canonical V_j: reducing a zero column
    /// of a long coboundary, the most expensive step without clearing, is skipped exactly.
    ///
    /// With [`UFrom::Owners`], V is tracked only for the columns where `keep` holds, which must
    /// include every column that reduces to non-zero, and `cleared` must give `None`.
    pub(crate) fn ensure<'a>(
        &mut self,
        last: usize,
        cleared: &dyn Fn(usize) -> Option<&'a [u32]>,
        keep: &dyn Fn(usize) -> bool,
        interrupt: &Interrupt,
    ) -> Result<()> {
        let target = self.local(last) + 1;
        if target <= self.reduced {
            return Ok(());
        }
        let start = self.columns.block.start;
        let grow = target - self.reduced;
        try_reserve(&mut self.r, grow, "reduced matrix R")?;
        try_reserve(&mut self.v, grow, "matrix V")?;
        try_reserve(&mut self.rows, grow, "rows of V")?;
        let mut scratch = Vec::new();
        let mut work = Vec::new();
        for k in self.reduced..target {
            if k % INTERRUPT_STRIDE == 0 {
                interrupt.check()?;
            }
            let j = start + k;
            let (r_j, v_j) = match cleared(j) {
                Some(cycle) => (Vec::new(), self.restore(j, cycle, &mut scratch)),
                None => {
                    let track_v = self.u_from == UFrom::VRows || keep(j);
                    self.reduce_column(k, track_v, &mut work, &mut scratch)
                }
            };
            if self.u_from == UFrom::VRows {
                for &i in &v_j[..v_j.len() - 1] {
                    self.rows[i as usize - start].push(j as u32);
                }
            }
            self.r.push(r_j);
            self.v.push(v_j);
            self.rows.push(Vec::new());
        }
        self.reduced = target;
        Ok(())
    }

    /// Reduce local column k (all earlier columns are reduced) and return (R_k, V_k); V_k is
    /// empty unless `track_v`.
    ///
    /// `work` and `scratch` are reused buffers: most columns of a block reduce to zero, and
    /// those then allocate nothing; a non-zero R is copied out at its exact size.
    fn reduce_column(
        &mut self,
        k: usize,
        track_v: bool,
        work: &mut Vec<u32>,
        scratch: &mut Vec<u32>,
    ) -> (Vec<u32>, Vec<u32>) {
        let j = self.columns.block.start + k;
        let r_j = work;
        r_j.clear();
        r_j.extend_from_slice(self.columns.column(k));
        let mut v_j = if track_v { vec![j as u32] } else { Vec::new() };
        while let Some(&low) = r_j.last() {
            let i = self.owner[low as usize - self.row_offset];
            if i == NONE {
                self.owner[low as usize - self.row_offset] = k as u32;
                self.low[k] = low;
                debug_assert!(track_v, "column {j} is non-zero but its V is not tracked");
                return (r_j.to_vec(), v_j);
            }
            add_column(r_j, &self.r[i as usize], scratch);
            if track_v {
                add_column(&mut v_j, &self.v[i as usize], scratch);
            }
            if self.u_from == UFrom::Owners {
                self.rows[i as usize].push(j as u32);
            }
        }
        (Vec::new(), v_j)
    }

    /// The canonical V_j of a zero column j from any cycle with largest index j.
    fn restore(&self, j: usize, cycle: &[u32], scratch: &mut Vec<u32>) -> Vec<u32> {
        debug_assert_eq!(
            cycle.last().copied(),
            Some(j as u32),
            "a clearing cycle ends at its column"
        );
        let start = self.columns.block.start;
        let mut v_j = cycle.to_vec();
        // Entries above `pos` (from the end) are final: adding V_l only changes entries ≤ l.
        let mut pos = v_j.len() - 1;
        while pos > 0 {
            pos -= 1;
            let l = v_j[pos] as usize;
            if self.low[l - start] == NONE {
                add_column(&mut v_j, &self.v[l - start], scratch);
                // l is gone and the entries above it are unchanged: resume just below l.
                pos = v_j.partition_point(|&x| (x as usize) < l);
            }
        }
        v_j
    }

    /// low(R_j), or `None` for a zero column. Column j must be reduced.
    pub(crate) fn low(&self, j: usize) -> Option<u32> {
        let k = self.local(j);
        debug_assert!(k < self.reduced, "column {j} is not reduced yet");
        (self.low[k] != NONE).then_some(self.low[k])
    }

    /// Column j of R (ascending; empty for a zero column). Column j must be reduced.
    pub(crate) fn r_column(&self, j: usize) -> &[u32] {
        &self.r[self.local(j)]
    }

    /// Column j of V (ascending matrix indices, ending with j). Column j must be reduced.
    pub(crate) fn v_column(&self, j: usize) -> &[u32] {
        let k = self.local(j);
        debug_assert!(k < self.reduced, "column {j} is not reduced yet");
        &self.v[k]
    }

    /// Row i of U = V⁻¹ restricted to the columns i ..= `last` (ascending matrix indices; the
    /// first is i). The columns up to `last` must be reduced.
    ///
    /// U V = I gives, for j > i, U[i, j] = Σ_{i ≤ l < j} U[i, l] V[l, j] over Z/2. Walking j
    /// upwards, each member l of the row toggles the parity of every later column whose V holds
    /// l; a column is a member when its parity is odd once every smaller member has been seen.
    /// The walk touches only the rows of V of the members, not the whole block. With
    /// [`UFrom::Owners`] the row is read directly.
    pub(crate) fn u_row(&self, i: usize, last: usize) -> Vec<u32> {
        let start = self.columns.block.start;
        debug_assert!(self.local(last) < self.reduced, "columns up to {last} are not reduced");
        if self.u_from == UFrom::Owners {
            let row = &self.rows[i - start];
            let end = row.partition_point(|&j| j as usize <= last);
            return std::iter::once(i as u32).chain(row[..end].iter().copied()).collect();
        }
        let mut members = vec![i as u32];
        let mut pending: BinaryHeap<Reverse<u32>> = BinaryHeap::new();
        pending.extend(self.rows[i - start].iter().map(|&j| Reverse(j)));
        while let Some(Reverse(j)) = pending.pop() {
            if j as usize > last {
                break;
            }
            let mut parity = true;
            while pending.peek() == Some(&Reverse(j)) {
                pending.pop();
                parity = !parity;
            }
            if parity {
                members.push(j);
                pending.extend(self.rows[j as usize - start].iter().map(|&c| Reverse(c)));
            }
        }
        members
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
        for u_from in [UFrom::VRows, UFrom::Owners] {
            let mut b = BlockReduction::new(block_of(&d, 3..6), 0..3, u_from).unwrap();
            b.ensure(5, &|_| None, &|_| true, &Interrupt::never()).unwrap();
            for j in 3..6 {
                assert_eq!(b.v_column(j), full.v_column(j));
                assert_eq!(b.low(j), full.low(j));
            }
            // V_5 = {3, 4, 5}: U is V⁻¹, so U[3, :] = {3, 5} and U[4, :] = {4, 5}.
            assert_eq!(b.u_row(3, 5), vec![3, 5]);
            assert_eq!(b.u_row(4, 5), vec![4, 5]);
            assert_eq!(b.u_row(4, 4), vec![4]);
        }
    }
}
