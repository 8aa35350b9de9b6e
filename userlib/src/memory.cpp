// SPDX-License-Identifier: GPL-2.0
#include "iuc/memory.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <limits>

#include "call.hpp"

namespace iuc {

result<sharing_info> mem_sharing_info(const context& ctx, std::uint64_t segment) noexcept
{
	iuc_mem_sharing_info a{};

	a.segment = segment;
	if (auto r = detail::call(ctx.fd(), IUC_IOC_MEM_SHARING_INFO, a); !r)
		return r.fail();
	return sharing_info{
		.sharer_pid = static_cast<pid_t>(a.sharer_pid),
		.receiver_pid = static_cast<pid_t>(a.receiver_pid),
		.sharer_addr = static_cast<std::uintptr_t>(a.sharer_addr),
		.receiver_addr = static_cast<std::uintptr_t>(a.receiver_addr),
		.length = a.length,
		.command = a.command,
		.mode = static_cast<share_mode>(a.mode),
		.access = static_cast<mem_access>(a.access),
	};
}

// ---- the sharer ----------------------------------------------------------

namespace {

// UNSHARE_MEM of @s (whatever its mode).
result<void> unshare_call(const raw_segment& s) noexcept
{
	iuc_unshare_mem a{};

	a.segment = s.id;
	return detail::call(s.ctx->fd(), IUC_IOC_UNSHARE_MEM, a);
}

}  // namespace

result<void> segment_traits::close(raw_segment s) noexcept
{
	if (s.mode != share_mode::mutual)
		return {};	// the receiver's: nothing to revoke
	return unshare_call(s);
}

result<sharing_info> segment::info() const noexcept
{
	return mem_sharing_info(*get().ctx, id());
}

result<void> segment::unshare() noexcept
{
	if (!valid())
		return {};
	auto r = unshare_call(get());
	if (!r && r.error() == spec_error(IUC_E_UNSHARE_EXCLUSIVE))
		return r;	// nothing happened: still ours, as it was
	(void)release();
	return r;
}

result<segment> share_mem(const context& ctx, pid_t target, std::span<std::byte> range,
			  const share_options& o) noexcept
{
	iuc_share_mem a{};

	a.target_pid = static_cast<std::uint64_t>(target);
	a.addr = reinterpret_cast<std::uintptr_t>(range.data());
	a.length = range.size();
	a.command = o.command;
	a.notify = o.notify ? IUC_NOTIFY : IUC_NOTIFY_SKIP;
	a.mode = static_cast<std::uint8_t>(o.mode);
	a.access = static_cast<std::uint8_t>(o.access);
	if (auto r = detail::call(ctx.fd(), IUC_IOC_SHARE_MEM, a); !r)
		return r.fail();
	return segment(ctx, a.segment, o.mode);
}

// ---- the receiver --------------------------------------------------------

result<std::span<std::byte>> map_arena(const context& ctx, std::size_t length) noexcept
{
	iuc_map_arena a{};

	a.length = length;
	if (auto r = detail::call(ctx.fd(), IUC_IOC_MAP_ARENA, a); !r)
		return r.fail();
	return std::span<std::byte>(reinterpret_cast<std::byte*>(a.addr), length);
}

result<mapping> mapping::adopt(const context& ctx, const iuc_signal& rec) noexcept
{
	const iuc_sig_recv_shared_mem& d = rec.data.recv_shared_mem;

	if (rec.code != IUC_SIG_RECV_SHARED_MEM || !rec.object)
		return failure::from_errno(EINVAL);
	if (d.start)
		return mapping(ctx, rec.object, reinterpret_cast<void*>(d.start),
			       static_cast<std::size_t>(d.length));
	// The kernel could not map it when the record was read: try again.
	int prot = d.mode == IUC_SHARE_EXCLUSIVE ? PROT_READ | PROT_WRITE
						 : mem_prot(static_cast<mem_access>(d.access));
	return map(ctx, rec.object, static_cast<std::size_t>(d.length), prot);
}

result<mapping> mapping::map(const context& ctx, std::uint64_t id, std::size_t length,
			     int prot) noexcept
{
	const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));

	if (!id || id > static_cast<std::uint64_t>(std::numeric_limits<off_t>::max()) / page)
		return failure::from_errno(EINVAL);
	void* p = ::mmap(nullptr, length, prot, MAP_SHARED, ctx.fd(),
			 static_cast<off_t>(id * page));
	if (p == MAP_FAILED)
		return failure::from_errno(errno);
	return mapping(ctx, id, p, length);
}

result<sharing_info> mapping::info() const noexcept
{
	return mem_sharing_info(*get().ctx, id());
}

result<void> mapping_traits::close(raw_mapping m) noexcept
{
	iuc_mem_unmap a{};

	a.segment = m.id;
	auto r = detail::call(m.ctx->fd(), IUC_IOC_MEM_UNMAP, a);
	if (!r && r.error() == spec_error(IUC_E_UNMAP_UNKNOWN_SEGMENT) && m.data && m.size) {
		// Revoked by its sharer: the segment is gone, the dead range
		// (whose accesses raise SIGBUS) is still mapped here.
		if (::munmap(m.data, m.size))
			return failure::from_errno(errno);
		return {};
	}
	return r;
}

}  // namespace iuc
