// SPDX-License-Identifier: GPL-2.0
/*
 * Peers: the pipe operations.  See peer.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "calls.h"
#include "peer.h"
#include "stream.h"

static void op_open_pipe(struct peer_state *s, struct peer_msg *m,
			 struct peer_reply *r)
{
	r->u.open = m->u.open;
	r->ret = iuc_open_pipe(peer_fd(s, m), &r->u.open);
	r->error = r->u.open.error;
}

static void op_send_pipe(struct peer_state *s, struct peer_msg *m,
			 struct peer_reply *r)
{
	r->ret = iuc_send_pipe(peer_fd(s, m), m->u.send.id, m->u.send.target_pid,
			       m->u.send.notify, &r->u.send);
	r->error = r->u.send.error;
}

static void op_close_pipe(struct peer_state *s, struct peer_msg *m,
			  struct peer_reply *r)
{
	r->ret = iuc_close_pipe(peer_fd(s, m), m->u.close.id, &r->error);
}

static void op_write(struct peer_state *s, struct peer_msg *m,
		     struct peer_reply *r)
{
	uint64_t n = m->u.w.count;
	char *b = n ? malloc(n) : NULL;

	if (n && !b) {
		r->ret = -ENOMEM;
		return;
	}
	if (b)
		pat_fill(b, n, m->a[0], m->a[1]);
	r->ret = iuc_pipe_write(peer_fd(s, m), m->u.w.id, b, n, m->u.w.mode,
				&r->u.w);
	r->error = r->u.w.error;
	free(b);
}

static void op_read(struct peer_state *s, struct peer_msg *m,
		    struct peer_reply *r)
{
	size_t n = m->u.r.count > m->a[2] ? m->u.r.count : m->a[2];
	char *b = malloc(n ? n : 1);

	if (!b) {
		r->ret = -ENOMEM;
		return;
	}
	r->ret = iuc_pipe_read(peer_fd(s, m), m->u.r.id, b, m->u.r.count,
			       m->u.r.mode, &r->u.r);
	r->error = r->u.r.error;
	r->v[0] = r->u.r.transferred <= n ?
		pat_check(b, r->u.r.transferred, m->a[0], m->a[1]) : 0;
	free(b);
}

static void op_info(struct peer_state *s, struct peer_msg *m,
		    struct peer_reply *r)
{
	r->ret = iuc_pipe_info(peer_fd(s, m), m->u.info.id, &r->u.info);
	r->error = r->u.info.error;
}

static void op_stream_write(struct peer_state *s, struct peer_msg *m,
			    struct peer_reply *r)
{
	r->st = m->st;
	r->ret = stream_write(peer_fd(s, m), m->a[0], &r->st, NULL);
}

static void op_stream_read(struct peer_state *s, struct peer_msg *m,
			   struct peer_reply *r)
{
	r->st = m->st;
	r->ret = stream_read(peer_fd(s, m), m->a[0], &r->st);
}

static void op_msg_verify(struct peer_state *s, struct peer_msg *m,
			  struct peer_reply *r)
{
	r->ret = msg_verify(peer_fd(s, m), m->a[0], (unsigned int)m->a[1],
			    (uint32_t)m->a[2], &r->v[0], &r->v[1], &r->error,
			    r->data);
}

static void op_pipe_call(struct peer_state *s, struct peer_msg *m,
			 struct peer_reply *r)
{
	const struct iuc_pipe_call *c = &m->u.call;
	size_t n = c->rcount > m->a[2] ? c->rcount : m->a[2];
	char *w = c->wcount ? malloc(c->wcount) : NULL;
	char *b = malloc(n ? n : 1);

	if (!b || (c->wcount && !w)) {
		free(w);
		free(b);
		r->ret = -ENOMEM;
		return;
	}
	if (w)
		pat_fill(w, c->wcount, m->a[0], 0);
	r->ret = iuc_pipe_call(peer_fd(s, m), c->sc, w, c->wcount, c->rc, b,
			       c->rcount, &r->u.call);
	r->error = r->u.call.error;
	r->v[0] = r->u.call.transferred <= n ?
		pat_check(b, r->u.call.transferred, m->a[1], 0) : 0;
	free(w);
	free(b);
}

/*
 * An echo server on PIPE_CALL: each call answers the previous request
 * and waits for the next one (the first writes nothing).
 */
static void op_call_echo(struct peer_state *s, struct peer_msg *m,
			 struct peer_reply *r)
{
	uint32_t rcount = m->a[3] ? (uint32_t)m->a[3] : IUC_MESSAGE_MAX;
	char *b = malloc(rcount);
	struct iuc_pipe_write w;
	uint64_t len = 0;

	if (!b) {
		r->ret = -ENOMEM;
		return;
	}
	r->ret = 0;
	for (uint64_t i = 0; i < m->a[2]; i++) {
		r->ret = iuc_pipe_call(peer_fd(s, m), m->a[1], b, len, m->a[0],
				       b, rcount, &r->u.call);
		r->error = r->u.call.error;
		r->v[1] = r->u.call.stage;
		if (r->ret)
			break;
		r->v[0] += i ? 1 : 0;	/* request i - 1 answered */
		len = r->u.call.transferred;
		if (!len) {
			r->ret = -EPROTO;	/* an empty request: not ours */
			break;
		}
	}
	if (!r->ret && len) {
		r->ret = iuc_pipe_write(peer_fd(s, m), m->a[1], b, len,
					IUC_IO_BLOCK, &w);
		r->error = w.error;
		r->v[0] += r->ret ? 0 : 1;
	}
	free(b);
}

static const peer_op_fn peer_pipe_ops[] = {
	[PEER_OPEN_PIPE - PEER_OPEN_PIPE] = op_open_pipe,
	[PEER_SEND_PIPE - PEER_OPEN_PIPE] = op_send_pipe,
	[PEER_CLOSE_PIPE - PEER_OPEN_PIPE] = op_close_pipe,
	[PEER_WRITE - PEER_OPEN_PIPE] = op_write,
	[PEER_READ - PEER_OPEN_PIPE] = op_read,
	[PEER_INFO - PEER_OPEN_PIPE] = op_info,
	[PEER_STREAM_WRITE - PEER_OPEN_PIPE] = op_stream_write,
	[PEER_STREAM_READ - PEER_OPEN_PIPE] = op_stream_read,
	[PEER_MSG_VERIFY - PEER_OPEN_PIPE] = op_msg_verify,
	[PEER_PIPE_CALL - PEER_OPEN_PIPE] = op_pipe_call,
	[PEER_CALL_ECHO - PEER_OPEN_PIPE] = op_call_echo,
};

const struct peer_area peer_pipe_area = {
	.base = PEER_OPEN_PIPE, .end = PEER_PIPE_END, .ops = peer_pipe_ops,
};

/* ---- pipe commands --------------------------------------------------------------- */

int peer_open_pipe(struct peer *p, struct iuc_open_pipe *a)
{
	struct peer_msg m = peer_msg(PEER_OPEN_PIPE, 0, 0);
	struct peer_reply r;
	int ret;

	m.u.open = *a;
	ret = peer_call(p, &m, &r);
	if (ret != PEER_BROKEN)
		*a = r.u.open;
	return ret;
}

int peer_send_pipe(struct peer *p, uint64_t id, uint64_t pid, uint8_t notify,
		   struct iuc_send_pipe *out)
{
	struct peer_msg m = peer_msg(PEER_SEND_PIPE, 0, 0);
	struct peer_reply r;
	int ret;

	m.u.send.id = id;
	m.u.send.target_pid = pid;
	m.u.send.notify = notify;
	ret = peer_call(p, &m, &r);
	if (out)
		*out = r.u.send;
	return ret;
}

int peer_close_pipe(struct peer *p, uint64_t id, uint32_t *err)
{
	struct peer_msg m = peer_msg(PEER_CLOSE_PIPE, 0, 0);
	struct peer_reply r;
	int ret;

	m.u.close.id = id;
	ret = peer_call(p, &m, &r);
	if (err)
		*err = r.error;
	return ret;
}

struct peer_msg peer_msg_write(uint64_t id, uint64_t count, uint8_t mode,
			       uint64_t seed, uint64_t off)
{
	struct peer_msg m = peer_msg(PEER_WRITE, seed, off);

	m.u.w.id = id;
	m.u.w.count = count;
	m.u.w.mode = mode;
	return m;
}

int peer_write(struct peer *p, uint64_t id, uint64_t count, uint8_t mode,
	       uint64_t seed, uint64_t off, struct iuc_pipe_write *out)
{
	struct peer_msg m = peer_msg_write(id, count, mode, seed, off);
	struct peer_reply r;
	int ret = peer_call(p, &m, &r);

	if (out)
		*out = r.u.w;
	return ret;
}

struct peer_msg peer_msg_read(uint64_t id, uint32_t count, uint8_t mode,
			      uint64_t seed, uint64_t off, uint64_t bufsize)
{
	struct peer_msg m = peer_msg(PEER_READ, seed, off);

	m.a[2] = bufsize;
	m.u.r.id = id;
	m.u.r.count = count;
	m.u.r.mode = mode;
	return m;
}

int peer_read(struct peer *p, uint64_t id, uint32_t count, uint8_t mode,
	      uint64_t seed, uint64_t off, uint64_t bufsize,
	      struct iuc_pipe_read *out, uint64_t *bad)
{
	struct peer_msg m = peer_msg_read(id, count, mode, seed, off, bufsize);
	struct peer_reply r;
	int ret = peer_call(p, &m, &r);

	if (out)
		*out = r.u.r;
	if (bad)
		*bad = ret == PEER_BROKEN ? 0 : r.v[0];
	return ret;
}

int peer_info(struct peer *p, uint64_t id, struct iuc_pipe_info *out)
{
	struct peer_msg m = peer_msg(PEER_INFO, 0, 0);
	struct peer_reply r;
	int ret;

	m.u.info.id = id;
	ret = peer_call(p, &m, &r);
	if (out)
		*out = r.u.info;
	return ret;
}

struct peer_msg peer_msg_stream(uint32_t op, uint64_t id, const struct stream *st)
{
	struct peer_msg m = peer_msg(op, id, 0);

	m.st = *st;
	return m;
}

struct peer_msg peer_msg_verify(uint64_t id, unsigned int nw, uint32_t per)
{
	struct peer_msg m = peer_msg(PEER_MSG_VERIFY, id, nw);

	m.a[2] = per;
	return m;
}

int peer_pipe_call(struct peer *p, uint64_t sc, uint64_t wcount, uint64_t wseed,
		   uint64_t rc, uint32_t rcount, uint64_t rseed, uint64_t bufsize,
		   struct iuc_pipe_call *out, uint64_t *bad)
{
	struct peer_msg m = peer_msg(PEER_PIPE_CALL, wseed, rseed);
	struct peer_reply r;
	int ret;

	m.a[2] = bufsize;
	m.u.call.sc = sc;
	m.u.call.wcount = wcount;
	m.u.call.rc = rc;
	m.u.call.rcount = rcount;
	ret = peer_call(p, &m, &r);
	if (out)
		*out = r.u.call;
	if (bad)
		*bad = ret == PEER_BROKEN ? 0 : r.v[0];
	return ret;
}

struct peer_msg peer_msg_call_echo(uint64_t rc, uint64_t sc, uint32_t n, uint32_t rcount)
{
	struct peer_msg m = peer_msg(PEER_CALL_ECHO, rc, sc);

	m.a[2] = n;
	m.a[3] = rcount;
	return m;
}
