/*
 * up_plugin: load upstreamd plugins, shared objects built against app.h.
 *
 * A plugin exports `int bn_plugin_abi` (must equal BN_APP_ABI_VERSION)
 * and `int bn_plugin_register(struct bn_app *)`.  This module only opens
 * the object (dlopen RTLD_NOW | RTLD_LOCAL, so every undefined symbol --
 * the bn_app_* API from the host executable -- must resolve at once),
 * checks the ABI and hands back the register function; app.c calls it
 * and undoes a failed registration.  Errors are one line in the caller's
 * buffer: "plugin <path>: <reason>" with dlerror() text where there is
 * some.  Nothing is logged here.
 *
 * The set owns the dlopen handles and closes them, newest first, in
 * up_plugin_set_free(); the app must have dropped every route and hook
 * pointing into a plugin before that.  A path must contain a '/' so
 * dlopen never searches the library path.  A plugin file, and a plugin
 * directory, must be owned by root or the daemon's effective uid and
 * must not be group- or world-writable (else "plugin <path>: refused:
 * ..."), since whoever may change one runs code as the daemon.
 */
#ifndef BN_UP_PLUGIN_H
#define BN_UP_PLUGIN_H

#include <stddef.h>

#include "app.h"

#define UP_PLUGINS_MAX		64
#define UP_PLUGIN_DIR_MAX	256	/* *.so files considered per dir */

struct up_plugin_set;

struct up_plugin_set *up_plugin_set_new(void);
void	up_plugin_set_free(struct up_plugin_set *ps);
/*
 * Open path and check it; on success the handle joins the set and *reg
 * is its bn_plugin_register.  BN_ERR_NOT_FOUND (dlopen failed),
 * BN_ERR_INVALID_ARG (symbol missing, ABI mismatch, no '/', writable by
 * others or owned by someone else),
 * BN_ERR_LIMIT (set full).
 */
int	up_plugin_open(struct up_plugin_set *ps, const char *path,
	    int (**reg)(struct bn_app *), char *err, size_t errlen);
/* Close the newest handle (its registration failed). */
void	up_plugin_close_last(struct up_plugin_set *ps);
size_t	up_plugin_count(const struct up_plugin_set *ps);
/*
 * The "dir/name.so" paths of every regular *.so file in dir, sorted by
 * name with strcmp; free each and the array with up_plugin_paths_free().
 * BN_ERR_INVALID_ARG when dir itself fails the ownership/mode rule.
 */
int	up_plugin_list_dir(const char *dir, char ***paths, size_t *n,
	    char *err, size_t errlen);
void	up_plugin_paths_free(char **paths, size_t n);

#endif /* BN_UP_PLUGIN_H */
