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

use crate::error::{try_filled, Result};
use crate::filtration::cubical::{cube_sources, CubeParams, ValuesOn, ABSENT};
use crate::filtration::grid;
use crate::interrupt::Interrupt;

/// The death of an essential row.
pub const ESSENTIAL: i64 = -1;

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
    let grid = Grid { rows, cols };
    // sources[mask][anchor]: the data entry of the cube at `anchor` with face bits `mask` (bit 0
    // along the rows, bit 1 along the columns), or ABSENT.
    let sources = cube_sources(data, shape, params.values_on, params.negate);
    interrupt.check()?;
    let rank = grid::DataOrder::new(data, params.negate).dense_ranks()?;
    let edges = SortedEdges::new(&grid, &sources, &rank, interrupt)?;
    let mut dims = vec![h0_rows(&grid, &sources, &rank, &edges, include_essential, interrupt)?];
    if max_dim == 2 {
        dims.push(h1_rows(&grid, &sources, &rank, &edges, interrupt)?);
    }
    Ok(Some(SourceDiagrams { dims }))
}

/// The vertex grid, `rows` × `cols` in C order.
struct Grid {
    rows: usize,
    cols: usize,
}

impl Grid {
    fn n_vertices(&self) -> usize {
        self.rows * self.cols
    }

    /// The two vertices of edge `code` (anchor · 2 + 0 along the rows, + 1 along the columns).
    fn edge_vertices(&self, code: u32) -> (u32, u32) {
        let anchor = code >> 1;
        let step = if code & 1 == 0 { self.cols as u32 } else { 1 };
        (anchor, anchor + step)
    }

    /// The squares on the two sides of edge `code`, by anchor, with `outside` where the edge is
    /// on the boundary of the grid.
    fn edge_squares(&self, code: u32, outside: u32) -> (u32, u32) {
        let anchor = code >> 1;
        let (i, j) = (anchor as usize / self.cols, anchor as usize % self.cols);
        if code & 1 == 0 {
            // Along the rows, from (i, j) to (i + 1, j): squares anchored at (i, j − 1), (i, j).
            let left = if j >= 1 { anchor - 1 } else { outside };
            let right = if j + 1 < self.cols { anchor } else { outside };
            (left, right)
        } else {
            // Along the columns, from (i, j) to (i, j + 1): squares anchored at (i − 1, j), (i, j).
            let up = if i >= 1 { anchor - self.cols as u32 } else { outside };
            let down = if i + 1 < self.rows { anchor } else { outside };
            (up, down)
        }
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
    fn new(grid: &Grid, sources: &[Vec<u32>], rank: &[u32], interrupt: &Interrupt) -> Result<Self> {
        let n_ranks = rank.iter().max().map_or(0, |&r| r as usize + 1);
        let edge_rank = |code: usize| {
            let source = sources[1 + (code & 1)][code >> 1];
            (source != ABSENT).then(|| rank[source as usize] as usize)
        };
        let n_codes = 2 * grid.n_vertices();
        let mut starts = try_filled(n_ranks + 1, 0u32, "edge sort")?;
        for r in (0..n_codes).filter_map(edge_rank) {
            starts[r + 1] += 1;
        }
        for r in 0..n_ranks {
            starts[r + 1] += starts[r];
        }
        interrupt.check()?;
        let mut codes = try_filled(starts[n_ranks] as usize, 0u32, "edge sort")?;
        let mut cursor = starts.clone();
        for code in 0..n_codes {
            if let Some(r) = edge_rank(code) {
                codes[cursor[r] as usize] = code as u32;
                cursor[r] += 1;
            }
        }
        Ok(SortedEdges { codes, starts })
    }

    /// (rank, code) of every edge in filtration order.
    fn ascending(&self) -> impl DoubleEndedIterator<Item = (u32, u32)> + '_ {
        self.starts.windows(2).enumerate().flat_map(move |(r, w)| {
            self.codes[w[0] as usize..w[1] as usize]
                .iter()
                .map(move |&c| (r as u32, c))
        })
    }
}

/// The root of `v` in the forest `parent`, halving the path on the way.
fn root(parent: &mut [u32], mut v: u32) -> u32 {
    while parent[v as usize] != v {
        let grand = parent[parent[v as usize] as usize];
        parent[v as usize] = grand;
        v = grand;
    }
    v
}

/// A cell's order key within its dimension: (rank of its value, emission index).
fn key(rank: u32, index: u32) -> u64 {
    (u64::from(rank) << 32) | u64::from(index)
}

/// H0 by Kruskal's sweep with the elder rule: an edge joining two components kills the one
/// whose oldest vertex comes later; the root of a component is its oldest vertex.
fn h0_rows(
    grid: &Grid,
    sources: &[Vec<u32>],
    rank: &[u32],
    edges: &SortedEdges,
    include_essential: bool,
    interrupt: &Interrupt,
) -> Result<Vec<[i64; 2]>> {
    let vertex_source = &sources[0];
    let mut vertex_rank = try_filled(grid.n_vertices(), 0u32, "union-find forest")?;
    for (r, &s) in vertex_rank.iter_mut().zip(vertex_source) {
        *r = rank[s as usize];
    }
    let mut parent = try_filled(grid.n_vertices(), 0u32, "union-find forest")?;
    for (v, p) in parent.iter_mut().enumerate() {
        *p = v as u32;
    }
    let vertex_key = |v: u32| key(vertex_rank[v as usize], v);
    // (birth key, row): sorted by the key at the end, which is sorting by birth sid.
    let mut rows: Vec<(u64, [i64; 2])> = Vec::new();
    for (k, (edge_rank, code)) in edges.ascending().enumerate() {
        if k % 4096 == 0 {
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
        if vertex_rank[younger as usize] != edge_rank {
            let death = sources[1 + (code as usize & 1)][code as usize >> 1];
            rows.push((
                vertex_key(younger),
                [i64::from(vertex_source[younger as usize]), i64::from(death)],
            ));
        }
    }
    if include_essential {
        // The grid is connected: one class lives forever, born at the oldest vertex.
        let oldest = root(&mut parent, 0);
        rows.push((
            vertex_key(oldest),
            [i64::from(vertex_source[oldest as usize]), ESSENTIAL],
        ));
    }
    rows.sort_unstable_by_key(|&(k, _)| k);
    Ok(rows.into_iter().map(|(_, row)| row).collect())
}

/// H1 by duality: the edges in reverse filtration order join the squares on their two sides (or
/// the outside); an edge joining two dual components is born and dies at the younger
/// component's representative, its latest square (the outside is older than every square).
fn h1_rows(
    grid: &Grid,
    sources: &[Vec<u32>],
    rank: &[u32],
    edges: &SortedEdges,
    interrupt: &Interrupt,
) -> Result<Vec<[i64; 2]>> {
    let square_source = &sources[3];
    let outside = grid.n_vertices() as u32;
    let mut parent = try_filled(grid.n_vertices() + 1, 0u32, "dual forest")?;
    for (v, p) in parent.iter_mut().enumerate() {
        *p = v as u32;
    }
    let age = |square: u32| {
        if square == outside {
            u64::MAX
        } else {
            key(rank[square_source[square as usize] as usize], square)
        }
    };
    let mut rows = Vec::new();
    for (k, (edge_rank, code)) in edges.ascending().rev().enumerate() {
        if k % 4096 == 0 {
            interrupt.check()?;
        }
        let (a, b) = grid.edge_squares(code, outside);
        let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
        if ra == rb {
            continue;
        }
        let (elder, younger) = if age(ra) > age(rb) { (ra, rb) } else { (rb, ra) };
        parent[younger as usize] = elder;
        let death = square_source[younger as usize];
        if rank[death as usize] != edge_rank {
            let birth = sources[1 + (code as usize & 1)][code as usize >> 1];
            rows.push([i64::from(birth), i64::from(death)]);
        }
    }
    // Found by decreasing birth; rows go by increasing birth sid.
    rows.reverse();
    Ok(rows)
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
    fn bad_data_is_an_error() {
        let p = params(false, 2, true);
        assert!(cube_persistence_2d(&[1.0, f64::NAN], &[1, 2], &p, false, &Interrupt::never()).is_err());
        assert!(cube_persistence_2d(&[1.0, 2.0], &[3, 1], &p, false, &Interrupt::never()).is_err());
    }
}
