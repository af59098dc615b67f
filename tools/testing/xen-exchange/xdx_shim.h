/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userland stand-ins for the kernel interfaces drivers/xen/xen-dma-exchange.c
 * uses, so the real file can be compiled and tested on the host.  Pages,
 * the P2M and XENMEM_exchange are simulated in xdx_sim.c.
 */
#ifndef XDX_SHIM_H
#define XDX_SHIM_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/compiler.h>
#include <linux/rbtree.h>


typedef uint64_t dma_addr_t;

enum dma_data_direction {
	DMA_BIDIRECTIONAL = 0,
	DMA_TO_DEVICE = 1,
	DMA_FROM_DEVICE = 2,
	DMA_NONE = 3,
};

#define PAGE_SHIFT		12
#define PAGE_SIZE		(1UL << PAGE_SHIFT)
#define PHYS_PFN(x)		((unsigned long)((x) >> PAGE_SHIFT))
#define PFN_PHYS(x)		((phys_addr_t)(x) << PAGE_SHIFT)
#define offset_in_page(p)	((unsigned long)(p) & (PAGE_SIZE - 1))
#define DMA_BIT_MASK(n)		(((n) == 64) ? ~0ULL : ((1ULL << (n)) - 1))
#ifndef min_not_zero
#define min_not_zero(x, y) ({ typeof(x) __x = (x); typeof(y) __y = (y); \
	__x == 0 ? __y : ((__y == 0) ? __x : (__x < __y ? __x : __y)); })
#endif
#define is_power_of_2(n)	((n) != 0 && (((n) & ((n) - 1)) == 0))
#define ilog2(n)		((unsigned int)(63 - __builtin_clzll((unsigned long long)(n))))
static inline int fls64(uint64_t x) { return x ? 64 - __builtin_clzll(x) : 0; }

#define __init
#define __user
#define THIS_MODULE		NULL
#define subsys_initcall(fn)	int (*xdx_initcall_ptr)(void) = fn

#define pr_info(fmt, ...)	do { if (xdx_verbose) printf(fmt, ##__VA_ARGS__); } while (0)
#define pr_warn(fmt, ...)	printf(fmt, ##__VA_ARGS__)
/* no %pa/%pad in userland: name the event only */
#define pr_err_ratelimited(fmt, ...)	printf("# pr_err: " fmt, ##__VA_ARGS__)
extern int xdx_verbose;

/* atomics (the harness is single-threaded; keep the semantics anyway) */
typedef struct { int64_t counter; } atomic64_t;
static inline void atomic64_add(int64_t v, atomic64_t *a) { __atomic_add_fetch(&a->counter, v, __ATOMIC_RELAXED); }
static inline int64_t atomic64_read(atomic64_t *a) { return __atomic_load_n(&a->counter, __ATOMIC_RELAXED); }
static inline void atomic64_set(atomic64_t *a, int64_t v) { __atomic_store_n(&a->counter, v, __ATOMIC_RELAXED); }

/* locks: count nesting so tests can assert nothing is left held */
typedef struct { int held; } spinlock_t;
#define DEFINE_SPINLOCK(x)	spinlock_t x = { 0 }
#define spin_lock_irqsave(l, f)	do { (f) = 0; if ((l)->held++) xdx_lock_bug(); } while (0)
#define spin_unlock_irqrestore(l, f) do { (void)(f); (l)->held--; } while (0)
void xdx_lock_bug(void);

/* allocation, with injectable failure */
#define GFP_ATOMIC	1u
#define __GFP_NOWARN	2u
extern int xdx_fail_kzalloc;
static inline void *kzalloc(size_t n, unsigned int gfp)
{
	(void)gfp;
	if (xdx_fail_kzalloc) {
		xdx_fail_kzalloc--;
		return NULL;
	}
	return calloc(1, n);
}
#define kfree(p)	free(p)

/* context */
extern bool xdx_in_hardirq;
#define in_hardirq()	(xdx_in_hardirq)
#define in_nmi()	(false)

/* devices */
struct device {
	u64 *dma_mask;
	u64 bus_dma_limit;
	u64 mask;
	bool force_bounce;
};
static inline bool is_swiotlb_force_bounce(struct device *dev) { return dev->force_bounce; }
static inline dma_addr_t phys_to_dma(struct device *dev, phys_addr_t p) { (void)dev; return p; }
static inline phys_addr_t dma_to_phys(struct device *dev, dma_addr_t a) { (void)dev; return a; }
static inline const char *dev_name(struct device *dev) { return dev->dma_mask && *dev->dma_mask == ~0ULL ? "dev64" : "dev32"; }
static inline bool dma_capable(struct device *dev, dma_addr_t addr, size_t size, bool is_ram)
{
	u64 limit = min_not_zero(*dev->dma_mask, dev->bus_dma_limit);

	(void)is_ram;
	return addr + size - 1 <= limit && addr + size - 1 >= addr;
}

/* pages and folios: one simulated struct per pseudo-physical frame */
#define XPF_SLAB	(1u << 0)
#define XPF_RESERVED	(1u << 1)
#define XPF_BUDDY	(1u << 2)
#define XPF_ANON	(1u << 3)
#define XPF_LOCKED	(1u << 4)
#define XPF_UPTODATE	(1u << 5)
#define XPF_DIRTY	(1u << 6)
#define XPF_WRITEBACK	(1u << 7)
struct folio {
	unsigned int flags;
	void *mapping;
	int refcount;
	int mapcount;
};
struct page { struct folio f; };
extern struct page *xdx_sim_pages;
#define pfn_to_page(pfn)		(&xdx_sim_pages[pfn])
#define page_folio(p)			(&(p)->f)
#define folio_test_slab(f)		(!!((f)->flags & XPF_SLAB))
#define PageReserved(p)			(!!((p)->f.flags & XPF_RESERVED))
#define PageBuddy(p)			(!!((p)->f.flags & XPF_BUDDY))
#define folio_mapped(f)			((f)->mapcount > 0)
#define folio_ref_count(f)		((f)->refcount)
#define folio_test_anon(f)		(!!((f)->flags & XPF_ANON))
#define folio_test_locked(f)		(!!((f)->flags & XPF_LOCKED))
#define folio_test_uptodate(f)		(!!((f)->flags & XPF_UPTODATE))
#define folio_test_dirty(f)		(!!((f)->flags & XPF_DIRTY))
#define folio_test_writeback(f)		(!!((f)->flags & XPF_WRITEBACK))

/* fault injection: fail the next N, or every Nth call */
struct fault_attr { int fail_next; int every; int calls; };
#define DECLARE_FAULT_ATTR(name)	struct fault_attr name = { 0 }
static inline bool should_fail(struct fault_attr *a, ssize_t size)
{
	(void)size;
	a->calls++;
	if (a->fail_next) {
		a->fail_next--;
		return true;
	}
	return a->every && a->calls % a->every == 0;
}

/* module parameters: only the setters are exercised, directly */
struct kernel_param { void *arg; };
struct kernel_param_ops {
	int (*set)(const char *val, const struct kernel_param *kp);
	int (*get)(char *buf, const struct kernel_param *kp);
};
#define param_get_uint	NULL
#define param_get_ulong	NULL
#define module_param_named(n, v, t, p)
#define module_param_cb(n, ops, arg, p)
#define MODULE_PARM_DESC(n, d)
static inline int kstrtoul(const char *s, unsigned int base, unsigned long *res)
{
	char *end;

	if (!*s || *s == '-')
		return -EINVAL;
	errno = 0;
	*res = strtoul(s, &end, base);
	if (errno || (*end && !(*end == '\n' && !end[1])))
		return -EINVAL;
	return 0;
}
static inline int kstrtouint(const char *s, unsigned int base, unsigned int *res)
{
	unsigned long v;

	if (kstrtoul(s, base, &v) || v > 0xffffffffUL)
		return -EINVAL;
	*res = v;
	return 0;
}

/* Xen */
static inline bool xen_pv_domain(void) { return true; }

#endif /* XDX_SHIM_H */
