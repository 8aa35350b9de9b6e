// SPDX-License-Identifier: GPL-2.0
/*
 * IUC selftests: OPEN_PIPE (types, capacities, modes, notification, the
 * RECV_PIPE datafield and every error code), who may talk to whom
 * (application = IPC namespace, user = the uid rules of kill(2)), the
 * reachability errors of SEND_PIPE, and the per-process limits
 * (max_pipes_per_process, max_queued_signals).
 *
 * The test process is one side; agents (iuc_pipe_util.h) are the other
 * processes, each with a context of its own.  Each agent command is
 * synchronous: when it returns, its call has completed.
 */
#include "kselftest_harness.h"
#include "iuc_pipe_util.h"

static struct iuc_open_pipe op_args(pid_t pid, uint8_t type, uint8_t mode,
				    uint8_t notify)
{
	struct iuc_open_pipe a = iuc_pipe_args(pid, 0x77);

	a.type = type;
	a.mode = mode;
	a.notify = notify;
	return a;
}

/* Pid of a process that existed and is reaped now. */
static pid_t reaped_pid(void)
{
	struct px_agent ag;
	pid_t pid;

	if (px_start(&ag, NULL, -1))
		return -1;
	pid = ag.pid;
	px_stop(&ag);
	return pid;
}

/* An agent with a context, without any handler. */
static int start_bare(struct px_agent *ag)
{
	int ret = px_start(ag, NULL, -1);

	return ret ? ret : px_do(ag, PX_OPEN_DEV, 0, NULL);
}

/*
 * An agent running as @ruid/@euid/@suid (no capabilities left), a ready
 * target.  It opens /dev/iuc before it drops root: the rules apply to the
 * credentials at each call, and the test VM's root directory need not be
 * searchable by other users.
 */
static int start_as(struct px_agent *ag, uid_t ruid, uid_t euid, uid_t suid)
{
	uint64_t caps = ~0ull;
	int ret = px_start(ag, NULL, -1);

	if (!ret)
		ret = px_target_setup(ag);
	if (!ret)
		ret = px_ag_setuid(ag, ruid, euid, suid, &caps);
	if (!ret && caps)
		ret = -EPERM;	/* the premise: no capability left */
	return ret;
}

/* An agent in a new IPC namespace (another application), a ready target. */
static int start_other_app(struct px_agent *ag)
{
	int ret = px_start(ag, NULL, -1);

	if (!ret)
		ret = px_do(ag, PX_UNSHARE_IPC, 0, NULL);
	if (!ret)
		ret = px_target_setup(ag);
	return ret;
}

/* ---- OPEN_PIPE --------------------------------------------------------- */

/*
 * Type 0: the caller keeps the SC and the target gets the RC; type 1 the
 * reverse.  PIPE_INFO's IS_SC tells each side what it holds; only the SC
 * writes and only the RC reads, the wrong end is EBADF 0x20.
 */
TEST(open_type_decides_ends)
{
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	struct iuc_pipe_info in;
	struct iuc_signal s;
	struct px_agent ag;
	char buf[64];
	uint64_t bad;
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, px_start_target(&ag));
	for (int type = 0; type <= 1; type++) {
		struct iuc_open_pipe op = op_args(ag.pid, (uint8_t)type,
						  IUC_PIPE_MODE_RAW, IUC_NOTIFY);
		bool i_send = type == IUC_PIPE_TYPE_CALLER_SENDS;

		ASSERT_EQ(0, iuc_open_pipe(fd, &op)) TH_LOG("type %d", type);
		EXPECT_EQ(IUC_E_NONE, op.error);
		EXPECT_NE(0, op.id);
		EXPECT_NE(0, op.peer_id);

		ASSERT_EQ(0, px_info(fd, op.id, &in));
		EXPECT_EQ(IUC_E_NONE, in.error);
		EXPECT_EQ(i_send ? IUC_PIPE_IS_SC : 0, in.status & IUC_PIPE_IS_SC)
			TH_LOG("type %d: caller status 0x%x", type, in.status);
		EXPECT_EQ(IUC_PIPE_OPENED, in.status & IUC_PIPE_OPENED);
		ASSERT_EQ(0, px_ag_info(&ag, op.peer_id, &in));
		EXPECT_EQ(i_send ? 0 : IUC_PIPE_IS_SC, in.status & IUC_PIPE_IS_SC)
			TH_LOG("type %d: target status 0x%x", type, in.status);
		EXPECT_EQ(IUC_PIPE_OPENED, in.status & IUC_PIPE_OPENED);

		/* The target was told which part it got. */
		ASSERT_EQ(0, px_ag_sig(&ag, &s, TIMEOUT_MS));
		EXPECT_EQ(IUC_SIG_RECV_PIPE, s.code);
		EXPECT_EQ(op.peer_id, s.data.recv_pipe.id);
		EXPECT_EQ(i_send ? IUC_PART_RC : IUC_PART_SC, s.data.recv_pipe.id_type);

		if (i_send) {
			/* The RC holder cannot write, the SC holder cannot read. */
			EXPECT_EQ(-EBADF, px_ag_write(&ag, op.peer_id, 10, IUC_IO_BLOCK,
						      1, 0, &w));
			EXPECT_EQ(IUC_E_WRITE_UNKNOWN_SC, w.error);
			EXPECT_EQ(-EBADF, px_read(fd, op.id, buf, sizeof(buf),
						  IUC_IO_PARTIAL, &r));
			EXPECT_EQ(IUC_E_READ_UNKNOWN_RC, r.error);
			/* Data goes from the caller to the target. */
			px_pat_fill(buf, 10, 1, 0);
			EXPECT_EQ(0, px_write(fd, op.id, buf, 10, IUC_IO_BLOCK, &w));
			EXPECT_EQ(IUC_E_NONE, w.error);
			EXPECT_EQ(0, px_ag_read(&ag, op.peer_id, 10, IUC_IO_BLOCK, 1, 0,
						0, &r, &bad));
			EXPECT_EQ(10, r.transferred);
			EXPECT_EQ(PX_NO_BAD, bad);
		} else {
			EXPECT_EQ(-EBADF, px_write(fd, op.id, buf, 10, IUC_IO_BLOCK, &w));
			EXPECT_EQ(IUC_E_WRITE_UNKNOWN_SC, w.error);
			EXPECT_EQ(-EBADF, px_ag_read(&ag, op.peer_id, 10, IUC_IO_PARTIAL,
						     1, 0, 0, &r, NULL));
			EXPECT_EQ(IUC_E_READ_UNKNOWN_RC, r.error);
			/* Data goes from the target to the caller. */
			EXPECT_EQ(0, px_ag_write(&ag, op.peer_id, 10, IUC_IO_BLOCK, 2, 0, &w));
			EXPECT_EQ(IUC_E_NONE, w.error);
			memset(buf, 0, sizeof(buf));
			EXPECT_EQ(0, px_read(fd, op.id, buf, 10, IUC_IO_BLOCK, &r));
			EXPECT_EQ(10, r.transferred);
			EXPECT_EQ(PX_NO_BAD, px_pat_check(buf, 10, 2, 0));
		}
	}
	px_stop(&ag);
}

/* capacity = max(1, m) x 64 KiB on both sides, and exactly that much fits. */
TEST(open_capacity)
{
	static const uint8_t mults[] = { 0, 1, 3, 255 };
	struct px_agent ag;
	char *buf;
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, px_start_target(&ag));
	buf = malloc(px_cap(255) + 1);
	ASSERT_NE(NULL, buf);
	memset(buf, 0x5c, px_cap(255) + 1);
	for (size_t i = 0; i < sizeof(mults); i++) {
		struct iuc_open_pipe op = op_args(ag.pid, IUC_PIPE_TYPE_CALLER_SENDS,
						  IUC_PIPE_MODE_RAW, IUC_NOTIFY_SKIP);
		uint64_t cap = px_cap(mults[i]);
		struct iuc_pipe_info in;
		struct iuc_pipe_write w;

		op.multiplier = mults[i];
		ASSERT_EQ(0, iuc_open_pipe(fd, &op));
		ASSERT_EQ(0, px_info(fd, op.id, &in));
		EXPECT_EQ(cap, in.capacity) TH_LOG("m = %u", mults[i]);
		EXPECT_EQ(cap, in.room);
		EXPECT_EQ(0, in.status & IUC_PIPE_FULL);
		ASSERT_EQ(0, px_ag_info(&ag, op.peer_id, &in));
		EXPECT_EQ(cap, in.capacity) TH_LOG("m = %u", mults[i]);
		EXPECT_EQ(cap, in.room);

		/* One byte more than the capacity never fits... */
		EXPECT_EQ(-EAGAIN, px_write(fd, op.id, buf, cap + 1, IUC_IO_TRY, &w));
		EXPECT_EQ(IUC_E_WRITE_NO_ROOM, w.error);
		EXPECT_EQ(IUC_TRY_NOT_ENOUGH, w.result);
		/* ... the capacity does, and fills the pipe. */
		EXPECT_EQ(0, px_write(fd, op.id, buf, cap, IUC_IO_TRY, &w));
		EXPECT_EQ(cap, w.transferred);
		ASSERT_EQ(0, px_info(fd, op.id, &in));
		EXPECT_EQ(0, in.room);
		EXPECT_EQ(IUC_PIPE_FULL, in.status & IUC_PIPE_FULL) TH_LOG("m = %u", mults[i]);
		EXPECT_EQ(0, iuc_close_pipe(fd, op.id, NULL));
		EXPECT_EQ(0, px_ag_close(&ag, op.peer_id, NULL));
	}
	free(buf);
	px_stop(&ag);
}

/*
 * Raw and message mode, notified or not.  A notified target gets RECV_PIPE
 * with every field of the datafield; a skipped one gets nothing, and its
 * identifier works all the same.
 */
TEST(open_mode_notify_datafield)
{
	struct px_agent ag;
	uint64_t my_anid = ipc_ns_ino();
	int n = 0;
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_NE(0, my_anid);
	ASSERT_EQ(0, px_start_target(&ag));
	for (int mode = 0; mode <= 1; mode++) {
		for (int notify = 0; notify <= 1; notify++) {
			for (int type = 0; type <= 1; type++) {
				struct iuc_open_pipe op = op_args(ag.pid, (uint8_t)type,
								  (uint8_t)mode,
								  (uint8_t)notify);
				struct iuc_pipe_info in;
				struct iuc_signal s;

				op.command = (uint16_t)(0xB000 + n);
				op.size_hint = 0x123456789ull + (uint64_t)n;
				op.multiplier = (uint8_t)(n % 3);
				n++;
				ASSERT_EQ(0, iuc_open_pipe(fd, &op));
				ASSERT_EQ(0, px_info(fd, op.id, &in));
				EXPECT_EQ(mode ? IUC_PIPE_MESSAGE : 0,
					  in.status & IUC_PIPE_MESSAGE);
				ASSERT_EQ(0, px_ag_info(&ag, op.peer_id, &in));
				EXPECT_EQ(mode ? IUC_PIPE_MESSAGE : 0,
					  in.status & IUC_PIPE_MESSAGE);
				EXPECT_EQ((uint64_t)getpid(), in.creator_pid);
				if (notify == IUC_NOTIFY_SKIP) {
					EXPECT_EQ(0, px_ag_sig_pending(&ag))
						TH_LOG("record after IUC_NOTIFY_SKIP");
					continue;
				}
				ASSERT_EQ(0, px_ag_sig(&ag, &s, TIMEOUT_MS));
				EXPECT_EQ(IUC_SIG_RECV_PIPE, s.code);
				EXPECT_EQ((uint64_t)getpid(), s.data.recv_pipe.creator_pid);
				EXPECT_EQ((uint32_t)my_anid, s.data.recv_pipe.creator_anid);
				EXPECT_EQ(op.peer_id, s.data.recv_pipe.id);
				EXPECT_EQ(op.peer_id, s.object);
				EXPECT_EQ(op.command, s.data.recv_pipe.command);
				EXPECT_EQ(type ? IUC_PART_SC : IUC_PART_RC,
					  s.data.recv_pipe.id_type);
				EXPECT_EQ(mode, s.data.recv_pipe.mode);
				EXPECT_EQ(op.size_hint, s.data.recv_pipe.size_hint);
				EXPECT_TRUE(sig_reserved_zero(&s));
				EXPECT_EQ(0, px_ag_sig_pending(&ag));
			}
		}
	}
	px_stop(&ag);
}

/* Bad mode 0x10, bad notify 0x11, bad type 0x02; nothing is opened. */
TEST(open_bad_args)
{
	static const uint8_t bad[] = { 2, 3, 0x80, 0xFF };
	struct iuc_open_pipe op;
	struct px_agent ag;
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, px_start_target(&ag));
	for (size_t i = 0; i < sizeof(bad); i++) {
		op = op_args(ag.pid, 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY);
		op.mode = bad[i];
		EXPECT_EQ(-EINVAL, iuc_open_pipe(fd, &op));
		EXPECT_EQ(IUC_E_OPEN_BAD_MODE, op.error) TH_LOG("mode %u", bad[i]);

		op = op_args(ag.pid, 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY);
		op.notify = bad[i];
		EXPECT_EQ(-EINVAL, iuc_open_pipe(fd, &op));
		EXPECT_EQ(IUC_E_OPEN_BAD_NOTIFY, op.error) TH_LOG("notify %u", bad[i]);

		op = op_args(ag.pid, 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY);
		op.type = bad[i];
		EXPECT_EQ(-EINVAL, iuc_open_pipe(fd, &op));
		EXPECT_EQ(IUC_E_INVALID_ARG, op.error) TH_LOG("type %u", bad[i]);
	}
	/* No RECV_PIPE was sent. */
	EXPECT_EQ(0, px_ag_sig_pending(&ag));
	/* The same arguments with valid values open. */
	op = op_args(ag.pid, 1, IUC_PIPE_MODE_MESSAGE, IUC_NOTIFY);
	EXPECT_EQ(0, iuc_open_pipe(fd, &op));
	EXPECT_EQ(IUC_E_NONE, op.error);
	EXPECT_EQ(1, px_ag_sig_pending(&ag));
	px_stop(&ag);
}

/*
 * No such process: 0x20 ESRCH, for a reaped pid, pid 0, a pid beyond any
 * PID limit, and a live pid plus 2^32 (no truncation to 32 bits).
 */
TEST(open_no_such_pid)
{
	struct px_agent ag;
	pid_t gone = reaped_pid();
	int fd = px_ctx();
	uint64_t pids[4];

	ASSERT_LE(0, fd);
	ASSERT_LT(0, gone);
	ASSERT_EQ(0, px_start_target(&ag));
	pids[0] = (uint64_t)gone;
	pids[1] = 0;
	pids[2] = 0x7fffffffull;
	pids[3] = (1ull << 32) | (uint64_t)ag.pid;
	for (int i = 0; i < 4; i++) {
		struct iuc_open_pipe op = op_args(0, 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY_SKIP);

		op.target_pid = pids[i];
		EXPECT_EQ(-ESRCH, iuc_open_pipe(fd, &op)) TH_LOG("pid %llu",
								(unsigned long long)pids[i]);
		EXPECT_EQ(IUC_E_OPEN_NO_SUCH_PID, op.error);
	}
	EXPECT_EQ(0, px_ag_sig_pending(&ag));
	px_stop(&ag);
}

/*
 * A live process without IUC context is "no such process" (0x20): one that
 * never opened /dev/iuc, and one whose context ended when it closed its
 * fd.  Opening /dev/iuc again makes it reachable.
 */
TEST(open_pid_without_context)
{
	struct iuc_open_pipe op;
	struct px_agent ag;
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, px_start(&ag, NULL, -1));

	op = op_args(ag.pid, 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY_SKIP);
	EXPECT_EQ(-ESRCH, iuc_open_pipe(fd, &op));
	EXPECT_EQ(IUC_E_OPEN_NO_SUCH_PID, op.error);

	ASSERT_EQ(0, px_do(&ag, PX_OPEN_DEV, 0, NULL));
	op = op_args(ag.pid, 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY_SKIP);
	EXPECT_EQ(0, iuc_open_pipe(fd, &op));
	ASSERT_EQ(0, px_do(&ag, PX_CLOSE_DEV, 0, NULL));
	/* Its end closed with its context. */
	EXPECT_EQ(0, px_status(fd, op.id) & IUC_PIPE_OPENED);

	op = op_args(ag.pid, 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY_SKIP);
	EXPECT_EQ(-ESRCH, iuc_open_pipe(fd, &op));
	EXPECT_EQ(IUC_E_OPEN_NO_SUCH_PID, op.error);

	ASSERT_EQ(0, px_do(&ag, PX_OPEN_DEV, 0, NULL));
	op = op_args(ag.pid, 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY_SKIP);
	EXPECT_EQ(0, iuc_open_pipe(fd, &op));
	EXPECT_EQ(IUC_E_NONE, op.error);
	px_stop(&ag);
}

/*
 * A target in another IPC namespace is another application: 0x21 EACCES,
 * in both directions, and no record reaches either side.
 */
TEST(open_other_application)
{
	struct px_agent other, same;
	struct iuc_open_pipe op;
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, start_other_app(&other));
	ASSERT_EQ(0, px_start_target(&same));
	ASSERT_NE(ipc_ns_ino(), px_ag_ns_ino(&other));
	ASSERT_EQ(ipc_ns_ino(), px_ag_ns_ino(&same));

	op = op_args(other.pid, 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY);
	EXPECT_EQ(-EACCES, iuc_open_pipe(fd, &op));
	EXPECT_EQ(IUC_E_OPEN_OTHER_APPLICATION, op.error);
	op = op_args(other.pid, 1, IUC_PIPE_MODE_MESSAGE, IUC_NOTIFY_SKIP);
	EXPECT_EQ(-EACCES, iuc_open_pipe(fd, &op));
	EXPECT_EQ(IUC_E_OPEN_OTHER_APPLICATION, op.error);
	EXPECT_EQ(0, px_ag_sig_pending(&other));

	op = op_args(getpid(), 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY);
	EXPECT_EQ(-EACCES, px_ag_open_pipe(&other, &op));
	EXPECT_EQ(IUC_E_OPEN_OTHER_APPLICATION, op.error);
	EXPECT_EQ(0, px_sig_pending(fd));

	/* Control: the same calls inside one application work. */
	op = op_args(same.pid, 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY);
	EXPECT_EQ(0, iuc_open_pipe(fd, &op));
	op = op_args(getpid(), 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY);
	EXPECT_EQ(0, px_ag_open_pipe(&same, &op));
	EXPECT_EQ(1, px_sig_pending(fd));
	px_stop(&other);
	px_stop(&same);
}

/*
 * Another user: 0x22 EPERM.  Agents of uid 65534 and 1000 (no
 * capabilities) cannot reach each other, nor root; root reaches them only
 * with CAP_KILL (the rules of kill(2)); without it, EPERM too.
 */
TEST(open_other_user)
{
	struct px_agent nobody, other;
	struct iuc_open_pipe op;
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, start_as(&nobody, PX_UID_NOBODY, PX_UID_NOBODY, PX_UID_NOBODY));
	ASSERT_EQ(0, start_as(&other, PX_UID_OTHER, PX_UID_OTHER, PX_UID_OTHER));

	/* nobody -> root */
	op = op_args(getpid(), 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY);
	EXPECT_EQ(-EPERM, px_ag_open_pipe(&nobody, &op));
	EXPECT_EQ(IUC_E_OPEN_OTHER_USER, op.error);
	EXPECT_EQ(0, px_sig_pending(fd));
	/* nobody <-> 1000 */
	op = op_args(other.pid, 1, IUC_PIPE_MODE_RAW, IUC_NOTIFY_SKIP);
	EXPECT_EQ(-EPERM, px_ag_open_pipe(&nobody, &op));
	EXPECT_EQ(IUC_E_OPEN_OTHER_USER, op.error);
	op = op_args(nobody.pid, 0, IUC_PIPE_MODE_MESSAGE, IUC_NOTIFY);
	EXPECT_EQ(-EPERM, px_ag_open_pipe(&other, &op));
	EXPECT_EQ(IUC_E_OPEN_OTHER_USER, op.error);
	EXPECT_EQ(0, px_ag_sig_pending(&nobody));
	EXPECT_EQ(0, px_ag_sig_pending(&other));

	/* root with CAP_KILL -> nobody: allowed, as kill(2) would be. */
	ASSERT_EQ(1, has_cap(CAP_KILL));
	op = op_args(nobody.pid, 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY);
	EXPECT_EQ(0, iuc_open_pipe(fd, &op));
	EXPECT_EQ(1, px_ag_sig_pending(&nobody));

	/* root without CAP_KILL -> nobody, -> 1000: another user. */
	ASSERT_EQ(0, drop_cap(CAP_KILL));
	ASSERT_EQ(0, has_cap(CAP_KILL));
	op = op_args(nobody.pid, 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY_SKIP);
	EXPECT_EQ(-EPERM, iuc_open_pipe(fd, &op));
	EXPECT_EQ(IUC_E_OPEN_OTHER_USER, op.error);
	op = op_args(other.pid, 1, IUC_PIPE_MODE_RAW, IUC_NOTIFY);
	EXPECT_EQ(-EPERM, iuc_open_pipe(fd, &op));
	EXPECT_EQ(IUC_E_OPEN_OTHER_USER, op.error);
	px_stop(&nobody);
	px_stop(&other);
}

/*
 * The uid rules of kill(2): the caller's real or effective uid must equal
 * the target's real or saved uid.  A target with ruid = euid = 1000 and
 * saved uid 65534 is reachable by uid 65534, but not the other way round.
 */
TEST(open_kill_uid_rules)
{
	struct px_agent nobody, mixed;
	struct iuc_open_pipe op;

	ASSERT_EQ(0, start_as(&nobody, PX_UID_NOBODY, PX_UID_NOBODY, PX_UID_NOBODY));
	ASSERT_EQ(0, start_as(&mixed, PX_UID_OTHER, PX_UID_OTHER, PX_UID_NOBODY));

	op = op_args(mixed.pid, 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY);
	EXPECT_EQ(0, px_ag_open_pipe(&nobody, &op));
	EXPECT_EQ(IUC_E_NONE, op.error);
	EXPECT_EQ(1, px_ag_sig_pending(&mixed));

	op = op_args(nobody.pid, 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY);
	EXPECT_EQ(-EPERM, px_ag_open_pipe(&mixed, &op));
	EXPECT_EQ(IUC_E_OPEN_OTHER_USER, op.error);
	EXPECT_EQ(0, px_ag_sig_pending(&nobody));
	px_stop(&nobody);
	px_stop(&mixed);
}

/*
 * Notification asked and the target does not handle RECV_PIPE: 0x23
 * ENOENT, and neither identifier stays.  IUC_NOTIFY_SKIP needs no handler;
 * a handler registered before READY is enough (the record is queued).
 */
TEST(open_no_handler)
{
	struct iuc_open_pipe op;
	struct iuc_signal s;
	struct px_agent ag;
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, start_bare(&ag));
	ASSERT_EQ(0, px_do(&ag, PX_HANDLE, IUC_SIG_PIPE_CLOSED, NULL));

	for (int type = 0; type <= 1; type++) {
		op = op_args(ag.pid, (uint8_t)type, IUC_PIPE_MODE_RAW, IUC_NOTIFY);
		EXPECT_EQ(-ENOENT, iuc_open_pipe(fd, &op));
		EXPECT_EQ(IUC_E_OPEN_NO_HANDLER, op.error);
		/* Whatever identifiers were handed out are gone again. */
		if (op.id) {
			EXPECT_EQ(-EBADF, px_status(fd, op.id));
		}
		if (op.peer_id) {
			EXPECT_EQ(-EBADF, px_ag_info(&ag, op.peer_id, NULL));
		}
	}

	op = op_args(ag.pid, 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY_SKIP);
	EXPECT_EQ(0, iuc_open_pipe(fd, &op));
	EXPECT_EQ(IUC_E_NONE, op.error);
	EXPECT_EQ(0, px_ag_info(&ag, op.peer_id, NULL));

	ASSERT_EQ(0, px_do(&ag, PX_HANDLE, IUC_SIG_RECV_PIPE, NULL));
	op = op_args(ag.pid, 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY);
	EXPECT_EQ(0, iuc_open_pipe(fd, &op));
	ASSERT_EQ(0, px_do(&ag, PX_READY, 0, NULL));
	ASSERT_EQ(0, px_ag_sig(&ag, &s, TIMEOUT_MS));
	EXPECT_EQ(IUC_SIG_RECV_PIPE, s.code);
	EXPECT_EQ(op.peer_id, s.data.recv_pipe.id);
	px_stop(&ag);
}

/* ---- who may talk to whom ---------------------------------------------- */

/*
 * Two ordinary processes of one user (65534, no capabilities) in the
 * initial IPC namespace talk without any set-up.
 */
TEST(talk_same_user_no_setup)
{
	struct px_agent a, b;
	struct iuc_open_pipe op;
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	struct iuc_signal s;
	uint64_t bad;

	ASSERT_EQ(0, start_as(&a, PX_UID_NOBODY, PX_UID_NOBODY, PX_UID_NOBODY));
	ASSERT_EQ(0, start_as(&b, PX_UID_NOBODY, PX_UID_NOBODY, PX_UID_NOBODY));

	op = op_args(b.pid, 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY);
	ASSERT_EQ(0, px_ag_open_pipe(&a, &op));
	ASSERT_EQ(0, px_ag_sig(&b, &s, TIMEOUT_MS));
	EXPECT_EQ(IUC_SIG_RECV_PIPE, s.code);
	EXPECT_EQ((uint64_t)a.pid, s.data.recv_pipe.creator_pid);
	EXPECT_EQ(op.peer_id, s.data.recv_pipe.id);
	EXPECT_EQ(0, px_ag_write(&a, op.id, 5000, IUC_IO_BLOCK, 9, 0, &w));
	EXPECT_EQ(0, px_ag_read(&b, op.peer_id, 5000, IUC_IO_BLOCK, 9, 0, 0, &r, &bad));
	EXPECT_EQ(5000, r.transferred);
	EXPECT_EQ(PX_NO_BAD, bad);

	/* And the other way. */
	op = op_args(a.pid, 1, IUC_PIPE_MODE_MESSAGE, IUC_NOTIFY);
	ASSERT_EQ(0, px_ag_open_pipe(&b, &op));
	EXPECT_EQ(0, px_ag_write(&a, op.peer_id, 100, IUC_IO_BLOCK, 3, 0, &w));
	EXPECT_EQ(0, px_ag_read(&b, op.id, 0, IUC_IO_BLOCK, 3, 0, px_cap(0), &r, &bad));
	EXPECT_EQ(100, r.result);
	EXPECT_EQ(PX_NO_BAD, bad);
	px_stop(&a);
	px_stop(&b);
}

/*
 * A privileged launcher separates applications with CLONE_NEWIPC: the
 * processes it starts in the new namespace talk to each other (their
 * RECV_PIPE carries the new ANID), but not with the initial namespace.
 */
TEST(talk_inside_new_namespace)
{
	struct px_agent launcher, sibling;
	struct iuc_open_pipe op;
	struct iuc_pipe_read r;
	struct iuc_signal s;
	uint64_t ns, bad;
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, px_prepare(&sibling));
	ASSERT_EQ(0, px_start(&launcher, &sibling, -1));
	ASSERT_EQ(0, px_do(&launcher, PX_UNSHARE_IPC, 0, NULL));
	ASSERT_EQ(0, px_target_setup(&launcher));
	ASSERT_EQ(0, px_ag_fork_agent(&launcher, &sibling));
	ASSERT_EQ(0, px_target_setup(&sibling));
	ns = px_ag_ns_ino(&launcher);
	ASSERT_NE(0, ns);
	ASSERT_NE(ipc_ns_ino(), ns);
	ASSERT_EQ(ns, px_ag_ns_ino(&sibling));

	op = op_args(launcher.pid, 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY);
	ASSERT_EQ(0, px_ag_open_pipe(&sibling, &op));
	ASSERT_EQ(0, px_ag_sig(&launcher, &s, TIMEOUT_MS));
	EXPECT_EQ(IUC_SIG_RECV_PIPE, s.code);
	EXPECT_EQ((uint32_t)ns, s.data.recv_pipe.creator_anid);
	EXPECT_EQ((uint64_t)sibling.pid, s.data.recv_pipe.creator_pid);
	EXPECT_EQ(0, px_ag_write(&sibling, op.id, 777, IUC_IO_BLOCK, 4, 0, NULL));
	EXPECT_EQ(0, px_ag_read(&launcher, op.peer_id, 777, IUC_IO_BLOCK, 4, 0, 0,
				&r, &bad));
	EXPECT_EQ(PX_NO_BAD, bad);

	/* Not across namespaces, either way. */
	op = op_args(getpid(), 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY);
	EXPECT_EQ(-EACCES, px_ag_open_pipe(&sibling, &op));
	EXPECT_EQ(IUC_E_OPEN_OTHER_APPLICATION, op.error);
	op = op_args(sibling.pid, 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY);
	EXPECT_EQ(-EACCES, iuc_open_pipe(fd, &op));
	EXPECT_EQ(IUC_E_OPEN_OTHER_APPLICATION, op.error);
	px_stop(&launcher);
	px_stop_nochild(&sibling);
}

/*
 * An unprivileged process cannot join another application: even holding
 * an fd of the other IPC namespace, setns() as uid 65534 fails with EPERM
 * and the process stays where it was.  Control: root can join, and then
 * talks to the process in there.
 */
TEST(setns_unprivileged_refused)
{
	struct px_agent x, y, z;
	struct iuc_open_pipe op;
	uint64_t caps = ~0ull, ns;
	char path[64];

	ASSERT_EQ(0, start_other_app(&x));
	ns = px_ag_ns_ino(&x);
	ASSERT_NE(0, ns);
	ASSERT_NE(ipc_ns_ino(), ns);
	snprintf(path, sizeof(path), "/proc/%d/ns/ipc", x.pid);

	ASSERT_EQ(0, px_start(&y, NULL, -1));
	ASSERT_EQ(0, px_ag_open_path(&y, path));
	ASSERT_EQ(0, px_do(&y, PX_OPEN_DEV, 0, NULL));
	ASSERT_EQ(0, px_ag_setuid(&y, PX_UID_NOBODY, PX_UID_NOBODY, PX_UID_NOBODY, &caps));
	ASSERT_EQ(0, caps);
	EXPECT_EQ(-EPERM, px_do(&y, PX_SETNS, 0, NULL));
	/* Still outside, in the test's application. */
	EXPECT_EQ(ipc_ns_ino(), px_ag_ns_ino(&y));
	/* x is root's: another user is told before another application. */
	op = op_args(x.pid, 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY);
	EXPECT_EQ(-EPERM, px_ag_open_pipe(&y, &op));
	EXPECT_EQ(IUC_E_OPEN_OTHER_USER, op.error);

	ASSERT_EQ(0, px_start(&z, NULL, -1));
	ASSERT_EQ(0, px_ag_open_path(&z, path));
	EXPECT_EQ(0, px_do(&z, PX_SETNS, 0, NULL));
	EXPECT_EQ(ns, px_ag_ns_ino(&z));
	ASSERT_EQ(0, px_do(&z, PX_OPEN_DEV, 0, NULL));
	op = op_args(x.pid, 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY);
	EXPECT_EQ(0, px_ag_open_pipe(&z, &op));
	EXPECT_EQ(IUC_E_NONE, op.error);
	px_stop(&x);
	px_stop(&y);
	px_stop(&z);
}

/* ---- SEND_PIPE: who may receive ------------------------------------------ */

/*
 * Every refused SEND_PIPE leaves the identifier with the sender: 0x24 bad
 * notify, 0x20 unknown id, 0x21 no such process (reaped, or without
 * context), 0x10 no RECV_PIPE handler, 0x22 another application, 0x23
 * another user.  Afterwards the sender still writes through it, and a
 * send with IUC_NOTIFY_SKIP to the handler-less process works.
 */
TEST(send_errors_keep_the_id)
{
	struct px_agent rd, bare, noctx, other_app, nobody;
	struct iuc_open_pipe op;
	struct iuc_send_pipe sp;
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	pid_t gone = reaped_pid();
	uint64_t bad, sent = 0;
	char buf[16];
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_LT(0, gone);
	ASSERT_EQ(0, px_start_target(&rd));
	ASSERT_EQ(0, start_bare(&bare));
	ASSERT_EQ(0, px_start(&noctx, NULL, -1));
	ASSERT_EQ(0, start_other_app(&other_app));
	ASSERT_EQ(0, start_as(&nobody, PX_UID_NOBODY, PX_UID_NOBODY, PX_UID_NOBODY));

	op = op_args(rd.pid, 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY_SKIP);
	ASSERT_EQ(0, iuc_open_pipe(fd, &op));

	for (int notify = 2; notify < 256; notify += 125) {
		EXPECT_EQ(-EINVAL, px_send_pipe(fd, op.id, rd.pid, (uint8_t)notify, &sp));
		EXPECT_EQ(IUC_E_SEND_BAD_NOTIFY, sp.error);
	}
	EXPECT_EQ(-EBADF, px_send_pipe(fd, op.id + 1000, rd.pid, IUC_NOTIFY, &sp));
	EXPECT_EQ(IUC_E_SEND_UNKNOWN_ID, sp.error);
	EXPECT_EQ(-EBADF, px_send_pipe(fd, 0, rd.pid, IUC_NOTIFY, &sp));
	EXPECT_EQ(IUC_E_SEND_UNKNOWN_ID, sp.error);
	EXPECT_EQ(-ESRCH, px_send_pipe(fd, op.id, (uint64_t)gone, IUC_NOTIFY_SKIP, &sp));
	EXPECT_EQ(IUC_E_SEND_NO_SUCH_PID, sp.error);
	EXPECT_EQ(-ESRCH, px_send_pipe(fd, op.id, noctx.pid, IUC_NOTIFY_SKIP, &sp));
	EXPECT_EQ(IUC_E_SEND_NO_SUCH_PID, sp.error);
	EXPECT_EQ(-ENOENT, px_send_pipe(fd, op.id, bare.pid, IUC_NOTIFY, &sp));
	EXPECT_EQ(IUC_E_SEND_NO_HANDLER, sp.error);
	EXPECT_EQ(-EACCES, px_send_pipe(fd, op.id, other_app.pid, IUC_NOTIFY, &sp));
	EXPECT_EQ(IUC_E_SEND_OTHER_APPLICATION, sp.error);
	EXPECT_EQ(-EACCES, px_send_pipe(fd, op.id, other_app.pid, IUC_NOTIFY_SKIP, &sp));
	EXPECT_EQ(IUC_E_SEND_OTHER_APPLICATION, sp.error);
	EXPECT_EQ(0, px_ag_sig_pending(&other_app));

	/* Another user: root without CAP_KILL -> 65534. */
	ASSERT_EQ(0, drop_cap(CAP_KILL));
	EXPECT_EQ(-EPERM, px_send_pipe(fd, op.id, nobody.pid, IUC_NOTIFY, &sp));
	EXPECT_EQ(IUC_E_SEND_OTHER_USER, sp.error);
	EXPECT_EQ(-EPERM, px_send_pipe(fd, op.id, nobody.pid, IUC_NOTIFY_SKIP, &sp));
	EXPECT_EQ(IUC_E_SEND_OTHER_USER, sp.error);
	EXPECT_EQ(0, px_ag_sig_pending(&nobody));

	/* Still the sender's: it writes, the reader gets it. */
	EXPECT_EQ(IUC_PIPE_IS_SC | IUC_PIPE_OPENED,
		  px_status(fd, op.id) & (IUC_PIPE_IS_SC | IUC_PIPE_OPENED));
	px_pat_fill(buf, sizeof(buf), 5, 0);
	EXPECT_EQ(0, px_write(fd, op.id, buf, sizeof(buf), IUC_IO_BLOCK, &w));
	sent += sizeof(buf);

	/* The handler-less process takes it without notification. */
	EXPECT_EQ(0, px_send_pipe(fd, op.id, bare.pid, IUC_NOTIFY_SKIP, &sp));
	EXPECT_EQ(IUC_E_NONE, sp.error);
	EXPECT_NE(0, sp.peer_id);
	EXPECT_EQ(-EBADF, px_status(fd, op.id));
	EXPECT_EQ(0, px_ag_write(&bare, sp.peer_id, 20, IUC_IO_BLOCK, 5, sent, &w));
	EXPECT_EQ(0, px_ag_read(&rd, op.peer_id, (uint32_t)sent + 20, IUC_IO_BLOCK, 5, 0,
				0, &r, &bad));
	EXPECT_EQ(sent + 20, r.transferred);
	EXPECT_EQ(PX_NO_BAD, bad);
	px_stop(&rd);
	px_stop(&bare);
	px_stop(&noctx);
	px_stop(&other_app);
	px_stop(&nobody);
}

/* Between two processes of uid 65534, SEND_PIPE to a third uid: 0x23. */
TEST(send_other_user_unprivileged)
{
	struct px_agent a, b, other;
	struct iuc_open_pipe op;
	struct iuc_send_pipe sp;

	ASSERT_EQ(0, start_as(&a, PX_UID_NOBODY, PX_UID_NOBODY, PX_UID_NOBODY));
	ASSERT_EQ(0, start_as(&b, PX_UID_NOBODY, PX_UID_NOBODY, PX_UID_NOBODY));
	ASSERT_EQ(0, start_as(&other, PX_UID_OTHER, PX_UID_OTHER, PX_UID_OTHER));

	op = op_args(b.pid, 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY_SKIP);
	ASSERT_EQ(0, px_ag_open_pipe(&a, &op));
	EXPECT_EQ(-EPERM, px_ag_send_pipe(&b, op.peer_id, other.pid, IUC_NOTIFY, &sp));
	EXPECT_EQ(IUC_E_SEND_OTHER_USER, sp.error);
	EXPECT_EQ(0, px_ag_sig_pending(&other));
	/* b still holds it; a process of its own user may take it. */
	EXPECT_EQ(0, px_ag_info(&b, op.peer_id, NULL));
	EXPECT_EQ(0, px_ag_send_pipe(&b, op.peer_id, a.pid, IUC_NOTIFY, &sp));
	EXPECT_EQ(IUC_E_NONE, sp.error);
	EXPECT_EQ(-EBADF, px_ag_info(&b, op.peer_id, NULL));
	px_stop(&a);
	px_stop(&b);
	px_stop(&other);
}

/* ---- limits ------------------------------------------------------------- */

#define SMALL_PIPES	3
#define SMALL_QUEUE	2

FIXTURE(limits) {
	long long saved_pipes, saved_queue;
};

FIXTURE_SETUP(limits)
{
	self->saved_pipes = param_read(PARAM_MAX_PIPES);
	self->saved_queue = param_read(PARAM_MAX_QUEUED);
	ASSERT_LT(0, self->saved_pipes);
	ASSERT_LT(0, self->saved_queue);
}

FIXTURE_TEARDOWN(limits)
{
	if (self->saved_pipes > 0) {
		EXPECT_EQ(0, param_write(PARAM_MAX_PIPES, self->saved_pipes));
	}
	if (self->saved_queue > 0) {
		EXPECT_EQ(0, param_write(PARAM_MAX_QUEUED, self->saved_queue));
	}
}

/*
 * max_pipes_per_process counts the ends a process holds, opened by it or
 * to it: EMFILE 0x3E when the opener is at the limit, when the target is,
 * and for SEND_PIPE to a target at the limit.  A failed call uses no slot;
 * an end counts until its holder closes it.
 */
TEST_F(limits, max_pipes_per_process)
{
	struct px_agent p1, p2, p3;
	struct iuc_open_pipe op, mine[SMALL_PIPES], theirs[SMALL_PIPES];
	struct iuc_send_pipe sp;
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, px_start_target(&p1));
	ASSERT_EQ(0, px_start_target(&p2));
	ASSERT_EQ(0, px_start_target(&p3));
	ASSERT_EQ(0, param_write(PARAM_MAX_PIPES, SMALL_PIPES));

	for (int i = 0; i < SMALL_PIPES; i++) {
		mine[i] = op_args(p1.pid, (uint8_t)(i & 1), IUC_PIPE_MODE_RAW,
				  IUC_NOTIFY_SKIP);
		ASSERT_EQ(0, iuc_open_pipe(fd, &mine[i])) TH_LOG("pipe %d", i);
	}
	/* The opener is at the limit. */
	op = op_args(p2.pid, 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY);
	EXPECT_EQ(-EMFILE, iuc_open_pipe(fd, &op));
	EXPECT_EQ(IUC_E_LIMIT, op.error);
	EXPECT_EQ(0, px_ag_sig_pending(&p2));
	/* The target is at the limit. */
	op = op_args(p1.pid, 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY_SKIP);
	EXPECT_EQ(-EMFILE, px_ag_open_pipe(&p3, &op));
	EXPECT_EQ(IUC_E_LIMIT, op.error);
	if (op.id) {
		EXPECT_EQ(-EBADF, px_ag_info(&p3, op.id, NULL));
	}
	/* The failures took no slot of p2 or p3: p3 fills p2 up. */
	for (int i = 0; i < SMALL_PIPES; i++) {
		theirs[i] = op_args(p2.pid, 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY_SKIP);
		EXPECT_EQ(0, px_ag_open_pipe(&p3, &theirs[i])) TH_LOG("pipe %d", i);
	}
	/* SEND_PIPE to a target at the limit; the end stays with the sender. */
	EXPECT_EQ(-EMFILE, px_send_pipe(fd, mine[0].id, p2.pid, IUC_NOTIFY_SKIP, &sp));
	EXPECT_EQ(IUC_E_LIMIT, sp.error);
	EXPECT_EQ(0, px_info(fd, mine[0].id, NULL));

	/* A closed pipe's end counts until its holder closes it too. */
	ASSERT_EQ(0, iuc_close_pipe(fd, mine[0].id, NULL));
	op = op_args(p1.pid, 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY_SKIP);
	EXPECT_EQ(-EMFILE, iuc_open_pipe(fd, &op));
	EXPECT_EQ(IUC_E_LIMIT, op.error);
	ASSERT_EQ(0, px_ag_close(&p1, mine[0].peer_id, NULL));
	op = op_args(p1.pid, 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY_SKIP);
	EXPECT_EQ(0, iuc_open_pipe(fd, &op));
	EXPECT_EQ(IUC_E_NONE, op.error);

	/* Raising the limit lets the refused calls through. */
	ASSERT_EQ(0, param_write(PARAM_MAX_PIPES, SMALL_PIPES + 1));
	op = op_args(p2.pid, 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY);
	EXPECT_EQ(0, iuc_open_pipe(fd, &op));
	px_stop(&p1);
	px_stop(&p2);
	px_stop(&p3);
}

/*
 * An end that SEND_PIPE moved counts for its new holder only: a sender at
 * the limit can open again, and a receiver counts the end it got.
 */
TEST_F(limits, send_moves_the_slot)
{
	struct px_agent p1, p2, p3;
	struct iuc_open_pipe op, mine[SMALL_PIPES];
	struct iuc_send_pipe sp, sp2;
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, px_start_target(&p1));
	ASSERT_EQ(0, px_start_target(&p2));
	ASSERT_EQ(0, px_start_target(&p3));
	ASSERT_EQ(0, param_write(PARAM_MAX_PIPES, SMALL_PIPES));

	for (int i = 0; i < SMALL_PIPES; i++) {
		mine[i] = op_args(p1.pid, (uint8_t)(i & 1), IUC_PIPE_MODE_RAW,
				  IUC_NOTIFY_SKIP);
		ASSERT_EQ(0, iuc_open_pipe(fd, &mine[i]));
	}
	op = op_args(p2.pid, 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY_SKIP);
	ASSERT_EQ(-EMFILE, iuc_open_pipe(fd, &op));

	/* Sent away: the test has a free slot again (p2: 1 end). */
	ASSERT_EQ(0, px_send_pipe(fd, mine[0].id, p2.pid, IUC_NOTIFY_SKIP, &sp));
	op = op_args(p2.pid, 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY_SKIP);
	EXPECT_EQ(0, iuc_open_pipe(fd, &op)) TH_LOG("the sender's slot stayed taken");
	EXPECT_EQ(IUC_E_NONE, op.error);

	/* p2 holds 2 ends; one more fills it. */
	op = op_args(p2.pid, 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY_SKIP);
	ASSERT_EQ(0, px_ag_open_pipe(&p3, &op));
	op = op_args(p2.pid, 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY_SKIP);
	EXPECT_EQ(-EMFILE, px_ag_open_pipe(&p3, &op)) TH_LOG("received end not counted");
	EXPECT_EQ(IUC_E_LIMIT, op.error);

	/* p2 passes the received end on to p3: p2 has room again. */
	ASSERT_EQ(0, px_ag_send_pipe(&p2, sp.peer_id, p3.pid, IUC_NOTIFY_SKIP, &sp2));
	op = op_args(p2.pid, 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY_SKIP);
	EXPECT_EQ(0, px_ag_open_pipe(&p3, &op));
	EXPECT_EQ(IUC_E_NONE, op.error);
	px_stop(&p1);
	px_stop(&p2);
	px_stop(&p3);
}

/*
 * A target whose signal queue holds max_queued_signals records refuses
 * notified OPEN_PIPE and SEND_PIPE with EAGAIN 0x3F, leaving nothing
 * behind; IUC_NOTIFY_SKIP still works; reading one record makes room.
 */
TEST_F(limits, max_queued_signals)
{
	struct px_agent full, other;
	struct iuc_open_pipe op, spare;
	struct iuc_send_pipe sp;
	struct iuc_signal s;
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, px_start_target(&full));
	ASSERT_EQ(0, px_start_target(&other));
	ASSERT_EQ(0, param_write(PARAM_MAX_QUEUED, SMALL_QUEUE));

	for (int i = 0; i < SMALL_QUEUE; i++) {
		op = op_args(full.pid, 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY);
		op.command = (uint16_t)i;
		ASSERT_EQ(0, iuc_open_pipe(fd, &op));
	}
	for (int type = 0; type <= 1; type++) {
		op = op_args(full.pid, (uint8_t)type, IUC_PIPE_MODE_RAW, IUC_NOTIFY);
		EXPECT_EQ(-EAGAIN, iuc_open_pipe(fd, &op));
		EXPECT_EQ(IUC_E_QUEUE_FULL, op.error);
		if (op.id) {
			EXPECT_EQ(-EBADF, px_status(fd, op.id));
		}
	}
	op = op_args(full.pid, 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY_SKIP);
	EXPECT_EQ(0, iuc_open_pipe(fd, &op));

	spare = op_args(other.pid, 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY_SKIP);
	ASSERT_EQ(0, iuc_open_pipe(fd, &spare));
	EXPECT_EQ(-EAGAIN, px_send_pipe(fd, spare.id, full.pid, IUC_NOTIFY, &sp));
	EXPECT_EQ(IUC_E_QUEUE_FULL, sp.error);
	EXPECT_EQ(IUC_PIPE_IS_SC, px_status(fd, spare.id) & IUC_PIPE_IS_SC);

	/* One record read: one more fits. */
	ASSERT_EQ(0, px_ag_sig(&full, &s, TIMEOUT_MS));
	EXPECT_EQ(0, s.data.recv_pipe.command);
	EXPECT_EQ(0, px_send_pipe(fd, spare.id, full.pid, IUC_NOTIFY, &sp));
	EXPECT_EQ(IUC_E_NONE, sp.error);
	EXPECT_EQ(-EBADF, px_status(fd, spare.id));
	op = op_args(full.pid, 0, IUC_PIPE_MODE_RAW, IUC_NOTIFY);
	EXPECT_EQ(-EAGAIN, iuc_open_pipe(fd, &op));
	EXPECT_EQ(IUC_E_QUEUE_FULL, op.error);

	ASSERT_EQ(0, px_ag_sig(&full, &s, TIMEOUT_MS));
	EXPECT_EQ(1, s.data.recv_pipe.command);
	ASSERT_EQ(0, px_ag_sig(&full, &s, TIMEOUT_MS));
	EXPECT_EQ(IUC_SIG_RECV_PIPE, s.code);
	EXPECT_EQ(sp.peer_id, s.data.recv_pipe.id);
	EXPECT_EQ(0, px_ag_sig_pending(&full));
	px_stop(&full);
	px_stop(&other);
}

TEST_HARNESS_MAIN
