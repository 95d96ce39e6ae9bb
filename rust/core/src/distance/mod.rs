//! Distances between persistence diagrams: Wasserstein matchings by auction and bottleneck
//! matchings by search over candidate lengths with Hopcroft-Karp.
//!
//! A diagram is a slice of `[birth, death]` rows. Rows with both coordinates finite are the
//! *finite* points; rows with exactly one infinite coordinate are *essential* points, in one of
//! four [`Family`] values; rows with both coordinates infinite are ignored. Indices in every
//! result refer to the rows of the input slices.
//!
//! Finite points are matched on the standard augmented problem: each diagram is completed with
//! the diagonal projections of the other diagram's points, a point may be matched to its own
//! projection at the cost of its distance to the diagonal, and two projections match at cost 0.
//! Essential points are matched within their family by sorted rank of the finite coordinate,
//! which is optimal in one dimension.
//!
//! - [`wasserstein_matching`]: the auction algorithm of Bertsekas with epsilon-scaling, as in
//!   Kerber, Morozov and Nigmetov, "Geometry helps to compare persistence diagrams" (ACM JEA
//!   2017, doi:10.1145/3064175); the result is within a factor (1 + delta) of optimal.
//! - [`bottleneck_matching`]: exact (delta = 0) or (1 + delta)-approximate bottleneck matching.

mod auction;
mod bottleneck;
mod kdtree;

use crate::error::{Error, Result};
use crate::interrupt::Interrupt;

pub use bottleneck::{bottleneck_matching, BottleneckMatching, LongestEdge};

/// One diagram point, `[birth, death]`.
pub type Point = [f64; 2];

/// The four families of essential points.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    /// (finite, +inf): the finite coordinate is the birth.
    InfDeath,
    /// (finite, -inf): the finite coordinate is the birth.
    NegInfDeath,
    /// (+inf, finite): the finite coordinate is the death.
    InfBirth,
    /// (-inf, finite): the finite coordinate is the death.
    NegInfBirth,
}

impl Family {
    /// The four families, in the order used by every array of per-family results.
    pub const ALL: [Family; 4] = [
        Family::InfDeath,
        Family::NegInfDeath,
        Family::InfBirth,
        Family::NegInfBirth,
    ];

    /// The family's public name (`"inf_death"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Family::InfDeath => "inf_death",
            Family::NegInfDeath => "neg_inf_death",
            Family::InfBirth => "inf_birth",
            Family::NegInfBirth => "neg_inf_birth",
        }
    }

    /// Which coordinate (0 = birth, 1 = death) is finite in this family.
    pub fn finite_axis(self) -> usize {
        match self {
            Family::InfDeath | Family::NegInfDeath => 0,
            Family::InfBirth | Family::NegInfBirth => 1,
        }
    }

    /// The family of an essential point; `None` for finite points and for rows with both
    /// coordinates infinite (NaN rows must be rejected before).
    pub fn of(p: Point) -> Option<Family> {
        match (p[0].is_finite(), p[1].is_finite()) {
            (true, false) => Some(if p[1] > 0.0 {
                Family::InfDeath
            } else {
                Family::NegInfDeath
            }),
            (false, true) => Some(if p[0] > 0.0 {
                Family::InfBirth
            } else {
                Family::NegInfBirth
            }),
            _ => None,
        }
    }

    fn idx(self) -> usize {
        self as usize
    }
}

/// A diagram's rows sorted into finite points and the four essential families.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SplitDiagram {
    /// Rows with both coordinates finite, ascending.
    pub finite: Vec<usize>,
    /// Per family (in [`Family::ALL`] order), the rows of that family, ascending.
    pub essential: [Vec<usize>; 4],
}

impl SplitDiagram {
    /// Sort the rows of `dgm` by kind; rows with both coordinates infinite are dropped.
    ///
    /// # Errors
    /// [`Error::NonFiniteValue`] if a coordinate is NaN (`name` names the argument).
    pub fn new(dgm: &[Point], name: &'static str) -> Result<Self> {
        let n_nan = dgm.iter().flatten().filter(|x| x.is_nan()).count();
        if n_nan > 0 {
            let first_idx = dgm.iter().flatten().position(|x| x.is_nan()).unwrap_or(0);
            return Err(Error::NonFiniteValue {
                name,
                count: n_nan,
                first_idx,
            });
        }
        let mut split = SplitDiagram::default();
        for (i, &p) in dgm.iter().enumerate() {
            if p[0].is_finite() && p[1].is_finite() {
                split.finite.push(i);
            } else if let Some(family) = Family::of(p) {
                split.essential[family.idx()].push(i);
            }
        }
        Ok(split)
    }
}

/// A matching between two diagrams; indices are input rows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Matching {
    /// Pairs (index in a, index in b) of finite points, ascending in the index in a.
    pub finite_to_finite: Vec<[usize; 2]>,
    /// Finite points of a matched to the diagonal, ascending.
    pub a_to_diagonal: Vec<usize>,
    /// Finite points of b matched to the diagonal, ascending.
    pub b_to_diagonal: Vec<usize>,
    /// Per family (in [`Family::ALL`] order), pairs (index in a, index in b) of essential
    /// points, ascending in a's finite coordinate (ties by row). Empty when essential points
    /// are ignored.
    pub essential: [Vec<[usize; 2]>; 4],
}

/// A Wasserstein matching and its cost.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WassersteinMatching {
    /// The matching.
    pub matching: Matching,
    /// Σ over matched pairs of (ground distance)^q, essential pairs included.
    pub cost: f64,
}

/// The L_p ground distance in the (birth, death) plane, raised to the power q.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GroundCost {
    /// The internal norm's exponent p ≥ 1, or `f64::INFINITY`.
    pub internal_p: f64,
    /// The Wasserstein exponent q ≥ 1.
    pub q: f64,
}

impl GroundCost {
    /// The L_p norm of the vector (dx, dy).
    #[inline]
    pub fn norm(&self, dx: f64, dy: f64) -> f64 {
        let (dx, dy) = (dx.abs(), dy.abs());
        let p = self.internal_p;
        if p == f64::INFINITY {
            dx.max(dy)
        } else if p == 1.0 {
            dx + dy
        } else if p == 2.0 {
            dx.hypot(dy)
        } else {
            let m = dx.max(dy);
            if m == 0.0 {
                0.0
            } else {
                m * ((dx / m).powf(p) + (dy / m).powf(p)).powf(1.0 / p)
            }
        }
    }

    /// The L_p distance between two finite points.
    #[inline]
    pub fn distance(&self, a: Point, b: Point) -> f64 {
        self.norm(a[0] - b[0], a[1] - b[1])
    }

    /// The L_p distance from a finite point to the diagonal, in closed form:
    /// |death − birth| / 2 · 2^(1/p).
    #[inline]
    pub fn to_diagonal(&self, a: Point) -> f64 {
        let half = (a[1] - a[0]).abs() / 2.0;
        let p = self.internal_p;
        if p == f64::INFINITY {
            half
        } else if p == 1.0 {
            2.0 * half
        } else {
            half * 2f64.powf(1.0 / p)
        }
    }

    /// `d` raised to the power q.
    #[inline]
    pub fn pow(&self, d: f64) -> f64 {
        if self.q == 1.0 {
            d
        } else if self.q == 2.0 {
            d * d
        } else {
            d.powf(self.q)
        }
    }
}

/// Match each essential family of `a` with the same family of `b` by sorted rank of the finite
/// coordinate.
///
/// # Errors
/// [`Error::InvalidParameter`] (naming `dgm_2`) if a family has different sizes in `a` and `b`.
pub fn essential_matching(
    a: &[Point],
    b: &[Point],
    split_a: &SplitDiagram,
    split_b: &SplitDiagram,
) -> Result<[Vec<[usize; 2]>; 4]> {
    let mut result: [Vec<[usize; 2]>; 4] = Default::default();
    for family in Family::ALL {
        let (rows_a, rows_b) = (&split_a.essential[family.idx()], &split_b.essential[family.idx()]);
        if rows_a.len() != rows_b.len() {
            return Err(Error::InvalidParameter {
                name: "dgm_2",
                reason: format!(
                    "essential point cardinalities must match between the two diagrams in every family; \
                     got {} and {} points in family {}",
                    rows_a.len(),
                    rows_b.len(),
                    family.name()
                ),
            });
        }
        let axis = family.finite_axis();
        let sorted = |dgm: &[Point], rows: &[usize]| {
            let mut rows = rows.to_vec();
            rows.sort_by(|&i, &j| dgm[i][axis].total_cmp(&dgm[j][axis]).then(i.cmp(&j)));
            rows
        };
        let (sa, sb) = (sorted(a, rows_a), sorted(b, rows_b));
        result[family.idx()] = sa.into_iter().zip(sb).map(|(i, j)| [i, j]).collect();
    }
    Ok(result)
}

/// Reject finite points so far apart that their distances (raised to q) overflow float64.
fn check_extent(pa: &[Point], pb: &[Point], metric: &GroundCost) -> Result<()> {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for &x in pa.iter().chain(pb).flatten() {
        lo = lo.min(x);
        hi = hi.max(x);
    }
    let extent = hi - lo;
    let n = (pa.len() + pb.len()) as f64;
    if lo <= hi && !(metric.pow(metric.norm(extent, extent)) * n).is_finite() {
        return Err(Error::InvalidParameter {
            name: "dgm_1",
            reason: format!(
                "the finite coordinates of dgm_1 and dgm_2 span [{lo:e}, {hi:e}], so matching costs overflow float64"
            ),
        });
    }
    Ok(())
}

/// Check the auction parameters.
fn check_wasserstein_params(q: f64, delta: f64, internal_p: f64) -> Result<()> {
    if !(q.is_finite() && q >= 1.0) {
        return Err(Error::InvalidParameter {
            name: "q",
            reason: format!("must be a finite number >= 1; got {q}"),
        });
    }
    if !(delta.is_finite() && delta > 0.0) {
        return Err(Error::InvalidParameter {
            name: "delta",
            reason: format!("must be a finite number > 0; got {delta}"),
        });
    }
    if internal_p.is_nan() || internal_p < 1.0 {
        return Err(Error::InvalidParameter {
            name: "internal_p",
            reason: format!("must be >= 1 or inf; got {internal_p}"),
        });
    }
    Ok(())
}

/// A (1 + delta)-approximate optimal Wasserstein matching between two diagrams.
///
/// The finite points are matched by a deterministic auction with epsilon-scaling on the
/// augmented problem; the auction stops when the duality gap certifies that
/// cost^(1/q) ≤ (1 + delta) · optimum^(1/q). With `include_essential`, essential points are
/// matched per family by sorted rank and their costs |a_fin − b_fin|^q are added.
///
/// # Errors
/// [`Error::InvalidParameter`] for q < 1, delta ≤ 0, internal_p < 1, coordinates so far apart
/// that costs overflow float64, or (with `include_essential`) essential families of different
/// sizes; [`Error::NonFiniteValue`] for
/// NaN coordinates; [`Error::Interrupted`] when cancelled.
///
/// # Performance
/// Bids are answered by a k-d tree over the second diagram's points weighted by their prices,
/// so one bid costs about O(log n).
///
/// # Examples
/// ```
/// use oineus_diff_core::distance::wasserstein_matching;
/// use oineus_diff_core::Interrupt;
/// let a = [[0.0, 1.0], [0.5, 2.0], [0.3, 0.7]];
/// let b = [[0.2, 1.2], [0.6, 2.1]];
/// let m = wasserstein_matching(&a, &b, 2.0, 0.01, f64::INFINITY, false, &Interrupt::never()).unwrap();
/// assert_eq!(m.matching.finite_to_finite, vec![[0, 0], [1, 1]]);
/// assert_eq!(m.matching.a_to_diagonal, vec![2]);
/// assert!((m.cost - 0.09).abs() < 1e-12);
/// ```
pub fn wasserstein_matching(
    a: &[Point],
    b: &[Point],
    q: f64,
    delta: f64,
    internal_p: f64,
    include_essential: bool,
    interrupt: &Interrupt,
) -> Result<WassersteinMatching> {
    check_wasserstein_params(q, delta, internal_p)?;
    let split_a = SplitDiagram::new(a, "dgm_1")?;
    let split_b = SplitDiagram::new(b, "dgm_2")?;
    let metric = GroundCost { internal_p, q };
    let essential = if include_essential {
        essential_matching(a, b, &split_a, &split_b)?
    } else {
        Default::default()
    };
    let pa: Vec<Point> = split_a.finite.iter().map(|&i| a[i]).collect();
    let pb: Vec<Point> = split_b.finite.iter().map(|&i| b[i]).collect();
    check_extent(&pa, &pb, &metric)?;
    let assignment = auction::auction(&pa, &pb, metric, delta, interrupt)?;
    let mut matching = Matching {
        essential,
        ..Default::default()
    };
    let mut cost = 0.0;
    for (i, target) in assignment.iter().enumerate() {
        match *target {
            Some(j) => {
                matching.finite_to_finite.push([split_a.finite[i], split_b.finite[j]]);
                cost += metric.pow(metric.distance(pa[i], pb[j]));
            }
            None => {
                matching.a_to_diagonal.push(split_a.finite[i]);
                cost += metric.pow(metric.to_diagonal(pa[i]));
            }
        }
    }
    let mut matched_b = vec![false; pb.len()];
    for j in assignment.iter().flatten() {
        matched_b[*j] = true;
    }
    for (j, &m) in matched_b.iter().enumerate() {
        if !m {
            matching.b_to_diagonal.push(split_b.finite[j]);
            cost += metric.pow(metric.to_diagonal(pb[j]));
        }
    }
    for family in Family::ALL {
        let axis = family.finite_axis();
        for &[i, j] in &matching.essential[family.idx()] {
            cost += metric.pow((a[i][axis] - b[j][axis]).abs());
        }
    }
    Ok(WassersteinMatching { matching, cost })
}
