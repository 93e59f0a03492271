//! The rayon thread pool of thresher, safe across `fork()`.
//!
//! Every kernel runs inside this pool (never rayon's global one) so that:
//! * `set_num_threads` can change its size at any time;
//! * a child process made by `fork()` (multiprocessing, DataLoader workers) does not
//!   deadlock on a pool whose threads exist only in the parent: an atfork hook marks
//!   the pool stale, and the child builds a fresh one on first use.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once};

use rayon::{ThreadPool, ThreadPoolBuilder};

static POOL: Mutex<Option<Arc<ThreadPool>>> = Mutex::new(None);
static FORKED: AtomicBool = AtomicBool::new(false);
static REQUESTED: AtomicUsize = AtomicUsize::new(0);
static HOOK: Once = Once::new();

extern "C" fn after_fork_in_child() {
    FORKED.store(true, Ordering::SeqCst);
}

fn default_threads() -> usize {
    std::env::var("THRESHER_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The pool kernels run in, built on first use (and again after a fork).
pub fn pool() -> Arc<ThreadPool> {
    HOOK.call_once(|| unsafe {
        libc::pthread_atfork(None, None, Some(after_fork_in_child));
    });
    let mut slot = POOL.lock().unwrap_or_else(|e| e.into_inner());
    if FORKED.swap(false, Ordering::SeqCst) {
        // The parent's worker threads do not exist here; dropping the pool would wait
        // for them forever, so it is leaked on purpose.
        if let Some(stale) = slot.take() {
            std::mem::forget(stale);
        }
    }
    if slot.is_none() {
        let requested = REQUESTED.load(Ordering::SeqCst);
        let threads = if requested > 0 {
            requested
        } else {
            default_threads()
        };
        let pool = ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("thresher-{i}"))
            .build()
            .expect("building the thread pool");
        *slot = Some(Arc::new(pool));
    }
    slot.as_ref().expect("pool was just built").clone()
}

/// Use `threads` worker threads from now on (0 = the default).
pub fn set_num_threads(threads: usize) {
    REQUESTED.store(threads, Ordering::SeqCst);
    let mut slot = POOL.lock().unwrap_or_else(|e| e.into_inner());
    *slot = None;
}

/// The number of worker threads kernels use.
pub fn num_threads() -> usize {
    pool().current_num_threads()
}
