/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IUC internal interfaces, shared by the files of the module.
 *
 * Objects and their files:
 *   main.c     - the misc device, file operations, ioctl dispatch table
 *   context.c  - per-process contexts, signal handler table, signal queue
 *   pipe.c     - pipes and the identifiers that name their ends
 *   shm.c      - shared memory segments on the sharer's pinned pages
 *   service.c  - services, their requests and connections, client threads
 *   uring.c    - the io_uring entry: native (parked) pipe calls, io-wq hand-off
 *   iuc_trace.h - trace events
 *
 * docs/design.md describes the whole: objects, lifetimes, the paths of a
 * signal and of an io_uring call, close, exit, exec, fork and unload.
 *
 * Locking overview
 * ================
 *
 * Lock order.  A lock may be taken while holding the locks above it on
 * its branch, never one below it.  Locks on different branches are never
 * held together, except as drawn.
 *
 *   ctx->read_lock (mutex)
 *     mm->mmap_lock        vm_mmap() of a RECV_SHARED_MEM record; faults
 *       seg->lock (mutex)  ->mmap, ->fault, a last put from ->close
 *     ctx->lock
 *
 *   pipe->wr_lock | pipe->rd_lock (mutex; one side, never both)
 *     pipe->io_lock (mutex)
 *       mm->mmap_lock      faults of the user copies; a reader pinning
 *         seg->lock          its own buffer to lend it (pipe.c)
 *
 *   svc->lock (mutex)      a service's requests and connections
 *     ctx->ends_lock (mutex)   of the client or of the service, one at a time
 *       pipe->lock (spinlock)
 *         ctx->lock (spinlock; of any context, the same one included)
 *           task->sighand->siglock   kill_pid_usb_asyncio(), send_sig_info()
 *     pipe->lock           publishing and closing a connection's pipes
 *     ctx->lock            posting a request or a closing record
 *
 *   ctx->segs_lock (mutex)
 *
 *   iuc_contexts_lock, iuc_pipe_users_lock, iuc_anids_lock,
 *   iuc_services_lock, iuc_client_threads_lock (spinlocks): leaves, held
 *   alone or innermost (the last put of a pipe charges back its user
 *   under whatever mutex its caller holds; a connection enters and leaves
 *   the hash of client threads under svc->lock).
 *
 * Never held together: the ends_lock (or segs_lock) of two contexts;
 * the locks of two services (the end of a client takes its connections'
 * services one after the other); no svc->lock is taken under an
 * ends_lock (iuc_pipes_release_all() closes service pipes without
 * calling into service.c);
 * ends_lock, segs_lock and read_lock of one context (iuc_context_end()
 * takes them one after the other); the locks of two pipes or of two
 * segments; seg->lock and the mapping's i_mmap_rwsem (revocation drops
 * seg->lock around unmap_mapping_range(), which it calls holding no
 * mmap_lock either, so that no receiver can make a sharer wait).  No IUC
 * lock is taken under an mmap_lock but seg->lock.  The xa_lock of an
 * xarray is innermost wherever it is taken (inside ends_lock for
 * ctx->ends, inside the receiver's segs_lock for iuc_segments).
 *
 * What each lock protects.
 *
 *   iuc_contexts_lock   the hash of live contexts (writers; lookups: RCU)
 *   ctx->lock           handler table, signal queue, nr_queued, ready, dead
 *   ctx->read_lock      one reader takes records off the queue at a time
 *   ctx->ends_lock      the identifier table ctx->ends (writers), next_id,
 *                       nr_ends, ends_closed
 *   ctx->segs_lock      the lists shared and received, segs_closed
 *   pipe->lock          each end's holder (ctx, id) and PIPE_CLOSED record,
 *                       closed, closing_type
 *   pipe->wr_lock       the specification's pipe lock of the writing side:
 *                       held by a write for its whole length
 *   pipe->rd_lock       the same for the reading side
 *   pipe->io_lock       buffer, head, used, message lengths, the last
 *                       writer; held across each copy (used and
 *                       msg_count are also read locklessly by waiters,
 *                       PIPE_CALL's busy-poll included, and PIPE_INFO);
 *                       a reader lends its buffer under it and writers
 *                       copy into a lent buffer under it, but the reader
 *                       takes it back without it: dest.state, an atomic,
 *                       says who has it (pipe.c, the direct path).
 *                       Native io_uring calls take these three only by
 *                       trylock: whoever unlocks one calls
 *                       iuc_pipe_uring_kick() after.
 *   rd_wait/wr_wait lock  a parked io_uring call's @waiting (uring.c)
 *   iuc_pipe_users_lock the per-user table of pipe charges, their bytes
 *   seg->lock           pages (NULL once unpinned), revoked, receiver_addr
 *   iuc_anids_lock      the count of live contexts per application
 *   iuc_services_lock   the registry of services, ctx->service (set once)
 *   svc->lock           the service's requests (table, list, count, next
 *                       id), dead, and of each connection to it the state,
 *                       both sides (client_held, service_held, its entries
 *                       in the client's table, the service's list and the
 *                       hash of client threads) and the pending request
 *   iuc_client_threads_lock  the hash of client threads (writers; the
 *                       exit probe reads under RCU)
 *   ctx->ends_lock      also the context's table of connections (as a
 *                       client) and conns_closed
 *
 * RCU.  Lookups take no lock: a context by PID (the hash), a pipe end by
 * identifier (ctx->ends), a segment by id (iuc_segments), a connection by
 * client thread (the exit probe), each followed by a reference taken only
 * if the count is not zero yet.  So contexts, segments and connections
 * are freed with kfree_rcu() and pipes (which embed their ends) with
 * call_rcu(); module unload waits for them with rcu_barrier().  The
 * tasks of a struct pid are looked at under RCU too, as the core does.
 *
 * Sleeping.  Everything that takes a mutex runs in process context and may
 * sleep: the calls, read(2), mmap(2), the fault handler and the vm_ops
 * (under the mmap_lock), .flush and .release, and the end of a context on
 * the iuc workqueue, as does the work that closes the connection of a
 * client thread that ended.  Three paths are atomic: the wait-queue
 * callback on the process's pidfd queue, iuc_context_exit_wake(), runs in
 * the exiting thread with the wait-queue lock and tasklist_lock held and
 * interrupts off, so it only takes a reference and queues the work that
 * ends the context; the probe on sched_process_exit, iuc_thread_exit(),
 * runs in every exiting thread with preemption off, so it returns at once
 * while there is no client thread, and otherwise only looks the thread up
 * (RCU), takes a reference and queues the connection's exit work; and the
 * RCU callback that frees a pipe.  A fourth: the wake function of a
 * parked io_uring call, iuc_uring_wake(), runs in the waker under the
 * pipe's wait-queue lock with interrupts off; it only tests the pipe
 * locklessly and queues task work, which tries the call in the
 * submitter.  Under a spinlock
 * nothing may sleep: no GFP_KERNEL allocation, no put that can be the
 * last of a pipe or a segment (they kvfree and take mutexes), so no
 * iuc_event_free() of an event with a @release callback.  (OPEN_PIPE and
 * SEND_PIPE post RECV_PIPE under pipe->lock: a plain slab event, which
 * iuc_event_post() may free there if it is refused.)
 *
 * References and lifetimes.
 *
 *   context (kref)  the file's; the hash's, until iuc_context_end(); one
 *                   per identifier-table entry; a segment's on its sharer
 *                   and its receiver; a connection's on its client and
 *                   on its service; a queued exit work's; and short ones
 *                   of lookups (iuc_context_reach(), a CONNECT_SERVICE's
 *                   on the service).  The last put frees it, and its
 *                   service registration, by kfree_rcu().
 *   service         owned by its context: in the registry from
 *                   REGISTER_SERVICE until the context ends, freed with
 *                   the context (the connections to it hold that).
 *   request         owned by its service's table: from CONNECT_SERVICE
 *                   until answered, withdrawn, swept (ten answer delays
 *                   after it was made) or the service ends.
 *   connection (kref) its client side's (table entry and ids, until
 *                   END_SERVICE_CONN or the client ends); its service
 *                   side's (list, thread hash and ids, until the client
 *                   thread ends or moves on, or the service ends); the
 *                   CONNECT call's; the closing record's while queued; a
 *                   queued exit work's; short ones of lookups.  The last
 *                   put drops its pipes, contexts and thread.
 *   pipe (refcount) the creating call's; one per identifier-table entry;
 *                   one per queued PIPE_CLOSED record (dropped by the
 *                   record's @release); one per parked io_uring call
 *                   (uring.c); short ones of lookups.  The last
 *                   put gives back the user's charge, frees the buffers
 *                   and frees the pipe by call_rcu().
 *   segment (kref)  the SHARE_MEM call's; one for the id table and the
 *                   receiver's list together; one per mapping (->open,
 *                   ->close); short ones of lookups.  The sharer's list
 *                   holds none: iuc_segment_unlink() takes it off before
 *                   the table's reference goes.  Freed by kfree_rcu().
 *   event           owned by its creator until iuc_event_post(), which
 *                   takes it over whatever the result; then by the queue
 *                   until read or purged.
 *   module          every /dev/iuc file (fops.owner) and every segment
 *                   file (__module_get()): unloading waits for all.  A
 *                   parked io_uring call holds its file through io_uring.
 *   parked call     (struct iuc_uring_park, uring.c) owned by whoever
 *                   took it off its wait queue; freed when completed.
 *   segment file    one per receiving context: the context's (until it
 *                   is freed) and one per mapping of its segments.
 *
 * Function names: _locked means that the caller holds the lock the
 * function's data needs, as its comment or lockdep_assert_held() says.
 */
#ifndef _IUC_INTERNAL_H
#define _IUC_INTERNAL_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <linux/iuc.h>

struct io_uring_cmd;
struct iuc_pipe;
struct iuc_service;
struct poll_table_struct;
struct task_struct;
struct vm_area_struct;
struct file;

/* Tunables, module parameters (main.c). */
extern unsigned int iuc_max_queued_signals;
extern unsigned int iuc_max_pipes_per_process;
extern unsigned int iuc_max_pipe_kib_per_user;
extern unsigned int iuc_service_answer_delay_ms;
extern unsigned int iuc_busy_poll_us;
/*
 * The longest spin busy_poll_us may ask for, 10 ms: a spin pays for
 * answers that come within a context switch or two; a few scheduler
 * ticks of spinning are a mistake, not a tuning.
 */
#define IUC_BUSY_POLL_MAX_US	10000U
extern unsigned int iuc_uring_parked_per_pipe;

/*
 * How an event counts against iuc_max_queued_signals.  Closing signals
 * (PIPE_CLOSED, UNSHARED_MEM) are allocated together with the object they
 * announce, so that announcing its end can never fail: they do not count.
 */
enum iuc_event_kind {
	IUC_EV_BOUNDED,		/* checked and counted when posted */
	IUC_EV_CLOSING,		/* never refused, not counted */
	IUC_EV_RESERVED,	/* counted by an earlier iuc_event_reserve() */
};

struct iuc_event {
	struct list_head	node;
	struct iuc_signal	sig;
	pid_t			cause_pid;	/* cause, in the receiver's PID namespace */
	kuid_t			cause_uid;
	enum iuc_event_kind	kind;
	/*
	 * The thread its real-time signal is directed to (the event's owner
	 * keeps a reference while it is queued); NULL: the process.
	 */
	struct task_struct	*thread;
	/*
	 * Frees an event embedded in another object (which the queued event
	 * keeps alive); NULL for events of iuc_event_alloc().
	 */
	void			(*release)(struct iuc_event *ev);
};

/* Handler table entry: not handled, or handled with this RT signal (0: none). */
#define IUC_HANDLER_NONE	0xff

/*
 * The IUC side of one process (thread group).  Created by the process's
 * open() of /dev/iuc, bound to it for its whole life: only that process
 * may use it, and it ends when the process exits or closes its last fd of
 * it, whoever still holds the file.
 */
struct iuc_context {
	struct kref		ref;
	struct rcu_head		rcu;
	struct pid		*pid;		/* the thread group; immutable */
	kuid_t			uid;		/* at open: the cause of its closing signals */
	u32			anid;		/* at open: its application (IPC namespace) */
	struct hlist_node	hnode;		/* iuc_contexts, under iuc_contexts_lock */

	/* Process exit watch: an entry on pid->wait_pidfd. */
	struct wait_queue_entry	exit_wait;
	struct work_struct	exit_work;

	/*
	 * @lock protects the handler table, the signal queue, @nr_queued,
	 * @ready and @dead.  It nests outside the target task's siglock
	 * (real-time signals are sent under it, so that they keep the order
	 * of the records).
	 */
	spinlock_t		lock;
	u8			handler[256];	/* by signal code: RT signal or IUC_HANDLER_NONE */
	struct list_head	queue;		/* of struct iuc_event */
	unsigned int		nr_queued;	/* events that count against the bound */
	bool			ready;
	bool			dead;

	wait_queue_head_t	readers;	/* read() and poll() of records */
	struct mutex		read_lock;	/* one reader takes records at a time */

	/*
	 * @ends_lock protects the identifier table @ends (writers; lookups
	 * use RCU), @next_id, @nr_ends and @ends_closed, and the table of
	 * service connections @conns with @conns_closed.  Never held
	 * together with the @ends_lock of another context.
	 */
	struct mutex		ends_lock;
	struct xarray		ends;		/* identifier -> struct iuc_pipe_end */
	u64			next_id;	/* never reused: stale ids stay stale */
	unsigned int		nr_ends;
	bool			ends_closed;	/* set when the context ends */
	struct xarray		conns;		/* as a client: connection id -> struct iuc_conn */
	bool			conns_closed;	/* set when the context ends */

	/*
	 * The service this process is (REGISTER_SERVICE), set once under
	 * iuc_services_lock; it belongs to the context and is freed with it.
	 */
	struct iuc_service	*service;

	/*
	 * @segs_lock protects the lists of shared memory segments the
	 * process shared mutually (@shared) and received (@received), and
	 * @segs_closed.  Never held together with another segs_lock.
	 */
	struct mutex		segs_lock;
	struct list_head	shared;
	struct list_head	received;
	bool			segs_closed;

	/*
	 * The file the mappings of the segments it receives map, made by the
	 * first SHARE_MEM to it (cmpxchg), released when the context is
	 * freed; and the pages of that file given out to segments so far.
	 */
	struct file		*seg_file;
	atomic64_t		seg_pages;
	/* MAP_ARENA's, set once under @segs_lock; freed with the context. */
	struct iuc_arena	*arena;
};

/* main.c */
long iuc_dispatch(struct iuc_context *ctx, unsigned int cmd, void __user *uarg);

/* uring.c */
int iuc_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags);

/* context.c */
int iuc_context_create(struct iuc_context **out);
void iuc_context_end(struct iuc_context *ctx);
void iuc_context_put(struct iuc_context *ctx);
struct iuc_context *iuc_context_reach(u64 nr);
bool iuc_context_is_current(const struct iuc_context *ctx);
bool iuc_signal_code_valid(u8 code);

struct iuc_event *iuc_event_alloc(u8 code, u64 object, enum iuc_event_kind kind);
int iuc_event_reserve(struct iuc_context *ctx, u8 code);
void iuc_event_unreserve(struct iuc_context *ctx);
void iuc_event_init(struct iuc_event *ev, u8 code, u64 object,
		    enum iuc_event_kind kind);
void iuc_event_free(struct iuc_event *ev);
int iuc_event_post(struct iuc_context *ctx, struct iuc_event *ev,
		   struct iuc_context *cause, bool require_handler);
u32 iuc_current_anid(void);
bool iuc_anid_known(u32 anid);
bool iuc_context_in_app(struct iuc_context *ctx, u32 anid);
pid_t iuc_context_pid_nr(struct iuc_context *ctx, struct pid *pid);
bool iuc_schedule(struct work_struct *work);
int iuc_context_init(void);
void iuc_context_exit(void);

long iuc_ioctl_handle_signal(struct iuc_context *ctx, void *args);
long iuc_ioctl_unhandle_signal(struct iuc_context *ctx, void *args);
long iuc_ioctl_is_signal_handled(struct iuc_context *ctx, void *args);
long iuc_ioctl_ready(struct iuc_context *ctx, void *args);

ssize_t iuc_context_read(struct iuc_context *ctx, struct file *file,
			 char __user *buf, size_t count, bool nonblock);
__poll_t iuc_context_poll(struct iuc_context *ctx, struct file *file,
			  struct poll_table_struct *wait);

/* pipe.c */
int iuc_pipe_init(void);
void iuc_pipe_exit(void);
void iuc_pipes_release_all(struct iuc_context *ctx);
long iuc_ioctl_open_pipe(struct iuc_context *ctx, void *args);
long iuc_ioctl_pipe_info(struct iuc_context *ctx, void *args);
long iuc_ioctl_close_pipe(struct iuc_context *ctx, void *args);
long iuc_ioctl_send_pipe(struct iuc_context *ctx, void *args);
long iuc_ioctl_pipe_write(struct iuc_context *ctx, void *args);
long iuc_ioctl_pipe_read(struct iuc_context *ctx, void *args);
long iuc_ioctl_pipe_call(struct iuc_context *ctx, void *args);

/* The two pipes of a service connection (pipe.c, for service.c). */
struct iuc_pipe *iuc_service_pipe_create(u16 command);
int iuc_service_pipe_attach(struct iuc_context *ctx, struct iuc_pipe *pipe,
			    u8 part, u64 *idp);
void iuc_service_pipe_publish(struct iuc_pipe *pipe, u8 part,
			      struct iuc_context *ctx, u64 id);
void iuc_service_pipe_detach(struct iuc_context *ctx, struct iuc_pipe *pipe,
			     u8 part, u64 id);
void iuc_service_pipe_close(struct iuc_pipe *pipe, struct iuc_context *closer,
			    u8 type);
void iuc_pipe_put(struct iuc_pipe *pipe);

/*
 * io_uring's native calls (pipe.c, for uring.c): a call that waits on one
 * end of one pipe, completed only all at once, tried without waiting.
 */
#define IUC_PIPE_WOULD_WAIT	1	/* a try's answer: not now */
#define IUC_PIPE_NOT_NATIVE	2	/* begin's answer: not IUC_IO_BLOCK */

struct iuc_pipe_native {
	size_t	size;		/* of its argument struct */
	u8	part;		/* the end it waits at: IUC_PART_SC or _RC */
	/*
	 * Check the arguments, find the end: 0 and a pipe reference, a
	 * failure, or IUC_PIPE_NOT_NATIVE.
	 */
	long	(*begin)(struct iuc_context *ctx, void *args, struct iuc_pipe **pipep);
	/* 0 or -errno as the ioctl would end now, or IUC_PIPE_WOULD_WAIT. */
	long	(*try)(struct iuc_pipe *pipe, void *args);
	/* Lockless, atomic context: might a try end now? */
	bool	(*ready)(struct iuc_pipe *pipe, const void *args);
	/* May it wait parked rather than in io_uring's worker? */
	bool	(*may_park)(struct iuc_pipe *pipe, const void *args);
};

extern const struct iuc_pipe_native iuc_pipe_native_write;
extern const struct iuc_pipe_native iuc_pipe_native_read;
wait_queue_head_t *iuc_pipe_native_queue(struct iuc_pipe *pipe, u8 part);
bool iuc_pipe_native_attach(struct iuc_pipe *pipe, u8 part);
void iuc_pipe_native_detach(struct iuc_pipe *pipe, u8 part);
void iuc_pipe_native_queued(void);

/* service.c */
int iuc_service_init(void);
void iuc_service_exit(void);
void iuc_services_release_all(struct iuc_context *ctx);
void iuc_service_free(struct iuc_service *svc);
long iuc_ioctl_register_service(struct iuc_context *ctx, void *args);
long iuc_ioctl_connect_service(struct iuc_context *ctx, void *args);
long iuc_ioctl_accept_service_conn(struct iuc_context *ctx, void *args);
long iuc_ioctl_reject_service_conn(struct iuc_context *ctx, void *args);
long iuc_ioctl_end_service_conn(struct iuc_context *ctx, void *args);

/* shm.c */
int iuc_shm_init(void);
void iuc_shm_exit(void);
void iuc_segments_release_all(struct iuc_context *ctx);
int iuc_segment_mmap(struct iuc_context *ctx, struct vm_area_struct *vma);
void iuc_segment_map_record(struct file *file, struct iuc_event *ev);
void iuc_segments_file_put(struct iuc_context *ctx);
long iuc_ioctl_map_arena(struct iuc_context *ctx, void *args);
long iuc_ioctl_share_mem(struct iuc_context *ctx, void *args);
long iuc_ioctl_unshare_mem(struct iuc_context *ctx, void *args);
long iuc_ioctl_mem_unmap(struct iuc_context *ctx, void *args);
long iuc_ioctl_mem_sharing_info(struct iuc_context *ctx, void *args);

/*
 * SHARE_MEM's arguments with where the caller keeps them: an exclusive
 * share must not take away the memory its answer is written back to.
 */
struct iuc_share_mem_call {
	struct iuc_share_mem	args;
	unsigned long		uaddr;
	unsigned int		usize;
};

/*
 * Failing a call.  A handler, iuc_ioctl_<call>(), returns 0 or a negative
 * errno; on failure the specification's code goes into the @error field
 * that starts its argument struct, which the dispatcher copies back (on
 * success it writes IUC_E_NONE).  Every failure site reports through
 * iuc_fail(), which does both in one statement:
 *
 *	return iuc_fail(a, IUC_E_..., -E...);
 *
 * or, where the errno comes from a helper, iuc_fail(a, code, ret) with the
 * code chosen by one of the mappings below, each shared by the calls that
 * meet that refusal.
 */
static inline long iuc_fail(void *args, u8 code, long err)
{
	*(__u32 *)args = code;
	return err;
}

/*
 * The spec code for a refusal of iuc_context_reach(): another application
 * (-EACCES), another user (-EPERM), or no such process (-ESRCH: @no_pid).
 */
static inline u8 iuc_reach_error(long err, u8 no_pid, u8 other_app,
				 u8 other_user)
{
	if (err == -EACCES)
		return other_app;
	if (err == -EPERM)
		return other_user;
	return no_pid;
}

/*
 * The spec code for a refusal of iuc_event_post() or iuc_event_reserve():
 * @no_handler (-ENOENT), the queue is full (-EAGAIN), or @gone (-ESRCH:
 * the target ended).
 */
static inline u8 iuc_post_error(long err, u8 no_handler, u8 gone)
{
	if (err == -ENOENT)
		return no_handler;
	if (err == -EAGAIN)
		return IUC_E_QUEUE_FULL;
	return gone;
}

/*
 * The spec code for a refusal to enter a pipe end in an identifier table
 * (iuc_end_attach(), iuc_service_pipe_attach()): the table is full
 * (-EMFILE), out of memory (-ENOMEM), or its context ended (-ESRCH: @gone).
 */
static inline u8 iuc_attach_error(long err, u8 gone)
{
	switch (err) {
	case -EMFILE:
		return IUC_E_LIMIT;
	case -ENOMEM:
		return IUC_E_NO_KERNEL_MEMORY;
	default:
		return gone;
	}
}

/*
 * The spec code for a failed access to the caller's memory (a copy, an
 * append to a pipe, a pin): out of kernel memory (-ENOMEM), otherwise the
 * range is not mapped as it must be.
 */
static inline u8 iuc_user_mem_error(long err)
{
	return err == -ENOMEM ? IUC_E_NO_KERNEL_MEMORY : IUC_E_UNMAPPED;
}

#endif /* _IUC_INTERNAL_H */
