//! A static 2-D k-d tree with per-point weights, for the two queries the matchers need:
//! the two smallest values of dist(q, p)^q + weight(p) (auction bids, where the weight is the
//! price), and every point within an L∞ radius (bottleneck graphs).
//!
//! Weights may change after construction; each node keeps the minimum weight below it, so a
//! query prunes a subtree when the distance to its box plus that minimum cannot beat the
//! current second best. Construction splits at the median of the wider axis, which is
//! deterministic for a given input.

use super::{GroundCost, Point};

/// Points per leaf: small enough to scan, large enough to keep the tree shallow.
const LEAF_SIZE: usize = 8;
const NONE: u32 = u32::MAX;

#[derive(Clone, Debug)]
struct Node {
    lo: Point,
    hi: Point,
    start: u32,
    end: u32,
    left: u32,
    right: u32,
    parent: u32,
    min_weight: f64,
}

/// The k-d tree; points are addressed by their index in the slice it was built from.
#[derive(Clone, Debug)]
pub(crate) struct KdTree {
    points: Vec<Point>,
    order: Vec<u32>,
    nodes: Vec<Node>,
    leaf_of: Vec<u32>,
    weights: Vec<f64>,
}

/// The best two values of a weighted query: (value, point) of the best, and the second value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct BestTwo {
    pub value: f64,
    pub idx: u32,
    pub second: f64,
}

impl BestTwo {
    pub(crate) const EMPTY: BestTwo = BestTwo {
        value: f64::INFINITY,
        idx: NONE,
        second: f64::INFINITY,
    };

    /// Offer a candidate; ties keep the earlier one (the query order is deterministic).
    #[inline]
    pub(crate) fn offer(&mut self, value: f64, idx: u32) {
        if value < self.value {
            self.second = self.value;
            self.value = value;
            self.idx = idx;
        } else if value < self.second {
            self.second = value;
        }
    }
}

impl KdTree {
    /// A tree over `points`, every weight 0.
    pub(crate) fn new(points: &[Point]) -> Self {
        let n = points.len();
        let mut tree = KdTree {
            points: points.to_vec(),
            order: (0..n as u32).collect(),
            nodes: Vec::with_capacity(2 * n / LEAF_SIZE + 2),
            leaf_of: vec![NONE; n],
            weights: vec![0.0; n],
        };
        if n > 0 {
            tree.build(0, n, NONE);
        }
        tree
    }

    fn build(&mut self, start: usize, end: usize, parent: u32) -> u32 {
        let id = self.nodes.len() as u32;
        let mut lo = [f64::INFINITY; 2];
        let mut hi = [f64::NEG_INFINITY; 2];
        for &i in &self.order[start..end] {
            let p = self.points[i as usize];
            for axis in 0..2 {
                lo[axis] = lo[axis].min(p[axis]);
                hi[axis] = hi[axis].max(p[axis]);
            }
        }
        self.nodes.push(Node {
            lo,
            hi,
            start: start as u32,
            end: end as u32,
            left: NONE,
            right: NONE,
            parent,
            min_weight: 0.0,
        });
        if end - start <= LEAF_SIZE {
            for &i in &self.order[start..end] {
                self.leaf_of[i as usize] = id;
            }
            return id;
        }
        let axis = if hi[0] - lo[0] >= hi[1] - lo[1] { 0 } else { 1 };
        let mid = start + (end - start) / 2;
        let points = &self.points;
        self.order[start..end].select_nth_unstable_by(mid - start, |&i, &j| {
            points[i as usize][axis]
                .total_cmp(&points[j as usize][axis])
                .then(i.cmp(&j))
        });
        let left = self.build(start, mid, id);
        let right = self.build(mid, end, id);
        self.nodes[id as usize].left = left;
        self.nodes[id as usize].right = right;
        id
    }

    /// The weight of point `idx`.
    #[inline]
    pub(crate) fn weight(&self, idx: usize) -> f64 {
        self.weights[idx]
    }

    /// Set the weight of point `idx` and refresh the minima above it.
    pub(crate) fn set_weight(&mut self, idx: usize, weight: f64) {
        self.weights[idx] = weight;
        let mut node = self.leaf_of[idx];
        let leaf = &self.nodes[node as usize];
        let mut min = self.order[leaf.start as usize..leaf.end as usize]
            .iter()
            .map(|&i| self.weights[i as usize])
            .fold(f64::INFINITY, f64::min);
        loop {
            let current = &mut self.nodes[node as usize];
            if current.min_weight == min && current.left != NONE {
                break;
            }
            current.min_weight = min;
            let parent = current.parent;
            if parent == NONE {
                break;
            }
            let p = &self.nodes[parent as usize];
            min = self.nodes[p.left as usize]
                .min_weight
                .min(self.nodes[p.right as usize].min_weight);
            node = parent;
        }
    }

    /// The lower bound of dist(q, ·)^q over the node's box.
    #[inline]
    fn box_distance(node: &Node, q: Point, cost: &GroundCost) -> f64 {
        let dx = (node.lo[0] - q[0]).max(q[0] - node.hi[0]).max(0.0);
        let dy = (node.lo[1] - q[1]).max(q[1] - node.hi[1]).max(0.0);
        cost.pow(cost.norm(dx, dy))
    }

    /// Offer every point's dist(q, p)^q + weight(p) to `best`, pruning what cannot beat its
    /// second value.
    pub(crate) fn best_two(&self, q: Point, cost: &GroundCost, best: &mut BestTwo) {
        if self.nodes.is_empty() {
            return;
        }
        let mut stack: [u32; 128] = [0; 128];
        let mut top = 1usize;
        stack[0] = 0;
        while top > 0 {
            top -= 1;
            let node = &self.nodes[stack[top] as usize];
            if Self::box_distance(node, q, cost) + node.min_weight >= best.second {
                continue;
            }
            if node.left == NONE {
                for &i in &self.order[node.start as usize..node.end as usize] {
                    let value = cost.pow(cost.distance(q, self.points[i as usize])) + self.weights[i as usize];
                    best.offer(value, i);
                }
                continue;
            }
            let (l, r) = (&self.nodes[node.left as usize], &self.nodes[node.right as usize]);
            let bound_l = Self::box_distance(l, q, cost) + l.min_weight;
            let bound_r = Self::box_distance(r, q, cost) + r.min_weight;
            // Push the farther child first so that the nearer one is searched first.
            let (first, second) = if bound_l <= bound_r {
                (node.left, node.right)
            } else {
                (node.right, node.left)
            };
            stack[top] = second;
            stack[top + 1] = first;
            top += 2;
        }
    }

    /// Call `f` on every point p with max(|p − q|) ≤ r (L∞), in tree order.
    pub(crate) fn for_each_within(&self, q: Point, r: f64, f: impl FnMut(usize)) {
        self.for_each_within_below(q, r, f64::INFINITY, f);
    }

    /// Call `f` on every point p with max(|p − q|) ≤ r (L∞) and weight(p) < `bound`, in tree
    /// order; subtrees whose minimum weight reaches `bound` are skipped.
    pub(crate) fn for_each_within_below(&self, q: Point, r: f64, bound: f64, mut f: impl FnMut(usize)) {
        if self.nodes.is_empty() {
            return;
        }
        let mut stack: [u32; 128] = [0; 128];
        let mut top = 1usize;
        stack[0] = 0;
        while top > 0 {
            top -= 1;
            let node = &self.nodes[stack[top] as usize];
            let dx = (node.lo[0] - q[0]).max(q[0] - node.hi[0]);
            let dy = (node.lo[1] - q[1]).max(q[1] - node.hi[1]);
            if dx > r || dy > r || node.min_weight >= bound {
                continue;
            }
            if node.left == NONE {
                for &i in &self.order[node.start as usize..node.end as usize] {
                    if self.weights[i as usize] < bound && linf(q, self.points[i as usize]) <= r {
                        f(i as usize);
                    }
                }
                continue;
            }
            stack[top] = node.right;
            stack[top + 1] = node.left;
            top += 2;
        }
    }
}

/// The L∞ distance, the one formula every bottleneck length uses.
#[inline]
pub(crate) fn linf(a: Point, b: Point) -> f64 {
    (a[0] - b[0]).abs().max((a[1] - b[1]).abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cloud(n: usize, seed: u64) -> Vec<Point> {
        let mut state = seed;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        (0..n).map(|_| [next(), next()]).collect()
    }

    #[test]
    fn weighted_best_two_matches_a_scan() {
        let pts = cloud(300, 1);
        let mut tree = KdTree::new(&pts);
        for (i, w) in cloud(300, 2).iter().enumerate() {
            tree.set_weight(i, w[0] * 0.3);
        }
        for metric in [
            GroundCost {
                internal_p: f64::INFINITY,
                q: 1.0,
            },
            GroundCost {
                internal_p: 2.0,
                q: 2.0,
            },
            GroundCost {
                internal_p: 1.0,
                q: 3.0,
            },
        ] {
            for q in cloud(50, 3) {
                let mut best = BestTwo::EMPTY;
                tree.best_two(q, &metric, &mut best);
                let mut values: Vec<f64> = pts
                    .iter()
                    .enumerate()
                    .map(|(i, &p)| metric.pow(metric.distance(q, p)) + tree.weight(i))
                    .collect();
                let argmin = (0..values.len())
                    .min_by(|&i, &j| values[i].total_cmp(&values[j]))
                    .unwrap();
                assert_eq!(best.value, values[argmin]);
                values.sort_by(f64::total_cmp);
                assert_eq!(best.second, values[1]);
            }
        }
    }

    #[test]
    fn range_query_matches_a_scan() {
        let pts = cloud(500, 4);
        let tree = KdTree::new(&pts);
        for q in cloud(20, 5) {
            let mut found = vec![];
            tree.for_each_within(q, 0.1, |i| found.push(i));
            found.sort();
            let expected: Vec<usize> = (0..pts.len()).filter(|&i| linf(q, pts[i]) <= 0.1).collect();
            assert_eq!(found, expected);
        }
    }
}
