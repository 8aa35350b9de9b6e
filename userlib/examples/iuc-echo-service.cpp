// SPDX-License-Identifier: GPL-2.0
//
// iuc-echo-service: the echo service of this process's application, with
// libiuc's iuc::service.  iuc-echo-client is its client.
//
//   iuc-echo-service [-s] [-n CLIENTS] [-t SECONDS]
//     -s   a system service (one instance for every user; CAP_SYS_ADMIN),
//          instead of the instance for the caller's user
//     -n   exit 0 once CLIENTS connections were served and ended
//     -t   give up (exit 1) after SECONDS
//
// Each accepted connection is served by its own client thread, which
// sends every message it reads back over the connection's other pipe until
// the client ends the connection.  The dispatcher is this program's own
// poll(2) loop: the service's fd (records: requests, clients that went),
// a signalfd (SIGINT, SIGTERM: exit 0) and an eventfd that the client
// threads write when they are done.  No user code runs in a signal
// handler.
//
// It prints one line when it serves, then one per request and per ended
// connection.  Exit status 0 on a clean stop, 1 on a failure.
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "example.hpp"
#include "iuc/iuc.hpp"

namespace {

const char* const me = "iuc-echo-service";

using iuc_example::ok;

// The client thread of one connection: echo until the client goes.
void serve(std::stop_token st, const iuc::service_conn& c, int done_fd)
{
	std::vector<std::byte> buf(IUC_MESSAGE_MAX);
	unsigned long n = 0;

	std::printf("%s: client %d connected (request %llu, command 0x%04x)\n", me,
		    static_cast<int>(c.request.client_pid),
		    static_cast<unsigned long long>(c.request.request_id), c.request.command);
	std::fflush(stdout);
	while (!st.stop_requested()) {
		auto r = c.rc->read(buf);
		if (!r)
			break;	// the client ended the connection (or died)
		auto w = c.sc->write({buf.data(), r->transferred});
		if (!w)
			break;
		n++;
	}
	std::printf("%s: client %d: %lu message(s) echoed, connection over\n", me,
		    static_cast<int>(c.request.client_pid), n);
	std::fflush(stdout);
	const std::uint64_t one = 1;
	(void)!::write(done_fd, &one, sizeof(one));
	// Returning ends this thread: the kernel closes the service's ends.
}

int usage()
{
	std::fprintf(stderr, "usage: %s [-s] [-n CLIENTS] [-t SECONDS]\n", me);
	return 2;
}

}  // namespace

int main(int argc, char** argv)
{
	iuc::service_scope scope = iuc::service_scope::user;
	long clients = -1, seconds = -1;
	int opt;

	while ((opt = ::getopt(argc, argv, "sn:t:")) != -1) {
		switch (opt) {
		case 's': scope = iuc::service_scope::system; break;
		case 'n': clients = std::strtol(optarg, nullptr, 0); break;
		case 't': seconds = std::strtol(optarg, nullptr, 0); break;
		default: return usage();
		}
	}
	if (optind != argc)
		return usage();

	// SIGINT and SIGTERM through a signalfd: blocked before any thread
	// starts, so that every thread inherits the mask.
	sigset_t stop_set;
	sigemptyset(&stop_set);
	sigaddset(&stop_set, SIGINT);
	sigaddset(&stop_set, SIGTERM);
	if (::pthread_sigmask(SIG_BLOCK, &stop_set, nullptr))
		return 1;
	const int sig_fd = ::signalfd(-1, &stop_set, SFD_CLOEXEC);
	const int done_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (sig_fd < 0 || done_fd < 0) {
		std::perror(me);
		return 1;
	}

	auto ctx = iuc::context::open();
	if (!ok(ctx, me, "open /dev/iuc"))
		return 1;
	auto svc = iuc::service::create(
		*ctx, [done_fd](std::stop_token st, const iuc::service_conn& c) { serve(st, c, done_fd); },
		[](const iuc::conn_request& q) {
			std::printf("%s: request %llu from pid %d, answer within %lld ms\n", me,
				    static_cast<unsigned long long>(q.request_id),
				    static_cast<int>(q.client_pid),
				    static_cast<long long>(q.answer_delay.count()));
			std::fflush(stdout);
			return iuc::service::answer::accept;
		},
		{.scope = scope});
	if (!ok(svc, me, "becoming the service"))
		return 1;
	auto anid = iuc::anid_of();
	if (!ok(anid, me, "reading the ANID"))
		return 1;
	std::printf("%s: pid %d serves application %u (%s instance)\n", me,
		    static_cast<int>(::getpid()), *anid,
		    scope == iuc::service_scope::system ? "system" : "user");
	std::fflush(stdout);

	const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
	long served = 0;
	for (;;) {
		int timeout = -1;
		if (seconds >= 0) {
			auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
				deadline - std::chrono::steady_clock::now());
			if (left.count() <= 0) {
				std::fprintf(stderr, "%s: %ld of %ld clients after %ld s: giving up\n",
					     me, served, clients, seconds);
				return 1;
			}
			timeout = static_cast<int>(left.count());
		}
		pollfd p[3] = {{svc->fd(), POLLIN, 0}, {sig_fd, POLLIN, 0}, {done_fd, POLLIN, 0}};
		if (::poll(p, 3, timeout) < 0) {
			if (errno == EINTR)
				continue;
			std::perror(me);
			return 1;
		}
		if (p[0].revents && !ok(svc->dispatch(), me, "reading records"))
			return 1;
		if (p[1].revents) {
			std::printf("%s: stopping\n", me);
			break;	// svc's destructor stops and joins the client threads
		}
		std::uint64_t n;
		if (p[2].revents && ::read(done_fd, &n, sizeof(n)) == sizeof(n)) {
			served += static_cast<long>(n);
			if (clients >= 0 && served >= clients)
				break;
		}
	}
	std::printf("%s: %ld connection(s) served\n", me, served);
	return 0;
}
