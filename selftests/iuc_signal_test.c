// SPDX-License-Identifier: GPL-2.0
/*
 * IUC selftests: signal handling calls, READY, signal records (read(2),
 * poll(2), epoll), real-time signals and the queue bound.
 *
 * The test process is the receiver; an opener peer (a child with a
 * context of its own, see selftests/lib/peer.h) raises signals by opening
 * and closing pipes to it.  Every peer command is synchronous, so when it
 * returns the record it raised is queued: the absence of a record or of a
 * real-time signal is checked right then, never after a delay.
 */
#include <sys/epoll.h>

#include "kselftest_harness.h"
#include "iuc_test.h"

/* Nonblocking read(2) of one record: bytes or -errno. */
static int read_nb(int fd, void *buf, size_t len)
{
	ssize_t n;
	int ret = set_nonblock(fd, true);

	if (ret)
		return ret;
	n = read(fd, buf, len);
	ret = n < 0 ? -errno : (int)n;
	set_nonblock(fd, false);
	return ret;
}

/* ---- HANDLE_SIGNAL, UNHANDLE_SIGNAL, IS_SIGNAL_HANDLED, READY ---------- */

/* A fresh context of the test process: no code handled, not READY. */
FIXTURE(ctx) {
	int fd;
};

FIXTURE_SETUP(ctx)
{
	self->fd = iuc_open();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(ctx)
{
	close(self->fd);
}

/* Each of the 8 codes can be handled; success writes IUC_E_NONE. */
TEST_F(ctx, handle_every_code)
{
	uint32_t err, rt;
	int h;

	for (size_t i = 0; i < ARRAY_SIZE(iuc_sig_codes); i++) {
		h = -1;
		EXPECT_EQ(0, iuc_is_signal_handled(self->fd, iuc_sig_codes[i], &h, NULL, &err));
		EXPECT_EQ(IUC_E_NONE, err);
		EXPECT_EQ(0, h) TH_LOG("code 0x%02x handled before", iuc_sig_codes[i]);

		EXPECT_EQ(0, iuc_handle_signal(self->fd, iuc_sig_codes[i], 0, &err));
		EXPECT_EQ(IUC_E_NONE, err) TH_LOG("code 0x%02x", iuc_sig_codes[i]);

		h = -1;
		rt = 0xDEAD;
		EXPECT_EQ(0, iuc_is_signal_handled(self->fd, iuc_sig_codes[i], &h, &rt, &err));
		EXPECT_EQ(IUC_E_NONE, err);
		EXPECT_EQ(1, h);
		EXPECT_EQ(0, rt);
	}
}

/*
 * Every code that is not one of the 8: EINVAL with code 0x10 for the three
 * calls, and nothing becomes handled.
 */
TEST_F(ctx, unknown_code_einval)
{
	uint32_t err;
	int h, fd = self->fd;

	for (unsigned int code = 0; code <= 0xFF; code++) {
		if (iuc_is_sig_code(code))
			continue;
		EXPECT_EQ(-EINVAL, iuc_handle_signal(fd, code, 0, &err)) TH_LOG("code 0x%02x", code);
		EXPECT_EQ(IUC_E_HANDLE_UNKNOWN_SIGNAL, err) TH_LOG("code 0x%02x", code);
		EXPECT_EQ(-EINVAL, iuc_handle_signal(fd, code, 34, &err)) TH_LOG("code 0x%02x", code);
		EXPECT_EQ(IUC_E_HANDLE_UNKNOWN_SIGNAL, err) TH_LOG("code 0x%02x", code);
		EXPECT_EQ(-EINVAL, iuc_unhandle_signal(fd, code, &err)) TH_LOG("code 0x%02x", code);
		EXPECT_EQ(IUC_E_UNHANDLE_UNKNOWN_SIGNAL, err) TH_LOG("code 0x%02x", code);
		EXPECT_EQ(-EINVAL, iuc_is_signal_handled(fd, code, &h, NULL, &err))
			TH_LOG("code 0x%02x", code);
		EXPECT_EQ(IUC_E_IS_HANDLED_UNKNOWN_SIGNAL, err) TH_LOG("code 0x%02x", code);
	}
	for (size_t i = 0; i < ARRAY_SIZE(iuc_sig_codes); i++) {
		h = -1;
		EXPECT_EQ(0, iuc_is_signal_handled(fd, iuc_sig_codes[i], &h, NULL, NULL));
		EXPECT_EQ(0, h);
	}
}

/*
 * rt_signal is 0 or a kernel real-time signal 32..64, and handling a code
 * again replaces its real-time signal (with a signal, another one, or 0
 * again), for each code; anything else is EINVAL with IUC_E_INVALID_ARG
 * and changes nothing.
 */
TEST_F(ctx, rt_signal_range)
{
	static const uint32_t good[] = { 0, 32, 33, 34, 48, 63, 64, 0, 40 };
	static const uint32_t bad[] = {
		1, 2, 9, 10, 15, 17, 19, 30, 31, 65, 66, 100, 128, 255, 256,
		0x120 /* low byte 0x20 */, 0x10022, 0x80000022u, 0xFFFFFFFFu,
	};
	static const uint8_t codes[] = { IUC_SIG_PIPE_CLOSED, IUC_SIG_RECV_PIPE };
	uint32_t err, rt;
	int h, fd = self->fd;

	/* Ends with both codes handled with 40. */
	for (size_t c = 0; c < ARRAY_SIZE(codes); c++) {
		for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
			EXPECT_EQ(0, iuc_handle_signal(fd, codes[c], good[i], &err))
				TH_LOG("code 0x%02x rt %u", codes[c], good[i]);
			EXPECT_EQ(IUC_E_NONE, err);
			h = -1;
			rt = 0xDEAD;
			EXPECT_EQ(0, iuc_is_signal_handled(fd, codes[c], &h, &rt, NULL));
			EXPECT_EQ(1, h);
			EXPECT_EQ(good[i], rt);
		}
	}
	/* Unhandled, PIPE_CLOSED stays so. */
	ASSERT_EQ(0, iuc_unhandle_signal(fd, IUC_SIG_PIPE_CLOSED, NULL));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, iuc_handle_signal(fd, IUC_SIG_RECV_PIPE, bad[i], &err))
			TH_LOG("rt 0x%x", bad[i]);
		EXPECT_EQ(IUC_E_INVALID_ARG, err) TH_LOG("rt 0x%x", bad[i]);
		EXPECT_EQ(-EINVAL, iuc_handle_signal(fd, IUC_SIG_PIPE_CLOSED, bad[i], &err))
			TH_LOG("rt 0x%x", bad[i]);
		EXPECT_EQ(IUC_E_INVALID_ARG, err) TH_LOG("rt 0x%x", bad[i]);
	}
	h = -1;
	EXPECT_EQ(0, iuc_is_signal_handled(fd, IUC_SIG_RECV_PIPE, &h, &rt, NULL));
	EXPECT_EQ(1, h);
	EXPECT_EQ(40, rt);
	h = -1;
	EXPECT_EQ(0, iuc_is_signal_handled(fd, IUC_SIG_PIPE_CLOSED, &h, NULL, NULL));
	EXPECT_EQ(0, h);
}

/* UNHANDLE_SIGNAL: a handled code once; then and never handled: ENOENT 0x20. */
TEST_F(ctx, unhandle)
{
	uint32_t err;
	int h, fd = self->fd;

	EXPECT_EQ(-ENOENT, iuc_unhandle_signal(fd, IUC_SIG_RECV_PIPE, &err));
	EXPECT_EQ(IUC_E_UNHANDLE_NOT_HANDLED, err);

	ASSERT_EQ(0, iuc_handle_signal(fd, IUC_SIG_RECV_PIPE, 34, NULL));
	ASSERT_EQ(0, iuc_handle_signal(fd, IUC_SIG_UNSHARED_MEM, 0, NULL));
	EXPECT_EQ(0, iuc_unhandle_signal(fd, IUC_SIG_RECV_PIPE, &err));
	EXPECT_EQ(IUC_E_NONE, err);
	h = -1;
	EXPECT_EQ(0, iuc_is_signal_handled(fd, IUC_SIG_RECV_PIPE, &h, NULL, NULL));
	EXPECT_EQ(0, h);
	/* The other code stays handled. */
	h = -1;
	EXPECT_EQ(0, iuc_is_signal_handled(fd, IUC_SIG_UNSHARED_MEM, &h, NULL, NULL));
	EXPECT_EQ(1, h);

	EXPECT_EQ(-ENOENT, iuc_unhandle_signal(fd, IUC_SIG_RECV_PIPE, &err));
	EXPECT_EQ(IUC_E_UNHANDLE_NOT_HANDLED, err);
	for (size_t i = 0; i < ARRAY_SIZE(iuc_sig_codes); i++) {
		if (iuc_sig_codes[i] == IUC_SIG_UNSHARED_MEM)
			continue;
		EXPECT_EQ(-ENOENT, iuc_unhandle_signal(fd, iuc_sig_codes[i], &err));
		EXPECT_EQ(IUC_E_UNHANDLE_NOT_HANDLED, err);
	}
	/* Handling again after unhandling works. */
	EXPECT_EQ(0, iuc_handle_signal(fd, IUC_SIG_RECV_PIPE, 0, NULL));
	h = -1;
	EXPECT_EQ(0, iuc_is_signal_handled(fd, IUC_SIG_RECV_PIPE, &h, NULL, NULL));
	EXPECT_EQ(1, h);
}

/* READY once; the second time EALREADY 0x20. */
TEST_F(ctx, ready_twice)
{
	uint32_t err;

	EXPECT_EQ(0, iuc_ready(self->fd, &err));
	EXPECT_EQ(IUC_E_NONE, err);
	EXPECT_EQ(-EALREADY, iuc_ready(self->fd, &err));
	EXPECT_EQ(IUC_E_READY_ALREADY, err);
	EXPECT_EQ(-EALREADY, iuc_ready(self->fd, &err));
	EXPECT_EQ(IUC_E_READY_ALREADY, err);
	/* Handling still works after READY. */
	EXPECT_EQ(0, iuc_handle_signal(self->fd, IUC_SIG_RECV_PIPE, 0, &err));
	EXPECT_EQ(IUC_E_NONE, err);
}

/* ---- records ----------------------------------------------------------- */

/*
 * The test process, with every real-time signal blocked and a context
 * (nothing handled, not READY), and an opener peer that opens pipes to it.
 */
FIXTURE(records) {
	int fd;
	struct peer opener;
};

FIXTURE_SETUP(records)
{
	ASSERT_EQ(0, block_rt_signals());
	self->fd = iuc_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, peer_start_opener(&self->opener));
}

FIXTURE_TEARDOWN(records)
{
	EXPECT_EQ(0, peer_stop(&self->opener));
	close(self->fd);
}

/* Handle RECV_PIPE and PIPE_CLOSED in @fd's context with these signals. */
static int handle_pipe_codes(int fd, uint32_t rt_recv, uint32_t rt_closed)
{
	int ret = iuc_handle_signal(fd, IUC_SIG_RECV_PIPE, rt_recv, NULL);

	return ret ? ret : iuc_handle_signal(fd, IUC_SIG_PIPE_CLOSED, rt_closed, NULL);
}

/* A pipe that @opener opens to the test process, with @command. */
static int pipe_to_me(struct peer *opener, uint16_t command, struct iuc_open_pipe *op)
{
	*op = iuc_pipe_args(getpid(), command);
	return peer_open_pipe(opener, op);
}

/* Read the next record into *@s: 0 when its code is @code (and for RECV_PIPE its command @cmd). */
static int next_record(int fd, uint8_t code, uint16_t cmd, struct iuc_signal *s)
{
	int ret = iuc_read_sig(fd, s, TIMEOUT_MS);

	if (ret)
		return ret;
	if (s->code != code ||
	    (code == IUC_SIG_RECV_PIPE && s->data.recv_pipe.command != cmd))
		return -EPROTO;
	return 0;
}

/* The next record of @fd is @want (RECV_PIPE: with command @cmd); it is in @s. */
#define ASSERT_RECORD(fd, want, cmd, s)						\
	ASSERT_EQ(0, next_record((fd), (want), (cmd), (s)))			\
		TH_LOG("want code 0x%02x command 0x%x, got 0x%02x 0x%x",	\
		       (want), (cmd), (s)->code, (s)->data.recv_pipe.command)

/*
 * Before READY nothing is readable although records are queued (read on
 * O_NONBLOCK: EAGAIN; poll: no POLLIN); READY releases them, in the order
 * they were raised, with all their fields.
 */
TEST_F(records, wait_for_ready)
{
	struct iuc_open_pipe op[3];
	struct iuc_signal s;
	uint32_t err;
	int fd = self->fd;

	ASSERT_EQ(0, handle_pipe_codes(fd, 0, 0));
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, pipe_to_me(&self->opener, (uint16_t)(0x10 + i), &op[i]));
		/* Nothing readable yet, after each record. */
		EXPECT_EQ(-EAGAIN, read_nb(fd, &s, sizeof(s)));
		EXPECT_EQ(0, iuc_poll(fd, POLLIN, 0));
	}
	ASSERT_EQ(0, peer_close_pipe(&self->opener, op[1].id, &err));
	EXPECT_EQ(IUC_E_NONE, err);
	EXPECT_EQ(-EAGAIN, read_nb(fd, &s, sizeof(s)));
	EXPECT_EQ(0, iuc_poll(fd, POLLIN, 0));

	ASSERT_EQ(0, iuc_ready(fd, NULL));
	/* Readable at once. */
	EXPECT_EQ(POLLIN, iuc_poll(fd, POLLIN, 0) & POLLIN);
	for (int i = 0; i < 3; i++) {
		ASSERT_RECORD(fd, IUC_SIG_RECV_PIPE, (uint16_t)(0x10 + i), &s);
		EXPECT_EQ(op[i].peer_id, s.data.recv_pipe.id);
		EXPECT_EQ(op[i].peer_id, s.object);
		EXPECT_EQ((uint64_t)self->opener.pid, s.data.recv_pipe.creator_pid);
		EXPECT_TRUE(sig_reserved_zero(&s));
	}
	ASSERT_RECORD(fd, IUC_SIG_PIPE_CLOSED, 0, &s);
	EXPECT_EQ(op[1].peer_id, s.data.pipe_closed.id);
	EXPECT_EQ(op[1].peer_id, s.object);
	EXPECT_EQ(IUC_CLOSED_BY_CALL, s.data.pipe_closed.closing_type);
	EXPECT_EQ(IUC_PART_RC, s.data.pipe_closed.part);
	EXPECT_TRUE(sig_reserved_zero(&s));
	/* Drained. */
	EXPECT_EQ(-EAGAIN, read_nb(fd, &s, sizeof(s)));
	EXPECT_EQ(0, iuc_poll(fd, POLLIN, 0));

	/* After READY a new record is readable as soon as it is raised. */
	ASSERT_EQ(0, pipe_to_me(&self->opener, 0x20, &op[0]));
	EXPECT_EQ(POLLIN, iuc_poll(fd, POLLIN, 0) & POLLIN);
	EXPECT_EQ((int)sizeof(s), read_nb(fd, &s, sizeof(s)));
	EXPECT_EQ(IUC_SIG_RECV_PIPE, s.code);
	EXPECT_EQ(0x20, s.data.recv_pipe.command);
}

/*
 * read(2) returns whole records only, as many as fit; a buffer smaller
 * than one record is EINVAL and loses nothing.
 */
TEST_F(records, read_returns_whole_records)
{
	struct iuc_signal buf[8];
	struct iuc_open_pipe op[5];
	int fd = self->fd;

	ASSERT_EQ(0, handle_pipe_codes(fd, 0, 0));
	ASSERT_EQ(0, iuc_ready(fd, NULL));
	for (int i = 0; i < 5; i++) {
		ASSERT_EQ(0, pipe_to_me(&self->opener, (uint16_t)(i + 1), &op[i]));
	}

	/* Too small: EINVAL, blocking or not, and the first record stays. */
	EXPECT_EQ(-EINVAL, read_nb(fd, buf, 1));
	EXPECT_EQ(-EINVAL, read_nb(fd, buf, IUC_SIGNAL_SIZE - 1));
	EXPECT_EQ(-1, read(fd, buf, IUC_SIGNAL_SIZE - 1));
	EXPECT_EQ(EINVAL, errno);

	/* Room for 2.98 records: 2. */
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(2 * IUC_SIGNAL_SIZE, read(fd, buf, 3 * IUC_SIGNAL_SIZE - 1));
	EXPECT_EQ(1, buf[0].data.recv_pipe.command);
	EXPECT_EQ(2, buf[1].data.recv_pipe.command);
	EXPECT_EQ(0, buf[2].code);	/* untouched */
	/* Room for 1.5: 1. */
	EXPECT_EQ(IUC_SIGNAL_SIZE, read(fd, buf, IUC_SIGNAL_SIZE + IUC_SIGNAL_SIZE / 2));
	EXPECT_EQ(3, buf[0].data.recv_pipe.command);
	/* Room for 8, 2 left: 2. */
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(2 * IUC_SIGNAL_SIZE, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(4, buf[0].data.recv_pipe.command);
	EXPECT_EQ(op[3].peer_id, buf[0].data.recv_pipe.id);
	EXPECT_EQ(5, buf[1].data.recv_pipe.command);
	EXPECT_EQ(op[4].peer_id, buf[1].data.recv_pipe.id);
	EXPECT_EQ(0, buf[2].code);
	/* Empty: EAGAIN on O_NONBLOCK, even with a big buffer. */
	EXPECT_EQ(-EAGAIN, read_nb(fd, buf, sizeof(buf)));
}

/* A blocking read(2) of up to 4 records, in a thread of its own. */
struct reader {
	int fd;
	int done;
	ssize_t ret;
	int err;
	struct iuc_signal buf[4];
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;

	r->ret = read(r->fd, r->buf, sizeof(r->buf));
	r->err = errno;
	__atomic_store_n(&r->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/*
 * Start the reader and wait until it sleeps: it sleeps in nothing but its
 * read(2), so that means blocked in the read.  0, -ETIMEDOUT, or
 * -EALREADY when the read returned instead.
 */
static int reader_start_blocked(struct race_thread *th, struct reader *r, int fd)
{
	int ret;

	memset(r, 0, sizeof(*r));
	r->fd = fd;
	if (race_thread_start(th, reader_main, r))
		return -EAGAIN;
	ret = race_wait_asleep(th->tid, TIMEOUT_MS);
	if (__atomic_load_n(&r->done, __ATOMIC_SEQ_CST))
		return -EALREADY;
	return ret;
}

/*
 * A blocking read(2) blocks while nothing is readable: before READY even
 * with queued records (READY wakes it and it returns them), and after
 * READY on an empty queue (a new record wakes it).
 */
TEST_F(records, blocking_read_waits)
{
	struct iuc_open_pipe op[3];
	struct race_thread th;
	struct reader r;

	ASSERT_EQ(0, handle_pipe_codes(self->fd, 0, 0));
	/* Two records queued, not READY. */
	ASSERT_EQ(0, pipe_to_me(&self->opener, 1, &op[0]));
	ASSERT_EQ(0, pipe_to_me(&self->opener, 2, &op[1]));
	ASSERT_EQ(0, reader_start_blocked(&th, &r, self->fd))
		TH_LOG("read returned %zd before READY", r.ret);
	ASSERT_EQ(0, iuc_ready(self->fd, NULL));
	ASSERT_EQ(0, thread_join(th.thread, TIMEOUT_MS));
	EXPECT_EQ(2 * IUC_SIGNAL_SIZE, r.ret) TH_LOG("errno %d", r.err);
	EXPECT_EQ(1, r.buf[0].data.recv_pipe.command);
	EXPECT_EQ(2, r.buf[1].data.recv_pipe.command);

	/* READY, empty queue: blocks until the next record. */
	ASSERT_EQ(0, reader_start_blocked(&th, &r, self->fd))
		TH_LOG("read returned %zd on an empty queue", r.ret);
	ASSERT_EQ(0, pipe_to_me(&self->opener, 3, &op[2]));
	ASSERT_EQ(0, thread_join(th.thread, TIMEOUT_MS));
	EXPECT_EQ(IUC_SIGNAL_SIZE, r.ret) TH_LOG("errno %d", r.err);
	EXPECT_EQ(IUC_SIG_RECV_PIPE, r.buf[0].code);
	EXPECT_EQ(3, r.buf[0].data.recv_pipe.command);
	EXPECT_EQ(op[2].peer_id, r.buf[0].data.recv_pipe.id);
}

/*
 * poll(2) and epoll report POLLIN exactly while a record is readable: not
 * before READY, at once after READY, not once drained, and when a new
 * record arrives a waiting epoll_wait wakes.
 */
TEST_F(records, poll_and_epoll)
{
	struct epoll_event ev = { .events = EPOLLIN }, out[2];
	struct iuc_open_pipe op;
	struct iuc_signal s;
	int ep, fd = self->fd;

	ASSERT_EQ(0, handle_pipe_codes(fd, 0, 0));
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ev.data.u64 = 0x1234;
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));

	EXPECT_EQ(0, iuc_poll(fd, POLLIN, 0));
	EXPECT_EQ(0, epoll_wait(ep, out, 2, 0));
	ASSERT_EQ(0, pipe_to_me(&self->opener, 1, &op));
	EXPECT_EQ(0, iuc_poll(fd, POLLIN, 0));
	EXPECT_EQ(0, epoll_wait(ep, out, 2, 0));

	ASSERT_EQ(0, iuc_ready(fd, NULL));
	EXPECT_EQ(POLLIN, iuc_poll(fd, POLLIN, 0) & (POLLIN | POLLERR));
	ASSERT_EQ(1, epoll_wait(ep, out, 2, 0));
	EXPECT_EQ(0x1234, out[0].data.u64);
	EXPECT_EQ(EPOLLIN, out[0].events & (EPOLLIN | EPOLLERR));
	/* Level-triggered: still readable until read. */
	EXPECT_EQ(1, epoll_wait(ep, out, 2, 0));
	ASSERT_RECORD(fd, IUC_SIG_RECV_PIPE, 1, &s);
	EXPECT_EQ(0, iuc_poll(fd, POLLIN, 0));
	EXPECT_EQ(0, epoll_wait(ep, out, 2, 0));

	/* A new record wakes an epoll_wait. */
	ASSERT_EQ(0, pipe_to_me(&self->opener, 2, &op));
	ASSERT_EQ(1, epoll_wait(ep, out, 2, TIMEOUT_MS));
	EXPECT_EQ(EPOLLIN, out[0].events & EPOLLIN);
	ASSERT_RECORD(fd, IUC_SIG_RECV_PIPE, 2, &s);
	EXPECT_EQ(0, epoll_wait(ep, out, 2, 0));
	close(ep);
}

/*
 * Records are queued only for codes handled when the signal is raised:
 * with PIPE_CLOSED never handled, a close leaves no record between the
 * RECV_PIPE records around it; handling it afterwards brings no record
 * for the earlier close.
 */
TEST_F(records, unhandled_codes_not_queued)
{
	struct iuc_open_pipe op[3];
	struct iuc_signal s;
	int fd = self->fd;

	ASSERT_EQ(0, iuc_handle_signal(fd, IUC_SIG_RECV_PIPE, 0, NULL));
	ASSERT_EQ(0, pipe_to_me(&self->opener, 1, &op[0]));
	ASSERT_EQ(0, peer_close_pipe(&self->opener, op[0].id, NULL));	/* not recorded */
	ASSERT_EQ(0, iuc_handle_signal(fd, IUC_SIG_PIPE_CLOSED, 0, NULL));
	ASSERT_EQ(0, pipe_to_me(&self->opener, 2, &op[1]));
	ASSERT_EQ(0, peer_close_pipe(&self->opener, op[1].id, NULL));	/* recorded */
	ASSERT_EQ(0, pipe_to_me(&self->opener, 3, &op[2]));
	ASSERT_EQ(0, iuc_ready(fd, NULL));

	ASSERT_RECORD(fd, IUC_SIG_RECV_PIPE, 1, &s);
	ASSERT_RECORD(fd, IUC_SIG_RECV_PIPE, 2, &s);
	ASSERT_RECORD(fd, IUC_SIG_PIPE_CLOSED, 0, &s);
	EXPECT_EQ(op[1].peer_id, s.data.pipe_closed.id);
	ASSERT_RECORD(fd, IUC_SIG_RECV_PIPE, 3, &s);
	EXPECT_EQ(-EAGAIN, read_nb(fd, &s, sizeof(s)));

	/* After READY too: unhandle PIPE_CLOSED, a close is not recorded. */
	ASSERT_EQ(0, iuc_unhandle_signal(fd, IUC_SIG_PIPE_CLOSED, NULL));
	ASSERT_EQ(0, peer_close_pipe(&self->opener, op[2].id, NULL));
	EXPECT_EQ(-EAGAIN, read_nb(fd, &s, sizeof(s)));
}

/* UNHANDLE_SIGNAL keeps the records of that code that are already queued. */
TEST_F(records, unhandle_keeps_queued_records)
{
	struct iuc_open_pipe op;
	struct iuc_signal s;
	int fd = self->fd;

	ASSERT_EQ(0, handle_pipe_codes(fd, 0, 0));
	ASSERT_EQ(0, pipe_to_me(&self->opener, 7, &op));
	ASSERT_EQ(0, peer_close_pipe(&self->opener, op.id, NULL));
	ASSERT_EQ(0, iuc_unhandle_signal(fd, IUC_SIG_PIPE_CLOSED, NULL));
	ASSERT_EQ(0, iuc_unhandle_signal(fd, IUC_SIG_RECV_PIPE, NULL));
	ASSERT_EQ(0, iuc_ready(fd, NULL));

	ASSERT_RECORD(fd, IUC_SIG_RECV_PIPE, 7, &s);
	ASSERT_RECORD(fd, IUC_SIG_PIPE_CLOSED, 0, &s);
	EXPECT_EQ(op.peer_id, s.data.pipe_closed.id);
	EXPECT_EQ(-EAGAIN, read_nb(fd, &s, sizeof(s)));
}

/* ---- real-time signals ------------------------------------------------- */

/* Check one real-time signal: number, SI_ASYNCIO, code in si_errno, sender. */
#define EXPECT_RT(si, sig, code, pid) do {				\
	EXPECT_EQ((sig), (si).si_signo);				\
	EXPECT_EQ(SI_ASYNCIO, (si).si_code);				\
	EXPECT_EQ((code), (si).si_errno);				\
	EXPECT_EQ((pid), (si).si_pid);					\
	EXPECT_EQ(getuid(), (si).si_uid);				\
} while (0)

/* No real-time signal at all is pending. */
static bool no_rt_pending(void)
{
	for (int s = SIGRTMIN; s <= SIGRTMAX; s++)
		if (rt_pending(s))
			return false;
	return true;
}

/*
 * No real-time signal before READY; READY sends one per queued record of a
 * code handled with a real-time signal, in order, with SI_ASYNCIO, the
 * signal code in si_errno and the pid of the process that raised it.
 * After READY each record sends its signal as it is queued.
 */
TEST_F(records, rt_signals_sent_at_ready_in_order)
{
	const int sig = SIGRTMIN;
	const pid_t opener = self->opener.pid;
	struct iuc_open_pipe op[3];
	struct iuc_signal s;
	siginfo_t si;

	ASSERT_EQ(0, handle_pipe_codes(self->fd, (uint32_t)sig, (uint32_t)sig));
	ASSERT_EQ(0, pipe_to_me(&self->opener, 1, &op[0]));
	ASSERT_EQ(0, peer_close_pipe(&self->opener, op[0].id, NULL));
	ASSERT_EQ(0, pipe_to_me(&self->opener, 2, &op[1]));
	EXPECT_TRUE(no_rt_pending());

	ASSERT_EQ(0, iuc_ready(self->fd, NULL));
	/* Sent by READY itself: pending now. */
	ASSERT_EQ(sig, take_rt(sig, &si));
	EXPECT_RT(si, sig, IUC_SIG_RECV_PIPE, opener);
	ASSERT_EQ(sig, take_rt(sig, &si));
	EXPECT_RT(si, sig, IUC_SIG_PIPE_CLOSED, opener);
	ASSERT_EQ(sig, take_rt(sig, &si));
	EXPECT_RT(si, sig, IUC_SIG_RECV_PIPE, opener);
	EXPECT_TRUE(no_rt_pending());

	/* The records are there as well. */
	ASSERT_RECORD(self->fd, IUC_SIG_RECV_PIPE, 1, &s);
	ASSERT_RECORD(self->fd, IUC_SIG_PIPE_CLOSED, 0, &s);
	ASSERT_RECORD(self->fd, IUC_SIG_RECV_PIPE, 2, &s);

	/* After READY: sent when the record is raised. */
	ASSERT_EQ(0, pipe_to_me(&self->opener, 3, &op[2]));
	ASSERT_EQ(sig, take_rt(sig, &si));
	EXPECT_RT(si, sig, IUC_SIG_RECV_PIPE, opener);
	ASSERT_EQ(0, peer_close_pipe(&self->opener, op[2].id, NULL));
	ASSERT_EQ(sig, take_rt(sig, &si));
	EXPECT_RT(si, sig, IUC_SIG_PIPE_CLOSED, opener);
	EXPECT_TRUE(no_rt_pending());
}

/*
 * Each code sends its own real-time signal (here SIGRTMIN+1 and the last
 * one, 64); a code handled with 0 queues records and sends nothing.
 */
TEST_F(records, rt_signal_per_code)
{
	const int sig_recv = SIGRTMIN + 1, sig_closed = SIGRTMAX;
	const pid_t opener = self->opener.pid;
	struct iuc_open_pipe op;
	struct iuc_signal s;
	siginfo_t si;

	ASSERT_EQ(64, SIGRTMAX);
	ASSERT_EQ(0, handle_pipe_codes(self->fd, (uint32_t)sig_recv, (uint32_t)sig_closed));
	ASSERT_EQ(0, iuc_ready(self->fd, NULL));

	ASSERT_EQ(0, pipe_to_me(&self->opener, 1, &op));
	ASSERT_EQ(sig_recv, wait_rt(sig_recv, &si, TIMEOUT_MS));
	EXPECT_RT(si, sig_recv, IUC_SIG_RECV_PIPE, opener);
	EXPECT_TRUE(no_rt_pending());
	ASSERT_EQ(0, peer_close_pipe(&self->opener, op.id, NULL));
	ASSERT_EQ(sig_closed, wait_rt(sig_closed, &si, TIMEOUT_MS));
	EXPECT_RT(si, sig_closed, IUC_SIG_PIPE_CLOSED, opener);
	EXPECT_TRUE(no_rt_pending());

	/* PIPE_CLOSED now records only. */
	ASSERT_EQ(0, iuc_handle_signal(self->fd, IUC_SIG_PIPE_CLOSED, 0, NULL));
	ASSERT_EQ(0, pipe_to_me(&self->opener, 2, &op));
	ASSERT_EQ(0, peer_close_pipe(&self->opener, op.id, NULL));
	ASSERT_EQ(sig_recv, take_rt(sig_recv, &si));
	EXPECT_RT(si, sig_recv, IUC_SIG_RECV_PIPE, opener);
	EXPECT_TRUE(no_rt_pending());

	/* All four records are readable. */
	for (int i = 0; i < 4; i++) {
		ASSERT_RECORD(self->fd, i % 2 ? IUC_SIG_PIPE_CLOSED : IUC_SIG_RECV_PIPE,
			      (uint16_t)(i / 2 + 1), &s);
	}
	EXPECT_EQ(-EAGAIN, read_nb(self->fd, &s, sizeof(s)));
}

/*
 * si_pid is the process that caused the signal, seen from the other side:
 * the test process opens a pipe to the peer and closes it; the peer's
 * RECV_PIPE and PIPE_CLOSED signals carry the test process's pid.
 */
TEST_F(records, rt_signal_sender_pid)
{
	struct peer *rcv = &self->opener;
	struct iuc_open_pipe op;
	struct rt_info ri;

	ASSERT_EQ(0, peer_handle(rcv, IUC_SIG_RECV_PIPE, (uint32_t)SIGRTMIN, NULL));
	ASSERT_EQ(0, peer_handle(rcv, IUC_SIG_PIPE_CLOSED, (uint32_t)SIGRTMIN + 2, NULL));
	ASSERT_EQ(0, peer_ready(rcv, NULL));

	op = iuc_pipe_args(rcv->pid, 9);
	ASSERT_EQ(0, iuc_open_pipe(self->fd, &op));
	ASSERT_EQ(0, peer_wait_rt(rcv, SIGRTMIN, &ri, TIMEOUT_MS));
	EXPECT_EQ(SIGRTMIN, ri.signo);
	EXPECT_EQ(SI_ASYNCIO, ri.code);
	EXPECT_EQ(IUC_SIG_RECV_PIPE, ri.iuc_code);
	EXPECT_EQ(getpid(), ri.pid);

	ASSERT_EQ(0, iuc_close_pipe(self->fd, op.id, NULL));
	ASSERT_EQ(0, peer_wait_rt(rcv, SIGRTMIN + 2, &ri, TIMEOUT_MS));
	EXPECT_EQ(SIGRTMIN + 2, ri.signo);
	EXPECT_EQ(SI_ASYNCIO, ri.code);
	EXPECT_EQ(IUC_SIG_PIPE_CLOSED, ri.iuc_code);
	EXPECT_EQ(getpid(), ri.pid);
}

/* ---- module parameters and the queue bound ----------------------------- */

/* max_queued_signals defaults to 1024 and is writable by root only. */
TEST(queue_param_default)
{
	struct stat st;

	ASSERT_EQ(0, stat(PARAM_MAX_QUEUED, &st));
	EXPECT_EQ(S_IWUSR, st.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH));
	EXPECT_EQ(1024, param_read(PARAM_MAX_QUEUED));
}

#define SMALL_QUEUE 8

/*
 * max_queued_signals = SMALL_QUEUE, the test process's context handling
 * RECV_PIPE and PIPE_CLOSED (READY first or not), an opener peer, and a
 * full queue: SMALL_QUEUE notified pipes opened to the test process.
 */
FIXTURE(queue) {
	long long saved;
	int fd;
	struct peer opener;
	struct iuc_open_pipe op[SMALL_QUEUE];
};

FIXTURE_VARIANT(queue) {
	bool ready_first;	/* READY before the queue fills (records unread) */
};

FIXTURE_VARIANT_ADD(queue, not_ready) {
	.ready_first = false,
};

FIXTURE_VARIANT_ADD(queue, ready) {
	.ready_first = true,
};

FIXTURE_SETUP(queue)
{
	self->fd = iuc_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, handle_pipe_codes(self->fd, 0, 0));
	if (variant->ready_first) {
		ASSERT_EQ(0, iuc_ready(self->fd, NULL));
	}
	ASSERT_EQ(0, peer_start_opener(&self->opener));

	/* Last: the teardown, which restores it, runs once this succeeded. */
	self->saved = param_read(PARAM_MAX_QUEUED);
	ASSERT_LT(0, self->saved);
	ASSERT_EQ(0, param_write(PARAM_MAX_QUEUED, SMALL_QUEUE));
	ASSERT_EQ(SMALL_QUEUE, param_read(PARAM_MAX_QUEUED));
}

FIXTURE_TEARDOWN(queue)
{
	EXPECT_EQ(0, param_write(PARAM_MAX_QUEUED, self->saved));
	EXPECT_EQ(0, peer_stop(&self->opener));
	close(self->fd);
}

/* Fill the queue: SMALL_QUEUE notified pipes with commands 1.. */
static int fill_queue(FIXTURE_DATA(queue) *self)
{
	for (int i = 0; i < SMALL_QUEUE; i++) {
		int ret = pipe_to_me(&self->opener, (uint16_t)(i + 1), &self->op[i]);

		if (ret)
			return ret;
		if (self->op[i].error != IUC_E_NONE)
			return -EPROTO;
	}
	return 0;
}

/* READY if not yet, then the SMALL_QUEUE records of fill_queue(), in order. */
static void expect_queued_records(struct __test_metadata *_metadata,
				  FIXTURE_DATA(queue) *self, bool ready)
{
	struct iuc_signal s;

	if (!ready) {
		ASSERT_EQ(0, iuc_ready(self->fd, NULL));
	}
	for (int i = 0; i < SMALL_QUEUE; i++) {
		ASSERT_RECORD(self->fd, IUC_SIG_RECV_PIPE, (uint16_t)(i + 1), &s);
		EXPECT_EQ(self->op[i].peer_id, s.data.recv_pipe.id);
	}
}

/*
 * A full queue refuses notified OPEN_PIPE with EAGAIN / IUC_E_QUEUE_FULL
 * and loses nothing; IUC_NOTIFY_SKIP still opens; once read, the queue
 * takes records again.
 */
TEST_F(queue, full_queue_refuses_notification)
{
	struct iuc_open_pipe extra;
	struct iuc_signal s;

	ASSERT_EQ(0, fill_queue(self));
	for (int i = 0; i < 2; i++) {
		EXPECT_EQ(-EAGAIN, pipe_to_me(&self->opener, 0x100, &extra));
		EXPECT_EQ(IUC_E_QUEUE_FULL, extra.error);
	}
	extra = iuc_pipe_args(getpid(), 0x200);
	extra.notify = IUC_NOTIFY_SKIP;
	EXPECT_EQ(0, peer_open_pipe(&self->opener, &extra));
	EXPECT_EQ(IUC_E_NONE, extra.error);
	EXPECT_NE(0, extra.peer_id);

	expect_queued_records(_metadata, self, variant->ready_first);
	EXPECT_EQ(-EAGAIN, read_nb(self->fd, &s, sizeof(s)));

	/* Drained: notifications are accepted again. */
	ASSERT_EQ(0, pipe_to_me(&self->opener, 0x300, &extra));
	ASSERT_RECORD(self->fd, IUC_SIG_RECV_PIPE, 0x300, &s);
}

/*
 * PIPE_CLOSED records are delivered even when the queue is full: their
 * room was reserved when the pipes were opened (notified or not).
 */
TEST_F(queue, closing_records_bypass_full_queue)
{
	struct iuc_open_pipe skipped, extra;
	struct iuc_signal s;
	uint32_t err;

	ASSERT_EQ(0, fill_queue(self));
	skipped = iuc_pipe_args(getpid(), 0x99);
	skipped.notify = IUC_NOTIFY_SKIP;
	ASSERT_EQ(0, peer_open_pipe(&self->opener, &skipped));
	/* The queue is full. */
	ASSERT_EQ(-EAGAIN, pipe_to_me(&self->opener, 0x100, &extra));

	/* Close all, the skipped one first, then from the last to the first. */
	EXPECT_EQ(0, peer_close_pipe(&self->opener, skipped.id, &err));
	EXPECT_EQ(IUC_E_NONE, err);
	for (int i = SMALL_QUEUE - 1; i >= 0; i--) {
		EXPECT_EQ(0, peer_close_pipe(&self->opener, self->op[i].id, &err))
			TH_LOG("close %d", i);
		EXPECT_EQ(IUC_E_NONE, err);
	}

	expect_queued_records(_metadata, self, variant->ready_first);
	for (int i = SMALL_QUEUE; i >= 0; i--) {
		ASSERT_RECORD(self->fd, IUC_SIG_PIPE_CLOSED, 0, &s);	/* i lost? */
		EXPECT_EQ(i < SMALL_QUEUE ? self->op[i].peer_id : skipped.peer_id,
			  s.data.pipe_closed.id);
		EXPECT_EQ(IUC_CLOSED_BY_CALL, s.data.pipe_closed.closing_type);
		EXPECT_EQ(IUC_PART_RC, s.data.pipe_closed.part);
	}
	EXPECT_EQ(-EAGAIN, read_nb(self->fd, &s, sizeof(s)));
}

TEST_HARNESS_MAIN
