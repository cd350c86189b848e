/*
 * up_static: static files under a URL prefix (see up_static.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "betanet/err.h"
#include "up_router.h"
#include "up_static.h"

struct up_static {
	char		*prefix;	/* "/static", no trailing '/' */
	size_t		 prefix_len;
	char		*root;		/* realpath() of the directory */
	int		 root_fd;	/* O_DIRECTORY descriptor on it */
	char		*cache_control;
};

static const struct {
	const char	*ext;
	const char	*type;
} mime_table[] = {
	{ "html",	"text/html; charset=utf-8" },
	{ "htm",	"text/html; charset=utf-8" },
	{ "css",	"text/css; charset=utf-8" },
	{ "js",		"text/javascript; charset=utf-8" },
	{ "mjs",	"text/javascript; charset=utf-8" },
	{ "json",	"application/json" },
	{ "map",	"application/json" },
	{ "txt",	"text/plain; charset=utf-8" },
	{ "md",		"text/markdown; charset=utf-8" },
	{ "csv",	"text/csv; charset=utf-8" },
	{ "xml",	"application/xml" },
	{ "svg",	"image/svg+xml" },
	{ "png",	"image/png" },
	{ "jpg",	"image/jpeg" },
	{ "jpeg",	"image/jpeg" },
	{ "gif",	"image/gif" },
	{ "webp",	"image/webp" },
	{ "avif",	"image/avif" },
	{ "ico",	"image/x-icon" },
	{ "woff",	"font/woff" },
	{ "woff2",	"font/woff2" },
	{ "ttf",	"font/ttf" },
	{ "otf",	"font/otf" },
	{ "wasm",	"application/wasm" },
	{ "pdf",	"application/pdf" },
	{ "zip",	"application/zip" },
	{ "gz",		"application/gzip" },
	{ "mp4",	"video/mp4" },
	{ "webm",	"video/webm" },
	{ "mp3",	"audio/mpeg" },
	{ "ogg",	"audio/ogg" },
};

static const char *const wdays[7] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
};
static const char *const months[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

const char *
up_static_content_type(const char *name)
{
	const char *dot, *slash;
	size_t i;

	slash = strrchr(name, '/');
	dot = strrchr(slash != NULL ? slash : name, '.');
	if (dot != NULL) {
		for (i = 0; i < sizeof(mime_table) / sizeof(mime_table[0]); i++)
			if (strcasecmp(dot + 1, mime_table[i].ext) == 0)
				return mime_table[i].type;
	}
	return "application/octet-stream";
}

void
up_static_http_date(long long t, char *out, size_t outlen)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	snprintf(out, outlen, "%s, %02d %s %04d %02d:%02d:%02d GMT",
	    wdays[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int
digits(const char *s, size_t n, int *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

int
up_static_parse_date(const char *s, size_t len, long long *t)
{
	struct tm tm;
	int mday, year, hh, mm, ss, mon;
	time_t r;

	/* "Sun, 06 Nov 1994 08:49:37 GMT" */
	*t = 0;
	if (len != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' ||
	    s[11] != ' ' || s[16] != ' ' || s[19] != ':' || s[22] != ':' ||
	    memcmp(s + 25, " GMT", 4) != 0)
		return BN_ERR_MALFORMED;
	for (mon = 0; mon < 12; mon++)
		if (memcmp(s + 8, months[mon], 3) == 0)
			break;
	if (mon == 12 || digits(s + 5, 2, &mday) || digits(s + 12, 4, &year) ||
	    digits(s + 17, 2, &hh) || digits(s + 20, 2, &mm) ||
	    digits(s + 23, 2, &ss) || mday < 1 || mday > 31 || hh > 23 ||
	    mm > 59 || ss > 60 || year < 1970)
		return BN_ERR_MALFORMED;
	memset(&tm, 0, sizeof(tm));
	tm.tm_mday = mday;
	tm.tm_mon = mon;
	tm.tm_year = year - 1900;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	if ((r = timegm(&tm)) == (time_t)-1)
		return BN_ERR_MALFORMED;
	*t = (long long)r;
	return BN_OK;
}

static int
header_value_ok(const char *v)
{
	for (; *v != '\0'; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			return 0;
	return 1;
}

int
up_static_new(const char *prefix, const char *dir,
    const char *cache_control, struct up_static **out)
{
	struct up_static *st;
	size_t plen;
	int r;

	*out = NULL;
	if (prefix == NULL || dir == NULL)
		return BN_ERR_INVALID_ARG;
	if (cache_control == NULL)
		cache_control = UP_STATIC_DEFAULT_CACHE;
	plen = strlen(prefix);
	if (plen < 2 || plen > 256 || prefix[0] != '/' ||
	    prefix[plen - 1] == '/' || strpbrk(prefix, "%?#\\") != NULL ||
	    !header_value_ok(cache_control))
		return BN_ERR_INVALID_ARG;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return BN_ERR_ALLOC;
	st->root_fd = -1;
	st->prefix_len = plen;
	if ((st->prefix = strdup(prefix)) == NULL ||
	    (st->cache_control = strdup(cache_control)) == NULL) {
		r = BN_ERR_ALLOC;
		goto out;
	}
	if ((st->root = realpath(dir, NULL)) == NULL ||
	    (st->root_fd = open(st->root, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0) {
		r = BN_ERR_NOT_FOUND;
		goto out;
	}
	*out = st;
	st = NULL;
	r = BN_OK;
 out:
	up_static_free(st);
	return r;
}

void
up_static_free(struct up_static *st)
{
	if (st == NULL)
		return;
	if (st->root_fd >= 0)
		close(st->root_fd);
	free(st->prefix);
	free(st->root);
	free(st->cache_control);
	free(st);
}

int
up_static_claims(const struct up_static *st, const struct bn_app_request *req)
{
	if (req->path_len < st->prefix_len ||
	    memcmp(req->path, st->prefix, st->prefix_len) != 0)
		return 0;
	return req->path_len == st->prefix_len ||
	    req->path[st->prefix_len] == '/';
}

/* A byte that never belongs in a path we serve, raw or decoded. */
static int
bad_byte(unsigned char c)
{
	return c < 0x20 || c == 0x7f || c == '\\';
}

int
up_static_sanitize(const char *raw, size_t len, char *out, size_t cap,
    size_t *outlen)
{
	char seg[NAME_MAX + 1];
	size_t i, pos = 0, o = 0, slen, dlen, nseg = 0;
	const char *e;
	int r;

	*outlen = 0;
	if (cap == 0)
		return BN_ERR_NO_SPACE;
	out[0] = '\0';
	for (i = 0; i < len; i++)
		if (bad_byte((unsigned char)raw[i]))
			return BN_ERR_MALFORMED;
	while (pos < len) {
		e = memchr(raw + pos, '/', len - pos);
		slen = (e != NULL ? (size_t)(e - raw) : len) - pos;
		if (slen > 0) {
			if (slen > 3 * NAME_MAX)
				return BN_ERR_TOO_LARGE;
			r = up_pct_decode(raw + pos, slen, seg, sizeof(seg),
			    &dlen);
			if (r == BN_ERR_NO_SPACE)
				return BN_ERR_TOO_LARGE;
			if (r != BN_OK)
				return BN_ERR_ENCODING;
			for (i = 0; i < dlen; i++)
				if (bad_byte((unsigned char)seg[i]) ||
				    seg[i] == '/')
					return BN_ERR_MALFORMED;
			if (strcmp(seg, ".") == 0 || strcmp(seg, "..") == 0)
				return BN_ERR_MALFORMED;
			if (++nseg > UP_STATIC_DEPTH_MAX ||
			    dlen + 2 > cap - o)
				return BN_ERR_TOO_LARGE;
			if (o > 0)
				out[o++] = '/';
			memcpy(out + o, seg, dlen + 1);
			o += dlen;
		}
		if (e == NULL)
			break;
		pos += slen + 1;
	}
	if (o == 0)
		return BN_ERR_NOT_FOUND;
	*outlen = o;
	return BN_OK;
}

/*
 * Open rel (a realpath() result made relative to the root: no "..", no
 * ".", no symlinks at the time realpath() looked) one component at a time
 * from the root's descriptor with O_NOFOLLOW.  Why this is race-free: the
 * prefix check on the realpath() result is only a fast answer; the walk
 * itself cannot leave the root whatever happens to the tree meanwhile,
 * because it starts at the descriptor taken at start-up, never meets
 * "..", and refuses any symlink (ELOOP/ENOTDIR, answered 403) -- a
 * symlink swapped in after realpath() is refused, never followed.
 */
static int
open_beneath(int root_fd, const char *rel, int *fdp)
{
	char comp[NAME_MAX + 1];
	size_t n, depth = 0;
	int dfd = root_fd, fd, last, r;

	*fdp = -1;
	for (;;) {
		n = strcspn(rel, "/");
		if (n == 0 || n > NAME_MAX ||
		    ++depth > 2 * UP_STATIC_DEPTH_MAX) {
			r = 404;
			goto out;
		}
		memcpy(comp, rel, n);
		comp[n] = '\0';
		last = rel[n] == '\0';
		fd = openat(dfd, comp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
		    (last ? O_NONBLOCK : O_DIRECTORY));
		if (fd < 0) {
			r = (errno == ELOOP || errno == ENOTDIR) ? 403 : 404;
			goto out;
		}
		if (dfd != root_fd)
			close(dfd);
		dfd = fd;
		if (last)
			break;
		rel += n + 1;
	}
	*fdp = dfd;
	dfd = root_fd;
	r = 0;
 out:
	if (dfd != root_fd)
		close(dfd);
	return r;
}

/* Resolve clean (sanitized, relative) and open it; 0 or a status. */
static int
resolve_open(const struct up_static *st, const char *clean, int *fdp)
{
	char path[PATH_MAX], *real;
	size_t rl = strlen(st->root);
	int r;

	*fdp = -1;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", st->root, clean) >=
	    sizeof(path))
		return 414;
	if ((real = realpath(path, NULL)) == NULL)
		return 404;
	if (strcmp(real, st->root) == 0)
		r = 404;			/* the root directory */
	else if (strcmp(st->root, "/") == 0)
		r = open_beneath(st->root_fd, real + 1, fdp);
	else if (strncmp(real, st->root, rl) != 0 || real[rl] != '/')
		r = 403;			/* resolves outside */
	else
		r = open_beneath(st->root_fd, real + rl + 1, fdp);
	free(real);
	return r;
}

/* Does one entity-tag of an If-None-Match list match ours (weakly)? */
static int
inm_matches(const uint8_t *v, size_t len, const char *etag)
{
	size_t i = 0, s, e, elen;
	const char *opaque = etag + 2;		/* skip our "W/" */

	elen = strlen(opaque);
	while (i < len) {
		while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < len && v[i] != ',')
			i++;
		e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e - s == 1 && v[s] == '*')
			return 1;
		if (e - s >= 2 && v[s] == 'W' && v[s + 1] == '/')
			s += 2;
		if (e - s == elen && memcmp(v + s, opaque, elen) == 0)
			return 1;
	}
	return 0;
}

static int
not_modified(const struct bn_app_request *req, const char *etag,
    long long mtime)
{
	const struct bn_app_header *h;
	long long ims;

	if ((h = bn_app_request_header(req, "if-none-match")) != NULL)
		return inm_matches(h->value, h->value_len, etag);
	if ((h = bn_app_request_header(req, "if-modified-since")) != NULL &&
	    up_static_parse_date((const char *)h->value, h->value_len,
	    &ims) == BN_OK)
		return mtime <= ims;
	return 0;
}

static int
status_of(int r)
{
	switch (r) {
	case BN_ERR_MALFORMED:	return 403;
	case BN_ERR_ENCODING:	return 400;
	case BN_ERR_TOO_LARGE:	return 414;
	default:		return 404;
	}
}

int
up_static_serve(const struct up_static *st, const struct bn_app_request *req,
    struct bn_app_response *resp)
{
	char clean[BN_APP_PATH_MAX + 1], etag[64], date[40];
	const char *raw;
	struct stat sb;
	size_t len, rawlen;
	uint64_t ns;
	int fd = -1, r, status;

	raw = req->path + st->prefix_len;
	rawlen = req->path_len - st->prefix_len;
	if (rawlen > 0) {
		raw++;				/* the '/' after the prefix */
		rawlen--;
	}
	if ((r = up_static_sanitize(raw, rawlen, clean, sizeof(clean),
	    &len)) != BN_OK)
		return bn_app_abort(resp, status_of(r));
	if ((status = resolve_open(st, clean, &fd)) != 0)
		return bn_app_abort(resp, status);
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		r = bn_app_abort(resp, 404);
		goto out;
	}
	ns = (uint64_t)sb.st_mtim.tv_sec * 1000000000ull +
	    (uint64_t)sb.st_mtim.tv_nsec;
	snprintf(etag, sizeof(etag), "W/\"%llx-%llx\"",
	    (unsigned long long)sb.st_size, (unsigned long long)ns);
	up_static_http_date((long long)sb.st_mtim.tv_sec, date, sizeof(date));
	if ((r = bn_app_response_set_header(resp, "etag", etag)) != 0 ||
	    (r = bn_app_response_set_header(resp, "last-modified",
	    date)) != 0 ||
	    (r = bn_app_response_set_header(resp, "cache-control",
	    st->cache_control)) != 0)
		goto out;
	if (not_modified(req, etag, (long long)sb.st_mtim.tv_sec)) {
		resp->status = 304;
		r = BN_OK;
		goto out;
	}
	if ((r = bn_app_response_set_header(resp, "content-type",
	    up_static_content_type(clean))) != 0 ||
	    (r = bn_app_response_set_header(resp, "x-content-type-options",
	    "nosniff")) != 0)
		goto out;
	/* The walk opened the file O_NONBLOCK (FIFOs); reads want blocking. */
	if (fcntl(fd, F_SETFL, 0) != 0) {
		r = BN_ERR_SYSTEM;
		goto out;
	}
	resp->status = 200;
	resp->file_fd = fd;
	resp->file_len = (uint64_t)sb.st_size;
	fd = -1;
	r = BN_OK;
 out:
	if (fd >= 0)
		close(fd);
	return r;
}
