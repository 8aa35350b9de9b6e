// SPDX-License-Identifier: GPL-2.0
/*
 * Memory helpers of the IUC shared memory tests: see memory.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "calls.h"
#include "memory.h"
#include "util.h"

/* Private anonymous read-write memory, or NULL. */
void *shm_anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* ---- patterns ------------------------------------------------------------ */

char *map_hole(size_t before, size_t after)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), len = (before + 1 + after) * pg;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0, len);
	if (munmap(p + before * pg, pg)) {
		munmap(p, len);
		return NULL;
	}
	return p + before * pg;
}

void unmap_hole(char *hole, size_t before, size_t after)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	munmap(hole - before * pg, (before + 1 + after) * pg);
}

uint64_t shm_pat(uint64_t tag, uint64_t page)
{
	uint64_t x = (tag + 1) * 0x9E3779B97F4A7C15ull ^ (page + 1) * 0xC2B2AE3D27D4EB4Full;

	return x ^ (x >> 29);
}

/* ---- probes ---------------------------------------------------------------- */

static sigjmp_buf shm_probe_env;
static volatile sig_atomic_t shm_probe_active;
static volatile sig_atomic_t shm_probe_signo;
static volatile sig_atomic_t shm_probe_code;
static volatile uintptr_t shm_probe_addr;

static void shm_probe_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (!shm_probe_active) {
		/* Not ours: die of it as without a handler. */
		signal(sig, SIG_DFL);
		return;
	}
	shm_probe_active = 0;
	shm_probe_signo = sig;
	shm_probe_code = si->si_code;
	shm_probe_addr = (uintptr_t)si->si_addr;
	siglongjmp(shm_probe_env, 1);
}

int shm_probe_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = shm_probe_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, NULL) || sigaction(SIGBUS, &sa, NULL))
		return -errno;
	return 0;
}

/*
 * Run @fn(@arg); returns the signal (SIGSEGV, SIGBUS) that interrupted
 * it, 0 if none.  @f (may be NULL) gets the details.
 */
int shm_probe(void (*fn)(void *), void *arg, struct shm_fault *f)
{
	shm_probe_signo = 0;
	shm_probe_code = 0;
	shm_probe_addr = 0;
	if (sigsetjmp(shm_probe_env, 1) == 0) {
		shm_probe_active = 1;
		fn(arg);
		shm_probe_active = 0;
	}
	if (f) {
		f->signo = shm_probe_signo;
		f->code = shm_probe_code;
		f->addr = shm_probe_addr;
	}
	return shm_probe_signo;
}

struct shm_job {
	volatile uint64_t *p;
	size_t len;
	uint64_t tag;
	uint64_t val;
	size_t bad;		/* check: offset of the first wrong word */
	bool mismatch;
	long (*code)(void);	/* call */
	volatile uint64_t *q;	/* zero alias: a read-only zero-page word */
};

static void shm_job_read(void *arg)
{
	struct shm_job *j = arg;

	j->val = *j->p;
}

static void shm_job_write(void *arg)
{
	struct shm_job *j = arg;

	*j->p = j->val;
}

static void shm_job_fill(void *arg)
{
	struct shm_job *j = arg;
	volatile char *base = (volatile char *)j->p;

	for (size_t i = 0; i < j->len / PAGE; i++) {
		uint64_t v = shm_pat(j->tag, i);

		*(volatile uint64_t *)(base + i * PAGE) = v;
		*(volatile uint64_t *)(base + i * PAGE + PAGE - 8) = ~v;
	}
}

static void shm_job_check(void *arg)
{
	struct shm_job *j = arg;
	volatile char *base = (volatile char *)j->p;

	j->mismatch = false;
	for (size_t i = 0; i < j->len / PAGE; i++) {
		uint64_t v = shm_pat(j->tag, i);

		if (*(volatile uint64_t *)(base + i * PAGE) != v) {
			j->bad = i * PAGE;
			j->mismatch = true;
			return;
		}
		if (*(volatile uint64_t *)(base + i * PAGE + PAGE - 8) != ~v) {
			j->bad = i * PAGE + PAGE - 8;
			j->mismatch = true;
			return;
		}
	}
}

static void shm_job_call(void *arg)
{
	struct shm_job *j = arg;

	j->val = (uint64_t)j->code();
}

/*
 * Write a marker at *p, read *q (a word of the shared zero page), put *p
 * back at once: only if *p is the zero page itself does *q change.
 */
static void shm_job_zero_alias(void *arg)
{
	struct shm_job *j = arg;
	uint64_t old = *j->p;

	*j->p = 0x5A5A5A5A5A5A5A5Aull;
	j->val = *j->q;
	*j->p = old;
}

/* Read the word at @p: 0 (*@v set) or the signal it raised. */
int shm_read64(const void *p, uint64_t *v, struct shm_fault *f)
{
	struct shm_job j = { .p = (volatile uint64_t *)p };
	int sig = shm_probe(shm_job_read, &j, f);

	if (!sig && v)
		*v = j.val;
	return sig;
}

int shm_write64(void *p, uint64_t v, struct shm_fault *f)
{
	struct shm_job j = { .p = p, .val = v };

	return shm_probe(shm_job_write, &j, f);
}

/* Write the pattern of @tag over [@p, +@len): 0 or the signal. */
int shm_fill(void *p, size_t len, uint64_t tag, struct shm_fault *f)
{
	struct shm_job j = { .p = p, .len = len, .tag = tag };

	return shm_probe(shm_job_fill, &j, f);
}

/*
 * Check the pattern of @tag over [@p, +@len): 0, -EILSEQ (*@bad: offset of
 * the first wrong word) or the signal an access raised.
 */
int shm_check(const void *p, size_t len, uint64_t tag,
			    size_t *bad, struct shm_fault *f)
{
	struct shm_job j = { .p = (volatile uint64_t *)p, .len = len, .tag = tag };
	int sig = shm_probe(shm_job_check, &j, f);

	if (sig)
		return sig;
	if (j.mismatch) {
		if (bad)
			*bad = j.bad;
		return -EILSEQ;
	}
	return 0;
}

/* Call the code at @p: 0 (*@ret: its return value) or the signal. */
int shm_call(const void *p, uint64_t *ret, struct shm_fault *f)
{
	struct shm_job j;
	int sig;

	memset(&j, 0, sizeof(j));
	j.code = (long (*)(void))(uintptr_t)p;
	sig = shm_probe(shm_job_call, &j, f);
	if (!sig && ret)
		*ret = j.val;
	return sig;
}

/*
 * Is the (writable) page at @p the shared zero page?  1 yes, 0 no, or the
 * signal an access raised.  Restores the word it changes at once.
 */
int shm_zero_alias(void *p, struct shm_fault *f)
{
	volatile uint64_t *z = mmap(NULL, PAGE, PROT_READ,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct shm_job j;
	int sig;

	if (z == MAP_FAILED)
		return -errno;
	(void)z[PAGE / 8 - 1];		/* map the zero page */
	memset(&j, 0, sizeof(j));
	j.p = (volatile uint64_t *)((char *)p + PAGE - 8);
	j.q = z + PAGE / 8 - 1;
	sig = shm_probe(shm_job_zero_alias, &j, f);
	munmap((void *)z, PAGE);
	if (sig)
		return sig;
	return j.val == 0x5A5A5A5A5A5A5A5Aull;
}

/* ---- witnesses ------------------------------------------------------------------- */

/*
 * A pipe referencing the @n pages at @pages[i] (vmsplice, no copy):
 * @pfd[0] reads them as they are at read time.  0 or -errno.
 */
int witness_take(int pfd[2], void *const *pages, int n)
{
	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	if (n > 16 && fcntl(pfd[1], F_SETPIPE_SZ, n * (int)PAGE) < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		struct iovec iov = { .iov_base = pages[i], .iov_len = PAGE };

		if (vmsplice(pfd[1], &iov, 1, 0) != (ssize_t)PAGE)
			return -errno;
	}
	return 0;
}

/* Read the next witnessed page into @buf (PAGE bytes). */
int witness_read(int rd, void *buf)
{
	return read_full(rd, buf, PAGE, TIMEOUT_MS);
}

/* ---- /proc readers ------------------------------------------------------------ */


/* The /proc/self/pagemap entry of @addr; 0 or -errno. */
int pagemap_entry(const void *addr, uint64_t *ent)
{
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = pread(fd, ent, sizeof(*ent), (off_t)((uintptr_t)addr / PAGE * 8));
	close(fd);
	if (n < 0)
		return -errno;
	return n == sizeof(*ent) ? 0 : -EIO;
}

/* The PFN mapped at @addr (0 if none or hidden), after touching it by read. */
uint64_t pfn_of(const void *addr)
{
	uint64_t ent = 0;

	if (shm_read64(addr, NULL, NULL))
		return 0;
	if (pagemap_entry(addr, &ent) || !(ent & PM_PRESENT))
		return 0;
	return ent & PM_PFN_MASK;
}

/* The PFN of the shared zero page, as a read fault maps it; 0 on failure. */
uint64_t zero_pfn(void)
{
	void *p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t pfn;

	if (p == MAP_FAILED)
		return 0;
	pfn = pfn_of(p);
	munmap(p, PAGE);
	return pfn;
}

/* A counter of /proc/vmstat, or -1. */
long long vmstat_read(const char *name)
{
	FILE *f = fopen("/proc/vmstat", "re");
	char key[128];
	long long val, ret = -1;

	if (!f)
		return -1;
	while (fscanf(f, "%127s %lld", key, &val) == 2) {
		if (!strcmp(key, name)) {
			ret = val;
			break;
		}
	}
	fclose(f);
	return ret;
}

/*
 * FOLL_PIN counters, folded first: the per-cpu deltas of node counters
 * reach /proc/vmstat lazily, writing /proc/sys/vm/stat_refresh folds them.
 * 0 or -errno.
 */
int pin_counters(long long *acquired, long long *released)
{
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY | O_CLOEXEC);

	*acquired = *released = -1;
	if (fd < 0)
		return -errno;
	/* EINVAL only says some counter was transiently negative */
	if (write(fd, "1", 1) < 0 && errno != EINVAL) {
		close(fd);
		return -errno;
	}
	close(fd);
	*acquired = vmstat_read("nr_foll_pin_acquired");
	*released = vmstat_read("nr_foll_pin_released");
	return *acquired < 0 || *released < 0 ? -ENOENT : 0;
}

/*
 * Wait (at most @timeout_ms) until every FOLL_PIN was released: contexts
 * of exited processes end on a workqueue, so the last unpins may lag the
 * exit.  0 when balanced, else -ETIMEDOUT (the last values in @acq, @rel).
 */
int wait_pins_balanced(int timeout_ms, long long *acq, long long *rel)
{
	for (int waited = 0;; waited += 20) {
		int ret = pin_counters(acq, rel);

		if (ret)
			return ret;
		if (*acq == *rel)
			return 0;
		if (waited >= timeout_ms)
			return -ETIMEDOUT;
		usleep(20000);
	}
}

/* VmSize of the caller in bytes (what RLIMIT_AS limits), or 0. */
uint64_t vm_size(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	unsigned long long kb = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmSize: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

/* Is [@addr, +@len) free of mappings in /proc/self/maps?  -errno on error. */
int range_unmapped(uint64_t addr, uint64_t len)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	int ret = 1;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, e;

		if (sscanf(line, "%llx-%llx", &s, &e) != 2)
			continue;
		if (s < addr + len && addr < e)
			ret = 0;
	}
	fclose(f);
	return ret;
}
