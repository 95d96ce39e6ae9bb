//! Persistence pairs by union-find, where a dimension allows it.
//!
//! - H0 (Kruskal with the elder rule): edges are visited in filtration order. An edge joining two
//!   components kills the younger one (the one whose oldest vertex has the larger sid) and is
//!   negative; an edge inside one component is positive.
//! - The top dimension of a D-ball (Alexander duality): the top cells are the vertices of a dual
//!   graph, with one more vertex for the outside, and every (D − 1)-cell is a dual edge between
//!   its one or two cofacets. Visiting (D − 1)-cells in reverse filtration order, a cell that
//!   joins two dual components is the birth of a (D − 1)-class that dies at the younger
//!   component's representative, the latest top cell in it (the outside is never younger).
//!
//! The pairing is unique, so these equal the corresponding pairs of any reduction, in
//! O(n α(n)) instead of column additions.

use crate::error::{try_filled, Result};
use crate::filtration::Filtration;
use crate::interrupt::Interrupt;

/// The root of `v` in the forest `parent`, halving the path on the way.
fn root(parent: &mut [u32], mut v: u32) -> u32 {
    while parent[v as usize] != v {
        let grand = parent[parent[v as usize] as usize];
        parent[v as usize] = grand;
        v = grand;
    }
    v
}

/// The H0 pairs (vertex sid, edge sid) of `fil`, in edge order.
///
/// # Errors
/// [`crate::Error::TooLarge`] if the forest cannot be allocated, [`crate::Error::Interrupted`]
/// when cancelled.
pub fn h0_pairs(fil: &Filtration, interrupt: &Interrupt) -> Result<Vec<(u32, u32)>> {
    let vertices = fil.dim_range(0);
    // parent[v] for vertex sids; a root is the oldest vertex of its component.
    let mut parent: Vec<u32> = try_filled(vertices.len(), 0u32, "union-find forest")?;
    for (v, p) in parent.iter_mut().enumerate() {
        *p = v as u32;
    }
    let mut pairs = Vec::new();
    let mut facets = Vec::with_capacity(2);
    for edge in fil.dim_range(1) {
        if edge % 4096 == 0 {
            interrupt.check()?;
        }
        fil.facets_in_dimension(1, edge, &mut facets);
        let (a, b) = (root(&mut parent, facets[0]), root(&mut parent, facets[1]));
        if a != b {
            let (elder, younger) = (a.min(b), a.max(b));
            parent[younger as usize] = elder;
            pairs.push((younger, edge as u32));
        }
    }
    Ok(pairs)
}

/// The pairs (birth sid, death sid) of dimension D − 1 of a D-ball filtration (see
/// [`Filtration::ball_dimension`]), in no particular order.
///
/// # Errors
/// [`crate::Error::TooLarge`] if the dual forest cannot be allocated,
/// [`crate::Error::Interrupted`] when cancelled.
pub fn top_pairs_by_duality(fil: &Filtration, top_dim: usize, interrupt: &Interrupt) -> Result<Vec<(u32, u32)>> {
    let faces = fil.dim_range(top_dim - 1);
    let tops = fil.dim_range(top_dim);
    let outside = tops.len() as u32;
    // The one or two top cells (block-local) each face bounds; `outside` fills the gap.
    let mut cofacets = try_filled(faces.len(), [outside, outside], "dual graph")?;
    let mut record = |top: usize, face: usize| {
        let slot = &mut cofacets[face];
        if slot[0] == outside {
            slot[0] = top as u32;
        } else {
            slot[1] = top as u32;
        }
    };
    match fil.grid_cells() {
        Some(grid) => grid.for_each_facet_in_code_order(top_dim, interrupt, record)?,
        None => {
            let mut facets = Vec::new();
            for t in tops.clone() {
                if t % 4096 == 0 {
                    interrupt.check()?;
                }
                fil.facets_in_dimension(top_dim, t, &mut facets);
                for &f in &facets {
                    record(t - tops.start, f as usize - faces.start);
                }
            }
        }
    }
    // Dual vertices: the top cells and the outside; a root is its component's latest top cell,
    // and the outside, present from the start of the reverse sweep, is older than all of them.
    let mut parent: Vec<u32> = try_filled(tops.len() + 1, 0u32, "dual forest")?;
    for (v, p) in parent.iter_mut().enumerate() {
        *p = v as u32;
    }
    let age = |v: u32| if v == outside { u32::MAX } else { v };
    let mut pairs = Vec::new();
    for f in faces.clone().rev() {
        if f % 4096 == 0 {
            interrupt.check()?;
        }
        let [a, b] = cofacets[f - faces.start];
        let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
        if ra != rb {
            let (elder, younger) = if age(ra) > age(rb) { (ra, rb) } else { (rb, ra) };
            parent[younger as usize] = elder;
            pairs.push((f as u32, (tops.start + younger as usize) as u32));
        }
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use crate::filtration::cubical::{cube_filtration, CubeParams, ValuesOn};
    use crate::filtration::freudenthal::{freudenthal_filtration, FreudenthalParams};
    use crate::reduction::{canonical_pairs, persistence_pairs, Side};
    use crate::Interrupt;

    fn grids() -> impl Strategy<Value = (Vec<usize>, Vec<f64>, u8, bool)> {
        (
            prop::collection::vec(2usize..6, 2..=3),
            0u8..3,
            any::<bool>(),
            any::<bool>(),
        )
            .prop_flat_map(|(shape, builder, negate, ties)| {
                let n: usize = shape.iter().product();
                let values = if ties {
                    prop::collection::vec((0u8..4).prop_map(f64::from), n).boxed()
                } else {
                    prop::collection::vec(-1.0f64..1.0, n).boxed()
                };
                (Just(shape), values, Just(builder), Just(negate))
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        #[test]
        fn union_find_pairs_equal_the_canonical_reduction_on_grids((shape, data, builder, negate) in grids()) {
            let never = Interrupt::never();
            let fil = match builder {
                0 => freudenthal_filtration(&data, &shape, &FreudenthalParams { negate, wrap: false, max_dim: 3 }, &never),
                1 => cube_filtration(&data, &shape, &CubeParams { negate, max_dim: 3, values_on: ValuesOn::Vertices }, &never),
                _ => cube_filtration(&data, &shape, &CubeParams { negate, max_dim: 3, values_on: ValuesOn::Cells }, &never),
            }
            .unwrap();
            prop_assert_eq!(fil.ball_dimension(), Some(shape.len()));
            let expected = canonical_pairs(&fil);
            prop_assert_eq!(&persistence_pairs(&fil, Side::Homology, &never).unwrap(), &expected);
            prop_assert_eq!(&persistence_pairs(&fil, Side::Cohomology, &never).unwrap(), &expected);
        }
    }

    #[test]
    fn wrapped_grids_are_not_balls() {
        let data: Vec<f64> = (0..9).map(f64::from).collect();
        let params = FreudenthalParams {
            negate: false,
            wrap: true,
            max_dim: 2,
        };
        let fil = freudenthal_filtration(&data, &[3, 3], &params, &Interrupt::never()).unwrap();
        assert_eq!(fil.ball_dimension(), None);
        assert_eq!(
            persistence_pairs(&fil, Side::Homology, &Interrupt::never()).unwrap(),
            canonical_pairs(&fil)
        );
    }
}
