/*
 * betanet stream: open one HTX session to an upstream, send one request
 * and print the reply (WIRE.md §1-§4, §8).  A curl for upstreamd.
 *
 * Native (default): a BAR request on stream 3, the BAR response's body on
 * stdout (-i: status line and headers first).  --compat speaks as the
 * Python client (no features.native, the text form, body-only answer).
 * --legacy speaks the 1.1 framing to an echo listener and prints the
 * echo (skipping the Python echo server's pushed control frame).
 *
 * Blocking socket with poll() and one overall deadline: the session
 * engine is pure, so this loop is all the I/O there is.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "betanet/bar.h"
#include "betanet/buf.h"
#include "betanet/codec.h"
#include "betanet/crypto.h"
#include "betanet/err.h"
#include "betanet/htx_session.h"
#include "betanet/keyfile.h"
#include "cli.h"

#define ST_MAX_HEADERS	32
#define ST_MAX_BODY	((size_t)64 << 20)
#define ST_IO_CHUNK	(64u << 10)

const char cmd_stream_usage[] =
    "usage: betanet stream [-i] [--compat | --legacy] [--key FILE]\n"
    "                      [-H 'name: value']... [--data-file FILE]\n"
    "                      [--timeout SECONDS] HOST PORT PUBHEX REQUEST\n"
    "\n"
    "Open an HTX session to the upstream at HOST PORT whose node key is\n"
    "PUBHEX (64 hex digits), send REQUEST ('GET /hello/x', or\n"
    "'POST /echo\\n\\nbody') and print the reply body.\n"
    "\n"
    "  -i, --include     print the status line and headers first (native)\n"
    "  --compat          speak as the Python client (compat profile, text\n"
    "                    request, body-only answer; the server must allow\n"
    "                    compat)\n"
    "  --legacy          the 1.1 framing: send REQUEST as is, print the echo\n"
    "  --key FILE        our static key (default: a fresh one)\n"
    "  -H 'NAME: VALUE'  a request header (native; name lower-cased)\n"
    "  --data-file FILE  the request body from FILE\n"
    "  --timeout SECS    give up after this long (default 10)\n"
    "\n"
    "Exit status: 0 on a 2xx answer (compat and legacy: any answer), 1\n"
    "otherwise, 2 on a usage or connection error.\n";

struct st_opts {
	int		 include, compat, legacy;
	const char	*key, *data_file;
	const char	*hdr[ST_MAX_HEADERS];
	size_t		 nhdr;
	int		 timeout_s;
};

struct st_io {
	int		 fd;
	struct bn_htx_session *s;
	uint64_t	 deadline;
	uint8_t		 in[ST_IO_CHUNK];	/* read, not yet fed */
	size_t		 inoff, inlen;
};

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
dial(const char *host, const char *port)
{
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -1, one = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype, 0)) < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd >= 0)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	return fd;
}

/* Pull everything the session has and write it.  0 or -1. */
static int
flush_out(struct st_io *io)
{
	uint8_t chunk[ST_IO_CHUNK];
	struct bn_buf b;
	size_t n, off;
	ssize_t w;

	for (;;) {
		bn_buf_fixed(&b, chunk, sizeof(chunk));
		n = 0;
		(void)bn_htx_session_pull(io->s, &b, sizeof(chunk), &n);
		if (n == 0)
			return 0;
		for (off = 0; off < n; off += (size_t)w) {
			w = write(io->fd, chunk + off, n - off);
			if (w < 0 && errno == EINTR) {
				w = 0;
				continue;
			}
			if (w <= 0)
				return -1;
		}
	}
}

/*
 * Feed what is left of the last read, else wait for input (or a timer)
 * and feed it.  Bytes the session cannot take yet (events pending) stay
 * in io->in for the next call.  0, or -1 on EOF, error or the deadline.
 */
static int
read_in(struct st_io *io)
{
	struct pollfd pfd = { .fd = io->fd, .events = POLLIN };
	uint64_t now = mono_ms(), at, wait;
	size_t acc;
	ssize_t n;
	int r;

	if (io->inoff == io->inlen) {
		if (now >= io->deadline)
			return -1;
		wait = io->deadline - now;
		at = bn_htx_session_next_timeout(io->s);
		if (at != UINT64_MAX)
			wait = at > now ? (at - now < wait ? at - now : wait) :
			    0;
		r = poll(&pfd, 1, (int)wait);
		if (r < 0 && errno != EINTR)
			return -1;
		now = mono_ms();
		if (r <= 0) {
			(void)bn_htx_session_tick(io->s, now);
			return 0;
		}
		if ((n = read(io->fd, io->in, sizeof(io->in))) <= 0)
			return n < 0 && errno == EINTR ? 0 : -1;
		io->inoff = 0;
		io->inlen = (size_t)n;
	}
	while (io->inoff < io->inlen) {
		acc = 0;
		if (bn_htx_session_feed(io->s, io->in + io->inoff,
		    io->inlen - io->inoff, now, &acc) != BN_OK)
			return -1;
		if (acc == 0)
			break;		/* events pending: pull them first */
		io->inoff += acc;
	}
	return 0;
}

static int
parse_opts(int argc, char **argv, struct st_opts *o)
{
	static const struct option opts[] = {
		{ "include",	no_argument,		NULL, 'i' },
		{ "compat",	no_argument,		NULL, 'C' },
		{ "legacy",	no_argument,		NULL, 'L' },
		{ "key",	required_argument,	NULL, 'k' },
		{ "header",	required_argument,	NULL, 'H' },
		{ "data-file",	required_argument,	NULL, 'd' },
		{ "timeout",	required_argument,	NULL, 't' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->timeout_s = 10;
	while ((c = cli_getopt(argc, argv, "iH:h", opts)) != -1) {
		switch (c) {
		case 'i': o->include = 1; break;
		case 'C': o->compat = 1; break;
		case 'L': o->legacy = 1; break;
		case 'k': o->key = optarg; break;
		case 'd': o->data_file = optarg; break;
		case 'H':
			if (o->nhdr == ST_MAX_HEADERS)
				return cli_usage_err(argv[0], "too many -H");
			o->hdr[o->nhdr++] = optarg;
			break;
		case 't':
			o->timeout_s = atoi(optarg);
			if (o->timeout_s <= 0 || o->timeout_s > 3600)
				return cli_usage_err(argv[0], "--timeout: "
				    "1..3600 seconds");
			break;
		case 'h':
			return cli_help(argv[0]);
		default:
			return BN_CLI_USAGE;
		}
	}
	if (o->compat && o->legacy)
		return cli_usage_err(argv[0], "--compat or --legacy, not both");
	if (argc - optind != 4)
		return cli_usage_err(argv[0], "want HOST PORT PUBHEX REQUEST");
	return -1;
}

/* The whole body of --data-file into *p (malloc'd). */
static int
read_file(const char *path, uint8_t **p, size_t *len)
{
	struct stat st;
	ssize_t n;
	size_t off = 0;
	int fd;

	*p = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > ST_MAX_BODY ||
	    (*p = malloc(st.st_size > 0 ? (size_t)st.st_size : 1)) == NULL) {
		close(fd);
		return -1;
	}
	while (off < (size_t)st.st_size) {
		n = read(fd, *p + off, (size_t)st.st_size - off);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	*len = off;
	return off == (size_t)st.st_size ? 0 : -1;
}

/*
 * The bytes to send: native BAR, compat the text form as given (or with
 * the file's body), legacy the raw request.  *out malloc'd.
 */
static int
build_request(const struct st_opts *o, const char *text,
    const uint8_t *body, size_t bodylen, struct bn_buf **out)
{
	struct bn_bar_header hdr[ST_MAX_HEADERS];
	struct bn_bar_request req;
	const char *colon, *v;
	char *names[ST_MAX_HEADERS];
	size_t i, nlen, tlen = strlen(text);
	int r;

	if ((*out = bn_buf_new(ST_MAX_BODY + 65536)) == NULL)
		return BN_ERR_ALLOC;
	if (o->legacy || (o->compat && body == NULL))
		return bn_buf_put(*out, text, tlen);
	if (o->compat) {
		if ((r = bn_buf_put(*out, text, tlen)) != BN_OK ||
		    (r = bn_buf_put(*out, "\n\n", 2)) != BN_OK)
			return r;
		return bn_buf_put(*out, body, bodylen);
	}
	bn_bar_request_init(&req, hdr, ST_MAX_HEADERS);
	if ((r = bn_bar_request_parse_text((const uint8_t *)text, tlen,
	    &req)) != BN_OK)
		return r;
	memset(names, 0, sizeof(names));
	for (i = 0; i < o->nhdr; i++) {
		if ((colon = strchr(o->hdr[i], ':')) == NULL ||
		    colon == o->hdr[i]) {
			r = BN_ERR_INVALID_ARG;
			goto out;
		}
		nlen = (size_t)(colon - o->hdr[i]);
		if ((names[i] = strndup(o->hdr[i], nlen)) == NULL) {
			r = BN_ERR_ALLOC;
			goto out;
		}
		for (char *p = names[i]; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p + 32);
		for (v = colon + 1; *v == ' '; v++)
			;
		hdr[i].name = (const uint8_t *)names[i];
		hdr[i].namelen = nlen;
		hdr[i].value = (const uint8_t *)v;
		hdr[i].valuelen = strlen(v);
		hdr[i].value_is_bytes = 0;
	}
	req.nhdr = o->nhdr;
	if (body != NULL) {
		req.body = body;
		req.bodylen = bodylen;
	}
	r = bn_bar_request_encode(&req, *out);
 out:
	for (i = 0; i < o->nhdr; i++)
		free(names[i]);
	return r;
}

static int
print_reply(const struct st_opts *o, const uint8_t *p, size_t len)
{
	struct bn_bar_header hdr[BN_BAR_MAX_HEADERS];
	struct bn_bar_response resp;
	size_t i;

	if (o->compat || o->legacy) {
		fwrite(p, 1, len, stdout);
		return BN_CLI_OK;
	}
	bn_bar_response_init(&resp, hdr, BN_BAR_MAX_HEADERS);
	if (bn_bar_response_decode(p, len, &resp) != BN_OK) {
		cli_err("stream", "malformed BAR response");
		return BN_CLI_FAIL;
	}
	if (o->include) {
		printf("status: %u\n", resp.status);
		for (i = 0; i < resp.nhdr; i++)
			printf("%.*s: %.*s\n", (int)resp.hdr[i].namelen,
			    (const char *)resp.hdr[i].name,
			    (int)resp.hdr[i].valuelen,
			    (const char *)resp.hdr[i].value);
		printf("\n");
	}
	fwrite(resp.body, 1, resp.bodylen, stdout);
	return resp.status >= 200 && resp.status <= 299 ? BN_CLI_OK :
	    BN_CLI_FAIL;
}

static void
session_config(const struct st_opts *o, const uint8_t pub[BN_KEY_LEN],
    struct bn_htx_config *hc)
{
	bn_htx_config_default(hc);
	hc->role = BN_HTX_CLIENT;
	memcpy(hc->server_pub, pub, BN_KEY_LEN);
	hc->offer_native = !o->compat && !o->legacy;
	hc->allow_compat = o->compat || o->legacy;	/* both weak */
	hc->legacy11 = o->legacy;
	hc->max_message = ST_MAX_BODY + 65536;
}

/* Run the session until the reply (or failure); rc as the CLI's. */
static int
converse(const struct st_opts *o, struct st_io *io, struct bn_buf *msg)
{
	struct bn_htx_event ev;
	uint32_t sid = 0;
	size_t off = 0, acc;
	int rc = -1, opened = 0, r;

	while (rc < 0) {
		while (rc < 0 &&
		    bn_htx_session_next_event(io->s, &ev, mono_ms()) == 1) {
			if (ev.type == BN_HTX_EV_HANDSHAKE_DONE) {
				if (bn_htx_session_open_stream(io->s,
				    &sid) != BN_OK)
					rc = BN_CLI_USAGE;
				opened = 1;
			} else if (ev.type == BN_HTX_EV_MESSAGE &&
			    ev.stream_id == sid)
				rc = print_reply(o, ev.data, ev.len);
			else if (ev.type == BN_HTX_EV_CLOSED) {
				cli_err("stream", "session closed: code %u "
				    "%s", ev.code, ev.reason != NULL ?
				    ev.reason : "");
				rc = BN_CLI_USAGE;
			}
		}
		if (rc < 0 && opened && off < bn_buf_len(msg)) {
			if (o->compat || o->legacy) {
				r = bn_htx_session_send_message(io->s, sid,
				    bn_buf_ptr(msg), bn_buf_len(msg));
				if (r == BN_OK)
					off = bn_buf_len(msg);
			} else {
				acc = 0;
				r = bn_htx_session_write(io->s, sid,
				    bn_buf_ptr(msg) + off,
				    bn_buf_len(msg) - off, 1, &acc);
				off += acc;
			}
			if (r != BN_OK && r != BN_ERR_BLOCKED) {
				cli_err("stream", "send: %s", bn_strerror(r));
				rc = BN_CLI_USAGE;
			}
		}
		if (flush_out(io) != 0) {
			cli_err("stream", "connection lost");
			return BN_CLI_USAGE;
		}
		if (rc < 0 && (r = read_in(io)) == -1) {
			cli_err("stream", "no answer (connection closed or "
			    "timed out)");
			return BN_CLI_USAGE;
		}
	}
	return rc;
}

int
cmd_stream(int argc, char **argv)
{
	struct st_opts o;
	struct st_io io;
	struct bn_htx_config hc;
	struct bn_buf *msg = NULL;
	uint8_t pub[BN_KEY_LEN], epub[BN_KEY_LEN], *body = NULL;
	char err[BN_KEYFILE_ERRLEN];
	const char *host, *port, *pubhex, *text;
	size_t bodylen = 0;
	int r, rc = BN_CLI_USAGE;

	memset(&io, 0, sizeof(io));
	io.fd = -1;
	if ((r = parse_opts(argc, argv, &o)) != -1)
		return r;
	host = argv[optind];
	port = argv[optind + 1];
	pubhex = argv[optind + 2];
	text = argv[optind + 3];
	if (strlen(pubhex) != 2 * BN_KEY_LEN ||
	    bn_hex_decode_exact(pub, sizeof(pub), pubhex, strlen(pubhex)) !=
	    BN_OK)
		return cli_usage_err(argv[0], "PUBHEX: want 64 hex digits");
	session_config(&o, pub, &hc);
	if (o.key != NULL) {
		if (bn_keyfile_load_private(o.key, hc.static_priv, err,
		    sizeof(err)) != BN_OK) {
			cli_err(argv[0], "%s", err);
			goto out;
		}
	} else if (bn_x25519_keygen(hc.static_priv, epub) != BN_OK) {
		cli_err(argv[0], "keygen failed");
		goto out;
	}
	if (o.data_file != NULL && read_file(o.data_file, &body,
	    &bodylen) != 0) {
		cli_err(argv[0], "%s: cannot read", o.data_file);
		goto out;
	}
	if (build_request(&o, text, body, bodylen, &msg) != BN_OK) {
		rc = cli_usage_err(argv[0], "REQUEST: want 'METHOD /path' "
		    "(and -H 'name: value')");
		goto out;
	}
	if ((io.fd = dial(host, port)) < 0) {
		cli_err(argv[0], "cannot connect to %s port %s", host, port);
		goto out;
	}
	io.deadline = mono_ms() + (uint64_t)o.timeout_s * 1000;
	if ((io.s = bn_htx_session_new(&hc, mono_ms())) == NULL) {
		cli_err(argv[0], "session setup failed");
		goto out;
	}
	rc = converse(&o, &io, msg);
	if (rc != BN_CLI_USAGE) {
		(void)bn_htx_session_close(io.s, BN_HTX_CLOSE_OK, NULL);
		(void)flush_out(&io);
	}
 out:
	fflush(stdout);
	bn_cleanse(hc.static_priv, sizeof(hc.static_priv));
	bn_htx_session_free(io.s);
	bn_buf_free(msg);
	free(body);
	if (io.fd >= 0)
		close(io.fd);
	return rc;
}
