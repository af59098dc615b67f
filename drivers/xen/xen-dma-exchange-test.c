// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for exchange-on-demand DMA, run inside a Xen PV domain with
 * real hypercalls.  They map through the real swiotlb-xen ops with a test
 * device whose DMA mask is 32 bits, so in a domain whose frames sit above
 * 4 GiB every mapping must be exchanged, served from the cache or bounced.
 */
#include <kunit/device.h>
#include <kunit/test.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <asm/xen/swiotlb-xen.h>
#include <xen/xen.h>
#include <xen/dma-exchange.h>

#include "xen-dma-exchange.h"

struct xdx_test_ctx {
	struct device *dev;
};

static int xdx_test_init(struct kunit *test)
{
	struct xdx_test_ctx *ctx;

	if (!xen_pv_domain())
		kunit_skip(test, "not a Xen PV domain");
	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->dev = kunit_device_register(test, "xen-dma-exchange-test");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ctx->dev);
	ctx->dev->dma_mask = &ctx->dev->coherent_dma_mask;
	KUNIT_ASSERT_EQ(test, dma_set_mask_and_coherent(ctx->dev, DMA_BIT_MASK(32)), 0);
	test->priv = ctx;
	return 0;
}

static void xdx_fill(void *buf, size_t len, u8 seed)
{
	u8 *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (u8)(i * 7 + seed + (i >> 12));
}

static bool xdx_check_fill(const void *buf, size_t len, u8 seed)
{
	const u8 *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != (u8)(i * 7 + seed + (i >> 12)))
			return false;
	return true;
}

/* Frames above 4 GiB, as a PV dom0's are unless we exchanged them. */
static bool xdx_pages_high(struct page *page, unsigned int order)
{
	unsigned long pfn = page_to_pfn(page), i;

	for (i = 0; i < (1UL << order); i++)
		if (xen_pfn_to_bfn_owned(pfn + i) < (1UL << (32 - PAGE_SHIFT)))
			return false;
	return true;
}

/*
 * An allocation whose frames are all above 4 GiB.  Memory freed by earlier
 * cases may already be exchanged low, so hold on to such blocks while
 * trying again, then give them back.
 */
static struct page *xdx_alloc_high(struct kunit *test, unsigned int order)
{
	struct page *held[16], *page = NULL;
	int i, n = 0;

	while (n < ARRAY_SIZE(held)) {
		page = alloc_pages(GFP_KERNEL, order);
		KUNIT_ASSERT_NOT_NULL(test, page);
		if (xdx_pages_high(page, order))
			break;
		held[n++] = page;
		page = NULL;
	}
	for (i = 0; i < n; i++)
		__free_pages(held[i], order);
	if (!page)
		kunit_skip(test, "no allocation above 4 GiB");
	return page;
}

static void xdx_test_bus_differs_from_pfn(struct kunit *test)
{
	struct xdx_test_ctx *ctx = test->priv;
	struct page *page = alloc_page(GFP_KERNEL);
	unsigned long pfn;
	dma_addr_t dma;

	KUNIT_ASSERT_NOT_NULL(test, page);
	pfn = page_to_pfn(page);
	dma_set_mask(ctx->dev, DMA_BIT_MASK(64));
	dma = dma_map_page(ctx->dev, page, 0, PAGE_SIZE, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(ctx->dev, dma));
	pr_info("xen_dma_exchange_test: pfn %#lx bus %#llx %s\n", pfn,
		(unsigned long long)dma,
		PHYS_PFN(dma) != pfn ? "differs" : "equal");
	KUNIT_EXPECT_NE(test, PHYS_PFN(dma), pfn);
	KUNIT_EXPECT_EQ(test, PHYS_PFN(dma), xen_pfn_to_bfn_owned(pfn));
	dma_unmap_page(ctx->dev, dma, PAGE_SIZE, DMA_TO_DEVICE);
	__free_page(page);
}

static void xdx_test_preserve_exchange(struct kunit *test)
{
	const unsigned int order = 4;
	struct page *page = xdx_alloc_high(test, order);
	size_t len = PAGE_SIZE << order;
	unsigned long pfn = page_to_pfn(page), i;
	dma_addr_t maddr;

	xdx_fill(page_address(page), len, 0x5a);
	KUNIT_ASSERT_EQ(test, xen_exchange_region_preserve(page_to_phys(page),
							   order, 32, &maddr), 0);
	KUNIT_EXPECT_TRUE(test, xdx_check_fill(page_address(page), len, 0x5a));
	KUNIT_EXPECT_LE(test, maddr + len, 1ULL << 32);
	for (i = 0; i < (1UL << order); i++)
		KUNIT_EXPECT_EQ(test, xen_pfn_to_bfn_owned(pfn + i),
				PHYS_PFN(maddr) + i);
	__free_pages(page, order);
}

/*
 * The first mapping exchanges; the second one passes swiotlb-xen's own
 * direct-map check, with no exchange, no copy and no cache lookup; the
 * region cache still answers for the region.
 */
static void xdx_test_map_exchanges_then_direct(struct kunit *test)
{
	struct xdx_test_ctx *ctx = test->priv;
	const unsigned int order = 4;
	struct page *page = xdx_alloc_high(test, order);
	size_t len = PAGE_SIZE << order;
	u64 ex = xen_dma_exchange_stat(XDX_EXCHANGES);
	u64 hits = xen_dma_exchange_stat(XDX_HITS);
	u64 bounced = xen_dma_exchange_stat(XDX_BOUNCES);
	dma_addr_t dma, dma2;

	xdx_fill(page_address(page), len, 0x33);
	dma = dma_map_page(ctx->dev, page, 0, len, DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(ctx->dev, dma));
	KUNIT_EXPECT_EQ(test, xen_dma_exchange_stat(XDX_EXCHANGES), ex + 1);
	KUNIT_EXPECT_EQ(test, xen_dma_exchange_stat(XDX_BOUNCES), bounced);
	KUNIT_EXPECT_LE(test, dma + len, 1ULL << 32);
	/* mapped in place: the bus address is the page's own new frame */
	KUNIT_EXPECT_EQ(test, PHYS_PFN(dma), xen_pfn_to_bfn_owned(page_to_pfn(page)));
	KUNIT_EXPECT_TRUE(test, xdx_check_fill(page_address(page), len, 0x33));
	dma_unmap_page(ctx->dev, dma, len, DMA_BIDIRECTIONAL);

	dma2 = dma_map_page(ctx->dev, page, 0, len, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(ctx->dev, dma2));
	KUNIT_EXPECT_EQ(test, dma2, dma);
	KUNIT_EXPECT_EQ(test, xen_dma_exchange_stat(XDX_HITS), hits);
	KUNIT_EXPECT_EQ(test, xen_dma_exchange_stat(XDX_EXCHANGES), ex + 1);
	KUNIT_EXPECT_EQ(test, xen_dma_exchange_stat(XDX_BOUNCES), bounced);
	dma_unmap_page(ctx->dev, dma2, len, DMA_TO_DEVICE);

	KUNIT_EXPECT_TRUE(test, xen_dma_exchange_lookup(ctx->dev, page_to_phys(page),
							len, &dma2));
	KUNIT_EXPECT_EQ(test, dma2, dma);
	KUNIT_EXPECT_EQ(test, xen_dma_exchange_stat(XDX_HITS), hits + 1);
	__free_pages(page, order);
}

static void xdx_test_slab_buffer_bounces(struct kunit *test)
{
	struct xdx_test_ctx *ctx = test->priv;
	u64 bounced = xen_dma_exchange_stat(XDX_BOUNCES);
	u64 shared = xen_dma_exchange_stat(XDX_SKIP_OWNER);
	u64 ex = xen_dma_exchange_stat(XDX_EXCHANGES);
	/* a slab object; KUnit frees it when the case ends, however it ends */
	void *buf = kunit_kmalloc(test, 2048, GFP_KERNEL);
	dma_addr_t dma;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	if (!xdx_pages_high(virt_to_page(buf), 0))
		kunit_skip(test, "slab page already below 4 GiB");
	xdx_fill(buf, 2048, 0x11);
	dma = dma_map_single(ctx->dev, buf, 2048, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(ctx->dev, dma));
	KUNIT_EXPECT_EQ(test, xen_dma_exchange_stat(XDX_BOUNCES), bounced + 1);
	KUNIT_EXPECT_EQ(test, xen_dma_exchange_stat(XDX_SKIP_OWNER), shared + 1);
	KUNIT_EXPECT_EQ(test, xen_dma_exchange_stat(XDX_EXCHANGES), ex);
	KUNIT_EXPECT_NE(test, PHYS_PFN(dma), xen_pfn_to_bfn_owned(PHYS_PFN(virt_to_phys(buf))));
	KUNIT_EXPECT_TRUE(test, xdx_check_fill(buf, 2048, 0x11));
	dma_unmap_single(ctx->dev, dma, 2048, DMA_TO_DEVICE);
}

/* A region whose frames change under the cache must never be used. */
static void xdx_test_stale_region_not_used(struct kunit *test)
{
	struct xdx_test_ctx *ctx = test->priv;
	const unsigned int order = 2;
	struct page *page = xdx_alloc_high(test, order);
	size_t len = PAGE_SIZE << order;
	unsigned long pfn = page_to_pfn(page);
	u64 stale, hits;
	dma_addr_t dma;

	dma = dma_map_page(ctx->dev, page, 0, len, DMA_FROM_DEVICE);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(ctx->dev, dma));
	dma_unmap_page(ctx->dev, dma, len, DMA_FROM_DEVICE);
	KUNIT_ASSERT_EQ(test, PHYS_PFN(dma), xen_pfn_to_bfn_owned(pfn));

	/* Give the frames back behind the cache's back. */
	xen_destroy_contiguous_region(page_to_phys(page), order);
	KUNIT_ASSERT_NE(test, xen_pfn_to_bfn_owned(pfn), PHYS_PFN(dma));

	stale = xen_dma_exchange_stat(XDX_STALE);
	hits = xen_dma_exchange_stat(XDX_HITS);
	xdx_fill(page_address(page), len, 0x77);
	dma = dma_map_page(ctx->dev, page, 0, len, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(ctx->dev, dma));
	KUNIT_EXPECT_EQ(test, xen_dma_exchange_stat(XDX_STALE), stale + 1);
	KUNIT_EXPECT_EQ(test, xen_dma_exchange_stat(XDX_HITS), hits);
	/* whatever served it, the device sees the data */
	KUNIT_EXPECT_TRUE(test, xdx_check_fill(page_address(page), len, 0x77));
	KUNIT_EXPECT_LE(test, dma + len, 1ULL << 32);
	dma_unmap_page(ctx->dev, dma, len, DMA_TO_DEVICE);
	__free_pages(page, order);
}

static void xdx_test_bad_input(struct kunit *test)
{
	struct xdx_test_ctx *ctx = test->priv;
	struct page *page = alloc_pages(GFP_KERNEL, 1);
	dma_addr_t dma = 0;

	KUNIT_ASSERT_NOT_NULL(test, page);
	/* zero length is never served */
	KUNIT_EXPECT_FALSE(test, xen_dma_exchange_lookup(ctx->dev, page_to_phys(page), 0, &dma));
	KUNIT_EXPECT_FALSE(test, xen_dma_exchange_map(ctx->dev, page_to_phys(page), 0,
						      DMA_TO_DEVICE, 0, &dma));
	/* three pages are not a power-of-two run */
	KUNIT_EXPECT_FALSE(test, xen_dma_exchange_map(ctx->dev, page_to_phys(page) + 100,
						      2 * PAGE_SIZE, DMA_TO_DEVICE, 0, &dma));
	/* larger than the largest order */
	KUNIT_EXPECT_EQ(test, xen_exchange_region_preserve(page_to_phys(page),
							   XEN_DMA_EXCHANGE_MAX_ORDER + 1,
							   32, &dma), -EINVAL);
	KUNIT_EXPECT_EQ(test, dma, 0);
	__free_pages(page, 1);
}

/*
 * An offset past the first page (legal for a multi-page allocation) and
 * not aligned: the mapping covers one page, the second, which alone is
 * exchanged; its bus address is that page's new frame at the same offset,
 * and the data is intact.
 */
static void xdx_test_offset_past_page(struct kunit *test)
{
	struct xdx_test_ctx *ctx = test->priv;
	const unsigned int order = 1;
	struct page *page = xdx_alloc_high(test, order);
	size_t len = PAGE_SIZE << order, off = PAGE_SIZE + 100;
	u64 ex = xen_dma_exchange_stat(XDX_EXCHANGES);
	dma_addr_t dma;

	xdx_fill(page_address(page), len, 0x4d);
	dma = dma_map_page(ctx->dev, page, off, 200, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(ctx->dev, dma));
	/* the second page alone was exchanged and is mapped in place */
	KUNIT_EXPECT_EQ(test, xen_dma_exchange_stat(XDX_EXCHANGES), ex + 1);
	KUNIT_EXPECT_EQ(test, offset_in_page(dma), 100);
	KUNIT_EXPECT_LE(test, dma + 200, 1ULL << 32);
	KUNIT_EXPECT_EQ(test, PHYS_PFN(dma), xen_pfn_to_bfn_owned(page_to_pfn(page) + 1));
	KUNIT_EXPECT_TRUE(test, xdx_check_fill(page_address(page), len, 0x4d));
	dma_unmap_page(ctx->dev, dma, 200, DMA_TO_DEVICE);
	__free_pages(page, order);
}

/*
 * A driver bug: an in-place mapping unmapped twice.  DMA-API debug reports
 * it (the guest suite checks for exactly one report); our side keeps no
 * per-mapping state, so nothing is released twice: the region stays
 * recorded and the next mapping is still direct, with the data intact.
 */
static void xdx_test_double_unmap_reported(struct kunit *test)
{
	struct xdx_test_ctx *ctx = test->priv;
	const unsigned int order = 2;
	struct page *page;
	size_t len = PAGE_SIZE << order;
	u64 ex, inval, bounced;
	dma_addr_t dma, dma2;

	if (!IS_ENABLED(CONFIG_DMA_API_DEBUG))
		kunit_skip(test, "needs CONFIG_DMA_API_DEBUG to report it");
	page = xdx_alloc_high(test, order);
	xdx_fill(page_address(page), len, 0x6c);
	dma = dma_map_page(ctx->dev, page, 0, len, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(ctx->dev, dma));
	ex = xen_dma_exchange_stat(XDX_EXCHANGES);
	inval = xen_dma_exchange_stat(XDX_INVALIDATIONS);
	bounced = xen_dma_exchange_stat(XDX_BOUNCES);
	dma_unmap_page(ctx->dev, dma, len, DMA_TO_DEVICE);
	dma_unmap_page(ctx->dev, dma, len, DMA_TO_DEVICE);

	dma2 = dma_map_page(ctx->dev, page, 0, len, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(ctx->dev, dma2));
	KUNIT_EXPECT_EQ(test, dma2, dma);
	KUNIT_EXPECT_EQ(test, xen_dma_exchange_stat(XDX_EXCHANGES), ex);
	KUNIT_EXPECT_EQ(test, xen_dma_exchange_stat(XDX_INVALIDATIONS), inval);
	KUNIT_EXPECT_EQ(test, xen_dma_exchange_stat(XDX_BOUNCES), bounced);
	KUNIT_EXPECT_TRUE(test, xdx_check_fill(page_address(page), len, 0x6c));
	dma_unmap_page(ctx->dev, dma2, len, DMA_TO_DEVICE);
	__free_pages(page, order);
}

static struct kunit_case xdx_test_cases[] = {
	KUNIT_CASE(xdx_test_bus_differs_from_pfn),
	KUNIT_CASE(xdx_test_preserve_exchange),
	KUNIT_CASE(xdx_test_map_exchanges_then_direct),
	KUNIT_CASE(xdx_test_slab_buffer_bounces),
	KUNIT_CASE(xdx_test_stale_region_not_used),
	KUNIT_CASE(xdx_test_bad_input),
	KUNIT_CASE(xdx_test_offset_past_page),
	KUNIT_CASE(xdx_test_double_unmap_reported),
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
