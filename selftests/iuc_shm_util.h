/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the IUC shared memory selftests (iuc_shm_*_test.c).
 *
 * Include after kselftest_harness.h and iuc_test_util.h.  Like
 * iuc_test_util.h, nothing here uses the harness's ASSERT/EXPECT macros:
 * helpers return values that the tests check.
 *
 * - shm_*():    wrappers of the memory calls (0x33..0x36), same conventions
 *               as iuc_test_util.h (ERR_SENTINEL preset, 0 or -errno).
 * - probes:     memory accesses that may fault.  A SIGSEGV or SIGBUS
 *               handler (installed for the whole program by a constructor)
 *               siglongjmp()s back, so a test learns *which* signal an
 *               access raised, with its si_code and si_addr.  A fault
 *               outside a probe kills the process as usual.
 * - patterns:   one 64-bit word at the start and its complement at the end
 *               of every page, derived from a tag and the page index, so a
 *               page that moved, was lost or was replaced is caught.
 * - pagemap and /proc/vmstat readers (PFNs, FOLL_PIN counters).  pagemap
 *               cannot show the receiver's frames: the page walker skips
 *               VM_PFNMAP ranges (reported not present).
 * - witnesses:  vmsplice(2) of the sharer's pages into a pipe keeps a
 *               reference to those very frames (FOLL_GET, no copy); reading
 *               the pipe later returns their *current* contents.  When it
 *               returns what the receiver wrote into its mapping, the
 *               receiver's mapping is the sharer's frames: zero copy.
 * - memory peers (mp_*): a child process with an IUC context of its own
 *               that runs memory commands sent by the test (map by id,
 *               read/write/fill/check with fault reporting, share, info,
 *               setrlimit, setuid, exec...).  Each command is synchronous.
 *               A peer can exec(2) /proc/self/exe and carry on in the new
 *               image (same commands, same pipes, same IUC fd), which is
 *               how a test gives one receiver two address spaces.
 */
#ifndef IUC_SHM_UTIL_H
#define IUC_SHM_UTIL_H

#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif

#define PAGE			4096UL
#define SHM_ACCESS_RW		(IUC_ACCESS_READ | IUC_ACCESS_WRITE)

/* ---- the memory calls ---------------------------------------------------- */

/* Arguments of a SHARE_MEM of [@addr, +@len) to @target. */
static inline struct iuc_share_mem shm_args(pid_t target, const void *addr,
					    uint64_t len, uint8_t mode,
					    uint8_t access, uint8_t notify)
{
	struct iuc_share_mem a;

	memset(&a, 0, sizeof(a));
	a.target_pid = (uint64_t)target;
	a.addr = (uint64_t)(uintptr_t)addr;
	a.length = len;
	a.mode = mode;
	a.access = access;
	a.notify = notify;
	return a;
}

/* SHARE_MEM with @a; @a->error and @a->segment are the results. */
static inline int shm_share(int fd, struct iuc_share_mem *a)
{
	a->error = ERR_SENTINEL;
	return iuc_ioctl(fd, IUC_IOC_SHARE_MEM, a);
}

static inline int shm_unshare(int fd, uint64_t seg, uint32_t *err)
{
	struct iuc_unshare_mem a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.error = ERR_SENTINEL;
	a.segment = seg;
	ret = iuc_ioctl(fd, IUC_IOC_UNSHARE_MEM, &a);
	if (err)
		*err = a.error;
	return ret;
}

static inline int shm_unmap(int fd, uint64_t seg, uint32_t *err)
{
	struct iuc_mem_unmap a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.error = ERR_SENTINEL;
	a.segment = seg;
	ret = iuc_ioctl(fd, IUC_IOC_MEM_UNMAP, &a);
	if (err)
		*err = a.error;
	return ret;
}

/* MEM_SHARING_INFO of @seg into @out (whose @error is the code). */
static inline int shm_info(int fd, uint64_t seg, struct iuc_mem_sharing_info *out)
{
	memset(out, 0, sizeof(*out));
	out->error = ERR_SENTINEL;
	out->segment = seg;
	return iuc_ioctl(fd, IUC_IOC_MEM_SHARING_INFO, out);
}

/* mmap(2) of segment @seg from the IUC fd @fd; the address or MAP_FAILED. */
static inline void *shm_mmap_id(int fd, uint64_t seg, size_t len, int prot,
				int flags)
{
	return mmap(NULL, len, prot, flags, fd, (off_t)(seg * PAGE));
}

/* A context that handles RECV_SHARED_MEM and UNSHARED_MEM (records), READY. */
static inline int shm_open_ctx(void)
{
	int fd = iuc_open();

	if (fd < 0)
		return -errno;
	if (iuc_handle_signal(fd, IUC_SIG_RECV_SHARED_MEM, 0, NULL) ||
	    iuc_handle_signal(fd, IUC_SIG_UNSHARED_MEM, 0, NULL) ||
	    iuc_ready(fd, NULL)) {
		close(fd);
		return -EIO;
	}
	return fd;
}

/* Private anonymous read-write memory, or NULL. */
static inline void *shm_anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* ---- patterns ------------------------------------------------------------ */

static inline uint64_t shm_pat(uint64_t tag, uint64_t page)
{
	uint64_t x = (tag + 1) * 0x9E3779B97F4A7C15ull ^ (page + 1) * 0xC2B2AE3D27D4EB4Full;

	return x ^ (x >> 29);
}

/* ---- probes ---------------------------------------------------------------- */

struct shm_fault {
	int signo;		/* 0: no fault */
	int code;		/* si_code */
	uintptr_t addr;		/* si_addr */
};

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

static inline int shm_probe_install(void)
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
static inline int shm_probe(void (*fn)(void *), void *arg, struct shm_fault *f)
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
static inline int shm_read64(const void *p, uint64_t *v, struct shm_fault *f)
{
	struct shm_job j = { .p = (volatile uint64_t *)p };
	int sig = shm_probe(shm_job_read, &j, f);

	if (!sig && v)
		*v = j.val;
	return sig;
}

static inline int shm_write64(void *p, uint64_t v, struct shm_fault *f)
{
	struct shm_job j = { .p = p, .val = v };

	return shm_probe(shm_job_write, &j, f);
}

/* Write the pattern of @tag over [@p, +@len): 0 or the signal. */
static inline int shm_fill(void *p, size_t len, uint64_t tag, struct shm_fault *f)
{
	struct shm_job j = { .p = p, .len = len, .tag = tag };

	return shm_probe(shm_job_fill, &j, f);
}

/*
 * Check the pattern of @tag over [@p, +@len): 0, -EILSEQ (*@bad: offset of
 * the first wrong word) or the signal an access raised.
 */
static inline int shm_check(const void *p, size_t len, uint64_t tag,
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
static inline int shm_call(const void *p, uint64_t *ret, struct shm_fault *f)
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
static inline int shm_zero_alias(void *p, struct shm_fault *f)
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
static inline int witness_take(int pfd[2], void *const *pages, int n)
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
static inline int witness_read(int rd, void *buf)
{
	return read_full(rd, buf, PAGE, TIMEOUT_MS);
}

/* ---- /proc readers ------------------------------------------------------------ */

#define PM_PRESENT	(1ull << 63)
#define PM_PFN_MASK	((1ull << 55) - 1)

/* The /proc/self/pagemap entry of @addr; 0 or -errno. */
static inline int pagemap_entry(const void *addr, uint64_t *ent)
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
static inline uint64_t pfn_of(const void *addr)
{
	uint64_t ent = 0;

	if (shm_read64(addr, NULL, NULL))
		return 0;
	if (pagemap_entry(addr, &ent) || !(ent & PM_PRESENT))
		return 0;
	return ent & PM_PFN_MASK;
}

/* The PFN of the shared zero page, as a read fault maps it; 0 on failure. */
static inline uint64_t zero_pfn(void)
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
static inline long long vmstat_read(const char *name)
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
static inline int pin_counters(long long *acquired, long long *released)
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
static inline int wait_pins_balanced(int timeout_ms, long long *acq, long long *rel)
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
static inline uint64_t vm_size(void)
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
static inline int range_unmapped(uint64_t addr, uint64_t len)
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

/* Wait up to TIMEOUT_MS for @fd's next record (of any code). */
static inline int shm_next_sig(int fd, struct iuc_signal *s)
{
	return iuc_read_sig(fd, s, TIMEOUT_MS);
}

/* ---- memory peers -------------------------------------------------------------- */

enum mp_op {
	MP_OPEN = 1,	/* a0: 1 = without O_CLOEXEC */
	MP_CLOSE,	/* close the IUC fd */
	MP_HANDLE,	/* a0 code */
	MP_READY,
	MP_READ_SIG,	/* a0 timeout ms -> sig */
	MP_POLL,	/* a0 timeout ms -> ret revents */
	MP_MMAP_ANON,	/* a0 len, a1 prot, a2 extra flags -> v0 addr */
	MP_MMAP_ID,	/* a0 len, a1 prot, a2 flags, a3 segment -> v0 addr */
	MP_MUNMAP,	/* a0 addr, a1 len */
	MP_MPROTECT,	/* a0 addr, a1 len, a2 prot */
	MP_READ64,	/* a0 addr -> v0 */
	MP_WRITE64,	/* a0 addr, a1 value */
	MP_FILL,	/* a0 addr, a1 len, a2 tag */
	MP_CHECK,	/* a0 addr, a1 len, a2 tag -> ret -EILSEQ, v0 offset */
	MP_CALL,	/* a0 addr -> v0 return value */
	MP_SHARE,	/* share in/out */
	MP_UNSHARE,	/* a0 segment */
	MP_UNMAP,	/* a0 segment */
	MP_INFO,	/* a0 segment -> info */
	MP_ZERO_ALIAS,	/* a0 addr -> ret: is it the zero page (1/0) */
	MP_SETRLIMIT,	/* a0 resource, a1 cur, a2 max */
	MP_SETUID,	/* a0 uid: setresuid/gid, drops every capability */
	MP_DROP_CAP,	/* a0 capability */
	MP_UNSHARE_IPC,	/* unshare(CLONE_NEWIPC) */
	MP_VMSIZE,	/* -> v0 VmSize in bytes */
	MP_EXEC,	/* exec /proc/self/exe, carry on there */
};

struct mp_msg {
	uint32_t op;
	uint32_t __pad;
	uint64_t a[4];
	struct iuc_share_mem share;
};

struct mp_reply {
	int64_t ret;		/* 0 / -errno (or revents, bytes) */
	uint32_t error;		/* the call's @error field */
	int32_t signo;		/* probes: the signal an access raised, 0 if none */
	int32_t si_code;
	uint32_t __pad;
	uint64_t fault_addr;
	uint64_t v[2];
	struct iuc_share_mem share;
	struct iuc_mem_sharing_info info;
	struct iuc_signal sig;
};

struct mpeer {
	pid_t pid;
	int cmd;		/* test -> peer */
	int rsp;		/* peer -> test */
};

#define MP_ENV "IUC_SHM_PEER"

static inline void mp_do(const struct mp_msg *m, struct mp_reply *r, int *fd)
{
	struct shm_fault f = { 0 };
	void *addr = (void *)(uintptr_t)m->a[0];

	switch (m->op) {
	case MP_OPEN: {
		int nfd = open(IUC_DEV, O_RDWR | (m->a[0] ? 0 : O_CLOEXEC));

		r->ret = nfd < 0 ? -errno : 0;
		if (nfd >= 0)
			*fd = nfd;
		break;
	}
	case MP_CLOSE:
		r->ret = close(*fd) ? -errno : 0;
		*fd = -1;
		break;
	case MP_HANDLE:
		r->ret = iuc_handle_signal(*fd, m->a[0], 0, &r->error);
		break;
	case MP_READY:
		r->ret = iuc_ready(*fd, &r->error);
		break;
	case MP_READ_SIG:
		r->ret = iuc_read_sig(*fd, &r->sig, (int)m->a[0]);
		break;
	case MP_POLL:
		r->ret = iuc_poll(*fd, POLLIN, (int)m->a[0]);
		break;
	case MP_MMAP_ANON: {
		void *p = mmap(NULL, m->a[0], (int)m->a[1],
			       MAP_PRIVATE | MAP_ANONYMOUS | (int)m->a[2], -1, 0);

		r->ret = p == MAP_FAILED ? -errno : 0;
		r->v[0] = p == MAP_FAILED ? 0 : (uintptr_t)p;
		break;
	}
	case MP_MMAP_ID: {
		void *p = shm_mmap_id(*fd, m->a[3], m->a[0], (int)m->a[1], (int)m->a[2]);

		r->ret = p == MAP_FAILED ? -errno : 0;
		r->v[0] = p == MAP_FAILED ? 0 : (uintptr_t)p;
		break;
	}
	case MP_MUNMAP:
		r->ret = munmap(addr, m->a[1]) ? -errno : 0;
		break;
	case MP_MPROTECT:
		r->ret = mprotect(addr, m->a[1], (int)m->a[2]) ? -errno : 0;
		break;
	case MP_READ64:
		shm_read64(addr, &r->v[0], &f);
		break;
	case MP_WRITE64:
		shm_write64(addr, m->a[1], &f);
		break;
	case MP_FILL:
		shm_fill(addr, m->a[1], m->a[2], &f);
		break;
	case MP_CHECK: {
		size_t bad = 0;
		int ret = shm_check(addr, m->a[1], m->a[2], &bad, &f);

		r->ret = ret < 0 ? ret : 0;
		r->v[0] = bad;
		break;
	}
	case MP_CALL:
		shm_call(addr, &r->v[0], &f);
		break;
	case MP_SHARE:
		r->share = m->share;
		r->ret = shm_share(*fd, &r->share);
		r->error = r->share.error;
		break;
	case MP_UNSHARE:
		r->ret = shm_unshare(*fd, m->a[0], &r->error);
		break;
	case MP_UNMAP:
		r->ret = shm_unmap(*fd, m->a[0], &r->error);
		break;
	case MP_INFO:
		r->ret = shm_info(*fd, m->a[0], &r->info);
		r->error = r->info.error;
		break;
	case MP_ZERO_ALIAS: {
		int ret = shm_zero_alias(addr, &f);

		r->ret = ret < 0 ? ret : 0;
		r->v[0] = ret == 1;
		break;
	}
	case MP_SETRLIMIT: {
		struct rlimit rl = { .rlim_cur = m->a[1], .rlim_max = m->a[2] };

		r->ret = setrlimit((int)m->a[0], &rl) ? -errno : 0;
		break;
	}
	case MP_SETUID: {
		uid_t u = (uid_t)m->a[0];

		r->ret = setgroups(0, NULL) || setresgid(u, u, u) ||
			 setresuid(u, u, u) ? -errno : 0;
		break;
	}
	case MP_DROP_CAP:
		r->ret = drop_cap((int)m->a[0]);
		break;
	case MP_UNSHARE_IPC:
		r->ret = unshare(CLONE_NEWIPC) ? -errno : 0;
		break;
	case MP_VMSIZE:
		r->v[0] = vm_size();
		break;
	default:
		r->ret = -ENOSYS;
		break;
	}
	r->signo = f.signo;
	r->si_code = f.code;
	r->fault_addr = f.addr;
}

static inline int mp_reply_send(int rsp, struct mp_reply *r)
{
	return write_full(rsp, r, sizeof(*r));
}

/* exec(2) /proc/self/exe keeping @cmd, @rsp and @fd; returns -errno on failure. */
static inline int mp_exec(int cmd, int rsp, int fd)
{
	char env[64];
	char *argv[] = { (char *)"iuc_shm_peer", NULL };
	int keep[] = { cmd, rsp, fd };

	for (int i = 0; i < 3; i++)
		if (keep[i] >= 0 && fcntl(keep[i], F_SETFD, 0))
			return -errno;
	snprintf(env, sizeof(env), "%d:%d:%d", cmd, rsp, fd);
	if (setenv(MP_ENV, env, 1))
		return -errno;
	execv("/proc/self/exe", argv);
	return -errno;
}

static __attribute__((noreturn)) void mp_main(int cmd, int rsp, int fd)
{
	for (;;) {
		struct mp_msg m;
		struct mp_reply r;
		ssize_t n;

		do {
			n = read(cmd, &m, sizeof(m));
		} while (n < 0 && errno == EINTR);
		if (n == 0)
			_exit(0);	/* the test closed the command pipe */
		if (n != (ssize_t)sizeof(m))
			_exit(91);
		memset(&r, 0, sizeof(r));
		r.error = ERR_SENTINEL;
		if (m.op == MP_EXEC) {
			/* Only a failed exec replies here; the new image replies. */
			r.ret = mp_exec(cmd, rsp, fd);
		} else {
			mp_do(&m, &r, &fd);
		}
		if (mp_reply_send(rsp, &r))
			_exit(92);
	}
}

/*
 * Every test binary: a peer that exec'd /proc/self/exe lands here before
 * the harness starts, and carries on as the same peer.  Also installs the
 * probe handlers for the whole program.
 */
static void __attribute__((constructor)) mp_exec_entry(void)
{
	const char *e = getenv(MP_ENV);
	int cmd, rsp, fd;
	struct mp_reply r;

	if (shm_probe_install())
		_exit(94);
	if (!e || sscanf(e, "%d:%d:%d", &cmd, &rsp, &fd) != 3)
		return;
	unsetenv(MP_ENV);
	fcntl(cmd, F_SETFD, FD_CLOEXEC);
	fcntl(rsp, F_SETFD, FD_CLOEXEC);
	memset(&r, 0, sizeof(r));
	r.v[0] = (uint64_t)getpid();
	if (mp_reply_send(rsp, &r))
		_exit(92);
	mp_main(cmd, rsp, fd);
}

/* Start a peer (no IUC context yet).  0 or -errno. */
static inline int mp_start(struct mpeer *p)
{
	int c[2], r[2];
	pid_t parent = getpid();
	pid_t pid;

	p->pid = -1;
	p->cmd = p->rsp = -1;
	if (pipe2(c, O_CLOEXEC))
		return -errno;
	if (pipe2(r, O_CLOEXEC)) {
		close(c[0]);
		close(c[1]);
		return -errno;
	}
	signal(SIGPIPE, SIG_IGN);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int keep[] = { c[0], r[1] };

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(93);
		close_all_but(keep, 2);
		mp_main(c[0], r[1], -1);
	}
	close(c[0]);
	close(r[1]);
	p->pid = pid;
	p->cmd = c[1];
	p->rsp = r[0];
	return 0;
}

/* Run one command; the reply in @r.  0 or -errno of the transport. */
static inline int mp_call(struct mpeer *p, struct mp_msg *m, struct mp_reply *r,
			  int extra_ms)
{
	int ret = write_full(p->cmd, m, sizeof(*m));

	if (!ret)
		ret = read_full(p->rsp, r, sizeof(*r), TIMEOUT_MS + extra_ms);
	if (ret) {
		fprintf(stderr, "# peer %d: command %u failed: %s\n",
			p->pid, m->op, strerror(-ret));
		memset(r, 0, sizeof(*r));
		r->ret = AG_BROKEN;
	}
	return ret;
}

/* Command @op; r->ret (AG_BROKEN if the peer is gone).  @r may be NULL. */
static inline int64_t mp_cmd(struct mpeer *p, uint32_t op, uint64_t a0,
			     uint64_t a1, uint64_t a2, uint64_t a3,
			     struct mp_reply *r)
{
	struct mp_msg m;
	struct mp_reply tmp;
	int extra = 0;

	if (!r)
		r = &tmp;
	memset(&m, 0, sizeof(m));
	m.op = op;
	m.a[0] = a0;
	m.a[1] = a1;
	m.a[2] = a2;
	m.a[3] = a3;
	if (op == MP_READ_SIG || op == MP_POLL)
		extra = (int)a0;
	if (op == MP_FILL || op == MP_CHECK || op == MP_EXEC)
		extra = 120000;
	mp_call(p, &m, r, extra);
	return r->ret;
}

#define mp_op0(p, op)		mp_cmd(p, op, 0, 0, 0, 0, NULL)
#define mp_op1(p, op, a)	mp_cmd(p, op, a, 0, 0, 0, NULL)

/* SHARE_MEM in the peer with @a, results copied back. */
static inline int64_t mp_share(struct mpeer *p, struct iuc_share_mem *a)
{
	struct mp_msg m;
	struct mp_reply r;

	memset(&m, 0, sizeof(m));
	m.op = MP_SHARE;
	m.share = *a;
	mp_call(p, &m, &r, 0);
	if (r.ret != AG_BROKEN)
		*a = r.share;
	return r.ret;
}

/* Read one record in the peer (waits up to TIMEOUT_MS). */
static inline int64_t mp_read_sig(struct mpeer *p, struct iuc_signal *s)
{
	struct mp_reply r;
	int64_t ret = mp_cmd(p, MP_READ_SIG, TIMEOUT_MS, 0, 0, 0, &r);

	if (!ret)
		*s = r.sig;
	return ret;
}

/* Read the word at @addr in the peer: 0 (*@v) or the signal it raised. */
static inline int mp_read64(struct mpeer *p, uint64_t addr, uint64_t *v)
{
	struct mp_reply r;

	if (mp_cmd(p, MP_READ64, addr, 0, 0, 0, &r) == AG_BROKEN)
		return AG_BROKEN;
	if (v)
		*v = r.v[0];
	return r.signo;
}

static inline int mp_write64(struct mpeer *p, uint64_t addr, uint64_t v)
{
	struct mp_reply r;

	if (mp_cmd(p, MP_WRITE64, addr, v, 0, 0, &r) == AG_BROKEN)
		return AG_BROKEN;
	return r.signo;
}

/* Check the pattern in the peer: 0, -EILSEQ or the signal raised. */
static inline int mp_check(struct mpeer *p, uint64_t addr, uint64_t len,
			   uint64_t tag)
{
	struct mp_reply r;

	if (mp_cmd(p, MP_CHECK, addr, len, tag, 0, &r) == AG_BROKEN)
		return AG_BROKEN;
	if (r.signo)
		return r.signo;
	if (r.ret)
		fprintf(stderr, "# peer %d: pattern %llu wrong at offset %llu\n",
			p->pid, (unsigned long long)tag,
			(unsigned long long)r.v[0]);
	return (int)r.ret;
}

static inline int mp_fill(struct mpeer *p, uint64_t addr, uint64_t len, uint64_t tag)
{
	struct mp_reply r;

	if (mp_cmd(p, MP_FILL, addr, len, tag, 0, &r) == AG_BROKEN)
		return AG_BROKEN;
	return r.signo;
}

/* mmap of segment @seg in the peer: the address, or 0 (*@err: -errno). */
static inline uint64_t mp_mmap_id(struct mpeer *p, uint64_t seg, uint64_t len,
				  int prot, int flags, int64_t *err)
{
	struct mp_reply r;
	int64_t ret = mp_cmd(p, MP_MMAP_ID, len, (uint64_t)prot, (uint64_t)flags,
			     seg, &r);

	if (err)
		*err = ret;
	return ret ? 0 : r.v[0];
}

/* Private anonymous memory in the peer: its address, 0 on failure. */
static inline uint64_t mp_anon(struct mpeer *p, uint64_t len, int prot)
{
	struct mp_reply r;

	if (mp_cmd(p, MP_MMAP_ANON, len, (uint64_t)prot, 0, 0, &r))
		return 0;
	return r.v[0];
}

/* MEM_SHARING_INFO in the peer. */
static inline int64_t mp_info(struct mpeer *p, uint64_t seg,
			      struct iuc_mem_sharing_info *out)
{
	struct mp_reply r;
	int64_t ret = mp_cmd(p, MP_INFO, seg, 0, 0, 0, &r);

	*out = r.info;
	return ret;
}

/* The peer's call @op on @seg (UNSHARE, UNMAP): ret, *@err the code. */
static inline int64_t mp_seg_call(struct mpeer *p, uint32_t op, uint64_t seg,
				  uint32_t *err)
{
	struct mp_reply r;
	int64_t ret = mp_cmd(p, op, seg, 0, 0, 0, &r);

	if (err)
		*err = r.error;
	return ret;
}

static inline uint64_t mp_v0(struct mpeer *p, uint32_t op, uint64_t a0)
{
	struct mp_reply r;

	if (mp_cmd(p, op, a0, 0, 0, 0, &r))
		return 0;
	return r.v[0];
}

/* Start a peer with a context handling both memory signals, READY. */
static inline int mp_start_receiver(struct mpeer *p)
{
	int ret = mp_start(p);

	if (!ret)
		ret = (int)mp_op1(p, MP_OPEN, 0);
	if (!ret)
		ret = (int)mp_op1(p, MP_HANDLE, IUC_SIG_RECV_SHARED_MEM);
	if (!ret)
		ret = (int)mp_op1(p, MP_HANDLE, IUC_SIG_UNSHARED_MEM);
	if (!ret)
		ret = (int)mp_op0(p, MP_READY);
	return ret;
}

/* Close the command pipe (the peer exits 0) and reap it: the wait status. */
static inline int mp_stop(struct mpeer *p)
{
	int st = 0;

	if (p->cmd >= 0)
		close(p->cmd);
	if (p->rsp >= 0)
		close(p->rsp);
	p->cmd = p->rsp = -1;
	if (p->pid > 0) {
		st = wait_child(p->pid, true);
		p->pid = -1;
	}
	return st;
}

/* SIGKILL the peer and reap it: the wait status (SIGKILL). */
static inline int mp_kill(struct mpeer *p)
{
	if (p->pid > 0)
		kill(p->pid, SIGKILL);
	return mp_stop(p);
}

/*
 * Expands to the last test of a file: every FOLL_PIN the module took for
 * the tests above (whose processes have all ended) was released.  A macro
 * placed at the end, in a fixture: the harness runs "global" tests first
 * and registers tests in the order they are defined.
 */
#define IUC_SHM_TEST_PINS_BALANCED_LAST()					\
FIXTURE(final) {							\
	int unused;							\
};									\
FIXTURE_SETUP(final)							\
{									\
	self->unused = 0;						\
}									\
FIXTURE_TEARDOWN(final)							\
{									\
}									\
TEST_F(final, pins_balanced)						\
{									\
	long long acq, rel;						\
	int ret = wait_pins_balanced(TIMEOUT_MS, &acq, &rel);		\
									\
	EXPECT_EQ(0, ret) TH_LOG("nr_foll_pin_acquired %lld, "		\
				 "nr_foll_pin_released %lld", acq, rel); \
	EXPECT_LT(0, acq);						\
}

#endif /* IUC_SHM_UTIL_H */
