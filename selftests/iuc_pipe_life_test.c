// SPDX-License-Identifier: GPL-2.0
/*
 * IUC selftests: the life of a pipe after it opened.
 *
 * CLOSE_PIPE (both ends at once, PIPE_CLOSED to the other holder, data
 * still readable, EPIPE afterwards, blocked calls woken), the end of a
 * process (PIPE_CLOSED "terminated" to every peer even while a forked
 * child holds its fd, ESRCH 0x11 for the late CLOSE_PIPE), SEND_PIPE
 * (the end changes hands, with its data, along a chain of processes, and
 * the last holder is the one told about the close) and stale identifiers.
 *
 * Blocked calls are seen through PIPE_INFO's pending bits, never assumed.
 */
#include "kselftest_harness.h"
#include "iuc_pipe_util.h"

/* A pipe from the test to @ag with @type, notified, command 0x500. */
static int open_to(int fd, struct px_agent *ag, uint8_t type, uint8_t mode,
		   struct iuc_open_pipe *op)
{
	*op = iuc_pipe_args(ag->pid, 0x500);
	op->type = type;
	op->mode = mode;
	op->size_hint = 4242;
	return iuc_open_pipe(fd, op);
}

/* Read the agent's next record: must be RECV_PIPE for @id. */
static bool ag_got_pipe(struct px_agent *ag, uint64_t id)
{
	struct iuc_signal s;

	return px_ag_sig(ag, &s, TIMEOUT_MS) == 0 && s.code == IUC_SIG_RECV_PIPE &&
	       s.data.recv_pipe.id == id;
}

#define EXPECT_CLOSED_SIG(s, want_id, type, want_part) do {			\
	EXPECT_EQ(IUC_SIG_PIPE_CLOSED, (s).code);				\
	EXPECT_EQ((uint64_t)(want_id), (s).data.pipe_closed.id);		\
	EXPECT_EQ((uint64_t)(want_id), (s).object);				\
	EXPECT_EQ((type), (s).data.pipe_closed.closing_type);			\
	EXPECT_EQ((want_part), (s).data.pipe_closed.part);			\
	EXPECT_TRUE(all_zero((s).data.pipe_closed.__pad,			\
			     sizeof((s).data.pipe_closed.__pad)));		\
	EXPECT_TRUE(sig_reserved_zero(&(s)));					\
} while (0)

/* ---- CLOSE_PIPE -------------------------------------------------------- */

/*
 * Either side closes, holding either part: the other side gets PIPE_CLOSED
 * (closed by call, the part it holds, its identifier), the closer nothing.
 * The closer's identifier is then unknown (close EBADF 0x10, info EBADF
 * 0x20); the other's shows the pipe closed, and its own CLOSE_PIPE
 * succeeds once, then its identifier is unknown too.
 */
TEST(close_notifies_peer)
{
	struct iuc_open_pipe op;
	struct iuc_pipe_info in;
	struct iuc_signal s;
	struct px_agent ag;
	uint32_t err;
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, px_start_target(&ag));
	for (int test_closes = 0; test_closes <= 1; test_closes++) {
		for (int type = 0; type <= 1; type++) {
			uint8_t my_part = type == 0 ? IUC_PART_SC : IUC_PART_RC;

			ASSERT_EQ(0, open_to(fd, &ag, (uint8_t)type, IUC_PIPE_MODE_RAW, &op));
			ASSERT_TRUE(ag_got_pipe(&ag, op.peer_id));
			if (test_closes) {
				EXPECT_EQ(0, iuc_close_pipe(fd, op.id, &err));
				EXPECT_EQ(IUC_E_NONE, err);
				ASSERT_EQ(0, px_ag_sig(&ag, &s, TIMEOUT_MS));
				EXPECT_CLOSED_SIG(s, op.peer_id, IUC_CLOSED_BY_CALL, !my_part);
				EXPECT_EQ(0, px_sig_pending(fd));
				EXPECT_EQ(-EBADF, iuc_close_pipe(fd, op.id, &err));
				EXPECT_EQ(IUC_E_CLOSE_UNKNOWN_ID, err);
				EXPECT_EQ(-EBADF, px_info(fd, op.id, &in));
				EXPECT_EQ(IUC_E_INFO_UNKNOWN_ID, in.error);
				ASSERT_EQ(0, px_ag_info(&ag, op.peer_id, &in));
				EXPECT_EQ(0, in.status & IUC_PIPE_OPENED);
				EXPECT_EQ(0, px_ag_close(&ag, op.peer_id, &err));
				EXPECT_EQ(IUC_E_NONE, err);
				EXPECT_EQ(-EBADF, px_ag_close(&ag, op.peer_id, &err));
				EXPECT_EQ(IUC_E_CLOSE_UNKNOWN_ID, err);
			} else {
				EXPECT_EQ(0, px_ag_close(&ag, op.peer_id, &err));
				EXPECT_EQ(IUC_E_NONE, err);
				ASSERT_EQ(0, iuc_read_sig(fd, &s, TIMEOUT_MS));
				EXPECT_CLOSED_SIG(s, op.id, IUC_CLOSED_BY_CALL, my_part);
				EXPECT_EQ(0, px_ag_sig_pending(&ag));
				EXPECT_EQ(-EBADF, px_ag_close(&ag, op.peer_id, &err));
				EXPECT_EQ(IUC_E_CLOSE_UNKNOWN_ID, err);
				EXPECT_EQ(-EBADF, px_ag_info(&ag, op.peer_id, &in));
				EXPECT_EQ(IUC_E_INFO_UNKNOWN_ID, in.error);
				ASSERT_EQ(0, px_info(fd, op.id, &in));
				EXPECT_EQ(0, in.status & IUC_PIPE_OPENED);
				EXPECT_EQ(type ? 0 : IUC_PIPE_IS_SC, in.status & IUC_PIPE_IS_SC);
				EXPECT_EQ(0, iuc_close_pipe(fd, op.id, &err));
				EXPECT_EQ(IUC_E_NONE, err);
				EXPECT_EQ(-EBADF, iuc_close_pipe(fd, op.id, &err));
				EXPECT_EQ(IUC_E_CLOSE_UNKNOWN_ID, err);
			}
			EXPECT_EQ(0, px_sig_pending(fd));
			EXPECT_EQ(0, px_ag_sig_pending(&ag));
		}
	}
	px_stop(&ag);
}

/* Once the reader closed, every write fails with EPIPE 0x21. */
TEST(close_then_write_epipe)
{
	struct iuc_open_pipe op;
	struct iuc_pipe_write w;
	struct iuc_signal s;
	struct px_agent ag;
	char buf[10] = { 0 };
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, px_start_target(&ag));
	for (int mode = 0; mode <= 1; mode++) {
		ASSERT_EQ(0, open_to(fd, &ag, 0, (uint8_t)mode, &op));
		ASSERT_EQ(0, px_write(fd, op.id, buf, sizeof(buf), IUC_IO_BLOCK, &w));
		ASSERT_EQ(0, px_ag_close(&ag, op.peer_id, NULL));
		ASSERT_EQ(0, iuc_read_sig(fd, &s, TIMEOUT_MS));
		EXPECT_CLOSED_SIG(s, op.id, IUC_CLOSED_BY_CALL, IUC_PART_SC);
		for (int wm = 0; wm <= 2; wm++) {
			if (mode == IUC_PIPE_MODE_MESSAGE && wm == IUC_IO_PARTIAL)
				continue;
			EXPECT_EQ(-EPIPE, px_write(fd, op.id, buf, sizeof(buf),
						   (uint8_t)wm, &w))
				TH_LOG("pipe mode %d, write mode %d", mode, wm);
			EXPECT_EQ(IUC_E_WRITE_CLOSED, w.error);
			EXPECT_EQ(0, w.transferred);
		}
		EXPECT_EQ(0, iuc_close_pipe(fd, op.id, NULL));
		EXPECT_EQ(-EBADF, px_write(fd, op.id, buf, sizeof(buf), IUC_IO_BLOCK, &w));
		EXPECT_EQ(IUC_E_WRITE_UNKNOWN_SC, w.error);
	}
	px_stop(&ag);
}

/*
 * Once the writer closed, the reader drains what was pending; then reads
 * fail with EPIPE 0x21 (a blocking read that wanted more reports what it
 * got in @transferred); its own CLOSE_PIPE succeeds.  Raw and message.
 */
TEST(close_then_drain)
{
	const uint64_t cap = px_cap(1);
	struct iuc_open_pipe op;
	struct iuc_pipe_info in;
	struct iuc_pipe_read r;
	struct iuc_signal s;
	struct px_agent ag;
	char buf[1000];
	uint32_t err;
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, px_start_target(&ag));

	/* Raw. */
	ASSERT_EQ(0, open_to(fd, &ag, 1, IUC_PIPE_MODE_RAW, &op));
	ASSERT_EQ(0, px_ag_write(&ag, op.peer_id, 1000, IUC_IO_BLOCK, 20, 0, NULL));
	ASSERT_EQ(0, px_ag_close(&ag, op.peer_id, NULL));
	ASSERT_EQ(0, iuc_read_sig(fd, &s, TIMEOUT_MS));
	EXPECT_CLOSED_SIG(s, op.id, IUC_CLOSED_BY_CALL, IUC_PART_RC);
	ASSERT_EQ(0, px_info(fd, op.id, &in));
	EXPECT_EQ(0, in.status & IUC_PIPE_OPENED);
	EXPECT_EQ(cap - 1000, in.room);

	EXPECT_EQ(0, px_read(fd, op.id, buf, 400, IUC_IO_BLOCK, &r));
	EXPECT_EQ(600, r.result);
	EXPECT_EQ(PX_NO_BAD, px_pat_check(buf, 400, 20, 0));
	EXPECT_EQ(0, px_read(fd, op.id, buf, 300, IUC_IO_TRY, &r));
	EXPECT_EQ(300, r.result);
	EXPECT_EQ(PX_NO_BAD, px_pat_check(buf, 300, 20, 400));
	EXPECT_EQ(-EPIPE, px_read(fd, op.id, buf, 1000, IUC_IO_BLOCK, &r));
	EXPECT_EQ(IUC_E_READ_CLOSED, r.error);
	EXPECT_EQ(300, r.transferred);
	EXPECT_EQ(PX_NO_BAD, px_pat_check(buf, 300, 20, 700));
	for (int mode = 0; mode <= 2; mode++) {
		EXPECT_EQ(-EPIPE, px_read(fd, op.id, buf, 10, (uint8_t)mode, &r))
			TH_LOG("mode %d", mode);
		EXPECT_EQ(IUC_E_READ_CLOSED, r.error);
		EXPECT_EQ(0, r.transferred);
		EXPECT_EQ(-EPIPE, px_read(fd, op.id, buf, 0, (uint8_t)mode, &r));
		EXPECT_EQ(IUC_E_READ_CLOSED, r.error);
	}
	EXPECT_EQ(0, iuc_close_pipe(fd, op.id, &err));
	EXPECT_EQ(IUC_E_NONE, err);

	/* Message: the pending messages, whole, then EPIPE. */
	ASSERT_EQ(0, open_to(fd, &ag, 1, IUC_PIPE_MODE_MESSAGE, &op));
	ASSERT_EQ(0, px_ag_write(&ag, op.peer_id, 100, IUC_IO_BLOCK, 21, 0, NULL));
	ASSERT_EQ(0, px_ag_write(&ag, op.peer_id, 200, IUC_IO_BLOCK, 21, 100, NULL));
	ASSERT_EQ(0, px_ag_close(&ag, op.peer_id, NULL));
	EXPECT_EQ(0, px_read(fd, op.id, buf, sizeof(buf), IUC_IO_TRY, &r));
	EXPECT_EQ(100, r.result);
	EXPECT_EQ(PX_NO_BAD, px_pat_check(buf, 100, 21, 0));
	EXPECT_EQ(0, px_read(fd, op.id, buf, sizeof(buf), IUC_IO_BLOCK, &r));
	EXPECT_EQ(200, r.result);
	EXPECT_EQ(PX_NO_BAD, px_pat_check(buf, 200, 21, 100));
	for (int mode = 0; mode <= 1; mode++) {
		EXPECT_EQ(-EPIPE, px_read(fd, op.id, buf, sizeof(buf), (uint8_t)mode, &r));
		EXPECT_EQ(IUC_E_READ_CLOSED, r.error);
	}
	EXPECT_EQ(0, iuc_close_pipe(fd, op.id, &err));
	EXPECT_EQ(IUC_E_NONE, err);
	px_stop(&ag);
}

/*
 * A reader blocked for more data is woken by the writer's CLOSE_PIPE:
 * EPIPE 0x21, with the bytes it got before.
 */
TEST(close_wakes_blocked_reader)
{
	struct iuc_open_pipe op;
	struct iuc_pipe_write w;
	struct iuc_signal s;
	struct px_reply rep;
	struct px_agent ag;
	struct px_msg m;
	char buf[10];
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, px_start_target(&ag));
	ASSERT_EQ(0, open_to(fd, &ag, 0, IUC_PIPE_MODE_RAW, &op));
	ASSERT_TRUE(ag_got_pipe(&ag, op.peer_id));
	px_pat_fill(buf, sizeof(buf), 22, 0);
	ASSERT_EQ(0, px_write(fd, op.id, buf, sizeof(buf), IUC_IO_BLOCK, &w));

	m = px_m_read(op.peer_id, 100, IUC_IO_BLOCK, 22, 0, 0);
	ASSERT_EQ(0, px_send(&ag, &m));
	ASSERT_TRUE(px_wait_status(fd, op.id, IUC_PIPE_READ_PENDING, IUC_PIPE_READ_PENDING));
	EXPECT_EQ(0, iuc_close_pipe(fd, op.id, NULL));
	ASSERT_EQ(-EPIPE, px_wait(&ag, &rep, TIMEOUT_MS));
	EXPECT_EQ(IUC_E_READ_CLOSED, rep.u.r.error);
	EXPECT_EQ(sizeof(buf), rep.u.r.transferred);
	EXPECT_EQ(PX_NO_BAD, rep.v[0]);
	ASSERT_EQ(0, px_ag_sig(&ag, &s, TIMEOUT_MS));
	EXPECT_CLOSED_SIG(s, op.peer_id, IUC_CLOSED_BY_CALL, IUC_PART_RC);
	px_stop(&ag);
}

/*
 * A writer blocked for room is woken by the reader's CLOSE_PIPE: EPIPE
 * 0x21, with the bytes it wrote before.
 */
TEST(close_wakes_blocked_writer)
{
	const uint64_t cap = px_cap(1);
	struct iuc_open_pipe op;
	struct iuc_pipe_write w;
	struct iuc_signal s;
	struct px_async as;
	struct px_agent ag;
	char *buf = calloc(1, cap + 100);
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, px_start_target(&ag));
	ASSERT_EQ(0, open_to(fd, &ag, 0, IUC_PIPE_MODE_RAW, &op));

	memset(&w, 0, sizeof(w));
	w.error = ERR_SENTINEL;
	w.id = op.id;
	w.buf = (uint64_t)(uintptr_t)buf;
	w.count = cap + 100;
	w.mode = IUC_IO_BLOCK;
	ASSERT_EQ(0, px_async_start(&as, fd, IUC_IOC_PIPE_WRITE, &w));
	ASSERT_TRUE(px_wait_status(fd, op.id, IUC_PIPE_WRITE_PENDING,
				   IUC_PIPE_WRITE_PENDING));
	EXPECT_EQ(0, px_ag_close(&ag, op.peer_id, NULL));
	ASSERT_EQ(0, px_async_join(&as));
	EXPECT_EQ(-EPIPE, as.ret);
	EXPECT_EQ(IUC_E_WRITE_CLOSED, w.error);
	EXPECT_EQ(cap, w.transferred);
	ASSERT_EQ(0, iuc_read_sig(fd, &s, TIMEOUT_MS));
	EXPECT_CLOSED_SIG(s, op.id, IUC_CLOSED_BY_CALL, IUC_PART_SC);
	free(buf);
	px_stop(&ag);
}

/*
 * The process at the other end is killed while the test is blocked on the
 * pipe (reading, then writing): the call ends with EPIPE 0x21 and what it
 * moved, PIPE_CLOSED "terminated" arrives, and CLOSE_PIPE answers ESRCH
 * 0x11 (closing all the same: the id is unknown afterwards).
 */
TEST(sigkill_wakes_blocked_calls)
{
	const uint64_t cap = px_cap(1);
	char *buf = calloc(1, cap + 100);
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, buf);
	for (int reading = 1; reading >= 0; reading--) {
		struct iuc_open_pipe op;
		struct iuc_pipe_write w;
		struct iuc_pipe_read r;
		struct iuc_signal s;
		struct px_async as;
		struct px_agent ag;
		uint32_t err;
		uint64_t mine;

		ASSERT_EQ(0, px_start_target(&ag));
		if (reading) {
			/* The agent opens it and writes 10 bytes. */
			op = iuc_pipe_args(getpid(), 0x501);
			ASSERT_EQ(0, px_ag_open_pipe(&ag, &op));
			mine = op.peer_id;
			ASSERT_EQ(0, iuc_read_sig(fd, &s, TIMEOUT_MS));
			ASSERT_EQ(IUC_SIG_RECV_PIPE, s.code);
			ASSERT_EQ(0, px_ag_write(&ag, op.id, 10, IUC_IO_BLOCK, 23, 0, NULL));
			memset(&r, 0, sizeof(r));
			r.error = ERR_SENTINEL;
			r.id = mine;
			r.buf = (uint64_t)(uintptr_t)buf;
			r.count = 100;
			r.mode = IUC_IO_BLOCK;
			ASSERT_EQ(0, px_async_start(&as, fd, IUC_IOC_PIPE_READ, &r));
			ASSERT_TRUE(px_wait_status(fd, mine, IUC_PIPE_READ_PENDING,
						   IUC_PIPE_READ_PENDING));
		} else {
			ASSERT_EQ(0, open_to(fd, &ag, 0, IUC_PIPE_MODE_RAW, &op));
			mine = op.id;
			memset(&w, 0, sizeof(w));
			w.error = ERR_SENTINEL;
			w.id = mine;
			w.buf = (uint64_t)(uintptr_t)buf;
			w.count = cap + 100;
			w.mode = IUC_IO_BLOCK;
			ASSERT_EQ(0, px_async_start(&as, fd, IUC_IOC_PIPE_WRITE, &w));
			ASSERT_TRUE(px_wait_status(fd, mine, IUC_PIPE_WRITE_PENDING,
						   IUC_PIPE_WRITE_PENDING));
		}
		ASSERT_EQ(0, kill(ag.pid, SIGKILL));
		ASSERT_EQ(0, px_async_join(&as));
		EXPECT_EQ(-EPIPE, as.ret);
		if (reading) {
			EXPECT_EQ(IUC_E_READ_CLOSED, r.error);
			EXPECT_EQ(10, r.transferred);
			EXPECT_EQ(PX_NO_BAD, px_pat_check(buf, 10, 23, 0));
		} else {
			EXPECT_EQ(IUC_E_WRITE_CLOSED, w.error);
			EXPECT_EQ(cap, w.transferred);
		}
		ASSERT_EQ(0, iuc_read_sig(fd, &s, TIMEOUT_MS));
		EXPECT_CLOSED_SIG(s, mine, IUC_CLOSED_PEER_DIED,
				  reading ? IUC_PART_RC : IUC_PART_SC);
		EXPECT_EQ(-ESRCH, iuc_close_pipe(fd, mine, &err));
		EXPECT_EQ(IUC_E_CLOSE_PEER_TERMINATED, err);
		EXPECT_EQ(-EBADF, iuc_close_pipe(fd, mine, &err));
		EXPECT_EQ(IUC_E_CLOSE_UNKNOWN_ID, err);
		EXPECT_EQ(0, px_sig_pending(fd));
		px_stop(&ag);
	}
	free(buf);
}

/*
 * A process exits with pipes open to two others, while a child it forked
 * still holds its /dev/iuc fd: each peer gets PIPE_CLOSED "terminated"
 * for the part it holds, can still read what was pending, gets EPIPE
 * after, and CLOSE_PIPE answers ESRCH 0x11.
 */
TEST(exit_closes_pipes_despite_fd_holder)
{
	struct iuc_open_pipe to_me, from_me, to_r;
	struct px_agent p, r;
	struct iuc_pipe_write w;
	struct iuc_pipe_read rd;
	struct iuc_signal s;
	uint32_t err;
	int hold[2], holder, st;
	bool got_rc = false, got_sc = false;
	char buf[200];
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1));
	ASSERT_EQ(0, pipe2(hold, O_CLOEXEC));
	ASSERT_EQ(0, px_start(&p, NULL, hold[0]));
	close(hold[0]);
	ASSERT_EQ(0, px_target_setup(&p));
	ASSERT_EQ(0, px_start_target(&r));

	/* p -> test (test holds the RC), test -> p (test holds the SC), r <- p. */
	to_me = iuc_pipe_args(getpid(), 1);
	ASSERT_EQ(0, px_ag_open_pipe(&p, &to_me));
	ASSERT_EQ(0, iuc_read_sig(fd, &s, TIMEOUT_MS));
	ASSERT_EQ(0, open_to(fd, &p, 0, IUC_PIPE_MODE_RAW, &from_me));
	to_r = iuc_pipe_args(r.pid, 2);
	to_r.type = IUC_PIPE_TYPE_CALLER_RECEIVES;
	ASSERT_EQ(0, px_ag_open_pipe(&p, &to_r));
	ASSERT_TRUE(ag_got_pipe(&r, to_r.peer_id));
	ASSERT_EQ(0, px_ag_write(&p, to_me.id, 200, IUC_IO_BLOCK, 24, 0, NULL));

	holder = px_ag_fork_holder(&p);
	ASSERT_LT(0, holder);
	st = px_ag_exit(&p);
	ASSERT_EQ(0, st) TH_LOG("exit status 0x%x", st);
	ASSERT_EQ(0, kill(holder, 0));

	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, iuc_read_sig(fd, &s, TIMEOUT_MS)) TH_LOG("record %d", i);
		EXPECT_EQ(IUC_SIG_PIPE_CLOSED, s.code);
		if (s.data.pipe_closed.id == to_me.peer_id) {
			EXPECT_CLOSED_SIG(s, to_me.peer_id, IUC_CLOSED_PEER_DIED, IUC_PART_RC);
			got_rc = true;
		} else {
			EXPECT_CLOSED_SIG(s, from_me.id, IUC_CLOSED_PEER_DIED, IUC_PART_SC);
			got_sc = true;
		}
	}
	EXPECT_TRUE(got_rc && got_sc);
	ASSERT_EQ(0, px_ag_sig(&r, &s, TIMEOUT_MS));
	EXPECT_CLOSED_SIG(s, to_r.peer_id, IUC_CLOSED_PEER_DIED, IUC_PART_SC);
	/* The holder still lives and holds the fd: that did not matter. */
	EXPECT_EQ(0, kill(holder, 0));

	EXPECT_EQ(0, px_read(fd, to_me.peer_id, buf, sizeof(buf), IUC_IO_BLOCK, &rd));
	EXPECT_EQ(PX_NO_BAD, px_pat_check(buf, sizeof(buf), 24, 0));
	EXPECT_EQ(-EPIPE, px_read(fd, to_me.peer_id, buf, sizeof(buf), IUC_IO_BLOCK, &rd));
	EXPECT_EQ(IUC_E_READ_CLOSED, rd.error);
	EXPECT_EQ(-EPIPE, px_write(fd, from_me.id, buf, 1, IUC_IO_BLOCK, &w));
	EXPECT_EQ(IUC_E_WRITE_CLOSED, w.error);

	EXPECT_EQ(-ESRCH, iuc_close_pipe(fd, to_me.peer_id, &err));
	EXPECT_EQ(IUC_E_CLOSE_PEER_TERMINATED, err);
	EXPECT_EQ(-ESRCH, iuc_close_pipe(fd, from_me.id, &err));
	EXPECT_EQ(IUC_E_CLOSE_PEER_TERMINATED, err);
	EXPECT_EQ(-EBADF, iuc_close_pipe(fd, from_me.id, &err));
	EXPECT_EQ(IUC_E_CLOSE_UNKNOWN_ID, err);
	EXPECT_EQ(-ESRCH, px_ag_close(&r, to_r.peer_id, &err));
	EXPECT_EQ(IUC_E_CLOSE_PEER_TERMINATED, err);

	close(hold[1]);
	EXPECT_EQ(0, wait_child(holder, true));
	px_stop(&r);
}

/* ---- SEND_PIPE ------------------------------------------------------------- */

/*
 * SEND_PIPE moves an RC or an SC: the sender's identifier is unknown
 * afterwards (EBADF for every call), the receiver gets RECV_PIPE with an
 * identifier of its own (= @peer_id given to the sender) and the pipe's
 * fields, and uses it: data written before the move is still there.  A
 * close by the other end is announced to the new holder only.
 */
TEST(send_moves_each_part)
{
	struct px_agent a, b;
	uint64_t anid = ipc_ns_ino();
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, px_start_target(&a));
	ASSERT_EQ(0, px_start_target(&b));
	for (int part = IUC_PART_RC; part <= IUC_PART_SC; part++) {
		struct iuc_open_pipe op;
		struct iuc_send_pipe sp, again;
		struct iuc_pipe_info in;
		struct iuc_pipe_write w;
		struct iuc_pipe_read r;
		struct iuc_signal s;
		char buf[200];
		uint64_t bad;
		uint32_t err;

		/* a gets @part. */
		ASSERT_EQ(0, open_to(fd, &a, part == IUC_PART_RC ? 0 : 1,
				     IUC_PIPE_MODE_RAW, &op));
		ASSERT_TRUE(ag_got_pipe(&a, op.peer_id));
		px_pat_fill(buf, sizeof(buf), 25 + part, 0);
		if (part == IUC_PART_RC) {
			ASSERT_EQ(0, px_write(fd, op.id, buf, 100, IUC_IO_BLOCK, &w));
		} else {
			ASSERT_EQ(0, px_ag_write(&a, op.peer_id, 100, IUC_IO_BLOCK,
						 25 + part, 0, NULL));
		}

		ASSERT_EQ(0, px_ag_send_pipe(&a, op.peer_id, b.pid, IUC_NOTIFY, &sp));
		EXPECT_EQ(IUC_E_NONE, sp.error);
		ASSERT_NE(0, sp.peer_id);

		/* a's identifier is gone. */
		EXPECT_EQ(-EBADF, px_ag_info(&a, op.peer_id, &in));
		EXPECT_EQ(IUC_E_INFO_UNKNOWN_ID, in.error);
		EXPECT_EQ(-EBADF, px_ag_close(&a, op.peer_id, &err));
		EXPECT_EQ(IUC_E_CLOSE_UNKNOWN_ID, err);
		EXPECT_EQ(-EBADF, px_ag_send_pipe(&a, op.peer_id, b.pid, IUC_NOTIFY, &again));
		EXPECT_EQ(IUC_E_SEND_UNKNOWN_ID, again.error);
		EXPECT_EQ(-EBADF, px_ag_read(&a, op.peer_id, 10, IUC_IO_PARTIAL, 0, 0, 0,
					     &r, NULL));
		EXPECT_EQ(IUC_E_READ_UNKNOWN_RC, r.error);
		EXPECT_EQ(-EBADF, px_ag_write(&a, op.peer_id, 10, IUC_IO_BLOCK, 0, 0, &w));
		EXPECT_EQ(IUC_E_WRITE_UNKNOWN_SC, w.error);

		/* b is told, with b's identifier. */
		ASSERT_EQ(0, px_ag_sig(&b, &s, TIMEOUT_MS));
		EXPECT_EQ(IUC_SIG_RECV_PIPE, s.code);
		EXPECT_EQ(sp.peer_id, s.data.recv_pipe.id);
		EXPECT_EQ(sp.peer_id, s.object);
		EXPECT_EQ((uint64_t)getpid(), s.data.recv_pipe.creator_pid);
		EXPECT_EQ((uint32_t)anid, s.data.recv_pipe.creator_anid);
		EXPECT_EQ(0x500, s.data.recv_pipe.command);
		EXPECT_EQ(part, s.data.recv_pipe.id_type);
		EXPECT_EQ(IUC_PIPE_MODE_RAW, s.data.recv_pipe.mode);
		EXPECT_EQ(4242, s.data.recv_pipe.size_hint);
		ASSERT_EQ(0, px_ag_info(&b, sp.peer_id, &in));
		EXPECT_EQ(IUC_PIPE_OPENED | (part == IUC_PART_SC ? IUC_PIPE_IS_SC : 0),
			  in.status);
		EXPECT_EQ((uint64_t)getpid(), in.creator_pid);

		/* b uses it; the data from before the move is there. */
		if (part == IUC_PART_RC) {
			ASSERT_EQ(0, px_write(fd, op.id, buf + 100, 100, IUC_IO_BLOCK, &w));
			EXPECT_EQ(0, px_ag_read(&b, sp.peer_id, 200, IUC_IO_BLOCK, 25 + part,
						0, 0, &r, &bad));
			EXPECT_EQ(200, r.transferred);
			EXPECT_EQ(PX_NO_BAD, bad);
		} else {
			EXPECT_EQ(0, px_ag_write(&b, sp.peer_id, 100, IUC_IO_BLOCK, 25 + part,
						 100, NULL));
			EXPECT_EQ(0, px_read(fd, op.id, buf, 200, IUC_IO_BLOCK, &r));
			EXPECT_EQ(PX_NO_BAD, px_pat_check(buf, 200, 25 + part, 0));
		}

		/* The close goes to b, not to a. */
		ASSERT_EQ(0, iuc_close_pipe(fd, op.id, NULL));
		ASSERT_EQ(0, px_ag_sig(&b, &s, TIMEOUT_MS));
		EXPECT_CLOSED_SIG(s, sp.peer_id, IUC_CLOSED_BY_CALL, part);
		EXPECT_EQ(0, px_ag_sig_pending(&a));
		EXPECT_EQ(0, px_ag_close(&b, sp.peer_id, &err));
		EXPECT_EQ(IUC_E_NONE, err);
	}
	px_stop(&a);
	px_stop(&b);
}

/*
 * An RC travels a -> b -> c while the test keeps writing: c reads every
 * byte in order, also those written before each move.  Closing from
 * either end notifies c (resp. the test) and nobody on the way.
 */
TEST(send_chain_three)
{
	struct px_agent a, b, c;
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, px_start_target(&a));
	ASSERT_EQ(0, px_start_target(&b));
	ASSERT_EQ(0, px_start_target(&c));
	for (int c_closes = 0; c_closes <= 1; c_closes++) {
		struct iuc_open_pipe op;
		struct iuc_send_pipe ab, bc;
		struct iuc_pipe_write w;
		struct iuc_pipe_read r;
		struct iuc_signal s;
		char buf[300];
		uint64_t bad, seed = 30 + c_closes;

		px_pat_fill(buf, sizeof(buf), seed, 0);
		ASSERT_EQ(0, open_to(fd, &a, 0, IUC_PIPE_MODE_RAW, &op));
		ASSERT_TRUE(ag_got_pipe(&a, op.peer_id));
		ASSERT_EQ(0, px_write(fd, op.id, buf, 100, IUC_IO_BLOCK, &w));

		ASSERT_EQ(0, px_ag_send_pipe(&a, op.peer_id, b.pid, IUC_NOTIFY, &ab));
		ASSERT_TRUE(ag_got_pipe(&b, ab.peer_id));
		ASSERT_EQ(0, px_write(fd, op.id, buf + 100, 100, IUC_IO_BLOCK, &w));
		EXPECT_EQ(0, px_ag_read(&b, ab.peer_id, 50, IUC_IO_BLOCK, seed, 0, 0,
					&r, &bad));
		EXPECT_EQ(PX_NO_BAD, bad);

		ASSERT_EQ(0, px_ag_send_pipe(&b, ab.peer_id, c.pid, IUC_NOTIFY, &bc));
		ASSERT_EQ(0, px_ag_sig(&c, &s, TIMEOUT_MS));
		EXPECT_EQ(IUC_SIG_RECV_PIPE, s.code);
		EXPECT_EQ(bc.peer_id, s.data.recv_pipe.id);
		EXPECT_EQ((uint64_t)getpid(), s.data.recv_pipe.creator_pid);
		EXPECT_EQ(IUC_PART_RC, s.data.recv_pipe.id_type);
		EXPECT_EQ(-EBADF, px_ag_info(&b, ab.peer_id, NULL));
		ASSERT_EQ(0, px_write(fd, op.id, buf + 200, 100, IUC_IO_BLOCK, &w));
		EXPECT_EQ(0, px_ag_read(&c, bc.peer_id, 250, IUC_IO_BLOCK, seed, 50, 0,
					&r, &bad));
		EXPECT_EQ(250, r.transferred);
		EXPECT_EQ(0, r.result);
		EXPECT_EQ(PX_NO_BAD, bad);

		if (c_closes) {
			EXPECT_EQ(0, px_ag_close(&c, bc.peer_id, NULL));
			ASSERT_EQ(0, iuc_read_sig(fd, &s, TIMEOUT_MS));
			EXPECT_CLOSED_SIG(s, op.id, IUC_CLOSED_BY_CALL, IUC_PART_SC);
			EXPECT_EQ(0, iuc_close_pipe(fd, op.id, NULL));
			EXPECT_EQ(0, px_ag_sig_pending(&c));
		} else {
			EXPECT_EQ(0, iuc_close_pipe(fd, op.id, NULL));
			ASSERT_EQ(0, px_ag_sig(&c, &s, TIMEOUT_MS));
			EXPECT_CLOSED_SIG(s, bc.peer_id, IUC_CLOSED_BY_CALL, IUC_PART_RC);
			EXPECT_EQ(-EPIPE, px_ag_read(&c, bc.peer_id, 1, IUC_IO_BLOCK, 0, 0, 0,
						     &r, NULL));
			EXPECT_EQ(IUC_E_READ_CLOSED, r.error);
			EXPECT_EQ(0, px_ag_close(&c, bc.peer_id, NULL));
			EXPECT_EQ(0, px_sig_pending(fd));
		}
		EXPECT_EQ(0, px_ag_sig_pending(&a));
		EXPECT_EQ(0, px_ag_sig_pending(&b));
	}
	px_stop(&a);
	px_stop(&b);
	px_stop(&c);
}

/*
 * IUC_NOTIFY_SKIP: the receiver gets no record, and the identifier the
 * sender was given works in the receiver.
 */
TEST(send_skip_notify)
{
	struct iuc_open_pipe op;
	struct iuc_send_pipe sp;
	struct iuc_pipe_read r;
	struct px_agent a, b;
	uint64_t bad;
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, px_start_target(&a));
	ASSERT_EQ(0, px_start_target(&b));
	ASSERT_EQ(0, open_to(fd, &a, 1, IUC_PIPE_MODE_MESSAGE, &op));
	ASSERT_TRUE(ag_got_pipe(&a, op.peer_id));
	ASSERT_EQ(0, px_ag_send_pipe(&a, op.peer_id, b.pid, IUC_NOTIFY_SKIP, &sp));
	EXPECT_EQ(IUC_E_NONE, sp.error);
	EXPECT_NE(0, sp.peer_id);
	EXPECT_EQ(0, px_ag_sig_pending(&b));
	EXPECT_EQ(0, px_ag_write(&b, sp.peer_id, 123, IUC_IO_BLOCK, 33, 0, NULL));
	{
		char buf[200];

		EXPECT_EQ(0, px_read(fd, op.id, buf, sizeof(buf), IUC_IO_BLOCK, &r));
		EXPECT_EQ(123, r.result);
		bad = px_pat_check(buf, 123, 33, 0);
		EXPECT_EQ(PX_NO_BAD, bad);
	}
	px_stop(&a);
	px_stop(&b);
}

/* ---- stale identifiers ------------------------------------------------------ */

#define ROUNDS	24

/* Every call on a closed identifier of the test process: EBADF. */
static void check_stale(struct __test_metadata *_metadata, int fd, uint64_t id,
			pid_t other)
{
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	struct iuc_pipe_info in;
	struct iuc_send_pipe sp;
	uint32_t err;
	char buf[8] = { 0 };

	EXPECT_EQ(-EBADF, px_write(fd, id, buf, sizeof(buf), IUC_IO_BLOCK, &w));
	EXPECT_EQ(IUC_E_WRITE_UNKNOWN_SC, w.error);
	EXPECT_EQ(-EBADF, px_read(fd, id, buf, sizeof(buf), IUC_IO_PARTIAL, &r));
	EXPECT_EQ(IUC_E_READ_UNKNOWN_RC, r.error);
	EXPECT_EQ(-EBADF, px_info(fd, id, &in));
	EXPECT_EQ(IUC_E_INFO_UNKNOWN_ID, in.error);
	EXPECT_EQ(-EBADF, iuc_close_pipe(fd, id, &err));
	EXPECT_EQ(IUC_E_CLOSE_UNKNOWN_ID, err);
	EXPECT_EQ(-EBADF, px_send_pipe(fd, id, other, IUC_NOTIFY_SKIP, &sp));
	EXPECT_EQ(IUC_E_SEND_UNKNOWN_ID, sp.error);
}

/*
 * Identifiers are never reused: every pipe opened after others closed gets
 * new identifiers on both sides, and the old ones stay unknown for every
 * call (while newer pipes are open).
 */
TEST(stale_ids_never_reused)
{
	uint64_t mine[ROUNDS + 1], theirs[ROUNDS + 1];
	struct iuc_open_pipe op;
	struct iuc_signal s;
	struct px_agent ag;
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, px_start_target(&ag));
	for (int i = 0; i <= ROUNDS; i++) {
		ASSERT_EQ(0, open_to(fd, &ag, (uint8_t)(i % 2), IUC_PIPE_MODE_RAW, &op));
		ASSERT_TRUE(ag_got_pipe(&ag, op.peer_id));
		mine[i] = op.id;
		theirs[i] = op.peer_id;
		for (int j = 0; j < i; j++) {
			EXPECT_NE(mine[j], mine[i]) TH_LOG("round %d reuses %d", i, j);
			EXPECT_NE(theirs[j], theirs[i]) TH_LOG("round %d reuses %d", i, j);
		}
		if (i == ROUNDS)
			break;	/* the last one stays open */
		if (i % 3 == 0) {
			ASSERT_EQ(0, iuc_close_pipe(fd, op.id, NULL));
			ASSERT_EQ(0, px_ag_sig(&ag, &s, TIMEOUT_MS));
			ASSERT_EQ(0, px_ag_close(&ag, op.peer_id, NULL));
		} else {
			ASSERT_EQ(0, px_ag_close(&ag, op.peer_id, NULL));
			ASSERT_EQ(0, iuc_read_sig(fd, &s, TIMEOUT_MS));
			ASSERT_EQ(0, iuc_close_pipe(fd, op.id, NULL));
		}
	}
	for (int i = 0; i < ROUNDS; i++) {
		struct iuc_pipe_info in;

		check_stale(_metadata, fd, mine[i], ag.pid);
		EXPECT_EQ(-EBADF, px_ag_info(&ag, theirs[i], &in)) TH_LOG("round %d", i);
		EXPECT_EQ(IUC_E_INFO_UNKNOWN_ID, in.error);
		EXPECT_EQ(-EBADF, px_ag_close(&ag, theirs[i], NULL));
	}
	/* The open one works. */
	EXPECT_EQ(IUC_PIPE_OPENED, px_status(fd, mine[ROUNDS]) & IUC_PIPE_OPENED);
	EXPECT_EQ(0, px_ag_info(&ag, theirs[ROUNDS], NULL));
	px_stop(&ag);
}

TEST_HARNESS_MAIN
