/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the IUC selftests.
 *
 * Include this after kselftest_harness.h.  Note that the harness's EXPECT_*
 * and ASSERT_* are two statements: loops and ifs around them need braces.  Nothing here uses the harness's
 * ASSERT/EXPECT macros: helpers return values that the tests check.
 *
 * - iuc_*():  thin wrappers around the ioctls of /dev/iuc.  Each one presets
 *   the @error field of the argument struct to ERR_SENTINEL (a value the
 *   kernel never writes) so that a test can tell whether the kernel wrote the
 *   field, and returns 0 on success or -errno on failure.
 * - agents:   a child process that owns an IUC context of its own and runs
 *   commands that the test sends it through a pipe (open /dev/iuc, handle a
 *   signal, open or close a pipe, read a record, wait for a real-time signal,
 *   change uid, unshare the IPC namespace...).  This is how a test drives
 *   the "other process" of every scenario without sleeping: each command is
 *   synchronous, so when ag_*() returns, the agent's call has completed.
 *   Agents never use the harness macros; a test checks what they report.
 *   An agent exits when the test closes its command pipe (ag_stop()), when
 *   the test process dies (PR_SET_PDEATHSIG) or on AG_EXIT.
 *
 * Every wait is bounded by TIMEOUT_MS, only to turn a hang into a failure;
 * no result depends on timing.
 */
#ifndef IUC_TEST_UTIL_H
#define IUC_TEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/iuc.h>

#ifndef IUC_DEV
#define IUC_DEV			"/dev/iuc"
#endif
#define TIMEOUT_MS		10000
/* Preset into @error before each call: the kernel never writes it. */
#define ERR_SENTINEL		0xA5A5A5A5u
#define PARAM_DIR		"/sys/module/iuc/parameters/"
#define PARAM_MAX_QUEUED	PARAM_DIR "max_queued_signals"
#define PARAM_MAX_PIPES		PARAM_DIR "max_pipes_per_process"

/* The 8 signal codes of the specification. */
static const uint8_t iuc_sig_codes[] = {
	IUC_SIG_RECV_PIPE,
	IUC_SIG_PIPE_CLOSED,
	IUC_SIG_SERVICE_CONN_REQUEST,
	IUC_SIG_SERVICE_CLIENT_CLOSED,
	IUC_SIG_SERVICE_CLIENT_QUITTED,
	IUC_SIG_SERVICE_SERVER_QUITTED,
	IUC_SIG_RECV_SHARED_MEM,
	IUC_SIG_UNSHARED_MEM,
};
#define N_SIG_CODES	(sizeof(iuc_sig_codes) / sizeof(iuc_sig_codes[0]))

static inline bool iuc_is_sig_code(unsigned int code)
{
	for (size_t i = 0; i < N_SIG_CODES; i++)
		if (iuc_sig_codes[i] == code)
			return true;
	return false;
}

/* ---- raw calls --------------------------------------------------------- */

static inline int iuc_open(void)
{
	return open(IUC_DEV, O_RDWR | O_CLOEXEC);
}

/* ioctl() as 0 / -errno. */
static inline int iuc_ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

static inline int iuc_handle_signal(int fd, unsigned int code,
				    uint32_t rt_signal, uint32_t *err)
{
	struct iuc_handle_signal a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.error = ERR_SENTINEL;
	a.code = code;
	a.rt_signal = rt_signal;
	ret = iuc_ioctl(fd, IUC_IOC_HANDLE_SIGNAL, &a);
	if (err)
		*err = a.error;
	return ret;
}

static inline int iuc_unhandle_signal(int fd, unsigned int code, uint32_t *err)
{
	struct iuc_unhandle_signal a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.error = ERR_SENTINEL;
	a.code = code;
	ret = iuc_ioctl(fd, IUC_IOC_UNHANDLE_SIGNAL, &a);
	if (err)
		*err = a.error;
	return ret;
}

/* @handled and @rt_signal are written only on success. */
static inline int iuc_is_signal_handled(int fd, unsigned int code,
					int *handled, uint32_t *rt_signal,
					uint32_t *err)
{
	struct iuc_is_signal_handled a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.error = ERR_SENTINEL;
	a.code = code;
	ret = iuc_ioctl(fd, IUC_IOC_IS_SIGNAL_HANDLED, &a);
	if (err)
		*err = a.error;
	if (!ret) {
		if (handled)
			*handled = a.handled;
		if (rt_signal)
			*rt_signal = a.rt_signal;
	}
	return ret;
}

static inline int iuc_ready(int fd, uint32_t *err)
{
	struct iuc_ready a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.error = ERR_SENTINEL;
	ret = iuc_ioctl(fd, IUC_IOC_READY, &a);
	if (err)
		*err = a.error;
	return ret;
}

/* Arguments of an OPEN_PIPE that notifies a raw pipe of type 0 to @pid. */
static inline struct iuc_open_pipe iuc_pipe_args(pid_t pid, uint16_t command)
{
	struct iuc_open_pipe a;

	memset(&a, 0, sizeof(a));
	a.target_pid = (uint64_t)pid;
	a.command = command;
	a.type = IUC_PIPE_TYPE_CALLER_SENDS;
	a.mode = IUC_PIPE_MODE_RAW;
	a.notify = IUC_NOTIFY;
	return a;
}

/* OPEN_PIPE with the caller's @a; @a->error, id and peer_id are results. */
static inline int iuc_open_pipe(int fd, struct iuc_open_pipe *a)
{
	a->error = ERR_SENTINEL;
	a->id = 0;
	a->peer_id = 0;
	return iuc_ioctl(fd, IUC_IOC_OPEN_PIPE, a);
}

static inline int iuc_close_pipe(int fd, uint64_t id, uint32_t *err)
{
	struct iuc_close_pipe a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.error = ERR_SENTINEL;
	a.id = id;
	ret = iuc_ioctl(fd, IUC_IOC_CLOSE_PIPE, &a);
	if (err)
		*err = a.error;
	return ret;
}

/* poll() for @events: the revents, 0 on timeout, -errno on error. */
static inline int iuc_poll(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int ret;

	do {
		ret = poll(&p, 1, timeout_ms);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -errno;
	return ret ? p.revents : 0;
}

/*
 * Wait up to @timeout_ms for a record and read exactly one.
 * 0 on success, -ETIMEDOUT, -EIO for a short read, or -errno.
 */
static inline int iuc_read_sig(int fd, struct iuc_signal *s, int timeout_ms)
{
	int rev = iuc_poll(fd, POLLIN, timeout_ms);
	ssize_t n;

	if (rev < 0)
		return rev;
	if (!(rev & POLLIN))
		return rev ? -EIO : -ETIMEDOUT;
	memset(s, 0x5A, sizeof(*s));
	n = read(fd, s, sizeof(*s));
	if (n < 0)
		return -errno;
	return n == (ssize_t)sizeof(*s) ? 0 : -EIO;
}

static inline int set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -errno;
	fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	return fcntl(fd, F_SETFL, fl) < 0 ? -errno : 0;
}

/* Inode number of the caller's IPC namespace: the ANID of the process. */
static inline uint64_t ipc_ns_ino(void)
{
	struct stat st;

	if (stat("/proc/self/ns/ipc", &st))
		return 0;
	return st.st_ino;
}

/* True when every byte of @p is zero. */
static inline bool all_zero(const void *p, size_t len)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < len; i++)
		if (c[i])
			return false;
	return true;
}

/* Reserved bytes of a record that the kernel must clear (no kernel data leak). */
static inline bool sig_reserved_zero(const struct iuc_signal *s)
{
	return all_zero(s->__pad, sizeof(s->__pad)) &&
	       all_zero(s->__reserved, sizeof(s->__reserved));
}

/* ---- module parameters -------------------------------------------------- */

/* Read a numeric module parameter; -errno on failure. */
static inline long long param_read(const char *path)
{
	char buf[64];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = 0;
	return strtoll(buf, NULL, 0);
}

static inline int param_write(const char *path, long long val)
{
	char buf[64];
	int len = snprintf(buf, sizeof(buf), "%lld\n", val);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	close(fd);
	if (n < 0)
		return -errno;
	return n == len ? 0 : -EIO;
}

/* ---- byte I/O on pipes and sockets -------------------------------------- */

static inline int write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= n;
	}
	return 0;
}

/* Read exactly @len bytes, waiting at most @timeout_ms for each chunk. */
static inline int read_full(int fd, void *buf, size_t len, int timeout_ms)
{
	char *p = buf;

	while (len) {
		int rev = iuc_poll(fd, POLLIN, timeout_ms);
		ssize_t n;

		if (rev < 0)
			return rev;
		if (!rev)
			return -ETIMEDOUT;
		n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;	/* EOF: peer gone */
		p += n;
		len -= n;
	}
	return 0;
}

/* Pass @fd over the unix socket @sock (SCM_RIGHTS). */
static inline int send_fd(int sock, int fd)
{
	char byte = 'F';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *c;

	memset(&u, 0, sizeof(u));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -errno;
}

/* Receive an fd sent with send_fd(); the fd or -errno. */
static inline int recv_fd(int sock, int timeout_ms)
{
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *c;
	int fd, rev = iuc_poll(sock, POLLIN, timeout_ms);

	if (rev < 0)
		return rev;
	if (!rev)
		return -ETIMEDOUT;
	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -EIO;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
		return -EIO;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/* ---- real-time signals --------------------------------------------------- */

/* Block every real-time signal of the C library (SIGRTMIN..SIGRTMAX). */
static inline int block_rt_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	for (int s = SIGRTMIN; s <= SIGRTMAX; s++)
		sigaddset(&set, s);
	return sigprocmask(SIG_BLOCK, &set, NULL) ? -errno : 0;
}

/* Is real-time signal @sig pending for the calling thread or process? */
static inline bool rt_pending(int sig)
{
	sigset_t set;

	sigemptyset(&set);
	return !sigpending(&set) && sigismember(&set, sig) == 1;
}

/* Wait for one of the (blocked) signals @sig; its number, -ETIMEDOUT or -errno. */
static inline int wait_rt(int sig, siginfo_t *si, int timeout_ms)
{
	struct timespec ts = {
		.tv_sec = timeout_ms / 1000,
		.tv_nsec = (timeout_ms % 1000) * 1000000L,
	};
	sigset_t set;
	int ret;

	sigemptyset(&set);
	sigaddset(&set, sig);
	memset(si, 0, sizeof(*si));
	do {
		ret = sigtimedwait(&set, si, &ts);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return errno == EAGAIN ? -ETIMEDOUT : -errno;
	return ret;
}

/* Remove one pending @sig without waiting: the signal number or -EAGAIN. */
static inline int take_rt(int sig, siginfo_t *si)
{
	struct timespec ts = { 0, 0 };
	sigset_t set;
	int ret;

	sigemptyset(&set);
	sigaddset(&set, sig);
	ret = sigtimedwait(&set, si, &ts);
	return ret < 0 ? -errno : ret;
}

/* ---- capabilities and uids ----------------------------------------------- */

/* Remove capability @cap from the effective, permitted and inheritable sets. */
static inline int drop_cap(int cap)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0,
	};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	int i = CAP_TO_INDEX(cap);
	uint32_t m = CAP_TO_MASK(cap);

	if (syscall(SYS_capget, &h, d))
		return -errno;
	d[i].effective &= ~m;
	d[i].permitted &= ~m;
	d[i].inheritable &= ~m;
	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

/* Is @cap in the effective set of the caller? */
static inline int has_cap(int cap)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0,
	};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &h, d))
		return -errno;
	return !!(d[CAP_TO_INDEX(cap)].effective & CAP_TO_MASK(cap));
}

/* ---- agents ---------------------------------------------------------------- */

enum ag_op {
	AG_OPEN_DEV = 1,	/* open /dev/iuc into the own slot */
	AG_CLOSE_FD,		/* close(2) the fd of the selected slot */
	AG_HANDLE,		/* a0 code, a1 rt_signal */
	AG_UNHANDLE,		/* a0 code */
	AG_IS_HANDLED,		/* a0 code -> v0 handled, v1 rt_signal */
	AG_READY,
	AG_OPEN_PIPE,		/* pipe args in/out */
	AG_CLOSE_PIPE,		/* a0 id */
	AG_READ_SIG,		/* a0 timeout ms -> sig */
	AG_READ_RAW,		/* read(2) of 64 bytes at once -> ret = bytes */
	AG_POLL,		/* a0 timeout ms -> ret = revents */
	AG_WAIT_RT,		/* a0 signal, a1 timeout -> v0 signo, v1 si_code, v2 si_errno, v3 si_pid */
	AG_SETUID,		/* a0 uid: setresuid(uid, uid, uid), drops all caps */
	AG_DROP_CAP,		/* a0 capability */
	AG_UNSHARE_IPC,		/* unshare(CLONE_NEWIPC) */
	AG_NS_INO,		/* -> v0 inode of /proc/self/ns/ipc */
	AG_SEND_FD,		/* send the selected slot's fd over the socket */
	AG_RECV_FD,		/* receive an fd from the socket into the inherited slot */
	AG_FORK,		/* fork the sub agent prepared by agent_prepare() -> v0 pid */
	AG_EXIT,		/* _exit(a0) without reply */
};

/* Slots of an agent's fds of /dev/iuc. */
#define AG_OWN		0	/* opened by the agent itself (AG_OPEN_DEV) */
#define AG_INHERITED	1	/* inherited through fork or received by SCM_RIGHTS */

struct ag_msg {
	uint32_t op;
	uint32_t slot;
	uint64_t a[2];
	struct iuc_open_pipe pipe;
};

struct ag_reply {
	int32_t ret;		/* 0 / -errno; AG_READ_RAW: bytes; AG_POLL: revents */
	uint32_t error;		/* the struct's error field after the call */
	uint64_t v[4];
	struct iuc_open_pipe pipe;
	struct iuc_signal sig;
};

struct agent {
	pid_t pid;
	int cmd;		/* test -> agent */
	int rsp;		/* agent -> test */
	int slot;		/* slot that the next commands use */
	/* agent side ends, kept until the agent runs */
	int cmd_rd, rsp_wr;
};

struct agent_opts {
	int inherit_fd;		/* fd of /dev/iuc put into AG_INHERITED, or -1 */
	int sock;		/* unix socket kept for AG_SEND_FD/AG_RECV_FD, or -1 */
	struct agent *sub;	/* prepared agent that AG_FORK will start, or NULL */
	bool no_pdeathsig;	/* survive the parent (for sub agents) */
};

/*
 * Create the pipes of an agent: agent_start() does it; call it directly
 * only for the sub agent of agent_opts.sub, which AG_FORK starts.
 */
static inline int agent_prepare(struct agent *ag)
{
	int c[2], r[2];

	memset(ag, 0, sizeof(*ag));
	ag->pid = -1;
	if (pipe2(c, O_CLOEXEC))
		return -errno;
	if (pipe2(r, O_CLOEXEC)) {
		close(c[0]);
		close(c[1]);
		return -errno;
	}
	ag->cmd_rd = c[0];
	ag->cmd = c[1];
	ag->rsp = r[0];
	ag->rsp_wr = r[1];
	ag->slot = AG_OWN;
	return 0;
}

/* Close every fd above 2 but the @n of @keep (negative entries ignored). */
static inline void close_all_but(const int *keep, int n)
{
	int k[8], nk = 0;
	unsigned int from = 3;

	for (int i = 0; i < n && nk < 8; i++)
		if (keep[i] >= 3)
			k[nk++] = keep[i];
	/* sort, then close the ranges between the kept fds */
	for (int i = 1; i < nk; i++)
		for (int j = i; j > 0 && k[j - 1] > k[j]; j--) {
			int t = k[j];

			k[j] = k[j - 1];
			k[j - 1] = t;
		}
	for (int i = 0; i < nk; i++) {
		if ((unsigned int)k[i] > from)
			syscall(SYS_close_range, from, (unsigned int)k[i] - 1, 0);
		if ((unsigned int)k[i] + 1 > from)
			from = (unsigned int)k[i] + 1;
	}
	syscall(SYS_close_range, from, ~0U, 0);
}

static __attribute__((noreturn)) void
agent_main(int cmd, int rsp, int own, int inherited, int sock, struct agent *sub);

static inline void agent_do(struct ag_msg *m, struct ag_reply *r, int *fds,
			    int sock, struct agent *sub)
{
	int fd = fds[m->slot ? 1 : 0];

	switch (m->op) {
	case AG_OPEN_DEV: {
		int nfd = iuc_open();

		/* A failed open keeps the fd the agent had. */
		r->ret = nfd < 0 ? -errno : 0;
		if (nfd >= 0)
			fds[0] = nfd;
		break;
	}
	case AG_CLOSE_FD:
		r->ret = close(fd) ? -errno : 0;
		fds[m->slot ? 1 : 0] = -1;
		break;
	case AG_HANDLE:
		r->ret = iuc_handle_signal(fd, m->a[0], m->a[1], &r->error);
		break;
	case AG_UNHANDLE:
		r->ret = iuc_unhandle_signal(fd, m->a[0], &r->error);
		break;
	case AG_IS_HANDLED: {
		int h = -1;
		uint32_t rt = 0;

		r->ret = iuc_is_signal_handled(fd, m->a[0], &h, &rt, &r->error);
		r->v[0] = h;
		r->v[1] = rt;
		break;
	}
	case AG_READY:
		r->ret = iuc_ready(fd, &r->error);
		break;
	case AG_OPEN_PIPE:
		r->pipe = m->pipe;
		r->ret = iuc_open_pipe(fd, &r->pipe);
		r->error = r->pipe.error;
		break;
	case AG_CLOSE_PIPE:
		r->ret = iuc_close_pipe(fd, m->a[0], &r->error);
		break;
	case AG_READ_SIG:
		r->ret = iuc_read_sig(fd, &r->sig, (int)m->a[0]);
		break;
	case AG_READ_RAW: {
		ssize_t n = read(fd, &r->sig, sizeof(r->sig));

		r->ret = n < 0 ? -errno : (int)n;
		break;
	}
	case AG_POLL:
		r->ret = iuc_poll(fd, POLLIN, (int)m->a[0]);
		break;
	case AG_WAIT_RT: {
		siginfo_t si;

		r->ret = wait_rt((int)m->a[0], &si, (int)m->a[1]);
		if (r->ret > 0) {
			r->v[0] = si.si_signo;
			r->v[1] = (uint64_t)(int64_t)si.si_code;
			r->v[2] = (uint64_t)(int64_t)si.si_errno;
			r->v[3] = si.si_pid;
			r->ret = 0;
		}
		break;
	}
	case AG_SETUID: {
		uid_t u = (uid_t)m->a[0];

		r->ret = setgroups(0, NULL) || setresgid(u, u, u) ||
			 setresuid(u, u, u) ? -errno : 0;
		break;
	}
	case AG_DROP_CAP:
		r->ret = drop_cap((int)m->a[0]);
		break;
	case AG_UNSHARE_IPC:
		r->ret = unshare(CLONE_NEWIPC) ? -errno : 0;
		break;
	case AG_NS_INO:
		r->v[0] = ipc_ns_ino();
		r->ret = r->v[0] ? 0 : -ENOENT;
		break;
	case AG_SEND_FD:
		r->ret = send_fd(sock, fd);
		break;
	case AG_RECV_FD:
		fds[1] = recv_fd(sock, TIMEOUT_MS);
		r->ret = fds[1] < 0 ? fds[1] : 0;
		break;
	case AG_FORK: {
		pid_t p;

		if (!sub) {
			r->ret = -EINVAL;
			break;
		}
		p = fork();
		if (p < 0) {
			r->ret = -errno;
			break;
		}
		if (p == 0) {
			int keep[] = { sub->cmd_rd, sub->rsp_wr, fds[0] };

			/* The sub agent inherits this agent's own fd only. */
			close_all_but(keep, 3);
			agent_main(sub->cmd_rd, sub->rsp_wr, -1, fds[0], -1, NULL);
		}
		/* Only the test and the sub agent keep the sub agent's pipes. */
		close(sub->cmd_rd);
		close(sub->rsp_wr);
		r->v[0] = p;
		r->ret = 0;
		break;
	}
	default:
		r->ret = -ENOSYS;
		break;
	}
}

static __attribute__((unused)) void
agent_main(int cmd, int rsp, int own, int inherited, int sock, struct agent *sub)
{
	int fds[2] = { own, inherited };

	if (block_rt_signals())
		_exit(90);
	for (;;) {
		struct ag_msg m;
		struct ag_reply r;
		ssize_t n;

		do {
			n = read(cmd, &m, sizeof(m));
		} while (n < 0 && errno == EINTR);
		if (n == 0)
			_exit(0);	/* the test closed the command pipe */
		if (n != (ssize_t)sizeof(m))
			_exit(91);
		if (m.op == AG_EXIT)
			_exit((int)m.a[0]);
		memset(&r, 0, sizeof(r));
		r.error = ERR_SENTINEL;
		agent_do(&m, &r, fds, sock, sub);
		if (write_full(rsp, &r, sizeof(r)))
			_exit(92);
	}
}

/*
 * Start @ag as a child process (@ag need not be initialised).  @o may be
 * NULL.  0 or -errno.
 */
static inline int agent_start(struct agent *ag, const struct agent_opts *o)
{
	struct agent_opts none = { .inherit_fd = -1, .sock = -1 };
	pid_t parent = getpid();
	pid_t p;

	int ret;

	if (!o)
		o = &none;
	ret = agent_prepare(ag);
	if (ret)
		return ret;
	/* A dead agent must fail the call, not kill the test with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	fflush(stdout);
	fflush(stderr);
	p = fork();
	if (p < 0)
		return -errno;
	if (p == 0) {
		int keep[] = {
			ag->cmd_rd, ag->rsp_wr, o->inherit_fd, o->sock,
			o->sub ? o->sub->cmd_rd : -1,
			o->sub ? o->sub->rsp_wr : -1,
		};

		if (!o->no_pdeathsig) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(93);
		}
		close_all_but(keep, 6);
		agent_main(ag->cmd_rd, ag->rsp_wr, -1, o->inherit_fd, o->sock,
			   o->sub);
	}
	ag->pid = p;
	close(ag->cmd_rd);
	close(ag->rsp_wr);
	ag->cmd_rd = ag->rsp_wr = -1;
	return 0;
}

/*
 * After a parent agent ran AG_FORK for @sub: drop the test's copies of the
 * sub agent's ends and record its pid.
 */
static inline void agent_forked(struct agent *sub, pid_t pid)
{
	sub->pid = pid;
	close(sub->cmd_rd);
	close(sub->rsp_wr);
	sub->cmd_rd = sub->rsp_wr = -1;
}

/* Run one command; 0 or -errno of the transport (agent dead or hung). */
static inline int agent_call(struct agent *ag, struct ag_msg *m,
			     struct ag_reply *r, int extra_ms)
{
	int ret;

	m->slot = ag->slot;
	ret = write_full(ag->cmd, m, sizeof(*m));
	if (!ret)
		ret = read_full(ag->rsp, r, sizeof(*r), TIMEOUT_MS + extra_ms);
	if (ret)
		fprintf(stderr, "# agent %d: command %u failed: %s\n",
			ag->pid, m->op, strerror(-ret));
	return ret;
}

/* Result of a command whose transport failed: matches no expected value. */
#define AG_BROKEN	(-100000)

/* Run command @op; its result (r.ret), or AG_BROKEN.  @wait_ms: its own wait. */
static inline int ag_cmd(struct agent *ag, uint32_t op, uint64_t a0, uint64_t a1,
			 int wait_ms, uint32_t *err, struct ag_reply *out)
{
	struct ag_msg m;
	struct ag_reply r;

	memset(&m, 0, sizeof(m));
	m.op = op;
	m.a[0] = a0;
	m.a[1] = a1;
	if (agent_call(ag, &m, &r, wait_ms))
		return AG_BROKEN;
	if (err)
		*err = r.error;
	if (out)
		*out = r;
	return r.ret;
}

static inline int ag_simple(struct agent *ag, uint32_t op, uint64_t a0,
			    uint64_t a1, uint32_t *err, struct ag_reply *out)
{
	return ag_cmd(ag, op, a0, a1, 0, err, out);
}

static inline int ag_open_dev(struct agent *ag)
{
	return ag_simple(ag, AG_OPEN_DEV, 0, 0, NULL, NULL);
}

static inline int ag_close_fd(struct agent *ag)
{
	return ag_simple(ag, AG_CLOSE_FD, 0, 0, NULL, NULL);
}

static inline int ag_handle(struct agent *ag, unsigned int code, uint32_t rt,
			    uint32_t *err)
{
	return ag_simple(ag, AG_HANDLE, code, rt, err, NULL);
}

static inline int ag_unhandle(struct agent *ag, unsigned int code, uint32_t *err)
{
	return ag_simple(ag, AG_UNHANDLE, code, 0, err, NULL);
}

static inline int ag_is_handled(struct agent *ag, unsigned int code,
				int *handled, uint32_t *err)
{
	struct ag_reply r;
	int ret = ag_simple(ag, AG_IS_HANDLED, code, 0, err, &r);

	if (ret != AG_BROKEN && handled)
		*handled = (int)r.v[0];
	return ret;
}

static inline int ag_ready(struct agent *ag, uint32_t *err)
{
	return ag_simple(ag, AG_READY, 0, 0, err, NULL);
}

/* OPEN_PIPE by the agent with @a; the results are copied back into @a. */
static inline int ag_open_pipe(struct agent *ag, struct iuc_open_pipe *a)
{
	struct ag_msg m;
	struct ag_reply r;

	memset(&m, 0, sizeof(m));
	m.op = AG_OPEN_PIPE;
	m.pipe = *a;
	if (agent_call(ag, &m, &r, 0))
		return AG_BROKEN;
	*a = r.pipe;
	return r.ret;
}

static inline int ag_close_pipe(struct agent *ag, uint64_t id, uint32_t *err)
{
	return ag_simple(ag, AG_CLOSE_PIPE, id, 0, err, NULL);
}

/* Wait up to @timeout_ms for a record in the agent and read it. */
static inline int ag_read_sig(struct agent *ag, struct iuc_signal *s,
			      int timeout_ms)
{
	struct ag_reply r;
	int ret = ag_cmd(ag, AG_READ_SIG, (uint64_t)timeout_ms, 0, timeout_ms,
			 NULL, &r);

	if (ret == 0)
		*s = r.sig;
	return ret;
}

/* read(2) of one record's size by the agent: bytes read or -errno. */
static inline int ag_read_raw(struct agent *ag)
{
	return ag_simple(ag, AG_READ_RAW, 0, 0, NULL, NULL);
}

/* poll(2) for POLLIN by the agent: revents, 0 on timeout, or -errno. */
static inline int ag_poll(struct agent *ag, int timeout_ms)
{
	return ag_cmd(ag, AG_POLL, (uint64_t)timeout_ms, 0, timeout_ms, NULL, NULL);
}

struct rt_info {
	int signo, code;
	int iuc_code;		/* si_errno: the IUC signal code */
	pid_t pid;
};

/* Wait in the agent for the (blocked) real-time signal @sig. */
static inline int ag_wait_rt(struct agent *ag, int sig, struct rt_info *ri,
			     int timeout_ms)
{
	struct ag_reply r;
	int ret = ag_cmd(ag, AG_WAIT_RT, (uint64_t)sig, (uint64_t)timeout_ms,
			 timeout_ms, NULL, &r);

	if (ret == 0) {
		ri->signo = (int)r.v[0];
		ri->code = (int)(int64_t)r.v[1];
		ri->iuc_code = (int)(int64_t)r.v[2];
		ri->pid = (pid_t)r.v[3];
	}
	return ret;
}

static inline int ag_setuid(struct agent *ag, uid_t uid)
{
	return ag_simple(ag, AG_SETUID, uid, 0, NULL, NULL);
}

static inline int ag_drop_cap(struct agent *ag, int cap)
{
	return ag_simple(ag, AG_DROP_CAP, (uint64_t)cap, 0, NULL, NULL);
}

static inline int ag_unshare_ipc(struct agent *ag)
{
	return ag_simple(ag, AG_UNSHARE_IPC, 0, 0, NULL, NULL);
}

static inline uint64_t ag_ns_ino(struct agent *ag)
{
	struct ag_reply r;

	if (ag_simple(ag, AG_NS_INO, 0, 0, NULL, &r))
		return 0;
	return r.v[0];
}

static inline int ag_send_fd(struct agent *ag)
{
	return ag_simple(ag, AG_SEND_FD, 0, 0, NULL, NULL);
}

static inline int ag_recv_fd(struct agent *ag)
{
	return ag_simple(ag, AG_RECV_FD, 0, 0, NULL, NULL);
}

/* Let @ag fork the prepared @sub; 0 or an error. */
static inline int ag_fork(struct agent *ag, struct agent *sub)
{
	struct ag_reply r;
	int ret = ag_simple(ag, AG_FORK, 0, 0, NULL, &r);

	if (ret == 0)
		agent_forked(sub, (pid_t)r.v[0]);
	return ret;
}

/* Tell @ag to _exit(@status) (no reply); the agent is not reaped. */
static inline int ag_exit(struct agent *ag, int status)
{
	struct ag_msg m;

	memset(&m, 0, sizeof(m));
	m.op = AG_EXIT;
	m.a[0] = (uint64_t)status;
	return write_full(ag->cmd, &m, sizeof(m));
}

/*
 * Wait up to TIMEOUT_MS for child @pid to end, without reaping it when
 * @reap is false (it stays a zombie).  The wait status or -errno.
 */
static inline int wait_child(pid_t pid, bool reap)
{
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	siginfo_t si;
	int rev;

	if (pfd < 0)
		return -errno;
	rev = iuc_poll(pfd, POLLIN, TIMEOUT_MS);
	close(pfd);
	if (rev <= 0)
		return rev ? rev : -ETIMEDOUT;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, pid, &si, WEXITED | WNOHANG | (reap ? 0 : WNOWAIT)))
		return -errno;
	if (si.si_pid != pid)
		return -ECHILD;
	if (si.si_code == CLD_EXITED)
		return W_EXITCODE(si.si_status, 0);
	return si.si_status & 0x7f;	/* killed: the signal, as WTERMSIG */
}

/*
 * Close the command pipe (the agent exits 0 on EOF) and reap it.
 * The wait status, or -errno.  A sub agent (started by AG_FORK) can only
 * be reaped when the test process is a subreaper (PR_SET_CHILD_SUBREAPER)
 * and its parent agent was stopped first.
 */
static inline int ag_stop(struct agent *ag)
{
	int st = 0;

	if (ag->cmd > 0)
		close(ag->cmd);
	if (ag->rsp > 0)
		close(ag->rsp);
	ag->cmd = ag->rsp = -1;
	if (ag->pid > 0) {
		st = wait_child(ag->pid, true);
		ag->pid = -1;
	}
	return st;
}

/*
 * Start an agent with a context that handles RECV_PIPE and PIPE_CLOSED
 * (records only) and is READY: a ready pipe target.  0 or an error.
 */
static inline int ag_start_target(struct agent *ag)
{
	int ret = agent_start(ag, NULL);

	if (!ret)
		ret = ag_open_dev(ag);
	if (!ret)
		ret = ag_handle(ag, IUC_SIG_RECV_PIPE, 0, NULL);
	if (!ret)
		ret = ag_handle(ag, IUC_SIG_PIPE_CLOSED, 0, NULL);
	if (!ret)
		ret = ag_ready(ag, NULL);
	return ret;
}

/* Start an agent with a context (no handlers, not READY). */
static inline int ag_start_opener(struct agent *ag)
{
	int ret = agent_start(ag, NULL);

	return ret ? ret : ag_open_dev(ag);
}

/* Context of the test process handling RECV_PIPE and PIPE_CLOSED. */
static inline int iuc_open_receiver(uint32_t rt_recv, uint32_t rt_closed)
{
	int fd = iuc_open();

	if (fd < 0)
		return -errno;
	if (iuc_handle_signal(fd, IUC_SIG_RECV_PIPE, rt_recv, NULL) ||
	    iuc_handle_signal(fd, IUC_SIG_PIPE_CLOSED, rt_closed, NULL)) {
		close(fd);
		return -EIO;
	}
	return fd;
}

#endif /* IUC_TEST_UTIL_H */
