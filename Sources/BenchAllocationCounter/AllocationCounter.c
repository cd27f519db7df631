// Heap-allocation counting for mitmwatch-bench: the allocator entry points are defined here, in
// the executable, so the dynamic linker binds every caller (libswiftCore, libcrypto, libc itself)
// to these; each one counts and forwards to glibc's internal `__libc_*` implementation.
#define _GNU_SOURCE
#include "BenchAllocationCounter.h"

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void __libc_free(void *pointer);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void *__libc_valloc(size_t size);
extern void *__libc_pvalloc(size_t size);

static atomic_int counting;
static atomic_int interposed;
static atomic_uint_fast64_t allocation_count;
static atomic_uint_fast64_t free_count;
static atomic_uint_fast64_t byte_count;

static inline void count_allocation(size_t size) {
    atomic_store_explicit(&interposed, 1, memory_order_relaxed);
    if (atomic_load_explicit(&counting, memory_order_relaxed)) {
        atomic_fetch_add_explicit(&allocation_count, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&byte_count, size, memory_order_relaxed);
    }
}

void *malloc(size_t size) {
    count_allocation(size);
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    count_allocation(count * size);
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    count_allocation(size);
    return __libc_realloc(pointer, size);
}

void free(void *pointer) {
    if (pointer != NULL && atomic_load_explicit(&counting, memory_order_relaxed)) {
        atomic_fetch_add_explicit(&free_count, 1, memory_order_relaxed);
    }
    __libc_free(pointer);
}

static int is_power_of_two(size_t value) { return value != 0 && (value & (value - 1)) == 0; }

int posix_memalign(void **result, size_t alignment, size_t size) {
    if (!is_power_of_two(alignment) || alignment % sizeof(void *) != 0) return EINVAL;
    count_allocation(size);
    void *pointer = __libc_memalign(alignment, size);
    if (pointer == NULL) return ENOMEM;
    *result = pointer;
    return 0;
}

void *aligned_alloc(size_t alignment, size_t size) {
    count_allocation(size);
    return __libc_memalign(alignment, size);
}

void *memalign(size_t alignment, size_t size) {
    count_allocation(size);
    return __libc_memalign(alignment, size);
}

void *valloc(size_t size) {
    count_allocation(size);
    return __libc_valloc(size);
}

void *pvalloc(size_t size) {
    count_allocation(size);
    return __libc_pvalloc(size);
}

void mw_alloc_counter_start(void) {
    atomic_store_explicit(&allocation_count, 0, memory_order_relaxed);
    atomic_store_explicit(&free_count, 0, memory_order_relaxed);
    atomic_store_explicit(&byte_count, 0, memory_order_relaxed);
    atomic_store_explicit(&counting, 1, memory_order_seq_cst);
}

mw_alloc_counts mw_alloc_counter_stop(void) {
    atomic_store_explicit(&counting, 0, memory_order_seq_cst);
    mw_alloc_counts counts = {
        .allocations = atomic_load_explicit(&allocation_count, memory_order_relaxed),
        .frees = atomic_load_explicit(&free_count, memory_order_relaxed),
        .bytes = atomic_load_explicit(&byte_count, memory_order_relaxed),
    };
    return counts;
}

int mw_alloc_counter_is_active(void) {
    return atomic_load_explicit(&interposed, memory_order_relaxed);
}
