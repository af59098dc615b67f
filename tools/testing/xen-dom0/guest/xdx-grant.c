// SPDX-License-Identifier: GPL-2.0
/*
 * xdx-grant: DMA from and to pages dom0 shares through the grant table.
 *
 * dom0 grants N of its own pages to itself (gntalloc) and maps those grants
 * back (gntdev), so the same frames are seen twice: as dom0's own, granted
 * pages, and as a foreign (grant) mapping.  O_DIRECT I/O on the block device
 * is then done from and into both views; a frame exchanged under either
 * view would break the other, so after every transfer both views must hold
 * exactly the expected bytes.
 *
 * usage: xdx-grant <dev> <pages> <seed>
 * Exits 0 if every byte matched, 1 on a mismatch or I/O error, 2 if the
 * grant devices are missing or refuse.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
/* the tree's uapi headers use these Xen interface types */
typedef uint32_t grant_ref_t;
typedef uint16_t domid_t;
#include <xen/gntalloc.h>
#include <xen/gntdev.h>

#define PG 4096UL

static void fill(unsigned char *p, size_t len, uint32_t seed)
{
	size_t i;

	for (i = 0; i < len; i++) {
		seed = seed * 1103515245 + 12345;
		p[i] = seed >> 16;
	}
}

static unsigned long diff(const unsigned char *a, const unsigned char *b, size_t len)
{
	unsigned long n = 0;
	size_t i;

	for (i = 0; i < len; i++)
		n += a[i] != b[i];
	return n;
}

/* one O_DIRECT transfer of len bytes at offset 0 */
static int xfer(const char *dev, void *buf, size_t len, int write)
{
	int fd = open(dev, (write ? O_WRONLY : O_RDONLY) | O_DIRECT);
	ssize_t r;

	if (fd < 0) {
		perror("open");
		return -1;
	}
	r = write ? pwrite(fd, buf, len, 0) : pread(fd, buf, len, 0);
	if (r != (ssize_t)len) {
		perror(write ? "pwrite" : "pread");
		close(fd);
		return -1;
	}
	if (write && fsync(fd))
		perror("fsync");
	return close(fd);
}

int main(int argc, char **argv)
{
	struct ioctl_gntalloc_alloc_gref *a;
	struct ioctl_gntdev_map_grant_ref *m;
	unsigned char *own, *foreign, *ref;
	unsigned long bad = 0, n, i;
	const char *dev;
	uint32_t seed;
	size_t len;
	int fa, fd;

	if (argc < 4) {
		fprintf(stderr, "usage: %s dev pages seed\n", argv[0]);
		return 2;
	}
	dev = argv[1];
	n = strtoul(argv[2], NULL, 0);
	seed = strtoul(argv[3], NULL, 0);
	len = n * PG;

	fa = open("/dev/xen/gntalloc", O_RDWR);
	fd = open("/dev/xen/gntdev", O_RDWR);
	if (fa < 0 || fd < 0) {
		perror("open /dev/xen/gntalloc or gntdev");
		return 2;
	}
	a = calloc(1, sizeof(*a) + n * sizeof(a->gref_ids[0]));
	m = calloc(1, sizeof(*m) + n * sizeof(m->refs[0]));
	ref = malloc(len);
	if (!a || !m || !ref)
		return 2;
	a->domid = 0;
	a->flags = GNTALLOC_FLAG_WRITABLE;
	a->count = n;
	if (ioctl(fa, IOCTL_GNTALLOC_ALLOC_GREF, a)) {
		perror("IOCTL_GNTALLOC_ALLOC_GREF");
		return 2;
	}
	own = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fa, a->index);
	m->count = n;
	for (i = 0; i < n; i++) {
		m->refs[i].domid = 0;
		m->refs[i].ref = a->gref_ids[i];
	}
	if (own == MAP_FAILED || ioctl(fd, IOCTL_GNTDEV_MAP_GRANT_REF, m)) {
		perror("gntalloc mmap or IOCTL_GNTDEV_MAP_GRANT_REF");
		return 2;
	}
	foreign = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, m->index);
	if (foreign == MAP_FAILED) {
		perror("gntdev mmap");
		return 2;
	}

	/* the two views share frames */
	fill(own, len, seed);
	if (diff(own, foreign, len)) {
		fprintf(stderr, "grant: the gntdev view does not show the granted pages\n");
		return 1;
	}
	printf("grant: %lu own pages granted and mapped back\n", n);

	/* from the granted pages to the disk and back into them */
	fill(ref, len, seed);
	if (xfer(dev, own, len, 1))
		return 1;
	memset(own, 0x5a, len);
	if (xfer(dev, own, len, 0))
		return 1;
	bad += diff(own, ref, len) + diff(foreign, ref, len);
	printf("grant: O_DIRECT via the granted pages: %lu mismatched bytes\n", bad);

	/* the same through the foreign (grant) mapping, where it is allowed */
	fill(ref, len, seed + 1);
	memcpy(foreign, ref, len);
	if (xfer(dev, foreign, len, 1) == 0) {
		memset(foreign, 0xa5, len);
		if (xfer(dev, foreign, len, 0))
			return 1;
		i = diff(foreign, ref, len) + diff(own, ref, len);
		printf("grant: O_DIRECT via the grant mapping: %lu mismatched bytes\n", i);
		bad += i;
	} else {
		printf("grant: O_DIRECT from the grant mapping refused (no struct pages)\n");
	}
	printf("grant: verified %zu bytes, %lu mismatched\n", 4 * len, bad);
	return bad ? 1 : 0;
}
