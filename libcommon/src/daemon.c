/*
 * daemon: a daemon's command line and config file (daemon.h).
 *
 * argv is scanned twice with getopt_long: once before the file is read,
 * to find --config and to fail early on a bad command line (and to stop
 * on --help/--version), and once after, to apply the flags in their
 * order.  Scanning twice keeps no copy of the flags, so there is no
 * "too many flags" bound; the second scan meets no argv error, as argv
 * is the same (GNU getopt has permuted it already), only bad values.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "betanet/config.h"
#include "betanet/daemon.h"
#include "betanet/err.h"

#define SET_KEY_MAX	64		/* incl. the NUL */

/* getopt_long values past any char: table flag i is OPT_FLAG0 + i. */
enum { OPT_CONFIG = 256, OPT_SET, OPT_FLAG0 };

struct opts {
	struct option	v[BN_DAEMON_MAX_FLAGS + 5];
	size_t		n;		/* entries of spec->flags */
};

static int
opts_build(const struct bn_daemon_spec *spec, struct opts *o, char *errbuf,
    size_t errlen)
{
	static const struct option fixed[] = {
		{ "config",	required_argument,	NULL, OPT_CONFIG },
		{ "set",	required_argument,	NULL, OPT_SET },
		{ "help",	no_argument,		NULL, 'h' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL,		0,			NULL, 0 },
	};
	const struct bn_daemon_flag *fl;

	for (o->n = 0; spec->flags != NULL &&
	    spec->flags[o->n].name != NULL; o->n++) {
		fl = &spec->flags[o->n];
		if (o->n == BN_DAEMON_MAX_FLAGS ||
		    (fl->kind == BN_DAEMON_HOOK && spec->hook == NULL)) {
			snprintf(errbuf, errlen, "--%s: bad flag table",
			    fl->name);
			return BN_ERR_INTERNAL;
		}
		o->v[o->n].name = fl->name;
		o->v[o->n].has_arg = fl->kind == BN_DAEMON_BOOL ?
		    no_argument : required_argument;
		o->v[o->n].flag = NULL;
		o->v[o->n].val = OPT_FLAG0 + (int)o->n;
	}
	memcpy(&o->v[o->n], fixed, sizeof(fixed));
	return BN_OK;
}

/* Split --set KEY=VALUE: key into kb, *val after the '='. */
static int
set_split(const char *kv, char kb[SET_KEY_MAX], const char **val,
    char *errbuf, size_t errlen)
{
	const char *eq = strchr(kv, '=');

	if (eq == NULL || eq == kv || (size_t)(eq - kv) >= SET_KEY_MAX) {
		snprintf(errbuf, errlen, "--set %s: want KEY=VALUE", kv);
		return BN_ERR_CONFIG;
	}
	memcpy(kb, kv, (size_t)(eq - kv));
	kb[eq - kv] = '\0';
	*val = eq + 1;
	return BN_OK;
}

/* The first scan: --config, help, version, and every argv error. */
static int
scan_args(const struct bn_daemon_spec *spec, const struct opts *o,
    int argc, char **argv, const char **config, char *errbuf,
    size_t errlen)
{
	char kb[SET_KEY_MAX];
	const char *val;
	int ch;

	*config = NULL;
	opterr = 0;
	optind = 0;		/* GNU and musl: start afresh */
	while ((ch = getopt_long(argc, argv, ":hV", o->v, NULL)) != -1) {
		switch (ch) {
		case OPT_CONFIG:
			*config = optarg;
			break;
		case OPT_SET:
			if (set_split(optarg, kb, &val, errbuf, errlen) !=
			    BN_OK)
				return BN_ERR_CONFIG;
			break;
		case 'h':
			fputs(spec->usage, stdout);
			return BN_DAEMON_EXIT;
		case 'V':
			printf("%s %s\n", spec->name, BN_VERSION);
			return BN_DAEMON_EXIT;
		case ':':
			snprintf(errbuf, errlen, "option %s needs an argument",
			    argv[optind - 1]);
			return BN_ERR_CONFIG;
		case '?':
			snprintf(errbuf, errlen, "unknown option %s (see "
			    "%s --help)", argv[optind - 1], spec->name);
			return BN_ERR_CONFIG;
		default:	/* a table flag: applied after the file */
			break;
		}
	}
	if (optind != argc) {
		snprintf(errbuf, errlen, "unexpected argument %s",
		    argv[optind]);
		return BN_ERR_CONFIG;
	}
	return BN_OK;
}

/*
 * Append item to the STR_LIST key of sec; on first, drop what the file
 * gave first.  Items obey the file's rule for list items.
 */
static int
list_append(const struct bn_config_section *sec, const char *key,
    const char *item, int first, char *errbuf, size_t errlen)
{
	struct bn_config_field one[2] = { BN_CFG_F_END, BN_CFG_F_END };
	const struct bn_config_field *f;
	struct bn_config_strlist *l;
	size_t max, i;
	char **v, *d;

	for (f = sec->fields; f->type != BN_CFG_END; f++)
		if (strcmp(f->key, key) == 0)
			break;
	if (f->type != BN_CFG_STR_LIST) {
		snprintf(errbuf, errlen, "%s.%s: not a list", sec->name, key);
		return BN_ERR_INTERNAL;
	}
	if (first) {
		one[0] = *f;
		bn_config_free(one, sec->target);
	}
	for (i = 0; item[i] != '\0'; i++)
		if ((unsigned char)item[i] < 0x20 || item[i] == 0x7f)
			break;
	if (item[0] == '\0' || item[i] != '\0') {
		snprintf(errbuf, errlen, "%s.%s: must not be empty or "
		    "contain control characters", sec->name, key);
		return BN_ERR_CONFIG;
	}
	l = (struct bn_config_strlist *)((char *)sec->target + f->offset);
	max = f->max > 0 && f->max < BN_CONFIG_MAX_ITEMS ? (size_t)f->max :
	    BN_CONFIG_MAX_ITEMS;
	if (l->n >= max) {
		snprintf(errbuf, errlen, "%s.%s: at most %zu items",
		    sec->name, key, max);
		return BN_ERR_CONFIG;
	}
	if ((d = strdup(item)) == NULL ||
	    (v = reallocarray(l->v, l->n + 1, sizeof(*v))) == NULL) {
		free(d);
		return BN_ERR_ALLOC;
	}
	v[l->n++] = d;
	l->v = v;
	return BN_OK;
}

static int
apply_flag(const struct bn_daemon_spec *spec,
    const struct bn_config_section *sec, const struct bn_daemon_flag *fl,
    const char *val, int first, char *errbuf, size_t errlen)
{
	switch (fl->kind) {
	case BN_DAEMON_ARG:
		return bn_config_set(sec, fl->key, val, errbuf, errlen);
	case BN_DAEMON_BOOL:
		return bn_config_set(sec, fl->key, "true", errbuf, errlen);
	case BN_DAEMON_LIST:
		return list_append(sec, fl->key, val, first, errbuf, errlen);
	case BN_DAEMON_HOOK:
		return spec->hook(sec->target, fl, val, first, errbuf,
		    errlen);
	}
	return BN_ERR_INTERNAL;
}

/* The second scan: every flag over the loaded file, in argv order. */
static int
apply_args(const struct bn_daemon_spec *spec, const struct opts *o,
    const struct bn_config_section *sec, int argc, char **argv,
    char *errbuf, size_t errlen)
{
	unsigned char seen[BN_DAEMON_MAX_FLAGS];
	char kb[SET_KEY_MAX];
	const char *val;
	size_t i;
	int ch, r = BN_OK;

	memset(seen, 0, sizeof(seen));
	opterr = 0;
	optind = 0;
	while (r == BN_OK &&
	    (ch = getopt_long(argc, argv, ":hV", o->v, NULL)) != -1) {
		if (ch == OPT_SET) {
			if ((r = set_split(optarg, kb, &val, errbuf,
			    errlen)) == BN_OK)
				r = bn_config_set(sec, kb, val, errbuf,
				    errlen);
		} else if (ch >= OPT_FLAG0 && (size_t)(ch - OPT_FLAG0) <
		    o->n) {
			i = (size_t)(ch - OPT_FLAG0);
			r = apply_flag(spec, sec, &spec->flags[i], optarg,
			    !seen[i], errbuf, errlen);
			seen[i] = 1;
		}
	}
	return r;
}

int
bn_daemon_configure(const struct bn_daemon_spec *spec, void *target,
    struct bn_common_config *common, int argc, char **argv, char *errbuf,
    size_t errlen)
{
	struct bn_config_section secs[2];
	struct opts o;
	const char *config;
	int r;

	if (errlen > 0)
		errbuf[0] = '\0';
	secs[0] = (struct bn_config_section){ "common",
	    bn_config_common_fields, common };
	secs[1] = (struct bn_config_section){ spec->section, spec->fields,
	    target };
	if ((r = opts_build(spec, &o, errbuf, errlen)) == BN_OK &&
	    (r = scan_args(spec, &o, argc, argv, &config, errbuf,
	    errlen)) == BN_OK &&
	    (r = bn_config_load(config, secs, 2, errbuf, errlen)) == BN_OK)
		r = apply_args(spec, &o, &secs[1], argc, argv, errbuf, errlen);
	if (r < 0 && errlen > 0 && errbuf[0] == '\0')
		snprintf(errbuf, errlen, "%s", bn_strerror(r));
	return r;
}

int
bn_daemon_path(char *dst, size_t dstlen, const char *given, const char *dir,
    const char *leaf, const char *what, char *errbuf, size_t errlen)
{
	int n;

	if (given != NULL && given[0] != '\0')
		n = snprintf(dst, dstlen, "%s", given);
	else
		n = snprintf(dst, dstlen, "%s/%s", dir, leaf);
	if (n <= 0 || (size_t)n >= dstlen) {
		snprintf(errbuf, errlen, "%s: path must be 1..%zu bytes", what,
		    dstlen > 0 ? dstlen - 1 : 0);
		return BN_ERR_CONFIG;
	}
	return BN_OK;
}

int
bn_daemon_exit_status(const char *name, int r, const char *errbuf)
{
	if (r == BN_OK)
		return -1;
	if (r > 0)
		return 0;
	fprintf(stderr, "%s: %s\n", name, errbuf != NULL &&
	    errbuf[0] != '\0' ? errbuf : bn_strerror(r));
	return 2;
}
