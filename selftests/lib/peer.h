/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Peers: the other processes of a test scenario.
 *
 * A peer is a child process that runs commands the test sends it over a
 * pipe, one at a time, and answers each with the full result of its call
 * (the argument struct after the ioctl, a record read, a fault raised...).
 * This is how a test drives "the other process" of every scenario without
 * sleeping: when a synchronous command returns, the peer's call has
 * completed.  A command can also be sent without waiting (peer_send()), so
 * that the peer blocks in a call while the test acts; peer_wait() collects
 * the answer later.
 *
 * The operations come in areas, each with a table of its own: the context
 * (peer.c: open /dev/iuc, handlers, records, ids and capabilities,
 * namespaces, fork, exec), pipes (peer_pipe.c), memory (peer_shm.c) and
 * services (peer_service.c).  An op is (area << 8) | index.
 *
 * A peer holds up to two fds of /dev/iuc, in slots: PEER_OWN (opened by
 * the peer itself) and PEER_INHERITED (inherited through fork or received
 * by SCM_RIGHTS); peer.slot selects the one that the next commands use.
 * It blocks the real-time signals (a test waits for them with
 * PEER_WAIT_RT) and installs the memory probes' handlers.  It exits when
 * the test closes its command pipe (peer_stop()), when the process that
 * started it dies (PR_SET_PDEATHSIG, unless told otherwise) or on
 * PEER_EXIT.  PEER_EXEC replaces its image with the iuc_peer program (built
 * beside the tests), which carries on as the same peer: same pipes, same
 * IUC fds, a new address space.
 *
 * Peers never use the harness macros; a test checks what they report.
 */
#ifndef IUC_LIB_PEER_H
#define IUC_LIB_PEER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/iuc.h>

#include "stream.h"

#ifdef __cplusplus
extern "C" {
#endif

enum peer_op {
	/* the context, ids and processes: peer.c */
	PEER_OPEN_DEV = 0x100,	/* a0 PEER_KEEP_ON_EXEC: without O_CLOEXEC; into PEER_OWN */
	PEER_CLOSE_DEV,		/* close(2) the selected slot's fd */
	PEER_HANDLE,		/* a0 code, a1 rt_signal */
	PEER_UNHANDLE,		/* a0 code */
	PEER_IS_HANDLED,	/* a0 code -> v0 handled, v1 rt_signal */
	PEER_READY,
	PEER_READ_SIG,		/* a0 timeout ms -> sig */
	PEER_READ_RAW,		/* read(2) of one record's size -> ret = bytes */
	PEER_POLL,		/* a0 timeout ms -> ret = revents */
	PEER_SIG_PENDING,	/* ret = 1 if a record is readable now */
	PEER_WAIT_RT,		/* a0 signal, a1 timeout -> v0 signo, v1 si_code, v2 si_errno, v3 si_pid */
	PEER_SETUID,		/* a0 ruid, a1 euid, a2 suid (gids alike) -> v0 capabilities left */
	PEER_DROP_CAP,		/* a0 capability */
	PEER_UNSHARE_IPC,	/* unshare(CLONE_NEWIPC) */
	PEER_NS_INO,		/* -> v0 inode of /proc/self/ns/ipc */
	PEER_OPEN_PATH,		/* data: path, kept as the peer's extra fd */
	PEER_SETNS,		/* setns(extra fd, CLONE_NEWIPC) */
	PEER_SEND_FD,		/* send the selected slot's fd over the socket */
	PEER_RECV_FD,		/* receive an fd from the socket into PEER_INHERITED */
	PEER_FORK,		/* a0 PEER_FORK_*: start the sub peer -> v0 pid */
	PEER_FORK_HOLDER,	/* fork a child keeping every fd until the hold pipe ends -> v0 */
	PEER_SETRLIMIT,		/* a0 resource, a1 cur, a2 max */
	PEER_EXEC,		/* exec iuc_peer, carry on there -> v0 pid */
	PEER_RUN,		/* a0 peer_fn: fn(fd, data) -> ret, data */
	PEER_EXIT,		/* _exit(a0), no answer */
	PEER_CTX_END,

	/* pipes: peer_pipe.c */
	PEER_OPEN_PIPE = 0x200,	/* u.open */
	PEER_SEND_PIPE,		/* u.send */
	PEER_CLOSE_PIPE,	/* u.close */
	PEER_WRITE,		/* u.w; bytes: pattern a0 from offset a1 */
	PEER_READ,		/* u.r; a2 buffer size -> v0 first byte not pattern a0 at a1 */
	PEER_INFO,		/* u.info */
	PEER_STREAM_WRITE,	/* a0 id, st */
	PEER_STREAM_READ,	/* a0 id, st */
	PEER_MSG_VERIFY,	/* a0 id, a1 writers, a2 per writer -> v0 ok, v1 bad index */
	PEER_PIPE_CALL,		/* u.call; writes pattern a0, a2 buffer size -> v0 first byte not pattern a1 */
	PEER_CALL_ECHO,		/* a0 rc, a1 sc, a2 requests, a3 rcount: echo each by PIPE_CALL -> v0 echoed, v1 stage */
	PEER_PIPE_END,

	/* memory: peer_shm.c; probes report signo, si_code, fault_addr */
	PEER_MMAP_ANON = 0x300,	/* a0 len, a1 prot, a2 extra flags -> v0 addr */
	PEER_MMAP_ID,		/* a0 len, a1 prot, a2 flags, a3 segment -> v0 addr */
	PEER_MUNMAP,		/* a0 addr, a1 len */
	PEER_MPROTECT,		/* a0 addr, a1 len, a2 prot */
	PEER_READ64,		/* a0 addr -> v0 */
	PEER_WRITE64,		/* a0 addr, a1 value */
	PEER_FILL,		/* a0 addr, a1 len, a2 tag */
	PEER_CHECK,		/* a0 addr, a1 len, a2 tag -> ret -EILSEQ, v0 offset */
	PEER_CALL,		/* a0 addr -> v0 return value */
	PEER_SHARE,		/* u.share */
	PEER_UNSHARE,		/* a0 segment */
	PEER_UNMAP,		/* a0 segment */
	PEER_MEM_INFO,		/* a0 segment -> u.mem_info */
	PEER_ZERO_ALIAS,	/* a0 addr -> v0: is it the zero page */
	PEER_VMSIZE,		/* -> v0 VmSize in bytes */
	PEER_MAP_ARENA,		/* a0 length -> v0 addr */
	PEER_SHM_END,

	/*
	 * services: peer_service.c.  A service's client threads are numbered
	 * (index) in the order PEER_SVC_THREAD starts them.
	 */
	PEER_REGISTER = 0x400,	/* a0 scope */
	PEER_CONNECT,		/* u.connect -> u.connect; blocks: peer_send() + peer_connect_wait() */
	PEER_ACCEPT,		/* a0 request -> u.accept: the peer's main thread accepts */
	PEER_REJECT,		/* a0 request */
	PEER_END,		/* a0 connection */
	PEER_SVC_THREAD,	/* a0 request -> u.accept, v0 index, v1 tid: a new thread accepts, echoes */
	PEER_SVC_THREAD_WAIT,	/* a0 index, a1 timeout: its echo ended -> data: struct svc_echo */
	PEER_SVC_THREAD_TAKE_RT, /* a0 index, a1 signal, a2 timeout: sigtimedwait there -> v0..v3 as PEER_WAIT_RT */
	PEER_SVC_THREAD_EXIT,	/* a0 index: the thread ends, interrupted if it is in a call */
	PEER_SVC_RT_WHERE,	/* a0 signal, a1 timeout: once pending -> v0 shared, v1 main thread, v2 threads, v3 first index */
	PEER_ECHO,		/* a0 sc, a1 rc, a2 messages, a3 client: each written, its echo read -> v0 echoed, v1/v2 sum */
	PEER_SVC_END,
};

#define PEER_KEEP_ON_EXEC	1	/* PEER_OPEN_DEV */
#define PEER_FORK_SHARE_FD	1	/* PEER_FORK: the sub peer inherits PEER_OWN */
#define PEER_FORK_PDEATHSIG	2	/* PEER_FORK: the sub peer dies with its parent */

/* Slots of a peer's fds of /dev/iuc. */
#define PEER_OWN		0
#define PEER_INHERITED		1

/*
 * peer.prepared of a prepared peer.  A magic value, not a flag: peer_start()
 * takes any struct peer, an uninitialised one too, and garbage is not
 * "prepared".
 */
#define PEER_PREPARED		0x70726570u

/* Result of a command whose transport failed: matches no expected value. */
#define PEER_BROKEN		(-100000)

#define PEER_DATA_MAX		128

union peer_args {
	struct iuc_open_pipe open;
	struct iuc_send_pipe send;
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	struct iuc_pipe_info info;
	struct iuc_pipe_call call;
	struct iuc_close_pipe close;
	struct iuc_share_mem share;
	struct iuc_mem_sharing_info mem_info;
	struct iuc_connect_service connect;
	struct iuc_accept_service_conn accept;
};

struct peer_msg {
	uint32_t op;
	uint32_t slot;		/* set by peer_send() from peer.slot */
	uint64_t a[4];
	union peer_args u;
	struct stream st;
	char data[PEER_DATA_MAX];
};

struct peer_reply {
	int64_t ret;		/* 0 / -errno, or what the op says */
	uint32_t error;		/* the call's @error field after the call */
	int32_t signo;		/* probes: the signal an access raised, 0 if none */
	int32_t si_code;
	uint32_t __pad;
	uint64_t fault_addr;
	uint64_t v[4];
	union peer_args u;	/* the struct after the call */
	struct stream st;
	struct iuc_signal sig;
	char data[PEER_DATA_MAX];	/* PEER_RUN's data; why a check failed */
};

struct peer {
	pid_t pid;
	int cmd, rsp;		/* test side */
	int cmd_rd, rsp_wr;	/* peer side, until it runs */
	int slot;		/* slot that the next commands use */
	int pending;		/* commands sent and not answered */
	uint32_t prepared;	/* PEER_PREPARED: peer_prepare() ran, not started yet */
};

/* Options of peer_start(); fds are 0 when absent (0 is never one of them). */
struct peer_opts {
	int inherit_fd;		/* fd of /dev/iuc put into PEER_INHERITED */
	int sock;		/* unix socket of PEER_SEND_FD / PEER_RECV_FD */
	int hold;		/* read end of the hold pipe of PEER_FORK_HOLDER */
	struct peer *sub;	/* prepared peer that PEER_FORK will start */
	bool no_pdeathsig;	/* survive the process that starts it */
};

/* What PEER_RUN runs in the peer: its result is the reply's ret. */
typedef int (*peer_fn)(int iuc_fd, void *data);

/* ---- starting and ending ----------------------------------------------------- */

/* Create the pipes of @p: for a sub peer given in peer_opts.sub. */
int peer_prepare(struct peer *p);
/*
 * Start @p (prepared, or not even initialised) as a child of the calling
 * thread; @o may be NULL.  Fork peers from the test's main thread
 * (PR_SET_PDEATHSIG follows the thread).  0 or -errno.
 */
int peer_start(struct peer *p, const struct peer_opts *o);
/*
 * Close the command pipe (an idle peer exits 0) and reap the peer, killing
 * it if it does not end within TIMEOUT_MS.  The wait status, or -errno.  A
 * sub peer can only be reaped by a subreaper whose parent peer ended.
 */
int peer_stop(struct peer *p);
/* SIGKILL @p and reap it: the wait status. */
int peer_kill(struct peer *p);
/* SIGKILL a peer that is not the caller's child (a sub peer); no reaping. */
void peer_forget(struct peer *p);
/* Tell @p to _exit(@status) (no answer); not reaped.  0 or -errno. */
int peer_exit(struct peer *p, int status);

/* ---- commands ------------------------------------------------------------------ */

struct peer_msg peer_msg(uint32_t op, uint64_t a0, uint64_t a1);
/* Send @m without waiting for the answer.  0 or -errno. */
int peer_send(struct peer *p, struct peer_msg *m);
/* Wait up to @ms for the answer to the oldest command sent: r->ret or PEER_BROKEN. */
int peer_wait(struct peer *p, struct peer_reply *r, int ms);
/* Run @m (waiting as long as the op may take): r->ret, or PEER_BROKEN. */
int peer_call(struct peer *p, struct peer_msg *m, struct peer_reply *r);
/* Run @op with @a0..@a3; @r (may be NULL) gets the reply.  ret or PEER_BROKEN. */
int peer_cmd(struct peer *p, uint32_t op, uint64_t a0, uint64_t a1,
	     uint64_t a2, uint64_t a3, struct peer_reply *r);
/* Run @op with @a0; *@err (may be NULL): the call's @error.  ret or PEER_BROKEN. */
int peer_do(struct peer *p, uint32_t op, uint64_t a0, uint32_t *err);
/* v0 of @op with @a0, 0 if it failed. */
uint64_t peer_v0(struct peer *p, uint32_t op, uint64_t a0);

/* ---- the context (peer.c) -------------------------------------------------------- */

int peer_open_dev(struct peer *p);
int peer_close_dev(struct peer *p);
int peer_handle(struct peer *p, unsigned int code, uint32_t rt, uint32_t *err);
int peer_unhandle(struct peer *p, unsigned int code, uint32_t *err);
int peer_is_handled(struct peer *p, unsigned int code, int *handled, uint32_t *err);
int peer_ready(struct peer *p, uint32_t *err);
/* Wait up to @ms in the peer for one record and read it. */
int peer_read_sig(struct peer *p, struct iuc_signal *s, int ms);
/* read(2) of one record's size: bytes read or -errno. */
int peer_read_raw(struct peer *p);
/* poll(2) for POLLIN: revents, 0 on timeout, or -errno. */
int peer_poll(struct peer *p, int ms);
/* Is a record readable in the peer now?  1, 0 or an error. */
int peer_sig_pending(struct peer *p);

struct rt_info {
	int signo, code;
	int iuc_code;		/* si_errno: the IUC signal code */
	pid_t pid;
};

/* Wait in the peer for the (blocked) real-time signal @sig. */
int peer_wait_rt(struct peer *p, int sig, struct rt_info *ri, int ms);
/* setresuid(@uid, @uid, @uid), gids alike: every capability goes. */
int peer_setuid(struct peer *p, uid_t uid);
/* setresuid(@r, @e, @s), gids alike; *@caps: effective | permitted left. */
int peer_setresuid(struct peer *p, uid_t r, uid_t e, uid_t s, uint64_t *caps);
int peer_drop_cap(struct peer *p, int cap);
int peer_unshare_ipc(struct peer *p);
/* The peer's ANID (IPC namespace inode), 0 on failure. */
uint64_t peer_ns_ino(struct peer *p);
int peer_open_path(struct peer *p, const char *path);
int peer_setns(struct peer *p);
int peer_send_fd(struct peer *p);
int peer_recv_fd(struct peer *p);
/* Let @p start @sub (given in its peer_opts) with PEER_FORK_* @flags. */
int peer_fork(struct peer *p, struct peer *sub, unsigned int flags);
/* The pid of a holder child forked by @p, or an error. */
int peer_fork_holder(struct peer *p);
int peer_setrlimit(struct peer *p, int resource, uint64_t cur, uint64_t max);
/* exec(2) of iuc_peer by @p: a new address space, same peer.  0 or an error. */
int peer_exec(struct peer *p);
/*
 * Run @fn(fd of the selected slot, copy of @data) in @p; @len bytes of
 * @data (at most PEER_DATA_MAX) go in and come back.  fn's result, or an error.
 */
int peer_run(struct peer *p, peer_fn fn, void *data, size_t len);
/*
 * peer_run() in two halves, for a function that blocks or runs long while
 * the caller acts (a benchmark's receiving side): send the command (0,
 * -E2BIG or PEER_BROKEN), then wait up to @ms for fn's result and data.
 */
int peer_run_send(struct peer *p, peer_fn fn, const void *data, size_t len);
int peer_run_wait(struct peer *p, void *data, size_t len, int ms);

/* Give the started @p a context handling @codes (records only), READY if @ready. */
int peer_ctx(struct peer *p, const uint8_t *codes, int n, bool ready);
/* peer_ctx() of a pipe target: handles RECV_PIPE and PIPE_CLOSED, READY. */
int peer_target_ctx(struct peer *p);
/* Start @p with a context handling @codes (records only), READY if @ready. */
int peer_start_ctx(struct peer *p, const uint8_t *codes, int n, bool ready);
/* A context (no handlers, not READY): a pipe opener. */
int peer_start_opener(struct peer *p);
/* Handles RECV_PIPE and PIPE_CLOSED, READY: a pipe target. */
int peer_start_target(struct peer *p);
/* Handles RECV_SHARED_MEM and UNSHARED_MEM, READY: a memory receiver. */
int peer_start_receiver(struct peer *p);

/* ---- pipes (peer_pipe.c) ------------------------------------------------------------ */

/* OPEN_PIPE with @a; the results are copied back into @a. */
int peer_open_pipe(struct peer *p, struct iuc_open_pipe *a);
int peer_send_pipe(struct peer *p, uint64_t id, uint64_t pid, uint8_t notify,
		   struct iuc_send_pipe *out);
int peer_close_pipe(struct peer *p, uint64_t id, uint32_t *err);
/* The command that writes bytes [@off, +@count) of pattern @seed to @id. */
struct peer_msg peer_msg_write(uint64_t id, uint64_t count, uint8_t mode,
			       uint64_t seed, uint64_t off);
int peer_write(struct peer *p, uint64_t id, uint64_t count, uint8_t mode,
	       uint64_t seed, uint64_t off, struct iuc_pipe_write *out);
/* The command that reads @id into a buffer of max(@count, @bufsize) bytes. */
struct peer_msg peer_msg_read(uint64_t id, uint32_t count, uint8_t mode,
			      uint64_t seed, uint64_t off, uint64_t bufsize);
/* *@bad: first byte read that is not pattern @seed from @off, or PAT_NO_BAD. */
int peer_read(struct peer *p, uint64_t id, uint32_t count, uint8_t mode,
	      uint64_t seed, uint64_t off, uint64_t bufsize,
	      struct iuc_pipe_read *out, uint64_t *bad);
int peer_info(struct peer *p, uint64_t id, struct iuc_pipe_info *out);
/* The command that moves stream @st through @id (PEER_STREAM_WRITE/READ). */
struct peer_msg peer_msg_stream(uint32_t op, uint64_t id, const struct stream *st);
/* The command that checks @nw * @per tagged messages read from @id. */
struct peer_msg peer_msg_verify(uint64_t id, unsigned int nw, uint32_t per);
/*
 * PIPE_CALL: write @wcount bytes of pattern @wseed to @sc, read up to
 * @rcount bytes from @rc into a buffer of max(@rcount, @bufsize) bytes;
 * *@bad (may be NULL): the first byte read that is not pattern @rseed, or
 * PAT_NO_BAD.  @out may be NULL.
 */
int peer_pipe_call(struct peer *p, uint64_t sc, uint64_t wcount, uint64_t wseed,
		   uint64_t rc, uint32_t rcount, uint64_t rseed, uint64_t bufsize,
		   struct iuc_pipe_call *out, uint64_t *bad);
/*
 * The command that serves @n requests read from @rc, answering each with
 * its own bytes on @sc: one PIPE_CALL per request (the answer to the
 * previous one, then the wait for the next), reads of @rcount bytes
 * (0: IUC_MESSAGE_MAX), the last answer written with PIPE_WRITE.  Its
 * reply: ret 0 or the failed call's -errno, error its @error, v0 the
 * requests answered, v1 the failed PIPE_CALL's @stage.
 */
struct peer_msg peer_msg_call_echo(uint64_t rc, uint64_t sc, uint32_t n, uint32_t rcount);

/* ---- memory (peer_shm.c) ------------------------------------------------------------- */

/* SHARE_MEM with @a, results copied back. */
int peer_share(struct peer *p, struct iuc_share_mem *a);
int peer_unshare_mem(struct peer *p, uint64_t seg, uint32_t *err);
int peer_mem_unmap(struct peer *p, uint64_t seg, uint32_t *err);
/* MAP_ARENA of @len bytes by the peer: its address, 0 if it failed (*@err). */
uint64_t peer_map_arena(struct peer *p, uint64_t len, uint32_t *err);
int peer_mem_info(struct peer *p, uint64_t seg, struct iuc_mem_sharing_info *out);
/* mmap of segment @seg: the address, or 0 (*@err: -errno). */
uint64_t peer_mmap_id(struct peer *p, uint64_t seg, uint64_t len, int prot,
		      int flags, int *err);
/* Private anonymous memory in the peer: its address, 0 on failure. */
uint64_t peer_anon(struct peer *p, uint64_t len, int prot);
/* The word at @addr: 0 (*@v) or the signal the access raised. */
int peer_read64(struct peer *p, uint64_t addr, uint64_t *v);
int peer_write64(struct peer *p, uint64_t addr, uint64_t v);
/* Pattern @tag over [@addr, +@len): 0 or the signal. */
int peer_fill(struct peer *p, uint64_t addr, uint64_t len, uint64_t tag);
/* Check pattern @tag: 0, -EILSEQ or the signal raised. */
int peer_check(struct peer *p, uint64_t addr, uint64_t len, uint64_t tag);

/* ---- services (peer_service.c) ------------------------------------------------------ */

int peer_register(struct peer *p, uint8_t scope, uint32_t *err);
/* The command that connects to the service of @anid (PEER_CONNECT). */
struct peer_msg peer_msg_connect(uint32_t anid, uint16_t command, uint8_t flexible);
/* The answer of a PEER_CONNECT sent with peer_send(): ret; @out the struct. */
int peer_connect_wait(struct peer *p, struct iuc_connect_service *out);
/* CONNECT_SERVICE, waiting for its answer; @out the struct after the call. */
int peer_connect(struct peer *p, uint32_t anid, uint16_t command, uint8_t flexible,
		 struct iuc_connect_service *out);
/* ACCEPT_SERVICE_CONN by the peer's main thread; @out the struct. */
int peer_accept(struct peer *p, uint64_t request, struct iuc_accept_service_conn *out);
int peer_reject(struct peer *p, uint64_t request, uint32_t *err);
int peer_end(struct peer *p, uint64_t conn, uint32_t *err);

/*
 * A client thread of a service peer: a thread the peer starts, which calls
 * ACCEPT_SERVICE_CONN itself, then echoes every message of its RC to its
 * SC until a call fails (the connection ended) or it is told to exit.
 */
struct svc_thread {
	int index;		/* the peer's name of the thread */
	pid_t tid;
	struct iuc_accept_service_conn acc;	/* its ACCEPT */
};

/* How a client thread's echo ended (PEER_SVC_THREAD_WAIT). */
struct svc_echo {
	int ret;		/* -errno of the call that ended it */
	uint32_t error;		/* that call's @error */
	uint64_t msgs, bytes;	/* echoed */
	struct pat_sum sum;	/* of the bytes echoed */
};

/* Where a pending real-time signal of a peer is (PEER_SVC_RT_WHERE). */
struct rt_where {
	bool shared;		/* process-directed, pending for the process */
	bool main;		/* pending for the main thread */
	int threads;		/* client threads it is pending for */
	int first;		/* the first of them, -1 if none */
};

/*
 * A new thread of @p accepts @request: the ACCEPT's ret; @t: the thread
 * (index -1 when the ACCEPT failed: the thread is gone) and its ACCEPT.
 */
int peer_svc_thread(struct peer *p, uint64_t request, struct svc_thread *t);
/* Wait up to @ms for thread @index's echo to end: 0 (and @e) or -ETIMEDOUT. */
int peer_svc_thread_wait(struct peer *p, int index, int ms, struct svc_echo *e);
/* sigtimedwait(@sig, @ms) in client thread @index. */
int peer_svc_thread_take_rt(struct peer *p, int index, int sig, int ms,
			    struct rt_info *ri);
/* Client thread @index ends (pthread_exit); 0 once it was joined. */
int peer_svc_thread_exit(struct peer *p, int index);
/* Wait up to @ms until @sig is pending in @p, and say where. */
int peer_svc_rt_where(struct peer *p, int sig, int ms, struct rt_where *w);
/*
 * The command that writes @n checksummed messages of @client to SC @sc,
 * reading each one's echo from RC @rc and comparing it with what was sent.
 */
struct peer_msg peer_msg_echo(uint64_t sc, uint64_t rc, uint32_t n, unsigned int client);
/* The answer of a PEER_ECHO: ret; *@n echoed, @sum of the bytes sent. */
int peer_echo_wait(struct peer *p, uint64_t *n, struct pat_sum *sum, char *why);
/* PEER_ECHO, waiting for it. */
int peer_echo(struct peer *p, uint64_t sc, uint64_t rc, uint32_t n,
	      unsigned int client, struct pat_sum *sum);

/* ---- inside the peer ------------------------------------------------------------------- */

/* What a peer holds. */
struct peer_state {
	int cmd, rsp;		/* command and reply pipes */
	int fd[2];		/* fds of /dev/iuc by slot */
	int extra;		/* PEER_OPEN_PATH */
	int sock;		/* PEER_SEND_FD / PEER_RECV_FD, or -1 */
	int hold;		/* PEER_FORK_HOLDER, or -1 */
	struct peer *sub;	/* PEER_FORK, or NULL */
};

typedef void (*peer_op_fn)(struct peer_state *s, struct peer_msg *m,
			   struct peer_reply *r);

/* The operation table of one area: ops[op - base]. */
struct peer_area {
	uint32_t base, end;
	const peer_op_fn *ops;
};

extern const struct peer_area peer_ctx_area, peer_pipe_area, peer_shm_area,
	peer_service_area;

/* The selected slot's fd. */
static inline int peer_fd(const struct peer_state *s, const struct peer_msg *m)
{
	return s->fd[m->slot ? PEER_INHERITED : PEER_OWN];
}

/* Serve commands until the command pipe ends. */
__attribute__((noreturn)) void peer_serve(struct peer_state *s);

#ifdef __cplusplus
}
#endif

#endif /* IUC_LIB_PEER_H */
