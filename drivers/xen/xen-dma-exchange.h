/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Exchange-on-demand DMA for Xen PV domains: what the policy
 * (xen-dma-exchange.c), the owned-region allocator (xen-dma-region.c), the
 * KUnit suite and the host test harness in tools/testing/xen-exchange/
 * share.
 */
#ifndef _DRIVERS_XEN_DMA_EXCHANGE_H
#define _DRIVERS_XEN_DMA_EXCHANGE_H

#include <linux/compiler.h>
#include <linux/dma-direction.h>
#include <linux/list.h>
#include <linux/rbtree_latch.h>
#include <linux/rcupdate.h>
#include <linux/types.h>

struct device;

/*
 * Statistics counters (names in xdx_stat_names[]).  The XDX_SKIP_* and
 * XDX_FAIL_* ones double as the reasons a mapping is left to the fixed
 * swiotlb pool (trace event "fallback").
 */
enum xdx_stat {
	XDX_MAPS,
	XDX_HITS,
	XDX_REUSES,
	XDX_CPU_REUSES,
	XDX_OTHER_CPU_REUSES,
	XDX_SPLITS,
	XDX_MERGES,
	XDX_BYTES_VIA_REGION,
	XDX_EXCHANGES,
	XDX_MAP_EXCHANGES,
	XDX_BYTES_EXCHANGED,
	XDX_RELEASES,
	XDX_GIVE_BACK_WAITS,
	XDX_BOUNCES,
	XDX_BYTES_BOUNCED,
	XDX_FAIL_HYPERVISOR,
	XDX_FAIL_INJECTED,
	XDX_FAIL_NOMEM,
	XDX_DEFERRED,
	XDX_SKIP_DISABLED,
	XDX_SKIP_FORCED,
	XDX_SKIP_LIMIT,
	XDX_SKIP_ALIGN,
	XDX_SKIP_ORDER,
	XDX_SKIP_ATOMIC,
	XDX_SKIP_BUDGET,
	XDX_BAD_UNMAP,
	XDX_VERIFIED,
	XDX_VERIFY_FAILED,
	XDX_FAIL_LARGE,
	XDX_NR_STATS
};

/* Address classes: where a region's machine frames lie. */
enum xdx_class {
	XDX_CLASS_LOW,		/* below 4 GiB: devices with 32 to 47 bits */
	XDX_CLASS_ANY,		/* anywhere: 48 bits and more */
	XDX_NR_CLASSES
};

/* Largest region: 2^10 pages (4 MiB), MAX_PAGE_ORDER on x86. */
#define XDX_MAX_ORDER		10
#define XDX_NR_ORDERS		(XDX_MAX_ORDER + 1)

/*
 * Largest exchange ever made inside a mapping call: above 2^9 pages,
 * mmu_pv's frame array for the exchange may grow with GFP_KERNEL.
 */
#define XDX_ATOMIC_ORDER_MAX	9

/*
 * The shrinker takes only regions unused this long: a region that a
 * stream of mappings is cycling through is not cold, and giving it back
 * would cost an exchange on the next miss.
 */
#define XDX_SHRINK_IDLE		HZ

/*
 * A machine-contiguous run of 2^order pages the backend allocated and
 * exchanged, a naturally aligned part of one (xdx_region_split()), or two
 * such buddies merged (xdx_region_merge()).
 * Nothing but the backend maps or touches its pages, so the exchange that
 * made it met the safety rule by construction.
 *
 * @lt, @pfn, @maddr, @order and @cls are set once before the region is
 * published and never change.  While the region is in the tree, @list
 * is written under xdx_region_lock only, and is empty while the region
 * is off the free and cooling lists (in a CPU's magazine, mapped, or
 * claimed by an unmap); @cooling, under that lock too, says which of the
 * two lists it is on, as xdx_free_buddy() tests.  @idle_since is protected by that
 * lock while the region is on a free list, and belongs to whoever took
 * it off otherwise; so is @gp_state, RCU's grace-period state when the
 * region was last put back (or, for a split's part or a merge's whole,
 * one no earlier than that of the regions it was made from), which a
 * give-back polls.
 * @orig, @offset, @size describe the mapping the region serves;
 * they are written (xdx_region_get()) before @map_seq turns odd
 * (xdx_region_commit()), which publishes them, and read by the mapping's
 * unmap and syncs; a stale unmap or sync (a driver bug) may read @orig,
 * @offset and @size while the next mapping writes them, hence READ_ONCE()
 * and WRITE_ONCE() there, and the sequence read again after them.
 * @map_seq is odd while the region is mapped; the commit and the unmap's
 * claim (a compare-and-exchange, so that of two unmaps one wins) each add
 * one, so a lookup that read it before the mapping ended cannot claim a
 * later one.
 */
struct xdx_region {
	struct latch_tree_node lt;	/* in xdx_region_tree, by pfn */
	struct list_head list;	/* free or cooling list, spares, or to destroy */
	unsigned long pfn;		/* first pseudo-physical frame */
	phys_addr_t maddr;		/* machine address of the first byte */
	unsigned int order;
	enum xdx_class cls;
	bool cooling;			/* its list is a cooling list */
	unsigned long map_seq;		/* odd while mapped */
	unsigned long idle_since;	/* jiffies, while free */
	unsigned long gp_state;		/* RCU's, at the last put */
	phys_addr_t orig;		/* the caller's buffer */
	unsigned int offset;		/* of the data in the region */
	size_t size;
	struct rcu_head rcu;
};

/* A mapping as a sync reads it: all from one mapping (xdx_region_find()) */
struct xdx_mapping {
	phys_addr_t orig;	/* the caller's buffer */
	phys_addr_t start;	/* the data in the region, pseudo-physical */
	size_t size;
};

/* Whether @r serves a mapping: from xdx_region_commit() to its claim. */
static inline bool xdx_region_mapped(const struct xdx_region *r)
{
	return READ_ONCE(r->map_seq) & 1;
}

void xdx_count(enum xdx_stat s, long v);
u64 xen_dma_exchange_stat(enum xdx_stat s);
bool xen_dma_exchange_enabled(void);

/* Owned regions: xen-dma-region.c */
struct xdx_region *xdx_region_get(enum xdx_class cls, unsigned int order,
				  phys_addr_t orig, size_t size, bool large,
				  enum xdx_stat *why);
int xdx_region_boot_order(enum xdx_class cls);
void xdx_region_put(struct xdx_region *r);
void xdx_region_commit(struct xdx_region *r);
struct xdx_region *xdx_region_find(phys_addr_t phys, struct xdx_mapping *m);
struct xdx_region *xdx_region_claim(phys_addr_t phys, size_t size);
unsigned long xdx_region_release_free(void);
void xdx_region_held(unsigned long *total, unsigned long *low,
		     unsigned long *in_use);
int __init xdx_region_init(void);
/* Test-only aids: see xdx_region_test_aid(). */
enum xdx_test_aid {
	XDX_TEST_NONE,
	XDX_TEST_DENY,		/* no free region, every exchange fails */
	XDX_TEST_SPLIT,		/* split a larger free region, reserve or not */
};

#if IS_ENABLED(CONFIG_XEN_DMA_EXCHANGE_KUNIT_TEST)
struct task_struct;
void xdx_region_test_aid(struct task_struct *task, enum xdx_test_aid aid);
#endif
#ifdef CONFIG_DEBUG_FS
struct seq_file;
void xdx_region_show(struct seq_file *m);
#endif

#endif /* _DRIVERS_XEN_DMA_EXCHANGE_H */
