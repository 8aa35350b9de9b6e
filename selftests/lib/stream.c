// SPDX-License-Identifier: GPL-2.0
/*
 * Data that checks itself: see stream.h.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calls.h"
#include "stream.h"

uint64_t pat_mix(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ull;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	return x ^ (x >> 31);
}

uint8_t pat_byte(uint64_t seed, uint64_t off)
{
	uint64_t w = pat_mix(pat_mix(seed) ^ (off >> 3));

	return (uint8_t)(w >> (8 * (off & 7)));
}

void pat_fill(void *buf, size_t len, uint64_t seed, uint64_t off)
{
	unsigned char *p = buf;
	uint64_t s = pat_mix(seed);

	while (len && (off & 7)) {
		*p++ = pat_byte(seed, off++);
		len--;
	}
	while (len >= 8) {
		uint64_t w = pat_mix(s ^ (off >> 3));

		memcpy(p, &w, 8);	/* little endian, as pat_byte() */
		p += 8;
		off += 8;
		len -= 8;
	}
	while (len) {
		*p++ = pat_byte(seed, off++);
		len--;
	}
}

uint64_t pat_check(const void *buf, size_t len, uint64_t seed, uint64_t off)
{
	const unsigned char *p = buf;
	unsigned char exp[4096];
	size_t done = 0;

	while (done < len) {
		size_t n = len - done < sizeof(exp) ? len - done : sizeof(exp);

		pat_fill(exp, n, seed, off + done);
		if (memcmp(exp, p + done, n)) {
			for (size_t i = 0; i < n; i++)
				if (exp[i] != p[done + i])
					return done + i;
		}
		done += n;
	}
	return PAT_NO_BAD;
}

void pat_sum_add(struct pat_sum *s, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t a = s->a, b = s->b;

	for (size_t i = 0; i < len; i++) {
		a += p[i];
		b += a;
	}
	s->a = a;
	s->b = b;
}

uint64_t pat_rand(uint64_t *state)
{
	uint64_t x = *state ? *state : 0x2545F4914F6CDD1Dull;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1Dull;
}

void stream_init(struct stream *s, uint64_t total, uint64_t seed, uint64_t cap,
		 uint8_t mode, uint32_t cmin, uint32_t cmax)
{
	memset(s, 0, sizeof(*s));
	s->total = total;
	s->seed = seed;
	s->cap = cap;
	s->mode = mode;
	s->cmin = cmin;
	s->cmax = cmax;
	s->prng = seed * 2 + 1;
	s->bad = PAT_NO_BAD;
}

static uint64_t stream_chunk(struct stream *s)
{
	uint64_t left = s->total - s->done;
	uint64_t n = s->cmin + pat_rand(&s->prng) % (s->cmax - s->cmin + 1);

	return n < left ? n : left;
}

static int stream_fail(struct stream *s, int ret, uint32_t error, const char *why)
{
	s->ret = ret;
	s->error = error;
	snprintf(s->why, sizeof(s->why), "%s at %llu", why,
		 (unsigned long long)s->done);
	return ret;
}

/*
 * A TRY call that found the pipe locked or without enough room/data: moved
 * nothing, to be retried.  Counted in @s.
 */
static bool stream_try_again(struct stream *s, int ret, uint32_t error,
			     uint32_t no_io, uint64_t transferred, uint64_t result)
{
	if (ret != -EAGAIN || s->mode != IUC_IO_TRY || error != no_io ||
	    transferred || (result != IUC_TRY_LOCKED && result != IUC_TRY_NOT_ENOUGH))
		return false;
	s->retries++;
	s->locked += result == IUC_TRY_LOCKED;
	sched_yield();
	return true;
}

/* One write call of the stream: 1 done, 0 retry, <0 the failure. */
static int stream_write_once(int fd, uint64_t id, struct stream *s,
			     const void *buf, uint64_t want,
			     struct iuc_pipe_write *w)
{
	int ret = iuc_pipe_write(fd, id, buf, want, s->mode, w);

	if (stream_try_again(s, ret, w->error, IUC_E_WRITE_NO_ROOM,
			     w->transferred, w->result))
		return 0;
	if (ret)
		return stream_fail(s, ret, w->error, "write failed");
	if (w->error != IUC_E_NONE)
		return stream_fail(s, -EPROTO, w->error, "write: error not NONE");
	if (s->mode == IUC_IO_PARTIAL) {
		if (w->result != w->transferred || w->transferred > want)
			return stream_fail(s, -EPROTO, 0, "partial write result");
		if (!w->transferred) {
			s->retries++;
			sched_yield();
			return 0;
		}
	} else if (w->transferred != want) {
		return stream_fail(s, -EPROTO, 0, "write transferred != count");
	} else if (s->mode == IUC_IO_BLOCK && w->result > s->cap) {
		return stream_fail(s, -EPROTO, 0, "block write result > capacity");
	}
	return 1;
}

int stream_write(int fd, uint64_t id, struct stream *s, const int *stop)
{
	size_t wsize = (size_t)s->cmax * 2;
	unsigned char *win = malloc(wsize);
	uint64_t wbase = 0, wlen = 0;

	if (!win)
		return stream_fail(s, -ENOMEM, 0, "malloc");
	while (s->done < s->total) {
		uint64_t want = stream_chunk(s);
		struct iuc_pipe_write w;
		int ret;

		if (stop && __atomic_load_n(stop, __ATOMIC_RELAXED))
			break;
		if (s->done < wbase || s->done + want > wbase + wlen) {
			wbase = s->done;
			wlen = wsize;
			pat_fill(win, wlen, s->seed, wbase);
		}
		do {
			ret = stream_write_once(fd, id, s, win + (s->done - wbase),
						want, &w);
		} while (!ret);
		if (ret < 0)
			break;
		pat_sum_add(&s->sum, win + (s->done - wbase), w.transferred);
		s->done += w.transferred;
		s->calls++;
	}
	free(win);
	return s->ret;
}

/* One read call of the stream: 1 done, 0 retry, <0 the failure. */
static int stream_read_once(int fd, uint64_t id, struct stream *s, void *buf,
			    uint64_t want, struct iuc_pipe_read *r)
{
	int ret = iuc_pipe_read(fd, id, buf, (uint32_t)want, s->mode, r);

	if (stream_try_again(s, ret, r->error, IUC_E_READ_NO_DATA,
			     r->transferred, r->result))
		return 0;
	if (ret)
		return stream_fail(s, ret, r->error, "read failed");
	if (r->error != IUC_E_NONE)
		return stream_fail(s, -EPROTO, r->error, "read: error not NONE");
	if (r->transferred > (want ? want : s->cap))
		return stream_fail(s, -EPROTO, 0, "read more than asked");
	if (s->mode != IUC_IO_BLOCK && r->result != r->transferred)
		return stream_fail(s, -EPROTO, 0, "try/partial read result != bytes");
	if (s->mode == IUC_IO_BLOCK && r->result > s->cap)
		return stream_fail(s, -EPROTO, 0, "block read result > capacity");
	if (want && s->mode != IUC_IO_PARTIAL && r->transferred != want)
		return stream_fail(s, -EPROTO, 0, "block/try read short");
	if (!r->transferred) {
		if (s->mode != IUC_IO_PARTIAL)
			return stream_fail(s, -EPROTO, 0, "read moved nothing");
		s->retries++;
		sched_yield();
		return 0;
	}
	return 1;
}

int stream_read(int fd, uint64_t id, struct stream *s)
{
	size_t bsize = s->cmax > s->cap ? s->cmax : s->cap;
	unsigned char *buf = malloc(bsize);

	if (!buf)
		return stream_fail(s, -ENOMEM, 0, "malloc");
	while (s->done < s->total) {
		uint64_t want = stream_chunk(s);
		struct iuc_pipe_read r;
		uint64_t bad;
		int ret;

		if (s->zero_every && s->calls % s->zero_every == s->zero_every - 1 &&
		    s->total - s->done >= s->cap)
			want = 0;	/* as much as is pending */
		do {
			ret = stream_read_once(fd, id, s, buf, want, &r);
		} while (!ret);
		if (ret < 0)
			break;
		bad = s->nocheck ? PAT_NO_BAD :
			pat_check(buf, r.transferred, s->seed, s->done);
		if (bad != PAT_NO_BAD) {
			s->bad = s->done + bad;
			stream_fail(s, -EPROTO, 0, "wrong byte");
			break;
		}
		pat_sum_add(&s->sum, buf, r.transferred);
		s->done += r.transferred;
		s->calls++;
	}
	free(buf);
	return s->ret;
}

uint32_t msg_len(unsigned int writer, unsigned int nwriters, uint32_t seq)
{
	return (uint32_t)sizeof(struct msg_tag) + writer +
	       nwriters * ((seq * 7919u + writer * 104729u) % 1500u);
}

uint64_t msg_seed(unsigned int writer, uint32_t seq)
{
	return ((uint64_t)writer << 32) | seq;
}

void msg_fill(void *buf, unsigned int writer, unsigned int nwriters, uint32_t seq)
{
	struct msg_tag t = {
		.magic = MSG_TAG_MAGIC, .writer = (uint16_t)writer,
		.nwriters = (uint16_t)nwriters, .seq = seq,
		.len = msg_len(writer, nwriters, seq),
	};

	memcpy(buf, &t, sizeof(t));
	pat_fill((char *)buf + sizeof(t), t.len - sizeof(t),
		 msg_seed(writer, seq), 0);
}

/* What is wrong with one message read by msg_verify(), or NULL. */
static const char *msg_check_one(const unsigned char *buf,
				 const struct iuc_pipe_read *rd,
				 unsigned int nw, uint32_t *next)
{
	struct msg_tag t;

	if (rd->result != rd->transferred || rd->transferred < sizeof(t))
		return "result/transferred";
	memcpy(&t, buf, sizeof(t));
	if (t.magic != MSG_TAG_MAGIC || t.nwriters != nw || t.writer >= nw)
		return "bad tag";
	if (t.seq != next[t.writer])
		return "writer's messages out of order";
	if (t.len != rd->transferred || t.len != msg_len(t.writer, nw, t.seq))
		return "length";
	if (pat_check(buf + sizeof(t), t.len - sizeof(t),
		      msg_seed(t.writer, t.seq), 0) != PAT_NO_BAD)
		return "payload";
	next[t.writer]++;
	return NULL;
}

int msg_verify(int fd, uint64_t id, unsigned int nwriters, uint32_t per,
	       uint64_t *ok, uint64_t *bad, uint32_t *error, char *why)
{
	uint32_t next[64] = { 0 };
	unsigned char *buf = malloc(IUC_MESSAGE_MAX);
	uint64_t total = (uint64_t)nwriters * per;
	int ret = 0;

	*ok = 0;
	*bad = UINT64_MAX;
	if (!buf || nwriters > 64) {
		free(buf);
		return -EINVAL;
	}
	for (uint64_t i = 0; i < total; i++) {
		struct iuc_pipe_read rd;
		const char *what;

		ret = iuc_pipe_read(fd, id, buf, IUC_MESSAGE_MAX, IUC_IO_BLOCK, &rd);
		if (ret) {
			*error = rd.error;
			what = "read failed";
		} else {
			what = msg_check_one(buf, &rd, nwriters, next);
		}
		if (what) {
			if (!ret)
				ret = -EPROTO;
			*bad = i;
			snprintf(why, 64, "message %llu: %s",
				 (unsigned long long)i, what);
			break;
		}
		(*ok)++;
	}
	free(buf);
	return ret;
}
