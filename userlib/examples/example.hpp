// SPDX-License-Identifier: GPL-2.0
//
// What the examples share: reporting a failed libiuc call.
#ifndef IUC_EXAMPLES_EXAMPLE_HPP
#define IUC_EXAMPLES_EXAMPLE_HPP

#include <cstdio>

namespace iuc_example {

// Does iuc::result @r hold a value?  If not, say on stderr that @who's
// @what failed, with the specification's code and the errno.
template <class R>
bool ok(const R& r, const char* who, const char* what)
{
	if (r)
		return true;
	std::fprintf(stderr, "%s: %s failed: %s (errno %d: %s)\n", who, what,
		     r.error().message().c_str(), r.sys_error().value(),
		     r.sys_error().message().c_str());
	return false;
}

}  // namespace iuc_example

#endif  // IUC_EXAMPLES_EXAMPLE_HPP
