// SPDX-License-Identifier: GPL-2.0
/*
 * Peers: the service operations.  See peer.h.
 *
 * Client threads.  PEER_SVC_THREAD starts a thread that calls
 * ACCEPT_SERVICE_CONN itself, and so becomes the connection's client
 * thread, and answers once that call returned.  The thread then echoes
 * each message of its RC to its SC until a call fails (the connection
 * ended) or PEER_SVC_THREAD_EXIT tells it to end.  A thread whose echo
 * ended stays, for the commands that must run in it (PEER_SVC_THREAD_TAKE_RT),
 * until it is told to exit.
 *
 * Signals: SIGUSR2 interrupts a client thread's call when it is told to
 * exit (only client threads take it); SIGUSR1 interrupts the main thread's
 * CONNECT_SERVICE when a test sends it to the peer (client threads block
 * it).  Their handlers do nothing and have no SA_RESTART.  Real-time
 * signals stay blocked in every thread, as in the whole peer.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "calls.h"
#include "peer.h"
#include "stream.h"
#include "util.h"

#define SVC_THREADS_MAX		128
#define SVC_THREAD_STACK	(256 * 1024)

struct svc_client {
	pthread_t thread;
	int fd;
	uint64_t request;
	pid_t tid;
	int acc_ret;
	struct iuc_accept_service_conn acc;
	bool accepted;		/* its ACCEPT returned */
	bool ended;		/* its echo ended: @echo says how */
	bool joined;
	int quit;		/* told to exit */
	struct svc_echo echo;
	/* PEER_SVC_THREAD_TAKE_RT, run by the thread itself */
	bool take, taken;
	int take_sig, take_ms, take_ret;
	siginfo_t take_si;
};

/* Everything below is guarded by svc_lock; svc_cond tells every change. */
static pthread_mutex_t svc_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t svc_cond = PTHREAD_COND_INITIALIZER;
static struct svc_client svc_clients[SVC_THREADS_MAX];
static int svc_nclients;

static void svc_nop(int sig)
{
	(void)sig;
}

/*
 * The handlers of SIGUSR1 and SIGUSR2, and SIGUSR2 blocked in the calling
 * (main) thread: once per image.  0 or -errno.
 */
static int svc_signals_init(void)
{
	static bool done;
	struct sigaction sa;
	sigset_t set;

	if (done)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = svc_nop;	/* no SA_RESTART: calls end with EINTR */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) || sigaction(SIGUSR2, &sa, NULL))
		return -errno;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -EINVAL;
	done = true;
	return 0;
}

/* Wait on svc_cond (svc_lock held) until *@flag or @ts: true if set. */
static bool svc_wait_flag(const bool *flag, const struct timespec *ts)
{
	while (!*flag)
		if (pthread_cond_timedwait(&svc_cond, &svc_lock, ts) == ETIMEDOUT)
			return *flag;
	return true;
}

static bool svc_quit(struct svc_client *c)
{
	return __atomic_load_n(&c->quit, __ATOMIC_SEQ_CST);
}

/* Echo the messages of the connection until a call fails or quit. */
static void svc_echo_loop(struct svc_client *c, struct svc_echo *e)
{
	unsigned char *buf = malloc(IUC_MESSAGE_MAX);

	memset(e, 0, sizeof(*e));
	if (!buf) {
		e->ret = -ENOMEM;
		return;
	}
	while (!svc_quit(c)) {
		struct iuc_pipe_read r;
		struct iuc_pipe_write w;

		e->ret = iuc_pipe_read(c->fd, c->acc.rc, buf, IUC_MESSAGE_MAX,
				       IUC_IO_BLOCK, &r);
		if (e->ret) {
			e->error = r.error;
			break;
		}
		e->ret = iuc_pipe_write(c->fd, c->acc.sc, buf, r.transferred,
					IUC_IO_BLOCK, &w);
		if (e->ret) {
			e->error = w.error;
			break;
		}
		pat_sum_add(&e->sum, buf, r.transferred);
		e->msgs++;
		e->bytes += r.transferred;
	}
	free(buf);
}

static void *svc_client_main(void *arg)
{
	struct svc_client *c = arg;
	struct svc_echo e;
	sigset_t set;
	int ret;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	ret = iuc_accept_service_conn(c->fd, c->request, &c->acc);
	pthread_mutex_lock(&svc_lock);
	c->tid = (pid_t)syscall(SYS_gettid);
	c->acc_ret = ret;
	c->accepted = true;
	pthread_cond_broadcast(&svc_cond);
	pthread_mutex_unlock(&svc_lock);
	if (ret)
		return NULL;

	svc_echo_loop(c, &e);

	pthread_mutex_lock(&svc_lock);
	c->echo = e;
	c->ended = true;
	pthread_cond_broadcast(&svc_cond);
	while (!svc_quit(c)) {
		if (c->take && !c->taken) {
			siginfo_t si;
			int sig = c->take_sig, ms = c->take_ms;

			pthread_mutex_unlock(&svc_lock);
			ret = wait_rt(sig, &si, ms);
			pthread_mutex_lock(&svc_lock);
			c->take_ret = ret;
			c->take_si = si;
			c->taken = true;
			pthread_cond_broadcast(&svc_cond);
			continue;
		}
		pthread_cond_wait(&svc_cond, &svc_lock);
	}
	pthread_mutex_unlock(&svc_lock);
	return NULL;
}

/* Client thread @index, or NULL. */
static struct svc_client *svc_client(uint64_t index)
{
	return index < (uint64_t)svc_nclients ? &svc_clients[index] : NULL;
}

/* Join @c: SIGUSR2 until it ended, within TIMEOUT_MS.  0 or -ETIMEDOUT. */
static int svc_client_join(struct svc_client *c)
{
	int ret = 0;

	pthread_mutex_lock(&svc_lock);
	__atomic_store_n(&c->quit, 1, __ATOMIC_SEQ_CST);
	pthread_cond_broadcast(&svc_cond);
	pthread_mutex_unlock(&svc_lock);
	/* A signal that came before its call began did not interrupt it: again. */
	for (int waited = 0; !c->joined; waited += 10) {
		if (waited > TIMEOUT_MS)
			return -ETIMEDOUT;
		pthread_kill(c->thread, SIGUSR2);
		ret = thread_join(c->thread, 10);
		if (!ret)
			c->joined = true;
	}
	return 0;
}

/* ---- operations --------------------------------------------------------------- */

static void op_register(struct peer_state *s, struct peer_msg *m,
			struct peer_reply *r)
{
	r->ret = iuc_register_service(peer_fd(s, m), (uint8_t)m->a[0], &r->error);
}

static void op_connect(struct peer_state *s, struct peer_msg *m,
		       struct peer_reply *r)
{
	r->ret = svc_signals_init();
	if (r->ret)
		return;
	r->ret = iuc_connect_service(peer_fd(s, m), m->u.connect.anid,
				     m->u.connect.command, m->u.connect.flexible,
				     &r->u.connect);
	r->error = r->u.connect.error;
}

static void op_accept(struct peer_state *s, struct peer_msg *m,
		      struct peer_reply *r)
{
	r->ret = iuc_accept_service_conn(peer_fd(s, m), m->a[0], &r->u.accept);
	r->error = r->u.accept.error;
}

static void op_reject(struct peer_state *s, struct peer_msg *m,
		      struct peer_reply *r)
{
	r->ret = iuc_reject_service_conn(peer_fd(s, m), m->a[0], &r->error);
}

static void op_end(struct peer_state *s, struct peer_msg *m,
		   struct peer_reply *r)
{
	r->ret = iuc_end_service_conn(peer_fd(s, m), m->a[0], &r->error);
}

static void op_svc_thread(struct peer_state *s, struct peer_msg *m,
			  struct peer_reply *r)
{
	struct timespec ts = realtime_in(TIMEOUT_MS);
	struct svc_client *c;
	pthread_attr_t attr;
	int ret;

	r->v[0] = (uint64_t)-1;
	r->ret = svc_signals_init();
	if (r->ret)
		return;
	if (svc_nclients == SVC_THREADS_MAX) {
		r->ret = -ENOSPC;
		return;
	}
	c = &svc_clients[svc_nclients];
	memset(c, 0, sizeof(*c));
	c->fd = peer_fd(s, m);
	c->request = m->a[0];
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, SVC_THREAD_STACK);
	ret = pthread_create(&c->thread, &attr, svc_client_main, c);
	pthread_attr_destroy(&attr);
	if (ret) {
		r->ret = -ret;
		return;
	}
	pthread_mutex_lock(&svc_lock);
	svc_nclients++;
	if (!svc_wait_flag(&c->accepted, &ts))
		r->ret = -ETIMEDOUT;
	else
		r->ret = c->acc_ret;
	r->u.accept = c->acc;
	r->error = c->acc.error;
	r->v[1] = (uint64_t)c->tid;
	pthread_mutex_unlock(&svc_lock);
	if (!r->ret)
		r->v[0] = (uint64_t)(c - svc_clients);
	else if (c->accepted && !thread_join(c->thread, TIMEOUT_MS))
		c->joined = true;	/* it returned after its failed ACCEPT */
}

static void op_svc_thread_wait(struct peer_state *s, struct peer_msg *m,
			       struct peer_reply *r)
{
	struct svc_client *c = svc_client(m->a[0]);
	struct timespec ts = realtime_in((int)m->a[1]);

	(void)s;
	if (!c || c->joined) {
		r->ret = -EINVAL;
		return;
	}
	pthread_mutex_lock(&svc_lock);
	if (svc_wait_flag(&c->ended, &ts)) {
		_Static_assert(sizeof(c->echo) <= sizeof(r->data), "svc_echo in data");
		memcpy(r->data, &c->echo, sizeof(c->echo));
		r->ret = 0;
	} else {
		r->ret = -ETIMEDOUT;
	}
	pthread_mutex_unlock(&svc_lock);
}

static void op_svc_thread_take_rt(struct peer_state *s, struct peer_msg *m,
				  struct peer_reply *r)
{
	struct svc_client *c = svc_client(m->a[0]);
	int ms = (int)m->a[2];
	struct timespec ts = realtime_in(ms);

	(void)s;
	if (!c || c->joined) {
		r->ret = -EINVAL;
		return;
	}
	pthread_mutex_lock(&svc_lock);
	if (!svc_wait_flag(&c->ended, &ts)) {
		r->ret = -EBUSY;	/* still echoing */
		goto out;
	}
	c->take = true;
	c->taken = false;
	c->take_sig = (int)m->a[1];
	c->take_ms = ms;
	pthread_cond_broadcast(&svc_cond);
	ts = realtime_in(ms + TIMEOUT_MS);
	if (!svc_wait_flag(&c->taken, &ts)) {
		r->ret = -ETIMEDOUT;
		goto out;
	}
	c->take = false;
	r->ret = c->take_ret;
	if (r->ret > 0) {
		r->v[0] = c->take_si.si_signo;
		r->v[1] = (uint64_t)(int64_t)c->take_si.si_code;
		r->v[2] = (uint64_t)(int64_t)c->take_si.si_errno;
		r->v[3] = c->take_si.si_pid;
		r->ret = 0;
	}
out:
	pthread_mutex_unlock(&svc_lock);
}

static void op_svc_thread_exit(struct peer_state *s, struct peer_msg *m,
			       struct peer_reply *r)
{
	struct svc_client *c = svc_client(m->a[0]);

	(void)s;
	r->ret = c && !c->joined ? svc_client_join(c) : -EINVAL;
}

/* Is @sig in the mask of line @field of the status file @path?  1, 0 or -errno. */
static int sig_in_status(const char *path, const char *field, int sig)
{
	char line[256];
	size_t n = strlen(field);
	int ret = -ENOENT;
	FILE *f = fopen(path, "r");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, field, n))
			continue;
		ret = (int)((strtoull(line + n, NULL, 16) >> (sig - 1)) & 1);
		break;
	}
	fclose(f);
	return ret;
}

/* A thread's own pending set holds @sig: 1, 0 or -errno. */
static int sig_pending_in_thread(pid_t tid, int sig)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	return sig_in_status(path, "SigPnd:", sig);
}

/* Fill @r from where @sig is pending now: 1 if anywhere, 0, or -errno. */
static int rt_where_now(int sig, struct peer_reply *r)
{
	int ret, any;

	ret = sig_in_status("/proc/self/status", "ShdPnd:", sig);
	if (ret < 0)
		return ret;
	r->v[0] = (uint64_t)ret;
	any = ret;
	ret = sig_pending_in_thread(getpid(), sig);
	if (ret < 0)
		return ret;
	r->v[1] = (uint64_t)ret;
	any |= ret;
	r->v[2] = 0;
	r->v[3] = (uint64_t)-1;
	pthread_mutex_lock(&svc_lock);
	for (int i = 0; i < svc_nclients; i++) {
		struct svc_client *c = &svc_clients[i];

		if (c->joined || !c->accepted || c->acc_ret)
			continue;
		ret = sig_pending_in_thread(c->tid, sig);
		if (ret < 0)
			continue;	/* it has exited */
		if (ret) {
			if (!r->v[2])
				r->v[3] = (uint64_t)i;
			r->v[2]++;
			any = 1;
		}
	}
	pthread_mutex_unlock(&svc_lock);
	return any;
}

static void op_svc_rt_where(struct peer_state *s, struct peer_msg *m,
			    struct peer_reply *r)
{
	int sig = (int)m->a[0], ms = (int)m->a[1];
	struct timespec t0, now;

	(void)s;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int any = rt_where_now(sig, r);

		if (any) {
			r->ret = any < 0 ? any : 0;
			return;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - t0.tv_sec) * 1000 +
		    (now.tv_nsec - t0.tv_nsec) / 1000000 > ms) {
			r->ret = -ETIMEDOUT;
			return;
		}
		usleep(1000);
	}
}

/* Length of echo message @seq of @client: 16 bytes to 64 KiB. */
static uint32_t echo_len(unsigned int client, uint32_t seq)
{
	const uint32_t tag = (uint32_t)sizeof(struct msg_tag);

	return tag + (seq * 7919u + client * 104729u) % (IUC_MESSAGE_MAX - tag + 1);
}

static void echo_fill(unsigned char *buf, unsigned int client, uint32_t seq)
{
	struct msg_tag t = {
		.magic = MSG_TAG_MAGIC, .writer = (uint16_t)client,
		.nwriters = 0, .seq = seq, .len = echo_len(client, seq),
	};

	memcpy(buf, &t, sizeof(t));
	pat_fill(buf + sizeof(t), t.len - sizeof(t), msg_seed(client, seq), 0);
}

static void op_echo(struct peer_state *s, struct peer_msg *m,
		    struct peer_reply *r)
{
	unsigned char *out = malloc(IUC_MESSAGE_MAX), *in = malloc(IUC_MESSAGE_MAX);
	unsigned int client = (unsigned int)m->a[3];
	int fd = peer_fd(s, m);
	struct pat_sum sum = { 0, 0 };

	r->ret = out && in ? 0 : -ENOMEM;
	for (uint32_t seq = 0; !r->ret && seq < m->a[2]; seq++) {
		uint32_t len = echo_len(client, seq);
		struct iuc_pipe_write w;
		struct iuc_pipe_read rd;

		echo_fill(out, client, seq);
		r->ret = iuc_pipe_write(fd, m->a[0], out, len, IUC_IO_BLOCK, &w);
		if (r->ret) {
			r->error = w.error;
			snprintf(r->data, sizeof(r->data), "message %u: write", seq);
			break;
		}
		r->ret = iuc_pipe_read(fd, m->a[1], in, IUC_MESSAGE_MAX, IUC_IO_BLOCK, &rd);
		if (r->ret) {
			r->error = rd.error;
			snprintf(r->data, sizeof(r->data), "message %u: read", seq);
			break;
		}
		if (rd.transferred != len || rd.result != len || memcmp(in, out, len)) {
			r->ret = -EPROTO;
			snprintf(r->data, sizeof(r->data),
				 "message %u: echo of %u bytes differs (%llu back)",
				 seq, len, (unsigned long long)rd.transferred);
			break;
		}
		pat_sum_add(&sum, out, len);
		r->v[0]++;
	}
	r->v[1] = sum.a;
	r->v[2] = sum.b;
	free(out);
	free(in);
}

static const peer_op_fn peer_service_ops[] = {
	[PEER_REGISTER - PEER_REGISTER] = op_register,
	[PEER_CONNECT - PEER_REGISTER] = op_connect,
	[PEER_ACCEPT - PEER_REGISTER] = op_accept,
	[PEER_REJECT - PEER_REGISTER] = op_reject,
	[PEER_END - PEER_REGISTER] = op_end,
	[PEER_SVC_THREAD - PEER_REGISTER] = op_svc_thread,
	[PEER_SVC_THREAD_WAIT - PEER_REGISTER] = op_svc_thread_wait,
	[PEER_SVC_THREAD_TAKE_RT - PEER_REGISTER] = op_svc_thread_take_rt,
	[PEER_SVC_THREAD_EXIT - PEER_REGISTER] = op_svc_thread_exit,
	[PEER_SVC_RT_WHERE - PEER_REGISTER] = op_svc_rt_where,
	[PEER_ECHO - PEER_REGISTER] = op_echo,
};

const struct peer_area peer_service_area = {
	.base = PEER_REGISTER, .end = PEER_SVC_END, .ops = peer_service_ops,
};

/* ---- service commands ---------------------------------------------------------- */

int peer_register(struct peer *p, uint8_t scope, uint32_t *err)
{
	return peer_do(p, PEER_REGISTER, scope, err);
}

struct peer_msg peer_msg_connect(uint32_t anid, uint16_t command, uint8_t flexible)
{
	struct peer_msg m = peer_msg(PEER_CONNECT, 0, 0);

	m.u.connect.anid = anid;
	m.u.connect.command = command;
	m.u.connect.flexible = flexible;
	return m;
}

int peer_connect_wait(struct peer *p, struct iuc_connect_service *out)
{
	struct peer_reply r;
	int ret = peer_wait(p, &r, TIMEOUT_MS + LONG_MS);

	if (out)
		*out = r.u.connect;
	return ret;
}

int peer_connect(struct peer *p, uint32_t anid, uint16_t command, uint8_t flexible,
		 struct iuc_connect_service *out)
{
	struct peer_msg m = peer_msg_connect(anid, command, flexible);
	struct peer_reply r;
	int ret = peer_call(p, &m, &r);

	if (out)
		*out = r.u.connect;
	return ret;
}

int peer_accept(struct peer *p, uint64_t request, struct iuc_accept_service_conn *out)
{
	struct peer_reply r;
	int ret = peer_cmd(p, PEER_ACCEPT, request, 0, 0, 0, &r);

	if (out)
		*out = r.u.accept;
	return ret;
}

int peer_reject(struct peer *p, uint64_t request, uint32_t *err)
{
	return peer_do(p, PEER_REJECT, request, err);
}

int peer_end(struct peer *p, uint64_t conn, uint32_t *err)
{
	return peer_do(p, PEER_END, conn, err);
}

int peer_svc_thread(struct peer *p, uint64_t request, struct svc_thread *t)
{
	struct peer_reply r;
	int ret = peer_cmd(p, PEER_SVC_THREAD, request, 0, 0, 0, &r);

	t->index = ret ? -1 : (int)r.v[0];
	t->tid = (pid_t)r.v[1];
	t->acc = r.u.accept;
	return ret;
}

int peer_svc_thread_wait(struct peer *p, int index, int ms, struct svc_echo *e)
{
	struct peer_reply r;
	int ret = peer_cmd(p, PEER_SVC_THREAD_WAIT, (uint64_t)index, (uint64_t)ms,
			   0, 0, &r);

	if (ret == 0)
		memcpy(e, r.data, sizeof(*e));
	return ret;
}

int peer_svc_thread_take_rt(struct peer *p, int index, int sig, int ms,
			    struct rt_info *ri)
{
	struct peer_reply r;
	int ret = peer_cmd(p, PEER_SVC_THREAD_TAKE_RT, (uint64_t)index,
			   (uint64_t)sig, (uint64_t)ms, 0, &r);

	if (ret == 0) {
		ri->signo = (int)r.v[0];
		ri->code = (int)(int64_t)r.v[1];
		ri->iuc_code = (int)(int64_t)r.v[2];
		ri->pid = (pid_t)r.v[3];
	}
	return ret;
}

int peer_svc_thread_exit(struct peer *p, int index)
{
	return peer_do(p, PEER_SVC_THREAD_EXIT, (uint64_t)index, NULL);
}

int peer_svc_rt_where(struct peer *p, int sig, int ms, struct rt_where *w)
{
	struct peer_reply r;
	int ret = peer_cmd(p, PEER_SVC_RT_WHERE, (uint64_t)sig, (uint64_t)ms, 0, 0, &r);

	memset(w, 0, sizeof(*w));
	w->first = -1;
	if (ret == 0) {
		w->shared = r.v[0];
		w->main = r.v[1];
		w->threads = (int)r.v[2];
		w->first = (int)(int64_t)r.v[3];
	}
	return ret;
}

struct peer_msg peer_msg_echo(uint64_t sc, uint64_t rc, uint32_t n, unsigned int client)
{
	struct peer_msg m = peer_msg(PEER_ECHO, sc, rc);

	m.a[2] = n;
	m.a[3] = client;
	return m;
}

int peer_echo_wait(struct peer *p, uint64_t *n, struct pat_sum *sum, char *why)
{
	struct peer_reply r;
	int ret = peer_wait(p, &r, TIMEOUT_MS + LONG_MS);

	if (n)
		*n = r.v[0];
	if (sum) {
		sum->a = r.v[1];
		sum->b = r.v[2];
	}
	if (why)
		snprintf(why, 64, "%.63s", r.data);
	return ret;
}

int peer_echo(struct peer *p, uint64_t sc, uint64_t rc, uint32_t n,
	      unsigned int client, struct pat_sum *sum)
{
	struct peer_msg m = peer_msg_echo(sc, rc, n, client);
	struct peer_reply r;
	int ret = peer_call(p, &m, &r);

	if (ret)
		fprintf(stderr, "# peer %d: echo: %s (error 0x%x)\n", p->pid, r.data,
			r.error);
	if (sum) {
		sum->a = r.v[1];
		sum->b = r.v[2];
	}
	return ret;
}
