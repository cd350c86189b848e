/*
 * failing plugin: registers a route and a hook, then reports failure;
 * the loader must take both back and name this file.
 */
#include "app.h"

int bn_plugin_abi = BN_APP_ABI_VERSION;
int bn_plugin_register(struct bn_app *app);

static int
handler(struct bn_app *app, const struct bn_app_request *req,
    struct bn_app_response *resp, void *arg)
{
	return bn_app_text(resp, 200, "must not be reachable");
}

static int
hook(struct bn_app *app, const struct bn_app_request *req,
    struct bn_app_response *resp, void *arg)
{
	return bn_app_text(resp, 200, "hook must be gone") == 0 ?
	    BN_APP_DONE : -1;
}

int
bn_plugin_register(struct bn_app *app)
{
	(void)bn_app_route(app, BN_APP_GET, "/failing", handler, NULL);
	(void)bn_app_before(app, hook, NULL);
	return BN_APP_ERR_INVALID;
}
