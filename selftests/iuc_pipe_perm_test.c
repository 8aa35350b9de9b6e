// SPDX-License-Identifier: GPL-2.0
/*
 * IUC selftests: who may open a pipe to whom, or send one to whom.
 *
 * Every refusal of OPEN_PIPE and SEND_PIPE that depends on the target:
 * no such process (a process without IUC context counts as none), no
 * RECV_PIPE handler, another application = another IPC namespace, another
 * user by the uid rules of kill(2) (OPEN_PIPE: 0x20, 0x23, 0x21, 0x22;
 * SEND_PIPE: 0x21, 0x10, 0x22, 0x23), and the per-process limits
 * (max_pipes_per_process 0x3E, max_queued_signals 0x3F).  Each refusal is
 * checked with both pipe types, notified and not, where the rule does not
 * depend on them, and it must leave nothing behind: no identifier, no
 * record, the end of a refused SEND_PIPE still with its sender.  The
 * controls show the same calls succeed where the rules allow them.
 *
 * What OPEN_PIPE creates, and its argument errors, are
 * iuc_pipe_open_test.c.
 */
#include "kselftest_harness.h"
#include "iuc_test.h"

/* Pid of a process that existed and is reaped now. */
static pid_t reaped_pid(void)
{
	struct peer p;
	pid_t pid;

	if (peer_start(&p, NULL))
		return -1;
	pid = p.pid;
	peer_stop(&p);
	return pid;
}

/*
 * OPEN_PIPE by @from to @to, of both types, notified and not: each call
 * fails with @err and @code, and leaves no identifier to @from.
 */
static void expect_open_refused(struct __test_metadata *_metadata,
				struct side from, uint64_t to, int err,
				uint32_t code)
{
	for (int i = 0; i < 4; i++) {
		struct iuc_open_pipe op = iuc_pipe_args(0, 0x77);

		op.target_pid = to;
		op.type = (uint8_t)(i & 1);
		op.notify = (uint8_t)(i >> 1);
		EXPECT_EQ(err, side_open_pipe(from, &op))
			TH_LOG("to %llu, type %u, notify %u",
			       (unsigned long long)to, op.type, op.notify);
		EXPECT_EQ(code, op.error);
		if (op.id) {
			EXPECT_EQ(-EBADF, side_status(from, op.id));
		}
	}
}

/* SEND_PIPE of @id by @from to @to with @notify fails with @err and @code. */
static void expect_send_refused(struct __test_metadata *_metadata,
				struct side from, uint64_t id, uint64_t to,
				uint8_t notify, int err, uint32_t code)
{
	struct iuc_send_pipe sp;

	EXPECT_EQ(err, side_send_pipe(from, id, to, notify, &sp))
		TH_LOG("to %llu, notify %u", (unsigned long long)to, notify);
	EXPECT_EQ(code, sp.error);
}

/* The SC @id is still @s's, open. */
static void expect_still_held(struct __test_metadata *_metadata, struct side s,
			      uint64_t id)
{
	EXPECT_EQ(IUC_PIPE_IS_SC | IUC_PIPE_OPENED,
		  side_status(s, id) & (IUC_PIPE_IS_SC | IUC_PIPE_OPENED));
}

/* A pipe from @from to @to, not notified; the results are in @op. */
static void open_skip(struct __test_metadata *_metadata, struct side from,
		      pid_t to, struct iuc_open_pipe *op)
{
	*op = iuc_pipe_args(to, 0x77);
	op->notify = IUC_NOTIFY_SKIP;
	ASSERT_EQ(0, side_open_pipe(from, op));
}

/*
 * @x opens a raw pipe to @y, @y a message pipe to @x: each target gets
 * RECV_PIPE from its creator, in application @anid, and the data of each
 * pipe arrives intact.
 */
static void expect_talk_both_ways(struct __test_metadata *_metadata,
				  struct peer *x, struct peer *y, uint64_t anid)
{
	struct peer *const ends[2] = { x, y };

	for (int i = 0; i < 2; i++) {
		struct peer *from = ends[i], *to = ends[!i];
		struct iuc_open_pipe op = iuc_pipe_args(to->pid, (uint16_t)(0x70 + i));
		struct iuc_pipe_read r;
		struct iuc_signal s;
		uint64_t bad;

		op.mode = (uint8_t)i;
		ASSERT_EQ(0, peer_open_pipe(from, &op)) TH_LOG("direction %d", i);
		ASSERT_EQ(0, peer_read_sig(to, &s, TIMEOUT_MS));
		EXPECT_EQ(IUC_SIG_RECV_PIPE, s.code);
		EXPECT_EQ(0x70 + i, s.data.recv_pipe.command);
		EXPECT_EQ((uint64_t)from->pid, s.data.recv_pipe.creator_pid);
		EXPECT_EQ(anid, s.data.recv_pipe.creator_anid);
		EXPECT_EQ(op.peer_id, s.data.recv_pipe.id);
		EXPECT_EQ(0, peer_write(from, op.id, 5000, IUC_IO_BLOCK, 9, 0, NULL));
		EXPECT_EQ(0, peer_read(to, op.peer_id, 5000, IUC_IO_BLOCK, 9, 0, 0, &r, &bad));
		EXPECT_EQ(5000, r.transferred);
		EXPECT_EQ(PAT_NO_BAD, bad);
	}
}

/* The test's pipe context, and the test as a side. */
static void ctx_start(struct __test_metadata *_metadata, int *fd, struct side *test)
{
	*fd = iuc_pipe_ctx();
	ASSERT_LE(0, *fd);
	*test = side_test(*fd);
}

/* ---- reachable processes --------------------------------------------------- */

FIXTURE(reach) {
	struct side test;	/* the test process */
	int fd;
	struct peer tgt;	/* a ready pipe target */
	struct peer bare;	/* a context handling PIPE_CLOSED only, not READY */
	struct peer noctx;	/* never opened /dev/iuc */
};

FIXTURE_SETUP(reach)
{
	static const uint8_t closed[] = { IUC_SIG_PIPE_CLOSED };

	ctx_start(_metadata, &self->fd, &self->test);
	ASSERT_EQ(0, peer_start_target(&self->tgt));
	ASSERT_EQ(0, peer_start_ctx(&self->bare, closed, 1, false));
	ASSERT_EQ(0, peer_start(&self->noctx, NULL));
}

FIXTURE_TEARDOWN(reach)
{
	EXPECT_EQ(0, peer_stop(&self->tgt));
	EXPECT_EQ(0, peer_stop(&self->bare));
	EXPECT_EQ(0, peer_stop(&self->noctx));
}

/*
 * No such process: 0x20 ESRCH, for a reaped pid, pid 0, pid_max (pids are
 * below it), numbers beyond any PID limit, and a live pid plus 2^32 (no
 * truncation to 32 bits: the live target gets nothing).
 */
TEST_F(reach, no_such_pid_is_esrch_0x20)
{
	long long pid_max = param_read("/proc/sys/kernel/pid_max");
	pid_t gone = reaped_pid();
	uint64_t pids[6];

	ASSERT_LT(0, pid_max);
	ASSERT_LT(0, gone);
	pids[0] = (uint64_t)gone;
	pids[1] = 0;
	pids[2] = (uint64_t)pid_max;
	pids[3] = 0x7FFFFFFF;
	pids[4] = (1ull << 32) | (uint64_t)self->tgt.pid;
	pids[5] = UINT64_MAX;
	for (size_t i = 0; i < ARRAY_SIZE(pids); i++)
		expect_open_refused(_metadata, self->test, pids[i], -ESRCH,
				    IUC_E_OPEN_NO_SUCH_PID);
	EXPECT_EQ(0, peer_sig_pending(&self->tgt));
}

/*
 * A live process without IUC context is no such process (0x20): one that
 * never opened /dev/iuc, and one whose context ended when it closed its fd
 * (the end it held closed with it).  Opening /dev/iuc makes it reachable.
 */
TEST_F(reach, process_without_context_is_esrch_0x20)
{
	struct iuc_open_pipe op;

	expect_open_refused(_metadata, self->test, self->noctx.pid, -ESRCH,
			    IUC_E_OPEN_NO_SUCH_PID);
	ASSERT_EQ(0, peer_open_dev(&self->noctx));
	open_skip(_metadata, self->test, self->noctx.pid, &op);
	ASSERT_EQ(0, peer_close_dev(&self->noctx));
	EXPECT_EQ(0, iuc_pipe_status(self->fd, op.id) & IUC_PIPE_OPENED);

	expect_open_refused(_metadata, self->test, self->noctx.pid, -ESRCH,
			    IUC_E_OPEN_NO_SUCH_PID);
	ASSERT_EQ(0, peer_open_dev(&self->noctx));
	open_skip(_metadata, self->test, self->noctx.pid, &op);
	EXPECT_EQ(IUC_E_NONE, op.error);
}

/*
 * Notification asked and the target does not handle RECV_PIPE (never, or
 * not any more; READY or not): 0x23 ENOENT, and neither identifier stays.
 * IUC_NOTIFY_SKIP needs no handler: the pipe opens, peer_id is the
 * target's identifier, and the target's first record is its close.
 */
TEST_F(reach, no_handler_is_enoent_0x23_unless_skipped)
{
	struct iuc_open_pipe op;
	struct iuc_signal s;

	for (int i = 0; i < 6; i++) {
		/* not READY, READY; then handled and unhandled again */
		if (i == 2) {
			ASSERT_EQ(0, peer_ready(&self->bare, NULL));
		}
		if (i == 4) {
			ASSERT_EQ(0, peer_handle(&self->bare, IUC_SIG_RECV_PIPE, 0, NULL));
			ASSERT_EQ(0, peer_unhandle(&self->bare, IUC_SIG_RECV_PIPE, NULL));
		}
		op = iuc_pipe_args(self->bare.pid, 1);
		op.type = (uint8_t)(i & 1);
		EXPECT_EQ(-ENOENT, iuc_open_pipe(self->fd, &op)) TH_LOG("call %d", i);
		EXPECT_EQ(IUC_E_OPEN_NO_HANDLER, op.error);
		if (op.id) {
			EXPECT_EQ(-EBADF, iuc_pipe_status(self->fd, op.id));
		}
		if (op.peer_id) {
			EXPECT_EQ(-EBADF, peer_info(&self->bare, op.peer_id, NULL));
		}
	}

	open_skip(_metadata, self->test, self->bare.pid, &op);
	EXPECT_EQ(IUC_E_NONE, op.error);
	EXPECT_NE(0, op.id);
	EXPECT_EQ(0, peer_info(&self->bare, op.peer_id, NULL));
	ASSERT_EQ(0, iuc_close_pipe(self->fd, op.id, NULL));
	ASSERT_EQ(0, peer_read_sig(&self->bare, &s, TIMEOUT_MS));
	EXPECT_EQ(IUC_SIG_PIPE_CLOSED, s.code);
	EXPECT_EQ(op.peer_id, s.data.pipe_closed.id);
	EXPECT_EQ(IUC_PART_RC, s.data.pipe_closed.part);
}

/* A RECV_PIPE handler set before READY is enough: the record is queued. */
TEST_F(reach, handler_before_ready_is_enough)
{
	struct iuc_open_pipe op = iuc_pipe_args(self->bare.pid, 2);
	struct iuc_signal s;

	ASSERT_EQ(0, peer_handle(&self->bare, IUC_SIG_RECV_PIPE, 0, NULL));
	EXPECT_EQ(0, iuc_open_pipe(self->fd, &op));
	ASSERT_EQ(0, peer_ready(&self->bare, NULL));
	ASSERT_EQ(0, peer_read_sig(&self->bare, &s, TIMEOUT_MS));
	EXPECT_EQ(IUC_SIG_RECV_PIPE, s.code);
	EXPECT_EQ(op.peer_id, s.data.recv_pipe.id);
}

/*
 * Every refused SEND_PIPE leaves the identifier with the sender: 0x24 bad
 * notify, 0x20 unknown id, 0x21 no such process (reaped, or without
 * context), 0x10 no RECV_PIPE handler.  Afterwards the sender still writes
 * through it, and a send with IUC_NOTIFY_SKIP to the handler-less process
 * works: the data of both holders reaches the reader in order.
 */
TEST_F(reach, refused_send_keeps_the_id)
{
	struct iuc_open_pipe op;
	struct iuc_send_pipe sp;
	struct iuc_pipe_read r;
	pid_t gone = reaped_pid();
	uint64_t bad;

	ASSERT_LT(0, gone);
	open_skip(_metadata, self->test, self->tgt.pid, &op);
	for (int notify = 2; notify < 256; notify += 125)
		expect_send_refused(_metadata, self->test, op.id, self->tgt.pid, (uint8_t)notify,
				    -EINVAL, IUC_E_SEND_BAD_NOTIFY);
	expect_send_refused(_metadata, self->test, op.id + 1000, self->tgt.pid, IUC_NOTIFY,
			    -EBADF, IUC_E_SEND_UNKNOWN_ID);
	expect_send_refused(_metadata, self->test, 0, self->tgt.pid, IUC_NOTIFY,
			    -EBADF, IUC_E_SEND_UNKNOWN_ID);
	expect_send_refused(_metadata, self->test, op.id, (uint64_t)gone, IUC_NOTIFY_SKIP,
			    -ESRCH, IUC_E_SEND_NO_SUCH_PID);
	expect_send_refused(_metadata, self->test, op.id, self->noctx.pid, IUC_NOTIFY_SKIP,
			    -ESRCH, IUC_E_SEND_NO_SUCH_PID);
	expect_send_refused(_metadata, self->test, op.id, self->bare.pid, IUC_NOTIFY,
			    -ENOENT, IUC_E_SEND_NO_HANDLER);

	expect_still_held(_metadata, self->test, op.id);
	EXPECT_EQ(0, side_write(self->test, op.id, 16, IUC_IO_BLOCK, 5, 0, NULL));
	EXPECT_EQ(0, iuc_send_pipe(self->fd, op.id, self->bare.pid, IUC_NOTIFY_SKIP, &sp));
	EXPECT_EQ(IUC_E_NONE, sp.error);
	EXPECT_NE(0, sp.peer_id);
	EXPECT_EQ(-EBADF, iuc_pipe_status(self->fd, op.id));
	EXPECT_EQ(0, peer_write(&self->bare, sp.peer_id, 20, IUC_IO_BLOCK, 5, 16, NULL));
	EXPECT_EQ(0, peer_read(&self->tgt, op.peer_id, 36, IUC_IO_BLOCK, 5, 0, 0, &r, &bad));
	EXPECT_EQ(36, r.transferred);
	EXPECT_EQ(PAT_NO_BAD, bad);
}

/* ---- applications: IPC namespaces ----------------------------------------------- */

FIXTURE(apps) {
	struct side test;	/* the test process */
	int fd;
	struct peer other;	/* a target in a new IPC namespace */
	struct peer sibling;	/* a target forked by @other in its namespace */
	struct peer same;	/* a target in the test's namespace */
	uint64_t ns;		/* the new namespace's inode (its ANID) */
};

/*
 * A privileged launcher separates applications with CLONE_NEWIPC: @other
 * unshares its IPC namespace before it opens /dev/iuc, then forks
 * @sibling, which is born in that namespace.
 */
FIXTURE_SETUP(apps)
{
	ctx_start(_metadata, &self->fd, &self->test);
	ASSERT_EQ(0, peer_prepare(&self->sibling));
	ASSERT_EQ(0, peer_start(&self->other, &(struct peer_opts){ .sub = &self->sibling }));
	ASSERT_EQ(0, peer_unshare_ipc(&self->other));
	ASSERT_EQ(0, peer_target_ctx(&self->other));
	ASSERT_EQ(0, peer_fork(&self->other, &self->sibling, PEER_FORK_PDEATHSIG));
	ASSERT_EQ(0, peer_target_ctx(&self->sibling));
	ASSERT_EQ(0, peer_start_target(&self->same));
	self->ns = peer_ns_ino(&self->other);
	ASSERT_NE(0, self->ns);
	ASSERT_NE(ipc_ns_ino(), self->ns);
	ASSERT_EQ(self->ns, peer_ns_ino(&self->sibling));
	ASSERT_EQ(ipc_ns_ino(), peer_ns_ino(&self->same));
}

FIXTURE_TEARDOWN(apps)
{
	peer_forget(&self->sibling);	/* not the test's child */
	EXPECT_EQ(0, peer_stop(&self->other));
	EXPECT_EQ(0, peer_stop(&self->same));
}

/*
 * A process in another IPC namespace is another application: 0x21 EACCES
 * in both directions, from either process of that namespace, and no
 * record reaches either side.  Control: the same calls within one
 * application work.
 */
TEST_F(apps, other_application_is_eacces_0x21)
{
	struct iuc_open_pipe op;

	expect_open_refused(_metadata, self->test, self->other.pid, -EACCES,
			    IUC_E_OPEN_OTHER_APPLICATION);
	expect_open_refused(_metadata, self->test, self->sibling.pid, -EACCES,
			    IUC_E_OPEN_OTHER_APPLICATION);
	expect_open_refused(_metadata, side_peer(&self->other), getpid(), -EACCES,
			    IUC_E_OPEN_OTHER_APPLICATION);
	expect_open_refused(_metadata, side_peer(&self->sibling), getpid(), -EACCES,
			    IUC_E_OPEN_OTHER_APPLICATION);
	EXPECT_EQ(0, peer_sig_pending(&self->other));
	EXPECT_EQ(0, peer_sig_pending(&self->sibling));
	EXPECT_EQ(0, iuc_sig_pending(self->fd));

	op = iuc_pipe_args(self->same.pid, 1);
	EXPECT_EQ(0, iuc_open_pipe(self->fd, &op));
	EXPECT_EQ(1, peer_sig_pending(&self->same));
	op = iuc_pipe_args(getpid(), 2);
	EXPECT_EQ(0, peer_open_pipe(&self->same, &op));
	EXPECT_EQ(1, iuc_sig_pending(self->fd));
}

/*
 * The processes of the new namespace talk to each other, either way: the
 * RECV_PIPE record carries the new namespace's ANID, and data flows.
 */
TEST_F(apps, one_application_talks_inside_its_namespace)
{
	expect_talk_both_ways(_metadata, &self->sibling, &self->other, self->ns);
	EXPECT_EQ(0, iuc_sig_pending(self->fd));
}

/* SEND_PIPE into another application: 0x22 EACCES, the end stays, no record. */
TEST_F(apps, send_to_other_application_is_eacces_0x22)
{
	struct iuc_open_pipe op;

	open_skip(_metadata, self->test, self->same.pid, &op);
	for (uint8_t notify = IUC_NOTIFY; notify <= IUC_NOTIFY_SKIP; notify++)
		expect_send_refused(_metadata, self->test, op.id, self->other.pid, notify,
				    -EACCES, IUC_E_SEND_OTHER_APPLICATION);
	EXPECT_EQ(0, peer_sig_pending(&self->other));
	expect_still_held(_metadata, self->test, op.id);
}

/*
 * An unprivileged process cannot join another application: even holding
 * an fd of the other IPC namespace, setns() as uid 65534 fails with EPERM
 * and the process stays where it was (and another user is told before
 * another application).  Control: root can join, and then talks to the
 * process in there.
 */
TEST_F(apps, unprivileged_setns_is_refused)
{
	struct iuc_open_pipe op;
	struct peer y, z;
	uint64_t caps = ~0ull;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/ipc", self->other.pid);
	ASSERT_EQ(0, peer_start(&y, NULL));
	ASSERT_EQ(0, peer_open_path(&y, path));
	ASSERT_EQ(0, peer_open_dev(&y));
	ASSERT_EQ(0, peer_setresuid(&y, UID_NOBODY, UID_NOBODY, UID_NOBODY, &caps));
	ASSERT_EQ(0, caps);
	EXPECT_EQ(-EPERM, peer_setns(&y));
	EXPECT_EQ(ipc_ns_ino(), peer_ns_ino(&y));
	op = iuc_pipe_args(self->other.pid, 1);
	EXPECT_EQ(-EPERM, peer_open_pipe(&y, &op));
	EXPECT_EQ(IUC_E_OPEN_OTHER_USER, op.error);

	ASSERT_EQ(0, peer_start(&z, NULL));
	ASSERT_EQ(0, peer_open_path(&z, path));
	EXPECT_EQ(0, peer_setns(&z));
	EXPECT_EQ(self->ns, peer_ns_ino(&z));
	ASSERT_EQ(0, peer_open_dev(&z));
	op = iuc_pipe_args(self->other.pid, 2);
	EXPECT_EQ(0, peer_open_pipe(&z, &op));
	EXPECT_EQ(IUC_E_NONE, op.error);
	EXPECT_EQ(0, peer_stop(&y));
	EXPECT_EQ(0, peer_stop(&z));
}

/* ---- users: the uid rules of kill(2) ------------------------------------------ */

/*
 * Start @p as a ready target running as @r/@e/@s (no capabilities left).
 * It opens /dev/iuc before it drops root: the rules apply to the
 * credentials at each call, however the context was made.
 */
static void start_as(struct __test_metadata *_metadata, struct peer *p,
		     uid_t r, uid_t e, uid_t s)
{
	uint64_t caps = ~0ull;

	ASSERT_EQ(0, peer_start_target(p));
	ASSERT_EQ(0, peer_setresuid(p, r, e, s, &caps));
	ASSERT_EQ(0, caps);
}

FIXTURE(users) {
	struct side test;	/* the test process */
	int fd;
	struct peer nobody;	/* uid 65534, opened /dev/iuc as that user */
	struct peer other;	/* uid 1000, opened /dev/iuc as root */
};

FIXTURE_SETUP(users)
{
	ctx_start(_metadata, &self->fd, &self->test);
	ASSERT_EQ(0, getuid());
	ASSERT_EQ(1, has_cap(CAP_KILL));
	ASSERT_EQ(0, peer_start(&self->nobody, NULL));
	ASSERT_EQ(0, peer_setuid(&self->nobody, UID_NOBODY));
	ASSERT_EQ(0, peer_target_ctx(&self->nobody));
	start_as(_metadata, &self->other, UID_OTHER, UID_OTHER, UID_OTHER);
}

FIXTURE_TEARDOWN(users)
{
	EXPECT_EQ(0, peer_stop(&self->nobody));
	EXPECT_EQ(0, peer_stop(&self->other));
}

/* An unprivileged process cannot open a pipe to root: 0x22 EPERM. */
TEST_F(users, unprivileged_to_root_is_eperm_0x22)
{
	expect_open_refused(_metadata, side_peer(&self->nobody), getpid(), -EPERM,
			    IUC_E_OPEN_OTHER_USER);
	EXPECT_EQ(0, iuc_sig_pending(self->fd));
}

/* Processes of two unprivileged users cannot reach each other: 0x22 EPERM. */
TEST_F(users, between_unprivileged_users_is_eperm_0x22)
{
	expect_open_refused(_metadata, side_peer(&self->nobody), self->other.pid, -EPERM,
			    IUC_E_OPEN_OTHER_USER);
	expect_open_refused(_metadata, side_peer(&self->other), self->nobody.pid, -EPERM,
			    IUC_E_OPEN_OTHER_USER);
	EXPECT_EQ(0, peer_sig_pending(&self->nobody));
	EXPECT_EQ(0, peer_sig_pending(&self->other));
}

/*
 * Root reaches another user's process only with CAP_KILL, as kill(2)
 * would: without it, 0x22 EPERM; a root process it still reaches.
 */
TEST_F(users, root_needs_cap_kill_for_another_user)
{
	struct iuc_open_pipe op = iuc_pipe_args(self->nobody.pid, 5);
	struct iuc_signal s;
	struct peer r;

	EXPECT_EQ(0, iuc_open_pipe(self->fd, &op));
	ASSERT_EQ(0, peer_read_sig(&self->nobody, &s, TIMEOUT_MS));
	EXPECT_EQ(IUC_SIG_RECV_PIPE, s.code);
	EXPECT_EQ(5, s.data.recv_pipe.command);

	ASSERT_EQ(0, peer_start_target(&r));
	ASSERT_EQ(0, drop_cap(CAP_KILL));
	ASSERT_EQ(0, has_cap(CAP_KILL));
	expect_open_refused(_metadata, self->test, self->nobody.pid, -EPERM,
			    IUC_E_OPEN_OTHER_USER);
	expect_open_refused(_metadata, self->test, self->other.pid, -EPERM,
			    IUC_E_OPEN_OTHER_USER);
	EXPECT_EQ(0, peer_sig_pending(&self->nobody));
	EXPECT_EQ(0, peer_sig_pending(&self->other));

	op = iuc_pipe_args(r.pid, 6);
	EXPECT_EQ(0, iuc_open_pipe(self->fd, &op));
	ASSERT_EQ(0, peer_read_sig(&r, &s, TIMEOUT_MS));
	EXPECT_EQ(6, s.data.recv_pipe.command);
	EXPECT_EQ(0, peer_stop(&r));
}

/*
 * The uid rules of kill(2): the caller's real or effective uid must equal
 * the target's real or saved uid.  A target with ruid = euid = 1000 and
 * saved uid 65534 is reachable by uid 65534, but not the other way round.
 */
TEST_F(users, real_or_effective_uid_meets_real_or_saved_uid)
{
	struct iuc_open_pipe op;
	struct peer mixed;

	start_as(_metadata, &mixed, UID_OTHER, UID_OTHER, UID_NOBODY);
	op = iuc_pipe_args(mixed.pid, 7);
	EXPECT_EQ(0, peer_open_pipe(&self->nobody, &op));
	EXPECT_EQ(IUC_E_NONE, op.error);
	EXPECT_EQ(1, peer_sig_pending(&mixed));

	expect_open_refused(_metadata, side_peer(&mixed), self->nobody.pid, -EPERM,
			    IUC_E_OPEN_OTHER_USER);
	EXPECT_EQ(0, peer_sig_pending(&self->nobody));
	EXPECT_EQ(0, peer_stop(&mixed));
}

/*
 * Two ordinary processes of one user (65534, no capabilities) in the
 * initial IPC namespace talk without any set-up, either way.
 */
TEST_F(users, one_user_talks_without_setup)
{
	struct peer b;

	start_as(_metadata, &b, UID_NOBODY, UID_NOBODY, UID_NOBODY);
	expect_talk_both_ways(_metadata, &self->nobody, &b, ipc_ns_ino());
	EXPECT_EQ(0, peer_stop(&b));
}

/* Root without CAP_KILL cannot send an end to another user: 0x23 EPERM. */
TEST_F(users, send_by_root_without_cap_kill_is_eperm_0x23)
{
	struct iuc_open_pipe op;
	struct peer r;

	ASSERT_EQ(0, peer_start_target(&r));
	open_skip(_metadata, self->test, r.pid, &op);
	ASSERT_EQ(0, drop_cap(CAP_KILL));
	for (uint8_t notify = IUC_NOTIFY; notify <= IUC_NOTIFY_SKIP; notify++)
		expect_send_refused(_metadata, self->test, op.id, self->nobody.pid, notify,
				    -EPERM, IUC_E_SEND_OTHER_USER);
	EXPECT_EQ(0, peer_sig_pending(&self->nobody));
	expect_still_held(_metadata, self->test, op.id);
	EXPECT_EQ(0, peer_stop(&r));
}

/*
 * Between two processes of uid 65534, SEND_PIPE to a third uid: 0x23
 * EPERM; the sender keeps the end, and a process of its own user may take
 * it.
 */
TEST_F(users, send_between_unprivileged_users_is_eperm_0x23)
{
	struct iuc_open_pipe op;
	struct iuc_send_pipe sp;
	struct peer pb;
	struct side b = side_peer(&pb);

	start_as(_metadata, &pb, UID_NOBODY, UID_NOBODY, UID_NOBODY);
	open_skip(_metadata, side_peer(&self->nobody), pb.pid, &op);
	for (uint8_t notify = IUC_NOTIFY; notify <= IUC_NOTIFY_SKIP; notify++)
		expect_send_refused(_metadata, b, op.peer_id, self->other.pid, notify,
				    -EPERM, IUC_E_SEND_OTHER_USER);
	EXPECT_EQ(0, peer_sig_pending(&self->other));
	EXPECT_EQ(IUC_PIPE_OPENED, side_status(b, op.peer_id) & IUC_PIPE_OPENED);
	EXPECT_EQ(0, peer_send_pipe(&pb, op.peer_id, self->nobody.pid, IUC_NOTIFY, &sp));
	EXPECT_EQ(IUC_E_NONE, sp.error);
	EXPECT_EQ(-EBADF, peer_info(&pb, op.peer_id, NULL));
	EXPECT_EQ(0, peer_stop(&pb));
}

/* ---- limits --------------------------------------------------------------- */

#define SMALL_PIPES	3
#define SMALL_QUEUE	2

FIXTURE(limits) {
	struct side test;	/* the test process */
	long long saved_pipes, saved_queue;
	int fd;
	struct peer p1, p2, p3;		/* ready targets */
};

FIXTURE_SETUP(limits)
{
	self->saved_pipes = param_read(PARAM_MAX_PIPES);
	self->saved_queue = param_read(PARAM_MAX_QUEUED);
	ASSERT_LT(0, self->saved_pipes);
	ASSERT_LT(0, self->saved_queue);
	ctx_start(_metadata, &self->fd, &self->test);
	ASSERT_EQ(0, peer_start_target(&self->p1));
	ASSERT_EQ(0, peer_start_target(&self->p2));
	ASSERT_EQ(0, peer_start_target(&self->p3));
}

FIXTURE_TEARDOWN(limits)
{
	EXPECT_EQ(0, param_write(PARAM_MAX_PIPES, self->saved_pipes));
	EXPECT_EQ(0, param_write(PARAM_MAX_QUEUED, self->saved_queue));
	EXPECT_EQ(0, peer_stop(&self->p1));
	EXPECT_EQ(0, peer_stop(&self->p2));
	EXPECT_EQ(0, peer_stop(&self->p3));
}

/* The test opens SMALL_PIPES pipes to @p1, alternating the type: it is at the limit. */
static void fill_to_p1(struct __test_metadata *_metadata, int fd, pid_t p1,
		       struct iuc_open_pipe *mine)
{
	ASSERT_EQ(0, param_write(PARAM_MAX_PIPES, SMALL_PIPES));
	for (int i = 0; i < SMALL_PIPES; i++) {
		mine[i] = iuc_pipe_args(p1, 0x77);
		mine[i].type = (uint8_t)(i & 1);
		mine[i].notify = IUC_NOTIFY_SKIP;
		ASSERT_EQ(0, iuc_open_pipe(fd, &mine[i])) TH_LOG("pipe %d", i);
	}
}

/*
 * max_pipes_per_process counts the ends a process holds, opened by it or
 * to it: EMFILE 0x3E when the opener is at the limit, when the target is,
 * and for SEND_PIPE to a target at the limit; no record is sent.  A
 * failed call uses no slot; an end counts until its holder closes it, and
 * closing one makes room for exactly one.
 */
TEST_F(limits, max_pipes_per_process_is_emfile_0x3e)
{
	struct iuc_open_pipe op, mine[SMALL_PIPES], theirs[SMALL_PIPES];
	struct iuc_send_pipe sp;

	fill_to_p1(_metadata, self->fd, self->p1.pid, mine);
	/* The opener is at the limit. */
	expect_open_refused(_metadata, self->test, self->p2.pid, -EMFILE, IUC_E_LIMIT);
	EXPECT_EQ(0, peer_sig_pending(&self->p2));
	/* The target is at the limit. */
	expect_open_refused(_metadata, side_peer(&self->p3), self->p1.pid, -EMFILE,
			    IUC_E_LIMIT);
	EXPECT_EQ(0, peer_sig_pending(&self->p1));
	/* The failures took no slot of p2 or p3: p3 fills p2 up. */
	for (int i = 0; i < SMALL_PIPES; i++)
		open_skip(_metadata, side_peer(&self->p3), self->p2.pid, &theirs[i]);
	/* SEND_PIPE to a target at the limit; the end stays with the sender. */
	EXPECT_EQ(-EMFILE, iuc_send_pipe(self->fd, mine[0].id, self->p2.pid,
					 IUC_NOTIFY_SKIP, &sp));
	EXPECT_EQ(IUC_E_LIMIT, sp.error);
	EXPECT_EQ(0, iuc_pipe_info(self->fd, mine[0].id, NULL));

	/* A closed pipe's end counts until its holder closes it too. */
	ASSERT_EQ(0, iuc_close_pipe(self->fd, mine[0].id, NULL));
	op = iuc_pipe_args(self->p1.pid, 0x10);
	EXPECT_EQ(-EMFILE, iuc_open_pipe(self->fd, &op));
	EXPECT_EQ(IUC_E_LIMIT, op.error);
	ASSERT_EQ(0, peer_close_pipe(&self->p1, mine[0].peer_id, NULL));
	op = iuc_pipe_args(self->p1.pid, 0x11);
	EXPECT_EQ(0, iuc_open_pipe(self->fd, &op));
	EXPECT_EQ(IUC_E_NONE, op.error);
	op = iuc_pipe_args(self->p1.pid, 0x12);
	EXPECT_EQ(-EMFILE, iuc_open_pipe(self->fd, &op));
	EXPECT_EQ(IUC_E_LIMIT, op.error);

	/* Raising the limit lets the refused calls through. */
	ASSERT_EQ(0, param_write(PARAM_MAX_PIPES, SMALL_PIPES + 1));
	op = iuc_pipe_args(self->p2.pid, 0x13);
	EXPECT_EQ(0, iuc_open_pipe(self->fd, &op));
}

/*
 * An end that SEND_PIPE moved counts for its new holder only: a sender at
 * the limit can open again, and a receiver counts the end it got.
 */
TEST_F(limits, sent_end_moves_its_slot)
{
	struct iuc_open_pipe op, mine[SMALL_PIPES];
	struct side p3 = side_peer(&self->p3);
	struct iuc_send_pipe sp, sp2;

	fill_to_p1(_metadata, self->fd, self->p1.pid, mine);
	op = iuc_pipe_args(self->p2.pid, 0x77);
	op.notify = IUC_NOTIFY_SKIP;
	ASSERT_EQ(-EMFILE, iuc_open_pipe(self->fd, &op));

	/* Sent away: the test has a free slot again (p2: 1 end). */
	ASSERT_EQ(0, iuc_send_pipe(self->fd, mine[0].id, self->p2.pid, IUC_NOTIFY_SKIP, &sp));
	open_skip(_metadata, self->test, self->p2.pid, &op);
	EXPECT_EQ(IUC_E_NONE, op.error);

	/* p2 holds 2 ends; one more fills it. */
	open_skip(_metadata, p3, self->p2.pid, &op);
	op = iuc_pipe_args(self->p2.pid, 0x77);
	op.notify = IUC_NOTIFY_SKIP;
	EXPECT_EQ(-EMFILE, peer_open_pipe(&self->p3, &op)) TH_LOG("received end not counted");
	EXPECT_EQ(IUC_E_LIMIT, op.error);

	/* p2 passes the received end on to p3: p2 has room again. */
	ASSERT_EQ(0, peer_send_pipe(&self->p2, sp.peer_id, self->p3.pid, IUC_NOTIFY_SKIP,
				    &sp2));
	open_skip(_metadata, p3, self->p2.pid, &op);
	EXPECT_EQ(IUC_E_NONE, op.error);
}

/*
 * A target whose signal queue holds max_queued_signals records refuses
 * notified OPEN_PIPE and SEND_PIPE with EAGAIN 0x3F, leaving nothing
 * behind; IUC_NOTIFY_SKIP still works; reading one record makes room.
 */
TEST_F(limits, max_queued_signals_is_eagain_0x3f)
{
	struct iuc_open_pipe op, spare;
	struct iuc_send_pipe sp;
	struct iuc_signal s;

	ASSERT_EQ(0, param_write(PARAM_MAX_QUEUED, SMALL_QUEUE));
	for (int i = 0; i < SMALL_QUEUE; i++) {
		op = iuc_pipe_args(self->p1.pid, (uint16_t)i);
		ASSERT_EQ(0, iuc_open_pipe(self->fd, &op));
	}
	for (int type = 0; type <= 1; type++) {
		op = iuc_pipe_args(self->p1.pid, 0x77);
		op.type = (uint8_t)type;
		EXPECT_EQ(-EAGAIN, iuc_open_pipe(self->fd, &op));
		EXPECT_EQ(IUC_E_QUEUE_FULL, op.error);
		if (op.id) {
			EXPECT_EQ(-EBADF, iuc_pipe_status(self->fd, op.id));
		}
	}
	open_skip(_metadata, self->test, self->p1.pid, &op);

	open_skip(_metadata, self->test, self->p2.pid, &spare);
	expect_send_refused(_metadata, self->test, spare.id, self->p1.pid, IUC_NOTIFY,
			    -EAGAIN, IUC_E_QUEUE_FULL);
	expect_still_held(_metadata, self->test, spare.id);

	/* One record read: one more fits. */
	ASSERT_EQ(0, peer_read_sig(&self->p1, &s, TIMEOUT_MS));
	EXPECT_EQ(0, s.data.recv_pipe.command);
	EXPECT_EQ(0, iuc_send_pipe(self->fd, spare.id, self->p1.pid, IUC_NOTIFY, &sp));
	EXPECT_EQ(IUC_E_NONE, sp.error);
	EXPECT_EQ(-EBADF, iuc_pipe_status(self->fd, spare.id));
	op = iuc_pipe_args(self->p1.pid, 0x77);
	EXPECT_EQ(-EAGAIN, iuc_open_pipe(self->fd, &op));
	EXPECT_EQ(IUC_E_QUEUE_FULL, op.error);

	ASSERT_EQ(0, peer_read_sig(&self->p1, &s, TIMEOUT_MS));
	EXPECT_EQ(1, s.data.recv_pipe.command);
	ASSERT_EQ(0, peer_read_sig(&self->p1, &s, TIMEOUT_MS));
	EXPECT_EQ(IUC_SIG_RECV_PIPE, s.code);
	EXPECT_EQ(sp.peer_id, s.data.recv_pipe.id);
	EXPECT_EQ(0, peer_sig_pending(&self->p1));
}

TEST_HARNESS_MAIN
