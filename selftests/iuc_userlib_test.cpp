// SPDX-License-Identifier: GPL-2.0
//
// iuc_userlib_test: libiuc, the C++20 interface to /dev/iuc, end to end.
//
// Every test runs in a process of its own (a process has one IUC context),
// and drives the other processes of its scenario ("peers", forked from it,
// each with a context of its own) through a SOCK_SEQPACKET socket: a peer
// does a step when told to and reports when it is done, so no result
// depends on timing.  Every wait is bounded (10 s per wait, an alarm per
// process) only to turn a hang into a failure.
//
// Output is TAP (the kselftest harness is C only): "TAP version 13",
// "1..N", then "ok N name" or "not ok N name" per test, with "# " lines
// telling why a test failed.  Exit status 0 when every test passed.
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "iuc/iuc.hpp"

namespace {

constexpr int kTimeoutMs = 10000;		// one wait
constexpr unsigned kPeerAlarm = 20;		// a peer's whole life (s)
constexpr unsigned kTestAlarm = 40;		// a test's whole life (s)
constexpr auto kTimeout = std::chrono::milliseconds(kTimeoutMs);
// A PID above PID_MAX_LIMIT: never a process.
constexpr pid_t kNoSuchPid = 0x3fffffff;

// ---- output ---------------------------------------------------------------

// One whole line to stdout with one write(2): lines of several processes
// do not mix, and nothing sits in a stdio buffer across fork().
[[gnu::format(printf, 1, 2)]] void say(const char* fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	int n = std::vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	n = std::min<int>(n, sizeof(buf) - 2);
	buf[n++] = '\n';
	for (int off = 0; off < n;) {
		ssize_t w = ::write(STDOUT_FILENO, buf + off, n - off);
		if (w <= 0)
			return;
		off += w;
	}
}

// A diagnostic line (TAP comment) naming the process.
#define DIAG(fmt, ...) \
	say("# [pid %d] line %d: " fmt, static_cast<int>(::getpid()), __LINE__ __VA_OPT__(, ) __VA_ARGS__)

#define CHECK(cond)                                         \
	do {                                                \
		if (!(cond)) {                              \
			DIAG("CHECK(%s) failed", #cond);    \
			return false;                       \
		}                                           \
	} while (0)

// @r (a result) must have succeeded.
#define CHECK_OK(r)                                                             \
	do {                                                                    \
		const auto& r_ = (r);                                           \
		if (!r_) {                                                      \
			DIAG("%s failed: %s (errno %d: %s)", #r,                \
			     r_.error().message().c_str(), r_.sys_error().value(), \
			     r_.sys_error().message().c_str());                  \
			return false;                                           \
		}                                                               \
	} while (0)

// @r (a result) must have failed with error() == @ec and errno @err.
#define CHECK_ERR(r, ec, err)                                                       \
	do {                                                                        \
		const auto& r_ = (r);                                               \
		const std::error_code want_ = (ec);                                 \
		if (r_) {                                                           \
			DIAG("%s succeeded, expected %s", #r, want_.message().c_str()); \
			return false;                                               \
		}                                                                   \
		if (r_.error() != want_ || r_.sys_error().value() != (err)) {       \
			DIAG("%s: got \"%s\" (%s %d), errno %d; want \"%s\" (%s %d), errno %d", \
			     #r, r_.error().message().c_str(), r_.error().category().name(), \
			     r_.error().value(), r_.sys_error().value(),            \
			     want_.message().c_str(), want_.category().name(),      \
			     want_.value(), static_cast<int>(err));                 \
			return false;                                               \
		}                                                                   \
	} while (0)

// ---- data -----------------------------------------------------------------

// The byte at stream position @pos of pattern @tag: a shifted or lost byte
// shows.
std::byte pattern_byte(std::uint64_t pos, unsigned tag = 0)
{
	return static_cast<std::byte>((pos * 131 + (pos >> 8) * 7 + tag * 29 + 1) & 0xff);
}

void fill(std::span<std::byte> s, std::uint64_t pos, unsigned tag = 0)
{
	for (std::size_t i = 0; i < s.size(); i++)
		s[i] = pattern_byte(pos + i, tag);
}

// True if @s holds the pattern from stream position @pos on.
bool holds(std::span<const std::byte> s, std::uint64_t pos, unsigned tag = 0)
{
	for (std::size_t i = 0; i < s.size(); i++) {
		if (s[i] != pattern_byte(pos + i, tag)) {
			DIAG("pattern mismatch at byte %zu (stream position %llu)", i,
			     static_cast<unsigned long long>(pos + i));
			return false;
		}
	}
	return true;
}

std::span<const std::byte> bytes_of(std::string_view s)
{
	return std::as_bytes(std::span(s.data(), s.size()));
}

std::string_view text_of(std::span<const std::byte> s)
{
	return {reinterpret_cast<const char*>(s.data()), s.size()};
}

std::size_t page_size()
{
	return static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

// Private anonymous memory, page aligned (what SHARE_MEM takes).
std::span<std::byte> map_anon(std::size_t len)
{
	void* p = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return {};
	return {static_cast<std::byte*>(p), len};
}

// True if no page of [@p, +@len) is mapped (mincore fails with ENOMEM).
bool unmapped(const void* p, std::size_t len)
{
	std::vector<unsigned char> vec((len + page_size() - 1) / page_size());

	return ::mincore(const_cast<void*>(p), len, vec.data()) != 0 && errno == ENOMEM;
}

// ---- talking to peers -------------------------------------------------------

struct msg {
	std::uint64_t v[4] = {};
};

// One end of the socket between a test and a peer.
struct chan {
	int fd = -1;

	bool put(std::initializer_list<std::uint64_t> vals = {}) const
	{
		msg m;
		std::size_t i = 0;

		for (auto v : vals)
			if (i < 4)
				m.v[i++] = v;
		if (::send(fd, &m, sizeof(m), MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof(m))) {
			DIAG("send to the other process failed: %s", std::strerror(errno));
			return false;
		}
		return true;
	}

	// Wait (bounded) for the next message.
	bool get(msg& m) const
	{
		pollfd p{fd, POLLIN, 0};
		int n = ::poll(&p, 1, kTimeoutMs);

		if (n != 1) {
			DIAG("no message from the other process within %d ms", kTimeoutMs);
			return false;
		}
		if (::recv(fd, &m, sizeof(m), 0) != static_cast<ssize_t>(sizeof(m))) {
			DIAG("the other process is gone");
			return false;
		}
		return true;
	}

	bool get()
	{
		msg m;

		return get(m);
	}
};

struct peer {
	pid_t pid = -1;
	chan c;
};

// Fork a peer that runs @fn(chan); it exits 0 if @fn returns true.
template <class F>
peer spawn(const char* name, F&& fn)
{
	int sv[2];

	if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		DIAG("socketpair: %s", std::strerror(errno));
		return {};
	}
	pid_t pid = ::fork();
	if (pid < 0) {
		DIAG("fork: %s", std::strerror(errno));
		::close(sv[0]);
		::close(sv[1]);
		return {};
	}
	if (pid == 0) {
		::prctl(PR_SET_PDEATHSIG, SIGKILL);
		::alarm(kPeerAlarm);
		::close(sv[0]);
		bool ok = false;
		try {
			ok = fn(chan{sv[1]});
		} catch (const std::exception& e) {
			DIAG("peer %s: exception: %s", name, e.what());
		}
		if (!ok)
			DIAG("peer %s failed", name);
		::_exit(ok ? 0 : 1);
	}
	::close(sv[1]);
	return {pid, chan{sv[0]}};
}

// Wait for @p to end (bounded by its alarm): true if it succeeded.
bool reap(peer& p)
{
	int status = 0;

	if (p.pid <= 0)
		return false;
	while (::waitpid(p.pid, &status, 0) < 0) {
		if (errno != EINTR) {
			DIAG("waitpid: %s", std::strerror(errno));
			return false;
		}
	}
	::close(p.c.fd);
	p.pid = -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return true;
	DIAG("peer exited with status 0x%x%s", status,
	     WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM ? " (its safety alarm)" : "");
	return false;
}

// Read the next record of @ctx (waiting at most 10 s); it must be @code.
bool wait_record(const iuc::context& ctx, std::uint8_t code, iuc_signal& rec)
{
	auto n = ctx.read_signals({&rec, 1}, kTimeout);

	CHECK_OK(n);
	if (*n != 1) {
		DIAG("no %s record within %d ms", std::string(iuc::signal_name(code)).c_str(), kTimeoutMs);
		return false;
	}
	if (rec.code != code) {
		DIAG("got a %s record, want %s", std::string(iuc::signal_name(rec.code)).c_str(),
		     std::string(iuc::signal_name(code)).c_str());
		return false;
	}
	return true;
}

// No record is readable now.
bool no_record(const iuc::context& ctx)
{
	iuc_signal rec{};
	auto n = ctx.read_signals({&rec, 1}, iuc::wait::no);

	CHECK_OK(n);
	if (*n != 0) {
		DIAG("unexpected %s record (object %llu)",
		     std::string(iuc::signal_name(rec.code)).c_str(),
		     static_cast<unsigned long long>(rec.object));
		return false;
	}
	return true;
}

// A context handling @codes (records only), READY.
iuc::result<iuc::context> ready_context(std::initializer_list<std::uint8_t> codes)
{
	auto ctx = iuc::context::open();

	if (!ctx)
		return ctx;
	for (auto code : codes)
		if (auto r = ctx->handle_signal(code); !r)
			return r.fail();
	if (auto r = ctx->ready(); !r)
		return r.fail();
	return ctx;
}

// ---- tests: pipes -------------------------------------------------------------

// A raw pipe between two processes, written and read in each mode.
bool test_pipe_raw_modes()
{
	constexpr std::size_t cap = IUC_PIPE_UNIT;
	constexpr std::size_t big = 3 * IUC_PIPE_UNIT + 123;
	constexpr std::uint16_t cmd = 0x5101;
	const pid_t a_pid = ::getpid();

	peer b = spawn("reader", [&](chan c) -> bool {
		auto ctx = ready_context({IUC_SIG_RECV_PIPE});
		CHECK_OK(ctx);
		CHECK(c.put());
		CHECK(c.get());		// the writer filled the pipe

		iuc_signal rec{};
		CHECK(wait_record(*ctx, IUC_SIG_RECV_PIPE, rec));
		const auto* rp = iuc::signal_data<iuc_sig_recv_pipe>(rec);
		CHECK(rp != nullptr);
		CHECK(rp->creator_pid == static_cast<std::uint64_t>(a_pid));
		CHECK(rp->id_type == IUC_PART_RC && rp->mode == IUC_PIPE_MODE_RAW);
		CHECK(rp->command == cmd && rp->id != 0 && rec.object == rp->id);
		iuc::pipe_end rc(*ctx, rp->id);

		auto info = rc.info();
		CHECK_OK(info);
		CHECK(info->opened() && !info->is_sc() && !info->message());
		CHECK(info->full() && info->room == 0 && info->capacity == cap);
		CHECK(info->creator_pid == a_pid);

		std::vector<std::byte> buf(big);
		// try_: all or nothing
		auto r = rc.read({buf.data(), cap + 1}, iuc::io_mode::try_);
		CHECK_ERR(r, iuc::spec_error(IUC_E_READ_NO_DATA), EAGAIN);
		CHECK(r.sys_error() == std::errc::resource_unavailable_try_again);
		// 0x22 means other things for other calls: no errno condition
		CHECK(r.error() != std::errc::resource_unavailable_try_again);
		CHECK(r.fail().result == IUC_TRY_NOT_ENOUGH && r.fail().transferred == 0);
		r = rc.read({buf.data(), 1000}, iuc::io_mode::try_);
		CHECK_OK(r);
		CHECK(r->result == 1000 && r->transferred == 1000);
		CHECK(holds({buf.data(), 1000}, 0));
		// partial: what is pending, then nothing (not an error)
		r = rc.read(buf, iuc::io_mode::partial);
		CHECK_OK(r);
		CHECK(r->transferred == cap - 1000 && r->result == cap - 1000);
		CHECK(holds({buf.data(), cap - 1000}, 1000));
		r = rc.read(buf, iuc::io_mode::partial);
		CHECK_OK(r);
		CHECK(r->transferred == 0 && r->result == 0);
		CHECK(c.put());

		// block: all of it, while the writer writes (more than capacity)
		r = rc.read(buf, iuc::io_mode::block);
		CHECK_OK(r);
		CHECK(r->transferred == big);
		CHECK(r->result == 0);	// nothing pending after it
		CHECK(holds(buf, cap));
		CHECK(c.put());

		CHECK(c.get());		// the writer closed the pipe
		r = rc.read(buf, iuc::io_mode::block);
		CHECK_ERR(r, iuc::spec_error(IUC_E_READ_CLOSED), EPIPE);
		CHECK(r.fail().transferred == 0);
		return true;
	});
	CHECK(b.pid > 0);

	auto ctx = iuc::context::open();
	CHECK_OK(ctx);
	CHECK(b.c.get());		// reader ready
	auto p = iuc::open_pipe(*ctx, b.pid, {.command = cmd});
	CHECK_OK(p);
	CHECK(p->valid() && p->peer_id() != 0);

	auto info = p->info();
	CHECK_OK(info);
	CHECK(info->opened() && info->is_sc() && !info->message() && !info->full());
	CHECK(info->capacity == cap && info->room == cap && info->creator_pid == a_pid);

	std::vector<std::byte> data(cap + big);
	fill(data, 0);
	// try_: more than the room fails whole
	auto w = p->write({data.data(), cap + 1}, iuc::io_mode::try_);
	CHECK_ERR(w, iuc::spec_error(IUC_E_WRITE_NO_ROOM), EAGAIN);
	CHECK(w.fail().result == IUC_TRY_NOT_ENOUGH && w.fail().transferred == 0);
	// partial: as much as fits
	w = p->write({data.data(), cap + 1}, iuc::io_mode::partial);
	CHECK_OK(w);
	CHECK(w->transferred == cap && w->result == cap);
	info = p->info();
	CHECK_OK(info);
	CHECK(info->full() && info->room == 0);
	w = p->write({data.data() + cap, 1}, iuc::io_mode::try_);
	CHECK_ERR(w, iuc::spec_error(IUC_E_WRITE_NO_ROOM), EAGAIN);
	CHECK(w.fail().result == IUC_TRY_NOT_ENOUGH);
	// an empty write succeeds at once
	w = p->write({}, iuc::io_mode::try_);
	CHECK_OK(w);
	CHECK(w->transferred == 0);
	CHECK(b.c.put());

	CHECK(b.c.get());		// drained
	w = p->write({data.data() + cap, big}, iuc::io_mode::block);
	CHECK_OK(w);
	CHECK(w->transferred == big && w->result <= cap);
	CHECK(b.c.get());		// all read

	CHECK_OK(p->close());
	CHECK(!p->valid());
	CHECK(b.c.put());
	return reap(b);
}

// A message pipe keeps message boundaries.
bool test_pipe_messages()
{
	constexpr std::size_t cap = 2 * IUC_PIPE_UNIT;
	const std::string_view abc = "abc", defg = "defg";

	peer b = spawn("reader", [&](chan c) -> bool {
		auto ctx = ready_context({IUC_SIG_RECV_PIPE});
		CHECK_OK(ctx);
		CHECK(c.put());
		CHECK(c.get());		// all written

		iuc_signal rec{};
		CHECK(wait_record(*ctx, IUC_SIG_RECV_PIPE, rec));
		const auto* rp = iuc::signal_data<iuc_sig_recv_pipe>(rec);
		CHECK(rp != nullptr && rp->mode == IUC_PIPE_MODE_MESSAGE);
		iuc::pipe_end rc(*ctx, rp->id);
		auto info = rc.info();
		CHECK_OK(info);
		CHECK(info->message() && info->capacity == cap);

		std::vector<std::byte> buf(IUC_MESSAGE_MAX);
		// one message per read, however big the buffer
		auto r = rc.read({buf.data(), 50});
		CHECK_OK(r);
		CHECK(r->transferred == 1 && r->result == 1 && holds({buf.data(), 1}, 0, 1));
		// too small a buffer: the length, and the message stays
		r = rc.read({buf.data(), 50});
		CHECK_ERR(r, iuc::spec_error(IUC_E_READ_BUFFER_TOO_SMALL), EMSGSIZE);
		CHECK(r.fail().result == 100 && r.fail().transferred == 0);
		r = rc.read({buf.data(), static_cast<std::size_t>(r.fail().result)}, iuc::io_mode::try_);
		CHECK_OK(r);
		CHECK(r->transferred == 100 && holds({buf.data(), 100}, 0, 2));
		r = rc.read(buf);
		CHECK_OK(r);
		CHECK(text_of({buf.data(), r->transferred}) == abc && r->result == abc.size());
		// partial is refused on a message pipe
		r = rc.read(buf, iuc::io_mode::partial);
		CHECK_ERR(r, iuc::spec_error(IUC_E_READ_MESSAGE_PARTIAL), EINVAL);
		r = rc.read(buf);
		CHECK_OK(r);
		CHECK(text_of({buf.data(), r->transferred}) == defg);
		r = rc.read(buf);
		CHECK_OK(r);
		CHECK(r->transferred == IUC_MESSAGE_MAX && holds(buf, 0, 3));
		// nothing left
		r = rc.read(buf, iuc::io_mode::try_);
		CHECK_ERR(r, iuc::spec_error(IUC_E_READ_NO_DATA), EAGAIN);
		CHECK(r.fail().result == IUC_TRY_NOT_ENOUGH);
		return c.put();
	});
	CHECK(b.pid > 0);

	auto ctx = iuc::context::open();
	CHECK_OK(ctx);
	CHECK(b.c.get());
	auto p = iuc::open_pipe(*ctx, b.pid, {.mode = iuc::pipe_mode::message, .multiplier = 2});
	CHECK_OK(p);
	auto info = p->info();
	CHECK_OK(info);
	CHECK(info->message() && info->capacity == cap);

	std::vector<std::byte> big(IUC_MESSAGE_MAX + 1);
	auto w = p->write(big);
	CHECK_ERR(w, iuc::spec_error(IUC_E_WRITE_MESSAGE_TOO_LONG), EMSGSIZE);
	w = p->write(bytes_of(abc), iuc::io_mode::partial);
	CHECK_ERR(w, iuc::spec_error(IUC_E_WRITE_MESSAGE_PARTIAL), EINVAL);
	w = p->write({});		// no message at all
	CHECK_OK(w);
	CHECK(w->transferred == 0);

	std::uint64_t used = 0;
	auto put = [&](std::span<const std::byte> m, iuc::io_mode mode) -> bool {
		auto r = p->write(m, mode);
		CHECK_OK(r);
		used += m.size();
		CHECK(r->transferred == m.size());
		if (mode == iuc::io_mode::block)
			CHECK(r->result == cap - used);	// room left
		return true;
	};
	std::vector<std::byte> one(1), hundred(100);
	fill(one, 0, 1);
	fill(hundred, 0, 2);
	fill({big.data(), IUC_MESSAGE_MAX}, 0, 3);
	CHECK(put(one, iuc::io_mode::block));
	CHECK(put(hundred, iuc::io_mode::try_));
	CHECK(put(bytes_of(abc), iuc::io_mode::block));
	CHECK(put(bytes_of(defg), iuc::io_mode::block));
	CHECK(put({big.data(), IUC_MESSAGE_MAX}, iuc::io_mode::block));
	CHECK(b.c.put());
	CHECK(b.c.get());
	return reap(b);
}

// send() moves an end to a third process; the sender's id is gone, and
// neither its pipe_end nor its exit closes the pipe.
bool test_pipe_send()
{
	constexpr std::uint16_t cmd = 0x5103;
	const pid_t a_pid = ::getpid();
	const std::string_view hello = "hello via C";

	peer c3 = spawn("third", [&](chan c) -> bool {
		auto ctx = ready_context({IUC_SIG_RECV_PIPE});
		CHECK_OK(ctx);
		CHECK(c.put());
		msg m;
		CHECK(c.get(m));	// { its id here }

		iuc_signal rec{};
		CHECK(wait_record(*ctx, IUC_SIG_RECV_PIPE, rec));
		const auto* rp = iuc::signal_data<iuc_sig_recv_pipe>(rec);
		CHECK(rp != nullptr && rp->id == m.v[0] && rec.object == m.v[0]);
		CHECK(rp->creator_pid == static_cast<std::uint64_t>(a_pid));
		CHECK(rp->id_type == IUC_PART_RC && rp->command == cmd);
		CHECK(rp->mode == IUC_PIPE_MODE_MESSAGE);
		{
			iuc::pipe_end rc(*ctx, rp->id);
			std::vector<std::byte> buf(IUC_MESSAGE_MAX);
			auto r = rc.read(buf);
			CHECK_OK(r);
			CHECK(text_of({buf.data(), r->transferred}) == hello);
		}			// closes: the writer gets PIPE_CLOSED
		return c.put();
	});
	peer b = spawn("middle", [&](chan c) -> bool {
		auto ctx = ready_context({IUC_SIG_RECV_PIPE});
		CHECK_OK(ctx);
		CHECK(c.put());
		msg m;
		CHECK(c.get(m));	// { the third's pid }
		const auto third = static_cast<pid_t>(m.v[0]);

		iuc_signal rec{};
		CHECK(wait_record(*ctx, IUC_SIG_RECV_PIPE, rec));
		iuc::pipe_end rc(*ctx, rec.data.recv_pipe.id);
		const std::uint64_t old_id = rc.id();

		// a failed send leaves the end where it was
		auto s = rc.send(kNoSuchPid);
		CHECK_ERR(s, iuc::spec_error(IUC_E_SEND_NO_SUCH_PID), ESRCH);
		CHECK(rc.valid() && rc.id() == old_id);
		CHECK_OK(rc.info());

		s = rc.send(third);
		CHECK_OK(s);
		CHECK(*s != 0);
		CHECK(!rc.valid() && rc.id() == 0);
		// the old identifier is unknown here now
		iuc::pipe_end stale(*ctx, old_id);
		CHECK_ERR(stale.info(), iuc::spec_error(IUC_E_INFO_UNKNOWN_ID), EBADF);
		CHECK_ERR(stale.close(), iuc::spec_error(IUC_E_CLOSE_UNKNOWN_ID), EBADF);
		CHECK(!stale.valid());
		return c.put({*s});
	});
	CHECK(b.pid > 0 && c3.pid > 0);

	auto ctx = ready_context({IUC_SIG_PIPE_CLOSED});
	CHECK_OK(ctx);
	CHECK(b.c.get() && c3.c.get());
	auto p = iuc::open_pipe(*ctx, b.pid, {.command = cmd, .mode = iuc::pipe_mode::message});
	CHECK_OK(p);
	CHECK(b.c.put({static_cast<std::uint64_t>(c3.pid)}));
	msg m;
	CHECK(b.c.get(m));		// { the third's id }
	CHECK(reap(b));			// the middle process has exited

	// still open: the middle's pipe_end and its exit closed nothing
	CHECK(no_record(*ctx));
	auto info = p->info();
	CHECK_OK(info);
	CHECK(info->opened());
	CHECK_OK(p->write(bytes_of(hello)));
	CHECK(c3.c.put({m.v[0]}));
	CHECK(c3.c.get());		// read and closed

	iuc_signal rec{};
	CHECK(wait_record(*ctx, IUC_SIG_PIPE_CLOSED, rec));
	const auto* pc = iuc::signal_data<iuc_sig_pipe_closed>(rec);
	CHECK(pc != nullptr && pc->id == p->id() && rec.object == p->id());
	CHECK(pc->part == IUC_PART_SC && pc->closing_type == IUC_CLOSED_BY_CALL);
	CHECK_ERR(p->write(bytes_of(hello)), iuc::spec_error(IUC_E_WRITE_CLOSED), EPIPE);
	CHECK_OK(p->close());		// our id stays valid until we close it
	return reap(c3);
}

// Destructors close, release() and moved-from ends do not.
bool test_pipe_raii()
{
	peer b = spawn("holder", [&](chan c) -> bool {
		auto ctx = ready_context({IUC_SIG_PIPE_CLOSED});
		CHECK_OK(ctx);
		CHECK(c.put());
		msg m;
		iuc_signal rec{};

		// 1: the creator's pipe_end went out of scope
		CHECK(c.get(m));
		CHECK(wait_record(*ctx, IUC_SIG_PIPE_CLOSED, rec));
		const auto* pc = iuc::signal_data<iuc_sig_pipe_closed>(rec);
		CHECK(pc != nullptr && pc->id == m.v[0] && rec.object == m.v[0]);
		CHECK(pc->part == IUC_PART_RC && pc->closing_type == IUC_CLOSED_BY_CALL);
		{
			iuc::pipe_end rc(*ctx, m.v[0]);
			auto info = rc.info();	// the id stays valid until closed
			CHECK_OK(info);
			CHECK(!info->opened());
		}			// and closing it now is fine
		CHECK(no_record(*ctx));
		CHECK(c.put());

		// 2: released and moved-from ends closed nothing
		CHECK(c.get(m));
		CHECK(no_record(*ctx));
		for (std::uint64_t id : {m.v[0], m.v[1]}) {
			iuc::pipe_end rc(*ctx, id);
			auto info = rc.info();
			CHECK_OK(info);
			CHECK(info->opened());
			(void)rc.release();
		}
		CHECK(c.put());

		// 3: move assignment closed the end it replaced
		CHECK(c.get(m));
		CHECK(wait_record(*ctx, IUC_SIG_PIPE_CLOSED, rec));
		CHECK(rec.data.pipe_closed.id == m.v[0]);
		CHECK(no_record(*ctx));
		CHECK(c.put());

		// 4: close()
		CHECK(c.get(m));
		CHECK(wait_record(*ctx, IUC_SIG_PIPE_CLOSED, rec));
		CHECK(rec.data.pipe_closed.id == m.v[0]);
		CHECK(no_record(*ctx));
		return c.put();
	});
	CHECK(b.pid > 0);

	auto ctx = iuc::context::open();
	CHECK_OK(ctx);
	CHECK(b.c.get());
	const iuc::pipe_options quiet{.notify = false};

	// 1
	{
		auto p = iuc::open_pipe(*ctx, b.pid, quiet);
		CHECK_OK(p);
		CHECK(b.c.put({p->peer_id()}));
	}
	CHECK(b.c.get());

	// 2
	iuc::pipe_end kept, adopted;
	std::uint64_t peer2 = 0, peer3 = 0;
	{
		auto p = iuc::open_pipe(*ctx, b.pid, quiet);
		CHECK_OK(p);
		const std::uint64_t id = p->id();
		peer2 = p->peer_id();
		const std::uint64_t released = p->release().id;
		CHECK(released == id && !p->valid() && p->id() == 0);
		adopted = iuc::pipe_end(*ctx, released, peer2);

		auto q = iuc::open_pipe(*ctx, b.pid, quiet);
		CHECK_OK(q);
		peer3 = q->peer_id();
		kept = std::move(*q);
		CHECK(!q->valid() && kept.valid() && kept.peer_id() == peer3);
	}
	CHECK(adopted.valid() && kept.valid());
	CHECK(b.c.put({peer2, peer3}));
	CHECK(b.c.get());

	// 3
	kept = std::move(adopted);
	CHECK(!adopted.valid() && kept.peer_id() == peer2);
	CHECK(b.c.put({peer3}));
	CHECK(b.c.get());

	// 4
	CHECK_OK(kept.close());
	CHECK(!kept.valid());
	CHECK_OK(kept.close());		// empty: nothing to do
	CHECK(b.c.put({peer2}));
	CHECK(b.c.get());
	return reap(b);
}

// ---- tests: errors ------------------------------------------------------------

bool test_errors()
{
	auto ctx = iuc::context::open();
	CHECK_OK(ctx);

	// not a spec call: errc::system and the errno
	auto again = iuc::context::open();
	CHECK_ERR(again, iuc::errc::system, EBUSY);
	CHECK(again.sys_error() == std::errc::device_or_resource_busy);

	// unknown identifiers: each call's own code, in the IUC category
	iuc::pipe_end bogus(*ctx, 999999);
	auto w = bogus.write(bytes_of("x"));
	CHECK_ERR(w, iuc::spec_error(IUC_E_WRITE_UNKNOWN_SC), EBADF);
	CHECK(w.error().category() == iuc::category());
	CHECK(std::string_view(w.error().category().name()) == "iuc");
	CHECK(w.error().value() == IUC_E_WRITE_UNKNOWN_SC);
	CHECK(iuc::spec_code(w.error()) == IUC_E_WRITE_UNKNOWN_SC);
	CHECK(w.sys_error() == std::errc::bad_file_descriptor);
	CHECK(w.error().message().find("0x20") != std::string::npos);
	CHECK(w.fail().transferred == 0);
	std::byte buf[16];
	CHECK_ERR(bogus.read(buf), iuc::spec_error(IUC_E_READ_UNKNOWN_RC), EBADF);
	CHECK_ERR(bogus.info(), iuc::spec_error(IUC_E_INFO_UNKNOWN_ID), EBADF);
	CHECK_ERR(bogus.send(::getpid()), iuc::spec_error(IUC_E_SEND_UNKNOWN_ID), EBADF);
	CHECK(bogus.valid());		// a failed send keeps it
	// the same errno, another call, another code
	CHECK_ERR(bogus.close(), iuc::spec_error(IUC_E_CLOSE_UNKNOWN_ID), EBADF);
	CHECK(!bogus.valid());
	CHECK_OK(bogus.close());

	// bad arguments
	iuc::pipe_end other(*ctx, 999998);
	CHECK_ERR(other.write(bytes_of("x"), static_cast<iuc::io_mode>(7)),
		  iuc::spec_error(IUC_E_WRITE_BAD_MODE), EINVAL);
	CHECK_ERR(other.read({}), iuc::errc::invalid_arg, EINVAL);	// refused before the call
	CHECK(other.read({}).error() == std::errc::invalid_argument);
	(void)other.release();

	// value() throws std::system_error with the same code
	bool thrown = false;
	try {
		(void)iuc::pipe_end(*ctx, 0).info().value();
	} catch (const std::system_error& e) {
		thrown = e.code() == iuc::spec_error(IUC_E_INFO_UNKNOWN_ID);
	}
	CHECK(thrown);

	// OPEN_PIPE: a process without a context (the test runner), one
	// that does not handle RECV_PIPE
	CHECK_ERR(iuc::open_pipe(*ctx, ::getppid()), iuc::spec_error(IUC_E_OPEN_NO_SUCH_PID), ESRCH);
	peer b = spawn("no handler", [&](chan c) -> bool {
		auto pctx = iuc::context::open();
		CHECK_OK(pctx);
		// the test's context, inherited: not ours
		auto r = ctx->ready();
		CHECK_ERR(r, iuc::errc::not_owner, EBADFD);
		CHECK(r.error() == std::error_condition(EBADFD, std::generic_category()));
		CHECK(c.put());
		return c.get();
	});
	CHECK(b.pid > 0);
	CHECK(b.c.get());
	auto p = iuc::open_pipe(*ctx, b.pid);
	CHECK_ERR(p, iuc::spec_error(IUC_E_OPEN_NO_HANDLER), ENOENT);
	CHECK(iuc::open_pipe(*ctx, b.pid, {.notify = false}));
	CHECK(b.c.put());
	CHECK(reap(b));

	// memory calls
	const std::size_t pg = page_size();
	auto mem = map_anon(2 * pg);
	CHECK(!mem.empty());
	CHECK_ERR(iuc::share_mem(*ctx, ::getpid(), mem.subspan(1, pg),
				 {.access = iuc::mem_access::read}),
		  iuc::spec_error(IUC_E_SHARE_UNALIGNED), EINVAL);
	CHECK_ERR(iuc::share_mem(*ctx, ::getpid(), mem), iuc::spec_error(IUC_E_SHARE_MUTUAL_NO_ACCESS),
		  EINVAL);
	CHECK_ERR(iuc::share_mem(*ctx, ::getpid(), mem,
				 {.mode = iuc::share_mode::exclusive, .access = iuc::mem_access::read}),
		  iuc::spec_error(IUC_E_SHARE_EXCLUSIVE_ACCESS), EINVAL);
	CHECK_ERR(iuc::share_mem(*ctx, ::getpid(), mem.subspan(0, 0), {.access = iuc::mem_access::read}),
		  iuc::spec_error(IUC_E_SHARE_LENGTH_ZERO), EINVAL);
	CHECK_ERR(iuc::share_mem(*ctx, ::getppid(), mem, {.access = iuc::mem_access::read}),
		  iuc::spec_error(IUC_E_SHARE_NO_SUCH_PID), ESRCH);
	CHECK_ERR(iuc::mem_sharing_info(*ctx, 999999), iuc::spec_error(IUC_E_MEMINFO_UNKNOWN_SEGMENT), EBADF);
	CHECK_ERR(iuc::mapping::map(*ctx, 999999, pg), iuc::errc::system, ENXIO);
	iuc_signal rec{};
	rec.code = IUC_SIG_RECV_PIPE;
	rec.object = 1;
	CHECK_ERR(iuc::mapping::adopt(*ctx, rec), iuc::errc::invalid_arg, EINVAL);
	{
		iuc::segment seg(*ctx, 999999, iuc::share_mode::mutual);
		CHECK_ERR(seg.unshare(), iuc::spec_error(IUC_E_UNSHARE_UNKNOWN_SEGMENT), EBADF);
		CHECK(!seg.valid());
		iuc::mapping m(*ctx, 999999, nullptr, 0);
		CHECK_ERR(m.unmap(), iuc::spec_error(IUC_E_UNMAP_UNKNOWN_SEGMENT), EBADF);
		CHECK(!m.valid());
	}
	return true;
}

// Typed views of records and the category's basics (no kernel involved).
bool test_signal_views()
{
	iuc_signal s{};

	s.code = IUC_SIG_PIPE_CLOSED;
	s.data.pipe_closed.id = 42;
	CHECK(iuc::signal_data<iuc_sig_pipe_closed>(s) == &s.data.pipe_closed);
	CHECK(iuc::signal_data<iuc_sig_pipe_closed>(s)->id == 42);
	CHECK(iuc::signal_data<iuc_sig_recv_pipe>(s) == nullptr);
	CHECK(iuc::signal_data<iuc_sig_unshared_mem>(s) == nullptr);
	s.code = IUC_SIG_RECV_SHARED_MEM;
	CHECK(iuc::signal_data<iuc_sig_recv_shared_mem>(s) == &s.data.recv_shared_mem);
	CHECK(iuc::signal_data<iuc_sig_pipe_closed>(s) == nullptr);
	CHECK(iuc::signal_name(IUC_SIG_UNSHARED_MEM) == "UNSHARED_MEM");
	CHECK(iuc::signal_name(0x99) == "?");

	CHECK(iuc::spec_error(IUC_E_ARGS_UNREADABLE) == iuc::errc::args_unreadable);
	CHECK(iuc::spec_error(IUC_E_ARGS_UNREADABLE));	// an error, not "success"
	CHECK(iuc::spec_code(iuc::spec_error(IUC_E_ARGS_UNREADABLE)) == IUC_E_ARGS_UNREADABLE);
	CHECK(iuc::spec_code(std::error_code()) == IUC_E_NONE);
	CHECK(iuc::spec_code(iuc::errc::system) == -1);
	CHECK(iuc::make_error_code(iuc::errc::queue_full) == std::errc::resource_unavailable_try_again);
	return true;
}

// ---- tests: shared memory ---------------------------------------------------

// Exclusive: the pages move to the receiver's mapping; its destructor
// drops the segment.
bool test_shm_exclusive()
{
	constexpr std::uint16_t cmd = 0x5106;
	const std::size_t len = 4 * page_size();
	const pid_t a_pid = ::getpid();

	peer b = spawn("receiver", [&](chan c) -> bool {
		auto ctx = ready_context({IUC_SIG_RECV_SHARED_MEM});
		CHECK_OK(ctx);
		CHECK(c.put());
		msg m;
		CHECK(c.get(m));	// { segment id }
		const std::uint64_t id = m.v[0];

		iuc_signal rec{};
		CHECK(wait_record(*ctx, IUC_SIG_RECV_SHARED_MEM, rec));
		const auto* d = iuc::signal_data<iuc_sig_recv_shared_mem>(rec);
		CHECK(d != nullptr && rec.object == id);
		CHECK(d->sharer_pid == static_cast<std::uint64_t>(a_pid) && d->length == len);
		CHECK(d->command == cmd && d->mode == IUC_SHARE_EXCLUSIVE && d->access == 0);
		CHECK(d->start != 0);

		std::byte* start = nullptr;
		{
			auto mp = iuc::mapping::adopt(*ctx, rec);
			CHECK_OK(mp);
			CHECK(mp->id() == id && mp->size() == len);
			CHECK(mp->data() == reinterpret_cast<std::byte*>(d->start));
			CHECK(holds(mp->bytes(), 0, 6));
			fill(mp->bytes(), 0, 7);	// ours to write
			CHECK(holds(mp->bytes(), 0, 7));
			start = mp->data();

			auto info = mp->info();
			CHECK_OK(info);
			CHECK(info->sharer_pid == a_pid && info->receiver_pid == ::getpid());
			CHECK(info->receiver_addr == reinterpret_cast<std::uintptr_t>(start));
			CHECK(info->sharer_addr == 0 && info->length == len && info->command == cmd);
			CHECK(info->mode == iuc::share_mode::exclusive);
			CHECK_OK(iuc::mem_sharing_info(*ctx, id));
		}			// MEM_UNMAP
		CHECK(unmapped(start, len));
		CHECK_ERR(iuc::mem_sharing_info(*ctx, id), iuc::spec_error(IUC_E_MEMINFO_UNKNOWN_SEGMENT),
			  EBADF);
		return c.put();
	});
	CHECK(b.pid > 0);

	auto ctx = iuc::context::open();
	CHECK_OK(ctx);
	CHECK(b.c.get());
	auto mem = map_anon(len);
	CHECK(!mem.empty());
	fill(mem, 0, 6);
	auto seg = iuc::share_mem(*ctx, b.pid, mem, {.mode = iuc::share_mode::exclusive, .command = cmd});
	CHECK_OK(seg);
	CHECK(seg->valid() && seg->mode() == iuc::share_mode::exclusive);
	CHECK(unmapped(mem.data(), len));	// gone from the sharer
	auto info = seg->info();
	CHECK_OK(info);
	CHECK(info->sharer_pid == a_pid && info->receiver_pid == b.pid);
	CHECK(info->sharer_addr == 0 && info->receiver_addr == 0);	// not mapped yet
	CHECK(info->length == len && info->command == cmd);
	CHECK(info->mode == iuc::share_mode::exclusive && info->access == iuc::mem_access::none);
	// an exclusive segment cannot be revoked; the handle stays
	CHECK_ERR(seg->unshare(), iuc::spec_error(IUC_E_UNSHARE_EXCLUSIVE), EPERM);
	CHECK(seg->valid());
	CHECK(b.c.put({seg->id()}));
	CHECK(b.c.get());		// the receiver dropped it
	CHECK_ERR(seg->info(), iuc::spec_error(IUC_E_MEMINFO_UNKNOWN_SEGMENT), EBADF);
	return reap(b);
}

// Mutual: both see each other's writes; unshare() revokes, the receiver
// gets UNSHARED_MEM and its mapping's unmap() removes the dead range.
bool test_shm_mutual_unshare()
{
	const std::size_t len = 2 * page_size();
	const pid_t a_pid = ::getpid();
	const std::string_view from_b = "written by the receiver", from_a = "written by the sharer";

	peer b = spawn("receiver", [&](chan c) -> bool {
		auto ctx = ready_context({IUC_SIG_RECV_SHARED_MEM, IUC_SIG_UNSHARED_MEM});
		CHECK_OK(ctx);
		CHECK(c.put());
		msg m;
		CHECK(c.get(m));
		const std::uint64_t id = m.v[0];

		iuc_signal rec{};
		CHECK(wait_record(*ctx, IUC_SIG_RECV_SHARED_MEM, rec));
		const auto* d = iuc::signal_data<iuc_sig_recv_shared_mem>(rec);
		CHECK(d != nullptr && rec.object == id && d->mode == IUC_SHARE_MUTUAL);
		CHECK(d->access == (IUC_ACCESS_READ | IUC_ACCESS_WRITE));
		auto mp = iuc::mapping::adopt(*ctx, rec);
		CHECK_OK(mp);
		CHECK(mp->size() == len && holds(mp->bytes(), 0, 8));
		std::memcpy(mp->data() + 100, from_b.data(), from_b.size());
		CHECK(c.put());

		CHECK(c.get());		// the sharer wrote
		CHECK(text_of(mp->bytes().subspan(len - 200, from_a.size())) == from_a);
		auto info = mp->info();
		CHECK_OK(info);
		CHECK(info->sharer_pid == a_pid && info->mode == iuc::share_mode::mutual);
		CHECK(info->access == (iuc::mem_access::read | iuc::mem_access::write));
		CHECK(info->receiver_addr == reinterpret_cast<std::uintptr_t>(mp->data()));
		CHECK(info->sharer_addr == 0);	// each side sees its own address only
		CHECK(c.put());

		CHECK(c.get());		// the sharer revoked it
		CHECK(wait_record(*ctx, IUC_SIG_UNSHARED_MEM, rec));
		const auto* u = iuc::signal_data<iuc_sig_unshared_mem>(rec);
		CHECK(u != nullptr && u->segment == id && rec.object == id);
		CHECK(u->type == IUC_UNSHARED_BY_CALL);
		CHECK_ERR(mp->info(), iuc::spec_error(IUC_E_MEMINFO_UNKNOWN_SEGMENT), EBADF);
		std::byte* start = mp->data();
		CHECK(!unmapped(start, len));	// the dead range is still there
		CHECK_OK(mp->unmap());
		CHECK(!mp->valid() && unmapped(start, len));
		return c.put();
	});
	CHECK(b.pid > 0);

	auto ctx = iuc::context::open();
	CHECK_OK(ctx);
	CHECK(b.c.get());
	auto mem = map_anon(len);
	CHECK(!mem.empty());
	fill(mem, 0, 8);
	auto seg = iuc::share_mem(*ctx, b.pid, mem,
				  {.access = iuc::mem_access::read | iuc::mem_access::write});
	CHECK_OK(seg);
	CHECK(seg->mode() == iuc::share_mode::mutual);
	auto info = seg->info();
	CHECK_OK(info);
	CHECK(info->sharer_addr == reinterpret_cast<std::uintptr_t>(mem.data()));
	CHECK(b.c.put({seg->id()}));

	CHECK(b.c.get());		// the receiver wrote: same pages
	CHECK(text_of(mem.subspan(100, from_b.size())) == from_b);
	std::memcpy(mem.data() + len - 200, from_a.data(), from_a.size());
	CHECK(b.c.put());
	CHECK(b.c.get());

	const std::uint64_t id = seg->id();
	CHECK_OK(seg->unshare());
	CHECK(!seg->valid());
	CHECK_OK(seg->unshare());	// empty: nothing to do
	CHECK_ERR(iuc::mem_sharing_info(*ctx, id), iuc::spec_error(IUC_E_MEMINFO_UNKNOWN_SEGMENT), EBADF);
	CHECK(holds(mem.subspan(0, 100), 0, 8));	// still the sharer's memory
	CHECK(b.c.put());
	CHECK(b.c.get());
	return reap(b);
}

// The segment's destructor revokes a mutual share, release() does not.
bool test_shm_segment_raii()
{
	const std::size_t len = page_size();

	peer b = spawn("receiver", [&](chan c) -> bool {
		auto ctx = ready_context({IUC_SIG_RECV_SHARED_MEM, IUC_SIG_UNSHARED_MEM});
		CHECK_OK(ctx);
		CHECK(c.put());
		msg m;
		iuc_signal rec{};

		// 1: a segment handle that went out of scope
		CHECK(c.get(m));
		CHECK(wait_record(*ctx, IUC_SIG_RECV_SHARED_MEM, rec));
		CHECK(rec.object == m.v[0] && rec.data.recv_shared_mem.access == IUC_ACCESS_READ);
		{
			auto mp = iuc::mapping::adopt(*ctx, rec);
			CHECK_OK(mp);
			CHECK(holds(mp->bytes(), 0, 9));
			CHECK(c.put());
			CHECK(c.get());	// the handle is gone
			CHECK(wait_record(*ctx, IUC_SIG_UNSHARED_MEM, rec));
			CHECK(rec.data.unshared_mem.segment == m.v[0]);
			std::byte* start = mp->data();
			mp = iuc::mapping();	// move assignment unmaps the old one
			CHECK(unmapped(start, len));
		}

		// 2: a released handle
		CHECK(c.get(m));
		CHECK(wait_record(*ctx, IUC_SIG_RECV_SHARED_MEM, rec));
		CHECK(rec.object == m.v[0]);
		auto mp = iuc::mapping::adopt(*ctx, rec);
		CHECK_OK(mp);
		CHECK(no_record(*ctx));
		auto info = mp->info();
		CHECK_OK(info);
		CHECK(info->receiver_addr == reinterpret_cast<std::uintptr_t>(mp->data()));
		CHECK(holds(mp->bytes(), 0, 10));
		CHECK(c.put());
		return c.get();	// stay (and keep the segment) until told
	});
	CHECK(b.pid > 0);

	auto ctx = iuc::context::open();
	CHECK_OK(ctx);
	CHECK(b.c.get());
	auto mem = map_anon(2 * len);
	CHECK(!mem.empty());
	fill(mem.subspan(0, len), 0, 9);
	fill(mem.subspan(len), 0, 10);
	const iuc::share_options ro{.access = iuc::mem_access::read};

	{
		auto seg = iuc::share_mem(*ctx, b.pid, mem.subspan(0, len), ro);
		CHECK_OK(seg);
		CHECK(b.c.put({seg->id()}));
		CHECK(b.c.get());
	}				// UNSHARE_MEM
	CHECK(b.c.put());

	std::uint64_t id = 0;
	{
		auto seg = iuc::share_mem(*ctx, b.pid, mem.subspan(len), ro);
		CHECK_OK(seg);
		id = seg->release().id;
		CHECK(id != 0 && !seg->valid());
	}				// nothing
	CHECK(b.c.put({id}));
	CHECK(b.c.get());
	CHECK_OK(iuc::mem_sharing_info(*ctx, id));	// still shared
	CHECK(b.c.put());
	return reap(b);
}

// Notification skipped: the receiver maps the segment by its id.
bool test_shm_map_by_id()
{
	const std::size_t len = 3 * page_size();
	const pid_t a_pid = ::getpid();

	peer b = spawn("receiver", [&](chan c) -> bool {
		auto ctx = ready_context({});
		CHECK_OK(ctx);
		CHECK(c.put());
		msg m;
		CHECK(c.get(m));	// { id, length }
		const std::uint64_t id = m.v[0];
		CHECK(m.v[1] == len);
		CHECK(no_record(*ctx));

		// no more than the segment's access, and all of it
		CHECK_ERR(iuc::mapping::map(*ctx, id, len), iuc::errc::system, EACCES);
		CHECK_ERR(iuc::mapping::map(*ctx, id, len - page_size(), PROT_READ), iuc::errc::invalid_arg,
			  EINVAL);
		auto mp = iuc::mapping::map(*ctx, id, len, PROT_READ);
		CHECK_OK(mp);
		CHECK(mp->id() == id && mp->size() == len);
		CHECK(holds(mp->bytes(), 0, 11));
		auto info = mp->info();
		CHECK_OK(info);
		CHECK(info->sharer_pid == a_pid && info->receiver_pid == ::getpid());
		CHECK(info->receiver_addr == reinterpret_cast<std::uintptr_t>(mp->data()));
		CHECK(info->access == iuc::mem_access::read && info->mode == iuc::share_mode::mutual);

		std::byte* start = mp->data();
		{
			iuc::mapping moved = std::move(*mp);
			CHECK(!mp->valid() && moved.valid() && moved.data() == start);
		}			// MEM_UNMAP
		CHECK(unmapped(start, len));
		CHECK_ERR(iuc::mem_sharing_info(*ctx, id), iuc::spec_error(IUC_E_MEMINFO_UNKNOWN_SEGMENT),
			  EBADF);
		return c.put();
	});
	CHECK(b.pid > 0);

	auto ctx = iuc::context::open();
	CHECK_OK(ctx);
	CHECK(b.c.get());
	auto mem = map_anon(len);
	CHECK(!mem.empty());
	fill(mem, 0, 11);
	auto seg = iuc::share_mem(*ctx, b.pid, mem, {.access = iuc::mem_access::read, .notify = false});
	CHECK_OK(seg);
	CHECK(b.c.put({seg->id(), len}));
	CHECK(b.c.get());
	// the receiver dropped it: unknown to its sharer too
	CHECK_ERR(seg->info(), iuc::spec_error(IUC_E_MEMINFO_UNKNOWN_SEGMENT), EBADF);
	CHECK_ERR(seg->unshare(), iuc::spec_error(IUC_E_UNSHARE_UNKNOWN_SEGMENT), EBADF);
	CHECK(!seg->valid());
	return reap(b);
}

// ---- the runner ----------------------------------------------------------------

struct test_case {
	const char* name;
	bool (*fn)();
};

const test_case kTests[] = {
	{"pipe_raw_modes", test_pipe_raw_modes},
	{"pipe_messages", test_pipe_messages},
	{"pipe_send_to_third_process", test_pipe_send},
	{"pipe_raii_close_release", test_pipe_raii},
	{"error_codes", test_errors},
	{"signal_views_and_category", test_signal_views},
	{"shm_exclusive_mapping", test_shm_exclusive},
	{"shm_mutual_unshare", test_shm_mutual_unshare},
	{"shm_segment_raii", test_shm_segment_raii},
	{"shm_map_by_id", test_shm_map_by_id},
};

// Run @t in a process of its own: true if it passed.
bool run(const test_case& t)
{
	pid_t pid = ::fork();

	if (pid < 0) {
		DIAG("fork: %s", std::strerror(errno));
		return false;
	}
	if (pid == 0) {
		::alarm(kTestAlarm);
		bool ok = false;
		try {
			ok = t.fn();
		} catch (const std::exception& e) {
			DIAG("exception: %s", e.what());
		}
		::_exit(ok ? 0 : 1);
	}
	int status = 0;
	while (::waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			DIAG("waitpid: %s", std::strerror(errno));
			return false;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return true;
	if (WIFSIGNALED(status))
		DIAG("%s: killed by signal %d%s", t.name, WTERMSIG(status),
		     WTERMSIG(status) == SIGALRM ? " (its safety alarm)" : "");
	return false;
}

}  // namespace

int main()
{
	const std::size_t n = std::size(kTests);
	std::size_t failed = 0;

	say("TAP version 13");
	say("1..%zu", n);
	for (std::size_t i = 0; i < n; i++) {
		bool ok = run(kTests[i]);

		failed += !ok;
		say("%sok %zu %s", ok ? "" : "not ", i + 1, kTests[i].name);
	}
	say("# %zu passed, %zu failed", n - failed, failed);
	return failed ? 1 : 0;
}
