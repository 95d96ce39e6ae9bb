//! 2-D Delaunay triangulation with the `spade` crate (exact predicates, bulk loading).

use spade::{DelaunayTriangulation, HasPosition, Point2, Triangulation};

/// A point with its id, as spade stores it.
struct Vertex {
    position: Point2<f64>,
    id: u32,
}

impl HasPosition for Vertex {
    type Scalar = f64;

    fn position(&self) -> Point2<f64> {
        self.position
    }
}

/// The Delaunay triangles of `points`, which must be distinct and not collinear, as ascending
/// vertex-id triples (ids are positions in `points`); `None` when spade rejects a coordinate
/// (magnitude below about 1e-42 or above about 1e60), in which case the caller uses the 3-D
/// route. The points are handed over in the order given, so the result is a function of that
/// sequence.
pub(crate) fn delaunay_2d(points: &[[f64; 2]]) -> Option<Vec<[u32; 3]>> {
    let vertices: Vec<Vertex> = points
        .iter()
        .enumerate()
        .map(|(i, p)| Vertex {
            position: Point2::new(p[0], p[1]),
            id: i as u32,
        })
        .collect();
    let triangulation: DelaunayTriangulation<Vertex> = DelaunayTriangulation::bulk_load(vertices).ok()?;
    if triangulation.num_vertices() != points.len() {
        return None;
    }
    Some(
        triangulation
            .inner_faces()
            .map(|face| {
                let mut t = face.vertices().map(|v| v.data().id);
                t.sort_unstable();
                t
            })
            .collect(),
    )
}
