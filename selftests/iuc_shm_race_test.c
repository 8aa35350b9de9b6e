// SPDX-License-Identifier: GPL-2.0
/*
 * IUC selftests: shared memory against hostile timing and aliases.
 *
 * A segment must be unknown (to mmap, MEM_UNMAP, MEM_SHARING_INFO) until
 * SHARE_MEM succeeded: the call is held inside, after it unmapped an
 * exclusive range, by a userfaultfd that asks for UNMAP events (the
 * unmap waits until the event is read).  An exclusive segment must be
 * reachable by the receiver only: ranges moved by a sibling thread while
 * the call pins (held open by a userfaultfd-missing last page) keep the
 * old pages, the receiver gets copies.  (Pages a pipe references, vmsplice,
 * are checked by iuc_shm_test's exclusive_share_moves_the_pages.)  The
 * pin charge counts whole folios (a transparent huge page).  Then the
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
#include "kselftest_harness.h"
#include "iuc_test.h"

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

	j->ret = iuc_share_mem(j->fd, &j->a);
	__atomic_store_n(&j->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * The id the next SHARE_MEM will get: share one page with @rcv, which
 * drops it (MEM_UNMAP: no record), as ids come from a counter and are
 * never reused.
 */
static uint64_t next_segment_id(struct __test_metadata *_metadata, int fd,
				struct peer *rcv)
{
	char *page = shm_anon(PAGE);
	struct iuc_share_mem a = iuc_share_args(rcv->pid, page, PAGE,
						IUC_SHARE_MUTUAL, IUC_ACCESS_READ,
						IUC_NOTIFY_SKIP);
	int ret;

	if (!page)
		return 0;
	page[0] = 1;
	ret = iuc_share_mem(fd, &a);
	if (!ret)
		ret = peer_mem_unmap(rcv, a.segment, NULL);
	munmap(page, PAGE);
	if (ret) {
		TH_LOG("probe share failed, error 0x%x", a.error);
		return 0;
	}
	return a.segment + 1;
}

/* The next record of @rcv: RECV_SHARED_MEM of @seg; its start (0: none). */
static uint64_t recv_start(struct __test_metadata *_metadata, struct peer *rcv,
			   uint64_t seg)
{
	struct iuc_signal s;

	if (peer_read_sig(rcv, &s, TIMEOUT_MS)) {
		TH_LOG("no record");
		return 0;
	}
	EXPECT_EQ(IUC_SIG_RECV_SHARED_MEM, s.code);
	EXPECT_EQ(seg, s.object);
	return s.data.recv_shared_mem.start;
}

/*
 * The test process, a context that handles both memory records, shares
 * with a ready receiver.  hold_share() adds an exclusive SHARE_MEM of 4
 * pages (pattern 200) made by a thread of the test and held between its
 * unmap of the range and its answer; @next is the id it will answer.
 */
FIXTURE(race) {
	int			fd;
	struct peer		rcv;
	/* hold_share() */
	struct uffd_unmap_stall	st;
	struct share_job	job;
	struct race_thread	t;
	uint64_t		next;
	size_t			len;
	bool			held;
	bool			released;
};

FIXTURE_SETUP(race)
{
	self->st.uffd = -1;
	ASSERT_EQ(0, shm_probe_install());
	self->fd = iuc_shm_ctx();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, peer_start_receiver(&self->rcv));
}

FIXTURE_TEARDOWN(race)
{
	if (self->held && !self->released && !uffd_unmap_stall_release(&self->st))
		race_thread_join(&self->t);
	uffd_unmap_stall_destroy(&self->st);
	EXPECT_EQ(0, peer_stop(&self->rcv));
	if (self->fd >= 0)
		close(self->fd);
}

static void hold_share(struct __test_metadata *_metadata, FIXTURE_DATA(race) *self)
{
	char *p;

	self->len = 4 * PAGE;
	p = shm_anon(self->len);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, shm_fill(p, self->len, 200, NULL));
	ASSERT_EQ(0, uffd_unmap_stall_init(&self->st, p, self->len));
	self->next = next_segment_id(_metadata, self->fd, &self->rcv);
	ASSERT_NE(0, self->next);

	self->job.fd = self->fd;
	self->job.a = iuc_share_args(self->rcv.pid, p, self->len,
				     IUC_SHARE_EXCLUSIVE, 0, IUC_NOTIFY);
	ASSERT_EQ(0, race_thread_start(&self->t, share_thread, &self->job));
	ASSERT_EQ(0, uffd_unmap_stall_wait(&self->st, RACE_TIMEOUT_MS));
	self->held = true;
	ASSERT_EQ(0, race_wait_asleep(self->t.tid, RACE_TIMEOUT_MS));
	ASSERT_EQ(0, self->job.done);
}

/*
 * Let the held call go on: it must answer @next, and the receiver's record
 * maps the memory as it was.  The receiver's start address.
 */
static uint64_t held_release(struct __test_metadata *_metadata,
			     FIXTURE_DATA(race) *self)
{
	uint64_t start;

	self->released = true;
	if (uffd_unmap_stall_release(&self->st))
		return 0;
	race_thread_join(&self->t);
	EXPECT_EQ(0, self->job.ret) TH_LOG("SHARE_MEM error 0x%x", self->job.a.error);
	EXPECT_EQ(self->next, self->job.a.segment);
	start = recv_start(_metadata, &self->rcv, self->next);
	EXPECT_NE(0, start);
	if (start)
		EXPECT_EQ(0, peer_check(&self->rcv, start, self->len, 200));
	return start;
}

/* ---- a segment is unknown until SHARE_MEM succeeded ------------------------ */

/*
 * Held after its unmap, SHARE_MEM has not succeeded yet: the receiver can
 * neither look the next id up nor map it (else a call failing after that
 * would leave it a mapping of pages still charged to the sharer, issue #8
 * item 3), and the sharer cannot look it up either.
 */
TEST_F(race, segment_is_unknown_until_share_mem_succeeded)
{
	struct iuc_mem_sharing_info i;
	uint64_t start;
	int e;

	hold_share(_metadata, self);
	EXPECT_EQ(-EBADF, peer_mem_info(&self->rcv, self->next, &i));
	EXPECT_EQ(IUC_E_MEMINFO_UNKNOWN_SEGMENT, i.error);
	EXPECT_EQ(0, peer_mmap_id(&self->rcv, self->next, self->len,
				  PROT_READ | PROT_WRITE, MAP_SHARED, &e));
	EXPECT_EQ(-ENXIO, e);
	EXPECT_EQ(-EBADF, iuc_mem_info(self->fd, self->next, &i));

	start = held_release(_metadata, self);
	ASSERT_NE(0, start);
	EXPECT_EQ(0, peer_mem_info(&self->rcv, self->next, &i));
	EXPECT_EQ(start, i.receiver_addr);
}

/*
 * MEM_UNMAP of the next id while SHARE_MEM is held: the segment is unknown
 * (0x10), so nothing can free it under the call (which went on using it,
 * and on failure unlinked it again: a use-after-free, issue #8 item 2).
 * Once the call succeeded the receiver can unmap it.
 */
TEST_F(race, mem_unmap_of_segment_being_shared_fails_0x10)
{
	uint32_t err;

	hold_share(_metadata, self);
	EXPECT_EQ(-EBADF, peer_mem_unmap(&self->rcv, self->next, &err));
	EXPECT_EQ(IUC_E_UNMAP_UNKNOWN_SEGMENT, err);

	ASSERT_NE(0, held_release(_metadata, self));
	EXPECT_EQ(0, peer_mem_unmap(&self->rcv, self->next, &err));
	EXPECT_EQ(IUC_E_NONE, err);
}

/* ---- exclusive means exclusive --------------------------------------------- */

/*
 * A receiver with an arena (MAP_ARENA): the held SHARE_MEM has reserved
 * the segment's run already, but until the call succeeds the run shows
 * nothing (SIGBUS), never the pages the sharer is losing; then the record
 * carries the run, filled with them.  After MEM_UNMAP it is empty again.
 */
TEST_F(race, arena_run_is_empty_until_share_mem_succeeded)
{
	uint64_t a, start;
	uint32_t err;

	a = peer_map_arena(&self->rcv, 8 * PAGE, &err);
	ASSERT_NE(0, a) TH_LOG("MAP_ARENA error 0x%x", err);
	hold_share(_metadata, self);
	EXPECT_EQ(SIGBUS, peer_read64(&self->rcv, a, NULL));
	EXPECT_EQ(SIGBUS, peer_read64(&self->rcv, a + 3 * PAGE, NULL));
	start = held_release(_metadata, self);
	EXPECT_EQ(a, start);
	EXPECT_EQ(0, peer_mem_unmap(&self->rcv, self->next, NULL));
	EXPECT_EQ(SIGBUS, peer_read64(&self->rcv, a, NULL));
}

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
TEST_F(race, exclusive_segment_is_no_alias_of_range_moved_during_pin)
{
	const size_t n = 4;
	struct uffd_stall us;
	struct share_job job = { 0 };
	struct race_thread t;
	struct pollfd pfd;
	uint64_t start, v;
	char *p, *dst, *page;

	ASSERT_EQ(0, uffd_stall_init(&us, n, 1));
	p = us.base;
	ASSERT_EQ(0, shm_fill(p, (n - 1) * PAGE, 210, NULL));
	dst = mmap(NULL, (n - 1) * PAGE, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, dst);

	job.fd = self->fd;
	job.a = iuc_share_args(self->rcv.pid, p, n * PAGE, IUC_SHARE_EXCLUSIVE,
			       0, IUC_NOTIFY);
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
		EXPECT_EQ(0, peer_poll(&self->rcv, 0));
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

	start = recv_start(_metadata, &self->rcv, job.a.segment);
	ASSERT_NE(0, start);
	/* the contents as shared */
	EXPECT_EQ(0, peer_check(&self->rcv, start, (n - 1) * PAGE, 210));
	EXPECT_EQ(0, peer_check(&self->rcv, start + (n - 1) * PAGE, PAGE, 211));
	/* no alias: neither side sees the other's writes */
	for (size_t k = 0; k < n - 1; k++) {
		*(volatile uint64_t *)(dst + k * PAGE) = 0xA11A5;
		EXPECT_EQ(0, peer_read64(&self->rcv, start + k * PAGE, &v));
		EXPECT_EQ(shm_pat(210, k), v) TH_LOG("page %zu: the sharer's alias reaches the receiver", k);
		EXPECT_EQ(0, peer_write64(&self->rcv, start + k * PAGE + 8, 0xBEEF));
		EXPECT_NE(0xBEEF, *(volatile uint64_t *)(dst + k * PAGE + 8))
			TH_LOG("page %zu: the receiver's write reaches the sharer", k);
	}
out:
	munmap(dst, (n - 1) * PAGE);
	uffd_stall_destroy(&us);
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
TEST_F(race, pin_charge_counts_the_whole_folio)
{
	const char *thp = "/sys/kernel/mm/transparent_hugepage/enabled";
	pid_t to = self->rcv.pid;
	struct iuc_share_mem a, b, c;
	struct rlimit rl;
	char mode[64] = "";
	char *raw, *h, *small;
	int tfd, madv;

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
	ASSERT_EQ(0, peer_setuid(&self->rcv, UID_NOBODY));
	ASSERT_EQ(0, set_ids(UID_NOBODY, UID_NOBODY, UID_NOBODY));
	ASSERT_EQ(0, has_cap(CAP_IPC_LOCK));
	rl.rlim_cur = HPAGE / 2;
	rl.rlim_max = HPAGE + PAGE;
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &rl));
	a = iuc_share_args(to, h + 16 * PAGE, PAGE, IUC_SHARE_MUTUAL,
			   IUC_ACCESS_READ, IUC_NOTIFY_SKIP);
	EXPECT_EQ(-ENOMEM, iuc_share_mem(self->fd, &a))
		TH_LOG("one page of a THP charged as less than 2 MiB");
	EXPECT_EQ(IUC_E_SHARE_PIN_LIMIT, a.error);

	rl.rlim_cur = HPAGE + PAGE;
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &rl));
	a = iuc_share_args(to, h + 16 * PAGE, PAGE, IUC_SHARE_MUTUAL,
			   IUC_ACCESS_READ, IUC_NOTIFY_SKIP);
	ASSERT_EQ(0, iuc_share_mem(self->fd, &a)) TH_LOG("error 0x%x", a.error);
	b = iuc_share_args(to, small, PAGE, IUC_SHARE_MUTUAL, IUC_ACCESS_READ,
			   IUC_NOTIFY_SKIP);
	ASSERT_EQ(0, iuc_share_mem(self->fd, &b)) TH_LOG("error 0x%x", b.error);
	c = iuc_share_args(to, small + PAGE, PAGE, IUC_SHARE_MUTUAL,
			   IUC_ACCESS_READ, IUC_NOTIFY_SKIP);
	EXPECT_EQ(-ENOMEM, iuc_share_mem(self->fd, &c));
	EXPECT_EQ(IUC_E_SHARE_PIN_LIMIT, c.error);

	/* the charge comes back whole */
	EXPECT_EQ(0, iuc_unshare_mem(self->fd, a.segment, NULL));
	c = iuc_share_args(to, small + PAGE, PAGE, IUC_SHARE_MUTUAL,
			   IUC_ACCESS_READ, IUC_NOTIFY_SKIP);
	EXPECT_EQ(0, iuc_share_mem(self->fd, &c)) TH_LOG("error 0x%x", c.error);
}

/* ---- smaller promises -------------------------------------------------------- */

/*
 * An exclusive range that holds the call's own argument struct would take
 * the answer away with it: refused up front (0x25), nothing unmapped.
 */
TEST_F(race, exclusive_range_holding_the_arguments_fails_0x25)
{
	struct iuc_share_mem *a;
	char *p;

	p = shm_anon(2 * PAGE);
	ASSERT_NE(NULL, p);
	memset(p, 3, 2 * PAGE);
	a = (struct iuc_share_mem *)(p + PAGE + 64);
	*a = iuc_share_args(self->rcv.pid, p, 2 * PAGE, IUC_SHARE_EXCLUSIVE, 0,
			    IUC_NOTIFY);
	EXPECT_EQ(-EINVAL, iuc_share_mem(self->fd, a));
	EXPECT_EQ(IUC_E_SHARE_HOLDS_ARGS, a->error);
	EXPECT_EQ(0, a->segment);
	EXPECT_EQ(3, p[0]);
	EXPECT_EQ(0, peer_poll(&self->rcv, 0));

	/* the struct just past the range is fine */
	a = (struct iuc_share_mem *)(p + PAGE);
	*a = iuc_share_args(self->rcv.pid, p, PAGE, IUC_SHARE_EXCLUSIVE, 0,
			    IUC_NOTIFY);
	EXPECT_EQ(0, iuc_share_mem(self->fd, a)) TH_LOG("error 0x%x", a->error);
	EXPECT_NE(0, a->segment);
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
TEST_F(race, receivers_mapping_does_not_hold_its_file)
{
	struct peer *s = &self->rcv;	/* here the sharer */
	struct iuc_mem_sharing_info i;
	struct iuc_share_mem a;
	struct shm_fault f;
	uint64_t q, start;
	int fd2;

	q = peer_anon(s, PAGE, PROT_READ | PROT_WRITE);
	ASSERT_NE(0, q);
	ASSERT_EQ(0, peer_fill(s, q, PAGE, 240));
	a = iuc_share_args(getpid(), (void *)(uintptr_t)q, PAGE,
			   IUC_SHARE_MUTUAL, SHM_ACCESS_RW, IUC_NOTIFY_SKIP);
	ASSERT_EQ(0, peer_share(s, &a)) TH_LOG("error 0x%x", a.error);
	start = (uintptr_t)iuc_mmap_segment(self->fd, a.segment, PAGE, PROT_READ,
					    MAP_SHARED);
	ASSERT_NE((uintptr_t)MAP_FAILED, start);
	EXPECT_EQ(0, shm_check((void *)(uintptr_t)start, PAGE, 240, NULL, NULL));
	EXPECT_FALSE(maps_dev_iuc(start)) TH_LOG("the mapping holds /dev/iuc");

	close(self->fd);
	self->fd = -1;
	fd2 = iuc_open();
	EXPECT_LE(0, fd2) TH_LOG("reopen after the last close: %s", strerror(errno));
	EXPECT_EQ(SIGBUS, shm_read64((void *)(uintptr_t)start, NULL, &f));
	EXPECT_EQ(-EBADF, peer_mem_info(s, a.segment, &i));
	munmap((void *)(uintptr_t)start, PAGE);
	if (fd2 >= 0)
		close(fd2);
}

/*
 * A receiver whose only fd is O_RDONLY: a read-only mutual segment is
 * mapped as its record is read (MAP_SHARED of a read-only fd has no
 * VM_SHARED, only VM_MAYSHARE), readable, not writable.  An exclusive one
 * (read-write) cannot be mapped through that fd: the record says so,
 * map_errno EACCES, start 0.  (Not the fixture: the test process's only
 * context is the O_RDONLY one.)
 */
TEST(read_only_fd_receiver_maps_read_only_segments_only)
{
	struct iuc_share_mem a;
	struct iuc_signal sig;
	struct shm_fault f;
	uint64_t q, m, x, v, start;
	struct peer s;
	int fd;

	ASSERT_EQ(0, shm_probe_install());
	ASSERT_EQ(0, peer_start_opener(&s));
	fd = open(IUC_DEV, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, iuc_handle_signal(fd, IUC_SIG_RECV_SHARED_MEM, 0, NULL));
	ASSERT_EQ(0, iuc_ready(fd, NULL));
	q = peer_anon(&s, 2 * PAGE, PROT_READ | PROT_WRITE);
	ASSERT_NE(0, q);
	ASSERT_EQ(0, peer_fill(&s, q, 2 * PAGE, 230));
	a = iuc_share_args(getpid(), (void *)(uintptr_t)q, PAGE,
			   IUC_SHARE_MUTUAL, IUC_ACCESS_READ, IUC_NOTIFY);
	ASSERT_EQ(0, peer_share(&s, &a)) TH_LOG("error 0x%x", a.error);
	m = a.segment;
	a = iuc_share_args(getpid(), (void *)(uintptr_t)(q + PAGE), PAGE,
			   IUC_SHARE_EXCLUSIVE, 0, IUC_NOTIFY);
	ASSERT_EQ(0, peer_share(&s, &a)) TH_LOG("error 0x%x", a.error);
	x = a.segment;

	ASSERT_EQ(0, iuc_read_sig(fd, &sig, TIMEOUT_MS));
	ASSERT_EQ(IUC_SIG_RECV_SHARED_MEM, sig.code);
	EXPECT_EQ(m, sig.object);
	EXPECT_EQ(0, sig.data.recv_shared_mem.map_errno);
	start = sig.data.recv_shared_mem.start;
	ASSERT_NE(0, start) TH_LOG("read-only mapping through an O_RDONLY fd refused");
	EXPECT_EQ(0, shm_check((void *)(uintptr_t)start, PAGE, 230, NULL, NULL));
	EXPECT_EQ(SIGSEGV, shm_write64((void *)(uintptr_t)start, 1, &f));
	EXPECT_EQ(0, peer_write64(&s, q, 0x77));
	EXPECT_EQ(0, shm_read64((void *)(uintptr_t)start, &v, NULL));
	EXPECT_EQ(0x77, v);

	ASSERT_EQ(0, iuc_read_sig(fd, &sig, TIMEOUT_MS));
	ASSERT_EQ(IUC_SIG_RECV_SHARED_MEM, sig.code);
	EXPECT_EQ(x, sig.object);
	EXPECT_EQ(0, sig.data.recv_shared_mem.start);
	EXPECT_EQ(EACCES, sig.data.recv_shared_mem.map_errno)
		TH_LOG("a record without a mapping must say why");
	EXPECT_EQ(0, peer_stop(&s));
	close(fd);
}

TEST_HARNESS_MAIN
