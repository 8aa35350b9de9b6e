/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The IUC call library: one thin wrapper per call of /dev/iuc, shared by
 * the selftests and the benchmark (tools/bench).
 *
 * Every wrapper presets the @error field of its argument struct to
 * ERR_SENTINEL (a value the kernel never writes), so that a caller can tell
 * whether the kernel wrote the field, and returns 0 on success or -errno.
 * Wrappers that take a struct leave the whole struct, as the kernel left
 * it, to the caller.
 */
#ifndef IUC_LIB_CALLS_H
#define IUC_LIB_CALLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/iuc.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef IUC_DEV
#define IUC_DEV			"/dev/iuc"
#endif
/* Preset into @error before each call: the kernel never writes it. */
#define ERR_SENTINEL		0xA5A5A5A5u
#ifndef PAGE
#define PAGE			4096UL
#endif
#define SHM_ACCESS_RW		(IUC_ACCESS_READ | IUC_ACCESS_WRITE)

/* ---- context ------------------------------------------------------------ */

/* open(2) of /dev/iuc (O_CLOEXEC): the fd, or -1 with errno set. */
int iuc_open(void);
/* ioctl(2) as its result or -errno. */
int iuc_ioctl(int fd, unsigned long cmd, void *arg);
int iuc_handle_signal(int fd, unsigned int code, uint32_t rt_signal,
		      uint32_t *err);
int iuc_unhandle_signal(int fd, unsigned int code, uint32_t *err);
/* @handled and @rt_signal (either may be NULL) are written only on success. */
int iuc_is_signal_handled(int fd, unsigned int code, int *handled,
			  uint32_t *rt_signal, uint32_t *err);
int iuc_ready(int fd, uint32_t *err);

/*
 * A context of the caller that handles @codes (records only, no RT
 * signal) and, if @ready, is READY.  The fd, or -errno.
 */
int iuc_ctx(const uint8_t *codes, size_t ncodes, bool ready);
/* Handles RECV_PIPE and PIPE_CLOSED (RT signals @rt_recv, @rt_closed), not READY. */
int iuc_open_receiver(uint32_t rt_recv, uint32_t rt_closed);
/* Handles RECV_PIPE and PIPE_CLOSED (records), READY. */
int iuc_pipe_ctx(void);
/* Handles RECV_SHARED_MEM and UNSHARED_MEM (records), READY. */
int iuc_shm_ctx(void);

/* ---- signal records ------------------------------------------------------- */

/* poll(2) of one fd for @events: the revents, 0 on timeout, or -errno. */
int iuc_poll(int fd, short events, int timeout_ms);
/*
 * Wait up to @timeout_ms for a record and read exactly one.
 * 0, -ETIMEDOUT, -EIO for a short read, or -errno.
 */
int iuc_read_sig(int fd, struct iuc_signal *s, int timeout_ms);
/* Is a record readable now?  1, 0, or -errno. */
int iuc_sig_pending(int fd);

/* ---- pipes ---------------------------------------------------------------- */

/* Arguments of an OPEN_PIPE that notifies a raw pipe of type 0 to @pid. */
struct iuc_open_pipe iuc_pipe_args(pid_t pid, uint16_t command);
/* OPEN_PIPE with the caller's @a; @a->error, id and peer_id are results. */
int iuc_open_pipe(int fd, struct iuc_open_pipe *a);
int iuc_close_pipe(int fd, uint64_t id, uint32_t *err);
int iuc_pipe_write(int fd, uint64_t id, const void *buf, uint64_t count,
		   uint8_t mode, struct iuc_pipe_write *w);
int iuc_pipe_read(int fd, uint64_t id, void *buf, uint32_t count,
		  uint8_t mode, struct iuc_pipe_read *r);
/*
 * PIPE_CALL (extension 0x81): write @wcount bytes of @wbuf to @sc, then
 * read up to @rcount bytes from @rc into @rbuf, both blocking.
 */
int iuc_pipe_call(int fd, uint64_t sc, const void *wbuf, uint64_t wcount,
		  uint64_t rc, void *rbuf, uint32_t rcount,
		  struct iuc_pipe_call *c);
/* PIPE_INFO; @i may be NULL. */
int iuc_pipe_info(int fd, uint64_t id, struct iuc_pipe_info *i);
int iuc_send_pipe(int fd, uint64_t id, uint64_t pid, uint8_t notify,
		  struct iuc_send_pipe *s);
/* Status byte of @id, or -errno. */
int iuc_pipe_status(int fd, uint64_t id);
/* Room left in the pipe of @id, or (uint64_t)-errno. */
uint64_t iuc_pipe_room(int fd, uint64_t id);
/* Capacity of @multiplier units (0 counts as 1). */
uint64_t iuc_pipe_cap(unsigned int multiplier);

/* ---- shared memory ---------------------------------------------------------- */

/* Arguments of a SHARE_MEM of [@addr, +@len) to @target. */
struct iuc_share_mem iuc_share_args(pid_t target, const void *addr,
				    uint64_t len, uint8_t mode,
				    uint8_t access, uint8_t notify);
/* SHARE_MEM with @a; @a->error and @a->segment are the results. */
int iuc_share_mem(int fd, struct iuc_share_mem *a);
int iuc_unshare_mem(int fd, uint64_t seg, uint32_t *err);
int iuc_mem_unmap(int fd, uint64_t seg, uint32_t *err);
/* MEM_SHARING_INFO of @seg into @out (whose @error is the code). */
int iuc_mem_info(int fd, uint64_t seg, struct iuc_mem_sharing_info *out);
/* mmap(2) of segment @seg from the IUC fd @fd; the address or MAP_FAILED. */
void *iuc_mmap_segment(int fd, uint64_t seg, size_t len, int prot, int flags);
/* MAP_ARENA (IUC extension) of @len bytes; *@addr its address (0 if none). */
int iuc_map_arena(int fd, uint64_t len, uint64_t *addr, uint32_t *err);

/* ---- services ---------------------------------------------------------------- */

/* REGISTER_SERVICE (IUC extension) of the caller, IUC_SCOPE_* @scope. */
int iuc_register_service(int fd, uint8_t scope, uint32_t *err);
/*
 * CONNECT_SERVICE to the service of application @anid: it blocks until the
 * service answers (at most the answer delay).  @c: the struct after the
 * call (@error, conn_id, sc, rc).
 */
int iuc_connect_service(int fd, uint32_t anid, uint16_t command,
			uint8_t flexible, struct iuc_connect_service *c);
int iuc_end_service_conn(int fd, uint64_t conn_id, uint32_t *err);
/* ACCEPT_SERVICE_CONN: the calling thread becomes the client thread.  @a: rc, sc, is_client_thread. */
int iuc_accept_service_conn(int fd, uint64_t request_id,
			    struct iuc_accept_service_conn *a);
int iuc_reject_service_conn(int fd, uint64_t request_id, uint32_t *err);

/* ---- io_uring ------------------------------------------------------------- */

struct io_uring_sqe;
/*
 * Fill @sqe (all of it) as IUC call @cmd, an IUC_IOC_* command, on the IUC
 * fd @fd: IORING_OP_URING_CMD with cmd_op @cmd and the address of @args in
 * the command area's first 8 bytes, as the uapi header says.
 */
void iuc_uring_prep(struct io_uring_sqe *sqe, int fd, unsigned int cmd, void *args);

#ifdef __cplusplus
}
#endif

#endif /* IUC_LIB_CALLS_H */
