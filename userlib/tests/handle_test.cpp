// SPDX-License-Identifier: GPL-2.0
//
// The verbs that every handle has (iuc/handle.hpp), on each of the four
// handles: get() gives the raw value still owned; release() gives it up,
// releasing nothing, and H(raw) adopts it again; reset() and reset(raw)
// release what the handle held; close() releases now and reports, and an
// empty handle closes nothing; moving leaves the source empty, move
// assignment releases what the target held, self-move changes nothing;
// the destructor releases; iuc::unowned views never release.
//
// Releasing means: close(2) for a context, CLOSE_PIPE for a pipe_end (the
// other holder gets PIPE_CLOSED), UNSHARE_MEM for a mutual segment (the
// receiver gets UNSHARED_MEM; nothing for an exclusive one), MEM_UNMAP for
// a mapping.  Peers hold the other ends and say what arrived.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <type_traits>
#include <utility>

#include "test_support.hpp"

namespace iuc_test {
namespace {

template <class H>
constexpr bool is_move_only_handle =
	!std::is_copy_constructible_v<H> && !std::is_copy_assignable_v<H> &&
	std::is_nothrow_move_constructible_v<H> && std::is_nothrow_move_assignable_v<H> &&
	std::is_nothrow_default_constructible_v<H>;

static_assert(is_move_only_handle<iuc::context>);
static_assert(is_move_only_handle<iuc::pipe_end>);
static_assert(is_move_only_handle<iuc::segment>);
static_assert(is_move_only_handle<iuc::mapping>);
static_assert(std::is_copy_constructible_v<iuc::unowned_context> &&
	      std::is_copy_assignable_v<iuc::unowned_context>);

// h = std::move(h), through a reference the compiler does not see through.
template <class H>
void self_move(H& h)
{
	H& alias = h;

	h = std::move(alias);
}

// Is @fd no open file descriptor?
bool fd_closed(int fd)
{
	return ::fcntl(fd, F_GETFD) == -1 && errno == EBADF;
}

// ---- context ----------------------------------------------------------------------------

using ContextHandle = IucTest;

TEST_F(ContextHandle, GetIsTheFdAndAnEmptyContextHasNone)
{
	auto c = iuc::context::open();
	iuc::context empty;

	ASSERT_OK(c);
	EXPECT_TRUE(c->valid());
	EXPECT_TRUE(static_cast<bool>(*c));
	EXPECT_GE(c->get(), 0);
	EXPECT_EQ(c->get(), c->fd());
	EXPECT_FALSE(empty.valid());
	EXPECT_FALSE(static_cast<bool>(empty));
	EXPECT_EQ(empty.get(), -1);
}

TEST_F(ContextHandle, CloseEndsTheContextSoTheProcessCanOpenAnother)
{
	auto c = iuc::context::open();

	ASSERT_OK(c);
	const int fd = c->fd();
	EXPECT_ERR(iuc::context::open(), iuc::errc::system, EBUSY);
	EXPECT_OK(c->close());
	EXPECT_FALSE(c->valid());
	EXPECT_TRUE(fd_closed(fd));
	EXPECT_OK(c->close()) << "an empty handle closes nothing";
	EXPECT_OK(iuc::context::open());
}

TEST_F(ContextHandle, ReleaseGivesTheFdUpOpenAndAContextAdoptsIt)
{
	auto c = iuc::context::open();

	ASSERT_OK(c);
	const int fd = c->fd();
	const int raw = c->release();
	EXPECT_EQ(raw, fd);
	EXPECT_FALSE(c->valid());
	EXPECT_EQ(c->get(), -1);
	EXPECT_FALSE(fd_closed(raw)) << "release() closes nothing";
	EXPECT_ERR(iuc::context::open(), iuc::errc::system, EBUSY) << "still the process's context";

	iuc::context again(raw);
	EXPECT_EQ(again.fd(), raw);
	EXPECT_OK(again.ready());
	EXPECT_OK(again.close());
	EXPECT_TRUE(fd_closed(raw));
}

TEST_F(ContextHandle, ResetClosesTheFdItHeldAndOwnsTheNewOne)
{
	auto c = iuc::context::open();

	ASSERT_OK(c);
	const int first = c->fd();
	const int second = ::dup(first);
	ASSERT_GE(second, 0);
	c->reset(second);
	EXPECT_TRUE(fd_closed(first));
	EXPECT_EQ(c->fd(), second);
	EXPECT_OK(c->ready()) << "a dup of the same context";
	c->reset();
	EXPECT_FALSE(c->valid());
	EXPECT_TRUE(fd_closed(second));
	EXPECT_OK(iuc::context::open()) << "the last fd closed: the context ended";
}

TEST_F(ContextHandle, MoveAssignmentClosesTheFdItReplaces)
{
	auto a = iuc::context::open();

	ASSERT_OK(a);
	iuc::context b(::dup(a->fd()));
	ASSERT_TRUE(b.valid());
	const int replaced = b.fd(), moved = a->fd();
	b = std::move(*a);
	EXPECT_TRUE(fd_closed(replaced));
	EXPECT_EQ(b.fd(), moved);
	EXPECT_FALSE(a->valid());
	EXPECT_OK(b.ready());
}

TEST_F(ContextHandle, SelfMoveAssignmentKeepsTheFd)
{
	auto c = iuc::context::open();

	ASSERT_OK(c);
	const int fd = c->fd();
	self_move(*c);
	EXPECT_EQ(c->fd(), fd);
	EXPECT_FALSE(fd_closed(fd));
	EXPECT_OK(c->ready());
}

TEST_F(ContextHandle, BorrowedViewsNeverCloseIt)
{
	auto c = iuc::context::open();
	const iuc::unowned_context none;

	ASSERT_OK(c);
	{
		const iuc::unowned_context view = c->borrow();
		iuc::unowned_context copy = view;
		iuc::unowned_context assigned;
		const iuc::unowned_context converted = *c;
		const iuc::unowned_context of_fd(c->fd());

		assigned = copy;
		EXPECT_EQ(view->fd(), c->fd());
		EXPECT_EQ(assigned->fd(), c->fd());
		EXPECT_EQ(converted->fd(), c->fd());
		EXPECT_EQ(of_fd->get(), c->fd());
		// the context's calls, through a view
		EXPECT_OK(assigned->handle_signal(IUC_SIG_RECV_PIPE));
	}
	EXPECT_FALSE(fd_closed(c->fd()));
	auto h = c->is_signal_handled(IUC_SIG_RECV_PIPE);
	ASSERT_OK(h);
	EXPECT_TRUE(h->handled);
	EXPECT_FALSE(none->valid()) << "a default view views nothing";
}

// ---- pipe_end ----------------------------------------------------------------------------

// This process opens pipes to a holder peer (handling PIPE_CLOSED), without
// notifying it; the holder knows its ends by their peer_id().  p is one,
// theirs the holder's identifier of it.
class PipeHandle : public ContextTest {
protected:
	void SetUp() override
	{
		ASSERT_NO_FATAL_FAILURE(ContextTest::SetUp());
		ASSERT_TRUE(holder.start({IUC_SIG_PIPE_CLOSED}));
		p = open();
		ASSERT_TRUE(p.valid());
		theirs = p.peer_id();
	}

	// A pipe to the holder: this process's end.
	iuc::pipe_end open()
	{
		auto opened = iuc::open_pipe(ctx, holder.pid(), {.notify = false});

		EXPECT_OK(opened);
		return opened ? std::move(*opened) : iuc::pipe_end();
	}

	// The holder's next record is PIPE_CLOSED of its end @id, closed by a
	// call; the end stays its own until it closes it; no record follows.
	::testing::AssertionResult closed(std::uint64_t id)
	{
		auto check = [](const iuc::context& ctx, peer_data& d) -> peer_result {
			iuc_signal rec{};

			PEER_TRUE(wait_record(ctx, IUC_SIG_PIPE_CLOSED, rec));
			const auto* pc = iuc::signal_data<iuc_sig_pipe_closed>(rec);
			PEER_CHECK(pc != nullptr && pc->id == d.v[0] && rec.object == d.v[0]);
			PEER_CHECK(pc->part == IUC_PART_RC && pc->closing_type == IUC_CLOSED_BY_CALL);
			iuc::pipe_end end(ctx, d.v[0]);
			auto info = end.info();
			PEER_OK(info);
			PEER_CHECK(!info->opened());
			PEER_OK(end.close());
			PEER_TRUE(no_record(ctx));
			return ::testing::AssertionSuccess();
		};
		peer_data d{.v = {id}};

		return holder.run(check, d);
	}

	// The holder got no record and its end @id is of an open pipe.
	::testing::AssertionResult still_open(std::uint64_t id)
	{
		auto check = [](const iuc::context& ctx, peer_data& d) -> peer_result {
			PEER_TRUE(no_record(ctx));
			auto info = pipe_view(ctx, d.v[0])->info();
			PEER_OK(info);
			PEER_CHECK(info->opened());
			return ::testing::AssertionSuccess();
		};
		peer_data d{.v = {id}};

		return holder.run(check, d);
	}

	test_peer holder;
	iuc::pipe_end p;
	std::uint64_t theirs = 0;
};

TEST_F(PipeHandle, DestructorClosesThePipe)
{
	{
		iuc::pipe_end owner = std::move(p);
	}
	EXPECT_TRUE(closed(theirs));
}

TEST_F(PipeHandle, GetIsTheRawValueStillOwned)
{
	const iuc::raw_pipe_end& raw = p.get();
	const iuc::pipe_end empty;

	EXPECT_EQ(raw.id, p.id());
	EXPECT_EQ(raw.peer_id, theirs);
	EXPECT_EQ(raw.ctx->fd(), ctx.fd());
	EXPECT_TRUE(still_open(theirs));
	EXPECT_EQ(empty.get().id, 0u);
	EXPECT_EQ(empty.get().peer_id, 0u);
}

TEST_F(PipeHandle, ReleaseGivesTheRawValueUpAndClosesNothing)
{
	const std::uint64_t id = p.id();
	const iuc::raw_pipe_end raw = p.release();

	EXPECT_EQ(raw.id, id);
	EXPECT_EQ(raw.peer_id, theirs);
	EXPECT_EQ(raw.ctx->fd(), ctx.fd());
	EXPECT_FALSE(p.valid());
	EXPECT_EQ(p.id(), 0u);
	EXPECT_EQ(p.peer_id(), 0u) << "wholly empty";
	EXPECT_TRUE(still_open(theirs));
	EXPECT_OK(iuc::pipe_end(raw).close());
}

TEST_F(PipeHandle, AdoptingTheReleasedValueOwnsThePipeAgain)
{
	const std::uint64_t id = p.id();

	{
		iuc::pipe_end again(p.release());
		EXPECT_EQ(again.id(), id);
		EXPECT_EQ(again.peer_id(), theirs);
		EXPECT_OK(again.info());
	}
	EXPECT_TRUE(closed(theirs));
}

TEST_F(PipeHandle, AdoptingAnIdentifierOwnsIt)
{
	const std::uint64_t id = p.release().id;

	EXPECT_TRUE(still_open(theirs));
	{
		iuc::pipe_end adopted(ctx, id, theirs);
		EXPECT_EQ(adopted.peer_id(), theirs);
	}
	EXPECT_TRUE(closed(theirs));
}

TEST_F(PipeHandle, MovedFromEndIsEmptyAndClosesNothing)
{
	iuc::pipe_end kept = std::move(p);

	EXPECT_FALSE(p.valid());
	EXPECT_EQ(p.id(), 0u);
	EXPECT_TRUE(kept.valid());
	EXPECT_EQ(kept.peer_id(), theirs);
	{
		iuc::pipe_end moved_from = std::move(p);
	}
	EXPECT_TRUE(still_open(theirs));
}

TEST_F(PipeHandle, MoveAssignmentClosesTheEndItReplaces)
{
	iuc::pipe_end other = open();

	ASSERT_TRUE(other.valid());
	const std::uint64_t moved = other.peer_id();
	p = std::move(other);
	EXPECT_FALSE(other.valid());
	EXPECT_EQ(p.peer_id(), moved);
	EXPECT_TRUE(closed(theirs));
	EXPECT_TRUE(still_open(moved));
}

TEST_F(PipeHandle, SelfMoveAssignmentKeepsTheEnd)
{
	const std::uint64_t id = p.id();

	self_move(p);
	EXPECT_TRUE(p.valid());
	EXPECT_EQ(p.id(), id);
	EXPECT_EQ(p.peer_id(), theirs);
	EXPECT_OK(p.info());
	EXPECT_TRUE(still_open(theirs));
}

TEST_F(PipeHandle, ResetClosesTheEndItHeldAndOwnsTheNewOne)
{
	iuc::pipe_end other = open();

	ASSERT_TRUE(other.valid());
	const std::uint64_t adopted = other.peer_id();
	p.reset(other.release());
	EXPECT_EQ(p.peer_id(), adopted);
	EXPECT_TRUE(closed(theirs));
	EXPECT_TRUE(still_open(adopted));
	p.reset();
	EXPECT_FALSE(p.valid());
	EXPECT_TRUE(closed(adopted));
}

TEST_F(PipeHandle, CloseClosesOnceThenTheEmptyHandleSucceeds)
{
	EXPECT_OK(p.close());
	EXPECT_FALSE(p.valid());
	EXPECT_OK(p.close()) << "empty: nothing to do";
	EXPECT_TRUE(closed(theirs));
}

TEST_F(PipeHandle, UnownedViewNeverClosesIt)
{
	{
		const iuc::unowned<iuc::pipe_end> view(p.get());
		const iuc::unowned<iuc::pipe_end> copy = view;
		EXPECT_EQ(view->id(), p.id());
		EXPECT_EQ(copy->peer_id(), theirs);
		EXPECT_OK(copy->info());
	}
	EXPECT_TRUE(p.valid());
	EXPECT_TRUE(still_open(theirs));
}

// ---- segment -----------------------------------------------------------------------------

constexpr std::uint64_t kPageSeed[2] = {9, 10};

// Two pages of this process (patterns kPageSeed), each of which a test
// shares with the receiver.
class SegmentHandle : public SharingTest {
protected:
	// Share page @i (pattern kPageSeed[i]) with the receiver (@o: mutual,
	// read by default), which maps it: @m.
	iuc::segment share_page(int i, peer_data& m, const iuc::share_options& o = kRead)
	{
		iuc::segment seg;

		share(mem.bytes().subspan(i * pg, pg), kPageSeed[i], o, seg);
		if (seg)
			receive(seg, pg, o, m);
		return seg;
	}

	// Share both pages: a (page 0, mapped by the receiver as ma) and b
	// (page 1, mb).
	void share_both()
	{
		a = share_page(0, ma);
		b = share_page(1, mb);
		ASSERT_TRUE(a.valid() && b.valid());
		a_id = a.id();
		b_id = b.id();
	}

	static constexpr iuc::share_options kRead{.access = iuc::mem_access::read};
	const std::size_t pg = page_size();
	anon_memory mem{2 * page_size()};
	iuc::segment a, b;
	peer_data ma, mb;
	std::uint64_t a_id = 0, b_id = 0;
};

TEST_F(SegmentHandle, DestructorRevokesAMutualSegment)
{
	peer_data m;
	std::uint64_t id = 0;
	auto sees_page = [](const iuc::context& ctx, peer_data& d) -> peer_result {
		return holds(mapping_view(ctx, d)->bytes(), kPageSeed[0]);
	};
	// move assignment releases the mapping it replaces: MEM_UNMAP does
	// not know a revoked segment, so its dead range is munmapped
	auto drop_dead_range = [](const iuc::context& ctx, peer_data& d) -> peer_result {
		iuc::mapping mp(get_mapping(ctx, d));
		std::byte* start = mp.data();

		mp = iuc::mapping();
		PEER_CHECK(!mp.valid() && unmapped(start, d.v[2]));
		return ::testing::AssertionSuccess();
	};

	{
		iuc::segment seg = share_page(0, m);
		ASSERT_TRUE(seg.valid());
		id = seg.id();
		ASSERT_TRUE(receiver.run(sees_page, m));
	}
	ASSERT_NO_FATAL_FAILURE(expect_revoked(id));
	EXPECT_TRUE(receiver.run(drop_dead_range, m));
}

TEST_F(SegmentHandle, GetIsTheRawValueStillOwned)
{
	peer_data m;
	iuc::segment seg = share_page(1, m);
	const iuc::segment empty;

	ASSERT_TRUE(seg.valid());
	EXPECT_EQ(seg.get().id, seg.id());
	EXPECT_EQ(seg.get().mode, iuc::share_mode::mutual);
	EXPECT_EQ(seg.get().ctx->fd(), ctx.fd());
	EXPECT_EQ(empty.get().id, 0u);
}

TEST_F(SegmentHandle, ReleaseKeepsTheShareWithoutTheHandle)
{
	peer_data m;
	iuc::segment seg = share_page(1, m);
	auto still_shared = [](const iuc::context& ctx, peer_data& d) -> peer_result {
		const auto mp = mapping_view(ctx, d);

		PEER_TRUE(no_record(ctx));
		auto info = mp->info();
		PEER_OK(info);
		PEER_CHECK(info->receiver_addr == reinterpret_cast<std::uintptr_t>(mp->data()));
		PEER_TRUE(holds(mp->bytes(), kPageSeed[1]));
		return ::testing::AssertionSuccess();
	};

	ASSERT_TRUE(seg.valid());
	const std::uint64_t id = seg.id();
	{
		const iuc::raw_segment raw = seg.release();
		EXPECT_EQ(raw.id, id);
		EXPECT_EQ(raw.mode, iuc::share_mode::mutual);
		EXPECT_EQ(raw.ctx->fd(), ctx.fd());
	}			// nothing revoked
	EXPECT_FALSE(seg.valid());
	EXPECT_EQ(seg.id(), 0u);
	EXPECT_OK(iuc::mem_sharing_info(ctx, id)) << "still shared";
	EXPECT_TRUE(receiver.run(still_shared, m));
}

TEST_F(SegmentHandle, AdoptingTheReleasedValueAndClosingRevokesIt)
{
	peer_data m;
	iuc::segment seg = share_page(0, m);

	ASSERT_TRUE(seg.valid());
	const std::uint64_t id = seg.id();
	iuc::segment again(seg.release());
	EXPECT_EQ(again.id(), id);
	EXPECT_EQ(again.mode(), iuc::share_mode::mutual);
	EXPECT_OK(again.close());
	EXPECT_FALSE(again.valid());
	EXPECT_OK(again.close()) << "an empty handle closes nothing";
	EXPECT_ERR(iuc::mem_sharing_info(ctx, id), iuc::spec_error(IUC_E_MEMINFO_UNKNOWN_SEGMENT),
		   EBADF);
	expect_revoked(id);
}

TEST_F(SegmentHandle, ResetRevokesTheSegmentItHeldAndOwnsTheNewOne)
{
	ASSERT_NO_FATAL_FAILURE(share_both());
	a.reset(b.release());
	EXPECT_EQ(a.id(), b_id);
	ASSERT_NO_FATAL_FAILURE(expect_revoked(a_id));
	a.reset();
	EXPECT_FALSE(a.valid());
	expect_revoked(b_id);
}

TEST_F(SegmentHandle, MoveAssignmentRevokesTheSegmentItReplaces)
{
	ASSERT_NO_FATAL_FAILURE(share_both());
	a = std::move(b);
	EXPECT_FALSE(b.valid());
	EXPECT_EQ(a.id(), b_id);
	ASSERT_NO_FATAL_FAILURE(expect_revoked(a_id));
	EXPECT_OK(iuc::mem_sharing_info(ctx, b_id));
}

TEST_F(SegmentHandle, CloseLetsGoOfAnExclusiveSegmentWhichUnshareKeeps)
{
	peer_data m;
	iuc::segment seg = share_page(0, m, {.mode = iuc::share_mode::exclusive});
	auto still_received = [](const iuc::context& ctx, peer_data& d) -> peer_result {
		PEER_TRUE(no_record(ctx));
		PEER_OK(mapping_view(ctx, d)->info());
		PEER_TRUE(holds(mapping_view(ctx, d)->bytes(), kPageSeed[0]));
		return ::testing::AssertionSuccess();
	};

	ASSERT_TRUE(seg.valid());
	EXPECT_ERR(seg.unshare(), iuc::spec_error(IUC_E_UNSHARE_EXCLUSIVE), EPERM);
	EXPECT_TRUE(seg.valid());
	EXPECT_OK(seg.close());
	EXPECT_FALSE(seg.valid());
	EXPECT_TRUE(receiver.run(still_received, m)) << "the receiver's segment";
}

// ---- mapping (in the receiver) --------------------------------------------------------------

class MappingHandle : public SegmentHandle {};

TEST_F(MappingHandle, GetAndReleaseGiveTheRawValueAndAdoptingItUnmapsAgain)
{
	peer_data m;
	iuc::segment seg = share_page(0, m);
	auto release_and_adopt = [](const iuc::context& ctx, peer_data& d) -> peer_result {
		iuc::mapping mp(get_mapping(ctx, d));
		const std::byte* start = mp.data();

		PEER_CHECK(mp.get().data == start && mp.get().size == d.v[2]);
		PEER_CHECK(mp.get().id == d.v[0] && mp.get().ctx->fd() == ctx.fd());
		const iuc::raw_mapping raw = mp.release();
		PEER_CHECK(raw.id == d.v[0] && raw.data == start && raw.size == d.v[2]);
		PEER_CHECK(!mp.valid() && mp.id() == 0 && mp.data() == nullptr && mp.size() == 0);
		PEER_CHECK(!unmapped(start, raw.size));		// nothing released
		PEER_OK(iuc::mem_sharing_info(ctx, raw.id));
		{
			iuc::mapping again(raw);
			PEER_CHECK(again.data() == start);
		}		// MEM_UNMAP
		PEER_CHECK(unmapped(start, raw.size));
		PEER_ERR(iuc::mem_sharing_info(ctx, raw.id),
			 iuc::spec_error(IUC_E_MEMINFO_UNKNOWN_SEGMENT), EBADF);
		return ::testing::AssertionSuccess();
	};

	ASSERT_TRUE(seg.valid());
	EXPECT_TRUE(receiver.run(release_and_adopt, m));
}

TEST_F(MappingHandle, CloseUnmapsAndDropsTheSegment)
{
	peer_data m;
	iuc::segment seg = share_page(1, m);
	auto close_it = [](const iuc::context& ctx, peer_data& d) -> peer_result {
		iuc::mapping mp(get_mapping(ctx, d));

		PEER_OK(mp.close());
		PEER_CHECK(!mp.valid() && unmapped(reinterpret_cast<void*>(d.v[1]), d.v[2]));
		PEER_ERR(iuc::mem_sharing_info(ctx, d.v[0]),
			 iuc::spec_error(IUC_E_MEMINFO_UNKNOWN_SEGMENT), EBADF);
		PEER_OK(mp.close());	// empty: nothing to do
		return ::testing::AssertionSuccess();
	};

	ASSERT_TRUE(seg.valid());
	ASSERT_TRUE(receiver.run(close_it, m));
	EXPECT_ERR(seg.info(), iuc::spec_error(IUC_E_MEMINFO_UNKNOWN_SEGMENT), EBADF);
}

TEST_F(MappingHandle, ResetUnmapsTheMappingItHeldAndOwnsTheNewOne)
{
	auto reset_to_second = [](const iuc::context& ctx, peer_data& d) -> peer_result {
		const iuc::raw_mapping first = get_mapping(ctx, d, 0), second = get_mapping(ctx, d, 3);
		iuc::mapping mp(first);

		mp.reset(second);
		PEER_CHECK(unmapped(first.data, first.size));
		PEER_CHECK(mp.data() == second.data && !unmapped(second.data, second.size));
		PEER_TRUE(holds(mp.bytes(), kPageSeed[1]));
		mp.reset();
		PEER_CHECK(!mp.valid() && unmapped(second.data, second.size));
		return ::testing::AssertionSuccess();
	};

	ASSERT_NO_FATAL_FAILURE(share_both());
	ma.v[3] = mb.v[0];
	ma.v[4] = mb.v[1];
	ma.v[5] = mb.v[2];
	EXPECT_TRUE(receiver.run(reset_to_second, ma));
}

}  // namespace
}  // namespace iuc_test
