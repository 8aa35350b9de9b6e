/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IUC trace events: /sys/kernel/tracing/events/iuc/, usable with perf,
 * trace-cmd and bpftrace.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM iuc

#if !defined(_IUC_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _IUC_TRACE_H

#include <linux/tracepoint.h>

/* A signal record was queued in the context of process @pid. */
TRACE_EVENT(iuc_signal_queue,
	    TP_PROTO(pid_t pid, u8 code, u64 object, bool ready),
	    TP_ARGS(pid, code, object, ready),
	    TP_STRUCT__entry(__field(pid_t, pid)
			     __field(u8, code)
			     __field(u64, object)
			     __field(bool, ready)),
	    TP_fast_assign(__entry->pid = pid;
			   __entry->code = code;
			   __entry->object = object;
			   __entry->ready = ready;),
	    TP_printk("pid=%d code=0x%02x object=%llu ready=%d",
		      __entry->pid, __entry->code, __entry->object, __entry->ready)
);

/* The caller (@pid) opened a pipe to @target: its id, the target's id. */
TRACE_EVENT(iuc_pipe_open,
	    TP_PROTO(pid_t pid, pid_t target, u64 id, u64 peer_id, u64 capacity,
		     u8 mode),
	    TP_ARGS(pid, target, id, peer_id, capacity, mode),
	    TP_STRUCT__entry(__field(pid_t, pid)
			     __field(pid_t, target)
			     __field(u64, id)
			     __field(u64, peer_id)
			     __field(u64, capacity)
			     __field(u8, mode)),
	    TP_fast_assign(__entry->pid = pid;
			   __entry->target = target;
			   __entry->id = id;
			   __entry->peer_id = peer_id;
			   __entry->capacity = capacity;
			   __entry->mode = mode;),
	    TP_printk("pid=%d target=%d id=%llu peer_id=%llu capacity=%llu mode=%u",
		      __entry->pid, __entry->target, __entry->id, __entry->peer_id,
		      __entry->capacity, __entry->mode)
);

/* A pipe closed, by a call or by the end of a process (@type). */
TRACE_EVENT(iuc_pipe_close,
	    TP_PROTO(pid_t pid, u64 id, u8 type),
	    TP_ARGS(pid, id, type),
	    TP_STRUCT__entry(__field(pid_t, pid)
			     __field(u64, id)
			     __field(u8, type)),
	    TP_fast_assign(__entry->pid = pid;
			   __entry->id = id;
			   __entry->type = type;),
	    TP_printk("pid=%d id=%llu type=%u", __entry->pid, __entry->id,
		      __entry->type)
);

/* PIPE_WRITE or PIPE_READ returned. */
DECLARE_EVENT_CLASS(iuc_pipe_io,
		    TP_PROTO(u64 id, u64 count, u8 mode, u64 transferred, long ret),
		    TP_ARGS(id, count, mode, transferred, ret),
		    TP_STRUCT__entry(__field(u64, id)
				     __field(u64, count)
				     __field(u64, transferred)
				     __field(long, ret)
				     __field(u8, mode)),
		    TP_fast_assign(__entry->id = id;
				   __entry->count = count;
				   __entry->transferred = transferred;
				   __entry->ret = ret;
				   __entry->mode = mode;),
		    TP_printk("id=%llu count=%llu mode=%u transferred=%llu ret=%ld",
			      __entry->id, __entry->count, __entry->mode,
			      __entry->transferred, __entry->ret)
);

DEFINE_EVENT(iuc_pipe_io, iuc_pipe_write,
	     TP_PROTO(u64 id, u64 count, u8 mode, u64 transferred, long ret),
	     TP_ARGS(id, count, mode, transferred, ret)
);

DEFINE_EVENT(iuc_pipe_io, iuc_pipe_read,
	     TP_PROTO(u64 id, u64 count, u8 mode, u64 transferred, long ret),
	     TP_ARGS(id, count, mode, transferred, ret)
);

/*
 * PIPE_CALL returned: @written bytes of @wcount went to SC @sc,
 * @transferred bytes came from RC @rc; @stage is the half that failed.
 */
TRACE_EVENT(iuc_pipe_call,
	    TP_PROTO(u64 sc, u64 wcount, u64 written, u64 rc, u32 rcount,
		     u64 transferred, u8 stage, long ret),
	    TP_ARGS(sc, wcount, written, rc, rcount, transferred, stage, ret),
	    TP_STRUCT__entry(__field(u64, sc)
			     __field(u64, wcount)
			     __field(u64, written)
			     __field(u64, rc)
			     __field(u64, transferred)
			     __field(long, ret)
			     __field(u32, rcount)
			     __field(u8, stage)),
	    TP_fast_assign(__entry->sc = sc;
			   __entry->wcount = wcount;
			   __entry->written = written;
			   __entry->rc = rc;
			   __entry->transferred = transferred;
			   __entry->ret = ret;
			   __entry->rcount = rcount;
			   __entry->stage = stage;),
	    TP_printk("sc=%llu wcount=%llu written=%llu rc=%llu rcount=%u transferred=%llu stage=%u ret=%ld",
		      __entry->sc, __entry->wcount, __entry->written,
		      __entry->rc, __entry->rcount, __entry->transferred,
		      __entry->stage, __entry->ret)
);

/* REGISTER_SERVICE returned: the caller (@pid) serves @anid for @scope. */
TRACE_EVENT(iuc_service_register,
	    TP_PROTO(pid_t pid, u32 anid, u8 scope, long ret),
	    TP_ARGS(pid, anid, scope, ret),
	    TP_STRUCT__entry(__field(pid_t, pid)
			     __field(u32, anid)
			     __field(long, ret)
			     __field(u8, scope)),
	    TP_fast_assign(__entry->pid = pid;
			   __entry->anid = anid;
			   __entry->ret = ret;
			   __entry->scope = scope;),
	    TP_printk("pid=%d anid=%u scope=%u ret=%ld", __entry->pid,
		      __entry->anid, __entry->scope, __entry->ret)
);

/*
 * CONNECT_SERVICE returned: the client (@pid) asked the service of @anid
 * (request @request_id, 0 if none was made) and got @conn_id.
 */
TRACE_EVENT(iuc_service_connect,
	    TP_PROTO(pid_t pid, u32 anid, u16 command, u64 request_id,
		     u64 conn_id, long ret),
	    TP_ARGS(pid, anid, command, request_id, conn_id, ret),
	    TP_STRUCT__entry(__field(pid_t, pid)
			     __field(u32, anid)
			     __field(u64, request_id)
			     __field(u64, conn_id)
			     __field(long, ret)
			     __field(u16, command)),
	    TP_fast_assign(__entry->pid = pid;
			   __entry->anid = anid;
			   __entry->request_id = request_id;
			   __entry->conn_id = conn_id;
			   __entry->ret = ret;
			   __entry->command = command;),
	    TP_printk("pid=%d anid=%u command=%u request_id=%llu conn_id=%llu ret=%ld",
		      __entry->pid, __entry->anid, __entry->command,
		      __entry->request_id, __entry->conn_id, __entry->ret)
);

/*
 * ACCEPT_SERVICE_CONN, REJECT_SERVICE_CONN (@id: the request) or
 * END_SERVICE_CONN (@id: the connection) returned, in thread @tid.
 */
DECLARE_EVENT_CLASS(iuc_service_call,
		    TP_PROTO(pid_t tid, u64 id, long ret),
		    TP_ARGS(tid, id, ret),
		    TP_STRUCT__entry(__field(pid_t, tid)
				     __field(u64, id)
				     __field(long, ret)),
		    TP_fast_assign(__entry->tid = tid;
				   __entry->id = id;
				   __entry->ret = ret;),
		    TP_printk("tid=%d id=%llu ret=%ld", __entry->tid, __entry->id,
			      __entry->ret)
);

DEFINE_EVENT(iuc_service_call, iuc_service_accept,
	     TP_PROTO(pid_t tid, u64 id, long ret),
	     TP_ARGS(tid, id, ret)
);

DEFINE_EVENT(iuc_service_call, iuc_service_reject,
	     TP_PROTO(pid_t tid, u64 id, long ret),
	     TP_ARGS(tid, id, ret)
);

DEFINE_EVENT(iuc_service_call, iuc_service_end,
	     TP_PROTO(pid_t tid, u64 id, long ret),
	     TP_ARGS(tid, id, ret)
);

/*
 * A service connection closed (service side @request_id, client side
 * @conn_id); @code is the record that tells it: SERVICE_CLIENT_QUITTED,
 * SERVICE_CLIENT_CLOSED to the client thread, SERVICE_SERVER_QUITTED to
 * the client.
 */
TRACE_EVENT(iuc_service_close,
	    TP_PROTO(u64 request_id, u64 conn_id, u8 code),
	    TP_ARGS(request_id, conn_id, code),
	    TP_STRUCT__entry(__field(u64, request_id)
			     __field(u64, conn_id)
			     __field(u8, code)),
	    TP_fast_assign(__entry->request_id = request_id;
			   __entry->conn_id = conn_id;
			   __entry->code = code;),
	    TP_printk("request_id=%llu conn_id=%llu code=0x%02x",
		      __entry->request_id, __entry->conn_id, __entry->code)
);

#endif /* _IUC_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE iuc_trace
#include <trace/define_trace.h>
