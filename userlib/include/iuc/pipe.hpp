// SPDX-License-Identifier: GPL-2.0
//
// iuc/pipe.hpp - pipe identifiers.
//
// iuc::pipe_end owns one identifier of a pipe (the caller's SC or RC).  It
// is an iuc::handle (handle.hpp) whose raw value is an iuc::raw_pipe_end:
// the identifier, the context it belongs to (an iuc::unowned_context) and
// the peer's identifier.  So it is move-only, the destructor, reset() and
// close() close the pipe (CLOSE_PIPE, both ends, the peer gets
// PIPE_CLOSED), release() hands the raw_pipe_end over without closing;
// send() moves the end to another process (afterwards this pipe_end is
// empty and closes nothing).  A pipe_end does not own its context: it
// must not outlive it.
//
//     auto p = iuc::open_pipe(ctx, pid, {.command = 0x42});
//     if (!p) ... p.error() == iuc::spec_error(IUC_E_OPEN_NO_HANDLER) ...
//     auto w = p->write(std::as_bytes(std::span(text)));
//     if (!w) ... w.fail().transferred bytes went through before it failed
//
// An identifier received in a RECV_PIPE record is adopted with
// iuc::pipe_end(ctx, rec.data.recv_pipe.id).
//
// Data calls (write/read) return result<io_result, io_failure>: on success
// io_result{result, transferred}, on failure an io_failure, which is an
// iuc::failure (same error()/sys_error()) that also carries the call's
// @result and @transferred, so that nothing is lost or sent twice:
//
//   write, io_mode::block    result = room left after the write
//   write, io_mode::partial  result = transferred = bytes written
//   write, io_mode::try_     result = transferred = the whole count
//   read (raw), block        result = bytes still pending after the read
//   read (raw), partial/try_ result = transferred = bytes read
//   read (message pipe)      result = transferred = the message's length
//   failure with try_ (EAGAIN, IUC_E_WRITE_NO_ROOM / IUC_E_READ_NO_DATA):
//                            result = IUC_TRY_LOCKED or IUC_TRY_NOT_ENOUGH
//   read failing with IUC_E_READ_BUFFER_TOO_SMALL (EMSGSIZE):
//                            result = the next message's length (it stays
//                            queued: read again with a buffer that big)
//   failure part way (EINTR, EPIPE, EFAULT): transferred = bytes moved
//
// iuc::call() writes a request and reads its answer in one system call
// (PIPE_CALL, an IUC extension): see the end of this file.
#ifndef IUC_PIPE_HPP
#define IUC_PIPE_HPP

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <span>

#include "iuc/context.hpp"
#include "iuc/error.hpp"
#include "iuc/handle.hpp"

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

// How PIPE_WRITE / PIPE_READ wait.
enum class io_mode : std::uint8_t {
	block = IUC_IO_BLOCK,		// until the whole count went through
	try_ = IUC_IO_TRY,		// the whole count now, or fail (EAGAIN)
	partial = IUC_IO_PARTIAL,	// as much as possible now (raw pipes)
};

// A successful write or read: see the table at the top of this file.
struct io_result {
	std::uint64_t result = 0;	// what the specification returns
	std::uint64_t transferred = 0;	// bytes this call moved
};

// A failed write or read: the failure, the call's @result and the bytes
// it moved before it failed (see the top of this file).
struct io_failure : failure {
	std::uint64_t result = 0;
	std::uint64_t transferred = 0;
};

using io_outcome = result<io_result, io_failure>;

// The answer of PIPE_INFO.
struct pipe_info {
	std::uint8_t status = 0;	// IUC_PIPE_* bits
	std::uint64_t capacity = 0;	// bytes
	std::uint64_t room = 0;		// bytes free
	pid_t creator_pid = 0;		// in the caller's PID namespace

	bool opened() const noexcept { return status & IUC_PIPE_OPENED; }
	bool message() const noexcept { return status & IUC_PIPE_MESSAGE; }
	bool full() const noexcept { return status & IUC_PIPE_FULL; }
	bool locked() const noexcept { return status & IUC_PIPE_LOCKED; }
	bool write_pending() const noexcept { return status & IUC_PIPE_WRITE_PENDING; }
	bool read_pending() const noexcept { return status & IUC_PIPE_READ_PENDING; }
	bool is_sc() const noexcept { return status & IUC_PIPE_IS_SC; }
};

// The raw value of a pipe_end.
struct raw_pipe_end {
	unowned_context ctx;		// the context @id belongs to
	std::uint64_t id = 0;		// the caller's identifier, 0: none
	std::uint64_t peer_id = 0;	// the other process's, 0: unknown
};

// A pipe_end is released with CLOSE_PIPE.
struct pipe_end_traits : id_traits<raw_pipe_end> {
	static result<void> close(raw_pipe_end p) noexcept;
};

class pipe_end : public handle<pipe_end_traits> {
public:
	// pipe_end() is empty; pipe_end(raw) adopts what release() gave.
	using handle::handle;
	// Adopt identifier @id of the context @ctx (e.g. from a RECV_PIPE
	// record).  @peer_id: the identifier of the other end, if known.
	pipe_end(unowned_context ctx, std::uint64_t id, std::uint64_t peer_id = 0) noexcept
		: handle(raw_pipe_end{std::move(ctx), id, peer_id}) {}

	// The caller's identifier (0: empty).
	std::uint64_t id() const noexcept { return get().id; }
	// The other process's identifier for the same pipe (0: unknown).
	std::uint64_t peer_id() const noexcept { return get().peer_id; }

	// PIPE_WRITE of @data to this SC.  On a message pipe @data is one
	// message (at most IUC_MESSAGE_MAX bytes; io_mode::partial is
	// refused).  An empty @data succeeds at once and writes nothing.
	io_outcome write(std::span<const std::byte> data, io_mode mode = io_mode::block) const noexcept;
	// PIPE_READ from this RC into @buf, at most @buf.size() bytes: raw
	// pipe, block waits for all of them, try_ takes all of them or fails,
	// partial takes what is pending (possibly 0); message pipe, one whole
	// message.  An empty @buf is refused (errc::invalid_arg, no call):
	// the kernel would take a count of 0 as "the pipe's capacity".  At
	// most 4 GiB - 1 per call (the count is 32-bit): a larger @buf is
	// used up to that size.
	io_outcome read(std::span<std::byte> buf, io_mode mode = io_mode::block) const noexcept;
	// PIPE_INFO.
	result<pipe_info> info() const noexcept;
	// SEND_PIPE: move this end to process @target, which gets RECV_PIPE
	// unless !@notify.  Returns @target's new identifier for it; this
	// pipe_end is empty afterwards (it neither names nor closes the pipe
	// any more: the receiver is its holder now).  On failure nothing
	// moved and this pipe_end still owns the end.
	result<std::uint64_t> send(pid_t target, bool notify = true) noexcept;

	// CLOSE_PIPE.  The pipe_end is empty afterwards whatever the result
	// (IUC_E_CLOSE_PEER_TERMINATED: closed all the same).  An empty
	// pipe_end closes nothing and succeeds.
	using handle::close;
};
static_assert(sizeof(pipe_end) == sizeof(handle<pipe_end_traits>));

// OPEN_PIPE: open a pipe to process @target (in the caller's PID
// namespace); the result owns the caller's end, its peer_id() is the
// target's identifier.
result<pipe_end> open_pipe(const context& ctx, pid_t target,
			   const pipe_options& options = {}) noexcept;

// ---- request and response: PIPE_CALL (IUC extension) ----------------------

// The half of a call() that failed.
enum class call_stage : std::uint8_t {
	none = 0,			// neither: a bad argument of call() itself
	write = IUC_CALL_STAGE_WRITE,	// the request: PIPE_WRITE's codes, nothing read
	read = IUC_CALL_STAGE_READ,	// the answer: PIPE_READ's codes
};

// A failed call(): the failure (error() is PIPE_WRITE's or PIPE_READ's
// code, as stage says), and what went through before it failed.
struct call_failure : failure {
	call_stage stage = call_stage::none;
	std::uint64_t written = 0;	// bytes of the request written
	std::uint64_t result = 0;	// PIPE_READ's @result: with
					// IUC_E_READ_BUFFER_TOO_SMALL the answer's
					// length (it stays queued on @rc)
	std::uint64_t transferred = 0;	// bytes of the answer read
};

// PIPE_CALL: write @request to the SC @sc, then wait for the answer on
// the RC @rc and read it into @response, in one system call, as
// zx_channel_call() and Binder's BINDER_WRITE_READ do.  Returns the
// answer's size.  Both ends block (io_mode::block).  On message pipes
// @request is one message and the answer is one whole message; on raw
// pipes the call reads @response.size() bytes.  An empty @request only
// waits (@sc is not used and may be empty): a server's first wait.  A
// server answers with the same call: its answer is the request of the
// call that waits for the next one.
//
//     auto n = iuc::call(requests, std::as_bytes(std::span(question)), answers, buf);
//     if (!n && n.fail().stage == iuc::call_stage::read) ... request sent
//
// Refused before any call (errc::invalid_arg, EINVAL, stage none): an
// empty @response (the kernel would take a count of 0 as the pipe's
// capacity), or @sc and @rc of different contexts.  Unknown or wrong
// ends are found before anything is written: @rc (stage read) as well as
// @sc (stage write).  A failure of the read half after the request went
// (EINTR, EPIPE, EMSGSIZE...) has stage read and written == the
// request's size: the request is not sent again by a retry of the read
// alone (rc.read()).  At most 4 GiB - 1 of @response is used.
result<std::size_t, call_failure> call(const pipe_end& sc, std::span<const std::byte> request,
				       const pipe_end& rc, std::span<std::byte> response) noexcept;

}  // namespace iuc

#endif  // IUC_PIPE_HPP
