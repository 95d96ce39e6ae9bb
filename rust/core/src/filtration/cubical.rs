//! Cubical complexes of 1- to 4-D grids, with values on vertices or on top cells.
//!
//! A cube is an anchor vertex plus face bits (bit a: the cube extends one step along axis a).
//! With values on vertices (the V-construction) a cube takes the maximum of its vertex values
//! (minimum under `negate`); with values on cells (the T-construction) the data are the top
//! cubes, on a vertex grid one larger on every axis, and a lower cube takes the minimum (maximum
//! under `negate`) over the top cubes that contain it. Emission order: anchors in C order, then
//! face bits as an integer, so sids match Oineus's.
//!
//! Reference: Kaczynski, Mischaikow and Mrozek, "Computational Homology" (2004).

use crate::error::Result;
use crate::filtration::grid::{self, Geometry, Shape};
use crate::filtration::{Filtration, Kind};
use crate::interrupt::Interrupt;

/// Where the data live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValuesOn {
    /// Data entries are vertices (V-construction).
    Vertices,
    /// Data entries are top-dimensional cubes (T-construction).
    Cells,
}

/// Parameters of [`cube_filtration`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CubeParams {
    /// Reverse the order and the extremes (see the module documentation).
    pub negate: bool,
    /// The largest cube dimension built (clamped to the number of axes).
    pub max_dim: usize,
    /// Where the data live.
    pub values_on: ValuesOn,
}

/// Build the cubical filtration of the C-order array `data` of shape `shape`.
///
/// `fil.sources()[sid]` is the flat data index the cell's value is read from.
///
/// # Errors
/// [`crate::Error::ShapeMismatch`] or [`crate::Error::NonFiniteValue`] for bad data,
/// [`crate::Error::TooLarge`] and [`crate::Error::Interrupted`] as usual.
///
/// # Examples
/// ```
/// use oineus_diff_core::filtration::cubical::{cube_filtration, CubeParams, ValuesOn};
/// use oineus_diff_core::Interrupt;
/// let params = CubeParams { negate: false, max_dim: 2, values_on: ValuesOn::Cells };
/// let fil = cube_filtration(&[1.0, 2.0, 3.0, 4.0], &[2, 2], &params, &Interrupt::never()).unwrap();
/// // A 3 x 3 vertex grid: 9 vertices, 12 edges, 4 squares.
/// assert_eq!(fil.size(), 25);
/// ```
pub fn cube_filtration(
    data: &[f64],
    shape: &[usize],
    params: &CubeParams,
    interrupt: &Interrupt,
) -> Result<Filtration> {
    grid::validate(data, shape)?;
    let vertex_shape = match params.values_on {
        ValuesOn::Vertices => Shape::new(shape),
        ValuesOn::Cells => Shape::new(&shape.iter().map(|&n| n + 1).collect::<Vec<_>>()),
    };
    let sources = cube_sources(data, shape, params.values_on, params.negate);
    interrupt.check()?;
    let geometry = Geometry::cubical(vertex_shape);
    grid::build(
        Kind::Cubical,
        params.negate,
        geometry,
        params.max_dim.min(shape.len()),
        data,
        |geometry, cell| {
            let source = sources[geometry.cube_mask(cell.dim, cell.pattern) as usize][cell.anchor];
            (source != ABSENT).then_some(source)
        },
        interrupt,
    )
}

/// For every face-bit mask and anchor of the vertex grid, the data index of the cube's value,
/// or `ABSENT` where the cube does not fit in the grid.
fn cube_sources(data: &[f64], shape: &[usize], values_on: ValuesOn, negate: bool) -> Vec<Vec<u32>> {
    let data_shape = Shape::new(shape);
    match values_on {
        ValuesOn::Vertices => vertex_sources(data, &data_shape, !negate),
        ValuesOn::Cells => {
            let vertex_shape = Shape::new(&shape.iter().map(|&n| n + 1).collect::<Vec<_>>());
            cell_sources(data, &data_shape, &vertex_shape, negate)
        }
    }
}

/// Marks an absent cube (or an invalid candidate) in the source tables.
const ABSENT: u32 = u32::MAX;

/// Whether data value `a` beats `b` for the extreme in use; ties keep `b`, the earlier one.
fn beats(data: &[f64], a: u32, b: u32, take_max: bool) -> bool {
    if b == ABSENT {
        return a != ABSENT;
    }
    if a == ABSENT {
        return false;
    }
    let (va, vb) = (data[a as usize], data[b as usize]);
    if take_max {
        va > vb
    } else {
        va < vb
    }
}

/// Call `f(x, c)` for every index x of `grid` in order, c being x's coordinate along `axis`,
/// without a division per index.
fn for_each_along(grid: &Shape, axis: usize, mut f: impl FnMut(usize, usize)) {
    let (stride, len) = (grid.strides[axis], grid.dims[axis]);
    let mut x = 0;
    while x < grid.n {
        for c in 0..len {
            for _ in 0..stride {
                f(x, c);
                x += 1;
            }
        }
    }
}

/// For every face-bit mask and anchor of the vertex grid, the source of the cube's value under
/// the V-construction (the first vertex in enumeration order attaining the extreme), or
/// `ABSENT`.
///
/// The vertices of a cube are enumerated by m = 0 … 2^k − 1, bit i of m stepping along the i-th
/// set axis. The first extreme in that order is found axis by axis: the mask without its highest
/// axis a gives the best vertex of each half (m without its top bit), and the two halves x and
/// x + e_a are compared with ties going to x. One pass per mask, no per-cube enumeration.
fn vertex_sources(data: &[f64], grid: &Shape, take_max: bool) -> Vec<Vec<u32>> {
    let n_masks = 1usize << grid.n_axes();
    let mut sources: Vec<Vec<u32>> = Vec::with_capacity(n_masks);
    sources.push((0..grid.n as u32).collect());
    for mask in 1..n_masks {
        let top = usize::BITS - 1 - mask.leading_zeros();
        let (axis, stride, len) = (top as usize, grid.strides[top as usize], grid.dims[top as usize]);
        let lower = &sources[mask ^ (1 << top)];
        let mut table = Vec::with_capacity(grid.n);
        for_each_along(grid, axis, |x, c| {
            table.push(if c + 1 >= len {
                ABSENT
            } else {
                let (near, far) = (lower[x], lower[x + stride]);
                if near == ABSENT || !beats(data, far, near, take_max) {
                    near
                } else {
                    far
                }
            });
        });
        debug_assert!(axis < grid.n_axes());
        sources.push(table);
    }
    sources
}

/// For every face-bit mask and anchor of the vertex grid (the data shape plus one), the data
/// index of the cube's value under the T-construction (the first containing top cube in
/// enumeration order attaining the extreme: the minimum, or the maximum under `negate`), or
/// `ABSENT`.
///
/// The containing top cubes are anchored at x − Σ e_c over subsets s of the missing axes c_0 <
/// c_1 < …, in increasing s. Adding the highest missing axis c to the mask gives the best top
/// cube of each half, at x and at x − e_c, compared with ties going to x. Masks are processed
/// from the full one down, one pass each.
fn cell_sources(data: &[f64], data_shape: &Shape, grid: &Shape, negate: bool) -> Vec<Vec<u32>> {
    let n_axes = grid.n_axes();
    let n_masks = 1usize << n_axes;
    let full = n_masks - 1;
    let mut sources: Vec<Vec<u32>> = vec![Vec::new(); n_masks];
    // Top cube i of the data sits at the vertex with the same coordinates.
    let mut top_cubes = vec![ABSENT; grid.n];
    let mut coords = vec![0usize; n_axes];
    for i in 0..data_shape.n {
        let x: usize = coords.iter().zip(&grid.strides).map(|(c, s)| c * s).sum();
        top_cubes[x] = i as u32;
        for a in (0..n_axes).rev() {
            coords[a] += 1;
            if coords[a] < data_shape.dims[a] {
                break;
            }
            coords[a] = 0;
        }
    }
    sources[full] = top_cubes;
    for mask in (0..full).rev() {
        let missing = full ^ mask;
        let top = (usize::BITS - 1 - missing.leading_zeros()) as usize;
        let stride = grid.strides[top];
        let upper = &sources[mask | (1 << top)];
        let mut table = Vec::with_capacity(grid.n);
        for_each_along(grid, top, |x, c| {
            let here = upper[x];
            let before = if c >= 1 { upper[x - stride] } else { ABSENT };
            table.push(if beats(data, before, here, negate) {
                before
            } else {
                here
            });
        });
        sources[mask] = table;
    }
    sources
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(shape: &[usize], values_on: ValuesOn) -> Vec<usize> {
        let data = vec![0.0; shape.iter().product()];
        let params = CubeParams {
            negate: false,
            max_dim: 4,
            values_on,
        };
        let fil = cube_filtration(&data, shape, &params, &Interrupt::never()).unwrap();
        (0..=fil.max_dim()).map(|d| fil.dim_range(d).len()).collect()
    }

    #[test]
    fn cell_counts_match_the_specification() {
        assert_eq!(counts(&[5], ValuesOn::Cells), vec![6, 5]);
        assert_eq!(counts(&[2, 2], ValuesOn::Vertices), vec![4, 4, 1]);
        assert_eq!(counts(&[3, 4, 3], ValuesOn::Vertices), vec![36, 75, 52, 12]);
        assert_eq!(counts(&[3, 4, 3], ValuesOn::Cells), vec![80, 184, 141, 36]);
        assert_eq!(counts(&[2, 2, 2, 2], ValuesOn::Vertices), vec![16, 32, 24, 8, 1]);
    }

    #[test]
    fn cells_take_the_minimum_of_their_top_cubes() {
        let params = CubeParams {
            negate: false,
            max_dim: 1,
            values_on: ValuesOn::Cells,
        };
        let fil = cube_filtration(&[2.0, 1.0, 3.0], &[3], &params, &Interrupt::never()).unwrap();
        // Vertices 0..4: values 2, 1, 1, 3 (min of the adjacent intervals); sorted by value.
        assert_eq!(&fil.values()[..4], &[1.0, 1.0, 2.0, 3.0]);
        assert_eq!(fil.cell(0).unwrap(), vec![1]);
        assert_eq!(fil.sources()[0], 1);
    }
}
