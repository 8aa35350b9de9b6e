// SPDX-License-Identifier: GPL-2.0
/*
 * The IUC call library: see calls.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/io_uring.h>

#include "calls.h"

int iuc_open(void)
{
	return open(IUC_DEV, O_RDWR | O_CLOEXEC);
}

int iuc_ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

/*
 * The calls whose argument is an @error field followed by one value (a
 * signal code, a pipe id or a segment id): each struct starts with __u32
 * error, and the value is the field the caller names.
 */
#define IUC_SIMPLE_CALL(type, ioc, field, val, err)			\
	({								\
		struct type a_;						\
		int ret_;						\
									\
		memset(&a_, 0, sizeof(a_));				\
		a_.error = ERR_SENTINEL;				\
		a_.field = (val);					\
		ret_ = iuc_ioctl(fd, ioc, &a_);				\
		if (err)						\
			*(err) = a_.error;				\
		ret_;							\
	})

int iuc_handle_signal(int fd, unsigned int code, uint32_t rt_signal,
		      uint32_t *err)
{
	struct iuc_handle_signal a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.error = ERR_SENTINEL;
	a.code = code;
	a.rt_signal = rt_signal;
	ret = iuc_ioctl(fd, IUC_IOC_HANDLE_SIGNAL, &a);
	if (err)
		*err = a.error;
	return ret;
}

int iuc_unhandle_signal(int fd, unsigned int code, uint32_t *err)
{
	return IUC_SIMPLE_CALL(iuc_unhandle_signal, IUC_IOC_UNHANDLE_SIGNAL,
			       code, code, err);
}

int iuc_is_signal_handled(int fd, unsigned int code, int *handled,
			  uint32_t *rt_signal, uint32_t *err)
{
	struct iuc_is_signal_handled a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.error = ERR_SENTINEL;
	a.code = code;
	ret = iuc_ioctl(fd, IUC_IOC_IS_SIGNAL_HANDLED, &a);
	if (err)
		*err = a.error;
	if (!ret) {
		if (handled)
			*handled = a.handled;
		if (rt_signal)
			*rt_signal = a.rt_signal;
	}
	return ret;
}

int iuc_ready(int fd, uint32_t *err)
{
	struct iuc_ready a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.error = ERR_SENTINEL;
	ret = iuc_ioctl(fd, IUC_IOC_READY, &a);
	if (err)
		*err = a.error;
	return ret;
}

int iuc_ctx(const uint8_t *codes, size_t ncodes, bool ready)
{
	int ret = 0, fd = iuc_open();

	if (fd < 0)
		return -errno;
	for (size_t i = 0; i < ncodes && !ret; i++)
		ret = iuc_handle_signal(fd, codes[i], 0, NULL);
	if (!ret && ready)
		ret = iuc_ready(fd, NULL);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

int iuc_open_receiver(uint32_t rt_recv, uint32_t rt_closed)
{
	int fd = iuc_open();

	if (fd < 0)
		return -errno;
	if (iuc_handle_signal(fd, IUC_SIG_RECV_PIPE, rt_recv, NULL) ||
	    iuc_handle_signal(fd, IUC_SIG_PIPE_CLOSED, rt_closed, NULL)) {
		close(fd);
		return -EIO;
	}
	return fd;
}

int iuc_pipe_ctx(void)
{
	static const uint8_t codes[] = { IUC_SIG_RECV_PIPE, IUC_SIG_PIPE_CLOSED };

	return iuc_ctx(codes, 2, true);
}

int iuc_shm_ctx(void)
{
	static const uint8_t codes[] = {
		IUC_SIG_RECV_SHARED_MEM, IUC_SIG_UNSHARED_MEM,
	};

	return iuc_ctx(codes, 2, true);
}

int iuc_poll(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int ret;

	do {
		ret = poll(&p, 1, timeout_ms);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -errno;
	return ret ? p.revents : 0;
}

int iuc_read_sig(int fd, struct iuc_signal *s, int timeout_ms)
{
	int rev = iuc_poll(fd, POLLIN, timeout_ms);
	ssize_t n;

	if (rev < 0)
		return rev;
	if (!(rev & POLLIN))
		return rev ? -EIO : -ETIMEDOUT;
	memset(s, 0x5A, sizeof(*s));
	n = read(fd, s, sizeof(*s));
	if (n < 0)
		return -errno;
	return n == (ssize_t)sizeof(*s) ? 0 : -EIO;
}

int iuc_sig_pending(int fd)
{
	int rev = iuc_poll(fd, POLLIN, 0);

	return rev < 0 ? rev : !!(rev & POLLIN);
}

struct iuc_open_pipe iuc_pipe_args(pid_t pid, uint16_t command)
{
	struct iuc_open_pipe a;

	memset(&a, 0, sizeof(a));
	a.target_pid = (uint64_t)pid;
	a.command = command;
	a.type = IUC_PIPE_TYPE_CALLER_SENDS;
	a.mode = IUC_PIPE_MODE_RAW;
	a.notify = IUC_NOTIFY;
	return a;
}

int iuc_open_pipe(int fd, struct iuc_open_pipe *a)
{
	a->error = ERR_SENTINEL;
	a->id = 0;
	a->peer_id = 0;
	return iuc_ioctl(fd, IUC_IOC_OPEN_PIPE, a);
}

int iuc_close_pipe(int fd, uint64_t id, uint32_t *err)
{
	return IUC_SIMPLE_CALL(iuc_close_pipe, IUC_IOC_CLOSE_PIPE, id, id, err);
}

int iuc_pipe_write(int fd, uint64_t id, const void *buf, uint64_t count,
		   uint8_t mode, struct iuc_pipe_write *w)
{
	memset(w, 0, sizeof(*w));
	w->error = ERR_SENTINEL;
	w->id = id;
	w->count = count;
	w->buf = (uint64_t)(uintptr_t)buf;
	w->mode = mode;
	return iuc_ioctl(fd, IUC_IOC_PIPE_WRITE, w);
}

int iuc_pipe_read(int fd, uint64_t id, void *buf, uint32_t count,
		  uint8_t mode, struct iuc_pipe_read *r)
{
	memset(r, 0, sizeof(*r));
	r->error = ERR_SENTINEL;
	r->id = id;
	r->count = count;
	r->buf = (uint64_t)(uintptr_t)buf;
	r->mode = mode;
	return iuc_ioctl(fd, IUC_IOC_PIPE_READ, r);
}

int iuc_pipe_call(int fd, uint64_t sc, const void *wbuf, uint64_t wcount,
		  uint64_t rc, void *rbuf, uint32_t rcount,
		  struct iuc_pipe_call *c)
{
	memset(c, 0, sizeof(*c));
	c->error = ERR_SENTINEL;
	c->sc = sc;
	c->wbuf = (uint64_t)(uintptr_t)wbuf;
	c->wcount = wcount;
	c->rc = rc;
	c->rbuf = (uint64_t)(uintptr_t)rbuf;
	c->rcount = rcount;
	return iuc_ioctl(fd, IUC_IOC_PIPE_CALL, c);
}

int iuc_pipe_info(int fd, uint64_t id, struct iuc_pipe_info *i)
{
	struct iuc_pipe_info local;

	if (!i)
		i = &local;
	memset(i, 0, sizeof(*i));
	i->error = ERR_SENTINEL;
	i->id = id;
	return iuc_ioctl(fd, IUC_IOC_PIPE_INFO, i);
}

int iuc_send_pipe(int fd, uint64_t id, uint64_t pid, uint8_t notify,
		  struct iuc_send_pipe *s)
{
	memset(s, 0, sizeof(*s));
	s->error = ERR_SENTINEL;
	s->id = id;
	s->target_pid = pid;
	s->notify = notify;
	return iuc_ioctl(fd, IUC_IOC_SEND_PIPE, s);
}

int iuc_pipe_status(int fd, uint64_t id)
{
	struct iuc_pipe_info i;
	int ret = iuc_pipe_info(fd, id, &i);

	return ret ? ret : i.status;
}

uint64_t iuc_pipe_room(int fd, uint64_t id)
{
	struct iuc_pipe_info i;
	int ret = iuc_pipe_info(fd, id, &i);

	return ret ? (uint64_t)(int64_t)ret : i.room;
}

uint64_t iuc_pipe_cap(unsigned int multiplier)
{
	return (uint64_t)(multiplier ? multiplier : 1) * IUC_PIPE_UNIT;
}

struct iuc_share_mem iuc_share_args(pid_t target, const void *addr,
				    uint64_t len, uint8_t mode,
				    uint8_t access, uint8_t notify)
{
	struct iuc_share_mem a;

	memset(&a, 0, sizeof(a));
	a.target_pid = (uint64_t)target;
	a.addr = (uint64_t)(uintptr_t)addr;
	a.length = len;
	a.mode = mode;
	a.access = access;
	a.notify = notify;
	return a;
}

int iuc_share_mem(int fd, struct iuc_share_mem *a)
{
	a->error = ERR_SENTINEL;
	return iuc_ioctl(fd, IUC_IOC_SHARE_MEM, a);
}

int iuc_unshare_mem(int fd, uint64_t seg, uint32_t *err)
{
	return IUC_SIMPLE_CALL(iuc_unshare_mem, IUC_IOC_UNSHARE_MEM, segment,
			       seg, err);
}

int iuc_mem_unmap(int fd, uint64_t seg, uint32_t *err)
{
	return IUC_SIMPLE_CALL(iuc_mem_unmap, IUC_IOC_MEM_UNMAP, segment, seg,
			       err);
}

int iuc_map_arena(int fd, uint64_t len, uint64_t *addr, uint32_t *err)
{
	struct iuc_map_arena a = { .error = ERR_SENTINEL, .length = len,
				   .addr = ~0ULL };
	int ret = iuc_ioctl(fd, IUC_IOC_MAP_ARENA, &a);

	if (addr)
		*addr = a.addr;
	if (err)
		*err = a.error;
	return ret;
}

int iuc_mem_info(int fd, uint64_t seg, struct iuc_mem_sharing_info *out)
{
	memset(out, 0, sizeof(*out));
	out->error = ERR_SENTINEL;
	out->segment = seg;
	return iuc_ioctl(fd, IUC_IOC_MEM_SHARING_INFO, out);
}

void *iuc_mmap_segment(int fd, uint64_t seg, size_t len, int prot, int flags)
{
	return mmap(NULL, len, prot, flags, fd, (off_t)(seg * PAGE));
}

int iuc_register_service(int fd, uint8_t scope, uint32_t *err)
{
	return IUC_SIMPLE_CALL(iuc_register_service, IUC_IOC_REGISTER_SERVICE,
			       scope, scope, err);
}

int iuc_connect_service(int fd, uint32_t anid, uint16_t command,
			uint8_t flexible, struct iuc_connect_service *c)
{
	memset(c, 0, sizeof(*c));
	c->error = ERR_SENTINEL;
	c->anid = anid;
	c->command = command;
	c->flexible = flexible;
	return iuc_ioctl(fd, IUC_IOC_CONNECT_SERVICE, c);
}

int iuc_end_service_conn(int fd, uint64_t conn_id, uint32_t *err)
{
	return IUC_SIMPLE_CALL(iuc_end_service_conn, IUC_IOC_END_SERVICE_CONN,
			       conn_id, conn_id, err);
}

int iuc_accept_service_conn(int fd, uint64_t request_id,
			    struct iuc_accept_service_conn *a)
{
	memset(a, 0, sizeof(*a));
	a->error = ERR_SENTINEL;
	a->request_id = request_id;
	return iuc_ioctl(fd, IUC_IOC_ACCEPT_SERVICE_CONN, a);
}

int iuc_reject_service_conn(int fd, uint64_t request_id, uint32_t *err)
{
	return IUC_SIMPLE_CALL(iuc_reject_service_conn,
			       IUC_IOC_REJECT_SERVICE_CONN, request_id,
			       request_id, err);
}

void iuc_uring_prep(struct io_uring_sqe *sqe, int fd, unsigned int cmd, void *args)
{
	__u64 addr = (uintptr_t)args;

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = fd;
	sqe->cmd_op = cmd;
	memcpy(sqe->cmd, &addr, sizeof(addr));
}
