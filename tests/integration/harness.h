/*
 * harness: what every integration test needs to drive a real daemon.
 *
 * For: a temp run directory, spawning a daemon binary with its stderr
 * (and stdout) captured to a file, waiting for a readiness line (our
 * daemons print `event=listening` when ready), signals, kill -9,
 * restart with the same argv, waiting for exit with a status, running a
 * short command and capturing its stdout, and a framed (u32 length ||
 * payload, WIRE.md §10) Unix-socket client.  Every wait has a bound
 * (milliseconds); nothing here sleeps without one.
 *
 * Not for: protocol knowledge (tests build their own protobufs) or
 * assertions (tests print and return 1; 77 means skipped, as ctest's
 * SKIP_RETURN_CODE).  Single-threaded use per struct hx_daemon.
 */
#ifndef BN_IT_HARNESS_H
#define BN_IT_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define HX_MAX_ARGS	48
#define HX_SKIP		77

struct hx_daemon {
	char		*argv[HX_MAX_ARGS + 1];	/* owned copies */
	char		 log[512];	/* stderr + stdout go here */
	off_t		 log_from;	/* where this run's lines start */
	pid_t		 pid;		/* 0 when not running */
	int		 status;	/* last exit: code, or 128 + signal */
};

/* Fail the test with a message: prints "FAIL file:line: ..." and returns 1. */
#define HX_CHECK(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__,	\
		    #cond);						\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		return 1;						\
	}								\
} while (0)

/* mkdtemp under $TMPDIR or /tmp; out gets the path. */
int	hx_tmpdir(char *out, size_t outlen, const char *tag);
/* rm -r of a directory made by hx_tmpdir (no symlinks followed). */
void	hx_rmrf(const char *dir);
/* Write a whole file with mode (0 on success). */
int	hx_write_file(const char *path, const char *content, mode_t mode);
/* A free TCP port on 127.0.0.1 (bound, read, closed: racy but fine). */
int	hx_free_port(void);
/* Milliseconds on the monotonic clock. */
uint64_t hx_now_ms(void);
void	hx_sleep_ms(unsigned ms);

/*
 * Spawn argv[0] (a path) with argv; its stderr and stdout are appended
 * to logpath.  The argv strings are copied.  0 or -1.
 */
int	hx_spawn(struct hx_daemon *d, const char *logpath,
	    char *const argv[]);
/* Spawn again with the same argv and log (after an exit or kill). */
int	hx_respawn(struct hx_daemon *d);
/*
 * Wait until this run's log holds needle (0), the process exits (-1,
 * status set) or timeout_ms passes (-2).
 */
int	hx_wait_log(struct hx_daemon *d, const char *needle, int timeout_ms);
/* Number of times needle occurs in this run's log. */
int	hx_log_count(struct hx_daemon *d, const char *needle);
/* Copy this run's log into out (NUL-terminated, cut to fit). */
void	hx_log_read(struct hx_daemon *d, char *out, size_t outlen);
int	hx_signal(struct hx_daemon *d, int sig);
/* SIGKILL and reap.  0 or -1. */
int	hx_kill9(struct hx_daemon *d);
/* Reap within timeout_ms: the exit code (128 + signal), or -1. */
int	hx_wait_exit(struct hx_daemon *d, int timeout_ms);
/* SIGKILL if still running, reap, free the argv copies. */
void	hx_cleanup(struct hx_daemon *d);

/*
 * Run argv to completion (bounded by timeout_ms; killed after it),
 * stdout into out (NUL-terminated), stderr into err (may be NULL).
 * Returns the exit code, 128 + signal, or -1.
 */
int	hx_run(char *const argv[], char *out, size_t outlen, char *err,
	    size_t errlen, int timeout_ms);

/* Framed Unix-socket client. */
int	hx_uds_connect(const char *path, int timeout_ms);
/* Write all of p[0..len) (raw bytes, no framing). 0 or -1. */
int	hx_write_all(int fd, const void *p, size_t len, int timeout_ms);
int	hx_frame_send(int fd, const void *payload, size_t len,
	    int timeout_ms);
/*
 * Read one frame (at most 1 MiB).  *payload is malloc'd.  0, -1 on
 * error or timeout, 1 on a clean EOF before any byte.
 */
int	hx_frame_recv(int fd, uint8_t **payload, size_t *len,
	    int timeout_ms);
/* Raise RLIMIT_NOFILE to at least n (children inherit it). 0 or -1. */
int	hx_raise_nofile(size_t n);

#endif /* BN_IT_HARNESS_H */
