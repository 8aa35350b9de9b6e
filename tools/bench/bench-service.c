// SPDX-License-Identifier: GPL-2.0
/*
 * Services: the benchmark is the client, a helper is the service.  The
 * helper's connections are accepted by a thread of its own (a pthread, not
 * the helper's main thread, which only takes the benchmark's commands), as
 * a service's client thread accepts on Linux (ACCEPT_SERVICE_CONN makes its
 * caller the connection's client thread).  Against the same over AF_UNIX
 * SOCK_SEQPACKET: a listening socket of the helper, whose accepting thread
 * is a pthread too.  Metrics:
 *
 * - service_connect_end: one connection's life, nothing sent.  IUC:
 *   CONNECT_SERVICE, which waits for the answer; the helper's thread reads
 *   the SERVICE_CONN_REQUEST record (read(2) of its context) and accepts;
 *   END_SERVICE_CONN, which closes both pipes of both sides.  Peer
 *   "seqpacket": socket() + connect() + close(), the helper's thread
 *   accept() + close().  connect() completes on the listening socket's
 *   backlog without the server, so the client may run ahead of it;
 *   "seqpacket_answered" waits, as CONNECT_SERVICE does, for the server's
 *   answer: it sends one byte once accept() returned, and the client reads
 *   it before close().  A repetition is N cycles; its clock runs from the
 *   client's first call to the later of the client's last call and the
 *   server's last close.  µs per cycle.
 * - service_echo_64: a 64-byte request and its echo over one connection,
 *   made before the clock: IUC, the client writes its SC and reads its RC,
 *   the client thread reads its RC and writes its SC (the connection's two
 *   message pipes); peer "seqpacket": send()/recv() over the accepted
 *   AF_UNIX SOCK_SEQPACKET connection, the accepting thread echoing.  µs
 *   per round trip.
 *
 * A pilot repetition sizes the others to about --rep-seconds.  The service
 * handles SERVICE_CONN_REQUEST only, with records (no real-time signal):
 * it learns of a connection's end from its pipes, as the seqpacket server
 * does from its socket.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bench.h"

/* The methods of service_connect_end; service_echo_64 has the first two. */
enum { S_IUC, S_SEQPACKET, S_ANSWERED, S_NMETH };
static const char *const s_names[] = { "iuc", "seqpacket", "seqpacket_answered" };
/* The helpers: the IUC service, the seqpacket server (both seqpacket methods). */
enum { H_IUC, H_UNIX, H_N };

#define ECHO_SIZE	64

/* What the server thread is told (svc_order()) */
enum { DO_CYCLES = 1, DO_SERVE, DO_QUIT };

struct svc_cmd {
	int32_t		helper;		/* H_* */
	int32_t		what;		/* DO_* */
	int32_t		answer;		/* DO_CYCLES on H_UNIX: send one byte after accept() */
	uint32_t	size;		/* DO_SERVE: the echoed message's size */
	uint64_t	n;		/* DO_CYCLES: connections */
	uint64_t	t_end;		/* answer of DO_CYCLES: the last close, now_ns() */
};

/* ---- the helper: its server thread ------------------------------------------ */

/* In the helper: its context, its listening socket, the thread's mailbox. */
static struct {
	int		iuc, lsock;
	int32_t		helper;
	pthread_t	thread;
	pthread_mutex_t	lock;
	pthread_cond_t	cond;
	struct svc_cmd	cmd;
	bool		has_cmd;	/* @cmd is for the thread */
	bool		busy;		/* the thread runs a command */
	bool		accepted;	/* DO_SERVE: the connection is there */
} sv = {
	.iuc = -1, .lsock = -1,
	.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER,
};

/* One accepted connection, as the server thread holds it. */
struct svc_conn {
	uint64_t	rc, sc;		/* IUC: client to service, service to client */
	int		fd;		/* AF_UNIX: the accepted socket */
};

/* Wait for the next request and accept it (IUC: this thread is its client thread). */
static void svc_accept(struct svc_conn *c)
{
	if (sv.helper == H_IUC) {
		struct iuc_accept_service_conn a;
		struct iuc_signal rec;
		ssize_t r;

		do
			r = read(sv.iuc, &rec, sizeof(rec));
		while (r < 0 && errno == EINTR);
		if (r != (ssize_t)sizeof(rec) || rec.code != IUC_SIG_SERVICE_CONN_REQUEST)
			die("service: read of the request record: %zd, code 0x%x", r,
			    r > 0 ? rec.code : 0);
		if (iuc_accept_service_conn(sv.iuc, rec.data.conn_request.request_id, &a))
			die("ACCEPT_SERVICE_CONN %" PRIu64 ": error 0x%x",
			    (uint64_t)rec.data.conn_request.request_id, a.error);
		c->rc = a.rc;
		c->sc = a.sc;
		c->fd = -1;
	} else {
		do
			c->fd = accept4(sv.lsock, NULL, NULL, SOCK_CLOEXEC);
		while (c->fd < 0 && errno == EINTR);
		if (c->fd < 0)
			die("accept");
	}
}

/* The server's part of a connection's end: END closed IUC's ends already. */
static void svc_release(struct svc_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
}

/* Echo messages of @size until the client ends the connection. */
static void svc_echo(struct svc_conn *c, uint32_t size)
{
	static char buf[IUC_MESSAGE_MAX];
	struct iuc_pipe_read rd;
	struct iuc_pipe_write wr;

	for (;;) {
		if (c->fd < 0) {
			/* the connection's end fails the read (or the write) */
			if (iuc_pipe_read(sv.iuc, c->rc, buf, size, IUC_IO_BLOCK, &rd) ||
			    iuc_pipe_write(sv.iuc, c->sc, buf, rd.transferred, IUC_IO_BLOCK, &wr))
				return;
		} else {
			ssize_t r = recv(c->fd, buf, size, MSG_WAITALL);

			if (r <= 0)
				return;
			if (send(c->fd, buf, (size_t)r, 0) != r)
				die("service echo send");
		}
	}
}

static void *svc_thread(void *unused)
{
	(void)unused;
	for (;;) {
		struct svc_conn c;
		struct svc_cmd cmd;

		pthread_mutex_lock(&sv.lock);
		while (!sv.has_cmd)
			pthread_cond_wait(&sv.cond, &sv.lock);
		cmd = sv.cmd;
		sv.has_cmd = false;
		pthread_mutex_unlock(&sv.lock);
		if (cmd.what == DO_QUIT)
			return NULL;

		if (cmd.what == DO_CYCLES) {
			for (uint64_t i = 0; i < cmd.n; i++) {
				svc_accept(&c);
				if (cmd.answer && send(c.fd, "a", 1, 0) != 1)
					die("service answer");
				svc_release(&c);
			}
			cmd.t_end = now_ns();
		} else {
			svc_accept(&c);
			pthread_mutex_lock(&sv.lock);
			sv.accepted = true;
			pthread_cond_broadcast(&sv.cond);
			pthread_mutex_unlock(&sv.lock);
			svc_echo(&c, cmd.size);
			svc_release(&c);
		}
		pthread_mutex_lock(&sv.lock);
		sv.cmd = cmd;
		sv.busy = false;
		pthread_cond_broadcast(&sv.cond);
		pthread_mutex_unlock(&sv.lock);
	}
}

/*
 * In the helper, first: become the service (IUC: REGISTER_SERVICE for our
 * user, records of SERVICE_CONN_REQUEST, READY) and start the thread.
 */
static int svc_init(int iuc, void *p)
{
	struct svc_cmd *c = p;
	uint32_t err = 0;

	sv.helper = c->helper;
	sv.iuc = iuc;
	sv.lsock = c->helper == H_UNIX ? helper_fd(0) : -1;
	if (c->helper == H_IUC &&
	    (iuc_register_service(iuc, IUC_SCOPE_USER, &err) ||
	     iuc_handle_signal(iuc, IUC_SIG_SERVICE_CONN_REQUEST, 0, &err) ||
	     iuc_ready(iuc, &err)))
		die("service set-up: error 0x%x", err);
	if (pthread_create(&sv.thread, NULL, svc_thread, NULL))
		die("pthread_create");
	return 0;
}

/*
 * In the helper's main thread: hand @p to the server thread once it is
 * idle.  DO_CYCLES returns once they are done (with t_end), DO_SERVE once
 * the connection is accepted (the thread then echoes), DO_QUIT once the
 * thread ended.
 */
static int svc_order(int iuc, void *p)
{
	struct svc_cmd *c = p;

	(void)iuc;
	pthread_mutex_lock(&sv.lock);
	while (sv.busy)
		pthread_cond_wait(&sv.cond, &sv.lock);
	sv.cmd = *c;
	sv.has_cmd = true;
	sv.busy = c->what != DO_QUIT;
	sv.accepted = false;
	pthread_cond_broadcast(&sv.cond);
	if (c->what == DO_CYCLES)
		while (sv.busy)
			pthread_cond_wait(&sv.cond, &sv.lock);
	else if (c->what == DO_SERVE)
		while (!sv.accepted)
			pthread_cond_wait(&sv.cond, &sv.lock);
	*c = sv.cmd;
	pthread_mutex_unlock(&sv.lock);
	if (c->what == DO_QUIT)
		pthread_join(sv.thread, NULL);
	return 0;
}

/* ---- the client: the benchmark ------------------------------------------------- */

struct svc_set {
	struct helper		h[H_N];
	struct sockaddr_un	addr;	/* the seqpacket server's (abstract) */
	socklen_t		addrlen;
	uint32_t		anid;	/* our application: the service's */
	/* service_echo_*: the connections, their message size */
	struct iuc_connect_service conn;
	int			fd;
	size_t			size;
};

static void svc_setup(struct svc_set *s)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->addr.sun_family = AF_UNIX;
	/* abstract: sun_path[0] is NUL */
	snprintf(s->addr.sun_path + 1, sizeof(s->addr.sun_path) - 1,
		 "iucb-service-%d", getpid());
	s->addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
				 strlen(s->addr.sun_path + 1));
	s->anid = (uint32_t)ipc_ns_ino();
	for (int h = 0; h < H_N; h++) {
		struct svc_cmd c = { .helper = h };

		if (h == H_IUC) {
			if (opt_no_iuc)
				continue;
			helper_start(&s->h[h], NULL, 0);
			helper_open_iuc(&s->h[h], 0, 0);
		} else {
			int l = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

			if (l < 0 || bind(l, (struct sockaddr *)&s->addr, s->addrlen) ||
			    listen(l, 128))
				die("listening socket");
			helper_start(&s->h[h], &l, 1);
		}
		helper_run(&s->h[h], svc_init, &c, sizeof(c));
	}
}

static void svc_teardown(struct svc_set *s)
{
	for (int h = 0; h < H_N; h++) {
		struct svc_cmd c = { .helper = h, .what = DO_QUIT };

		if (!s->h[h].started)
			continue;
		helper_run(&s->h[h], svc_order, &c, sizeof(c));
		helper_stop(&s->h[h]);
	}
}

static struct helper *method_helper(struct svc_set *s, int m)
{
	return &s->h[m == S_IUC ? H_IUC : H_UNIX];
}

/* A connected AF_UNIX SOCK_SEQPACKET socket to the helper's server. */
static int unix_connect(const struct svc_set *s)
{
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (fd < 0 || connect(fd, (const struct sockaddr *)&s->addr, s->addrlen))
		die("seqpacket connect");
	return fd;
}

/* @n connection cycles of method @m: µs per cycle. */
static double connect_rep(struct svc_set *s, int m, uint64_t n)
{
	struct svc_cmd c = {
		.helper = m == S_IUC ? H_IUC : H_UNIX, .what = DO_CYCLES,
		.answer = m == S_ANSWERED, .n = n,
	};
	struct helper *h = method_helper(s, m);
	uint64_t t0, t1;

	helper_go(h, svc_order, &c, sizeof(c));
	t0 = now_ns();
	for (uint64_t i = 0; i < n; i++) {
		if (m == S_IUC) {
			struct iuc_connect_service cs;
			uint32_t err = 0;

			if (iuc_connect_service(iuc_fd, s->anid, 0, IUC_SERVICE_STRICT, &cs))
				die("CONNECT_SERVICE: error 0x%x", cs.error);
			if (iuc_end_service_conn(iuc_fd, cs.conn_id, &err))
				die("END_SERVICE_CONN: error 0x%x", err);
		} else {
			int fd = unix_connect(s);
			char b;

			if (m == S_ANSWERED && recv(fd, &b, 1, 0) != 1)
				die("seqpacket answer");
			close(fd);
		}
	}
	t1 = now_ns();
	helper_collect(h, &c, sizeof(c));
	if (c.t_end > t1)
		t1 = c.t_end;
	return (double)(t1 - t0) / 1e3 / (double)n;
}

/* One repetition of method @m, @n cycles or round trips: its figure. */
typedef double (*svc_rep_fn)(struct svc_set *s, int m, uint64_t n);

/*
 * The repetitions of @mt's first @nmeth methods, interleaved, sized by a
 * pilot repetition of @pilot (which warms up too) to about --rep-seconds
 * for the slowest method: the count of a repetition.
 */
static uint64_t svc_measure(struct svc_set *s, struct metric *mt, int nmeth,
			    svc_rep_fn rep, uint64_t pilot)
{
	double slowest = 0;
	uint64_t n;

	for (int m = 0; m < nmeth; m++) {
		double us;

		if (!method_helper(s, m)->started)
			continue;
		us = rep(s, m, pilot);
		if (us > slowest)
			slowest = us;
	}
	n = (uint64_t)(opt_rep_seconds * 1e6 / slowest);
	if (n < pilot)
		n = pilot;
	for (int r = 0; r < opt_reps; r++)
		for (int m = 0; m < nmeth; m++)
			if (method_helper(s, m)->started)
				add(method_series(mt, m, s_names), rep(s, m, n));
	return n;
}

static void connect_end(struct svc_set *s)
{
	struct metric *mt;
	uint64_t n;

	if (!wanted("service_connect_end"))
		return;
	mt = new_metric("service_connect_end", "us", false, "seqpacket");
	n = svc_measure(s, mt, S_NMETH, connect_rep, 100);
	extra(mt, ", \"cycles_per_rep\": %" PRIu64, n);
	report(mt);
}

/* @n round trips over the connection of method @m: µs per round trip. */
static double echo_rep(struct svc_set *s, int m, uint64_t n)
{
	static char buf[IUC_MESSAGE_MAX];
	struct iuc_pipe_read rd;
	struct iuc_pipe_write wr;
	size_t size = s->size;
	uint64_t t0, t1;

	t0 = now_ns();
	for (uint64_t i = 0; i < n; i++) {
		if (m == S_IUC) {
			if (iuc_pipe_write(iuc_fd, s->conn.sc, buf, size, IUC_IO_BLOCK, &wr) ||
			    iuc_pipe_read(iuc_fd, s->conn.rc, buf, (uint32_t)size, IUC_IO_BLOCK, &rd))
				die("service echo");
		} else if (send(s->fd, buf, size, 0) != (ssize_t)size ||
			   recv(s->fd, buf, size, MSG_WAITALL) != (ssize_t)size) {
			die("seqpacket echo");
		}
	}
	t1 = now_ns();
	return (double)(t1 - t0) / 1e3 / (double)n;
}

static void echo(struct svc_set *s, size_t size, const char *name)
{
	struct metric *mt;
	uint64_t n;

	if (!wanted(name))
		return;
	mt = new_metric(name, "us", false, "seqpacket");
	s->size = size;
	/* one connection per method, accepted by the helper's thread, which then echoes */
	for (int m = S_IUC; m <= S_SEQPACKET; m++) {
		struct svc_cmd c = {
			.helper = m == S_IUC ? H_IUC : H_UNIX, .what = DO_SERVE,
			.size = (uint32_t)size,
		};
		struct helper *h = method_helper(s, m);

		if (!h->started)
			continue;
		helper_go(h, svc_order, &c, sizeof(c));
		if (m == S_IUC) {
			if (iuc_connect_service(iuc_fd, s->anid, 0, IUC_SERVICE_STRICT, &s->conn))
				die("CONNECT_SERVICE: error 0x%x", s->conn.error);
		} else {
			s->fd = unix_connect(s);
		}
		helper_collect(h, &c, sizeof(c));
	}
	n = svc_measure(s, mt, S_SEQPACKET + 1, echo_rep, 200);
	extra(mt, ", \"message_size\": %zu, \"round_trips_per_rep\": %" PRIu64, size, n);
	report(mt);
	/* the ends: the helpers' threads see them and go idle */
	if (s->h[H_IUC].started) {
		uint32_t err = 0;

		if (iuc_end_service_conn(iuc_fd, s->conn.conn_id, &err))
			die("END_SERVICE_CONN: error 0x%x", err);
	}
	close(s->fd);
	s->fd = -1;
}

static void run_service(void)
{
	struct svc_set s;

	if (!wanted("service_connect_end") && !wanted("service_echo_64"))
		return;
	svc_setup(&s);
	connect_end(&s);
	echo(&s, ECHO_SIZE, "service_echo_64");
	svc_teardown(&s);
}

const struct bench bench_service = {
	.name = "service", .section = "service", .run = run_service,
};
