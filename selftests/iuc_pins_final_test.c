// SPDX-License-Identifier: GPL-2.0
/*
 * IUC selftests: what all the other tests left behind.
 *
 * The VM runner (tools/vm/init.sh) runs the iuc_*_final_test programs
 * after every other iuc_*_test, whose processes have all ended by then.
 * Every page the module pinned (FOLL_PIN, counted in /proc/vmstat as
 * nr_foll_pin_acquired and nr_foll_pin_released) for their segments must
 * have been released, and pins must have been taken at all, else the
 * balance proves nothing.
 */
#include "kselftest_harness.h"
#include "iuc_test.h"

/* The shared memory tests ran before: the module took FOLL_PINs. */
TEST(pins_were_taken)
{
	long long acq, rel;

	ASSERT_EQ(0, pin_counters(&acq, &rel));
	EXPECT_LT(0, acq) TH_LOG("no FOLL_PIN taken: run after the shm tests");
}

/* Every FOLL_PIN taken was released (after the last contexts ended). */
TEST(every_pin_was_released)
{
	long long acq = 0, rel = 0;
	int ret = wait_pins_balanced(TIMEOUT_MS, &acq, &rel);

	EXPECT_EQ(0, ret) TH_LOG("nr_foll_pin_acquired %lld, nr_foll_pin_released %lld",
				 acq, rel);
}

TEST_HARNESS_MAIN
