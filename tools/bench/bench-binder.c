// SPDX-License-Identifier: GPL-2.0
/*
 * Binder as a method of the round trip (bench-rtt.c) and stream
 * (bench-stream.c) benchmarks: the calls of the Binder driver that they
 * use, written from the UAPI <linux/android/binder.h>.  No libbinder: raw
 * BINDER_WRITE_READ, the way servicemanager talks to the driver.
 *
 * The guest loads Debian's binder_linux module (tools/bench/bench.sh), which
 * registers the misc device /dev/binder.  A helper process is the context
 * manager (BINDER_SET_CONTEXT_MGR) and loops in BINDER_WRITE_READ; the
 * benchmark sends it transactions to handle 0:
 *
 *  - round trip: one BINDER_WRITE_READ writes [BC_FREE_BUFFER of the last
 *    reply] BC_TRANSACTION and reads until BR_REPLY.  The server writes
 *    BC_REPLY (echoing the received bytes from its mapping) and
 *    BC_FREE_BUFFER in the BINDER_WRITE_READ that also reads; the driver
 *    ends that call with BR_TRANSACTION_COMPLETE, so the server needs a
 *    second one to wait for the next transaction (as libbinder's does).
 *  - one-way bulk: TF_ONE_WAY transactions.  Binder has no back-pressure
 *    for them: when the receiver's async space (half its mapping) is full
 *    the transaction fails (BR_FAILED_REPLY).  So the sender keeps at most
 *    a window of unconsumed transactions, counted in shared memory: the
 *    server adds one for each buffer it has freed, and wakes the sender
 *    with a futex when it waits.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/android/binder.h>
#include <linux/futex.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

#define BINDER_DEV	"/dev/binder"

/* ---- availability --------------------------------------------------------- */

static char why_absent[128];
static bool probed;

const char *binder_unavailable(void)
{
	struct binder_version v = { 0 };
	int fd;

	if (probed)
		return why_absent[0] ? why_absent : NULL;
	probed = true;
	fd = open(BINDER_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why_absent, sizeof(why_absent),
			 "%s: %s (binder_linux not loaded?)", BINDER_DEV, strerror(errno));
	} else if (ioctl(fd, BINDER_VERSION, &v) ||
		   v.protocol_version != BINDER_CURRENT_PROTOCOL_VERSION) {
		snprintf(why_absent, sizeof(why_absent),
			 "BINDER_VERSION: protocol %d, want %d", v.protocol_version,
			 BINDER_CURRENT_PROTOCOL_VERSION);
	}
	if (fd >= 0)
		close(fd);
	if (why_absent[0])
		msg("binder rows skipped: %s", why_absent);
	return why_absent[0] ? why_absent : NULL;
}

/* ---- an end: the fd, its mapping, the commands to write next ------------- */

void binder_open(struct binder_end *b, size_t map_len)
{
	memset(b, 0, sizeof(*b));
	b->fd = open(BINDER_DEV, O_RDWR | O_CLOEXEC);
	if (b->fd < 0)
		die("open %s", BINDER_DEV);
	/* the driver maps its buffers read-only; it refuses PROT_WRITE */
	b->map = mmap(NULL, map_len, PROT_READ, MAP_PRIVATE, b->fd, 0);
	if (b->map == MAP_FAILED)
		die("mmap %s %zu", BINDER_DEV, map_len);
	b->map_len = map_len;
}

/* Queue command @cmd with @len bytes of @arg for the next BINDER_WRITE_READ. */
static void queue(struct binder_end *b, uint32_t cmd, const void *arg, size_t len)
{
	if (b->wlen + sizeof(cmd) + len > sizeof(b->wbuf))
		die("binder write buffer full");
	memcpy(b->wbuf + b->wlen, &cmd, sizeof(cmd));
	memcpy(b->wbuf + b->wlen + sizeof(cmd), arg, len);
	b->wlen += sizeof(cmd) + len;
}

/*
 * One BINDER_WRITE_READ: the queued commands, then (@read) what the driver
 * has for us into b->rbuf (b->rlen bytes).  All queued commands are
 * consumed on success.
 */
static void write_read(struct binder_end *b, bool read)
{
	struct binder_write_read bwr = {
		.write_size = b->wlen,
		.write_buffer = (binder_uintptr_t)(uintptr_t)b->wbuf,
		.read_size = read ? sizeof(b->rbuf) : 0,
		.read_buffer = (binder_uintptr_t)(uintptr_t)b->rbuf,
	};

	while (ioctl(b->fd, BINDER_WRITE_READ, &bwr) < 0) {
		if (errno != EINTR)
			die("BINDER_WRITE_READ");
		/* the driver tells how much it took before the signal */
	}
	if (bwr.write_consumed != b->wlen)
		die("BINDER_WRITE_READ took %llu of %zu bytes",
		    (unsigned long long)bwr.write_consumed, b->wlen);
	b->wlen = 0;
	b->rlen = bwr.read_consumed;
}

/*
 * The next return command of b->rbuf at *@pos (advanced past it and its
 * argument, which goes to @arg if the command has one): 0 at the end.
 */
static uint32_t next_return(struct binder_end *b, size_t *pos, void *arg, size_t arg_len)
{
	uint32_t cmd;
	size_t size;

	if (*pos + sizeof(cmd) > b->rlen)
		return 0;
	memcpy(&cmd, b->rbuf + *pos, sizeof(cmd));
	size = _IOC_SIZE(cmd);
	if (*pos + sizeof(cmd) + size > b->rlen || size > arg_len)
		die("binder return 0x%x truncated", cmd);
	memcpy(arg, b->rbuf + *pos + sizeof(cmd), size);
	*pos += sizeof(cmd) + size;
	return cmd;
}

/* ---- the server: context manager, echoing or consuming --------------------------- */

void binder_become_manager(struct binder_end *b)
{
	/*
	 * The previous benchmark's server may not be released yet: the
	 * driver releases a closed binder fd from a workqueue.  Until then
	 * the call fails with EBUSY (and the driver logs that it does).
	 */
	for (int i = 0; ioctl(b->fd, BINDER_SET_CONTEXT_MGR, 0) < 0; i++) {
		if (errno != EBUSY || i >= 250)
			die("BINDER_SET_CONTEXT_MGR");
		usleep(20000);
	}
	/* a thread that waits for the process's work must say so first */
	queue(b, BC_ENTER_LOOPER, NULL, 0);
	write_read(b, false);
}

/* Credit @w with one consumed one-way transaction; wake its waiting sender. */
static void credit(struct binder_window *w)
{
	__atomic_add_fetch(&w->consumed, 1, __ATOMIC_SEQ_CST);
	if (__atomic_exchange_n(&w->waiting, 0, __ATOMIC_SEQ_CST))
		syscall(SYS_futex, &w->consumed, FUTEX_WAKE, 1, NULL, NULL, 0);
}

void binder_serve(struct binder_end *b, uint64_t n, struct binder_window *w,
		  bool free_at_once)
{
	struct binder_transaction_data tr;
	uint64_t done = 0;
	unsigned int credits = 0;
	bool replied = false;

	while (done < n) {
		size_t pos = 0;
		uint32_t cmd;

		write_read(b, true);
		replied = false;
		/* the buffers freed by that call's write half are consumed */
		for (; credits; credits--)
			credit(w);
		while ((cmd = next_return(b, &pos, &tr, sizeof(tr)))) {
			binder_uintptr_t buf;

			switch (cmd) {
			case BR_NOOP:
			case BR_TRANSACTION_COMPLETE:
				break;
			case BR_TRANSACTION:
				buf = tr.data.ptr.buffer;
				done++;
				if (tr.flags & TF_ONE_WAY) {
					queue(b, BC_FREE_BUFFER, &buf, sizeof(buf));
					credits++;
					if (free_at_once) {
						write_read(b, false);
						for (; credits; credits--)
							credit(w);
					}
					break;
				}
				/* echo from our mapping, then give the buffer back */
				tr.flags = 0;
				tr.offsets_size = 0;
				tr.data.ptr.offsets = 0;
				queue(b, BC_REPLY, &tr, sizeof(tr));
				queue(b, BC_FREE_BUFFER, &buf, sizeof(buf));
				replied = true;
				break;
			default:
				die("binder server: return 0x%x", cmd);
			}
		}
	}
	/*
	 * The last reply or free.  A reply's BR_TRANSACTION_COMPLETE is
	 * read at once (it is there), not left for the driver to drop when
	 * the fd is closed.
	 */
	if (b->wlen) {
		size_t pos = 0;

		write_read(b, replied);
		while (next_return(b, &pos, &tr, sizeof(tr)))
			;
	}
	for (; credits; credits--)
		credit(w);
}

/* ---- the client: transactions to handle 0 ------------------------------------------ */

static void transaction(struct binder_end *b, const void *buf, size_t len, uint32_t flags)
{
	struct binder_transaction_data tr = {
		.target.handle = 0,
		.flags = flags,
		.data_size = len,
		.data.ptr.buffer = (binder_uintptr_t)(uintptr_t)buf,
	};

	queue(b, BC_TRANSACTION, &tr, sizeof(tr));
}

void binder_call(struct binder_end *b, const void *buf, size_t len)
{
	struct binder_transaction_data tr;

	transaction(b, buf, len, 0);
	for (;;) {
		size_t pos = 0;
		uint32_t cmd;

		write_read(b, true);
		while ((cmd = next_return(b, &pos, &tr, sizeof(tr)))) {
			binder_uintptr_t reply;

			switch (cmd) {
			case BR_NOOP:
			case BR_TRANSACTION_COMPLETE:
				break;
			case BR_REPLY:
				if (tr.data_size != len)
					die("binder reply of %llu bytes, want %zu",
					    (unsigned long long)tr.data_size, len);
				/* freed with the next call's write */
				reply = tr.data.ptr.buffer;
				queue(b, BC_FREE_BUFFER, &reply, sizeof(reply));
				return;
			default:
				die("binder client: return 0x%x", cmd);
			}
		}
	}
}

void binder_send_oneway(struct binder_end *b, const void *buf, size_t len,
			struct binder_window *w, uint32_t window)
{
	struct binder_transaction_data tr;
	size_t pos = 0;
	uint32_t c, cmd;

	while (w->sent - (c = __atomic_load_n(&w->consumed, __ATOMIC_SEQ_CST)) >= window) {
		__atomic_store_n(&w->waiting, 1, __ATOMIC_SEQ_CST);
		c = __atomic_load_n(&w->consumed, __ATOMIC_SEQ_CST);
		if (w->sent - c >= window)
			syscall(SYS_futex, &w->consumed, FUTEX_WAIT, c, NULL, NULL, 0);
	}
	transaction(b, buf, len, TF_ONE_WAY);
	/*
	 * The read does not wait: the driver queued BR_TRANSACTION_COMPLETE
	 * for us as it took the transaction (collected, as libbinder does, so
	 * that they do not pile up in our thread's queue).
	 */
	write_read(b, true);
	while ((cmd = next_return(b, &pos, &tr, sizeof(tr))))
		if (cmd != BR_NOOP && cmd != BR_TRANSACTION_COMPLETE)
			die("binder one-way: return 0x%x", cmd);
	w->sent++;
}

struct binder_window *binder_window_new(void)
{
	struct binder_window *w = mmap(NULL, sizeof(*w), PROT_READ | PROT_WRITE,
				       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (w == MAP_FAILED)
		die("mmap window");
	return w;
}

struct binder_end *binder_client(void)
{
	static struct binder_end client;

	if (!client.map)
		binder_open(&client, BINDER_CLIENT_MAP);
	return &client;
}
