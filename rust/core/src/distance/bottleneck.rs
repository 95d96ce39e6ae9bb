//! Bottleneck matchings: the smallest radius r at which the augmented diagrams have a perfect
//! matching using only edges of L∞ length ≤ r.
//!
//! A radius is tested with Hopcroft-Karp on the threshold graph. Left vertices are the points
//! of `a` and the projections of the points of `b`; right vertices are the points of `b` and
//! the projections of the points of `a`. A point joins the points of the other diagram within
//! r (found with a k-d tree) and its own projection when that is within r; projections join
//! each other at length 0, an implicit complete bipartite part that the search visits once per
//! phase instead of storing it.
//!
//! The radius search follows Kerber, Morozov and Nigmetov ("Geometry helps to compare
//! persistence diagrams", 2017): start at a lower bound (each point must travel at least to its
//! nearest partner or to the diagonal), double until feasible, bisect geometrically until the
//! bracket is within 1 + delta, and for the exact answer (delta = 0) finish with a binary search
//! over the few edge lengths left in the bracket. A maximum matching found at an infeasible
//! radius stays valid at every larger one, so it seeds the next test.

use super::kdtree::{linf, BestTwo, KdTree};
use super::{check_extent, essential_matching, Family, GroundCost, Matching, Point, SplitDiagram};
use crate::error::{Error, Result};
use crate::interrupt::Interrupt;

const NONE: u32 = u32::MAX;
const INF: u32 = u32::MAX;
/// The geometric bisection stops at this ratio before the exact candidate search.
const EXACT_BRACKET_RATIO: f64 = 1.0 + 1.0 / 1024.0;

/// One edge of a bottleneck matching whose length equals the bottleneck distance.
#[derive(Clone, Debug, PartialEq)]
pub struct LongestEdge {
    /// The edge's L∞ length.
    pub length: f64,
    /// The row in `a`, or `None` when the `a` side is the diagonal.
    pub idx_a: Option<usize>,
    /// The row in `b`, or `None` when the `b` side is the diagonal.
    pub idx_b: Option<usize>,
    /// The `a` endpoint (the projection of the `b` point on a diagonal side).
    pub point_a: Point,
    /// The `b` endpoint (the projection of the `a` point on a diagonal side).
    pub point_b: Point,
}

/// A bottleneck matching, its distance and its longest edges.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BottleneckMatching {
    /// The matching.
    pub matching: Matching,
    /// The longest edge length, essential pairs included.
    pub distance: f64,
    /// Every finite edge (to a point or to the diagonal) whose length equals `distance`.
    pub longest_finite: Vec<LongestEdge>,
    /// Per family, the essential pairs whose length |a_fin − b_fin| equals `distance`.
    pub longest_essential: [Vec<[usize; 2]>; 4],
}

/// The diagonal projection ((b + d) / 2, (b + d) / 2).
#[inline]
fn projection(p: Point) -> Point {
    let m = (p[0] + p[1]) / 2.0;
    [m, m]
}

/// Maximum matchings of the threshold graphs of one pair of diagrams.
struct Problem<'a> {
    a: &'a [Point],
    b: &'a [Point],
    diagonal_a: Vec<f64>,
    diagonal_b: Vec<f64>,
    tree_a: KdTree,
    tree_b: KdTree,
    interrupt: &'a Interrupt<'a>,
}

/// The threshold graph's explicit edges in compressed rows (left vertex → right vertices).
struct Graph {
    offsets: Vec<usize>,
    targets: Vec<u32>,
}

/// A matching of the augmented graph: per left vertex its right vertex and back.
#[derive(Clone)]
struct Mates {
    left: Vec<u32>,
    right: Vec<u32>,
}

impl Problem<'_> {
    fn n_a(&self) -> usize {
        self.a.len()
    }

    fn n_b(&self) -> usize {
        self.b.len()
    }

    /// Call `f(i, j, length)` on the useful edges of length ≤ r with length < δ(a_i), the length
    /// from a_i to the diagonal, in the order of i.
    ///
    /// An edge a_i ↔ b_j with length ≥ max(δ(a_i), δ(b_j)) is never needed: matching both points
    /// to the diagonal instead uses two edges no longer than it (and the two projections pair
    /// at 0), so every threshold graph keeps a perfect matching without it. Dropping these
    /// edges keeps the graphs sparse where most points lie near the diagonal.
    fn edges_from_a(&self, r: f64, mut f: impl FnMut(usize, usize, f64)) -> Result<()> {
        for (i, &p) in self.a.iter().enumerate() {
            if i % 1024 == 0 {
                self.interrupt.check()?;
            }
            let reach = self.diagonal_a[i];
            self.tree_b.for_each_within(p, r.min(reach), |j| {
                let d = linf(p, self.b[j]);
                if d < reach {
                    f(i, j, d);
                }
            });
        }
        Ok(())
    }

    /// The other useful edges of length ≤ r: δ(a_i) ≤ length < δ(b_j), found from b_j among
    /// the points of `a` closer to the diagonal than b_j (the k-d tree of `a` is weighted by δ).
    fn edges_from_b(&self, r: f64, mut f: impl FnMut(usize, usize, f64)) -> Result<()> {
        for (j, &p) in self.b.iter().enumerate() {
            if j % 1024 == 0 {
                self.interrupt.check()?;
            }
            let reach = self.diagonal_b[j];
            self.tree_a.for_each_within_below(p, r.min(reach), reach, |i| {
                let d = linf(self.a[i], p);
                if d < reach && d >= self.diagonal_a[i] {
                    f(i, j, d);
                }
            });
        }
        Ok(())
    }

    fn graph(&self, r: f64) -> Result<Graph> {
        let (n_a, n_b) = (self.n_a(), self.n_b());
        // The few edges found from `b`, grouped by their `a` end (a stable sort keeps j order).
        let mut from_b: Vec<(u32, u32)> = Vec::new();
        self.edges_from_b(r, |i, j, _| from_b.push((i as u32, j as u32)))?;
        from_b.sort_by_key(|&(i, _)| i);
        let mut offsets = Vec::with_capacity(n_a + n_b + 1);
        let mut targets = Vec::new();
        offsets.push(0);
        let mut next = 0;
        let mut row = 0;
        self.edges_from_a(r, |i, j, _| {
            while row < i {
                self.close_row(row, r, &from_b, &mut next, &mut targets, &mut offsets);
                row += 1;
            }
            targets.push(j as u32);
        })?;
        while row < n_a {
            self.close_row(row, r, &from_b, &mut next, &mut targets, &mut offsets);
            row += 1;
        }
        for j in 0..n_b {
            if self.diagonal_b[j] <= r {
                targets.push(j as u32);
            }
            offsets.push(targets.len());
        }
        Ok(Graph { offsets, targets })
    }

    /// Finish the row of a_i: its edges found from `b`, then its own projection.
    fn close_row(
        &self,
        i: usize,
        r: f64,
        from_b: &[(u32, u32)],
        next: &mut usize,
        targets: &mut Vec<u32>,
        offsets: &mut Vec<usize>,
    ) {
        while *next < from_b.len() && from_b[*next].0 as usize == i {
            targets.push(from_b[*next].1);
            *next += 1;
        }
        if self.diagonal_a[i] <= r {
            targets.push((self.n_b() + i) as u32);
        }
        offsets.push(targets.len());
    }

    /// Grow `mates` to a maximum matching of the graph at radius `r` (Hopcroft-Karp); return
    /// whether it is perfect.
    fn maximum_matching(&self, r: f64, mates: &mut Mates) -> Result<bool> {
        let g = self.graph(r)?;
        let (n_a, n_b) = (self.n_a(), self.n_b());
        let n_left = n_a + n_b;
        let mut dist = vec![INF; n_left];
        let mut queue: Vec<u32> = Vec::with_capacity(n_left);
        let mut cursor = vec![0usize; n_left];
        loop {
            self.interrupt.check()?;
            // Breadth-first layering from the free left vertices.
            queue.clear();
            for (u, (d, &mate)) in dist.iter_mut().zip(&mates.left).enumerate() {
                if mate == NONE {
                    *d = 0;
                    queue.push(u as u32);
                } else {
                    *d = INF;
                }
            }
            let mut found = INF;
            let mut diagonal_done = false;
            let mut head = 0;
            while head < queue.len() {
                let u = queue[head] as usize;
                head += 1;
                if found != INF && dist[u] >= found {
                    continue;
                }
                let mut visit = |v: usize, dist: &mut Vec<u32>, queue: &mut Vec<u32>| {
                    let w = mates.right[v];
                    if w == NONE {
                        if found == INF {
                            found = dist[u];
                        }
                    } else if dist[w as usize] == INF {
                        dist[w as usize] = dist[u] + 1;
                        queue.push(w);
                    }
                };
                for &v in &g.targets[g.offsets[u]..g.offsets[u + 1]] {
                    visit(v as usize, &mut dist, &mut queue);
                }
                if u >= n_a && !diagonal_done {
                    diagonal_done = true;
                    for v in n_b..n_b + n_a {
                        visit(v, &mut dist, &mut queue);
                    }
                }
            }
            if found == INF {
                break;
            }
            // Projections of `a` by the layer of their mate: a projection of `b` in layer l
            // continues only through those of layer l + 1 (or through free ones when l is the
            // last layer), and each is tried at most once per phase.
            let n_layers = found as usize + 2;
            let mut buckets: Vec<Vec<u32>> = vec![Vec::new(); n_layers];
            let mut free_diagonal: Vec<u32> = Vec::new();
            for v in n_b..n_b + n_a {
                match mates.right[v] {
                    NONE => free_diagonal.push(v as u32),
                    w if (dist[w as usize] as usize) < n_layers => buckets[dist[w as usize] as usize].push(v as u32),
                    _ => {}
                }
            }
            let mut bucket_cursor = vec![0usize; n_layers];
            let mut free_cursor = 0usize;
            cursor.copy_from_slice(&g.offsets[..n_left]);
            let mut stack_u: Vec<u32> = Vec::new();
            let mut stack_v: Vec<u32> = Vec::new();
            for root in 0..n_left {
                if mates.left[root] != NONE || dist[root] != 0 {
                    continue;
                }
                stack_u.clear();
                stack_v.clear();
                stack_u.push(root as u32);
                while let Some(&u) = stack_u.last() {
                    let u = u as usize;
                    let du = dist[u];
                    let valid = |v: usize, mates: &Mates, dist: &Vec<u32>| match mates.right[v] {
                        NONE => du == found,
                        w => du != INF && dist[w as usize] == du + 1,
                    };
                    let mut next = None;
                    while cursor[u] < g.offsets[u + 1] {
                        let v = g.targets[cursor[u]] as usize;
                        cursor[u] += 1;
                        if valid(v, mates, &dist) {
                            next = Some(v);
                            break;
                        }
                    }
                    if next.is_none() && u >= n_a {
                        if du == found {
                            while free_cursor < free_diagonal.len() {
                                let v = free_diagonal[free_cursor] as usize;
                                free_cursor += 1;
                                if mates.right[v] == NONE {
                                    next = Some(v);
                                    break;
                                }
                            }
                        } else if ((du + 1) as usize) < n_layers {
                            let layer = (du + 1) as usize;
                            while bucket_cursor[layer] < buckets[layer].len() {
                                let v = buckets[layer][bucket_cursor[layer]] as usize;
                                bucket_cursor[layer] += 1;
                                if valid(v, mates, &dist) {
                                    next = Some(v);
                                    break;
                                }
                            }
                        }
                    }
                    match next {
                        Some(v) => {
                            let w = mates.right[v];
                            stack_v.push(v as u32);
                            if w == NONE {
                                for (&uu, &vv) in stack_u.iter().zip(&stack_v) {
                                    mates.left[uu as usize] = vv;
                                    mates.right[vv as usize] = uu;
                                }
                                break;
                            }
                            stack_u.push(w);
                        }
                        None => {
                            dist[u] = INF;
                            stack_u.pop();
                            stack_v.pop();
                        }
                    }
                }
            }
        }
        Ok(mates.left.iter().all(|&v| v != NONE))
    }

    fn empty_mates(&self) -> Mates {
        let n = self.n_a() + self.n_b();
        Mates {
            left: vec![NONE; n],
            right: vec![NONE; n],
        }
    }

    /// Every point to the diagonal: the matching of the radius max(diagonal lengths).
    fn diagonal_mates(&self) -> Mates {
        let (n_a, n_b) = (self.n_a(), self.n_b());
        let mut mates = self.empty_mates();
        for i in 0..n_a {
            mates.left[i] = (n_b + i) as u32;
            mates.right[n_b + i] = i as u32;
        }
        for j in 0..n_b {
            mates.left[n_a + j] = j as u32;
            mates.right[j] = (n_a + j) as u32;
        }
        mates
    }

    /// Each point travels at least to its nearest partner or to the diagonal.
    fn lower_bound(&self) -> f64 {
        // `tree_a` is weighted by the diagonal lengths; nearest neighbours need weights 0.
        let tree_a = KdTree::new(self.a);
        let linf_cost = GroundCost {
            internal_p: f64::INFINITY,
            q: 1.0,
        };
        let nearest = |tree: &KdTree, p: Point| {
            let mut best = BestTwo::EMPTY;
            tree.best_two(p, &linf_cost, &mut best);
            best.value
        };
        let from_a = self
            .a
            .iter()
            .zip(&self.diagonal_a)
            .map(|(&p, &d)| d.min(nearest(&self.tree_b, p)));
        let from_b = self
            .b
            .iter()
            .zip(&self.diagonal_b)
            .map(|(&p, &d)| d.min(nearest(&tree_a, p)));
        from_a.chain(from_b).fold(0.0, f64::max)
    }

    /// Every useful edge length in (lo, hi], sorted and deduplicated.
    fn candidates(&self, lo: f64, hi: f64) -> Result<Vec<f64>> {
        let mut lengths: Vec<f64> = self
            .diagonal_a
            .iter()
            .chain(&self.diagonal_b)
            .copied()
            .filter(|&d| d > lo && d <= hi)
            .collect();
        let mut push = |_: usize, _: usize, d: f64| {
            if d > lo {
                lengths.push(d);
            }
        };
        self.edges_from_a(hi, &mut push)?;
        self.edges_from_b(hi, &mut push)?;
        lengths.sort_by(f64::total_cmp);
        lengths.dedup();
        Ok(lengths)
    }

    /// A bottleneck matching of the finite points, exact for delta = 0 and within a factor
    /// (1 + delta) otherwise.
    fn solve(&self, delta: f64) -> Result<Mates> {
        let trivial = self
            .diagonal_a
            .iter()
            .chain(&self.diagonal_b)
            .copied()
            .fold(0.0, f64::max);
        if self.n_a() + self.n_b() == 0 || trivial == 0.0 {
            return Ok(self.diagonal_mates());
        }
        // Invariants: `lo` is infeasible and `lo_mates` is a maximum matching at `lo`; `hi` is
        // feasible with the perfect matching `hi_mates`.
        let mut lo_mates = self.empty_mates();
        let bound = self.lower_bound();
        let mut trial = lo_mates.clone();
        if self.maximum_matching(bound, &mut trial)? {
            return Ok(trial);
        }
        let (mut lo, mut hi) = (bound, trivial);
        lo_mates = trial;
        let mut hi_mates = self.diagonal_mates();
        // Find a feasible radius near the bound.
        loop {
            let r = if lo > 0.0 { lo * 2.0 } else { hi / 2.0 };
            if r >= hi || r <= lo {
                break;
            }
            let mut trial = lo_mates.clone();
            if self.maximum_matching(r, &mut trial)? {
                hi = r;
                hi_mates = trial;
                if lo > 0.0 {
                    break;
                }
            } else {
                lo = r;
                lo_mates = trial;
            }
        }
        let ratio = if delta > 0.0 { 1.0 + delta } else { EXACT_BRACKET_RATIO };
        while hi > lo * ratio {
            let r = if lo > 0.0 { (lo * hi).sqrt() } else { hi / 2.0 };
            if r <= lo || r >= hi {
                break;
            }
            let mut trial = lo_mates.clone();
            if self.maximum_matching(r, &mut trial)? {
                hi = r;
                hi_mates = trial;
            } else {
                lo = r;
                lo_mates = trial;
            }
        }
        if delta > 0.0 {
            return Ok(hi_mates);
        }
        // The answer is an edge length in (lo, hi]; the largest such length is feasible.
        let lengths = self.candidates(lo, hi)?;
        if lengths.is_empty() {
            return Ok(hi_mates);
        }
        let (mut first, mut last) = (0usize, lengths.len() - 1);
        let mut best: Option<Mates> = None;
        while first < last {
            let mid = first + (last - first) / 2;
            let mut trial = lo_mates.clone();
            if self.maximum_matching(lengths[mid], &mut trial)? {
                last = mid;
                best = Some(trial);
            } else {
                first = mid + 1;
                lo_mates = trial;
            }
        }
        if let Some(mates) = best {
            return Ok(mates);
        }
        let mut trial = lo_mates;
        if self.maximum_matching(lengths[last], &mut trial)? {
            Ok(trial)
        } else {
            Ok(hi_mates)
        }
    }
}

/// A bottleneck matching between two diagrams under the L∞ ground distance.
///
/// Edge lengths are L∞ distances between the two endpoints, a diagonal side standing for the
/// projection ((b + d) / 2, (b + d) / 2) of the other endpoint. With `delta = 0` the distance
/// is exact; with `delta > 0` it lies in [d*, (1 + delta) d*]. With `include_essential`, the
/// essential points are matched per family by sorted rank and their lengths |a_fin − b_fin|
/// count.
///
/// # Errors
/// [`Error::InvalidParameter`] for a negative or NaN `delta`, coordinates so far apart that
/// lengths overflow float64, or (with `include_essential`) essential families of different
/// sizes; [`Error::NonFiniteValue`] for NaN coordinates;
/// [`Error::Interrupted`] when cancelled.
///
/// # Examples
/// ```
/// use oineus_diff_core::distance::bottleneck_matching;
/// use oineus_diff_core::Interrupt;
/// let a = [[0.0, 1.0], [0.5, 2.0], [0.3, 0.7]];
/// let b = [[0.2, 1.2], [0.6, 2.1]];
/// let m = bottleneck_matching(&a, &b, 0.0, false, &Interrupt::never()).unwrap();
/// assert_eq!(m.distance, 0.2);
/// assert_eq!(m.longest_finite.len(), 2);
/// ```
pub fn bottleneck_matching(
    a: &[Point],
    b: &[Point],
    delta: f64,
    include_essential: bool,
    interrupt: &Interrupt,
) -> Result<BottleneckMatching> {
    if !(delta.is_finite() && delta >= 0.0) {
        return Err(Error::InvalidParameter {
            name: "delta",
            reason: format!("must be a finite number >= 0; got {delta}"),
        });
    }
    let split_a = SplitDiagram::new(a, "dgm_1")?;
    let split_b = SplitDiagram::new(b, "dgm_2")?;
    let essential = if include_essential {
        essential_matching(a, b, &split_a, &split_b)?
    } else {
        Default::default()
    };
    let pa: Vec<Point> = split_a.finite.iter().map(|&i| a[i]).collect();
    let pb: Vec<Point> = split_b.finite.iter().map(|&i| b[i]).collect();
    check_extent(
        &pa,
        &pb,
        &GroundCost {
            internal_p: f64::INFINITY,
            q: 1.0,
        },
    )?;
    let diagonal_a: Vec<f64> = pa.iter().map(|&p| linf(p, projection(p))).collect();
    let problem = Problem {
        a: &pa,
        b: &pb,
        diagonal_a: diagonal_a.clone(),
        diagonal_b: pb.iter().map(|&p| linf(p, projection(p))).collect(),
        tree_a: {
            let mut tree = KdTree::new(&pa);
            for (i, &d) in diagonal_a.iter().enumerate() {
                tree.set_weight(i, d);
            }
            tree
        },
        tree_b: KdTree::new(&pb),
        interrupt,
    };
    let mates = problem.solve(delta)?;
    let (n_a, n_b) = (pa.len(), pb.len());
    let mut matching = Matching {
        essential,
        ..Default::default()
    };
    let mut edges: Vec<LongestEdge> = Vec::new();
    for (i, &mate) in mates.left[..n_a].iter().enumerate() {
        let v = mate as usize;
        if v < n_b {
            let (ra, rb) = (split_a.finite[i], split_b.finite[v]);
            matching.finite_to_finite.push([ra, rb]);
            edges.push(LongestEdge {
                length: linf(pa[i], pb[v]),
                idx_a: Some(ra),
                idx_b: Some(rb),
                point_a: pa[i],
                point_b: pb[v],
            });
        } else {
            let ra = split_a.finite[i];
            matching.a_to_diagonal.push(ra);
            edges.push(LongestEdge {
                length: problem.diagonal_a[i],
                idx_a: Some(ra),
                idx_b: None,
                point_a: pa[i],
                point_b: projection(pa[i]),
            });
        }
    }
    for (j, &mate) in mates.left[n_a..].iter().enumerate() {
        if mate as usize == j {
            let rb = split_b.finite[j];
            matching.b_to_diagonal.push(rb);
            edges.push(LongestEdge {
                length: problem.diagonal_b[j],
                idx_a: None,
                idx_b: Some(rb),
                point_a: projection(pb[j]),
                point_b: pb[j],
            });
        }
    }
    let essential_length = |family: Family, [i, j]: [usize; 2]| {
        let axis = family.finite_axis();
        (a[i][axis] - b[j][axis]).abs()
    };
    let mut distance = edges.iter().map(|e| e.length).fold(0.0, f64::max);
    for family in Family::ALL {
        for &pair in &matching.essential[family as usize] {
            distance = distance.max(essential_length(family, pair));
        }
    }
    let mut longest_essential: [Vec<[usize; 2]>; 4] = Default::default();
    for family in Family::ALL {
        longest_essential[family as usize] = matching.essential[family as usize]
            .iter()
            .copied()
            .filter(|&pair| essential_length(family, pair) == distance)
            .collect();
    }
    let longest_finite = edges.into_iter().filter(|e| e.length == distance).collect();
    Ok(BottleneckMatching {
        matching,
        distance,
        longest_finite,
        longest_essential,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The exact bottleneck distance by trying every partial injection of a into b.
    fn brute_force(a: &[Point], b: &[Point]) -> f64 {
        fn go(i: usize, a: &[Point], b: &[Point], used: &mut Vec<bool>) -> f64 {
            if i == a.len() {
                return (0..b.len())
                    .filter(|&j| !used[j])
                    .map(|j| linf(b[j], projection(b[j])))
                    .fold(0.0, f64::max);
            }
            let mut best = linf(a[i], projection(a[i])).max(go(i + 1, a, b, used));
            for j in 0..b.len() {
                if !used[j] {
                    used[j] = true;
                    best = best.min(linf(a[i], b[j]).max(go(i + 1, a, b, used)));
                    used[j] = false;
                }
            }
            best
        }
        go(0, a, b, &mut vec![false; b.len()])
    }

    fn diagram(max_len: usize) -> impl Strategy<Value = Vec<Point>> {
        proptest::collection::vec((0u32..12, 0u32..8), 0..max_len)
            .prop_map(|v| v.into_iter().map(|(b, l)| [b as f64, (b + l) as f64]).collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn exact_bottleneck_equals_brute_force(a in diagram(6), b in diagram(6)) {
            let m = bottleneck_matching(&a, &b, 0.0, false, &Interrupt::never()).unwrap();
            prop_assert_eq!(m.distance, brute_force(&a, &b));
        }

        #[test]
        fn approximate_bottleneck_is_within_delta(a in diagram(7), b in diagram(7)) {
            let exact = brute_force(&a, &b);
            let m = bottleneck_matching(&a, &b, 0.1, false, &Interrupt::never()).unwrap();
            prop_assert!(m.distance >= exact && m.distance <= 1.1 * exact);
        }
    }

    #[test]
    fn matching_is_a_perfect_augmented_matching() {
        let a: Vec<Point> = (0..60).map(|i| [(i % 9) as f64, (i % 9 + 1 + i % 4) as f64]).collect();
        let b: Vec<Point> = (0..45).map(|i| [(i % 7) as f64, (i % 7 + 2 + i % 3) as f64]).collect();
        let m = bottleneck_matching(&a, &b, 0.0, false, &Interrupt::never()).unwrap();
        let mut seen_a = vec![0; a.len()];
        let mut seen_b = vec![0; b.len()];
        for &[i, j] in &m.matching.finite_to_finite {
            seen_a[i] += 1;
            seen_b[j] += 1;
        }
        m.matching.a_to_diagonal.iter().for_each(|&i| seen_a[i] += 1);
        m.matching.b_to_diagonal.iter().for_each(|&j| seen_b[j] += 1);
        assert!(seen_a.iter().chain(&seen_b).all(|&c| c == 1));
    }
}
