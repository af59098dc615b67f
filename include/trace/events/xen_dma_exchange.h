/* SPDX-License-Identifier: GPL-2.0 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM xen_dma_exchange

#if !defined(_TRACE_XEN_DMA_EXCHANGE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_XEN_DMA_EXCHANGE_H

#include <linux/device.h>
#include <linux/tracepoint.h>

/* A mapping served from an owned region. */
TRACE_EVENT(xen_dma_exchange_hit,
	    TP_PROTO(struct device *dev, phys_addr_t phys, size_t size,
		     dma_addr_t dma),
	    TP_ARGS(dev, phys, size, dma),
	    TP_STRUCT__entry(__string(dev_name, dev_name(dev))
			     __field(u64, phys)
			     __field(size_t, size)
			     __field(u64, dma)),
	    TP_fast_assign(__assign_str(dev_name);
			   __entry->phys = phys;
			   __entry->size = size;
			   __entry->dma = dma;),
	    TP_printk("dev=%s phys=%#llx size=%zu dma=%#llx",
		      __get_str(dev_name), __entry->phys, __entry->size,
		      __entry->dma)
);

/* One of the backend's own regions exchanged for machine-contiguous frames. */
TRACE_EVENT(xen_dma_exchange_exchanged,
	    TP_PROTO(const char *cls, unsigned long pfn, unsigned int order,
		     unsigned int address_bits, u64 maddr),
	    TP_ARGS(cls, pfn, order, address_bits, maddr),
	    TP_STRUCT__entry(__string(cls, cls)
			     __field(unsigned long, pfn)
			     __field(unsigned int, order)
			     __field(unsigned int, address_bits)
			     __field(u64, maddr)),
	    TP_fast_assign(__assign_str(cls);
			   __entry->pfn = pfn;
			   __entry->order = order;
			   __entry->address_bits = address_bits;
			   __entry->maddr = maddr;),
	    TP_printk("class=%s pfn=%#lx order=%u bits=%u maddr=%#llx",
		      __get_str(cls), __entry->pfn, __entry->order,
		      __entry->address_bits, __entry->maddr)
);

/* A mapping left to the fixed swiotlb pool; @reason names why. */
TRACE_EVENT(xen_dma_exchange_fallback,
	    TP_PROTO(struct device *dev, phys_addr_t phys, size_t size,
		     const char *reason),
	    TP_ARGS(dev, phys, size, reason),
	    TP_STRUCT__entry(__string(dev_name, dev_name(dev))
			     __field(u64, phys)
			     __field(size_t, size)
			     __string(reason, reason)),
	    TP_fast_assign(__assign_str(dev_name);
			   __entry->phys = phys;
			   __entry->size = size;
			   __assign_str(reason);),
	    TP_printk("dev=%s phys=%#llx size=%zu reason=%s",
		      __get_str(dev_name), __entry->phys, __entry->size,
		      __get_str(reason))
);

/* An owned region given back to Xen: idle, shrinker, budget or flush. */
TRACE_EVENT(xen_dma_exchange_invalidate,
	    TP_PROTO(unsigned long pfn, unsigned int order, const char *why),
	    TP_ARGS(pfn, order, why),
	    TP_STRUCT__entry(__field(unsigned long, pfn)
			     __field(unsigned int, order)
			     __string(why, why)),
	    TP_fast_assign(__entry->pfn = pfn;
			   __entry->order = order;
			   __assign_str(why);),
	    TP_printk("pfn=%#lx order=%u why=%s", __entry->pfn, __entry->order,
		      __get_str(why))
);

/* A free region split buddy-wise, without a hypercall. */
TRACE_EVENT(xen_dma_exchange_split,
	    TP_PROTO(unsigned long pfn, unsigned int order, unsigned int to),
	    TP_ARGS(pfn, order, to),
	    TP_STRUCT__entry(__field(unsigned long, pfn)
			     __field(unsigned int, order)
			     __field(unsigned int, to)),
	    TP_fast_assign(__entry->pfn = pfn;
			   __entry->order = order;
			   __entry->to = to;),
	    TP_printk("pfn=%#lx order=%u to=%u", __entry->pfn, __entry->order,
		      __entry->to)
);

/* Two free buddies merged into one region of @order, without a hypercall. */
TRACE_EVENT(xen_dma_exchange_merge,
	    TP_PROTO(unsigned long pfn, unsigned int order),
	    TP_ARGS(pfn, order),
	    TP_STRUCT__entry(__field(unsigned long, pfn)
			     __field(unsigned int, order)),
	    TP_fast_assign(__entry->pfn = pfn;
			   __entry->order = order;),
	    TP_printk("pfn=%#lx order=%u", __entry->pfn, __entry->order)
);

#endif /* _TRACE_XEN_DMA_EXCHANGE_H */

/* This part must be outside protection */
#include <trace/define_trace.h>
