// SPDX-License-Identifier: GPL-2.0
//
// Shared memory through libiuc: iuc::share_mem() and the sharer's
// iuc::segment, the receiver's iuc::mapping (adopted from its
// RECV_SHARED_MEM record, or mapped by id), exclusive and mutual segments,
// revocation, iuc::mem_sharing_info().
//
// This process is the sharer; a peer (SharingTest::receiver) receives.
#include <unistd.h>

#include <cstring>
#include <string_view>
#include <utility>

#include "test_support.hpp"

namespace iuc_test {
namespace {

// ---- exclusive ------------------------------------------------------------------------

constexpr std::uint16_t kExclusiveCommand = 0x5106;
constexpr std::uint64_t kSharerSeed = 6, kReceiverSeed = 7;

// Four pages of pattern kSharerSeed shared exclusively with the receiver
// (seg); nobody mapped them yet.
class ExclusiveShare : public SharingTest {
protected:
	void SetUp() override
	{
		ASSERT_NO_FATAL_FAILURE(SharingTest::SetUp());
		ASSERT_NO_FATAL_FAILURE(share(mem.bytes(), kSharerSeed, options, seg));
	}

	const std::size_t len = 4 * page_size();
	const iuc::share_options options{.mode = iuc::share_mode::exclusive,
					 .command = kExclusiveCommand};
	anon_memory mem{len};
	iuc::segment seg;
};

TEST_F(ExclusiveShare, SegmentHandleNamesAnExclusiveSegment)
{
	EXPECT_TRUE(seg.valid());
	EXPECT_NE(seg.id(), 0u);
	EXPECT_EQ(seg.mode(), iuc::share_mode::exclusive);
}

TEST_F(ExclusiveShare, ThePagesLeaveTheSharer)
{
	EXPECT_TRUE(unmapped(mem.data(), len));
}

TEST_F(ExclusiveShare, SharerInfoBeforeTheReceiverMapsIt)
{
	auto info = seg.info();

	ASSERT_OK(info);
	EXPECT_EQ(info->sharer_pid, ::getpid());
	EXPECT_EQ(info->receiver_pid, receiver.pid());
	EXPECT_EQ(info->sharer_addr, 0u) << "the sharer has no mapping";
	EXPECT_EQ(info->receiver_addr, 0u) << "not mapped yet";
	EXPECT_EQ(info->length, len);
	EXPECT_EQ(info->command, kExclusiveCommand);
	EXPECT_EQ(info->mode, iuc::share_mode::exclusive);
	EXPECT_EQ(info->access, iuc::mem_access::none);
}

TEST_F(ExclusiveShare, ReceiverGetsThePagesAndMayWriteThem)
{
	peer_data m;
	auto use = [](const iuc::context& ctx, peer_data& d) -> peer_result {
		const auto mp = mapping_view(ctx, d);

		PEER_TRUE(holds(mp->bytes(), kSharerSeed));
		fill(mp->bytes(), kReceiverSeed);	// ours to write
		PEER_TRUE(holds(mp->bytes(), kReceiverSeed));
		return ::testing::AssertionSuccess();
	};

	ASSERT_NO_FATAL_FAILURE(receive(seg, len, options, m));
	EXPECT_TRUE(receiver.run(use, m));
}

TEST_F(ExclusiveShare, ReceiverInfoShowsItsOwnAddressOnly)
{
	peer_data m;
	auto info_of = [](const iuc::context& ctx, peer_data& d) -> peer_result {
		const auto mp = mapping_view(ctx, d);
		auto info = mp->info();

		PEER_OK(info);
		PEER_CHECK(info->sharer_pid == ::getppid() && info->receiver_pid == ::getpid());
		PEER_CHECK(info->receiver_addr == reinterpret_cast<std::uintptr_t>(mp->data()));
		PEER_CHECK(info->sharer_addr == 0);
		PEER_CHECK(info->length == mp->size() && info->command == kExclusiveCommand);
		PEER_CHECK(info->mode == iuc::share_mode::exclusive);
		PEER_OK(iuc::mem_sharing_info(ctx, mp->id()));
		return ::testing::AssertionSuccess();
	};

	ASSERT_NO_FATAL_FAILURE(receive(seg, len, options, m));
	EXPECT_TRUE(receiver.run(info_of, m));
}

TEST_F(ExclusiveShare, CannotBeRevokedAndTheHandleStays)
{
	EXPECT_ERR(seg.unshare(), iuc::spec_error(IUC_E_UNSHARE_EXCLUSIVE), EPERM);
	EXPECT_TRUE(seg.valid());
	EXPECT_OK(seg.info());
}

TEST_F(ExclusiveShare, TheReceiversMappingGoingDropsTheSegment)
{
	peer_data m;
	auto drop = [](const iuc::context& ctx, peer_data& d) -> peer_result {
		const iuc::raw_mapping raw = get_mapping(ctx, d);

		{
			iuc::mapping mp(raw);
		}			// MEM_UNMAP
		PEER_CHECK(unmapped(raw.data, raw.size));
		PEER_ERR(iuc::mem_sharing_info(ctx, raw.id),
			 iuc::spec_error(IUC_E_MEMINFO_UNKNOWN_SEGMENT), EBADF);
		return ::testing::AssertionSuccess();
	};

	ASSERT_NO_FATAL_FAILURE(receive(seg, len, options, m));
	ASSERT_TRUE(receiver.run(drop, m));
	EXPECT_ERR(seg.info(), iuc::spec_error(IUC_E_MEMINFO_UNKNOWN_SEGMENT), EBADF);
}

// ---- the arena ------------------------------------------------------------------------------

constexpr std::uint64_t kArenaSeed = 9;

// The receiver maps an arena of eight pages (at arena) before two pages
// (mem) are shared exclusively with it.
class ArenaShare : public SharingTest {
protected:
	void SetUp() override
	{
		ASSERT_NO_FATAL_FAILURE(SharingTest::SetUp());
		auto map = [](const iuc::context& ctx, peer_data& d) -> peer_result {
			auto a = iuc::map_arena(ctx, d.v[0]);

			PEER_OK(a);
			PEER_CHECK(a->size() == d.v[0] && a->data() != nullptr);
			PEER_ERR(iuc::map_arena(ctx, d.v[0]),
				 iuc::spec_error(IUC_E_ARENA_EXISTS), EEXIST);
			PEER_ERR(iuc::map_arena(ctx, 0),
				 iuc::spec_error(IUC_E_ARENA_BAD_LENGTH), EINVAL);
			d.v[1] = reinterpret_cast<std::uintptr_t>(a->data());
			return ::testing::AssertionSuccess();
		};
		peer_data d{.v = {8 * page_size()}};

		ASSERT_TRUE(receiver.run(map, d));
		arena = d.v[1];
	}

	// The receiver's mapping @m is at @at of the arena, holds @seed, and
	// goes (MEM_UNMAP), which frees its place.
	void expect_placed(peer_data& m, std::size_t at, std::uint64_t seed)
	{
		auto check = [](const iuc::context& ctx, peer_data& d) -> peer_result {
			{
				iuc::mapping mp(get_mapping(ctx, d));

				PEER_CHECK(reinterpret_cast<std::uintptr_t>(mp.data()) == d.v[3]);
				PEER_TRUE(holds(mp.bytes(), d.v[4]));
				fill(mp.bytes(), d.v[4] + 1);	// ours to write
			}		// MEM_UNMAP
			PEER_ERR(iuc::mem_sharing_info(ctx, d.v[0]),
				 iuc::spec_error(IUC_E_MEMINFO_UNKNOWN_SEGMENT), EBADF);
			return ::testing::AssertionSuccess();
		};

		m.v[3] = arena + at;
		m.v[4] = seed;
		EXPECT_TRUE(receiver.run(check, m));
	}

	const std::size_t len = 2 * page_size();
	const iuc::share_options options{.mode = iuc::share_mode::exclusive};
	std::uintptr_t arena = 0;
};

TEST_F(ArenaShare, ExclusiveSegmentsArePlacedInTheArenaAndTheirPlaceReused)
{
	anon_memory first{len}, second{len};
	iuc::segment s1, s2;
	peer_data m1, m2;

	ASSERT_NO_FATAL_FAILURE(share(first.bytes(), kArenaSeed, options, s1));
	ASSERT_NO_FATAL_FAILURE(receive(s1, len, options, m1));
	EXPECT_TRUE(unmapped(first.data(), len));
	expect_placed(m1, 0, kArenaSeed);

	ASSERT_NO_FATAL_FAILURE(share(second.bytes(), kArenaSeed + 2, options, s2));
	ASSERT_NO_FATAL_FAILURE(receive(s2, len, options, m2));
	expect_placed(m2, 0, kArenaSeed + 2);
}

TEST_F(ArenaShare, MutualSegmentsAreMappedOnTheirOwn)
{
	const iuc::share_options mutual{.access = iuc::mem_access::read};
	auto outside = [](const iuc::context& ctx, peer_data& d) -> peer_result {
		const auto mp = mapping_view(ctx, d);
		const auto at = reinterpret_cast<std::uintptr_t>(mp->data());

		PEER_CHECK(at + mp->size() <= d.v[3] || at >= d.v[3] + d.v[4]);
		return ::testing::AssertionSuccess();
	};
	anon_memory mem{len};
	iuc::segment seg;
	peer_data m;

	ASSERT_NO_FATAL_FAILURE(share(mem.bytes(), kArenaSeed, mutual, seg));
	ASSERT_NO_FATAL_FAILURE(receive(seg, len, mutual, m));
	m.v[3] = arena;
	m.v[4] = 8 * page_size();
	EXPECT_TRUE(receiver.run(outside, m));
}

// ---- mutual -------------------------------------------------------------------------------

constexpr std::uint64_t kMutualSeed = 8;
constexpr std::string_view kFromReceiver = "written by the receiver";
constexpr std::string_view kFromSharer = "written by the sharer";
constexpr std::size_t kReceiverAt = 100;

// Two pages of pattern kMutualSeed shared mutually, read and write, with
// the receiver, which mapped them (m).
class MutualShare : public SharingTest {
protected:
	void SetUp() override
	{
		ASSERT_NO_FATAL_FAILURE(SharingTest::SetUp());
		ASSERT_NO_FATAL_FAILURE(share(mem.bytes(), kMutualSeed, options, seg));
		ASSERT_NO_FATAL_FAILURE(receive(seg, len, options, m));
	}

	const std::size_t len = 2 * page_size();
	const iuc::share_options options{.access = iuc::mem_access::read | iuc::mem_access::write};
	anon_memory mem{len};
	iuc::segment seg;
	peer_data m;
};

TEST_F(MutualShare, BothSidesSeeTheSamePages)
{
	const std::size_t sharer_at = len - 200;
	auto receiver_writes = [](const iuc::context& ctx, peer_data& d) -> peer_result {
		const auto mp = mapping_view(ctx, d);

		PEER_TRUE(holds(mp->bytes(), kMutualSeed));
		std::memcpy(mp->data() + kReceiverAt, kFromReceiver.data(), kFromReceiver.size());
		return ::testing::AssertionSuccess();
	};
	auto receiver_reads = [](const iuc::context& ctx, peer_data& d) -> peer_result {
		const auto mp = mapping_view(ctx, d);

		PEER_CHECK(text_of(mp->bytes().subspan(d.v[3], kFromSharer.size())) == kFromSharer);
		return ::testing::AssertionSuccess();
	};

	EXPECT_EQ(seg.mode(), iuc::share_mode::mutual);
	ASSERT_TRUE(receiver.run(receiver_writes, m));
	EXPECT_EQ(text_of(mem.bytes().subspan(kReceiverAt, kFromReceiver.size())), kFromReceiver);
	std::memcpy(mem.data() + sharer_at, kFromSharer.data(), kFromSharer.size());
	m.v[3] = sharer_at;
	EXPECT_TRUE(receiver.run(receiver_reads, m));
}

TEST_F(MutualShare, InfoShowsEachSideItsOwnAddress)
{
	auto info_of = [](const iuc::context& ctx, peer_data& d) -> peer_result {
		const auto mp = mapping_view(ctx, d);
		auto info = mp->info();

		PEER_OK(info);
		PEER_CHECK(info->sharer_pid == ::getppid());
		PEER_CHECK(info->mode == iuc::share_mode::mutual);
		PEER_CHECK(info->access == (iuc::mem_access::read | iuc::mem_access::write));
		PEER_CHECK(info->receiver_addr == reinterpret_cast<std::uintptr_t>(mp->data()));
		PEER_CHECK(info->sharer_addr == 0);
		return ::testing::AssertionSuccess();
	};

	auto info = seg.info();
	ASSERT_OK(info);
	EXPECT_EQ(info->sharer_addr, reinterpret_cast<std::uintptr_t>(mem.data()));
	EXPECT_EQ(info->receiver_addr, 0u);
	EXPECT_EQ(info->mode, iuc::share_mode::mutual);
	EXPECT_TRUE(receiver.run(info_of, m));
}

TEST_F(MutualShare, UnshareRevokesItAndEmptiesTheHandle)
{
	const std::uint64_t id = seg.id();
	auto dead_range = [](const iuc::context& ctx, peer_data& d) -> peer_result {
		iuc::mapping mp(get_mapping(ctx, d));
		std::byte* start = mp.data();

		PEER_ERR(mp.info(), iuc::spec_error(IUC_E_MEMINFO_UNKNOWN_SEGMENT), EBADF);
		PEER_CHECK(!unmapped(start, mp.size()));	// the dead range is still there
		PEER_OK(mp.unmap());
		PEER_CHECK(!mp.valid() && unmapped(start, d.v[2]));
		return ::testing::AssertionSuccess();
	};

	ASSERT_OK(seg.unshare());
	EXPECT_FALSE(seg.valid());
	EXPECT_OK(seg.unshare()) << "empty: nothing to do";
	EXPECT_ERR(iuc::mem_sharing_info(ctx, id), iuc::spec_error(IUC_E_MEMINFO_UNKNOWN_SEGMENT),
		   EBADF);
	EXPECT_TRUE(holds(mem.bytes(), kMutualSeed)) << "still the sharer's memory";
	ASSERT_NO_FATAL_FAILURE(expect_revoked(id));
	EXPECT_TRUE(receiver.run(dead_range, m));
}

// ---- mapping by id ----------------------------------------------------------------------

constexpr std::uint64_t kByIdSeed = 11;

// Three pages of pattern kByIdSeed shared mutually, read only, with the
// receiver, without notifying it.
class MapById : public SharingTest {
protected:
	void SetUp() override
	{
		ASSERT_NO_FATAL_FAILURE(SharingTest::SetUp());
		ASSERT_NO_FATAL_FAILURE(share(mem.bytes(), kByIdSeed,
					      {.access = iuc::mem_access::read, .notify = false}, seg));
		d = peer_data{.v = {seg.id(), len}};
	}

	const std::size_t len = 3 * page_size();
	anon_memory mem{len};
	iuc::segment seg;
	peer_data d;
};

TEST_F(MapById, SkippedNotificationLeavesNoRecord)
{
	auto none = [](const iuc::context& ctx, peer_data&) -> peer_result {
		return no_record(ctx);
	};

	EXPECT_TRUE(receiver.run(none));
}

TEST_F(MapById, MapTakesNoMoreThanTheSegmentsAccessAndAllOfIt)
{
	auto refused = [](const iuc::context& ctx, peer_data& d) -> peer_result {
		PEER_ERR(iuc::mapping::map(ctx, d.v[0], d.v[1]), iuc::errc::system, EACCES);
		PEER_ERR(iuc::mapping::map(ctx, d.v[0], d.v[1] - page_size(), PROT_READ),
			 iuc::errc::invalid_arg, EINVAL);
		return ::testing::AssertionSuccess();
	};

	EXPECT_TRUE(receiver.run(refused, d));
}

// Run in the receiver: map segment v[0] of v[1] bytes, read only, by its
// id.  The mapping stays (put_mapping).
peer_result map_by_id(const iuc::context& ctx, peer_data& d)
{
	auto mp = iuc::mapping::map(ctx, d.v[0], d.v[1], PROT_READ);

	PEER_OK(mp);
	PEER_CHECK(mp->id() == d.v[0] && mp->size() == d.v[1]);
	put_mapping(d, mp->release());
	return ::testing::AssertionSuccess();
}

TEST_F(MapById, MapsTheWholeSegment)
{
	auto sees_it = [](const iuc::context& ctx, peer_data& d) -> peer_result {
		const auto mp = mapping_view(ctx, d);
		auto info = mp->info();

		PEER_TRUE(holds(mp->bytes(), kByIdSeed));
		PEER_OK(info);
		PEER_CHECK(info->sharer_pid == ::getppid() && info->receiver_pid == ::getpid());
		PEER_CHECK(info->receiver_addr == reinterpret_cast<std::uintptr_t>(mp->data()));
		PEER_CHECK(info->access == iuc::mem_access::read);
		PEER_CHECK(info->mode == iuc::share_mode::mutual);
		return ::testing::AssertionSuccess();
	};

	ASSERT_TRUE(receiver.run(map_by_id, d));
	EXPECT_TRUE(receiver.run(sees_it, d));
}

TEST_F(MapById, MovedMappingDropsTheSegmentWhenItsNewOwnerGoes)
{
	auto move_it = [](const iuc::context& ctx, peer_data& d) -> peer_result {
		iuc::mapping mp(get_mapping(ctx, d));
		std::byte* start = mp.data();

		{
			iuc::mapping moved = std::move(mp);
			PEER_CHECK(!mp.valid() && moved.valid() && moved.data() == start);
		}		// MEM_UNMAP
		PEER_CHECK(unmapped(start, d.v[2]));
		PEER_ERR(iuc::mem_sharing_info(ctx, d.v[0]),
			 iuc::spec_error(IUC_E_MEMINFO_UNKNOWN_SEGMENT), EBADF);
		return ::testing::AssertionSuccess();
	};

	ASSERT_TRUE(receiver.run(map_by_id, d));
	ASSERT_TRUE(receiver.run(move_it, d));
	// the receiver dropped it: unknown to its sharer too
	EXPECT_ERR(seg.info(), iuc::spec_error(IUC_E_MEMINFO_UNKNOWN_SEGMENT), EBADF);
	EXPECT_ERR(seg.unshare(), iuc::spec_error(IUC_E_UNSHARE_UNKNOWN_SEGMENT), EBADF);
	EXPECT_FALSE(seg.valid());
}

}  // namespace
}  // namespace iuc_test
