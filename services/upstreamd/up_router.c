/*
 * up_router: route table and matching (see up_router.h).
 */
#include <stdlib.h>
#include <string.h>

#include "betanet/err.h"
#include "up_router.h"

struct up_router {
	struct up_route	*r;
	size_t		 n;
	size_t		 cap;
};

static const char *const method_names[BN_APP_METHODS] = {
	"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS",
};

struct up_router *
up_router_new(void)
{
	return calloc(1, sizeof(struct up_router));
}

void
up_router_free(struct up_router *rt)
{
	if (rt == NULL)
		return;
	up_router_truncate(rt, 0);
	free(rt->r);
	free(rt);
}

size_t
up_router_count(const struct up_router *rt)
{
	return rt->n;
}

void
up_router_truncate(struct up_router *rt, size_t n)
{
	while (rt->n > n) {
		rt->n--;
		free(rt->r[rt->n].pattern);
		memset(&rt->r[rt->n], 0, sizeof(rt->r[rt->n]));
	}
}

static int
is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

/* Literal segment bytes: visible ASCII except the ones with a meaning. */
static int
is_literal_char(char c)
{
	return c > 0x20 && c < 0x7f && c != '%' && c != '?' && c != '#' &&
	    c != '{' && c != '}' && c != '\\';
}

/*
 * Split the NUL-terminated copy p (which starts with '/') into segments
 * in place.  The root pattern "/" has none.
 */
static int
split_pattern(struct up_route *r, char *p)
{
	size_t nparam = 0, i;
	char *s, *e;

	if (p[0] != '/')
		return BN_ERR_INVALID_ARG;
	if (p[1] == '\0')
		return BN_OK;
	for (s = p + 1;; s = e + 1) {
		if (r->nseg == BN_APP_SEGMENTS_MAX)
			return BN_ERR_INVALID_ARG;
		if ((e = strchr(s, '/')) != NULL)
			*e = '\0';
		if (*s == '\0')
			return BN_ERR_INVALID_ARG;	/* "//", trailing '/' */
		if (*s == '{') {
			size_t len = strlen(s);

			if (len < 3 || s[len - 1] != '}' ||
			    nparam == BN_APP_PARAMS_MAX)
				return BN_ERR_INVALID_ARG;
			s[len - 1] = '\0';
			s++;
			for (i = 0; s[i] != '\0'; i++)
				if (!is_name_char(s[i]))
					return BN_ERR_INVALID_ARG;
			r->is_param |= 1u << r->nseg;
			nparam++;
		} else {
			for (i = 0; s[i] != '\0'; i++)
				if (!is_literal_char(s[i]))
					return BN_ERR_INVALID_ARG;
		}
		r->seg[r->nseg++] = s;
		if (e == NULL)
			break;
	}
	return BN_OK;
}

int
up_router_add(struct up_router *rt, enum bn_app_method method,
    const char *prefix, const char *pattern,
    int (*fn)(struct bn_app *, const struct bn_app_request *,
    struct bn_app_response *, void *), void *arg)
{
	struct up_route r, *nr;
	size_t plen, len, ncap;
	int ret;

	if (rt == NULL || pattern == NULL || fn == NULL ||
	    (unsigned)method >= BN_APP_METHODS)
		return BN_ERR_INVALID_ARG;
	if (prefix == NULL)
		prefix = "";
	plen = strlen(prefix);
	len = strlen(pattern);
	if (plen > BN_APP_PATH_MAX || len > BN_APP_PATH_MAX - plen)
		return BN_ERR_INVALID_ARG;
	if (pattern[0] != '/' ||
	    (plen > 0 && (prefix[0] != '/' || prefix[plen - 1] == '/')))
		return BN_ERR_INVALID_ARG;
	if (rt->n == UP_ROUTER_ROUTES_MAX)
		return BN_ERR_LIMIT;

	memset(&r, 0, sizeof(r));
	r.method = method;
	r.fn = fn;
	r.arg = arg;
	if ((r.pattern = malloc(plen + len + 1)) == NULL)
		return BN_ERR_ALLOC;
	memcpy(r.pattern, prefix, plen);
	memcpy(r.pattern + plen, pattern, len + 1);
	/* A blueprint's "/" route is the prefix itself. */
	if (plen > 0 && strcmp(pattern, "/") == 0)
		r.pattern[plen] = '\0';
	if ((ret = split_pattern(&r, r.pattern)) != BN_OK)
		goto out;
	if (rt->n == rt->cap) {
		ncap = rt->cap ? rt->cap * 2 : 16;
		if ((nr = realloc(rt->r, ncap * sizeof(*nr))) == NULL) {
			ret = BN_ERR_ALLOC;
			goto out;
		}
		rt->r = nr;
		rt->cap = ncap;
	}
	rt->r[rt->n++] = r;
	r.pattern = NULL;
	ret = BN_OK;
 out:
	free(r.pattern);
	return ret;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
up_pct_decode(const char *in, size_t len, char *out, size_t cap,
    size_t *outlen)
{
	size_t i, o = 0;
	int hi, lo;

	*outlen = 0;
	if (cap == 0)
		return BN_ERR_NO_SPACE;
	for (i = 0; i < len; i++) {
		if (o >= cap - 1)
			return BN_ERR_NO_SPACE;
		if (in[i] != '%') {
			out[o++] = in[i];
			continue;
		}
		if (len - i < 3 || (hi = hexval(in[i + 1])) < 0 ||
		    (lo = hexval(in[i + 2])) < 0)
			return BN_ERR_ENCODING;
		out[o++] = (char)((hi << 4) | lo);
		i += 2;
	}
	out[o] = '\0';
	*outlen = o;
	return BN_OK;
}

/* One request path segment, decoded into the request's param store. */
struct seg {
	const char	*s;
	size_t		 len;
	int		 bad;		/* bad escape or a NUL: never matches */
};

static size_t
split_path(struct bn_app_request *req, struct seg *segs)
{
	size_t n = 0, pos = 0, used = 0, len, dlen;
	const char *p = req->path, *e;
	char *store = req->param_store;
	size_t cap = sizeof(req->param_store);

	if (req->path_len == 0 || p[0] != '/')
		return SIZE_MAX;
	if (req->path_len == 1)
		return 0;
	pos = 1;
	for (;;) {
		if (n == BN_APP_SEGMENTS_MAX)
			return SIZE_MAX;
		e = memchr(p + pos, '/', req->path_len - pos);
		len = (e != NULL ? (size_t)(e - p) : req->path_len) - pos;
		segs[n].bad = up_pct_decode(p + pos, len, store + used,
		    cap - used, &dlen) != BN_OK ||
		    memchr(store + used, '\0', dlen) != NULL;
		segs[n].s = store + used;
		segs[n].len = segs[n].bad ? 0 : dlen;
		used += segs[n].bad ? 0 : dlen + 1;
		n++;
		if (e == NULL)
			break;
		pos += len + 1;
	}
	return n;
}

static int
route_matches(const struct up_route *r, const struct seg *segs, size_t n)
{
	size_t i;

	if (r->nseg != n)
		return 0;
	for (i = 0; i < n; i++) {
		if (segs[i].bad)
			return 0;
		if (r->is_param & (1u << i))
			continue;
		if (strlen(r->seg[i]) != segs[i].len ||
		    memcmp(r->seg[i], segs[i].s, segs[i].len) != 0)
			return 0;
	}
	return 1;
}

enum up_match
up_router_match(const struct up_router *rt, struct bn_app_request *req,
    const struct up_route **out, unsigned *allow)
{
	struct seg segs[BN_APP_SEGMENTS_MAX];
	const struct up_route *hit = NULL, *get = NULL, *r;
	size_t n, i;
	unsigned mask = 0;

	*out = NULL;
	*allow = 0;
	req->nparams = 0;
	if ((n = split_path(req, segs)) == SIZE_MAX)
		return UP_MATCH_NO_PATH;
	for (i = 0; i < rt->n; i++) {
		r = &rt->r[i];
		if (!route_matches(r, segs, n))
			continue;
		mask |= 1u << r->method;
		if (r->method == BN_APP_GET)
			mask |= 1u << BN_APP_HEAD;
		if (hit == NULL && r->method == req->method)
			hit = r;
		if (get == NULL && r->method == BN_APP_GET)
			get = r;
	}
	*allow = mask;
	if (hit == NULL && req->method == BN_APP_HEAD)
		hit = get;
	if (hit == NULL)
		return mask ? UP_MATCH_NO_METHOD : UP_MATCH_NO_PATH;
	for (i = 0; i < n; i++) {
		if (!(hit->is_param & (1u << i)))
			continue;
		req->params[req->nparams].name = hit->seg[i];
		req->params[req->nparams].value = segs[i].s;
		req->params[req->nparams].value_len = segs[i].len;
		req->nparams++;
	}
	*out = hit;
	return UP_MATCH_OK;
}

void
up_router_allow_text(unsigned allow, char *out, size_t outlen)
{
	size_t i, o = 0, l;

	if (outlen == 0)
		return;
	out[0] = '\0';
	for (i = 0; i < BN_APP_METHODS; i++) {
		if (!(allow & (1u << i)))
			continue;
		l = strlen(method_names[i]);
		if (outlen - o < l + 3)
			break;
		if (o > 0) {
			memcpy(out + o, ", ", 2);
			o += 2;
		}
		memcpy(out + o, method_names[i], l + 1);
		o += l;
	}
}
