// SPDX-License-Identifier: GPL-2.0
//
// iuc-echo-client: connects to an application's echo service
// (iuc-echo-service) with libiuc's iuc::connection, sends each MESSAGE,
// checks that it comes back, and ends the connection.
//
//   iuc-echo-client [-a ANID] [-c COMMAND] [-w SECONDS] [MESSAGE...]
//     -a   the application (default: this process's own, the inode number
//          of /proc/self/ns/ipc)
//     -c   the command code given to the service with the request
//     -w   while the application has no service yet (or it is not READY),
//          try again for up to SECONDS
//   MESSAGE defaults to "hello".
//
// Exit status 0 when every message came back unchanged, 1 otherwise.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <thread>
#include <vector>

#include "example.hpp"
#include "iuc/iuc.hpp"

namespace {

const char* const me = "iuc-echo-client";

using iuc_example::ok;

// Worth trying again: no instance yet, or one that is not READY yet.
bool not_yet(const iuc::result<iuc::connection>& c)
{
	return (c.error() == iuc::spec_error(IUC_E_CONNECT_NO_SERVICE)) ||
	       (c.error() == iuc::spec_error(IUC_E_CONNECT_NOT_DELIVERED) &&
		c.sys_error() == std::errc::resource_unavailable_try_again);
}

int usage()
{
	std::fprintf(stderr, "usage: %s [-a ANID] [-c COMMAND] [-w SECONDS] [MESSAGE...]\n", me);
	return 2;
}

}  // namespace

int main(int argc, char** argv)
{
	long anid = -1, seconds = 0;
	iuc::connect_options o;
	int opt;

	while ((opt = ::getopt(argc, argv, "a:c:w:")) != -1) {
		switch (opt) {
		case 'a': anid = std::strtol(optarg, nullptr, 0); break;
		case 'c': o.command = static_cast<std::uint16_t>(std::strtoul(optarg, nullptr, 0)); break;
		case 'w': seconds = std::strtol(optarg, nullptr, 0); break;
		default: return usage();
		}
	}
	std::vector<std::string_view> messages(argv + optind, argv + argc);
	if (messages.empty())
		messages.push_back("hello");

	auto ctx = iuc::context::open();
	if (!ok(ctx, me, "open /dev/iuc"))
		return 1;
	if (anid < 0) {
		auto own = iuc::anid_of();
		if (!ok(own, me, "reading the ANID"))
			return 1;
		anid = *own;
	}

	const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
	auto c = iuc::connect_service(*ctx, static_cast<std::uint32_t>(anid), o);
	while (!c && not_yet(c) && std::chrono::steady_clock::now() < deadline) {
		std::this_thread::sleep_for(std::chrono::milliseconds(50));
		c = iuc::connect_service(*ctx, static_cast<std::uint32_t>(anid), o);
	}
	if (!ok(c, me, "CONNECT_SERVICE"))
		return 1;
	std::printf("%s: connection %llu to application %ld\n", me,
		    static_cast<unsigned long long>(c->id()), anid);

	std::vector<std::byte> buf(IUC_MESSAGE_MAX);
	for (std::string_view m : messages) {
		if (m.empty())
			continue;	// an empty write sends no message
		// c->sc(): the pipe to the service; c->rc(): the pipe back.
		if (!ok(c->sc()->write(std::as_bytes(std::span(m.data(), m.size()))), me, "write"))
			return 1;
		auto r = c->rc()->read(buf);
		if (!ok(r, me, "read"))
			return 1;
		const std::string_view back(reinterpret_cast<const char*>(buf.data()), r->transferred);
		if (back != m) {
			std::fprintf(stderr, "%s: sent \"%.*s\", got \"%.*s\" back\n", me,
				     static_cast<int>(m.size()), m.data(),
				     static_cast<int>(back.size()), back.data());
			return 1;
		}
		std::printf("%s: echoed \"%.*s\"\n", me, static_cast<int>(back.size()), back.data());
	}
	// END_SERVICE_CONN (the destructor would do it too): the service's
	// client thread sees its stop request.
	if (!ok(c->end(), me, "END_SERVICE_CONN"))
		return 1;
	std::printf("%s: connection ended\n", me);
	return 0;
}
