// SPDX-License-Identifier: GPL-2.0
/*
 * IUC services: connections across applications.
 *
 * A service is a process registered (REGISTER_SERVICE) as an instance of
 * its application, the IPC namespace it is in: the instance of one user
 * (its effective uid), or the application's one system instance.  The
 * registrations are a hash by ANID; each lasts as long as its context.  A
 * client reaches the instance of its own effective uid, else the system
 * one, never another user's.
 *
 * CONNECT_SERVICE makes a connection (struct iuc_conn).  The client
 * creates, and is charged for, the two message pipes and enters its
 * connection id and pipe ids in its tables, unreachable yet; the service
 * gets a SERVICE_CONN_REQUEST record naming a request (struct iuc_request)
 * of its table; the client waits, at most the answer delay, for the
 * answer.  ACCEPT_SERVICE_CONN gives the service its two pipe ids, makes
 * all the ids reachable at once and the calling thread the connection's
 * client thread.  REJECT_SERVICE_CONN, the delay, a signal, or the end of
 * either side settle a request without a connection.  A settled request
 * that an answer may still name stays in the table for ten answer delays,
 * so that a late answer learns it was late (0x30) or that the client ended
 * (0x20); one withdrawn by an interrupted client goes at once (0x10).
 *
 * A connection has two sides, each holding a reference on it:
 *   the client side: its entry in the client's connection table and the
 *     client's two pipe ids, from CONNECT_SERVICE until END_SERVICE_CONN
 *     or the end of the client's context;
 *   the service side: its place on the service's list and in the hash of
 *     client threads, and the service's two pipe ids, from the ACCEPT
 *     until the client thread ends, accepts another connection once this
 *     one closed, or the service's context ends.
 * It is open from the ACCEPT until the first of END_SERVICE_CONN, the end
 * of the client, of the client thread and of the service closes both its
 * pipes at once.  Exactly one record tells the closing, allocated with the
 * connection so that it cannot be lost: SERVICE_CLIENT_QUITTED or
 * SERVICE_CLIENT_CLOSED to the client thread (its real-time signal is
 * directed to that thread), or SERVICE_SERVER_QUITTED to the client.
 * Pending data stays readable at an id until that id goes.
 *
 * The end of a client thread is seen by a probe on the sched_process_exit
 * tracepoint (6.1 has no pidfd of a thread).  It runs in the exiting
 * thread in atomic context: it looks the thread up in the hash of client
 * threads, under RCU, and queues the work that closes the connection.
 *
 * svc->lock serializes all that changes the requests and the connections
 * of one service; the Locking overview in iuc_internal.h tells the rest.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/hashtable.h>
#include <linux/jiffies.h>
#include <linux/pid.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/tracepoint.h>

#include "iuc_internal.h"
#include "iuc_trace.h"

/* A settled request stays this many answer delays after it was made. */
#define IUC_REQUEST_KEEP	10
#define IUC_ANSWER_DELAY_MAX	60000	/* ms: the request record's u16 */

/* The two pipes of a connection. */
#define IUC_CONN_C2S		0	/* the client's SC, the service's RC */
#define IUC_CONN_S2C		1	/* the service's SC, the client's RC */

/* A registration: the service instance a context is. */
struct iuc_service {
	struct hlist_node	hnode;		/* iuc_services, under iuc_services_lock */
	struct iuc_context	*ctx;		/* the service, which owns this */
	u32			anid;
	u8			scope;		/* IUC_SCOPE_* */
	kuid_t			uid;		/* IUC_SCOPE_USER: the instance's euid */

	/*
	 * @lock protects @dead, the requests and the counter of their ids,
	 * and the state and the sides of every connection to the service.
	 */
	struct mutex		lock;
	bool			dead;		/* its context ended */
	struct xarray		requests;	/* request id -> struct iuc_request */
	struct list_head	request_list;	/* the same, oldest first */
	unsigned int		nr_requests;
	u64			next_request_id; /* never reused */
	struct list_head	conns;		/* connections whose service side it holds */
};

/* A request of a client to a service, under svc->lock. */
struct iuc_request {
	struct list_head	node;		/* svc->request_list */
	u64			id;
	unsigned long		deadline;	/* jiffies: an answer after it is late */
	unsigned long		expires;	/* jiffies: the entry may go */
	struct iuc_conn		*conn;		/* while pending; NULL once settled */
	u8			late;		/* settled: the code an answer gets */
};

enum iuc_conn_state {
	IUC_CONN_REQUESTED,	/* the client waits for the answer */
	IUC_CONN_REFUSED,	/* never opened: @answer_code, @answer_err */
	IUC_CONN_OPEN,
	IUC_CONN_ENDED,		/* closed by its client: END_SERVICE_CONN or its end */
	IUC_CONN_THREAD_QUIT,	/* closed: the client thread ended */
	IUC_CONN_SERVICE_QUIT,	/* closed: the service process ended */
};

struct iuc_conn {
	/*
	 * References: each side's, the CONNECT call's, the closing record's
	 * while it is queued, a queued exit work's, lookups'.  The last put
	 * frees the pipes and the connection (by RCU: the probe looks at it).
	 */
	struct kref		ref;
	struct rcu_head		rcu;
	struct iuc_service	*svc;		/* its context referenced */
	struct iuc_context	*client;	/* referenced */
	struct iuc_pipe		*pipe[2];	/* by IUC_CONN_*, referenced */
	u16			command;

	/* Under svc->lock (@state is also read by the waiting client). */
	enum iuc_conn_state	state;
	bool			client_held;
	bool			service_held;
	struct iuc_request	*req;		/* while requested */
	u8			answer_code;	/* refused: CONNECT fails with these */
	int			answer_err;
	struct list_head	svc_node;	/* svc->conns: service side held */
	struct hlist_node	thread_node;	/* iuc_client_threads: likewise */

	/*
	 * Immutable from the step that names them on.  The pipe ids of
	 * each side, by IUC_CONN_*: the client holds the SC of C2S and the
	 * RC of S2C, the service the other two ends.
	 */
	u64			conn_id;
	u64			client_ids[2];
	u64			request_id;
	u64			service_ids[2];
	unsigned long		deadline;	/* jiffies: of the request */
	struct task_struct	*thread;	/* the client thread, referenced */

	wait_queue_head_t	wait;		/* the CONNECT call waits here */
	struct work_struct	exit_work;	/* the client thread ended */
	bool			group_exit;	/* ... as its process was ending */
	/* The one record that tells the closing (see the top). */
	struct iuc_event	closing_ev;
};

/* The registrations by ANID.  Leaf lock. */
static DEFINE_HASHTABLE(iuc_services, 6);
static DEFINE_SPINLOCK(iuc_services_lock);

/*
 * Connections by client thread (the task itself, which stays the same
 * thread across an execve(), unlike its TID).  Writers hold
 * iuc_client_threads_lock, a leaf taken under svc->lock; the probe reads
 * under RCU and returns at once while the count is zero.
 */
static DEFINE_HASHTABLE(iuc_client_threads, 8);
static DEFINE_SPINLOCK(iuc_client_threads_lock);
static atomic_t iuc_nr_client_threads = ATOMIC_INIT(0);

static struct tracepoint *iuc_sched_exit_tp;

static void iuc_conn_thread_exit_work(struct work_struct *work);

/* The answer delay now, in ms. */
static unsigned int iuc_answer_delay(void)
{
	return clamp_t(unsigned int, READ_ONCE(iuc_service_answer_delay_ms), 1,
		       IUC_ANSWER_DELAY_MAX);
}

/* ---- connections ------------------------------------------------------- */

static void iuc_conn_free(struct kref *ref)
{
	struct iuc_conn *conn = container_of(ref, struct iuc_conn, ref);
	struct iuc_context *svc_ctx = conn->svc->ctx;
	int i;

	for (i = 0; i < ARRAY_SIZE(conn->pipe); i++)
		if (conn->pipe[i])
			iuc_pipe_put(conn->pipe[i]);
	if (conn->thread)
		put_task_struct(conn->thread);
	iuc_context_put(conn->client);
	kfree_rcu(conn, rcu);
	iuc_context_put(svc_ctx);	/* the last one frees the service */
}

/* Never under svc->lock, unless a reference of the caller's remains. */
static void iuc_conn_put(struct iuc_conn *conn)
{
	kref_put(&conn->ref, iuc_conn_free);
}

/* The closing record was read or dropped. */
static void iuc_conn_closing_ev_release(struct iuc_event *ev)
{
	iuc_conn_put(container_of(ev, struct iuc_conn, closing_ev));
}

/*
 * A connection of @client to @svc, with the CONNECT call's reference and
 * its two pipes, charged to the caller.  ERR_PTR of -ENOMEM or -EDQUOT.
 */
static struct iuc_conn *iuc_conn_create(struct iuc_context *client,
					struct iuc_service *svc, u16 command)
{
	struct iuc_conn *conn;
	long ret;
	int i;

	conn = kzalloc(sizeof(*conn), GFP_KERNEL_ACCOUNT);
	if (!conn)
		return ERR_PTR(-ENOMEM);
	kref_init(&conn->ref);
	conn->svc = svc;
	kref_get(&svc->ctx->ref);
	conn->client = client;
	kref_get(&client->ref);
	conn->command = command;
	conn->state = IUC_CONN_REQUESTED;
	INIT_LIST_HEAD(&conn->svc_node);
	init_waitqueue_head(&conn->wait);
	INIT_WORK(&conn->exit_work, iuc_conn_thread_exit_work);
	for (i = 0; i < ARRAY_SIZE(conn->pipe); i++) {
		conn->pipe[i] = iuc_service_pipe_create(command);
		if (IS_ERR(conn->pipe[i])) {
			ret = PTR_ERR(conn->pipe[i]);
			conn->pipe[i] = NULL;
			iuc_conn_put(conn);
			return ERR_PTR(ret);
		}
	}
	return conn;
}

/*
 * The ends of one side of @conn: the client (@c2s_part IUC_PART_SC) holds
 * the SC of the client-to-service pipe and the RC of the other, the
 * service (IUC_PART_RC) the other two.  The end of pipe @i it holds:
 */
static u8 iuc_conn_part(u8 c2s_part, int i)
{
	return i == IUC_CONN_C2S ? c2s_part : !c2s_part;
}

/* Enter one side's ends in @ctx, not reachable yet: @ids get their ids. */
static int iuc_conn_attach_ids(struct iuc_conn *conn, struct iuc_context *ctx,
			       u8 c2s_part, u64 *ids)
{
	int ret;

	ret = iuc_service_pipe_attach(ctx, conn->pipe[IUC_CONN_C2S], c2s_part,
				      &ids[IUC_CONN_C2S]);
	if (ret)
		return ret;
	ret = iuc_service_pipe_attach(ctx, conn->pipe[IUC_CONN_S2C], !c2s_part,
				      &ids[IUC_CONN_S2C]);
	if (ret)
		iuc_service_pipe_detach(ctx, conn->pipe[IUC_CONN_C2S], c2s_part,
					ids[IUC_CONN_C2S]);
	return ret;
}

/* Make @ctx the holder of one side's ends, by @ids. */
static void iuc_conn_publish_ids(struct iuc_conn *conn, struct iuc_context *ctx,
				 u8 c2s_part, const u64 *ids)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(conn->pipe); i++)
		iuc_service_pipe_publish(conn->pipe[i], iuc_conn_part(c2s_part, i),
					 ctx, ids[i]);
}

/* Take one side's ends out of @ctx's table. */
static void iuc_conn_detach_ids(struct iuc_conn *conn, struct iuc_context *ctx,
				u8 c2s_part, const u64 *ids)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(conn->pipe); i++)
		iuc_service_pipe_detach(ctx, conn->pipe[i],
					iuc_conn_part(c2s_part, i), ids[i]);
}

/*
 * Give @conn its connection id and pipe ids in the client's tables, not
 * reachable until the ACCEPT.  0, -EMFILE, -ENOMEM or -ESRCH (the
 * client's context ended).  Under svc->lock.
 */
static int iuc_conn_attach_client_locked(struct iuc_conn *conn)
{
	struct iuc_context *client = conn->client;
	int ret;

	lockdep_assert_held(&conn->svc->lock);
	ret = iuc_conn_attach_ids(conn, client, IUC_PART_SC, conn->client_ids);
	if (ret)
		return ret;

	mutex_lock(&client->ends_lock);
	if (client->conns_closed) {
		ret = -ESRCH;
	} else {
		ret = xa_insert(&client->conns, client->next_id, conn,
				GFP_KERNEL_ACCOUNT);
		if (!ret)
			conn->conn_id = client->next_id++;
	}
	mutex_unlock(&client->ends_lock);
	if (ret) {
		iuc_conn_detach_ids(conn, client, IUC_PART_SC, conn->client_ids);
		return ret;
	}
	kref_get(&conn->ref);		/* the client side's */
	conn->client_held = true;
	return 0;
}

/*
 * The client lets go of @conn: its entry in the client's table and the
 * client's pipe ids go.  True if the caller is to drop the side's
 * reference, once svc->lock is dropped.  Under svc->lock.
 */
static bool iuc_conn_release_client_locked(struct iuc_conn *conn)
{
	struct iuc_context *client = conn->client;

	lockdep_assert_held(&conn->svc->lock);
	if (!conn->client_held)
		return false;
	conn->client_held = false;
	mutex_lock(&client->ends_lock);
	xa_erase(&client->conns, conn->conn_id);
	mutex_unlock(&client->ends_lock);
	iuc_conn_detach_ids(conn, client, IUC_PART_SC, conn->client_ids);
	return true;
}

/*
 * The service lets go of @conn: it leaves the service's list and the hash
 * of client threads, and the service's pipe ids go.  True if the caller
 * is to drop the side's reference, once svc->lock is dropped.
 */
static bool iuc_conn_release_service_locked(struct iuc_conn *conn)
{
	struct iuc_service *svc = conn->svc;

	lockdep_assert_held(&svc->lock);
	if (!conn->service_held)
		return false;
	conn->service_held = false;
	list_del_init(&conn->svc_node);
	spin_lock(&iuc_client_threads_lock);
	hash_del_rcu(&conn->thread_node);
	spin_unlock(&iuc_client_threads_lock);
	atomic_dec(&iuc_nr_client_threads);
	iuc_conn_detach_ids(conn, svc->ctx, IUC_PART_RC, conn->service_ids);
	return true;
}

/*
 * Close open @conn as @state says: both pipes at once, and its one
 * closing record, @code: SERVICE_CLIENT_QUITTED or SERVICE_CLIENT_CLOSED
 * to the client thread, caused by the client, or SERVICE_SERVER_QUITTED
 * to the client, caused by the service.  Under svc->lock.
 */
static void iuc_conn_close_locked(struct iuc_conn *conn,
				  enum iuc_conn_state state, u8 code)
{
	bool to_thread = code != IUC_SIG_SERVICE_SERVER_QUITTED;
	struct iuc_context *svc_ctx = conn->svc->ctx;
	struct iuc_event *ev = &conn->closing_ev;
	struct iuc_context *closer;
	u8 type;

	lockdep_assert_held(&conn->svc->lock);
	WRITE_ONCE(conn->state, state);
	closer = to_thread ? conn->client : svc_ctx;
	type = code == IUC_SIG_SERVICE_CLIENT_QUITTED ? IUC_CLOSED_BY_CALL :
						       IUC_CLOSED_PEER_DIED;
	iuc_service_pipe_close(conn->pipe[IUC_CONN_C2S], closer, type);
	iuc_service_pipe_close(conn->pipe[IUC_CONN_S2C], closer, type);
	trace_iuc_service_close(conn->request_id, conn->conn_id, code);

	iuc_event_init(ev, code, to_thread ? conn->request_id : conn->conn_id,
		       IUC_EV_CLOSING);
	ev->release = iuc_conn_closing_ev_release;
	kref_get(&conn->ref);		/* the record's */
	if (to_thread) {
		ev->thread = conn->thread;
		iuc_event_post(svc_ctx, ev, conn->client, false);
	} else {
		ev->sig.data.server_quitted.conn_id = conn->conn_id;
		iuc_event_post(conn->client, ev, svc_ctx, false);
	}
}

/* The open connection of @client to @svc, if any.  Under svc->lock. */
static struct iuc_conn *iuc_conn_find_open_locked(struct iuc_context *client,
						  struct iuc_service *svc)
{
	struct iuc_conn *conn, *found = NULL;
	unsigned long id;

	lockdep_assert_held(&svc->lock);
	mutex_lock(&client->ends_lock);
	xa_for_each(&client->conns, id, conn) {
		if (conn->svc == svc && conn->state == IUC_CONN_OPEN) {
			found = conn;
			break;
		}
	}
	mutex_unlock(&client->ends_lock);
	return found;
}

/* The connection whose client thread @task is.  Under RCU. */
static struct iuc_conn *iuc_thread_conn(struct task_struct *task)
{
	struct iuc_conn *conn;

	hash_for_each_possible_rcu(iuc_client_threads, conn, thread_node,
				   (unsigned long)task)
		if (conn->thread == task)
			return conn;
	return NULL;
}

/* ---- requests ---------------------------------------------------------- */

static void iuc_request_free_locked(struct iuc_service *svc,
				    struct iuc_request *req)
{
	xa_erase(&svc->requests, req->id);
	list_del(&req->node);
	svc->nr_requests--;
	kfree(req);
}

/*
 * Settle the pending request of @conn without a connection: its CONNECT
 * fails with @code and @err.  The entry stays, so that an answer gets
 * @late (0x30 too late, 0x20 the requester ended), or goes when @late is
 * 0 (withdrawn: unknown from now on).  Under svc->lock.
 */
static void iuc_request_settle_locked(struct iuc_conn *conn, u8 code, int err,
				      u8 late)
{
	struct iuc_request *req = conn->req;

	lockdep_assert_held(&conn->svc->lock);
	conn->req = NULL;
	conn->answer_code = code;
	conn->answer_err = err;
	WRITE_ONCE(conn->state, IUC_CONN_REFUSED);
	wake_up(&conn->wait);
	req->conn = NULL;
	if (late)
		req->late = late;
	else
		iuc_request_free_locked(conn->svc, req);
}

/* Settled requests older than IUC_REQUEST_KEEP delays go. */
static void iuc_requests_sweep_locked(struct iuc_service *svc)
{
	struct iuc_request *req, *tmp;

	lockdep_assert_held(&svc->lock);
	list_for_each_entry_safe(req, tmp, &svc->request_list, node) {
		if (req->conn || time_before(jiffies, req->expires))
			break;
		iuc_request_free_locked(svc, req);
	}
}

/*
 * May one more request enter?  A service holds as many requests as it may
 * have queued records (the backlog of a listening socket, in effect); when
 * they are all there, the oldest goes if it is settled (an answer then
 * finds it unknown), and a new request is refused if it is pending.
 */
static bool iuc_requests_room_locked(struct iuc_service *svc)
{
	struct iuc_request *oldest;

	lockdep_assert_held(&svc->lock);
	if (svc->nr_requests < READ_ONCE(iuc_max_queued_signals) ||
	    list_empty(&svc->request_list))
		return true;
	oldest = list_first_entry(&svc->request_list, struct iuc_request, node);
	if (oldest->conn)
		return false;
	iuc_request_free_locked(svc, oldest);
	return true;
}

/*
 * The pending request @id of @svc, to be answered now, or an ERR_PTR and
 * in *@code why not: unknown (0x10, -EBADF), the requester ended (0x20,
 * -ESRCH), too late (0x30, -ETIMEDOUT); a request whose delay ran out is
 * settled here if its client did not do it yet.  ACCEPT_SERVICE_CONN and
 * REJECT_SERVICE_CONN share these codes.  Under svc->lock.
 */
static struct iuc_request *iuc_request_answer_locked(struct iuc_service *svc,
						     u64 id, u8 *code)
{
	struct iuc_request *req;

	lockdep_assert_held(&svc->lock);
	iuc_requests_sweep_locked(svc);
	req = svc->dead || id > ULONG_MAX ? NULL : xa_load(&svc->requests, id);
	if (!req) {
		*code = IUC_E_ACCEPT_UNKNOWN_REQUEST;
		return ERR_PTR(-EBADF);
	}
	if (req->conn && time_after(jiffies, req->deadline))
		iuc_request_settle_locked(req->conn, IUC_E_CONNECT_REJECTED,
					  -ETIMEDOUT, IUC_E_ACCEPT_TOO_LATE);
	if (req->conn)
		return req;
	*code = req->late;
	return ERR_PTR(req->late == IUC_E_ACCEPT_TOO_LATE ? -ETIMEDOUT : -ESRCH);
}

/* ---- registry ---------------------------------------------------------- */

static struct iuc_service *iuc_service_find_locked(u32 anid, u8 scope,
						   kuid_t uid)
{
	struct iuc_service *svc;

	lockdep_assert_held(&iuc_services_lock);
	hash_for_each_possible(iuc_services, svc, hnode, anid)
		if (svc->anid == anid && svc->scope == scope &&
		    (scope == IUC_SCOPE_SYSTEM || uid_eq(svc->uid, uid)))
			return svc;
	return NULL;
}

/*
 * The instance of application @anid the caller reaches, with a reference
 * on its context: the one of the caller's effective uid, else the system
 * one, if its process is still in that application.  NULL if none.
 */
static struct iuc_service *iuc_service_reach(u32 anid)
{
	kuid_t euid = current_euid();
	struct iuc_service *svc;
	u8 scope;

	for (scope = IUC_SCOPE_USER; scope <= IUC_SCOPE_SYSTEM; scope++) {
		spin_lock(&iuc_services_lock);
		svc = iuc_service_find_locked(anid, scope, euid);
		if (svc && !kref_get_unless_zero(&svc->ctx->ref))
			svc = NULL;
		spin_unlock(&iuc_services_lock);
		if (!svc)
			continue;
		if (iuc_context_in_app(svc->ctx, anid))
			return svc;
		iuc_context_put(svc->ctx);
	}
	return NULL;
}

/* The context that owns @svc is freed. */
void iuc_service_free(struct iuc_service *svc)
{
	WARN_ON(!list_empty(&svc->conns) || !list_empty(&svc->request_list));
	xa_destroy(&svc->requests);
	mutex_destroy(&svc->lock);
	kfree(svc);
}

long iuc_ioctl_register_service(struct iuc_context *ctx, void *args)
{
	struct iuc_register_service *a = args;
	struct iuc_service *svc;
	long ret = 0;

	if (memchr_inv(a->__pad, 0, sizeof(a->__pad)))
		return iuc_fail(a, IUC_E_INVALID_ARG, -EINVAL);
	if (a->scope > IUC_SCOPE_SYSTEM)
		return iuc_fail(a, IUC_E_REGISTER_BAD_SCOPE, -EINVAL);
	if (a->scope == IUC_SCOPE_SYSTEM && !capable(CAP_SYS_ADMIN))
		return iuc_fail(a, IUC_E_REGISTER_NOT_PERMITTED, -EPERM);

	svc = kzalloc(sizeof(*svc), GFP_KERNEL_ACCOUNT);
	if (!svc)
		return iuc_fail(a, IUC_E_NO_KERNEL_MEMORY, -ENOMEM);
	svc->ctx = ctx;
	svc->anid = iuc_current_anid();
	svc->scope = a->scope;
	svc->uid = current_euid();
	mutex_init(&svc->lock);
	xa_init(&svc->requests);
	INIT_LIST_HEAD(&svc->request_list);
	INIT_LIST_HEAD(&svc->conns);
	svc->next_request_id = 1;

	/* The end of the context unregisters under this lock, once dead. */
	spin_lock(&iuc_services_lock);
	if (ctx->service) {
		ret = iuc_fail(a, IUC_E_REGISTER_ALREADY, -EALREADY);
	} else if (READ_ONCE(ctx->dead)) {
		ret = iuc_fail(a, IUC_E_NOT_OWNER, -EBADFD);
	} else if (iuc_service_find_locked(svc->anid, svc->scope, svc->uid)) {
		ret = iuc_fail(a, IUC_E_REGISTER_TAKEN, -EADDRINUSE);
	} else {
		hash_add(iuc_services, &svc->hnode, svc->anid);
		WRITE_ONCE(ctx->service, svc);
	}
	spin_unlock(&iuc_services_lock);
	trace_iuc_service_register(task_tgid_nr(current), svc->anid,
				   a->scope, ret);
	if (ret)
		iuc_service_free(svc);
	return ret;
}

/* ---- CONNECT_SERVICE --------------------------------------------------- */

/* The connection @conn, as CONNECT_SERVICE gives it to the client. */
static void iuc_connect_result(struct iuc_connect_service *a,
			       struct iuc_conn *conn)
{
	a->conn_id = conn->conn_id;
	a->sc = conn->client_ids[IUC_CONN_C2S];
	a->rc = conn->client_ids[IUC_CONN_S2C];
}

/*
 * Can the caller ask @svc for a connection?  1 if so; 0 when @a got the
 * open connection it has to @svc (flexible); otherwise iuc_fail().
 * Under svc->lock.
 */
static long iuc_connect_check_locked(struct iuc_context *ctx,
				     struct iuc_service *svc,
				     struct iuc_connect_service *a)
{
	struct iuc_conn *open;

	iuc_requests_sweep_locked(svc);
	if (svc->dead)
		return iuc_fail(a, IUC_E_CONNECT_NO_SERVICE, -ECONNREFUSED);
	open = iuc_conn_find_open_locked(ctx, svc);
	if (open && a->flexible == IUC_SERVICE_STRICT)
		return iuc_fail(a, IUC_E_CONNECT_ALREADY, -EISCONN);
	if (open) {
		iuc_connect_result(a, open);
		return 0;
	}
	if (!READ_ONCE(svc->ctx->ready) || !iuc_requests_room_locked(svc))
		return iuc_fail(a, IUC_E_CONNECT_NOT_DELIVERED, -EAGAIN);
	return 1;
}

/*
 * Enter @conn in the client's tables and @req in the service's, and post
 * the request @ev (taken over once posted: *@evp is then NULL).  On a
 * failure the client side, if any, is released again: *@put tells to drop
 * its reference; *@kill that the service does not handle requests.
 * Under svc->lock.  0 or iuc_fail().
 */
static long iuc_connect_request_locked(struct iuc_conn *conn,
				       struct iuc_request *req,
				       struct iuc_event **evp,
				       struct iuc_connect_service *a,
				       bool *put, bool *kill)
{
	struct iuc_service *svc = conn->svc;
	unsigned int delay = iuc_answer_delay();
	struct iuc_sig_service_conn_request *d;
	struct iuc_event *ev = *evp;
	long ret;

	ret = iuc_conn_attach_client_locked(conn);
	if (ret)
		return iuc_fail(a, iuc_attach_error(ret, IUC_E_NOT_OWNER),
				ret == -ESRCH ? -EBADFD : ret);
	req->id = svc->next_request_id++;
	ret = xa_insert(&svc->requests, req->id, req, GFP_KERNEL_ACCOUNT);
	if (ret) {
		ret = iuc_fail(a, IUC_E_NO_KERNEL_MEMORY, -ENOMEM);
		goto out_client;
	}

	d = &ev->sig.data.conn_request;
	ev->sig.object = req->id;
	d->client_pid = iuc_context_pid_nr(svc->ctx, conn->client->pid);
	d->request_id = req->id;
	d->command = conn->command;
	d->answer_delay_ms = delay;
	*evp = NULL;
	ret = iuc_event_post(svc->ctx, ev, conn->client, true);
	if (ret) {
		xa_erase(&svc->requests, req->id);
		*kill = ret == -ENOENT;
		ret = iuc_fail(a, IUC_E_CONNECT_NOT_DELIVERED,
			       ret == -EAGAIN ? -EAGAIN : -ECONNRESET);
		goto out_client;
	}

	req->deadline = jiffies + msecs_to_jiffies(delay);
	req->expires = jiffies + msecs_to_jiffies(delay * IUC_REQUEST_KEEP);
	req->conn = conn;
	list_add_tail(&req->node, &svc->request_list);
	svc->nr_requests++;
	conn->req = req;
	conn->request_id = req->id;
	conn->deadline = req->deadline;
	return 0;

out_client:
	WRITE_ONCE(conn->state, IUC_CONN_REFUSED);
	*put = iuc_conn_release_client_locked(conn);
	return ret;
}

/*
 * Wait for the answer to the request of @conn, at most until its deadline;
 * a signal withdraws it.  Whatever ends the wait, the client side stays
 * only with a connection.  0 with the connection in @a, or iuc_fail().
 */
static long iuc_connect_wait(struct iuc_conn *conn,
			     struct iuc_connect_service *a)
{
	struct iuc_service *svc = conn->svc;
	long left = (long)(conn->deadline - jiffies);
	bool put = false;
	long ret = 0;

	left = wait_event_interruptible_timeout(conn->wait,
						READ_ONCE(conn->state) != IUC_CONN_REQUESTED,
						max(left, 0L) + 1);

	mutex_lock(&svc->lock);
	if (conn->state == IUC_CONN_REQUESTED && left < 0)
		/* Withdrawn; a killed client's request says it ended. */
		iuc_request_settle_locked(conn, IUC_E_INTERRUPTED, -EINTR,
					  fatal_signal_pending(current) ?
					  IUC_E_ACCEPT_REQUESTER_GONE : 0);
	else if (conn->state == IUC_CONN_REQUESTED)
		iuc_request_settle_locked(conn, IUC_E_CONNECT_REJECTED,
					  -ETIMEDOUT, IUC_E_ACCEPT_TOO_LATE);

	if (conn->state == IUC_CONN_REFUSED) {
		ret = iuc_fail(a, conn->answer_code, conn->answer_err);
		put = iuc_conn_release_client_locked(conn);
	} else if (!conn->client_held) {
		/* Accepted, and the client's context ended since. */
		ret = iuc_fail(a, IUC_E_NOT_OWNER, -EBADFD);
	} else {
		/* Accepted; perhaps closed since, as END_SERVICE_CONN tells. */
		iuc_connect_result(a, conn);
	}
	mutex_unlock(&svc->lock);
	if (put)
		iuc_conn_put(conn);
	return ret;
}

long iuc_ioctl_connect_service(struct iuc_context *ctx, void *args)
{
	struct iuc_connect_service *a = args;
	struct iuc_conn *conn = NULL;
	struct iuc_request *req = NULL;
	struct iuc_event *ev = NULL;
	struct iuc_service *svc;
	bool requested = false, put = false, kill = false;
	long ret;

	a->conn_id = 0;
	a->sc = 0;
	a->rc = 0;
	if (a->__pad)
		return iuc_fail(a, IUC_E_INVALID_ARG, -EINVAL);
	if (a->flexible > IUC_SERVICE_FLEXIBLE)
		return iuc_fail(a, IUC_E_CONNECT_BAD_FLEXIBLE, -EINVAL);
	if (!iuc_anid_known(a->anid))
		return iuc_fail(a, IUC_E_CONNECT_UNKNOWN_ANID, -ESRCH);
	svc = iuc_service_reach(a->anid);
	if (!svc)
		return iuc_fail(a, IUC_E_CONNECT_NO_SERVICE, -ECONNREFUSED);

	/* Refusals cost nothing: check before the pipes are made. */
	mutex_lock(&svc->lock);
	ret = iuc_connect_check_locked(ctx, svc, a);
	mutex_unlock(&svc->lock);
	if (ret <= 0)
		goto out;

	conn = iuc_conn_create(ctx, svc, a->command);
	if (IS_ERR(conn)) {
		ret = PTR_ERR(conn);
		iuc_fail(a, ret == -EDQUOT ? IUC_E_LIMIT : IUC_E_NO_KERNEL_MEMORY,
			 ret);
		conn = NULL;
		goto out;
	}
	req = kzalloc(sizeof(*req), GFP_KERNEL_ACCOUNT);
	ev = iuc_event_alloc(IUC_SIG_SERVICE_CONN_REQUEST, 0, IUC_EV_BOUNDED);
	if (!req || !ev) {
		ret = iuc_fail(a, IUC_E_NO_KERNEL_MEMORY, -ENOMEM);
		goto out;
	}

	mutex_lock(&svc->lock);
	ret = iuc_connect_check_locked(ctx, svc, a);
	if (ret > 0) {
		ret = iuc_connect_request_locked(conn, req, &ev, a, &put, &kill);
		if (!ret) {
			req = NULL;	/* the service's now */
			requested = true;
		}
	}
	mutex_unlock(&svc->lock);

	/* The specification's answer to a service without the handler. */
	if (kill)
		kill_pid(svc->ctx->pid, SIGKILL, 1);
	if (put)
		iuc_conn_put(conn);
	if (requested)
		ret = iuc_connect_wait(conn, a);
out:
	trace_iuc_service_connect(task_tgid_nr(current), a->anid, a->command,
				  conn ? conn->request_id : 0, a->conn_id, ret);
	iuc_event_free(ev);
	kfree(req);
	if (conn)
		iuc_conn_put(conn);
	iuc_context_put(svc->ctx);
	return ret;
}

/* ---- answers ----------------------------------------------------------- */

/*
 * Open @conn, whose request @req is answered now: every id becomes
 * reachable at once, the calling thread becomes its client thread, the
 * client wakes.  Under svc->lock.
 */
static void iuc_conn_open_locked(struct iuc_conn *conn, struct iuc_request *req)
{
	struct iuc_service *svc = conn->svc;

	lockdep_assert_held(&svc->lock);
	iuc_conn_publish_ids(conn, conn->client, IUC_PART_SC, conn->client_ids);
	iuc_conn_publish_ids(conn, svc->ctx, IUC_PART_RC, conn->service_ids);

	get_task_struct(current);
	conn->thread = current;
	kref_get(&conn->ref);		/* the service side's */
	conn->service_held = true;
	list_add_tail(&conn->svc_node, &svc->conns);
	atomic_inc(&iuc_nr_client_threads);
	spin_lock(&iuc_client_threads_lock);
	hash_add_rcu(iuc_client_threads, &conn->thread_node,
		     (unsigned long)current);
	spin_unlock(&iuc_client_threads_lock);

	conn->req = NULL;
	iuc_request_free_locked(svc, req);	/* answered: unknown from now on */
	WRITE_ONCE(conn->state, IUC_CONN_OPEN);
	wake_up(&conn->wait);
}

long iuc_ioctl_accept_service_conn(struct iuc_context *ctx, void *args)
{
	struct iuc_accept_service_conn *a = args;
	struct iuc_service *svc = READ_ONCE(ctx->service);
	struct iuc_conn *conn, *old;
	struct iuc_request *req;
	bool put_old = false;
	long ret = 0;
	u8 code;

	a->rc = 0;
	a->sc = 0;
	a->is_client_thread = 0;
	if (memchr_inv(a->__pad, 0, sizeof(a->__pad)))
		return iuc_fail(a, IUC_E_INVALID_ARG, -EINVAL);
	/* io_uring's workers come and go: none can be a client thread. */
	if (current->flags & PF_IO_WORKER)
		return iuc_fail(a, IUC_E_INVALID_ARG, -EOPNOTSUPP);
	if (!svc)
		return iuc_fail(a, IUC_E_ACCEPT_UNKNOWN_REQUEST, -EBADF);

	mutex_lock(&svc->lock);
	req = iuc_request_answer_locked(svc, a->request_id, &code);
	if (IS_ERR(req)) {
		ret = iuc_fail(a, code, PTR_ERR(req));
		goto out;
	}
	conn = req->conn;

	/*
	 * A thread is the client thread of one connection at a time: of the
	 * one it holds open it is busy, one closed since it lets go now.
	 * Only the service's own lock changes its threads' entries.
	 */
	rcu_read_lock();
	old = iuc_thread_conn(current);
	rcu_read_unlock();
	if (old && (old->state == IUC_CONN_OPEN || WARN_ON_ONCE(old->svc != svc))) {
		ret = iuc_fail(a, IUC_E_ACCEPT_BUSY, -EBUSY);
		goto out;
	}
	ret = iuc_conn_attach_ids(conn, svc->ctx, IUC_PART_RC, conn->service_ids);
	if (ret) {
		ret = iuc_fail(a, iuc_attach_error(ret, IUC_E_ACCEPT_UNKNOWN_REQUEST),
			       ret == -ESRCH ? -EBADF : ret);
		goto out;
	}
	if (old)
		put_old = iuc_conn_release_service_locked(old);
	iuc_conn_open_locked(conn, req);
	a->rc = conn->service_ids[IUC_CONN_C2S];
	a->sc = conn->service_ids[IUC_CONN_S2C];
	a->is_client_thread = 1;
out:
	mutex_unlock(&svc->lock);
	if (put_old)
		iuc_conn_put(old);
	trace_iuc_service_accept(task_pid_nr(current), a->request_id, ret);
	return ret;
}

long iuc_ioctl_reject_service_conn(struct iuc_context *ctx, void *args)
{
	struct iuc_reject_service_conn *a = args;
	struct iuc_service *svc = READ_ONCE(ctx->service);
	struct iuc_request *req;
	long ret = 0;
	u8 code;

	if (!svc)
		return iuc_fail(a, IUC_E_REJECT_UNKNOWN_REQUEST, -EBADF);

	mutex_lock(&svc->lock);
	req = iuc_request_answer_locked(svc, a->request_id, &code);
	if (IS_ERR(req))
		ret = iuc_fail(a, code, PTR_ERR(req));
	else
		iuc_request_settle_locked(req->conn, IUC_E_CONNECT_REJECTED,
					  -ECONNREFUSED, 0);
	mutex_unlock(&svc->lock);
	trace_iuc_service_reject(task_pid_nr(current), a->request_id, ret);
	return ret;
}

/* ---- END_SERVICE_CONN and the ends ------------------------------------- */

long iuc_ioctl_end_service_conn(struct iuc_context *ctx, void *args)
{
	struct iuc_end_service_conn *a = args;
	struct iuc_service *svc;
	struct iuc_conn *conn;
	bool put = false;
	long ret = 0;

	mutex_lock(&ctx->ends_lock);
	conn = a->conn_id > ULONG_MAX ? NULL : xa_load(&ctx->conns, a->conn_id);
	if (conn)
		kref_get(&conn->ref);
	mutex_unlock(&ctx->ends_lock);
	if (!conn) {
		ret = iuc_fail(a, IUC_E_END_UNKNOWN_CONN, -EBADF);
		goto out;
	}

	svc = conn->svc;
	mutex_lock(&svc->lock);
	switch (conn->client_held ? conn->state : IUC_CONN_REFUSED) {
	case IUC_CONN_OPEN:
		iuc_conn_close_locked(conn, IUC_CONN_ENDED,
				      IUC_SIG_SERVICE_CLIENT_QUITTED);
		break;
	case IUC_CONN_SERVICE_QUIT:
		ret = iuc_fail(a, IUC_E_END_ALREADY_CLOSED, -EPIPE);
		break;
	case IUC_CONN_THREAD_QUIT:
		ret = iuc_fail(a, IUC_E_END_SERVER_TERMINATED, -ESRCH);
		break;
	default:	/* still requested, or released meanwhile */
		ret = iuc_fail(a, IUC_E_END_UNKNOWN_CONN, -EBADF);
		break;
	}
	if (ret != -EBADF)
		put = iuc_conn_release_client_locked(conn);
	mutex_unlock(&svc->lock);
	if (put)
		iuc_conn_put(conn);
	iuc_conn_put(conn);
out:
	trace_iuc_service_end(task_pid_nr(current), a->conn_id, ret);
	return ret;
}

/*
 * @ctx ends as a service: it leaves the registry, its pending requests
 * fail (0x30, ECONNRESET) and go with the others, and its open
 * connections close, each client getting SERVICE_SERVER_QUITTED.
 */
static void iuc_service_release(struct iuc_context *ctx)
{
	struct iuc_request *req, *rtmp;
	struct iuc_conn *conn, *ctmp;
	struct iuc_service *svc;
	LIST_HEAD(released);

	spin_lock(&iuc_services_lock);
	svc = ctx->service;
	if (svc)
		hash_del(&svc->hnode);
	spin_unlock(&iuc_services_lock);
	if (!svc)
		return;

	mutex_lock(&svc->lock);
	svc->dead = true;
	list_for_each_entry_safe(req, rtmp, &svc->request_list, node) {
		if (req->conn)
			iuc_request_settle_locked(req->conn,
						  IUC_E_CONNECT_NOT_DELIVERED,
						  -ECONNRESET, 0);
		else
			iuc_request_free_locked(svc, req);
	}
	list_for_each_entry_safe(conn, ctmp, &svc->conns, svc_node) {
		if (conn->state == IUC_CONN_OPEN)
			iuc_conn_close_locked(conn, IUC_CONN_SERVICE_QUIT,
					      IUC_SIG_SERVICE_SERVER_QUITTED);
		if (iuc_conn_release_service_locked(conn))
			list_add(&conn->svc_node, &released);
	}
	mutex_unlock(&svc->lock);

	list_for_each_entry_safe(conn, ctmp, &released, svc_node) {
		list_del(&conn->svc_node);
		iuc_conn_put(conn);
	}
}

/*
 * @ctx ends as a client: its pending requests are settled (an answer
 * learns that the requester ended), its open connections close, each
 * client thread getting SERVICE_CLIENT_CLOSED, and it lets go of all.
 */
static void iuc_conns_release_client(struct iuc_context *ctx)
{
	struct iuc_service *svc;
	struct iuc_conn *conn;
	unsigned long id;
	bool put;

	mutex_lock(&ctx->ends_lock);
	ctx->conns_closed = true;	/* no connection enters from now on */
	mutex_unlock(&ctx->ends_lock);

	/* Each round takes one connection out of the table. */
	for (;;) {
		id = 0;
		mutex_lock(&ctx->ends_lock);
		conn = xa_find(&ctx->conns, &id, ULONG_MAX, XA_PRESENT);
		if (conn)
			kref_get(&conn->ref);
		mutex_unlock(&ctx->ends_lock);
		if (!conn)
			break;

		svc = conn->svc;
		mutex_lock(&svc->lock);
		if (conn->state == IUC_CONN_REQUESTED)
			iuc_request_settle_locked(conn, IUC_E_NOT_OWNER, -EBADFD,
						  IUC_E_ACCEPT_REQUESTER_GONE);
		else if (conn->state == IUC_CONN_OPEN)
			iuc_conn_close_locked(conn, IUC_CONN_ENDED,
					      IUC_SIG_SERVICE_CLIENT_CLOSED);
		put = iuc_conn_release_client_locked(conn);
		mutex_unlock(&svc->lock);
		if (put)
			iuc_conn_put(conn);
		iuc_conn_put(conn);
	}
}

/*
 * The context ends: as a service, then as a client (a process may be
 * both, even of itself).  Before its pipes are released: a connection
 * that was published is then closed here first.
 */
void iuc_services_release_all(struct iuc_context *ctx)
{
	iuc_service_release(ctx);
	iuc_conns_release_client(ctx);
}

/* ---- client threads ---------------------------------------------------- */

/*
 * The client thread of @conn ended: if the connection is open, it closes
 * and the client gets SERVICE_SERVER_QUITTED (END_SERVICE_CONN then tells
 * whether the whole service ended); the service side goes.
 */
static void iuc_conn_thread_exit_work(struct work_struct *work)
{
	struct iuc_conn *conn = container_of(work, struct iuc_conn, exit_work);
	struct iuc_service *svc = conn->svc;
	bool put = false;

	mutex_lock(&svc->lock);
	if (conn->state == IUC_CONN_OPEN)
		iuc_conn_close_locked(conn, conn->group_exit ?
				      IUC_CONN_SERVICE_QUIT : IUC_CONN_THREAD_QUIT,
				      IUC_SIG_SERVICE_SERVER_QUITTED);
	put = iuc_conn_release_service_locked(conn);
	mutex_unlock(&svc->lock);
	if (put)
		iuc_conn_put(conn);
	iuc_conn_put(conn);		/* the work's */
}

/*
 * A thread exits (do_exit(), in the thread, atomic): if it is a client
 * thread, queue the work that closes its connection.  One atomic read
 * while there is no client thread at all.
 */
static void iuc_thread_exit(struct task_struct *task)
{
	struct iuc_conn *conn;

	if (likely(!atomic_read(&iuc_nr_client_threads)))
		return;
	rcu_read_lock();
	conn = iuc_thread_conn(task);
	if (conn && kref_get_unless_zero(&conn->ref)) {
		/* signal->live dropped before the tracepoint fires. */
		conn->group_exit = !atomic_read(&task->signal->live) ||
				   (task->signal->flags & SIGNAL_GROUP_EXIT);
		if (!iuc_schedule(&conn->exit_work))
			kref_put(&conn->ref, iuc_conn_free);	/* queued: not the last */
	}
	rcu_read_unlock();
}

/* The probe of sched_process_exit, whose arguments grew on newer kernels. */
#ifdef IUC_HAVE_SCHED_EXIT_GROUP_DEAD
static void iuc_sched_exit_probe(void *data, struct task_struct *task,
				 bool group_dead)
#else
static void iuc_sched_exit_probe(void *data, struct task_struct *task)
#endif
{
	iuc_thread_exit(task);
}

static void __init iuc_find_sched_exit(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sched_process_exit"))
		*(struct tracepoint **)priv = tp;
}

/*
 * The probe is attached while the module is loaded: a kernel tracepoint,
 * found by name (for_each_kernel_tracepoint()), as out-of-tree tracers do.
 */
int __init iuc_service_init(void)
{
	int ret;

	for_each_kernel_tracepoint(iuc_find_sched_exit, &iuc_sched_exit_tp);
	if (!iuc_sched_exit_tp) {
		pr_err("no sched_process_exit tracepoint\n");
		return -ENOENT;
	}
	ret = tracepoint_probe_register(iuc_sched_exit_tp, iuc_sched_exit_probe,
					NULL);
	if (ret)
		pr_err("cannot probe sched_process_exit: %d\n", ret);
	return ret;
}

/* Before the workqueue goes: no probe runs, and none queues work, after it. */
void iuc_service_exit(void)
{
	tracepoint_probe_unregister(iuc_sched_exit_tp, iuc_sched_exit_probe, NULL);
	tracepoint_synchronize_unregister();
}
