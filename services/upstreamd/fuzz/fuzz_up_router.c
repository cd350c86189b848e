/*
 * Fuzz the request path handling: bn_app_request_init, route matching
 * with params (through bn_app_handle and the built-in routes),
 * percent-decoding and static path sanitizing, on arbitrary bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "betanet/err.h"
#include "app.h"
#include "up_router.h"
#include "up_static.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
h(struct bn_app *app, const struct bn_app_request *req,
    struct bn_app_response *resp, void *arg)
{
	size_t i;

	/* Params must be NUL-free and within the request's store. */
	for (i = 0; i < req->nparams; i++)
		if (strlen(req->params[i].value) != req->params[i].value_len)
			abort();
	return bn_app_text(resp, 200, "x");
}

/* Relative, no empty, "." or ".." segment, no backslash or control. */
static int
clean_path(const char *p)
{
	size_t seg;

	if (*p == '\0' || strchr(p, '\\') != NULL)
		return 0;
	for (;; p += seg + 1) {
		seg = strcspn(p, "/");
		if (seg == 0 || (seg == 1 && p[0] == '.') ||
		    (seg == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (p[seg] == '\0')
			return 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *methods[] = { "GET", "HEAD", "POST", "BREW" };
	struct bn_app_request *req;
	struct bn_app_response resp;
	struct bn_app *app;
	char out[BN_APP_PATH_MAX + 1];
	size_t n;
	int r;

	if (size < 1)
		return 0;
	r = up_pct_decode((const char *)data, size, out, sizeof(out), &n);
	if (r == BN_OK && n > size)
		abort();
	r = up_static_sanitize((const char *)data, size, out, sizeof(out), &n);
	if (r == BN_OK) {
		/* No escape may survive sanitizing. */
		if (strlen(out) != n || !clean_path(out))
			abort();
	}

	if ((req = malloc(sizeof(*req))) == NULL ||
	    (app = bn_app_new()) == NULL) {
		free(req);
		return 0;
	}
	bn_app_add_builtin_routes(app, 1);
	bn_app_route(app, BN_APP_GET, "/a/{x}/b/{y}", h, NULL);
	bn_app_route(app, BN_APP_PUT, "/a/{x}/b/{y}", h, NULL);
	bn_app_route(app, BN_APP_GET, "/{p}", h, NULL);
	if (bn_app_request_init(req, methods[data[0] & 3],
	    (const char *)data + 1, size - 1, NULL, 0, NULL, 0) == BN_OK) {
		bn_app_handle(app, req, &resp);
		if (resp.status < 200 || resp.status > 599)
			abort();
		bn_app_response_reset(&resp);
	}
	bn_app_free(app);
	free(req);
	return 0;
}
