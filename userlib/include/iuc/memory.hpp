// SPDX-License-Identifier: GPL-2.0
//
// iuc/memory.hpp - shared memory segments.
//
// Two handles, one per side of a segment.  Both are iuc::handles
// (handle.hpp): move-only; the destructor, reset() and close() release
// what they own, release() hands their raw value over without releasing.
//
//  * iuc::segment, the sharer's: made by iuc::share_mem(); its raw value is
//    an iuc::raw_segment (context, id, mode).  For a mutual segment the
//    destructor revokes the share (UNSHARE_MEM: the receiver's accesses
//    raise SIGBUS from then on and it gets UNSHARED_MEM); unshare() does it
//    explicitly, release() keeps the share alive without the handle.  An
//    exclusive segment is the receiver's alone: its handle only names it
//    (info()); the destructor does nothing.  The sharer's memory itself is
//    never owned by a segment: it stays the caller's (mutual) or is
//    unmapped by the kernel (exclusive).
//
//  * iuc::mapping, the receiver's: the segment mapped in its address space;
//    its raw value is an iuc::raw_mapping (context, id, address, length).
//    Adopt the mapping the kernel made when the RECV_SHARED_MEM record was
//    read (mapping::adopt()), or map the segment by its id (mapping::map(),
//    mmap(2) of the /dev/iuc fd at offset id * page size, when the sharer
//    skipped the notification).  The destructor and unmap() drop the
//    segment (MEM_UNMAP, which also munmaps every mapping of it); a
//    revoked segment (UNSHARED_MEM) is unknown to MEM_UNMAP, so then the
//    dead range is munmapped directly.  release() keeps the mapping and the
//    segment without the handle.  Keep one mapping per segment: MEM_UNMAP
//    takes every mapping of it away at once.
//
//  * iuc::map_arena() (IUC extension, MAP_ARENA): a receiver maps once an
//    arena where the kernel places the exclusive segments it receives;
//    their records then carry addresses inside it, adopted as any other,
//    and a mapping's MEM_UNMAP gives its place in the arena back.  Small
//    hand-offs then cost no mmap(2) and munmap(2) each.
//
// Both hold an iuc::unowned_context, not the context: they must not
// outlive it.
//
//     // sharer
//     void* p = mmap(nullptr, n, PROT_READ | PROT_WRITE,
//                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
//     auto seg = iuc::share_mem(ctx, pid, {static_cast<std::byte*>(p), n},
//                               {.mode = iuc::share_mode::mutual,
//                                .access = iuc::mem_access::read});
//     // receiver, on the RECV_SHARED_MEM record @rec
//     auto m = iuc::mapping::adopt(ctx, rec);
//     if (m) use(m->bytes());
#ifndef IUC_MEMORY_HPP
#define IUC_MEMORY_HPP

#include <sys/mman.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <span>

#include "iuc/context.hpp"
#include "iuc/error.hpp"
#include "iuc/handle.hpp"

namespace iuc {

enum class share_mode : std::uint8_t {
	mutual = IUC_SHARE_MUTUAL,	 // both see the pages; revocable
	exclusive = IUC_SHARE_EXCLUSIVE, // the pages move to the receiver
};

// The receiver's access to a mutual segment (bits; none for exclusive).
enum class mem_access : std::uint8_t {
	none = 0,
	read = IUC_ACCESS_READ,
	write = IUC_ACCESS_WRITE,
	exec = IUC_ACCESS_EXEC,
};

constexpr mem_access operator|(mem_access a, mem_access b) noexcept
{
	return static_cast<mem_access>(static_cast<std::uint8_t>(a) | static_cast<std::uint8_t>(b));
}

constexpr mem_access operator&(mem_access a, mem_access b) noexcept
{
	return static_cast<mem_access>(static_cast<std::uint8_t>(a) & static_cast<std::uint8_t>(b));
}

// The mmap(2) protection that @access allows (PROT_NONE for none).
constexpr int mem_prot(mem_access access) noexcept
{
	return ((access & mem_access::read) != mem_access::none ? PROT_READ : 0) |
	       ((access & mem_access::write) != mem_access::none ? PROT_WRITE : 0) |
	       ((access & mem_access::exec) != mem_access::none ? PROT_EXEC : 0);
}

// Arguments of SHARE_MEM besides the target and the range.  A mutual share
// needs some access (else IUC_E_SHARE_MUTUAL_NO_ACCESS), an exclusive one
// none (else IUC_E_SHARE_EXCLUSIVE_ACCESS): the receiver of an exclusive
// segment may read and write it.
struct share_options {
	share_mode mode = share_mode::mutual;
	mem_access access = mem_access::none;
	bool notify = true;		// send RECV_SHARED_MEM to the target
	std::uint16_t command = 0;
};

// The answer of MEM_SHARING_INFO.  Addresses are 0 where that side has no
// mapping (the sharer of an exclusive segment, a receiver that has not
// mapped it or whose segment was revoked).
struct sharing_info {
	pid_t sharer_pid = 0;
	pid_t receiver_pid = 0;
	std::uintptr_t sharer_addr = 0;
	std::uintptr_t receiver_addr = 0;
	std::uint64_t length = 0;
	std::uint16_t command = 0;
	share_mode mode = share_mode::mutual;
	mem_access access = mem_access::none;
};

// MEM_SHARING_INFO of segment @segment (the caller is its sharer or its
// receiver; else, or once it is gone, IUC_E_MEMINFO_UNKNOWN_SEGMENT).
result<sharing_info> mem_sharing_info(const context& ctx, std::uint64_t segment) noexcept;

// The raw value of a segment.
struct raw_segment {
	unowned_context ctx;		// the sharer's context
	std::uint64_t id = 0;		// 0: none
	share_mode mode = share_mode::mutual;
};

// A segment is released by revoking it (UNSHARE_MEM) if it is mutual; an
// exclusive one is the receiver's, so releasing its handle does nothing.
struct segment_traits : id_traits<raw_segment> {
	static result<void> close(raw_segment s) noexcept;
};

// The sharer's handle of a segment.
class segment : public handle<segment_traits> {
public:
	// segment() is empty; segment(raw) adopts what release() gave.
	using handle::handle;
	// Adopt segment @id, shared by the context @ctx in mode @mode.
	segment(unowned_context ctx, std::uint64_t id, share_mode mode) noexcept
		: handle(raw_segment{std::move(ctx), id, mode}) {}

	// The segment id (0: empty).
	std::uint64_t id() const noexcept { return get().id; }
	share_mode mode() const noexcept { return get().mode; }

	// MEM_SHARING_INFO.
	result<sharing_info> info() const noexcept;
	// UNSHARE_MEM: revoke a mutual segment; empty afterwards whatever
	// the result (IUC_E_UNSHARE_UNKNOWN_SEGMENT: the receiver dropped it
	// already).  An exclusive segment cannot be revoked: that fails with
	// IUC_E_UNSHARE_EXCLUSIVE and leaves the handle as it was (close()
	// instead lets go of an exclusive segment's handle and succeeds).  An
	// empty segment unshares nothing and succeeds.
	result<void> unshare() noexcept;
};
static_assert(sizeof(segment) == sizeof(handle<segment_traits>));

// SHARE_MEM: share @range of the caller's memory (private anonymous,
// page-aligned, a whole number of pages) with process @target.
// Exclusive: the range is unmapped from the caller before this returns.
result<segment> share_mem(const context& ctx, pid_t target, std::span<std::byte> range,
			  const share_options& options = {}) noexcept;

// MAP_ARENA (IUC extension): map an arena of @length bytes (a whole number
// of pages, at most IUC_ARENA_MAX_LENGTH, else IUC_E_ARENA_BAD_LENGTH) in
// the caller's address space, for the exclusive segments its context
// receives from now on.  One per context (IUC_E_ARENA_EXISTS), for the
// context's life; it stays mapped (empty) after the context ends, and is
// the caller's to munmap then.  IUC_E_ARENA_NO_ROOM: no room for it.
result<std::span<std::byte>> map_arena(const context& ctx, std::size_t length) noexcept;

// The raw value of a mapping.
struct raw_mapping {
	unowned_context ctx;		// the receiver's context
	std::uint64_t id = 0;		// the segment, 0: none
	std::byte* data = nullptr;	// where it is mapped (nullptr: not mapped)
	std::size_t size = 0;
};

// A mapping is released with MEM_UNMAP (or munmap(2) once revoked).
struct mapping_traits : id_traits<raw_mapping> {
	static result<void> close(raw_mapping m) noexcept;
};

// The receiver's mapping of a segment.
class mapping : public handle<mapping_traits> {
public:
	// mapping() is empty; mapping(raw) adopts what release() gave.
	using handle::handle;
	// Adopt segment @id of the context @ctx, mapped at [@data, +@size).
	// (With nullptr, 0: a received segment not mapped, e.g. to drop it
	// with unmap().)
	mapping(unowned_context ctx, std::uint64_t id, void* data, std::size_t size) noexcept
		: handle(raw_mapping{std::move(ctx), id, static_cast<std::byte*>(data), size}) {}

	// The mapping the kernel made for the RECV_SHARED_MEM record @rec
	// (read from @ctx); if it could not make one (start 0), map() it with
	// the access the record gives.  errc::invalid_arg for another record.
	static result<mapping> adopt(const context& ctx, const iuc_signal& rec) noexcept;
	// mmap(2) segment @id, received by @ctx, whole (@length bytes) with
	// protection @prot (no more than the segment's access).  Failures are
	// mmap's errno: ENXIO unknown or revoked segment, EACCES not the
	// receiver or too much access, EINVAL wrong length (errc::invalid_arg).
	static result<mapping> map(const context& ctx, std::uint64_t id, std::size_t length,
				   int prot = PROT_READ | PROT_WRITE) noexcept;

	// The segment id (0: empty).
	std::uint64_t id() const noexcept { return get().id; }
	std::byte* data() const noexcept { return get().data; }
	std::size_t size() const noexcept { return get().size; }
	std::span<std::byte> bytes() const noexcept { return {data(), size()}; }

	// MEM_SHARING_INFO.
	result<sharing_info> info() const noexcept;
	// MEM_UNMAP: drop the segment and unmap it (the same as close()).  A
	// revoked segment (IUC_E_UNMAP_UNKNOWN_SEGMENT) is munmapped
	// directly and counts as success.  Empty afterwards whatever the
	// result.
	result<void> unmap() noexcept { return close(); }
};
static_assert(sizeof(mapping) == sizeof(handle<mapping_traits>));

}  // namespace iuc

#endif  // IUC_MEMORY_HPP
