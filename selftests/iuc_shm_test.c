// SPDX-License-Identifier: GPL-2.0
/*
 * IUC selftests: shared memory (SHARE_MEM, UNSHARE_MEM, MEM_UNMAP,
 * MEM_SHARING_INFO, RECV_SHARED_MEM and UNSHARED_MEM, mmap of a segment).
 *
 * Zero copy is proven by writes made *after* sharing being seen on the
 * other side, in both directions, and by a pipe that references the
 * sharer's frames (vmsplice) returning what the receiver wrote.  (pagemap
 * cannot show the receiver's frames: its segment mapping is VM_PFNMAP,
 * which the page walker reports as not present; it does show that the
 * sharer's frames stay the same.)  Peers are started before the memory is
 * written: a fork after that would make the write-intent pin break COW.
 * Faults are caught by the probes of selftests/lib (memory.h), so each
 * test checks which signal an access raised.
 *
 * Every refused call is followed by a check that it had no effect: the
 * sharer's memory is still there with its contents, and the receiver got
 * no record.  That every FOLL_PIN taken here was released is checked by
 * iuc_pins_final_test, which runs after all the tests.
 *
 * Fixtures:
 *  - shm: the test process shares; two receiver peers, a region.
 *  - sharer_end: a peer shares with the test process, then exits or is
 *    killed (variants).
 */
#include "kselftest_harness.h"
#include "iuc_test.h"

/*
 * The fixture's region, touched only where a test writes: small enough to
 * hold no transparent huge page (pages of one folio are not independent).
 */
#define REGION		(64 * PAGE)

/* ---- helpers ------------------------------------------------------------------ */

/* SHARE_MEM of @a by @by (NULL: the test process, @fd) that must succeed. */
static uint64_t share_args_ok(struct __test_metadata *_metadata, int fd,
			      struct peer *by, struct iuc_share_mem a)
{
	ASSERT_EQ(0, by ? peer_share(by, &a) : iuc_share_mem(fd, &a))
		TH_LOG("SHARE_MEM failed, error 0x%x", a.error);
	EXPECT_EQ(IUC_E_NONE, a.error);
	ASSERT_NE(0, a.segment);
	return a.segment;
}

/* SHARE_MEM by the test process that must succeed; the segment id. */
static uint64_t share_ok(struct __test_metadata *_metadata, int fd, pid_t to,
			 void *p, size_t len, uint8_t mode, uint8_t access,
			 uint8_t notify, uint16_t command)
{
	struct iuc_share_mem a = iuc_share_args(to, p, len, mode, access, notify);

	a.command = command;
	return share_args_ok(_metadata, fd, NULL, a);
}

/* SHARE_MEM by the peer @s that must succeed; the segment id. */
static uint64_t peer_share_ok(struct __test_metadata *_metadata, struct peer *s,
			      pid_t to, uint64_t addr, size_t len, uint8_t mode,
			      uint8_t access, uint8_t notify, uint16_t command)
{
	struct iuc_share_mem a = iuc_share_args(to, (void *)(uintptr_t)addr, len,
						mode, access, notify);

	a.command = command;
	return share_args_ok(_metadata, -1, s, a);
}

/*
 * The next record of @rcv (NULL: of the test process, read from @fd) must
 * be RECV_SHARED_MEM of @seg with the given fields; its start (the
 * receiver's mapping) is returned, 0 if none.
 */
static uint64_t recv_ok(struct __test_metadata *_metadata, int fd,
			struct peer *rcv, uint64_t seg, pid_t sharer, size_t len,
			uint8_t mode, uint8_t access, uint16_t command)
{
	struct iuc_signal s;

	ASSERT_EQ(0, rcv ? peer_read_sig(rcv, &s, TIMEOUT_MS) :
			   iuc_read_sig(fd, &s, TIMEOUT_MS));
	ASSERT_EQ(IUC_SIG_RECV_SHARED_MEM, s.code);
	EXPECT_EQ(seg, s.object);
	EXPECT_EQ((uint64_t)sharer, s.data.recv_shared_mem.sharer_pid);
	EXPECT_EQ(len, s.data.recv_shared_mem.length);
	EXPECT_EQ(mode, s.data.recv_shared_mem.mode);
	EXPECT_EQ(access, s.data.recv_shared_mem.access);
	EXPECT_EQ(command, s.data.recv_shared_mem.command);
	/* a record without a mapping says why */
	EXPECT_EQ(!s.data.recv_shared_mem.start,
		  !!s.data.recv_shared_mem.map_errno);
	EXPECT_TRUE(sig_reserved_zero(&s));
	EXPECT_EQ(0, s.data.recv_shared_mem.start % PAGE);
	return s.data.recv_shared_mem.start;
}

/* The next record of a receiver peer, shared by the test process. */
static uint64_t peer_recv(struct __test_metadata *_metadata, struct peer *rcv,
			  uint64_t seg, size_t len, uint8_t mode, uint8_t access,
			  uint16_t command)
{
	return recv_ok(_metadata, -1, rcv, seg, getpid(), len, mode, access,
		       command);
}

/* The next record of @rcv (NULL: of @fd) must be UNSHARED_MEM of @seg, @type. */
static void unshared_ok(struct __test_metadata *_metadata, int fd,
			struct peer *rcv, uint64_t seg, uint8_t type)
{
	struct iuc_signal s;

	ASSERT_EQ(0, rcv ? peer_read_sig(rcv, &s, TIMEOUT_MS) :
			   iuc_read_sig(fd, &s, TIMEOUT_MS));
	EXPECT_EQ(IUC_SIG_UNSHARED_MEM, s.code);
	EXPECT_EQ(seg, s.data.unshared_mem.segment);
	EXPECT_EQ(seg, s.object);
	EXPECT_EQ(type, s.data.unshared_mem.type);
	EXPECT_TRUE(all_zero(s.data.unshared_mem.__pad,
			     sizeof(s.data.unshared_mem.__pad)));
	EXPECT_TRUE(sig_reserved_zero(&s));
}

/* @rcv has no record pending. */
static void no_record(struct __test_metadata *_metadata, struct peer *rcv)
{
	EXPECT_EQ(0, peer_poll(rcv, 0));
}

/* A SHARE_MEM that must fail with @err and @code, leaving @a->segment. */
#define EXPECT_SHARE_FAILS(fd, a, err, code) do {			\
	uint64_t __seg_in = (a)->segment;				\
	EXPECT_EQ(-(err), iuc_share_mem(fd, a));			\
	EXPECT_EQ((uint32_t)(code), (a)->error);			\
	EXPECT_EQ(__seg_in, (a)->segment);				\
} while (0)

/*
 * Start @s as a sharer (a context without handlers) holding @len bytes of
 * private anonymous memory with pattern @tag; their address in @s.
 */
static uint64_t start_sharer(struct __test_metadata *_metadata, struct peer *s,
			     size_t len, uint64_t tag)
{
	uint64_t q;

	ASSERT_EQ(0, peer_start_opener(s));
	q = peer_anon(s, len, PROT_READ | PROT_WRITE);
	ASSERT_NE(0, q);
	ASSERT_EQ(0, peer_fill(s, q, len, tag));
	return q;
}

/* ---- the fixture: the test process shares ---------------------------------------- */

/*
 * The test process, a context that handles both memory records, shares
 * REGION bytes of private anonymous memory (not touched yet) with two
 * ready receivers, started first.
 */
FIXTURE(shm) {
	int fd;
	struct peer rcv;	/* the receiver */
	struct peer other;	/* another receiver, or a third process */
	char *p;		/* the region */
	long long saved_queued;	/* max_queued_signals to restore, or 0 */
};

FIXTURE_SETUP(shm)
{
	ASSERT_EQ(0, shm_probe_install());
	self->fd = iuc_shm_ctx();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, peer_start_receiver(&self->rcv));
	ASSERT_EQ(0, peer_start_receiver(&self->other));
	self->p = shm_anon(REGION);
	ASSERT_NE(NULL, self->p);
}

FIXTURE_TEARDOWN(shm)
{
	if (self->saved_queued > 0)
		EXPECT_EQ(0, param_write(PARAM_MAX_QUEUED, self->saved_queued));
	EXPECT_EQ(0, peer_stop(&self->rcv));
	EXPECT_EQ(0, peer_stop(&self->other));
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * Fill [@at, +@len) of the region with pattern @tag, share it with @rcv
 * (notified, command @tag) and check the receiver's mapping, whose address
 * is returned; *@seg: the segment.
 */
static uint64_t share_mapped(struct __test_metadata *_metadata,
			     FIXTURE_DATA(shm) *self, struct peer *rcv, char *at,
			     size_t len, uint8_t mode, uint8_t access,
			     uint16_t tag, uint64_t *seg)
{
	uint64_t start;

	ASSERT_EQ(0, shm_fill(at, len, tag, NULL));
	*seg = share_ok(_metadata, self->fd, rcv->pid, at, len, mode, access,
			IUC_NOTIFY, tag);
	start = peer_recv(_metadata, rcv, *seg, len, mode, access, tag);
	ASSERT_NE(0, start);
	EXPECT_EQ(0, peer_check(rcv, start, len, tag));
	return start;
}

/* ---- SHARE_MEM errors --------------------------------------------------------------- */

/*
 * Argument errors 0x10..0x17 and reserved fields (0x02), each on an
 * otherwise valid exclusive or mutual share: none unmaps the range or
 * reaches the receiver, and the next record is that of a valid share.
 */
TEST_F(shm, share_with_bad_arguments_fails_without_effect)
{
	/* fields not named are 0; every case fails with EINVAL */
	struct share_case {
		const char *what;
		uint8_t mode, access, notify, pad;
		uint64_t off, len;
		uint32_t flags;
		uint32_t code;
	};
	const uint64_t L = 4 * PAGE;
	const uint8_t X = IUC_SHARE_EXCLUSIVE;
	const struct share_case cases[] = {
		{ "pad not zero", .mode = X, .len = L, .pad = 1, .code = IUC_E_INVALID_ARG },
		{ "flags not zero", .mode = X, .len = L, .flags = 1, .code = IUC_E_INVALID_ARG },
		{ "notify 2", .mode = X, .notify = 2, .len = L, .code = IUC_E_SHARE_BAD_NOTIFY },
		{ "notify 0xff", .access = 0x80, .notify = 0xff, .len = L,
		  .code = IUC_E_SHARE_BAD_NOTIFY },
		{ "mode 2", .mode = 2, .len = L, .code = IUC_E_SHARE_BAD_MODE },
		{ "mode 0xff", .mode = 0xff, .access = 0x80, .len = L, .code = IUC_E_SHARE_BAD_MODE },
		{ "access bit 0x01", .access = 0x81, .len = L, .code = IUC_E_SHARE_BAD_ACCESS },
		{ "access bit 0x10", .access = 0x10, .len = L, .code = IUC_E_SHARE_BAD_ACCESS },
		{ "access 0x1f exclusive", .mode = X, .access = 0x1f, .len = L,
		  .code = IUC_E_SHARE_BAD_ACCESS },
		{ "mutual without access", .len = L, .code = IUC_E_SHARE_MUTUAL_NO_ACCESS },
		{ "exclusive with read", .mode = X, .access = 0x80, .len = L,
		  .code = IUC_E_SHARE_EXCLUSIVE_ACCESS },
		{ "exclusive with rwx", .mode = X, .access = 0xe0, .len = L,
		  .code = IUC_E_SHARE_EXCLUSIVE_ACCESS },
		{ "address + 1", .mode = X, .off = 1, .len = L - PAGE, .code = IUC_E_SHARE_UNALIGNED },
		{ "address + 2048", .access = 0xc0, .off = 2048, .len = L - PAGE,
		  .code = IUC_E_SHARE_UNALIGNED },
		{ "unaligned and zero length", .mode = X, .off = 8, .code = IUC_E_SHARE_UNALIGNED },
		{ "length - 1", .mode = X, .len = L - 1, .code = IUC_E_SHARE_LENGTH_NOT_PAGES },
		{ "length 100", .access = 0x80, .len = 100, .code = IUC_E_SHARE_LENGTH_NOT_PAGES },
		{ "length zero", .mode = X, .code = IUC_E_SHARE_LENGTH_ZERO },
		{ "length zero mutual", .access = 0x80, .notify = 1, .code = IUC_E_SHARE_LENGTH_ZERO },
	};
	struct iuc_share_mem a;
	uint64_t seg;

	ASSERT_EQ(0, shm_fill(self->p, L, 1, NULL));
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct share_case *c = &cases[i];

		a = iuc_share_args(self->rcv.pid, self->p + c->off, c->len,
				   c->mode, c->access, c->notify);
		a.__pad[0] = c->pad;
		a.flags = c->flags;
		EXPECT_EQ(-EINVAL, iuc_share_mem(self->fd, &a)) TH_LOG("%s", c->what);
		EXPECT_EQ(c->code, a.error) TH_LOG("%s", c->what);
		EXPECT_EQ(0, a.segment) TH_LOG("%s", c->what);
	}

	/* No effect: the memory is still ours, the receiver got nothing. */
	EXPECT_EQ(0, shm_check(self->p, L, 1, NULL, NULL));
	no_record(_metadata, &self->rcv);

	/* The next record is the one of a valid share. */
	seg = share_ok(_metadata, self->fd, self->rcv.pid, self->p, L,
		       IUC_SHARE_EXCLUSIVE, 0, IUC_NOTIFY, 0x4242);
	EXPECT_NE(0, peer_recv(_metadata, &self->rcv, seg, L,
			       IUC_SHARE_EXCLUSIVE, 0, 0x4242));
}

/*
 * 0x03 (EFAULT), in both modes: a range with a hole, a range not mapped at
 * all, beyond the address space or wrapping around it, and a huge range
 * that is not mapped (4 TiB: the kernel must not try to allocate a page
 * array for it first, an 8 GiB kvmalloc() warns and fails with ENOMEM).
 * The mapped parts stay, the receiver gets nothing.
 */
TEST_F(shm, share_of_unmapped_range_fails_0x03)
{
	const uint64_t huge = 16ull << 40, huge_len = 4ull << 40;
	char *p = self->p, *gone = self->p + 8 * PAGE;
	pid_t to = self->rcv.pid;
	struct iuc_share_mem a;

	ASSERT_EQ(0, munmap(p + PAGE, PAGE));
	ASSERT_EQ(0, munmap(gone, 4 * PAGE));
	ASSERT_EQ(0, shm_fill(p, PAGE, 5, NULL));
	ASSERT_EQ(0, shm_fill(p + 2 * PAGE, PAGE, 6, NULL));
	ASSERT_EQ(1, range_unmapped(huge, huge_len));

	for (int m = 0; m < 2; m++) {
		uint8_t mode = m ? IUC_SHARE_EXCLUSIVE : IUC_SHARE_MUTUAL;
		uint8_t acc = m ? 0 : SHM_ACCESS_RW;
		uint8_t notify = m ? IUC_NOTIFY : IUC_NOTIFY_SKIP;

		a = iuc_share_args(to, p, 3 * PAGE, mode, acc, IUC_NOTIFY);
		EXPECT_SHARE_FAILS(self->fd, &a, EFAULT, IUC_E_UNMAPPED);
		a = iuc_share_args(to, p + PAGE, PAGE, mode, acc, IUC_NOTIFY);
		EXPECT_SHARE_FAILS(self->fd, &a, EFAULT, IUC_E_UNMAPPED);
		a = iuc_share_args(to, p + PAGE, 2 * PAGE, mode, acc, IUC_NOTIFY);
		EXPECT_SHARE_FAILS(self->fd, &a, EFAULT, IUC_E_UNMAPPED);
		a = iuc_share_args(to, gone, 4 * PAGE, mode, acc, IUC_NOTIFY);
		EXPECT_SHARE_FAILS(self->fd, &a, EFAULT, IUC_E_UNMAPPED);
		a = iuc_share_args(to, (void *)(uintptr_t)huge, huge_len, mode,
				   m ? 0 : IUC_ACCESS_READ, notify);
		EXPECT_SHARE_FAILS(self->fd, &a, EFAULT, IUC_E_UNMAPPED);
	}
	/* beyond the address space, or wrapping around */
	a = iuc_share_args(to, (void *)(uintptr_t)(1ull << 57), PAGE,
			   IUC_SHARE_MUTUAL, IUC_ACCESS_READ, IUC_NOTIFY);
	EXPECT_SHARE_FAILS(self->fd, &a, EFAULT, IUC_E_UNMAPPED);
	a = iuc_share_args(to, (void *)(uintptr_t)(UINT64_MAX & ~(PAGE - 1)),
			   2 * PAGE, IUC_SHARE_EXCLUSIVE, 0, IUC_NOTIFY);
	EXPECT_SHARE_FAILS(self->fd, &a, EFAULT, IUC_E_UNMAPPED);
	a = iuc_share_args(to, p, UINT64_MAX & ~(PAGE - 1), IUC_SHARE_EXCLUSIVE,
			   0, IUC_NOTIFY);
	EXPECT_SHARE_FAILS(self->fd, &a, EFAULT, IUC_E_UNMAPPED);

	EXPECT_EQ(0, shm_check(p, PAGE, 5, NULL, NULL));
	EXPECT_EQ(0, shm_check(p + 2 * PAGE, PAGE, 6, NULL, NULL));
	no_record(_metadata, &self->rcv);
}

/*
 * 0x20 (ESRCH) in both modes, even without notification: a process that
 * never opened /dev/iuc, one whose context ended (it closed its fd),
 * pid 0, a pid beyond PID_MAX_LIMIT and one beyond 32 bits.  A failed
 * exclusive share leaves the range mapped with its contents.
 */
TEST_F(shm, share_to_process_without_context_fails_0x20)
{
	struct iuc_share_mem a;
	struct peer noctx;

	ASSERT_EQ(0, shm_fill(self->p, 2 * PAGE, 2, NULL));
	ASSERT_EQ(0, peer_start(&noctx, NULL));
	ASSERT_EQ(0, peer_close_dev(&self->other));
	for (int m = 0; m < 2; m++) {
		uint8_t mode = m ? IUC_SHARE_EXCLUSIVE : IUC_SHARE_MUTUAL;
		uint8_t acc = m ? 0 : SHM_ACCESS_RW;
		const pid_t pids[] = { noctx.pid, self->other.pid, 0, 4194305 };

		for (size_t i = 0; i < ARRAY_SIZE(pids); i++) {
			a = iuc_share_args(pids[i], self->p, 2 * PAGE, mode, acc,
					   IUC_NOTIFY_SKIP);
			EXPECT_SHARE_FAILS(self->fd, &a, ESRCH, IUC_E_SHARE_NO_SUCH_PID);
		}
	}
	a = iuc_share_args(0, self->p, 2 * PAGE, IUC_SHARE_EXCLUSIVE, 0,
			   IUC_NOTIFY_SKIP);
	a.target_pid = 1ull << 40;
	EXPECT_SHARE_FAILS(self->fd, &a, ESRCH, IUC_E_SHARE_NO_SUCH_PID);
	EXPECT_EQ(0, shm_check(self->p, 2 * PAGE, 2, NULL, NULL));
	EXPECT_EQ(0, peer_stop(&noctx));
}

/* 0x21 (EACCES): the target left for an IPC namespace of its own. */
TEST_F(shm, share_to_other_application_fails_0x21)
{
	struct iuc_share_mem a;
	struct peer app;

	ASSERT_EQ(0, shm_fill(self->p, 2 * PAGE, 2, NULL));
	ASSERT_EQ(0, peer_start(&app, NULL));
	ASSERT_EQ(0, peer_unshare_ipc(&app));
	ASSERT_EQ(0, peer_open_dev(&app));
	ASSERT_EQ(0, peer_handle(&app, IUC_SIG_RECV_SHARED_MEM, 0, NULL));
	ASSERT_EQ(0, peer_ready(&app, NULL));
	a = iuc_share_args(app.pid, self->p, 2 * PAGE, IUC_SHARE_EXCLUSIVE, 0,
			   IUC_NOTIFY);
	EXPECT_SHARE_FAILS(self->fd, &a, EACCES, IUC_E_SHARE_OTHER_APPLICATION);
	a = iuc_share_args(app.pid, self->p, PAGE, IUC_SHARE_MUTUAL,
			   IUC_ACCESS_READ, IUC_NOTIFY_SKIP);
	EXPECT_SHARE_FAILS(self->fd, &a, EACCES, IUC_E_SHARE_OTHER_APPLICATION);
	no_record(_metadata, &app);
	EXPECT_EQ(0, shm_check(self->p, 2 * PAGE, 2, NULL, NULL));
	EXPECT_EQ(0, peer_stop(&app));
}

/* 0x22 (EPERM), in both modes: a sharer running as nobody cannot reach root. */
TEST_F(shm, share_to_other_user_fails_0x22)
{
	struct peer *nobody = &self->other;
	struct iuc_share_mem a;
	uint64_t q;

	ASSERT_EQ(0, peer_setuid(nobody, UID_NOBODY));
	q = peer_anon(nobody, PAGE, PROT_READ | PROT_WRITE);
	ASSERT_NE(0, q);
	ASSERT_EQ(0, peer_fill(nobody, q, PAGE, 3));
	for (int m = 0; m < 2; m++) {
		a = iuc_share_args(getpid(), (void *)(uintptr_t)q, PAGE,
				   m ? IUC_SHARE_EXCLUSIVE : IUC_SHARE_MUTUAL,
				   m ? 0 : IUC_ACCESS_READ, IUC_NOTIFY_SKIP);
		EXPECT_EQ(-EPERM, peer_share(nobody, &a));
		EXPECT_EQ(IUC_E_SHARE_OTHER_USER, a.error);
		EXPECT_EQ(0, a.segment);
	}
	EXPECT_EQ(0, peer_check(nobody, q, PAGE, 3));
	EXPECT_EQ(0, iuc_poll(self->fd, POLLIN, 0));
}

/*
 * 0x23 (ENOENT): a notified share to a target that does not handle
 * RECV_SHARED_MEM, in both modes; without notification (IUC_NOTIFY_SKIP)
 * the same target gets the segment and maps it by id.
 */
TEST_F(shm, share_without_receivers_handler_fails_0x23_unless_not_notified)
{
	static const uint8_t unshared_only[] = { IUC_SIG_UNSHARED_MEM };
	struct iuc_share_mem a;
	struct peer nh;
	uint64_t seg, q;

	ASSERT_EQ(0, shm_fill(self->p, 2 * PAGE, 2, NULL));
	ASSERT_EQ(0, peer_start_ctx(&nh, unshared_only, 1, true));
	a = iuc_share_args(nh.pid, self->p, 2 * PAGE, IUC_SHARE_EXCLUSIVE, 0,
			   IUC_NOTIFY);
	EXPECT_SHARE_FAILS(self->fd, &a, ENOENT, IUC_E_SHARE_NO_HANDLER);
	a = iuc_share_args(nh.pid, self->p, 2 * PAGE, IUC_SHARE_MUTUAL,
			   IUC_ACCESS_READ, IUC_NOTIFY);
	EXPECT_SHARE_FAILS(self->fd, &a, ENOENT, IUC_E_SHARE_NO_HANDLER);
	no_record(_metadata, &nh);
	EXPECT_EQ(0, shm_check(self->p, 2 * PAGE, 2, NULL, NULL));

	seg = share_ok(_metadata, self->fd, nh.pid, self->p, PAGE,
		       IUC_SHARE_MUTUAL, IUC_ACCESS_READ, IUC_NOTIFY_SKIP, 1);
	q = peer_mmap_id(&nh, seg, PAGE, PROT_READ, MAP_SHARED, NULL);
	ASSERT_NE(0, q);
	EXPECT_EQ(0, peer_check(&nh, q, PAGE, 2));
	no_record(_metadata, &nh);
	EXPECT_EQ(0, peer_stop(&nh));
}

/* A file of @pages pages in /tmp, unlinked; the fd or -errno. */
static int tmp_file(size_t pages)
{
	char name[] = "/tmp/iuc_shm_XXXXXX";
	int fd = mkstemp(name);

	if (fd < 0)
		return -errno;
	unlink(name);
	if (ftruncate(fd, (off_t)(pages * PAGE))) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* Two read-write pages of @fd at @off, or MAP_FAILED. */
static char *map2(int fd, int flags, off_t off)
{
	return mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, flags, fd, off);
}

/*
 * Only private anonymous memory can be shared (0x24, EINVAL), in both
 * modes: MAP_SHARED anonymous memory, memfd (shared and private), a file
 * (shared and private), a range that is private anonymous only in part,
 * and a segment mapping the receiver got from /dev/iuc.  Each stays
 * mapped with its contents.
 */
TEST_F(shm, share_of_memory_not_private_anonymous_fails_0x24)
{
	struct {
		const char *what;
		char *p;
		size_t len;
	} r[6];
	int memfd = memfd_create("iuc_shm", MFD_CLOEXEC), file = tmp_file(4);
	char *mixed = self->p;
	struct iuc_share_mem a;
	uint64_t seg, start;
	int n = 0;

	ASSERT_LE(0, memfd);
	ASSERT_EQ(0, ftruncate(memfd, 4 * PAGE));
	ASSERT_LE(0, file);
	r[n++] = (typeof(r[0])){ "MAP_SHARED anonymous",
		map2(-1, MAP_SHARED | MAP_ANONYMOUS, 0), 2 * PAGE };
	r[n++] = (typeof(r[0])){ "memfd MAP_SHARED", map2(memfd, MAP_SHARED, 0), 2 * PAGE };
	r[n++] = (typeof(r[0])){ "memfd MAP_PRIVATE",
		map2(memfd, MAP_PRIVATE, 2 * PAGE), 2 * PAGE };
	r[n++] = (typeof(r[0])){ "file MAP_SHARED", map2(file, MAP_SHARED, 0), 2 * PAGE };
	r[n++] = (typeof(r[0])){ "file MAP_PRIVATE",
		map2(file, MAP_PRIVATE, 2 * PAGE), 2 * PAGE };
	/* private anonymous, then MAP_SHARED anonymous over its second half */
	ASSERT_NE(MAP_FAILED, mmap(mixed + 2 * PAGE, 2 * PAGE, PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	r[n++] = (typeof(r[0])){ "private then shared", mixed, 4 * PAGE };

	for (int i = 0; i < n; i++) {
		ASSERT_NE(MAP_FAILED, r[i].p) TH_LOG("%s", r[i].what);
		ASSERT_EQ(0, shm_fill(r[i].p, r[i].len, 100 + i, NULL)) TH_LOG("%s", r[i].what);
		for (int m = 0; m < 2; m++) {
			a = iuc_share_args(self->rcv.pid, r[i].p, r[i].len,
					   m ? IUC_SHARE_EXCLUSIVE : IUC_SHARE_MUTUAL,
					   m ? 0 : SHM_ACCESS_RW, IUC_NOTIFY);
			EXPECT_EQ(-EINVAL, iuc_share_mem(self->fd, &a)) TH_LOG("%s", r[i].what);
			EXPECT_EQ(IUC_E_SHARE_NOT_PRIVATE_ANON, a.error) TH_LOG("%s", r[i].what);
			EXPECT_EQ(0, a.segment);
		}
		EXPECT_EQ(0, shm_check(r[i].p, r[i].len, 100 + i, NULL, NULL))
			TH_LOG("%s", r[i].what);
	}
	/* the private anonymous half alone is fine */
	seg = share_ok(_metadata, self->fd, self->rcv.pid, mixed, 2 * PAGE,
		       IUC_SHARE_MUTUAL, SHM_ACCESS_RW, IUC_NOTIFY, 9);
	start = peer_recv(_metadata, &self->rcv, seg, 2 * PAGE,
			  IUC_SHARE_MUTUAL, SHM_ACCESS_RW, 9);
	ASSERT_NE(0, start);
	no_record(_metadata, &self->rcv);

	/* The receiver cannot pass its segment mapping on. */
	for (int m = 0; m < 2; m++) {
		a = iuc_share_args(getpid(), (void *)(uintptr_t)start, 2 * PAGE,
				   m ? IUC_SHARE_EXCLUSIVE : IUC_SHARE_MUTUAL,
				   m ? 0 : IUC_ACCESS_READ, IUC_NOTIFY_SKIP);
		EXPECT_EQ(-EINVAL, peer_share(&self->rcv, &a));
		EXPECT_EQ(IUC_E_SHARE_NOT_PRIVATE_ANON, a.error);
	}
	EXPECT_EQ(0, peer_check(&self->rcv, start, 2 * PAGE, 100 + n - 1));
	close(memfd);
	close(file);
}

/*
 * 0x30 (ENOMEM): the receiver's RLIMIT_AS leaves no room for the segment.
 * A segment that fits still works.
 */
TEST_F(shm, share_beyond_receivers_address_space_limit_fails_0x30)
{
	const size_t big = 4 << 20, small = 64 * PAGE;
	char *p = shm_anon(big);
	struct iuc_share_mem a;
	uint64_t vs, seg, start;

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, shm_fill(p, big, 30, NULL));
	vs = peer_v0(&self->rcv, PEER_VMSIZE, 0);
	ASSERT_NE(0, vs);
	ASSERT_EQ(0, peer_setrlimit(&self->rcv, RLIMIT_AS, vs + (1 << 20),
				    RLIM_INFINITY));

	a = iuc_share_args(self->rcv.pid, p, big, IUC_SHARE_MUTUAL,
			   SHM_ACCESS_RW, IUC_NOTIFY);
	EXPECT_SHARE_FAILS(self->fd, &a, ENOMEM, IUC_E_SHARE_NO_ROOM);
	a = iuc_share_args(self->rcv.pid, p, big, IUC_SHARE_EXCLUSIVE, 0,
			   IUC_NOTIFY_SKIP);
	EXPECT_SHARE_FAILS(self->fd, &a, ENOMEM, IUC_E_SHARE_NO_ROOM);
	EXPECT_EQ(0, shm_check(p, big, 30, NULL, NULL));
	no_record(_metadata, &self->rcv);

	seg = share_ok(_metadata, self->fd, self->rcv.pid, p, small,
		       IUC_SHARE_EXCLUSIVE, 0, IUC_NOTIFY, 30);
	start = peer_recv(_metadata, &self->rcv, seg, small,
			  IUC_SHARE_EXCLUSIVE, 0, 30);
	ASSERT_NE(0, start);
	EXPECT_EQ(0, peer_check(&self->rcv, start, small, 30));
}

/*
 * 0x31 (ENOMEM): pinned pages are charged to the sharer's user against
 * RLIMIT_MEMLOCK, exactly, and given back by UNSHARE_MEM and MEM_UNMAP.
 * Sharer and receiver run as nobody, without CAP_IPC_LOCK (they opened
 * /dev/iuc before dropping root: what counts is the user at SHARE_MEM).
 */
TEST_F(shm, pinned_pages_count_against_sharers_memlock_limit_0x31)
{
	struct peer *s = &self->other, *rcv = &self->rcv;
	struct iuc_share_mem a;
	uint64_t q, sa, sb, sc, sd;
	uint32_t err;

	ASSERT_EQ(0, peer_setuid(rcv, UID_NOBODY));
	ASSERT_EQ(0, peer_setuid(s, UID_NOBODY));
	ASSERT_EQ(0, peer_setrlimit(s, RLIMIT_MEMLOCK, 4 * PAGE, 4 * PAGE));
	q = peer_anon(s, 16 * PAGE, PROT_READ | PROT_WRITE);
	ASSERT_NE(0, q);
	ASSERT_EQ(0, peer_fill(s, q, 16 * PAGE, 31));

	/* 3 of 4 pages */
	sa = peer_share_ok(_metadata, s, rcv->pid, q, 3 * PAGE, IUC_SHARE_MUTUAL,
			   IUC_ACCESS_READ, IUC_NOTIFY_SKIP, 0);
	/* 5 > 4 */
	a = iuc_share_args(rcv->pid, (void *)(uintptr_t)(q + 4 * PAGE), 2 * PAGE,
			   IUC_SHARE_MUTUAL, IUC_ACCESS_READ, IUC_NOTIFY_SKIP);
	EXPECT_EQ(-ENOMEM, peer_share(s, &a));
	EXPECT_EQ(IUC_E_SHARE_PIN_LIMIT, a.error);
	/* exactly 4 */
	sb = peer_share_ok(_metadata, s, rcv->pid, q + 4 * PAGE, PAGE,
			   IUC_SHARE_MUTUAL, IUC_ACCESS_READ, IUC_NOTIFY_SKIP, 0);
	/* one more page, exclusive: refused, and the range stays */
	a = iuc_share_args(rcv->pid, (void *)(uintptr_t)(q + 8 * PAGE), PAGE,
			   IUC_SHARE_EXCLUSIVE, 0, IUC_NOTIFY_SKIP);
	EXPECT_EQ(-ENOMEM, peer_share(s, &a));
	EXPECT_EQ(IUC_E_SHARE_PIN_LIMIT, a.error);
	EXPECT_EQ(0, peer_check(s, q, 16 * PAGE, 31));

	/* UNSHARE_MEM gives 3 pages back */
	EXPECT_EQ(0, peer_unshare_mem(s, sa, &err));
	sc = peer_share_ok(_metadata, s, rcv->pid, q + 8 * PAGE, 3 * PAGE,
			   IUC_SHARE_EXCLUSIVE, 0, IUC_NOTIFY_SKIP, 0);
	a = iuc_share_args(rcv->pid, (void *)(uintptr_t)(q + 12 * PAGE), PAGE,
			   IUC_SHARE_MUTUAL, IUC_ACCESS_READ, IUC_NOTIFY_SKIP);
	EXPECT_EQ(-ENOMEM, peer_share(s, &a));
	EXPECT_EQ(IUC_E_SHARE_PIN_LIMIT, a.error);

	/* the receiver's MEM_UNMAP of the exclusive one gives 3 back */
	EXPECT_EQ(0, peer_mem_unmap(rcv, sc, &err));
	EXPECT_EQ(IUC_E_NONE, err);
	sd = peer_share_ok(_metadata, s, rcv->pid, q + 12 * PAGE, 3 * PAGE,
			   IUC_SHARE_MUTUAL, SHM_ACCESS_RW, IUC_NOTIFY_SKIP, 0);
	EXPECT_NE(sb, sd);
}

/*
 * CAP_IPC_LOCK bypasses RLIMIT_MEMLOCK; without it a limit of 0 refuses
 * every share with 0x31.
 */
TEST_F(shm, cap_ipc_lock_lifts_the_memlock_limit)
{
	struct rlimit zero = { 0, 0 };
	char *p = self->p;
	struct iuc_share_mem a;

	ASSERT_EQ(1, has_cap(CAP_IPC_LOCK));
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &zero));

	share_ok(_metadata, self->fd, self->rcv.pid, p, 8 * PAGE,
		 IUC_SHARE_MUTUAL, IUC_ACCESS_READ, IUC_NOTIFY_SKIP, 0);
	ASSERT_EQ(0, drop_cap(CAP_IPC_LOCK));
	a = iuc_share_args(self->rcv.pid, p + 8 * PAGE, PAGE, IUC_SHARE_MUTUAL,
			   IUC_ACCESS_READ, IUC_NOTIFY_SKIP);
	EXPECT_SHARE_FAILS(self->fd, &a, ENOMEM, IUC_E_SHARE_PIN_LIMIT);
	a = iuc_share_args(self->rcv.pid, p + 8 * PAGE, PAGE,
			   IUC_SHARE_EXCLUSIVE, 0, IUC_NOTIFY_SKIP);
	EXPECT_SHARE_FAILS(self->fd, &a, ENOMEM, IUC_E_SHARE_PIN_LIMIT);
	EXPECT_EQ(0, shm_write64(p + 8 * PAGE, 1, NULL));
}

/*
 * 0x3F (EAGAIN): the receiver's signal queue is full (max_queued_signals
 * 2, restored by the teardown); a notified share fails without effect, an
 * unnotified one still works, and reading one record makes room again.
 */
TEST_F(shm, notified_share_to_full_queue_fails_0x3f)
{
	char *p = self->p;
	struct iuc_share_mem a;
	uint64_t s1, s2, s3;

	self->saved_queued = param_read(PARAM_MAX_QUEUED);
	ASSERT_LT(0, self->saved_queued);
	ASSERT_EQ(0, param_write(PARAM_MAX_QUEUED, 2));
	ASSERT_EQ(0, shm_fill(p, 8 * PAGE, 40, NULL));

	s1 = share_ok(_metadata, self->fd, self->rcv.pid, p, PAGE,
		      IUC_SHARE_MUTUAL, IUC_ACCESS_READ, IUC_NOTIFY, 1);
	s2 = share_ok(_metadata, self->fd, self->rcv.pid, p, PAGE,
		      IUC_SHARE_MUTUAL, IUC_ACCESS_READ, IUC_NOTIFY, 2);
	a = iuc_share_args(self->rcv.pid, p + 4 * PAGE, 4 * PAGE,
			   IUC_SHARE_EXCLUSIVE, 0, IUC_NOTIFY);
	EXPECT_SHARE_FAILS(self->fd, &a, EAGAIN, IUC_E_QUEUE_FULL);
	a = iuc_share_args(self->rcv.pid, p + 4 * PAGE, 4 * PAGE,
			   IUC_SHARE_MUTUAL, IUC_ACCESS_READ, IUC_NOTIFY);
	EXPECT_SHARE_FAILS(self->fd, &a, EAGAIN, IUC_E_QUEUE_FULL);
	EXPECT_EQ(0, shm_check(p, 8 * PAGE, 40, NULL, NULL));
	share_ok(_metadata, self->fd, self->rcv.pid, p + PAGE, PAGE,
		 IUC_SHARE_MUTUAL, IUC_ACCESS_READ, IUC_NOTIFY_SKIP, 3);

	EXPECT_NE(0, peer_recv(_metadata, &self->rcv, s1, PAGE,
			       IUC_SHARE_MUTUAL, IUC_ACCESS_READ, 1));
	s3 = share_ok(_metadata, self->fd, self->rcv.pid, p + 4 * PAGE, 4 * PAGE,
		      IUC_SHARE_EXCLUSIVE, 0, IUC_NOTIFY, 4);
	EXPECT_NE(0, peer_recv(_metadata, &self->rcv, s2, PAGE,
			       IUC_SHARE_MUTUAL, IUC_ACCESS_READ, 2));
	EXPECT_NE(0, peer_recv(_metadata, &self->rcv, s3, 4 * PAGE,
			       IUC_SHARE_EXCLUSIVE, 0, 4));
}

/* ---- UNSHARE_MEM, MEM_UNMAP, MEM_SHARING_INFO errors -------------------------- */

/*
 * A mutual read-write segment *m (pattern @tag) and an exclusive one *x
 * (pattern @tag + 1), two pages each, shared with the receiver, whose
 * mappings are *ms and *xs.
 */
static void share_pair(struct __test_metadata *_metadata,
		       FIXTURE_DATA(shm) *self, uint16_t tag,
		       uint64_t *m, uint64_t *x, uint64_t *ms, uint64_t *xs)
{
	*ms = share_mapped(_metadata, self, &self->rcv, self->p, 2 * PAGE,
			   IUC_SHARE_MUTUAL, SHM_ACCESS_RW, tag, m);
	*xs = share_mapped(_metadata, self, &self->rcv, self->p + 2 * PAGE,
			   2 * PAGE, IUC_SHARE_EXCLUSIVE, 0, tag + 1, x);
}

/*
 * UNSHARE_MEM: unknown segment 0x10 (EBADF), also for the receiver and a
 * third process; an exclusive segment 0x20 (EPERM) for its sharer.  None
 * changes anything.
 */
TEST_F(shm, unshare_of_unknown_or_exclusive_segment_fails)
{
	uint64_t m, x, ms, xs, v;
	uint32_t err;

	share_pair(_metadata, self, 50, &m, &x, &ms, &xs);

	const uint64_t unknown[] = { 0, x + 1000, UINT64_MAX };

	for (size_t i = 0; i < ARRAY_SIZE(unknown); i++) {
		EXPECT_EQ(-EBADF, iuc_unshare_mem(self->fd, unknown[i], &err));
		EXPECT_EQ(IUC_E_UNSHARE_UNKNOWN_SEGMENT, err);
	}
	/* receiver and third process: not theirs to unshare */
	EXPECT_EQ(-EBADF, peer_unshare_mem(&self->rcv, m, &err));
	EXPECT_EQ(IUC_E_UNSHARE_UNKNOWN_SEGMENT, err);
	EXPECT_EQ(-EBADF, peer_unshare_mem(&self->rcv, x, &err));
	EXPECT_EQ(IUC_E_UNSHARE_UNKNOWN_SEGMENT, err);
	EXPECT_EQ(-EBADF, peer_unshare_mem(&self->other, m, &err));
	EXPECT_EQ(IUC_E_UNSHARE_UNKNOWN_SEGMENT, err);
	/* exclusive: left to the receiver */
	EXPECT_EQ(-EPERM, iuc_unshare_mem(self->fd, x, &err));
	EXPECT_EQ(IUC_E_UNSHARE_EXCLUSIVE, err);

	/* nothing changed */
	EXPECT_EQ(0, shm_write64(self->p + 8, 0x1111, NULL));
	EXPECT_EQ(0, peer_read64(&self->rcv, ms + 8, &v));
	EXPECT_EQ(0x1111, v);
	EXPECT_EQ(0, peer_check(&self->rcv, xs, 2 * PAGE, 51));
	no_record(_metadata, &self->rcv);
	no_record(_metadata, &self->other);
}

/*
 * MEM_UNMAP: unknown segment 0x10 (EBADF), also for a third process; the
 * sharer is not the receiver: 0x20 (EPERM), in both modes.  None changes
 * anything.
 */
TEST_F(shm, mem_unmap_by_other_than_receiver_fails)
{
	uint64_t m, x, ms, xs;
	uint32_t err;

	share_pair(_metadata, self, 52, &m, &x, &ms, &xs);

	EXPECT_EQ(-EBADF, iuc_mem_unmap(self->fd, 0, &err));
	EXPECT_EQ(IUC_E_UNMAP_UNKNOWN_SEGMENT, err);
	EXPECT_EQ(-EBADF, iuc_mem_unmap(self->fd, UINT64_MAX, &err));
	EXPECT_EQ(IUC_E_UNMAP_UNKNOWN_SEGMENT, err);
	EXPECT_EQ(-EBADF, peer_mem_unmap(&self->rcv, x + 1000, &err));
	EXPECT_EQ(IUC_E_UNMAP_UNKNOWN_SEGMENT, err);
	EXPECT_EQ(-EPERM, iuc_mem_unmap(self->fd, m, &err));
	EXPECT_EQ(IUC_E_UNMAP_NOT_RECEIVER, err);
	EXPECT_EQ(-EPERM, iuc_mem_unmap(self->fd, x, &err));
	EXPECT_EQ(IUC_E_UNMAP_NOT_RECEIVER, err);
	EXPECT_EQ(-EBADF, peer_mem_unmap(&self->other, m, &err));
	EXPECT_EQ(IUC_E_UNMAP_UNKNOWN_SEGMENT, err);
	EXPECT_EQ(-EBADF, peer_mem_unmap(&self->other, x, &err));
	EXPECT_EQ(IUC_E_UNMAP_UNKNOWN_SEGMENT, err);

	/* nothing changed */
	EXPECT_EQ(0, peer_check(&self->rcv, ms, 2 * PAGE, 52));
	EXPECT_EQ(0, peer_check(&self->rcv, xs, 2 * PAGE, 53));
	EXPECT_EQ(0, peer_write64(&self->rcv, ms, 7));
	EXPECT_EQ(7, *(volatile uint64_t *)self->p);
	no_record(_metadata, &self->rcv);
}

static void expect_info(struct __test_metadata *_metadata,
			const struct iuc_mem_sharing_info *i, pid_t sharer,
			pid_t receiver, uint64_t saddr, uint64_t raddr,
			uint64_t len, uint16_t command, uint8_t mode,
			uint8_t access)
{
	EXPECT_EQ(IUC_E_NONE, i->error);
	EXPECT_EQ((uint64_t)sharer, i->sharer_pid);
	EXPECT_EQ((uint64_t)receiver, i->receiver_pid);
	EXPECT_EQ(saddr, i->sharer_addr);
	EXPECT_EQ(raddr, i->receiver_addr);
	EXPECT_EQ(len, i->length);
	EXPECT_EQ(command, i->command);
	EXPECT_EQ(mode, i->mode);
	EXPECT_EQ(access, i->access);
	EXPECT_TRUE(all_zero(i->__pad, sizeof(i->__pad)));
}

/*
 * MEM_SHARING_INFO, from the sharer and the receiver: pids, each side its
 * own address only (the other's is 0: no ASLR leak; the receiver's 0
 * until it maps the segment, the sharer's 0 for exclusive), length,
 * command, mode, access.  Unknown or foreign segments: 0x10; output
 * fields are ignored on input, the pad is not (0x02).
 */
TEST_F(shm, sharing_info_shows_each_side_its_own_address)
{
	const uint8_t rx = IUC_ACCESS_READ | IUC_ACCESS_EXEC;
	struct peer *rcv = &self->rcv;
	char *p = self->p;
	struct iuc_mem_sharing_info i;
	uint64_t m, x, k, ms, xs, ks;
	pid_t me = getpid();

	m = share_ok(_metadata, self->fd, rcv->pid, p, 3 * PAGE,
		     IUC_SHARE_MUTUAL, rx, IUC_NOTIFY, 0x1234);
	x = share_ok(_metadata, self->fd, rcv->pid, p + 3 * PAGE, 2 * PAGE,
		     IUC_SHARE_EXCLUSIVE, 0, IUC_NOTIFY, 0xBEEF);
	k = share_ok(_metadata, self->fd, rcv->pid, p + 5 * PAGE, 3 * PAGE,
		     IUC_SHARE_MUTUAL, SHM_ACCESS_RW, IUC_NOTIFY_SKIP, 0xFFFF);

	/* before the receiver read anything: no receiver address */
	ASSERT_EQ(0, iuc_mem_info(self->fd, m, &i));
	expect_info(_metadata, &i, me, rcv->pid, (uintptr_t)p, 0, 3 * PAGE,
		    0x1234, IUC_SHARE_MUTUAL, rx);
	ASSERT_EQ(0, peer_mem_info(rcv, m, &i));
	expect_info(_metadata, &i, me, rcv->pid, 0, 0, 3 * PAGE,
		    0x1234, IUC_SHARE_MUTUAL, rx);
	ASSERT_EQ(0, iuc_mem_info(self->fd, x, &i));
	expect_info(_metadata, &i, me, rcv->pid, 0, 0, 2 * PAGE, 0xBEEF,
		    IUC_SHARE_EXCLUSIVE, 0);

	ms = peer_recv(_metadata, rcv, m, 3 * PAGE, IUC_SHARE_MUTUAL, rx, 0x1234);
	xs = peer_recv(_metadata, rcv, x, 2 * PAGE, IUC_SHARE_EXCLUSIVE, 0, 0xBEEF);
	ASSERT_NE(0, ms);
	ASSERT_NE(0, xs);
	ASSERT_EQ(0, iuc_mem_info(self->fd, m, &i));
	expect_info(_metadata, &i, me, rcv->pid, (uintptr_t)p, 0, 3 * PAGE,
		    0x1234, IUC_SHARE_MUTUAL, rx);
	ASSERT_EQ(0, peer_mem_info(rcv, m, &i));
	expect_info(_metadata, &i, me, rcv->pid, 0, ms, 3 * PAGE,
		    0x1234, IUC_SHARE_MUTUAL, rx);
	ASSERT_EQ(0, peer_mem_info(rcv, x, &i));
	expect_info(_metadata, &i, me, rcv->pid, 0, xs, 2 * PAGE, 0xBEEF,
		    IUC_SHARE_EXCLUSIVE, 0);

	/* not notified: receiver address once it maps the segment by id */
	ASSERT_EQ(0, peer_mem_info(rcv, k, &i));
	expect_info(_metadata, &i, me, rcv->pid, 0, 0,
		    3 * PAGE, 0xFFFF, IUC_SHARE_MUTUAL, SHM_ACCESS_RW);
	ks = peer_mmap_id(rcv, k, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, NULL);
	ASSERT_NE(0, ks);
	ASSERT_EQ(0, peer_mem_info(rcv, k, &i));
	expect_info(_metadata, &i, me, rcv->pid, 0, ks,
		    3 * PAGE, 0xFFFF, IUC_SHARE_MUTUAL, SHM_ACCESS_RW);
	ASSERT_EQ(0, iuc_mem_info(self->fd, k, &i));
	expect_info(_metadata, &i, me, rcv->pid, (uintptr_t)(p + 5 * PAGE), 0,
		    3 * PAGE, 0xFFFF, IUC_SHARE_MUTUAL, SHM_ACCESS_RW);

	/* unknown, foreign */
	const uint64_t unknown[] = { 0, k + 1000, UINT64_MAX };

	for (size_t n = 0; n < ARRAY_SIZE(unknown); n++) {
		EXPECT_EQ(-EBADF, iuc_mem_info(self->fd, unknown[n], &i));
		EXPECT_EQ(IUC_E_MEMINFO_UNKNOWN_SEGMENT, i.error);
	}
	EXPECT_EQ(-EBADF, peer_mem_info(&self->other, m, &i));
	EXPECT_EQ(IUC_E_MEMINFO_UNKNOWN_SEGMENT, i.error);
	EXPECT_EQ(-EBADF, peer_mem_info(&self->other, x, &i));
	EXPECT_EQ(IUC_E_MEMINFO_UNKNOWN_SEGMENT, i.error);

	/* Output fields are ignored on input (a struct can be reused); pad is not. */
	for (int f = 0; f < 4; f++) {
		memset(&i, 0, sizeof(i));
		i.error = ERR_SENTINEL;
		i.segment = m;
		if (f == 0)
			i.length = 1;
		else if (f == 1)
			i.receiver_pid = 1;
		else if (f == 2)
			i.access = 1;
		else
			i.__pad[3] = 1;
		if (f < 3) {
			EXPECT_EQ(0, iuc_ioctl(self->fd, IUC_IOC_MEM_SHARING_INFO, &i));
			EXPECT_EQ(IUC_E_NONE, i.error);
			EXPECT_EQ(3 * PAGE, i.length);
			EXPECT_EQ(rcv->pid, (pid_t)i.receiver_pid);
		} else {
			EXPECT_EQ(-EINVAL, iuc_ioctl(self->fd, IUC_IOC_MEM_SHARING_INFO, &i));
			EXPECT_EQ(IUC_E_INVALID_ARG, i.error);
		}
	}
}

/* ---- zero copy ---------------------------------------------------------------- */

/* Read @n witnessed pages: each must hold pattern @tag of its page @idx[i]. */
static void witness_expect(struct __test_metadata *_metadata, int wit[2],
			   const size_t *idx, int n, uint64_t tag)
{
	char buf[PAGE];

	for (int i = 0; i < n; i++) {
		ASSERT_EQ(0, witness_read(wit[0], buf));
		EXPECT_EQ(shm_pat(tag, idx[i]), *(uint64_t *)buf) TH_LOG("page %zu", idx[i]);
		EXPECT_EQ(~shm_pat(tag, idx[i]), *(uint64_t *)(buf + PAGE - 8));
	}
	close(wit[0]);
	close(wit[1]);
}

/*
 * Mutual sharing is zero copy: writes made after sharing are seen on the
 * other side in both directions, also between two receivers of the same
 * range; the sharer's frames do not change (pagemap) and a pipe that
 * references them (vmsplice) returns what a receiver wrote.
 */
TEST_F(shm, mutual_segment_is_zero_copy_both_ways)
{
	static const size_t idx[] = { 0, 1 };
	struct peer *r1 = &self->rcv, *r2 = &self->other;
	char *p = self->p;
	uint64_t s1, s2, a1, a2, v, pfn[2];
	void *pages[2];
	int wit[2];

	ASSERT_EQ(0, shm_fill(p, 2 * PAGE, 60, NULL));
	for (int i = 0; i < 2; i++) {
		pages[i] = p + i * PAGE;
		pfn[i] = pfn_of(pages[i]);
		ASSERT_NE(0, pfn[i]);
	}
	ASSERT_EQ(0, witness_take(wit, pages, 2));
	s1 = share_ok(_metadata, self->fd, r1->pid, p, 2 * PAGE,
		      IUC_SHARE_MUTUAL, SHM_ACCESS_RW, IUC_NOTIFY, 1);
	s2 = share_ok(_metadata, self->fd, r2->pid, p, 2 * PAGE,
		      IUC_SHARE_MUTUAL, SHM_ACCESS_RW, IUC_NOTIFY, 2);
	EXPECT_NE(s1, s2);
	a1 = peer_recv(_metadata, r1, s1, 2 * PAGE, IUC_SHARE_MUTUAL,
		       SHM_ACCESS_RW, 1);
	a2 = peer_recv(_metadata, r2, s2, 2 * PAGE, IUC_SHARE_MUTUAL,
		       SHM_ACCESS_RW, 2);
	ASSERT_NE(0, a1);
	ASSERT_NE(0, a2);
	EXPECT_EQ(0, peer_check(r1, a1, 2 * PAGE, 60));
	EXPECT_EQ(0, peer_check(r2, a2, 2 * PAGE, 60));

	/* sharer -> receivers */
	*(volatile uint64_t *)(p + 64) = 0xA1;
	EXPECT_EQ(0, peer_read64(r1, a1 + 64, &v));
	EXPECT_EQ(0xA1, v);
	EXPECT_EQ(0, peer_read64(r2, a2 + 64, &v));
	EXPECT_EQ(0xA1, v);
	/* receiver 1 -> sharer, receiver 2 */
	EXPECT_EQ(0, peer_write64(r1, a1 + PAGE + 128, 0xB2));
	EXPECT_EQ(0xB2, *(volatile uint64_t *)(p + PAGE + 128));
	EXPECT_EQ(0, peer_read64(r2, a2 + PAGE + 128, &v));
	EXPECT_EQ(0xB2, v);
	/* receiver 2 -> sharer, receiver 1 */
	EXPECT_EQ(0, peer_write64(r2, a2 + 256, 0xC3));
	EXPECT_EQ(0xC3, *(volatile uint64_t *)(p + 256));
	EXPECT_EQ(0, peer_read64(r1, a1 + 256, &v));
	EXPECT_EQ(0xC3, v);
	/* a whole pattern written by a receiver */
	EXPECT_EQ(0, peer_fill(r2, a2, 2 * PAGE, 61));
	EXPECT_EQ(0, shm_check(p, 2 * PAGE, 61, NULL, NULL));
	EXPECT_EQ(0, peer_check(r1, a1, 2 * PAGE, 61));

	/* the same frames all along */
	for (int i = 0; i < 2; i++)
		EXPECT_EQ(pfn[i], pfn_of(p + i * PAGE));
	witness_expect(_metadata, wit, idx, 2, 61);
}

/*
 * Exclusive sharing moves the memory: the sharer's range is unmapped when
 * the call returns (SIGSEGV, SEGV_MAPERR), the receiver maps it with the
 * contents intact and may write it.  Nothing else reaches the receiver's
 * pages: a pipe referencing the sharer's frames from before the share
 * (vmsplice: plain references, not pins) keeps returning what the sharer
 * had written, never what the receiver writes (those pages were handed
 * over as copies).
 */
TEST_F(shm, exclusive_share_moves_the_pages)
{
	static const size_t idx[] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	const size_t len = 8 * PAGE;
	char *p = self->p;
	uint64_t seg, start;
	struct shm_fault f;
	void *pages[8];
	char *again;
	int wit[2];

	ASSERT_EQ(0, shm_fill(p, len, 70, NULL));
	for (int i = 0; i < 8; i++)
		pages[i] = p + i * PAGE;
	ASSERT_EQ(0, witness_take(wit, pages, 8));
	seg = share_ok(_metadata, self->fd, self->rcv.pid, p, len,
		       IUC_SHARE_EXCLUSIVE, 0, IUC_NOTIFY, 0x77);

	/* gone from the sharer */
	EXPECT_EQ(SIGSEGV, shm_read64(p, NULL, &f));
	EXPECT_EQ(SEGV_MAPERR, f.code);
	EXPECT_EQ((uintptr_t)p, f.addr);
	EXPECT_EQ(SIGSEGV, shm_read64(p + len - 8, NULL, &f));
	EXPECT_EQ(SEGV_MAPERR, f.code);
	EXPECT_EQ(SIGSEGV, shm_write64(p + PAGE, 1, &f));
	EXPECT_EQ(1, range_unmapped((uintptr_t)p, len));

	/* at the receiver, same contents; its writes reach no other page */
	start = peer_recv(_metadata, &self->rcv, seg, len, IUC_SHARE_EXCLUSIVE,
			  0, 0x77);
	ASSERT_NE(0, start);
	EXPECT_EQ(0, peer_check(&self->rcv, start, len, 70));
	EXPECT_EQ(0, peer_fill(&self->rcv, start, len, 71));
	EXPECT_EQ(0, peer_check(&self->rcv, start, len, 71));
	witness_expect(_metadata, wit, idx, 8, 70);

	/* the sharer's old range is free: new memory there is fresh */
	again = mmap(p, len, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ASSERT_EQ(p, again);
	EXPECT_TRUE(all_zero(again, len));
	EXPECT_EQ(0, peer_check(&self->rcv, start, len, 71));
}

/*
 * A read-only mutual share: the receiver reads, its writes raise SIGSEGV
 * (SEGV_ACCERR), and it cannot gain write or exec access with mprotect(2)
 * or a new mmap(2) (EACCES).  It still sees the sharer's writes.
 */
TEST_F(shm, read_only_receiver_cannot_write_or_gain_access)
{
	struct peer *rcv = &self->rcv;
	char *p = self->p;
	struct peer_reply r;
	uint64_t seg, start, v;
	int err;

	start = share_mapped(_metadata, self, rcv, p, 2 * PAGE, IUC_SHARE_MUTUAL,
			     IUC_ACCESS_READ, 80, &seg);

	ASSERT_EQ(0, peer_cmd(rcv, PEER_WRITE64, start + PAGE, 5, 0, 0, &r));
	EXPECT_EQ(SIGSEGV, r.signo);
	EXPECT_EQ(SEGV_ACCERR, r.si_code);
	EXPECT_EQ(start + PAGE, r.fault_addr);
	EXPECT_EQ(shm_pat(80, 1), *(volatile uint64_t *)(p + PAGE));

	EXPECT_EQ(-EACCES, peer_cmd(rcv, PEER_MPROTECT, start, 2 * PAGE,
				    PROT_READ | PROT_WRITE, 0, NULL));
	EXPECT_EQ(-EACCES, peer_cmd(rcv, PEER_MPROTECT, start, PAGE,
				    PROT_READ | PROT_EXEC, 0, NULL));
	EXPECT_EQ(0, peer_mmap_id(rcv, seg, 2 * PAGE, PROT_READ | PROT_WRITE,
				  MAP_SHARED, &err));
	EXPECT_EQ(-EACCES, err);
	EXPECT_EQ(SIGSEGV, peer_write64(rcv, start, 5));

	/* still shared */
	*(volatile uint64_t *)(p + 8) = 0xD4;
	EXPECT_EQ(0, peer_read64(rcv, start + 8, &v));
	EXPECT_EQ(0xD4, v);
}

#ifdef __x86_64__
/*
 * The exec access bit: code shared with IUC_ACCESS_EXEC runs in the
 * receiver (and a change by the sharer is what runs next); without it a
 * call raises SIGSEGV.
 */
TEST_F(shm, exec_access_lets_the_receiver_run_shared_code)
{
	/* mov eax, imm32; ret */
	static const unsigned char code[] = { 0xB8, 42, 0, 0, 0, 0xC3 };
	struct peer *rx = &self->rcv, *r = &self->other;
	char *p = self->p;
	struct peer_reply rep;
	uint64_t sx, sr, ax, ar;

	memcpy(p, code, sizeof(code));
	sx = share_ok(_metadata, self->fd, rx->pid, p, PAGE, IUC_SHARE_MUTUAL,
		      IUC_ACCESS_READ | IUC_ACCESS_EXEC, IUC_NOTIFY, 0);
	sr = share_ok(_metadata, self->fd, r->pid, p, PAGE, IUC_SHARE_MUTUAL,
		      IUC_ACCESS_READ, IUC_NOTIFY, 0);
	ax = peer_recv(_metadata, rx, sx, PAGE, IUC_SHARE_MUTUAL,
		       IUC_ACCESS_READ | IUC_ACCESS_EXEC, 0);
	ar = peer_recv(_metadata, r, sr, PAGE, IUC_SHARE_MUTUAL,
		       IUC_ACCESS_READ, 0);
	ASSERT_NE(0, ax);
	ASSERT_NE(0, ar);

	ASSERT_EQ(0, peer_cmd(rx, PEER_CALL, ax, 0, 0, 0, &rep));
	EXPECT_EQ(0, rep.signo);
	EXPECT_EQ(42, rep.v[0]);
	p[1] = 43;
	ASSERT_EQ(0, peer_cmd(rx, PEER_CALL, ax, 0, 0, 0, &rep));
	EXPECT_EQ(0, rep.signo);
	EXPECT_EQ(43, rep.v[0]);

	ASSERT_EQ(0, peer_cmd(r, PEER_CALL, ar, 0, 0, 0, &rep));
	EXPECT_EQ(SIGSEGV, rep.signo);
	EXPECT_EQ(SEGV_ACCERR, rep.si_code);
}
#endif

/* ---- revocation ------------------------------------------------------------------- */

/*
 * UNSHARE_MEM: the receiver's next access raises SIGBUS (already when the
 * call returns), it gets UNSHARED_MEM "by call" with the segment, and the
 * segment id is unknown to both afterwards (a second UNSHARE_MEM: 0x10).
 * The sharer keeps its memory.
 */
TEST_F(shm, unshare_revokes_the_receivers_mapping)
{
	struct peer *rcv = &self->rcv;
	char *p = self->p;
	struct iuc_mem_sharing_info i;
	struct peer_reply r;
	uint64_t seg, start;
	uint32_t err;
	int e;

	start = share_mapped(_metadata, self, rcv, p, 3 * PAGE, IUC_SHARE_MUTUAL,
			     SHM_ACCESS_RW, 90, &seg);

	ASSERT_EQ(0, iuc_unshare_mem(self->fd, seg, &err));
	EXPECT_EQ(IUC_E_NONE, err);

	/* before the receiver even read the record */
	ASSERT_EQ(0, peer_cmd(rcv, PEER_READ64, start + PAGE, 0, 0, 0, &r));
	EXPECT_EQ(SIGBUS, r.signo);
	EXPECT_EQ(start + PAGE, r.fault_addr);
	EXPECT_EQ(SIGBUS, peer_write64(rcv, start, 1));
	EXPECT_EQ(SIGBUS, peer_read64(rcv, start + 3 * PAGE - 8, NULL));

	unshared_ok(_metadata, -1, rcv, seg, IUC_UNSHARED_BY_CALL);
	no_record(_metadata, rcv);

	/* the id is gone for both */
	EXPECT_EQ(-EBADF, iuc_mem_info(self->fd, seg, &i));
	EXPECT_EQ(IUC_E_MEMINFO_UNKNOWN_SEGMENT, i.error);
	EXPECT_EQ(-EBADF, peer_mem_info(rcv, seg, &i));
	EXPECT_EQ(IUC_E_MEMINFO_UNKNOWN_SEGMENT, i.error);
	EXPECT_EQ(-EBADF, iuc_unshare_mem(self->fd, seg, &err));
	EXPECT_EQ(IUC_E_UNSHARE_UNKNOWN_SEGMENT, err);
	EXPECT_EQ(-EBADF, peer_mem_unmap(rcv, seg, &err));
	EXPECT_EQ(IUC_E_UNMAP_UNKNOWN_SEGMENT, err);
	EXPECT_EQ(0, peer_mmap_id(rcv, seg, 3 * PAGE, PROT_READ, MAP_SHARED, &e));
	EXPECT_EQ(-ENXIO, e);

	/* the sharer keeps its memory, and it is its own again */
	EXPECT_EQ(0, shm_check(p, 3 * PAGE, 90, NULL, NULL));
	EXPECT_EQ(0, shm_fill(p, 3 * PAGE, 91, NULL));
	EXPECT_EQ(SIGBUS, peer_read64(rcv, start, NULL));

	/* the receiver's dead mapping can be unmapped */
	EXPECT_EQ(0, peer_cmd(rcv, PEER_MUNMAP, start, 3 * PAGE, 0, 0, NULL));
	EXPECT_EQ(SIGSEGV, peer_read64(rcv, start, NULL));
}

/*
 * Revoked before the receiver read RECV_SHARED_MEM: the record comes with
 * start 0 (nothing to map any more), then UNSHARED_MEM.
 */
TEST_F(shm, unshare_before_record_read_leaves_record_without_mapping)
{
	uint64_t seg;

	seg = share_ok(_metadata, self->fd, self->rcv.pid, self->p, PAGE,
		       IUC_SHARE_MUTUAL, SHM_ACCESS_RW, IUC_NOTIFY, 0x99);
	ASSERT_EQ(0, iuc_unshare_mem(self->fd, seg, NULL));
	EXPECT_EQ(0, peer_recv(_metadata, &self->rcv, seg, PAGE,
			       IUC_SHARE_MUTUAL, SHM_ACCESS_RW, 0x99));
	unshared_ok(_metadata, -1, &self->rcv, seg, IUC_UNSHARED_BY_CALL);
}

/*
 * A receiver that execs keeps its context (its fd is not close-on-exec)
 * and, in its new address space (the old mapping is gone), may map a
 * segment again.  UNSHARE_MEM must revoke that mapping too: afterwards
 * SIGBUS, never the sharer's page.  (A kernel that refuses the second
 * mapping passes as well.)
 */
TEST_F(shm, unshare_revokes_mapping_made_after_receivers_exec)
{
	volatile uint64_t *w = (volatile uint64_t *)self->p;
	struct iuc_mem_sharing_info i;
	struct peer_reply r;
	uint64_t seg, a1, a2, v;
	struct peer rcv;
	int e;

	ASSERT_EQ(0, peer_start(&rcv, NULL));
	ASSERT_EQ(0, peer_do(&rcv, PEER_OPEN_DEV, PEER_KEEP_ON_EXEC, NULL));
	w[0] = 0x1111;
	seg = share_ok(_metadata, self->fd, rcv.pid, self->p, PAGE,
		       IUC_SHARE_MUTUAL, SHM_ACCESS_RW, IUC_NOTIFY_SKIP, 0);
	a1 = peer_mmap_id(&rcv, seg, PAGE, PROT_READ, MAP_SHARED, NULL);
	ASSERT_NE(0, a1);
	EXPECT_EQ(0, peer_read64(&rcv, a1, &v));
	EXPECT_EQ(0x1111, v);

	/* same pid, same context, a new address space */
	ASSERT_EQ(0, peer_exec(&rcv));
	ASSERT_EQ(0, peer_cmd(&rcv, PEER_READ64, a1, 0, 0, 0, &r));
	EXPECT_EQ(SIGSEGV, r.signo);
	EXPECT_EQ(SEGV_MAPERR, r.si_code);
	ASSERT_EQ(0, peer_mem_info(&rcv, seg, &i));
	EXPECT_EQ((uint64_t)rcv.pid, i.receiver_pid);

	a2 = peer_mmap_id(&rcv, seg, PAGE, PROT_READ, MAP_SHARED, &e);
	if (!a2) {
		TH_LOG("second address space refused: %s", strerror(-e));
	} else {
		EXPECT_EQ(0, peer_read64(&rcv, a2, &v));
		EXPECT_EQ(0x1111, v);
		ASSERT_EQ(0, iuc_unshare_mem(self->fd, seg, NULL));
		w[0] = 0x2222;
		ASSERT_EQ(0, peer_cmd(&rcv, PEER_READ64, a2, 0, 0, 0, &r));
		EXPECT_EQ(SIGBUS, r.signo)
			TH_LOG("after UNSHARE_MEM the receiver still reads the (unpinned) page: 0x%llx",
			       (unsigned long long)r.v[0]);
	}
	/* the receiver goes first: the page must outlive any mapping of it */
	EXPECT_EQ(SIGKILL, peer_kill(&rcv));
}

/* ---- lifetimes ------------------------------------------------------------------------ */

/*
 * A child forked by the sharer after a mutual share keeps its own copy:
 * its writes do not reach the receiver (nor the sharer), the receiver's
 * writes do not reach it.  The sharer and the receiver still share.
 */
TEST_F(shm, sharers_forked_child_keeps_its_own_copy)
{
	volatile uint64_t *w = (volatile uint64_t *)self->p;
	struct peer *rcv = &self->rcv;
	int to_child[2], from_child[2];
	uint64_t seg, start, v, out[2];
	pid_t child;
	char c;

	w[0] = 1;
	seg = share_ok(_metadata, self->fd, rcv->pid, self->p, PAGE,
		       IUC_SHARE_MUTUAL, SHM_ACCESS_RW, IUC_NOTIFY, 0);
	start = peer_recv(_metadata, rcv, seg, PAGE, IUC_SHARE_MUTUAL,
			  SHM_ACCESS_RW, 0);
	ASSERT_NE(0, start);
	w[0] = 2;	/* written after sharing, before the fork */

	ASSERT_EQ(0, pipe2(to_child, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(from_child, O_CLOEXEC));
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		int keep[] = { to_child[0], from_child[1] };

		/* only its own ends: the peers must see their EOFs */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close_all_but(keep, 2);
		/* 'w': write 3 at w[0]; 'r': report w[0] and w[1]; EOF: exit */
		while (read(to_child[0], &c, 1) == 1) {
			if (c == 'w')
				w[0] = 3;
			out[0] = w[0];
			out[1] = w[1];
			if (write_full(from_child[1], out, sizeof(out)))
				_exit(1);
		}
		_exit(0);
	}
	close(to_child[0]);
	close(from_child[1]);

	/* the child's write stays in the child */
	c = 'w';
	ASSERT_EQ(0, write_full(to_child[1], &c, 1));
	ASSERT_EQ(0, read_full(from_child[0], out, sizeof(out), TIMEOUT_MS));
	EXPECT_EQ(3, out[0]);
	EXPECT_EQ(0, peer_read64(rcv, start, &v));
	EXPECT_EQ(2, v);
	EXPECT_EQ(2, w[0]);

	/* the receiver's write reaches the sharer, not the child */
	EXPECT_EQ(0, peer_write64(rcv, start + 8, 4));
	EXPECT_EQ(4, w[1]);
	c = 'r';
	ASSERT_EQ(0, write_full(to_child[1], &c, 1));
	ASSERT_EQ(0, read_full(from_child[0], out, sizeof(out), TIMEOUT_MS));
	EXPECT_EQ(3, out[0]);
	EXPECT_EQ(0, out[1]);

	/* the sharer's write reaches the receiver, not the child */
	w[0] = 5;
	EXPECT_EQ(0, peer_read64(rcv, start, &v));
	EXPECT_EQ(5, v);
	ASSERT_EQ(0, write_full(to_child[1], &c, 1));
	ASSERT_EQ(0, read_full(from_child[0], out, sizeof(out), TIMEOUT_MS));
	EXPECT_EQ(3, out[0]);

	close(to_child[1]);
	EXPECT_EQ(0, wait_child(child, true));
	close(from_child[0]);
}

/*
 * IUC_NOTIFY_SKIP: no record; the receiver maps the segment by id with
 * mmap(2) of its /dev/iuc fd at offset id << 12, as often as it likes.
 * Refused: wrong length or MAP_PRIVATE (EINVAL), unknown id or a process
 * that is not involved (ENXIO), the sharer or more access than given
 * (EACCES), a forked child using the receiver's fd (EBADFD), a revoked
 * segment (ENXIO).
 */
TEST_F(shm, not_notified_segment_is_mapped_by_id)
{
	const size_t len = 4 * PAGE;
	struct iuc_mem_sharing_info i;
	int fd = self->fd, e;
	uint64_t q, m, ro, x, v;
	char *a, *b, *c;
	struct peer s;
	pid_t child;

	q = start_sharer(_metadata, &s, 3 * len, 130);
	ASSERT_EQ(0, peer_fill(&s, q + len, len, 131));
	ASSERT_EQ(0, peer_fill(&s, q + 2 * len, len, 132));
	m = peer_share_ok(_metadata, &s, getpid(), q, len, IUC_SHARE_MUTUAL,
			  SHM_ACCESS_RW, IUC_NOTIFY_SKIP, 0);
	ro = peer_share_ok(_metadata, &s, getpid(), q + len, len,
			   IUC_SHARE_MUTUAL, IUC_ACCESS_READ, IUC_NOTIFY_SKIP, 0);
	x = peer_share_ok(_metadata, &s, getpid(), q + 2 * len, len,
			  IUC_SHARE_EXCLUSIVE, 0, IUC_NOTIFY_SKIP, 0);
	EXPECT_EQ(0, iuc_poll(fd, POLLIN, 0));
	ASSERT_EQ(0, iuc_mem_info(fd, m, &i));
	EXPECT_EQ(0, i.receiver_addr);

	/* refused */
	errno = 0;
	EXPECT_EQ(MAP_FAILED, iuc_mmap_segment(fd, m, len - PAGE, PROT_READ, MAP_SHARED));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, iuc_mmap_segment(fd, m, len + PAGE, PROT_READ, MAP_SHARED));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, iuc_mmap_segment(fd, m, len, PROT_READ, MAP_PRIVATE));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, iuc_mmap_segment(fd, x + 1000, len, PROT_READ, MAP_SHARED));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(MAP_FAILED, iuc_mmap_segment(fd, 0, len, PROT_READ, MAP_SHARED));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(MAP_FAILED, iuc_mmap_segment(fd, ro, len, PROT_READ | PROT_WRITE,
					       MAP_SHARED));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(MAP_FAILED, iuc_mmap_segment(fd, ro, len, PROT_READ | PROT_EXEC,
					       MAP_SHARED));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(0, peer_mmap_id(&s, m, len, PROT_READ, MAP_SHARED, &e));
	EXPECT_EQ(-EACCES, e);
	EXPECT_EQ(0, peer_mmap_id(&s, x, len, PROT_READ, MAP_SHARED, &e));
	EXPECT_EQ(-EACCES, e);
	EXPECT_EQ(0, peer_mmap_id(&self->other, m, len, PROT_READ, MAP_SHARED, &e));
	EXPECT_EQ(-ENXIO, e);
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		void *r = iuc_mmap_segment(fd, m, len, PROT_READ, MAP_SHARED);

		_exit(r == MAP_FAILED ? errno : 0);
	}
	EXPECT_EQ(W_EXITCODE(EBADFD, 0), wait_child(child, true));

	/* accepted, twice; both mappings are the sharer's memory */
	a = iuc_mmap_segment(fd, m, len, PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, a);
	b = iuc_mmap_segment(fd, m, len, PROT_READ, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, b);
	EXPECT_EQ(0, shm_check(a, len, 130, NULL, NULL));
	EXPECT_EQ(0, iuc_mem_info(fd, m, &i));
	EXPECT_NE(0, i.receiver_addr);
	EXPECT_EQ(0, peer_write64(&s, q + 16, 0xF6));
	EXPECT_EQ(0xF6, *(volatile uint64_t *)(a + 16));
	EXPECT_EQ(0xF6, *(volatile uint64_t *)(b + 16));
	*(volatile uint64_t *)(a + PAGE) = 0xF7;
	EXPECT_EQ(0, peer_read64(&s, q + PAGE, &v));
	EXPECT_EQ(0xF7, v);
	EXPECT_EQ(pfn_of(a + PAGE), pfn_of(b + PAGE));

	c = iuc_mmap_segment(fd, ro, len, PROT_READ, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, c);
	EXPECT_EQ(0, shm_check(c, len, 131, NULL, NULL));
	EXPECT_EQ(SIGSEGV, shm_write64(c, 1, NULL));

	/* exclusive by id */
	c = iuc_mmap_segment(fd, x, len, PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, c);
	EXPECT_EQ(0, shm_check(c, len, 132, NULL, NULL));
	EXPECT_EQ(SIGSEGV, peer_read64(&s, q + 2 * len, NULL));

	/* revoked: both mappings fault, no new mapping */
	EXPECT_EQ(0, peer_unshare_mem(&s, m, NULL));
	EXPECT_EQ(SIGBUS, shm_read64(a, NULL, NULL));
	EXPECT_EQ(SIGBUS, shm_read64(b + PAGE, NULL, NULL));
	errno = 0;
	EXPECT_EQ(MAP_FAILED, iuc_mmap_segment(fd, m, len, PROT_READ, MAP_SHARED));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(0, peer_stop(&s));
}

/*
 * MEM_UNMAP unmaps every mapping of the segment in the receiver (the
 * record's and one made by id: SIGSEGV after) and forgets it: a second
 * MEM_UNMAP fails with 0x10.  For a mutual segment the sharer then cannot
 * unshare it (0x10), keeps its memory, and the receiver gets no
 * UNSHARED_MEM.
 */
TEST_F(shm, mem_unmap_unmaps_and_forgets_the_segment)
{
	struct peer *rcv = &self->rcv;
	struct iuc_mem_sharing_info i;
	struct peer_reply r;
	uint64_t x, m, xs, xs2, ms;
	uint32_t err;
	int e;

	share_pair(_metadata, self, 140, &m, &x, &ms, &xs);
	xs2 = peer_mmap_id(rcv, x, 2 * PAGE, PROT_READ, MAP_SHARED, NULL);
	ASSERT_NE(0, xs2);
	EXPECT_EQ(0, peer_check(rcv, xs2, 2 * PAGE, 141));

	EXPECT_EQ(0, peer_mem_unmap(rcv, x, &err));
	EXPECT_EQ(IUC_E_NONE, err);
	ASSERT_EQ(0, peer_cmd(rcv, PEER_READ64, xs, 0, 0, 0, &r));
	EXPECT_EQ(SIGSEGV, r.signo);
	EXPECT_EQ(SEGV_MAPERR, r.si_code);
	ASSERT_EQ(0, peer_cmd(rcv, PEER_READ64, xs2 + PAGE, 0, 0, 0, &r));
	EXPECT_EQ(SIGSEGV, r.signo);
	EXPECT_EQ(SEGV_MAPERR, r.si_code);
	EXPECT_EQ(-EBADF, peer_mem_info(rcv, x, &i));
	EXPECT_EQ(-EBADF, iuc_mem_info(self->fd, x, &i));
	EXPECT_EQ(0, peer_mmap_id(rcv, x, 2 * PAGE, PROT_READ, MAP_SHARED, &e));
	EXPECT_EQ(-ENXIO, e);
	EXPECT_EQ(-EBADF, peer_mem_unmap(rcv, x, &err));
	EXPECT_EQ(IUC_E_UNMAP_UNKNOWN_SEGMENT, err);

	EXPECT_EQ(0, peer_mem_unmap(rcv, m, &err));
	EXPECT_EQ(SIGSEGV, peer_read64(rcv, ms, NULL));
	EXPECT_EQ(-EBADF, iuc_unshare_mem(self->fd, m, &err));
	EXPECT_EQ(IUC_E_UNSHARE_UNKNOWN_SEGMENT, err);
	EXPECT_EQ(0, shm_check(self->p, 2 * PAGE, 140, NULL, NULL));
	EXPECT_EQ(0, shm_write64(self->p, 9, NULL));
	no_record(_metadata, rcv);
}

/*
 * When the receiver ends, its segments are forgotten: the sharer's calls
 * on them fail with 0x10 and it keeps its (mutually shared) memory.
 */
TEST_F(shm, receiver_exit_forgets_its_segments)
{
	struct iuc_mem_sharing_info i;
	uint64_t m, x, ms, xs;
	uint32_t err;
	int ret = 0;

	share_pair(_metadata, self, 150, &m, &x, &ms, &xs);
	EXPECT_EQ(0, peer_stop(&self->rcv));

	/* the context ends shortly after the exit (a bound, not an order) */
	for (int n = 0; n < TIMEOUT_MS / 10; n++) {
		ret = iuc_mem_info(self->fd, m, &i);
		if (ret)
			break;
		usleep(10000);
	}
	EXPECT_EQ(-EBADF, ret);
	EXPECT_EQ(-EBADF, iuc_mem_info(self->fd, x, &i));
	EXPECT_EQ(-EBADF, iuc_unshare_mem(self->fd, m, &err));
	EXPECT_EQ(IUC_E_UNSHARE_UNKNOWN_SEGMENT, err);
	EXPECT_EQ(0, shm_check(self->p, 2 * PAGE, 150, NULL, NULL));
	EXPECT_EQ(0, shm_write64(self->p, 1, NULL));
	EXPECT_EQ(SIGSEGV, shm_read64(self->p + 2 * PAGE, NULL, NULL));
}

/*
 * When the mapping cannot be made as the record is read (here: the
 * receiver lowered its RLIMIT_AS after the share), the record says start
 * 0 and the segment can be mapped by id later.
 */
TEST_F(shm, record_without_mapping_leaves_mapping_by_id)
{
	const size_t len = 64 * PAGE;
	struct peer *rcv = &self->rcv;
	struct iuc_mem_sharing_info i;
	uint64_t seg, vs, a;

	ASSERT_EQ(0, shm_fill(self->p, len, 160, NULL));
	seg = share_ok(_metadata, self->fd, rcv->pid, self->p, len,
		       IUC_SHARE_EXCLUSIVE, 0, IUC_NOTIFY, 0x160);
	vs = peer_v0(rcv, PEER_VMSIZE, 0);
	ASSERT_NE(0, vs);
	ASSERT_EQ(0, peer_setrlimit(rcv, RLIMIT_AS, vs + PAGE, RLIM_INFINITY));
	EXPECT_EQ(0, peer_recv(_metadata, rcv, seg, len, IUC_SHARE_EXCLUSIVE, 0,
			       0x160));
	ASSERT_EQ(0, peer_mem_info(rcv, seg, &i));
	EXPECT_EQ(0, i.receiver_addr);
	ASSERT_EQ(0, peer_setrlimit(rcv, RLIMIT_AS, RLIM_INFINITY, RLIM_INFINITY));
	a = peer_mmap_id(rcv, seg, len, PROT_READ | PROT_WRITE, MAP_SHARED, NULL);
	ASSERT_NE(0, a);
	EXPECT_EQ(0, peer_check(rcv, a, len, 160));
}

/* ---- the receiver's segment file and mappings ---------------------------------------- */

/* Read one word of each page of [@p, +@len). */
static uint64_t touch_pages(const void *p, size_t len)
{
	const volatile uint64_t *w = p;
	uint64_t sum = 0;
	size_t off;

	for (off = 0; off < len; off += PAGE)
		sum += w[off / sizeof(*w)];
	return sum;
}

/* Minor faults this thread took so far. */
static long minor_faults(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru))
		return -1;
	return ru.ru_minflt;
}

/*
 * The page faults that reading one word of each page of [@p, +@len)
 * takes, -1 if unknown.  The code and the data of the count itself are
 * faulted in first, and must take none the second time.
 */
static long touch_faults(const void *p, size_t len)
{
	static uint64_t warm[2 * 4096 / sizeof(uint64_t)];
	long before;

	touch_pages(warm, sizeof(warm));
	before = minor_faults();
	touch_pages(warm, sizeof(warm));
	if (before < 0 || minor_faults() != before)
		return -1;
	before = minor_faults();
	touch_pages(p, len);
	return minor_faults() - before;
}

/*
 * A receiver's segments are ranges of one file of its: revoking one zaps
 * the mappings of that one only.  A sharer gives the test process three
 * mutual segments and an exclusive one, each mapped by its record, the
 * third once more by id.  Revoking the second: its mapping raises SIGBUS,
 * every other mapping still shows the sharer's memory (the mutual ones
 * its later writes too).  The sharer's exit then revokes the first and
 * third, by-id mapping included, and leaves the exclusive one.
 */
TEST_F(shm, revoking_one_segment_leaves_the_receivers_others)
{
	const size_t len = 2 * PAGE;
	uint64_t q, seg[4], st[4], v;
	struct peer s;
	char *byid;
	int k;

	q = start_sharer(_metadata, &s, 4 * len, 170);
	for (k = 1; k < 4; k++)
		ASSERT_EQ(0, peer_fill(&s, q + k * len, len, 170 + k));
	for (k = 0; k < 4; k++) {
		uint8_t mode = k == 3 ? IUC_SHARE_EXCLUSIVE : IUC_SHARE_MUTUAL;
		uint8_t access = k == 3 ? 0 : SHM_ACCESS_RW;

		seg[k] = peer_share_ok(_metadata, &s, getpid(), q + k * len, len,
				       mode, access, IUC_NOTIFY, 0x170 + k);
		st[k] = recv_ok(_metadata, self->fd, NULL, seg[k], s.pid, len,
				mode, access, 0x170 + k);
		ASSERT_NE(0, st[k]);
	}
	byid = iuc_mmap_segment(self->fd, seg[2], len, PROT_READ, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, byid);

	ASSERT_EQ(0, peer_unshare_mem(&s, seg[1], NULL));
	EXPECT_EQ(SIGBUS, shm_read64((void *)(uintptr_t)st[1], NULL, NULL));
	EXPECT_EQ(SIGBUS, shm_read64((void *)(uintptr_t)(st[1] + PAGE), NULL, NULL));
	unshared_ok(_metadata, self->fd, NULL, seg[1], IUC_UNSHARED_BY_CALL);
	for (k = 0; k < 4; k++)
		if (k != 1)
			EXPECT_EQ(0, shm_check((void *)(uintptr_t)st[k], len,
					       170 + k, NULL, NULL));
	EXPECT_EQ(0, shm_check(byid, len, 172, NULL, NULL));
	EXPECT_EQ(0, peer_write64(&s, q + 2 * len + 8, 0xA5));
	EXPECT_EQ(0, shm_read64(byid + 8, &v, NULL));
	EXPECT_EQ(0xA5, v);
	EXPECT_EQ(0, peer_write64(&s, q + PAGE, 0xA6));
	EXPECT_EQ(0, shm_read64((void *)(uintptr_t)(st[0] + PAGE), &v, NULL));
	EXPECT_EQ(0xA6, v);

	EXPECT_EQ(0, peer_stop(&s));
	unshared_ok(_metadata, self->fd, NULL, seg[0], IUC_UNSHARED_SHARER_DIED);
	unshared_ok(_metadata, self->fd, NULL, seg[2], IUC_UNSHARED_SHARER_DIED);
	EXPECT_EQ(SIGBUS, shm_read64((void *)(uintptr_t)st[0], NULL, NULL));
	EXPECT_EQ(SIGBUS, shm_read64((void *)(uintptr_t)st[2], NULL, NULL));
	EXPECT_EQ(SIGBUS, shm_read64(byid + PAGE, NULL, NULL));
	EXPECT_EQ(0, shm_check((void *)(uintptr_t)st[3], len, 173, NULL, NULL));
	EXPECT_EQ(0, iuc_mem_unmap(self->fd, seg[3], NULL));
}

/*
 * Reading RECV_SHARED_MEM fills the mapping it makes: the receiver's first
 * touch of every page takes no page fault.  A mapping made by id is filled
 * by its first fault (which shows that the count sees these faults).
 */
TEST_F(shm, record_mapping_is_filled_when_the_record_is_read)
{
	const size_t len = 16 * PAGE;
	uint64_t q, seg, st;
	struct peer s;
	char *byid;

	q = start_sharer(_metadata, &s, len, 180);
	seg = peer_share_ok(_metadata, &s, getpid(), q, len, IUC_SHARE_EXCLUSIVE,
			    0, IUC_NOTIFY, 0x180);
	st = recv_ok(_metadata, self->fd, NULL, seg, s.pid, len,
		     IUC_SHARE_EXCLUSIVE, 0, 0x180);
	ASSERT_NE(0, st);
	byid = iuc_mmap_segment(self->fd, seg, len, PROT_READ, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, byid);

	EXPECT_EQ(0, touch_faults((void *)(uintptr_t)st, len));
	EXPECT_LT(0, touch_faults(byid, len));

	EXPECT_EQ(0, shm_check((void *)(uintptr_t)st, len, 180, NULL, NULL));
	EXPECT_EQ(0, shm_check(byid, len, 180, NULL, NULL));
	EXPECT_EQ(0, iuc_mem_unmap(self->fd, seg, NULL));
	EXPECT_EQ(0, peer_stop(&s));
}

/*
 * MEM_UNMAP unmaps the segment's mappings wherever they went: the
 * record's mapping moved by mremap and split in two by munmap.  What the
 * receiver mapped since at the record's address is not the segment and
 * stays.
 */
TEST_F(shm, mem_unmap_finds_moved_mappings_and_spares_others)
{
	const size_t len = 4 * PAGE;
	uint64_t q, seg, st;
	char *dst, *moved, *old;
	struct peer s;
	uint32_t err;

	q = start_sharer(_metadata, &s, len, 190);
	seg = peer_share_ok(_metadata, &s, getpid(), q, len, IUC_SHARE_EXCLUSIVE,
			    0, IUC_NOTIFY, 0x190);
	st = recv_ok(_metadata, self->fd, NULL, seg, s.pid, len,
		     IUC_SHARE_EXCLUSIVE, 0, 0x190);
	ASSERT_NE(0, st);

	dst = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, dst);
	moved = mremap((void *)(uintptr_t)st, len, len,
		       MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	ASSERT_EQ(dst, moved);
	old = mmap((void *)(uintptr_t)st, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ASSERT_EQ((void *)(uintptr_t)st, old);
	ASSERT_EQ(0, shm_fill(old, len, 191, NULL));
	EXPECT_EQ(0, shm_check(moved, len, 190, NULL, NULL));
	ASSERT_EQ(0, munmap(moved + PAGE, PAGE));

	EXPECT_EQ(0, iuc_mem_unmap(self->fd, seg, &err));
	EXPECT_EQ(IUC_E_NONE, err);
	EXPECT_EQ(SIGSEGV, shm_read64(moved, NULL, NULL));
	EXPECT_EQ(SIGSEGV, shm_read64(moved + 3 * PAGE, NULL, NULL));
	EXPECT_EQ(0, shm_check(old, len, 191, NULL, NULL));
	EXPECT_EQ(0, munmap(old, len));
	EXPECT_EQ(0, peer_stop(&s));
}

/* ---- the arena (MAP_ARENA) ------------------------------------------------------ */

/* MAP_ARENA of @len bytes by the test process, which must succeed. */
static char *arena_ok(struct __test_metadata *_metadata, int fd, size_t len)
{
	uint64_t addr;
	uint32_t err;

	EXPECT_EQ(0, iuc_map_arena(fd, len, &addr, &err));
	EXPECT_EQ(IUC_E_NONE, err);
	EXPECT_NE(0, addr);
	EXPECT_EQ(0, addr % PAGE);
	return (char *)(uintptr_t)addr;
}

/* A peer's exclusive segment of @len bytes (pattern @tag) to the test process. */
static uint64_t excl_to_me(struct __test_metadata *_metadata, FIXTURE_DATA(shm) *self,
			   struct peer *s, uint64_t q, size_t len, uint64_t tag,
			   uint64_t *seg)
{
	EXPECT_EQ(0, peer_fill(s, q, len, tag));
	*seg = peer_share_ok(_metadata, s, getpid(), q, len, IUC_SHARE_EXCLUSIVE,
			     0, IUC_NOTIFY, tag);
	return recv_ok(_metadata, self->fd, NULL, *seg, s->pid, len,
		       IUC_SHARE_EXCLUSIVE, 0, tag);
}

/*
 * MAP_ARENA refuses a bad length (0x10) and a second arena (0x20), and
 * says 0x30 when the address space has no room; none of them maps
 * anything.  The arena is not reachable through /dev/iuc (offset 0 is no
 * segment) and cannot grow, be made executable or be inherited.
 */
TEST_F(shm, map_arena_refuses_bad_lengths_a_second_arena_and_no_room)
{
	uint64_t vs, addr;
	uint32_t err;
	char *a;
	pid_t child;
	int ret;

	EXPECT_EQ(-EINVAL, iuc_map_arena(self->fd, 0, &addr, &err));
	EXPECT_EQ(IUC_E_ARENA_BAD_LENGTH, err);
	EXPECT_EQ(0, addr);
	EXPECT_EQ(-EINVAL, iuc_map_arena(self->fd, PAGE + 1, &addr, &err));
	EXPECT_EQ(IUC_E_ARENA_BAD_LENGTH, err);
	EXPECT_EQ(-EINVAL, iuc_map_arena(self->fd, IUC_ARENA_MAX_LENGTH + PAGE,
					 &addr, &err));
	EXPECT_EQ(IUC_E_ARENA_BAD_LENGTH, err);
	vs = vm_size();
	ASSERT_NE(0, vs);
	ASSERT_EQ(0, setrlimit(RLIMIT_AS, &(struct rlimit){ vs + PAGE, RLIM_INFINITY }));
	EXPECT_EQ(-ENOMEM, iuc_map_arena(self->fd, 64 * PAGE, &addr, &err));
	EXPECT_EQ(IUC_E_ARENA_NO_ROOM, err);
	EXPECT_EQ(0, addr);
	ASSERT_EQ(0, setrlimit(RLIMIT_AS, &(struct rlimit){ RLIM_INFINITY, RLIM_INFINITY }));

	a = arena_ok(_metadata, self->fd, 4 * PAGE);
	EXPECT_EQ(-EEXIST, iuc_map_arena(self->fd, 4 * PAGE, &addr, &err));
	EXPECT_EQ(IUC_E_ARENA_EXISTS, err);
	EXPECT_EQ(0, addr);

	/* nothing placed yet: SIGBUS, not a page of anyone's */
	EXPECT_EQ(SIGBUS, shm_read64(a, NULL, NULL));
	errno = 0;
	EXPECT_EQ(MAP_FAILED, iuc_mmap_segment(self->fd, 0, 4 * PAGE, PROT_READ,
					       MAP_SHARED));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(MAP_FAILED, mremap(a, 4 * PAGE, 8 * PAGE, 0));
	EXPECT_EQ(-1, mprotect(a, 4 * PAGE, PROT_READ | PROT_EXEC));
	EXPECT_EQ(EACCES, errno);
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		ret = shm_read64(a, NULL, NULL);
		_exit(ret == SIGSEGV ? 0 : 1);
	}
	EXPECT_EQ(0, wait_child(child, true));
}

/*
 * Exclusive segments to a receiver with an arena are placed in it, first
 * fit: their records carry addresses inside it, already filled (the first
 * touch takes no fault).  A segment that does not fit, and a mutual one,
 * are mapped on their own.  MEM_UNMAP takes a segment out (SIGBUS there),
 * and its run takes the next segment that fits, with that one's pages.
 */
TEST_F(shm, arena_places_exclusive_segments_and_reuses_freed_runs)
{
	uint64_t q, s1, s2, s3, s4, m, st, v;
	struct iuc_mem_sharing_info i;
	struct peer s;
	char *a;

	a = arena_ok(_metadata, self->fd, 8 * PAGE);
	q = start_sharer(_metadata, &s, 16 * PAGE, 200);

	st = excl_to_me(_metadata, self, &s, q, 2 * PAGE, 201, &s1);
	EXPECT_EQ((uint64_t)(uintptr_t)a, st);
	st = excl_to_me(_metadata, self, &s, q + 2 * PAGE, 3 * PAGE, 202, &s2);
	EXPECT_EQ((uint64_t)(uintptr_t)(a + 2 * PAGE), st);
	/* 3 pages left: 4 do not fit */
	st = excl_to_me(_metadata, self, &s, q + 5 * PAGE, 4 * PAGE, 203, &s3);
	ASSERT_NE(0, st);
	EXPECT_TRUE(st + 4 * PAGE <= (uintptr_t)a || st >= (uintptr_t)(a + 8 * PAGE));
	EXPECT_EQ(0, shm_check((void *)(uintptr_t)st, 4 * PAGE, 203, NULL, NULL));
	/* mutual: never in the arena */
	EXPECT_EQ(0, peer_fill(&s, q + 9 * PAGE, PAGE, 204));
	m = peer_share_ok(_metadata, &s, getpid(), q + 9 * PAGE, PAGE,
			  IUC_SHARE_MUTUAL, IUC_ACCESS_READ, IUC_NOTIFY, 204);
	st = recv_ok(_metadata, self->fd, NULL, m, s.pid, PAGE, IUC_SHARE_MUTUAL,
		     IUC_ACCESS_READ, 204);
	EXPECT_TRUE(st + PAGE <= (uintptr_t)a || st >= (uintptr_t)(a + 8 * PAGE));
	EXPECT_EQ(SIGSEGV, shm_write64((void *)(uintptr_t)st, 1, NULL));

	EXPECT_EQ(0, touch_faults(a, 5 * PAGE));
	EXPECT_EQ(0, shm_check(a, 2 * PAGE, 201, NULL, NULL));
	EXPECT_EQ(0, shm_check(a + 2 * PAGE, 3 * PAGE, 202, NULL, NULL));
	EXPECT_EQ(SIGBUS, shm_read64(a + 5 * PAGE, NULL, NULL));
	/* the pages are the receiver's: it writes them; the sharer lost them */
	EXPECT_EQ(0, shm_write64(a + PAGE, 0x5E, NULL));
	EXPECT_EQ(SIGSEGV, peer_read64(&s, q, NULL));
	ASSERT_EQ(0, iuc_mem_info(self->fd, s2, &i));
	EXPECT_EQ((uint64_t)(uintptr_t)(a + 2 * PAGE), i.receiver_addr);

	EXPECT_EQ(0, iuc_mem_unmap(self->fd, s1, NULL));
	EXPECT_EQ(SIGBUS, shm_read64(a, NULL, NULL));
	EXPECT_EQ(SIGBUS, shm_read64(a + PAGE, NULL, NULL));
	EXPECT_EQ(0, shm_check(a + 2 * PAGE, 3 * PAGE, 202, NULL, NULL));

	st = excl_to_me(_metadata, self, &s, q + 10 * PAGE, PAGE, 205, &s4);
	EXPECT_EQ((uint64_t)(uintptr_t)a, st);
	EXPECT_EQ(0, shm_check(a, PAGE, 205, NULL, NULL));
	EXPECT_EQ(0, shm_read64(a + 8, &v, NULL));
	EXPECT_NE(0x5E, v);
	EXPECT_EQ(SIGBUS, shm_read64(a + PAGE, NULL, NULL));

	EXPECT_EQ(0, iuc_mem_unmap(self->fd, s2, NULL));
	EXPECT_EQ(0, iuc_mem_unmap(self->fd, s3, NULL));
	EXPECT_EQ(0, iuc_mem_unmap(self->fd, s4, NULL));
	EXPECT_EQ(SIGBUS, shm_read64(a, NULL, NULL));
	EXPECT_EQ(SIGBUS, shm_read64(a + 4 * PAGE, NULL, NULL));
	EXPECT_EQ(0, peer_stop(&s));
}

/*
 * The receiver is free to unmap, replace or move (parts of) its arena: a
 * segment whose run is not where the arena was made is mapped on its own,
 * and what the receiver mapped there stays.  A moved part of the arena
 * still shows the segments placed in it.
 */
TEST_F(shm, arena_unmapped_replaced_or_moved_maps_segments_on_their_own)
{
	uint64_t q, s1, s2, s3, st;
	char *a, *b, *own, *moved;
	struct peer s;

	a = arena_ok(_metadata, self->fd, 8 * PAGE);
	q = start_sharer(_metadata, &s, 8 * PAGE, 210);

	/* the first run's place replaced by memory of the receiver's */
	own = mmap(a, 2 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ(a, own);
	ASSERT_EQ(0, shm_fill(own, 2 * PAGE, 219, NULL));
	st = excl_to_me(_metadata, self, &s, q, 2 * PAGE, 211, &s1);
	ASSERT_NE(0, st);
	EXPECT_NE((uint64_t)(uintptr_t)a, st);
	EXPECT_EQ(0, shm_check((void *)(uintptr_t)st, 2 * PAGE, 211, NULL, NULL));
	EXPECT_EQ(0, shm_check(own, 2 * PAGE, 219, NULL, NULL));

	/* the second run's place unmapped */
	ASSERT_EQ(0, munmap(a + 2 * PAGE, 2 * PAGE));
	st = excl_to_me(_metadata, self, &s, q + 2 * PAGE, 2 * PAGE, 212, &s2);
	ASSERT_NE(0, st);
	EXPECT_EQ(0, shm_check((void *)(uintptr_t)st, 2 * PAGE, 212, NULL, NULL));

	/* the rest moved away: the third run (pages 4, 5) is not where it was */
	b = mmap(NULL, 4 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, b);
	moved = mremap(a + 4 * PAGE, 4 * PAGE, 4 * PAGE,
		       MREMAP_MAYMOVE | MREMAP_FIXED, b);
	ASSERT_EQ(b, moved);
	st = excl_to_me(_metadata, self, &s, q + 4 * PAGE, 2 * PAGE, 213, &s3);
	ASSERT_NE(0, st);
	EXPECT_NE((uint64_t)(uintptr_t)moved, st);
	EXPECT_EQ(0, shm_check((void *)(uintptr_t)st, 2 * PAGE, 213, NULL, NULL));
	/* the moved part of the arena shows it where its run is */
	EXPECT_EQ(0, shm_check(moved, 2 * PAGE, 213, NULL, NULL));
	EXPECT_EQ(SIGBUS, shm_read64(moved + 2 * PAGE, NULL, NULL));

	EXPECT_EQ(0, iuc_mem_unmap(self->fd, s3, NULL));
	EXPECT_EQ(SIGBUS, shm_read64(moved, NULL, NULL));
	EXPECT_EQ(SIGSEGV, shm_read64((void *)(uintptr_t)st, NULL, NULL));
	EXPECT_EQ(0, iuc_mem_unmap(self->fd, s1, NULL));
	EXPECT_EQ(0, iuc_mem_unmap(self->fd, s2, NULL));
	EXPECT_EQ(0, shm_check(own, 2 * PAGE, 219, NULL, NULL));
	EXPECT_EQ(0, munmap(own, 2 * PAGE));
	EXPECT_EQ(0, munmap(moved, 4 * PAGE));
	EXPECT_EQ(0, peer_stop(&s));
}

/*
 * The end of the receiver's context (its last fd closed) takes every
 * segment out of its arena: the mapping stays, empty (SIGBUS), and the
 * pages go back (iuc_pins_final_test checks every pin was released).
 */
TEST_F(shm, arena_empties_when_the_context_ends)
{
	uint64_t q, s1, st;
	struct peer s;
	char *a;

	a = arena_ok(_metadata, self->fd, 4 * PAGE);
	q = start_sharer(_metadata, &s, 2 * PAGE, 220);
	st = excl_to_me(_metadata, self, &s, q, 2 * PAGE, 221, &s1);
	EXPECT_EQ((uint64_t)(uintptr_t)a, st);
	EXPECT_EQ(0, shm_check(a, 2 * PAGE, 221, NULL, NULL));

	EXPECT_EQ(0, close(self->fd));
	self->fd = -1;
	EXPECT_EQ(SIGBUS, shm_read64(a, NULL, NULL));
	EXPECT_EQ(SIGBUS, shm_read64(a + PAGE, NULL, NULL));
	EXPECT_EQ(0, munmap(a, 4 * PAGE));
	EXPECT_EQ(0, peer_stop(&s));
}

/* ---- hostile ranges --------------------------------------------------------------- */

/* The last word of a fresh read-only anonymous page (the zero page). */
static void *fresh_zero_word(void)
{
	char *z = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return z == MAP_FAILED ? NULL : z + PAGE - 8;
}

/*
 * A private anonymous range the sharer may only read and never wrote maps
 * the shared zero page.  Sharing it with write access (mutual with the
 * write bit; exclusive always maps read-write) must never hand out the
 * zero page writable: either the share is refused, or the segment gets a
 * page of its own.
 *
 * Mutual: after the share the sharer's own PTE shows which frame the
 * segment holds (a write-intent pin would have broken COW): it must not be
 * the zero page.  Exclusive, only checked when mutual passed: the receiver
 * writes its page and reads the zero page at once, and puts the word back
 * (shm_zero_alias) -- harmless unless the receiver does hold the zero page.
 */
TEST_F(shm, read_only_range_never_shares_the_zero_page_writable)
{
	struct peer *rcv = &self->rcv;
	uint64_t zpfn = zero_pfn(), v;
	bool mutual_ok = true;

	ASSERT_NE(0, zpfn);
	for (int m = 0; m < 2; m++) {
		uint8_t mode = m ? IUC_SHARE_EXCLUSIVE : IUC_SHARE_MUTUAL;
		uint8_t acc = m ? 0 : SHM_ACCESS_RW;
		char *p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);
		struct iuc_share_mem a = iuc_share_args(rcv->pid, p, PAGE, mode,
							acc, IUC_NOTIFY);
		struct peer_reply r;
		uint64_t start;

		ASSERT_NE(MAP_FAILED, p);
		EXPECT_EQ(0, shm_read64(p, &v, NULL));
		EXPECT_EQ(0, v);
		ASSERT_EQ(zpfn, pfn_of(p));
		if (iuc_share_mem(self->fd, &a)) {
			TH_LOG("mode %d: refused, error 0x%x", mode, a.error);
			EXPECT_NE(IUC_E_NONE, a.error);
			no_record(_metadata, rcv);
			continue;
		}
		start = peer_recv(_metadata, rcv, a.segment, PAGE, mode, acc, 0);
		ASSERT_NE(0, start);
		if (mode == IUC_SHARE_MUTUAL) {
			mutual_ok = pfn_of(p) != zpfn;
			EXPECT_TRUE(mutual_ok)
				TH_LOG("mutual read-write segment holds the zero page (pfn 0x%llx)",
				       (unsigned long long)zpfn);
			continue;
		}
		if (!mutual_ok)
			continue;	/* the same pinning: do not write */
		ASSERT_EQ(0, peer_cmd(rcv, PEER_ZERO_ALIAS, start, 0, 0, 0, &r));
		EXPECT_EQ(0, r.signo);
		EXPECT_EQ(0, r.v[0])
			TH_LOG("exclusive segment maps the zero page read-write");
	}
	/* the zero page is still all zeros */
	v = 1;
	EXPECT_EQ(0, shm_read64(fresh_zero_word(), &v, NULL));
	EXPECT_EQ(0, v);
}

/*
 * Exclusive sharing promises the receiver that nobody else can change the
 * pages.  A range the sharer already shared mutually (here with an
 * accomplice that mapped it read-write) must therefore not be shared
 * exclusively while that mutual segment holds its pages: either the call
 * is refused, or the receiver's pages are out of the accomplice's reach.
 */
TEST_F(shm, exclusive_share_of_mutually_shared_range_stays_exclusive)
{
	struct peer *acc = &self->other, *rcv = &self->rcv;
	char *p = self->p;
	struct iuc_share_mem a;
	uint64_t m, as, rs, v;

	as = share_mapped(_metadata, self, acc, p, PAGE, IUC_SHARE_MUTUAL,
			  SHM_ACCESS_RW, 170, &m);

	a = iuc_share_args(rcv->pid, p, PAGE, IUC_SHARE_EXCLUSIVE, 0, IUC_NOTIFY);
	if (iuc_share_mem(self->fd, &a)) {
		TH_LOG("refused: error 0x%x", a.error);
		EXPECT_NE(IUC_E_NONE, a.error);
		EXPECT_EQ(0, shm_check(p, PAGE, 170, NULL, NULL));
		return;
	}
	rs = peer_recv(_metadata, rcv, a.segment, PAGE, IUC_SHARE_EXCLUSIVE, 0, 0);
	ASSERT_NE(0, rs);
	EXPECT_EQ(0, peer_check(rcv, rs, PAGE, 170));
	/* the accomplice writes "its" page */
	EXPECT_EQ(0, peer_write64(acc, as + 8, 0xBAD));
	EXPECT_EQ(0, peer_read64(rcv, rs + 8, &v));
	EXPECT_NE(0xBAD, v)
		TH_LOG("another process changed the exclusive receiver's page");
	EXPECT_EQ(0, peer_write64(rcv, rs + 16, 0x600D));
	EXPECT_EQ(0, peer_read64(acc, as + 16, &v));
	EXPECT_NE(0x600D, v)
		TH_LOG("another process reads the exclusive receiver's page");
}

/* ---- the sharer ends ------------------------------------------------------------------ */

/*
 * A peer shares with the test process (a context that handles both
 * memory records) from SHARER_LEN bytes of its memory, pattern 110; then
 * it exits or is SIGKILLed (the variants).
 */
#define SHARER_LEN	(17 * PAGE)

FIXTURE(sharer_end) {
	int fd;
	struct peer s;		/* the sharer: a context without handlers */
	uint64_t q;		/* its memory */
};

FIXTURE_VARIANT(sharer_end) {
	bool sigkill;
};

FIXTURE_VARIANT_ADD(sharer_end, exits) {
	.sigkill = false,
};

FIXTURE_VARIANT_ADD(sharer_end, killed) {
	.sigkill = true,
};

FIXTURE_SETUP(sharer_end)
{
	ASSERT_EQ(0, shm_probe_install());
	self->fd = iuc_shm_ctx();
	ASSERT_LE(0, self->fd);
	self->q = start_sharer(_metadata, &self->s, SHARER_LEN, 110);
}

FIXTURE_TEARDOWN(sharer_end)
{
	peer_kill(&self->s);
	close(self->fd);
}

/* End the sharer as the variant says; its context has ended on return. */
static void end_sharer(struct __test_metadata *_metadata,
		       FIXTURE_DATA(sharer_end) *self,
		       const FIXTURE_VARIANT(sharer_end) *variant)
{
	int st = variant->sigkill ? peer_kill(&self->s) : peer_stop(&self->s);

	EXPECT_EQ(variant->sigkill ? SIGKILL : 0, st);
}

/*
 * The sharer's mutual segments are revoked: the receiver gets UNSHARED_MEM
 * "sharer terminated", SIGBUS on access, and the segment is unknown.
 */
TEST_F(sharer_end, revokes_its_mutual_segments)
{
	struct iuc_mem_sharing_info i;
	uint64_t seg, start, v;
	struct shm_fault f;

	seg = peer_share_ok(_metadata, &self->s, getpid(), self->q, 2 * PAGE,
			    IUC_SHARE_MUTUAL, SHM_ACCESS_RW, IUC_NOTIFY, 0x55);
	start = recv_ok(_metadata, self->fd, NULL, seg, self->s.pid, 2 * PAGE,
			IUC_SHARE_MUTUAL, SHM_ACCESS_RW, 0x55);
	ASSERT_NE(0, start);
	EXPECT_EQ(0, shm_check((void *)(uintptr_t)start, 2 * PAGE, 110, NULL, NULL));
	EXPECT_EQ(0, peer_write64(&self->s, self->q + 8, 0xE5));
	EXPECT_EQ(0, shm_read64((void *)(uintptr_t)(start + 8), &v, NULL));
	EXPECT_EQ(0xE5, v);

	end_sharer(_metadata, self, variant);
	/* the context ends after the exit: wait for the record */
	unshared_ok(_metadata, self->fd, NULL, seg, IUC_UNSHARED_SHARER_DIED);
	EXPECT_EQ(SIGBUS, shm_read64((void *)(uintptr_t)start, NULL, &f));
	EXPECT_EQ(start, f.addr);
	EXPECT_EQ(SIGBUS, shm_write64((void *)(uintptr_t)(start + PAGE), 1, NULL));
	EXPECT_EQ(-EBADF, iuc_mem_info(self->fd, seg, &i));
	EXPECT_EQ(IUC_E_MEMINFO_UNKNOWN_SEGMENT, i.error);
}

/*
 * An exclusive segment belongs to the receiver: it outlives the sharer
 * (proven ended by the UNSHARED_MEM of a mutual segment it also shared)
 * with its contents, also after the freed memory of the system was
 * reused, until MEM_UNMAP.
 */
TEST_F(sharer_end, leaves_exclusive_segments_to_the_receiver)
{
	const size_t len = SHARER_LEN - PAGE, churn = 64 << 20;
	struct iuc_mem_sharing_info i;
	uint64_t x, m, xs, ms;
	uint32_t err;
	char *c;

	x = peer_share_ok(_metadata, &self->s, getpid(), self->q, len,
			  IUC_SHARE_EXCLUSIVE, 0, IUC_NOTIFY, 1);
	EXPECT_EQ(SIGSEGV, peer_read64(&self->s, self->q, NULL));
	m = peer_share_ok(_metadata, &self->s, getpid(), self->q + len, PAGE,
			  IUC_SHARE_MUTUAL, IUC_ACCESS_READ, IUC_NOTIFY, 2);
	xs = recv_ok(_metadata, self->fd, NULL, x, self->s.pid, len,
		     IUC_SHARE_EXCLUSIVE, 0, 1);
	ms = recv_ok(_metadata, self->fd, NULL, m, self->s.pid, PAGE,
		     IUC_SHARE_MUTUAL, IUC_ACCESS_READ, 2);
	ASSERT_NE(0, xs);
	ASSERT_NE(0, ms);

	end_sharer(_metadata, self, variant);
	unshared_ok(_metadata, self->fd, NULL, m, IUC_UNSHARED_SHARER_DIED);

	/* reuse free memory, then look */
	c = shm_anon(churn);
	ASSERT_NE(NULL, c);
	EXPECT_EQ(0, shm_fill(c, churn, 121, NULL));
	EXPECT_EQ(0, shm_check((void *)(uintptr_t)xs, len, 110, NULL, NULL));
	munmap(c, churn);
	EXPECT_EQ(0, shm_fill((void *)(uintptr_t)xs, len, 122, NULL));
	EXPECT_EQ(0, shm_check((void *)(uintptr_t)xs, len, 122, NULL, NULL));
	ASSERT_EQ(0, iuc_mem_info(self->fd, x, &i));
	EXPECT_EQ(xs, i.receiver_addr);
	EXPECT_EQ(len, i.length);
	EXPECT_EQ(IUC_SHARE_EXCLUSIVE, i.mode);

	EXPECT_EQ(0, iuc_mem_unmap(self->fd, x, &err));
	EXPECT_EQ(SIGSEGV, shm_read64((void *)(uintptr_t)xs, NULL, NULL));
}

TEST_HARNESS_MAIN
