/*
 * broken plugin: declares the ABI but lacks bn_plugin_register, so the
 * loader must refuse it and name this file.
 */
#include "app.h"

int bn_plugin_abi = BN_APP_ABI_VERSION;
int bn_plugin_registr(struct bn_app *app);

int
bn_plugin_registr(struct bn_app *app)
{
	return 0;
}
