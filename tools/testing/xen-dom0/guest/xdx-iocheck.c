// SPDX-License-Identifier: GPL-2.0
/*
 * xdx-iocheck: write a seeded pseudo-random pattern to a block device and
 * read it back, comparing every byte.  Used by the Xen dom0 guest suite.
 *
 * usage: xdx-iocheck <dev> <total-MiB> <block-KiB> <seed> <direct|buffered>
 *                    [write|read|both] [seq|rand]
 *
 * "buffered" reads go through the page cache (drop caches before reading so
 * the pages are filled by DMA); "direct" uses O_DIRECT with an aligned user
 * buffer, so every block is DMAed straight from/to user pages.
 * "rand" visits the blocks in a seeded random order instead of in sequence.
 *
 * Environment, for the tests of pages that must never be exchanged:
 *   XDX_IOBUF_FILE=<path>  the I/O buffer is a shared mapping of this file
 *                          (created; on tmpfs, page-cache pages mapped to
 *                          user space), not anonymous memory
 *   XDX_NO_DROP=1          buffered reads keep the page cache (read what is
 *                          cached, possibly still under writeback)
 * Prints each pass's throughput ("iocheck-rate: write|read <MB/s>"), bytes
 * verified and mismatches; exits 1 on any mismatch or I/O error.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t next(uint64_t *s)
{
	/* xorshift64* */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static void fill(unsigned char *buf, size_t len, uint64_t seed, uint64_t blk)
{
	uint64_t s = seed * 0x9e3779b97f4a7c15ULL + blk + 1;
	size_t i;

	for (i = 0; i < len; i += 8) {
		uint64_t v = next(&s);

		memcpy(buf + i, &v, 8);
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void rate(const char *what, unsigned long long bytes, double t0)
{
	double dt = now() - t0;

	printf("iocheck-rate: %s %.1f MB/s\n", what, dt > 0 ? bytes / dt / 1e6 : 0);
}

/* order[]: block visit order, in sequence or a seeded shuffle */
static unsigned long long *visit_order(unsigned long long nblk, int shuffle,
				       uint64_t seed)
{
	unsigned long long *o = malloc(nblk * sizeof(*o)), i;
	uint64_t s = seed | 1;

	if (!o)
		return NULL;
	for (i = 0; i < nblk; i++)
		o[i] = i;
	for (i = nblk - 1; shuffle && i > 0; i--) {
		unsigned long long j = next(&s) % (i + 1), t = o[i];

		o[i] = o[j];
		o[j] = t;
	}
	return o;
}

static int drop_caches(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

	if (fd < 0)
		return -1;
	if (write(fd, "3\n", 2) != 2) {
		close(fd);
		return -1;
	}
	return close(fd);
}

/* the I/O buffer: anonymous, or a shared mapping of $XDX_IOBUF_FILE */
static unsigned char *io_buffer(size_t len)
{
	const char *path = getenv("XDX_IOBUF_FILE");
	void *p;
	int fd;

	if (!path) {
		if (posix_memalign(&p, 4096, len))
			return NULL;
		return p;
	}
	fd = open(path, O_RDWR | O_CREAT, 0600);
	if (fd < 0 || ftruncate(fd, len)) {
		perror(path);
		return NULL;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		perror("mmap");
		return NULL;
	}
	printf("iocheck: buffer is a shared mapping of %s\n", path);
	return p;
}

int main(int argc, char **argv)
{
	const char *dev, *mode, *what = "both";
	unsigned long long total, bs, nblk, b, i, *order, verified = 0, bad = 0;
	unsigned char *buf, *ref;
	uint64_t seed;
	int fd, flags;
	double t0;

	if (argc < 6) {
		fprintf(stderr, "usage: %s dev MiB KiB seed direct|buffered [write|read|both]\n",
			argv[0]);
		return 2;
	}
	dev = argv[1];
	total = strtoull(argv[2], NULL, 0) << 20;
	bs = strtoull(argv[3], NULL, 0) << 10;
	seed = strtoull(argv[4], NULL, 0);
	mode = argv[5];
	if (argc > 6)
		what = argv[6];
	if (!bs || bs % 4096 || !total || total % bs) {
		fprintf(stderr, "iocheck: bad sizes\n");
		return 2;
	}
	nblk = total / bs;
	flags = strcmp(mode, "direct") ? 0 : O_DIRECT;
	order = visit_order(nblk, argc > 7 && !strcmp(argv[7], "rand"), seed);
	buf = io_buffer(bs);
	if (!order || !buf || posix_memalign((void **)&ref, 4096, bs))
		return 2;

	if (strcmp(what, "read")) {
		fd = open(dev, O_WRONLY | flags);
		if (fd < 0) {
			perror("open for write");
			return 1;
		}
		t0 = now();
		for (i = 0; i < nblk; i++) {
			b = order[i];
			fill(buf, bs, seed, b);
			if (pwrite(fd, buf, bs, b * bs) != (ssize_t)bs) {
				perror("pwrite");
				return 1;
			}
		}
		if (fsync(fd) || close(fd)) {
			perror("fsync");
			return 1;
		}
		rate("write", total, t0);
	}
	if (!strcmp(what, "write")) {
		printf("iocheck: %s %s wrote %llu bytes\n", dev, mode, total);
		return 0;
	}
	if (!flags && !getenv("XDX_NO_DROP") && drop_caches())
		perror("drop_caches");
	fd = open(dev, O_RDONLY | flags);
	if (fd < 0) {
		perror("open for read");
		return 1;
	}
	t0 = now();
	for (i = 0; i < nblk; i++) {
		b = order[i];
		memset(buf, 0xa5, bs);
		if (pread(fd, buf, bs, b * bs) != (ssize_t)bs) {
			perror("pread");
			return 1;
		}
		fill(ref, bs, seed, b);
		if (memcmp(buf, ref, bs)) {
			unsigned long long k;

			for (k = 0; k < bs; k++)
				bad += buf[k] != ref[k];
		}
		verified += bs;
	}
	close(fd);
	rate("read", total, t0);
	printf("iocheck: %s %s bs=%lluK verified %llu bytes, %llu mismatched bytes\n",
	       dev, mode, bs >> 10, verified, bad);
	return bad ? 1 : 0;
}
