/* SPDX-License-Identifier: GPL-2.0 */
/* Simulated Xen PV domain for the host harness; see xdx_sim.c. */
#ifndef XDX_SIM_H
#define XDX_SIM_H

#define SIM_PFNS	8192UL			/* 32 MiB domain */
#define SIM_MFNS	(1UL << 21)		/* 8 GiB machine */
#define SIM_4G		(1UL << 20)		/* first frame at 4 GiB */
#define SIM_LOW_BASE	(SIM_4G - (1UL << 16))	/* free low memory starts here */
#define SIM_NO_FRAME	(~0UL)
#define SIM_FREE	(-1L)
#define SIM_OTHER	(-2L)

struct xdx_sim {
	unsigned long p2m[SIM_PFNS];
	long m2p[SIM_MFNS];			/* owning pfn, SIM_FREE, SIM_OTHER */
	bool foreign[SIM_PFNS];			/* grant-mapped frame */
	bool pinned[SIM_PFNS];			/* extra reference: steal fails */
	unsigned char mem[SIM_PFNS][4096];	/* contents, by owning pfn */
	unsigned long cursor;
	int fail_next;
	unsigned long exchange_calls, exchanges_done;
};
extern struct xdx_sim sim;

void sim_init(unsigned long low_frames, unsigned int seed);
void sim_fill_page(unsigned long pfn, unsigned int seed);
unsigned char *sim_cpu_page(unsigned long pfn);
unsigned char *sim_machine_byte(dma_addr_t maddr);
void sim_balloon_out(unsigned long pfn);
void sim_balloon_in(unsigned long pfn);

#endif
