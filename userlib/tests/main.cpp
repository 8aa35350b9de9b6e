// SPDX-License-Identifier: GPL-2.0
//
// iuc_userlib_test: the GoogleTest tests of libiuc, reporting in the TAP
// of the kselftests, which the VM runner (tools/vm/parse-results.sh)
// counts with the others:
//
//   TAP version 13
//   1..N
//   # pipe_test.cpp:120: <what failed, one "# " line per line>
//   not ok 1 RawPipe.TryWriteOfMoreThanTheRoomFailsWhole
//   ok 2 RawPipe.PartialWriteWritesWhatFits
//   ok 3 Suite.Test # SKIP
//   # N passed, N failed, N skipped
//
// This printer replaces gtest's own.  gtest's options work as usual
// (--gtest_filter=RawPipe.*, --gtest_list_tests); the plan counts the
// tests that the filter selects.  Exit status 0 when every test passed.
//
// A test that runs longer than kTestSeconds is reported "not ok ... timed
// out" and the program ends (its peers die with it, by PR_SET_PDEATHSIG):
// a hang names its test, and the tests after it count as failed, since the
// plan announced them.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>

namespace {

constexpr unsigned kTestSeconds = 60;

[[gnu::format(printf, 1, 2)]] void tap(const char* fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	std::vprintf(fmt, ap);
	va_end(ap);
	std::putchar('\n');
	std::fflush(stdout);
}

// The line SIGALRM writes for the running test.
char timeout_line[512];
std::size_t timeout_len;

extern "C" void on_alarm(int)
{
	ssize_t n = ::write(STDOUT_FILENO, timeout_line, timeout_len);

	::_exit(n < 0 ? 2 : 1);
}

std::string test_name(const ::testing::TestInfo& t)
{
	return std::string(t.test_suite_name()) + "." + t.name();
}

class tap_printer : public ::testing::EmptyTestEventListener {
public:
	void OnTestIterationStart(const ::testing::UnitTest& u, int iteration) override
	{
		if (iteration > 0)
			return;
		tap("TAP version 13");
		tap("1..%d", u.test_to_run_count());
	}

	void OnTestStart(const ::testing::TestInfo& t) override
	{
		const int n = std::snprintf(timeout_line, sizeof(timeout_line),
					    "not ok %d %s # timed out after %u s\n", ++count_,
					    test_name(t).c_str(), kTestSeconds);

		timeout_len = std::clamp<std::size_t>(n < 0 ? 0 : n, 0, sizeof(timeout_line) - 1);
		::alarm(kTestSeconds);
	}

	// Failures (and skips) as they happen, before the test's line.
	void OnTestPartResult(const ::testing::TestPartResult& r) override
	{
		std::string where;

		if (r.type() == ::testing::TestPartResult::kSuccess)
			return;
		if (r.file_name()) {
			const char* base = std::strrchr(r.file_name(), '/');

			where = std::string(base ? base + 1 : r.file_name()) + ":" +
				std::to_string(r.line_number()) + ": ";
		}
		if (r.skipped())
			where += "skipped: ";
		std::istringstream lines(r.message());
		for (std::string l; std::getline(lines, l); where.clear())
			tap("# %s%s", where.c_str(), l.c_str());
	}

	void OnTestEnd(const ::testing::TestInfo& t) override
	{
		const ::testing::TestResult& r = *t.result();

		::alarm(0);
		if (r.Skipped()) {
			skipped_++;
			tap("ok %d %s # SKIP", count_, test_name(t).c_str());
		} else if (r.Passed()) {
			passed_++;
			tap("ok %d %s", count_, test_name(t).c_str());
		} else {
			failed_++;
			tap("not ok %d %s", count_, test_name(t).c_str());
		}
	}

	void OnTestProgramEnd(const ::testing::UnitTest& u) override
	{
		tap("# %d passed, %d failed, %d skipped%s", passed_, failed_, skipped_,
		    u.ad_hoc_test_result().Failed() ? "; failures outside the tests" : "");
	}

private:
	int count_ = 0;
	int passed_ = 0, failed_ = 0, skipped_ = 0;
};

}  // namespace

int main(int argc, char** argv)
{
	struct sigaction sa = {};

	::testing::InitGoogleTest(&argc, argv);
	auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
	delete listeners.Release(listeners.default_result_printer());
	listeners.Append(new tap_printer);

	sa.sa_handler = on_alarm;
	::sigaction(SIGALRM, &sa, nullptr);
	return RUN_ALL_TESTS() ? 1 : 0;
}
