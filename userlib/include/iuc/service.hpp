// SPDX-License-Identifier: GPL-2.0
//
// iuc/service.hpp - services: connections across applications.
//
// A service is the process that serves an application (an IPC namespace,
// named by its ANID) for one user, or for every user (a system service).
// A client asks it for a connection with CONNECT_SERVICE and waits for the
// answer; the service answers each SERVICE_CONN_REQUEST with ACCEPT or
// REJECT within the answer delay.  An accepted connection is two message
// pipes, client to service and back, and has its own *client thread* in
// the service: on Linux the thread that called ACCEPT_SERVICE_CONN.
//
// The client side: iuc::connect_service() gives an iuc::connection, an
// iuc::handle (handle.hpp) whose raw value is the connection id with its
// two pipe identifiers.  Its destructor, reset() and close() (= end())
// call END_SERVICE_CONN, which closes both pipes at once; the pipes
// themselves are views (sc(), rc()): service pipes refuse CLOSE_PIPE and
// SEND_PIPE, they only go with their connection.
//
//     auto c = iuc::connect_service(ctx, anid, {.command = 0x10});
//     if (!c && c.error() == iuc::spec_error(IUC_E_CONNECT_REJECTED)) ...
//     c->sc()->write(request);               // client -> service
//     c->rc()->read(buf);                    // service -> client
//     c->end();                              // or let the destructor end it
//
// The service side: iuc::service registers the process as its
// application's service (REGISTER_SERVICE), handles the service records
// and dispatches them: each SERVICE_CONN_REQUEST goes to the on_request
// callback (accept, reject, or answer later); an accepted request starts a
// std::jthread, which calls ACCEPT_SERVICE_CONN itself (so it is the
// connection's client thread) and then runs the on_client function with
// the service's two ends.  When the client ends the connection
// (SERVICE_CLIENT_QUITTED) or its process ends (SERVICE_CLIENT_CLOSED), the
// thread's stop_token is requested (its pipes are closed already: a read
// fails); when the function returns, the thread ends and the client gets
// SERVICE_SERVER_QUITTED.
//
//     auto svc = iuc::service::create(ctx,
//             [](std::stop_token st, const iuc::service_conn& c) {
//                     std::vector<std::byte> buf(IUC_MESSAGE_MAX);
//                     while (!st.stop_requested()) {
//                             auto r = c.rc->read(buf);
//                             if (!r)
//                                     return;        // ended, closed, interrupted
//                             (void)c.sc->write({buf.data(), r->transferred});
//                     }
//             });
//     std::jthread dispatcher([&](std::stop_token st) { (void)svc->run(st); });
//
// The dispatcher never runs in a signal handler: records are read from the
// context's fd, by run() (a loop of its own), by dispatch() (one step, for
// the caller's poll/epoll loop on fd()) or by the caller, who gives each
// record to handle().  The callbacks run in the thread that dispatches
// (on_request) and in the client threads (on_client).
//
// Destroying the service (or stop()) requests every client thread's stop,
// interrupts them (service_options::interrupt_signal) until they returned,
// and joins them.  The registration itself lasts as long as the context:
// requests that come after the service object is gone stay unanswered
// (their clients fail with ETIMEDOUT); close the context to stop being the
// service.  A service does not own its context and must not outlive it.
//
// A process that handles SERVICE_CONN_REQUEST no more while it is a service
// is killed by its next request, as the specification says: never
// unhandle it.
#ifndef IUC_SERVICE_HPP
#define IUC_SERVICE_HPP

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stop_token>

#include "iuc/context.hpp"
#include "iuc/error.hpp"
#include "iuc/handle.hpp"
#include "iuc/pipe.hpp"
#include "iuc/signal.hpp"

namespace iuc {

// The ANID of process @pid's application (0: the calling process's): the
// inode number of its IPC namespace (/proc/<pid>/ns/ipc).  errc::system
// with the errno of stat(2) on failure.
result<std::uint32_t> anid_of(pid_t pid = 0) noexcept;

// ---- the client side ----------------------------------------------------------

// Arguments of CONNECT_SERVICE besides the application.
struct connect_options {
	std::uint16_t command = 0;	// given to the service in the request
	// Return the open connection the caller already has to that service
	// instead of failing with IUC_E_CONNECT_ALREADY (its id, sc and rc:
	// the same connection, which a second connection handle would end
	// twice; keep one, release() the other).
	bool flexible = false;
};

// The raw value of a connection.
struct raw_connection {
	unowned_context ctx;		// the context the ids belong to
	std::uint64_t id = 0;		// the connection id, 0: none
	std::uint64_t sc = 0;		// the caller's SC: client to service
	std::uint64_t rc = 0;		// the caller's RC: service to client
};

// A connection is released with END_SERVICE_CONN.
struct connection_traits : id_traits<raw_connection> {
	static result<void> close(raw_connection c) noexcept;
};

class connection : public handle<connection_traits> {
public:
	// connection() is empty; connection(raw) adopts what release() gave.
	using handle::handle;
	// Adopt connection @id of @ctx with its pipes @sc and @rc.
	connection(unowned_context ctx, std::uint64_t id, std::uint64_t sc, std::uint64_t rc) noexcept
		: handle(raw_connection{std::move(ctx), id, sc, rc}) {}

	// The connection id (0: empty); SERVER_QUITTED names it.
	std::uint64_t id() const noexcept { return get().id; }
	// The pipe to the service (write to it) and the pipe from it (read
	// it): views, valid while the connection is.
	unowned<pipe_end> sc() const noexcept { return unowned<pipe_end>(raw_pipe_end{get().ctx, get().sc}); }
	unowned<pipe_end> rc() const noexcept { return unowned<pipe_end>(raw_pipe_end{get().ctx, get().rc}); }

	// END_SERVICE_CONN: both pipes close, the client thread gets
	// SERVICE_CLIENT_QUITTED.  The connection is empty afterwards,
	// whatever the result: IUC_E_END_ALREADY_CLOSED (EPIPE, the service
	// process ended) and IUC_E_END_SERVER_TERMINATED (ESRCH, its client
	// thread ended) released the id all the same.  The same as close().
	result<void> end() noexcept { return close(); }
};
static_assert(sizeof(connection) == sizeof(handle<connection_traits>));

// CONNECT_SERVICE: ask the service of application @anid for a connection
// and wait for its answer (at most the answer delay).  Failures besides
// the generic ones: IUC_E_CONNECT_UNKNOWN_ANID (ESRCH),
// IUC_E_CONNECT_NO_SERVICE (ECONNREFUSED), IUC_E_CONNECT_ALREADY (EISCONN),
// IUC_E_CONNECT_NOT_DELIVERED (EAGAIN: not READY, queue full; ECONNRESET:
// the service was killed or ended), IUC_E_CONNECT_REJECTED (ECONNREFUSED:
// rejected; ETIMEDOUT: no answer in time), errc::interrupted (EINTR: the
// request is withdrawn).
result<connection> connect_service(const context& ctx, std::uint32_t anid,
				   const connect_options& options = {}) noexcept;

// ---- the service side: the calls ----------------------------------------------

enum class service_scope : std::uint8_t {
	user = IUC_SCOPE_USER,		// the instance for the caller's effective uid
	system = IUC_SCOPE_SYSTEM,	// one instance for every user (CAP_SYS_ADMIN)
};

// REGISTER_SERVICE: the calling process becomes its application's service
// in @scope, for as long as its context lives.  IUC_E_REGISTER_ALREADY
// (EALREADY), IUC_E_REGISTER_TAKEN (EADDRINUSE), IUC_E_REGISTER_NOT_PERMITTED
// (EPERM), IUC_E_REGISTER_BAD_SCOPE (EINVAL).
result<void> register_service(const context& ctx, service_scope scope = service_scope::user) noexcept;

// The service's ends of an accepted connection: views, for the kernel
// closes them with their connection (END_SERVICE_CONN, the client's end,
// the client thread's end).
struct service_ends {
	unowned<pipe_end> rc;	// client to service: read what the client sends
	unowned<pipe_end> sc;	// service to client: write to the client
};

// ACCEPT_SERVICE_CONN of request @request_id: the calling thread becomes
// the connection's client thread (it must not be one already:
// IUC_E_ACCEPT_BUSY, EBUSY).  IUC_E_ACCEPT_UNKNOWN_REQUEST (EBADF),
// IUC_E_ACCEPT_REQUESTER_GONE (ESRCH), IUC_E_ACCEPT_TOO_LATE (ETIMEDOUT),
// errc::limit, errc::no_kernel_memory (after these two the request is
// still pending: answer it again).
result<service_ends> accept_service_conn(const context& ctx, std::uint64_t request_id) noexcept;
// REJECT_SERVICE_CONN: the client's CONNECT fails with
// IUC_E_CONNECT_REJECTED (ECONNREFUSED).  IUC_E_REJECT_UNKNOWN_REQUEST
// (EBADF), IUC_E_REJECT_REQUESTER_GONE (ESRCH), IUC_E_REJECT_TOO_LATE
// (ETIMEDOUT).
result<void> reject_service_conn(const context& ctx, std::uint64_t request_id) noexcept;

// ---- the service side: iuc::service ----------------------------------------------

// What an on_client function gets: the request it was accepted from and
// its ends.  Valid while the function runs.
struct service_conn {
	conn_request request;
	unowned<pipe_end> rc;	// client to service: read what the client sends
	unowned<pipe_end> sc;	// service to client: write to the client
};

struct service_options {
	// REGISTER_SERVICE in this scope; std::nullopt: the context already
	// is a service (register_service()).
	std::optional<service_scope> scope = service_scope::user;
	// READY once the service records are handled (a context that is
	// READY already stays so).  false: the caller calls ctx.ready() when
	// it handles the rest of its codes; no request comes before.
	bool ready = true;
	// The signal that interrupts the client threads' blocking calls
	// (they fail with errc::interrupted) when stop() or the destructor
	// stops them: a handler that does nothing is installed for it unless
	// the process has one, and each client thread unblocks it.  0: none;
	// then every on_client function must return by itself once its stop
	// is requested, or stop() waits for it.
	int interrupt_signal = SIGURG;
};

class service {
public:
	// How on_request answers a request.
	enum class answer {
		accept,		// accept() now: a client thread starts
		reject,		// reject() now
		later,		// nothing now: the caller answers with accept() or
				// reject() (within the delay), or never (the
				// client fails with ETIMEDOUT)
	};
	using request_fn = std::function<answer(const conn_request&)>;
	using client_fn = std::function<void(std::stop_token, const service_conn&)>;
	// Where dispatch() and run() give records that are not the service's.
	using record_fn = std::function<void(const iuc_signal&)>;

	// Become the service of @ctx's application (options.scope), handle
	// SERVICE_CONN_REQUEST, SERVICE_CLIENT_CLOSED and
	// SERVICE_CLIENT_QUITTED (records only), READY (options.ready).
	// @on_client runs in each connection's client thread; @on_request
	// decides about each request (empty: accept them all).
	static result<service> create(const context& ctx, client_fn on_client,
				      request_fn on_request = {},
				      const service_options& options = {}) noexcept;

	// An empty service: dispatches nothing (create() makes real ones).
	service() noexcept;
	service(service&&) noexcept;
	service& operator=(service&&) noexcept;
	service(const service&) = delete;
	service& operator=(const service&) = delete;
	// stop().
	~service();

	// The context's fd: POLLIN when a record is readable.
	int fd() const noexcept;

	// Handle record @rec, read from the context by the caller: true if it
	// was the service's (SERVICE_CONN_REQUEST: answered through
	// on_request; SERVICE_CLIENT_CLOSED / _QUITTED: the stop of that
	// connection's client thread requested), false if not (the caller's
	// own).  A failure is the failure of the answer (accept() or
	// reject()): the request is gone, the service goes on.
	result<bool> handle(const iuc_signal& rec);
	// One step of a poll loop: read the records readable now (with
	// wait::block, wait for one) and handle() them; the others go to
	// @other (dropped if it is empty).  The number of records read.
	// Failures of answers are not reported here (see handle()).
	result<std::size_t> dispatch(wait w = wait::no, const record_fn& other = {});
	// The same, waiting at most @timeout for a record.
	result<std::size_t> dispatch(std::chrono::milliseconds timeout, const record_fn& other = {});
	// dispatch() until @st is stopped (a success) or reading records
	// fails (the context ended).
	result<void> run(std::stop_token st, const record_fn& other = {});

	// Answer request @req (from on_request's answer::later): accept
	// starts its client thread, which accepts, and says how that went
	// (the thread only runs on_client after a successful ACCEPT; after
	// errc::limit or errc::no_kernel_memory the request is still
	// pending, and handle() rejects it then).
	result<void> accept(const conn_request& req);
	result<void> reject(const conn_request& req) noexcept;

	// Client threads that did not return yet.
	std::size_t clients() const noexcept;
	// Request every client thread's stop, interrupt them until they
	// returned, join them.  Dispatching goes on afterwards.
	void stop() noexcept;

	// Not thread-safe: handle(), dispatch(), run(), accept(), reject()
	// and stop() are called by one thread at a time (the dispatcher);
	// clients() by any.

private:
	struct state;
	explicit service(std::unique_ptr<state> s) noexcept;

	std::unique_ptr<state> s_;
};

}  // namespace iuc

#endif  // IUC_SERVICE_HPP
