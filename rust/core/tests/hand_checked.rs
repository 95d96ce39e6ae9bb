//! Hand-checked Vietoris-Rips complexes through the public API: every expected number is derived
//! in the comment above it.

use oineus_diff_core::diagram::{persistence, IndexDiagrams, ESSENTIAL};
use oineus_diff_core::filtration::vr::{vr_filtration, VrInput, VrParams};
use oineus_diff_core::filtration::{Filtration, Precision};
use oineus_diff_core::reduction::{persistence_pairs, Side};
use oineus_diff_core::Interrupt;

fn points(coords: &[f64], n_dims: usize, max_dim: usize, max_diameter: Option<f64>) -> Filtration {
    let input = VrInput::Points {
        coords,
        n_points: coords.len() / n_dims,
        n_dims,
    };
    let params = VrParams {
        max_dim,
        max_diameter,
        eps: 0.0,
        precision: Precision::Double,
    };
    vr_filtration(&input, &params, &Interrupt::never()).unwrap()
}

/// The diagrams with essential classes, checked to be the same on both sides.
fn diagrams(fil: &Filtration) -> IndexDiagrams {
    let hom = persistence(fil, Side::Homology, true, &Interrupt::never()).unwrap();
    let cohom = persistence(fil, Side::Cohomology, true, &Interrupt::never()).unwrap();
    assert_eq!(hom, cohom, "homology and cohomology disagree");
    hom
}

/// The pairs, checked to be the same on both sides.
fn pairs(fil: &Filtration) -> Vec<(u32, u32)> {
    let hom = persistence_pairs(fil, Side::Homology, &Interrupt::never()).unwrap();
    let cohom = persistence_pairs(fil, Side::Cohomology, &Interrupt::never()).unwrap();
    assert_eq!(hom, cohom, "homology and cohomology disagree");
    hom
}

fn cell_counts(fil: &Filtration) -> Vec<usize> {
    (0..=fil.max_dim()).map(|d| fil.dim_range(d).len()).collect()
}

/// Sides 3 (0-1), 4 (0-2) and 5 (1-2); every edge kept.
const TRIANGLE_345: [f64; 6] = [0.0, 0.0, 3.0, 0.0, 0.0, 4.0];

#[test]
fn hollow_triangle_has_one_unpaired_loop_that_is_not_reported() {
    // Sids: vertices 0-2, edges 3 = (0,1) at 3, 4 = (0,2) at 4, 5 = (1,2) at 5. Edges 3 and 4
    // merge vertices 1 and 2 into 0; edge 5 closes the loop, which nothing kills. Dimension 1 is
    // the top dimension, so the container holds H0 only.
    let fil = points(&TRIANGLE_345, 2, 1, Some(f64::INFINITY));
    assert_eq!(fil.values(), &[0.0, 0.0, 0.0, 3.0, 4.0, 5.0]);
    assert_eq!(pairs(&fil), vec![(1, 3), (2, 4)]);
    let dgms = diagrams(&fil);
    assert_eq!(dgms.into_dims(), vec![vec![[0, ESSENTIAL], [1, 3], [2, 4]]]);
}

#[test]
fn filled_triangle_kills_its_loop_at_zero_persistence() {
    // Adding the triangle (sid 6, value 5 = its longest edge) kills the loop of edge 5 at once:
    // the pair (5, 6) has persistence 5 - 5 = 0 and is dropped, so H1 is present but empty.
    let fil = points(&TRIANGLE_345, 2, 2, Some(f64::INFINITY));
    assert_eq!(fil.values(), &[0.0, 0.0, 0.0, 3.0, 4.0, 5.0, 5.0]);
    assert_eq!(pairs(&fil), vec![(1, 3), (2, 4), (5, 6)]);
    let dgms = diagrams(&fil);
    assert_eq!(dgms.into_dims(), vec![vec![[0, ESSENTIAL], [1, 3], [2, 4]], vec![]]);
}

#[test]
fn unit_square_matches_the_spec() {
    // Default threshold √2·1.00001 keeps all edges. Edges by (value, lexicographic order):
    // 4 = (0,1), 5 = (0,2), 6 = (1,3), 7 = (2,3) at 1; 8 = (0,3), 9 = (1,2) at √2. Triangles, all
    // at √2: 10 = (0,1,2), 11 = (0,1,3), 12 = (0,2,3), 13 = (1,2,3).
    // H0: edges 4, 5, 6 join vertices 1, 2, 3 to 0. H1: edge 7 closes the square at 1; triangle 10
    // kills the loop of edge 9, triangle 11 that of edge 8 (both at zero persistence), and
    // triangle 12 reduces to {4,5,6,7}, killing the square's loop at √2. Triangle 13 is an
    // unreported top-dimensional class.
    let fil = points(&[0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0], 2, 2, None);
    assert_eq!(cell_counts(&fil), vec![4, 6, 4]);
    assert_eq!(pairs(&fil), vec![(1, 4), (2, 5), (3, 6), (7, 12), (8, 11), (9, 10)]);
    let dgms = diagrams(&fil);
    assert_eq!(dgms.in_dimension(0), &[[0, ESSENTIAL], [1, 4], [2, 5], [3, 6]]);
    assert_eq!(dgms.in_dimension(1), &[[7, 12]]);
    assert_eq!((fil.values()[7], fil.values()[12]), (1.0, 2f64.sqrt()));
    for &[birth, death] in &dgms.in_dimension(0)[1..] {
        assert_eq!((fil.values()[birth as usize], fil.values()[death as usize]), (0.0, 1.0));
    }
}

#[test]
fn coincident_points_give_a_zero_length_edge_and_no_zero_persistence_point() {
    // Enclosing radius 5 (every vertex is 5 from its farthest neighbour), so all edges stay:
    // 3 = (0,1) at 0, 4 = (0,2) at 5, 5 = (1,2) at 5. Edge 3 kills vertex 1 at zero persistence
    // (dropped); edge 4 kills vertex 2 at 5; edge 5 closes a top-dimensional loop.
    let fil = points(&[0.0, 0.0, 0.0, 0.0, 3.0, 4.0], 2, 1, None);
    assert_eq!(fil.values(), &[0.0, 0.0, 0.0, 0.0, 5.0, 5.0]);
    assert_eq!(diagrams(&fil).into_dims(), vec![vec![[0, ESSENTIAL], [2, 4]]]);
}

#[test]
fn distance_matrix_threshold_drops_the_longest_edge() {
    // d(0,1) = 1, d(1,2) = 1.5, d(0,2) = 2. Enclosing radius min(2, 1.5, 2) = 1.5, so edge (0,2)
    // is dropped: edges 3 = (0,1) at 1 and 4 = (1,2) at 1.5 kill vertices 1 and 2.
    let m = [0.0, 1.0, 2.0, 1.0, 0.0, 1.5, 2.0, 1.5, 0.0];
    let input = VrInput::Distances {
        matrix: &m,
        n_points: 3,
    };
    let params = VrParams {
        max_dim: 1,
        max_diameter: None,
        eps: 0.0,
        precision: Precision::Double,
    };
    let fil = vr_filtration(&input, &params, &Interrupt::never()).unwrap();
    assert_eq!(fil.values(), &[0.0, 0.0, 0.0, 1.0, 1.5]);
    assert_eq!(diagrams(&fil).into_dims(), vec![vec![[0, ESSENTIAL], [1, 3], [2, 4]]]);
}

/// ±e_i in 3-D, ordered e1, e2, e3, −e1, −e2, −e3: antipodal pairs are (0,3), (1,4), (2,5), at
/// distance 2; every other pair is at distance √2.
const OCTAHEDRON: [f64; 18] = [
    1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, -1.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, -1.0,
];

/// H0 of both octahedron filtrations. The twelve √2-edges come first, in lexicographic order:
/// 6 = (0,1), 7 = (0,2), 8 = (0,4), 9 = (0,5), 10 = (1,2), 11 = (1,3), … Edges 6-9 join vertices
/// 1, 2, 4, 5 to vertex 0; edge 10 closes a loop; edge 11 joins vertex 3.
const OCTAHEDRON_H0: [[i64; 2]; 6] = [[0, ESSENTIAL], [1, 6], [2, 7], [3, 11], [4, 8], [5, 9]];

#[test]
fn octahedron_with_only_its_edges_is_a_sphere_whose_h2_is_not_reported() {
    // Threshold just above √2 keeps the 12 octahedron edges and drops the 3 antipodal ones. The
    // edge graph is K(2,2,2), whose largest cliques are the 8 faces, so max_dim = 3 builds no
    // tetrahedron: 6 / 12 / 8 cells and fil.max_dim() = 2. The complex is a 2-sphere, but
    // dimension 2 is then the top dimension and the container holds H0 and H1 only.
    let fil = points(&OCTAHEDRON, 3, 3, Some(2f64.sqrt() + 1e-9));
    assert_eq!(cell_counts(&fil), vec![6, 12, 8]);
    assert_eq!(fil.max_dim(), 2);
    let dgms = diagrams(&fil);
    assert_eq!(dgms.n_dims(), 2);
    assert_eq!(dgms.in_dimension(0), &OCTAHEDRON_H0);
    // 12 - 5 = 7 independent loops, each killed by a face at the same value √2: all dropped.
    assert_eq!(dgms.in_dimension(1), &[] as &[[i64; 2]]);
    // The sphere itself shows in the pairs: the boundaries of any 7 faces are independent and
    // all 8 sum to zero, so the lexicographically last face (3,4,5), sid 25, is the only unpaired
    // triangle. The births of the 7 face pairs are the 7 loop-closing edges.
    let pairs = pairs(&fil);
    let triangles = fil.dim_range(2);
    let killed: Vec<(u32, u32)> = pairs
        .iter()
        .copied()
        .filter(|p| triangles.contains(&(p.1 as usize)))
        .collect();
    assert_eq!(
        killed.iter().map(|p| p.0).collect::<Vec<_>>(),
        vec![10, 12, 13, 14, 15, 16, 17]
    );
    let mut deaths: Vec<u32> = killed.iter().map(|p| p.1).collect();
    deaths.sort_unstable();
    assert_eq!(deaths, (18..25).collect::<Vec<u32>>());
    assert_eq!(fil.cell(25).unwrap(), &[3, 4, 5]);
}

#[test]
fn octahedron_with_all_edges_has_a_sphere_from_sqrt2_to_2() {
    // With every edge, max_dim = 3 gives the 3-skeleton of the 5-simplex: 6 / 15 / 20 / 15 cells.
    // At √2 the complex is the octahedron (12 edges, 8 faces, sids 21-28); the antipodal edges,
    // the other 12 triangles and every tetrahedron (any 4 of the 6 points include an antipodal
    // pair) come at 2. The sphere is born with the last face (3,4,5), sid 28, and dies at 2. All
    // loops die at the value they are born (√2 or 2), so H1 is empty; the 3-skeleton of a simplex
    // has no H2 classes left over, so there is no essential H2 point.
    let fil = points(&OCTAHEDRON, 3, 3, Some(f64::INFINITY));
    assert_eq!(cell_counts(&fil), vec![6, 15, 20, 15]);
    assert_eq!(fil.cell(28).unwrap(), &[3, 4, 5]);
    let dgms = diagrams(&fil);
    assert_eq!(dgms.n_dims(), 3);
    assert_eq!(dgms.in_dimension(0), &OCTAHEDRON_H0);
    assert_eq!(dgms.in_dimension(1), &[] as &[[i64; 2]]);
    let h2 = dgms.in_dimension(2);
    assert_eq!(h2.len(), 1);
    let [birth, death] = h2[0];
    assert_eq!(birth, 28);
    assert!(fil.dim_range(3).contains(&(death as usize)));
    assert_eq!(
        (fil.values()[birth as usize], fil.values()[death as usize]),
        (2f64.sqrt(), 2.0)
    );
}
