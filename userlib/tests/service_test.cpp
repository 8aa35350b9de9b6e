// SPDX-License-Identifier: GPL-2.0
//
// Services through libiuc (iuc/service.hpp): iuc::service accepting,
// rejecting and not answering requests, each accepted connection served by
// its own client thread over the connection's two message pipes, that
// thread's stop requested when its client ends the connection
// (SERVICE_CLIENT_QUITTED) or dies (SERVICE_CLIENT_CLOSED), stop() joining
// threads blocked in a read; iuc::connection ending the connection in its
// destructor, its handle verbs, flexible connects, SERVICE_SERVER_QUITTED
// when the client thread or the whole service ends; the error codes of the
// service calls in iuc::category(); the service records decoded.
//
// The test process has one context, so it is one side of each scenario and
// peers are the other: ServiceSide tests make this process the service
// and a peer its client; ClientSide tests make a peer the service
// (host_service(): an iuc::service with its dispatcher thread, kept in the
// peer between bodies) and this process its client.  Peers are forked
// before this process starts any thread.
#include <linux/capability.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "test_support.hpp"

namespace iuc_test {
namespace {

constexpr std::uint16_t kCommand = 0x5e01;
constexpr std::uint64_t kUnknownId = 999999;
// No IPC namespace has inode number 1: no application.
constexpr std::uint32_t kNoSuchAnid = 1;
// Sizes of the messages the echo tests send.
constexpr std::size_t kSizes[] = {1, 100, 4096, 60000};

// Wait (bounded by TIMEOUT_MS) until @pred holds.
template <class Pred>
bool eventually(Pred pred)
{
	const auto end = std::chrono::steady_clock::now() + kTimeout;

	while (!pred()) {
		if (std::chrono::steady_clock::now() > end)
			return false;
		std::this_thread::sleep_for(std::chrono::milliseconds(5));
	}
	return true;
}

// Wait (bounded by TIMEOUT_MS) for the stop request of @st: true if it came.
bool await_stop(const std::stop_token& st)
{
	std::mutex m;
	std::condition_variable_any cv;
	std::unique_lock l(m);

	(void)cv.wait_for(l, st, kTimeout, [] { return false; });
	return st.stop_requested();
}

// An on_client function: echo every message until the client goes (or
// the thread is interrupted).
void echo(std::stop_token st, const iuc::service_conn& c)
{
	std::vector<std::byte> buf(IUC_MESSAGE_MAX);

	while (!st.stop_requested()) {
		auto r = c.rc->read(buf);
		if (!r)
			return;
		if (!c.sc->write({buf.data(), r->transferred}))
			return;
	}
}

// Send one message of each of kSizes (pattern @seed) over @c and check
// that each comes back.
peer_result echo_through(const iuc::connection& c, std::uint64_t seed)
{
	std::vector<std::byte> out, in(IUC_MESSAGE_MAX);

	for (std::size_t size : kSizes) {
		out.resize(size);
		fill(out, seed + size);
		auto w = c.sc()->write(out);
		PEER_OK(w);
		PEER_CHECK(w->transferred == size);
		auto r = c.rc()->read(in);
		PEER_OK(r);
		PEER_CHECK(r->transferred == size);
		PEER_TRUE(holds({in.data(), size}, seed + size));
	}
	return ::testing::AssertionSuccess();
}

// ---- bodies of client peers ------------------------------------------------------------

// Connect to this application's service with command v[0] (flexible if
// v[1]) and keep the connection (released, so that nothing ends it).
// Out: v[0] the connection id, v[1] sc, v[2] rc.
peer_result connect_keep(const iuc::context& ctx, peer_data& d)
{
	auto anid = iuc::anid_of();
	PEER_OK(anid);
	auto c = iuc::connect_service(ctx, *anid,
				      {.command = static_cast<std::uint16_t>(d.v[0]),
				       .flexible = d.v[1] != 0});
	PEER_OK(c);
	PEER_CHECK(c->id() != 0 && c->get().sc != 0 && c->get().rc != 0);
	PEER_CHECK(c->get().sc != c->get().rc);
	const iuc::raw_connection raw = c->release();
	d.v[0] = raw.id;
	d.v[1] = raw.sc;
	d.v[2] = raw.rc;
	return ::testing::AssertionSuccess();
}

// Connect with command v[0], echo messages of pattern v[1], end().  Out:
// v[0] the connection id.
peer_result connect_echo_end(const iuc::context& ctx, peer_data& d)
{
	auto anid = iuc::anid_of();
	PEER_OK(anid);
	auto c = iuc::connect_service(ctx, *anid, {.command = static_cast<std::uint16_t>(d.v[0])});
	PEER_OK(c);
	d.v[0] = c->id();
	PEER_TRUE(echo_through(*c, d.v[1]));
	PEER_OK(c->end());
	PEER_CHECK(!c->valid() && c->id() == 0);
	return ::testing::AssertionSuccess();
}

// Connect and let the connection's destructor end it.  Out: v[0] its id.
peer_result connect_and_drop(const iuc::context& ctx, peer_data& d)
{
	auto anid = iuc::anid_of();
	PEER_OK(anid);
	{
		auto c = iuc::connect_service(ctx, *anid);
		PEER_OK(c);
		d.v[0] = c->id();
	}
	return ::testing::AssertionSuccess();
}

// Connect with command v[2]: it must fail with spec code v[0], errno v[1].
// Out: v[3] the milliseconds it took.
peer_result connect_fails(const iuc::context& ctx, peer_data& d)
{
	auto anid = iuc::anid_of();
	PEER_OK(anid);
	const auto t0 = std::chrono::steady_clock::now();
	auto c = iuc::connect_service(ctx, *anid, {.command = static_cast<std::uint16_t>(d.v[2])});
	d.v[3] = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
						    std::chrono::steady_clock::now() - t0)
						    .count());
	PEER_ERR(c, iuc::spec_error(static_cast<std::uint8_t>(d.v[0])), static_cast<int>(d.v[1]));
	PEER_CHECK(c.error().category() == iuc::category());
	return ::testing::AssertionSuccess();
}

// END_SERVICE_CONN of connection v[0] (sc v[1], rc v[2]), kept by
// connect_keep.
peer_result end_kept(const iuc::context& ctx, peer_data& d)
{
	iuc::connection c(ctx, d.v[0], d.v[1], d.v[2]);

	PEER_OK(c.end());
	PEER_CHECK(!c.valid());
	return ::testing::AssertionSuccess();
}

// END of connection v[0], ended already: unknown.
peer_result end_unknown(const iuc::context& ctx, peer_data& d)
{
	iuc::connection c(ctx, d.v[0], 0, 0);

	PEER_ERR(c.end(), iuc::spec_error(IUC_E_END_UNKNOWN_CONN), EBADF);
	PEER_CHECK(!c.valid());
	return ::testing::AssertionSuccess();
}

// Wait for SERVICE_SERVER_QUITTED of connection v[0].
peer_result server_quitted(const iuc::context& ctx, peer_data& d)
{
	iuc_signal rec{};

	PEER_TRUE(wait_record(ctx, IUC_SIG_SERVICE_SERVER_QUITTED, rec));
	auto q = iuc::decode<iuc::server_quitted>(rec);
	PEER_CHECK(q && q->conn_id == d.v[0] && rec.object == d.v[0]);
	return ::testing::AssertionSuccess();
}

// Register as this application's service in scope v[0]: it must fail
// with spec code v[1], errno v[2].
peer_result register_fails(const iuc::context& ctx, peer_data& d)
{
	auto r = iuc::register_service(ctx, static_cast<iuc::service_scope>(d.v[0]));
	PEER_ERR(r, iuc::spec_error(static_cast<std::uint8_t>(d.v[1])), static_cast<int>(d.v[2]));
	return ::testing::AssertionSuccess();
}

// ---- this process is the service ---------------------------------------------------------

// A client peer (with a context, no handler) and this process as the
// service: svc, made by make(), dispatched by this thread (dispatch()) or
// by the dispatcher thread (start_dispatcher()).  on_request records each
// request (requests) and answers with @answer; on_client counts the
// client threads that started and stopped.
class ServiceSide : public ContextTest {
protected:
	void SetUp() override
	{
		ASSERT_NO_FATAL_FAILURE(ContextTest::SetUp());
		ASSERT_TRUE(client.start({IUC_SIG_SERVICE_SERVER_QUITTED}));
	}

	void make(iuc::service::client_fn on_client, iuc::service::answer answer,
		  const iuc::service_options& o = {})
	{
		auto s = iuc::service::create(
			ctx, std::move(on_client),
			[this, answer](const iuc::conn_request& q) {
				std::lock_guard l(m);

				requests.push_back(q);
				return answer;
			},
			o);
		ASSERT_OK(s);
		svc = std::move(*s);
	}

	void start_dispatcher()
	{
		dispatcher = std::jthread([this](std::stop_token st) { run_result = svc.run(st); });
	}

	// Read records until a request came (bounded).
	void dispatch_request()
	{
		const auto end = std::chrono::steady_clock::now() + kTimeout;

		while (request_count() == 0) {
			ASSERT_LT(std::chrono::steady_clock::now(), end) << "no SERVICE_CONN_REQUEST";
			ASSERT_OK(svc.dispatch(std::chrono::milliseconds(100)));
		}
	}

	std::size_t request_count()
	{
		std::lock_guard l(m);

		return requests.size();
	}

	iuc::conn_request request(std::size_t i)
	{
		std::lock_guard l(m);

		return requests.at(i);
	}

	// A client peer connects (connect_keep: @d) and this thread accepts:
	// its client thread started.
	void accept_kept_connection(peer_data& d)
	{
		d = peer_data{.v = {kCommand}};
		ASSERT_TRUE(client.begin(connect_keep, d));
		ASSERT_NO_FATAL_FAILURE(dispatch_request());
		ASSERT_TRUE(client.finish(d));
		ASSERT_TRUE(eventually([&] { return started == 1; }));
		EXPECT_EQ(svc.clients(), 1u);
	}

	// An on_client function: wait for the stop request, count it.
	iuc::service::client_fn wait_for_stop()
	{
		return [this](std::stop_token st, const iuc::service_conn&) {
			std::mutex mm;
			std::condition_variable_any cv;
			std::unique_lock l(mm);

			started++;
			cv.wait(l, st, [] { return false; });
			stopped++;
		};
	}

	test_peer client;
	std::mutex m;
	std::vector<iuc::conn_request> requests;
	std::atomic<int> started{0}, stopped{0};
	iuc::service svc;
	iuc::result<void> run_result;
	std::jthread dispatcher;	// stops before svc goes
};

TEST_F(ServiceSide, AcceptedClientIsEchoedByItsOwnClientThread)
{
	ASSERT_NO_FATAL_FAILURE(make(
		[this](std::stop_token st, const iuc::service_conn& c) {
			started++;
			echo(st, c);	// until END closes the pipes
			if (await_stop(st))
				stopped++;
		},
		iuc::service::answer::accept));
	start_dispatcher();
	peer_data d{.v = {kCommand, 7}};

	ASSERT_TRUE(client.run(connect_echo_end, d));
	ASSERT_EQ(request_count(), 1u);
	const auto q = request(0);
	EXPECT_EQ(q.client_pid, client.pid());
	EXPECT_EQ(q.command, kCommand);
	EXPECT_NE(q.request_id, 0u);
	EXPECT_GT(q.answer_delay.count(), 0);
	EXPECT_LE(q.answer_delay.count(), 60000);
	EXPECT_TRUE(eventually([&] { return stopped == 1 && svc.clients() == 0; }))
		<< "the client thread did not return after END";
	EXPECT_EQ(started, 1);
}

// Kernel thread ids: std::thread::id (a pthread_t) is reused as soon as a
// thread was joined, a tid only after the PID space wrapped.
TEST_F(ServiceSide, EachConnectionHasItsOwnClientThread)
{
	std::mutex tm;
	std::vector<pid_t> threads;
	std::atomic<pid_t> dispatcher_tid{0};

	auto s = iuc::service::create(
		ctx,
		[&](std::stop_token st, const iuc::service_conn& c) {
			{
				std::lock_guard l(tm);

				threads.push_back(::gettid());
			}
			echo(st, c);
		},
		[&](const iuc::conn_request&) {
			dispatcher_tid = ::gettid();
			return iuc::service::answer::accept;
		});
	ASSERT_OK(s);
	svc = std::move(*s);
	start_dispatcher();
	for (std::uint64_t seed = 1; seed <= 3; seed++) {
		peer_data d{.v = {kCommand, seed}};

		ASSERT_TRUE(client.run(connect_echo_end, d));
	}
	ASSERT_TRUE(eventually([&] { return svc.clients() == 0; }));
	std::lock_guard l(tm);
	ASSERT_EQ(threads.size(), 3u);
	EXPECT_NE(threads[0], threads[1]);
	EXPECT_NE(threads[1], threads[2]);
	EXPECT_NE(threads[0], threads[2]);
	for (pid_t tid : threads) {
		EXPECT_NE(tid, ::gettid()) << "not the test's thread";
		EXPECT_NE(tid, dispatcher_tid.load()) << "not the dispatching thread";
		EXPECT_NE(tid, ::getpid());
	}
}

TEST_F(ServiceSide, RejectedRequestFailsTheConnect)
{
	ASSERT_NO_FATAL_FAILURE(make(echo, iuc::service::answer::reject));
	start_dispatcher();
	peer_data d{.v = {IUC_E_CONNECT_REJECTED, ECONNREFUSED, kCommand}};

	ASSERT_TRUE(client.run(connect_fails, d));
	ASSERT_EQ(request_count(), 1u);
	EXPECT_EQ(request(0).command, kCommand);
	EXPECT_EQ(svc.clients(), 0u);
}

TEST_F(ServiceSide, UnansweredRequestTimesOutAndALateAnswerIsTooLate)
{
	ASSERT_NO_FATAL_FAILURE(make(echo, iuc::service::answer::later));
	peer_data d{.v = {IUC_E_CONNECT_REJECTED, ETIMEDOUT, kCommand}};

	ASSERT_TRUE(client.begin(connect_fails, d));
	ASSERT_NO_FATAL_FAILURE(dispatch_request());
	ASSERT_TRUE(client.finish(d));
	const auto q = request(0);
	EXPECT_GE(d.v[3] + 1, static_cast<std::uint64_t>(q.answer_delay.count()))
		<< "CONNECT gave up before the answer delay";
	EXPECT_ERR(svc.accept(q), iuc::spec_error(IUC_E_ACCEPT_TOO_LATE), ETIMEDOUT);
	EXPECT_ERR(svc.reject(q), iuc::spec_error(IUC_E_REJECT_TOO_LATE), ETIMEDOUT);
	EXPECT_EQ(svc.clients(), 0u) << "a refused accept leaves no thread";
}

TEST_F(ServiceSide, LaterAnswerWithinTheDelayAccepts)
{
	ASSERT_NO_FATAL_FAILURE(make(echo, iuc::service::answer::later));
	peer_data d{.v = {kCommand, 3}};

	ASSERT_TRUE(client.begin(connect_echo_end, d));
	ASSERT_NO_FATAL_FAILURE(dispatch_request());
	ASSERT_OK(svc.accept(request(0)));
	ASSERT_TRUE(client.finish(d));
}

TEST_F(ServiceSide, ClientEndingTheConnectionRequestsItsThreadsStop)
{
	ASSERT_NO_FATAL_FAILURE(make(wait_for_stop(), iuc::service::answer::accept));
	peer_data d;

	ASSERT_NO_FATAL_FAILURE(accept_kept_connection(d));
	EXPECT_EQ(stopped, 0);

	ASSERT_TRUE(client.run(end_kept, d));
	iuc_signal rec{};
	ASSERT_TRUE(wait_record(ctx, IUC_SIG_SERVICE_CLIENT_QUITTED, rec));
	auto cq = iuc::decode<iuc::client_quitted>(rec);
	ASSERT_TRUE(cq);
	EXPECT_EQ(cq->request_id, request(0).request_id) << "the record names the request";
	auto h = svc.handle(rec);
	ASSERT_OK(h);
	EXPECT_TRUE(*h);
	EXPECT_TRUE(eventually([&] { return stopped == 1 && svc.clients() == 0; }));
	EXPECT_TRUE(no_record(ctx)) << "END gives CLIENT_QUITTED only";
}

TEST_F(ServiceSide, ClientDeathRequestsItsThreadsStop)
{
	ASSERT_NO_FATAL_FAILURE(make(wait_for_stop(), iuc::service::answer::accept));
	peer_data d;

	ASSERT_NO_FATAL_FAILURE(accept_kept_connection(d));
	(void)peer_kill(client.get());
	iuc_signal rec{};
	ASSERT_TRUE(wait_record(ctx, IUC_SIG_SERVICE_CLIENT_CLOSED, rec));
	auto cc = iuc::decode<iuc::client_closed>(rec);
	ASSERT_TRUE(cc);
	EXPECT_EQ(cc->request_id, request(0).request_id);
	auto h = svc.handle(rec);
	ASSERT_OK(h);
	EXPECT_TRUE(*h);
	EXPECT_TRUE(eventually([&] { return stopped == 1 && svc.clients() == 0; }));
}

TEST_F(ServiceSide, ConnectionDestructorEndsIt)
{
	ASSERT_NO_FATAL_FAILURE(make(wait_for_stop(), iuc::service::answer::accept));
	start_dispatcher();
	peer_data d;

	ASSERT_TRUE(client.run(connect_and_drop, d));
	EXPECT_TRUE(eventually([&] { return stopped == 1 && svc.clients() == 0; }))
		<< "the client thread saw no stop request";
	ASSERT_TRUE(client.run(end_unknown, d)) << "the destructor ended the connection";
}

TEST_F(ServiceSide, StopInterruptsAndJoinsClientThreadsBlockedInARead)
{
	ASSERT_NO_FATAL_FAILURE(make(
		[this](std::stop_token st, const iuc::service_conn& c) {
			started++;
			std::byte buf[16];
			auto r = c.rc->read(buf);	// nothing comes
			if (!r && r.error() == iuc::errc::interrupted && st.stop_requested())
				stopped++;
		},
		iuc::service::answer::accept));
	peer_data d;

	ASSERT_NO_FATAL_FAILURE(accept_kept_connection(d));
	svc.stop();
	EXPECT_EQ(stopped, 1) << "the read was not interrupted with errc::interrupted";
	EXPECT_EQ(svc.clients(), 0u);
	ASSERT_TRUE(client.run(server_quitted, d)) << "the client thread's end reaches the client";
}

TEST_F(ServiceSide, RecordsThatAreNotTheServicesGoToTheCaller)
{
	ASSERT_NO_FATAL_FAILURE(make(echo, iuc::service::answer::accept));
	iuc_signal rec{};

	rec.code = IUC_SIG_RECV_PIPE;
	auto h = svc.handle(rec);
	ASSERT_OK(h);
	EXPECT_FALSE(*h);
	rec.code = IUC_SIG_SERVICE_SERVER_QUITTED;	// a client's record
	h = svc.handle(rec);
	ASSERT_OK(h);
	EXPECT_FALSE(*h);
}

TEST_F(ServiceSide, ServiceNotReadyIsNotDelivered)
{
	ASSERT_NO_FATAL_FAILURE(make(echo, iuc::service::answer::accept, {.ready = false}));
	peer_data d{.v = {IUC_E_CONNECT_NOT_DELIVERED, EAGAIN, kCommand}};

	ASSERT_TRUE(client.run(connect_fails, d));
	EXPECT_EQ(request_count(), 0u);
}

TEST_F(ServiceSide, RegisteringAgainIsRefused)
{
	ASSERT_NO_FATAL_FAILURE(make(echo, iuc::service::answer::accept));
	EXPECT_ERR(iuc::register_service(ctx), iuc::spec_error(IUC_E_REGISTER_ALREADY), EALREADY);
	auto again = iuc::service::create(ctx, echo);
	EXPECT_ERR(again, iuc::spec_error(IUC_E_REGISTER_ALREADY), EALREADY);
	auto unregistered = iuc::service::create(ctx, echo, {}, {.scope = std::nullopt});
	EXPECT_OK(unregistered) << "a context that is a service already";
}

TEST_F(ServiceSide, AnotherProcessCannotBeTheSameInstance)
{
	ASSERT_NO_FATAL_FAILURE(make(echo, iuc::service::answer::accept));
	peer_data d{.v = {IUC_SCOPE_USER, IUC_E_REGISTER_TAKEN, EADDRINUSE}};

	ASSERT_TRUE(client.run(register_fails, d));
}

// The service's ACCEPT over max_pipes_per_process fails with errc::limit
// and leaves the request pending: handle() rejects it, so the client hears
// at once, not after the answer delay.
TEST_F(ServiceSide, AcceptOverThePipeLimitRejectsTheRequestAtOnce)
{
	test_peer target;
	std::vector<iuc::pipe_end> held;

	ASSERT_TRUE(target.start({IUC_SIG_RECV_PIPE}));
	for (int i = 0; i < 2; i++) {
		auto p = iuc::open_pipe(ctx, target.pid());
		ASSERT_OK(p);
		held.push_back(std::move(*p));
	}
	const long long old_max = param_read(PARAM_MAX_PIPES);
	ASSERT_GE(old_max, 0);
	struct restore {
		long long v;
		~restore() { (void)param_write(PARAM_MAX_PIPES, v); }
	} const restore_max{old_max};
	// This process holds 2 ends: the connection's 2 are over the limit;
	// the client holds none.
	ASSERT_EQ(param_write(PARAM_MAX_PIPES, 2), 0);
	ASSERT_NO_FATAL_FAILURE(make(echo, iuc::service::answer::accept));
	peer_data d{.v = {IUC_E_CONNECT_REJECTED, ECONNREFUSED, kCommand}};

	ASSERT_TRUE(client.begin(connect_fails, d));
	iuc_signal rec{};
	ASSERT_TRUE(wait_record(ctx, IUC_SIG_SERVICE_CONN_REQUEST, rec));
	EXPECT_ERR(svc.handle(rec), iuc::errc::limit, EMFILE);
	ASSERT_TRUE(client.finish(d));
	EXPECT_LT(d.v[3], rec.data.conn_request.answer_delay_ms) << "rejected, not timed out";
	EXPECT_EQ(svc.clients(), 0u);
	// the limit is restored, then held closes, then target stops
}

TEST_F(ServiceSide, AcceptAndRejectOfAnUnknownRequest)
{
	ASSERT_NO_FATAL_FAILURE(make(echo, iuc::service::answer::accept));
	const iuc::conn_request bogus{.request_id = kUnknownId};

	EXPECT_ERR(svc.accept(bogus), iuc::spec_error(IUC_E_ACCEPT_UNKNOWN_REQUEST), EBADF);
	EXPECT_ERR(svc.reject(bogus), iuc::spec_error(IUC_E_REJECT_UNKNOWN_REQUEST), EBADF);
	EXPECT_ERR(iuc::accept_service_conn(ctx, kUnknownId),
		   iuc::spec_error(IUC_E_ACCEPT_UNKNOWN_REQUEST), EBADF);
	EXPECT_EQ(svc.clients(), 0u);
}

TEST_F(ServiceSide, ServicePipesRefuseCloseAndSend)
{
	ASSERT_NO_FATAL_FAILURE(make(echo, iuc::service::answer::accept));
	start_dispatcher();
	peer_data d{.v = {kCommand}};

	ASSERT_TRUE(client.run(connect_keep, d));
	auto refuse = [](const iuc::context& ctx, peer_data& d) -> peer_result {
		for (std::uint64_t id : {d.v[1], d.v[2]}) {
			iuc::pipe_end end(ctx, id);

			PEER_ERR(end.send(::getppid()), iuc::spec_error(IUC_E_SEND_SERVICE_PIPE), EPERM);
			PEER_CHECK(end.valid());
			PEER_ERR(end.close(), iuc::spec_error(IUC_E_CLOSE_SERVICE_PIPE), EPERM);
		}
		iuc::connection c(ctx, d.v[0], d.v[1], d.v[2]);
		PEER_TRUE(echo_through(c, 11));	// the pipes still work
		PEER_OK(c.end());
		return ::testing::AssertionSuccess();
	};
	ASSERT_TRUE(client.run(refuse, d));
}

// ---- service scopes ------------------------------------------------------------------------

using ServiceScope = ContextTest;

TEST_F(ServiceScope, BadScopeIsRefused)
{
	EXPECT_ERR(iuc::register_service(ctx, static_cast<iuc::service_scope>(7)),
		   iuc::spec_error(IUC_E_REGISTER_BAD_SCOPE), EINVAL);
	EXPECT_OK(iuc::register_service(ctx)) << "the refusal registered nothing";
}

TEST_F(ServiceScope, SystemScopeNeedsCapSysAdmin)
{
	test_peer p;

	ASSERT_TRUE(p.start({}));
	ASSERT_EQ(peer_drop_cap(p.get(), CAP_SYS_ADMIN), 0);
	peer_data d{.v = {IUC_SCOPE_SYSTEM, IUC_E_REGISTER_NOT_PERMITTED, EPERM}};
	ASSERT_TRUE(p.run(register_fails, d));
}

// ---- this process is the client ---------------------------------------------------------------

// What host_service() keeps in a service peer.
struct hosted {
	iuc::service svc;
	std::atomic<int> started{0}, stopped{0};
	std::jthread dispatcher;
};
hosted* g_hosted;	// in a service peer only

enum host_mode : std::uint64_t {
	kEcho,		// echo until the client goes
	kEchoOnce,	// echo one message, then return: the thread ends
	kRejectAll,
};

// Become this application's service in mode v[0] and dispatch in a thread
// of the peer.
peer_result host_service(const iuc::context& ctx, peer_data& d)
{
	auto* h = new hosted;	// the peer's until it exits
	const auto mode = d.v[0];
	auto on_client = [h, mode](std::stop_token st, const iuc::service_conn& c) {
		h->started++;
		if (mode == kEchoOnce) {
			std::vector<std::byte> buf(IUC_MESSAGE_MAX);
			if (auto r = c.rc->read(buf))
				(void)c.sc->write({buf.data(), r->transferred});
			return;	// the thread ends: SERVER_QUITTED
		}
		echo(st, c);	// until the connection ends
		if (await_stop(st))
			h->stopped++;
	};
	iuc::service::request_fn on_request;
	if (mode == kRejectAll)
		on_request = [](const iuc::conn_request&) { return iuc::service::answer::reject; };
	auto s = iuc::service::create(ctx, on_client, on_request);
	PEER_OK(s);
	h->svc = std::move(*s);
	h->dispatcher = std::jthread([h](std::stop_token st) { (void)h->svc.run(st); });
	g_hosted = h;
	return ::testing::AssertionSuccess();
}

// Wait until v[0] client threads saw their stop request and returned.
// Out: v[1] threads started.
peer_result hosted_stopped(const iuc::context&, peer_data& d)
{
	PEER_CHECK(g_hosted != nullptr);
	PEER_CHECK(eventually([&] {
		return g_hosted->stopped == static_cast<int>(d.v[0]) && g_hosted->svc.clients() == 0;
	}));
	d.v[1] = static_cast<std::uint64_t>(g_hosted->started.load());
	return ::testing::AssertionSuccess();
}

// This process handles SERVICE_SERVER_QUITTED and is READY; server is a
// peer that serve() makes the service.
class ClientSide : public ContextTest {
protected:
	void SetUp() override
	{
		ASSERT_NO_FATAL_FAILURE(ContextTest::SetUp());
		ASSERT_TRUE(server.start({}, false));
		ASSERT_OK(ctx.handle_signal(IUC_SIG_SERVICE_SERVER_QUITTED));
		ASSERT_OK(ctx.ready());
		auto a = iuc::anid_of();
		ASSERT_OK(a);
		anid = *a;
	}

	void serve(host_mode mode)
	{
		peer_data d{.v = {mode}};

		ASSERT_TRUE(server.run(host_service, d));
	}

	// The service peer's client threads: @n stopped by a request.
	void expect_stopped(int n)
	{
		peer_data d{.v = {static_cast<std::uint64_t>(n)}};

		EXPECT_TRUE(server.run(hosted_stopped, d));
	}

	test_peer server;
	std::uint32_t anid = 0;
};

TEST_F(ClientSide, EchoThroughTheConnectionsPipesThenEnd)
{
	ASSERT_NO_FATAL_FAILURE(serve(kEcho));
	auto c = iuc::connect_service(ctx, anid, {.command = kCommand});

	ASSERT_OK(c);
	EXPECT_NE(c->id(), 0u);
	EXPECT_TRUE(echo_through(*c, 5));
	auto info = c->sc()->info();
	ASSERT_OK(info);
	EXPECT_TRUE(info->is_sc() && info->message());
	EXPECT_EQ(info->capacity, IUC_PIPE_UNIT);
	info = c->rc()->info();
	ASSERT_OK(info);
	EXPECT_TRUE(!info->is_sc() && info->message());
	EXPECT_OK(c->end());
	EXPECT_FALSE(c->valid());
	expect_stopped(1);
	EXPECT_TRUE(no_record(ctx)) << "ending a connection tells the client nothing";
}

TEST_F(ClientSide, DestructorEndsTheConnection)
{
	ASSERT_NO_FATAL_FAILURE(serve(kEcho));
	std::uint64_t id = 0;
	{
		auto c = iuc::connect_service(ctx, anid);
		ASSERT_OK(c);
		id = c->id();
	}
	expect_stopped(1);
	EXPECT_ERR(iuc::connection(ctx, id, 0, 0).end(), iuc::spec_error(IUC_E_END_UNKNOWN_CONN),
		   EBADF);
}

TEST_F(ClientSide, HandleVerbs)
{
	ASSERT_NO_FATAL_FAILURE(serve(kEcho));
	auto c = iuc::connect_service(ctx, anid);
	ASSERT_OK(c);

	const iuc::raw_connection raw = c->release();
	EXPECT_FALSE(c->valid());
	EXPECT_EQ(c->id(), 0u);
	EXPECT_EQ(raw.ctx->fd(), ctx.fd());
	iuc::connection adopted(raw);
	EXPECT_EQ(adopted.id(), raw.id);
	EXPECT_EQ(adopted.sc()->id(), raw.sc);
	EXPECT_EQ(adopted.rc()->id(), raw.rc);
	EXPECT_TRUE(echo_through(adopted, 9)) << "release() ended nothing";
	iuc::connection moved(std::move(adopted));
	EXPECT_FALSE(adopted.valid());
	EXPECT_EQ(moved.get().id, raw.id);
	{
		const auto view = moved.sc();	// views close nothing
	}
	EXPECT_TRUE(echo_through(moved, 10));
	moved.reset();
	EXPECT_FALSE(moved.valid());
	expect_stopped(1);
	EXPECT_OK(moved.close()) << "an empty connection closes nothing";
	EXPECT_ERR(iuc::connection(ctx, raw.id, 0, 0).end(),
		   iuc::spec_error(IUC_E_END_UNKNOWN_CONN), EBADF);
}

TEST_F(ClientSide, ClientThreadEndIsSeenAsServerQuitted)
{
	ASSERT_NO_FATAL_FAILURE(serve(kEchoOnce));
	auto c = iuc::connect_service(ctx, anid);
	ASSERT_OK(c);
	std::vector<std::byte> out(100), in(IUC_MESSAGE_MAX);

	fill(out, 3);
	ASSERT_OK(c->sc()->write(out));
	auto r = c->rc()->read(in);
	ASSERT_OK(r);
	EXPECT_TRUE(holds({in.data(), r->transferred}, 3));

	iuc_signal rec{};
	ASSERT_TRUE(wait_record(ctx, IUC_SIG_SERVICE_SERVER_QUITTED, rec));
	auto q = iuc::decode<iuc::server_quitted>(rec);
	ASSERT_TRUE(q);
	EXPECT_EQ(q->conn_id, c->id());
	EXPECT_EQ(rec.object, c->id());
	EXPECT_EQ(iuc::signal_data<iuc_sig_service_server_quitted>(rec)->conn_id, c->id());
	EXPECT_ERR(c->end(), iuc::spec_error(IUC_E_END_SERVER_TERMINATED), ESRCH);
	EXPECT_FALSE(c->valid()) << "the id is released all the same";
}

TEST_F(ClientSide, ServiceProcessEndIsSeenAsServerQuitted)
{
	ASSERT_NO_FATAL_FAILURE(serve(kEcho));
	auto c = iuc::connect_service(ctx, anid);
	ASSERT_OK(c);

	(void)peer_kill(server.get());
	iuc_signal rec{};
	ASSERT_TRUE(wait_record(ctx, IUC_SIG_SERVICE_SERVER_QUITTED, rec));
	auto q = iuc::decode<iuc::server_quitted>(rec);
	ASSERT_TRUE(q);
	EXPECT_EQ(q->conn_id, c->id());
	EXPECT_ERR(c->end(), iuc::spec_error(IUC_E_END_ALREADY_CLOSED), EPIPE);
	EXPECT_FALSE(c->valid());
}

TEST_F(ClientSide, FlexibleConnectReturnsTheOpenConnection)
{
	ASSERT_NO_FATAL_FAILURE(serve(kEcho));
	auto first = iuc::connect_service(ctx, anid, {.flexible = true});
	ASSERT_OK(first) << "flexible without a connection makes one";

	EXPECT_ERR(iuc::connect_service(ctx, anid), iuc::spec_error(IUC_E_CONNECT_ALREADY), EISCONN);
	auto again = iuc::connect_service(ctx, anid, {.flexible = true});
	ASSERT_OK(again);
	EXPECT_EQ(again->id(), first->id());
	EXPECT_EQ(again->get().sc, first->get().sc);
	EXPECT_EQ(again->get().rc, first->get().rc);
	(void)again->release();	// the same connection: end it once
	EXPECT_TRUE(echo_through(*first, 12));
	EXPECT_OK(first->end());
	expect_stopped(1);
	auto next = iuc::connect_service(ctx, anid);
	EXPECT_OK(next) << "a connection again once the first ended";
}

TEST_F(ClientSide, RejectedConnect)
{
	ASSERT_NO_FATAL_FAILURE(serve(kRejectAll));
	EXPECT_ERR(iuc::connect_service(ctx, anid), iuc::spec_error(IUC_E_CONNECT_REJECTED),
		   ECONNREFUSED);
}

// ---- errors of the client's calls ---------------------------------------------------------------

using ConnectErrors = ContextTest;

TEST_F(ConnectErrors, ApplicationWithoutServiceRefuses)
{
	auto anid = iuc::anid_of();

	ASSERT_OK(anid);
	auto c = iuc::connect_service(ctx, *anid);
	EXPECT_ERR(c, iuc::spec_error(IUC_E_CONNECT_NO_SERVICE), ECONNREFUSED);
	EXPECT_EQ(c.error().category(), iuc::category());
	EXPECT_EQ(iuc::spec_code(c.error()), IUC_E_CONNECT_NO_SERVICE);
	EXPECT_EQ(c.sys_error(), std::errc::connection_refused);
}

TEST_F(ConnectErrors, UnknownApplication)
{
	EXPECT_ERR(iuc::connect_service(ctx, kNoSuchAnid), iuc::spec_error(IUC_E_CONNECT_UNKNOWN_ANID),
		   ESRCH);
}

TEST_F(ConnectErrors, EndOfAnUnknownConnection)
{
	iuc::connection c(ctx, kUnknownId, 0, 0);

	EXPECT_ERR(c.end(), iuc::spec_error(IUC_E_END_UNKNOWN_CONN), EBADF);
	EXPECT_FALSE(c.valid()) << "empty whatever the result";
}

// ---- no kernel involved ------------------------------------------------------------------------

static_assert(!std::is_copy_constructible_v<iuc::connection> &&
	      std::is_nothrow_move_constructible_v<iuc::connection> &&
	      std::is_nothrow_move_assignable_v<iuc::connection>);
static_assert(!std::is_copy_constructible_v<iuc::service> &&
	      std::is_nothrow_move_constructible_v<iuc::service>);

TEST(AnidOf, IsTheInodeOfTheIpcNamespace)
{
	auto self = iuc::anid_of();
	auto by_pid = iuc::anid_of(::getpid());

	ASSERT_OK(self);
	ASSERT_OK(by_pid);
	EXPECT_EQ(*self, static_cast<std::uint32_t>(ipc_ns_ino()));
	EXPECT_EQ(*by_pid, *self);
	EXPECT_ERR(iuc::anid_of(kNoSuchPid), iuc::errc::system, ENOENT);
}

TEST(ServiceRecords, DecodeGivesTheRecordOfItsCodeOnly)
{
	iuc_signal s{};

	s.code = IUC_SIG_SERVICE_CONN_REQUEST;
	s.object = 17;
	s.data.conn_request.client_pid = 1234;
	s.data.conn_request.request_id = 17;
	s.data.conn_request.command = 0x99;
	s.data.conn_request.answer_delay_ms = 1000;
	auto q = iuc::decode<iuc::conn_request>(s);
	ASSERT_TRUE(q);
	EXPECT_EQ(q->client_pid, 1234);
	EXPECT_EQ(q->request_id, 17u);
	EXPECT_EQ(q->command, 0x99);
	EXPECT_EQ(q->answer_delay, std::chrono::milliseconds(1000));
	EXPECT_FALSE(iuc::decode<iuc::client_closed>(s));
	EXPECT_FALSE(iuc::decode<iuc::server_quitted>(s));
	EXPECT_EQ(iuc::signal_data<iuc_sig_service_conn_request>(s), &s.data.conn_request);

	s = {};
	s.code = IUC_SIG_SERVICE_CLIENT_CLOSED;
	s.object = 21;
	ASSERT_TRUE(iuc::decode<iuc::client_closed>(s));
	EXPECT_EQ(iuc::decode<iuc::client_closed>(s)->request_id, 21u);
	EXPECT_FALSE(iuc::decode<iuc::client_quitted>(s));

	s.code = IUC_SIG_SERVICE_CLIENT_QUITTED;
	ASSERT_TRUE(iuc::decode<iuc::client_quitted>(s));
	EXPECT_EQ(iuc::decode<iuc::client_quitted>(s)->request_id, 21u);
	EXPECT_FALSE(iuc::decode<iuc::conn_request>(s));

	s = {};
	s.code = IUC_SIG_SERVICE_SERVER_QUITTED;
	s.object = 33;
	s.data.server_quitted.conn_id = 33;
	ASSERT_TRUE(iuc::decode<iuc::server_quitted>(s));
	EXPECT_EQ(iuc::decode<iuc::server_quitted>(s)->conn_id, 33u);
	EXPECT_EQ(iuc::signal_name(s.code), "SERVICE_SERVER_QUITTED");
}

}  // namespace
}  // namespace iuc_test
