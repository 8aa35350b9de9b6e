// SPDX-License-Identifier: GPL-2.0
//
// Pipes through libiuc between processes: iuc::open_pipe(), the RECV_PIPE
// record, pipe_end::write/read in every io_mode with their results, raw and
// message pipes, info(), send() to a third process and PIPE_CLOSED.
//
// This process is the writer (it opens the pipe and keeps the SC); peers
// are the readers, each with a context of its own.
#include <unistd.h>

#include <string_view>
#include <vector>

#include "test_support.hpp"

namespace iuc_test {
namespace {

// Run in a peer: take the RECV_PIPE record.  Out: v[0] the identifier,
// v[1] the record's object, v[2] creator_pid, v[3] id_type, v[4] mode,
// v[5] command.
peer_result take_recv_pipe(const iuc::context& ctx, peer_data& d)
{
	iuc_signal rec{};

	PEER_TRUE(wait_record(ctx, IUC_SIG_RECV_PIPE, rec));
	const auto* rp = iuc::signal_data<iuc_sig_recv_pipe>(rec);
	PEER_CHECK(rp != nullptr);
	d.v[0] = rp->id;
	d.v[1] = rec.object;
	d.v[2] = rp->creator_pid;
	d.v[3] = rp->id_type;
	d.v[4] = rp->mode;
	d.v[5] = rp->command;
	return ::testing::AssertionSuccess();
}

// @record (take_recv_pipe) tells of identifier @id, a read end opened by
// this process, in @mode, with @command.
void expect_recv_pipe(const peer_data& record, std::uint64_t id, std::uint8_t mode,
		      std::uint16_t command)
{
	EXPECT_NE(id, 0u);
	EXPECT_EQ(record.v[0], id);
	EXPECT_EQ(record.v[1], id) << "the record's object is the identifier";
	EXPECT_EQ(record.v[2], static_cast<std::uint64_t>(::getpid())) << "the creator";
	EXPECT_EQ(record.v[3], IUC_PART_RC);
	EXPECT_EQ(record.v[4], mode);
	EXPECT_EQ(record.v[5], command);
}

// This process opens a pipe to a peer, which takes the RECV_PIPE record:
// sc is this process's end, rc the peer's identifier, record what the
// record said (take_recv_pipe).
class PipeToPeer : public ContextTest {
protected:
	// Start @target handling RECV_PIPE and open a pipe with @o to it.
	void open_to(test_peer& target, const iuc::pipe_options& o)
	{
		ASSERT_TRUE(target.start({IUC_SIG_RECV_PIPE}));
		auto p = iuc::open_pipe(ctx, target.pid(), o);
		ASSERT_OK(p);
		sc = std::move(*p);
		ASSERT_TRUE(target.run(take_recv_pipe, record));
		rc = record.v[0];
	}

	iuc::pipe_end sc;
	std::uint64_t rc = 0;
	peer_data record;
};

// ---- raw pipes ---------------------------------------------------------------------

constexpr std::size_t kCap = IUC_PIPE_UNIT;
constexpr std::size_t kBig = 3 * IUC_PIPE_UNIT + 123;
constexpr std::uint16_t kRawCommand = 0x5101;
constexpr std::uint64_t kSeed = 1;

// A raw pipe of one unit (command kRawCommand) to the reader.
class RawPipe : public PipeToPeer {
protected:
	void SetUp() override
	{
		ASSERT_NO_FATAL_FAILURE(ContextTest::SetUp());
		ASSERT_NO_FATAL_FAILURE(open_to(reader, {.command = kRawCommand}));
	}

	// Fill the pipe with bytes [0, kCap) of pattern kSeed.
	void fill_pipe()
	{
		std::vector<std::byte> data(kCap);

		fill(data, kSeed);
		auto w = sc.write(data, iuc::io_mode::try_);
		ASSERT_OK(w);
		ASSERT_EQ(w->transferred, kCap);
	}

	test_peer reader;
};

TEST_F(RawPipe, OpenPipeOwnsTheCallersEndAndKnowsTheTargets)
{
	EXPECT_TRUE(sc.valid());
	EXPECT_NE(sc.id(), 0u);
	EXPECT_NE(sc.peer_id(), 0u);
	EXPECT_EQ(rc, sc.peer_id());
}

TEST_F(RawPipe, RecvPipeRecordNamesTheCreatorTheEndTheModeAndTheCommand)
{
	expect_recv_pipe(record, sc.peer_id(), IUC_PIPE_MODE_RAW, kRawCommand);
}

TEST_F(RawPipe, InfoOfTheWritersEnd)
{
	auto info = sc.info();

	ASSERT_OK(info);
	EXPECT_TRUE(info->opened());
	EXPECT_TRUE(info->is_sc());
	EXPECT_FALSE(info->message());
	EXPECT_FALSE(info->full());
	EXPECT_EQ(info->capacity, kCap);
	EXPECT_EQ(info->room, kCap);
	EXPECT_EQ(info->creator_pid, ::getpid());
}

TEST_F(RawPipe, InfoOfTheReadersEndOfAFullPipe)
{
	peer_data d{.v = {rc}};

	ASSERT_NO_FATAL_FAILURE(fill_pipe());
	auto reader_sees_a_full_pipe = [](const iuc::context& ctx, peer_data& d) -> peer_result {
		auto info = pipe_view(ctx, d.v[0])->info();
		PEER_OK(info);
		PEER_CHECK(info->opened() && !info->is_sc() && !info->message());
		PEER_CHECK(info->full() && info->room == 0 && info->capacity == kCap);
		PEER_CHECK(info->creator_pid == ::getppid());
		return ::testing::AssertionSuccess();
	};
	ASSERT_TRUE(reader.run(reader_sees_a_full_pipe, d));
}

TEST_F(RawPipe, TryWriteOfMoreThanTheRoomFailsWhole)
{
	std::vector<std::byte> data(kCap + 1);

	auto w = sc.write(data, iuc::io_mode::try_);
	EXPECT_ERR(w, iuc::spec_error(IUC_E_WRITE_NO_ROOM), EAGAIN);
	ASSERT_FALSE(w);
	EXPECT_EQ(w.fail().result, IUC_TRY_NOT_ENOUGH);
	EXPECT_EQ(w.fail().transferred, 0u);
	auto info = sc.info();
	ASSERT_OK(info);
	EXPECT_EQ(info->room, kCap) << "nothing was written";
}

TEST_F(RawPipe, PartialWriteWritesWhatFits)
{
	std::vector<std::byte> data(kCap + 1);

	auto w = sc.write(data, iuc::io_mode::partial);
	ASSERT_OK(w);
	EXPECT_EQ(w->transferred, kCap);
	EXPECT_EQ(w->result, kCap);
	auto info = sc.info();
	ASSERT_OK(info);
	EXPECT_TRUE(info->full());
	EXPECT_EQ(info->room, 0u);

	w = sc.write({data.data(), 1}, iuc::io_mode::try_);
	EXPECT_ERR(w, iuc::spec_error(IUC_E_WRITE_NO_ROOM), EAGAIN);
	ASSERT_FALSE(w);
	EXPECT_EQ(w.fail().result, IUC_TRY_NOT_ENOUGH);
}

TEST_F(RawPipe, EmptyWriteSucceedsAtOnceEvenWhenFull)
{
	ASSERT_NO_FATAL_FAILURE(fill_pipe());
	auto w = sc.write({}, iuc::io_mode::try_);
	ASSERT_OK(w);
	EXPECT_EQ(w->transferred, 0u);
}

TEST_F(RawPipe, TryReadIsAllOrNothing)
{
	peer_data d{.v = {rc}};

	ASSERT_NO_FATAL_FAILURE(fill_pipe());
	auto try_read = [](const iuc::context& ctx, peer_data& d) -> peer_result {
		const auto end = pipe_view(ctx, d.v[0]);
		std::vector<std::byte> buf(kCap + 1);

		auto r = end->read(buf, iuc::io_mode::try_);
		PEER_ERR(r, iuc::spec_error(IUC_E_READ_NO_DATA), EAGAIN);
		PEER_CHECK(r.sys_error() == std::errc::resource_unavailable_try_again);
		// 0x22 means other things for other calls: no errno condition
		PEER_CHECK(r.error() != std::errc::resource_unavailable_try_again);
		PEER_CHECK(r.fail().result == IUC_TRY_NOT_ENOUGH && r.fail().transferred == 0);

		r = end->read({buf.data(), 1000}, iuc::io_mode::try_);
		PEER_OK(r);
		PEER_CHECK(r->result == 1000 && r->transferred == 1000);
		PEER_TRUE(holds({buf.data(), 1000}, kSeed));
		return ::testing::AssertionSuccess();
	};
	ASSERT_TRUE(reader.run(try_read, d));
}

TEST_F(RawPipe, PartialReadTakesWhatIsPendingEvenNothing)
{
	peer_data d{.v = {rc}};

	ASSERT_NO_FATAL_FAILURE(fill_pipe());
	auto partial_read = [](const iuc::context& ctx, peer_data& d) -> peer_result {
		const auto end = pipe_view(ctx, d.v[0]);
		std::vector<std::byte> buf(kBig);

		PEER_OK(end->read({buf.data(), 1000}, iuc::io_mode::try_));
		auto r = end->read(buf, iuc::io_mode::partial);
		PEER_OK(r);
		PEER_CHECK(r->transferred == kCap - 1000 && r->result == kCap - 1000);
		PEER_TRUE(holds({buf.data(), kCap - 1000}, kSeed, 1000));
		// nothing pending: nothing read, not an error
		r = end->read(buf, iuc::io_mode::partial);
		PEER_OK(r);
		PEER_CHECK(r->transferred == 0 && r->result == 0);
		return ::testing::AssertionSuccess();
	};
	ASSERT_TRUE(reader.run(partial_read, d));
}

TEST_F(RawPipe, BlockingWriteAndReadMoveMoreThanTheCapacity)
{
	peer_data d{.v = {rc}};
	std::vector<std::byte> data(kBig);

	// the reader waits for all of it while this process writes it
	auto read_all = [](const iuc::context& ctx, peer_data& d) -> peer_result {
		std::vector<std::byte> buf(kBig);

		auto r = pipe_view(ctx, d.v[0])->read(buf, iuc::io_mode::block);
		PEER_OK(r);
		PEER_CHECK(r->transferred == kBig);
		PEER_CHECK(r->result == 0);	// nothing pending after it
		PEER_TRUE(holds(buf, kSeed));
		return ::testing::AssertionSuccess();
	};
	ASSERT_TRUE(reader.begin(read_all, d));
	fill(data, kSeed);
	auto w = sc.write(data, iuc::io_mode::block);
	EXPECT_OK(w);
	if (w) {
		EXPECT_EQ(w->transferred, kBig);
		EXPECT_LE(w->result, kCap);
	}
	EXPECT_TRUE(reader.finish(d));
}

TEST_F(RawPipe, ReadFailsWithClosedOnceTheWriterClosed)
{
	peer_data d{.v = {rc}};

	ASSERT_OK(sc.close());
	EXPECT_FALSE(sc.valid());
	auto read_closed = [](const iuc::context& ctx, peer_data& d) -> peer_result {
		std::vector<std::byte> buf(kCap);

		auto r = pipe_view(ctx, d.v[0])->read(buf, iuc::io_mode::block);
		PEER_ERR(r, iuc::spec_error(IUC_E_READ_CLOSED), EPIPE);
		PEER_CHECK(r.fail().transferred == 0);
		return ::testing::AssertionSuccess();
	};
	ASSERT_TRUE(reader.run(read_closed, d));
}

// ---- message pipes --------------------------------------------------------------------

constexpr std::size_t kMsgCap = 2 * IUC_PIPE_UNIT;
constexpr std::uint64_t kOneSeed = 11, kHundredSeed = 12, kMaxSeed = 13;
constexpr std::string_view kAbc = "abc", kDefg = "defg";

// A message pipe of two units to the reader; messages of 1, 100 and
// IUC_MESSAGE_MAX bytes to write.
class MessagePipe : public PipeToPeer {
protected:
	void SetUp() override
	{
		ASSERT_NO_FATAL_FAILURE(ContextTest::SetUp());
		ASSERT_NO_FATAL_FAILURE(
			open_to(reader, {.mode = iuc::pipe_mode::message, .multiplier = 2}));
		one.resize(1);
		hundred.resize(100);
		max.resize(IUC_MESSAGE_MAX);
		fill(one, kOneSeed);
		fill(hundred, kHundredSeed);
		fill(max, kMaxSeed);
	}

	// Write @m as one message in @mode: it must go through whole.
	void put(std::span<const std::byte> m, iuc::io_mode mode = iuc::io_mode::block)
	{
		auto w = sc.write(m, mode);

		ASSERT_OK(w);
		EXPECT_EQ(w->transferred, m.size());
	}

	test_peer reader;
	std::vector<std::byte> one, hundred, max;
};

TEST_F(MessagePipe, CapacityIsTheMultiplierTimesTheUnitOnBothEnds)
{
	peer_data d{.v = {rc}};

	EXPECT_EQ(record.v[4], IUC_PIPE_MODE_MESSAGE);
	auto info = sc.info();
	ASSERT_OK(info);
	EXPECT_TRUE(info->message());
	EXPECT_EQ(info->capacity, kMsgCap);
	auto reader_info = [](const iuc::context& ctx, peer_data& d) -> peer_result {
		auto info = pipe_view(ctx, d.v[0])->info();
		PEER_OK(info);
		PEER_CHECK(info->message() && info->capacity == kMsgCap);
		return ::testing::AssertionSuccess();
	};
	EXPECT_TRUE(reader.run(reader_info, d));
}

TEST_F(MessagePipe, WriteRefusesAMessageLongerThanTheMaximum)
{
	std::vector<std::byte> big(IUC_MESSAGE_MAX + 1);

	EXPECT_ERR(sc.write(big), iuc::spec_error(IUC_E_WRITE_MESSAGE_TOO_LONG), EMSGSIZE);
}

TEST_F(MessagePipe, WriteRefusesPartialMode)
{
	EXPECT_ERR(sc.write(bytes_of(kAbc), iuc::io_mode::partial),
		   iuc::spec_error(IUC_E_WRITE_MESSAGE_PARTIAL), EINVAL);
}

TEST_F(MessagePipe, EmptyWriteWritesNoMessage)
{
	peer_data d{.v = {rc}};

	auto w = sc.write({});
	ASSERT_OK(w);
	EXPECT_EQ(w->transferred, 0u);
	auto read_nothing = [](const iuc::context& ctx, peer_data& d) -> peer_result {
		std::vector<std::byte> buf(IUC_MESSAGE_MAX);
		auto r = pipe_view(ctx, d.v[0])->read(buf, iuc::io_mode::try_);
		PEER_ERR(r, iuc::spec_error(IUC_E_READ_NO_DATA), EAGAIN);
		PEER_CHECK(r.fail().result == IUC_TRY_NOT_ENOUGH);
		return ::testing::AssertionSuccess();
	};
	EXPECT_TRUE(reader.run(read_nothing, d));
}

TEST_F(MessagePipe, BlockingWriteReturnsTheRoomLeft)
{
	std::uint64_t used = 0;

	for (auto m : {std::span<const std::byte>(one), std::span<const std::byte>(hundred),
		       bytes_of(kAbc), std::span<const std::byte>(max)}) {
		auto w = sc.write(m);
		ASSERT_OK(w);
		used += m.size();
		EXPECT_EQ(w->transferred, m.size());
		EXPECT_EQ(w->result, kMsgCap - used);
	}
}

TEST_F(MessagePipe, EachReadTakesOneWholeMessageInOrder)
{
	peer_data d{.v = {rc}};

	ASSERT_NO_FATAL_FAILURE(put(one));
	ASSERT_NO_FATAL_FAILURE(put(bytes_of(kAbc), iuc::io_mode::try_));
	ASSERT_NO_FATAL_FAILURE(put(bytes_of(kDefg)));
	ASSERT_NO_FATAL_FAILURE(put(max));
	auto read_each = [](const iuc::context& ctx, peer_data& d) -> peer_result {
		const auto end = pipe_view(ctx, d.v[0]);
		std::vector<std::byte> buf(IUC_MESSAGE_MAX);

		// however big the buffer
		auto r = end->read({buf.data(), 50});
		PEER_OK(r);
		PEER_CHECK(r->transferred == 1 && r->result == 1);
		PEER_TRUE(holds({buf.data(), 1}, kOneSeed));
		r = end->read(buf);
		PEER_OK(r);
		PEER_CHECK(text_of({buf.data(), r->transferred}) == kAbc && r->result == kAbc.size());
		r = end->read(buf, iuc::io_mode::try_);
		PEER_OK(r);
		PEER_CHECK(text_of({buf.data(), r->transferred}) == kDefg);
		r = end->read(buf);
		PEER_OK(r);
		PEER_CHECK(r->transferred == IUC_MESSAGE_MAX);
		PEER_TRUE(holds(buf, kMaxSeed));
		// nothing left
		r = end->read(buf, iuc::io_mode::try_);
		PEER_ERR(r, iuc::spec_error(IUC_E_READ_NO_DATA), EAGAIN);
		PEER_CHECK(r.fail().result == IUC_TRY_NOT_ENOUGH);
		return ::testing::AssertionSuccess();
	};
	ASSERT_TRUE(reader.run(read_each, d));
}

TEST_F(MessagePipe, TooSmallABufferGetsTheLengthAndTheMessageStays)
{
	peer_data d{.v = {rc}};

	ASSERT_NO_FATAL_FAILURE(put(hundred, iuc::io_mode::try_));
	auto read_hundred = [](const iuc::context& ctx, peer_data& d) -> peer_result {
		const auto end = pipe_view(ctx, d.v[0]);
		std::vector<std::byte> buf(100);

		auto r = end->read({buf.data(), 50});
		PEER_ERR(r, iuc::spec_error(IUC_E_READ_BUFFER_TOO_SMALL), EMSGSIZE);
		PEER_CHECK(r.fail().result == 100 && r.fail().transferred == 0);
		r = end->read({buf.data(), static_cast<std::size_t>(r.fail().result)},
			      iuc::io_mode::try_);
		PEER_OK(r);
		PEER_CHECK(r->transferred == 100);
		PEER_TRUE(holds(buf, kHundredSeed));
		return ::testing::AssertionSuccess();
	};
	ASSERT_TRUE(reader.run(read_hundred, d));
}

TEST_F(MessagePipe, ReadRefusesPartialModeAndTheMessageStays)
{
	peer_data d{.v = {rc}};

	ASSERT_NO_FATAL_FAILURE(put(bytes_of(kAbc)));
	auto read_partial = [](const iuc::context& ctx, peer_data& d) -> peer_result {
		const auto end = pipe_view(ctx, d.v[0]);
		std::vector<std::byte> buf(IUC_MESSAGE_MAX);

		PEER_ERR(end->read(buf, iuc::io_mode::partial),
			 iuc::spec_error(IUC_E_READ_MESSAGE_PARTIAL), EINVAL);
		auto r = end->read(buf);
		PEER_OK(r);
		PEER_CHECK(text_of({buf.data(), r->transferred}) == kAbc);
		return ::testing::AssertionSuccess();
	};
	ASSERT_TRUE(reader.run(read_partial, d));
}

// ---- send() to a third process ---------------------------------------------------------

constexpr std::uint16_t kSendCommand = 0x5103;
constexpr std::string_view kHello = "hello via a third process";

// This process (handling PIPE_CLOSED) opened a message pipe to the middle
// peer; the third peer takes what the middle sends it.
class PipeSend : public PipeToPeer {
protected:
	void SetUp() override
	{
		ASSERT_NO_FATAL_FAILURE(ContextTest::SetUp());
		ASSERT_OK(ctx.handle_signal(IUC_SIG_PIPE_CLOSED));
		ASSERT_OK(ctx.ready());
		ASSERT_TRUE(third.start({IUC_SIG_RECV_PIPE}));
		ASSERT_NO_FATAL_FAILURE(open_to(
			middle, {.command = kSendCommand, .mode = iuc::pipe_mode::message}));
	}

	// The middle sends its end to the third: the third's identifier.
	void send_to_third(std::uint64_t& moved)
	{
		peer_data d{.v = {rc, static_cast<std::uint64_t>(third.pid())}};

		auto send_to = [](const iuc::context& ctx, peer_data& d) -> peer_result {
			iuc::pipe_end end(ctx, d.v[0]);
			auto s = end.send(static_cast<pid_t>(d.v[1]));
			PEER_OK(s);
			PEER_CHECK(*s != 0);
			// empty: it names and closes nothing any more
			PEER_CHECK(!end.valid() && end.id() == 0 && end.peer_id() == 0);
			d.v[0] = *s;
			return ::testing::AssertionSuccess();
		};
		ASSERT_TRUE(middle.run(send_to, d));
		moved = d.v[0];
	}

	test_peer middle, third;
};

TEST_F(PipeSend, FailedSendLeavesTheEndWithItsHolder)
{
	peer_data d{.v = {rc}};

	auto send_nowhere = [](const iuc::context& ctx, peer_data& d) -> peer_result {
		iuc::pipe_end end(ctx, d.v[0]);
		PEER_ERR(end.send(kNoSuchPid), iuc::spec_error(IUC_E_SEND_NO_SUCH_PID), ESRCH);
		PEER_CHECK(end.valid() && end.id() == d.v[0]);
		PEER_OK(end.info());
		(void)end.release();
		return ::testing::AssertionSuccess();
	};
	ASSERT_TRUE(middle.run(send_nowhere, d));
	EXPECT_TRUE(no_record(ctx));
	auto info = sc.info();
	ASSERT_OK(info);
	EXPECT_TRUE(info->opened());
}

TEST_F(PipeSend, TheThirdProcessGetsRecvPipeWithTheOpenersRecord)
{
	std::uint64_t moved = 0;
	peer_data theirs;

	ASSERT_NO_FATAL_FAILURE(send_to_third(moved));
	ASSERT_TRUE(third.run(take_recv_pipe, theirs));
	// the creator stays this process
	expect_recv_pipe(theirs, moved, IUC_PIPE_MODE_MESSAGE, kSendCommand);
}

TEST_F(PipeSend, TheSendersIdentifierIsUnknownAfterwards)
{
	std::uint64_t moved = 0;
	peer_data d{.v = {rc}};

	ASSERT_NO_FATAL_FAILURE(send_to_third(moved));
	auto use_stale = [](const iuc::context& ctx, peer_data& d) -> peer_result {
		iuc::pipe_end stale(ctx, d.v[0]);
		PEER_ERR(stale.info(), iuc::spec_error(IUC_E_INFO_UNKNOWN_ID), EBADF);
		PEER_ERR(stale.close(), iuc::spec_error(IUC_E_CLOSE_UNKNOWN_ID), EBADF);
		PEER_CHECK(!stale.valid());
		return ::testing::AssertionSuccess();
	};
	ASSERT_TRUE(middle.run(use_stale, d));
}

TEST_F(PipeSend, NeitherTheSendersHandleNorItsExitClosesThePipe)
{
	std::uint64_t moved = 0;
	peer_data d;

	ASSERT_NO_FATAL_FAILURE(send_to_third(moved));
	ASSERT_TRUE(middle.stop());
	EXPECT_TRUE(no_record(ctx));
	auto info = sc.info();
	ASSERT_OK(info);
	EXPECT_TRUE(info->opened());

	ASSERT_OK(sc.write(bytes_of(kHello)));
	ASSERT_TRUE(third.run(take_recv_pipe, d));
	auto read_hello = [](const iuc::context& ctx, peer_data& d) -> peer_result {
		std::vector<std::byte> buf(IUC_MESSAGE_MAX);
		auto r = pipe_view(ctx, d.v[0])->read(buf);
		PEER_OK(r);
		PEER_CHECK(text_of({buf.data(), r->transferred}) == kHello);
		return ::testing::AssertionSuccess();
	};
	EXPECT_TRUE(third.run(read_hello, d));
}

TEST_F(PipeSend, TheNewHolderClosingTellsTheWriter)
{
	std::uint64_t moved = 0;
	peer_data d;
	iuc_signal rec{};

	ASSERT_NO_FATAL_FAILURE(send_to_third(moved));
	ASSERT_TRUE(third.run(take_recv_pipe, d));
	auto close_end = [](const iuc::context& ctx, peer_data& d) -> peer_result {
		iuc::pipe_end end(ctx, d.v[0]);
		return ::testing::AssertionSuccess();
	};
	ASSERT_TRUE(third.run(close_end, d));			// its pipe_end closed the pipe

	ASSERT_TRUE(wait_record(ctx, IUC_SIG_PIPE_CLOSED, rec));
	const auto* pc = iuc::signal_data<iuc_sig_pipe_closed>(rec);
	ASSERT_NE(pc, nullptr);
	EXPECT_EQ(pc->id, sc.id());
	EXPECT_EQ(rec.object, sc.id());
	EXPECT_EQ(pc->part, IUC_PART_SC);
	EXPECT_EQ(pc->closing_type, IUC_CLOSED_BY_CALL);
	EXPECT_ERR(sc.write(bytes_of(kHello)), iuc::spec_error(IUC_E_WRITE_CLOSED), EPIPE);
	EXPECT_OK(sc.close()) << "our identifier stays valid until we close it";
}

}  // namespace
}  // namespace iuc_test
