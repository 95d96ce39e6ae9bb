//! Reductions of Z/2 column matrices: the canonical serial (ELZ) reduction with V, and the
//! clearing (twist) reduction that computes pairs only.
//!
//! Both follow Edelsbrunner, Letscher and Zomorodian, "Topological persistence and
//! simplification" (2002); clearing is the twist of Chen and Kerber, "Persistent homology
//! computation with a twist" (2011). The persistence pairing is unique, so every variant yields
//! the same pairs; the canonical reduction is the reference the others are tested against.

mod canonical;
mod clearing;
pub mod implicit_vr;
mod parallel;
pub mod planar_cubical;
mod union_find;

use std::ops::Range;

pub use canonical::{reduce_canonical, Decomposition};
pub use clearing::{reduce_pairs_with_clearing, reduce_pairs_with_clearing_after};
pub use parallel::reduce_pairs_parallel;
pub use union_find::{h0_pairs, top_pairs_by_duality};

use crate::error::{try_filled, Result};
use crate::filtration::Filtration;
use crate::interrupt::Interrupt;
use crate::matrix::ColumnMatrix;

/// Sentinel for "no column owns this pivot row".
pub(crate) const NO_OWNER: u32 = u32::MAX;

/// Which matrix a reduction works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The boundary matrix D (persistent homology).
    Homology,
    /// The anti-transpose D⊥ (persistent cohomology); same pairs, often far fewer operations.
    Cohomology,
}

/// The persistence pairs of a filtration as (birth sid, death sid), ascending by birth sid.
///
/// H0 comes from a union-find, and so does the top dimension of a grid ball (through the dual
/// graph); the dimensions in between are reduced on `side` with clearing. On a rayon pool of
/// several threads the union-finds and the matrix are built side by side and large blocks are
/// reduced in parallel; the pairs are the same for every thread count.
///
/// Only cells of dimension ≤ `max_dim` exist, so this is the pairing of the truncated complex;
/// pairs in dimensions below `max_dim` are those of the full complex.
///
/// # Errors
/// [`crate::Error::TooLarge`] if a matrix cannot be allocated, [`crate::Error::Interrupted`] when
/// cancelled.
pub fn persistence_pairs(fil: &Filtration, side: Side, interrupt: &Interrupt) -> Result<Vec<(u32, u32)>> {
    let n = fil.size();
    let ball = fil.ball_dimension();
    // Column dimensions left to reduce, and the cells whose reduced column is known to be zero.
    let reduced_dims = match (side, ball) {
        // Homology: a d-column gives pairs of dimension d − 1; H0 and the top are done.
        (Side::Homology, Some(d)) => 2..d,
        (Side::Homology, None) => 2..fil.max_dim() + 1,
        // Cohomology: a d-column gives pairs of dimension d.
        (Side::Cohomology, Some(d)) => 1..d - 1,
        (Side::Cohomology, None) => 1..fil.max_dim(),
    };
    let build_matrix = || -> Result<Option<ColumnMatrix>> {
        if reduced_dims.is_empty() {
            return Ok(None);
        }
        let cells = fil.dim_range(reduced_dims.start).start..fil.dim_range(reduced_dims.end - 1).end;
        Ok(Some(match side {
            Side::Homology => ColumnMatrix::boundary_of_columns(fil, cells, interrupt)?,
            Side::Cohomology => ColumnMatrix::coboundary_anti_transposed_of(fil, cells, interrupt)?,
        }))
    };
    // H0 by union-find on either side, and the top dimension of a grid ball by union-find on the
    // dual graph; the matrix handles the dimensions in between. The three are independent, so on
    // a pool of several threads they are computed side by side.
    let ((pairs, top_pairs), matrix) = rayon::join(
        || {
            rayon::join(
                || h0_pairs(fil, interrupt),
                || match ball {
                    Some(d) => top_pairs_by_duality(fil, d, interrupt),
                    None => Ok(Vec::new()),
                },
            )
        },
        build_matrix,
    );
    let (mut pairs, top_pairs, matrix) = (pairs?, top_pairs?, matrix?);
    if let Some(m) = matrix {
        match side {
            Side::Homology => {
                // Top dimension first, so that positive columns of the next block are cleared;
                // births of the top pairs are positive from the start.
                let blocks: Vec<Range<usize>> = reduced_dims.rev().map(|k| fil.dim_range(k)).collect();
                let known_zero: Vec<u32> = top_pairs.iter().map(|&(birth, _)| birth).collect();
                let found = reduce_pairs_with_clearing_after(&m, &blocks, &known_zero, interrupt)?;
                pairs.extend(found.into_iter().map(|(col, row)| (row, col)));
            }
            Side::Cohomology => {
                // Lowest dimension first: its pivots are the next dimension's cells, whose columns
                // are then cleared. Edges that killed an H0 class reduce to zero.
                let blocks: Vec<Range<usize>> = reduced_dims
                    .map(|k| {
                        let r = fil.dim_range(k);
                        (n - r.end)..(n - r.start)
                    })
                    .collect();
                let known_zero: Vec<u32> = pairs.iter().map(|&(_, edge)| (n - 1) as u32 - edge).collect();
                let found = reduce_pairs_with_clearing_after(&m, &blocks, &known_zero, interrupt)?;
                pairs.extend(
                    found
                        .into_iter()
                        .map(|(col, row)| ((n - 1) as u32 - col, (n - 1) as u32 - row)),
                );
            }
        }
    }
    pairs.extend(top_pairs);
    sort_by_birth(&mut pairs, n)?;
    Ok(pairs)
}

/// Sort pairs (each cell is the birth of at most one) by birth: by placing each at its birth in
/// a table of all `n` cells when pairs are many (linear time), by comparison when they are few.
fn sort_by_birth(pairs: &mut [(u32, u32)], n: usize) -> Result<()> {
    const UNPAIRED: u32 = u32::MAX;
    if pairs.len() < n / 32 {
        pairs.sort_unstable();
        return Ok(());
    }
    let mut death_of = try_filled(n, UNPAIRED, "pair table")?;
    for &(birth, death) in pairs.iter() {
        debug_assert!(death_of[birth as usize] == UNPAIRED, "cell {birth} is born twice");
        death_of[birth as usize] = death;
    }
    let placed = death_of
        .iter()
        .enumerate()
        .filter(|&(_, &death)| death != UNPAIRED)
        .map(|(birth, &death)| (birth as u32, death));
    for (slot, pair) in pairs.iter_mut().zip(placed) {
        *slot = pair;
    }
    Ok(())
}

/// The pairs of the canonical reduction of the whole boundary matrix of `fil`, as (birth sid,
/// death sid) ascending: the reference the faster paths are tested against.
#[cfg(test)]
pub(crate) fn canonical_pairs(fil: &Filtration) -> Vec<(u32, u32)> {
    let d = ColumnMatrix::boundary(fil, &Interrupt::never()).expect("small test complexes fit");
    let mut pairs: Vec<(u32, u32)> = reduce_canonical(&d, &Interrupt::never())
        .expect("never interrupted")
        .pairs()
        .into_iter()
        .map(|(col, row)| (row, col))
        .collect();
    pairs.sort_unstable();
    pairs
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashMap, HashSet};
    use std::ops::Range;
    use std::sync::atomic::AtomicBool;

    use proptest::collection::{btree_set, vec};
    use proptest::prelude::*;

    use super::*;
    use crate::error::Error;
    use crate::matrix::BoundaryOracle;

    /// A small deterministic generator for values and tie-breaks (splitmix64).
    struct SplitMix(u64);

    impl SplitMix {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
    }

    /// A random simplicial complex in a filtration order: dimension-major, within a dimension by
    /// (monotone value, random tie-break).
    #[derive(Debug, Clone)]
    struct TestComplex {
        /// `starts[d]..starts[d + 1]` are the sids of dimension d; the last entry is n.
        starts: Vec<usize>,
        /// The ascending facet sids of every cell, in sid order.
        facets: Vec<Vec<u32>>,
    }

    impl TestComplex {
        /// All vertices `0..n_vertices`, the `picks` and all their faces. Values are small integers
        /// (so ties are common) made monotone by taking the maximum over the facets.
        fn new(n_vertices: u32, picks: &[BTreeSet<u32>], seed: u64) -> Self {
            let mut closure: BTreeSet<Vec<u32>> = (0..n_vertices).map(|v| vec![v]).collect();
            for pick in picks {
                let pick: Vec<u32> = pick.iter().copied().collect();
                for mask in 1u32..(1 << pick.len()) {
                    closure.insert(
                        (0..pick.len())
                            .filter(|&k| mask & (1 << k) != 0)
                            .map(|k| pick[k])
                            .collect(),
                    );
                }
            }
            let top = closure.iter().map(|s| s.len() - 1).max().unwrap_or(0);
            let mut by_dim: Vec<Vec<Vec<u32>>> = vec![Vec::new(); top + 1];
            for s in closure {
                by_dim[s.len() - 1].push(s);
            }
            let mut rng = SplitMix(seed);
            let mut value: HashMap<Vec<u32>, u64> = HashMap::new();
            let mut sid: HashMap<Vec<u32>, usize> = HashMap::new();
            let mut starts = vec![0];
            let mut facets = Vec::new();
            for cells in &mut by_dim {
                for s in cells.iter() {
                    let own = rng.next() % 4;
                    let v = faces_of(s).map(|f| value[&f]).fold(own, u64::max);
                    value.insert(s.clone(), v);
                }
                let mut keyed: Vec<(u64, u64, Vec<u32>)> =
                    cells.drain(..).map(|s| (value[&s], rng.next(), s)).collect();
                keyed.sort();
                for (_, _, s) in keyed {
                    let mut f: Vec<u32> = faces_of(&s).map(|f| sid[&f] as u32).collect();
                    f.sort_unstable();
                    sid.insert(s, facets.len());
                    facets.push(f);
                }
                starts.push(facets.len());
            }
            TestComplex { starts, facets }
        }

        fn n(&self) -> usize {
            self.facets.len()
        }

        fn top_dim(&self) -> usize {
            self.starts.len() - 2
        }

        fn dim_range(&self, dim: usize) -> Range<usize> {
            self.starts[dim]..self.starts[dim + 1]
        }

        /// D, built directly from the columns.
        fn boundary(&self) -> ColumnMatrix {
            let with_facets = self.cells_with_facets();
            ColumnMatrix::from_columns(self.n(), with_facets.clone(), &self.facets[with_facets])
        }

        /// Blocks for clearing on D: dimensions top-down.
        fn homology_blocks(&self) -> Vec<Range<usize>> {
            (1..=self.top_dim()).rev().map(|d| self.dim_range(d)).collect()
        }

        /// Blocks for clearing on D⊥: dimensions bottom-up, in anti-transposed indices.
        fn cohomology_blocks(&self) -> Vec<Range<usize>> {
            let n = self.n();
            (0..self.top_dim())
                .map(|d| {
                    let r = self.dim_range(d);
                    (n - r.end)..(n - r.start)
                })
                .collect()
        }
    }

    /// The facets of a simplex (none for a vertex).
    fn faces_of(s: &[u32]) -> impl Iterator<Item = Vec<u32>> + '_ {
        let k = if s.len() > 1 { s.len() } else { 0 };
        (0..k).map(move |skip| {
            s.iter()
                .enumerate()
                .filter(|&(i, _)| i != skip)
                .map(|(_, &v)| v)
                .collect()
        })
    }

    impl BoundaryOracle for TestComplex {
        fn n_cells(&self) -> usize {
            self.n()
        }

        fn cells_with_facets(&self) -> Range<usize> {
            self.starts[1]..self.n()
        }

        fn facets(&self, sid: usize, out: &mut Vec<u32>) {
            out.clear();
            out.extend_from_slice(&self.facets[sid]);
        }
    }

    /// Random complexes on 1..=10 vertices with simplices up to dimension 3.
    fn complexes() -> impl Strategy<Value = TestComplex> {
        (1u32..=10)
            .prop_flat_map(|nv| {
                let max_size = (nv as usize).min(4);
                (Just(nv), vec(btree_set(0..nv, 1..=max_size), 0..60), any::<u64>())
            })
            .prop_map(|(nv, picks, seed)| TestComplex::new(nv, &picks, seed))
    }

    fn columns_equal(a: &ColumnMatrix, b: &ColumnMatrix) -> bool {
        a.size() == b.size() && (0..a.size()).all(|j| a.column(j) == b.column(j))
    }

    /// R = M·V over Z/2, V upper unitriangular, and every row the low of at most one column.
    fn check_decomposition(m: &ColumnMatrix, dec: &Decomposition) -> std::result::Result<(), TestCaseError> {
        let n = m.size();
        prop_assert_eq!(dec.size(), n);
        let mut lows = HashSet::new();
        for j in 0..n {
            let v = dec.v_column(j);
            prop_assert!(
                v.windows(2).all(|w| w[0] < w[1]),
                "V_{} is not strictly ascending: {:?}",
                j,
                v
            );
            prop_assert_eq!(
                v.last().copied(),
                Some(j as u32),
                "V_{} must end with its diagonal entry",
                j
            );
            let mut acc = vec![false; n];
            for &i in v {
                for &r in m.column(i as usize) {
                    acc[r as usize] ^= true;
                }
            }
            let mv: Vec<u32> = (0..n as u32).filter(|&r| acc[r as usize]).collect();
            prop_assert_eq!(dec.r_column(j), mv.as_slice(), "R_{} != (M V)_{}", j, j);
            if let Some(low) = dec.low(j) {
                prop_assert!(lows.insert(low), "row {} is the low of two columns", low);
            }
        }
        Ok(())
    }

    /// Every off-diagonal entry i of V_j has R_i ≠ 0 and, when R_j ≠ 0, low(R_i) > low(R_j).
    fn check_elz(dec: &Decomposition) -> std::result::Result<(), TestCaseError> {
        for j in 0..dec.size() {
            for &i in &dec.v_column(j)[..dec.v_column(j).len() - 1] {
                let low_i = dec.low(i as usize);
                prop_assert!(low_i.is_some(), "V_{} holds {} but R_{} is zero", j, i, i);
                if let Some(low_j) = dec.low(j) {
                    prop_assert!(
                        low_i > Some(low_j),
                        "V_{} holds {} but low(R_{}) <= low(R_{})",
                        j,
                        i,
                        i,
                        j
                    );
                }
            }
        }
        Ok(())
    }

    fn sorted(mut pairs: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
        pairs.sort_unstable();
        pairs
    }

    /// Cohomology pairs (column m(σ), row m(τ)) as homology pairs (column τ, row σ).
    fn cohomology_to_homology(n: usize, pairs: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
        let last = (n - 1) as u32;
        sorted(pairs.into_iter().map(|(col, row)| (last - row, last - col)).collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn canonical_reduction_is_a_decomposition_r_equals_dv(cx in complexes()) {
            let d = cx.boundary();
            let dec = reduce_canonical(&d, &Interrupt::never()).unwrap();
            check_decomposition(&d, &dec)?;
        }

        #[test]
        fn canonical_reduction_of_anti_transpose_is_a_decomposition(cx in complexes()) {
            let dt = cx.boundary().anti_transpose();
            let dec = reduce_canonical(&dt, &Interrupt::never()).unwrap();
            check_decomposition(&dt, &dec)?;
        }

        #[test]
        fn canonical_reduction_satisfies_elz_predicate(cx in complexes()) {
            let d = cx.boundary();
            check_elz(&reduce_canonical(&d, &Interrupt::never()).unwrap())?;
            check_elz(&reduce_canonical(&d.anti_transpose(), &Interrupt::never()).unwrap())?;
        }

        #[test]
        fn clearing_agrees_with_canonical_on_random_complexes(cx in complexes()) {
            let d = cx.boundary();
            let canonical = reduce_canonical(&d, &Interrupt::never()).unwrap().pairs();
            let cleared = reduce_pairs_with_clearing(&d, &cx.homology_blocks(), &Interrupt::never()).unwrap();
            prop_assert_eq!(sorted(cleared), canonical);
        }

        #[test]
        fn cohomology_pairs_equal_homology_pairs_on_random_complexes(cx in complexes()) {
            let n = cx.n();
            let d = cx.boundary();
            let homology = reduce_canonical(&d, &Interrupt::never()).unwrap().pairs();
            let dt = d.anti_transpose();
            let canonical = reduce_canonical(&dt, &Interrupt::never()).unwrap().pairs();
            prop_assert_eq!(&cohomology_to_homology(n, canonical), &homology);
            let cleared = reduce_pairs_with_clearing(&dt, &cx.cohomology_blocks(), &Interrupt::never()).unwrap();
            prop_assert_eq!(&cohomology_to_homology(n, cleared), &homology);
        }

        #[test]
        fn coboundary_anti_transposed_equals_anti_transpose_of_boundary(cx in complexes()) {
            let d = ColumnMatrix::boundary(&cx, &Interrupt::never()).unwrap();
            prop_assert_eq!(&d, &cx.boundary());
            let dt = ColumnMatrix::coboundary_anti_transposed(&cx, &Interrupt::never()).unwrap();
            prop_assert_eq!(&dt, &d.anti_transpose());
            prop_assert!(columns_equal(&dt.anti_transpose(), &d));
        }
    }

    /// The pairs of the parallel reduction on a pool of `n_threads`, with runs of `run` columns.
    fn parallel_pairs(
        m: &ColumnMatrix,
        blocks: &[Range<usize>],
        known_zero: &[u32],
        n_threads: usize,
        run: usize,
    ) -> Vec<(u32, u32)> {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(n_threads).build().unwrap();
        let pairs = pool
            .install(|| parallel::reduce_in_runs(m, blocks, known_zero, n_threads, run, &Interrupt::never()))
            .unwrap();
        sorted(pairs)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn parallel_reduction_agrees_with_canonical_for_every_thread_count(
            cx in complexes(),
            run in 1usize..=4,
        ) {
            let n = cx.n();
            let d = cx.boundary();
            let canonical = reduce_canonical(&d, &Interrupt::never()).unwrap().pairs();
            let dt = d.anti_transpose();
            for n_threads in [1, 2, 3, 4, 8] {
                let homology = parallel_pairs(&d, &cx.homology_blocks(), &[], n_threads, run);
                prop_assert_eq!(&homology, &canonical, "homology, {} threads", n_threads);
                let cohomology = parallel_pairs(&dt, &cx.cohomology_blocks(), &[], n_threads, run);
                prop_assert_eq!(&cohomology_to_homology(n, cohomology), &canonical, "cohomology, {} threads", n_threads);
            }
        }
    }

    /// A 3-D Freudenthal grid of noise (many ties when `levels` is small).
    fn noise_grid(side: usize, levels: u64, seed: u64) -> Filtration {
        use crate::filtration::freudenthal::{freudenthal_filtration, FreudenthalParams};
        let mut rng = SplitMix(seed);
        let data: Vec<f64> = (0..side * side * side).map(|_| (rng.next() % levels) as f64).collect();
        let params = FreudenthalParams {
            negate: false,
            wrap: false,
            max_dim: 3,
        };
        freudenthal_filtration(&data, &[side, side, side], &params, &Interrupt::never()).unwrap()
    }

    #[test]
    fn parallel_reduction_of_a_grid_agrees_with_canonical_under_contention() {
        // Tens of thousands of columns, runs of one column, so that the threads really race for
        // pivots and take them from each other.
        for (seed, levels) in [(1, 1000), (2, 7)] {
            let fil = noise_grid(11, levels, seed);
            let canonical = canonical_pairs(&fil);
            let d = ColumnMatrix::boundary(&fil, &Interrupt::never()).unwrap();
            let blocks: Vec<Range<usize>> = (1..=3).rev().map(|k| fil.dim_range(k)).collect();
            for n_threads in [1, 2, 3, 4, 8] {
                for run in [1, 5, 256] {
                    let mut pairs: Vec<(u32, u32)> = parallel_pairs(&d, &blocks, &[], n_threads, run)
                        .into_iter()
                        .map(|(col, row)| (row, col))
                        .collect();
                    pairs.sort_unstable();
                    assert_eq!(pairs, canonical, "seed {seed}, {n_threads} threads, runs of {run}");
                }
            }
        }
    }

    #[test]
    fn persistence_pairs_do_not_depend_on_the_thread_count() {
        // Large enough that the triangle block is shared by the threads (MIN_PARALLEL_BLOCK).
        let fil = noise_grid(22, 50, 3);
        assert!(fil.dim_range(2).len() >= 4 * parallel::MIN_PARALLEL_BLOCK);
        let canonical = canonical_pairs(&fil);
        for side in [Side::Homology, Side::Cohomology] {
            for n_threads in [1, 2, 3, 4, 8] {
                let pool = rayon::ThreadPoolBuilder::new().num_threads(n_threads).build().unwrap();
                let pairs = pool
                    .install(|| persistence_pairs(&fil, side, &Interrupt::never()))
                    .unwrap();
                assert_eq!(pairs, canonical, "{side:?}, {n_threads} threads");
            }
        }
    }

    #[test]
    fn parallel_reduction_stops_when_interrupted() {
        let flag = AtomicBool::new(true);
        let d = ColumnMatrix::from_columns(4, 2..4, &[vec![0, 1], vec![0, 1]]);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let block = 2..4;
        let result = pool
            .install(|| reduce_pairs_parallel(&d, std::slice::from_ref(&block), &[], 2, &Interrupt::from_flag(&flag)));
        assert_eq!(result, Err(Error::Interrupted));
    }

    #[test]
    fn filled_triangle_pairs_every_cell_but_one_vertex() {
        // Vertices 0..3, edges 3 = (0,1), 4 = (0,2), 5 = (1,2), triangle 6: edge 3 kills vertex 1,
        // edge 4 kills vertex 2, edge 5 closes a loop that the triangle kills.
        let d = ColumnMatrix::from_columns(7, 3..7, &[vec![0, 1], vec![0, 2], vec![1, 2], vec![3, 4, 5]]);
        let dec = reduce_canonical(&d, &Interrupt::never()).unwrap();
        assert_eq!(dec.pairs(), vec![(3, 1), (4, 2), (6, 5)]);
        // Edge 5 is reduced by edges 4 and 3: (1,2) + (0,2) + (0,1) = 0.
        assert_eq!(dec.v_column(5), &[3, 4, 5]);
        let cleared = reduce_pairs_with_clearing(&d, &[6..7, 3..6], &Interrupt::never()).unwrap();
        assert_eq!(sorted(cleared), dec.pairs());
    }

    #[test]
    fn reductions_stop_when_interrupted() {
        let flag = AtomicBool::new(true);
        let d = ColumnMatrix::from_columns(4, 2..4, &[vec![0, 1], vec![0, 1]]);
        let interrupt = Interrupt::from_flag(&flag);
        assert_eq!(reduce_canonical(&d, &interrupt), Err(Error::Interrupted));
        // Clearing polls at columns that are multiples of 256, so the block starts at column 0.
        let block = 0..4;
        assert_eq!(
            reduce_pairs_with_clearing(&d, std::slice::from_ref(&block), &interrupt),
            Err(Error::Interrupted)
        );
    }
}
