/*
 * harness: spawn and drive daemons for integration tests (harness.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

uint64_t
hx_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void
hx_sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int
hx_tmpdir(char *out, size_t outlen, const char *tag)
{
	const char *t = getenv("TMPDIR");

	if (snprintf(out, outlen, "%s/bn-it-%s-XXXXXX", t ? t : "/tmp",
	    tag) >= (int)outlen)
		return -1;
	return mkdtemp(out) != NULL ? 0 : -1;
}

void
hx_rmrf(const char *dir)
{
	DIR *d;
	struct dirent *e;
	struct stat st;
	char p[1024];

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			hx_rmrf(p);
		else
			(void)unlink(p);
	}
	closedir(d);
	(void)rmdir(dir);
}

int
hx_write_file(const char *path, const char *content, mode_t mode)
{
	int fd;
	size_t len = strlen(content);

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)) < 0)
		return -1;
	if (write(fd, content, len) != (ssize_t)len || fchmod(fd, mode) != 0) {
		close(fd);
		return -1;
	}
	return close(fd);
}

int
hx_free_port(void)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int fd, port = -1;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &sl) == 0)
		port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

static int
status_code(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return -1;
}

static int
spawn(struct hx_daemon *d)
{
	struct stat st;
	pid_t pid;
	int fd;

	if ((fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND, 0600)) < 0)
		return -1;
	d->log_from = fstat(fd, &st) == 0 ? st.st_size : 0;
	if ((pid = fork()) < 0) {
		close(fd);
		return -1;
	}
	if (pid == 0) {
		dup2(fd, STDERR_FILENO);
		dup2(fd, STDOUT_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
		execv(d->argv[0], d->argv);
		_exit(127);
	}
	close(fd);
	d->pid = pid;
	return 0;
}

int
hx_spawn(struct hx_daemon *d, const char *logpath, char *const argv[])
{
	size_t i;

	memset(d, 0, sizeof(*d));
	snprintf(d->log, sizeof(d->log), "%s", logpath);
	for (i = 0; argv[i] != NULL; i++) {
		if (i == HX_MAX_ARGS || (d->argv[i] = strdup(argv[i])) == NULL)
			return -1;
	}
	return spawn(d);
}

int
hx_respawn(struct hx_daemon *d)
{
	if (d->pid != 0)
		return -1;
	return spawn(d);
}

/* This run's log, malloc'd and NUL-terminated. */
static char *
slurp(struct hx_daemon *d)
{
	struct stat st;
	char *buf;
	ssize_t n;
	size_t len;
	int fd;

	if ((fd = open(d->log, O_RDONLY)) < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || st.st_size < d->log_from) {
		close(fd);
		return NULL;
	}
	len = (size_t)(st.st_size - d->log_from);
	if ((buf = malloc(len + 1)) == NULL) {
		close(fd);
		return NULL;
	}
	n = pread(fd, buf, len, d->log_from);
	close(fd);
	buf[n > 0 ? (size_t)n : 0] = '\0';
	return buf;
}

int
hx_log_count(struct hx_daemon *d, const char *needle)
{
	char *buf = slurp(d), *p;
	int n = 0;

	if (buf == NULL)
		return 0;
	for (p = buf; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	free(buf);
	return n;
}

void
hx_log_read(struct hx_daemon *d, char *out, size_t outlen)
{
	char *buf = slurp(d);

	snprintf(out, outlen, "%s", buf != NULL ? buf : "");
	free(buf);
}

static int
reap(struct hx_daemon *d, int block)
{
	int st;
	pid_t r;

	if (d->pid == 0)
		return 1;
	do
		r = waitpid(d->pid, &st, block ? 0 : WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == d->pid) {
		d->status = status_code(st);
		d->pid = 0;
		return 1;
	}
	return 0;
}

int
hx_wait_log(struct hx_daemon *d, const char *needle, int timeout_ms)
{
	uint64_t end = hx_now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		if (hx_log_count(d, needle) > 0)
			return 0;
		if (reap(d, 0))
			return hx_log_count(d, needle) > 0 ? 0 : -1;
		if (hx_now_ms() >= end)
			return -2;
		hx_sleep_ms(5);
	}
}

int
hx_signal(struct hx_daemon *d, int sig)
{
	return d->pid != 0 ? kill(d->pid, sig) : -1;
}

int
hx_kill9(struct hx_daemon *d)
{
	if (d->pid == 0)
		return -1;
	kill(d->pid, SIGKILL);
	return reap(d, 1) ? 0 : -1;
}

int
hx_wait_exit(struct hx_daemon *d, int timeout_ms)
{
	uint64_t end = hx_now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		if (reap(d, 0))
			return d->status;
		if (hx_now_ms() >= end)
			return -1;
		hx_sleep_ms(5);
	}
}

void
hx_cleanup(struct hx_daemon *d)
{
	size_t i;

	if (d->pid != 0)
		(void)hx_kill9(d);
	for (i = 0; i < HX_MAX_ARGS && d->argv[i] != NULL; i++) {
		free(d->argv[i]);
		d->argv[i] = NULL;
	}
}

static void
drain_fd(int fd, char *out, size_t outlen, size_t *n)
{
	ssize_t r;

	if (out == NULL || outlen == 0) {
		char junk[256];

		while (read(fd, junk, sizeof(junk)) > 0)
			;
		return;
	}
	while (*n + 1 < outlen &&
	    (r = read(fd, out + *n, outlen - 1 - *n)) > 0)
		*n += (size_t)r;
	out[*n] = '\0';
}

int
hx_run(char *const argv[], char *out, size_t outlen, char *err,
    size_t errlen, int timeout_ms)
{
	struct hx_daemon d;
	int po[2], pe[2], rc;
	size_t no = 0, ne = 0;
	uint64_t end = hx_now_ms() + (uint64_t)timeout_ms;
	pid_t pid;

	if (pipe(po) != 0)
		return -1;
	if (pipe(pe) != 0) {
		close(po[0]);
		close(po[1]);
		return -1;
	}
	if ((pid = fork()) == 0) {
		dup2(po[1], STDOUT_FILENO);
		dup2(pe[1], STDERR_FILENO);
		close(po[0]);
		close(pe[0]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	fcntl(po[0], F_SETFL, O_NONBLOCK);
	fcntl(pe[0], F_SETFL, O_NONBLOCK);
	memset(&d, 0, sizeof(d));
	d.pid = pid;
	if (out != NULL && outlen > 0)
		out[0] = '\0';
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	for (;;) {
		drain_fd(po[0], out, outlen, &no);
		drain_fd(pe[0], err, errlen, &ne);
		if (reap(&d, 0))
			break;
		if (pid < 0 || hx_now_ms() >= end) {
			if (pid > 0)
				(void)hx_kill9(&d);
			break;
		}
		hx_sleep_ms(2);
	}
	drain_fd(po[0], out, outlen, &no);
	drain_fd(pe[0], err, errlen, &ne);
	close(po[0]);
	close(pe[0]);
	rc = pid < 0 ? -1 : d.status;
	return rc;
}

static int
wait_fd(int fd, short ev, uint64_t end)
{
	struct pollfd p = { fd, ev, 0 };
	uint64_t now;
	int r;

	for (;;) {
		if ((now = hx_now_ms()) >= end)
			return -1;
		r = poll(&p, 1, (int)(end - now));
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

int
hx_uds_connect(const char *path, int timeout_ms)
{
	struct sockaddr_un sun;
	uint64_t end = hx_now_ms() + (uint64_t)timeout_ms;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -1;
	memcpy(sun.sun_path, path, strlen(path));
	for (;;) {
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
			return -1;
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			return fd;
		close(fd);
		if (errno != EAGAIN && errno != ECONNREFUSED &&
		    errno != ENOENT)
			return -1;
		if (hx_now_ms() >= end)
			return -1;
		hx_sleep_ms(5);
	}
}

int
hx_write_all(int fd, const void *p, size_t len, int timeout_ms)
{
	const uint8_t *b = p;
	uint64_t end = hx_now_ms() + (uint64_t)timeout_ms;
	ssize_t n;

	while (len > 0) {
		if (wait_fd(fd, POLLOUT, end) != 0)
			return -1;
		if ((n = send(fd, b, len, MSG_NOSIGNAL)) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

int
hx_frame_send(int fd, const void *payload, size_t len, int timeout_ms)
{
	uint8_t *buf;
	int r;

	if ((buf = malloc(len + 4)) == NULL)
		return -1;
	buf[0] = (uint8_t)(len >> 24);
	buf[1] = (uint8_t)(len >> 16);
	buf[2] = (uint8_t)(len >> 8);
	buf[3] = (uint8_t)len;
	memcpy(buf + 4, payload, len);
	r = hx_write_all(fd, buf, len + 4, timeout_ms);
	free(buf);
	return r;
}

/* 0 when all read, 1 on EOF before the first byte, -1 otherwise. */
static int
read_full(int fd, uint8_t *p, size_t len, uint64_t end)
{
	size_t off = 0;
	ssize_t n;

	while (off < len) {
		if (wait_fd(fd, POLLIN, end) != 0)
			return -1;
		if ((n = read(fd, p + off, len - off)) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		if (n == 0)
			return off == 0 ? 1 : -1;
		off += (size_t)n;
	}
	return 0;
}

int
hx_frame_recv(int fd, uint8_t **payload, size_t *len, int timeout_ms)
{
	uint64_t end = hx_now_ms() + (uint64_t)timeout_ms;
	uint8_t h[4];
	size_t n;
	int r;

	*payload = NULL;
	*len = 0;
	if ((r = read_full(fd, h, 4, end)) != 0)
		return r;
	n = ((size_t)h[0] << 24) | ((size_t)h[1] << 16) | ((size_t)h[2] << 8) |
	    h[3];
	if (n > ((size_t)1 << 20) || (*payload = malloc(n ? n : 1)) == NULL)
		return -1;
	if (read_full(fd, *payload, n, end) != 0) {
		free(*payload);
		*payload = NULL;
		return -1;
	}
	*len = n;
	return 0;
}

int
hx_raise_nofile(size_t n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	if (rl.rlim_cur >= n)
		return 0;
	rl.rlim_cur = rl.rlim_max < n ? rl.rlim_max : n;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	return rl.rlim_cur >= n ? 0 : -1;
}
