//! Conflict resolution: one target per cell from the targets of several critical sets.
//!
//! Every cell receives its targets in canonical order (the order of the critical sets, then
//! the order within each set). All arithmetic runs in that fixed order, in the filtration's
//! precision, so the result does not depend on the number of threads.

use crate::critical_sets::CriticalSet;
use crate::error::{try_reserve, Error, Result};
use crate::filtration::Precision;

/// How several targets for one cell are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConflictStrategy {
    /// The target farthest from the current value (the first received on ties).
    Max,
    /// The mean of the targets, summed left to right.
    Avg,
    /// Every (cell, target) pair is kept; contributions add.
    Sum,
    /// Like `Avg`, except that a moved cell (the first cell of a set) gets exactly the mean of
    /// the targets of the sets it is the moved cell of.
    FixCritAvg,
}

/// The resolved targets: `indices` ascending by sid (for `Sum`, repeated once per contribution,
/// in canonical order), and one target per entry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IndicesValues {
    /// Sids, ascending.
    pub indices: Vec<u32>,
    /// Targets, rounded to the filtration precision.
    pub values: Vec<f64>,
}

/// One contribution: a cell, its target, and whether the cell is its set's moved cell.
#[derive(Debug, Clone, Copy)]
struct Entry {
    cell: u32,
    target: f64,
    moved: bool,
}

/// Resolve `sets` with `strategy`; `values` are the current values by sid.
///
/// # Errors
/// [`Error::IndexOutOfRange`] for a sid outside `values`, [`Error::NonFiniteValue`] for a NaN
/// target, [`Error::TooLarge`] if the working arrays cannot be allocated.
pub fn combine(
    sets: &[CriticalSet],
    strategy: ConflictStrategy,
    values: &[f64],
    precision: Precision,
) -> Result<IndicesValues> {
    let entries = sorted_entries(sets, values.len())?;
    let round = |x: f64| precision.round(x);
    let mut out = IndicesValues::default();
    for group in entries.chunk_by(|a, b| a.cell == b.cell) {
        let cell = group[0].cell;
        let current = values[cell as usize];
        match strategy {
            ConflictStrategy::Sum => {
                for e in group {
                    out.indices.push(cell);
                    out.values.push(round(e.target));
                }
            }
            ConflictStrategy::Avg => {
                out.indices.push(cell);
                out.values.push(mean(group.iter(), round));
            }
            ConflictStrategy::Max => {
                let mut best = group[0].target;
                let mut best_distance = round((round(best) - current).abs());
                for e in &group[1..] {
                    let distance = round((round(e.target) - current).abs());
                    if distance > best_distance {
                        best = e.target;
                        best_distance = distance;
                    }
                }
                out.indices.push(cell);
                out.values.push(round(best));
            }
            ConflictStrategy::FixCritAvg => {
                let has_own = group.iter().any(|e| e.moved);
                let value = if has_own {
                    mean(group.iter().filter(|e| e.moved), round)
                } else {
                    mean(group.iter(), round)
                };
                out.indices.push(cell);
                out.values.push(value);
            }
        }
    }
    Ok(out)
}

/// The gradient on the values of the resolved targets: f(σ) − t(σ) per touched cell, or for
/// `Sum` the sum of f(σ) − t_k over σ's contributions in canonical order. Returns the touched
/// sids ascending, each once, and their gradients.
///
/// # Errors
/// As [`combine`].
pub fn gradient(
    sets: &[CriticalSet],
    strategy: ConflictStrategy,
    values: &[f64],
    precision: Precision,
) -> Result<IndicesValues> {
    let resolved = combine(sets, strategy, values, precision)?;
    let round = |x: f64| precision.round(x);
    let mut out = IndicesValues::default();
    let pairs = resolved.indices.iter().zip(&resolved.values);
    for (&cell, &target) in pairs {
        let delta = round(values[cell as usize] - target);
        if out.indices.last() == Some(&cell) {
            let last = out.values.last_mut().expect("indices and values have equal lengths");
            *last = round(*last + delta);
        } else {
            out.indices.push(cell);
            out.values.push(delta);
        }
    }
    Ok(out)
}

/// The mean of the entries' targets, summed left to right, in the given rounding.
fn mean<'a>(entries: impl Iterator<Item = &'a Entry>, round: impl Fn(f64) -> f64) -> f64 {
    let mut sum = 0.0;
    let mut count = 0usize;
    for e in entries {
        sum = round(sum + round(e.target));
        count += 1;
    }
    round(sum / count as f64)
}

/// Every contribution, stably sorted by cell, so each cell's targets keep canonical order.
fn sorted_entries(sets: &[CriticalSet], n_cells: usize) -> Result<Vec<Entry>> {
    let total: usize = sets.iter().map(|s| s.cells.len()).sum();
    let mut entries = Vec::new();
    try_reserve(&mut entries, total, "critical-set entries")?;
    for set in sets {
        if set.target.is_nan() && !set.cells.is_empty() {
            return Err(Error::NonFiniteValue {
                name: "critical_sets",
                count: 1,
                first_idx: set.cells[0] as usize,
            });
        }
        for (k, &cell) in set.cells.iter().enumerate() {
            if cell as usize >= n_cells {
                return Err(Error::IndexOutOfRange {
                    idx: cell as usize,
                    size: n_cells,
                });
            }
            entries.push(Entry {
                cell,
                target: set.target,
                moved: k == 0,
            });
        }
    }
    entries.sort_by_key(|e| e.cell);
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(target: f64, cells: &[u32]) -> CriticalSet {
        CriticalSet {
            target,
            cells: cells.to_vec(),
        }
    }

    /// The micro-example of SPEC §10.1.
    fn micro() -> (Vec<CriticalSet>, Vec<f64>) {
        let values = vec![0.0, 0.5, 1.0, 2.0, 3.0, 4.0, 2.0, 2.0, 3.0, 3.0, 4.0];
        let sets = vec![
            set(1.0, &[7, 6]),
            set(2.0, &[9, 8, 7, 6]),
            set(2.0, &[2, 3]),
            set(1.5, &[1, 2]),
        ];
        (sets, values)
    }

    #[test]
    fn micro_example_strategies_give_the_spec_vectors() {
        let (sets, values) = micro();
        let p = Precision::Double;
        let avg = combine(&sets, ConflictStrategy::Avg, &values, p).unwrap();
        assert_eq!(avg.indices, vec![1, 2, 3, 6, 7, 8, 9]);
        assert_eq!(avg.values, vec![1.5, 1.75, 2.0, 1.5, 1.5, 2.0, 2.0]);
        let max = combine(&sets, ConflictStrategy::Max, &values, p).unwrap();
        assert_eq!(max.values, vec![1.5, 2.0, 2.0, 1.0, 1.0, 2.0, 2.0]);
        let sum = combine(&sets, ConflictStrategy::Sum, &values, p).unwrap();
        assert_eq!(sum.indices, vec![1, 2, 2, 3, 6, 6, 7, 7, 8, 9]);
        assert_eq!(sum.values, vec![1.5, 2.0, 1.5, 2.0, 1.0, 2.0, 1.0, 2.0, 2.0, 2.0]);
        let fca = combine(&sets, ConflictStrategy::FixCritAvg, &values, p).unwrap();
        assert_eq!(fca.values, vec![1.5, 2.0, 2.0, 1.5, 1.0, 2.0, 2.0]);
    }

    #[test]
    fn max_takes_the_target_farthest_from_the_current_value_first_on_ties() {
        let values = [0.0, 0.0, 0.0, 0.0, 3.0];
        let p = Precision::Double;
        let r = combine(&[set(0.1, &[0]), set(-0.4, &[0])], ConflictStrategy::Max, &values, p).unwrap();
        assert_eq!(r.values, vec![-0.4]);
        let r = combine(&[set(4.0, &[4]), set(2.0, &[4])], ConflictStrategy::Max, &values, p).unwrap();
        assert_eq!(r.values, vec![4.0]);
        let r = combine(&[set(2.0, &[4]), set(4.0, &[4])], ConflictStrategy::Max, &values, p).unwrap();
        assert_eq!(r.values, vec![2.0]);
    }

    #[test]
    fn sum_gradient_adds_every_contribution() {
        let (sets, values) = micro();
        let g = gradient(&sets, ConflictStrategy::Sum, &values, Precision::Double).unwrap();
        assert_eq!(g.indices, vec![1, 2, 3, 6, 7, 8, 9]);
        assert_eq!(g.values, vec![-1.0, -1.5, 0.0, 1.0, 1.0, 1.0, 1.0]);
    }

    #[test]
    fn out_of_range_cells_are_errors() {
        let r = combine(&[set(1.0, &[3])], ConflictStrategy::Avg, &[0.0], Precision::Double);
        assert_eq!(r, Err(Error::IndexOutOfRange { idx: 3, size: 1 }));
    }
}
