//! The Delaunay family: alpha, weak alpha and Čech–Delaunay filtrations of 2-D and 3-D points.
//!
//! All three share the complex: the Delaunay triangulation of the distinct points
//! ([`crate::geometry::delaunay`]) with all its faces, emitted per dimension in lexicographic
//! order of vertex tuples. They differ in the value of a simplex, always on the squared-radius
//! scale (or its square root with `squared = false`):
//!
//! - **alpha**: processed from the top dimension down; a simplex is *Gabriel* if no vertex of a
//!   cofacet lies strictly inside its smallest circumsphere (decided exactly), and then takes its
//!   squared circumradius; otherwise it takes the minimum value over its cofacets, the earliest
//!   in filtration order on ties (Edelsbrunner and Mücke, "Three-dimensional alpha shapes", ACM
//!   TOG 13, 1994, doi:10.1145/174462.156635);
//! - **weak alpha**: the squared circumradius of the longest edge, (length)²/4, through the
//!   critical edge of the Vietoris–Rips rule;
//! - **Čech–Delaunay**: the squared radius of the minimum enclosing ball of the vertices
//!   (Bauer and Edelsbrunner, "The Morse theory of Čech and Delaunay complexes", Trans. AMS 369,
//!   2017, doi:10.1090/tran/6991), by the closed-form candidates of the specification.
//!
//! Each cell records the simplex whose closed form gives its value (its *source*: the attaching
//! simplex for alpha, the simplex defining the minimum enclosing ball for Čech–Delaunay, the
//! critical edge for weak alpha), so that the value can be re-evaluated differentiably.
//! A monotonicity guard raises a cell to its largest facet value where rounding made it smaller.

use rayon::prelude::*;

use crate::error::{try_filled, Result};
use crate::filtration::{Filtration, Kind, LexBlock, Precision};
use crate::geometry::{
    delaunay, edge_radius2, exact, padded_points, squared_distance, tetrahedron_radius2, triangle_circumcenter,
    triangle_radius2,
};
use crate::interrupt::Interrupt;

/// Parameters shared by the three Delaunay builders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DelaunayParams {
    /// Squared radii (`true`) or radii (`false`).
    pub squared: bool,
    /// The precision values are rounded to before sorting.
    pub precision: Precision,
}

impl DelaunayParams {
    /// The stored value of a squared radius: rounded, and square-rooted unless `squared`.
    fn value(&self, radius2: f64) -> f64 {
        self.precision
            .round(if self.squared { radius2 } else { radius2.sqrt() })
    }
}

/// The simplices of one dimension in lexicographic order, with a per-first-vertex index.
struct Block {
    width: usize,
    tuples: Vec<u32>,
    by_first: Vec<u32>,
}

impl Block {
    fn new(width: usize, tuples: Vec<u32>, n_vertex_ids: usize) -> Result<Self> {
        let mut by_first = try_filled(n_vertex_ids + 1, 0u32, "delaunay index")?;
        for t in tuples.chunks(width) {
            by_first[t[0] as usize + 1] += 1;
        }
        for v in 0..n_vertex_ids {
            by_first[v + 1] += by_first[v];
        }
        Ok(Block {
            width,
            tuples,
            by_first,
        })
    }

    fn len(&self) -> usize {
        self.tuples.len() / self.width
    }

    fn tuple(&self, i: usize) -> &[u32] {
        &self.tuples[i * self.width..(i + 1) * self.width]
    }

    /// The lexicographic index of a tuple that is known to be present.
    fn find(&self, key: &[u32]) -> usize {
        let first = key[0] as usize;
        let (mut lo, mut hi) = (self.by_first[first] as usize, self.by_first[first + 1] as usize);
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.tuple(mid).cmp(key) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return mid,
            }
        }
        panic!("a Delaunay complex contains every face of its simplices");
    }
}

/// The Delaunay complex with all faces, per dimension, and the facets of every simplex.
struct Complex {
    points: Vec<[f64; 3]>,
    blocks: Vec<Block>,
    /// `facets[d]`, stride d + 1: the lexicographic indices of the facets of each d-simplex, in
    /// lexicographic order of the facets (facet j omits vertex d − j). Empty for d = 0.
    facets: Vec<Vec<u32>>,
    /// `offsets[d]`: the global lexicographic index of the first d-simplex.
    offsets: Vec<usize>,
}

impl Complex {
    fn build(coords: &[f64], n_points: usize, n_dims: usize, interrupt: &Interrupt) -> Result<Self> {
        let dt = delaunay(coords, n_points, n_dims, interrupt)?;
        let points = padded_points(coords, n_dims);
        let top = dt.dim;
        let mut tuples_per_dim: Vec<Vec<u32>> = vec![dt.vertices.clone()];
        for d in 1..top {
            let w = d + 1;
            let faces_per_top = binomial(top + 1, w);
            let mut faces: Vec<[u32; 4]> = try_filled(
                dt.simplices.len() / (top + 1) * faces_per_top,
                [0u32; 4],
                "delaunay faces",
            )?;
            faces
                .par_chunks_mut(faces_per_top)
                .zip(dt.simplices.par_chunks(top + 1))
                .for_each(|(out, simplex)| {
                    let mut k = 0;
                    for_each_subset(simplex, w, |s| {
                        out[k][..w].copy_from_slice(s);
                        k += 1;
                    });
                });
            faces.par_sort_unstable();
            faces.dedup();
            tuples_per_dim.push(faces.iter().flat_map(|f| f[..w].iter().copied()).collect());
            interrupt.check()?;
        }
        if top > 0 {
            tuples_per_dim.push(dt.simplices);
        }
        let n_vertex_ids = n_points;
        let mut blocks = Vec::with_capacity(top + 1);
        for (d, tuples) in tuples_per_dim.into_iter().enumerate() {
            blocks.push(Block::new(d + 1, tuples, n_vertex_ids)?);
        }
        let mut facets = vec![Vec::new()];
        for d in 1..=top {
            let (lower, block) = (&blocks[d - 1], &blocks[d]);
            let mut f = try_filled(block.len() * (d + 1), 0u32, "delaunay facets")?;
            f.par_chunks_mut(d + 1).enumerate().for_each(|(i, out)| {
                let s = block.tuple(i);
                let mut key = [0u32; 4];
                for (j, slot) in out.iter_mut().enumerate() {
                    let skip = d - j;
                    let mut m = 0;
                    for (k, &v) in s.iter().enumerate() {
                        if k != skip {
                            key[m] = v;
                            m += 1;
                        }
                    }
                    *slot = lower.find(&key[..d]) as u32;
                }
            });
            facets.push(f);
            interrupt.check()?;
        }
        let mut offsets = vec![0usize];
        for b in &blocks {
            offsets.push(offsets.last().copied().unwrap_or(0) + b.len());
        }
        Ok(Complex {
            points,
            blocks,
            facets,
            offsets,
        })
    }

    fn top(&self) -> usize {
        self.blocks.len() - 1
    }

    fn point(&self, v: u32) -> &[f64; 3] {
        &self.points[v as usize]
    }

    /// The squared circumradius of the lexicographically i-th d-simplex. A simplex whose
    /// closed form underflows to 0/0 (coordinate differences spanning more than about 150
    /// orders of magnitude within one simplex) gets +∞ rather than NaN.
    fn radius2(&self, d: usize, i: usize) -> f64 {
        let s = self.blocks[d].tuple(i);
        let r2 = match d {
            0 => 0.0,
            1 => edge_radius2(self.point(s[0]), self.point(s[1])),
            2 => triangle_radius2(self.point(s[0]), self.point(s[1]), self.point(s[2])),
            _ => tetrahedron_radius2(self.point(s[0]), self.point(s[1]), self.point(s[2]), self.point(s[3])),
        };
        if r2.is_nan() {
            f64::INFINITY
        } else {
            r2
        }
    }

    /// Per dimension, values and (global lexicographic) sources, assembled into a filtration
    /// after the monotonicity guard.
    fn into_filtration(self, kind: Kind, mut values: Vec<Vec<f64>>, mut sources: Vec<Vec<u32>>) -> Result<Filtration> {
        // Monotonicity guard: dimension by dimension upwards, so facets are final when read.
        for d in 1..=self.top() {
            let (lower_values, upper_values) = values.split_at_mut(d);
            let (lower_sources, upper_sources) = sources.split_at_mut(d);
            let (fv, fs) = (&lower_values[d - 1], &lower_sources[d - 1]);
            let facets = &self.facets[d];
            upper_values[0]
                .par_iter_mut()
                .zip(upper_sources[0].par_iter_mut())
                .enumerate()
                .for_each(|(i, (value, source))| {
                    let mut best: Option<usize> = None;
                    for &f in &facets[i * (d + 1)..(i + 1) * (d + 1)] {
                        let f = f as usize;
                        if best.is_none_or(|b| fv[f] > fv[b]) {
                            best = Some(f);
                        }
                    }
                    if let Some(b) = best {
                        if fv[b] > *value {
                            *value = fv[b];
                            *source = fs[b];
                        }
                    }
                });
        }
        let offsets = self.offsets;
        let blocks: Vec<LexBlock> = self
            .blocks
            .into_iter()
            .zip(values)
            .zip(sources)
            .map(|((block, values), sources)| LexBlock {
                vertices: block.tuples,
                values,
                sources,
            })
            .collect();
        Filtration::from_lex_blocks(kind, false, blocks, |fil, dim, source| {
            if dim == 0 {
                return source;
            }
            let source = source as usize;
            let d = offsets.partition_point(|&o| o <= source) - 1;
            fil.sid_of_lex(d, source - offsets[d])
        })
    }

    /// Vertices: value 0, source the vertex id itself.
    fn vertex_values(&self) -> (Vec<f64>, Vec<u32>) {
        (vec![0.0; self.blocks[0].len()], self.blocks[0].tuples.clone())
    }
}

fn binomial(n: usize, k: usize) -> usize {
    (0..k).fold(1, |acc, i| acc * (n - i) / (i + 1))
}

/// Call `f` on every `k`-subset of `s` (ascending), in lexicographic order.
fn for_each_subset(s: &[u32], k: usize, mut f: impl FnMut(&[u32])) {
    let n = s.len();
    let mut idx: Vec<usize> = (0..k).collect();
    let mut buf = vec![0u32; k];
    loop {
        for (b, &i) in buf.iter_mut().zip(&idx) {
            *b = s[i];
        }
        f(&buf);
        let Some(pos) = (0..k).rev().find(|&p| idx[p] != p + n - k) else {
            return;
        };
        idx[pos] += 1;
        for q in pos + 1..k {
            idx[q] = idx[q - 1] + 1;
        }
    }
}

/// Build the alpha filtration of an (n, 2) or (n, 3) point cloud (row-major `coords`).
///
/// Values are squared alpha values (the CGAL and GUDHI convention), or their square roots with
/// `squared = false`; each cell's source is its attaching simplex.
///
/// # Errors
/// [`crate::Error::ShapeMismatch`] or [`crate::Error::NonFiniteValue`] for invalid input,
/// [`crate::Error::TooLarge`] if memory runs out, [`crate::Error::Interrupted`] when cancelled.
///
/// # Examples
/// ```
/// use oineus_diff_core::filtration::delaunay::{alpha_filtration, DelaunayParams};
/// use oineus_diff_core::filtration::Precision;
/// use oineus_diff_core::Interrupt;
///
/// // An obtuse triangle: the long edge is not Gabriel and enters with the triangle.
/// let pts = [0.0, 0.0, 2.0, 0.0, 1.0, 0.1];
/// let params = DelaunayParams { squared: true, precision: Precision::Double };
/// let fil = alpha_filtration(&pts, 3, 2, &params, &Interrupt::never()).unwrap();
/// let edge = fil.sorted_id(&[0, 1]).unwrap();
/// assert_eq!(fil.values()[edge], fil.values()[6]);
/// ```
pub fn alpha_filtration(
    coords: &[f64],
    n_points: usize,
    n_dims: usize,
    params: &DelaunayParams,
    interrupt: &Interrupt,
) -> Result<Filtration> {
    let cx = Complex::build(coords, n_points, n_dims, interrupt)?;
    let top = cx.top();
    let mut values: Vec<Vec<f64>> = vec![Vec::new(); top + 1];
    let mut sources: Vec<Vec<u32>> = vec![Vec::new(); top + 1];
    for d in (1..=top).rev() {
        let n = cx.blocks[d].len();
        let own: Vec<f64> = (0..n).into_par_iter().map(|i| params.value(cx.radius2(d, i))).collect();
        let mut src: Vec<u32> = (0..n as u32).map(|i| i + cx.offsets[d] as u32).collect();
        let mut val = own;
        if d < top {
            // Per cofacet τ: which of its facets it makes non-Gabriel (vertex opposite inside).
            let block = &cx.blocks[d + 1];
            let facets = &cx.facets[d + 1];
            let violated: Vec<u8> = (0..block.len())
                .into_par_iter()
                .map(|t| {
                    let s = block.tuple(t);
                    let mut mask = 0u8;
                    for j in 0..=d + 1 {
                        let opposite = cx.point(s[d + 1 - j]);
                        let face: Vec<&[f64; 3]> = s
                            .iter()
                            .enumerate()
                            .filter(|&(k, _)| k != d + 1 - j)
                            .map(|(_, &v)| cx.point(v))
                            .collect();
                        let inside = match d {
                            1 => exact::strictly_inside_diametral_ball(face[0], face[1], opposite),
                            _ => exact::strictly_inside_diametral_sphere(face[0], face[1], face[2], opposite),
                        };
                        if inside {
                            mask |= 1 << j;
                        }
                    }
                    mask
                })
                .collect();
            interrupt.check()?;
            let (up_values, up_sources) = (&values[d + 1], &sources[d + 1]);
            let mut gabriel = vec![true; n];
            // The cofacet with the smallest (value, lexicographic index): the earliest in
            // filtration order.
            let mut best: Vec<u32> = vec![u32::MAX; n];
            for t in 0..block.len() {
                for j in 0..=d + 1 {
                    let f = facets[t * (d + 2) + j] as usize;
                    if violated[t] >> j & 1 == 1 {
                        gabriel[f] = false;
                    }
                    let b = best[f];
                    if b == u32::MAX || up_values[t] < up_values[b as usize] {
                        best[f] = t as u32;
                    }
                }
            }
            for i in 0..n {
                if !gabriel[i] {
                    let b = best[i] as usize;
                    val[i] = up_values[b];
                    src[i] = up_sources[b];
                }
            }
        }
        values[d] = val;
        sources[d] = src;
        interrupt.check()?;
    }
    let (v0, s0) = cx.vertex_values();
    values[0] = v0;
    sources[0] = s0;
    cx.into_filtration(Kind::Alpha, values, sources)
}

/// Build the Čech–Delaunay filtration of an (n, 2) or (n, 3) point cloud (row-major `coords`).
///
/// A simplex takes the squared radius of the minimum enclosing ball of its vertices: for an
/// obtuse triangle the diametral ball of its longest edge, otherwise its circumball; for a
/// tetrahedron the smallest of its circumsphere and the balls of its faces that contain the
/// opposite vertex (relative tolerance of 4 machine epsilons), ties to the circumsphere, then to
/// faces in lexicographic order. Each cell's source is the simplex defining that ball.
///
/// # Errors
/// As [`alpha_filtration`].
///
/// # Examples
/// ```
/// use oineus_diff_core::filtration::delaunay::{cech_delaunay_filtration, DelaunayParams};
/// use oineus_diff_core::filtration::Precision;
/// use oineus_diff_core::Interrupt;
///
/// let pts = [0.0, 0.0, 2.0, 0.0, 1.0, 0.1];
/// let params = DelaunayParams { squared: true, precision: Precision::Double };
/// let fil = cech_delaunay_filtration(&pts, 3, 2, &params, &Interrupt::never()).unwrap();
/// assert_eq!(fil.values()[6], 1.0); // the triangle: the ball with diameter (0, 1)
/// ```
pub fn cech_delaunay_filtration(
    coords: &[f64],
    n_points: usize,
    n_dims: usize,
    params: &DelaunayParams,
    interrupt: &Interrupt,
) -> Result<Filtration> {
    let cx = Complex::build(coords, n_points, n_dims, interrupt)?;
    let top = cx.top();
    // Per dimension, (squared radius, global source) of each simplex's minimum enclosing ball.
    let mut balls: Vec<Vec<(f64, u32)>> = vec![Vec::new(); top + 1];
    for d in 1..=top {
        let n = cx.blocks[d].len();
        let offset = cx.offsets[d] as u32;
        let lower = &balls[d - 1];
        let facets = &cx.facets[d];
        let block = &cx.blocks[d];
        let this: Vec<(f64, u32)> = (0..n)
            .into_par_iter()
            .map(|i| {
                let s = block.tuple(i);
                let own = (cx.radius2(d, i), offset + i as u32);
                match d {
                    1 => own,
                    2 => {
                        // Facets in lexicographic order: (s0 s1), (s0 s2), (s1 s2).
                        let f = &facets[i * 3..i * 3 + 3];
                        let l = [
                            squared_distance(cx.point(s[0]), cx.point(s[1])),
                            squared_distance(cx.point(s[0]), cx.point(s[2])),
                            squared_distance(cx.point(s[1]), cx.point(s[2])),
                        ];
                        let longest = (0..3).fold(0, |b, k| if l[k] > l[b] { k } else { b });
                        let others: f64 = (0..3).filter(|&k| k != longest).map(|k| l[k]).sum();
                        if l[longest] > others {
                            lower[f[longest] as usize]
                        } else {
                            own
                        }
                    }
                    _ => {
                        let mut best = own;
                        for j in 0..4 {
                            let (radius2, source) = lower[facets[i * 4 + j] as usize];
                            let opposite = cx.point(s[3 - j]);
                            let center = ball_center(&cx, source);
                            let inside = squared_distance(&center, opposite) <= radius2 * (1.0 + 4.0 * f64::EPSILON);
                            if inside && radius2 < best.0 {
                                best = (radius2, source);
                            }
                        }
                        best
                    }
                }
            })
            .collect();
        balls[d] = this;
        interrupt.check()?;
    }
    let (v0, s0) = cx.vertex_values();
    let mut values = vec![v0];
    let mut sources = vec![s0];
    for ball in balls.into_iter().skip(1) {
        values.push(ball.iter().map(|&(r2, _)| params.value(r2)).collect());
        sources.push(ball.into_iter().map(|(_, s)| s).collect());
    }
    cx.into_filtration(Kind::CechDelaunay, values, sources)
}

/// The centre of the circumball of the simplex with this global lexicographic index (an edge
/// or a triangle).
fn ball_center(cx: &Complex, global: u32) -> [f64; 3] {
    let global = global as usize;
    let d = cx.offsets.partition_point(|&o| o <= global) - 1;
    let s = cx.blocks[d].tuple(global - cx.offsets[d]);
    if d == 1 {
        let (p, q) = (cx.point(s[0]), cx.point(s[1]));
        [(p[0] + q[0]) / 2.0, (p[1] + q[1]) / 2.0, (p[2] + q[2]) / 2.0]
    } else {
        triangle_circumcenter(cx.point(s[0]), cx.point(s[1]), cx.point(s[2]))
    }
}

/// Build the weak alpha filtration of an (n, 2) or (n, 3) point cloud (row-major `coords`).
///
/// A simplex takes the squared circumradius of its longest edge, (length)²/4; its source is its
/// critical edge, chosen by the Vietoris–Rips rule (among longest edges, the smallest as
/// (larger vertex, smaller vertex)).
///
/// # Errors
/// As [`alpha_filtration`].
///
/// # Examples
/// ```
/// use oineus_diff_core::filtration::delaunay::{weak_alpha_filtration, DelaunayParams};
/// use oineus_diff_core::filtration::Precision;
/// use oineus_diff_core::Interrupt;
///
/// let pts = [0.0, 0.0, 2.0, 0.0, 1.0, 0.1];
/// let params = DelaunayParams { squared: true, precision: Precision::Double };
/// let fil = weak_alpha_filtration(&pts, 3, 2, &params, &Interrupt::never()).unwrap();
/// assert_eq!(fil.critical_edges()[6], [1, 0]);
/// ```
pub fn weak_alpha_filtration(
    coords: &[f64],
    n_points: usize,
    n_dims: usize,
    params: &DelaunayParams,
    interrupt: &Interrupt,
) -> Result<Filtration> {
    let cx = Complex::build(coords, n_points, n_dims, interrupt)?;
    let top = cx.top();
    let (v0, s0) = cx.vertex_values();
    let mut values = vec![v0];
    let mut sources = vec![s0];
    if top >= 1 {
        let n = cx.blocks[1].len();
        values.push((0..n).into_par_iter().map(|i| params.value(cx.radius2(1, i))).collect());
        sources.push((0..n as u32).map(|i| i + cx.offsets[1] as u32).collect());
    }
    let edges = &cx.blocks[1.min(top)];
    let edge_offset = cx.offsets[1.min(top)];
    // The Vietoris–Rips order of critical edges: larger value first, then (larger vertex,
    // smaller vertex) ascending.
    let beats = |(va, ea): (f64, u32), (vb, eb): (f64, u32)| -> bool {
        if va != vb {
            return va > vb;
        }
        let (a, b) = (
            edges.tuple(ea as usize - edge_offset),
            edges.tuple(eb as usize - edge_offset),
        );
        (a[1], a[0]) < (b[1], b[0])
    };
    for d in 2..=top {
        let n = cx.blocks[d].len();
        let (fv, fs) = (&values[d - 1], &sources[d - 1]);
        let facets = &cx.facets[d];
        let chosen: Vec<(f64, u32)> = (0..n)
            .into_par_iter()
            .map(|i| {
                let mut best: Option<(f64, u32)> = None;
                for &f in &facets[i * (d + 1)..(i + 1) * (d + 1)] {
                    let cand = (fv[f as usize], fs[f as usize]);
                    if best.is_none_or(|b| beats(cand, b)) {
                        best = Some(cand);
                    }
                }
                best.expect("a simplex of dimension >= 2 has facets")
            })
            .collect();
        values.push(chosen.iter().map(|c| c.0).collect());
        sources.push(chosen.into_iter().map(|c| c.1).collect());
    }
    cx.into_filtration(Kind::WeakAlpha, values, sources)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOUBLE: DelaunayParams = DelaunayParams {
        squared: true,
        precision: Precision::Double,
    };

    fn cells_and_values(fil: &Filtration) -> Vec<(Vec<u32>, f64)> {
        (0..fil.size())
            .map(|s| (fil.cell(s).unwrap(), fil.values()[s]))
            .collect()
    }

    fn value_of(fil: &Filtration, cell: &[u32]) -> f64 {
        fil.values()[fil.sorted_id(cell).unwrap()]
    }

    #[test]
    fn unit_tetrahedron_matches_the_spec_vectors() {
        let pts = [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
        let never = Interrupt::never();
        let alpha = alpha_filtration(&pts, 4, 3, &DOUBLE, &never).unwrap();
        let cech = cech_delaunay_filtration(&pts, 4, 3, &DOUBLE, &never).unwrap();
        let weak = weak_alpha_filtration(&pts, 4, 3, &DOUBLE, &never).unwrap();
        for fil in [&alpha, &cech, &weak] {
            assert_eq!(fil.size(), 15);
            assert_eq!(value_of(fil, &[0, 1]), 0.25);
            assert_eq!(value_of(fil, &[1, 2]), 0.5);
            assert_eq!(value_of(fil, &[0, 1, 2]), 0.5);
        }
        assert_eq!(value_of(&alpha, &[1, 2, 3]), 0.75);
        assert_eq!(value_of(&alpha, &[0, 1, 2, 3]), 0.75);
        assert!((value_of(&cech, &[1, 2, 3]) - 2.0 / 3.0).abs() < 1e-15);
        assert!((value_of(&cech, &[0, 1, 2, 3]) - 2.0 / 3.0).abs() < 1e-15);
        assert_eq!(value_of(&weak, &[1, 2, 3]), 0.5);
        assert_eq!(value_of(&weak, &[0, 1, 2, 3]), 0.5);
    }

    #[test]
    fn obtuse_triangle_long_edge_attaches_to_the_triangle() {
        let pts = [0.0, 0.0, 2.0, 0.0, 1.0, 0.1];
        let never = Interrupt::never();
        let alpha = alpha_filtration(&pts, 3, 2, &DOUBLE, &never).unwrap();
        let r2 = value_of(&alpha, &[0, 1, 2]);
        assert!((r2 - 25.5025).abs() < 1e-12);
        assert_eq!(value_of(&alpha, &[0, 1]), r2);
        assert!((value_of(&alpha, &[0, 2]) - 0.2525).abs() < 1e-15);
        let cech = cech_delaunay_filtration(&pts, 3, 2, &DOUBLE, &never).unwrap();
        assert_eq!(value_of(&cech, &[0, 1, 2]), 1.0);
        let src = cech.sources()[cech.sorted_id(&[0, 1, 2]).unwrap()];
        assert_eq!(cech.cell(src as usize).unwrap(), vec![0, 1]);
    }

    #[test]
    fn collinear_points_give_a_path() {
        let pts = [0.0, 0.0, 1.0, 0.0, 3.0, 0.0];
        let fil = alpha_filtration(&pts, 3, 2, &DOUBLE, &Interrupt::never()).unwrap();
        let cells = cells_and_values(&fil);
        assert_eq!(
            cells,
            vec![
                (vec![0], 0.0),
                (vec![1], 0.0),
                (vec![2], 0.0),
                (vec![0, 1], 0.25),
                (vec![1, 2], 1.0)
            ]
        );
    }

    #[test]
    fn duplicates_keep_the_lowest_index() {
        let pts = [0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, -0.0, 0.0];
        let fil = alpha_filtration(&pts, 5, 2, &DOUBLE, &Interrupt::never()).unwrap();
        assert_eq!(fil.dim_range(0).len(), 3);
        assert!(fil.sorted_id(&[1]).is_err());
        assert!(fil.sorted_id(&[4]).is_err());
        assert!(fil.sorted_id(&[0, 2, 3]).is_ok());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

        /// The top dimension comes from the dual-graph union-find (a Delaunay complex is a
        /// ball); both sides must give the pairs of the canonical reduction.
        #[test]
        fn pairs_equal_the_canonical_reduction(
            coords in proptest::collection::vec(-4i32..=4, 6..90),
            d in 2usize..=3,
            builder in 0u8..3,
        ) {
            use crate::reduction::{canonical_pairs, persistence_pairs, Side};
            let n = coords.len() / d;
            let pts: Vec<f64> = coords[..n * d].iter().map(|&x| f64::from(x) * 0.37).collect();
            let never = Interrupt::never();
            let fil = match builder {
                0 => alpha_filtration(&pts, n, d, &DOUBLE, &never),
                1 => weak_alpha_filtration(&pts, n, d, &DOUBLE, &never),
                _ => cech_delaunay_filtration(&pts, n, d, &DOUBLE, &never),
            }
            .unwrap();
            let expected = canonical_pairs(&fil);
            proptest::prop_assert_eq!(&persistence_pairs(&fil, Side::Homology, &never).unwrap(), &expected);
            proptest::prop_assert_eq!(&persistence_pairs(&fil, Side::Cohomology, &never).unwrap(), &expected);
        }
    }

    #[test]
    fn subsets_are_lexicographic() {
        let mut out = Vec::new();
        for_each_subset(&[1, 4, 6, 9], 2, |s| out.push(s.to_vec()));
        assert_eq!(
            out,
            vec![vec![1, 4], vec![1, 6], vec![1, 9], vec![4, 6], vec![4, 9], vec![6, 9]]
        );
    }
}
