/*
 * bad-ABI plugin: built for a future ABI; the loader must refuse it
 * before calling bn_plugin_register.
 */
#include "app.h"

int bn_plugin_abi = BN_APP_ABI_VERSION + 1000;
int bn_plugin_register(struct bn_app *app);

static int
never(struct bn_app *app, const struct bn_app_request *req,
    struct bn_app_response *resp, void *arg)
{
	return bn_app_text(resp, 200, "must not be reachable");
}

int
bn_plugin_register(struct bn_app *app)
{
	return bn_app_route(app, BN_APP_GET, "/badabi", never, NULL);
}
