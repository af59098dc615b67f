// SPDX-License-Identifier: GPL-2.0
/*
 * A simulated Xen PV domain for the host harness: pseudo-physical pages with
 * a P2M, machine frames with an M2P, a page allocator, and the two x86 PV
 * calls the region allocator makes, with mmu_pv.c's semantics:
 *
 * xen_create_contiguous_region(pstart, order, bits, &maddr): zeroes the
 *   2^order pages first (their contents are lost, success or not), then
 *   exchanges their frames for one extent of 2^order machine frames,
 *   naturally aligned, below 2^bits when bits != 0; all or nothing, -ENOMEM
 *   when no such extent is free, when sim.fail_create says so, or when the
 *   order is above sim.memop_max_order (Xen's cap).  An order
 *   above the frame array's (MIN_CONTIG_ORDER at first) grows the array with
 *   GFP_KERNEL: counted as a bug when it happens in the mapping path.
 * xen_destroy_contiguous_region(pstart, order): zeroes the pages and
 *   exchanges the extent back for 2^order scattered frames above 4 GiB;
 *   does nothing for an order the frame array never grew to.
 *
 * The harness also asserts the safety property here: only pages the backend
 * got from alloc_pages_exact() and still holds are ever exchanged.
 * The device's view of memory goes through the M2P (sim_machine_byte()).
 */
#include <assert.h>
#include "xdx_shim.h"
#include <xen/dma-exchange.h>
#include "xdx_sim.h"

struct xdx_sim sim;
unsigned int sim_boot_max_order = 18;	/* Xen's default for dom0 */
struct page xdx_sim_pages[SIM_PFNS];
const struct dma_map_ops xen_swiotlb_dma_ops;
const struct dma_map_ops *dma_ops = &xen_swiotlb_dma_ops;
int xdx_verbose;
int xdx_fail_kzalloc;
int xdx_rcu_depth;
unsigned long xdx_sim_gp_seq;
int xdx_sim_locks_held;
int xdx_sim_cpu;
unsigned long xdx_dev_errs;
struct shrinker *xdx_shrinker_registered;
struct bus_type pci_bus_type;

/*
 * Nodes erased from a latched tree since the last grace period and not
 * yet freed: a lock-free reader may still read the struct around one (the
 * node is the first member of struct xdx_region, so they share the
 * address; xdx_test.c asserts it).  Each such struct holds a page.
 */
static const void *erased[SIM_PFNS];
static unsigned int nr_erased;

/*
 * A grace period: no reader runs beside the code here, so it only ends
 * one (what unmaps before it may be given back) and notes a wait where
 * the kernel could not sleep.
 */
void xdx_sim_synchronize_rcu(void)
{
	if (sim.in_atomic || xdx_rcu_depth || xdx_sim_locks_held)
		sim.bad_waits++;
	xdx_sim_gp_seq++;
	nr_erased = 0;
}

/*
 * The unmap of a region's mapping of [@phys, +@size): until the next
 * grace period a stale sync may still copy to those pages, so they may
 * not be given back (xen_destroy_contiguous_region() checks).
 */
void sim_note_unmap(phys_addr_t phys, size_t size)
{
	unsigned long pfn;

	for (pfn = PHYS_PFN(phys); pfn <= PHYS_PFN(phys + size - 1); pfn++)
		sim.unmapped_before_gp[pfn] = xdx_sim_gp_seq + 1;
}

void xdx_sim_note_erase(const void *node)
{
	assert(nr_erased < ARRAY_SIZE(erased));
	erased[nr_erased++] = node;
	sim.erases_irqs_off++;
}

/*
 * The last lock held is dropped, so interrupts are back on: how many tree
 * erases the section did measures how long they were off.
 */
void xdx_sim_irqs_on(void)
{
	if (sim.erases_irqs_off > sim.most_erases_irqs_off)
		sim.most_erases_irqs_off = sim.erases_irqs_off;
	sim.erases_irqs_off = 0;
}

void xdx_sim_kfree(const void *p, bool rcu)
{
	unsigned int i;

	for (i = 0; i < nr_erased; i++)
		if (erased[i] == p) {
			if (!rcu)
				sim.early_frees++;
			erased[i] = erased[--nr_erased];
			break;
		}
	free((void *)p);
}

/* RCU_LOCKDEP_WARN(): counted, and the books fail on it. */
void xdx_sim_rcu_warn(const char *what)
{
	if (xdx_verbose)
		printf("# RCU: %s\n", what);
	sim.rcu_warnings++;
}

void xdx_lock_bug(const char *what)
{
	fprintf(stderr, "FATAL: spinlock %s\n", what);
	abort();
}

static bool frame_free(unsigned long mfn) { return sim.m2p[mfn] == SIM_FREE; }

/* Next-fit search for 2^order free aligned frames in [lo, hi). */
static long find_extent(unsigned long lo, unsigned long hi, unsigned int order)
{
	unsigned long n = 1UL << order, start, i, pass;

	lo = (lo + n - 1) & ~(n - 1);
	if (hi < lo + n)
		return -1;
	start = sim.cursor < lo || sim.cursor >= hi ? lo : sim.cursor & ~(n - 1);
	for (pass = 0; pass < 2; pass++) {
		unsigned long s;

		for (s = start; s + n <= hi; s += n) {
			for (i = 0; i < n && frame_free(s + i); i++)
				;
			if (i == n) {
				sim.cursor = s + n;
				return s;
			}
		}
		start = lo;
	}
	return -1;
}

static unsigned long random_high_frame(void)
{
	unsigned long m;

	do {
		m = SIM_4G + (unsigned long)rand() % (SIM_MFNS - SIM_4G);
	} while (!frame_free(m));
	return m;
}

void sim_init(unsigned long low_frames, unsigned int seed)
{
	unsigned long pfn, m;

	memset(&sim, 0, sizeof(sim));
	xdx_sim_gp_seq = 0;
	nr_erased = 0;
	memset(xdx_sim_pages, 0, sizeof(xdx_sim_pages));
	sim.contig_order = SIM_CONTIG_ORDER;
	sim.memop_max_order = sim_boot_max_order;
	srand(seed);
	for (m = 0; m < SIM_MFNS; m++)
		sim.m2p[m] = SIM_OTHER;		/* another domain's, or Xen's */
	for (m = SIM_LOW_BASE; m < SIM_LOW_BASE + low_frames && m < SIM_4G; m++)
		sim.m2p[m] = SIM_FREE;
	for (m = SIM_4G; m < SIM_MFNS; m++)
		sim.m2p[m] = SIM_FREE;
	/* the domain's frames: scattered above 4 GiB, as dom0's are ... */
	for (pfn = 0; pfn < SIM_PFNS; pfn++) {
		if (pfn >= SIM_POOL_PFN && pfn < SIM_POOL_PFN + SIM_POOL_PFNS)
			m = SIM_POOL_MFN + pfn - SIM_POOL_PFN;	/* ... but the pool */
		else
			m = random_high_frame();
		sim.p2m[pfn] = m;
		sim.m2p[m] = pfn;
	}
	sim_fill(0, SIM_CALLER_PFNS * PAGE_SIZE, rand());
}

void sim_fill(phys_addr_t phys, size_t size, unsigned int seed)
{
	unsigned char *p = phys_to_virt(phys);
	size_t i;

	for (i = 0; i < size; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (unsigned char)(seed >> 16);
	}
}

void *phys_to_virt(phys_addr_t phys)
{
	assert(PHYS_PFN(phys) < SIM_PFNS);
	return &sim.mem[0][0] + phys;
}

phys_addr_t virt_to_phys(const void *virt)
{
	phys_addr_t phys = (const unsigned char *)virt - &sim.mem[0][0];

	assert(PHYS_PFN(phys) < SIM_PFNS);
	return phys;
}

/* What a device at machine address @maddr reaches; NULL if not ours. */
unsigned char *sim_machine_byte(dma_addr_t maddr)
{
	unsigned long m = PHYS_PFN(maddr);

	if (m >= SIM_MFNS || sim.m2p[m] < 0)
		return NULL;
	return &sim.mem[sim.m2p[m]][offset_in_page(maddr)];
}

/* bfn_to_pfn(): the M2P, checked against the P2M as mmu_pv does. */
unsigned long sim_bfn_to_pfn(unsigned long bfn)
{
	long pfn;

	if (bfn >= SIM_MFNS || (pfn = sim.m2p[bfn]) < 0 || sim.p2m[pfn] != bfn)
		return SIM_NO_FRAME;
	return pfn;
}

unsigned long sim_free_low_frames(void)
{
	unsigned long m, n = 0;

	for (m = SIM_LOW_BASE; m < SIM_4G; m++)
		n += frame_free(m);
	return n;
}

unsigned long sim_pages_allocated(void)
{
	unsigned long pfn, n = 0;

	for (pfn = SIM_ALLOC_PFN; pfn < SIM_PFNS; pfn++)
		n += sim.allocated[pfn];
	return n;
}

/* Give [pfn, pfn + n) machine-contiguous frames above 4 GiB. */
bool sim_make_contiguous(unsigned long pfn, unsigned long n)
{
	long ext = find_extent(SIM_4G, SIM_MFNS, fls64(n - 1));
	unsigned long i;

	if (ext < 0)
		return false;
	for (i = 0; i < n; i++) {
		sim.m2p[sim.p2m[pfn + i]] = SIM_FREE;
		sim.m2p[ext + i] = pfn + i;
		sim.p2m[pfn + i] = ext + i;
	}
	return true;
}

/*
 * ---- the page allocator: naturally aligned blocks, as the buddy's, split
 * into single pages as alloc_pages_exact() splits them ----
 */

void *alloc_pages_exact(size_t size, gfp_t gfp)
{
	unsigned long n = size >> PAGE_SHIFT, pfn, i;

	assert(size && !(size & (size - 1)) && size >= PAGE_SIZE);
	if (sim.fail_alloc) {
		sim.fail_alloc--;
		return NULL;
	}
	for (pfn = SIM_ALLOC_PFN; pfn + n <= SIM_PFNS; pfn += n) {
		for (i = 0; i < n && !sim.allocated[pfn + i]; i++)
			;
		if (i < n)
			continue;
		for (i = 0; i < n; i++)
			sim.allocated[pfn + i] = true;
		sim.allocs++;
		/* fresh pages hold whatever they held: leftovers */
		sim_fill(PFN_PHYS(pfn), size, rand());
		return phys_to_virt(PFN_PHYS(pfn));
	}
	return NULL;
}

/* Any run of pages got from alloc_pages_exact(), each page still held. */
void free_pages_exact(void *virt, size_t size)
{
	unsigned long pfn = PHYS_PFN(virt_to_phys(virt)), n = size >> PAGE_SHIFT, i;

	for (i = 0; i < n; i++)
		if (pfn + i < SIM_ALLOC_PFN || pfn + i >= SIM_PFNS ||
		    !sim.allocated[pfn + i]) {
			sim.bad_frees++;
			return;
		}
	for (i = 0; i < n; i++)
		sim.allocated[pfn + i] = false;
	memset(virt, 0x6b, size);	/* poison */
	sim.frees++;
}

/* ---- x86 PV: mmu_pv.c ---- */

bool sim_backend_owned(unsigned long pfn, unsigned int order)
{
	unsigned long i;

	if (pfn < SIM_ALLOC_PFN || pfn + (1UL << order) > SIM_PFNS)
		return false;
	for (i = 0; i < 1UL << order; i++)
		if (!sim.allocated[pfn + i])
			return false;
	return true;
}

int xen_create_contiguous_region(phys_addr_t pstart, unsigned int order,
				 unsigned int address_bits, dma_addr_t *dma_handle)
{
	unsigned long pfn = PHYS_PFN(pstart), n = 1UL << order, i, limit;
	long ext = -1;

	sim.creates++;
	if (offset_in_page(pstart) || !sim_backend_owned(pfn, order)) {
		/* exchanging a page someone else may use: the bug to prevent */
		sim.bad_exchanges++;
		return -EINVAL;
	}
	if (order > sim.contig_order) {
		if (sim.in_atomic)
			sim.atomic_grows++;	/* alloc_discontig_frames(GFP_KERNEL) */
		sim.contig_order = order;
	}
	memset(phys_to_virt(pstart), 0, PAGE_SIZE << order);
	if (order > sim.memop_max_order) {	/* refused: mmu_pv says -ENOMEM */
		sim.refused++;
		*dma_handle = PFN_PHYS(sim.p2m[pfn]);
		return -ENOMEM;
	}
	if (sim.fail_create) {
		sim.fail_create--;
		*dma_handle = PFN_PHYS(sim.p2m[pfn]);
		return -ENOMEM;
	}
	limit = address_bits && address_bits - PAGE_SHIFT < 21 ?
		1UL << (address_bits - PAGE_SHIFT) : SIM_MFNS;
	if (limit > SIM_4G)			/* Xen hands out high memory first */
		ext = find_extent(SIM_4G, limit, order);
	if (ext < 0)
		ext = find_extent(0, limit < SIM_4G ? limit : SIM_4G, order);
	if (ext < 0) {
		*dma_handle = PFN_PHYS(sim.p2m[pfn]);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		sim.m2p[sim.p2m[pfn + i]] = SIM_FREE;
		sim.m2p[ext + i] = pfn + i;
		sim.p2m[pfn + i] = ext + i;
		sim.restricted[pfn + i] = address_bits;
	}
	if (address_bits)
		sim.restricted_held += n;
	sim.creates_done++;
	sim.frames_exchanged += n;
	*dma_handle = PFN_PHYS(ext);
	return 0;
}

void xen_destroy_contiguous_region(phys_addr_t pstart, unsigned int order)
{
	unsigned long pfn = PHYS_PFN(pstart), n = 1UL << order, i;

	if (order > sim.contig_order)
		return;
	if (!sim_backend_owned(pfn, order))
		sim.bad_exchanges++;
	for (i = 0; i < n; i++)		/* a reader may still copy to it */
		if (sim.unmapped_before_gp[pfn + i] > xdx_sim_gp_seq)
			sim.early_destroys++;
	/* the budgets count what is held until it is given back */
	if (sim_backend_held_bytes() <
	    (sim.frames_exchanged - sim.frames_returned) * PAGE_SIZE ||
	    sim_backend_held_low_bytes() < sim.restricted_held * PAGE_SIZE)
		sim.held_undercounted++;
	memset(phys_to_virt(pstart), 0, PAGE_SIZE << order);
	for (i = 0; i < n; i++)
		assert(sim.p2m[pfn + i] == sim.p2m[pfn] + i);
	for (i = 0; i < n; i++) {
		unsigned long m = random_high_frame();

		sim.m2p[sim.p2m[pfn + i]] = SIM_FREE;
		sim.m2p[m] = pfn + i;
		sim.p2m[pfn + i] = m;
		sim.restricted_held -= sim.restricted[pfn + i];
		sim.restricted[pfn + i] = false;
	}
	sim.destroyed_pfn[sim.destroys % ARRAY_SIZE(sim.destroyed_pfn)] = pfn;
	sim.destroys++;
	sim.destroyed[order]++;
	sim.frames_returned += n;
}

/* ---- arch/x86/xen/dma-exchange.c ---- */

unsigned long xen_bfn_to_pfn_m2p(unsigned long bfn)
{
	if (bfn >= SIM_MFNS || sim.m2p[bfn] < 0)
		return XEN_DMA_NO_FRAME;
	return sim.m2p[bfn];
}
