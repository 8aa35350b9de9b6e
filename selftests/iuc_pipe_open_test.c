// SPDX-License-Identifier: GPL-2.0
/*
 * IUC selftests: OPEN_PIPE and CLOSE_PIPE, their signal records and their
 * errors.
 *
 * Whenever a call is refused, the test checks that it had no effect: the
 * target's next record comes from a later, valid call.
 */
#include "kselftest_harness.h"
#include "iuc_test_util.h"

/* Our context, handling RECV_PIPE and PIPE_CLOSED (records only), READY. */
static int open_ready(void)
{
	int fd = iuc_open();

	if (fd < 0)
		return -errno;
	if (iuc_handle_signal(fd, IUC_SIG_RECV_PIPE, 0, NULL) ||
	    iuc_handle_signal(fd, IUC_SIG_PIPE_CLOSED, 0, NULL) ||
	    iuc_ready(fd, NULL)) {
		close(fd);
		return -EIO;
	}
	return fd;
}

/*
 * The next record of @tgt must be the RECV_PIPE of a pipe opened now by
 * @fd with @command: proves that @tgt got no record before.
 */
static void expect_next_is_new_pipe(struct __test_metadata *_metadata, int fd,
				    struct agent *tgt, uint16_t command)
{
	struct iuc_open_pipe op = iuc_pipe_args(tgt->pid, command);
	struct iuc_signal s;

	ASSERT_EQ(0, iuc_open_pipe(fd, &op));
	ASSERT_EQ(0, ag_read_sig(tgt, &s, TIMEOUT_MS));
	EXPECT_EQ(IUC_SIG_RECV_PIPE, s.code);
	EXPECT_EQ(command, s.data.recv_pipe.command);
	EXPECT_EQ(op.peer_id, s.data.recv_pipe.id);
	EXPECT_EQ(0, iuc_close_pipe(fd, op.id, NULL));
	ASSERT_EQ(0, ag_read_sig(tgt, &s, TIMEOUT_MS));
	EXPECT_EQ(IUC_SIG_PIPE_CLOSED, s.code);
}

/*
 * The RECV_PIPE record holds the creator's pid and ANID (inode of its IPC
 * namespace), the target's identifier (also returned as peer_id and in
 * @object), the command, the part the target got, the mode and the size
 * hint; CLOSE_PIPE by the creator gives the target PIPE_CLOSED "by call"
 * with the part it held and its identifier.
 */
TEST(recv_pipe_record)
{
	static const struct {
		uint8_t type, mode, multiplier;
		uint16_t command;
		uint64_t size_hint;
	} cases[] = {
		{ IUC_PIPE_TYPE_CALLER_SENDS, IUC_PIPE_MODE_RAW, 0, 0x0000, 0 },
		{ IUC_PIPE_TYPE_CALLER_SENDS, IUC_PIPE_MODE_MESSAGE, 1, 0xFFFF, 4096 },
		{ IUC_PIPE_TYPE_CALLER_RECEIVES, IUC_PIPE_MODE_RAW, 16, 0x1234, 1ull << 40 },
		{ IUC_PIPE_TYPE_CALLER_RECEIVES, IUC_PIPE_MODE_MESSAGE, 255, 0x8001, UINT64_MAX },
	};
	uint64_t anid = ipc_ns_ino();
	struct agent tgt;
	int fd = open_ready();

	ASSERT_LE(0, fd);
	ASSERT_NE(0, anid);
	ASSERT_GE(UINT32_MAX, anid);
	ASSERT_EQ(0, ag_start_target(&tgt));

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct iuc_open_pipe op = iuc_pipe_args(tgt.pid, cases[i].command);
		uint8_t part = cases[i].type == IUC_PIPE_TYPE_CALLER_SENDS ?
			       IUC_PART_RC : IUC_PART_SC;
		struct iuc_signal s;
		uint32_t err;

		op.type = cases[i].type;
		op.mode = cases[i].mode;
		op.multiplier = cases[i].multiplier;
		op.size_hint = cases[i].size_hint;
		ASSERT_EQ(0, iuc_open_pipe(fd, &op)) TH_LOG("case %zu", i);
		EXPECT_EQ(IUC_E_NONE, op.error);
		EXPECT_NE(0, op.id);
		EXPECT_NE(0, op.peer_id);

		ASSERT_EQ(0, ag_read_sig(&tgt, &s, TIMEOUT_MS));
		EXPECT_EQ(IUC_SIG_RECV_PIPE, s.code);
		EXPECT_EQ((uint64_t)getpid(), s.data.recv_pipe.creator_pid);
		EXPECT_EQ(anid, s.data.recv_pipe.creator_anid);
		EXPECT_EQ(op.peer_id, s.data.recv_pipe.id);
		EXPECT_EQ(op.peer_id, s.object);
		EXPECT_EQ(cases[i].command, s.data.recv_pipe.command);
		EXPECT_EQ(part, s.data.recv_pipe.id_type);
		EXPECT_EQ(cases[i].mode, s.data.recv_pipe.mode);
		EXPECT_EQ(cases[i].size_hint, s.data.recv_pipe.size_hint);
		EXPECT_TRUE(sig_reserved_zero(&s));

		EXPECT_EQ(0, iuc_close_pipe(fd, op.id, &err));
		EXPECT_EQ(IUC_E_NONE, err);
		ASSERT_EQ(0, ag_read_sig(&tgt, &s, TIMEOUT_MS));
		EXPECT_EQ(IUC_SIG_PIPE_CLOSED, s.code);
		EXPECT_EQ(IUC_CLOSED_BY_CALL, s.data.pipe_closed.closing_type);
		EXPECT_EQ(part, s.data.pipe_closed.part);
		EXPECT_EQ(op.peer_id, s.data.pipe_closed.id);
		EXPECT_EQ(op.peer_id, s.object);
		EXPECT_TRUE(all_zero(s.data.pipe_closed.__pad, sizeof(s.data.pipe_closed.__pad)));
		EXPECT_TRUE(sig_reserved_zero(&s));
	}
	EXPECT_EQ(0, ag_stop(&tgt));
}

/*
 * The target closes with its own identifier: the creator gets PIPE_CLOSED
 * with the part it kept (SC for type 0, RC for type 1) and its identifier;
 * the identifier is gone for the closer (EBADF / 0x10).
 */
TEST(close_by_target)
{
	static const uint8_t types[] = {
		IUC_PIPE_TYPE_CALLER_SENDS, IUC_PIPE_TYPE_CALLER_RECEIVES,
	};
	struct agent tgt;
	int fd = open_ready();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ag_start_target(&tgt));
	for (size_t i = 0; i < 2; i++) {
		struct iuc_open_pipe op = iuc_pipe_args(tgt.pid, 0x40);
		struct iuc_signal s;
		uint32_t err;

		op.type = types[i];
		ASSERT_EQ(0, iuc_open_pipe(fd, &op));
		ASSERT_EQ(0, ag_read_sig(&tgt, &s, TIMEOUT_MS));
		ASSERT_EQ(0, ag_close_pipe(&tgt, op.peer_id, &err));
		EXPECT_EQ(IUC_E_NONE, err);

		ASSERT_EQ(0, iuc_read_sig(fd, &s, TIMEOUT_MS));
		EXPECT_EQ(IUC_SIG_PIPE_CLOSED, s.code);
		EXPECT_EQ(IUC_CLOSED_BY_CALL, s.data.pipe_closed.closing_type);
		EXPECT_EQ(types[i] == IUC_PIPE_TYPE_CALLER_SENDS ? IUC_PART_SC : IUC_PART_RC,
			  s.data.pipe_closed.part);
		EXPECT_EQ(op.id, s.data.pipe_closed.id);
		EXPECT_EQ(op.id, s.object);

		EXPECT_EQ(-EBADF, ag_close_pipe(&tgt, op.peer_id, &err));
		EXPECT_EQ(IUC_E_CLOSE_UNKNOWN_ID, err);
	}
	EXPECT_EQ(0, ag_stop(&tgt));
}

/*
 * The closer gets no PIPE_CLOSED of its own (its next record is the
 * RECV_PIPE of a pipe opened afterwards), and its identifier is gone.
 */
TEST(closer_gets_no_record)
{
	struct iuc_open_pipe op, back;
	struct iuc_signal s;
	struct agent tgt;
	uint32_t err;
	int fd = open_ready();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ag_start_target(&tgt));
	op = iuc_pipe_args(tgt.pid, 1);
	ASSERT_EQ(0, iuc_open_pipe(fd, &op));
	ASSERT_EQ(0, iuc_close_pipe(fd, op.id, NULL));
	ASSERT_EQ(0, ag_read_sig(&tgt, &s, TIMEOUT_MS));	/* RECV_PIPE */
	ASSERT_EQ(0, ag_read_sig(&tgt, &s, TIMEOUT_MS));
	EXPECT_EQ(IUC_SIG_PIPE_CLOSED, s.code);

	back = iuc_pipe_args(getpid(), 2);
	ASSERT_EQ(0, ag_open_pipe(&tgt, &back));
	ASSERT_EQ(0, iuc_read_sig(fd, &s, TIMEOUT_MS));
	EXPECT_EQ(IUC_SIG_RECV_PIPE, s.code);
	EXPECT_EQ(2, s.data.recv_pipe.command);

	EXPECT_EQ(-EBADF, iuc_close_pipe(fd, op.id, &err));
	EXPECT_EQ(IUC_E_CLOSE_UNKNOWN_ID, err);
	EXPECT_EQ(0, ag_stop(&tgt));
}

/* CLOSE_PIPE of an identifier the caller does not have: EBADF / 0x10. */
TEST(close_unknown_id)
{
	struct iuc_open_pipe op;
	struct iuc_signal s;
	struct agent tgt;
	uint32_t err;
	int fd = open_ready();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ag_start_target(&tgt));
	/* Without any pipe. */
	EXPECT_EQ(-EBADF, iuc_close_pipe(fd, 1, &err));
	EXPECT_EQ(IUC_E_CLOSE_UNKNOWN_ID, err);

	op = iuc_pipe_args(tgt.pid, 1);
	ASSERT_EQ(0, iuc_open_pipe(fd, &op));
	ASSERT_EQ(0, ag_read_sig(&tgt, &s, TIMEOUT_MS));
	{
		uint64_t bad[] = { op.id + 1, op.id + 1000, ~op.id, op.id ^ (1ull << 63),
				   UINT64_MAX };

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			if (bad[i] == op.id || bad[i] == 0)
				continue;
			EXPECT_EQ(-EBADF, iuc_close_pipe(fd, bad[i], &err))
				TH_LOG("id 0x%llx", (unsigned long long)bad[i]);
			EXPECT_EQ(IUC_E_CLOSE_UNKNOWN_ID, err);
		}
	}
	/* The real pipe is still open. */
	EXPECT_EQ(0, iuc_close_pipe(fd, op.id, NULL));
	ASSERT_EQ(0, ag_read_sig(&tgt, &s, TIMEOUT_MS));
	EXPECT_EQ(IUC_SIG_PIPE_CLOSED, s.code);
	EXPECT_EQ(op.peer_id, s.data.pipe_closed.id);
	EXPECT_EQ(0, ag_stop(&tgt));
}

/* Bad mode (0x10), bad notify (0x11), bad type (0x02): EINVAL, no pipe. */
TEST(bad_arguments_einval)
{
	static const uint8_t bad[] = { 2, 3, 0x7F, 0x80, 0xFF };
	struct iuc_open_pipe op;
	struct agent tgt;
	int fd = open_ready();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ag_start_target(&tgt));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		op = iuc_pipe_args(tgt.pid, 1);
		op.mode = bad[i];
		EXPECT_EQ(-EINVAL, iuc_open_pipe(fd, &op)) TH_LOG("mode %u", bad[i]);
		EXPECT_EQ(IUC_E_OPEN_BAD_MODE, op.error);

		op = iuc_pipe_args(tgt.pid, 1);
		op.notify = bad[i];
		EXPECT_EQ(-EINVAL, iuc_open_pipe(fd, &op)) TH_LOG("notify %u", bad[i]);
		EXPECT_EQ(IUC_E_OPEN_BAD_NOTIFY, op.error);

		op = iuc_pipe_args(tgt.pid, 1);
		op.type = bad[i];
		EXPECT_EQ(-EINVAL, iuc_open_pipe(fd, &op)) TH_LOG("type %u", bad[i]);
		EXPECT_EQ(IUC_E_INVALID_ARG, op.error);
	}
	expect_next_is_new_pipe(_metadata, fd, &tgt, 0x5A5A);
	EXPECT_EQ(0, ag_stop(&tgt));
}

/* No such process: ESRCH / 0x20, notified or not. */
TEST(no_such_pid_esrch)
{
	struct iuc_open_pipe op;
	struct agent gone, tgt;
	long long pid_max = param_read("/proc/sys/kernel/pid_max");
	uint64_t pids[5];
	int fd = open_ready();

	ASSERT_LE(0, fd);
	ASSERT_LT(0, pid_max);
	ASSERT_EQ(0, ag_start_target(&tgt));
	/* A process that has ended and been reaped. */
	ASSERT_EQ(0, agent_start(&gone, NULL));
	ASSERT_EQ(0, ag_stop(&gone));

	pids[0] = (uint64_t)pid_max;		/* pids are below pid_max */
	pids[1] = (uint64_t)gone.pid;
	/* The target's pid in the upper bits: no truncation to 32 bits. */
	pids[2] = (1ull << 32) | (uint64_t)tgt.pid;
	pids[3] = 0x7FFFFFFF;
	pids[4] = UINT64_MAX;
	/* The reaped pid could have been reused by now: only if not ours. */
	ASSERT_NE(tgt.pid, gone.pid);

	for (size_t i = 0; i < sizeof(pids) / sizeof(pids[0]); i++) {
		for (uint8_t notify = IUC_NOTIFY; notify <= IUC_NOTIFY_SKIP; notify++) {
			op = iuc_pipe_args(0, 1);
			op.target_pid = pids[i];
			op.notify = notify;
			EXPECT_EQ(-ESRCH, iuc_open_pipe(fd, &op))
				TH_LOG("pid 0x%llx notify %u", (unsigned long long)pids[i], notify);
			EXPECT_EQ(IUC_E_OPEN_NO_SUCH_PID, op.error);
		}
	}
	expect_next_is_new_pipe(_metadata, fd, &tgt, 0x77);
	EXPECT_EQ(0, ag_stop(&tgt));
}

/*
 * A target with a context that does not handle RECV_PIPE (never, or not
 * any more): notified OPEN_PIPE fails ENOENT / 0x23 and opens nothing;
 * IUC_NOTIFY_SKIP opens the pipe without a record, and peer_id is the
 * target's identifier (its PIPE_CLOSED carries it).
 */
TEST(no_handler_enoent)
{
	struct iuc_open_pipe op;
	struct iuc_signal s;
	struct agent tgt;
	uint32_t err;
	int fd = open_ready();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, agent_start(&tgt, NULL));
	ASSERT_EQ(0, ag_open_dev(&tgt));
	ASSERT_EQ(0, ag_handle(&tgt, IUC_SIG_PIPE_CLOSED, 0, NULL));

	op = iuc_pipe_args(tgt.pid, 1);
	EXPECT_EQ(-ENOENT, iuc_open_pipe(fd, &op));
	EXPECT_EQ(IUC_E_OPEN_NO_HANDLER, op.error);
	ASSERT_EQ(0, ag_ready(&tgt, NULL));
	EXPECT_EQ(-ENOENT, iuc_open_pipe(fd, &op));
	EXPECT_EQ(IUC_E_OPEN_NO_HANDLER, op.error);
	/* Handled, then unhandled again. */
	ASSERT_EQ(0, ag_handle(&tgt, IUC_SIG_RECV_PIPE, 0, NULL));
	ASSERT_EQ(0, ag_unhandle(&tgt, IUC_SIG_RECV_PIPE, NULL));
	EXPECT_EQ(-ENOENT, iuc_open_pipe(fd, &op));
	EXPECT_EQ(IUC_E_OPEN_NO_HANDLER, op.error);

	op = iuc_pipe_args(tgt.pid, 2);
	op.notify = IUC_NOTIFY_SKIP;
	ASSERT_EQ(0, iuc_open_pipe(fd, &op));
	EXPECT_EQ(IUC_E_NONE, op.error);
	EXPECT_NE(0, op.id);
	EXPECT_NE(0, op.peer_id);
	ASSERT_EQ(0, iuc_close_pipe(fd, op.id, &err));
	/* The first record of the target: the skipped pipe's close. */
	ASSERT_EQ(0, ag_read_sig(&tgt, &s, TIMEOUT_MS));
	EXPECT_EQ(IUC_SIG_PIPE_CLOSED, s.code);
	EXPECT_EQ(op.peer_id, s.data.pipe_closed.id);
	EXPECT_EQ(IUC_PART_RC, s.data.pipe_closed.part);
	EXPECT_EQ(0, ag_stop(&tgt));
}

/* IUC_NOTIFY_SKIP to a target that handles RECV_PIPE: no record either. */
TEST(skip_sends_no_record)
{
	struct iuc_open_pipe op;
	struct iuc_signal s;
	struct agent tgt;
	int fd = open_ready();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ag_start_target(&tgt));
	op = iuc_pipe_args(tgt.pid, 1);
	op.notify = IUC_NOTIFY_SKIP;
	op.type = IUC_PIPE_TYPE_CALLER_RECEIVES;
	ASSERT_EQ(0, iuc_open_pipe(fd, &op));
	ASSERT_EQ(0, iuc_close_pipe(fd, op.id, NULL));
	ASSERT_EQ(0, ag_read_sig(&tgt, &s, TIMEOUT_MS));
	EXPECT_EQ(IUC_SIG_PIPE_CLOSED, s.code);
	EXPECT_EQ(op.peer_id, s.data.pipe_closed.id);
	EXPECT_EQ(IUC_PART_SC, s.data.pipe_closed.part);
	EXPECT_EQ(0, ag_stop(&tgt));
}

/*
 * Another user (kill(2) rules): an unprivileged process cannot open to a
 * root one, nor root without CAP_KILL to an unprivileged one: EPERM /
 * 0x22, notified or not.  Same user works both ways, and root with
 * CAP_KILL may (as kill(2) allows).
 */
TEST(other_user_eperm)
{
	struct agent u1, u2, r;
	struct iuc_open_pipe op;
	struct iuc_signal s;
	int fd = open_ready();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, getuid());
	ASSERT_EQ(0, agent_start(&u1, NULL));
	ASSERT_EQ(0, ag_setuid(&u1, 65534));
	ASSERT_EQ(0, ag_open_dev(&u1));
	ASSERT_EQ(0, ag_handle(&u1, IUC_SIG_RECV_PIPE, 0, NULL));
	ASSERT_EQ(0, ag_handle(&u1, IUC_SIG_PIPE_CLOSED, 0, NULL));
	ASSERT_EQ(0, ag_ready(&u1, NULL));
	ASSERT_EQ(0, agent_start(&u2, NULL));
	ASSERT_EQ(0, ag_setuid(&u2, 65534));
	ASSERT_EQ(0, ag_open_dev(&u2));
	ASSERT_EQ(0, ag_handle(&u2, IUC_SIG_RECV_PIPE, 0, NULL));
	ASSERT_EQ(0, ag_ready(&u2, NULL));
	ASSERT_EQ(0, agent_start(&r, NULL));
	ASSERT_EQ(0, ag_drop_cap(&r, CAP_KILL));
	ASSERT_EQ(0, ag_open_dev(&r));

	/* 65534 -> root */
	for (uint8_t notify = IUC_NOTIFY; notify <= IUC_NOTIFY_SKIP; notify++) {
		op = iuc_pipe_args(getpid(), 1);
		op.notify = notify;
		EXPECT_EQ(-EPERM, ag_open_pipe(&u1, &op)) TH_LOG("notify %u", notify);
		EXPECT_EQ(IUC_E_OPEN_OTHER_USER, op.error);
	}
	/* root without CAP_KILL -> 65534 */
	for (uint8_t notify = IUC_NOTIFY; notify <= IUC_NOTIFY_SKIP; notify++) {
		op = iuc_pipe_args(u1.pid, 2);
		op.notify = notify;
		EXPECT_EQ(-EPERM, ag_open_pipe(&r, &op)) TH_LOG("notify %u", notify);
		EXPECT_EQ(IUC_E_OPEN_OTHER_USER, op.error);
	}

	/* 65534 -> 65534 */
	op = iuc_pipe_args(u2.pid, 3);
	EXPECT_EQ(0, ag_open_pipe(&u1, &op));
	ASSERT_EQ(0, ag_read_sig(&u2, &s, TIMEOUT_MS));
	EXPECT_EQ(IUC_SIG_RECV_PIPE, s.code);
	EXPECT_EQ(3, s.data.recv_pipe.command);
	EXPECT_EQ((uint64_t)u1.pid, s.data.recv_pipe.creator_pid);
	/* root without CAP_KILL -> root */
	op = iuc_pipe_args(getpid(), 4);
	EXPECT_EQ(0, ag_open_pipe(&r, &op));
	ASSERT_EQ(0, iuc_read_sig(fd, &s, TIMEOUT_MS));
	EXPECT_EQ(IUC_SIG_RECV_PIPE, s.code);
	EXPECT_EQ(4, s.data.recv_pipe.command);
	/* root with CAP_KILL -> 65534; and nothing came to u1 before. */
	ASSERT_EQ(1, has_cap(CAP_KILL));
	op = iuc_pipe_args(u1.pid, 5);
	EXPECT_EQ(0, iuc_open_pipe(fd, &op));
	ASSERT_EQ(0, ag_read_sig(&u1, &s, TIMEOUT_MS));
	EXPECT_EQ(IUC_SIG_RECV_PIPE, s.code);
	EXPECT_EQ(5, s.data.recv_pipe.command);
	/* and nothing came to us from u1 (the record after 4 is 6). */
	op = iuc_pipe_args(getpid(), 6);
	ASSERT_EQ(0, ag_open_pipe(&r, &op));
	ASSERT_EQ(0, iuc_read_sig(fd, &s, TIMEOUT_MS));
	EXPECT_EQ(6, s.data.recv_pipe.command);

	EXPECT_EQ(0, ag_stop(&u1));
	EXPECT_EQ(0, ag_stop(&u2));
	EXPECT_EQ(0, ag_stop(&r));
}

/*
 * Another application (IPC namespace): a process that unshared its IPC
 * namespace before opening /dev/iuc cannot open a pipe to us nor we to it:
 * EACCES / 0x21, notified or not.  Inside its namespace (a child forked
 * after the unshare) it can, and the record's ANID is that namespace's.
 */
TEST(other_ipc_ns_eacces)
{
	struct agent_opts o = { .inherit_fd = -1, .sock = -1 };
	struct agent ns1, ns1b;
	struct iuc_open_pipe op;
	struct iuc_signal s;
	uint64_t ino;
	int fd = open_ready();

	ASSERT_LE(0, fd);
	/* ns1b is reparented to us when ns1 ends, so that we can reap it. */
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1));
	ASSERT_EQ(0, agent_prepare(&ns1b));
	o.sub = &ns1b;
	ASSERT_EQ(0, agent_start(&ns1, &o));
	ASSERT_EQ(0, ag_unshare_ipc(&ns1));
	ino = ag_ns_ino(&ns1);
	ASSERT_NE(0, ino);
	ASSERT_NE(ipc_ns_ino(), ino);
	ASSERT_EQ(0, ag_fork(&ns1, &ns1b));
	ASSERT_EQ(ino, ag_ns_ino(&ns1b));

	ASSERT_EQ(0, ag_open_dev(&ns1));
	ASSERT_EQ(0, ag_handle(&ns1, IUC_SIG_RECV_PIPE, 0, NULL));
	ASSERT_EQ(0, ag_ready(&ns1, NULL));
	ASSERT_EQ(0, ag_open_dev(&ns1b));
	ASSERT_EQ(0, ag_handle(&ns1b, IUC_SIG_RECV_PIPE, 0, NULL));
	ASSERT_EQ(0, ag_ready(&ns1b, NULL));

	for (uint8_t notify = IUC_NOTIFY; notify <= IUC_NOTIFY_SKIP; notify++) {
		op = iuc_pipe_args(ns1.pid, 1);
		op.notify = notify;
		EXPECT_EQ(-EACCES, iuc_open_pipe(fd, &op)) TH_LOG("notify %u", notify);
		EXPECT_EQ(IUC_E_OPEN_OTHER_APPLICATION, op.error);

		op = iuc_pipe_args(getpid(), 2);
		op.notify = notify;
		EXPECT_EQ(-EACCES, ag_open_pipe(&ns1, &op)) TH_LOG("notify %u", notify);
		EXPECT_EQ(IUC_E_OPEN_OTHER_APPLICATION, op.error);
	}

	/* Within the namespace. */
	op = iuc_pipe_args(ns1b.pid, 3);
	EXPECT_EQ(0, ag_open_pipe(&ns1, &op));
	ASSERT_EQ(0, ag_read_sig(&ns1b, &s, TIMEOUT_MS));
	EXPECT_EQ(IUC_SIG_RECV_PIPE, s.code);
	EXPECT_EQ(3, s.data.recv_pipe.command);
	EXPECT_EQ((uint64_t)ns1.pid, s.data.recv_pipe.creator_pid);
	EXPECT_EQ(ino, s.data.recv_pipe.creator_anid);
	/* Nothing reached ns1: its first record is this one. */
	op = iuc_pipe_args(ns1.pid, 4);
	EXPECT_EQ(0, ag_open_pipe(&ns1b, &op));
	ASSERT_EQ(0, ag_read_sig(&ns1, &s, TIMEOUT_MS));
	EXPECT_EQ(4, s.data.recv_pipe.command);
	/* And nothing reached us. */
	EXPECT_EQ(0, iuc_poll(fd, POLLIN, 0));

	EXPECT_EQ(0, ag_stop(&ns1));
	EXPECT_EQ(0, ag_stop(&ns1b));
}

/* Identifiers are nonzero and unique within each process. */
TEST(ids_unique_per_process)
{
	enum { N = 8 };
	uint64_t mine[3 * N], theirs_a[2 * N];
	struct agent a, b;
	struct iuc_signal s;
	int n = 0, m = 0;
	int fd = open_ready();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ag_start_target(&a));
	ASSERT_EQ(0, ag_start_target(&b));
	for (int i = 0; i < N; i++) {
		struct iuc_open_pipe op = iuc_pipe_args(a.pid, (uint16_t)i);

		/* We open to a: our id, a's peer_id. */
		ASSERT_EQ(0, iuc_open_pipe(fd, &op));
		mine[n++] = op.id;
		theirs_a[m++] = op.peer_id;
		ASSERT_EQ(0, ag_read_sig(&a, &s, TIMEOUT_MS));
		/* a opens to us: a's id, ours from the record. */
		op = iuc_pipe_args(getpid(), (uint16_t)i);
		op.type = i % 2 ? IUC_PIPE_TYPE_CALLER_RECEIVES : IUC_PIPE_TYPE_CALLER_SENDS;
		ASSERT_EQ(0, ag_open_pipe(&a, &op));
		theirs_a[m++] = op.id;
		ASSERT_EQ(0, iuc_read_sig(fd, &s, TIMEOUT_MS));
		ASSERT_EQ(IUC_SIG_RECV_PIPE, s.code);
		EXPECT_EQ(op.peer_id, s.data.recv_pipe.id);
		mine[n++] = s.data.recv_pipe.id;
		/* We open to b, skipping the notification. */
		op = iuc_pipe_args(b.pid, (uint16_t)i);
		op.notify = IUC_NOTIFY_SKIP;
		ASSERT_EQ(0, iuc_open_pipe(fd, &op));
		mine[n++] = op.id;
	}
	for (int i = 0; i < n; i++) {
		EXPECT_NE(0, mine[i]);
		for (int j = 0; j < i; j++) {
			EXPECT_NE(mine[j], mine[i]) TH_LOG("ids %d and %d", j, i);
		}
	}
	for (int i = 0; i < m; i++) {
		EXPECT_NE(0, theirs_a[i]);
		for (int j = 0; j < i; j++) {
			EXPECT_NE(theirs_a[j], theirs_a[i]) TH_LOG("ids %d and %d", j, i);
		}
	}
	EXPECT_EQ(0, ag_stop(&a));
	EXPECT_EQ(0, ag_stop(&b));
}

/* ---- per-process pipe-end limit ---------------------------------------- */

#define SMALL_LIMIT 4

FIXTURE(limit) {
	long long saved;
};

FIXTURE_SETUP(limit)
{
	self->saved = param_read(PARAM_MAX_PIPES);
	ASSERT_LT(0, self->saved);
	ASSERT_EQ(0, param_write(PARAM_MAX_PIPES, SMALL_LIMIT));
	ASSERT_EQ(SMALL_LIMIT, param_read(PARAM_MAX_PIPES));
}

FIXTURE_TEARDOWN(limit)
{
	if (self->saved > 0) {
		EXPECT_EQ(0, param_write(PARAM_MAX_PIPES, self->saved));
	}
}

/*
 * With max_pipes_per_process = 4, a caller holding 4 pipe ends (2 with
 * each of two targets, which hold 2 each) cannot open a 5th, to a third
 * target holding none: EMFILE / IUC_E_LIMIT, notified or not, no record.
 * Closing one makes room for exactly one.
 */
TEST_F(limit, pipe_end_limit_emfile)
{
	struct iuc_open_pipe op, held[SMALL_LIMIT];
	struct agent a, b, c;
	struct iuc_signal s;
	int fd = open_ready();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ag_start_target(&a));
	ASSERT_EQ(0, ag_start_target(&b));
	ASSERT_EQ(0, ag_start_target(&c));
	for (int i = 0; i < SMALL_LIMIT; i++) {
		held[i] = iuc_pipe_args(i % 2 ? b.pid : a.pid, (uint16_t)i);
		held[i].notify = IUC_NOTIFY_SKIP;
		ASSERT_EQ(0, iuc_open_pipe(fd, &held[i])) TH_LOG("pipe %d", i);
	}
	for (uint8_t notify = IUC_NOTIFY; notify <= IUC_NOTIFY_SKIP; notify++) {
		op = iuc_pipe_args(c.pid, 0x10);
		op.notify = notify;
		EXPECT_EQ(-EMFILE, iuc_open_pipe(fd, &op)) TH_LOG("notify %u", notify);
		EXPECT_EQ(IUC_E_LIMIT, op.error);
	}
	ASSERT_EQ(0, iuc_close_pipe(fd, held[0].id, NULL));
	op = iuc_pipe_args(c.pid, 0x11);
	EXPECT_EQ(0, iuc_open_pipe(fd, &op));
	ASSERT_EQ(0, ag_read_sig(&c, &s, TIMEOUT_MS));
	EXPECT_EQ(IUC_SIG_RECV_PIPE, s.code);
	EXPECT_EQ(0x11, s.data.recv_pipe.command);
	op = iuc_pipe_args(c.pid, 0x12);
	EXPECT_EQ(-EMFILE, iuc_open_pipe(fd, &op));
	EXPECT_EQ(IUC_E_LIMIT, op.error);

	EXPECT_EQ(0, ag_stop(&a));
	EXPECT_EQ(0, ag_stop(&b));
	EXPECT_EQ(0, ag_stop(&c));
}

TEST_HARNESS_MAIN
