// SPDX-License-Identifier: GPL-2.0
/*
 * Sides: the test process or a peer.  See side.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "calls.h"
#include "side.h"
#include "stream.h"
#include "util.h"

pid_t side_pid(struct side s)
{
	return s.p ? s.p->pid : getpid();
}

int side_open_pipe(struct side s, struct iuc_open_pipe *a)
{
	return s.p ? peer_open_pipe(s.p, a) : iuc_open_pipe(s.fd, a);
}

int side_send_pipe(struct side s, uint64_t id, uint64_t pid, uint8_t notify,
		   struct iuc_send_pipe *out)
{
	struct iuc_send_pipe local;

	if (s.p)
		return peer_send_pipe(s.p, id, pid, notify, out);
	return iuc_send_pipe(s.fd, id, pid, notify, out ? out : &local);
}

int side_close_pipe(struct side s, uint64_t id, uint32_t *err)
{
	return s.p ? peer_close_pipe(s.p, id, err) : iuc_close_pipe(s.fd, id, err);
}

int side_info(struct side s, uint64_t id, struct iuc_pipe_info *out)
{
	return s.p ? peer_info(s.p, id, out) : iuc_pipe_info(s.fd, id, out);
}

int side_status(struct side s, uint64_t id)
{
	struct iuc_pipe_info i;
	int ret = side_info(s, id, &i);

	return ret ? ret : i.status;
}

struct side_status_wait {
	struct side s;
	uint64_t id;
	uint8_t mask, want;
};

static int side_status_reached(void *arg)
{
	struct side_status_wait *w = arg;
	int st = side_status(w->s, w->id);

	return st < 0 ? -1 : (st & w->mask) == w->want;
}

bool side_wait_status(struct side s, uint64_t id, uint8_t mask, uint8_t want)
{
	struct side_status_wait w = { .s = s, .id = id, .mask = mask, .want = want };

	return poll_until(side_status_reached, &w) > 0;
}

int side_write(struct side s, uint64_t id, uint64_t count, uint8_t mode,
	       uint64_t seed, uint64_t off, struct iuc_pipe_write *out)
{
	struct iuc_pipe_write local;
	char *b;
	int ret;

	if (s.p)
		return peer_write(s.p, id, count, mode, seed, off, out);
	b = malloc(count ? count : 1);
	if (!b)
		return -ENOMEM;
	pat_fill(b, count, seed, off);
	ret = iuc_pipe_write(s.fd, id, b, count, mode, out ? out : &local);
	free(b);
	return ret;
}

int side_read(struct side s, uint64_t id, uint32_t count, uint8_t mode,
	      uint64_t seed, uint64_t off, uint64_t bufsize,
	      struct iuc_pipe_read *out, uint64_t *bad)
{
	size_t n = count > bufsize ? count : bufsize;
	struct iuc_pipe_read local, *r = out ? out : &local;
	char *b;
	int ret;

	if (s.p)
		return peer_read(s.p, id, count, mode, seed, off, bufsize, out, bad);
	b = malloc(n ? n : 1);
	if (!b)
		return -ENOMEM;
	ret = iuc_pipe_read(s.fd, id, b, count, mode, r);
	if (bad)
		*bad = r->transferred <= n ?
		       pat_check(b, r->transferred, seed, off) : 0;
	free(b);
	return ret;
}

int side_read_sig(struct side s, struct iuc_signal *sig, int ms)
{
	return s.p ? peer_read_sig(s.p, sig, ms) : iuc_read_sig(s.fd, sig, ms);
}

int side_sig_pending(struct side s)
{
	return s.p ? peer_sig_pending(s.p) : iuc_sig_pending(s.fd);
}

/* The test process's side of side_wait_status(): see util.h. */
bool iuc_pipe_wait_status(int fd, uint64_t id, uint8_t mask, uint8_t want)
{
	return side_wait_status(side_test(fd), id, mask, want);
}
