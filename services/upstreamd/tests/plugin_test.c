/*
 * test plugin: GET /plugin/hello/{who} and a before hook that marks every
 * response with x-test-plugin: 1.  Built only for test_up_plugin.
 */
#include "app.h"

int bn_plugin_abi = BN_APP_ABI_VERSION;
int bn_plugin_register(struct bn_app *app);

static int
mark(struct bn_app *app, const struct bn_app_request *req,
    struct bn_app_response *resp, void *arg)
{
	int r;

	if ((r = bn_app_response_set_header(resp, "x-test-plugin", "1")) != 0)
		return r;
	return BN_APP_CONTINUE;
}

static int
hello(struct bn_app *app, const struct bn_app_request *req,
    struct bn_app_response *resp, void *arg)
{
	const char *who = bn_app_request_param(req, "who");

	return bn_app_json(resp, 200, who != NULL && who[0] == 'x' ?
	    "{\"plugin\":\"x\"}" : "{\"plugin\":true}");
}

int
bn_plugin_register(struct bn_app *app)
{
	int r;

	if ((r = bn_app_before(app, mark, NULL)) != 0)
		return r;
	return bn_app_route(app, BN_APP_GET, "/plugin/hello/{who}", hello,
	    NULL);
}
