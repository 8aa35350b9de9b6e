// SPDX-License-Identifier: GPL-2.0
/*
 * IUC calls submitted through io_uring (IORING_OP_URING_CMD, with liburing):
 * cmd_op is the IUC_IOC_* command, the first 8 bytes of the command area
 * the address of the argument struct; the completion carries 0 or -errno.
 * A blocking PIPE_READ or PIPE_WRITE waits parked in the pipe, with no
 * thread (no io-wq worker ever appears in /proc/self/task), where the
 * kernel's io_uring can cancel a waiting command; elsewhere it waits in an
 * io-wq worker.  Every test checks what holds on both.
 */
#include <dirent.h>
#include <liburing.h>

#include "kselftest_harness.h"
#include "iuc_test.h"

/* Queue one IUC call on @ring: 0, or -EBUSY when the ring is full. */
static int prep_iuc_cmd(struct io_uring *ring, int fd, unsigned int cmd,
			void *args, __u64 user_data)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe)
		return -EBUSY;
	iuc_uring_prep(sqe, fd, cmd, args);
	sqe->user_data = user_data;
	return 0;
}

/* The next completion, waiting at most 10 s. */
static int wait_cqe(struct io_uring *ring, __u64 *user_data, int *res)
{
	struct __kernel_timespec ts = { .tv_sec = 10 };
	struct io_uring_cqe *cqe;
	int ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);

	if (ret)
		return ret;
	*user_data = cqe->user_data;
	*res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return 0;
}

FIXTURE(uring) {
	struct io_uring ring;
	int fd;
	__u64 sc, rc;
};

/* A context and a pipe of the test process to itself: both ends here. */
FIXTURE_SETUP(uring)
{
	struct iuc_open_pipe op = iuc_pipe_args(getpid(), 0);

	self->fd = iuc_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, io_uring_queue_init(8, &self->ring, 0));
	op.notify = IUC_NOTIFY_SKIP;
	ASSERT_EQ(0, iuc_open_pipe(self->fd, &op));
	self->sc = op.id;
	self->rc = op.peer_id;
}

FIXTURE_TEARDOWN(uring)
{
	io_uring_queue_exit(&self->ring);
	close(self->fd);
}

/*
 * A blocking read waits in io_uring's worker, not in a thread of ours,
 * and completes when a write brings the data.
 */
TEST_F(uring, blocking_read_completes_on_write)
{
	struct iuc_pipe_read rd = { 0 };
	struct iuc_pipe_write wr;
	struct io_uring_cqe *cqe;
	char buf[8] = { 0 };
	__u64 ud;
	int res;

	rd.id = self->rc;
	rd.buf = (uintptr_t)buf;
	rd.count = 5;
	rd.mode = IUC_IO_BLOCK;
	ASSERT_EQ(0, prep_iuc_cmd(&self->ring, self->fd, IUC_IOC_PIPE_READ, &rd, 1));
	ASSERT_EQ(1, io_uring_submit(&self->ring));

	/*
	 * The read waits in the pipe: the module counts a waiting reader
	 * (PIPE_INFO's READ_PENDING) from just before it sleeps until it
	 * wakes, so seeing the bit means the read is blocked, and a write
	 * from now on wakes it.  It has not completed.
	 */
	ASSERT_TRUE(iuc_pipe_wait_status(self->fd, self->sc, IUC_PIPE_READ_PENDING,
					 IUC_PIPE_READ_PENDING));
	EXPECT_EQ(-EAGAIN, io_uring_peek_cqe(&self->ring, &cqe));

	ASSERT_EQ(0, iuc_pipe_write(self->fd, self->sc, "hello", 5, IUC_IO_BLOCK, &wr));

	ASSERT_EQ(0, wait_cqe(&self->ring, &ud, &res));
	EXPECT_EQ(1, ud);
	EXPECT_EQ(0, res);
	EXPECT_EQ(IUC_E_NONE, rd.error);
	EXPECT_EQ(5, rd.transferred);
	EXPECT_EQ(0, rd.result);	/* nothing left pending */
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
}

/* Writes go through the ring too, and errors arrive as -errno + spec code. */
TEST_F(uring, write_and_errors)
{
	struct iuc_pipe_write wr = { 0 }, bad = { 0 };
	struct iuc_pipe_read rd = { 0 };
	struct iuc_ready r = { 0 };
	char buf[16];
	__u64 ud;
	int res;

	wr.id = self->sc;
	wr.buf = (uintptr_t)"ring";
	wr.count = 4;
	ASSERT_EQ(0, prep_iuc_cmd(&self->ring, self->fd, IUC_IOC_PIPE_WRITE, &wr, 2));
	bad.id = 4242;			/* no such SC */
	bad.buf = (uintptr_t)"x";
	bad.count = 1;
	bad.error = ERR_SENTINEL;
	ASSERT_EQ(0, prep_iuc_cmd(&self->ring, self->fd, IUC_IOC_PIPE_WRITE, &bad, 3));
	ASSERT_EQ(0, prep_iuc_cmd(&self->ring, self->fd,
		     _IOWR(IUC_IOC_MAGIC, 0x05, struct iuc_ready), &r, 4));
	ASSERT_EQ(3, io_uring_submit(&self->ring));

	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, wait_cqe(&self->ring, &ud, &res));
		if (ud == 2) {
			EXPECT_EQ(0, res);
			EXPECT_EQ(4, wr.transferred);
		} else if (ud == 3) {
			EXPECT_EQ(-EBADF, res);
			EXPECT_EQ(IUC_E_WRITE_UNKNOWN_SC, bad.error);
		} else {
			EXPECT_EQ(4, ud);
			EXPECT_EQ(-ENOTTY, res);
		}
	}

	ASSERT_EQ(0, iuc_pipe_read(self->fd, self->rc, buf, 4, IUC_IO_TRY, &rd));
	EXPECT_EQ(4, rd.transferred);
	EXPECT_EQ(0, memcmp(buf, "ring", 4));
}

/* What ring_write() did in a peer. */
struct ring_write {
	uint64_t id;		/* in: the SC to write one byte to */
	int res;		/* out: the completion's res */
	uint32_t error;		/* out: the call's @error */
};

/* PEER_RUN: a PIPE_WRITE of one byte through a ring of the peer's own. */
static int ring_write(int fd, void *data)
{
	struct ring_write *d = data;
	struct iuc_pipe_write wr = { .id = d->id, .count = 1,
				     .buf = (uintptr_t)"x", .error = ERR_SENTINEL };
	struct io_uring ring;
	__u64 ud;
	int ret = io_uring_queue_init(4, &ring, 0);

	if (ret)
		return ret;
	ret = prep_iuc_cmd(&ring, fd, IUC_IOC_PIPE_WRITE, &wr, 5);
	if (!ret)
		ret = io_uring_submit(&ring) == 1 ? 0 : -EIO;
	if (!ret)
		ret = wait_cqe(&ring, &ud, &d->res);
	d->error = wr.error;
	io_uring_queue_exit(&ring);
	return ret;
}

/* A forked child's ring is refused like its ioctls: the fd is not its own. */
TEST_F(uring, other_process_refused)
{
	struct ring_write d = { .id = self->sc };
	struct peer child;

	ASSERT_EQ(0, peer_start(&child, &(struct peer_opts){ .inherit_fd = self->fd }));
	child.slot = PEER_INHERITED;
	ASSERT_EQ(0, peer_run(&child, ring_write, &d, sizeof(d)));
	EXPECT_EQ(-EBADFD, d.res);
	EXPECT_EQ(IUC_E_NOT_OWNER, d.error);
	EXPECT_EQ(0, peer_stop(&child));
}

/*
 * Submit [read of an empty pipe] -> linked IS_SIGNAL_HANDLED(@a) with
 * @sqe_flags, then overwrite every submission slot, command area included
 * (with the address of @b), before the linked command runs: it runs when
 * the read completes.  0 or -errno; the result is in @a and @b.
 */
static int linked_cmd_after_slot_reuse(struct io_uring *ring, int fd,
				       unsigned int sqe_flags,
				       struct iuc_is_signal_handled *a,
				       struct iuc_is_signal_handled *b,
				       int *cmd_res)
{
	struct io_uring_sqe *sqe;
	__u64 addr_b = (uintptr_t)b, ud;
	char byte = 0;
	int p[2], res, ret = 0;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	sqe = io_uring_get_sqe(ring);
	io_uring_prep_read(sqe, p[0], &byte, 1, 0);
	sqe->flags |= IOSQE_IO_LINK;
	sqe->user_data = 1;
	if (prep_iuc_cmd(ring, fd, IUC_IOC_IS_SIGNAL_HANDLED, a, 2)) {
		ret = -EBUSY;
		goto out;
	}
	ring->sq.sqes[(ring->sq.sqe_tail - 1) & *ring->sq.kring_mask].flags |= sqe_flags;
	ret = io_uring_submit(ring);
	if (ret != 2) {
		ret = ret < 0 ? ret : -EIO;
		goto out;
	}

	/* Both slots are free for reuse once submit returned: reuse them. */
	for (unsigned int i = 0; i < *ring->sq.kring_entries; i++) {
		memset(&ring->sq.sqes[i], 0xA5, sizeof(ring->sq.sqes[i]));
		memcpy(ring->sq.sqes[i].cmd, &addr_b, sizeof(addr_b));
	}
	if (write(p[1], "x", 1) != 1) {
		ret = -errno;
		goto out;
	}
	ret = 0;
	for (int i = 0; i < 2 && !ret; i++) {
		ret = wait_cqe(ring, &ud, &res);
		if (!ret && ud == 2)
			*cmd_res = res;
	}
out:
	close(p[0]);
	close(p[1]);
	return ret;
}

/*
 * A URING_CMD that follows a request that completes after the submission
 * returned (here a read of an empty Linux pipe) is issued then; with
 * IOSQE_ASYNC io_uring copies its submission entry at once, so a reused
 * slot does not change its argument.  (6.12's io_uring copies the entry of
 * a linked command only when it is issued, from a slot the application may
 * have reused: the README's io_uring section.  Behind IUC calls that
 * complete during the submission no IOSQE_ASYNC is needed:
 * linked_write_then_read_without_iosqe_async.)
 */
TEST_F(uring, linked_cmd_keeps_its_argument)
{
	struct iuc_is_signal_handled a = { 0 }, b = { 0 };
	int res = 1;

	a.error = ERR_SENTINEL;
	a.code = IUC_SIG_RECV_PIPE;
	b.error = ERR_SENTINEL;
	b.code = IUC_SIG_RECV_PIPE;
	ASSERT_EQ(0, linked_cmd_after_slot_reuse(&self->ring, self->fd,
						 IOSQE_ASYNC, &a, &b, &res));
	EXPECT_EQ(0, res);
	EXPECT_EQ(IUC_E_NONE, a.error);
	EXPECT_EQ(ERR_SENTINEL, b.error);
}

/* ---- native completion: parked commands, no worker thread -------------------- */

/*
 * Can this kernel cancel a URING_CMD that waits (io_uring_cmd_mark_cancelable,
 * 6.7 and later)?  Only then does the module park a blocking call instead
 * of handing it to an io-wq worker (module/uring.c).
 */
static bool native_parking(void)
{
	static int known = -1;
	char line[256];
	FILE *f;

	if (known >= 0)
		return known;
	known = 0;
	f = fopen("/proc/kallsyms", "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *name = strrchr(line, ' ');

		if (name && !strcmp(name + 1, "io_uring_cmd_mark_cancelable\n")) {
			known = 1;
			break;
		}
	}
	fclose(f);
	return known;
}

/* io_uring's worker threads of this process ("iou-wrk-<tid>"). */
static int iowq_workers(void)
{
	char path[300], comm[32];
	struct dirent *e;
	int n = 0;
	DIR *d = opendir("/proc/self/task");

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strncmp(comm, "iou-wrk-", 8))
			n++;
		fclose(f);
	}
	closedir(d);
	return n;
}

static int some_iowq_worker(void *arg __attribute__((unused)))
{
	return iowq_workers() > 0;
}

/* A PIPE_READ in IUC_IO_BLOCK of @count bytes of @id into @buf, in @rd. */
static struct iuc_pipe_read block_read(uint64_t id, void *buf, uint32_t count)
{
	struct iuc_pipe_read rd = { .error = ERR_SENTINEL, .id = id,
				    .buf = (uintptr_t)buf, .count = count,
				    .mode = IUC_IO_BLOCK };
	return rd;
}

static struct iuc_pipe_write block_write(uint64_t id, const void *buf,
					 uint64_t count)
{
	struct iuc_pipe_write wr = { .error = ERR_SENTINEL, .id = id,
				     .buf = (uintptr_t)buf, .count = count,
				     .mode = IUC_IO_BLOCK };
	return wr;
}

/* Submit the one command queued on @ring. */
static int submit_one(struct io_uring *ring)
{
	int ret = io_uring_submit(ring);

	return ret == 1 ? 0 : ret < 0 ? ret : -EIO;
}

/*
 * A blocking read that finds no data waits parked in the pipe, with no
 * thread at all: no io-wq worker is ever created, before, while it waits
 * or after the write that completes it.  (On kernels that cannot cancel a
 * waiting command it waits in a worker, as before.)
 */
TEST_F(uring, blocking_read_waits_without_a_thread)
{
	char buf[8] = { 0 };
	struct iuc_pipe_read rd = block_read(self->rc, buf, 5);
	struct iuc_pipe_write wr;
	struct io_uring_cqe *cqe;
	__u64 ud;
	int res;

	ASSERT_EQ(0, iowq_workers());
	ASSERT_EQ(0, prep_iuc_cmd(&self->ring, self->fd, IUC_IOC_PIPE_READ, &rd, 1));
	ASSERT_EQ(0, submit_one(&self->ring));
	ASSERT_TRUE(iuc_pipe_wait_status(self->fd, self->sc, IUC_PIPE_READ_PENDING,
					 IUC_PIPE_READ_PENDING));
	EXPECT_EQ(-EAGAIN, io_uring_peek_cqe(&self->ring, &cqe));
	EXPECT_EQ(ERR_SENTINEL, rd.error);
	if (native_parking())
		EXPECT_EQ(0, iowq_workers());

	/*
	 * 3 bytes are not the 5 asked for: it keeps waiting; parked, it takes
	 * nothing until all 5 are there (in a worker it takes them in pieces,
	 * as the ioctl).
	 */
	ASSERT_EQ(0, iuc_pipe_write(self->fd, self->sc, "hel", 3, IUC_IO_BLOCK, &wr));
	EXPECT_EQ(-EAGAIN, io_uring_peek_cqe(&self->ring, &cqe));
	if (native_parking())
		EXPECT_EQ(IUC_PIPE_UNIT - 3, iuc_pipe_room(self->fd, self->sc));
	ASSERT_EQ(0, iuc_pipe_write(self->fd, self->sc, "lo!", 3, IUC_IO_BLOCK, &wr));

	ASSERT_EQ(0, wait_cqe(&self->ring, &ud, &res));
	EXPECT_EQ(1, ud);
	EXPECT_EQ(0, res);
	EXPECT_EQ(IUC_E_NONE, rd.error);
	EXPECT_EQ(5, rd.transferred);
	EXPECT_EQ(1, rd.result);		/* "!" left pending */
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	if (native_parking())
		EXPECT_EQ(0, iowq_workers());
	EXPECT_EQ(0, iuc_pipe_status(self->fd, self->sc) & IUC_PIPE_READ_PENDING);
}

/*
 * A blocking write to a full pipe waits parked until its whole count
 * fits, then goes in one piece: the room a read makes for part of it
 * takes nothing of it.
 */
TEST_F(uring, write_to_a_full_pipe_waits_for_room_for_all_of_it)
{
	static char full[IUC_PIPE_UNIT], out[IUC_PIPE_UNIT];
	struct iuc_pipe_write wr = block_write(self->sc, "0123456789", 10), w;
	struct iuc_pipe_read r;
	struct io_uring_cqe *cqe;
	__u64 ud;
	int res;

	memset(full, 'f', sizeof(full));
	ASSERT_EQ(0, iuc_pipe_write(self->fd, self->sc, full, sizeof(full), IUC_IO_TRY, &w));
	ASSERT_EQ(0, prep_iuc_cmd(&self->ring, self->fd, IUC_IOC_PIPE_WRITE, &wr, 2));
	ASSERT_EQ(0, submit_one(&self->ring));
	ASSERT_TRUE(iuc_pipe_wait_status(self->fd, self->sc, IUC_PIPE_WRITE_PENDING,
					 IUC_PIPE_WRITE_PENDING));
	if (native_parking())
		EXPECT_EQ(0, iowq_workers());

	ASSERT_EQ(0, iuc_pipe_read(self->fd, self->rc, out, 6, IUC_IO_TRY, &r));
	EXPECT_EQ(-EAGAIN, io_uring_peek_cqe(&self->ring, &cqe));
	if (native_parking())
		EXPECT_EQ(6, iuc_pipe_room(self->fd, self->sc));
	ASSERT_EQ(0, iuc_pipe_read(self->fd, self->rc, out, 4, IUC_IO_TRY, &r));

	ASSERT_EQ(0, wait_cqe(&self->ring, &ud, &res));
	EXPECT_EQ(2, ud);
	EXPECT_EQ(0, res);
	EXPECT_EQ(IUC_E_NONE, wr.error);
	EXPECT_EQ(10, wr.transferred);
	EXPECT_EQ(0, wr.result);		/* full again */
	ASSERT_EQ(0, iuc_pipe_read(self->fd, self->rc, out, sizeof(out), IUC_IO_TRY, &r));
	EXPECT_EQ('f', out[sizeof(out) - 11]);
	EXPECT_EQ(0, memcmp(out + sizeof(out) - 10, "0123456789", 10));
	if (native_parking())
		EXPECT_EQ(0, iowq_workers());
}

/* Message pipes: a read waits for a message, a write for room for its message. */
TEST_F(uring, message_read_and_write_wait_parked)
{
	static char big[IUC_MESSAGE_MAX], out[IUC_MESSAGE_MAX];
	struct iuc_open_pipe op = iuc_pipe_args(getpid(), 0);
	char buf[16] = { 0 };
	struct iuc_pipe_read rd;
	struct iuc_pipe_write wr, w;
	struct iuc_pipe_read r;
	__u64 ud;
	int res;

	op.notify = IUC_NOTIFY_SKIP;
	op.mode = IUC_PIPE_MODE_MESSAGE;
	ASSERT_EQ(0, iuc_open_pipe(self->fd, &op));

	rd = block_read(op.peer_id, buf, sizeof(buf));
	ASSERT_EQ(0, prep_iuc_cmd(&self->ring, self->fd, IUC_IOC_PIPE_READ, &rd, 3));
	ASSERT_EQ(0, submit_one(&self->ring));
	ASSERT_TRUE(iuc_pipe_wait_status(self->fd, op.id, IUC_PIPE_READ_PENDING,
					 IUC_PIPE_READ_PENDING));
	ASSERT_EQ(0, iuc_pipe_write(self->fd, op.id, "message", 7, IUC_IO_BLOCK, &w));
	ASSERT_EQ(0, wait_cqe(&self->ring, &ud, &res));
	EXPECT_EQ(3, ud);
	EXPECT_EQ(0, res);
	EXPECT_EQ(7, rd.result);
	EXPECT_EQ(7, rd.transferred);
	EXPECT_EQ(0, memcmp(buf, "message", 7));

	/* One message of the whole capacity fills the pipe. */
	ASSERT_EQ(0, iuc_pipe_write(self->fd, op.id, big, sizeof(big), IUC_IO_TRY, &w));
	wr = block_write(op.id, "next", 4);
	ASSERT_EQ(0, prep_iuc_cmd(&self->ring, self->fd, IUC_IOC_PIPE_WRITE, &wr, 4));
	ASSERT_EQ(0, submit_one(&self->ring));
	ASSERT_TRUE(iuc_pipe_wait_status(self->fd, op.id, IUC_PIPE_WRITE_PENDING,
					 IUC_PIPE_WRITE_PENDING));
	ASSERT_EQ(0, iuc_pipe_read(self->fd, op.peer_id, out, sizeof(out), IUC_IO_TRY, &r));
	ASSERT_EQ(0, wait_cqe(&self->ring, &ud, &res));
	EXPECT_EQ(4, ud);
	EXPECT_EQ(0, res);
	EXPECT_EQ(4, wr.transferred);
	ASSERT_EQ(0, iuc_pipe_read(self->fd, op.peer_id, buf, sizeof(buf), IUC_IO_TRY, &r));
	EXPECT_EQ(4, r.transferred);
	EXPECT_EQ(0, memcmp(buf, "next", 4));
	if (native_parking())
		EXPECT_EQ(0, iowq_workers());
}

/*
 * A PIPE_WRITE linked to a PIPE_READ of the same bytes, without
 * IOSQE_ASYNC, with every submission slot reused as soon as the submission
 * returned: both run on their own arguments.  (The write completes during
 * the submission, so the read is issued before it returns, and keeps its
 * argument from then on.)
 */
TEST_F(uring, linked_write_then_read_without_iosqe_async)
{
	struct iuc_pipe_write wr = block_write(self->sc, "linked", 6);
	struct iuc_pipe_write junk = { 0 };
	char buf[8] = { 0 };
	struct iuc_pipe_read rd = block_read(self->rc, buf, 6);
	__u64 junk_addr = (uintptr_t)&junk, ud;
	int res;

	ASSERT_EQ(0, prep_iuc_cmd(&self->ring, self->fd, IUC_IOC_PIPE_WRITE, &wr, 5));
	self->ring.sq.sqes[(self->ring.sq.sqe_tail - 1) & *self->ring.sq.kring_mask].flags |=
		IOSQE_IO_LINK;
	ASSERT_EQ(0, prep_iuc_cmd(&self->ring, self->fd, IUC_IOC_PIPE_READ, &rd, 6));
	ASSERT_EQ(2, io_uring_submit(&self->ring));
	for (unsigned int i = 0; i < *self->ring.sq.kring_entries; i++) {
		memset(&self->ring.sq.sqes[i], 0xA5, sizeof(self->ring.sq.sqes[i]));
		memcpy(self->ring.sq.sqes[i].cmd, &junk_addr, sizeof(junk_addr));
	}
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, wait_cqe(&self->ring, &ud, &res));
		EXPECT_EQ(0, res) TH_LOG("command %llu", (unsigned long long)ud);
	}
	EXPECT_EQ(IUC_E_NONE, wr.error);
	EXPECT_EQ(6, wr.transferred);
	EXPECT_EQ(IUC_E_NONE, rd.error);
	EXPECT_EQ(6, rd.transferred);
	EXPECT_EQ(0, memcmp(buf, "linked", 6));
	EXPECT_EQ(0, junk.error);
}

/*
 * Closing the ring cancels a parked read: it ends, its struct untouched
 * (the pipe is no longer waited on), and it took no data.  Through a
 * worker (kernels that cannot cancel parked commands) the read is
 * interrupted instead (EINTR, 0x0F).
 */
TEST_F(uring, closing_the_ring_cancels_a_parked_read)
{
	char buf[8] = { 0 }, got[8] = { 0 };
	struct iuc_pipe_read rd = block_read(self->rc, buf, 5), r;
	struct iuc_pipe_write w;

	ASSERT_EQ(0, prep_iuc_cmd(&self->ring, self->fd, IUC_IOC_PIPE_READ, &rd, 7));
	ASSERT_EQ(0, submit_one(&self->ring));
	ASSERT_TRUE(iuc_pipe_wait_status(self->fd, self->sc, IUC_PIPE_READ_PENDING,
					 IUC_PIPE_READ_PENDING));
	io_uring_queue_exit(&self->ring);
	ASSERT_TRUE(iuc_pipe_wait_status(self->fd, self->sc, IUC_PIPE_READ_PENDING, 0));
	if (native_parking()) {
		EXPECT_EQ(ERR_SENTINEL, rd.error);
	} else {
		EXPECT_EQ(IUC_E_INTERRUPTED, rd.error);
	}
	EXPECT_EQ(0, rd.transferred);

	ASSERT_EQ(0, iuc_pipe_write(self->fd, self->sc, "after", 5, IUC_IO_BLOCK, &w));
	ASSERT_EQ(0, iuc_pipe_read(self->fd, self->rc, got, 5, IUC_IO_TRY, &r));
	EXPECT_EQ(0, memcmp(got, "after", 5));
	ASSERT_EQ(0, io_uring_queue_init(8, &self->ring, 0));	/* for the teardown */
}

/*
 * IORING_OP_ASYNC_CANCEL does not reach a parked command (io_uring cancels
 * URING_CMDs only at ring exit): -ENOENT, and the read completes later as
 * usual.  A read waiting in a worker is interrupted: EINTR, 0x0F.
 */
TEST_F(uring, async_cancel_of_a_waiting_read)
{
	char buf[8] = { 0 };
	struct iuc_pipe_read rd = block_read(self->rc, buf, 2);
	struct io_uring_sqe *sqe;
	struct iuc_pipe_write w;
	int res, cancel_res = 1, read_res = 1;
	__u64 ud;

	ASSERT_EQ(0, prep_iuc_cmd(&self->ring, self->fd, IUC_IOC_PIPE_READ, &rd, 8));
	ASSERT_EQ(0, submit_one(&self->ring));
	ASSERT_TRUE(iuc_pipe_wait_status(self->fd, self->sc, IUC_PIPE_READ_PENDING,
					 IUC_PIPE_READ_PENDING));
	sqe = io_uring_get_sqe(&self->ring);
	ASSERT_NE(NULL, sqe);
	io_uring_prep_cancel64(sqe, 8, 0);
	sqe->user_data = 9;
	ASSERT_EQ(0, submit_one(&self->ring));
	if (native_parking()) {
		ASSERT_EQ(0, wait_cqe(&self->ring, &ud, &res));
		EXPECT_EQ(9, ud);
		EXPECT_EQ(-ENOENT, res);
		ASSERT_EQ(0, iuc_pipe_write(self->fd, self->sc, "ok", 2, IUC_IO_BLOCK, &w));
		ASSERT_EQ(0, wait_cqe(&self->ring, &ud, &res));
		EXPECT_EQ(8, ud);
		EXPECT_EQ(0, res);
		EXPECT_EQ(0, memcmp(buf, "ok", 2));
		return;
	}
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, wait_cqe(&self->ring, &ud, &res));
		if (ud == 9)
			cancel_res = res;
		else
			read_res = res;
	}
	EXPECT_TRUE(cancel_res == 0 || cancel_res == -EALREADY);
	EXPECT_EQ(-EINTR, read_res);
	EXPECT_EQ(IUC_E_INTERRUPTED, rd.error);
}

/*
 * A raw read of more than the capacity cannot complete all at once: it
 * waits in an io-wq worker, taking the bytes in pieces as the ioctl does,
 * and gets them all in order.
 */
TEST_F(uring, read_over_the_capacity_goes_through_a_worker)
{
	const size_t n = IUC_PIPE_UNIT + IUC_PIPE_UNIT / 2;
	char *in = malloc(n), *out = calloc(1, n);
	struct iuc_pipe_read rd = block_read(self->rc, out, n);
	struct iuc_pipe_write w;
	__u64 ud;
	int res;

	ASSERT_NE(NULL, in);
	ASSERT_NE(NULL, out);
	pat_fill(in, n, 11, 0);
	ASSERT_EQ(0, prep_iuc_cmd(&self->ring, self->fd, IUC_IOC_PIPE_READ, &rd, 10));
	ASSERT_EQ(0, submit_one(&self->ring));
	ASSERT_TRUE(iuc_pipe_wait_status(self->fd, self->sc, IUC_PIPE_READ_PENDING,
					 IUC_PIPE_READ_PENDING));
	EXPECT_LT(0, iowq_workers());
	/* More than the capacity: this write waits for the worker's read. */
	ASSERT_EQ(0, iuc_pipe_write(self->fd, self->sc, in, n, IUC_IO_BLOCK, &w));
	ASSERT_EQ(0, wait_cqe(&self->ring, &ud, &res));
	EXPECT_EQ(10, ud);
	EXPECT_EQ(0, res);
	EXPECT_EQ(n, rd.transferred);
	EXPECT_EQ(0, memcmp(in, out, n));
	free(in);
	free(out);
}

#define MANY_PIPES	200

/*
 * One thread serves 200 pipes through one ring: 200 blocking reads wait
 * parked, none in a thread (on kernels that cannot cancel a waiting
 * command: in io-wq's workers, a few at a time); writes in the reverse
 * order complete each with its own data.
 */
TEST_F(uring, many_parked_reads_on_many_pipes_one_thread)
{
	static struct iuc_pipe_read rd[MANY_PIPES];
	static char buf[MANY_PIPES][8];
	static uint64_t sc[MANY_PIPES];
	struct io_uring ring;
	struct iuc_pipe_write w;
	char data[8];
	int i, res;
	__u64 ud;

	ASSERT_EQ(0, io_uring_queue_init(256, &ring, 0));
	for (i = 0; i < MANY_PIPES; i++) {
		struct iuc_open_pipe op = iuc_pipe_args(getpid(), 0);

		op.notify = IUC_NOTIFY_SKIP;
		ASSERT_EQ(0, iuc_open_pipe(self->fd, &op));
		sc[i] = op.id;
		rd[i] = block_read(op.peer_id, buf[i], 8);
		ASSERT_EQ(0, prep_iuc_cmd(&ring, self->fd, IUC_IOC_PIPE_READ, &rd[i], i));
	}
	ASSERT_EQ(MANY_PIPES, io_uring_submit(&ring));
	/*
	 * Workers would be io-wq's bounded pool (URING_CMD is not an unbound
	 * op): 4 per CPU wait at a time, the other reads queue behind them.
	 */
	for (i = 0; i < MANY_PIPES && native_parking(); i++) {
		ASSERT_TRUE(iuc_pipe_wait_status(self->fd, sc[i], IUC_PIPE_READ_PENDING,
						 IUC_PIPE_READ_PENDING));
	}
	if (native_parking())
		EXPECT_EQ(0, iowq_workers());
	for (i = MANY_PIPES - 1; i >= 0; i--) {
		snprintf(data, sizeof(data), "p%06d", i);
		ASSERT_EQ(0, iuc_pipe_write(self->fd, sc[i], data, 8, IUC_IO_BLOCK, &w));
	}
	for (i = 0; i < MANY_PIPES; i++) {
		ASSERT_EQ(0, wait_cqe(&ring, &ud, &res));
		ASSERT_GT(MANY_PIPES, ud);
		EXPECT_EQ(0, res);
		snprintf(data, sizeof(data), "p%06d", (int)ud);
		EXPECT_EQ(0, memcmp(buf[ud], data, 8));
		EXPECT_EQ(8, rd[ud].transferred);
	}
	if (native_parking())
		EXPECT_EQ(0, iowq_workers());
	io_uring_queue_exit(&ring);
}

#define PARAM_PARKED	PARAM_DIR "uring_parked_per_pipe"

/*
 * Beyond uring_parked_per_pipe commands parked on one pipe, a blocking
 * call waits in a worker instead; all complete.  (Where nothing parks,
 * all three wait in workers.)
 */
TEST_F(uring, parked_calls_per_pipe_are_bounded)
{
	long long saved = param_read(PARAM_PARKED);
	struct iuc_pipe_read rd[3];
	char buf[3][4];
	struct iuc_pipe_write w;
	__u64 ud;
	int res;

	ASSERT_LT(0, saved);
	ASSERT_EQ(0, param_write(PARAM_PARKED, 2));
	for (int i = 0; i < 3; i++) {
		rd[i] = block_read(self->rc, buf[i], 4);
		ASSERT_EQ(0, prep_iuc_cmd(&self->ring, self->fd, IUC_IOC_PIPE_READ, &rd[i], i));
	}
	ASSERT_EQ(3, io_uring_submit(&self->ring));
	EXPECT_NE(0, poll_until(some_iowq_worker, NULL));
	ASSERT_EQ(0, param_write(PARAM_PARKED, saved));
	ASSERT_EQ(0, iuc_pipe_write(self->fd, self->sc, "abcdefghijkl", 12, IUC_IO_BLOCK, &w));
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, wait_cqe(&self->ring, &ud, &res));
		EXPECT_EQ(0, res);
		EXPECT_EQ(4, rd[ud].transferred);
	}
}

/*
 * Pipes to a target peer: the test's parked reads end when the peer
 * closes its end or exits, with PIPE_READ's closed error (EPIPE 0x21) in
 * their struct.
 */
FIXTURE(uring_peer) {
	struct io_uring ring;
	int fd;
	struct peer peer;
};

FIXTURE_SETUP(uring_peer)
{
	self->fd = iuc_pipe_ctx();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, io_uring_queue_init(8, &self->ring, 0));
	ASSERT_EQ(0, peer_start_target(&self->peer));
}

FIXTURE_TEARDOWN(uring_peer)
{
	peer_kill(&self->peer);
	io_uring_queue_exit(&self->ring);
	close(self->fd);
}

/* A pipe from the peer to the test (@mode), no notification: the test's RC in op->id. */
static int pipe_from(int fd, const struct peer *p, uint8_t mode,
		     struct iuc_open_pipe *op)
{
	*op = iuc_pipe_args(p->pid, 0);
	op->type = IUC_PIPE_TYPE_CALLER_RECEIVES;
	op->mode = mode;
	op->notify = IUC_NOTIFY_SKIP;
	return iuc_open_pipe(fd, op);
}

TEST_F(uring_peer, peer_close_and_exit_end_parked_reads_with_epipe)
{
	struct iuc_open_pipe raw, msg;
	char b1[8], b2[8];
	struct iuc_pipe_read r1, r2;
	int res[2] = { 1, 1 };
	__u64 ud;
	int r;

	ASSERT_EQ(0, pipe_from(self->fd, &self->peer, IUC_PIPE_MODE_RAW, &raw));
	ASSERT_EQ(0, pipe_from(self->fd, &self->peer, IUC_PIPE_MODE_MESSAGE, &msg));
	r1 = block_read(raw.id, b1, 4);
	r2 = block_read(msg.id, b2, sizeof(b2));
	ASSERT_EQ(0, prep_iuc_cmd(&self->ring, self->fd, IUC_IOC_PIPE_READ, &r1, 0));
	ASSERT_EQ(0, prep_iuc_cmd(&self->ring, self->fd, IUC_IOC_PIPE_READ, &r2, 1));
	ASSERT_EQ(2, io_uring_submit(&self->ring));
	ASSERT_TRUE(iuc_pipe_wait_status(self->fd, raw.id, IUC_PIPE_READ_PENDING,
					 IUC_PIPE_READ_PENDING));
	ASSERT_TRUE(iuc_pipe_wait_status(self->fd, msg.id, IUC_PIPE_READ_PENDING,
					 IUC_PIPE_READ_PENDING));

	/* The peer closes the raw pipe: that read ends. */
	ASSERT_EQ(0, peer_close_pipe(&self->peer, raw.peer_id, NULL));
	ASSERT_EQ(0, wait_cqe(&self->ring, &ud, &r));
	ASSERT_EQ(0, ud);
	res[0] = r;
	EXPECT_EQ(-EPIPE, res[0]);
	EXPECT_EQ(IUC_E_READ_CLOSED, r1.error);
	EXPECT_EQ(0, r1.transferred);

	/* The peer exits: the message read ends too. */
	ASSERT_LE(0, peer_kill(&self->peer));
	ASSERT_EQ(0, wait_cqe(&self->ring, &ud, &r));
	ASSERT_EQ(1, ud);
	res[1] = r;
	EXPECT_EQ(-EPIPE, res[1]);
	EXPECT_EQ(IUC_E_READ_CLOSED, r2.error);
	if (native_parking())
		EXPECT_EQ(0, iowq_workers());
}

/* What park_reads() in a peer does: blocking reads of @n RCs, left waiting. */
struct park_reads {
	uint64_t rc[8];
	int n;
};

/* PEER_RUN: submit blocking reads of d->rc through a ring of the peer's own, return. */
static int park_reads(int fd, void *data)
{
	static struct iuc_pipe_read rd[8];
	static char buf[8][16];
	static struct io_uring ring;	/* left open: the peer exits with it */
	struct park_reads *d = data;
	int ret = io_uring_queue_init(8, &ring, 0);

	if (ret)
		return ret;
	for (int i = 0; i < d->n; i++) {
		rd[i] = block_read(d->rc[i], buf[i], 16);
		ret = prep_iuc_cmd(&ring, fd, IUC_IOC_PIPE_READ, &rd[i], i);
		if (ret)
			return ret;
	}
	ret = io_uring_submit(&ring);
	return ret == d->n ? 0 : -EIO;
}

/*
 * A process that exits with commands parked on its pipes ends at once
 * (io_uring cancels them, its context closes the pipes): the writer sees
 * the pipes closed, and no reader is left waiting.
 */
TEST_F(uring_peer, process_exits_with_parked_reads)
{
	struct park_reads d = { .n = 8 };
	struct iuc_open_pipe op[8];
	struct iuc_pipe_write w;

	for (int i = 0; i < d.n; i++) {
		op[i] = iuc_pipe_args(self->peer.pid, 0);
		op[i].notify = IUC_NOTIFY_SKIP;
		op[i].mode = i % 2 ? IUC_PIPE_MODE_MESSAGE : IUC_PIPE_MODE_RAW;
		ASSERT_EQ(0, iuc_open_pipe(self->fd, &op[i]));
		d.rc[i] = op[i].peer_id;
	}
	ASSERT_EQ(0, peer_run(&self->peer, park_reads, &d, sizeof(d)));
	for (int i = 0; i < d.n; i++) {
		ASSERT_TRUE(iuc_pipe_wait_status(self->fd, op[i].id, IUC_PIPE_READ_PENDING,
						 IUC_PIPE_READ_PENDING));
	}
	ASSERT_EQ(0, peer_exit(&self->peer, 0));
	ASSERT_EQ(0, peer_stop(&self->peer));
	for (int i = 0; i < d.n; i++) {
		ASSERT_TRUE(iuc_pipe_wait_status(self->fd, op[i].id,
						 IUC_PIPE_READ_PENDING | IUC_PIPE_OPENED, 0));
		EXPECT_EQ(-EPIPE, iuc_pipe_write(self->fd, op[i].id, "x", 1,
						 IUC_IO_BLOCK, &w));
	}
}

/* ---- services through io_uring -------------------------------------------------- */

#define PARAM_DELAY	PARAM_DIR "service_answer_delay_ms"
#define RING_DELAY_MS	20000	/* no answer is late by chance */
#define SHORT_DELAY_MS	300

/*
 * The test process's context (READY, handling SERVICE_CONN_REQUEST) and
 * ring; a READY service peer of the test's application and a READY
 * client peer.  The answer delay RING_DELAY_MS, restored after.
 */
FIXTURE(ring_svc) {
	struct io_uring ring;
	int fd;
	long long saved_delay;
	uint32_t anid;
	struct peer svc, c;
};

FIXTURE_SETUP(ring_svc)
{
	static const uint8_t req[] = { IUC_SIG_SERVICE_CONN_REQUEST };

	self->saved_delay = param_read(PARAM_DELAY);
	ASSERT_LT(0, self->saved_delay);
	ASSERT_EQ(0, param_write(PARAM_DELAY, RING_DELAY_MS));
	self->anid = (uint32_t)ipc_ns_ino();
	self->fd = iuc_ctx(req, 1, true);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, io_uring_queue_init(8, &self->ring, 0));
	ASSERT_EQ(0, peer_start_ctx(&self->svc, req, 1, false));
	ASSERT_EQ(0, peer_start_ctx(&self->c, NULL, 0, true));
}

FIXTURE_TEARDOWN(ring_svc)
{
	EXPECT_EQ(0, peer_stop(&self->svc));
	EXPECT_EQ(0, peer_stop(&self->c));
	io_uring_queue_exit(&self->ring);
	close(self->fd);
	EXPECT_EQ(0, param_write(PARAM_DELAY, self->saved_delay));
}

/* The service peer registers and is READY. */
static void ring_svc_serve(struct __test_metadata *_metadata, struct peer *svc)
{
	ASSERT_EQ(0, peer_register(svc, IUC_SCOPE_USER, NULL));
	ASSERT_EQ(0, peer_ready(svc, NULL));
}

/* The request the service @svc got from process @client: its id, 0 if none. */
static uint64_t ring_svc_request(struct __test_metadata *_metadata, struct side svc,
				 pid_t client)
{
	struct iuc_signal s;

	if (side_read_sig(svc, &s, TIMEOUT_MS) || s.code != IUC_SIG_SERVICE_CONN_REQUEST) {
		TH_LOG("no request");
		return 0;
	}
	EXPECT_EQ((uint64_t)client, s.data.conn_request.client_pid);
	return s.object;
}

/*
 * CONNECT_SERVICE through the ring waits in io_uring for the answer: the
 * completion comes when a client thread of the service accepts, with the
 * connection in the struct.
 */
TEST_F(ring_svc, connect_completes_when_the_service_accepts)
{
	struct iuc_connect_service cs = { .error = ERR_SENTINEL };
	struct io_uring_cqe *cqe;
	struct svc_thread t;
	uint64_t req;
	__u64 ud;
	int res;

	ring_svc_serve(_metadata, &self->svc);
	cs.anid = self->anid;
	cs.command = 3;
	ASSERT_EQ(0, prep_iuc_cmd(&self->ring, self->fd, IUC_IOC_CONNECT_SERVICE, &cs, 7));
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	req = ring_svc_request(_metadata, side_peer(&self->svc), getpid());
	ASSERT_NE(0, req);
	EXPECT_EQ(-EAGAIN, io_uring_peek_cqe(&self->ring, &cqe));

	ASSERT_EQ(0, peer_svc_thread(&self->svc, req, &t));
	ASSERT_EQ(0, wait_cqe(&self->ring, &ud, &res));
	EXPECT_EQ(7, ud);
	EXPECT_EQ(0, res);
	EXPECT_EQ(IUC_E_NONE, cs.error);
	EXPECT_NE(0, cs.conn_id);
	EXPECT_NE(0, cs.sc);
	EXPECT_NE(0, cs.rc);
	EXPECT_EQ(0, iuc_end_service_conn(self->fd, cs.conn_id, NULL));
}

/*
 * A request through the ring that nobody answers completes, as the ioctl
 * does, after about the answer delay: ETIMEDOUT 0x31.  The late answer is
 * 0x30.
 */
TEST_F(ring_svc, unanswered_connect_completes_after_the_answer_delay)
{
	struct iuc_connect_service cs = { .error = ERR_SENTINEL };
	uint64_t req;
	uint32_t err = 0;
	__u64 ud;
	int res;

	ASSERT_EQ(0, param_write(PARAM_DELAY, SHORT_DELAY_MS));
	ring_svc_serve(_metadata, &self->svc);
	cs.anid = self->anid;
	ASSERT_EQ(0, prep_iuc_cmd(&self->ring, self->fd, IUC_IOC_CONNECT_SERVICE, &cs, 8));
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	req = ring_svc_request(_metadata, side_peer(&self->svc), getpid());
	ASSERT_NE(0, req);
	ASSERT_EQ(0, wait_cqe(&self->ring, &ud, &res));
	EXPECT_EQ(8, ud);
	EXPECT_EQ(-ETIMEDOUT, res);
	EXPECT_EQ(IUC_E_CONNECT_REJECTED, cs.error);
	EXPECT_EQ(0, cs.conn_id);
	EXPECT_EQ(-ETIMEDOUT, peer_reject(&self->svc, req, &err));
	EXPECT_EQ(IUC_E_REJECT_TOO_LATE, err);
}

/*
 * ACCEPT_SERVICE_CONN through the ring is refused (EOPNOTSUPP, 0x02): an
 * io_uring worker cannot be a client thread.  The request still waits:
 * the test process, the service here, accepts it in its own thread.
 * REJECT through the ring works.
 */
TEST_F(ring_svc, accept_through_io_uring_is_eopnotsupp_0x02)
{
	struct iuc_accept_service_conn ac = { .error = ERR_SENTINEL };
	struct iuc_reject_service_conn rj = { .error = ERR_SENTINEL };
	struct peer_msg m = peer_msg_connect(self->anid, 4, IUC_SERVICE_STRICT);
	struct iuc_connect_service conn;
	__u64 ud;
	int res;

	ASSERT_EQ(0, iuc_register_service(self->fd, IUC_SCOPE_USER, NULL));
	ASSERT_EQ(0, peer_send(&self->c, &m));
	ac.request_id = ring_svc_request(_metadata, side_test(self->fd), self->c.pid);
	ASSERT_NE(0, ac.request_id);
	ASSERT_EQ(0, prep_iuc_cmd(&self->ring, self->fd, IUC_IOC_ACCEPT_SERVICE_CONN, &ac, 9));
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(0, wait_cqe(&self->ring, &ud, &res));
	EXPECT_EQ(-EOPNOTSUPP, res);
	EXPECT_EQ(IUC_E_INVALID_ARG, ac.error);
	EXPECT_EQ(0, ac.rc);
	EXPECT_EQ(0, ac.sc);
	EXPECT_EQ(0, ac.is_client_thread);

	EXPECT_EQ(0, iuc_accept_service_conn(self->fd, ac.request_id, &ac));
	EXPECT_EQ(1, ac.is_client_thread);
	EXPECT_EQ(0, peer_connect_wait(&self->c, &conn));
	EXPECT_EQ(IUC_E_NONE, conn.error);
	EXPECT_EQ(0, peer_end(&self->c, conn.conn_id, NULL));

	ASSERT_EQ(0, peer_send(&self->c, &m));
	rj.request_id = ring_svc_request(_metadata, side_test(self->fd), self->c.pid);
	ASSERT_NE(0, rj.request_id);
	ASSERT_EQ(0, prep_iuc_cmd(&self->ring, self->fd, IUC_IOC_REJECT_SERVICE_CONN, &rj, 10));
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(0, wait_cqe(&self->ring, &ud, &res));
	EXPECT_EQ(0, res);
	EXPECT_EQ(IUC_E_NONE, rj.error);
	EXPECT_EQ(-ECONNREFUSED, peer_connect_wait(&self->c, &conn));
	EXPECT_EQ(IUC_E_CONNECT_REJECTED, conn.error);
}

TEST_HARNESS_MAIN
