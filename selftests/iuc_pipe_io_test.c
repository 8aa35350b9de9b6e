// SPDX-License-Identifier: GPL-2.0
/*
 * IUC selftests: PIPE_WRITE, PIPE_READ and PIPE_INFO.
 *
 * Raw pipes in the three modes with their documented results, zero-byte
 * writes, PIPE_INFO's fields and status bits (FULL, WRITE_PENDING,
 * READ_PENDING...), message pipes (whole messages, their errors, boundaries
 * under concurrent writers), interrupted calls, bad buffers, and 64 MiB
 * streams through a 64 KiB pipe for each write mode / read mode pairing.
 * (LOCKED and IUC_TRY_LOCKED: iuc_pipe_race_test.)
 *
 * The test process holds one end, a target peer (lib/peer.h) the other.
 * Data is a pattern that depends on the stream offset, so every byte read
 * is checked where it lands.  "Blocked" is seen through PIPE_INFO.
 */
#include "kselftest_harness.h"
#include "iuc_test.h"

/*
 * A pipe of @mode with capacity @mult from the test to @p, no
 * notification: @type IUC_PIPE_TYPE_CALLER_SENDS (the test holds the SC)
 * or IUC_PIPE_TYPE_CALLER_RECEIVES (the RC).
 */
static int open_to(int fd, const struct peer *p, uint8_t type, uint8_t mult,
		   uint8_t mode, struct iuc_open_pipe *op)
{
	*op = iuc_pipe_args(p->pid, 0x10);
	op->type = type;
	op->multiplier = mult;
	op->mode = mode;
	op->notify = IUC_NOTIFY_SKIP;
	return iuc_open_pipe(fd, op);
}

/* @buf with @len bytes of pattern @seed from offset 0. */
static char *pattern(char *buf, size_t len, uint64_t seed)
{
	pat_fill(buf, len, seed, 0);
	return buf;
}

/* The context of the test process (pipe records, READY) and a ready target peer. */
static void target_setup(struct __test_metadata *_metadata, int *fd,
			 struct peer *p)
{
	*fd = iuc_pipe_ctx();
	ASSERT_LE(0, *fd);
	ASSERT_EQ(0, peer_start_target(p));
}

/* An idle target exits 0 once its command pipe ends; a busy one is killed. */
static void target_teardown(struct __test_metadata *_metadata, int fd,
			    struct peer *p)
{
	if (p->pending)
		peer_kill(p);
	else
		EXPECT_EQ(0, peer_stop(p));
	close(fd);
}

/*
 * Start a blocking write (@write) or read of @count bytes at @buf on @id
 * in a thread and wait until it waits: PIPE_INFO shows its PENDING bit.
 */
static void start_waiting(struct __test_metadata *_metadata, int fd,
			  struct async_io *io, uint64_t id, bool write,
			  void *buf, uint64_t count)
{
	uint8_t bit = write ? IUC_PIPE_WRITE_PENDING : IUC_PIPE_READ_PENDING;

	ASSERT_EQ(0, async_io_start(io, fd, id, write, buf, count, IUC_IO_BLOCK));
	ASSERT_TRUE(iuc_pipe_wait_status(fd, id, bit, bit));
	ASSERT_FALSE(async_call_done(&io->as));
}

/* Join the call of @io; its return value. */
static int join_io(struct __test_metadata *_metadata, struct async_io *io)
{
	ASSERT_EQ(0, async_call_join(&io->as));
	return io->as.ret;
}

/* The bad buffers' unmapped page (map_hole()): good pages before and after it. */
#define HOLE_PAGE	16
#define HOLE_AFTER	3

/*
 * The test process, a ready target peer and four pipes of 64 KiB between
 * them: raw (multiplier 1) and message (the default, multiplier 0), "out"
 * where the test holds the SC (it writes, the target reads) and "in"
 * where it holds the RC (the target writes, it reads); a buffer of
 * 4 capacities for the test's side of the data, and an unmapped page
 * after a capacity of good memory, for the bad buffers.
 */
FIXTURE(pipe) {
	int fd;
	struct peer peer;
	struct iuc_open_pipe raw_out, raw_in, msg_out, msg_in;
	uint64_t cap;
	char *buf;
	char *hole;
};

FIXTURE_SETUP(pipe)
{
	target_setup(_metadata, &self->fd, &self->peer);
	self->cap = iuc_pipe_cap(1);
	self->buf = malloc(4 * self->cap);
	ASSERT_NE(NULL, self->buf);
	self->hole = map_hole(HOLE_PAGE, HOLE_AFTER);
	ASSERT_NE(NULL, self->hole);
	ASSERT_LE(self->cap, (uint64_t)HOLE_PAGE * sysconf(_SC_PAGESIZE));
	ASSERT_EQ(0, open_to(self->fd, &self->peer, IUC_PIPE_TYPE_CALLER_SENDS, 1,
			     IUC_PIPE_MODE_RAW, &self->raw_out));
	ASSERT_EQ(0, open_to(self->fd, &self->peer, IUC_PIPE_TYPE_CALLER_RECEIVES, 1,
			     IUC_PIPE_MODE_RAW, &self->raw_in));
	ASSERT_EQ(0, open_to(self->fd, &self->peer, IUC_PIPE_TYPE_CALLER_SENDS, 0,
			     IUC_PIPE_MODE_MESSAGE, &self->msg_out));
	ASSERT_EQ(0, open_to(self->fd, &self->peer, IUC_PIPE_TYPE_CALLER_RECEIVES, 0,
			     IUC_PIPE_MODE_MESSAGE, &self->msg_in));
}

FIXTURE_TEARDOWN(pipe)
{
	target_teardown(_metadata, self->fd, &self->peer);
	free(self->buf);
	unmap_hole(self->hole, HOLE_PAGE, HOLE_AFTER);
}

/* ---- raw pipes: the three modes ---------------------------------------- */

/*
 * PIPE_WRITE: IUC_IO_BLOCK's result is the room left; IUC_IO_TRY writes
 * all or fails with EAGAIN 0x30 and result NOT_ENOUGH, writing nothing;
 * IUC_IO_PARTIAL writes what fits and its result is that count (0 on a
 * full pipe).  A bad mode is EINVAL 0x10.  The reader gets one continuous
 * stream: nothing lost, nothing twice.
 */
TEST_F(pipe, write_block_answers_room_try_all_or_nothing_partial_what_fits)
{
	const uint64_t cap = self->cap, id = self->raw_out.id;
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	uint64_t off = 0, room, bad;
	char *buf = pattern(self->buf, 2 * cap, 7);
	int fd = self->fd;

	EXPECT_EQ(0, iuc_pipe_write(fd, id, buf + off, 1000, IUC_IO_BLOCK, &w));
	EXPECT_EQ(IUC_E_NONE, w.error);
	EXPECT_EQ(1000, w.transferred);
	EXPECT_EQ(cap - 1000, w.result);
	off += 1000;

	EXPECT_EQ(0, iuc_pipe_write(fd, id, buf + off, 2000, IUC_IO_TRY, &w));
	EXPECT_EQ(IUC_E_NONE, w.error);
	EXPECT_EQ(2000, w.transferred);
	off += 2000;
	room = cap - off;
	EXPECT_EQ(room, iuc_pipe_room(fd, id));

	/* One byte more than the room: nothing is written. */
	EXPECT_EQ(-EAGAIN, iuc_pipe_write(fd, id, buf + off, room + 1, IUC_IO_TRY, &w));
	EXPECT_EQ(IUC_E_WRITE_NO_ROOM, w.error);
	EXPECT_EQ(IUC_TRY_NOT_ENOUGH, w.result);
	EXPECT_EQ(0, w.transferred);
	EXPECT_EQ(room, iuc_pipe_room(fd, id));

	/* Exactly the room. */
	EXPECT_EQ(0, iuc_pipe_write(fd, id, buf + off, room, IUC_IO_TRY, &w));
	EXPECT_EQ(room, w.transferred);
	off += room;
	EXPECT_EQ(0, iuc_pipe_room(fd, id));

	/* Partial on a full pipe: success, nothing written. */
	EXPECT_EQ(0, iuc_pipe_write(fd, id, buf + off, 500, IUC_IO_PARTIAL, &w));
	EXPECT_EQ(IUC_E_NONE, w.error);
	EXPECT_EQ(0, w.result);
	EXPECT_EQ(0, w.transferred);

	/* Bad modes, even on a full pipe: EINVAL at once. */
	for (int mode = 3; mode < 256; mode += 84) {
		EXPECT_EQ(-EINVAL, iuc_pipe_write(fd, id, buf, 10, (uint8_t)mode, &w));
		EXPECT_EQ(IUC_E_WRITE_BAD_MODE, w.error) TH_LOG("mode %d", mode);
	}

	/* Room for 3000: a partial write of 5000 writes 3000. */
	ASSERT_EQ(0, peer_read(&self->peer, self->raw_out.peer_id, 3000, IUC_IO_BLOCK,
			       7, 0, 0, &r, &bad));
	EXPECT_EQ(PAT_NO_BAD, bad);
	EXPECT_EQ(0, iuc_pipe_write(fd, id, buf + off, 5000, IUC_IO_PARTIAL, &w));
	EXPECT_EQ(IUC_E_NONE, w.error);
	EXPECT_EQ(3000, w.result);
	EXPECT_EQ(3000, w.transferred);
	off += 3000;
	EXPECT_EQ(0, iuc_pipe_room(fd, id));

	/* The reader gets bytes 3000 .. off, in order. */
	ASSERT_EQ(0, peer_read(&self->peer, self->raw_out.peer_id, (uint32_t)(off - 3000),
			       IUC_IO_BLOCK, 7, 3000, 0, &r, &bad));
	EXPECT_EQ(off - 3000, r.transferred);
	EXPECT_EQ(0, r.result);
	EXPECT_EQ(PAT_NO_BAD, bad);
	EXPECT_EQ(cap, iuc_pipe_room(fd, id));
}

/*
 * PIPE_READ: IUC_IO_BLOCK's result is what is still pending; IUC_IO_TRY
 * reads all or fails with EAGAIN 0x22 and result NOT_ENOUGH, and its
 * success result is the count read; IUC_IO_PARTIAL's result is the count
 * read (0 on an empty pipe).  Count 0 means as much as is pending.  A bad
 * mode is EINVAL 0x10.  A blocking read waits for its whole count.
 */
TEST_F(pipe, read_block_answers_pending_try_all_or_nothing_partial_what_is_there)
{
	static const struct {
		uint8_t mode;
		uint32_t count;
		uint64_t moved, result;
	} reads[] = {
		{ IUC_IO_BLOCK, 400, 400, 600 },	/* result: what is still pending */
		{ IUC_IO_TRY, 100, 100, 100 },		/* result: the count read */
		{ IUC_IO_PARTIAL, 1000, 500, 500 },	/* what there is */
	};
	const uint64_t cap = self->cap, id = self->raw_in.id, pid = self->raw_in.peer_id;
	struct iuc_pipe_read r;
	struct iuc_pipe_write w;
	struct async_io io;
	char *buf = self->buf;
	uint64_t off = 0;
	int fd = self->fd;

	ASSERT_EQ(0, peer_write(&self->peer, pid, 1000, IUC_IO_BLOCK, 8, 0, &w));
	EXPECT_EQ(-EAGAIN, iuc_pipe_read(fd, id, buf, 1001, IUC_IO_TRY, &r));
	EXPECT_EQ(IUC_E_READ_NO_DATA, r.error);
	EXPECT_EQ(IUC_TRY_NOT_ENOUGH, r.result);
	EXPECT_EQ(0, r.transferred);
	EXPECT_EQ(cap - 1000, iuc_pipe_room(fd, id));

	for (size_t i = 0; i < ARRAY_SIZE(reads); i++) {
		EXPECT_EQ(0, iuc_pipe_read(fd, id, buf, reads[i].count, reads[i].mode, &r))
			TH_LOG("mode %u", reads[i].mode);
		EXPECT_EQ(IUC_E_NONE, r.error);
		EXPECT_EQ(reads[i].moved, r.transferred);
		EXPECT_EQ(reads[i].result, r.result);
		EXPECT_EQ(PAT_NO_BAD, pat_check(buf, reads[i].moved, 8, off));
		off += reads[i].moved;
	}
	EXPECT_EQ(cap, iuc_pipe_room(fd, id));

	/* Empty. */
	EXPECT_EQ(0, iuc_pipe_read(fd, id, buf, 1000, IUC_IO_PARTIAL, &r));
	EXPECT_EQ(0, r.result);
	EXPECT_EQ(0, r.transferred);
	EXPECT_EQ(-EAGAIN, iuc_pipe_read(fd, id, buf, 0, IUC_IO_TRY, &r));
	EXPECT_EQ(IUC_E_READ_NO_DATA, r.error);
	EXPECT_EQ(IUC_TRY_NOT_ENOUGH, r.result);
	EXPECT_EQ(-EAGAIN, iuc_pipe_read(fd, id, buf, 1, IUC_IO_TRY, &r));
	EXPECT_EQ(IUC_TRY_NOT_ENOUGH, r.result);

	/* Count 0: whatever is pending, in each mode; BLOCK's result is 0 left. */
	for (uint8_t mode = 0; mode <= 2; mode++) {
		uint64_t n = 300 + mode;

		ASSERT_EQ(0, peer_write(&self->peer, pid, n, IUC_IO_BLOCK, 8, off, &w));
		EXPECT_EQ(0, iuc_pipe_read(fd, id, buf, 0, mode, &r)) TH_LOG("mode %u", mode);
		EXPECT_EQ(n, r.transferred);
		EXPECT_EQ(mode == IUC_IO_BLOCK ? 0 : n, r.result);
		EXPECT_EQ(PAT_NO_BAD, pat_check(buf, n, 8, off));
		off += n;
	}

	for (int mode = 3; mode < 256; mode += 84) {
		EXPECT_EQ(-EINVAL, iuc_pipe_read(fd, id, buf, 10, (uint8_t)mode, &r));
		EXPECT_EQ(IUC_E_READ_BAD_MODE, r.error) TH_LOG("mode %d", mode);
	}

	/* IUC_IO_BLOCK waits for the whole count, taking what comes. */
	ASSERT_EQ(0, peer_write(&self->peer, pid, 200, IUC_IO_BLOCK, 8, off, &w));
	start_waiting(_metadata, fd, &io, id, false, buf, 500);
	ASSERT_EQ(0, peer_write(&self->peer, pid, 300, IUC_IO_BLOCK, 8, off + 200, &w));
	EXPECT_EQ(0, join_io(_metadata, &io));
	EXPECT_EQ(IUC_E_NONE, io.u.r.error);
	EXPECT_EQ(500, io.u.r.transferred);
	EXPECT_EQ(0, io.u.r.result);
	EXPECT_EQ(PAT_NO_BAD, pat_check(buf, 500, 8, off));
	EXPECT_EQ(0, iuc_pipe_status(fd, id) & IUC_PIPE_READ_PENDING);
}

/*
 * A zero-byte write succeeds at once in every mode, on an empty and on a
 * full pipe (raw and message), and adds nothing.
 */
TEST_F(pipe, zero_byte_write_succeeds_at_once_empty_or_full)
{
	const uint64_t cap = self->cap, id = self->raw_out.id, mid = self->msg_out.id;
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	char *buf = pattern(self->buf, cap, 3);
	uint64_t bad;
	int fd = self->fd;

	for (int full = 0; full <= 1; full++) {
		for (int mode = 0; mode <= 2; mode++) {
			EXPECT_EQ(0, iuc_pipe_write(fd, id, NULL, 0, (uint8_t)mode, &w))
				TH_LOG("full %d mode %d", full, mode);
			EXPECT_EQ(IUC_E_NONE, w.error);
			EXPECT_EQ(0, w.transferred);
			if (mode == IUC_IO_BLOCK) {
				EXPECT_EQ(full ? 0 : cap, w.result);
			}
			if (mode == IUC_IO_PARTIAL) {
				EXPECT_EQ(0, w.result);
			}
			if (mode == IUC_IO_PARTIAL)
				continue;	/* no partial mode on message pipes */
			EXPECT_EQ(0, iuc_pipe_write(fd, mid, NULL, 0, (uint8_t)mode, &w))
				TH_LOG("message pipe, full %d mode %d", full, mode);
			EXPECT_EQ(IUC_E_NONE, w.error);
			EXPECT_EQ(0, w.transferred);
		}
		if (!full) {
			ASSERT_EQ(0, iuc_pipe_write(fd, id, buf, cap, IUC_IO_BLOCK, &w));
			ASSERT_EQ(0, iuc_pipe_write(fd, mid, buf, cap, IUC_IO_BLOCK, &w));
			ASSERT_EQ(IUC_PIPE_FULL, iuc_pipe_status(fd, id) & IUC_PIPE_FULL);
			ASSERT_EQ(IUC_PIPE_FULL, iuc_pipe_status(fd, mid) & IUC_PIPE_FULL);
		}
	}
	/* Exactly what was written with a count arrives. */
	EXPECT_EQ(0, peer_read(&self->peer, self->raw_out.peer_id, 0, IUC_IO_PARTIAL,
			       3, 0, cap, &r, &bad));
	EXPECT_EQ(cap, r.transferred);
	EXPECT_EQ(PAT_NO_BAD, bad);
	EXPECT_EQ(0, peer_read(&self->peer, self->msg_out.peer_id, 0, IUC_IO_BLOCK,
			       3, 0, cap, &r, &bad));
	EXPECT_EQ(cap, r.result);
	EXPECT_EQ(PAT_NO_BAD, bad);
}

/* ---- PIPE_INFO ----------------------------------------------------------- */

/*
 * PIPE_INFO on both ends: status bits OPENED, MESSAGE, FULL and IS_SC,
 * capacity, room and creator pid; after a close OPENED is gone; an
 * unknown identifier is EBADF 0x20.
 */
TEST_F(pipe, info_reports_status_capacity_room_and_creator_of_both_ends)
{
	const uint64_t cap = iuc_pipe_cap(2);
	struct iuc_open_pipe op, mp;
	struct iuc_pipe_info in;
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	char *buf = pattern(self->buf, cap, 4);
	int fd = self->fd;

	/* A pipe of 2 units the test creates. */
	ASSERT_EQ(0, open_to(fd, &self->peer, IUC_PIPE_TYPE_CALLER_SENDS, 2,
			     IUC_PIPE_MODE_RAW, &op));
	ASSERT_EQ(0, iuc_pipe_info(fd, op.id, &in));
	EXPECT_EQ(IUC_E_NONE, in.error);
	EXPECT_EQ(IUC_PIPE_OPENED | IUC_PIPE_IS_SC, in.status);
	EXPECT_EQ(cap, in.capacity);
	EXPECT_EQ(cap, in.room);
	EXPECT_EQ((uint64_t)getpid(), in.creator_pid);
	ASSERT_EQ(0, peer_info(&self->peer, op.peer_id, &in));
	EXPECT_EQ(IUC_E_NONE, in.error);
	EXPECT_EQ(IUC_PIPE_OPENED, in.status);
	EXPECT_EQ(cap, in.capacity);
	EXPECT_EQ(cap, in.room);
	EXPECT_EQ((uint64_t)getpid(), in.creator_pid);

	ASSERT_EQ(0, iuc_pipe_write(fd, op.id, buf, 1000, IUC_IO_BLOCK, &w));
	EXPECT_EQ(cap - 1000, iuc_pipe_room(fd, op.id));
	ASSERT_EQ(0, peer_info(&self->peer, op.peer_id, &in));
	EXPECT_EQ(cap - 1000, in.room);
	EXPECT_EQ(IUC_PIPE_OPENED, in.status);

	ASSERT_EQ(0, iuc_pipe_write(fd, op.id, buf + 1000, cap - 1000, IUC_IO_BLOCK, &w));
	ASSERT_EQ(0, iuc_pipe_info(fd, op.id, &in));
	EXPECT_EQ(IUC_PIPE_OPENED | IUC_PIPE_IS_SC | IUC_PIPE_FULL, in.status);
	EXPECT_EQ(0, in.room);
	ASSERT_EQ(0, peer_info(&self->peer, op.peer_id, &in));
	EXPECT_EQ(IUC_PIPE_OPENED | IUC_PIPE_FULL, in.status);
	EXPECT_EQ(0, in.room);
	ASSERT_EQ(0, peer_read(&self->peer, op.peer_id, 1, IUC_IO_BLOCK, 4, 0, 0, &r, NULL));
	ASSERT_EQ(0, iuc_pipe_info(fd, op.id, &in));
	EXPECT_EQ(IUC_PIPE_OPENED | IUC_PIPE_IS_SC, in.status);
	EXPECT_EQ(1, in.room);

	/* A message pipe the target creates: its pid is the creator's. */
	mp = iuc_pipe_args(getpid(), 0x11);
	mp.mode = IUC_PIPE_MODE_MESSAGE;
	mp.notify = IUC_NOTIFY_SKIP;
	ASSERT_EQ(0, peer_open_pipe(&self->peer, &mp));
	ASSERT_EQ(0, iuc_pipe_info(fd, mp.peer_id, &in));
	EXPECT_EQ(IUC_PIPE_OPENED | IUC_PIPE_MESSAGE, in.status);
	EXPECT_EQ(iuc_pipe_cap(0), in.capacity);
	EXPECT_EQ((uint64_t)self->peer.pid, in.creator_pid);
	ASSERT_EQ(0, peer_info(&self->peer, mp.id, &in));
	EXPECT_EQ(IUC_PIPE_OPENED | IUC_PIPE_MESSAGE | IUC_PIPE_IS_SC, in.status);
	EXPECT_EQ((uint64_t)self->peer.pid, in.creator_pid);

	/* Closed by the target: OPENED is gone on our side, the rest stays. */
	ASSERT_EQ(0, peer_close_pipe(&self->peer, mp.id, NULL));
	ASSERT_EQ(0, iuc_pipe_info(fd, mp.peer_id, &in));
	EXPECT_EQ(IUC_PIPE_MESSAGE, in.status);
	EXPECT_EQ(iuc_pipe_cap(0), in.room);
	EXPECT_EQ(-EBADF, peer_info(&self->peer, mp.id, &in));
	EXPECT_EQ(IUC_E_INFO_UNKNOWN_ID, in.error);
	ASSERT_EQ(0, iuc_close_pipe(fd, op.id, NULL));
	ASSERT_EQ(0, peer_info(&self->peer, op.peer_id, &in));
	EXPECT_EQ(0, in.status);
	EXPECT_EQ(1, in.room);
	EXPECT_EQ(cap, in.capacity);

	EXPECT_EQ(-EBADF, iuc_pipe_info(fd, op.id, &in));
	EXPECT_EQ(IUC_E_INFO_UNKNOWN_ID, in.error);
	EXPECT_EQ(-EBADF, iuc_pipe_info(fd, 0, &in));
	EXPECT_EQ(IUC_E_INFO_UNKNOWN_ID, in.error);
	EXPECT_EQ(-EBADF, iuc_pipe_info(fd, ~0ull, &in));
	EXPECT_EQ(IUC_E_INFO_UNKNOWN_ID, in.error);
}

/*
 * WRITE_PENDING while a writer waits for room in a full pipe; the reader
 * makes room and the writer ends, its result the room left.
 */
TEST_F(pipe, info_shows_write_pending_while_a_writer_waits_for_room)
{
	const uint64_t cap = self->cap, id = self->raw_in.id;
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	struct peer_reply rep;
	struct peer_msg m;
	char *buf = self->buf;
	int fd = self->fd;

	ASSERT_EQ(0, peer_write(&self->peer, self->raw_in.peer_id, cap, IUC_IO_BLOCK,
				6, 0, &w));
	EXPECT_EQ(0, iuc_pipe_status(fd, id) & IUC_PIPE_WRITE_PENDING);

	m = peer_msg_write(self->raw_in.peer_id, 100, IUC_IO_BLOCK, 6, cap);
	ASSERT_EQ(0, peer_send(&self->peer, &m));
	EXPECT_TRUE(iuc_pipe_wait_status(fd, id, IUC_PIPE_WRITE_PENDING,
					 IUC_PIPE_WRITE_PENDING));
	EXPECT_EQ(IUC_PIPE_FULL, iuc_pipe_status(fd, id) &
		  (IUC_PIPE_FULL | IUC_PIPE_READ_PENDING));

	EXPECT_EQ(0, iuc_pipe_read(fd, id, buf, 50, IUC_IO_BLOCK, &r));
	EXPECT_EQ(PAT_NO_BAD, pat_check(buf, 50, 6, 0));
	EXPECT_EQ(0, iuc_pipe_read(fd, id, buf, 200, IUC_IO_BLOCK, &r));
	EXPECT_EQ(PAT_NO_BAD, pat_check(buf, 200, 6, 50));
	ASSERT_EQ(0, peer_wait(&self->peer, &rep, TIMEOUT_MS));
	EXPECT_EQ(IUC_E_NONE, rep.u.w.error);
	EXPECT_EQ(100, rep.u.w.transferred);
	EXPECT_EQ(150, rep.u.w.result);
	EXPECT_EQ(0, iuc_pipe_status(fd, id) & IUC_PIPE_WRITE_PENDING);

	EXPECT_EQ(0, iuc_pipe_read(fd, id, buf, 0, IUC_IO_BLOCK, &r));
	EXPECT_EQ(cap + 100 - 250, r.transferred);
	EXPECT_EQ(PAT_NO_BAD, pat_check(buf, r.transferred, 6, 250));
}

/* READ_PENDING while a reader waits for data in an empty pipe. */
TEST_F(pipe, info_shows_read_pending_while_a_reader_waits_for_data)
{
	const uint64_t id = self->raw_out.id;
	struct iuc_pipe_write w;
	struct peer_reply rep;
	struct peer_msg m;
	char buf[300];
	int fd = self->fd;

	EXPECT_EQ(0, iuc_pipe_status(fd, id) & IUC_PIPE_READ_PENDING);
	m = peer_msg_read(self->raw_out.peer_id, 300, IUC_IO_BLOCK, 2, 0, 0);
	ASSERT_EQ(0, peer_send(&self->peer, &m));
	EXPECT_TRUE(iuc_pipe_wait_status(fd, id, IUC_PIPE_READ_PENDING,
					 IUC_PIPE_READ_PENDING));
	EXPECT_EQ(0, iuc_pipe_status(fd, id) & (IUC_PIPE_WRITE_PENDING | IUC_PIPE_FULL));

	pat_fill(buf, sizeof(buf), 2, 0);
	EXPECT_EQ(0, iuc_pipe_write(fd, id, buf, 100, IUC_IO_BLOCK, &w));
	EXPECT_EQ(0, iuc_pipe_write(fd, id, buf + 100, 200, IUC_IO_BLOCK, &w));
	ASSERT_EQ(0, peer_wait(&self->peer, &rep, TIMEOUT_MS));
	EXPECT_EQ(300, rep.u.r.transferred);
	EXPECT_EQ(0, rep.u.r.result);
	EXPECT_EQ(PAT_NO_BAD, rep.v[0]);
	EXPECT_EQ(0, iuc_pipe_status(fd, id) & IUC_PIPE_READ_PENDING);
}

/* ---- message pipes --------------------------------------------------------- */

/*
 * Each write is one message; each read returns one whole message (also
 * with count 0), its length as result, in every blocking/try mode.
 */
TEST_F(pipe, message_write_is_one_message_and_read_returns_it_whole)
{
	static const uint32_t lens[] = { 1, 7, 1000, 4096, 30000, 10000 };
	const uint64_t cap = self->cap, id = self->msg_out.id;
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	uint64_t off = 0, bad;
	char *buf = pattern(self->buf, cap, 5);
	int fd = self->fd;

	for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
		uint8_t mode = i % 2 ? IUC_IO_TRY : IUC_IO_BLOCK;

		EXPECT_EQ(0, iuc_pipe_write(fd, id, buf + off, lens[i], mode, &w));
		EXPECT_EQ(IUC_E_NONE, w.error);
		EXPECT_EQ(lens[i], w.transferred);
		off += lens[i];
		if (mode == IUC_IO_BLOCK) {
			EXPECT_EQ(cap - off, w.result);
		}
	}
	EXPECT_EQ(cap - off, iuc_pipe_room(fd, id));

	off = 0;
	for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
		uint8_t mode = i % 3 == 1 ? IUC_IO_TRY : IUC_IO_BLOCK;
		uint32_t count = i % 3 == 2 ? 0 : IUC_MESSAGE_MAX;

		EXPECT_EQ(0, peer_read(&self->peer, self->msg_out.peer_id, count, mode,
				       5, off, cap, &r, &bad)) TH_LOG("message %zu", i);
		EXPECT_EQ(IUC_E_NONE, r.error);
		EXPECT_EQ(lens[i], r.result);
		EXPECT_EQ(lens[i], r.transferred);
		EXPECT_EQ(PAT_NO_BAD, bad);
		off += lens[i];
	}
	EXPECT_EQ(-EAGAIN, peer_read(&self->peer, self->msg_out.peer_id, IUC_MESSAGE_MAX,
				     IUC_IO_TRY, 5, 0, 0, &r, NULL));
	EXPECT_EQ(IUC_E_READ_NO_DATA, r.error);
	EXPECT_EQ(IUC_TRY_NOT_ENOUGH, r.result);
	EXPECT_EQ(cap, iuc_pipe_room(fd, id));
}

/*
 * A message longer than 64 KiB is EMSGSIZE 0x22, even in a bigger pipe;
 * partial mode is EINVAL 0x23 for writes and reads.  Nothing is written
 * and nothing is taken.
 */
TEST_F(pipe, message_over_64k_is_emsgsize_and_partial_mode_einval)
{
	const uint64_t cap = iuc_pipe_cap(4);
	struct iuc_open_pipe op;
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	char *buf = pattern(self->buf, cap, 6);
	uint64_t bad;
	int fd = self->fd;

	ASSERT_EQ(0, open_to(fd, &self->peer, IUC_PIPE_TYPE_CALLER_SENDS, 4,
			     IUC_PIPE_MODE_MESSAGE, &op));
	for (int mode = 0; mode <= 1; mode++) {
		EXPECT_EQ(-EMSGSIZE, iuc_pipe_write(fd, op.id, buf, IUC_MESSAGE_MAX + 1,
						    (uint8_t)mode, &w));
		EXPECT_EQ(IUC_E_WRITE_MESSAGE_TOO_LONG, w.error);
		EXPECT_EQ(0, w.transferred);
		EXPECT_EQ(-EMSGSIZE, iuc_pipe_write(fd, op.id, buf, cap, (uint8_t)mode, &w));
		EXPECT_EQ(IUC_E_WRITE_MESSAGE_TOO_LONG, w.error);
	}
	EXPECT_EQ(-EINVAL, iuc_pipe_write(fd, op.id, buf, 10, IUC_IO_PARTIAL, &w));
	EXPECT_EQ(IUC_E_WRITE_MESSAGE_PARTIAL, w.error);
	EXPECT_EQ(0, w.transferred);
	EXPECT_EQ(cap, iuc_pipe_room(fd, op.id));

	/* The largest message, then a read in partial mode. */
	EXPECT_EQ(0, iuc_pipe_write(fd, op.id, buf, IUC_MESSAGE_MAX, IUC_IO_BLOCK, &w));
	EXPECT_EQ(-EINVAL, peer_read(&self->peer, op.peer_id, IUC_MESSAGE_MAX,
				     IUC_IO_PARTIAL, 6, 0, 0, &r, NULL));
	EXPECT_EQ(IUC_E_READ_MESSAGE_PARTIAL, r.error);
	EXPECT_EQ(0, r.transferred);
	EXPECT_EQ(cap - IUC_MESSAGE_MAX, iuc_pipe_room(fd, op.id));
	EXPECT_EQ(0, peer_read(&self->peer, op.peer_id, IUC_MESSAGE_MAX, IUC_IO_BLOCK,
			       6, 0, 0, &r, &bad));
	EXPECT_EQ(IUC_MESSAGE_MAX, r.result);
	EXPECT_EQ(PAT_NO_BAD, bad);
}

/*
 * A buffer smaller than the next message: EMSGSIZE 0x24 with the message's
 * length as result, in blocking and try mode; the message stays and a big
 * enough buffer reads it whole, then the next one.
 */
TEST_F(pipe, message_read_into_a_smaller_buffer_is_emsgsize_and_keeps_it)
{
	const uint64_t id = self->msg_out.id, pid = self->msg_out.peer_id;
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	char *buf = pattern(self->buf, 1010, 9);
	uint64_t bad;
	int fd = self->fd;

	ASSERT_EQ(0, iuc_pipe_write(fd, id, buf, 1000, IUC_IO_BLOCK, &w));
	ASSERT_EQ(0, iuc_pipe_write(fd, id, buf + 1000, 10, IUC_IO_BLOCK, &w));

	EXPECT_EQ(-EMSGSIZE, peer_read(&self->peer, pid, 999, IUC_IO_BLOCK, 9, 0, 0, &r, NULL));
	EXPECT_EQ(IUC_E_READ_BUFFER_TOO_SMALL, r.error);
	EXPECT_EQ(1000, r.result);
	EXPECT_EQ(0, r.transferred);
	EXPECT_EQ(-EMSGSIZE, peer_read(&self->peer, pid, 1, IUC_IO_TRY, 9, 0, 0, &r, NULL));
	EXPECT_EQ(IUC_E_READ_BUFFER_TOO_SMALL, r.error);
	EXPECT_EQ(1000, r.result);
	EXPECT_EQ(self->cap - 1010, iuc_pipe_room(fd, id));

	EXPECT_EQ(0, peer_read(&self->peer, pid, 1000, IUC_IO_BLOCK, 9, 0, 0, &r, &bad));
	EXPECT_EQ(1000, r.result);
	EXPECT_EQ(1000, r.transferred);
	EXPECT_EQ(PAT_NO_BAD, bad);
	EXPECT_EQ(0, peer_read(&self->peer, pid, 10, IUC_IO_TRY, 9, 1000, 0, &r, &bad));
	EXPECT_EQ(10, r.result);
	EXPECT_EQ(PAT_NO_BAD, bad);
}

/*
 * A 64 KiB message fits an empty 64 KiB pipe and fills it.  Messages go
 * at once: a blocking 64 KiB write waits while one byte is pending, though
 * 64 KiB - 1 are free, and proceeds once that byte is read.
 */
TEST_F(pipe, message_of_64k_fills_an_empty_pipe_and_waits_for_all_its_room)
{
	const uint64_t cap = self->cap, id = self->msg_out.id, pid = self->msg_out.peer_id;
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	struct async_io io;
	char *buf = pattern(self->buf, cap, 10);
	uint64_t bad;
	int fd = self->fd;

	EXPECT_EQ(0, iuc_pipe_write(fd, id, buf, IUC_MESSAGE_MAX, IUC_IO_BLOCK, &w));
	EXPECT_EQ(0, w.result);
	EXPECT_EQ(IUC_MESSAGE_MAX, w.transferred);
	EXPECT_EQ(IUC_PIPE_FULL, iuc_pipe_status(fd, id) & IUC_PIPE_FULL);
	EXPECT_EQ(-EAGAIN, iuc_pipe_write(fd, id, buf, 1, IUC_IO_TRY, &w));
	EXPECT_EQ(IUC_E_WRITE_NO_ROOM, w.error);
	EXPECT_EQ(IUC_TRY_NOT_ENOUGH, w.result);
	EXPECT_EQ(0, peer_read(&self->peer, pid, IUC_MESSAGE_MAX, IUC_IO_BLOCK, 10, 0, 0,
			       &r, &bad));
	EXPECT_EQ(IUC_MESSAGE_MAX, r.result);
	EXPECT_EQ(PAT_NO_BAD, bad);
	EXPECT_EQ(cap, iuc_pipe_room(fd, id));

	ASSERT_EQ(0, iuc_pipe_write(fd, id, buf, 1, IUC_IO_BLOCK, &w));
	EXPECT_EQ(-EAGAIN, iuc_pipe_write(fd, id, buf, IUC_MESSAGE_MAX, IUC_IO_TRY, &w));
	EXPECT_EQ(IUC_TRY_NOT_ENOUGH, w.result);
	start_waiting(_metadata, fd, &io, id, true, buf, IUC_MESSAGE_MAX);
	EXPECT_EQ(cap - 1, iuc_pipe_room(fd, id));
	EXPECT_EQ(0, peer_read(&self->peer, pid, IUC_MESSAGE_MAX, IUC_IO_BLOCK, 10, 0, 0,
			       &r, &bad));
	EXPECT_EQ(1, r.result);
	EXPECT_EQ(0, join_io(_metadata, &io));
	EXPECT_EQ(IUC_MESSAGE_MAX, io.u.w.transferred);
	EXPECT_EQ(0, io.u.w.result);
	EXPECT_EQ(0, peer_read(&self->peer, pid, IUC_MESSAGE_MAX, IUC_IO_TRY, 10, 0, 0, &r, &bad));
	EXPECT_EQ(IUC_MESSAGE_MAX, r.result);
	EXPECT_EQ(PAT_NO_BAD, bad);
}

/*
 * Message lengths are kept in order across reads and writes that
 * interleave, also when the kernel's table of lengths grows while its
 * oldest entry is not at its start.
 */
TEST_F(pipe, message_lengths_stay_in_order_while_their_table_grows)
{
	static const struct { uint32_t write, read; } steps[] = {
		{ 10, 8 }, { 20, 22 }, { 40, 5 }, { 3, 38 }, { 100, 100 },
	};
	const uint64_t id = self->msg_out.id;
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	uint64_t woff = 0, roff = 0, bad;
	uint32_t wn = 0, rn = 0;
	char *buf = pattern(self->buf, 8192, 11);

	for (size_t s = 0; s < ARRAY_SIZE(steps); s++) {
		for (uint32_t i = 0; i < steps[s].write; i++, wn++) {
			uint32_t len = 1 + (wn * 37) % 300;

			ASSERT_EQ(0, iuc_pipe_write(self->fd, id, buf, len, IUC_IO_BLOCK, &w));
			woff += len;
		}
		for (uint32_t i = 0; i < steps[s].read; i++, rn++) {
			uint32_t len = 1 + (rn * 37) % 300;

			ASSERT_EQ(0, peer_read(&self->peer, self->msg_out.peer_id, 300,
					       IUC_IO_TRY, 11, 0, 0, &r, &bad))
				TH_LOG("message %u", rn);
			EXPECT_EQ(len, r.result) TH_LOG("message %u", rn);
			EXPECT_EQ(PAT_NO_BAD, bad);
			roff += len;
		}
	}
	EXPECT_EQ(woff, roff);
	EXPECT_EQ(self->cap, iuc_pipe_room(self->fd, id));
}

#define WRITERS		4
#define PER_WRITER	400

struct msg_writer {
	int fd;
	uint64_t id;
	unsigned int n;
	int ret;
	uint32_t error;
	uint32_t seq;
};

/* Write this writer's tagged messages; odd writers use IUC_IO_TRY. */
static void *msg_writer_main(void *arg)
{
	struct msg_writer *mw = arg;
	char *buf = malloc(IUC_MESSAGE_MAX);

	if (!buf) {
		mw->ret = -ENOMEM;
		return NULL;
	}
	for (mw->seq = 0; mw->seq < PER_WRITER; mw->seq++) {
		uint32_t len = msg_len(mw->n, WRITERS, mw->seq);
		struct iuc_pipe_write w;

		msg_fill(buf, mw->n, WRITERS, mw->seq);
		for (;;) {
			mw->ret = iuc_pipe_write(mw->fd, mw->id, buf, len,
						 mw->n % 2 ? IUC_IO_TRY : IUC_IO_BLOCK, &w);
			mw->error = w.error;
			if (mw->ret == -EAGAIN && w.error == IUC_E_WRITE_NO_ROOM) {
				sched_yield();
				continue;
			}
			break;
		}
		if (mw->ret)
			break;
		if (w.transferred != len) {
			mw->ret = -EPROTO;
			break;
		}
	}
	free(buf);
	return NULL;
}

/*
 * Several threads write tagged messages of lengths no other thread uses,
 * concurrently, through a 64 KiB pipe: the reader gets every message
 * whole, with the right length and payload, and each writer's messages
 * in order.
 */
TEST_F(pipe, concurrent_message_writers_keep_boundaries_and_order)
{
	struct msg_writer mw[WRITERS];
	pthread_t t[WRITERS];
	struct iuc_pipe_read r;
	struct peer_reply rep;
	struct peer_msg m;

	m = peer_msg_verify(self->msg_out.peer_id, WRITERS, PER_WRITER);
	ASSERT_EQ(0, peer_send(&self->peer, &m));
	for (unsigned int i = 0; i < WRITERS; i++) {
		mw[i] = (struct msg_writer){ .fd = self->fd, .id = self->msg_out.id, .n = i };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, msg_writer_main, &mw[i]));
	}
	for (unsigned int i = 0; i < WRITERS; i++) {
		ASSERT_EQ(0, thread_join(t[i], LONG_MS));
		EXPECT_EQ(0, mw[i].ret) TH_LOG("writer %u: message %u, error 0x%x",
					       i, mw[i].seq, mw[i].error);
	}
	memset(&rep, 0, sizeof(rep));
	ASSERT_EQ(0, peer_wait(&self->peer, &rep, LONG_MS)) TH_LOG("%s", rep.data);
	EXPECT_EQ(WRITERS * PER_WRITER, rep.v[0]);
	EXPECT_EQ(-EAGAIN, peer_read(&self->peer, self->msg_out.peer_id, IUC_MESSAGE_MAX,
				     IUC_IO_TRY, 0, 0, 0, &r, NULL));
}

/* ---- interrupted calls ---------------------------------------------------- */

/* Interrupt the waiting call of @io with SIGUSR1: its return value. */
static int interrupt_io(struct __test_metadata *_metadata, struct async_io *io)
{
	ASSERT_EQ(0, pthread_kill(io->as.thread, SIGUSR1));
	return join_io(_metadata, io);
}

/*
 * A blocked PIPE_READ interrupted by a signal whose handler has SA_RESTART
 * is not restarted: -1/EINTR, error 0x0F, @transferred the bytes it took.
 * Nothing else is lost: the next read continues the stream.
 */
TEST_F(pipe, interrupted_read_is_eintr_0x0f_and_keeps_what_it_took)
{
	const uint64_t id = self->raw_in.id, pid = self->raw_in.peer_id;
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	struct async_io io;
	char buf[1000];
	int fd = self->fd;

	ASSERT_EQ(0, usr1_install());
	ASSERT_EQ(0, peer_write(&self->peer, pid, 300, IUC_IO_BLOCK, 12, 0, &w));
	start_waiting(_metadata, fd, &io, id, false, buf, sizeof(buf));
	EXPECT_EQ(-EINTR, interrupt_io(_metadata, &io));
	EXPECT_EQ(IUC_E_INTERRUPTED, io.u.r.error);
	EXPECT_EQ(300, io.u.r.transferred);
	EXPECT_EQ(PAT_NO_BAD, pat_check(buf, 300, 12, 0));
	EXPECT_EQ(1, usr1_caught());
	EXPECT_EQ(self->cap, iuc_pipe_room(fd, id));

	ASSERT_EQ(0, peer_write(&self->peer, pid, 700, IUC_IO_BLOCK, 12, 300, &w));
	EXPECT_EQ(0, iuc_pipe_read(fd, id, buf, 700, IUC_IO_TRY, &r));
	EXPECT_EQ(PAT_NO_BAD, pat_check(buf, 700, 12, 300));
}

/*
 * The same for a PIPE_WRITE waiting for room: raw, @transferred is what it
 * wrote before it waited, and only that reaches the reader; a message
 * write writes nothing.
 */
TEST_F(pipe, interrupted_write_is_eintr_0x0f_and_keeps_what_it_wrote)
{
	const uint64_t cap = self->cap, id = self->raw_out.id, mid = self->msg_out.id;
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	struct async_io io;
	char *buf = pattern(self->buf, cap + 500, 13);
	uint64_t bad;
	int fd = self->fd;

	ASSERT_EQ(0, usr1_install());
	start_waiting(_metadata, fd, &io, id, true, buf, cap + 500);
	EXPECT_EQ(-EINTR, interrupt_io(_metadata, &io));
	EXPECT_EQ(IUC_E_INTERRUPTED, io.u.w.error);
	EXPECT_EQ(cap, io.u.w.transferred);
	EXPECT_EQ(1, usr1_caught());
	EXPECT_EQ(0, peer_read(&self->peer, self->raw_out.peer_id, 0, IUC_IO_PARTIAL, 13, 0, cap,
			       &r, &bad));
	EXPECT_EQ(cap, r.transferred);
	EXPECT_EQ(PAT_NO_BAD, bad);
	EXPECT_EQ(cap, iuc_pipe_room(fd, id));

	/* A message waiting for room. */
	ASSERT_EQ(0, iuc_pipe_write(fd, mid, buf, 100, IUC_IO_BLOCK, &w));
	start_waiting(_metadata, fd, &io, mid, true, buf, IUC_MESSAGE_MAX);
	EXPECT_EQ(-EINTR, interrupt_io(_metadata, &io));
	EXPECT_EQ(IUC_E_INTERRUPTED, io.u.w.error);
	EXPECT_EQ(0, io.u.w.transferred);
	EXPECT_EQ(0, peer_read(&self->peer, self->msg_out.peer_id, IUC_MESSAGE_MAX, IUC_IO_BLOCK,
			       13, 0, 0, &r, &bad));
	EXPECT_EQ(100, r.result);
	EXPECT_EQ(PAT_NO_BAD, bad);
	EXPECT_EQ(-EAGAIN, peer_read(&self->peer, self->msg_out.peer_id, IUC_MESSAGE_MAX,
				     IUC_IO_TRY, 13, 0, 0, &r, NULL));
}

/* ---- bad buffers ----------------------------------------------------------- */

/*
 * A write (@write) or read of @count bytes at @buf on @id in @mode that
 * must fail with EFAULT 0x03 and move nothing.
 */
static void expect_efault(struct __test_metadata *_metadata, int fd, uint64_t id,
			  bool write, char *buf, uint64_t count, uint8_t mode)
{
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	int ret = write ? iuc_pipe_write(fd, id, buf, count, mode, &w) :
			  iuc_pipe_read(fd, id, buf, (uint32_t)count, mode, &r);

	EXPECT_EQ(-EFAULT, ret) TH_LOG("%s of %llu bytes, mode %u", write ? "write" : "read",
				       (unsigned long long)count, mode);
	EXPECT_EQ(IUC_E_UNMAPPED, write ? w.error : r.error);
	EXPECT_EQ(0, write ? w.transferred : r.transferred);
}

/*
 * Writing from an unmapped buffer, or one that runs into unmapped memory,
 * is EFAULT 0x03 in every mode and adds nothing to the pipe.
 */
TEST_F(pipe, write_from_unmapped_memory_is_efault_0x03_and_adds_nothing)
{
	const uint64_t cap = self->cap, id = self->raw_out.id, mid = self->msg_out.id;
	char *hole = self->hole;
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	uint64_t bad;
	int fd = self->fd;

	for (uint8_t mode = 0; mode <= 2; mode++) {
		expect_efault(_metadata, fd, id, true, hole, 100, mode);
		expect_efault(_metadata, fd, id, true, hole - 2048, 4096, mode);
		EXPECT_EQ(cap, iuc_pipe_room(fd, id));
		if (mode == IUC_IO_PARTIAL)
			continue;	/* no partial mode on message pipes */
		expect_efault(_metadata, fd, mid, true, hole - 2048, 4096, mode);
		EXPECT_EQ(cap, iuc_pipe_room(fd, mid));
	}

	/* Only what is written from good memory arrives. */
	pat_fill(hole - 100, 100, 14, 0);
	EXPECT_EQ(0, iuc_pipe_write(fd, id, hole - 100, 100, IUC_IO_BLOCK, &w));
	EXPECT_EQ(0, peer_read(&self->peer, self->raw_out.peer_id, 0, IUC_IO_PARTIAL, 14, 0,
			       cap, &r, &bad));
	EXPECT_EQ(100, r.transferred);
	EXPECT_EQ(PAT_NO_BAD, bad);
	EXPECT_EQ(0, iuc_pipe_write(fd, mid, hole - 100, 100, IUC_IO_BLOCK, &w));
	EXPECT_EQ(0, peer_read(&self->peer, self->msg_out.peer_id, 0, IUC_IO_TRY, 14, 0, cap,
			       &r, &bad));
	EXPECT_EQ(100, r.result);
	EXPECT_EQ(PAT_NO_BAD, bad);
	EXPECT_EQ(-EAGAIN, peer_read(&self->peer, self->msg_out.peer_id, 0, IUC_IO_TRY, 14, 0,
				     cap, &r, NULL));
}

/*
 * Reading into an unmapped buffer, or one that runs into unmapped memory
 * (also where the pending data wraps around the end of the pipe's
 * buffer), is EFAULT 0x03 and takes nothing: the data is still pending
 * and a good buffer gets all of it.  The same for a message.
 */
TEST_F(pipe, read_into_unmapped_memory_is_efault_0x03_and_takes_nothing)
{
	const uint64_t cap = self->cap, id = self->raw_in.id, mid = self->msg_in.id;
	const uint64_t pending = cap - 1000;
	char *hole = self->hole, *buf = self->buf;
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	int fd = self->fd;

	ASSERT_EQ(0, peer_write(&self->peer, self->raw_in.peer_id, 4096, IUC_IO_BLOCK, 15, 0,
				&w));
	for (uint8_t mode = 0; mode <= 2; mode++) {
		expect_efault(_metadata, fd, id, false, hole, 100, mode);
		expect_efault(_metadata, fd, id, false, hole - 2048, 4096, mode);
		EXPECT_EQ(cap - 4096, iuc_pipe_room(fd, id));
	}
	EXPECT_EQ(0, iuc_pipe_read(fd, id, buf, 4096, IUC_IO_TRY, &r));
	EXPECT_EQ(PAT_NO_BAD, pat_check(buf, 4096, 15, 0));

	/*
	 * Pending data from offset 4096 of the pipe's buffer around its end:
	 * the first piece lands in good memory, the second in the hole.
	 */
	ASSERT_EQ(0, peer_write(&self->peer, self->raw_in.peer_id, pending, IUC_IO_BLOCK,
				15, 4096, &w));
	expect_efault(_metadata, fd, id, false, hole - (cap - 4096), pending, IUC_IO_BLOCK);
	EXPECT_EQ(cap - pending, iuc_pipe_room(fd, id));
	EXPECT_EQ(0, iuc_pipe_read(fd, id, buf, (uint32_t)pending, IUC_IO_BLOCK, &r));
	EXPECT_EQ(pending, r.transferred);
	EXPECT_EQ(PAT_NO_BAD, pat_check(buf, pending, 15, 4096));

	/* A message. */
	ASSERT_EQ(0, peer_write(&self->peer, self->msg_in.peer_id, 3000, IUC_IO_BLOCK, 16, 0,
				&w));
	expect_efault(_metadata, fd, mid, false, hole - 1000, 3000, IUC_IO_BLOCK);
	expect_efault(_metadata, fd, mid, false, hole, 0, IUC_IO_TRY);
	EXPECT_EQ(0, iuc_pipe_read(fd, mid, buf, 3000, IUC_IO_BLOCK, &r));
	EXPECT_EQ(3000, r.result);
	EXPECT_EQ(PAT_NO_BAD, pat_check(buf, 3000, 16, 0));
}

/*
 * A blocking write that faults after it moved data part of the way: EFAULT
 * 0x03 with @transferred the bytes moved, and exactly those moved.  It
 * copies a capacity from good memory, waits for room, then reaches the
 * hole.
 */
TEST_F(pipe, write_faulting_after_a_wait_is_efault_and_keeps_what_it_wrote)
{
	const uint64_t cap = self->cap, id = self->raw_out.id, pid = self->raw_out.peer_id;
	char *good = self->hole - cap;
	struct iuc_pipe_read r;
	struct async_io io;
	uint64_t bad;

	pat_fill(good, cap, 17, 0);
	start_waiting(_metadata, self->fd, &io, id, true, good, cap + 600);
	EXPECT_EQ(0, peer_read(&self->peer, pid, 300, IUC_IO_BLOCK, 17, 0, 0, &r, &bad));
	EXPECT_EQ(PAT_NO_BAD, bad);
	EXPECT_EQ(-EFAULT, join_io(_metadata, &io));
	EXPECT_EQ(IUC_E_UNMAPPED, io.u.w.error);
	EXPECT_EQ(cap, io.u.w.transferred);
	EXPECT_EQ(300, iuc_pipe_room(self->fd, id));
	EXPECT_EQ(0, peer_read(&self->peer, pid, 0, IUC_IO_PARTIAL, 17, 300, cap, &r, &bad));
	EXPECT_EQ(cap - 300, r.transferred);
	EXPECT_EQ(PAT_NO_BAD, bad);
	EXPECT_EQ(cap, iuc_pipe_room(self->fd, id));
}

/*
 * The same for a blocking read: it takes 300 bytes into good memory,
 * waits for more, then reaches the hole and leaves the rest pending.
 */
TEST_F(pipe, read_faulting_after_a_wait_is_efault_and_keeps_what_it_took)
{
	const uint64_t id = self->raw_in.id, pid = self->raw_in.peer_id;
	char *good = self->hole - 300;
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	struct async_io io;

	ASSERT_EQ(0, peer_write(&self->peer, pid, 300, IUC_IO_BLOCK, 18, 0, &w));
	start_waiting(_metadata, self->fd, &io, id, false, good, 600);
	ASSERT_EQ(0, peer_write(&self->peer, pid, 300, IUC_IO_BLOCK, 18, 300, &w));
	EXPECT_EQ(-EFAULT, join_io(_metadata, &io));
	EXPECT_EQ(IUC_E_UNMAPPED, io.u.r.error);
	EXPECT_EQ(300, io.u.r.transferred);
	EXPECT_EQ(PAT_NO_BAD, pat_check(good, 300, 18, 0));
	EXPECT_EQ(self->cap - 300, iuc_pipe_room(self->fd, id));
	EXPECT_EQ(0, iuc_pipe_read(self->fd, id, self->buf, 0, IUC_IO_TRY, &r));
	EXPECT_EQ(300, r.transferred);
	EXPECT_EQ(PAT_NO_BAD, pat_check(self->buf, 300, 18, 300));
}

/* ---- calls larger than the pipe --------------------------------------------- */

#define LARGE_CHUNK_MIN	1000
#define LARGE_CHUNK_MAX	30000

/*
 * A blocking write of 3.5 capacities, in one call, while the target
 * reads: it moves the capacity in pieces, its result the room left.
 */
TEST_F(pipe, blocking_write_larger_than_the_pipe_moves_it_in_pieces)
{
	const uint64_t cap = self->cap, total = cap * 7 / 2;
	struct iuc_pipe_write w;
	struct peer_reply rep;
	struct peer_msg m;
	struct stream st;
	char *buf = pattern(self->buf, total, 19);

	stream_init(&st, total, 19, cap, IUC_IO_BLOCK, LARGE_CHUNK_MIN, LARGE_CHUNK_MAX);
	m = peer_msg_stream(PEER_STREAM_READ, self->raw_out.peer_id, &st);
	ASSERT_EQ(0, peer_send(&self->peer, &m));
	EXPECT_EQ(0, iuc_pipe_write(self->fd, self->raw_out.id, buf, total, IUC_IO_BLOCK, &w));
	EXPECT_EQ(IUC_E_NONE, w.error);
	EXPECT_EQ(total, w.transferred);
	EXPECT_GE(cap, w.result);
	memset(&rep, 0, sizeof(rep));
	EXPECT_EQ(0, peer_wait(&self->peer, &rep, LONG_MS)) TH_LOG("%s", rep.st.why);
	EXPECT_EQ(total, rep.st.done);
}

/*
 * A blocking read of 3.5 capacities, in one call, while the target
 * writes: it gets them all, in order, result 0.
 */
TEST_F(pipe, blocking_read_larger_than_the_pipe_gets_it_in_pieces)
{
	const uint64_t cap = self->cap, total = cap * 7 / 2;
	struct iuc_pipe_read r;
	struct peer_reply rep;
	struct peer_msg m;
	struct stream st;
	char *buf = memset(self->buf, 0, total);

	stream_init(&st, total, 20, cap, IUC_IO_BLOCK, LARGE_CHUNK_MIN, LARGE_CHUNK_MAX);
	m = peer_msg_stream(PEER_STREAM_WRITE, self->raw_in.peer_id, &st);
	ASSERT_EQ(0, peer_send(&self->peer, &m));
	EXPECT_EQ(0, iuc_pipe_read(self->fd, self->raw_in.id, buf, (uint32_t)total,
				   IUC_IO_BLOCK, &r));
	EXPECT_EQ(IUC_E_NONE, r.error);
	EXPECT_EQ(total, r.transferred);
	EXPECT_EQ(0, r.result);
	EXPECT_EQ(PAT_NO_BAD, pat_check(buf, total, 20, 0));
	memset(&rep, 0, sizeof(rep));
	EXPECT_EQ(0, peer_wait(&self->peer, &rep, LONG_MS)) TH_LOG("%s", rep.st.why);
	EXPECT_EQ(total, rep.st.done);
}

/* ---- 64 MiB streams -------------------------------------------------------- */

#define STREAM_BYTES	(64ull << 20)

/* The test process and a ready target peer that writes to it through a raw 64 KiB pipe. */
FIXTURE(stream) {
	int fd;
	struct peer peer;
	struct iuc_open_pipe in;
};

/* The target writes in one mode, the test reads in one. */
FIXTURE_VARIANT(stream) {
	uint8_t wmode, rmode;
};

#define STREAM_VARIANT(w, r, wm, rm)					\
	FIXTURE_VARIANT_ADD(stream, w##_##r) { .wmode = wm, .rmode = rm }

STREAM_VARIANT(wblock, rblock, IUC_IO_BLOCK, IUC_IO_BLOCK);
STREAM_VARIANT(wblock, rtry, IUC_IO_BLOCK, IUC_IO_TRY);
STREAM_VARIANT(wblock, rpartial, IUC_IO_BLOCK, IUC_IO_PARTIAL);
STREAM_VARIANT(wtry, rblock, IUC_IO_TRY, IUC_IO_BLOCK);
STREAM_VARIANT(wtry, rtry, IUC_IO_TRY, IUC_IO_TRY);
STREAM_VARIANT(wtry, rpartial, IUC_IO_TRY, IUC_IO_PARTIAL);
STREAM_VARIANT(wpartial, rblock, IUC_IO_PARTIAL, IUC_IO_BLOCK);
STREAM_VARIANT(wpartial, rtry, IUC_IO_PARTIAL, IUC_IO_TRY);
STREAM_VARIANT(wpartial, rpartial, IUC_IO_PARTIAL, IUC_IO_PARTIAL);

FIXTURE_SETUP(stream)
{
	target_setup(_metadata, &self->fd, &self->peer);
	ASSERT_EQ(0, open_to(self->fd, &self->peer, IUC_PIPE_TYPE_CALLER_RECEIVES, 1,
			     IUC_PIPE_MODE_RAW, &self->in));
}

FIXTURE_TEARDOWN(stream)
{
	target_teardown(_metadata, self->fd, &self->peer);
}

/*
 * 64 MiB from the target to the test process through a 64 KiB pipe, with
 * chunk sizes that never match the capacity (writes of 1..40000 bytes,
 * reads of 1..24000, every 8th read with count 0).  Every byte is checked
 * at its offset, and the writer's checksum of what it sent equals the
 * reader's of what it got.  (A try write of w and a try read of r bytes
 * cannot both fail for lack of room/data when w + r <= capacity.)
 */
TEST_F_TIMEOUT(stream, arrives_whole_in_order_with_the_senders_checksum, 600)
{
	const uint64_t cap = iuc_pipe_cap(1);
	struct peer_reply rep;
	struct peer_msg m;
	struct stream wr, rd;
	uint64_t seed = 0x5EED0000u + variant->wmode * 3 + variant->rmode;

	stream_init(&wr, STREAM_BYTES, seed, cap, variant->wmode, 1, 40000);
	m = peer_msg_stream(PEER_STREAM_WRITE, self->in.peer_id, &wr);
	ASSERT_EQ(0, peer_send(&self->peer, &m));

	stream_init(&rd, STREAM_BYTES, seed, cap, variant->rmode, 1, 24000);
	rd.zero_every = 8;
	ASSERT_EQ(0, stream_read(self->fd, self->in.id, &rd))
		TH_LOG("reader: %s, error 0x%x, wrong byte at %llu", rd.why, rd.error,
		       (unsigned long long)rd.bad);
	memset(&rep, 0, sizeof(rep));
	ASSERT_EQ(0, peer_wait(&self->peer, &rep, LONG_MS))
		TH_LOG("writer: %s, error 0x%x", rep.st.why, rep.st.error);
	EXPECT_EQ(STREAM_BYTES, rep.st.done);
	EXPECT_EQ(STREAM_BYTES, rd.done);
	EXPECT_EQ(PAT_NO_BAD, rd.bad);
	EXPECT_EQ(rep.st.sum.a, rd.sum.a);
	EXPECT_EQ(rep.st.sum.b, rd.sum.b);
	EXPECT_EQ(cap, iuc_pipe_room(self->fd, self->in.id));
	TH_LOG("%llu writes (%llu retries, %llu locked), %llu reads (%llu retries, %llu locked)",
	       (unsigned long long)rep.st.calls, (unsigned long long)rep.st.retries,
	       (unsigned long long)rep.st.locked, (unsigned long long)rd.calls,
	       (unsigned long long)rd.retries, (unsigned long long)rd.locked);
}

TEST_HARNESS_MAIN
