// SPDX-License-Identifier: GPL-2.0
/*
 * IUC selftests: shared memory at size and under SIGKILL.
 *
 * - a 256 MiB exclusive segment, its pattern checked at every page, on
 *   the sharer's own frames;
 * - sharers SIGKILLed at varying points of a loop of SHARE_MEM calls: the
 *   receiver gets every segment it was told about, exclusive ones intact,
 *   mutual ones revoked with "sharer terminated", every FOLL_PIN
 *   released, and sharing works as before.
 *
 * That every FOLL_PIN taken here was released is checked again by
 * iuc_pins_final_test, which runs after all the tests.
 */
#include "kselftest_harness.h"
#include "iuc_test.h"

/*
 * The test process, a context that handles both memory records, and a
 * ready receiver.
 */
FIXTURE(big) {
	int fd;
	struct peer rcv;
};

FIXTURE_SETUP(big)
{
	ASSERT_EQ(0, shm_probe_install());
	self->fd = iuc_shm_ctx();
	ASSERT_LE(0, self->fd);
	/* the peer first: a fork after a fill would make the pin copy it all */
	ASSERT_EQ(0, peer_start_receiver(&self->rcv));
}

FIXTURE_TEARDOWN(big)
{
	EXPECT_EQ(0, peer_stop(&self->rcv));
	close(self->fd);
}

/* The next record of @rcv: RECV_SHARED_MEM of @seg, @len bytes; its start. */
static uint64_t recv_start(struct __test_metadata *_metadata, struct peer *rcv,
			   uint64_t seg, uint64_t len, uint8_t mode)
{
	struct iuc_signal s;

	ASSERT_EQ(0, peer_read_sig(rcv, &s, TIMEOUT_MS));
	ASSERT_EQ(IUC_SIG_RECV_SHARED_MEM, s.code);
	EXPECT_EQ(seg, s.object);
	EXPECT_EQ(len, s.data.recv_shared_mem.length);
	EXPECT_EQ(mode, s.data.recv_shared_mem.mode);
	EXPECT_NE(0, s.data.recv_shared_mem.start);
	return s.data.recv_shared_mem.start;
}

/*
 * 256 MiB, exclusive: the receiver's mapping holds the pattern of every
 * page and nothing else reaches it (sampled: a pipe referencing the
 * sharer's frames, vmsplice, keeps returning what the sharer wrote, never
 * what the receiver writes); the sharer lost the range.  MEM_UNMAP
 * returns it all.
 */
TEST_F_TIMEOUT(big, exclusive_256mib_segment_is_intact_and_unaliased, 280)
{
	const size_t len = 256ul << 20;
	const size_t samples[] = { 0, 1, 4095, 32768, 65534, 65535 };
	struct peer *rcv = &self->rcv;
	char *p = shm_anon(len);
	uint64_t start, seg;
	struct iuc_share_mem a;
	void *pages[6];
	char buf[PAGE];
	uint32_t err;
	int wit[2];

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, shm_fill(p, len, 256, NULL));
	for (size_t i = 0; i < 6; i++)
		pages[i] = p + samples[i] * PAGE;
	ASSERT_EQ(0, witness_take(wit, pages, 6));
	a = iuc_share_args(rcv->pid, p, len, IUC_SHARE_EXCLUSIVE, 0, IUC_NOTIFY);
	a.command = 256;
	ASSERT_EQ(0, iuc_share_mem(self->fd, &a)) TH_LOG("error 0x%x", a.error);
	seg = a.segment;
	EXPECT_EQ(SIGSEGV, shm_read64(p + len / 2, NULL, NULL));
	EXPECT_EQ(1, range_unmapped((uintptr_t)p, len));

	start = recv_start(_metadata, rcv, seg, len, IUC_SHARE_EXCLUSIVE);
	ASSERT_NE(0, start);
	EXPECT_EQ(0, peer_check(rcv, start, len, 256));
	EXPECT_EQ(0, peer_fill(rcv, start, len, 257));
	EXPECT_EQ(0, peer_check(rcv, start, len, 257));
	for (size_t i = 0; i < 6; i++) {
		ASSERT_EQ(0, witness_read(wit[0], buf));
		EXPECT_EQ(shm_pat(256, samples[i]), *(uint64_t *)buf)
			TH_LOG("page %zu", samples[i]);
		EXPECT_EQ(~shm_pat(256, samples[i]), *(uint64_t *)(buf + PAGE - 8));
	}
	close(wit[0]);
	close(wit[1]);
	EXPECT_EQ(0, peer_mem_unmap(rcv, seg, &err));
	EXPECT_EQ(IUC_E_NONE, err);
	EXPECT_EQ(SIGSEGV, peer_read64(rcv, start, NULL));
}

#define ROUNDS		12
#define ITERATIONS	150
#define MUT_PAGES	8
#define EXC_PAGES	4
#define EXC_TAG		0x1000

/*
 * The sharer of one round: shares mutual (overlapping windows of one
 * buffer) and exclusive (fresh memory, pattern tagged with the command)
 * segments with @to, notified, until killed.  It writes one byte to
 * @progress when it starts and one after each iteration.
 */
static void __attribute__((noreturn)) loop_sharer(pid_t to, int progress)
{
	int fd = iuc_open();
	char *mut = shm_anon((MUT_PAGES + 8) * PAGE);

	if (fd < 0 || !mut)
		_exit(1);
	shm_fill(mut, (MUT_PAGES + 8) * PAGE, 0, NULL);
	if (write(progress, "s", 1) != 1)
		_exit(2);
	for (int i = 0; i < ITERATIONS; i++) {
		struct iuc_share_mem a;
		char *ex;

		a = iuc_share_args(to, mut + (i % 8) * PAGE, MUT_PAGES * PAGE,
				   IUC_SHARE_MUTUAL, SHM_ACCESS_RW, IUC_NOTIFY);
		a.command = (uint16_t)i;
		iuc_share_mem(fd, &a);

		ex = shm_anon(EXC_PAGES * PAGE);
		if (!ex)
			_exit(3);
		shm_fill(ex, EXC_PAGES * PAGE, EXC_TAG + i, NULL);
		a = iuc_share_args(to, ex, EXC_PAGES * PAGE, IUC_SHARE_EXCLUSIVE,
				   0, IUC_NOTIFY);
		a.command = (uint16_t)i;
		if (iuc_share_mem(fd, &a))
			munmap(ex, EXC_PAGES * PAGE);
		if (write(progress, "i", 1) != 1)
			_exit(4);
	}
	for (;;)
		pause();
}

struct round_state {
	uint64_t mutual[2 * ITERATIONS];
	uint64_t mutual_start[2 * ITERATIONS];
	bool revoked[2 * ITERATIONS];
	int nmutual, nrevoked, nexclusive;
};

/* Take one record of the round; false on a wrong record. */
static bool take_record(struct __test_metadata *_metadata, int fd,
			struct round_state *st, const struct iuc_signal *s)
{
	if (s->code == IUC_SIG_RECV_SHARED_MEM) {
		const struct iuc_sig_recv_shared_mem *d = &s->data.recv_shared_mem;
		uint32_t err;

		if (d->mode == IUC_SHARE_EXCLUSIVE) {
			EXPECT_EQ(EXC_PAGES * PAGE, d->length);
			EXPECT_NE(0, d->start);
			if (!d->start)
				return false;
			EXPECT_EQ(0, shm_check((void *)(uintptr_t)d->start,
					       EXC_PAGES * PAGE,
					       EXC_TAG + d->command, NULL, NULL))
				TH_LOG("exclusive segment %llu, command %u",
				       (unsigned long long)s->object, d->command);
			EXPECT_EQ(0, iuc_mem_unmap(fd, s->object, &err));
			st->nexclusive++;
			return true;
		}
		EXPECT_EQ(MUT_PAGES * PAGE, d->length);
		EXPECT_EQ(SHM_ACCESS_RW, d->access);
		if (st->nmutual >= 2 * ITERATIONS)
			return false;
		st->mutual_start[st->nmutual] = d->start;
		st->mutual[st->nmutual++] = s->object;
		return true;
	}
	EXPECT_EQ(IUC_SIG_UNSHARED_MEM, s->code);
	if (s->code != IUC_SIG_UNSHARED_MEM)
		return false;
	EXPECT_EQ(IUC_UNSHARED_SHARER_DIED, s->data.unshared_mem.type);
	for (int i = 0; i < st->nmutual; i++) {
		if (st->mutual[i] == s->data.unshared_mem.segment &&
		    !st->revoked[i]) {
			st->revoked[i] = true;
			st->nrevoked++;
			return true;
		}
	}
	TH_LOG("UNSHARED_MEM of segment %llu never received",
	       (unsigned long long)s->data.unshared_mem.segment);
	return false;
}

/*
 * Sharers SIGKILLed while sharing, at a later iteration each round (the
 * kill lands after the sharer reported that many, while it goes on):
 * every record the receiver got is consistent, every exclusive segment
 * holds its pattern, every mutual segment is revoked (UNSHARED_MEM
 * "sharer terminated", SIGBUS), nothing stays pinned, and the system then
 * works as before.
 */
TEST_F_TIMEOUT(big, sharers_killed_while_sharing_leave_consistent_segments, 280)
{
	int fd = self->fd;
	int total_mut = 0, total_exc = 0;
	long long acq, rel;

	for (int round = 0; round < ROUNDS; round++) {
		struct round_state *st = calloc(1, sizeof(*st));
		char done[1 + ITERATIONS];
		struct iuc_signal s;
		int progress[2];
		pid_t child;

		ASSERT_NE(NULL, st);
		ASSERT_EQ(0, pipe2(progress, O_CLOEXEC));
		child = fork();
		ASSERT_LE(0, child);
		if (child == 0) {
			close(fd);
			close(progress[0]);
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			loop_sharer(getppid(), progress[1]);
		}
		close(progress[1]);
		/* started, and round * ITERATIONS / ROUNDS iterations done */
		ASSERT_EQ(0, read_full(progress[0], done,
				       1 + round * ITERATIONS / ROUNDS, TIMEOUT_MS));
		ASSERT_EQ(0, kill(child, SIGKILL));
		ASSERT_EQ(SIGKILL, wait_child(child, true));
		close(progress[0]);

		/* everything shared so far is queued; revocations follow */
		while (iuc_poll(fd, POLLIN, 0) & POLLIN) {
			ASSERT_EQ(0, iuc_read_sig(fd, &s, TIMEOUT_MS));
			ASSERT_TRUE(take_record(_metadata, fd, st, &s));
		}
		while (st->nrevoked < st->nmutual) {
			ASSERT_EQ(0, iuc_read_sig(fd, &s, TIMEOUT_MS))
				TH_LOG("round %d: %d of %d mutual segments revoked",
				       round, st->nrevoked, st->nmutual);
			ASSERT_TRUE(take_record(_metadata, fd, st, &s));
		}
		for (int i = 0; i < st->nmutual; i++) {
			void *m = (void *)(uintptr_t)st->mutual_start[i];

			if (!m)
				continue;
			EXPECT_EQ(SIGBUS, shm_read64(m, NULL, NULL));
			EXPECT_EQ(0, munmap(m, MUT_PAGES * PAGE));
		}
		EXPECT_EQ(0, iuc_poll(fd, POLLIN, 0));
		total_mut += st->nmutual;
		total_exc += st->nexclusive;
		free(st);
	}
	TH_LOG("%d mutual and %d exclusive segments in %d rounds",
	       total_mut, total_exc, ROUNDS);
	EXPECT_LT(0, total_mut + total_exc);

	/* nothing stays pinned, and sharing works as before */
	EXPECT_EQ(0, wait_pins_balanced(TIMEOUT_MS, &acq, &rel))
		TH_LOG("acquired %lld released %lld", acq, rel);
	{
		char *p = shm_anon(4 * PAGE);
		struct iuc_share_mem a;
		uint64_t start;

		ASSERT_NE(NULL, p);
		ASSERT_EQ(0, shm_fill(p, 4 * PAGE, 9, NULL));
		a = iuc_share_args(self->rcv.pid, p, 4 * PAGE, IUC_SHARE_EXCLUSIVE,
				   0, IUC_NOTIFY);
		ASSERT_EQ(0, iuc_share_mem(fd, &a));
		start = recv_start(_metadata, &self->rcv, a.segment, 4 * PAGE,
				   IUC_SHARE_EXCLUSIVE);
		ASSERT_NE(0, start);
		EXPECT_EQ(0, peer_check(&self->rcv, start, 4 * PAGE, 9));
	}
}

TEST_HARNESS_MAIN
