// SPDX-License-Identifier: GPL-2.0
#include "iuc/pipe.hpp"

#include "call.hpp"

namespace iuc {

result<void> pipe_end::close() noexcept
{
	if (!id_)
		return {};
	iuc_close_pipe a{};

	a.id = release();
	return detail::call(fd_, IUC_IOC_CLOSE_PIPE, a);
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
