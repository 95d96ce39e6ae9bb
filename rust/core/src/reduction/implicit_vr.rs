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
//!
//! Each pair is reported with its two simplices, their values and their critical edges, so a
//! caller can form the diagram from two edge lengths per point.
//!
//! # Performance
//! Memory is O(n²) for the distance table plus the V columns of the pairs, plus, for k ≥ 2, the
//! list of k-simplices that are reduced. Time is dominated by cofacet scans, O(n·k) each.
//!
//! References: Bauer, "Ripser: efficient computation of Vietoris-Rips persistence barcodes",
//! J. Appl. Comput. Topology 5 (2021), doi:10.1007/s41468-021-00071-5; de Silva, Morozov and
//! Vejdemo-Johansson, "Dualities in persistent (co)homology", Inverse Problems 27 (2011).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};

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

    /// The earliest cofacet of the simplex `vertices` worth `value`, if it has one.
    ///
    /// For a fixed simplex, adding a smaller vertex gives a lexicographically smaller cofacet (a
    /// larger one under [`Complex::ripser_ties`]), so vertices are tried in that order and the
    /// first to attain the smallest value wins; a cofacet worth `value` itself, the least
    /// possible, ends the scan at once. Only the winner's code is computed.
    fn earliest_cofacet(&self, vertices: &[u32], value: f64) -> Option<Key> {
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
            let mut cofacet = Vec::with_capacity(vertices.len() + 1);
            cofacet.extend(vertices.iter().copied().filter(|&a| a < v));
            cofacet.push(v);
            cofacet.extend(vertices.iter().copied().filter(|&a| a > v));
            self.cofacet_key(cofacet_value, &cofacet)
        })
    }

    /// The key of a cofacet with these ascending vertices.
    fn cofacet_key(&self, value: f64, vertices: &[u32]) -> Key {
        let code = self.code(vertices);
        if !self.ripser_ties {
            return self.key(value, code);
        }
        let colex: u64 = vertices
            .iter()
            .enumerate()
            .map(|(i, &a)| self.binomial[i + 1][a as usize])
            .sum();
        (order_key(value, false), u64::MAX - colex, code)
    }

    /// Call `f(key)` for every cofacet of the simplex `vertices` worth `value`.
    fn for_each_cofacet(&self, vertices: &[u32], value: f64, mut f: impl FnMut(Key)) {
        let k = vertices.len() - 1;
        // The code of σ ∪ {v}: the vertices before v keep their term with one more element
        // after them, v adds its own, and the vertices after v keep their term.
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
            f((order_key(cofacet_value, false), tie, code));
        }
    }
}

/// A working column over Z/2 as a sum of sorted runs (one coboundary each), merged lazily: a
/// small heap holds the head of every run, and equal heads cancel in pairs. Adding a column costs
/// a sort of its coboundary instead of one heap operation per entry on a large heap.
#[derive(Default)]
struct WorkingColumn {
    runs: Vec<Vec<Key>>,
    positions: Vec<usize>,
    heads: BinaryHeap<Reverse<(Key, u32)>>,
    /// Emptied runs, kept to reuse their allocations.
    spare: Vec<Vec<Key>>,
}

impl WorkingColumn {
    fn clear(&mut self) {
        self.spare.append(&mut self.runs);
        self.positions.clear();
        self.heads.clear();
    }

    /// Add the entries of the coboundary of the simplex `vertices` (worth `value`) that are not
    /// earlier than `from`.
    ///
    /// When a reduced column with pivot `from` is added simplex by simplex, the entries of its V
    /// simplices' coboundaries earlier than its pivot cancel among themselves, so they need not
    /// be stored.
    fn add_coboundary(&mut self, complex: &Complex, vertices: &[u32], value: f64, from: Option<Key>) {
        let mut run = self.spare.pop().unwrap_or_default();
        run.clear();
        match from {
            None => complex.for_each_cofacet(vertices, value, |k| run.push(k)),
            Some(pivot) => complex.for_each_cofacet(vertices, value, |k| {
                if k >= pivot {
                    run.push(k);
                }
            }),
        }
        run.sort_unstable_by_key(|k| (u128::from(k.0) << 64) | u128::from(k.1));
        if let Some(&first) = run.first() {
            self.heads.push(Reverse((first, self.runs.len() as u32)));
            self.runs.push(run);
            self.positions.push(0);
        } else {
            self.spare.push(run);
        }
    }

    fn advance(&mut self, run: u32) {
        let r = run as usize;
        self.positions[r] += 1;
        if let Some(&next) = self.runs[r].get(self.positions[r]) {
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
    let mut cleared: HashSet<u64> = HashSet::new();
    if max_dim >= 1 {
        let (rows, deaths) = h0(&complex, &edges, include_essential, interrupt)?;
        all_rows.push(rows);
        cleared = deaths;
    }
    for dim in 1..max_dim {
        let columns = columns(&complex, dim, &edges, &cleared, &budget, interrupt)?;
        let (rows, deaths) = reduce_dimension(&complex, dim, &columns, include_essential, interrupt)?;
        all_rows.push(rows);
        cleared = deaths;
    }
    let dims = all_rows.into_iter().map(|rows| finish(&complex, rows)).collect();
    Ok(ImplicitVr { max_dim, dims })
}

/// H0 by union-find; returns the rows and the codes of the edges that killed a component.
fn h0(
    complex: &Complex,
    edges: &[(Key, u32, u32)],
    include_essential: bool,
    interrupt: &Interrupt,
) -> Result<(Rows, HashSet<u64>)> {
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
    let mut deaths = HashSet::with_capacity(n);
    for (e, &(key, i, j)) in edges.iter().enumerate() {
        if e % 4096 == 0 {
            interrupt.check()?;
        }
        let (a, b) = (root(&mut parent, i), root(&mut parent, j));
        if a != b {
            let (elder, younger) = (a.min(b), a.max(b));
            parent[younger as usize] = elder;
            let code = key.2;
            deaths.insert(code);
            let vertex = complex.code(&[younger]);
            rows.push((complex.key(complex.vertex_value, vertex), vertex, Some(code)));
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
    Ok((Rows { dim: 0, rows }, deaths))
}

/// The k-simplices that are reduced in dimension k, latest first, as (key, code), leaving out
/// the cleared ones (deaths of dimension k − 1).
fn columns(
    complex: &Complex,
    dim: usize,
    edges: &[(Key, u32, u32)],
    cleared: &HashSet<u64>,
    budget: &MemoryBudget,
    interrupt: &Interrupt,
) -> Result<Vec<Key>> {
    let mut columns: Vec<Key> = Vec::new();
    if dim == 1 {
        columns.extend(
            edges
                .iter()
                .filter(|&&(key, _, _)| !cleared.contains(&key.2))
                .map(|&(key, _, _)| key),
        );
    } else {
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
    }
    columns.sort_unstable_by(|a, b| b.cmp(a));
    Ok(columns)
}

/// Reduce the coboundary columns of dimension `dim`; returns the rows and the death codes.
fn reduce_dimension(
    complex: &Complex,
    dim: usize,
    columns: &[Key],
    include_essential: bool,
    interrupt: &Interrupt,
) -> Result<(Rows, HashSet<u64>)> {
    // pivot cofacet code → index into `v_columns`.
    let mut pivots: HashMap<u64, u32> = HashMap::new();
    // The columns of V that became pivots, as codes of dim-simplices (the column's own first).
    let mut v_columns: Vec<Vec<u64>> = Vec::new();
    let mut rows = Vec::new();
    let mut deaths = HashSet::new();
    let mut vertices = Vec::with_capacity(dim + 1);
    let mut working = WorkingColumn::default();
    let mut scratch = Vec::with_capacity(dim + 1);
    for (c, &key) in columns.iter().enumerate() {
        if c % 1024 == 0 {
            interrupt.check()?;
        }
        let code = key.2;
        complex.decode(code, dim + 1, &mut vertices);
        let value = complex.value(&vertices);
        // One scan for the earliest cofacet: if no other column has it as pivot, the column
        // is already reduced and V keeps only its own simplex.
        let found = match complex.earliest_cofacet(&vertices, value) {
            None => None,
            Some(first) if !pivots.contains_key(&(first.2)) => {
                v_columns.push(vec![code]);
                Some(first)
            }
            Some(_) => {
                working.clear();
                working.add_coboundary(complex, &vertices, value, None);
                let mut v_column = vec![code];
                loop {
                    let Some(top) = working.pivot() else { break None };
                    let Some(&other) = pivots.get(&top.2) else {
                        v_columns.push(cancel_pairs(v_column));
                        break Some(top);
                    };
                    for &rho in &v_columns[other as usize] {
                        complex.decode(rho, dim + 1, &mut scratch);
                        let rho_value = complex.value(&scratch);
                        working.add_coboundary(complex, &scratch, rho_value, Some(top));
                        v_column.push(rho);
                    }
                }
            }
        };
        match found {
            Some(death) => {
                let death_code = death.2;
                pivots.insert(death_code, (v_columns.len() - 1) as u32);
                deaths.insert(death_code);
                rows.push((key, code, Some(death_code)));
            }
            None if include_essential => rows.push((key, code, None)),
            None => {}
        }
    }
    Ok((Rows { dim, rows }, deaths))
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
