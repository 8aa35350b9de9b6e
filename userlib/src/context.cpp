// SPDX-License-Identifier: GPL-2.0
#include "iuc/context.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>

#include "call.hpp"

namespace iuc {

result<context> context::open() noexcept
{
	int fd = ::open("/dev/iuc", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return failure::from_errno(errno);
	return context(fd);
}

result<void> context_traits::close(int fd) noexcept
{
	if (::close(fd))
		return failure::from_errno(errno);
	return {};
}

result<void> context::handle_signal(std::uint8_t code, int rt_signal) const noexcept
{
	iuc_handle_signal a{};

	a.code = code;
	a.rt_signal = static_cast<std::uint32_t>(rt_signal);
	return detail::call(fd(), IUC_IOC_HANDLE_SIGNAL, a);
}

result<void> context::unhandle_signal(std::uint8_t code) const noexcept
{
	iuc_unhandle_signal a{};

	a.code = code;
	return detail::call(fd(), IUC_IOC_UNHANDLE_SIGNAL, a);
}

result<signal_handling> context::is_signal_handled(std::uint8_t code) const noexcept
{
	iuc_is_signal_handled a{};

	a.code = code;
	if (auto r = detail::call(fd(), IUC_IOC_IS_SIGNAL_HANDLED, a); !r)
		return r.fail();
	return signal_handling{a.handled != 0, a.handled ? static_cast<int>(a.rt_signal) : 0};
}

result<void> context::ready() const noexcept
{
	iuc_ready a{};

	return detail::call(fd(), IUC_IOC_READY, a);
}

namespace {

// Wait up to @timeout_ms (-1: forever) for POLLIN: true if readable.
result<bool> wait_readable(int fd, int timeout_ms) noexcept
{
	pollfd p{fd, POLLIN, 0};
	int n = ::poll(&p, 1, timeout_ms);

	if (n < 0)
		return failure::from_errno(errno);
	if (n == 0)
		return false;
	if (p.revents & (POLLERR | POLLNVAL))
		// Not our context (POLLERR) or not an fd: let read() say why.
		return true;
	return (p.revents & POLLIN) != 0;
}

// read(2) whole records; EAGAIN (O_NONBLOCK fd, nothing there) counts 0.
result<std::size_t> read_records(int fd, std::span<iuc_signal> out) noexcept
{
	ssize_t n = ::read(fd, out.data(), out.size_bytes());

	if (n < 0) {
		if (errno == EAGAIN)
			return std::size_t{0};
		return failure::from_errno(errno);
	}
	return static_cast<std::size_t>(n) / sizeof(iuc_signal);
}

}  // namespace

result<std::size_t> context::read_signals(std::span<iuc_signal> out, wait w) const noexcept
{
	if (out.empty())
		return failure::from_errno(EINVAL);
	for (;;) {
		auto readable = wait_readable(fd(), w == wait::block ? -1 : 0);

		if (!readable)
			return readable.fail();
		if (!*readable)
			return std::size_t{0};
		auto n = read_records(fd(), out);
		if (!n || *n > 0 || w == wait::no)
			return n;
		// Taken by someone else meanwhile (O_NONBLOCK fd): wait again.
	}
}

result<std::size_t> context::read_signals(std::span<iuc_signal> out,
					  std::chrono::milliseconds timeout) const noexcept
{
	if (out.empty())
		return failure::from_errno(EINVAL);
	auto ms = timeout.count() < 0 ? 0 : timeout.count() > 0x7fffffff ? 0x7fffffff : timeout.count();
	auto readable = wait_readable(fd(), static_cast<int>(ms));

	if (!readable)
		return readable.fail();
	if (!*readable)
		return std::size_t{0};
	return read_records(fd(), out);
}

}  // namespace iuc
