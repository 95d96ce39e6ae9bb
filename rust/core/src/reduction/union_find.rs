//! Zero-dimensional persistence by union-find (Kruskal with the elder rule).
//!
//! Edges are visited in filtration order. An edge joining two components kills the younger one
//! (the one whose oldest vertex has the larger sid) and is negative; an edge inside one
//! component is positive. The pairing is unique, so this equals the H0 part of any reduction,
//! in O(E α(V)) instead of column additions.

use crate::error::{try_filled, Result};
use crate::filtration::Filtration;
use crate::interrupt::Interrupt;
use crate::matrix::BoundaryOracle;

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
    fn root(parent: &mut [u32], mut v: u32) -> u32 {
        while parent[v as usize] != v {
            // Path halving.
            let grand = parent[parent[v as usize] as usize];
            parent[v as usize] = grand;
            v = grand;
        }
        v
    }
    let mut pairs = Vec::new();
    let mut facets = Vec::with_capacity(2);
    for edge in fil.dim_range(1) {
        if edge % 4096 == 0 {
            interrupt.check()?;
        }
        fil.facets(edge, &mut facets);
        let (a, b) = (root(&mut parent, facets[0]), root(&mut parent, facets[1]));
        if a != b {
            let (elder, younger) = (a.min(b), a.max(b));
            parent[younger as usize] = elder;
            pairs.push((younger, edge as u32));
        }
    }
    Ok(pairs)
}
