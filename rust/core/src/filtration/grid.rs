//! Cells of grid complexes: an anchor vertex and a pattern, decoded arithmetically.
//!
//! A grid cell of dimension d is stored as one integer, its *code* = anchor × P_d + pattern,
//! where the anchor is the flat (C-order) index of a vertex of the vertex grid and the pattern is
//! an index into the builder's table of dimension-d shapes (P_d of them). Codes increase in
//! emission order (anchors in C order, then patterns in table order), so the code itself is the
//! emission index. A dense table per dimension maps codes to sids; facets, vertices and lookups
//! are computed from grid coordinates, with no hash map and no allocation per cell.

use rayon::prelude::*;

use crate::error::{try_filled, try_reserve, Error, Result};
use crate::filtration::{order_key, radix, Filtration, Kind};
use crate::interrupt::Interrupt;

/// Marks a code whose cell is absent (it would leave the grid).
const ABSENT: u32 = u32::MAX;

/// Anchors are processed in parallel in chunks of this many, with an interrupt check each.
const ANCHOR_CHUNK: usize = 1 << 14;

/// The shape of a grid and its C-order strides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Shape {
    pub(crate) dims: Vec<usize>,
    pub(crate) strides: Vec<usize>,
    pub(crate) n: usize,
}

impl Shape {
    pub(crate) fn new(dims: &[usize]) -> Self {
        let mut strides = vec![1; dims.len()];
        for a in (0..dims.len().saturating_sub(1)).rev() {
            strides[a] = strides[a + 1] * dims[a + 1];
        }
        Shape {
            dims: dims.to_vec(),
            strides,
            n: dims.iter().product(),
        }
    }

    pub(crate) fn n_axes(&self) -> usize {
        self.dims.len()
    }

    fn coords(&self, flat: usize, out: &mut [usize; 4]) {
        for (a, &s) in self.strides.iter().enumerate() {
            out[a] = (flat / s) % self.dims[a];
        }
    }

    /// Step `coords` to the next vertex in C order (wrapping to the origin after the last).
    fn advance(&self, coords: &mut [usize; 4]) {
        for a in (0..self.dims.len()).rev() {
            coords[a] += 1;
            if coords[a] < self.dims[a] {
                return;
            }
            coords[a] = 0;
        }
    }

    /// The flat index of `coords + offset` (bit a of `offset` = one step along axis a), or `None`
    /// if it leaves the grid; with `wrap` coordinates are taken modulo the shape.
    fn shifted(&self, coords: &[usize; 4], offset: u8, wrap: bool) -> Option<usize> {
        let mut flat = 0;
        for (a, (&n, &stride)) in self.dims.iter().zip(&self.strides).enumerate() {
            let mut c = coords[a] + ((offset >> a) & 1) as usize;
            if c >= n {
                if !wrap {
                    return None;
                }
                c -= n;
            }
            flat += c * stride;
        }
        Some(flat)
    }

    /// The flat displacement of `offset` (bit a = one step along axis a), without bounds checks.
    fn step(&self, offset: u8) -> usize {
        self.strides
            .iter()
            .enumerate()
            .filter(|&(a, _)| (offset >> a) & 1 == 1)
            .map(|(_, &s)| s)
            .sum()
    }
}

/// Place the bits of `m` (bit i) on the set bits of `mask` (the i-th set bit, ascending): the
/// offset of the m-th vertex of a cube spanning the axes of `mask`.
fn spread_bits(m: usize, mask: u8) -> u8 {
    let mut offset = 0u8;
    let mut i = 0;
    for a in 0..8 {
        if (mask >> a) & 1 == 1 {
            if (m >> i) & 1 == 1 {
                offset |= 1 << a;
            }
            i += 1;
        }
    }
    offset
}

/// One grid cell, decoded: its dimension, anchor (flat and as coordinates) and pattern.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GridCell {
    pub(crate) dim: usize,
    pub(crate) anchor: usize,
    pub(crate) coords: [usize; 4],
    pub(crate) pattern: usize,
}

/// The two grid triangulations/complexes and what distinguishes them: which vertices a pattern
/// spans and which patterns its facets have.
#[derive(Debug, Clone)]
pub(crate) enum Geometry {
    /// Kuhn simplices: pattern = chain of offsets b1 ⊊ … ⊊ bk (bit a = axis a); the vertices are
    /// the anchor and anchor + b_i, in that order.
    Freudenthal {
        shape: Shape,
        wrap: bool,
        /// `chains[d][p]` is the chain of pattern p of dimension d.
        chains: Vec<Vec<Vec<u8>>>,
        /// `chain_index[d][key(chain)]` is the pattern index of a dimension-d chain.
        chain_index: Vec<Vec<u16>>,
    },
    /// Cubes: pattern = face bits (bit a = the cube extends along axis a); the vertices are
    /// enumerated by m = 0 … 2^k − 1 over the set axes.
    Cubical {
        shape: Shape,
        /// `masks[d]` lists the face bits of popcount d in increasing order.
        masks: Vec<Vec<u8>>,
        /// `mask_index[mask]` is the position of `mask` in `masks[popcount]`.
        mask_index: [u16; 16],
    },
}

fn chain_key(chain: impl IntoIterator<Item = u8>) -> usize {
    chain
        .into_iter()
        .enumerate()
        .map(|(i, b)| (b as usize) << (4 * i))
        .sum()
}

impl Geometry {
    pub(crate) fn freudenthal(shape: Shape, wrap: bool, chains: Vec<Vec<Vec<u8>>>) -> Self {
        let chain_index = chains
            .iter()
            .map(|patterns| {
                let mut index = vec![u16::MAX; 1 << 16];
                for (p, chain) in patterns.iter().enumerate() {
                    index[chain_key(chain.iter().copied())] = p as u16;
                }
                index
            })
            .collect();
        Geometry::Freudenthal {
            shape,
            wrap,
            chains,
            chain_index,
        }
    }

    pub(crate) fn cubical(shape: Shape) -> Self {
        let n_axes = shape.n_axes();
        let mut masks = vec![Vec::new(); n_axes + 1];
        let mut mask_index = [0u16; 16];
        for mask in 0..(1u8 << n_axes) {
            let d = mask.count_ones() as usize;
            mask_index[mask as usize] = masks[d].len() as u16;
            masks[d].push(mask);
        }
        Geometry::Cubical {
            shape,
            masks,
            mask_index,
        }
    }

    /// The face bits of cube pattern `pattern` of dimension `dim`.
    pub(crate) fn cube_mask(&self, dim: usize, pattern: usize) -> u8 {
        match self {
            Geometry::Cubical { masks, .. } => masks[dim][pattern],
            Geometry::Freudenthal { .. } => panic!("face bits exist only in cubical complexes"),
        }
    }

    pub(crate) fn shape(&self) -> &Shape {
        match self {
            Geometry::Freudenthal { shape, .. } | Geometry::Cubical { shape, .. } => shape,
        }
    }

    /// The number of patterns of dimension `dim` (0 above the grid's dimension).
    pub(crate) fn n_patterns(&self, dim: usize) -> usize {
        match self {
            Geometry::Freudenthal { chains, .. } => chains.get(dim).map_or(0, Vec::len),
            Geometry::Cubical { masks, .. } => masks.get(dim).map_or(0, Vec::len),
        }
    }

    /// Write the flat vertex ids of the cell (`dim`, `code`) in pattern order into `out` and
    /// return how many there are, or `None` if the cell leaves the grid.
    pub(crate) fn vertices(&self, dim: usize, code: usize, out: &mut [usize; 16]) -> Option<usize> {
        self.cell_vertices(&self.decode(dim, code), out)
    }

    /// The cell with this code.
    pub(crate) fn decode(&self, dim: usize, code: usize) -> GridCell {
        let p = self.n_patterns(dim);
        let (anchor, pattern) = (code / p, code % p);
        let mut coords = [0usize; 4];
        self.shape().coords(anchor, &mut coords);
        GridCell {
            dim,
            anchor,
            coords,
            pattern,
        }
    }

    /// [`Geometry::vertices`] of a decoded cell.
    pub(crate) fn cell_vertices(&self, cell: &GridCell, out: &mut [usize; 16]) -> Option<usize> {
        let GridCell {
            dim,
            anchor,
            coords,
            pattern,
        } = *cell;
        match self {
            Geometry::Freudenthal {
                shape, wrap, chains, ..
            } => {
                out[0] = anchor;
                for (i, &b) in chains[dim][pattern].iter().enumerate() {
                    out[i + 1] = shape.shifted(&coords, b, *wrap)?;
                }
                Some(dim + 1)
            }
            Geometry::Cubical { shape, masks, .. } => {
                let mask = masks[dim][pattern];
                // Presence: the far corner is in the grid; then every vertex is.
                shape.shifted(&coords, mask, false)?;
                for (m, slot) in out.iter_mut().enumerate().take(1 << dim) {
                    *slot = anchor + shape.step(spread_bits(m, mask));
                }
                Some(1 << dim)
            }
        }
    }

    /// Call `f` with (anchor displacement, pattern) of every facet of pattern `pattern` of
    /// dimension `dim ≥ 1`, for grids without wrap; the facet order is that of
    /// [`Geometry::facets`].
    fn facet_template(&self, dim: usize, pattern: usize, mut f: impl FnMut(u32, u32)) {
        match self {
            Geometry::Freudenthal {
                shape,
                chains,
                chain_index,
                ..
            } => {
                let chain = &chains[dim][pattern];
                let index = &chain_index[dim - 1];
                let rebased = index[chain_key(chain[1..].iter().map(|&b| b ^ chain[0]))];
                f(shape.step(chain[0]) as u32, u32::from(rebased));
                for skip in 0..chain.len() {
                    let rest = chain.iter().enumerate().filter(|&(i, _)| i != skip).map(|(_, &b)| b);
                    f(0, u32::from(index[chain_key(rest)]));
                }
            }
            Geometry::Cubical {
                shape,
                masks,
                mask_index,
            } => {
                let mask = masks[dim][pattern];
                for a in 0..shape.n_axes() {
                    if (mask >> a) & 1 == 1 {
                        let facet = u32::from(mask_index[(mask ^ (1 << a)) as usize]);
                        f(0, facet);
                        f(shape.strides[a] as u32, facet);
                    }
                }
            }
        }
    }

    /// Call `f` with the code of every facet of (`dim`, `code`), `dim ≥ 1`.
    fn facets(&self, dim: usize, code: usize, mut f: impl FnMut(usize)) {
        let p = self.n_patterns(dim);
        let p_facet = self.n_patterns(dim - 1);
        let (anchor, pattern) = (code / p, code % p);
        let mut coords = [0usize; 4];
        self.shape().coords(anchor, &mut coords);
        match self {
            Geometry::Freudenthal {
                shape,
                wrap,
                chains,
                chain_index,
            } => {
                let chain = &chains[dim][pattern];
                let index = &chain_index[dim - 1];
                // Dropping the anchor moves it to anchor + b1 and rebases the rest of the chain.
                let new_anchor = shape
                    .shifted(&coords, chain[0], *wrap)
                    .expect("a present simplex has all its vertices in the grid");
                let rebased = index[chain_key(chain[1..].iter().map(|&b| b ^ chain[0]))] as usize;
                f(new_anchor * p_facet + rebased);
                for skip in 0..chain.len() {
                    let rest = chain.iter().enumerate().filter(|&(i, _)| i != skip).map(|(_, &b)| b);
                    f(anchor * p_facet + index[chain_key(rest)] as usize);
                }
            }
            Geometry::Cubical {
                shape,
                masks,
                mask_index,
            } => {
                let mask = masks[dim][pattern];
                for a in 0..shape.n_axes() {
                    if (mask >> a) & 1 == 1 {
                        let facet = mask_index[(mask ^ (1 << a)) as usize] as usize;
                        let far = shape
                            .shifted(&coords, 1 << a, false)
                            .expect("a present cube has all its vertices in the grid");
                        f(anchor * p_facet + facet);
                        f(far * p_facet + facet);
                    }
                }
            }
        }
    }
}

/// The facets of every pattern as (anchor displacement, facet pattern), for grids without wrap:
/// a present cell's facets are all present, so the facet codes of (anchor, pattern) are
/// `(anchor + displacement) × P_{d−1} + facet pattern`, with no coordinates to decode.
#[derive(Debug, Clone)]
struct FacetTemplates {
    /// `per_dim[d]` holds `n_facets[d]` entries per pattern of dimension d, pattern by pattern.
    per_dim: Vec<Vec<(u32, u32)>>,
    n_facets: Vec<usize>,
}

impl FacetTemplates {
    /// The templates of `geometry`, or `None` when facets can wrap around the grid.
    fn new(geometry: &Geometry, max_dim: usize) -> Option<Self> {
        if matches!(geometry, Geometry::Freudenthal { wrap: true, .. }) {
            return None;
        }
        let mut per_dim = vec![Vec::new()];
        let mut n_facets = vec![0];
        for dim in 1..=max_dim {
            let mut entries = Vec::new();
            for pattern in 0..geometry.n_patterns(dim) {
                geometry.facet_template(dim, pattern, |displacement, facet| entries.push((displacement, facet)));
            }
            n_facets.push(match geometry {
                Geometry::Freudenthal { .. } => dim + 1,
                Geometry::Cubical { .. } => 2 * dim,
            });
            per_dim.push(entries);
        }
        Some(FacetTemplates { per_dim, n_facets })
    }
}

/// The cells of a grid filtration in sid order.
#[derive(Debug, Clone)]
pub(crate) struct GridCells {
    geometry: Geometry,
    /// Per dimension, the codes in sid order.
    codes: Vec<Vec<u32>>,
    /// Per dimension, the block-local sid of every code, or `ABSENT`.
    sid_of_code: Vec<Vec<u32>>,
    facet_templates: Option<FacetTemplates>,
}

impl GridCells {
    fn code(&self, dim: usize, local: usize) -> usize {
        self.codes[dim][local] as usize
    }

    /// The number of axes if the complex is a full, unwrapped grid box, whose top cells form a
    /// D-ball: then every (D − 1)-cell is a face of one or two top cells.
    pub(crate) fn ball_dimension(&self) -> Option<usize> {
        match &self.geometry {
            Geometry::Freudenthal { wrap: true, .. } => None,
            Geometry::Freudenthal { shape, .. } | Geometry::Cubical { shape, .. } => Some(shape.n_axes()),
        }
    }

    pub(crate) fn vertices_per_cell(&self, dim: usize) -> usize {
        match self.geometry {
            Geometry::Freudenthal { .. } => dim.saturating_add(1),
            Geometry::Cubical { .. } => 1usize.checked_shl(dim as u32).unwrap_or(0),
        }
    }

    /// The ascending vertex ids of the cell with block-local sid `local`.
    pub(crate) fn sorted_vertices(&self, dim: usize, local: usize) -> Vec<u32> {
        let mut buf = [0usize; 16];
        let k = self
            .geometry
            .vertices(dim, self.code(dim, local), &mut buf)
            .expect("a stored cell is present");
        let mut v: Vec<u32> = buf[..k].iter().map(|&x| x as u32).collect();
        v.sort_unstable();
        v
    }

    /// All cells of `dim` as ascending vertex tuples, flat, in sid order.
    pub(crate) fn all_sorted_vertices(&self, dim: usize, count: usize) -> Vec<u32> {
        (0..count).flat_map(|local| self.sorted_vertices(dim, local)).collect()
    }

    /// The (dimension, block-local sid) of the cell with these ascending vertex ids.
    pub(crate) fn find(&self, vertices: &[u32]) -> Option<(usize, usize)> {
        let n_vertices = self.geometry.shape().n;
        // Every cell has 2^dim (cubes) or dim + 1 (simplices) vertices, one of them the anchor.
        let dim = match &self.geometry {
            Geometry::Freudenthal { .. } => vertices.len() - 1,
            Geometry::Cubical { .. } => {
                if !vertices.len().is_power_of_two() {
                    return None;
                }
                vertices.len().trailing_zeros() as usize
            }
        };
        let p = self.geometry.n_patterns(dim);
        let table = self.sid_of_code.get(dim)?;
        let mut buf = [0usize; 16];
        for &anchor in vertices {
            if anchor as usize >= n_vertices {
                return None;
            }
            for pattern in 0..p {
                let code = anchor as usize * p + pattern;
                if table[code] == ABSENT {
                    continue;
                }
                let k = self.geometry.vertices(dim, code, &mut buf)?;
                let cell = &mut buf[..k];
                cell.sort_unstable();
                if cell.iter().zip(vertices).all(|(&a, &b)| a == b as usize) {
                    return Some((dim, table[code] as usize));
                }
            }
        }
        None
    }

    /// Call `f(local, facet_local)` for every cell of dimension `dim ≥ 1` and each of its facets
    /// (block-local sids), visiting the cells in code order: neighbouring cells come together, so
    /// the lookups walk the code tables nearly sequentially.
    ///
    /// # Errors
    /// [`Error::Interrupted`] when cancelled.
    pub(crate) fn for_each_facet_in_code_order(
        &self,
        dim: usize,
        interrupt: &Interrupt,
        mut f: impl FnMut(usize, usize),
    ) -> Result<()> {
        let table = &self.sid_of_code[dim];
        let facet_table = &self.sid_of_code[dim - 1];
        let p = self.geometry.n_patterns(dim);
        let p_facet = self.geometry.n_patterns(dim - 1);
        for (code, &local) in table.iter().enumerate() {
            if code % 4096 == 0 {
                interrupt.check()?;
            }
            if local == ABSENT {
                continue;
            }
            match &self.facet_templates {
                Some(templates) => {
                    let k = templates.n_facets[dim];
                    let (anchor, pattern) = (code / p, code % p);
                    for &(displacement, facet) in &templates.per_dim[dim][pattern * k..(pattern + 1) * k] {
                        f(
                            local as usize,
                            facet_table[(anchor + displacement as usize) * p_facet + facet as usize] as usize,
                        );
                    }
                }
                None => self
                    .geometry
                    .facets(dim, code, |facet| f(local as usize, facet_table[facet] as usize)),
            }
        }
        Ok(())
    }

    /// Call `f` with the block-local sid of every facet of (`dim`, `local`).
    pub(crate) fn facets(&self, dim: usize, local: usize, mut f: impl FnMut(usize)) {
        let table = &self.sid_of_code[dim - 1];
        let code = self.code(dim, local);
        if let Some(templates) = &self.facet_templates {
            let p = self.geometry.n_patterns(dim);
            let p_facet = self.geometry.n_patterns(dim - 1);
            let k = templates.n_facets[dim];
            let (anchor, pattern) = (code / p, code % p);
            for &(displacement, facet) in &templates.per_dim[dim][pattern * k..(pattern + 1) * k] {
                let sid = table[(anchor + displacement as usize) * p_facet + facet as usize];
                debug_assert!(sid != ABSENT, "the facets of a present cell are present");
                f(sid as usize);
            }
            return;
        }
        self.geometry.facets(dim, code, |code| {
            let sid = table[code];
            debug_assert!(sid != ABSENT, "the facets of a present cell are present");
            f(sid as usize);
        });
    }
}

/// Build a grid filtration: for every dimension up to `max_dim`, enumerate the codes in emission
/// order, keep those for which `source_of(cell)` names the data entry the cell's value is read
/// from (it returns `None` for cells that leave the grid), and sort by (value′, code).
///
/// Every value is a data entry, so the data are sorted once, and the cells of a dimension are
/// listed source by source in that order: cells are first bucketed by source (a counting sort
/// whose reads and writes stay near the anchor being emitted, since a cell's source is a
/// neighbouring data entry), then the buckets are read in data order. Entries of equal value
/// form one group whose cells are merged by code. Time is linear in the number of cells plus
/// the sort of the data; the only scattered writes are those of the code → sid table.
///
/// # Errors
/// [`Error::TooLarge`] if the arrays cannot be allocated or the grid exceeds the index types,
/// [`Error::Interrupted`] when cancelled.
pub(crate) fn build(
    kind: Kind,
    negate: bool,
    geometry: Geometry,
    max_dim: usize,
    data: &[f64],
    source_of: impl Fn(&Geometry, &GridCell) -> Option<u32> + Sync,
    interrupt: &Interrupt,
) -> Result<Filtration> {
    let n_anchors = geometry.shape().n;
    let max_dim = (0..=max_dim).rev().find(|&d| geometry.n_patterns(d) > 0).unwrap_or(0);
    let too_large = |reason: String| Error::TooLarge {
        what: "grid filtration",
        reason,
    };
    let data_order = DataOrder::new(data, negate);
    let mut codes = Vec::with_capacity(max_dim + 1);
    let mut sid_of_code = Vec::with_capacity(max_dim + 1);
    let mut values = Vec::new();
    let mut sources = Vec::new();
    let mut starts = vec![0usize];
    let mut merge: Vec<(u32, u32)> = Vec::new();
    for dim in 0..=max_dim {
        let p = geometry.n_patterns(dim);
        let n_codes = n_anchors
            .checked_mul(p)
            .filter(|&c| c < u32::MAX as usize)
            .ok_or_else(|| too_large(format!("{n_anchors} anchors × {p} patterns in dimension {dim}")))?;
        // Present cells in code (emission) order, with their sources.
        let chunks: Vec<Vec<(u32, u32)>> = (0..n_anchors.div_ceil(ANCHOR_CHUNK))
            .into_par_iter()
            .map(|chunk| {
                interrupt.check()?;
                let anchors = chunk * ANCHOR_CHUNK..((chunk + 1) * ANCHOR_CHUNK).min(n_anchors);
                let mut out = Vec::with_capacity(anchors.len() * p);
                let mut cell = geometry.decode(dim, anchors.start * p);
                for anchor in anchors {
                    cell.anchor = anchor;
                    for pattern in 0..p {
                        cell.pattern = pattern;
                        if let Some(source) = source_of(&geometry, &cell) {
                            out.push(((anchor * p + pattern) as u32, source));
                        }
                    }
                    geometry.shape().advance(&mut cell.coords);
                }
                Ok(out)
            })
            .collect::<Result<Vec<_>>>()?;
        interrupt.check()?;
        // The cells of each source s, in code order: bucket[offsets[s]..offsets[s + 1]].
        let emitted = || chunks.iter().flatten();
        let n_cells: usize = chunks.iter().map(Vec::len).sum();
        let mut offsets = try_filled(data.len() + 1, 0u32, "grid sort")?;
        for &(_, source) in emitted() {
            offsets[source as usize + 1] += 1;
        }
        for s in 0..data.len() {
            offsets[s + 1] += offsets[s];
        }
        let mut bucket = try_filled(n_cells, 0u32, "grid sort")?;
        let mut cursor = offsets.clone();
        for &(code, source) in emitted() {
            let slot = &mut cursor[source as usize];
            bucket[*slot as usize] = code;
            *slot += 1;
        }
        drop(cursor);
        drop(chunks);
        interrupt.check()?;
        // Buckets in data order; a group of equal values merges its buckets by code.
        let start = *starts.last().expect("starts is never empty");
        let mut dim_codes = Vec::new();
        try_reserve(&mut dim_codes, n_cells, "grid cells")?;
        try_reserve(&mut sources, n_cells, "grid cells")?;
        try_reserve(&mut values, n_cells, "grid cells")?;
        let mut table = try_filled(n_codes, ABSENT, "grid code table")?;
        // Each sorted entry's bucket, read in one pass whose loads do not wait for each other
        // (the walk below would otherwise miss the cache twice per cell, one miss after the
        // other).
        let spans: Vec<(u32, u32)> = data_order
            .order
            .iter()
            .map(|&s| (offsets[s as usize], offsets[s as usize + 1]))
            .collect();
        let mut begin = 0usize;
        for &end in &data_order.ends {
            let end = end as usize;
            if end == begin + 1 {
                let (s, (lo, hi)) = (data_order.order[begin], spans[begin]);
                for &code in &bucket[lo as usize..hi as usize] {
                    table[code as usize] = dim_codes.len() as u32;
                    dim_codes.push(code);
                }
                sources.extend(std::iter::repeat_n(s, (hi - lo) as usize));
                values.extend(std::iter::repeat_n(data_order.values[begin], (hi - lo) as usize));
            } else {
                merge.clear();
                for (k, &(lo, hi)) in spans.iter().enumerate().take(end).skip(begin) {
                    merge.extend(bucket[lo as usize..hi as usize].iter().map(|&code| (code, k as u32)));
                }
                merge.sort_unstable();
                for &(code, k) in &merge {
                    table[code as usize] = dim_codes.len() as u32;
                    dim_codes.push(code);
                    sources.push(data_order.order[k as usize]);
                    values.push(data_order.values[k as usize]);
                }
            }
            begin = end;
        }
        debug_assert_eq!(dim_codes.len(), n_cells);
        if start + n_cells >= u32::MAX as usize {
            return Err(too_large(format!("more than {} cells", u32::MAX - 1)));
        }
        starts.push(start + n_cells);
        codes.push(dim_codes);
        sid_of_code.push(table);
    }
    let cells = GridCells {
        facet_templates: FacetTemplates::new(&geometry, max_dim),
        geometry,
        codes,
        sid_of_code,
    };
    Ok(Filtration::from_grid(kind, negate, cells, values, sources, starts))
}

/// The data entries in filtration order, by (order key, index), cut into groups of equal values
/// (−0.0 and 0.0 are equal).
pub(crate) struct DataOrder {
    pub(crate) order: Vec<u32>,
    /// `data[order[k]]`.
    pub(crate) values: Vec<f64>,
    /// Group g is `order[ends[g − 1]..ends[g]]`.
    pub(crate) ends: Vec<u32>,
}

impl DataOrder {
    /// Radix sort on the high 32 bits of the order keys (sign, exponent and the leading mantissa
    /// bits: three passes over 12-byte items), then a comparison sort of each run of equal high
    /// halves by (low half, index). Runs are short unless the data crowd into a relative width of
    /// about 10^-6.
    pub(crate) fn new(data: &[f64], negate: bool) -> Self {
        let mut items: Vec<(u32, u32, u32)> = data
            .par_iter()
            .enumerate()
            .map(|(i, &v)| {
                let key = order_key(v, negate);
                ((key >> 32) as u32, key as u32, i as u32)
            })
            .collect();
        radix::radix_sort_by_key(&mut items, |&(high, _, _)| u64::from(high));
        let mut ends = Vec::with_capacity(data.len());
        let mut begin = 0;
        while begin < items.len() {
            let high = items[begin].0;
            let mut end = begin + 1;
            while end < items.len() && items[end].0 == high {
                end += 1;
            }
            let run = &mut items[begin..end];
            if run.len() > 1 {
                run.sort_unstable_by_key(|&(_, low, i)| (low, i));
            }
            for k in begin + 1..end {
                if items[k].1 != items[k - 1].1 {
                    ends.push(k as u32);
                }
            }
            ends.push(end as u32);
            begin = end;
        }
        let order: Vec<u32> = items.into_iter().map(|(_, _, i)| i).collect();
        DataOrder {
            values: order.iter().map(|&i| data[i as usize]).collect(),
            order,
            ends,
        }
    }

    /// For every data entry, the index of its group: entries compare in the filtration order as
    /// their ranks do, and equal values have equal ranks.
    pub(crate) fn dense_ranks(&self) -> Result<Vec<u32>> {
        let mut rank = try_filled(self.order.len(), 0u32, "data ranks")?;
        let mut begin = 0usize;
        for (g, &end) in self.ends.iter().enumerate() {
            for &i in &self.order[begin..end as usize] {
                rank[i as usize] = g as u32;
            }
            begin = end as usize;
        }
        Ok(rank)
    }
}

/// The first of `indices` at which `data` attains its extreme (max, or min when `take_max` is
/// false) over them.
pub(crate) fn extreme(data: &[f64], indices: &[usize], take_max: bool) -> u32 {
    let mut best = indices[0];
    for &i in &indices[1..] {
        let better = if take_max {
            data[i] > data[best]
        } else {
            data[i] < data[best]
        };
        if better {
            best = i;
        }
    }
    best as u32
}

/// Check that grid data is non-empty, matches its shape, fits the index types and is finite.
pub(crate) fn validate(data: &[f64], shape: &[usize]) -> Result<()> {
    if shape.is_empty() || shape.len() > 4 {
        return Err(Error::ShapeMismatch {
            name: "data",
            expected: "a 1-D to 4-D array".into(),
            found: format!("{} axes", shape.len()),
        });
    }
    let n: usize = shape.iter().product();
    if n == 0 || n != data.len() {
        return Err(Error::ShapeMismatch {
            name: "data",
            expected: format!("{shape:?} with no empty axis"),
            found: format!("{} values", data.len()),
        });
    }
    if n >= (u32::MAX / 16) as usize {
        return Err(Error::TooLarge {
            what: "grid",
            reason: format!("{n} entries"),
        });
    }
    let bad: Vec<usize> = (0..n).filter(|&k| !data[k].is_finite()).collect();
    if let Some(&first_idx) = bad.first() {
        return Err(Error::NonFiniteValue {
            name: "data",
            count: bad.len(),
            first_idx,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filtration::cubical::{cube_filtration, CubeParams, ValuesOn};
    use crate::filtration::freudenthal::{freudenthal_filtration, FreudenthalParams};

    /// Facets from the templates, from the coordinate path, and in code order agree cell by cell.
    fn check_facet_paths(fil: &Filtration) {
        let grid = fil.grid_cells().expect("a grid filtration");
        assert!(grid.facet_templates.is_some());
        for dim in 1..=fil.max_dim() {
            let mut by_template = Vec::new();
            for local in 0..fil.dim_range(dim).len() {
                let mut from_templates = Vec::new();
                grid.facets(dim, local, |f| from_templates.push(f));
                let mut from_coords = Vec::new();
                grid.geometry.facets(dim, grid.code(dim, local), |code| {
                    from_coords.push(grid.sid_of_code[dim - 1][code] as usize);
                });
                assert_eq!(from_templates, from_coords, "dimension {dim}, cell {local}");
                by_template.extend(from_templates.iter().map(|&f| (local, f)));
            }
            let mut in_code_order = Vec::new();
            grid.for_each_facet_in_code_order(dim, &Interrupt::never(), |cell, facet| {
                in_code_order.push((cell, facet));
            })
            .unwrap();
            by_template.sort_unstable();
            in_code_order.sort_unstable();
            assert_eq!(by_template, in_code_order, "dimension {dim}");
        }
    }

    #[test]
    fn facet_templates_agree_with_grid_coordinates() {
        for shape in [vec![5], vec![4, 3], vec![3, 1, 4], vec![3, 2, 3], vec![2, 2, 2, 3]] {
            let n: usize = shape.iter().product();
            let data: Vec<f64> = (0..n).map(|k| ((k * 7919) % 13) as f64).collect();
            let never = Interrupt::never();
            let freudenthal = FreudenthalParams {
                negate: false,
                wrap: false,
                max_dim: 4,
            };
            check_facet_paths(&freudenthal_filtration(&data, &shape, &freudenthal, &never).unwrap());
            for values_on in [ValuesOn::Vertices, ValuesOn::Cells] {
                let params = CubeParams {
                    negate: true,
                    max_dim: 4,
                    values_on,
                };
                check_facet_paths(&cube_filtration(&data, &shape, &params, &never).unwrap());
            }
        }
    }

    #[test]
    fn wrapped_grids_have_no_templates() {
        let data: Vec<f64> = (0..9).map(f64::from).collect();
        let params = FreudenthalParams {
            negate: false,
            wrap: true,
            max_dim: 2,
        };
        let fil = freudenthal_filtration(&data, &[3, 3], &params, &Interrupt::never()).unwrap();
        assert!(fil.grid_cells().unwrap().facet_templates.is_none());
    }
}
