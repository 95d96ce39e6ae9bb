//! From pairs of sids to index diagrams: one list of (birth sid, death sid) rows per dimension.
//!
//! Rows are ordered by birth sid ascending (each positive cell is the birth of at most one
//! point, so the order is total and independent of the side reduced). Pairs whose birth and
//! death values are equal are dropped (zero persistence); essential classes (positive cells in
//! no pair) are kept on request, with death index −1.

use crate::error::{try_filled, Result};
use crate::filtration::Filtration;
use crate::interrupt::Interrupt;
use crate::reduction::{persistence_pairs, Side};

/// The death index of an essential row.
pub const ESSENTIAL: i64 = -1;

/// Index diagrams of dimensions 0 … `max_dim − 1` of a filtration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IndexDiagrams {
    dims: Vec<Vec<[i64; 2]>>,
}

impl IndexDiagrams {
    /// The number of dimensions held (`max_dim` of the filtration).
    pub fn n_dims(&self) -> usize {
        self.dims.len()
    }

    /// The rows [birth sid, death sid] of dimension `dim` (empty if absent).
    pub fn in_dimension(&self, dim: usize) -> &[[i64; 2]] {
        self.dims.get(dim).map_or(&[], |d| d.as_slice())
    }

    /// Consume into one row list per dimension.
    pub fn into_dims(self) -> Vec<Vec<[i64; 2]>> {
        self.dims
    }
}

/// Arrange `pairs` (birth sid, death sid) of `fil` into index diagrams.
///
/// # Errors
/// [`crate::Error::TooLarge`] if the bookkeeping array cannot be allocated.
pub fn index_diagrams(fil: &Filtration, pairs: &[(u32, u32)], include_essential: bool) -> Result<IndexDiagrams> {
    let top = fil.max_dim();
    let values = fil.values();
    let mut dims: Vec<Vec<[i64; 2]>> = vec![Vec::new(); top];
    // Only essential classes need to know which cells are paired.
    let mut paired = try_filled(if include_essential { fil.size() } else { 0 }, false, "pairing table")?;
    for &(birth, death) in pairs {
        if include_essential {
            paired[birth as usize] = true;
            paired[death as usize] = true;
        }
        let dim = fil.dim_of(birth as usize);
        // Equal values in the filtration dtype: a zero-persistence pair, not reported.
        if dim < top && values[birth as usize] != values[death as usize] {
            dims[dim].push([birth as i64, death as i64]);
        }
    }
    if include_essential {
        for (dim, rows) in dims.iter_mut().enumerate() {
            rows.extend(
                fil.dim_range(dim)
                    .filter(|&s| !paired[s])
                    .map(|s| [s as i64, ESSENTIAL]),
            );
        }
    }
    for rows in &mut dims {
        rows.sort_unstable_by_key(|r| r[0]);
    }
    Ok(IndexDiagrams { dims })
}

/// Reduce `fil` on `side` (with clearing) and return its index diagrams.
///
/// # Errors
/// As [`persistence_pairs`] and [`index_diagrams`].
///
/// # Examples
/// See the crate documentation.
pub fn persistence(
    fil: &Filtration,
    side: Side,
    include_essential: bool,
    interrupt: &Interrupt,
) -> Result<IndexDiagrams> {
    let pairs = persistence_pairs(fil, side, interrupt)?;
    interrupt.check()?;
    index_diagrams(fil, &pairs, include_essential)
}

#[cfg(test)]
mod tests {
    use proptest::collection::vec;
    use proptest::prelude::*;

    use super::*;
    use crate::filtration::vr::{vr_filtration, VrInput, VrParams};
    use crate::filtration::Precision;
    use crate::reduction::canonical_pairs;

    fn vr(coords: &[f64], n_dims: usize, max_dim: usize, max_diameter: Option<f64>) -> Filtration {
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

    /// Point clouds of 3..25 points in 2-D or 3-D: small integer grids (many ties) or floats.
    fn clouds() -> impl Strategy<Value = (Vec<f64>, usize)> {
        (3usize..25, 2usize..=3).prop_flat_map(|(n, d)| {
            let coords = prop_oneof![vec((0i32..4).prop_map(f64::from), n * d), vec(-1.0f64..1.0, n * d),];
            (coords, Just(d))
        })
    }

    fn thresholds() -> impl Strategy<Value = Option<f64>> {
        prop_oneof![Just(None), Just(Some(f64::INFINITY)), (0.3f64..2.5).prop_map(Some)]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn homology_and_cohomology_give_identical_diagrams(
            (coords, n_dims) in clouds(),
            max_dim in 1usize..=3,
            max_diameter in thresholds(),
            include_essential in any::<bool>(),
        ) {
            let fil = vr(&coords, n_dims, max_dim, max_diameter);
            let hom = persistence(&fil, Side::Homology, include_essential, &Interrupt::never()).unwrap();
            let cohom = persistence(&fil, Side::Cohomology, include_essential, &Interrupt::never()).unwrap();
            prop_assert_eq!(&hom, &cohom);
            prop_assert_eq!(hom.n_dims(), fil.max_dim());
        }

        #[test]
        fn persistence_pairs_match_canonical_reduction(
            (coords, n_dims) in clouds(),
            max_dim in 1usize..=2,
            max_diameter in thresholds(),
        ) {
            let fil = vr(&coords, n_dims, max_dim, max_diameter);
            let reference = canonical_pairs(&fil);
            prop_assert_eq!(&persistence_pairs(&fil, Side::Homology, &Interrupt::never()).unwrap(), &reference);
            prop_assert_eq!(&persistence_pairs(&fil, Side::Cohomology, &Interrupt::never()).unwrap(), &reference);
        }

        #[test]
        fn rows_are_sorted_by_birth_and_have_positive_persistence(
            (coords, n_dims) in clouds(),
            max_dim in 1usize..=3,
            max_diameter in thresholds(),
        ) {
            let fil = vr(&coords, n_dims, max_dim, max_diameter);
            let values = fil.values();
            let with = persistence(&fil, Side::Cohomology, true, &Interrupt::never()).unwrap();
            let without = persistence(&fil, Side::Cohomology, false, &Interrupt::never()).unwrap();
            prop_assert_eq!(with.n_dims(), without.n_dims());
            for dim in 0..with.n_dims() {
                let rows = with.in_dimension(dim);
                prop_assert!(rows.windows(2).all(|w| w[0][0] < w[1][0]), "dim {} not sorted: {:?}", dim, rows);
                for &[birth, death] in rows {
                    prop_assert!(fil.dim_range(dim).contains(&(birth as usize)));
                    if death != ESSENTIAL {
                        prop_assert!(fil.dim_range(dim + 1).contains(&(death as usize)));
                        prop_assert!(values[birth as usize] < values[death as usize]);
                    }
                }
                let finite: Vec<[i64; 2]> = rows.iter().copied().filter(|r| r[1] != ESSENTIAL).collect();
                prop_assert_eq!(without.in_dimension(dim), finite.as_slice());
            }
            // With every edge present the complex is connected: exactly one essential H0 class.
            if max_diameter == Some(f64::INFINITY) {
                let essential = with.in_dimension(0).iter().filter(|r| r[1] == ESSENTIAL).count();
                prop_assert_eq!(essential, 1);
            }
        }
    }

    #[test]
    fn zero_persistence_pairs_are_dropped_and_not_essential() {
        // Points 0 and 1 coincide: edge 3 = (0,1) has value 0 and kills vertex 1 at zero
        // persistence. Only the pair (2, 4) (vertex 2 joined at length 5) has positive persistence.
        let fil = vr(&[0.0, 0.0, 0.0, 0.0, 3.0, 4.0], 2, 1, None);
        assert_eq!(fil.values(), &[0.0, 0.0, 0.0, 0.0, 5.0, 5.0]);
        let pairs = persistence_pairs(&fil, Side::Homology, &Interrupt::never()).unwrap();
        assert_eq!(pairs, vec![(1, 3), (2, 4)]);
        let dgms = persistence(&fil, Side::Homology, true, &Interrupt::never()).unwrap();
        assert_eq!(dgms.into_dims(), vec![vec![[0, ESSENTIAL], [2, 4]]]);
    }

    #[test]
    fn index_diagrams_sort_rows_by_birth_whatever_the_pair_order() {
        // Unit square: H0 pairs (1,4), (2,5), (3,6); H1 pair (7,12); the zero-persistence pairs
        // (8,11) and (9,10) are dropped.
        let fil = vr(&[0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0], 2, 2, None);
        let shuffled = [(9, 10), (3, 6), (7, 12), (1, 4), (8, 11), (2, 5)];
        let dgms = index_diagrams(&fil, &shuffled, false).unwrap();
        assert_eq!(dgms.into_dims(), vec![vec![[1, 4], [2, 5], [3, 6]], vec![[7, 12]]]);
    }

    #[test]
    fn top_dimension_is_not_reported() {
        // A 3-4-5 triangle without its 2-cell: the longest edge (sid 5) is an unpaired H1 class,
        // but dimension 1 is the top dimension, so only H0 is reported.
        let fil = vr(&[0.0, 0.0, 3.0, 0.0, 0.0, 4.0], 2, 1, Some(f64::INFINITY));
        let pairs = persistence_pairs(&fil, Side::Cohomology, &Interrupt::never()).unwrap();
        assert_eq!(pairs, vec![(1, 3), (2, 4)]);
        let dgms = persistence(&fil, Side::Cohomology, true, &Interrupt::never()).unwrap();
        assert_eq!(dgms.into_dims(), vec![vec![[0, ESSENTIAL], [1, 3], [2, 4]]]);
    }

    #[test]
    fn vertices_only_give_an_empty_container() {
        let fil = vr(&[0.0, 0.0, 1.0, 1.0], 2, 0, None);
        assert_eq!(fil.max_dim(), 0);
        for side in [Side::Homology, Side::Cohomology] {
            let dgms = persistence(&fil, side, true, &Interrupt::never()).unwrap();
            assert_eq!(dgms.n_dims(), 0);
            assert_eq!(dgms.in_dimension(0), &[] as &[[i64; 2]]);
        }
    }
}
