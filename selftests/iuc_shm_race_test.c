// SPDX-License-Identifier: GPL-2.0
/*
 * IUC selftests: shared memory against hostile timing and aliases.
 *
 * A segment must be unknown (to mmap, MEM_UNMAP, MEM_SHARING_INFO) until
 * SHARE_MEM succeeded: the call is held inside, after it unmapped an
 * exclusive range, by a userfaultfd that asks for UNMAP events (the
 * unmap waits until the event is read).  An exclusive segment must be
 * reachable by the receiver only: ranges moved by a sibling thread while
 * the call pins (held open by a userfaultfd-missing last page) and pages a
 * pipe references (vmsplice) keep the old pages, the receiver gets copies.
 * The pin charge counts whole folios (a transparent huge page).  Then the
 * smaller promises: a receiver with an O_RDONLY fd, a record that says why
 * it carries no mapping, a mapping that does not keep the context alive,
 * an exclusive range that holds the call's own argument struct.
 *
 * Segment ids are predictable (a counter): a test learns the next one
 * from a share of its own just before.  Peers are started before the
 * memory is written: a fork after that would make the write-intent pin
 * break COW.  No sleeps: every wait is for an event (a userfaultfd
 * message, a thread state, a reply).
 */
#include <grp.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>

#include "kselftest_harness.h"
#include "iuc_test_util.h"
#include "iuc_shm_util.h"
#include "iuc_race_util.h"

#define NOBODY		65534
#define HPAGE		(2UL << 20)

/* A SHARE_MEM made by a thread of the test process, which is the sharer. */
struct share_job {
	int			fd;
	struct iuc_share_mem	a;
	int			ret;
	volatile int		done;
};

static void *share_thread(void *arg)
{
	struct share_job *j = arg;

	j->ret = shm_share(j->fd, &j->a);
	__atomic_store_n(&j->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * The id the next SHARE_MEM will get: share one page with @rcv, which
 * drops it (MEM_UNMAP: no record), as ids come from a counter and are
 * never reused.
 */
static uint64_t next_segment_id(struct __test_metadata *_metadata, int fd,
				struct mpeer *rcv)
{
	char *page = shm_anon(PAGE);
	struct iuc_share_mem a = shm_args(rcv->pid, page, PAGE, IUC_SHARE_MUTUAL,
					  IUC_ACCESS_READ, IUC_NOTIFY_SKIP);
	int ret;

	if (!page)
		return 0;
	page[0] = 1;
	ret = shm_share(fd, &a);
	if (!ret)
		ret = (int)mp_seg_call(rcv, MP_UNMAP, a.segment, NULL);
	munmap(page, PAGE);
	if (ret) {
		TH_LOG("probe share failed, error 0x%x", a.error);
		return 0;
	}
	return a.segment + 1;
}

/* The next record of @rcv: RECV_SHARED_MEM of @seg; its start (0: none). */
static uint64_t recv_start(struct __test_metadata *_metadata, struct mpeer *rcv,
			   uint64_t seg, uint32_t *map_errno)
{
	struct iuc_signal s;

	if (mp_read_sig(rcv, &s)) {
		TH_LOG("no record");
		return 0;
	}
	EXPECT_EQ(IUC_SIG_RECV_SHARED_MEM, s.code);
	EXPECT_EQ(seg, s.object);
	if (map_errno)
		*map_errno = s.data.recv_shared_mem.map_errno;
	return s.data.recv_shared_mem.start;
}

/* ---- a segment is unknown until SHARE_MEM succeeded ------------------------ */

/*
 * An exclusive SHARE_MEM of 4 pages (pattern 200) to a receiver, made by a
 * thread of the test and held between its unmap of the range and its
 * answer; @next is the id it will answer.
 */
FIXTURE(held) {
	struct uffd_unmap_stall	st;
	struct share_job	job;
	struct race_thread	t;
	struct mpeer		rcv;
	uint64_t		next;
	size_t			len;
	bool			released;
	int			fd;
};

FIXTURE_SETUP(held)
{
	char *p;

	self->len = 4 * PAGE;
	self->fd = shm_open_ctx();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, mp_start_receiver(&self->rcv));
	p = shm_anon(self->len);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, shm_fill(p, self->len, 200, NULL));
	ASSERT_EQ(0, uffd_unmap_stall_init(&self->st, p, self->len));
	self->next = next_segment_id(_metadata, self->fd, &self->rcv);
	ASSERT_NE(0, self->next);

	self->job.fd = self->fd;
	self->job.a = shm_args(self->rcv.pid, p, self->len, IUC_SHARE_EXCLUSIVE,
			       0, IUC_NOTIFY);
	ASSERT_EQ(0, race_thread_start(&self->t, share_thread, &self->job));
	ASSERT_EQ(0, uffd_unmap_stall_wait(&self->st, RACE_TIMEOUT_MS));
	ASSERT_EQ(0, race_wait_asleep(self->t.tid, RACE_TIMEOUT_MS));
	ASSERT_EQ(0, self->job.done);
}

FIXTURE_TEARDOWN(held)
{
	if (!self->released && !uffd_unmap_stall_release(&self->st))
		race_thread_join(&self->t);
	uffd_unmap_stall_destroy(&self->st);
	mp_stop(&self->rcv);
	close(self->fd);
}

/*
 * Let the call go on: it must answer @next, and the receiver's record maps
 * the memory as it was.  The receiver's start address.
 */
static uint64_t held_release(struct __test_metadata *_metadata,
			     FIXTURE_DATA(held) *self)
{
	uint64_t start;

	self->released = true;
	if (uffd_unmap_stall_release(&self->st))
		return 0;
	race_thread_join(&self->t);
	EXPECT_EQ(0, self->job.ret) TH_LOG("SHARE_MEM error 0x%x", self->job.a.error);
	EXPECT_EQ(self->next, self->job.a.segment);
	start = recv_start(_metadata, &self->rcv, self->next, NULL);
	EXPECT_NE(0, start);
	if (start)
		EXPECT_EQ(0, mp_check(&self->rcv, start, self->len, 200));
	return start;
}

/*
 * Held after its unmap, SHARE_MEM has not succeeded yet: the receiver can
 * neither look the next id up nor map it (else a call failing after that
 * would leave it a mapping of pages still charged to the sharer, issue #8
 * item 3), and the sharer cannot look it up either.
 */
TEST_F(held, segment_unknown_until_committed)
{
	struct iuc_mem_sharing_info i;
	uint64_t start;
	int64_t e;

	EXPECT_EQ(-EBADF, mp_info(&self->rcv, self->next, &i));
	EXPECT_EQ(IUC_E_MEMINFO_UNKNOWN_SEGMENT, i.error);
	EXPECT_EQ(0, mp_mmap_id(&self->rcv, self->next, self->len,
				PROT_READ | PROT_WRITE, MAP_SHARED, &e));
	EXPECT_EQ(-ENXIO, e);
	EXPECT_EQ(-EBADF, shm_info(self->fd, self->next, &i));

	start = held_release(_metadata, self);
	ASSERT_NE(0, start);
	EXPECT_EQ(0, mp_info(&self->rcv, self->next, &i));
	EXPECT_EQ(start, i.receiver_addr);
}

/*
 * MEM_UNMAP of the next id while SHARE_MEM is held: the segment is unknown
 * (0x10), so nothing can free it under the call (which went on using it,
 * and on failure unlinked it again: a use-after-free, issue #8 item 2).
 * Once the call succeeded the receiver can unmap it.
 */
TEST_F(held, mem_unmap_during_share)
{
	uint32_t err;

	EXPECT_EQ(-EBADF, mp_seg_call(&self->rcv, MP_UNMAP, self->next, &err));
	EXPECT_EQ(IUC_E_UNMAP_UNKNOWN_SEGMENT, err);

	ASSERT_NE(0, held_release(_metadata, self));
	EXPECT_EQ(0, mp_seg_call(&self->rcv, MP_UNMAP, self->next, &err));
	EXPECT_EQ(IUC_E_NONE, err);
}

/* ---- exclusive means exclusive --------------------------------------------- */

/*
 * A sibling thread moves all but the last page of the range elsewhere
 * (mremap MREMAP_FIXED) while SHARE_MEM pins it: the pin is held open on
 * the last page, missing and registered with userfaultfd.  The call then
 * unmaps only that last page.  The moved pages must not be the receiver's:
 * what the sharer writes there, the receiver does not see, and the other
 * way round; the receiver still gets the contents the range had.
 *
 * Kernels before 6.4 cannot hold a long-term pin on a userfaultfd page (it
 * faults without FAULT_FLAG_ALLOW_RETRY and fails): there the window does
 * not open and the call must fail cleanly, 0x03, the sharer keeping its
 * memory.
 */
TEST(exclusive_survives_mremap)
{
	const size_t n = 4;
	struct uffd_stall us;
	struct share_job job = { 0 };
	struct race_thread t;
	struct pollfd pfd;
	struct mpeer rcv;
	uint64_t start, v;
	char *p, *dst, *page;
	int fd = shm_open_ctx();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mp_start_receiver(&rcv));
	ASSERT_EQ(0, uffd_stall_init(&us, n, 1));
	p = us.base;
	ASSERT_EQ(0, shm_fill(p, (n - 1) * PAGE, 210, NULL));
	dst = mmap(NULL, (n - 1) * PAGE, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, dst);

	job.fd = fd;
	job.a = shm_args(rcv.pid, p, n * PAGE, IUC_SHARE_EXCLUSIVE, 0, IUC_NOTIFY);
	ASSERT_EQ(0, race_thread_start(&t, share_thread, &job));
	pfd.fd = us.uffd;
	pfd.events = POLLIN;
	while (!__atomic_load_n(&job.done, __ATOMIC_ACQUIRE) &&
	       poll(&pfd, 1, 0) == 0)
		sched_yield();
	if (__atomic_load_n(&job.done, __ATOMIC_ACQUIRE)) {
		race_thread_join(&t);
		TH_LOG("this kernel does not hold a long-term pin on a userfaultfd page");
		EXPECT_EQ(-EFAULT, job.ret);
		EXPECT_EQ(IUC_E_UNMAPPED, job.a.error);
		EXPECT_EQ(0, shm_check(p, (n - 1) * PAGE, 210, NULL, NULL));
		EXPECT_EQ(0, mp_cmd(&rcv, MP_POLL, 0, 0, 0, 0, NULL));
		goto out;
	}
	ASSERT_EQ(0, uffd_stall_wait(&us, RACE_TIMEOUT_MS));
	ASSERT_EQ(0, race_wait_asleep(t.tid, RACE_TIMEOUT_MS));

	/* pages 0 .. n-2 are pinned: move them away */
	ASSERT_EQ(dst, mremap(p, (n - 1) * PAGE, (n - 1) * PAGE,
			      MREMAP_MAYMOVE | MREMAP_FIXED, dst));
	page = malloc(PAGE);
	ASSERT_NE(NULL, page);
	ASSERT_EQ(0, shm_fill(page, PAGE, 211, NULL));
	ASSERT_EQ(0, uffd_stall_release(&us, page, 0));
	free(page);
	race_thread_join(&t);
	ASSERT_EQ(0, job.ret) TH_LOG("SHARE_MEM error 0x%x", job.a.error);

	start = recv_start(_metadata, &rcv, job.a.segment, NULL);
	ASSERT_NE(0, start);
	/* the contents as shared */
	EXPECT_EQ(0, mp_check(&rcv, start, (n - 1) * PAGE, 210));
	EXPECT_EQ(0, mp_check(&rcv, start + (n - 1) * PAGE, PAGE, 211));
	/* no alias: neither side sees the other's writes */
	for (size_t k = 0; k < n - 1; k++) {
		*(volatile uint64_t *)(dst + k * PAGE) = 0xA11A5;
		EXPECT_EQ(0, mp_read64(&rcv, start + k * PAGE, &v));
		EXPECT_EQ(shm_pat(210, k), v) TH_LOG("page %zu: the sharer's alias reaches the receiver", k);
		EXPECT_EQ(0, mp_write64(&rcv, start + k * PAGE + 8, 0xBEEF));
		EXPECT_NE(0xBEEF, *(volatile uint64_t *)(dst + k * PAGE + 8))
			TH_LOG("page %zu: the receiver's write reaches the sharer", k);
	}
out:
	munmap(dst, (n - 1) * PAGE);
	uffd_stall_destroy(&us);
	EXPECT_EQ(0, mp_stop(&rcv));
	close(fd);
}

/*
 * A pipe references the sharer's pages (vmsplice: plain references, not
 * pins) when it shares them exclusively: the receiver's pages must not be
 * those, so what the receiver writes never comes out of the pipe, which
 * returns the pages as they were.
 */
TEST(exclusive_survives_vmsplice)
{
	const size_t len = 4 * PAGE;
	struct mpeer rcv;
	void *pages[4];
	char buf[PAGE];
	uint64_t seg, start;
	int fd = shm_open_ctx();
	int wit[2];
	char *p;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mp_start_receiver(&rcv));
	p = shm_anon(len);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, shm_fill(p, len, 220, NULL));
	for (int i = 0; i < 4; i++)
		pages[i] = p + i * PAGE;
	ASSERT_EQ(0, witness_take(wit, pages, 4));

	struct iuc_share_mem a = shm_args(rcv.pid, p, len, IUC_SHARE_EXCLUSIVE,
					  0, IUC_NOTIFY);
	ASSERT_EQ(0, shm_share(fd, &a)) TH_LOG("error 0x%x", a.error);
	seg = a.segment;
	start = recv_start(_metadata, &rcv, seg, NULL);
	ASSERT_NE(0, start);
	EXPECT_EQ(0, mp_check(&rcv, start, len, 220));
	EXPECT_EQ(0, mp_fill(&rcv, start, len, 221));
	for (int i = 0; i < 4; i++) {
		ASSERT_EQ(0, witness_read(wit[0], buf));
		EXPECT_EQ(shm_pat(220, i), *(uint64_t *)buf)
			TH_LOG("page %d: the pipe returns the receiver's write", i);
	}
	EXPECT_EQ(0, mp_check(&rcv, start, len, 221));
	close(wit[0]);
	close(wit[1]);
	EXPECT_EQ(0, mp_stop(&rcv));
	close(fd);
}

/* ---- the pin charge ------------------------------------------------------ */

/* Does [@p, +@len) of this process sit in transparent huge pages? */
static bool is_thp(const void *p, size_t len)
{
	char line[256];
	uintptr_t lo, hi;
	bool in = false;
	long kb = -1;
	FILE *f = fopen("/proc/self/smaps", "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			in = lo <= (uintptr_t)p && (uintptr_t)p + len <= hi;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb >= (long)(len >> 10);
}

/*
 * Pinning one 4 KiB page of a transparent huge page keeps the whole 2 MiB
 * unmovable: the charge against RLIMIT_MEMLOCK is 2 MiB.  A limit of 1 MiB
 * refuses the share (0x31), a limit of 2 MiB + 4 KiB accepts it and then
 * has room for exactly one more small page.  Sharer and receiver run as
 * nobody, without CAP_IPC_LOCK (which would lift the limit).
 */
TEST(pin_charge_is_the_folio)
{
	const char *thp = "/sys/kernel/mm/transparent_hugepage/enabled";
	struct rlimit rl;
	struct mpeer rcv;
	char mode[64] = "";
	char *raw, *h, *small;
	int fd = shm_open_ctx();
	int tfd, madv;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mp_start_receiver(&rcv));
	/* THP for madvise'd ranges at least (this is a test VM) */
	tfd = open(thp, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, tfd);
	ASSERT_LT(0, read(tfd, mode, sizeof(mode) - 1));
	if (strstr(mode, "[never]"))
		ASSERT_EQ(7, pwrite(tfd, "madvise", 7, 0));
	close(tfd);

	raw = mmap(NULL, 2 * HPAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, raw);
	h = (char *)(((uintptr_t)raw + HPAGE - 1) & ~(HPAGE - 1));
	/* (a kernel without madvise(2) has THP "always", the debug one) */
	madv = madvise(h, HPAGE, MADV_HUGEPAGE) ? errno : 0;
	memset(h, 0x5a, HPAGE);
	ASSERT_TRUE(is_thp(h, HPAGE))
		TH_LOG("no transparent huge page (MADV_HUGEPAGE: %s, THP %s)",
		       strerror(madv), mode);
	small = shm_anon(2 * PAGE);
	ASSERT_NE(NULL, small);
	memset(small, 1, 2 * PAGE);

	/* nobody's charges are this test's alone; setuid drops CAP_IPC_LOCK */
	ASSERT_EQ(0, mp_op1(&rcv, MP_SETUID, NOBODY));
	ASSERT_EQ(0, setgroups(0, NULL));
	ASSERT_EQ(0, setresgid(NOBODY, NOBODY, NOBODY));
	ASSERT_EQ(0, setresuid(NOBODY, NOBODY, NOBODY));
	ASSERT_EQ(0, has_cap(CAP_IPC_LOCK));
	rl.rlim_cur = HPAGE / 2;
	rl.rlim_max = HPAGE + PAGE;
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &rl));
	struct iuc_share_mem a = shm_args(rcv.pid, h + 16 * PAGE, PAGE,
					  IUC_SHARE_MUTUAL, IUC_ACCESS_READ,
					  IUC_NOTIFY_SKIP);
	EXPECT_EQ(-ENOMEM, shm_share(fd, &a))
		TH_LOG("one page of a THP charged as less than 2 MiB");
	EXPECT_EQ(IUC_E_SHARE_PIN_LIMIT, a.error);

	rl.rlim_cur = HPAGE + PAGE;
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &rl));
	a = shm_args(rcv.pid, h + 16 * PAGE, PAGE, IUC_SHARE_MUTUAL,
		     IUC_ACCESS_READ, IUC_NOTIFY_SKIP);
	ASSERT_EQ(0, shm_share(fd, &a)) TH_LOG("error 0x%x", a.error);
	struct iuc_share_mem b = shm_args(rcv.pid, small, PAGE, IUC_SHARE_MUTUAL,
					  IUC_ACCESS_READ, IUC_NOTIFY_SKIP);
	ASSERT_EQ(0, shm_share(fd, &b)) TH_LOG("error 0x%x", b.error);
	struct iuc_share_mem c = shm_args(rcv.pid, small + PAGE, PAGE,
					  IUC_SHARE_MUTUAL, IUC_ACCESS_READ,
					  IUC_NOTIFY_SKIP);
	EXPECT_EQ(-ENOMEM, shm_share(fd, &c));
	EXPECT_EQ(IUC_E_SHARE_PIN_LIMIT, c.error);

	/* the charge comes back whole */
	EXPECT_EQ(0, shm_unshare(fd, a.segment, NULL));
	c = shm_args(rcv.pid, small + PAGE, PAGE, IUC_SHARE_MUTUAL,
		     IUC_ACCESS_READ, IUC_NOTIFY_SKIP);
	EXPECT_EQ(0, shm_share(fd, &c)) TH_LOG("error 0x%x", c.error);
	EXPECT_EQ(0, mp_stop(&rcv));
	close(fd);
}

/* ---- smaller promises -------------------------------------------------------- */

/*
 * A receiver whose only fd is O_RDONLY: a read-only mutual segment is
 * mapped as its record is read (MAP_SHARED of a read-only fd has no
 * VM_SHARED, only VM_MAYSHARE), readable, not writable.  An exclusive one
 * (read-write) cannot be mapped through that fd: the record says so,
 * map_errno EACCES, start 0.
 */
TEST(readonly_fd_receiver)
{
	struct mpeer s;
	struct iuc_signal sig;
	struct shm_fault f;
	uint64_t q, m, x;
	uint64_t v;
	int fd;

	ASSERT_EQ(0, mp_start(&s));
	ASSERT_EQ(0, mp_op1(&s, MP_OPEN, 0));
	fd = open(IUC_DEV, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, iuc_handle_signal(fd, IUC_SIG_RECV_SHARED_MEM, 0, NULL));
	ASSERT_EQ(0, iuc_ready(fd, NULL));
	q = mp_anon(&s, 2 * PAGE, PROT_READ | PROT_WRITE);
	ASSERT_NE(0, q);
	ASSERT_EQ(0, mp_fill(&s, q, 2 * PAGE, 230));
	struct iuc_share_mem a = shm_args(getpid(), (void *)(uintptr_t)q, PAGE,
					  IUC_SHARE_MUTUAL, IUC_ACCESS_READ,
					  IUC_NOTIFY);
	ASSERT_EQ(0, mp_share(&s, &a)) TH_LOG("error 0x%x", a.error);
	m = a.segment;
	a = shm_args(getpid(), (void *)(uintptr_t)(q + PAGE), PAGE,
		     IUC_SHARE_EXCLUSIVE, 0, IUC_NOTIFY);
	ASSERT_EQ(0, mp_share(&s, &a)) TH_LOG("error 0x%x", a.error);
	x = a.segment;

	ASSERT_EQ(0, shm_next_sig(fd, &sig));
	ASSERT_EQ(IUC_SIG_RECV_SHARED_MEM, sig.code);
	EXPECT_EQ(m, sig.object);
	EXPECT_EQ(0, sig.data.recv_shared_mem.map_errno);
	ASSERT_NE(0, sig.data.recv_shared_mem.start)
		TH_LOG("read-only mapping through an O_RDONLY fd refused");
	EXPECT_EQ(0, shm_check((void *)(uintptr_t)sig.data.recv_shared_mem.start,
			       PAGE, 230, NULL, NULL));
	EXPECT_EQ(SIGSEGV, shm_write64((void *)(uintptr_t)sig.data.recv_shared_mem.start,
				       1, &f));
	EXPECT_EQ(0, mp_write64(&s, q, 0x77));
	EXPECT_EQ(0, shm_read64((void *)(uintptr_t)sig.data.recv_shared_mem.start,
				&v, NULL));
	EXPECT_EQ(0x77, v);

	ASSERT_EQ(0, shm_next_sig(fd, &sig));
	ASSERT_EQ(IUC_SIG_RECV_SHARED_MEM, sig.code);
	EXPECT_EQ(x, sig.object);
	EXPECT_EQ(0, sig.data.recv_shared_mem.start);
	EXPECT_EQ(EACCES, sig.data.recv_shared_mem.map_errno)
		TH_LOG("a record without a mapping must say why");
	EXPECT_EQ(0, mp_stop(&s));
	close(fd);
}

/* Does /proc/self/maps show a mapping of /dev/iuc at @addr? */
static bool maps_dev_iuc(uint64_t addr)
{
	char line[512];
	uintptr_t lo;
	bool found = false;
	FILE *f = fopen("/proc/self/maps", "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-", &lo) == 1 && lo == addr &&
		    strstr(line, "/dev/iuc"))
			found = true;
	fclose(f);
	return found;
}

/*
 * The receiver's mapping does not hold its /dev/iuc file: when it closes
 * its fd, its context ends (the process may open /dev/iuc again), and the
 * mutual segment it held is revoked (SIGBUS), the sharer keeping control
 * of its pages (the segment is gone for it too).
 */
TEST(mapping_does_not_hold_file)
{
	struct iuc_mem_sharing_info i;
	struct shm_fault f;
	struct mpeer s;
	uint64_t q, start;
	int fd = shm_open_ctx(), fd2;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mp_start(&s));
	ASSERT_EQ(0, mp_op1(&s, MP_OPEN, 0));
	q = mp_anon(&s, PAGE, PROT_READ | PROT_WRITE);
	ASSERT_NE(0, q);
	ASSERT_EQ(0, mp_fill(&s, q, PAGE, 240));
	struct iuc_share_mem a = shm_args(getpid(), (void *)(uintptr_t)q, PAGE,
					  IUC_SHARE_MUTUAL, SHM_ACCESS_RW,
					  IUC_NOTIFY_SKIP);
	ASSERT_EQ(0, mp_share(&s, &a)) TH_LOG("error 0x%x", a.error);
	start = (uintptr_t)shm_mmap_id(fd, a.segment, PAGE, PROT_READ, MAP_SHARED);
	ASSERT_NE((uintptr_t)MAP_FAILED, start);
	EXPECT_EQ(0, shm_check((void *)(uintptr_t)start, PAGE, 240, NULL, NULL));
	EXPECT_FALSE(maps_dev_iuc(start)) TH_LOG("the mapping holds /dev/iuc");

	close(fd);
	fd2 = iuc_open();
	EXPECT_LE(0, fd2) TH_LOG("reopen after the last close: %s", strerror(errno));
	EXPECT_EQ(SIGBUS, shm_read64((void *)(uintptr_t)start, NULL, &f));
	EXPECT_EQ(-EBADF, mp_info(&s, a.segment, &i));
	munmap((void *)(uintptr_t)start, PAGE);
	if (fd2 >= 0)
		close(fd2);
	EXPECT_EQ(0, mp_stop(&s));
}

/*
 * An exclusive range that holds the call's own argument struct would take
 * the answer away with it: refused up front (0x25), nothing unmapped.
 */
TEST(exclusive_range_holds_args)
{
	struct mpeer rcv;
	struct iuc_share_mem *a;
	int fd = shm_open_ctx();
	char *p;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mp_start_receiver(&rcv));
	p = shm_anon(2 * PAGE);
	ASSERT_NE(NULL, p);
	memset(p, 3, 2 * PAGE);
	a = (struct iuc_share_mem *)(p + PAGE + 64);
	*a = shm_args(rcv.pid, p, 2 * PAGE, IUC_SHARE_EXCLUSIVE, 0, IUC_NOTIFY);
	EXPECT_EQ(-EINVAL, shm_share(fd, a));
	EXPECT_EQ(IUC_E_SHARE_HOLDS_ARGS, a->error);
	EXPECT_EQ(0, a->segment);
	EXPECT_EQ(3, p[0]);
	EXPECT_EQ(0, mp_cmd(&rcv, MP_POLL, 0, 0, 0, 0, NULL));

	/* the struct just past the range is fine */
	a = (struct iuc_share_mem *)(p + PAGE);
	*a = shm_args(rcv.pid, p, PAGE, IUC_SHARE_EXCLUSIVE, 0, IUC_NOTIFY);
	EXPECT_EQ(0, shm_share(fd, a)) TH_LOG("error 0x%x", a->error);
	EXPECT_NE(0, a->segment);
	EXPECT_EQ(0, mp_stop(&rcv));
	close(fd);
}

IUC_SHM_TEST_PINS_BALANCED_LAST()

TEST_HARNESS_MAIN
