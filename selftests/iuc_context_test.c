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
#include <pthread.h>

#include "kselftest_harness.h"
#include "iuc_test_util.h"
#include "iuc_race_util.h"

/* /dev/iuc is a character device of mode 0666. */
TEST(device_node)
{
	struct stat st;

	ASSERT_EQ(0, stat(IUC_DEV, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0666, st.st_mode & 07777);
}

/* A second open by the same process: EBUSY; the first fd keeps working. */
TEST(second_open_ebusy)
{
	int fd = iuc_open(), fd2;
	uint32_t err;

	ASSERT_LE(0, fd);
	fd2 = iuc_open();
	EXPECT_EQ(-1, fd2);
	EXPECT_EQ(EBUSY, errno);
	fd2 = open(IUC_DEV, O_RDWR);
	EXPECT_EQ(-1, fd2);
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(0, iuc_handle_signal(fd, IUC_SIG_RECV_PIPE, 0, &err));
	EXPECT_EQ(IUC_E_NONE, err);
	EXPECT_EQ(0, iuc_ready(fd, &err));
	EXPECT_EQ(IUC_E_NONE, err);
}

static void *open_in_thread(void *arg)
{
	int *res = arg;
	int fd = iuc_open();

	*res = fd < 0 ? -errno : fd;
	return NULL;
}

/* The context belongs to the process: another thread of it gets EBUSY. */
TEST(second_open_from_thread_ebusy)
{
	int fd = iuc_open(), res = 0;
	pthread_t t;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pthread_create(&t, NULL, open_in_thread, &res));
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(-EBUSY, res);
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
	struct agent a, b;
	int h = -1;
	int fd = iuc_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, agent_start(&a, NULL));
	ASSERT_EQ(0, agent_start(&b, NULL));
	EXPECT_EQ(0, ag_open_dev(&a));
	EXPECT_EQ(0, ag_open_dev(&b));
	/* ...and only one each. */
	EXPECT_EQ(-EBUSY, ag_open_dev(&a));

	EXPECT_EQ(0, ag_handle(&a, IUC_SIG_RECV_PIPE, 0, NULL));
	EXPECT_EQ(0, ag_ready(&a, NULL));
	/* Nothing of a's shows in b's or in ours. */
	EXPECT_EQ(0, ag_is_handled(&b, IUC_SIG_RECV_PIPE, &h, NULL));
	EXPECT_EQ(0, h);
	h = -1;
	EXPECT_EQ(0, iuc_is_signal_handled(fd, IUC_SIG_RECV_PIPE, &h, NULL, NULL));
	EXPECT_EQ(0, h);
	EXPECT_EQ(0, ag_ready(&b, NULL));
	EXPECT_EQ(0, iuc_ready(fd, NULL));
	EXPECT_EQ(0, ag_stop(&a));
	EXPECT_EQ(0, ag_stop(&b));
}

/* Any user may open /dev/iuc and use it. */
TEST(unprivileged_user_opens)
{
	struct stat root, dev;
	struct agent a;
	uint32_t err;

	ASSERT_EQ(0, agent_start(&a, NULL));
	ASSERT_EQ(0, ag_setuid(&a, 65534));
	ASSERT_EQ(0, stat("/", &root));
	ASSERT_EQ(0, stat("/dev", &dev));
	EXPECT_EQ(0, ag_open_dev(&a))
		TH_LOG("mode of / %o, of /dev %o (must be searchable by others)",
		       root.st_mode & 07777, dev.st_mode & 07777);
	EXPECT_EQ(0, ag_handle(&a, IUC_SIG_RECV_PIPE, (uint32_t)SIGRTMIN, &err));
	EXPECT_EQ(IUC_E_NONE, err);
	EXPECT_EQ(0, ag_ready(&a, &err));
	EXPECT_EQ(IUC_E_NONE, err);
	EXPECT_EQ(0, ag_stop(&a));
}

/*
 * Run every implemented call, read(2) and poll(2) through the agent's
 * selected slot, which holds an fd that is not the agent's, and check
 * that all fail with EBADFD / IUC_E_NOT_OWNER (POLLERR for poll).
 * @target: a READY agent that handles RECV_PIPE; @pipe_id: a pipe of the
 * fd's owner.
 */
static void check_not_owner(struct __test_metadata *_metadata, struct agent *ag,
			    pid_t target, uint64_t pipe_id)
{
	struct iuc_open_pipe op = iuc_pipe_args(target, 0xBAD);
	uint32_t err;
	int h, rev;

	err = 0;
	EXPECT_EQ(-EBADFD, ag_handle(ag, IUC_SIG_UNSHARED_MEM, 0, &err));
	EXPECT_EQ(IUC_E_NOT_OWNER, err);
	err = 0;
	EXPECT_EQ(-EBADFD, ag_unhandle(ag, IUC_SIG_RECV_PIPE, &err));
	EXPECT_EQ(IUC_E_NOT_OWNER, err);
	err = 0;
	EXPECT_EQ(-EBADFD, ag_is_handled(ag, IUC_SIG_RECV_PIPE, &h, &err));
	EXPECT_EQ(IUC_E_NOT_OWNER, err);
	err = 0;
	EXPECT_EQ(-EBADFD, ag_ready(ag, &err));
	EXPECT_EQ(IUC_E_NOT_OWNER, err);
	EXPECT_EQ(-EBADFD, ag_open_pipe(ag, &op));
	EXPECT_EQ(IUC_E_NOT_OWNER, op.error);
	err = 0;
	EXPECT_EQ(-EBADFD, ag_close_pipe(ag, pipe_id, &err));
	EXPECT_EQ(IUC_E_NOT_OWNER, err);
	EXPECT_EQ(-EBADFD, ag_read_raw(ag));
	rev = ag_poll(ag, 0);
	EXPECT_LT(0, rev);
	EXPECT_EQ(POLLERR, rev & (POLLERR | POLLIN));
}

/*
 * The owner's context was not changed by the refused calls of
 * check_not_owner(): UNSHARED_MEM unhandled, RECV_PIPE handled, not
 * READY, its pipe @pipe_id to @target still open and no pipe opened.
 */
static void check_owner_intact(struct __test_metadata *_metadata, int fd,
			       struct agent *target, uint64_t pipe_id,
			       uint64_t peer_id)
{
	struct iuc_signal s;
	int h = -1;

	EXPECT_EQ(0, iuc_is_signal_handled(fd, IUC_SIG_UNSHARED_MEM, &h, NULL, NULL));
	EXPECT_EQ(0, h);
	h = -1;
	EXPECT_EQ(0, iuc_is_signal_handled(fd, IUC_SIG_RECV_PIPE, &h, NULL, NULL));
	EXPECT_EQ(1, h);
	EXPECT_EQ(0, iuc_ready(fd, NULL));
	EXPECT_EQ(0, iuc_close_pipe(fd, pipe_id, NULL));
	/* The target's next record is that close: no pipe 0xBAD came. */
	ASSERT_EQ(0, ag_read_sig(target, &s, TIMEOUT_MS));
	EXPECT_EQ(IUC_SIG_PIPE_CLOSED, s.code);
	EXPECT_EQ(peer_id, s.data.pipe_closed.id);
}

/*
 * A forked child holding the parent's fd cannot use it, while it can open
 * a context of its own; the parent's context is unaffected.
 */
TEST(forked_child_not_owner)
{
	struct agent_opts o = { .inherit_fd = -1, .sock = -1 };
	struct iuc_open_pipe op;
	struct agent child, tgt;
	struct iuc_signal s;
	int fd = iuc_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, iuc_handle_signal(fd, IUC_SIG_RECV_PIPE, 0, NULL));
	ASSERT_EQ(0, ag_start_target(&tgt));
	op = iuc_pipe_args(tgt.pid, 1);
	ASSERT_EQ(0, iuc_open_pipe(fd, &op));
	ASSERT_EQ(0, ag_read_sig(&tgt, &s, TIMEOUT_MS));

	o.inherit_fd = fd;
	ASSERT_EQ(0, agent_start(&child, &o));
	child.slot = AG_INHERITED;
	check_not_owner(_metadata, &child, tgt.pid, op.id);
	/* The child has no context: it may open one. */
	child.slot = AG_OWN;
	EXPECT_EQ(0, ag_open_dev(&child));
	EXPECT_EQ(0, ag_handle(&child, IUC_SIG_UNSHARED_MEM, 0, NULL));
	/* The inherited fd still is not the child's. */
	child.slot = AG_INHERITED;
	check_not_owner(_metadata, &child, tgt.pid, op.id);

	check_owner_intact(_metadata, fd, &tgt, op.id, op.peer_id);
	EXPECT_EQ(0, ag_stop(&child));
	EXPECT_EQ(0, ag_stop(&tgt));
}

/*
 * An fd passed with SCM_RIGHTS stays bound to the process that opened it,
 * in both directions, whether the receiver has a context or not.
 */
TEST(scm_rights_not_owner)
{
	struct agent_opts o = { .inherit_fd = -1, .sock = -1 };
	struct iuc_open_pipe op;
	struct agent child, tgt;
	struct iuc_signal s;
	int sv[2], fd, theirs;
	uint32_t err;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	o.sock = sv[1];
	ASSERT_EQ(0, agent_start(&child, &o));
	close(sv[1]);
	ASSERT_EQ(0, ag_start_target(&tgt));

	/* The agent's fd comes to the test process, which has no context. */
	ASSERT_EQ(0, ag_open_dev(&child));
	ASSERT_EQ(0, ag_send_fd(&child));
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

	/* Ours goes to the agent, which has a context of its own. */
	fd = iuc_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, iuc_handle_signal(fd, IUC_SIG_RECV_PIPE, 0, NULL));
	op = iuc_pipe_args(tgt.pid, 1);
	ASSERT_EQ(0, iuc_open_pipe(fd, &op));
	ASSERT_EQ(0, ag_read_sig(&tgt, &s, TIMEOUT_MS));
	ASSERT_EQ(0, send_fd(sv[0], fd));
	ASSERT_EQ(0, ag_recv_fd(&child));
	child.slot = AG_INHERITED;
	check_not_owner(_metadata, &child, tgt.pid, op.id);

	/* Having our own context does not make the agent's fd ours. */
	err = 0;
	EXPECT_EQ(-EBADFD, iuc_handle_signal(theirs, IUC_SIG_RECV_PIPE, 0, &err));
	EXPECT_EQ(IUC_E_NOT_OWNER, err);
	/* And the agent's own fd still works for it. */
	child.slot = AG_OWN;
	EXPECT_EQ(0, ag_ready(&child, NULL));

	check_owner_intact(_metadata, fd, &tgt, op.id, op.peer_id);
	EXPECT_EQ(0, ag_stop(&child));
	EXPECT_EQ(0, ag_stop(&tgt));
}

/*
 * The context of process O ends when O exits (or is killed), although its
 * forked child H still holds O's fd:
 * - the test process, which had two pipes with O (one it opened, keeping
 *   the SC; one O opened to it, giving it the RC), gets two PIPE_CLOSED
 *   records with closing type "peer died", the part it held and its ids;
 * - OPEN_PIPE to O's pid (a zombie, not reaped yet) fails ESRCH / 0x20;
 * - H keeps getting EBADFD / IUC_E_NOT_OWNER on the inherited fd.
 */
static void check_context_ends(struct __test_metadata *_metadata, bool sigkill)
{
	struct iuc_open_pipe mine, theirs, probe;
	struct agent_opts o = { .inherit_fd = -1, .sock = -1 };
	struct agent owner, holder, tgt;
	struct iuc_signal s;
	uint64_t my_rc = 0;
	bool seen_sc = false, seen_rc = false;
	int fd, st;

	/* H is reparented to us when O dies, so that we can reap it. */
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1));
	fd = iuc_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, iuc_handle_signal(fd, IUC_SIG_RECV_PIPE, 0, NULL));
	ASSERT_EQ(0, iuc_handle_signal(fd, IUC_SIG_PIPE_CLOSED, 0, NULL));
	ASSERT_EQ(0, iuc_ready(fd, NULL));
	ASSERT_EQ(0, ag_start_target(&tgt));	/* for check_not_owner() */

	ASSERT_EQ(0, agent_prepare(&holder));
	o.sub = &holder;
	ASSERT_EQ(0, agent_start(&owner, &o));
	ASSERT_EQ(0, ag_open_dev(&owner));
	ASSERT_EQ(0, ag_handle(&owner, IUC_SIG_RECV_PIPE, 0, NULL));
	ASSERT_EQ(0, ag_handle(&owner, IUC_SIG_PIPE_CLOSED, 0, NULL));
	ASSERT_EQ(0, ag_ready(&owner, NULL));
	ASSERT_EQ(0, ag_fork(&owner, &holder));

	/* Pipe 1: we open it and keep the SC. */
	mine = iuc_pipe_args(owner.pid, 1);
	ASSERT_EQ(0, iuc_open_pipe(fd, &mine));
	/* Pipe 2: O opens it and keeps the SC; we get the RC. */
	theirs = iuc_pipe_args(getpid(), 2);
	ASSERT_EQ(0, ag_open_pipe(&owner, &theirs));
	ASSERT_EQ(0, iuc_read_sig(fd, &s, TIMEOUT_MS));
	ASSERT_EQ(IUC_SIG_RECV_PIPE, s.code);
	ASSERT_EQ(IUC_PART_RC, s.data.recv_pipe.id_type);
	my_rc = s.data.recv_pipe.id;

	/* H, before: not the owner. */
	holder.slot = AG_INHERITED;
	check_not_owner(_metadata, &holder, tgt.pid, theirs.id);

	if (sigkill) {
		ASSERT_EQ(0, kill(owner.pid, SIGKILL));
	} else {
		ASSERT_EQ(0, ag_exit(&owner, 0));
	}

	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, iuc_read_sig(fd, &s, TIMEOUT_MS)) TH_LOG("PIPE_CLOSED %d", i);
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
	st = wait_child(owner.pid, false);
	if (sigkill) {
		EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) TH_LOG("status 0x%x", st);
	} else {
		EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) TH_LOG("status 0x%x", st);
	}
	probe = iuc_pipe_args(owner.pid, 3);
	EXPECT_EQ(-ESRCH, iuc_open_pipe(fd, &probe));
	EXPECT_EQ(IUC_E_OPEN_NO_SUCH_PID, probe.error);
	probe.notify = IUC_NOTIFY_SKIP;
	EXPECT_EQ(-ESRCH, iuc_open_pipe(fd, &probe));
	EXPECT_EQ(IUC_E_OPEN_NO_SUCH_PID, probe.error);

	/* H, after: still not the owner of the fd of the ended context. */
	check_not_owner(_metadata, &holder, tgt.pid, theirs.id);
	/* H may open a context of its own. */
	holder.slot = AG_OWN;
	EXPECT_EQ(0, ag_open_dev(&holder));

	EXPECT_EQ(0, wait_child(owner.pid, true) < 0);
	close(owner.cmd);
	close(owner.rsp);
	EXPECT_EQ(0, ag_stop(&holder));
	EXPECT_EQ(0, ag_stop(&tgt));
}

TEST(context_ends_at_exit)
{
	check_context_ends(_metadata, false);
}

TEST(context_ends_at_sigkill)
{
	check_context_ends(_metadata, true);
}

/* A process without a context cannot be reached, nor one that never opened. */
TEST(no_context_esrch)
{
	struct iuc_open_pipe op;
	struct agent a;
	int fd = iuc_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, agent_start(&a, NULL));
	op = iuc_pipe_args(a.pid, 1);
	EXPECT_EQ(-ESRCH, iuc_open_pipe(fd, &op));
	EXPECT_EQ(IUC_E_OPEN_NO_SUCH_PID, op.error);
	op.notify = IUC_NOTIFY_SKIP;
	EXPECT_EQ(-ESRCH, iuc_open_pipe(fd, &op));
	EXPECT_EQ(IUC_E_OPEN_NO_SUCH_PID, op.error);
	/* Once it opened one, it can. */
	ASSERT_EQ(0, ag_open_dev(&a));
	EXPECT_EQ(0, iuc_open_pipe(fd, &op));
	EXPECT_EQ(IUC_E_NONE, op.error);
	EXPECT_EQ(0, ag_stop(&a));
}

/*
 * Start a target agent and open a notified pipe to it from @fd, whose
 * RECV_PIPE it reads.  0 or -errno.
 */
static int pipe_to_target(int fd, struct agent *tgt, struct iuc_open_pipe *op)
{
	struct iuc_signal s;
	int ret = ag_start_target(tgt);

	*op = iuc_pipe_args(tgt->pid, 1);
	if (!ret)
		ret = iuc_open_pipe(fd, op);
	if (!ret)
		ret = ag_read_sig(tgt, &s, TIMEOUT_MS);
	return ret;
}

/*
 * The owner closes its fd while a forked child still holds the file: the
 * context ends at once (the peer's PIPE_CLOSED is queued by the time
 * close(2) returns, "peer died") and the owner may open /dev/iuc again.
 * The child's fd stays refused.  (The child's hold kept the old context
 * alive and bound to the owner: EBUSY forever, no PIPE_CLOSED.)
 */
TEST(close_last_fd_ends_context)
{
	struct agent_opts o = { .inherit_fd = -1, .sock = -1 };
	struct iuc_open_pipe op;
	struct agent child, tgt;
	struct iuc_signal s;
	int fd = iuc_open(), fd2;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe_to_target(fd, &tgt, &op));
	o.inherit_fd = fd;
	ASSERT_EQ(0, agent_start(&child, &o));

	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0, ag_read_sig(&tgt, &s, 0));
	EXPECT_EQ(IUC_SIG_PIPE_CLOSED, s.code);
	EXPECT_EQ(op.peer_id, s.data.pipe_closed.id);
	EXPECT_EQ(IUC_CLOSED_PEER_DIED, s.data.pipe_closed.closing_type);

	fd2 = iuc_open();
	ASSERT_LE(0, fd2) TH_LOG("open after close: %s", strerror(errno));
	EXPECT_EQ(0, iuc_ready(fd2, NULL));
	child.slot = AG_INHERITED;
	EXPECT_EQ(-EBADFD, ag_ready(&child, NULL));
	EXPECT_EQ(0, ag_stop(&child));
	EXPECT_EQ(0, ag_stop(&tgt));
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
TEST(close_dup_keeps_context)
{
	struct iuc_open_pipe op;
	struct race_thread th;
	struct agent tgt;
	struct iuc_signal s;
	int fd = iuc_open(), fd2, fd3;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe_to_target(fd, &tgt, &op));

	fd2 = dup(fd);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, race_thread_start(&th, close_in_thread, (void *)(intptr_t)fd));
	EXPECT_EQ(NULL, race_thread_join(&th));
	EXPECT_EQ(-ETIMEDOUT, ag_read_sig(&tgt, &s, 0));
	EXPECT_EQ(-1, iuc_open());
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(0, iuc_ready(fd2, NULL));

	ASSERT_EQ(0, close(fd2));
	ASSERT_EQ(0, ag_read_sig(&tgt, &s, 0));
	EXPECT_EQ(IUC_SIG_PIPE_CLOSED, s.code);
	fd3 = iuc_open();
	EXPECT_LE(0, fd3);
	EXPECT_EQ(0, ag_stop(&tgt));
	close(fd3);
}

/*
 * Of a process it may not reach, a caller learns what kill(2) tells it:
 * an unprivileged user's OPEN_PIPE to a root process answers EPERM /
 * IUC_E_OPEN_OTHER_USER whether that process has a context (the test
 * process) or not (an agent).  (It answered ESRCH / 0x20 for the one
 * without, telling which of root's processes use IUC.)
 */
TEST(unreachable_user_learns_nothing_of_context)
{
	struct iuc_open_pipe with, without;
	struct agent user, plain;
	int fd = iuc_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, getuid());
	ASSERT_EQ(0, agent_start(&plain, NULL));
	ASSERT_EQ(0, agent_start(&user, NULL));
	ASSERT_EQ(0, ag_setuid(&user, 65534));
	ASSERT_EQ(0, ag_open_dev(&user));

	with = iuc_pipe_args(getpid(), 1);
	EXPECT_EQ(-EPERM, ag_open_pipe(&user, &with));
	EXPECT_EQ(IUC_E_OPEN_OTHER_USER, with.error);
	without = iuc_pipe_args(plain.pid, 1);
	EXPECT_EQ(-EPERM, ag_open_pipe(&user, &without));
	EXPECT_EQ(IUC_E_OPEN_OTHER_USER, without.error);

	EXPECT_EQ(0, ag_stop(&user));
	EXPECT_EQ(0, ag_stop(&plain));
	close(fd);
}

TEST_HARNESS_MAIN
