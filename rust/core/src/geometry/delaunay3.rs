//! 3-D Delaunay triangulation by incremental Bowyer-Watson insertion on exact predicates.
//!
//! Points are inserted in a biased randomised insertion order (BRIO: rounds of doubling size,
//! each sorted along a Morton curve), located by a visibility walk from the last tetrahedron
//! created, and inserted by deleting their conflict region and starring its boundary from the
//! new point. The hull is handled exactly with an infinite vertex: a tetrahedron with the
//! infinite vertex ("ghost") is in conflict with a point strictly beyond its hull facet, or in
//! the facet's plane and inside its circumcircle.
//!
//! Orientation and in-sphere tests are Shewchuk's exact adaptive predicates (the `robust`
//! crate). Co-spherical ties are broken by a symbolic perturbation of the lifting map keyed on
//! the point id (a smaller id is perturbed more), in the spirit of Edelsbrunner and Mücke,
//! "Simulation of simplicity" (ACM TOG 9, 1990, doi:10.1145/77635.77639) and of Devillers and
//! Teillaud, "Perturbations for Delaunay and weighted Delaunay 3D triangulations" (CGTA 44,
//! 2011, doi:10.1016/j.comgeo.2010.06.003). The triangulation is the Delaunay triangulation of
//! the perturbed points: it depends on the points and their ids, never on the insertion order.
//!
//! References: Bowyer, "Computing Dirichlet tessellations" (Comput. J. 24, 1981); Watson,
//! "Computing the n-dimensional Delaunay tessellation" (Comput. J. 24, 1981); Amenta, Choi and
//! Rote, "Incremental constructions con BRIO" (SoCG 2003, doi:10.1145/777792.777824).

use std::collections::HashMap;

use robust::{insphere, orient3d, Coord3D};

use crate::error::{try_reserve, Result};
use crate::interrupt::Interrupt;

/// The infinite vertex.
const INF: u32 = u32::MAX;
/// Marks a deleted tetrahedron slot.
const DEAD: u32 = u32::MAX - 1;

fn coord(p: &[f64; 3]) -> Coord3D<f64> {
    Coord3D {
        x: p[0],
        y: p[1],
        z: p[2],
    }
}

/// The sign of `x` as -1, 0 or 1.
fn sign(x: f64) -> i32 {
    if x > 0.0 {
        1
    } else if x < 0.0 {
        -1
    } else {
        0
    }
}

struct Triangulation<'a> {
    points: &'a [[f64; 3]],
    /// Vertex ids per tetrahedron; positively oriented (`orient3d > 0`), where for a ghost the
    /// infinite vertex stands for any point strictly beyond its hull facet.
    verts: Vec<[u32; 4]>,
    /// `nbrs[t][k]` is the tetrahedron across the face opposite vertex k.
    nbrs: Vec<[u32; 4]>,
    /// Per tetrahedron, the last insertion that tested it: 2·i in conflict, 2·i + 1 not.
    stamp: Vec<u64>,
    free: Vec<u32>,
    rng: u64,
}

impl<'a> Triangulation<'a> {
    fn point(&self, v: u32) -> &[f64; 3] {
        &self.points[v as usize]
    }

    fn is_ghost(&self, t: u32) -> bool {
        self.verts[t as usize].contains(&INF)
    }

    /// orient3d of tetrahedron `t` (finite) with vertex k replaced by point `p`.
    fn orient_replaced(&self, t: u32, k: usize, p: u32) -> i32 {
        let mut v = self.verts[t as usize];
        v[k] = p;
        sign(orient3d(
            coord(self.point(v[0])),
            coord(self.point(v[1])),
            coord(self.point(v[2])),
            coord(self.point(v[3])),
        ))
    }

    fn next_random(&mut self) -> u64 {
        // xorshift64*: reproducible, only steers the walk, never the result.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Whether `p` conflicts with finite tetrahedron `t` under the perturbed in-sphere test.
    fn conflicts_finite(&self, t: u32, p: u32) -> bool {
        let v = self.verts[t as usize];
        let s = insphere(
            coord(self.point(v[0])),
            coord(self.point(v[1])),
            coord(self.point(v[2])),
            coord(self.point(v[3])),
            coord(self.point(p)),
        );
        if s != 0.0 {
            return s > 0.0;
        }
        // Co-spherical: the most perturbed of the five points decides. Raising the lift of p
        // moves it outside; raising a vertex's lift moves p inside iff p's barycentric
        // coordinate for that vertex is positive.
        let mut ids = [v[0], v[1], v[2], v[3], p];
        ids.sort_unstable();
        for id in ids {
            if id == p {
                return false;
            }
            let k = v.iter().position(|&x| x == id).expect("id is a vertex of t");
            match self.orient_replaced(t, k, p) {
                0 => continue,
                s => return s > 0,
            }
        }
        false
    }

    /// Whether `p`, in the plane of the finite triangle `tri` (oriented arbitrarily), lies in its
    /// circumcircle under the same perturbation.
    fn conflicts_coplanar(&self, tri: [u32; 3], p: u32) -> bool {
        let (a, b, c) = (self.point(tri[0]), self.point(tri[1]), self.point(tri[2]));
        // A point off the plane: shift a along an axis the plane's normal is not orthogonal to.
        let projections = [orient2(a, b, c, 0, 1), orient2(a, b, c, 0, 2), orient2(a, b, c, 1, 2)];
        let axis = if projections[0] != 0.0 {
            2
        } else if projections[1] != 0.0 {
            1
        } else {
            0
        };
        let mut q = *a;
        q[axis] = if a[axis] + 1.0 != a[axis] {
            a[axis] + 1.0
        } else {
            a[axis] * 2.0
        };
        let so = sign(orient3d(coord(a), coord(b), coord(c), coord(&q)));
        if so == 0 {
            // Unreachable for a non-degenerate triangle; stay on the safe side.
            return false;
        }
        let s = sign(insphere(coord(a), coord(b), coord(c), coord(&q), coord(self.point(p)))) * so;
        if s != 0 {
            return s > 0;
        }
        let mut ids = [tri[0], tri[1], tri[2], p];
        ids.sort_unstable();
        for id in ids {
            if id == p {
                return false;
            }
            let k = tri.iter().position(|&x| x == id).expect("id is a vertex of tri");
            let mut r = [a, b, c];
            r[k] = self.point(p);
            match sign(orient3d(coord(r[0]), coord(r[1]), coord(r[2]), coord(&q))) * so {
                0 => continue,
                s => return s > 0,
            }
        }
        false
    }

    fn conflicts(&self, t: u32, p: u32) -> bool {
        let v = self.verts[t as usize];
        match v.iter().position(|&x| x == INF) {
            None => self.conflicts_finite(t, p),
            Some(k) => match self.orient_replaced(t, k, p) {
                1 => true,
                -1 => false,
                _ => {
                    let mut tri = [0u32; 3];
                    let mut j = 0;
                    for (i, &x) in v.iter().enumerate() {
                        if i != k {
                            tri[j] = x;
                            j += 1;
                        }
                    }
                    self.conflicts_coplanar(tri, p)
                }
            },
        }
    }

    /// A tetrahedron in conflict with `p`, found by a stochastic visibility walk from `start`.
    fn locate(&mut self, start: u32, p: u32) -> u32 {
        let mut t = start;
        if self.is_ghost(t) {
            let k = self.verts[t as usize].iter().position(|&x| x == INF).expect("ghost");
            t = self.nbrs[t as usize][k];
        }
        let limit = 4 * self.verts.len() + 64;
        for _ in 0..limit {
            if self.is_ghost(t) {
                return t;
            }
            let offset = (self.next_random() % 4) as usize;
            let mut moved = false;
            for j in 0..4 {
                let k = (offset + j) % 4;
                if self.orient_replaced(t, k, p) < 0 {
                    t = self.nbrs[t as usize][k];
                    moved = true;
                    break;
                }
            }
            if !moved {
                return t;
            }
        }
        // The walk terminates on Delaunay triangulations; this scan only guards against a cycle.
        (0..self.verts.len() as u32)
            .find(|&t| self.verts[t as usize][0] != DEAD && self.conflicts(t, p))
            .expect("some tetrahedron conflicts with a new point")
    }

    fn new_tet(&mut self, verts: [u32; 4]) -> Result<u32> {
        if let Some(t) = self.free.pop() {
            self.verts[t as usize] = verts;
            self.nbrs[t as usize] = [INF; 4];
            return Ok(t);
        }
        try_reserve(&mut self.verts, 1, "delaunay tetrahedra")?;
        try_reserve(&mut self.nbrs, 1, "delaunay tetrahedra")?;
        try_reserve(&mut self.stamp, 1, "delaunay tetrahedra")?;
        self.verts.push(verts);
        self.nbrs.push([INF; 4]);
        self.stamp.push(0);
        Ok((self.verts.len() - 1) as u32)
    }
}

/// orient2d of the projections of a, b, c onto axes (i, j).
fn orient2(a: &[f64; 3], b: &[f64; 3], c: &[f64; 3], i: usize, j: usize) -> f64 {
    robust::orient2d(
        robust::Coord { x: a[i], y: a[j] },
        robust::Coord { x: b[i], y: b[j] },
        robust::Coord { x: c[i], y: c[j] },
    )
}

/// Interleave the low 21 bits of x, y, z (Morton order).
fn morton(x: u64, y: u64, z: u64) -> u64 {
    fn spread(mut v: u64) -> u64 {
        v &= 0x1f_ffff;
        v = (v | v << 32) & 0x1f_0000_0000_ffff;
        v = (v | v << 16) & 0x1f_0000_ff00_00ff;
        v = (v | v << 8) & 0x100f_00f0_0f00_f00f;
        v = (v | v << 4) & 0x10c3_0c30_c30c_30c3;
        v = (v | v << 2) & 0x1249_2492_4924_9249;
        v
    }
    spread(x) | spread(y) << 1 | spread(z) << 2
}

/// The BRIO insertion order of `points`: a fixed pseudo-random split into rounds of doubling
/// size, each round sorted along a Morton curve.
fn insertion_order(points: &[[f64; 3]]) -> Vec<u32> {
    let n = points.len();
    let mut lo = [f64::INFINITY; 3];
    let mut hi = [f64::NEG_INFINITY; 3];
    for p in points {
        for k in 0..3 {
            lo[k] = lo[k].min(p[k]);
            hi[k] = hi[k].max(p[k]);
        }
    }
    let scale: Vec<f64> = (0..3)
        .map(|k| {
            let ext = hi[k] - lo[k];
            if ext > 0.0 && ext.is_finite() {
                ((1u64 << 21) - 1) as f64 / ext
            } else {
                0.0
            }
        })
        .collect();
    let code = |p: &[f64; 3]| {
        let q = |k: usize| (((p[k] - lo[k]) * scale[k]).max(0.0) as u64).min((1 << 21) - 1);
        morton(q(0), q(1), q(2))
    };
    // Fisher-Yates with a fixed seed.
    let mut order: Vec<u32> = (0..n as u32).collect();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for i in (1..n).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        order.swap(i, (state % (i as u64 + 1)) as usize);
    }
    let mut end = n;
    let mut bounds = Vec::new();
    while end > 64 {
        bounds.push(end);
        end /= 2;
    }
    bounds.push(end);
    bounds.reverse();
    let mut start = 0;
    for &end in &bounds {
        order[start..end].sort_by_cached_key(|&i| code(&points[i as usize]));
        start = end;
    }
    order
}

/// The Delaunay tetrahedra of `points`, which must be distinct and not coplanar, as vertex-id
/// quadruples (ids are positions in `points`, ascending within each quadruple). Co-spherical
/// ties are resolved by the symbolic perturbation keyed on the id (see the module docs).
///
/// # Errors
/// [`crate::Error::TooLarge`] if the tetrahedra cannot be allocated,
/// [`crate::Error::Interrupted`] when cancelled.
///
/// # Panics
/// If the points are coplanar (an invariant the callers establish).
pub(crate) fn delaunay_3d(points: &[[f64; 3]], interrupt: &Interrupt) -> Result<Vec<[u32; 4]>> {
    let mut order = insertion_order(points);
    // Bring four affinely independent points to the front.
    let pos = |order: &[u32], pred: &dyn Fn(u32) -> bool| order.iter().position(|&i| pred(i));
    let p0 = order[0];
    let i2 = pos(&order, &|i| {
        let (a, b, c) = (&points[p0 as usize], &points[order[1] as usize], &points[i as usize]);
        orient2(a, b, c, 0, 1) != 0.0 || orient2(a, b, c, 0, 2) != 0.0 || orient2(a, b, c, 1, 2) != 0.0
    })
    .expect("the points are not collinear");
    order.swap(2, i2);
    let (a, b, c) = (order[0], order[1], order[2]);
    let i3 = pos(&order, &|i| {
        orient3d(
            coord(&points[a as usize]),
            coord(&points[b as usize]),
            coord(&points[c as usize]),
            coord(&points[i as usize]),
        ) != 0.0
    })
    .expect("the points are not coplanar");
    order.swap(3, i3);

    let mut tri = Triangulation {
        points,
        verts: Vec::new(),
        nbrs: Vec::new(),
        stamp: Vec::new(),
        free: Vec::new(),
        rng: 0x2545_f491_4f6c_dd1d,
    };
    let mut first = [order[0], order[1], order[2], order[3]];
    if orient3d(
        coord(&points[first[0] as usize]),
        coord(&points[first[1] as usize]),
        coord(&points[first[2] as usize]),
        coord(&points[first[3] as usize]),
    ) < 0.0
    {
        first.swap(0, 1);
    }
    let mut initial = vec![first];
    for k in 0..4 {
        // Replacing a vertex by a point beyond the opposite face flips the orientation; a swap
        // of two other vertices restores it.
        let mut g = first;
        g[k] = INF;
        let (i, j) = match k {
            0 => (1, 2),
            1 => (0, 2),
            _ => (0, 1),
        };
        g.swap(i, j);
        initial.push(g);
    }
    let mut faces: HashMap<[u32; 3], (u32, usize)> = HashMap::new();
    for v in initial {
        let t = tri.new_tet(v)?;
        link_faces(&mut tri, t, &mut faces);
    }
    debug_assert!(faces.is_empty(), "the initial tetrahedron and its ghosts are closed");

    let mut hint = 0u32;
    let mut cavity: Vec<u32> = Vec::new();
    // (vertices of the cavity tetrahedron, face k, tetrahedron outside, slot of the face there).
    let mut boundary: Vec<([u32; 4], usize, u32, usize)> = Vec::new();
    let mut open: HashMap<(u32, u32), (u32, usize)> = HashMap::new();
    for (step, &p) in order.iter().enumerate().skip(4) {
        if step % 1024 == 0 {
            interrupt.check()?;
        }
        let id = step as u64;
        let start = tri.locate(hint, p);
        cavity.clear();
        boundary.clear();
        cavity.push(start);
        tri.stamp[start as usize] = 2 * id;
        let mut head = 0;
        while head < cavity.len() {
            let t = cavity[head];
            head += 1;
            for k in 0..4 {
                let n = tri.nbrs[t as usize][k];
                let st = tri.stamp[n as usize];
                if st == 2 * id {
                    continue;
                }
                if st != 2 * id + 1 && tri.conflicts(n, p) {
                    tri.stamp[n as usize] = 2 * id;
                    cavity.push(n);
                } else {
                    tri.stamp[n as usize] = 2 * id + 1;
                    let back = tri.nbrs[n as usize]
                        .iter()
                        .position(|&x| x == t)
                        .expect("neighbours point at each other");
                    boundary.push((tri.verts[t as usize], k, n, back));
                }
            }
        }
        open.clear();
        for &(verts, k, outside, back) in boundary.iter() {
            let mut v = verts;
            v[k] = p;
            let t = tri.new_tet(v)?;
            tri.nbrs[t as usize][k] = outside;
            tri.nbrs[outside as usize][back] = t;
            tri.stamp[t as usize] = 0;
            for j in 0..4 {
                if j == k {
                    continue;
                }
                // The face opposite j contains p and the two vertices other than j and k.
                let mut others = [0u32; 2];
                let mut m = 0;
                for (i, &x) in v.iter().enumerate() {
                    if i != j && i != k {
                        others[m] = x;
                        m += 1;
                    }
                }
                let key = (others[0].min(others[1]), others[0].max(others[1]));
                match open.remove(&key) {
                    Some((u, ju)) => {
                        tri.nbrs[t as usize][j] = u;
                        tri.nbrs[u as usize][ju] = t;
                    }
                    None => {
                        open.insert(key, (t, j));
                    }
                }
            }
            hint = t;
        }
        debug_assert!(open.is_empty(), "the cavity boundary is a closed surface");
        // Freed only now, so that no new tetrahedron took the slot of a cavity tetrahedron that
        // a boundary record still names.
        for &t in &cavity {
            tri.verts[t as usize] = [DEAD; 4];
            tri.free.push(t);
        }
    }
    let mut out = Vec::new();
    try_reserve(&mut out, tri.verts.len(), "delaunay tetrahedra")?;
    for v in &tri.verts {
        if v[0] != DEAD && !v.contains(&INF) {
            let mut s = *v;
            s.sort_unstable();
            out.push(s);
        }
    }
    Ok(out)
}

/// Link tetrahedron `t` to the earlier ones sharing a face, through `faces` (sorted face → open
/// slot).
fn link_faces(tri: &mut Triangulation, t: u32, faces: &mut HashMap<[u32; 3], (u32, usize)>) {
    let v = tri.verts[t as usize];
    for k in 0..4 {
        let mut f = [0u32; 3];
        let mut m = 0;
        for (i, &x) in v.iter().enumerate() {
            if i != k {
                f[m] = x;
                m += 1;
            }
        }
        f.sort_unstable();
        match faces.remove(&f) {
            Some((u, ku)) => {
                tri.nbrs[t as usize][k] = u;
                tri.nbrs[u as usize][ku] = t;
            }
            None => {
                faces.insert(f, (t, k));
            }
        }
    }
}
