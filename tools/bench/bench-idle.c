// SPDX-License-Identifier: GPL-2.0
/*
 * Idle pipe memory: what an open, idle pipe costs the kernel.  A helper
 * opens batches of 10000 pipes that stay open (IUC: OPEN_PIPE to a target
 * helper, notification skipped; Linux: pipe(2)); the kernel memory grown
 * over a batch, per pipe, is the figure.  Primary accounting: the active
 * objects of /proc/slabinfo + VmallocUsed + KernelStack + PageTables +
 * Percpu; further: /proc/meminfo Slab pages, and the kernel memory of a
 * cgroup of our own.  Metric: idle_pipe_bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define MAXCACHES	512

struct kmem {
	double	slab_obj;	/* sum of active_objs * objsize, /proc/slabinfo */
	int	ncache;		/* per cache, for the breakdown */
	char	cname[MAXCACHES][64];
	double	cbytes[MAXCACHES];
	double	slab;		/* /proc/meminfo Slab */
	double	vmalloc, kstack, ptables, percpu;
	double	memcg_kernel;	/* memory.stat "kernel" of our cgroup, or -1 */
};

static double meminfo_kb(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	return p ? strtod(p + strlen(key), NULL) * 1024.0 : 0;
}

static char cg_dir[128];

static void kmem_snapshot(struct kmem *kp)
{
	static char buf[1 << 18];
	char *line, *save;

	memset(kp, 0, sizeof(*kp));
	kp->memcg_kernel = -1;
	if (slurp("/proc/slabinfo", buf, sizeof(buf))) {
		for (line = strtok_r(buf, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			char name[64];
			unsigned long active, num, objsize;

			if (line[0] == '#' || !strncmp(line, "slabinfo", 8))
				continue;
			if (sscanf(line, "%63s %lu %lu %lu", name, &active, &num,
				   &objsize) == 4) {
				kp->slab_obj += (double)active * (double)objsize;
				if (kp->ncache < MAXCACHES) {
					snprintf(kp->cname[kp->ncache], sizeof(kp->cname[0]), "%s", name);
					kp->cbytes[kp->ncache++] = (double)active * (double)objsize;
				}
			}
		}
	}
	if (slurp("/proc/meminfo", buf, sizeof(buf))) {
		kp->slab = meminfo_kb(buf, "\nSlab:");
		kp->vmalloc = meminfo_kb(buf, "\nVmallocUsed:");
		kp->kstack = meminfo_kb(buf, "\nKernelStack:");
		kp->ptables = meminfo_kb(buf, "\nPageTables:");
		kp->percpu = meminfo_kb(buf, "\nPercpu:");
	}
	if (cg_dir[0]) {
		char path[192];

		snprintf(path, sizeof(path), "%s/memory.stat", cg_dir);
		if (slurp(path, buf, sizeof(buf))) {
			char *p = strstr(buf, "\nkernel ");

			if (p)
				kp->memcg_kernel = strtod(p + 8, NULL);
			else if (!strncmp(buf, "kernel ", 7))
				kp->memcg_kernel = strtod(buf + 7, NULL);
		}
	}
}

/* Append to @m the slab caches that grew by >= 8 bytes per pipe. */
static void slab_breakdown(struct metric *m, const char *key,
			   const struct kmem *a, const struct kmem *b, double per)
{
	bool first = true;

	extra(m, ", \"%s\": {", key);
	for (int i = 0; i < b->ncache; i++) {
		double before = 0, d;

		for (int j = 0; j < a->ncache; j++)
			if (!strcmp(a->cname[j], b->cname[i])) {
				before = a->cbytes[j];
				break;
			}
		d = (b->cbytes[i] - before) / per;
		if (d >= 8 || d <= -8) {
			extra(m, "%s\"%s\": %.0f", first ? "" : ", ", b->cname[i], d);
			first = false;
		}
	}
	extra(m, "}");
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0)
		return -errno;
	r = write(fd, val, strlen(val));
	close(fd);
	return r == (ssize_t)strlen(val) ? 0 : -1;
}

/* A cgroup v2 of our own (memory controller on), so memory.stat is ours. */
static void cgroup_setup(void)
{
	char pid[32], path[192];

	mkdir("/sys/fs/cgroup", 0755);
	if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) &&
	    mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, NULL))
		return;
	write_file("/sys/fs/cgroup/cgroup.subtree_control", "+memory");
	snprintf(cg_dir, sizeof(cg_dir), "/sys/fs/cgroup/iucbench");
	mkdir(cg_dir, 0755);
	snprintf(path, sizeof(path), "%s/cgroup.procs", cg_dir);
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (write_file(path, pid)) {
		cg_dir[0] = 0;
		return;
	}
	snprintf(path, sizeof(path), "%s/memory.stat", cg_dir);
	if (access(path, R_OK))
		cg_dir[0] = 0;
}

enum { I_IUC, I_PIPE, I_NMETH };

struct idle_cmd {
	int32_t		method;
	int32_t		target;		/* IUC: the process the pipes go to */
	uint64_t	n;
};

/* In an opener helper: open @n pipes that stay open. */
static int idle_open(int iuc, void *p)
{
	struct idle_cmd *c = p;

	for (uint64_t i = 0; i < c->n; i++) {
		if (c->method == I_IUC) {
			open_pipe(iuc, c->target, IUC_PIPE_TYPE_CALLER_SENDS,
				  IUC_PIPE_MODE_RAW, IUC_PIPE_UNIT, IUC_NOTIFY_SKIP, NULL);
		} else {
			int fds[2];

			if (pipe(fds))
				die("idle pipe #%" PRIu64, i);
		}
	}
	return 0;
}

static void settle(void)
{
	struct timespec ts = { 0, 300000000 };	/* 300 ms */

	sync();
	nanosleep(&ts, NULL);
}

static void run_idle(void)
{
	const uint64_t per = 10000;
	struct metric *mt = new_metric("idle_pipe_bytes", "bytes", false, "linux_pipe");
	struct series slab_pages[I_NMETH], memcg[I_NMETH];
	struct helper target = { .started = false }, op[I_NMETH];
	long long oldmax = -1;
	struct rlimit rl;

	memset(slab_pages, 0, sizeof(slab_pages));
	memset(memcg, 0, sizeof(memcg));
	memset(op, 0, sizeof(op));
	cgroup_setup();
	/* room for every repetition's pipes, which stay open */
	rl.rlim_cur = rl.rlim_max = (rlim_t)(2 * per * (uint64_t)(opt_reps + 1) + 256);
	if (setrlimit(RLIMIT_NOFILE, &rl))
		msg("setrlimit NOFILE: %s", strerror(errno));
	if (!opt_no_iuc) {
		oldmax = param_read(PARAM_MAX_PIPES);
		if (param_write(PARAM_MAX_PIPES, (long long)(per * (uint64_t)(opt_reps + 1) + 256)))
			msg("cannot raise max_pipes_per_process");
		helper_start(&target, NULL, 0);
		helper_open_iuc(&target, 0, 0);
	}
	for (int m = 0; m < I_NMETH; m++) {
		if (m == I_IUC && opt_no_iuc)
			continue;
		helper_start(&op[m], NULL, 0);
		if (m == I_IUC)
			helper_open_iuc(&op[m], 0, 0);
	}
	for (int rep = 0; rep < opt_reps; rep++)
		for (int m = 0; m < I_NMETH; m++) {
			static struct kmem a, b;
			struct idle_cmd c = { .method = m, .target = target.p.pid, .n = per };
			double bytes;

			if (!op[m].started)
				continue;
			settle();
			kmem_snapshot(&a);
			helper_run(&op[m], idle_open, &c, sizeof(c));
			kmem_snapshot(&b);
			if (rep == 0)
				slab_breakdown(mt, m == I_IUC ? "slab_bytes_per_pipe_iuc" :
					       "slab_bytes_per_pipe_linux", &a, &b, (double)per);
			bytes = (b.slab_obj - a.slab_obj) + (b.vmalloc - a.vmalloc) +
				(b.kstack - a.kstack) + (b.ptables - a.ptables) +
				(b.percpu - a.percpu);
			add(m == I_IUC ? &mt->iuc : &mt->peer, bytes / (double)per);
			add(&slab_pages[m], (b.slab - a.slab + b.vmalloc - a.vmalloc) / (double)per);
			if (a.memcg_kernel >= 0)
				add(&memcg[m], (b.memcg_kernel - a.memcg_kernel) / (double)per);
		}
	if (op[I_IUC].started) {
		*peer_series(mt, "iuc_by_meminfo_slab_pages") = slab_pages[I_IUC];
		if (memcg[I_IUC].n)
			*peer_series(mt, "iuc_by_memcg_kernel") = memcg[I_IUC];
	}
	*peer_series(mt, "linux_pipe_by_meminfo_slab_pages") = slab_pages[I_PIPE];
	if (memcg[I_PIPE].n)
		*peer_series(mt, "linux_pipe_by_memcg_kernel") = memcg[I_PIPE];
	snprintf(mt->note, sizeof(mt->note),
		 "primary: delta of sum(active_objs*objsize) of /proc/slabinfo + VmallocUsed + KernelStack + PageTables + Percpu, per pipe; pipes stay open, %d batches of %" PRIu64,
		 opt_reps, per);
	extra(mt, ", \"pipes_per_rep\": %" PRIu64, per);
	report(mt);
	for (int m = 0; m < I_NMETH; m++)
		helper_stop(&op[m]);
	helper_stop(&target);
	if (oldmax >= 0)
		param_write(PARAM_MAX_PIPES, oldmax);
}

const struct bench bench_idle = {
	.name = "idle", .section = "idle", .run = run_idle,
};
