// SPDX-License-Identifier: GPL-2.0
/*
 * IUC shared memory: a process hands a range of its own memory to another,
 * zero-copy, on its own physical pages.
 *
 * SHARE_MEM pins the sharer's pages long-term with write intent (which
 * breaks copy-on-write, so a forked child of the sharer keeps its own
 * copy) and charges the folios that hold them to the user's
 * RLIMIT_MEMLOCK, as io_uring does.  The receiver maps them from a file of
 * its own for segments (not its /dev/iuc file), each segment at its own
 * range of that file, into a VM_PFNMAP mapping (special page table
 * entries, as remap_pfn_range() makes), in its own context when it reads
 * the RECV_SHARED_MEM record (filled there at once), or by mmap(2) of the
 * segment id (filled on the first fault).
 *
 * A segment becomes known by its id (mmap, MEM_UNMAP, UNSHARE_MEM,
 * MEM_SHARING_INFO) and to the contexts' lists only once SHARE_MEM can no
 * longer fail; until then only the call holds it.
 *
 * Exclusive sharing unmaps the range from the sharer before the call
 * returns; the pages then belong to the receiver until it unmaps them or
 * exits.  No other mapping, pin or reference of them survives the call: a
 * page that something else still reaches once the range is unmapped is
 * given to the receiver as a copy.  Mutual sharing leaves both mappings;
 * the sharer may revoke it (UNSHARE_MEM, or by exiting): the receiver's
 * page table entries are zapped through the segment's file, whatever
 * address space they are in, without taking its mmap_lock, the pages
 * unpinned, and later accesses there raise SIGBUS.
 *
 * Only private anonymous memory can be shared: nothing else could promise
 * that no other mapping reaches the pages.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/pagemap.h>
#include <linux/pid.h>
#include <linux/pseudo_fs.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/slab.h>

#include "iuc_internal.h"

struct iuc_segment {
	/* The SHARE_MEM call, the table with the receiver's list, each mapping. */
	struct kref		ref;
	struct rcu_head		rcu;
	u64			id;

	/*
	 * @lock protects @pages (NULL once unpinned), @revoked and
	 * @receiver_addr.  Taken inside the receiver's mmap_lock by mmap and
	 * by the fault that fills a mapping.
	 */
	struct mutex		lock;
	struct page		**pages;
	bool			revoked;
	u64			receiver_addr;

	/* Membership of the contexts' lists, under their segs_lock. */
	struct list_head	sharer_node;
	struct list_head	receiver_node;

	/* Immutable once published. */
	pgoff_t			pgoff;		/* in the receiver's segment file */
	bool			arena_run;	/* @pgoff is a run of its arena */
	/* Under the receiver's arena->lock: the run may be mapped. */
	bool			placed;
	struct iuc_context	*sharer;	/* referenced */
	struct iuc_context	*receiver;	/* referenced */
	struct user_struct	*user;		/* charged for the pins */
	unsigned long		*copied;	/* exclusive: pages we copied, not pinned */
	struct iuc_event	*unshared_ev;	/* mutual: UNSHARED_MEM, until sent */
	unsigned long		nr_pages;
	unsigned long		charged;	/* pages charged to @user */
	u64			sharer_addr;
	u64			length;
	u16			command;
	u8			mode;
	u8			access;
};

/*
 * The arena of a receiver (MAP_ARENA): one mapping, made once, of a range
 * of pages of its segment file, in which SHARE_MEM reserves a run of pages
 * for each exclusive segment to it that fits (first fit).  The run's pages
 * of the file are the segment's (@pgoff), so everything that works on a
 * segment's range (revocation, a mapping by id) works on a run too.
 * Reading the segment's record fills the run in the arena; a fault there
 * fills the run of the page it hit.  Before a run can be mapped its
 * segment must be published (@placed), so that the sharer has lost the
 * pages; MEM_UNMAP, or the end of the context, takes the segment out
 * (@slots), zaps the run and only then frees it (@used), so a reused run
 * never shows the pages of the segment before.
 */
struct iuc_arena {
	/* The context's (until it is freed) and each mapping's. */
	struct kref		ref;
	/*
	 * @lock protects @used, @slots, @dead and each segment's @placed.
	 * Taken inside the mmap_lock by faults and by reading a record,
	 * outside seg->lock.
	 */
	struct mutex		lock;
	unsigned long		*used;		/* pages reserved by a segment */
	struct iuc_segment	**slots;	/* per page: its segment */
	bool			dead;		/* the context ended: no more runs */

	/* Immutable once the arena is mapped. */
	struct task_struct	*mapper;	/* MAP_ARENA's caller, while it maps */
	unsigned long		addr;		/* where MAP_ARENA mapped it */
	pgoff_t			pgoff;		/* in the segment file */
	unsigned long		nr_pages;
};

/*
 * Segments by id.  Ids come from a 64-bit counter and are never reused; a
 * SHARE_MEM in progress holds its id reserved (lookups see nothing there)
 * until it publishes the segment.
 */
static DEFINE_XARRAY(iuc_segments);
static atomic64_t iuc_next_segment_id = ATOMIC64_INIT(0);

/*
 * The files the receivers' mappings map, one per receiving context, made
 * when it receives its first segment, with an inode of its own, on this
 * module's pseudo filesystem (as dma-buf does).  A mapping must not hold
 * the receiver's /dev/iuc file, whose release ends its context.  Each
 * segment has a range of pages of the file of its own (@pgoff, never
 * reused), so the inode's address_space lists every mapping of a segment,
 * in any address space, by its range: revoking zaps them with
 * unmap_mapping_range() under the inode's i_mmap lock only.  One file per
 * receiver, not per segment: making a file (an inode, a dentry) and
 * releasing it was a good part of a small hand-off's cost.
 */
#define IUC_SHM_MAGIC	0x49554353	/* "IUCS" */

/* Pages a segment file can address: its offsets are loff_t. */
#define IUC_SEG_FILE_PAGES	((u64)(MAX_LFS_FILESIZE >> PAGE_SHIFT))

static struct vfsmount *iuc_shm_mnt;

static int iuc_shm_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, IUC_SHM_MAGIC) ? 0 : -ENOMEM;
}

/*
 * No .owner: a superblock would hold the module, which could then never
 * be unloaded.  The mount lives from module load to unload; the segment
 * files hold the module (iuc_segment_fops.owner).
 */
static struct file_system_type iuc_shm_fs_type = {
	.name			= "iuc_shm",
	.init_fs_context	= iuc_shm_init_fs_context,
	.kill_sb		= kill_anon_super,
};

static int iuc_arena_mmap(struct file *file, struct vm_area_struct *vma);
static void iuc_arena_put(struct iuc_arena *arena);

/*
 * A segment file only carries mappings.  Its mmap makes the receiver's
 * arena, for MAP_ARENA only (iuc_arena_mmap()).
 */
static const struct file_operations iuc_segment_fops = {
	.owner	= THIS_MODULE,
	.llseek	= noop_llseek,
	.mmap	= iuc_arena_mmap,
};

int __init iuc_shm_init(void)
{
	iuc_shm_mnt = kern_mount(&iuc_shm_fs_type);
	return PTR_ERR_OR_ZERO(iuc_shm_mnt);
}

void iuc_shm_exit(void)
{
	kern_unmount(iuc_shm_mnt);
}

/*
 * The segment file of @receiver, made on first use.  Two sharers may race
 * to make it: the first stored wins, the other one is released.  Set once,
 * it stays until the context is freed (iuc_segments_file_put()).
 */
static struct file *iuc_segment_file(struct iuc_context *receiver)
{
	struct inode *inode;
	struct file *file, *old;

	/* Pairs with the cmpxchg_release() below: the file is whole. */
	file = smp_load_acquire(&receiver->seg_file);
	if (file)
		return file;

	inode = alloc_anon_inode(iuc_shm_mnt->mnt_sb);
	if (IS_ERR(inode))
		return ERR_CAST(inode);
	/* The file's, given back by __fput(); we run in a call, holding one. */
	__module_get(THIS_MODULE);
	file = alloc_file_pseudo(inode, iuc_shm_mnt, "iuc-segment", O_RDWR,
				 &iuc_segment_fops);
	if (IS_ERR(file)) {
		module_put(THIS_MODULE);
		iput(inode);
		return file;
	}
	old = cmpxchg_release(&receiver->seg_file, NULL, file);
	if (old) {
		fput(file);
		file = old;
	}
	return file;
}

/*
 * The context is freed: its segment file goes with its last mapping, and
 * so does its arena (emptied when the context ended).
 */
void iuc_segments_file_put(struct iuc_context *ctx)
{
	if (ctx->arena)
		iuc_arena_put(ctx->arena);
	if (ctx->seg_file)
		fput(ctx->seg_file);
}

/* The receiver's segment file; once @seg is prepared, it exists. */
static struct file *iuc_seg_file(struct iuc_segment *seg)
{
	/* Pairs with the cmpxchg_release() of iuc_segment_file(). */
	return smp_load_acquire(&seg->receiver->seg_file);
}

static void iuc_vm_flags_set(struct vm_area_struct *vma, vm_flags_t set,
			     vm_flags_t clear)
{
#ifdef IUC_HAVE_VM_FLAGS_MOD
	vm_flags_mod(vma, set, clear);
#else
	vma->vm_flags = (vma->vm_flags | set) & ~clear;
#endif
}

/* ---- pin accounting ---------------------------------------------------- */

static int iuc_account_pins(struct user_struct *user, unsigned long nr_pages)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	unsigned long cur, new;

	if (capable(CAP_IPC_LOCK)) {
		atomic_long_add(nr_pages, &user->locked_vm);
		return 0;
	}
	cur = atomic_long_read(&user->locked_vm);
	do {
		new = cur + nr_pages;
		if (new > limit || new < cur)
			return -ENOMEM;
	} while (!atomic_long_try_cmpxchg(&user->locked_vm, &cur, new));
	return 0;
}

static void iuc_unaccount_pins(struct user_struct *user, unsigned long nr_pages)
{
	atomic_long_sub(nr_pages, &user->locked_vm);
}

/* How many pages from @i on belong to the folio of page @i. */
static unsigned long iuc_folio_run(struct page **pages, unsigned long nr,
				   unsigned long i)
{
	struct folio *folio = page_folio(pages[i]);
	unsigned long n = 1;

	while (i + n < nr && page_folio(pages[i + n]) == folio)
		n++;
	return n;
}

/*
 * What pinning @pages really holds: a pinned page keeps its whole folio
 * unmovable (one 4 KiB page of a THP holds 2 MiB), so each folio counts
 * whole, once per run of its pages (a folio met twice counts twice: more,
 * never less, than what is held).
 */
static unsigned long iuc_pins_charge(struct page **pages, unsigned long nr)
{
	unsigned long i, n, charge = 0;

	for (i = 0; i < nr; i += n) {
		n = iuc_folio_run(pages, nr, i);
		charge += folio_nr_pages(page_folio(pages[i]));
	}
	return charge;
}

/* Unpin the pages, free our copies, give back the charge.  Under seg->lock. */
static void iuc_segment_unpin(struct iuc_segment *seg)
{
	unsigned long i;

	lockdep_assert_held(&seg->lock);
	if (!seg->pages)
		return;
	if (!seg->copied) {
		unpin_user_pages(seg->pages, seg->nr_pages);
	} else {
		for (i = 0; i < seg->nr_pages; i++) {
			if (test_bit(i, seg->copied))
				put_page(seg->pages[i]);
			else
				unpin_user_page(seg->pages[i]);
		}
	}
	iuc_unaccount_pins(seg->user, seg->charged);
	kvfree(seg->pages);
	seg->pages = NULL;
}

/* ---- lifetime ---------------------------------------------------------- */

static void iuc_segment_free(struct kref *ref)
{
	struct iuc_segment *seg = container_of(ref, struct iuc_segment, ref);

	mutex_lock(&seg->lock);
	iuc_segment_unpin(seg);
	mutex_unlock(&seg->lock);
	kvfree(seg->copied);
	iuc_event_free(seg->unshared_ev);
	free_uid(seg->user);
	iuc_context_put(seg->sharer);
	iuc_context_put(seg->receiver);
	kfree_rcu(seg, rcu);
}

static void iuc_segment_put(struct iuc_segment *seg)
{
	kref_put(&seg->ref, iuc_segment_free);
}

/* The segment @id, referenced, if @ctx is its sharer or its receiver. */
static struct iuc_segment *iuc_segment_get(struct iuc_context *ctx, u64 id)
{
	struct iuc_segment *seg;

	rcu_read_lock();
	seg = xa_load(&iuc_segments, id);
	if (seg && (seg->sharer != ctx && seg->receiver != ctx))
		seg = NULL;
	if (seg && !kref_get_unless_zero(&seg->ref))
		seg = NULL;
	rcu_read_unlock();
	return seg;
}

/* Remove @seg from the table; true for the one caller that did. */
static bool iuc_segment_unpublish(struct iuc_segment *seg)
{
	return xa_cmpxchg(&iuc_segments, seg->id, seg, NULL, 0) == seg;
}

/* ---- the receiver's mappings ------------------------------------------- */

static void iuc_segment_vm_open(struct vm_area_struct *vma)
{
	struct iuc_segment *seg = vma->vm_private_data;

	kref_get(&seg->ref);
}

static void iuc_segment_vm_close(struct vm_area_struct *vma)
{
	iuc_segment_put(vma->vm_private_data);
}

struct iuc_remap {
	struct iuc_segment	*seg;
	struct mm_struct	*mm;
	unsigned long		start;
	unsigned long		first;		/* page of the segment at @start */
	pgprot_t		prot;
};

/*
 * One page table entry of the receiver's mapping: a special entry, as
 * remap_pfn_range() makes, which takes no reference on the page (the pin
 * does) and is never treated as a normal page by the core.  An entry that
 * a fault of another thread made already is left alone.
 */
static int iuc_segment_set_pte(pte_t *pte, unsigned long addr, void *data)
{
	struct iuc_remap *r = data;
	struct page *page;

	if (!pte_none(ptep_get(pte)))
		return 0;
	page = r->seg->pages[r->first + ((addr - r->start) >> PAGE_SHIFT)];
	set_pte_at(r->mm, addr, pte,
		   pte_mkspecial(pfn_pte(page_to_pfn(page), r->prot)));
	return 0;
}

/*
 * Fill [@start, @end) of @vma, where it maps pages of @seg, in one walk of
 * its page tables.  The pages are ordinary write-back RAM, so the per-page
 * memory type lookups that vmf_insert_pfn() makes for device memory are
 * not needed.  Under seg->lock, with @seg not revoked.
 */
static int iuc_segment_fill(struct iuc_segment *seg, struct vm_area_struct *vma,
			    unsigned long start, unsigned long end)
{
	struct iuc_remap r = {
		.seg	= seg,
		.mm	= vma->vm_mm,
		.start	= start,
		.first	= linear_page_index(vma, start) - seg->pgoff,
		.prot	= vma->vm_page_prot,
	};

	if (linear_page_index(vma, start) < seg->pgoff ||
	    r.first + ((end - start) >> PAGE_SHIFT) > seg->nr_pages)
		return -EINVAL;
	return apply_to_page_range(vma->vm_mm, start, end - start,
				   iuc_segment_set_pte, &r);
}

/* Fill @vma, a mapping of @seg or a part of one. */
static int iuc_segment_remap(struct iuc_segment *seg, struct vm_area_struct *vma)
{
	return iuc_segment_fill(seg, vma, vma->vm_start, vma->vm_end);
}

/*
 * The first access fills the whole mapping.  Not at mmap(2) time: a
 * mapping joins the segment file's i_mmap tree (where revoking looks for
 * it) only after ->mmap returns, so entries made there could escape a
 * revocation running in between.  A fault happens on a mapping already in
 * the tree; one that comes after the revocation raises SIGBUS.  (Reading
 * the RECV_SHARED_MEM record fills the mapping it made as soon as mmap
 * returned: iuc_segment_prefill().)
 */
static vm_fault_t iuc_segment_vm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct iuc_segment *seg = vma->vm_private_data;
	vm_fault_t ret = VM_FAULT_SIGBUS;

	mutex_lock(&seg->lock);
	if (!seg->revoked && seg->pages && !iuc_segment_remap(seg, vma))
		ret = VM_FAULT_NOPAGE;
	mutex_unlock(&seg->lock);
	return ret;
}

static const struct vm_operations_struct iuc_segment_vm_ops = {
	.open	= iuc_segment_vm_open,
	.close	= iuc_segment_vm_close,
	.fault	= iuc_segment_vm_fault,
};

/*
 * mmap(2) of an fd of /dev/iuc at offset (segment id << PAGE_SHIFT): the
 * receiver maps a segment, whole, with no more access than it was given.
 * MAP_SHARED only (VM_MAYSHARE: a shared mapping of an O_RDONLY fd has no
 * VM_SHARED).  The mapping then maps the segment's range of the
 * receiver's segment file, not this one: it is linked into that file's
 * i_mmap tree at the @vm_pgoff set here, after ->mmap returns.
 */
int iuc_segment_mmap(struct iuc_context *ctx, struct vm_area_struct *vma)
{
	struct iuc_segment *seg;
	vm_flags_t clear = 0;
	u8 access;
	int ret;

	seg = iuc_segment_get(ctx, vma->vm_pgoff);
	if (!seg)
		return -ENXIO;
	ret = -EACCES;
	if (seg->receiver != ctx)
		goto out;
	ret = -EINVAL;
	if (!(vma->vm_flags & VM_MAYSHARE) ||
	    vma->vm_end - vma->vm_start != seg->length)
		goto out;

	access = seg->mode == IUC_SHARE_EXCLUSIVE ?
		IUC_ACCESS_READ | IUC_ACCESS_WRITE : seg->access;
	ret = -EACCES;
	if (((vma->vm_flags & VM_READ) && !(access & IUC_ACCESS_READ)) ||
	    ((vma->vm_flags & VM_WRITE) && !(access & IUC_ACCESS_WRITE)) ||
	    ((vma->vm_flags & VM_EXEC) && !(access & IUC_ACCESS_EXEC)))
		goto out;
	if (!(access & IUC_ACCESS_READ))
		clear |= VM_MAYREAD;
	if (!(access & IUC_ACCESS_WRITE))
		clear |= VM_MAYWRITE;
	if (!(access & IUC_ACCESS_EXEC))
		clear |= VM_MAYEXEC;

	mutex_lock(&seg->lock);
	ret = -ENXIO;
	if (seg->revoked || !seg->pages)
		goto out_unlock;
	iuc_vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTCOPY |
			 VM_DONTDUMP, clear);
	vma->vm_ops = &iuc_segment_vm_ops;
	vma->vm_private_data = seg;
	vma->vm_pgoff = seg->pgoff;
	vma_set_file(vma, iuc_seg_file(seg));
	seg->receiver_addr = vma->vm_start;
	kref_get(&seg->ref);		/* the mapping's, dropped by ->close */
	ret = 0;
out_unlock:
	mutex_unlock(&seg->lock);
out:
	iuc_segment_put(seg);
	return ret;
}

/* ---- the receiver's arena ---------------------------------------------- */

static void iuc_arena_free(struct kref *ref)
{
	struct iuc_arena *arena = container_of(ref, struct iuc_arena, ref);

	kvfree(arena->slots);
	kvfree(arena->used);
	kfree(arena);
}

static void iuc_arena_put(struct iuc_arena *arena)
{
	kref_put(&arena->ref, iuc_arena_free);
}

/* The arena of @ctx, once mapped; NULL if none. */
static struct iuc_arena *iuc_arena_of(struct iuc_context *ctx)
{
	/* Pairs with the store_release() of MAP_ARENA: the arena is mapped. */
	return smp_load_acquire(&ctx->arena);
}

/* The first page of @seg's run, an index of @arena's pages. */
static unsigned long iuc_arena_run(struct iuc_arena *arena,
				   struct iuc_segment *seg)
{
	return seg->pgoff - arena->pgoff;
}

/*
 * SHARE_MEM: reserve a run of @receiver's arena for @seg, exclusive and
 * notified, and make it @seg's range of the segment file.  False if there
 * is no arena or no run free.  The run cannot be mapped before
 * iuc_arena_place(); iuc_arena_release() gives it back.
 */
static bool iuc_arena_reserve(struct iuc_context *receiver,
			      struct iuc_segment *seg)
{
	struct iuc_arena *arena = iuc_arena_of(receiver);
	unsigned long i, run;

	if (!arena || seg->nr_pages > arena->nr_pages)
		return false;
	mutex_lock(&arena->lock);
	run = arena->dead ? arena->nr_pages :
		bitmap_find_next_zero_area(arena->used, arena->nr_pages, 0,
					   seg->nr_pages, 0);
	if (run < arena->nr_pages) {
		bitmap_set(arena->used, run, seg->nr_pages);
		for (i = 0; i < seg->nr_pages; i++)
			arena->slots[run + i] = seg;
		seg->pgoff = arena->pgoff + run;
		seg->arena_run = true;
	}
	mutex_unlock(&arena->lock);
	return seg->arena_run;
}

/*
 * SHARE_MEM published @seg (the sharer has lost its pages): its run may be
 * mapped from now on, and holds a reference to it until it is released.
 * Not if the run was released meanwhile (MEM_UNMAP, the context's end).
 */
static void iuc_arena_place(struct iuc_segment *seg)
{
	struct iuc_arena *arena = iuc_arena_of(seg->receiver);

	mutex_lock(&arena->lock);
	if (arena->slots[iuc_arena_run(arena, seg)] == seg) {
		seg->placed = true;
		kref_get(&seg->ref);		/* the run's */
	}
	mutex_unlock(&arena->lock);
}

/*
 * Take @seg out of its run (the segment's range of the file), if it is
 * still there: zap whatever maps it, then free the run, then drop the
 * run's reference.  MEM_UNMAP, a failed SHARE_MEM, the context's end.
 */
static void iuc_arena_release(struct iuc_arena *arena, struct iuc_segment *seg)
{
	unsigned long i, run = iuc_arena_run(arena, seg);
	bool placed = false, ours = false;

	mutex_lock(&arena->lock);
	if (arena->slots[run] == seg) {
		ours = true;
		placed = seg->placed;
		seg->placed = false;
		for (i = 0; i < seg->nr_pages; i++)
			arena->slots[run + i] = NULL;
	}
	mutex_unlock(&arena->lock);
	if (!ours)
		return;

	/* Faults find no segment there now; those that came before are zapped. */
	if (placed)
		unmap_mapping_range(iuc_seg_file(seg)->f_mapping,
				    (loff_t)seg->pgoff << PAGE_SHIFT,
				    seg->length, 1);
	mutex_lock(&arena->lock);
	bitmap_clear(arena->used, run, seg->nr_pages);
	mutex_unlock(&arena->lock);
	if (placed)
		iuc_segment_put(seg);
}

/*
 * The context ends: no run is reserved any more, and every segment is
 * taken out of the arena (the mappings of the arena stay, empty: SIGBUS).
 */
static void iuc_arena_end(struct iuc_context *ctx)
{
	struct iuc_arena *arena = iuc_arena_of(ctx);
	struct iuc_segment *seg;
	unsigned long i = 0;

	if (!arena)
		return;
	mutex_lock(&arena->lock);
	arena->dead = true;
	mutex_unlock(&arena->lock);
	for (;;) {
		seg = NULL;
		mutex_lock(&arena->lock);
		for (; i < arena->nr_pages; i++) {
			seg = arena->slots[i];
			if (seg) {
				kref_get(&seg->ref);
				break;
			}
		}
		mutex_unlock(&arena->lock);
		if (!seg)
			return;
		iuc_arena_release(arena, seg);
		iuc_segment_put(seg);
	}
}

/*
 * Fill, in @vma (a mapping of the arena), the part of @seg's run that it
 * maps.  Under arena->lock, with @seg placed.
 */
static void iuc_arena_fill(struct vm_area_struct *vma, struct iuc_segment *seg)
{
	pgoff_t first = max_t(pgoff_t, seg->pgoff, vma->vm_pgoff);
	pgoff_t last = min_t(pgoff_t, seg->pgoff + seg->nr_pages,
			     vma->vm_pgoff + vma_pages(vma));
	unsigned long start;

	if (first >= last)
		return;
	start = vma->vm_start + ((first - vma->vm_pgoff) << PAGE_SHIFT);
	mutex_lock(&seg->lock);
	if (seg->pages)
		iuc_segment_fill(seg, vma, start,
				 start + ((last - first) << PAGE_SHIFT));
	mutex_unlock(&seg->lock);
}

/*
 * A fault in the arena fills the run of the segment placed there; where
 * none is, SIGBUS.
 */
static vm_fault_t iuc_arena_vm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct iuc_arena *arena = vma->vm_private_data;
	unsigned long i = vmf->pgoff - arena->pgoff;
	struct iuc_segment *seg;
	vm_fault_t ret = VM_FAULT_SIGBUS;

	if (vmf->pgoff < arena->pgoff || i >= arena->nr_pages)
		return ret;
	mutex_lock(&arena->lock);
	seg = arena->slots[i];
	if (seg && seg->placed) {
		iuc_arena_fill(vma, seg);
		ret = VM_FAULT_NOPAGE;
	}
	mutex_unlock(&arena->lock);
	return ret;
}

static void iuc_arena_vm_open(struct vm_area_struct *vma)
{
	struct iuc_arena *arena = vma->vm_private_data;

	kref_get(&arena->ref);
}

static void iuc_arena_vm_close(struct vm_area_struct *vma)
{
	iuc_arena_put(vma->vm_private_data);
}

static const struct vm_operations_struct iuc_arena_vm_ops = {
	.open	= iuc_arena_vm_open,
	.close	= iuc_arena_vm_close,
	.fault	= iuc_arena_vm_fault,
};

/*
 * mmap of a segment file: only MAP_ARENA's own vm_mmap() (the file's
 * @private_data is the arena being mapped, by the calling thread, while
 * the call holds the context's segs_lock), and only the whole arena.  A
 * file opened anew (/proc/PID/map_files) has no @private_data.
 */
static int iuc_arena_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct iuc_arena *arena = READ_ONCE(file->private_data);

	if (!arena || arena->mapper != current)
		return -ENODEV;
	if (!(vma->vm_flags & VM_MAYSHARE) || vma->vm_pgoff != arena->pgoff ||
	    vma_pages(vma) != arena->nr_pages)
		return -EINVAL;
	iuc_vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTCOPY |
			 VM_DONTDUMP, VM_MAYEXEC);
	vma->vm_ops = &iuc_arena_vm_ops;
	vma->vm_private_data = arena;
	kref_get(&arena->ref);		/* the mapping's, dropped by ->close */
	arena->addr = vma->vm_start;
	return 0;
}

static struct iuc_arena *iuc_arena_alloc(unsigned long nr_pages)
{
	struct iuc_arena *arena;

	arena = kzalloc(sizeof(*arena), GFP_KERNEL_ACCOUNT);
	if (!arena)
		return NULL;
	kref_init(&arena->ref);		/* the context's */
	mutex_init(&arena->lock);
	arena->nr_pages = nr_pages;
	arena->used = kvcalloc(BITS_TO_LONGS(nr_pages), sizeof(unsigned long),
			       GFP_KERNEL_ACCOUNT);
	arena->slots = kvcalloc(nr_pages, sizeof(*arena->slots),
				GFP_KERNEL_ACCOUNT);
	if (!arena->used || !arena->slots) {
		iuc_arena_put(arena);
		return NULL;
	}
	return arena;
}

/*
 * MAP_ARENA.  The context's segs_lock is held across the mapping, so that
 * two calls cannot both make one (no path takes segs_lock inside the
 * mmap_lock).
 */
long iuc_ioctl_map_arena(struct iuc_context *ctx, void *args)
{
	struct iuc_map_arena *a = args;
	unsigned long nr_pages, addr;
	struct iuc_arena *arena;
	struct file *file;
	u64 pgoff;
	long ret;

	a->addr = 0;
	if (!a->length || !PAGE_ALIGNED(a->length) ||
	    a->length > IUC_ARENA_MAX_LENGTH)
		return iuc_fail(a, IUC_E_ARENA_BAD_LENGTH, -EINVAL);
	if (iuc_arena_of(ctx))
		return iuc_fail(a, IUC_E_ARENA_EXISTS, -EEXIST);
	nr_pages = a->length >> PAGE_SHIFT;

	file = iuc_segment_file(ctx);
	if (IS_ERR(file))
		return iuc_fail(a, IUC_E_NO_KERNEL_MEMORY, PTR_ERR(file));
	arena = iuc_arena_alloc(nr_pages);
	if (!arena)
		return iuc_fail(a, IUC_E_NO_KERNEL_MEMORY, -ENOMEM);
	pgoff = atomic64_fetch_add(nr_pages, &ctx->seg_pages);
	if (pgoff >= IUC_SEG_FILE_PAGES || nr_pages > IUC_SEG_FILE_PAGES - pgoff) {
		ret = iuc_fail(a, IUC_E_NO_KERNEL_MEMORY, -ENOMEM);
		goto out_put;
	}
	arena->pgoff = pgoff;
	arena->mapper = current;

	mutex_lock(&ctx->segs_lock);
	if (ctx->arena) {
		ret = iuc_fail(a, IUC_E_ARENA_EXISTS, -EEXIST);
		goto out_unlock;
	}
	WRITE_ONCE(file->private_data, arena);
	addr = vm_mmap(file, 0, a->length, PROT_READ | PROT_WRITE, MAP_SHARED,
		       (unsigned long)pgoff << PAGE_SHIFT);
	WRITE_ONCE(file->private_data, NULL);
	if (IS_ERR_VALUE(addr)) {
		ret = iuc_fail(a, IUC_E_ARENA_NO_ROOM, (long)addr);
		goto out_unlock;
	}
	arena->mapper = NULL;
	/* Pairs with iuc_arena_of(): the arena is mapped, @addr set. */
	smp_store_release(&ctx->arena, arena);
	a->addr = addr;
	mutex_unlock(&ctx->segs_lock);
	return 0;

out_unlock:
	mutex_unlock(&ctx->segs_lock);
out_put:
	iuc_arena_put(arena);
	return ret;
}

/*
 * Reading the record of @ev, an exclusive segment placed in the arena:
 * fill its run there, if the arena is still mapped where it was made (the
 * receiver may have unmapped, moved or replaced it, wholly or in part).
 * True if the record now carries the run's address.
 */
static bool iuc_arena_map_record(struct iuc_context *ctx, struct iuc_event *ev)
{
	struct iuc_sig_recv_shared_mem *d = &ev->sig.data.recv_shared_mem;
	struct iuc_arena *arena = iuc_arena_of(ctx);
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	struct iuc_segment *seg;
	unsigned long addr;
	bool ok = false;

	if (!arena)
		return false;
	seg = iuc_segment_get(ctx, ev->sig.object);
	if (!seg)
		return false;
	if (!seg->arena_run || seg->receiver != ctx)
		goto out;
	addr = arena->addr + (iuc_arena_run(arena, seg) << PAGE_SHIFT);

	mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	if (vma && vma->vm_ops == &iuc_arena_vm_ops &&
	    vma->vm_private_data == arena &&
	    linear_page_index(vma, addr) == seg->pgoff &&
	    seg->length <= vma->vm_end - addr) {
		mutex_lock(&arena->lock);
		if (arena->slots[iuc_arena_run(arena, seg)] == seg && seg->placed) {
			iuc_arena_fill(vma, seg);
			ok = true;
		}
		mutex_unlock(&arena->lock);
	}
	mmap_read_unlock(mm);
	if (ok) {
		mutex_lock(&seg->lock);
		seg->receiver_addr = addr;
		mutex_unlock(&seg->lock);
		d->start = addr;
		d->map_errno = 0;
	}
out:
	iuc_segment_put(seg);
	return ok;
}

/*
 * Fill the mapping of segment @id that vm_mmap() just made at @addr: it is
 * in the segment file's i_mmap tree now, where revocation finds it, and the
 * receiver is about to touch it all.  A sibling thread may have unmapped it
 * or mapped something else there meanwhile: only a mapping of the segment
 * is filled, and nothing else is done; a mapping left empty (no memory for
 * a page table) fills on its first fault as any other.
 */
static void iuc_segment_prefill(unsigned long addr, u64 id)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	struct iuc_segment *seg;

	mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	if (vma && vma->vm_ops == &iuc_segment_vm_ops) {
		seg = vma->vm_private_data;
		mutex_lock(&seg->lock);
		if (seg->id == id && !seg->revoked && seg->pages)
			iuc_segment_remap(seg, vma);
		mutex_unlock(&seg->lock);
	}
	mmap_read_unlock(mm);
}

/*
 * The receiver reads RECV_SHARED_MEM: map the segment now, in its own
 * address space, so that the record can carry the start address.  When
 * that fails, the record says why (@map_errno, @start 0) and the segment
 * can still be mapped by its id.
 */
void iuc_segment_map_record(struct file *file, struct iuc_event *ev)
{
	struct iuc_sig_recv_shared_mem *d = &ev->sig.data.recv_shared_mem;
	unsigned long addr;
	unsigned long prot = 0;

	if (d->start)
		return;
	if (d->mode == IUC_SHARE_EXCLUSIVE &&
	    iuc_arena_map_record(file->private_data, ev))
		return;
	if (d->mode == IUC_SHARE_EXCLUSIVE)
		prot = PROT_READ | PROT_WRITE;
	if (d->access & IUC_ACCESS_READ)
		prot |= PROT_READ;
	if (d->access & IUC_ACCESS_WRITE)
		prot |= PROT_WRITE;
	if (d->access & IUC_ACCESS_EXEC)
		prot |= PROT_EXEC;
	addr = vm_mmap(file, 0, d->length, prot, MAP_SHARED,
		       ev->sig.object << PAGE_SHIFT);
	if (IS_ERR_VALUE(addr)) {
		d->map_errno = -(long)addr;
	} else {
		d->start = addr;
		d->map_errno = 0;
		iuc_segment_prefill(addr, ev->sig.object);
	}
}

/* Is @vma a mapping of @seg (whole, or a part split off by munmap)? */
static bool iuc_vma_maps(struct vm_area_struct *vma, struct iuc_segment *seg)
{
	return vma->vm_ops == &iuc_segment_vm_ops && vma->vm_private_data == seg;
}

/*
 * Revoke a mutual segment: the receiver's accesses fault from now on, the
 * pages are unpinned, and the receiver gets UNSHARED_MEM of @type.  Every
 * mapping of the segment maps its file: zapping them through the file
 * takes no mmap_lock, so no receiver can make this wait on its own.
 */
static void iuc_segment_revoke(struct iuc_segment *seg, u8 type)
{
	struct iuc_event *ev;

	mutex_lock(&seg->lock);
	seg->revoked = true;
	mutex_unlock(&seg->lock);

	/* Outside seg->lock, which faults take inside the mmap_lock. */
	unmap_mapping_range(iuc_seg_file(seg)->f_mapping,
			    (loff_t)seg->pgoff << PAGE_SHIFT, seg->length, 1);

	mutex_lock(&seg->lock);
	iuc_segment_unpin(seg);
	ev = seg->unshared_ev;
	seg->unshared_ev = NULL;
	mutex_unlock(&seg->lock);

	if (ev) {
		ev->sig.data.unshared_mem.type = type;
		iuc_event_post(seg->receiver, ev, seg->sharer, false);
	}
}

/* Take @seg off both contexts' lists. */
static void iuc_segment_unlink(struct iuc_segment *seg)
{
	mutex_lock(&seg->sharer->segs_lock);
	list_del_init(&seg->sharer_node);
	mutex_unlock(&seg->sharer->segs_lock);
	mutex_lock(&seg->receiver->segs_lock);
	list_del_init(&seg->receiver_node);
	mutex_unlock(&seg->receiver->segs_lock);
}

/* ---- SHARE_MEM --------------------------------------------------------- */

/* The checks of SHARE_MEM's arguments alone: 0 or iuc_fail(). */
static long iuc_share_check_args(struct iuc_share_mem *a)
{
	if (memchr_inv(a->__pad, 0, sizeof(a->__pad)))
		return iuc_fail(a, IUC_E_INVALID_ARG, -EINVAL);
	if (a->notify > IUC_NOTIFY_SKIP)
		return iuc_fail(a, IUC_E_SHARE_BAD_NOTIFY, -EINVAL);
	if (a->mode > IUC_SHARE_EXCLUSIVE)
		return iuc_fail(a, IUC_E_SHARE_BAD_MODE, -EINVAL);
	if (a->access & ~(IUC_ACCESS_READ | IUC_ACCESS_WRITE | IUC_ACCESS_EXEC))
		return iuc_fail(a, IUC_E_SHARE_BAD_ACCESS, -EINVAL);
	if (a->mode == IUC_SHARE_MUTUAL && !a->access)
		return iuc_fail(a, IUC_E_SHARE_MUTUAL_NO_ACCESS, -EINVAL);
	if (a->mode == IUC_SHARE_EXCLUSIVE && a->access)
		return iuc_fail(a, IUC_E_SHARE_EXCLUSIVE_ACCESS, -EINVAL);
	if (!PAGE_ALIGNED(a->addr))
		return iuc_fail(a, IUC_E_SHARE_UNALIGNED, -EINVAL);
	if (!PAGE_ALIGNED(a->length))
		return iuc_fail(a, IUC_E_SHARE_LENGTH_NOT_PAGES, -EINVAL);
	if (!a->length)
		return iuc_fail(a, IUC_E_SHARE_LENGTH_ZERO, -EINVAL);
	return 0;
}

/*
 * An exclusive share takes the range away before the call answers: it
 * must not hold the caller's argument struct, or the answer (the segment
 * id) could never be written back.
 */
static bool iuc_share_holds_args(const struct iuc_share_mem_call *call)
{
	const struct iuc_share_mem *a = &call->args;

	return a->mode == IUC_SHARE_EXCLUSIVE &&
	       call->uaddr < a->addr + a->length &&
	       a->addr < call->uaddr + call->usize;
}

/*
 * Is there room for @length more bytes in the receiver's address space?
 * Its RLIMIT_AS, the limit mmap(2) would meet.
 */
static bool iuc_receiver_has_room(struct iuc_context *receiver, u64 length)
{
	struct task_struct *task;
	struct mm_struct *mm = NULL;
	unsigned long limit = RLIM_INFINITY;
	bool room = true;

	rcu_read_lock();
	task = pid_task(receiver->pid, PIDTYPE_TGID);
	if (task) {
		get_task_struct(task);
		limit = task_rlimit(task, RLIMIT_AS);
	}
	rcu_read_unlock();
	if (!task)
		return true;	/* gone: the share fails later with 0x20 */
	mm = get_task_mm(task);
	put_task_struct(task);
	if (!mm)
		return true;
	if (length > TASK_SIZE ||
	    (limit != RLIM_INFINITY &&
	     (READ_ONCE(mm->total_vm) << PAGE_SHIFT) + length > limit))
		room = false;
	mmput(mm);
	return room;
}

/*
 * Check that the range @a shares, in @mm, is private anonymous memory, and
 * choose the GUP flags that give its own pages: write intent breaks
 * copy-on-write (and never hands out the shared zero page), forced where
 * the range is not writable.  Under the mmap_lock.  Returns 0 or
 * iuc_fail().
 */
static long iuc_range_check(struct mm_struct *mm, struct iuc_share_mem *a,
			    unsigned int *gup_flags)
{
	unsigned long addr, end = a->addr + a->length;
	struct vm_area_struct *vma;

	*gup_flags = FOLL_WRITE;
	for (addr = a->addr; addr < end; addr = vma->vm_end) {
		vma = vma_lookup(mm, addr);
		if (!vma)
			return iuc_fail(a, IUC_E_UNMAPPED, -EFAULT);
		if (!vma_is_anonymous(vma) ||
		    (vma->vm_flags & (VM_SHARED | VM_IO | VM_PFNMAP | VM_HUGETLB)))
			return iuc_fail(a, IUC_E_SHARE_NOT_PRIVATE_ANON, -EINVAL);
		if (!(vma->vm_flags & VM_WRITE))
			*gup_flags |= FOLL_FORCE;
	}
	return 0;
}

/* Pages pin_user_pages_fast() takes at a time (its count is an int). */
#define IUC_PIN_BATCH	BIT(20)

/*
 * Check what was pinned, since the range was checked unlocked: private
 * anonymous memory only, and for exclusive sharing no page that another
 * pin can reach (a mutual segment, io_uring, a device).  Our pin counts
 * GUP_PIN_COUNTING_BIAS on a small folio's refcount and one per page on a
 * large folio's _pincount.
 */
static long iuc_pinned_check(struct iuc_segment *seg, struct iuc_share_mem *a)
{
	unsigned long i, n;

	for (i = 0; i < seg->nr_pages; i += n) {
		struct folio *folio = page_folio(seg->pages[i]);

		n = iuc_folio_run(seg->pages, seg->nr_pages, i);
		if (!folio_test_anon(folio))
			return iuc_fail(a, IUC_E_SHARE_NOT_PRIVATE_ANON, -EINVAL);
		if (seg->mode != IUC_SHARE_EXCLUSIVE)
			continue;
		if (folio_test_large(folio) ?
		    atomic_read(&folio->_pincount) > n :
		    folio_ref_count(folio) >= 2 * GUP_PIN_COUNTING_BIAS)
			return iuc_fail(a, IUC_E_SHARE_NOT_PRIVATE_ANON, -EINVAL);
	}
	return 0;
}

/*
 * Pin [@a->addr, +@a->length) of the caller, which must be private
 * anonymous memory, and charge the folios that hold it.  Returns 0 or
 * iuc_fail().
 */
static long iuc_segment_pin(struct iuc_segment *seg, struct iuc_share_mem *a)
{
	struct mm_struct *mm = current->mm;
	unsigned long pinned = 0;
	unsigned int gup_flags;
	long n, ret;

	/* Check the range before spending anything on it. */
	if (mmap_read_lock_killable(mm))
		return iuc_fail(a, IUC_E_INTERRUPTED, -EINTR);
	ret = iuc_range_check(mm, a, &gup_flags);
	mmap_read_unlock(mm);
	if (ret)
		return ret;

	/*
	 * More than RAM can never be pinned, CAP_IPC_LOCK or not.  The pages
	 * are charged before pinning (the least the folios can cost), the
	 * rest of their folios once they are known.
	 */
	if (seg->nr_pages > totalram_pages())
		return iuc_fail(a, IUC_E_SHARE_PIN_LIMIT, -ENOMEM);
	ret = iuc_account_pins(seg->user, seg->nr_pages);
	if (ret)
		return iuc_fail(a, IUC_E_SHARE_PIN_LIMIT, ret);
	seg->charged = seg->nr_pages;

	seg->pages = kvmalloc_array(seg->nr_pages, sizeof(*seg->pages),
				    GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!seg->pages) {
		ret = iuc_fail(a, IUC_E_NO_KERNEL_MEMORY, -ENOMEM);
		goto out_uncharge;
	}

	while (pinned < seg->nr_pages) {
		n = pin_user_pages_fast(a->addr + (pinned << PAGE_SHIFT),
					min(seg->nr_pages - pinned, IUC_PIN_BATCH),
					gup_flags | FOLL_LONGTERM,
					seg->pages + pinned);
		if (n <= 0) {
			ret = n ? n : -EFAULT;
			iuc_fail(a, iuc_user_mem_error(ret), ret);
			goto out_unpin;
		}
		pinned += n;
	}
	ret = iuc_pinned_check(seg, a);
	if (ret)
		goto out_unpin;

	n = iuc_pins_charge(seg->pages, seg->nr_pages) - seg->nr_pages;
	ret = iuc_account_pins(seg->user, n);
	if (ret) {
		iuc_fail(a, IUC_E_SHARE_PIN_LIMIT, ret);
		goto out_unpin;
	}
	seg->charged += n;
	return 0;

out_unpin:
	unpin_user_pages(seg->pages, pinned);
	kvfree(seg->pages);
	seg->pages = NULL;
out_uncharge:
	iuc_unaccount_pins(seg->user, seg->charged);
	seg->charged = 0;
	return ret;
}

/*
 * Is @folio, of which @seg pinned the @n pages of one run, reachable only
 * through those pins?  Not mapped anywhere, and no reference beyond them:
 * a small folio's pin is GUP_PIN_COUNTING_BIAS references, a large
 * folio's is one reference and one _pincount per page.
 */
static bool iuc_folio_only_ours(struct folio *folio, unsigned long n)
{
	if (folio_mapped(folio))
		return false;
	if (folio_test_large(folio))
		return folio_ref_count(folio) == n &&
		       atomic_read(&folio->_pincount) == n;
	return folio_ref_count(folio) == GUP_PIN_COUNTING_BIAS;
}

/* Page @i of @seg becomes a copy of our own; the old page is unpinned. */
static void iuc_segment_copy_page(struct iuc_segment *seg, unsigned long i)
{
	struct page *copy;

	/* Order 0, after the point of no return: may not fail. */
	copy = alloc_page(GFP_HIGHUSER | __GFP_ACCOUNT | __GFP_NOFAIL);
	copy_highpage(copy, seg->pages[i]);
	unpin_user_page(seg->pages[i]);
	seg->pages[i] = copy;
	__set_bit(i, seg->copied);
}

/*
 * Exclusive sharing, once the sharer's range is unmapped: every page must
 * be reachable through the segment only.  A folio still mapped (a sibling
 * thread moved the range with mremap() before it was unmapped) or still
 * referenced (vmsplice, O_DIRECT, io_uring buffers: gets and pins taken
 * before the unmap) is not handed over: its pages are replaced in the
 * segment by copies, and whoever holds it keeps the old pages.  The
 * common case is zero-copy.  Cannot fail.
 */
static void iuc_segment_make_exclusive(struct iuc_segment *seg)
{
	unsigned long i, j, n;

	for (i = 0; i < seg->nr_pages; i += n) {
		n = iuc_folio_run(seg->pages, seg->nr_pages, i);
		if (iuc_folio_only_ours(page_folio(seg->pages[i]), n))
			continue;
		for (j = i; j < i + n; j++)
			iuc_segment_copy_page(seg, j);
	}
}

static struct iuc_segment *iuc_segment_alloc(struct iuc_context *sharer,
					     struct iuc_context *receiver,
					     const struct iuc_share_mem *a)
{
	struct iuc_segment *seg;

	seg = kzalloc(sizeof(*seg), GFP_KERNEL_ACCOUNT);
	if (!seg)
		return NULL;
	/* Only a mutual segment is ever revoked. */
	if (a->mode == IUC_SHARE_MUTUAL) {
		seg->unshared_ev = iuc_event_alloc(IUC_SIG_UNSHARED_MEM, 0,
						   IUC_EV_CLOSING);
		if (!seg->unshared_ev) {
			kfree(seg);
			return NULL;
		}
	}
	kref_init(&seg->ref);		/* the SHARE_MEM call's */
	mutex_init(&seg->lock);
	INIT_LIST_HEAD(&seg->sharer_node);
	INIT_LIST_HEAD(&seg->receiver_node);
	kref_get(&sharer->ref);
	seg->sharer = sharer;
	kref_get(&receiver->ref);
	seg->receiver = receiver;
	seg->user = get_uid(current_user());
	seg->nr_pages = a->length >> PAGE_SHIFT;
	seg->sharer_addr = a->addr;
	seg->length = a->length;
	seg->command = a->command;
	seg->mode = a->mode;
	seg->access = a->access;
	return seg;
}

/*
 * What a segment needs before it can be published, allocated while the
 * call may still fail: the receiver's segment file and the segment's range
 * in it, the copy bitmap of an exclusive segment, and its id, reserved in
 * the table.  Ranges are never reused (a failed call leaves a hole): the
 * 2^51 pages of a file are more than a receiver can take in a lifetime,
 * and running out fails the call as kernel memory would.
 */
static int iuc_segment_prepare(struct iuc_segment *seg, u8 notify)
{
	struct file *file;
	u64 id, pgoff;
	int ret;

	file = iuc_segment_file(seg->receiver);
	if (IS_ERR(file))
		return PTR_ERR(file);
	if (seg->mode != IUC_SHARE_EXCLUSIVE || notify != IUC_NOTIFY ||
	    !iuc_arena_reserve(seg->receiver, seg)) {
		pgoff = atomic64_fetch_add(seg->nr_pages,
					   &seg->receiver->seg_pages);
		if (pgoff >= IUC_SEG_FILE_PAGES ||
		    seg->nr_pages > IUC_SEG_FILE_PAGES - pgoff)
			return -ENOMEM;
		seg->pgoff = pgoff;
	}
	if (seg->mode == IUC_SHARE_EXCLUSIVE) {
		seg->copied = kvcalloc(BITS_TO_LONGS(seg->nr_pages),
				       sizeof(unsigned long), GFP_KERNEL_ACCOUNT);
		if (!seg->copied)
			return -ENOMEM;
	}
	id = atomic64_inc_return(&iuc_next_segment_id);
	ret = xa_reserve(&iuc_segments, id, GFP_KERNEL_ACCOUNT);
	if (ret)
		return ret;
	seg->id = id;
	if (seg->unshared_ev) {
		seg->unshared_ev->sig.object = id;
		seg->unshared_ev->sig.data.unshared_mem.segment = id;
	}
	return 0;
}

/*
 * The call is committed: make @seg known, on the sharer's list (mutual)
 * and, with the table's reference, in the table and on the receiver's
 * list, unless one of the contexts has ended.  Returns whether it did.
 */
static bool iuc_segment_publish(struct iuc_segment *seg)
{
	struct iuc_context *sharer = seg->sharer, *receiver = seg->receiver;
	bool live = true;

	if (seg->mode == IUC_SHARE_MUTUAL) {
		mutex_lock(&sharer->segs_lock);
		live = !sharer->segs_closed;
		if (live)
			list_add_tail(&seg->sharer_node, &sharer->shared);
		mutex_unlock(&sharer->segs_lock);
		if (!live)
			return false;
	}

	mutex_lock(&receiver->segs_lock);
	live = !receiver->segs_closed;
	if (live) {
		kref_get(&seg->ref);	/* the table's and the receiver's list */
		list_add_tail(&seg->receiver_node, &receiver->received);
		/* The slot is reserved: this stores without allocating. */
		xa_store(&iuc_segments, seg->id, seg, GFP_KERNEL);
	}
	mutex_unlock(&receiver->segs_lock);
	if (!live)
		iuc_segment_unlink(seg);
	return live;
}

static void iuc_fill_recv_shared_mem(struct iuc_event *ev,
				     struct iuc_segment *seg)
{
	struct iuc_sig_recv_shared_mem *d = &ev->sig.data.recv_shared_mem;

	ev->sig.object = seg->id;
	d->sharer_pid = iuc_context_pid_nr(seg->receiver, seg->sharer->pid);
	d->length = seg->length;
	d->command = seg->command;
	d->mode = seg->mode;
	d->access = seg->access;
}

long iuc_ioctl_share_mem(struct iuc_context *ctx, void *args)
{
	struct iuc_share_mem_call *call =
		container_of(args, struct iuc_share_mem_call, args);
	struct iuc_share_mem *a = args;
	struct iuc_context *target;
	struct iuc_segment *seg;
	struct iuc_event *ev = NULL;
	bool published = false;
	long ret;

	ret = iuc_share_check_args(a);
	if (ret)
		return ret;
	a->segment = 0;
	if (a->addr + a->length < a->addr || a->addr + a->length > TASK_SIZE)
		return iuc_fail(a, IUC_E_UNMAPPED, -EFAULT);
	if (iuc_share_holds_args(call))
		return iuc_fail(a, IUC_E_SHARE_HOLDS_ARGS, -EINVAL);

	target = iuc_context_reach(a->target_pid);
	if (IS_ERR(target)) {
		ret = PTR_ERR(target);
		return iuc_fail(a, iuc_reach_error(ret, IUC_E_SHARE_NO_SUCH_PID,
						   IUC_E_SHARE_OTHER_APPLICATION,
						   IUC_E_SHARE_OTHER_USER), ret);
	}
	if (!iuc_receiver_has_room(target, a->length)) {
		ret = iuc_fail(a, IUC_E_SHARE_NO_ROOM, -ENOMEM);
		goto out_target;
	}

	seg = iuc_segment_alloc(ctx, target, a);
	if (!seg) {
		ret = iuc_fail(a, IUC_E_NO_KERNEL_MEMORY, -ENOMEM);
		goto out_target;
	}
	ret = iuc_segment_prepare(seg, a->notify);
	if (ret) {
		iuc_fail(a, IUC_E_NO_KERNEL_MEMORY, ret);
		goto out_seg;
	}
	if (a->notify == IUC_NOTIFY) {
		ev = iuc_event_alloc(IUC_SIG_RECV_SHARED_MEM, 0, IUC_EV_RESERVED);
		if (!ev) {
			ret = iuc_fail(a, IUC_E_NO_KERNEL_MEMORY, -ENOMEM);
			goto out_seg;
		}
	}
	ret = iuc_segment_pin(seg, a);
	if (ret)
		goto out_seg;
	if (ev) {
		ret = iuc_event_reserve(target, IUC_SIG_RECV_SHARED_MEM);
		if (ret) {
			iuc_fail(a, iuc_post_error(ret, IUC_E_SHARE_NO_HANDLER,
						   IUC_E_SHARE_NO_SUCH_PID), ret);
			goto out_seg;
		}
	}
	if (seg->mode == IUC_SHARE_EXCLUSIVE) {
		ret = vm_munmap(a->addr, a->length);
		if (ret) {
			iuc_fail(a, IUC_E_NO_KERNEL_MEMORY, ret);
			goto out_unreserve;
		}
		iuc_segment_make_exclusive(seg);
	}

	/*
	 * Nothing may fail after the sharer lost the range.  A receiver that
	 * ended meanwhile takes an exclusive segment with it, as if it had
	 * ended just after the call.
	 */
	published = iuc_segment_publish(seg);
	if (!published && seg->mode == IUC_SHARE_MUTUAL) {
		ret = iuc_fail(a, IUC_E_SHARE_NO_SUCH_PID, -ESRCH);
		goto out_unreserve;
	}
	if (published && seg->arena_run)
		iuc_arena_place(seg);
	if (ev && published) {
		iuc_fill_recv_shared_mem(ev, seg);
		iuc_event_post(target, ev, ctx, false);
		ev = NULL;
	}
	a->segment = seg->id;
	ret = 0;
out_unreserve:
	if (ev)
		iuc_event_unreserve(target);
out_seg:
	if (seg->arena_run && !published)
		iuc_arena_release(iuc_arena_of(target), seg);
	if (seg->id && !published)
		xa_release(&iuc_segments, seg->id);
	iuc_event_free(ev);
	iuc_segment_put(seg);		/* the call's */
out_target:
	iuc_context_put(target);
	return ret;
}

/* ---- the other calls --------------------------------------------------- */

long iuc_ioctl_unshare_mem(struct iuc_context *ctx, void *args)
{
	struct iuc_unshare_mem *a = args;
	struct iuc_segment *seg;
	long ret = 0;

	seg = iuc_segment_get(ctx, a->segment);
	if (!seg || seg->sharer != ctx) {
		ret = iuc_fail(a, IUC_E_UNSHARE_UNKNOWN_SEGMENT, -EBADF);
	} else if (seg->mode == IUC_SHARE_EXCLUSIVE) {
		ret = iuc_fail(a, IUC_E_UNSHARE_EXCLUSIVE, -EPERM);
	} else if (!iuc_segment_unpublish(seg)) {
		ret = iuc_fail(a, IUC_E_UNSHARE_UNKNOWN_SEGMENT, -EBADF);
	} else {
		iuc_segment_revoke(seg, IUC_UNSHARED_BY_CALL);
		iuc_segment_unlink(seg);
		iuc_segment_put(seg);		/* the table's */
	}
	if (seg)
		iuc_segment_put(seg);
	return ret;
}

/*
 * Unmap every mapping of @seg in the caller's address space.  The latest
 * one is looked up where it was made (the common case, one mapping, costs
 * no walk of the address space); the others by a walk.
 */
static void iuc_segment_unmap_mine(struct iuc_segment *seg)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	unsigned long start, len;

	for (;;) {
		VMA_ITERATOR(vmi, mm, 0);

		len = 0;
		mmap_read_lock(mm);
		mutex_lock(&seg->lock);
		vma = seg->receiver_addr ? vma_lookup(mm, seg->receiver_addr) : NULL;
		mutex_unlock(&seg->lock);
		if (!vma || !iuc_vma_maps(vma, seg)) {
			for_each_vma(vmi, vma)
				if (iuc_vma_maps(vma, seg))
					break;
		}
		if (vma) {
			start = vma->vm_start;
			len = vma->vm_end - vma->vm_start;
		}
		mmap_read_unlock(mm);
		if (!len || vm_munmap(start, len))
			return;
	}
}

long iuc_ioctl_mem_unmap(struct iuc_context *ctx, void *args)
{
	struct iuc_mem_unmap *a = args;
	struct iuc_segment *seg;
	long ret = 0;

	seg = iuc_segment_get(ctx, a->segment);
	if (!seg)
		return iuc_fail(a, IUC_E_UNMAP_UNKNOWN_SEGMENT, -EBADF);
	if (seg->receiver != ctx) {
		ret = iuc_fail(a, IUC_E_UNMAP_NOT_RECEIVER, -EPERM);
	} else if (!iuc_segment_unpublish(seg)) {
		ret = iuc_fail(a, IUC_E_UNMAP_UNKNOWN_SEGMENT, -EBADF);
	} else {
		if (seg->arena_run)
			iuc_arena_release(iuc_arena_of(ctx), seg);
		iuc_segment_unmap_mine(seg);
		iuc_segment_unlink(seg);
		iuc_segment_put(seg);		/* the table's */
	}
	iuc_segment_put(seg);
	return ret;
}

/*
 * Each side learns its own address only (the other's is 0): the sharer's
 * start of a mutual segment, or the receiver's last mapping of it.
 */
long iuc_ioctl_mem_sharing_info(struct iuc_context *ctx, void *args)
{
	struct iuc_mem_sharing_info *a = args;
	struct iuc_segment *seg;

	if (memchr_inv(a->__pad, 0, sizeof(a->__pad)))
		return iuc_fail(a, IUC_E_INVALID_ARG, -EINVAL);
	seg = iuc_segment_get(ctx, a->segment);
	if (!seg)
		return iuc_fail(a, IUC_E_MEMINFO_UNKNOWN_SEGMENT, -EBADF);

	a->sharer_pid = pid_vnr(seg->sharer->pid);
	a->receiver_pid = pid_vnr(seg->receiver->pid);
	a->sharer_addr = 0;
	if (ctx == seg->sharer && seg->mode == IUC_SHARE_MUTUAL)
		a->sharer_addr = seg->sharer_addr;
	a->receiver_addr = 0;
	if (ctx == seg->receiver) {
		mutex_lock(&seg->lock);
		if (!seg->revoked)
			a->receiver_addr = seg->receiver_addr;
		mutex_unlock(&seg->lock);
	}
	a->length = seg->length;
	a->command = seg->command;
	a->mode = seg->mode;
	a->access = seg->access;
	iuc_segment_put(seg);
	return 0;
}

/*
 * Take apart every segment on one of @ctx's lists: the mutual segments it
 * shared (@shared: revoked, "sharer terminated") or those it received
 * (mutual ones revoked too: the sharer must keep control of its pages; a
 * mapping of an exclusive one stays until it is unmapped).
 */
static void iuc_segments_drop(struct iuc_context *ctx, bool shared)
{
	struct list_head *list = shared ? &ctx->shared : &ctx->received;
	struct iuc_segment *seg;

	for (;;) {
		seg = NULL;
		mutex_lock(&ctx->segs_lock);
		if (!list_empty(list)) {
			seg = shared ?
				list_first_entry(list, struct iuc_segment, sharer_node) :
				list_first_entry(list, struct iuc_segment, receiver_node);
			kref_get(&seg->ref);
		}
		mutex_unlock(&ctx->segs_lock);
		if (!seg)
			return;

		if (iuc_segment_unpublish(seg)) {
			if (seg->mode == IUC_SHARE_MUTUAL)
				iuc_segment_revoke(seg, IUC_UNSHARED_SHARER_DIED);
			iuc_segment_unlink(seg);
			iuc_segment_put(seg);	/* the table's */
		} else {
			/* A concurrent call is taking it apart. */
			iuc_segment_unlink(seg);
		}
		iuc_segment_put(seg);
	}
}

/*
 * The context ends (its process exited, or its last /dev/iuc file was
 * released: no mapping holds that file).  Mutual segments it shared or
 * received are revoked; exclusive segments it received are dropped from
 * the table, their pages staying with the mappings that remain.
 */
void iuc_segments_release_all(struct iuc_context *ctx)
{
	mutex_lock(&ctx->segs_lock);
	ctx->segs_closed = true;
	mutex_unlock(&ctx->segs_lock);

	iuc_segments_drop(ctx, true);
	iuc_segments_drop(ctx, false);
	iuc_arena_end(ctx);
}
