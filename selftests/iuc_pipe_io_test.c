// SPDX-License-Identifier: GPL-2.0
/*
 * IUC selftests: PIPE_WRITE, PIPE_READ and PIPE_INFO.
 *
 * Raw pipes in the three modes with their documented results, zero-byte
 * writes, PIPE_INFO's fields and status bits (FULL, LOCKED, WRITE_PENDING,
 * READ_PENDING...), message pipes (whole messages, their errors, boundaries
 * under concurrent writers), interrupted calls, bad buffers, and 64 MiB
 * streams through a 64 KiB pipe for each write mode / read mode pairing.
 *
 * The test process holds one end, an agent (iuc_pipe_util.h) the other.
 * Data is a pattern that depends on the stream offset, so every byte read
 * is checked where it lands.  "Blocked" is seen through PIPE_INFO.
 */
#include "kselftest_harness.h"
#include "iuc_pipe_util.h"

/*
 * A pipe of @mode with capacity @mult to @ag; the test holds the SC if
 * @type is 0, the RC if 1.  No notification.
 */
static int open_to(int fd, struct px_agent *ag, uint8_t type, uint8_t mult,
		   uint8_t mode, struct iuc_open_pipe *op)
{
	*op = iuc_pipe_args(ag->pid, 0x10);
	op->type = type;
	op->multiplier = mult;
	op->mode = mode;
	op->notify = IUC_NOTIFY_SKIP;
	return iuc_open_pipe(fd, op);
}

/* Buffer of @len bytes of pattern @seed from offset 0. */
static char *pat_buf(size_t len, uint64_t seed)
{
	char *b = malloc(len ? len : 1);

	if (b)
		px_pat_fill(b, len, seed, 0);
	return b;
}

/* ---- raw pipes: the three modes ---------------------------------------- */

/*
 * PIPE_WRITE: IUC_IO_BLOCK's result is the room left; IUC_IO_TRY writes
 * all or fails with EAGAIN 0x30 and result NOT_ENOUGH, writing nothing;
 * IUC_IO_PARTIAL writes what fits and its result is that count (0 on a
 * full pipe).  A bad mode is EINVAL 0x10.  The reader gets one continuous
 * stream: nothing lost, nothing twice.
 */
TEST(write_modes)
{
	const uint64_t cap = px_cap(1);
	struct iuc_open_pipe op;
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	struct px_agent ag;
	uint64_t off = 0, room, bad;
	char *buf = pat_buf(2 * cap, 7);
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, px_start_target(&ag));
	ASSERT_EQ(0, open_to(fd, &ag, 0, 1, IUC_PIPE_MODE_RAW, &op));

	EXPECT_EQ(0, px_write(fd, op.id, buf + off, 1000, IUC_IO_BLOCK, &w));
	EXPECT_EQ(IUC_E_NONE, w.error);
	EXPECT_EQ(1000, w.transferred);
	EXPECT_EQ(cap - 1000, w.result);
	off += 1000;

	EXPECT_EQ(0, px_write(fd, op.id, buf + off, 2000, IUC_IO_TRY, &w));
	EXPECT_EQ(IUC_E_NONE, w.error);
	EXPECT_EQ(2000, w.transferred);
	off += 2000;
	room = cap - off;
	EXPECT_EQ(room, px_room(fd, op.id));

	/* One byte more than the room: nothing is written. */
	EXPECT_EQ(-EAGAIN, px_write(fd, op.id, buf + off, room + 1, IUC_IO_TRY, &w));
	EXPECT_EQ(IUC_E_WRITE_NO_ROOM, w.error);
	EXPECT_EQ(IUC_TRY_NOT_ENOUGH, w.result);
	EXPECT_EQ(0, w.transferred);
	EXPECT_EQ(room, px_room(fd, op.id));

	/* Exactly the room. */
	EXPECT_EQ(0, px_write(fd, op.id, buf + off, room, IUC_IO_TRY, &w));
	EXPECT_EQ(room, w.transferred);
	off += room;
	EXPECT_EQ(0, px_room(fd, op.id));

	/* Partial on a full pipe: success, nothing written. */
	EXPECT_EQ(0, px_write(fd, op.id, buf + off, 500, IUC_IO_PARTIAL, &w));
	EXPECT_EQ(IUC_E_NONE, w.error);
	EXPECT_EQ(0, w.result);
	EXPECT_EQ(0, w.transferred);

	/* Bad modes, even on a full pipe: EINVAL at once. */
	for (int mode = 3; mode < 256; mode += 84) {
		EXPECT_EQ(-EINVAL, px_write(fd, op.id, buf, 10, (uint8_t)mode, &w));
		EXPECT_EQ(IUC_E_WRITE_BAD_MODE, w.error) TH_LOG("mode %d", mode);
	}

	/* Room for 3000: a partial write of 5000 writes 3000. */
	ASSERT_EQ(0, px_ag_read(&ag, op.peer_id, 3000, IUC_IO_BLOCK, 7, 0, 0, &r, &bad));
	EXPECT_EQ(PX_NO_BAD, bad);
	EXPECT_EQ(0, px_write(fd, op.id, buf + off, 5000, IUC_IO_PARTIAL, &w));
	EXPECT_EQ(IUC_E_NONE, w.error);
	EXPECT_EQ(3000, w.result);
	EXPECT_EQ(3000, w.transferred);
	off += 3000;
	EXPECT_EQ(0, px_room(fd, op.id));

	/* The reader gets bytes 3000 .. off, in order. */
	ASSERT_EQ(0, px_ag_read(&ag, op.peer_id, (uint32_t)(off - 3000), IUC_IO_BLOCK,
				7, 3000, 0, &r, &bad));
	EXPECT_EQ(off - 3000, r.transferred);
	EXPECT_EQ(0, r.result);
	EXPECT_EQ(PX_NO_BAD, bad);
	EXPECT_EQ(cap, px_room(fd, op.id));
	free(buf);
	px_stop(&ag);
}

/*
 * PIPE_READ: IUC_IO_BLOCK's result is what is still pending; IUC_IO_TRY
 * reads all or fails with EAGAIN 0x22 and result NOT_ENOUGH, and its
 * success result is the count read; IUC_IO_PARTIAL's result is the count
 * read (0 on an empty pipe).  Count 0 means as much as is pending.  A bad
 * mode is EINVAL 0x10.
 */
TEST(read_modes)
{
	const uint64_t cap = px_cap(1);
	struct iuc_open_pipe op;
	struct iuc_pipe_read r;
	struct iuc_pipe_write w;
	struct px_async as;
	struct px_agent ag;
	char *buf = malloc(cap);
	uint64_t off = 0;
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, px_start_target(&ag));
	ASSERT_EQ(0, open_to(fd, &ag, 1, 1, IUC_PIPE_MODE_RAW, &op));
	ASSERT_EQ(0, px_ag_write(&ag, op.peer_id, 1000, IUC_IO_BLOCK, 8, 0, &w));

	EXPECT_EQ(0, px_read(fd, op.id, buf, 400, IUC_IO_BLOCK, &r));
	EXPECT_EQ(IUC_E_NONE, r.error);
	EXPECT_EQ(400, r.transferred);
	EXPECT_EQ(600, r.result);
	EXPECT_EQ(PX_NO_BAD, px_pat_check(buf, 400, 8, off));
	off += 400;

	EXPECT_EQ(-EAGAIN, px_read(fd, op.id, buf, 601, IUC_IO_TRY, &r));
	EXPECT_EQ(IUC_E_READ_NO_DATA, r.error);
	EXPECT_EQ(IUC_TRY_NOT_ENOUGH, r.result);
	EXPECT_EQ(0, r.transferred);
	EXPECT_EQ(cap - 600, px_room(fd, op.id));

	EXPECT_EQ(0, px_read(fd, op.id, buf, 100, IUC_IO_TRY, &r));
	EXPECT_EQ(IUC_E_NONE, r.error);
	EXPECT_EQ(100, r.transferred);
	EXPECT_EQ(100, r.result);
	EXPECT_EQ(PX_NO_BAD, px_pat_check(buf, 100, 8, off));
	off += 100;

	EXPECT_EQ(0, px_read(fd, op.id, buf, 1000, IUC_IO_PARTIAL, &r));
	EXPECT_EQ(IUC_E_NONE, r.error);
	EXPECT_EQ(500, r.transferred);
	EXPECT_EQ(500, r.result);
	EXPECT_EQ(PX_NO_BAD, px_pat_check(buf, 500, 8, off));
	off += 500;

	/* Empty. */
	EXPECT_EQ(0, px_read(fd, op.id, buf, 1000, IUC_IO_PARTIAL, &r));
	EXPECT_EQ(0, r.result);
	EXPECT_EQ(0, r.transferred);
	EXPECT_EQ(-EAGAIN, px_read(fd, op.id, buf, 0, IUC_IO_TRY, &r));
	EXPECT_EQ(IUC_E_READ_NO_DATA, r.error);
	EXPECT_EQ(IUC_TRY_NOT_ENOUGH, r.result);
	EXPECT_EQ(-EAGAIN, px_read(fd, op.id, buf, 1, IUC_IO_TRY, &r));
	EXPECT_EQ(IUC_TRY_NOT_ENOUGH, r.result);

	/* Count 0: whatever is pending, in each mode. */
	ASSERT_EQ(0, px_ag_write(&ag, op.peer_id, 300, IUC_IO_BLOCK, 8, off, &w));
	EXPECT_EQ(0, px_read(fd, op.id, buf, 0, IUC_IO_TRY, &r));
	EXPECT_EQ(300, r.transferred);
	EXPECT_EQ(300, r.result);
	EXPECT_EQ(PX_NO_BAD, px_pat_check(buf, 300, 8, off));
	off += 300;
	ASSERT_EQ(0, px_ag_write(&ag, op.peer_id, 301, IUC_IO_BLOCK, 8, off, &w));
	EXPECT_EQ(0, px_read(fd, op.id, buf, 0, IUC_IO_BLOCK, &r));
	EXPECT_EQ(301, r.transferred);
	EXPECT_EQ(0, r.result);
	EXPECT_EQ(PX_NO_BAD, px_pat_check(buf, 301, 8, off));
	off += 301;
	ASSERT_EQ(0, px_ag_write(&ag, op.peer_id, 302, IUC_IO_BLOCK, 8, off, &w));
	EXPECT_EQ(0, px_read(fd, op.id, buf, 0, IUC_IO_PARTIAL, &r));
	EXPECT_EQ(302, r.transferred);
	EXPECT_EQ(302, r.result);
	EXPECT_EQ(PX_NO_BAD, px_pat_check(buf, 302, 8, off));
	off += 302;

	for (int mode = 3; mode < 256; mode += 84) {
		EXPECT_EQ(-EINVAL, px_read(fd, op.id, buf, 10, (uint8_t)mode, &r));
		EXPECT_EQ(IUC_E_READ_BAD_MODE, r.error) TH_LOG("mode %d", mode);
	}

	/* IUC_IO_BLOCK waits for the whole count, taking what comes. */
	ASSERT_EQ(0, px_ag_write(&ag, op.peer_id, 200, IUC_IO_BLOCK, 8, off, &w));
	memset(&r, 0, sizeof(r));
	r.error = ERR_SENTINEL;
	r.id = op.id;
	r.buf = (uint64_t)(uintptr_t)buf;
	r.count = 500;
	r.mode = IUC_IO_BLOCK;
	ASSERT_EQ(0, px_async_start(&as, fd, IUC_IOC_PIPE_READ, &r));
	EXPECT_TRUE(px_wait_status(fd, op.id, IUC_PIPE_READ_PENDING, IUC_PIPE_READ_PENDING));
	EXPECT_FALSE(px_async_done(&as));
	ASSERT_EQ(0, px_ag_write(&ag, op.peer_id, 300, IUC_IO_BLOCK, 8, off + 200, &w));
	ASSERT_EQ(0, px_async_join(&as));
	EXPECT_EQ(0, as.ret);
	EXPECT_EQ(IUC_E_NONE, r.error);
	EXPECT_EQ(500, r.transferred);
	EXPECT_EQ(0, r.result);
	EXPECT_EQ(PX_NO_BAD, px_pat_check(buf, 500, 8, off));
	EXPECT_EQ(0, px_status(fd, op.id) & IUC_PIPE_READ_PENDING);
	free(buf);
	px_stop(&ag);
}

/*
 * A zero-byte write succeeds at once in every mode, on an empty and on a
 * full pipe (raw and message), and adds nothing.
 */
TEST(zero_byte_write)
{
	const uint64_t cap = px_cap(1);
	struct iuc_open_pipe op, mp;
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	struct px_agent ag;
	char *buf = pat_buf(cap, 3);
	uint64_t bad;
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, px_start_target(&ag));
	ASSERT_EQ(0, open_to(fd, &ag, 0, 1, IUC_PIPE_MODE_RAW, &op));
	ASSERT_EQ(0, open_to(fd, &ag, 0, 1, IUC_PIPE_MODE_MESSAGE, &mp));

	for (int full = 0; full <= 1; full++) {
		for (int mode = 0; mode <= 2; mode++) {
			EXPECT_EQ(0, px_write(fd, op.id, NULL, 0, (uint8_t)mode, &w))
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
			EXPECT_EQ(0, px_write(fd, mp.id, NULL, 0, (uint8_t)mode, &w))
				TH_LOG("message pipe, full %d mode %d", full, mode);
			EXPECT_EQ(IUC_E_NONE, w.error);
			EXPECT_EQ(0, w.transferred);
		}
		if (!full) {
			ASSERT_EQ(0, px_write(fd, op.id, buf, cap, IUC_IO_BLOCK, &w));
			ASSERT_EQ(0, px_write(fd, mp.id, buf, cap, IUC_IO_BLOCK, &w));
			ASSERT_EQ(IUC_PIPE_FULL, px_status(fd, op.id) & IUC_PIPE_FULL);
			ASSERT_EQ(IUC_PIPE_FULL, px_status(fd, mp.id) & IUC_PIPE_FULL);
		}
	}
	/* Exactly what was written with a count arrives. */
	EXPECT_EQ(0, px_ag_read(&ag, op.peer_id, 0, IUC_IO_PARTIAL, 3, 0, cap, &r, &bad));
	EXPECT_EQ(cap, r.transferred);
	EXPECT_EQ(PX_NO_BAD, bad);
	EXPECT_EQ(0, px_ag_read(&ag, mp.peer_id, 0, IUC_IO_BLOCK, 3, 0, cap, &r, &bad));
	EXPECT_EQ(cap, r.result);
	EXPECT_EQ(PX_NO_BAD, bad);
	free(buf);
	px_stop(&ag);
}

/* ---- PIPE_INFO ----------------------------------------------------------- */

/*
 * PIPE_INFO on both ends: status bits OPENED, MESSAGE, FULL and IS_SC,
 * capacity, room and creator pid; after a close OPENED is gone; an
 * unknown identifier is EBADF 0x20.
 */
TEST(info_fields)
{
	const uint64_t cap = px_cap(2);
	struct iuc_open_pipe op, mp;
	struct iuc_pipe_info in;
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	struct px_agent ag;
	char *buf = pat_buf(cap, 4);
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, px_start_target(&ag));
	ASSERT_EQ(0, open_to(fd, &ag, 0, 2, IUC_PIPE_MODE_RAW, &op));

	ASSERT_EQ(0, px_info(fd, op.id, &in));
	EXPECT_EQ(IUC_E_NONE, in.error);
	EXPECT_EQ(IUC_PIPE_OPENED | IUC_PIPE_IS_SC, in.status);
	EXPECT_EQ(cap, in.capacity);
	EXPECT_EQ(cap, in.room);
	EXPECT_EQ((uint64_t)getpid(), in.creator_pid);
	ASSERT_EQ(0, px_ag_info(&ag, op.peer_id, &in));
	EXPECT_EQ(IUC_E_NONE, in.error);
	EXPECT_EQ(IUC_PIPE_OPENED, in.status);
	EXPECT_EQ(cap, in.capacity);
	EXPECT_EQ(cap, in.room);
	EXPECT_EQ((uint64_t)getpid(), in.creator_pid);

	ASSERT_EQ(0, px_write(fd, op.id, buf, 1000, IUC_IO_BLOCK, &w));
	EXPECT_EQ(cap - 1000, px_room(fd, op.id));
	ASSERT_EQ(0, px_ag_info(&ag, op.peer_id, &in));
	EXPECT_EQ(cap - 1000, in.room);
	EXPECT_EQ(IUC_PIPE_OPENED, in.status);

	ASSERT_EQ(0, px_write(fd, op.id, buf + 1000, cap - 1000, IUC_IO_BLOCK, &w));
	ASSERT_EQ(0, px_info(fd, op.id, &in));
	EXPECT_EQ(IUC_PIPE_OPENED | IUC_PIPE_IS_SC | IUC_PIPE_FULL, in.status);
	EXPECT_EQ(0, in.room);
	ASSERT_EQ(0, px_ag_info(&ag, op.peer_id, &in));
	EXPECT_EQ(IUC_PIPE_OPENED | IUC_PIPE_FULL, in.status);
	EXPECT_EQ(0, in.room);
	ASSERT_EQ(0, px_ag_read(&ag, op.peer_id, 1, IUC_IO_BLOCK, 4, 0, 0, &r, NULL));
	ASSERT_EQ(0, px_info(fd, op.id, &in));
	EXPECT_EQ(IUC_PIPE_OPENED | IUC_PIPE_IS_SC, in.status);
	EXPECT_EQ(1, in.room);

	/* A message pipe the agent creates: its pid is the creator's. */
	mp = iuc_pipe_args(getpid(), 0x11);
	mp.mode = IUC_PIPE_MODE_MESSAGE;
	mp.notify = IUC_NOTIFY_SKIP;
	ASSERT_EQ(0, px_ag_open_pipe(&ag, &mp));
	ASSERT_EQ(0, px_info(fd, mp.peer_id, &in));
	EXPECT_EQ(IUC_PIPE_OPENED | IUC_PIPE_MESSAGE, in.status);
	EXPECT_EQ(px_cap(0), in.capacity);
	EXPECT_EQ((uint64_t)ag.pid, in.creator_pid);
	ASSERT_EQ(0, px_ag_info(&ag, mp.id, &in));
	EXPECT_EQ(IUC_PIPE_OPENED | IUC_PIPE_MESSAGE | IUC_PIPE_IS_SC, in.status);
	EXPECT_EQ((uint64_t)ag.pid, in.creator_pid);

	/* Closed by the agent: OPENED is gone on our side, the rest stays. */
	ASSERT_EQ(0, px_ag_close(&ag, mp.id, NULL));
	ASSERT_EQ(0, px_info(fd, mp.peer_id, &in));
	EXPECT_EQ(IUC_PIPE_MESSAGE, in.status);
	EXPECT_EQ(px_cap(0), in.room);
	EXPECT_EQ(-EBADF, px_ag_info(&ag, mp.id, &in));
	EXPECT_EQ(IUC_E_INFO_UNKNOWN_ID, in.error);
	ASSERT_EQ(0, iuc_close_pipe(fd, op.id, NULL));
	ASSERT_EQ(0, px_ag_info(&ag, op.peer_id, &in));
	EXPECT_EQ(0, in.status);
	EXPECT_EQ(1, in.room);
	EXPECT_EQ(cap, in.capacity);

	EXPECT_EQ(-EBADF, px_info(fd, op.id, &in));
	EXPECT_EQ(IUC_E_INFO_UNKNOWN_ID, in.error);
	EXPECT_EQ(-EBADF, px_info(fd, 0, &in));
	EXPECT_EQ(IUC_E_INFO_UNKNOWN_ID, in.error);
	EXPECT_EQ(-EBADF, px_info(fd, ~0ull, &in));
	EXPECT_EQ(IUC_E_INFO_UNKNOWN_ID, in.error);
	free(buf);
	px_stop(&ag);
}

/*
 * WRITE_PENDING while a writer waits for room in a full pipe; the reader
 * makes room and the writer ends, its result the room left.
 */
TEST(info_write_pending)
{
	const uint64_t cap = px_cap(1);
	struct iuc_open_pipe op;
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	struct px_reply rep;
	struct px_msg m;
	struct px_agent ag;
	char *buf = malloc(cap);
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, px_start_target(&ag));
	ASSERT_EQ(0, open_to(fd, &ag, 1, 1, IUC_PIPE_MODE_RAW, &op));
	ASSERT_EQ(0, px_ag_write(&ag, op.peer_id, cap, IUC_IO_BLOCK, 6, 0, &w));
	EXPECT_EQ(0, px_status(fd, op.id) & IUC_PIPE_WRITE_PENDING);

	m = px_m_write(op.peer_id, 100, IUC_IO_BLOCK, 6, cap);
	ASSERT_EQ(0, px_send(&ag, &m));
	EXPECT_TRUE(px_wait_status(fd, op.id, IUC_PIPE_WRITE_PENDING,
				   IUC_PIPE_WRITE_PENDING));
	EXPECT_EQ(IUC_PIPE_FULL, px_status(fd, op.id) &
		  (IUC_PIPE_FULL | IUC_PIPE_READ_PENDING));

	EXPECT_EQ(0, px_read(fd, op.id, buf, 50, IUC_IO_BLOCK, &r));
	EXPECT_EQ(PX_NO_BAD, px_pat_check(buf, 50, 6, 0));
	EXPECT_EQ(0, px_read(fd, op.id, buf, 200, IUC_IO_BLOCK, &r));
	EXPECT_EQ(PX_NO_BAD, px_pat_check(buf, 200, 6, 50));
	ASSERT_EQ(0, px_wait(&ag, &rep, TIMEOUT_MS));
	EXPECT_EQ(IUC_E_NONE, rep.u.w.error);
	EXPECT_EQ(100, rep.u.w.transferred);
	EXPECT_EQ(150, rep.u.w.result);
	EXPECT_EQ(0, px_status(fd, op.id) & IUC_PIPE_WRITE_PENDING);

	EXPECT_EQ(0, px_read(fd, op.id, buf, 0, IUC_IO_BLOCK, &r));
	EXPECT_EQ(cap + 100 - 250, r.transferred);
	EXPECT_EQ(PX_NO_BAD, px_pat_check(buf, r.transferred, 6, 250));
	free(buf);
	px_stop(&ag);
}

/* READ_PENDING while a reader waits for data in an empty pipe. */
TEST(info_read_pending)
{
	struct iuc_open_pipe op;
	struct iuc_pipe_write w;
	struct px_reply rep;
	struct px_msg m;
	struct px_agent ag;
	char buf[300];
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, px_start_target(&ag));
	ASSERT_EQ(0, open_to(fd, &ag, 0, 1, IUC_PIPE_MODE_RAW, &op));
	EXPECT_EQ(0, px_status(fd, op.id) & IUC_PIPE_READ_PENDING);

	m = px_m_read(op.peer_id, 300, IUC_IO_BLOCK, 2, 0, 0);
	ASSERT_EQ(0, px_send(&ag, &m));
	EXPECT_TRUE(px_wait_status(fd, op.id, IUC_PIPE_READ_PENDING,
				   IUC_PIPE_READ_PENDING));
	EXPECT_EQ(0, px_status(fd, op.id) & (IUC_PIPE_WRITE_PENDING | IUC_PIPE_FULL));

	px_pat_fill(buf, sizeof(buf), 2, 0);
	EXPECT_EQ(0, px_write(fd, op.id, buf, 100, IUC_IO_BLOCK, &w));
	EXPECT_EQ(0, px_write(fd, op.id, buf + 100, 200, IUC_IO_BLOCK, &w));
	ASSERT_EQ(0, px_wait(&ag, &rep, TIMEOUT_MS));
	EXPECT_EQ(300, rep.u.r.transferred);
	EXPECT_EQ(0, rep.u.r.result);
	EXPECT_EQ(PX_NO_BAD, rep.v[0]);
	EXPECT_EQ(0, px_status(fd, op.id) & IUC_PIPE_READ_PENDING);
	px_stop(&ag);
}

/* ---- the pipe lock ------------------------------------------------------- */

struct lock_worker {
	int fd;
	uint64_t id;
	bool write;
	char *buf;
	uint64_t cap;
	int stop;
	int ret;
	uint32_t error;
	uint64_t rounds;
};

/* Whole-capacity blocking writes or reads until told to stop. */
static void *lock_worker_main(void *p)
{
	struct lock_worker *lw = p;

	while (!__atomic_load_n(&lw->stop, __ATOMIC_SEQ_CST)) {
		struct iuc_pipe_write w;
		struct iuc_pipe_read r;

		if (lw->write) {
			lw->ret = px_write(lw->fd, lw->id, lw->buf, lw->cap, IUC_IO_BLOCK, &w);
			lw->error = w.error;
		} else {
			lw->ret = px_read(lw->fd, lw->id, lw->buf, (uint32_t)lw->cap,
					  IUC_IO_BLOCK, &r);
			lw->error = r.error;
		}
		if (lw->ret)
			break;
		lw->rounds++;
	}
	return NULL;
}

#define LOCK_TRIES	2000000

/*
 * While another thread writes (or reads) a whole 16 MiB pipe in one call,
 * IUC_IO_TRY calls fail with EAGAIN and result IUC_TRY_LOCKED, PIPE_INFO
 * shows LOCKED, and zero-byte writes still succeed.  Before the other
 * thread starts, the same calls find the pipe unlocked.  The TRY calls ask
 * for more than the capacity, so they can never move data.
 */
TEST(try_sees_locked)
{
	const uint64_t cap = px_cap(255);
	char *buf = malloc(cap + 1);
	int fd = px_ctx();
	struct px_agent ag;

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, buf);
	memset(buf, 0x3c, cap + 1);
	ASSERT_EQ(0, px_start_target(&ag));

	for (int writer = 1; writer >= 0; writer--) {
		struct lock_worker lw = { .fd = fd, .write = writer, .buf = buf, .cap = cap };
		bool seen_call = false, seen_info = false;
		struct iuc_open_pipe op;
		struct iuc_pipe_write w;
		struct iuc_pipe_read r;
		struct px_stream st;
		struct px_msg m;
		const char *why = NULL;
		pthread_t t;
		long i;
		int ret = 0;

		ASSERT_EQ(0, open_to(fd, &ag, writer ? 0 : 1, 255, IUC_PIPE_MODE_RAW, &op));
		lw.id = op.id;
		/* Unlocked: not enough, never locked. */
		if (writer) {
			EXPECT_EQ(-EAGAIN, px_write(fd, op.id, buf, cap + 1, IUC_IO_TRY, &w));
			EXPECT_EQ(IUC_TRY_NOT_ENOUGH, w.result);
		} else {
			EXPECT_EQ(-EAGAIN, px_read(fd, op.id, buf, (uint32_t)cap + 1,
						   IUC_IO_TRY, &r));
			EXPECT_EQ(IUC_TRY_NOT_ENOUGH, r.result);
		}
		EXPECT_EQ(0, px_status(fd, op.id) & IUC_PIPE_LOCKED);

		/* The agent moves the other side, one capacity per call. */
		px_stream_init(&st, 1ull << 40, 1, cap, IUC_IO_BLOCK,
			       (uint32_t)cap, (uint32_t)cap);
		st.nocheck = 1;	/* the worker writes the same bytes each round */
		m = px_m(writer ? PX_STREAM_READ : PX_STREAM_WRITE, op.peer_id);
		m.st = st;
		ASSERT_EQ(0, px_send(&ag, &m));
		ASSERT_EQ(0, pthread_create(&t, NULL, lock_worker_main, &lw));

		for (i = 0; i < LOCK_TRIES && !(seen_call && seen_info); i++) {
			if (writer) {
				ret = px_write(fd, op.id, buf, cap + 1, IUC_IO_TRY, &w);
				if (ret != -EAGAIN || w.error != IUC_E_WRITE_NO_ROOM ||
				    w.transferred || w.result > IUC_TRY_NOT_ENOUGH) {
					why = "try write";
					break;
				}
				seen_call |= w.result == IUC_TRY_LOCKED;
				/* Zero bytes: at once, locked or not. */
				ret = px_write(fd, op.id, NULL, 0,
					       i % 2 ? IUC_IO_TRY : IUC_IO_BLOCK, &w);
				if (ret || w.error != IUC_E_NONE || w.transferred ||
				    w.result > cap) {
					why = "zero-byte write";
					break;
				}
			} else {
				ret = px_read(fd, op.id, buf, (uint32_t)cap + 1,
					      IUC_IO_TRY, &r);
				if (ret != -EAGAIN || r.error != IUC_E_READ_NO_DATA ||
				    r.transferred || r.result > IUC_TRY_NOT_ENOUGH) {
					why = "try read";
					break;
				}
				seen_call |= r.result == IUC_TRY_LOCKED;
			}
			ret = px_status(fd, op.id);
			if (ret < 0) {
				why = "info";
				break;
			}
			seen_info |= !!(ret & IUC_PIPE_LOCKED);
			if (lw.ret)
				break;
		}
		/* The agent keeps streaming: the worker's last call ends. */
		__atomic_store_n(&lw.stop, 1, __ATOMIC_SEQ_CST);
		ASSERT_EQ(0, px_join(t, PX_LONG_MS));
		EXPECT_EQ(NULL, why) TH_LOG("%s failed: ret %d", why, ret);
		EXPECT_TRUE(seen_call) TH_LOG("%s: after %ld tries, %llu rounds, last ret %d",
					      writer ? "write" : "read", i,
					      (unsigned long long)lw.rounds, ret);
		EXPECT_TRUE(seen_info);
		EXPECT_EQ(0, lw.ret) TH_LOG("worker error 0x%x", lw.error);
		px_stop(&ag);
		ASSERT_EQ(0, px_start_target(&ag));
	}
	free(buf);
	px_stop(&ag);
}

/* ---- message pipes --------------------------------------------------------- */

/*
 * Each write is one message; each read returns one whole message (also
 * with count 0), its length as result, in every blocking/try mode.
 */
TEST(message_whole_messages)
{
	static const uint32_t lens[] = { 1, 7, 1000, 4096, 30000, 10000 };
	const uint64_t cap = px_cap(1);
	struct iuc_open_pipe op;
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	struct px_agent ag;
	uint64_t off = 0, bad;
	char *buf = pat_buf(cap, 5);
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, px_start_target(&ag));
	ASSERT_EQ(0, open_to(fd, &ag, 0, 1, IUC_PIPE_MODE_MESSAGE, &op));

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		uint8_t mode = i % 2 ? IUC_IO_TRY : IUC_IO_BLOCK;

		EXPECT_EQ(0, px_write(fd, op.id, buf + off, lens[i], mode, &w));
		EXPECT_EQ(IUC_E_NONE, w.error);
		EXPECT_EQ(lens[i], w.transferred);
		off += lens[i];
		if (mode == IUC_IO_BLOCK) {
			EXPECT_EQ(cap - off, w.result);
		}
	}
	EXPECT_EQ(cap - off, px_room(fd, op.id));

	off = 0;
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		uint8_t mode = i % 3 == 1 ? IUC_IO_TRY : IUC_IO_BLOCK;
		uint32_t count = i % 3 == 2 ? 0 : IUC_MESSAGE_MAX;

		EXPECT_EQ(0, px_ag_read(&ag, op.peer_id, count, mode, 5, off, cap,
					&r, &bad)) TH_LOG("message %zu", i);
		EXPECT_EQ(IUC_E_NONE, r.error);
		EXPECT_EQ(lens[i], r.result);
		EXPECT_EQ(lens[i], r.transferred);
		EXPECT_EQ(PX_NO_BAD, bad);
		off += lens[i];
	}
	EXPECT_EQ(-EAGAIN, px_ag_read(&ag, op.peer_id, IUC_MESSAGE_MAX, IUC_IO_TRY, 5, 0,
				      0, &r, NULL));
	EXPECT_EQ(IUC_E_READ_NO_DATA, r.error);
	EXPECT_EQ(IUC_TRY_NOT_ENOUGH, r.result);
	EXPECT_EQ(cap, px_room(fd, op.id));
	free(buf);
	px_stop(&ag);
}

/*
 * A message longer than 64 KiB is EMSGSIZE 0x22, even in a bigger pipe;
 * partial mode is EINVAL 0x23 for writes and reads.  Nothing is written
 * and nothing is taken.
 */
TEST(message_errors)
{
	const uint64_t cap = px_cap(4);
	struct iuc_open_pipe op;
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	struct px_agent ag;
	char *buf = pat_buf(cap, 6);
	uint64_t bad;
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, px_start_target(&ag));
	ASSERT_EQ(0, open_to(fd, &ag, 0, 4, IUC_PIPE_MODE_MESSAGE, &op));

	for (int mode = 0; mode <= 1; mode++) {
		EXPECT_EQ(-EMSGSIZE, px_write(fd, op.id, buf, IUC_MESSAGE_MAX + 1,
					      (uint8_t)mode, &w));
		EXPECT_EQ(IUC_E_WRITE_MESSAGE_TOO_LONG, w.error);
		EXPECT_EQ(0, w.transferred);
		EXPECT_EQ(-EMSGSIZE, px_write(fd, op.id, buf, cap, (uint8_t)mode, &w));
		EXPECT_EQ(IUC_E_WRITE_MESSAGE_TOO_LONG, w.error);
	}
	EXPECT_EQ(-EINVAL, px_write(fd, op.id, buf, 10, IUC_IO_PARTIAL, &w));
	EXPECT_EQ(IUC_E_WRITE_MESSAGE_PARTIAL, w.error);
	EXPECT_EQ(0, w.transferred);
	EXPECT_EQ(cap, px_room(fd, op.id));

	/* The largest message, then a read in partial mode. */
	EXPECT_EQ(0, px_write(fd, op.id, buf, IUC_MESSAGE_MAX, IUC_IO_BLOCK, &w));
	EXPECT_EQ(-EINVAL, px_ag_read(&ag, op.peer_id, IUC_MESSAGE_MAX, IUC_IO_PARTIAL,
				      6, 0, 0, &r, NULL));
	EXPECT_EQ(IUC_E_READ_MESSAGE_PARTIAL, r.error);
	EXPECT_EQ(0, r.transferred);
	EXPECT_EQ(cap - IUC_MESSAGE_MAX, px_room(fd, op.id));
	EXPECT_EQ(0, px_ag_read(&ag, op.peer_id, IUC_MESSAGE_MAX, IUC_IO_BLOCK, 6, 0, 0,
				&r, &bad));
	EXPECT_EQ(IUC_MESSAGE_MAX, r.result);
	EXPECT_EQ(PX_NO_BAD, bad);
	free(buf);
	px_stop(&ag);
}

/*
 * A buffer smaller than the next message: EMSGSIZE 0x24 with the message's
 * length as result, in blocking and try mode; the message stays and a big
 * enough buffer reads it whole, then the next one.
 */
TEST(message_buffer_too_small)
{
	struct iuc_open_pipe op;
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	struct px_agent ag;
	char *buf = pat_buf(1010, 9);
	uint64_t bad;
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, px_start_target(&ag));
	ASSERT_EQ(0, open_to(fd, &ag, 0, 1, IUC_PIPE_MODE_MESSAGE, &op));
	ASSERT_EQ(0, px_write(fd, op.id, buf, 1000, IUC_IO_BLOCK, &w));
	ASSERT_EQ(0, px_write(fd, op.id, buf + 1000, 10, IUC_IO_BLOCK, &w));

	EXPECT_EQ(-EMSGSIZE, px_ag_read(&ag, op.peer_id, 999, IUC_IO_BLOCK, 9, 0, 0,
					&r, NULL));
	EXPECT_EQ(IUC_E_READ_BUFFER_TOO_SMALL, r.error);
	EXPECT_EQ(1000, r.result);
	EXPECT_EQ(0, r.transferred);
	EXPECT_EQ(-EMSGSIZE, px_ag_read(&ag, op.peer_id, 1, IUC_IO_TRY, 9, 0, 0, &r, NULL));
	EXPECT_EQ(IUC_E_READ_BUFFER_TOO_SMALL, r.error);
	EXPECT_EQ(1000, r.result);
	EXPECT_EQ(px_cap(1) - 1010, px_room(fd, op.id));

	EXPECT_EQ(0, px_ag_read(&ag, op.peer_id, 1000, IUC_IO_BLOCK, 9, 0, 0, &r, &bad));
	EXPECT_EQ(1000, r.result);
	EXPECT_EQ(1000, r.transferred);
	EXPECT_EQ(PX_NO_BAD, bad);
	EXPECT_EQ(0, px_ag_read(&ag, op.peer_id, 10, IUC_IO_TRY, 9, 1000, 0, &r, &bad));
	EXPECT_EQ(10, r.result);
	EXPECT_EQ(PX_NO_BAD, bad);
	free(buf);
	px_stop(&ag);
}

/*
 * A 64 KiB message fits an empty 64 KiB pipe and fills it.  Messages go
 * at once: a blocking 64 KiB write waits while one byte is pending, though
 * 64 KiB - 1 are free, and proceeds once that byte is read.
 */
TEST(message_64k_fits_empty)
{
	const uint64_t cap = px_cap(0);
	struct iuc_open_pipe op;
	struct iuc_pipe_write w, aw;
	struct iuc_pipe_read r;
	struct px_async as;
	struct px_agent ag;
	char *buf = pat_buf(cap, 10);
	uint64_t bad;
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, px_start_target(&ag));
	ASSERT_EQ(0, open_to(fd, &ag, 0, 0, IUC_PIPE_MODE_MESSAGE, &op));

	EXPECT_EQ(0, px_write(fd, op.id, buf, IUC_MESSAGE_MAX, IUC_IO_BLOCK, &w));
	EXPECT_EQ(0, w.result);
	EXPECT_EQ(IUC_MESSAGE_MAX, w.transferred);
	EXPECT_EQ(IUC_PIPE_FULL, px_status(fd, op.id) & IUC_PIPE_FULL);
	EXPECT_EQ(-EAGAIN, px_write(fd, op.id, buf, 1, IUC_IO_TRY, &w));
	EXPECT_EQ(IUC_E_WRITE_NO_ROOM, w.error);
	EXPECT_EQ(IUC_TRY_NOT_ENOUGH, w.result);
	EXPECT_EQ(0, px_ag_read(&ag, op.peer_id, IUC_MESSAGE_MAX, IUC_IO_BLOCK, 10, 0, 0,
				&r, &bad));
	EXPECT_EQ(IUC_MESSAGE_MAX, r.result);
	EXPECT_EQ(PX_NO_BAD, bad);
	EXPECT_EQ(cap, px_room(fd, op.id));

	ASSERT_EQ(0, px_write(fd, op.id, buf, 1, IUC_IO_BLOCK, &w));
	EXPECT_EQ(-EAGAIN, px_write(fd, op.id, buf, IUC_MESSAGE_MAX, IUC_IO_TRY, &w));
	EXPECT_EQ(IUC_TRY_NOT_ENOUGH, w.result);
	memset(&aw, 0, sizeof(aw));
	aw.error = ERR_SENTINEL;
	aw.id = op.id;
	aw.buf = (uint64_t)(uintptr_t)buf;
	aw.count = IUC_MESSAGE_MAX;
	aw.mode = IUC_IO_BLOCK;
	ASSERT_EQ(0, px_async_start(&as, fd, IUC_IOC_PIPE_WRITE, &aw));
	EXPECT_TRUE(px_wait_status(fd, op.id, IUC_PIPE_WRITE_PENDING,
				   IUC_PIPE_WRITE_PENDING));
	EXPECT_EQ(cap - 1, px_room(fd, op.id));
	EXPECT_FALSE(px_async_done(&as));
	EXPECT_EQ(0, px_ag_read(&ag, op.peer_id, IUC_MESSAGE_MAX, IUC_IO_BLOCK, 10, 0, 0,
				&r, &bad));
	EXPECT_EQ(1, r.result);
	ASSERT_EQ(0, px_async_join(&as));
	EXPECT_EQ(0, as.ret);
	EXPECT_EQ(IUC_MESSAGE_MAX, aw.transferred);
	EXPECT_EQ(0, aw.result);
	EXPECT_EQ(0, px_ag_read(&ag, op.peer_id, IUC_MESSAGE_MAX, IUC_IO_TRY, 10, 0, 0,
				&r, &bad));
	EXPECT_EQ(IUC_MESSAGE_MAX, r.result);
	EXPECT_EQ(PX_NO_BAD, bad);
	free(buf);
	px_stop(&ag);
}

/*
 * Message lengths are kept in order across reads and writes that
 * interleave, also when the kernel's table of lengths grows while its
 * oldest entry is not at its start.
 */
TEST(message_lengths_interleaved)
{
	struct iuc_open_pipe op;
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	struct px_agent ag;
	uint64_t woff = 0, roff = 0, bad;
	uint32_t wn = 0, rn = 0;
	char *buf = pat_buf(8192, 11);
	int fd = px_ctx();
	static const struct { uint32_t write, read; } steps[] = {
		{ 10, 8 }, { 20, 22 }, { 40, 5 }, { 3, 38 }, { 100, 100 },
	};

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, px_start_target(&ag));
	ASSERT_EQ(0, open_to(fd, &ag, 0, 1, IUC_PIPE_MODE_MESSAGE, &op));
	for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
		for (uint32_t i = 0; i < steps[s].write; i++, wn++) {
			uint32_t len = 1 + (wn * 37) % 300;

			ASSERT_EQ(0, px_write(fd, op.id, buf, len, IUC_IO_BLOCK, &w));
			woff += len;
		}
		for (uint32_t i = 0; i < steps[s].read; i++, rn++) {
			uint32_t len = 1 + (rn * 37) % 300;

			ASSERT_EQ(0, px_ag_read(&ag, op.peer_id, 300, IUC_IO_TRY, 11, 0,
						0, &r, &bad)) TH_LOG("message %u", rn);
			EXPECT_EQ(len, r.result) TH_LOG("message %u", rn);
			EXPECT_EQ(PX_NO_BAD, bad);
			roff += len;
		}
	}
	EXPECT_EQ(woff, roff);
	EXPECT_EQ(px_cap(1), px_room(fd, op.id));
	free(buf);
	px_stop(&ag);
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
static void *msg_writer_main(void *p)
{
	struct msg_writer *mw = p;
	char *buf = malloc(IUC_MESSAGE_MAX);

	if (!buf) {
		mw->ret = -ENOMEM;
		return NULL;
	}
	for (mw->seq = 0; mw->seq < PER_WRITER; mw->seq++) {
		uint32_t len = px_msg_len(mw->n, WRITERS, mw->seq);
		struct iuc_pipe_write w;

		px_msg_fill(buf, mw->n, WRITERS, mw->seq);
		for (;;) {
			mw->ret = px_write(mw->fd, mw->id, buf, len,
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
TEST(message_concurrent_writers)
{
	struct msg_writer mw[WRITERS];
	pthread_t t[WRITERS];
	struct iuc_open_pipe op;
	struct iuc_pipe_read r;
	struct px_reply rep;
	struct px_agent ag;
	struct px_msg m;
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, px_start_target(&ag));
	ASSERT_EQ(0, open_to(fd, &ag, 0, 1, IUC_PIPE_MODE_MESSAGE, &op));

	m = px_m(PX_MSG_VERIFY, op.peer_id);
	m.a[1] = WRITERS;
	m.a[2] = PER_WRITER;
	ASSERT_EQ(0, px_send(&ag, &m));
	for (unsigned int i = 0; i < WRITERS; i++) {
		mw[i] = (struct msg_writer){ .fd = fd, .id = op.id, .n = i };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, msg_writer_main, &mw[i]));
	}
	for (unsigned int i = 0; i < WRITERS; i++) {
		ASSERT_EQ(0, px_join(t[i], PX_LONG_MS));
		EXPECT_EQ(0, mw[i].ret) TH_LOG("writer %u: message %u, error 0x%x",
					       i, mw[i].seq, mw[i].error);
	}
	memset(&rep, 0, sizeof(rep));
	ASSERT_EQ(0, px_wait(&ag, &rep, PX_LONG_MS)) TH_LOG("%s", rep.why);
	EXPECT_EQ(WRITERS * PER_WRITER, rep.v[0]);
	EXPECT_EQ(-EAGAIN, px_ag_read(&ag, op.peer_id, IUC_MESSAGE_MAX, IUC_IO_TRY, 0, 0,
				      0, &r, NULL));
	px_stop(&ag);
}

/* ---- interrupted calls ---------------------------------------------------- */

static int usr1_count;

static void on_usr1(int sig)
{
	(void)sig;
	__atomic_add_fetch(&usr1_count, 1, __ATOMIC_SEQ_CST);
}

/* SIGUSR1 with a handler installed with SA_RESTART. */
static int install_usr1(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGUSR1, &sa, NULL) ? -errno : 0;
}

/*
 * A blocked PIPE_READ interrupted by a signal whose handler has SA_RESTART
 * is not restarted: -1/EINTR, error 0x0F, @transferred the bytes it took.
 * Nothing else is lost: the next read continues the stream.
 */
TEST(eintr_read)
{
	const uint64_t cap = px_cap(1);
	struct iuc_open_pipe op;
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	struct px_async as;
	struct px_agent ag;
	char buf[1000];
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, install_usr1());
	ASSERT_EQ(0, px_start_target(&ag));
	ASSERT_EQ(0, open_to(fd, &ag, 1, 1, IUC_PIPE_MODE_RAW, &op));
	ASSERT_EQ(0, px_ag_write(&ag, op.peer_id, 300, IUC_IO_BLOCK, 12, 0, &w));

	memset(&r, 0, sizeof(r));
	r.error = ERR_SENTINEL;
	r.id = op.id;
	r.buf = (uint64_t)(uintptr_t)buf;
	r.count = sizeof(buf);
	r.mode = IUC_IO_BLOCK;
	ASSERT_EQ(0, px_async_start(&as, fd, IUC_IOC_PIPE_READ, &r));
	ASSERT_TRUE(px_wait_status(fd, op.id, IUC_PIPE_READ_PENDING,
				   IUC_PIPE_READ_PENDING));
	ASSERT_EQ(0, pthread_kill(as.thread, SIGUSR1));
	ASSERT_EQ(0, px_async_join(&as));
	EXPECT_EQ(-EINTR, as.ret);
	EXPECT_EQ(IUC_E_INTERRUPTED, r.error);
	EXPECT_EQ(300, r.transferred);
	EXPECT_EQ(PX_NO_BAD, px_pat_check(buf, 300, 12, 0));
	EXPECT_EQ(1, __atomic_load_n(&usr1_count, __ATOMIC_SEQ_CST));
	EXPECT_EQ(cap, px_room(fd, op.id));

	ASSERT_EQ(0, px_ag_write(&ag, op.peer_id, 700, IUC_IO_BLOCK, 12, 300, &w));
	EXPECT_EQ(0, px_read(fd, op.id, buf, 700, IUC_IO_TRY, &r));
	EXPECT_EQ(PX_NO_BAD, px_pat_check(buf, 700, 12, 300));
	px_stop(&ag);
}

/*
 * The same for a PIPE_WRITE waiting for room: raw, @transferred is what it
 * wrote before it waited, and only that reaches the reader; a message
 * write writes nothing.
 */
TEST(eintr_write)
{
	const uint64_t cap = px_cap(1);
	struct iuc_open_pipe op, mp;
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	struct px_async as;
	struct px_agent ag;
	char *buf = pat_buf(cap + 500, 13);
	uint64_t bad;
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, install_usr1());
	ASSERT_EQ(0, px_start_target(&ag));
	ASSERT_EQ(0, open_to(fd, &ag, 0, 1, IUC_PIPE_MODE_RAW, &op));

	memset(&w, 0, sizeof(w));
	w.error = ERR_SENTINEL;
	w.id = op.id;
	w.buf = (uint64_t)(uintptr_t)buf;
	w.count = cap + 500;
	w.mode = IUC_IO_BLOCK;
	ASSERT_EQ(0, px_async_start(&as, fd, IUC_IOC_PIPE_WRITE, &w));
	ASSERT_TRUE(px_wait_status(fd, op.id, IUC_PIPE_WRITE_PENDING,
				   IUC_PIPE_WRITE_PENDING));
	ASSERT_EQ(0, pthread_kill(as.thread, SIGUSR1));
	ASSERT_EQ(0, px_async_join(&as));
	EXPECT_EQ(-EINTR, as.ret);
	EXPECT_EQ(IUC_E_INTERRUPTED, w.error);
	EXPECT_EQ(cap, w.transferred);
	EXPECT_EQ(1, __atomic_load_n(&usr1_count, __ATOMIC_SEQ_CST));
	EXPECT_EQ(0, px_ag_read(&ag, op.peer_id, 0, IUC_IO_PARTIAL, 13, 0, cap, &r, &bad));
	EXPECT_EQ(cap, r.transferred);
	EXPECT_EQ(PX_NO_BAD, bad);
	EXPECT_EQ(cap, px_room(fd, op.id));

	/* A message waiting for room. */
	ASSERT_EQ(0, open_to(fd, &ag, 0, 1, IUC_PIPE_MODE_MESSAGE, &mp));
	ASSERT_EQ(0, px_write(fd, mp.id, buf, 100, IUC_IO_BLOCK, &w));
	memset(&w, 0, sizeof(w));
	w.error = ERR_SENTINEL;
	w.id = mp.id;
	w.buf = (uint64_t)(uintptr_t)buf;
	w.count = IUC_MESSAGE_MAX;
	w.mode = IUC_IO_BLOCK;
	ASSERT_EQ(0, px_async_start(&as, fd, IUC_IOC_PIPE_WRITE, &w));
	ASSERT_TRUE(px_wait_status(fd, mp.id, IUC_PIPE_WRITE_PENDING,
				   IUC_PIPE_WRITE_PENDING));
	ASSERT_EQ(0, pthread_kill(as.thread, SIGUSR1));
	ASSERT_EQ(0, px_async_join(&as));
	EXPECT_EQ(-EINTR, as.ret);
	EXPECT_EQ(IUC_E_INTERRUPTED, w.error);
	EXPECT_EQ(0, w.transferred);
	EXPECT_EQ(0, px_ag_read(&ag, mp.peer_id, IUC_MESSAGE_MAX, IUC_IO_BLOCK, 13, 0, 0,
				&r, &bad));
	EXPECT_EQ(100, r.result);
	EXPECT_EQ(-EAGAIN, px_ag_read(&ag, mp.peer_id, IUC_MESSAGE_MAX, IUC_IO_TRY, 13, 0,
				      0, &r, NULL));
	free(buf);
	px_stop(&ag);
}

/* ---- bad buffers ----------------------------------------------------------- */

#define MAP_PAGES	20
#define HOLE_PAGE	16

/*
 * @MAP_PAGES pages of memory with page @HOLE_PAGE unmapped.  Returns the
 * start, or MAP_FAILED.
 */
static char *map_with_hole(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, MAP_PAGES * pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return p;
	memset(p, 0, MAP_PAGES * pg);
	if (munmap(p + HOLE_PAGE * pg, pg))
		return MAP_FAILED;
	return p;
}

/*
 * Writing from an unmapped buffer, or one that runs into unmapped memory,
 * is EFAULT 0x03 in every mode and adds nothing to the pipe.
 */
TEST(efault_write)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *map = map_with_hole();
	char *hole = map + HOLE_PAGE * pg;
	const uint64_t cap = px_cap(1);
	struct iuc_open_pipe op, mp;
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	struct px_agent ag;
	uint64_t bad;
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, px_start_target(&ag));
	ASSERT_EQ(0, open_to(fd, &ag, 0, 1, IUC_PIPE_MODE_RAW, &op));
	ASSERT_EQ(0, open_to(fd, &ag, 0, 1, IUC_PIPE_MODE_MESSAGE, &mp));

	for (int mode = 0; mode <= 2; mode++) {
		EXPECT_EQ(-EFAULT, px_write(fd, op.id, hole, 100, (uint8_t)mode, &w))
			TH_LOG("mode %d", mode);
		EXPECT_EQ(IUC_E_UNMAPPED, w.error);
		EXPECT_EQ(0, w.transferred);
		EXPECT_EQ(-EFAULT, px_write(fd, op.id, hole - 2048, 4096, (uint8_t)mode, &w))
			TH_LOG("mode %d", mode);
		EXPECT_EQ(IUC_E_UNMAPPED, w.error);
		EXPECT_EQ(0, w.transferred);
		EXPECT_EQ(cap, px_room(fd, op.id));
		if (mode == IUC_IO_PARTIAL)
			continue;
		EXPECT_EQ(-EFAULT, px_write(fd, mp.id, hole - 2048, 4096, (uint8_t)mode, &w));
		EXPECT_EQ(IUC_E_UNMAPPED, w.error);
		EXPECT_EQ(cap, px_room(fd, mp.id));
	}

	/* Only what is written from good memory arrives. */
	px_pat_fill(map, 100, 14, 0);
	EXPECT_EQ(0, px_write(fd, op.id, map, 100, IUC_IO_BLOCK, &w));
	EXPECT_EQ(0, px_ag_read(&ag, op.peer_id, 0, IUC_IO_PARTIAL, 14, 0, cap, &r, &bad));
	EXPECT_EQ(100, r.transferred);
	EXPECT_EQ(PX_NO_BAD, bad);
	EXPECT_EQ(0, px_write(fd, mp.id, map, 100, IUC_IO_BLOCK, &w));
	EXPECT_EQ(0, px_ag_read(&ag, mp.peer_id, 0, IUC_IO_TRY, 14, 0, cap, &r, &bad));
	EXPECT_EQ(100, r.result);
	EXPECT_EQ(PX_NO_BAD, bad);
	EXPECT_EQ(-EAGAIN, px_ag_read(&ag, mp.peer_id, 0, IUC_IO_TRY, 14, 0, cap, &r, NULL));
	munmap(map, MAP_PAGES * pg);
	px_stop(&ag);
}

/*
 * Reading into an unmapped buffer, or one that runs into unmapped memory
 * (also where the pending data wraps around the end of the pipe's
 * buffer), is EFAULT 0x03 and takes nothing: the data is still pending
 * and a good buffer gets all of it.  The same for a message.
 */
TEST(efault_read)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *map = map_with_hole();
	char *hole = map + HOLE_PAGE * pg;
	const uint64_t cap = px_cap(1);
	struct iuc_open_pipe op, mp;
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	struct px_agent ag;
	char *buf = malloc(cap);
	uint64_t pending, off = 0;
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, px_start_target(&ag));
	ASSERT_EQ(0, open_to(fd, &ag, 1, 1, IUC_PIPE_MODE_RAW, &op));
	ASSERT_EQ(0, px_ag_write(&ag, op.peer_id, 4096, IUC_IO_BLOCK, 15, 0, &w));

	for (int mode = 0; mode <= 2; mode++) {
		EXPECT_EQ(-EFAULT, px_read(fd, op.id, hole, 100, (uint8_t)mode, &r))
			TH_LOG("mode %d", mode);
		EXPECT_EQ(IUC_E_UNMAPPED, r.error);
		EXPECT_EQ(0, r.transferred);
		EXPECT_EQ(-EFAULT, px_read(fd, op.id, hole - 2048, 4096, (uint8_t)mode, &r))
			TH_LOG("mode %d", mode);
		EXPECT_EQ(IUC_E_UNMAPPED, r.error);
		EXPECT_EQ(0, r.transferred);
		EXPECT_EQ(cap - 4096, px_room(fd, op.id));
	}
	EXPECT_EQ(0, px_read(fd, op.id, buf, 4096, IUC_IO_TRY, &r));
	EXPECT_EQ(PX_NO_BAD, px_pat_check(buf, 4096, 15, off));
	off += 4096;

	/*
	 * Pending data from offset 4096 of the pipe's buffer around its end:
	 * the first piece lands in good memory, the second in the hole.
	 */
	pending = cap - 1000;
	ASSERT_EQ(0, px_ag_write(&ag, op.peer_id, pending, IUC_IO_BLOCK, 15, off, &w));
	ASSERT_LE(cap - 4096 + 4096, (uint64_t)HOLE_PAGE * pg);
	EXPECT_EQ(-EFAULT, px_read(fd, op.id, hole - (cap - 4096), (uint32_t)pending,
				   IUC_IO_BLOCK, &r));
	EXPECT_EQ(IUC_E_UNMAPPED, r.error);
	EXPECT_EQ(cap - pending, px_room(fd, op.id));
	EXPECT_EQ(0, px_read(fd, op.id, buf, (uint32_t)pending, IUC_IO_BLOCK, &r));
	EXPECT_EQ(pending, r.transferred);
	EXPECT_EQ(PX_NO_BAD, px_pat_check(buf, pending, 15, off));

	/* A message. */
	ASSERT_EQ(0, open_to(fd, &ag, 1, 1, IUC_PIPE_MODE_MESSAGE, &mp));
	ASSERT_EQ(0, px_ag_write(&ag, mp.peer_id, 3000, IUC_IO_BLOCK, 16, 0, &w));
	EXPECT_EQ(-EFAULT, px_read(fd, mp.id, hole - 1000, 3000, IUC_IO_BLOCK, &r));
	EXPECT_EQ(IUC_E_UNMAPPED, r.error);
	EXPECT_EQ(-EFAULT, px_read(fd, mp.id, hole, 0, IUC_IO_TRY, &r));
	EXPECT_EQ(IUC_E_UNMAPPED, r.error);
	EXPECT_EQ(0, px_read(fd, mp.id, buf, 3000, IUC_IO_BLOCK, &r));
	EXPECT_EQ(3000, r.result);
	EXPECT_EQ(PX_NO_BAD, px_pat_check(buf, 3000, 16, 0));
	free(buf);
	munmap(map, MAP_PAGES * pg);
	px_stop(&ag);
}

/*
 * A blocking call that faults after it moved data part of the way: EFAULT
 * 0x03 with @transferred the bytes moved, and exactly those moved.  The
 * write copies a capacity from good memory, waits for room, then reaches
 * the hole; the read takes 300 bytes into good memory, waits for more,
 * then reaches the hole and leaves the rest pending.
 */
TEST(efault_part_way)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *map = map_with_hole();
	char *hole = map + HOLE_PAGE * pg;
	const uint64_t cap = px_cap(1);
	struct iuc_open_pipe op;
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	struct px_async as;
	struct px_agent ag;
	char *buf = malloc(cap);
	uint64_t bad;
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ((uint64_t)HOLE_PAGE * pg, cap);
	ASSERT_EQ(0, px_start_target(&ag));

	/* Write: [map, hole) is one capacity of good memory. */
	px_pat_fill(map, cap, 17, 0);
	ASSERT_EQ(0, open_to(fd, &ag, 0, 1, IUC_PIPE_MODE_RAW, &op));
	memset(&w, 0, sizeof(w));
	w.error = ERR_SENTINEL;
	w.id = op.id;
	w.buf = (uint64_t)(uintptr_t)map;
	w.count = cap + 600;
	w.mode = IUC_IO_BLOCK;
	ASSERT_EQ(0, px_async_start(&as, fd, IUC_IOC_PIPE_WRITE, &w));
	ASSERT_TRUE(px_wait_status(fd, op.id, IUC_PIPE_WRITE_PENDING,
				   IUC_PIPE_WRITE_PENDING));
	EXPECT_EQ(0, px_ag_read(&ag, op.peer_id, 300, IUC_IO_BLOCK, 17, 0, 0, &r, &bad));
	EXPECT_EQ(PX_NO_BAD, bad);
	ASSERT_EQ(0, px_async_join(&as));
	EXPECT_EQ(-EFAULT, as.ret);
	EXPECT_EQ(IUC_E_UNMAPPED, w.error);
	EXPECT_EQ(cap, w.transferred);
	EXPECT_EQ(300, px_room(fd, op.id));
	EXPECT_EQ(0, px_ag_read(&ag, op.peer_id, 0, IUC_IO_PARTIAL, 17, 300, cap, &r, &bad));
	EXPECT_EQ(cap - 300, r.transferred);
	EXPECT_EQ(PX_NO_BAD, bad);
	EXPECT_EQ(cap, px_room(fd, op.id));

	/* Read: 300 bytes of good memory before the hole. */
	ASSERT_EQ(0, open_to(fd, &ag, 1, 1, IUC_PIPE_MODE_RAW, &op));
	ASSERT_EQ(0, px_ag_write(&ag, op.peer_id, 300, IUC_IO_BLOCK, 18, 0, &w));
	memset(&r, 0, sizeof(r));
	r.error = ERR_SENTINEL;
	r.id = op.id;
	r.buf = (uint64_t)(uintptr_t)(hole - 300);
	r.count = 600;
	r.mode = IUC_IO_BLOCK;
	ASSERT_EQ(0, px_async_start(&as, fd, IUC_IOC_PIPE_READ, &r));
	ASSERT_TRUE(px_wait_status(fd, op.id, IUC_PIPE_READ_PENDING,
				   IUC_PIPE_READ_PENDING));
	ASSERT_EQ(0, px_ag_write(&ag, op.peer_id, 300, IUC_IO_BLOCK, 18, 300, &w));
	ASSERT_EQ(0, px_async_join(&as));
	EXPECT_EQ(-EFAULT, as.ret);
	EXPECT_EQ(IUC_E_UNMAPPED, r.error);
	EXPECT_EQ(300, r.transferred);
	EXPECT_EQ(PX_NO_BAD, px_pat_check(hole - 300, 300, 18, 0));
	EXPECT_EQ(cap - 300, px_room(fd, op.id));
	EXPECT_EQ(0, px_read(fd, op.id, buf, 0, IUC_IO_TRY, &r));
	EXPECT_EQ(300, r.transferred);
	EXPECT_EQ(PX_NO_BAD, px_pat_check(buf, 300, 18, 300));
	free(buf);
	munmap(map, MAP_PAGES * pg);
	px_stop(&ag);
}

/*
 * Blocking calls for more than the capacity move it in pieces: a write of
 * 3.5 capacities while the agent reads, a read of 3.5 capacities while
 * the agent writes, each in one call.
 */
TEST(block_larger_than_capacity)
{
	const uint64_t cap = px_cap(1), total = cap * 7 / 2;
	struct iuc_open_pipe op;
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	struct px_reply rep;
	struct px_agent ag;
	struct px_msg m;
	char *buf = pat_buf(total, 19);
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, px_start_target(&ag));

	ASSERT_EQ(0, open_to(fd, &ag, 0, 1, IUC_PIPE_MODE_RAW, &op));
	m = px_m(PX_STREAM_READ, op.peer_id);
	px_stream_init(&m.st, total, 19, cap, IUC_IO_BLOCK, 1000, 30000);
	ASSERT_EQ(0, px_send(&ag, &m));
	EXPECT_EQ(0, px_write(fd, op.id, buf, total, IUC_IO_BLOCK, &w));
	EXPECT_EQ(IUC_E_NONE, w.error);
	EXPECT_EQ(total, w.transferred);
	EXPECT_GE(cap, w.result);
	memset(&rep, 0, sizeof(rep));
	EXPECT_EQ(0, px_wait(&ag, &rep, PX_LONG_MS)) TH_LOG("%s", rep.st.why);
	EXPECT_EQ(total, rep.st.done);

	ASSERT_EQ(0, open_to(fd, &ag, 1, 1, IUC_PIPE_MODE_RAW, &op));
	m = px_m(PX_STREAM_WRITE, op.peer_id);
	px_stream_init(&m.st, total, 20, cap, IUC_IO_BLOCK, 1000, 30000);
	ASSERT_EQ(0, px_send(&ag, &m));
	memset(buf, 0, total);
	EXPECT_EQ(0, px_read(fd, op.id, buf, (uint32_t)total, IUC_IO_BLOCK, &r));
	EXPECT_EQ(IUC_E_NONE, r.error);
	EXPECT_EQ(total, r.transferred);
	EXPECT_EQ(0, r.result);
	EXPECT_EQ(PX_NO_BAD, px_pat_check(buf, total, 20, 0));
	memset(&rep, 0, sizeof(rep));
	EXPECT_EQ(0, px_wait(&ag, &rep, PX_LONG_MS)) TH_LOG("%s", rep.st.why);
	free(buf);
	px_stop(&ag);
}

/* ---- 64 MiB streams -------------------------------------------------------- */

#define STREAM_BYTES	(64ull << 20)

FIXTURE(stream) {
	int fd;
};

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
	self->fd = px_ctx();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(stream)
{
	close(self->fd);
}

/*
 * 64 MiB from an agent to the test process through a 64 KiB pipe, with
 * chunk sizes that never match the capacity (writes of 1..40000 bytes,
 * reads of 1..24000, every 8th read with count 0).  Every byte is checked
 * at its offset, and the writer's checksum of what it sent equals the
 * reader's of what it got.  (A try write of w and a try read of r bytes
 * cannot both fail for lack of room/data when w + r <= capacity.)
 */
TEST_F_TIMEOUT(stream, transfer_64mib, 600)
{
	const uint64_t cap = px_cap(1);
	struct iuc_open_pipe op;
	struct px_stream rd;
	struct px_reply rep;
	struct px_agent ag;
	struct px_msg m;
	uint64_t seed = 0x5EED0000u + variant->wmode * 3 + variant->rmode;
	int fd = self->fd;

	ASSERT_EQ(0, px_start_target(&ag));
	ASSERT_EQ(0, open_to(fd, &ag, 1, 1, IUC_PIPE_MODE_RAW, &op));

	m = px_m(PX_STREAM_WRITE, op.peer_id);
	px_stream_init(&m.st, STREAM_BYTES, seed, cap, variant->wmode, 1, 40000);
	ASSERT_EQ(0, px_send(&ag, &m));

	px_stream_init(&rd, STREAM_BYTES, seed, cap, variant->rmode, 1, 24000);
	rd.zero_every = 8;
	EXPECT_EQ(0, px_stream_read(fd, op.id, &rd))
		TH_LOG("reader: %s, error 0x%x, wrong byte at %llu", rd.why, rd.error,
		       (unsigned long long)rd.bad);
	if (rd.ret)
		px_stop(&ag);	/* the writer may wait forever */
	ASSERT_EQ(0, rd.ret);
	memset(&rep, 0, sizeof(rep));
	ASSERT_EQ(0, px_wait(&ag, &rep, PX_LONG_MS)) TH_LOG("writer: %s, error 0x%x",
							    rep.st.why, rep.st.error);
	EXPECT_EQ(STREAM_BYTES, rep.st.done);
	EXPECT_EQ(STREAM_BYTES, rd.done);
	EXPECT_EQ(PX_NO_BAD, rd.bad);
	EXPECT_EQ(rep.st.sum.a, rd.sum.a);
	EXPECT_EQ(rep.st.sum.b, rd.sum.b);
	EXPECT_EQ(cap, px_room(fd, op.id));
	TH_LOG("%llu writes (%llu retries, %llu locked), %llu reads (%llu retries, %llu locked)",
	       (unsigned long long)rep.st.calls, (unsigned long long)rep.st.retries,
	       (unsigned long long)rep.st.locked, (unsigned long long)rd.calls,
	       (unsigned long long)rd.retries, (unsigned long long)rd.locked);
	px_stop(&ag);
}

TEST_HARNESS_MAIN
