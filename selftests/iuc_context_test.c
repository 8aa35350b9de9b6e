// SPDX-License-Identifier: GPL-2.0
/*
 * IUC selftests: the per-process context behind an fd of /dev/iuc.
 *
 * One context per process (a second open is EBUSY), any user may open,
 * the fd only works for the process that opened it (forked children and
 * receivers of SCM_RIGHTS get EBADFD / IUC_E_NOT_OWNER, POLLERR), and the
 * context ends when its process exits, even while another process still
 * holds the fd: its peers get PIPE_CLOSED "peer died" and its pid cannot
 * be reached any more; or when the process closes its last fd of it.
 */
#include "kselftest_harness.h"
#include "iuc_test.h"

/* /dev/iuc is a character device of mode 0666. */
TEST(device_node)
{
	struct stat st;

	ASSERT_EQ(0, stat(IUC_DEV, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0666, st.st_mode & 07777);
}

static void *open_in_thread(void *arg)
{
	int *res = arg;
	int fd = iuc_open();

	*res = fd < 0 ? -errno : fd;
	return NULL;
}

/*
 * The context belongs to the process: a second open, by the same thread
 * or another one, is EBUSY; the first fd keeps working.
 */
TEST(second_open_ebusy)
{
	struct race_thread th;
	int fd = iuc_open(), fd2, res = 0;
	uint32_t err;

	ASSERT_LE(0, fd);
	fd2 = iuc_open();
	EXPECT_EQ(-1, fd2);
	EXPECT_EQ(EBUSY, errno);
	fd2 = open(IUC_DEV, O_RDWR);
	EXPECT_EQ(-1, fd2);
	EXPECT_EQ(EBUSY, errno);
	ASSERT_EQ(0, race_thread_start(&th, open_in_thread, &res));
	race_thread_join(&th);
	EXPECT_EQ(-EBUSY, res);

	EXPECT_EQ(0, iuc_handle_signal(fd, IUC_SIG_RECV_PIPE, 0, &err));
	EXPECT_EQ(IUC_E_NONE, err);
	EXPECT_EQ(0, iuc_ready(fd, &err));
	EXPECT_EQ(IUC_E_NONE, err);
}

/* The same process may use a dup of its fd: it is the same context. */
TEST(dup_works_in_owner)
{
	int fd = iuc_open(), fd2;
	uint32_t err, rt = 0;
	int h = -1;

	ASSERT_LE(0, fd);
	fd2 = dup(fd);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(0, iuc_handle_signal(fd2, IUC_SIG_PIPE_CLOSED, 40, &err));
	EXPECT_EQ(IUC_E_NONE, err);
	EXPECT_EQ(0, iuc_is_signal_handled(fd, IUC_SIG_PIPE_CLOSED, &h, &rt, NULL));
	EXPECT_EQ(1, h);
	EXPECT_EQ(40, rt);
	EXPECT_EQ(0, iuc_ready(fd2, NULL));
	EXPECT_EQ(-EALREADY, iuc_ready(fd, &err));
	EXPECT_EQ(IUC_E_READY_ALREADY, err);
}

/* Each process has its own context: children open theirs meanwhile. */
TEST(contexts_are_per_process)
{
	struct peer a, b;
	int h = -1;
	int fd = iuc_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, peer_start(&a, NULL));
	ASSERT_EQ(0, peer_start(&b, NULL));
	EXPECT_EQ(0, peer_open_dev(&a));
	EXPECT_EQ(0, peer_open_dev(&b));
	/* ...and only one each. */
	EXPECT_EQ(-EBUSY, peer_open_dev(&a));

	EXPECT_EQ(0, peer_handle(&a, IUC_SIG_RECV_PIPE, 0, NULL));
	EXPECT_EQ(0, peer_ready(&a, NULL));
	/* Nothing of a's shows in b's or in ours. */
	EXPECT_EQ(0, peer_is_handled(&b, IUC_SIG_RECV_PIPE, &h, NULL));
	EXPECT_EQ(0, h);
	h = -1;
	EXPECT_EQ(0, iuc_is_signal_handled(fd, IUC_SIG_RECV_PIPE, &h, NULL, NULL));
	EXPECT_EQ(0, h);
	EXPECT_EQ(0, peer_ready(&b, NULL));
	EXPECT_EQ(0, iuc_ready(fd, NULL));
	EXPECT_EQ(0, peer_stop(&a));
	EXPECT_EQ(0, peer_stop(&b));
}

/* Any user may open /dev/iuc and use it. */
TEST(unprivileged_user_opens)
{
	struct stat root, dev;
	struct peer a;
	uint32_t err;

	ASSERT_EQ(0, peer_start(&a, NULL));
	ASSERT_EQ(0, peer_setuid(&a, UID_NOBODY));
	ASSERT_EQ(0, stat("/", &root));
	ASSERT_EQ(0, stat("/dev", &dev));
	EXPECT_EQ(0, peer_open_dev(&a))
		TH_LOG("mode of / %o, of /dev %o (must be searchable by others)",
		       root.st_mode & 07777, dev.st_mode & 07777);
	EXPECT_EQ(0, peer_handle(&a, IUC_SIG_RECV_PIPE, (uint32_t)SIGRTMIN, &err));
	EXPECT_EQ(IUC_E_NONE, err);
	EXPECT_EQ(0, peer_ready(&a, &err));
	EXPECT_EQ(IUC_E_NONE, err);
	EXPECT_EQ(0, peer_stop(&a));
}

/*
 * Run every implemented call, read(2) and poll(2) through the peer's
 * selected slot, which holds an fd that is not the peer's, and check
 * that all fail with EBADFD / IUC_E_NOT_OWNER (POLLERR for poll).
 * @target: a READY peer that handles RECV_PIPE; @pipe_id: a pipe of the
 * fd's owner.
 */
static void check_not_owner(struct __test_metadata *_metadata, struct peer *p,
			    pid_t target, uint64_t pipe_id)
{
	struct iuc_open_pipe op = iuc_pipe_args(target, 0xBAD);
	uint32_t err;
	int h, rev;

	err = 0;
	EXPECT_EQ(-EBADFD, peer_handle(p, IUC_SIG_UNSHARED_MEM, 0, &err));
	EXPECT_EQ(IUC_E_NOT_OWNER, err);
	err = 0;
	EXPECT_EQ(-EBADFD, peer_unhandle(p, IUC_SIG_RECV_PIPE, &err));
	EXPECT_EQ(IUC_E_NOT_OWNER, err);
	err = 0;
	EXPECT_EQ(-EBADFD, peer_is_handled(p, IUC_SIG_RECV_PIPE, &h, &err));
	EXPECT_EQ(IUC_E_NOT_OWNER, err);
	err = 0;
	EXPECT_EQ(-EBADFD, peer_ready(p, &err));
	EXPECT_EQ(IUC_E_NOT_OWNER, err);
	EXPECT_EQ(-EBADFD, peer_open_pipe(p, &op));
	EXPECT_EQ(IUC_E_NOT_OWNER, op.error);
	err = 0;
	EXPECT_EQ(-EBADFD, peer_close_pipe(p, pipe_id, &err));
	EXPECT_EQ(IUC_E_NOT_OWNER, err);
	EXPECT_EQ(-EBADFD, peer_read_raw(p));
	rev = peer_poll(p, 0);
	EXPECT_LT(0, rev);
	EXPECT_EQ(POLLERR, rev & (POLLERR | POLLIN));
}

/* OPEN_PIPE to @pid, notified or not, answers ESRCH / IUC_E_OPEN_NO_SUCH_PID. */
static void check_no_such_pid(struct __test_metadata *_metadata, int fd, pid_t pid)
{
	struct iuc_open_pipe op = iuc_pipe_args(pid, 3);

	EXPECT_EQ(-ESRCH, iuc_open_pipe(fd, &op));
	EXPECT_EQ(IUC_E_OPEN_NO_SUCH_PID, op.error);
	op.notify = IUC_NOTIFY_SKIP;
	EXPECT_EQ(-ESRCH, iuc_open_pipe(fd, &op));
	EXPECT_EQ(IUC_E_OPEN_NO_SUCH_PID, op.error);
}

/* ---- the fd of a context with a pipe ------------------------------------- */

/*
 * The test process's context (RECV_PIPE handled, not READY) and a ready
 * target peer, to which it opened a notified pipe whose RECV_PIPE record
 * the target read.
 */
FIXTURE(ctx_with_pipe) {
	int fd;
	struct peer tgt;
	struct iuc_open_pipe op;
};

FIXTURE_SETUP(ctx_with_pipe)
{
	struct iuc_signal s;

	self->fd = iuc_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, iuc_handle_signal(self->fd, IUC_SIG_RECV_PIPE, 0, NULL));
	ASSERT_EQ(0, peer_start_target(&self->tgt));
	self->op = iuc_pipe_args(self->tgt.pid, 1);
	ASSERT_EQ(0, iuc_open_pipe(self->fd, &self->op));
	ASSERT_EQ(0, peer_read_sig(&self->tgt, &s, TIMEOUT_MS));
	ASSERT_EQ(IUC_SIG_RECV_PIPE, s.code);
}

FIXTURE_TEARDOWN(ctx_with_pipe)
{
	EXPECT_EQ(0, peer_stop(&self->tgt));
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * The owner's context was not changed by the refused calls of
 * check_not_owner(): UNSHARED_MEM unhandled, RECV_PIPE handled, not
 * READY, its pipe to the target still open and no pipe opened.
 */
static void check_owner_intact(struct __test_metadata *_metadata,
			       FIXTURE_DATA(ctx_with_pipe) *self)
{
	struct iuc_signal s;
	int h = -1;

	EXPECT_EQ(0, iuc_is_signal_handled(self->fd, IUC_SIG_UNSHARED_MEM, &h, NULL, NULL));
	EXPECT_EQ(0, h);
	h = -1;
	EXPECT_EQ(0, iuc_is_signal_handled(self->fd, IUC_SIG_RECV_PIPE, &h, NULL, NULL));
	EXPECT_EQ(1, h);
	EXPECT_EQ(0, iuc_ready(self->fd, NULL));
	EXPECT_EQ(0, iuc_close_pipe(self->fd, self->op.id, NULL));
	/* The target's next record is that close: no pipe 0xBAD came. */
	ASSERT_EQ(0, peer_read_sig(&self->tgt, &s, TIMEOUT_MS));
	EXPECT_EQ(IUC_SIG_PIPE_CLOSED, s.code);
	EXPECT_EQ(self->op.peer_id, s.data.pipe_closed.id);
}

/*
 * A forked child holding the parent's fd cannot use it, while it can open
 * a context of its own; the parent's context is unaffected.
 */
TEST_F(ctx_with_pipe, forked_child_not_owner)
{
	struct peer child;

	ASSERT_EQ(0, peer_start(&child, &(struct peer_opts){ .inherit_fd = self->fd }));
	child.slot = PEER_INHERITED;
	check_not_owner(_metadata, &child, self->tgt.pid, self->op.id);
	/* The child has no context: it may open one. */
	child.slot = PEER_OWN;
	EXPECT_EQ(0, peer_open_dev(&child));
	EXPECT_EQ(0, peer_handle(&child, IUC_SIG_UNSHARED_MEM, 0, NULL));
	/* The inherited fd still is not the child's. */
	child.slot = PEER_INHERITED;
	check_not_owner(_metadata, &child, self->tgt.pid, self->op.id);

	check_owner_intact(_metadata, self);
	EXPECT_EQ(0, peer_stop(&child));
}

/*
 * An fd passed with SCM_RIGHTS stays bound to the process that opened it,
 * in both directions, whether the receiver has a context or not.  The
 * sender peer's fd goes to the test process, and from there to a receiver
 * peer without a context, which then opens one; the test's own fd goes to
 * that receiver too.
 */
TEST_F(ctx_with_pipe, scm_rights_not_owner)
{
	struct peer sender, rcv;
	struct iuc_signal s;
	int sv[2], sw[2], theirs;
	uint32_t err;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sw));
	ASSERT_EQ(0, peer_start(&sender, &(struct peer_opts){ .sock = sv[1] }));
	ASSERT_EQ(0, peer_start(&rcv, &(struct peer_opts){ .sock = sw[1] }));
	close(sv[1]);
	close(sw[1]);

	/* The sender's fd comes to the test process, which has a context. */
	ASSERT_EQ(0, peer_open_dev(&sender));
	ASSERT_EQ(0, peer_send_fd(&sender));
	theirs = recv_fd(sv[0], TIMEOUT_MS);
	ASSERT_LE(0, theirs);
	err = 0;
	EXPECT_EQ(-EBADFD, iuc_handle_signal(theirs, IUC_SIG_RECV_PIPE, 0, &err));
	EXPECT_EQ(IUC_E_NOT_OWNER, err);
	err = 0;
	EXPECT_EQ(-EBADFD, iuc_ready(theirs, &err));
	EXPECT_EQ(IUC_E_NOT_OWNER, err);
	EXPECT_EQ(-1, read(theirs, &s, sizeof(s)));
	EXPECT_EQ(EBADFD, errno);
	EXPECT_EQ(POLLERR, iuc_poll(theirs, POLLIN, 0) & (POLLERR | POLLIN));

	/* And on to the receiver, which has no context, then one of its own. */
	ASSERT_EQ(0, send_fd(sw[0], theirs));
	ASSERT_EQ(0, peer_recv_fd(&rcv));
	rcv.slot = PEER_INHERITED;
	check_not_owner(_metadata, &rcv, self->tgt.pid, self->op.id);
	rcv.slot = PEER_OWN;
	ASSERT_EQ(0, peer_open_dev(&rcv));
	rcv.slot = PEER_INHERITED;
	check_not_owner(_metadata, &rcv, self->tgt.pid, self->op.id);

	/* Ours goes to the receiver, which has a context of its own. */
	ASSERT_EQ(0, send_fd(sw[0], self->fd));
	ASSERT_EQ(0, peer_recv_fd(&rcv));
	check_not_owner(_metadata, &rcv, self->tgt.pid, self->op.id);

	/* The sender's own fd still works for it. */
	EXPECT_EQ(0, peer_ready(&sender, NULL));

	check_owner_intact(_metadata, self);
	EXPECT_EQ(0, peer_stop(&sender));
	EXPECT_EQ(0, peer_stop(&rcv));
	close(theirs);
	close(sv[0]);
	close(sw[0]);
}

/*
 * The owner closes its fd while a forked child still holds the file: the
 * context ends at once (the peer's PIPE_CLOSED is queued by the time
 * close(2) returns, "peer died") and the owner may open /dev/iuc again.
 * The child's fd stays refused.  (The child's hold kept the old context
 * alive and bound to the owner: EBUSY forever, no PIPE_CLOSED.)
 */
TEST_F(ctx_with_pipe, close_last_fd_ends_context)
{
	struct peer child;
	struct iuc_signal s;
	int fd2;

	ASSERT_EQ(0, peer_start(&child, &(struct peer_opts){ .inherit_fd = self->fd }));

	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	ASSERT_EQ(0, peer_read_sig(&self->tgt, &s, 0));
	EXPECT_EQ(IUC_SIG_PIPE_CLOSED, s.code);
	EXPECT_EQ(self->op.peer_id, s.data.pipe_closed.id);
	EXPECT_EQ(IUC_CLOSED_PEER_DIED, s.data.pipe_closed.closing_type);

	fd2 = iuc_open();
	ASSERT_LE(0, fd2) TH_LOG("open after close: %s", strerror(errno));
	EXPECT_EQ(0, iuc_ready(fd2, NULL));
	child.slot = PEER_INHERITED;
	EXPECT_EQ(-EBADFD, peer_ready(&child, NULL));
	EXPECT_EQ(0, peer_stop(&child));
	close(fd2);
}

static void *close_in_thread(void *arg)
{
	return (void *)(intptr_t)close((int)(intptr_t)arg);
}

/*
 * While the process holds another fd of its context (a dup, closed here by
 * another thread), closing one ends nothing; closing the last one does.
 */
TEST_F(ctx_with_pipe, close_dup_keeps_context)
{
	struct race_thread th;
	struct iuc_signal s;
	int fd2, fd3;

	fd2 = dup(self->fd);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, race_thread_start(&th, close_in_thread, (void *)(intptr_t)self->fd));
	EXPECT_EQ(NULL, race_thread_join(&th));
	self->fd = -1;
	EXPECT_EQ(-ETIMEDOUT, peer_read_sig(&self->tgt, &s, 0));
	EXPECT_EQ(-1, iuc_open());
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(0, iuc_ready(fd2, NULL));

	ASSERT_EQ(0, close(fd2));
	ASSERT_EQ(0, peer_read_sig(&self->tgt, &s, 0));
	EXPECT_EQ(IUC_SIG_PIPE_CLOSED, s.code);
	fd3 = iuc_open();
	EXPECT_LE(0, fd3);
	close(fd3);
}

/* ---- the owner dies --------------------------------------------------------- */

/*
 * The test process: a subreaper (the holder H is reparented to it when
 * the owner O dies, so that it can reap H) with a READY context handling
 * RECV_PIPE and PIPE_CLOSED.  O: a READY context handling both; H: O's
 * forked child, holding O's fd.  A target peer for check_not_owner().
 */
FIXTURE(owner_dies) {
	int fd;
	struct peer owner, holder, tgt;
};

FIXTURE_VARIANT(owner_dies) {
	bool sigkill;		/* O is killed; else it exits 0 */
};

FIXTURE_VARIANT_ADD(owner_dies, exit) {
	.sigkill = false,
};

FIXTURE_VARIANT_ADD(owner_dies, sigkill) {
	.sigkill = true,
};

FIXTURE_SETUP(owner_dies)
{
	static const uint8_t codes[] = { IUC_SIG_RECV_PIPE, IUC_SIG_PIPE_CLOSED };

	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1));
	self->fd = iuc_pipe_ctx();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, peer_start_target(&self->tgt));
	ASSERT_EQ(0, peer_prepare(&self->holder));
	ASSERT_EQ(0, peer_start(&self->owner, &(struct peer_opts){ .sub = &self->holder }));
	ASSERT_EQ(0, peer_open_dev(&self->owner));
	for (size_t i = 0; i < ARRAY_SIZE(codes); i++) {
		ASSERT_EQ(0, peer_handle(&self->owner, codes[i], 0, NULL));
	}
	ASSERT_EQ(0, peer_ready(&self->owner, NULL));
	ASSERT_EQ(0, peer_fork(&self->owner, &self->holder, PEER_FORK_SHARE_FD));
}

FIXTURE_TEARDOWN(owner_dies)
{
	peer_kill(&self->owner);
	EXPECT_EQ(0, peer_stop(&self->holder));
	EXPECT_EQ(0, peer_stop(&self->tgt));
	close(self->fd);
}

/*
 * The context of process O ends when O exits (or is killed), although its
 * forked child H still holds O's fd:
 * - the test process, which had two pipes with O (one it opened, keeping
 *   the SC; one O opened to it, giving it the RC), gets two PIPE_CLOSED
 *   records with closing type "peer died", the part it held and its ids;
 * - OPEN_PIPE to O's pid (a zombie, not reaped yet) fails ESRCH / 0x20;
 * - H keeps getting EBADFD / IUC_E_NOT_OWNER on the inherited fd, and may
 *   open a context of its own.
 */
TEST_F(owner_dies, context_ends_though_child_holds_fd)
{
	struct iuc_open_pipe mine, theirs;
	struct iuc_signal s;
	uint64_t my_rc = 0;
	bool seen_sc = false, seen_rc = false;
	int st;

	/* Pipe 1: we open it and keep the SC. */
	mine = iuc_pipe_args(self->owner.pid, 1);
	ASSERT_EQ(0, iuc_open_pipe(self->fd, &mine));
	/* Pipe 2: O opens it and keeps the SC; we get the RC. */
	theirs = iuc_pipe_args(getpid(), 2);
	ASSERT_EQ(0, peer_open_pipe(&self->owner, &theirs));
	ASSERT_EQ(0, iuc_read_sig(self->fd, &s, TIMEOUT_MS));
	ASSERT_EQ(IUC_SIG_RECV_PIPE, s.code);
	ASSERT_EQ(IUC_PART_RC, s.data.recv_pipe.id_type);
	my_rc = s.data.recv_pipe.id;

	/* H, before: not the owner. */
	self->holder.slot = PEER_INHERITED;
	check_not_owner(_metadata, &self->holder, self->tgt.pid, theirs.id);

	if (variant->sigkill) {
		ASSERT_EQ(0, kill(self->owner.pid, SIGKILL));
	} else {
		ASSERT_EQ(0, peer_exit(&self->owner, 0));
	}

	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, iuc_read_sig(self->fd, &s, TIMEOUT_MS)) TH_LOG("PIPE_CLOSED %d", i);
		EXPECT_EQ(IUC_SIG_PIPE_CLOSED, s.code);
		EXPECT_EQ(IUC_CLOSED_PEER_DIED, s.data.pipe_closed.closing_type);
		EXPECT_EQ(s.data.pipe_closed.id, s.object);
		if (s.data.pipe_closed.id == mine.id) {
			EXPECT_FALSE(seen_sc);
			EXPECT_EQ(IUC_PART_SC, s.data.pipe_closed.part);
			seen_sc = true;
		} else {
			EXPECT_EQ(my_rc, s.data.pipe_closed.id);
			EXPECT_FALSE(seen_rc);
			EXPECT_EQ(IUC_PART_RC, s.data.pipe_closed.part);
			seen_rc = true;
		}
	}
	EXPECT_TRUE(seen_sc && seen_rc);

	/* O is a zombie now (not reaped): its pid has no context. */
	st = wait_child(self->owner.pid, false);
	if (variant->sigkill) {
		EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) TH_LOG("status 0x%x", st);
	} else {
		EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) TH_LOG("status 0x%x", st);
	}
	check_no_such_pid(_metadata, self->fd, self->owner.pid);

	/* H, after: still not the owner of the fd of the ended context. */
	check_not_owner(_metadata, &self->holder, self->tgt.pid, theirs.id);
	/* H may open a context of its own. */
	self->holder.slot = PEER_OWN;
	EXPECT_EQ(0, peer_open_dev(&self->holder));

	EXPECT_EQ(st, peer_stop(&self->owner));
}

/* ---- reaching a process ------------------------------------------------------ */

/* A process without a context cannot be reached, nor one that never opened. */
TEST(no_context_esrch)
{
	struct iuc_open_pipe op;
	struct peer a;
	int fd = iuc_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, peer_start(&a, NULL));
	check_no_such_pid(_metadata, fd, a.pid);
	/* Once it opened one, it can. */
	ASSERT_EQ(0, peer_open_dev(&a));
	op = iuc_pipe_args(a.pid, 1);
	op.notify = IUC_NOTIFY_SKIP;
	EXPECT_EQ(0, iuc_open_pipe(fd, &op));
	EXPECT_EQ(IUC_E_NONE, op.error);
	EXPECT_EQ(0, peer_stop(&a));
}

/*
 * Of a process it may not reach, a caller learns what kill(2) tells it:
 * an unprivileged user's OPEN_PIPE to a root process answers EPERM /
 * IUC_E_OPEN_OTHER_USER whether that process has a context (the test
 * process) or not (a peer).  (It answered ESRCH / 0x20 for the one
 * without, telling which of root's processes use IUC.)
 */
TEST(unreachable_user_learns_nothing_of_context)
{
	struct iuc_open_pipe with, without;
	struct peer user, plain;
	int fd = iuc_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, getuid());
	ASSERT_EQ(0, peer_start(&plain, NULL));
	ASSERT_EQ(0, peer_start(&user, NULL));
	ASSERT_EQ(0, peer_setuid(&user, UID_NOBODY));
	ASSERT_EQ(0, peer_open_dev(&user));

	with = iuc_pipe_args(getpid(), 1);
	EXPECT_EQ(-EPERM, peer_open_pipe(&user, &with));
	EXPECT_EQ(IUC_E_OPEN_OTHER_USER, with.error);
	without = iuc_pipe_args(plain.pid, 1);
	EXPECT_EQ(-EPERM, peer_open_pipe(&user, &without));
	EXPECT_EQ(IUC_E_OPEN_OTHER_USER, without.error);

	EXPECT_EQ(0, peer_stop(&user));
	EXPECT_EQ(0, peer_stop(&plain));
	close(fd);
}

TEST_HARNESS_MAIN
