//! Exact checks of the Delaunay property on random, grid, co-spherical and degenerate inputs.

use std::collections::HashMap;

use proptest::prelude::*;
use robust::{incircle, insphere, orient2d, orient3d, Coord, Coord3D};

use super::*;

fn c3(p: &[f64; 3]) -> Coord3D<f64> {
    Coord3D {
        x: p[0],
        y: p[1],
        z: p[2],
    }
}

fn c2(p: &[f64; 3]) -> Coord<f64> {
    Coord { x: p[0], y: p[1] }
}

/// A small deterministic generator (tests must not depend on external randomness).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn random_points(n: usize, d: usize, seed: u64) -> Vec<f64> {
    let mut rng = Lcg(seed);
    (0..n * d).map(|_| rng.next()).collect()
}

fn grid_points(side: usize, d: usize) -> Vec<f64> {
    let n = side.pow(d as u32);
    (0..n)
        .flat_map(|i| (0..d).map(move |k| ((i / side.pow(k as u32)) % side) as f64))
        .collect()
}

/// Every tetrahedron is non-flat, every face is shared by at most two tetrahedra, every interior
/// face is locally Delaunay (exact in-sphere), and every hull face has all points on one side:
/// together, the Delaunay triangulation of the points.
fn check_3d(coords: &[f64], dt: &Delaunay) {
    let pts = padded_points(coords, 3);
    let tets: Vec<[u32; 4]> = dt.simplices.chunks(4).map(|t| [t[0], t[1], t[2], t[3]]).collect();
    let mut faces: HashMap<[u32; 3], Vec<(usize, u32)>> = HashMap::new();
    for (i, t) in tets.iter().enumerate() {
        let o = orient3d(
            c3(&pts[t[0] as usize]),
            c3(&pts[t[1] as usize]),
            c3(&pts[t[2] as usize]),
            c3(&pts[t[3] as usize]),
        );
        assert!(o != 0.0, "flat tetrahedron {t:?}");
        for k in 0..4 {
            let mut f = [0u32; 3];
            let mut m = 0;
            for (j, &v) in t.iter().enumerate() {
                if j != k {
                    f[m] = v;
                    m += 1;
                }
            }
            faces.entry(f).or_default().push((i, t[k]));
        }
    }
    let mut used = vec![false; pts.len()];
    for t in &tets {
        for &v in t {
            used[v as usize] = true;
        }
    }
    for &v in &dt.vertices {
        assert!(used[v as usize], "vertex {v} is in no tetrahedron");
    }
    let oriented = |t: &[u32; 4]| {
        let mut t = *t;
        let o = orient3d(
            c3(&pts[t[0] as usize]),
            c3(&pts[t[1] as usize]),
            c3(&pts[t[2] as usize]),
            c3(&pts[t[3] as usize]),
        );
        if o < 0.0 {
            t.swap(0, 1);
        }
        t
    };
    for (f, cofaces) in &faces {
        assert!(cofaces.len() <= 2, "face {f:?} in {} tetrahedra", cofaces.len());
        if cofaces.len() == 2 {
            let t = oriented(&tets[cofaces[0].0]);
            let other = cofaces[1].1;
            let s = insphere(
                c3(&pts[t[0] as usize]),
                c3(&pts[t[1] as usize]),
                c3(&pts[t[2] as usize]),
                c3(&pts[t[3] as usize]),
                c3(&pts[other as usize]),
            );
            assert!(s <= 0.0, "face {f:?} is not locally Delaunay");
        } else {
            let apex = cofaces[0].1;
            let side = |p: &[f64; 3]| {
                orient3d(
                    c3(&pts[f[0] as usize]),
                    c3(&pts[f[1] as usize]),
                    c3(&pts[f[2] as usize]),
                    c3(p),
                )
                .signum()
            };
            let inner = side(&pts[apex as usize]);
            for &v in &dt.vertices {
                let s = orient3d(
                    c3(&pts[f[0] as usize]),
                    c3(&pts[f[1] as usize]),
                    c3(&pts[f[2] as usize]),
                    c3(&pts[v as usize]),
                );
                assert!(
                    s == 0.0 || s.signum() == inner,
                    "hull face {f:?} has points on both sides"
                );
            }
        }
    }
}

/// The 2-D analogue of [`check_3d`], with exact orientation and in-circle tests.
fn check_2d(coords: &[f64], dt: &Delaunay) {
    let pts = padded_points(coords, 2);
    let mut edges: HashMap<[u32; 2], Vec<([u32; 3], u32)>> = HashMap::new();
    for t in dt.simplices.chunks(3) {
        let t = [t[0], t[1], t[2]];
        let o = orient2d(
            c2(&pts[t[0] as usize]),
            c2(&pts[t[1] as usize]),
            c2(&pts[t[2] as usize]),
        );
        assert!(o != 0.0, "flat triangle {t:?}");
        for k in 0..3 {
            let e = match k {
                0 => [t[1], t[2]],
                1 => [t[0], t[2]],
                _ => [t[0], t[1]],
            };
            edges.entry(e).or_default().push((t, t[k]));
        }
    }
    for (e, cofaces) in &edges {
        assert!(cofaces.len() <= 2, "edge {e:?} in {} triangles", cofaces.len());
        if cofaces.len() == 2 {
            let mut t = cofaces[0].0;
            let (a, b, c) = (&pts[t[0] as usize], &pts[t[1] as usize], &pts[t[2] as usize]);
            if orient2d(c2(a), c2(b), c2(c)) < 0.0 {
                t.swap(0, 1);
            }
            let s = incircle(
                c2(&pts[t[0] as usize]),
                c2(&pts[t[1] as usize]),
                c2(&pts[t[2] as usize]),
                c2(&pts[cofaces[1].1 as usize]),
            );
            assert!(s <= 0.0, "edge {e:?} is not locally Delaunay");
        } else {
            let inner = orient2d(
                c2(&pts[e[0] as usize]),
                c2(&pts[e[1] as usize]),
                c2(&pts[cofaces[0].1 as usize]),
            )
            .signum();
            for &v in &dt.vertices {
                let s = orient2d(c2(&pts[e[0] as usize]), c2(&pts[e[1] as usize]), c2(&pts[v as usize]));
                assert!(
                    s == 0.0 || s.signum() == inner,
                    "hull edge {e:?} has points on both sides"
                );
            }
        }
    }
}

fn triangulate(coords: &[f64], d: usize) -> Delaunay {
    delaunay(coords, coords.len() / d, d, &Interrupt::never()).unwrap()
}

#[test]
fn random_points_in_3d_are_delaunay() {
    for (n, seed) in [(5, 1), (50, 2), (1000, 3), (10_000, 4)] {
        let pts = random_points(n, 3, seed);
        let dt = triangulate(&pts, 3);
        assert_eq!(dt.dim, 3);
        check_3d(&pts, &dt);
    }
}

#[test]
fn random_points_in_2d_are_delaunay() {
    for (n, seed) in [(4, 1), (100, 2), (10_000, 3)] {
        let pts = random_points(n, 2, seed);
        let dt = triangulate(&pts, 2);
        assert_eq!(dt.dim, 2);
        check_2d(&pts, &dt);
    }
}

#[test]
fn grid_points_are_delaunay() {
    for side in [2, 3, 5, 22] {
        let pts = grid_points(side, 3);
        let dt = triangulate(&pts, 3);
        check_3d(&pts, &dt);
        // The triangulation covers the cube exactly: its six-fold volumes (integers) add up.
        let six_volume: f64 = dt
            .simplices
            .chunks(4)
            .map(|t| {
                let p = |k: usize| {
                    let i = t[k] as usize;
                    [pts[3 * i], pts[3 * i + 1], pts[3 * i + 2]]
                };
                orient3d(c3(&p(0)), c3(&p(1)), c3(&p(2)), c3(&p(3))).abs()
            })
            .sum();
        assert_eq!(six_volume, 6.0 * ((side - 1) as f64).powi(3));
    }
    for side in [2, 3, 10, 100] {
        let pts = grid_points(side, 2);
        let dt = triangulate(&pts, 2);
        check_2d(&pts, &dt);
        assert_eq!(dt.simplices.len() / 3, 2 * (side - 1) * (side - 1));
    }
}

#[test]
fn cospherical_points_are_delaunay() {
    // Integer points with x² + y² + z² = 325 (many, all exactly co-spherical), plus the centre.
    let mut pts = Vec::new();
    for x in -18i32..=18 {
        for y in -18i32..=18 {
            for z in -18i32..=18 {
                if x * x + y * y + z * z == 325 {
                    pts.extend([x as f64, y as f64, z as f64]);
                }
            }
        }
    }
    let dt = triangulate(&pts, 3);
    check_3d(&pts, &dt);
    pts.extend([0.0, 0.0, 0.0]);
    check_3d(&pts, &triangulate(&pts, 3));
    // Co-circular 2-D points: x² + y² = 5525 has 48 integer solutions.
    let mut circle = Vec::new();
    for x in -75i32..=75 {
        for y in -75i32..=75 {
            if x * x + y * y == 5525 {
                circle.extend([x as f64, y as f64]);
            }
        }
    }
    check_2d(&circle, &triangulate(&circle, 2));
}

#[test]
fn degenerate_inputs_have_lower_dimensional_complexes() {
    // A single point, repeated.
    let dt = triangulate(&[1.0, 2.0, 3.0, 1.0, 2.0, 3.0], 3);
    assert_eq!((dt.dim, dt.vertices.clone(), dt.simplices.len()), (0, vec![0], 0));
    // Collinear in 3-D, given out of order: the path follows the line.
    let dt = triangulate(&[2.0, 2.0, 2.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 3.0, 3.0, 3.0], 3);
    assert_eq!(dt.dim, 1);
    assert_eq!(dt.simplices, vec![0, 2, 0, 3, 1, 2]);
    // Coplanar 3-D points (a tilted plane): the planar Delaunay triangulation.
    let mut rng = Lcg(9);
    let mut pts = Vec::new();
    for _ in 0..300 {
        let (u, v) = ((rng.next() * 64.0).round(), (rng.next() * 64.0).round());
        pts.extend([u, v, u + 2.0 * v]);
    }
    let dt = triangulate(&pts, 3);
    assert_eq!(dt.dim, 2);
    // The same triangulation as its (x, y) projection: the plane z = x + 2y distorts circles,
    // so compare through the exact in-plane check instead: lift and verify local Delaunay.
    let mut tets = Vec::new();
    let apex_free: Vec<f64> = pts.clone();
    for t in dt.simplices.chunks(3) {
        tets.push([t[0], t[1], t[2]]);
    }
    assert!(!tets.is_empty());
    check_coplanar(&apex_free, &dt);
    // Fewer than d + 1 points.
    let dt = triangulate(&[0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0], 3);
    assert_eq!((dt.dim, dt.simplices.clone()), (2, vec![0, 1, 2]));
}

/// Coplanar 3-D points: every interior edge is locally Delaunay within the plane, tested with
/// the exact in-sphere predicate through an apex off the plane.
fn check_coplanar(coords: &[f64], dt: &Delaunay) {
    let pts = padded_points(coords, 3);
    let apex = [0.0, 0.0, 1e3];
    let mut edges: HashMap<[u32; 2], Vec<([u32; 3], u32)>> = HashMap::new();
    for t in dt.simplices.chunks(3) {
        let t = [t[0], t[1], t[2]];
        for k in 0..3 {
            let e = match k {
                0 => [t[1], t[2]],
                1 => [t[0], t[2]],
                _ => [t[0], t[1]],
            };
            edges.entry(e).or_default().push((t, t[k]));
        }
    }
    for cofaces in edges.values() {
        assert!(cofaces.len() <= 2);
        if cofaces.len() == 2 {
            let t = cofaces[0].0;
            let (a, b, c) = (&pts[t[0] as usize], &pts[t[1] as usize], &pts[t[2] as usize]);
            let o = orient3d(c3(a), c3(b), c3(c), c3(&apex));
            assert!(o != 0.0, "flat triangle");
            let s = insphere(c3(a), c3(b), c3(c), c3(&apex), c3(&pts[cofaces[1].1 as usize])) * o.signum();
            assert!(s <= 0.0, "edge not locally Delaunay in its plane");
        }
    }
}

#[test]
fn triangulation_does_not_depend_on_input_order() {
    for (pts, d) in [
        (grid_points(4, 3), 3),
        (random_points(300, 3, 5), 3),
        (grid_points(7, 2), 2),
    ] {
        let n = pts.len() / d;
        let dt = triangulate(&pts, d);
        // Reverse the rows, relabel back, compare.
        let reversed: Vec<f64> = (0..n).rev().flat_map(|i| pts[i * d..(i + 1) * d].to_vec()).collect();
        let dt_rev = triangulate(&reversed, d);
        let w = dt.dim + 1;
        let mut relabelled: Vec<Vec<u32>> = dt_rev
            .simplices
            .chunks(w)
            .map(|t| {
                let mut t: Vec<u32> = t.iter().map(|&v| (n - 1) as u32 - v).collect();
                t.sort_unstable();
                t
            })
            .collect();
        relabelled.sort();
        let original: Vec<Vec<u32>> = dt.simplices.chunks(w).map(|t| t.to_vec()).collect();
        assert_eq!(original, relabelled);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn small_integer_clouds_never_fail(coords in prop::collection::vec(-3i32..=3, 3..60)) {
        let d = 3;
        let n = coords.len() / d;
        let pts: Vec<f64> = coords[..n * d].iter().map(|&x| x as f64).collect();
        let dt = triangulate(&pts, d);
        if dt.dim == 3 {
            check_3d(&pts, &dt);
        }
    }

    #[test]
    fn small_integer_clouds_in_2d_never_fail(coords in prop::collection::vec(-3i32..=3, 2..60)) {
        let n = coords.len() / 2;
        let pts: Vec<f64> = coords[..n * 2].iter().map(|&x| x as f64).collect();
        let dt = triangulate(&pts, 2);
        if dt.dim == 2 {
            check_2d(&pts, &dt);
        }
    }
}
