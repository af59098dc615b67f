// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for exchange-on-demand DMA, run inside a Xen PV domain with
 * real hypercalls.  They map through the real swiotlb-xen ops with a test
 * device whose DMA mask is 32 bits, so in a domain whose frames sit above
 * 4 GiB every mapping reaches the backend: it is copied into a region the
 * backend owns, machine contiguous below 4 GiB, or bounced through the
 * fixed swiotlb pool.  The device is played by the test, through the
 * kernel mapping of the frame Xen's M2P gives for the bus address.
 *
 * Other DMA runs in the domain meanwhile: the checks are on the mappings
 * themselves, and the counters are only checked as lower bounds.
 */
#include <kunit/device.h>
#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/bits.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/scatterlist.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/swiotlb.h>
#include <linux/vmalloc.h>
#include <xen/xen.h>
#include <xen/dma-exchange.h>
#include <asm/xen/page.h>

#include "xen-dma-exchange.h"

#define XDX_4G		BIT_ULL(32)
/* How long to wait for the worker to build a region: 500 x 20 ms */
#define XDX_WAIT_TRIES	500
#define XDX_WAIT_MS	20

struct xdx_test_ctx {
	struct device *dev;
};

/* A streaming mapping of the test device, unmapped at the latest when the case ends. */
struct xdx_map {
	struct device *dev;
	void *buf;
	size_t len;
	enum dma_data_direction dir;
	unsigned long attrs;
	dma_addr_t dma;
};

static int xdx_test_init(struct kunit *test)
{
	struct xdx_test_ctx *ctx;

	if (!xen_pv_domain())
		kunit_skip(test, "not a Xen PV domain");
	if (!xen_dma_exchange_enabled())
		kunit_skip(test, "backend off (xen_dma_exchange.enable=0)");
	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->dev = kunit_device_register(test, "xen-dma-exchange-test");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ctx->dev);
	ctx->dev->dma_mask = &ctx->dev->coherent_dma_mask;
	KUNIT_ASSERT_EQ(test, dma_set_mask_and_coherent(ctx->dev, DMA_BIT_MASK(32)), 0);
	test->priv = ctx;
	return 0;
}

static u8 xdx_pattern(size_t i, u8 seed)
{
	return (u8)(i * 7 + seed + (i >> 12));
}

static void xdx_fill(void *buf, size_t len, u8 seed)
{
	u8 *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = xdx_pattern(i, seed);
}

/* Does [@from, @to) of @buf hold what xdx_fill(@buf, ..., @seed) put there? */
static bool xdx_check_range(const void *buf, size_t from, size_t to, u8 seed)
{
	const u8 *p = buf;
	size_t i;

	for (i = from; i < to; i++)
		if (p[i] != xdx_pattern(i, seed))
			return false;
	return true;
}

static bool xdx_check_fill(const void *buf, size_t len, u8 seed)
{
	return xdx_check_range(buf, 0, len, seed);
}

/*
 * The machine frame behind @pfn, or XEN_DMA_NO_FRAME if it has none or
 * is a foreign (grant) mapping or an identity (MMIO) frame.
 */
static unsigned long xdx_pfn_to_bfn_owned(unsigned long pfn)
{
	unsigned long mfn = __pfn_to_mfn(pfn);

	if (mfn == INVALID_P2M_ENTRY ||
	    (mfn & (FOREIGN_FRAME_BIT | IDENTITY_FRAME_BIT)))
		return XEN_DMA_NO_FRAME;
	return mfn;
}

/* Are the frames of @len bytes at @buf all ours and above 4 GiB? */
static bool xdx_buf_high(void *buf, size_t len)
{
	unsigned long pfn = PHYS_PFN(virt_to_phys(buf));
	unsigned long last = PHYS_PFN(virt_to_phys(buf) + len - 1);
	unsigned long bfn;

	for (; pfn <= last; pfn++) {
		bfn = xdx_pfn_to_bfn_owned(pfn);
		if (bfn == XEN_DMA_NO_FRAME || bfn < PHYS_PFN(XDX_4G))
			return false;
	}
	return true;
}

static void xdx_free_pages(void *page)
{
	__free_pages(page, compound_order(page));
}

/*
 * 2^@order pages whose frames are all above 4 GiB, freed when the case
 * ends.  Pages of regions given back to Xen may have come back low, so
 * hold on to such blocks while trying again, then free them.
 */
static struct page *xdx_alloc_high(struct kunit *test, unsigned int order)
{
	struct page *held[8], *page = NULL;
	int i, n = 0;

	while (n < ARRAY_SIZE(held)) {
		page = alloc_pages(GFP_KERNEL | __GFP_COMP | __GFP_NOWARN, order);
		if (!page || xdx_buf_high(page_address(page), PAGE_SIZE << order))
			break;
		held[n++] = page;
		page = NULL;
	}
	for (i = 0; i < n; i++)
		__free_pages(held[i], order);
	if (!page)
		kunit_skip(test, "no order-%u allocation above 4 GiB", order);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, xdx_free_pages, page), 0);
	return page;
}

/* The same for a kmalloc() buffer of @len bytes, freed when the case ends. */
static void *xdx_kmalloc_high(struct kunit *test, size_t len)
{
	void *held[8], *buf = NULL;
	int i, n = 0;

	while (n < ARRAY_SIZE(held)) {
		buf = kunit_kmalloc(test, len, GFP_KERNEL | __GFP_NOWARN);
		if (!buf || xdx_buf_high(buf, len))
			break;
		held[n++] = buf;
		buf = NULL;
	}
	for (i = 0; i < n; i++)
		kunit_kfree(test, held[i]);
	if (!buf)
		kunit_skip(test, "no %zu-byte kmalloc() buffer above 4 GiB", len);
	return buf;
}

static void xdx_unmap_action(void *data)
{
	struct xdx_map *m = data;

	dma_unmap_page_attrs(m->dev, m->dma, m->len, m->dir, m->attrs);
}

/*
 * Map @len bytes at @buf for the test device.  Return: the mapping, which
 * xdx_unmap() or the end of the case unmaps; NULL if the mapping failed.
 */
static struct xdx_map *xdx_map(struct kunit *test, void *buf, size_t len,
			       enum dma_data_direction dir, unsigned long attrs)
{
	struct xdx_test_ctx *ctx = test->priv;
	struct xdx_map *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, m);
	m->dev = ctx->dev;
	m->buf = buf;
	m->len = len;
	m->dir = dir;
	m->attrs = attrs;
	m->dma = dma_map_page_attrs(ctx->dev, virt_to_page(buf),
				    offset_in_page(buf), len, dir, attrs);
	if (dma_mapping_error(ctx->dev, m->dma))
		return NULL;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, xdx_unmap_action, m), 0);
	return m;
}

static void xdx_unmap(struct kunit *test, struct xdx_map *m)
{
	kunit_release_action(test, xdx_unmap_action, m);
}

/*
 * What the device sees at @dma: the page Xen's M2P names for its frame,
 * or NULL if it names none of this domain's.
 */
static void *xdx_bus_virt(dma_addr_t dma)
{
	unsigned long pfn = xen_bfn_to_pfn_m2p(PHYS_PFN(dma));

	if (pfn == XEN_DMA_NO_FRAME || !pfn_valid(pfn))
		return NULL;
	return page_address(pfn_to_page(pfn)) + offset_in_page(dma);
}

/* xdx_bus_virt(), which must name a page of this domain */
static void *xdx_bus_to_virt(struct kunit *test, dma_addr_t dma)
{
	void *virt = xdx_bus_virt(dma);

	KUNIT_ASSERT_NOT_NULL_MSG(test, virt, "bus address %pad not in Xen's M2P", &dma);
	return virt;
}

/* The mapped owned region @dma lies in, or NULL (bounced, or direct). */
static struct xdx_region *xdx_bus_region(dma_addr_t dma)
{
	void *virt = xdx_bus_virt(dma);

	return virt ? xdx_region_find(virt_to_phys(virt), NULL) : NULL;
}

/*
 * @m is served by an owned region: its bus address is the region's
 * machine address at the buffer's page offset, below 4 GiB and not the
 * buffer's own frame; the region records the buffer and, whatever the
 * direction, holds its bytes.
 */
static struct xdx_region *xdx_expect_region(struct kunit *test,
					    struct xdx_map *m)
{
	struct xdx_region *r = xdx_bus_region(m->dma);
	phys_addr_t phys = virt_to_phys(m->buf);

	KUNIT_ASSERT_NOT_NULL_MSG(test, r, "bus %pad is in no mapped region",
				  &m->dma);
	KUNIT_EXPECT_TRUE(test, xdx_region_mapped(r));
	KUNIT_EXPECT_EQ(test, phys_to_dma(m->dev, r->maddr + r->offset), m->dma);
	KUNIT_EXPECT_LE(test, m->dma + m->len, XDX_4G);
	KUNIT_EXPECT_EQ(test, offset_in_page(m->dma), offset_in_page(phys));
	KUNIT_EXPECT_NE(test, PHYS_PFN(m->dma),
			xdx_pfn_to_bfn_owned(PHYS_PFN(phys)));
	KUNIT_EXPECT_EQ(test, r->orig, phys);
	KUNIT_EXPECT_EQ(test, r->size, m->len);
	KUNIT_EXPECT_EQ(test, memcmp(xdx_bus_to_virt(test, m->dma), m->buf,
				     m->len), 0);
	return r;
}

/*
 * Map @buf until the mapping is served by a region.  A size above
 * atomic_order whose free list is empty (just used, or flushed) goes to
 * the fixed pool, or fails beyond its 256 KiB, and has the worker build
 * regions of that size.
 */
static struct xdx_map *xdx_map_region(struct kunit *test, void *buf,
				      size_t len, enum dma_data_direction dir)
{
	struct xdx_map *m;
	int i;

	for (i = 0; i < XDX_WAIT_TRIES; i++) {
		m = xdx_map(test, buf, len, dir, DMA_ATTR_NO_WARN);
		if (m && xdx_bus_region(m->dma))
			return m;
		if (m)
			xdx_unmap(test, m);
		msleep(XDX_WAIT_MS);
	}
	KUNIT_FAIL(test, "no region for %zu bytes after %d tries", len, i);
	return NULL;
}

/*
 * The mapping runs through swiotlb-xen's path: with a 32-bit mask it is
 * served by a region, and even direct (64-bit mask) the bus address is the
 * machine frame, not the PFN.  The guest suite greps for the line.
 */
static void xdx_test_bus_differs_from_pfn(struct kunit *test)
{
	struct xdx_test_ctx *ctx = test->priv;
	struct page *page = xdx_alloc_high(test, 0);
	unsigned long pfn = page_to_pfn(page);
	void *buf = page_address(page);
	struct xdx_map *m;

	xdx_fill(buf, PAGE_SIZE, 0x3c);
	m = xdx_map(test, buf, PAGE_SIZE, DMA_TO_DEVICE, 0);
	KUNIT_ASSERT_NOT_NULL(test, m);
	pr_info("xen_dma_exchange_test: pfn %#lx bus %#llx %s\n", pfn,
		(unsigned long long)m->dma,
		PHYS_PFN(m->dma) != pfn ? "differs" : "equal");
	KUNIT_EXPECT_NE(test, PHYS_PFN(m->dma), pfn);
	xdx_expect_region(test, m);
	xdx_unmap(test, m);

	/* a 64-bit device gets the page's own frame, and no region */
	KUNIT_ASSERT_EQ(test, dma_set_mask(ctx->dev, DMA_BIT_MASK(64)), 0);
	m = xdx_map(test, buf, PAGE_SIZE, DMA_TO_DEVICE, 0);
	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_EXPECT_NE(test, PHYS_PFN(m->dma), pfn);
	KUNIT_EXPECT_EQ(test, PHYS_PFN(m->dma), xdx_pfn_to_bfn_owned(pfn));
	KUNIT_EXPECT_NULL(test, xdx_bus_region(m->dma));
	xdx_unmap(test, m);
}

/*
 * Map @len bytes at @buf in @dir: the region holds the buffer's bytes;
 * the device overwrites them all; the unmap copies them back for
 * DMA_FROM_DEVICE and DMA_BIDIRECTIONAL, never for DMA_TO_DEVICE.
 */
static void xdx_roundtrip(struct kunit *test, void *buf, size_t len,
			  enum dma_data_direction dir)
{
	u64 hits = xen_dma_exchange_stat(XDX_HITS);
	struct xdx_map *m;

	xdx_fill(buf, len, 0x21);
	m = xdx_map(test, buf, len, dir, 0);
	KUNIT_ASSERT_NOT_NULL(test, m);
	xdx_expect_region(test, m);
	KUNIT_EXPECT_GE(test, xen_dma_exchange_stat(XDX_HITS), hits + 1);

	xdx_fill(xdx_bus_to_virt(test, m->dma), len, 0x9e);
	KUNIT_EXPECT_TRUE(test, xdx_check_fill(buf, len, 0x21));
	xdx_unmap(test, m);
	KUNIT_EXPECT_TRUE(test, xdx_check_fill(buf, len,
					       dir == DMA_TO_DEVICE ? 0x21 : 0x9e));
}

/* a slab object */
static void xdx_test_to_device(struct kunit *test)
{
	xdx_roundtrip(test, xdx_kmalloc_high(test, 1500), 1500, DMA_TO_DEVICE);
}

/* whole pages */
static void xdx_test_from_device(struct kunit *test)
{
	struct page *page = xdx_alloc_high(test, 2);

	xdx_roundtrip(test, page_address(page), PAGE_SIZE << 2, DMA_FROM_DEVICE);
}

/* a large kmalloc() buffer, not a whole number of pages */
static void xdx_test_bidirectional(struct kunit *test)
{
	xdx_roundtrip(test, xdx_kmalloc_high(test, 20000), 20000,
		      DMA_BIDIRECTIONAL);
}

/* Syncs of part of a mapping copy that part only, each way. */
static void xdx_test_partial_sync(struct kunit *test)
{
	struct xdx_test_ctx *ctx = test->priv;
	const size_t len = PAGE_SIZE << 2;
	const size_t off_cpu = PAGE_SIZE + 100, n_cpu = 300;
	const size_t off_dev = 2 * PAGE_SIZE + 7, n_dev = PAGE_SIZE;
	void *buf = page_address(xdx_alloc_high(test, 2));
	struct xdx_map *m;
	void *dev;

	xdx_fill(buf, len, 0x10);
	m = xdx_map(test, buf, len, DMA_BIDIRECTIONAL, 0);
	KUNIT_ASSERT_NOT_NULL(test, m);
	xdx_expect_region(test, m);
	dev = xdx_bus_to_virt(test, m->dma);

	/* the device writes it all, the CPU syncs a part */
	xdx_fill(dev, len, 0x20);
	dma_sync_single_range_for_cpu(ctx->dev, m->dma, off_cpu, n_cpu,
				      DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_TRUE(test, xdx_check_range(buf, 0, off_cpu, 0x10));
	KUNIT_EXPECT_TRUE(test, xdx_check_range(buf, off_cpu, off_cpu + n_cpu,
						0x20));
	KUNIT_EXPECT_TRUE(test, xdx_check_range(buf, off_cpu + n_cpu, len,
						0x10));

	/* the CPU writes it all, and gives a part to the device */
	xdx_fill(buf, len, 0x30);
	dma_sync_single_range_for_device(ctx->dev, m->dma, off_dev, n_dev,
					 DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_TRUE(test, xdx_check_range(dev, 0, off_dev, 0x20));
	KUNIT_EXPECT_TRUE(test, xdx_check_range(dev, off_dev, off_dev + n_dev,
						0x30));
	KUNIT_EXPECT_TRUE(test, xdx_check_range(dev, off_dev + n_dev, len,
						0x20));

	/* the unmap copies back what the device holds */
	xdx_unmap(test, m);
	KUNIT_EXPECT_TRUE(test, xdx_check_range(buf, 0, off_dev, 0x20));
	KUNIT_EXPECT_TRUE(test, xdx_check_range(buf, off_dev, off_dev + n_dev,
						0x30));
	KUNIT_EXPECT_TRUE(test, xdx_check_range(buf, off_dev + n_dev, len,
						0x20));
}

/*
 * A DMA_FROM_DEVICE region starts with the caller's bytes, not with those
 * of its previous mapping: a device that writes only part of it leaves
 * the rest of the buffer as it was.
 */
static void xdx_test_from_device_prefill(struct kunit *test)
{
	const size_t len = PAGE_SIZE << 1, written = 100;
	void *old = page_address(xdx_alloc_high(test, 1));
	void *buf = page_address(xdx_alloc_high(test, 1));
	struct xdx_map *m;

	/* leave data of another buffer in a free region of this size */
	xdx_fill(old, len, 0x55);
	m = xdx_map(test, old, len, DMA_TO_DEVICE, 0);
	KUNIT_ASSERT_NOT_NULL(test, m);
	xdx_expect_region(test, m);
	xdx_unmap(test, m);

	xdx_fill(buf, len, 0x66);
	m = xdx_map(test, buf, len, DMA_FROM_DEVICE, 0);
	KUNIT_ASSERT_NOT_NULL(test, m);
	xdx_expect_region(test, m);
	memset(xdx_bus_to_virt(test, m->dma), 0xab, written);
	xdx_unmap(test, m);
	KUNIT_EXPECT_NULL(test, memchr_inv(buf, 0xab, written));
	KUNIT_EXPECT_TRUE(test, xdx_check_range(buf, written, len, 0x66));
}

/*
 * An unaligned offset past the first page of a multi-page allocation: the
 * region keeps the page offset and holds the right bytes.
 */
static void xdx_test_offset_past_page(struct kunit *test)
{
	const size_t len = PAGE_SIZE << 1, off = PAGE_SIZE + 100, n = 200;
	void *base = page_address(xdx_alloc_high(test, 1));
	struct xdx_map *m;

	xdx_fill(base, len, 0x4d);
	m = xdx_map(test, base + off, n, DMA_TO_DEVICE, 0);
	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_EXPECT_EQ(test, offset_in_page(m->dma), 100);
	xdx_expect_region(test, m);
	xdx_unmap(test, m);
	KUNIT_EXPECT_TRUE(test, xdx_check_fill(base, len, 0x4d));
}

/*
 * A region goes back on unmap to this CPU's magazine of its size (sizes
 * up to 32 KiB): the next mapping of its size on the same CPU reuses it,
 * at the same bus address, without an exchange (counted:
 * no exchange in a mapping call meanwhile), and with cpu_cache at its
 * default, without the global lock.  The task stays on one CPU for both
 * mappings; mapping and unmapping may sleep.  Another mapping on that CPU
 * between the two (a disk's, from an interrupt) may take the region
 * first, or another device's mapping exchange meanwhile: that is tried
 * again, up to XDX_REUSE_TRIES times in all.
 */
#define XDX_REUSE_TRIES	3

static void xdx_test_region_reused(struct kunit *test)
{
	const size_t len = PAGE_SIZE << 2;
	void *buf = page_address(xdx_alloc_high(test, 2));
	struct xdx_map *m, *again = NULL;
	u64 reuses = 0, on_cpu = 0, in_call = 0, in_call_after = 0;
	struct xdx_region *r = NULL;
	dma_addr_t first = 0;
	int try;

	for (try = 1; try <= XDX_REUSE_TRIES; try++) {
		if (again)
			xdx_unmap(test, again);
		xdx_fill(buf, len, 0x71);
		migrate_disable();
		m = xdx_map(test, buf, len, DMA_TO_DEVICE, 0);
		if (m) {
			first = m->dma;
			r = xdx_bus_region(first);
			xdx_unmap(test, m);
			reuses = xen_dma_exchange_stat(XDX_REUSES);
			on_cpu = xen_dma_exchange_stat(XDX_CPU_REUSES);
			in_call = xen_dma_exchange_stat(XDX_MAP_EXCHANGES);
			xdx_fill(buf, len, 0x72);
			again = xdx_map(test, buf, len, DMA_TO_DEVICE, 0);
		}
		migrate_enable();
		KUNIT_ASSERT_NOT_NULL(test, m);
		KUNIT_ASSERT_NOT_NULL(test, r);
		KUNIT_ASSERT_NOT_NULL(test, again);
		in_call_after = xen_dma_exchange_stat(XDX_MAP_EXCHANGES);
		if (again->dma == first && in_call_after == in_call)
			break;
	}
	if (try > XDX_REUSE_TRIES)
		kunit_info(test, "not reused in %d tries\n", XDX_REUSE_TRIES);
	else if (try > 1)
		kunit_info(test, "reused at try %d\n", try);
	KUNIT_EXPECT_GE(test, xen_dma_exchange_stat(XDX_REUSES), reuses + 1);
	KUNIT_EXPECT_GE(test, xen_dma_exchange_stat(XDX_CPU_REUSES), on_cpu + 1);
	/* no exchange in a mapping call, of any device, during the second */
	KUNIT_EXPECT_EQ(test, in_call_after, in_call);
	KUNIT_EXPECT_EQ(test, again->dma, first);
	KUNIT_EXPECT_PTR_EQ(test, xdx_expect_region(test, again), r);
	xdx_unmap(test, again);
}

struct xdx_large_param {
	size_t len;
	bool kmalloc;
	const char *desc;
};

static const struct xdx_large_param xdx_large_params[] = {
	{ .len = SZ_1M, .desc = "1 MiB, alloc_pages order 8" },
	{ .len = SZ_2M, .desc = "2 MiB, alloc_pages order 9" },
	{ .len = SZ_4M, .desc = "4 MiB, alloc_pages order 10" },
	{ .len = SZ_1M + SZ_512K, .kmalloc = true, .desc = "1.5 MiB, kmalloc" },
};

static void xdx_large_desc(const struct xdx_large_param *p, char *desc)
{
	strscpy(desc, p->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(xdx_large, xdx_large_params, xdx_large_desc);

/*
 * Mappings beyond the fixed pool's 256 KiB, served by a region of their
 * order: the reserve, or the worker's.
 */
static void xdx_test_large_mapping(struct kunit *test)
{
	const struct xdx_large_param *p = test->param_value;
	struct xdx_map *m;
	void *buf;

	if (p->kmalloc)
		buf = xdx_kmalloc_high(test, p->len);
	else
		buf = page_address(xdx_alloc_high(test, get_order(p->len)));
	xdx_fill(buf, p->len, 0x5e);
	m = xdx_map_region(test, buf, p->len, DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	/* its own size, or a larger free one borrowed */
	KUNIT_EXPECT_GE(test, xdx_expect_region(test, m)->order,
			get_order(p->len));
	xdx_fill(xdx_bus_to_virt(test, m->dma), p->len, 0xe5);
	xdx_unmap(test, m);
	KUNIT_EXPECT_TRUE(test, xdx_check_fill(buf, p->len, 0xe5));
}

static const size_t xdx_vmalloc_lens[] = { SZ_1M, SZ_2M, SZ_4M };

static void xdx_vmalloc_desc(const size_t *len, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%zu MiB", *len >> 20);
}

KUNIT_ARRAY_PARAM(xdx_vmalloc, xdx_vmalloc_lens, xdx_vmalloc_desc);

static void xdx_vfree_action(void *buf)
{
	vfree(buf);
}

static void xdx_sg_free_action(void *sgt)
{
	sg_free_table(sgt);
}

/*
 * vmalloc() memory of 1, 2 and 4 MiB, mapped as drivers map it: a
 * scatterlist of its pages.  Its pages may not be exchanged in place; each
 * entry (a page) is served as a single mapping is, by a region where
 * one can be had.  The device sees every byte, what it writes comes back
 * on unmap, and regions serve entries (the rest: the fixed pool, or
 * direct for a page below 4 GiB).
 */
static void xdx_test_vmalloc_sg(struct kunit *test)
{
	struct xdx_test_ctx *ctx = test->priv;
	const size_t len = *(const size_t *)test->param_value;
	unsigned int i, via_region = 0, unseen = 0, differ = 0, high = 0;
	struct scatterlist *sg;
	struct sg_table *sgt;
	size_t off = 0, j;
	void *buf, *bus;
	u8 *dev;

	buf = vmalloc(len);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, xdx_vfree_action, buf), 0);
	sgt = kunit_kzalloc(test, sizeof(*sgt), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sgt);
	KUNIT_ASSERT_EQ(test, sg_alloc_table(sgt, len >> PAGE_SHIFT, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, xdx_sg_free_action, sgt), 0);
	for_each_sgtable_sg(sgt, sg, i) {
		sg_set_page(sg, vmalloc_to_page(buf + i * PAGE_SIZE), PAGE_SIZE, 0);
		high += xdx_buf_high(sg_virt(sg), PAGE_SIZE);
	}
	if (!high)
		kunit_skip(test, "no page of the buffer above 4 GiB");
	xdx_fill(buf, len, 0x4b);

	KUNIT_ASSERT_EQ(test, dma_map_sgtable(ctx->dev, sgt, DMA_BIDIRECTIONAL, 0), 0);
	/* no assertion until the unmap: the entries stay mapped otherwise */
	for_each_sgtable_dma_sg(sgt, sg, i) {
		bus = xdx_bus_virt(sg_dma_address(sg));
		if (!bus || sg_dma_address(sg) + sg_dma_len(sg) > XDX_4G) {
			unseen++;
		} else {
			if (xdx_bus_region(sg_dma_address(sg)))
				via_region++;
			if (memcmp(bus, buf + off, sg_dma_len(sg)))
				differ++;
			for (dev = bus, j = 0; j < sg_dma_len(sg); j++)
				dev[j] = xdx_pattern(off + j, 0xb4);
		}
		off += sg_dma_len(sg);
	}
	dma_unmap_sgtable(ctx->dev, sgt, DMA_BIDIRECTIONAL, 0);

	kunit_info(test, "%u entries, %u of them above 4 GiB, %u via regions\n",
		   sgt->nents, high, via_region);
	KUNIT_EXPECT_EQ(test, off, len);
	KUNIT_EXPECT_EQ_MSG(test, unseen, 0U, "entries not below 4 GiB in Xen's M2P");
	KUNIT_EXPECT_EQ_MSG(test, differ, 0U, "entries the device saw differ");
	KUNIT_EXPECT_GT(test, via_region, 0U);
	KUNIT_EXPECT_TRUE(test, xdx_check_fill(buf, len, 0xb4));
}

static void xdx_aid_off(void *unused)
{
	xdx_region_test_aid(NULL, XDX_TEST_NONE);
}

/*
 * From here until the case ends, this task's mappings get @aid: no region
 * (XDX_TEST_DENY), or a part split off a larger one (XDX_TEST_SPLIT).
 */
static void xdx_set_aid(struct kunit *test, enum xdx_test_aid aid)
{
	xdx_region_test_aid(current, aid);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, xdx_aid_off, NULL), 0);
}

/*
 * A mapping that gets no region (its exchange fails, or the budget or
 * atomic_order turns it away; here the test aid denies it) still
 * succeeds through the fixed pool, with the data right.
 */
static void xdx_test_no_region_bounces(struct kunit *test)
{
	struct xdx_test_ctx *ctx = test->priv;
	const size_t lens[] = { 3000, PAGE_SIZE << 5 };
	u64 bounces, failed;
	struct xdx_map *m;
	unsigned long pfn;
	phys_addr_t pool;
	void *buf;
	int i;

	xdx_set_aid(test, XDX_TEST_DENY);
	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		buf = xdx_kmalloc_high(test, lens[i]);
		xdx_fill(buf, lens[i], 0x19 + i);
		bounces = xen_dma_exchange_stat(XDX_BOUNCES);
		failed = xen_dma_exchange_stat(XDX_FAIL_INJECTED);
		m = xdx_map(test, buf, lens[i], DMA_BIDIRECTIONAL, 0);
		KUNIT_ASSERT_NOT_NULL(test, m);
		KUNIT_EXPECT_NULL(test, xdx_bus_region(m->dma));
		KUNIT_EXPECT_GE(test, xen_dma_exchange_stat(XDX_BOUNCES),
				bounces + 1);
		/* an order-0 exchange is tried in the mapping call, and fails */
		if (!i)
			KUNIT_EXPECT_GE(test,
					xen_dma_exchange_stat(XDX_FAIL_INJECTED),
					failed + 1);
		KUNIT_EXPECT_LE(test, m->dma + lens[i], XDX_4G);
		/* the bus address is in the fixed pool */
		pfn = xen_bfn_to_pfn_m2p(PHYS_PFN(m->dma));
		pool = PFN_PHYS(pfn) + offset_in_page(m->dma);
		KUNIT_EXPECT_NOT_NULL(test, swiotlb_find_pool(ctx->dev, pool));
		KUNIT_EXPECT_EQ(test, memcmp(xdx_bus_to_virt(test, m->dma), buf,
					     lens[i]), 0);
		xdx_fill(xdx_bus_to_virt(test, m->dma), lens[i], 0x91 + i);
		xdx_unmap(test, m);
		KUNIT_EXPECT_TRUE(test, xdx_check_fill(buf, lens[i], 0x91 + i));
	}
}

/*
 * max_mapping_size: above swiotlb's for a 32-bit device when the boot
 * reserve built large low regions, half the largest (at most order 9, what
 * a mapping call may exchange) so that any page offset fits; swiotlb's
 * for a 64-bit device (no reserve in its class).
 */
static void xdx_test_max_mapping_size(struct kunit *test)
{
	struct xdx_test_ctx *ctx = test->priv;
	int order = min(xdx_region_boot_order(XDX_CLASS_LOW),
			XDX_ATOMIC_ORDER_MAX);
	size_t pool = swiotlb_max_mapping_size(ctx->dev);

	if (order < 1)
		kunit_skip(test, "no large region reserved at boot (reserve=0)");
	if (is_swiotlb_force_bounce(ctx->dev))
		kunit_skip(test, "swiotlb=force: every mapping bounces");
	KUNIT_EXPECT_EQ(test, dma_max_mapping_size(ctx->dev),
			max(pool, PAGE_SIZE << (order - 1)));
	KUNIT_EXPECT_EQ(test, dma_opt_mapping_size(ctx->dev),
			dma_max_mapping_size(ctx->dev));
	if (order == XDX_ATOMIC_ORDER_MAX)	/* the default reserve: 1 MiB */
		KUNIT_EXPECT_EQ(test, dma_max_mapping_size(ctx->dev), SZ_1M);
	KUNIT_ASSERT_EQ(test, dma_set_mask_and_coherent(ctx->dev, DMA_BIT_MASK(64)), 0);
	KUNIT_EXPECT_EQ(test, dma_max_mapping_size(ctx->dev), pool);
}

/*
 * No region, and too large for the fixed pool: a clean DMA_MAPPING_ERROR
 * without trying the pool (which would only report itself full), the
 * buffer untouched.
 */
static void xdx_test_no_region_no_pool(struct kunit *test)
{
	const unsigned int order = 7;	/* 512 KiB, promised: region or error */
	const size_t len = PAGE_SIZE << order;
	void *buf = page_address(xdx_alloc_high(test, order));
	u64 failed = xen_dma_exchange_stat(XDX_FAIL_LARGE);

	xdx_set_aid(test, XDX_TEST_DENY);
	xdx_fill(buf, len, 0x2a);
	KUNIT_EXPECT_NULL(test, xdx_map(test, buf, len, DMA_BIDIRECTIONAL,
					DMA_ATTR_NO_WARN));
	KUNIT_EXPECT_GE(test, xen_dma_exchange_stat(XDX_FAIL_LARGE), failed + 1);
	KUNIT_EXPECT_TRUE(test, xdx_check_fill(buf, len, 0x2a));
}

/* More 256-KiB mappings than any fixed pool of a test boot holds (1 GiB) */
#define XDX_POOL_FILL_MAX	4096
#define XDX_POOL_REFILL		8

/*
 * No region, and the fixed pool full: a clean DMA_MAPPING_ERROR, as
 * upstream gives, and a mapping succeeds again once some are unmapped.
 * Only this task is denied regions; it fills the pool with 256-KiB
 * mappings (the pool's largest) of one buffer, to the device.  Meanwhile
 * a mapping of another task that would have gone to the pool anyway
 * fails as it would upstream with the pool full; at boot, when this
 * runs, hardly any does.  XDX_POOL_REFILL mappings are unmapped before
 * the last one, in case another user takes some of the slots freed.
 */
static void xdx_test_no_region_pool_full(struct kunit *test)
{
	const unsigned int order = 6;	/* 256 KiB */
	const size_t len = PAGE_SIZE << order;
	void *buf = page_address(xdx_alloc_high(test, order));
	struct xdx_map *m, *last[XDX_POOL_REFILL] = {};
	u64 bounces = 0, start;
	int n, i;

	xdx_set_aid(test, XDX_TEST_DENY);
	xdx_fill(buf, len, 0x5a);
	start = xen_dma_exchange_stat(XDX_BOUNCES);
	for (n = 0; n < XDX_POOL_FILL_MAX; n++) {
		bounces = xen_dma_exchange_stat(XDX_BOUNCES);
		m = xdx_map(test, buf, len, DMA_TO_DEVICE, DMA_ATTR_NO_WARN);
		if (!m)
			break;
		last[n % XDX_POOL_REFILL] = m;
	}
	kunit_info(test, "fixed pool full after %d mappings of %zu KiB\n",
		   n, len >> 10);
	KUNIT_ASSERT_LT_MSG(test, n, XDX_POOL_FILL_MAX, "the pool never ran out");
	KUNIT_ASSERT_GE(test, n, XDX_POOL_REFILL);
	KUNIT_EXPECT_GE(test, bounces, start + n);
	/* the mapping the pool refused is not counted as bounced */
	KUNIT_EXPECT_EQ(test, xen_dma_exchange_stat(XDX_BOUNCES), bounces);
	for (i = 0; i < XDX_POOL_REFILL; i++) {
		KUNIT_EXPECT_NULL(test, xdx_bus_region(last[i]->dma));
		KUNIT_EXPECT_EQ(test, memcmp(xdx_bus_to_virt(test, last[i]->dma),
					     buf, len), 0);
		xdx_unmap(test, last[i]);
	}
	KUNIT_EXPECT_TRUE(test, xdx_check_fill(buf, len, 0x5a));
	m = xdx_map(test, buf, len, DMA_TO_DEVICE, DMA_ATTR_NO_WARN);
	KUNIT_ASSERT_NOT_NULL_MSG(test, m, "no mapping after %d were unmapped",
				  XDX_POOL_REFILL);
	KUNIT_EXPECT_EQ(test, memcmp(xdx_bus_to_virt(test, m->dma), buf, len), 0);
}

/*
 * Requests the backend refuses: zero length (left to swiotlb, as upstream
 * does), addresses in none of its regions, an unmap whose size does not
 * match its mapping, 0 included (reported, the mapping stays), a sync past
 * the end of a mapping (reported, nothing copied) and a length that wraps
 * around with the page offset (XEN_DMA_EXCHANGE_FAILED, *dma untouched,
 * nothing copied).
 */
static void xdx_test_bad_input(struct kunit *test)
{
	struct xdx_test_ctx *ctx = test->priv;
	const size_t len = 1000;
	void *buf = xdx_kmalloc_high(test, len);
	phys_addr_t phys = virt_to_phys(buf), rphys;
	dma_addr_t dma = 0x1234;
	struct xdx_region *r;
	struct xdx_map *m;
	u64 bad;

	KUNIT_EXPECT_EQ(test, xen_dma_exchange_map(ctx->dev, phys, 0,
						   DMA_TO_DEVICE, 0, &dma),
			XEN_DMA_EXCHANGE_BOUNCE);
	KUNIT_EXPECT_EQ(test, dma, 0x1234);
	KUNIT_EXPECT_FALSE(test, __xen_dma_exchange_unmap(ctx->dev, phys, len,
							  DMA_TO_DEVICE, 0));
	KUNIT_EXPECT_FALSE(test, __xen_dma_exchange_sync(ctx->dev, phys, len,
							 DMA_TO_DEVICE, false));

	xdx_fill(buf, len, 0x3e);
	m = xdx_map(test, buf, len, DMA_TO_DEVICE, 0);
	KUNIT_ASSERT_NOT_NULL(test, m);
	r = xdx_expect_region(test, m);
	rphys = PFN_PHYS(r->pfn) + r->offset;

	bad = xen_dma_exchange_stat(XDX_BAD_UNMAP);
	KUNIT_EXPECT_TRUE(test, __xen_dma_exchange_unmap(ctx->dev, rphys,
							 len - 1, DMA_TO_DEVICE,
							 0));
	KUNIT_EXPECT_GE(test, xen_dma_exchange_stat(XDX_BAD_UNMAP), bad + 1);
	KUNIT_EXPECT_PTR_EQ(test, xdx_bus_region(m->dma), r);
	KUNIT_EXPECT_TRUE(test, xdx_region_mapped(r));
	/* no mapping has length 0 */
	KUNIT_EXPECT_TRUE(test, __xen_dma_exchange_unmap(ctx->dev, rphys, 0,
							 DMA_TO_DEVICE, 0));
	KUNIT_EXPECT_GE(test, xen_dma_exchange_stat(XDX_BAD_UNMAP), bad + 2);
	KUNIT_EXPECT_PTR_EQ(test, xdx_bus_region(m->dma), r);
	KUNIT_EXPECT_TRUE(test, xdx_region_mapped(r));

	xdx_fill(xdx_bus_to_virt(test, m->dma), len, 0xc3);
	KUNIT_EXPECT_TRUE(test, __xen_dma_exchange_sync(ctx->dev, rphys + len - 8,
							16, DMA_BIDIRECTIONAL,
							true));
	KUNIT_EXPECT_TRUE(test, xdx_check_fill(buf, len, 0x3e));
	xdx_unmap(test, m);
	KUNIT_EXPECT_TRUE(test, xdx_check_fill(buf, len, 0x3e));

	/* a length that wraps past the end of the address space with the offset */
	dma = 0x1234;
	KUNIT_EXPECT_EQ(test, xen_dma_exchange_map(ctx->dev, phys + 8,
						   SIZE_MAX - 3, DMA_TO_DEVICE,
						   DMA_ATTR_NO_WARN, &dma),
			XEN_DMA_EXCHANGE_FAILED);
	KUNIT_EXPECT_EQ(test, dma, 0x1234);
}

/*
 * A driver bug: a region mapping unmapped twice.  DMA-API debug reports
 * it (the guest suite checks for exactly one report).  The second unmap
 * finds no mapped region of ours and changes nothing, so the region is
 * free once: two mappings of its size at a time get different regions,
 * the first of them this one again.  (Had another mapping of another
 * offset or length taken the region meanwhile, it would be a bad unmap,
 * refused; one of the same offset and length would be ended: see the
 * documentation's "Limitations".)
 */
static void xdx_test_double_unmap_reported(struct kunit *test)
{
	struct xdx_test_ctx *ctx = test->priv;
	const size_t len = 3 * PAGE_SIZE + 123;
	struct xdx_map *m, *m2;
	struct xdx_region *r;
	void *a, *b;
	dma_addr_t dma;

	if (!IS_ENABLED(CONFIG_DMA_API_DEBUG))
		kunit_skip(test, "needs CONFIG_DMA_API_DEBUG to report it");
	a = page_address(xdx_alloc_high(test, 2));
	b = page_address(xdx_alloc_high(test, 2));
	xdx_fill(a, len, 0x6c);
	xdx_fill(b, len, 0x6d);
	m = xdx_map(test, a, len, DMA_TO_DEVICE, 0);
	KUNIT_ASSERT_NOT_NULL(test, m);
	r = xdx_expect_region(test, m);
	dma = m->dma;
	/* one CPU: the region waits in its magazine for the next mapping */
	migrate_disable();
	xdx_unmap(test, m);
	dma_unmap_page(ctx->dev, dma, len, DMA_TO_DEVICE);
	r = xdx_bus_region(dma);
	m = xdx_map(test, a, len, DMA_TO_DEVICE, 0);
	migrate_enable();
	KUNIT_EXPECT_TRUE(test, !r || r->orig != virt_to_phys(a));
	KUNIT_ASSERT_NOT_NULL(test, m);
	m2 = xdx_map(test, b, len, DMA_TO_DEVICE, 0);
	KUNIT_ASSERT_NOT_NULL(test, m2);
	KUNIT_EXPECT_EQ(test, m->dma, dma);
	KUNIT_EXPECT_NE(test, m->dma, m2->dma);
	KUNIT_EXPECT_PTR_NE(test, xdx_expect_region(test, m),
			    xdx_expect_region(test, m2));
	xdx_unmap(test, m2);
	xdx_unmap(test, m);
	KUNIT_EXPECT_TRUE(test, xdx_check_fill(a, len, 0x6c));
	KUNIT_EXPECT_TRUE(test, xdx_check_fill(b, len, 0x6d));
}

/*
 * A mapping served by a part split off a larger free region (forced here:
 * a miss splits only when nothing of its order or up to two larger is
 * free): the part is machine-contiguous at the region's machine address,
 * the device sees the data, and the part is given back to Xen on its own
 * (XENMEM_exchange of a part of the extent), its page getting another
 * frame.  Runs after xdx_test_release_free(): it waits for the worker to
 * have rebuilt a region to split.  Gives every free region back.
 */
static void xdx_test_split_part(struct kunit *test)
{
	void *buf = page_address(xdx_alloc_high(test, 0));
	unsigned long pfn, bfn;
	struct xdx_region *r;
	struct xdx_map *m;
	u64 splits;
	int i;

	xdx_set_aid(test, XDX_TEST_SPLIT);
	xdx_fill(buf, PAGE_SIZE, 0x3c);
	for (i = 0; i < XDX_WAIT_TRIES; i++) {
		splits = xen_dma_exchange_stat(XDX_SPLITS);
		m = xdx_map(test, buf, PAGE_SIZE, DMA_TO_DEVICE, 0);
		KUNIT_ASSERT_NOT_NULL(test, m);
		if (xen_dma_exchange_stat(XDX_SPLITS) > splits)
			break;
		xdx_unmap(test, m);	/* nothing to split yet */
		msleep(XDX_WAIT_MS);
	}
	KUNIT_ASSERT_LT_MSG(test, i, XDX_WAIT_TRIES, "no region to split");
	r = xdx_expect_region(test, m);
	KUNIT_EXPECT_EQ(test, r->order, 0U);
	pfn = r->pfn;
	bfn = PHYS_PFN(r->maddr);
	KUNIT_EXPECT_EQ(test, xdx_pfn_to_bfn_owned(pfn), bfn);
	xdx_unmap(test, m);

	KUNIT_EXPECT_GT(test, xdx_region_release_free(), 0UL);
	KUNIT_EXPECT_NE(test, xdx_pfn_to_bfn_owned(pfn), bfn);
}

/* Single-page mappings held at once by xdx_test_shrinker() */
#define XDX_SHRINK_MAPS	16

/*
 * The shrinker gives free regions back to Xen.  Mappings held at once
 * leave free regions beyond the reserve when they end, in this CPU's
 * magazine and on the free lists; once those have been unused for longer
 * than the shrinker waits (XDX_SHRINK_IDLE), reclaim of the slab caches
 * (drop_slab(), what drop_caches=2 runs) must give some of them back (the
 * frame behind a region's first page is no longer the region's) and lower
 * the bytes held below 4 GiB.  Only the shrinker gives back a region
 * unused for less than idle_secs while the budget has room.
 */
static void xdx_test_shrinker(struct kunit *test)
{
	void *buf = page_address(xdx_alloc_high(test, 4));
	unsigned long total, low_before, low_after, in_use;
	unsigned long pfn[XDX_SHRINK_MAPS], bfn[XDX_SHRINK_MAPS];
	unsigned int i, via_region = 0, given_back = 0;
	struct xdx_map *m[XDX_SHRINK_MAPS];
	struct xdx_region *r;
	u64 released;

	BUILD_BUG_ON(XDX_SHRINK_MAPS > 1 << 4);
	xdx_fill(buf, XDX_SHRINK_MAPS * PAGE_SIZE, 0x3c);
	for (i = 0; i < XDX_SHRINK_MAPS; i++) {
		m[i] = xdx_map(test, buf + i * PAGE_SIZE, PAGE_SIZE,
			       DMA_TO_DEVICE, 0);
		KUNIT_ASSERT_NOT_NULL(test, m[i]);
		r = xdx_bus_region(m[i]->dma);
		if (r) {
			pfn[via_region] = r->pfn;
			bfn[via_region++] = PHYS_PFN(r->maddr);
		}
	}
	for (i = 0; i < XDX_SHRINK_MAPS; i++)
		xdx_unmap(test, m[i]);
	KUNIT_ASSERT_GT(test, via_region, 0U);
	msleep(jiffies_to_msecs(XDX_SHRINK_IDLE) + 100);

	released = xen_dma_exchange_stat(XDX_RELEASES);
	xdx_region_held(&total, &low_before, &in_use);
	drop_slab();
	xdx_region_held(&total, &low_after, &in_use);
	for (i = 0; i < via_region; i++)
		if (xdx_pfn_to_bfn_owned(pfn[i]) != bfn[i])
			given_back++;
	kunit_info(test, "%u of %u mappings via regions, %u of those given back; held below 4 GiB %lu -> %lu bytes\n",
		   via_region, XDX_SHRINK_MAPS, given_back, low_before, low_after);
	KUNIT_EXPECT_GT(test, given_back, 0U);
	KUNIT_EXPECT_GT(test, xen_dma_exchange_stat(XDX_RELEASES), released);
	KUNIT_EXPECT_LT(test, low_after, low_before);
}

/*
 * A flush (debugfs "flush", and the shrinker's path) gives every free
 * region back to Xen, lowering the memory held below 4 GiB; mapped
 * regions stay.  Regions are rebuilt on demand, in the mapping call for a
 * small size and for a size promised by max_mapping_size (1 MiB).
 */
static void xdx_test_release_free(struct kunit *test)
{
	void *small = page_address(xdx_alloc_high(test, 0));
	void *large = page_address(xdx_alloc_high(test, 8));
	unsigned long total, low_before, low_after, in_use, pages;
	u64 released;
	struct xdx_map *m;

	/* at least one free region: this one */
	xdx_fill(small, PAGE_SIZE, 0x0f);
	m = xdx_map(test, small, PAGE_SIZE, DMA_TO_DEVICE, 0);
	KUNIT_ASSERT_NOT_NULL(test, m);
	xdx_expect_region(test, m);
	xdx_unmap(test, m);

	released = xen_dma_exchange_stat(XDX_RELEASES);
	xdx_region_held(&total, &low_before, &in_use);
	pages = xdx_region_release_free();
	xdx_region_held(&total, &low_after, &in_use);
	KUNIT_EXPECT_GT(test, pages, 0UL);
	KUNIT_EXPECT_LT(test, low_after, low_before);
	KUNIT_EXPECT_GE(test, xen_dma_exchange_stat(XDX_RELEASES), released + 1);

	m = xdx_map(test, small, PAGE_SIZE, DMA_TO_DEVICE, 0);
	KUNIT_ASSERT_NOT_NULL(test, m);
	xdx_expect_region(test, m);
	xdx_unmap(test, m);

	xdx_fill(large, SZ_1M, 0xf0);
	m = xdx_map_region(test, large, SZ_1M, DMA_TO_DEVICE);
	KUNIT_ASSERT_NOT_NULL(test, m);
	xdx_expect_region(test, m);
	xdx_unmap(test, m);
}

/*
 * A give-back waits for an RCU grace period only if a region going back
 * was unmapped since the last one ended (give_back_waits): a flush right
 * after an unmap waits, one after synchronize_rcu() need not.  A grace
 * period may end between the unmap and the flush, and other devices'
 * unmaps and the backend's workers run meanwhile, so each is tried until
 * it is seen once.  Gives every free region back.
 */
static void xdx_test_give_back_waits(struct kunit *test)
{
	void *buf = page_address(xdx_alloc_high(test, 0));
	bool waited = false, spared = false;
	struct xdx_map *m;
	u64 waits;
	int i;

	xdx_fill(buf, PAGE_SIZE, 0x5a);
	for (i = 0; i < XDX_WAIT_TRIES && !(waited && spared); i++) {
		bool after_gp = waited;	/* first a flush right after the unmap */

		m = xdx_map(test, buf, PAGE_SIZE, DMA_TO_DEVICE, 0);
		KUNIT_ASSERT_NOT_NULL(test, m);
		xdx_expect_region(test, m);
		xdx_unmap(test, m);
		if (after_gp)
			synchronize_rcu();
		waits = xen_dma_exchange_stat(XDX_GIVE_BACK_WAITS);
		KUNIT_EXPECT_GT(test, xdx_region_release_free(), 0UL);
		if (xen_dma_exchange_stat(XDX_GIVE_BACK_WAITS) != waits)
			waited |= !after_gp;
		else
			spared |= after_gp;
		if (!(waited && spared))
			msleep(XDX_WAIT_MS);
	}
	KUNIT_EXPECT_TRUE_MSG(test, waited, "no flush right after an unmap waited");
	KUNIT_EXPECT_TRUE_MSG(test, spared, "every flush after a grace period waited");
}

/* Mappings each CPU makes in xdx_test_concurrent(), and how many it keeps at once */
#define XDX_STRESS_ROUNDS	10000
#define XDX_STRESS_LIVE		3
/* Bytes after each mapping that must stay as they were, and their value */
#define XDX_STRESS_GUARD	64
#define XDX_STRESS_GUARD_BYTE	0x07
/* Each mapping's block: 2^6 pages, above the largest size and its guard */
#define XDX_STRESS_ORDER	6

/* One of a stress thread's mappings, kept while it makes the next ones. */
struct xdx_stress_map {
	void *page;		/* 2^XDX_STRESS_ORDER pages */
	void *buf;
	void *dev;		/* what the device sees */
	size_t len;
	enum dma_data_direction dir;
	dma_addr_t dma;
	u8 seed, dseed;		/* the CPU's and the device's bytes */
	bool live;
};

/* One CPU's part of xdx_test_concurrent(): what it did, what it saw wrong. */
struct xdx_stress {
	struct device *dev;
	struct completion done;
	struct xdx_stress_map maps[XDX_STRESS_LIVE];
	unsigned int cpu;
	unsigned int rounds, via_region, map_errors, wrong;
	unsigned int first_wrong_round;
	const char *first_wrong;
};

/*
 * Sizes from part of a page to 248 KiB: with magazines (up to 32 KiB) and
 * without.
 */
static const size_t xdx_stress_lens[] = {
	1500, PAGE_SIZE, 3 * PAGE_SIZE + 100, 20000, SZ_64K, SZ_256K - 2 * PAGE_SIZE,
};

static void xdx_stress_wrong(struct xdx_stress *s, unsigned int round,
			     const char *what)
{
	if (!s->wrong++) {
		s->first_wrong_round = round;
		s->first_wrong = what;
	}
}

/*
 * Map @m's buffer for round @i of @s; the device checks and overwrites
 * what it sees, and the syncs of its direction are checked.
 */
static void xdx_stress_map(struct xdx_stress *s, struct xdx_stress_map *m,
			   unsigned int i)
{
	static const enum dma_data_direction dirs[] = {
		DMA_TO_DEVICE, DMA_FROM_DEVICE, DMA_BIDIRECTIONAL,
	};

	m->len = xdx_stress_lens[i % ARRAY_SIZE(xdx_stress_lens)];
	m->dir = dirs[(i / ARRAY_SIZE(xdx_stress_lens)) % ARRAY_SIZE(dirs)];
	/* an odd step: every byte offset in the page, in time */
	m->buf = m->page + (i * 13) % PAGE_SIZE;
	/* whose bytes: the CPU's in the high half (never 0), the device's bit 3 */
	m->seed = (s->cpu % 15 + 1) << 4 | i % 8;
	m->dseed = m->seed | 8;
	memset(m->buf, m->seed, m->len);
	memset(m->buf + m->len, XDX_STRESS_GUARD_BYTE, XDX_STRESS_GUARD);

	s->rounds++;
	m->dma = dma_map_page(s->dev, virt_to_page(m->buf),
			      offset_in_page(m->buf), m->len, m->dir);
	if (dma_mapping_error(s->dev, m->dma)) {
		s->map_errors++;
		return;
	}
	/* a bounce slot or a region: pseudo-physically contiguous */
	m->dev = xdx_bus_virt(m->dma);
	if (!m->dev) {
		xdx_stress_wrong(s, i, "bus address not in Xen's M2P");
		dma_unmap_page(s->dev, m->dma, m->len, m->dir);
		return;
	}
	m->live = true;
	if (xdx_region_find(virt_to_phys(m->dev), NULL))
		s->via_region++;
	if (m->dma + m->len > XDX_4G)
		xdx_stress_wrong(s, i, "above 4 GiB");
	if (memchr_inv(m->dev, m->seed, m->len))
		xdx_stress_wrong(s, i, "on map");
	memset(m->dev, m->dseed, m->len);
	if (m->dir != DMA_TO_DEVICE) {
		dma_sync_single_for_cpu(s->dev, m->dma, m->len, m->dir);
		if (memchr_inv(m->buf, m->dseed, m->len))
			xdx_stress_wrong(s, i, "on sync for the CPU");
		memset(m->buf, m->seed, m->len);
	}
	if (m->dir == DMA_BIDIRECTIONAL) {
		dma_sync_single_for_device(s->dev, m->dma, m->len, m->dir);
		if (memchr_inv(m->dev, m->seed, m->len))
			xdx_stress_wrong(s, i, "on sync for the device");
		memset(m->dev, m->dseed, m->len);
	}
}

/*
 * End @m in round @i of @s: the device still sees its own bytes, and the
 * unmap leaves the buffer with the device's (the CPU's for DMA_TO_DEVICE)
 * and nothing after it changed.
 */
static void xdx_stress_unmap(struct xdx_stress *s, struct xdx_stress_map *m,
			     unsigned int i)
{
	if (!m->live)
		return;
	if (memchr_inv(m->dev, m->dseed, m->len))
		xdx_stress_wrong(s, i, "while mapped");
	dma_unmap_page(s->dev, m->dma, m->len, m->dir);
	m->live = false;
	if (memchr_inv(m->buf, m->dir == DMA_TO_DEVICE ? m->seed : m->dseed,
		       m->len))
		xdx_stress_wrong(s, i, "on unmap");
	if (memchr_inv(m->buf + m->len, XDX_STRESS_GUARD_BYTE, XDX_STRESS_GUARD))
		xdx_stress_wrong(s, i, "past the end");
}

static int xdx_stress_fn(void *data)
{
	struct xdx_stress *s = data;
	unsigned int i;

	for (i = 0; i < XDX_STRESS_ROUNDS; i++) {
		struct xdx_stress_map *m = &s->maps[i % XDX_STRESS_LIVE];

		xdx_stress_unmap(s, m, i);
		xdx_stress_map(s, m, i);
		cond_resched();
	}
	for (i = 0; i < XDX_STRESS_LIVE; i++)
		xdx_stress_unmap(s, &s->maps[i], XDX_STRESS_ROUNDS);
	complete(&s->done);
	return 0;
}

static bool xdx_stress_running(struct xdx_stress *s, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!completion_done(&s[i].done))
			return true;
	return false;
}

/*
 * Every online CPU maps, syncs and unmaps buffers of its own at once, up
 * to three at a time, in every direction and at sizes with and without
 * magazines, while this thread gives the free regions back to Xen again
 * and again.  Each mapping's device sees the buffer's bytes on map and on
 * a sync for the device, and keeps its own until the unmap; the CPU sees
 * the device's bytes on a sync for the CPU and on unmap (its own for
 * DMA_TO_DEVICE), and nothing past the buffer changes.  The bytes of up to
 * 15 CPUs differ, so a region that serves two live mappings (put back
 * before its copy-back, say) shows when the other mapping lands in it
 * meanwhile, which is a matter of timing.  Gives every free region back.
 */
static void xdx_test_concurrent(struct kunit *test)
{
	struct xdx_test_ctx *ctx = test->priv;
	unsigned int cpu, n = 0, nr, i, j, flushes = 0, via_region = 0;
	u64 exchanges, released, other_cpu;
	struct xdx_stress *s;
	struct task_struct *t;

	nr = num_online_cpus();
	if (nr < 2)
		kunit_skip(test, "one CPU online");
	s = kunit_kcalloc(test, nr, sizeof(*s), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	for_each_online_cpu(cpu) {
		if (n == nr)
			break;
		s[n].dev = ctx->dev;
		s[n].cpu = cpu;
		init_completion(&s[n].done);
		for (j = 0; j < XDX_STRESS_LIVE; j++)
			s[n].maps[j].page = page_address(xdx_alloc_high(test, XDX_STRESS_ORDER));
		n++;
	}
	exchanges = xen_dma_exchange_stat(XDX_EXCHANGES);
	released = xen_dma_exchange_stat(XDX_RELEASES);
	other_cpu = xen_dma_exchange_stat(XDX_OTHER_CPU_REUSES);
	for (i = 0; i < n; i++) {
		t = kthread_create_on_cpu(xdx_stress_fn, &s[i], s[i].cpu,
					  "xdx-stress/%u");
		if (IS_ERR(t)) {
			/* the others still end, and are waited for */
			KUNIT_FAIL(test, "no thread on CPU %u: %pe", s[i].cpu, t);
			complete(&s[i].done);
			continue;
		}
		wake_up_process(t);
	}
	while (xdx_stress_running(s, n)) {
		if (xdx_region_release_free())
			flushes++;
		usleep_range(200, 400);
	}
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_EQ_MSG(test, s[i].rounds, XDX_STRESS_ROUNDS,
				    "CPU %u", s[i].cpu);
		KUNIT_EXPECT_EQ_MSG(test, s[i].map_errors, 0U, "CPU %u", s[i].cpu);
		KUNIT_EXPECT_EQ_MSG(test, s[i].wrong, 0U,
				    "CPU %u, the first in round %u: %s", s[i].cpu,
				    s[i].first_wrong_round, s[i].first_wrong);
		via_region += s[i].via_region;
	}
	exchanges = xen_dma_exchange_stat(XDX_EXCHANGES) - exchanges;
	released = xen_dma_exchange_stat(XDX_RELEASES) - released;
	other_cpu = xen_dma_exchange_stat(XDX_OTHER_CPU_REUSES) - other_cpu;
	kunit_info(test, "%u CPUs, %u mappings, %u by regions; %u flushes giving back %llu regions, %llu exchanges, %llu mappings served from another CPU's magazine\n",
		   n, n * XDX_STRESS_ROUNDS, via_region, flushes, released,
		   exchanges, other_cpu);
	/* most by regions; the others bounced, an exchange having failed */
	KUNIT_EXPECT_GT(test, via_region, n * XDX_STRESS_ROUNDS / 2);
	/* regions went back and were made again while mappings ran */
	KUNIT_EXPECT_GT(test, flushes, 0U);
	KUNIT_EXPECT_GT(test, released, 0ULL);
	KUNIT_EXPECT_GT(test, exchanges, 0ULL);
}

static struct kunit_case xdx_test_cases[] = {
	KUNIT_CASE(xdx_test_bus_differs_from_pfn),
	KUNIT_CASE(xdx_test_to_device),
	KUNIT_CASE(xdx_test_from_device),
	KUNIT_CASE(xdx_test_bidirectional),
	KUNIT_CASE(xdx_test_partial_sync),
	KUNIT_CASE(xdx_test_from_device_prefill),
	KUNIT_CASE(xdx_test_offset_past_page),
	KUNIT_CASE(xdx_test_region_reused),
	KUNIT_CASE_PARAM(xdx_test_large_mapping, xdx_large_gen_params),
	KUNIT_CASE_PARAM(xdx_test_vmalloc_sg, xdx_vmalloc_gen_params),
	KUNIT_CASE(xdx_test_no_region_bounces),
	KUNIT_CASE(xdx_test_no_region_no_pool),
	KUNIT_CASE(xdx_test_no_region_pool_full),
	KUNIT_CASE(xdx_test_max_mapping_size),
	KUNIT_CASE(xdx_test_bad_input),
	KUNIT_CASE(xdx_test_double_unmap_reported),
	/* last: they give free regions back */
	KUNIT_CASE(xdx_test_release_free),
	KUNIT_CASE(xdx_test_give_back_waits),
	KUNIT_CASE(xdx_test_split_part),
	/* after the flushes: it leaves little more than the reserve held */
	KUNIT_CASE_SLOW(xdx_test_shrinker),
	KUNIT_CASE_SLOW(xdx_test_concurrent),
	{}
};

static struct kunit_suite xdx_test_suite = {
	.name = "xen_dma_exchange",
	.init = xdx_test_init,
	.test_cases = xdx_test_cases,
};

kunit_test_suite(xdx_test_suite);

MODULE_DESCRIPTION("KUnit tests for Xen exchange-on-demand DMA");
MODULE_LICENSE("GPL");
