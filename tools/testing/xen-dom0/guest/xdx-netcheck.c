// SPDX-License-Identifier: GPL-2.0
/*
 * xdx-netcheck: stream a seeded pseudo-random pattern through a TCP echo
 * service (QEMU user networking runs "cat" for it: guestfwd=...-cmd:cat) and
 * compare every byte that comes back.  Both directions cross the emulated
 * NIC, so every byte is DMAed twice by it.
 *
 * usage: xdx-netcheck <ipv4> <port> <MiB> <seed>
 * Prints "netcheck-rate: <MB/s>" (bytes echoed per second) and the bytes
 * verified and mismatched; exits 1 on a mismatch, a short echo or a stall.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK	65536

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned long long total, sent = 0, got = 0, bad = 0, i;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	unsigned char *pat, buf[CHUNK];
	uint64_t s;
	double t0;
	int fd;

	if (argc < 5) {
		fprintf(stderr, "usage: %s ipv4 port MiB seed\n", argv[0]);
		return 2;
	}
	total = strtoull(argv[3], NULL, 0) << 20;
	s = strtoull(argv[4], NULL, 0) * 0x9e3779b97f4a7c15ULL + 1;
	sa.sin_port = htons(atoi(argv[2]));
	pat = malloc(total);
	if (!pat || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1)
		return 2;
	for (i = 0; i < total; i++) {
		/* xorshift64 */
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		pat[i] = s >> 24;
	}
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("connect");
		return 1;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	t0 = now();
	while (got < total) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		/* keep at most 1 MiB in flight: the echo must keep up */
		if (sent < total && sent - got < (1 << 20))
			p.events |= POLLOUT;
		if (poll(&p, 1, 20000) <= 0) {
			fprintf(stderr, "netcheck: stalled at %llu of %llu bytes\n", got, total);
			return 1;
		}
		if (p.revents & POLLOUT) {
			n = send(fd, pat + sent, total - sent < CHUNK ? total - sent : CHUNK, 0);
			if (n < 0 && errno != EAGAIN) {
				perror("send");
				return 1;
			}
			if (n > 0)
				sent += n;
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = recv(fd, buf, sizeof(buf), 0);
			if (n == 0 || (n < 0 && errno != EAGAIN)) {
				fprintf(stderr, "netcheck: echo closed at %llu of %llu bytes\n",
					got, total);
				return 1;
			}
			for (i = 0; n > 0 && i < (unsigned long long)n && got + i < total; i++)
				bad += buf[i] != pat[got + i];
			if (n > 0)
				got += n;
		}
	}
	printf("netcheck-rate: %.1f MB/s\n", total / (now() - t0) / 1e6);
	close(fd);
	printf("netcheck: %s:%s echoed %llu bytes, verified %llu, %llu mismatched\n",
	       argv[1], argv[2], total, got, bad);
	return bad ? 1 : 0;
}
