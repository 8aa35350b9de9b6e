/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * IUC - inter-process uni-directional channels, shared memory and services
 * for Linux.  User-space interface of the /dev/iuc misc device.
 *
 * Every call of the IUC specification is one ioctl on an fd of /dev/iuc.
 * The ioctl number (_IOC_NR) is the call code of the specification, the
 * ioctl type is IUC_IOC_MAGIC and the ioctl size is the size of the
 * argument struct the caller was compiled with.
 *
 * Extensibility: argument structs only ever grow at their end.  The kernel
 * takes _IOC_SIZE(cmd) as the caller's struct size: a smaller struct than
 * the first published one (IUC_*_SIZE_VER0) is refused with EINVAL, a
 * larger one is accepted when every byte the kernel does not know is zero
 * (E2BIG otherwise), exactly as openat2(2) and clone3(2) do.  Results are
 * copied back up to the smaller of both sizes.
 *
 * Errors: a failing call returns -1 with errno set, and writes the code of
 * the specification into the @error field that starts every argument
 * struct.  A successful call writes IUC_E_NONE there.  Errors that happen
 * before the struct could be read leave @error untouched: ENOTTY means
 * IUC_E_UNKNOWN_CALL, EFAULT means IUC_E_ARGS_UNREADABLE.  A bad size
 * (EINVAL, or E2BIG for unknown nonzero bytes) writes IUC_E_INVALID_ARG
 * when the struct holds at least the @error field.  The errno of each code
 * is given beside it below.
 *
 * Reserved fields (flags and __pad*) must be zero: EINVAL, IUC_E_INVALID_ARG.
 * Fields marked "out" are ignored on input, so a struct can be reused.
 *
 * io_uring: IORING_OP_URING_CMD on the fd, cmd_op = the IUC_IOC_* command,
 * the first 8 bytes of the command area = the address of the argument
 * struct, read when io_uring issues the command.  The completion's res is
 * 0 or -errno; the struct is updated as by ioctl(2).  PIPE_WRITE and
 * PIPE_READ in IUC_IO_BLOCK run natively: they end at once if the ioctl
 * would not wait; otherwise they wait parked on the pipe, with no thread,
 * and complete all at once when the ioctl would no longer wait (a write
 * when all of it fits, a read when all of it is pending, a message whole,
 * or the pipe closed), with the ioctl's result at that moment.  Where the
 * kernel's io_uring cannot cancel a waiting command (6.1), and for a raw
 * count over half the capacity, they wait in an io_uring worker instead,
 * as every other call that may block does.  A parked command is not
 * interrupted by signals nor reached by IORING_OP_ASYNC_CANCEL; closing
 * the ring or exiting ends it with res -ECANCELED, its struct untouched.
 * A command linked after a request that completes after the submission
 * returned needs IOSQE_ASYNC on kernels (6.12) whose io_uring reads a
 * linked command's submission entry only when it is issued, after its
 * slot may have been reused; behind IUC calls that complete during the
 * submission (a write with room, then a read of it) none is needed.
 */
#ifndef _UAPI_LINUX_IUC_H
#define _UAPI_LINUX_IUC_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Not listed in Documentation/userspace-api/ioctl/ioctl-number.rst. */
#define IUC_IOC_MAGIC		0xC7

/* Call codes of the specification (= _IOC_NR of the ioctls). */
#define IUC_CALL_HANDLE_SIGNAL		0x01
#define IUC_CALL_UNHANDLE_SIGNAL	0x02
#define IUC_CALL_IS_SIGNAL_HANDLED	0x03
#define IUC_CALL_READY			0x04
#define IUC_CALL_OPEN_PIPE		0x20
#define IUC_CALL_SEND_PIPE		0x21
#define IUC_CALL_PIPE_WRITE		0x22
#define IUC_CALL_PIPE_READ		0x23
#define IUC_CALL_PIPE_INFO		0x24
#define IUC_CALL_CLOSE_PIPE		0x25
#define IUC_CALL_CONNECT_SERVICE	0x2A
#define IUC_CALL_END_SERVICE_CONN	0x2B
#define IUC_CALL_ACCEPT_SERVICE_CONN	0x2C
#define IUC_CALL_REJECT_SERVICE_CONN	0x2D
#define IUC_CALL_MEM_UNMAP		0x33
#define IUC_CALL_SHARE_MEM		0x34
#define IUC_CALL_UNSHARE_MEM		0x35
#define IUC_CALL_MEM_SHARING_INFO	0x36

/* IUC extension calls: 0x80 and up, never a code of the specification. */
#define IUC_CALL_REGISTER_SERVICE	0x80
#define IUC_CALL_PIPE_CALL		0x81
#define IUC_CALL_MAP_ARENA		0x82

/*
 * Error codes of the specification, written to @error.
 * Codes 0x10..0x3F mean different things for different calls; each call's
 * codes are listed with its struct.  Codes marked "IUC extension" do not
 * exist in the specification; they name failures that only exist on Linux.
 */
#define IUC_E_NONE		0xFF	/* success */
/* generic, valid for every call */
#define IUC_E_ARGS_UNREADABLE	0x00	/* EFAULT: argument struct unreadable */
#define IUC_E_UNKNOWN_CALL	0x01	/* ENOTTY: no such call */
#define IUC_E_INVALID_ARG	0x02	/* EINVAL: bad size, reserved bit, pointer or number */
#define IUC_E_UNMAPPED		0x03	/* EFAULT: a buffer pointer is not mapped */
#define IUC_E_MEM_PERM		0x04	/* EFAULT: a buffer lacks the needed access */
/* EBADFD: IUC extension, the fd belongs to another process, or to one that ended */
#define IUC_E_NOT_OWNER		0x0E
/* EINTR: IUC extension, a signal interrupted a blocking call */
#define IUC_E_INTERRUPTED	0x0F
/* resource errors shared by several calls (IUC extensions) */
#define IUC_E_NO_KERNEL_MEMORY	0x3D	/* ENOMEM: the kernel could not allocate */
/*
 * EMFILE: a per-process limit is reached (max_pipes_per_process); EDQUOT:
 * OPEN_PIPE and CONNECT_SERVICE only, the pipes the caller's user opened
 * hold all the memory max_pipe_kib_per_user allows (CAP_SYS_RESOURCE or
 * CAP_SYS_ADMIN lift it)
 */
#define IUC_E_LIMIT		0x3E
/* EAGAIN: the target's signal queue is full, or a record's RT signal cannot be queued */
#define IUC_E_QUEUE_FULL	0x3F

/* Signal codes of the specification. */
#define IUC_SIG_RECV_PIPE		0x20
#define IUC_SIG_PIPE_CLOSED		0x21
#define IUC_SIG_SERVICE_CONN_REQUEST	0x2A
#define IUC_SIG_SERVICE_CLIENT_CLOSED	0x2B
#define IUC_SIG_SERVICE_CLIENT_QUITTED	0x2C
#define IUC_SIG_SERVICE_SERVER_QUITTED	0x2D
#define IUC_SIG_RECV_SHARED_MEM		0x34
#define IUC_SIG_UNSHARED_MEM		0x35

/* Every argument struct starts with these two fields. */
#define IUC_ARGS_HEADER							\
	__u32 error;	/* out: IUC_E_* */				\
	__u32 flags	/* in: reserved, must be 0 */

/* ---- signal calls ------------------------------------------------------ */

/*
 * 0x01 HANDLE_SIGNAL: the caller handles signal @code.
 * @rt_signal is the real-time signal (SIGRTMIN..SIGRTMAX of the kernel,
 * 32..64) sent with each record of that code once the caller is READY, or
 * 0 to only queue records for read(2)/poll(2).  Registering again replaces
 * the previous choice.
 * Errors: 0x10 unknown signal code (EINVAL); 0x02 bad @rt_signal (EINVAL).
 */
struct iuc_handle_signal {
	IUC_ARGS_HEADER;
	__u8	code;
	__u8	__pad[3];
	__u32	rt_signal;
};

#define IUC_HANDLE_SIGNAL_SIZE_VER0	16
#define IUC_E_HANDLE_UNKNOWN_SIGNAL	0x10

/*
 * 0x02 UNHANDLE_SIGNAL.  Records of @code already queued stay queued.
 * Errors: 0x10 unknown signal code (EINVAL); 0x20 not handled (ENOENT).
 */
struct iuc_unhandle_signal {
	IUC_ARGS_HEADER;
	__u8	code;
	__u8	__pad[7];
};

#define IUC_UNHANDLE_SIGNAL_SIZE_VER0	16
#define IUC_E_UNHANDLE_UNKNOWN_SIGNAL	0x10
#define IUC_E_UNHANDLE_NOT_HANDLED	0x20

/*
 * 0x03 IS_SIGNAL_HANDLED: @handled is 1 if @code is handled, and then
 * @rt_signal tells the real-time signal chosen for it (0: records only).
 * Errors: 0x10 unknown signal code (EINVAL).
 */
struct iuc_is_signal_handled {
	IUC_ARGS_HEADER;
	__u8	code;
	__u8	handled;	/* out */
	__u8	__pad[2];
	__u32	rt_signal;	/* out */
};

#define IUC_IS_SIGNAL_HANDLED_SIZE_VER0	16
#define IUC_E_IS_HANDLED_UNKNOWN_SIGNAL	0x10

/*
 * 0x04 READY: the caller is ready to receive signals.  Records queued so
 * far become readable and their real-time signals are sent, in order.
 * Errors: 0x20 already ready (EALREADY).
 */
struct iuc_ready {
	IUC_ARGS_HEADER;
};

#define IUC_READY_SIZE_VER0		8
#define IUC_E_READY_ALREADY		0x20

/* ---- pipe calls -------------------------------------------------------- */

#define IUC_PIPE_TYPE_CALLER_SENDS	0	/* caller keeps the SC, target gets the RC */
#define IUC_PIPE_TYPE_CALLER_RECEIVES	1	/* caller keeps the RC, target gets the SC */
#define IUC_PIPE_MODE_RAW		0
#define IUC_PIPE_MODE_MESSAGE		1
#define IUC_NOTIFY			0	/* send RECV_PIPE / RECV_SHARED_MEM */
#define IUC_NOTIFY_SKIP			1
#define IUC_PIPE_UNIT			65536	/* capacity = max(1, multiplier) x 64 KiB */
#define IUC_MESSAGE_MAX			65536

/*
 * 0x20 OPEN_PIPE: open a pipe to process @target_pid (in the caller's PID
 * namespace).  @id receives the caller's identifier, @peer_id the target's
 * (an IUC extension, so that a target that is not notified can be told).
 * Errors: 0x10 bad @mode (EINVAL); 0x11 bad @notify (EINVAL); 0x20 no such
 * process or it has no IUC context (ESRCH); 0x21 target is in another
 * application (EACCES); 0x22 target runs as another user (EPERM); 0x23
 * notification asked but the target does not handle RECV_PIPE (ENOENT);
 * 0x02 bad @type (EINVAL); 0x3D, 0x3E, 0x3F.
 * The pipe's capacity (and on a message pipe, a quarter of it more for
 * the lengths of its messages) is charged to the caller's real uid until
 * the pipe is freed, both ends closed: over max_pipe_kib_per_user, 0x3E
 * with EDQUOT.
 */
struct iuc_open_pipe {
	IUC_ARGS_HEADER;
	__u64	target_pid;
	__u64	size_hint;
	__u64	id;		/* out */
	__u64	peer_id;	/* out */
	__u16	command;
	__u8	type;
	__u8	multiplier;
	__u8	mode;
	__u8	notify;
	__u8	__pad[2];
};

#define IUC_OPEN_PIPE_SIZE_VER0		48
#define IUC_E_OPEN_BAD_MODE		0x10
#define IUC_E_OPEN_BAD_NOTIFY		0x11
#define IUC_E_OPEN_NO_SUCH_PID		0x20
#define IUC_E_OPEN_OTHER_APPLICATION	0x21
#define IUC_E_OPEN_OTHER_USER		0x22
#define IUC_E_OPEN_NO_HANDLER		0x23

/*
 * 0x21 SEND_PIPE: move the caller's SC or RC @id to @target_pid, which gets
 * a new identifier of its own (@peer_id, IUC extension).
 * Errors: 0x10 notification asked but no RECV_PIPE handler (ENOENT);
 * IUC extensions for what the specification leaves without code: 0x20
 * unknown @id (EBADF), 0x21 no such process (ESRCH), 0x22 another
 * application (EACCES), 0x23 another user (EPERM), 0x24 bad @notify (EINVAL).
 */
struct iuc_send_pipe {
	IUC_ARGS_HEADER;
	__u64	id;
	__u64	target_pid;
	__u64	peer_id;	/* out */
	__u8	notify;
	__u8	__pad[7];
};

#define IUC_SEND_PIPE_SIZE_VER0		40
#define IUC_E_SEND_NO_HANDLER		0x10
#define IUC_E_SEND_UNKNOWN_ID		0x20
#define IUC_E_SEND_NO_SUCH_PID		0x21
#define IUC_E_SEND_OTHER_APPLICATION	0x22
#define IUC_E_SEND_OTHER_USER		0x23
#define IUC_E_SEND_BAD_NOTIFY		0x24
#define IUC_E_SEND_SERVICE_PIPE		0x25	/* IUC extension: EPERM */

#define IUC_IO_BLOCK		0	/* wait until the whole count fits / is there */
#define IUC_IO_TRY		1	/* fail at once if locked or not enough */
#define IUC_IO_PARTIAL		2	/* as much as possible, now */
#define IUC_TRY_LOCKED		0	/* @result of a failed IUC_IO_TRY call */
#define IUC_TRY_NOT_ENOUGH	1

/*
 * 0x22 PIPE_WRITE: write @count bytes from @buf to the SC @id.
 * @result: IUC_IO_BLOCK: room left after the write; IUC_IO_TRY on failure:
 * IUC_TRY_LOCKED or IUC_TRY_NOT_ENOUGH; IUC_IO_PARTIAL: bytes written.
 * @transferred (IUC extension): bytes this call wrote, also when it fails
 * part way (EINTR, EPIPE, EFAULT), so that nothing is lost or sent twice.
 * A zero-byte write succeeds at once.  Interrupted calls are not restarted.
 * A write is contiguous: while one waits for room, other writes of the
 * pipe wait (IUC_IO_TRY: IUC_TRY_LOCKED), reads go on.  A message pipe
 * holds at most capacity / 16 messages; beyond, it has no room.
 * Errors: 0x10 bad @mode (EINVAL); 0x20 unknown SC (EBADF); 0x21 SC closed
 * (EPIPE); 0x22 message longer than 64 KiB (EMSGSIZE); 0x23 partial mode on
 * a message pipe (EINVAL); 0x30 IUC_IO_TRY and locked or no room (EAGAIN);
 * 0x03 @buf unmapped (EFAULT); 0x0F interrupted (EINTR).
 */
struct iuc_pipe_write {
	IUC_ARGS_HEADER;
	__u64	id;
	__u64	count;
	__u64	buf;
	__u64	result;		/* out */
	__u64	transferred;	/* out */
	__u8	mode;
	__u8	__pad[7];
};

#define IUC_PIPE_WRITE_SIZE_VER0	56
#define IUC_E_WRITE_BAD_MODE		0x10
#define IUC_E_WRITE_UNKNOWN_SC		0x20
#define IUC_E_WRITE_CLOSED		0x21
#define IUC_E_WRITE_MESSAGE_TOO_LONG	0x22
#define IUC_E_WRITE_MESSAGE_PARTIAL	0x23
#define IUC_E_WRITE_NO_ROOM		0x30

/*
 * 0x23 PIPE_READ: read up to @count bytes (0: as much as is pending; the
 * buffer must then hold the pipe's capacity) from the RC @id into @buf.
 * Raw pipe: IUC_IO_BLOCK waits until @count bytes were read (with @count 0,
 * until some data is pending), IUC_IO_TRY fails unless @count bytes (with
 * @count 0, any) are pending, IUC_IO_PARTIAL takes what is pending.
 * Message pipe: one whole message is read; a buffer smaller than the next
 * message fails with EMSGSIZE (0x24, IUC extension) and @result gives the
 * message's length: nothing is lost.
 * @result: IUC_IO_BLOCK: bytes still pending after the read; IUC_IO_TRY on
 * failure: IUC_TRY_LOCKED or IUC_TRY_NOT_ENOUGH; IUC_IO_PARTIAL and a
 * successful IUC_IO_TRY: bytes read; message pipe: the message's length.
 * @transferred (IUC extension): bytes this call read, also when it fails
 * part way.  After a close the pending data can still be read; then the
 * calls fail with 0x21.  A read is contiguous: while one waits for data,
 * other reads of the pipe wait (IUC_IO_TRY: IUC_TRY_LOCKED), writes go on.
 * Errors: 0x10 bad @mode (EINVAL); 0x20 unknown RC (EBADF); 0x21 RC closed
 * and drained (EPIPE); 0x22 IUC_IO_TRY and locked or not enough data
 * (EAGAIN); 0x23 partial mode on a message pipe (EINVAL); 0x24 message
 * longer than @count (EMSGSIZE); 0x03 @buf unmapped (EFAULT); 0x0F (EINTR).
 */
struct iuc_pipe_read {
	IUC_ARGS_HEADER;
	__u64	id;
	__u64	buf;
	__u64	result;		/* out */
	__u64	transferred;	/* out */
	__u32	count;
	__u8	mode;
	__u8	__pad[3];
};

#define IUC_PIPE_READ_SIZE_VER0		48
#define IUC_E_READ_BAD_MODE		0x10
#define IUC_E_READ_UNKNOWN_RC		0x20
#define IUC_E_READ_CLOSED		0x21
#define IUC_E_READ_NO_DATA		0x22
#define IUC_E_READ_MESSAGE_PARTIAL	0x23
#define IUC_E_READ_BUFFER_TOO_SMALL	0x24

/*
 * PIPE_INFO status bits, from the strongest bit down as the spec lists them.
 * LOCKED: an IUC_IO_TRY call at this end would answer IUC_TRY_LOCKED now (a
 * write of an SC, a read of an RC, is under way, or the other side copies).
 * FULL: no room, no byte or, on a message pipe, no message more.
 */
#define IUC_PIPE_OPENED		0x80
#define IUC_PIPE_MESSAGE	0x40
#define IUC_PIPE_FULL		0x20
#define IUC_PIPE_LOCKED		0x10
#define IUC_PIPE_WRITE_PENDING	0x08
#define IUC_PIPE_READ_PENDING	0x04
#define IUC_PIPE_IS_SC		0x02

/*
 * 0x24 PIPE_INFO.  The specification lists no error; IUC extension:
 * 0x20 unknown identifier (EBADF).
 */
struct iuc_pipe_info {
	IUC_ARGS_HEADER;
	__u64	id;
	__u64	capacity;	/* out */
	__u64	room;		/* out */
	__u64	creator_pid;	/* out, in the caller's PID namespace */
	__u8	status;		/* out */
	__u8	__pad[7];
};

#define IUC_PIPE_INFO_SIZE_VER0		48
#define IUC_E_INFO_UNKNOWN_ID		0x20

/*
 * 0x25 CLOSE_PIPE: close both ends.
 * Errors: 0x10 unknown identifier (EBADF); 0x11 the other process already
 * terminated (ESRCH, the pipe is closed all the same); 0x20 service pipe
 * (EPERM).
 */
struct iuc_close_pipe {
	IUC_ARGS_HEADER;
	__u64	id;
};

#define IUC_CLOSE_PIPE_SIZE_VER0	16
#define IUC_E_CLOSE_UNKNOWN_ID		0x10
#define IUC_E_CLOSE_PEER_TERMINATED	0x11
#define IUC_E_CLOSE_SERVICE_PIPE	0x20

/* ---- service calls ----------------------------------------------------- */

/*
 * A service serves an application (an IPC namespace; its inode number is
 * the ANID).  A client reaches the instance registered for its own
 * effective uid, or else the application's system instance; never the
 * instance of another user.  Any process may connect to a service of any
 * application: services are the way across applications.  A connection
 * is two message pipes (64 KiB each), client to service and back; service
 * pipes refuse CLOSE_PIPE and SEND_PIPE and never send PIPE_CLOSED.
 */
#define IUC_SCOPE_USER		0	/* the instance for the caller's euid */
#define IUC_SCOPE_SYSTEM	1	/* one instance for every user */

/*
 * 0x80 REGISTER_SERVICE (IUC extension; the specification leaves open how
 * a process becomes a service): the caller becomes a service of its
 * application, for as long as its context lives.  Requests reach it once
 * it is READY.  IUC_SCOPE_SYSTEM needs CAP_SYS_ADMIN.
 * Errors: 0x10 bad @scope (EINVAL); 0x20 the caller already is a service
 * (EALREADY); 0x21 another process is that instance (EADDRINUSE); 0x22
 * IUC_SCOPE_SYSTEM without CAP_SYS_ADMIN (EPERM).
 */
struct iuc_register_service {
	IUC_ARGS_HEADER;
	__u8	scope;		/* IUC_SCOPE_* */
	__u8	__pad[7];
};

#define IUC_REGISTER_SERVICE_SIZE_VER0	16
#define IUC_E_REGISTER_BAD_SCOPE	0x10
#define IUC_E_REGISTER_ALREADY		0x20
#define IUC_E_REGISTER_TAKEN		0x21
#define IUC_E_REGISTER_NOT_PERMITTED	0x22

/*
 * 0x81 PIPE_CALL (IUC extension): PIPE_WRITE of @wcount bytes from @wbuf to
 * the SC @sc, then PIPE_READ of up to @rcount bytes from the RC @rc into
 * @rbuf, both IUC_IO_BLOCK, in one system call: a request and the wait for
 * its response, as Binder's BINDER_WRITE_READ and Zircon's zx_channel_call
 * do.  With @wcount 0 nothing is written (a server's first wait); @sc is
 * then not looked at.  The read half is PIPE_READ's: on a message pipe one
 * whole message, on a raw pipe @rcount bytes (with @rcount 0, what is
 * pending once some is).  @sc and @rc may be ends of one pipe (a loopback:
 * the caller reads its own request back).
 * @stage tells which half an error belongs to: IUC_CALL_STAGE_WRITE (the
 * codes and errnos of PIPE_WRITE; nothing was read) or IUC_CALL_STAGE_READ
 * (those of PIPE_READ).  Both ends are looked up and @rbuf is checked to be
 * a user address before anything is written: an unknown @rc or one that is
 * an SC (0x20, EBADF), or an @rbuf outside user space (0x03, EFAULT), fail
 * with @stage READ and @written 0.  Any other READ failure comes after the
 * whole request was written (@written = @wcount): an answer that does not
 * fit (0x24, EMSGSIZE, @result its length) stays in the pipe, as does what
 * could not be copied (0x03) beyond @transferred; an interrupted wait
 * (0x0F, EINTR) or a closed, drained RC (0x21, EPIPE) read nothing more.
 * @written, @result and @transferred are PIPE_WRITE's @transferred and
 * PIPE_READ's @result and @transferred.  Interrupted calls are not
 * restarted: the request was sent (or partly, @written) and is not sent
 * again.  Success writes @stage 0.  Errors besides those: 0x02 a reserved
 * field not zero (EINVAL), with @stage 0.
 * While the caller waits for the answer it may spin a few microseconds
 * before it sleeps, when the thread that last wrote to @rc is running on
 * another CPU (module parameter busy_poll_us; 0 disables it).
 */
struct iuc_pipe_call {
	IUC_ARGS_HEADER;
	__u64	sc;
	__u64	wbuf;
	__u64	wcount;
	__u64	rc;
	__u64	rbuf;
	__u64	written;	/* out */
	__u64	result;		/* out */
	__u64	transferred;	/* out */
	__u32	rcount;
	__u8	stage;		/* out: IUC_CALL_STAGE_* */
	__u8	__pad[3];
};

#define IUC_PIPE_CALL_SIZE_VER0		80
#define IUC_CALL_STAGE_WRITE		1
#define IUC_CALL_STAGE_READ		2

#define IUC_SERVICE_STRICT	0
#define IUC_SERVICE_FLEXIBLE	1
/* Default of the module parameter service_answer_delay_ms. */
#define IUC_ANSWER_DELAY_MS	1000

/*
 * 0x2A CONNECT_SERVICE: ask the service of application @anid for a
 * connection and wait, at most the answer delay, for its answer.  The
 * service gets SERVICE_CONN_REQUEST (@object = the request id); a service
 * that does not handle it is killed.  With @flexible an open connection to
 * the same instance is returned instead of failing with 0x22.
 * Errors: 0x10 bad @flexible (EINVAL); 0x20 unknown ANID: no process of
 * that application has a context (ESRCH); 0x21 the application has no
 * instance the caller may reach (ECONNREFUSED); 0x22 already connected
 * (EISCONN); 0x30 request not delivered (EAGAIN: service not READY or its
 * queue full; ECONNRESET: killed for not handling the request, or ended
 * while the request waited); 0x31 rejected (ECONNREFUSED) or not answered
 * within the delay (ETIMEDOUT); 0x0F interrupted (EINTR; the request is
 * withdrawn); 0x3D, 0x3E as OPEN_PIPE (the client creates, and is charged
 * for, both pipes of the connection).
 */
struct iuc_connect_service {
	IUC_ARGS_HEADER;
	__u32	anid;
	__u16	command;
	__u8	flexible;
	__u8	__pad;
	__u64	conn_id;	/* out */
	__u64	sc;		/* out: client to service */
	__u64	rc;		/* out: service to client */
};

#define IUC_CONNECT_SERVICE_SIZE_VER0	40
#define IUC_E_CONNECT_BAD_FLEXIBLE	0x10
#define IUC_E_CONNECT_UNKNOWN_ANID	0x20
#define IUC_E_CONNECT_NO_SERVICE	0x21
#define IUC_E_CONNECT_ALREADY		0x22
#define IUC_E_CONNECT_NOT_DELIVERED	0x30
#define IUC_E_CONNECT_REJECTED		0x31

/*
 * 0x2B END_SERVICE_CONN: the client ends a connection; both pipes close at
 * once and the client thread gets SERVICE_CLIENT_QUITTED.  Only the client
 * ends a connection.
 * Errors: 0x10 unknown connection (EBADF); 0x20 already closed: the
 * service process ended (EPIPE); 0x21 the client thread ended, the service
 * process lives (ESRCH).  With 0x20 and 0x21 the id is released too.
 */
struct iuc_end_service_conn {
	IUC_ARGS_HEADER;
	__u64	conn_id;
};

#define IUC_END_SERVICE_CONN_SIZE_VER0	16
#define IUC_E_END_UNKNOWN_CONN		0x10
#define IUC_E_END_ALREADY_CLOSED	0x20
#define IUC_E_END_SERVER_TERMINATED	0x21

/*
 * 0x2C ACCEPT_SERVICE_CONN: the service accepts request @request_id.  The
 * calling thread becomes the connection's client thread: the records of
 * the connection (SERVICE_CLIENT_CLOSED, SERVICE_CLIENT_QUITTED, @object =
 * @request_id) raise their real-time signal in that thread, and its exit
 * makes the client get SERVICE_SERVER_QUITTED.  (The specification's call
 * creates the thread; on Linux the library starts it and the new thread
 * accepts.)
 * Errors: 0x10 unknown request: never made, already answered, withdrawn by
 * an interrupted client, or long expired (EBADF); 0x20 the requester
 * terminated (ESRCH); 0x21 the calling thread already is the client thread
 * of an open connection (EBUSY, IUC extension); 0x30 answered after the
 * answer delay (ETIMEDOUT); 0x3D, 0x3E as OPEN_PIPE (the request stays
 * pending); 0x02 through io_uring (EOPNOTSUPP: its worker threads come and
 * go, none can be a client thread).
 */
struct iuc_accept_service_conn {
	IUC_ARGS_HEADER;
	__u64	request_id;
	__u64	rc;		/* out: client to service */
	__u64	sc;		/* out: service to client */
	__u8	is_client_thread; /* out: 1 */
	__u8	__pad[7];
};

#define IUC_ACCEPT_SERVICE_CONN_SIZE_VER0 40
#define IUC_E_ACCEPT_UNKNOWN_REQUEST	0x10
#define IUC_E_ACCEPT_REQUESTER_GONE	0x20
#define IUC_E_ACCEPT_BUSY		0x21
#define IUC_E_ACCEPT_TOO_LATE		0x30

/* 0x2D REJECT_SERVICE_CONN: errors 0x10, 0x20, 0x30 as ACCEPT_SERVICE_CONN. */
struct iuc_reject_service_conn {
	IUC_ARGS_HEADER;
	__u64	request_id;
};

#define IUC_REJECT_SERVICE_CONN_SIZE_VER0 16
#define IUC_E_REJECT_UNKNOWN_REQUEST	0x10
#define IUC_E_REJECT_REQUESTER_GONE	0x20
#define IUC_E_REJECT_TOO_LATE		0x30

/* ---- memory calls ------------------------------------------------------ */

#define IUC_SHARE_MUTUAL	0
#define IUC_SHARE_EXCLUSIVE	1
#define IUC_ACCESS_READ		0x80
#define IUC_ACCESS_WRITE	0x40
#define IUC_ACCESS_EXEC		0x20

/*
 * 0x33 MEM_UNMAP: the receiver drops segment @segment.
 * Errors: 0x10 unknown segment (EBADF); 0x20 caller is not its receiver
 * (EPERM).
 */
struct iuc_mem_unmap {
	IUC_ARGS_HEADER;
	__u64	segment;
};

#define IUC_MEM_UNMAP_SIZE_VER0		16
#define IUC_E_UNMAP_UNKNOWN_SEGMENT	0x10
#define IUC_E_UNMAP_NOT_RECEIVER	0x20

/*
 * 0x34 SHARE_MEM: share [@addr, @addr + @length) of the caller with
 * @target_pid.
 * Errors: 0x10 bad @notify (EINVAL); 0x11 bad @mode (EINVAL); 0x12 bad
 * @access bits (EINVAL); 0x13 mutual without access (EINVAL); 0x14
 * exclusive with access (EINVAL); 0x15 @addr not page aligned (EINVAL);
 * 0x16 @length not a page multiple (EINVAL); 0x17 @length zero (EINVAL);
 * 0x30 no room in the receiver's address space (ENOMEM); IUC extensions:
 * 0x20 no such process (ESRCH), 0x21 another application (EACCES), 0x22
 * another user (EPERM), 0x23 notification asked without RECV_SHARED_MEM
 * handler (ENOENT), 0x24 range not private anonymous memory, or (exclusive)
 * pages pinned by another user such as a mutual segment (EINVAL), 0x25
 * (exclusive) the range holds this argument struct, so the answer could
 * not be written back (EINVAL), 0x31 pinned memory limit reached (ENOMEM):
 * pinned pages are charged as the whole folios that hold them (one page
 * of a transparent huge page is charged 2 MiB), 0x03 range not mapped
 * (EFAULT).
 * The segment is known by its id (to mmap, MEM_UNMAP, UNSHARE_MEM,
 * MEM_SHARING_INFO) only once the call succeeded.  Exclusive: when the
 * call returns no other mapping, pin or reference reaches the receiver's
 * pages; a page that one still reached once the range was unmapped
 * (vmsplice, io_uring, O_DIRECT, a range moved by mremap meanwhile) is
 * handed over as a copy, its holder keeping the old page.
 */
struct iuc_share_mem {
	IUC_ARGS_HEADER;
	__u64	target_pid;
	__u64	addr;
	__u64	length;
	__u64	segment;	/* out */
	__u16	command;
	__u8	notify;
	__u8	mode;
	__u8	access;
	__u8	__pad[3];
};

#define IUC_SHARE_MEM_SIZE_VER0		48
#define IUC_E_SHARE_BAD_NOTIFY		0x10
#define IUC_E_SHARE_BAD_MODE		0x11
#define IUC_E_SHARE_BAD_ACCESS		0x12
#define IUC_E_SHARE_MUTUAL_NO_ACCESS	0x13
#define IUC_E_SHARE_EXCLUSIVE_ACCESS	0x14
#define IUC_E_SHARE_UNALIGNED		0x15
#define IUC_E_SHARE_LENGTH_NOT_PAGES	0x16
#define IUC_E_SHARE_LENGTH_ZERO		0x17
#define IUC_E_SHARE_NO_SUCH_PID		0x20
#define IUC_E_SHARE_OTHER_APPLICATION	0x21
#define IUC_E_SHARE_OTHER_USER		0x22
#define IUC_E_SHARE_NO_HANDLER		0x23
#define IUC_E_SHARE_NOT_PRIVATE_ANON	0x24
#define IUC_E_SHARE_HOLDS_ARGS		0x25
#define IUC_E_SHARE_NO_ROOM		0x30
#define IUC_E_SHARE_PIN_LIMIT		0x31

/*
 * 0x35 UNSHARE_MEM: the sharer revokes a mutual segment.
 * Errors: 0x10 unknown segment (EBADF); 0x20 exclusive segment (EPERM).
 */
struct iuc_unshare_mem {
	IUC_ARGS_HEADER;
	__u64	segment;
};

#define IUC_UNSHARE_MEM_SIZE_VER0	16
#define IUC_E_UNSHARE_UNKNOWN_SEGMENT	0x10
#define IUC_E_UNSHARE_EXCLUSIVE		0x20

/*
 * 0x36 MEM_SHARING_INFO.  Each side learns its own address only: the
 * sharer @sharer_addr (the start of a mutual segment; 0 for exclusive),
 * the receiver @receiver_addr (the start of its latest mapping, 0 if none
 * or revoked); the other side's address is always 0.
 * Errors: 0x10 unknown segment (EBADF).
 */
struct iuc_mem_sharing_info {
	IUC_ARGS_HEADER;
	__u64	segment;
	__u64	sharer_pid;	/* out */
	__u64	receiver_pid;	/* out */
	__u64	sharer_addr;	/* out */
	__u64	receiver_addr;	/* out */
	__u64	length;		/* out */
	__u16	command;	/* out */
	__u8	mode;		/* out */
	__u8	access;		/* out */
	__u8	__pad[4];
};

#define IUC_MEM_SHARING_INFO_SIZE_VER0	64
#define IUC_E_MEMINFO_UNKNOWN_SEGMENT	0x10

/*
 * 0x82 MAP_ARENA (IUC extension): map an arena of @length bytes, read and
 * write, in the caller's address space, at @addr (out): a place for the
 * exclusive segments the caller receives, made once instead of one mmap
 * per segment.  From then on SHARE_MEM places an exclusive segment to the
 * caller in a free run of pages of the arena (first fit) when one is
 * large enough; reading its RECV_SHARED_MEM record maps the pages there
 * and the record's @start is inside the arena.  MEM_UNMAP of such a
 * segment takes its pages out of the arena (accesses there raise SIGBUS
 * until another segment is placed there) and frees the run.  A mutual
 * segment, an exclusive one that finds no free run, one notified with
 * IUC_NOTIFY_SKIP that the receiver maps by id, and one whose place the
 * receiver unmapped, moved (mremap) or replaced meanwhile is mapped on its
 * own, as without an arena (its run stays taken until MEM_UNMAP).  The
 * arena is not inherited by fork and cannot grow; one per context, for
 * the context's life: when the context ends, every segment is taken out
 * of it.  munmap of the arena frees no run.
 * Errors: 0x10 @length zero, not a page multiple or above
 * IUC_ARENA_MAX_LENGTH (EINVAL); 0x20 the context has an arena already
 * (EEXIST); 0x30 no room in the caller's address space (ENOMEM).
 */
struct iuc_map_arena {
	IUC_ARGS_HEADER;
	__u64	length;
	__u64	addr;		/* out */
};

#define IUC_MAP_ARENA_SIZE_VER0		24
#define IUC_ARENA_MAX_LENGTH		0x40000000ULL	/* 1 GiB */
#define IUC_E_ARENA_BAD_LENGTH		0x10
#define IUC_E_ARENA_EXISTS		0x20
#define IUC_E_ARENA_NO_ROOM		0x30

/* ---- ioctl commands ---------------------------------------------------- */

#define IUC_IOC(nr, type)	_IOWR(IUC_IOC_MAGIC, nr, struct type)

#define IUC_IOC_HANDLE_SIGNAL	IUC_IOC(IUC_CALL_HANDLE_SIGNAL, iuc_handle_signal)
#define IUC_IOC_UNHANDLE_SIGNAL	IUC_IOC(IUC_CALL_UNHANDLE_SIGNAL, iuc_unhandle_signal)
#define IUC_IOC_IS_SIGNAL_HANDLED IUC_IOC(IUC_CALL_IS_SIGNAL_HANDLED, iuc_is_signal_handled)
#define IUC_IOC_READY		IUC_IOC(IUC_CALL_READY, iuc_ready)
#define IUC_IOC_OPEN_PIPE	IUC_IOC(IUC_CALL_OPEN_PIPE, iuc_open_pipe)
#define IUC_IOC_SEND_PIPE	IUC_IOC(IUC_CALL_SEND_PIPE, iuc_send_pipe)
#define IUC_IOC_PIPE_WRITE	IUC_IOC(IUC_CALL_PIPE_WRITE, iuc_pipe_write)
#define IUC_IOC_PIPE_READ	IUC_IOC(IUC_CALL_PIPE_READ, iuc_pipe_read)
#define IUC_IOC_PIPE_INFO	IUC_IOC(IUC_CALL_PIPE_INFO, iuc_pipe_info)
#define IUC_IOC_CLOSE_PIPE	IUC_IOC(IUC_CALL_CLOSE_PIPE, iuc_close_pipe)
#define IUC_IOC_CONNECT_SERVICE	IUC_IOC(IUC_CALL_CONNECT_SERVICE, iuc_connect_service)
#define IUC_IOC_END_SERVICE_CONN IUC_IOC(IUC_CALL_END_SERVICE_CONN, iuc_end_service_conn)
#define IUC_IOC_ACCEPT_SERVICE_CONN IUC_IOC(IUC_CALL_ACCEPT_SERVICE_CONN, iuc_accept_service_conn)
#define IUC_IOC_REJECT_SERVICE_CONN IUC_IOC(IUC_CALL_REJECT_SERVICE_CONN, iuc_reject_service_conn)
#define IUC_IOC_REGISTER_SERVICE IUC_IOC(IUC_CALL_REGISTER_SERVICE, iuc_register_service)
#define IUC_IOC_PIPE_CALL	IUC_IOC(IUC_CALL_PIPE_CALL, iuc_pipe_call)
#define IUC_IOC_MEM_UNMAP	IUC_IOC(IUC_CALL_MEM_UNMAP, iuc_mem_unmap)
#define IUC_IOC_SHARE_MEM	IUC_IOC(IUC_CALL_SHARE_MEM, iuc_share_mem)
#define IUC_IOC_UNSHARE_MEM	IUC_IOC(IUC_CALL_UNSHARE_MEM, iuc_unshare_mem)
#define IUC_IOC_MEM_SHARING_INFO IUC_IOC(IUC_CALL_MEM_SHARING_INFO, iuc_mem_sharing_info)
#define IUC_IOC_MAP_ARENA	IUC_IOC(IUC_CALL_MAP_ARENA, iuc_map_arena)

/* ---- signal records ---------------------------------------------------- */

/* PIPE_CLOSED closing types and the part held. */
#define IUC_CLOSED_BY_CALL	0
#define IUC_CLOSED_PEER_DIED	1
#define IUC_PART_RC		0
#define IUC_PART_SC		1
/* UNSHARED_MEM types */
#define IUC_UNSHARED_BY_CALL	0
#define IUC_UNSHARED_SHARER_DIED 1

/*
 * The 32-byte datafield of each signal.  The specification gives the
 * fields; their order here keeps every field naturally aligned.
 */
struct iuc_sig_recv_pipe {
	__u64	creator_pid;	/* in the receiver's PID namespace */
	__u64	id;		/* the receiver's identifier */
	__u64	size_hint;
	__u32	creator_anid;
	__u16	command;
	__u8	id_type;	/* IUC_PART_RC or IUC_PART_SC */
	__u8	mode;		/* IUC_PIPE_MODE_* */
};

struct iuc_sig_pipe_closed {
	__u64	id;
	__u8	closing_type;	/* IUC_CLOSED_* */
	__u8	part;		/* IUC_PART_* */
	__u8	__pad[22];
};

/*
 * SERVICE_CONN_REQUEST: to the service, @object = @request_id.
 * SERVICE_CLIENT_CLOSED and SERVICE_CLIENT_QUITTED have no datafield; their
 * @object is the request id the connection was accepted with, and their
 * real-time signal goes to the connection's client thread.
 * SERVICE_SERVER_QUITTED: to the client, @object = @conn_id.
 */
struct iuc_sig_service_conn_request {
	__u64	client_pid;
	__u64	request_id;
	__u16	command;
	__u16	answer_delay_ms;
	__u8	__pad[12];
};

struct iuc_sig_service_server_quitted {
	__u64	conn_id;
	__u8	__pad[24];
};

struct iuc_sig_recv_shared_mem {
	__u64	sharer_pid;
	__u64	start;		/* of the mapping in the receiver */
	__u64	length;
	__u16	command;
	__u8	mode;		/* IUC_SHARE_* */
	__u8	access;		/* IUC_ACCESS_*, 0 for exclusive */
	/*
	 * 0 when the segment was mapped at @start as the record was read;
	 * otherwise the errno of that mmap (@start is 0; the segment can
	 * still be mapped by its id), e.g. EACCES for an exclusive segment
	 * read through an O_RDONLY fd, ENOMEM for no room.
	 */
	__u32	map_errno;
};

struct iuc_sig_unshared_mem {
	__u64	segment;
	__u8	type;		/* IUC_UNSHARED_* */
	__u8	__pad[23];
};

/*
 * One signal as read(2) from an fd of /dev/iuc returns it: read returns
 * whole records only, as many as fit, and fails with EINVAL for a buffer
 * smaller than one record.  @object is the identifier the signal is about
 * (pipe id, request id, connection id or segment id), also where the
 * specification's datafield has no room for it.
 */
struct iuc_signal {
	__u8	code;		/* IUC_SIG_* */
	__u8	flags;		/* IUC_SIGNAL_* */
	__u8	__pad[6];
	union {
		__u8					raw[32];
		struct iuc_sig_recv_pipe		recv_pipe;
		struct iuc_sig_pipe_closed		pipe_closed;
		struct iuc_sig_service_conn_request	conn_request;
		struct iuc_sig_service_server_quitted	server_quitted;
		struct iuc_sig_recv_shared_mem		recv_shared_mem;
		struct iuc_sig_unshared_mem		unshared_mem;
	} data;
	__u64	object;
	__u64	__reserved[2];
};

#define IUC_SIGNAL_SIZE		64

/*
 * @flags of a record: its code is handled with a real-time signal, which
 * could not be queued (the receiver's RLIMIT_SIGPENDING was reached).  Only
 * records that cannot be refused to their sender carry it: closing records
 * and records made readable by READY.  A call whose record's signal cannot
 * be queued otherwise fails with EAGAIN and IUC_E_QUEUE_FULL instead.
 */
#define IUC_SIGNAL_RT_NOT_SENT	0x01

/*
 * The real-time signal a handled code raises is process-directed (any
 * thread that does not block it takes it), but for SERVICE_CLIENT_CLOSED
 * and SERVICE_CLIENT_QUITTED, whose signal goes to the connection's client
 * thread alone.  It carries si_code SI_ASYNCIO, the signal code in
 * si_errno (ssi_errno for signalfd), and si_pid/si_uid of the process that
 * caused it (0 for the kernel).  si_value is 0.
 */

#endif /* _UAPI_LINUX_IUC_H */
