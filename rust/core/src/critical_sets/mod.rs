//! Critical sets: which cells must move, and where to, for a requested change of a diagram
//! point (Nigmetov and Morozov, "Topological optimization with big steps", Discrete Comput.
//! Geom. 2024, doi:10.1007/s00454-023-00613-x).
//!
//! With R = D·V the canonical (ELZ) reduction and U = V⁻¹, and R⊥ = D⊥·V⊥ that of the
//! anti-transpose (index m(σ) = N − 1 − sid(σ)), the four moves read:
//!
//! | move | matrix | critical set |
//! |---|---|---|
//! | decrease death of τ to t | V, column τ | ρ ∈ supp V[:, τ], t ⪯ f(ρ), R_ρ ≠ 0, low(R_ρ) ≥ low(R_τ) |
//! | increase death of τ to t | U, row τ | ρ ∈ supp U[τ, :], f(ρ) ⪯ t, low(R_ρ) ≤ low(R_τ) (positive ρ pass) |
//! | increase birth of σ to t | V⊥, column m(σ) | ρ with V⊥[m(ρ), m(σ)] ≠ 0, f(ρ) ⪯ t |
//! | decrease birth of σ to t | U⊥, row m(σ) | ρ with U⊥[m(σ), m(ρ)] ≠ 0, t ⪯ f(ρ) |
//!
//! "a ⪯ b" is filtration order (a ≤ b, or a ≥ b under `negate`). A set lists the moved cell
//! first, then the others by sid moving away from it in the direction of the move.
//!
//! - [`TopologyOptimizer`]: the state (combinatorics, values, pairing, lazily reduced blocks)
//!   and the moves.
//! - [`combine`] and [`gradient`]: conflict resolution with a [`ConflictStrategy`].

mod block;
mod conflicts;
mod optimizer;

pub use conflicts::{combine, gradient, ConflictStrategy, IndicesValues};
pub use optimizer::{Move, TopologyOptimizer};

/// A critical set: the target every cell in it is moved to, and the cells, moved cell first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CriticalSet {
    /// The target value.
    pub target: f64,
    /// The sids, moved cell first (empty when the target equals the current value).
    pub cells: Vec<u32>,
}
