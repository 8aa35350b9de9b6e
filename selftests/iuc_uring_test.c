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
