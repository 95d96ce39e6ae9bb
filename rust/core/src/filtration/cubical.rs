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
    let data_shape = Shape::new(shape);
    let vertex_shape = match params.values_on {
        ValuesOn::Vertices => data_shape.clone(),
        ValuesOn::Cells => Shape::new(&shape.iter().map(|&n| n + 1).collect::<Vec<_>>()),
    };
    let geometry = Geometry::cubical(vertex_shape);
    let negate = params.negate;
    let values_on = params.values_on;
    grid::build(
        Kind::Cubical,
        negate,
        geometry,
        params.max_dim.min(shape.len()),
        data,
        |geometry, cell| {
            let mut buf = [0usize; 16];
            match values_on {
                ValuesOn::Vertices => {
                    let k = geometry.cell_vertices(cell, &mut buf)?;
                    Some(grid::extreme(data, &buf[..k], !negate))
                }
                ValuesOn::Cells => {
                    geometry.cell_vertices(cell, &mut buf)?;
                    let mut k = 0;
                    geometry.top_cubes(cell, &data_shape, |top| {
                        buf[k] = top;
                        k += 1;
                    });
                    Some(grid::extreme(data, &buf[..k], negate))
                }
            }
        },
        interrupt,
    )
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
