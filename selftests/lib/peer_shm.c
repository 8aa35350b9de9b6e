// SPDX-License-Identifier: GPL-2.0
/*
 * Peers: the memory operations.  See peer.h.  Accesses run as probes
 * (memory.h): the reply says which signal one raised.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "calls.h"
#include "memory.h"
#include "peer.h"

static void *op_addr(const struct peer_msg *m)
{
	return (void *)(uintptr_t)m->a[0];
}

static void op_report(struct peer_reply *r, const struct shm_fault *f)
{
	r->signo = f->signo;
	r->si_code = f->code;
	r->fault_addr = f->addr;
}

static void op_mmap_anon(struct peer_state *s, struct peer_msg *m,
			 struct peer_reply *r)
{
	void *p = mmap(NULL, m->a[0], (int)m->a[1],
		       MAP_PRIVATE | MAP_ANONYMOUS | (int)m->a[2], -1, 0);

	(void)s;
	r->ret = p == MAP_FAILED ? -errno : 0;
	r->v[0] = p == MAP_FAILED ? 0 : (uintptr_t)p;
}

static void op_mmap_id(struct peer_state *s, struct peer_msg *m,
		       struct peer_reply *r)
{
	void *p = iuc_mmap_segment(peer_fd(s, m), m->a[3], m->a[0], (int)m->a[1],
				   (int)m->a[2]);

	r->ret = p == MAP_FAILED ? -errno : 0;
	r->v[0] = p == MAP_FAILED ? 0 : (uintptr_t)p;
}

static void op_munmap(struct peer_state *s, struct peer_msg *m,
		      struct peer_reply *r)
{
	(void)s;
	r->ret = munmap(op_addr(m), m->a[1]) ? -errno : 0;
}

static void op_mprotect(struct peer_state *s, struct peer_msg *m,
			struct peer_reply *r)
{
	(void)s;
	r->ret = mprotect(op_addr(m), m->a[1], (int)m->a[2]) ? -errno : 0;
}

static void op_read64(struct peer_state *s, struct peer_msg *m,
		      struct peer_reply *r)
{
	struct shm_fault f = { 0 };

	(void)s;
	shm_read64(op_addr(m), &r->v[0], &f);
	op_report(r, &f);
}

static void op_write64(struct peer_state *s, struct peer_msg *m,
		       struct peer_reply *r)
{
	struct shm_fault f = { 0 };

	(void)s;
	shm_write64(op_addr(m), m->a[1], &f);
	op_report(r, &f);
}

static void op_fill(struct peer_state *s, struct peer_msg *m,
		    struct peer_reply *r)
{
	struct shm_fault f = { 0 };

	(void)s;
	shm_fill(op_addr(m), m->a[1], m->a[2], &f);
	op_report(r, &f);
}

static void op_check(struct peer_state *s, struct peer_msg *m,
		     struct peer_reply *r)
{
	struct shm_fault f = { 0 };
	size_t bad = 0;
	int ret = shm_check(op_addr(m), m->a[1], m->a[2], &bad, &f);

	(void)s;
	r->ret = ret < 0 ? ret : 0;
	r->v[0] = bad;
	op_report(r, &f);
}

static void op_call(struct peer_state *s, struct peer_msg *m,
		    struct peer_reply *r)
{
	struct shm_fault f = { 0 };

	(void)s;
	shm_call(op_addr(m), &r->v[0], &f);
	op_report(r, &f);
}

static void op_share(struct peer_state *s, struct peer_msg *m,
		     struct peer_reply *r)
{
	r->u.share = m->u.share;
	r->ret = iuc_share_mem(peer_fd(s, m), &r->u.share);
	r->error = r->u.share.error;
}

static void op_unshare(struct peer_state *s, struct peer_msg *m,
		       struct peer_reply *r)
{
	r->ret = iuc_unshare_mem(peer_fd(s, m), m->a[0], &r->error);
}

static void op_unmap(struct peer_state *s, struct peer_msg *m,
		     struct peer_reply *r)
{
	r->ret = iuc_mem_unmap(peer_fd(s, m), m->a[0], &r->error);
}

static void op_mem_info(struct peer_state *s, struct peer_msg *m,
			struct peer_reply *r)
{
	r->ret = iuc_mem_info(peer_fd(s, m), m->a[0], &r->u.mem_info);
	r->error = r->u.mem_info.error;
}

static void op_zero_alias(struct peer_state *s, struct peer_msg *m,
			  struct peer_reply *r)
{
	struct shm_fault f = { 0 };
	int ret = shm_zero_alias(op_addr(m), &f);

	(void)s;
	r->ret = ret < 0 ? ret : 0;
	r->v[0] = ret == 1;
	op_report(r, &f);
}

static void op_vmsize(struct peer_state *s, struct peer_msg *m,
		      struct peer_reply *r)
{
	(void)s;
	(void)m;
	r->v[0] = vm_size();
}

static void op_map_arena(struct peer_state *s, struct peer_msg *m,
			 struct peer_reply *r)
{
	r->ret = iuc_map_arena(peer_fd(s, m), m->a[0], &r->v[0], &r->error);
}

static const peer_op_fn peer_shm_ops[] = {
	[PEER_MMAP_ANON - PEER_MMAP_ANON] = op_mmap_anon,
	[PEER_MMAP_ID - PEER_MMAP_ANON] = op_mmap_id,
	[PEER_MUNMAP - PEER_MMAP_ANON] = op_munmap,
	[PEER_MPROTECT - PEER_MMAP_ANON] = op_mprotect,
	[PEER_READ64 - PEER_MMAP_ANON] = op_read64,
	[PEER_WRITE64 - PEER_MMAP_ANON] = op_write64,
	[PEER_FILL - PEER_MMAP_ANON] = op_fill,
	[PEER_CHECK - PEER_MMAP_ANON] = op_check,
	[PEER_CALL - PEER_MMAP_ANON] = op_call,
	[PEER_SHARE - PEER_MMAP_ANON] = op_share,
	[PEER_UNSHARE - PEER_MMAP_ANON] = op_unshare,
	[PEER_UNMAP - PEER_MMAP_ANON] = op_unmap,
	[PEER_MEM_INFO - PEER_MMAP_ANON] = op_mem_info,
	[PEER_ZERO_ALIAS - PEER_MMAP_ANON] = op_zero_alias,
	[PEER_VMSIZE - PEER_MMAP_ANON] = op_vmsize,
	[PEER_MAP_ARENA - PEER_MMAP_ANON] = op_map_arena,
};

const struct peer_area peer_shm_area = {
	.base = PEER_MMAP_ANON, .end = PEER_SHM_END, .ops = peer_shm_ops,
};

/* ---- memory commands --------------------------------------------------------------- */

int peer_share(struct peer *p, struct iuc_share_mem *a)
{
	struct peer_msg m = peer_msg(PEER_SHARE, 0, 0);
	struct peer_reply r;
	int ret;

	m.u.share = *a;
	ret = peer_call(p, &m, &r);
	if (ret != PEER_BROKEN)
		*a = r.u.share;
	return ret;
}

int peer_unshare_mem(struct peer *p, uint64_t seg, uint32_t *err)
{
	return peer_do(p, PEER_UNSHARE, seg, err);
}

int peer_mem_unmap(struct peer *p, uint64_t seg, uint32_t *err)
{
	return peer_do(p, PEER_UNMAP, seg, err);
}

uint64_t peer_map_arena(struct peer *p, uint64_t len, uint32_t *err)
{
	struct peer_reply r;
	int ret = peer_cmd(p, PEER_MAP_ARENA, len, 0, 0, 0, &r);

	if (err)
		*err = r.error;
	return ret ? 0 : r.v[0];
}

int peer_mem_info(struct peer *p, uint64_t seg, struct iuc_mem_sharing_info *out)
{
	struct peer_reply r;
	int ret = peer_cmd(p, PEER_MEM_INFO, seg, 0, 0, 0, &r);

	*out = r.u.mem_info;
	return ret;
}

uint64_t peer_mmap_id(struct peer *p, uint64_t seg, uint64_t len, int prot,
		      int flags, int *err)
{
	struct peer_reply r;
	int ret = peer_cmd(p, PEER_MMAP_ID, len, (uint64_t)prot, (uint64_t)flags,
			   seg, &r);

	if (err)
		*err = ret;
	return ret ? 0 : r.v[0];
}

uint64_t peer_anon(struct peer *p, uint64_t len, int prot)
{
	struct peer_reply r;

	if (peer_cmd(p, PEER_MMAP_ANON, len, (uint64_t)prot, 0, 0, &r))
		return 0;
	return r.v[0];
}

/* A probe command: PEER_BROKEN, the signal raised, or @r's ret. */
static int peer_probe(struct peer *p, uint32_t op, uint64_t addr, uint64_t a1,
		      uint64_t a2, struct peer_reply *r)
{
	if (peer_cmd(p, op, addr, a1, a2, 0, r) == PEER_BROKEN)
		return PEER_BROKEN;
	return r->signo ? r->signo : (int)r->ret;
}

int peer_read64(struct peer *p, uint64_t addr, uint64_t *v)
{
	struct peer_reply r;
	int ret = peer_probe(p, PEER_READ64, addr, 0, 0, &r);

	if (ret != PEER_BROKEN && v)
		*v = r.v[0];
	return ret;
}

int peer_write64(struct peer *p, uint64_t addr, uint64_t v)
{
	struct peer_reply r;

	return peer_probe(p, PEER_WRITE64, addr, v, 0, &r);
}

int peer_fill(struct peer *p, uint64_t addr, uint64_t len, uint64_t tag)
{
	struct peer_reply r;

	return peer_probe(p, PEER_FILL, addr, len, tag, &r);
}

int peer_check(struct peer *p, uint64_t addr, uint64_t len, uint64_t tag)
{
	struct peer_reply r;
	int ret = peer_probe(p, PEER_CHECK, addr, len, tag, &r);

	if (ret == -EILSEQ)
		fprintf(stderr, "# peer %d: pattern %llu wrong at offset %llu\n",
			p->pid, (unsigned long long)tag,
			(unsigned long long)r.v[0]);
	return ret;
}
