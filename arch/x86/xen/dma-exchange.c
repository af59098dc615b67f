// SPDX-License-Identifier: GPL-2.0
/*
 * Xen PV plumbing for exchange-on-demand DMA: a content-preserving variant
 * of xen_create_contiguous_region() and a checked P2M lookup.
 *
 * xen_create_contiguous_region() zeroes the range before handing its frames
 * to Xen, so the contents are saved in a scratch buffer and written back
 * afterwards (also when the exchange fails, since the range was zeroed
 * either way).  The scratch buffer is sized for the largest exchange and is
 * serialised by a spinlock, so this works from atomic context.
 */
#define pr_fmt(fmt) "xen_dma_exchange: " fmt

#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <asm/xen/page.h>
#include <asm/xen/swiotlb-xen.h>
#include <xen/xen.h>
#include <xen/dma-exchange.h>

static void *xen_exchange_scratch;
static DEFINE_SPINLOCK(xen_exchange_scratch_lock);

/**
 * xen_exchange_region_preserve() - make a PFN range machine contiguous
 * @pstart: physical (pseudo-physical) start, aligned to PAGE_SIZE
 * @order: the range is 2^@order pages
 * @address_bits: the new machine frames must lie below 2^@address_bits
 * @dma: returns the machine address of the first byte
 *
 * Exchanges the machine frames backing the range for one machine-contiguous
 * extent below @address_bits, keeping the contents.  The caller guarantees
 * that nothing else touches the range meanwhile: its direct-map PTEs are
 * absent while Xen swaps the frames.  May be called in atomic context.
 *
 * Return: 0 on success, -EINVAL if not set up or @order is too large,
 * -ENOMEM if Xen could not provide the extent (contents are intact).
 */
int xen_exchange_region_preserve(phys_addr_t pstart, unsigned int order,
				 unsigned int address_bits, dma_addr_t *dma)
{
	void *vaddr = phys_to_virt(pstart);
	size_t len = PAGE_SIZE << order;
	unsigned long flags;
	int ret;

	if (order > XEN_DMA_EXCHANGE_MAX_ORDER || !xen_exchange_scratch)
		return -EINVAL;

	spin_lock_irqsave(&xen_exchange_scratch_lock, flags);
	memcpy(xen_exchange_scratch, vaddr, len);
	ret = xen_create_contiguous_region(pstart, order, address_bits, dma);
	memcpy(vaddr, xen_exchange_scratch, len);
	spin_unlock_irqrestore(&xen_exchange_scratch_lock, flags);

	return ret;
}

/**
 * xen_pfn_to_bfn_owned() - machine frame of a PFN backed by our own memory
 * @pfn: pseudo-physical frame number
 *
 * Return: the machine frame, or XEN_DMA_NO_FRAME if @pfn has no frame,
 * is a foreign (grant) mapping or an identity (MMIO) frame.  Only frames
 * this function accepts may be exchanged or used from the region cache.
 */
unsigned long xen_pfn_to_bfn_owned(unsigned long pfn)
{
	unsigned long mfn = __pfn_to_mfn(pfn);

	if (mfn == INVALID_P2M_ENTRY ||
	    (mfn & (FOREIGN_FRAME_BIT | IDENTITY_FRAME_BIT)))
		return XEN_DMA_NO_FRAME;
	return mfn;
}

/**
 * xen_bfn_to_pfn_m2p() - the PFN Xen's machine-to-physical table names
 * @bfn: machine frame number
 *
 * Reads the M2P only, independently of our P2M, so that it can cross-check
 * what the P2M says (verify mode).
 *
 * Return: the PFN, or XEN_DMA_NO_FRAME if the M2P has no entry.
 */
unsigned long xen_bfn_to_pfn_m2p(unsigned long bfn)
{
	unsigned long pfn = mfn_to_pfn_no_overrides(bfn);

	return (long)pfn < 0 ? XEN_DMA_NO_FRAME : pfn;
}

/**
 * xen_exchange_setup() - prepare content-preserving exchanges
 *
 * Allocates the scratch buffer and performs one exchange of the largest
 * order, so that mmu_pv's frame list is grown now, in sleepable context,
 * rather than on first use from a DMA mapping call.
 *
 * Return: 0, or -ENODEV outside a PV domain, -ENOMEM if memory is short.
 */
int __init xen_exchange_setup(void)
{
	unsigned int order = XEN_DMA_EXCHANGE_MAX_ORDER;
	struct page *probe;
	dma_addr_t dma;
	int ret;

	if (!xen_pv_domain())
		return -ENODEV;

	xen_exchange_scratch = vmalloc(PAGE_SIZE << order);
	if (!xen_exchange_scratch)
		return -ENOMEM;

	probe = alloc_pages(GFP_KERNEL, order);
	if (!probe)
		return -ENOMEM;
	ret = xen_create_contiguous_region(page_to_phys(probe), order, 64, &dma);
	if (!ret)
		xen_destroy_contiguous_region(page_to_phys(probe), order);
	__free_pages(probe, order);
	if (ret)
		pr_warn("order-%u priming exchange failed (%d); large exchanges may fail\n",
			order, ret);
	return 0;
}
