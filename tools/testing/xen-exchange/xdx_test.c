// SPDX-License-Identifier: GPL-2.0
/*
 * Host harness for drivers/xen/xen-dma-exchange.c and xen-dma-region.c: both
 * real files are compiled here against xdx_shim.h and a simulated hypervisor
 * (xdx_sim.c).  map()/unmap()/sync_*() below are swiotlb-xen's ladder as
 * patch 0004 makes it -- direct, owned region, fixed pool, error -- calling
 * the same public hooks, around a simulated direct check and a simulated
 * fixed swiotlb pool.  Unit tests, then a randomized model test that checks
 * every byte a device sees through the simulated M2P.  Output is KTAP.
 *
 * usage: xdx_test [model-iterations] [seed]
 */
#include "xdx_shim.h"
#include "xdx_sim.h"

/* The code under test. */
#include "../../../drivers/xen/xen-dma-exchange.c"
#include "../../../drivers/xen/xen-dma-region.c"

unsigned long jiffies = -300UL * HZ;	/* INITIAL_JIFFIES-like: wraps soon */

static int failures, case_failed;
static unsigned long caller_frames_changed;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		printf("# %s:%d: check failed: %s\n", __func__, __LINE__, #cond); \
		case_failed = 1;					\
	}								\
} while (0)

static u64 mask24 = DMA_BIT_MASK(24), mask31 = DMA_BIT_MASK(31),
	   mask32 = DMA_BIT_MASK(32), mask40 = DMA_BIT_MASK(40),
	   mask64 = DMA_BIT_MASK(64);
static struct device dev24 = { .name = "dev24", .dma_mask = &mask24 };
static struct device dev31 = { .name = "dev31", .dma_mask = &mask31 };
static struct device dev32 = { .name = "dev32", .dma_mask = &mask32 };
static struct device dev40 = { .name = "dev40", .dma_mask = &mask40 };
static struct device dev64 = { .name = "dev64", .dma_mask = &mask64 };
static struct device *all_devs[] = { &dev24, &dev31, &dev32, &dev40, &dev64 };

struct device *xdx_find_device(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(all_devs); i++)
		if (!strcmp(all_devs[i]->name, name))
			return all_devs[i];
	return NULL;
}

static u64 st(enum xdx_stat s)
{
	return xen_dma_exchange_stat(s);
}

/* Caller buffers: 64 slots of 64 pages in the callers' part of the domain. */
#define SLOT_PAGES	64UL
#define BUF(n)		PFN_PHYS((n) * SLOT_PAGES)
#define NR_SLOTS	(SIM_CALLER_PFNS / SLOT_PAGES)

static unsigned char *cpu(phys_addr_t phys)
{
	return phys_to_virt(phys);
}

/* ---- the fixed swiotlb pool, simulated: SIM_POOL_PFNS slots of a page ---- */

static struct {
	bool used[SIM_POOL_PFNS];
	unsigned int nslots[SIM_POOL_PFNS];	/* at a mapping's first slot */
	phys_addr_t orig[SIM_POOL_PFNS];
	size_t size[SIM_POOL_PFNS];
} pool;

static phys_addr_t pool_map(phys_addr_t phys, size_t size)
{
	unsigned long n = PFN_UP(offset_in_page(phys) + size), i, j;

	if (size > XDX_POOL_MAX)	/* one segment of slots at most */
		return (phys_addr_t)DMA_MAPPING_ERROR;
	for (i = 0; i + n <= SIM_POOL_PFNS; i++) {
		for (j = 0; j < n && !pool.used[i + j]; j++)
			;
		if (j < n)
			continue;
		for (j = 0; j < n; j++)
			pool.used[i + j] = true;
		pool.nslots[i] = n;
		pool.orig[i] = phys;
		pool.size[i] = size;
		/* swiotlb bounces the original into the slot for every direction */
		memcpy(cpu(PFN_PHYS(SIM_POOL_PFN + i) + offset_in_page(phys)),
		       cpu(phys), size);
		return PFN_PHYS(SIM_POOL_PFN + i) + offset_in_page(phys);
	}
	return (phys_addr_t)DMA_MAPPING_ERROR;
}

static bool pool_find(phys_addr_t paddr)
{
	unsigned long pfn = PHYS_PFN(paddr);

	return pfn >= SIM_POOL_PFN && pfn < SIM_POOL_PFN + SIM_POOL_PFNS;
}

/* The mapping's first slot holding @paddr, or -1. */
static long pool_head(phys_addr_t paddr)
{
	long i, idx = PHYS_PFN(paddr) - SIM_POOL_PFN;

	for (i = idx; i >= 0; i--)
		if (pool.nslots[i] && i + (long)pool.nslots[i] > idx)
			return pool.used[i] ? i : -1;
	return -1;
}

static void pool_unmap(phys_addr_t paddr, size_t size,
		       enum dma_data_direction dir, unsigned long attrs)
{
	long i = pool_head(paddr);
	unsigned long j;

	if (i < 0)
		return;
	if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC) &&
	    (dir == DMA_FROM_DEVICE || dir == DMA_BIDIRECTIONAL))
		memcpy(cpu(pool.orig[i]), cpu(paddr), size);
	for (j = 0; j < pool.nslots[i]; j++)
		pool.used[i + j] = false;
	pool.nslots[i] = 0;
}

static void pool_sync(phys_addr_t paddr, size_t size,
		      enum dma_data_direction dir, bool for_cpu)
{
	long i = pool_head(paddr);
	phys_addr_t tlb, orig;

	if (i < 0)
		return;
	tlb = PFN_PHYS(SIM_POOL_PFN + i) + offset_in_page(pool.orig[i]);
	orig = pool.orig[i] + (paddr - tlb);
	if (for_cpu && (dir == DMA_FROM_DEVICE || dir == DMA_BIDIRECTIONAL))
		memcpy(cpu(orig), cpu(paddr), size);
	else if (!for_cpu && (dir == DMA_TO_DEVICE || dir == DMA_BIDIRECTIONAL))
		memcpy(cpu(paddr), cpu(orig), size);
}

/* ---- swiotlb-xen's map/unmap/sync ladder, with patch 0004's hooks ---- */

static dma_addr_t xen_phys_to_dma(struct device *dev, phys_addr_t phys)
{
	return phys_to_dma(dev, PFN_PHYS(sim.p2m[PHYS_PFN(phys)]) | offset_in_page(phys));
}

static phys_addr_t xen_dma_to_phys(struct device *dev, dma_addr_t dma)
{
	unsigned long pfn = sim_bfn_to_pfn(PHYS_PFN(dma_to_phys(dev, dma)));

	return PFN_PHYS(pfn) | offset_in_page(dma);
}

static bool range_straddles_page_boundary(phys_addr_t p, size_t size)
{
	unsigned long pfn = PHYS_PFN(p), next = sim.p2m[pfn];
	unsigned long i, nr = PFN_UP(offset_in_page(p) + size);

	for (i = 1; i < nr; i++)
		if (sim.p2m[++pfn] != ++next)
			return true;
	return false;
}

enum path { P_DIRECT, P_REGION, P_POOL, P_ERROR };
static const char * const path_names[] = { "direct", "region", "pool", "error" };
static enum path last_path;
static unsigned long pool_tries;	/* mappings offered to the fixed pool */

static dma_addr_t map_attrs(struct device *dev, phys_addr_t phys, size_t size,
			    enum dma_data_direction dir, unsigned long attrs)
{
	static unsigned long snap[SIM_PFNS];
	unsigned long first = PHYS_PFN(phys), n = PHYS_PFN(phys + size - 1) - first + 1;
	dma_addr_t dev_addr = xen_phys_to_dma(dev, phys);
	enum xen_dma_exchange_result served;
	phys_addr_t map;

	if (first + n > SIM_CALLER_PFNS)
		abort();
	memcpy(snap, &sim.p2m[first], n * sizeof(snap[0]));

	if (dma_capable(dev, dev_addr, size, true) &&
	    !range_straddles_page_boundary(phys, size) &&
	    !is_swiotlb_force_bounce(dev)) {
		last_path = P_DIRECT;
		goto done;
	}

	sim.in_atomic = true;		/* a mapping call may not sleep */
	served = xen_dma_exchange_map(dev, phys, size, dir, attrs, &dev_addr);
	sim.in_atomic = false;
	switch (served) {
	case XEN_DMA_EXCHANGE_MAPPED:
		last_path = P_REGION;
		goto done;
	case XEN_DMA_EXCHANGE_FAILED:		/* too large for the pool */
		last_path = P_ERROR;
		dev_addr = DMA_MAPPING_ERROR;
		goto done;
	case XEN_DMA_EXCHANGE_BOUNCE:
		break;
	}

	pool_tries++;
	map = pool_map(phys, size);
	if (map == (phys_addr_t)DMA_MAPPING_ERROR) {
		last_path = P_ERROR;
		dev_addr = DMA_MAPPING_ERROR;
		goto done;
	}
	dev_addr = xen_phys_to_dma(dev, map);
	if (!dma_capable(dev, dev_addr, size, true)) {
		pool_unmap(map, size, dir, attrs | DMA_ATTR_SKIP_CPU_SYNC);
		last_path = P_ERROR;
		dev_addr = DMA_MAPPING_ERROR;
		goto done;
	}
	xen_dma_exchange_bounced(dev, size);
	last_path = P_POOL;
done:
	/* the safety property: nothing of the caller's is ever exchanged */
	if (memcmp(snap, &sim.p2m[first], n * sizeof(snap[0]))) {
		printf("# map of %#llx+%zu changed the caller's frames\n",
		       (unsigned long long)phys, size);
		caller_frames_changed++;
		case_failed = 1;
	}
	return dev_addr;
}

static dma_addr_t map(struct device *dev, phys_addr_t phys, size_t size,
		      enum dma_data_direction dir)
{
	return map_attrs(dev, phys, size, dir, 0);
}

static void unmap_attrs(struct device *dev, dma_addr_t dma, size_t size,
			enum dma_data_direction dir, unsigned long attrs)
{
	phys_addr_t paddr = xen_dma_to_phys(dev, dma);
	u64 bad = st(XDX_BAD_UNMAP);

	if (xen_dma_exchange_unmap(dev, dma, paddr, size, dir, attrs)) {
		if (st(XDX_BAD_UNMAP) == bad)	/* a mapping ended */
			sim_note_unmap(paddr, size);
		return;
	}
	if (pool_find(paddr))
		pool_unmap(paddr, size, dir, attrs);
}

static void unmap(struct device *dev, dma_addr_t dma, size_t size,
		  enum dma_data_direction dir)
{
	unmap_attrs(dev, dma, size, dir, 0);
}

static void sync_for_cpu(struct device *dev, dma_addr_t dma, size_t size,
			 enum dma_data_direction dir)
{
	phys_addr_t paddr = xen_dma_to_phys(dev, dma);

	if (xen_dma_exchange_sync(dev, dma, paddr, size, dir, true))
		return;
	if (pool_find(paddr))
		pool_sync(paddr, size, dir, true);
}

static void sync_for_device(struct device *dev, dma_addr_t dma, size_t size,
			    enum dma_data_direction dir)
{
	phys_addr_t paddr = xen_dma_to_phys(dev, dma);

	if (pool_find(paddr))
		pool_sync(paddr, size, dir, false);
	else
		xen_dma_exchange_sync(dev, dma, paddr, size, dir, false);
}

/* ---- the device's side: every access goes through the simulated M2P ---- */

static bool dev_sees(struct device *dev, dma_addr_t dma, const void *expect, size_t n)
{
	const unsigned char *e = expect;
	size_t i;

	if (!dma_capable(dev, dma, n, true))
		return false;
	for (i = 0; i < n; i++) {
		unsigned char *m = sim_machine_byte(dma + i);

		if (!m || *m != e[i])
			return false;
	}
	return true;
}

static bool dev_write(dma_addr_t dma, const void *src, size_t n)
{
	const unsigned char *s = src;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char *m = sim_machine_byte(dma + i);

		if (!m)
			return false;
		*m = s[i];
	}
	return true;
}

static void pattern(unsigned char *p, size_t n, unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (unsigned char)(seed >> 16);
	}
}

/* ---- the books: every region, through the latched tree ---- */

static struct xdx_region *first_region(void)
{
	struct rb_node *n = rb_first(&xdx_region_tree.tree[0]);

	return n ? container_of(n, struct xdx_region, lt.node[0]) : NULL;
}

static struct xdx_region *next_region(struct xdx_region *r)
{
	struct rb_node *n = rb_next(&r->lt.node[0]);

	return n ? container_of(n, struct xdx_region, lt.node[0]) : NULL;
}

static struct xdx_region *region_of(dma_addr_t dma)
{
	unsigned long pfn = sim_bfn_to_pfn(PHYS_PFN(dma));
	struct xdx_region *r;

	for (r = first_region(); r; r = next_region(r))
		if (pfn >= r->pfn && pfn < r->pfn + (1UL << r->order))
			return r;
	return NULL;
}

static unsigned long nr_free(enum xdx_class cls, unsigned int order)
{
	return xdx_nr_free[cls][order];
}

static void check_books(const char *where)
{
	unsigned long sum = 0, low = 0, mapped = 0, mapped_any = 0, n0 = 0, n1 = 0, prev_end = 0;
	unsigned long spares = 0;
	unsigned long nfree[XDX_NR_CLASSES][XDX_NR_ORDERS] = { { 0 } };
	unsigned long nused[XDX_NR_CLASSES][XDX_NR_ORDERS] = { { 0 } };
	unsigned long oncpu[XDX_NR_CLASSES][XDX_NR_ORDERS] = { { 0 } };
	unsigned long cool[XDX_NR_CLASSES][XDX_NR_ORDERS] = { { 0 } };
	struct xdx_region *r;
	struct rb_node *n;
	int bad = 0, cls, order, cpu;
	unsigned int i;

	/* a region in a magazine: free, on no list, in the tree, in its slot */
	for_each_possible_cpu(cpu) {
		struct xdx_mag *m = per_cpu_ptr(xdx_mags, cpu);

		bad |= m->lock.held;
		for (cls = 0; cls < XDX_NR_CLASSES; cls++)
			for (order = 0; order <= XDX_MAG_MAX_ORDER; order++)
				for (i = 0; i < m->n[cls][order]; i++) {
					r = m->r[cls][order][i];
					bad |= xdx_region_mapped(r) || !list_empty(&r->list) ||
					       r->cls != cls || r->order != order ||
					       latch_tree_find(&r->pfn, &xdx_region_tree,
							       &xdx_region_tree_ops) != &r->lt;
					oncpu[cls][order]++;
				}
	}

	/* a cooling region: free, marked, on its cooling list, in the tree */
	for (cls = 0; cls < XDX_NR_CLASSES; cls++)
		for (order = 0; order <= XDX_MAX_ORDER; order++) {
			if (!xdx_cooling[cls][order].next)
				continue;
			list_for_each_entry(r, &xdx_cooling[cls][order], list) {
				bad |= xdx_region_mapped(r) || !r->cooling ||
				       r->cls != cls || r->order != order ||
				       latch_tree_find(&r->pfn, &xdx_region_tree,
						       &xdx_region_tree_ops) != &r->lt;
				cool[cls][order]++;
			}
		}

	for (r = first_region(); r; r = next_region(r), n0++) {
		unsigned long bytes = PAGE_SIZE << r->order, i;

		sum += bytes;
		if (r->cls == XDX_CLASS_LOW)
			low += bytes;
		if (xdx_region_mapped(r)) {
			mapped++;
			mapped_any += r->cls == XDX_CLASS_ANY;
			nused[r->cls][r->order]++;
		} else {
			nfree[r->cls][r->order]++;
		}
		bad |= r->pfn < prev_end;			/* sorted, disjoint */
		prev_end = r->pfn + (1UL << r->order);
		bad |= (r->maddr & (bytes - 1)) != 0;		/* naturally aligned */
		bad |= r->cls == XDX_CLASS_LOW && r->maddr + bytes - 1 > DMA_BIT_MASK(32);
		bad |= !sim_backend_owned(r->pfn, r->order);	/* the backend's pages */
		for (i = 0; i < 1UL << r->order; i++) {
			bad |= sim.p2m[r->pfn + i] != PHYS_PFN(r->maddr) + i;
			bad |= sim.m2p[PHYS_PFN(r->maddr) + i] != (long)(r->pfn + i);
		}
	}
	for (n = rb_first(&xdx_region_tree.tree[1]); n; n = rb_next(n))
		n1++;
	list_for_each_entry(r, &xdx_spares, list)
		spares++;
	bad |= spares != xdx_nr_spares;
	for (cls = 0; cls < XDX_NR_CLASSES; cls++)
		for (order = 0; order <= XDX_MAX_ORDER; order++) {
			unsigned long len = 0;
			struct list_head *p;

			if (xdx_free[cls][order].next)
				list_for_each(p, &xdx_free[cls][order]) {
					bad |= list_entry(p, struct xdx_region, list)->cooling;
					len++;
				}
			bad |= len + oncpu[cls][order] + cool[cls][order] != nfree[cls][order] ||
			       xdx_nr_free[cls][order] != len ||
			       xdx_nr_cooling[cls][order] != cool[cls][order] ||
			       xdx_nr_used[cls][order] != nused[cls][order] + oncpu[cls][order] +
							  cool[cls][order];
		}
	if (bad || n0 != n1 || sum != xdx_held_bytes || low != xdx_held_low_bytes ||
	    xdx_held_bytes > xdx_max_mb << 20 || xdx_held_low_bytes > xdx_low_budget_mb << 20 ||
	    mapped != (unsigned long)atomic_long_read(&xen_dma_exchange_nr_mapped) ||
	    mapped_any != (unsigned long)atomic_long_read(&xen_dma_exchange_nr_mapped_any) ||
	    xdx_region_lock.held || xdx_rcu_depth || sim.bad_exchanges ||
	    sim.atomic_grows || sim.bad_frees || sim.bad_waits || sim.early_destroys || sim.rcu_warnings ||
	    sim.held_undercounted || sim.early_frees ||
	    sim_pages_allocated() != sum / PAGE_SIZE) {
		printf("# %s: books do not balance: bad %d trees %lu/%lu held %lu (sum %lu) low %lu (sum %lu) budgets %lu/%lu MiB mapped %lu/%ld lock %d rcu %d bad_exchanges %lu atomic_grows %lu bad_frees %lu bad_waits %lu early_destroys %lu rcu_warnings %lu held_undercounted %lu early_frees %lu pages %lu\n",
		       where, bad, n0, n1, xdx_held_bytes, sum, xdx_held_low_bytes, low,
		       xdx_max_mb, xdx_low_budget_mb, mapped,
		       atomic_long_read(&xen_dma_exchange_nr_mapped), xdx_region_lock.held,
		       xdx_rcu_depth, sim.bad_exchanges, sim.atomic_grows, sim.bad_frees,
		       sim.bad_waits, sim.early_destroys, sim.rcu_warnings,
		       sim.held_undercounted, sim.early_frees,
		       sim_pages_allocated());
		case_failed = 1;
	}
}

/* xdx_sim_kfree() knows a region's struct by its tree node's address */
_Static_assert(offsetof(struct xdx_region, lt) == 0, "lt first");

/* What the budgets count, for xen_destroy_contiguous_region() in xdx_sim.c. */
unsigned long sim_backend_held_bytes(void)
{
	return xdx_held_bytes;
}

unsigned long sim_backend_held_low_bytes(void)
{
	return xdx_held_low_bytes;
}

/* ---- per-case setup and teardown: boot the backend, then take it down ---- */

static void setup_low(unsigned int reserve, unsigned long low_frames)
{
	unsigned int i;

	sim_init(low_frames, 1);
	memset(&pool, 0, sizeof(pool));
	memset(&xdx_stats, 0, sizeof(xdx_stats));
	memset(&fail_xen_dma_exchange, 0, sizeof(fail_xen_dma_exchange));
	memset(xdx_want, 0, sizeof(xdx_want));
	for (i = 0; i < ARRAY_SIZE(all_devs); i++) {
		all_devs[i]->bus_dma_limit = 0;
		all_devs[i]->min_align_mask = 0;
		all_devs[i]->seg_boundary = 0;
		all_devs[i]->force_bounce = false;
	}
	xdx_enable = true;
	xdx_verify = false;
	xdx_max_order = XDX_MAX_ORDER;
	xdx_reserve = reserve;
	xdx_cpu_cache = 0;			/* no magazines: see cpu_cache_* */
	xdx_cool_kib = 0;			/* no cooling: see cooling_* */
	xdx_sim_cpu = 0;
	xdx_atomic_order = 3;
	xdx_idle_secs = 30;
	xdx_max_mb = 64;
	xdx_low_budget_mb = 32;
	xdx_ready = false;
	memset(xdx_refused, 0, sizeof(xdx_refused));
	xdx_granted_order = -1;
	xdx_fail_kzalloc = 0;
	xdx_dev_errs = 0;
	caller_frames_changed = 0;
	xdx_refill_work.pending = false;
	xdx_idle_work.work.pending = false;
	xen_dma_exchange_init();		/* the real boot path */
	CHECK(xdx_shrinker && xdx_shrinker == xdx_shrinker_registered &&
	      xdx_shrinker->registered);
	CHECK(xdx_idle_work.work.pending);
}

static void setup(unsigned int reserve)
{
	setup_low(reserve, 1UL << 14);		/* 64 MiB free below 4 GiB */
}

static void teardown(void)
{
	struct xdx_region *r;
	unsigned long total, low, in_use;

	check_books("teardown");
	/* end whatever mappings a case left, then flush */
	for (r = first_region(); r; r = next_region(r))
		if (xdx_region_mapped(r))
			__xen_dma_exchange_unmap(&dev32, PFN_PHYS(r->pfn) + r->offset,
						 r->size, DMA_TO_DEVICE, 0);
	xdx_region_release_free();
	check_books("teardown flush");
	xdx_region_held(&total, &low, &in_use);
	if (total || low || in_use || first_region() || sim_pages_allocated() ||
	    sim.frames_returned != sim.frames_exchanged) {
		printf("# teardown: held %lu low %lu in use %lu pages %lu frames exchanged %lu returned %lu\n",
		       total, low, in_use, sim_pages_allocated(), sim.frames_exchanged,
		       sim.frames_returned);
		case_failed = 1;
	}
	free(xdx_shrinker);
	xdx_shrinker = NULL;
	free_percpu(xdx_mags);
	xdx_mags = NULL;
}

/* ---- unit tests ---- */

static const enum dma_data_direction dirs[] = {
	DMA_TO_DEVICE, DMA_FROM_DEVICE, DMA_BIDIRECTIONAL
};

static void test_region_map_every_direction_prefilled(void)
{
	unsigned int d;

	setup(0);
	for (d = 0; d < 3; d++) {
		phys_addr_t phys = BUF(d) + 100;
		size_t size = 3 * PAGE_SIZE + 5;
		dma_addr_t dma = map(&dev32, phys, size, dirs[d]);

		CHECK(last_path == P_REGION);
		CHECK(offset_in_page(dma) == 100);
		CHECK(dev_sees(&dev32, dma, cpu(phys), size));
		check_books("mapped");
		unmap(&dev32, dma, size, dirs[d]);
	}
	/* order 2 exchanged once, then reused for the other two directions */
	CHECK(st(XDX_HITS) == 3 && st(XDX_EXCHANGES) == 1 && st(XDX_REUSES) == 2);
	CHECK(st(XDX_BOUNCES) == 0 && st(XDX_BYTES_VIA_REGION) == 3 * (3 * PAGE_SIZE + 5));
	CHECK(sim.creates == 1);
	teardown();
}

static void test_unmap_copies_back_only_from_device(void)
{
	static unsigned char before[4 * PAGE_SIZE], wrote[4 * PAGE_SIZE];
	unsigned int d, skip;

	setup(0);
	for (skip = 0; skip < 2; skip++)
		for (d = 0; d < 3; d++) {
			phys_addr_t phys = BUF(1) + 700;
			size_t size = 2 * PAGE_SIZE + 333;
			unsigned long attrs = skip ? DMA_ATTR_SKIP_CPU_SYNC : 0;
			bool back = !skip && dirs[d] != DMA_TO_DEVICE;
			dma_addr_t dma;

			sim_fill(BUF(1), 4 * PAGE_SIZE, d + 10 * skip);
			memcpy(before, cpu(BUF(1)), sizeof(before));
			dma = map_attrs(&dev32, phys, size, dirs[d], attrs);
			CHECK(last_path == P_REGION);
			pattern(wrote, size, 99 + d);
			CHECK(dev_write(dma, wrote, size));
			unmap_attrs(&dev32, dma, size, dirs[d], attrs);
			CHECK(!memcmp(cpu(phys), back ? wrote : before + 700, size));
			/* not a byte outside the mapping */
			CHECK(!memcmp(cpu(BUF(1)), before, 700));
			CHECK(!memcmp(cpu(phys + size), before + 700 + size,
				      sizeof(before) - 700 - size));
		}
	teardown();
}

static void test_partial_syncs_copy_exactly_the_range(void)
{
	static unsigned char orig[6 * PAGE_SIZE], a[6 * PAGE_SIZE], b[2000];
	phys_addr_t phys = BUF(2) + 300;
	size_t size = 5 * PAGE_SIZE;
	unsigned long errs;
	dma_addr_t dma;

	setup(0);
	xdx_atomic_order = 3;
	memcpy(orig, cpu(phys), size);
	dma = map(&dev32, phys, size, DMA_BIDIRECTIONAL);
	CHECK(last_path == P_REGION);
	pattern(a, size, 7);
	CHECK(dev_write(dma, a, size));
	/* for the CPU: [1000, 6000) only */
	sync_for_cpu(&dev32, dma + 1000, 5000, DMA_BIDIRECTIONAL);
	CHECK(!memcmp(cpu(phys), orig, 1000));
	CHECK(!memcmp(cpu(phys + 1000), a + 1000, 5000));
	CHECK(!memcmp(cpu(phys + 6000), orig + 6000, size - 6000));
	/* for the device: [7000, 9000) only */
	pattern(b, sizeof(b), 8);
	memcpy(cpu(phys + 7000), b, sizeof(b));
	sync_for_device(&dev32, dma + 7000, sizeof(b), DMA_BIDIRECTIONAL);
	memcpy(a + 7000, b, sizeof(b));
	CHECK(dev_sees(&dev32, dma, a, size));
	/* last byte, exactly */
	cpu(phys)[size - 1] ^= 0xff;
	sync_for_device(&dev32, dma + size - 1, 1, DMA_BIDIRECTIONAL);
	a[size - 1] = cpu(phys)[size - 1];
	CHECK(dev_sees(&dev32, dma, a, size));
	/* ranges outside the mapping: reported, nothing copied */
	errs = xdx_dev_errs;
	sync_for_cpu(&dev32, dma + size - 10, 20, DMA_BIDIRECTIONAL);
	sync_for_cpu(&dev32, dma - 1, 2, DMA_BIDIRECTIONAL);
	sync_for_device(&dev32, dma - 1, 2, DMA_BIDIRECTIONAL);
	CHECK(xdx_dev_errs == errs + 3);
	CHECK(dev_sees(&dev32, dma, a, size));
	unmap(&dev32, dma, size, DMA_BIDIRECTIONAL);
	CHECK(!memcmp(cpu(phys), a, size));
	/* direction of the sync: TO_DEVICE never copies for the CPU ... */
	memcpy(orig, cpu(phys), size);
	dma = map(&dev32, phys, size, DMA_TO_DEVICE);
	CHECK(dev_write(dma, b, sizeof(b)));
	sync_for_cpu(&dev32, dma, size, DMA_TO_DEVICE);
	CHECK(!memcmp(cpu(phys), orig, size));
	unmap(&dev32, dma, size, DMA_TO_DEVICE);
	/* ... FROM_DEVICE never for the device */
	dma = map(&dev32, phys, size, DMA_FROM_DEVICE);
	CHECK(dev_write(dma, a, size));
	cpu(phys)[0] ^= 1;
	sync_for_device(&dev32, dma, size, DMA_FROM_DEVICE);
	CHECK(dev_sees(&dev32, dma, a, size));
	unmap(&dev32, dma, size, DMA_FROM_DEVICE);
	CHECK(!memcmp(cpu(phys), a, size));
	teardown();
}

static void test_second_mapping_reuses_region(void)
{
	dma_addr_t dma, dma2, dma3;
	u64 ex;

	setup(0);
	dma = map(&dev32, BUF(3), 4 * PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(last_path == P_REGION && st(XDX_EXCHANGES) == 1 && st(XDX_REUSES) == 0);
	unmap(&dev32, dma, 4 * PAGE_SIZE, DMA_TO_DEVICE);
	ex = sim.creates;
	dma2 = map(&dev32, BUF(3), 4 * PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(last_path == P_REGION && dma2 == dma);
	CHECK(st(XDX_EXCHANGES) == 1 && st(XDX_REUSES) == 1 && sim.creates == ex);
	CHECK(dev_sees(&dev32, dma2, cpu(BUF(3)), 4 * PAGE_SIZE));
	unmap(&dev32, dma2, 4 * PAGE_SIZE, DMA_TO_DEVICE);
	/* another buffer of the same order, another device of the class */
	dma2 = map(&dev40, BUF(4) + 8, 3 * PAGE_SIZE, DMA_FROM_DEVICE);
	CHECK(last_path == P_REGION && dma2 == dma + 8 && st(XDX_REUSES) == 2);
	CHECK(dev_sees(&dev40, dma2, cpu(BUF(4) + 8), 3 * PAGE_SIZE));
	/* while it is mapped, the next mapping needs a region of its own */
	dma3 = map(&dev32, BUF(3), 4 * PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(last_path == P_REGION && PHYS_PFN(dma3) != PHYS_PFN(dma2));
	CHECK(st(XDX_EXCHANGES) == 2);
	unmap(&dev40, dma2, 3 * PAGE_SIZE, DMA_FROM_DEVICE);
	unmap(&dev32, dma3, 4 * PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(nr_free(XDX_CLASS_LOW, 2) == 2);
	check_books("reuse");
	teardown();
}

static void test_caller_frames_never_change(void)
{
	static unsigned long p2m[SIM_CALLER_PFNS];
	struct device *devs[] = { &dev31, &dev32, &dev40, &dev64 };
	unsigned int i;

	setup(1);
	memcpy(p2m, sim.p2m, sizeof(p2m));
	for (i = 0; i < 400; i++) {
		struct device *dev = devs[i % 4];
		phys_addr_t phys = BUF(i % NR_SLOTS) + (i * 37) % PAGE_SIZE;
		size_t size = 1 + (i * 977) % (16 * PAGE_SIZE);
		enum dma_data_direction dir = dirs[i % 3];
		dma_addr_t dma;

		if (i % 7 == 0)
			sim.fail_create = 1;
		if (i % 11 == 0)
			fail_xen_dma_exchange.fail_next = 1;
		dma = map(dev, phys, size, dir);
		if (last_path != P_ERROR) {
			CHECK(dev_sees(dev, dma, cpu(phys), size));
			sync_for_device(dev, dma, size, dir);
			sync_for_cpu(dev, dma, size, dir);
			unmap(dev, dma, size, dir);
		}
		if (i % 50 == 0)
			xdx_run_work(&xdx_refill_work);
		if (i % 90 == 0)
			xdx_region_release_free();
	}
	CHECK(caller_frames_changed == 0 && sim.bad_exchanges == 0);
	CHECK(!memcmp(p2m, sim.p2m, sizeof(p2m)));
	CHECK(st(XDX_HITS) > 100 && st(XDX_EXCHANGES) > 10);
	check_books("caller frames");
	teardown();
}

static void test_exchange_failure_falls_back_to_pool(void)
{
	static unsigned char wrote[2 * PAGE_SIZE];
	phys_addr_t phys = BUF(5) + 50;
	size_t size = 2 * PAGE_SIZE;
	dma_addr_t dma;

	setup(0);
	/* the hypervisor says no */
	sim.fail_create = 1;
	dma = map(&dev32, phys, size, DMA_BIDIRECTIONAL);
	CHECK(last_path == P_POOL);
	CHECK(st(XDX_FAIL_HYPERVISOR) == 1 && st(XDX_BOUNCES) == 1);
	CHECK(dev_sees(&dev32, dma, cpu(phys), size));
	CHECK(xdx_held_bytes == 0 && sim_pages_allocated() == 0);
	pattern(wrote, size, 5);
	CHECK(dev_write(dma, wrote, size));
	unmap(&dev32, dma, size, DMA_BIDIRECTIONAL);
	CHECK(!memcmp(cpu(phys), wrote, size));
	/* fault injection: no hypercall at all */
	fail_xen_dma_exchange.fail_next = 1;
	dma = map(&dev32, phys, size, DMA_TO_DEVICE);
	CHECK(last_path == P_POOL && st(XDX_FAIL_INJECTED) == 1 && sim.creates == 1);
	CHECK(dev_sees(&dev32, dma, cpu(phys), size));
	unmap(&dev32, dma, size, DMA_TO_DEVICE);
	/* no pages, no memory for the descriptor */
	sim.fail_alloc = 1;
	dma = map(&dev32, phys, size, DMA_TO_DEVICE);
	CHECK(last_path == P_POOL && st(XDX_FAIL_NOMEM) == 1);
	unmap(&dev32, dma, size, DMA_TO_DEVICE);
	xdx_fail_kzalloc = 1;
	dma = map(&dev32, phys, size, DMA_TO_DEVICE);
	CHECK(last_path == P_POOL && st(XDX_FAIL_NOMEM) == 2 && sim.creates == 1);
	unmap(&dev32, dma, size, DMA_TO_DEVICE);
	check_books("failures");
	CHECK(xdx_held_bytes == 0);
	/* the budget was given back each time: the next one works */
	dma = map(&dev32, phys, size, DMA_TO_DEVICE);
	CHECK(last_path == P_REGION && dev_sees(&dev32, dma, cpu(phys), size));
	unmap(&dev32, dma, size, DMA_TO_DEVICE);
	teardown();

	/* no free memory below 4 GiB */
	setup_low(0, 0);
	dma = map(&dev32, phys, size, DMA_TO_DEVICE);
	CHECK(last_path == P_POOL && st(XDX_FAIL_HYPERVISOR) == 1);
	CHECK(dev_sees(&dev32, dma, cpu(phys), size));
	unmap(&dev32, dma, size, DMA_TO_DEVICE);
	/* ... while a 64-bit device still gets a region anywhere */
	dma = map(&dev64, phys, size, DMA_TO_DEVICE);
	CHECK(last_path == P_REGION && dev_sees(&dev64, dma, cpu(phys), size));
	unmap(&dev64, dma, size, DMA_TO_DEVICE);
	check_books("no low memory");
	teardown();
}

static void test_large_order_left_to_worker(void)
{
	phys_addr_t phys = BUF(6);
	size_t size = 32 * PAGE_SIZE;		/* order 5 > atomic_order 3 */
	unsigned long creates;
	dma_addr_t dma;

	setup(0);
	dma = map(&dev32, phys, size, DMA_FROM_DEVICE);
	CHECK(last_path == P_POOL && st(XDX_SKIP_ATOMIC) == 1 && sim.creates == 0);
	CHECK(xdx_refill_work.pending);
	unmap(&dev32, dma, size, DMA_FROM_DEVICE);
	CHECK(xdx_run_work(&xdx_refill_work));
	CHECK(nr_free(XDX_CLASS_LOW, 5) == 1 && sim.creates == 1);
	creates = sim.creates;
	dma = map(&dev32, phys, size, DMA_FROM_DEVICE);
	CHECK(last_path == P_REGION && st(XDX_REUSES) == 1 && sim.creates == creates);
	CHECK(dev_sees(&dev32, dma, cpu(phys), size));
	unmap(&dev32, dma, size, DMA_FROM_DEVICE);
	/* order 10 is only ever exchanged by the worker, which may grow mmu_pv's array */
	dma = map(&dev32, BUF(8), 1024 * PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(last_path == P_ERROR && st(XDX_SKIP_ATOMIC) == 2 &&
	      st(XDX_FAIL_LARGE) == 1);
	CHECK(xdx_run_work(&xdx_refill_work));
	CHECK(nr_free(XDX_CLASS_LOW, 10) == 1 && sim.atomic_grows == 0);
	/* atomic_order is capped at 9, the frame array's size */
	CHECK(__param_atomic_order.ops->set("10", &__param_atomic_order) == -EINVAL);
	CHECK(__param_atomic_order.ops->set("9", &__param_atomic_order) == 0);
	dma = map(&dev32, BUF(20), 512 * PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(last_path == P_REGION && sim.atomic_grows == 0);
	CHECK(dev_sees(&dev32, dma, cpu(BUF(20)), 512 * PAGE_SIZE));
	unmap(&dev32, dma, 512 * PAGE_SIZE, DMA_TO_DEVICE);
	check_books("large");
	teardown();
}

/*
 * Xen refuses exchanges above its cap on the order (memop-max-order 8
 * here).  The worker asks for a refused size larger than any Xen granted
 * again only after a wait, which doubles with each refusal up to 64 s (the
 * documented figure, so a literal); once Xen grants that size, no refusal
 * of it or of a smaller one makes the worker wait.
 */
static void test_worker_waits_after_refusal(void)
{
	int run;

	setup(0);
	sim.memop_max_order = 8;
	xdx_reserve = 1;
	xdx_region_refill(NULL);
	CHECK(nr_free(XDX_CLASS_LOW, 8) == 1 && nr_free(XDX_CLASS_LOW, 9) == 0 &&
	      nr_free(XDX_CLASS_LOW, 10) == 0);
	CHECK(sim.refused == 2 && st(XDX_FAIL_HYPERVISOR) == 2);
	/* runs within the first second ask Xen for neither size */
	for (run = 0; run < 10; run++)
		xdx_region_refill(NULL);
	CHECK(sim.refused == 2 && st(XDX_DEFERRED) == 20);
	/* a second later once more each; then two seconds pass before the next */
	jiffies += HZ;
	xdx_region_refill(NULL);
	CHECK(sim.refused == 4);
	jiffies += HZ;
	xdx_region_refill(NULL);
	CHECK(sim.refused == 4);
	jiffies += HZ;
	xdx_region_refill(NULL);
	CHECK(sim.refused == 6);
	/* the wait stops growing */
	for (run = 0; run < 10; run++) {
		jiffies += 64 * HZ;
		xdx_region_refill(NULL);
	}
	CHECK(sim.refused == 26 && st(XDX_FAIL_HYPERVISOR) == 26);
	jiffies += 64 * HZ - 1;		/* and is no shorter */
	xdx_region_refill(NULL);
	CHECK(sim.refused == 26 && st(XDX_DEFERRED) == 24);
	/* the cap raised, the wait still holds, then the next try succeeds */
	sim.memop_max_order = 18;
	xdx_region_refill(NULL);
	CHECK(nr_free(XDX_CLASS_LOW, 9) == 0 && st(XDX_DEFERRED) == 26);
	jiffies += 1;
	xdx_region_refill(NULL);
	CHECK(nr_free(XDX_CLASS_LOW, 9) == 1 && nr_free(XDX_CLASS_LOW, 10) == 1);
	/* a granted size refused for want of memory is asked for again at once */
	xdx_region_release_free();
	sim.fail_create = 1;			/* the first: order 0 */
	xdx_region_refill(NULL);
	CHECK(nr_free(XDX_CLASS_LOW, 0) == 0 && st(XDX_FAIL_HYPERVISOR) == 27);
	xdx_region_refill(NULL);
	CHECK(nr_free(XDX_CLASS_LOW, 0) == 1 && st(XDX_DEFERRED) == 26);
	/* as is one larger than any granted that Linux had no pages for */
	xdx_region_release_free();
	xdx_reserve = 0;
	xdx_granted_order = 8;			/* as if Xen had granted up to 8 */
	xdx_want[XDX_CLASS_LOW][9] = 1;
	sim.fail_alloc = 1;
	xdx_region_refill(NULL);
	CHECK(st(XDX_FAIL_NOMEM) == 1 && nr_free(XDX_CLASS_LOW, 9) == 0);
	xdx_want[XDX_CLASS_LOW][9] = 1;
	xdx_region_refill(NULL);
	CHECK(nr_free(XDX_CLASS_LOW, 9) == 1 && st(XDX_DEFERRED) == 26);
	check_books("refused");
	teardown();
}

/*
 * A miss too large to exchange in the mapping call borrows a free region
 * up to two orders larger (the boot reserve has them), the data right and
 * no boundary crossed, and asks the worker for its own size; with none
 * left it goes to the fixed pool: a larger order's reserve is borrowed but
 * never split.
 */
static void test_miss_borrows_larger_region(void)
{
	const size_t size = 32 * PAGE_SIZE;	/* order 5 > atomic_order 3 */
	dma_addr_t d[4];
	int i;

	setup(1);
	for (i = 0; i < 3; i++) {
		d[i] = map(&dev32, BUF(6 + 8 * i), size, DMA_BIDIRECTIONAL);
		CHECK(last_path == P_REGION && dev_sees(&dev32, d[i], cpu(BUF(6 + 8 * i)), size));
		CHECK(nr_free(XDX_CLASS_LOW, 5 + i) == 0 && nr_free(XDX_CLASS_LOW, 8) == 1);
	}
	CHECK(xdx_refill_work.pending && xdx_want[XDX_CLASS_LOW][5] == 2);
	/* the order-8 region is that order's reserve: not split */
	d[3] = map(&dev32, BUF(40), size, DMA_BIDIRECTIONAL);
	CHECK(last_path == P_POOL && st(XDX_SKIP_ATOMIC) == 1 && st(XDX_SPLITS) == 0);
	for (i = 0; i < 4; i++)
		unmap(&dev32, d[i], size, DMA_BIDIRECTIONAL);
	CHECK(nr_free(XDX_CLASS_LOW, 5) == 1 && nr_free(XDX_CLASS_LOW, 6) == 1 &&
	      nr_free(XDX_CLASS_LOW, 7) == 1);
	check_books("borrow");
	teardown();
}

/*
 * A miss with no free region of its order or up to two larger splits a
 * free region of a larger order buddy-wise, beyond that order's reserve
 * and unused for a second (test_worker_splits_before_exchanging() shows
 * one just used is not split), without a hypercall: its first part serves the mapping, the others
 * become free regions of every order in between.  Every part is given
 * back to Xen on its own, frame for frame.  With too few spare structs
 * left, the miss is exchanged in the call as before.
 */
static void test_miss_splits_larger_region(void)
{
	const size_t size = PAGE_SIZE - 300;	/* order 0 */
	unsigned int spares;
	LIST_HEAD(held);
	dma_addr_t d[8];
	u64 ex;
	int i;

	setup(1);
	xdx_reserve = 0;			/* every free region is spare */
	jiffies += HZ;				/* and unused for a second */
	ex = st(XDX_EXCHANGES);
	for (i = 0; i < 4; i++) {
		d[i] = map(&dev32, BUF(i) + 100, size, DMA_BIDIRECTIONAL);
		CHECK(last_path == P_REGION && dev_sees(&dev32, d[i], cpu(BUF(i) + 100), size));
	}
	/* order 0, borrowed 1 and 2, then the first part of the order-3 one */
	CHECK(st(XDX_EXCHANGES) == ex && st(XDX_SPLITS) == 1);
	CHECK(region_of(d[3])->order == 0 && nr_free(XDX_CLASS_LOW, 3) == 0 &&
	      nr_free(XDX_CLASS_LOW, 0) == 1 && nr_free(XDX_CLASS_LOW, 1) == 1 &&
	      nr_free(XDX_CLASS_LOW, 2) == 1 && nr_free(XDX_CLASS_LOW, 4) == 1);
	check_books("split");

	/* the parts serve the next misses: part 0, then parts 1 and 2 borrowed */
	for (i = 4; i < 7; i++) {
		d[i] = map(&dev32, BUF(i) + 100, size, DMA_TO_DEVICE);
		CHECK(last_path == P_REGION && dev_sees(&dev32, d[i], cpu(BUF(i) + 100), size));
	}
	CHECK(st(XDX_EXCHANGES) == ex && st(XDX_SPLITS) == 1);

	/* no spares: the order-4 region stays whole, the miss is exchanged */
	spares = xdx_nr_spares;
	list_splice_init(&xdx_spares, &held);
	xdx_nr_spares = 0;
	d[7] = map(&dev32, BUF(7) + 100, size, DMA_TO_DEVICE);
	CHECK(last_path == P_REGION && dev_sees(&dev32, d[7], cpu(BUF(7) + 100), size));
	CHECK(st(XDX_MAP_EXCHANGES) == 1 && st(XDX_SPLITS) == 1 &&
	      nr_free(XDX_CLASS_LOW, 4) == 1);
	list_splice(&held, &xdx_spares);
	xdx_nr_spares = spares;
	for (i = 0; i < 8; i++)
		unmap(&dev32, d[i], size, i < 4 ? DMA_BIDIRECTIONAL : DMA_TO_DEVICE);
	check_books("split, unmapped");

	/* every part given back: the frames all come back */
	xdx_region_release_free();
	CHECK(!first_region() && sim.frames_returned == sim.frames_exchanged &&
	      !sim_pages_allocated());
	teardown();
}

/* Ask the worker for @n more regions of @order in @cls, and run it. */
static void refill_want(enum xdx_class cls, unsigned int order, unsigned int n)
{
	xdx_want[cls][order] = n;
	xdx_region_refill(NULL);
}

/*
 * The worker, asked for regions of a size, first splits a free region of
 * a larger order beyond that order's reserve and unused for a second (no
 * hypercall; two regions of the size, which may be one more than wanted),
 * and exchanges when there is none.
 */
static void test_worker_splits_before_exchanging(void)
{
	unsigned long creates;

	setup(2);
	xdx_reserve = 1;			/* one free region to spare of every order */
	creates = sim.creates;
	/* just built, so not idle: exchanged */
	refill_want(XDX_CLASS_LOW, 0, 3);	/* 4 wanted, 2 free */
	CHECK(st(XDX_SPLITS) == 0 && sim.creates == creates + 2 &&
	      nr_free(XDX_CLASS_LOW, 0) == 4);
	jiffies += HZ;
	refill_want(XDX_CLASS_LOW, 0, 5);	/* 6 wanted */
	CHECK(st(XDX_SPLITS) == 1 && sim.creates == creates + 2 &&
	      nr_free(XDX_CLASS_LOW, 0) == 6 && nr_free(XDX_CLASS_LOW, 1) == 1);
	/* 7 wanted, order 1 has none to spare: order 2 split, 8 made */
	refill_want(XDX_CLASS_LOW, 0, 6);
	CHECK(st(XDX_SPLITS) == 2 && sim.creates == creates + 2 &&
	      nr_free(XDX_CLASS_LOW, 0) == 8 && nr_free(XDX_CLASS_LOW, 1) == 2 &&
	      nr_free(XDX_CLASS_LOW, 2) == 1);
	check_books("worker split");
	xdx_reserve = 2;			/* nothing to spare: exchanged */
	refill_want(XDX_CLASS_LOW, 0, 7);
	CHECK(st(XDX_SPLITS) == 2 && nr_free(XDX_CLASS_LOW, 0) == 9 &&
	      nr_free(XDX_CLASS_LOW, 2) == 2 && sim.creates == creates + 4);
	check_books("worker exchange");
	teardown();
}

/*
 * Two free buddies (parts of one split here) unused for a second merge
 * into one region of the next order without a hypercall, in the mapping
 * call as in the worker (test_budget_full_worker_trims_other_sizes()).
 * A buddy that is mapped, claimed by an unmap still copying back, or
 * used within the second is not merged: the miss is exchanged.  The
 * merged region goes back to Xen in one hypercall, frame for frame.
 */
static void test_miss_merges_free_buddies(void)
{
	dma_addr_t d[4], e[4];
	struct xdx_region *p0, *p1;
	unsigned long destroys;
	phys_addr_t maddr;
	u64 ex, mex;
	int i;

	setup(0);
	xdx_reserve = 0;
	d[0] = map(&dev32, BUF(0), 8 * PAGE_SIZE, DMA_TO_DEVICE);
	unmap(&dev32, d[0], 8 * PAGE_SIZE, DMA_TO_DEVICE);
	jiffies += HZ;
	/* the order-3 region split: two order-0 parts, one each of 1 and 2 */
	for (i = 0; i < 4; i++)
		d[i] = map(&dev32, BUF(i), PAGE_SIZE << (i ? i - 1 : 0),
			   DMA_TO_DEVICE);
	CHECK(st(XDX_SPLITS) == 1 && st(XDX_EXCHANGES) == 1);
	p0 = region_of(d[0]);
	p1 = region_of(d[1]);
	CHECK(p0->order == 0 && p1->order == 0 && p1->pfn == p0->pfn + 1 &&
	      p1->maddr == p0->maddr + PAGE_SIZE);
	maddr = p0->maddr;
	/* another free order-0 region, no buddy of these: two free of order 0 */
	e[0] = map(&dev32, BUF(8), PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(st(XDX_EXCHANGES) == 2 && region_of(e[0])->pfn != p0->pfn + 1 &&
	      region_of(e[0])->pfn + 1 != p0->pfn);
	unmap(&dev32, d[0], PAGE_SIZE, DMA_TO_DEVICE);
	unmap(&dev32, e[0], PAGE_SIZE, DMA_TO_DEVICE);
	jiffies += HZ;
	ex = st(XDX_EXCHANGES);
	mex = st(XDX_MAP_EXCHANGES);

	/* buddy mapped: the order-1 miss is exchanged in the call */
	e[0] = map(&dev32, BUF(8), 2 * PAGE_SIZE, DMA_BIDIRECTIONAL);
	CHECK(last_path == P_REGION && st(XDX_MERGES) == 0 &&
	      st(XDX_MAP_EXCHANGES) == mex + 1);
	/* buddy claimed by an unmap that has not put it back yet: the same */
	CHECK(xdx_region_claim(PFN_PHYS(p1->pfn), PAGE_SIZE) == p1);
	e[1] = map(&dev32, BUF(9), 2 * PAGE_SIZE, DMA_BIDIRECTIONAL);
	CHECK(last_path == P_REGION && st(XDX_MERGES) == 0 &&
	      st(XDX_MAP_EXCHANGES) == mex + 2);
	xdx_region_put(p1);
	/* buddy free, but just used: the same */
	e[2] = map(&dev32, BUF(10), 2 * PAGE_SIZE, DMA_BIDIRECTIONAL);
	CHECK(last_path == P_REGION && st(XDX_MERGES) == 0 &&
	      st(XDX_MAP_EXCHANGES) == mex + 3);
	check_books("no merge");
	jiffies += HZ;
	/* both unused for a second, but fewer than the reserve + 2 free */
	xdx_reserve = 2;
	d[0] = map(&dev32, BUF(12), 2 * PAGE_SIZE, DMA_BIDIRECTIONAL);
	CHECK(last_path == P_REGION && st(XDX_MERGES) == 0 &&
	      st(XDX_MAP_EXCHANGES) == mex + 4);
	unmap(&dev32, d[0], 2 * PAGE_SIZE, DMA_BIDIRECTIONAL);
	xdx_reserve = 0;
	d[0] = map(&dev32, BUF(12), 2 * PAGE_SIZE, DMA_BIDIRECTIONAL);
	CHECK(last_path == P_REGION && st(XDX_MERGES) == 0 &&
	      st(XDX_MAP_EXCHANGES) == mex + 4);	/* the one just unmapped */
	/* beyond the reserve: merged, no hypercall */
	e[3] = map(&dev32, BUF(11) + 100, 2 * PAGE_SIZE - 200, DMA_BIDIRECTIONAL);
	CHECK(last_path == P_REGION && st(XDX_MERGES) == 1 &&
	      st(XDX_EXCHANGES) == ex + 4 && nr_free(XDX_CLASS_LOW, 0) == 1);
	CHECK(region_of(e[3])->order == 1 && region_of(e[3])->maddr == maddr &&
	      dev_sees(&dev32, e[3], cpu(BUF(11) + 100), 2 * PAGE_SIZE - 200));
	check_books("merged");
	unmap(&dev32, e[3], 2 * PAGE_SIZE - 200, DMA_BIDIRECTIONAL);
	for (i = 0; i < 3; i++)
		unmap(&dev32, e[i], 2 * PAGE_SIZE, DMA_BIDIRECTIONAL);
	unmap(&dev32, d[0], 2 * PAGE_SIZE, DMA_BIDIRECTIONAL);
	for (i = 2; i < 4; i++)
		unmap(&dev32, d[i], PAGE_SIZE << (i - 1), DMA_TO_DEVICE);

	/*
	 * all given back, frame for frame; the merged region and the other
	 * parts of the split order-3 region in one hypercall
	 */
	destroys = sim.destroys;
	xdx_region_release_free();
	CHECK(sim.destroyed[3] == 1 && sim.destroys == destroys + 5 && !first_region() &&
	      sim.frames_returned == sim.frames_exchanged && !sim_pages_allocated());
	teardown();
}

/* The n-th free region of @order in @cls from the head of its list. */
static struct xdx_region *free_at(enum xdx_class cls, unsigned int order, int n)
{
	struct xdx_region *r;

	list_for_each_entry(r, &xdx_free[cls][order], list)
		if (!n--)
			return r;
	return NULL;
}

/* Free regions of @order in @cls at the two halves of one aligned extent. */
static bool free_buddies(enum xdx_class cls, unsigned int order)
{
	struct xdx_region *a = free_at(cls, order, 0), *b = free_at(cls, order, 1);

	return a && b && (a->maddr ^ b->maddr) == PAGE_SIZE << order &&
	       (a->maddr < b->maddr) == (a->pfn < b->pfn) &&
	       (a->pfn > b->pfn ? a->pfn - b->pfn : b->pfn - a->pfn) == 1UL << order;
}

/*
 * Regions given back together that are the two halves of one extent go
 * back as one, in one hypercall: a split region's parts, once all are
 * free.  A part still mapped keeps the others apart.
 */
static unsigned int mag_n(int cpu, enum xdx_class cls, unsigned int order)
{
	return per_cpu_ptr(xdx_mags, cpu)->n[cls][order];
}

/*
 * A region put back waits on its cooling list behind cool_kib's worth of
 * later ones: the next mapping of its size gets the one put back longest
 * ago, not the last one; with nothing else free, the oldest cooling one
 * rather than an exchange; a drain moves the cooling lists to the free
 * lists, the newest at the head; a full magazine's oldest go to the
 * cooling list, and a miss takes a batch from there for its magazine.
 */
static void test_cooling_hands_out_older_regions_first(void)
{
	struct xdx_region *rs[3];
	dma_addr_t d[3], e, f[6];
	unsigned int i;
	u64 ex;

	setup(0);
	xdx_cool_kib = 8;			/* two single pages */
	for (i = 0; i < 3; i++) {
		d[i] = map(&dev32, BUF(i), PAGE_SIZE, DMA_TO_DEVICE);
		rs[i] = region_of(d[i]);
	}
	CHECK(last_path == P_REGION && rs[0] && rs[1] && rs[2] &&
	      nr_free(XDX_CLASS_LOW, 0) == 0);
	ex = st(XDX_EXCHANGES);

	unmap(&dev32, d[0], PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(nr_free(XDX_CLASS_LOW, 0) == 0 && xdx_nr_cooling[XDX_CLASS_LOW][0] == 1);
	check_books("cooling");
	/* nothing else free: the one put back, not an exchange */
	d[0] = map(&dev32, BUF(3), PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(last_path == P_REGION && region_of(d[0]) == rs[0] &&
	      st(XDX_EXCHANGES) == ex && xdx_nr_cooling[XDX_CLASS_LOW][0] == 0);

	for (i = 0; i < 3; i++)
		unmap(&dev32, d[i], PAGE_SIZE, DMA_TO_DEVICE);
	/* two cool at once: the first put back has gone on to the free list */
	CHECK(xdx_nr_cooling[XDX_CLASS_LOW][0] == 2 && nr_free(XDX_CLASS_LOW, 0) == 1 &&
	      free_at(XDX_CLASS_LOW, 0, 0) == rs[0]);
	check_books("cooled");
	e = map(&dev32, BUF(4), PAGE_SIZE, DMA_FROM_DEVICE);
	CHECK(last_path == P_REGION && region_of(e) == rs[0] && st(XDX_EXCHANGES) == ex &&
	      dev_sees(&dev32, e, cpu(BUF(4)), PAGE_SIZE));	/* pre-filled */
	unmap(&dev32, e, PAGE_SIZE, DMA_FROM_DEVICE);
	CHECK(xdx_nr_cooling[XDX_CLASS_LOW][0] == 2 && nr_free(XDX_CLASS_LOW, 0) == 1 &&
	      free_at(XDX_CLASS_LOW, 0, 0) == rs[1]);

	/* a drain: all on the free list, the last put back at the head */
	xdx_mags_drain();
	CHECK(xdx_nr_cooling[XDX_CLASS_LOW][0] == 0 && nr_free(XDX_CLASS_LOW, 0) == 3 &&
	      free_at(XDX_CLASS_LOW, 0, 0) == rs[0] && free_at(XDX_CLASS_LOW, 0, 2) == rs[1]);
	check_books("drained");

	/*
	 * Magazines: CPU 0 maps six (three from the free list, two of them
	 * as a batch for its magazine, three exchanged), CPU 1 unmaps them:
	 * its full magazine's two oldest go to the cooling list.  CPU 0's
	 * next miss, with none free, takes the oldest and the other as a
	 * batch, and wakes the worker for the reserve.
	 */
	xdx_cpu_cache = 4;
	for (i = 0; i < 6; i++) {
		f[i] = map(&dev32, BUF(i), PAGE_SIZE, DMA_TO_DEVICE);
		CHECK(last_path == P_REGION);
	}
	CHECK(nr_free(XDX_CLASS_LOW, 0) == 0 && mag_n(0, XDX_CLASS_LOW, 0) == 0 &&
	      st(XDX_EXCHANGES) == ex + 3);
	xdx_sim_cpu = 1;
	for (i = 0; i < 6; i++)
		unmap(&dev32, f[i], PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(xdx_nr_cooling[XDX_CLASS_LOW][0] == 2 && mag_n(1, XDX_CLASS_LOW, 0) == 4 &&
	      nr_free(XDX_CLASS_LOW, 0) == 0);
	check_books("spilled to cooling");
	xdx_sim_cpu = 0;
	xdx_reserve = 1;
	xdx_refill_work.pending = false;
	e = map(&dev32, BUF(6), PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(last_path == P_REGION && region_of(e) == region_of(f[0]) &&
	      mag_n(0, XDX_CLASS_LOW, 0) == 1 && xdx_nr_cooling[XDX_CLASS_LOW][0] == 0 &&
	      st(XDX_EXCHANGES) == ex + 3 && xdx_refill_work.pending);
	unmap(&dev32, e, PAGE_SIZE, DMA_TO_DEVICE);
	check_books("batch from cooling");
	teardown();
}

/*
 * Per-CPU magazines: an unmap keeps a small region on its CPU, whose next
 * mapping of that size reuses it without xdx_region_lock (the unmap's
 * claim takes no lock either); the other CPU does not see it; a full magazine
 * moves its older regions to the free lists; a miss in an empty one
 * takes a batch for it; a give-back drains every CPU's magazines first.
 */
static void test_cpu_cache_reuses_without_global_lock(void)
{
	struct shrink_control sc = { 0 };
	struct xdx_region *r, *rs[6];
	struct shrinker *sh;
	unsigned long taken, free0, returned;
	dma_addr_t d[6], e, rmap[32];
	unsigned int i;

	setup(2);
	sh = xdx_shrinker_registered;
	xdx_cpu_cache = 4;
	d[0] = map(&dev32, BUF(0), PAGE_SIZE, DMA_TO_DEVICE);
	r = region_of(d[0]);
	free0 = nr_free(XDX_CLASS_LOW, 0);
	unmap(&dev32, d[0], PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(r && nr_free(XDX_CLASS_LOW, 0) == free0 && mag_n(0, XDX_CLASS_LOW, 0) == 1);
	check_books("kept on the CPU");

	taken = xdx_region_lock.taken;
	e = map(&dev32, BUF(1) + 5, 100, DMA_FROM_DEVICE);
	CHECK(last_path == P_REGION && region_of(e) == r && st(XDX_CPU_REUSES) == 1 &&
	      st(XDX_REUSES) == 2 && xdx_region_lock.taken == taken);
	CHECK(dev_sees(&dev32, e, cpu(BUF(1) + 5), 100));	/* pre-filled */
	unmap(&dev32, e, 100, DMA_FROM_DEVICE);
	CHECK(xdx_region_lock.taken == taken && mag_n(0, XDX_CLASS_LOW, 0) == 1);

	/* the other CPU maps from the free lists */
	xdx_sim_cpu = 1;
	e = map(&dev32, BUF(1), PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(last_path == P_REGION && region_of(e) != r && st(XDX_CPU_REUSES) == 1);
	unmap(&dev32, e, PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(mag_n(1, XDX_CLASS_LOW, 0) == 1 && mag_n(0, XDX_CLASS_LOW, 0) == 1);

	/* six unmaps into a magazine of four: two spill, the oldest last */
	xdx_sim_cpu = 0;
	for (i = 0; i < 6; i++) {
		d[i] = map(&dev32, BUF(i), PAGE_SIZE, DMA_TO_DEVICE);
		rs[i] = region_of(d[i]);
	}
	CHECK(rs[0] == r && st(XDX_CPU_REUSES) == 2 && mag_n(0, XDX_CLASS_LOW, 0) == 0);
	free0 = nr_free(XDX_CLASS_LOW, 0);
	for (i = 0; i < 6; i++) {
		unmap(&dev32, d[i], PAGE_SIZE, DMA_TO_DEVICE);
		if (i == 4)		/* full: all but 2 spilled first */
			CHECK(mag_n(0, XDX_CLASS_LOW, 0) == 3 &&
			      nr_free(XDX_CLASS_LOW, 0) == free0 + 2);
	}
	CHECK(mag_n(0, XDX_CLASS_LOW, 0) == 4 && nr_free(XDX_CLASS_LOW, 0) == free0 + 2 &&
	      free_at(XDX_CLASS_LOW, 0, 0) == rs[1] && free_at(XDX_CLASS_LOW, 0, 1) == rs[0]);
	e = map(&dev32, BUF(7), PAGE_SIZE, DMA_TO_DEVICE);	/* the last in */
	CHECK(region_of(e) == rs[5] && st(XDX_CPU_REUSES) == 3);
	unmap(&dev32, e, PAGE_SIZE, DMA_TO_DEVICE);
	check_books("magazines");

	/* the idle worker gives back what both CPUs kept, beyond the reserve */
	jiffies += 31 * HZ;
	xdx_run_work(&xdx_idle_work.work);
	CHECK(mag_n(0, XDX_CLASS_LOW, 0) == 0 && mag_n(1, XDX_CLASS_LOW, 0) == 0 &&
	      nr_free(XDX_CLASS_LOW, 0) == 2);

	/*
	 * the shrinker counts what a CPU keeps and takes it: four order-0
	 * regions on CPU 0, none on the free lists, two beyond the reserve
	 */
	for (i = 0; i < 4; i++)
		d[i] = map(&dev32, BUF(i), PAGE_SIZE, DMA_TO_DEVICE);
	for (i = 0; i < 4; i++)
		unmap(&dev32, d[i], PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(mag_n(0, XDX_CLASS_LOW, 0) == 4 && nr_free(XDX_CLASS_LOW, 0) == 0);
	jiffies += HZ;
	returned = sim.frames_returned;
	sc.nr_to_scan = 2;
	CHECK(sh->count_objects(sh, &sc) == 2 && sh->scan_objects(sh, &sc) == 2);
	CHECK(mag_n(0, XDX_CLASS_LOW, 0) == 0 && nr_free(XDX_CLASS_LOW, 0) == 2 &&
	      sim.frames_returned == returned + 2);
	check_books("shrunk");

	/*
	 * a miss in the magazine takes, with the region it maps, a batch of
	 * half cpu_cache beyond the reserve: four free, none reserved
	 */
	xdx_cpu_cache = 0;
	for (i = 0; i < 4; i++)
		d[i] = map(&dev32, BUF(i), PAGE_SIZE, DMA_TO_DEVICE);
	for (i = 0; i < 4; i++)
		unmap(&dev32, d[i], PAGE_SIZE, DMA_TO_DEVICE);
	xdx_cpu_cache = 4;
	xdx_reserve = 0;
	CHECK(nr_free(XDX_CLASS_LOW, 0) == 4 && mag_n(0, XDX_CLASS_LOW, 0) == 0);
	r = free_at(XDX_CLASS_LOW, 0, 1);	/* the first of the batch */
	d[0] = map(&dev32, BUF(0), PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(nr_free(XDX_CLASS_LOW, 0) == 1 && mag_n(0, XDX_CLASS_LOW, 0) == 2);
	taken = xdx_region_lock.taken;
	d[1] = map(&dev32, BUF(1), PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(region_of(d[1]) == r && xdx_region_lock.taken == taken &&
	      mag_n(0, XDX_CLASS_LOW, 0) == 1);
	check_books("batch");
	xdx_reserve = 2;
	unmap(&dev32, d[0], PAGE_SIZE, DMA_TO_DEVICE);
	unmap(&dev32, d[1], PAGE_SIZE, DMA_TO_DEVICE);

	/* a flush gives back everything, the CPUs' too */
	CHECK(mag_n(0, XDX_CLASS_LOW, 0) == 3);
	xdx_region_release_free();
	CHECK(mag_n(0, XDX_CLASS_LOW, 0) == 0 && !first_region() &&
	      sim.frames_returned == sim.frames_exchanged);

	/*
	 * the worker, blocked by the budget, takes what the CPUs keep too:
	 * 32 order-3 regions fill a 1 MiB low budget and wait in CPU 0's
	 * magazine; an order-4 want drains them, then merges or trims
	 */
	xdx_cpu_cache = 32;
	xdx_low_budget_mb = 1;
	xdx_reserve = 0;
	for (i = 0; i < 32; i++)
		rmap[i] = map(&dev32, BUF(i), 8 * PAGE_SIZE, DMA_TO_DEVICE);
	for (i = 0; i < 32; i++)
		unmap(&dev32, rmap[i], 8 * PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(mag_n(0, XDX_CLASS_LOW, 3) == 32 && nr_free(XDX_CLASS_LOW, 3) == 0 &&
	      xdx_held_low_bytes == SZ_1M);
	jiffies += HZ;
	refill_want(XDX_CLASS_LOW, 4, 1);
	CHECK(nr_free(XDX_CLASS_LOW, 4) == 1 && mag_n(0, XDX_CLASS_LOW, 3) == 0 &&
	      xdx_held_low_bytes <= SZ_1M);
	check_books("budget drained the magazines");
	xdx_region_release_free();
	xdx_low_budget_mb = 32;
	xdx_reserve = 2;

	/*
	 * lowered to 0: the magazines go to the free lists at once, regions
	 * unused longer than the list's tail behind it, the oldest last
	 * (CPU 1's two, drained after CPU 0's newer one)
	 */
	e = map(&dev32, BUF(2), PAGE_SIZE, DMA_TO_DEVICE);
	rs[0] = region_of(e);
	xdx_sim_cpu = 1;
	d[0] = map(&dev32, BUF(1), PAGE_SIZE, DMA_TO_DEVICE);
	d[1] = map(&dev32, BUF(3), PAGE_SIZE, DMA_TO_DEVICE);
	r = region_of(d[0]);
	rs[1] = region_of(d[1]);
	unmap(&dev32, d[0], PAGE_SIZE, DMA_TO_DEVICE);
	jiffies += HZ;
	unmap(&dev32, d[1], PAGE_SIZE, DMA_TO_DEVICE);
	jiffies += 2 * HZ;
	xdx_sim_cpu = 0;
	unmap(&dev32, e, PAGE_SIZE, DMA_TO_DEVICE);
	free0 = nr_free(XDX_CLASS_LOW, 0);
	CHECK(mag_n(0, XDX_CLASS_LOW, 0) == 1 && mag_n(1, XDX_CLASS_LOW, 0) == 2 &&
	      __param_cpu_cache.ops->set("0", &__param_cpu_cache) == 0 &&
	      mag_n(0, XDX_CLASS_LOW, 0) == 0 && mag_n(1, XDX_CLASS_LOW, 0) == 0 &&
	      nr_free(XDX_CLASS_LOW, 0) == free0 + 3 && free_at(XDX_CLASS_LOW, 0, 0) == rs[0] &&
	      free_at(XDX_CLASS_LOW, 0, free0 + 1) == rs[1] &&
	      free_at(XDX_CLASS_LOW, 0, free0 + 2) == r);
	e = map(&dev32, BUF(1), PAGE_SIZE, DMA_TO_DEVICE);
	unmap(&dev32, e, PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(mag_n(0, XDX_CLASS_LOW, 0) == 0 && nr_free(XDX_CLASS_LOW, 0) >= 1);
	teardown();
}

/* The region at @pos (0: the lowest, the oldest) of a CPU's magazine. */
static struct xdx_region *mag_at(int cpu, enum xdx_class cls, unsigned int order,
				 unsigned int pos)
{
	return per_cpu_ptr(xdx_mags, cpu)->r[cls][order][pos];
}

/*
 * A miss that finds no free region takes the older half of another CPU's
 * magazine of its size before it exchanges, and asks the worker for
 * nothing: the newest of that half maps, the rest wait in this CPU's
 * magazine, the oldest lowest, for its next mappings.  A free region on
 * the free lists comes first; with cpu_cache 0 the miss exchanges.  A
 * flush locks only the magazine stacks that hold regions.
 */
static void test_miss_takes_other_cpus_magazine(void)
{
	struct xdx_region *rs[6];
	unsigned long creates, taken;
	dma_addr_t d[6], e[4];
	unsigned int i;

	setup(0);
	xdx_cpu_cache = 8;
	xdx_sim_cpu = 1;
	for (i = 0; i < 6; i++) {
		d[i] = map(&dev32, BUF(i), PAGE_SIZE, DMA_TO_DEVICE);
		rs[i] = region_of(d[i]);
	}
	for (i = 0; i < 6; i++) {
		unmap(&dev32, d[i], PAGE_SIZE, DMA_TO_DEVICE);
		jiffies += HZ;
	}
	CHECK(mag_n(1, XDX_CLASS_LOW, 0) == 6 && nr_free(XDX_CLASS_LOW, 0) == 0);
	memset(xdx_want, 0, sizeof(xdx_want));

	xdx_sim_cpu = 0;
	creates = sim.creates;
	e[0] = map(&dev32, BUF(8) + 3, 200, DMA_FROM_DEVICE);
	CHECK(last_path == P_REGION && region_of(e[0]) == rs[2] &&
	      sim.creates == creates && st(XDX_OTHER_CPU_REUSES) == 1 &&
	      st(XDX_REUSES) == 1 && !xdx_want[XDX_CLASS_LOW][0] &&
	      mag_n(1, XDX_CLASS_LOW, 0) == 3 && mag_at(1, XDX_CLASS_LOW, 0, 0) == rs[3] &&
	      mag_n(0, XDX_CLASS_LOW, 0) == 2 && mag_at(0, XDX_CLASS_LOW, 0, 0) == rs[0] &&
	      mag_at(0, XDX_CLASS_LOW, 0, 1) == rs[1]);
	CHECK(dev_sees(&dev32, e[0], cpu(BUF(8) + 3), 200));	/* pre-filled */
	/* the next two from this CPU's magazine, without the global lock */
	taken = xdx_region_lock.taken;
	e[1] = map(&dev32, BUF(9), PAGE_SIZE, DMA_TO_DEVICE);
	e[2] = map(&dev32, BUF(10), PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(region_of(e[1]) == rs[1] && region_of(e[2]) == rs[0] &&
	      xdx_region_lock.taken == taken && st(XDX_CPU_REUSES) == 2 &&
	      st(XDX_OTHER_CPU_REUSES) == 1 && mag_n(0, XDX_CLASS_LOW, 0) == 0);
	/* then the older half of what is left there */
	e[3] = map(&dev32, BUF(11), PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(region_of(e[3]) == rs[4] && st(XDX_OTHER_CPU_REUSES) == 2 &&
	      sim.creates == creates && mag_n(1, XDX_CLASS_LOW, 0) == 1 &&
	      mag_at(1, XDX_CLASS_LOW, 0, 0) == rs[5] &&
	      mag_n(0, XDX_CLASS_LOW, 0) == 1 && mag_at(0, XDX_CLASS_LOW, 0, 0) == rs[3]);
	unmap(&dev32, e[0], 200, DMA_FROM_DEVICE);
	CHECK(!memcmp(cpu(BUF(8) + 3), sim_machine_byte(e[0]), 200));
	for (i = 1; i < 4; i++)
		unmap(&dev32, e[i], PAGE_SIZE, DMA_TO_DEVICE);
	check_books("taken from another CPU");

	/* a flush locks each CPU once: one stack of each holds regions */
	CHECK(mag_n(0, XDX_CLASS_LOW, 0) && mag_n(1, XDX_CLASS_LOW, 0));
	taken = per_cpu_ptr(xdx_mags, 0)->lock.taken + per_cpu_ptr(xdx_mags, 1)->lock.taken;
	xdx_region_release_free();
	CHECK(per_cpu_ptr(xdx_mags, 0)->lock.taken + per_cpu_ptr(xdx_mags, 1)->lock.taken ==
	      taken + 2 && !mag_n(0, XDX_CLASS_LOW, 0) && !mag_n(1, XDX_CLASS_LOW, 0));
	/* a free region on the free lists first */
	xdx_sim_cpu = 1;
	d[0] = map(&dev32, BUF(0), PAGE_SIZE, DMA_TO_DEVICE);
	d[1] = map(&dev32, BUF(1), PAGE_SIZE, DMA_TO_DEVICE);
	unmap(&dev32, d[0], PAGE_SIZE, DMA_TO_DEVICE);
	xdx_cpu_cache = 0;
	unmap(&dev32, d[1], PAGE_SIZE, DMA_TO_DEVICE);
	xdx_cpu_cache = 8;
	CHECK(mag_n(1, XDX_CLASS_LOW, 0) == 1 && nr_free(XDX_CLASS_LOW, 0) == 1);
	xdx_sim_cpu = 0;
	e[0] = map(&dev32, BUF(8), PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(region_of(e[0]) == region_of(d[1]) && st(XDX_OTHER_CPU_REUSES) == 2 &&
	      mag_n(1, XDX_CLASS_LOW, 0) == 1);
	/* cpu_cache 0: the magazines are not looked at */
	xdx_cpu_cache = 0;
	creates = sim.creates;
	e[1] = map(&dev32, BUF(9), PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(last_path == P_REGION && sim.creates == creates + 1 &&
	      st(XDX_OTHER_CPU_REUSES) == 2 && mag_n(1, XDX_CLASS_LOW, 0) == 1);
	unmap(&dev32, e[0], PAGE_SIZE, DMA_TO_DEVICE);
	unmap(&dev32, e[1], PAGE_SIZE, DMA_TO_DEVICE);
	check_books("not taken");
	teardown();
}

/*
 * An order-3 region exchanged by the worker, then split by it twice (a
 * second apart, so idle): into 2 and 2, and the upper 2 into 0, 0 and 1.
 */
static void worker_splits_twice(void)
{
	refill_want(XDX_CLASS_LOW, 3, 1);
	jiffies += HZ;
	refill_want(XDX_CLASS_LOW, 2, 2);
	jiffies += HZ;
	refill_want(XDX_CLASS_LOW, 0, 2);
}

static void test_give_back_joins_halves(void)
{
	unsigned long returned, lo;
	dma_addr_t d, d2;

	setup(0);
	d = map(&dev32, BUF(0), 8 * PAGE_SIZE, DMA_TO_DEVICE);
	unmap(&dev32, d, 8 * PAGE_SIZE, DMA_TO_DEVICE);
	jiffies += HZ;
	d = map(&dev32, BUF(1), PAGE_SIZE, DMA_TO_DEVICE);	/* split: 0, 0, 1, 2 */
	CHECK(last_path == P_REGION && st(XDX_SPLITS) == 1);
	returned = sim.frames_returned;
	xdx_region_release_free();		/* the first part still mapped */
	CHECK(sim.destroys == 3 && sim.destroyed[0] == 1 && sim.destroyed[1] == 1 &&
	      sim.destroyed[2] == 1 && sim.frames_returned == returned + 7 &&
	      st(XDX_RELEASES) == 3);
	unmap(&dev32, d, PAGE_SIZE, DMA_TO_DEVICE);
	xdx_region_release_free();
	CHECK(sim.destroys == 4 && sim.destroyed[0] == 2);

	/* all parts free: one order-3 extent */
	d = map(&dev32, BUF(0), 8 * PAGE_SIZE, DMA_TO_DEVICE);
	unmap(&dev32, d, 8 * PAGE_SIZE, DMA_TO_DEVICE);
	jiffies += HZ;
	d = map(&dev32, BUF(1), PAGE_SIZE, DMA_TO_DEVICE);
	unmap(&dev32, d, PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(st(XDX_SPLITS) == 2 && nr_free(XDX_CLASS_LOW, 0) == 2);
	xdx_region_release_free();
	CHECK(sim.destroys == 5 && sim.destroyed[3] == 1 && st(XDX_RELEASES) == 8 &&
	      sim.frames_returned == sim.frames_exchanged && !sim_pages_allocated());
	teardown();

	/*
	 * split twice by the worker: 3 into 2 and 2, the upper 2 into 0, 0
	 * and 1; given back together, the stack grows 2, 0 then joins all:
	 * one order-3 extent
	 */
	setup(0);
	worker_splits_twice();
	CHECK(st(XDX_SPLITS) == 2 && sim.creates == 1 && nr_free(XDX_CLASS_LOW, 2) == 1 &&
	      nr_free(XDX_CLASS_LOW, 1) == 1 && nr_free(XDX_CLASS_LOW, 0) == 2);
	xdx_region_release_free();
	CHECK(sim.destroys == 1 && sim.destroyed[3] == 1 && st(XDX_RELEASES) == 4);
	teardown();

	/*
	 * what cannot grow any more goes back at once: the same two splits,
	 * their lower 0 mapped, the upper 0 too, the lower unmapped again.
	 * The stack holds 2 and the 0 after it; the 1 after the mapped 0
	 * joins neither, so both go back before it.
	 */
	setup(0);
	worker_splits_twice();
	lo = free_at(XDX_CLASS_LOW, 2, 0)->pfn;
	d = map(&dev32, BUF(0), PAGE_SIZE, DMA_TO_DEVICE);
	d2 = map(&dev32, BUF(1), PAGE_SIZE, DMA_TO_DEVICE);
	unmap(&dev32, d, PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(nr_free(XDX_CLASS_LOW, 0) == 1 && nr_free(XDX_CLASS_LOW, 1) == 1 &&
	      free_at(XDX_CLASS_LOW, 0, 0)->pfn == lo + 4 &&
	      free_at(XDX_CLASS_LOW, 1, 0)->pfn == lo + 6);
	xdx_region_release_free();
	CHECK(sim.destroys == 3 && sim.destroyed_pfn[0] == lo + 4 &&
	      sim.destroyed_pfn[1] == lo && sim.destroyed_pfn[2] == lo + 6);
	unmap(&dev32, d2, PAGE_SIZE, DMA_TO_DEVICE);
	teardown();

	/* two order-8 halves exchanged apart go back as one order-9 extent */
	setup(0);
	refill_want(XDX_CLASS_LOW, 8, 2);
	CHECK(free_buddies(XDX_CLASS_LOW, 8));
	xdx_region_release_free();
	CHECK(sim.destroys == 1 && sim.destroyed[9] == 1 &&
	      sim.frames_returned == sim.frames_exchanged);
	teardown();
}

/*
 * A second later, a miss of @pages pages that only a merge could serve
 * without a hypercall: it must be exchanged in the call.
 */
static void miss_exchanged_not_merged(unsigned long pages)
{
	dma_addr_t d;

	jiffies += HZ;
	d = map(&dev32, BUF(1), pages * PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(last_path == P_REGION && st(XDX_MERGES) == 0 &&
	      st(XDX_MAP_EXCHANGES) == 1);
	unmap(&dev32, d, pages * PAGE_SIZE, DMA_TO_DEVICE);
}

/*
 * Only true buddies merge, and only into what can be given back: not with
 * a region of another order or class where the buddy would be, not
 * without a spare struct, not in the worker from the order below's
 * reserve, and never above XDX_MERGE_MAX_ORDER (mmu_pv gives back a larger
 * extent only after an exchange of its size).  Regions exchanged apart
 * merge when they are buddies (the simulated Xen places them so).
 */
static void test_merge_only_true_buddies(void)
{
	struct xdx_region *a, *b;
	LIST_HEAD(held);
	unsigned int n;
	unsigned long m;
	dma_addr_t d;

	/* two order-2 buddies exchanged apart: merged by the worker, and used */
	setup(0);
	refill_want(XDX_CLASS_LOW, 2, 2);
	CHECK(free_buddies(XDX_CLASS_LOW, 2));
	jiffies += HZ;
	refill_want(XDX_CLASS_LOW, 3, 1);
	CHECK(st(XDX_MERGES) == 1 && nr_free(XDX_CLASS_LOW, 3) == 1 &&
	      nr_free(XDX_CLASS_LOW, 2) == 0 && sim.creates == 2);
	d = map(&dev32, BUF(3), 8 * PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(last_path == P_REGION && dev_sees(&dev32, d, cpu(BUF(3)), 8 * PAGE_SIZE));
	unmap(&dev32, d, 8 * PAGE_SIZE, DMA_TO_DEVICE);
	xdx_region_release_free();
	CHECK(sim.frames_returned == sim.frames_exchanged && !sim_pages_allocated());
	teardown();

	/* two order-9 buddies: an order-10 want is exchanged, not merged */
	setup(0);
	refill_want(XDX_CLASS_LOW, 9, 2);
	CHECK(free_buddies(XDX_CLASS_LOW, 9) && sim.contig_order == 9);
	jiffies += HZ;
	refill_want(XDX_CLASS_LOW, 10, 1);
	CHECK(st(XDX_MERGES) == 0 && nr_free(XDX_CLASS_LOW, 10) == 1 &&
	      nr_free(XDX_CLASS_LOW, 9) == 2);
	xdx_region_release_free();	/* nor given back as one */
	CHECK(sim.destroyed[9] == 2 && sim.destroyed[10] == 1 &&
	      sim.frames_returned == sim.frames_exchanged && !sim_pages_allocated());
	teardown();

	/* the upper buddy older on the list: the whole starts at the lower */
	setup(0);
	refill_want(XDX_CLASS_LOW, 0, 2);
	CHECK(free_buddies(XDX_CLASS_LOW, 0));
	a = free_at(XDX_CLASS_LOW, 0, 0);
	b = free_at(XDX_CLASS_LOW, 0, 1);
	if (a->pfn > b->pfn)
		a = b;
	m = a->pfn;
	list_move(&a->list, &xdx_free[XDX_CLASS_LOW][0]);	/* lower at the head */
	jiffies += HZ;
	d = map(&dev32, BUF(1), 2 * PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(last_path == P_REGION && st(XDX_MERGES) == 1 && region_of(d)->pfn == m &&
	      dev_sees(&dev32, d, cpu(BUF(1)), 2 * PAGE_SIZE));
	check_books("upper older");
	unmap(&dev32, d, 2 * PAGE_SIZE, DMA_TO_DEVICE);
	teardown();

	/* adjacent frames, but not the two halves of one machine extent */
	setup(0);
	refill_want(XDX_CLASS_LOW, 0, 1);
	a = free_at(XDX_CLASS_LOW, 0, 0);
	CHECK(!(a->maddr & PAGE_SIZE) && sim.m2p[PHYS_PFN(a->maddr) + 1] == SIM_FREE);
	sim.m2p[PHYS_PFN(a->maddr) + 1] = SIM_OTHER;	/* Xen gives it to another */
	refill_want(XDX_CLASS_LOW, 0, 2);
	b = free_at(XDX_CLASS_LOW, 0, 0);
	CHECK(b->pfn == a->pfn + 1 && b->maddr == a->maddr + 2 * PAGE_SIZE);
	miss_exchanged_not_merged(2);
	teardown();

	/* an order-0 region where an order-1 region's buddy would be */
	setup(0);
	refill_want(XDX_CLASS_LOW, 1, 1);
	refill_want(XDX_CLASS_LOW, 0, 1);
	a = free_at(XDX_CLASS_LOW, 1, 0);
	b = free_at(XDX_CLASS_LOW, 0, 0);
	CHECK(b->pfn == a->pfn + 2 && b->maddr == (a->maddr ^ 2 * PAGE_SIZE));
	refill_want(XDX_CLASS_LOW, 1, 2);	/* another, no buddy */
	miss_exchanged_not_merged(4);
	teardown();

	/* buddies, but no spare struct: the miss is exchanged */
	setup(0);
	refill_want(XDX_CLASS_LOW, 0, 2);
	CHECK(free_buddies(XDX_CLASS_LOW, 0));
	n = xdx_nr_spares;
	list_splice_init(&xdx_spares, &held);
	xdx_nr_spares = 0;
	miss_exchanged_not_merged(2);
	list_splice(&held, &xdx_spares);
	xdx_nr_spares = n;
	teardown();

	/* a class-any region Xen placed below 4 GiB beside a low one */
	setup(0);
	refill_want(XDX_CLASS_LOW, 0, 1);
	for (m = SIM_4G; m < SIM_MFNS; m++)	/* no high frame free */
		if (sim.m2p[m] == SIM_FREE)
			sim.m2p[m] = SIM_OTHER - 1;
	refill_want(XDX_CLASS_ANY, 0, 1);
	for (m = SIM_4G; m < SIM_MFNS; m++)
		if (sim.m2p[m] == SIM_OTHER - 1)
			sim.m2p[m] = SIM_FREE;
	a = free_at(XDX_CLASS_LOW, 0, 0);
	b = free_at(XDX_CLASS_ANY, 0, 0);
	CHECK(b->pfn == a->pfn + 1 && b->maddr == a->maddr + PAGE_SIZE &&
	      !(a->maddr & PAGE_SIZE));
	refill_want(XDX_CLASS_LOW, 0, 2);	/* another low one, no buddy */
	miss_exchanged_not_merged(2);
	teardown();

	/* the worker keeps the reserve of the order below */
	setup(2);
	CHECK(free_buddies(XDX_CLASS_LOW, 0));
	jiffies += HZ;
	refill_want(XDX_CLASS_LOW, 1, 1);
	CHECK(st(XDX_MERGES) == 0 && nr_free(XDX_CLASS_LOW, 0) == 2 &&
	      nr_free(XDX_CLASS_LOW, 1) == 3);
	teardown();
}

/*
 * A miss small enough to exchange in the mapping call first borrows a
 * free region up to two orders larger, but only one beyond that order's
 * reserve: no hypercall in the call, and the worker is asked for the
 * miss's own size.  With no such region it is exchanged in the call.
 */
static void test_small_miss_borrows_beyond_reserve(void)
{
	const size_t size = 2 * PAGE_SIZE;	/* order 1 <= atomic_order 3 */
	dma_addr_t d[3], extra;
	u64 ex;
	int i;

	setup(1);
	/* the reserve: one free region of every order; one more of order 2 */
	extra = map(&dev32, BUF(0), 4 * PAGE_SIZE, DMA_TO_DEVICE);
	d[0] = map(&dev32, BUF(8), 4 * PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(st(XDX_MAP_EXCHANGES) == 1 && nr_free(XDX_CLASS_LOW, 2) == 0);
	unmap(&dev32, extra, 4 * PAGE_SIZE, DMA_TO_DEVICE);
	unmap(&dev32, d[0], 4 * PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(nr_free(XDX_CLASS_LOW, 1) == 1 && nr_free(XDX_CLASS_LOW, 2) == 2);
	ex = st(XDX_EXCHANGES);
	xdx_refill_work.pending = false;
	for (i = 0; i < 3; i++) {
		d[i] = map(&dev32, BUF(16 + 4 * i) + 100, size - 200, DMA_BIDIRECTIONAL);
		CHECK(last_path == P_REGION &&
		      dev_sees(&dev32, d[i], cpu(BUF(16 + 4 * i) + 100), size - 200));
	}
	/* its own, then the order-2 region beyond the reserve, then exchanged */
	CHECK(nr_free(XDX_CLASS_LOW, 1) == 0 && nr_free(XDX_CLASS_LOW, 2) == 1 &&
	      nr_free(XDX_CLASS_LOW, 3) == 1);
	CHECK(st(XDX_EXCHANGES) == ex + 1 && st(XDX_MAP_EXCHANGES) == 2);
	CHECK(xdx_refill_work.pending && xdx_want[XDX_CLASS_LOW][1] == 2);
	for (i = 0; i < 3; i++)
		unmap(&dev32, d[i], size - 200, DMA_BIDIRECTIONAL);
	CHECK(nr_free(XDX_CLASS_LOW, 1) == 2 && nr_free(XDX_CLASS_LOW, 2) == 2);
	check_books("small borrow");
	teardown();
}

/*
 * A size that runs short grows geometrically: once the worker has run,
 * a miss asks it for a quarter of the regions of that size in use, not
 * one more per miss, up to 4 MiB of one size a round.
 */
static void test_short_size_grows_geometrically(void)
{
	dma_addr_t d[48];
	int i;

	setup(0);
	for (i = 0; i < 16; i++)
		d[i] = map(&dev32, BUF(i), PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(st(XDX_MAP_EXCHANGES) == 16 && xdx_want[XDX_CLASS_LOW][0] == 16);
	xdx_run_work(&xdx_refill_work);
	CHECK(nr_free(XDX_CLASS_LOW, 0) == 16 && xdx_want[XDX_CLASS_LOW][0] == 0);
	for (; i < 48; i++) {
		d[i] = map(&dev32, BUF(i), PAGE_SIZE, DMA_TO_DEVICE);
		CHECK(last_path == P_REGION && dev_sees(&dev32, d[i], cpu(BUF(i)), PAGE_SIZE));
	}
	/*
	 * 16 taken from the free list, then 16 misses: the first, with 32
	 * in use, asks for a quarter of them, each later one for one more
	 */
	CHECK(st(XDX_MAP_EXCHANGES) == 16 + 16);
	CHECK(xdx_want[XDX_CLASS_LOW][0] == 32 / 4 + 15);
	xdx_run_work(&xdx_refill_work);
	CHECK(nr_free(XDX_CLASS_LOW, 0) == 32 / 4 + 15);
	for (i = 0; i < 48; i++)
		unmap(&dev32, d[i], PAGE_SIZE, DMA_TO_DEVICE);
	check_books("grow");
	teardown();
}

/*
 * A mapping above the fixed pool's maximum (256 KiB) never goes to the
 * pool: a region or DMA_MAPPING_ERROR.  max_mapping_size is half the
 * largest region the boot reserve built for a 32-bit device, at most what
 * a mapping call may exchange (1 MiB); the pool's for a 64-bit device,
 * under swiotlb_force, or without a reserve.  A promised size borrows a
 * larger free region, then is exchanged in the mapping call whatever
 * atomic_order says; switched off at run time, the backend still serves
 * it, and leaves larger ones to the pool, as upstream does.
 */
static void test_large_mapping_never_to_pool(void)
{
	const size_t mib = 256 * PAGE_SIZE;
	dma_addr_t d[5];
	unsigned long creates;
	int i;

	setup(0);		/* no reserve: nothing promised */
	CHECK(xen_dma_exchange_max_mapping_size(&dev32) == 256 * 1024);
	pool_tries = 0;
	d[0] = map(&dev32, BUF(6), mib, DMA_TO_DEVICE);
	CHECK(last_path == P_ERROR && d[0] == DMA_MAPPING_ERROR);
	CHECK(st(XDX_FAIL_LARGE) == 1 && pool_tries == 0 && sim.creates == 0);
	teardown();

	setup(1);
	CHECK(xen_dma_exchange_max_mapping_size(&dev32) == mib);
	CHECK(xen_dma_exchange_max_mapping_size(&dev64) == 256 * 1024);
	dev32.force_bounce = true;
	CHECK(xen_dma_exchange_max_mapping_size(&dev32) == 256 * 1024);
	dev32.force_bounce = false;
	/* order 8, then borrowed 9 and 10, then exchanged in the call */
	creates = sim.creates;
	for (i = 0; i < 4; i++) {
		d[i] = map(&dev32, BUF(4 + 5 * i), mib, DMA_BIDIRECTIONAL);
		CHECK(last_path == P_REGION && dev_sees(&dev32, d[i], cpu(BUF(4 + 5 * i)), mib));
	}
	CHECK(nr_free(XDX_CLASS_LOW, 8) == 0 && nr_free(XDX_CLASS_LOW, 9) == 0 &&
	      nr_free(XDX_CLASS_LOW, 10) == 0 && sim.creates == creates + 1 &&
	      sim.atomic_grows == 0);
	sim.fail_create = 1;
	d[4] = map(&dev32, BUF(40), mib, DMA_TO_DEVICE);
	CHECK(last_path == P_ERROR && st(XDX_FAIL_LARGE) == 1 &&
	      st(XDX_FAIL_HYPERVISOR) == 1 && pool_tries == 0);
	for (i = 0; i < 4; i++)
		unmap(&dev32, d[i], mib, DMA_BIDIRECTIONAL);
	xdx_enable = false;
	d[0] = map(&dev32, BUF(6), mib, DMA_FROM_DEVICE);
	CHECK(last_path == P_REGION && pool_tries == 0);
	unmap(&dev32, d[0], mib, DMA_FROM_DEVICE);
	/* as upstream's: the pool refuses it */
	d[0] = map(&dev32, BUF(6), 2 * mib, DMA_TO_DEVICE);
	CHECK(last_path == P_ERROR && st(XDX_SKIP_DISABLED) == 1 &&
	      st(XDX_FAIL_LARGE) == 1 && pool_tries == 1);
	d[0] = map(&dev32, BUF(6), PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(last_path == P_POOL && pool_tries == 2);
	unmap(&dev32, d[0], PAGE_SIZE, DMA_TO_DEVICE);
	teardown();
}

static void test_budget_full_worker_trims_other_sizes(void)
{
	dma_addr_t dma[33], d2;
	unsigned long low_free, rel;
	unsigned int i;

	setup(0);
	xdx_low_budget_mb = 1;			/* 256 pages below 4 GiB */
	for (i = 0; i < 32; i++) {
		dma[i] = map(&dev32, BUF(i), 8 * PAGE_SIZE, DMA_TO_DEVICE);
		CHECK(last_path == P_REGION);
	}
	CHECK(xdx_held_low_bytes == 1UL << 20);
	dma[32] = map(&dev32, BUF(32), 8 * PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(last_path == P_POOL && st(XDX_SKIP_BUDGET) == 1);
	CHECK(dev_sees(&dev32, dma[32], cpu(BUF(32)), 8 * PAGE_SIZE));
	unmap(&dev32, dma[32], 8 * PAGE_SIZE, DMA_TO_DEVICE);
	/* all mapped: the worker cannot make room */
	d2 = map(&dev32, BUF(40), 16 * PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(last_path == P_POOL && st(XDX_SKIP_ATOMIC) == 1 && xdx_refill_work.pending);
	unmap(&dev32, d2, 16 * PAGE_SIZE, DMA_TO_DEVICE);
	xdx_run_work(&xdx_refill_work);
	CHECK(st(XDX_RELEASES) == 0 && nr_free(XDX_CLASS_LOW, 4) == 0 &&
	      st(XDX_SKIP_BUDGET) == 3);	/* the worker: orders 3 and 4 */
	for (i = 0; i < 32; i++)
		unmap(&dev32, dma[i], 8 * PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(nr_free(XDX_CLASS_LOW, 3) == 32 && xdx_held_low_bytes == 1UL << 20);
	/*
	 * budget full of idle order-3 regions: an order-4 mapping misses (too
	 * large to exchange in the call, nothing larger to borrow or split,
	 * no buddies unused for a second to merge) and goes to the pool; the
	 * worker neither merges nor gives back regions so recently used
	 */
	d2 = map(&dev32, BUF(40), 16 * PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(last_path == P_POOL && xdx_refill_work.pending);
	unmap(&dev32, d2, 16 * PAGE_SIZE, DMA_TO_DEVICE);
	low_free = sim_free_low_frames();
	rel = st(XDX_RELEASES);
	CHECK(xdx_run_work(&xdx_refill_work));
	CHECK(st(XDX_RELEASES) == rel && nr_free(XDX_CLASS_LOW, 4) == 0 &&
	      st(XDX_MERGES) == 0);
	d2 = map(&dev32, BUF(40), 16 * PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(last_path == P_POOL && xdx_refill_work.pending);
	unmap(&dev32, d2, 16 * PAGE_SIZE, DMA_TO_DEVICE);
	/* a second later the worker merges two order-3 buddies: no hypercall */
	jiffies += HZ;
	CHECK(xdx_run_work(&xdx_refill_work));
	CHECK(st(XDX_RELEASES) == rel && st(XDX_MERGES) == 1 &&
	      nr_free(XDX_CLASS_LOW, 3) == 30 && nr_free(XDX_CLASS_LOW, 4) == 1);
	CHECK(sim_free_low_frames() == low_free && xdx_held_low_bytes == 1UL << 20);
	d2 = map(&dev32, BUF(40), 16 * PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(last_path == P_REGION && dev_sees(&dev32, d2, cpu(BUF(40)), 16 * PAGE_SIZE));
	unmap(&dev32, d2, 16 * PAGE_SIZE, DMA_TO_DEVICE);
	/*
	 * an order-5 mapping: too few order-4 regions to merge; the worker
	 * gives back idle regions of another size to build it
	 */
	d2 = map(&dev32, BUF(40), 32 * PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(last_path == P_POOL && xdx_refill_work.pending);
	unmap(&dev32, d2, 32 * PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(xdx_run_work(&xdx_refill_work));
	CHECK(st(XDX_RELEASES) == rel + 4 && nr_free(XDX_CLASS_LOW, 3) == 26);
	CHECK(nr_free(XDX_CLASS_LOW, 4) == 1 && nr_free(XDX_CLASS_LOW, 5) == 1 &&
	      st(XDX_SPLITS) == 0 && st(XDX_MERGES) == 1);
	CHECK(sim_free_low_frames() == low_free + 32 - 32);
	CHECK(xdx_held_low_bytes == 1UL << 20);
	d2 = map(&dev32, BUF(40), 32 * PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(last_path == P_REGION);
	unmap(&dev32, d2, 32 * PAGE_SIZE, DMA_TO_DEVICE);
	/* the total budget holds for 64-bit devices too, to the byte */
	xdx_region_release_free();
	xdx_max_mb = 1;
	for (i = 0; i < 31; i++) {
		dma[i] = map(&dev64, BUF(i), 8 * PAGE_SIZE, DMA_TO_DEVICE);
		CHECK(last_path == P_REGION);
	}
	dma[31] = map(&dev64, BUF(31), 4 * PAGE_SIZE, DMA_TO_DEVICE);
	dma[32] = map(&dev64, BUF(32), 4 * PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(last_path == P_REGION && xdx_held_bytes == 1UL << 20);	/* exactly full */
	d2 = map(&dev64, BUF(41), 2 * PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(last_path == P_POOL && xdx_held_bytes == 1UL << 20);
	unmap(&dev64, d2, 2 * PAGE_SIZE, DMA_TO_DEVICE);
	for (i = 0; i < 31; i++)
		unmap(&dev64, dma[i], 8 * PAGE_SIZE, DMA_TO_DEVICE);
	unmap(&dev64, dma[31], 4 * PAGE_SIZE, DMA_TO_DEVICE);
	unmap(&dev64, dma[32], 4 * PAGE_SIZE, DMA_TO_DEVICE);
	check_books("budget");
	teardown();
}

static void test_release_and_shrinker_give_frames_back(void)
{
	struct shrink_control sc = { .nr_to_scan = 3 };
	struct shrinker *s;
	unsigned long low_free, held;
	dma_addr_t dma[4], keep;
	unsigned long pages;
	unsigned int o, want[4];

	setup(0);
	s = xdx_shrinker_registered;
	CHECK(s->count_objects(s, &sc) == SHRINK_EMPTY);
	low_free = sim_free_low_frames();
	keep = map(&dev32, BUF(10), 2 * PAGE_SIZE, DMA_BIDIRECTIONAL);
	for (o = 0; o < 4; o++)
		dma[o] = map(&dev32, BUF(o), PAGE_SIZE << o, DMA_TO_DEVICE);
	for (o = 0; o < 4; o++)
		unmap(&dev32, dma[o], PAGE_SIZE << o, DMA_TO_DEVICE);
	CHECK(sim_free_low_frames() == low_free - 2 - 15);
	held = xdx_held_bytes;
	CHECK(held == 17 * PAGE_SIZE);
	/*
	 * the shrinker: free pages beyond the reserve, largest first, but
	 * only those unused for a second
	 */
	CHECK(s->count_objects(s, &sc) == 15);
	CHECK(s->scan_objects(s, &sc) == SHRINK_STOP);
	CHECK(xdx_held_bytes == held);
	jiffies += HZ;
	CHECK(s->scan_objects(s, &sc) == 8);
	CHECK(xdx_held_bytes == held - 8 * PAGE_SIZE);
	CHECK(sim_free_low_frames() == low_free - 2 - 7);
	CHECK(s->count_objects(s, &sc) == 7);
	/* flush (debugfs): every free region, mapped ones stay */
	CHECK(xdx_flush_write(NULL, "1", 1, NULL) == 1);
	CHECK(xdx_held_bytes == 2 * PAGE_SIZE && sim_free_low_frames() == low_free - 2);
	CHECK(st(XDX_RELEASES) == 4 && xdx_refill_work.pending);
	CHECK(s->count_objects(s, &sc) == SHRINK_EMPTY);
	CHECK(s->scan_objects(s, &sc) == SHRINK_STOP);
	CHECK(dev_sees(&dev32, keep, cpu(BUF(10)), 2 * PAGE_SIZE));
	unmap(&dev32, keep, 2 * PAGE_SIZE, DMA_BIDIRECTIONAL);
	/*
	 * The reserve is kept by the shrinker, not by a flush.  The worker
	 * builds the reserve plus what misses asked for since its last run:
	 * these misses (orders 0-3, at most atomic_order) were served by an
	 * exchange in the mapping path and asked for more all the same.  The
	 * shrinker gives those back once idle, and keeps the reserve.
	 */
	xdx_reserve = 1;
	for (o = 0, pages = 0; o < 4; o++) {
		want[o] = xdx_want[XDX_CLASS_LOW][o];
		CHECK(want[o] >= 1);
		pages += want[o] << o;
	}
	xdx_run_work(&xdx_refill_work);
	for (o = 0; o < 4; o++)
		CHECK(nr_free(XDX_CLASS_LOW, o) == 1 + want[o]);
	CHECK(nr_free(XDX_CLASS_LOW, 4) == 1 && nr_free(XDX_CLASS_LOW, 10) == 1);
	CHECK(s->count_objects(s, &sc) == pages);
	sc.nr_to_scan = 1000;
	CHECK(s->scan_objects(s, &sc) == SHRINK_STOP);
	jiffies += HZ;
	CHECK(s->scan_objects(s, &sc) == pages);
	CHECK(s->count_objects(s, &sc) == SHRINK_EMPTY);
	for (o = 0; o <= XDX_MAX_ORDER; o++)
		CHECK(nr_free(XDX_CLASS_LOW, o) == 1);
	check_books("shrinker");
	teardown();
}

/*
 * Map 8 pages, unmap them, let a grace period and XDX_SHRINK_IDLE pass,
 * then map 1, 1, 2 and 4 pages into @d: the parts of one split of that
 * region, at pages 0, 1, 2 and 4 of it.
 */
static void map_split_parts(dma_addr_t d[4])
{
	int i;

	d[0] = map(&dev32, BUF(0), 8 * PAGE_SIZE, DMA_TO_DEVICE);
	unmap(&dev32, d[0], 8 * PAGE_SIZE, DMA_TO_DEVICE);
	synchronize_rcu();
	jiffies += HZ;
	for (i = 0; i < 4; i++)
		d[i] = map(&dev32, BUF(i), PAGE_SIZE << (i ? i - 1 : 0),
			   DMA_TO_DEVICE);
}

/*
 * Whether a flush gives back @pages pages, waiting for one grace period
 * (counted in give_back_waits) if @waits, for none otherwise.
 */
static bool flush_gives_back(unsigned long pages, bool waits)
{
	unsigned long gps = xdx_sim_gp_seq;
	u64 counted = st(XDX_GIVE_BACK_WAITS);

	return xdx_region_release_free() == pages && xdx_sim_gp_seq == gps + waits &&
	       st(XDX_GIVE_BACK_WAITS) == counted + waits;
}

/*
 * A give-back waits for an RCU grace period (counted: give_back_waits)
 * only if a region going back was put back since the last one ended: a stale sync that found it
 * mapped may still be copying to its pages (xen_destroy_contiguous_region()
 * in xdx_sim.c counts pages given back too early).  Regions idle since
 * before a grace period go back at once.  A split's parts keep the
 * whole's state; a merge's whole takes a fresh one if either half's is
 * not yet complete.
 */
static void test_give_back_waits_only_after_recent_puts(void)
{
	dma_addr_t d[4];
	int i;

	setup(0);
	xdx_reserve = 0;
	/* unmapped just now: one wait */
	d[0] = map(&dev32, BUF(0), PAGE_SIZE, DMA_FROM_DEVICE);
	unmap(&dev32, d[0], PAGE_SIZE, DMA_FROM_DEVICE);
	CHECK(flush_gives_back(1, true));
	/* a grace period since: none */
	d[0] = map(&dev32, BUF(0), PAGE_SIZE, DMA_FROM_DEVICE);
	unmap(&dev32, d[0], PAGE_SIZE, DMA_FROM_DEVICE);
	synchronize_rcu();
	CHECK(flush_gives_back(1, false));
	/* mapped again after the grace period: its last put counts */
	d[0] = map(&dev32, BUF(0), PAGE_SIZE, DMA_FROM_DEVICE);
	unmap(&dev32, d[0], PAGE_SIZE, DMA_FROM_DEVICE);
	synchronize_rcu();
	d[0] = map(&dev32, BUF(1), PAGE_SIZE, DMA_FROM_DEVICE);
	CHECK(st(XDX_REUSES) == 1);
	unmap(&dev32, d[0], PAGE_SIZE, DMA_FROM_DEVICE);
	CHECK(flush_gives_back(1, true));
	check_books("recent puts");

	/* a split's free parts keep the whole's state: unmapped just now */
	d[0] = map(&dev32, BUF(0), 8 * PAGE_SIZE, DMA_TO_DEVICE);
	unmap(&dev32, d[0], 8 * PAGE_SIZE, DMA_TO_DEVICE);
	jiffies += HZ;
	d[1] = map(&dev32, BUF(1), PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(st(XDX_SPLITS) == 1);
	CHECK(flush_gives_back(7, true));
	unmap(&dev32, d[1], PAGE_SIZE, DMA_TO_DEVICE);
	synchronize_rcu();
	CHECK(xdx_region_release_free() == 1);
	/* and with a grace period before the split, none */
	d[0] = map(&dev32, BUF(0), 8 * PAGE_SIZE, DMA_TO_DEVICE);
	unmap(&dev32, d[0], 8 * PAGE_SIZE, DMA_TO_DEVICE);
	synchronize_rcu();
	jiffies += HZ;
	d[1] = map(&dev32, BUF(1), PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(st(XDX_SPLITS) == 2);
	CHECK(flush_gives_back(7, false));
	unmap(&dev32, d[1], PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(xdx_region_release_free() == 1);
	check_books("split");

	map_split_parts(d);
	CHECK(st(XDX_SPLITS) == 3);
	/* one half unmapped before a grace period, its buddy after */
	unmap(&dev32, d[0], PAGE_SIZE, DMA_TO_DEVICE);
	synchronize_rcu();
	unmap(&dev32, d[1], PAGE_SIZE, DMA_TO_DEVICE);
	jiffies += HZ;
	/* the worker merges the two into a free region of order 1 */
	memset(xdx_want, 0, sizeof(xdx_want));	/* and builds nothing else */
	xdx_want[XDX_CLASS_LOW][1] = 1;
	xdx_run_work(&xdx_refill_work);
	CHECK(st(XDX_MERGES) == 1 && nr_free(XDX_CLASS_LOW, 0) == 0 &&
	      nr_free(XDX_CLASS_LOW, 1) == 1);
	CHECK(flush_gives_back(2, true));
	for (i = 2; i < 4; i++)
		unmap(&dev32, d[i], PAGE_SIZE << (i - 1), DMA_TO_DEVICE);
	synchronize_rcu();
	CHECK(flush_gives_back(6, false));
	check_books("merged");

	/*
	 * A merge's younger half listed first: the tail of the free list
	 * (unused longest) is the one unmapped since the last grace period,
	 * its buddy a whole merged later from halves put before it.
	 */
	map_split_parts(d);
	CHECK(st(XDX_SPLITS) == 4);
	unmap(&dev32, d[0], PAGE_SIZE, DMA_TO_DEVICE);
	unmap(&dev32, d[1], PAGE_SIZE, DMA_TO_DEVICE);
	synchronize_rcu();
	unmap(&dev32, d[2], 2 * PAGE_SIZE, DMA_TO_DEVICE);
	jiffies += HZ;
	memset(xdx_want, 0, sizeof(xdx_want));
	refill_want(XDX_CLASS_LOW, 1, 2);	/* d[2]'s region and one more */
	CHECK(st(XDX_MERGES) == 2 && nr_free(XDX_CLASS_LOW, 1) == 2);
	jiffies += HZ;
	refill_want(XDX_CLASS_LOW, 2, 1);	/* from d[2]'s region and the whole */
	CHECK(st(XDX_MERGES) == 3 && nr_free(XDX_CLASS_LOW, 1) == 0 &&
	      nr_free(XDX_CLASS_LOW, 2) == 1);
	CHECK(flush_gives_back(4, true));
	unmap(&dev32, d[3], 4 * PAGE_SIZE, DMA_TO_DEVICE);
	synchronize_rcu();
	CHECK(xdx_region_release_free() == 4);
	check_books("merged, younger half first");
	teardown();
}

static void test_idle_worker_releases_beyond_reserve(void)
{
	dma_addr_t dma[3], d64;
	unsigned long t1, rel;
	unsigned int i;

	jiffies = -5UL * HZ;			/* the clock wraps during the case */
	setup(1);
	CHECK(st(XDX_EXCHANGES) == 11 && xdx_held_low_bytes == 2047 * PAGE_SIZE);
	jiffies += 2 * HZ;
	for (i = 0; i < 3; i++) {
		dma[i] = map(&dev32, BUF(i), PAGE_SIZE, DMA_TO_DEVICE);
		CHECK(last_path == P_REGION);
	}
	CHECK(st(XDX_REUSES) == 1 && st(XDX_EXCHANGES) == 13);
	d64 = map(&dev64, BUF(5), 2 * PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(last_path == P_REGION);
	jiffies += 8 * HZ;
	t1 = jiffies;
	for (i = 0; i < 3; i++)
		unmap(&dev32, dma[i], PAGE_SIZE, DMA_TO_DEVICE);
	unmap(&dev64, d64, 2 * PAGE_SIZE, DMA_TO_DEVICE);
	xdx_refill_work.pending = false;	/* leave the worker out of it */
	rel = st(XDX_RELEASES);
	jiffies = t1 + 30 * HZ - 1;
	CHECK(xdx_run_work(&xdx_idle_work.work));
	CHECK(st(XDX_RELEASES) == rel && nr_free(XDX_CLASS_LOW, 0) == 3);
	CHECK(xdx_idle_work.work.pending && xdx_idle_work.delay == 30 * HZ);
	jiffies = t1 + 30 * HZ + 1;
	CHECK(xdx_run_work(&xdx_idle_work.work));
	/* two order-0 regions beyond the reserve of one, and the 64-bit one */
	CHECK(st(XDX_RELEASES) == rel + 3 && nr_free(XDX_CLASS_LOW, 0) == 1);
	CHECK(nr_free(XDX_CLASS_ANY, 1) == 0);
	for (i = 1; i <= XDX_MAX_ORDER; i++)
		CHECK(nr_free(XDX_CLASS_LOW, i) == 1);
	/* idle_secs=0: never */
	dma[0] = map(&dev32, BUF(0), PAGE_SIZE, DMA_TO_DEVICE);
	dma[1] = map(&dev32, BUF(1), PAGE_SIZE, DMA_TO_DEVICE);
	unmap(&dev32, dma[0], PAGE_SIZE, DMA_TO_DEVICE);
	unmap(&dev32, dma[1], PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(__param_idle_secs.ops->set("0", &__param_idle_secs) == 0);
	jiffies += 3600 * HZ;
	rel = st(XDX_RELEASES);
	CHECK(xdx_run_work(&xdx_idle_work.work));
	CHECK(st(XDX_RELEASES) == rel && xdx_idle_work.work.pending);
	check_books("idle");
	teardown();
}

/*
 * A NIC ring leaves a thousand idle order-0 regions.  The idle worker,
 * the shrinker, a flush and the worker making room in a full budget give
 * them back taking them off the tree a batch per hold of the lock, so
 * interrupts are never off for more than 64 erases, and all of them
 * still go (the worker, as many as its claim lacks).
 */
#define RING_PAGES	1000
#define MOST_IRQS_OFF	64
static void test_give_back_bounded_irqs_off(void)
{
	struct shrink_control sc = { .nr_to_scan = 500 };
	static dma_addr_t d[RING_PAGES];
	unsigned long rel, nfree;
	unsigned int i, round;

	BUILD_BUG_ON(RING_PAGES > SIM_CALLER_PFNS);
	setup(1);
	for (round = 0; round < 4; round++) {
		for (i = 0; i < RING_PAGES; i++) {
			d[i] = map(&dev32, PFN_PHYS(i), PAGE_SIZE, DMA_FROM_DEVICE);
			CHECK(last_path == P_REGION);
		}
		for (i = 0; i < RING_PAGES; i++)
			unmap(&dev32, d[i], PAGE_SIZE, DMA_FROM_DEVICE);
		nfree = nr_free(XDX_CLASS_LOW, 0);
		CHECK(nfree >= RING_PAGES);
		jiffies += 31 * HZ;
		rel = st(XDX_RELEASES);
		sim.most_erases_irqs_off = 0;
		switch (round) {
		case 0:		/* idle: all but the reserve of one */
			CHECK(xdx_run_work(&xdx_idle_work.work));
			CHECK(st(XDX_RELEASES) == rel + nfree - 1 &&
			      nr_free(XDX_CLASS_LOW, 0) == 1);
			break;
		case 1:		/* the shrinker: what it is asked for */
			CHECK(xdx_shrinker->scan_objects(xdx_shrinker, &sc) == 500);
			CHECK(st(XDX_RELEASES) == rel + 500 &&
			      nr_free(XDX_CLASS_LOW, 0) == nfree - 500);
			break;
		case 2:		/* a flush: every free region */
			xdx_region_release_free();
			CHECK(st(XDX_RELEASES) == rel + nfree + XDX_MAX_ORDER &&
			      !nr_free(XDX_CLASS_LOW, 0));
			break;
		case 3:
			/*
			 * the worker rebuilds the reserve of one region of
			 * every order in a low budget of 9 MiB: orders 1-9
			 * fit beside the ring, order 10 makes room from it
			 */
			xdx_low_budget_mb = 9;
			CHECK(nfree == RING_PAGES &&
			      xdx_held_low_bytes == RING_PAGES * PAGE_SIZE);
			CHECK(xdx_run_work(&xdx_refill_work));
			for (i = 1; i <= XDX_MAX_ORDER; i++)
				CHECK(nr_free(XDX_CLASS_LOW, i) == 1);
			CHECK(st(XDX_SKIP_BUDGET) == 0 &&
			      st(XDX_RELEASES) > rel + 4 * MOST_IRQS_OFF);
			/* what the claim lacked went, not 1024 pages */
			CHECK(xdx_held_low_bytes == 9UL << 20);
			break;
		}
		if (sim.most_erases_irqs_off > MOST_IRQS_OFF)
			printf("# round %u: %lu erases with interrupts off\n",
			       round, sim.most_erases_irqs_off);
		CHECK(sim.most_erases_irqs_off > 0 &&
		      sim.most_erases_irqs_off <= MOST_IRQS_OFF);
		check_books("given back in batches");
	}
	teardown();
}

/*
 * A region taken for a mapping is invisible to unmap and sync until the
 * mapping path commits it, after the copy in: a stale unmap of its
 * address (a driver bug) finds nothing, so it can neither copy the
 * region's old bytes into the new caller's buffer nor free the region
 * under the mapping path, which gives it back itself if it cannot use it.
 */
static void test_region_invisible_until_committed(void)
{
	enum xdx_stat why;
	struct xdx_region *r;
	unsigned int cache;

	for (cache = 4; cache < 8 && !case_failed; cache -= 4) {	/* 4, then 0 */
		setup(2);
		xdx_cpu_cache = cache;
		r = xdx_region_get(XDX_CLASS_LOW, 0, BUF(0), PAGE_SIZE, false,
				   &why);
		CHECK(r && !xdx_region_mapped(r) && !xdx_region_find(PFN_PHYS(r->pfn), NULL) &&
		      !xdx_region_claim(PFN_PHYS(r->pfn), PAGE_SIZE) &&
		      atomic_long_read(&xen_dma_exchange_nr_mapped) == 0);
		xdx_region_put(r);		/* the mapping could not use it */
		check_books("not committed");
		r = xdx_region_get(XDX_CLASS_LOW, 0, BUF(0), PAGE_SIZE, false,
				   &why);	/* from the magazine, with 4 */
		CHECK(r && !xdx_region_mapped(r) && !xdx_region_find(PFN_PHYS(r->pfn), NULL) &&
		      st(XDX_CPU_REUSES) == (cache ? 1 : 0));
		xdx_region_commit(r);
		CHECK(xdx_region_mapped(r) && atomic_long_read(&xen_dma_exchange_nr_mapped) == 1 &&
		      xdx_region_claim(PFN_PHYS(r->pfn), PAGE_SIZE) == r && !xdx_region_mapped(r));
		xdx_region_put(r);
		check_books("committed, claimed, put");
		teardown();
	}
}

/*
 * The unmap's claim takes no lock: an unmap that found the region mapped
 * (and read its sequence) before that mapping ended cannot claim the next
 * one, even one of the same address and size, and finds nothing where the
 * next one differs (it is not reported as a mismatch); of two unmaps of
 * one mapping, the second finds it no longer mapped.  A sync that read
 * the sequence before reads no later mapping's fields as that mapping's.
 */
static void test_stale_claim_loses(void)
{
	unsigned long seq = 0, seq2;
	struct xdx_mapping m;
	struct xdx_region *r;
	dma_addr_t dma;

	setup(2);
	xdx_cpu_cache = 4;	/* the next mapping on this CPU takes the region */
	dma = map(&dev32, BUF(0), PAGE_SIZE, DMA_TO_DEVICE);
	r = region_of(dma);
	CHECK(r);
	if (!r)
		goto out;
	seq = READ_ONCE(r->map_seq);	/* a stale unmap looked, then slept */
	CHECK((seq & 1) && xdx_region_claim_seq(r, seq, PFN_PHYS(r->pfn), PAGE_SIZE) == r);
	CHECK(!xdx_region_mapped(r) &&
	      xdx_region_claim_seq(r, seq, PFN_PHYS(r->pfn), PAGE_SIZE) == NULL);
	xdx_region_put(r);
	/* the same region, the same address and size */
	dma = map(&dev32, BUF(1), PAGE_SIZE, DMA_TO_DEVICE);
	seq2 = READ_ONCE(r->map_seq);
	CHECK(region_of(dma) == r && seq2 == seq + 2 &&
	      xdx_region_claim_seq(r, seq, PFN_PHYS(r->pfn), PAGE_SIZE) == NULL &&
	      xdx_region_mapped(r) && atomic_long_read(&xen_dma_exchange_nr_mapped) == 1);
	CHECK(IS_ERR(xdx_region_claim_seq(r, seq2, PFN_PHYS(r->pfn), 100)) &&
	      xdx_region_mapped(r) && READ_ONCE(r->map_seq) == seq2);
	/* a stale sync reads no fields of a later mapping as its own */
	CHECK(!xdx_region_read_mapping(r, seq, &m) &&
	      xdx_region_read_mapping(r, seq2, &m) && m.orig == BUF(1) &&
	      m.start == PFN_PHYS(r->pfn) && m.size == PAGE_SIZE);
	CHECK(dev_sees(&dev32, dma, cpu(BUF(1)), PAGE_SIZE));
	unmap(&dev32, dma, PAGE_SIZE, DMA_TO_DEVICE);
	/* the same region, another size: the stale unmap finds nothing */
	dma = map(&dev32, BUF(2) + 5, 100, DMA_TO_DEVICE);
	CHECK(region_of(dma) == r &&
	      xdx_region_claim_seq(r, seq, PFN_PHYS(r->pfn), PAGE_SIZE) == NULL &&
	      xdx_region_mapped(r) && st(XDX_BAD_UNMAP) == 0);
	unmap(&dev32, dma, 100, DMA_TO_DEVICE);
	CHECK(!xdx_region_mapped(r) && atomic_long_read(&xen_dma_exchange_nr_mapped) == 0);
	check_books("stale claim");
out:
	teardown();
}

static void test_double_unmap_does_nothing(void)
{
	static unsigned char wrote[PAGE_SIZE], after[PAGE_SIZE];
	dma_addr_t dma, other;
	unsigned int live;

	for (live = 0; live < 2; live++) {
		setup(0);
		other = live ? map(&dev32, BUF(7), 2 * PAGE_SIZE, DMA_TO_DEVICE) : 0;
		dma = map(&dev32, BUF(6), PAGE_SIZE, DMA_FROM_DEVICE);
		CHECK(last_path == P_REGION);
		pattern(wrote, PAGE_SIZE, 1);
		CHECK(dev_write(dma, wrote, PAGE_SIZE));
		unmap(&dev32, dma, PAGE_SIZE, DMA_FROM_DEVICE);
		CHECK(!memcmp(cpu(BUF(6)), wrote, PAGE_SIZE));
		/* a stale device write, then the second unmap */
		pattern(after, PAGE_SIZE, 2);
		CHECK(dev_write(dma, after, PAGE_SIZE));
		unmap(&dev32, dma, PAGE_SIZE, DMA_FROM_DEVICE);
		CHECK(!memcmp(cpu(BUF(6)), wrote, PAGE_SIZE));
		CHECK(st(XDX_BAD_UNMAP) == 0 && xdx_dev_errs == 0);
		CHECK(atomic_long_read(&xen_dma_exchange_nr_mapped) == live);
		CHECK(nr_free(XDX_CLASS_LOW, 0) == 1);
		if (live) {
			CHECK(dev_sees(&dev32, other, cpu(BUF(7)), 2 * PAGE_SIZE));
			unmap(&dev32, other, 2 * PAGE_SIZE, DMA_TO_DEVICE);
		}
		check_books("double unmap");
		teardown();
	}
}

static void test_mismatched_unmap_leaves_region_mapped(void)
{
	static unsigned char before[2 * PAGE_SIZE], wrote[2 * PAGE_SIZE];
	phys_addr_t phys = BUF(8) + 100;
	size_t size = PAGE_SIZE + 200;
	dma_addr_t dma;

	setup(0);
	memcpy(before, cpu(phys), size);
	dma = map(&dev32, phys, size, DMA_BIDIRECTIONAL);
	pattern(wrote, size, 3);
	CHECK(dev_write(dma, wrote, size));
	unmap(&dev32, dma, size - 1, DMA_BIDIRECTIONAL);
	CHECK(st(XDX_BAD_UNMAP) == 1 && xdx_dev_errs == 1);
	unmap(&dev32, dma + 1, size - 1, DMA_BIDIRECTIONAL);
	CHECK(st(XDX_BAD_UNMAP) == 2);
	unmap(&dev32, dma, 0, DMA_BIDIRECTIONAL);	/* no mapping has length 0 */
	CHECK(st(XDX_BAD_UNMAP) == 3);
	CHECK(!memcmp(cpu(phys), before, size));
	CHECK(atomic_long_read(&xen_dma_exchange_nr_mapped) == 1);
	CHECK(region_of(dma) && xdx_region_mapped(region_of(dma)));
	/* still served: a sync works, and the right unmap */
	sync_for_cpu(&dev32, dma, 100, DMA_BIDIRECTIONAL);
	CHECK(!memcmp(cpu(phys), wrote, 100) && !memcmp(cpu(phys + 100), before + 100, size - 100));
	unmap(&dev32, dma, size, DMA_BIDIRECTIONAL);
	CHECK(!memcmp(cpu(phys), wrote, size));
	CHECK(atomic_long_read(&xen_dma_exchange_nr_mapped) == 0);
	check_books("mismatch");
	teardown();
}

static void test_alignment_constraints(void)
{
	phys_addr_t phys = BUF(9) + 0x234;
	dma_addr_t dma;

	setup(0);
	dev32.min_align_mask = PAGE_SIZE - 1;	/* NVMe-like: kept by the page offset */
	dma = map(&dev32, phys, 3 * PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(last_path == P_REGION && ((dma ^ phys) & (PAGE_SIZE - 1)) == 0);
	unmap(&dev32, dma, 3 * PAGE_SIZE, DMA_TO_DEVICE);
	dev32.min_align_mask = 2 * PAGE_SIZE - 1;
	dma = map(&dev32, phys, 3 * PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(last_path == P_POOL && st(XDX_SKIP_ALIGN) == 1);
	unmap(&dev32, dma, 3 * PAGE_SIZE, DMA_TO_DEVICE);
	dev32.min_align_mask = 0;
	/* segment boundary: a naturally aligned region within it is fine */
	dev32.seg_boundary = 0xffff;
	dma = map(&dev32, BUF(9), 8 * PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(last_path == P_REGION && (dma >> 16) == ((dma + 8 * PAGE_SIZE - 1) >> 16));
	unmap(&dev32, dma, 8 * PAGE_SIZE, DMA_TO_DEVICE);
	dma = map(&dev32, BUF(9) + 1, 16 * PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(last_path == P_POOL && st(XDX_SKIP_ALIGN) == 2);
	unmap(&dev32, dma, 16 * PAGE_SIZE, DMA_TO_DEVICE);
	/* max_order */
	xdx_max_order = 1;
	dma = map(&dev32, BUF(9), 3 * PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(last_path == P_POOL && st(XDX_SKIP_ORDER) == 1);
	unmap(&dev32, dma, 3 * PAGE_SIZE, DMA_TO_DEVICE);
	xdx_max_order = XDX_MAX_ORDER;
	dma = map(&dev32, BUF(9), 1025 * PAGE_SIZE, DMA_TO_DEVICE);	/* > 4 MiB */
	CHECK(last_path != P_REGION && st(XDX_SKIP_ORDER) == 2);
	if (last_path == P_POOL)
		unmap(&dev32, dma, 1025 * PAGE_SIZE, DMA_TO_DEVICE);
	teardown();
}

static void test_limits_force_disabled_go_to_pool(void)
{
	dma_addr_t dma;

	setup(0);
	/* below 32 bits: the fixed pool (at 256 MiB), or nothing */
	dma = map(&dev31, BUF(11), 2 * PAGE_SIZE, DMA_FROM_DEVICE);
	CHECK(last_path == P_POOL && st(XDX_SKIP_LIMIT) == 1);
	CHECK(dev_sees(&dev31, dma, cpu(BUF(11)), 2 * PAGE_SIZE));
	unmap(&dev31, dma, 2 * PAGE_SIZE, DMA_FROM_DEVICE);
	dma = map(&dev24, BUF(11), 2 * PAGE_SIZE, DMA_FROM_DEVICE);
	CHECK(last_path == P_ERROR && dma == DMA_MAPPING_ERROR && st(XDX_SKIP_LIMIT) == 2);
	/* taken by the pool and undone (not DMA'ble): not a bounce */
	CHECK(st(XDX_BOUNCES) == 1);
	dev64.bus_dma_limit = DMA_BIT_MASK(30);
	dma = map(&dev64, BUF(11), 2 * PAGE_SIZE, DMA_FROM_DEVICE);
	CHECK(last_path == P_POOL && st(XDX_SKIP_LIMIT) == 3);
	unmap(&dev64, dma, 2 * PAGE_SIZE, DMA_FROM_DEVICE);
	dev64.bus_dma_limit = 0;
	/* swiotlb=force: even a buffer usable as it is bounces */
	CHECK(sim_make_contiguous(PHYS_PFN(BUF(12)), 4));
	dev64.force_bounce = true;
	dma = map(&dev64, BUF(12), 4 * PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(last_path == P_POOL && st(XDX_SKIP_FORCED) == 1);
	unmap(&dev64, dma, 4 * PAGE_SIZE, DMA_TO_DEVICE);
	dev64.force_bounce = false;
	/* the pool full: the ladder ends in an error */
	{
		dma_addr_t d[SIM_POOL_PFNS / SLOT_PAGES];
		unsigned int i;

		for (i = 0; i < ARRAY_SIZE(d); i++) {
			d[i] = map(&dev31, BUF(i), SLOT_PAGES * PAGE_SIZE, DMA_TO_DEVICE);
			CHECK(last_path == P_POOL);
		}
		dma = map(&dev31, BUF(20), PAGE_SIZE, DMA_TO_DEVICE);
		CHECK(last_path == P_ERROR);
		/* a mapping the pool refused is not counted as bounced */
		CHECK(st(XDX_BOUNCES) == 3 + ARRAY_SIZE(d));
		for (i = 0; i < ARRAY_SIZE(d); i++)
			unmap(&dev31, d[i], SLOT_PAGES * PAGE_SIZE, DMA_TO_DEVICE);
	}
	CHECK(sim.creates == 0);
	teardown();
}

static void test_disabled_goes_to_pool(void)
{
	static unsigned char wrote[2 * PAGE_SIZE];
	dma_addr_t dma, live;
	unsigned long saved;

	setup(0);
	live = map(&dev32, BUF(13), 2 * PAGE_SIZE, DMA_FROM_DEVICE);
	CHECK(last_path == P_REGION);
	xdx_enable = false;
	dma = map(&dev32, BUF(14), 2 * PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(last_path == P_POOL && st(XDX_SKIP_DISABLED) == 1 && sim.creates == 1);
	unmap(&dev32, dma, 2 * PAGE_SIZE, DMA_TO_DEVICE);
	/* a mapping made before still ends properly */
	pattern(wrote, sizeof(wrote), 4);
	CHECK(dev_write(live, wrote, sizeof(wrote)));
	unmap(&dev32, live, 2 * PAGE_SIZE, DMA_FROM_DEVICE);
	CHECK(!memcmp(cpu(BUF(13)), wrote, sizeof(wrote)));
	/*
	 * A frame without a machine frame: its last byte translates to
	 * DMA_MAPPING_ERROR, and a mapping turned away still goes to the pool.
	 */
	saved = sim.p2m[PHYS_PFN(BUF(15))];
	sim.p2m[PHYS_PFN(BUF(15))] = SIM_NO_FRAME;
	CHECK(xen_phys_to_dma(&dev32, BUF(15) + PAGE_SIZE - 1) == DMA_MAPPING_ERROR);
	dma = map(&dev32, BUF(15) + PAGE_SIZE - 1, 1, DMA_TO_DEVICE);
	CHECK(last_path == P_POOL && st(XDX_SKIP_DISABLED) == 2);
	unmap(&dev32, dma, 1, DMA_TO_DEVICE);
	sim.p2m[PHYS_PFN(BUF(15))] = saved;
	/* and the worker builds nothing */
	xdx_reserve = 2;
	xdx_region_release_free();
	CHECK(xdx_run_work(&xdx_refill_work));
	CHECK(xdx_held_bytes == 0 && sim.creates == 1);
	teardown();
}

static void test_dev64_direct_or_any_class(void)
{
	dma_addr_t dma;
	struct xdx_region *r;

	setup(0);
	CHECK(sim_make_contiguous(PHYS_PFN(BUF(15)), 4));
	dma = map(&dev64, BUF(15) + 10, 3 * PAGE_SIZE, DMA_BIDIRECTIONAL);
	CHECK(last_path == P_DIRECT && st(XDX_MAPS) == 0);
	CHECK(dma == PFN_PHYS(sim.p2m[PHYS_PFN(BUF(15))]) + 10);
	unmap(&dev64, dma, 3 * PAGE_SIZE, DMA_BIDIRECTIONAL);
	/* within one page: direct too */
	dma = map(&dev64, BUF(16) + 8, 100, DMA_TO_DEVICE);
	CHECK(last_path == P_DIRECT);
	/* scattered: a region of the ANY class, out of the low budget */
	dma = map(&dev64, BUF(16) + 8, 3 * PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(last_path == P_REGION && dev_sees(&dev64, dma, cpu(BUF(16) + 8), 3 * PAGE_SIZE));
	r = region_of(dma);
	CHECK(r && r->cls == XDX_CLASS_ANY && xdx_held_low_bytes == 0);
	CHECK(xdx_held_bytes == 4 * PAGE_SIZE);
	unmap(&dev64, dma, 3 * PAGE_SIZE, DMA_TO_DEVICE);
	/* 40 bits: the LOW class; a contiguous buffer above 4 GiB for dev32: a region */
	dma = map(&dev40, BUF(16), 2 * PAGE_SIZE, DMA_TO_DEVICE);
	r = region_of(dma);
	CHECK(last_path == P_REGION && r && r->cls == XDX_CLASS_LOW && dma < 1ULL << 32);
	unmap(&dev40, dma, 2 * PAGE_SIZE, DMA_TO_DEVICE);
	dma = map(&dev32, BUF(15), 4 * PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(last_path == P_REGION && dev_sees(&dev32, dma, cpu(BUF(15)), 4 * PAGE_SIZE));
	unmap(&dev32, dma, 4 * PAGE_SIZE, DMA_TO_DEVICE);
	check_books("dev64");
	teardown();
}

static void test_verify_mode_checks_m2p(void)
{
	dma_addr_t dma;
	unsigned long bfn;

	setup(0);
	xdx_verify = true;
	xdx_cpu_cache = 4;		/* the unmap keeps the region on the CPU */
	dma = map(&dev32, BUF(17), 2 * PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(last_path == P_REGION && st(XDX_VERIFIED) == 1 && st(XDX_VERIFY_FAILED) == 0);
	unmap(&dev32, dma, 2 * PAGE_SIZE, DMA_TO_DEVICE);
	bfn = PHYS_PFN(dma) + 1;
	sim.m2p[bfn] = 999;			/* Xen's table disagrees */
	dma = map(&dev32, BUF(17), 2 * PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(last_path == P_POOL && st(XDX_VERIFY_FAILED) == 1 && st(XDX_SKIP_LIMIT) == 1);
	CHECK(atomic_long_read(&xen_dma_exchange_nr_mapped) == 0 &&
	      mag_n(0, XDX_CLASS_LOW, 1) == 1);	/* back on the CPU, unmapped */
	unmap(&dev32, dma, 2 * PAGE_SIZE, DMA_TO_DEVICE);
	sim.m2p[bfn] = region_of(PFN_PHYS(bfn - 1)) ? 0 : 0;
	sim.m2p[bfn] = first_region()->pfn + 1;
	dma = map(&dev32, BUF(17), 2 * PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(last_path == P_REGION && st(XDX_VERIFIED) == 3);
	unmap(&dev32, dma, 2 * PAGE_SIZE, DMA_TO_DEVICE);
	teardown();
}

static void test_params_reject_bad_values(void)
{
	char buf[32];

	setup(0);
	CHECK(xdx_set_max_order("11", NULL) == -EINVAL);
	CHECK(xdx_set_max_order("-1", NULL) == -EINVAL);
	CHECK(xdx_set_max_order("abc", NULL) == -EINVAL);
	CHECK(xdx_set_max_order("", NULL) == -EINVAL);
	CHECK(xdx_max_order == XDX_MAX_ORDER);
	CHECK(xdx_set_max_order("3\n", NULL) == 0 && xdx_max_order == 3);
	CHECK(__param_reserve.ops->set("17", &__param_reserve) == -EINVAL);
	CHECK(!xdx_refill_work.pending);
	CHECK(__param_reserve.ops->set("3", &__param_reserve) == 0 && xdx_reserve == 3);
	CHECK(xdx_refill_work.pending);
	CHECK(__param_idle_secs.ops->set("3601", &__param_idle_secs) == -EINVAL);
	CHECK(__param_cpu_cache.ops->set("33", &__param_cpu_cache) == -EINVAL &&
	      __param_cpu_cache.ops->set("x", &__param_cpu_cache) == -EINVAL && xdx_cpu_cache == 0);
	CHECK(__param_cpu_cache.ops->set("32", &__param_cpu_cache) == 0 && xdx_cpu_cache == 32);
	CHECK(__param_max_cached_mb.ops->set("16777217", &__param_max_cached_mb) == -EINVAL);
	CHECK(__param_max_cached_mb.ops->set("12x", &__param_max_cached_mb) == -EINVAL);
	CHECK(__param_low_budget_mb.ops->set("16", &__param_low_budget_mb) == 0 &&
	      xdx_low_budget_mb == 16);
	CHECK(__param_low_budget_mb.ops->get(buf, &__param_low_budget_mb) > 0 &&
	      !strcmp(buf, "16\n"));
	xdx_reserve = 0;
	teardown();
}

static void test_debugfs_stats_regions_dev_limit(void)
{
	struct seq_file m = { .count = 0 };
	struct file f = { 0 };
	dma_addr_t dma;

	setup(0);
	dma = map(&dev32, BUF(18), 4 * PAGE_SIZE, DMA_TO_DEVICE);
	CHECK(xdx_stats_fops.open(NULL, &f) == 0 && f.show(&m, NULL) == 0);
	CHECK(strstr(m.buf, "region_maps 1\n") && strstr(m.buf, "regions_in_use 1\n"));
	CHECK(strstr(m.buf, "region_bytes 16384\n"));
	m.count = 0;
	CHECK(xdx_regions_fops.open(NULL, &f) == 0 && f.show(&m, NULL) == 0);
	CHECK(strstr(m.buf, "class order kib free in_use on_cpus\nlow 2 16 0 1 0\n") != NULL);
	CHECK(xdx_stats_write(NULL, "1", 1, NULL) == -EINVAL);
	CHECK(xdx_stats_write(NULL, "0", 1, NULL) == 1 && st(XDX_HITS) == 0 && st(XDX_MAPS) == 0);
	CHECK(xdx_dev_limit_write(NULL, "dev64 30", 8, NULL) == 8 &&
	      dev64.bus_dma_limit == DMA_BIT_MASK(30));
	CHECK(xdx_dev_limit_write(NULL, "dev64 0", 7, NULL) == 7 && dev64.bus_dma_limit == 0);
	CHECK(xdx_dev_limit_write(NULL, "nodev 30", 8, NULL) == -ENODEV);
	CHECK(xdx_dev_limit_write(NULL, "dev64 5", 7, NULL) == -EINVAL);
	xdx_cpu_cache = 4;			/* unmapped into this CPU's magazine */
	unmap(&dev32, dma, 4 * PAGE_SIZE, DMA_TO_DEVICE);
	m.count = 0;
	CHECK(xdx_regions_fops.open(NULL, &f) == 0 && f.show(&m, NULL) == 0);
	CHECK(strstr(m.buf, "low 2 16 1 0 1\n") != NULL);
	teardown();
}

/* ---- randomized model test ---- */

struct live {
	bool used;
	struct device *dev;
	phys_addr_t phys;
	size_t size;
	enum dma_data_direction dir;
	dma_addr_t dma;
	enum path path;
	unsigned char *cpu, *dev_view;	/* what each side must see */
};

static unsigned long model_iters = 20000;
static unsigned int model_seed = 42;

static bool model_check(struct live *l, unsigned long it, const char *what)
{
	if (!dev_sees(l->dev, l->dma, l->dev_view, l->size) ||
	    memcmp(cpu(l->phys), l->cpu, l->size)) {
		printf("# iter %lu: %s: %s mapping %#llx+%zu (%s, dir %d) bus %#llx: device or CPU view wrong\n",
		       it, what, l->dev->name, (unsigned long long)l->phys, l->size,
		       path_names[l->path], l->dir, (unsigned long long)l->dma);
		case_failed = 1;
		return false;
	}
	return true;
}

static void test_random_model(void)
{
	static struct live live[NR_SLOTS];
	static unsigned long p2m[SIM_CALLER_PFNS];
	static unsigned char slot_before[SLOT_PAGES * PAGE_SIZE], data[SLOT_PAGES * PAGE_SIZE];
	struct device *devs[] = { &dev32, &dev32, &dev40, &dev64, &dev64, &dev31 };
	unsigned long it, paths[4] = { 0 }, bytes = 0, max_held = 0;
	unsigned int s;

	srand(model_seed);
	sim_boot_max_order = 9;			/* order 10 refused from boot on */
	setup(1);
	sim_boot_max_order = 18;
	srand(model_seed);
	xdx_max_mb = 12;			/* the reserve alone is 8 MiB low */
	xdx_low_budget_mb = 10;
	xdx_cpu_cache = 8;
	xdx_cool_kib = 64;
	for (s = 0; s < NR_SLOTS; s += 5)
		sim_make_contiguous(PHYS_PFN(BUF(s)), SLOT_PAGES);
	memcpy(p2m, sim.p2m, sizeof(p2m));
	for (it = 0; it < model_iters && !case_failed; it++) {
		unsigned int op = rand() % 100;
		struct live *l = &live[s = rand() % NR_SLOTS];

		xdx_sim_cpu = rand() % XDX_SIM_CPUS;	/* each call on either CPU */

		if (op < 30 && !l->used) {
			/* map: sizes biased to whole orders, random offsets */
			unsigned int order = rand() % 7;
			size_t size = rand() % 2 ? PAGE_SIZE << order :
				      1 + rand() % (PAGE_SIZE << order);
			unsigned long off = rand() % 3 ? 0 : rand() % PAGE_SIZE;

			if (off + size > SLOT_PAGES * PAGE_SIZE)
				size = SLOT_PAGES * PAGE_SIZE - off;
			l->dev = devs[rand() % ARRAY_SIZE(devs)];
			l->phys = BUF(s) + off;
			l->size = size;
			l->dir = dirs[rand() % 3];
			sim_fill(BUF(s), SLOT_PAGES * PAGE_SIZE, rand());
			memcpy(slot_before, cpu(BUF(s)), sizeof(slot_before));
			l->dma = map(l->dev, l->phys, size, l->dir);
			l->path = last_path;
			paths[last_path]++;
			if (last_path == P_ERROR)
				continue;
			l->used = true;
			l->cpu = malloc(size);
			l->dev_view = malloc(size);
			memcpy(l->cpu, cpu(l->phys), size);
			memcpy(l->dev_view, cpu(l->phys), size);
			bytes += size;
			if (memcmp(cpu(BUF(s)), slot_before, sizeof(slot_before))) {
				printf("# iter %lu: map changed the caller's bytes\n", it);
				case_failed = 1;
			}
			model_check(l, it, "map");
		} else if (op < 45 && l->used) {
			/* the device writes part of a mapping it may write */
			size_t a = rand() % l->size, n = 1 + rand() % (l->size - a);

			if (l->dir == DMA_TO_DEVICE)
				continue;
			pattern(data, n, rand());
			dev_write(l->dma + a, data, n);
			memcpy(l->dev_view + a, data, n);
			if (l->path == P_DIRECT)
				memcpy(l->cpu + a, data, n);
			model_check(l, it, "device write");
		} else if (op < 55 && l->used) {
			/* the CPU writes part, then syncs it for the device */
			size_t a = rand() % l->size, n = 1 + rand() % (l->size - a);

			pattern(data, n, rand());
			memcpy(cpu(l->phys + a), data, n);
			memcpy(l->cpu + a, data, n);
			if (l->path == P_DIRECT)
				memcpy(l->dev_view + a, data, n);
			sync_for_device(l->dev, l->dma + a, n, l->dir);
			if (l->dir != DMA_FROM_DEVICE)
				memcpy(l->dev_view + a, l->cpu + a, n);
			model_check(l, it, "sync for device");
		} else if (op < 65 && l->used) {
			size_t a = rand() % l->size, n = 1 + rand() % (l->size - a);

			sync_for_cpu(l->dev, l->dma + a, n, l->dir);
			if (l->dir != DMA_TO_DEVICE)
				memcpy(l->cpu + a, l->dev_view + a, n);
			model_check(l, it, "sync for cpu");
		} else if (op < 67 && l->used && l->path == P_REGION) {
			u64 bad = st(XDX_BAD_UNMAP);

			unmap(l->dev, l->dma, l->size + 1, l->dir);
			CHECK(st(XDX_BAD_UNMAP) == bad + 1);
			model_check(l, it, "mismatched unmap");
		} else if (op < 85 && l->used) {
			bool skip = rand() % 10 == 0;
			size_t before = l->phys - BUF(s);

			memcpy(slot_before, cpu(BUF(s)), sizeof(slot_before));
			unmap_attrs(l->dev, l->dma, l->size, l->dir,
				    skip ? DMA_ATTR_SKIP_CPU_SYNC : 0);
			if (!skip && l->dir != DMA_TO_DEVICE)
				memcpy(l->cpu, l->dev_view, l->size);
			if (memcmp(cpu(l->phys), l->cpu, l->size) ||
			    memcmp(cpu(BUF(s)), slot_before, before) ||
			    memcmp(cpu(l->phys + l->size), slot_before + before + l->size,
				   sizeof(slot_before) - before - l->size)) {
				printf("# iter %lu: unmap of %s mapping %#llx+%zu dir %d: caller's bytes wrong\n",
				       it, path_names[l->path], (unsigned long long)l->phys,
				       l->size, l->dir);
				case_failed = 1;
			}
			free(l->cpu);
			free(l->dev_view);
			l->used = false;
		} else if (op < 88) {
			xdx_run_work(&xdx_refill_work);
		} else if (op < 90) {
			jiffies += (rand() % 40) * HZ;
			xdx_run_work(&xdx_idle_work.work);
		} else if (op < 91) {
			struct shrink_control sc = { .nr_to_scan = 1 + rand() % 512 };
			struct shrinker *sh = xdx_shrinker_registered;

			if (sh->count_objects(sh, &sc) != SHRINK_EMPTY)
				sh->scan_objects(sh, &sc);
		} else if (op < 92 && rand() % 4 == 0) {
			xdx_region_release_free();
		} else if (op < 95) {
			sim.fail_create = rand() % 4 == 0;
			fail_xen_dma_exchange.every = rand() % 3 ? 0 : 2 + rand() % 8;
			sim.fail_alloc = rand() % 8 == 0;
			if (rand() % 8 == 0)		/* magazines resized, or none */
				xdx_cpu_cache = (unsigned int[]){ 0, 1, 4, 8, 32 }[rand() % 5];
			if (rand() % 8 == 0)		/* cooling resized, or none */
				xdx_cool_kib = (unsigned int[]){ 0, 4, 64, 1024 }[rand() % 4];
			if (rand() % 8 == 0)		/* Xen's cap lowered or raised */
				sim.memop_max_order = (unsigned int[]){ 5, 7, 9, 18 }[rand() % 4];
		}
		if (it % 16 == 0)
			check_books("model");
		if (xdx_held_bytes > max_held)
			max_held = xdx_held_bytes;
		if (it % 64 == 0 && memcmp(p2m, sim.p2m, sizeof(p2m))) {
			printf("# iter %lu: a caller's frame changed\n", it);
			case_failed = 1;
		}
	}
	for (s = 0; s < NR_SLOTS; s++)
		if (live[s].used) {
			struct live *l = &live[s];

			model_check(l, it, "end");
			unmap(l->dev, l->dma, l->size, l->dir);
			if (l->dir != DMA_TO_DEVICE)
				memcpy(l->cpu, l->dev_view, l->size);
			CHECK(!memcmp(cpu(l->phys), l->cpu, l->size));
			free(l->cpu);
			free(l->dev_view);
			l->used = false;
		}
	check_books("model end");
	CHECK(!memcmp(p2m, sim.p2m, sizeof(p2m)) && caller_frames_changed == 0);
	CHECK(paths[P_DIRECT] && paths[P_REGION] && paths[P_POOL]);
	CHECK(st(XDX_REUSES) && st(XDX_CPU_REUSES) && st(XDX_SPLITS) && st(XDX_FAIL_INJECTED) && st(XDX_FAIL_HYPERVISOR) &&
	      st(XDX_SKIP_ATOMIC) && st(XDX_RELEASES) && st(XDX_SKIP_BUDGET) && st(XDX_DEFERRED) && sim.refused);
	printf("# model: %lu iterations, seed %u: direct %lu region %lu pool %lu error %lu, %lu bytes mapped\n",
	       it, model_seed, paths[P_DIRECT], paths[P_REGION], paths[P_POOL], paths[P_ERROR], bytes);
	printf("# model: exchanges %llu reuses %llu (on a CPU %llu, from another %llu) splits %llu merges %llu"
	       " releases %llu injected %llu hv-failed %llu (over the cap %lu) deferred %llu nomem %llu budget %llu atomic %llu"
	       " bad_unmaps %llu, max held %lu KiB\n",
	       (unsigned long long)st(XDX_EXCHANGES), (unsigned long long)st(XDX_REUSES),
	       (unsigned long long)st(XDX_CPU_REUSES), (unsigned long long)st(XDX_OTHER_CPU_REUSES),
	       (unsigned long long)st(XDX_SPLITS), (unsigned long long)st(XDX_MERGES),
	       (unsigned long long)st(XDX_RELEASES), (unsigned long long)st(XDX_FAIL_INJECTED),
	       (unsigned long long)st(XDX_FAIL_HYPERVISOR), sim.refused,
	       (unsigned long long)st(XDX_DEFERRED), (unsigned long long)st(XDX_FAIL_NOMEM),
	       (unsigned long long)st(XDX_SKIP_BUDGET), (unsigned long long)st(XDX_SKIP_ATOMIC),
	       (unsigned long long)st(XDX_BAD_UNMAP), max_held >> 10);
	teardown();
}

static const struct { const char *name; void (*fn)(void); } cases[] = {
	{ "region_map_every_direction_prefilled", test_region_map_every_direction_prefilled },
	{ "unmap_copies_back_only_from_device", test_unmap_copies_back_only_from_device },
	{ "partial_syncs_copy_exactly_the_range", test_partial_syncs_copy_exactly_the_range },
	{ "second_mapping_reuses_region", test_second_mapping_reuses_region },
	{ "cpu_cache_reuses_without_global_lock", test_cpu_cache_reuses_without_global_lock },
	{ "cooling_hands_out_older_regions_first", test_cooling_hands_out_older_regions_first },
	{ "miss_takes_other_cpus_magazine", test_miss_takes_other_cpus_magazine },
	{ "caller_frames_never_change", test_caller_frames_never_change },
	{ "exchange_failure_falls_back_to_pool", test_exchange_failure_falls_back_to_pool },
	{ "large_order_left_to_worker", test_large_order_left_to_worker },
	{ "worker_waits_after_refusal", test_worker_waits_after_refusal },
	{ "large_mapping_never_to_pool", test_large_mapping_never_to_pool },
	{ "miss_borrows_larger_region", test_miss_borrows_larger_region },
	{ "small_miss_borrows_beyond_reserve", test_small_miss_borrows_beyond_reserve },
	{ "miss_splits_larger_region", test_miss_splits_larger_region },
	{ "worker_splits_before_exchanging", test_worker_splits_before_exchanging },
	{ "miss_merges_free_buddies", test_miss_merges_free_buddies },
	{ "merge_only_true_buddies", test_merge_only_true_buddies },
	{ "give_back_joins_halves", test_give_back_joins_halves },
	{ "short_size_grows_geometrically", test_short_size_grows_geometrically },
	{ "budget_full_worker_trims_other_sizes", test_budget_full_worker_trims_other_sizes },
	{ "release_and_shrinker_give_frames_back", test_release_and_shrinker_give_frames_back },
	{ "give_back_waits_only_after_recent_puts", test_give_back_waits_only_after_recent_puts },
	{ "idle_worker_releases_beyond_reserve", test_idle_worker_releases_beyond_reserve },
	{ "give_back_bounded_irqs_off", test_give_back_bounded_irqs_off },
	{ "region_invisible_until_committed", test_region_invisible_until_committed },
	{ "stale_claim_loses", test_stale_claim_loses },
	{ "double_unmap_does_nothing", test_double_unmap_does_nothing },
	{ "mismatched_unmap_leaves_region_mapped", test_mismatched_unmap_leaves_region_mapped },
	{ "alignment_constraints", test_alignment_constraints },
	{ "limits_force_disabled_go_to_pool", test_limits_force_disabled_go_to_pool },
	{ "disabled_goes_to_pool", test_disabled_goes_to_pool },
	{ "dev64_direct_or_any_class", test_dev64_direct_or_any_class },
	{ "verify_mode_checks_m2p", test_verify_mode_checks_m2p },
	{ "params_reject_bad_values", test_params_reject_bad_values },
	{ "debugfs_stats_regions_dev_limit", test_debugfs_stats_regions_dev_limit },
	{ "random_model", test_random_model },
};

int main(int argc, char **argv)
{
	unsigned int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && *argv[1])
		model_iters = strtoul(argv[1], NULL, 0);
	if (argc > 2 && *argv[2])
		model_seed = strtoul(argv[2], NULL, 0);
	printf("KTAP version 1\n1..%zu\n", ARRAY_SIZE(cases));
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		case_failed = 0;
		cases[i].fn();
		printf("%sok %u host_%s\n", case_failed ? "not " : "", i + 1, cases[i].name);
		failures += case_failed;
	}
	printf("# host harness: %zu tests, %d failed\n", ARRAY_SIZE(cases), failures);
	return failures ? 1 : 0;
}
