// SPDX-License-Identifier: GPL-2.0
/*
 * Exchange-on-demand DMA for Xen PV domains: owned regions.
 *
 * A region is 2^order pages the backend allocates itself and exchanges
 * (XENMEM_exchange, through xen_create_contiguous_region()) for one
 * machine-contiguous extent in an address class: below 4 GiB, or anywhere;
 * or a naturally aligned part of such a region, split off without a
 * hypercall; or two such buddies, merged without one.
 * Nothing else has a reference to those pages, no CPU but ours touches
 * them and no device has them mapped, so the exchange meets the safety
 * rule by construction (see Documentation/core-api/xen-dma-exchange.rst).
 *
 * Regions live in a latched rbtree keyed by pseudo-physical frame, which
 * unmap and sync search without a lock (RCU), and, while free, on one LIFO
 * list per class and order.  They stay after unmap and are reused: in the
 * steady state a mapping costs a list pop and a copy, no hypercall.  The
 * smallest sizes are kept per CPU too, in magazines in front of the free
 * lists (after drivers/iommu/iova.c's rcache), so that a CPU reuses the
 * regions its own unmaps put back without taking the global lock; a miss
 * that finds no free region takes half of another CPU's magazine of its
 * size before it exchanges or falls back.  A
 * miss of one size is served without a hypercall from a free region of a
 * larger one when there is one to spare: up to XDX_BORROW_ORDERS larger
 * it is taken whole, beyond that it is split buddy-wise; or from two free
 * buddies of the next smaller size, merged again.  The worker, too, splits
 * or merges free regions to spare before it exchanges.
 *
 * Growth: a miss in the mapping path exchanges at once only up to
 * atomic_order, by default 256 KiB, the fixed pool's largest page-aligned
 * mapping (the exchange runs with interrupts off for PTE updates and a
 * hypercall of that size); a larger miss takes a free region up to four
 * times its size or falls back to the fixed swiotlb pool if that can take
 * it, and asks the worker, which runs in process context, for regions of
 * its size (a mapping promised at probe is exchanged up to
 * XDX_ATOMIC_ORDER_MAX in the call).  The
 * worker also keeps @reserve free regions of every order below 4 GiB,
 * built at boot before devices probe.
 *
 * Shrinking: free regions beyond the reserve are given back to Xen
 * (xen_destroy_contiguous_region()) after idle_secs unused, by the
 * shrinker under memory pressure, and when the budget blocks a wanted
 * size; two given back in one pass that are the halves of one extent
 * go back as one.  The budgets bound the bytes held in regions: every
 * region counts from the moment its exchange is attempted until it is
 * given back (xen_destroy_contiguous_region() cannot report a failure to
 * give the frames back; see the limitations in the documentation).
 */
#define pr_fmt(fmt) "xen_dma_exchange: " fmt

#include <linux/err.h>
#include <linux/fault-inject.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/jiffies.h>
#include <linux/list_sort.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/shrinker.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <asm/xen/swiotlb-xen.h>
#include <xen/dma-exchange.h>

#include "xen-dma-exchange.h"

#include <trace/events/xen_dma_exchange.h>

#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "xen_dma_exchange."

/* Machine address bits asked of Xen for each class (0: no restriction). */
static const unsigned int xdx_class_bits[XDX_NR_CLASSES] = { 32, 0 };
static const char * const xdx_class_names[XDX_NR_CLASSES] = { "low", "any" };

/* One number for a class and an order. */
#define XDX_KIND(cls, order)	((int)(cls) * XDX_NR_ORDERS + (int)(order))

/* A miss may take a free region up to this many orders larger. */
#define XDX_BORROW_ORDERS	2

/*
 * Region structs kept for splits and merges, which run under
 * xdx_region_lock with interrupts off and so allocate nothing: one split
 * needs at most XDX_NR_ORDERS, a merge one, and the worker tops the
 * spares up.
 */
#define XDX_NR_SPARES		(2 * XDX_NR_ORDERS)
/* Free regions a merge looks at for a buddy, a tree lookup each. */
#define XDX_MERGE_SCAN		16
/*
 * Largest region a merge makes: mmu_pv gives back an extent of more than
 * 2^9 pages only once an exchange of that size has grown its frame array
 * (xen_destroy_contiguous_region() does nothing otherwise), and a merged
 * region has had no exchange of its size.
 */
#define XDX_MERGE_MAX_ORDER	9

/*
 * Free regions taken off the tree for giving back in one hold of
 * xdx_region_lock: a NIC ring may leave thousands idle, and interrupts
 * stay off while the lock is held.
 */
#define XDX_COLLECT_BATCH	64

/*
 * Xen caps the order of an exchange per domain (memop-max-order), and
 * Linux does not tell a refusal by the cap from one for want of memory.
 * The cap comes from Xen's command line and the domain's roles and device
 * permissions, so a refusal of an order no larger than one Xen has granted
 * is taken as for want of memory, and the worker asks again on its next
 * run (if the cap falls, as when a domU loses its last passthrough
 * device, it does so for the orders in between: no worse than no wait).
 * After a refusal of a larger order, it waits XDX_REFUSED_WAIT before it
 * asks for that class and order again, twice as long after each further
 * refusal, up to XDX_REFUSED_WAIT_MAX: never for good, since the refusals
 * may have been for want of memory too.
 */
#define XDX_REFUSED_WAIT	HZ
#define XDX_REFUSED_WAIT_MAX	(64 * HZ)

/*
 * Per-CPU magazines: free regions of up to XDX_MAG_MAX_ORDER (32 KiB), at
 * most cpu_cache (XDX_MAG_SIZE) of each class and order per CPU.
 */
#define XDX_MAG_MAX_ORDER	3
#define XDX_MAG_SIZE		32

/*
 * A region put back on the shared lists waits on its size's cooling list
 * until cool_kib's worth of later ones (at least one) have been put back
 * behind it, unless a mapping finds its size's free list empty: a
 * stream whose completions unmap on one CPU while another maps would
 * otherwise copy each new mapping into bytes the other CPU and the device
 * touched a moment ago, still in the other CPU's cache.  Tried under TCG,
 * where that cost the backend up to a quarter of bounce-only's rate
 * (README, "Known slow").
 */
#define XDX_COOL_KIB_MAX	4096

static unsigned int xdx_reserve = 2;
static unsigned int xdx_cpu_cache = 32;
static unsigned int xdx_cool_kib = 1024;
static unsigned int xdx_atomic_order = 6;
static unsigned int xdx_idle_secs = 30;
static unsigned long xdx_max_mb = 256;
static unsigned long xdx_low_budget_mb = 128;

static DECLARE_FAULT_ATTR(fail_xen_dma_exchange);

static bool xdx_region_less(struct latch_tree_node *a,
			    struct latch_tree_node *b)
{
	return container_of(a, struct xdx_region, lt)->pfn <
	       container_of(b, struct xdx_region, lt)->pfn;
}

static int xdx_region_comp(void *key, struct latch_tree_node *n)
{
	unsigned long pfn = *(unsigned long *)key;
	struct xdx_region *r = container_of(n, struct xdx_region, lt);

	if (pfn < r->pfn)
		return -1;
	if (pfn >= r->pfn + (1UL << r->order))
		return 1;
	return 0;
}

static const struct latch_tree_ops xdx_region_tree_ops = {
	.less = xdx_region_less,
	.comp = xdx_region_comp,
};

/*
 * xdx_region_lock protects the tree's writers, the free and cooling lists,
 * the spares and their counts, the byte counts, the wanted, granted and
 * refused sizes, the @list and @idle_since of every region on a free list
 * and the @list and @cooling of every region on a cooling list (see struct
 * xdx_region for the others).  Readers of the tree hold
 * rcu_read_lock() and use what they found only if its @map_seq says
 * mapped (xdx_region_lookup()); a sync holds it until its copy is done,
 * and regions are given back to Xen only a grace period after their last
 * put (xdx_destroy_list()).
 */
static DEFINE_SPINLOCK(xdx_region_lock);
static struct latch_tree_root xdx_region_tree;
static struct list_head xdx_free[XDX_NR_CLASSES][XDX_NR_ORDERS];
static unsigned int xdx_nr_free[XDX_NR_CLASSES][XDX_NR_ORDERS];
static unsigned int xdx_nr_used[XDX_NR_CLASSES][XDX_NR_ORDERS];
/* cooling lists, oldest first: their regions count in xdx_nr_used */
static struct list_head xdx_cooling[XDX_NR_CLASSES][XDX_NR_ORDERS];
static unsigned int xdx_nr_cooling[XDX_NR_CLASSES][XDX_NR_ORDERS];
static unsigned int xdx_want[XDX_NR_CLASSES][XDX_NR_ORDERS];
static int xdx_granted_order = -1;	/* the largest order Xen exchanged */
/* The worker's refusals of an order above xdx_granted_order */
static struct xdx_refusal {
	unsigned long wait;		/* 0: none */
	unsigned long retry_at;		/* jiffies: when to ask again */
} xdx_refused[XDX_NR_CLASSES][XDX_NR_ORDERS];
static unsigned long xdx_held_bytes;		/* exchanged or being exchanged */
static unsigned long xdx_held_low_bytes;	/* the part below 4 GiB */
static LIST_HEAD(xdx_spares);
static unsigned int xdx_nr_spares;

/*
 * A CPU's magazines: a LIFO stack of free regions per class and order,
 * under the CPU's own lock.  A region in a magazine is free, unmapped and
 * on no free list; the free lists count it in xdx_nr_used.  Only
 * xdx_mags_drain() and a miss (xdx_mag_take_other()) touch another CPU's
 * magazines.
 */
struct xdx_mag {
	spinlock_t lock;	/* this struct; taken with interrupts off */
	unsigned int n[XDX_NR_CLASSES][XDX_MAG_MAX_ORDER + 1];
	struct xdx_region *r[XDX_NR_CLASSES][XDX_MAG_MAX_ORDER + 1][XDX_MAG_SIZE];
};

static struct xdx_mag __percpu *xdx_mags;

/*
 * Mapped regions.  Zero means no bus address can be ours, which unmap and
 * sync of every device test before anything else.
 */
atomic_long_t xen_dma_exchange_nr_mapped = ATOMIC_LONG_INIT(0);
atomic_long_t xen_dma_exchange_nr_mapped_any = ATOMIC_LONG_INIT(0);

static void xdx_region_refill(struct work_struct *work);
static DECLARE_WORK(xdx_refill_work, xdx_region_refill);
static void xdx_region_idle(struct work_struct *work);
static DECLARE_DELAYED_WORK(xdx_idle_work, xdx_region_idle);
static struct shrinker *xdx_shrinker;
static bool xdx_ready;

/* Largest order of which the boot reserve built a low region, or -1. */
static int xdx_boot_low_order __ro_after_init = -1;

/**
 * xdx_region_boot_order() - the largest region reserved before devices probe
 * @cls: address class
 *
 * Return: the largest order of which a free region of @cls was built at
 * boot, or -1 if none was (no reserve for that class, or the backend off).
 */
int xdx_region_boot_order(enum xdx_class cls)
{
	return cls == XDX_CLASS_LOW ? xdx_boot_low_order : -1;
}

static unsigned int xdx_class_reserve(enum xdx_class cls)
{
	return cls == XDX_CLASS_LOW ? READ_ONCE(xdx_reserve) : 0;
}

/* Bytes by which @held plus @bytes would pass a budget of @budget_mb. */
static unsigned long xdx_over_budget(unsigned long held, unsigned long bytes,
				     unsigned long budget_mb)
{
	unsigned long limit = budget_mb << 20;

	return held + bytes > limit ? held + bytes - limit : 0;
}

/* Bytes by which a region of @order in @cls would pass the low budget. */
static unsigned long xdx_over_low_budget(enum xdx_class cls,
					 unsigned int order)
{
	if (cls != XDX_CLASS_LOW)
		return 0;
	return xdx_over_budget(xdx_held_low_bytes, PAGE_SIZE << order,
			       READ_ONCE(xdx_low_budget_mb));
}

/* Pages to give back before xdx_claim(@cls, @order) can succeed. */
static unsigned long xdx_claim_shortfall(enum xdx_class cls,
					 unsigned int order)
{
	unsigned long over;

	lockdep_assert_held(&xdx_region_lock);
	over = xdx_over_budget(xdx_held_bytes, PAGE_SIZE << order,
			       READ_ONCE(xdx_max_mb));
	return PFN_UP(max(over, xdx_over_low_budget(cls, order)));
}

/* Claim budget for a region of @order in @cls; undo with xdx_unclaim(). */
static bool xdx_claim(enum xdx_class cls, unsigned int order)
{
	unsigned long bytes = PAGE_SIZE << order;

	if (xdx_claim_shortfall(cls, order))
		return false;
	xdx_held_bytes += bytes;
	if (cls == XDX_CLASS_LOW)
		xdx_held_low_bytes += bytes;
	return true;
}

/* Give back the budget of @pages, @low_pages of them below 4 GiB. */
static void xdx_unclaim_pages(unsigned long pages, unsigned long low_pages)
{
	lockdep_assert_held(&xdx_region_lock);
	xdx_held_bytes -= pages << PAGE_SHIFT;
	xdx_held_low_bytes -= low_pages << PAGE_SHIFT;
}

static void xdx_unclaim(enum xdx_class cls, unsigned int order)
{
	xdx_unclaim_pages(1UL << order, cls == XDX_CLASS_LOW ? 1UL << order : 0);
}

#if IS_ENABLED(CONFIG_XEN_DMA_EXCHANGE_KUNIT_TEST)
static struct task_struct *xdx_test_task;
static enum xdx_test_aid xdx_test_task_aid;

/**
 * xdx_region_test_aid() - change how one task's mappings find regions (tests)
 * @task: the task, or NULL to stop
 * @aid: what changes for @task
 *
 * For the KUnit suite.  While set, xdx_region_get() called by @task in
 * task context, with XDX_TEST_DENY, ignores the magazines, the free and
 * the cooling lists and its exchange fails as if injected (XDX_FAIL_INJECTED), so
 * that the mapping goes to the fixed pool; with XDX_TEST_SPLIT, takes no
 * free region whole but splits the first free one larger than
 * XDX_BORROW_ORDERS above its order, reserve or not.  Other tasks, the
 * worker and interrupts are not affected.
 */
void xdx_region_test_aid(struct task_struct *task, enum xdx_test_aid aid)
{
	WRITE_ONCE(xdx_test_task, NULL);
	WRITE_ONCE(xdx_test_task_aid, aid);
	WRITE_ONCE(xdx_test_task, task);
}

static enum xdx_test_aid xdx_test_aid(void)
{
	if (in_task() && READ_ONCE(xdx_test_task) == current)
		return READ_ONCE(xdx_test_task_aid);
	return XDX_TEST_NONE;
}
#else
static inline enum xdx_test_aid xdx_test_aid(void)
{
	return XDX_TEST_NONE;
}
#endif

/*
 * Allocate 2^@order pages and exchange them for a machine-contiguous
 * extent in @cls.  The pages are ours alone: nobody else can reach them
 * while their PTEs are gone.  The budget must already be claimed; on
 * failure the caller gives it back.
 */
static struct xdx_region *xdx_region_create(enum xdx_class cls,
					    unsigned int order, gfp_t gfp,
					    enum xdx_stat *why)
{
	size_t bytes = PAGE_SIZE << order;
	struct xdx_region *r;
	dma_addr_t maddr;
	void *va;

	*why = XDX_FAIL_INJECTED;
	if (xdx_test_aid() == XDX_TEST_DENY ||
	    should_fail(&fail_xen_dma_exchange, bytes))
		return NULL;
	*why = XDX_FAIL_NOMEM;
	r = kzalloc(sizeof(*r), gfp | __GFP_NOWARN);
	if (!r)
		return NULL;
	/* split pages: a part of the region can be given back on its own */
	va = alloc_pages_exact(bytes, gfp | __GFP_NOWARN |
			       (order ? __GFP_NORETRY : 0));
	if (!va)
		goto free_region;
	*why = XDX_FAIL_HYPERVISOR;
	if (xen_create_contiguous_region(virt_to_phys(va), order,
					 xdx_class_bits[cls], &maddr))
		goto free_pages;
	r->pfn = PHYS_PFN(virt_to_phys(va));
	r->maddr = maddr;
	r->order = order;
	r->cls = cls;
	r->gp_state = get_completed_synchronize_rcu();	/* never mapped */
	INIT_LIST_HEAD(&r->list);
	xdx_count(XDX_EXCHANGES, 1);
	xdx_count(XDX_BYTES_EXCHANGED, bytes);
	trace_xen_dma_exchange_exchanged(xdx_class_names[cls], r->pfn, order,
					 xdx_class_bits[cls], maddr);
	return r;

free_pages:
	free_pages_exact(va, bytes);
free_region:
	kfree(r);
	return NULL;
}

/* A region's pages and frames, or two such halves of one aligned extent. */
struct xdx_extent {
	unsigned long pfn;
	phys_addr_t maddr;
	unsigned int order;
};

static struct xdx_extent xdx_extent_of(const struct xdx_region *r)
{
	return (struct xdx_extent){ r->pfn, r->maddr, r->order };
}

/* Whether @e begins where @lo ends, pseudo-physically and in machine frames. */
static bool xdx_follows(const struct xdx_extent *lo, const struct xdx_extent *e)
{
	unsigned long n = 1UL << lo->order;

	return e->pfn == lo->pfn + n && e->maddr == lo->maddr + PFN_PHYS(n);
}

/*
 * Whether @lo and @hi are the two halves of one naturally aligned machine
 * extent, at adjacent pseudo-physical frames in the same order: together
 * one extent of the next order, as machine-contiguous and aligned as an
 * exchange of that order would make.
 */
static bool xdx_halves(const struct xdx_extent *lo, const struct xdx_extent *hi)
{
	return hi->order == lo->order &&
	       !(lo->maddr & PFN_PHYS(1UL << lo->order)) && xdx_follows(lo, hi);
}

/*
 * Whether @e begins where @lo ends and is smaller: it may yet grow into
 * @lo's other half.
 */
static bool xdx_may_join(const struct xdx_extent *lo,
			 const struct xdx_extent *e)
{
	return e->order < lo->order && xdx_follows(lo, e);
}

/*
 * Give the @n extents of @stack back to Xen and free their pages.
 * Return: 0, the stack's new height.
 */
static unsigned int xdx_give_back(const struct xdx_extent *stack,
				  unsigned int n, const char *why)
{
	while (n--) {
		trace_xen_dma_exchange_invalidate(stack[n].pfn, stack[n].order,
						  why);
		xen_destroy_contiguous_region(PFN_PHYS(stack[n].pfn),
					      stack[n].order);
		free_pages_exact(phys_to_virt(PFN_PHYS(stack[n].pfn)),
				 PAGE_SIZE << stack[n].order);
		cond_resched();
	}
	return 0;
}

/* Publish a new region, free or taken for a mapping. */
static void xdx_region_add(struct xdx_region *r, bool taken)
{
	lockdep_assert_held(&xdx_region_lock);
	latch_tree_insert(&r->lt, &xdx_region_tree, &xdx_region_tree_ops);
	if (taken) {
		xdx_nr_used[r->cls][r->order]++;
	} else {
		r->idle_since = jiffies;
		list_add(&r->list, &xdx_free[r->cls][r->order]);
		xdx_nr_free[r->cls][r->order]++;
	}
}

/*
 * After xdx_region_create(): publish @r, taken or free, or if it could
 * not be made give back the budget claimed for it.
 */
static void xdx_region_publish(struct xdx_region *r, enum xdx_class cls,
			       unsigned int order, bool taken)
{
	unsigned long flags;

	spin_lock_irqsave(&xdx_region_lock, flags);
	if (r) {
		xdx_region_add(r, taken);
		xdx_granted_order = max_t(int, xdx_granted_order, order);
	} else {
		xdx_unclaim(cls, order);
	}
	spin_unlock_irqrestore(&xdx_region_lock, flags);
}

/* Take the free region @r off its free list. */
static void xdx_region_unlist_free(struct xdx_region *r)
{
	lockdep_assert_held(&xdx_region_lock);
	list_del_init(&r->list);
	xdx_nr_free[r->cls][r->order]--;
}

/*
 * Take a free region off its free list and out of the tree.  Lock-free
 * readers may still find it until an RCU grace period has passed; they
 * find it unmapped.
 */
static void xdx_region_take_free(struct xdx_region *r)
{
	xdx_region_unlist_free(r);
	latch_tree_erase(&r->lt, &xdx_region_tree, &xdx_region_tree_ops);
}

/*
 * Take a free region off its list and out of the tree, for destruction;
 * it counts against the budgets until it is given back.
 */
static void xdx_region_unlink(struct xdx_region *r, struct list_head *dead)
{
	xdx_region_take_free(r);
	list_add(&r->list, dead);
}

/*
 * Whether a region on @dead was put back (xdx_region_put()) less than a
 * grace period ago: a stale sync that found it mapped may still be
 * copying to its pages.
 */
static bool xdx_regions_recently_put(struct list_head *dead)
{
	struct xdx_region *r;

	list_for_each_entry(r, dead, list)
		if (!poll_state_synchronize_rcu(r->gp_state))
			return true;
	return false;
}

static int xdx_pfn_cmp(void *priv, const struct list_head *a,
		       const struct list_head *b)
{
	return list_entry(a, struct xdx_region, list)->pfn >
	       list_entry(b, struct xdx_region, list)->pfn;
}

/*
 * Give the regions on @dead back to Xen, those that are halves of one
 * extent together, up to XDX_MERGE_MAX_ORDER: the parts of a split region
 * all given back at once go back in one hypercall.  In PFN order, a stack
 * holds extents that may still grow, of strictly decreasing order, each
 * ending where the next begins; what cannot grow any more goes back.
 * First, if one of them was put back less than an RCU grace period ago
 * (xdx_regions_recently_put()), a grace period: a lock-free reader that
 * found it still mapped (a stale sync, xdx_region_find()) has finished
 * copying before its pages go.  Readers that found it later saw it
 * unmapped and use only its struct, freed after a grace period.  Then
 * their budget.  Process context.
 *
 * Return: the number of pages given back.
 */
static unsigned long xdx_destroy_list(struct list_head *dead, const char *why)
{
	struct xdx_extent stack[XDX_NR_ORDERS], e;
	unsigned long flags, pages = 0, low_pages = 0;
	struct xdx_region *r, *tmp;
	unsigned int n = 0;

	/* strictly decreasing orders, each at most XDX_MAX_ORDER, fit */
	BUILD_BUG_ON(XDX_MERGE_MAX_ORDER > XDX_MAX_ORDER);
	if (list_empty(dead))
		return 0;
	if (xdx_regions_recently_put(dead)) {
		xdx_count(XDX_GIVE_BACK_WAITS, 1);
		synchronize_rcu();
	}
	list_sort(NULL, dead, xdx_pfn_cmp);
	list_for_each_entry_safe(r, tmp, dead, list) {
		list_del(&r->list);
		pages += 1UL << r->order;
		if (r->cls == XDX_CLASS_LOW)
			low_pages += 1UL << r->order;
		xdx_count(XDX_RELEASES, 1);
		e = xdx_extent_of(r);
		kfree_rcu(r, rcu);	/* readers may have found it in the tree */
		while (n && e.order < XDX_MERGE_MAX_ORDER &&
		       xdx_halves(&stack[n - 1], &e)) {
			e = stack[--n];
			e.order++;
		}
		if (n && !xdx_may_join(&stack[n - 1], &e))
			n = xdx_give_back(stack, n, why);
		stack[n++] = e;
	}
	xdx_give_back(stack, n, why);
	spin_lock_irqsave(&xdx_region_lock, flags);
	xdx_unclaim_pages(pages, low_pages);
	spin_unlock_irqrestore(&xdx_region_lock, flags);
	return pages;
}

/*
 * A miss this mapping could not serve: ask the worker for more regions of
 * its size, one more than asked so far or a quarter of those in use,
 * whichever is more, and at most 4 MiB of one size a round.  A stream of
 * mappings that has outgrown its regions (hundreds of single pages in
 * flight, for scattered user buffers) grows them geometrically, in a few
 * rounds, rather than one miss at a time.
 */
static void xdx_want_more(enum xdx_class cls, unsigned int order)
{
	unsigned int want = max(xdx_want[cls][order] + 1,
				xdx_nr_used[cls][order] / 4);

	lockdep_assert_held(&xdx_region_lock);
	xdx_want[cls][order] = min_t(unsigned int, want,
				     max(1, SZ_4M >> (PAGE_SHIFT + order)));
}

static void xdx_kick_refill(void)
{
	/* Pairs with the release in xdx_region_init(): no work before it. */
	if (smp_load_acquire(&xdx_ready))
		queue_work(system_unbound_wq, &xdx_refill_work);
}

/* Record the mapping @r serves; before it is marked mapped. */
static void xdx_region_set_mapping(struct xdx_region *r, phys_addr_t orig,
				   size_t size)
{
	/* a stale unmap or sync may read these: see xdx_region_lookup() */
	WRITE_ONCE(r->orig, orig);
	WRITE_ONCE(r->offset, offset_in_page(orig));
	WRITE_ONCE(r->size, size);
}

/* Whether the free region @r has been unused since @before (jiffies). */
static bool xdx_idle_since(const struct xdx_region *r, unsigned long before)
{
	return !time_after(r->idle_since, before);
}

/* A spare struct for a split's part or a merge's whole; the caller checked. */
static struct xdx_region *xdx_take_spare(void)
{
	struct xdx_region *r;

	lockdep_assert_held(&xdx_region_lock);
	r = list_first_entry(&xdx_spares, struct xdx_region, list);
	list_del(&r->list);
	xdx_nr_spares--;
	return r;
}

/* Make a free region of the part of @whole at @off pages, of @order. */
static void xdx_region_add_part(const struct xdx_region *whole,
				unsigned long off, unsigned int order)
{
	struct xdx_region *part;

	part = xdx_take_spare();
	part->pfn = whole->pfn + off;
	part->maddr = whole->maddr + PFN_PHYS(off);
	part->order = order;
	part->cls = whole->cls;
	part->gp_state = whole->gp_state;
	xdx_region_add(part, false);
}

/*
 * Split the free region @r buddy-wise down to @order: its first 2^@order
 * pages become a free region of @order, and the rest one free region of
 * each order from @order to r->order - 1.  A naturally aligned part of a
 * machine-contiguous extent is machine-contiguous and aligned as an
 * exchange of its order would be, so no hypercall is made.  Its pages were
 * split at allocation, so every part can be given back on its own.  The
 * parts take spare structs; @r leaves the tree and is freed after its
 * lock-free readers, who find it unmapped.
 *
 * Return: false, @r untouched, if too few spares are left.
 */
static bool xdx_region_split(struct xdx_region *r, unsigned int order)
{
	unsigned int o = r->order;

	lockdep_assert_held(&xdx_region_lock);
	if (xdx_nr_spares < o - order + 1)
		return false;
	trace_xen_dma_exchange_split(r->pfn, o, order);
	xdx_region_take_free(r);
	while (o-- > order)
		xdx_region_add_part(r, 1UL << o, o);
	xdx_region_add_part(r, 0, order);	/* the head of its free list */
	kfree_rcu(r, rcu);
	xdx_count(XDX_SPLITS, 1);
	return true;
}

/*
 * The first free region of @order in @cls, or failing that, one of up to
 * XDX_BORROW_ORDERS larger: a larger region is naturally aligned at a
 * larger size, so a mapping that fits @order crosses no boundary there.
 * Only a larger order's free regions beyond @keep are borrowed.
 */
static struct xdx_region *xdx_borrow_free(enum xdx_class cls,
					  unsigned int order, unsigned int keep)
{
	unsigned int o, last = min_t(unsigned int, order + XDX_BORROW_ORDERS,
				      XDX_MAX_ORDER);
	struct xdx_region *r;

	for (o = order; o <= last; o++) {
		if (o > order && xdx_nr_free[cls][o] <= keep)
			continue;
		r = list_first_entry_or_null(&xdx_free[cls][o],
					     struct xdx_region, list);
		if (r)
			return r;
	}
	return NULL;
}

/*
 * A free region of @order split off a free region of order @from or
 * larger, of the first such order of which more than @keep are free: the
 * one unused longest, and with @cold only if it has been unused for
 * XDX_SHRINK_IDLE, since a split is for good and a region a stream of
 * mappings is cycling through would soon be exchanged anew.  NULL if
 * there is none.
 */
static struct xdx_region *xdx_split_free(enum xdx_class cls,
					 unsigned int order, unsigned int from,
					 unsigned int keep, bool cold)
{
	struct xdx_region *r;
	unsigned int o;

	for (o = from; o <= XDX_MAX_ORDER; o++) {
		if (xdx_nr_free[cls][o] <= keep)
			continue;
		r = list_last_entry(&xdx_free[cls][o], struct xdx_region, list);
		if (cold && !xdx_idle_since(r, jiffies - XDX_SHRINK_IDLE))
			continue;
		if (!xdx_region_split(r, order))
			return NULL;
		return list_first_entry(&xdx_free[cls][order],
					struct xdx_region, list);
	}
	return NULL;
}

/*
 * The free buddy of the free region @r, if the two can be one region of
 * the next order: the other half of the naturally aligned machine extent
 * twice @r's size, at the adjacent pseudo-physical frames on the same
 * side, of @r's order and class, on a free list (neither mapped nor
 * claimed by an unmap still copying back) and unused since @before.
 * Parts of one split always are buddies; regions exchanged apart only if
 * Xen happened to place them so.
 */
static struct xdx_region *xdx_free_buddy(const struct xdx_region *r,
					 unsigned long before)
{
	unsigned long n = 1UL << r->order, pfn;
	struct xdx_extent re = xdx_extent_of(r), be;
	bool upper = r->maddr & PFN_PHYS(n);
	struct latch_tree_node *node;
	struct xdx_region *b;

	lockdep_assert_held(&xdx_region_lock);
	if (upper && r->pfn < n)
		return NULL;
	pfn = upper ? r->pfn - n : r->pfn + n;
	node = latch_tree_find(&pfn, &xdx_region_tree, &xdx_region_tree_ops);
	if (!node)
		return NULL;
	b = container_of(node, struct xdx_region, lt);
	be = xdx_extent_of(b);
	if (!(upper ? xdx_halves(&be, &re) : xdx_halves(&re, &be)) ||
	    b->cls != r->cls || list_empty(&b->list) || b->cooling ||
	    !xdx_idle_since(b, before))
		return NULL;
	return b;
}

/*
 * Merge the free buddies @a and @b into one free region of the next
 * order, with no hypercall: the inverse of a split.  The whole takes a
 * spare struct; @a and @b leave the tree and are freed after their
 * lock-free readers, who find them unmapped.
 */
static struct xdx_region *xdx_region_merge(struct xdx_region *a,
					   struct xdx_region *b)
{
	struct xdx_region *lo = a->pfn < b->pfn ? a : b, *whole;

	whole = xdx_take_spare();
	whole->pfn = lo->pfn;
	whole->maddr = lo->maddr;
	whole->order = lo->order + 1;
	whole->cls = lo->cls;
	/* readers of either half: a state later than both if one is young */
	if (poll_state_synchronize_rcu(a->gp_state) &&
	    poll_state_synchronize_rcu(b->gp_state))
		whole->gp_state = get_completed_synchronize_rcu();
	else
		whole->gp_state = get_state_synchronize_rcu();
	trace_xen_dma_exchange_merge(whole->pfn, whole->order);
	xdx_region_take_free(a);
	xdx_region_take_free(b);
	kfree_rcu(a, rcu);
	kfree_rcu(b, rcu);
	xdx_region_add(whole, false);	/* the head of its free list */
	xdx_count(XDX_MERGES, 1);
	return whole;
}

/*
 * A free region of @order, at most XDX_MERGE_MAX_ORDER, merged from two
 * free buddies of @order - 1, both unused for XDX_SHRINK_IDLE, if more
 * than @keep + 1 of that order are free: the oldest XDX_MERGE_SCAN are
 * looked at, a tree lookup each, to bound the time with the lock held.
 * NULL if there is none.
 */
static struct xdx_region *xdx_merge_free(enum xdx_class cls,
					 unsigned int order, unsigned int keep)
{
	unsigned long before = jiffies - XDX_SHRINK_IDLE;
	struct xdx_region *r, *b;
	unsigned int scanned = 0;

	lockdep_assert_held(&xdx_region_lock);
	if (!order || order > XDX_MERGE_MAX_ORDER ||
	    xdx_nr_free[cls][order - 1] < keep + 2 || !xdx_nr_spares)
		return NULL;
	list_for_each_entry_reverse(r, &xdx_free[cls][order - 1], list) {
		/* the list is in order of use: older ones are behind */
		if (!xdx_idle_since(r, before) ||
		    scanned++ == XDX_MERGE_SCAN)
			return NULL;
		b = xdx_free_buddy(r, before);
		if (b)
			return xdx_region_merge(r, b);
	}
	return NULL;
}

/*
 * A free region for a mapping of @order in @cls: borrowed (its own order
 * or up to XDX_BORROW_ORDERS larger, those beyond @keep), split off a
 * larger one unused for XDX_SHRINK_IDLE, or merged from two buddies of
 * the order below unused as long.  A split or a merge takes only from
 * beyond the reserve of the order it takes from, @keep or not: the
 * reserve of large orders is what sizes promised at probe rely on, and
 * that of small ones what a burst of small misses relies on.
 */
static struct xdx_region *xdx_first_free(enum xdx_class cls,
					 unsigned int order, unsigned int keep)
{
	lockdep_assert_held(&xdx_region_lock);
	switch (xdx_test_aid()) {
	case XDX_TEST_DENY:
		return NULL;
	case XDX_TEST_SPLIT:
		return xdx_split_free(cls, order, order + XDX_BORROW_ORDERS + 1,
				      0, false);
	default:
		return xdx_borrow_free(cls, order, keep) ?:
		       xdx_split_free(cls, order, order + XDX_BORROW_ORDERS + 1,
				      xdx_class_reserve(cls), true) ?:
		       xdx_merge_free(cls, order, xdx_class_reserve(cls));
	}
}

/* Take the free region @r off its free list: to map it, or for a magazine. */
static void xdx_region_take(struct xdx_region *r)
{
	xdx_region_unlist_free(r);
	xdx_nr_used[r->cls][r->order]++;
}

/* Whether the free region @r has been unused longer than its list's tail. */
static bool xdx_older_than_tail(const struct xdx_region *r)
{
	struct list_head *free = &xdx_free[r->cls][r->order];

	return !list_empty(free) &&
	       time_before(r->idle_since,
			   list_last_entry(free, struct xdx_region, list)->idle_since);
}

/*
 * Put the taken, unmapped region @r on its free list: at the head, or at
 * the tail if it has been unused longer than the region there (one from
 * a drained magazine), so that the tail stays the oldest.
 */
static void xdx_region_to_free_list(struct xdx_region *r)
{
	struct list_head *free = &xdx_free[r->cls][r->order];

	lockdep_assert_held(&xdx_region_lock);
	xdx_nr_used[r->cls][r->order]--;
	if (xdx_older_than_tail(r))
		list_add_tail(&r->list, free);
	else
		list_add(&r->list, free);
	xdx_nr_free[r->cls][r->order]++;
}

/* How many regions of @order cool_kib's worth is: at least one, none if 0. */
static unsigned int xdx_cool_slots(unsigned int order)
{
	unsigned int kib = READ_ONCE(xdx_cool_kib);

	return kib ? max(1U, kib >> (PAGE_SHIFT - 10 + order)) : 0;
}

/* Take the oldest region off the cooling list of @cls and @order. */
static struct xdx_region *xdx_cool_take(enum xdx_class cls, unsigned int order)
{
	struct xdx_region *r;

	lockdep_assert_held(&xdx_region_lock);
	r = list_first_entry_or_null(&xdx_cooling[cls][order],
				     struct xdx_region, list);
	if (r) {
		list_del_init(&r->list);
		r->cooling = false;
		xdx_nr_cooling[cls][order]--;
	}
	return r;
}

/*
 * Put the taken, unmapped region @r on its cooling list, behind those put
 * back before it; those beyond cool_kib's worth, oldest first, go on to
 * the free list.
 */
static void xdx_region_cool(struct xdx_region *r)
{
	unsigned int cls = r->cls, order = r->order;

	lockdep_assert_held(&xdx_region_lock);
	r->cooling = true;
	list_add_tail(&r->list, &xdx_cooling[cls][order]);
	xdx_nr_cooling[cls][order]++;
	while (xdx_nr_cooling[cls][order] > xdx_cool_slots(order))
		xdx_region_to_free_list(xdx_cool_take(cls, order));
}

/*
 * Move every cooling list to the free lists, where give-backs, splits and
 * merges see them.  Oldest first: the newest ends at the head.
 */
static void xdx_cool_drain(void)
{
	unsigned int cls, order;
	unsigned long flags;

	for (cls = 0; cls < XDX_NR_CLASSES; cls++)
		for (order = 0; order <= XDX_MAX_ORDER; order++) {
			/* one hold a size: interrupts stay off meanwhile */
			spin_lock_irqsave(&xdx_region_lock, flags);
			while (xdx_nr_cooling[cls][order])
				xdx_region_to_free_list(xdx_cool_take(cls, order));
			spin_unlock_irqrestore(&xdx_region_lock, flags);
		}
}

/*
 * Put the @n regions of @rs, oldest first, out of a magazine, on their
 * cooling lists with @cool (from a full magazine), else on their free
 * lists (@rs is used up): those unused longer than the tail behind it,
 * newest first so that the oldest ends last; the others at the head,
 * oldest first so that the newest ends first.
 */
static void xdx_mag_spill(struct xdx_region **rs, unsigned int n, bool cool)
{
	unsigned long flags;
	unsigned int i;

	if (!n)
		return;
	spin_lock_irqsave(&xdx_region_lock, flags);
	if (cool) {
		for (i = 0; i < n; i++)
			xdx_region_cool(rs[i]);
		spin_unlock_irqrestore(&xdx_region_lock, flags);
		return;
	}
	for (i = n; i--; ) {
		if (xdx_older_than_tail(rs[i])) {
			xdx_region_to_free_list(rs[i]);
			rs[i] = NULL;
		}
	}
	for (i = 0; i < n; i++)
		if (rs[i])
			xdx_region_to_free_list(rs[i]);
	spin_unlock_irqrestore(&xdx_region_lock, flags);
}

/*
 * Move the @n oldest of the *@cnt regions in the magazine stack @mag to
 * @old, oldest first, for xdx_mag_spill() once the magazine's lock is
 * dropped.
 */
static void xdx_mag_take_oldest(struct xdx_mag *m, struct xdx_region **mag,
				unsigned int *cnt, unsigned int n,
				struct xdx_region **old)
{
	lockdep_assert_held(&m->lock);
	memcpy(old, mag, n * sizeof(*mag));
	memmove(mag, mag + n, (*cnt - n) * sizeof(*mag));
	*cnt -= n;
}

/*
 * The region of @cls and @order (at most XDX_MAG_MAX_ORDER) last put in
 * this CPU's magazine, if any, taken without xdx_region_lock.
 * raw_cpu_ptr(): should the task move to another CPU, the magazine's lock
 * still makes this correct.
 */
static struct xdx_region *xdx_mag_pop(enum xdx_class cls, unsigned int order)
{
	struct xdx_region *r = NULL;
	unsigned long flags;
	struct xdx_mag *m;

	m = raw_cpu_ptr(xdx_mags);
	spin_lock_irqsave(&m->lock, flags);
	if (m->n[cls][order])
		r = m->r[cls][order][--m->n[cls][order]];
	spin_unlock_irqrestore(&m->lock, flags);
	return r;
}

/*
 * Take up to @max free regions of @cls and @order beyond the reserve off
 * the head of the free list into @rs, for this CPU's magazine: a CPU that
 * maps what another CPU unmaps (completions are often all on one) then
 * takes the global lock once per batch, not once per mapping.
 *
 * Return: how many were taken.
 */
static unsigned int xdx_take_batch(enum xdx_class cls, unsigned int order,
				   struct xdx_region **rs, unsigned int max)
{
	unsigned int n = 0;

	lockdep_assert_held(&xdx_region_lock);
	while (n < max && xdx_nr_free[cls][order] > xdx_class_reserve(cls)) {
		rs[n] = list_first_entry(&xdx_free[cls][order],
					 struct xdx_region, list);
		xdx_region_take(rs[n++]);
	}
	return n;
}

/*
 * Put the @n regions of @rs, all of one class and order, in this CPU's
 * magazine of their size, the first on top, as far as cpu_cache has room
 * (the magazine was empty when @rs was taken, unless an unmap on this CPU
 * or a move to another CPU filled it since); those left over go back to
 * the free lists.
 */
static void xdx_mag_fill(struct xdx_region **rs, unsigned int n)
{
	unsigned int size = READ_ONCE(xdx_cpu_cache), *cnt;
	struct xdx_region **mag;
	unsigned long flags;
	struct xdx_mag *m;

	if (!n)
		return;
	m = raw_cpu_ptr(xdx_mags);
	spin_lock_irqsave(&m->lock, flags);
	cnt = &m->n[rs[0]->cls][rs[0]->order];
	mag = m->r[rs[0]->cls][rs[0]->order];
	while (n && *cnt < size)
		mag[(*cnt)++] = rs[--n];
	spin_unlock_irqrestore(&m->lock, flags);
	xdx_mag_spill(rs, n, false);
}

/*
 * Keep the unmapped region @r in this CPU's magazine of its size; if that
 * is full (cpu_cache), its older regions go to the cooling lists (the
 * free lists with cool_kib 0) first, all but half of cpu_cache.
 *
 * Return: false, @r untouched, if its size has no magazine or cpu_cache
 * is 0.
 */
static bool xdx_mag_push(struct xdx_region *r)
{
	unsigned int size = READ_ONCE(xdx_cpu_cache), spill = 0, *n;
	struct xdx_region *old[XDX_MAG_SIZE], **mag;
	unsigned long flags;
	struct xdx_mag *m;

	if (!size || r->order > XDX_MAG_MAX_ORDER)
		return false;
	m = raw_cpu_ptr(xdx_mags);
	spin_lock_irqsave(&m->lock, flags);
	n = &m->n[r->cls][r->order];
	mag = m->r[r->cls][r->order];
	if (*n >= size) {
		spill = *n - size / 2;
		xdx_mag_take_oldest(m, mag, n, spill, old);
	}
	mag[(*n)++] = r;
	spin_unlock_irqrestore(&m->lock, flags);
	xdx_mag_spill(old, spill, xdx_cool_slots(r->order) != 0);
	return true;
}

/*
 * Move every CPU's magazines, and then the cooling lists, to the free
 * lists, where give-backs, splits and merges see them: before a flush,
 * the shrinker and the idle worker collect free regions, and when
 * cpu_cache or cool_kib is lowered.  A region keeps its idle time; one
 * unused longer than its list's tail goes behind it.  Only stacks that
 * hold regions cost a lock.
 */
static void xdx_mags_drain(void)
{
	struct xdx_region *old[XDX_MAG_SIZE];
	unsigned int cls, order, n;
	unsigned long flags;
	int cpu;

	if (!xdx_mags)		/* xdx_region_init() did not succeed */
		return;
	for_each_possible_cpu(cpu) {
		struct xdx_mag *m = per_cpu_ptr(xdx_mags, cpu);

		for (cls = 0; cls < XDX_NR_CLASSES; cls++) {
			for (order = 0; order <= XDX_MAG_MAX_ORDER; order++) {
				/* a return after this read stays, as after the lock */
				if (!READ_ONCE(m->n[cls][order]))
					continue;
				spin_lock_irqsave(&m->lock, flags);
				n = m->n[cls][order];
				xdx_mag_take_oldest(m, m->r[cls][order],
						    &m->n[cls][order], n, old);
				spin_unlock_irqrestore(&m->lock, flags);
				xdx_mag_spill(old, n, false);
			}
		}
	}
	xdx_cool_drain();
}

/*
 * For a miss of @cls and @order (at most XDX_MAG_MAX_ORDER) that found no
 * free region and would otherwise exchange or fall back to the fixed
 * pool: the older half (at least one) of the magazine of that size of the
 * next CPU after this one that holds any.  The newest of that half serves
 * the mapping, the rest go to this CPU's magazine, the oldest lowest, so
 * that a CPU mapping what another unmaps takes them from there, not one
 * lock pair at a time.  A region in a magazine is free; taking it under
 * its CPU's lock is what that CPU's own mapping does.  Costs one read per
 * possible CPU when none has one.
 *
 * Return: the region for the mapping, taken, or NULL.
 */
static struct xdx_region *xdx_mag_take_other(enum xdx_class cls,
					     unsigned int order)
{
	struct xdx_region *rs[XDX_MAG_SIZE / 2];
	int cpu, this = raw_smp_processor_id();
	unsigned long flags;
	unsigned int n = 0, i;

	if (!READ_ONCE(xdx_cpu_cache))
		return NULL;
	for_each_cpu_wrap(cpu, cpu_possible_mask, this + 1) {
		struct xdx_mag *m = per_cpu_ptr(xdx_mags, cpu);
		unsigned int *cnt = &m->n[cls][order];

		if (cpu == this || !READ_ONCE(*cnt))
			continue;
		spin_lock_irqsave(&m->lock, flags);
		n = DIV_ROUND_UP(*cnt, 2);
		xdx_mag_take_oldest(m, m->r[cls][order], cnt, n, rs);
		spin_unlock_irqrestore(&m->lock, flags);
		if (n)
			break;
	}
	if (!n)
		return NULL;
	/* oldest first as taken; xdx_mag_fill() wants the newest first */
	for (i = 0; i < n / 2; i++)
		swap(rs[i], rs[n - 1 - i]);
	xdx_mag_fill(rs + 1, n - 1);
	xdx_count(XDX_REUSES, 1);
	xdx_count(XDX_OTHER_CPU_REUSES, 1);
	return rs[0];
}

/* Add the regions in every CPU's magazines, by class and order, to @nr. */
static void xdx_mags_count(unsigned int nr[XDX_NR_CLASSES][XDX_NR_ORDERS])
{
	unsigned int cls, order;
	int cpu;

	if (!xdx_mags)
		return;
	for_each_possible_cpu(cpu)
		for (cls = 0; cls < XDX_NR_CLASSES; cls++)
			for (order = 0; order <= XDX_MAG_MAX_ORDER; order++)
				nr[cls][order] +=
					READ_ONCE(per_cpu_ptr(xdx_mags, cpu)->n[cls][order]);
}

/*
 * For xdx_region_get() past this CPU's magazine (or without one): a free
 * region from the free lists, or if none of @order is free the oldest of
 * its cooling list (and, if @on_cpu, a batch more of @order for the
 * magazine), else if @on_cpu one from another CPU's magazine, else one
 * exchanged now; NULL, with *@why, if none.
 */
static struct xdx_region *xdx_region_get_shared(enum xdx_class cls,
						unsigned int order, bool large,
						bool on_cpu,
						enum xdx_stat *why)
{
	unsigned int now = large ? XDX_ATOMIC_ORDER_MAX : READ_ONCE(xdx_atomic_order);
	struct xdx_region *r, *batch[XDX_MAG_SIZE / 2];
	unsigned int nr_batch = 0;
	unsigned long flags;
	bool low_water;

	spin_lock_irqsave(&xdx_region_lock, flags);
	/* none of its size free: the oldest cooling ones, before a larger one */
	r = NULL;
	if (!xdx_nr_free[cls][order] && xdx_test_aid() == XDX_TEST_NONE)
		r = xdx_cool_take(cls, order);
	if (r) {
		while (on_cpu && nr_batch < READ_ONCE(xdx_cpu_cache) / 2 &&
		       xdx_nr_cooling[cls][order])
			batch[nr_batch++] = xdx_cool_take(cls, order);
	} else {
		r = xdx_first_free(cls, order, (large || order > now) ? 0 :
				   xdx_class_reserve(cls));
		if (r) {
			xdx_region_take(r);
			if (on_cpu)
				nr_batch = xdx_take_batch(cls, order, batch,
							  READ_ONCE(xdx_cpu_cache) / 2);
		}
	}
	if (r) {
		low_water = xdx_nr_free[cls][r->order] +
			    xdx_nr_cooling[cls][r->order] < xdx_class_reserve(cls) ||
			    xdx_nr_spares < XDX_NR_ORDERS;
		if (r->order != order) {	/* borrowed: build the right size */
			xdx_want_more(cls, order);
			low_water = true;
		}
		spin_unlock_irqrestore(&xdx_region_lock, flags);
		xdx_mag_fill(batch, nr_batch);
		xdx_count(XDX_REUSES, 1);
		if (low_water)
			xdx_kick_refill();
		return r;
	}
	if (on_cpu) {	/* before a hypercall or the fixed pool */
		spin_unlock_irqrestore(&xdx_region_lock, flags);
		r = xdx_mag_take_other(cls, order);
		if (r) {
			if (xdx_class_reserve(cls))	/* none free: refill */
				xdx_kick_refill();
			return r;
		}
		spin_lock_irqsave(&xdx_region_lock, flags);
	}
	if (order > now) {
		xdx_want_more(cls, order);
		spin_unlock_irqrestore(&xdx_region_lock, flags);
		xdx_kick_refill();
		*why = XDX_SKIP_ATOMIC;
		return NULL;
	}
	if (!xdx_claim(cls, order)) {
		xdx_want_more(cls, order);
		spin_unlock_irqrestore(&xdx_region_lock, flags);
		xdx_kick_refill();	/* may trim other sizes */
		*why = XDX_SKIP_BUDGET;
		return NULL;
	}
	xdx_want_more(cls, order);	/* this size runs short: grow it */
	spin_unlock_irqrestore(&xdx_region_lock, flags);
	xdx_kick_refill();

	r = xdx_region_create(cls, order, GFP_NOWAIT, why);
	if (r)
		xdx_count(XDX_MAP_EXCHANGES, 1);
	xdx_region_publish(r, cls, order, true);
	return r;
}

/**
 * xdx_region_get() - a region for a mapping of @order in @cls
 * @cls: address class
 * @order: size, as page order
 * @orig: the caller's buffer, which the region will serve
 * @size: its length
 * @large: a size above the fixed pool's maximum that the device was
 *	promised at probe time: it has no other way
 * @why: returns the reason when no region can be had
 *
 * The region of @order this CPU's unmaps put back last is taken if there
 * is one (no hypercall, no global lock), else a free region of @order (no
 * hypercall), with up to half of cpu_cache more beyond the reserve for
 * this CPU's magazine, else the oldest of @order still cooling.
 * Failing that, one up to XDX_BORROW_ORDERS larger: any free one for a
 * @large mapping or a miss too large to exchange now, one beyond that
 * order's reserve for a miss that could be exchanged now (a hypercall
 * saved on the mapping path, the reserve kept for its own size).  Failing
 * that, a part split off a free one larger still, beyond its order's
 * reserve and unused for a second, or two free buddies of the order
 * below, beyond its reserve and unused as long, merged (xdx_first_free()).
 * Failing that, for a size CPUs keep in magazines, the older half of
 * another CPU's magazine of @order, the rest to this CPU's magazine
 * (xdx_mag_take_other()).
 * Otherwise one is exchanged now if @order is at most atomic_order
 * (XDX_ATOMIC_ORDER_MAX for a @large mapping) and the budget allows.  A
 * miss not served by a split, a merge or another CPU's magazine, served
 * or not, asks the worker for regions of the size; without a region the
 * caller falls back.
 * The mapping is recorded in the region, which is not yet mapped: unmap
 * and sync find it once xdx_region_commit() has marked it.  Never sleeps.
 *
 * Return: the region, taken, or NULL.
 */
struct xdx_region *xdx_region_get(enum xdx_class cls, unsigned int order,
				  phys_addr_t orig, size_t size, bool large,
				  enum xdx_stat *why)
{
	bool on_cpu = xdx_test_aid() == XDX_TEST_NONE && order <= XDX_MAG_MAX_ORDER;
	struct xdx_region *r;

	/* Pairs with the release in xdx_region_init(): lists set up. */
	if (!smp_load_acquire(&xdx_ready)) {
		*why = XDX_SKIP_DISABLED;
		return NULL;
	}
	r = on_cpu ? xdx_mag_pop(cls, order) : NULL;
	if (r) {
		xdx_count(XDX_REUSES, 1);
		xdx_count(XDX_CPU_REUSES, 1);
	} else {
		r = xdx_region_get_shared(cls, order, large, on_cpu, why);
	}
	/* not yet mapped: lock-free readers ignore these until the commit */
	if (r)
		xdx_region_set_mapping(r, orig, size);
	return r;
}

/**
 * xdx_region_put() - make a region free again
 * @r: a region from xdx_region_claim(), or one from xdx_region_get() the
 *	mapping could not use (not committed)
 *
 * The region goes to this CPU's magazine of its size, if it has one: the
 * next mapping of its size on this CPU reuses it.  Otherwise to its
 * cooling list, and from there, behind cool_kib's worth of later ones, to
 * the head of its free list.
 */
void xdx_region_put(struct xdx_region *r)
{
	unsigned long flags;

	r->idle_since = jiffies;
	/* after the claim: a reader from now on finds @r unmapped */
	r->gp_state = get_state_synchronize_rcu();
	if (xdx_mag_push(r))
		return;
	spin_lock_irqsave(&xdx_region_lock, flags);
	xdx_region_cool(r);
	spin_unlock_irqrestore(&xdx_region_lock, flags);
}

/**
 * xdx_region_commit() - make a region's mapping visible
 * @r: a region from xdx_region_get(), holding the buffer's bytes
 *
 * From now on the mapping's unmap and syncs find @r.  Until then a stale
 * unmap or sync of its address finds nothing: it can neither copy what
 * the region held before into the new caller's buffer nor free the region
 * under the mapping path.  The counters are the gate of unmap and sync
 * (see include/xen/dma-exchange.h): all mapped regions, and those of
 * class "any", the only ones that may lie above 4 GiB.
 */
void xdx_region_commit(struct xdx_region *r)
{
	atomic_long_inc(&xen_dma_exchange_nr_mapped);
	if (r->cls == XDX_CLASS_ANY)
		atomic_long_inc(&xen_dma_exchange_nr_mapped_any);
	/* the mapping's fields first: pairs with xdx_region_lookup() */
	smp_store_release(&r->map_seq, READ_ONCE(r->map_seq) + 1);
}

/*
 * Read the mapping of @r, found mapped with @seq, into @m.  False if
 * @seq has moved meanwhile: a stale unmap or sync racing the region's
 * next mapping could otherwise mix two mappings' fields and copy past one.
 */
static bool xdx_region_read_mapping(const struct xdx_region *r,
				    unsigned long seq, struct xdx_mapping *m)
{
	m->orig = READ_ONCE(r->orig);
	m->start = PFN_PHYS(r->pfn) + READ_ONCE(r->offset);
	m->size = READ_ONCE(r->size);
	/* the fields before the sequence, as a seqcount reader */
	smp_rmb();
	return READ_ONCE(r->map_seq) == seq;
}

/*
 * Claim the region @r, found mapped with @seq, for the unmap of @phys and
 * @size: mapped no more, given to the caller.  No lock: the mapping is
 * read as a sync reads it, and only if @seq has not moved since, as the
 * exchange checks, was it this mapping and is it still mapped; of two
 * unmaps racing, one wins.  A stale unmap that read the fields of the
 * region's next mapping finds nothing.
 *
 * Return: @r; NULL if it is no longer the mapping found; ERR_PTR(-EINVAL)
 * if @phys and @size are not its mapping's (it stays mapped).
 */
static struct xdx_region *xdx_region_claim_seq(struct xdx_region *r,
					       unsigned long seq,
					       phys_addr_t phys, size_t size)
{
	struct xdx_mapping cur;

	if (!xdx_region_read_mapping(r, seq, &cur))
		return NULL;
	if (phys != cur.start || size != cur.size)
		return ERR_PTR(-EINVAL);
	if (!try_cmpxchg(&r->map_seq, &seq, seq + 1))
		return NULL;
	atomic_long_dec(&xen_dma_exchange_nr_mapped);
	if (r->cls == XDX_CLASS_ANY)
		atomic_long_dec(&xen_dma_exchange_nr_mapped_any);
	return r;
}

/*
 * The region holding @phys, if mapped; lock-free.  With @claim, the
 * region is also claimed for the unmap of @phys and @unmap_size
 * (xdx_region_claim_seq()); with @m, its mapping is read into @m
 * (xdx_region_read_mapping()).
 */
static struct xdx_region *xdx_region_lookup(phys_addr_t phys, bool claim,
					    size_t unmap_size,
					    struct xdx_mapping *m)
{
	unsigned long pfn = PHYS_PFN(phys), seq;
	struct latch_tree_node *n;
	struct xdx_region *r = NULL;

	rcu_read_lock();
	n = latch_tree_find(&pfn, &xdx_region_tree, &xdx_region_tree_ops);
	if (n) {
		r = container_of(n, struct xdx_region, lt);
		/* pairs with xdx_region_commit(): the mapping's fields */
		seq = smp_load_acquire(&r->map_seq);
		if (!(seq & 1))
			r = NULL;
		else if (claim)
			r = xdx_region_claim_seq(r, seq, phys, unmap_size);
		else if (m && !xdx_region_read_mapping(r, seq, m))
			r = NULL;
	}
	rcu_read_unlock();
	return r;
}

/**
 * xdx_region_find() - the mapped region holding a physical address
 * @phys: pseudo-physical address, from the bus address through the M2P
 * @m: if not NULL, returns the region's mapping, all of its fields from
 *	one mapping
 *
 * The caller has tested xen_dma_exchange_nr_mapped.  A caller that uses
 * the region's pages after this returns holds rcu_read_lock() from before
 * the call until it is done with them: a region may be unmapped meanwhile
 * (a stale sync, a driver's bug), but is given back to Xen only a grace
 * period after that.
 *
 * Return: the region, or NULL if @phys is in no mapped region of ours
 * (or, with @m, its mapping ended while it was read).
 */
struct xdx_region *xdx_region_find(phys_addr_t phys, struct xdx_mapping *m)
{
	RCU_LOCKDEP_WARN(m && !rcu_read_lock_held(),
			 "a mapping read outside rcu_read_lock()");
	return xdx_region_lookup(phys, false, 0, m);
}

/**
 * xdx_region_claim() - take the mapped region of an unmap
 * @phys: pseudo-physical address the unmapped bus address translates to
 * @size: length given to the unmap
 *
 * Return: the region, now unmapped and to be given back with
 * xdx_region_put(); NULL if @phys is in no mapped region of ours;
 * ERR_PTR(-EINVAL) if it is in one whose mapping @phys and @size do not
 * match, @size 0 included (the region stays mapped).
 */
struct xdx_region *xdx_region_claim(phys_addr_t phys, size_t size)
{
	return xdx_region_lookup(phys, true, size, NULL);
}

/*
 * Move up to XDX_COLLECT_BATCH free regions to @dead: those beyond the
 * reserve (or all, with @all) that have been idle since @before, oldest
 * first, while *@pages (decreased by each region's pages) is not 0.  Only
 * regions of class @cls_only, if it is one, and none of the class and
 * order @skip (XDX_KIND(cls, order)) if it is one.
 *
 * Return: the number of regions moved.
 */
static unsigned int xdx_collect_batch(struct list_head *dead, bool all,
				      unsigned long before, unsigned long *pages,
				      int cls_only, int skip)
{
	unsigned int moved = 0;
	int cls, order;

	lockdep_assert_held(&xdx_region_lock);
	for (cls = 0; cls < XDX_NR_CLASSES; cls++) {
		if (cls_only >= 0 && cls != cls_only)
			continue;
		for (order = XDX_MAX_ORDER; order >= 0; order--) {
			unsigned int keep = all ? 0 : xdx_class_reserve(cls);
			struct list_head *free = &xdx_free[cls][order];
			struct xdx_region *r;

			if (XDX_KIND(cls, order) == skip)
				continue;

			while (*pages && xdx_nr_free[cls][order] > keep) {
				if (moved == XDX_COLLECT_BATCH)
					return moved;
				r = list_last_entry(free, struct xdx_region,
						    list);
				if (!xdx_idle_since(r, before))
					break;
				xdx_region_unlink(r, dead);
				*pages -= min(*pages, 1UL << order);
				moved++;
			}
		}
	}
	return moved;
}

/*
 * Move free regions to @dead as xdx_collect_batch() picks them, until
 * @pages pages are taken or none is left to take: a batch per hold of
 * xdx_region_lock, which the caller does not hold.  Process context.
 */
static void xdx_collect_free(struct list_head *dead, bool all,
			     unsigned long before, unsigned long pages,
			     int cls_only, int skip)
{
	unsigned long flags;
	unsigned int moved;

	do {
		spin_lock_irqsave(&xdx_region_lock, flags);
		moved = xdx_collect_batch(dead, all, before, &pages, cls_only,
					  skip);
		spin_unlock_irqrestore(&xdx_region_lock, flags);
		cond_resched();
	} while (moved == XDX_COLLECT_BATCH && pages);
}

/**
 * xdx_region_release_free() - give every free region back to Xen
 *
 * Mapped regions stay.  The reserve is rebuilt by the worker.
 *
 * Return: the number of pages given back.
 */
unsigned long xdx_region_release_free(void)
{
	unsigned long pages;
	LIST_HEAD(dead);

	xdx_mags_drain();
	xdx_collect_free(&dead, true, jiffies, ULONG_MAX, -1, -1);
	pages = xdx_destroy_list(&dead, "flushed");
	xdx_kick_refill();
	return pages;
}

/*
 * Top the spare structs for splits and merges up to XDX_NR_SPARES.  Only
 * the worker and xdx_region_init() add spares; if both run at once, a few
 * more are kept, which does no harm.
 */
static void xdx_fill_spares(void)
{
	struct xdx_region *r;
	unsigned long flags;
	unsigned int n;

	spin_lock_irqsave(&xdx_region_lock, flags);
	n = xdx_nr_spares < XDX_NR_SPARES ? XDX_NR_SPARES - xdx_nr_spares : 0;
	spin_unlock_irqrestore(&xdx_region_lock, flags);
	while (n--) {
		r = kzalloc(sizeof(*r), GFP_KERNEL);
		if (!r)
			return;
		spin_lock_irqsave(&xdx_region_lock, flags);
		list_add(&r->list, &xdx_spares);
		xdx_nr_spares++;
		spin_unlock_irqrestore(&xdx_region_lock, flags);
	}
}

/* Whether the worker still waits after Xen refused it @order in @cls. */
static bool xdx_refusal_pending(enum xdx_class cls, unsigned int order)
{
	const struct xdx_refusal *rf = &xdx_refused[cls][order];

	lockdep_assert_held(&xdx_region_lock);
	return (int)order > xdx_granted_order && rf->wait &&
	       time_before(jiffies, rf->retry_at);
}

/* Xen refused the worker @order in @cls: wait, if it may be the cap. */
static void xdx_note_refusal(enum xdx_class cls, unsigned int order)
{
	struct xdx_refusal *rf = &xdx_refused[cls][order];
	unsigned long flags;

	spin_lock_irqsave(&xdx_region_lock, flags);
	if ((int)order > xdx_granted_order) {
		rf->wait = rf->wait ? min_t(unsigned long, 2 * rf->wait,
					    XDX_REFUSED_WAIT_MAX) :
				      XDX_REFUSED_WAIT;
		rf->retry_at = jiffies + rf->wait;
	}
	spin_unlock_irqrestore(&xdx_region_lock, flags);
}

/*
 * Build free regions of @order in process context: split a larger free
 * region beyond its order's reserve, unused for XDX_SHRINK_IDLE, if there
 * is one (no hypercall; two regions of @order, which may be one more than
 * wanted), else merge two such buddies of the order below (no hypercall),
 * else exchange one, unless Xen refused this size, larger than any it
 * granted, less than a wait ago (XDX_REFUSED_WAIT, doubling up to
 * XDX_REFUSED_WAIT_MAX).  If the budget blocks, free regions of other
 * sizes unused for XDX_SHRINK_IDLE are given back to make room, with
 * those in the CPUs' magazines if *@drained is false (it is set: once a
 * pass).
 *
 * Return: the number of free regions of @order made, 0 if none could be.
 */
static unsigned int xdx_region_build(enum xdx_class cls, unsigned int order,
				     bool *drained)
{
	struct xdx_region *r;
	enum xdx_stat why;
	unsigned long flags, room;
	LIST_HEAD(dead);

	xdx_fill_spares();
	spin_lock_irqsave(&xdx_region_lock, flags);
	if (xdx_split_free(cls, order, order + 1, xdx_class_reserve(cls), true)) {
		spin_unlock_irqrestore(&xdx_region_lock, flags);
		return 2;
	}
	if (xdx_merge_free(cls, order, xdx_class_reserve(cls))) {
		spin_unlock_irqrestore(&xdx_region_lock, flags);
		return 1;
	}
	if (xdx_refusal_pending(cls, order)) {
		spin_unlock_irqrestore(&xdx_region_lock, flags);
		xdx_count(XDX_DEFERRED, 1);
		return 0;
	}
	if (!xdx_claim(cls, order)) {
		bool low_full;

		/* what the CPUs keep may go too: drained once a pass */
		if (!*drained) {
			spin_unlock_irqrestore(&xdx_region_lock, flags);
			xdx_mags_drain();
			*drained = true;
			spin_lock_irqsave(&xdx_region_lock, flags);
		}
		/*
		 * Make room, once, from free regions of other sizes: of this
		 * class if the low budget is what blocks, of any otherwise;
		 * at least as many pages as the claim lacks, if there are.
		 */
		low_full = xdx_over_low_budget(cls, order) != 0;
		room = xdx_claim_shortfall(cls, order);
		spin_unlock_irqrestore(&xdx_region_lock, flags);
		xdx_collect_free(&dead, false, jiffies - XDX_SHRINK_IDLE, room,
				 low_full ? (int)cls : -1, XDX_KIND(cls, order));
		xdx_destroy_list(&dead, "budget");
		spin_lock_irqsave(&xdx_region_lock, flags);
		if (!xdx_claim(cls, order)) {
			spin_unlock_irqrestore(&xdx_region_lock, flags);
			xdx_count(XDX_SKIP_BUDGET, 1);
			return 0;
		}
	}
	spin_unlock_irqrestore(&xdx_region_lock, flags);

	r = xdx_region_create(cls, order, GFP_KERNEL, &why);
	xdx_region_publish(r, cls, order, false);
	if (!r) {
		if (why == XDX_FAIL_HYPERVISOR)
			xdx_note_refusal(cls, order);
		xdx_count(why, 1);
		return 0;
	}
	return 1;
}

/*
 * The refill worker: top up the spares, and bring every size up to the
 * reserve plus what misses asked for since the last run.
 */
static void xdx_region_refill(struct work_struct *work)
{
	bool drained = false;
	int cls, order;

	if (!xen_dma_exchange_enabled())
		return;
	xdx_fill_spares();
	for (cls = 0; cls < XDX_NR_CLASSES; cls++) {
		for (order = 0; order <= XDX_MAX_ORDER; order++) {
			unsigned int target, have;
			unsigned long flags;

			spin_lock_irqsave(&xdx_region_lock, flags);
			target = xdx_class_reserve(cls) + xdx_want[cls][order];
			xdx_want[cls][order] = 0;
			have = xdx_nr_free[cls][order] +
			       xdx_nr_cooling[cls][order];
			spin_unlock_irqrestore(&xdx_region_lock, flags);

			while (have < target) {
				unsigned int made = xdx_region_build(cls, order,
								     &drained);

				if (!made)
					break;
				have += made;
				cond_resched();
			}
		}
	}
}

/* Give back free regions beyond the reserve unused for idle_secs. */
static void xdx_region_idle(struct work_struct *work)
{
	unsigned int secs = READ_ONCE(xdx_idle_secs);
	LIST_HEAD(dead);

	if (secs) {
		xdx_mags_drain();
		xdx_collect_free(&dead, false, jiffies - secs * HZ, ULONG_MAX,
				 -1, -1);
		xdx_destroy_list(&dead, "idle");
	}
	queue_delayed_work(system_unbound_wq, &xdx_idle_work,
			   max(secs, 1U) * HZ);
}

static unsigned long xdx_shrink_count(struct shrinker *s,
				      struct shrink_control *sc)
{
	unsigned int nfree[XDX_NR_CLASSES][XDX_NR_ORDERS] = {};
	unsigned long flags, pages = 0;
	int cls, order;

	xdx_mags_count(nfree);		/* drained before a scan */
	spin_lock_irqsave(&xdx_region_lock, flags);
	for (cls = 0; cls < XDX_NR_CLASSES; cls++)
		for (order = 0; order <= XDX_MAX_ORDER; order++) {
			nfree[cls][order] += xdx_nr_free[cls][order] +
					     xdx_nr_cooling[cls][order];
			if (nfree[cls][order] > xdx_class_reserve(cls))
				pages += (unsigned long)(nfree[cls][order] -
					 xdx_class_reserve(cls)) << order;
		}
	spin_unlock_irqrestore(&xdx_region_lock, flags);
	return pages ?: SHRINK_EMPTY;
}

static unsigned long xdx_shrink_scan(struct shrinker *s,
				     struct shrink_control *sc)
{
	unsigned long pages;
	LIST_HEAD(dead);

	xdx_mags_drain();
	xdx_collect_free(&dead, false, jiffies - XDX_SHRINK_IDLE, sc->nr_to_scan,
			 -1, -1);
	pages = xdx_destroy_list(&dead, "shrinker");
	return pages ?: SHRINK_STOP;
}

/**
 * xdx_region_held() - what the backend holds
 * @total: bytes exchanged (mapped and free regions)
 * @low: the part below 4 GiB
 * @in_use: number of mapped regions
 */
void xdx_region_held(unsigned long *total, unsigned long *low,
		     unsigned long *in_use)
{
	unsigned long flags;

	spin_lock_irqsave(&xdx_region_lock, flags);
	*total = xdx_held_bytes;
	*low = xdx_held_low_bytes;
	spin_unlock_irqrestore(&xdx_region_lock, flags);
	*in_use = atomic_long_read(&xen_dma_exchange_nr_mapped);
}

#ifdef CONFIG_DEBUG_FS
/**
 * xdx_region_show() - regions by class and order, for debugfs
 * @m: the seq_file
 */
void xdx_region_show(struct seq_file *m)
{
	unsigned int oncpu[XDX_NR_CLASSES][XDX_NR_ORDERS] = {};
	unsigned int nfree[XDX_NR_CLASSES][XDX_NR_ORDERS];
	unsigned int nused[XDX_NR_CLASSES][XDX_NR_ORDERS];
	unsigned int ncool[XDX_NR_CLASSES][XDX_NR_ORDERS];
	unsigned long flags;
	int cls, order;

	spin_lock_irqsave(&xdx_region_lock, flags);
	memcpy(nfree, xdx_nr_free, sizeof(nfree));
	memcpy(nused, xdx_nr_used, sizeof(nused));
	memcpy(ncool, xdx_nr_cooling, sizeof(ncool));
	spin_unlock_irqrestore(&xdx_region_lock, flags);
	xdx_mags_count(oncpu);
	seq_puts(m, "class order kib free in_use on_cpus\n");
	for (cls = 0; cls < XDX_NR_CLASSES; cls++)
		for (order = 0; order <= XDX_MAX_ORDER; order++) {
			/* the free lists count cooling regions and those on CPUs as taken */
			unsigned int k = ncool[cls][order];
			unsigned int c = min(oncpu[cls][order], nused[cls][order] - k);

			if (nfree[cls][order] || nused[cls][order])
				seq_printf(m, "%s %d %lu %u %u %u\n",
					   xdx_class_names[cls], order,
					   (PAGE_SIZE << order) >> 10,
					   nfree[cls][order] + k + c,
					   nused[cls][order] - k - c, c);
		}
}
#endif

/**
 * xdx_region_init() - set up the allocator and build the reserve
 *
 * Runs before devices probe, in process context: the reserve's exchanges,
 * large ones included, happen here and not in a mapping call.
 *
 * Return: 0, or -ENOMEM if the magazines or the shrinker cannot be set up.
 */
int __init xdx_region_init(void)
{
	int cls, order, cpu;

	for (cls = 0; cls < XDX_NR_CLASSES; cls++)
		for (order = 0; order <= XDX_MAX_ORDER; order++) {
			INIT_LIST_HEAD(&xdx_free[cls][order]);
			INIT_LIST_HEAD(&xdx_cooling[cls][order]);
		}
	xdx_mags = alloc_percpu(struct xdx_mag);
	if (!xdx_mags)
		return -ENOMEM;
	for_each_possible_cpu(cpu)
		spin_lock_init(&per_cpu_ptr(xdx_mags, cpu)->lock);
	xdx_shrinker = shrinker_alloc(0, "xen-dma-exchange");
	if (!xdx_shrinker) {
		free_percpu(xdx_mags);
		xdx_mags = NULL;
		return -ENOMEM;
	}
	xdx_shrinker->count_objects = xdx_shrink_count;
	xdx_shrinker->scan_objects = xdx_shrink_scan;
	xdx_shrinker->seeks = DEFAULT_SEEKS;
	shrinker_register(xdx_shrinker);
	fault_create_debugfs_attr("fail_xen_dma_exchange", NULL,
				  &fail_xen_dma_exchange);

	/* Pairs with the acquire in xdx_region_get(): lists set up. */
	smp_store_release(&xdx_ready, true);
	xdx_region_refill(NULL);	/* the reserve, synchronously */
	for (order = XDX_MAX_ORDER; order >= 0; order--)
		if (xdx_nr_free[XDX_CLASS_LOW][order])
			break;
	xdx_boot_low_order = order;
	queue_delayed_work(system_unbound_wq, &xdx_idle_work,
			   max(xdx_idle_secs, 1U) * HZ);
	return 0;
}

/* ---- parameters ---- */

static int xdx_set_uint_max(const char *val, const struct kernel_param *kp,
			    unsigned int max)
{
	unsigned int v;

	if (kstrtouint(val, 0, &v) || v > max)
		return -EINVAL;
	WRITE_ONCE(*(unsigned int *)kp->arg, v);
	return 0;
}

static int xdx_set_reserve(const char *val, const struct kernel_param *kp)
{
	int ret = xdx_set_uint_max(val, kp, 16);

	if (!ret)
		xdx_kick_refill();
	return ret;
}

static const struct kernel_param_ops xdx_reserve_ops = {
	.set = xdx_set_reserve,
	.get = param_get_uint,
};

/* A parameter of at most @max that, lowered, calls @drain. */
static int xdx_set_uint_drain(const char *val, const struct kernel_param *kp,
			      unsigned int max, void (*drain)(void))
{
	unsigned int old = READ_ONCE(*(unsigned int *)kp->arg);
	int ret = xdx_set_uint_max(val, kp, max);

	if (!ret && READ_ONCE(*(unsigned int *)kp->arg) < old)
		drain();
	return ret;
}

/*
 * Lowered, the magazines and the cooling lists go to the free lists (a return, or a miss taking
 * from another CPU's, racing with the change may still refill one up to
 * the old size, until the next drain).
 */
static int xdx_set_cache(const char *val, const struct kernel_param *kp)
{
	return xdx_set_uint_drain(val, kp, XDX_MAG_SIZE, xdx_mags_drain);
}

static const struct kernel_param_ops xdx_cache_ops = {
	.set = xdx_set_cache,
	.get = param_get_uint,
};

/* Lowered, the cooling lists go to the free lists. */
static int xdx_set_cool(const char *val, const struct kernel_param *kp)
{
	return xdx_set_uint_drain(val, kp, XDX_COOL_KIB_MAX, xdx_cool_drain);
}

static const struct kernel_param_ops xdx_cool_ops = {
	.set = xdx_set_cool,
	.get = param_get_uint,
};

static int xdx_set_order(const char *val, const struct kernel_param *kp)
{
	return xdx_set_uint_max(val, kp, XDX_ATOMIC_ORDER_MAX);
}

static const struct kernel_param_ops xdx_order_ops = {
	.set = xdx_set_order,
	.get = param_get_uint,
};

static int xdx_set_secs(const char *val, const struct kernel_param *kp)
{
	return xdx_set_uint_max(val, kp, 3600);
}

static const struct kernel_param_ops xdx_secs_ops = {
	.set = xdx_set_secs,
	.get = param_get_uint,
};

static int xdx_set_mb(const char *val, const struct kernel_param *kp)
{
	unsigned long v;

	/* Sizes in MiB, shifted to bytes: keep well inside unsigned long. */
	if (kstrtoul(val, 0, &v) || v > (1UL << 24))
		return -EINVAL;
	WRITE_ONCE(*(unsigned long *)kp->arg, v);
	return 0;
}

static const struct kernel_param_ops xdx_mb_ops = {
	.set = xdx_set_mb,
	.get = param_get_ulong,
};

module_param_cb(reserve, &xdx_reserve_ops, &xdx_reserve, 0644);
MODULE_PARM_DESC(reserve, "Free regions below 4 GiB kept of every order 0-10 (default 2, at most 16)");
module_param_cb(cpu_cache, &xdx_cache_ops, &xdx_cpu_cache, 0644);
MODULE_PARM_DESC(cpu_cache, "Free regions of each size up to 32 KiB kept per CPU for its next mappings (0-32, default 32; 0 = none)");
module_param_cb(cool_kib, &xdx_cool_ops, &xdx_cool_kib, 0644);
MODULE_PARM_DESC(cool_kib, "KiB of later put-backs a region put back waits behind before it serves another mapping, unless its size's free list is empty (0-4096, default 1024; 0 = none)");
module_param_cb(atomic_order, &xdx_order_ops, &xdx_atomic_order, 0644);
MODULE_PARM_DESC(atomic_order, "Largest exchange made inside a mapping call, as page order, for sizes not promised at probe (0-9, default 6)");
module_param_cb(idle_secs, &xdx_secs_ops, &xdx_idle_secs, 0644);
MODULE_PARM_DESC(idle_secs, "Give back free regions beyond the reserve unused this long (0 = never, at most 3600; default 30)");
module_param_cb(max_cached_mb, &xdx_mb_ops, &xdx_max_mb, 0644);
MODULE_PARM_DESC(max_cached_mb, "Most MiB held in regions, mapped or free (default 256)");
module_param_cb(low_budget_mb, &xdx_mb_ops, &xdx_low_budget_mb, 0644);
MODULE_PARM_DESC(low_budget_mb, "Most MiB held in regions below 4 GiB (default 128)");
