// SPDX-License-Identifier: GPL-2.0
/*
 * IUC selftests: the direct path of pipes.
 *
 * A blocking PIPE_READ of 8 KiB or more that finds its pipe empty lends
 * its buffer (its pages pinned) to the writers, who copy straight into
 * it: one copy instead of two through the ring.  The path is seen
 * deterministically through a blocking write's result, the room after
 * it, which the writer takes before any reader can run: the capacity
 * when its bytes went into the reader's buffer, less when they went into
 * the ring.
 *
 * - raw bytes and whole messages into a waiting reader's buffer; a read
 *   below 8 KiB keeps the ring; a message larger than the buffer stays
 *   queued (EMSGSIZE as before); what does not fit follows in the ring,
 *   in order; TRY and PARTIAL writes keep their results;
 * - a reader interrupted, or its pipe closed, with bytes in its lent
 *   buffer: exactly those are its, nothing is lost or repeated; a reader
 *   is never held by a writer stalled in a fault of its own source;
 * - the buffer's mapping changed by a sibling while it is lent (munmap,
 *   mremap, mprotect): the bytes go to the pages lent at call time; a
 *   read-only buffer is not lent and fails where it did; a buffer shared
 *   copy-on-write with a child is unshared first; a reader killed with its
 *   buffer lent;
 * - checksummed streams of many write and read sizes through both paths.
 */
#include "kselftest_harness.h"
#include "iuc_test.h"

#define KiB		1024ull
#define LEND		(64 * KiB)	/* a read that lends its buffer */
#define SMALL		(4 * KiB)	/* a read that does not */

/* A pipe from the test process to itself: it holds both ends. */
static int open_self(int fd, uint8_t mode, uint8_t mult, struct iuc_open_pipe *op)
{
	*op = iuc_pipe_args(getpid(), 0x44);
	op->mode = mode;
	op->multiplier = mult;
	op->notify = IUC_NOTIFY_SKIP;
	return iuc_open_pipe(fd, op);
}

/* @len bytes of fresh private memory, or NULL. */
static char *map_rw(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * The test's context with two pipes to itself, raw of 1 MiB and message of
 * 64 KiB, and a source of 1 MiB + 64 KiB of pattern 1.
 */
FIXTURE(direct) {
	int fd;
	struct iuc_open_pipe raw, msg;
	uint64_t cap, mcap;
	char *src;
};

FIXTURE_SETUP(direct)
{
	self->fd = iuc_pipe_ctx();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, open_self(self->fd, IUC_PIPE_MODE_RAW, 16, &self->raw));
	ASSERT_EQ(0, open_self(self->fd, IUC_PIPE_MODE_MESSAGE, 1, &self->msg));
	self->cap = iuc_pipe_cap(16);
	self->mcap = iuc_pipe_cap(1);
	self->src = map_rw(self->cap + LEND);
	ASSERT_NE(NULL, self->src);
	pat_fill(self->src, self->cap + LEND, 1, 0);
	ASSERT_EQ(0, usr1_install());
}

FIXTURE_TEARDOWN(direct)
{
	munmap(self->src, self->cap + LEND);
	close(self->fd);
}

/*
 * Start a blocking read of @count bytes into @buf from @rc in a thread and
 * wait until it sleeps in the kernel (READ_PENDING: its buffer is lent,
 * if it is to be, before the reader counts as waiting).
 */
static void start_reader(struct __test_metadata *_metadata, int fd,
			 struct async_io *io, uint64_t rc, void *buf,
			 uint64_t count)
{
	ASSERT_EQ(0, async_io_start(io, fd, rc, false, buf, count, IUC_IO_BLOCK));
	ASSERT_TRUE(iuc_pipe_wait_status(fd, rc, IUC_PIPE_READ_PENDING,
					 IUC_PIPE_READ_PENDING));
	ASSERT_EQ(0, race_wait_asleep(io->as.tid, RACE_TIMEOUT_MS));
	ASSERT_FALSE(async_call_done(&io->as));
}

/* Join the reader of @io: its return value. */
static int join_reader(struct __test_metadata *_metadata, struct async_io *io)
{
	ASSERT_EQ(0, async_call_join(&io->as));
	return io->as.ret;
}

/* A blocking write of @n bytes of the source from @off: its result (room). */
static uint64_t write_block(struct __test_metadata *_metadata, int fd,
			    uint64_t sc, const char *src, uint64_t off,
			    uint64_t n)
{
	struct iuc_pipe_write w;

	EXPECT_EQ(0, iuc_pipe_write(fd, sc, src + off, n, IUC_IO_BLOCK, &w));
	EXPECT_EQ(IUC_E_NONE, w.error);
	EXPECT_EQ(n, w.transferred);
	return w.result;
}

/* The pipe holds exactly bytes [@off, +@n) of pattern 1. */
static void expect_ring(struct __test_metadata *_metadata, int fd, uint64_t rc,
			uint64_t off, uint64_t n)
{
	struct iuc_pipe_read r;
	char *buf = malloc(n + 1);

	ASSERT_NE(NULL, buf);
	if (n) {
		EXPECT_EQ(0, iuc_pipe_read(fd, rc, buf, (uint32_t)n, IUC_IO_TRY, &r));
		EXPECT_EQ(n, r.transferred);
		EXPECT_EQ(PAT_NO_BAD, pat_check(buf, n, 1, off));
	}
	EXPECT_EQ(-EAGAIN, iuc_pipe_read(fd, rc, buf, 1, IUC_IO_TRY, &r));
	EXPECT_EQ(IUC_TRY_NOT_ENOUGH, r.result);
	free(buf);
}

/* ---- which path -------------------------------------------------------------- */

/*
 * A 64 KiB write into a pipe whose reader waits for 64 KiB goes into the
 * reader's buffer: the room stays the whole capacity; the reader gets the
 * bytes, result 0 (nothing pending).
 */
TEST_F(direct, write_goes_into_the_waiting_readers_buffer)
{
	const long long pages = LEND / race_page_size();
	long long acq0, rel0, acq, rel;
	char *buf = map_rw(LEND);
	struct async_io io;

	ASSERT_NE(NULL, buf);
	memset(buf, 0, LEND);
	ASSERT_EQ(0, pin_counters(&acq0, &rel0));
	start_reader(_metadata, self->fd, &io, self->raw.peer_id, buf, LEND);
	EXPECT_EQ(self->cap, write_block(_metadata, self->fd, self->raw.id,
					 self->src, 0, LEND));
	EXPECT_EQ(0, join_reader(_metadata, &io));
	EXPECT_EQ(IUC_E_NONE, io.u.r.error);
	EXPECT_EQ(LEND, io.u.r.transferred);
	EXPECT_EQ(0, io.u.r.result);
	EXPECT_EQ(PAT_NO_BAD, pat_check(buf, LEND, 1, 0));
	EXPECT_EQ(self->cap, iuc_pipe_room(self->fd, self->raw.id));

	/* Its pages were pinned for the wait, and released before it returned. */
	ASSERT_EQ(0, pin_counters(&acq, &rel));
	EXPECT_EQ(pages, acq - acq0);
	EXPECT_EQ(pages, rel - rel0);
	munmap(buf, LEND);
}

/* A reader of less than 8 KiB does not lend its buffer: the ring carries. */
TEST_F(direct, small_read_keeps_the_ring)
{
	char buf[SMALL];
	struct async_io io;

	start_reader(_metadata, self->fd, &io, self->raw.peer_id, buf, SMALL);
	EXPECT_EQ(self->cap - SMALL, write_block(_metadata, self->fd, self->raw.id,
						 self->src, 0, SMALL));
	EXPECT_EQ(0, join_reader(_metadata, &io));
	EXPECT_EQ(SMALL, io.u.r.transferred);
	EXPECT_EQ(PAT_NO_BAD, pat_check(buf, SMALL, 1, 0));
}

/*
 * Writes smaller than the lent buffer fill it without waking the reader;
 * what does not fit follows in the ring, behind it: 10 KiB, then 100 KiB
 * of which 54 KiB complete the reader's 64 KiB and 46 KiB stay queued.
 */
TEST_F(direct, buffer_fills_then_the_rest_follows_in_the_ring)
{
	char *buf = map_rw(LEND);
	struct async_io io;

	ASSERT_NE(NULL, buf);
	start_reader(_metadata, self->fd, &io, self->raw.peer_id, buf, LEND);
	EXPECT_EQ(self->cap, write_block(_metadata, self->fd, self->raw.id,
					 self->src, 0, 10 * KiB));
	ASSERT_EQ(0, race_wait_asleep(io.as.tid, RACE_TIMEOUT_MS));
	EXPECT_FALSE(async_call_done(&io.as));
	EXPECT_EQ(self->cap - 46 * KiB,
		  write_block(_metadata, self->fd, self->raw.id, self->src,
			      10 * KiB, 100 * KiB));
	EXPECT_EQ(0, join_reader(_metadata, &io));
	EXPECT_EQ(LEND, io.u.r.transferred);
	EXPECT_EQ(46 * KiB, io.u.r.result);
	EXPECT_EQ(PAT_NO_BAD, pat_check(buf, LEND, 1, 0));
	expect_ring(_metadata, self->fd, self->raw.peer_id, LEND, 46 * KiB);
	munmap(buf, LEND);
}

/*
 * TRY and PARTIAL writes into a lent buffer: a TRY write larger than the
 * room fails whole, moving nothing; one that fits succeeds (result: its
 * count); a PARTIAL write completes the buffer and queues the rest.
 */
TEST_F(direct, try_and_partial_writes)
{
	const uint64_t sc = self->raw.id;
	char *buf = map_rw(LEND);
	struct iuc_pipe_write w;
	struct async_io io;

	ASSERT_NE(NULL, buf);
	start_reader(_metadata, self->fd, &io, self->raw.peer_id, buf, LEND);
	EXPECT_EQ(-EAGAIN, iuc_pipe_write(self->fd, sc, self->src, self->cap + 1,
					  IUC_IO_TRY, &w));
	EXPECT_EQ(IUC_E_WRITE_NO_ROOM, w.error);
	EXPECT_EQ(IUC_TRY_NOT_ENOUGH, w.result);
	EXPECT_EQ(0, w.transferred);
	EXPECT_FALSE(async_call_done(&io.as));

	EXPECT_EQ(0, iuc_pipe_write(self->fd, sc, self->src, 20 * KiB, IUC_IO_TRY, &w));
	EXPECT_EQ(20 * KiB, w.transferred);
	EXPECT_EQ(20 * KiB, w.result);
	EXPECT_EQ(self->cap, iuc_pipe_room(self->fd, sc));

	EXPECT_EQ(0, iuc_pipe_write(self->fd, sc, self->src + 20 * KiB, 100 * KiB,
				    IUC_IO_PARTIAL, &w));
	EXPECT_EQ(100 * KiB, w.transferred);
	EXPECT_EQ(100 * KiB, w.result);
	EXPECT_EQ(self->cap - 56 * KiB, iuc_pipe_room(self->fd, sc));

	EXPECT_EQ(0, join_reader(_metadata, &io));
	EXPECT_EQ(LEND, io.u.r.transferred);
	EXPECT_EQ(PAT_NO_BAD, pat_check(buf, LEND, 1, 0));
	expect_ring(_metadata, self->fd, self->raw.peer_id, LEND, 56 * KiB);
	munmap(buf, LEND);
}

/* ---- message pipes ----------------------------------------------------------- */

/* A message that fits the waiting reader's buffer goes into it whole. */
TEST_F(direct, message_goes_whole_into_the_waiting_readers_buffer)
{
	char *buf = map_rw(IUC_MESSAGE_MAX);
	struct async_io io;

	ASSERT_NE(NULL, buf);
	start_reader(_metadata, self->fd, &io, self->msg.peer_id, buf, IUC_MESSAGE_MAX);
	EXPECT_EQ(self->mcap, write_block(_metadata, self->fd, self->msg.id,
					  self->src, 0, 20000));
	EXPECT_EQ(0, join_reader(_metadata, &io));
	EXPECT_EQ(IUC_E_NONE, io.u.r.error);
	EXPECT_EQ(20000, io.u.r.result);
	EXPECT_EQ(20000, io.u.r.transferred);
	EXPECT_EQ(PAT_NO_BAD, pat_check(buf, 20000, 1, 0));
	expect_ring(_metadata, self->fd, self->msg.peer_id, 0, 0);
	munmap(buf, IUC_MESSAGE_MAX);
}

/*
 * A message larger than the waiting reader's buffer stays queued: the
 * reader fails with EMSGSIZE and the length, as without a lent buffer,
 * and the message is still there, whole, for a larger buffer.
 */
TEST_F(direct, message_larger_than_the_buffer_stays_queued)
{
	char *buf = map_rw(IUC_MESSAGE_MAX);
	struct iuc_pipe_read r;
	struct async_io io;

	ASSERT_NE(NULL, buf);
	start_reader(_metadata, self->fd, &io, self->msg.peer_id, buf, 16 * KiB);
	EXPECT_EQ(self->mcap - 20000, write_block(_metadata, self->fd, self->msg.id,
						  self->src, 0, 20000));
	EXPECT_EQ(-EMSGSIZE, join_reader(_metadata, &io));
	EXPECT_EQ(IUC_E_READ_BUFFER_TOO_SMALL, io.u.r.error);
	EXPECT_EQ(20000, io.u.r.result);
	EXPECT_EQ(0, io.u.r.transferred);

	EXPECT_EQ(0, iuc_pipe_read(self->fd, self->msg.peer_id, buf, IUC_MESSAGE_MAX,
				   IUC_IO_TRY, &r));
	EXPECT_EQ(20000, r.result);
	EXPECT_EQ(PAT_NO_BAD, pat_check(buf, 20000, 1, 0));
	munmap(buf, IUC_MESSAGE_MAX);
}

/* ---- the end of a wait with bytes in the lent buffer ------------------------- */

/*
 * A signal ends the wait of a reader whose buffer holds 10 KiB: EINTR,
 * 0x0F, @transferred 10 KiB, exactly those bytes; nothing else is pending
 * and the stream goes on from there.
 */
TEST_F(direct, interrupted_reader_keeps_exactly_what_it_got)
{
	char *buf = map_rw(LEND);
	struct async_io io;

	ASSERT_NE(NULL, buf);
	start_reader(_metadata, self->fd, &io, self->raw.peer_id, buf, LEND);
	EXPECT_EQ(self->cap, write_block(_metadata, self->fd, self->raw.id,
					 self->src, 0, 10 * KiB));
	ASSERT_EQ(0, pthread_kill(io.as.thread, SIGUSR1));
	EXPECT_EQ(-EINTR, join_reader(_metadata, &io));
	EXPECT_EQ(IUC_E_INTERRUPTED, io.u.r.error);
	EXPECT_EQ(10 * KiB, io.u.r.transferred);
	EXPECT_EQ(PAT_NO_BAD, pat_check(buf, 10 * KiB, 1, 0));
	EXPECT_EQ(self->cap, iuc_pipe_room(self->fd, self->raw.id));
	expect_ring(_metadata, self->fd, self->raw.peer_id, 0, 0);

	EXPECT_EQ(self->cap - 5 * KiB, write_block(_metadata, self->fd, self->raw.id,
						   self->src, 10 * KiB, 5 * KiB));
	expect_ring(_metadata, self->fd, self->raw.peer_id, 10 * KiB, 5 * KiB);
	munmap(buf, LEND);
}

/* The pipe closes while the lent buffer holds 10 KiB: EPIPE, 0x21, those 10 KiB. */
TEST_F(direct, closed_pipe_leaves_the_reader_what_it_got)
{
	char *buf = map_rw(LEND);
	struct async_io io;

	ASSERT_NE(NULL, buf);
	start_reader(_metadata, self->fd, &io, self->raw.peer_id, buf, LEND);
	EXPECT_EQ(self->cap, write_block(_metadata, self->fd, self->raw.id,
					 self->src, 0, 10 * KiB));
	ASSERT_EQ(0, iuc_close_pipe(self->fd, self->raw.id, NULL));
	EXPECT_EQ(-EPIPE, join_reader(_metadata, &io));
	EXPECT_EQ(IUC_E_READ_CLOSED, io.u.r.error);
	EXPECT_EQ(10 * KiB, io.u.r.transferred);
	EXPECT_EQ(PAT_NO_BAD, pat_check(buf, 10 * KiB, 1, 0));
	munmap(buf, LEND);
}

/*
 * A writer whose source stops at a page that is not there (a userfaultfd
 * stall) fills the lent buffer up to that page, gives it back, and takes
 * the fault in the ring path, holding the pipe's copy lock.  The reader
 * must not wait for that fault: a signal ends its call at once, with the
 * 60 KiB it got.  Once the page comes, the writer ends and its last 4 KiB
 * are queued.
 */
TEST_F(direct, reader_is_not_held_by_a_writer_stalled_in_a_fault)
{
	const long pg = race_page_size();
	struct async_io rd, wr;
	struct uffd_stall st;
	char *buf = map_rw(LEND), *page = malloc(pg);
	int ret;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, page);
	ASSERT_EQ(0, LEND % pg);
	ret = uffd_stall_init(&st, LEND / pg, 1);
	if (ret == -ENOSYS)
		SKIP(return, "no userfaultfd");
	ASSERT_EQ(0, ret);
	pat_fill(st.base, LEND - pg, 1, 0);
	pat_fill(page, pg, 1, LEND - pg);

	start_reader(_metadata, self->fd, &rd, self->raw.peer_id, buf, LEND);
	ASSERT_EQ(0, async_io_start(&wr, self->fd, self->raw.id, true, st.base, LEND,
				    IUC_IO_BLOCK));
	ASSERT_EQ(0, uffd_stall_wait(&st, RACE_TIMEOUT_MS));
	ASSERT_EQ(0, pthread_kill(rd.as.thread, SIGUSR1));
	EXPECT_EQ(-EINTR, join_reader(_metadata, &rd));
	EXPECT_EQ(IUC_E_INTERRUPTED, rd.u.r.error);
	EXPECT_EQ(LEND - pg, rd.u.r.transferred);
	EXPECT_EQ(PAT_NO_BAD, pat_check(buf, LEND - pg, 1, 0));
	EXPECT_FALSE(async_call_done(&wr.as));

	ASSERT_EQ(0, uffd_stall_release(&st, page, 0));
	ASSERT_EQ(0, async_call_join(&wr.as));
	EXPECT_EQ(0, wr.as.ret);
	EXPECT_EQ(LEND, wr.u.w.transferred);
	EXPECT_EQ(self->cap - pg, wr.u.w.result);
	expect_ring(_metadata, self->fd, self->raw.peer_id, LEND - pg, pg);
	uffd_stall_destroy(&st);
	free(page);
	munmap(buf, LEND);
}

/* ---- the lent buffer's mapping ---------------------------------------------- */

/*
 * A sibling unmaps the buffer while it is lent: the pages stay pinned
 * until the call returns, the bytes go into them (as with O_DIRECT), and
 * the read succeeds.  Nothing of the unmapped range is mapped again.
 */
TEST_F(direct, buffer_unmapped_while_lent_takes_the_bytes)
{
	char *buf = map_rw(LEND);
	struct async_io io;

	ASSERT_NE(NULL, buf);
	memset(buf, 0, LEND);
	start_reader(_metadata, self->fd, &io, self->raw.peer_id, buf, LEND);
	ASSERT_EQ(0, munmap(buf, LEND));
	EXPECT_EQ(self->cap, write_block(_metadata, self->fd, self->raw.id,
					 self->src, 0, LEND));
	EXPECT_EQ(0, join_reader(_metadata, &io));
	EXPECT_EQ(LEND, io.u.r.transferred);
	expect_ring(_metadata, self->fd, self->raw.peer_id, 0, 0);
}

/* A sibling moves the lent buffer (mremap): the bytes are at the new place. */
TEST_F(direct, buffer_moved_while_lent_holds_the_bytes_where_it_went)
{
	char *buf = map_rw(LEND), *to = map_rw(2 * LEND), *moved;
	struct async_io io;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, to);
	memset(buf, 0, LEND);
	start_reader(_metadata, self->fd, &io, self->raw.peer_id, buf, LEND);
	moved = mremap(buf, LEND, LEND, MREMAP_MAYMOVE | MREMAP_FIXED, to + LEND);
	ASSERT_EQ(to + LEND, moved);
	EXPECT_EQ(self->cap, write_block(_metadata, self->fd, self->raw.id,
					 self->src, 0, LEND));
	EXPECT_EQ(0, join_reader(_metadata, &io));
	EXPECT_EQ(LEND, io.u.r.transferred);
	EXPECT_EQ(PAT_NO_BAD, pat_check(moved, LEND, 1, 0));
	munmap(to, 2 * LEND);
}

/*
 * A sibling makes the lent buffer read-only: the write still lands in the
 * pages lent at call time, as an O_DIRECT read would.
 */
TEST_F(direct, buffer_made_read_only_while_lent_takes_the_bytes)
{
	char *buf = map_rw(LEND);
	struct async_io io;

	ASSERT_NE(NULL, buf);
	memset(buf, 0, LEND);
	start_reader(_metadata, self->fd, &io, self->raw.peer_id, buf, LEND);
	ASSERT_EQ(0, mprotect(buf, LEND, PROT_READ));
	EXPECT_EQ(self->cap, write_block(_metadata, self->fd, self->raw.id,
					 self->src, 0, LEND));
	EXPECT_EQ(0, join_reader(_metadata, &io));
	EXPECT_EQ(LEND, io.u.r.transferred);
	EXPECT_EQ(PAT_NO_BAD, pat_check(buf, LEND, 1, 0));
	munmap(buf, LEND);
}

/*
 * A read-only buffer is not lent (its pages cannot be pinned for
 * writing): the bytes wait in the ring and the read fails with EFAULT,
 * 0x10, where it always did; the bytes are still there afterwards.
 */
TEST_F(direct, read_only_buffer_is_not_lent_and_fails_as_before)
{
	char *buf = map_rw(LEND);
	struct async_io io;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, mprotect(buf, LEND, PROT_READ));
	start_reader(_metadata, self->fd, &io, self->raw.peer_id, buf, LEND);
	EXPECT_EQ(self->cap - LEND, write_block(_metadata, self->fd, self->raw.id,
						self->src, 0, LEND));
	EXPECT_EQ(-EFAULT, join_reader(_metadata, &io));
	EXPECT_EQ(IUC_E_UNMAPPED, io.u.r.error);
	EXPECT_EQ(0, io.u.r.transferred);
	expect_ring(_metadata, self->fd, self->raw.peer_id, 0, LEND);
	munmap(buf, LEND);
}

/*
 * The buffer is shared copy-on-write with a child (fork): lending it
 * unshares it in the reader, so the child's copy keeps its bytes.
 */
TEST_F(direct, buffer_shared_with_a_child_is_unshared_first)
{
	char *buf = map_rw(LEND), go = 'g';
	struct async_io io;
	int sync[2], status;
	pid_t child;

	ASSERT_NE(NULL, buf);
	memset(buf, 0xa5, LEND);
	ASSERT_EQ(0, pipe(sync));
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		char c;

		close(sync[1]);
		if (read(sync[0], &c, 1) != 1)
			_exit(2);
		for (uint64_t i = 0; i < LEND; i++)
			if ((unsigned char)buf[i] != 0xa5)
				_exit(1);
		_exit(0);
	}
	close(sync[0]);
	start_reader(_metadata, self->fd, &io, self->raw.peer_id, buf, LEND);
	EXPECT_EQ(self->cap, write_block(_metadata, self->fd, self->raw.id,
					 self->src, 0, LEND));
	EXPECT_EQ(0, join_reader(_metadata, &io));
	EXPECT_EQ(PAT_NO_BAD, pat_check(buf, LEND, 1, 0));
	ASSERT_EQ(1, write(sync[1], &go, 1));
	close(sync[1]);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	munmap(buf, LEND);
}

/* ---- another process ---------------------------------------------------------- */

/* The test writes, a target peer reads. */
FIXTURE(peer_reader) {
	int fd;
	struct peer peer;
	struct iuc_open_pipe op;
	char *src;
};

FIXTURE_SETUP(peer_reader)
{
	self->fd = iuc_pipe_ctx();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, peer_start_target(&self->peer));
	self->op = iuc_pipe_args(self->peer.pid, 0x45);
	self->op.multiplier = 1;
	self->op.notify = IUC_NOTIFY_SKIP;
	ASSERT_EQ(0, iuc_open_pipe(self->fd, &self->op));
	self->src = map_rw(LEND);
	ASSERT_NE(NULL, self->src);
	pat_fill(self->src, LEND, 3, 0);
}

FIXTURE_TEARDOWN(peer_reader)
{
	if (self->peer.pid > 0 && self->peer.pending)
		peer_kill(&self->peer);
	else if (self->peer.pid > 0)
		peer_stop(&self->peer);
	munmap(self->src, LEND);
	close(self->fd);
}

/*
 * The peer's read gets a write straight into its buffer; then it is
 * killed while its buffer is lent and holds 10 KiB: the pipe closes as
 * "terminated", the next write fails with EPIPE, and the pins are
 * released (iuc_pins_final_test checks the balance at the end).
 */
TEST_F(peer_reader, reader_in_another_process_and_killed_while_lent)
{
	const uint64_t cap = iuc_pipe_cap(1);
	struct iuc_pipe_write w;
	struct peer_reply rep;
	struct peer_msg m;

	m = peer_msg_read(self->op.peer_id, LEND, IUC_IO_BLOCK, 3, 0, 0);
	ASSERT_EQ(0, peer_send(&self->peer, &m));
	ASSERT_TRUE(iuc_pipe_wait_status(self->fd, self->op.id, IUC_PIPE_READ_PENDING,
					 IUC_PIPE_READ_PENDING));
	ASSERT_EQ(0, race_wait_task_asleep(self->peer.pid, self->peer.pid,
					   RACE_TIMEOUT_MS));
	EXPECT_EQ(cap, write_block(_metadata, self->fd, self->op.id, self->src, 0, LEND));
	ASSERT_EQ(0, peer_wait(&self->peer, &rep, TIMEOUT_MS));
	EXPECT_EQ(0, rep.ret);
	EXPECT_EQ(LEND, rep.u.r.transferred);
	EXPECT_EQ(PAT_NO_BAD, rep.v[0]);

	m = peer_msg_read(self->op.peer_id, LEND, IUC_IO_BLOCK, 3, 0, 0);
	ASSERT_EQ(0, peer_send(&self->peer, &m));
	ASSERT_TRUE(iuc_pipe_wait_status(self->fd, self->op.id, IUC_PIPE_READ_PENDING,
					 IUC_PIPE_READ_PENDING));
	ASSERT_EQ(0, race_wait_task_asleep(self->peer.pid, self->peer.pid,
					   RACE_TIMEOUT_MS));
	EXPECT_EQ(cap, write_block(_metadata, self->fd, self->op.id, self->src, 0,
				   10 * KiB));
	EXPECT_EQ(SIGKILL, peer_kill(&self->peer));
	self->peer.pid = 0;
	ASSERT_TRUE(iuc_pipe_wait_status(self->fd, self->op.id, IUC_PIPE_OPENED, 0));
	EXPECT_EQ(-EPIPE, iuc_pipe_write(self->fd, self->op.id, self->src, 1,
					 IUC_IO_BLOCK, &w));
	EXPECT_EQ(IUC_E_WRITE_CLOSED, w.error);
}

/* ---- streams through both paths ---------------------------------------------- */

#define STREAM_TOTAL	(24ull << 20)

/* A target peer writes, the test reads: chunk sizes on both sides. */
FIXTURE(stream) {
	int fd;
	struct peer peer;
	struct iuc_open_pipe in;
};

FIXTURE_VARIANT(stream) {
	uint8_t mult;			/* capacity in 64 KiB */
	uint32_t wmin, wmax, rmin, rmax;
};

FIXTURE_VARIANT_ADD(stream, small_writes_large_reads) {
	.mult = 1, .wmin = 1, .wmax = 2048, .rmin = 8192, .rmax = 65536,
};

FIXTURE_VARIANT_ADD(stream, large_writes_large_reads) {
	.mult = 16, .wmin = 8192, .wmax = 300000, .rmin = 8192, .rmax = 300000,
};

FIXTURE_VARIANT_ADD(stream, writes_around_reads) {
	.mult = 16, .wmin = 60000, .wmax = 70000, .rmin = 65536, .rmax = 65536,
};

FIXTURE_VARIANT_ADD(stream, both_sides_across_the_threshold) {
	.mult = 2, .wmin = 1, .wmax = 40000, .rmin = 1, .rmax = 40000,
};

FIXTURE_SETUP(stream)
{
	self->fd = iuc_pipe_ctx();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, peer_start_target(&self->peer));
	self->in = iuc_pipe_args(self->peer.pid, 0x46);
	self->in.type = IUC_PIPE_TYPE_CALLER_RECEIVES;
	self->in.multiplier = variant->mult;
	self->in.notify = IUC_NOTIFY_SKIP;
	ASSERT_EQ(0, iuc_open_pipe(self->fd, &self->in));
}

FIXTURE_TEARDOWN(stream)
{
	if (self->peer.pending)
		peer_kill(&self->peer);
	else
		EXPECT_EQ(0, peer_stop(&self->peer));
	close(self->fd);
}

/* Every byte arrives once and in order, checksums equal on both sides. */
TEST_F(stream, checksummed)
{
	uint64_t seed = 0xD1EC7000u + variant->wmax + variant->rmin;
	struct peer_reply rep;
	struct peer_msg m;
	struct stream wr, rd;

	stream_init(&wr, STREAM_TOTAL, seed, iuc_pipe_cap(variant->mult),
		    IUC_IO_BLOCK, variant->wmin, variant->wmax);
	m = peer_msg_stream(PEER_STREAM_WRITE, self->in.peer_id, &wr);
	ASSERT_EQ(0, peer_send(&self->peer, &m));

	stream_init(&rd, STREAM_TOTAL, seed, iuc_pipe_cap(variant->mult),
		    IUC_IO_BLOCK, variant->rmin, variant->rmax);
	ASSERT_EQ(0, stream_read(self->fd, self->in.id, &rd))
		TH_LOG("reader: %s, error 0x%x, wrong byte at %llu", rd.why, rd.error,
		       (unsigned long long)rd.bad);
	memset(&rep, 0, sizeof(rep));
	ASSERT_EQ(0, peer_wait(&self->peer, &rep, LONG_MS))
		TH_LOG("writer: %s, error 0x%x", rep.st.why, rep.st.error);
	EXPECT_EQ(STREAM_TOTAL, rep.st.done);
	EXPECT_EQ(STREAM_TOTAL, rd.done);
	EXPECT_EQ(PAT_NO_BAD, rd.bad);
	EXPECT_EQ(rep.st.sum.a, rd.sum.a);
	EXPECT_EQ(rep.st.sum.b, rd.sum.b);
}

TEST_HARNESS_MAIN
