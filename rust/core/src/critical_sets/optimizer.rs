//! The critical-set state: a filtration's combinatorics in the current order, its values, the
//! persistence pairing, and the lazily reduced dimension blocks of both sides.

use std::ops::Range;
use std::sync::Arc;

use rayon::prelude::*;

use crate::critical_sets::block::{BlockColumns, BlockReduction};
use crate::critical_sets::conflicts::{self, ConflictStrategy, IndicesValues};
use crate::critical_sets::CriticalSet;
use crate::diagram::ESSENTIAL;
use crate::error::{try_filled, try_reserve, Error, Result};
use crate::filtration::{order_key, Filtration, Precision};
use crate::interrupt::Interrupt;
use crate::matrix::{BoundaryOracle, ColumnMatrix};
use crate::reduction::{persistence_pairs, reduce_pairs_with_clearing, Side};

/// Sentinel for "no partner" (an essential or top-dimensional unpaired cell).
const UNPAIRED: u32 = u32::MAX;

/// Poll the interrupt flag once per this many cells while building matrices.
const INTERRUPT_STRIDE: usize = 4096;

/// One of the four moves of a diagram point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Move {
    /// Move the birth of a positive cell later (column of V⊥).
    IncreaseBirth,
    /// Move the birth of a positive cell earlier (row of U⊥).
    DecreaseBirth,
    /// Move the death of a negative cell later (row of U).
    IncreaseDeath,
    /// Move the death of a negative cell earlier (column of V).
    DecreaseDeath,
}

impl Move {
    fn is_death(self) -> bool {
        matches!(self, Move::IncreaseDeath | Move::DecreaseDeath)
    }

    fn is_increase(self) -> bool {
        matches!(self, Move::IncreaseBirth | Move::IncreaseDeath)
    }
}

/// The cells of a filtration in the optimizer's current order: the filtration itself, or a
/// permutation of it within each dimension after [`TopologyOptimizer::update`].
#[derive(Debug, Clone)]
struct Complex {
    fil: Arc<Filtration>,
    /// `order[sid]` is the filtration sid of the cell now at `sid`; `inverse` maps back.
    order: Option<(Vec<u32>, Vec<u32>)>,
}

impl BoundaryOracle for Complex {
    fn n_cells(&self) -> usize {
        self.fil.size()
    }

    fn cells_with_facets(&self) -> Range<usize> {
        self.fil.cells_with_facets()
    }

    fn facets(&self, sid: usize, out: &mut Vec<u32>) {
        match &self.order {
            None => self.fil.facets(sid, out),
            Some((order, inverse)) => {
                self.fil.facets(order[sid] as usize, out);
                for f in out.iter_mut() {
                    *f = inverse[*f as usize];
                }
                out.sort_unstable();
            }
        }
    }
}

/// A planned move: the cell, its target and which move dispatch chose (`None`: empty set).
type Plan = (u32, f64, Option<Move>);

/// The critical-set machinery of one filtration and one set of values.
///
/// Everything is computed on demand and cached: the pairing (on the side chosen at
/// construction), and per dimension the canonical reduction of the boundary block (homology:
/// V for death moves, U rows from it) and of the coboundary block (cohomology: V⊥ for birth
/// moves, U⊥ rows). A block is reduced only as far as the moves asked so far reach.
#[derive(Debug, Clone)]
pub struct TopologyOptimizer {
    complex: Complex,
    values: Vec<f64>,
    /// `starts[d]..starts[d + 1]` are the sids of dimension d.
    starts: Vec<usize>,
    negate: bool,
    precision: Precision,
    side: Side,
    /// Per sid, the other cell of its persistence pair, or [`UNPAIRED`].
    partner: Option<Vec<u32>>,
    homology: Vec<Option<BlockReduction>>,
    cohomology: Vec<Option<BlockReduction>>,
    /// Per dimension, the columns of D for its cells, shared by the homology block of that
    /// dimension and the coboundary block of the one below.
    boundaries: Vec<Option<Arc<BlockColumns>>>,
}

impl TopologyOptimizer {
    /// The state of `fil` with its own values. The pairing is computed on `side` when first
    /// needed; `precision` is the filtration dtype, in which conflict arithmetic runs.
    pub fn new(fil: Arc<Filtration>, side: Side, precision: Precision) -> Self {
        let max_dim = fil.max_dim();
        let starts: Vec<usize> = (0..=max_dim)
            .map(|d| fil.dim_range(d).start)
            .chain(std::iter::once(fil.size()))
            .collect();
        TopologyOptimizer {
            values: fil.values().to_vec(),
            negate: fil.negate(),
            complex: Complex { fil, order: None },
            starts,
            precision,
            side,
            partner: None,
            homology: vec![None; max_dim + 1],
            cohomology: vec![None; max_dim + 1],
            boundaries: vec![None; max_dim + 1],
        }
    }

    /// The number of cells N.
    pub fn size(&self) -> usize {
        self.values.len()
    }

    /// The current values, by current sid.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The largest cell dimension present.
    pub fn max_dim(&self) -> usize {
        self.starts.len() - 2
    }

    /// Whether comparisons are reversed.
    pub fn negate(&self) -> bool {
        self.negate
    }

    fn dim_range(&self, dim: usize) -> Range<usize> {
        self.starts[dim]..self.starts[dim + 1]
    }

    fn dim_of(&self, sid: usize) -> usize {
        self.starts.partition_point(|&s| s <= sid) - 1
    }

    /// a ⪯ b in filtration order.
    fn precedes_eq(&self, a: f64, b: f64) -> bool {
        if self.negate {
            a >= b
        } else {
            a <= b
        }
    }

    fn check_cell(&self, sid: usize) -> Result<()> {
        if sid >= self.size() {
            return Err(Error::IndexOutOfRange {
                idx: sid,
                size: self.size(),
            });
        }
        Ok(())
    }

    /// Compute the pairing if it is not cached.
    ///
    /// # Errors
    /// [`Error::TooLarge`] if a matrix cannot be allocated, [`Error::Interrupted`] when cancelled.
    pub fn ensure_pairs(&mut self, interrupt: &Interrupt) -> Result<()> {
        if self.partner.is_some() {
            return Ok(());
        }
        let n = self.size();
        if self.side == Side::Cohomology {
            return self.pairs_from_cohomology_blocks(interrupt);
        }
        let pairs: Vec<(u32, u32)> = match &self.complex.order {
            None => persistence_pairs(&self.complex.fil, self.side, interrupt)?,
            Some(_) => self.pairs_by_clearing(interrupt)?,
        };
        let mut partner = try_filled(n, UNPAIRED, "pairing table")?;
        for (birth, death) in pairs {
            partner[birth as usize] = death;
            partner[death as usize] = birth;
        }
        self.partner = Some(partner);
        Ok(())
    }

    /// The pairing on the cohomology side, from the blocks the birth moves read: each block is
    /// reduced whole, dimension by dimension upwards, skipping the columns of cells that died
    /// in the block below (clearing). The reduction of the remaining columns is the canonical
    /// one, so the blocks are kept for the moves and nothing is reduced twice.
    fn pairs_from_cohomology_blocks(&mut self, interrupt: &Interrupt) -> Result<()> {
        let n = self.size();
        let mut partner = try_filled(n, UNPAIRED, "pairing table")?;
        for dim in 0..self.max_dim() {
            let range = self.dim_range(dim);
            if range.is_empty() {
                continue;
            }
            let block = self.cohomology_columns(dim, interrupt)?;
            let rows = {
                let r = self.dim_range(dim + 1);
                (n - r.end)..(n - r.start)
            };
            let mut reduction = BlockReduction::new(Arc::new(block), rows)?;
            // A cell whose partner is already known died in the dimension below.
            reduction.ensure(n - 1 - range.start, &|m| partner[n - 1 - m] != UNPAIRED, interrupt)?;
            for (m, low) in reduction.pivots() {
                let (birth, death) = (n - 1 - m, n - 1 - low as usize);
                partner[birth] = death as u32;
                partner[death] = birth as u32;
            }
            self.cohomology[dim] = Some(reduction);
        }
        self.partner = Some(partner);
        Ok(())
    }

    /// Pairs (birth, death) of the permuted complex by the clearing reduction of homology.
    fn pairs_by_clearing(&self, interrupt: &Interrupt) -> Result<Vec<(u32, u32)>> {
        let d = ColumnMatrix::boundary(&self.complex, interrupt)?;
        let blocks: Vec<Range<usize>> = (1..=self.max_dim()).rev().map(|k| self.dim_range(k)).collect();
        let found = reduce_pairs_with_clearing(&d, &blocks, interrupt)?;
        Ok(found.into_iter().map(|(col, row)| (row, col)).collect())
    }

    fn partner(&self) -> &[u32] {
        self.partner
            .as_deref()
            .expect("ensure_pairs runs before the pairing is read")
    }

    /// Whether cell `sid` is negative (a death: its homology column does not reduce to zero).
    fn is_negative(&self, sid: usize) -> bool {
        let p = self.partner()[sid];
        p != UNPAIRED && (p as usize) < sid
    }

    /// The index diagrams of dimensions 0 … `max_dim` − 1: rows [birth sid, death sid] ordered
    /// by birth sid, zero-persistence pairs dropped, essential rows (death [`ESSENTIAL`]) on
    /// request.
    ///
    /// # Errors
    /// As [`TopologyOptimizer::ensure_pairs`].
    pub fn index_diagrams(&mut self, include_essential: bool, interrupt: &Interrupt) -> Result<Vec<Vec<[i64; 2]>>> {
        self.ensure_pairs(interrupt)?;
        let top = self.max_dim();
        let partner = self.partner();
        let mut dims: Vec<Vec<[i64; 2]>> = vec![Vec::new(); top];
        for (dim, rows) in dims.iter_mut().enumerate() {
            for birth in self.dim_range(dim) {
                let p = partner[birth];
                if p == UNPAIRED {
                    if include_essential {
                        rows.push([birth as i64, ESSENTIAL]);
                    }
                } else if p as usize > birth && self.values[birth] != self.values[p as usize] {
                    rows.push([birth as i64, p as i64]);
                }
            }
        }
        Ok(dims)
    }

    /// Replace the values (indexed by current sid), re-sort every dimension by (value′, current
    /// sid) and drop every cached reduction. Returns `perm` with `perm[new sid] = old sid`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for a wrong length, [`Error::NonFiniteValue`] for NaN or
    /// infinite values, [`Error::TooLarge`] if the new order cannot be allocated.
    pub fn update(&mut self, new_values: &[f64]) -> Result<Vec<u32>> {
        let n = self.size();
        if new_values.len() != n {
            return Err(Error::ShapeMismatch {
                name: "new_values",
                expected: format!("({n},)"),
                found: format!("({},)", new_values.len()),
            });
        }
        let bad = new_values.iter().filter(|v| !v.is_finite()).count();
        if bad > 0 {
            return Err(Error::NonFiniteValue {
                name: "new_values",
                count: bad,
                first_idx: new_values.iter().position(|v| !v.is_finite()).unwrap_or(0),
            });
        }
        let mut perm = try_filled(n, 0u32, "permutation")?;
        for dim in 0..=self.max_dim() {
            let range = self.dim_range(dim);
            let mut keyed: Vec<(u64, u32)> = Vec::new();
            try_reserve(&mut keyed, range.len(), "permutation")?;
            keyed.extend(range.clone().map(|s| (order_key(new_values[s], self.negate), s as u32)));
            keyed.par_sort_unstable();
            for (k, (_, old)) in keyed.into_iter().enumerate() {
                perm[range.start + k] = old;
            }
        }
        let old_order = self.complex.order.take().map(|(order, _)| order);
        let mut order = try_filled(n, 0u32, "permutation")?;
        let mut inverse = try_filled(n, 0u32, "permutation")?;
        let mut values = try_filled(n, 0.0f64, "filtration values")?;
        for (new, &old) in perm.iter().enumerate() {
            let fil_sid = old_order.as_ref().map_or(old, |o| o[old as usize]);
            order[new] = fil_sid;
            inverse[fil_sid as usize] = new as u32;
            values[new] = new_values[old as usize];
        }
        self.complex.order = Some((order, inverse));
        self.values = values;
        self.partner = None;
        self.homology.iter_mut().for_each(|b| *b = None);
        self.cohomology.iter_mut().for_each(|b| *b = None);
        self.boundaries.iter_mut().for_each(|b| *b = None);
        Ok(perm)
    }

    /// Reduce both sides of every dimension completely (only speeds up later calls).
    ///
    /// # Errors
    /// As [`TopologyOptimizer::ensure_pairs`].
    pub fn reduce_all(&mut self, interrupt: &Interrupt) -> Result<()> {
        self.ensure_pairs(interrupt)?;
        for dim in 0..=self.max_dim() {
            let range = self.dim_range(dim);
            if range.is_empty() {
                continue;
            }
            self.ensure_homology(dim, range.end - 1, interrupt)?;
            self.ensure_cohomology(dim, self.size() - 1 - range.start, interrupt)?;
        }
        Ok(())
    }

    /// Reduce the homology block of `dim` up to sid `last`: the columns of negative cells (the
    /// others reduce to zero and are skipped).
    fn ensure_homology(&mut self, dim: usize, last: usize, interrupt: &Interrupt) -> Result<()> {
        if self.homology[dim].is_none() {
            let block = self.boundary_block(dim, interrupt)?;
            let rows = if dim == 0 { 0..0 } else { self.dim_range(dim - 1) };
            self.homology[dim] = Some(BlockReduction::new(block, rows)?);
        }
        let partner = self.partner.as_deref().expect("pairs before blocks");
        let negative = |sid: usize| partner[sid] != UNPAIRED && (partner[sid] as usize) < sid;
        self.homology[dim]
            .as_mut()
            .expect("created above")
            .ensure(last, &|sid| !negative(sid), interrupt)
    }

    /// Reduce the cohomology block of `dim` up to matrix index `last`: the columns of positive
    /// cells with a finite partner (those of negative and essential cells reduce to zero).
    fn ensure_cohomology(&mut self, dim: usize, last: usize, interrupt: &Interrupt) -> Result<()> {
        let n = self.size();
        if self.cohomology[dim].is_none() {
            let block = self.cohomology_columns(dim, interrupt)?;
            let rows = if dim == self.max_dim() {
                0..0
            } else {
                let r = self.dim_range(dim + 1);
                (n - r.end)..(n - r.start)
            };
            self.cohomology[dim] = Some(BlockReduction::new(Arc::new(block), rows)?);
        }
        let partner = self.partner.as_deref().expect("pairs before blocks");
        let dies_later = |m: usize| {
            let sid = n - 1 - m;
            partner[sid] != UNPAIRED && (partner[sid] as usize) > sid
        };
        self.cohomology[dim]
            .as_mut()
            .expect("created above")
            .ensure(last, &|m| !dies_later(m), interrupt)
    }

    /// The columns of D for the cells of `dim` (cached).
    ///
    /// Every cell of one dimension has the same number c of facets (d + 1 for a simplex, 2d for
    /// a cube), so column k is `entries[c·k .. c·(k + 1)]` and the cells are filled in parallel.
    fn boundary_block(&mut self, dim: usize, interrupt: &Interrupt) -> Result<Arc<BlockColumns>> {
        if let Some(block) = &self.boundaries[dim] {
            return Ok(block.clone());
        }
        const CHUNK: usize = 1 << 12;
        let range = self.dim_range(dim);
        let mut facets = Vec::new();
        if dim > 0 && !range.is_empty() {
            self.complex.facets(range.start, &mut facets);
        }
        let c = facets.len();
        let mut entries = try_filled(range.len() * c, 0u32, "boundary block")?;
        if c > 0 {
            let complex = &self.complex;
            entries
                .par_chunks_mut(c * CHUNK)
                .enumerate()
                .try_for_each_init(Vec::new, |buffer, (chunk, out)| {
                    interrupt.check()?;
                    let first = range.start + chunk * CHUNK;
                    for (k, column) in out.chunks_mut(c).enumerate() {
                        complex.facets(first + k, buffer);
                        assert_eq!(buffer.len(), c, "cells of one dimension have equally many facets");
                        column.copy_from_slice(buffer);
                    }
                    Ok::<(), Error>(())
                })?;
        }
        let mut offsets = Vec::new();
        try_reserve(&mut offsets, range.len() + 1, "boundary block")?;
        offsets.extend((0..=range.len()).map(|k| k * c));
        let block = Arc::new(BlockColumns {
            block: range,
            offsets,
            entries,
        });
        self.boundaries[dim] = Some(block.clone());
        Ok(block)
    }

    /// The columns of D⊥ for the cells of `dim`: column m(σ) lists m(τ) for the cofacets τ, the
    /// transpose of the boundary block of `dim` + 1 by a counting sort.
    fn cohomology_columns(&mut self, dim: usize, interrupt: &Interrupt) -> Result<BlockColumns> {
        let n = self.size();
        let range = self.dim_range(dim);
        let block = (n - range.end)..(n - range.start);
        let local = |sid: u32| range.end - 1 - sid as usize;
        let mut counts = try_filled(range.len() + 1, 0usize, "coboundary block")?;
        if dim == self.max_dim() {
            return Ok(BlockColumns {
                block,
                offsets: counts,
                entries: Vec::new(),
            });
        }
        let faces = self.boundary_block(dim + 1, interrupt)?;
        for &f in &faces.entries {
            counts[local(f) + 1] += 1;
        }
        for k in 0..range.len() {
            counts[k + 1] += counts[k];
        }
        interrupt.check()?;
        let offsets = counts;
        let mut entries = try_filled(offsets[range.len()], 0u32, "coboundary block")?;
        let mut cursor: Vec<usize> = offsets[..range.len()].to_vec();
        // Cofacets by descending sid are rows m(τ) ascending within each column.
        let cofaces = &faces.block;
        for (t, tau) in cofaces.clone().enumerate().rev() {
            if t % INTERRUPT_STRIDE == 0 {
                interrupt.check()?;
            }
            let row = (n - 1 - tau) as u32;
            for &f in &faces.entries[faces.offsets[t]..faces.offsets[t + 1]] {
                let k = local(f);
                entries[cursor[k]] = row;
                cursor[k] += 1;
            }
        }
        Ok(BlockColumns {
            block,
            offsets,
            entries,
        })
    }

    /// The move dispatch chooses for cell `sid` and target `t`, or `None` when t equals f(sid).
    fn dispatch(&self, sid: usize, target: f64) -> Option<Move> {
        let current = self.values[sid];
        if target == current {
            return None;
        }
        let increase = self.precedes_eq(current, target);
        Some(match (self.is_negative(sid), increase) {
            (true, true) => Move::IncreaseDeath,
            (true, false) => Move::DecreaseDeath,
            (false, true) => Move::IncreaseBirth,
            (false, false) => Move::DecreaseBirth,
        })
    }

    /// The last sid of `dim` (in sid order) whose value satisfies `pred`, where `pred` holds on
    /// a prefix of the dimension block; `None` if it holds nowhere.
    fn last_where(&self, dim: usize, pred: impl Fn(f64) -> bool) -> Option<usize> {
        let range = self.dim_range(dim);
        let k = self.values[range.clone()].partition_point(|&v| pred(v));
        (k > 0).then(|| range.start + k - 1)
    }

    /// The first sid of `dim` whose value satisfies `pred`, where `pred` holds on a suffix.
    fn first_where(&self, dim: usize, pred: impl Fn(f64) -> bool) -> Option<usize> {
        let range = self.dim_range(dim);
        let k = self.values[range.clone()].partition_point(|&v| !pred(v));
        (k < range.len()).then_some(range.start + k)
    }

    /// The matrix index up to which a move's block must be reduced.
    fn reach(&self, mv: Move, sid: usize, target: f64) -> usize {
        let n = self.size();
        let dim = self.dim_of(sid);
        match mv {
            Move::DecreaseDeath => sid,
            Move::IncreaseDeath => self
                .last_where(dim, |v| self.precedes_eq(v, target))
                .map_or(sid, |l| l.max(sid)),
            Move::IncreaseBirth => n - 1 - sid,
            Move::DecreaseBirth => {
                let first = self
                    .first_where(dim, |v| self.precedes_eq(target, v))
                    .map_or(sid, |f| f.min(sid));
                n - 1 - first
            }
        }
    }

    /// Reduce what the planned moves need.
    fn prepare(&mut self, plans: &[Plan], interrupt: &Interrupt) -> Result<()> {
        let top = self.max_dim();
        let mut hom_reach: Vec<Option<usize>> = vec![None; top + 1];
        let mut coh_reach: Vec<Option<usize>> = vec![None; top + 1];
        for &(sid, target, mv) in plans {
            let Some(mv) = mv else { continue };
            let dim = self.dim_of(sid as usize);
            let reach = self.reach(mv, sid as usize, target);
            let slot = if mv.is_death() {
                &mut hom_reach[dim]
            } else {
                &mut coh_reach[dim]
            };
            *slot = Some(slot.map_or(reach, |r| r.max(reach)));
        }
        for dim in 0..=top {
            if let Some(last) = hom_reach[dim] {
                self.ensure_homology(dim, last, interrupt)?;
            }
            if let Some(last) = coh_reach[dim] {
                self.ensure_cohomology(dim, last, interrupt)?;
            }
        }
        Ok(())
    }

    /// The rows of U (increase death) and U⊥ (decrease birth) the planned moves read, solved
    /// in batches per block; `None` for the other moves. The blocks must be prepared.
    fn u_rows(&self, plans: &[Plan]) -> Vec<Option<Vec<u32>>> {
        let n = self.size();
        let mut rows: Vec<Option<Vec<u32>>> = vec![None; plans.len()];
        for dim in 0..=self.max_dim() {
            for death in [true, false] {
                let wanted = if death {
                    Move::IncreaseDeath
                } else {
                    Move::DecreaseBirth
                };
                let mut which = Vec::new();
                let mut queries = Vec::new();
                for (p, &(sid, target, mv)) in plans.iter().enumerate() {
                    if mv == Some(wanted) && self.dim_of(sid as usize) == dim {
                        let reach = self.reach(wanted, sid as usize, target);
                        let i = if death { sid as usize } else { n - 1 - sid as usize };
                        which.push(p);
                        queries.push((i, reach));
                    }
                }
                if queries.is_empty() {
                    continue;
                }
                let blocks = if death { &self.homology } else { &self.cohomology };
                let block = blocks[dim].as_ref().expect("prepared");
                for (p, row) in which.into_iter().zip(block.u_rows(&queries)) {
                    rows[p] = Some(row);
                }
            }
        }
        rows
    }

    /// The critical set of a planned move; its blocks must be prepared, and `u_row` is the row
    /// of U or U⊥ the move reads (for increase death and decrease birth).
    fn critical_set(&self, sid: usize, target: f64, mv: Move, u_row: Option<Vec<u32>>) -> Vec<u32> {
        let n = self.size();
        let dim = self.dim_of(sid);
        let values = &self.values;
        match mv {
            Move::DecreaseDeath => {
                let block = self.homology[dim].as_ref().expect("prepared");
                let low = block.low(sid);
                let column = block.v_column(sid);
                let mut set = vec![sid as u32];
                set.extend(column[..column.len() - 1].iter().rev().copied().filter(|&r| {
                    let r_low = block.low(r as usize);
                    self.precedes_eq(target, values[r as usize]) && r_low.is_some() && r_low >= low
                }));
                set
            }
            Move::IncreaseDeath => {
                let block = self.homology[dim].as_ref().expect("prepared");
                let low = block.low(sid);
                let row = u_row.expect("rows of U are solved before the sets");
                row.into_iter()
                    .enumerate()
                    .filter(|&(k, r)| {
                        k == 0 || (self.precedes_eq(values[r as usize], target) && block.low(r as usize) <= low)
                    })
                    .map(|(_, r)| r)
                    .collect()
            }
            Move::IncreaseBirth => {
                let block = self.cohomology[dim].as_ref().expect("prepared");
                let m = n - 1 - sid;
                let column = block.v_column(m);
                let mut set = vec![sid as u32];
                set.extend(
                    column[..column.len() - 1]
                        .iter()
                        .rev()
                        .map(|&r| (n - 1 - r as usize) as u32)
                        .filter(|&r| self.precedes_eq(values[r as usize], target)),
                );
                set
            }
            Move::DecreaseBirth => {
                let row = u_row.expect("rows of U⊥ are solved before the sets");
                row.into_iter()
                    .map(|r| (n - 1 - r as usize) as u32)
                    .enumerate()
                    .filter(|&(k, r)| k == 0 || self.precedes_eq(target, values[r as usize]))
                    .map(|(_, r)| r)
                    .collect()
            }
        }
    }

    /// The critical sets of the given (cell, target) pairs, one per pair, in order. A target
    /// equal to the cell's value gives an empty set; otherwise a negative cell gets a death move
    /// and a positive cell a birth move, in the direction of the target.
    ///
    /// Blocks are reduced serially as far as the moves reach; the sets themselves are computed
    /// in parallel (in the current rayon pool) and collected in order.
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    /// use oineus_diff_core::critical_sets::TopologyOptimizer;
    /// use oineus_diff_core::filtration::freudenthal::{freudenthal_filtration, FreudenthalParams};
    /// use oineus_diff_core::filtration::Precision;
    /// use oineus_diff_core::{reduction::Side, Interrupt};
    /// let f = [0.0, 3.0, 1.0, 2.0, 0.5, 4.0];
    /// let params = FreudenthalParams { negate: false, wrap: false, max_dim: 1 };
    /// let fil = freudenthal_filtration(&f, &[6], &params, &Interrupt::never()).unwrap();
    /// let mut opt = TopologyOptimizer::new(Arc::new(fil), Side::Homology, Precision::Double);
    /// // Moving the death of the point (0.5, 3) (edge sid 9) down to 2 drags edges 8, 7 and 6.
    /// let sets = opt.singletons(&[9], &[2.0], &Interrupt::never()).unwrap();
    /// assert_eq!(sets[0].cells, vec![9, 8, 7, 6]);
    /// ```
    ///
    /// # Errors
    /// [`Error::IndexOutOfRange`] for a sid ≥ N, [`Error::InvalidParameter`] for a NaN target,
    /// [`Error::ShapeMismatch`] if the slices differ in length, [`Error::TooLarge`],
    /// [`Error::Interrupted`].
    pub fn singletons(&mut self, cells: &[u32], targets: &[f64], interrupt: &Interrupt) -> Result<Vec<CriticalSet>> {
        if cells.len() != targets.len() {
            return Err(Error::ShapeMismatch {
                name: "values",
                expected: format!("({},) like indices", cells.len()),
                found: format!("({},)", targets.len()),
            });
        }
        for (&c, &t) in cells.iter().zip(targets) {
            self.check_cell(c as usize)?;
            if t.is_nan() {
                return Err(Error::InvalidParameter {
                    name: "values",
                    reason: format!("targets must not be NaN; got NaN for cell {c}"),
                });
            }
        }
        self.ensure_pairs(interrupt)?;
        let plans: Vec<Plan> = cells
            .iter()
            .zip(targets)
            .map(|(&c, &t)| (c, t, self.dispatch(c as usize, t)))
            .collect();
        self.run_plans(&plans, interrupt)
    }

    fn run_plans(&mut self, plans: &[Plan], interrupt: &Interrupt) -> Result<Vec<CriticalSet>> {
        self.prepare(plans, interrupt)?;
        interrupt.check()?;
        let this = &*self;
        let rows = this.u_rows(plans);
        Ok(plans
            .par_iter()
            .zip(rows)
            .map(|(&(sid, target, mv), row)| CriticalSet {
                target,
                cells: mv.map_or_else(Vec::new, |mv| this.critical_set(sid as usize, target, mv, row)),
            })
            .collect())
    }

    /// The critical set of one explicit move; `target` `None` means unbounded.
    ///
    /// # Errors
    /// [`Error::IndexOutOfRange`] for a sid ≥ N; [`Error::InvalidParameter`] for a death move
    /// on a positive cell, a birth move on a negative cell, a NaN target or one on the wrong side
    /// of the cell's value; [`Error::TooLarge`], [`Error::Interrupted`].
    pub fn move_cell(&mut self, mv: Move, sid: usize, target: Option<f64>, interrupt: &Interrupt) -> Result<Vec<u32>> {
        self.check_cell(sid)?;
        self.ensure_pairs(interrupt)?;
        if self.is_negative(sid) != mv.is_death() {
            let (what, is) = if mv.is_death() {
                ("a death move needs a negative cell", "positive")
            } else {
                ("a birth move needs a positive cell", "negative")
            };
            return Err(Error::InvalidParameter {
                name: "i",
                reason: format!("{what}; cell {sid} is {is}"),
            });
        }
        let later = if self.negate { f64::NEG_INFINITY } else { f64::INFINITY };
        let target = target.unwrap_or(if mv.is_increase() { later } else { -later });
        let current = self.values[sid];
        let right_side = if mv.is_increase() {
            self.precedes_eq(current, target)
        } else {
            self.precedes_eq(target, current)
        };
        if target.is_nan() || !right_side {
            let side = if mv.is_increase() { "later" } else { "earlier" };
            return Err(Error::InvalidParameter {
                name: "target",
                reason: format!(
                    "must not lie {side} than the cell's value {current} in filtration order; got {target}"
                ),
            });
        }
        let sets = self.run_plans(&[(sid as u32, target, Some(mv))], interrupt)?;
        Ok(sets.into_iter().next().map(|s| s.cells).unwrap_or_default())
    }

    /// [`TopologyOptimizer::singletons`] followed by [`conflicts::combine`].
    ///
    /// # Errors
    /// As [`TopologyOptimizer::singletons`].
    pub fn crit_sets_apply(
        &mut self,
        cells: &[u32],
        targets: &[f64],
        strategy: ConflictStrategy,
        interrupt: &Interrupt,
    ) -> Result<IndicesValues> {
        let sets = self.singletons(cells, targets, interrupt)?;
        interrupt.check()?;
        conflicts::combine(&sets, strategy, &self.values, self.precision)
    }

    /// The crit-sets gradient on the values for the moves (cells, targets) in canonical order:
    /// the touched sids ascending and f(σ) − t(σ) for each (summed over contributions for
    /// `Sum`).
    ///
    /// # Errors
    /// As [`TopologyOptimizer::singletons`].
    pub fn crit_sets_gradient(
        &mut self,
        cells: &[u32],
        targets: &[f64],
        strategy: ConflictStrategy,
        interrupt: &Interrupt,
    ) -> Result<IndicesValues> {
        let sets = self.singletons(cells, targets, interrupt)?;
        interrupt.check()?;
        conflicts::gradient(&sets, strategy, &self.values, self.precision)
    }

    /// [`conflicts::combine`] with this optimizer's values and precision.
    ///
    /// # Errors
    /// As [`conflicts::combine`].
    pub fn combine(&self, sets: &[CriticalSet], strategy: ConflictStrategy) -> Result<IndicesValues> {
        conflicts::combine(sets, strategy, &self.values, self.precision)
    }
}

#[cfg(test)]
mod tests {
    use proptest::collection::vec;
    use proptest::prelude::*;

    use super::*;
    use crate::filtration::freudenthal::{freudenthal_filtration, FreudenthalParams};
    use crate::filtration::vr::{vr_filtration, VrInput, VrParams};
    use crate::reduction::{reduce_canonical, Decomposition};

    fn never() -> Interrupt<'static> {
        Interrupt::never()
    }

    fn micro(negate: bool) -> TopologyOptimizer {
        let f = [0.0, 3.0, 1.0, 2.0, 0.5, 4.0];
        let params = FreudenthalParams {
            negate,
            wrap: false,
            max_dim: 1,
        };
        let fil = freudenthal_filtration(&f, &[6], &params, &never()).unwrap();
        TopologyOptimizer::new(Arc::new(fil), Side::Homology, Precision::Double)
    }

    fn grid(data: &[f64], shape: &[usize], negate: bool) -> Arc<Filtration> {
        let params = FreudenthalParams {
            negate,
            wrap: false,
            max_dim: shape.len(),
        };
        Arc::new(freudenthal_filtration(data, shape, &params, &never()).unwrap())
    }

    fn vr(coords: &[f64], max_dim: usize) -> Arc<Filtration> {
        let input = VrInput::Points {
            coords,
            n_points: coords.len() / 2,
            n_dims: 2,
        };
        let params = VrParams {
            max_dim,
            max_diameter: None,
            eps: 0.0,
            precision: Precision::Double,
        };
        Arc::new(vr_filtration(&input, &params, &never()).unwrap())
    }

    /// The inverse of an upper unitriangular Z/2 matrix given by its columns, as dense rows.
    #[allow(clippy::needless_range_loop)] // matrix indices read clearer than iterator chains
    fn dense_inverse(dec: &Decomposition) -> Vec<Vec<bool>> {
        let n = dec.size();
        let mut v = vec![vec![false; n]; n];
        for j in 0..n {
            for &i in dec.v_column(j) {
                v[i as usize][j] = true;
            }
        }
        // Solve U V = I row by row: U[i, j] = Σ_{l < j} U[i, l] V[l, j] for j > i.
        let mut u = vec![vec![false; n]; n];
        for i in 0..n {
            u[i][i] = true;
            for j in i + 1..n {
                let mut acc = false;
                for l in i..j {
                    acc ^= u[i][l] && v[l][j];
                }
                u[i][j] = acc;
            }
        }
        u
    }

    /// Critical sets straight from the table of SPEC §4.4, on the full canonical reductions.
    struct Reference {
        values: Vec<f64>,
        negate: bool,
        hom: Decomposition,
        coh: Decomposition,
        u: Vec<Vec<bool>>,
        u_perp: Vec<Vec<bool>>,
    }

    impl Reference {
        fn new(fil: &Filtration) -> Self {
            Self::of(fil, fil.values(), fil.negate())
        }

        fn of<B: BoundaryOracle>(complex: &B, values: &[f64], negate: bool) -> Self {
            let d = ColumnMatrix::boundary(complex, &never()).unwrap();
            let hom = reduce_canonical(&d, &never()).unwrap();
            let coh = reduce_canonical(&d.anti_transpose(), &never()).unwrap();
            let u = dense_inverse(&hom);
            let u_perp = dense_inverse(&coh);
            Reference {
                values: values.to_vec(),
                negate,
                hom,
                coh,
                u,
                u_perp,
            }
        }

        fn le(&self, a: f64, b: f64) -> bool {
            if self.negate {
                a >= b
            } else {
                a <= b
            }
        }

        fn set(&self, mv: Move, s: usize, t: f64) -> Vec<u32> {
            let n = self.values.len();
            let f = &self.values;
            let low = |r: usize| self.hom.low(r).map_or(-1i64, |l| l as i64);
            let mut others: Vec<usize> = match mv {
                Move::DecreaseDeath => self
                    .hom
                    .v_column(s)
                    .iter()
                    .map(|&r| r as usize)
                    .filter(|&r| r != s && self.le(t, f[r]) && self.hom.low(r).is_some() && low(r) >= low(s))
                    .collect(),
                Move::IncreaseDeath => (s + 1..n)
                    .filter(|&r| self.u[s][r] && self.le(f[r], t) && low(r) <= low(s))
                    .collect(),
                Move::IncreaseBirth => self
                    .coh
                    .v_column(n - 1 - s)
                    .iter()
                    .map(|&m| n - 1 - m as usize)
                    .filter(|&r| r != s && self.le(f[r], t))
                    .collect(),
                Move::DecreaseBirth => (0..s)
                    .filter(|&r| self.u_perp[n - 1 - s][n - 1 - r] && self.le(t, f[r]))
                    .collect(),
            };
            others.sort_unstable();
            if !mv.is_increase() {
                others.reverse();
            }
            std::iter::once(s as u32)
                .chain(others.into_iter().map(|r| r as u32))
                .collect()
        }
    }

    /// Every cell with every target in a spread of values (and the unbounded ones): the
    /// optimizer's sets equal the reference's.
    fn check_against_reference(fil: Arc<Filtration>) -> std::result::Result<(), TestCaseError> {
        let opt = TopologyOptimizer::new(fil, Side::Cohomology, Precision::Double);
        check_optimizer(opt)
    }

    fn check_optimizer(mut opt: TopologyOptimizer) -> std::result::Result<(), TestCaseError> {
        let reference = Reference::of(&opt.complex, &opt.values, opt.negate);
        opt.ensure_pairs(&never()).unwrap();
        let mut targets: Vec<f64> = opt.values.clone();
        targets.extend([f64::INFINITY, f64::NEG_INFINITY]);
        targets.sort_by(f64::total_cmp);
        targets.dedup();
        for s in 0..opt.size() {
            prop_assert_eq!(opt.is_negative(s), reference.hom.low(s).is_some());
            let cells: Vec<u32> = vec![s as u32; targets.len()];
            let sets = opt.singletons(&cells, &targets, &never()).unwrap();
            for (set, &t) in sets.iter().zip(&targets) {
                let expected = match opt.dispatch(s, t) {
                    None => Vec::new(),
                    Some(mv) => reference.set(mv, s, t),
                };
                prop_assert_eq!(&set.cells, &expected, "cell {} target {}", s, t);
            }
        }
        Ok(())
    }

    #[test]
    fn micro_example_singletons_match_the_spec() {
        let mut opt = micro(false);
        let cases: [(u32, f64, &[u32]); 7] = [
            (7, 1.0, &[7, 6]),
            (9, 2.0, &[9, 8, 7, 6]),
            (2, 2.0, &[2, 3]),
            (1, 1.5, &[1, 2]),
            (7, 2.5, &[7]),
            (2, 0.2, &[2, 1]),
            (7, 2.0, &[]),
        ];
        for (cell, t, expected) in cases {
            let sets = opt.singletons(&[cell], &[t], &never()).unwrap();
            assert_eq!(sets[0].cells, expected, "cell {cell} target {t}");
        }
    }

    #[test]
    fn micro_example_crit_sets_gradient_matches_the_spec() {
        let mut opt = micro(false);
        let (cells, targets) = ([1, 2, 9, 7], [1.5, 2.0, 2.0, 1.0]);
        let g = opt
            .crit_sets_gradient(&cells, &targets, ConflictStrategy::Avg, &never())
            .unwrap();
        assert_eq!(g.indices, vec![1, 2, 3, 6, 7, 8, 9]);
        assert_eq!(g.values, vec![-1.0, -0.75, 0.0, 0.5, 0.5, 1.0, 1.0]);
    }

    #[test]
    fn micro_example_diagrams_under_negate() {
        let mut opt = micro(true);
        let dgms = opt.index_diagrams(true, &never()).unwrap();
        assert_eq!(dgms, vec![vec![[0, ESSENTIAL], [1, 9], [2, 7]]]);
    }

    #[test]
    fn raw_moves_check_the_cell_and_the_side() {
        let mut opt = micro(false);
        assert_eq!(
            opt.move_cell(Move::DecreaseDeath, 9, None, &never()).unwrap(),
            vec![9, 8, 7, 6]
        );
        assert!(matches!(
            opt.move_cell(Move::IncreaseDeath, 1, None, &never()),
            Err(Error::InvalidParameter { name: "i", .. })
        ));
        assert!(matches!(
            opt.move_cell(Move::IncreaseDeath, 9, Some(1.0), &never()),
            Err(Error::InvalidParameter { name: "target", .. })
        ));
        assert!(matches!(
            opt.move_cell(Move::IncreaseBirth, 99, None, &never()),
            Err(Error::IndexOutOfRange { idx: 99, .. })
        ));
    }

    #[test]
    fn update_resorts_and_reports_the_permutation() {
        let mut opt = micro(false);
        let mut new_values = opt.values().to_vec();
        new_values[1] = 1.5; // vertex (4) now after vertex (2)
        let perm = opt.update(&new_values).unwrap();
        assert_eq!(&perm[..6], &[0, 2, 1, 3, 4, 5]);
        assert_eq!(opt.values()[2], 1.5);
        let dgms = opt.index_diagrams(false, &never()).unwrap();
        // Vertex (4) (now sid 2, value 1.5) is younger than vertex (2) (sid 1) and dies when edge
        // (3,4) joins them at 2; vertex (2) dies at edge (1,2) at 3.
        assert_eq!(dgms, vec![vec![[1, 9], [2, 7]]]);
        assert_eq!(perm[6..], [6, 7, 8, 9, 10]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn critical_sets_equal_the_dense_reference_on_vr(coords in (4usize..8).prop_flat_map(|n| vec((0i32..5).prop_map(f64::from), 2 * n))) {
            check_against_reference(vr(&coords, 2))?;
        }

        #[test]
        fn critical_sets_equal_the_dense_reference_on_grids(
            data in vec((0i32..6).prop_map(f64::from), 12),
            negate in any::<bool>(),
        ) {
            check_against_reference(grid(&data, &[3, 4], negate))?;
        }

        #[test]
        fn critical_sets_after_update_equal_the_dense_reference(
            data in vec((0i32..6).prop_map(f64::from), 12),
            new in vec((0i32..6).prop_map(f64::from), 12 + 23 + 12),
            homology in any::<bool>(),
        ) {
            // A 3x4 Freudenthal grid has 12 vertices, 23 edges and 12 triangles; the new values
            // need not be monotone.
            let side = if homology { Side::Homology } else { Side::Cohomology };
            let mut opt = TopologyOptimizer::new(grid(&data, &[3, 4], false), side, Precision::Double);
            let perm = opt.update(&new).unwrap();
            for (k, &old) in perm.iter().enumerate() {
                prop_assert_eq!(opt.values[k], new[old as usize]);
            }
            check_optimizer(opt)?;
        }

        #[test]
        fn v_columns_and_u_rows_equal_the_serial_reference(coords in (5usize..9).prop_flat_map(|n| vec(-1.0f64..1.0, 2 * n))) {
            let fil = vr(&coords, 2);
            let reference = Reference::new(&fil);
            let mut opt = TopologyOptimizer::new(fil.clone(), Side::Homology, Precision::Double);
            opt.reduce_all(&never()).unwrap();
            let n = fil.size();
            for dim in 0..=opt.max_dim() {
                let range = opt.dim_range(dim);
                let hom = opt.homology[dim].as_ref().unwrap();
                let coh = opt.cohomology[dim].as_ref().unwrap();
                for s in range.clone() {
                    let row = hom.u_rows(&[(s, range.end - 1)]).remove(0);
                    let expected: Vec<u32> = (0..n as u32).filter(|&j| reference.u[s][j as usize]).collect();
                    prop_assert_eq!(row, expected);
                    let m = n - 1 - s;
                    let row = coh.u_rows(&[(m, n - 1 - range.start)]).remove(0);
                    let expected: Vec<u32> = (0..n as u32).filter(|&j| reference.u_perp[m][j as usize]).collect();
                    prop_assert_eq!(row, expected);
                    // Every column of V⊥ (cleared ones included) and V of negative cells is
                    // canonical.
                    if opt.is_negative(s) {
                        prop_assert_eq!(hom.v_column(s).to_vec(), reference.hom.v_column(s).to_vec());
                    }
                    prop_assert_eq!(coh.v_column(m).to_vec(), reference.coh.v_column(m).to_vec());
                }
            }
        }
    }
}
