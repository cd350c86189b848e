/*
 * bench_util: clocks and CPU accounting shared by the benchmarks.
 *
 * Header-only (each bench is one .c file linked against libcommon), so
 * everything is static inline.  Rates in RESULTS.md are per CPU-second
 * where the machine is shared: these are the readings they come from.
 */
#ifndef BN_BENCH_UTIL_H
#define BN_BENCH_UTIL_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "betanet/crypto.h"

/* Monotonic wall clock in microseconds. */
static inline uint64_t
bench_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* CPU seconds of the calling thread. */
static inline double
bench_thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds used by this process (user + system). */
static inline double
bench_self_cpu_s(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* CPU seconds used by pid (utime + stime, all threads), from /proc. */
static inline double
bench_pid_cpu_s(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* after "(comm)": state is field 3, utime 14, stime 15 */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
	    "%lu %lu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* X25519 operations per CPU-second of this thread (one core). */
static inline double
bench_x25519_per_s(double secs)
{
	uint8_t priv[BN_KEY_LEN], pub[BN_KEY_LEN], out[BN_KEY_LEN];
	double t0, t;
	long n = 0;
	int i;

	(void)bn_x25519_keygen(priv, pub);
	t0 = bench_thread_cpu_s();
	do {
		for (i = 0; i < 50; i++, n++)
			(void)bn_x25519(out, priv, pub);
	} while ((t = bench_thread_cpu_s()) - t0 < secs);
	return (double)n / (t - t0);
}

#endif /* BN_BENCH_UTIL_H */
