/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Deterministic races for the IUC selftests, with the kernel's own tools:
 *
 *  - a userfaultfd "stall": a user buffer whose last page(s) are missing
 *    and registered with userfaultfd, so that a copy_from_user() or
 *    copy_to_user() in the module stops at a chosen byte, with whatever
 *    locks the module holds there, until the test releases it;
 *  - a thread runner that tells when a thread is asleep in the kernel
 *    (its /proc state is 'S' or 'D'), so that "B runs while A waits"
 *    needs no sleep.
 *
 * A stalled copy is resolved by UFFDIO_COPY of the page's contents (or
 * UFFDIO_ZEROPAGE), so the call then completes as if nothing happened.
 */
#ifndef IUC_LIB_RACE_H
#define IUC_LIB_RACE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RACE_TIMEOUT_MS	10000

/*
 * A region of @npages pages: the first @npages - @nstall are ordinary
 * memory, the last @nstall are registered with userfaultfd and missing.
 * The first access to a stalled page parks the accessing thread (in the
 * kernel, if the access is a user copy) until uffd_stall_release().
 */
struct uffd_stall {
	int		uffd;
	char		*base;
	size_t		npages;
	size_t		nstall;
	size_t		page;
	uint64_t	fault_addr;	/* the address that stalled, once hit */
	bool		hit;
};

struct race_thread {
	pthread_t	thread;
	pid_t		tid;		/* set by the thread itself */
	void		*(*fn)(void *arg);
	void		*arg;
	void		*ret;
	volatile int	started;
};

/*
 * An unmap stall: [@addr, +@len), populated private anonymous memory,
 * registered with a userfaultfd that asks for UFFD_EVENT_UNMAP.  Whatever
 * unmaps it (munmap(2), or vm_munmap() inside a call) waits after the
 * unmap, holding no mmap_lock, until the event is read: the call is parked
 * between its unmap and its return, until uffd_unmap_stall_release().
 */
struct uffd_unmap_stall {
	int	uffd;
};

long race_page_size(void);

/* The first stalled byte: a copy of [p, end) stops here. */
char *uffd_stall_addr(struct uffd_stall *s);

/*
 * A userfaultfd with @features that watches [@addr, +@len) for missing
 * pages.  Returns the fd, or -errno (-ENOSYS: no userfaultfd here).
 */
int uffd_open_register(void *addr, size_t len, __u64 features);

/* Returns 0, or -errno (-ENOSYS: no userfaultfd in this kernel). */
int uffd_stall_init(struct uffd_stall *s, size_t npages,
		    size_t nstall);

/*
 * Wait until some thread faulted on a stalled page.  Returns 0 (the
 * faulting thread is parked) or -ETIMEDOUT.
 */
int uffd_stall_wait(struct uffd_stall *s, int timeout_ms);

/*
 * Fill the stalled page that was hit with @fill (or with bytes @src,
 * one page, if not NULL) and let the parked thread go on.
 */
int uffd_stall_release(struct uffd_stall *s, const void *src,
		       int fill);

void uffd_stall_destroy(struct uffd_stall *s);

int race_thread_start(struct race_thread *t,
		      void *(*fn)(void *), void *arg);

void *race_thread_join(struct race_thread *t);

/* The scheduler state letter of thread @tid of this process ('?' if gone). */
char race_thread_state(pid_t tid);

/* The scheduler state letter of thread @tid of process @pid ('?' if gone). */
char race_task_state(pid_t pid, pid_t tid);

/*
 * Wait until thread @tid sleeps in the kernel (state S or D), which for a
 * thread that does nothing but one call means: blocked inside it.
 * Returns 0 or -ETIMEDOUT.
 */
int race_wait_asleep(pid_t tid, int timeout_ms);
/* The same for thread @tid of another process @pid (a peer: @tid = @pid). */
int race_wait_task_asleep(pid_t pid, pid_t tid, int timeout_ms);

/* Run the calling thread on @cpu only. */
int race_pin_cpu(int cpu);

/*
 * Make the calling thread SCHED_IDLE: on a CPU shared with a normal
 * thread it runs only when that one sleeps.
 */
int race_sched_idle(void);

/* Returns 0, or -errno (-ENOSYS: no userfaultfd in this kernel). */
int uffd_unmap_stall_init(struct uffd_unmap_stall *s, void *addr,
			  size_t len);

/*
 * Wait until the unmap happened and its thread is parked (the event is
 * pending; it is not read).  Returns 0 or -ETIMEDOUT.
 */
int uffd_unmap_stall_wait(struct uffd_unmap_stall *s, int timeout_ms);

/* Read the UNMAP event: the parked thread goes on.  0 or -errno. */
int uffd_unmap_stall_release(struct uffd_unmap_stall *s);

void uffd_unmap_stall_destroy(struct uffd_unmap_stall *s);

#ifdef __cplusplus
}
#endif

#endif /* IUC_LIB_RACE_H */
