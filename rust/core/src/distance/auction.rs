//! The auction algorithm of Bertsekas with epsilon-scaling on the augmented matching problem
//! (Kerber, Morozov and Nigmetov, "Geometry helps to compare persistence diagrams", 2017).
//!
//! Bidders are the points of `a` followed by the diagonal projections of the points of `b`;
//! items are the points of `b` followed by the diagonal projections of the points of `a`.
//! A point of `a` may take any point of `b` or its own projection; the projection of b_j may
//! take b_j or any projection of a point of `a` at cost 0. Prices of the points of `b` live in
//! a k-d tree, prices of the projections in a tournament tree, so one bid costs O(log n).
//!
//! Determinism: unassigned bidders wait in a FIFO queue that starts in index order, and every
//! tie between items goes to the lower item index.

use super::kdtree::{BestTwo, KdTree};
use super::{GroundCost, Point};
use crate::error::Result;
use crate::interrupt::Interrupt;

const NONE: u32 = u32::MAX;
/// Epsilon is divided by this much between phases (the ratio Hera uses).
const EPSILON_RATIO: f64 = 5.0;
/// Bids between two polls of the interrupt flag.
const BIDS_PER_CHECK: usize = 4096;

/// Two smallest prices (with their items) of the projection items, in a tournament tree.
struct DiagonalPrices {
    size: usize,
    nodes: Vec<(f64, u32, f64, u32)>,
}

impl DiagonalPrices {
    const EMPTY: (f64, u32, f64, u32) = (f64::INFINITY, NONE, f64::INFINITY, NONE);

    fn new(n: usize) -> Self {
        let size = n.next_power_of_two().max(1);
        let mut nodes = vec![Self::EMPTY; 2 * size];
        for i in 0..n {
            nodes[size + i] = (0.0, i as u32, f64::INFINITY, NONE);
        }
        for v in (1..size).rev() {
            nodes[v] = Self::merge(nodes[2 * v], nodes[2 * v + 1]);
        }
        DiagonalPrices { size, nodes }
    }

    /// The best two of two best-two summaries; ties go to `x`, the lower indices.
    #[inline]
    fn merge(x: (f64, u32, f64, u32), y: (f64, u32, f64, u32)) -> (f64, u32, f64, u32) {
        if x.0 <= y.0 {
            if x.2 <= y.0 {
                x
            } else {
                (x.0, x.1, y.0, y.1)
            }
        } else if x.0 <= y.2 {
            (y.0, y.1, x.0, x.1)
        } else {
            y
        }
    }

    fn price(&self, i: usize) -> f64 {
        self.nodes[self.size + i].0
    }

    fn set(&mut self, i: usize, price: f64) {
        let mut v = self.size + i;
        self.nodes[v].0 = price;
        while v > 1 {
            v /= 2;
            self.nodes[v] = Self::merge(self.nodes[2 * v], self.nodes[2 * v + 1]);
        }
    }

    fn best_two(&self) -> (f64, u32, f64, u32) {
        self.nodes[1]
    }
}

struct Auction<'a> {
    a: &'a [Point],
    b_points: &'a [Point],
    metric: GroundCost,
    /// dist(a_i, Δ)^q and dist(b_j, Δ)^q.
    diagonal_cost_a: Vec<f64>,
    diagonal_cost_b: Vec<f64>,
    prices_b: KdTree,
    prices_diagonal: DiagonalPrices,
    /// Per bidder its item, per item its bidder (NONE when free).
    item_of: Vec<u32>,
    bidder_of: Vec<u32>,
}

impl Auction<'_> {
    fn n_a(&self) -> usize {
        self.a.len()
    }

    fn n_b(&self) -> usize {
        self.diagonal_cost_b.len()
    }

    fn price(&self, item: usize) -> f64 {
        if item < self.n_b() {
            self.prices_b.weight(item)
        } else {
            self.prices_diagonal.price(item - self.n_b())
        }
    }

    fn set_price(&mut self, item: usize, price: f64) {
        if item < self.n_b() {
            self.prices_b.set_weight(item, price);
        } else {
            let n_b = self.n_b();
            self.prices_diagonal.set(item - n_b, price);
        }
    }

    /// The bidder's best item and the values (cost + price) of its best and second-best items.
    fn best_items(&self, bidder: usize) -> BestTwo {
        let n_a = self.n_a();
        let n_b = self.n_b();
        let mut best = BestTwo::EMPTY;
        if bidder < n_a {
            self.prices_b.best_two(self.a[bidder], &self.metric, &mut best);
            let own = n_b + bidder;
            let value = self.diagonal_cost_a[bidder] + self.price(own);
            // Offer in item order so that ties go to the lower item index.
            if value < best.value || (value == best.value && (own as u32) < best.idx) {
                best.second = best.value.min(best.second);
                best.value = value;
                best.idx = own as u32;
            } else {
                best.second = best.second.min(value);
            }
        } else {
            let j = bidder - n_a;
            best.offer(self.diagonal_cost_b[j] + self.price(j), j as u32);
            let (v1, i1, v2, i2) = self.prices_diagonal.best_two();
            if i1 != NONE {
                best.offer(v1, n_b as u32 + i1);
            }
            if i2 != NONE {
                best.offer(v2, n_b as u32 + i2);
            }
        }
        best
    }

    fn cost(&self, bidder: usize, item: usize) -> f64 {
        let (n_a, n_b) = (self.n_a(), self.n_b());
        match (bidder < n_a, item < n_b) {
            (true, true) => self
                .metric
                .pow(self.metric.distance(self.a[bidder], self.b_points[item])),
            (true, false) => self.diagonal_cost_a[bidder],
            (false, true) => self.diagonal_cost_b[item],
            (false, false) => 0.0,
        }
    }
}

/// Per point of `a`, the point of `b` it is matched to, or `None` for the diagonal; the
/// matching's cost is within a factor (1 + delta)^q of optimal.
pub(super) fn auction(
    a: &[Point],
    b: &[Point],
    metric: GroundCost,
    delta: f64,
    interrupt: &Interrupt,
) -> Result<Vec<Option<usize>>> {
    let (n_a, n_b) = (a.len(), b.len());
    if n_a == 0 || n_b == 0 {
        return Ok(vec![None; n_a]);
    }
    let diagonal_cost_a: Vec<f64> = a.iter().map(|&p| metric.pow(metric.to_diagonal(p))).collect();
    let diagonal_cost_b: Vec<f64> = b.iter().map(|&p| metric.pow(metric.to_diagonal(p))).collect();
    let scale = diagonal_cost_a
        .iter()
        .chain(&diagonal_cost_b)
        .fold(0.0f64, |m, &c| m.max(c));
    if scale == 0.0 {
        // Every point lies on the diagonal: matching all of them there costs 0.
        return Ok(vec![None; n_a]);
    }
    let n = n_a + n_b;
    let mut state = Auction {
        a,
        b_points: b,
        metric,
        diagonal_cost_a,
        diagonal_cost_b,
        prices_b: KdTree::new(b),
        prices_diagonal: DiagonalPrices::new(n_a),
        item_of: vec![NONE; n],
        bidder_of: vec![NONE; n],
    };
    let target = (1.0 + delta).powf(metric.q);
    let mut epsilon = scale / 4.0;
    let mut queue = std::collections::VecDeque::with_capacity(n);
    let mut n_bids = 0usize;
    // Per bidder, the value (cost + price) of its best item at the end of the last phase.
    let mut best_values: Vec<f64> = Vec::new();
    queue.extend(0..n as u32);
    loop {
        // Warm start: a bidder keeps its item while it stays within epsilon of its best item
        // (epsilon-complementary slackness); the auction converges from any such partial
        // assignment, and most bidders keep their items once prices have settled.
        for (bidder, &best) in best_values.iter().enumerate() {
            let item = state.item_of[bidder] as usize;
            if state.cost(bidder, item) + state.price(item) > best + epsilon {
                state.item_of[bidder] = NONE;
                state.bidder_of[item] = NONE;
                queue.push_back(bidder as u32);
            }
        }
        while let Some(bidder) = queue.pop_front() {
            n_bids += 1;
            if n_bids % BIDS_PER_CHECK == 0 {
                interrupt.check()?;
            }
            let bidder = bidder as usize;
            let best = state.best_items(bidder);
            let item = best.idx as usize;
            let increment = if best.second.is_finite() {
                best.second - best.value
            } else {
                0.0
            };
            let old_price = state.price(item);
            let mut price = old_price + increment + epsilon;
            if price <= old_price {
                // Epsilon fell below the precision of the price: step to a larger float anyway,
                // so that every bid makes progress.
                price = old_price + (old_price.abs() * 4.0 * f64::EPSILON).max(f64::MIN_POSITIVE);
            }
            state.set_price(item, price);
            let previous = state.bidder_of[item];
            state.bidder_of[item] = bidder as u32;
            state.item_of[bidder] = item as u32;
            if previous != NONE {
                state.item_of[previous as usize] = NONE;
                queue.push_back(previous);
            }
        }
        let cost: f64 = (0..n).map(|i| state.cost(i, state.item_of[i] as usize)).sum();
        // Below this epsilon, float64 prices no longer resolve cost differences: stop with the
        // current matching.
        if cost == 0.0 || epsilon < scale * 1e-13 {
            break;
        }
        // Epsilon-complementary slackness bounds the gap by n * epsilon; when that is not
        // enough, the dual objective of the current prices is a sharper lower bound.
        let quick_bound = cost - n as f64 * epsilon;
        if quick_bound > 0.0 && cost <= target * quick_bound {
            break;
        }
        best_values = (0..n).map(|i| state.best_items(i).value).collect();
        let dual: f64 = best_values.iter().sum::<f64>() - (0..n).map(|item| state.price(item)).sum::<f64>();
        if dual > 0.0 && cost <= target * dual {
            break;
        }
        interrupt.check()?;
        epsilon /= EPSILON_RATIO;
    }
    Ok((0..n_a)
        .map(|i| {
            let item = state.item_of[i] as usize;
            (item < n_b).then_some(item)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The optimal augmented cost by enumerating every partial injection of a into b.
    fn brute_force(a: &[Point], b: &[Point], metric: GroundCost) -> f64 {
        fn go(i: usize, a: &[Point], b: &[Point], used: &mut Vec<bool>, metric: GroundCost) -> f64 {
            if i == a.len() {
                return (0..b.len())
                    .filter(|&j| !used[j])
                    .map(|j| metric.pow(metric.to_diagonal(b[j])))
                    .sum();
            }
            let mut best = metric.pow(metric.to_diagonal(a[i])) + go(i + 1, a, b, used, metric);
            for j in 0..b.len() {
                if !used[j] {
                    used[j] = true;
                    let c = metric.pow(metric.distance(a[i], b[j])) + go(i + 1, a, b, used, metric);
                    best = best.min(c);
                    used[j] = false;
                }
            }
            best
        }
        go(0, a, b, &mut vec![false; b.len()], metric)
    }

    fn matched_cost(a: &[Point], b: &[Point], m: &[Option<usize>], metric: GroundCost) -> f64 {
        let mut used = vec![false; b.len()];
        let mut cost = 0.0;
        for (i, t) in m.iter().enumerate() {
            cost += match *t {
                Some(j) => {
                    assert!(!used[j], "b point {j} matched twice");
                    used[j] = true;
                    metric.pow(metric.distance(a[i], b[j]))
                }
                None => metric.pow(metric.to_diagonal(a[i])),
            };
        }
        cost + (0..b.len())
            .filter(|&j| !used[j])
            .map(|j| metric.pow(metric.to_diagonal(b[j])))
            .sum::<f64>()
    }

    use proptest::prelude::*;

    fn diagram(max_len: usize) -> impl Strategy<Value = Vec<Point>> {
        proptest::collection::vec((0u32..20, 1u32..12), 0..max_len).prop_map(|v| {
            v.into_iter()
                .map(|(b, l)| [b as f64 / 4.0, (b + l) as f64 / 4.0])
                .collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn auction_is_within_delta_of_brute_force(
            a in diagram(6), b in diagram(6), q_idx in 0usize..3, p_idx in 0usize..3,
        ) {
            let metric = GroundCost { internal_p: [1.0, 2.0, f64::INFINITY][p_idx], q: [1.0, 2.0, 3.0][q_idx] };
            let delta = 0.01;
            let m = auction(&a, &b, metric, delta, &Interrupt::never()).unwrap();
            let cost = matched_cost(&a, &b, &m, metric);
            let optimum = brute_force(&a, &b, metric);
            prop_assert!(cost >= optimum - 1e-9);
            prop_assert!(cost.powf(1.0 / metric.q) <= (1.0 + delta) * optimum.powf(1.0 / metric.q) + 1e-9);
        }
    }

    #[test]
    fn auction_is_deterministic() {
        let a: Vec<Point> = (0..40)
            .map(|i| [i as f64 % 7.0, i as f64 % 7.0 + 1.0 + (i % 3) as f64])
            .collect();
        let b: Vec<Point> = (0..35).map(|i| [i as f64 % 5.0, i as f64 % 5.0 + 2.0]).collect();
        let metric = GroundCost {
            internal_p: f64::INFINITY,
            q: 2.0,
        };
        let first = auction(&a, &b, metric, 0.01, &Interrupt::never()).unwrap();
        for _ in 0..3 {
            assert_eq!(auction(&a, &b, metric, 0.01, &Interrupt::never()).unwrap(), first);
        }
    }
}
