// SPDX-License-Identifier: GPL-2.0
/*
 * Exchange-on-demand DMA for Xen PV domains: policy and region cache.
 *
 * When swiotlb-xen would bounce a streaming mapping, this code checks whether
 * the buffer's pages are exclusively the caller's (see xdx_page_eligible());
 * if so it exchanges the pages' machine frames for one machine-contiguous
 * extent under the device's DMA limit (contents kept) and maps the buffer in
 * place.  The exchange updates the P2M, so later mappings of the region pass
 * swiotlb-xen's own direct-map check and never get here: no copy, no
 * hypercall, no lookup.  Exchanged regions are kept in an rbtree of
 * non-overlapping PFN ranges for the budgets, for replacing overlaps and
 * for finding regions gone stale; every hit is validated against the live
 * P2M, so a region whose frames changed under us (balloon, destroyed
 * contiguous region, grant mapping) is dropped and never used.  Whatever
 * cannot be served goes to the swiotlb bounce pool as before.
 *
 * See Documentation/core-api/xen-dma-exchange.rst.
 */
#define pr_fmt(fmt) "xen_dma_exchange: " fmt

#include <linux/debugfs.h>
#include <linux/dma-direct.h>
#include <linux/fault-inject.h>
#include <linux/init.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/pagemap.h>
#include <linux/pci.h>
#include <linux/rbtree.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/swiotlb.h>
#include <xen/xen.h>
#include <xen/dma-exchange.h>

#include "xen-dma-exchange.h"

#define CREATE_TRACE_POINTS
#include <trace/events/xen_dma_exchange.h>

/* Tunables; see the parameter descriptions below. */
static bool xdx_enable = true;
static bool xdx_verify;
static unsigned int xdx_max_order = XEN_DMA_EXCHANGE_MAX_ORDER;
static unsigned long xdx_max_cached_mb = 256;
static unsigned long xdx_low_budget_mb = 128;

static DECLARE_FAULT_ATTR(fail_xen_dma_exchange);

/* A machine-contiguous run of 2^order frames we exchanged. */
struct xdx_region {
	struct rb_node node;
	unsigned long pfn;		/* first pseudo-physical frame */
	unsigned long bfn;		/* first machine frame */
	unsigned int order;
	bool low;			/* counted against the low budget */
};

static struct rb_root xdx_regions = RB_ROOT;
static DEFINE_SPINLOCK(xdx_lock);	/* regions and the byte counts */
static unsigned long xdx_cached_bytes;
static unsigned long xdx_low_bytes;

static atomic64_t xdx_stats[XDX_NR_STATS];

static const char * const xdx_stat_names[XDX_NR_STATS] = {
	[XDX_MAPS]		= "maps",
	[XDX_HITS]		= "cache_hits",
	[XDX_EXCHANGES]		= "exchanges",
	[XDX_BYTES_EXCHANGED]	= "bytes_exchanged",
	[XDX_BYTES_IN_PLACE]	= "bytes_in_place",
	[XDX_BOUNCES]		= "bounces",
	[XDX_BYTES_BOUNCED]	= "bytes_bounced",
	[XDX_FAIL_HYPERVISOR]	= "exchange_failed_hypervisor",
	[XDX_FAIL_INJECTED]	= "exchange_failed_injected",
	[XDX_FAIL_NOMEM]	= "exchange_failed_nomem",
	[XDX_INVALIDATIONS]	= "invalidations",
	[XDX_STALE]		= "stale_hits_caught",
	[XDX_SKIP_DISABLED]	= "skipped_disabled",
	[XDX_SKIP_FORCED]	= "skipped_swiotlb_force",
	[XDX_SKIP_CONTEXT]	= "skipped_irq_context",
	[XDX_SKIP_SHAPE]	= "skipped_not_power_of_two",
	[XDX_SKIP_ORDER]	= "skipped_order_too_large",
	[XDX_SKIP_OWNER]	= "skipped_shared_page",
	[XDX_SKIP_FOREIGN]	= "skipped_foreign_frame",
	[XDX_SKIP_BUDGET]	= "skipped_budget",
	[XDX_VERIFIED]		= "verified_maps",
	[XDX_VERIFY_FAILED]	= "verify_failures",
};

static inline void xdx_count(enum xdx_stat s, long v)
{
	atomic64_add(v, &xdx_stats[s]);
}

/**
 * xen_dma_exchange_stat() - read one statistics counter
 * @s: the counter
 *
 * Return: its value since boot or the last reset.
 */
u64 xen_dma_exchange_stat(enum xdx_stat s)
{
	return atomic64_read(&xdx_stats[s]);
}

static int xdx_region_cmp(const void *key, const struct rb_node *node)
{
	const unsigned long pfn = *(const unsigned long *)key;
	const struct xdx_region *r = rb_entry(node, struct xdx_region, node);

	if (pfn < r->pfn)
		return -1;
	if (pfn >= r->pfn + (1UL << r->order))
		return 1;
	return 0;
}

static bool xdx_region_less(struct rb_node *a, const struct rb_node *b)
{
	return rb_entry(a, struct xdx_region, node)->pfn <
	       rb_entry(b, struct xdx_region, node)->pfn;
}

/* Caller holds xdx_lock. */
static void xdx_region_erase(struct xdx_region *r, const char *why)
{
	unsigned long bytes = PAGE_SIZE << r->order;

	trace_xen_dma_exchange_invalidate(r->pfn, r->order, why);
	xdx_count(XDX_INVALIDATIONS, 1);
	rb_erase(&r->node, &xdx_regions);
	xdx_cached_bytes -= bytes;
	if (r->low)
		xdx_low_bytes -= bytes;
	kfree(r);
}

/* First region overlapping [pfn, last], or NULL.  Caller holds xdx_lock. */
static struct xdx_region *xdx_region_overlap(unsigned long pfn,
					     unsigned long last)
{
	struct rb_node *n = xdx_regions.rb_node;
	struct xdx_region *found = NULL;

	while (n) {
		struct xdx_region *r = rb_entry(n, struct xdx_region, node);

		if (last < r->pfn) {
			n = n->rb_left;
		} else if (pfn >= r->pfn + (1UL << r->order)) {
			n = n->rb_right;
		} else {
			found = r;
			n = n->rb_left;	/* keep looking for a lower one */
		}
	}
	return found;
}

/* Insert @new, dropping regions it overlaps.  Caller holds xdx_lock. */
static void xdx_region_insert(struct xdx_region *new)
{
	unsigned long last = new->pfn + (1UL << new->order) - 1;
	unsigned long bytes = PAGE_SIZE << new->order;
	struct xdx_region *old;

	while ((old = xdx_region_overlap(new->pfn, last)))
		xdx_region_erase(old, "replaced");
	rb_add(&new->node, &xdx_regions, xdx_region_less);
	xdx_cached_bytes += bytes;
	if (new->low)
		xdx_low_bytes += bytes;
}

/*
 * Drop the region containing @pfn if it is still the one starting at
 * @start: its frames no longer match the P2M.
 */
static void xdx_region_invalidate(unsigned long pfn, unsigned long start)
{
	struct xdx_region *r;
	unsigned long flags;

	spin_lock_irqsave(&xdx_lock, flags);
	r = rb_entry_safe(rb_find(&pfn, &xdx_regions, xdx_region_cmp),
			  struct xdx_region, node);
	if (r && r->pfn == start)
		xdx_region_erase(r, "stale");
	spin_unlock_irqrestore(&xdx_lock, flags);
}

/* Do frames [pfn, last] still sit at bfn, bfn + 1, ... in the P2M? */
static bool xdx_p2m_matches(unsigned long pfn, unsigned long last,
			    unsigned long bfn)
{
	for (; pfn <= last; pfn++, bfn++)
		if (xen_pfn_to_bfn_owned(pfn) != bfn)
			return false;
	return true;
}

static u64 xdx_dma_limit(struct device *dev)
{
	return min_not_zero(*dev->dma_mask, dev->bus_dma_limit);
}

/*
 * Verify mode (debug): before an in-place mapping is handed out, check it
 * a second way, through Xen's M2P rather than the P2M the cache trusts:
 * every machine frame of the bus range must belong to the matching page of
 * the buffer, at the same offset, within the device's limit.  A failure is
 * a bug; it is counted and reported, and the mapping bounces instead.
 */
static bool xdx_verify_ok(struct device *dev, phys_addr_t phys, size_t size,
			  dma_addr_t addr)
{
	unsigned long pfn = PHYS_PFN(phys), last = PHYS_PFN(phys + size - 1);
	phys_addr_t maddr = dma_to_phys(dev, addr);
	unsigned long bfn = PHYS_PFN(maddr);

	if (!READ_ONCE(xdx_verify))
		return true;
	xdx_count(XDX_VERIFIED, 1);
	if (offset_in_page(maddr) != offset_in_page(phys) ||
	    addr + size - 1 > xdx_dma_limit(dev))
		goto bad;
	for (; pfn <= last; pfn++, bfn++)
		if (xen_bfn_to_pfn_m2p(bfn) != pfn)
			goto bad;
	return true;
bad:
	xdx_count(XDX_VERIFY_FAILED, 1);
	pr_err_ratelimited("verify: %s: phys %pa+%zu at bus %pad does not match the M2P\n",
			   dev_name(dev), &phys, size, &addr);
	return false;
}

/**
 * xen_dma_exchange_lookup() - map a buffer from the region cache
 * @dev: the device
 * @phys: physical address of the buffer
 * @size: length in bytes, non-zero
 * @dma: returns the bus address on success
 *
 * A hit needs the whole buffer inside one cached region, the region's
 * frames still in place in the P2M, the bus address within the device's
 * DMA limit, and swiotlb not forced for the device.  A region found stale
 * is dropped.  Never sleeps.
 *
 * Return: true if @dma was set and the buffer may be used in place.
 */
bool xen_dma_exchange_lookup(struct device *dev, phys_addr_t phys, size_t size,
			     dma_addr_t *dma)
{
	unsigned long pfn = PHYS_PFN(phys), last = PHYS_PFN(phys + size - 1);
	unsigned long bfn, start, flags;
	struct xdx_region *r;
	dma_addr_t addr;

	if (!READ_ONCE(xdx_enable) || !size)
		return false;
	xdx_count(XDX_MAPS, 1);
	if (RB_EMPTY_ROOT(&xdx_regions) || is_swiotlb_force_bounce(dev))
		return false;

	spin_lock_irqsave(&xdx_lock, flags);
	r = rb_entry_safe(rb_find(&pfn, &xdx_regions, xdx_region_cmp),
			  struct xdx_region, node);
	if (!r || last >= r->pfn + (1UL << r->order)) {
		spin_unlock_irqrestore(&xdx_lock, flags);
		return false;
	}
	start = r->pfn;
	bfn = r->bfn + (pfn - r->pfn);
	spin_unlock_irqrestore(&xdx_lock, flags);

	if (!xdx_p2m_matches(pfn, last, bfn)) {
		xdx_count(XDX_STALE, 1);
		xdx_region_invalidate(pfn, start);
		return false;
	}
	addr = phys_to_dma(dev, PFN_PHYS(bfn) + offset_in_page(phys));
	if (!dma_capable(dev, addr, size, true) ||
	    !xdx_verify_ok(dev, phys, size, addr))
		return false;

	xdx_count(XDX_HITS, 1);
	xdx_count(XDX_BYTES_IN_PLACE, size);
	trace_xen_dma_exchange_hit(dev, phys, size, addr);
	*dma = addr;
	return true;
}

/**
 * xdx_page_eligible() - may this page's frame be exchanged in place?
 * @page: a page of the buffer
 * @dir: the mapping's direction
 *
 * While the frame is swapped its direct-map PTE is gone and any access from
 * another CPU faults, so only pages nobody else can touch qualify:
 *  - a private kernel allocation: not slab, not reserved, not in the buddy
 *    allocator, not mapped to user space, no page-cache or anon mapping, and
 *    at most the caller's reference; or
 *  - a page-cache folio being filled by a read (DMA_FROM_DEVICE): locked,
 *    not uptodate, not dirty, not under writeback, not mapped; readers wait
 *    for the lock and uptodate bit, so nobody reads it during the exchange.
 *
 * Return: true if the page may be exchanged.
 */
bool xdx_page_eligible(struct page *page, enum dma_data_direction dir)
{
	struct folio *folio = page_folio(page);

	if (folio_test_slab(folio) || PageReserved(page) || PageBuddy(page) ||
	    folio_mapped(folio))
		return false;
	if (!folio->mapping)
		return folio_ref_count(folio) <= 1;
	return dir == DMA_FROM_DEVICE && !folio_test_anon(folio) &&
	       folio_test_locked(folio) && !folio_test_uptodate(folio) &&
	       !folio_test_dirty(folio) && !folio_test_writeback(folio);
}

/*
 * Decide whether [phys, phys + size) can be exchanged in place: the pages it
 * touches must form a power-of-two run no larger than max_order, all
 * eligible and backed by our own frames, within the budgets.
 */
static enum xdx_stat xdx_check(struct device *dev, phys_addr_t phys,
			       size_t size, enum dma_data_direction dir,
			       unsigned int *order_out, bool *low_out)
{
	unsigned long pfn = PHYS_PFN(phys);
	unsigned long nr = PHYS_PFN(phys + size - 1) - pfn + 1;
	unsigned long bytes, i;
	unsigned int order;
	bool low;

	if (!READ_ONCE(xdx_enable))
		return XDX_SKIP_DISABLED;
	if (is_swiotlb_force_bounce(dev))
		return XDX_SKIP_FORCED;
	if (in_hardirq() || in_nmi())
		return XDX_SKIP_CONTEXT;
	if (!is_power_of_2(nr))
		return XDX_SKIP_SHAPE;
	order = ilog2(nr);
	if (order > READ_ONCE(xdx_max_order))
		return XDX_SKIP_ORDER;
	for (i = 0; i < nr; i++) {
		if (!xdx_page_eligible(pfn_to_page(pfn + i), dir))
			return XDX_SKIP_OWNER;
		if (xen_pfn_to_bfn_owned(pfn + i) == XEN_DMA_NO_FRAME)
			return XDX_SKIP_FOREIGN;
	}
	bytes = PAGE_SIZE << order;
	low = xdx_dma_limit(dev) <= DMA_BIT_MASK(32);
	if (xdx_cached_bytes + bytes > READ_ONCE(xdx_max_cached_mb) << 20 ||
	    (low && xdx_low_bytes + bytes > READ_ONCE(xdx_low_budget_mb) << 20))
		return XDX_SKIP_BUDGET;
	*order_out = order;
	*low_out = low;
	return XDX_NR_STATS;
}

/**
 * xen_dma_exchange_map() - serve a mapping swiotlb-xen would bounce
 * @dev: the device
 * @phys: physical address of the buffer
 * @size: length in bytes, non-zero
 * @dir: DMA direction
 * @attrs: DMA attributes (unused for now)
 * @dma: returns the bus address on success
 *
 * Called when the buffer is not usable as it is.  A recorded region that
 * covers it is checked first: it can only have gone stale (then it is
 * dropped) or be above this device's limit, since a valid one would have
 * passed the caller's direct-map check.  Then, if the buffer is eligible,
 * exchange its pages for a machine-contiguous extent under the device's
 * limit, keeping the contents, record the region and map in place.  Never
 * sleeps.  On false the caller bounces through swiotlb.
 *
 * Return: true if @dma was set.
 */
bool xen_dma_exchange_map(struct device *dev, phys_addr_t phys, size_t size,
			  enum dma_data_direction dir, unsigned long attrs,
			  dma_addr_t *dma)
{
	unsigned long pfn = PHYS_PFN(phys), flags;
	struct xdx_region *r;
	enum xdx_stat why;
	unsigned int order = 0, bits;
	dma_addr_t maddr, addr;
	bool low = false;

	if (!size)
		return false;
	if (xen_dma_exchange_lookup(dev, phys, size, dma))
		return true;
	why = xdx_check(dev, phys, size, dir, &order, &low);
	if (why != XDX_NR_STATS)
		goto refuse;
	why = XDX_FAIL_INJECTED;
	if (should_fail(&fail_xen_dma_exchange, size))
		goto refuse;
	why = XDX_FAIL_NOMEM;
	r = kzalloc(sizeof(*r), GFP_ATOMIC | __GFP_NOWARN);
	if (!r)
		goto refuse;
	why = XDX_FAIL_HYPERVISOR;
	bits = fls64(xdx_dma_limit(dev));
	if (xen_exchange_region_preserve(PFN_PHYS(pfn), order, bits, &maddr))
		goto refuse_free;
	r->pfn = pfn;
	r->bfn = PHYS_PFN(maddr);
	r->order = order;
	r->low = low;

	/* Trust but verify: the P2M must now describe what Xen returned. */
	addr = phys_to_dma(dev, maddr + offset_in_page(phys));
	if (!xdx_p2m_matches(pfn, pfn + (1UL << order) - 1, r->bfn) ||
	    !dma_capable(dev, addr, size, true) ||
	    !xdx_verify_ok(dev, phys, size, addr))
		goto refuse_free;

	spin_lock_irqsave(&xdx_lock, flags);
	xdx_region_insert(r);
	spin_unlock_irqrestore(&xdx_lock, flags);

	xdx_count(XDX_EXCHANGES, 1);
	xdx_count(XDX_BYTES_EXCHANGED, PAGE_SIZE << order);
	xdx_count(XDX_BYTES_IN_PLACE, size);
	trace_xen_dma_exchange_exchanged(dev, pfn, order, bits, maddr);
	*dma = addr;
	return true;

refuse_free:
	kfree(r);
refuse:
	xdx_count(why, 1);
	trace_xen_dma_exchange_fallback(dev, phys, size, xdx_stat_names[why]);
	return false;
}

/**
 * xen_dma_exchange_bounced() - account a mapping that went to swiotlb
 * @dev: the device
 * @size: length in bytes
 */
void xen_dma_exchange_bounced(struct device *dev, size_t size)
{
	xdx_count(XDX_BOUNCES, 1);
	xdx_count(XDX_BYTES_BOUNCED, size);
}

/**
 * xen_dma_exchange_forget_all() - drop every cached region
 *
 * The frames stay where they are (still contiguous and low); only the
 * records go, so later mappings are exchanged or bounced afresh.
 *
 * Return: the number of regions dropped.
 */
unsigned long xen_dma_exchange_forget_all(void)
{
	unsigned long flags, n = 0;
	struct rb_node *node;

	spin_lock_irqsave(&xdx_lock, flags);
	while ((node = rb_first(&xdx_regions))) {
		xdx_region_erase(rb_entry(node, struct xdx_region, node), "flushed");
		n++;
	}
	spin_unlock_irqrestore(&xdx_lock, flags);
	return n;
}

/**
 * xen_dma_exchange_cached_bytes() - bytes held in cached regions
 * @low: if non-NULL, returns the part counted against the low budget
 *
 * Return: total bytes of all cached regions.
 */
unsigned long xen_dma_exchange_cached_bytes(unsigned long *low)
{
	unsigned long flags, total;

	spin_lock_irqsave(&xdx_lock, flags);
	total = xdx_cached_bytes;
	if (low)
		*low = xdx_low_bytes;
	spin_unlock_irqrestore(&xdx_lock, flags);
	return total;
}

/* ---- parameters ---- */

static int xdx_set_max_order(const char *val, const struct kernel_param *kp)
{
	unsigned int v;

	if (kstrtouint(val, 0, &v) || v > XEN_DMA_EXCHANGE_MAX_ORDER)
		return -EINVAL;
	WRITE_ONCE(xdx_max_order, v);
	return 0;
}

static const struct kernel_param_ops xdx_max_order_ops = {
	.set = xdx_set_max_order,
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

module_param_named(enable, xdx_enable, bool, 0644);
MODULE_PARM_DESC(enable, "Exchange buffers in place instead of bouncing (0 = upstream bounce-only)");
module_param_named(verify, xdx_verify, bool, 0644);
MODULE_PARM_DESC(verify, "Check every in-place mapping against Xen's M2P too (debug)");
module_param_cb(max_order, &xdx_max_order_ops, &xdx_max_order, 0644);
MODULE_PARM_DESC(max_order, "Largest exchange, as page order (0-10, default 10 = 4 MiB)");
module_param_cb(max_cached_mb, &xdx_mb_ops, &xdx_max_cached_mb, 0644);
MODULE_PARM_DESC(max_cached_mb, "Most MiB held in cached regions (default 256)");
module_param_cb(low_budget_mb, &xdx_mb_ops, &xdx_low_budget_mb, 0644);
MODULE_PARM_DESC(low_budget_mb, "Most MiB exchanged below 4 GiB for 32-bit devices (default 128)");

/* ---- debugfs ---- */

#ifdef CONFIG_DEBUG_FS
static int xdx_stats_show(struct seq_file *m, void *v)
{
	unsigned long low, total = xen_dma_exchange_cached_bytes(&low);
	unsigned long flags, regions = 0;
	struct rb_node *n;
	int i;

	for (i = 0; i < XDX_NR_STATS; i++)
		seq_printf(m, "%s %llu\n", xdx_stat_names[i],
			   xen_dma_exchange_stat(i));
	spin_lock_irqsave(&xdx_lock, flags);
	for (n = rb_first(&xdx_regions); n; n = rb_next(n))
		regions++;
	spin_unlock_irqrestore(&xdx_lock, flags);
	seq_printf(m, "regions %lu\nregion_bytes %lu\nregion_bytes_low %lu\n",
		   regions, total, low);
	return 0;
}

static int xdx_stats_open(struct inode *inode, struct file *file)
{
	return single_open(file, xdx_stats_show, NULL);
}

/* Writing "0" resets the counters (not the cache). */
static ssize_t xdx_stats_write(struct file *file, const char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	unsigned int v;
	int i, ret = kstrtouint_from_user(ubuf, len, 0, &v);

	if (ret)
		return ret;
	if (v)
		return -EINVAL;
	for (i = 0; i < XDX_NR_STATS; i++)
		atomic64_set(&xdx_stats[i], 0);
	return len;
}

static const struct file_operations xdx_stats_fops = {
	.owner = THIS_MODULE,
	.open = xdx_stats_open,
	.read = seq_read,
	.write = xdx_stats_write,
	.llseek = seq_lseek,
	.release = single_release,
};

static ssize_t xdx_flush_write(struct file *file, const char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	xen_dma_exchange_forget_all();
	return len;
}

static const struct file_operations xdx_flush_fops = {
	.owner = THIS_MODULE,
	.write = xdx_flush_write,
};

/*
 * Test aid: "<pci-device> <bits>" caps a PCI device's bus DMA limit to
 * <bits> (0 removes the cap), so a 64-bit device can be made to need
 * memory below 2^bits without reprobing it.
 */
static ssize_t xdx_dev_limit_write(struct file *file, const char __user *ubuf,
				   size_t len, loff_t *ppos)
{
	char buf[64], name[48];
	struct device *dev;
	unsigned int bits;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	if (sscanf(buf, "%47s %u", name, &bits) != 2 || bits > 64 ||
	    (bits && bits < 12))
		return -EINVAL;
	dev = bus_find_device_by_name(&pci_bus_type, NULL, name);
	if (!dev)
		return -ENODEV;
	dev->bus_dma_limit = bits ? DMA_BIT_MASK(bits) : 0;
	put_device(dev);
	return len;
}

static const struct file_operations xdx_dev_limit_fops = {
	.owner = THIS_MODULE,
	.write = xdx_dev_limit_write,
};

static void __init xdx_debugfs_init(void)
{
	struct dentry *dir = debugfs_create_dir("xen_dma_exchange", NULL);

	debugfs_create_file("stats", 0600, dir, NULL, &xdx_stats_fops);
	debugfs_create_file("flush", 0200, dir, NULL, &xdx_flush_fops);
	debugfs_create_file("dev_dma_limit", 0200, dir, NULL,
			    &xdx_dev_limit_fops);
	fault_create_debugfs_attr("fail_xen_dma_exchange", NULL,
				  &fail_xen_dma_exchange);
}
#else
static inline void xdx_debugfs_init(void)
{
}
#endif

static int __init xen_dma_exchange_init(void)
{
	int ret;

	if (!xen_pv_domain())
		return 0;
	ret = xen_exchange_setup();
	if (ret) {
		pr_warn("disabled: setup failed (%d)\n", ret);
		WRITE_ONCE(xdx_enable, false);
		return 0;
	}
	xdx_debugfs_init();
	pr_info("%s, max order %u, cache %lu MiB, low budget %lu MiB\n",
		xdx_enable ? "enabled" : "off (bounce-only)", xdx_max_order,
		xdx_max_cached_mb, xdx_low_budget_mb);
	return 0;
}
subsys_initcall(xen_dma_exchange_init);
