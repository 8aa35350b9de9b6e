// SPDX-License-Identifier: GPL-2.0
//
// What the GoogleTest tests of libiuc share.
//
//  * Checks of iuc::result: EXPECT_OK / ASSERT_OK (it succeeded),
//    EXPECT_ERR / ASSERT_ERR (it failed with this error() and this errno),
//    with messages that show both codes.
//  * Self-checking bytes (the pattern of selftests/lib/stream.h), private
//    anonymous memory, signal records.
//  * The other processes of a scenario: test_peer, a peer of
//    selftests/lib/peer.h (the one helper-process mechanism of all IUC
//    tests).  A peer is a child with a context of its own; the test runs a
//    "peer body" in it (a plain function or captureless lambda of this
//    program) and checks what the body reports.  A body gets the peer's
//    context and a peer_data (a few values in and out) and returns a
//    peer_result; inside it, PEER_CHECK / PEER_OK / PEER_ERR / PEER_TRUE
//    return the failure with its line.  Bodies never use the gtest
//    assertions: they run in another process, whose failures only their
//    result carries back.
//
// Every wait is bounded (TIMEOUT_MS, 10 s) only to turn a hang into a
// failure; no result depends on timing.
#ifndef IUC_TESTS_TEST_SUPPORT_HPP
#define IUC_TESTS_TEST_SUPPORT_HPP

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <system_error>

#include "iuc/iuc.hpp"
#include "peer.h"
#include "stream.h"
#include "util.h"

namespace iuc_test {

using peer_result = ::testing::AssertionResult;

constexpr auto kTimeout = std::chrono::milliseconds(TIMEOUT_MS);
// A PID above PID_MAX_LIMIT: never a process.
constexpr pid_t kNoSuchPid = 0x3fffffff;

// ---- checks of iuc::result ------------------------------------------------

// "message" (category 0xNN), errno N (strerror)
std::string describe(const std::error_code& error, const std::error_code& sys_error);

template <class R>
::testing::AssertionResult result_ok(const char* expr, const R& r)
{
	if (r)
		return ::testing::AssertionSuccess();
	return ::testing::AssertionFailure()
	       << expr << " failed: " << describe(r.error(), r.sys_error());
}

template <class R>
::testing::AssertionResult result_err(const char* expr, const char* want_expr,
				      const char* errno_expr, const R& r,
				      const std::error_code& want, int err)
{
	const std::error_code want_sys(err, std::system_category());

	if (r)
		return ::testing::AssertionFailure()
		       << expr << " succeeded; want " << want_expr << ", " << errno_expr;
	if (r.error() == want && r.sys_error() == want_sys)
		return ::testing::AssertionSuccess();
	return ::testing::AssertionFailure()
	       << expr << ": got " << describe(r.error(), r.sys_error()) << "; want "
	       << want_expr << ", " << errno_expr << ": " << describe(want, want_sys);
}

#define EXPECT_OK(r) EXPECT_PRED_FORMAT1(::iuc_test::result_ok, r)
#define ASSERT_OK(r) ASSERT_PRED_FORMAT1(::iuc_test::result_ok, r)
#define EXPECT_ERR(r, error, err) EXPECT_PRED_FORMAT3(::iuc_test::result_err, r, error, err)
#define ASSERT_ERR(r, error, err) ASSERT_PRED_FORMAT3(::iuc_test::result_err, r, error, err)

// ---- checks inside a peer body ---------------------------------------------

// A failure of a peer body at @file:@line; stream what failed into it.
::testing::AssertionResult peer_failure(const char* file, int line);

#define PEER_CHECK(cond)                                                 \
	do {                                                             \
		if (!(cond))                                             \
			return ::iuc_test::peer_failure(__FILE__, __LINE__) << #cond; \
	} while (0)
// @check: an expression giving a ::testing::AssertionResult.
#define PEER_TRUE(check)                                                 \
	do {                                                             \
		if (auto a_ = (check); !a_)                              \
			return ::iuc_test::peer_failure(__FILE__, __LINE__) << a_.message(); \
	} while (0)
#define PEER_OK(r) PEER_TRUE(::iuc_test::result_ok(#r, (r)))
#define PEER_ERR(r, error, err) PEER_TRUE(::iuc_test::result_err(#r, #error, #err, (r), (error), (err)))

// ---- data and memory ---------------------------------------------------------

std::span<const std::byte> bytes_of(std::string_view s);
std::string_view text_of(std::span<const std::byte> s);
std::size_t page_size();

// Bytes [@off, +size) of pattern @seed into @s.
void fill(std::span<std::byte> s, std::uint64_t seed, std::uint64_t off = 0);
// Does @s hold bytes [@off, +size) of pattern @seed?
::testing::AssertionResult holds(std::span<const std::byte> s, std::uint64_t seed,
				 std::uint64_t off = 0);
// Is no page of [@p, +@len) mapped?
bool unmapped(const void* p, std::size_t len);

// Private anonymous read-write memory (what SHARE_MEM takes), unmapped
// when it goes (an exclusive share may have unmapped it already).
class anon_memory {
public:
	explicit anon_memory(std::size_t len);
	~anon_memory();
	anon_memory(const anon_memory&) = delete;
	anon_memory& operator=(const anon_memory&) = delete;

	std::span<std::byte> bytes() const { return bytes_; }
	std::byte* data() const { return bytes_.data(); }
	std::size_t size() const { return bytes_.size(); }
	bool empty() const { return bytes_.empty(); }

private:
	std::span<std::byte> bytes_;
};

// ---- signal records ------------------------------------------------------------

// Read the next record of @ctx (waiting at most TIMEOUT_MS): it must be @code.
::testing::AssertionResult wait_record(const iuc::context& ctx, std::uint8_t code,
				       iuc_signal& rec);
// No record is readable now.
::testing::AssertionResult no_record(const iuc::context& ctx);

// ---- handles that view what others own -----------------------------------------

// Pipe identifier @id of @ctx, never closed by the view.
iuc::unowned<iuc::pipe_end> pipe_view(const iuc::context& ctx, std::uint64_t id);

// ---- peers ------------------------------------------------------------------------

// The values a peer body gets and gives back (PEER_DATA_MAX bytes go to
// the peer and back, this and the body's address).  why: what failed.
struct peer_data {
	std::uint64_t v[6] = {};
	char why[72] = {};
};

using peer_body = peer_result (*)(const iuc::context& ctx, peer_data& d);

// A mapping a peer body gave up (release()), kept in v[@at..@at + 2] for a
// later one, which owns it again (iuc::mapping(get_mapping(...))) or views it.
void put_mapping(peer_data& d, const iuc::raw_mapping& m, int at = 0);
iuc::raw_mapping get_mapping(const iuc::context& ctx, const peer_data& d, int at = 0);
iuc::unowned<iuc::mapping> mapping_view(const iuc::context& ctx, const peer_data& d);

// A peer of selftests/lib/peer.h, stopped when it goes (a peer that does
// not exit 0 then is a failure of the test).
class test_peer {
public:
	test_peer();
	~test_peer();
	test_peer(const test_peer&) = delete;
	test_peer& operator=(const test_peer&) = delete;

	pid_t pid() const { return p_.pid; }
	::peer* get() { return &p_; }

	// Start with a context handling @codes (records only), READY if @ready.
	::testing::AssertionResult start(std::initializer_list<std::uint8_t> codes,
					 bool ready = true);
	// Start with @opts and no context of its own yet.
	::testing::AssertionResult start(const peer_opts& opts);
	// Open its own context (PEER_OWN).
	::testing::AssertionResult open_context();
	// The slot of the fd that the bodies get: PEER_OWN or PEER_INHERITED.
	void use_slot(int slot) { p_.slot = slot; }

	// Run @body in the peer (PEER_RUN) with @d, updated with what the
	// body gave back.
	::testing::AssertionResult run(peer_body body, peer_data& d);
	::testing::AssertionResult run(peer_body body);
	// The two halves of run(): send @body without waiting (it may block
	// until the test acts), then wait for its answer.
	::testing::AssertionResult begin(peer_body body, const peer_data& d);
	::testing::AssertionResult finish(peer_data& d);

	// Tell it to exit and reap it: it must exit 0.
	::testing::AssertionResult stop();

private:
	::testing::AssertionResult answer(int ret, const peer_data& d) const;

	::peer p_;
};

// ---- fixtures ------------------------------------------------------------------------

// A test that opens contexts.  All tests run in one process, which can
// have one context at a time: a test that leaves an fd of /dev/iuc open (a
// handle that did not release its context) fails, and the fd is closed,
// so that the next test starts without a context.
class IucTest : public ::testing::Test {
protected:
	~IucTest() override;
};

// A test with the process's context open (ctx).  The peers of a fixture
// derived from it are its members: they stop before ctx closes.  A derived
// SetUp() begins with ASSERT_NO_FATAL_FAILURE(ContextTest::SetUp()).
class ContextTest : public IucTest {
protected:
	void SetUp() override;

	iuc::context ctx;
};

// This process shares memory with a receiver peer (handling
// RECV_SHARED_MEM and UNSHARED_MEM, READY).
class SharingTest : public ContextTest {
protected:
	void SetUp() override;

	// Fill @range with pattern @seed and share it with the receiver
	// (@o): @seg.
	void share(std::span<std::byte> range, std::uint64_t seed, const iuc::share_options& o,
		   iuc::segment& seg);
	// The receiver takes the RECV_SHARED_MEM record of @seg, which must
	// name this process as the sharer, @len bytes and @o's command, mode
	// and access, and adopts the mapping the kernel made (mapping::adopt),
	// which it keeps: @m (put_mapping) is its raw value.
	void receive(const iuc::segment& seg, std::size_t len, const iuc::share_options& o,
		     peer_data& m);
	// The receiver's next record is UNSHARED_MEM of segment @id (revoked
	// by a call), and no other follows.
	void expect_revoked(std::uint64_t id);

	test_peer receiver;
};

}  // namespace iuc_test

#endif  // IUC_TESTS_TEST_SUPPORT_HPP
