/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Process, fd and signal helpers of the IUC selftests.
 *
 * Nothing in selftests/lib uses the harness's ASSERT/EXPECT macros: helpers
 * return values that the tests check.  Every wait is bounded (TIMEOUT_MS,
 * LONG_MS) only to turn a hang into a failure; no result depends on timing.
 */
#ifndef IUC_LIB_UTIL_H
#define IUC_LIB_UTIL_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <linux/iuc.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TIMEOUT_MS		10000
/* Bound of the long waits: streams of 64 MiB in a TCG guest. */
#define LONG_MS			240000
#define UID_NOBODY		65534
#define UID_OTHER		1000
#define PARAM_DIR		"/sys/module/iuc/parameters/"
#define PARAM_MAX_QUEUED	PARAM_DIR "max_queued_signals"
#define PARAM_MAX_PIPES		PARAM_DIR "max_pipes_per_process"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#endif

/* The 8 signal codes of the specification. */
extern const uint8_t iuc_sig_codes[8];
bool iuc_is_sig_code(unsigned int code);

int set_nonblock(int fd, bool on);
/* Inode number of the caller's IPC namespace (its ANID), 0 on failure. */
uint64_t ipc_ns_ino(void);
/* True when every byte of @p is zero. */
bool all_zero(const void *p, size_t len);
/* Reserved bytes of a record that the kernel must clear (no kernel data leak). */
bool sig_reserved_zero(const struct iuc_signal *s);

/* A numeric module parameter, or -errno. */
long long param_read(const char *path);
int param_write(const char *path, long long val);

int write_full(int fd, const void *buf, size_t len);
/* Read exactly @len bytes, waiting at most @timeout_ms for each chunk. */
int read_full(int fd, void *buf, size_t len, int timeout_ms);
/* Pass @fd over the unix socket @sock (SCM_RIGHTS). */
int send_fd(int sock, int fd);
/* Receive an fd sent with send_fd(); the fd or -errno. */
int recv_fd(int sock, int timeout_ms);
/* The same, blocking in recvmsg(2) itself (no poll, no bound): for timed receivers. */
int recv_fd_blocking(int sock);
/* Close every fd above 2 but the @n of @keep (entries below 3 ignored). */
void close_all_but(const int *keep, int n);

/* Block every real-time signal of the C library (SIGRTMIN..SIGRTMAX). */
int block_rt_signals(void);
/* Is real-time signal @sig pending for the calling thread or process? */
bool rt_pending(int sig);
/* Wait for one of the (blocked) signals @sig; its number, -ETIMEDOUT or -errno. */
int wait_rt(int sig, siginfo_t *si, int timeout_ms);
/* Remove one pending @sig without waiting: the signal number or -EAGAIN. */
int take_rt(int sig, siginfo_t *si);
/*
 * Catch SIGUSR1 with a handler that only counts it (SA_RESTART, so that
 * what an interrupted IUC call answers is its own doing, not the C
 * library's): 0 or -errno.  usr1_caught(): the count so far.
 */
int usr1_install(void);
int usr1_caught(void);

/* Remove capability @cap from the effective, permitted and inheritable sets. */
int drop_cap(int cap);
/* Is @cap in the effective set of the caller?  1, 0 or -errno. */
int has_cap(int cap);
/* Effective | permitted capabilities of the caller (bits 0..63), or ~0 on error. */
uint64_t cap_sets(void);
/* setresuid(@r, @e, @s), gids alike, no supplementary groups. */
int set_ids(uid_t r, uid_t e, uid_t s);

/*
 * Wait up to TIMEOUT_MS for child @pid to end, without reaping it when
 * @reap is false (it stays a zombie).  The wait status or -errno.
 */
int wait_child(pid_t pid, bool reap);

/* ---- threads of the test process ------------------------------------------ */

/* One ioctl run in a thread: for calls that block the caller. */
struct async_call {
	pthread_t thread;
	int fd;
	unsigned long cmd;
	void *arg;
	int ret;
	int done;
	pid_t tid;
};

int async_call_start(struct async_call *a, int fd, unsigned long cmd, void *arg);
bool async_call_done(struct async_call *a);
/* Join, waiting at most TIMEOUT_MS: 0 or -ETIMEDOUT (the thread is left). */
int async_call_join(struct async_call *a);
/* The CLOCK_REALTIME time @ms from now: a deadline for pthread's timed waits. */
struct timespec realtime_in(int ms);
/* Join @t, waiting at most @ms: 0 or -ETIMEDOUT. */
int thread_join(pthread_t t, int ms);

/* One PIPE_WRITE or PIPE_READ run in a thread: for calls that wait. */
struct async_io {
	struct async_call as;
	union {
		struct iuc_pipe_write w;
		struct iuc_pipe_read r;
	} u;
};

/*
 * Start a thread that calls PIPE_WRITE (@write) or PIPE_READ on @id with
 * @count bytes at @buf in @mode, and wait until it runs (as.tid is set).
 * 0 or -errno.  Once async_call_join(&io->as) returned 0, io->as.ret and
 * io->u (@error preset to ERR_SENTINEL) are the call's results.
 */
int async_io_start(struct async_io *io, int fd, uint64_t id, bool write,
		   void *buf, uint64_t count, uint8_t mode);

/*
 * Call @cond(@arg) until it returns nonzero (yielding, then sleeping 1 ms
 * between calls): its result, or 0 after about TIMEOUT_MS (only a bound).
 */
int poll_until(int (*cond)(void *arg), void *arg);

/*
 * Poll PIPE_INFO of @id until (status & @mask) == @want.  True when seen,
 * false when PIPE_INFO fails or after about TIMEOUT_MS (only a bound).
 */
bool iuc_pipe_wait_status(int fd, uint64_t id, uint8_t mask, uint8_t want);

#ifdef __cplusplus
}
#endif

#endif /* IUC_LIB_UTIL_H */
