//! Diagrams of a 2-D cubical filtration by two union-finds, without building the filtration.
//!
//! On a 2-D grid every pair is found by a union-find: H0 by Kruskal's sweep over the edges in
//! filtration order, H1 by the dual sweep of Alexander duality over the edges in reverse order
//! (the squares and the outside are the dual vertices), as [`super::h0_pairs`] and
//! [`super::top_pairs_by_duality`] do on a built filtration. Both sweeps need only the edges in filtration order; vertices and squares are
//! compared where two components meet, by their order keys. So the cells are never listed,
//! sorted or given sids: the edges are counting-sorted by the rank of their value among the
//! data, and each diagram point is reported as the data entries its birth and death values are
//! read from (the cells' sources, as `fil.sources()` gives them).
//!
//! The pairs, and the rows with their order, are those of
//! [`crate::diagram::persistence`] on [`cube_filtration`](crate::filtration::cubical::cube_filtration)
//! mapped through the sources; the tests check this cell for cell against the built filtration.
//!
//! Time: one sort of the data (radix), linear passes over the 4 source tables and the edges,
//! and the two sweeps, O(n α(n)) in the number n of cells. Memory: the source tables (4 bytes
//! per anchor and face mask), a rank per data entry, the sorted edges and two forests, about
//! 40 bytes per vertex of the grid.

use crate::diagram::ESSENTIAL;
use crate::error::{try_filled, Result};
use crate::filtration::cubical::{CubeParams, ValuesOn};
use crate::filtration::grid;
use crate::interrupt::Interrupt;

/// Diagram rows as [birth source, death source]: flat data indices whose values are the birth
/// and death values ([`ESSENTIAL`] for the death of an essential class). One list per dimension
/// 0 … `max_dim` − 1, rows ordered by birth sid, as in [`crate::diagram::IndexDiagrams`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SourceDiagrams {
    /// Rows of dimension d at index d.
    pub dims: Vec<Vec<[i64; 2]>>,
}

/// The diagrams of the cubical filtration of a 2-D array, or `None` when the grid is not one
/// this path handles (not 2-D, or a vertex grid with an axis of length 1): the caller builds the
/// filtration instead.
///
/// # Errors
/// As [`cube_filtration`](crate::filtration::cubical::cube_filtration) for bad data,
/// [`crate::Error::TooLarge`] if a table cannot be allocated, [`crate::Error::Interrupted`]
/// when cancelled.
///
/// # Examples
/// ```
/// use oineus_diff_core::filtration::cubical::{CubeParams, ValuesOn};
/// use oineus_diff_core::reduction::planar_cubical::cube_persistence_2d;
/// use oineus_diff_core::Interrupt;
/// // Two low cells joined through a high one: one H0 point, born at entry 2 (value 1) and dying
/// // at entry 1 (value 5), where the two components meet.
/// let params = CubeParams { negate: false, max_dim: 2, values_on: ValuesOn::Cells };
/// let data = [0.0, 5.0, 1.0];
/// let dgms = cube_persistence_2d(&data, &[1, 3], &params, false, &Interrupt::never()).unwrap().unwrap();
/// assert_eq!(dgms.dims[0], vec![[2, 1]]);
/// assert!(dgms.dims[1].is_empty());
/// ```
pub fn cube_persistence_2d(
    data: &[f64],
    shape: &[usize],
    params: &CubeParams,
    include_essential: bool,
    interrupt: &Interrupt,
) -> Result<Option<SourceDiagrams>> {
    grid::validate(data, shape)?;
    if shape.len() != 2 {
        return Ok(None);
    }
    let (rows, cols) = match params.values_on {
        ValuesOn::Vertices => (shape[0], shape[1]),
        ValuesOn::Cells => (shape[0] + 1, shape[1] + 1),
    };
    if rows < 2 || cols < 2 {
        return Ok(None);
    }
    let max_dim = params.max_dim.min(2);
    if max_dim == 0 {
        return Ok(Some(SourceDiagrams::default()));
    }
    let rank = grid::DataOrder::new(data, params.negate).dense_ranks()?;
    interrupt.check()?;
    let grid = Grid::new(rows, cols, params.values_on, &rank)?;
    interrupt.check()?;
    let edges = SortedEdges::new(&grid, interrupt)?;
    let mut dims = vec![h0_rows(&grid, &edges, include_essential, interrupt)?];
    if max_dim == 2 {
        dims.push(h1_rows(&grid, &edges, interrupt)?);
    }
    Ok(Some(SourceDiagrams { dims }))
}

/// A rank no cell has: the padding around the grid.
const PAD: u32 = u32::MAX;

/// Edges swept between two checks for cancellation.
const INTERRUPT_STRIDE: usize = 1 << 16;

/// The grid with the rank of every vertex and square, laid out with one row and one column of
/// padding so that neighbours are found by adding offsets, without a division or a bounds test.
///
/// Vertex (i, j) of the `rows` × `cols` vertex grid sits at `i · width + j` with `width = cols +
/// 1`. Square (i, j), anchored at vertex (i, j), sits at `(i + 1) · width + j + 1` in a table of
/// `rows + 1` rows whose first and last rows and columns are padding. Edge `2q` goes from vertex
/// q along the rows (to q + width), edge `2q + 1` along the columns (to q + 1); codes ascend in
/// emission order.
struct Grid<'a> {
    rows: usize,
    cols: usize,
    width: usize,
    values_on: ValuesOn,
    /// Rank of each data entry's value.
    rank: &'a [u32],
    /// Rank of each vertex's value, `PAD` in the padding column.
    vertex_rank: Vec<u32>,
    /// Rank of each square's value, `PAD` in the padding.
    square_rank: Vec<u32>,
}

impl<'a> Grid<'a> {
    fn new(rows: usize, cols: usize, values_on: ValuesOn, rank: &'a [u32]) -> Result<Self> {
        let width = cols + 1;
        let mut vertex_rank = try_filled(rows * width, PAD, "grid ranks")?;
        // One more padding entry: the squares beside the last padding vertex's edges.
        let mut square_rank = try_filled((rows + 1) * width + 1, PAD, "grid ranks")?;
        match values_on {
            // Squares are the data; a vertex takes the least rank of the squares around it.
            ValuesOn::Cells => {
                for i in 0..rows - 1 {
                    let (from, to) = ((i + 1) * width + 1, i * (cols - 1));
                    square_rank[from..from + cols - 1].copy_from_slice(&rank[to..to + cols - 1]);
                }
                // The squares around vertex q = (i, j) are those anchored at (i − 1, j − 1), (i −
                // 1, j), (i, j − 1) and (i, j): q, q + 1, q + width and q + width + 1.
                for i in 0..rows {
                    for q in i * width..i * width + cols {
                        let s = &square_rank[q..];
                        vertex_rank[q] = s[0].min(s[1]).min(s[width]).min(s[width + 1]);
                    }
                }
            }
            // Vertices are the data; a square takes the greatest rank of its corners.
            ValuesOn::Vertices => {
                for i in 0..rows {
                    vertex_rank[i * width..i * width + cols].copy_from_slice(&rank[i * cols..(i + 1) * cols]);
                }
                for i in 0..rows - 1 {
                    for j in 0..cols - 1 {
                        let q = i * width + j;
                        let v = &vertex_rank[q..];
                        square_rank[q + width + 1] = v[0].max(v[1]).max(v[width]).max(v[width + 1]);
                    }
                }
            }
        }
        Ok(Grid {
            rows,
            cols,
            width,
            values_on,
            rank,
            vertex_rank,
            square_rank,
        })
    }

    /// The number of edge codes (some absent: those leaving the grid).
    fn n_codes(&self) -> usize {
        2 * self.rows * self.width
    }

    /// The rank of edge `code`, `PAD` if it leaves the grid.
    #[inline]
    fn edge_rank(&self, code: usize) -> u32 {
        let q = code >> 1;
        let step = if code & 1 == 0 { self.width } else { 1 };
        match self.values_on {
            ValuesOn::Cells => {
                // The squares on its two sides (see edge_squares).
                let (a, b) = if code & 1 == 0 {
                    (q + self.width, q + self.width + 1)
                } else {
                    (q + 1, q + self.width + 1)
                };
                self.square_rank[a].min(self.square_rank[b])
            }
            ValuesOn::Vertices => {
                let far = q + step;
                if far >= self.vertex_rank.len() || self.vertex_rank[far] == PAD {
                    PAD
                } else {
                    self.vertex_rank[q].max(self.vertex_rank[far])
                }
            }
        }
    }

    /// The two vertices of edge `code`.
    #[inline]
    fn edge_vertices(&self, code: u32) -> (u32, u32) {
        let q = code >> 1;
        let step = if code & 1 == 0 { self.width as u32 } else { 1 };
        (q, q + step)
    }

    /// The squares on the two sides of edge `code` (padding where it is on the boundary).
    #[inline]
    fn edge_squares(&self, code: u32) -> (u32, u32) {
        let (q, w) = (code >> 1, self.width as u32);
        if code & 1 == 0 {
            // From (i, j) to (i + 1, j): squares (i, j − 1) and (i, j).
            (q + w, q + w + 1)
        } else {
            // From (i, j) to (i, j + 1): squares (i − 1, j) and (i, j).
            (q + 1, q + w + 1)
        }
    }

    /// The data index of the vertex grid's point (i, j) under values on vertices, or of the top
    /// cube anchored there under values on cells, if it exists.
    fn entry(&self, i: isize, j: isize) -> Option<usize> {
        let (h, w) = match self.values_on {
            ValuesOn::Vertices => (self.rows, self.cols),
            ValuesOn::Cells => (self.rows - 1, self.cols - 1),
        };
        (0 <= i && i < h as isize && 0 <= j && j < w as isize).then(|| i as usize * w + j as usize)
    }

    /// The data index a cell's value is read from: the first candidate of SPEC's enumeration
    /// whose value is the cell's (the extreme, of rank `rank`). `steps` are the candidates'
    /// offsets from the anchor `q`, in enumeration order.
    fn source(&self, q: usize, rank: u32, steps: &[(isize, isize)]) -> i64 {
        let (i, j) = ((q / self.width) as isize, (q % self.width) as isize);
        let found = steps
            .iter()
            .filter_map(|&(di, dj)| self.entry(i + di, j + dj))
            .find(|&e| self.rank[e] == rank);
        found.expect("a cell's value is one of its candidates'") as i64
    }

    fn vertex_source(&self, q: u32) -> i64 {
        let steps: &[(isize, isize)] = match self.values_on {
            ValuesOn::Vertices => &[(0, 0)],
            // Top cubes at the anchor minus steps along the missing axes 0 and 1 (bit 0 first).
            ValuesOn::Cells => &[(0, 0), (-1, 0), (0, -1), (-1, -1)],
        };
        self.source(q as usize, self.vertex_rank[q as usize], steps)
    }

    fn edge_source(&self, code: u32) -> i64 {
        let along_rows = code & 1 == 0;
        let steps: &[(isize, isize)] = match (self.values_on, along_rows) {
            (ValuesOn::Vertices, true) => &[(0, 0), (1, 0)],
            (ValuesOn::Vertices, false) => &[(0, 0), (0, 1)],
            // The missing axis is the other one.
            (ValuesOn::Cells, true) => &[(0, 0), (0, -1)],
            (ValuesOn::Cells, false) => &[(0, 0), (-1, 0)],
        };
        self.source(code as usize >> 1, self.edge_rank(code as usize), steps)
    }

    /// `square` is an index into `square_rank`; its anchor is one row and one column back.
    fn square_source(&self, square: u32) -> i64 {
        let steps: &[(isize, isize)] = match self.values_on {
            // Corners: bit 0 of m steps along axis 0, bit 1 along axis 1.
            ValuesOn::Vertices => &[(0, 0), (1, 0), (0, 1), (1, 1)],
            ValuesOn::Cells => &[(0, 0)],
        };
        let anchor = square as usize - self.width - 1;
        self.source(anchor, self.square_rank[square as usize], steps)
    }
}

/// The edges in filtration order (rank of their value, then code, which is emission order),
/// grouped by rank: the edges of rank r are `codes[starts[r]..starts[r + 1]]`.
struct SortedEdges {
    codes: Vec<u32>,
    starts: Vec<u32>,
}

impl SortedEdges {
    /// A counting sort by rank, reading the edges in code order so that equal ranks keep it.
    fn new(grid: &Grid, interrupt: &Interrupt) -> Result<Self> {
        let n_ranks = grid.rank.iter().max().map_or(0, |&r| r as usize + 1);
        let mut starts = try_filled(n_ranks + 1, 0u32, "edge sort")?;
        for code in 0..grid.n_codes() {
            let r = grid.edge_rank(code);
            if r != PAD {
                starts[r as usize + 1] += 1;
            }
        }
        for r in 0..n_ranks {
            starts[r + 1] += starts[r];
        }
        interrupt.check()?;
        let mut codes = try_filled(starts[n_ranks] as usize, 0u32, "edge sort")?;
        let mut cursor = starts.clone();
        for code in 0..grid.n_codes() {
            let r = grid.edge_rank(code);
            if r != PAD {
                let slot = &mut cursor[r as usize];
                codes[*slot as usize] = code as u32;
                *slot += 1;
            }
        }
        Ok(SortedEdges { codes, starts })
    }

    /// The number of ranks (some possibly without edges).
    fn n_ranks(&self) -> usize {
        self.starts.len() - 1
    }

    /// The codes of the edges of rank `r`, in emission order.
    fn of_rank(&self, r: usize) -> &[u32] {
        &self.codes[self.starts[r] as usize..self.starts[r + 1] as usize]
    }
}

/// The root of `v` in the forest `parent`, halving the path on the way.
#[inline]
fn root(parent: &mut [u32], mut v: u32) -> u32 {
    while parent[v as usize] != v {
        let grand = parent[parent[v as usize] as usize];
        parent[v as usize] = grand;
        v = grand;
    }
    v
}

/// A cell's order key within its dimension: (rank of its value, position), the position
/// ascending with the emission index.
#[inline]
fn key(rank: u32, position: u32) -> u64 {
    (u64::from(rank) << 32) | u64::from(position)
}

/// H0 by Kruskal's sweep with the elder rule: an edge joining two components kills the one
/// whose oldest vertex comes later; the root of a component is its oldest vertex.
fn h0_rows(grid: &Grid, edges: &SortedEdges, include_essential: bool, interrupt: &Interrupt) -> Result<Vec<[i64; 2]>> {
    let vertex_rank = &grid.vertex_rank;
    let mut parent = try_filled(vertex_rank.len(), 0u32, "union-find forest")?;
    for (v, p) in parent.iter_mut().enumerate() {
        *p = v as u32;
    }
    let vertex_key = |v: u32| key(vertex_rank[v as usize], v);
    // (birth key, younger vertex, edge): sorted by the key at the end, which is by birth sid.
    let mut pairs: Vec<(u64, u32, u32)> = Vec::new();
    let mut seen = 0usize;
    for r in 0..edges.n_ranks() {
        for &code in edges.of_rank(r) {
            seen += 1;
            if seen % INTERRUPT_STRIDE == 0 {
                interrupt.check()?;
            }
            let (a, b) = grid.edge_vertices(code);
            let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
            if ra == rb {
                continue;
            }
            let (elder, younger) = if vertex_key(ra) < vertex_key(rb) {
                (ra, rb)
            } else {
                (rb, ra)
            };
            parent[younger as usize] = elder;
            // Equal values: a zero-persistence pair, not reported.
            if vertex_rank[younger as usize] != r as u32 {
                pairs.push((vertex_key(younger), younger, code));
            }
        }
    }
    pairs.sort_unstable_by_key(|&(k, _, _)| k);
    let mut rows: Vec<[i64; 2]> = pairs
        .into_iter()
        .map(|(_, vertex, edge)| [grid.vertex_source(vertex), grid.edge_source(edge)])
        .collect();
    if include_essential {
        // The grid is connected: one class lives forever, born at the oldest vertex, whose sid
        // is 0.
        let oldest = root(&mut parent, 0);
        rows.insert(0, [grid.vertex_source(oldest), ESSENTIAL]);
    }
    Ok(rows)
}

/// H1 by duality: the edges in reverse filtration order join the squares on their two sides (or
/// the outside); an edge joining two dual components is born and dies at the younger
/// component's representative, its latest square (the outside is older than every square).
fn h1_rows(grid: &Grid, edges: &SortedEdges, interrupt: &Interrupt) -> Result<Vec<[i64; 2]>> {
    let square_rank = &grid.square_rank;
    // The padding is one dual vertex, the outside, at index `outside`.
    let outside = square_rank.len() as u32;
    let mut parent = try_filled(square_rank.len() + 1, 0u32, "dual forest")?;
    for (v, p) in parent.iter_mut().enumerate() {
        *p = if v < square_rank.len() && square_rank[v] == PAD {
            outside
        } else {
            v as u32
        };
    }
    // PAD ranks make the outside the oldest.
    let age = |square: u32| {
        if square == outside {
            u64::MAX
        } else {
            key(square_rank[square as usize], square)
        }
    };
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    let mut seen = 0usize;
    for r in (0..edges.n_ranks()).rev() {
        for &code in edges.of_rank(r).iter().rev() {
            seen += 1;
            if seen % INTERRUPT_STRIDE == 0 {
                interrupt.check()?;
            }
            let (a, b) = grid.edge_squares(code);
            let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
            if ra == rb {
                continue;
            }
            let (elder, younger) = if age(ra) > age(rb) { (ra, rb) } else { (rb, ra) };
            parent[younger as usize] = elder;
            if square_rank[younger as usize] != r as u32 {
                pairs.push((code, younger));
            }
        }
    }
    // Found by decreasing birth; rows go by increasing birth sid.
    Ok(pairs
        .into_iter()
        .rev()
        .map(|(edge, square)| [grid.edge_source(edge), grid.square_source(square)])
        .collect())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::diagram::persistence;
    use crate::filtration::cubical::cube_filtration;
    use crate::reduction::Side;

    /// The built filtration's index diagrams, mapped to sources.
    fn reference(data: &[f64], shape: &[usize], params: &CubeParams, include_essential: bool) -> SourceDiagrams {
        let fil = cube_filtration(data, shape, params, &Interrupt::never()).unwrap();
        let dgms = persistence(&fil, Side::Homology, include_essential, &Interrupt::never()).unwrap();
        let sources = fil.sources();
        let source = |sid: i64| {
            if sid < 0 {
                ESSENTIAL
            } else {
                i64::from(sources[sid as usize])
            }
        };
        SourceDiagrams {
            dims: dgms
                .into_dims()
                .into_iter()
                .map(|rows| rows.into_iter().map(|[b, d]| [source(b), source(d)]).collect())
                .collect(),
        }
    }

    fn params(negate: bool, max_dim: usize, on_cells: bool) -> CubeParams {
        CubeParams {
            negate,
            max_dim,
            values_on: if on_cells { ValuesOn::Cells } else { ValuesOn::Vertices },
        }
    }

    /// 2-D arrays of 1..9 × 1..9 entries: small integers (plateaus everywhere, signed zeros
    /// among them) or spread floats.
    fn arrays() -> impl Strategy<Value = (Vec<f64>, Vec<usize>)> {
        (1usize..9, 1usize..9, any::<bool>()).prop_flat_map(|(h, w, plateaus)| {
            let value = if plateaus {
                (-2i32..3)
                    .prop_map(|v| if v == 0 { -0.0 } else { f64::from(v) })
                    .boxed()
            } else {
                (-1e3f64..1e3).boxed()
            };
            (proptest::collection::vec(value, h * w), Just(vec![h, w]))
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn rows_equal_the_built_filtrations_mapped_to_sources(
            (data, shape) in arrays(),
            negate in any::<bool>(),
            on_cells in any::<bool>(),
            max_dim in 0usize..4,
            include_essential in any::<bool>(),
        ) {
            let p = params(negate, max_dim, on_cells);
            match cube_persistence_2d(&data, &shape, &p, include_essential, &Interrupt::never()).unwrap() {
                Some(direct) => prop_assert_eq!(direct, reference(&data, &shape, &p, include_essential)),
                // Only a vertex grid with an axis of length 1 is left to the filtration.
                None => prop_assert!(!on_cells && shape.contains(&1)),
            }
        }
    }

    #[test]
    fn a_ring_of_high_cells_around_a_low_one_is_one_h1_point() {
        // Values on cells: the ring of 5s closes a loop at value 5 that the centre square (value
        // 9) fills; every H0 pair has zero persistence.
        #[rustfmt::skip]
        let data = [
            5.0, 5.0, 5.0,
            5.0, 9.0, 5.0,
            5.0, 5.0, 5.0,
        ];
        let dgms = cube_persistence_2d(&data, &[3, 3], &params(false, 2, true), false, &Interrupt::never())
            .unwrap()
            .unwrap();
        assert!(dgms.dims[0].is_empty());
        assert_eq!(dgms.dims[1].len(), 1);
        let [birth, death] = dgms.dims[1][0];
        assert_eq!((data[birth as usize], data[death as usize]), (5.0, 9.0));
        assert_eq!(death, 4);
    }

    #[test]
    fn other_shapes_are_left_to_the_filtration() {
        let on = |shape: &[usize], on_cells| {
            let data = vec![1.0; shape.iter().product()];
            cube_persistence_2d(&data, shape, &params(false, 2, on_cells), true, &Interrupt::never()).unwrap()
        };
        assert!(on(&[4], true).is_none());
        assert!(on(&[2, 2, 2], true).is_none());
        assert!(on(&[1, 5], false).is_none());
        assert!(on(&[1, 5], true).is_some());
    }

    #[test]
    fn a_cancelled_call_stops() {
        let flag = std::sync::atomic::AtomicBool::new(true);
        let data = vec![1.0; 64 * 64];
        let result = cube_persistence_2d(
            &data,
            &[64, 64],
            &params(false, 2, true),
            false,
            &Interrupt::from_flag(&flag),
        );
        assert_eq!(result, Err(crate::Error::Interrupted));
    }

    #[test]
    fn bad_data_is_an_error() {
        let p = params(false, 2, true);
        assert!(cube_persistence_2d(&[1.0, f64::NAN], &[1, 2], &p, false, &Interrupt::never()).is_err());
        assert!(cube_persistence_2d(&[1.0, 2.0], &[3, 1], &p, false, &Interrupt::never()).is_err());
    }
}
