// SPDX-License-Identifier: GPL-2.0
//
// iuc/pipe.hpp - pipe identifiers.
//
// iuc::pipe_end owns one identifier of a pipe (the caller's SC or RC):
// move-only, the destructor closes the pipe (CLOSE_PIPE, both ends, the
// peer gets PIPE_CLOSED), release() hands the identifier over without
// closing.  A pipe_end keeps the fd of the context it belongs to, not the
// context itself: it must not outlive its iuc::context.
//
//     auto p = iuc::open_pipe(ctx, pid, {.command = 0x42});
//     if (!p) ... p.error() == iuc::spec_error(IUC_E_OPEN_NO_HANDLER) ...
//
// An identifier received in a RECV_PIPE record is adopted with
// iuc::pipe_end(ctx, rec.data.recv_pipe.id).
#ifndef IUC_PIPE_HPP
#define IUC_PIPE_HPP

#include <sys/types.h>

#include <cstdint>

#include "iuc/context.hpp"
#include "iuc/error.hpp"

namespace iuc {

enum class pipe_type : std::uint8_t {
	caller_sends = IUC_PIPE_TYPE_CALLER_SENDS,	  // caller keeps the SC
	caller_receives = IUC_PIPE_TYPE_CALLER_RECEIVES,  // caller keeps the RC
};

enum class pipe_mode : std::uint8_t {
	raw = IUC_PIPE_MODE_RAW,
	message = IUC_PIPE_MODE_MESSAGE,
};

// Arguments of OPEN_PIPE besides the target.
struct pipe_options {
	std::uint16_t command = 0;
	pipe_type type = pipe_type::caller_sends;
	pipe_mode mode = pipe_mode::raw;
	std::uint8_t multiplier = 0;	// capacity = max(1, m) x 64 KiB
	bool notify = true;		// send RECV_PIPE to the target
	std::uint64_t size_hint = 0;
};

class pipe_end {
public:
	pipe_end() noexcept = default;
	// Adopt identifier @id of the context @ctx (e.g. from a RECV_PIPE
	// record).  @peer_id: the identifier of the other end, if known.
	pipe_end(const context& ctx, std::uint64_t id, std::uint64_t peer_id = 0) noexcept
		: fd_(ctx.fd()), id_(id), peer_id_(peer_id) {}
	~pipe_end() { (void)close(); }

	pipe_end(pipe_end&& other) noexcept
		: fd_(other.fd_), id_(other.release()), peer_id_(other.peer_id_) {}
	pipe_end& operator=(pipe_end&& other) noexcept
	{
		if (this != &other) {
			(void)close();
			fd_ = other.fd_;
			peer_id_ = other.peer_id_;
			id_ = other.release();
		}
		return *this;
	}
	pipe_end(const pipe_end&) = delete;
	pipe_end& operator=(const pipe_end&) = delete;

	// The caller's identifier (0: empty).
	std::uint64_t id() const noexcept { return id_; }
	// The other process's identifier for the same pipe (0: unknown).
	std::uint64_t peer_id() const noexcept { return peer_id_; }
	bool valid() const noexcept { return id_ != 0; }
	explicit operator bool() const noexcept { return valid(); }

	// CLOSE_PIPE.  The pipe_end is empty afterwards whatever the result
	// (IUC_E_CLOSE_PEER_TERMINATED: closed all the same).  An empty
	// pipe_end closes nothing and succeeds.
	result<void> close() noexcept;
	// Give up the identifier without closing the pipe.
	[[nodiscard]] std::uint64_t release() noexcept
	{
		std::uint64_t id = id_;

		id_ = 0;
		return id;
	}

private:
	int fd_ = -1;
	std::uint64_t id_ = 0;
	std::uint64_t peer_id_ = 0;
};

// OPEN_PIPE: open a pipe to process @target (in the caller's PID
// namespace); the result owns the caller's end, its peer_id() is the
// target's identifier.
result<pipe_end> open_pipe(const context& ctx, pid_t target,
			   const pipe_options& options = {}) noexcept;

}  // namespace iuc

#endif  // IUC_PIPE_HPP
