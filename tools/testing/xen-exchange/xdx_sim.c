// SPDX-License-Identifier: GPL-2.0
/*
 * A simulated Xen PV domain for the host harness: pseudo-physical pages with
 * a P2M, machine frames with an M2P, and XENMEM_exchange with Xen's rules:
 *  - input pages are taken with steal_page(): a page with any extra
 *    reference or mapping (sim_pin()) makes the whole exchange fail, -EINVAL;
 *  - output is one 2^order extent, machine aligned, below 2^address_bits,
 *    all or nothing: -ENOMEM when no such free extent exists;
 *  - extents larger than the hardware domain's limit (order 12) fail -EPERM;
 *  - failures can be injected (sim.fail_next).
 * The device's view of memory goes through the M2P (sim_machine_byte()), so
 * a wrong bus address reads another page's bytes or no page at all.  Page
 * contents stay with the pseudo-physical page across an exchange, which is
 * the contract of the content-preserving wrapper being modelled.
 */
#include <assert.h>
#include "xdx_shim.h"
#include <xen/dma-exchange.h>
#include "xdx_sim.h"

struct xdx_sim sim;
struct page *xdx_sim_pages;
int xdx_verbose;
int xdx_fail_kzalloc;
bool xdx_in_hardirq;

void xdx_lock_bug(void)
{
	fprintf(stderr, "FATAL: spinlock taken recursively\n");
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

void sim_init(unsigned long low_frames, unsigned int seed)
{
	unsigned long pfn, m;

	memset(&sim, 0, sizeof(sim));
	srand(seed);
	free(xdx_sim_pages);
	xdx_sim_pages = calloc(SIM_PFNS, sizeof(struct page));
	for (m = 0; m < SIM_MFNS; m++)
		sim.m2p[m] = SIM_OTHER;		/* another domain's, or Xen's */
	for (m = SIM_LOW_BASE; m < SIM_LOW_BASE + low_frames && m < SIM_4G; m++)
		sim.m2p[m] = SIM_FREE;
	for (m = SIM_4G; m < SIM_MFNS; m++)
		sim.m2p[m] = SIM_FREE;
	/* the domain's frames: scattered above 4 GiB, as dom0's are */
	for (pfn = 0; pfn < SIM_PFNS; pfn++) {
		do {
			m = SIM_4G + (unsigned long)rand() % (SIM_MFNS - SIM_4G);
		} while (!frame_free(m));
		sim.p2m[pfn] = m;
		sim.m2p[m] = pfn;
		xdx_sim_pages[pfn].f.refcount = 1;
		sim_fill_page(pfn, rand());
	}
}

void sim_fill_page(unsigned long pfn, unsigned int seed)
{
	unsigned char *p = sim_cpu_page(pfn);
	unsigned long i;

	for (i = 0; i < PAGE_SIZE; i++)
		p[i] = (unsigned char)(seed + i * 13 + (i >> 7));
}

unsigned char *sim_cpu_page(unsigned long pfn)
{
	return sim.mem[pfn];
}

/* What a device reading machine address @maddr sees; NULL if not ours. */
unsigned char *sim_machine_byte(dma_addr_t maddr)
{
	unsigned long m = PHYS_PFN(maddr);

	if (m >= SIM_MFNS || sim.m2p[m] < 0)
		return NULL;
	return &sim.mem[sim.m2p[m]][offset_in_page(maddr)];
}

int xen_exchange_region_preserve(phys_addr_t pstart, unsigned int order,
				 unsigned int address_bits, dma_addr_t *dma)
{
	unsigned long pfn = PHYS_PFN(pstart), n = 1UL << order, i;
	unsigned long limit, lo;
	long ext;

	sim.exchange_calls++;
	if (order > XEN_DMA_EXCHANGE_MAX_ORDER)
		return -EINVAL;
	if (order > 12)
		return -EPERM;
	if (sim.fail_next) {
		sim.fail_next--;
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		assert(pfn + i < SIM_PFNS);
		if (sim.p2m[pfn + i] == SIM_NO_FRAME || sim.foreign[pfn + i] ||
		    sim.pinned[pfn + i])
			return -EINVAL;		/* steal_page() refuses */
	}
	limit = address_bits >= 64 || (1ULL << (address_bits - PAGE_SHIFT)) > SIM_MFNS ?
		SIM_MFNS : 1UL << (address_bits - PAGE_SHIFT);
	lo = limit <= SIM_4G ? SIM_LOW_BASE : 0;
	ext = find_extent(lo, limit, order);
	if (ext < 0)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		unsigned long old = sim.p2m[pfn + i];

		sim.m2p[old] = SIM_FREE;
		sim.m2p[ext + i] = pfn + i;
		sim.p2m[pfn + i] = ext + i;
	}
	sim.exchanges_done++;
	*dma = PFN_PHYS(ext);
	return 0;
}

unsigned long xen_pfn_to_bfn_owned(unsigned long pfn)
{
	if (pfn >= SIM_PFNS || sim.p2m[pfn] == SIM_NO_FRAME || sim.foreign[pfn])
		return XEN_DMA_NO_FRAME;
	return sim.p2m[pfn];
}

unsigned long xen_bfn_to_pfn_m2p(unsigned long bfn)
{
	if (bfn >= SIM_MFNS || sim.m2p[bfn] < 0)
		return XEN_DMA_NO_FRAME;
	return sim.m2p[bfn];
}

int xen_exchange_setup(void)
{
	return 0;
}

void sim_balloon_out(unsigned long pfn)
{
	if (sim.p2m[pfn] == SIM_NO_FRAME)
		return;
	sim.m2p[sim.p2m[pfn]] = SIM_FREE;
	sim.p2m[pfn] = SIM_NO_FRAME;
}

void sim_balloon_in(unsigned long pfn)
{
	long m;

	if (sim.p2m[pfn] != SIM_NO_FRAME)
		return;
	m = find_extent(SIM_4G, SIM_MFNS, 0);
	assert(m >= 0);
	sim.m2p[m] = pfn;
	sim.p2m[pfn] = m;
	sim_fill_page(pfn, rand());
}
