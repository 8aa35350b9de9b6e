// SPDX-License-Identifier: GPL-2.0
/*
 * IUC contexts: the IUC side of a process.
 *
 * A context belongs to one thread group, named by its struct pid, and is
 * found by PID through a small hash of live contexts.  It holds the
 * specification's per-process state: the signal handler table, the signal
 * queue and the readiness flag, and the identifier table of the pipe ends
 * the process holds.
 *
 * Signals are records.  A record whose code the process handles is queued;
 * once the process is READY the queue is readable with read(2), poll(2)
 * reports it, and a handled code with a real-time signal raises that signal,
 * process-directed (or directed to a service's client thread), for each
 * record, in queue order.  Other codes are not queued: the specification
 * ignores a signal without handler.  Nothing is dropped silently: a record
 * whose signal cannot be queued is refused to its sender, or, when it
 * cannot be refused, says so itself.
 *
 * The context ends when its process exits, even if a forked child still
 * holds the file: an entry on the process's pidfd wait queue (woken when
 * the thread group is gone) schedules the end.
 *
 * Each context belongs to the application (IPC namespace) its process was
 * in when it opened /dev/iuc; a count of live contexts per application
 * tells CONNECT_SERVICE which ANIDs are known.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/hashtable.h>
#include <linux/ipc_namespace.h>
#include <linux/nsproxy.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uidgid.h>

#include "iuc_internal.h"
#include "iuc_trace.h"

/*
 * Live contexts by struct pid.  Writers take iuc_contexts_lock; lookups
 * walk under RCU and take a reference with kref_get_unless_zero().
 */
static DEFINE_HASHTABLE(iuc_contexts, 8);
static DEFINE_SPINLOCK(iuc_contexts_lock);

static struct kmem_cache *iuc_event_cache;
static struct workqueue_struct *iuc_wq;

/*
 * Live contexts per application (ANID), one entry per application that
 * has any.  iuc_anids_lock protects the table and the counts.
 */
struct iuc_anid {
	struct hlist_node	node;
	u32			anid;
	unsigned int		contexts;
};

static DEFINE_HASHTABLE(iuc_anids, 6);
static DEFINE_SPINLOCK(iuc_anids_lock);

static const u8 iuc_signal_codes[] = {
	IUC_SIG_RECV_PIPE, IUC_SIG_PIPE_CLOSED,
	IUC_SIG_SERVICE_CONN_REQUEST, IUC_SIG_SERVICE_CLIENT_CLOSED,
	IUC_SIG_SERVICE_CLIENT_QUITTED, IUC_SIG_SERVICE_SERVER_QUITTED,
	IUC_SIG_RECV_SHARED_MEM, IUC_SIG_UNSHARED_MEM,
};

bool iuc_signal_code_valid(u8 code)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(iuc_signal_codes); i++)
		if (iuc_signal_codes[i] == code)
			return true;
	return false;
}

/* ---- lifetime ---------------------------------------------------------- */

static void iuc_context_free(struct kref *ref)
{
	struct iuc_context *ctx = container_of(ref, struct iuc_context, ref);

	WARN_ON(!xa_empty(&ctx->ends));
	WARN_ON(!list_empty(&ctx->queue));
	WARN_ON(!list_empty(&ctx->shared) || !list_empty(&ctx->received));
	WARN_ON(!xa_empty(&ctx->conns));
	if (ctx->service)
		iuc_service_free(ctx->service);
	iuc_segments_file_put(ctx);
	put_pid(ctx->pid);
	xa_destroy(&ctx->ends);
	xa_destroy(&ctx->conns);
	kfree_rcu(ctx, rcu);
}

void iuc_context_put(struct iuc_context *ctx)
{
	kref_put(&ctx->ref, iuc_context_free);
}

bool iuc_context_is_current(const struct iuc_context *ctx)
{
	return ctx->pid == task_tgid(current) && !READ_ONCE(ctx->dead);
}

/* Has the thread group of @pid exited?  The test pidfd_poll() makes. */
static bool iuc_process_gone(struct pid *pid)
{
	struct task_struct *task;
	bool gone;

	rcu_read_lock();
	task = pid_task(pid, PIDTYPE_PID);
	gone = !task || (task->exit_state && !delay_group_leader(task));
	rcu_read_unlock();
	return gone;
}

static void iuc_context_exit_work(struct work_struct *work)
{
	struct iuc_context *ctx = container_of(work, struct iuc_context, exit_work);

	if (iuc_process_gone(ctx->pid))
		iuc_context_end(ctx);
	iuc_context_put(ctx);
}

/*
 * Woken (under the pidfd wait queue's lock, in the exiting task) whenever
 * the process's pidfd would report an exit; the work decides.
 */
static int iuc_context_exit_wake(struct wait_queue_entry *wait,
				 unsigned int mode, int sync, void *key)
{
	struct iuc_context *ctx = container_of(wait, struct iuc_context, exit_wait);

	kref_get(&ctx->ref);
	if (!queue_work(iuc_wq, &ctx->exit_work))
		kref_put(&ctx->ref, iuc_context_free);	/* queued already, not last */
	return 0;
}

/* The live context of @pid.  Under iuc_contexts_lock or RCU. */
static struct iuc_context *iuc_context_find_locked(struct pid *pid)
{
	struct iuc_context *ctx;

	hash_for_each_possible_rcu(iuc_contexts, ctx, hnode, (unsigned long)pid)
		if (ctx->pid == pid && !READ_ONCE(ctx->dead))
			return ctx;
	return NULL;
}

static struct iuc_anid *iuc_anid_find_locked(u32 anid)
{
	struct iuc_anid *a;

	lockdep_assert_held(&iuc_anids_lock);
	hash_for_each_possible(iuc_anids, a, node, anid)
		if (a->anid == anid)
			return a;
	return NULL;
}

/* Count one more live context in @anid; *@fresh is used if it had none. */
static void iuc_anid_get(u32 anid, struct iuc_anid **fresh)
{
	struct iuc_anid *a;

	spin_lock(&iuc_anids_lock);
	a = iuc_anid_find_locked(anid);
	if (!a) {
		a = *fresh;
		*fresh = NULL;
		a->anid = anid;
		hash_add(iuc_anids, &a->node, anid);
	}
	a->contexts++;
	spin_unlock(&iuc_anids_lock);
}

static void iuc_anid_put(u32 anid)
{
	struct iuc_anid *a;

	spin_lock(&iuc_anids_lock);
	a = iuc_anid_find_locked(anid);
	if (!WARN_ON(!a) && !--a->contexts)
		hash_del(&a->node);
	else
		a = NULL;
	spin_unlock(&iuc_anids_lock);
	kfree(a);
}

/*
 * Does a live context belong to application @anid?  A context counts for
 * the application its process opened /dev/iuc in, also if the process
 * moved to another IPC namespace since.
 */
bool iuc_anid_known(u32 anid)
{
	bool known;

	spin_lock(&iuc_anids_lock);
	known = iuc_anid_find_locked(anid);
	spin_unlock(&iuc_anids_lock);
	return known;
}

int iuc_context_create(struct iuc_context **out)
{
	struct iuc_anid *fresh;
	struct iuc_context *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return -ENOMEM;
	fresh = kzalloc(sizeof(*fresh), GFP_KERNEL_ACCOUNT);
	if (!fresh) {
		kfree(ctx);
		return -ENOMEM;
	}
	kref_init(&ctx->ref);		/* the file's reference */
	ctx->pid = get_pid(task_tgid(current));
	ctx->uid = current_uid();
	ctx->anid = iuc_current_anid();
	spin_lock_init(&ctx->lock);
	memset(ctx->handler, IUC_HANDLER_NONE, sizeof(ctx->handler));
	INIT_LIST_HEAD(&ctx->queue);
	init_waitqueue_head(&ctx->readers);
	mutex_init(&ctx->read_lock);
	mutex_init(&ctx->ends_lock);
	xa_init(&ctx->ends);
	xa_init(&ctx->conns);
	ctx->next_id = 1;
	mutex_init(&ctx->segs_lock);
	INIT_LIST_HEAD(&ctx->shared);
	INIT_LIST_HEAD(&ctx->received);
	INIT_WORK(&ctx->exit_work, iuc_context_exit_work);
	init_waitqueue_func_entry(&ctx->exit_wait, iuc_context_exit_wake);

	spin_lock(&iuc_contexts_lock);
	if (iuc_context_find_locked(ctx->pid)) {
		spin_unlock(&iuc_contexts_lock);
		put_pid(ctx->pid);
		kfree(fresh);
		kfree(ctx);
		return -EBUSY;
	}
	kref_get(&ctx->ref);		/* the table's reference, until the end */
	hash_add_rcu(iuc_contexts, &ctx->hnode, (unsigned long)ctx->pid);
	spin_unlock(&iuc_contexts_lock);
	iuc_anid_get(ctx->anid, &fresh);
	kfree(fresh);

	add_wait_queue(&ctx->pid->wait_pidfd, &ctx->exit_wait);
	*out = ctx;
	return 0;
}

static void iuc_queue_purge(struct iuc_context *ctx)
{
	struct iuc_event *ev, *tmp;
	LIST_HEAD(purged);

	spin_lock(&ctx->lock);
	list_splice_init(&ctx->queue, &purged);
	ctx->nr_queued = 0;
	spin_unlock(&ctx->lock);

	list_for_each_entry_safe(ev, tmp, &purged, node)
		iuc_event_free(ev);
}

/*
 * End @ctx: it leaves the table (new lookups fail), its service and its
 * connections end, its pipes close with the "terminated" closing type,
 * its queue is freed and readers wake.
 * Called once the process has exited, or when the file is released;
 * idempotent.
 */
void iuc_context_end(struct iuc_context *ctx)
{
	spin_lock(&ctx->lock);
	if (ctx->dead) {
		spin_unlock(&ctx->lock);
		return;
	}
	WRITE_ONCE(ctx->dead, true);
	spin_unlock(&ctx->lock);

	spin_lock(&iuc_contexts_lock);
	hash_del_rcu(&ctx->hnode);
	spin_unlock(&iuc_contexts_lock);
	iuc_anid_put(ctx->anid);
	remove_wait_queue(&ctx->pid->wait_pidfd, &ctx->exit_wait);

	/* Connections first: they release their pipes before the table goes. */
	iuc_services_release_all(ctx);
	iuc_pipes_release_all(ctx);
	iuc_segments_release_all(ctx);

	mutex_lock(&ctx->read_lock);
	iuc_queue_purge(ctx);
	mutex_unlock(&ctx->read_lock);
	wake_up_all(&ctx->readers);

	iuc_context_put(ctx);		/* the table's reference */
}

/*
 * A thread of the process @pid that has not begun to exit, or NULL when
 * the process is gone.  Not simply the group leader: it may have left with
 * pthread_exit() while the process lives on in other threads, and stays a
 * zombie without namespaces until the last one exits.  Under RCU.
 */
static struct task_struct *iuc_live_thread(struct pid *pid)
{
	struct task_struct *leader, *t;

	leader = pid_task(pid, PIDTYPE_TGID);
	if (!leader)
		return NULL;
	for_each_thread(leader, t)
		if (!(t->flags & PF_EXITING))
			return t;
	return NULL;
}

/*
 * May the calling process reach the process of @task?  As the same user,
 * by the uid rules of kill(2) inside one user namespace (-EPERM); then
 * only inside one application, its IPC namespace (-EACCES).  -ESRCH when
 * @task exits meanwhile.  Under RCU.
 */
static int iuc_may_reach(struct task_struct *task)
{
	const struct cred *cred = current_cred();
	const struct cred *tcred = __task_cred(task);
	struct nsproxy *nsp;
	int ret = 0;

	if (cred->user_ns != tcred->user_ns)
		return -EPERM;
	if (!uid_eq(cred->euid, tcred->suid) &&
	    !uid_eq(cred->euid, tcred->uid) &&
	    !uid_eq(cred->uid, tcred->suid) &&
	    !uid_eq(cred->uid, tcred->uid) &&
	    !ns_capable(tcred->user_ns, CAP_KILL))
		return -EPERM;

	task_lock(task);
	nsp = task->nsproxy;
	if (!nsp)
		ret = -ESRCH;
	else if (nsp->ipc_ns != current->nsproxy->ipc_ns)
		ret = -EACCES;
	task_unlock(task);
	return ret;
}

/*
 * The context of the process with PID @nr in the caller's PID namespace,
 * referenced, if the caller may reach it with OPEN_PIPE, SEND_PIPE or
 * SHARE_MEM.  Otherwise an ERR_PTR of -ESRCH (no such process, or it has
 * no live context), -EPERM (another user's) or -EACCES (another
 * application's).  The process and the permission come first, so that of a
 * process it may not reach the caller learns what kill(2) tells it, and
 * nothing of whether that process uses IUC.
 */
struct iuc_context *iuc_context_reach(u64 nr)
{
	struct iuc_context *ctx = NULL;
	struct task_struct *task;
	struct pid *pid;
	int ret;

	if (!nr || nr > PID_MAX_LIMIT)
		return ERR_PTR(-ESRCH);
	rcu_read_lock();
	pid = find_vpid((pid_t)nr);
	task = pid ? iuc_live_thread(pid) : NULL;
	ret = task ? iuc_may_reach(task) : -ESRCH;
	if (!ret) {
		ctx = iuc_context_find_locked(pid);
		if (!ctx || !kref_get_unless_zero(&ctx->ref))
			ret = -ESRCH;
	}
	rcu_read_unlock();
	return ret ? ERR_PTR(ret) : ctx;
}

/* The application id (ANID) of the caller: its IPC namespace's inode. */
u32 iuc_current_anid(void)
{
	return current->nsproxy->ipc_ns->ns.inum;
}

/*
 * Is the process of @ctx (a live thread of it) in application @anid now?
 * A process can leave its IPC namespace (setns(2), unshare(2)), and the
 * number of a namespace that is gone can be given to a new one: a service
 * that left its application must not answer for the next one.
 */
bool iuc_context_in_app(struct iuc_context *ctx, u32 anid)
{
	struct task_struct *task;
	bool in = false;

	rcu_read_lock();
	task = iuc_live_thread(ctx->pid);
	if (task) {
		task_lock(task);
		in = task->nsproxy && task->nsproxy->ipc_ns->ns.inum == anid;
		task_unlock(task);
	}
	rcu_read_unlock();
	return in;
}

/*
 * Queue @work on the module's workqueue, which module unload drains.
 * Callable in atomic context; false if it was queued already.
 */
bool iuc_schedule(struct work_struct *work)
{
	return queue_work(iuc_wq, work);
}

/*
 * The number of @pid in the PID namespace of @ctx's process (0: none): the
 * namespace its own PID was made in, whichever of its threads still lives.
 */
pid_t iuc_context_pid_nr(struct iuc_context *ctx, struct pid *pid)
{
	return pid_nr_ns(pid, ns_of_pid(ctx->pid));
}

/* ---- events ------------------------------------------------------------ */

/* Set up a zeroed event, allocated or embedded in another object. */
void iuc_event_init(struct iuc_event *ev, u8 code, u64 object,
		    enum iuc_event_kind kind)
{
	INIT_LIST_HEAD(&ev->node);
	ev->sig.code = code;
	ev->sig.object = object;
	ev->kind = kind;
}

struct iuc_event *iuc_event_alloc(u8 code, u64 object, enum iuc_event_kind kind)
{
	struct iuc_event *ev;

	ev = kmem_cache_zalloc(iuc_event_cache, GFP_KERNEL_ACCOUNT);
	if (ev)
		iuc_event_init(ev, code, object, kind);
	return ev;
}

void iuc_event_free(struct iuc_event *ev)
{
	if (!ev)
		return;
	if (ev->release)
		ev->release(ev);
	else
		kmem_cache_free(iuc_event_cache, ev);
}

/*
 * Fill in who caused @ev, as the process of @ctx sees it: @cause, the
 * context of the calling process, or of a process that ended (whose uid
 * is then the one it opened /dev/iuc with).
 */
static void iuc_event_set_cause(struct iuc_event *ev, struct iuc_context *ctx,
				struct iuc_context *cause)
{
	ev->cause_pid = iuc_context_pid_nr(ctx, cause->pid);
	ev->cause_uid = cause->pid == task_tgid(current) ? current_uid() : cause->uid;
}

/* What kill_pid_usb_asyncio() writes over si_pid and si_uid (64-bit). */
union iuc_sigval {
	sigval_t		val;
	struct {
		__kernel_pid_t	pid;
		__kernel_uid32_t uid;
	} who;
};

/*
 * The real-time signal @sig of @ev, directed to its thread: the same
 * siginfo as below.  send_sig_info() queues it for that thread alone; as
 * for any signal the kernel sends, it gives si_uid to the receiver as
 * seen from the sender's user namespace, and clears si_pid when the
 * sender (the module's worker, if the cause ended) cannot be seen from
 * the receiver's PID namespace.
 */
static int iuc_event_raise_thread(u8 sig, struct iuc_event *ev)
{
	struct kernel_siginfo info;

	clear_siginfo(&info);
	info.si_signo = sig;
	info.si_errno = ev->sig.code;
	info.si_code = SI_ASYNCIO;
	info.si_pid = ev->cause_pid;
	info.si_uid = from_kuid_munged(current_user_ns(), ev->cause_uid);
	return send_sig_info(sig, &info, ev->thread);
}

/*
 * Raise the real-time signal of @ev's code, if any.  Under ctx->lock, so
 * that signals keep the order of the records.
 *
 * The signal is process-directed (unless the event names a thread, see
 * above): whichever thread does not block it takes it (a sigwaitinfo() or
 * signalfd thread too), also when the group leader blocks it or has left
 * with pthread_exit().  kill_pid_usb_asyncio() is the kernel's exported
 * way to queue such a signal with a payload; usbdevfs signals the process
 * that opened a device file with it, as we do.  Its siginfo has si_code
 * SI_ASYNCIO, our signal code in si_errno, and a sigval written over si_pid
 * and si_uid: there go the cause's pid and uid.  The process signals
 * itself, with its own credentials.
 *
 * Returns 0 (also when the process is gone: its context ends) or why the
 * signal was not queued: -EAGAIN when the receiver's RLIMIT_SIGPENDING is
 * reached, a security module's refusal.
 */
static int iuc_event_raise(struct iuc_context *ctx, struct iuc_event *ev)
{
	u8 sig = ctx->handler[ev->sig.code];
	union iuc_sigval cause = { };
	const struct cred *cred;
	struct task_struct *task;
	int ret = 0;

	lockdep_assert_held(&ctx->lock);
	if (sig == IUC_HANDLER_NONE || sig == 0)
		return 0;
	if (ev->thread) {
		ret = iuc_event_raise_thread(sig, ev);
		return ret == -ESRCH ? 0 : ret;
	}

	rcu_read_lock();
	task = pid_task(ctx->pid, PIDTYPE_PID);
	if (task) {
		cred = __task_cred(task);
		cause.who.pid = ev->cause_pid;
		cause.who.uid = from_kuid_munged(cred->user_ns, ev->cause_uid);
		ret = kill_pid_usb_asyncio(sig, ev->sig.code, cause.val,
					   ctx->pid, cred);
	}
	rcu_read_unlock();
	return ret == -ESRCH ? 0 : ret;
}

/*
 * @ev becomes readable: raise its real-time signal.  When that cannot be
 * queued, a record that @may_refuse is refused as by a full queue (-EAGAIN;
 * it no longer counts against the bound); any other stays readable and
 * says, with IUC_SIGNAL_RT_NOT_SENT, that its signal was not sent.
 */
static int iuc_event_release(struct iuc_context *ctx, struct iuc_event *ev,
			     bool may_refuse)
{
	int ret = iuc_event_raise(ctx, ev);

	if (!ret)
		return 0;
	if (may_refuse && ret == -EAGAIN) {
		ctx->nr_queued--;
		return -EAGAIN;
	}
	ev->sig.flags |= IUC_SIGNAL_RT_NOT_SENT;
	return 0;
}

/*
 * May an event of @code and @kind enter @ctx's queue?  0 (a bounded event
 * then counts from now on), -ESRCH when the context has ended, -ENOENT when
 * the code is not handled (reserved events were checked already), -EAGAIN
 * when the queue is full (closing and reserved events always fit).
 */
static int iuc_queue_admit(struct iuc_context *ctx, u8 code,
			   enum iuc_event_kind kind)
{
	lockdep_assert_held(&ctx->lock);
	if (ctx->dead)
		return -ESRCH;
	if (kind != IUC_EV_RESERVED && ctx->handler[code] == IUC_HANDLER_NONE)
		return -ENOENT;
	if (kind == IUC_EV_BOUNDED) {
		if (ctx->nr_queued >= READ_ONCE(iuc_max_queued_signals))
			return -EAGAIN;
		ctx->nr_queued++;
	}
	return 0;
}

/*
 * Queue @ev in @ctx, which takes it over whatever the result.
 * Returns 0 when queued, or when dropped because the code is not handled
 * and @require_handler is false (a signal without handler is ignored);
 * otherwise the refusal of iuc_queue_admit(), or -EAGAIN for a bounded
 * record whose real-time signal cannot be queued.
 */
int iuc_event_post(struct iuc_context *ctx, struct iuc_event *ev,
		   struct iuc_context *cause, bool require_handler)
{
	int ret;

	iuc_event_set_cause(ev, ctx, cause);

	spin_lock(&ctx->lock);
	ret = iuc_queue_admit(ctx, ev->sig.code, ev->kind);
	if (!ret && ctx->ready)
		ret = iuc_event_release(ctx, ev, ev->kind == IUC_EV_BOUNDED);
	if (!ret) {
		list_add_tail(&ev->node, &ctx->queue);
		trace_iuc_signal_queue(pid_nr(ctx->pid), ev->sig.code,
				       ev->sig.object, ctx->ready);
		ev = NULL;
	} else if (ret == -ENOENT && !require_handler) {
		ret = 0;
	}
	spin_unlock(&ctx->lock);

	if (ev)
		iuc_event_free(ev);
	else
		wake_up_interruptible_poll(&ctx->readers, EPOLLIN | EPOLLRDNORM);
	return ret;
}

/*
 * Make sure a later iuc_event_post() of an IUC_EV_RESERVED event of @code
 * will be queued: the admission of a bounded event, made before a step
 * that cannot be undone.  Returns 0 or the refusal of iuc_queue_admit().
 */
int iuc_event_reserve(struct iuc_context *ctx, u8 code)
{
	int ret;

	spin_lock(&ctx->lock);
	ret = iuc_queue_admit(ctx, code, IUC_EV_BOUNDED);
	spin_unlock(&ctx->lock);
	return ret;
}

/* Give back a place taken by iuc_event_reserve() and not used. */
void iuc_event_unreserve(struct iuc_context *ctx)
{
	spin_lock(&ctx->lock);
	if (!ctx->dead)
		ctx->nr_queued--;
	spin_unlock(&ctx->lock);
}

/* ---- signal calls ------------------------------------------------------ */

long iuc_ioctl_handle_signal(struct iuc_context *ctx, void *args)
{
	struct iuc_handle_signal *a = args;

	if (memchr_inv(a->__pad, 0, sizeof(a->__pad)))
		return iuc_fail(a, IUC_E_INVALID_ARG, -EINVAL);
	if (!iuc_signal_code_valid(a->code))
		return iuc_fail(a, IUC_E_HANDLE_UNKNOWN_SIGNAL, -EINVAL);
	if (a->rt_signal && (a->rt_signal < SIGRTMIN || a->rt_signal > SIGRTMAX))
		return iuc_fail(a, IUC_E_INVALID_ARG, -EINVAL);

	spin_lock(&ctx->lock);
	WRITE_ONCE(ctx->handler[a->code], a->rt_signal);
	spin_unlock(&ctx->lock);
	return 0;
}

long iuc_ioctl_unhandle_signal(struct iuc_context *ctx, void *args)
{
	struct iuc_unhandle_signal *a = args;
	long ret = 0;

	if (memchr_inv(a->__pad, 0, sizeof(a->__pad)))
		return iuc_fail(a, IUC_E_INVALID_ARG, -EINVAL);
	if (!iuc_signal_code_valid(a->code))
		return iuc_fail(a, IUC_E_UNHANDLE_UNKNOWN_SIGNAL, -EINVAL);

	spin_lock(&ctx->lock);
	if (ctx->handler[a->code] == IUC_HANDLER_NONE)
		ret = iuc_fail(a, IUC_E_UNHANDLE_NOT_HANDLED, -ENOENT);
	else
		WRITE_ONCE(ctx->handler[a->code], IUC_HANDLER_NONE);
	spin_unlock(&ctx->lock);
	return ret;
}

long iuc_ioctl_is_signal_handled(struct iuc_context *ctx, void *args)
{
	struct iuc_is_signal_handled *a = args;
	u8 sig;

	if (memchr_inv(a->__pad, 0, sizeof(a->__pad)))
		return iuc_fail(a, IUC_E_INVALID_ARG, -EINVAL);
	if (!iuc_signal_code_valid(a->code))
		return iuc_fail(a, IUC_E_IS_HANDLED_UNKNOWN_SIGNAL, -EINVAL);

	sig = READ_ONCE(ctx->handler[a->code]);
	a->handled = sig != IUC_HANDLER_NONE;
	a->rt_signal = a->handled ? sig : 0;
	return 0;
}

long iuc_ioctl_ready(struct iuc_context *ctx, void *args)
{
	struct iuc_event *ev;
	bool any;

	spin_lock(&ctx->lock);
	if (ctx->ready) {
		spin_unlock(&ctx->lock);
		return iuc_fail(args, IUC_E_READY_ALREADY, -EALREADY);
	}
	ctx->ready = true;
	list_for_each_entry(ev, &ctx->queue, node)
		iuc_event_release(ctx, ev, false);
	any = !list_empty(&ctx->queue);
	spin_unlock(&ctx->lock);

	if (any)
		wake_up_interruptible_poll(&ctx->readers, EPOLLIN | EPOLLRDNORM);
	return 0;
}

/* ---- reading records --------------------------------------------------- */

static bool iuc_context_readable(struct iuc_context *ctx)
{
	bool readable;

	spin_lock(&ctx->lock);
	readable = ctx->dead || (ctx->ready && !list_empty(&ctx->queue));
	spin_unlock(&ctx->lock);
	return readable;
}

/*
 * Copy out the first record, then take it off the queue: a fault leaves it
 * queued.  Only the reader holding ctx->read_lock removes records, so the
 * first one cannot change under the copy.
 */
static int iuc_context_read_one(struct iuc_context *ctx, struct file *file,
				char __user *buf)
{
	struct iuc_event *ev;

	spin_lock(&ctx->lock);
	ev = ctx->ready ? list_first_entry_or_null(&ctx->queue,
						   struct iuc_event, node) : NULL;
	spin_unlock(&ctx->lock);
	if (!ev)
		return -EAGAIN;

	if (ev->sig.code == IUC_SIG_RECV_SHARED_MEM)
		iuc_segment_map_record(file, ev);
	if (copy_to_user(buf, &ev->sig, sizeof(ev->sig)))
		return -EFAULT;

	spin_lock(&ctx->lock);
	list_del(&ev->node);
	if (ev->kind != IUC_EV_CLOSING)
		ctx->nr_queued--;
	spin_unlock(&ctx->lock);
	iuc_event_free(ev);
	return 0;
}

ssize_t iuc_context_read(struct iuc_context *ctx, struct file *file,
			 char __user *buf, size_t count, bool nonblock)
{
	ssize_t done = 0;
	int ret = -EAGAIN;

	if (count < sizeof(struct iuc_signal))
		return -EINVAL;

	for (;;) {
		if (mutex_lock_interruptible(&ctx->read_lock))
			return -ERESTARTSYS;
		while (count - done >= sizeof(struct iuc_signal)) {
			ret = iuc_context_read_one(ctx, file, buf + done);
			if (ret)
				break;
			done += sizeof(struct iuc_signal);
		}
		mutex_unlock(&ctx->read_lock);

		if (done)
			return done;
		if (ret != -EAGAIN)
			return ret;
		if (READ_ONCE(ctx->dead))
			return -EBADFD;
		if (nonblock)
			return -EAGAIN;
		if (wait_event_interruptible(ctx->readers, iuc_context_readable(ctx)))
			return -ERESTARTSYS;
	}
}

__poll_t iuc_context_poll(struct iuc_context *ctx, struct file *file,
			  struct poll_table_struct *wait)
{
	__poll_t mask = 0;

	poll_wait(file, &ctx->readers, wait);
	spin_lock(&ctx->lock);
	if (ctx->dead)
		mask = EPOLLERR | EPOLLHUP;
	else if (ctx->ready && !list_empty(&ctx->queue))
		mask = EPOLLIN | EPOLLRDNORM;
	spin_unlock(&ctx->lock);
	return mask;
}

/* ---- module setup ------------------------------------------------------ */

int __init iuc_context_init(void)
{
	iuc_event_cache = KMEM_CACHE(iuc_event, SLAB_ACCOUNT);
	if (!iuc_event_cache)
		return -ENOMEM;
	/* Context ends run from here; destroying it drains them at unload. */
	iuc_wq = alloc_workqueue("iuc", WQ_UNBOUND, 0);
	if (!iuc_wq) {
		kmem_cache_destroy(iuc_event_cache);
		return -ENOMEM;
	}
	return 0;
}

void iuc_context_exit(void)
{
	destroy_workqueue(iuc_wq);
	rcu_barrier();		/* kfree_rcu() of contexts, call_rcu() of pipes */
	kmem_cache_destroy(iuc_event_cache);
}
