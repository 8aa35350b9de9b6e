// SPDX-License-Identifier: GPL-2.0
//
// iuc::call(): a request and its answer in one PIPE_CALL, over a pair of
// message pipes between this process (the client) and a peer that serves
// with iuc::call() too; the failures of either half with their stage and
// what went through; the refusals of call() itself; a loopback.
#include <unistd.h>

#include <vector>

#include "test_support.hpp"

namespace iuc_test {
namespace {

constexpr std::uint32_t kRounds = 8;

// This process holds the SC of "requests" and the RC of "answers"; the
// server peer holds the other ends (requests_peer, answers_peer).
class Call : public ContextTest {
protected:
	void SetUp() override
	{
		ASSERT_NO_FATAL_FAILURE(ContextTest::SetUp());
		ASSERT_TRUE(server.start({IUC_SIG_RECV_PIPE}));
		auto r = iuc::open_pipe(ctx, server.pid(),
					{.mode = iuc::pipe_mode::message, .notify = false});
		ASSERT_OK(r);
		requests = std::move(*r);
		auto a = iuc::open_pipe(ctx, server.pid(),
					{.type = iuc::pipe_type::caller_receives,
					 .mode = iuc::pipe_mode::message, .notify = false});
		ASSERT_OK(a);
		answers = std::move(*a);
	}

	iuc::pipe_end requests, answers;
	test_peer server;
};

// The server: v[0] its RC of requests, v[1] its SC of answers, v[2] the
// requests to answer, each with its own bytes.  Out: v[3] answered.
peer_result echo(const iuc::context& ctx, peer_data& d)
{
	const auto in = pipe_view(ctx, d.v[0]), out = pipe_view(ctx, d.v[1]);
	std::vector<std::byte> buf(IUC_MESSAGE_MAX);
	std::size_t len = 0;

	for (std::uint64_t i = 0; i < d.v[2]; i++) {
		// The answer to the previous request (none at first), then the next.
		auto n = iuc::call(*out, {buf.data(), len}, *in, buf);
		PEER_OK(n);
		PEER_CHECK(*n > 0);
		d.v[3] += i ? 1 : 0;
		len = *n;
	}
	PEER_OK(out->write({buf.data(), len}));
	d.v[3]++;
	return ::testing::AssertionSuccess();
}

TEST_F(Call, RoundTripsReturnTheAnswersSize)
{
	peer_data d{.v = {requests.peer_id(), answers.peer_id(), kRounds}};
	std::vector<std::byte> request(100), answer(IUC_MESSAGE_MAX);

	ASSERT_TRUE(server.begin(echo, d));
	for (std::uint32_t i = 0; i < kRounds; i++) {
		request.resize(1 + 37 * i);
		fill(request, i);
		auto n = iuc::call(requests, request, answers, answer);
		ASSERT_OK(n);
		EXPECT_EQ(*n, request.size());
		EXPECT_TRUE(holds({answer.data(), *n}, i));
	}
	ASSERT_TRUE(server.finish(d));
	EXPECT_EQ(d.v[3], kRounds);
}

// An answer longer than the buffer: stage read, EMSGSIZE, result its
// length, the request written; the answer stays for a read.
TEST_F(Call, AnswerTooLongStaysQueued)
{
	peer_data d{.v = {answers.peer_id()}};
	std::vector<std::byte> request(10), small(50), big(IUC_MESSAGE_MAX);

	auto answer_200 = [](const iuc::context& ctx, peer_data& d) -> peer_result {
		std::vector<std::byte> m(200);

		fill(m, 7);
		PEER_OK(pipe_view(ctx, d.v[0])->write(m));
		return ::testing::AssertionSuccess();
	};
	ASSERT_TRUE(server.run(answer_200, d));
	auto n = iuc::call(requests, request, answers, small);
	EXPECT_ERR(n, iuc::spec_error(IUC_E_READ_BUFFER_TOO_SMALL), EMSGSIZE);
	ASSERT_FALSE(n);
	EXPECT_EQ(n.fail().stage, iuc::call_stage::read);
	EXPECT_EQ(n.fail().written, request.size());
	EXPECT_EQ(n.fail().result, 200u);
	EXPECT_EQ(n.fail().transferred, 0u);
	auto r = answers.read(big);
	ASSERT_OK(r);
	EXPECT_EQ(r->transferred, 200u);
	EXPECT_TRUE(holds({big.data(), 200}, 7));
}

// A request over 64 KiB: stage write, PIPE_WRITE's code, nothing written
// or read.
TEST_F(Call, RequestTooLongIsTheWriteStage)
{
	std::vector<std::byte> request(IUC_MESSAGE_MAX + 1), answer(100);

	auto n = iuc::call(requests, request, answers, answer);
	EXPECT_ERR(n, iuc::spec_error(IUC_E_WRITE_MESSAGE_TOO_LONG), EMSGSIZE);
	ASSERT_FALSE(n);
	EXPECT_EQ(n.fail().stage, iuc::call_stage::write);
	EXPECT_EQ(n.fail().written, 0u);
}

// The server ended: EPIPE, of the write half if its end already closed
// the pipes, else of the read half (the request went, @written says so).
// (The peer killed while the caller waits: iuc_pipe_call_test.)
TEST_F(Call, ServerGoneIsEpipe)
{
	std::vector<std::byte> request(10), answer(100);

	ASSERT_TRUE(server.stop());
	auto n = iuc::call(requests, request, answers, answer);
	ASSERT_FALSE(n);
	EXPECT_EQ(n.fail().stage, n.fail().written ? iuc::call_stage::read
						   : iuc::call_stage::write);
	EXPECT_EQ(n.sys_error(), std::errc::broken_pipe);
}

// Refused by call() itself: an empty response buffer, and ends of two
// contexts; unknown ends are the kernel's, by stage.
TEST_F(Call, BadArguments)
{
	std::vector<std::byte> request(10), answer(100);

	auto n = iuc::call(requests, request, answers, {});
	EXPECT_ERR(n, iuc::make_error_code(iuc::errc::invalid_arg), EINVAL);
	ASSERT_FALSE(n);
	EXPECT_EQ(n.fail().stage, iuc::call_stage::none);

	n = iuc::call(answers, request, answers, answer);
	EXPECT_ERR(n, iuc::spec_error(IUC_E_WRITE_UNKNOWN_SC), EBADF);
	ASSERT_FALSE(n);
	EXPECT_EQ(n.fail().stage, iuc::call_stage::write);

	n = iuc::call(requests, request, requests, answer);
	EXPECT_ERR(n, iuc::spec_error(IUC_E_READ_UNKNOWN_RC), EBADF);
	ASSERT_FALSE(n);
	EXPECT_EQ(n.fail().stage, iuc::call_stage::read);
	EXPECT_EQ(n.fail().written, 0u) << "nothing sent";
}

// An empty request only waits; both ends of one pipe: a loopback.
TEST_F(Call, EmptyRequestOnlyWaitsAndLoopback)
{
	auto self = iuc::open_pipe(ctx, ::getpid(),
				   {.mode = iuc::pipe_mode::message, .notify = false});
	ASSERT_OK(self);
	iuc::pipe_end back(ctx, self->peer_id());
	std::vector<std::byte> request(300), answer(IUC_MESSAGE_MAX);

	fill(request, 9);
	auto n = iuc::call(*self, request, back, answer);
	ASSERT_OK(n);
	EXPECT_EQ(*n, 300u);
	EXPECT_TRUE(holds({answer.data(), 300}, 9));

	ASSERT_OK(self->write(request));
	n = iuc::call(iuc::pipe_end(), {}, back, answer);
	ASSERT_OK(n);
	EXPECT_EQ(*n, 300u);
	(void)back.release();	// one CLOSE_PIPE closes both ends
}

}  // namespace
}  // namespace iuc_test
