// SPDX-License-Identifier: GPL-2.0
//
// iuc/error.hpp - the error policy of libiuc.
//
// Every operation of libiuc returns an iuc::result<T> (iuc::result<void>
// when there is nothing to return).  A result holds either the value or a
// failure, and a failure carries two views of the same error:
//
//  * result.error()     std::error_code in iuc::category().  Its value is the
//                       error code of the IUC specification (IUC_E_* of
//                       <linux/iuc.h>) that the kernel wrote into the
//                       argument struct's @error field.  When the kernel
//                       could not read the struct it writes nothing: libiuc
//                       presets @error to IUC_E_ARGS_UNREADABLE (so EFAULT
//                       gives that code) and maps ENOTTY to
//                       IUC_E_UNKNOWN_CALL.
//  * result.sys_error() std::error_code in std::system_category(): the errno
//                       of the failed system call.
//
// Two details of the mapping:
//
//  * std::error_code reserves the value 0 for "no error", and the spec code
//    0x00 (IUC_E_ARGS_UNREADABLE) is an error.  It is carried as
//    iuc::errc::args_unreadable (0x100).  iuc::spec_code() gives back the
//    8-bit code for any code of the category.
//  * Operations that are not calls of the specification (open(2) of
//    /dev/iuc, read(2) of signal records, poll(2)) and a call refused
//    before it reached the driver (EBADF for a closed fd...) have no spec
//    code of their own.  Their errno is mapped onto the generic code of the
//    same meaning where one exists (EBADFD -> errc::not_owner, EINTR ->
//    errc::interrupted, ENOMEM -> errc::no_kernel_memory, EINVAL ->
//    errc::invalid_arg, EFAULT -> errc::unmapped); otherwise error() is
//    iuc::errc::system and sys_error() tells the rest (for example EBUSY from
//    context::open(): the process already has a context).
//
// Codes 0x10..0x3F mean different things for different calls (see each
// call's codes in <linux/iuc.h>), so compare them with the call's constant:
//
//     auto p = iuc::open_pipe(ctx, pid);
//     if (!p && p.error() == iuc::spec_error(IUC_E_OPEN_NO_HANDLER)) ...
//
// The call-independent codes have names in iuc::errc and are equivalent to
// the std::errc condition of their errno, so either test works:
//
//     p.error() == iuc::errc::queue_full
//     p.error() == std::errc::resource_unavailable_try_again
//
// For call-specific codes use sys_error() to compare with an errno.
//
// A few calls report more than a code when they fail: the pipe I/O calls
// return iuc::result<io_result, io_failure>, whose failure also carries the
// call's @result (e.g. the length of a message too long for the buffer) and
// the bytes it moved before it failed.  The failure type is the second
// template parameter of result; it always derives from iuc::failure, so
// error() and sys_error() are the same for every result.
#ifndef IUC_ERROR_HPP
#define IUC_ERROR_HPP

#include <cstdint>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

#include <linux/iuc.h>

namespace iuc {

// Named codes of iuc::category(): those that mean the same for every call.
enum class errc : int {
	args_unreadable = 0x100,		// IUC_E_ARGS_UNREADABLE (0x00)
	unknown_call = IUC_E_UNKNOWN_CALL,
	invalid_arg = IUC_E_INVALID_ARG,
	unmapped = IUC_E_UNMAPPED,
	mem_perm = IUC_E_MEM_PERM,
	not_owner = IUC_E_NOT_OWNER,
	interrupted = IUC_E_INTERRUPTED,
	no_kernel_memory = IUC_E_NO_KERNEL_MEMORY,
	limit = IUC_E_LIMIT,
	queue_full = IUC_E_QUEUE_FULL,
	system = 0x200,				// no spec code: see sys_error()
};

// The category of the specification's error codes.
const std::error_category& category() noexcept;

std::error_code make_error_code(errc e) noexcept;

// The error_code of spec code @code (IUC_E_*, 0x00..0xFE).
std::error_code spec_error(std::uint8_t code) noexcept;

// The 8-bit spec code of @ec: IUC_E_NONE when !ec, -1 when @ec has no spec
// code (errc::system, or another category).
int spec_code(const std::error_code& ec) noexcept;

// A failed operation: see the top of this file.
struct failure {
	std::error_code code;	// iuc::category()
	int sys_errno = 0;	// errno of the system call

	// From a failed ioctl: its errno and the struct's @error field.
	static failure from_call(int err, std::uint32_t error_field) noexcept;
	// From a failed system call that is not an IUC call.
	static failure from_errno(int err) noexcept;
};

// Thrown by result<T>::value() on a failure.
[[noreturn]] void throw_failure(const failure& f);

// The value of an operation, or its failure.  A small std::expected.
// @E is the failure type: iuc::failure or a type derived from it.
template <class T, class E = failure>
class [[nodiscard]] result {
	static_assert(std::is_base_of_v<failure, E>, "E must derive from iuc::failure");

public:
	using value_type = T;
	using failure_type = E;

	result(T value) noexcept(std::is_nothrow_move_constructible_v<T>)
		: v_(std::in_place_index<0>, std::move(value)) {}
	result(E f) noexcept : v_(std::in_place_index<1>, std::move(f)) {}

	bool has_value() const noexcept { return v_.index() == 0; }
	explicit operator bool() const noexcept { return has_value(); }

	T& value() & { check(); return std::get<0>(v_); }
	const T& value() const& { check(); return std::get<0>(v_); }
	T&& value() && { check(); return std::get<0>(std::move(v_)); }
	template <class U>
	T value_or(U&& other) const& { return has_value() ? std::get<0>(v_) : T(std::forward<U>(other)); }

	// Precondition: has_value().
	T& operator*() & noexcept { return *std::get_if<0>(&v_); }
	const T& operator*() const& noexcept { return *std::get_if<0>(&v_); }
	T&& operator*() && noexcept { return std::move(*std::get_if<0>(&v_)); }
	T* operator->() noexcept { return std::get_if<0>(&v_); }
	const T* operator->() const noexcept { return std::get_if<0>(&v_); }

	std::error_code error() const noexcept
	{
		return has_value() ? std::error_code() : std::get<1>(v_).code;
	}
	std::error_code sys_error() const noexcept
	{
		return has_value() ? std::error_code()
				   : std::error_code(std::get<1>(v_).sys_errno, std::system_category());
	}
	// Precondition: !has_value().
	const E& fail() const noexcept { return *std::get_if<1>(&v_); }

private:
	void check() const
	{
		if (!has_value())
			throw_failure(std::get<1>(v_));
	}

	std::variant<T, E> v_;
};

template <class E>
class [[nodiscard]] result<void, E> {
	static_assert(std::is_base_of_v<failure, E>, "E must derive from iuc::failure");

public:
	using value_type = void;
	using failure_type = E;

	result() noexcept = default;
	result(E f) noexcept : f_(std::move(f)), failed_(true) {}

	bool has_value() const noexcept { return !failed_; }
	explicit operator bool() const noexcept { return has_value(); }
	void value() const
	{
		if (failed_)
			throw_failure(f_);
	}

	std::error_code error() const noexcept
	{
		return failed_ ? f_.code : std::error_code();
	}
	std::error_code sys_error() const noexcept
	{
		return failed_ ? std::error_code(f_.sys_errno, std::system_category())
			       : std::error_code();
	}
	// Precondition: !has_value().
	const E& fail() const noexcept { return f_; }

private:
	E f_{};
	bool failed_ = false;
};

}  // namespace iuc

template <>
struct std::is_error_code_enum<iuc::errc> : std::true_type {};

#endif  // IUC_ERROR_HPP
