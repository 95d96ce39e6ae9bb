//! The canonical (ELZ) reduction of one dimension block, computed lazily left to right, with the
//! columns of V and the rows of V that the critical-set moves read, and rows of U = V⁻¹ solved
//! on demand.
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

/// Poll the interrupt flag once per this many columns or heap pops.
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
/// Invariants: the columns `block.start .. block.start + reduced` are reduced exactly as the
/// serial left-to-right algorithm without clearing reduces them. R is kept for non-zero columns
/// only (the owners of pivots); V is kept for the columns `keep` selects; the rows of V
/// (`rows[i]`: the columns j > i whose V holds i, ascending) are kept for every reduced column.
#[derive(Debug, Clone)]
pub(crate) struct BlockReduction {
    columns: BlockColumns,
    reduced: usize,
    /// Per row index (matrix index − `row_offset`), the local column owning it as a pivot.
    owner: Vec<u32>,
    row_offset: usize,
    low: Vec<u32>,
    r: Vec<Vec<u32>>,
    v: Vec<Vec<u32>>,
    rows: Vec<Vec<u32>>,
}

impl BlockReduction {
    /// A block with nothing reduced yet; `rows` is the range of row indices its columns use.
    pub(crate) fn new(columns: BlockColumns, rows: Range<usize>) -> Result<Self> {
        let n = columns.block.len();
        Ok(BlockReduction {
            columns,
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

    /// Reduce the columns up to matrix index `last` (inclusive), keeping V of the columns for
    /// which `keep(j)` holds.
    pub(crate) fn ensure(&mut self, last: usize, keep: &dyn Fn(usize) -> bool, interrupt: &Interrupt) -> Result<()> {
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
        for k in self.reduced..target {
            if k % INTERRUPT_STRIDE == 0 {
                interrupt.check()?;
            }
            let j = start + k;
            let mut r_j = self.columns.column(k).to_vec();
            let mut v_j = vec![j as u32];
            while let Some(&low) = r_j.last() {
                let i = self.owner[low as usize - self.row_offset];
                if i == NONE {
                    self.owner[low as usize - self.row_offset] = k as u32;
                    self.low[k] = low;
                    break;
                }
                add_column(&mut r_j, &self.r[i as usize], &mut scratch);
                add_column(&mut v_j, &self.v[i as usize], &mut scratch);
            }
            for &i in &v_j[..v_j.len() - 1] {
                self.rows[i as usize - start].push(j as u32);
            }
            if r_j.is_empty() {
                r_j = Vec::new();
            }
            if !keep(j) && r_j.is_empty() {
                v_j = Vec::new();
            }
            self.r.push(r_j);
            self.v.push(v_j);
            self.rows.push(Vec::new());
        }
        self.reduced = target;
        Ok(())
    }

    /// low(R_j), or `None` for a zero column. Column j must be reduced.
    pub(crate) fn low(&self, j: usize) -> Option<u32> {
        let k = self.local(j);
        debug_assert!(k < self.reduced, "column {j} is not reduced yet");
        (self.low[k] != NONE).then_some(self.low[k])
    }

    /// Column j of V (ascending matrix indices, ending with j). Column j must be reduced and kept.
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
    /// The walk touches only the rows of V of the members, not the whole block.
    pub(crate) fn u_row(&self, i: usize, last: usize, interrupt: &Interrupt) -> Result<Vec<u32>> {
        let start = self.columns.block.start;
        debug_assert!(self.local(last) < self.reduced, "columns up to {last} are not reduced");
        let mut members = vec![i as u32];
        let mut pending: BinaryHeap<Reverse<u32>> = BinaryHeap::new();
        pending.extend(self.rows[i - start].iter().map(|&j| Reverse(j)));
        let mut pops = 0usize;
        while let Some(Reverse(j)) = pending.pop() {
            if j as usize > last {
                break;
            }
            let mut parity = true;
            while pending.peek() == Some(&Reverse(j)) {
                pending.pop();
                parity = !parity;
            }
            pops += 1;
            if pops % INTERRUPT_STRIDE == 0 {
                interrupt.check()?;
            }
            if parity {
                members.push(j);
                pending.extend(self.rows[j as usize - start].iter().map(|&c| Reverse(c)));
            }
        }
        Ok(members)
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
        let mut b = BlockReduction::new(block_of(&d, 3..6), 0..3).unwrap();
        b.ensure(5, &|_| true, &Interrupt::never()).unwrap();
        for j in 3..6 {
            assert_eq!(b.v_column(j), full.v_column(j));
            assert_eq!(b.low(j), full.low(j));
        }
        // V_5 = {3, 4, 5}: U is V⁻¹, so U[3, :] = {3, 5} and U[4, :] = {4, 5}.
        assert_eq!(b.u_row(3, 5, &Interrupt::never()).unwrap(), vec![3, 5]);
        assert_eq!(b.u_row(4, 5, &Interrupt::never()).unwrap(), vec![4, 5]);
        assert_eq!(b.u_row(4, 4, &Interrupt::never()).unwrap(), vec![4]);
    }
}
