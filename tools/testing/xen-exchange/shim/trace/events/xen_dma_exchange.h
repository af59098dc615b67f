/* SPDX-License-Identifier: GPL-2.0 */
/* Tracepoints compile to nothing in the host harness. */
#define trace_xen_dma_exchange_hit(dev, phys, size, dma)		do { } while (0)
#define trace_xen_dma_exchange_exchanged(dev, pfn, order, bits, maddr)	do { } while (0)
#define trace_xen_dma_exchange_fallback(dev, phys, size, reason)	do { } while (0)
#define trace_xen_dma_exchange_invalidate(pfn, order, why)		do { } while (0)
