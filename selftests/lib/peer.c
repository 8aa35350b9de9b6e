// SPDX-License-Identifier: GPL-2.0
/*
 * Peers: the mechanism and the context operations.  See peer.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "calls.h"
#include "memory.h"
#include "peer.h"
#include "util.h"

/* ---- the test side ------------------------------------------------------------ */

int peer_prepare(struct peer *p)
{
	int c[2], r[2];

	memset(p, 0, sizeof(*p));
	p->pid = -1;
	p->cmd = p->rsp = p->cmd_rd = p->rsp_wr = -1;
	if (pipe2(c, O_CLOEXEC))
		return -errno;
	if (pipe2(r, O_CLOEXEC)) {
		close(c[0]);
		close(c[1]);
		return -errno;
	}
	p->cmd_rd = c[0];
	p->cmd = c[1];
	p->rsp = r[0];
	p->rsp_wr = r[1];
	p->slot = PEER_OWN;
	p->prepared = PEER_PREPARED;
	return 0;
}

/* Drop the test's copies of @p's peer-side ends (the peer has its own). */
static void peer_started(struct peer *p, pid_t pid)
{
	p->pid = pid;
	p->prepared = 0;
	close(p->cmd_rd);
	close(p->rsp_wr);
	p->cmd_rd = p->rsp_wr = -1;
}

/* The first moments of a new peer process: keep what it needs, serve. */
static __attribute__((noreturn)) void
peer_begin(struct peer_state *s, bool pdeathsig, pid_t parent)
{
	int keep[] = {
		s->cmd, s->rsp, s->fd[PEER_INHERITED], s->sock, s->hold,
		s->sub ? s->sub->cmd_rd : -1, s->sub ? s->sub->rsp_wr : -1,
	};

	if (pdeathsig) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(93);
	}
	close_all_but(keep, ARRAY_SIZE(keep));
	if (block_rt_signals() || shm_probe_install())
		_exit(90);
	peer_serve(s);
}

int peer_start(struct peer *p, const struct peer_opts *o)
{
	static const struct peer_opts none;
	struct peer_state s;
	pid_t parent = getpid();
	pid_t pid;

	if (!o)
		o = &none;
	if (p->prepared != PEER_PREPARED) {
		int ret = peer_prepare(p);

		if (ret)
			return ret;
	}
	/* A dead peer must fail the call, not kill the test with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		s = (struct peer_state) {
			.cmd = p->cmd_rd, .rsp = p->rsp_wr,
			.fd = { -1, o->inherit_fd > 0 ? o->inherit_fd : -1 },
			.extra = -1,
			.sock = o->sock > 0 ? o->sock : -1,
			.hold = o->hold > 0 ? o->hold : -1,
			.sub = o->sub,
		};
		peer_begin(&s, !o->no_pdeathsig, parent);
	}
	peer_started(p, pid);
	if (o->sub)
		peer_started(o->sub, -1);	/* its pid comes with PEER_FORK */
	return 0;
}

static void peer_close_pipes(struct peer *p)
{
	if (p->cmd >= 0)
		close(p->cmd);
	if (p->rsp >= 0)
		close(p->rsp);
	p->cmd = p->rsp = -1;
}

int peer_stop(struct peer *p)
{
	int st = 0;

	peer_close_pipes(p);
	if (p->pid > 0) {
		st = wait_child(p->pid, true);
		if (st == -ETIMEDOUT) {
			kill(p->pid, SIGKILL);
			st = wait_child(p->pid, true);
		}
		p->pid = -1;
	}
	return st;
}

int peer_kill(struct peer *p)
{
	if (p->pid > 0)
		kill(p->pid, SIGKILL);
	return peer_stop(p);
}

void peer_forget(struct peer *p)
{
	if (p->pid > 0)
		kill(p->pid, SIGKILL);
	p->pid = -1;
	peer_close_pipes(p);
}

struct peer_msg peer_msg(uint32_t op, uint64_t a0, uint64_t a1)
{
	struct peer_msg m;

	memset(&m, 0, sizeof(m));
	m.op = op;
	m.a[0] = a0;
	m.a[1] = a1;
	return m;
}

int peer_exit(struct peer *p, int status)
{
	struct peer_msg m = peer_msg(PEER_EXIT, (uint64_t)status, 0);

	return write_full(p->cmd, &m, sizeof(m));
}

int peer_send(struct peer *p, struct peer_msg *m)
{
	int ret;

	m->slot = p->slot;
	ret = write_full(p->cmd, m, sizeof(*m));
	if (!ret)
		p->pending++;
	return ret;
}

int peer_wait(struct peer *p, struct peer_reply *r, int ms)
{
	int ret = read_full(p->rsp, r, sizeof(*r), ms);

	if (ret) {
		fprintf(stderr, "# peer %d: no answer: %s\n", p->pid, strerror(-ret));
		memset(r, 0, sizeof(*r));
		r->ret = PEER_BROKEN;
		return PEER_BROKEN;
	}
	p->pending--;
	return (int)r->ret;
}

/* How long @m may keep the peer busy beyond TIMEOUT_MS. */
static int peer_op_wait_ms(const struct peer_msg *m)
{
	switch (m->op) {
	case PEER_READ_SIG:
	case PEER_POLL:
		return (int)m->a[0];
	case PEER_WAIT_RT:
		return (int)m->a[1];
	case PEER_FILL:
	case PEER_CHECK:
	case PEER_EXEC:
	case PEER_STREAM_WRITE:
	case PEER_STREAM_READ:
	case PEER_MSG_VERIFY:
	case PEER_CONNECT:	/* up to the answer delay, at most 60 s */
	case PEER_ECHO:
		return LONG_MS;
	case PEER_SVC_THREAD_WAIT:
	case PEER_SVC_RT_WHERE:
		return (int)m->a[1];
	case PEER_SVC_THREAD_TAKE_RT:
		return (int)m->a[2];
	case PEER_SVC_THREAD_EXIT:	/* joined within TIMEOUT_MS */
		return TIMEOUT_MS;
	default:
		return 0;
	}
}

int peer_call(struct peer *p, struct peer_msg *m, struct peer_reply *r)
{
	if (peer_send(p, m)) {
		fprintf(stderr, "# peer %d: op %#x not sent\n", p->pid, m->op);
		memset(r, 0, sizeof(*r));
		r->ret = PEER_BROKEN;
		return PEER_BROKEN;
	}
	return peer_wait(p, r, TIMEOUT_MS + peer_op_wait_ms(m));
}

int peer_cmd(struct peer *p, uint32_t op, uint64_t a0, uint64_t a1,
	     uint64_t a2, uint64_t a3, struct peer_reply *r)
{
	struct peer_msg m = peer_msg(op, a0, a1);
	struct peer_reply tmp;

	m.a[2] = a2;
	m.a[3] = a3;
	return peer_call(p, &m, r ? r : &tmp);
}

int peer_do(struct peer *p, uint32_t op, uint64_t a0, uint32_t *err)
{
	struct peer_reply r;
	int ret = peer_cmd(p, op, a0, 0, 0, 0, &r);

	if (err)
		*err = r.error;
	return ret;
}

uint64_t peer_v0(struct peer *p, uint32_t op, uint64_t a0)
{
	struct peer_reply r;

	return peer_cmd(p, op, a0, 0, 0, 0, &r) ? 0 : r.v[0];
}

/* ---- the peer side ---------------------------------------------------------------- */

static const struct peer_area *const peer_areas[] = {
	&peer_ctx_area, &peer_pipe_area, &peer_shm_area, &peer_service_area,
};

static void peer_dispatch(struct peer_state *s, struct peer_msg *m,
			  struct peer_reply *r)
{
	for (size_t i = 0; i < ARRAY_SIZE(peer_areas); i++) {
		const struct peer_area *a = peer_areas[i];

		if (m->op >= a->base && m->op < a->end && a->ops[m->op - a->base]) {
			a->ops[m->op - a->base](s, m, r);
			return;
		}
	}
	r->ret = -ENOSYS;
}

void peer_serve(struct peer_state *s)
{
	for (;;) {
		struct peer_msg m;
		struct peer_reply r;
		ssize_t n;

		do {
			n = read(s->cmd, &m, sizeof(m));
		} while (n < 0 && errno == EINTR);
		if (n == 0)
			_exit(0);	/* the test closed the command pipe */
		if (n != (ssize_t)sizeof(m))
			_exit(91);
		if (m.op == PEER_EXIT)
			_exit((int)m.a[0]);
		memset(&r, 0, sizeof(r));
		r.error = ERR_SENTINEL;
		peer_dispatch(s, &m, &r);
		if (write_full(s->rsp, &r, sizeof(r)))
			_exit(92);
	}
}

/* ---- context operations --------------------------------------------------------- */

static void op_open_dev(struct peer_state *s, struct peer_msg *m,
			struct peer_reply *r)
{
	int fd = open(IUC_DEV, O_RDWR |
		      (m->a[0] & PEER_KEEP_ON_EXEC ? 0 : O_CLOEXEC));

	/* A failed open keeps the fd the peer had. */
	r->ret = fd < 0 ? -errno : 0;
	if (fd >= 0)
		s->fd[PEER_OWN] = fd;
}

static void op_close_dev(struct peer_state *s, struct peer_msg *m,
			 struct peer_reply *r)
{
	r->ret = close(peer_fd(s, m)) ? -errno : 0;
	s->fd[m->slot ? PEER_INHERITED : PEER_OWN] = -1;
}

static void op_handle(struct peer_state *s, struct peer_msg *m,
		      struct peer_reply *r)
{
	r->ret = iuc_handle_signal(peer_fd(s, m), (unsigned int)m->a[0],
				   (uint32_t)m->a[1], &r->error);
}

static void op_unhandle(struct peer_state *s, struct peer_msg *m,
			struct peer_reply *r)
{
	r->ret = iuc_unhandle_signal(peer_fd(s, m), (unsigned int)m->a[0],
				     &r->error);
}

static void op_is_handled(struct peer_state *s, struct peer_msg *m,
			  struct peer_reply *r)
{
	int h = -1;
	uint32_t rt = 0;

	r->ret = iuc_is_signal_handled(peer_fd(s, m), (unsigned int)m->a[0],
				       &h, &rt, &r->error);
	r->v[0] = h;
	r->v[1] = rt;
}

static void op_ready(struct peer_state *s, struct peer_msg *m,
		     struct peer_reply *r)
{
	r->ret = iuc_ready(peer_fd(s, m), &r->error);
}

static void op_read_sig(struct peer_state *s, struct peer_msg *m,
			struct peer_reply *r)
{
	r->ret = iuc_read_sig(peer_fd(s, m), &r->sig, (int)m->a[0]);
}

static void op_read_raw(struct peer_state *s, struct peer_msg *m,
			struct peer_reply *r)
{
	ssize_t n = read(peer_fd(s, m), &r->sig, sizeof(r->sig));

	r->ret = n < 0 ? -errno : n;
}

static void op_poll(struct peer_state *s, struct peer_msg *m,
		    struct peer_reply *r)
{
	r->ret = iuc_poll(peer_fd(s, m), POLLIN, (int)m->a[0]);
}

static void op_sig_pending(struct peer_state *s, struct peer_msg *m,
			   struct peer_reply *r)
{
	r->ret = iuc_sig_pending(peer_fd(s, m));
}

static void op_wait_rt(struct peer_state *s, struct peer_msg *m,
		       struct peer_reply *r)
{
	siginfo_t si;

	(void)s;
	r->ret = wait_rt((int)m->a[0], &si, (int)m->a[1]);
	if (r->ret > 0) {
		r->v[0] = si.si_signo;
		r->v[1] = (uint64_t)(int64_t)si.si_code;
		r->v[2] = (uint64_t)(int64_t)si.si_errno;
		r->v[3] = si.si_pid;
		r->ret = 0;
	}
}

static void op_setuid(struct peer_state *s, struct peer_msg *m,
		      struct peer_reply *r)
{
	(void)s;
	r->ret = set_ids((uid_t)m->a[0], (uid_t)m->a[1], (uid_t)m->a[2]);
	r->v[0] = cap_sets();
}

static void op_drop_cap(struct peer_state *s, struct peer_msg *m,
			struct peer_reply *r)
{
	(void)s;
	r->ret = drop_cap((int)m->a[0]);
}

static void op_unshare_ipc(struct peer_state *s, struct peer_msg *m,
			   struct peer_reply *r)
{
	(void)s;
	(void)m;
	r->ret = unshare(CLONE_NEWIPC) ? -errno : 0;
}

static void op_ns_ino(struct peer_state *s, struct peer_msg *m,
		      struct peer_reply *r)
{
	(void)s;
	(void)m;
	r->v[0] = ipc_ns_ino();
	r->ret = r->v[0] ? 0 : -ENOENT;
}

static void op_open_path(struct peer_state *s, struct peer_msg *m,
			 struct peer_reply *r)
{
	m->data[sizeof(m->data) - 1] = 0;
	s->extra = open(m->data, O_RDONLY | O_CLOEXEC);
	r->ret = s->extra < 0 ? -errno : 0;
}

static void op_setns(struct peer_state *s, struct peer_msg *m,
		     struct peer_reply *r)
{
	(void)m;
	r->ret = setns(s->extra, CLONE_NEWIPC) ? -errno : 0;
}

static void op_send_fd(struct peer_state *s, struct peer_msg *m,
		       struct peer_reply *r)
{
	r->ret = send_fd(s->sock, peer_fd(s, m));
}

static void op_recv_fd(struct peer_state *s, struct peer_msg *m,
		       struct peer_reply *r)
{
	(void)m;
	s->fd[PEER_INHERITED] = recv_fd(s->sock, TIMEOUT_MS);
	r->ret = s->fd[PEER_INHERITED] < 0 ? s->fd[PEER_INHERITED] : 0;
}

/*
 * fork(2) for an op that needs what @have says it has: the pid (0 in the
 * child), or -1 with r->ret set (-EINVAL without it, or fork's -errno).
 */
static pid_t op_fork_child(bool have, struct peer_reply *r)
{
	pid_t pid;

	if (!have) {
		r->ret = -EINVAL;
		return -1;
	}
	pid = fork();
	if (pid < 0)
		r->ret = -errno;
	return pid;
}

static void op_fork(struct peer_state *s, struct peer_msg *m,
		    struct peer_reply *r)
{
	struct peer *sub = s->sub;
	pid_t parent = getpid();
	pid_t pid = op_fork_child(sub != NULL, r);

	if (pid < 0)
		return;
	if (pid == 0) {
		struct peer_state ss = {
			.cmd = sub->cmd_rd, .rsp = sub->rsp_wr,
			.fd = { -1, m->a[0] & PEER_FORK_SHARE_FD ?
				s->fd[PEER_OWN] : -1 },
			.extra = -1, .sock = -1, .hold = -1,
		};

		peer_begin(&ss, m->a[0] & PEER_FORK_PDEATHSIG, parent);
	}
	/* Only the test and the sub peer keep the sub peer's pipes. */
	close(sub->cmd_rd);
	close(sub->rsp_wr);
	s->sub = NULL;		/* one sub peer per peer */
	r->v[0] = pid;
}

static void op_fork_holder(struct peer_state *s, struct peer_msg *m,
			   struct peer_reply *r)
{
	pid_t pid = op_fork_child(s->hold >= 0, r);

	(void)m;
	if (pid < 0)
		return;
	if (pid == 0) {
		char c;

		/* Keeps the /dev/iuc fds; outlives the peer. */
		prctl(PR_SET_PDEATHSIG, 0);
		close(s->cmd);
		close(s->rsp);
		while (read(s->hold, &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	r->v[0] = pid;
}

static void op_setrlimit(struct peer_state *s, struct peer_msg *m,
			 struct peer_reply *r)
{
	struct rlimit rl = { .rlim_cur = m->a[1], .rlim_max = m->a[2] };

	(void)s;
	r->ret = setrlimit((int)m->a[0], &rl) ? -errno : 0;
}

/*
 * exec(2) of iuc_peer, which is built beside the test programs, keeping the
 * pipes and the IUC fds: only a failure returns (-errno).
 */
static int peer_exec_image(struct peer_state *s)
{
	char exe[PATH_MAX], path[PATH_MAX + 16], arg[4][16];
	char *argv[] = { (char *)"iuc_peer", arg[0], arg[1], arg[2], arg[3], NULL };
	int keep[] = { s->cmd, s->rsp, s->fd[0], s->fd[1] };
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n < 0)
		return -errno;
	exe[n] = 0;
	snprintf(path, sizeof(path), "%s/iuc_peer", dirname(exe));
	for (int i = 0; i < 4; i++) {
		if (keep[i] >= 0 && fcntl(keep[i], F_SETFD, 0))
			return -errno;
		snprintf(arg[i], sizeof(arg[i]), "%d", keep[i]);
	}
	execv(path, argv);
	return -errno;
}

static void op_exec(struct peer_state *s, struct peer_msg *m,
		    struct peer_reply *r)
{
	(void)m;
	/* Only a failed exec answers here; the new image answers success. */
	r->ret = peer_exec_image(s);
}

static void op_run(struct peer_state *s, struct peer_msg *m,
		   struct peer_reply *r)
{
	peer_fn fn = (peer_fn)(uintptr_t)m->a[0];

	memcpy(r->data, m->data, sizeof(r->data));
	r->ret = fn(peer_fd(s, m), r->data);
}

static const peer_op_fn peer_ctx_ops[] = {
	[PEER_OPEN_DEV - PEER_OPEN_DEV] = op_open_dev,
	[PEER_CLOSE_DEV - PEER_OPEN_DEV] = op_close_dev,
	[PEER_HANDLE - PEER_OPEN_DEV] = op_handle,
	[PEER_UNHANDLE - PEER_OPEN_DEV] = op_unhandle,
	[PEER_IS_HANDLED - PEER_OPEN_DEV] = op_is_handled,
	[PEER_READY - PEER_OPEN_DEV] = op_ready,
	[PEER_READ_SIG - PEER_OPEN_DEV] = op_read_sig,
	[PEER_READ_RAW - PEER_OPEN_DEV] = op_read_raw,
	[PEER_POLL - PEER_OPEN_DEV] = op_poll,
	[PEER_SIG_PENDING - PEER_OPEN_DEV] = op_sig_pending,
	[PEER_WAIT_RT - PEER_OPEN_DEV] = op_wait_rt,
	[PEER_SETUID - PEER_OPEN_DEV] = op_setuid,
	[PEER_DROP_CAP - PEER_OPEN_DEV] = op_drop_cap,
	[PEER_UNSHARE_IPC - PEER_OPEN_DEV] = op_unshare_ipc,
	[PEER_NS_INO - PEER_OPEN_DEV] = op_ns_ino,
	[PEER_OPEN_PATH - PEER_OPEN_DEV] = op_open_path,
	[PEER_SETNS - PEER_OPEN_DEV] = op_setns,
	[PEER_SEND_FD - PEER_OPEN_DEV] = op_send_fd,
	[PEER_RECV_FD - PEER_OPEN_DEV] = op_recv_fd,
	[PEER_FORK - PEER_OPEN_DEV] = op_fork,
	[PEER_FORK_HOLDER - PEER_OPEN_DEV] = op_fork_holder,
	[PEER_SETRLIMIT - PEER_OPEN_DEV] = op_setrlimit,
	[PEER_EXEC - PEER_OPEN_DEV] = op_exec,
	[PEER_RUN - PEER_OPEN_DEV] = op_run,
};

const struct peer_area peer_ctx_area = {
	.base = PEER_OPEN_DEV, .end = PEER_CTX_END, .ops = peer_ctx_ops,
};

/* ---- context commands ------------------------------------------------------------- */

int peer_open_dev(struct peer *p)
{
	return peer_do(p, PEER_OPEN_DEV, 0, NULL);
}

int peer_close_dev(struct peer *p)
{
	return peer_do(p, PEER_CLOSE_DEV, 0, NULL);
}

int peer_handle(struct peer *p, unsigned int code, uint32_t rt, uint32_t *err)
{
	struct peer_reply r;
	int ret = peer_cmd(p, PEER_HANDLE, code, rt, 0, 0, &r);

	if (err)
		*err = r.error;
	return ret;
}

int peer_unhandle(struct peer *p, unsigned int code, uint32_t *err)
{
	return peer_do(p, PEER_UNHANDLE, code, err);
}

int peer_is_handled(struct peer *p, unsigned int code, int *handled, uint32_t *err)
{
	struct peer_reply r;
	int ret = peer_cmd(p, PEER_IS_HANDLED, code, 0, 0, 0, &r);

	if (err)
		*err = r.error;
	if (ret != PEER_BROKEN && handled)
		*handled = (int)r.v[0];
	return ret;
}

int peer_ready(struct peer *p, uint32_t *err)
{
	return peer_do(p, PEER_READY, 0, err);
}

int peer_read_sig(struct peer *p, struct iuc_signal *s, int ms)
{
	struct peer_reply r;
	int ret = peer_cmd(p, PEER_READ_SIG, (uint64_t)ms, 0, 0, 0, &r);

	if (ret == 0)
		*s = r.sig;
	return ret;
}

int peer_read_raw(struct peer *p)
{
	return peer_do(p, PEER_READ_RAW, 0, NULL);
}

int peer_poll(struct peer *p, int ms)
{
	return peer_do(p, PEER_POLL, (uint64_t)ms, NULL);
}

int peer_sig_pending(struct peer *p)
{
	return peer_do(p, PEER_SIG_PENDING, 0, NULL);
}

int peer_wait_rt(struct peer *p, int sig, struct rt_info *ri, int ms)
{
	struct peer_reply r;
	int ret = peer_cmd(p, PEER_WAIT_RT, (uint64_t)sig, (uint64_t)ms, 0, 0, &r);

	if (ret == 0) {
		ri->signo = (int)r.v[0];
		ri->code = (int)(int64_t)r.v[1];
		ri->iuc_code = (int)(int64_t)r.v[2];
		ri->pid = (pid_t)r.v[3];
	}
	return ret;
}

int peer_setresuid(struct peer *p, uid_t ru, uid_t eu, uid_t su, uint64_t *caps)
{
	struct peer_reply r;
	int ret = peer_cmd(p, PEER_SETUID, ru, eu, su, 0, &r);

	if (caps)
		*caps = ret == PEER_BROKEN ? ~0ull : r.v[0];
	return ret;
}

int peer_setuid(struct peer *p, uid_t uid)
{
	return peer_setresuid(p, uid, uid, uid, NULL);
}

int peer_drop_cap(struct peer *p, int cap)
{
	return peer_do(p, PEER_DROP_CAP, (uint64_t)cap, NULL);
}

int peer_unshare_ipc(struct peer *p)
{
	return peer_do(p, PEER_UNSHARE_IPC, 0, NULL);
}

uint64_t peer_ns_ino(struct peer *p)
{
	return peer_v0(p, PEER_NS_INO, 0);
}

int peer_open_path(struct peer *p, const char *path)
{
	struct peer_msg m = peer_msg(PEER_OPEN_PATH, 0, 0);
	struct peer_reply r;

	snprintf(m.data, sizeof(m.data), "%s", path);
	return peer_call(p, &m, &r);
}

int peer_setns(struct peer *p)
{
	return peer_do(p, PEER_SETNS, 0, NULL);
}

int peer_send_fd(struct peer *p)
{
	return peer_do(p, PEER_SEND_FD, 0, NULL);
}

int peer_recv_fd(struct peer *p)
{
	return peer_do(p, PEER_RECV_FD, 0, NULL);
}

int peer_fork(struct peer *p, struct peer *sub, unsigned int flags)
{
	struct peer_reply r;
	int ret = peer_cmd(p, PEER_FORK, flags, 0, 0, 0, &r);

	if (ret == 0)
		sub->pid = (pid_t)r.v[0];
	return ret;
}

int peer_fork_holder(struct peer *p)
{
	struct peer_reply r;
	int ret = peer_cmd(p, PEER_FORK_HOLDER, 0, 0, 0, 0, &r);

	return ret ? ret : (int)r.v[0];
}

int peer_setrlimit(struct peer *p, int resource, uint64_t cur, uint64_t max)
{
	return peer_cmd(p, PEER_SETRLIMIT, (uint64_t)resource, cur, max, 0, NULL);
}

int peer_exec(struct peer *p)
{
	struct peer_reply r;
	int ret = peer_cmd(p, PEER_EXEC, 0, 0, 0, 0, &r);

	return ret ? ret : ((pid_t)r.v[0] == p->pid ? 0 : -ESRCH);
}

int peer_run_send(struct peer *p, peer_fn fn, const void *data, size_t len)
{
	struct peer_msg m = peer_msg(PEER_RUN, (uint64_t)(uintptr_t)fn, 0);

	if (len > sizeof(m.data))
		return -E2BIG;
	if (len)
		memcpy(m.data, data, len);
	if (peer_send(p, &m)) {
		fprintf(stderr, "# peer %d: op %#x not sent\n", p->pid, m.op);
		return PEER_BROKEN;
	}
	return 0;
}

int peer_run_wait(struct peer *p, void *data, size_t len, int ms)
{
	struct peer_reply r;
	int ret = peer_wait(p, &r, ms);

	if (ret != PEER_BROKEN && len)
		memcpy(data, r.data, len < sizeof(r.data) ? len : sizeof(r.data));
	return ret;
}

int peer_run(struct peer *p, peer_fn fn, void *data, size_t len)
{
	int ret = peer_run_send(p, fn, data, len);

	return ret ? ret : peer_run_wait(p, data, len, TIMEOUT_MS);
}

int peer_ctx(struct peer *p, const uint8_t *codes, int n, bool ready)
{
	int ret = peer_open_dev(p);

	for (int i = 0; i < n && !ret; i++)
		ret = peer_handle(p, codes[i], 0, NULL);
	if (!ret && ready)
		ret = peer_ready(p, NULL);
	return ret;
}

int peer_start_ctx(struct peer *p, const uint8_t *codes, int n, bool ready)
{
	int ret = peer_start(p, NULL);

	return ret ? ret : peer_ctx(p, codes, n, ready);
}

int peer_start_opener(struct peer *p)
{
	return peer_start_ctx(p, NULL, 0, false);
}

static const uint8_t peer_target_codes[] = {
	IUC_SIG_RECV_PIPE, IUC_SIG_PIPE_CLOSED,
};

int peer_target_ctx(struct peer *p)
{
	return peer_ctx(p, peer_target_codes, ARRAY_SIZE(peer_target_codes), true);
}

int peer_start_target(struct peer *p)
{
	return peer_start_ctx(p, peer_target_codes, ARRAY_SIZE(peer_target_codes),
			      true);
}

int peer_start_receiver(struct peer *p)
{
	static const uint8_t codes[] = {
		IUC_SIG_RECV_SHARED_MEM, IUC_SIG_UNSHARED_MEM,
	};

	return peer_start_ctx(p, codes, ARRAY_SIZE(codes), true);
}
