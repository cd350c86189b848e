/*
 * cli_ipc: one framed request and its answer over a daemon's Unix socket
 * (WIRE.md §10), for the `betanet` subcommands that query daemons.
 * Blocking, no libevent, bounded by a deadline: a CLI waits for one
 * answer and exits.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <protobuf-c/protobuf-c.h>

#include "betanet/buf.h"
#include "betanet/ipc.h"
#include "cli.h"

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Wait for ev on fd until the deadline: 0, or -1 on timeout/error. */
static int
io_wait(int fd, short ev, uint64_t deadline_ms)
{
	struct pollfd p = { .fd = fd, .events = ev };
	uint64_t now;
	int r;

	for (;;) {
		if ((now = mono_ms()) >= deadline_ms)
			return -1;
		r = poll(&p, 1, (int)(deadline_ms - now));
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

/* Move len bytes to (write) or from (read) fd before the deadline. */
static int
io_all(int fd, int writing, uint8_t *p, size_t len, uint64_t dl)
{
	size_t off;
	ssize_t n;

	for (off = 0; off < len; off += (size_t)n) {
		if (io_wait(fd, writing ? POLLOUT : POLLIN, dl) != 0)
			return -1;
		n = writing ? write(fd, p + off, len - off) :
		    read(fd, p + off, len - off);
		if (n <= 0)
			return -1;
	}
	return 0;
}

static int
uds_connect(const char *cmd, const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		cli_err(cmd, "%s: socket path too long", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		cli_err(cmd, "%s: cannot connect: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int
cli_ipc_call(const char *cmd, const char *path, const ProtobufCMessage *req,
    const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **resp,
    int timeout_ms)
{
	uint8_t hdr[BN_IPC_HDR_LEN], *buf = NULL;
	uint64_t dl = mono_ms() + (uint64_t)timeout_ms;
	size_t len;
	int fd, r = -1;

	*resp = NULL;
	if ((fd = uds_connect(cmd, path)) < 0)
		return -1;
	len = protobuf_c_message_get_packed_size(req);
	if (len > BN_IPC_MAX_FRAME ||
	    (buf = malloc(BN_IPC_HDR_LEN + len)) == NULL)
		goto out;
	bn_store_u32(buf, (uint32_t)len);
	protobuf_c_message_pack(req, buf + BN_IPC_HDR_LEN);
	if (io_all(fd, 1, buf, BN_IPC_HDR_LEN + len, dl) != 0) {
		cli_err(cmd, "%s: write failed", path);
		goto out;
	}
	free(buf);
	buf = NULL;
	if (io_all(fd, 0, hdr, sizeof(hdr), dl) != 0) {
		cli_err(cmd, "%s: no answer", path);
		goto out;
	}
	if ((len = bn_load_u32(hdr)) > BN_IPC_MAX_FRAME ||
	    (buf = malloc(len ? len : 1)) == NULL) {
		cli_err(cmd, "%s: bad answer", path);
		goto out;
	}
	if (io_all(fd, 0, buf, len, dl) != 0) {
		cli_err(cmd, "%s: answer cut short", path);
		goto out;
	}
	if ((*resp = protobuf_c_message_unpack(resp_desc, NULL, len,
	    buf)) == NULL) {
		cli_err(cmd, "%s: answer does not decode", path);
		goto out;
	}
	r = 0;
 out:
	free(buf);
	close(fd);
	return r;
}
