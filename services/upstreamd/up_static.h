/*
 * up_static: serve the files below one directory at a URL prefix.
 *
 * For GET and HEAD (the dispatcher answers other methods 405): the rest
 * of the request path is sanitized (up_static_sanitize), resolved, and
 * opened; the answer carries the file as an open descriptor
 * (resp->file_fd, file_len) plus Content-Type (by extension),
 * ETag W/"<size hex>-<mtime in ns hex>" (weak: it names a version by
 * metadata, not by a hash of the bytes), Last-Modified (IMF-fixdate),
 * Cache-Control (default "public, max-age=60") and
 * X-Content-Type-Options: nosniff.  If-None-Match (a list, W/ tags, or *)
 * and, when that header is absent, If-Modified-Since give 304.
 *
 * Errors go through bn_app_abort(): 403 for anything that tries to leave
 * the root (".." or "." segments, raw or percent-encoded, encoded '/' or
 * '\', raw '\', NUL raw or %00, control bytes, a symlink that resolves
 * outside); 404 for a missing file, a directory (no index files, no
 * listings) or anything not a regular file; 400 for a broken
 * percent-escape; 414 for an over-long path.
 *
 * Symlinks inside the root are followed when they resolve inside it.  See
 * open_beneath() in up_static.c for why the check is race-free.
 * The mount owns its copies of prefix, directory and header value, and
 * one descriptor on the root directory.
 */
#ifndef BN_UP_STATIC_H
#define BN_UP_STATIC_H

#include <stddef.h>

#include "app.h"

#define UP_STATIC_DEFAULT_CACHE	"public, max-age=60"
#define UP_STATIC_DEPTH_MAX	BN_APP_SEGMENTS_MAX

struct up_static;

/* BN_ERR_NOT_FOUND: dir missing; BN_ERR_INVALID_ARG: bad prefix/value. */
int	up_static_new(const char *prefix, const char *dir,
	    const char *cache_control, struct up_static **out);
void	up_static_free(struct up_static *st);
/* Nonzero when req->path is the prefix or lies below it. */
int	up_static_claims(const struct up_static *st,
	    const struct bn_app_request *req);
/* Answer a GET or HEAD the mount claims; a route handler in all but name. */
int	up_static_serve(const struct up_static *st,
	    const struct bn_app_request *req, struct bn_app_response *resp);
/*
 * Turn raw (the percent-encoded path below the prefix, without the
 * leading '/') into a clean relative path "a/b.txt" in out (cap bytes,
 * NUL-terminated).  Empty segments are dropped.  BN_ERR_MALFORMED: an
 * escape attempt (403); BN_ERR_ENCODING: bad escape (400);
 * BN_ERR_TOO_LARGE: too long or deep (414); BN_ERR_NOT_FOUND: nothing
 * left (the root directory itself: 404).
 */
int	up_static_sanitize(const char *raw, size_t len, char *out, size_t cap,
	    size_t *outlen);
/* Content-Type for a file name, by extension (case-insensitive). */
const char *up_static_content_type(const char *name);
/* IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT" (out >= 30 bytes). */
void	up_static_http_date(long long t, char *out, size_t outlen);
/* Parse an IMF-fixdate (only that form); 0 and *t, or BN_ERR_MALFORMED. */
int	up_static_parse_date(const char *s, size_t len, long long *t);

#endif /* BN_UP_STATIC_H */
