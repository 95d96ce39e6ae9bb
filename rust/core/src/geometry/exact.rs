//! Exact signs of small polynomials in the input coordinates, by floating-point expansions.
//!
//! An expansion is a sum of non-overlapping f64 components in increasing magnitude; sums and
//! products of expansions are exact (barring overflow and underflow), and the sign of an
//! expansion is the sign of its largest component. The primitives are those of Shewchuk,
//! "Adaptive precision floating-point arithmetic and fast robust geometric predicates",
//! Discrete & Computational Geometry 18 (1997), doi:10.1007/PL00009321. Each public test first
//! evaluates its polynomial in f64 with a generous error bound and falls back to expansions only
//! when the sign is not certain.

use std::cmp::Ordering;

/// a + b = x + y exactly, with x = fl(a + b).
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let x = a + b;
    let bv = x - a;
    let av = x - bv;
    (x, (a - av) + (b - bv))
}

/// a * b = x + y exactly, with x = fl(a * b).
fn two_product(a: f64, b: f64) -> (f64, f64) {
    let x = a * b;
    (x, a.mul_add(b, -x))
}

/// A sum of non-overlapping components, smallest first, zeros eliminated.
#[derive(Debug, Clone, PartialEq)]
struct Expansion(Vec<f64>);

impl Expansion {
    #[cfg(test)]
    fn from_f64(a: f64) -> Self {
        Expansion(if a == 0.0 { Vec::new() } else { vec![a] })
    }

    /// a − b exactly.
    fn diff(a: f64, b: f64) -> Self {
        let (x, y) = two_sum(a, -b);
        let mut v = Vec::with_capacity(2);
        if y != 0.0 {
            v.push(y);
        }
        if x != 0.0 {
            v.push(x);
        }
        Expansion(v)
    }

    /// Add one f64 exactly (Shewchuk's GROW-EXPANSION with zero elimination).
    fn grow(&self, b: f64) -> Self {
        let mut q = b;
        let mut out = Vec::with_capacity(self.0.len() + 1);
        for &e in &self.0 {
            let (sum, err) = two_sum(q, e);
            if err != 0.0 {
                out.push(err);
            }
            q = sum;
        }
        if q != 0.0 {
            out.push(q);
        }
        Expansion(out)
    }

    fn add(&self, other: &Expansion) -> Self {
        let mut acc = self.clone();
        for &b in &other.0 {
            acc = acc.grow(b);
        }
        acc
    }

    fn neg(&self) -> Self {
        Expansion(self.0.iter().map(|x| -x).collect())
    }

    fn sub(&self, other: &Expansion) -> Self {
        self.add(&other.neg())
    }

    /// Multiply by one f64 exactly (Shewchuk's SCALE-EXPANSION with zero elimination).
    fn scale(&self, b: f64) -> Self {
        let mut out = Vec::with_capacity(2 * self.0.len());
        let Some((&first, rest)) = self.0.split_first() else {
            return Expansion(out);
        };
        let (mut q, h) = two_product(first, b);
        if h != 0.0 {
            out.push(h);
        }
        for &e in rest {
            let (t1, t0) = two_product(e, b);
            let (sum, h) = two_sum(q, t0);
            if h != 0.0 {
                out.push(h);
            }
            let (nq, h) = two_sum(t1, sum);
            if h != 0.0 {
                out.push(h);
            }
            q = nq;
        }
        if q != 0.0 {
            out.push(q);
        }
        Expansion(out)
    }

    fn mul(&self, other: &Expansion) -> Self {
        let mut acc = Expansion(Vec::new());
        for &b in &other.0 {
            acc = acc.add(&self.scale(b));
        }
        acc
    }

    fn sign(&self) -> Ordering {
        match self.0.last() {
            None => Ordering::Equal,
            Some(x) => x.partial_cmp(&0.0).unwrap_or(Ordering::Equal),
        }
    }
}

fn dot(a: &[Expansion; 3], b: &[Expansion; 3]) -> Expansion {
    a[0].mul(&b[0]).add(&a[1].mul(&b[1])).add(&a[2].mul(&b[2]))
}

fn cross(a: &[Expansion; 3], b: &[Expansion; 3]) -> [Expansion; 3] {
    [
        a[1].mul(&b[2]).sub(&a[2].mul(&b[1])),
        a[2].mul(&b[0]).sub(&a[0].mul(&b[2])),
        a[0].mul(&b[1]).sub(&a[1].mul(&b[0])),
    ]
}

fn diff3(p: &[f64; 3], q: &[f64; 3]) -> [Expansion; 3] {
    [
        Expansion::diff(p[0], q[0]),
        Expansion::diff(p[1], q[1]),
        Expansion::diff(p[2], q[2]),
    ]
}

/// The sign of a value computed in f64 when `|value| > bound`; `None` when uncertain.
fn filtered(value: f64, bound: f64) -> Option<Ordering> {
    // A bound that is not a normal number (underflow, overflow, NaN) certifies nothing.
    if bound.is_normal() && value.abs() > bound {
        value.partial_cmp(&0.0)
    } else {
        None
    }
}

/// Whether `v` lies strictly inside the ball with diameter `ab` (points padded to 3-D), decided
/// exactly: the sign of (a − v)·(b − v).
pub(crate) fn strictly_inside_diametral_ball(a: &[f64; 3], b: &[f64; 3], v: &[f64; 3]) -> bool {
    let (mut value, mut magnitude) = (0.0, 0.0);
    for k in 0..3 {
        let (x, y) = (a[k] - v[k], b[k] - v[k]);
        value += x * y;
        magnitude += (x * y).abs();
    }
    // The f64 error is below 8 units in the last place of `magnitude`; 1e-13 is far above that.
    let sign = filtered(value, 1e-13 * magnitude).unwrap_or_else(|| dot(&diff3(a, v), &diff3(b, v)).sign());
    sign == Ordering::Less
}

/// Whether `p` lies strictly inside the smallest sphere through the triangle `abc` (the sphere
/// centred in the triangle's plane), decided exactly. The triangle must not be degenerate.
///
/// With u = b − a, v = c − a, w = p − a and n = u × v, the circumcentre is a + A / (2‖n‖²) with
/// A = ‖u‖²(v × n) + ‖v‖²(n × u), and p is strictly inside iff ‖w‖²‖n‖² − w·A < 0.
pub(crate) fn strictly_inside_diametral_sphere(a: &[f64; 3], b: &[f64; 3], c: &[f64; 3], p: &[f64; 3]) -> bool {
    let sub = |x: &[f64; 3], y: &[f64; 3]| [x[0] - y[0], x[1] - y[1], x[2] - y[2]];
    let d = |x: &[f64; 3], y: &[f64; 3]| x[0] * y[0] + x[1] * y[1] + x[2] * y[2];
    let cr = |x: &[f64; 3], y: &[f64; 3]| {
        [
            x[1] * y[2] - x[2] * y[1],
            x[2] * y[0] - x[0] * y[2],
            x[0] * y[1] - x[1] * y[0],
        ]
    };
    let (u, v, w) = (sub(b, a), sub(c, a), sub(p, a));
    let n = cr(&u, &v);
    let (uu, vv, ww) = (d(&u, &u), d(&v, &v), d(&w, &w));
    let vn = cr(&v, &n);
    let nu = cr(&n, &u);
    let big_a = [
        uu * vn[0] + vv * nu[0],
        uu * vn[1] + vv * nu[1],
        uu * vn[2] + vv * nu[2],
    ];
    let value = ww * d(&n, &n) - d(&w, &big_a);
    let (nw, nu_, nv) = (ww.sqrt(), uu.sqrt(), vv.sqrt());
    // Every term is bounded by ‖w‖²‖u‖²‖v‖² or ‖w‖‖u‖²‖v‖²(‖u‖ + ‖v‖), each computed with a
    // relative error of a few dozen units in the last place.
    let magnitude = nw * nw * uu * vv + nw * uu * vv * (nu_ + nv);
    filtered(value, 1e-11 * magnitude).map_or_else(
        || {
            let (u, v, w) = (diff3(b, a), diff3(c, a), diff3(p, a));
            let n = cross(&u, &v);
            let (uu, vv, ww) = (dot(&u, &u), dot(&v, &v), dot(&w, &w));
            let vn = cross(&v, &n);
            let nu = cross(&n, &u);
            let big_a = [
                uu.mul(&vn[0]).add(&vv.mul(&nu[0])),
                uu.mul(&vn[1]).add(&vv.mul(&nu[1])),
                uu.mul(&vn[2]).add(&vv.mul(&nu[2])),
            ];
            ww.mul(&dot(&n, &n)).sub(&dot(&w, &big_a)).sign() == Ordering::Less
        },
        |sign| sign == Ordering::Less,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expansions_are_exact_where_f64_cancels() {
        let big = Expansion::from_f64(1e20);
        let sum = big.grow(1.0).grow(-1e20);
        assert_eq!(sum.sign(), Ordering::Greater);
        assert_eq!(sum.0, vec![1.0]);
        let prod = Expansion::diff(1e16, -1.0).mul(&Expansion::diff(1e16, 1.0));
        // (1e16 + 1)(1e16 − 1) − 1e32 = −1.
        let rest = prod.sub(&Expansion::from_f64(1e16).scale(1e16));
        assert_eq!(rest.0, vec![-1.0]);
    }

    #[test]
    fn diametral_ball_boundary_is_not_strictly_inside() {
        let (a, b) = ([0.0, 0.0, 0.0], [2.0, 0.0, 0.0]);
        assert!(!strictly_inside_diametral_ball(&a, &b, &[1.0, 1.0, 0.0]));
        assert!(strictly_inside_diametral_ball(&a, &b, &[1.0, 0.999, 0.0]));
        assert!(!strictly_inside_diametral_ball(&a, &b, &[1.0, 1.0 + 1e-15, 0.0]));
        assert!(strictly_inside_diametral_ball(&a, &b, &[1.0, 1.0 - 1e-16, 0.0]));
    }

    #[test]
    fn diametral_sphere_of_a_triangle_is_decided_exactly() {
        // Right triangle in the plane z = 0: smallest sphere centred at (1, 1, 0), radius √2.
        let (a, b, c) = ([0.0, 0.0, 0.0], [2.0, 0.0, 0.0], [0.0, 2.0, 0.0]);
        assert!(!strictly_inside_diametral_sphere(
            &a,
            &b,
            &c,
            &[1.0, 1.0, 2.0f64.sqrt() + 1e-15]
        ));
        assert!(!strictly_inside_diametral_sphere(&a, &b, &c, &[2.0, 2.0, 0.0]));
        assert!(strictly_inside_diametral_sphere(&a, &b, &c, &[1.0, 1.0, 1.4]));
        assert!(!strictly_inside_diametral_sphere(&a, &b, &c, &[1.0, 1.0, 1.0 + 1.0]));
        // (1, 1, 0) + (0, 1, 1): distance² 2, exactly on the sphere.
        assert!(!strictly_inside_diametral_sphere(&a, &b, &c, &[1.0, 2.0, 1.0]));
        assert!(strictly_inside_diametral_sphere(
            &a,
            &b,
            &c,
            &[1.0, 2.0, 1.0 - 1e-16 * 8.0]
        ));
    }
}
