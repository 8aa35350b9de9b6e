// SPDX-License-Identifier: GPL-2.0
/*
 * IUC - inter-process uni-directional channels for Linux.
 *
 * The misc device /dev/iuc.  Opening it creates the IUC context of the
 * calling process; the calls of the specification are ioctls on that fd
 * (dispatched by the table below, the ioctl number being the call code),
 * and the signals the process receives are read(2) from it as fixed-size
 * records, poll(2)able, and raised as real-time signals.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fdtable.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/uaccess.h>

#include "iuc_internal.h"

#define CREATE_TRACE_POINTS
#include "iuc_trace.h"

/*
 * A receiver that never reads must not let its senders pin unbounded
 * kernel memory: each queued record costs about 100 bytes.  1024 records
 * absorb any realistic burst of pipe openings between two reads.
 */
unsigned int iuc_max_queued_signals = 1024;
module_param_named(max_queued_signals, iuc_max_queued_signals, uint, 0644);
MODULE_PARM_DESC(max_queued_signals,
		 "Signal records a process may have queued (closing signals excepted)");

/*
 * Each pipe end held costs a slot in the holder's identifier table and a
 * share of the pipe; the limit keeps one process (or its peers, which open
 * pipes *to* it) from exhausting kernel memory, as RLIMIT_NOFILE does for
 * fds.
 */
unsigned int iuc_max_pipes_per_process = 4096;
module_param_named(max_pipes_per_process, iuc_max_pipes_per_process, uint, 0644);
MODULE_PARM_DESC(max_pipes_per_process, "Pipe ends one process may hold");

/*
 * Pipe buffers are kernel memory that any user fills at will, and pipes
 * per process times processes is no bound.  As Linux bounds its pipes per
 * user (pipe-user-pages-soft, 16384 pages), a user's pipes may hold 64 MiB
 * (1024 pipes of the default 64 KiB), charged at OPEN_PIPE: capacities and
 * message rings.  0: no bound.  CAP_SYS_RESOURCE or CAP_SYS_ADMIN lift it.
 */
unsigned int iuc_max_pipe_kib_per_user = 65536;
module_param_named(max_pipe_kib_per_user, iuc_max_pipe_kib_per_user, uint, 0644);
MODULE_PARM_DESC(max_pipe_kib_per_user,
		 "KiB of pipe buffers the pipes one user opened may hold (0: no bound)");

/*
 * The specification's answer delay: how long a service has to accept or
 * reject a connection request.  CONNECT_SERVICE waits at most this long
 * (also in an io_uring worker), so it is as well the longest a service,
 * hostile or stuck, can keep a client thread and its connection's pipes
 * waiting.  Clamped to 1..60000 ms at use: the request record carries it
 * in 16 bits, and no client should wait longer than a minute.
 */
unsigned int iuc_service_answer_delay_ms = IUC_ANSWER_DELAY_MS;
module_param_named(service_answer_delay_ms, iuc_service_answer_delay_ms, uint, 0644);
MODULE_PARM_DESC(service_answer_delay_ms,
		 "Milliseconds a service has to answer a connection request (1..60000)");

/*
 * How long a PIPE_CALL waiting for its answer may spin before it sleeps,
 * while the thread that writes the answers is running on another CPU
 * (pipe.c, iuc_pipe_spin()).  An answer that comes within the spin saves
 * the caller's sleep and wake-up, two context switches and, where the
 * writer's CPU must wake the caller's from idle, an interprocessor
 * interrupt; a spin that ends empty-handed costs its length in CPU time.
 * 50 us is the value the kernel's documentation recommends for
 * SO_BUSY_POLL (net.core.busy_read): longer than a context switch pair
 * and a short answer on any current machine, short against a scheduler
 * tick.  0 disables the spin; at most IUC_BUSY_POLL_MAX_US is used.
 */
unsigned int iuc_busy_poll_us = 50;
module_param_named(busy_poll_us, iuc_busy_poll_us, uint, 0644);
MODULE_PARM_DESC(busy_poll_us,
		 "Microseconds a PIPE_CALL may spin for its answer before sleeping (0: never, max 10000)");

/*
 * io_uring calls parked on one pipe (uring.c): every wake-up of the pipe
 * walks them, with interrupts off, so one process must not make that walk
 * long.  Beyond the bound a call waits in an io_uring worker, as a call
 * that cannot park does.  64 serve any sane use: one pipe end is usually
 * waited on by one call at a time.
 */
unsigned int iuc_uring_parked_per_pipe = 64;
module_param_named(uring_parked_per_pipe, iuc_uring_parked_per_pipe, uint, 0644);
MODULE_PARM_DESC(uring_parked_per_pipe,
		 "io_uring PIPE_READ/PIPE_WRITE commands that may wait parked on one pipe");

struct iuc_args_header {
	__u32 error;
	__u32 flags;
};

/*
 * iuc_fail() for a struct that could not be copied in: store @code in
 * its @error field in place, if it has one, and return @err.
 */
static long iuc_fail_user(void __user *uarg, unsigned int usize, u8 code,
			  long err)
{
	if (usize >= sizeof(__u32))
		put_user((__u32)code, (__u32 __user *)uarg);
	return err;
}

/*
 * Copy in the caller's @usize-byte struct as this kernel's @ksize-byte one
 * (openat2-style: an older struct is zero-extended, a newer one must have
 * only zeros beyond what we know), run @fn, and copy the result back.
 * Always inlined into one function per call, so that the copies of the
 * common case (@usize == @ksize) have a size known at compile time.
 */
static __always_inline long iuc_run_call(struct iuc_context *ctx,
					 void __user *uarg, unsigned int usize,
					 void *args, const size_t ksize,
					 const size_t ver0,
					 long (*fn)(struct iuc_context *, void *))
{
	struct iuc_args_header *hdr = args;
	long ret;

	if (likely(usize == ksize)) {
		if (copy_from_user(args, uarg, ksize))
			return -EFAULT;
	} else {
		if (usize < ver0)
			return iuc_fail_user(uarg, usize, IUC_E_INVALID_ARG,
					     -EINVAL);
		ret = copy_struct_from_user(args, ksize, uarg, usize);
		if (ret == -E2BIG)
			return iuc_fail_user(uarg, usize, IUC_E_INVALID_ARG, ret);
		if (ret)
			return ret;	/* -EFAULT: nowhere to put a code */
	}

	if (unlikely(!iuc_context_is_current(ctx)))
		ret = iuc_fail(args, IUC_E_NOT_OWNER, -EBADFD);
	else if (unlikely(hdr->flags))
		ret = iuc_fail(args, IUC_E_INVALID_ARG, -EINVAL);
	else
		ret = fn(ctx, args);
	if (!ret)
		hdr->error = IUC_E_NONE;

	if (likely(usize == ksize)) {
		if (copy_to_user(uarg, args, ksize))
			return -EFAULT;
	} else if (copy_to_user(uarg, args, min_t(size_t, usize, ksize))) {
		return -EFAULT;
	}
	return ret;
}

/*
 * Every call takes the same way in: iuc_ioctl() (ioctl(2)) or
 * iuc_uring_cmd() (io_uring) -> iuc_dispatch() -> iuc_calls[code], the
 * call's iuc_marshal_<call>(), which copies its struct in and out around
 * the handler, iuc_ioctl_<call>() of context.c, pipe.c, service.c or
 * shm.c.
 */
typedef long (*iuc_marshal_t)(struct iuc_context *ctx, void __user *uarg,
			      unsigned int usize);

#define IUC_DEFINE_CALL(NAME, name, handler)				\
static long iuc_marshal_##name(struct iuc_context *ctx,			\
			       void __user *uarg, unsigned int usize)	\
{									\
	struct iuc_##name args;						\
									\
	BUILD_BUG_ON(sizeof(args) != IUC_##NAME##_SIZE_VER0);		\
	return iuc_run_call(ctx, uarg, usize, &args, sizeof(args),	\
			    IUC_##NAME##_SIZE_VER0, handler);		\
}

IUC_DEFINE_CALL(HANDLE_SIGNAL, handle_signal, iuc_ioctl_handle_signal)
IUC_DEFINE_CALL(UNHANDLE_SIGNAL, unhandle_signal, iuc_ioctl_unhandle_signal)
IUC_DEFINE_CALL(IS_SIGNAL_HANDLED, is_signal_handled, iuc_ioctl_is_signal_handled)
IUC_DEFINE_CALL(READY, ready, iuc_ioctl_ready)
IUC_DEFINE_CALL(OPEN_PIPE, open_pipe, iuc_ioctl_open_pipe)
IUC_DEFINE_CALL(SEND_PIPE, send_pipe, iuc_ioctl_send_pipe)
IUC_DEFINE_CALL(PIPE_WRITE, pipe_write, iuc_ioctl_pipe_write)
IUC_DEFINE_CALL(PIPE_READ, pipe_read, iuc_ioctl_pipe_read)
IUC_DEFINE_CALL(PIPE_CALL, pipe_call, iuc_ioctl_pipe_call)
IUC_DEFINE_CALL(PIPE_INFO, pipe_info, iuc_ioctl_pipe_info)
IUC_DEFINE_CALL(CLOSE_PIPE, close_pipe, iuc_ioctl_close_pipe)
IUC_DEFINE_CALL(CONNECT_SERVICE, connect_service, iuc_ioctl_connect_service)
IUC_DEFINE_CALL(END_SERVICE_CONN, end_service_conn, iuc_ioctl_end_service_conn)
IUC_DEFINE_CALL(ACCEPT_SERVICE_CONN, accept_service_conn, iuc_ioctl_accept_service_conn)
IUC_DEFINE_CALL(REJECT_SERVICE_CONN, reject_service_conn, iuc_ioctl_reject_service_conn)
IUC_DEFINE_CALL(MEM_UNMAP, mem_unmap, iuc_ioctl_mem_unmap)

/* SHARE_MEM also learns where the caller's struct is (iuc_share_mem_call). */
static long iuc_marshal_share_mem(struct iuc_context *ctx,
				  void __user *uarg, unsigned int usize)
{
	struct iuc_share_mem_call call = {
		.uaddr	= (unsigned long)uarg,
		.usize	= usize,
	};

	BUILD_BUG_ON(sizeof(call.args) != IUC_SHARE_MEM_SIZE_VER0);
	return iuc_run_call(ctx, uarg, usize, &call.args, sizeof(call.args),
			    IUC_SHARE_MEM_SIZE_VER0, iuc_ioctl_share_mem);
}

IUC_DEFINE_CALL(UNSHARE_MEM, unshare_mem, iuc_ioctl_unshare_mem)
IUC_DEFINE_CALL(MEM_SHARING_INFO, mem_sharing_info, iuc_ioctl_mem_sharing_info)
IUC_DEFINE_CALL(REGISTER_SERVICE, register_service, iuc_ioctl_register_service)
IUC_DEFINE_CALL(MAP_ARENA, map_arena, iuc_ioctl_map_arena)

/* The calls, by code.  A hole answers ENOTTY (IUC_E_UNKNOWN_CALL). */
static const iuc_marshal_t iuc_calls[] = {
	[IUC_CALL_HANDLE_SIGNAL]	= iuc_marshal_handle_signal,
	[IUC_CALL_UNHANDLE_SIGNAL]	= iuc_marshal_unhandle_signal,
	[IUC_CALL_IS_SIGNAL_HANDLED]	= iuc_marshal_is_signal_handled,
	[IUC_CALL_READY]		= iuc_marshal_ready,
	[IUC_CALL_OPEN_PIPE]		= iuc_marshal_open_pipe,
	[IUC_CALL_SEND_PIPE]		= iuc_marshal_send_pipe,
	[IUC_CALL_PIPE_WRITE]		= iuc_marshal_pipe_write,
	[IUC_CALL_PIPE_READ]		= iuc_marshal_pipe_read,
	[IUC_CALL_PIPE_INFO]		= iuc_marshal_pipe_info,
	[IUC_CALL_CLOSE_PIPE]		= iuc_marshal_close_pipe,
	[IUC_CALL_CONNECT_SERVICE]	= iuc_marshal_connect_service,
	[IUC_CALL_END_SERVICE_CONN]	= iuc_marshal_end_service_conn,
	[IUC_CALL_ACCEPT_SERVICE_CONN]	= iuc_marshal_accept_service_conn,
	[IUC_CALL_REJECT_SERVICE_CONN]	= iuc_marshal_reject_service_conn,
	[IUC_CALL_MEM_UNMAP]		= iuc_marshal_mem_unmap,
	[IUC_CALL_SHARE_MEM]		= iuc_marshal_share_mem,
	[IUC_CALL_UNSHARE_MEM]		= iuc_marshal_unshare_mem,
	[IUC_CALL_MEM_SHARING_INFO]	= iuc_marshal_mem_sharing_info,
	[IUC_CALL_REGISTER_SERVICE]	= iuc_marshal_register_service,
	[IUC_CALL_PIPE_CALL]		= iuc_marshal_pipe_call,
	[IUC_CALL_MAP_ARENA]		= iuc_marshal_map_arena,
};

/* Layout promises of the UAPI: no implicit padding, sizes as published. */
static void __init iuc_check_uapi_layout(void)
{
	BUILD_BUG_ON(sizeof(struct iuc_handle_signal) != IUC_HANDLE_SIGNAL_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct iuc_unhandle_signal) != IUC_UNHANDLE_SIGNAL_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct iuc_is_signal_handled) != IUC_IS_SIGNAL_HANDLED_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct iuc_ready) != IUC_READY_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct iuc_open_pipe) != IUC_OPEN_PIPE_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct iuc_send_pipe) != IUC_SEND_PIPE_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct iuc_pipe_write) != IUC_PIPE_WRITE_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct iuc_pipe_read) != IUC_PIPE_READ_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct iuc_pipe_call) != IUC_PIPE_CALL_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct iuc_pipe_info) != IUC_PIPE_INFO_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct iuc_close_pipe) != IUC_CLOSE_PIPE_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct iuc_connect_service) != IUC_CONNECT_SERVICE_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct iuc_end_service_conn) != IUC_END_SERVICE_CONN_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct iuc_accept_service_conn) !=
		     IUC_ACCEPT_SERVICE_CONN_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct iuc_reject_service_conn) !=
		     IUC_REJECT_SERVICE_CONN_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct iuc_register_service) != IUC_REGISTER_SERVICE_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct iuc_mem_unmap) != IUC_MEM_UNMAP_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct iuc_share_mem) != IUC_SHARE_MEM_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct iuc_unshare_mem) != IUC_UNSHARE_MEM_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct iuc_mem_sharing_info) != IUC_MEM_SHARING_INFO_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct iuc_map_arena) != IUC_MAP_ARENA_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct iuc_signal) != IUC_SIGNAL_SIZE);
	BUILD_BUG_ON(sizeof(struct iuc_sig_recv_pipe) != 32);
	BUILD_BUG_ON(sizeof(struct iuc_sig_pipe_closed) != 32);
	BUILD_BUG_ON(sizeof(struct iuc_sig_service_conn_request) != 32);
	BUILD_BUG_ON(sizeof(struct iuc_sig_service_server_quitted) != 32);
	BUILD_BUG_ON(sizeof(struct iuc_sig_recv_shared_mem) != 32);
	BUILD_BUG_ON(sizeof(struct iuc_sig_unshared_mem) != 32);
}

/* Run call @cmd (an IUC_IOC_* command) on the struct at @uarg. */
long iuc_dispatch(struct iuc_context *ctx, unsigned int cmd, void __user *uarg)
{
	unsigned int nr = _IOC_NR(cmd);

	if (_IOC_TYPE(cmd) != IUC_IOC_MAGIC ||
	    _IOC_DIR(cmd) != (_IOC_READ | _IOC_WRITE) ||
	    nr >= ARRAY_SIZE(iuc_calls) || !iuc_calls[nr])
		return -ENOTTY;
	return iuc_calls[nr](ctx, uarg, _IOC_SIZE(cmd));
}

static long iuc_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	return iuc_dispatch(file->private_data, cmd, (void __user *)arg);
}

static int iuc_open(struct inode *inode, struct file *file)
{
	struct iuc_context *ctx;
	int ret;

	ret = iuc_context_create(&ctx);
	if (ret)
		return ret;
	file->private_data = ctx;
	return nonseekable_open(inode, file);
}

/* iterate_fd() callback: is fd @n the file @file? */
static int iuc_fd_is(const void *file, struct file *f, unsigned int n)
{
	return f == file;
}

/*
 * An fd of the file is closed, by whichever process held it.  When the
 * owner closes its last one while others (a forked child, the receiver of
 * an SCM_RIGHTS message) still hold the file, the context ends now: its
 * peers learn it, and the process may open /dev/iuc anew.  Threads share
 * the table looked at; io_uring's workers close nothing of it, and a file
 * registered with io_uring is no fd: it does not keep the context.  At
 * exit the table is gone already (iterate_fd() of NULL finds nothing).
 */
static int iuc_flush(struct file *file, fl_owner_t id)
{
	struct iuc_context *ctx = file->private_data;

	if (iuc_context_is_current(ctx) &&
	    !iterate_fd(current->files, 0, iuc_fd_is, file))
		iuc_context_end(ctx);
	return 0;
}

/*
 * The last reference to the file is gone: the context ends now unless its
 * process's exit, or its last close(2), already ended it.
 */
static int iuc_release(struct inode *inode, struct file *file)
{
	struct iuc_context *ctx = file->private_data;

	iuc_context_end(ctx);
	iuc_context_put(ctx);
	return 0;
}

static ssize_t iuc_read(struct file *file, char __user *buf, size_t count,
			loff_t *ppos)
{
	struct iuc_context *ctx = file->private_data;

	if (!iuc_context_is_current(ctx))
		return -EBADFD;
	return iuc_context_read(ctx, file, buf, count, file->f_flags & O_NONBLOCK);
}

static __poll_t iuc_poll(struct file *file, struct poll_table_struct *wait)
{
	struct iuc_context *ctx = file->private_data;

	if (!iuc_context_is_current(ctx))
		return EPOLLERR;
	return iuc_context_poll(ctx, file, wait);
}

/* The receiver maps a shared memory segment: offset = id << PAGE_SHIFT. */
static int iuc_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct iuc_context *ctx = file->private_data;

	if (!iuc_context_is_current(ctx))
		return -EBADFD;
	return iuc_segment_mmap(ctx, vma);
}

static const struct file_operations iuc_fops = {
	.owner		= THIS_MODULE,
	.open		= iuc_open,
	.flush		= iuc_flush,
	.release	= iuc_release,
	.read		= iuc_read,
	.poll		= iuc_poll,
	.mmap		= iuc_mmap,
	.unlocked_ioctl	= iuc_ioctl,
	.uring_cmd	= iuc_uring_cmd,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice iuc_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "iuc",
	.fops	= &iuc_fops,
	.mode	= 0666,
};

static int __init iuc_init(void)
{
	int ret;

	iuc_check_uapi_layout();
	ret = iuc_shm_init();
	if (ret)
		return ret;
	ret = iuc_pipe_init();
	if (ret)
		goto out_shm;
	ret = iuc_context_init();
	if (ret)
		goto out_pipe;
	ret = iuc_service_init();
	if (ret)
		goto out_context;
	ret = misc_register(&iuc_misc);
	if (ret)
		goto out_service;
	return 0;

out_service:
	iuc_service_exit();
out_context:
	iuc_context_exit();
out_pipe:
	iuc_pipe_exit();
out_shm:
	iuc_shm_exit();
	return ret;
}

/*
 * Every open file holds a reference on this module (.owner), so unloading
 * is refused while any context exists, and with it any connection.
 */
static void __exit iuc_exit(void)
{
	misc_deregister(&iuc_misc);
	iuc_service_exit();	/* the thread exit probe: no new work */
	iuc_context_exit();	/* drains the exit work, then rcu_barrier() */
	iuc_pipe_exit();
	iuc_shm_exit();
}

module_init(iuc_init);
module_exit(iuc_exit);

MODULE_DESCRIPTION("IUC: inter-process uni-directional channels, shared memory, services and signals");
MODULE_AUTHOR("IUC developers");
MODULE_LICENSE("GPL");
