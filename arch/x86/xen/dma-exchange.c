// SPDX-License-Identifier: GPL-2.0
/*
 * Xen PV plumbing for exchange-on-demand DMA: a raw M2P lookup, so that
 * the backend's verify mode can cross-check the machine frames of a
 * region through Xen's table rather than the P2M.
 */
#include <linux/mm.h>
#include <asm/xen/page.h>
#include <xen/dma-exchange.h>

/**
 * xen_bfn_to_pfn_m2p() - the PFN Xen's machine-to-physical table names
 * @bfn: machine frame number
 *
 * Reads the M2P only, independently of our P2M, so that it can cross-check
 * what the P2M says (verify mode).
 *
 * Return: the PFN, or XEN_DMA_NO_FRAME if the M2P has no entry.
 */
unsigned long xen_bfn_to_pfn_m2p(unsigned long bfn)
{
	unsigned long pfn = mfn_to_pfn_no_overrides(bfn);

	return (long)pfn < 0 ? XEN_DMA_NO_FRAME : pfn;
}
