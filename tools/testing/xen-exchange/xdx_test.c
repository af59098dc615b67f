// SPDX-License-Identifier: GPL-2.0
/*
 * Host harness for drivers/xen/xen-dma-exchange.c: the real file is compiled
 * here against xdx_shim.h and a simulated hypervisor (xdx_sim.c).  Unit tests
 * of the region cache, eligibility, fallback and invalidation, then a
 * randomized model test that checks every bus address handed out against
 * the simulated P2M/M2P byte for byte.  Output is KTAP.
 *
 * usage: xdx_test [model-iterations] [seed]
 */
#include "xdx_shim.h"
#include "xdx_sim.h"

/* The code under test. */
#include "../../../drivers/xen/xen-dma-exchange.c"

static int failures, case_failed;
static unsigned long direct_maps;	/* served by upstream's direct path */

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		printf("# %s:%d: check failed: %s\n", __func__, __LINE__, #cond); \
		case_failed = 1;					\
	}								\
} while (0)

static u64 mask32 = DMA_BIT_MASK(32), mask64 = DMA_BIT_MASK(64);
static struct device dev32 = { .dma_mask = &mask32 };
static struct device dev64 = { .dma_mask = &mask64 };

static void reset(unsigned long low_frames)
{
	xen_dma_exchange_forget_all();
	memset(xdx_stats, 0, sizeof(xdx_stats));
	memset(&fail_xen_dma_exchange, 0, sizeof(fail_xen_dma_exchange));
	sim_init(low_frames, 1);
	xdx_enable = true;
	xdx_verify = true;
	xdx_max_order = XEN_DMA_EXCHANGE_MAX_ORDER;
	xdx_max_cached_mb = 256;
	xdx_low_budget_mb = 128;
	xdx_in_hardirq = false;
	xdx_fail_kzalloc = 0;
	direct_maps = 0;
	dev32.force_bounce = false;
	dev32.bus_dma_limit = 0;
}

static u64 st(enum xdx_stat s)
{
	return xen_dma_exchange_stat(s);
}

/* Would a device using @dma see exactly the CPU's bytes of [phys, +size)? */
static bool device_view_matches(struct device *dev, phys_addr_t phys,
				size_t size, dma_addr_t dma)
{
	size_t off;

	if (!dma_capable(dev, dma, size, true))
		return false;
	for (off = 0; off < size; off++) {
		unsigned char *m = sim_machine_byte(dma + off);
		phys_addr_t p = phys + off;

		if (!m || m != &sim_cpu_page(PHYS_PFN(p))[offset_in_page(p)])
			return false;
	}
	return true;
}

/* The swiotlb-xen map path with the hook, minus the bounce itself. */
static bool map(struct device *dev, phys_addr_t phys, size_t size,
		enum dma_data_direction dir, dma_addr_t *dma)
{
	unsigned long pfn, last = PHYS_PFN(phys + size - 1);
	bool contiguous = true;

	for (pfn = PHYS_PFN(phys); pfn < last; pfn++)
		if (xen_pfn_to_bfn_owned(pfn + 1) != xen_pfn_to_bfn_owned(pfn) + 1)
			contiguous = false;
	*dma = PFN_PHYS(xen_pfn_to_bfn_owned(PHYS_PFN(phys))) + offset_in_page(phys);
	if (contiguous && xen_pfn_to_bfn_owned(PHYS_PFN(phys)) != XEN_DMA_NO_FRAME &&
	    dma_capable(dev, *dma, size, true) && !is_swiotlb_force_bounce(dev)) {
		direct_maps++;
		return true;		/* upstream's direct path */
	}
	if (xen_dma_exchange_map(dev, phys, size, dir, 0, dma))
		return true;
	xen_dma_exchange_bounced(dev, size);
	return false;
}

static unsigned long count_regions(void)
{
	struct rb_node *n;
	unsigned long c = 0;

	for (n = rb_first(&xdx_regions); n; n = rb_next(n))
		c++;
	return c;
}

/* ---- unit tests ---- */

static void test_exchange_then_direct(void)
{
	dma_addr_t dma, dma2;
	phys_addr_t phys = PFN_PHYS(64);

	reset(1UL << 16);
	CHECK(map(&dev32, phys, 4 * PAGE_SIZE, DMA_TO_DEVICE, &dma));
	CHECK(st(XDX_EXCHANGES) == 1 && st(XDX_HITS) == 0 && direct_maps == 0);
	CHECK(device_view_matches(&dev32, phys, 4 * PAGE_SIZE, dma));
	CHECK(count_regions() == 1);
	/* same buffer: upstream's direct path now, no hypercall, no lookup */
	CHECK(map(&dev32, phys, 4 * PAGE_SIZE, DMA_TO_DEVICE, &dma2));
	CHECK(dma2 == dma && direct_maps == 1 && sim.exchange_calls == 1);
	/* a sub-range with an offset: direct, at the right address */
	CHECK(map(&dev32, phys + PAGE_SIZE + 100, 2000, DMA_FROM_DEVICE, &dma2));
	CHECK(dma2 == dma + PAGE_SIZE + 100 && direct_maps == 2);
	CHECK(device_view_matches(&dev32, phys + PAGE_SIZE + 100, 2000, dma2));
	CHECK(st(XDX_HITS) == 0 && st(XDX_MAPS) == 1);
	CHECK(st(XDX_BYTES_IN_PLACE) == 4 * PAGE_SIZE);
	CHECK(st(XDX_BOUNCES) == 0);
	/* the region cache still answers for the region */
	CHECK(xen_dma_exchange_lookup(&dev32, phys + PAGE_SIZE, PAGE_SIZE, &dma2));
	CHECK(dma2 == dma + PAGE_SIZE && st(XDX_HITS) == 1);
}

static void test_lookup_past_region_misses(void)
{
	dma_addr_t dma;

	reset(1UL << 16);
	CHECK(map(&dev32, PFN_PHYS(128), 2 * PAGE_SIZE, DMA_TO_DEVICE, &dma));
	/* straddles the region's end: not a hit; 4 pages at 128 get exchanged */
	CHECK(map(&dev32, PFN_PHYS(128), 4 * PAGE_SIZE, DMA_TO_DEVICE, &dma));
	CHECK(st(XDX_HITS) == 0 && st(XDX_EXCHANGES) == 2);
	/* the overlapped 2-page region was replaced, not kept beside */
	CHECK(count_regions() == 1 && st(XDX_INVALIDATIONS) == 1);
	CHECK(xdx_cached_bytes == 4 * PAGE_SIZE);
	CHECK(device_view_matches(&dev32, PFN_PHYS(128), 4 * PAGE_SIZE, dma));
}

static void test_regions_ordered_lookup(void)
{
	dma_addr_t dma;
	unsigned long pfn;

	reset(1UL << 16);
	for (pfn = 4096; pfn >= 256; pfn -= 256)
		CHECK(map(&dev32, PFN_PHYS(pfn), 8 * PAGE_SIZE, DMA_TO_DEVICE, &dma));
	CHECK(count_regions() == 16);
	for (pfn = 256; pfn <= 4096; pfn += 256) {
		CHECK(xen_dma_exchange_lookup(&dev32, PFN_PHYS(pfn + 3), PAGE_SIZE, &dma));
		CHECK(device_view_matches(&dev32, PFN_PHYS(pfn + 3), PAGE_SIZE, dma));
	}
	CHECK(st(XDX_HITS) == 16);
	/* between regions: a miss that exchanges anew */
	CHECK(map(&dev32, PFN_PHYS(300), PAGE_SIZE, DMA_TO_DEVICE, &dma));
	CHECK(st(XDX_HITS) == 16 && st(XDX_EXCHANGES) == 17);
}

static void test_eligibility(void)
{
	struct { const char *what; unsigned int flags; int ref, mapcount; bool has_mapping;
		 enum dma_data_direction dir; bool ok; } c[] = {
		{ "private page",		0, 1, 0, false, DMA_TO_DEVICE, true },
		{ "tail of private alloc",	0, 0, 0, false, DMA_BIDIRECTIONAL, true },
		{ "private, extra ref",		0, 2, 0, false, DMA_TO_DEVICE, false },
		{ "slab",			XPF_SLAB, 1, 0, false, DMA_TO_DEVICE, false },
		{ "reserved",			XPF_RESERVED, 1, 0, false, DMA_TO_DEVICE, false },
		{ "free (buddy)",		XPF_BUDDY, 0, 0, false, DMA_TO_DEVICE, false },
		{ "user mapped",		0, 1, 1, false, DMA_TO_DEVICE, false },
		{ "pagecache fill",		XPF_LOCKED, 3, 0, true, DMA_FROM_DEVICE, true },
		{ "pagecache fill, bidi",	XPF_LOCKED, 3, 0, true, DMA_BIDIRECTIONAL, false },
		{ "pagecache uptodate",		XPF_LOCKED | XPF_UPTODATE, 3, 0, true, DMA_FROM_DEVICE, false },
		{ "pagecache unlocked",		0, 3, 0, true, DMA_FROM_DEVICE, false },
		{ "pagecache writeback",	XPF_LOCKED | XPF_WRITEBACK, 3, 0, true, DMA_TO_DEVICE, false },
		{ "pagecache dirty",		XPF_LOCKED | XPF_DIRTY, 3, 0, true, DMA_FROM_DEVICE, false },
		{ "pagecache mmapped",		XPF_LOCKED, 3, 1, true, DMA_FROM_DEVICE, false },
		{ "anon swap-in",		XPF_LOCKED | XPF_ANON, 2, 0, true, DMA_FROM_DEVICE, false },
	};
	static int mapping_dummy;
	unsigned int i;

	reset(1UL << 16);
	for (i = 0; i < ARRAY_SIZE(c); i++) {
		struct page *p = pfn_to_page(500 + i);
		dma_addr_t dma;
		bool served;

		p->f.flags = c[i].flags;
		p->f.refcount = c[i].ref;
		p->f.mapcount = c[i].mapcount;
		p->f.mapping = c[i].has_mapping ? &mapping_dummy : NULL;
		if (xdx_page_eligible(p, c[i].dir) != c[i].ok) {
			printf("# eligibility of '%s' should be %d\n", c[i].what, c[i].ok);
			case_failed = 1;
		}
		served = map(&dev32, PFN_PHYS(500 + i), PAGE_SIZE, c[i].dir, &dma);
		CHECK(served == c[i].ok);
		if (served)
			CHECK(device_view_matches(&dev32, PFN_PHYS(500 + i), PAGE_SIZE, dma));
	}
}

static void test_refusal_reasons(void)
{
	dma_addr_t dma;

	reset(1UL << 16);
	/* three pages are not a power of two */
	CHECK(!map(&dev32, PFN_PHYS(10) + 1, 2 * PAGE_SIZE, DMA_TO_DEVICE, &dma));
	CHECK(st(XDX_SKIP_SHAPE) == 1);
	xdx_max_order = 2;
	CHECK(!map(&dev32, PFN_PHYS(16), 8 * PAGE_SIZE, DMA_TO_DEVICE, &dma));
	CHECK(st(XDX_SKIP_ORDER) == 1);
	xdx_max_order = XEN_DMA_EXCHANGE_MAX_ORDER;
	xdx_in_hardirq = true;
	CHECK(!map(&dev32, PFN_PHYS(16), PAGE_SIZE, DMA_TO_DEVICE, &dma));
	CHECK(st(XDX_SKIP_CONTEXT) == 1);
	xdx_in_hardirq = false;
	dev32.force_bounce = true;
	CHECK(!map(&dev32, PFN_PHYS(16), PAGE_SIZE, DMA_TO_DEVICE, &dma));
	CHECK(st(XDX_SKIP_FORCED) == 1);
	dev32.force_bounce = false;
	sim.foreign[17] = true;
	CHECK(!map(&dev32, PFN_PHYS(16), 2 * PAGE_SIZE, DMA_TO_DEVICE, &dma));
	CHECK(st(XDX_SKIP_FOREIGN) == 1);
	xdx_enable = false;
	CHECK(!map(&dev32, PFN_PHYS(32), PAGE_SIZE, DMA_TO_DEVICE, &dma));
	CHECK(st(XDX_SKIP_DISABLED) == 1 && st(XDX_MAPS) == 4 + 1);
	CHECK(!xen_dma_exchange_lookup(&dev32, PFN_PHYS(32), 0, &dma));
	CHECK(!xen_dma_exchange_map(&dev32, PFN_PHYS(32), 0, DMA_TO_DEVICE, 0, &dma));
	CHECK(st(XDX_BOUNCES) == 6 && st(XDX_EXCHANGES) == 0);
	CHECK(sim.exchange_calls == 0);
}

static void test_hypervisor_failures_fall_back(void)
{
	dma_addr_t dma;
	unsigned char before[PAGE_SIZE];

	reset(1UL << 16);
	/* steal_page() refuses a page with an extra reference */
	sim.pinned[41] = true;
	memcpy(before, sim_cpu_page(40), PAGE_SIZE);
	CHECK(!map(&dev32, PFN_PHYS(40), 2 * PAGE_SIZE, DMA_TO_DEVICE, &dma));
	CHECK(st(XDX_FAIL_HYPERVISOR) == 1 && st(XDX_BOUNCES) == 1);
	CHECK(!memcmp(before, sim_cpu_page(40), PAGE_SIZE));
	CHECK(count_regions() == 0 && xdx_cached_bytes == 0);
	/* no free memory under the limit */
	reset(0);
	CHECK(!map(&dev32, PFN_PHYS(40), PAGE_SIZE, DMA_TO_DEVICE, &dma));
	CHECK(st(XDX_FAIL_HYPERVISOR) == 1 && count_regions() == 0);
	/* ... while a 64-bit device still gets contiguity from high memory */
	CHECK(map(&dev64, PFN_PHYS(40), 4 * PAGE_SIZE, DMA_TO_DEVICE, &dma));
	CHECK(st(XDX_EXCHANGES) == 1);
	CHECK(device_view_matches(&dev64, PFN_PHYS(40), 4 * PAGE_SIZE, dma));
	/* region alloc failure */
	reset(1UL << 16);
	xdx_fail_kzalloc = 1;
	CHECK(!map(&dev32, PFN_PHYS(40), PAGE_SIZE, DMA_TO_DEVICE, &dma));
	CHECK(st(XDX_FAIL_NOMEM) == 1 && sim.exchange_calls == 0);
}

static void test_injected_failures(void)
{
	dma_addr_t dma;
	unsigned long pfn;

	reset(1UL << 16);
	fail_xen_dma_exchange.every = 3;
	for (pfn = 0; pfn < 30; pfn++)
		map(&dev32, PFN_PHYS(1000 + pfn * 2), PAGE_SIZE, DMA_TO_DEVICE, &dma);
	CHECK(st(XDX_FAIL_INJECTED) == 10 && st(XDX_EXCHANGES) == 20);
	CHECK(st(XDX_BOUNCES) == 10 && sim.exchange_calls == 20);
}

static void test_budgets(void)
{
	dma_addr_t dma;
	unsigned long pfn;

	reset(1UL << 16);
	xdx_low_budget_mb = 1;		/* 256 pages for 32-bit devices */
	for (pfn = 0; pfn < 8; pfn++)
		CHECK(map(&dev32, PFN_PHYS(2048 + pfn * 32), 32 * PAGE_SIZE, DMA_TO_DEVICE, &dma));
	CHECK(!map(&dev32, PFN_PHYS(4096), PAGE_SIZE, DMA_TO_DEVICE, &dma));
	CHECK(st(XDX_SKIP_BUDGET) == 1);
	unsigned long low;

	CHECK(xen_dma_exchange_cached_bytes(&low) == 1UL << 20 && low == 1UL << 20);
	/* 64-bit devices are not held by the low budget, only the total */
	xdx_max_cached_mb = 1;
	CHECK(!map(&dev64, PFN_PHYS(4096), 2 * PAGE_SIZE, DMA_TO_DEVICE, &dma));
	CHECK(st(XDX_SKIP_BUDGET) == 2);
	xdx_max_cached_mb = 2;
	CHECK(map(&dev64, PFN_PHYS(4096), 2 * PAGE_SIZE, DMA_TO_DEVICE, &dma));
	/* forgetting credits the budget */
	CHECK(xen_dma_exchange_forget_all() == 9);
	CHECK(xen_dma_exchange_cached_bytes(&low) == 0 && low == 0);
}

static void test_stale_region_never_used(void)
{
	dma_addr_t dma, dma2;

	reset(1UL << 16);
	CHECK(map(&dev32, PFN_PHYS(200), 8 * PAGE_SIZE, DMA_FROM_DEVICE, &dma));
	/* the balloon takes one page of the region and gives another back */
	sim_balloon_out(203);
	sim_balloon_in(203);
	CHECK(map(&dev32, PFN_PHYS(200), 8 * PAGE_SIZE, DMA_FROM_DEVICE, &dma2));
	CHECK(st(XDX_STALE) == 1 && st(XDX_HITS) == 0);
	CHECK(st(XDX_INVALIDATIONS) == 1 && st(XDX_EXCHANGES) == 2);
	CHECK(device_view_matches(&dev32, PFN_PHYS(200), 8 * PAGE_SIZE, dma2));
	/* a page of a region ballooned out and not back: never a hit */
	sim_balloon_out(201);
	CHECK(!xen_dma_exchange_lookup(&dev32, PFN_PHYS(201), PAGE_SIZE, &dma));
	CHECK(st(XDX_STALE) == 2 && count_regions() == 0 && xdx_cached_bytes == 0);
	/* a region later grant-mapped over */
	sim_balloon_in(201);
	CHECK(map(&dev32, PFN_PHYS(208), 2 * PAGE_SIZE, DMA_TO_DEVICE, &dma));
	sim.foreign[209] = true;
	CHECK(!xen_dma_exchange_lookup(&dev32, PFN_PHYS(208), 2 * PAGE_SIZE, &dma));
	CHECK(st(XDX_STALE) == 3);
}

static void test_hit_respects_device_limit(void)
{
	dma_addr_t dma;

	reset(1UL << 16);
	/* exchanged for a 64-bit device: contiguous, but may be high */
	CHECK(map(&dev64, PFN_PHYS(300), 4 * PAGE_SIZE, DMA_TO_DEVICE, &dma));
	if (dma + 4 * PAGE_SIZE - 1 > DMA_BIT_MASK(32)) {
		CHECK(!xen_dma_exchange_lookup(&dev32, PFN_PHYS(300), 4 * PAGE_SIZE, &dma));
		CHECK(map(&dev32, PFN_PHYS(300), 4 * PAGE_SIZE, DMA_TO_DEVICE, &dma));
		CHECK(device_view_matches(&dev32, PFN_PHYS(300), 4 * PAGE_SIZE, dma));
	}
	/* a device capped below the region by its bus limit */
	dev32.bus_dma_limit = DMA_BIT_MASK(20);
	CHECK(!xen_dma_exchange_lookup(&dev32, PFN_PHYS(300), PAGE_SIZE, &dma));
	dev32.bus_dma_limit = 0;
	/* swiotlb forced for the device: even a valid region is not used */
	CHECK(map(&dev32, PFN_PHYS(500), 2 * PAGE_SIZE, DMA_TO_DEVICE, &dma));
	CHECK(xen_dma_exchange_lookup(&dev32, PFN_PHYS(500), 2 * PAGE_SIZE, &dma));
	dev32.force_bounce = true;
	CHECK(!xen_dma_exchange_lookup(&dev32, PFN_PHYS(500), 2 * PAGE_SIZE, &dma));
	dev32.force_bounce = false;
}

static void test_verify_catches_m2p_mismatch(void)
{
	dma_addr_t dma;
	unsigned long bfn;

	reset(1UL << 16);
	CHECK(map(&dev32, PFN_PHYS(400), 4 * PAGE_SIZE, DMA_TO_DEVICE, &dma));
	CHECK(st(XDX_VERIFIED) == 1 && st(XDX_VERIFY_FAILED) == 0);
	CHECK(xen_dma_exchange_lookup(&dev32, PFN_PHYS(400), 4 * PAGE_SIZE, &dma));
	CHECK(st(XDX_VERIFIED) == 2 && st(XDX_VERIFY_FAILED) == 0);
	/* the M2P says another page owns a frame the P2M still names */
	bfn = PHYS_PFN(dma) + 2;
	sim.m2p[bfn] = 999;
	CHECK(!xen_dma_exchange_lookup(&dev32, PFN_PHYS(400), 4 * PAGE_SIZE, &dma));
	CHECK(st(XDX_VERIFY_FAILED) == 1);
	/* pages before the bad one still verify */
	CHECK(xen_dma_exchange_lookup(&dev32, PFN_PHYS(400), 2 * PAGE_SIZE, &dma));
	/* verify mode off: the cache alone decides, as it does by default */
	xdx_verify = false;
	CHECK(xen_dma_exchange_lookup(&dev32, PFN_PHYS(400), 4 * PAGE_SIZE, &dma));
	CHECK(st(XDX_VERIFY_FAILED) == 1 && st(XDX_VERIFIED) == 4);
	sim.m2p[bfn] = 402;
}

static void test_params_reject_bad_values(void)
{
	struct kernel_param kp = { .arg = &xdx_max_cached_mb };

	reset(1UL << 16);
	CHECK(xdx_set_max_order("11", NULL) == -EINVAL);
	CHECK(xdx_set_max_order("-1", NULL) == -EINVAL);
	CHECK(xdx_set_max_order("abc", NULL) == -EINVAL);
	CHECK(xdx_set_max_order("", NULL) == -EINVAL);
	CHECK(xdx_max_order == XEN_DMA_EXCHANGE_MAX_ORDER);
	CHECK(xdx_set_max_order("3\n", NULL) == 0 && xdx_max_order == 3);
	CHECK(xdx_set_mb("99999999999", &kp) == -EINVAL);
	CHECK(xdx_set_mb("12x", &kp) == -EINVAL);
	CHECK(xdx_max_cached_mb == 256);
	CHECK(xdx_set_mb("64", &kp) == 0 && xdx_max_cached_mb == 64);
}

/* ---- randomized model test ---- */

static void test_random_model(unsigned long iters, unsigned int seed)
{
	static int mapping_dummy;
	unsigned long i, served = 0, bounced = 0, bytes_checked = 0;
	struct device *devs[] = { &dev32, &dev64 };

	reset(1UL << 14);			/* 64 MiB of low memory */
	srand(seed);
	fail_xen_dma_exchange.every = 7;
	xdx_low_budget_mb = 16;
	for (i = 0; i < iters; i++) {
		unsigned int op = rand() % 100;
		unsigned long pfn = 1024 + rand() % 1024;	/* a hot working set */

		if (op < 3) {
			/* balloon cycle: the page's frame is replaced */
			sim_balloon_out(pfn);
			sim_balloon_in(pfn);
		} else if (op < 5) {
			sim_balloon_out(pfn);
		} else if (op < 6) {
			sim_balloon_in(pfn);
		} else if (op < 8) {
			sim.foreign[pfn] = !sim.foreign[pfn];
		} else if (op < 10) {
			struct page *p = pfn_to_page(pfn);

			p->f.flags = (rand() % 4 == 0) ? XPF_SLAB : 0;
			p->f.mapcount = rand() % 5 == 0;
			p->f.mapping = rand() % 3 == 0 ? &mapping_dummy : NULL;
			p->f.flags |= rand() % 2 ? XPF_LOCKED : 0;
		} else if (op < 11) {
			sim.pinned[pfn] = !sim.pinned[pfn];
		} else if (op < 12) {
			if (rand() % 50 == 0)
				xen_dma_exchange_forget_all();
		} else {
			struct device *dev = devs[rand() % 2];
			unsigned int order = rand() % 7;
			size_t size = (PAGE_SIZE << order) - (rand() % 3 ? 0 : rand() % 2048);
			phys_addr_t phys = PFN_PHYS(pfn) + (rand() % 4 ? 0 : rand() % 512);
			/* mostly a driver's long-lived buffers, mapped again and again */
			if (rand() % 5) {
				unsigned int b = rand() % 32;

				order = b % 6;
				phys = PFN_PHYS(1024 + b * 64);
				size = PAGE_SIZE << order;
				dev = devs[b % 3 == 0];
			}
			enum dma_data_direction dir = rand() % 3;
			unsigned long p, last = PHYS_PFN(phys + size - 1);
			bool have_frames = true;
			dma_addr_t dma;

			for (p = PHYS_PFN(phys); p <= last; p++)
				if (sim.p2m[p] == SIM_NO_FRAME || sim.foreign[p])
					have_frames = false;
			if (!have_frames)
				continue;	/* not a buffer a driver could own */
			if (map(dev, phys, size, dir, &dma)) {
				served++;
				bytes_checked += size;
				if (!device_view_matches(dev, phys, size, dma)) {
					printf("# iter %lu: bad bus address %#llx for phys %#llx size %zu\n",
					       i, (unsigned long long)dma,
					       (unsigned long long)phys, size);
					case_failed = 1;
					return;
				}
			} else {
				bounced++;
			}
		}
	}
	/* the cache's own books balance */
	{
		struct rb_node *n;
		unsigned long sum = 0, prev_end = 0;

		for (n = rb_first(&xdx_regions); n; n = rb_next(n)) {
			struct xdx_region *r = rb_entry(n, struct xdx_region, node);

			CHECK(r->pfn >= prev_end);	/* sorted, no overlap */
			prev_end = r->pfn + (1UL << r->order);
			sum += PAGE_SIZE << r->order;
		}
		CHECK(sum == xdx_cached_bytes);
	}
	CHECK(xdx_lock.held == 0);
	/* exchanged buffers are later served by the direct path */
	CHECK(served > 0 && bounced > 0 && direct_maps > 0 && st(XDX_STALE) > 0);
	CHECK(st(XDX_FAIL_INJECTED) > 0 && st(XDX_FAIL_HYPERVISOR) > 0);
	/* verify mode cross-checked every in-place mapping through the M2P */
	CHECK(st(XDX_VERIFIED) == st(XDX_HITS) + st(XDX_EXCHANGES));
	CHECK(st(XDX_VERIFY_FAILED) == 0);
	printf("# model: verify mode: %llu in-place mappings checked through the M2P, %llu failures\n",
	       (unsigned long long)st(XDX_VERIFIED), (unsigned long long)st(XDX_VERIFY_FAILED));
	printf("# model: %lu iterations, %lu served in place (%lu bytes checked against the P2M), %lu bounced\n",
	       iters, served, bytes_checked, bounced);
	printf("# model: direct %lu hits %llu exchanges %llu stale %llu injected %llu hv-failed %llu budget %llu\n",
	       direct_maps, (unsigned long long)st(XDX_HITS), (unsigned long long)st(XDX_EXCHANGES),
	       (unsigned long long)st(XDX_STALE), (unsigned long long)st(XDX_FAIL_INJECTED),
	       (unsigned long long)st(XDX_FAIL_HYPERVISOR), (unsigned long long)st(XDX_SKIP_BUDGET));
}

static unsigned long model_iters = 20000;
static unsigned int model_seed = 42;

static void run_model(void)
{
	test_random_model(model_iters, model_seed);
}

static const struct { const char *name; void (*fn)(void); } cases[] = {
	{ "exchange_then_direct", test_exchange_then_direct },
	{ "lookup_past_region_misses", test_lookup_past_region_misses },
	{ "regions_ordered_lookup", test_regions_ordered_lookup },
	{ "eligibility", test_eligibility },
	{ "refusal_reasons", test_refusal_reasons },
	{ "hypervisor_failures_fall_back", test_hypervisor_failures_fall_back },
	{ "injected_failures", test_injected_failures },
	{ "budgets", test_budgets },
	{ "stale_region_never_used", test_stale_region_never_used },
	{ "hit_respects_device_limit", test_hit_respects_device_limit },
	{ "verify_catches_m2p_mismatch", test_verify_catches_m2p_mismatch },
	{ "params_reject_bad_values", test_params_reject_bad_values },
	{ "random_model", run_model },
};

int main(int argc, char **argv)
{
	unsigned int i;

	if (argc > 1)
		model_iters = strtoul(argv[1], NULL, 0);
	if (argc > 2)
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
