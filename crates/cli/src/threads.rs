//! How many threads candle's matrix products split into, fixed once per process.
//!
//! candle 0.11 asks `RAYON_NUM_THREADS` how many threads a gemm may use, whatever rayon pool it
//! runs in, and when the variable is unset it counts the physical cores again, by reading
//! `/proc/cpuinfo`, on every matrix product (638 reads for three tiny trials, seen with
//! strace). Those reads, and products split for more threads than a search worker owns, made
//! two trials at once each run twice as slowly as one alone on two cores.

/// Sets `RAYON_NUM_THREADS` to `threads` unless the user set it. Call it first thing in a
/// command, before the process starts any other thread.
pub fn set_matrix_threads(threads: usize) {
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        // SAFETY: commands call this before starting any thread, so nothing reads the
        // environment concurrently.
        unsafe { std::env::set_var("RAYON_NUM_THREADS", threads.max(1).to_string()) };
    }
}

/// The cores this process may use.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}
