//! The canonical serial reduction R = D·V without clearing (the ELZ form).

use crate::error::{try_filled, Result};
use crate::interrupt::Interrupt;
use crate::matrix::{add_column, ColumnMatrix};
use crate::reduction::NO_OWNER;

/// The output of the canonical reduction of a matrix M: R = M·V, V upper unitriangular.
///
/// For every column j (left to right), while R_j ≠ 0 and an earlier column i has
/// low(R_i) = low(R_j), column i was added to column j in both R and V. At most one earlier
/// column holds any pivot, so the result depends only on the column order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decomposition {
    r: Vec<Vec<u32>>,
    v: Vec<Vec<u32>>,
}

impl Decomposition {
    /// The matrix size.
    pub fn size(&self) -> usize {
        self.r.len()
    }

    /// Column j of R, ascending.
    pub fn r_column(&self, j: usize) -> &[u32] {
        &self.r[j]
    }

    /// Column j of V, ascending; it always contains j itself.
    pub fn v_column(&self, j: usize) -> &[u32] {
        &self.v[j]
    }

    /// low(R_j): the largest row index of column j, or `None` for a zero column.
    pub fn low(&self, j: usize) -> Option<u32> {
        self.r[j].last().copied()
    }

    /// The pairs (column, pivot row) of every non-zero column, ascending by column.
    pub fn pairs(&self) -> Vec<(u32, u32)> {
        (0..self.size())
            .filter_map(|j| self.low(j).map(|low| (j as u32, low)))
            .collect()
    }
}

/// Reduce `matrix` canonically, keeping R and V.
///
/// # Performance
/// O(N³) in the worst case and V is stored for every column; this is the reference reduction
/// and the form critical sets need, not the fast path for diagrams.
///
/// # Errors
/// [`crate::Error::TooLarge`] if the working arrays cannot be allocated,
/// [`crate::Error::Interrupted`] when cancelled.
///
/// # Examples
/// ```
/// use oineus_diff_core::{matrix::ColumnMatrix, reduction::reduce_canonical, Interrupt};
/// // Two vertices joined by two edges: the second edge is reduced by the first.
/// let d = ColumnMatrix::from_columns(4, 2..4, &[vec![0, 1], vec![0, 1]]);
/// let dec = reduce_canonical(&d, &Interrupt::never()).unwrap();
/// assert_eq!(dec.low(2), Some(1));
/// assert_eq!(dec.low(3), None);
/// assert_eq!(dec.v_column(3), &[2, 3]);
/// ```
pub fn reduce_canonical(matrix: &ColumnMatrix, interrupt: &Interrupt) -> Result<Decomposition> {
    let n = matrix.size();
    let mut owner = try_filled(n, NO_OWNER, "pivot table")?;
    let mut r: Vec<Vec<u32>> = Vec::with_capacity(n);
    let mut v: Vec<Vec<u32>> = Vec::with_capacity(n);
    let mut scratch = Vec::new();
    for j in 0..n {
        interrupt.check()?;
        let mut r_j = matrix.column(j).to_vec();
        let mut v_j = vec![j as u32];
        while let Some(&low) = r_j.last() {
            let i = owner[low as usize];
            if i == NO_OWNER {
                owner[low as usize] = j as u32;
                break;
            }
            add_column(&mut r_j, &r[i as usize], &mut scratch);
            add_column(&mut v_j, &v[i as usize], &mut scratch);
        }
        r.push(r_j);
        v.push(v_j);
    }
    Ok(Decomposition { r, v })
}
