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
// iuc::signal_name(code) names a code ("RECV_PIPE"...) for messages.
#ifndef IUC_SIGNAL_HPP
#define IUC_SIGNAL_HPP

#include <cstdint>
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
