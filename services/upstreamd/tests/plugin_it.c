/*
 * Integration-test plugin: GET /tpl/{name} renders page.html from the
 * template roots with name (escaped) and raw (|safe) set to the query
 * string; GET /big/{n} answers n bytes of a repeating pattern (for the
 * large-download tests).  Built for tests/integration only.
 */
#include <stdlib.h>
#include <string.h>

#include "app.h"

int bn_plugin_abi = BN_APP_ABI_VERSION;
int bn_plugin_register(struct bn_app *app);

static int
tpl(struct bn_app *app, const struct bn_app_request *req,
    struct bn_app_response *resp, void *arg)
{
	struct bn_app_var v[2];
	char *out = NULL;
	size_t len = 0;
	int r;

	v[0].name = "name";
	v[0].value = bn_app_request_param(req, "name");
	v[1].name = "raw";
	v[1].value = req->query;
	if ((r = bn_app_render_template(app, "page.html", v, 2, &out,
	    &len)) != BN_APP_OK)
		return r;
	r = bn_app_html(resp, 200, out, len);
	free(out);
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

	if (len > (64ul << 20))
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

int
bn_plugin_register(struct bn_app *app)
{
	int r;

	if ((r = bn_app_route(app, BN_APP_GET, "/tpl/{name}", tpl, NULL)) !=
	    BN_APP_OK)
		return r;
	return bn_app_route(app, BN_APP_GET, "/big/{n}", big, NULL);
}
