// SPDX-License-Identifier: GPL-2.0
//
// iuc-demo: two processes talk through /dev/iuc with libiuc.
//
// The child handles RECV_PIPE with the real-time signal SIGRTMIN and is
// READY; the parent opens a pipe to it with a command code; the child gets
// SIGRTMIN, reads the RECV_PIPE record, prints it and closes the pipe; the
// parent gets the PIPE_CLOSED record and prints it.
//
// Exit status 0 when all of that happened as expected, 1 otherwise.
// Every wait is bounded (10 s) so that a broken kernel side fails, not hangs.
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>

#include "example.hpp"
#include "iuc/iuc.hpp"

namespace {

constexpr std::uint16_t kCommand = 0x1234;
constexpr std::uint64_t kSizeHint = 4096;
constexpr auto kTimeout = std::chrono::seconds(10);

using iuc_example::ok;

bool check(bool cond, const char* who, const char* what)
{
	if (!cond)
		std::fprintf(stderr, "%s: unexpected: %s\n", who, what);
	return cond;
}

const char* part_name(unsigned part)
{
	return part == IUC_PART_SC ? "SC" : part == IUC_PART_RC ? "RC" : "?";
}

// The child: the receiver of the pipe.
int run_child(int ready_fd)
{
	const char* me = "child";
	auto ctx = iuc::context::open();

	if (!ok(ctx, me, "open /dev/iuc") ||
	    !ok(ctx->handle_signal(IUC_SIG_RECV_PIPE, SIGRTMIN), me, "HANDLE_SIGNAL") ||
	    !ok(ctx->ready(), me, "READY"))
		return 1;
	if (!check(::write(ready_fd, "R", 1) == 1, me, "cannot tell the parent"))
		return 1;
	::close(ready_fd);

	sigset_t set;
	siginfo_t si;
	timespec ts{std::chrono::seconds(kTimeout).count(), 0};

	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	if (!check(::sigtimedwait(&set, &si, &ts) == SIGRTMIN, me, "no SIGRTMIN"))
		return 1;
	std::printf("child: got real-time signal %d: si_code %s, code 0x%02x, from pid %d\n",
		    si.si_signo, si.si_code == SI_ASYNCIO ? "SI_ASYNCIO" : "(not SI_ASYNCIO)",
		    si.si_errno, static_cast<int>(si.si_pid));
	if (!check(si.si_code == SI_ASYNCIO && si.si_errno == IUC_SIG_RECV_PIPE &&
		   si.si_pid == ::getppid(), me, "real-time signal contents"))
		return 1;

	iuc_signal rec{};
	auto n = ctx->read_signals({&rec, 1}, kTimeout);

	if (!ok(n, me, "read") || !check(*n == 1, me, "no record"))
		return 1;
	const auto& rp = rec.data.recv_pipe;
	std::printf("child: RECV_PIPE from pid %llu (ANID %u): command 0x%04x, my id %llu "
		    "(%s), mode %u, size hint %llu\n",
		    static_cast<unsigned long long>(rp.creator_pid), rp.creator_anid,
		    rp.command, static_cast<unsigned long long>(rp.id), part_name(rp.id_type),
		    rp.mode, static_cast<unsigned long long>(rp.size_hint));
	if (!check(rec.code == IUC_SIG_RECV_PIPE && rp.command == kCommand &&
		   rp.creator_pid == static_cast<std::uint64_t>(::getppid()) &&
		   rp.id_type == IUC_PART_RC && rp.size_hint == kSizeHint && rp.id != 0,
		   me, "RECV_PIPE contents"))
		return 1;

	iuc::pipe_end end(*ctx, rp.id);
	if (!ok(end.close(), me, "CLOSE_PIPE"))
		return 1;
	std::printf("child: closed pipe %llu\n", static_cast<unsigned long long>(rp.id));
	return 0;
}

// The parent: opens the pipe, waits for the child to close it.
int run_parent(pid_t child, int ready_fd)
{
	const char* me = "parent";
	auto ctx = iuc::context::open();

	if (!ok(ctx, me, "open /dev/iuc") ||
	    !ok(ctx->handle_signal(IUC_SIG_PIPE_CLOSED), me, "HANDLE_SIGNAL") ||
	    !ok(ctx->ready(), me, "READY"))
		return 1;

	pollfd p{ready_fd, POLLIN, 0};
	char byte = 0;
	if (!check(::poll(&p, 1, static_cast<int>(std::chrono::milliseconds(kTimeout).count())) == 1 &&
		   ::read(ready_fd, &byte, 1) == 1, me, "child not ready"))
		return 1;

	std::printf("parent: opening a pipe to pid %d with command 0x%04x\n",
		    static_cast<int>(child), kCommand);
	auto pipe = iuc::open_pipe(*ctx, child, {.command = kCommand, .size_hint = kSizeHint});
	if (!ok(pipe, me, "OPEN_PIPE"))
		return 1;
	std::printf("parent: opened: my id %llu (SC), its id %llu\n",
		    static_cast<unsigned long long>(pipe->id()),
		    static_cast<unsigned long long>(pipe->peer_id()));

	iuc_signal rec{};
	auto n = ctx->read_signals({&rec, 1}, kTimeout);
	if (!ok(n, me, "read") || !check(*n == 1, me, "no PIPE_CLOSED record"))
		return 1;
	const auto& pc = rec.data.pipe_closed;
	std::printf("parent: PIPE_CLOSED: id %llu (%s), closing type %s\n",
		    static_cast<unsigned long long>(pc.id), part_name(pc.part),
		    pc.closing_type == IUC_CLOSED_BY_CALL ? "closed by call" :
		    pc.closing_type == IUC_CLOSED_PEER_DIED ? "peer died" : "?");
	if (!check(rec.code == IUC_SIG_PIPE_CLOSED && pc.id == pipe->id() &&
		   pc.part == IUC_PART_SC && pc.closing_type == IUC_CLOSED_BY_CALL,
		   me, "PIPE_CLOSED contents"))
		return 1;
	// Closed by the child: nothing left to close.
	(void)pipe->release();
	return 0;
}

}  // namespace

int main()
{
	int sync[2];
	sigset_t set;

	// One line at a time, so that both processes' lines interleave whole.
	std::setvbuf(stdout, nullptr, _IOLBF, 0);

	// Blocked before fork(): the child must not die of SIGRTMIN before
	// it waits for it.
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	if (::sigprocmask(SIG_BLOCK, &set, nullptr) || ::pipe2(sync, O_CLOEXEC)) {
		std::perror("iuc-demo: setup");
		return 1;
	}
	std::fflush(stdout);
	pid_t child = ::fork();
	if (child < 0) {
		std::perror("iuc-demo: fork");
		return 1;
	}
	if (child == 0) {
		::prctl(PR_SET_PDEATHSIG, SIGKILL);
		::close(sync[0]);
		int rc = run_child(sync[1]);
		std::fflush(stdout);
		std::fflush(stderr);
		::_exit(rc);
	}
	::close(sync[1]);
	int rc = run_parent(child, sync[0]);
	if (rc)
		::kill(child, SIGKILL);

	int status = 0;
	while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		std::fprintf(stderr, "iuc-demo: child failed (status 0x%x)\n", status);
		rc = 1;
	}
	std::printf("iuc-demo: %s\n", rc ? "FAILED" : "OK");
	return rc;
}
