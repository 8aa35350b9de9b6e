// SPDX-License-Identifier: GPL-2.0
/*
 * IUC selftests: signal handling calls, READY, signal records (read(2),
 * poll(2), epoll), real-time signals and the queue bound.
 *
 * The test process is the receiver; an agent (a child with a context of
 * its own, see iuc_test_util.h) raises signals by opening and closing
 * pipes to it.  Every agent call is synchronous, so when it returns the
 * record it raised is queued: the absence of a record or of a real-time
 * signal is checked right then, never after a delay.
 */
#include <pthread.h>
#include <sys/epoll.h>

#include "kselftest_harness.h"
#include "iuc_test_util.h"

/* A pipe that @ag opens to the test process, with @command. */
static int ag_pipe_to_me(struct agent *ag, uint16_t command, struct iuc_open_pipe *op)
{
	*op = iuc_pipe_args(getpid(), command);
	return ag_open_pipe(ag, op);
}

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

/* Each of the 8 codes can be handled; success writes IUC_E_NONE. */
TEST(handle_every_code)
{
	uint32_t err, rt;
	int h;
	int fd = iuc_open();

	ASSERT_LE(0, fd);
	for (size_t i = 0; i < N_SIG_CODES; i++) {
		h = -1;
		EXPECT_EQ(0, iuc_is_signal_handled(fd, iuc_sig_codes[i], &h, NULL, &err));
		EXPECT_EQ(IUC_E_NONE, err);
		EXPECT_EQ(0, h) TH_LOG("code 0x%02x handled before", iuc_sig_codes[i]);

		EXPECT_EQ(0, iuc_handle_signal(fd, iuc_sig_codes[i], 0, &err));
		EXPECT_EQ(IUC_E_NONE, err) TH_LOG("code 0x%02x", iuc_sig_codes[i]);

		h = -1;
		rt = 0xDEAD;
		EXPECT_EQ(0, iuc_is_signal_handled(fd, iuc_sig_codes[i], &h, &rt, &err));
		EXPECT_EQ(IUC_E_NONE, err);
		EXPECT_EQ(1, h);
		EXPECT_EQ(0, rt);
	}
}

/*
 * Every code that is not one of the 8: EINVAL with code 0x10 for the three
 * calls, and nothing becomes handled.
 */
TEST(unknown_code_einval)
{
	uint32_t err;
	int h;
	int fd = iuc_open();

	ASSERT_LE(0, fd);
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
	for (size_t i = 0; i < N_SIG_CODES; i++) {
		h = -1;
		EXPECT_EQ(0, iuc_is_signal_handled(fd, iuc_sig_codes[i], &h, NULL, NULL));
		EXPECT_EQ(0, h);
	}
}

/*
 * rt_signal is 0 or a kernel real-time signal 32..64; anything else is
 * EINVAL with IUC_E_INVALID_ARG and changes nothing.
 */
TEST(rt_signal_range)
{
	static const uint32_t good[] = { 0, 32, 33, 34, 48, 63, 64 };
	static const uint32_t bad[] = {
		1, 2, 9, 10, 15, 17, 19, 30, 31, 65, 66, 100, 128, 255, 256,
		0x120 /* low byte 0x20 */, 0x10022, 0x80000022u, 0xFFFFFFFFu,
	};
	uint32_t err, rt;
	int h;
	int fd = iuc_open();

	ASSERT_LE(0, fd);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		EXPECT_EQ(0, iuc_handle_signal(fd, IUC_SIG_RECV_PIPE, good[i], &err))
			TH_LOG("rt %u", good[i]);
		EXPECT_EQ(IUC_E_NONE, err);
		h = -1;
		rt = 0xDEAD;
		EXPECT_EQ(0, iuc_is_signal_handled(fd, IUC_SIG_RECV_PIPE, &h, &rt, NULL));
		EXPECT_EQ(1, h);
		EXPECT_EQ(good[i], rt);
	}
	/* RECV_PIPE handled with 40; PIPE_CLOSED not handled. */
	ASSERT_EQ(0, iuc_handle_signal(fd, IUC_SIG_RECV_PIPE, 40, NULL));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
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

/* Registering again replaces the real-time signal. */
TEST(handle_again_replaces)
{
	static const uint32_t seq[] = { 34, 0, 64, 32, 0 };
	uint32_t rt;
	int h;
	int fd = iuc_open();

	ASSERT_LE(0, fd);
	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		EXPECT_EQ(0, iuc_handle_signal(fd, IUC_SIG_PIPE_CLOSED, seq[i], NULL));
		h = -1;
		rt = 0xDEAD;
		EXPECT_EQ(0, iuc_is_signal_handled(fd, IUC_SIG_PIPE_CLOSED, &h, &rt, NULL));
		EXPECT_EQ(1, h);
		EXPECT_EQ(seq[i], rt);
	}
}

/* UNHANDLE_SIGNAL: a handled code once; then and never handled: ENOENT 0x20. */
TEST(unhandle)
{
	uint32_t err;
	int h;
	int fd = iuc_open();

	ASSERT_LE(0, fd);
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
	for (size_t i = 0; i < N_SIG_CODES; i++) {
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
TEST(ready_twice)
{
	uint32_t err;
	int fd = iuc_open();

	ASSERT_LE(0, fd);
	EXPECT_EQ(0, iuc_ready(fd, &err));
	EXPECT_EQ(IUC_E_NONE, err);
	EXPECT_EQ(-EALREADY, iuc_ready(fd, &err));
	EXPECT_EQ(IUC_E_READY_ALREADY, err);
	EXPECT_EQ(-EALREADY, iuc_ready(fd, &err));
	EXPECT_EQ(IUC_E_READY_ALREADY, err);
	/* Handling still works after READY. */
	EXPECT_EQ(0, iuc_handle_signal(fd, IUC_SIG_RECV_PIPE, 0, &err));
	EXPECT_EQ(IUC_E_NONE, err);
}

/* ---- records ----------------------------------------------------------- */

/*
 * Before READY nothing is readable although records are queued (read on
 * O_NONBLOCK: EAGAIN; poll: no POLLIN); READY releases them, in the order
 * they were raised, with all their fields.
 */
TEST(records_wait_for_ready)
{
	struct iuc_open_pipe op[3];
	struct iuc_signal s;
	struct agent ag;
	uint32_t err;
	int fd = iuc_open_receiver(0, 0);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ag_start_opener(&ag));

	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, ag_pipe_to_me(&ag, (uint16_t)(0x10 + i), &op[i]));
		/* Nothing readable yet, after each record. */
		EXPECT_EQ(-EAGAIN, read_nb(fd, &s, sizeof(s)));
		EXPECT_EQ(0, iuc_poll(fd, POLLIN, 0));
	}
	ASSERT_EQ(0, ag_close_pipe(&ag, op[1].id, &err));
	EXPECT_EQ(IUC_E_NONE, err);
	EXPECT_EQ(-EAGAIN, read_nb(fd, &s, sizeof(s)));
	EXPECT_EQ(0, iuc_poll(fd, POLLIN, 0));

	ASSERT_EQ(0, iuc_ready(fd, NULL));
	/* Readable at once. */
	EXPECT_EQ(POLLIN, iuc_poll(fd, POLLIN, 0) & POLLIN);
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, iuc_read_sig(fd, &s, TIMEOUT_MS));
		EXPECT_EQ(IUC_SIG_RECV_PIPE, s.code);
		EXPECT_EQ(0x10 + i, s.data.recv_pipe.command);
		EXPECT_EQ(op[i].peer_id, s.data.recv_pipe.id);
		EXPECT_EQ(op[i].peer_id, s.object);
		EXPECT_EQ((uint64_t)ag.pid, s.data.recv_pipe.creator_pid);
		EXPECT_TRUE(sig_reserved_zero(&s));
	}
	ASSERT_EQ(0, iuc_read_sig(fd, &s, TIMEOUT_MS));
	EXPECT_EQ(IUC_SIG_PIPE_CLOSED, s.code);
	EXPECT_EQ(op[1].peer_id, s.data.pipe_closed.id);
	EXPECT_EQ(op[1].peer_id, s.object);
	EXPECT_EQ(IUC_CLOSED_BY_CALL, s.data.pipe_closed.closing_type);
	EXPECT_EQ(IUC_PART_RC, s.data.pipe_closed.part);
	EXPECT_TRUE(sig_reserved_zero(&s));
	/* Drained. */
	EXPECT_EQ(-EAGAIN, read_nb(fd, &s, sizeof(s)));
	EXPECT_EQ(0, iuc_poll(fd, POLLIN, 0));

	/* After READY a new record is readable as soon as it is raised. */
	ASSERT_EQ(0, ag_pipe_to_me(&ag, 0x20, &op[0]));
	EXPECT_EQ(POLLIN, iuc_poll(fd, POLLIN, 0) & POLLIN);
	EXPECT_EQ((int)sizeof(s), read_nb(fd, &s, sizeof(s)));
	EXPECT_EQ(IUC_SIG_RECV_PIPE, s.code);
	EXPECT_EQ(0x20, s.data.recv_pipe.command);
	EXPECT_EQ(0, ag_stop(&ag));
}

/*
 * read(2) returns whole records only, as many as fit; a buffer smaller
 * than one record is EINVAL and loses nothing.
 */
TEST(read_whole_records)
{
	struct iuc_signal buf[8];
	struct iuc_open_pipe op[5];
	struct agent ag;
	int fd = iuc_open_receiver(0, 0);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ag_start_opener(&ag));
	ASSERT_EQ(0, iuc_ready(fd, NULL));
	for (int i = 0; i < 5; i++) {
		ASSERT_EQ(0, ag_pipe_to_me(&ag, (uint16_t)(i + 1), &op[i]));
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
	EXPECT_EQ(0, ag_stop(&ag));
}

struct reader {
	int fd;
	size_t len;
	pid_t tid;
	int started;
	int done;
	ssize_t ret;
	int err;
	struct iuc_signal buf[4];
};

static void *reader_thread(void *arg)
{
	struct reader *r = arg;

	r->tid = (pid_t)syscall(SYS_gettid);
	__atomic_store_n(&r->started, 1, __ATOMIC_SEQ_CST);
	r->ret = read(r->fd, r->buf, r->len);
	r->err = errno;
	__atomic_store_n(&r->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Scheduler state of thread @tid ('R', 'S', 'D'...), or 0. */
static char thread_state(pid_t tid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/*
 * Wait until the reader thread sleeps in its read(2).  It sleeps in
 * nothing else after setting @started, so a sleeping state (S, or D for a
 * killable wait) means it is blocked in the read.  False if the read
 * returned instead.
 */
static bool reader_blocked(struct reader *r)
{
	while (!__atomic_load_n(&r->started, __ATOMIC_SEQ_CST))
		usleep(1000);
	for (int i = 0; i < TIMEOUT_MS; i++) {
		char st;

		if (__atomic_load_n(&r->done, __ATOMIC_SEQ_CST))
			return false;
		st = thread_state(r->tid);
		if (st == 'S' || st == 'D')
			return !__atomic_load_n(&r->done, __ATOMIC_SEQ_CST);
		usleep(1000);
	}
	return false;
}

static int join_reader(pthread_t t)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += TIMEOUT_MS / 1000;
	return pthread_timedjoin_np(t, NULL, &ts);
}

/*
 * A blocking read(2) blocks while nothing is readable: before READY even
 * with queued records (READY wakes it and it returns them), and after
 * READY on an empty queue (a new record wakes it).
 */
TEST(blocking_read_waits)
{
	struct reader r = { .len = sizeof(r.buf) };
	struct iuc_open_pipe op[3];
	struct agent ag;
	pthread_t t;
	int fd = iuc_open_receiver(0, 0);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ag_start_opener(&ag));
	r.fd = fd;

	/* Two records queued, not READY. */
	ASSERT_EQ(0, ag_pipe_to_me(&ag, 1, &op[0]));
	ASSERT_EQ(0, ag_pipe_to_me(&ag, 2, &op[1]));
	ASSERT_EQ(0, pthread_create(&t, NULL, reader_thread, &r));
	ASSERT_TRUE(reader_blocked(&r)) TH_LOG("read returned %zd before READY", r.ret);
	ASSERT_EQ(0, iuc_ready(fd, NULL));
	ASSERT_EQ(0, join_reader(t));
	EXPECT_EQ(2 * IUC_SIGNAL_SIZE, r.ret) TH_LOG("errno %d", r.err);
	EXPECT_EQ(1, r.buf[0].data.recv_pipe.command);
	EXPECT_EQ(2, r.buf[1].data.recv_pipe.command);

	/* READY, empty queue: blocks until the next record. */
	memset(&r, 0, sizeof(r));
	r.fd = fd;
	r.len = sizeof(r.buf);
	ASSERT_EQ(0, pthread_create(&t, NULL, reader_thread, &r));
	ASSERT_TRUE(reader_blocked(&r)) TH_LOG("read returned %zd on an empty queue", r.ret);
	ASSERT_EQ(0, ag_pipe_to_me(&ag, 3, &op[2]));
	ASSERT_EQ(0, join_reader(t));
	EXPECT_EQ(IUC_SIGNAL_SIZE, r.ret) TH_LOG("errno %d", r.err);
	EXPECT_EQ(IUC_SIG_RECV_PIPE, r.buf[0].code);
	EXPECT_EQ(3, r.buf[0].data.recv_pipe.command);
	EXPECT_EQ(op[2].peer_id, r.buf[0].data.recv_pipe.id);
	EXPECT_EQ(0, ag_stop(&ag));
}

/*
 * poll(2) and epoll report POLLIN exactly while a record is readable: not
 * before READY, at once after READY, not once drained, and when a new
 * record arrives a waiting epoll_wait wakes.
 */
TEST(poll_and_epoll)
{
	struct epoll_event ev = { .events = EPOLLIN }, out[2];
	struct iuc_open_pipe op;
	struct iuc_signal s;
	struct agent ag;
	int ep, fd = iuc_open_receiver(0, 0);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ag_start_opener(&ag));
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ev.data.u64 = 0x1234;
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));

	EXPECT_EQ(0, iuc_poll(fd, POLLIN, 0));
	EXPECT_EQ(0, epoll_wait(ep, out, 2, 0));
	ASSERT_EQ(0, ag_pipe_to_me(&ag, 1, &op));
	EXPECT_EQ(0, iuc_poll(fd, POLLIN, 0));
	EXPECT_EQ(0, epoll_wait(ep, out, 2, 0));

	ASSERT_EQ(0, iuc_ready(fd, NULL));
	EXPECT_EQ(POLLIN, iuc_poll(fd, POLLIN, 0) & (POLLIN | POLLERR));
	ASSERT_EQ(1, epoll_wait(ep, out, 2, 0));
	EXPECT_EQ(0x1234, out[0].data.u64);
	EXPECT_EQ(EPOLLIN, out[0].events & (EPOLLIN | EPOLLERR));
	/* Level-triggered: still readable until read. */
	EXPECT_EQ(1, epoll_wait(ep, out, 2, 0));
	ASSERT_EQ(0, iuc_read_sig(fd, &s, TIMEOUT_MS));
	EXPECT_EQ(1, s.data.recv_pipe.command);
	EXPECT_EQ(0, iuc_poll(fd, POLLIN, 0));
	EXPECT_EQ(0, epoll_wait(ep, out, 2, 0));

	/* A new record wakes an epoll_wait. */
	ASSERT_EQ(0, ag_pipe_to_me(&ag, 2, &op));
	ASSERT_EQ(1, epoll_wait(ep, out, 2, TIMEOUT_MS));
	EXPECT_EQ(EPOLLIN, out[0].events & EPOLLIN);
	ASSERT_EQ(0, iuc_read_sig(fd, &s, TIMEOUT_MS));
	EXPECT_EQ(2, s.data.recv_pipe.command);
	EXPECT_EQ(0, epoll_wait(ep, out, 2, 0));
	EXPECT_EQ(0, ag_stop(&ag));
}

/*
 * Records are queued only for codes handled when the signal is raised:
 * with PIPE_CLOSED unhandled, a close leaves no record between the
 * RECV_PIPE records around it; handling it afterwards brings no record
 * for the earlier close.
 */
TEST(unhandled_codes_not_queued)
{
	struct iuc_open_pipe op[3];
	struct iuc_signal s;
	struct agent ag;
	int fd = iuc_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, iuc_handle_signal(fd, IUC_SIG_RECV_PIPE, 0, NULL));
	ASSERT_EQ(0, ag_start_opener(&ag));

	ASSERT_EQ(0, ag_pipe_to_me(&ag, 1, &op[0]));
	ASSERT_EQ(0, ag_close_pipe(&ag, op[0].id, NULL));	/* not recorded */
	ASSERT_EQ(0, iuc_handle_signal(fd, IUC_SIG_PIPE_CLOSED, 0, NULL));
	ASSERT_EQ(0, ag_pipe_to_me(&ag, 2, &op[1]));
	ASSERT_EQ(0, ag_close_pipe(&ag, op[1].id, NULL));	/* recorded */
	ASSERT_EQ(0, ag_pipe_to_me(&ag, 3, &op[2]));
	ASSERT_EQ(0, iuc_ready(fd, NULL));

	ASSERT_EQ(0, iuc_read_sig(fd, &s, TIMEOUT_MS));
	EXPECT_EQ(IUC_SIG_RECV_PIPE, s.code);
	EXPECT_EQ(1, s.data.recv_pipe.command);
	ASSERT_EQ(0, iuc_read_sig(fd, &s, TIMEOUT_MS));
	EXPECT_EQ(IUC_SIG_RECV_PIPE, s.code);
	EXPECT_EQ(2, s.data.recv_pipe.command);
	ASSERT_EQ(0, iuc_read_sig(fd, &s, TIMEOUT_MS));
	EXPECT_EQ(IUC_SIG_PIPE_CLOSED, s.code);
	EXPECT_EQ(op[1].peer_id, s.data.pipe_closed.id);
	ASSERT_EQ(0, iuc_read_sig(fd, &s, TIMEOUT_MS));
	EXPECT_EQ(IUC_SIG_RECV_PIPE, s.code);
	EXPECT_EQ(3, s.data.recv_pipe.command);
	EXPECT_EQ(-EAGAIN, read_nb(fd, &s, sizeof(s)));

	/* After READY too: unhandle PIPE_CLOSED, a close is not recorded. */
	ASSERT_EQ(0, iuc_unhandle_signal(fd, IUC_SIG_PIPE_CLOSED, NULL));
	ASSERT_EQ(0, ag_close_pipe(&ag, op[2].id, NULL));
	EXPECT_EQ(-EAGAIN, read_nb(fd, &s, sizeof(s)));
	EXPECT_EQ(0, ag_stop(&ag));
}

/* UNHANDLE_SIGNAL keeps the records of that code that are already queued. */
TEST(unhandle_keeps_queued_records)
{
	struct iuc_open_pipe op;
	struct iuc_signal s;
	struct agent ag;
	int fd = iuc_open_receiver(0, 0);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ag_start_opener(&ag));
	ASSERT_EQ(0, ag_pipe_to_me(&ag, 7, &op));
	ASSERT_EQ(0, ag_close_pipe(&ag, op.id, NULL));
	ASSERT_EQ(0, iuc_unhandle_signal(fd, IUC_SIG_PIPE_CLOSED, NULL));
	ASSERT_EQ(0, iuc_unhandle_signal(fd, IUC_SIG_RECV_PIPE, NULL));
	ASSERT_EQ(0, iuc_ready(fd, NULL));

	ASSERT_EQ(0, iuc_read_sig(fd, &s, TIMEOUT_MS));
	EXPECT_EQ(IUC_SIG_RECV_PIPE, s.code);
	EXPECT_EQ(7, s.data.recv_pipe.command);
	ASSERT_EQ(0, iuc_read_sig(fd, &s, TIMEOUT_MS));
	EXPECT_EQ(IUC_SIG_PIPE_CLOSED, s.code);
	EXPECT_EQ(op.peer_id, s.data.pipe_closed.id);
	EXPECT_EQ(-EAGAIN, read_nb(fd, &s, sizeof(s)));
	EXPECT_EQ(0, ag_stop(&ag));
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
TEST(rt_signals_sent_at_ready_in_order)
{
	const int sig = SIGRTMIN;
	struct iuc_open_pipe op[3];
	struct iuc_signal s;
	struct agent ag;
	siginfo_t si;
	int fd;

	ASSERT_EQ(0, block_rt_signals());
	fd = iuc_open_receiver((uint32_t)sig, (uint32_t)sig);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ag_start_opener(&ag));

	ASSERT_EQ(0, ag_pipe_to_me(&ag, 1, &op[0]));
	ASSERT_EQ(0, ag_close_pipe(&ag, op[0].id, NULL));
	ASSERT_EQ(0, ag_pipe_to_me(&ag, 2, &op[1]));
	EXPECT_TRUE(no_rt_pending());

	ASSERT_EQ(0, iuc_ready(fd, NULL));
	/* Sent by READY itself: pending now. */
	ASSERT_EQ(sig, take_rt(sig, &si));
	EXPECT_RT(si, sig, IUC_SIG_RECV_PIPE, ag.pid);
	ASSERT_EQ(sig, take_rt(sig, &si));
	EXPECT_RT(si, sig, IUC_SIG_PIPE_CLOSED, ag.pid);
	ASSERT_EQ(sig, take_rt(sig, &si));
	EXPECT_RT(si, sig, IUC_SIG_RECV_PIPE, ag.pid);
	EXPECT_TRUE(no_rt_pending());

	/* The records are there as well. */
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, iuc_read_sig(fd, &s, TIMEOUT_MS));
	}
	EXPECT_EQ(IUC_SIG_RECV_PIPE, s.code);
	EXPECT_EQ(2, s.data.recv_pipe.command);

	/* After READY: sent when the record is raised. */
	ASSERT_EQ(0, ag_pipe_to_me(&ag, 3, &op[2]));
	ASSERT_EQ(sig, take_rt(sig, &si));
	EXPECT_RT(si, sig, IUC_SIG_RECV_PIPE, ag.pid);
	ASSERT_EQ(0, ag_close_pipe(&ag, op[2].id, NULL));
	ASSERT_EQ(sig, take_rt(sig, &si));
	EXPECT_RT(si, sig, IUC_SIG_PIPE_CLOSED, ag.pid);
	EXPECT_TRUE(no_rt_pending());
	EXPECT_EQ(0, ag_stop(&ag));
}

/*
 * Each code sends its own real-time signal (here SIGRTMIN+1 and the last
 * one, 64); a code handled with 0 queues records and sends nothing.
 */
TEST(rt_signal_per_code)
{
	const int sig_recv = SIGRTMIN + 1, sig_closed = SIGRTMAX;
	struct iuc_open_pipe op;
	struct iuc_signal s;
	struct agent ag;
	siginfo_t si;
	int fd;

	ASSERT_EQ(64, SIGRTMAX);
	ASSERT_EQ(0, block_rt_signals());
	fd = iuc_open_receiver((uint32_t)sig_recv, (uint32_t)sig_closed);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, iuc_ready(fd, NULL));
	ASSERT_EQ(0, ag_start_opener(&ag));

	ASSERT_EQ(0, ag_pipe_to_me(&ag, 1, &op));
	ASSERT_EQ(sig_recv, wait_rt(sig_recv, &si, TIMEOUT_MS));
	EXPECT_RT(si, sig_recv, IUC_SIG_RECV_PIPE, ag.pid);
	EXPECT_TRUE(no_rt_pending());
	ASSERT_EQ(0, ag_close_pipe(&ag, op.id, NULL));
	ASSERT_EQ(sig_closed, wait_rt(sig_closed, &si, TIMEOUT_MS));
	EXPECT_RT(si, sig_closed, IUC_SIG_PIPE_CLOSED, ag.pid);
	EXPECT_TRUE(no_rt_pending());

	/* PIPE_CLOSED now records only. */
	ASSERT_EQ(0, iuc_handle_signal(fd, IUC_SIG_PIPE_CLOSED, 0, NULL));
	ASSERT_EQ(0, ag_pipe_to_me(&ag, 2, &op));
	ASSERT_EQ(0, ag_close_pipe(&ag, op.id, NULL));
	ASSERT_EQ(sig_recv, take_rt(sig_recv, &si));
	EXPECT_RT(si, sig_recv, IUC_SIG_RECV_PIPE, ag.pid);
	EXPECT_TRUE(no_rt_pending());

	/* All four records are readable. */
	for (int i = 0; i < 4; i++) {
		ASSERT_EQ(0, iuc_read_sig(fd, &s, TIMEOUT_MS));
		EXPECT_EQ(i % 2 ? IUC_SIG_PIPE_CLOSED : IUC_SIG_RECV_PIPE, s.code);
	}
	EXPECT_EQ(-EAGAIN, read_nb(fd, &s, sizeof(s)));
	EXPECT_EQ(0, ag_stop(&ag));
}

/*
 * si_pid is the process that caused the signal, seen from the other side:
 * the test process opens a pipe to an agent and closes it; the agent's
 * RECV_PIPE and PIPE_CLOSED signals carry the test process's pid.
 */
TEST(rt_signal_sender_pid)
{
	struct iuc_open_pipe op;
	struct rt_info ri;
	struct agent ag;
	int fd = iuc_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, agent_start(&ag, NULL));
	ASSERT_EQ(0, ag_open_dev(&ag));
	ASSERT_EQ(0, ag_handle(&ag, IUC_SIG_RECV_PIPE, (uint32_t)SIGRTMIN, NULL));
	ASSERT_EQ(0, ag_handle(&ag, IUC_SIG_PIPE_CLOSED, (uint32_t)SIGRTMIN + 2, NULL));
	ASSERT_EQ(0, ag_ready(&ag, NULL));

	op = iuc_pipe_args(ag.pid, 9);
	ASSERT_EQ(0, iuc_open_pipe(fd, &op));
	ASSERT_EQ(0, ag_wait_rt(&ag, SIGRTMIN, &ri, TIMEOUT_MS));
	EXPECT_EQ(SIGRTMIN, ri.signo);
	EXPECT_EQ(SI_ASYNCIO, ri.code);
	EXPECT_EQ(IUC_SIG_RECV_PIPE, ri.iuc_code);
	EXPECT_EQ(getpid(), ri.pid);

	ASSERT_EQ(0, iuc_close_pipe(fd, op.id, NULL));
	ASSERT_EQ(0, ag_wait_rt(&ag, SIGRTMIN + 2, &ri, TIMEOUT_MS));
	EXPECT_EQ(SIGRTMIN + 2, ri.signo);
	EXPECT_EQ(SI_ASYNCIO, ri.code);
	EXPECT_EQ(IUC_SIG_PIPE_CLOSED, ri.iuc_code);
	EXPECT_EQ(getpid(), ri.pid);
	EXPECT_EQ(0, ag_stop(&ag));
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

FIXTURE(queue) {
	long long saved;
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
	self->saved = param_read(PARAM_MAX_QUEUED);
	ASSERT_LT(0, self->saved);
	ASSERT_EQ(0, param_write(PARAM_MAX_QUEUED, SMALL_QUEUE));
	ASSERT_EQ(SMALL_QUEUE, param_read(PARAM_MAX_QUEUED));
}

FIXTURE_TEARDOWN(queue)
{
	if (self->saved > 0) {
		EXPECT_EQ(0, param_write(PARAM_MAX_QUEUED, self->saved));
	}
}

/*
 * A full queue refuses notified OPEN_PIPE with EAGAIN / IUC_E_QUEUE_FULL
 * and loses nothing; IUC_NOTIFY_SKIP still opens; once read, the queue
 * takes records again.
 */
TEST_F(queue, full_queue_refuses_notification)
{
	struct iuc_open_pipe op[SMALL_QUEUE], extra;
	struct iuc_signal s;
	struct agent ag;
	int fd = iuc_open_receiver(0, 0);

	ASSERT_LE(0, fd);
	if (variant->ready_first) {
		ASSERT_EQ(0, iuc_ready(fd, NULL));
	}
	ASSERT_EQ(0, ag_start_opener(&ag));

	for (int i = 0; i < SMALL_QUEUE; i++) {
		ASSERT_EQ(0, ag_pipe_to_me(&ag, (uint16_t)(i + 1), &op[i])) TH_LOG("pipe %d", i);
		EXPECT_EQ(IUC_E_NONE, op[i].error);
	}
	for (int i = 0; i < 2; i++) {
		EXPECT_EQ(-EAGAIN, ag_pipe_to_me(&ag, 0x100, &extra));
		EXPECT_EQ(IUC_E_QUEUE_FULL, extra.error);
	}
	extra = iuc_pipe_args(getpid(), 0x200);
	extra.notify = IUC_NOTIFY_SKIP;
	EXPECT_EQ(0, ag_open_pipe(&ag, &extra));
	EXPECT_EQ(IUC_E_NONE, extra.error);
	EXPECT_NE(0, extra.peer_id);

	if (!variant->ready_first) {
		ASSERT_EQ(0, iuc_ready(fd, NULL));
	}
	for (int i = 0; i < SMALL_QUEUE; i++) {
		ASSERT_EQ(0, iuc_read_sig(fd, &s, TIMEOUT_MS));
		EXPECT_EQ(IUC_SIG_RECV_PIPE, s.code);
		EXPECT_EQ(i + 1, s.data.recv_pipe.command);
		EXPECT_EQ(op[i].peer_id, s.data.recv_pipe.id);
	}
	EXPECT_EQ(-EAGAIN, read_nb(fd, &s, sizeof(s)));

	/* Drained: notifications are accepted again. */
	ASSERT_EQ(0, ag_pipe_to_me(&ag, 0x300, &extra));
	ASSERT_EQ(0, iuc_read_sig(fd, &s, TIMEOUT_MS));
	EXPECT_EQ(0x300, s.data.recv_pipe.command);
	EXPECT_EQ(0, ag_stop(&ag));
}

/*
 * PIPE_CLOSED records are delivered even when the queue is full: their
 * room was reserved when the pipes were opened (notified or not).
 */
TEST_F(queue, closing_records_bypass_full_queue)
{
	struct iuc_open_pipe op[SMALL_QUEUE + 1], extra;
	struct iuc_signal s;
	struct agent ag;
	uint32_t err;
	int fd = iuc_open_receiver(0, 0);

	ASSERT_LE(0, fd);
	if (variant->ready_first) {
		ASSERT_EQ(0, iuc_ready(fd, NULL));
	}
	ASSERT_EQ(0, ag_start_opener(&ag));

	for (int i = 0; i < SMALL_QUEUE; i++) {
		ASSERT_EQ(0, ag_pipe_to_me(&ag, (uint16_t)(i + 1), &op[i]));
	}
	op[SMALL_QUEUE] = iuc_pipe_args(getpid(), 0x99);
	op[SMALL_QUEUE].notify = IUC_NOTIFY_SKIP;
	ASSERT_EQ(0, ag_open_pipe(&ag, &op[SMALL_QUEUE]));
	/* The queue is full. */
	ASSERT_EQ(-EAGAIN, ag_pipe_to_me(&ag, 0x100, &extra));

	/* Close all, the skipped one first, then from the last to the first. */
	for (int i = SMALL_QUEUE; i >= 0; i--) {
		EXPECT_EQ(0, ag_close_pipe(&ag, op[i].id, &err)) TH_LOG("close %d", i);
		EXPECT_EQ(IUC_E_NONE, err);
	}

	if (!variant->ready_first) {
		ASSERT_EQ(0, iuc_ready(fd, NULL));
	}
	for (int i = 0; i < SMALL_QUEUE; i++) {
		ASSERT_EQ(0, iuc_read_sig(fd, &s, TIMEOUT_MS));
		EXPECT_EQ(IUC_SIG_RECV_PIPE, s.code);
		EXPECT_EQ(i + 1, s.data.recv_pipe.command);
	}
	for (int i = SMALL_QUEUE; i >= 0; i--) {
		ASSERT_EQ(0, iuc_read_sig(fd, &s, TIMEOUT_MS)) TH_LOG("PIPE_CLOSED %d lost", i);
		EXPECT_EQ(IUC_SIG_PIPE_CLOSED, s.code);
		EXPECT_EQ(op[i].peer_id, s.data.pipe_closed.id);
		EXPECT_EQ(IUC_CLOSED_BY_CALL, s.data.pipe_closed.closing_type);
		EXPECT_EQ(IUC_PART_RC, s.data.pipe_closed.part);
	}
	EXPECT_EQ(-EAGAIN, read_nb(fd, &s, sizeof(s)));
	EXPECT_EQ(0, ag_stop(&ag));
}

TEST_HARNESS_MAIN
