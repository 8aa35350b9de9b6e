// SPDX-License-Identifier: GPL-2.0
//
// Internal: issuing one IUC call.
#ifndef IUC_SRC_CALL_HPP
#define IUC_SRC_CALL_HPP

#include <sys/ioctl.h>

#include <cerrno>

#include "iuc/error.hpp"

namespace iuc::detail {

// Issue ioctl @cmd with argument struct @args (error preset to
// IUC_E_ARGS_UNREADABLE, so that an unread struct reads as such).
// Empty result on success.
template <class Args>
result<void> call(int fd, unsigned long cmd, Args& args) noexcept
{
	args.error = IUC_E_ARGS_UNREADABLE;
	if (::ioctl(fd, cmd, &args) == 0)
		return {};
	return failure::from_call(errno, args.error);
}

}  // namespace iuc::detail

#endif  // IUC_SRC_CALL_HPP
