/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What an IUC selftest includes after kselftest_harness.h: the system
 * headers the tests share and every declaration of selftests/lib.
 *
 * - calls.h:  one wrapper per ioctl of /dev/iuc (also used by tools/bench)
 * - util.h:   process, fd, signal, capability and thread helpers
 * - stream.h: self-checking data (patterns, streams, tagged messages)
 * - memory.h: fault probes, witnesses, pagemap and vmstat readers
 * - peer.h:   peers, the other processes of a scenario
 * - side.h:   the test process or a peer: one scenario in either direction
 * - race.h:   deterministic races (userfaultfd stalls, sleeping threads)
 *
 * The harness's EXPECT_* and ASSERT_* are two statements: loops and ifs
 * around them need braces.
 */
#ifndef IUC_LIB_IUC_TEST_H
#define IUC_LIB_IUC_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>	/* CAP_*: has_cap(), drop_cap() */
#include <linux/iuc.h>

#include "calls.h"
#include "memory.h"
#include "peer.h"
#include "race.h"
#include "side.h"
#include "stream.h"
#include "util.h"

#endif /* IUC_LIB_IUC_TEST_H */
