// SPDX-License-Identifier: GPL-2.0
/*
 * IUC calls submitted through io_uring: IORING_OP_URING_CMD on /dev/iuc,
 * cmd_op = the IUC_IOC_* command, the first 8 bytes of the command area =
 * the address of the argument struct.  The completion's res is the call's
 * 0 or -errno, and the struct is updated as by ioctl(2).
 *
 * The address is read from the submission entry each time io_uring issues
 * the command, and kept in the command's pdu for the tries after: a try
 * from task work never looks at the entry, whose slot the program may
 * have reused by then.
 *
 * A command goes one of three ways:
 *
 *  - native: PIPE_WRITE and PIPE_READ in IUC_IO_BLOCK (pipe.c's
 *    iuc_pipe_native_*).  Tried at once; if the ioctl would wait, the
 *    command is parked: an entry on the pipe's wait queue whose wake
 *    function queues task work in the submitter, which tries again and
 *    completes it with io_uring_cmd_done().  No thread waits for it.
 *  - inline: calls that never wait, run at once in the submitter.
 *  - io-wq: everything else, and a native call that may not park (see
 *    iuc_uring_native()): answered -EAGAIN at the non-blocking issue, so
 *    that io_uring runs it from a worker thread of the submitting process,
 *    where it blocks as the ioctl does.
 *
 * A parked command ends only through its owner here: the wake function
 * and the cancellation take it off the queue under the queue's lock,
 * whoever finds it waiting (@waiting) owns it, and the owner completes
 * it.  It holds a reference on its pipe; io_uring holds the file, so
 * neither the context nor the module goes away under it.  It leaves by a
 * wake-up (data, room, a lock let go, the pipe closed: the peer's close or
 * exit, or the end of our own context, which closes all our pipes), or by
 * io_uring's cancellation when the ring is closed or the submitter exits
 * or execs (IO_URING_F_CANCEL: completed -ECANCELED, its struct left as
 * it was).  Kernels without that cancellation (6.1) would keep a ring's
 * teardown waiting for the pipe, so there nothing parks: a native call
 * that must wait goes to io-wq.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#ifdef IUC_HAVE_IO_URING_CMD_H
#include <linux/io_uring/cmd.h>
#else
#include <linux/io_uring.h>
#endif
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "iuc_internal.h"

/* The argument struct of a native call, as the kernel keeps it. */
union iuc_native_args {
	struct {
		__u32	error;
		__u32	flags;
	} hdr;
	struct iuc_pipe_write	write;
	struct iuc_pipe_read	read;
};

/* A native call that waits on a pipe, with no thread. */
struct iuc_uring_park {
	struct wait_queue_entry		wait;	/* on @wq while @waiting */
	wait_queue_head_t		*wq;	/* of @pipe, at end @native->part */
	/* Under @wq's lock: on the queue, owned by nobody (see the top). */
	bool				waiting;
	struct io_uring_cmd		*cmd;
	const struct iuc_pipe_native	*native;
	struct iuc_pipe			*pipe;	/* referenced */
	union iuc_native_args		args;
};

/* What a command keeps between its issue and its completion. */
struct iuc_uring_pdu {
	u64			uarg;	/* the argument struct */
	struct iuc_uring_park	*park;	/* once parked */
};

static struct iuc_uring_pdu *iuc_uring_pdu(struct io_uring_cmd *ioucmd)
{
	BUILD_BUG_ON(sizeof(struct iuc_uring_pdu) > sizeof(ioucmd->pdu));
	return (struct iuc_uring_pdu *)ioucmd->pdu;
}

/* The command area of an IORING_OP_URING_CMD submission. */
static const void *iuc_uring_cmd_payload(struct io_uring_cmd *ioucmd)
{
#ifdef IUC_HAVE_IO_URING_CMD_H
	return io_uring_sqe_cmd(ioucmd->sqe);
#else
	return ioucmd->cmd;
#endif
}

/* The native calls, by command. */
static const struct iuc_pipe_native *iuc_uring_native_call(unsigned int cmd)
{
	switch (cmd) {
	case IUC_IOC_PIPE_WRITE:
		return &iuc_pipe_native_write;
	case IUC_IOC_PIPE_READ:
		return &iuc_pipe_native_read;
	default:
		return NULL;
	}
}

/*
 * Calls that never wait for anybody run at once, in the submitter: a
 * worker would cost more than the call.
 */
static bool iuc_uring_inline_call(unsigned int cmd)
{
	switch (cmd) {
	case IUC_IOC_HANDLE_SIGNAL:
	case IUC_IOC_UNHANDLE_SIGNAL:
	case IUC_IOC_IS_SIGNAL_HANDLED:
	case IUC_IOC_READY:
	case IUC_IOC_PIPE_INFO:
		return true;
	default:
		return false;
	}
}

/* The call ended with @ret: its struct back to the caller, as the ioctl. */
static long iuc_uring_copy_out(struct io_uring_cmd *ioucmd,
			       union iuc_native_args *args, size_t size,
			       long ret)
{
	if (!ret)
		args->hdr.error = IUC_E_NONE;
	if (copy_to_user(u64_to_user_ptr(iuc_uring_pdu(ioucmd)->uarg), args,
			 size))
		return -EFAULT;
	return ret;
}

#ifdef IUC_HAVE_URING_CMD_CANCEL

static void iuc_uring_retry(struct io_uring_cmd *ioucmd, unsigned int issue_flags);

/*
 * The wake function: a pipe event, in the waker, under the queue's lock
 * (atomic context).  If a try might end the call now, take the command
 * off the queue and have the submitter try it from its task work.
 */
static int iuc_uring_wake(struct wait_queue_entry *wait, unsigned int mode,
			  int sync, void *key)
{
	struct iuc_uring_park *park = container_of(wait, struct iuc_uring_park,
						   wait);

	if (!park->waiting || !park->native->ready(park->pipe, &park->args))
		return 0;
	park->waiting = false;
	list_del_init(&wait->entry);
	io_uring_cmd_complete_in_task(park->cmd, iuc_uring_retry);
	return 1;
}

/*
 * Put the owned command @park on its queue, unless a try might end it
 * now: true if it waits (and is no longer ours), false if it is to be
 * tried again.  The test follows the queueing (and a barrier), so that a
 * waker either sees the entry or its change is seen here.
 */
static bool iuc_uring_wait(struct iuc_uring_park *park)
{
	bool ready;

	spin_lock_irq(&park->wq->lock);
	__add_wait_queue_entry_tail(park->wq, &park->wait);
	iuc_pipe_native_queued();
	ready = park->native->ready(park->pipe, &park->args);
	if (ready)
		list_del_init(&park->wait.entry);
	else
		park->waiting = true;
	spin_unlock_irq(&park->wq->lock);
	return !ready;
}

/* Complete the owned command @park with @ret; @copy: its struct too. */
static void iuc_uring_finish(struct iuc_uring_park *park, long ret,
			     bool copy, unsigned int issue_flags)
{
	struct io_uring_cmd *ioucmd = park->cmd;

	if (copy)
		ret = iuc_uring_copy_out(ioucmd, &park->args,
					 park->native->size, ret);
	iuc_pipe_native_detach(park->pipe, park->native->part);
	iuc_pipe_put(park->pipe);
	iuc_uring_pdu(ioucmd)->park = NULL;
	kfree(park);
	io_uring_cmd_done(ioucmd, ret, 0, issue_flags);
}

/* Try the owned command @park until it ends or waits again. */
static void iuc_uring_run(struct iuc_uring_park *park, unsigned int issue_flags)
{
	long ret;

	do {
		ret = park->native->try(park->pipe, &park->args);
		if (ret != IUC_PIPE_WOULD_WAIT) {
			iuc_uring_finish(park, ret, true, issue_flags);
			return;
		}
	} while (!iuc_uring_wait(park));
}

/*
 * Task work of a woken command, in the submitter, which owns its memory:
 * the copies are right here.  When the submitter is exiting (or io_uring
 * runs the work from its fallback kernel thread) there is nobody to
 * answer: the command ends -ECANCELED, its struct untouched.
 */
static void iuc_uring_retry(struct io_uring_cmd *ioucmd, unsigned int issue_flags)
{
	struct iuc_uring_park *park = iuc_uring_pdu(ioucmd)->park;

	if (current->flags & (PF_EXITING | PF_KTHREAD))
		iuc_uring_finish(park, -ECANCELED, false, issue_flags);
	else
		iuc_uring_run(park, issue_flags);
}

/*
 * io_uring cancels the command (ring closed, submitter exiting or
 * execing), under its ring lock, maybe from a kernel thread.  A waiting
 * command ends -ECANCELED, its struct untouched; one whose task work is
 * queued ends there, io_uring asking again meanwhile.
 */
static void iuc_uring_cancel(struct io_uring_cmd *ioucmd,
			     unsigned int issue_flags)
{
	struct iuc_uring_park *park = iuc_uring_pdu(ioucmd)->park;
	bool mine = false;

	if (!park)
		return;
	spin_lock_irq(&park->wq->lock);
	if (park->waiting) {
		park->waiting = false;
		list_del_init(&park->wait.entry);
		mine = true;
	}
	spin_unlock_irq(&park->wq->lock);
	if (mine)
		iuc_uring_finish(park, -ECANCELED, false, issue_flags);
}

/*
 * Park the native call @args on @pipe (whose reference it takes over),
 * or refuse (false: the caller keeps both): the pipe has its bound of
 * parked calls, or no memory.  On success the command ends through
 * io_uring_cmd_done(), maybe before this returns.
 */
static bool iuc_uring_park(struct io_uring_cmd *ioucmd,
			   unsigned int issue_flags,
			   const struct iuc_pipe_native *native,
			   struct iuc_pipe *pipe, union iuc_native_args *args)
{
	struct iuc_uring_park *park;

	park = kmalloc(sizeof(*park), GFP_KERNEL_ACCOUNT);
	if (!park)
		return false;
	if (!iuc_pipe_native_attach(pipe, native->part)) {
		kfree(park);
		return false;
	}
	init_waitqueue_func_entry(&park->wait, iuc_uring_wake);
	park->wq = iuc_pipe_native_queue(pipe, native->part);
	park->waiting = false;
	park->cmd = ioucmd;
	park->native = native;
	park->pipe = pipe;
	memcpy(&park->args, args, native->size);
	iuc_uring_pdu(ioucmd)->park = park;
	io_uring_cmd_mark_cancelable(ioucmd, issue_flags);
	if (!iuc_uring_wait(park))
		iuc_uring_run(park, issue_flags);
	return true;
}

#else /* !IUC_HAVE_URING_CMD_CANCEL */

static bool iuc_uring_park(struct io_uring_cmd *ioucmd,
			   unsigned int issue_flags,
			   const struct iuc_pipe_native *native,
			   struct iuc_pipe *pipe, union iuc_native_args *args)
{
	return false;
}

#endif /* IUC_HAVE_URING_CMD_CANCEL */

/*
 * A native call: copied in and checked as iuc_run_call() does, then
 * tried.  It ends now if the ioctl would not wait; otherwise it parks if
 * it may (pipe.c's may_park(): not a raw count over half the capacity)
 * and can.  Returns the call's result, -EIOCBQUEUED once parked, or
 * IUC_URING_OTHER_WAY when the call is not to be run natively: a mode
 * that is not IUC_IO_BLOCK, or a call that must wait but may not park.
 */
#define IUC_URING_OTHER_WAY	1

static int iuc_uring_native(struct io_uring_cmd *ioucmd,
			    unsigned int issue_flags,
			    const struct iuc_pipe_native *native)
{
	struct iuc_context *ctx = ioucmd->file->private_data;
	void __user *uarg = u64_to_user_ptr(iuc_uring_pdu(ioucmd)->uarg);
	union iuc_native_args args;
	struct iuc_pipe *pipe = NULL;
	long ret;

	if (copy_from_user(&args, uarg, native->size))
		return -EFAULT;
	if (unlikely(!iuc_context_is_current(ctx)))
		ret = iuc_fail(&args, IUC_E_NOT_OWNER, -EBADFD);
	else if (unlikely(args.hdr.flags))
		ret = iuc_fail(&args, IUC_E_INVALID_ARG, -EINVAL);
	else
		ret = native->begin(ctx, &args, &pipe);
	if (ret == IUC_PIPE_NOT_NATIVE)
		return IUC_URING_OTHER_WAY;
	if (!ret) {
		ret = native->try(pipe, &args);
		if (ret == IUC_PIPE_WOULD_WAIT) {
			if (native->may_park(pipe, &args) &&
			    iuc_uring_park(ioucmd, issue_flags, native, pipe,
					   &args))
				return -EIOCBQUEUED;
			iuc_pipe_put(pipe);
			return IUC_URING_OTHER_WAY;
		}
		iuc_pipe_put(pipe);
	}
	return iuc_uring_copy_out(ioucmd, &args, native->size, ret);
}

/*
 * ->uring_cmd: issued by io_uring, first without blocking
 * (IO_URING_F_NONBLOCK, in the submitter), again from a worker if that
 * answered -EAGAIN; or cancelled (IO_URING_F_CANCEL).  Every issue runs
 * in a thread of the submitting process (the owner check holds).
 */
int iuc_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags)
{
	const struct iuc_pipe_native *native;
	struct iuc_uring_pdu *pdu = iuc_uring_pdu(ioucmd);
	int ret;

#ifdef IUC_HAVE_URING_CMD_CANCEL
	if (issue_flags & IO_URING_F_CANCEL) {
		iuc_uring_cancel(ioucmd, issue_flags);
		return 0;
	}
#endif
	pdu->uarg = READ_ONCE(*(const __u64 *)iuc_uring_cmd_payload(ioucmd));
	pdu->park = NULL;

	native = iuc_uring_native_call(ioucmd->cmd_op);
	if (native) {
		ret = iuc_uring_native(ioucmd, issue_flags, native);
		if (ret != IUC_URING_OTHER_WAY)
			return ret;
	} else if (iuc_uring_inline_call(ioucmd->cmd_op)) {
		return iuc_dispatch(ioucmd->file->private_data, ioucmd->cmd_op,
				    u64_to_user_ptr(pdu->uarg));
	}
	if (issue_flags & IO_URING_F_NONBLOCK)
		return -EAGAIN;
	return iuc_dispatch(ioucmd->file->private_data, ioucmd->cmd_op,
			    u64_to_user_ptr(pdu->uarg));
}
