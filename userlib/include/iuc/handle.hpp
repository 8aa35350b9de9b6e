// SPDX-License-Identifier: GPL-2.0
//
// iuc/handle.hpp - ownership of a kernel object, written once.
//
// Every handle of libiuc (iuc::context, iuc::pipe_end, iuc::segment,
// iuc::mapping) is an iuc::handle<Traits>: it owns one *raw value* and
// releases it when it goes away.  The raw value is whatever names the object
// (the context's fd; a pipe identifier with the context it belongs to; a
// segment id with its context and mode; a mapping's address and length with
// its segment id and context), and the Traits say what it is, which value
// is "none" and how to release it:
//
//     struct my_traits {
//             using value_type = ...;	// nothrow movable
//             static value_type invalid() noexcept;		// "none"
//             static bool valid(const value_type&) noexcept;
//             static result<void> close(value_type) noexcept;	// release it
//     };
//
// (iuc::id_traits<Raw> below gives invalid() and valid() to the raw values
// that name their object by a nonzero id.)
//
// handle<Traits> gives every handle the same verbs, in the manner of
// Fuchsia's zx::object:
//
//   get()          the raw value, still owned
//   release()      give ownership up: returns the raw value, the handle is
//                  empty and releases nothing
//   reset(v)       release the owned value (if any), then own @v (by
//                  default Traits::invalid(): own nothing)
//   close()        release the owned value now and say how that went (the
//                  destructor and reset() release the same way but cannot
//                  report); an empty handle closes nothing and succeeds
//   valid(), explicit operator bool
//
// A handle is move-only: moving hands the value over (the source is empty
// afterwards), move assignment releases what the target held first.  The
// concrete handles derive from handle<Traits> and add the calls of their
// object; they add no state, so none of them writes ownership code again.
//
// iuc::unowned<H> is a non-owning view of a handle of type H, as
// zx::unowned: it holds an H made from a copy of the raw value and gives
// it up, never releasing it, when it goes away.  *u and u-> reach the
// viewed H's const calls.  A view must not outlive the handle it views.
// iuc::unowned_context (context.hpp) is how pipe ends, segments and
// mappings name the context they belong to.
#ifndef IUC_HANDLE_HPP
#define IUC_HANDLE_HPP

#include <concepts>
#include <type_traits>
#include <utility>

#include "iuc/error.hpp"

namespace iuc {

// What handle<Traits> needs of its Traits: see the top of this file.
template <class T>
concept handle_traits =
	std::is_nothrow_move_constructible_v<typename T::value_type> &&
	std::is_nothrow_move_assignable_v<typename T::value_type> &&
	requires(typename T::value_type v, const typename T::value_type& cv) {
		{ T::invalid() } noexcept -> std::same_as<typename T::value_type>;
		{ T::valid(cv) } noexcept -> std::same_as<bool>;
		{ T::close(std::move(v)) } noexcept -> std::same_as<result<void>>;
	};

// The invalid() and valid() of a raw value @Raw that names its object by a
// nonzero @id (pipe identifiers, segment ids): empty is Raw{}, id 0.  The
// traits of such a handle derive from it and add close().
template <class Raw>
struct id_traits {
	using value_type = Raw;

	static Raw invalid() noexcept { return {}; }
	static bool valid(const Raw& raw) noexcept { return raw.id != 0; }
};

// Owns one raw value of Traits::value_type.
template <handle_traits Traits>
class handle {
public:
	using traits_type = Traits;
	using value_type = typename Traits::value_type;

	// An empty handle.
	handle() noexcept = default;
	// Own @value.
	explicit handle(value_type value) noexcept : value_(std::move(value)) {}
	~handle() { reset(); }

	handle(handle&& other) noexcept : value_(other.release()) {}
	// Release what this handle held, then take over @other's value
	// (self-assignment changes nothing).
	handle& operator=(handle&& other) noexcept
	{
		reset(other.release());
		return *this;
	}
	handle(const handle&) = delete;
	handle& operator=(const handle&) = delete;

	// The owned raw value (Traits::invalid() when empty).
	const value_type& get() const noexcept { return value_; }
	bool valid() const noexcept { return Traits::valid(value_); }
	explicit operator bool() const noexcept { return valid(); }

	// Give up ownership without releasing: the raw value, now the
	// caller's to release.  The handle is empty afterwards.
	[[nodiscard]] value_type release() noexcept
	{
		return std::exchange(value_, Traits::invalid());
	}

	// Release the owned value (if any, ignoring how that went), then
	// own @value.
	void reset(value_type value = Traits::invalid()) noexcept
	{
		value_type old = std::exchange(value_, std::move(value));

		if (Traits::valid(old))
			(void)Traits::close(std::move(old));
	}

	// Release the owned value now.  The handle is empty afterwards,
	// whatever the result; an empty handle closes nothing and succeeds.
	result<void> close() noexcept
	{
		if (!valid())
			return {};
		return Traits::close(release());
	}

private:
	value_type value_ = Traits::invalid();
};

// A non-owning view of a handle of type H (see the top of this file).
// Copyable; a const H& converts to it, as a std::string does to a
// std::string_view, with the same caveat: the viewed handle must outlive
// the view.
template <class H>
class unowned {
public:
	using value_type = typename H::value_type;

	// A view of nothing (an empty H).
	unowned() noexcept = default;
	// A view of @owner.
	unowned(const H& owner) noexcept : unowned(owner.get()) {}
	// A view of the object named by @value, which someone else owns.
	explicit unowned(const value_type& value) noexcept : h_(value) {}

	unowned(const unowned& other) noexcept : unowned(other.h_.get()) {}
	unowned& operator=(const unowned& other) noexcept
	{
		value_type value = other.h_.get();

		(void)h_.release();
		h_.reset(std::move(value));
		return *this;
	}
	// Give the value up: the owner releases it, not the view.
	~unowned() { (void)h_.release(); }

	const H& operator*() const noexcept { return h_; }
	const H* operator->() const noexcept { return &h_; }

private:
	H h_;
};

}  // namespace iuc

#endif  // IUC_HANDLE_HPP
