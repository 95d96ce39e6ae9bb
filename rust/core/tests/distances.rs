//! Distances through the public API on the SPEC §10.6 test vectors; every expected number is
//! derived in the comment above it.

use oineus_diff_core::distance::{bottleneck_matching, wasserstein_matching, Family, Point};
use oineus_diff_core::{Error, Interrupt};

const INF: f64 = f64::INFINITY;
const A: [Point; 3] = [[0.0, 1.0], [0.5, 2.0], [0.3, 0.7]];
const B: [Point; 2] = [[0.2, 1.2], [0.6, 2.1]];

fn family(f: Family) -> usize {
    Family::ALL.iter().position(|&g| g == f).unwrap()
}

#[test]
fn wasserstein_matching_of_the_small_pair() {
    // a0 ↔ b0 and a1 ↔ b1 at L∞ distance 0.2 and 0.1; a2 = (0.3, 0.7) goes to the diagonal at
    // 0.2: cost 0.04 + 0.01 + 0.04 = 0.09 for q = 2.
    let m = wasserstein_matching(&A, &B, 2.0, 0.01, INF, false, &Interrupt::never()).unwrap();
    assert_eq!(m.matching.finite_to_finite, vec![[0, 0], [1, 1]]);
    assert_eq!(m.matching.a_to_diagonal, vec![2]);
    assert!(m.matching.b_to_diagonal.is_empty());
    assert!((m.cost - 0.09).abs() < 1e-12);
}

#[test]
fn bottleneck_of_the_small_pair_is_exact_with_both_ties() {
    // Two edges of length exactly 0.2: a0 ↔ b0 (|0 − 0.2|) and a2 to its projection (0.5, 0.5).
    let m = bottleneck_matching(&A, &B, 0.0, false, &Interrupt::never()).unwrap();
    assert_eq!(m.distance, 0.2);
    let mut ends: Vec<(Option<usize>, Option<usize>)> = m.longest_finite.iter().map(|e| (e.idx_a, e.idx_b)).collect();
    ends.sort();
    assert_eq!(ends, vec![(Some(0), Some(0)), (Some(2), None)]);
}

#[test]
fn four_family_case() {
    let a: Vec<Point> = vec![
        [INF, 75.0],
        [0.5, INF],
        [5000.0, 5100.0],
        [-INF, 900.0],
        [8.0, -INF],
        [0.9, INF],
        [INF, 60.0],
        [-INF, 600.0],
        [8000.0, 8100.0],
        [0.1, INF],
        [9.5, -INF],
        [INF, 90.0],
        [-INF, 750.0],
        [6.0, -INF],
    ];
    let b: Vec<Point> = vec![
        [10.0, -INF],
        [0.2, INF],
        [INF, 80.0],
        [-INF, 550.0],
        [5005.0, 5105.0],
        [INF, 55.0],
        [5.5, -INF],
        [0.6, INF],
        [-INF, 950.0],
        [8005.0, 8105.0],
        [0.8, INF],
        [-INF, 800.0],
        [INF, 95.0],
        [7.5, -INF],
    ];
    // By family, squared rank gaps: 0.01 + 0.01 + 0.01, 0.25 + 0 + 0.25 (sorted 6, 8, 9.5 against
    // 5.5, 7.5, 10), 25 + 25 + 25, 2500 + 2500 + 2500; finite 25 + 25.
    let m = wasserstein_matching(&a, &b, 2.0, 0.001, INF, true, &Interrupt::never()).unwrap();
    assert!((m.cost - 7625.78).abs() <= 1e-9 * 7625.78);
    assert_eq!(m.matching.finite_to_finite, vec![[2, 4], [8, 9]]);
    assert_eq!(
        m.matching.essential[family(Family::InfDeath)],
        vec![[9, 1], [1, 7], [5, 10]]
    );
    assert_eq!(
        m.matching.essential[family(Family::NegInfDeath)],
        vec![[13, 6], [4, 13], [10, 0]]
    );
    assert_eq!(
        m.matching.essential[family(Family::NegInfBirth)],
        vec![[7, 3], [12, 11], [3, 8]]
    );
}

#[test]
fn essential_family_mismatch_is_an_error() {
    let err = wasserstein_matching(&[[0.0, INF]], &[], 1.0, 0.01, INF, true, &Interrupt::never()).unwrap_err();
    assert!(matches!(err, Error::InvalidParameter { name: "dgm_2", .. }));
    // Ignored essential points are simply dropped.
    let m = bottleneck_matching(&[[0.0, INF]], &[], 0.0, false, &Interrupt::never()).unwrap();
    assert_eq!(m.distance, 0.0);
}

#[test]
fn nan_coordinates_and_bad_parameters_are_errors() {
    let nan = wasserstein_matching(&[[f64::NAN, 1.0]], &B, 1.0, 0.01, INF, false, &Interrupt::never());
    assert!(matches!(
        nan,
        Err(Error::NonFiniteValue {
            name: "dgm_1",
            count: 1,
            ..
        })
    ));
    for (q, delta, p) in [(0.5, 0.01, INF), (1.0, 0.0, INF), (1.0, 0.01, 0.5)] {
        assert!(wasserstein_matching(&A, &B, q, delta, p, false, &Interrupt::never()).is_err());
    }
    assert!(bottleneck_matching(&A, &B, -1.0, false, &Interrupt::never()).is_err());
}

#[test]
fn coordinates_whose_distances_overflow_are_an_error() {
    let far: [Point; 2] = [[-1e308, 0.0], [0.0, 1e308]];
    let w = wasserstein_matching(&far, &B, 1.0, 0.01, INF, false, &Interrupt::never());
    assert!(matches!(w, Err(Error::InvalidParameter { name: "dgm_1", .. })));
    let b = bottleneck_matching(&far, &B, 0.0, false, &Interrupt::never());
    assert!(matches!(b, Err(Error::InvalidParameter { name: "dgm_1", .. })));
    // Large but representable costs are fine.
    let big: [Point; 1] = [[0.0, 1e100]];
    let m = wasserstein_matching(&big, &[], 3.0, 0.01, INF, false, &Interrupt::never()).unwrap();
    assert_eq!(m.cost, 5e99f64.powf(3.0));
}
