// SPDX-License-Identifier: GPL-2.0
//
// iuc/iuc.hpp - all of libiuc, the C++20 interface to /dev/iuc.
//
//   iuc/error.hpp    iuc::result<T>, iuc::category(), iuc::errc
//   iuc/handle.hpp   iuc::handle<Traits>: the ownership every handle shares
//                    (get, release, reset, close); iuc::unowned<H>
//   iuc/context.hpp  iuc::context: the process's context, signal handling;
//                    iuc::unowned_context
//   iuc/pipe.hpp     iuc::pipe_end (write, read, info, send, close), iuc::open_pipe()
//   iuc/memory.hpp   iuc::segment, iuc::share_mem() (sharer); iuc::mapping (receiver)
//   iuc/signal.hpp   iuc::signal_data<D>(): typed datafields of signal records;
//                    iuc::decode<E>(): the service records as types
//   iuc/service.hpp  iuc::connection, iuc::connect_service() (client);
//                    iuc::service, iuc::register_service() (service)
#ifndef IUC_IUC_HPP
#define IUC_IUC_HPP

#include "iuc/context.hpp"
#include "iuc/error.hpp"
#include "iuc/handle.hpp"
#include "iuc/memory.hpp"
#include "iuc/pipe.hpp"
#include "iuc/service.hpp"
#include "iuc/signal.hpp"

#endif  // IUC_IUC_HPP
