/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Memory helpers of the IUC shared memory tests.
 *
 * - patterns:   one 64-bit word at the start and its complement at the end
 *               of every page, derived from a tag and the page index, so a
 *               page that moved, was lost or was replaced is caught.
 * - probes:     memory accesses that may fault.  With the handlers of
 *               shm_probe_install() in place (a test or peer installs them
 *               itself: nothing here runs before main), a SIGSEGV or SIGBUS
 *               inside a probe siglongjmp()s back, so the caller learns
 *               *which* signal an access raised, with its si_code and
 *               si_addr.  A fault outside a probe kills the process as usual.
 * - witnesses:  vmsplice(2) of the sharer's pages into a pipe keeps a
 *               reference to those very frames (FOLL_GET, no copy); reading
 *               the pipe later returns their *current* contents.
 * - pagemap and /proc/vmstat readers (PFNs, FOLL_PIN counters).  pagemap
 *               cannot show a receiver's frames: the page walker skips
 *               VM_PFNMAP ranges (reported not present).
 */
#ifndef IUC_LIB_MEMORY_H
#define IUC_LIB_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif

/* Private anonymous read-write memory, or NULL. */
void *shm_anon(size_t len);
/*
 * An unmapped page with @before pages of zeroed, populated read-write
 * memory right before it and @after pages after it (bad buffers that
 * start good and run into the hole): the hole, or NULL.  unmap_hole()
 * takes the same counts and unmaps the rest.
 */
char *map_hole(size_t before, size_t after);
void unmap_hole(char *hole, size_t before, size_t after);
uint64_t shm_pat(uint64_t tag, uint64_t page);

struct shm_fault {
	int signo;		/* 0: no fault */
	int code;		/* si_code */
	uintptr_t addr;		/* si_addr */
};

/* SIGSEGV and SIGBUS handlers of the probes, for the whole process. */
int shm_probe_install(void);
/*
 * Run @fn(@arg); returns the signal (SIGSEGV, SIGBUS) that interrupted
 * it, 0 if none.  @f (may be NULL) gets the details.
 */
int shm_probe(void (*fn)(void *), void *arg, struct shm_fault *f);
/* Read the word at @p: 0 (*@v set) or the signal it raised. */
int shm_read64(const void *p, uint64_t *v, struct shm_fault *f);
int shm_write64(void *p, uint64_t v, struct shm_fault *f);
/* Write the pattern of @tag over [@p, +@len): 0 or the signal. */
int shm_fill(void *p, size_t len, uint64_t tag, struct shm_fault *f);
/*
 * Check the pattern of @tag over [@p, +@len): 0, -EILSEQ (*@bad: offset of
 * the first wrong word) or the signal an access raised.
 */
int shm_check(const void *p, size_t len, uint64_t tag, size_t *bad,
	      struct shm_fault *f);
/* Call the code at @p: 0 (*@ret: its return value) or the signal. */
int shm_call(const void *p, uint64_t *ret, struct shm_fault *f);
/*
 * Is the (writable) page at @p the shared zero page?  1 yes, 0 no, or the
 * signal an access raised.  Restores the word it changes at once.
 */
int shm_zero_alias(void *p, struct shm_fault *f);

/*
 * A pipe referencing the @n pages at @pages[i] (vmsplice, no copy):
 * @pfd[0] reads them as they are at read time.  0 or -errno.
 */
int witness_take(int pfd[2], void *const *pages, int n);
/* Read the next witnessed page into @buf (PAGE bytes). */
int witness_read(int rd, void *buf);

#define PM_PRESENT	(1ull << 63)
#define PM_PFN_MASK	((1ull << 55) - 1)

/* The /proc/self/pagemap entry of @addr; 0 or -errno. */
int pagemap_entry(const void *addr, uint64_t *ent);
/* The PFN mapped at @addr (0 if none or hidden), after touching it by read. */
uint64_t pfn_of(const void *addr);
/* The PFN of the shared zero page, as a read fault maps it; 0 on failure. */
uint64_t zero_pfn(void);
/* A counter of /proc/vmstat, or -1. */
long long vmstat_read(const char *name);
/* FOLL_PIN counters (per-cpu deltas folded first).  0 or -errno. */
int pin_counters(long long *acquired, long long *released);
/*
 * Wait (at most @timeout_ms) until every FOLL_PIN was released.  0 when
 * balanced, else -ETIMEDOUT (the last values in @acq, @rel).
 */
int wait_pins_balanced(int timeout_ms, long long *acq, long long *rel);
/* VmSize of the caller in bytes (what RLIMIT_AS limits), or 0. */
uint64_t vm_size(void);
/* Is [@addr, +@len) free of mappings in /proc/self/maps?  -errno on error. */
int range_unmapped(uint64_t addr, uint64_t len);

#ifdef __cplusplus
}
#endif

#endif /* IUC_LIB_MEMORY_H */
