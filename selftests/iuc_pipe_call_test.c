// SPDX-License-Identifier: GPL-2.0
/*
 * IUC selftests: PIPE_CALL (0x81, IUC extension), a PIPE_WRITE of a request
 * and a PIPE_READ of its answer in one call.
 *
 * Round trips with an echo peer that serves by PIPE_CALL itself (lib/peer:
 * PEER_CALL_ECHO), on message and raw pipes; a read-only call (@wcount 0);
 * a loopback (both ends of one pipe held by the caller); every refusal of
 * either half with its code and @stage, and that it loses nothing (the
 * answer stays readable, an unsent request is not sent); interrupted waits
 * in either half; the peer killed while the caller waits; reserved fields
 * and struct sizes; io_uring; and the busy-poll parameter's extremes.
 *
 * The test process holds one end of each pipe, a target peer the other.
 * "Waiting" is seen through PIPE_INFO (READ_PENDING / WRITE_PENDING),
 * never through a delay.
 */
#include <liburing.h>

#include "kselftest_harness.h"
#include "iuc_test.h"

#define PARAM_BUSY_POLL	"/sys/module/iuc/parameters/busy_poll_us"
#define ECHO_ROUNDS	16
/* An address no user buffer can have: access_ok() refuses it. */
#define KERNEL_ADDR	0xffff888000000000ULL

/* A pipe of @mode from the test to @p: the test holds the SC (@type 0) or the RC. */
static int open_to(int fd, pid_t pid, uint8_t type, uint8_t mode,
		   struct iuc_open_pipe *op)
{
	*op = iuc_pipe_args(pid, 0x81);
	op->type = type;
	op->multiplier = 1;
	op->mode = mode;
	op->notify = IUC_NOTIFY_SKIP;
	return iuc_open_pipe(fd, op);
}

/* The bad buffers' unmapped page (map_hole()) has this many good pages before it. */
#define HOLE_PAGE	19

/* PIPE_CALL arguments, as iuc_pipe_call() sets them. */
static struct iuc_pipe_call call_args(uint64_t sc, const void *wbuf, uint64_t wcount,
				      uint64_t rc, void *rbuf, uint32_t rcount)
{
	struct iuc_pipe_call c;

	memset(&c, 0, sizeof(c));
	c.error = ERR_SENTINEL;
	c.sc = sc;
	c.wbuf = (uintptr_t)wbuf;
	c.wcount = wcount;
	c.rc = rc;
	c.rbuf = (uintptr_t)rbuf;
	c.rcount = rcount;
	return c;
}

/*
 * The test process (pipe records, READY), a ready target peer and four
 * 64 KiB pipes: message and raw, "out" (the test holds the SC, the peer
 * the RC) and "in" (the peer writes, the test reads).
 */
FIXTURE(call) {
	int fd;
	struct peer peer;
	struct iuc_open_pipe msg_out, msg_in, raw_out, raw_in;
	char *wbuf, *rbuf;
};

FIXTURE_SETUP(call)
{
	self->fd = iuc_pipe_ctx();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, peer_start_target(&self->peer));
	ASSERT_EQ(0, open_to(self->fd, self->peer.pid, IUC_PIPE_TYPE_CALLER_SENDS,
			     IUC_PIPE_MODE_MESSAGE, &self->msg_out));
	ASSERT_EQ(0, open_to(self->fd, self->peer.pid, IUC_PIPE_TYPE_CALLER_RECEIVES,
			     IUC_PIPE_MODE_MESSAGE, &self->msg_in));
	ASSERT_EQ(0, open_to(self->fd, self->peer.pid, IUC_PIPE_TYPE_CALLER_SENDS,
			     IUC_PIPE_MODE_RAW, &self->raw_out));
	ASSERT_EQ(0, open_to(self->fd, self->peer.pid, IUC_PIPE_TYPE_CALLER_RECEIVES,
			     IUC_PIPE_MODE_RAW, &self->raw_in));
	self->wbuf = malloc(2 * IUC_PIPE_UNIT);
	self->rbuf = malloc(2 * IUC_PIPE_UNIT);
	ASSERT_NE(NULL, self->wbuf);
	ASSERT_NE(NULL, self->rbuf);
}

FIXTURE_TEARDOWN(call)
{
	if (self->peer.pid > 0) {
		if (self->peer.pending)
			peer_kill(&self->peer);
		else
			EXPECT_EQ(0, peer_stop(&self->peer));
	}
	free(self->wbuf);
	free(self->rbuf);
	close(self->fd);
}

/*
 * @n round trips of requests of @len bytes (pattern seed i) through the
 * echo peer, from @sc to @rc, read with @rcount: each answer is its
 * request, @written its length, @stage 0.
 */
static void round_trips(struct __test_metadata *_metadata, FIXTURE_DATA(call) *self,
			const struct iuc_open_pipe *out, const struct iuc_open_pipe *in,
			bool message, uint32_t n, uint64_t len)
{
	struct peer_msg m = peer_msg_call_echo(out->peer_id, in->peer_id, n,
					       message ? 0 : (uint32_t)len);
	struct iuc_pipe_call c;
	struct peer_reply rep;

	ASSERT_EQ(0, peer_send(&self->peer, &m));
	for (uint32_t i = 0; i < n; i++) {
		pat_fill(self->wbuf, len, i, 0);
		memset(self->rbuf, 0, len);
		ASSERT_EQ(0, iuc_pipe_call(self->fd, out->id, self->wbuf, len, in->id,
					   self->rbuf, message ? IUC_MESSAGE_MAX : (uint32_t)len,
					   &c)) TH_LOG("round trip %u: error 0x%x stage %u",
						       i, c.error, c.stage);
		EXPECT_EQ(IUC_E_NONE, c.error);
		EXPECT_EQ(0, c.stage);
		EXPECT_EQ(len, c.written);
		EXPECT_EQ(len, c.transferred);
		/* PIPE_READ's @result: a message's length, or the raw bytes left. */
		EXPECT_EQ(message ? len : 0, c.result);
		EXPECT_EQ(PAT_NO_BAD, pat_check(self->rbuf, len, i, 0)) TH_LOG("round trip %u", i);
	}
	memset(&rep, 0, sizeof(rep));
	ASSERT_EQ(0, peer_wait(&self->peer, &rep, TIMEOUT_MS));
	EXPECT_EQ(n, rep.v[0]);
}

/* Message pipes: 16 round trips of 64 bytes, then of the largest message. */
TEST_F(call, round_trips_message_pipes)
{
	round_trips(_metadata, self, &self->msg_out, &self->msg_in, true, ECHO_ROUNDS, 64);
	round_trips(_metadata, self, &self->msg_out, &self->msg_in, true, 4, IUC_MESSAGE_MAX);
}

/* Raw pipes: @rcount bytes each way, and more than a capacity. */
TEST_F(call, round_trips_raw_pipes)
{
	round_trips(_metadata, self, &self->raw_out, &self->raw_in, false, ECHO_ROUNDS, 100);
	round_trips(_metadata, self, &self->raw_out, &self->raw_in, false, 2,
		    IUC_PIPE_UNIT + 4096);
}

/*
 * @wcount 0 only reads: @sc is not looked at (an unknown id does not
 * matter), nothing is written, @written is 0.
 */
TEST_F(call, wcount_zero_reads_only)
{
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	struct iuc_pipe_call c;

	ASSERT_EQ(0, peer_write(&self->peer, self->msg_in.peer_id, 200, IUC_IO_BLOCK, 5, 0, &w));
	EXPECT_EQ(0, iuc_pipe_call(self->fd, 0xdeadbeef, NULL, 0, self->msg_in.id,
				   self->rbuf, IUC_MESSAGE_MAX, &c));
	EXPECT_EQ(IUC_E_NONE, c.error);
	EXPECT_EQ(0, c.stage);
	EXPECT_EQ(0, c.written);
	EXPECT_EQ(200, c.transferred);
	EXPECT_EQ(200, c.result);
	EXPECT_EQ(PAT_NO_BAD, pat_check(self->rbuf, 200, 5, 0));
	/* Nothing went out, on any pipe of the test. */
	EXPECT_EQ(-EAGAIN, peer_read(&self->peer, self->msg_out.peer_id, 0, IUC_IO_TRY, 0, 0,
				     IUC_MESSAGE_MAX, &r, NULL));

	/* A raw pipe with @rcount 0: what is pending. */
	ASSERT_EQ(0, peer_write(&self->peer, self->raw_in.peer_id, 300, IUC_IO_BLOCK, 6, 0, &w));
	EXPECT_EQ(0, iuc_pipe_call(self->fd, 0, NULL, 0, self->raw_in.id, self->rbuf, 0, &c));
	EXPECT_EQ(300, c.transferred);
	EXPECT_EQ(0, c.result);
	EXPECT_EQ(PAT_NO_BAD, pat_check(self->rbuf, 300, 6, 0));
}

/*
 * The caller holds both ends of one pipe (opened to itself): the call
 * reads its own request back, message and raw.
 */
TEST_F(call, loopback_reads_own_request)
{
	for (uint8_t mode = IUC_PIPE_MODE_RAW; mode <= IUC_PIPE_MODE_MESSAGE; mode++) {
		struct iuc_open_pipe op;
		struct iuc_pipe_call c;

		ASSERT_EQ(0, open_to(self->fd, getpid(), IUC_PIPE_TYPE_CALLER_SENDS, mode, &op));
		pat_fill(self->wbuf, 1000, 7, 0);
		EXPECT_EQ(0, iuc_pipe_call(self->fd, op.id, self->wbuf, 1000, op.peer_id,
					   self->rbuf, 1000, &c)) TH_LOG("mode %u", mode);
		EXPECT_EQ(0, c.stage);
		EXPECT_EQ(1000, c.written);
		EXPECT_EQ(1000, c.transferred);
		EXPECT_EQ(PAT_NO_BAD, pat_check(self->rbuf, 1000, 7, 0));
		EXPECT_EQ(iuc_pipe_cap(1), iuc_pipe_room(self->fd, op.id));
		EXPECT_EQ(0, iuc_close_pipe(self->fd, op.id, NULL));
	}
}

/* A message the peer writes to the test's "in" pipe: @len bytes of seed @seed. */
static void peer_answer(struct __test_metadata *_metadata, FIXTURE_DATA(call) *self,
			uint64_t len, uint64_t seed)
{
	struct iuc_pipe_write w;

	ASSERT_EQ(0, peer_write(&self->peer, self->msg_in.peer_id, len, IUC_IO_BLOCK, seed, 0,
				&w));
}

/* The pending answer of peer_answer() is still there, whole. */
static void answer_kept(struct __test_metadata *_metadata, FIXTURE_DATA(call) *self,
			uint64_t len, uint64_t seed)
{
	struct iuc_pipe_read r;

	ASSERT_EQ(0, iuc_pipe_read(self->fd, self->msg_in.id, self->rbuf, IUC_MESSAGE_MAX,
				   IUC_IO_TRY, &r));
	EXPECT_EQ(len, r.result);
	EXPECT_EQ(PAT_NO_BAD, pat_check(self->rbuf, len, seed, 0));
}

/* Nothing reached the peer on the test's "out" message pipe. */
static void nothing_sent(struct __test_metadata *_metadata, FIXTURE_DATA(call) *self)
{
	struct iuc_pipe_read r;

	EXPECT_EQ(-EAGAIN, peer_read(&self->peer, self->msg_out.peer_id, 0, IUC_IO_TRY, 0, 0,
				     IUC_MESSAGE_MAX, &r, NULL));
}

/*
 * The write half's refusals are PIPE_WRITE's, with @stage WRITE: unknown
 * SC, an RC in its place, a message over 64 KiB, an unmapped or kernel
 * @wbuf.  Nothing is read: the pending answer stays; nothing is sent.
 */
TEST_F(call, write_stage_errors_read_nothing)
{
	const uint64_t sc = self->msg_out.id, rc = self->msg_in.id;
	char *hole = map_hole(HOLE_PAGE, 0);
	struct {
		const char *what;
		uint64_t sc;
		const void *wbuf;
		uint64_t wcount;
		int err;
		uint32_t code;
	} cases[] = {
		{ "unknown SC", 0xdeadbeef, self->wbuf, 10, -EBADF, IUC_E_WRITE_UNKNOWN_SC },
		{ "an RC as SC", rc, self->wbuf, 10, -EBADF, IUC_E_WRITE_UNKNOWN_SC },
		{ "message too long", sc, self->wbuf, IUC_MESSAGE_MAX + 1, -EMSGSIZE,
		  IUC_E_WRITE_MESSAGE_TOO_LONG },
		{ "unmapped wbuf", sc, hole - 100, 200, -EFAULT, IUC_E_UNMAPPED },
		{ "kernel wbuf", sc, (const void *)(uintptr_t)KERNEL_ADDR, 10, -EFAULT,
		  IUC_E_UNMAPPED },
	};
	struct iuc_pipe_call c;

	ASSERT_NE(NULL, hole);
	peer_answer(_metadata, self, 50, 8);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		EXPECT_EQ(cases[i].err, iuc_pipe_call(self->fd, cases[i].sc, cases[i].wbuf,
						      cases[i].wcount, rc, self->rbuf,
						      IUC_MESSAGE_MAX, &c)) TH_LOG("%s", cases[i].what);
		EXPECT_EQ(cases[i].code, c.error) TH_LOG("%s", cases[i].what);
		EXPECT_EQ(IUC_CALL_STAGE_WRITE, c.stage) TH_LOG("%s", cases[i].what);
		EXPECT_EQ(0, c.written);
		EXPECT_EQ(0, c.transferred);
		EXPECT_EQ(0, c.result);
	}
	nothing_sent(_metadata, self);
	answer_kept(_metadata, self, 50, 8);
	unmap_hole(hole, HOLE_PAGE, 0);
}

/* A closed SC: EPIPE 0x21, stage WRITE; the answer pending on @rc stays. */
TEST_F(call, write_stage_closed_sc)
{
	struct iuc_pipe_call c;

	peer_answer(_metadata, self, 60, 9);
	ASSERT_EQ(0, peer_close_pipe(&self->peer, self->msg_out.peer_id, NULL));
	EXPECT_EQ(-EPIPE, iuc_pipe_call(self->fd, self->msg_out.id, self->wbuf, 10,
					self->msg_in.id, self->rbuf, IUC_MESSAGE_MAX, &c));
	EXPECT_EQ(IUC_E_WRITE_CLOSED, c.error);
	EXPECT_EQ(IUC_CALL_STAGE_WRITE, c.stage);
	EXPECT_EQ(0, c.written);
	answer_kept(_metadata, self, 60, 9);
}

/*
 * The read half's refusals found before anything is written (unknown RC,
 * an SC in its place, a kernel @rbuf): PIPE_READ's codes, @stage READ,
 * @written 0, and the request is not sent.
 */
TEST_F(call, read_stage_errors_before_the_write_send_nothing)
{
	struct {
		const char *what;
		uint64_t rc;
		uint64_t rbuf;
		int err;
		uint32_t code;
	} cases[] = {
		{ "unknown RC", 0xdeadbeef, (uintptr_t)self->rbuf, -EBADF, IUC_E_READ_UNKNOWN_RC },
		{ "an SC as RC", self->msg_out.id, (uintptr_t)self->rbuf, -EBADF,
		  IUC_E_READ_UNKNOWN_RC },
		{ "kernel rbuf", self->msg_in.id, KERNEL_ADDR, -EFAULT, IUC_E_UNMAPPED },
	};
	struct iuc_pipe_call c;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		c = call_args(self->msg_out.id, self->wbuf, 10, cases[i].rc, NULL, IUC_MESSAGE_MAX);
		c.rbuf = cases[i].rbuf;
		EXPECT_EQ(cases[i].err, iuc_ioctl(self->fd, IUC_IOC_PIPE_CALL, &c))
			TH_LOG("%s", cases[i].what);
		EXPECT_EQ(cases[i].code, c.error) TH_LOG("%s", cases[i].what);
		EXPECT_EQ(IUC_CALL_STAGE_READ, c.stage) TH_LOG("%s", cases[i].what);
		EXPECT_EQ(0, c.written) TH_LOG("%s", cases[i].what);
		EXPECT_EQ(0, c.transferred);
	}
	nothing_sent(_metadata, self);
}

/*
 * The read half's refusals after the request went: an answer longer than
 * @rcount (EMSGSIZE 0x24, @result its length) or an unmapped @rbuf
 * (EFAULT 0x03) leave the answer in the pipe; a closed and drained RC is
 * EPIPE 0x21.  Each time @written is the whole request, which arrived.
 */
TEST_F(call, read_stage_errors_after_the_write_keep_the_answer)
{
	char *hole = map_hole(HOLE_PAGE, 0);
	struct iuc_pipe_call c;
	struct iuc_pipe_read r;
	uint64_t bad;

	ASSERT_NE(NULL, hole);
	pat_fill(self->wbuf, 10, 10, 0);

	peer_answer(_metadata, self, 100, 11);
	EXPECT_EQ(-EMSGSIZE, iuc_pipe_call(self->fd, self->msg_out.id, self->wbuf, 10,
					   self->msg_in.id, self->rbuf, 50, &c));
	EXPECT_EQ(IUC_E_READ_BUFFER_TOO_SMALL, c.error);
	EXPECT_EQ(IUC_CALL_STAGE_READ, c.stage);
	EXPECT_EQ(10, c.written);
	EXPECT_EQ(100, c.result);
	EXPECT_EQ(0, c.transferred);
	EXPECT_EQ(0, peer_read(&self->peer, self->msg_out.peer_id, 0, IUC_IO_TRY, 10, 0,
			       IUC_MESSAGE_MAX, &r, &bad));
	EXPECT_EQ(10, r.result);
	EXPECT_EQ(PAT_NO_BAD, bad);
	answer_kept(_metadata, self, 100, 11);

	peer_answer(_metadata, self, 100, 12);
	EXPECT_EQ(-EFAULT, iuc_pipe_call(self->fd, self->msg_out.id, self->wbuf, 10,
					 self->msg_in.id, hole - 50, 100, &c));
	EXPECT_EQ(IUC_E_UNMAPPED, c.error);
	EXPECT_EQ(IUC_CALL_STAGE_READ, c.stage);
	EXPECT_EQ(10, c.written);
	EXPECT_EQ(0, c.transferred);
	EXPECT_EQ(0, peer_read(&self->peer, self->msg_out.peer_id, 0, IUC_IO_TRY, 10, 0,
			       IUC_MESSAGE_MAX, &r, &bad));
	answer_kept(_metadata, self, 100, 12);

	/* The peer closes the answer pipe: once drained, EPIPE. */
	peer_answer(_metadata, self, 30, 13);
	ASSERT_EQ(0, peer_close_pipe(&self->peer, self->msg_in.peer_id, NULL));
	EXPECT_EQ(0, iuc_pipe_call(self->fd, self->msg_out.id, self->wbuf, 10,
				   self->msg_in.id, self->rbuf, IUC_MESSAGE_MAX, &c));
	EXPECT_EQ(30, c.transferred);
	EXPECT_EQ(-EPIPE, iuc_pipe_call(self->fd, self->msg_out.id, self->wbuf, 10,
					self->msg_in.id, self->rbuf, IUC_MESSAGE_MAX, &c));
	EXPECT_EQ(IUC_E_READ_CLOSED, c.error);
	EXPECT_EQ(IUC_CALL_STAGE_READ, c.stage);
	EXPECT_EQ(10, c.written);
	EXPECT_EQ(0, c.transferred);
	/* Both requests arrived. */
	for (int i = 0; i < 2; i++) {
		EXPECT_EQ(0, peer_read(&self->peer, self->msg_out.peer_id, 0, IUC_IO_TRY, 10, 0,
				       IUC_MESSAGE_MAX, &r, &bad));
		EXPECT_EQ(10, r.result);
	}
	unmap_hole(hole, HOLE_PAGE, 0);
}

/* Start PIPE_CALL @c in a thread and wait until its half shows @bit on @id. */
static void start_call(struct __test_metadata *_metadata, FIXTURE_DATA(call) *self,
		       struct async_call *as, struct iuc_pipe_call *c, uint64_t id,
		       uint8_t bit)
{
	ASSERT_EQ(0, async_call_start(as, self->fd, IUC_IOC_PIPE_CALL, c));
	ASSERT_TRUE(iuc_pipe_wait_status(self->fd, id, bit, bit));
	ASSERT_FALSE(async_call_done(as));
}

/*
 * A signal while the read half waits: EINTR 0x0F, stage READ, the whole
 * request written (the peer has it), nothing read; the call is not
 * restarted (SA_RESTART) and the answer that comes later is not lost.
 */
TEST_F(call, signal_in_read_half_is_eintr_stage_read)
{
	struct iuc_pipe_call c = call_args(self->msg_out.id, self->wbuf, 40, self->msg_in.id,
					   self->rbuf, IUC_MESSAGE_MAX);
	struct iuc_pipe_read r;
	struct async_call as;
	uint64_t bad;

	ASSERT_EQ(0, usr1_install());
	pat_fill(self->wbuf, 40, 14, 0);
	start_call(_metadata, self, &as, &c, self->msg_in.id, IUC_PIPE_READ_PENDING);
	ASSERT_EQ(0, pthread_kill(as.thread, SIGUSR1));
	ASSERT_EQ(0, async_call_join(&as));
	EXPECT_EQ(-EINTR, as.ret);
	EXPECT_EQ(IUC_E_INTERRUPTED, c.error);
	EXPECT_EQ(IUC_CALL_STAGE_READ, c.stage);
	EXPECT_EQ(40, c.written);
	EXPECT_EQ(0, c.transferred);
	EXPECT_LE(1, usr1_caught());
	EXPECT_EQ(0, peer_read(&self->peer, self->msg_out.peer_id, 0, IUC_IO_TRY, 14, 0,
			       IUC_MESSAGE_MAX, &r, &bad));
	EXPECT_EQ(40, r.result);
	EXPECT_EQ(PAT_NO_BAD, bad);
	peer_answer(_metadata, self, 20, 15);
	answer_kept(_metadata, self, 20, 15);
}

/*
 * A signal while the write half waits for room: EINTR 0x0F, stage WRITE,
 * @written what went (raw: a capacity; a message: nothing), nothing read.
 */
TEST_F(call, signal_in_write_half_is_eintr_stage_write)
{
	const uint64_t cap = iuc_pipe_cap(1);
	struct iuc_pipe_call c = call_args(self->raw_out.id, self->wbuf, cap + 500,
					   self->msg_in.id, self->rbuf, IUC_MESSAGE_MAX);
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	struct async_call as;
	uint64_t bad;

	ASSERT_EQ(0, usr1_install());
	pat_fill(self->wbuf, cap + 500, 16, 0);
	peer_answer(_metadata, self, 20, 17);
	start_call(_metadata, self, &as, &c, self->raw_out.id, IUC_PIPE_WRITE_PENDING);
	ASSERT_EQ(0, pthread_kill(as.thread, SIGUSR1));
	ASSERT_EQ(0, async_call_join(&as));
	EXPECT_EQ(-EINTR, as.ret);
	EXPECT_EQ(IUC_E_INTERRUPTED, c.error);
	EXPECT_EQ(IUC_CALL_STAGE_WRITE, c.stage);
	EXPECT_EQ(cap, c.written);
	EXPECT_EQ(0, c.transferred);
	EXPECT_EQ(0, peer_read(&self->peer, self->raw_out.peer_id, 0, IUC_IO_PARTIAL, 16, 0,
			       cap, &r, &bad));
	EXPECT_EQ(cap, r.transferred);
	EXPECT_EQ(PAT_NO_BAD, bad);

	/* A message waiting for room: nothing of it went. */
	ASSERT_EQ(0, iuc_pipe_write(self->fd, self->msg_out.id, self->wbuf, 100, IUC_IO_BLOCK,
				    &w));
	c = call_args(self->msg_out.id, self->wbuf, IUC_MESSAGE_MAX, self->msg_in.id,
		      self->rbuf, IUC_MESSAGE_MAX);
	start_call(_metadata, self, &as, &c, self->msg_out.id, IUC_PIPE_WRITE_PENDING);
	ASSERT_EQ(0, pthread_kill(as.thread, SIGUSR1));
	ASSERT_EQ(0, async_call_join(&as));
	EXPECT_EQ(-EINTR, as.ret);
	EXPECT_EQ(IUC_E_INTERRUPTED, c.error);
	EXPECT_EQ(IUC_CALL_STAGE_WRITE, c.stage);
	EXPECT_EQ(0, c.written);
	answer_kept(_metadata, self, 20, 17);
}

/*
 * The peer is killed while the caller waits for its answer: the pipes
 * close with it, the call fails with EPIPE 0x21, stage READ.
 */
TEST_F(call, peer_killed_while_waiting_is_epipe_stage_read)
{
	struct iuc_pipe_call c = call_args(self->msg_out.id, self->wbuf, 8, self->msg_in.id,
					   self->rbuf, IUC_MESSAGE_MAX);
	struct async_call as;

	start_call(_metadata, self, &as, &c, self->msg_in.id, IUC_PIPE_READ_PENDING);
	peer_kill(&self->peer);
	self->peer.pid = 0;
	ASSERT_EQ(0, async_call_join(&as));
	EXPECT_EQ(-EPIPE, as.ret);
	EXPECT_EQ(IUC_E_READ_CLOSED, c.error);
	EXPECT_EQ(IUC_CALL_STAGE_READ, c.stage);
	EXPECT_EQ(8, c.written);
	EXPECT_EQ(0, c.transferred);
}

/*
 * Reserved fields: flags or a pad byte not zero is EINVAL with 0x02 and
 * @stage 0; nothing is written or read.
 */
TEST_F(call, reserved_fields_einval_0x02)
{
	struct iuc_pipe_call c;

	peer_answer(_metadata, self, 10, 18);
	for (size_t i = 0; i <= sizeof(c.__pad); i++) {
		c = call_args(self->msg_out.id, self->wbuf, 10, self->msg_in.id, self->rbuf,
			      IUC_MESSAGE_MAX);
		c.stage = 0x77;
		if (i < sizeof(c.__pad))
			c.__pad[i] = 1;
		else
			c.flags = 1;
		EXPECT_EQ(-EINVAL, iuc_ioctl(self->fd, IUC_IOC_PIPE_CALL, &c)) TH_LOG("byte %zu", i);
		EXPECT_EQ(IUC_E_INVALID_ARG, c.error);
		if (i < sizeof(c.__pad)) {
			EXPECT_EQ(0, c.stage);
		}
		EXPECT_EQ(0, c.written);
	}
	nothing_sent(_metadata, self);
	answer_kept(_metadata, self, 10, 18);
}

/* The ioctl command of PIPE_CALL with struct size @size. */
static unsigned long call_cmd(size_t size)
{
	return _IOC(_IOC_READ | _IOC_WRITE, IUC_IOC_MAGIC, IUC_CALL_PIPE_CALL, size);
}

/*
 * Sizes: the ioctl is 0x81 with the VER0 size; a smaller struct is
 * EINVAL 0x02 (nothing sent), a larger one works when its tail is zero
 * (left zero), and is E2BIG 0x02 when not.
 */
TEST_F(call, struct_sizes)
{
	struct {
		struct iuc_pipe_call c;
		uint8_t tail[24];
	} big;
	struct iuc_pipe_call c;

	EXPECT_EQ(80, sizeof(struct iuc_pipe_call));
	EXPECT_EQ(call_cmd(IUC_PIPE_CALL_SIZE_VER0), IUC_IOC_PIPE_CALL);

	c = call_args(self->msg_out.id, self->wbuf, 10, self->msg_in.id, self->rbuf,
		      IUC_MESSAGE_MAX);
	EXPECT_EQ(-EINVAL, iuc_ioctl(self->fd, call_cmd(IUC_PIPE_CALL_SIZE_VER0 - 8), &c));
	EXPECT_EQ(IUC_E_INVALID_ARG, c.error);
	nothing_sent(_metadata, self);

	memset(&big, 0, sizeof(big));
	big.c = call_args(self->msg_out.id, self->wbuf, 10, self->msg_in.id, self->rbuf,
			  IUC_MESSAGE_MAX);
	big.tail[23] = 1;
	EXPECT_EQ(-E2BIG, iuc_ioctl(self->fd, call_cmd(sizeof(big)), &big));
	EXPECT_EQ(IUC_E_INVALID_ARG, big.c.error);
	nothing_sent(_metadata, self);

	peer_answer(_metadata, self, 33, 19);
	big.tail[23] = 0;
	EXPECT_EQ(0, iuc_ioctl(self->fd, call_cmd(sizeof(big)), &big));
	EXPECT_EQ(IUC_E_NONE, big.c.error);
	EXPECT_EQ(33, big.c.transferred);
	EXPECT_TRUE(all_zero(big.tail, sizeof(big.tail)));
	EXPECT_EQ(0, peer_read(&self->peer, self->msg_out.peer_id, 0, IUC_IO_TRY, 0, 0,
			       IUC_MESSAGE_MAX, NULL, NULL));
}

/* ---- io_uring ---------------------------------------------------------------- */

/* Submit PIPE_CALL @c on @fd through @ring and wait for its completion: res. */
static int uring_call(struct io_uring *ring, int fd, struct iuc_pipe_call *c)
{
	struct __kernel_timespec ts = { .tv_sec = TIMEOUT_MS / 1000 };
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	int ret;

	if (!sqe)
		return -EBUSY;
	iuc_uring_prep(sqe, fd, IUC_IOC_PIPE_CALL, c);
	ret = io_uring_submit(ring);
	if (ret != 1)
		return ret < 0 ? ret : -EIO;
	ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);
	if (ret)
		return ret == -ETIME ? -ETIMEDOUT : ret;
	ret = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return ret;
}

/*
 * PIPE_CALL as IORING_OP_URING_CMD: round trips with the echo peer (the
 * answer waited for in io_uring), and a refusal with its code and stage.
 */
TEST_F(call, io_uring_round_trips_and_errors)
{
	struct peer_msg m = peer_msg_call_echo(self->msg_out.peer_id, self->msg_in.peer_id, 4, 0);
	struct io_uring ring;
	struct peer_reply rep;
	struct iuc_pipe_call c;

	ASSERT_EQ(0, io_uring_queue_init(4, &ring, 0));
	ASSERT_EQ(0, peer_send(&self->peer, &m));
	for (uint32_t i = 0; i < 4; i++) {
		pat_fill(self->wbuf, 64, 20 + i, 0);
		c = call_args(self->msg_out.id, self->wbuf, 64, self->msg_in.id, self->rbuf,
			      IUC_MESSAGE_MAX);
		EXPECT_EQ(0, uring_call(&ring, self->fd, &c)) TH_LOG("round trip %u", i);
		EXPECT_EQ(IUC_E_NONE, c.error);
		EXPECT_EQ(64, c.written);
		EXPECT_EQ(64, c.transferred);
		EXPECT_EQ(PAT_NO_BAD, pat_check(self->rbuf, 64, 20 + i, 0));
	}
	memset(&rep, 0, sizeof(rep));
	ASSERT_EQ(0, peer_wait(&self->peer, &rep, TIMEOUT_MS));
	EXPECT_EQ(4, rep.v[0]);

	c = call_args(self->msg_out.id, self->wbuf, 10, 0xdeadbeef, self->rbuf, IUC_MESSAGE_MAX);
	EXPECT_EQ(-EBADF, uring_call(&ring, self->fd, &c));
	EXPECT_EQ(IUC_E_READ_UNKNOWN_RC, c.error);
	EXPECT_EQ(IUC_CALL_STAGE_READ, c.stage);
	nothing_sent(_metadata, self);
	io_uring_queue_exit(&ring);
}

/* ---- busy-poll --------------------------------------------------------------- */

/*
 * The spin before the read half sleeps changes no result: round trips
 * with busy_poll_us 0 (never), its maximum and far beyond (clamped), and
 * a signal ends a wait whether it spins or sleeps.  No timing is checked.
 */
FIXTURE(busy_poll) {
	int fd;
	long long saved;
	struct peer peer;
	struct iuc_open_pipe out, in;
	char buf[256];
};

FIXTURE_SETUP(busy_poll)
{
	self->saved = param_read(PARAM_BUSY_POLL);
	ASSERT_LE(0, self->saved) TH_LOG("no %s", PARAM_BUSY_POLL);
	self->fd = iuc_pipe_ctx();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, peer_start_target(&self->peer));
	ASSERT_EQ(0, open_to(self->fd, self->peer.pid, IUC_PIPE_TYPE_CALLER_SENDS,
			     IUC_PIPE_MODE_MESSAGE, &self->out));
	ASSERT_EQ(0, open_to(self->fd, self->peer.pid, IUC_PIPE_TYPE_CALLER_RECEIVES,
			     IUC_PIPE_MODE_MESSAGE, &self->in));
}

FIXTURE_TEARDOWN(busy_poll)
{
	EXPECT_EQ(0, param_write(PARAM_BUSY_POLL, self->saved));
	if (self->peer.pending)
		peer_kill(&self->peer);
	else
		EXPECT_EQ(0, peer_stop(&self->peer));
	close(self->fd);
}

TEST_F(busy_poll, extremes_keep_round_trips)
{
	static const long long values[] = { 0, 1, 10000, 4294967295LL };

	for (size_t v = 0; v < ARRAY_SIZE(values); v++) {
		struct peer_msg m = peer_msg_call_echo(self->out.peer_id, self->in.peer_id,
						       ECHO_ROUNDS, 0);
		struct peer_reply rep;
		struct iuc_pipe_call c;

		ASSERT_EQ(0, param_write(PARAM_BUSY_POLL, values[v]));
		ASSERT_EQ(0, peer_send(&self->peer, &m));
		for (uint32_t i = 0; i < ECHO_ROUNDS; i++) {
			pat_fill(self->buf, sizeof(self->buf), i, 0);
			ASSERT_EQ(0, iuc_pipe_call(self->fd, self->out.id, self->buf,
						   sizeof(self->buf), self->in.id, self->buf,
						   sizeof(self->buf), &c))
				TH_LOG("busy_poll_us %lld, round trip %u", values[v], i);
			EXPECT_EQ(sizeof(self->buf), c.transferred);
			EXPECT_EQ(PAT_NO_BAD, pat_check(self->buf, sizeof(self->buf), i, 0));
		}
		memset(&rep, 0, sizeof(rep));
		ASSERT_EQ(0, peer_wait(&self->peer, &rep, TIMEOUT_MS));
		EXPECT_EQ(ECHO_ROUNDS, rep.v[0]);
	}
}

/*
 * A wait that may spin is ended by a signal.  The answer's writer is the
 * test's main thread (it wrote last to a loopback pipe) and stays busy,
 * polling PIPE_INFO, on another CPU than the caller's thread if there are
 * two: the condition under which the caller spins.  Once the caller
 * waits (READ_PENDING, set for a spin as for a sleep), the main thread
 * signals it: EINTR 0x0F, stage READ.
 */
TEST_F(busy_poll, signal_ends_a_spinning_wait)
{
	struct iuc_pipe_call c;
	struct iuc_open_pipe lo;
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	struct async_call as;
	cpu_set_t cpu;
	bool two = sysconf(_SC_NPROCESSORS_ONLN) > 1;

	ASSERT_EQ(0, usr1_install());
	ASSERT_EQ(0, param_write(PARAM_BUSY_POLL, 10000));
	ASSERT_EQ(0, open_to(self->fd, getpid(), IUC_PIPE_TYPE_CALLER_SENDS,
			     IUC_PIPE_MODE_MESSAGE, &lo));
	/* This thread is the pipe's last writer; the pipe is empty again. */
	ASSERT_EQ(0, iuc_pipe_write(self->fd, lo.id, self->buf, 8, IUC_IO_BLOCK, &w));
	ASSERT_EQ(0, iuc_pipe_read(self->fd, lo.peer_id, self->buf, sizeof(self->buf),
				   IUC_IO_BLOCK, &r));
	if (two)
		ASSERT_EQ(0, race_pin_cpu(1));

	c = call_args(0, NULL, 0, lo.peer_id, self->buf, sizeof(self->buf));
	ASSERT_EQ(0, async_call_start(&as, self->fd, IUC_IOC_PIPE_CALL, &c));
	if (two) {
		CPU_ZERO(&cpu);
		CPU_SET(0, &cpu);
		while (!__atomic_load_n(&as.tid, __ATOMIC_SEQ_CST))
			sched_yield();
		sched_setaffinity(as.tid, sizeof(cpu), &cpu);	/* best effort */
	}
	ASSERT_TRUE(iuc_pipe_wait_status(self->fd, lo.peer_id, IUC_PIPE_READ_PENDING,
					 IUC_PIPE_READ_PENDING));
	ASSERT_EQ(0, pthread_kill(as.thread, SIGUSR1));
	ASSERT_EQ(0, async_call_join(&as));
	EXPECT_EQ(-EINTR, as.ret);
	EXPECT_EQ(IUC_E_INTERRUPTED, c.error);
	EXPECT_EQ(IUC_CALL_STAGE_READ, c.stage);
	EXPECT_EQ(0, c.transferred);
	EXPECT_EQ(0, iuc_close_pipe(self->fd, lo.id, NULL));
	if (two) {
		CPU_ZERO(&cpu);
		for (int i = 0; i < CPU_SETSIZE; i++)
			CPU_SET(i, &cpu);
		sched_setaffinity(0, sizeof(cpu), &cpu);
	}
}

TEST_HARNESS_MAIN
