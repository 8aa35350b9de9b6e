// SPDX-License-Identifier: GPL-2.0
/*
 * Process, fd and signal helpers of the IUC selftests: see util.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>

#include "calls.h"
#include "util.h"

const uint8_t iuc_sig_codes[8] = {
	IUC_SIG_RECV_PIPE,
	IUC_SIG_PIPE_CLOSED,
	IUC_SIG_SERVICE_CONN_REQUEST,
	IUC_SIG_SERVICE_CLIENT_CLOSED,
	IUC_SIG_SERVICE_CLIENT_QUITTED,
	IUC_SIG_SERVICE_SERVER_QUITTED,
	IUC_SIG_RECV_SHARED_MEM,
	IUC_SIG_UNSHARED_MEM,
};

bool iuc_is_sig_code(unsigned int code)
{
	for (size_t i = 0; i < ARRAY_SIZE(iuc_sig_codes); i++)
		if (iuc_sig_codes[i] == code)
			return true;
	return false;
}

int set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -errno;
	fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	return fcntl(fd, F_SETFL, fl) < 0 ? -errno : 0;
}

uint64_t ipc_ns_ino(void)
{
	struct stat st;

	if (stat("/proc/self/ns/ipc", &st))
		return 0;
	return st.st_ino;
}

bool all_zero(const void *p, size_t len)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < len; i++)
		if (c[i])
			return false;
	return true;
}

bool sig_reserved_zero(const struct iuc_signal *s)
{
	return all_zero(s->__pad, sizeof(s->__pad)) &&
	       all_zero(s->__reserved, sizeof(s->__reserved));
}

long long param_read(const char *path)
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

int param_write(const char *path, long long val)
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

int write_full(int fd, const void *buf, size_t len)
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

int read_full(int fd, void *buf, size_t len, int timeout_ms)
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

/* One byte of payload with room for one SCM_RIGHTS fd. */
struct fd_msg {
	char byte;
	struct iovec iov;
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr msg;
};

static void fd_msg_init(struct fd_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->byte = 'F';
	m->iov.iov_base = &m->byte;
	m->iov.iov_len = 1;
	m->msg.msg_iov = &m->iov;
	m->msg.msg_iovlen = 1;
	m->msg.msg_control = m->u.buf;
	m->msg.msg_controllen = sizeof(m->u.buf);
}

int send_fd(int sock, int fd)
{
	struct fd_msg m;
	struct cmsghdr *c;

	fd_msg_init(&m);
	c = CMSG_FIRSTHDR(&m.msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &m.msg, 0) == 1 ? 0 : -errno;
}

int recv_fd(int sock, int timeout_ms)
{
	int rev = iuc_poll(sock, POLLIN, timeout_ms);

	if (rev < 0)
		return rev;
	if (!rev)
		return -ETIMEDOUT;
	return recv_fd_blocking(sock);
}

int recv_fd_blocking(int sock)
{
	struct fd_msg m;
	struct cmsghdr *c;
	ssize_t n;
	int fd;

	fd_msg_init(&m);
	do {
		n = recvmsg(sock, &m.msg, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n != 1)
		return -EIO;
	c = CMSG_FIRSTHDR(&m.msg);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
		return -EIO;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

void close_all_but(const int *keep, int n)
{
	int k[16], nk = 0;
	unsigned int from = 3;

	for (int i = 0; i < n && nk < 16; i++)
		if (keep[i] >= 3)
			k[nk++] = keep[i];
	qsort(k, nk, sizeof(int), cmp_int);
	/* close the ranges between the kept fds */
	for (int i = 0; i < nk; i++) {
		if ((unsigned int)k[i] > from)
			syscall(SYS_close_range, from, (unsigned int)k[i] - 1, 0);
		if ((unsigned int)k[i] + 1 > from)
			from = (unsigned int)k[i] + 1;
	}
	syscall(SYS_close_range, from, ~0U, 0);
}

int block_rt_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	for (int s = SIGRTMIN; s <= SIGRTMAX; s++)
		sigaddset(&set, s);
	return sigprocmask(SIG_BLOCK, &set, NULL) ? -errno : 0;
}

static int usr1_count;

static void usr1_count_one(int sig)
{
	(void)sig;
	__atomic_add_fetch(&usr1_count, 1, __ATOMIC_SEQ_CST);
}

int usr1_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = usr1_count_one;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGUSR1, &sa, NULL) ? -errno : 0;
}

int usr1_caught(void)
{
	return __atomic_load_n(&usr1_count, __ATOMIC_SEQ_CST);
}

bool rt_pending(int sig)
{
	sigset_t set;

	sigemptyset(&set);
	return !sigpending(&set) && sigismember(&set, sig) == 1;
}

int wait_rt(int sig, siginfo_t *si, int timeout_ms)
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

int take_rt(int sig, siginfo_t *si)
{
	struct timespec ts = { 0, 0 };
	sigset_t set;
	int ret;

	sigemptyset(&set);
	sigaddset(&set, sig);
	ret = sigtimedwait(&set, si, &ts);
	return ret < 0 ? -errno : ret;
}

/* The caller's capability sets (capget), 0 or -errno. */
static int cap_get(struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3])
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0,
	};

	return syscall(SYS_capget, &h, d) ? -errno : 0;
}

int drop_cap(int cap)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0,
	};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	int i = CAP_TO_INDEX(cap), ret = cap_get(d);
	uint32_t m = CAP_TO_MASK(cap);

	if (ret)
		return ret;
	d[i].effective &= ~m;
	d[i].permitted &= ~m;
	d[i].inheritable &= ~m;
	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

int has_cap(int cap)
{
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	int ret = cap_get(d);

	if (ret)
		return ret;
	return !!(d[CAP_TO_INDEX(cap)].effective & CAP_TO_MASK(cap));
}

uint64_t cap_sets(void)
{
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	if (cap_get(d))
		return ~0ull;
	return (d[0].effective | d[0].permitted) |
	       (uint64_t)(d[1].effective | d[1].permitted) << 32;
}

int set_ids(uid_t r, uid_t e, uid_t s)
{
	return setgroups(0, NULL) || setresgid(r, e, s) ||
	       setresuid(r, e, s) ? -errno : 0;
}

int wait_child(pid_t pid, bool reap)
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

static void *async_call_main(void *p)
{
	struct async_call *a = p;

	__atomic_store_n(&a->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_SEQ_CST);
	a->ret = iuc_ioctl(a->fd, a->cmd, a->arg);
	__atomic_store_n(&a->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

int async_call_start(struct async_call *a, int fd, unsigned long cmd, void *arg)
{
	memset(a, 0, sizeof(*a));
	a->fd = fd;
	a->cmd = cmd;
	a->arg = arg;
	return -pthread_create(&a->thread, NULL, async_call_main, a);
}

bool async_call_done(struct async_call *a)
{
	return __atomic_load_n(&a->done, __ATOMIC_SEQ_CST);
}

struct timespec realtime_in(int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

int thread_join(pthread_t t, int ms)
{
	struct timespec ts = realtime_in(ms);

	return -pthread_timedjoin_np(t, NULL, &ts);
}

int async_call_join(struct async_call *a)
{
	return thread_join(a->thread, TIMEOUT_MS);
}

int async_io_start(struct async_io *io, int fd, uint64_t id, bool write,
		   void *buf, uint64_t count, uint8_t mode)
{
	int ret;

	memset(&io->u, 0, sizeof(io->u));
	if (write) {
		io->u.w = (struct iuc_pipe_write){
			.error = ERR_SENTINEL, .id = id, .buf = (uintptr_t)buf,
			.count = count, .mode = mode,
		};
	} else {
		io->u.r = (struct iuc_pipe_read){
			.error = ERR_SENTINEL, .id = id, .buf = (uintptr_t)buf,
			.count = (uint32_t)count, .mode = mode,
		};
	}
	ret = async_call_start(&io->as, fd, write ? IUC_IOC_PIPE_WRITE :
			       IUC_IOC_PIPE_READ, &io->u);
	for (long i = 0; !ret && !__atomic_load_n(&io->as.tid, __ATOMIC_SEQ_CST); i++) {
		if (i >= 1000 + TIMEOUT_MS)
			return -ETIMEDOUT;
		if (i < 1000)
			sched_yield();
		else
			usleep(1000);
	}
	return ret;
}

int poll_until(int (*cond)(void *arg), void *arg)
{
	for (long i = 0; i < 1000 + TIMEOUT_MS; i++) {
		int ret = cond(arg);

		if (ret)
			return ret;
		if (i < 1000)
			sched_yield();
		else
			usleep(1000);
	}
	return 0;
}
