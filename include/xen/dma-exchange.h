/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Exchange-on-demand DMA for Xen PV domains.
 *
 * swiotlb-xen maps a buffer directly only when its frames are machine
 * contiguous and below the device's DMA limit.  With this backend, a
 * mapping that would bounce is copied into a region the backend owns: its
 * own pages, exchanged (XENMEM_exchange) for one machine-contiguous extent
 * below the limit.  Regions are kept and reused; the fixed swiotlb pool is
 * the fallback.  Nothing of the caller's is ever exchanged.
 * See Documentation/core-api/xen-dma-exchange.rst.
 */
#ifndef _XEN_DMA_EXCHANGE_H
#define _XEN_DMA_EXCHANGE_H

#include <linux/atomic.h>
#include <linux/compiler.h>
#include <linux/dma-direction.h>
#include <linux/dma-mapping.h>
#include <linux/types.h>

struct device;

/**
 * enum xen_dma_exchange_result - what xen_dma_exchange_map() did
 * @XEN_DMA_EXCHANGE_BOUNCE: not served: bounce through the fixed pool
 * @XEN_DMA_EXCHANGE_MAPPED: served by a region; the bus address is set
 * @XEN_DMA_EXCHANGE_FAILED: larger than the fixed pool takes, and no
 *	region could be had: the mapping fails
 */
enum xen_dma_exchange_result {
	XEN_DMA_EXCHANGE_BOUNCE,
	XEN_DMA_EXCHANGE_MAPPED,
	XEN_DMA_EXCHANGE_FAILED,
};

#ifdef CONFIG_XEN_DMA_EXCHANGE
extern atomic_long_t xen_dma_exchange_nr_mapped;
extern atomic_long_t xen_dma_exchange_nr_mapped_any;

enum xen_dma_exchange_result
xen_dma_exchange_map(struct device *dev, phys_addr_t phys, size_t size,
		     enum dma_data_direction dir, unsigned long attrs,
		     dma_addr_t *dma);
void xen_dma_exchange_bounced(struct device *dev, size_t size);
size_t xen_dma_exchange_max_mapping_size(struct device *dev);
bool __xen_dma_exchange_unmap(struct device *dev, phys_addr_t phys,
			      size_t size, enum dma_data_direction dir,
			      unsigned long attrs);
bool __xen_dma_exchange_sync(struct device *dev, phys_addr_t phys,
			     size_t size, enum dma_data_direction dir,
			     bool for_cpu);

/*
 * Unmap and sync run for every mapping of every device.  While no region
 * is mapped, the test costs one read.  Regions of the low class lie below
 * 4 GiB: a bus address above it is looked up only while a region of class
 * "any" is mapped, so a 64-bit device keeps its fast path while a 32-bit
 * NIC holds its rings in regions.
 */
static inline bool xen_dma_exchange_maybe_ours(dma_addr_t dma)
{
	if (likely(!atomic_long_read(&xen_dma_exchange_nr_mapped)))
		return false;
	return dma <= DMA_BIT_MASK(32) ||
	       atomic_long_read(&xen_dma_exchange_nr_mapped_any);
}

static inline bool xen_dma_exchange_unmap(struct device *dev, dma_addr_t dma,
					  phys_addr_t phys, size_t size,
					  enum dma_data_direction dir,
					  unsigned long attrs)
{
	if (!xen_dma_exchange_maybe_ours(dma))
		return false;
	return __xen_dma_exchange_unmap(dev, phys, size, dir, attrs);
}

static inline bool xen_dma_exchange_sync(struct device *dev, dma_addr_t dma,
					 phys_addr_t phys, size_t size,
					 enum dma_data_direction dir,
					 bool for_cpu)
{
	if (!xen_dma_exchange_maybe_ours(dma))
		return false;
	return __xen_dma_exchange_sync(dev, phys, size, dir, for_cpu);
}
#else
static inline enum xen_dma_exchange_result
xen_dma_exchange_map(struct device *dev, phys_addr_t phys, size_t size,
		     enum dma_data_direction dir, unsigned long attrs,
		     dma_addr_t *dma)
{
	return XEN_DMA_EXCHANGE_BOUNCE;
}

static inline void xen_dma_exchange_bounced(struct device *dev, size_t size)
{
}

/* swiotlb-xen's max_mapping_size is then upstream's */
#define xen_dma_exchange_max_mapping_size swiotlb_max_mapping_size

static inline bool xen_dma_exchange_unmap(struct device *dev, dma_addr_t dma,
					  phys_addr_t phys, size_t size,
					  enum dma_data_direction dir,
					  unsigned long attrs)
{
	return false;
}

static inline bool xen_dma_exchange_sync(struct device *dev, dma_addr_t dma,
					 phys_addr_t phys, size_t size,
					 enum dma_data_direction dir,
					 bool for_cpu)
{
	return false;
}
#endif

/* Hypervisor plumbing, arch/x86/xen/dma-exchange.c */
#define XEN_DMA_NO_FRAME	(~0UL)	/* no frame of our own */
unsigned long xen_bfn_to_pfn_m2p(unsigned long bfn);

#endif /* _XEN_DMA_EXCHANGE_H */
