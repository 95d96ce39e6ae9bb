//! Vietoris-Rips filtrations of point clouds and distance matrices.
//!
//! Cells are the cliques of the threshold graph (edges of length ≤ `max_diameter`) with at most
//! `max_dim + 1` vertices, enumerated depth-first in lexicographic order, which is the emission
//! order. A simplex takes the value of its **critical edge**: among its longest edges, the one
//! smallest as (larger vertex, smaller vertex) in lexicographic order.
//!
//! Reference: Zomorodian, "Fast construction of the Vietoris-Rips complex" (2010), for the
//! incremental clique expansion over ordered neighbourhoods.

use rayon::prelude::*;

use crate::error::{try_filled, try_reserve, Error, MemoryBudget, Result};
use crate::filtration::{Filtration, Kind, LexBlock, Precision};
use crate::interrupt::Interrupt;

/// Where the distances come from.
#[derive(Debug, Clone, Copy)]
pub enum VrInput<'a> {
    /// A point cloud, row-major, `n_points × n_dims`.
    Points {
        /// The coordinates, row-major.
        coords: &'a [f64],
        /// The number of points n ≥ 1.
        n_points: usize,
        /// The ambient dimension d ≥ 1.
        n_dims: usize,
    },
    /// A row-major `n × n` distance matrix; only the strictly lower triangle is read.
    Distances {
        /// The matrix entries, row-major.
        matrix: &'a [f64],
        /// The number of points n ≥ 1.
        n_points: usize,
    },
}

/// Parameters of [`vr_filtration`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VrParams {
    /// The largest simplex dimension built.
    pub max_dim: usize,
    /// Keep simplices whose edges are all at most this long; `None` means the enclosing
    /// radius × 1.00001. `f64::INFINITY` keeps everything.
    pub max_diameter: Option<f64>,
    /// With `eps > 0` (points only), every value becomes sqrt(d² + eps), vertices included.
    pub eps: f64,
    /// The precision values are rounded to before sorting.
    pub precision: Precision,
}

impl<'a> VrInput<'a> {
    pub(crate) fn n_points(&self) -> usize {
        match *self {
            VrInput::Points { n_points, .. } | VrInput::Distances { n_points, .. } => n_points,
        }
    }

    /// The squared distance for points (summed over axes in axis order), or the matrix entry
    /// itself for distance matrices; `length` below turns it into a length.
    pub(crate) fn raw(&self, i: usize, j: usize) -> f64 {
        match *self {
            VrInput::Points { coords, n_dims, .. } => {
                let (p, q) = (
                    &coords[i * n_dims..(i + 1) * n_dims],
                    &coords[j * n_dims..(j + 1) * n_dims],
                );
                let mut s = 0.0;
                for (a, b) in p.iter().zip(q) {
                    let t = a - b;
                    s += t * t;
                }
                s
            }
            VrInput::Distances { matrix, n_points } => matrix[i.max(j) * n_points + i.min(j)],
        }
    }

    pub(crate) fn length(&self, raw: f64) -> f64 {
        match self {
            VrInput::Points { .. } => raw.sqrt(),
            VrInput::Distances { .. } => raw,
        }
    }

    fn validate(&self) -> Result<()> {
        match *self {
            VrInput::Points {
                coords,
                n_points,
                n_dims,
            } => {
                if n_points == 0 || n_dims == 0 || coords.len() != n_points * n_dims {
                    return Err(Error::ShapeMismatch {
                        name: "points",
                        expected: "(n_points, n_dims) with n_points, n_dims >= 1".into(),
                        found: format!("{} values for ({n_points}, {n_dims})", coords.len()),
                    });
                }
                let bad: Vec<usize> = (0..coords.len()).filter(|&k| !coords[k].is_finite()).collect();
                if let Some(&first_idx) = bad.first() {
                    return Err(Error::NonFiniteValue {
                        name: "points",
                        count: bad.len(),
                        first_idx,
                    });
                }
            }
            VrInput::Distances { matrix, n_points } => {
                if n_points == 0 || matrix.len() != n_points * n_points {
                    return Err(Error::ShapeMismatch {
                        name: "data",
                        expected: "(n, n) with n >= 1".into(),
                        found: format!("{} values for ({n_points}, {n_points})", matrix.len()),
                    });
                }
                let bad: Vec<usize> = (0..n_points)
                    .flat_map(|i| (0..i).map(move |j| i * n_points + j))
                    .filter(|&k| !(matrix[k].is_finite() && matrix[k] >= 0.0))
                    .collect();
                if let Some(&first_idx) = bad.first() {
                    return Err(Error::InvalidParameter {
                        name: "data",
                        reason: format!(
                            "{} lower-triangle distances are negative or not finite (first at flat index {first_idx})",
                            bad.len()
                        ),
                    });
                }
            }
        }
        Ok(())
    }
}

/// The enclosing radius: min over i of max over j ≠ i of dist(i, j); 0 for a single point.
pub fn enclosing_radius(input: &VrInput) -> f64 {
    let n = input.n_points();
    if n < 2 {
        return 0.0;
    }
    (0..n)
        .into_par_iter()
        .map(|i| {
            (0..n)
                .filter(|&j| j != i)
                .map(|j| input.length(input.raw(i, j)))
                .fold(0.0f64, f64::max)
        })
        .reduce(|| f64::INFINITY, f64::min)
}

/// The higher neighbours of every vertex: edges (i, j), i < j, in lexicographic order.
struct Neighbours {
    /// `offsets[i]..offsets[i + 1]` index the edges whose smaller vertex is i.
    offsets: Vec<usize>,
    /// The larger vertex of each edge.
    targets: Vec<u32>,
    /// The (rounded) value of each edge.
    values: Vec<f64>,
}

impl Neighbours {
    fn of(&self, i: u32) -> (usize, &[u32], &[f64]) {
        let r = self.offsets[i as usize]..self.offsets[i as usize + 1];
        (r.start, &self.targets[r.clone()], &self.values[r])
    }
}

fn neighbours(
    input: &VrInput,
    threshold: f64,
    edge_value: impl Fn(f64) -> f64 + Sync,
    budget: &MemoryBudget,
    interrupt: &Interrupt,
) -> Result<Neighbours> {
    let n = input.n_points();
    let rows: Vec<(Vec<u32>, Vec<f64>)> = (0..n)
        .into_par_iter()
        .map(|i| {
            interrupt.check()?;
            let mut targets = Vec::new();
            let mut values = Vec::new();
            for j in i + 1..n {
                let raw = input.raw(i, j);
                if input.length(raw) <= threshold {
                    targets.push(j as u32);
                    values.push(edge_value(raw));
                }
            }
            // Each edge is kept twice (rows, then the concatenation) plus once as a cell.
            budget.charge(targets.len() * 3 * EDGE_BYTES, "Vietoris-Rips edges")?;
            Ok((targets, values))
        })
        .collect::<Result<_>>()?;
    let n_edges: usize = rows.iter().map(|r| r.0.len()).sum();
    let mut nb = Neighbours {
        offsets: Vec::with_capacity(n + 1),
        targets: Vec::new(),
        values: Vec::new(),
    };
    try_reserve(&mut nb.targets, n_edges, "Vietoris-Rips edges")?;
    try_reserve(&mut nb.values, n_edges, "Vietoris-Rips edges")?;
    nb.offsets.push(0);
    for (targets, values) in rows {
        nb.targets.extend_from_slice(&targets);
        nb.values.extend_from_slice(&values);
        nb.offsets.push(nb.targets.len());
    }
    Ok(nb)
}

/// Bytes per edge in the neighbour lists (target and value).
const EDGE_BYTES: usize = 4 + 8;

/// Simplices are charged to the memory budget in batches of this many.
const CHARGE_BATCH: usize = 1 << 16;

/// A vertex that extends the current clique, with the longest edge joining it to the clique.
#[derive(Clone, Copy)]
struct Candidate {
    vertex: u32,
    /// The longest edge from `vertex` to the clique; ties keep the smaller clique vertex, which is
    /// the lexicographically smaller edge since `vertex` is larger than every clique vertex.
    max_value: f64,
    /// The lexicographic edge index of that edge.
    edge: u32,
}

/// Where the expansion puts the simplices it finds.
enum Sink<'a> {
    /// First pass: count the simplices per dimension (index dim − 1).
    Count(Vec<usize>),
    /// Second pass: write them into pre-sized slices (one per dimension ≥ 1), at `pos`.
    Fill {
        slices: Vec<BlockSlices<'a>>,
        pos: Vec<usize>,
    },
}

/// One vertex's share of one dimension's output arrays.
struct BlockSlices<'a> {
    vertices: &'a mut [u32],
    values: &'a mut [f64],
    sources: &'a mut [u32],
}

struct Expansion<'a, 'b> {
    nb: &'a Neighbours,
    budget: &'a MemoryBudget,
    /// Simplices counted since the last charge to the budget.
    uncharged: usize,
    max_dim: usize,
    sink: Sink<'b>,
    clique: Vec<u32>,
}

impl<'a, 'b> Expansion<'a, 'b> {
    /// Emit every simplex whose smallest vertex is `v` into `sink`, and return the sink.
    fn run(
        nb: &'a Neighbours,
        budget: &'a MemoryBudget,
        max_dim: usize,
        v: u32,
        sink: Sink<'b>,
        interrupt: &Interrupt,
    ) -> Result<Sink<'b>> {
        let mut exp = Expansion {
            nb,
            budget,
            uncharged: 0,
            max_dim,
            sink,
            clique: vec![v],
        };
        let (first_edge, targets, values) = nb.of(v);
        let candidates: Vec<Candidate> = targets
            .iter()
            .zip(values)
            .enumerate()
            .map(|(k, (&t, &val))| Candidate {
                vertex: t,
                max_value: val,
                edge: (first_edge + k) as u32,
            })
            .collect();
        exp.expand(&candidates, 0.0, 0, interrupt)?;
        Ok(exp.sink)
    }

    fn push(&mut self, value: f64, edge: u32) -> Result<()> {
        let k = self.clique.len() - 2;
        match &mut self.sink {
            Sink::Count(counts) => {
                counts[k] += 1;
                self.uncharged += 1;
                if self.uncharged == CHARGE_BATCH {
                    // Each simplex is kept once as built and once sorted: two copies of
                    // (vertices, value, source) at the peak.
                    let bytes_per_simplex = 2 * (4 * self.clique.len() + 8 + 4);
                    self.budget
                        .charge(CHARGE_BATCH * bytes_per_simplex, "Vietoris-Rips complex")?;
                    self.uncharged = 0;
                }
            }
            Sink::Fill { slices, pos } => {
                let (out, i) = (&mut slices[k], pos[k]);
                let w = self.clique.len();
                out.vertices[i * w..(i + 1) * w].copy_from_slice(&self.clique);
                out.values[i] = value;
                out.sources[i] = edge;
                pos[k] += 1;
            }
        }
        Ok(())
    }

    /// Emit every simplex clique ∪ {c} ∪ … for the candidates, depth first in lexicographic order.
    /// `value` and `edge` describe the current clique (ignored while it is a single vertex).
    fn expand(&mut self, candidates: &[Candidate], value: f64, edge: u32, interrupt: &Interrupt) -> Result<()> {
        let mut next: Vec<Candidate> = Vec::new();
        for (k, c) in candidates.iter().enumerate() {
            // The new edges all have the new, largest vertex, so on a tie the clique's critical
            // edge is the lexicographically smaller one and stays.
            let (s_value, s_edge) = if self.clique.len() == 1 || c.max_value > value {
                (c.max_value, c.edge)
            } else {
                (value, edge)
            };
            self.clique.push(c.vertex);
            self.push(s_value, s_edge)?;
            if self.clique.len() <= self.max_dim {
                interrupt.check()?;
                next.clear();
                let (first_edge, targets, values) = self.nb.of(c.vertex);
                let rest = &candidates[k + 1..];
                let (mut a, mut b) = (0, 0);
                while a < rest.len() && b < targets.len() {
                    match rest[a].vertex.cmp(&targets[b]) {
                        std::cmp::Ordering::Less => a += 1,
                        std::cmp::Ordering::Greater => b += 1,
                        std::cmp::Ordering::Equal => {
                            let mut x = rest[a];
                            if values[b] > x.max_value {
                                x.max_value = values[b];
                                x.edge = (first_edge + b) as u32;
                            }
                            next.push(x);
                            a += 1;
                            b += 1;
                        }
                    }
                }
                if !next.is_empty() {
                    let next = std::mem::take(&mut next);
                    self.expand(&next, s_value, s_edge, interrupt)?;
                }
            }
            self.clique.pop();
        }
        Ok(())
    }
}

/// Which edges exist and what they are worth: an edge exists if its length is at most the
/// threshold, and its value is its length (sqrt(d² + eps) with `eps`) rounded to the precision.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EdgeRule<'a> {
    pub(crate) input: &'a VrInput<'a>,
    pub(crate) threshold: f64,
    pub(crate) eps: f64,
    pub(crate) precision: Precision,
}

impl<'a> EdgeRule<'a> {
    /// Validate `input` and the parameters and settle the threshold (the enclosing radius ×
    /// 1.00001 by default) and `eps` (ignored for distance matrices).
    pub(crate) fn new(input: &'a VrInput<'a>, params: &VrParams) -> Result<Self> {
        input.validate()?;
        if !(params.eps >= 0.0 && params.eps.is_finite()) {
            return Err(Error::InvalidParameter {
                name: "eps",
                reason: format!("must be >= 0 and finite; got {}", params.eps),
            });
        }
        let threshold = match params.max_diameter {
            Some(t) if t.is_nan() => {
                return Err(Error::InvalidParameter {
                    name: "max_diameter",
                    reason: "must not be NaN".into(),
                })
            }
            Some(t) => t,
            None => enclosing_radius(input) * 1.00001,
        };
        let eps = match input {
            VrInput::Points { .. } => params.eps,
            VrInput::Distances { .. } => 0.0,
        };
        Ok(EdgeRule {
            input,
            threshold,
            eps,
            precision: params.precision,
        })
    }

    /// The value of an edge from its raw distance (see [`VrInput::raw`]).
    pub(crate) fn value(&self, raw: f64) -> f64 {
        let v = match self.input {
            VrInput::Points { .. } if self.eps > 0.0 => (raw + self.eps).sqrt(),
            _ => self.input.length(raw),
        };
        self.precision.round(v)
    }

    /// The value of edge (i, j), or `None` if it is longer than the threshold.
    pub(crate) fn edge(&self, i: usize, j: usize) -> Option<f64> {
        let raw = self.input.raw(i, j);
        (self.input.length(raw) <= self.threshold).then(|| self.value(raw))
    }

    /// The value of every vertex.
    pub(crate) fn vertex_value(&self) -> f64 {
        self.precision.round(self.eps.sqrt())
    }
}

/// Build the Vietoris-Rips filtration of `input`.
///
/// The sources of the result are critical edges: `fil.sources()[sid]` is the global sid of the
/// cell's critical edge, and a vertex points to itself.
///
/// # Performance
/// O(n² d) for the distances, then time and memory linear in the number of simplices; generation
/// is parallel over the current rayon pool and its output does not depend on the thread count.
///
/// # Errors
/// [`Error::ShapeMismatch`], [`Error::NonFiniteValue`] or [`Error::InvalidParameter`] for bad
/// input, [`Error::TooLarge`] when the complex does not fit, [`Error::Interrupted`] when cancelled.
///
/// # Examples
/// ```
/// use oineus_diff_core::filtration::vr::{vr_filtration, VrInput, VrParams};
/// use oineus_diff_core::filtration::Precision;
/// use oineus_diff_core::Interrupt;
/// let square = [0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0];
/// let input = VrInput::Points { coords: &square, n_points: 4, n_dims: 2 };
/// let params = VrParams { max_dim: 2, max_diameter: None, eps: 0.0, precision: Precision::Double };
/// let fil = vr_filtration(&input, &params, &Interrupt::never()).unwrap();
/// assert_eq!(fil.size(), 4 + 6 + 4);
/// assert_eq!(fil.cell(4).unwrap(), &[0, 1]);
/// ```
pub fn vr_filtration(input: &VrInput, params: &VrParams, interrupt: &Interrupt) -> Result<Filtration> {
    let rule = EdgeRule::new(input, params)?;
    let threshold = rule.threshold;
    let edge_value = |raw: f64| rule.value(raw);
    let n = input.n_points();
    // A simplex has at most n vertices, so larger dimensions would only be empty.
    let params = &VrParams {
        max_dim: params.max_dim.min(n - 1),
        ..*params
    };
    let budget = MemoryBudget::available();
    let nb = if params.max_dim >= 1 {
        neighbours(input, threshold, edge_value, &budget, interrupt)?
    } else {
        Neighbours {
            offsets: vec![0; n + 1],
            targets: Vec::new(),
            values: Vec::new(),
        }
    };
    interrupt.check()?;

    // The expansion runs twice: once to count, so that every output array is allocated once
    // at its exact size, and once to fill each vertex's share of those arrays in place.
    let expand_from = |v: u32, sink| Expansion::run(&nb, &budget, params.max_dim, v, sink, interrupt);
    let counts: Vec<Vec<usize>> = (0..n as u32)
        .into_par_iter()
        .map(|v| match expand_from(v, Sink::Count(vec![0; params.max_dim]))? {
            Sink::Count(c) => Ok(c),
            Sink::Fill { .. } => unreachable!("a counting pass returns counts"),
        })
        .collect::<Result<_>>()?;

    let vertex_value = rule.vertex_value();
    let mut blocks = vec![LexBlock {
        vertices: (0..n as u32).collect(),
        values: vec![vertex_value; n],
        sources: (0..n as u32).collect(),
    }];
    for dim in 1..=params.max_dim {
        let len: usize = counts.iter().map(|c| c[dim - 1]).sum();
        blocks.push(LexBlock {
            vertices: try_filled(len * (dim + 1), 0, "Vietoris-Rips simplices")?,
            values: try_filled(len, 0.0, "Vietoris-Rips simplices")?,
            sources: try_filled(len, 0, "Vietoris-Rips simplices")?,
        });
    }
    {
        let mut shares: Vec<Vec<BlockSlices>> = (0..n).map(|_| Vec::with_capacity(params.max_dim)).collect();
        for (dim, block) in blocks.iter_mut().enumerate().skip(1) {
            let (mut vertices, mut values, mut sources) =
                (&mut block.vertices[..], &mut block.values[..], &mut block.sources[..]);
            for (v, share) in shares.iter_mut().enumerate() {
                let c = counts[v][dim - 1];
                let (vh, vt) = std::mem::take(&mut vertices).split_at_mut(c * (dim + 1));
                let (xh, xt) = std::mem::take(&mut values).split_at_mut(c);
                let (sh, st) = std::mem::take(&mut sources).split_at_mut(c);
                share.push(BlockSlices {
                    vertices: vh,
                    values: xh,
                    sources: sh,
                });
                (vertices, values, sources) = (vt, xt, st);
            }
        }
        shares.into_par_iter().enumerate().try_for_each(|(v, slices)| {
            let pos = vec![0; params.max_dim];
            match expand_from(v as u32, Sink::Fill { slices, pos })? {
                Sink::Fill { pos, .. } => debug_assert_eq!(pos, counts[v], "both passes emit the same simplices"),
                Sink::Count(_) => unreachable!("a filling pass returns its positions"),
            }
            Ok(())
        })?;
    }
    interrupt.check()?;
    // Sources are lexicographic edge indices (vertices: their own index), turned into sids.
    Filtration::from_lex_blocks(Kind::VietorisRips, false, blocks, |fil, dim, source| {
        if dim == 0 {
            source
        } else {
            fil.sid_of_lex(1, source as usize)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(coords: &[f64], d: usize, max_dim: usize) -> Filtration {
        let input = VrInput::Points {
            coords,
            n_points: coords.len() / d,
            n_dims: d,
        };
        let params = VrParams {
            max_dim,
            max_diameter: None,
            eps: 0.0,
            precision: Precision::Double,
        };
        vr_filtration(&input, &params, &Interrupt::never()).unwrap()
    }

    #[test]
    fn unit_square_order_and_critical_edges() {
        let fil = build(&[0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0], 2, 2);
        let cells: Vec<Vec<u32>> = (4..14).map(|s| fil.cell(s).unwrap().to_vec()).collect();
        assert_eq!(
            cells,
            vec![
                vec![0, 1],
                vec![0, 2],
                vec![1, 3],
                vec![2, 3],
                vec![0, 3],
                vec![1, 2],
                vec![0, 1, 2],
                vec![0, 1, 3],
                vec![0, 2, 3],
                vec![1, 2, 3]
            ]
        );
        let crit: Vec<Vec<u32>> = (4..14)
            .map(|s| {
                let mut e = fil.cell(fil.sources()[s] as usize).unwrap().to_vec();
                e.reverse();
                e
            })
            .collect();
        let expected = [
            [1, 0],
            [2, 0],
            [3, 1],
            [3, 2],
            [3, 0],
            [2, 1],
            [2, 1],
            [3, 0],
            [3, 0],
            [2, 1],
        ];
        assert_eq!(crit, expected.iter().map(|e| e.to_vec()).collect::<Vec<_>>());
    }

    #[test]
    fn distance_matrix_threshold_is_enclosing_radius() {
        let m = [0.0, 1.0, 2.0, 1.0, 0.0, 1.5, 2.0, 1.5, 0.0];
        let input = VrInput::Distances {
            matrix: &m,
            n_points: 3,
        };
        let params = VrParams {
            max_dim: 1,
            max_diameter: None,
            eps: 0.0,
            precision: Precision::Double,
        };
        let fil = vr_filtration(&input, &params, &Interrupt::never()).unwrap();
        assert_eq!(fil.values(), &[0.0, 0.0, 0.0, 1.0, 1.5]);
    }

    #[test]
    fn negative_distance_is_an_error() {
        let m = [0.0, 1.0, -1.0, 0.0];
        let input = VrInput::Distances {
            matrix: &m,
            n_points: 2,
        };
        let params = VrParams {
            max_dim: 1,
            max_diameter: None,
            eps: 0.0,
            precision: Precision::Double,
        };
        assert!(matches!(
            vr_filtration(&input, &params, &Interrupt::never()),
            Err(Error::InvalidParameter { name: "data", .. })
        ));
    }
}
