//! Running core calls off the interpreter: GIL released, a rayon pool of `n_threads`, Ctrl-C
//! polled every 50 ms, panics caught.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

use oineus_diff_core::{Interrupt, Result as CoreResult};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::errors::{panic_to_pyerr, CoreError};

/// More threads than this are never started, whatever `n_threads` asks; results do not depend
/// on the count, so the cap only protects the process.
const MAX_THREADS: usize = 256;

/// Prefix of the names of every thread this module starts.
const THREAD_PREFIX: &str = "oineus-diff";

/// Keep panics on our threads off stderr: their message reaches Python in `InternalError`.
/// Panics on any other thread go to the hook that was installed before.
fn install_quiet_panic_hook() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let ours = std::thread::current()
                .name()
                .is_some_and(|n| n.starts_with(THREAD_PREFIX));
            if !ours {
                previous(info);
            }
        }));
    });
}

/// One pool per distinct thread count, built on first use and kept: building a pool costs
/// about 0.1 ms, looking one up a few microseconds.
fn pool(n_threads: usize) -> PyResult<Arc<rayon::ThreadPool>> {
    static POOLS: OnceLock<Mutex<HashMap<usize, Arc<rayon::ThreadPool>>>> = OnceLock::new();
    let n = n_threads.clamp(1, MAX_THREADS);
    let mut pools = POOLS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(p) = pools.get(&n) {
        return Ok(p.clone());
    }
    let p = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(|i| format!("{THREAD_PREFIX}-{i}"))
        .build()
        .map_err(|e| PyValueError::new_err(format!("cannot start {n} worker threads: {e}")))?;
    let p = Arc::new(p);
    pools.insert(n, p.clone());
    Ok(p)
}

/// Run `job` on a worker thread inside a pool of `n_threads`, with the GIL released.
///
/// The calling thread wakes every 50 ms to run Python's signal handlers; when one raises
/// (Ctrl-C gives `KeyboardInterrupt`), the job's interrupt flag is set, the job stops at its next
/// check, and the handler's exception is returned. A panic in the job becomes `InternalError`.
pub fn run<T, F>(py: Python<'_>, n_threads: usize, job: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce(&Interrupt) -> CoreResult<T> + Send,
{
    install_quiet_panic_hook();
    let pool = pool(n_threads)?;
    let cancel = AtomicBool::new(false);
    // `done` is set by the worker when it returns; the waiter sleeps on the condvar.
    let done = (Mutex::new(false), Condvar::new());
    let wait = |timeout: Option<Duration>| -> bool {
        let (lock, cvar) = &done;
        let mut finished = lock.lock().unwrap_or_else(|e| e.into_inner());
        while !*finished {
            match timeout {
                Some(t) => {
                    let (guard, result) = cvar.wait_timeout(finished, t).unwrap_or_else(|e| e.into_inner());
                    finished = guard;
                    if result.timed_out() {
                        break;
                    }
                }
                None => finished = cvar.wait(finished).unwrap_or_else(|e| e.into_inner()),
            }
        }
        *finished
    };
    std::thread::scope(|scope| {
        let cancel = &cancel;
        let pool = &pool;
        let done = &done;
        let worker = std::thread::Builder::new()
            .name(format!("{THREAD_PREFIX}-call"))
            .spawn_scoped(scope, move || {
                let result = catch_unwind(AssertUnwindSafe(|| pool.install(|| job(&Interrupt::from_flag(cancel)))));
                let (lock, cvar) = done;
                *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
                cvar.notify_all();
                result
            });
        let worker = worker.map_err(|e| PyValueError::new_err(format!("cannot start a worker thread: {e}")))?;
        let mut signal_error = None;
        while !py.detach(|| wait(Some(Duration::from_millis(50)))) {
            if let Err(e) = py.check_signals() {
                cancel.store(true, std::sync::atomic::Ordering::Relaxed);
                signal_error = Some(e);
                // Wait, without the GIL, for the worker to notice the flag.
                py.detach(|| wait(None));
                break;
            }
        }
        let outcome = py.detach(|| worker.join()).unwrap_or_else(Err);
        match (signal_error, outcome) {
            (Some(e), _) => Err(e),
            (None, Ok(result)) => result.map_err(|e| CoreError(e).into()),
            (None, Err(payload)) => Err(panic_to_pyerr(payload)),
        }
    })
}
