// SPDX-License-Identifier: GPL-2.0
/*
 * IUC calls submitted through io_uring (IORING_OP_URING_CMD, with liburing):
 * cmd_op is the IUC_IOC_* command, the first 8 bytes of the command area
 * the address of the argument struct; the completion carries 0 or -errno.
 * A blocking PIPE_READ waits in io_uring instead of in a thread of ours.
 */
#include <liburing.h>

#include "kselftest_harness.h"
#include "iuc_test.h"

/* Queue one IUC call on @ring: 0, or -EBUSY when the ring is full. */
static int prep_iuc_cmd(struct io_uring *ring, int fd, unsigned int cmd,
			void *args, __u64 user_data)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	__u64 addr = (uintptr_t)args;

	if (!sqe)
		return -EBUSY;
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = fd;
	sqe->cmd_op = cmd;
	memcpy(sqe->cmd, &addr, sizeof(addr));
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
 * A URING_CMD that follows another request in a link chain runs after the
 * submission returned; with IOSQE_ASYNC io_uring copies its submission
 * entry at once, so a reused slot does not change its argument.  (6.12's
 * io_uring copies the entry of a linked command only when it runs, from a
 * slot the application may have reused: the README's io_uring section.)
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

TEST_HARNESS_MAIN
