//! Sparse square matrices over Z/2 stored by columns: the boundary matrix D and its
//! anti-transpose D⊥.
//!
//! A column is a strictly ascending list of row indices (`u32`). Only a contiguous range of
//! columns is stored; every column outside it is zero. Boundary matrices of truncated complexes
//! have long runs of zero columns (vertices in D, top-dimensional cells in D⊥), so this keeps the
//! offset array proportional to the columns that can be non-zero.

use std::ops::Range;

use rayon::prelude::*;

use crate::error::{try_filled, try_reserve, Result};
use crate::interrupt::Interrupt;

/// Builders poll the interrupt flag once per this many columns (well under a millisecond).
const INTERRUPT_STRIDE: usize = 4096;

/// Parallel builders hand out pieces of at least this many columns.
const PARALLEL_PIECE: usize = 65536;

/// A square Z/2 matrix of size `n × n`, stored by columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMatrix {
    n: usize,
    stored: Range<usize>,
    /// `offsets[j - stored.start] .. offsets[j - stored.start + 1]` delimits column j in `entries`.
    offsets: Vec<usize>,
    entries: Vec<u32>,
}

/// Anything that can list the facets of its cells by sid: the input of the matrix builders.
///
/// Implementors guarantee that every facet sid is smaller than the cell's own sid's dimension
/// block start (facets have one dimension less and dimension blocks are contiguous and
/// ascending), and that `facets` writes the sids in ascending order.
pub trait BoundaryOracle: Sync {
    /// The number of cells N.
    fn n_cells(&self) -> usize;
    /// The sids of the cells that can have a non-zero boundary (all cells of dimension ≥ 1).
    fn cells_with_facets(&self) -> Range<usize>;
    /// Overwrite `out` with the ascending sids of the facets of cell `sid`.
    fn facets(&self, sid: usize, out: &mut Vec<u32>);
}

impl ColumnMatrix {
    /// Build a matrix from explicit columns; `columns[k]` is column `stored.start + k`.
    ///
    /// # Panics
    /// If a column is not strictly ascending or has a row ≥ `n`, or `stored` exceeds `n`
    /// (internal invariants of the builders, never user input).
    pub fn from_columns(n: usize, stored: Range<usize>, columns: &[Vec<u32>]) -> Self {
        assert!(
            stored.end <= n && columns.len() == stored.len(),
            "stored range must fit n"
        );
        let mut offsets = Vec::with_capacity(columns.len() + 1);
        let mut entries = Vec::new();
        offsets.push(0);
        for col in columns {
            assert!(
                col.windows(2).all(|w| w[0] < w[1]) && col.iter().all(|&r| (r as usize) < n),
                "columns must be strictly ascending and in range"
            );
            entries.extend_from_slice(col);
            offsets.push(entries.len());
        }
        ColumnMatrix {
            n,
            stored,
            offsets,
            entries,
        }
    }

    /// The boundary matrix D of a filtration: column j lists the facets of cell j.
    ///
    /// # Errors
    /// [`crate::Error::TooLarge`] if the matrix cannot be allocated.
    pub fn boundary<B: BoundaryOracle + ?Sized>(complex: &B, interrupt: &Interrupt) -> Result<Self> {
        Self::boundary_of_columns(complex, complex.cells_with_facets(), interrupt)
    }

    /// The columns `columns` of the boundary matrix D; all others are zero. Reductions that
    /// handle some dimensions otherwise (H0 by union-find) skip building their columns.
    ///
    /// # Errors
    /// [`crate::Error::TooLarge`] if the matrix cannot be allocated.
    pub fn boundary_of_columns<B: BoundaryOracle + ?Sized>(
        complex: &B,
        columns: Range<usize>,
        interrupt: &Interrupt,
    ) -> Result<Self> {
        let n = complex.n_cells();
        let stored = columns.start.min(n)..columns.end.min(n).max(columns.start.min(n));
        let n_threads = rayon::current_num_threads();
        if n_threads > 1 && stored.len() >= 2 * PARALLEL_PIECE {
            return Self::boundary_in_pieces(complex, stored, n_threads, interrupt);
        }
        let mut offsets = Vec::new();
        try_reserve(&mut offsets, stored.len() + 1, "boundary matrix")?;
        offsets.push(0);
        let mut entries = Vec::new();
        let mut facets = Vec::new();
        for sid in stored.clone() {
            if sid % INTERRUPT_STRIDE == 0 {
                interrupt.check()?;
            }
            complex.facets(sid, &mut facets);
            try_reserve(&mut entries, facets.len(), "boundary matrix")?;
            entries.extend_from_slice(&facets);
            offsets.push(entries.len());
        }
        Ok(ColumnMatrix {
            n,
            stored,
            offsets,
            entries,
        })
    }

    /// The columns `stored` of D, built in contiguous pieces on the current rayon pool and then
    /// joined in order: the same matrix as the serial loop. Each piece is freed once copied, so
    /// the resident peak is the matrix plus about one piece.
    fn boundary_in_pieces<B: BoundaryOracle + ?Sized>(
        complex: &B,
        stored: Range<usize>,
        n_threads: usize,
        interrupt: &Interrupt,
    ) -> Result<Self> {
        let n_pieces = (4 * n_threads).min(stored.len() / PARALLEL_PIECE).max(1);
        let pieces: Vec<(Vec<usize>, Vec<u32>)> = (0..n_pieces)
            .into_par_iter()
            .map(|p| {
                let cols =
                    (stored.start + stored.len() * p / n_pieces)..(stored.start + stored.len() * (p + 1) / n_pieces);
                let mut ends = Vec::new();
                try_reserve(&mut ends, cols.len(), "boundary matrix")?;
                let mut entries = Vec::new();
                let mut facets = Vec::new();
                for sid in cols {
                    if sid % INTERRUPT_STRIDE == 0 {
                        interrupt.check()?;
                    }
                    complex.facets(sid, &mut facets);
                    try_reserve(&mut entries, facets.len(), "boundary matrix")?;
                    entries.extend_from_slice(&facets);
                    ends.push(entries.len());
                }
                Ok((ends, entries))
            })
            .collect::<Result<_>>()?;
        let total: usize = pieces.iter().map(|(_, e)| e.len()).sum();
        let mut offsets = Vec::new();
        try_reserve(&mut offsets, stored.len() + 1, "boundary matrix")?;
        offsets.push(0);
        let mut entries = Vec::new();
        try_reserve(&mut entries, total, "boundary matrix")?;
        for (ends, piece) in pieces {
            let base = entries.len();
            offsets.extend(ends.iter().map(|&e| base + e));
            entries.extend_from_slice(&piece);
        }
        Ok(ColumnMatrix {
            n: complex.n_cells(),
            stored,
            offsets,
            entries,
        })
    }

    /// The anti-transpose D⊥ of the boundary matrix, built without materialising D.
    ///
    /// Index m(σ) = N − 1 − sid(σ): column m(σ) lists m(τ) for every cofacet τ of σ. Reducing D⊥
    /// left to right is persistent cohomology, and yields the same pairs as reducing D.
    ///
    /// # Errors
    /// [`crate::Error::TooLarge`] if the matrix cannot be allocated.
    pub fn coboundary_anti_transposed<B: BoundaryOracle + ?Sized>(complex: &B, interrupt: &Interrupt) -> Result<Self> {
        Self::coboundary_anti_transposed_of(complex, 0..complex.n_cells(), interrupt)
    }

    /// [`ColumnMatrix::coboundary_anti_transposed`] restricted to the columns of the cells with
    /// sids in `cells`; the columns of other cells are zero.
    ///
    /// # Errors
    /// [`crate::Error::TooLarge`] if the matrix cannot be allocated.
    pub fn coboundary_anti_transposed_of<B: BoundaryOracle + ?Sized>(
        complex: &B,
        cells: Range<usize>,
        interrupt: &Interrupt,
    ) -> Result<Self> {
        let n = complex.n_cells();
        let with_facets = complex.cells_with_facets();
        if with_facets.is_empty() {
            return Ok(ColumnMatrix {
                n,
                stored: 0..0,
                offsets: vec![0],
                entries: Vec::new(),
            });
        }
        // Facets of cells in `with_facets` all lie below its end; which cells have cofacets is
        // known only after one pass, so the first pass counts and finds the range.
        let mut counts = try_filled(with_facets.end, 0usize, "coboundary matrix")?;
        let mut facets = Vec::new();
        for sid in with_facets.clone() {
            if sid % INTERRUPT_STRIDE == 0 {
                interrupt.check()?;
            }
            complex.facets(sid, &mut facets);
            for &f in &facets {
                if cells.contains(&(f as usize)) {
                    counts[f as usize] += 1;
                }
            }
        }
        let lowest = counts.iter().position(|&c| c > 0).unwrap_or(0);
        let highest = counts.iter().rposition(|&c| c > 0).unwrap_or(0);
        // Column m(σ) for σ in lowest..=highest: m ranges over n-1-highest ..= n-1-lowest.
        let stored = (n - 1 - highest)..(n - lowest);
        let mut offsets = try_filled(stored.len() + 1, 0usize, "coboundary matrix")?;
        for (k, m) in stored.clone().enumerate() {
            offsets[k + 1] = offsets[k] + counts[n - 1 - m];
        }
        let mut entries = try_filled(offsets[stored.len()], 0u32, "coboundary matrix")?;
        let mut cursor: Vec<usize> = offsets[..stored.len()].to_vec();
        // Visiting τ by descending sid writes rows m(τ) in ascending order within each column.
        for tau in with_facets.rev() {
            if tau % INTERRUPT_STRIDE == 0 {
                interrupt.check()?;
            }
            complex.facets(tau, &mut facets);
            let row = (n - 1 - tau) as u32;
            for &f in facets.iter().filter(|&&f| cells.contains(&(f as usize))) {
                let k = n - 1 - f as usize - stored.start;
                entries[cursor[k]] = row;
                cursor[k] += 1;
            }
        }
        Ok(ColumnMatrix {
            n,
            stored,
            offsets,
            entries,
        })
    }

    /// The matrix size n (rows = columns).
    pub fn size(&self) -> usize {
        self.n
    }

    /// The range of columns that are stored; all others are zero.
    pub fn stored_columns(&self) -> Range<usize> {
        self.stored.clone()
    }

    /// The number of non-zero entries.
    pub fn n_entries(&self) -> usize {
        self.entries.len()
    }

    /// Column j as an ascending slice of row indices.
    ///
    /// # Panics
    /// If `j >= size()`.
    pub fn column(&self, j: usize) -> &[u32] {
        assert!(j < self.n, "column index {j} out of range for size {}", self.n);
        if !self.stored.contains(&j) {
            return &[];
        }
        let k = j - self.stored.start;
        &self.entries[self.offsets[k]..self.offsets[k + 1]]
    }

    /// The anti-transpose of this matrix: entry (r, c) moves to (n − 1 − c, n − 1 − r).
    pub fn anti_transpose(&self) -> Self {
        let n = self.n;
        let mut columns: Vec<Vec<u32>> = vec![Vec::new(); n];
        for c in (0..n).rev() {
            for &r in self.column(c) {
                columns[n - 1 - r as usize].push((n - 1 - c) as u32);
            }
        }
        let first = columns.iter().position(|c| !c.is_empty()).unwrap_or(0);
        let last = columns.iter().rposition(|c| !c.is_empty()).map_or(first, |l| l + 1);
        ColumnMatrix::from_columns(n, first..last, &columns[first..last])
    }
}

/// Add (over Z/2) the ascending column `source` to the ascending column `target`, using
/// `scratch` as the output buffer; afterwards `target` holds the symmetric difference.
pub(crate) fn add_column(target: &mut Vec<u32>, source: &[u32], scratch: &mut Vec<u32>) {
    scratch.clear();
    scratch.reserve(target.len() + source.len());
    let (mut i, mut j) = (0, 0);
    while i < target.len() && j < source.len() {
        let (a, b) = (target[i], source[j]);
        if a < b {
            scratch.push(a);
            i += 1;
        } else if b < a {
            scratch.push(b);
            j += 1;
        } else {
            i += 1;
            j += 1;
        }
    }
    scratch.extend_from_slice(&target[i..]);
    scratch.extend_from_slice(&source[j..]);
    std::mem::swap(target, scratch);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_column_is_symmetric_difference() {
        let mut t = vec![1, 3, 5, 7];
        let mut s = Vec::new();
        add_column(&mut t, &[2, 3, 7, 9], &mut s);
        assert_eq!(t, vec![1, 2, 5, 9]);
    }

    #[test]
    fn anti_transpose_of_triangle_boundary() {
        // Cells 0,1,2 vertices; 3 = (0,1), 4 = (0,2), 5 = (1,2), 6 = triangle.
        let cols = vec![vec![0, 1], vec![0, 2], vec![1, 2], vec![3, 4, 5]];
        let d = ColumnMatrix::from_columns(7, 3..7, &cols);
        let dt = d.anti_transpose();
        // Vertex 0 (m = 6) has cofacets 3, 4 -> rows m = 3, 2.
        assert_eq!(dt.column(6), &[2, 3]);
        // Edge 3 (m = 3) has cofacet 6 -> row 0.
        assert_eq!(dt.column(3), &[0]);
        assert_eq!(dt.column(0), &[] as &[u32]);
        assert_eq!(dt.anti_transpose(), d);
    }
}
