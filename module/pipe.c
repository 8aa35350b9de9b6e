// SPDX-License-Identifier: GPL-2.0
/*
 * IUC pipes: one-way channels between two processes.
 *
 * A pipe has two ends, the sender channel (SC) and the receiver channel
 * (RC).  Each end is held by one context, which names it by an identifier
 * of its own: the context's identifier table maps identifiers to ends and
 * holds a reference on the pipe for each.  Identifiers come from a 64-bit
 * counter per context and are never reused, so a stale identifier can not
 * reach a newer pipe.
 *
 * Closing is for both ends at once.  The end that did not close learns it
 * by PIPE_CLOSED, allocated with the pipe so that it is always delivered.
 *
 * The pipes of a service connection (service.c) are message pipes marked
 * @service: the connection opens and closes them, CLOSE_PIPE and
 * SEND_PIPE refuse them, and their closing sends no PIPE_CLOSED (the
 * connection's own record tells it).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/hashtable.h>
#include <linux/highmem.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/sched/clock.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/refcount.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait_bit.h>

#include "iuc_internal.h"
#include "iuc_trace.h"

struct iuc_pipe_end {
	struct iuc_pipe		*pipe;
	struct iuc_context	*ctx;		/* holder, referenced; NULL once released */
	u64			id;		/* the holder's identifier */
	/*
	 * Its PIPE_CLOSED, allocated with the pipe so that it is always
	 * delivered; @closed_sent once handed to a queue, which then holds
	 * a reference on the pipe until the record is read.
	 */
	struct iuc_event	closed_ev;
	bool			closed_sent;
	u8			part;		/* IUC_PART_RC or IUC_PART_SC */
};

/*
 * The buffer of a blocked reader, lent to the writers (the direct path).
 *
 * A blocking PIPE_READ that finds the pipe empty pins the pages of its
 * buffer, at most the pipe's capacity (what its opener is charged for),
 * and lends them before it sleeps; a writer that finds them lent copies
 * straight from its own buffer into those pages, so the bytes are copied
 * once instead of twice (into the ring and out of it).  The pages stay
 * pinned (FOLL_PIN, short-term) for that one wait only: the reader takes
 * them back and unpins them before its call returns, whatever ends the
 * wait.
 *
 * @state says who has the buffer: nobody (IDLE); the writers (LENT);
 * one writer, copying into it (BUSY); given back by a writer (RETURNED:
 * full, a whole message in it, or the writer put bytes in the ring,
 * which must stay behind these).  The reader lends it under io_lock,
 * with the ring empty; a writer takes it (LENT -> BUSY) under io_lock,
 * and copies with page faults disabled, so a buffer is never BUSY for
 * longer than one memcpy: the reader takes it back (LENT or RETURNED ->
 * IDLE) without io_lock, waiting at most for that copy, so that neither
 * a signal nor a closing waits on a writer stalled in a fault of its own.
 * The other fields are the reader's while IDLE, the writer's while BUSY;
 * @done is published by the release that leaves BUSY.
 */
struct iuc_pipe_dest {
	atomic_t		state;		/* IUC_DEST_*, see above */
	unsigned int		nr_pages;
	unsigned int		offset;		/* of the first byte in pages[0] */
	u64			len;		/* bytes it takes */
	u64			done;		/* bytes the writers copied in */
	u64			reached;	/* bytes written to, counted or not */
	struct page		**pages;
};

enum {
	IUC_DEST_IDLE,
	IUC_DEST_LENT,
	IUC_DEST_BUSY,
	IUC_DEST_RETURNED,
};

struct iuc_pipe {
	refcount_t		ref;		/* table entries and calls in flight */
	struct rcu_head		rcu;

	/*
	 * @lock protects the holders of both ends (ctx and id), their
	 * closing events, @closed and @closing_type.
	 */
	spinlock_t		lock;
	struct iuc_pipe_end	end[2];		/* by IUC_PART_* */
	bool			closed;
	u8			closing_type;	/* IUC_CLOSED_*, once closed */

	/*
	 * The specification's pipe lock, one per side: a write holds @wr_lock
	 * for its whole length, waits for room included, so that its bytes
	 * stay contiguous against other writers; a read holds @rd_lock alike.
	 * A writer waiting for room holds nothing a reader needs, so a write
	 * longer than the capacity still ends.  Both nest outside @io_lock.
	 */
	struct mutex		wr_lock;	/* writes: see above */
	struct mutex		rd_lock;	/* reads: see above */
	/*
	 * @io_lock protects the buffer, @head, @used, the message lengths
	 * and @writer, and is held across each copy in or out; @used and
	 * @msg_count are also read locklessly by waiters and PIPE_INFO.
	 */
	struct mutex		io_lock;
	char			*buf;		/* @capacity bytes, allocated at first write */
	u64			head;		/* offset of the oldest byte, < @capacity */
	u64			used;		/* pending bytes, <= @capacity */
	u32			*msg_len;	/* ring of message lengths */
	u32			msg_cap;	/* its size, grown on demand up to @msg_max */
	u32			msg_head;
	u32			msg_count;
	struct iuc_pipe_dest	dest;		/* a blocked reader's buffer, see above */
	wait_queue_head_t	rd_wait;	/* readers waiting for data */
	wait_queue_head_t	wr_wait;	/* writers waiting for room */
	atomic_t		readers_waiting;	/* sleeping or spinning */
	atomic_t		writers_waiting;
	/*
	 * The thread that wrote last, by its struct pid (referenced; a
	 * thread that ended keeps only that small struct allocated), under
	 * io_lock: the one a PIPE_CALL waiting for data spins for
	 * (iuc_pipe_spin()).  Replaced only when another thread writes, so
	 * that a ping-pong takes no reference per message.
	 */
	struct pid		*writer;
	/*
	 * io_uring calls parked on @rd_wait or @wr_wait (uring.c): whoever
	 * lets go of a lock they may have found taken wakes them.
	 */
	atomic_t		uring_parked;

	/* Immutable after creation. */
	struct pid		*creator;
	struct mem_cgroup	*memcg;		/* of the creator: charged for the buffer */
	struct iuc_pipe_user	*user;		/* of the creator: charged @charge bytes */
	u64			charge;
	u64			capacity;
	u64			size_hint;
	u32			msg_max;	/* messages it may hold; 0: raw pipe */
	u16			command;
	u8			mode;
	bool			service;	/* a service connection's pipe */
};

/*
 * A pending message costs a length in the ring besides its bytes.  A
 * message pipe holds at most one message per IUC_PIPE_MSG_BYTES of its
 * capacity (4096 in 64 KiB), so that the ring is bounded by a quarter of
 * the buffer and can be charged with it when the pipe is opened; beyond,
 * the pipe is full.
 */
#define IUC_PIPE_MSG_BYTES	16

/*
 * Room for a write: the free bytes, or none on a message pipe that holds
 * all the messages it may.  Lockless for waiters and PIPE_INFO.
 */
static u64 iuc_pipe_room(struct iuc_pipe *pipe)
{
	if (pipe->msg_max && READ_ONCE(pipe->msg_count) >= pipe->msg_max)
		return 0;
	return pipe->capacity - READ_ONCE(pipe->used);
}

/*
 * Would an IUC_IO_TRY call at @end find the pipe locked: a call of its
 * side under way, or a copy of the other side's?
 */
static bool iuc_pipe_locked(struct iuc_pipe_end *end)
{
	struct iuc_pipe *pipe = end->pipe;
	struct mutex *side = end->part == IUC_PART_SC ? &pipe->wr_lock :
							&pipe->rd_lock;

	return mutex_is_locked(side) || mutex_is_locked(&pipe->io_lock);
}

/* ---- memory charged per user ------------------------------------------- */

/*
 * What the pipes a user opened may hold, their buffers and message rings,
 * is charged in full to that user at OPEN_PIPE (so that a refusal comes
 * there, not in the middle of a stream) against max_pipe_kib_per_user,
 * and given back when the pipe is freed.  One entry per user with a
 * charge.
 */
struct iuc_pipe_user {
	struct hlist_node	node;
	kuid_t			uid;
	u64			bytes;
};

/* @iuc_pipe_users_lock protects the table and every entry's @bytes. */
static DEFINE_HASHTABLE(iuc_pipe_users, 6);
static DEFINE_SPINLOCK(iuc_pipe_users_lock);

static struct iuc_pipe_user *iuc_pipe_user_find(kuid_t uid)
{
	struct iuc_pipe_user *u;

	lockdep_assert_held(&iuc_pipe_users_lock);
	hash_for_each_possible(iuc_pipe_users, u, node, __kuid_val(uid))
		if (uid_eq(u->uid, uid))
			return u;
	return NULL;
}

static bool iuc_pipe_user_fits(u64 charged, u64 bytes)
{
	u64 limit = (u64)READ_ONCE(iuc_max_pipe_kib_per_user) * SZ_1K;

	return !limit || charged + bytes <= limit;
}

/* Linux pipes' rule (fs/pipe.c): these capabilities lift the bound. */
static bool iuc_pipe_user_exempt(void)
{
	return capable(CAP_SYS_RESOURCE) || capable(CAP_SYS_ADMIN);
}

/*
 * Add @bytes to @uid's charge, unless the bound refuses them (-EDQUOT,
 * not checked if @exempt).  A user without an entry gets *@fresh, or
 * -ENOENT if there is none.  The entry charged goes to *@userp.
 */
static int iuc_pipe_user_add(kuid_t uid, u64 bytes, bool exempt,
			     struct iuc_pipe_user **fresh,
			     struct iuc_pipe_user **userp)
{
	struct iuc_pipe_user *u;
	int ret = 0;

	spin_lock(&iuc_pipe_users_lock);
	u = iuc_pipe_user_find(uid);
	if (!exempt && !iuc_pipe_user_fits(u ? u->bytes : 0, bytes)) {
		ret = -EDQUOT;
	} else if (!u && !*fresh) {
		ret = -ENOENT;
	} else {
		if (!u) {
			u = *fresh;
			*fresh = NULL;
			u->uid = uid;
			hash_add(iuc_pipe_users, &u->node, __kuid_val(uid));
		}
		u->bytes += bytes;
		*userp = u;
	}
	spin_unlock(&iuc_pipe_users_lock);
	return ret;
}

/*
 * Charge @pipe to the calling user (its real uid, as Linux charges its
 * pipes).  Capabilities are only asked for when the bound is reached, as
 * fs/pipe.c does, so that a privileged process leaves no trace otherwise.
 * Returns 0, -EDQUOT or -ENOMEM.
 */
static int iuc_pipe_charge(struct iuc_pipe *pipe)
{
	struct iuc_pipe_user *fresh = NULL;
	kuid_t uid = current_uid();
	bool exempt = false;
	int ret;

	for (;;) {
		ret = iuc_pipe_user_add(uid, pipe->charge, exempt, &fresh,
					&pipe->user);
		if (ret == -EDQUOT && !exempt && iuc_pipe_user_exempt()) {
			exempt = true;
			continue;
		}
		if (ret != -ENOENT)
			break;
		fresh = kzalloc(sizeof(*fresh), GFP_KERNEL);
		if (!fresh) {
			ret = -ENOMEM;
			break;
		}
	}
	kfree(fresh);
	return ret;
}

static void iuc_pipe_uncharge(struct iuc_pipe *pipe)
{
	struct iuc_pipe_user *u = pipe->user;

	if (!u)
		return;
	spin_lock(&iuc_pipe_users_lock);
	u->bytes -= pipe->charge;
	if (u->bytes)
		u = NULL;
	else
		hash_del(&u->node);
	spin_unlock(&iuc_pipe_users_lock);
	kfree(u);
}

/* ---- pipes -------------------------------------------------------------- */

/*
 * Pipes have a cache of their own: at about 580 bytes a pipe would take a
 * 1 KiB kmalloc object, and an idle pipe should cost what it is.
 */
static struct kmem_cache *iuc_pipe_cache;

int __init iuc_pipe_init(void)
{
	iuc_pipe_cache = KMEM_CACHE(iuc_pipe, SLAB_ACCOUNT);
	return iuc_pipe_cache ? 0 : -ENOMEM;
}

/* After rcu_barrier(): no iuc_pipe_free_rcu() is pending. */
void iuc_pipe_exit(void)
{
	kmem_cache_destroy(iuc_pipe_cache);
}

/* Lookups walk the identifier tables under RCU: free a grace period later. */
static void iuc_pipe_free_rcu(struct rcu_head *rcu)
{
	kmem_cache_free(iuc_pipe_cache, container_of(rcu, struct iuc_pipe, rcu));
}

void iuc_pipe_put(struct iuc_pipe *pipe)
{
	if (!refcount_dec_and_test(&pipe->ref))
		return;
	iuc_pipe_uncharge(pipe);
	put_pid(pipe->writer);
	kvfree(pipe->buf);
	kvfree(pipe->msg_len);
	mem_cgroup_put(pipe->memcg);
	put_pid(pipe->creator);
	call_rcu(&pipe->rcu, iuc_pipe_free_rcu);
}

/* A PIPE_CLOSED record was read or dropped: its queue's reference goes. */
static void iuc_pipe_closed_ev_release(struct iuc_event *ev)
{
	struct iuc_pipe_end *end = container_of(ev, struct iuc_pipe_end,
						closed_ev);

	iuc_pipe_put(end->pipe);
}

static struct iuc_pipe *iuc_pipe_alloc(const struct iuc_open_pipe *a)
{
	struct iuc_pipe *pipe;
	int part;

	pipe = kmem_cache_zalloc(iuc_pipe_cache, GFP_KERNEL_ACCOUNT);
	if (!pipe)
		return NULL;
	refcount_set(&pipe->ref, 1);	/* the creating call's */
	spin_lock_init(&pipe->lock);
	mutex_init(&pipe->wr_lock);
	mutex_init(&pipe->rd_lock);
	mutex_init(&pipe->io_lock);
	init_waitqueue_head(&pipe->rd_wait);
	init_waitqueue_head(&pipe->wr_wait);
	pipe->creator = get_pid(task_tgid(current));
	pipe->memcg = get_mem_cgroup_from_mm(current->mm);
	pipe->capacity = (u64)max_t(u8, a->multiplier, 1) * IUC_PIPE_UNIT;
	pipe->size_hint = a->size_hint;
	pipe->command = a->command;
	pipe->mode = a->mode;
	pipe->charge = pipe->capacity;
	if (pipe->mode == IUC_PIPE_MODE_MESSAGE) {
		pipe->msg_max = pipe->capacity / IUC_PIPE_MSG_BYTES;
		pipe->charge += (u64)pipe->msg_max * sizeof(*pipe->msg_len);
	}
	for (part = IUC_PART_RC; part <= IUC_PART_SC; part++) {
		pipe->end[part].pipe = pipe;
		pipe->end[part].part = part;
		iuc_event_init(&pipe->end[part].closed_ev, IUC_SIG_PIPE_CLOSED,
			       0, IUC_EV_CLOSING);
		pipe->end[part].closed_ev.release = iuc_pipe_closed_ev_release;
	}
	return pipe;
}

/* ---- identifier tables ------------------------------------------------- */

/*
 * Give @end an identifier in @ctx.  On success the table entry holds a
 * reference on the pipe and one on @ctx.  The end is not reachable by the
 * identifier until iuc_end_publish() names @ctx its holder.
 */
static int iuc_end_attach(struct iuc_context *ctx, struct iuc_pipe_end *end,
			  u64 *idp)
{
	u64 id;
	int ret;

	mutex_lock(&ctx->ends_lock);
	if (ctx->ends_closed) {
		ret = -ESRCH;
		goto out;
	}
	if (ctx->nr_ends >= READ_ONCE(iuc_max_pipes_per_process)) {
		ret = -EMFILE;
		goto out;
	}
	id = ctx->next_id;
	ret = xa_insert(&ctx->ends, id, end, GFP_KERNEL_ACCOUNT);
	if (ret)
		goto out;
	ctx->next_id++;
	ctx->nr_ends++;
	refcount_inc(&end->pipe->ref);
	kref_get(&ctx->ref);
	*idp = id;
out:
	mutex_unlock(&ctx->ends_lock);
	return ret;
}

/* Make @ctx the holder of @end, by identifier @id.  Under pipe->lock. */
static void iuc_end_publish(struct iuc_pipe_end *end, struct iuc_context *ctx,
			    u64 id)
{
	lockdep_assert_held(&end->pipe->lock);
	WRITE_ONCE(end->ctx, ctx);
	WRITE_ONCE(end->id, id);
}

/*
 * Take @end, named @id, out of @ctx's table and drop both references.
 * False when a concurrent call took it out already.
 */
static bool iuc_end_detach_locked(struct iuc_context *ctx,
				  struct iuc_pipe_end *end, u64 id)
{
	struct iuc_pipe *pipe = end->pipe;

	lockdep_assert_held(&ctx->ends_lock);
	if (xa_load(&ctx->ends, id) != end)
		return false;
	xa_erase(&ctx->ends, id);
	ctx->nr_ends--;

	spin_lock(&pipe->lock);
	if (end->ctx == ctx && end->id == id)	/* else SEND_PIPE moved it on */
		WRITE_ONCE(end->ctx, NULL);
	spin_unlock(&pipe->lock);

	iuc_context_put(ctx);
	iuc_pipe_put(pipe);
	return true;
}

static bool iuc_end_detach(struct iuc_context *ctx, struct iuc_pipe_end *end,
			   u64 id)
{
	bool detached;

	mutex_lock(&ctx->ends_lock);
	detached = iuc_end_detach_locked(ctx, end, id);
	mutex_unlock(&ctx->ends_lock);
	return detached;
}

/*
 * The end named @id in @ctx, with a reference on its pipe (drop it with
 * iuc_pipe_put()), or NULL.
 */
static struct iuc_pipe_end *iuc_end_lookup(struct iuc_context *ctx, u64 id)
{
	XA_STATE(xas, &ctx->ends, id);
	struct iuc_pipe_end *end;

	rcu_read_lock();
	do {
		end = xas_load(&xas);
	} while (xas_retry(&xas, end));
	if (end && !refcount_inc_not_zero(&end->pipe->ref))
		end = NULL;
	rcu_read_unlock();
	if (!end)
		return NULL;

	/* The end may have moved on between the load and the reference. */
	if (READ_ONCE(end->ctx) != ctx || READ_ONCE(end->id) != id) {
		iuc_pipe_put(end->pipe);
		return NULL;
	}
	return end;
}

/* ---- closing ----------------------------------------------------------- */

/*
 * Close @pipe from @end's side with closing type @type, unless it is
 * closed already; the other end's holder gets PIPE_CLOSED, caused by
 * @closer, unless it is a service pipe.  Returns the closing type the
 * pipe had if it was closed before, or -1.
 */
static int iuc_pipe_close(struct iuc_pipe_end *end, struct iuc_context *closer,
			  u8 type)
{
	struct iuc_pipe *pipe = end->pipe;
	struct iuc_pipe_end *peer = &pipe->end[!end->part];
	struct iuc_context *peer_ctx = NULL;
	struct iuc_event *ev = NULL;
	int was = -1;

	spin_lock(&pipe->lock);
	if (pipe->closed) {
		was = pipe->closing_type;
	} else {
		pipe->closed = true;
		pipe->closing_type = type;
		peer_ctx = pipe->service ? NULL : peer->ctx;
		if (peer_ctx && !peer->closed_sent) {
			kref_get(&peer_ctx->ref);
			refcount_inc(&pipe->ref);	/* the queue's */
			peer->closed_sent = true;
			ev = &peer->closed_ev;
			ev->sig.object = peer->id;
			ev->sig.data.pipe_closed.id = peer->id;
			ev->sig.data.pipe_closed.closing_type = type;
			ev->sig.data.pipe_closed.part = peer->part;
		}
	}
	spin_unlock(&pipe->lock);

	if (was < 0)
		trace_iuc_pipe_close(pid_nr(closer->pid), end->id, type);
	if (ev) {
		iuc_event_post(peer_ctx, ev, closer, false);
		iuc_context_put(peer_ctx);
	}
	if (was < 0) {
		wake_up_interruptible_all(&pipe->rd_wait);
		wake_up_interruptible_all(&pipe->wr_wait);
	}
	return was;
}

/* The context ends: every pipe it holds closes as "terminated". */
void iuc_pipes_release_all(struct iuc_context *ctx)
{
	struct iuc_pipe_end *end;
	unsigned long id;

	mutex_lock(&ctx->ends_lock);
	ctx->ends_closed = true;
	xa_for_each(&ctx->ends, id, end) {
		/* Not yet, or no longer, ours if a SEND_PIPE is under way. */
		if (READ_ONCE(end->ctx) == ctx && READ_ONCE(end->id) == id)
			iuc_pipe_close(end, ctx, IUC_CLOSED_PEER_DIED);
		iuc_end_detach_locked(ctx, end, id);
	}
	mutex_unlock(&ctx->ends_lock);
}

/* ---- calls ------------------------------------------------------------- */

/* RECV_PIPE for @target, which now holds @end by identifier @id. */
static void iuc_fill_recv_pipe(struct iuc_event *ev, struct iuc_pipe_end *end,
			       u64 id, struct iuc_context *target)
{
	struct iuc_sig_recv_pipe *d = &ev->sig.data.recv_pipe;
	struct iuc_pipe *pipe = end->pipe;

	ev->sig.object = id;
	d->creator_pid = iuc_context_pid_nr(target, pipe->creator);
	d->id = id;
	d->size_hint = pipe->size_hint;
	d->creator_anid = iuc_current_anid();
	d->command = pipe->command;
	d->id_type = end->part;
	d->mode = pipe->mode;
}

long iuc_ioctl_open_pipe(struct iuc_context *ctx, void *args)
{
	struct iuc_open_pipe *a = args;
	struct iuc_context *target;
	struct iuc_pipe_end *mine, *theirs;
	struct iuc_event *ev = NULL;
	struct iuc_pipe *pipe;
	long ret;

	if (memchr_inv(a->__pad, 0, sizeof(a->__pad)))
		return iuc_fail(a, IUC_E_INVALID_ARG, -EINVAL);
	a->id = 0;
	a->peer_id = 0;
	if (a->mode > IUC_PIPE_MODE_MESSAGE)
		return iuc_fail(a, IUC_E_OPEN_BAD_MODE, -EINVAL);
	if (a->notify > IUC_NOTIFY_SKIP)
		return iuc_fail(a, IUC_E_OPEN_BAD_NOTIFY, -EINVAL);
	if (a->type > IUC_PIPE_TYPE_CALLER_RECEIVES)
		return iuc_fail(a, IUC_E_INVALID_ARG, -EINVAL);

	target = iuc_context_reach(a->target_pid);
	if (IS_ERR(target)) {
		ret = PTR_ERR(target);
		return iuc_fail(a, iuc_reach_error(ret, IUC_E_OPEN_NO_SUCH_PID,
						   IUC_E_OPEN_OTHER_APPLICATION,
						   IUC_E_OPEN_OTHER_USER), ret);
	}

	pipe = iuc_pipe_alloc(a);
	if (!pipe) {
		ret = iuc_fail(a, IUC_E_NO_KERNEL_MEMORY, -ENOMEM);
		goto out_target;
	}
	ret = iuc_pipe_charge(pipe);
	if (ret) {
		iuc_fail(a, ret == -EDQUOT ? IUC_E_LIMIT : IUC_E_NO_KERNEL_MEMORY,
			 ret);
		goto out_pipe;
	}
	if (a->notify == IUC_NOTIFY) {
		ev = iuc_event_alloc(IUC_SIG_RECV_PIPE, 0, IUC_EV_BOUNDED);
		if (!ev) {
			ret = iuc_fail(a, IUC_E_NO_KERNEL_MEMORY, -ENOMEM);
			goto out_pipe;
		}
	}

	mine = &pipe->end[a->type == IUC_PIPE_TYPE_CALLER_SENDS ?
			  IUC_PART_SC : IUC_PART_RC];
	theirs = &pipe->end[!mine->part];
	ret = iuc_end_attach(ctx, mine, &a->id);
	if (ret) {
		iuc_fail(a, iuc_attach_error(ret, IUC_E_OPEN_NO_SUCH_PID), ret);
		goto out_ev;
	}
	ret = iuc_end_attach(target, theirs, &a->peer_id);
	if (ret) {
		iuc_fail(a, iuc_attach_error(ret, IUC_E_OPEN_NO_SUCH_PID), ret);
		goto out_mine;
	}

	if (ev)
		iuc_fill_recv_pipe(ev, theirs, a->peer_id, target);

	/*
	 * Both ends become reachable together with the notification, under
	 * the target's ends_lock: if the target is ending, it either has not
	 * reached its table yet and will close the pipe, or it is gone.
	 */
	mutex_lock(&target->ends_lock);
	spin_lock(&pipe->lock);
	if (target->ends_closed) {
		ret = -ESRCH;
	} else {
		iuc_end_publish(mine, ctx, a->id);
		iuc_end_publish(theirs, target, a->peer_id);
		ret = ev ? iuc_event_post(target, ev, ctx, true) : 0;
		ev = NULL;
		if (ret) {
			iuc_end_publish(mine, NULL, 0);
			iuc_end_publish(theirs, NULL, 0);
		}
	}
	spin_unlock(&pipe->lock);
	mutex_unlock(&target->ends_lock);
	if (ret) {
		iuc_fail(a, iuc_post_error(ret, IUC_E_OPEN_NO_HANDLER,
					   IUC_E_OPEN_NO_SUCH_PID), ret);
		goto out_theirs;
	}

	trace_iuc_pipe_open(task_tgid_nr(current), pid_nr(target->pid), a->id,
			    a->peer_id, pipe->capacity, pipe->mode);
	iuc_pipe_put(pipe);
	iuc_context_put(target);
	return 0;

out_theirs:
	iuc_end_detach(target, theirs, a->peer_id);
out_mine:
	iuc_end_detach(ctx, mine, a->id);
out_ev:
	iuc_event_free(ev);
out_pipe:
	iuc_pipe_put(pipe);
out_target:
	iuc_context_put(target);
	return ret;
}

long iuc_ioctl_pipe_info(struct iuc_context *ctx, void *args)
{
	struct iuc_pipe_info *a = args;
	struct iuc_pipe_end *end;
	struct iuc_pipe *pipe;
	u8 status = 0;
	u64 room;

	if (memchr_inv(a->__pad, 0, sizeof(a->__pad)))
		return iuc_fail(a, IUC_E_INVALID_ARG, -EINVAL);
	end = iuc_end_lookup(ctx, a->id);
	if (!end)
		return iuc_fail(a, IUC_E_INFO_UNKNOWN_ID, -EBADF);
	pipe = end->pipe;

	room = iuc_pipe_room(pipe);
	if (!READ_ONCE(pipe->closed))
		status |= IUC_PIPE_OPENED;
	if (pipe->mode == IUC_PIPE_MODE_MESSAGE)
		status |= IUC_PIPE_MESSAGE;
	if (!room)
		status |= IUC_PIPE_FULL;
	if (iuc_pipe_locked(end))
		status |= IUC_PIPE_LOCKED;
	if (atomic_read(&pipe->writers_waiting))
		status |= IUC_PIPE_WRITE_PENDING;
	if (atomic_read(&pipe->readers_waiting))
		status |= IUC_PIPE_READ_PENDING;
	if (end->part == IUC_PART_SC)
		status |= IUC_PIPE_IS_SC;

	a->status = status;
	a->capacity = pipe->capacity;
	a->room = room;
	a->creator_pid = pid_vnr(pipe->creator);
	iuc_pipe_put(pipe);
	return 0;
}

long iuc_ioctl_close_pipe(struct iuc_context *ctx, void *args)
{
	struct iuc_close_pipe *a = args;
	struct iuc_pipe_end *end;
	int was;

	end = iuc_end_lookup(ctx, a->id);
	if (!end)
		return iuc_fail(a, IUC_E_CLOSE_UNKNOWN_ID, -EBADF);
	if (end->pipe->service) {
		iuc_pipe_put(end->pipe);
		return iuc_fail(a, IUC_E_CLOSE_SERVICE_PIPE, -EPERM);
	}

	was = iuc_pipe_close(end, ctx, IUC_CLOSED_BY_CALL);
	iuc_end_detach(ctx, end, a->id);
	iuc_pipe_put(end->pipe);
	if (was == IUC_CLOSED_PEER_DIED)
		return iuc_fail(a, IUC_E_CLOSE_PEER_TERMINATED, -ESRCH);
	return 0;
}

long iuc_ioctl_send_pipe(struct iuc_context *ctx, void *args)
{
	struct iuc_send_pipe *a = args;
	struct iuc_context *target;
	struct iuc_event *ev = NULL;
	struct iuc_pipe_end *end;
	struct iuc_pipe *pipe;
	u64 old_id = a->id;
	long ret;

	if (memchr_inv(a->__pad, 0, sizeof(a->__pad)))
		return iuc_fail(a, IUC_E_INVALID_ARG, -EINVAL);
	a->peer_id = 0;
	if (a->notify > IUC_NOTIFY_SKIP)
		return iuc_fail(a, IUC_E_SEND_BAD_NOTIFY, -EINVAL);
	end = iuc_end_lookup(ctx, old_id);
	if (!end)
		return iuc_fail(a, IUC_E_SEND_UNKNOWN_ID, -EBADF);
	pipe = end->pipe;
	if (pipe->service) {
		ret = iuc_fail(a, IUC_E_SEND_SERVICE_PIPE, -EPERM);
		goto out_pipe;
	}

	target = iuc_context_reach(a->target_pid);
	if (IS_ERR(target)) {
		ret = PTR_ERR(target);
		iuc_fail(a, iuc_reach_error(ret, IUC_E_SEND_NO_SUCH_PID,
					    IUC_E_SEND_OTHER_APPLICATION,
					    IUC_E_SEND_OTHER_USER), ret);
		goto out_pipe;
	}
	if (a->notify == IUC_NOTIFY) {
		ev = iuc_event_alloc(IUC_SIG_RECV_PIPE, 0, IUC_EV_BOUNDED);
		if (!ev) {
			ret = iuc_fail(a, IUC_E_NO_KERNEL_MEMORY, -ENOMEM);
			goto out_target;
		}
	}
	ret = iuc_end_attach(target, end, &a->peer_id);
	if (ret) {
		iuc_event_free(ev);
		iuc_fail(a, iuc_attach_error(ret, IUC_E_SEND_NO_SUCH_PID), ret);
		goto out_target;
	}
	if (ev)
		iuc_fill_recv_pipe(ev, end, a->peer_id, target);

	/*
	 * The end changes hands together with the notification, so that
	 * a concurrent close announces it to exactly one holder.
	 */
	mutex_lock(&target->ends_lock);	/* see iuc_ioctl_open_pipe() */
	spin_lock(&pipe->lock);
	if (target->ends_closed) {
		ret = -ESRCH;
	} else if (end->ctx != ctx || end->id != old_id) {
		ret = -EBADF;		/* closed or sent by a concurrent call */
	} else {
		iuc_end_publish(end, target, a->peer_id);
		ret = ev ? iuc_event_post(target, ev, ctx, true) : 0;
		ev = NULL;
		if (ret)
			iuc_end_publish(end, ctx, old_id);
	}
	spin_unlock(&pipe->lock);
	mutex_unlock(&target->ends_lock);
	iuc_event_free(ev);

	if (ret) {
		iuc_end_detach(target, end, a->peer_id);
		iuc_fail(a, ret == -EBADF ? IUC_E_SEND_UNKNOWN_ID :
			 iuc_post_error(ret, IUC_E_SEND_NO_HANDLER,
					IUC_E_SEND_NO_SUCH_PID), ret);
		a->peer_id = 0;
	} else {
		iuc_end_detach(ctx, end, old_id);
	}
out_target:
	iuc_context_put(target);
out_pipe:
	iuc_pipe_put(pipe);
	return ret;
}

/* ---- service pipes ----------------------------------------------------- */

/*
 * One pipe of a service connection: a message pipe of IUC_PIPE_UNIT bytes,
 * charged to the caller (the client) as OPEN_PIPE charges.  ERR_PTR of
 * -ENOMEM or -EDQUOT.
 */
struct iuc_pipe *iuc_service_pipe_create(u16 command)
{
	const struct iuc_open_pipe a = {
		.command	= command,
		.multiplier	= 1,
		.mode		= IUC_PIPE_MODE_MESSAGE,
	};
	struct iuc_pipe *pipe;
	int ret;

	pipe = iuc_pipe_alloc(&a);
	if (!pipe)
		return ERR_PTR(-ENOMEM);
	pipe->service = true;
	ret = iuc_pipe_charge(pipe);
	if (ret) {
		iuc_pipe_put(pipe);
		return ERR_PTR(ret);
	}
	return pipe;
}

/*
 * Give end @part of @pipe an identifier in @ctx, not reachable until
 * iuc_service_pipe_publish().  0, -EMFILE, -ENOMEM or -ESRCH (ended).
 */
int iuc_service_pipe_attach(struct iuc_context *ctx, struct iuc_pipe *pipe,
			    u8 part, u64 *idp)
{
	return iuc_end_attach(ctx, &pipe->end[part], idp);
}

/*
 * Make @ctx the holder of end @part, by @id.  The caller (service.c)
 * makes sure that @ctx has not released its table yet: the end of a
 * context releases its connections, under the lock the caller holds,
 * before its pipes.
 */
void iuc_service_pipe_publish(struct iuc_pipe *pipe, u8 part,
			      struct iuc_context *ctx, u64 id)
{
	spin_lock(&pipe->lock);
	iuc_end_publish(&pipe->end[part], ctx, id);
	spin_unlock(&pipe->lock);
}

/* Take end @part, named @id, out of @ctx's table, if it is still there. */
void iuc_service_pipe_detach(struct iuc_context *ctx, struct iuc_pipe *pipe,
			     u8 part, u64 id)
{
	iuc_end_detach(ctx, &pipe->end[part], id);
}

/* Close both ends of a service pipe; nobody gets PIPE_CLOSED. */
void iuc_service_pipe_close(struct iuc_pipe *pipe, struct iuc_context *closer,
			    u8 type)
{
	iuc_pipe_close(&pipe->end[IUC_PART_SC], closer, type);
}

/* ---- data -------------------------------------------------------------- */

/* The buffer, allocated at first use and charged to the creator's memcg. */
static int iuc_pipe_alloc_buffer(struct iuc_pipe *pipe)
{
	struct mem_cgroup *old;

	if (likely(pipe->buf))
		return 0;
	old = set_active_memcg(pipe->memcg);
	pipe->buf = kvmalloc(pipe->capacity, GFP_KERNEL_ACCOUNT);
	set_active_memcg(old);
	return pipe->buf ? 0 : -ENOMEM;
}

/*
 * Make room in the ring for one more message length, right before it is
 * stored: whoever held io_lock meanwhile may have used the room seen
 * before.  The caller saw fewer than @msg_max messages.  Under io_lock.
 */
static int iuc_pipe_reserve_msg(struct iuc_pipe *pipe)
{
	struct mem_cgroup *old;
	u32 cap, i, *lens;

	if (pipe->msg_count < pipe->msg_cap)
		return 0;
	cap = clamp_t(u32, pipe->msg_cap * 2, 16, pipe->msg_max);
	old = set_active_memcg(pipe->memcg);
	lens = kvmalloc_array(cap, sizeof(*lens), GFP_KERNEL_ACCOUNT);
	set_active_memcg(old);
	if (!lens)
		return -ENOMEM;
	for (i = 0; i < pipe->msg_count; i++)
		lens[i] = pipe->msg_len[(pipe->msg_head + i) % pipe->msg_cap];
	kvfree(pipe->msg_len);
	pipe->msg_len = lens;
	pipe->msg_cap = cap;
	pipe->msg_head = 0;
	return 0;
}

/*
 * Copy up to @n bytes from @src behind the pending data, never more than
 * the room: @used stays within @capacity and @head + @used wraps at most
 * once.  Returns the count copied or -EFAULT.  Under io_lock.
 */
static long iuc_pipe_copy_in(struct iuc_pipe *pipe, const char __user *src, u64 n)
{
	u64 tail = pipe->head + pipe->used;
	u64 first;

	n = min(n, pipe->capacity - pipe->used);
	if (tail >= pipe->capacity)
		tail -= pipe->capacity;
	first = min(n, pipe->capacity - tail);
	if (copy_from_user(pipe->buf + tail, src, first))
		return -EFAULT;
	if (n > first && copy_from_user(pipe->buf, src + first, n - first))
		return -EFAULT;
	WRITE_ONCE(pipe->used, pipe->used + n);
	return n;
}

/*
 * Take up to @n pending bytes out to @dst, never more than are pending:
 * @used can not wrap, and no byte that was not written is copied out.
 * Returns the count copied or -EFAULT.  Under io_lock.
 */
static long iuc_pipe_copy_out(struct iuc_pipe *pipe, char __user *dst, u64 n)
{
	u64 first;

	n = min(n, pipe->used);
	first = min(n, pipe->capacity - pipe->head);
	if (copy_to_user(dst, pipe->buf + pipe->head, first))
		return -EFAULT;
	if (n > first && copy_to_user(dst + first, pipe->buf, n - first))
		return -EFAULT;
	pipe->head += n;
	if (pipe->head >= pipe->capacity)
		pipe->head -= pipe->capacity;
	WRITE_ONCE(pipe->used, pipe->used - n);
	return n;
}

/*
 * Append @n bytes from @src, as one message on a message pipe.  The
 * caller saw room for them.  Returns the count written, -EFAULT or
 * -ENOMEM.  Under io_lock.
 */
static long iuc_pipe_append(struct iuc_pipe *pipe, const char __user *src, u64 n)
{
	long ret;

	if (!pipe->msg_max)
		return iuc_pipe_copy_in(pipe, src, n);
	ret = iuc_pipe_reserve_msg(pipe);
	if (!ret)
		ret = iuc_pipe_copy_in(pipe, src, n);
	if (ret <= 0)
		return ret;
	pipe->msg_len[(pipe->msg_head + pipe->msg_count) % pipe->msg_cap] = ret;
	WRITE_ONCE(pipe->msg_count, pipe->msg_count + 1);
	return ret;
}

/*
 * Wake the other side.  The waiter sets its task state before testing
 * its condition, and wq_has_sleeper() orders our update before the test
 * of the queue, so that an empty queue can be skipped without a lost
 * wake-up.  Synchronous: the waker usually blocks next, as in a ping-pong.
 */
static void iuc_pipe_wake(wait_queue_head_t *wq)
{
	if (wq_has_sleeper(wq))
		wake_up_interruptible_sync(wq);
}

static bool iuc_pipe_has_room(struct iuc_pipe *pipe, u64 need)
{
	return iuc_pipe_room(pipe) >= need || READ_ONCE(pipe->closed);
}

static bool iuc_pipe_has_data(struct iuc_pipe *pipe, u64 need)
{
	return READ_ONCE(pipe->used) || READ_ONCE(pipe->closed);
}

/*
 * A lock of @pipe was let go: wake the io_uring calls parked on it, which
 * take the locks only by trylock and may have found this one taken.  The
 * barrier orders the unlock before the test of the count; it pairs with
 * the one of iuc_pipe_native_queued() (after the count, before the test of
 * the locks), so that one side sees the other.
 */
static void iuc_pipe_uring_kick(struct iuc_pipe *pipe)
{
	smp_mb();	/* the unlock before the count: see above */
	if (unlikely(atomic_read(&pipe->uring_parked))) {
		wake_up_all(&pipe->rd_wait);
		wake_up_all(&pipe->wr_wait);
	}
}

/*
 * Take the lock of one side, @side (wr_lock or rd_lock), then io_lock,
 * for a call in @mode: IUC_IO_TRY waits for neither.  Returns 0, -EAGAIN
 * (locked) or -EINTR.
 */
static int iuc_pipe_lock(struct iuc_pipe *pipe, struct mutex *side, u8 mode)
{
	if (mode == IUC_IO_TRY) {
		if (!mutex_trylock(side))
			return -EAGAIN;
		if (mutex_trylock(&pipe->io_lock))
			return 0;
		mutex_unlock(side);
		iuc_pipe_uring_kick(pipe);
		return -EAGAIN;
	}
	if (mutex_lock_interruptible(side))
		return -EINTR;
	if (!mutex_lock_interruptible(&pipe->io_lock))
		return 0;
	mutex_unlock(side);
	iuc_pipe_uring_kick(pipe);
	return -EINTR;
}

static void iuc_pipe_unlock(struct iuc_pipe *pipe, struct mutex *side)
{
	mutex_unlock(&pipe->io_lock);
	mutex_unlock(side);
	iuc_pipe_uring_kick(pipe);
}

/*
 * Is @peer, the thread an answer is expected from, running or about to
 * run on another CPU than ours?  Then its answer may come sooner than a
 * sleep and a wake-up would take.  "About to run" includes a thread that
 * is being woken (TASK_WAKING: our request's wake-up may still be on
 * its way to the other CPU, not yet on a run queue).  Not if it shares
 * our CPU (it runs only once we stop), and not once it sleeps (it waits
 * for something else than our request).  Lockless and approximate: we
 * may migrate, the peer may too; it only chooses between spinning on
 * and sleeping now.
 */
static bool iuc_pipe_peer_busy(struct task_struct *peer)
{
	return (READ_ONCE(peer->on_rq) ||
		READ_ONCE(peer->__state) == TASK_WAKING) &&
	       task_cpu(peer) != raw_smp_processor_id();
}

/*
 * Spin, for at most busy_poll_us, while @peer is busy on another CPU and
 * @ready(@pipe, @need) does not hold yet: the waiter's lockless test.  It
 * stops as soon as the scheduler wants the CPU back or a signal is
 * pending, so that it never delays another task or the signal; the wait
 * that follows then returns or sleeps as usual.  True if @ready holds.
 */
static bool iuc_pipe_spin(struct iuc_pipe *pipe, struct task_struct *peer,
			  bool (*ready)(struct iuc_pipe *pipe, u64 need),
			  u64 need)
{
	unsigned int us = min(READ_ONCE(iuc_busy_poll_us), IUC_BUSY_POLL_MAX_US);
	u64 end;

	if (!us || !peer || num_online_cpus() < 2)
		return false;
	end = local_clock() + (u64)us * NSEC_PER_USEC;
	while (iuc_pipe_peer_busy(peer)) {
		if (ready(pipe, need))
			return true;
		if (need_resched() || signal_pending(current) ||
		    local_clock() >= end)
			break;
		cpu_relax();
	}
	return false;
}

/*
 * Wait, with io_lock dropped and the side's lock kept, until
 * @ready(@pipe, @need) holds: first spinning while @spin_for (NULL: no
 * spin) is busy elsewhere, see iuc_pipe_spin(), then sleeping.  Returns
 * 0 with io_lock taken again, or -EINTR without it.
 */
static int iuc_pipe_wait(struct iuc_pipe *pipe, wait_queue_head_t *wq,
			 atomic_t *waiting,
			 bool (*ready)(struct iuc_pipe *pipe, u64 need), u64 need,
			 struct task_struct *spin_for)
{
	int ret = 0;

	mutex_unlock(&pipe->io_lock);
	iuc_pipe_uring_kick(pipe);
	atomic_inc(waiting);
	if (!iuc_pipe_spin(pipe, spin_for, ready, need))
		ret = wait_event_interruptible(*wq, ready(pipe, need));
	atomic_dec(waiting);
	if (ret || mutex_lock_interruptible(&pipe->io_lock))
		return -EINTR;
	return 0;
}

/* The calling thread writes to @pipe: remember it.  Under io_lock. */
static void iuc_pipe_note_writer(struct iuc_pipe *pipe)
{
	struct pid *old = pipe->writer;

	if (likely(old == task_pid(current)))
		return;
	pipe->writer = get_pid(task_pid(current));
	put_pid(old);
}

/* ---- the direct path: a blocked reader's buffer, lent to the writers ---- */

/*
 * A read lends its buffer only for this many bytes or more: below, pinning
 * and unpinning its pages costs about what the second copy would, and a
 * small read keeps the ring path.
 */
#define IUC_PIPE_LEND_MIN	SZ_8K

/*
 * Lend @len bytes of the reader's buffer at @dst to the writers, as many
 * of them as can be pinned for writing from the first.  False if none
 * can (read-only, not mapped, not ordinary memory) or on low memory:
 * then the reader waits as it always did, and the copy out of the ring
 * meets the fault where it did.  Pinning for writing breaks COW here, in
 * the reader.  Under io_lock (the pin faults in the reader's own mm, as
 * its copies do), with the ring empty.
 */
static bool iuc_pipe_lend(struct iuc_pipe *pipe, char __user *dst, u64 len)
{
	struct iuc_pipe_dest *d = &pipe->dest;
	unsigned long addr = (unsigned long)dst;
	int nr, pinned;

	d->offset = offset_in_page(addr);
	nr = DIV_ROUND_UP(d->offset + len, PAGE_SIZE);
	d->pages = kmalloc_array(nr, sizeof(*d->pages), GFP_KERNEL | __GFP_NOWARN);
	if (!d->pages)
		return false;
	pinned = pin_user_pages_fast(addr & PAGE_MASK, nr, FOLL_WRITE, d->pages);
	if (pinned <= 0) {
		kfree(d->pages);
		d->pages = NULL;
		return false;
	}
	d->nr_pages = pinned;
	d->len = min_t(u64, len, (u64)pinned * PAGE_SIZE - d->offset);
	d->done = 0;
	d->reached = 0;
	atomic_set_release(&d->state, IUC_DEST_LENT);
	return true;
}

/*
 * Take the lent buffer back, whatever ended the wait: wait for a writer
 * copying into it (one memcpy, it does not fault), unpin the pages
 * (dirty where written) and return the bytes the writers put in it.
 * The reader's, without io_lock.
 */
static u64 iuc_pipe_take_back(struct iuc_pipe *pipe)
{
	struct iuc_pipe_dest *d = &pipe->dest;
	unsigned int dirty;

	/* Fully ordered when it succeeds: @done and @reached are seen. */
	while (atomic_cmpxchg(&d->state, IUC_DEST_LENT,
			      IUC_DEST_IDLE) != IUC_DEST_LENT &&
	       atomic_cmpxchg(&d->state, IUC_DEST_RETURNED,
			      IUC_DEST_IDLE) != IUC_DEST_RETURNED)
		wait_var_event(&d->state,
			       atomic_read(&d->state) != IUC_DEST_BUSY);
	dirty = DIV_ROUND_UP(d->reached ? d->offset + d->reached : 0, PAGE_SIZE);
	unpin_user_pages_dirty_lock(d->pages, dirty, true);
	unpin_user_pages(d->pages + dirty, d->nr_pages - dirty);
	kfree(d->pages);
	d->pages = NULL;
	return d->done;
}

/*
 * Copy @n bytes from the writer's @src into the lent pages behind what
 * they hold, with page faults disabled: the copy stops at a page of
 * @src that is not present.  Returns the count copied.
 */
static u64 iuc_pipe_copy_to_dest(struct iuc_pipe_dest *d,
				 const char __user *src, u64 n)
{
	u64 pos = d->offset + d->done, copied = 0;

	pagefault_disable();
	while (copied < n) {
		struct page *page = d->pages[pos >> PAGE_SHIFT];
		size_t off = offset_in_page(pos);
		size_t chunk = min_t(u64, PAGE_SIZE - off, n - copied);
		char *kaddr = kmap_local_page(page);
		size_t left;

		left = __copy_from_user_inatomic(kaddr + off, src + copied, chunk);
		kunmap_local(kaddr);
		flush_dcache_page(page);
		copied += chunk - left;
		pos += chunk - left;
		if (left)
			break;
	}
	pagefault_enable();
	return copied;
}

/*
 * Copy up to @n bytes from @src straight into a lent buffer, if there is
 * one: raw bytes as far as they fit, a message only whole.  What is not
 * copied goes through the ring, and a fault of @src is taken there.  The
 * buffer goes back to its reader (and wakes it) when it is full, holds a
 * message, or some bytes are left over for the ring, which must come
 * after it; otherwise it stays lent for more.  Returns the count copied.
 * Under io_lock.
 */
static u64 iuc_pipe_fill_dest(struct iuc_pipe *pipe, const char __user *src,
			      u64 n, bool message)
{
	struct iuc_pipe_dest *d = &pipe->dest;
	u64 copied = 0;
	int next;

	if (atomic_read(&d->state) != IUC_DEST_LENT ||
	    atomic_cmpxchg_acquire(&d->state, IUC_DEST_LENT,
				   IUC_DEST_BUSY) != IUC_DEST_LENT)
		return 0;
	if (!message || n <= d->len)
		copied = iuc_pipe_copy_to_dest(d, src, min(n, d->len - d->done));
	d->reached = max(d->reached, d->done + copied);
	if (message && copied < n)
		copied = 0;	/* the pages hold a part: nothing counts */
	d->done += copied;
	next = message || copied < n || d->done == d->len ?
		IUC_DEST_RETURNED : IUC_DEST_LENT;
	/* The release publishes @done and @reached with the new state. */
	atomic_xchg_release(&d->state, next);
	/* State before the test of wake_up_var(): pairs with its waiter's. */
	smp_mb__after_atomic();
	wake_up_var(&d->state);
	if (next == IUC_DEST_RETURNED)
		iuc_pipe_wake(&pipe->rd_wait);
	return copied;
}

static bool iuc_pipe_dest_returned(struct iuc_pipe *pipe, u64 need)
{
	return atomic_read(&pipe->dest.state) == IUC_DEST_RETURNED ||
		READ_ONCE(pipe->closed);
}

/*
 * How much of its buffer a blocking read that found the pipe empty lends:
 * what it still wants, within the capacity (and a message's maximum); 0:
 * too little to be worth it.
 */
static u64 iuc_pipe_lend_len(struct iuc_pipe *pipe, struct iuc_pipe_read *a,
			     bool message)
{
	u64 n = min(a->count - a->transferred, pipe->capacity);

	if (message)
		n = min_t(u64, n, IUC_MESSAGE_MAX);
	return n >= IUC_PIPE_LEND_MIN ? n : 0;
}

/*
 * Wait for data with the buffer lent, as iuc_pipe_wait(), and take the
 * buffer back; what the writers put in it counts in @a->transferred, a
 * message's length in @a->result too.  Returns 0 with io_lock taken
 * again, -EINTR without it, or 1 if the read is complete: then *@locked
 * says whether io_lock was taken again (not if a signal came as well:
 * the bytes are the reader's, the call succeeds).
 */
static int iuc_pipe_wait_lent(struct iuc_pipe *pipe, struct iuc_pipe_read *a,
			      bool message, bool *locked)
{
	int intr = iuc_pipe_wait(pipe, &pipe->rd_wait, &pipe->readers_waiting,
				 iuc_pipe_dest_returned, 0, NULL);
	u64 done = iuc_pipe_take_back(pipe);

	a->transferred += done;
	if (message && done)
		a->result = done;
	*locked = !intr;
	if (message ? done : a->transferred == a->count)
		return 1;
	return intr;
}

static long iuc_pipe_do_write(struct iuc_pipe *pipe, struct iuc_pipe_write *a)
{
	bool message = pipe->mode == IUC_PIPE_MODE_MESSAGE;
	const char __user *src = u64_to_user_ptr(a->buf);
	u64 need, room;
	long ret, n;

	if (message && a->count > IUC_MESSAGE_MAX)
		return iuc_fail(a, IUC_E_WRITE_MESSAGE_TOO_LONG, -EMSGSIZE);
	if (message && a->mode == IUC_IO_PARTIAL)
		return iuc_fail(a, IUC_E_WRITE_MESSAGE_PARTIAL, -EINVAL);
	if (!a->count) {
		a->result = a->mode == IUC_IO_BLOCK ? iuc_pipe_room(pipe) : 0;
		return 0;
	}
	if (!access_ok(src, a->count))
		return iuc_fail(a, IUC_E_UNMAPPED, -EFAULT);

	ret = iuc_pipe_lock(pipe, &pipe->wr_lock, a->mode);
	if (ret == -EAGAIN) {
		a->result = IUC_TRY_LOCKED;
		return iuc_fail(a, IUC_E_WRITE_NO_ROOM, ret);
	}
	if (ret)
		return iuc_fail(a, IUC_E_INTERRUPTED, ret);
	ret = iuc_pipe_alloc_buffer(pipe);
	if (ret) {
		ret = iuc_fail(a, IUC_E_NO_KERNEL_MEMORY, ret);
		goto out;
	}

	/* Messages go whole; raw data in pieces, unless IUC_IO_TRY. */
	need = message || a->mode == IUC_IO_TRY ? a->count : 1;
	for (;;) {
		if (READ_ONCE(pipe->closed)) {
			ret = iuc_fail(a, IUC_E_WRITE_CLOSED, -EPIPE);
			break;
		}
		room = iuc_pipe_room(pipe);
		if (room >= need || a->mode == IUC_IO_PARTIAL) {
			/* Into a blocked reader's buffer first: the ring is empty. */
			n = iuc_pipe_fill_dest(pipe, src + a->transferred,
					       a->count - a->transferred, message);
			if (n) {
				a->transferred += n;
				iuc_pipe_note_writer(pipe);
			}
			n = min(room, a->count - a->transferred);
			if (n) {
				n = iuc_pipe_append(pipe, src + a->transferred, n);
				if (n < 0) {
					ret = iuc_fail(a, iuc_user_mem_error(n), n);
					break;
				}
				a->transferred += n;
				iuc_pipe_note_writer(pipe);
				iuc_pipe_wake(&pipe->rd_wait);
			}
			if (a->transferred == a->count || a->mode != IUC_IO_BLOCK)
				break;
			continue;
		}
		if (a->mode == IUC_IO_TRY) {
			a->result = IUC_TRY_NOT_ENOUGH;
			ret = iuc_fail(a, IUC_E_WRITE_NO_ROOM, -EAGAIN);
			break;
		}
		if (iuc_pipe_wait(pipe, &pipe->wr_wait, &pipe->writers_waiting,
				  iuc_pipe_has_room, need, NULL)) {
			mutex_unlock(&pipe->wr_lock);
			iuc_pipe_uring_kick(pipe);
			return iuc_fail(a, IUC_E_INTERRUPTED, -EINTR);
		}
	}
	if (!ret)
		a->result = a->mode == IUC_IO_BLOCK ? iuc_pipe_room(pipe) :
			a->transferred;
out:
	iuc_pipe_unlock(pipe, &pipe->wr_lock);
	return ret;
}

/* One whole message out, if one is pending.  Under io_lock. */
static long iuc_pipe_read_message(struct iuc_pipe *pipe, struct iuc_pipe_read *a)
{
	u32 len = pipe->msg_len[pipe->msg_head];
	long n;

	a->result = len;
	if (a->count && len > a->count)
		return iuc_fail(a, IUC_E_READ_BUFFER_TOO_SMALL, -EMSGSIZE);
	n = iuc_pipe_copy_out(pipe, u64_to_user_ptr(a->buf), len);
	if (n < 0)
		return iuc_fail(a, IUC_E_UNMAPPED, n);
	pipe->msg_head = (pipe->msg_head + 1) % pipe->msg_cap;
	WRITE_ONCE(pipe->msg_count, pipe->msg_count - 1);
	a->transferred = n;
	return 0;
}

/*
 * The thread to spin for before a read of @pipe sleeps, referenced (drop
 * it with put_task_struct()), or NULL: none known or alive, or no
 * spinning.  Under io_lock.
 */
static struct task_struct *iuc_pipe_spin_target(struct iuc_pipe *pipe,
						bool spin)
{
	struct task_struct *peer;

	if (!spin || !pipe->writer || !READ_ONCE(iuc_busy_poll_us))
		return NULL;
	rcu_read_lock();
	peer = pid_task(pipe->writer, PIDTYPE_PID);
	if (peer)
		get_task_struct(peer);
	rcu_read_unlock();
	return peer;
}

/*
 * PIPE_READ of @a on @pipe.  @spin: a PIPE_CALL's read half, which spins
 * a while for its answer before it sleeps (iuc_pipe_spin()).
 */
static long iuc_pipe_do_read(struct iuc_pipe *pipe, struct iuc_pipe_read *a,
			     bool spin)
{
	struct task_struct *peer;
	bool message = pipe->mode == IUC_PIPE_MODE_MESSAGE;
	char __user *dst = u64_to_user_ptr(a->buf);
	bool locked = true;
	long ret, n;
	int intr;
	u64 lend;

	if (message && a->mode == IUC_IO_PARTIAL)
		return iuc_fail(a, IUC_E_READ_MESSAGE_PARTIAL, -EINVAL);
	if (a->count && !access_ok(dst, a->count))
		return iuc_fail(a, IUC_E_UNMAPPED, -EFAULT);

	ret = iuc_pipe_lock(pipe, &pipe->rd_lock, a->mode);
	if (ret == -EAGAIN) {
		a->result = IUC_TRY_LOCKED;
		return iuc_fail(a, IUC_E_READ_NO_DATA, ret);
	}
	if (ret)
		return iuc_fail(a, IUC_E_INTERRUPTED, ret);

	for (;;) {
		if (message && pipe->msg_count) {
			ret = iuc_pipe_read_message(pipe, a);
			if (!ret)
				iuc_pipe_wake(&pipe->wr_wait);
			break;
		}
		if (!message && pipe->used &&
		    !(a->mode == IUC_IO_TRY && pipe->used < a->count)) {
			n = a->count ? a->count - a->transferred : pipe->used;
			n = iuc_pipe_copy_out(pipe, dst + a->transferred, n);
			if (n < 0) {
				ret = iuc_fail(a, IUC_E_UNMAPPED, n);
				break;
			}
			a->transferred += n;
			iuc_pipe_wake(&pipe->wr_wait);
			if (!a->count || a->transferred == a->count ||
			    a->mode != IUC_IO_BLOCK)
				break;
			continue;
		}
		/* Not enough pending. */
		if (!pipe->used && READ_ONCE(pipe->closed)) {
			ret = iuc_fail(a, IUC_E_READ_CLOSED, -EPIPE);
			break;
		}
		if (a->mode == IUC_IO_PARTIAL)
			break;
		if (a->mode == IUC_IO_TRY) {
			a->result = IUC_TRY_NOT_ENOUGH;
			ret = iuc_fail(a, IUC_E_READ_NO_DATA, -EAGAIN);
			break;
		}
		lend = iuc_pipe_lend_len(pipe, a, message);
		if (lend && iuc_pipe_lend(pipe, dst + a->transferred, lend)) {
			intr = iuc_pipe_wait_lent(pipe, a, message, &locked);
		} else {
			peer = iuc_pipe_spin_target(pipe, spin);
			intr = iuc_pipe_wait(pipe, &pipe->rd_wait,
					     &pipe->readers_waiting,
					     iuc_pipe_has_data, 1, peer);
			if (peer)
				put_task_struct(peer);
		}
		if (intr > 0)
			break;
		if (intr < 0) {
			mutex_unlock(&pipe->rd_lock);
			iuc_pipe_uring_kick(pipe);
			return iuc_fail(a, IUC_E_INTERRUPTED, -EINTR);
		}
	}
	if (!ret && !message)
		a->result = a->mode == IUC_IO_BLOCK ? READ_ONCE(pipe->used) :
			a->transferred;
	if (locked)
		mutex_unlock(&pipe->io_lock);
	mutex_unlock(&pipe->rd_lock);
	iuc_pipe_uring_kick(pipe);
	return ret;
}

/* The end @id of @ctx if it is the @part a call needs, as iuc_end_lookup(). */
static struct iuc_pipe_end *iuc_end_lookup_part(struct iuc_context *ctx,
						u64 id, u8 part)
{
	struct iuc_pipe_end *end = iuc_end_lookup(ctx, id);

	if (end && end->part != part) {
		iuc_pipe_put(end->pipe);
		end = NULL;
	}
	return end;
}

long iuc_ioctl_pipe_write(struct iuc_context *ctx, void *args)
{
	struct iuc_pipe_write *a = args;
	struct iuc_pipe_end *end;
	long ret;

	a->result = 0;
	a->transferred = 0;
	if (memchr_inv(a->__pad, 0, sizeof(a->__pad)))
		return iuc_fail(a, IUC_E_INVALID_ARG, -EINVAL);
	if (a->mode > IUC_IO_PARTIAL)
		return iuc_fail(a, IUC_E_WRITE_BAD_MODE, -EINVAL);
	end = iuc_end_lookup_part(ctx, a->id, IUC_PART_SC);
	if (!end)
		return iuc_fail(a, IUC_E_WRITE_UNKNOWN_SC, -EBADF);

	ret = iuc_pipe_do_write(end->pipe, a);
	iuc_pipe_put(end->pipe);
	trace_iuc_pipe_write(a->id, a->count, a->mode, a->transferred, ret);
	return ret;
}

long iuc_ioctl_pipe_read(struct iuc_context *ctx, void *args)
{
	struct iuc_pipe_read *a = args;
	struct iuc_pipe_end *end;
	long ret;

	a->result = 0;
	a->transferred = 0;
	if (memchr_inv(a->__pad, 0, sizeof(a->__pad)))
		return iuc_fail(a, IUC_E_INVALID_ARG, -EINVAL);
	if (a->mode > IUC_IO_PARTIAL)
		return iuc_fail(a, IUC_E_READ_BAD_MODE, -EINVAL);
	end = iuc_end_lookup_part(ctx, a->id, IUC_PART_RC);
	if (!end)
		return iuc_fail(a, IUC_E_READ_UNKNOWN_RC, -EBADF);

	ret = iuc_pipe_do_read(end->pipe, a, false);
	iuc_pipe_put(end->pipe);
	trace_iuc_pipe_read(a->id, a->count, a->mode, a->transferred, ret);
	return ret;
}

/*
 * PIPE_CALL: PIPE_WRITE of the request to @sc, then PIPE_READ of the
 * answer from @rc, both IUC_IO_BLOCK and run by the same code as those
 * calls, with their codes; @stage says which half failed.  Both ends are
 * looked up, and the read half's buffer checked, before a byte is
 * written: a call that could not read its answer sends no request.  The
 * read half spins a while before it sleeps if the answer's writer is busy
 * on another CPU (iuc_pipe_spin()): the call says an answer is coming.
 */
long iuc_ioctl_pipe_call(struct iuc_context *ctx, void *args)
{
	struct iuc_pipe_call *a = args;
	struct iuc_pipe_write w = {
		.id	= a->sc,
		.count	= a->wcount,
		.buf	= a->wbuf,
		.mode	= IUC_IO_BLOCK,
	};
	struct iuc_pipe_read r = {
		.id	= a->rc,
		.buf	= a->rbuf,
		.count	= a->rcount,
		.mode	= IUC_IO_BLOCK,
	};
	struct iuc_pipe_end *sc = NULL, *rc = NULL;
	long ret;

	a->written = 0;
	a->result = 0;
	a->transferred = 0;
	a->stage = 0;
	if (memchr_inv(a->__pad, 0, sizeof(a->__pad)))
		return iuc_fail(a, IUC_E_INVALID_ARG, -EINVAL);

	if (a->wcount) {
		a->stage = IUC_CALL_STAGE_WRITE;
		sc = iuc_end_lookup_part(ctx, a->sc, IUC_PART_SC);
		if (!sc) {
			ret = iuc_fail(a, IUC_E_WRITE_UNKNOWN_SC, -EBADF);
			goto out;
		}
	}
	a->stage = IUC_CALL_STAGE_READ;
	rc = iuc_end_lookup_part(ctx, a->rc, IUC_PART_RC);
	if (!rc) {
		ret = iuc_fail(a, IUC_E_READ_UNKNOWN_RC, -EBADF);
		goto out;
	}
	if (a->rcount && !access_ok(u64_to_user_ptr(a->rbuf), a->rcount)) {
		ret = iuc_fail(a, IUC_E_UNMAPPED, -EFAULT);
		goto out;
	}

	if (sc) {
		a->stage = IUC_CALL_STAGE_WRITE;
		ret = iuc_pipe_do_write(sc->pipe, &w);
		a->written = w.transferred;
		if (ret) {
			iuc_fail(a, w.error, ret);
			goto out;
		}
	}
	a->stage = IUC_CALL_STAGE_READ;
	ret = iuc_pipe_do_read(rc->pipe, &r, true);
	a->result = r.result;
	a->transferred = r.transferred;
	if (ret)
		iuc_fail(a, r.error, ret);
	else
		a->stage = 0;
out:
	if (rc)
		iuc_pipe_put(rc->pipe);
	if (sc)
		iuc_pipe_put(sc->pipe);
	trace_iuc_pipe_call(a->sc, a->wcount, a->written, a->rc, a->rcount,
			    a->transferred, a->stage, ret);
	return ret;
}

/* ---- io_uring's native calls -------------------------------------------- */

/*
 * A PIPE_WRITE or PIPE_READ in IUC_IO_BLOCK that io_uring submits waits
 * with no thread in it: uring.c parks it on the pipe's wait queue and
 * tries it again from the submitter's task work.  It can hold no mutex
 * between tries, so it completes only all at once, at a moment when the
 * ioctl would not wait, and then exactly as the ioctl would: a write when
 * its whole count fits (a message: when there is room for it), a read
 * when its whole count is pending (count 0: any byte; a message read: a
 * message), or either when the pipe is closed.  A try takes the side's
 * lock and io_lock by trylock only: their holder (a call of the same side
 * in another thread, a copy of the other side, which a hostile peer can
 * stall on a fault) must not make the submitter wait; the holder kicks
 * the parked calls when it lets go (iuc_pipe_uring_kick()).
 */

/* Both locks a call of @side needs, or neither.  True if taken. */
static bool iuc_pipe_native_lock(struct iuc_pipe *pipe, struct mutex *side)
{
	if (!mutex_trylock(side))
		return false;
	if (mutex_trylock(&pipe->io_lock))
		return true;
	mutex_unlock(side);
	iuc_pipe_uring_kick(pipe);
	return false;
}

static bool iuc_pipe_native_unlocked(struct iuc_pipe *pipe, struct mutex *side)
{
	return !mutex_is_locked(side) && !mutex_is_locked(&pipe->io_lock);
}

static long iuc_pipe_native_write_begin(struct iuc_context *ctx, void *args,
					struct iuc_pipe **pipep)
{
	struct iuc_pipe_write *a = args;
	struct iuc_pipe_end *end;

	if (a->mode != IUC_IO_BLOCK)
		return IUC_PIPE_NOT_NATIVE;
	a->result = 0;
	a->transferred = 0;
	if (memchr_inv(a->__pad, 0, sizeof(a->__pad)))
		return iuc_fail(a, IUC_E_INVALID_ARG, -EINVAL);
	end = iuc_end_lookup_part(ctx, a->id, IUC_PART_SC);
	if (!end)
		return iuc_fail(a, IUC_E_WRITE_UNKNOWN_SC, -EBADF);
	*pipep = end->pipe;
	return 0;
}

static long iuc_pipe_native_write_try(struct iuc_pipe *pipe, void *args)
{
	struct iuc_pipe_write *a = args;
	const char __user *src = u64_to_user_ptr(a->buf);
	long ret, n;

	if (pipe->msg_max && a->count > IUC_MESSAGE_MAX)
		return iuc_fail(a, IUC_E_WRITE_MESSAGE_TOO_LONG, -EMSGSIZE);
	if (!a->count) {
		a->result = iuc_pipe_room(pipe);
		return 0;
	}
	if (!access_ok(src, a->count))
		return iuc_fail(a, IUC_E_UNMAPPED, -EFAULT);
	if (!iuc_pipe_native_lock(pipe, &pipe->wr_lock))
		return IUC_PIPE_WOULD_WAIT;

	ret = iuc_pipe_alloc_buffer(pipe);
	if (ret) {
		ret = iuc_fail(a, IUC_E_NO_KERNEL_MEMORY, ret);
	} else if (READ_ONCE(pipe->closed)) {
		ret = iuc_fail(a, IUC_E_WRITE_CLOSED, -EPIPE);
	} else if (iuc_pipe_room(pipe) < a->count) {
		ret = IUC_PIPE_WOULD_WAIT;
	} else {
		/* A blocked reader's lent buffer first, as iuc_pipe_do_write(). */
		a->transferred = iuc_pipe_fill_dest(pipe, src, a->count,
						    pipe->msg_max);
		n = a->count - a->transferred;
		if (n)
			n = iuc_pipe_append(pipe, src + a->transferred, n);
		if (n < 0) {
			ret = iuc_fail(a, iuc_user_mem_error(n), n);
		} else {
			a->transferred += n;
			iuc_pipe_note_writer(pipe);
			iuc_pipe_wake(&pipe->rd_wait);
			a->result = iuc_pipe_room(pipe);
		}
	}
	iuc_pipe_unlock(pipe, &pipe->wr_lock);
	if (ret != IUC_PIPE_WOULD_WAIT)
		trace_iuc_pipe_write(a->id, a->count, a->mode, a->transferred, ret);
	return ret;
}

static bool iuc_pipe_native_write_ready(struct iuc_pipe *pipe, const void *args)
{
	const struct iuc_pipe_write *a = args;

	return iuc_pipe_native_unlocked(pipe, &pipe->wr_lock) &&
	       (iuc_pipe_room(pipe) >= a->count || READ_ONCE(pipe->closed));
}

/*
 * A native write and a native read of one raw pipe must never wait for
 * each other: a read waiting for more than is pending and a write waiting
 * for more room than is free need counts that add up to more than the
 * capacity.  So a raw call parks only up to half the capacity; a larger
 * one waits in io_uring's worker, in pieces, as the ioctl does.  Messages
 * go whole in the ioctl too: they always may.
 */
static bool iuc_pipe_native_write_may_park(struct iuc_pipe *pipe,
					   const void *args)
{
	const struct iuc_pipe_write *a = args;

	return pipe->msg_max || a->count <= pipe->capacity / 2;
}

static long iuc_pipe_native_read_begin(struct iuc_context *ctx, void *args,
				       struct iuc_pipe **pipep)
{
	struct iuc_pipe_read *a = args;
	struct iuc_pipe_end *end;

	if (a->mode != IUC_IO_BLOCK)
		return IUC_PIPE_NOT_NATIVE;
	a->result = 0;
	a->transferred = 0;
	if (memchr_inv(a->__pad, 0, sizeof(a->__pad)))
		return iuc_fail(a, IUC_E_INVALID_ARG, -EINVAL);
	end = iuc_end_lookup_part(ctx, a->id, IUC_PART_RC);
	if (!end)
		return iuc_fail(a, IUC_E_READ_UNKNOWN_RC, -EBADF);
	*pipep = end->pipe;
	return 0;
}

/* A raw read: its whole count pending, or what is left of a closed pipe. */
static long iuc_pipe_native_read_raw(struct iuc_pipe *pipe,
				     struct iuc_pipe_read *a)
{
	u64 need = a->count ? a->count : 1;
	long n;

	if (pipe->used < need && !(pipe->used && READ_ONCE(pipe->closed))) {
		if (READ_ONCE(pipe->closed))
			return iuc_fail(a, IUC_E_READ_CLOSED, -EPIPE);
		return IUC_PIPE_WOULD_WAIT;
	}
	n = iuc_pipe_copy_out(pipe, u64_to_user_ptr(a->buf),
			      a->count ? a->count : pipe->used);
	if (n < 0)
		return iuc_fail(a, IUC_E_UNMAPPED, n);
	a->transferred = n;
	iuc_pipe_wake(&pipe->wr_wait);
	if (n < need)		/* the rest of a closed pipe */
		return iuc_fail(a, IUC_E_READ_CLOSED, -EPIPE);
	a->result = pipe->used;
	return 0;
}

static long iuc_pipe_native_read_try(struct iuc_pipe *pipe, void *args)
{
	struct iuc_pipe_read *a = args;
	long ret;

	if (a->count && !access_ok(u64_to_user_ptr(a->buf), a->count))
		return iuc_fail(a, IUC_E_UNMAPPED, -EFAULT);
	if (!iuc_pipe_native_lock(pipe, &pipe->rd_lock))
		return IUC_PIPE_WOULD_WAIT;

	if (!pipe->msg_max) {
		ret = iuc_pipe_native_read_raw(pipe, a);
	} else if (pipe->msg_count) {
		ret = iuc_pipe_read_message(pipe, a);
		if (!ret)
			iuc_pipe_wake(&pipe->wr_wait);
	} else if (READ_ONCE(pipe->closed)) {
		ret = iuc_fail(a, IUC_E_READ_CLOSED, -EPIPE);
	} else {
		ret = IUC_PIPE_WOULD_WAIT;
	}
	iuc_pipe_unlock(pipe, &pipe->rd_lock);
	if (ret != IUC_PIPE_WOULD_WAIT)
		trace_iuc_pipe_read(a->id, a->count, a->mode, a->transferred, ret);
	return ret;
}

static bool iuc_pipe_native_read_ready(struct iuc_pipe *pipe, const void *args)
{
	const struct iuc_pipe_read *a = args;
	bool pending;

	if (pipe->msg_max)
		pending = READ_ONCE(pipe->msg_count);
	else
		pending = READ_ONCE(pipe->used) >= max_t(u64, a->count, 1);
	return iuc_pipe_native_unlocked(pipe, &pipe->rd_lock) &&
	       (pending || READ_ONCE(pipe->closed));
}

static bool iuc_pipe_native_read_may_park(struct iuc_pipe *pipe,
					  const void *args)
{
	const struct iuc_pipe_read *a = args;

	return pipe->msg_max || a->count <= pipe->capacity / 2;
}

const struct iuc_pipe_native iuc_pipe_native_write = {
	.size		= sizeof(struct iuc_pipe_write),
	.part		= IUC_PART_SC,
	.begin		= iuc_pipe_native_write_begin,
	.try		= iuc_pipe_native_write_try,
	.ready		= iuc_pipe_native_write_ready,
	.may_park	= iuc_pipe_native_write_may_park,
};

const struct iuc_pipe_native iuc_pipe_native_read = {
	.size		= sizeof(struct iuc_pipe_read),
	.part		= IUC_PART_RC,
	.begin		= iuc_pipe_native_read_begin,
	.try		= iuc_pipe_native_read_try,
	.ready		= iuc_pipe_native_read_ready,
	.may_park	= iuc_pipe_native_read_may_park,
};

/* The queue a native call waiting at end @part of @pipe waits on. */
wait_queue_head_t *iuc_pipe_native_queue(struct iuc_pipe *pipe, u8 part)
{
	return part == IUC_PART_SC ? &pipe->wr_wait : &pipe->rd_wait;
}

/*
 * Count a native call that parks at end @part of @pipe, unless the pipe
 * has uring_parked_per_pipe of them already.  A parked call counts as a
 * waiting reader or writer (PIPE_INFO's READ_PENDING, WRITE_PENDING).
 */
bool iuc_pipe_native_attach(struct iuc_pipe *pipe, u8 part)
{
	if (atomic_inc_return(&pipe->uring_parked) >
	    READ_ONCE(iuc_uring_parked_per_pipe)) {
		atomic_dec(&pipe->uring_parked);
		return false;
	}
	atomic_inc(part == IUC_PART_SC ? &pipe->writers_waiting :
					 &pipe->readers_waiting);
	return true;
}

/* The parked call counted by iuc_pipe_native_attach() ended. */
void iuc_pipe_native_detach(struct iuc_pipe *pipe, u8 part)
{
	atomic_dec(part == IUC_PART_SC ? &pipe->writers_waiting :
					 &pipe->readers_waiting);
	atomic_dec(&pipe->uring_parked);
}

/*
 * A native call was queued on @pipe's wait queue: order that before its
 * test of the pipe (the locks included), against iuc_pipe_uring_kick().
 */
void iuc_pipe_native_queued(void)
{
	smp_mb();	/* the entry before the test: see above */
}
