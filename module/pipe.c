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
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/pid.h>
#include <linux/sched/signal.h>
#include <linux/refcount.h>
#include <linux/slab.h>

#include "iuc_internal.h"

struct iuc_pipe_end {
	struct iuc_pipe		*pipe;
	struct iuc_context	*ctx;		/* holder, referenced; NULL once released */
	u64			id;		/* the holder's identifier */
	struct iuc_event	*closed_ev;	/* its PIPE_CLOSED, until sent */
	u8			part;		/* IUC_PART_RC or IUC_PART_SC */
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

	/* Immutable after creation. */
	struct pid		*creator;
	u64			capacity;
	u8			mode;
};

static void iuc_pipe_put(struct iuc_pipe *pipe)
{
	if (!refcount_dec_and_test(&pipe->ref))
		return;
	iuc_event_free(pipe->end[IUC_PART_RC].closed_ev);
	iuc_event_free(pipe->end[IUC_PART_SC].closed_ev);
	put_pid(pipe->creator);
	kfree_rcu(pipe, rcu);
}

static struct iuc_pipe *iuc_pipe_alloc(u8 mode, u8 multiplier)
{
	struct iuc_pipe *pipe;
	int part;

	pipe = kzalloc(sizeof(*pipe), GFP_KERNEL_ACCOUNT);
	if (!pipe)
		return NULL;
	refcount_set(&pipe->ref, 1);	/* the creating call's */
	spin_lock_init(&pipe->lock);
	pipe->creator = get_pid(task_tgid(current));
	pipe->capacity = (u64)max_t(u8, multiplier, 1) * IUC_PIPE_UNIT;
	pipe->mode = mode;
	for (part = IUC_PART_RC; part <= IUC_PART_SC; part++) {
		pipe->end[part].pipe = pipe;
		pipe->end[part].part = part;
		pipe->end[part].closed_ev =
			iuc_event_alloc(IUC_SIG_PIPE_CLOSED, 0, true);
		if (!pipe->end[part].closed_ev) {
			iuc_pipe_put(pipe);
			return NULL;
		}
	}
	return pipe;
}

/* ---- identifier tables ------------------------------------------------- */

/*
 * Give @end an identifier in @ctx.  On success the table holds a reference
 * on the pipe and the end holds one on @ctx.
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

	spin_lock(&end->pipe->lock);
	end->ctx = ctx;
	end->id = id;
	spin_unlock(&end->pipe->lock);
	*idp = id;
out:
	mutex_unlock(&ctx->ends_lock);
	return ret;
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
	end->ctx = NULL;
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
	struct iuc_pipe_end *end;

	rcu_read_lock();
	end = xa_load(&ctx->ends, id);
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
 * @closer.  Returns the closing type the pipe had if it was closed before,
 * or -1.
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
		peer_ctx = peer->ctx;
		if (peer_ctx) {
			kref_get(&peer_ctx->ref);
			ev = peer->closed_ev;
			peer->closed_ev = NULL;
			ev->sig.object = peer->id;
			ev->sig.data.pipe_closed.id = peer->id;
			ev->sig.data.pipe_closed.closing_type = type;
			ev->sig.data.pipe_closed.part = peer->part;
		}
	}
	spin_unlock(&pipe->lock);

	if (peer_ctx) {
		iuc_event_post(peer_ctx, ev, closer, false);
		iuc_context_put(peer_ctx);
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
		iuc_pipe_close(end, ctx, IUC_CLOSED_PEER_DIED);
		iuc_end_detach_locked(ctx, end, id);
	}
	mutex_unlock(&ctx->ends_lock);
}

/* ---- calls ------------------------------------------------------------- */

static u8 iuc_reach_error(int err, u8 no_pid, u8 other_app, u8 other_user)
{
	switch (err) {
	case -EACCES:
		return other_app;
	case -EPERM:
		return other_user;
	default:
		return no_pid;
	}
}

static void iuc_fill_recv_pipe(struct iuc_event *ev, struct iuc_pipe_end *end,
			       struct iuc_context *target,
			       const struct iuc_open_pipe *a)
{
	struct iuc_sig_recv_pipe *d = &ev->sig.data.recv_pipe;

	ev->sig.object = end->id;
	d->creator_pid = iuc_context_pid_nr(target, end->pipe->creator);
	d->id = end->id;
	d->size_hint = a->size_hint;
	d->creator_anid = iuc_current_anid();
	d->command = a->command;
	d->id_type = end->part;
	d->mode = a->mode;
}

long iuc_open_pipe(struct iuc_context *ctx, void *args)
{
	struct iuc_open_pipe *a = args;
	struct iuc_context *target;
	struct iuc_pipe_end *mine, *theirs;
	struct iuc_event *ev = NULL;
	struct iuc_pipe *pipe;
	long ret;

	if (a->id || a->peer_id || memchr_inv(a->__pad, 0, sizeof(a->__pad)))
		return iuc_fail(a, IUC_E_INVALID_ARG, -EINVAL);
	if (a->mode > IUC_PIPE_MODE_MESSAGE)
		return iuc_fail(a, IUC_E_OPEN_BAD_MODE, -EINVAL);
	if (a->notify > IUC_NOTIFY_SKIP)
		return iuc_fail(a, IUC_E_OPEN_BAD_NOTIFY, -EINVAL);
	if (a->type > IUC_PIPE_TYPE_CALLER_RECEIVES)
		return iuc_fail(a, IUC_E_INVALID_ARG, -EINVAL);

	target = iuc_context_get_by_vpid(a->target_pid);
	if (!target)
		return iuc_fail(a, IUC_E_OPEN_NO_SUCH_PID, -ESRCH);
	ret = iuc_may_reach(target);
	if (ret) {
		iuc_fail(a, iuc_reach_error(ret, IUC_E_OPEN_NO_SUCH_PID,
					    IUC_E_OPEN_OTHER_APPLICATION,
					    IUC_E_OPEN_OTHER_USER), ret);
		goto out_target;
	}

	ret = -ENOMEM;
	pipe = iuc_pipe_alloc(a->mode, a->multiplier);
	if (!pipe)
		goto out_nomem;
	if (a->notify == IUC_NOTIFY) {
		ev = iuc_event_alloc(IUC_SIG_RECV_PIPE, 0, false);
		if (!ev)
			goto out_pipe;
	}

	mine = &pipe->end[a->type == IUC_PIPE_TYPE_CALLER_SENDS ?
			  IUC_PART_SC : IUC_PART_RC];
	theirs = &pipe->end[!mine->part];
	ret = iuc_end_attach(ctx, mine, &a->id);
	if (ret)
		goto out_ev;
	ret = iuc_end_attach(target, theirs, &a->peer_id);
	if (ret)
		goto out_mine;

	if (ev) {
		iuc_fill_recv_pipe(ev, theirs, target, a);
		ret = iuc_event_post(target, ev, ctx, true);
		ev = NULL;
		if (ret == -ENOENT)
			iuc_fail(a, IUC_E_OPEN_NO_HANDLER, ret);
		else if (ret == -EAGAIN)
			iuc_fail(a, IUC_E_QUEUE_FULL, ret);
		else if (ret)
			iuc_fail(a, IUC_E_OPEN_NO_SUCH_PID, ret);
		if (ret)
			goto out_theirs;
	}

	iuc_pipe_put(pipe);
	iuc_context_put(target);
	return 0;

out_theirs:
	iuc_end_detach(target, theirs, a->peer_id);
out_mine:
	iuc_end_detach(ctx, mine, a->id);
out_ev:
	iuc_event_free(ev);
	if (ret == -EMFILE)
		iuc_fail(a, IUC_E_LIMIT, ret);
	else if (ret == -ESRCH)
		iuc_fail(a, IUC_E_OPEN_NO_SUCH_PID, ret);
out_pipe:
	iuc_pipe_put(pipe);
out_nomem:
	if (ret == -ENOMEM)
		iuc_fail(a, IUC_E_NO_KERNEL_MEMORY, ret);
out_target:
	iuc_context_put(target);
	return ret;
}

long iuc_pipe_info(struct iuc_context *ctx, void *args)
{
	struct iuc_pipe_info *a = args;
	struct iuc_pipe_end *end;
	struct iuc_pipe *pipe;
	u8 status = 0;

	if (a->capacity || a->room || a->creator_pid || a->status ||
	    memchr_inv(a->__pad, 0, sizeof(a->__pad)))
		return iuc_fail(a, IUC_E_INVALID_ARG, -EINVAL);
	end = iuc_end_lookup(ctx, a->id);
	if (!end)
		return iuc_fail(a, IUC_E_INFO_UNKNOWN_ID, -EBADF);
	pipe = end->pipe;

	spin_lock(&pipe->lock);
	if (!pipe->closed)
		status |= IUC_PIPE_OPENED;
	spin_unlock(&pipe->lock);
	if (pipe->mode == IUC_PIPE_MODE_MESSAGE)
		status |= IUC_PIPE_MESSAGE;
	if (end->part == IUC_PART_SC)
		status |= IUC_PIPE_IS_SC;

	a->status = status;
	a->capacity = pipe->capacity;
	a->room = pipe->capacity;
	a->creator_pid = pid_vnr(pipe->creator);
	iuc_pipe_put(pipe);
	return 0;
}

long iuc_close_pipe(struct iuc_context *ctx, void *args)
{
	struct iuc_close_pipe *a = args;
	struct iuc_pipe_end *end;
	int was;

	end = iuc_end_lookup(ctx, a->id);
	if (!end)
		return iuc_fail(a, IUC_E_CLOSE_UNKNOWN_ID, -EBADF);

	was = iuc_pipe_close(end, ctx, IUC_CLOSED_BY_CALL);
	iuc_end_detach(ctx, end, a->id);
	iuc_pipe_put(end->pipe);
	if (was == IUC_CLOSED_PEER_DIED)
		return iuc_fail(a, IUC_E_CLOSE_PEER_TERMINATED, -ESRCH);
	return 0;
}
