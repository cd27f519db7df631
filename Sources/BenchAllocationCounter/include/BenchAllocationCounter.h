#ifndef BENCH_ALLOCATION_COUNTER_H
#define BENCH_ALLOCATION_COUNTER_H

#include <stdint.h>

/// Counts heap allocations (malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign,
/// valloc, pvalloc) made by any code in the process — Swift runtime, OpenSSL, Foundation —
/// while counting is enabled. The functions are interposed by defining them in the executable;
/// each forwards to glibc's `__libc_*` entry point.
///
/// Counters are process-wide relaxed atomics: the benchmark is single-threaded, so a count taken
/// between `mw_alloc_counter_start()` and `mw_alloc_counter_stop()` is the allocations of the
/// measured code (and nothing else, as long as no other thread allocates meanwhile).

typedef struct {
    uint64_t allocations;   ///< malloc + calloc + realloc + the aligned variants
    uint64_t frees;         ///< free calls with a non-NULL pointer
    uint64_t bytes;         ///< bytes requested by those allocations
} mw_alloc_counts;

/// Zeroes the counters and starts counting.
void mw_alloc_counter_start(void);
/// Stops counting and returns what was counted since the last start.
mw_alloc_counts mw_alloc_counter_stop(void);
/// Whether the interposed allocator is the one the process actually uses (false if the linker
/// did not route malloc through this library, in which case every count would read 0).
int mw_alloc_counter_is_active(void);

/// Asks the CPU to start loading the cache line at `address` (a hint; never faults).
static inline void mw_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

#endif
