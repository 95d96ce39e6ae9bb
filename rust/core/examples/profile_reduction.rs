//! Time the dgm-loss pairs and index diagrams of a 3-D Freudenthal grid of uniform noise, per
//! thread count, with the CPU time they used.
//!
//! `cargo run --release -p oineus_diff_core --example profile_reduction -- [side] [threads...]`
//! (side 64 by default: 6.6M cells; threads 1 2 by default). benchmarks/README.md records what it
//! showed.

use std::time::Instant;

use oineus_diff_core::diagram::persistence;
use oineus_diff_core::filtration::freudenthal::{freudenthal_filtration, FreudenthalParams};
use oineus_diff_core::reduction::{persistence_pairs, Side};
use oineus_diff_core::Interrupt;

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).map(|a| a.parse().expect("integers")).collect();
    let side = args.first().copied().unwrap_or(64);
    let threads: Vec<usize> = if args.len() > 1 { args[1..].to_vec() } else { vec![1, 2] };
    // A splitmix64 stream of uniform values in [0, 1).
    let mut state = 0u64;
    let data: Vec<f64> = (0..side * side * side)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect();
    let params = FreudenthalParams {
        negate: false,
        wrap: false,
        max_dim: 3,
    };
    let fil = freudenthal_filtration(&data, &[side, side, side], &params, &Interrupt::never()).expect("fits");
    println!("cells {}", fil.size());
    for &t in &threads {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(t).build().expect("pool");
        let (start, cpu, per_thread) = (Instant::now(), process_cpu_seconds(), thread_cpu_seconds());
        let pairs = pool
            .install(|| persistence_pairs(&fil, Side::Homology, &Interrupt::never()))
            .expect("fits");
        let (wall, cpu) = (start.elapsed().as_secs_f64(), process_cpu_seconds() - cpu);
        // The busiest thread's CPU time bounds the wall time on idle cores from below.
        let busiest = thread_cpu_seconds()
            .into_iter()
            .map(|(tid, s)| s - per_thread.get(&tid).copied().unwrap_or(0.0))
            .fold(0.0, f64::max);
        println!(
            "threads {t}: {} pairs in {wall:.3} s wall, {cpu:.2} s CPU ({:.2} CPUs busy), busiest thread {busiest:.2} s",
            pairs.len(),
            cpu / wall
        );
        // What the bindings call: the pairs arranged into index diagrams.
        let start = Instant::now();
        let dgms = pool
            .install(|| persistence(&fil, Side::Homology, false, &Interrupt::never()))
            .expect("fits");
        println!(
            "threads {t}: index diagrams ({} H1 rows) in {:.3} s wall",
            dgms.in_dimension(1).len(),
            start.elapsed().as_secs_f64()
        );
    }
}

/// User + system CPU time of each thread of the process so far (Linux), by thread id.
fn thread_cpu_seconds() -> std::collections::HashMap<String, f64> {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Default::default();
    };
    tasks
        .filter_map(|t| {
            let t = t.ok()?;
            let stat = std::fs::read_to_string(t.path().join("stat")).ok()?;
            Some((t.file_name().to_string_lossy().into_owned(), cpu_of_stat(&stat)))
        })
        .collect()
}

/// User + system CPU time of the whole process so far (Linux; 0 elsewhere), in seconds.
fn process_cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    cpu_of_stat(&stat)
}

/// utime + stime of a `/proc/.../stat` line, in seconds (clock ticks of 1/100 s).
fn cpu_of_stat(stat: &str) -> f64 {
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields[11..13].iter().filter_map(|f| f.parse::<f64>().ok()).sum();
    ticks / 100.0
}
