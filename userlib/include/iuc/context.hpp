// SPDX-License-Identifier: GPL-2.0
//
// iuc/context.hpp - the IUC context of the calling process.
//
// An fd of /dev/iuc is the process's IUC context: one per process (a second
// open fails with EBUSY), usable only by the process that opened it (others
// get errc::not_owner), ended when that process exits.  iuc::context owns
// that fd: it is an iuc::handle (handle.hpp) whose raw value is the fd, so
// it is move-only, the destructor closes it, get() (or fd()) gives it,
// release() hands it over, reset() and close() close it.
//
// The pipe ends, segments and mappings of a context do not own it: they
// hold an iuc::unowned_context, a non-owning view of it (context::borrow(),
// or any const context& converts), and must not outlive the context.
//
// Signals arrive as 64-byte records (struct iuc_signal) read from the fd,
// for the codes the process handles, once it declared itself ready();
// with a real-time signal chosen in handle_signal(), the kernel also sends
// that signal to the process for each record (si_code SI_ASYNCIO, si_errno
// = the code, si_pid/si_uid = the process that caused it); a record whose
// signal could not be queued (RLIMIT_SIGPENDING) has IUC_SIGNAL_RT_NOT_SENT
// in its flags.  fd() can go into poll(2) or
// epoll: POLLIN means a record is readable.
//
//     auto ctx = iuc::context::open();
//     if (!ctx) { ... ctx.error() ... }
//     ctx->handle_signal(IUC_SIG_RECV_PIPE, SIGRTMIN).value();
//     ctx->ready().value();
//     iuc_signal rec[8];
//     auto n = ctx->read_signals(rec, iuc::wait::block);
#ifndef IUC_CONTEXT_HPP
#define IUC_CONTEXT_HPP

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>

#include <linux/iuc.h>

#include "iuc/error.hpp"
#include "iuc/handle.hpp"

namespace iuc {

// Whether read_signals() waits for a record.
enum class wait {
	no,	// return 0 records at once when none is readable
	block,	// wait until at least one record is readable
};

// The answer of IS_SIGNAL_HANDLED.
struct signal_handling {
	bool handled = false;
	int rt_signal = 0;	// 0: records only (meaningful when handled)
};

class context;
using unowned_context = unowned<context>;

// The raw value of a context: its fd, closed with close(2).
struct context_traits {
	using value_type = int;

	static int invalid() noexcept { return -1; }
	static bool valid(int fd) noexcept { return fd >= 0; }
	static result<void> close(int fd) noexcept;
};

class context : public handle<context_traits> {
public:
	// context() is empty (no fd); context(fd) adopts @fd, an fd of
	// /dev/iuc opened by this process.
	using handle::handle;

	// Open /dev/iuc (O_RDWR | O_CLOEXEC): the process's context.
	// errc::system with EBUSY: the process already has one.
	static result<context> open() noexcept;

	// The fd, for poll(2) and epoll (the same as get()).
	int fd() const noexcept { return get(); }
	// A non-owning view of this context.
	unowned_context borrow() const noexcept;

	// HANDLE_SIGNAL: handle @code (IUC_SIG_*), sending real-time signal
	// @rt_signal (SIGRTMIN..SIGRTMAX) with each record, or 0 for records
	// only.  Registering again replaces.
	result<void> handle_signal(std::uint8_t code, int rt_signal = 0) const noexcept;
	// UNHANDLE_SIGNAL.  Records of @code already queued stay queued.
	result<void> unhandle_signal(std::uint8_t code) const noexcept;
	// IS_SIGNAL_HANDLED.
	result<signal_handling> is_signal_handled(std::uint8_t code) const noexcept;
	// READY: records queued so far become readable, their real-time
	// signals are sent, in order.
	result<void> ready() const noexcept;

	// Read whole records into @out: their number.  With wait::no, 0 when
	// none is readable; with wait::block, at least 1 (or a failure, e.g.
	// errc::interrupted).  One reader at a time: with wait::no and an fd
	// without O_NONBLOCK, a record taken by another thread between the
	// readiness check and the read would make the read wait.
	result<std::size_t> read_signals(std::span<iuc_signal> out, wait w = wait::no) const noexcept;
	// Wait at most @timeout for records: 0 if none came.
	result<std::size_t> read_signals(std::span<iuc_signal> out,
					 std::chrono::milliseconds timeout) const noexcept;
};

inline unowned_context context::borrow() const noexcept
{
	return unowned_context(*this);
}

// All the state is the handle's: moving, releasing and closing are its.
static_assert(sizeof(context) == sizeof(handle<context_traits>));

}  // namespace iuc

#endif  // IUC_CONTEXT_HPP
