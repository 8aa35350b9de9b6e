// SPDX-License-Identifier: GPL-2.0
/*
 * Deterministic races: see race.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "race.h"

long race_page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

/* The first stalled byte: a copy of [p, end) stops here. */
char *uffd_stall_addr(struct uffd_stall *s)
{
	return s->base + (s->npages - s->nstall) * s->page;
}

/*
 * A userfaultfd with @features that watches [@addr, +@len) for missing
 * pages.  Returns the fd, or -errno (-ENOSYS: no userfaultfd here).
 */
int uffd_open_register(void *addr, size_t len, __u64 features)
{
	struct uffdio_api api = { .api = UFFD_API, .features = features };
	struct uffdio_register reg = { 0 };
	int uffd, err;

	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0)
		return -errno;
	reg.range.start = (uintptr_t)addr;
	reg.range.len = len;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(uffd, UFFDIO_API, &api) || ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		err = -errno;
		close(uffd);
		return err;
	}
	return uffd;
}

/* Returns 0, or -errno (-ENOSYS: no userfaultfd in this kernel). */
int uffd_stall_init(struct uffd_stall *s, size_t npages,
		    size_t nstall)
{
	memset(s, 0, sizeof(*s));
	s->uffd = -1;
	s->page = race_page_size();
	s->npages = npages;
	s->nstall = nstall;
	s->base = mmap(NULL, npages * s->page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->base == MAP_FAILED)
		return -errno;
	/* No huge page may fill the stalled pages behind our back. */
	madvise(s->base, npages * s->page, MADV_NOHUGEPAGE);
	if (npages > nstall)
		memset(s->base, 0, (npages - nstall) * s->page);
	s->uffd = uffd_open_register(uffd_stall_addr(s), nstall * s->page, 0);
	return s->uffd < 0 ? s->uffd : 0;
}

/*
 * Wait until some thread faulted on a stalled page.  Returns 0 (the
 * faulting thread is parked) or -ETIMEDOUT.
 */
int uffd_stall_wait(struct uffd_stall *s, int timeout_ms)
{
	struct pollfd pfd = { .fd = s->uffd, .events = POLLIN };
	struct uffd_msg msg;

	if (s->hit)
		return 0;
	for (;;) {
		int n = poll(&pfd, 1, timeout_ms);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -ETIMEDOUT;
		if (read(s->uffd, &msg, sizeof(msg)) != sizeof(msg))
			continue;
		if (msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		s->fault_addr = msg.arg.pagefault.address;
		s->hit = true;
		return 0;
	}
}

/*
 * Fill the stalled page that was hit with @fill (or with bytes @src,
 * one page, if not NULL) and let the parked thread go on.
 */
int uffd_stall_release(struct uffd_stall *s, const void *src,
		       int fill)
{
	struct uffdio_copy cp = { 0 };
	char *page = NULL;
	int ret;

	if (!s->hit)
		return -EINVAL;
	if (!src) {
		page = malloc(s->page);
		if (!page)
			return -ENOMEM;
		memset(page, fill, s->page);
		src = page;
	}
	cp.dst = s->fault_addr & ~((uint64_t)s->page - 1);
	cp.src = (uintptr_t)src;
	cp.len = s->page;
	ret = ioctl(s->uffd, UFFDIO_COPY, &cp) ? -errno : 0;
	free(page);
	s->hit = false;
	return ret;
}

void uffd_stall_destroy(struct uffd_stall *s)
{
	if (s->base && s->base != MAP_FAILED)
		munmap(s->base, s->npages * s->page);
	if (s->uffd >= 0)
		close(s->uffd);
	s->base = NULL;
	s->uffd = -1;
}

/* ---- threads ------------------------------------------------------------ */


static void *race_thread_main(void *p)
{
	struct race_thread *t = p;

	t->tid = syscall(SYS_gettid);
	__atomic_store_n(&t->started, 1, __ATOMIC_RELEASE);
	return t->fn(t->arg);
}

int race_thread_start(struct race_thread *t,
		      void *(*fn)(void *), void *arg)
{
	memset(t, 0, sizeof(*t));
	t->fn = fn;
	t->arg = arg;
	if (pthread_create(&t->thread, NULL, race_thread_main, t))
		return -1;
	while (!__atomic_load_n(&t->started, __ATOMIC_ACQUIRE))
		sched_yield();
	return 0;
}

void *race_thread_join(struct race_thread *t)
{
	pthread_join(t->thread, &t->ret);
	return t->ret;
}

/* The scheduler state letter of the thread whose stat file is @path ('?' if gone). */
static char race_stat_state(const char *path)
{
	char buf[512], *p;
	FILE *f;
	size_t n;

	f = fopen(path, "r");
	if (!f)
		return '?';
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

/* The scheduler state letter of thread @tid of this process ('?' if gone). */
char race_thread_state(pid_t tid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	return race_stat_state(path);
}

/* The scheduler state letter of thread @tid of process @pid ('?' if gone). */
char race_task_state(pid_t pid, pid_t tid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	return race_stat_state(path);
}

/*
 * Wait until thread @tid sleeps in the kernel (state S or D), which for a
 * thread that does nothing but one call means: blocked inside it.
 * Returns 0 or -ETIMEDOUT.
 */
int race_wait_asleep(pid_t tid, int timeout_ms)
{
	return race_wait_task_asleep(getpid(), tid, timeout_ms);
}

int race_wait_task_asleep(pid_t pid, pid_t tid, int timeout_ms)
{
	struct timespec t0, now;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		char st = race_task_state(pid, tid);

		if (st == 'S' || st == 'D')
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - t0.tv_sec) * 1000 +
		    (now.tv_nsec - t0.tv_nsec) / 1000000 > timeout_ms)
			return -ETIMEDOUT;
		sched_yield();
	}
}

/* Run the calling thread on @cpu only. */
int race_pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/*
 * Make the calling thread SCHED_IDLE: on a CPU shared with a normal
 * thread it runs only when that one sleeps.
 */
int race_sched_idle(void)
{
	struct sched_param p = { 0 };

	return sched_setscheduler(0, SCHED_IDLE, &p);
}

/* ---- munmap stalls ------------------------------------------------------ */


/* Returns 0, or -errno (-ENOSYS: no userfaultfd in this kernel). */
int uffd_unmap_stall_init(struct uffd_unmap_stall *s, void *addr,
			  size_t len)
{
	s->uffd = uffd_open_register(addr, len, UFFD_FEATURE_EVENT_UNMAP);
	return s->uffd < 0 ? s->uffd : 0;
}

/*
 * Wait until the unmap happened and its thread is parked (the event is
 * pending; it is not read).  Returns 0 or -ETIMEDOUT.
 */
int uffd_unmap_stall_wait(struct uffd_unmap_stall *s, int timeout_ms)
{
	struct pollfd pfd = { .fd = s->uffd, .events = POLLIN };
	int n;

	do {
		n = poll(&pfd, 1, timeout_ms);
	} while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -ETIMEDOUT;
}

/* Read the UNMAP event: the parked thread goes on.  0 or -errno. */
int uffd_unmap_stall_release(struct uffd_unmap_stall *s)
{
	struct uffd_msg msg;

	if (read(s->uffd, &msg, sizeof(msg)) != sizeof(msg))
		return -errno;
	return msg.event == UFFD_EVENT_UNMAP ? 0 : -EPROTO;
}

void uffd_unmap_stall_destroy(struct uffd_unmap_stall *s)
{
	if (s->uffd >= 0)
		close(s->uffd);
	s->uffd = -1;
}
