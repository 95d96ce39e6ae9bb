//! Filtrations: cells with values, sorted into the filtration order.
//!
//! The order is dimension-major: all vertices, then all edges, and so on; within a dimension
//! cells are sorted by (value′, emission index), where value′ is the value, negated under
//! `negate`, and the emission index is the builder's documented order (lexicographic vertex
//! tuples for simplicial builders). A cell's position in this order is its *sid*.
//!
//! Simplices are stored compactly: per dimension one flat `Vec<u32>` of vertex tuples with stride
//! dim + 1 in sid order, plus the permutation that lists them lexicographically, which is all a
//! facet lookup (binary search) needs. Grid cells are one integer each (an anchor and a pattern,
//! see `grid`), decoded arithmetically. No allocation per cell.

pub mod cubical;
pub mod delaunay;
pub mod freudenthal;
pub(crate) mod grid;
mod radix;
pub mod vr;

use std::borrow::Cow;
use std::cmp::Ordering;
use std::ops::Range;

use rayon::prelude::*;

use crate::error::{try_filled, Error, Result};
use crate::matrix::BoundaryOracle;

/// Which builder produced a filtration, and so how its values and critical indices are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Vietoris-Rips: each simplex takes the length of its critical edge.
    VietorisRips,
    /// Freudenthal (Kuhn) triangulation of a grid, lower-star values.
    Freudenthal,
    /// Cubical complex of a grid, values on vertices or on top cells.
    Cubical,
    /// Alpha complex: squared alpha values on the Delaunay triangulation.
    Alpha,
    /// Weak alpha: the squared circumradius of the longest edge of each Delaunay simplex.
    WeakAlpha,
    /// Čech–Delaunay: the squared radius of each Delaunay simplex's minimum enclosing ball.
    CechDelaunay,
}

impl Kind {
    /// The public name of the kind (`"vr"`, …).
    pub fn name(self) -> &'static str {
        match self {
            Kind::VietorisRips => "vr",
            Kind::Freudenthal => "freudenthal",
            Kind::Cubical => "cubical",
            Kind::Alpha => "alpha",
            Kind::WeakAlpha => "weak_alpha",
            Kind::CechDelaunay => "cech_delaunay",
        }
    }
}

/// The floating-point type the filtration values are rounded to before sorting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Precision {
    /// IEEE binary32: values are computed in f64 and rounded to the nearest f32.
    Single,
    /// IEEE binary64.
    Double,
}

impl Precision {
    /// Round `x` to this precision (returned as f64, exactly representable in the precision).
    pub fn round(self, x: f64) -> f64 {
        match self {
            Precision::Single => x as f32 as f64,
            Precision::Double => x,
        }
    }
}

/// A key whose unsigned integer order is the filtration order of values: ascending, or
/// descending under `negate`. Values are never NaN; −0.0 and 0.0 get the same key, so that ties
/// fall back to emission order. Sorting (key, emission index) pairs compares two integers and
/// reads memory sequentially, several times faster than comparing values through an index.
pub(crate) fn order_key(value: f64, negate: bool) -> u64 {
    let value = if value == 0.0 { 0.0 } else { value };
    let bits = value.to_bits();
    // Negative floats order backwards as bit patterns: flip them all; positive ones: set the
    // sign bit so that they sort above every negative one.
    let key = if bits >> 63 == 1 { !bits } else { bits | (1 << 63) };
    if negate {
        !key
    } else {
        key
    }
}

/// The emission indices `0..keys.len()` sorted by (key, emission index). `keys[i]` is the order
/// key of the cell with emission index i.
pub(crate) fn sort_by_key_then_index(keys: impl IndexedParallelIterator<Item = u64>) -> Vec<u32> {
    let mut pairs: Vec<(u64, u32)> = keys.enumerate().map(|(i, k)| (k, i as u32)).collect();
    radix::radix_sort_by_key(&mut pairs, |&(key, _)| key);
    pairs.into_par_iter().map(|(_, i)| i).collect()
}

/// The simplices of one dimension, as built in emission (lexicographic) order.
#[derive(Debug, Clone, Default)]
pub struct LexBlock {
    /// Vertex tuples, ascending within each tuple, tuples in ascending lexicographic order.
    pub vertices: Vec<u32>,
    /// One value per simplex, in the same order.
    pub values: Vec<f64>,
    /// One value-source index per simplex (builder-specific meaning), in the same order.
    pub sources: Vec<u32>,
}

#[derive(Debug, Clone)]
struct SimplexBlock {
    dim: usize,
    /// Vertex tuples in sid order, stride dim + 1.
    vertices: Vec<u32>,
    /// `lex_order[k]` is the block-local sid of the k-th simplex in lexicographic order.
    lex_order: Vec<u32>,
    /// Lexicographic positions `by_first_vertex[v]..by_first_vertex[v + 1]` hold the simplices
    /// whose smallest vertex is v, which narrows every search to one vertex's star.
    by_first_vertex: Vec<u32>,
    /// The vertex tuples again, in lexicographic order, for blocks that are facets of a higher
    /// block: their lookups (every boundary column) then read memory sequentially. The top block
    /// is only searched by `sorted_id` and skips the copy.
    lex_vertices: Option<Vec<u32>>,
    /// For a block of edges below the top that fills a good part of the n × n table (a
    /// Vietoris-Rips complex): the local sid of edge (a, b) at a · n + b, or `u32::MAX`. Every
    /// facet lookup of a triangle is then one read instead of a binary search.
    edge_table: Option<Vec<u32>>,
}

impl SimplexBlock {
    fn simplex(&self, local_sid: usize) -> &[u32] {
        let w = self.dim + 1;
        &self.vertices[local_sid * w..(local_sid + 1) * w]
    }

    /// The local sid of the simplex with exactly these (ascending) vertices.
    fn find(&self, vertices: &[u32]) -> Option<usize> {
        if let (Some(table), &[a, b]) = (&self.edge_table, vertices) {
            let n = self.by_first_vertex.len() - 1;
            let (a, b) = (a as usize, b as usize);
            let sid = if a < n && b < n { table[a * n + b] } else { u32::MAX };
            return (sid != u32::MAX).then_some(sid as usize);
        }
        let first = *vertices.first()? as usize;
        if first + 1 >= self.by_first_vertex.len() {
            return None;
        }
        let (mut lo, mut hi) = (
            self.by_first_vertex[first] as usize,
            self.by_first_vertex[first + 1] as usize,
        );
        let w = self.dim + 1;
        while lo < hi {
            let mid = (lo + hi) / 2;
            let candidate = match &self.lex_vertices {
                Some(lex) => &lex[mid * w..(mid + 1) * w],
                None => self.simplex(self.lex_order[mid] as usize),
            };
            match candidate.cmp(vertices) {
                Ordering::Less => lo = mid + 1,
                Ordering::Greater => hi = mid,
                Ordering::Equal => return Some(self.lex_order[mid] as usize),
            }
        }
        None
    }
}

/// How the cells are stored.
#[derive(Debug, Clone)]
enum Cells {
    /// Vertex tuples per dimension.
    Simplicial(Vec<SimplexBlock>),
    /// Grid cells, each an anchor and a pattern, decoded arithmetically.
    Grid(grid::GridCells),
}

/// A filtered cell complex (simplicial or cubical) in sid order.
#[derive(Debug, Clone)]
pub struct Filtration {
    kind: Kind,
    negate: bool,
    cells: Cells,
    /// `starts[d]..starts[d + 1]` are the sids of dimension d.
    starts: Vec<usize>,
    values: Vec<f64>,
    /// Per sid, where the value is read from: the global sid of the critical edge (VR, weak
    /// alpha; a vertex holds its own id), of the simplex whose closed form gives the value
    /// (alpha, Čech–Delaunay), or the flat index of a data entry (grids).
    sources: Vec<u32>,
}

impl Filtration {
    /// Sort builder output into a filtration. `blocks[d]` holds the d-simplices in lexicographic
    /// order; `map_source(d, source)` turns a block's source entries into global sids once the
    /// order is known (it receives the partially built filtration's lexicographic lookup).
    ///
    /// # Errors
    /// [`Error::TooLarge`] if the complex has 2³² cells or more, or arrays cannot be allocated.
    pub(crate) fn from_lex_blocks(
        kind: Kind,
        negate: bool,
        blocks: Vec<LexBlock>,
        map_source: impl Fn(&Filtration, usize, u32) -> u32 + Sync,
    ) -> Result<Self> {
        let total: usize = blocks.iter().map(|b| b.values.len()).sum();
        if total >= u32::MAX as usize {
            return Err(Error::TooLarge {
                what: "filtration",
                reason: format!("{total} cells; at most {} are supported", u32::MAX - 1),
            });
        }
        let mut starts = vec![0usize];
        let mut values = try_filled(total, 0.0f64, "filtration values")?;
        let mut raw_sources = try_filled(total, 0u32, "filtration sources")?;
        let mut sorted_blocks = Vec::with_capacity(blocks.len());
        let top = blocks.iter().rposition(|b| !b.values.is_empty()).unwrap_or(0);
        for (dim, block) in blocks.into_iter().enumerate() {
            let n = block.values.len();
            let start = *starts.last().expect("starts is never empty");
            // perm[local sid] = lexicographic index.
            let perm = sort_by_key_then_index(block.values.par_iter().map(|&v| order_key(v, negate)));
            let w = dim + 1;
            let mut vertices = try_filled(n * w, 0u32, "filtration cells")?;
            vertices.par_chunks_mut(w).zip(perm.par_iter()).for_each(|(dst, &lex)| {
                let lex = lex as usize;
                dst.copy_from_slice(&block.vertices[lex * w..(lex + 1) * w]);
            });
            let mut lex_order = try_filled(n, 0u32, "filtration order")?;
            for (sid, &lex) in perm.iter().enumerate() {
                lex_order[lex as usize] = sid as u32;
                values[start + sid] = block.values[lex as usize];
                raw_sources[start + sid] = block.sources[lex as usize];
            }
            let n_vertex_ids = if dim == 0 {
                block.vertices.iter().max().map_or(0, |&m| m as usize + 1)
            } else {
                sorted_blocks
                    .first()
                    .map_or(0, |b: &SimplexBlock| b.by_first_vertex.len().saturating_sub(1))
            };
            let mut by_first_vertex = try_filled(n_vertex_ids + 1, 0u32, "filtration index")?;
            for lex in 0..n {
                by_first_vertex[block.vertices[lex * w] as usize + 1] += 1;
            }
            for v in 0..n_vertex_ids {
                by_first_vertex[v + 1] += by_first_vertex[v];
            }
            // At most four table entries per edge: a complete graph fills half the table.
            let edge_table = if dim == 1 && dim < top && n_vertex_ids * n_vertex_ids <= 4 * n.max(1 << 14) {
                let mut table = try_filled(n_vertex_ids * n_vertex_ids, u32::MAX, "edge table")?;
                for (lex, &sid) in lex_order.iter().enumerate() {
                    let (a, b) = (block.vertices[2 * lex] as usize, block.vertices[2 * lex + 1] as usize);
                    table[a * n_vertex_ids + b] = sid;
                }
                Some(table)
            } else {
                None
            };
            starts.push(start + n);
            sorted_blocks.push(SimplexBlock {
                dim,
                vertices,
                lex_order,
                by_first_vertex,
                lex_vertices: (dim < top).then_some(block.vertices),
                edge_table,
            });
        }
        let mut fil = Filtration {
            kind,
            negate,
            cells: Cells::Simplicial(sorted_blocks),
            starts,
            values,
            sources: Vec::new(),
        };
        raw_sources
            .par_iter_mut()
            .enumerate()
            .for_each(|(sid, source)| *source = map_source(&fil, fil.dim_of(sid), *source));
        fil.sources = raw_sources;
        Ok(fil)
    }

    /// The builder that produced this filtration.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// Whether comparisons are reversed (values are stored raw either way).
    pub fn negate(&self) -> bool {
        self.negate
    }

    /// The number of cells N.
    pub fn size(&self) -> usize {
        self.values.len()
    }

    /// The largest cell dimension present (0 for a filtration of vertices only).
    pub fn max_dim(&self) -> usize {
        (0..self.starts.len() - 1)
            .rev()
            .find(|&d| !self.dim_range(d).is_empty())
            .unwrap_or(0)
    }

    /// The sids of the dimension-d block (empty above `max_dim`).
    pub fn dim_range(&self, dim: usize) -> Range<usize> {
        if dim < self.starts.len() - 1 {
            self.starts[dim]..self.starts[dim + 1]
        } else {
            self.size()..self.size()
        }
    }

    /// The dimension of cell `sid`.
    ///
    /// # Panics
    /// If `sid >= size()`.
    pub fn dim_of(&self, sid: usize) -> usize {
        assert!(sid < self.size(), "sid {sid} out of range");
        self.starts.partition_point(|&s| s <= sid) - 1
    }

    /// The values in sid order.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Per sid, where the value is read from: the global sid of the critical edge (VR, weak
    /// alpha; a vertex holds its own id), of the simplex whose squared circumradius is the value
    /// (alpha: the attaching simplex; Čech–Delaunay: the simplex defining the minimum enclosing
    /// ball), or the flat index of the data entry it is gathered from (grids).
    pub fn sources(&self) -> &[u32] {
        &self.sources
    }

    /// Per sid, the edge a cell's value is read from, as (larger vertex, smaller vertex); a vertex
    /// v gives (v, v). Meaningful for kinds whose values come from edges (Vietoris-Rips,
    /// weak alpha).
    pub fn critical_edges(&self) -> Vec<[u32; 2]> {
        let edges = self.cells_in_dimension(1);
        let first_edge = self.dim_range(1).start;
        self.sources
            .par_iter()
            .enumerate()
            .map(|(sid, &src)| {
                let src = src as usize;
                if self.dim_of(sid) == 0 {
                    [src as u32, src as u32]
                } else {
                    let k = src - first_edge;
                    [edges[2 * k + 1], edges[2 * k]]
                }
            })
            .collect()
    }

    /// The ascending vertex ids of cell `sid`.
    ///
    /// # Errors
    /// [`Error::IndexOutOfRange`] if `sid >= size()`.
    pub fn cell(&self, sid: usize) -> Result<Vec<u32>> {
        if sid >= self.size() {
            return Err(Error::IndexOutOfRange {
                idx: sid,
                size: self.size(),
            });
        }
        let dim = self.dim_of(sid);
        let local = sid - self.starts[dim];
        Ok(match &self.cells {
            Cells::Simplicial(blocks) => blocks[dim].simplex(local).to_vec(),
            Cells::Grid(grid) => grid.sorted_vertices(dim, local),
        })
    }

    /// D if this filtration is a D-ball whose top cells are all present (an unwrapped grid with
    /// `max_dim` equal to its number of axes, or a Delaunay triangulation, which fills the convex
    /// hull of its points; D ≥ 2); every (D − 1)-cell then bounds one or two top cells, and the
    /// top-dimensional pairs follow from a union-find on the dual graph.
    pub fn ball_dimension(&self) -> Option<usize> {
        match &self.cells {
            Cells::Grid(grid) => grid.ball_dimension().filter(|&d| d >= 2 && d == self.max_dim()),
            Cells::Simplicial(_) => match self.kind {
                Kind::Alpha | Kind::WeakAlpha | Kind::CechDelaunay => Some(self.max_dim()).filter(|&d| d >= 2),
                Kind::VietorisRips | Kind::Freudenthal | Kind::Cubical => None,
            },
        }
    }

    /// The grid cells, if this is a grid filtration.
    pub(crate) fn grid_cells(&self) -> Option<&grid::GridCells> {
        match &self.cells {
            Cells::Grid(grid) => Some(grid),
            Cells::Simplicial(_) => None,
        }
    }

    /// How many vertices a cell of dimension `dim` has: dim + 1 for simplices, 2^dim for cubes.
    pub fn vertices_per_cell(&self, dim: usize) -> usize {
        match &self.cells {
            Cells::Grid(grid) => grid.vertices_per_cell(dim),
            Cells::Simplicial(_) => dim.saturating_add(1),
        }
    }

    /// The vertex tuples of dimension `dim` in sid order, flat with stride dim + 1, each tuple
    /// ascending.
    pub fn cells_in_dimension(&self, dim: usize) -> Cow<'_, [u32]> {
        match &self.cells {
            Cells::Simplicial(blocks) => Cow::Borrowed(blocks.get(dim).map_or(&[], |b| b.vertices.as_slice())),
            Cells::Grid(grid) => Cow::Owned(grid.all_sorted_vertices(dim, self.dim_range(dim).len())),
        }
    }

    /// The sid of the cell with exactly these vertices, in any order.
    ///
    /// # Errors
    /// [`Error::CellNotFound`] if no cell has these vertices.
    pub fn sorted_id(&self, vertices: &[u32]) -> Result<usize> {
        let mut key = vertices.to_vec();
        key.sort_unstable();
        let not_found = || Error::CellNotFound { vertices: key.clone() };
        if key.is_empty() || key.windows(2).any(|w| w[0] == w[1]) {
            return Err(not_found());
        }
        match &self.cells {
            Cells::Simplicial(_) => self.find_simplex(&key).ok_or_else(not_found),
            Cells::Grid(grid) => grid
                .find(&key)
                .map(|(dim, local)| self.starts[dim] + local)
                .ok_or_else(not_found),
        }
    }

    fn simplex_blocks(&self) -> &[SimplexBlock] {
        match &self.cells {
            Cells::Simplicial(blocks) => blocks,
            Cells::Grid(_) => panic!("simplex lookups are only made on simplicial filtrations"),
        }
    }

    /// The global sid of the d-simplex with these ascending vertices, if present.
    pub(crate) fn find_simplex(&self, vertices: &[u32]) -> Option<usize> {
        let dim = vertices.len().checked_sub(1)?;
        self.simplex_blocks()
            .get(dim)?
            .find(vertices)
            .map(|local| self.starts[dim] + local)
    }

    /// The global sid of the lexicographically k-th simplex of dimension `dim`.
    pub(crate) fn sid_of_lex(&self, dim: usize, k: usize) -> u32 {
        (self.starts[dim] + self.simplex_blocks()[dim].lex_order[k] as usize) as u32
    }

    /// Assemble a grid filtration from per-dimension data already in sid order.
    pub(crate) fn from_grid(
        kind: Kind,
        negate: bool,
        cells: grid::GridCells,
        values: Vec<f64>,
        sources: Vec<u32>,
        starts: Vec<usize>,
    ) -> Self {
        Filtration {
            kind,
            negate,
            cells: Cells::Grid(cells),
            starts,
            values,
            sources,
        }
    }
}

impl BoundaryOracle for Filtration {
    fn n_cells(&self) -> usize {
        self.size()
    }

    fn cells_with_facets(&self) -> Range<usize> {
        self.starts.get(1).copied().unwrap_or(0).min(self.size())..self.size()
    }

    fn facets(&self, sid: usize, out: &mut Vec<u32>) {
        self.facets_in_any_order(sid, out);
        out.sort_unstable();
    }
}

impl Filtration {
    /// The sids of the facets of cell `sid`, in an unspecified order (union-finds need no more).
    pub(crate) fn facets_in_any_order(&self, sid: usize, out: &mut Vec<u32>) {
        self.facets_in_dimension(self.dim_of(sid), sid, out);
    }

    /// [`Filtration::facets_in_any_order`] of a cell whose dimension `dim` the caller knows.
    pub(crate) fn facets_in_dimension(&self, dim: usize, sid: usize, out: &mut Vec<u32>) {
        out.clear();
        debug_assert!(
            self.dim_range(dim).contains(&sid),
            "sid {sid} is not in dimension {dim}"
        );
        if dim == 0 {
            return;
        }
        let blocks = match &self.cells {
            Cells::Simplicial(blocks) => blocks,
            Cells::Grid(grid) => {
                let start = self.starts[dim - 1];
                grid.facets(dim, sid - self.starts[dim], |local| out.push((start + local) as u32));
                return;
            }
        };
        let simplex = blocks[dim].simplex(sid - self.starts[dim]);
        // Facets of low-dimensional simplices live on the stack; no allocation per call.
        let mut on_stack = [0u32; 16];
        let mut on_heap = Vec::new();
        let facet: &mut [u32] = if dim <= on_stack.len() {
            &mut on_stack[..dim]
        } else {
            on_heap.resize(dim, 0);
            &mut on_heap
        };
        for skip in 0..=dim {
            facet[..skip].copy_from_slice(&simplex[..skip]);
            facet[skip..].copy_from_slice(&simplex[skip + 1..]);
            let f = self
                .find_simplex(facet)
                .expect("a simplicial filtration contains every facet of its cells");
            out.push(f as u32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_keys_follow_the_values_and_merge_signed_zeros() {
        let values = [-3.5, -1.0, -0.0, 0.0, 1e-300, 2.0, 7.25];
        for w in values.windows(2) {
            let (a, b) = (order_key(w[0], false), order_key(w[1], false));
            if w[0] == w[1] {
                assert_eq!(a, b);
            } else {
                assert!(a < b, "{} before {}", w[0], w[1]);
                assert!(order_key(w[0], true) > order_key(w[1], true));
            }
        }
    }
}
