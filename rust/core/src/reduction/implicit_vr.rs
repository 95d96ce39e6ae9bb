//! Persistence of a Vietoris-Rips filtration without building the complex.
//!
//! The filtration is the one [`vr_filtration`](crate::filtration::vr::vr_filtration) builds:
//! simplices up to `max_dim`, each worth its longest edge, ordered per dimension by (value,
//! lexicographic vertex tuple). Its pairing is unique, so any correct reduction in that order
//! finds the same pairs. Here:
//!
//! - H0 is Kruskal's union-find over the edges in filtration order (elder rule);
//! - every higher dimension k is reduced as cohomology: the k-simplices are the columns, taken
//!   from the latest to the earliest, each column is the coboundary of its simplex and its
//!   pivot is its earliest cofacet. Columns that died in dimension k − 1 are zero and are skipped
//!   (clearing). Cofacets are enumerated on the fly from the distance table and named by the
//!   combinatorial number system, so neither D nor its anti-transpose is ever stored. A column
//!   whose earliest cofacet is no other column's pivot is already reduced, which settles most
//!   columns after one scan of their cofacets; the others are reduced with a heap of cofacets,
//!   as in Ripser, storing only the columns of V.
//! - zero-persistence apparent pairs (σ, τ: τ the earliest cofacet of σ, σ the latest facet of τ,
//!   both worth the same) are pairs whatever the order of reduction. They are recognised from
//!   the same scan and never stored: a column that reaches such a τ as its pivot adds σ's
//!   coboundary. On a noisy sphere of 2000 points, 766 of the 1.9 million edge columns are
//!   left in the pivot table: those of the diagram's points.
//!
//! Each pair is reported with its two simplices, their values and their critical edges, so a
//! caller can form the diagram from two edge lengths per point.
//!
//! # Performance
//! Memory is O(n²) for the distance table plus the V columns of the pairs, plus, for k ≥ 2, the
//! list of k-simplices that are reduced. Time is dominated by cofacet scans, O(n·k) each, most
//! of which stop after a few vertices at a cofacet as long as the column. A column that needs
//! additions sorts only the part of each added coboundary that its merge reads.
//!
//! References: Bauer, "Ripser: efficient computation of Vietoris-Rips persistence barcodes",
//! J. Appl. Comput. Topology 5 (2021), doi:10.1007/s41468-021-00071-5; de Silva, Morozov and
//! Vejdemo-Johansson, "Dualities in persistent (co)homology", Inverse Problems 27 (2011).

use std::cmp::Reverse;
use std::collections::hash_map::Entry;
use std::collections::{BinaryHeap, HashSet};

use rustc_hash::FxHashMap;

use crate::error::{try_filled, Error, MemoryBudget, Result};
use crate::filtration::order_key;
use crate::filtration::vr::{EdgeRule, VrInput, VrParams};
use crate::interrupt::Interrupt;

/// Marks the missing death of an essential class.
pub const NO_DEATH: u32 = u32::MAX;

/// The points of one diagram dimension, rows in filtration order of their births.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImplicitDiagram {
    /// The births' critical edges (x, y) with x > y; a vertex v gives (v, v).
    pub birth_edges: Vec<[u32; 2]>,
    /// The deaths' critical edges; an essential row holds [`NO_DEATH`] twice.
    pub death_edges: Vec<[u32; 2]>,
    /// The births' values.
    pub birth_values: Vec<f64>,
    /// The deaths' values; `f64::INFINITY` for an essential row.
    pub death_values: Vec<f64>,
}

impl ImplicitDiagram {
    /// The number of points.
    pub fn len(&self) -> usize {
        self.birth_values.len()
    }

    /// Whether there are no points.
    pub fn is_empty(&self) -> bool {
        self.birth_values.is_empty()
    }
}

/// The diagrams of dimensions 0 … `max_dim` − 1 of a Vietoris-Rips filtration.
#[derive(Debug, Clone, PartialEq)]
pub struct ImplicitVr {
    /// The largest simplex dimension of the filtration (after clamping to n − 1).
    pub max_dim: usize,
    /// One diagram per dimension 0 … `max_dim` − 1.
    pub dims: Vec<ImplicitDiagram>,
}

/// The distance table, the binomial table and simplex arithmetic.
struct Complex {
    n: usize,
    /// Rounded edge values, row-major n × n; NaN for an edge longer than the threshold.
    edges: Vec<f64>,
    /// `binomial[k][x]` = C(x, k) for k ≤ max_dim + 1 and x ≤ n.
    binomial: Vec<Vec<u64>>,
    vertex_value: f64,
    /// Order cofacets of equal value by decreasing colexicographic index of their vertices
    /// (Ripser's order) instead of lexicographically. Only set when every edge value is
    /// distinct and only edges are reduced: then two cofacets of equal value share their critical
    /// edge, so the order within a tie changes which triangle a pair reports but not its value or
    /// critical edge, and far more columns are reduced on their first scan.
    ripser_ties: bool,
}

/// A simplex in a column or a cofacet: (order key of its value, tie-break, code); the tuple
/// order is the order of the reduction. The tie-break is u64::MAX − code, the filtration's
/// lexicographic order, except for cofacets under [`Complex::ripser_ties`].
type Key = (u64, u64, u64);

impl Complex {
    /// The distance table of `rule`; simplex codes are available once
    /// [`Complex::name_simplices_up_to`] has run.
    fn new(rule: &EdgeRule, budget: &MemoryBudget, interrupt: &Interrupt) -> Result<Self> {
        let n = rule.input.n_points();
        budget.charge(n * n * 8, "Vietoris-Rips distance table")?;
        let mut edges = try_filled(n * n, f64::NAN, "Vietoris-Rips distance table")?;
        for i in 0..n {
            if i % 256 == 0 {
                interrupt.check()?;
            }
            for j in 0..i {
                if let Some(v) = rule.edge(i, j) {
                    edges[i * n + j] = v;
                    edges[j * n + i] = v;
                }
            }
        }
        Ok(Complex {
            n,
            edges,
            binomial: Vec::new(),
            vertex_value: rule.vertex_value(),
            ripser_ties: false,
        })
    }

    /// Fill the binomial table that names simplices of up to `max_dim + 1` vertices: the
    /// cofacets of the largest simplices that are reduced.
    ///
    /// # Errors
    /// [`Error::TooLarge`] if such codes overflow 64 bits.
    fn name_simplices_up_to(&mut self, max_dim: usize) -> Result<()> {
        let n = self.n;
        let mut binomial = vec![vec![0u64; n + 1]; max_dim + 2];
        for x in 0..=n {
            binomial[0][x] = 1;
            for k in 1..binomial.len() {
                if x == 0 {
                    continue;
                }
                let sum = binomial[k - 1][x - 1] as u128 + binomial[k][x - 1] as u128;
                if sum > (u64::MAX / 2) as u128 {
                    return Err(Error::TooLarge {
                        what: "Vietoris-Rips filtration",
                        reason: format!("C({n}, {}) simplices overflow the 64-bit simplex codes", max_dim + 1),
                    });
                }
                binomial[k][x] = sum as u64;
            }
        }
        self.binomial = binomial;
        Ok(())
    }

    /// Whether some `size` vertices are pairwise joined by edges.
    fn has_clique(&self, size: usize) -> bool {
        fn grow(complex: &Complex, clique: &mut Vec<u32>, size: usize) -> bool {
            if clique.len() == size {
                return true;
            }
            let last = *clique.last().expect("the clique is never empty");
            for v in last + 1..complex.n as u32 {
                if clique.iter().all(|&a| complex.edge(v, a).is_some()) {
                    clique.push(v);
                    if grow(complex, clique, size) {
                        return true;
                    }
                    clique.pop();
                }
            }
            false
        }
        (0..self.n as u32).any(|v| grow(self, &mut vec![v], size))
    }

    fn edge(&self, i: u32, j: u32) -> Option<f64> {
        let v = self.edges[i as usize * self.n + j as usize];
        (!v.is_nan()).then_some(v)
    }

    /// The code of an ascending vertex tuple: larger codes come earlier lexicographically.
    fn code(&self, vertices: &[u32]) -> u64 {
        let k = vertices.len() - 1;
        vertices
            .iter()
            .enumerate()
            .map(|(i, &a)| self.binomial[k + 1 - i][self.n - 1 - a as usize])
            .sum()
    }

    /// The ascending vertex tuple of `len` vertices with this code.
    fn decode(&self, mut code: u64, len: usize, out: &mut Vec<u32>) {
        out.clear();
        let mut upper = self.n; // exclusive bound on the next element c
        for j in (0..len).rev() {
            let row = &self.binomial[j + 1];
            // The largest c < upper with C(c, j + 1) ≤ code.
            let c = row[..upper].partition_point(|&b| b <= code) - 1;
            code -= row[c];
            out.push((self.n - 1 - c) as u32);
            upper = c;
        }
    }

    /// The value of a simplex: its vertices' value, or its longest edge.
    fn value(&self, vertices: &[u32]) -> f64 {
        let mut value = self.vertex_value;
        if vertices.len() > 1 {
            value = f64::NEG_INFINITY;
        }
        for (j, &b) in vertices.iter().enumerate() {
            for &a in &vertices[..j] {
                value = value.max(self.edge(b, a).expect("a simplex's edges exist"));
            }
        }
        value
    }

    /// The critical edge (x, y), x > y: among the longest edges, the first in (x, y) order.
    fn critical_edge(&self, vertices: &[u32]) -> [u32; 2] {
        if vertices.len() == 1 {
            return [vertices[0], vertices[0]];
        }
        let mut best = ([vertices[1], vertices[0]], f64::NEG_INFINITY);
        for (j, &b) in vertices.iter().enumerate().skip(1) {
            for &a in &vertices[..j] {
                let v = self.edge(b, a).expect("a simplex's edges exist");
                if v > best.1 {
                    best = ([b, a], v);
                }
            }
        }
        best.0
    }

    fn key(&self, value: f64, code: u64) -> Key {
        (order_key(value, false), u64::MAX - code, code)
    }

    /// The earliest cofacet of the simplex `vertices` worth `value`, if it has one, as its key
    /// and the vertex it adds.
    ///
    /// For a fixed simplex, adding a smaller vertex gives a lexicographically smaller cofacet (a
    /// larger one under [`Complex::ripser_ties`]), so vertices are tried in that order and the
    /// first to attain the smallest value wins; a cofacet worth `value` itself, the least
    /// possible, ends the scan at once. Only the winner's key is computed.
    fn earliest_cofacet(&self, vertices: &[u32], value: f64) -> Option<(Key, u32)> {
        let mut best: Option<(f64, u32)> = None;
        let mut consider = |v: u32| -> bool {
            if vertices.contains(&v) {
                return false;
            }
            let mut cofacet_value = value;
            for &a in vertices {
                // Row a, read along v: sequential in memory.
                match self.edge(a, v) {
                    Some(e) => cofacet_value = cofacet_value.max(e),
                    None => return false,
                }
            }
            if best.is_none_or(|(b, _)| cofacet_value < b) {
                best = Some((cofacet_value, v));
            }
            cofacet_value == value
        };
        if self.ripser_ties {
            for v in (0..self.n as u32).rev() {
                if consider(v) {
                    break;
                }
            }
        } else {
            for v in 0..self.n as u32 {
                if consider(v) {
                    break;
                }
            }
        }
        best.map(|(cofacet_value, v)| {
            let slot = vertices.partition_point(|&a| a < v);
            (self.cofacet_key(vertices, v, slot, cofacet_value), v)
        })
    }

    /// The key of the cofacet σ ∪ {v} worth `value`, where σ = `vertices` (ascending) has `slot`
    /// vertices below v. The code of σ ∪ {v}: the vertices before v keep their term with one
    /// more element after them, v adds its own, and the vertices after v keep their term.
    fn cofacet_key(&self, vertices: &[u32], v: u32, slot: usize, value: f64) -> Key {
        let k = vertices.len() - 1;
        let mut code = self.binomial[k + 2 - slot][self.n - 1 - v as usize];
        let mut colex = self.binomial[slot + 1][v as usize];
        for (i, &a) in vertices.iter().enumerate() {
            let position = if i < slot { i } else { i + 1 };
            code += self.binomial[k + 2 - position][self.n - 1 - a as usize];
            colex += self.binomial[position + 1][a as usize];
        }
        let tie = if self.ripser_ties {
            u64::MAX - colex
        } else {
            u64::MAX - code
        };
        (order_key(value, false), tie, code)
    }

    /// Call `f(key)` for every cofacet of the simplex `vertices` worth `value` that is not
    /// earlier than `from`.
    fn for_each_cofacet(&self, vertices: &[u32], value: f64, from: Option<Key>, mut f: impl FnMut(Key)) {
        let (from_value, from) = match from {
            Some(key) => (key_value(key.0), key),
            None => (f64::NEG_INFINITY, (0, 0, 0)),
        };
        let k = vertices.len() - 1;
        let mut slot = 0;
        'next: for v in 0..self.n as u32 {
            if slot <= k && vertices[slot] == v {
                slot += 1;
                continue;
            }
            let mut cofacet_value = value;
            for &a in vertices {
                // Row a, read along v: sequential in memory.
                match self.edge(a, v) {
                    Some(e) => cofacet_value = cofacet_value.max(e),
                    None => continue 'next,
                }
            }
            // Most cofacets are settled by value alone, before their codes are computed.
            if cofacet_value < from_value {
                continue;
            }
            let key = self.cofacet_key(vertices, v, slot, cofacet_value);
            if key >= from {
                f(key);
            }
        }
    }

    /// The code of the latest facet of the simplex `vertices` (at least an edge) worth `value`,
    /// in the filtration order of the columns: among the facets worth `value` (those holding a
    /// longest edge), the lexicographically last one, which has the smallest code.
    fn latest_facet(&self, vertices: &[u32], value: f64) -> u64 {
        let mut latest = u64::MAX;
        for skip in 0..vertices.len() {
            let mut facet_value = f64::NEG_INFINITY;
            let mut code = 0;
            let mut position = 0;
            for (j, &b) in vertices.iter().enumerate() {
                if j == skip {
                    continue;
                }
                for (i, &a) in vertices[..j].iter().enumerate() {
                    if i != skip {
                        facet_value = facet_value.max(self.edge(b, a).expect("a simplex's edges exist"));
                    }
                }
                code += self.binomial[vertices.len() - 1 - position][self.n - 1 - b as usize];
                position += 1;
            }
            if facet_value == value {
                latest = latest.min(code);
            }
        }
        latest
    }

    /// Whether σ (`vertices`, code `code`, worth `value`) is the latest facet of its cofacet
    /// σ ∪ {v}, which is worth `value` too: no other facet (σ \ {a}) ∪ {v} worth `value` comes
    /// after σ. Reads the edges to v as the cofacet scan did, while they are still in cache.
    fn is_latest_facet(&self, vertices: &[u32], code: u64, v: u32, value: f64, other: &mut Vec<u32>) -> bool {
        for (skip, _) in vertices.iter().enumerate() {
            let mut facet_value = f64::NEG_INFINITY;
            for (j, &b) in vertices.iter().enumerate() {
                if j == skip {
                    continue;
                }
                facet_value = facet_value.max(self.edge(b, v).expect("a simplex's edges exist"));
                for (i, &a) in vertices[..j].iter().enumerate() {
                    if i != skip {
                        facet_value = facet_value.max(self.edge(b, a).expect("a simplex's edges exist"));
                    }
                }
            }
            if facet_value == value {
                other.clear();
                other.extend(vertices.iter().enumerate().filter(|&(j, _)| j != skip).map(|(_, &a)| a));
                other.insert(other.partition_point(|&a| a < v), v);
                if self.code(other) < code {
                    return false;
                }
            }
        }
        true
    }

    /// The facet e of τ (vertices `tau`, key `tau_key`) that forms a zero-persistence apparent
    /// pair with it, if there is one: e is τ's latest facet, worth as much as τ, and τ is e's
    /// earliest cofacet. Such a pair is a pair of the reduction whichever order the columns are
    /// reduced in (Bauer 2021, section 3.5), so it is never stored: a column that reaches τ as
    /// its pivot adds e's coboundary instead. Writes e's vertices to `facet`.
    fn zero_apparent_facet(&self, tau: &[u32], tau_key: Key, facet: &mut Vec<u32>) -> Option<u64> {
        let value = key_value(tau_key.0);
        let code = self.latest_facet(tau, value);
        self.decode(code, tau.len() - 1, facet);
        let (first, _) = self.earliest_cofacet(facet, value)?;
        (first == tau_key).then_some(code)
    }
}

/// A working column over Z/2 as a sum of runs (one coboundary each), merged lazily: a small heap
/// holds the head of every run, and equal heads cancel in pairs.
///
/// A run is sorted only as far as it is read: first its [`FIRST_CHUNK`] smallest entries
/// (a linear selection, then a sort of those), and the rest only if the merge gets past them.
/// Most runs are left after a handful of entries: on a noisy sphere of 2000 points, 33 000 of
/// the 14 million entries of 7500 runs were read.
#[derive(Default)]
struct WorkingColumn {
    runs: Vec<Run>,
    heads: BinaryHeap<Reverse<(Key, u32)>>,
    /// Emptied runs, kept to reuse their allocations.
    spare: Vec<Vec<Key>>,
}

/// The entries of one run; `entries[..sorted]` are the smallest ones, in order.
struct Run {
    entries: Vec<Key>,
    position: usize,
    sorted: usize,
}

/// How many entries of a run are sorted before the merge reads it.
const FIRST_CHUNK: usize = 32;

/// The order of the reduction on keys: (value key, tie-break) already names the simplex.
fn rank(key: &Key) -> u128 {
    (u128::from(key.0) << 64) | u128::from(key.1)
}

impl Run {
    /// Sort the next entries: the first chunk, or all the rest.
    fn sort_more(&mut self) {
        let rest = &mut self.entries[self.sorted..];
        if self.sorted == 0 && rest.len() > 2 * FIRST_CHUNK {
            rest.select_nth_unstable_by_key(FIRST_CHUNK - 1, rank);
            rest[..FIRST_CHUNK].sort_unstable_by_key(rank);
            self.sorted = FIRST_CHUNK;
        } else {
            rest.sort_unstable_by_key(rank);
            self.sorted = self.entries.len();
        }
    }

    fn head(&self) -> Option<Key> {
        self.entries.get(self.position).copied()
    }
}

impl WorkingColumn {
    fn clear(&mut self) {
        self.spare.extend(self.runs.drain(..).map(|run| run.entries));
        self.heads.clear();
    }

    /// Add the entries of the coboundary of the simplex `vertices` (worth `value`) that are not
    /// earlier than `from`.
    ///
    /// When a reduced column with pivot `from` is added simplex by simplex, the entries of its V
    /// simplices' coboundaries earlier than its pivot cancel among themselves, so they need not
    /// be stored.
    fn add_coboundary(&mut self, complex: &Complex, vertices: &[u32], value: f64, from: Option<Key>) {
        let mut entries = self.spare.pop().unwrap_or_default();
        entries.clear();
        complex.for_each_cofacet(vertices, value, from, |k| entries.push(k));
        if entries.is_empty() {
            self.spare.push(entries);
            return;
        }
        let mut run = Run {
            entries,
            position: 0,
            sorted: 0,
        };
        run.sort_more();
        self.heads.push(Reverse((run.entries[0], self.runs.len() as u32)));
        self.runs.push(run);
    }

    fn advance(&mut self, run: u32) {
        let r = &mut self.runs[run as usize];
        r.position += 1;
        if r.position == r.sorted && r.sorted < r.entries.len() {
            r.sort_more();
        }
        if let Some(next) = r.head() {
            self.heads.push(Reverse((next, run)));
        }
    }

    /// The earliest entry with odd multiplicity.
    fn pivot(&mut self) -> Option<Key> {
        loop {
            let Reverse((key, run)) = self.heads.pop()?;
            match self.heads.peek() {
                Some(&Reverse((next, other))) if next == key => {
                    self.heads.pop();
                    self.advance(run);
                    self.advance(other);
                }
                _ => {
                    self.heads.push(Reverse((key, run)));
                    return Some(key);
                }
            }
        }
    }
}

/// Rows of one dimension before they are put in birth order.
struct Rows {
    dim: usize,
    /// (birth key, birth code, death code or None).
    rows: Vec<(Key, u64, Option<u64>)>,
}

/// Compute the persistence diagrams of dimensions 0 … max_dim − 1 of the Vietoris-Rips filtration
/// that [`vr_filtration`](crate::filtration::vr::vr_filtration) would build from the same
/// arguments, without building it. Pairs of zero persistence are dropped; essential classes are
/// included when `include_essential` is set.
///
/// # Errors
/// The errors of [`vr_filtration`](crate::filtration::vr::vr_filtration) for bad input,
/// [`Error::TooLarge`] when the distance table or the columns do not fit, or the simplices
/// cannot be named in 64 bits, [`Error::Interrupted`] when cancelled.
///
/// # Examples
/// ```
/// use oineus_diff_core::filtration::vr::{VrInput, VrParams};
/// use oineus_diff_core::filtration::Precision;
/// use oineus_diff_core::reduction::implicit_vr::vr_persistence;
/// use oineus_diff_core::Interrupt;
/// let square = [0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0];
/// let input = VrInput::Points { coords: &square, n_points: 4, n_dims: 2 };
/// let params = VrParams { max_dim: 2, max_diameter: None, eps: 0.0, precision: Precision::Double };
/// let dgms = vr_persistence(&input, &params, false, &Interrupt::never()).unwrap();
/// assert_eq!(dgms.dims[0].len(), 3);
/// assert_eq!(dgms.dims[1].birth_values, vec![1.0]);
/// assert_eq!(dgms.dims[1].death_values, vec![2f64.sqrt()]);
/// ```
pub fn vr_persistence(
    input: &VrInput,
    params: &VrParams,
    include_essential: bool,
    interrupt: &Interrupt,
) -> Result<ImplicitVr> {
    let rule = EdgeRule::new(input, params)?;
    let n = input.n_points();
    let budget = MemoryBudget::available();
    let mut complex = Complex::new(&rule, &budget, interrupt)?;
    interrupt.check()?;
    // The filtration's dimension is that of its largest simplex, as in the explicit build; only
    // simplices up to one dimension higher are ever named.
    let max_dim = (1..=params.max_dim.min(n - 1))
        .take_while(|&dim| complex.has_clique(dim + 1))
        .last()
        .unwrap_or(0);
    complex.name_simplices_up_to(max_dim)?;

    // Edges in filtration order.
    let mut edges: Vec<(Key, u32, u32)> = Vec::new();
    if max_dim >= 1 {
        for i in 0..n as u32 {
            for j in i + 1..n as u32 {
                if let Some(v) = complex.edge(i, j) {
                    edges.push((complex.key(v, complex.code(&[i, j])), i, j));
                }
            }
        }
        edges.sort_unstable();
    }
    complex.ripser_ties = max_dim == 2 && edges.windows(2).all(|w| w[0].0 .0 != w[1].0 .0);

    let mut all_rows = Vec::new();
    let mut cleared = Cleared::Codes(HashSet::new());
    if max_dim >= 1 {
        let (rows, killed) = h0(&complex, &edges, include_essential, interrupt)?;
        all_rows.push(rows);
        cleared = Cleared::Edges(killed);
    }
    for dim in 1..max_dim {
        // The deaths clear the next dimension's columns; the last dimension has none.
        let keep_deaths = dim + 1 < max_dim;
        let (rows, deaths) = match &cleared {
            Cleared::Edges(killed) => {
                let columns = edges.iter().zip(killed).rev().filter(|(_, &k)| !k).map(|(e, _)| e);
                let columns = columns.map(|&(key, i, j)| (key, [i, j]));
                reduce_dimension(
                    &complex,
                    dim,
                    columns,
                    |edge, out| out.extend(edge),
                    keep_deaths,
                    include_essential,
                    interrupt,
                )?
            }
            Cleared::Codes(codes) => {
                let columns = columns(&complex, dim, codes, &budget, interrupt)?;
                let columns = columns.into_iter().map(|key| (key, key.2));
                let decode = |code: u64, out: &mut Vec<u32>| complex.decode(code, dim + 1, out);
                reduce_dimension(
                    &complex,
                    dim,
                    columns,
                    decode,
                    keep_deaths,
                    include_essential,
                    interrupt,
                )?
            }
        };
        all_rows.push(rows);
        cleared = Cleared::Codes(deaths);
    }
    let dims = all_rows.into_iter().map(|rows| finish(&complex, rows)).collect();
    Ok(ImplicitVr { max_dim, dims })
}

/// The simplices that died in the previous dimension, whose columns are zero (clearing).
enum Cleared {
    /// One flag per edge of the sorted edge list (after H0).
    Edges(Vec<bool>),
    /// Codes of the simplices.
    Codes(HashSet<u64>),
}

/// H0 by union-find; returns the rows and, for each edge in filtration order, whether it killed
/// a component.
fn h0(
    complex: &Complex,
    edges: &[(Key, u32, u32)],
    include_essential: bool,
    interrupt: &Interrupt,
) -> Result<(Rows, Vec<bool>)> {
    fn root(parent: &mut [u32], mut v: u32) -> u32 {
        while parent[v as usize] != v {
            let grand = parent[parent[v as usize] as usize];
            parent[v as usize] = grand;
            v = grand;
        }
        v
    }
    let n = complex.n;
    let mut parent: Vec<u32> = (0..n as u32).collect();
    let mut rows = Vec::new();
    let mut killed = vec![false; edges.len()];
    for (e, &(key, i, j)) in edges.iter().enumerate() {
        if e % 4096 == 0 {
            interrupt.check()?;
        }
        let (a, b) = (root(&mut parent, i), root(&mut parent, j));
        if a != b {
            let (elder, younger) = (a.min(b), a.max(b));
            parent[younger as usize] = elder;
            killed[e] = true;
            // A pair of zero persistence (an edge as short as a vertex's value) is no point.
            if key.0 != order_key(complex.vertex_value, false) {
                let vertex = complex.code(&[younger]);
                rows.push((complex.key(complex.vertex_value, vertex), vertex, Some(key.2)));
            }
        }
    }
    if include_essential {
        for v in 0..n as u32 {
            if parent[v as usize] == v {
                let vertex = complex.code(&[v]);
                rows.push((complex.key(complex.vertex_value, vertex), vertex, None));
            }
        }
    }
    Ok((Rows { dim: 0, rows }, killed))
}

/// The k-simplices (k ≥ 2) that are reduced in dimension k, latest first, leaving out the
/// cleared ones (deaths of dimension k − 1).
fn columns(
    complex: &Complex,
    dim: usize,
    cleared: &HashSet<u64>,
    budget: &MemoryBudget,
    interrupt: &Interrupt,
) -> Result<Vec<Key>> {
    let mut columns: Vec<Key> = Vec::new();
    // Cliques of dim + 1 vertices, depth first; `stack` holds the current clique.
    let mut stack: Vec<u32> = Vec::with_capacity(dim + 1);
    let mut charged = 0usize;
    fn extend(
        complex: &Complex,
        stack: &mut Vec<u32>,
        value: f64,
        dim: usize,
        out: &mut Vec<Key>,
        cleared: &HashSet<u64>,
    ) {
        let last = *stack.last().expect("the clique is never empty");
        for v in last + 1..complex.n as u32 {
            let mut w = value;
            let mut ok = true;
            for &a in stack.iter() {
                match complex.edge(v, a) {
                    Some(e) => w = w.max(e),
                    None => {
                        ok = false;
                        break;
                    }
                }
            }
            if !ok {
                continue;
            }
            stack.push(v);
            if stack.len() == dim + 1 {
                let code = complex.code(stack);
                if !cleared.contains(&code) {
                    out.push(complex.key(w, code));
                }
            } else {
                extend(complex, stack, w, dim, out, cleared);
            }
            stack.pop();
        }
    }
    for v in 0..complex.n as u32 {
        interrupt.check()?;
        stack.clear();
        stack.push(v);
        extend(complex, &mut stack, f64::NEG_INFINITY, dim, &mut columns, cleared);
        let grown = columns.len() - charged;
        budget.charge(grown * std::mem::size_of::<Key>() * 2, "Vietoris-Rips columns")?;
        charged = columns.len();
    }
    columns.sort_unstable_by(|a, b| b.cmp(a));
    Ok(columns)
}

/// Reduce the coboundary columns of dimension `dim`, given latest first as (key, handle) with
/// `vertices(handle, out)` writing the simplex's ascending vertices; returns the rows and, when
/// `keep_deaths` is set, the death codes (they clear the next dimension).
fn reduce_dimension<H: Copy>(
    complex: &Complex,
    dim: usize,
    columns: impl Iterator<Item = (Key, H)>,
    vertices_of: impl Fn(H, &mut Vec<u32>),
    keep_deaths: bool,
    include_essential: bool,
    interrupt: &Interrupt,
) -> Result<(Rows, HashSet<u64>)> {
    // pivot cofacet code → the column's V: the code of its own simplex when V holds only that
    // one (most columns), else SHARED | index into `v_columns`. Codes stay below 2^63.
    const SHARED: u64 = 1 << 63;
    let mut pivots: FxHashMap<u64, u64> = FxHashMap::default();
    pivots.reserve(columns.size_hint().1.unwrap_or(0));
    let mut v_columns: Vec<Vec<u64>> = Vec::new();
    let mut rows = Vec::new();
    let mut deaths = HashSet::new();
    let mut vertices = Vec::with_capacity(dim + 1);
    let mut working = WorkingColumn::default();
    let mut scratch = Vec::with_capacity(dim + 1);
    let mut single = [0u64];
    let mut tau = Vec::with_capacity(dim + 2);
    let mut facet = Vec::with_capacity(dim + 1);
    for (c, (key, handle)) in columns.enumerate() {
        if c % 1024 == 0 {
            interrupt.check()?;
        }
        let code = key.2;
        vertices.clear();
        vertices_of(handle, &mut vertices);
        let value = key_value(key.0);
        // One scan for the earliest cofacet τ. A zero-persistence apparent pair (σ, τ) is left
        // out; if τ is no other column's pivot (nor another simplex's apparent partner), the
        // column is already reduced and V keeps only its own simplex.
        let Some((first, v)) = complex.earliest_cofacet(&vertices, value) else {
            if include_essential {
                rows.push((key, code, None));
            }
            continue;
        };
        if first.0 == key.0 && complex.is_latest_facet(&vertices, code, v, value, &mut facet) {
            if keep_deaths {
                deaths.insert(first.2);
            }
            continue;
        }
        let free = match pivots.entry(first.2) {
            Entry::Vacant(slot)
                if {
                    tau.clear();
                    tau.extend_from_slice(&vertices);
                    tau.insert(vertices.partition_point(|&a| a < v), v);
                    complex.zero_apparent_facet(&tau, first, &mut facet).is_none()
                } =>
            {
                slot.insert(code);
                true
            }
            _ => false,
        };
        let death = if free {
            first
        } else {
            working.clear();
            working.add_coboundary(complex, &vertices, value, None);
            let mut v_column = vec![code];
            let found = loop {
                let Some(top) = working.pivot() else { break None };
                if let Some(&other) = pivots.get(&top.2) {
                    let v_other = if other & SHARED == 0 {
                        single[0] = other;
                        &single[..]
                    } else {
                        &v_columns[(other & !SHARED) as usize][..]
                    };
                    for &rho in v_other {
                        complex.decode(rho, dim + 1, &mut scratch);
                        let rho_value = complex.value(&scratch);
                        working.add_coboundary(complex, &scratch, rho_value, Some(top));
                        v_column.push(rho);
                    }
                    continue;
                }
                complex.decode(top.2, dim + 2, &mut tau);
                match complex.zero_apparent_facet(&tau, top, &mut facet) {
                    Some(e) => {
                        working.add_coboundary(complex, &facet, key_value(top.0), Some(top));
                        v_column.push(e);
                    }
                    None => break Some(top),
                }
            };
            let Some(top) = found else {
                if include_essential {
                    rows.push((key, code, None));
                }
                continue;
            };
            pivots.insert(top.2, SHARED | v_columns.len() as u64);
            v_columns.push(cancel_pairs(v_column));
            top
        };
        let death_code = death.2;
        if keep_deaths {
            deaths.insert(death_code);
        }
        // A pair of zero persistence is no point of the diagram.
        if death.0 != key.0 {
            rows.push((key, code, Some(death_code)));
        }
    }
    Ok((Rows { dim, rows }, deaths))
}

/// The value whose [`order_key`] (not negated) is `key`.
fn key_value(key: u64) -> f64 {
    f64::from_bits(if key >> 63 == 1 { key & !(1 << 63) } else { !key })
}

/// Keep the codes that occur an odd number of times (Z/2), sorted.
fn cancel_pairs(mut codes: Vec<u64>) -> Vec<u64> {
    codes.sort_unstable();
    let mut out = Vec::with_capacity(codes.len());
    let mut i = 0;
    while i < codes.len() {
        let mut j = i;
        while j < codes.len() && codes[j] == codes[i] {
            j += 1;
        }
        if (j - i) % 2 == 1 {
            out.push(codes[i]);
        }
        i = j;
    }
    out
}

/// Drop zero-persistence pairs, order rows by birth and spell out simplices and edges.
fn finish(complex: &Complex, mut rows: Rows) -> ImplicitDiagram {
    rows.rows.sort_unstable_by_key(|r| r.0);
    let dim = rows.dim;
    let mut out = ImplicitDiagram::default();
    let mut birth = Vec::with_capacity(dim + 1);
    let mut death = Vec::with_capacity(dim + 2);
    for (_, birth_code, death_code) in rows.rows {
        complex.decode(birth_code, dim + 1, &mut birth);
        let birth_value = complex.value(&birth);
        match death_code {
            Some(code) => {
                complex.decode(code, dim + 2, &mut death);
                let death_value = complex.value(&death);
                if death_value == birth_value {
                    continue;
                }
                out.death_edges.push(complex.critical_edge(&death));
                out.death_values.push(death_value);
            }
            None => {
                out.death_edges.push([NO_DEATH, NO_DEATH]);
                out.death_values.push(f64::INFINITY);
            }
        }
        out.birth_edges.push(complex.critical_edge(&birth));
        out.birth_values.push(birth_value);
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::collection::vec;
    use proptest::prelude::*;

    use super::*;
    use crate::diagram::{persistence, ESSENTIAL};
    use crate::filtration::vr::vr_filtration;
    use crate::filtration::Precision;
    use crate::reduction::Side;

    /// The explicit path's diagrams spelled out like the implicit ones.
    fn explicit(input: &VrInput, params: &VrParams, include_essential: bool) -> Vec<ImplicitDiagram> {
        let never = Interrupt::never();
        let fil = vr_filtration(input, params, &never).unwrap();
        let dgms = persistence(&fil, Side::Cohomology, include_essential, &never).unwrap();
        let edges = fil.critical_edges();
        (0..dgms.n_dims())
            .map(|dim| {
                let mut out = ImplicitDiagram::default();
                for &[birth, death] in dgms.in_dimension(dim) {
                    out.birth_edges.push(edges[birth as usize]);
                    out.birth_values.push(fil.values()[birth as usize]);
                    if death == ESSENTIAL {
                        out.death_edges.push([NO_DEATH, NO_DEATH]);
                        out.death_values.push(f64::INFINITY);
                    } else {
                        out.death_edges.push(edges[death as usize]);
                        out.death_values.push(fil.values()[death as usize]);
                    }
                }
                out
            })
            .collect()
    }

    fn clouds() -> impl Strategy<Value = (Vec<f64>, usize)> {
        (2usize..22, 1usize..=3).prop_flat_map(|(n, d)| {
            let coords = prop_oneof![vec((0i32..3).prop_map(f64::from), n * d), vec(-1.0f64..1.0, n * d)];
            (coords, Just(d))
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(160))]

        #[test]
        fn implicit_diagrams_equal_the_explicit_reduction(
            (coords, n_dims) in clouds(),
            max_dim in 0usize..=3,
            threshold in prop_oneof![Just(None), Just(Some(f64::INFINITY)), (0.2f64..2.0).prop_map(Some)],
            single in any::<bool>(),
            eps in prop_oneof![Just(0.0), Just(0.01)],
            include_essential in any::<bool>(),
        ) {
            let input = VrInput::Points { coords: &coords, n_points: coords.len() / n_dims, n_dims };
            let params = VrParams {
                max_dim,
                max_diameter: threshold,
                eps,
                precision: if single { Precision::Single } else { Precision::Double },
            };
            let implicit = vr_persistence(&input, &params, include_essential, &Interrupt::never()).unwrap();
            let expected = explicit(&input, &params, include_essential);
            prop_assert_eq!(implicit.dims, expected);
        }

        #[test]
        fn implicit_diagrams_of_distance_matrices_equal_the_explicit_reduction(
            n in 2usize..16,
            entries in vec(0u8..4, 16 * 16),
            max_dim in 1usize..=3,
        ) {
            let matrix: Vec<f64> = (0..n * n).map(|k| f64::from(entries[k])).collect();
            let input = VrInput::Distances { matrix: &matrix, n_points: n };
            let params = VrParams { max_dim, max_diameter: Some(f64::INFINITY), eps: 0.0, precision: Precision::Double };
            let implicit = vr_persistence(&input, &params, true, &Interrupt::never()).unwrap();
            prop_assert_eq!(implicit.dims, explicit(&input, &params, true));
        }
    }

    #[test]
    fn noisy_circles_give_the_explicit_diagrams() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut uniform = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for (n, max_dim) in [(90, 2), (40, 3)] {
            let coords: Vec<f64> = (0..n)
                .flat_map(|_| {
                    let (t, r) = (std::f64::consts::TAU * uniform(), 1.0 + 0.2 * (uniform() - 0.5));
                    [r * t.cos(), r * t.sin(), 0.1 * uniform()]
                })
                .collect();
            let input = VrInput::Points {
                coords: &coords,
                n_points: n,
                n_dims: 3,
            };
            for precision in [Precision::Double, Precision::Single] {
                let params = VrParams {
                    max_dim,
                    max_diameter: None,
                    eps: 0.0,
                    precision,
                };
                let implicit = vr_persistence(&input, &params, true, &Interrupt::never()).unwrap();
                assert_eq!(implicit.dims, explicit(&input, &params, true), "n = {n}, {precision:?}");
            }
        }
    }

    #[test]
    fn codes_decode_to_their_tuples_and_order_tuples_backwards() {
        let coords: Vec<f64> = (0..7).map(f64::from).collect();
        let input = VrInput::Points {
            coords: &coords,
            n_points: 7,
            n_dims: 1,
        };
        let params = VrParams {
            max_dim: 3,
            max_diameter: Some(f64::INFINITY),
            eps: 0.0,
            precision: Precision::Double,
        };
        let rule = EdgeRule::new(&input, &params).unwrap();
        let mut complex = Complex::new(&rule, &MemoryBudget::available(), &Interrupt::never()).unwrap();
        complex.name_simplices_up_to(3).unwrap();
        let mut previous: Option<u64> = None;
        let mut out = Vec::new();
        for a in 0..7u32 {
            for b in a + 1..7 {
                for c in b + 1..7 {
                    let code = complex.code(&[a, b, c]);
                    complex.decode(code, 3, &mut out);
                    assert_eq!(out, vec![a, b, c]);
                    assert!(
                        previous.is_none_or(|p| p > code),
                        "lexicographic order is descending code order"
                    );
                    previous = Some(code);
                }
            }
        }
    }
}
