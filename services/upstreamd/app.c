/*
 * app: dispatch, registration, responses and counters (see app.h).
 *
 * Dispatch of one request, in order:
 *   1. before hooks, in registration order; one may answer (BN_APP_DONE);
 *   2. a static mount claiming the path, else the route table;
 *   3. errors (no route 404, wrong method 405 + Allow, unknown method on
 *      an unknown path 400, handler failure 500, bn_app_abort(status))
 *      become a default text/plain answer that the error handler for
 *      that status (or the catch-all, status 0) may replace;
 *   4. after hooks, in registration order, on every final answer;
 *   5. for HEAD, the body (or file) is dropped and its length kept as
 *      content-length.
 * Nothing recurses: an error handler or after hook that fails gets a
 * plain 500 without running handlers again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "betanet/err.h"
#include "app.h"
#include "up_plugin.h"
#include "up_router.h"
#include "up_static.h"
#include "up_template.h"

_Static_assert(BN_APP_ERR_ALLOC == BN_ERR_ALLOC, "abi");
_Static_assert(BN_APP_ERR_INVALID == BN_ERR_INVALID_ARG, "abi");
_Static_assert(BN_APP_ERR_LIMIT == BN_ERR_LIMIT, "abi");
_Static_assert(BN_APP_ERR_MALFORMED == BN_ERR_MALFORMED, "abi");
_Static_assert(BN_APP_ERR_TOO_LARGE == BN_ERR_TOO_LARGE, "abi");
_Static_assert(BN_APP_ERR_NOT_FOUND == BN_ERR_NOT_FOUND, "abi");

#define APP_HOOKS_MAX		64
#define APP_ERRH_MAX		64
#define APP_STATIC_MAX		16
#define APP_REQ_HEADERS_MAX	1024

struct app_hook {
	int		(*fn)(struct bn_app *, const struct bn_app_request *,
			    struct bn_app_response *, void *);
	void		*arg;
};

struct app_errh {
	int		 status;
	int		(*fn)(struct bn_app *, const struct bn_app_request *,
			    struct bn_app_response *, int, void *);
	void		*arg;
};

struct app_counter {
	char		 name[BN_APP_COUNTER_NAME_MAX + 1];
	uint64_t	 v;
};

struct bn_app {
	struct up_router	*router;
	struct up_tmpl		*tmpl;
	struct up_plugin_set	*plugins;
	struct up_static	*statics[APP_STATIC_MAX];
	size_t			 nstatics;
	struct app_hook		 before[APP_HOOKS_MAX];
	size_t			 nbefore;
	struct app_hook		 after[APP_HOOKS_MAX];
	size_t			 nafter;
	struct app_errh		 errh[APP_ERRH_MAX];
	size_t			 nerrh;
	struct app_counter	 counters[BN_APP_COUNTERS_MAX];
	size_t			 ncounters;
	uint64_t		(*now)(void *);
	void			*now_arg;
};

static const char *const method_names[BN_APP_METHODS] = {
	"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS",
};

/* --- the app ----------------------------------------------------------- */

struct bn_app *
bn_app_new(void)
{
	struct bn_app *app;

	if ((app = calloc(1, sizeof(*app))) == NULL)
		return NULL;
	if ((app->router = up_router_new()) == NULL ||
	    (app->tmpl = up_tmpl_new()) == NULL ||
	    (app->plugins = up_plugin_set_new()) == NULL) {
		bn_app_free(app);
		return NULL;
	}
	return app;
}

void
bn_app_free(struct bn_app *app)
{
	size_t i;

	if (app == NULL)
		return;
	/* Everything that may point into a plugin goes before dlclose(). */
	up_router_free(app->router);
	for (i = 0; i < app->nstatics; i++)
		up_static_free(app->statics[i]);
	up_tmpl_free(app->tmpl);
	up_plugin_set_free(app->plugins);
	free(app);
}

uint64_t
bn_app_now_ms(struct bn_app *app)
{
	struct timespec ts;

	if (app != NULL && app->now != NULL)
		return app->now(app->now_arg);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void
bn_app_set_clock(struct bn_app *app, uint64_t (*now)(void *), void *arg)
{
	app->now = now;
	app->now_arg = arg;
}

int
bn_app_route(struct bn_app *app, enum bn_app_method method,
    const char *pattern,
    int (*fn)(struct bn_app *, const struct bn_app_request *,
    struct bn_app_response *, void *), void *arg)
{
	if (app == NULL)
		return BN_ERR_INVALID_ARG;
	return up_router_add(app->router, method, NULL, pattern, fn, arg);
}

int
bn_app_blueprint(struct bn_app *app, const char *prefix,
    const struct bn_app_route_def *defs, size_t n)
{
	size_t i, before;
	int r;

	if (app == NULL || prefix == NULL || (defs == NULL && n > 0))
		return BN_ERR_INVALID_ARG;
	before = up_router_count(app->router);
	for (i = 0; i < n; i++) {
		if ((r = up_router_add(app->router, defs[i].method, prefix,
		    defs[i].pattern, defs[i].fn, defs[i].arg)) != BN_OK) {
			up_router_truncate(app->router, before);
			return r;
		}
	}
	return BN_OK;
}

static int
add_hook(struct app_hook *v, size_t *n,
    int (*fn)(struct bn_app *, const struct bn_app_request *,
    struct bn_app_response *, void *), void *arg)
{
	if (fn == NULL)
		return BN_ERR_INVALID_ARG;
	if (*n == APP_HOOKS_MAX)
		return BN_ERR_LIMIT;
	v[*n].fn = fn;
	v[*n].arg = arg;
	(*n)++;
	return BN_OK;
}

int
bn_app_before(struct bn_app *app,
    int (*fn)(struct bn_app *, const struct bn_app_request *,
    struct bn_app_response *, void *), void *arg)
{
	if (app == NULL)
		return BN_ERR_INVALID_ARG;
	return add_hook(app->before, &app->nbefore, fn, arg);
}

int
bn_app_after(struct bn_app *app,
    int (*fn)(struct bn_app *, const struct bn_app_request *,
    struct bn_app_response *, void *), void *arg)
{
	if (app == NULL)
		return BN_ERR_INVALID_ARG;
	return add_hook(app->after, &app->nafter, fn, arg);
}

int
bn_app_error_handler(struct bn_app *app, int status,
    int (*fn)(struct bn_app *, const struct bn_app_request *,
    struct bn_app_response *, int, void *), void *arg)
{
	size_t i;

	if (app == NULL || fn == NULL ||
	    (status != 0 && (status < 400 || status > 599)))
		return BN_ERR_INVALID_ARG;
	for (i = 0; i < app->nerrh; i++) {
		if (app->errh[i].status == status) {
			app->errh[i].fn = fn;
			app->errh[i].arg = arg;
			return BN_OK;
		}
	}
	if (app->nerrh == APP_ERRH_MAX)
		return BN_ERR_LIMIT;
	app->errh[app->nerrh].status = status;
	app->errh[app->nerrh].fn = fn;
	app->errh[app->nerrh].arg = arg;
	app->nerrh++;
	return BN_OK;
}

int
bn_app_add_static(struct bn_app *app, const char *prefix, const char *dir,
    const char *cache_control)
{
	struct up_static *st;
	int r;

	if (app == NULL)
		return BN_ERR_INVALID_ARG;
	if (app->nstatics == APP_STATIC_MAX)
		return BN_ERR_LIMIT;
	if ((r = up_static_new(prefix, dir, cache_control, &st)) != BN_OK)
		return r;
	app->statics[app->nstatics++] = st;
	return BN_OK;
}

int
bn_app_add_template_root(struct bn_app *app, const char *dir)
{
	if (app == NULL)
		return BN_ERR_INVALID_ARG;
	return up_tmpl_add_root(app->tmpl, dir);
}

/* --- plugins ----------------------------------------------------------- */

/* What a plugin's registration may add, to take it back on failure. */
struct app_mark {
	size_t	routes, before, after, errh, statics;
};

static void
app_mark(const struct bn_app *app, struct app_mark *m)
{
	m->routes = up_router_count(app->router);
	m->before = app->nbefore;
	m->after = app->nafter;
	m->errh = app->nerrh;
	m->statics = app->nstatics;
}

/*
 * Undo registrations since the mark.  An error handler that replaced an
 * existing one in place is not restored (nor are template roots or
 * counters, which hold no plugin pointers); the daemon treats a failed
 * plugin as fatal anyway.
 */
static void
app_rollback(struct bn_app *app, const struct app_mark *m)
{
	up_router_truncate(app->router, m->routes);
	app->nbefore = m->before;
	app->nafter = m->after;
	app->nerrh = m->errh;
	while (app->nstatics > m->statics)
		up_static_free(app->statics[--app->nstatics]);
}

int
bn_app_load_plugin(struct bn_app *app, const char *path, char *err,
    size_t errlen)
{
	int (*reg)(struct bn_app *);
	struct app_mark m;
	int r;

	if (errlen > 0)
		err[0] = '\0';
	if (app == NULL || path == NULL)
		return BN_ERR_INVALID_ARG;
	if ((r = up_plugin_open(app->plugins, path, &reg, err,
	    errlen)) != BN_OK)
		return r;
	app_mark(app, &m);
	if ((r = reg(app)) != 0) {
		app_rollback(app, &m);
		up_plugin_close_last(app->plugins);
		if (errlen > 0)
			snprintf(err, errlen, "plugin %s: bn_plugin_register "
			    "failed: %d (%s)", path, r, bn_strerror(r));
		return r < 0 ? r : BN_ERR_INVALID_ARG;
	}
	return BN_OK;
}

int
bn_app_load_plugin_dir(struct bn_app *app, const char *dir, char *err,
    size_t errlen)
{
	char **paths;
	size_t n, i;
	int r;

	if (app == NULL || dir == NULL)
		return BN_ERR_INVALID_ARG;
	if ((r = up_plugin_list_dir(dir, &paths, &n, err, errlen)) != BN_OK)
		return r;
	for (i = 0; i < n; i++)
		if ((r = bn_app_load_plugin(app, paths[i], err,
		    errlen)) != BN_OK)
			break;
	up_plugin_paths_free(paths, n);
	return r;
}

/* --- requests ---------------------------------------------------------- */

static int
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' &&
	    strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int
is_lower_token(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!is_tchar((unsigned char)*s) || (*s >= 'A' && *s <= 'Z'))
			return 0;
	return 1;
}

static enum bn_app_method
method_parse(const char *m)
{
	size_t i;

	for (i = 0; i < BN_APP_METHODS; i++)
		if (strcmp(m, method_names[i]) == 0)
			return (enum bn_app_method)i;
	if (strcmp(m, "DEL") == 0)
		return BN_APP_DELETE;		/* WIRE.md §8 */
	return BN_APP_METHOD_OTHER;
}

const char *
bn_app_method_name(enum bn_app_method m)
{
	if ((unsigned)m < BN_APP_METHODS)
		return method_names[m];
	return "OTHER";
}

int
bn_app_request_init(struct bn_app_request *req, const char *method,
    const char *target, size_t target_len,
    const struct bn_app_header *headers, size_t nheaders,
    const uint8_t *body, size_t body_len)
{
	const char *q;
	size_t i, mlen, plen;

	if (req == NULL)
		return BN_ERR_INVALID_ARG;
	memset(req, 0, sizeof(*req));
	if (method == NULL || target == NULL ||
	    (headers == NULL && nheaders > 0) || (body == NULL && body_len))
		return BN_ERR_MALFORMED;
	mlen = strlen(method);
	if (mlen == 0 || mlen > BN_APP_METHOD_MAX)
		return BN_ERR_MALFORMED;
	for (i = 0; i < mlen; i++)
		if (!is_tchar((unsigned char)method[i]))
			return BN_ERR_MALFORMED;
	if (target_len == 0 || target[0] != '/')
		return BN_ERR_MALFORMED;
	q = memchr(target, '?', target_len);
	plen = q != NULL ? (size_t)(q - target) : target_len;
	if (plen > BN_APP_PATH_MAX ||
	    (q != NULL && target_len - plen - 1 > BN_APP_QUERY_MAX))
		return BN_ERR_TOO_LARGE;
	/*
	 * RFC 9112 §3.2: a request-target is visible ASCII.  Anything else
	 * (CR, LF, space, NUL, DEL, 8-bit) would let the peer rewrite the
	 * request line the proxy writes to the origin (a second request).
	 */
	for (i = 0; i < target_len; i++)
		if ((unsigned char)target[i] <= 0x20 ||
		    (unsigned char)target[i] >= 0x7f)
			return BN_ERR_MALFORMED;
	if (nheaders > APP_REQ_HEADERS_MAX)
		return BN_ERR_TOO_LARGE;
	for (i = 0; i < nheaders; i++)
		if (headers[i].name == NULL ||
		    !is_lower_token(headers[i].name) ||
		    (headers[i].value == NULL && headers[i].value_len > 0))
			return BN_ERR_MALFORMED;
	memcpy(req->method_text, method, mlen + 1);
	req->method = method_parse(method);
	memcpy(req->path, target, plen);
	req->path_len = plen;
	if (q != NULL) {
		req->query_len = target_len - plen - 1;
		memcpy(req->query, q + 1, req->query_len);
	}
	req->headers = headers;
	req->nheaders = nheaders;
	req->body = body;
	req->body_len = body_len;
	return BN_OK;
}

const struct bn_app_header *
bn_app_request_header(const struct bn_app_request *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->nheaders; i++)
		if (strcmp(req->headers[i].name, name) == 0)
			return &req->headers[i];
	return NULL;
}

const char *
bn_app_request_param(const struct bn_app_request *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->nparams; i++)
		if (strcmp(req->params[i].name, name) == 0)
			return req->params[i].value;
	return NULL;
}

/* --- responses --------------------------------------------------------- */

void
bn_app_response_init(struct bn_app_response *resp)
{
	memset(resp, 0, sizeof(*resp));
	resp->status = 200;
	resp->file_fd = -1;
}

void
bn_app_response_reset(struct bn_app_response *resp)
{
	size_t i;

	for (i = 0; i < resp->nheaders; i++) {
		free(resp->headers[i].name);
		free(resp->headers[i].value);
	}
	free(resp->body);
	if (resp->file_fd >= 0)
		close(resp->file_fd);
	bn_app_response_init(resp);
}

static int
header_value_ok(const char *v)
{
	size_t n = 0;

	for (; *v != '\0'; v++, n++)
		if (((unsigned char)*v < 0x20 && *v != '\t') || *v == 0x7f)
			return 0;
	return n <= BN_APP_HEADER_MAX;
}

static int
append_header(struct bn_app_response *resp, const char *name,
    const char *value)
{
	struct bn_app_rheader *h;

	if (resp->nheaders == BN_APP_RESP_HEADERS_MAX)
		return BN_ERR_LIMIT;
	h = &resp->headers[resp->nheaders];
	if ((h->name = strdup(name)) == NULL ||
	    (h->value = strdup(value)) == NULL) {
		free(h->name);
		h->name = NULL;
		return BN_ERR_ALLOC;
	}
	resp->nheaders++;
	return BN_OK;
}

int
bn_app_response_add_header(struct bn_app_response *resp, const char *name,
    const char *value)
{
	if (resp == NULL || name == NULL || value == NULL ||
	    !is_lower_token(name) || strlen(name) > 256 ||
	    !header_value_ok(value))
		return BN_ERR_INVALID_ARG;
	return append_header(resp, name, value);
}

int
bn_app_response_set_header(struct bn_app_response *resp, const char *name,
    const char *value)
{
	size_t i, j;
	char *v;

	if (resp == NULL || name == NULL || value == NULL ||
	    !is_lower_token(name) || strlen(name) > 256 ||
	    !header_value_ok(value))
		return BN_ERR_INVALID_ARG;
	for (i = 0; i < resp->nheaders; i++)
		if (strcmp(resp->headers[i].name, name) == 0)
			break;
	if (i == resp->nheaders)
		return append_header(resp, name, value);
	if ((v = strdup(value)) == NULL)
		return BN_ERR_ALLOC;
	free(resp->headers[i].value);
	resp->headers[i].value = v;
	/* Drop later duplicates so "set" means exactly one. */
	for (j = i + 1; j < resp->nheaders;) {
		if (strcmp(resp->headers[j].name, name) != 0) {
			j++;
			continue;
		}
		free(resp->headers[j].name);
		free(resp->headers[j].value);
		memmove(&resp->headers[j], &resp->headers[j + 1],
		    (resp->nheaders - j - 1) * sizeof(resp->headers[0]));
		resp->nheaders--;
	}
	return BN_OK;
}

const char *
bn_app_response_header(const struct bn_app_response *resp, const char *name)
{
	size_t i;

	for (i = 0; i < resp->nheaders; i++)
		if (strcmp(resp->headers[i].name, name) == 0)
			return resp->headers[i].value;
	return NULL;
}

int
bn_app_response_set_body(struct bn_app_response *resp, const void *p,
    size_t len)
{
	uint8_t *b = NULL;

	if (resp == NULL || (p == NULL && len > 0))
		return BN_ERR_INVALID_ARG;
	if (len > 0) {
		if ((b = malloc(len)) == NULL)
			return BN_ERR_ALLOC;
		memcpy(b, p, len);
	}
	free(resp->body);
	if (resp->file_fd >= 0)
		close(resp->file_fd);
	resp->file_fd = -1;
	resp->file_len = 0;
	resp->body = b;
	resp->body_len = len;
	return BN_OK;
}

int
bn_app_response_load_file(struct bn_app_response *resp, size_t max)
{
	size_t got = 0;
	uint8_t *b;
	ssize_t n;

	if (resp == NULL)
		return BN_ERR_INVALID_ARG;
	if (resp->file_fd < 0)
		return BN_OK;
	if (resp->file_len > max)
		return BN_ERR_TOO_LARGE;
	if ((b = malloc(resp->file_len ? (size_t)resp->file_len : 1)) == NULL)
		return BN_ERR_ALLOC;
	while (got < resp->file_len) {
		n = read(resp->file_fd, b + got, (size_t)resp->file_len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(b);
			return BN_ERR_SYSTEM;
		}
		got += (size_t)n;
	}
	close(resp->file_fd);
	resp->file_fd = -1;
	resp->file_len = 0;
	free(resp->body);
	resp->body = b;
	resp->body_len = got;
	return BN_OK;
}

const char *
bn_app_reason(int status)
{
	switch (status) {
	case 200:	return "OK";
	case 201:	return "Created";
	case 204:	return "No Content";
	case 301:	return "Moved Permanently";
	case 302:	return "Found";
	case 303:	return "See Other";
	case 304:	return "Not Modified";
	case 307:	return "Temporary Redirect";
	case 308:	return "Permanent Redirect";
	case 400:	return "Bad Request";
	case 401:	return "Unauthorized";
	case 403:	return "Forbidden";
	case 404:	return "Not Found";
	case 405:	return "Method Not Allowed";
	case 413:	return "Content Too Large";
	case 414:	return "URI Too Long";
	case 429:	return "Too Many Requests";
	case 500:	return "Internal Server Error";
	case 502:	return "Bad Gateway";
	case 503:	return "Service Unavailable";
	case 504:	return "Gateway Timeout";
	}
	return "Unknown";
}

static int
typed_body(struct bn_app_response *resp, int status, const char *type,
    const void *p, size_t len)
{
	int r;

	if (resp == NULL || (p == NULL && len > 0) ||
	    (status != 0 && (status < 100 || status > 599)))
		return BN_ERR_INVALID_ARG;
	resp->status = status ? status : 200;
	if ((r = bn_app_response_set_header(resp, "content-type",
	    type)) != BN_OK || (r = bn_app_response_set_body(resp, p,
	    len)) != BN_OK)
		return r;
	return BN_OK;
}

int
bn_app_text(struct bn_app_response *resp, int status, const char *s)
{
	return typed_body(resp, status, "text/plain; charset=utf-8", s,
	    s ? strlen(s) : 0);
}

int
bn_app_html(struct bn_app_response *resp, int status, const void *p,
    size_t len)
{
	return typed_body(resp, status, "text/html; charset=utf-8", p, len);
}

int
bn_app_json(struct bn_app_response *resp, int status, const char *json)
{
	return typed_body(resp, status, "application/json", json,
	    json ? strlen(json) : 0);
}

int
bn_app_redirect(struct bn_app_response *resp, const char *url, int status)
{
	if (status == 0)
		status = 302;
	if (resp == NULL || url == NULL || url[0] == '\0' ||
	    status < 300 || status > 399 || strpbrk(url, "\r\n") != NULL ||
	    !header_value_ok(url))
		return BN_ERR_INVALID_ARG;
	resp->status = status;
	(void)bn_app_response_set_body(resp, NULL, 0);
	return bn_app_response_set_header(resp, "location", url);
}

int
bn_app_error(struct bn_app_response *resp, int status, const char *msg)
{
	if (msg == NULL || msg[0] == '\0')
		msg = bn_app_reason(status);
	return bn_app_text(resp, status, msg);
}

int
bn_app_abort(struct bn_app_response *resp, int status)
{
	if (status < 400 || status > 599)
		status = 500;
	resp->status = status;
	resp->abort = 1;
	return BN_OK;
}

int
bn_app_json_str(char **dst, size_t *dstlen, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, need = 2;
	unsigned char c;
	char *p, *o;

	if (dst == NULL || dstlen == NULL || (s == NULL && len > 0))
		return BN_ERR_INVALID_ARG;
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			need += 2;
		else if (c < 0x20)
			need += 6;
		else
			need++;
		if (need > BN_APP_RENDER_MAX)
			return BN_ERR_TOO_LARGE;
	}
	if (*dstlen > BN_APP_RENDER_MAX - need)
		return BN_ERR_TOO_LARGE;
	if ((p = realloc(*dst, *dstlen + need + 1)) == NULL)
		return BN_ERR_ALLOC;
	*dst = p;
	o = p + *dstlen;
	*o++ = '"';
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			*o++ = '\\';
			*o++ = (char)c;
		} else if (c < 0x20) {
			memcpy(o, "\\u00", 4);
			o[4] = hex[c >> 4];
			o[5] = hex[c & 15];
			o += 6;
		} else
			*o++ = (char)c;
	}
	*o++ = '"';
	*o = '\0';
	*dstlen = (size_t)(o - p);
	return BN_OK;
}

/* --- dispatch ---------------------------------------------------------- */

/* The last resort: a plain error that needs no handler. */
static void
plain_error(struct bn_app_response *resp, int status)
{
	bn_app_response_reset(resp);
	if (bn_app_error(resp, status, NULL) != BN_OK) {
		bn_app_response_reset(resp);
		resp->status = status;
	}
}

static const struct app_errh *
find_errh(const struct bn_app *app, int status)
{
	const struct app_errh *any = NULL;
	size_t i;

	for (i = 0; i < app->nerrh; i++) {
		if (app->errh[i].status == status)
			return &app->errh[i];
		if (app->errh[i].status == 0)
			any = &app->errh[i];
	}
	return any;
}

static void
raise_status(struct bn_app *app, const struct bn_app_request *req,
    struct bn_app_response *resp, int status, unsigned allow)
{
	const struct app_errh *h;
	char allow_text[64];

	plain_error(resp, status);
	if ((h = find_errh(app, status)) != NULL &&
	    h->fn(app, req, resp, status, h->arg) < 0)
		plain_error(resp, 500);
	resp->abort = 0;
	if (status == 405 && resp->status == 405) {
		up_router_allow_text(allow, allow_text, sizeof(allow_text));
		if (bn_app_response_set_header(resp, "allow",
		    allow_text) != BN_OK)
			plain_error(resp, 500);
	}
}

/* After a handler ran: its failure or abort becomes an error answer. */
static void
settle(struct bn_app *app, const struct bn_app_request *req,
    struct bn_app_response *resp, int r)
{
	if (r < 0)
		raise_status(app, req, resp, 500, 0);
	else if (resp->abort)
		raise_status(app, req, resp, resp->status, 0);
}

static void
dispatch(struct bn_app *app, struct bn_app_request *req,
    struct bn_app_response *resp)
{
	const struct up_route *route;
	unsigned allow;
	size_t i;

	for (i = 0; i < app->nstatics; i++) {
		if (!up_static_claims(app->statics[i], req))
			continue;
		if (req->method != BN_APP_GET && req->method != BN_APP_HEAD) {
			raise_status(app, req, resp, 405,
			    (1u << BN_APP_GET) | (1u << BN_APP_HEAD));
			return;
		}
		settle(app, req, resp,
		    up_static_serve(app->statics[i], req, resp));
		return;
	}
	switch (up_router_match(app->router, req, &route, &allow)) {
	case UP_MATCH_OK:
		settle(app, req, resp, route->fn(app, req, resp, route->arg));
		break;
	case UP_MATCH_NO_METHOD:
		raise_status(app, req, resp, 405, allow);
		break;
	case UP_MATCH_NO_PATH:
		raise_status(app, req, resp,
		    req->method == BN_APP_METHOD_OTHER ? 400 : 404, 0);
		break;
	}
}

/* HEAD: keep the length, drop the bytes. */
static void
strip_body(struct bn_app_response *resp)
{
	char len[24];
	uint64_t n;

	n = resp->file_fd >= 0 ? resp->file_len : resp->body_len;
	if (resp->file_fd >= 0)
		close(resp->file_fd);
	resp->file_fd = -1;
	resp->file_len = 0;
	free(resp->body);
	resp->body = NULL;
	resp->body_len = 0;
	if (resp->status == 304 || resp->status == 204)
		return;
	snprintf(len, sizeof(len), "%llu", (unsigned long long)n);
	if (bn_app_response_set_header(resp, "content-length", len) != BN_OK)
		plain_error(resp, 500);
}

int
bn_app_handle(struct bn_app *app, struct bn_app_request *req,
    struct bn_app_response *resp)
{
	size_t i;
	int r;

	if (app == NULL || req == NULL || resp == NULL)
		return BN_ERR_INVALID_ARG;
	bn_app_response_init(resp);
	req->start_ms = bn_app_now_ms(app);
	req->nparams = 0;
	for (i = 0; i < app->nbefore; i++) {
		r = app->before[i].fn(app, req, resp, app->before[i].arg);
		if (r == BN_APP_CONTINUE)
			continue;
		settle(app, req, resp, r < 0 ? r : 0);
		goto after;
	}
	dispatch(app, req, resp);
 after:
	for (i = 0; i < app->nafter; i++)
		if (app->after[i].fn(app, req, resp, app->after[i].arg) < 0)
			plain_error(resp, 500);
	if (req->method == BN_APP_HEAD)
		strip_body(resp);
	return BN_OK;
}

/* --- templates --------------------------------------------------------- */

int
bn_app_render_template(struct bn_app *app, const char *name,
    const struct bn_app_var *vars, size_t nvars, char **out, size_t *outlen)
{
	if (out == NULL || outlen == NULL)
		return BN_ERR_INVALID_ARG;
	*out = NULL;
	*outlen = 0;
	if (app == NULL)
		return BN_ERR_INVALID_ARG;
	return up_tmpl_render_file(app->tmpl, name, vars, nvars, out, outlen);
}

int
bn_app_render_string(const char *text, size_t len,
    const struct bn_app_var *vars, size_t nvars, char **out, size_t *outlen)
{
	if (out == NULL || outlen == NULL)
		return BN_ERR_INVALID_ARG;
	return up_tmpl_render(text, len, vars, nvars, out, outlen);
}

/* --- counters ---------------------------------------------------------- */

static int
counter_name_ok(const char *name)
{
	size_t i;

	if (name == NULL || name[0] == '\0' ||
	    strlen(name) > BN_APP_COUNTER_NAME_MAX)
		return 0;
	for (i = 0; name[i] != '\0'; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || name[i] == '_' ||
		    name[i] == ':' || (name[i] >= 'A' && name[i] <= 'Z') ||
		    (i > 0 && name[i] >= '0' && name[i] <= '9')))
			return 0;
	return 1;
}

static struct app_counter *
counter_find(const struct bn_app *app, const char *name)
{
	size_t i;

	for (i = 0; i < app->ncounters; i++)
		if (strcmp(app->counters[i].name, name) == 0)
			return (struct app_counter *)&app->counters[i];
	return NULL;
}

static int
counter_get_or_make(struct bn_app *app, const char *name,
    struct app_counter **out)
{
	struct app_counter *c;

	if (app == NULL || !counter_name_ok(name))
		return BN_ERR_INVALID_ARG;
	if ((c = counter_find(app, name)) == NULL) {
		if (app->ncounters == BN_APP_COUNTERS_MAX)
			return BN_ERR_LIMIT;
		c = &app->counters[app->ncounters++];
		snprintf(c->name, sizeof(c->name), "%s", name);
		c->v = 0;
	}
	*out = c;
	return BN_OK;
}

int
bn_app_counter_add(struct bn_app *app, const char *name, uint64_t delta)
{
	struct app_counter *c;
	int r;

	if ((r = counter_get_or_make(app, name, &c)) != BN_OK)
		return r;
	c->v += delta;		/* wraps at 2^64, as Prometheus counters may */
	return BN_OK;
}

int
bn_app_counter_set(struct bn_app *app, const char *name, uint64_t v)
{
	struct app_counter *c;
	int r;

	if ((r = counter_get_or_make(app, name, &c)) != BN_OK)
		return r;
	c->v = v;
	return BN_OK;
}

int
bn_app_counter_get(const struct bn_app *app, const char *name, uint64_t *v)
{
	const struct app_counter *c;

	*v = 0;
	if (app == NULL || name == NULL)
		return BN_ERR_INVALID_ARG;
	if ((c = counter_find(app, name)) == NULL)
		return BN_ERR_NOT_FOUND;
	*v = c->v;
	return BN_OK;
}

/* --- built-in routes (ARCHITECTURE.md data path step 4) ---------------- */

static int
builtin_hello(struct bn_app *app, const struct bn_app_request *req,
    struct bn_app_response *resp, void *arg)
{
	const char *name = bn_app_request_param(req, "name");
	char *msg;
	size_t len;
	int r;

	if (name == NULL)
		return BN_ERR_INTERNAL;
	len = strlen(name) + sizeof("hello ");
	if ((msg = malloc(len)) == NULL)
		return BN_ERR_ALLOC;
	snprintf(msg, len, "hello %s", name);
	r = bn_app_text(resp, 200, msg);
	free(msg);
	return r;
}

static int
builtin_healthz(struct bn_app *app, const struct bn_app_request *req,
    struct bn_app_response *resp, void *arg)
{
	return bn_app_text(resp, 200, "ok");
}

static int
builtin_echo(struct bn_app *app, const struct bn_app_request *req,
    struct bn_app_response *resp, void *arg)
{
	const struct bn_app_header *h;
	const char *type = "application/octet-stream";
	char ct[256];
	int r;

	/* Echo the content type back when it is a sane header value. */
	if ((h = bn_app_request_header(req, "content-type")) != NULL &&
	    h->value_len > 0 && h->value_len < sizeof(ct) &&
	    memchr(h->value, '\0', h->value_len) == NULL) {
		memcpy(ct, h->value, h->value_len);
		ct[h->value_len] = '\0';
		if (header_value_ok(ct))
			type = ct;
	}
	r = typed_body(resp, 200, type, req->body, req->body_len);
	return r;
}

int
bn_app_add_builtin_routes(struct bn_app *app, int enable_echo)
{
	int r;

	if ((r = bn_app_route(app, BN_APP_GET, "/hello/{name}",
	    builtin_hello, NULL)) != BN_OK ||
	    (r = bn_app_route(app, BN_APP_GET, "/healthz", builtin_healthz,
	    NULL)) != BN_OK)
		return r;
	if (enable_echo)
		r = bn_app_route(app, BN_APP_POST, "/echo", builtin_echo, NULL);
	return r;
}
