// SPDX-License-Identifier: GPL-2.0
#include "iuc/service.hpp"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <list>
#include <mutex>
#include <new>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "call.hpp"

namespace iuc {

// ---- the calls -------------------------------------------------------------------

result<std::uint32_t> anid_of(pid_t pid) noexcept
{
	char path[48];
	struct stat st;

	if (pid == 0)
		std::snprintf(path, sizeof(path), "/proc/self/ns/ipc");
	else
		std::snprintf(path, sizeof(path), "/proc/%d/ns/ipc", static_cast<int>(pid));
	if (::stat(path, &st))
		return failure::from_errno(errno);
	return static_cast<std::uint32_t>(st.st_ino);
}

result<void> connection_traits::close(raw_connection c) noexcept
{
	iuc_end_service_conn a{};

	a.conn_id = c.id;
	return detail::call(c.ctx->fd(), IUC_IOC_END_SERVICE_CONN, a);
}

result<connection> connect_service(const context& ctx, std::uint32_t anid,
				   const connect_options& o) noexcept
{
	iuc_connect_service a{};

	a.anid = anid;
	a.command = o.command;
	a.flexible = o.flexible ? IUC_SERVICE_FLEXIBLE : IUC_SERVICE_STRICT;
	if (auto r = detail::call(ctx.fd(), IUC_IOC_CONNECT_SERVICE, a); !r)
		return r.fail();
	return connection(ctx, a.conn_id, a.sc, a.rc);
}

result<void> register_service(const context& ctx, service_scope scope) noexcept
{
	iuc_register_service a{};

	a.scope = static_cast<std::uint8_t>(scope);
	return detail::call(ctx.fd(), IUC_IOC_REGISTER_SERVICE, a);
}

result<service_ends> accept_service_conn(const context& ctx, std::uint64_t request_id) noexcept
{
	iuc_accept_service_conn a{};

	a.request_id = request_id;
	if (auto r = detail::call(ctx.fd(), IUC_IOC_ACCEPT_SERVICE_CONN, a); !r)
		return r.fail();
	return service_ends{unowned<pipe_end>(raw_pipe_end{ctx, a.rc}),
			    unowned<pipe_end>(raw_pipe_end{ctx, a.sc})};
}

result<void> reject_service_conn(const context& ctx, std::uint64_t request_id) noexcept
{
	iuc_reject_service_conn a{};

	a.request_id = request_id;
	return detail::call(ctx.fd(), IUC_IOC_REJECT_SERVICE_CONN, a);
}

// ---- iuc::service ----------------------------------------------------------------

namespace {

extern "C" void interrupt_handler(int) {}

// Make @sig interrupt blocking calls: a handler that does nothing, unless
// the process has a handler of its own for it.
result<void> install_interrupt(int sig) noexcept
{
	struct sigaction old{};

	if (::sigaction(sig, nullptr, &old))
		return failure::from_errno(errno);
	if (!(old.sa_flags & SA_SIGINFO) && (old.sa_handler == SIG_DFL || old.sa_handler == SIG_IGN)) {
		struct sigaction sa{};

		sa.sa_handler = interrupt_handler;
		sigemptyset(&sa.sa_mask);
		sa.sa_flags = 0;	// no SA_RESTART: interrupt
		if (::sigaction(sig, &sa, nullptr))
			return failure::from_errno(errno);
	}
	return {};
}

}  // namespace

struct service::state {
	// One client thread.  The dispatcher creates, stops and erases it;
	// the thread itself only writes @accepted, @why and @done (under m).
	struct client {
		enum { pending, accepted, refused } accept = pending;
		failure why{};			// refused: the ACCEPT's failure
		bool done = false;		// on_client returned (or refused)
		std::uint64_t request_id = 0;
		std::jthread thread;
	};

	unowned_context ctx;
	client_fn on_client;
	request_fn on_request;
	int interrupt_signal = 0;
	int wake_fd = -1;		// eventfd: run() stops

	mutable std::mutex m;
	std::condition_variable cv;
	std::list<client> clients;	// guarded by m (thread: the dispatcher's)

	~state()
	{
		if (wake_fd >= 0)
			::close(wake_fd);
	}

	// The client thread of request @req, entry @c.
	void client_main(std::stop_token st, client* c, conn_request req) noexcept
	{
		if (interrupt_signal) {
			sigset_t set;

			sigemptyset(&set);
			sigaddset(&set, interrupt_signal);
			pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
		}
		auto ends = accept_service_conn(*ctx, req.request_id);
		{
			std::lock_guard l(m);

			if (ends) {
				c->accept = client::accepted;
			} else {
				c->accept = client::refused;
				c->why = ends.fail();
				c->done = true;
			}
		}
		cv.notify_all();
		if (!ends)
			return;
		const service_conn conn{req, ends->rc, ends->sc};

		on_client(std::move(st), conn);
		{
			std::lock_guard l(m);

			c->done = true;
		}
		cv.notify_all();
		// The thread ends now: the kernel sees its client thread go
		// and tells the client (SERVICE_SERVER_QUITTED).
	}

	// Join the threads whose entries @pred selects (not under m: a
	// thread takes m before it ends).
	template <class Pred>
	void erase_if(Pred pred) noexcept
	{
		std::list<client> gone;
		{
			std::lock_guard l(m);

			for (auto it = clients.begin(); it != clients.end();) {
				auto next = std::next(it);

				if (pred(*it))
					gone.splice(gone.end(), clients, it);
				it = next;
			}
		}
		// ~jthread: request_stop() and join()
	}

	void reap() noexcept
	{
		erase_if([](const client& c) { return c.done; });
	}

	// Request the stop of the client threads of request @id.
	void stop_client(std::uint64_t id) noexcept
	{
		std::vector<std::stop_source> stops;
		{
			std::lock_guard l(m);

			for (auto& c : clients)
				if (c.request_id == id && !c.done)
					stops.push_back(c.thread.get_stop_source());
		}
		// Outside m: the token's callbacks run here.
		for (auto& s : stops)
			s.request_stop();
	}
};

service::service() noexcept = default;
service::service(std::unique_ptr<state> s) noexcept : s_(std::move(s)) {}
service::service(service&&) noexcept = default;

service& service::operator=(service&& other) noexcept
{
	if (this != &other) {
		stop();
		s_ = std::move(other.s_);
	}
	return *this;
}

service::~service()
{
	stop();
}

result<service> service::create(const context& ctx, client_fn on_client, request_fn on_request,
				const service_options& o) noexcept
{
	std::unique_ptr<state> s;

	if (!on_client || o.interrupt_signal < 0 || o.interrupt_signal >= NSIG)
		return failure::from_errno(EINVAL);
	s.reset(new (std::nothrow) state);
	if (!s)
		return failure::from_errno(ENOMEM);
	s->ctx = ctx.borrow();
	s->on_client = std::move(on_client);
	s->on_request = std::move(on_request);
	s->interrupt_signal = o.interrupt_signal;
	s->wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->wake_fd < 0)
		return failure::from_errno(errno);
	if (o.interrupt_signal)
		if (auto r = install_interrupt(o.interrupt_signal); !r)
			return r.fail();
	// Handled before registering: a request to a service that does not
	// handle it kills the service.
	for (std::uint8_t code : {IUC_SIG_SERVICE_CONN_REQUEST, IUC_SIG_SERVICE_CLIENT_CLOSED,
				  IUC_SIG_SERVICE_CLIENT_QUITTED})
		if (auto r = ctx.handle_signal(code); !r)
			return r.fail();
	if (o.scope)
		if (auto r = register_service(ctx, *o.scope); !r)
			return r.fail();
	if (o.ready)
		if (auto r = ctx.ready(); !r && r.error() != spec_error(IUC_E_READY_ALREADY))
			return r.fail();
	return service(std::move(s));
}

int service::fd() const noexcept
{
	return s_ ? s_->ctx->fd() : -1;
}

result<void> service::accept(const conn_request& req)
{
	if (!s_)
		return failure::from_errno(EINVAL);
	s_->reap();

	state::client* c = nullptr;
	try {
		std::lock_guard l(s_->m);

		c = &s_->clients.emplace_back();
		c->request_id = req.request_id;
	} catch (const std::bad_alloc&) {
		(void)reject_service_conn(*s_->ctx, req.request_id);
		return failure::from_errno(ENOMEM);
	}
	try {
		c->thread = std::jthread([s = s_.get(), c, req](std::stop_token st) {
			s->client_main(std::move(st), c, req);
		});
	} catch (const std::system_error& e) {
		s_->erase_if([c](const state::client& x) { return &x == c; });
		(void)reject_service_conn(*s_->ctx, req.request_id);
		return failure::from_errno(e.code().value() ? e.code().value() : EAGAIN);
	}

	std::unique_lock l(s_->m);
	s_->cv.wait(l, [c] { return c->accept != state::client::pending; });
	if (c->accept == state::client::accepted)
		return {};
	const failure why = c->why;
	l.unlock();
	s_->erase_if([c](const state::client& x) { return &x == c; });
	return why;
}

result<void> service::reject(const conn_request& req) noexcept
{
	if (!s_)
		return failure::from_errno(EINVAL);
	return reject_service_conn(*s_->ctx, req.request_id);
}

result<bool> service::handle(const iuc_signal& rec)
{
	if (!s_)
		return failure::from_errno(EINVAL);
	s_->reap();
	if (auto q = decode<conn_request>(rec)) {
		const answer a = s_->on_request ? s_->on_request(*q) : answer::accept;
		result<void> r;

		switch (a) {
		case answer::accept:
			r = accept(*q);
			// After these the request stays pending: the client
			// hears at once rather than after the delay.
			if (!r && (r.error() == errc::limit || r.error() == errc::no_kernel_memory))
				(void)reject(*q);
			break;
		case answer::reject: r = reject(*q); break;
		case answer::later: break;
		}
		if (!r)
			return r.fail();
		return true;
	}
	if (auto c = decode<client_closed>(rec)) {
		s_->stop_client(c->request_id);
		return true;
	}
	if (auto c = decode<client_quitted>(rec)) {
		s_->stop_client(c->request_id);
		return true;
	}
	return false;
}

namespace {

constexpr std::size_t kBatch = 16;

// Read records with @read (a reader of the context) and give them to
// @svc.handle(); those that are not the service's go to @other.
template <class Read>
result<std::size_t> dispatch_records(service& svc, Read&& read, const service::record_fn& other)
{
	iuc_signal rec[kBatch];
	auto n = read(std::span<iuc_signal>(rec));

	if (!n)
		return n.fail();
	for (std::size_t i = 0; i < *n; i++)
		if (auto h = svc.handle(rec[i]); h && !*h && other)
			other(rec[i]);
	return *n;
}

}  // namespace

result<std::size_t> service::dispatch(wait w, const record_fn& other)
{
	if (!s_)
		return failure::from_errno(EINVAL);
	return dispatch_records(
		*this, [&](std::span<iuc_signal> rec) { return s_->ctx->read_signals(rec, w); }, other);
}

result<std::size_t> service::dispatch(std::chrono::milliseconds timeout, const record_fn& other)
{
	if (!s_)
		return failure::from_errno(EINVAL);
	return dispatch_records(
		*this, [&](std::span<iuc_signal> rec) { return s_->ctx->read_signals(rec, timeout); },
		other);
}

result<void> service::run(std::stop_token st, const record_fn& other)
{
	if (!s_)
		return failure::from_errno(EINVAL);
	const int wake = s_->wake_fd;
	std::stop_callback wake_up(st, [wake] {
		const std::uint64_t one = 1;

		(void)!::write(wake, &one, sizeof(one));
	});
	result<void> out;

	while (!st.stop_requested()) {
		pollfd p[2] = {{fd(), POLLIN, 0}, {wake, POLLIN, 0}};

		if (::poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			out = failure::from_errno(errno);
			break;
		}
		if (p[0].revents) {
			if (auto d = dispatch(wait::no, other); !d) {
				out = d.fail();
				break;
			}
		}
	}
	std::uint64_t v;
	(void)!::read(wake, &v, sizeof(v));	// for the next run()
	return out;
}

std::size_t service::clients() const noexcept
{
	std::size_t n = 0;

	if (!s_)
		return 0;
	std::lock_guard l(s_->m);
	for (const auto& c : s_->clients)
		n += !c.done;
	return n;
}

void service::stop() noexcept
{
	if (!s_)
		return;
	std::vector<std::stop_source> stops;
	{
		std::lock_guard l(s_->m);

		for (auto& c : s_->clients)
			if (!c.done)
				stops.push_back(c.thread.get_stop_source());
	}
	for (auto& st : stops)
		st.request_stop();
	if (s_->interrupt_signal) {
		// A signal sent just before the thread blocks is lost: send
		// again until every thread returned.
		std::unique_lock l(s_->m);

		for (;;) {
			bool running = false;

			for (auto& c : s_->clients)
				if (!c.done) {
					running = true;
					::pthread_kill(c.thread.native_handle(), s_->interrupt_signal);
				}
			if (!running)
				break;
			s_->cv.wait_for(l, std::chrono::milliseconds(10));
		}
	}
	s_->erase_if([](const state::client&) { return true; });
}

}  // namespace iuc
