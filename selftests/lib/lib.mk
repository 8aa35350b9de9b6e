# SPDX-License-Identifier: GPL-2.0
#
# The sources of selftests/lib, for every Makefile that links them (the
# selftests, tools/bench).  Set IUC_TESTLIB_DIR to this directory first.
# iuc_peer.c is a program of its own (the image a peer execs).

IUC_TESTLIB_SRCS := $(filter-out $(IUC_TESTLIB_DIR)/iuc_peer.c,$(wildcard $(IUC_TESTLIB_DIR)/*.c))
IUC_TESTLIB_HDRS := $(wildcard $(IUC_TESTLIB_DIR)/*.h)
