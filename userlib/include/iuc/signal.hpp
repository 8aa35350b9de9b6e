// SPDX-License-Identifier: GPL-2.0
//
// iuc/signal.hpp - typed access to signal records (struct iuc_signal).
//
// A record's 32-byte datafield is a union whose member depends on the
// record's code.  iuc::signal_data<D>(rec) gives the member of type D when
// the record's code is one that carries a D, nullptr otherwise, so the code
// and the member cannot be mixed up:
//
//     iuc_signal rec[8];
//     auto n = ctx.read_signals(rec, iuc::wait::block);
//     for (const auto& r : std::span(rec, n.value()))
//             if (auto* rp = iuc::signal_data<iuc_sig_recv_pipe>(r))
//                     ends.emplace_back(ctx, rp->id);	// adopt the end
//             else if (auto* pc = iuc::signal_data<iuc_sig_pipe_closed>(r))
//                     ... pc->closing_type ...
//
// The four service records are also decoded whole, into the types below
// (the ids they are about included, also where the record holds them in
// @object only): iuc::decode<E>(rec) gives an E when the record's code is
// E::code, std::nullopt otherwise.
//
//     if (auto q = iuc::decode<iuc::server_quitted>(r))
//             ... q->conn_id: the connection whose client thread ended ...
//
//   conn_request     SERVICE_CONN_REQUEST, to the service: who asks, the
//                    request id to answer, the command, the answer delay
//   client_closed    SERVICE_CLIENT_CLOSED, to the service: the client of
//                    the connection accepted as request_id ended without
//                    ending it (its process ended)
//   client_quitted   SERVICE_CLIENT_QUITTED, to the service: the client
//                    ended that connection (END_SERVICE_CONN)
//   server_quitted   SERVICE_SERVER_QUITTED, to the client: the client
//                    thread of connection conn_id, or the whole service
//                    process, ended
//
// iuc::signal_name(code) names a code ("RECV_PIPE"...) for messages.
#ifndef IUC_SIGNAL_HPP
#define IUC_SIGNAL_HPP

#include <sys/types.h>

#include <chrono>
#include <concepts>
#include <cstdint>
#include <optional>
#include <string_view>

#include <linux/iuc.h>

namespace iuc {

// Which codes carry which datafield type.
template <class D>
struct signal_traits;

template <>
struct signal_traits<iuc_sig_recv_pipe> {
	static bool matches(std::uint8_t code) noexcept { return code == IUC_SIG_RECV_PIPE; }
	static const iuc_sig_recv_pipe& get(const iuc_signal& s) noexcept { return s.data.recv_pipe; }
};

template <>
struct signal_traits<iuc_sig_pipe_closed> {
	static bool matches(std::uint8_t code) noexcept { return code == IUC_SIG_PIPE_CLOSED; }
	static const iuc_sig_pipe_closed& get(const iuc_signal& s) noexcept { return s.data.pipe_closed; }
};

template <>
struct signal_traits<iuc_sig_service_conn_request> {
	static bool matches(std::uint8_t code) noexcept { return code == IUC_SIG_SERVICE_CONN_REQUEST; }
	static const iuc_sig_service_conn_request& get(const iuc_signal& s) noexcept
	{
		return s.data.conn_request;
	}
};

template <>
struct signal_traits<iuc_sig_service_server_quitted> {
	static bool matches(std::uint8_t code) noexcept { return code == IUC_SIG_SERVICE_SERVER_QUITTED; }
	static const iuc_sig_service_server_quitted& get(const iuc_signal& s) noexcept
	{
		return s.data.server_quitted;
	}
};

template <>
struct signal_traits<iuc_sig_recv_shared_mem> {
	static bool matches(std::uint8_t code) noexcept { return code == IUC_SIG_RECV_SHARED_MEM; }
	static const iuc_sig_recv_shared_mem& get(const iuc_signal& s) noexcept
	{
		return s.data.recv_shared_mem;
	}
};

template <>
struct signal_traits<iuc_sig_unshared_mem> {
	static bool matches(std::uint8_t code) noexcept { return code == IUC_SIG_UNSHARED_MEM; }
	static const iuc_sig_unshared_mem& get(const iuc_signal& s) noexcept { return s.data.unshared_mem; }
};

// The datafield of @s as a D, or nullptr if @s's code carries no D.
template <class D>
const D* signal_data(const iuc_signal& s) noexcept
{
	return signal_traits<D>::matches(s.code) ? &signal_traits<D>::get(s) : nullptr;
}

// ---- service records, decoded --------------------------------------------------

// SERVICE_CONN_REQUEST (@object = request_id).
struct conn_request {
	static constexpr std::uint8_t code = IUC_SIG_SERVICE_CONN_REQUEST;

	pid_t client_pid = 0;		// in the service's PID namespace
	std::uint64_t request_id = 0;	// what ACCEPT / REJECT answer
	std::uint16_t command = 0;	// the client's command code
	// Answer within this time after the request was made, or the
	// client's CONNECT fails (ETIMEDOUT) and a late answer with it.
	std::chrono::milliseconds answer_delay{0};

	static conn_request from(const iuc_signal& s) noexcept
	{
		return {static_cast<pid_t>(s.data.conn_request.client_pid),
			s.data.conn_request.request_id, s.data.conn_request.command,
			std::chrono::milliseconds(s.data.conn_request.answer_delay_ms)};
	}
};

// SERVICE_CLIENT_CLOSED: no datafield; @object = the request id.
struct client_closed {
	static constexpr std::uint8_t code = IUC_SIG_SERVICE_CLIENT_CLOSED;

	std::uint64_t request_id = 0;	// the request the connection was accepted as

	static client_closed from(const iuc_signal& s) noexcept { return {s.object}; }
};

// SERVICE_CLIENT_QUITTED: no datafield; @object = the request id.
struct client_quitted {
	static constexpr std::uint8_t code = IUC_SIG_SERVICE_CLIENT_QUITTED;

	std::uint64_t request_id = 0;	// the request the connection was accepted as

	static client_quitted from(const iuc_signal& s) noexcept { return {s.object}; }
};

// SERVICE_SERVER_QUITTED (@object = conn_id).
struct server_quitted {
	static constexpr std::uint8_t code = IUC_SIG_SERVICE_SERVER_QUITTED;

	std::uint64_t conn_id = 0;	// the client's connection id

	static server_quitted from(const iuc_signal& s) noexcept
	{
		return {s.data.server_quitted.conn_id};
	}
};

// What decode() knows: a type naming its code and made from a record.
template <class E>
concept decoded_record = requires(const iuc_signal& s) {
	{ E::code } -> std::convertible_to<std::uint8_t>;
	{ E::from(s) } noexcept -> std::same_as<E>;
};

// @s as an E if its code is E's, std::nullopt otherwise.
template <decoded_record E>
std::optional<E> decode(const iuc_signal& s) noexcept
{
	if (s.code != E::code)
		return std::nullopt;
	return E::from(s);
}

// The name of signal code @code without its IUC_SIG_ prefix, or "?".
constexpr std::string_view signal_name(std::uint8_t code) noexcept
{
	switch (code) {
	case IUC_SIG_RECV_PIPE: return "RECV_PIPE";
	case IUC_SIG_PIPE_CLOSED: return "PIPE_CLOSED";
	case IUC_SIG_SERVICE_CONN_REQUEST: return "SERVICE_CONN_REQUEST";
	case IUC_SIG_SERVICE_CLIENT_CLOSED: return "SERVICE_CLIENT_CLOSED";
	case IUC_SIG_SERVICE_CLIENT_QUITTED: return "SERVICE_CLIENT_QUITTED";
	case IUC_SIG_SERVICE_SERVER_QUITTED: return "SERVICE_SERVER_QUITTED";
	case IUC_SIG_RECV_SHARED_MEM: return "RECV_SHARED_MEM";
	case IUC_SIG_UNSHARED_MEM: return "UNSHARED_MEM";
	default: return "?";
	}
}

}  // namespace iuc

#endif  // IUC_SIGNAL_HPP
