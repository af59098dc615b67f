// SPDX-License-Identifier: GPL-2.0
/*
 * Exchange-on-demand DMA for Xen PV domains: the policy.
 *
 * swiotlb-xen calls xen_dma_exchange_map() for a mapping it would bounce.
 * The mapping is served from a region the backend owns (xen-dma-region.c):
 * 2^order of its own pages, exchanged for one machine-contiguous extent
 * below the device's limit, copied to and from as swiotlb copies, and kept
 * for reuse after unmap.  When no region can be had the mapping goes to
 * the fixed swiotlb pool as before.
 *
 * Nothing of the caller's is exchanged: a caller's frames may be mapped
 * for another device, or other CPUs may touch the rest of their pages, and
 * neither can be proven otherwise at map time.  Only the backend's own
 * pages meet the rule "no DMA in flight and no CPU access during the
 * exchange" by construction.
 *
 * See Documentation/core-api/xen-dma-exchange.rst.
 */
#define pr_fmt(fmt) "xen_dma_exchange: " fmt

#include <linux/debugfs.h>
#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/err.h>
#include <linux/init.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <linux/swiotlb.h>
#include <asm/dma-mapping.h>
#include <xen/xen.h>
#include <xen/dma-exchange.h>
#include <xen/swiotlb-xen.h>

#include "xen-dma-exchange.h"

#define CREATE_TRACE_POINTS
#include <trace/events/xen_dma_exchange.h>

static bool xdx_enable = true;
static bool xdx_verify;
static unsigned int xdx_max_order = XDX_MAX_ORDER;

struct xdx_pcpu_stats {
	u64 n[XDX_NR_STATS];
};

static DEFINE_PER_CPU(struct xdx_pcpu_stats, xdx_stats);

static const char * const xdx_stat_names[XDX_NR_STATS] = {
	[XDX_MAPS]	= "maps",
	[XDX_HITS]	= "region_maps",
	[XDX_REUSES]	= "region_reuses",
	[XDX_CPU_REUSES]	= "region_reuses_on_cpu",
	[XDX_OTHER_CPU_REUSES]	= "region_reuses_from_other_cpu",
	[XDX_SPLITS]	= "region_splits",
	[XDX_MERGES]	= "region_merges",
	[XDX_BYTES_VIA_REGION]	= "bytes_via_region",
	[XDX_EXCHANGES]	= "exchanges",
	[XDX_MAP_EXCHANGES]	= "exchanges_in_map",
	[XDX_BYTES_EXCHANGED]	= "bytes_exchanged",
	[XDX_RELEASES]	= "regions_released",
	[XDX_GIVE_BACK_WAITS]	= "give_back_waits",
	[XDX_BOUNCES]	= "bounces",
	[XDX_BYTES_BOUNCED]	= "bytes_bounced",
	[XDX_FAIL_HYPERVISOR]	= "exchange_failed_hypervisor",
	[XDX_FAIL_INJECTED]	= "exchange_failed_injected",
	[XDX_FAIL_NOMEM]	= "exchange_failed_nomem",
	[XDX_DEFERRED]	= "exchanges_deferred",
	[XDX_SKIP_DISABLED]	= "skipped_disabled",
	[XDX_SKIP_FORCED]	= "skipped_swiotlb_force",
	[XDX_SKIP_LIMIT]	= "skipped_dma_limit",
	[XDX_SKIP_ALIGN]	= "skipped_alignment",
	[XDX_SKIP_ORDER]	= "skipped_order_too_large",
	[XDX_SKIP_ATOMIC]	= "skipped_no_free_region",
	[XDX_SKIP_BUDGET]	= "skipped_budget",
	[XDX_BAD_UNMAP]	= "bad_unmaps",
	[XDX_VERIFIED]	= "verified_maps",
	[XDX_VERIFY_FAILED]	= "verify_failures",
	[XDX_FAIL_LARGE]	= "large_mapping_failures",
};

/**
 * xdx_count() - add to a statistics counter
 * @s: the counter
 * @v: the amount
 */
void xdx_count(enum xdx_stat s, long v)
{
	this_cpu_add(xdx_stats.n[s], v);
}

/**
 * xen_dma_exchange_stat() - read one statistics counter
 * @s: the counter
 *
 * Return: its value since boot or the last reset, summed over all CPUs.
 */
u64 xen_dma_exchange_stat(enum xdx_stat s)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu(xdx_stats.n[s], cpu);
	return sum;
}

/**
 * xen_dma_exchange_enabled() - is the backend serving mappings?
 *
 * Return: false when booted or switched to bounce-only.
 */
bool xen_dma_exchange_enabled(void)
{
	return READ_ONCE(xdx_enable);
}

static u64 xdx_dma_limit(struct device *dev)
{
	return min_not_zero(*dev->dma_mask, dev->bus_dma_limit);
}

static void *xdx_region_vaddr(struct xdx_region *r)
{
	return phys_to_virt(PFN_PHYS(r->pfn) + r->offset);
}

/*
 * Verify mode (debug): before a region is handed out, check its machine
 * frames a second way, through Xen's M2P rather than the P2M: every frame
 * of the bus range must belong to the matching page of the region, within
 * the device's limit.  A failure is a bug; it is counted and reported, and
 * the mapping goes to the fixed pool instead.
 */
static bool xdx_verify_ok(struct device *dev, struct xdx_region *r,
			  size_t size, dma_addr_t addr)
{
	unsigned long pfn = r->pfn, bfn = PHYS_PFN(r->maddr);
	unsigned long last = bfn + PFN_UP(r->offset + size) - 1;

	if (!READ_ONCE(xdx_verify))
		return true;
	xdx_count(XDX_VERIFIED, 1);
	if (addr + size - 1 > xdx_dma_limit(dev))
		goto bad;
	for (; bfn <= last; pfn++, bfn++)
		if (xen_bfn_to_pfn_m2p(bfn) != pfn)
			goto bad;
	return true;
bad:
	xdx_count(XDX_VERIFY_FAILED, 1);
	pr_err_ratelimited("verify: %s: region pfn %#lx at bus %pad does not match the M2P\n",
			   dev_name(dev), r->pfn, &addr);
	return false;
}

/*
 * The most any mapping can take from the fixed pool: one segment of
 * slots.  swiotlb_max_mapping_size() is less for a device with a
 * min_align_mask, but an aligned buffer of up to this still fits.
 */
#define XDX_POOL_MAX	((size_t)IO_TLB_SEGSIZE << IO_TLB_SHIFT)

/*
 * Which region fits a mapping of @size bytes at page offset @offset for
 * @dev: the address class, and the order that keeps the data at the same
 * page offset (so any min_align_mask below PAGE_SIZE holds) inside one
 * naturally aligned extent (so no segment boundary of that size or more
 * is crossed).  A @promised size (see xdx_promised()) is not turned away
 * by enable or max_order.
 */
static enum xdx_stat xdx_fit(struct device *dev, unsigned int offset,
			     size_t size, bool promised, enum xdx_class *cls,
			     unsigned int *order)
{
	u64 limit = xdx_dma_limit(dev);

	if (!READ_ONCE(xdx_enable) && !promised)
		return XDX_SKIP_DISABLED;
	if (is_swiotlb_force_bounce(dev))
		return XDX_SKIP_FORCED;
	if (limit < DMA_BIT_MASK(32))
		return XDX_SKIP_LIMIT;
	*cls = limit < DMA_BIT_MASK(48) ? XDX_CLASS_LOW : XDX_CLASS_ANY;
	/* beyond the largest region: and offset + size must not wrap */
	if (size > (PAGE_SIZE << XDX_MAX_ORDER) - offset)
		return XDX_SKIP_ORDER;
	*order = get_order(offset + size);
	if (!promised && *order > READ_ONCE(xdx_max_order))
		return XDX_SKIP_ORDER;
	if (dma_get_min_align_mask(dev) >= PAGE_SIZE ||
	    (PAGE_SIZE << *order) - 1 > dma_get_seg_boundary(dev))
		return XDX_SKIP_ALIGN;
	return XDX_NR_STATS;
}

/**
 * xen_dma_exchange_max_mapping_size() - largest mapping for a device
 * @dev: the device
 *
 * The fixed pool takes at most swiotlb_max_mapping_size().  A device
 * below 48 bits whose mappings regions serve may map more when the boot
 * reserve built large low regions: half the largest, and no more than a
 * mapping call may exchange at once, so that every promised size fits one
 * region at any page offset and can be made without the worker (1 MiB
 * with the default reserve).  Block drivers size their requests from this
 * at probe time; dma_opt_mapping_size() follows it.
 *
 * Return: the largest size of one mapping, in bytes.
 */
size_t xen_dma_exchange_max_mapping_size(struct device *dev)
{
	size_t pool = swiotlb_max_mapping_size(dev);
	int order = min(xdx_region_boot_order(XDX_CLASS_LOW),
			XDX_ATOMIC_ORDER_MAX);
	enum xdx_class cls;
	unsigned int o;

	/* a whole region of that order must fit the device, in the low class */
	if (order < 1 || !dev->dma_mask ||
	    xdx_fit(dev, 0, PAGE_SIZE << order, true, &cls, &o) != XDX_NR_STATS ||
	    cls != XDX_CLASS_LOW)
		return pool;
	return max(pool, PAGE_SIZE << (order - 1));
}

/*
 * Is @size above the fixed pool's maximum for @dev but within what
 * xen_dma_exchange_max_mapping_size() promised it at probe time?  Such a
 * mapping has no other way: it may exchange in the mapping call up to
 * XDX_ATOMIC_ORDER_MAX, and enable or max_order switched at run time do
 * not turn it away.
 */
static bool xdx_promised(struct device *dev, size_t size)
{
	return size > swiotlb_max_mapping_size(dev) &&
	       size <= xen_dma_exchange_max_mapping_size(dev);
}

/**
 * xen_dma_exchange_map() - serve a mapping swiotlb-xen would bounce
 * @dev: the device
 * @phys: physical address of the buffer
 * @size: length in bytes (0 is left to swiotlb)
 * @dir: DMA direction
 * @attrs: DMA attributes
 * @dma: set to the region's bus address if it serves the mapping
 *
 * Takes an owned region of the right class and size, copies the buffer
 * into it for every direction (so a partial device write leaks nothing of
 * the region's past) and sets *@dma to the region's bus address.  Never
 * sleeps.  Otherwise the caller bounces through the fixed swiotlb pool,
 * unless the mapping is larger than any the pool takes.  Switched off
 * (enable=0), only a promised size is served; every other mapping goes to
 * the pool, as upstream's, which refuses one too large with its own
 * warning.
 *
 * Return: XEN_DMA_EXCHANGE_MAPPED if @dma was set;
 * XEN_DMA_EXCHANGE_FAILED if no region could be had for a mapping the
 * pool cannot take; XEN_DMA_EXCHANGE_BOUNCE otherwise, @size 0 included.
 */
enum xen_dma_exchange_result
xen_dma_exchange_map(struct device *dev, phys_addr_t phys, size_t size,
		     enum dma_data_direction dir, unsigned long attrs,
		     dma_addr_t *dma)
{
	unsigned int offset = offset_in_page(phys), order = 0;
	bool promised = xdx_promised(dev, size);
	enum xdx_class cls = XDX_CLASS_LOW;
	struct xdx_region *r;
	enum xdx_stat why;
	dma_addr_t addr;

	if (!size)
		return XEN_DMA_EXCHANGE_BOUNCE;
	xdx_count(XDX_MAPS, 1);
	why = xdx_fit(dev, offset, size, promised, &cls, &order);
	if (why != XDX_NR_STATS)
		goto fallback;
	r = xdx_region_get(cls, order, phys, size, promised, &why);
	if (!r)
		goto fallback;
	addr = phys_to_dma(dev, r->maddr + offset);
	/* the unmap and sync gate counts on low regions' bus addresses */
	if (!dma_capable(dev, addr, size, true) ||
	    (r->cls == XDX_CLASS_LOW && addr + size - 1 > DMA_BIT_MASK(32)) ||
	    !xdx_verify_ok(dev, r, size, addr)) {
		xdx_region_put(r);
		why = XDX_SKIP_LIMIT;
		goto fallback;
	}
	memcpy(xdx_region_vaddr(r), phys_to_virt(phys), size);
	xdx_region_commit(r);

	xdx_count(XDX_HITS, 1);
	xdx_count(XDX_BYTES_VIA_REGION, size);
	trace_xen_dma_exchange_hit(dev, phys, size, addr);
	*dma = addr;
	return XEN_DMA_EXCHANGE_MAPPED;

fallback:
	xdx_count(why, 1);
	trace_xen_dma_exchange_fallback(dev, phys, size, xdx_stat_names[why]);
	/* switched off: to the pool, which refuses it as upstream's does */
	if (size > XDX_POOL_MAX && why != XDX_SKIP_DISABLED) {
		xdx_count(XDX_FAIL_LARGE, 1);
		if (!(attrs & DMA_ATTR_NO_WARN))
			dev_warn_ratelimited(dev, "xen_dma_exchange: no region for a %zu-byte mapping (%s), the fixed pool takes at most %zu\n",
					     size, xdx_stat_names[why],
					     XDX_POOL_MAX);
		return XEN_DMA_EXCHANGE_FAILED;
	}
	return XEN_DMA_EXCHANGE_BOUNCE;
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
 * __xen_dma_exchange_unmap() - end a mapping served by a region
 * @dev: the device
 * @phys: what the mapping's bus address translates to
 * @size: the mapping's length
 * @dir: its direction
 * @attrs: DMA attributes
 *
 * Copies back what the device wrote (DMA_FROM_DEVICE, DMA_BIDIRECTIONAL,
 * unless DMA_ATTR_SKIP_CPU_SYNC) and puts the region back
 * (xdx_region_put()).
 * An unmap that does not match the mapping (length 0 included) is
 * reported and changes nothing.  A second unmap finds no mapped region,
 * unless the region serves a new mapping of the same offset and length
 * by then, which it ends (a driver's bug the DMA API forbids).
 *
 * Return: true if @phys was in one of our mapped regions.
 */
bool __xen_dma_exchange_unmap(struct device *dev, phys_addr_t phys,
			      size_t size, enum dma_data_direction dir,
			      unsigned long attrs)
{
	struct xdx_region *r = xdx_region_claim(phys, size);

	if (!r)
		return false;
	if (IS_ERR(r)) {
		/* Left mapped: the device may still own it. */
		xdx_count(XDX_BAD_UNMAP, 1);
		dev_err_ratelimited(dev, "xen_dma_exchange: unmap of %zu bytes at %pa does not match its mapping\n",
				    size, &phys);
		return true;
	}
	if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC) &&
	    (dir == DMA_FROM_DEVICE || dir == DMA_BIDIRECTIONAL))
		memcpy(phys_to_virt(r->orig), xdx_region_vaddr(r), size);
	xdx_region_put(r);
	return true;
}

/**
 * __xen_dma_exchange_sync() - sync part of a mapping served by a region
 * @dev: the device
 * @phys: what the bus address of the part translates to
 * @size: the part's length
 * @dir: the direction given to the sync
 * @for_cpu: true for dma_sync_*_for_cpu(), false for _for_device()
 *
 * For the CPU, copies what the device wrote (DMA_FROM_DEVICE,
 * DMA_BIDIRECTIONAL) to the caller's buffer; for the device, copies the
 * caller's buffer to the region (DMA_TO_DEVICE, DMA_BIDIRECTIONAL).  A
 * range outside the mapping is reported and not copied.
 *
 * Return: true if @phys was in one of our mapped regions.
 */
bool __xen_dma_exchange_sync(struct device *dev, phys_addr_t phys,
			     size_t size, enum dma_data_direction dir,
			     bool for_cpu)
{
	struct xdx_mapping m;
	size_t off;

	/* the region's pages stay ours until the copy is done */
	rcu_read_lock();
	if (!xdx_region_find(phys, &m)) {
		rcu_read_unlock();
		return false;
	}
	off = phys - m.start;
	if (phys < m.start || off > m.size || size > m.size - off) {
		rcu_read_unlock();
		dev_err_ratelimited(dev, "xen_dma_exchange: sync of %zu bytes at %pa is outside the mapping\n",
				    size, &phys);
		return true;
	}
	if (for_cpu && (dir == DMA_FROM_DEVICE || dir == DMA_BIDIRECTIONAL))
		memcpy(phys_to_virt(m.orig + off), phys_to_virt(phys), size);
	else if (!for_cpu && (dir == DMA_TO_DEVICE || dir == DMA_BIDIRECTIONAL))
		memcpy(phys_to_virt(phys), phys_to_virt(m.orig + off), size);
	rcu_read_unlock();
	return true;
}

/* ---- parameters ---- */

static int xdx_set_max_order(const char *val, const struct kernel_param *kp)
{
	unsigned int v;

	if (kstrtouint(val, 0, &v) || v > XDX_MAX_ORDER)
		return -EINVAL;
	WRITE_ONCE(xdx_max_order, v);
	return 0;
}

static const struct kernel_param_ops xdx_max_order_ops = {
	.set = xdx_set_max_order,
	.get = param_get_uint,
};

module_param_named(enable, xdx_enable, bool, 0644);
MODULE_PARM_DESC(enable, "Serve would-bounce mappings from owned regions (0 = upstream bounce-only)");
module_param_named(verify, xdx_verify, bool, 0644);
MODULE_PARM_DESC(verify, "Check every region mapping against Xen's M2P too (debug)");
module_param_cb(max_order, &xdx_max_order_ops, &xdx_max_order, 0644);
MODULE_PARM_DESC(max_order, "Largest mapping served from a region, as page order (0-10, default 10 = 4 MiB)");

/* ---- debugfs ---- */

#ifdef CONFIG_DEBUG_FS
static int xdx_stats_show(struct seq_file *m, void *v)
{
	unsigned long total, low, in_use;
	int i;

	for (i = 0; i < XDX_NR_STATS; i++)
		seq_printf(m, "%s %llu\n", xdx_stat_names[i],
			   xen_dma_exchange_stat(i));
	xdx_region_held(&total, &low, &in_use);
	seq_printf(m, "regions_in_use %lu\nregion_bytes %lu\nregion_bytes_low %lu\n",
		   in_use, total, low);
	return 0;
}

static int xdx_stats_open(struct inode *inode, struct file *file)
{
	return single_open(file, xdx_stats_show, NULL);
}

/* Writing "0" resets the counters (not the regions). */
static ssize_t xdx_stats_write(struct file *file, const char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	unsigned int v;
	int i, cpu, ret = kstrtouint_from_user(ubuf, len, 0, &v);

	if (ret)
		return ret;
	if (v)
		return -EINVAL;
	for_each_possible_cpu(cpu)
		for (i = 0; i < XDX_NR_STATS; i++)
			per_cpu(xdx_stats.n[i], cpu) = 0;
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

static int xdx_regions_show(struct seq_file *m, void *v)
{
	xdx_region_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(xdx_regions);

/* Writing anything gives every free region back to Xen. */
static ssize_t xdx_flush_write(struct file *file, const char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	xdx_region_release_free();
	return len;
}

static const struct file_operations xdx_flush_fops = {
	.owner = THIS_MODULE,
	.write = xdx_flush_write,
};

#ifdef CONFIG_PCI
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
#endif

static void __init xdx_debugfs_init(void)
{
	struct dentry *dir = debugfs_create_dir("xen_dma_exchange", NULL);

	debugfs_create_file("stats", 0600, dir, NULL, &xdx_stats_fops);
	debugfs_create_file("regions", 0400, dir, NULL, &xdx_regions_fops);
	debugfs_create_file("flush", 0200, dir, NULL, &xdx_flush_fops);
#ifdef CONFIG_PCI
	debugfs_create_file("dev_dma_limit", 0200, dir, NULL,
			    &xdx_dev_limit_fops);
#endif
}
#else
static inline void xdx_debugfs_init(void)
{
}
#endif

static int __init xen_dma_exchange_init(void)
{
	int ret;

	/* Only where swiotlb-xen maps DMA: not in a PV domU without devices. */
	if (!xen_pv_domain() || dma_ops != &xen_swiotlb_dma_ops) {
		WRITE_ONCE(xdx_enable, false);
		return 0;
	}
	xdx_debugfs_init();
	ret = xdx_region_init();
	if (ret) {
		pr_warn("disabled: setup failed (%d)\n", ret);
		WRITE_ONCE(xdx_enable, false);
		return 0;
	}
	pr_info("%s, max order %u\n",
		xdx_enable ? "enabled" : "off (bounce-only)", xdx_max_order);
	return 0;
}
subsys_initcall(xen_dma_exchange_init);
