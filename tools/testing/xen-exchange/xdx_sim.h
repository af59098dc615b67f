/* SPDX-License-Identifier: GPL-2.0 */
/* Simulated Xen PV domain for the host harness; see xdx_sim.c. */
#ifndef XDX_SIM_H
#define XDX_SIM_H

#define SIM_PFNS	16384UL			/* 64 MiB domain */
#define SIM_CALLER_PFNS	4096UL			/* [0, 4096): callers' buffers */
#define SIM_POOL_PFN	4096UL			/* the fixed swiotlb pool */
#define SIM_POOL_PFNS	512UL
#define SIM_ALLOC_PFN	8192UL			/* [8192, SIM_PFNS): alloc_pages_exact() */
#define SIM_MFNS	(1UL << 21)		/* 8 GiB machine */
#define SIM_4G		(1UL << 20)		/* first frame at 4 GiB */
#define SIM_LOW_BASE	(SIM_4G - (1UL << 16))	/* free low memory starts here */
#define SIM_POOL_MFN	(1UL << 16)		/* the pool's frames, at 256 MiB */
#define SIM_NO_FRAME	(~0UL)
#define SIM_FREE	(-1L)
#define SIM_OTHER	(-2L)
#define SIM_CONTIG_ORDER 9			/* mmu_pv's MIN_CONTIG_ORDER */

struct xdx_sim {
	unsigned long p2m[SIM_PFNS];
	long m2p[SIM_MFNS];			/* owning pfn, SIM_FREE, SIM_OTHER */
	unsigned char mem[SIM_PFNS][4096];	/* contents, by pfn */
	bool allocated[SIM_PFNS];
	bool restricted[SIM_PFNS];		/* exchanged with an address limit */
	unsigned long unmapped_before_gp[SIM_PFNS];	/* xdx_sim_gp_seq + 1 at the unmap */
	unsigned long cursor;
	unsigned int contig_order;		/* mmu_pv's discontig_frames_order */
	bool in_atomic;				/* inside the mapping path */
	int fail_create;			/* fail the next N exchanges, -ENOMEM */
	int fail_alloc;				/* fail the next N alloc_pages_exact() */
	unsigned int memop_max_order;		/* Xen's cap on an exchange's order */
	unsigned long refused;			/* exchanges refused by that cap */
	unsigned long creates, creates_done, destroys, allocs, frees;
	unsigned long frames_exchanged, frames_returned;	/* by the two calls */
	unsigned long restricted_held;		/* of those, held with a limit */
	unsigned long destroyed[11];		/* extents given back, by order */
	unsigned long destroyed_pfn[16];	/* the Nth given back at [N % 16] */
	unsigned long bad_exchanges;		/* a page not the backend's own */
	unsigned long atomic_grows;		/* GFP_KERNEL growth in atomic context */
	unsigned long bad_frees;
	unsigned long bad_waits;		/* one in atomic context or under RCU */
	unsigned long early_destroys;		/* pages given back before a grace period */
	unsigned long held_undercounted;	/* budgets below the frames held */
	unsigned long early_frees;		/* kfree() of a struct readers may hold */
	unsigned long rcu_warnings;		/* RCU_LOCKDEP_WARN() that fired */
	unsigned long erases_irqs_off;		/* tree erases since a lock was taken */
	unsigned long most_erases_irqs_off;	/* the most in one irqs-off section */
};
extern struct xdx_sim sim;
extern unsigned int sim_boot_max_order;	/* sim.memop_max_order at sim_init() */

void sim_init(unsigned long low_frames, unsigned int seed);
unsigned long sim_backend_held_bytes(void);	/* xdx_test.c */
unsigned long sim_backend_held_low_bytes(void);	/* xdx_test.c */
void sim_note_unmap(phys_addr_t phys, size_t size);
void sim_fill(phys_addr_t phys, size_t size, unsigned int seed);
unsigned char *sim_machine_byte(dma_addr_t maddr);
unsigned long sim_free_low_frames(void);
unsigned long sim_pages_allocated(void);
bool sim_backend_owned(unsigned long pfn, unsigned int order);
bool sim_make_contiguous(unsigned long pfn, unsigned long n);
unsigned long sim_bfn_to_pfn(unsigned long bfn);

#endif
