// SPDX-License-Identifier: GPL-2.0
#include "iuc/pipe.hpp"

#include <cerrno>
#include <cstdint>
#include <limits>

#include "call.hpp"

namespace iuc {

namespace {

io_failure io_fail(const failure& f, std::uint64_t result, std::uint64_t transferred) noexcept
{
	io_failure out;

	static_cast<failure&>(out) = f;
	out.result = result;
	out.transferred = transferred;
	return out;
}

}  // namespace

io_outcome pipe_end::write(std::span<const std::byte> data, io_mode mode) const noexcept
{
	iuc_pipe_write a{};

	a.id = id();
	a.count = data.size();
	a.buf = reinterpret_cast<std::uintptr_t>(data.data());
	a.mode = static_cast<std::uint8_t>(mode);
	if (auto r = detail::call(get().ctx->fd(), IUC_IOC_PIPE_WRITE, a); !r)
		return io_fail(r.fail(), a.result, a.transferred);
	return io_result{a.result, a.transferred};
}

io_outcome pipe_end::read(std::span<std::byte> buf, io_mode mode) const noexcept
{
	iuc_pipe_read a{};

	if (buf.empty())
		return io_fail(failure::from_errno(EINVAL), 0, 0);
	a.id = id();
	a.buf = reinterpret_cast<std::uintptr_t>(buf.data());
	a.count = buf.size() > std::numeric_limits<std::uint32_t>::max()
			  ? std::numeric_limits<std::uint32_t>::max()
			  : static_cast<std::uint32_t>(buf.size());
	a.mode = static_cast<std::uint8_t>(mode);
	if (auto r = detail::call(get().ctx->fd(), IUC_IOC_PIPE_READ, a); !r)
		return io_fail(r.fail(), a.result, a.transferred);
	return io_result{a.result, a.transferred};
}

result<pipe_info> pipe_end::info() const noexcept
{
	iuc_pipe_info a{};

	a.id = id();
	if (auto r = detail::call(get().ctx->fd(), IUC_IOC_PIPE_INFO, a); !r)
		return r.fail();
	return pipe_info{a.status, a.capacity, a.room, static_cast<pid_t>(a.creator_pid)};
}

result<std::uint64_t> pipe_end::send(pid_t target, bool notify) noexcept
{
	iuc_send_pipe a{};

	a.id = id();
	a.target_pid = static_cast<std::uint64_t>(target);
	a.notify = notify ? IUC_NOTIFY : IUC_NOTIFY_SKIP;
	if (auto r = detail::call(get().ctx->fd(), IUC_IOC_SEND_PIPE, a); !r)
		return r.fail();
	// The identifier is unknown here now: nothing to close.
	(void)release();
	return std::uint64_t{a.peer_id};
}

result<void> pipe_end_traits::close(raw_pipe_end p) noexcept
{
	iuc_close_pipe a{};

	a.id = p.id;
	return detail::call(p.ctx->fd(), IUC_IOC_CLOSE_PIPE, a);
}

result<pipe_end> open_pipe(const context& ctx, pid_t target, const pipe_options& o) noexcept
{
	iuc_open_pipe a{};

	a.target_pid = static_cast<std::uint64_t>(target);
	a.size_hint = o.size_hint;
	a.command = o.command;
	a.type = static_cast<std::uint8_t>(o.type);
	a.multiplier = o.multiplier;
	a.mode = static_cast<std::uint8_t>(o.mode);
	a.notify = o.notify ? IUC_NOTIFY : IUC_NOTIFY_SKIP;
	if (auto r = detail::call(ctx.fd(), IUC_IOC_OPEN_PIPE, a); !r)
		return r.fail();
	return pipe_end(ctx, a.id, a.peer_id);
}

}  // namespace iuc

namespace iuc {

namespace {

call_failure call_fail(const failure& f, const iuc_pipe_call& a) noexcept
{
	call_failure out;

	static_cast<failure&>(out) = f;
	out.stage = static_cast<call_stage>(a.stage);
	out.written = a.written;
	out.result = a.result;
	out.transferred = a.transferred;
	return out;
}

}  // namespace

result<std::size_t, call_failure> call(const pipe_end& sc, std::span<const std::byte> request,
				       const pipe_end& rc, std::span<std::byte> response) noexcept
{
	iuc_pipe_call a{};
	const int fd = rc.get().ctx->fd();

	if (response.empty() || (!request.empty() && sc.get().ctx->fd() != fd))
		return call_fail(failure::from_errno(EINVAL), a);
	a.sc = request.empty() ? 0 : sc.id();
	a.wbuf = reinterpret_cast<std::uintptr_t>(request.data());
	a.wcount = request.size();
	a.rc = rc.id();
	a.rbuf = reinterpret_cast<std::uintptr_t>(response.data());
	a.rcount = response.size() > std::numeric_limits<std::uint32_t>::max()
			   ? std::numeric_limits<std::uint32_t>::max()
			   : static_cast<std::uint32_t>(response.size());
	if (auto r = detail::call(fd, IUC_IOC_PIPE_CALL, a); !r)
		return call_fail(r.fail(), a);
	return static_cast<std::size_t>(a.transferred);
}

}  // namespace iuc
