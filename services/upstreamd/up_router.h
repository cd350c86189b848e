/*
 * up_router: upstreamd's route table, and the percent-decoding it needs.
 *
 * A route is a method and a pattern of '/'-separated segments, each a
 * literal or a {name} parameter ("/user/{id}/posts").  A request path is
 * split the same way; each segment is percent-decoded once and compared
 * with literals as bytes, or captured for a parameter.  Routes are tried
 * in registration order (linear: tables are small, tens of routes); the
 * first one whose path and method match wins.  HEAD falls back to GET
 * routes.  When some route has the path but none the method, the caller
 * gets the set of methods that do, for a 405 and its Allow header.
 *
 * Not here: dispatch, hooks, static files (app.c, up_static.c).
 * The router owns copies of its patterns; handler args are lent.
 * Nothing recurses; bounds are BN_APP_PATH_MAX, BN_APP_SEGMENTS_MAX and
 * BN_APP_PARAMS_MAX from app.h, plus UP_ROUTER_ROUTES_MAX routes.
 */
#ifndef BN_UP_ROUTER_H
#define BN_UP_ROUTER_H

#include <stddef.h>

#include "app.h"

#define UP_ROUTER_ROUTES_MAX	1024

enum up_match {
	UP_MATCH_OK = 0,
	UP_MATCH_NO_PATH,	/* 404 (400 for an unknown method) */
	UP_MATCH_NO_METHOD,	/* 405; *allow has the methods that match */
};

struct up_route {
	enum bn_app_method method;
	char		*pattern;	/* whole pattern, split by NULs */
	size_t		 nseg;
	const char	*seg[BN_APP_SEGMENTS_MAX];
	unsigned	 is_param;	/* bit i: seg[i] is "{name}" -> name */
	int		(*fn)(struct bn_app *, const struct bn_app_request *,
			    struct bn_app_response *, void *);
	void		*arg;
};

struct up_router;

struct up_router *up_router_new(void);
void	up_router_free(struct up_router *rt);
/*
 * Add a route; prefix may be NULL or "" (blueprints pass "/api").
 * BN_ERR_INVALID_ARG for a bad pattern (empty segment, bad {name}, '%',
 * '?', '#', more than BN_APP_PARAMS_MAX params), BN_ERR_LIMIT when full.
 */
int	up_router_add(struct up_router *rt, enum bn_app_method method,
	    const char *prefix, const char *pattern,
	    int (*fn)(struct bn_app *, const struct bn_app_request *,
	    struct bn_app_response *, void *), void *arg);
/* Number of routes, and dropping routes added after a count (rollback). */
size_t	up_router_count(const struct up_router *rt);
void	up_router_truncate(struct up_router *rt, size_t n);
/*
 * Match req->path for req->method.  On UP_MATCH_OK *out is the route and
 * req->params/nparams are filled.  *allow gets a bit (1u << method) per
 * method that serves the path (HEAD included wherever GET is).
 */
enum up_match up_router_match(const struct up_router *rt,
	    struct bn_app_request *req, const struct up_route **out,
	    unsigned *allow);
/* "GET, HEAD, POST" for a mask of (1u << method) bits. */
void	up_router_allow_text(unsigned allow, char *out, size_t outlen);

/*
 * Percent-decode in[0..len) into out (cap bytes, NUL added, so cap must
 * exceed the result).  '+' stays '+'.  BN_ERR_ENCODING for a '%' not
 * followed by two hex digits, BN_ERR_NO_SPACE when it does not fit.
 */
int	up_pct_decode(const char *in, size_t len, char *out, size_t cap,
	    size_t *outlen);

#endif /* BN_UP_ROUTER_H */
