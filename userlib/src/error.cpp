// SPDX-License-Identifier: GPL-2.0
#include "iuc/error.hpp"

#include <cerrno>
#include <cstdio>
#include <string>

namespace iuc {
namespace {

class iuc_category final : public std::error_category {
public:
	const char* name() const noexcept override { return "iuc"; }

	std::string message(int v) const override
	{
		const char* what = nullptr;

		switch (v) {
		case int(errc::args_unreadable): what = "argument struct unreadable"; break;
		case int(errc::unknown_call): what = "unknown call"; break;
		case int(errc::invalid_arg): what = "invalid argument"; break;
		case int(errc::unmapped): what = "buffer not mapped"; break;
		case int(errc::mem_perm): what = "buffer lacks the needed access"; break;
		case int(errc::not_owner): what = "context belongs to another process"; break;
		case int(errc::interrupted): what = "interrupted by a signal"; break;
		case int(errc::no_kernel_memory): what = "kernel out of memory"; break;
		case int(errc::limit): what = "per-process limit reached"; break;
		case int(errc::queue_full): what = "target's signal queue full"; break;
		case int(errc::system): return "system call failed (see the errno)";
		default: break;
		}
		char buf[96];
		int code = spec_code(std::error_code(v, *this));

		if (what)
			std::snprintf(buf, sizeof(buf), "%s (IUC 0x%02x)", what, code);
		else if (code >= 0x10 && code <= 0x1F)
			std::snprintf(buf, sizeof(buf), "invalid argument value (IUC 0x%02x)", code);
		else if (code >= 0x20 && code <= 0x2F)
			std::snprintf(buf, sizeof(buf), "argument not valid in this context (IUC 0x%02x)", code);
		else if (code >= 0x30 && code <= 0x3F)
			std::snprintf(buf, sizeof(buf), "resource error (IUC 0x%02x)", code);
		else
			std::snprintf(buf, sizeof(buf), "IUC error %d", v);
		return buf;
	}

	// Call-independent codes are equivalent to their errno's condition.
	std::error_condition default_error_condition(int v) const noexcept override
	{
		switch (v) {
		case int(errc::args_unreadable):
		case int(errc::unmapped):
		case int(errc::mem_perm): return std::errc::bad_address;
		case int(errc::unknown_call): return std::errc::inappropriate_io_control_operation;
		case int(errc::invalid_arg): return std::errc::invalid_argument;
		case int(errc::not_owner): return {EBADFD, std::generic_category()};
		case int(errc::interrupted): return std::errc::interrupted;
		case int(errc::no_kernel_memory): return std::errc::not_enough_memory;
		case int(errc::limit): return std::errc::too_many_files_open;
		case int(errc::queue_full): return std::errc::resource_unavailable_try_again;
		default: return {v, *this};
		}
	}
};

}  // namespace

const std::error_category& category() noexcept
{
	static const iuc_category cat;
	return cat;
}

std::error_code make_error_code(errc e) noexcept
{
	return {static_cast<int>(e), category()};
}

std::error_code spec_error(std::uint8_t code) noexcept
{
	return {code == IUC_E_ARGS_UNREADABLE ? int(errc::args_unreadable) : int(code),
		category()};
}

int spec_code(const std::error_code& ec) noexcept
{
	if (!ec)
		return IUC_E_NONE;
	if (ec.category() != category())
		return -1;
	if (ec.value() == int(errc::args_unreadable))
		return IUC_E_ARGS_UNREADABLE;
	if (ec.value() > 0 && ec.value() < IUC_E_NONE)
		return ec.value();
	return -1;
}

failure failure::from_call(int err, std::uint32_t error_field) noexcept
{
	if (error_field == IUC_E_ARGS_UNREADABLE || error_field >= IUC_E_NONE) {
		// The kernel did not write @error (or wrote no error code).
		if (err == ENOTTY)
			return {make_error_code(errc::unknown_call), err};
		if (err == EFAULT)
			return {make_error_code(errc::args_unreadable), err};
		return from_errno(err);
	}
	return {spec_error(static_cast<std::uint8_t>(error_field)), err};
}

failure failure::from_errno(int err) noexcept
{
	switch (err) {
	case EBADFD: return {make_error_code(errc::not_owner), err};
	case EINTR: return {make_error_code(errc::interrupted), err};
	case ENOMEM: return {make_error_code(errc::no_kernel_memory), err};
	case EINVAL: return {make_error_code(errc::invalid_arg), err};
	case EFAULT: return {make_error_code(errc::unmapped), err};
	default: return {make_error_code(errc::system), err};
	}
}

void throw_failure(const failure& f)
{
	throw std::system_error(f.code, std::system_category().message(f.sys_errno));
}

}  // namespace iuc
