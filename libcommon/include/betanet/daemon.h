/*
 * daemon: the start-up every Betanet daemon shares -- its command line
 * and the configuration file it names.
 *
 * For: turning argv into a filled config.  A daemon describes itself
 * once in a static const struct bn_daemon_spec: its name, usage text,
 * its config section (name and field table, as for config.h) and a
 * table of flags, each naming the section key it sets.  bn_daemon_configure()
 * then does what every daemon did by hand:
 *
 *   1. scan argv (getopt_long; unambiguous prefixes are accepted):
 *      --help prints the usage, --version "<name> <BN_VERSION>", and
 *      unknown options, missing arguments, stray arguments and a --set
 *      that is not KEY=VALUE are one-line errors naming the flag;
 *   2. bn_config_load() the file given by --config (none: defaults and
 *      environment only) into `common` and the daemon's section;
 *   3. apply the flags over it in command-line order, so the last one
 *      wins: plain flags and --set KEY=VALUE through bn_config_set()
 *      (the same parser and checks as the file), list flags appending
 *      to a string list (the first use replaces the file's list), hook
 *      flags through the daemon's hook.
 *
 * The daemon then checks what the tables cannot (keys, cross-key rules)
 * itself; bn_daemon_path() derives its default paths.  Not for:
 * anything at run time; no logging, no event loop, no signals.  SIGHUP
 * reloads call bn_daemon_configure() again with the same argv and a
 * fresh target.
 *
 * Errors: one line in errbuf, with the loader's "file:line:col:
 * section.key: ..." or the flag's name; the daemon prints
 * "<name>: <errbuf>" on stderr and exits 2.
 *
 * Ownership: the spec, its tables and argv stay the caller's; argv must
 * outlive the call only (GNU getopt may reorder its pointers, as it
 * always did).  What lands in the targets is released with
 * bn_config_free() as config.h says, whatever the call returned.
 * getopt's globals are process state: call this from one thread.
 */
#ifndef BETANET_DAEMON_H
#define BETANET_DAEMON_H

#include <stddef.h>

#include "betanet/config.h"

#define BN_DAEMON_MAX_FLAGS	48	/* entries of one flag table */
#define BN_DAEMON_EXIT		1	/* help or version printed: exit 0 */

enum bn_daemon_flag_kind {
	BN_DAEMON_ARG = 1,	/* --name VALUE: bn_config_set(key, VALUE) */
	BN_DAEMON_BOOL,		/* --name: bn_config_set(key, "true") */
	BN_DAEMON_LIST,		/* --name ITEM, repeatable: append to the
				 * BN_CFG_STR_LIST key (no comma split) */
	BN_DAEMON_HOOK,		/* --name VALUE: spec->hook() */
};

struct bn_daemon_flag {
	const char			*name;	/* long option, no "--" */
	const char			*key;	/* section key; HOOK: a tag */
	enum bn_daemon_flag_kind	 kind;
};

/* A daemon's start-up, as a static const table. */
struct bn_daemon_spec {
	const char			*name;		/* "htx-gw" */
	const char			*usage;		/* --help text */
	const char			*section;	/* "htx_gw" */
	const struct bn_config_field	*fields;	/* of the section */
	const struct bn_daemon_flag	*flags;		/* name NULL ends */
	/*
	 * BN_DAEMON_HOOK flags, in command-line order after the file, with
	 * the section's target: first is nonzero on this flag's first use
	 * (replace what the file gave).  BN_OK or an error with one line
	 * in errbuf.
	 */
	int				(*hook)(void *target,
					    const struct bn_daemon_flag *flag,
					    const char *value, int first,
					    char *errbuf, size_t errlen);
};

/*
 * Steps 1-3 above, into common (section `common`) and target (section
 * spec->section, laid out as spec->fields); both must start zeroed.
 * BN_OK; BN_DAEMON_EXIT when --help or --version was printed on stdout
 * (exit 0); otherwise BN_ERR_CONFIG (or BN_ERR_ALLOC, BN_ERR_INTERNAL
 * for a broken flag table) with one line in errbuf (exit 2).
 */
int	bn_daemon_configure(const struct bn_daemon_spec *spec, void *target,
	    struct bn_common_config *common, int argc, char **argv,
	    char *errbuf, size_t errlen);

/*
 * A path a daemon derives: given when it is set (not NULL, not ""),
 * else dir/leaf (e.g. <common.run_dir>/ticketd.sock), into dst.  When
 * it does not fit (or is empty), BN_ERR_CONFIG with "<what>: path must
 * be 1..<dstlen - 1> bytes" in errbuf; what is "section.key".
 */
int	bn_daemon_path(char *dst, size_t dstlen, const char *given,
	    const char *dir, const char *leaf, const char *what, char *errbuf,
	    size_t errlen);

/*
 * The start-up outcome as an exit status: 0 after BN_DAEMON_EXIT, 2
 * after an error (printing "<name>: <errbuf>" on stderr), -1 after
 * BN_OK (carry on).
 */
int	bn_daemon_exit_status(const char *name, int r, const char *errbuf);

#endif /* BETANET_DAEMON_H */
