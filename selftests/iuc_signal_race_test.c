// SPDX-License-Identifier: GPL-2.0
/*
 * IUC selftests: real-time signals reach the process, whichever of its
 * threads can take them, and are never lost silently.
 *
 * - The signal is process-directed: with the main thread blocking it, a
 *   second thread takes it with sigtimedwait() or from a signalfd.
 * - The main thread leaves with pthread_exit(): the process, alive in its
 *   other thread, can still be reached by OPEN_PIPE and gets its signal.
 * - The receiver's RLIMIT_SIGPENDING is reached: a call whose record's
 *   signal cannot be queued fails with EAGAIN / IUC_E_QUEUE_FULL and
 *   queues nothing; a closing record, or one that READY releases, stays
 *   readable with IUC_SIGNAL_RT_NOT_SENT.
 *
 * Nothing waits for time: every signal is queued by the time the call
 * that raised it returns, and states are read from /proc.
 */
#include <sys/signalfd.h>

#include "kselftest_harness.h"
#include "iuc_test.h"

/* A uid no other process of the test system runs as. */
#define LIMITED_UID	43210

/* Context of the calling process: RECV_PIPE and PIPE_CLOSED with @sig, READY. */
static int open_ready_receiver(int sig)
{
	int fd = iuc_open_receiver((uint32_t)sig, (uint32_t)sig);

	if (fd >= 0 && iuc_ready(fd, NULL)) {
		close(fd);
		return -EIO;
	}
	return fd;
}

/* Check a real-time signal of IUC: SI_ASYNCIO, @code in si_errno, sender. */
#define EXPECT_IUC_RT(signo, si_code, errno_, pid_, sig, code, pid) do {	\
	EXPECT_EQ((sig), (signo));					\
	EXPECT_EQ(SI_ASYNCIO, (si_code));				\
	EXPECT_EQ((code), (errno_));					\
	EXPECT_EQ((pid), (pid_));					\
} while (0)

struct taker {
	int sig;
	int sfd;		/* signalfd to read, or -1: sigtimedwait() */
	int ret;		/* the signal number or -errno */
	siginfo_t si;
	struct signalfd_siginfo ssi;
};

/* Take one pending @t->sig without waiting, in a thread of its own. */
static void *take_in_thread(void *arg)
{
	struct taker *t = arg;
	ssize_t n;

	if (t->sfd < 0) {
		t->ret = take_rt(t->sig, &t->si);
		return NULL;
	}
	n = read(t->sfd, &t->ssi, sizeof(t->ssi));
	t->ret = n == (ssize_t)sizeof(t->ssi) ? (int)t->ssi.ssi_signo :
		 n < 0 ? -errno : -EIO;
	return NULL;
}

/*
 * The main thread blocks SIGRTMIN; a peer opens a pipe to us, which
 * queues the signal before OPEN_PIPE returns.  A second thread takes it
 * at once, with sigtimedwait() and then from a nonblocking signalfd; the
 * main thread has nothing of it pending for itself.  (Sent to the main
 * thread alone, it stayed there, out of the second thread's reach.)
 */
TEST(rt_signal_taken_by_any_thread)
{
	const int sig = SIGRTMIN;
	struct iuc_open_pipe op;
	struct race_thread th;
	struct taker t = { .sig = sig, .sfd = -1 };
	struct peer opener;
	sigset_t set;
	int fd;

	ASSERT_EQ(0, block_rt_signals());
	fd = open_ready_receiver(sig);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, peer_start_opener(&opener));

	op = iuc_pipe_args(getpid(), 1);
	ASSERT_EQ(0, peer_open_pipe(&opener, &op));
	ASSERT_EQ(0, race_thread_start(&th, take_in_thread, &t));
	race_thread_join(&th);
	ASSERT_EQ(sig, t.ret);
	EXPECT_IUC_RT(t.si.si_signo, t.si.si_code, t.si.si_errno, t.si.si_pid,
		      sig, IUC_SIG_RECV_PIPE, opener.pid);
	EXPECT_EQ(getuid(), t.si.si_uid);
	EXPECT_FALSE(rt_pending(sig));

	sigemptyset(&set);
	sigaddset(&set, sig);
	t.sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	ASSERT_LE(0, t.sfd);
	ASSERT_EQ(0, peer_close_pipe(&opener, op.id, NULL));
	ASSERT_EQ(0, race_thread_start(&th, take_in_thread, &t));
	race_thread_join(&th);
	ASSERT_EQ(sig, t.ret);
	EXPECT_IUC_RT((int)t.ssi.ssi_signo, t.ssi.ssi_code, t.ssi.ssi_errno,
		      (pid_t)t.ssi.ssi_pid, sig, IUC_SIG_PIPE_CLOSED, opener.pid);
	EXPECT_EQ(getuid(), t.ssi.ssi_uid);
	EXPECT_FALSE(rt_pending(sig));
	close(t.sfd);
	EXPECT_EQ(0, peer_stop(&opener));
	close(fd);
}

/* ---- the main thread leaves --------------------------------------------- */

/* What the surviving thread of the process reports, step by step. */
struct survivor_report {
	int32_t ret;
	int32_t signo, how, iuc_code;	/* si_signo, si_code, si_errno */
	int32_t sender;			/* si_pid */
	uint32_t record;		/* code of the record read */
};

struct survivor {
	int fd;			/* its context */
	int rsp;		/* to the test */
	pid_t leader;
};

/* Wait until thread @tid of this process is a zombie: 0 or -ETIMEDOUT. */
static int wait_zombie(pid_t tid, int timeout_ms)
{
	struct timespec t0, now;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (race_thread_state(tid) != 'Z') {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - t0.tv_sec) * 1000 +
		    (now.tv_nsec - t0.tv_nsec) / 1000000 > timeout_ms)
			return -ETIMEDOUT;
		sched_yield();
	}
	return 0;
}

/*
 * The thread that outlives the main thread: reports once the main thread
 * is a zombie, then the signal and the record that the test's OPEN_PIPE
 * brings, then exits the process.
 */
static void *survivor_main(void *arg)
{
	struct survivor *sv = arg;
	struct survivor_report r = { 0 };
	struct iuc_signal s;
	siginfo_t si;

	r.ret = wait_zombie(sv->leader, TIMEOUT_MS);
	if (write_full(sv->rsp, &r, sizeof(r)) || r.ret)
		_exit(1);

	r.ret = wait_rt(SIGRTMIN, &si, TIMEOUT_MS);
	r.signo = si.si_signo;
	r.how = si.si_code;
	r.iuc_code = si.si_errno;
	r.sender = si.si_pid;
	if (r.ret > 0)
		r.ret = iuc_read_sig(sv->fd, &s, TIMEOUT_MS);
	r.record = s.code;
	if (write_full(sv->rsp, &r, sizeof(r)))
		_exit(1);
	_exit(0);
}

/* The process of the survivor: context, READY, then its main thread leaves. */
static void __attribute__((noreturn)) survivor_process(int rsp)
{
	static struct survivor sv;
	pthread_t th;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (block_rt_signals())
		_exit(2);
	sv.fd = open_ready_receiver(SIGRTMIN);
	sv.rsp = rsp;
	sv.leader = getpid();
	if (sv.fd < 0 || pthread_create(&th, NULL, survivor_main, &sv))
		_exit(3);
	pthread_exit(NULL);
}

/*
 * The main thread of process P calls pthread_exit() while another thread
 * lives on.  OPEN_PIPE to P still works (the zombie main thread has no
 * namespaces any more: it cannot stand for P), and the RECV_PIPE signal
 * reaches the living thread, which reads the record.
 */
TEST(main_thread_exit_keeps_process_reachable)
{
	struct survivor_report r;
	struct iuc_open_pipe op;
	int p[2], fd, status;
	pid_t pid;

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(p[0]);
		survivor_process(p[1]);
	}
	close(p[1]);
	fd = iuc_open();
	ASSERT_LE(0, fd);

	ASSERT_EQ(0, read_full(p[0], &r, sizeof(r), TIMEOUT_MS));
	ASSERT_EQ(0, r.ret);		/* P's main thread is a zombie */

	op = iuc_pipe_args(pid, 7);
	ASSERT_EQ(0, iuc_open_pipe(fd, &op));
	EXPECT_EQ(IUC_E_NONE, op.error);

	ASSERT_EQ(0, read_full(p[0], &r, sizeof(r), 2 * TIMEOUT_MS));
	EXPECT_EQ(0, r.ret);
	EXPECT_IUC_RT(r.signo, r.how, r.iuc_code, r.sender,
		      SIGRTMIN, IUC_SIG_RECV_PIPE, getpid());
	EXPECT_EQ(IUC_SIG_RECV_PIPE, r.record);

	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(p[0]);
	close(fd);
}

/* ---- RLIMIT_SIGPENDING ----------------------------------------------------- */

/*
 * A receiver peer running as LIMITED_UID (pending signals count per user),
 * handling RECV_PIPE with SIGRTMIN and PIPE_CLOSED with SIGRTMIN + 1, not
 * READY; each test sets its RLIMIT_SIGPENDING.  The test process opens the
 * pipes, from a context of its own.
 */
FIXTURE(limited_receiver) {
	struct peer rcv;
	int fd;
};

FIXTURE_SETUP(limited_receiver)
{
	self->fd = iuc_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, peer_start(&self->rcv, NULL));
	ASSERT_EQ(0, peer_setuid(&self->rcv, LIMITED_UID));
	ASSERT_EQ(0, peer_open_dev(&self->rcv));
	ASSERT_EQ(0, peer_handle(&self->rcv, IUC_SIG_RECV_PIPE, (uint32_t)SIGRTMIN, NULL));
	ASSERT_EQ(0, peer_handle(&self->rcv, IUC_SIG_PIPE_CLOSED, (uint32_t)SIGRTMIN + 1, NULL));
}

FIXTURE_TEARDOWN(limited_receiver)
{
	EXPECT_EQ(0, peer_stop(&self->rcv));
	close(self->fd);
}

/* RLIMIT_SIGPENDING @limit (soft and hard) for the receiver. */
static int limit_sigpending(struct peer *rcv, rlim_t limit)
{
	struct rlimit rl = { limit, limit };

	return prlimit(rcv->pid, RLIMIT_SIGPENDING, &rl, NULL) ? -errno : 0;
}

/* OPEN_PIPE from the test process to the receiver, with @command. */
static int open_to(int fd, struct peer *rcv, uint16_t command,
		   struct iuc_open_pipe *op)
{
	*op = iuc_pipe_args(rcv->pid, command);
	return iuc_open_pipe(fd, op);
}

/*
 * RLIMIT_SIGPENDING 2: two RECV_PIPE signals fill it.  A third OPEN_PIPE
 * fails with EAGAIN / IUC_E_QUEUE_FULL and opens nothing; closing a pipe
 * (which cannot be refused) queues PIPE_CLOSED with IUC_SIGNAL_RT_NOT_SENT.
 * Once the receiver took one signal, OPEN_PIPE works again.
 */
TEST_F(limited_receiver, sigpending_overflow_is_visible)
{
	struct iuc_open_pipe op[4];
	struct iuc_signal s;
	struct rt_info ri;

	ASSERT_EQ(0, limit_sigpending(&self->rcv, 2));
	ASSERT_EQ(0, peer_ready(&self->rcv, NULL));
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, open_to(self->fd, &self->rcv, (uint16_t)(i + 1), &op[i]));
	}
	EXPECT_EQ(-EAGAIN, open_to(self->fd, &self->rcv, 3, &op[2]));
	EXPECT_EQ(IUC_E_QUEUE_FULL, op[2].error);
	EXPECT_NE(0, iuc_close_pipe(self->fd, op[2].id, NULL));	/* not opened */

	ASSERT_EQ(0, iuc_close_pipe(self->fd, op[0].id, NULL));

	/* Two RECV_PIPE with their signals, then the flagged PIPE_CLOSED. */
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, peer_read_sig(&self->rcv, &s, 0));
		EXPECT_EQ(IUC_SIG_RECV_PIPE, s.code);
		EXPECT_EQ(i + 1, s.data.recv_pipe.command);
		EXPECT_EQ(0, s.flags);
	}
	ASSERT_EQ(0, peer_read_sig(&self->rcv, &s, 0));
	EXPECT_EQ(IUC_SIG_PIPE_CLOSED, s.code);
	EXPECT_EQ(IUC_SIGNAL_RT_NOT_SENT, s.flags);
	EXPECT_TRUE(sig_reserved_zero(&s));
	EXPECT_EQ(-ETIMEDOUT, peer_read_sig(&self->rcv, &s, 0));

	/* One signal taken: room for one more. */
	ASSERT_EQ(0, peer_wait_rt(&self->rcv, SIGRTMIN, &ri, TIMEOUT_MS));
	EXPECT_EQ(IUC_SIG_RECV_PIPE, ri.iuc_code);
	ASSERT_EQ(0, open_to(self->fd, &self->rcv, 4, &op[3]));
	ASSERT_EQ(0, peer_read_sig(&self->rcv, &s, 0));
	EXPECT_EQ(4, s.data.recv_pipe.command);
	EXPECT_EQ(0, s.flags);
	EXPECT_EQ(-EAGAIN, open_to(self->fd, &self->rcv, 3, &op[2]));
	EXPECT_EQ(IUC_E_QUEUE_FULL, op[2].error);
}

/*
 * RLIMIT_SIGPENDING 1, three records queued before READY: READY cannot
 * refuse them; the first one's signal is sent, the other two are readable
 * with IUC_SIGNAL_RT_NOT_SENT.
 */
TEST_F(limited_receiver, sigpending_overflow_at_ready)
{
	struct iuc_open_pipe op;
	struct iuc_signal s;

	ASSERT_EQ(0, limit_sigpending(&self->rcv, 1));
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, open_to(self->fd, &self->rcv, (uint16_t)(i + 1), &op));
	}
	ASSERT_EQ(0, peer_ready(&self->rcv, NULL));
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, peer_read_sig(&self->rcv, &s, 0));
		EXPECT_EQ(i + 1, s.data.recv_pipe.command);
		EXPECT_EQ(i ? IUC_SIGNAL_RT_NOT_SENT : 0, s.flags);
	}
}

TEST_HARNESS_MAIN
