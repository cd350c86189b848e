/*
 * app: the application framework upstreamd runs for every decoded request
 * (ARCHITECTURE.md data path step 4), and the stable ABI for plugins.
 *
 * What it is for: routes with {param} segments and blueprints, before and
 * after hooks, error handlers by status, static files under URL prefixes,
 * templates, response helpers, app-level counters shared by plugins, and
 * plugins loaded from shared objects.  The daemon builds one struct
 * bn_app at start-up, fills a struct bn_app_request from each decoded BAR
 * request (WIRE.md §8), calls bn_app_handle() and sends the response.
 *
 * What it is not: no sockets, no BAR/CBOR, no threads.  One struct bn_app
 * belongs to one event-loop thread; nothing here locks.
 *
 * Plugin ABI: this header is the only one a plugin includes.  It depends
 * on the C standard library only.  A plugin is a shared object exporting
 *
 *	int bn_plugin_abi = BN_APP_ABI_VERSION;
 *	int bn_plugin_register(struct bn_app *app);
 *
 * and is refused unless bn_plugin_abi equals the host's BN_APP_ABI_VERSION.
 * Any change to a struct below or to a function signature bumps the
 * version.  The host executable exports the bn_app_* symbols (-rdynamic).
 *
 * Ownership: the app owns everything registered into it; strings passed to
 * registration functions are copied, `arg` pointers are lent and must
 * outlive the app.  A request's header names/values and body are lent by
 * the caller for the duration of bn_app_handle(); the request's path,
 * query, method text and params are copies inside the request.  A
 * response owns its headers, its body and its file descriptor; release
 * them with bn_app_response_reset().
 *
 * Return values: 0 (BN_APP_OK) or a negative code.  The BN_APP_ERR_*
 * values are the same numbers as the matching enum bn_err codes in
 * libcommon's err.h, repeated here so plugins need no other header.
 */
#ifndef BN_UPSTREAMD_APP_H
#define BN_UPSTREAMD_APP_H

#include <stddef.h>
#include <stdint.h>

#define BN_APP_ABI_VERSION	1

#define BN_APP_OK		0
#define BN_APP_ERR_ALLOC	(-2)
#define BN_APP_ERR_INVALID	(-4)
#define BN_APP_ERR_LIMIT	(-6)
#define BN_APP_ERR_MALFORMED	(-23)
#define BN_APP_ERR_TOO_LARGE	(-24)
#define BN_APP_ERR_NOT_FOUND	(-123)

/* Bounds; every one is enforced, none is configurable at run time. */
#define BN_APP_PATH_MAX		4096	/* request path, bytes */
#define BN_APP_QUERY_MAX	4096	/* query string, bytes */
#define BN_APP_METHOD_MAX	16	/* method token, bytes */
#define BN_APP_PARAMS_MAX	8	/* {param} segments per route */
#define BN_APP_SEGMENTS_MAX	32	/* path segments per route/request */
#define BN_APP_RESP_HEADERS_MAX	64	/* headers on one response */
#define BN_APP_HEADER_MAX	8192	/* one response header value */
#define BN_APP_TEMPLATE_MAX	(1024 * 1024)		/* template text */
#define BN_APP_RENDER_MAX	(4 * 1024 * 1024)	/* rendered output */
#define BN_APP_COUNTERS_MAX	64
#define BN_APP_COUNTER_NAME_MAX	63

/* Before hooks return one of these (or a negative code: answered 500). */
#define BN_APP_CONTINUE		0	/* go on to the route */
#define BN_APP_DONE		1	/* resp is the answer; skip the route */

enum bn_app_method {
	BN_APP_GET = 0,
	BN_APP_HEAD,
	BN_APP_POST,
	BN_APP_PUT,
	BN_APP_DELETE,
	BN_APP_PATCH,
	BN_APP_OPTIONS,
	BN_APP_METHOD_OTHER,		/* a token we do not serve */
};
#define BN_APP_METHODS		7	/* the servable ones above */

struct bn_app;

/* A request header: name lower-case, value raw bytes (both lent). */
struct bn_app_header {
	const char	*name;
	const uint8_t	*value;
	size_t		 value_len;
};

/* A {param} of the matched route; value percent-decoded, NUL-terminated. */
struct bn_app_param {
	const char	*name;		/* points into the route */
	const char	*value;		/* points into the request */
	size_t		 value_len;
};

struct bn_app_request {
	enum bn_app_method method;
	char		 method_text[BN_APP_METHOD_MAX + 1];
	/* Raw (still percent-encoded) path; may hold a NUL, hence path_len. */
	char		 path[BN_APP_PATH_MAX + 1];
	size_t		 path_len;
	char		 query[BN_APP_QUERY_MAX + 1];	/* after '?', or "" */
	size_t		 query_len;
	const struct bn_app_header *headers;
	size_t		 nheaders;
	const uint8_t	*body;
	size_t		 body_len;
	const char	*peer;		/* free text for logs, may be NULL */

	/* Filled by bn_app_handle(). */
	uint64_t	 start_ms;	/* bn_app_now_ms() at dispatch */
	struct bn_app_param params[BN_APP_PARAMS_MAX];
	size_t		 nparams;
	char		 param_store[BN_APP_PATH_MAX + BN_APP_PARAMS_MAX];
};

/* A response header; both strings owned by the response. */
struct bn_app_rheader {
	char		*name;		/* lower-case */
	char		*value;
};

struct bn_app_response {
	int		 status;
	struct bn_app_rheader headers[BN_APP_RESP_HEADERS_MAX];
	size_t		 nheaders;
	uint8_t		*body;		/* owned, malloc'd; NULL when empty */
	size_t		 body_len;
	/*
	 * Static files answer with an open descriptor instead of a body:
	 * file_fd >= 0 means "send file_len bytes from file_fd" (owned).
	 */
	int		 file_fd;
	uint64_t	 file_len;
	int		 abort;		/* set by bn_app_abort() */
};

/*
 * Handlers.  A route handler fills resp and returns 0, or returns a
 * negative code (answered with 500 through the error handlers).  The
 * response given to every callback is already initialised.
 */
struct bn_app_route_def {
	enum bn_app_method method;
	const char	*pattern;	/* "/info", "/user/{id}/posts" */
	int		(*fn)(struct bn_app *app,
			    const struct bn_app_request *req,
			    struct bn_app_response *resp, void *arg);
	void		*arg;
};

/* --- the app ----------------------------------------------------------- */

struct bn_app *bn_app_new(void);
void	bn_app_free(struct bn_app *app);

/* Monotonic milliseconds; tests may replace the clock. */
uint64_t bn_app_now_ms(struct bn_app *app);
void	bn_app_set_clock(struct bn_app *app, uint64_t (*now)(void *arg),
	    void *arg);

int	bn_app_route(struct bn_app *app, enum bn_app_method method,
	    const char *pattern,
	    int (*fn)(struct bn_app *, const struct bn_app_request *,
	    struct bn_app_response *, void *), void *arg);
/* Mount n routes under prefix ("/api" + "/info" = "/api/info"). */
int	bn_app_blueprint(struct bn_app *app, const char *prefix,
	    const struct bn_app_route_def *defs, size_t n);
/* Before hooks: BN_APP_CONTINUE, BN_APP_DONE or a negative code. */
int	bn_app_before(struct bn_app *app,
	    int (*fn)(struct bn_app *, const struct bn_app_request *,
	    struct bn_app_response *, void *), void *arg);
/* After hooks see (and may change) every final response; <0 gives 500. */
int	bn_app_after(struct bn_app *app,
	    int (*fn)(struct bn_app *, const struct bn_app_request *,
	    struct bn_app_response *, void *), void *arg);
/*
 * Error handler for one status (0: any status without its own handler).
 * Runs for errors the framework raises: 400, 403, 404, 405, 414, 500, and
 * any status a handler passes to bn_app_abort().  resp holds the default
 * error answer; the handler may replace it.  For 405 the Allow header is
 * set again after the handler.
 */
int	bn_app_error_handler(struct bn_app *app, int status,
	    int (*fn)(struct bn_app *, const struct bn_app_request *,
	    struct bn_app_response *, int status, void *), void *arg);
/*
 * Serve the files below dir at prefix ("/static").  cache_control NULL
 * means "public, max-age=60".
 */
int	bn_app_add_static(struct bn_app *app, const char *prefix,
	    const char *dir, const char *cache_control);
int	bn_app_add_template_root(struct bn_app *app, const char *dir);
/* GET /hello/{name}, GET /healthz, and POST /echo when enable_echo. */
int	bn_app_add_builtin_routes(struct bn_app *app, int enable_echo);

/*
 * Plugins.  On failure err (when errlen > 0) holds one line naming the
 * file and the reason (dlerror() text where there is one), and whatever
 * the plugin had registered is removed again.
 */
int	bn_app_load_plugin(struct bn_app *app, const char *path, char *err,
	    size_t errlen);
/* Every *.so in dir, in strcmp order; stops at the first failure. */
int	bn_app_load_plugin_dir(struct bn_app *app, const char *dir, char *err,
	    size_t errlen);

/* Run one request.  Always leaves a complete response; 0 unless misuse. */
int	bn_app_handle(struct bn_app *app, struct bn_app_request *req,
	    struct bn_app_response *resp);

/* --- requests ---------------------------------------------------------- */

/*
 * Fill req from a decoded request: method token ("DEL" reads as DELETE),
 * target "/path?query" (visible ASCII only: no space, control or 8-bit
 * byte), lent headers (names must be lower-case tokens) and body.
 * BN_APP_ERR_MALFORMED (answer 400) or BN_APP_ERR_TOO_LARGE (answer 414)
 * on bad input.
 */
int	bn_app_request_init(struct bn_app_request *req, const char *method,
	    const char *target, size_t target_len,
	    const struct bn_app_header *headers, size_t nheaders,
	    const uint8_t *body, size_t body_len);
/* First header of that (lower-case) name, or NULL. */
const struct bn_app_header *bn_app_request_header(
	    const struct bn_app_request *req, const char *name);
/* Value of {name}, or NULL. */
const char *bn_app_request_param(const struct bn_app_request *req,
	    const char *name);
const char *bn_app_method_name(enum bn_app_method m);

/* --- responses --------------------------------------------------------- */

void	bn_app_response_init(struct bn_app_response *resp);
/* Free headers, body and descriptor; leaves an initialised response. */
void	bn_app_response_reset(struct bn_app_response *resp);
/* Replace (set) or append (add) a header; no CR, LF or NUL allowed. */
int	bn_app_response_set_header(struct bn_app_response *resp,
	    const char *name, const char *value);
int	bn_app_response_add_header(struct bn_app_response *resp,
	    const char *name, const char *value);
const char *bn_app_response_header(const struct bn_app_response *resp,
	    const char *name);
int	bn_app_response_set_body(struct bn_app_response *resp,
	    const void *p, size_t len);
/* Read a file body into resp->body (at most max bytes) and close it. */
int	bn_app_response_load_file(struct bn_app_response *resp, size_t max);

/*
 * Helpers: set status, content-type and body (dropping any earlier body
 * or file) and keep the other headers already set, e.g. by a before
 * hook.  status 0 means 200 (302 for a redirect).  Error answers raised
 * by the framework start from an empty response instead.
 */
int	bn_app_text(struct bn_app_response *resp, int status, const char *s);
int	bn_app_html(struct bn_app_response *resp, int status, const void *p,
	    size_t len);
/* json is already-rendered JSON text; see bn_app_json_str() to build it. */
int	bn_app_json(struct bn_app_response *resp, int status,
	    const char *json);
int	bn_app_redirect(struct bn_app_response *resp, const char *url,
	    int status);
/* text/plain error; msg NULL or "" uses the reason phrase. */
int	bn_app_error(struct bn_app_response *resp, int status,
	    const char *msg);
/* From a handler: "answer with status through the error handlers". */
int	bn_app_abort(struct bn_app_response *resp, int status);
const char *bn_app_reason(int status);
/*
 * Append s (len bytes) as a quoted JSON string to a NUL-terminated
 * malloc'd string *dst of *dstlen bytes (growing it); for small builders.
 */
int	bn_app_json_str(char **dst, size_t *dstlen, const char *s,
	    size_t len);

/* --- templates --------------------------------------------------------- */

struct bn_app_var {
	const char	*name;
	const char	*value;
};

/*
 * Render a template by name (searched in the roots in order) or from a
 * string.  *out is malloc'd and NUL-terminated; free() it.
 * BN_APP_ERR_NOT_FOUND when no root has the name.
 */
int	bn_app_render_template(struct bn_app *app, const char *name,
	    const struct bn_app_var *vars, size_t nvars, char **out,
	    size_t *outlen);
int	bn_app_render_string(const char *text, size_t len,
	    const struct bn_app_var *vars, size_t nvars, char **out,
	    size_t *outlen);

/* --- counters shared between plugins ----------------------------------- */

/* Create on first use; BN_APP_ERR_LIMIT past BN_APP_COUNTERS_MAX. */
int	bn_app_counter_add(struct bn_app *app, const char *name,
	    uint64_t delta);
int	bn_app_counter_set(struct bn_app *app, const char *name, uint64_t v);
/* 0 and *v = value, or BN_APP_ERR_NOT_FOUND and *v = 0. */
int	bn_app_counter_get(const struct bn_app *app, const char *name,
	    uint64_t *v);

#endif /* BN_UPSTREAMD_APP_H */
