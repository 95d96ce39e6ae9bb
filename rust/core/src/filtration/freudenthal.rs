//! Freudenthal (Kuhn) triangulations of 1- to 4-D grids with lower-star values.
//!
//! Each unit cube is split into D! simplices along monotone lattice paths. A simplex is an
//! anchor vertex p plus a chain of offsets b1 ⊊ … ⊊ bk; its vertices are p, p + b1, …, p + bk.
//! The chains and their order are fixed tables (identical to Oineus's), so sids, pairs and
//! critical vertices match Oineus cell for cell. A simplex takes the maximum of its vertex values
//! (the minimum under `negate`); its critical vertex is the first one in pattern order (anchor
//! first) attaining it.
//!
//! Reference: Freudenthal, "Simplizialzerlegungen von beschränkter Flachheit" (1942); Kuhn,
//! "Some combinatorial lemmas in topology" (1960).

use crate::error::{Error, Result};
use crate::filtration::grid::{self, Geometry, Shape};
use crate::filtration::{Filtration, Kind};
use crate::interrupt::Interrupt;

/// Parameters of [`freudenthal_filtration`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FreudenthalParams {
    /// Take the minimum instead of the maximum, and order by decreasing value.
    pub negate: bool,
    /// Identify opposite faces of the grid (a torus); every axis must have length ≥ 3.
    pub wrap: bool,
    /// The largest simplex dimension built (clamped to the number of axes).
    pub max_dim: usize,
}

/// The chain tables, per number of axes D and dimension, written as in the specification: each
/// offset is a D-character string, axis 0 first.
const TABLE_1D: &[&[&str]] = &[&["1"]];
const TABLE_2D: &[&[&str]] = &[&["01", "11", "10"], &["10 11", "01 11"]];
const TABLE_3D: &[&[&str]] = &[
    &["010", "110", "011", "111", "001", "100", "101"],
    &[
        "001 011", "001 101", "100 101", "100 111", "010 110", "101 111", "011 111", "010 011", "001 111", "100 110",
        "010 111", "110 111",
    ],
    &[
        "001 011 111",
        "100 101 111",
        "010 110 111",
        "001 101 111",
        "100 110 111",
        "010 011 111",
    ],
];

/// An offset string (axis 0 first) as a bit mask with bit a = axis a.
fn parse_offset(s: &str) -> u8 {
    s.bytes()
        .enumerate()
        .filter(|&(_, c)| c == b'1')
        .fold(0, |acc, (a, _)| acc | (1 << a))
}

/// The chains of every dimension 0 … D for a D-dimensional grid.
fn chains(n_axes: usize) -> Vec<Vec<Vec<u8>>> {
    let mut out = vec![vec![Vec::new()]];
    let table = match n_axes {
        1 => TABLE_1D,
        2 => TABLE_2D,
        3 => TABLE_3D,
        _ => return chains_4d(),
    };
    for patterns in table {
        out.push(
            patterns
                .iter()
                .map(|p| p.split(' ').map(parse_offset).collect())
                .collect(),
        );
    }
    out
}

/// Four axes: every chain of non-zero 4-bit vectors strictly increasing as bit sets, in
/// lexicographic order of the tuple with each vector read as a binary number, axis 0 most
/// significant.
fn chains_4d() -> Vec<Vec<Vec<u8>>> {
    // Vectors as binary numbers (axis 0 = bit 3), converted to masks (axis 0 = bit 0) at the end.
    fn extend(chain: &mut Vec<u8>, len: usize, out: &mut Vec<Vec<u8>>) {
        if chain.len() == len {
            out.push(chain.clone());
            return;
        }
        for v in 1u8..16 {
            if chain.last().is_none_or(|&last| v != last && v & last == last) {
                chain.push(v);
                extend(chain, len, out);
                chain.pop();
            }
        }
    }
    let to_mask = |v: u8| {
        (0..4)
            .filter(|&a| (v >> (3 - a)) & 1 == 1)
            .fold(0u8, |acc, a| acc | (1 << a))
    };
    (0..=4)
        .map(|k| {
            let mut found = Vec::new();
            extend(&mut Vec::new(), k, &mut found);
            found
                .into_iter()
                .map(|c| c.into_iter().map(to_mask).collect())
                .collect()
        })
        .collect()
}

/// Build the Freudenthal filtration of the C-order array `data` of shape `shape`.
///
/// `fil.sources()[sid]` is the flat data index of the cell's critical vertex.
///
/// # Performance
/// Linear in the number of cells (about 6 per vertex in 2-D, 26 in 3-D): cell enumeration runs on
/// the current rayon pool, and each dimension is ordered by one counting sort over the ranks of
/// the data (sorted once).
///
/// # Errors
/// [`Error::ShapeMismatch`] or [`Error::NonFiniteValue`] for bad data,
/// [`Error::InvalidParameter`] for `wrap` with an axis shorter than 3, [`Error::TooLarge`] and
/// [`Error::Interrupted`] as usual.
///
/// # Examples
/// ```
/// use oineus_diff_core::filtration::freudenthal::{freudenthal_filtration, FreudenthalParams};
/// use oineus_diff_core::Interrupt;
/// let f = [0.0, 3.0, 1.0, 2.0, 0.5, 4.0];
/// let params = FreudenthalParams { negate: false, wrap: false, max_dim: 1 };
/// let fil = freudenthal_filtration(&f, &[6], &params, &Interrupt::never()).unwrap();
/// assert_eq!(fil.cell(6).unwrap(), vec![2, 3]);
/// assert_eq!(fil.values()[6], 2.0);
/// ```
pub fn freudenthal_filtration(
    data: &[f64],
    shape: &[usize],
    params: &FreudenthalParams,
    interrupt: &Interrupt,
) -> Result<Filtration> {
    grid::validate(data, shape)?;
    if params.wrap && shape.iter().any(|&n| n < 3) {
        return Err(Error::InvalidParameter {
            name: "wrap",
            reason: format!("wrap=True needs every axis to have length >= 3; got shape {shape:?}"),
        });
    }
    let geometry = Geometry::freudenthal(Shape::new(shape), params.wrap, chains(shape.len()));
    let take_max = !params.negate;
    grid::build(
        Kind::Freudenthal,
        params.negate,
        geometry,
        params.max_dim.min(shape.len()),
        data,
        |geometry, cell| {
            let mut buf = [0usize; 16];
            let k = geometry.cell_vertices(cell, &mut buf)?;
            Some(grid::extreme(data, &buf[..k], take_max))
        },
        interrupt,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_axis_tables_have_the_documented_sizes() {
        let c = chains_4d();
        let sizes: Vec<usize> = c.iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![1, 15, 50, 60, 24]);
        // First edge: the vector 0001 (axis 3), first triangle: (0001, 0011).
        assert_eq!(c[1][0], vec![0b1000]);
        assert_eq!(c[2][0], vec![0b1000, 0b1100]);
    }

    #[test]
    fn micro_example_order_matches_the_specification() {
        let f = [0.0, 3.0, 1.0, 2.0, 0.5, 4.0];
        let params = FreudenthalParams {
            negate: false,
            wrap: false,
            max_dim: 1,
        };
        let fil = freudenthal_filtration(&f, &[6], &params, &Interrupt::never()).unwrap();
        let cells: Vec<Vec<u32>> = (0..fil.size()).map(|s| fil.cell(s).unwrap()).collect();
        let expected: Vec<Vec<u32>> = vec![
            vec![0],
            vec![4],
            vec![2],
            vec![3],
            vec![1],
            vec![5],
            vec![2, 3],
            vec![3, 4],
            vec![0, 1],
            vec![1, 2],
            vec![4, 5],
        ];
        assert_eq!(cells, expected);
        assert_eq!(fil.sources(), &[0, 4, 2, 3, 1, 5, 3, 3, 1, 1, 5]);
    }

    #[test]
    fn cell_counts_match_the_specification() {
        let count = |shape: &[usize], wrap: bool| {
            let data = vec![0.0; shape.iter().product()];
            let params = FreudenthalParams {
                negate: false,
                wrap,
                max_dim: 4,
            };
            let fil = freudenthal_filtration(&data, shape, &params, &Interrupt::never()).unwrap();
            (0..=fil.max_dim()).map(|d| fil.dim_range(d).len()).collect::<Vec<_>>()
        };
        assert_eq!(count(&[4, 5], false), vec![20, 43, 24]);
        assert_eq!(count(&[3, 3], true), vec![9, 27, 18]);
        assert_eq!(count(&[3, 3, 3], false), vec![27, 98, 120, 48]);
        assert_eq!(count(&[3, 3, 3], true), vec![27, 189, 324, 162]);
        assert_eq!(count(&[2, 2, 2, 2], false), vec![16, 65, 110, 84, 24]);
    }
}
