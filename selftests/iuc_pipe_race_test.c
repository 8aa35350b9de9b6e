// SPDX-License-Identifier: GPL-2.0
/*
 * IUC selftests: pipe races.
 *
 * - Message slots: writers that sleep for room must not take a message
 *   length slot before they hold the pipe again (a heap overwrite once).
 *
 * The races are ordered, not timed: a thread that must be waiting is
 * seen asleep in the kernel (/proc state, PIPE_INFO's WRITE_PENDING).
 */
#include "kselftest_harness.h"
#include "iuc_pipe_util.h"
#include "iuc_race_util.h"

/* A pipe from the test process to itself: it holds both ends. */
static int open_self(int fd, uint8_t mode, uint8_t mult, struct iuc_open_pipe *op)
{
	*op = iuc_pipe_args(getpid(), 0x77);
	op->mode = mode;
	op->multiplier = mult;
	op->notify = IUC_NOTIFY_SKIP;
	return iuc_open_pipe(fd, op);
}

/* ---- one blocking call in a thread ---------------------------------------- */

struct io_thread {
	struct px_async as;
	union {
		struct iuc_pipe_write w;
		struct iuc_pipe_read r;
	} u;
	char *buf;
	uint64_t len;
};

/*
 * Start a thread that writes (@write) or reads @len bytes of @buf in one
 * IUC_IO_BLOCK call on @id, and wait until it runs.  0 or -errno.
 */
static int io_start(struct io_thread *t, int fd, uint64_t id, bool write,
		    char *buf, uint64_t len)
{
	int ret;

	memset(&t->u, 0, sizeof(t->u));
	t->buf = buf;
	t->len = len;
	if (write) {
		t->u.w.error = ERR_SENTINEL;
		t->u.w.id = id;
		t->u.w.count = len;
		t->u.w.buf = (uintptr_t)buf;
		t->u.w.mode = IUC_IO_BLOCK;
	} else {
		t->u.r.error = ERR_SENTINEL;
		t->u.r.id = id;
		t->u.r.count = (uint32_t)len;
		t->u.r.buf = (uintptr_t)buf;
		t->u.r.mode = IUC_IO_BLOCK;
	}
	ret = px_async_start(&t->as, fd, write ? IUC_IOC_PIPE_WRITE : IUC_IOC_PIPE_READ,
			     &t->u);
	if (ret)
		return ret;
	while (!__atomic_load_n(&t->as.tid, __ATOMIC_SEQ_CST))
		sched_yield();
	return 0;
}

/* ---- message slots ----------------------------------------------------------- */

#define SLOT_FILL	15	/* messages queued: the ring has 16 slots */
#define SLOT_BIG	(IUC_PIPE_UNIT - (SLOT_FILL - 1))	/* fills the pipe */

/*
 * A 64 KiB message pipe holds 15 messages (the ring of lengths has 16
 * slots) and is full.  Three writers (65000, 2 and 3 bytes) block for
 * room, one after the other.  Reading the big first message makes room
 * for all three: 14 + 3 = 17 messages.  Each of the 17 must come out
 * whole, with its own length and bytes.  Before the fix each writer took
 * its slot before sleeping: the third one's length overwrote that of the
 * oldest pending message (a heap overwrite once lengths and bytes
 * disagree).
 */
TEST(message_slot_taken_at_write)
{
	static const uint64_t lens[3] = { 65000, 2, 3 };
	struct io_thread wr[3];
	struct iuc_open_pipe op;
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	bool seen[3] = { false };
	char *msg[3], *buf = malloc(IUC_MESSAGE_MAX);
	int fd = px_ctx();

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, open_self(fd, IUC_PIPE_MODE_MESSAGE, 1, &op));

	px_pat_fill(buf, SLOT_BIG, 50, 0);
	ASSERT_EQ(0, px_write(fd, op.id, buf, SLOT_BIG, IUC_IO_TRY, &w));
	for (int i = 1; i < SLOT_FILL; i++) {
		char c = (char)i;

		ASSERT_EQ(0, px_write(fd, op.id, &c, 1, IUC_IO_TRY, &w)) TH_LOG("msg %d", i);
	}
	ASSERT_EQ(0, px_room(fd, op.id));

	for (int i = 0; i < 3; i++) {
		msg[i] = malloc(lens[i]);
		ASSERT_NE(NULL, msg[i]);
		px_pat_fill(msg[i], lens[i], 60 + i, 0);
		ASSERT_EQ(0, io_start(&wr[i], fd, op.id, true, msg[i], lens[i]));
		if (!i) {
			ASSERT_TRUE(px_wait_status(fd, op.id, IUC_PIPE_WRITE_PENDING,
						   IUC_PIPE_WRITE_PENDING));
		}
		ASSERT_EQ(0, race_wait_asleep(wr[i].as.tid, RACE_TIMEOUT_MS));
		ASSERT_FALSE(px_async_done(&wr[i].as));
	}

	/* Room for all three writers. */
	ASSERT_EQ(0, px_read(fd, op.peer_id, buf, IUC_MESSAGE_MAX, IUC_IO_BLOCK, &r));
	ASSERT_EQ(SLOT_BIG, r.transferred);
	ASSERT_EQ(PX_NO_BAD, px_pat_check(buf, SLOT_BIG, 50, 0));
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, px_async_join(&wr[i].as));
		EXPECT_EQ(0, wr[i].as.ret);
		EXPECT_EQ(IUC_E_NONE, wr[i].u.w.error);
		EXPECT_EQ(lens[i], wr[i].u.w.transferred);
	}

	for (int i = 1; i < SLOT_FILL; i++) {
		memset(buf, 0, 16);
		ASSERT_EQ(0, px_read(fd, op.peer_id, buf, IUC_MESSAGE_MAX, IUC_IO_TRY, &r));
		ASSERT_EQ(1, r.result) TH_LOG("message %d has length %llu", i,
					      (unsigned long long)r.result);
		ASSERT_EQ(1, r.transferred);
		ASSERT_EQ((char)i, buf[0]);
	}
	for (int n = 0; n < 3; n++) {
		int i;

		ASSERT_EQ(0, px_read(fd, op.peer_id, buf, IUC_MESSAGE_MAX, IUC_IO_TRY, &r));
		for (i = 0; i < 3 && (seen[i] || lens[i] != r.transferred); i++)
			;
		ASSERT_GT(3, i) TH_LOG("writer message of length %llu",
				       (unsigned long long)r.transferred);
		seen[i] = true;
		EXPECT_EQ(r.result, r.transferred);
		EXPECT_EQ(0, memcmp(buf, msg[i], lens[i]));
	}
	EXPECT_EQ(-EAGAIN, px_read(fd, op.peer_id, buf, IUC_MESSAGE_MAX, IUC_IO_TRY, &r));
	EXPECT_EQ(IUC_TRY_NOT_ENOUGH, r.result);
	EXPECT_EQ(IUC_PIPE_UNIT, px_room(fd, op.id));
	for (int i = 0; i < 3; i++)
		free(msg[i]);
	free(buf);
}

TEST_HARNESS_MAIN
