/*
 * Integration-test plugin for the htx-gw tests, loaded into upstreamd:
 *   any method /gw/echo     200 text: what the app received (method,
 *                           path, query, every header, body length and
 *                           SHA-256), so a test sees what the gateway
 *                           forwarded -- and that the ticket is gone;
 *   GET /gw/status/{code}   that status, with x-test and location set;
 *   GET /gw/big/{n}         n bytes of a fixed pattern (n <= 128 MiB);
 *   GET /gw/slow/{ms}       200 after ms (<= 3000) of blocking sleep, to
 *                           hold requests in flight.
 * Built for tests/integration only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "betanet/codec.h"
#include "betanet/crypto.h"

int bn_plugin_abi = BN_APP_ABI_VERSION;
int bn_plugin_register(struct bn_app *app);

static int
echo(struct bn_app *app, const struct bn_app_request *req,
    struct bn_app_response *resp, void *arg)
{
	uint8_t hash[BN_HASH_LEN];
	char hex[2 * BN_HASH_LEN + 1];
	char *out;
	size_t cap = 4096, len = 0, i;
	int r;

	for (i = 0; i < req->nheaders; i++)
		cap += strlen(req->headers[i].name) +
		    req->headers[i].value_len + 8;
	if ((out = malloc(cap)) == NULL)
		return BN_APP_ERR_ALLOC;
	bn_sha256(hash, req->body, req->body_len);
	bn_hex_encode(hex, hash, sizeof(hash));
	len += (size_t)snprintf(out + len, cap - len,
	    "method=%s\npath=%.*s\nquery=%s\n", req->method_text,
	    (int)req->path_len, req->path, req->query);
	for (i = 0; i < req->nheaders; i++)
		len += (size_t)snprintf(out + len, cap - len, "h=%s: %.*s\n",
		    req->headers[i].name, (int)req->headers[i].value_len,
		    (const char *)req->headers[i].value);
	len += (size_t)snprintf(out + len, cap - len, "len=%zu\nsha256=%s\n",
	    req->body_len, hex);
	if (len >= cap)
		len = cap - 1;
	r = bn_app_html(resp, 200, out, len);
	(void)bn_app_response_set_header(resp, "content-type", "text/plain");
	free(out);
	return r;
}

static int
status(struct bn_app *app, const struct bn_app_request *req,
    struct bn_app_response *resp, void *arg)
{
	const char *c = bn_app_request_param(req, "code");
	long code = c != NULL ? strtol(c, NULL, 10) : 0;
	char body[64];
	int r;

	if (code < 200 || code > 599)
		return bn_app_abort(resp, 400);
	snprintf(body, sizeof(body), "status %ld\n", code);
	r = bn_app_text(resp, (int)code, body);
	if (r == BN_APP_OK)
		r = bn_app_response_set_header(resp, "x-test", "yes");
	if (r == BN_APP_OK)
		r = bn_app_response_set_header(resp, "location", "/elsewhere");
	return r;
}

static int
big(struct bn_app *app, const struct bn_app_request *req,
    struct bn_app_response *resp, void *arg)
{
	const char *n = bn_app_request_param(req, "n");
	unsigned long len = n != NULL ? strtoul(n, NULL, 10) : 0;
	uint8_t *p;
	unsigned long i;
	int r;

	if (len > (128ul << 20))
		return bn_app_abort(resp, 400);
	if ((p = malloc(len ? len : 1)) == NULL)
		return BN_APP_ERR_ALLOC;
	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + (i >> 13));
	r = bn_app_response_set_body(resp, p, len);
	free(p);
	resp->status = 200;
	return r;
}

static int
slow(struct bn_app *app, const struct bn_app_request *req,
    struct bn_app_response *resp, void *arg)
{
	const char *n = bn_app_request_param(req, "ms");
	unsigned long ms = n != NULL ? strtoul(n, NULL, 10) : 0;

	if (ms > 3000)
		ms = 3000;
	usleep((useconds_t)ms * 1000);
	return bn_app_text(resp, 200, "slow ok\n");
}

int
bn_plugin_register(struct bn_app *app)
{
	static const enum bn_app_method m[] = { BN_APP_GET, BN_APP_HEAD,
	    BN_APP_POST, BN_APP_PUT, BN_APP_DELETE, BN_APP_PATCH,
	    BN_APP_OPTIONS };
	size_t i;
	int r;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if ((r = bn_app_route(app, m[i], "/gw/echo", echo, NULL)) !=
		    BN_APP_OK)
			return r;
	if ((r = bn_app_route(app, BN_APP_GET, "/gw/status/{code}", status,
	    NULL)) != BN_APP_OK ||
	    (r = bn_app_route(app, BN_APP_GET, "/gw/big/{n}", big, NULL)) !=
	    BN_APP_OK)
		return r;
	return bn_app_route(app, BN_APP_GET, "/gw/slow/{ms}", slow, NULL);
}
