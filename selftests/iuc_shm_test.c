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
 * Faults are caught with sigsetjmp/siglongjmp probes (iuc_shm_util.h),
 * so each test checks which signal an access raised.
 *
 * Every refused call is followed by a check that it had no effect: the
 * sharer's memory is still there with its contents, and the receiver got
 * no record.  The last test checks that every FOLL_PIN of the program was
 * released.
 */
#include <sys/mman.h>
#include <sys/resource.h>

#include "kselftest_harness.h"
#include "iuc_test_util.h"
#include "iuc_shm_util.h"

#define NOBODY		65534

/* SHARE_MEM by @fd that must succeed; the segment id. */
static uint64_t share_ok(struct __test_metadata *_metadata, int fd, pid_t to,
			 void *p, size_t len, uint8_t mode, uint8_t access,
			 uint8_t notify, uint16_t command)
{
	struct iuc_share_mem a = shm_args(to, p, len, mode, access, notify);

	a.command = command;
	ASSERT_EQ(0, shm_share(fd, &a)) TH_LOG("SHARE_MEM failed, error 0x%x", a.error);
	EXPECT_EQ(IUC_E_NONE, a.error);
	ASSERT_NE(0, a.segment);
	return a.segment;
}

/* SHARE_MEM by the peer @s that must succeed; the segment id. */
static uint64_t mp_share_ok(struct __test_metadata *_metadata, struct mpeer *s,
			    pid_t to, uint64_t addr, size_t len, uint8_t mode,
			    uint8_t access, uint8_t notify, uint16_t command)
{
	struct iuc_share_mem a = shm_args(to, (void *)(uintptr_t)addr, len,
					  mode, access, notify);

	a.command = command;
	ASSERT_EQ(0, mp_share(s, &a)) TH_LOG("peer SHARE_MEM failed, error 0x%x", a.error);
	EXPECT_EQ(IUC_E_NONE, a.error);
	ASSERT_NE(0, a.segment);
	return a.segment;
}

/*
 * The next record of @rcv must be RECV_SHARED_MEM of @seg, with the given
 * fields; its start (the receiver's mapping) is returned, 0 if none.
 */
static uint64_t mp_recv(struct __test_metadata *_metadata, struct mpeer *rcv,
			uint64_t seg, pid_t sharer, size_t len, uint8_t mode,
			uint8_t access, uint16_t command)
{
	struct iuc_signal s;

	ASSERT_EQ(0, mp_read_sig(rcv, &s));
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

/* The same, for records the test process itself reads from @fd. */
static uint64_t self_recv(struct __test_metadata *_metadata, int fd,
			  uint64_t seg, pid_t sharer, size_t len, uint8_t mode,
			  uint8_t access, uint16_t command)
{
	struct iuc_signal s;

	ASSERT_EQ(0, shm_next_sig(fd, &s));
	ASSERT_EQ(IUC_SIG_RECV_SHARED_MEM, s.code);
	EXPECT_EQ(seg, s.object);
	EXPECT_EQ((uint64_t)sharer, s.data.recv_shared_mem.sharer_pid);
	EXPECT_EQ(len, s.data.recv_shared_mem.length);
	EXPECT_EQ(mode, s.data.recv_shared_mem.mode);
	EXPECT_EQ(access, s.data.recv_shared_mem.access);
	EXPECT_EQ(command, s.data.recv_shared_mem.command);
	EXPECT_TRUE(sig_reserved_zero(&s));
	return s.data.recv_shared_mem.start;
}

/* The record @s must be UNSHARED_MEM of @seg with @type. */
static void expect_unshared(struct __test_metadata *_metadata,
			    const struct iuc_signal *s, uint64_t seg, uint8_t type)
{
	EXPECT_EQ(IUC_SIG_UNSHARED_MEM, s->code);
	EXPECT_EQ(seg, s->data.unshared_mem.segment);
	EXPECT_EQ(seg, s->object);
	EXPECT_EQ(type, s->data.unshared_mem.type);
	EXPECT_TRUE(all_zero(s->data.unshared_mem.__pad,
			     sizeof(s->data.unshared_mem.__pad)));
	EXPECT_TRUE(sig_reserved_zero(s));
}

/* @rcv has no record pending. */
static void mp_no_record(struct __test_metadata *_metadata, struct mpeer *rcv)
{
	EXPECT_EQ(0, mp_cmd(rcv, MP_POLL, 0, 0, 0, 0, NULL));
}

/* A SHARE_MEM that must fail with @err and @code, leaving @a->segment. */
#define EXPECT_SHARE_FAILS(fd, a, err, code) do {			\
	uint64_t __seg_in = (a)->segment;				\
	EXPECT_EQ(-(err), shm_share(fd, a));				\
	EXPECT_EQ((uint32_t)(code), (a)->error);			\
	EXPECT_EQ(__seg_in, (a)->segment);				\
} while (0)

/* ---- SHARE_MEM errors ------------------------------------------------------- */

/*
 * Argument errors 0x10..0x17, reserved fields (0x02) and ranges beyond the
 * address space (0x03), each on an otherwise valid exclusive or mutual
 * share: none unmaps the range or reaches the receiver.
 */
TEST(share_args_errors)
{
	struct share_case {
		const char *what;
		uint8_t mode, access, notify, pad;
		uint64_t off, len, seg_in;
		uint32_t flags;
		int err;
		uint32_t code;
	};
	const uint64_t L = 4 * PAGE;
	const struct share_case cases[] = {
		{ "pad not zero", 1, 0, 0, 1, 0, L, 0, 0, EINVAL, IUC_E_INVALID_ARG },
		{ "flags not zero", 1, 0, 0, 0, 0, L, 0, 1, EINVAL, IUC_E_INVALID_ARG },
		{ "notify 2", 1, 0, 2, 0, 0, L, 0, 0, EINVAL, IUC_E_SHARE_BAD_NOTIFY },
		{ "notify 0xff", 0, 0x80, 0xff, 0, 0, L, 0, 0, EINVAL, IUC_E_SHARE_BAD_NOTIFY },
		{ "mode 2", 2, 0, 0, 0, 0, L, 0, 0, EINVAL, IUC_E_SHARE_BAD_MODE },
		{ "mode 0xff", 0xff, 0x80, 0, 0, 0, L, 0, 0, EINVAL, IUC_E_SHARE_BAD_MODE },
		{ "access bit 0x01", 0, 0x81, 0, 0, 0, L, 0, 0, EINVAL, IUC_E_SHARE_BAD_ACCESS },
		{ "access bit 0x10", 0, 0x10, 0, 0, 0, L, 0, 0, EINVAL, IUC_E_SHARE_BAD_ACCESS },
		{ "access 0x1f exclusive", 1, 0x1f, 0, 0, 0, L, 0, 0, EINVAL, IUC_E_SHARE_BAD_ACCESS },
		{ "mutual without access", 0, 0, 0, 0, 0, L, 0, 0, EINVAL, IUC_E_SHARE_MUTUAL_NO_ACCESS },
		{ "exclusive with read", 1, 0x80, 0, 0, 0, L, 0, 0, EINVAL, IUC_E_SHARE_EXCLUSIVE_ACCESS },
		{ "exclusive with rwx", 1, 0xe0, 0, 0, 0, L, 0, 0, EINVAL, IUC_E_SHARE_EXCLUSIVE_ACCESS },
		{ "address + 1", 1, 0, 0, 0, 1, L - PAGE, 0, 0, EINVAL, IUC_E_SHARE_UNALIGNED },
		{ "address + 2048", 0, 0xc0, 0, 0, 2048, L - PAGE, 0, 0, EINVAL, IUC_E_SHARE_UNALIGNED },
		{ "unaligned and zero length", 1, 0, 0, 0, 8, 0, 0, 0, EINVAL, IUC_E_SHARE_UNALIGNED },
		{ "length - 1", 1, 0, 0, 0, 0, L - 1, 0, 0, EINVAL, IUC_E_SHARE_LENGTH_NOT_PAGES },
		{ "length 100", 0, 0x80, 0, 0, 0, 100, 0, 0, EINVAL, IUC_E_SHARE_LENGTH_NOT_PAGES },
		{ "length zero", 1, 0, 0, 0, 0, 0, 0, 0, EINVAL, IUC_E_SHARE_LENGTH_ZERO },
		{ "length zero mutual", 0, 0x80, 1, 0, 0, 0, 0, 0, EINVAL, IUC_E_SHARE_LENGTH_ZERO },
	};
	struct mpeer rcv;
	int fd = shm_open_ctx();
	char *p = shm_anon(4 * PAGE);
	struct iuc_share_mem a;
	uint64_t seg;

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, shm_fill(p, L, 1, NULL));
	ASSERT_EQ(0, mp_start_receiver(&rcv));

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct share_case *c = &cases[i];

		a = shm_args(rcv.pid, p + c->off, c->len, c->mode, c->access,
			     c->notify);
		a.segment = c->seg_in;
		a.__pad[0] = c->pad;
		a.flags = c->flags;
		EXPECT_EQ(-c->err, shm_share(fd, &a)) TH_LOG("%s", c->what);
		EXPECT_EQ(c->code, a.error) TH_LOG("%s", c->what);
		EXPECT_EQ(c->seg_in, a.segment) TH_LOG("%s", c->what);
	}

	/* Beyond the address space, or wrapping around: not mapped (0x03). */
	a = shm_args(rcv.pid, (void *)(uintptr_t)(1ull << 57), PAGE,
		     IUC_SHARE_MUTUAL, IUC_ACCESS_READ, IUC_NOTIFY);
	EXPECT_SHARE_FAILS(fd, &a, EFAULT, IUC_E_UNMAPPED);
	a = shm_args(rcv.pid, (void *)(uintptr_t)(UINT64_MAX & ~(PAGE - 1)),
		     2 * PAGE, IUC_SHARE_EXCLUSIVE, 0, IUC_NOTIFY);
	EXPECT_SHARE_FAILS(fd, &a, EFAULT, IUC_E_UNMAPPED);
	a = shm_args(rcv.pid, p, UINT64_MAX & ~(PAGE - 1), IUC_SHARE_EXCLUSIVE,
		     0, IUC_NOTIFY);
	EXPECT_SHARE_FAILS(fd, &a, EFAULT, IUC_E_UNMAPPED);

	/* No effect: the memory is still ours, the receiver got nothing. */
	EXPECT_EQ(0, shm_check(p, L, 1, NULL, NULL));
	mp_no_record(_metadata, &rcv);

	/* The next record is the one of a valid share. */
	seg = share_ok(_metadata, fd, rcv.pid, p, L, IUC_SHARE_EXCLUSIVE, 0,
		       IUC_NOTIFY, 0x4242);
	EXPECT_NE(0, mp_recv(_metadata, &rcv, seg, getpid(), L,
			     IUC_SHARE_EXCLUSIVE, 0, 0x4242));
	EXPECT_EQ(0, mp_stop(&rcv));
	close(fd);
}

/*
 * Who the target is: no context (0x20, also for pid 0, a pid beyond
 * PID_MAX_LIMIT and a process whose context ended), another application
 * (0x21), another user (0x22), no RECV_SHARED_MEM handler while notifying
 * (0x23; fine with IUC_NOTIFY_SKIP).  A failed exclusive share leaves the
 * range mapped with its contents.
 */
TEST(share_target_errors)
{
	struct mpeer noctx, closed, other_app, nobody, nohandler;
	int fd = shm_open_ctx();
	char *p = shm_anon(2 * PAGE);
	struct iuc_share_mem a;
	uint64_t q, seg;

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, shm_fill(p, 2 * PAGE, 2, NULL));

	/* 0x20: a process that never opened /dev/iuc, or closed it */
	ASSERT_EQ(0, mp_start(&noctx));
	ASSERT_EQ(0, mp_start_receiver(&closed));
	ASSERT_EQ(0, mp_op0(&closed, MP_CLOSE));
	for (int m = 0; m < 2; m++) {
		uint8_t mode = m ? IUC_SHARE_EXCLUSIVE : IUC_SHARE_MUTUAL;
		uint8_t acc = m ? 0 : SHM_ACCESS_RW;
		const pid_t pids[] = { noctx.pid, closed.pid, 0, 4194305 };

		for (size_t i = 0; i < 4; i++) {
			a = shm_args(pids[i], p, 2 * PAGE, mode, acc, IUC_NOTIFY_SKIP);
			EXPECT_SHARE_FAILS(fd, &a, ESRCH, IUC_E_SHARE_NO_SUCH_PID);
		}
	}
	a = shm_args(0, p, 2 * PAGE, IUC_SHARE_EXCLUSIVE, 0, IUC_NOTIFY_SKIP);
	a.target_pid = 1ull << 40;
	EXPECT_SHARE_FAILS(fd, &a, ESRCH, IUC_E_SHARE_NO_SUCH_PID);

	/* 0x21: the target left for an IPC namespace of its own */
	ASSERT_EQ(0, mp_start(&other_app));
	ASSERT_EQ(0, mp_op0(&other_app, MP_UNSHARE_IPC));
	ASSERT_EQ(0, mp_op1(&other_app, MP_OPEN, 0));
	ASSERT_EQ(0, mp_op1(&other_app, MP_HANDLE, IUC_SIG_RECV_SHARED_MEM));
	ASSERT_EQ(0, mp_op0(&other_app, MP_READY));
	a = shm_args(other_app.pid, p, 2 * PAGE, IUC_SHARE_EXCLUSIVE, 0, IUC_NOTIFY);
	EXPECT_SHARE_FAILS(fd, &a, EACCES, IUC_E_SHARE_OTHER_APPLICATION);
	a = shm_args(other_app.pid, p, PAGE, IUC_SHARE_MUTUAL, IUC_ACCESS_READ,
		     IUC_NOTIFY_SKIP);
	EXPECT_SHARE_FAILS(fd, &a, EACCES, IUC_E_SHARE_OTHER_APPLICATION);
	mp_no_record(_metadata, &other_app);

	/* 0x22: a sharer running as nobody cannot reach root */
	ASSERT_EQ(0, mp_start(&nobody));
	ASSERT_EQ(0, mp_op1(&nobody, MP_OPEN, 0));
	ASSERT_EQ(0, mp_op1(&nobody, MP_SETUID, NOBODY));
	q = mp_anon(&nobody, PAGE, PROT_READ | PROT_WRITE);
	ASSERT_NE(0, q);
	ASSERT_EQ(0, mp_fill(&nobody, q, PAGE, 3));
	for (int m = 0; m < 2; m++) {
		a = shm_args(getpid(), (void *)(uintptr_t)q, PAGE,
			     m ? IUC_SHARE_EXCLUSIVE : IUC_SHARE_MUTUAL,
			     m ? 0 : IUC_ACCESS_READ, IUC_NOTIFY_SKIP);
		EXPECT_EQ(-EPERM, mp_share(&nobody, &a));
		EXPECT_EQ(IUC_E_SHARE_OTHER_USER, a.error);
		EXPECT_EQ(0, a.segment);
	}
	EXPECT_EQ(0, mp_check(&nobody, q, PAGE, 3));

	/* 0x23: notification asked, RECV_SHARED_MEM not handled */
	ASSERT_EQ(0, mp_start(&nohandler));
	ASSERT_EQ(0, mp_op1(&nohandler, MP_OPEN, 0));
	ASSERT_EQ(0, mp_op1(&nohandler, MP_HANDLE, IUC_SIG_UNSHARED_MEM));
	ASSERT_EQ(0, mp_op0(&nohandler, MP_READY));
	a = shm_args(nohandler.pid, p, 2 * PAGE, IUC_SHARE_EXCLUSIVE, 0, IUC_NOTIFY);
	EXPECT_SHARE_FAILS(fd, &a, ENOENT, IUC_E_SHARE_NO_HANDLER);
	a = shm_args(nohandler.pid, p, 2 * PAGE, IUC_SHARE_MUTUAL,
		     IUC_ACCESS_READ, IUC_NOTIFY);
	EXPECT_SHARE_FAILS(fd, &a, ENOENT, IUC_E_SHARE_NO_HANDLER);
	mp_no_record(_metadata, &nohandler);
	EXPECT_EQ(0, shm_check(p, 2 * PAGE, 2, NULL, NULL));

	/* ... but without notification the same target gets the segment */
	seg = share_ok(_metadata, fd, nohandler.pid, p, PAGE, IUC_SHARE_MUTUAL,
		       IUC_ACCESS_READ, IUC_NOTIFY_SKIP, 1);
	q = mp_mmap_id(&nohandler, seg, PAGE, PROT_READ, MAP_SHARED, NULL);
	ASSERT_NE(0, q);
	EXPECT_EQ(0, mp_check(&nohandler, q, PAGE, 2));
	mp_no_record(_metadata, &nohandler);

	EXPECT_EQ(0, mp_stop(&noctx));
	EXPECT_EQ(0, mp_stop(&closed));
	EXPECT_EQ(0, mp_stop(&other_app));
	EXPECT_EQ(0, mp_stop(&nobody));
	EXPECT_EQ(0, mp_stop(&nohandler));
	close(fd);
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

/*
 * Only private anonymous memory can be shared (0x24, EINVAL), in both
 * modes: MAP_SHARED anonymous memory, memfd (shared and private), a file
 * (shared and private), a range that is private anonymous only in part,
 * and a segment mapping the receiver got from /dev/iuc.  Each stays
 * mapped with its contents.
 */
TEST(share_not_private_anon)
{
	struct {
		const char *what;
		char *p;
		size_t len;
	} r[8];
	int n = 0, memfd, file;
	int fd = shm_open_ctx();
	struct mpeer rcv;
	char *mixed;
	struct iuc_share_mem a;
	uint64_t seg, start;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mp_start_receiver(&rcv));

	r[n].what = "MAP_SHARED anonymous";
	r[n].len = 2 * PAGE;
	r[n].p = mmap(NULL, r[n].len, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, r[n].p);
	n++;

	memfd = memfd_create("iuc_shm", MFD_CLOEXEC);
	ASSERT_LE(0, memfd);
	ASSERT_EQ(0, ftruncate(memfd, 4 * PAGE));
	r[n].what = "memfd MAP_SHARED";
	r[n].len = 2 * PAGE;
	r[n].p = mmap(NULL, r[n].len, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	ASSERT_NE(MAP_FAILED, r[n].p);
	n++;
	r[n].what = "memfd MAP_PRIVATE";
	r[n].len = 2 * PAGE;
	r[n].p = mmap(NULL, r[n].len, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		      memfd, 2 * PAGE);
	ASSERT_NE(MAP_FAILED, r[n].p);
	n++;

	file = tmp_file(4);
	ASSERT_LE(0, file);
	r[n].what = "file MAP_SHARED";
	r[n].len = 2 * PAGE;
	r[n].p = mmap(NULL, r[n].len, PROT_READ | PROT_WRITE, MAP_SHARED, file, 0);
	ASSERT_NE(MAP_FAILED, r[n].p);
	n++;
	r[n].what = "file MAP_PRIVATE";
	r[n].len = 2 * PAGE;
	r[n].p = mmap(NULL, r[n].len, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		      file, 2 * PAGE);
	ASSERT_NE(MAP_FAILED, r[n].p);
	n++;

	/* private anonymous, then MAP_SHARED anonymous over its second half */
	mixed = shm_anon(4 * PAGE);
	ASSERT_NE(NULL, mixed);
	ASSERT_NE(MAP_FAILED, mmap(mixed + 2 * PAGE, 2 * PAGE, PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	r[n].what = "private then shared";
	r[n].p = mixed;
	r[n].len = 4 * PAGE;
	n++;

	for (int i = 0; i < n; i++) {
		ASSERT_EQ(0, shm_fill(r[i].p, r[i].len, 100 + i, NULL)) TH_LOG("%s", r[i].what);
		for (int m = 0; m < 2; m++) {
			a = shm_args(rcv.pid, r[i].p, r[i].len,
				     m ? IUC_SHARE_EXCLUSIVE : IUC_SHARE_MUTUAL,
				     m ? 0 : SHM_ACCESS_RW, IUC_NOTIFY);
			EXPECT_EQ(-EINVAL, shm_share(fd, &a)) TH_LOG("%s", r[i].what);
			EXPECT_EQ(IUC_E_SHARE_NOT_PRIVATE_ANON, a.error) TH_LOG("%s", r[i].what);
			EXPECT_EQ(0, a.segment);
		}
		EXPECT_EQ(0, shm_check(r[i].p, r[i].len, 100 + i, NULL, NULL))
			TH_LOG("%s", r[i].what);
	}
	/* the private anonymous half alone is fine */
	seg = share_ok(_metadata, fd, rcv.pid, mixed, 2 * PAGE, IUC_SHARE_MUTUAL,
		       SHM_ACCESS_RW, IUC_NOTIFY, 9);
	start = mp_recv(_metadata, &rcv, seg, getpid(), 2 * PAGE,
			IUC_SHARE_MUTUAL, SHM_ACCESS_RW, 9);
	ASSERT_NE(0, start);
	mp_no_record(_metadata, &rcv);

	/* The receiver cannot pass its segment mapping on. */
	for (int m = 0; m < 2; m++) {
		a = shm_args(getpid(), (void *)(uintptr_t)start, 2 * PAGE,
			     m ? IUC_SHARE_EXCLUSIVE : IUC_SHARE_MUTUAL,
			     m ? 0 : IUC_ACCESS_READ, IUC_NOTIFY_SKIP);
		EXPECT_EQ(-EINVAL, mp_share(&rcv, &a));
		EXPECT_EQ(IUC_E_SHARE_NOT_PRIVATE_ANON, a.error);
	}
	EXPECT_EQ(0, mp_check(&rcv, start, 2 * PAGE, 100 + n - 1));
	EXPECT_EQ(0, mp_stop(&rcv));
	close(memfd);
	close(file);
	close(fd);
}

/*
 * A range with a hole, or not mapped at all: 0x03 (EFAULT), in both modes;
 * the mapped part stays.
 */
TEST(share_unmapped_range)
{
	struct mpeer rcv;
	int fd = shm_open_ctx();
	char *p = shm_anon(3 * PAGE);
	char *gone = shm_anon(4 * PAGE);
	struct iuc_share_mem a;

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, p);
	ASSERT_NE(NULL, gone);
	ASSERT_EQ(0, munmap(p + PAGE, PAGE));
	ASSERT_EQ(0, munmap(gone, 4 * PAGE));
	ASSERT_EQ(0, shm_fill(p, PAGE, 5, NULL));
	ASSERT_EQ(0, shm_fill(p + 2 * PAGE, PAGE, 6, NULL));
	ASSERT_EQ(0, mp_start_receiver(&rcv));

	for (int m = 0; m < 2; m++) {
		uint8_t mode = m ? IUC_SHARE_EXCLUSIVE : IUC_SHARE_MUTUAL;
		uint8_t acc = m ? 0 : SHM_ACCESS_RW;

		a = shm_args(rcv.pid, p, 3 * PAGE, mode, acc, IUC_NOTIFY);
		EXPECT_SHARE_FAILS(fd, &a, EFAULT, IUC_E_UNMAPPED);
		a = shm_args(rcv.pid, p + PAGE, PAGE, mode, acc, IUC_NOTIFY);
		EXPECT_SHARE_FAILS(fd, &a, EFAULT, IUC_E_UNMAPPED);
		a = shm_args(rcv.pid, p + PAGE, 2 * PAGE, mode, acc, IUC_NOTIFY);
		EXPECT_SHARE_FAILS(fd, &a, EFAULT, IUC_E_UNMAPPED);
		a = shm_args(rcv.pid, gone, 4 * PAGE, mode, acc, IUC_NOTIFY);
		EXPECT_SHARE_FAILS(fd, &a, EFAULT, IUC_E_UNMAPPED);
	}
	EXPECT_EQ(0, shm_check(p, PAGE, 5, NULL, NULL));
	EXPECT_EQ(0, shm_check(p + 2 * PAGE, PAGE, 6, NULL, NULL));
	mp_no_record(_metadata, &rcv);
	EXPECT_EQ(0, mp_stop(&rcv));
	close(fd);
}

/*
 * A huge range that is not mapped (4 TiB): 0x03 like any unmapped range.
 * The kernel must not try to allocate a page array for it first (an
 * 8 GiB kvmalloc() warns and fails with ENOMEM).
 */
TEST(share_huge_unmapped_range)
{
	const uint64_t addr = 16ull << 40, len = 4ull << 40;
	struct mpeer rcv;
	int fd = shm_open_ctx();
	struct iuc_share_mem a;

	ASSERT_LE(0, fd);
	ASSERT_EQ(1, range_unmapped(addr, len));
	ASSERT_EQ(0, mp_start_receiver(&rcv));
	a = shm_args(rcv.pid, (void *)(uintptr_t)addr, len, IUC_SHARE_MUTUAL,
		     IUC_ACCESS_READ, IUC_NOTIFY_SKIP);
	EXPECT_SHARE_FAILS(fd, &a, EFAULT, IUC_E_UNMAPPED);
	a = shm_args(rcv.pid, (void *)(uintptr_t)addr, len, IUC_SHARE_EXCLUSIVE,
		     0, IUC_NOTIFY);
	EXPECT_SHARE_FAILS(fd, &a, EFAULT, IUC_E_UNMAPPED);
	mp_no_record(_metadata, &rcv);
	EXPECT_EQ(0, mp_stop(&rcv));
	close(fd);
}

/*
 * 0x30 (ENOMEM): the receiver's RLIMIT_AS leaves no room for the segment.
 * A segment that fits still works.
 */
TEST(receiver_no_room)
{
	const size_t big = 4 << 20, small = 64 * PAGE;
	struct mpeer rcv;
	int fd = shm_open_ctx();
	char *p = shm_anon(big);
	struct iuc_share_mem a;
	uint64_t vs, seg, start;

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, shm_fill(p, big, 30, NULL));
	ASSERT_EQ(0, mp_start_receiver(&rcv));
	vs = mp_v0(&rcv, MP_VMSIZE, 0);
	ASSERT_NE(0, vs);
	ASSERT_EQ(0, mp_cmd(&rcv, MP_SETRLIMIT, RLIMIT_AS, vs + (1 << 20),
			    RLIM_INFINITY, 0, NULL));

	a = shm_args(rcv.pid, p, big, IUC_SHARE_MUTUAL, SHM_ACCESS_RW, IUC_NOTIFY);
	EXPECT_SHARE_FAILS(fd, &a, ENOMEM, IUC_E_SHARE_NO_ROOM);
	a = shm_args(rcv.pid, p, big, IUC_SHARE_EXCLUSIVE, 0, IUC_NOTIFY_SKIP);
	EXPECT_SHARE_FAILS(fd, &a, ENOMEM, IUC_E_SHARE_NO_ROOM);
	EXPECT_EQ(0, shm_check(p, big, 30, NULL, NULL));
	mp_no_record(_metadata, &rcv);

	seg = share_ok(_metadata, fd, rcv.pid, p, small, IUC_SHARE_EXCLUSIVE, 0,
		       IUC_NOTIFY, 30);
	start = mp_recv(_metadata, &rcv, seg, getpid(), small,
			IUC_SHARE_EXCLUSIVE, 0, 30);
	ASSERT_NE(0, start);
	EXPECT_EQ(0, mp_check(&rcv, start, small, 30));
	EXPECT_EQ(0, mp_stop(&rcv));
	close(fd);
}

/*
 * 0x31 (ENOMEM): pinned pages are charged to the sharer's user against
 * RLIMIT_MEMLOCK, exactly, and given back by UNSHARE_MEM and MEM_UNMAP.
 * Sharer and receiver run as nobody, without CAP_IPC_LOCK (they opened
 * /dev/iuc before dropping root: what counts is the user at SHARE_MEM).
 */
TEST(pin_limit)
{
	struct mpeer s, rcv;
	struct iuc_share_mem a;
	uint64_t q, sa, sb, sc, sd;
	uint32_t err;

	ASSERT_EQ(0, mp_start(&rcv));
	ASSERT_EQ(0, mp_op1(&rcv, MP_OPEN, 0));
	ASSERT_EQ(0, mp_op1(&rcv, MP_SETUID, NOBODY));
	ASSERT_EQ(0, mp_start(&s));
	ASSERT_EQ(0, mp_op1(&s, MP_OPEN, 0));
	ASSERT_EQ(0, mp_op1(&s, MP_SETUID, NOBODY));
	ASSERT_EQ(0, mp_cmd(&s, MP_SETRLIMIT, RLIMIT_MEMLOCK, 4 * PAGE, 4 * PAGE,
			    0, NULL));
	q = mp_anon(&s, 16 * PAGE, PROT_READ | PROT_WRITE);
	ASSERT_NE(0, q);
	ASSERT_EQ(0, mp_fill(&s, q, 16 * PAGE, 31));

	/* 3 of 4 pages */
	sa = mp_share_ok(_metadata, &s, rcv.pid, q, 3 * PAGE, IUC_SHARE_MUTUAL,
			 IUC_ACCESS_READ, IUC_NOTIFY_SKIP, 0);
	/* 5 > 4 */
	a = shm_args(rcv.pid, (void *)(uintptr_t)(q + 4 * PAGE), 2 * PAGE,
		     IUC_SHARE_MUTUAL, IUC_ACCESS_READ, IUC_NOTIFY_SKIP);
	EXPECT_EQ(-ENOMEM, mp_share(&s, &a));
	EXPECT_EQ(IUC_E_SHARE_PIN_LIMIT, a.error);
	/* exactly 4 */
	sb = mp_share_ok(_metadata, &s, rcv.pid, q + 4 * PAGE, PAGE,
			 IUC_SHARE_MUTUAL, IUC_ACCESS_READ, IUC_NOTIFY_SKIP, 0);
	/* one more page, exclusive: refused, and the range stays */
	a = shm_args(rcv.pid, (void *)(uintptr_t)(q + 8 * PAGE), PAGE,
		     IUC_SHARE_EXCLUSIVE, 0, IUC_NOTIFY_SKIP);
	EXPECT_EQ(-ENOMEM, mp_share(&s, &a));
	EXPECT_EQ(IUC_E_SHARE_PIN_LIMIT, a.error);
	EXPECT_EQ(0, mp_check(&s, q, 16 * PAGE, 31));

	/* UNSHARE_MEM gives 3 pages back */
	EXPECT_EQ(0, mp_seg_call(&s, MP_UNSHARE, sa, &err));
	sc = mp_share_ok(_metadata, &s, rcv.pid, q + 8 * PAGE, 3 * PAGE,
			 IUC_SHARE_EXCLUSIVE, 0, IUC_NOTIFY_SKIP, 0);
	a = shm_args(rcv.pid, (void *)(uintptr_t)(q + 12 * PAGE), PAGE,
		     IUC_SHARE_MUTUAL, IUC_ACCESS_READ, IUC_NOTIFY_SKIP);
	EXPECT_EQ(-ENOMEM, mp_share(&s, &a));
	EXPECT_EQ(IUC_E_SHARE_PIN_LIMIT, a.error);

	/* the receiver's MEM_UNMAP of the exclusive one gives 3 back */
	EXPECT_EQ(0, mp_seg_call(&rcv, MP_UNMAP, sc, &err));
	EXPECT_EQ(IUC_E_NONE, err);
	sd = mp_share_ok(_metadata, &s, rcv.pid, q + 12 * PAGE, 3 * PAGE,
			 IUC_SHARE_MUTUAL, SHM_ACCESS_RW, IUC_NOTIFY_SKIP, 0);
	EXPECT_NE(sb, sd);
	EXPECT_EQ(0, mp_stop(&s));
	EXPECT_EQ(0, mp_stop(&rcv));
}

/*
 * CAP_IPC_LOCK bypasses RLIMIT_MEMLOCK; without it a limit of 0 refuses
 * every share with 0x31.
 */
TEST(pin_limit_cap_ipc_lock)
{
	struct rlimit zero = { 0, 0 };
	struct mpeer rcv;
	int fd = shm_open_ctx();
	char *p = shm_anon(16 * PAGE);
	struct iuc_share_mem a;

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(1, has_cap(CAP_IPC_LOCK));
	ASSERT_EQ(0, mp_start_receiver(&rcv));
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &zero));

	share_ok(_metadata, fd, rcv.pid, p, 8 * PAGE, IUC_SHARE_MUTUAL,
		 IUC_ACCESS_READ, IUC_NOTIFY_SKIP, 0);
	ASSERT_EQ(0, drop_cap(CAP_IPC_LOCK));
	a = shm_args(rcv.pid, p + 8 * PAGE, PAGE, IUC_SHARE_MUTUAL,
		     IUC_ACCESS_READ, IUC_NOTIFY_SKIP);
	EXPECT_SHARE_FAILS(fd, &a, ENOMEM, IUC_E_SHARE_PIN_LIMIT);
	a = shm_args(rcv.pid, p + 8 * PAGE, PAGE, IUC_SHARE_EXCLUSIVE, 0,
		     IUC_NOTIFY_SKIP);
	EXPECT_SHARE_FAILS(fd, &a, ENOMEM, IUC_E_SHARE_PIN_LIMIT);
	EXPECT_EQ(0, shm_write64(p + 8 * PAGE, 1, NULL));
	EXPECT_EQ(0, mp_stop(&rcv));
	close(fd);
}

/*
 * 0x3F (EAGAIN): the receiver's signal queue is full; a notified share
 * fails without effect, an unnotified one still works, and reading one
 * record makes room again.
 */
FIXTURE(queue) {
	long long saved;
};

FIXTURE_SETUP(queue)
{
	self->saved = param_read(PARAM_MAX_QUEUED);
	ASSERT_LT(0, self->saved);
	ASSERT_EQ(0, param_write(PARAM_MAX_QUEUED, 2));
}

FIXTURE_TEARDOWN(queue)
{
	EXPECT_EQ(0, param_write(PARAM_MAX_QUEUED, self->saved));
}

TEST_F(queue, share_queue_full)
{
	struct mpeer rcv;
	int fd = shm_open_ctx();
	char *p = shm_anon(8 * PAGE);
	struct iuc_share_mem a;
	uint64_t s1, s2, s3;

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, shm_fill(p, 8 * PAGE, 40, NULL));
	ASSERT_EQ(0, mp_start_receiver(&rcv));

	s1 = share_ok(_metadata, fd, rcv.pid, p, PAGE, IUC_SHARE_MUTUAL,
		      IUC_ACCESS_READ, IUC_NOTIFY, 1);
	s2 = share_ok(_metadata, fd, rcv.pid, p, PAGE, IUC_SHARE_MUTUAL,
		      IUC_ACCESS_READ, IUC_NOTIFY, 2);
	a = shm_args(rcv.pid, p + 4 * PAGE, 4 * PAGE, IUC_SHARE_EXCLUSIVE, 0,
		     IUC_NOTIFY);
	EXPECT_SHARE_FAILS(fd, &a, EAGAIN, IUC_E_QUEUE_FULL);
	a = shm_args(rcv.pid, p + 4 * PAGE, 4 * PAGE, IUC_SHARE_MUTUAL,
		     IUC_ACCESS_READ, IUC_NOTIFY);
	EXPECT_SHARE_FAILS(fd, &a, EAGAIN, IUC_E_QUEUE_FULL);
	EXPECT_EQ(0, shm_check(p, 8 * PAGE, 40, NULL, NULL));
	share_ok(_metadata, fd, rcv.pid, p + PAGE, PAGE, IUC_SHARE_MUTUAL,
		 IUC_ACCESS_READ, IUC_NOTIFY_SKIP, 3);

	EXPECT_NE(0, mp_recv(_metadata, &rcv, s1, getpid(), PAGE,
			     IUC_SHARE_MUTUAL, IUC_ACCESS_READ, 1));
	s3 = share_ok(_metadata, fd, rcv.pid, p + 4 * PAGE, 4 * PAGE,
		      IUC_SHARE_EXCLUSIVE, 0, IUC_NOTIFY, 4);
	EXPECT_NE(0, mp_recv(_metadata, &rcv, s2, getpid(), PAGE,
			     IUC_SHARE_MUTUAL, IUC_ACCESS_READ, 2));
	EXPECT_NE(0, mp_recv(_metadata, &rcv, s3, getpid(), 4 * PAGE,
			     IUC_SHARE_EXCLUSIVE, 0, 4));
	EXPECT_EQ(0, mp_stop(&rcv));
	close(fd);
}

/* ---- UNSHARE_MEM, MEM_UNMAP, MEM_SHARING_INFO errors -------------------------- */

/*
 * UNSHARE_MEM: unknown segment 0x10 (EBADF), also for the receiver and a
 * third process; an exclusive segment 0x20 (EPERM) for its sharer.  None
 * changes anything.
 */
TEST(unshare_errors)
{
	struct mpeer rcv, third;
	int fd = shm_open_ctx();
	char *p = shm_anon(4 * PAGE);
	uint64_t m, x, ms, xs, v;
	uint32_t err;

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, shm_fill(p, 2 * PAGE, 50, NULL));
	ASSERT_EQ(0, shm_fill(p + 2 * PAGE, 2 * PAGE, 52, NULL));
	ASSERT_EQ(0, mp_start_receiver(&rcv));
	ASSERT_EQ(0, mp_start_receiver(&third));
	m = share_ok(_metadata, fd, rcv.pid, p, 2 * PAGE, IUC_SHARE_MUTUAL,
		     SHM_ACCESS_RW, IUC_NOTIFY, 0);
	x = share_ok(_metadata, fd, rcv.pid, p + 2 * PAGE, 2 * PAGE,
		     IUC_SHARE_EXCLUSIVE, 0, IUC_NOTIFY, 0);
	ms = mp_recv(_metadata, &rcv, m, getpid(), 2 * PAGE, IUC_SHARE_MUTUAL,
		     SHM_ACCESS_RW, 0);
	xs = mp_recv(_metadata, &rcv, x, getpid(), 2 * PAGE,
		     IUC_SHARE_EXCLUSIVE, 0, 0);
	ASSERT_NE(0, ms);
	ASSERT_NE(0, xs);

	const uint64_t unknown[] = { 0, x + 1000, UINT64_MAX };

	for (size_t i = 0; i < 3; i++) {
		EXPECT_EQ(-EBADF, shm_unshare(fd, unknown[i], &err));
		EXPECT_EQ(IUC_E_UNSHARE_UNKNOWN_SEGMENT, err);
	}
	/* receiver and third process: not theirs to unshare */
	EXPECT_EQ(-EBADF, mp_seg_call(&rcv, MP_UNSHARE, m, &err));
	EXPECT_EQ(IUC_E_UNSHARE_UNKNOWN_SEGMENT, err);
	EXPECT_EQ(-EBADF, mp_seg_call(&rcv, MP_UNSHARE, x, &err));
	EXPECT_EQ(IUC_E_UNSHARE_UNKNOWN_SEGMENT, err);
	EXPECT_EQ(-EBADF, mp_seg_call(&third, MP_UNSHARE, m, &err));
	EXPECT_EQ(IUC_E_UNSHARE_UNKNOWN_SEGMENT, err);
	/* exclusive: left to the receiver */
	EXPECT_EQ(-EPERM, shm_unshare(fd, x, &err));
	EXPECT_EQ(IUC_E_UNSHARE_EXCLUSIVE, err);

	/* nothing changed */
	EXPECT_EQ(0, shm_write64(p + 8, 0x1111, NULL));
	EXPECT_EQ(0, mp_read64(&rcv, ms + 8, &v));
	EXPECT_EQ(0x1111, v);
	EXPECT_EQ(0, mp_check(&rcv, xs, 2 * PAGE, 52));
	mp_no_record(_metadata, &rcv);
	mp_no_record(_metadata, &third);

	EXPECT_EQ(0, shm_unshare(fd, m, &err));
	EXPECT_EQ(IUC_E_NONE, err);
	EXPECT_EQ(-EBADF, shm_unshare(fd, m, &err));
	EXPECT_EQ(IUC_E_UNSHARE_UNKNOWN_SEGMENT, err);
	EXPECT_EQ(0, mp_stop(&rcv));
	EXPECT_EQ(0, mp_stop(&third));
	close(fd);
}

/*
 * MEM_UNMAP: unknown segment 0x10 (EBADF), also for a third process; the
 * sharer is not the receiver: 0x20 (EPERM), in both modes.  None changes
 * anything; then the receiver's call works once.
 */
TEST(mem_unmap_errors)
{
	struct mpeer rcv, third;
	int fd = shm_open_ctx();
	char *p = shm_anon(4 * PAGE);
	uint64_t m, x, ms, xs;
	uint32_t err;

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, shm_fill(p, 2 * PAGE, 51, NULL));
	ASSERT_EQ(0, shm_fill(p + 2 * PAGE, 2 * PAGE, 53, NULL));
	ASSERT_EQ(0, mp_start_receiver(&rcv));
	ASSERT_EQ(0, mp_start_receiver(&third));
	m = share_ok(_metadata, fd, rcv.pid, p, 2 * PAGE, IUC_SHARE_MUTUAL,
		     SHM_ACCESS_RW, IUC_NOTIFY, 0);
	x = share_ok(_metadata, fd, rcv.pid, p + 2 * PAGE, 2 * PAGE,
		     IUC_SHARE_EXCLUSIVE, 0, IUC_NOTIFY, 0);
	ms = mp_recv(_metadata, &rcv, m, getpid(), 2 * PAGE, IUC_SHARE_MUTUAL,
		     SHM_ACCESS_RW, 0);
	xs = mp_recv(_metadata, &rcv, x, getpid(), 2 * PAGE,
		     IUC_SHARE_EXCLUSIVE, 0, 0);
	ASSERT_NE(0, ms);
	ASSERT_NE(0, xs);

	EXPECT_EQ(-EBADF, shm_unmap(fd, 0, &err));
	EXPECT_EQ(IUC_E_UNMAP_UNKNOWN_SEGMENT, err);
	EXPECT_EQ(-EBADF, shm_unmap(fd, UINT64_MAX, &err));
	EXPECT_EQ(IUC_E_UNMAP_UNKNOWN_SEGMENT, err);
	EXPECT_EQ(-EBADF, mp_seg_call(&rcv, MP_UNMAP, x + 1000, &err));
	EXPECT_EQ(IUC_E_UNMAP_UNKNOWN_SEGMENT, err);
	EXPECT_EQ(-EPERM, shm_unmap(fd, m, &err));
	EXPECT_EQ(IUC_E_UNMAP_NOT_RECEIVER, err);
	EXPECT_EQ(-EPERM, shm_unmap(fd, x, &err));
	EXPECT_EQ(IUC_E_UNMAP_NOT_RECEIVER, err);
	EXPECT_EQ(-EBADF, mp_seg_call(&third, MP_UNMAP, m, &err));
	EXPECT_EQ(IUC_E_UNMAP_UNKNOWN_SEGMENT, err);
	EXPECT_EQ(-EBADF, mp_seg_call(&third, MP_UNMAP, x, &err));
	EXPECT_EQ(IUC_E_UNMAP_UNKNOWN_SEGMENT, err);

	/* nothing changed */
	EXPECT_EQ(0, mp_check(&rcv, ms, 2 * PAGE, 51));
	EXPECT_EQ(0, mp_check(&rcv, xs, 2 * PAGE, 53));
	EXPECT_EQ(0, mp_write64(&rcv, ms, 7));
	EXPECT_EQ(7, *(volatile uint64_t *)p);

	EXPECT_EQ(0, mp_seg_call(&rcv, MP_UNMAP, x, &err));
	EXPECT_EQ(IUC_E_NONE, err);
	EXPECT_EQ(-EBADF, mp_seg_call(&rcv, MP_UNMAP, x, &err));
	EXPECT_EQ(IUC_E_UNMAP_UNKNOWN_SEGMENT, err);
	EXPECT_EQ(0, mp_stop(&rcv));
	EXPECT_EQ(0, mp_stop(&third));
	close(fd);
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
 * command, mode, access.  Unknown or foreign segments: 0x10;
 * output fields not zero on input: 0x02.
 */
TEST(sharing_info)
{
	struct mpeer rcv, third;
	int fd = shm_open_ctx();
	char *p = shm_anon(8 * PAGE);
	struct iuc_mem_sharing_info i;
	uint64_t m, x, k, ms, xs, ks;
	pid_t me = getpid();

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, mp_start_receiver(&rcv));
	ASSERT_EQ(0, mp_start_receiver(&third));

	m = share_ok(_metadata, fd, rcv.pid, p, 3 * PAGE, IUC_SHARE_MUTUAL,
		     IUC_ACCESS_READ | IUC_ACCESS_EXEC, IUC_NOTIFY, 0x1234);
	x = share_ok(_metadata, fd, rcv.pid, p + 3 * PAGE, 2 * PAGE,
		     IUC_SHARE_EXCLUSIVE, 0, IUC_NOTIFY, 0xBEEF);
	k = share_ok(_metadata, fd, rcv.pid, p + 5 * PAGE, 3 * PAGE,
		     IUC_SHARE_MUTUAL, SHM_ACCESS_RW, IUC_NOTIFY_SKIP, 0xFFFF);

	/* before the receiver read anything: no receiver address */
	ASSERT_EQ(0, shm_info(fd, m, &i));
	expect_info(_metadata, &i, me, rcv.pid, (uintptr_t)p, 0, 3 * PAGE,
		    0x1234, IUC_SHARE_MUTUAL, IUC_ACCESS_READ | IUC_ACCESS_EXEC);
	ASSERT_EQ(0, mp_info(&rcv, m, &i));
	expect_info(_metadata, &i, me, rcv.pid, 0, 0, 3 * PAGE,
		    0x1234, IUC_SHARE_MUTUAL, IUC_ACCESS_READ | IUC_ACCESS_EXEC);
	ASSERT_EQ(0, shm_info(fd, x, &i));
	expect_info(_metadata, &i, me, rcv.pid, 0, 0, 2 * PAGE, 0xBEEF,
		    IUC_SHARE_EXCLUSIVE, 0);

	ms = mp_recv(_metadata, &rcv, m, me, 3 * PAGE, IUC_SHARE_MUTUAL,
		     IUC_ACCESS_READ | IUC_ACCESS_EXEC, 0x1234);
	xs = mp_recv(_metadata, &rcv, x, me, 2 * PAGE, IUC_SHARE_EXCLUSIVE, 0,
		     0xBEEF);
	ASSERT_NE(0, ms);
	ASSERT_NE(0, xs);
	ASSERT_EQ(0, shm_info(fd, m, &i));
	expect_info(_metadata, &i, me, rcv.pid, (uintptr_t)p, 0, 3 * PAGE,
		    0x1234, IUC_SHARE_MUTUAL, IUC_ACCESS_READ | IUC_ACCESS_EXEC);
	ASSERT_EQ(0, mp_info(&rcv, m, &i));
	expect_info(_metadata, &i, me, rcv.pid, 0, ms, 3 * PAGE,
		    0x1234, IUC_SHARE_MUTUAL, IUC_ACCESS_READ | IUC_ACCESS_EXEC);
	ASSERT_EQ(0, mp_info(&rcv, x, &i));
	expect_info(_metadata, &i, me, rcv.pid, 0, xs, 2 * PAGE, 0xBEEF,
		    IUC_SHARE_EXCLUSIVE, 0);

	/* not notified: receiver address once it maps the segment by id */
	ASSERT_EQ(0, mp_info(&rcv, k, &i));
	expect_info(_metadata, &i, me, rcv.pid, 0, 0,
		    3 * PAGE, 0xFFFF, IUC_SHARE_MUTUAL, SHM_ACCESS_RW);
	ks = mp_mmap_id(&rcv, k, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, NULL);
	ASSERT_NE(0, ks);
	ASSERT_EQ(0, mp_info(&rcv, k, &i));
	expect_info(_metadata, &i, me, rcv.pid, 0, ks,
		    3 * PAGE, 0xFFFF, IUC_SHARE_MUTUAL, SHM_ACCESS_RW);
	ASSERT_EQ(0, shm_info(fd, k, &i));
	expect_info(_metadata, &i, me, rcv.pid, (uintptr_t)(p + 5 * PAGE), 0,
		    3 * PAGE, 0xFFFF, IUC_SHARE_MUTUAL, SHM_ACCESS_RW);

	/* unknown, foreign */
	const uint64_t unknown[] = { 0, k + 1000, UINT64_MAX };

	for (size_t n = 0; n < 3; n++) {
		EXPECT_EQ(-EBADF, shm_info(fd, unknown[n], &i));
		EXPECT_EQ(IUC_E_MEMINFO_UNKNOWN_SEGMENT, i.error);
	}
	EXPECT_EQ(-EBADF, mp_info(&third, m, &i));
	EXPECT_EQ(IUC_E_MEMINFO_UNKNOWN_SEGMENT, i.error);
	EXPECT_EQ(-EBADF, mp_info(&third, x, &i));
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
			EXPECT_EQ(0, iuc_ioctl(fd, IUC_IOC_MEM_SHARING_INFO, &i));
			EXPECT_EQ(IUC_E_NONE, i.error);
			EXPECT_EQ(3 * PAGE, i.length);
			EXPECT_EQ(rcv.pid, (pid_t)i.receiver_pid);
		} else {
			EXPECT_EQ(-EINVAL, iuc_ioctl(fd, IUC_IOC_MEM_SHARING_INFO, &i));
			EXPECT_EQ(IUC_E_INVALID_ARG, i.error);
		}
	}
	EXPECT_EQ(0, mp_stop(&rcv));
	EXPECT_EQ(0, mp_stop(&third));
	close(fd);
}

/* ---- zero copy ---------------------------------------------------------------- */

/*
 * Mutual sharing is zero copy: writes made after sharing are seen on the
 * other side in both directions, also between two receivers of the same
 * range; the sharer's frames do not change (pagemap) and a pipe that
 * references them (vmsplice) returns what a receiver wrote.
 */
TEST(mutual_zero_copy)
{
	struct mpeer r1, r2;
	int fd = shm_open_ctx();
	char *p = shm_anon(2 * PAGE);
	uint64_t s1, s2, a1, a2, v, pfn[2];
	void *pages[2];
	char buf[PAGE];
	int wit[2];

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, p);
	/* peers first: a fork after the fill would make the pin break COW */
	ASSERT_EQ(0, mp_start_receiver(&r1));
	ASSERT_EQ(0, mp_start_receiver(&r2));
	ASSERT_EQ(0, shm_fill(p, 2 * PAGE, 60, NULL));
	for (int i = 0; i < 2; i++) {
		pages[i] = p + i * PAGE;
		pfn[i] = pfn_of(pages[i]);
		ASSERT_NE(0, pfn[i]);
	}
	ASSERT_EQ(0, witness_take(wit, pages, 2));
	s1 = share_ok(_metadata, fd, r1.pid, p, 2 * PAGE, IUC_SHARE_MUTUAL,
		      SHM_ACCESS_RW, IUC_NOTIFY, 1);
	s2 = share_ok(_metadata, fd, r2.pid, p, 2 * PAGE, IUC_SHARE_MUTUAL,
		      SHM_ACCESS_RW, IUC_NOTIFY, 2);
	EXPECT_NE(s1, s2);
	a1 = mp_recv(_metadata, &r1, s1, getpid(), 2 * PAGE, IUC_SHARE_MUTUAL,
		     SHM_ACCESS_RW, 1);
	a2 = mp_recv(_metadata, &r2, s2, getpid(), 2 * PAGE, IUC_SHARE_MUTUAL,
		     SHM_ACCESS_RW, 2);
	ASSERT_NE(0, a1);
	ASSERT_NE(0, a2);
	EXPECT_EQ(0, mp_check(&r1, a1, 2 * PAGE, 60));
	EXPECT_EQ(0, mp_check(&r2, a2, 2 * PAGE, 60));

	/* sharer -> receivers */
	*(volatile uint64_t *)(p + 64) = 0xA1;
	EXPECT_EQ(0, mp_read64(&r1, a1 + 64, &v));
	EXPECT_EQ(0xA1, v);
	EXPECT_EQ(0, mp_read64(&r2, a2 + 64, &v));
	EXPECT_EQ(0xA1, v);
	/* receiver 1 -> sharer, receiver 2 */
	EXPECT_EQ(0, mp_write64(&r1, a1 + PAGE + 128, 0xB2));
	EXPECT_EQ(0xB2, *(volatile uint64_t *)(p + PAGE + 128));
	EXPECT_EQ(0, mp_read64(&r2, a2 + PAGE + 128, &v));
	EXPECT_EQ(0xB2, v);
	/* receiver 2 -> sharer, receiver 1 */
	EXPECT_EQ(0, mp_write64(&r2, a2 + 256, 0xC3));
	EXPECT_EQ(0xC3, *(volatile uint64_t *)(p + 256));
	EXPECT_EQ(0, mp_read64(&r1, a1 + 256, &v));
	EXPECT_EQ(0xC3, v);
	/* a whole pattern written by a receiver */
	EXPECT_EQ(0, mp_fill(&r2, a2, 2 * PAGE, 61));
	EXPECT_EQ(0, shm_check(p, 2 * PAGE, 61, NULL, NULL));
	EXPECT_EQ(0, mp_check(&r1, a1, 2 * PAGE, 61));

	/* the same frames all along */
	for (int i = 0; i < 2; i++) {
		EXPECT_EQ(pfn[i], pfn_of(p + i * PAGE));
		ASSERT_EQ(0, witness_read(wit[0], buf));
		EXPECT_EQ(shm_pat(61, i), *(uint64_t *)buf);
		EXPECT_EQ(~shm_pat(61, i), *(uint64_t *)(buf + PAGE - 8));
	}
	close(wit[0]);
	close(wit[1]);
	EXPECT_EQ(0, mp_stop(&r1));
	EXPECT_EQ(0, mp_stop(&r2));
	close(fd);
}

/*
 * Exclusive sharing moves the memory: the sharer's range is unmapped when
 * the call returns (SIGSEGV, SEGV_MAPERR), the receiver maps it with the
 * contents intact and may write it.  Nothing else reaches the receiver's
 * pages: a pipe referencing the sharer's frames from before the share
 * (vmsplice) keeps returning what the sharer had written, never what the
 * receiver writes (those pages were handed over as copies).
 */
TEST(exclusive_moves_pages)
{
	const size_t len = 8 * PAGE;
	struct mpeer rcv;
	int fd = shm_open_ctx();
	char *p = shm_anon(len);
	uint64_t seg, start;
	struct shm_fault f;
	void *pages[8];
	char buf[PAGE];
	char *again;
	int wit[2];

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, p);
	/* the peer first: a fork after the fill would make the pin break COW */
	ASSERT_EQ(0, mp_start_receiver(&rcv));
	ASSERT_EQ(0, shm_fill(p, len, 70, NULL));
	for (int i = 0; i < 8; i++)
		pages[i] = p + i * PAGE;
	ASSERT_EQ(0, witness_take(wit, pages, 8));
	seg = share_ok(_metadata, fd, rcv.pid, p, len, IUC_SHARE_EXCLUSIVE, 0,
		       IUC_NOTIFY, 0x77);

	/* gone from the sharer */
	EXPECT_EQ(SIGSEGV, shm_read64(p, NULL, &f));
	EXPECT_EQ(SEGV_MAPERR, f.code);
	EXPECT_EQ((uintptr_t)p, f.addr);
	EXPECT_EQ(SIGSEGV, shm_read64(p + len - 8, NULL, &f));
	EXPECT_EQ(SEGV_MAPERR, f.code);
	EXPECT_EQ(SIGSEGV, shm_write64(p + PAGE, 1, &f));
	EXPECT_EQ(1, range_unmapped((uintptr_t)p, len));

	/* at the receiver, same frames, same contents */
	start = mp_recv(_metadata, &rcv, seg, getpid(), len, IUC_SHARE_EXCLUSIVE,
			0, 0x77);
	ASSERT_NE(0, start);
	EXPECT_EQ(0, mp_check(&rcv, start, len, 70));
	EXPECT_EQ(0, mp_fill(&rcv, start, len, 71));
	EXPECT_EQ(0, mp_check(&rcv, start, len, 71));
	for (int i = 0; i < 8; i++) {
		ASSERT_EQ(0, witness_read(wit[0], buf));
		EXPECT_EQ(shm_pat(70, i), *(uint64_t *)buf) TH_LOG("page %d", i);
		EXPECT_EQ(~shm_pat(70, i), *(uint64_t *)(buf + PAGE - 8));
	}
	close(wit[0]);
	close(wit[1]);

	/* the sharer's old range is free: new memory there is fresh */
	again = mmap(p, len, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ASSERT_EQ(p, again);
	EXPECT_TRUE(all_zero(again, len));
	EXPECT_EQ(0, mp_check(&rcv, start, len, 71));
	EXPECT_EQ(0, mp_stop(&rcv));
	close(fd);
}

/*
 * A read-only mutual share: the receiver reads, its writes raise SIGSEGV
 * (SEGV_ACCERR), and it cannot gain write or exec access with mprotect(2)
 * or a new mmap(2) (EACCES).  It still sees the sharer's writes.
 */
TEST(readonly_access)
{
	struct mpeer rcv;
	int fd = shm_open_ctx();
	char *p = shm_anon(2 * PAGE);
	struct mp_reply r;
	uint64_t seg, start, v;
	int64_t err;

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, shm_fill(p, 2 * PAGE, 80, NULL));
	ASSERT_EQ(0, mp_start_receiver(&rcv));
	seg = share_ok(_metadata, fd, rcv.pid, p, 2 * PAGE, IUC_SHARE_MUTUAL,
		       IUC_ACCESS_READ, IUC_NOTIFY, 0);
	start = mp_recv(_metadata, &rcv, seg, getpid(), 2 * PAGE,
			IUC_SHARE_MUTUAL, IUC_ACCESS_READ, 0);
	ASSERT_NE(0, start);
	EXPECT_EQ(0, mp_check(&rcv, start, 2 * PAGE, 80));

	ASSERT_EQ(0, mp_cmd(&rcv, MP_WRITE64, start + PAGE, 5, 0, 0, &r));
	EXPECT_EQ(SIGSEGV, r.signo);
	EXPECT_EQ(SEGV_ACCERR, r.si_code);
	EXPECT_EQ(start + PAGE, r.fault_addr);
	EXPECT_EQ(shm_pat(80, 1), *(volatile uint64_t *)(p + PAGE));

	EXPECT_EQ(-EACCES, mp_cmd(&rcv, MP_MPROTECT, start, 2 * PAGE,
				  PROT_READ | PROT_WRITE, 0, NULL));
	EXPECT_EQ(-EACCES, mp_cmd(&rcv, MP_MPROTECT, start, PAGE,
				  PROT_READ | PROT_EXEC, 0, NULL));
	EXPECT_EQ(0, mp_mmap_id(&rcv, seg, 2 * PAGE, PROT_READ | PROT_WRITE,
				MAP_SHARED, &err));
	EXPECT_EQ(-EACCES, err);
	EXPECT_EQ(SIGSEGV, mp_write64(&rcv, start, 5));

	/* still shared */
	*(volatile uint64_t *)(p + 8) = 0xD4;
	EXPECT_EQ(0, mp_read64(&rcv, start + 8, &v));
	EXPECT_EQ(0xD4, v);
	EXPECT_EQ(0, mp_stop(&rcv));
	close(fd);
}

#ifdef __x86_64__
/*
 * The exec access bit: code shared with IUC_ACCESS_EXEC runs in the
 * receiver (and a change by the sharer is what runs next); without it a
 * call raises SIGSEGV.
 */
TEST(exec_access)
{
	/* mov eax, imm32; ret */
	static const unsigned char code[] = { 0xB8, 42, 0, 0, 0, 0xC3 };
	struct mpeer rx, r;
	int fd = shm_open_ctx();
	char *p = shm_anon(PAGE);
	struct mp_reply rep;
	uint64_t sx, sr, ax, ar;

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, p);
	memcpy(p, code, sizeof(code));
	ASSERT_EQ(0, mp_start_receiver(&rx));
	ASSERT_EQ(0, mp_start_receiver(&r));
	sx = share_ok(_metadata, fd, rx.pid, p, PAGE, IUC_SHARE_MUTUAL,
		      IUC_ACCESS_READ | IUC_ACCESS_EXEC, IUC_NOTIFY, 0);
	sr = share_ok(_metadata, fd, r.pid, p, PAGE, IUC_SHARE_MUTUAL,
		      IUC_ACCESS_READ, IUC_NOTIFY, 0);
	ax = mp_recv(_metadata, &rx, sx, getpid(), PAGE, IUC_SHARE_MUTUAL,
		     IUC_ACCESS_READ | IUC_ACCESS_EXEC, 0);
	ar = mp_recv(_metadata, &r, sr, getpid(), PAGE, IUC_SHARE_MUTUAL,
		     IUC_ACCESS_READ, 0);
	ASSERT_NE(0, ax);
	ASSERT_NE(0, ar);

	ASSERT_EQ(0, mp_cmd(&rx, MP_CALL, ax, 0, 0, 0, &rep));
	EXPECT_EQ(0, rep.signo);
	EXPECT_EQ(42, rep.v[0]);
	p[1] = 43;
	ASSERT_EQ(0, mp_cmd(&rx, MP_CALL, ax, 0, 0, 0, &rep));
	EXPECT_EQ(0, rep.signo);
	EXPECT_EQ(43, rep.v[0]);

	ASSERT_EQ(0, mp_cmd(&r, MP_CALL, ar, 0, 0, 0, &rep));
	EXPECT_EQ(SIGSEGV, rep.signo);
	EXPECT_EQ(SEGV_ACCERR, rep.si_code);
	EXPECT_EQ(0, mp_stop(&rx));
	EXPECT_EQ(0, mp_stop(&r));
	close(fd);
}
#endif

/* ---- revocation ------------------------------------------------------------------- */

/*
 * UNSHARE_MEM: the receiver's next access raises SIGBUS (already when the
 * call returns), it gets UNSHARED_MEM "by call" with the segment, and the
 * segment id is unknown to both afterwards.  The sharer keeps its memory.
 */
TEST(unshare_revokes)
{
	struct mpeer rcv;
	int fd = shm_open_ctx();
	char *p = shm_anon(3 * PAGE);
	struct iuc_mem_sharing_info i;
	struct iuc_signal s;
	struct mp_reply r;
	uint64_t seg, start;
	uint32_t err;
	int64_t e;

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, shm_fill(p, 3 * PAGE, 90, NULL));
	ASSERT_EQ(0, mp_start_receiver(&rcv));
	seg = share_ok(_metadata, fd, rcv.pid, p, 3 * PAGE, IUC_SHARE_MUTUAL,
		       SHM_ACCESS_RW, IUC_NOTIFY, 0);
	start = mp_recv(_metadata, &rcv, seg, getpid(), 3 * PAGE,
			IUC_SHARE_MUTUAL, SHM_ACCESS_RW, 0);
	ASSERT_NE(0, start);
	EXPECT_EQ(0, mp_check(&rcv, start, 3 * PAGE, 90));

	ASSERT_EQ(0, shm_unshare(fd, seg, &err));
	EXPECT_EQ(IUC_E_NONE, err);

	/* before the receiver even read the record */
	ASSERT_EQ(0, mp_cmd(&rcv, MP_READ64, start + PAGE, 0, 0, 0, &r));
	EXPECT_EQ(SIGBUS, r.signo);
	EXPECT_EQ(start + PAGE, r.fault_addr);
	EXPECT_EQ(SIGBUS, mp_write64(&rcv, start, 1));
	EXPECT_EQ(SIGBUS, mp_read64(&rcv, start + 3 * PAGE - 8, NULL));

	ASSERT_EQ(0, mp_read_sig(&rcv, &s));
	expect_unshared(_metadata, &s, seg, IUC_UNSHARED_BY_CALL);
	mp_no_record(_metadata, &rcv);

	/* the id is gone for both */
	EXPECT_EQ(-EBADF, shm_info(fd, seg, &i));
	EXPECT_EQ(IUC_E_MEMINFO_UNKNOWN_SEGMENT, i.error);
	EXPECT_EQ(-EBADF, mp_info(&rcv, seg, &i));
	EXPECT_EQ(IUC_E_MEMINFO_UNKNOWN_SEGMENT, i.error);
	EXPECT_EQ(-EBADF, shm_unshare(fd, seg, &err));
	EXPECT_EQ(IUC_E_UNSHARE_UNKNOWN_SEGMENT, err);
	EXPECT_EQ(-EBADF, mp_seg_call(&rcv, MP_UNMAP, seg, &err));
	EXPECT_EQ(IUC_E_UNMAP_UNKNOWN_SEGMENT, err);
	EXPECT_EQ(0, mp_mmap_id(&rcv, seg, 3 * PAGE, PROT_READ, MAP_SHARED, &e));
	EXPECT_EQ(-ENXIO, e);

	/* the sharer keeps its memory, and it is its own again */
	EXPECT_EQ(0, shm_check(p, 3 * PAGE, 90, NULL, NULL));
	EXPECT_EQ(0, shm_fill(p, 3 * PAGE, 91, NULL));
	EXPECT_EQ(SIGBUS, mp_read64(&rcv, start, NULL));

	/* the receiver's dead mapping can be unmapped */
	EXPECT_EQ(0, mp_cmd(&rcv, MP_MUNMAP, start, 3 * PAGE, 0, 0, NULL));
	EXPECT_EQ(SIGSEGV, mp_read64(&rcv, start, NULL));
	EXPECT_EQ(0, mp_stop(&rcv));
	close(fd);
}

/*
 * Revoked before the receiver read RECV_SHARED_MEM: the record comes with
 * start 0 (nothing to map any more), then UNSHARED_MEM.
 */
TEST(unshare_before_record_read)
{
	struct mpeer rcv;
	int fd = shm_open_ctx();
	char *p = shm_anon(PAGE);
	struct iuc_signal s;
	uint64_t seg;

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, mp_start_receiver(&rcv));
	seg = share_ok(_metadata, fd, rcv.pid, p, PAGE, IUC_SHARE_MUTUAL,
		       SHM_ACCESS_RW, IUC_NOTIFY, 0x99);
	ASSERT_EQ(0, shm_unshare(fd, seg, NULL));
	EXPECT_EQ(0, mp_recv(_metadata, &rcv, seg, getpid(), PAGE,
			     IUC_SHARE_MUTUAL, SHM_ACCESS_RW, 0x99));
	ASSERT_EQ(0, mp_read_sig(&rcv, &s));
	expect_unshared(_metadata, &s, seg, IUC_UNSHARED_BY_CALL);
	EXPECT_EQ(0, mp_stop(&rcv));
	close(fd);
}

/*
 * The sharer ends (exit, or SIGKILL): its mutual segments are revoked, the
 * receiver gets UNSHARED_MEM "sharer terminated" and SIGBUS on access.
 */
static void sharer_end_revokes(struct __test_metadata *_metadata, bool kill9)
{
	struct mpeer s;
	int fd = shm_open_ctx();
	struct iuc_mem_sharing_info i;
	struct iuc_signal sig;
	uint64_t q, seg, start, v;
	struct shm_fault f;
	int st;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mp_start(&s));
	ASSERT_EQ(0, mp_op1(&s, MP_OPEN, 0));
	q = mp_anon(&s, 2 * PAGE, PROT_READ | PROT_WRITE);
	ASSERT_NE(0, q);
	ASSERT_EQ(0, mp_fill(&s, q, 2 * PAGE, 110));
	seg = mp_share_ok(_metadata, &s, getpid(), q, 2 * PAGE, IUC_SHARE_MUTUAL,
			  SHM_ACCESS_RW, IUC_NOTIFY, 0x55);
	start = self_recv(_metadata, fd, seg, s.pid, 2 * PAGE, IUC_SHARE_MUTUAL,
			  SHM_ACCESS_RW, 0x55);
	ASSERT_NE(0, start);
	EXPECT_EQ(0, shm_check((void *)(uintptr_t)start, 2 * PAGE, 110, NULL, NULL));
	EXPECT_EQ(0, mp_write64(&s, q + 8, 0xE5));
	EXPECT_EQ(0, shm_read64((void *)(uintptr_t)(start + 8), &v, NULL));
	EXPECT_EQ(0xE5, v);

	st = kill9 ? mp_kill(&s) : mp_stop(&s);
	EXPECT_EQ(kill9 ? SIGKILL : 0, st);

	/* the context ends after the exit: wait for the record */
	ASSERT_EQ(0, shm_next_sig(fd, &sig));
	expect_unshared(_metadata, &sig, seg, IUC_UNSHARED_SHARER_DIED);
	EXPECT_EQ(SIGBUS, shm_read64((void *)(uintptr_t)start, NULL, &f));
	EXPECT_EQ(start, f.addr);
	EXPECT_EQ(SIGBUS, shm_write64((void *)(uintptr_t)(start + PAGE), 1, NULL));
	EXPECT_EQ(-EBADF, shm_info(fd, seg, &i));
	EXPECT_EQ(IUC_E_MEMINFO_UNKNOWN_SEGMENT, i.error);
	close(fd);
}

TEST(sharer_exit_revokes)
{
	sharer_end_revokes(_metadata, false);
}

TEST(sharer_killed_revokes)
{
	sharer_end_revokes(_metadata, true);
}

/* ---- lifetimes ------------------------------------------------------------------------ */

/*
 * A child forked by the sharer after a mutual share keeps its own copy:
 * its writes do not reach the receiver (nor the sharer), the receiver's
 * writes do not reach it.  The sharer and the receiver still share.
 */
TEST(sharer_fork_child_keeps_copy)
{
	struct mpeer rcv;
	int fd = shm_open_ctx();
	char *p = shm_anon(PAGE);
	volatile uint64_t *w = (volatile uint64_t *)p;
	int to_child[2], from_child[2];
	uint64_t seg, start, v;
	pid_t child;
	char c;

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, p);
	w[0] = 1;
	ASSERT_EQ(0, mp_start_receiver(&rcv));
	seg = share_ok(_metadata, fd, rcv.pid, p, PAGE, IUC_SHARE_MUTUAL,
		       SHM_ACCESS_RW, IUC_NOTIFY, 0);
	start = mp_recv(_metadata, &rcv, seg, getpid(), PAGE, IUC_SHARE_MUTUAL,
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
			uint64_t out[2];

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

	uint64_t out[2];

	/* the child's write stays in the child */
	c = 'w';
	ASSERT_EQ(0, write_full(to_child[1], &c, 1));
	ASSERT_EQ(0, read_full(from_child[0], out, sizeof(out), TIMEOUT_MS));
	EXPECT_EQ(3, out[0]);
	EXPECT_EQ(0, mp_read64(&rcv, start, &v));
	EXPECT_EQ(2, v);
	EXPECT_EQ(2, w[0]);

	/* the receiver's write reaches the sharer, not the child */
	EXPECT_EQ(0, mp_write64(&rcv, start + 8, 4));
	EXPECT_EQ(4, w[1]);
	c = 'r';
	ASSERT_EQ(0, write_full(to_child[1], &c, 1));
	ASSERT_EQ(0, read_full(from_child[0], out, sizeof(out), TIMEOUT_MS));
	EXPECT_EQ(3, out[0]);
	EXPECT_EQ(0, out[1]);

	/* the sharer's write reaches the receiver, not the child */
	w[0] = 5;
	EXPECT_EQ(0, mp_read64(&rcv, start, &v));
	EXPECT_EQ(5, v);
	ASSERT_EQ(0, write_full(to_child[1], &c, 1));
	ASSERT_EQ(0, read_full(from_child[0], out, sizeof(out), TIMEOUT_MS));
	EXPECT_EQ(3, out[0]);

	close(to_child[1]);
	EXPECT_EQ(0, wait_child(child, true));
	close(from_child[0]);
	EXPECT_EQ(0, mp_stop(&rcv));
	close(fd);
}

/*
 * An exclusive segment belongs to the receiver: it outlives the sharer's
 * exit (proven ended by the UNSHARED_MEM of a mutual segment it also
 * shared) with its contents, also after the freed memory of the system was
 * reused, until MEM_UNMAP.
 */
TEST(exclusive_outlives_sharer)
{
	const size_t len = 16 * PAGE, churn = 64 << 20;
	struct mpeer s;
	int fd = shm_open_ctx();
	struct iuc_mem_sharing_info i;
	struct iuc_signal sig;
	uint64_t q, x, m, xs, ms;
	uint32_t err;
	char *c;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mp_start(&s));
	ASSERT_EQ(0, mp_op1(&s, MP_OPEN, 0));
	q = mp_anon(&s, len + PAGE, PROT_READ | PROT_WRITE);
	ASSERT_NE(0, q);
	ASSERT_EQ(0, mp_fill(&s, q, len + PAGE, 120));
	x = mp_share_ok(_metadata, &s, getpid(), q, len, IUC_SHARE_EXCLUSIVE, 0,
			IUC_NOTIFY, 1);
	EXPECT_EQ(SIGSEGV, mp_read64(&s, q, NULL));
	m = mp_share_ok(_metadata, &s, getpid(), q + len, PAGE, IUC_SHARE_MUTUAL,
			IUC_ACCESS_READ, IUC_NOTIFY, 2);
	xs = self_recv(_metadata, fd, x, s.pid, len, IUC_SHARE_EXCLUSIVE, 0, 1);
	ms = self_recv(_metadata, fd, m, s.pid, PAGE, IUC_SHARE_MUTUAL,
		       IUC_ACCESS_READ, 2);
	ASSERT_NE(0, xs);
	ASSERT_NE(0, ms);

	EXPECT_EQ(0, mp_stop(&s));
	ASSERT_EQ(0, shm_next_sig(fd, &sig));
	expect_unshared(_metadata, &sig, m, IUC_UNSHARED_SHARER_DIED);

	/* reuse free memory, then look */
	c = shm_anon(churn);
	ASSERT_NE(NULL, c);
	EXPECT_EQ(0, shm_fill(c, churn, 121, NULL));
	EXPECT_EQ(0, shm_check((void *)(uintptr_t)xs, len, 120, NULL, NULL));
	munmap(c, churn);
	EXPECT_EQ(0, shm_fill((void *)(uintptr_t)xs, len, 122, NULL));
	EXPECT_EQ(0, shm_check((void *)(uintptr_t)xs, len, 122, NULL, NULL));
	ASSERT_EQ(0, shm_info(fd, x, &i));
	EXPECT_EQ(xs, i.receiver_addr);
	EXPECT_EQ(len, i.length);
	EXPECT_EQ(IUC_SHARE_EXCLUSIVE, i.mode);

	EXPECT_EQ(0, shm_unmap(fd, x, &err));
	EXPECT_EQ(SIGSEGV, shm_read64((void *)(uintptr_t)xs, NULL, NULL));
	close(fd);
}

/*
 * IUC_NOTIFY_SKIP: no record; the receiver maps the segment by id with
 * mmap(2) of its /dev/iuc fd at offset id << 12, as often as it likes.
 * Refused: wrong length or MAP_PRIVATE (EINVAL), unknown id or a process
 * that is not involved (ENXIO), the sharer or more access than given
 * (EACCES), a forked child using the receiver's fd (EBADFD), a revoked
 * segment (ENXIO).
 */
TEST(notify_skip_mmap_by_id)
{
	const size_t len = 4 * PAGE;
	struct mpeer s, third;
	int fd = shm_open_ctx();
	uint64_t q, m, ro, x;
	char *a, *b, *c;
	int64_t e;
	pid_t child;
	uint64_t v;
	struct iuc_mem_sharing_info i;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mp_start(&s));
	ASSERT_EQ(0, mp_op1(&s, MP_OPEN, 0));
	ASSERT_EQ(0, mp_start_receiver(&third));
	q = mp_anon(&s, 3 * len, PROT_READ | PROT_WRITE);
	ASSERT_NE(0, q);
	ASSERT_EQ(0, mp_fill(&s, q, len, 130));
	ASSERT_EQ(0, mp_fill(&s, q + len, len, 131));
	ASSERT_EQ(0, mp_fill(&s, q + 2 * len, len, 132));
	m = mp_share_ok(_metadata, &s, getpid(), q, len, IUC_SHARE_MUTUAL,
			SHM_ACCESS_RW, IUC_NOTIFY_SKIP, 0);
	ro = mp_share_ok(_metadata, &s, getpid(), q + len, len, IUC_SHARE_MUTUAL,
			 IUC_ACCESS_READ, IUC_NOTIFY_SKIP, 0);
	x = mp_share_ok(_metadata, &s, getpid(), q + 2 * len, len,
			IUC_SHARE_EXCLUSIVE, 0, IUC_NOTIFY_SKIP, 0);
	EXPECT_EQ(0, iuc_poll(fd, POLLIN, 0));
	ASSERT_EQ(0, shm_info(fd, m, &i));
	EXPECT_EQ(0, i.receiver_addr);

	/* refused */
	errno = 0;
	EXPECT_EQ(MAP_FAILED, shm_mmap_id(fd, m, len - PAGE, PROT_READ, MAP_SHARED));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, shm_mmap_id(fd, m, len + PAGE, PROT_READ, MAP_SHARED));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, shm_mmap_id(fd, m, len, PROT_READ, MAP_PRIVATE));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, shm_mmap_id(fd, x + 1000, len, PROT_READ, MAP_SHARED));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(MAP_FAILED, shm_mmap_id(fd, 0, len, PROT_READ, MAP_SHARED));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(MAP_FAILED, shm_mmap_id(fd, ro, len, PROT_READ | PROT_WRITE,
					  MAP_SHARED));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(MAP_FAILED, shm_mmap_id(fd, ro, len, PROT_READ | PROT_EXEC,
					  MAP_SHARED));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(0, mp_mmap_id(&s, m, len, PROT_READ, MAP_SHARED, &e));
	EXPECT_EQ(-EACCES, e);
	EXPECT_EQ(0, mp_mmap_id(&s, x, len, PROT_READ, MAP_SHARED, &e));
	EXPECT_EQ(-EACCES, e);
	EXPECT_EQ(0, mp_mmap_id(&third, m, len, PROT_READ, MAP_SHARED, &e));
	EXPECT_EQ(-ENXIO, e);
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		void *r = shm_mmap_id(fd, m, len, PROT_READ, MAP_SHARED);

		_exit(r == MAP_FAILED ? errno : 0);
	}
	EXPECT_EQ(W_EXITCODE(EBADFD, 0), wait_child(child, true));

	/* accepted, twice; both mappings are the sharer's memory */
	a = shm_mmap_id(fd, m, len, PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, a);
	b = shm_mmap_id(fd, m, len, PROT_READ, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, b);
	EXPECT_EQ(0, shm_check(a, len, 130, NULL, NULL));
	EXPECT_EQ(0, shm_info(fd, m, &i));
	EXPECT_NE(0, i.receiver_addr);
	EXPECT_EQ(0, mp_write64(&s, q + 16, 0xF6));
	EXPECT_EQ(0xF6, *(volatile uint64_t *)(a + 16));
	EXPECT_EQ(0xF6, *(volatile uint64_t *)(b + 16));
	*(volatile uint64_t *)(a + PAGE) = 0xF7;
	EXPECT_EQ(0, mp_read64(&s, q + PAGE, &v));
	EXPECT_EQ(0xF7, v);
	EXPECT_EQ(pfn_of(a + PAGE), pfn_of(b + PAGE));

	c = shm_mmap_id(fd, ro, len, PROT_READ, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, c);
	EXPECT_EQ(0, shm_check(c, len, 131, NULL, NULL));
	EXPECT_EQ(SIGSEGV, shm_write64(c, 1, NULL));

	/* exclusive by id */
	c = shm_mmap_id(fd, x, len, PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, c);
	EXPECT_EQ(0, shm_check(c, len, 132, NULL, NULL));
	EXPECT_EQ(SIGSEGV, mp_read64(&s, q + 2 * len, NULL));

	/* revoked: both mappings fault, no new mapping */
	EXPECT_EQ(0, mp_seg_call(&s, MP_UNSHARE, m, NULL));
	EXPECT_EQ(SIGBUS, shm_read64(a, NULL, NULL));
	EXPECT_EQ(SIGBUS, shm_read64(b + PAGE, NULL, NULL));
	errno = 0;
	EXPECT_EQ(MAP_FAILED, shm_mmap_id(fd, m, len, PROT_READ, MAP_SHARED));
	EXPECT_EQ(ENXIO, errno);

	EXPECT_EQ(0, mp_stop(&s));
	EXPECT_EQ(0, mp_stop(&third));
	close(fd);
}

/*
 * MEM_UNMAP unmaps every mapping of the segment in the receiver (the
 * record's and one made by id: SIGSEGV after) and forgets it.  For a
 * mutual segment the sharer then cannot unshare it (0x10), keeps its
 * memory, and the receiver gets no UNSHARED_MEM.
 */
TEST(mem_unmap_releases)
{
	const size_t len = 2 * PAGE;
	struct mpeer rcv;
	int fd = shm_open_ctx();
	char *p = shm_anon(2 * len);
	struct iuc_mem_sharing_info i;
	struct mp_reply r;
	uint64_t x, m, xs, xs2, ms;
	uint32_t err;
	int64_t e;

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, shm_fill(p, len, 140, NULL));
	ASSERT_EQ(0, shm_fill(p + len, len, 141, NULL));
	ASSERT_EQ(0, mp_start_receiver(&rcv));
	x = share_ok(_metadata, fd, rcv.pid, p, len, IUC_SHARE_EXCLUSIVE, 0,
		     IUC_NOTIFY, 0);
	m = share_ok(_metadata, fd, rcv.pid, p + len, len, IUC_SHARE_MUTUAL,
		     SHM_ACCESS_RW, IUC_NOTIFY, 0);
	xs = mp_recv(_metadata, &rcv, x, getpid(), len, IUC_SHARE_EXCLUSIVE, 0, 0);
	ms = mp_recv(_metadata, &rcv, m, getpid(), len, IUC_SHARE_MUTUAL,
		     SHM_ACCESS_RW, 0);
	ASSERT_NE(0, xs);
	ASSERT_NE(0, ms);
	xs2 = mp_mmap_id(&rcv, x, len, PROT_READ, MAP_SHARED, NULL);
	ASSERT_NE(0, xs2);
	EXPECT_EQ(0, mp_check(&rcv, xs2, len, 140));

	EXPECT_EQ(0, mp_seg_call(&rcv, MP_UNMAP, x, &err));
	EXPECT_EQ(IUC_E_NONE, err);
	ASSERT_EQ(0, mp_cmd(&rcv, MP_READ64, xs, 0, 0, 0, &r));
	EXPECT_EQ(SIGSEGV, r.signo);
	EXPECT_EQ(SEGV_MAPERR, r.si_code);
	ASSERT_EQ(0, mp_cmd(&rcv, MP_READ64, xs2 + PAGE, 0, 0, 0, &r));
	EXPECT_EQ(SIGSEGV, r.signo);
	EXPECT_EQ(SEGV_MAPERR, r.si_code);
	EXPECT_EQ(-EBADF, mp_info(&rcv, x, &i));
	EXPECT_EQ(-EBADF, shm_info(fd, x, &i));
	EXPECT_EQ(0, mp_mmap_id(&rcv, x, len, PROT_READ, MAP_SHARED, &e));
	EXPECT_EQ(-ENXIO, e);

	EXPECT_EQ(0, mp_seg_call(&rcv, MP_UNMAP, m, &err));
	EXPECT_EQ(SIGSEGV, mp_read64(&rcv, ms, NULL));
	EXPECT_EQ(-EBADF, shm_unshare(fd, m, &err));
	EXPECT_EQ(IUC_E_UNSHARE_UNKNOWN_SEGMENT, err);
	EXPECT_EQ(0, shm_check(p + len, len, 141, NULL, NULL));
	EXPECT_EQ(0, shm_write64(p + len, 9, NULL));
	mp_no_record(_metadata, &rcv);
	EXPECT_EQ(0, mp_stop(&rcv));
	close(fd);
}

/*
 * When the receiver ends, its segments are forgotten: the sharer's calls
 * on them fail with 0x10 and it keeps its memory.
 */
TEST(receiver_exit_forgets)
{
	struct mpeer rcv;
	int fd = shm_open_ctx();
	char *p = shm_anon(2 * PAGE);
	struct iuc_mem_sharing_info i;
	uint64_t m, x;
	uint32_t err;
	int ret = 0;

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, shm_fill(p, 2 * PAGE, 150, NULL));
	ASSERT_EQ(0, mp_start_receiver(&rcv));
	m = share_ok(_metadata, fd, rcv.pid, p, PAGE, IUC_SHARE_MUTUAL,
		     SHM_ACCESS_RW, IUC_NOTIFY, 0);
	x = share_ok(_metadata, fd, rcv.pid, p + PAGE, PAGE, IUC_SHARE_EXCLUSIVE,
		     0, IUC_NOTIFY, 0);
	EXPECT_NE(0, mp_recv(_metadata, &rcv, m, getpid(), PAGE,
			     IUC_SHARE_MUTUAL, SHM_ACCESS_RW, 0));
	EXPECT_EQ(0, mp_stop(&rcv));

	/* the context ends shortly after the exit */
	for (int n = 0; n < TIMEOUT_MS / 10; n++) {
		ret = shm_info(fd, m, &i);
		if (ret)
			break;
		usleep(10000);
	}
	EXPECT_EQ(-EBADF, ret);
	EXPECT_EQ(-EBADF, shm_info(fd, x, &i));
	EXPECT_EQ(-EBADF, shm_unshare(fd, m, &err));
	EXPECT_EQ(IUC_E_UNSHARE_UNKNOWN_SEGMENT, err);
	EXPECT_EQ(0, shm_check(p, PAGE, 150, NULL, NULL));
	EXPECT_EQ(0, shm_write64(p, 1, NULL));
	EXPECT_EQ(SIGSEGV, shm_read64(p + PAGE, NULL, NULL));
	close(fd);
}

/*
 * When the mapping cannot be made as the record is read (here: the
 * receiver lowered its RLIMIT_AS after the share), the record says start
 * 0 and the segment can be mapped by id later.
 */
TEST(record_map_fails_then_mmap)
{
	const size_t len = 64 * PAGE;
	struct mpeer rcv;
	int fd = shm_open_ctx();
	char *p = shm_anon(len);
	struct iuc_mem_sharing_info i;
	uint64_t seg, vs, a;

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, shm_fill(p, len, 160, NULL));
	ASSERT_EQ(0, mp_start_receiver(&rcv));
	seg = share_ok(_metadata, fd, rcv.pid, p, len, IUC_SHARE_EXCLUSIVE, 0,
		       IUC_NOTIFY, 0x160);
	vs = mp_v0(&rcv, MP_VMSIZE, 0);
	ASSERT_NE(0, vs);
	ASSERT_EQ(0, mp_cmd(&rcv, MP_SETRLIMIT, RLIMIT_AS, vs + PAGE,
			    RLIM_INFINITY, 0, NULL));
	EXPECT_EQ(0, mp_recv(_metadata, &rcv, seg, getpid(), len,
			     IUC_SHARE_EXCLUSIVE, 0, 0x160));
	ASSERT_EQ(0, mp_info(&rcv, seg, &i));
	EXPECT_EQ(0, i.receiver_addr);
	ASSERT_EQ(0, mp_cmd(&rcv, MP_SETRLIMIT, RLIMIT_AS, RLIM_INFINITY,
			    RLIM_INFINITY, 0, NULL));
	a = mp_mmap_id(&rcv, seg, len, PROT_READ | PROT_WRITE, MAP_SHARED, NULL);
	ASSERT_NE(0, a);
	EXPECT_EQ(0, mp_check(&rcv, a, len, 160));
	EXPECT_EQ(0, mp_stop(&rcv));
	close(fd);
}

/* ---- address-space changes -------------------------------------------------------- */

/*
 * A receiver that execs keeps its context (its fd is not close-on-exec)
 * and may map a segment again in its new address space.  UNSHARE_MEM must
 * revoke that mapping too: afterwards SIGBUS, never the sharer's page.
 * (A kernel that refuses the second mapping passes as well.)
 */
TEST(revoke_after_exec)
{
	struct mpeer rcv;
	int fd = shm_open_ctx();
	char *p = shm_anon(PAGE);
	volatile uint64_t *w = (volatile uint64_t *)p;
	struct mp_reply r;
	uint64_t seg, a1, a2, v;
	int64_t e;

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, p);
	w[0] = 0x1111;
	ASSERT_EQ(0, mp_start(&rcv));
	ASSERT_EQ(0, mp_op1(&rcv, MP_OPEN, 1));
	seg = share_ok(_metadata, fd, rcv.pid, p, PAGE, IUC_SHARE_MUTUAL,
		       SHM_ACCESS_RW, IUC_NOTIFY_SKIP, 0);
	a1 = mp_mmap_id(&rcv, seg, PAGE, PROT_READ, MAP_SHARED, NULL);
	ASSERT_NE(0, a1);
	EXPECT_EQ(0, mp_read64(&rcv, a1, &v));
	EXPECT_EQ(0x1111, v);

	ASSERT_EQ(0, mp_cmd(&rcv, MP_EXEC, 0, 0, 0, 0, &r));
	EXPECT_EQ((uint64_t)rcv.pid, r.v[0]);
	a2 = mp_mmap_id(&rcv, seg, PAGE, PROT_READ, MAP_SHARED, &e);
	if (!a2) {
		TH_LOG("second address space refused: %s", strerror((int)-e));
	} else {
		EXPECT_EQ(0, mp_read64(&rcv, a2, &v));
		EXPECT_EQ(0x1111, v);
		ASSERT_EQ(0, shm_unshare(fd, seg, NULL));
		w[0] = 0x2222;
		ASSERT_EQ(0, mp_cmd(&rcv, MP_READ64, a2, 0, 0, 0, &r));
		EXPECT_EQ(SIGBUS, r.signo)
			TH_LOG("after UNSHARE_MEM the receiver still reads the (unpinned) page: 0x%llx",
			       (unsigned long long)r.v[0]);
	}
	/* the receiver goes first: the page must outlive any mapping of it */
	EXPECT_EQ(SIGKILL, mp_kill(&rcv));
	close(fd);
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
/* The last word of a fresh read-only anonymous page (the zero page). */
static void *fresh_zero_word(void)
{
	char *z = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return z == MAP_FAILED ? NULL : z + PAGE - 8;
}

TEST(readonly_range_never_zero_page)
{
	struct mpeer rcv;
	int fd = shm_open_ctx();
	uint64_t zpfn = zero_pfn(), v;
	bool mutual_ok = true;

	ASSERT_LE(0, fd);
	ASSERT_NE(0, zpfn);
	ASSERT_EQ(0, mp_start_receiver(&rcv));

	for (int m = 0; m < 2; m++) {
		uint8_t mode = m ? IUC_SHARE_EXCLUSIVE : IUC_SHARE_MUTUAL;
		uint8_t acc = m ? 0 : SHM_ACCESS_RW;
		char *p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);
		struct iuc_share_mem a = shm_args(rcv.pid, p, PAGE, mode, acc,
						  IUC_NOTIFY);
		struct mp_reply r;
		uint64_t start;

		ASSERT_NE(MAP_FAILED, p);
		EXPECT_EQ(0, shm_read64(p, &v, NULL));
		EXPECT_EQ(0, v);
		ASSERT_EQ(zpfn, pfn_of(p));
		if (shm_share(fd, &a)) {
			TH_LOG("mode %d: refused, error 0x%x", mode, a.error);
			EXPECT_NE(IUC_E_NONE, a.error);
			mp_no_record(_metadata, &rcv);
			continue;
		}
		start = mp_recv(_metadata, &rcv, a.segment, getpid(), PAGE, mode,
				acc, 0);
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
		ASSERT_EQ(0, mp_cmd(&rcv, MP_ZERO_ALIAS, start, 0, 0, 0, &r));
		EXPECT_EQ(0, r.signo);
		EXPECT_EQ(0, r.v[0])
			TH_LOG("exclusive segment maps the zero page read-write");
	}
	/* the zero page is still all zeros */
	v = 1;
	EXPECT_EQ(0, shm_read64(fresh_zero_word(), &v, NULL));
	EXPECT_EQ(0, v);
	EXPECT_EQ(0, mp_stop(&rcv));
	close(fd);
}

/*
 * Exclusive sharing promises the receiver that nobody else can change the
 * pages.  A range the sharer already shared mutually (here with an
 * accomplice that mapped it read-write) must therefore not be shared
 * exclusively while that mutual segment holds its pages: either the call
 * is refused, or the receiver's pages are out of the accomplice's reach.
 */
TEST(exclusive_after_mutual_share)
{
	struct mpeer acc, rcv;
	int fd = shm_open_ctx();
	char *p = shm_anon(PAGE);
	struct iuc_share_mem a;
	uint64_t m, as, rs, v;

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, shm_fill(p, PAGE, 170, NULL));
	ASSERT_EQ(0, mp_start_receiver(&acc));
	ASSERT_EQ(0, mp_start_receiver(&rcv));
	m = share_ok(_metadata, fd, acc.pid, p, PAGE, IUC_SHARE_MUTUAL,
		     SHM_ACCESS_RW, IUC_NOTIFY, 0);
	as = mp_recv(_metadata, &acc, m, getpid(), PAGE, IUC_SHARE_MUTUAL,
		     SHM_ACCESS_RW, 0);
	ASSERT_NE(0, as);

	a = shm_args(rcv.pid, p, PAGE, IUC_SHARE_EXCLUSIVE, 0, IUC_NOTIFY);
	if (shm_share(fd, &a)) {
		TH_LOG("refused: error 0x%x", a.error);
		EXPECT_NE(IUC_E_NONE, a.error);
		EXPECT_EQ(0, shm_check(p, PAGE, 170, NULL, NULL));
	} else {
		rs = mp_recv(_metadata, &rcv, a.segment, getpid(), PAGE,
			     IUC_SHARE_EXCLUSIVE, 0, 0);
		ASSERT_NE(0, rs);
		EXPECT_EQ(0, mp_check(&rcv, rs, PAGE, 170));
		/* the accomplice writes "its" page */
		EXPECT_EQ(0, mp_write64(&acc, as + 8, 0xBAD));
		EXPECT_EQ(0, mp_read64(&rcv, rs + 8, &v));
		EXPECT_NE(0xBAD, v)
			TH_LOG("another process changed the exclusive receiver's page");
		EXPECT_EQ(0, mp_write64(&rcv, rs + 16, 0x600D));
		EXPECT_EQ(0, mp_read64(&acc, as + 16, &v));
		EXPECT_NE(0x600D, v)
			TH_LOG("another process reads the exclusive receiver's page");
	}
	EXPECT_EQ(0, mp_stop(&acc));
	EXPECT_EQ(0, mp_stop(&rcv));
	close(fd);
}

/* Last: nothing stays pinned. */
IUC_SHM_TEST_PINS_BALANCED_LAST()

TEST_HARNESS_MAIN
