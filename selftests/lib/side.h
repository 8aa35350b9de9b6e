/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sides: one pipe scenario, written once, run in either direction.
 *
 * A side is one of the two processes at the ends of a pipe: the test
 * process itself (its fd of /dev/iuc) or a peer.  The calls below run on
 * whichever it is, with the same arguments and results as the call
 * wrappers (calls.h) and the peer commands (peer.h), so that one test body
 * checks "the test closes, the peer is told" and "the peer closes, the test
 * is told", or "the test holds the SC" and "the peer holds it", alike.
 */
#ifndef IUC_LIB_SIDE_H
#define IUC_LIB_SIDE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/iuc.h>

#include "peer.h"

#ifdef __cplusplus
extern "C" {
#endif

struct side {
	struct peer *p;		/* the peer, or NULL: the test process */
	int fd;			/* the test's fd of /dev/iuc when @p is NULL */
};

static inline struct side side_test(int fd)
{
	return (struct side){ .p = NULL, .fd = fd };
}

static inline struct side side_peer(struct peer *p)
{
	return (struct side){ .p = p, .fd = -1 };
}

pid_t side_pid(struct side s);
/* OPEN_PIPE with @a; @a->error, id and peer_id are results. */
int side_open_pipe(struct side s, struct iuc_open_pipe *a);
/* SEND_PIPE; @out may be NULL. */
int side_send_pipe(struct side s, uint64_t id, uint64_t pid, uint8_t notify,
		   struct iuc_send_pipe *out);
int side_close_pipe(struct side s, uint64_t id, uint32_t *err);
/* PIPE_INFO; @out may be NULL. */
int side_info(struct side s, uint64_t id, struct iuc_pipe_info *out);
/* Status byte of @id, or -errno. */
int side_status(struct side s, uint64_t id);
/* iuc_pipe_wait_status() of either side: true once (status & @mask) == @want. */
bool side_wait_status(struct side s, uint64_t id, uint8_t mask, uint8_t want);
/* Write bytes [@off, +@count) of pattern @seed to SC @id; @out may be NULL. */
int side_write(struct side s, uint64_t id, uint64_t count, uint8_t mode,
	       uint64_t seed, uint64_t off, struct iuc_pipe_write *out);
/*
 * Read RC @id into a buffer of max(@count, @bufsize) bytes; *@bad (may be
 * NULL): the first byte read that is not pattern @seed from @off, or
 * PAT_NO_BAD.  @out may be NULL.
 */
int side_read(struct side s, uint64_t id, uint32_t count, uint8_t mode,
	      uint64_t seed, uint64_t off, uint64_t bufsize,
	      struct iuc_pipe_read *out, uint64_t *bad);
/* Wait up to @ms for one signal record and read it. */
int side_read_sig(struct side s, struct iuc_signal *sig, int ms);
/* Is a record readable now?  1, 0 or an error. */
int side_sig_pending(struct side s);

#ifdef __cplusplus
}
#endif

#endif /* IUC_LIB_SIDE_H */
