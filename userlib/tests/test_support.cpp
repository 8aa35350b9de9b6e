// SPDX-License-Identifier: GPL-2.0
#include "test_support.hpp"

#include <dirent.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <type_traits>

#include "memory.h"

namespace iuc_test {

std::string describe(const std::error_code& error, const std::error_code& sys_error)
{
	char code[16];

	std::snprintf(code, sizeof(code), "%#x", static_cast<unsigned>(error.value()));
	return "\"" + error.message() + "\" (" + error.category().name() + " " + code +
	       "), errno " + std::to_string(sys_error.value()) + " (" + sys_error.message() + ")";
}

::testing::AssertionResult peer_failure(const char* file, int line)
{
	const char* base = std::strrchr(file, '/');

	return ::testing::AssertionFailure() << (base ? base + 1 : file) << ":" << line << ": ";
}

// ---- data and memory ---------------------------------------------------------

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

void fill(std::span<std::byte> s, std::uint64_t seed, std::uint64_t off)
{
	pat_fill(s.data(), s.size(), seed, off);
}

::testing::AssertionResult holds(std::span<const std::byte> s, std::uint64_t seed,
				 std::uint64_t off)
{
	const std::uint64_t bad = pat_check(s.data(), s.size(), seed, off);

	if (bad == PAT_NO_BAD)
		return ::testing::AssertionSuccess();
	return ::testing::AssertionFailure() << "byte " << bad << " of " << s.size()
					     << " is not byte " << off + bad << " of pattern " << seed;
}

bool unmapped(const void* p, std::size_t len)
{
	return range_unmapped(reinterpret_cast<std::uintptr_t>(p), len) == 1;
}

anon_memory::anon_memory(std::size_t len)
{
	if (void* p = shm_anon(len))
		bytes_ = {static_cast<std::byte*>(p), len};
}

anon_memory::~anon_memory()
{
	if (!bytes_.empty())
		::munmap(bytes_.data(), bytes_.size());
}

// ---- signal records ------------------------------------------------------------

::testing::AssertionResult wait_record(const iuc::context& ctx, std::uint8_t code,
				       iuc_signal& rec)
{
	auto n = ctx.read_signals({&rec, 1}, kTimeout);

	if (!n)
		return result_ok("read_signals", n);
	if (*n != 1)
		return ::testing::AssertionFailure() << "no " << iuc::signal_name(code)
						     << " record within " << TIMEOUT_MS << " ms";
	if (rec.code != code)
		return ::testing::AssertionFailure() << "a " << iuc::signal_name(rec.code)
						     << " record, not " << iuc::signal_name(code);
	return ::testing::AssertionSuccess();
}

::testing::AssertionResult no_record(const iuc::context& ctx)
{
	iuc_signal rec{};
	auto n = ctx.read_signals({&rec, 1}, iuc::wait::no);

	if (!n)
		return result_ok("read_signals", n);
	if (*n != 0)
		return ::testing::AssertionFailure() << "unexpected " << iuc::signal_name(rec.code)
						     << " record (object " << rec.object << ")";
	return ::testing::AssertionSuccess();
}

iuc::unowned<iuc::pipe_end> pipe_view(const iuc::context& ctx, std::uint64_t id)
{
	return iuc::unowned<iuc::pipe_end>(iuc::raw_pipe_end{ctx, id});
}

// ---- peers ------------------------------------------------------------------------

void put_mapping(peer_data& d, const iuc::raw_mapping& m, int at)
{
	d.v[at] = m.id;
	d.v[at + 1] = reinterpret_cast<std::uintptr_t>(m.data);
	d.v[at + 2] = m.size;
}

iuc::raw_mapping get_mapping(const iuc::context& ctx, const peer_data& d, int at)
{
	return {ctx, d.v[at], reinterpret_cast<std::byte*>(d.v[at + 1]),
		static_cast<std::size_t>(d.v[at + 2])};
}

iuc::unowned<iuc::mapping> mapping_view(const iuc::context& ctx, const peer_data& d)
{
	return iuc::unowned<iuc::mapping>(get_mapping(ctx, d));
}

namespace {

// What PEER_RUN carries: the body and its data.
struct wire {
	peer_body body;
	peer_data d;
};
static_assert(sizeof(wire) <= PEER_DATA_MAX);
static_assert(std::is_trivially_copyable_v<wire>);

// The peer_fn of every body (runs in the peer): the peer's fd as a context
// it does not own, the body's failure into why (a longer one also to
// stderr, whole).  0 if the body succeeded, 1 if not.
int run_body(int fd, void* data)
{
	wire w;
	const iuc::unowned_context ctx(fd);
	peer_result r = ::testing::AssertionSuccess();

	std::memcpy(&w, data, sizeof(w));
	try {
		r = w.body(*ctx, w.d);
	} catch (const std::exception& e) {
		r = ::testing::AssertionFailure() << "exception: " << e.what();
	}
	if (!r) {
		const std::string why = r.message();
		const std::size_t n = std::min(why.size(), sizeof(w.d.why) - 1);

		std::memcpy(w.d.why, why.data(), n);
		w.d.why[n] = 0;
		if (n < why.size()) {
			std::memcpy(w.d.why + n - 3, "...", 3);
			std::fprintf(stderr, "# [peer %d] %s\n", static_cast<int>(::getpid()),
				     why.c_str());
		}
	}
	std::memcpy(data, &w, sizeof(w));
	return r ? 0 : 1;
}

std::string what_failed(int ret)
{
	if (ret == PEER_BROKEN)
		return "no answer (the peer died or is stuck)";
	if (ret < 0)
		return std::strerror(-ret);
	return "returned " + std::to_string(ret);
}

}  // namespace

test_peer::test_peer()
{
	std::memset(&p_, 0, sizeof(p_));
	p_.pid = -1;
	p_.cmd = p_.rsp = p_.cmd_rd = p_.rsp_wr = -1;
}

test_peer::~test_peer()
{
	if (p_.pid <= 0)
		return;
	if (auto r = stop(); !r)
		ADD_FAILURE() << r.message();
}

::testing::AssertionResult test_peer::start(std::initializer_list<std::uint8_t> codes, bool ready)
{
	const int ret = peer_start_ctx(&p_, codes.begin(), static_cast<int>(codes.size()), ready);

	if (ret)
		return ::testing::AssertionFailure() << "starting a peer with a context: "
						     << what_failed(ret);
	return ::testing::AssertionSuccess();
}

::testing::AssertionResult test_peer::start(const peer_opts& opts)
{
	const int ret = peer_start(&p_, &opts);

	if (ret)
		return ::testing::AssertionFailure() << "starting a peer: " << what_failed(ret);
	return ::testing::AssertionSuccess();
}

::testing::AssertionResult test_peer::open_context()
{
	const int ret = peer_open_dev(&p_);

	if (ret)
		return ::testing::AssertionFailure() << "peer " << p_.pid
						     << ": open /dev/iuc: " << what_failed(ret);
	return ::testing::AssertionSuccess();
}

::testing::AssertionResult test_peer::answer(int ret, const peer_data& d) const
{
	if (ret == 0)
		return ::testing::AssertionSuccess();
	if (ret == 1)
		return ::testing::AssertionFailure()
		       << "peer " << p_.pid << ": "
		       << std::string_view(d.why, strnlen(d.why, sizeof(d.why)));
	return ::testing::AssertionFailure() << "peer " << p_.pid << ": " << what_failed(ret);
}

::testing::AssertionResult test_peer::run(peer_body body, peer_data& d)
{
	if (auto sent = begin(body, d); !sent)
		return sent;
	return finish(d);
}

::testing::AssertionResult test_peer::run(peer_body body)
{
	peer_data d;

	return run(body, d);
}

::testing::AssertionResult test_peer::begin(peer_body body, const peer_data& d)
{
	struct peer_msg m = ::peer_msg(PEER_RUN, reinterpret_cast<std::uintptr_t>(&run_body), 0);
	const wire w{body, d};

	std::memcpy(m.data, &w, sizeof(w));
	if (const int ret = peer_send(&p_, &m); ret)
		return ::testing::AssertionFailure() << "peer " << p_.pid << ": sending: "
						     << what_failed(ret);
	return ::testing::AssertionSuccess();
}

// A body's own waits are bounded by TIMEOUT_MS: waiting twice as long for
// its answer lets it report what it did not get.
::testing::AssertionResult test_peer::finish(peer_data& d)
{
	peer_reply r;
	wire w;
	const int ret = peer_wait(&p_, &r, 2 * TIMEOUT_MS);

	std::memcpy(&w, r.data, sizeof(w));
	if (ret != PEER_BROKEN)
		d = w.d;
	return answer(ret, w.d);
}

::testing::AssertionResult test_peer::stop()
{
	const pid_t pid = p_.pid;
	const int st = peer_stop(&p_);

	if (st < 0)
		return ::testing::AssertionFailure() << "peer " << pid << ": " << what_failed(st);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return ::testing::AssertionFailure() << "peer " << pid << " ended with wait status "
						     << st;
	return ::testing::AssertionSuccess();
}

// ---- fixtures ------------------------------------------------------------------------

// Runs after the fixture's members are gone (its ctx, its peers).
IucTest::~IucTest()
{
	DIR* dir = ::opendir("/proc/self/fd");

	if (!dir) {
		ADD_FAILURE() << "/proc/self/fd: " << std::strerror(errno);
		return;
	}
	while (const dirent* e = ::readdir(dir)) {
		char path[64], target[64];
		const int fd = std::atoi(e->d_name);

		if (e->d_name[0] == '.' || fd == ::dirfd(dir))
			continue;
		std::snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		const ssize_t n = ::readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = 0;
		if (std::strcmp(target, "/dev/iuc"))
			continue;
		ADD_FAILURE() << "the test left fd " << fd << " of /dev/iuc open (closed now)";
		::close(fd);
	}
	::closedir(dir);
}

void ContextTest::SetUp()
{
	auto c = iuc::context::open();

	ASSERT_TRUE(result_ok("iuc::context::open()", c));
	ctx = std::move(*c);
}

void SharingTest::SetUp()
{
	ASSERT_NO_FATAL_FAILURE(ContextTest::SetUp());
	ASSERT_TRUE(receiver.start({IUC_SIG_RECV_SHARED_MEM, IUC_SIG_UNSHARED_MEM}));
}

void SharingTest::share(std::span<std::byte> range, std::uint64_t seed,
			const iuc::share_options& o, iuc::segment& seg)
{
	ASSERT_FALSE(range.empty()) << "no memory to share";
	fill(range, seed);
	auto s = iuc::share_mem(ctx, receiver.pid(), range, o);
	ASSERT_OK(s);
	seg = std::move(*s);
}

void SharingTest::receive(const iuc::segment& seg, std::size_t len, const iuc::share_options& o,
			  peer_data& m)
{
	auto take = [](const iuc::context& ctx, peer_data& d) -> peer_result {
		iuc_signal rec{};

		PEER_TRUE(wait_record(ctx, IUC_SIG_RECV_SHARED_MEM, rec));
		const auto* r = iuc::signal_data<iuc_sig_recv_shared_mem>(rec);
		PEER_CHECK(r != nullptr && rec.object == d.v[0]);
		PEER_CHECK(r->sharer_pid == static_cast<std::uint64_t>(::getppid()));
		PEER_CHECK(r->length == d.v[1] && r->command == d.v[2]);
		PEER_CHECK(r->mode == d.v[3] && r->access == d.v[4]);
		PEER_CHECK(r->start != 0 && r->map_errno == 0);
		auto mp = iuc::mapping::adopt(ctx, rec);
		PEER_OK(mp);
		PEER_CHECK(mp->id() == d.v[0] && mp->size() == d.v[1]);
		PEER_CHECK(mp->data() == reinterpret_cast<std::byte*>(r->start));
		put_mapping(d, mp->release());
		return ::testing::AssertionSuccess();
	};

	m = peer_data{.v = {seg.id(), len, o.command, static_cast<std::uint8_t>(o.mode),
			    static_cast<std::uint8_t>(o.access)}};
	ASSERT_TRUE(receiver.run(take, m));
}

void SharingTest::expect_revoked(std::uint64_t id)
{
	auto take = [](const iuc::context& ctx, peer_data& d) -> peer_result {
		iuc_signal rec{};

		PEER_TRUE(wait_record(ctx, IUC_SIG_UNSHARED_MEM, rec));
		const auto* u = iuc::signal_data<iuc_sig_unshared_mem>(rec);
		PEER_CHECK(u != nullptr && u->segment == d.v[0] && rec.object == d.v[0]);
		PEER_CHECK(u->type == IUC_UNSHARED_BY_CALL);
		PEER_TRUE(no_record(ctx));
		return ::testing::AssertionSuccess();
	};
	peer_data d{.v = {id}};

	EXPECT_TRUE(receiver.run(take, d));
}

}  // namespace iuc_test
