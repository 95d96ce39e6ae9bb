//! `oineus_diff_core`: the pure-Rust core of oineus-diff, differentiable persistent homology.
//!
//! - [`filtration`]: cells with values in filtration (sid) order, and the builders
//!   ([`filtration::vr`] for Vietoris-Rips, [`filtration::freudenthal`] and
//!   [`filtration::cubical`] for grids, [`filtration::delaunay`] for alpha, weak alpha and
//!   Čech–Delaunay).
//! - [`geometry`]: exact predicates, circumradii and the 2-D and 3-D Delaunay triangulations.
//! - [`matrix`]: sparse Z/2 boundary matrices and their anti-transposes.
//! - [`reduction`]: the canonical (ELZ) reduction with V; for pairs only, union-find for H0 and
//!   clearing for the rest.
//! - [`critical_sets`]: the four critical-set moves, conflict strategies and the optimizer state.
//! - [`diagram`]: pairs to index diagrams, essential classes, zero-persistence pruning.
//! - [`distance`]: Wasserstein (auction) and bottleneck matchings between diagrams.
//! - [`render`]: PNG frames of the live optimisation monitor (data, diagrams, loss).
//! - [`Error`] and [`Interrupt`]: failures as values, and cooperative cancellation.
//!
//! Nothing here knows about Python; the `oineus_diff_py` crate wraps it.
//!
//! # Example: the diagram of a hollow triangle
//! ```
//! use oineus_diff_core::filtration::vr::{vr_filtration, VrInput, VrParams};
//! use oineus_diff_core::filtration::Precision;
//! use oineus_diff_core::{diagram::persistence, reduction::Side, Interrupt};
//!
//! // Three points with sides 3, 4, 5; no triangle (max_dim = 1), so the loop never dies.
//! let pts = [0.0, 0.0, 3.0, 0.0, 0.0, 4.0];
//! let input = VrInput::Points { coords: &pts, n_points: 3, n_dims: 2 };
//! let params = VrParams { max_dim: 1, max_diameter: Some(f64::INFINITY), eps: 0.0, precision: Precision::Double };
//! let fil = vr_filtration(&input, &params, &Interrupt::never()).unwrap();
//! let dgms = persistence(&fil, Side::Cohomology, true, &Interrupt::never()).unwrap();
//! // H0: two finite points (born at 0, dying at lengths 3 and 4) and one essential class.
//! let h0: Vec<(f64, Option<f64>)> = dgms
//!     .in_dimension(0)
//!     .iter()
//!     .map(|&[b, d]| (fil.values()[b as usize], (d >= 0).then(|| fil.values()[d as usize])))
//!     .collect();
//! assert_eq!(h0, vec![(0.0, None), (0.0, Some(3.0)), (0.0, Some(4.0))]);
//! ```
#![deny(missing_docs)]

pub mod critical_sets;
pub mod diagram;
pub mod distance;
mod error;
pub mod filtration;
pub mod geometry;
mod interrupt;
pub mod matrix;
pub mod reduction;
pub mod render;

pub use error::{Error, Result};
pub use interrupt::Interrupt;
