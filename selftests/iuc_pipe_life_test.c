// SPDX-License-Identifier: GPL-2.0
/*
 * IUC selftests: the life of a pipe after it opened.
 *
 * CLOSE_PIPE (both ends at once, PIPE_CLOSED to the other holder only,
 * data still readable, EPIPE afterwards, blocked calls woken), the end of
 * a process (PIPE_CLOSED "terminated" to every peer even while a forked
 * child holds its fd, ESRCH 0x11 for the late CLOSE_PIPE), SEND_PIPE (the
 * end changes hands, with its data, along a chain of processes, and the
 * last holder is the one told about the close) and identifiers (unique in
 * each process, never reused, unknown ones refused by every call).
 *
 * The scenarios that have two directions are written once over sides
 * (the test process or a peer, lib/side.h) and run both ways as fixture
 * variants.  Blocked calls are seen through PIPE_INFO's pending bits, never
 * assumed.
 */
#include "kselftest_harness.h"
#include "iuc_test.h"

#define CMD		0x500
#define SIZE_HINT	4242

/* The test's pipe context and @n ready targets. */
static void start_targets(struct __test_metadata *_metadata, int *fd,
			  struct peer *t, int n)
{
	*fd = iuc_pipe_ctx();
	ASSERT_LE(0, *fd);
	for (int i = 0; i < n; i++)
		ASSERT_EQ(0, peer_start_target(&t[i]));
}

static void stop_targets(struct __test_metadata *_metadata, struct peer *t, int n)
{
	for (int i = 0; i < n; i++)
		EXPECT_EQ(0, peer_stop(&t[i]));
}

/*
 * A pipe from the test to @tgt with @type and @mode, notified, command
 * CMD; the target's RECV_PIPE record is read.
 */
static void open_to(struct __test_metadata *_metadata, int fd, struct peer *tgt,
		    uint8_t type, uint8_t mode, struct iuc_open_pipe *op)
{
	struct iuc_signal s;

	*op = iuc_pipe_args(tgt->pid, CMD);
	op->type = type;
	op->mode = mode;
	op->size_hint = SIZE_HINT;
	ASSERT_EQ(0, iuc_open_pipe(fd, op));
	ASSERT_EQ(0, peer_read_sig(tgt, &s, TIMEOUT_MS));
	ASSERT_EQ(IUC_SIG_RECV_PIPE, s.code);
	ASSERT_EQ(op->peer_id, s.data.recv_pipe.id);
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

/* Every call on @id, an identifier @s does not hold: EBADF and its code. */
static void expect_unknown_id(struct __test_metadata *_metadata, struct side s,
			      uint64_t id, pid_t other)
{
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	struct iuc_pipe_info in;
	struct iuc_send_pipe sp;
	uint32_t err;

	EXPECT_EQ(-EBADF, side_write(s, id, 8, IUC_IO_BLOCK, 0, 0, &w))
		TH_LOG("id 0x%llx", (unsigned long long)id);
	EXPECT_EQ(IUC_E_WRITE_UNKNOWN_SC, w.error);
	EXPECT_EQ(-EBADF, side_read(s, id, 8, IUC_IO_PARTIAL, 0, 0, 0, &r, NULL));
	EXPECT_EQ(IUC_E_READ_UNKNOWN_RC, r.error);
	EXPECT_EQ(-EBADF, side_info(s, id, &in));
	EXPECT_EQ(IUC_E_INFO_UNKNOWN_ID, in.error);
	EXPECT_EQ(-EBADF, side_close_pipe(s, id, &err));
	EXPECT_EQ(IUC_E_CLOSE_UNKNOWN_ID, err);
	EXPECT_EQ(-EBADF, side_send_pipe(s, id, other, IUC_NOTIFY_SKIP, &sp));
	EXPECT_EQ(IUC_E_SEND_UNKNOWN_ID, sp.error);
}

/* ---- CLOSE_PIPE, by either side, of either part ------------------------------ */

FIXTURE(closing) {
	int fd;
	struct peer tgt;
	struct side closer, other;
	uint64_t closer_id, other_id;
	uint8_t other_part;
};

FIXTURE_VARIANT(closing) {
	uint8_t type;		/* of the pipe the test opens to the target */
	bool test_closes;
};

#define SENDS	IUC_PIPE_TYPE_CALLER_SENDS
#define RECEIVES	IUC_PIPE_TYPE_CALLER_RECEIVES

FIXTURE_VARIANT_ADD(closing, test_closes_its_sc) { .type = SENDS, .test_closes = true };
FIXTURE_VARIANT_ADD(closing, test_closes_its_rc) { .type = RECEIVES, .test_closes = true };
FIXTURE_VARIANT_ADD(closing, target_closes_its_rc) { .type = SENDS, .test_closes = false };
FIXTURE_VARIANT_ADD(closing, target_closes_its_sc) { .type = RECEIVES, .test_closes = false };

FIXTURE_SETUP(closing)
{
	uint8_t test_part = variant->type == IUC_PIPE_TYPE_CALLER_SENDS ?
			    IUC_PART_SC : IUC_PART_RC;
	struct side test, tgt;
	struct iuc_open_pipe op;

	start_targets(_metadata, &self->fd, &self->tgt, 1);
	open_to(_metadata, self->fd, &self->tgt, variant->type, IUC_PIPE_MODE_RAW, &op);
	test = side_test(self->fd);
	tgt = side_peer(&self->tgt);
	self->closer = variant->test_closes ? test : tgt;
	self->other = variant->test_closes ? tgt : test;
	self->closer_id = variant->test_closes ? op.id : op.peer_id;
	self->other_id = variant->test_closes ? op.peer_id : op.id;
	self->other_part = variant->test_closes ? !test_part : test_part;
}

FIXTURE_TEARDOWN(closing)
{
	stop_targets(_metadata, &self->tgt, 1);
}

/*
 * The other side gets PIPE_CLOSED: closed by call, the part it holds, its
 * identifier (also in @object), padding and reserved bytes zero.  The
 * closer gets no record.
 */
TEST_F(closing, other_side_gets_pipe_closed_closer_nothing)
{
	struct iuc_signal s;
	uint32_t err;

	EXPECT_EQ(0, side_close_pipe(self->closer, self->closer_id, &err));
	EXPECT_EQ(IUC_E_NONE, err);
	ASSERT_EQ(0, side_read_sig(self->other, &s, TIMEOUT_MS));
	EXPECT_CLOSED_SIG(s, self->other_id, IUC_CLOSED_BY_CALL, self->other_part);
	EXPECT_EQ(0, side_sig_pending(self->other));
	EXPECT_EQ(0, side_sig_pending(self->closer));
}

/*
 * The closer's identifier is unknown at once (CLOSE_PIPE EBADF 0x10,
 * PIPE_INFO EBADF 0x20).  The other's shows the pipe closed and the part
 * it holds; its own CLOSE_PIPE succeeds once, then it is unknown too.
 */
TEST_F(closing, closer_id_gone_other_id_closes_once)
{
	struct iuc_pipe_info in;
	uint32_t err;

	ASSERT_EQ(0, side_close_pipe(self->closer, self->closer_id, NULL));
	EXPECT_EQ(-EBADF, side_close_pipe(self->closer, self->closer_id, &err));
	EXPECT_EQ(IUC_E_CLOSE_UNKNOWN_ID, err);
	EXPECT_EQ(-EBADF, side_info(self->closer, self->closer_id, &in));
	EXPECT_EQ(IUC_E_INFO_UNKNOWN_ID, in.error);

	ASSERT_EQ(0, side_info(self->other, self->other_id, &in));
	EXPECT_EQ(0, in.status & IUC_PIPE_OPENED);
	EXPECT_EQ(self->other_part == IUC_PART_SC ? IUC_PIPE_IS_SC : 0,
		  in.status & IUC_PIPE_IS_SC);
	EXPECT_EQ(0, side_close_pipe(self->other, self->other_id, &err));
	EXPECT_EQ(IUC_E_NONE, err);
	EXPECT_EQ(-EBADF, side_close_pipe(self->other, self->other_id, &err));
	EXPECT_EQ(IUC_E_CLOSE_UNKNOWN_ID, err);
}

/* ---- after the close ---------------------------------------------------------- */

FIXTURE(pipes) {
	int fd;
	struct peer t[2];	/* ready targets */
};

FIXTURE_SETUP(pipes)
{
	start_targets(_metadata, &self->fd, self->t, 2);
}

FIXTURE_TEARDOWN(pipes)
{
	stop_targets(_metadata, self->t, 2);
}

/* Once the reader closed, every write fails with EPIPE 0x21, raw or message. */
TEST_F(pipes, write_after_reader_closed_is_epipe_0x21)
{
	struct side test = side_test(self->fd);
	struct iuc_open_pipe op;
	struct iuc_pipe_write w;
	struct iuc_signal s;

	for (int mode = 0; mode <= 1; mode++) {
		open_to(_metadata, self->fd, &self->t[0], IUC_PIPE_TYPE_CALLER_SENDS,
			(uint8_t)mode, &op);
		ASSERT_EQ(0, side_write(test, op.id, 10, IUC_IO_BLOCK, 0, 0, &w));
		ASSERT_EQ(0, peer_close_pipe(&self->t[0], op.peer_id, NULL));
		ASSERT_EQ(0, iuc_read_sig(self->fd, &s, TIMEOUT_MS));
		EXPECT_CLOSED_SIG(s, op.id, IUC_CLOSED_BY_CALL, IUC_PART_SC);
		for (int wm = 0; wm <= 2; wm++) {
			if (mode == IUC_PIPE_MODE_MESSAGE && wm == IUC_IO_PARTIAL)
				continue;
			EXPECT_EQ(-EPIPE, side_write(test, op.id, 10, (uint8_t)wm, 0, 0, &w))
				TH_LOG("pipe mode %d, write mode %d", mode, wm);
			EXPECT_EQ(IUC_E_WRITE_CLOSED, w.error);
			EXPECT_EQ(0, w.transferred);
		}
		EXPECT_EQ(0, iuc_close_pipe(self->fd, op.id, NULL));
		EXPECT_EQ(-EBADF, side_write(test, op.id, 10, IUC_IO_BLOCK, 0, 0, &w));
		EXPECT_EQ(IUC_E_WRITE_UNKNOWN_SC, w.error);
	}
}

/*
 * A pipe from the target to the test (the test holds the RC) of @mode, in
 * which the target wrote @n chunks (messages) of @lens bytes of pattern
 * 20, then closed its end: the test is told.
 */
static void closed_with_pending(struct __test_metadata *_metadata, int fd,
				struct peer *tgt, uint8_t mode, const uint64_t *lens,
				int n, struct iuc_open_pipe *op)
{
	struct iuc_signal s;
	uint64_t off = 0;

	open_to(_metadata, fd, tgt, IUC_PIPE_TYPE_CALLER_RECEIVES, mode, op);
	for (int i = 0; i < n; off += lens[i++])
		ASSERT_EQ(0, peer_write(tgt, op->peer_id, lens[i], IUC_IO_BLOCK, 20, off,
					NULL));
	ASSERT_EQ(0, peer_close_pipe(tgt, op->peer_id, NULL));
	ASSERT_EQ(0, iuc_read_sig(fd, &s, TIMEOUT_MS));
	EXPECT_CLOSED_SIG(s, op->id, IUC_CLOSED_BY_CALL, IUC_PART_RC);
}

/*
 * Once the writer closed, the reader drains what was pending; then reads
 * fail with EPIPE 0x21 (a blocking read that wanted more reports what it
 * got in @transferred), with or without a count; its own CLOSE_PIPE
 * succeeds.
 */
TEST_F(pipes, reader_drains_raw_data_after_close_then_epipe_0x21)
{
	static const uint64_t lens[] = { 1000 };
	struct side test = side_test(self->fd);
	struct iuc_open_pipe op;
	struct iuc_pipe_info in;
	struct iuc_pipe_read r;
	uint64_t bad;
	uint32_t err;

	closed_with_pending(_metadata, self->fd, &self->t[0], IUC_PIPE_MODE_RAW, lens,
			    1, &op);
	ASSERT_EQ(0, iuc_pipe_info(self->fd, op.id, &in));
	EXPECT_EQ(0, in.status & IUC_PIPE_OPENED);
	EXPECT_EQ(iuc_pipe_cap(1) - 1000, in.room);

	EXPECT_EQ(0, side_read(test, op.id, 400, IUC_IO_BLOCK, 20, 0, 0, &r, &bad));
	EXPECT_EQ(600, r.result);
	EXPECT_EQ(PAT_NO_BAD, bad);
	EXPECT_EQ(0, side_read(test, op.id, 300, IUC_IO_TRY, 20, 400, 0, &r, &bad));
	EXPECT_EQ(300, r.result);
	EXPECT_EQ(PAT_NO_BAD, bad);
	EXPECT_EQ(-EPIPE, side_read(test, op.id, 1000, IUC_IO_BLOCK, 20, 700, 0, &r, &bad));
	EXPECT_EQ(IUC_E_READ_CLOSED, r.error);
	EXPECT_EQ(300, r.transferred);
	EXPECT_EQ(PAT_NO_BAD, bad);
	for (int mode = 0; mode <= 2; mode++) {
		EXPECT_EQ(-EPIPE, side_read(test, op.id, 10, (uint8_t)mode, 0, 0, 0, &r, NULL))
			TH_LOG("mode %d", mode);
		EXPECT_EQ(IUC_E_READ_CLOSED, r.error);
		EXPECT_EQ(0, r.transferred);
		EXPECT_EQ(-EPIPE, side_read(test, op.id, 0, (uint8_t)mode, 0, 0,
					    iuc_pipe_cap(1), &r, NULL));
		EXPECT_EQ(IUC_E_READ_CLOSED, r.error);
	}
	EXPECT_EQ(0, iuc_close_pipe(self->fd, op.id, &err));
	EXPECT_EQ(IUC_E_NONE, err);
}

/* A message pipe's reader gets the pending messages, whole, then EPIPE 0x21. */
TEST_F(pipes, reader_drains_whole_messages_after_close_then_epipe_0x21)
{
	static const uint64_t lens[] = { 100, 200 };
	struct iuc_open_pipe op;
	struct iuc_pipe_read r;
	uint64_t bad;
	uint32_t err;

	closed_with_pending(_metadata, self->fd, &self->t[0], IUC_PIPE_MODE_MESSAGE, lens,
			    2, &op);
	EXPECT_EQ(0, side_read(side_test(self->fd), op.id, 1000, IUC_IO_TRY, 20, 0, 0,
			       &r, &bad));
	EXPECT_EQ(100, r.result);
	EXPECT_EQ(PAT_NO_BAD, bad);
	EXPECT_EQ(0, side_read(side_test(self->fd), op.id, 1000, IUC_IO_BLOCK, 20, 100, 0,
			       &r, &bad));
	EXPECT_EQ(200, r.result);
	EXPECT_EQ(PAT_NO_BAD, bad);
	for (int mode = 0; mode <= 1; mode++) {
		EXPECT_EQ(-EPIPE, side_read(side_test(self->fd), op.id, 1000, (uint8_t)mode,
					    0, 0, 0, &r, NULL));
		EXPECT_EQ(IUC_E_READ_CLOSED, r.error);
	}
	EXPECT_EQ(0, iuc_close_pipe(self->fd, op.id, &err));
	EXPECT_EQ(IUC_E_NONE, err);
}

/* ---- blocked calls woken by the other end ---------------------------------------- */

FIXTURE(blocked) {
	int fd;
	struct peer tgt;
	uint64_t mine, theirs;	/* the test's end and the target's */
	struct async_io io;	/* the test's call, blocked */
	char *buf;
};

FIXTURE_VARIANT(blocked) {
	bool reading;		/* the test reads 100 of 10 bytes; else writes cap + 100 */
	bool kill;		/* the target is killed; else it closes its end */
};

FIXTURE_VARIANT_ADD(blocked, reader_closed) { .reading = true, .kill = false };
FIXTURE_VARIANT_ADD(blocked, reader_killed) { .reading = true, .kill = true };
FIXTURE_VARIANT_ADD(blocked, writer_closed) { .reading = false, .kill = false };
FIXTURE_VARIANT_ADD(blocked, writer_killed) { .reading = false, .kill = true };

FIXTURE_SETUP(blocked)
{
	const uint64_t cap = iuc_pipe_cap(1);
	struct iuc_open_pipe op;
	struct iuc_signal s;
	uint8_t pending;

	start_targets(_metadata, &self->fd, &self->tgt, 1);
	self->buf = calloc(1, cap + 100);
	ASSERT_NE(NULL, self->buf);
	if (variant->reading) {
		/* The target opens it, keeps the SC, writes 10 bytes. */
		op = iuc_pipe_args(getpid(), CMD);
		ASSERT_EQ(0, peer_open_pipe(&self->tgt, &op));
		ASSERT_EQ(0, iuc_read_sig(self->fd, &s, TIMEOUT_MS));
		ASSERT_EQ(IUC_SIG_RECV_PIPE, s.code);
		self->mine = op.peer_id;
		self->theirs = op.id;
		ASSERT_EQ(0, peer_write(&self->tgt, op.id, 10, IUC_IO_BLOCK, 23, 0, NULL));
		pending = IUC_PIPE_READ_PENDING;
	} else {
		open_to(_metadata, self->fd, &self->tgt, IUC_PIPE_TYPE_CALLER_SENDS,
			IUC_PIPE_MODE_RAW, &op);
		self->mine = op.id;
		self->theirs = op.peer_id;
		pending = IUC_PIPE_WRITE_PENDING;
	}
	ASSERT_EQ(0, async_io_start(&self->io, self->fd, self->mine, !variant->reading,
				    self->buf, variant->reading ? 100 : cap + 100,
				    IUC_IO_BLOCK));
	ASSERT_TRUE(iuc_pipe_wait_status(self->fd, self->mine, pending, pending));
}

FIXTURE_TEARDOWN(blocked)
{
	stop_targets(_metadata, &self->tgt, 1);
	free(self->buf);
}

/*
 * A call of the test blocked on the pipe (a read that wants more data, a
 * write that wants room) ends when the other end closes or its process is
 * killed: EPIPE 0x21 with what it moved before.  PIPE_CLOSED arrives,
 * "closed by call" or "terminated"; the test's CLOSE_PIPE then succeeds,
 * or answers ESRCH 0x11 for a dead peer (closing all the same: the
 * identifier is unknown afterwards).
 */
TEST_F(blocked, woken_with_epipe_0x21_and_what_it_moved)
{
	struct iuc_signal s;
	uint32_t err;

	if (variant->kill) {
		ASSERT_EQ(0, kill(self->tgt.pid, SIGKILL));
	} else {
		ASSERT_EQ(0, peer_close_pipe(&self->tgt, self->theirs, NULL));
	}
	ASSERT_EQ(0, async_call_join(&self->io.as));
	EXPECT_EQ(-EPIPE, self->io.as.ret);
	if (variant->reading) {
		EXPECT_EQ(IUC_E_READ_CLOSED, self->io.u.r.error);
		EXPECT_EQ(10, self->io.u.r.transferred);
		EXPECT_EQ(PAT_NO_BAD, pat_check(self->buf, 10, 23, 0));
	} else {
		EXPECT_EQ(IUC_E_WRITE_CLOSED, self->io.u.w.error);
		EXPECT_EQ(iuc_pipe_cap(1), self->io.u.w.transferred);
	}
	if (variant->kill) {
		EXPECT_EQ(SIGKILL, peer_stop(&self->tgt));
	}

	ASSERT_EQ(0, iuc_read_sig(self->fd, &s, TIMEOUT_MS));
	EXPECT_CLOSED_SIG(s, self->mine,
			  variant->kill ? IUC_CLOSED_PEER_DIED : IUC_CLOSED_BY_CALL,
			  variant->reading ? IUC_PART_RC : IUC_PART_SC);
	EXPECT_EQ(variant->kill ? -ESRCH : 0, iuc_close_pipe(self->fd, self->mine, &err));
	EXPECT_EQ(variant->kill ? IUC_E_CLOSE_PEER_TERMINATED : IUC_E_NONE, err);
	EXPECT_EQ(-EBADF, iuc_close_pipe(self->fd, self->mine, &err));
	EXPECT_EQ(IUC_E_CLOSE_UNKNOWN_ID, err);
	EXPECT_EQ(0, iuc_sig_pending(self->fd));
}

/* ---- the end of a process ------------------------------------------------------- */

/*
 * A process exits with pipes open to two others, while a child it forked
 * still holds its /dev/iuc fd: each peer gets PIPE_CLOSED "terminated"
 * for the part it holds, can still read what was pending, gets EPIPE
 * after, and CLOSE_PIPE answers ESRCH 0x11.
 */
TEST_F(pipes, exit_closes_pipes_despite_fd_holder)
{
	struct iuc_open_pipe to_me, from_me, to_r;
	struct side test = side_test(self->fd);
	struct peer *r = &self->t[0], p;
	struct iuc_pipe_write w;
	struct iuc_pipe_read rd;
	struct iuc_signal s;
	bool got_rc = false, got_sc = false;
	int hold[2], holder, st;
	uint64_t bad;
	uint32_t err;

	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1));
	ASSERT_EQ(0, pipe2(hold, O_CLOEXEC));
	ASSERT_EQ(0, peer_start(&p, &(struct peer_opts){ .hold = hold[0] }));
	close(hold[0]);
	ASSERT_EQ(0, peer_target_ctx(&p));

	/* p -> test (test holds the RC), test -> p (test holds the SC), r <- p. */
	to_me = iuc_pipe_args(getpid(), 1);
	ASSERT_EQ(0, peer_open_pipe(&p, &to_me));
	ASSERT_EQ(0, iuc_read_sig(self->fd, &s, TIMEOUT_MS));
	open_to(_metadata, self->fd, &p, IUC_PIPE_TYPE_CALLER_SENDS, IUC_PIPE_MODE_RAW,
		&from_me);
	to_r = iuc_pipe_args(r->pid, 2);
	to_r.type = IUC_PIPE_TYPE_CALLER_RECEIVES;
	ASSERT_EQ(0, peer_open_pipe(&p, &to_r));
	ASSERT_EQ(0, peer_read_sig(r, &s, TIMEOUT_MS));
	ASSERT_EQ(to_r.peer_id, s.data.recv_pipe.id);
	ASSERT_EQ(0, peer_write(&p, to_me.id, 200, IUC_IO_BLOCK, 24, 0, NULL));

	holder = peer_fork_holder(&p);
	ASSERT_LT(0, holder);
	ASSERT_EQ(0, peer_exit(&p, 0));
	st = wait_child(p.pid, true);
	ASSERT_EQ(0, st) TH_LOG("exit status 0x%x", st);
	p.pid = -1;
	ASSERT_EQ(0, kill(holder, 0));

	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, iuc_read_sig(self->fd, &s, TIMEOUT_MS)) TH_LOG("record %d", i);
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
	ASSERT_EQ(0, peer_read_sig(r, &s, TIMEOUT_MS));
	EXPECT_CLOSED_SIG(s, to_r.peer_id, IUC_CLOSED_PEER_DIED, IUC_PART_SC);
	/* The holder still lives and holds the fd: that did not matter. */
	EXPECT_EQ(0, kill(holder, 0));

	EXPECT_EQ(0, side_read(test, to_me.peer_id, 200, IUC_IO_BLOCK, 24, 0, 0, &rd, &bad));
	EXPECT_EQ(PAT_NO_BAD, bad);
	EXPECT_EQ(-EPIPE, side_read(test, to_me.peer_id, 200, IUC_IO_BLOCK, 24, 0, 0,
				    &rd, NULL));
	EXPECT_EQ(IUC_E_READ_CLOSED, rd.error);
	EXPECT_EQ(-EPIPE, side_write(test, from_me.id, 1, IUC_IO_BLOCK, 0, 0, &w));
	EXPECT_EQ(IUC_E_WRITE_CLOSED, w.error);

	EXPECT_EQ(-ESRCH, iuc_close_pipe(self->fd, to_me.peer_id, &err));
	EXPECT_EQ(IUC_E_CLOSE_PEER_TERMINATED, err);
	EXPECT_EQ(-ESRCH, iuc_close_pipe(self->fd, from_me.id, &err));
	EXPECT_EQ(IUC_E_CLOSE_PEER_TERMINATED, err);
	EXPECT_EQ(-EBADF, iuc_close_pipe(self->fd, from_me.id, &err));
	EXPECT_EQ(IUC_E_CLOSE_UNKNOWN_ID, err);
	EXPECT_EQ(-ESRCH, peer_close_pipe(r, to_r.peer_id, &err));
	EXPECT_EQ(IUC_E_CLOSE_PEER_TERMINATED, err);

	close(hold[1]);
	EXPECT_EQ(0, wait_child(holder, true));
}

/* ---- SEND_PIPE of either part ------------------------------------------------------ */

FIXTURE(moved) {
	int fd;
	struct peer t[2];	/* a, which gets the part and sends it to b */
	struct iuc_open_pipe op;
	struct iuc_send_pipe sp;
	struct iuc_signal recv;	/* b's first record */
	struct side sc, rc;	/* the holders of the SC and the RC after the move */
	uint64_t sc_id, rc_id;
};

FIXTURE_VARIANT(moved) {
	uint8_t part;		/* the part a gets and moves to b */
};

FIXTURE_VARIANT_ADD(moved, rc) { .part = IUC_PART_RC };
FIXTURE_VARIANT_ADD(moved, sc) { .part = IUC_PART_SC };

/* a gets @part of a pipe with 100 bytes pending, and sends it to b. */
FIXTURE_SETUP(moved)
{
	bool moves_rc = variant->part == IUC_PART_RC;
	struct peer *a = &self->t[0], *b = &self->t[1];
	struct side test;

	start_targets(_metadata, &self->fd, self->t, 2);
	test = side_test(self->fd);
	open_to(_metadata, self->fd, a, moves_rc ? IUC_PIPE_TYPE_CALLER_SENDS :
		IUC_PIPE_TYPE_CALLER_RECEIVES, IUC_PIPE_MODE_RAW, &self->op);
	ASSERT_EQ(0, side_write(moves_rc ? test : side_peer(a),
				moves_rc ? self->op.id : self->op.peer_id,
				100, IUC_IO_BLOCK, 25, 0, NULL));
	ASSERT_EQ(0, peer_send_pipe(a, self->op.peer_id, b->pid, IUC_NOTIFY, &self->sp));
	EXPECT_EQ(IUC_E_NONE, self->sp.error);
	ASSERT_NE(0, self->sp.peer_id);
	ASSERT_EQ(0, peer_read_sig(b, &self->recv, TIMEOUT_MS));
	self->sc = moves_rc ? test : side_peer(b);
	self->rc = moves_rc ? side_peer(b) : test;
	self->sc_id = moves_rc ? self->op.id : self->sp.peer_id;
	self->rc_id = moves_rc ? self->sp.peer_id : self->op.id;
}

FIXTURE_TEARDOWN(moved)
{
	stop_targets(_metadata, self->t, 2);
}

/* The sender's identifier is unknown afterwards, for every call (EBADF). */
TEST_F(moved, sender_id_is_gone)
{
	expect_unknown_id(_metadata, side_peer(&self->t[0]), self->op.peer_id,
			  self->t[1].pid);
}

/*
 * The receiver gets RECV_PIPE with an identifier of its own (= @peer_id
 * given to the sender) and the pipe's fields; PIPE_INFO shows it its end.
 */
TEST_F(moved, receiver_gets_recv_pipe_with_its_own_id)
{
	struct iuc_pipe_info in;

	EXPECT_EQ(IUC_SIG_RECV_PIPE, self->recv.code);
	EXPECT_EQ(self->sp.peer_id, self->recv.data.recv_pipe.id);
	EXPECT_EQ(self->sp.peer_id, self->recv.object);
	EXPECT_EQ((uint64_t)getpid(), self->recv.data.recv_pipe.creator_pid);
	EXPECT_EQ((uint32_t)ipc_ns_ino(), self->recv.data.recv_pipe.creator_anid);
	EXPECT_EQ(CMD, self->recv.data.recv_pipe.command);
	EXPECT_EQ(variant->part, self->recv.data.recv_pipe.id_type);
	EXPECT_EQ(IUC_PIPE_MODE_RAW, self->recv.data.recv_pipe.mode);
	EXPECT_EQ(SIZE_HINT, self->recv.data.recv_pipe.size_hint);
	ASSERT_EQ(0, peer_info(&self->t[1], self->sp.peer_id, &in));
	EXPECT_EQ(IUC_PIPE_OPENED | (variant->part == IUC_PART_SC ? IUC_PIPE_IS_SC : 0),
		  in.status);
	EXPECT_EQ((uint64_t)getpid(), in.creator_pid);
}

/* The receiver uses it: the data written before the move is still there. */
TEST_F(moved, data_from_before_the_move_stays)
{
	struct iuc_pipe_read r;
	uint64_t bad;

	EXPECT_EQ(0, side_write(self->sc, self->sc_id, 100, IUC_IO_BLOCK, 25, 100, NULL));
	EXPECT_EQ(0, side_read(self->rc, self->rc_id, 200, IUC_IO_BLOCK, 25, 0, 0, &r, &bad));
	EXPECT_EQ(200, r.transferred);
	EXPECT_EQ(PAT_NO_BAD, bad);
}

/* A close by the other end is announced to the new holder only. */
TEST_F(moved, close_is_told_to_the_new_holder_only)
{
	struct iuc_signal s;
	uint32_t err;

	ASSERT_EQ(0, iuc_close_pipe(self->fd, self->op.id, NULL));
	ASSERT_EQ(0, peer_read_sig(&self->t[1], &s, TIMEOUT_MS));
	EXPECT_CLOSED_SIG(s, self->sp.peer_id, IUC_CLOSED_BY_CALL, variant->part);
	EXPECT_EQ(0, peer_sig_pending(&self->t[0]));
	EXPECT_EQ(0, peer_close_pipe(&self->t[1], self->sp.peer_id, &err));
	EXPECT_EQ(IUC_E_NONE, err);
}

/*
 * IUC_NOTIFY_SKIP: the receiver gets no record, and the identifier the
 * sender was given works in the receiver.
 */
TEST_F(pipes, send_unnotified_gives_no_record_and_a_working_id)
{
	struct peer *a = &self->t[0], *b = &self->t[1];
	struct iuc_open_pipe op;
	struct iuc_send_pipe sp;
	struct iuc_pipe_read r;
	uint64_t bad;

	open_to(_metadata, self->fd, a, IUC_PIPE_TYPE_CALLER_RECEIVES,
		IUC_PIPE_MODE_MESSAGE, &op);
	ASSERT_EQ(0, peer_send_pipe(a, op.peer_id, b->pid, IUC_NOTIFY_SKIP, &sp));
	EXPECT_EQ(IUC_E_NONE, sp.error);
	EXPECT_NE(0, sp.peer_id);
	EXPECT_EQ(0, peer_sig_pending(b));
	EXPECT_EQ(0, peer_write(b, sp.peer_id, 123, IUC_IO_BLOCK, 33, 0, NULL));
	EXPECT_EQ(0, side_read(side_test(self->fd), op.id, 200, IUC_IO_BLOCK, 33, 0, 0,
			       &r, &bad));
	EXPECT_EQ(123, r.result);
	EXPECT_EQ(PAT_NO_BAD, bad);
}

/* ---- an RC passed along a chain ---------------------------------------------------- */

FIXTURE(chain) {
	int fd;
	struct peer t[3];	/* a, b, c */
};

FIXTURE_VARIANT(chain) {
	bool last_holder_closes;	/* c closes; else the test */
};

FIXTURE_VARIANT_ADD(chain, last_holder_closes) { .last_holder_closes = true };
FIXTURE_VARIANT_ADD(chain, creator_closes) { .last_holder_closes = false };

FIXTURE_SETUP(chain)
{
	start_targets(_metadata, &self->fd, self->t, 3);
}

FIXTURE_TEARDOWN(chain)
{
	stop_targets(_metadata, self->t, 3);
}

/*
 * An RC travels a -> b -> c while the test keeps writing: c reads every
 * byte in order, also those written before each move.  A close from
 * either end is told to the other end only, whose calls then fail with
 * EPIPE 0x21; nobody on the way hears of it.
 */
TEST_F(chain, rc_keeps_its_data_and_only_the_ends_hear_the_close)
{
	struct peer *a = &self->t[0], *b = &self->t[1], *c = &self->t[2];
	struct side test = side_test(self->fd), closer, other;
	struct iuc_open_pipe op;
	struct iuc_send_pipe ab, bc;
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	struct iuc_signal s;
	uint64_t bad, other_id;
	const uint64_t seed = 30;

	open_to(_metadata, self->fd, a, IUC_PIPE_TYPE_CALLER_SENDS, IUC_PIPE_MODE_RAW, &op);
	ASSERT_EQ(0, side_write(test, op.id, 100, IUC_IO_BLOCK, seed, 0, NULL));
	ASSERT_EQ(0, peer_send_pipe(a, op.peer_id, b->pid, IUC_NOTIFY, &ab));
	ASSERT_EQ(0, peer_read_sig(b, &s, TIMEOUT_MS));
	EXPECT_EQ(IUC_SIG_RECV_PIPE, s.code);
	ASSERT_EQ(ab.peer_id, s.data.recv_pipe.id);
	ASSERT_EQ(0, side_write(test, op.id, 100, IUC_IO_BLOCK, seed, 100, NULL));
	EXPECT_EQ(0, peer_read(b, ab.peer_id, 50, IUC_IO_BLOCK, seed, 0, 0, &r, &bad));
	EXPECT_EQ(PAT_NO_BAD, bad);

	ASSERT_EQ(0, peer_send_pipe(b, ab.peer_id, c->pid, IUC_NOTIFY, &bc));
	ASSERT_EQ(0, peer_read_sig(c, &s, TIMEOUT_MS));
	EXPECT_EQ(IUC_SIG_RECV_PIPE, s.code);
	EXPECT_EQ(bc.peer_id, s.data.recv_pipe.id);
	EXPECT_EQ((uint64_t)getpid(), s.data.recv_pipe.creator_pid);
	EXPECT_EQ(IUC_PART_RC, s.data.recv_pipe.id_type);
	EXPECT_EQ(-EBADF, peer_info(b, ab.peer_id, NULL));
	ASSERT_EQ(0, side_write(test, op.id, 100, IUC_IO_BLOCK, seed, 200, NULL));
	EXPECT_EQ(0, peer_read(c, bc.peer_id, 250, IUC_IO_BLOCK, seed, 50, 0, &r, &bad));
	EXPECT_EQ(250, r.transferred);
	EXPECT_EQ(0, r.result);
	EXPECT_EQ(PAT_NO_BAD, bad);

	closer = variant->last_holder_closes ? side_peer(c) : test;
	other = variant->last_holder_closes ? test : side_peer(c);
	other_id = variant->last_holder_closes ? op.id : bc.peer_id;
	EXPECT_EQ(0, side_close_pipe(closer, variant->last_holder_closes ? bc.peer_id : op.id,
				     NULL));
	ASSERT_EQ(0, side_read_sig(other, &s, TIMEOUT_MS));
	EXPECT_CLOSED_SIG(s, other_id, IUC_CLOSED_BY_CALL,
			  variant->last_holder_closes ? IUC_PART_SC : IUC_PART_RC);
	if (variant->last_holder_closes) {
		EXPECT_EQ(-EPIPE, side_write(other, other_id, 1, IUC_IO_BLOCK, 0, 0, &w));
		EXPECT_EQ(IUC_E_WRITE_CLOSED, w.error);
	} else {
		EXPECT_EQ(-EPIPE, side_read(other, other_id, 1, IUC_IO_BLOCK, 0, 0, 0, &r, NULL));
		EXPECT_EQ(IUC_E_READ_CLOSED, r.error);
	}
	EXPECT_EQ(0, side_close_pipe(other, other_id, NULL));
	EXPECT_EQ(0, side_sig_pending(closer));
	EXPECT_EQ(0, peer_sig_pending(a));
	EXPECT_EQ(0, peer_sig_pending(b));
}

/* ---- identifiers ------------------------------------------------------------------- */

/*
 * Identifiers are nonzero and unique within each process: the ones it
 * opened, the ones it received (notified or not), whatever the type.
 */
TEST_F(pipes, ids_unique_per_process)
{
	enum { N = 8 };
	struct peer *a = &self->t[0], *b = &self->t[1];
	uint64_t mine[3 * N], theirs_a[2 * N];
	struct iuc_signal s;
	int n = 0, m = 0;

	for (int i = 0; i < N; i++) {
		struct iuc_open_pipe op = iuc_pipe_args(a->pid, (uint16_t)i);

		/* We open to a: our id, a's peer_id. */
		ASSERT_EQ(0, iuc_open_pipe(self->fd, &op));
		mine[n++] = op.id;
		theirs_a[m++] = op.peer_id;
		ASSERT_EQ(0, peer_read_sig(a, &s, TIMEOUT_MS));
		/* a opens to us: a's id, ours from the record. */
		op = iuc_pipe_args(getpid(), (uint16_t)i);
		op.type = (uint8_t)(i % 2);
		ASSERT_EQ(0, peer_open_pipe(a, &op));
		theirs_a[m++] = op.id;
		ASSERT_EQ(0, iuc_read_sig(self->fd, &s, TIMEOUT_MS));
		ASSERT_EQ(IUC_SIG_RECV_PIPE, s.code);
		EXPECT_EQ(op.peer_id, s.data.recv_pipe.id);
		mine[n++] = s.data.recv_pipe.id;
		/* We open to b, skipping the notification. */
		op = iuc_pipe_args(b->pid, (uint16_t)i);
		op.notify = IUC_NOTIFY_SKIP;
		ASSERT_EQ(0, iuc_open_pipe(self->fd, &op));
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
}

#define ROUNDS	24

/*
 * Identifiers are never reused: every pipe opened after others closed gets
 * new identifiers on both sides, and the old ones stay unknown for every
 * call (while newer pipes are open).
 */
TEST_F(pipes, closed_ids_never_reused)
{
	uint64_t mine[ROUNDS + 1], theirs[ROUNDS + 1];
	struct peer *a = &self->t[0];
	struct iuc_open_pipe op;
	struct iuc_signal s;

	for (int i = 0; i <= ROUNDS; i++) {
		open_to(_metadata, self->fd, a, (uint8_t)(i % 2), IUC_PIPE_MODE_RAW, &op);
		mine[i] = op.id;
		theirs[i] = op.peer_id;
		for (int j = 0; j < i; j++) {
			EXPECT_NE(mine[j], mine[i]) TH_LOG("round %d reuses %d", i, j);
			EXPECT_NE(theirs[j], theirs[i]) TH_LOG("round %d reuses %d", i, j);
		}
		if (i == ROUNDS)
			break;	/* the last one stays open */
		if (i % 3 == 0) {
			ASSERT_EQ(0, iuc_close_pipe(self->fd, op.id, NULL));
			ASSERT_EQ(0, peer_read_sig(a, &s, TIMEOUT_MS));
			ASSERT_EQ(0, peer_close_pipe(a, op.peer_id, NULL));
		} else {
			ASSERT_EQ(0, peer_close_pipe(a, op.peer_id, NULL));
			ASSERT_EQ(0, iuc_read_sig(self->fd, &s, TIMEOUT_MS));
			ASSERT_EQ(0, iuc_close_pipe(self->fd, op.id, NULL));
		}
	}
	for (int i = 0; i < ROUNDS; i++) {
		expect_unknown_id(_metadata, side_test(self->fd), mine[i], a->pid);
		expect_unknown_id(_metadata, side_peer(a), theirs[i], getpid());
	}
	/* The open one works. */
	EXPECT_EQ(IUC_PIPE_OPENED, iuc_pipe_status(self->fd, mine[ROUNDS]) & IUC_PIPE_OPENED);
	EXPECT_EQ(0, peer_info(a, theirs[ROUNDS], NULL));
}

/*
 * Identifiers never given out are unknown for every call too (EBADF and
 * the call's "unknown" code), with no pipe at all and beside an open one,
 * which they leave untouched.
 */
TEST_F(pipes, never_given_ids_are_unknown)
{
	struct peer *a = &self->t[0];
	struct side test = side_test(self->fd);
	struct iuc_open_pipe op;
	struct iuc_signal s;

	expect_unknown_id(_metadata, test, 1, a->pid);
	open_to(_metadata, self->fd, a, IUC_PIPE_TYPE_CALLER_SENDS, IUC_PIPE_MODE_RAW, &op);
	{
		const uint64_t bad[] = { op.id + 1, op.id + 1000, ~op.id,
					 op.id ^ (1ull << 63), UINT64_MAX };

		for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
			expect_unknown_id(_metadata, test, bad[i], a->pid);
	}
	EXPECT_EQ(0, iuc_close_pipe(self->fd, op.id, NULL));
	ASSERT_EQ(0, peer_read_sig(a, &s, TIMEOUT_MS));
	EXPECT_EQ(IUC_SIG_PIPE_CLOSED, s.code);
	EXPECT_EQ(op.peer_id, s.data.pipe_closed.id);
	EXPECT_EQ(0, peer_sig_pending(a));
}

TEST_HARNESS_MAIN
