/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Exchange-on-demand DMA for Xen PV domains.
 *
 * swiotlb-xen maps a buffer directly only when its frames are machine
 * contiguous and below the device's DMA limit.  With this backend, buffers
 * that fail that test and are exclusively owned by the caller are made
 * machine contiguous in place (XENMEM_exchange) and so map directly from
 * then on; the regions are recorded in a cache; everything else still
 * bounces.
 * See Documentation/core-api/xen-dma-exchange.rst.
 */
#ifndef _XEN_DMA_EXCHANGE_H
#define _XEN_DMA_EXCHANGE_H

#include <linux/types.h>
#include <linux/dma-direction.h>

struct device;

/* Largest region exchanged in one go: 2^10 pages (4 MiB), MAX_PAGE_ORDER. */
#define XEN_DMA_EXCHANGE_MAX_ORDER	10

#ifdef CONFIG_XEN_DMA_EXCHANGE
bool xen_dma_exchange_map(struct device *dev, phys_addr_t phys, size_t size,
			  enum dma_data_direction dir, unsigned long attrs,
			  dma_addr_t *dma);
void xen_dma_exchange_bounced(struct device *dev, size_t size);
#else
static inline bool xen_dma_exchange_map(struct device *dev, phys_addr_t phys,
					size_t size, enum dma_data_direction dir,
					unsigned long attrs, dma_addr_t *dma)
{
	return false;
}

static inline void xen_dma_exchange_bounced(struct device *dev, size_t size)
{
}
#endif

/* Hypervisor plumbing, arch/x86/xen/dma-exchange.c */
#define XEN_DMA_NO_FRAME	(~0UL)	/* no frame of our own */
int xen_exchange_region_preserve(phys_addr_t pstart, unsigned int order,
				 unsigned int address_bits, dma_addr_t *dma);
unsigned long xen_pfn_to_bfn_owned(unsigned long pfn);
unsigned long xen_bfn_to_pfn_m2p(unsigned long bfn);
int xen_exchange_setup(void);

#endif /* _XEN_DMA_EXCHANGE_H */
