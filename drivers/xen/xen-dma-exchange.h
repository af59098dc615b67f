/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interface of drivers/xen/xen-dma-exchange.c, shared with its
 * KUnit suite and the host test harness in tools/testing/xen-exchange/.
 */
#ifndef _DRIVERS_XEN_DMA_EXCHANGE_H
#define _DRIVERS_XEN_DMA_EXCHANGE_H

#include <linux/dma-direction.h>
#include <linux/types.h>

struct device;
struct page;

/* Statistics counters; the XDX_SKIP_* ones double as refusal reasons. */
enum xdx_stat {
	XDX_MAPS,
	XDX_HITS,
	XDX_EXCHANGES,
	XDX_BYTES_EXCHANGED,
	XDX_BYTES_IN_PLACE,
	XDX_BOUNCES,
	XDX_BYTES_BOUNCED,
	XDX_FAIL_HYPERVISOR,
	XDX_FAIL_INJECTED,
	XDX_FAIL_NOMEM,
	XDX_INVALIDATIONS,
	XDX_STALE,
	XDX_SKIP_DISABLED,
	XDX_SKIP_FORCED,
	XDX_SKIP_CONTEXT,
	XDX_SKIP_SHAPE,
	XDX_SKIP_ORDER,
	XDX_SKIP_OWNER,
	XDX_SKIP_FOREIGN,
	XDX_SKIP_BUDGET,
	XDX_VERIFIED,
	XDX_VERIFY_FAILED,
	XDX_NR_STATS
};

u64 xen_dma_exchange_stat(enum xdx_stat s);
bool xen_dma_exchange_lookup(struct device *dev, phys_addr_t phys, size_t size,
			     dma_addr_t *dma);
bool xdx_page_eligible(struct page *page, enum dma_data_direction dir);
unsigned long xen_dma_exchange_forget_all(void);
unsigned long xen_dma_exchange_cached_bytes(unsigned long *low);

#endif /* _DRIVERS_XEN_DMA_EXCHANGE_H */
