//! Geometry of point clouds: exact predicates, circumspheres, minimum enclosing balls, and the
//! Delaunay triangulation in 2-D (the `spade` crate) and 3-D (our own Bowyer-Watson insertion).
//!
//! [`delaunay`] is the entry point the Delaunay-family filtrations share. It merges exact
//! duplicates (the lowest index stays), finds the dimension of the affine hull exactly, and
//! triangulates within it: a path along a line, a 2-D triangulation of planar points (also when
//! they sit in 3-D), or 3-D tetrahedra. Ties between co-circular or co-spherical points are
//! broken by a symbolic perturbation keyed on the rank of each distinct point in lexicographic
//! coordinate order, so the triangulation depends on the set of points alone: not on their
//! order in the input, the insertion order or the thread count.

mod delaunay2;
mod delaunay3;
pub(crate) mod exact;

use rayon::prelude::*;
use robust::{orient2d, orient3d, Coord, Coord3D};

use crate::error::{Error, Result};
use crate::interrupt::Interrupt;

/// A Delaunay triangulation of a point cloud, with vertex ids that are the input's row indices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delaunay {
    /// The dimension of the affine hull of the points: 0 (a single distinct point) to 3.
    pub dim: usize,
    /// The distinct points, each the lowest row index among its exact duplicates, ascending.
    pub vertices: Vec<u32>,
    /// The top simplices (dimension `dim`), flat with stride `dim + 1`, each tuple ascending,
    /// tuples in ascending lexicographic order. Empty when `dim == 0`.
    pub simplices: Vec<u32>,
}

/// `coords` (row-major, `n_points × n_dims`) as 3-D points, the third coordinate 0 in 2-D, with
/// −0.0 turned into 0.0 so that equal points compare equal bit for bit.
pub(crate) fn padded_points(coords: &[f64], n_dims: usize) -> Vec<[f64; 3]> {
    coords
        .par_chunks(n_dims)
        .map(|row| {
            let mut p = [0.0; 3];
            for (k, &x) in row.iter().enumerate() {
                p[k] = x + 0.0;
            }
            p
        })
        .collect()
}

/// Check the shape and finiteness of a point cloud for the Delaunay builders.
///
/// # Errors
/// [`Error::ShapeMismatch`] unless `n_dims` is 2 or 3, `n_points ≥ 1` and the lengths agree;
/// [`Error::NonFiniteValue`] for NaN or infinite coordinates.
pub fn validate_points(coords: &[f64], n_points: usize, n_dims: usize) -> Result<()> {
    if !(n_dims == 2 || n_dims == 3) || n_points == 0 || coords.len() != n_points * n_dims {
        return Err(Error::ShapeMismatch {
            name: "points",
            expected: "(n, 2) or (n, 3) with n >= 1".into(),
            found: format!("{} values for ({n_points}, {n_dims})", coords.len()),
        });
    }
    let count = coords.iter().filter(|x| !x.is_finite()).count();
    if count > 0 {
        let first_idx = coords.iter().position(|x| !x.is_finite()).unwrap_or(0);
        return Err(Error::NonFiniteValue {
            name: "points",
            count,
            first_idx,
        });
    }
    Ok(())
}

fn collinear(a: &[f64; 3], b: &[f64; 3], c: &[f64; 3]) -> bool {
    let o = |i: usize, j: usize| {
        orient2d(
            Coord { x: a[i], y: a[j] },
            Coord { x: b[i], y: b[j] },
            Coord { x: c[i], y: c[j] },
        )
    };
    o(0, 1) == 0.0 && o(0, 2) == 0.0 && o(1, 2) == 0.0
}

fn coord3(p: &[f64; 3]) -> Coord3D<f64> {
    Coord3D {
        x: p[0],
        y: p[1],
        z: p[2],
    }
}

/// The Delaunay triangulation of an (n, 2) or (n, 3) point cloud (row-major `coords`).
///
/// Exact duplicates are merged into their lowest index. Points on a line give the path through
/// them in their order along it; coplanar 3-D points give their Delaunay triangulation within the
/// plane; a single distinct point gives a single vertex. Predicates are exact, and ties are
/// broken symbolically by lexicographic rank (see the module docs), so no simplex is flat.
///
/// # Errors
/// [`Error::ShapeMismatch`] or [`Error::NonFiniteValue`] for invalid input,
/// [`Error::TooLarge`] if memory runs out, [`Error::Interrupted`] when cancelled.
///
/// # Examples
/// ```
/// use oineus_diff_core::geometry::delaunay;
/// use oineus_diff_core::Interrupt;
///
/// // The unit square: two triangles whichever diagonal the tie-break picks.
/// let pts = [0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0];
/// let dt = delaunay(&pts, 4, 2, &Interrupt::never()).unwrap();
/// assert_eq!((dt.dim, dt.simplices.len() / 3), (2, 2));
/// ```
pub fn delaunay(coords: &[f64], n_points: usize, n_dims: usize, interrupt: &Interrupt) -> Result<Delaunay> {
    validate_points(coords, n_points, n_dims)?;
    let points = padded_points(coords, n_dims);
    let mut order: Vec<u32> = (0..n_points as u32).collect();
    order.par_sort_unstable_by(|&i, &j| {
        let (p, q) = (&points[i as usize], &points[j as usize]);
        p[0].total_cmp(&q[0])
            .then(p[1].total_cmp(&q[1]))
            .then(p[2].total_cmp(&q[2]))
            .then(i.cmp(&j))
    });
    // ids[rank] is the input row of the rank-th distinct point in lexicographic order.
    let mut ids: Vec<u32> = Vec::with_capacity(n_points);
    for (k, &i) in order.iter().enumerate() {
        if k == 0 || points[i as usize] != points[order[k - 1] as usize] {
            ids.push(i);
        }
    }
    drop(order);
    interrupt.check()?;
    let ranked: Vec<[f64; 3]> = ids.iter().map(|&i| points[i as usize]).collect();
    let mut vertices = ids.clone();
    vertices.sort_unstable();
    let m = ranked.len();
    let finish = |dim: usize, simplices: Vec<u32>| -> Delaunay {
        let w = dim + 1;
        let mut tuples: Vec<u32> = simplices.iter().map(|&r| ids[r as usize]).collect();
        tuples.par_chunks_mut(w.max(1)).for_each(|t| t.sort_unstable());
        let mut rows: Vec<&[u32]> = tuples.chunks(w.max(1)).collect();
        rows.par_sort_unstable();
        let simplices = rows.concat();
        Delaunay {
            dim,
            vertices: vertices.clone(),
            simplices,
        }
    };
    if m == 1 {
        return Ok(finish(0, Vec::new()));
    }
    let Some(third) = (2..m).find(|&i| !collinear(&ranked[0], &ranked[1], &ranked[i])) else {
        // On a line, lexicographic order is the order along the line.
        let path: Vec<u32> = (0..m as u32 - 1).flat_map(|r| [r, r + 1]).collect();
        return Ok(finish(1, path));
    };
    if n_dims == 2 {
        let flat: Vec<[f64; 2]> = ranked.iter().map(|p| [p[0], p[1]]).collect();
        if let Some(triangles) = delaunay2::delaunay_2d(&flat) {
            return Ok(finish(2, triangles.into_iter().flatten().collect()));
        }
    } else if (third + 1..m).any(|i| {
        orient3d(
            coord3(&ranked[0]),
            coord3(&ranked[1]),
            coord3(&ranked[third]),
            coord3(&ranked[i]),
        ) != 0.0
    }) {
        let tets = delaunay3::delaunay_3d(&ranked, interrupt)?;
        return Ok(finish(3, tets.into_iter().flatten().collect()));
    }
    // Planar points: the tetrahedra of the points plus one apex off their plane are the cones
    // over the planar Delaunay triangles, since a sphere through three points of the plane and
    // the apex meets the plane in their circumcircle. The apex has the largest id, so it is the
    // least perturbed point and changes no tie among the others.
    let (a, b, c) = (&ranked[0], &ranked[1], &ranked[third]);
    let projection = |i: usize, j: usize| {
        orient2d(
            Coord { x: a[i], y: a[j] },
            Coord { x: b[i], y: b[j] },
            Coord { x: c[i], y: c[j] },
        )
    };
    let axis = if projection(0, 1) != 0.0 {
        2
    } else if projection(0, 2) != 0.0 {
        1
    } else {
        0
    };
    let mut apex = *a;
    apex[axis] = if a[axis] + 1.0 != a[axis] {
        a[axis] + 1.0
    } else {
        a[axis] * 2.0
    };
    let mut lifted = ranked.clone();
    lifted.push(apex);
    let tets = delaunay3::delaunay_3d(&lifted, interrupt)?;
    let apex_id = m as u32;
    let triangles: Vec<u32> = tets
        .into_iter()
        .flat_map(|t| {
            debug_assert!(t.contains(&apex_id), "every tetrahedron is a cone from the apex");
            let mut tri = [0u32; 3];
            let mut k = 0;
            for v in t {
                if v != apex_id && k < 3 {
                    tri[k] = v;
                    k += 1;
                }
            }
            tri
        })
        .collect();
    Ok(finish(2, triangles))
}

/// Squared length of q − p.
pub(crate) fn squared_distance(p: &[f64; 3], q: &[f64; 3]) -> f64 {
    let mut s = 0.0;
    for k in 0..3 {
        let t = q[k] - p[k];
        s += t * t;
    }
    s
}

fn sub(a: &[f64; 3], b: &[f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

fn dot(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn cross(a: &[f64; 3], b: &[f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// Squared circumradius of an edge, ‖u‖²/4.
pub(crate) fn edge_radius2(p: &[f64; 3], q: &[f64; 3]) -> f64 {
    squared_distance(p, q) / 4.0
}

/// Squared circumradius of a triangle, ‖u‖²‖v‖²‖u − v‖² / (4‖u × v‖²) (‖u × v‖² is the
/// ‖u‖²‖v‖² − (u·v)² of the closed form, computed without its cancellation).
pub(crate) fn triangle_radius2(p: &[f64; 3], q: &[f64; 3], r: &[f64; 3]) -> f64 {
    let (u, v) = (sub(q, p), sub(r, p));
    let n = cross(&u, &v);
    let uv = sub(&u, &v);
    dot(&u, &u) * dot(&v, &v) * dot(&uv, &uv) / (4.0 * dot(&n, &n))
}

/// The circumcentre of a triangle.
pub(crate) fn triangle_circumcenter(p: &[f64; 3], q: &[f64; 3], r: &[f64; 3]) -> [f64; 3] {
    let (u, v) = (sub(q, p), sub(r, p));
    let n = cross(&u, &v);
    let (uu, vv, nn) = (dot(&u, &u), dot(&v, &v), dot(&n, &n));
    let (vn, nu) = (cross(&v, &n), cross(&n, &u));
    let mut c = [0.0; 3];
    for k in 0..3 {
        c[k] = p[k] + (uu * vn[k] + vv * nu[k]) / (2.0 * nn);
    }
    c
}

/// Squared circumradius of a tetrahedron,
/// ‖‖u‖²(v×w) + ‖v‖²(w×u) + ‖w‖²(u×v)‖² / (4 (u·(v×w))²).
pub(crate) fn tetrahedron_radius2(p: &[f64; 3], q: &[f64; 3], r: &[f64; 3], s: &[f64; 3]) -> f64 {
    let (u, v, w) = (sub(q, p), sub(r, p), sub(s, p));
    let (vw, wu, uv) = (cross(&v, &w), cross(&w, &u), cross(&u, &v));
    let (uu, vv, ww) = (dot(&u, &u), dot(&v, &v), dot(&w, &w));
    let mut num = [0.0; 3];
    for k in 0..3 {
        num[k] = uu * vw[k] + vv * wu[k] + ww * uv[k];
    }
    let vol = dot(&u, &vw);
    dot(&num, &num) / (4.0 * vol * vol)
}

#[cfg(test)]
mod tests;
