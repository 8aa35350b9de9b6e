// SPDX-License-Identifier: GPL-2.0
/*
 * IUC selftests: what OPEN_PIPE creates, and its argument errors.
 *
 * The test process opens a pipe to a peer that is a ready pipe target,
 * with each combination of type, mode and notification (the variants of
 * the "opened" fixture), and checks both sides: the target's RECV_PIPE
 * record, PIPE_INFO of each end, which end writes and which reads, and
 * how much fits.  Who
 * may open a pipe to whom, and the limits, are iuc_pipe_perm_test.c; what
 * happens to a pipe afterwards is iuc_pipe_life_test.c.
 *
 * Whenever a call is refused, the test checks that it had no effect: no
 * identifier stays and the target's next record comes from a later call.
 */
#include "kselftest_harness.h"
#include "iuc_test.h"

/* The test's context (RECV_PIPE and PIPE_CLOSED, READY) and a target. */
struct scene {
	int fd;
	struct peer tgt;
	struct iuc_open_pipe op;	/* the pipe opened to it, if any */
};

static void scene_start(struct __test_metadata *_metadata, struct scene *s)
{
	s->fd = iuc_pipe_ctx();
	ASSERT_LE(0, s->fd);
	ASSERT_EQ(0, peer_start_target(&s->tgt));
}

/* Open a pipe from the test to the target with the arguments of @args. */
static void scene_open(struct __test_metadata *_metadata, struct scene *s,
		       const struct iuc_open_pipe *args)
{
	s->op = *args;
	s->op.target_pid = (uint64_t)s->tgt.pid;
	ASSERT_EQ(0, iuc_open_pipe(s->fd, &s->op));
	EXPECT_EQ(IUC_E_NONE, s->op.error);
	ASSERT_NE(0, s->op.id);
	ASSERT_NE(0, s->op.peer_id);
}

static void scene_stop(struct __test_metadata *_metadata, struct scene *s)
{
	EXPECT_EQ(0, peer_stop(&s->tgt));
	close(s->fd);
}

/* ---- a pipe opened with each type, mode and notification ------------------ */

FIXTURE(opened) {
	struct scene s;
	struct side sc, rc;		/* the sides holding the SC and the RC */
	uint64_t sc_id, rc_id;		/* and their identifiers */
	uint8_t tgt_part;		/* the part the target holds */
};

FIXTURE_VARIANT(opened) {
	struct iuc_open_pipe args;
};

/* type, mode, notification, multiplier, command, size hint */
#define OPEN_ARGS(t, m, n, mult, cmd, hint)					\
	.args = { .type = IUC_PIPE_TYPE_##t, .mode = IUC_PIPE_MODE_##m,		\
		  .notify = n, .multiplier = mult, .command = cmd,		\
		  .size_hint = hint }

FIXTURE_VARIANT_ADD(opened, caller_sends_raw) {
	OPEN_ARGS(CALLER_SENDS, RAW, IUC_NOTIFY, 0, 0x0000, 0),
};

FIXTURE_VARIANT_ADD(opened, caller_sends_message) {
	OPEN_ARGS(CALLER_SENDS, MESSAGE, IUC_NOTIFY, 16, 0xFFFF, 4096),
};

FIXTURE_VARIANT_ADD(opened, caller_receives_raw) {
	OPEN_ARGS(CALLER_RECEIVES, RAW, IUC_NOTIFY, 255, 0x1234, 1ull << 40),
};

FIXTURE_VARIANT_ADD(opened, caller_receives_message) {
	OPEN_ARGS(CALLER_RECEIVES, MESSAGE, IUC_NOTIFY, 255, 0x8001, UINT64_MAX),
};

FIXTURE_VARIANT_ADD(opened, caller_sends_raw_unnotified) {
	OPEN_ARGS(CALLER_SENDS, RAW, IUC_NOTIFY_SKIP, 3, 0xB001, 0x123456789ull),
};

FIXTURE_VARIANT_ADD(opened, caller_sends_message_unnotified) {
	OPEN_ARGS(CALLER_SENDS, MESSAGE, IUC_NOTIFY_SKIP, 2, 0xB002, 1),
};

FIXTURE_VARIANT_ADD(opened, caller_receives_raw_unnotified) {
	OPEN_ARGS(CALLER_RECEIVES, RAW, IUC_NOTIFY_SKIP, 1, 0xB003, 7),
};

FIXTURE_VARIANT_ADD(opened, caller_receives_message_unnotified) {
	OPEN_ARGS(CALLER_RECEIVES, MESSAGE, IUC_NOTIFY_SKIP, 0, 0xB004, 65536),
};

/* Type 0: the caller keeps the SC and the target gets the RC; type 1 the reverse. */
FIXTURE_SETUP(opened)
{
	bool caller_sends = variant->args.type == IUC_PIPE_TYPE_CALLER_SENDS;
	struct side test, tgt;

	scene_start(_metadata, &self->s);
	scene_open(_metadata, &self->s, &variant->args);
	test = side_test(self->s.fd);
	tgt = side_peer(&self->s.tgt);
	self->sc = caller_sends ? test : tgt;
	self->rc = caller_sends ? tgt : test;
	self->sc_id = caller_sends ? self->s.op.id : self->s.op.peer_id;
	self->rc_id = caller_sends ? self->s.op.peer_id : self->s.op.id;
	self->tgt_part = caller_sends ? IUC_PART_RC : IUC_PART_SC;
}

FIXTURE_TEARDOWN(opened)
{
	scene_stop(_metadata, &self->s);
}

/*
 * A notified target gets one RECV_PIPE record: the creator's pid and ANID
 * (inode of its IPC namespace), the target's identifier (also returned as
 * peer_id, and in @object), the command, the part the target got, the
 * mode and the size hint; reserved bytes are zero.  IUC_NOTIFY_SKIP sends
 * no record.  Either way the target's next record is the pipe's close.
 */
TEST_F(opened, target_gets_recv_pipe_unless_skipped)
{
	uint64_t anid = ipc_ns_ino();
	struct iuc_signal s;

	ASSERT_NE(0, anid);
	ASSERT_GE(UINT32_MAX, anid);
	if (variant->args.notify == IUC_NOTIFY) {
		ASSERT_EQ(0, peer_read_sig(&self->s.tgt, &s, TIMEOUT_MS));
		EXPECT_EQ(IUC_SIG_RECV_PIPE, s.code);
		EXPECT_EQ((uint64_t)getpid(), s.data.recv_pipe.creator_pid);
		EXPECT_EQ(anid, s.data.recv_pipe.creator_anid);
		EXPECT_EQ(self->s.op.peer_id, s.data.recv_pipe.id);
		EXPECT_EQ(self->s.op.peer_id, s.object);
		EXPECT_EQ(variant->args.command, s.data.recv_pipe.command);
		EXPECT_EQ(self->tgt_part, s.data.recv_pipe.id_type);
		EXPECT_EQ(variant->args.mode, s.data.recv_pipe.mode);
		EXPECT_EQ(variant->args.size_hint, s.data.recv_pipe.size_hint);
		EXPECT_TRUE(sig_reserved_zero(&s));
	}
	EXPECT_EQ(0, peer_sig_pending(&self->s.tgt));

	ASSERT_EQ(0, iuc_close_pipe(self->s.fd, self->s.op.id, NULL));
	ASSERT_EQ(0, peer_read_sig(&self->s.tgt, &s, TIMEOUT_MS));
	EXPECT_EQ(IUC_SIG_PIPE_CLOSED, s.code);
	EXPECT_EQ(self->s.op.peer_id, s.data.pipe_closed.id);
	EXPECT_EQ(self->tgt_part, s.data.pipe_closed.part);
}

/*
 * PIPE_INFO tells each side what it holds (IS_SC), that the pipe is open,
 * whether it is a message pipe, its capacity max(1, m) x 64 KiB, all of
 * it room, and the creator's pid.
 */
TEST_F(opened, info_shows_each_side_its_end)
{
	const struct side sides[] = { self->sc, self->rc };
	const uint64_t ids[] = { self->sc_id, self->rc_id };
	uint64_t cap = iuc_pipe_cap(variant->args.multiplier);

	for (int i = 0; i < 2; i++) {
		struct iuc_pipe_info in;

		ASSERT_EQ(0, side_info(sides[i], ids[i], &in)) TH_LOG("%s", i ? "RC" : "SC");
		EXPECT_EQ(IUC_E_NONE, in.error);
		EXPECT_EQ(i ? 0 : IUC_PIPE_IS_SC, in.status & IUC_PIPE_IS_SC);
		EXPECT_EQ(IUC_PIPE_OPENED, in.status & IUC_PIPE_OPENED);
		EXPECT_EQ(variant->args.mode ? IUC_PIPE_MESSAGE : 0,
			  in.status & IUC_PIPE_MESSAGE);
		EXPECT_EQ(0, in.status & IUC_PIPE_FULL);
		EXPECT_EQ(cap, in.capacity);
		EXPECT_EQ(cap, in.room);
		EXPECT_EQ((uint64_t)getpid(), in.creator_pid);
	}
}

/*
 * Only the SC writes and only the RC reads: the wrong end is an unknown
 * identifier for the call (EBADF 0x20).  Data goes from the SC's holder
 * to the RC's.
 */
TEST_F(opened, only_sc_writes_only_rc_reads)
{
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	uint64_t bad;

	EXPECT_EQ(-EBADF, side_write(self->rc, self->rc_id, 10, IUC_IO_BLOCK, 1, 0, &w));
	EXPECT_EQ(IUC_E_WRITE_UNKNOWN_SC, w.error);
	EXPECT_EQ(-EBADF, side_read(self->sc, self->sc_id, 10, IUC_IO_PARTIAL, 1, 0, 0,
				    &r, NULL));
	EXPECT_EQ(IUC_E_READ_UNKNOWN_RC, r.error);

	EXPECT_EQ(0, side_write(self->sc, self->sc_id, 10, IUC_IO_BLOCK, 1, 0, &w));
	EXPECT_EQ(IUC_E_NONE, w.error);
	EXPECT_EQ(0, side_read(self->rc, self->rc_id, 10, IUC_IO_BLOCK, 1, 0, 0, &r, &bad));
	EXPECT_EQ(IUC_E_NONE, r.error);
	EXPECT_EQ(10, r.transferred);
	EXPECT_EQ(PAT_NO_BAD, bad);
}

/*
 * Exactly the capacity fits: in one raw write (one byte more never fits,
 * even in an empty pipe), or in messages of 64 KiB.  Then the pipe is
 * FULL with no room, and one byte more is refused (IUC_IO_TRY: EAGAIN
 * 0x30, not enough room).
 */
TEST_F(opened, exactly_the_capacity_fits)
{
	uint64_t cap = iuc_pipe_cap(variant->args.multiplier);
	uint64_t chunk = variant->args.mode ? IUC_MESSAGE_MAX : cap;
	struct iuc_pipe_info in;
	struct iuc_pipe_write w;

	if (!variant->args.mode) {
		EXPECT_EQ(-EAGAIN, side_write(self->sc, self->sc_id, cap + 1, IUC_IO_TRY,
					      1, 0, &w));
		EXPECT_EQ(IUC_E_WRITE_NO_ROOM, w.error);
		EXPECT_EQ(IUC_TRY_NOT_ENOUGH, w.result);
		EXPECT_EQ(0, w.transferred);
	}
	for (uint64_t off = 0; off < cap; off += chunk) {
		ASSERT_EQ(0, side_write(self->sc, self->sc_id, chunk, IUC_IO_TRY, 1, off, &w))
			TH_LOG("at %llu", (unsigned long long)off);
		EXPECT_EQ(chunk, w.transferred);
	}
	ASSERT_EQ(0, side_info(self->rc, self->rc_id, &in));
	EXPECT_EQ(0, in.room);
	EXPECT_EQ(IUC_PIPE_FULL, in.status & IUC_PIPE_FULL);
	EXPECT_EQ(-EAGAIN, side_write(self->sc, self->sc_id, 1, IUC_IO_TRY, 1, cap, &w));
	EXPECT_EQ(IUC_E_WRITE_NO_ROOM, w.error);
	EXPECT_EQ(IUC_TRY_NOT_ENOUGH, w.result);
}

/* ---- bad arguments ---------------------------------------------------------- */

FIXTURE(bad_arg) {
	struct scene s;
};

/* The byte of struct iuc_open_pipe that gets a bad value, and the error. */
FIXTURE_VARIANT(bad_arg) {
	size_t field;
	uint32_t error;
};

#define BAD_FIELD(f)	.field = offsetof(struct iuc_open_pipe, f)

FIXTURE_VARIANT_ADD(bad_arg, mode) { BAD_FIELD(mode), .error = IUC_E_OPEN_BAD_MODE };
FIXTURE_VARIANT_ADD(bad_arg, notify) { BAD_FIELD(notify), .error = IUC_E_OPEN_BAD_NOTIFY };
FIXTURE_VARIANT_ADD(bad_arg, type) { BAD_FIELD(type), .error = IUC_E_INVALID_ARG };

FIXTURE_SETUP(bad_arg)
{
	scene_start(_metadata, &self->s);
}

FIXTURE_TEARDOWN(bad_arg)
{
	scene_stop(_metadata, &self->s);
}

/*
 * A bad mode (0x10), notification (0x11) or type (0x02) fails with EINVAL
 * and opens nothing: no identifier stays, no record is sent, and the
 * target's first record is that of the valid call that follows.
 */
TEST_F(bad_arg, einval_opens_nothing)
{
	static const uint8_t bad[] = { 2, 3, 0x7F, 0x80, 0xFF };
	struct iuc_open_pipe op;
	struct iuc_signal s;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		op = iuc_pipe_args(self->s.tgt.pid, 1);
		((uint8_t *)&op)[variant->field] = bad[i];
		EXPECT_EQ(-EINVAL, iuc_open_pipe(self->s.fd, &op)) TH_LOG("value %u", bad[i]);
		EXPECT_EQ(variant->error, op.error);
		if (op.id) {
			EXPECT_EQ(-EBADF, iuc_pipe_status(self->s.fd, op.id));
		}
	}
	EXPECT_EQ(0, peer_sig_pending(&self->s.tgt));

	op = iuc_pipe_args(self->s.tgt.pid, 0x5A5A);
	op.type = IUC_PIPE_TYPE_CALLER_RECEIVES;
	op.mode = IUC_PIPE_MODE_MESSAGE;
	ASSERT_EQ(0, iuc_open_pipe(self->s.fd, &op));
	EXPECT_EQ(IUC_E_NONE, op.error);
	ASSERT_EQ(0, peer_read_sig(&self->s.tgt, &s, TIMEOUT_MS));
	EXPECT_EQ(IUC_SIG_RECV_PIPE, s.code);
	EXPECT_EQ(0x5A5A, s.data.recv_pipe.command);
	EXPECT_EQ(op.peer_id, s.data.recv_pipe.id);
}

TEST_HARNESS_MAIN
