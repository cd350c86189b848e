/*
 * config: the YAML configuration file, read once into typed structs.
 *
 * One file holds one section per daemon plus `common` (ARCHITECTURE.md,
 * Configuration).  A daemon describes each section it reads with a
 * static const table of struct bn_config_field, in the manner of
 * Postfix's CONFIG_*_TABLEs: key, type, where the value goes in the
 * daemon's struct, default, bounds.  bn_config_load() parses the file
 * with libyaml, applies defaults, the file, then environment overrides,
 * and type-checks only the sections the caller registered; other
 * top-level sections (other daemons') must merely be mappings.  Flags go
 * through bn_config_set(), i.e. the same parser and the same checks.
 * Modules get a const pointer to their filled struct and never see YAML.
 *
 * Every error is one line naming the place and the rule:
 *   betanet.yaml:12:5: htx_gw.max_header_bytes: must be 1024..65536
 * (1-based line and column), and the call returns BN_ERR_CONFIG.  A
 * daemon prints it and exits 2.
 *
 * Types and what the target member must be (the BN_CFG_F_* macros check
 * the member's type at compile time):
 *   BN_CFG_STR         char *           malloc'd; min/max bound the length
 *   BN_CFG_INT         int64_t          decimal; min..max
 *   BN_CFG_BOOL        int              true | false
 *   BN_CFG_DURATION_MS uint64_t         "250ms", "5s", "2m", "1h", "1m30s",
 *                                       "0"; min..max in ms
 *   BN_CFG_SIZE        uint64_t         "65536", "512B", "64KiB", "1MiB",
 *                                       "1GiB"; min..max in bytes
 *   BN_CFG_ENUM        int              index into allowed[] (exact match)
 *   BN_CFG_ADDR        struct bn_config_addr   "host:port", "[::1]:8080"
 *   BN_CFG_STR_LIST    struct bn_config_strlist   YAML list of scalars, or
 *                                       "a,b,c" through bn_config_set();
 *                                       max bounds the item count
 *   BN_CFG_TABLE_LIST  struct bn_config_list   YAML list of mappings,
 *                                       each filled through sub[] into an
 *                                       element of sub_size bytes
 * min == max == 0 means unbounded (for lists: at most
 * BN_CONFIG_MAX_ITEMS).  A YAML null (`key:` or `~`) is an empty list for
 * the list types and an error for the others.
 *
 * Hostile input: the file is at most BN_CONFIG_MAX_BYTES, nesting at
 * most BN_CONFIG_MAX_DEPTH, anchors, aliases, tags and multiple
 * documents are refused (no billion laughs), numbers are checked for
 * overflow, and duplicate keys are errors in every mapping.
 *
 * Ownership: targets must start zeroed.  Strings and lists in them are
 * malloc'd and released by bn_config_free(), which must be called on
 * every registered target after bn_config_load(), whether it succeeded
 * or not (a failed load may have filled some fields).
 */
#ifndef BETANET_CONFIG_H
#define BETANET_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define BN_CONFIG_MAX_BYTES	((size_t)1 << 20)
#define BN_CONFIG_MAX_DEPTH	16
#define BN_CONFIG_MAX_NODES	65536
#define BN_CONFIG_MAX_ITEMS	4096	/* default bound of a list */
#define BN_CONFIG_ERR_MAX	512	/* good size for errbuf */
#define BN_CONFIG_HOST_MAX	255

enum bn_cfg_type {
	BN_CFG_END = 0,			/* terminates a field table */
	BN_CFG_STR,
	BN_CFG_INT,
	BN_CFG_BOOL,
	BN_CFG_DURATION_MS,
	BN_CFG_SIZE,
	BN_CFG_ENUM,
	BN_CFG_ADDR,
	BN_CFG_STR_LIST,
	BN_CFG_TABLE_LIST,
};

#define BN_CFG_REQUIRED		0x1	/* must be given */

struct bn_config_addr {
	char		host[BN_CONFIG_HOST_MAX + 1]; /* no [] */
	uint16_t	port;
	int		is_set;
};

struct bn_config_strlist {
	char		**v;
	size_t		  n;
};

struct bn_config_list {
	void		*v;		/* n elements of sub_size */
	size_t		 n;
};

struct bn_config_field {
	const char			*key;
	enum bn_cfg_type		 type;
	size_t				 offset;	/* in target */
	const char			*def;		/* NULL: none */
	int64_t				 min;
	int64_t				 max;
	const char *const		*allowed;	/* ENUM, NULL-ended */
	const struct bn_config_field	*sub;	/* TABLE_LIST */
	size_t				 sub_size;	/* TABLE_LIST */
	const char			*env;		/* env var */
	unsigned			 flags;		/* BN_CFG_* */
};

struct bn_config_section {
	const char			*name;
	const struct bn_config_field	*fields; /* BN_CFG_F_END-ended */
	void				*target;
};

/*
 * offsetof(st, m), plus a compile-time check that member m has type
 * ctype (comparing distinct pointer types is a diagnostic).
 */
#define BN_CFG_OFF(st, m, ctype)					\
	(offsetof(st, m) + 0 * sizeof(&((st *)0)->m == (ctype *)0))

#define BN_CFG_F_STR(k, st, m, d, lo, hi)				\
	{ .key = (k), .type = BN_CFG_STR,				\
	  .offset = BN_CFG_OFF(st, m, char *), .def = (d),		\
	  .min = (lo), .max = (hi) }
#define BN_CFG_F_INT(k, st, m, d, lo, hi)				\
	{ .key = (k), .type = BN_CFG_INT,				\
	  .offset = BN_CFG_OFF(st, m, int64_t), .def = (d),		\
	  .min = (lo), .max = (hi) }
#define BN_CFG_F_BOOL(k, st, m, d)					\
	{ .key = (k), .type = BN_CFG_BOOL,				\
	  .offset = BN_CFG_OFF(st, m, int), .def = (d) }
#define BN_CFG_F_DURATION(k, st, m, d, lo, hi)				\
	{ .key = (k), .type = BN_CFG_DURATION_MS,			\
	  .offset = BN_CFG_OFF(st, m, uint64_t), .def = (d),		\
	  .min = (lo), .max = (hi) }
#define BN_CFG_F_SIZE(k, st, m, d, lo, hi)				\
	{ .key = (k), .type = BN_CFG_SIZE,				\
	  .offset = BN_CFG_OFF(st, m, uint64_t), .def = (d),		\
	  .min = (lo), .max = (hi) }
#define BN_CFG_F_ENUM(k, st, m, d, allow)				\
	{ .key = (k), .type = BN_CFG_ENUM,				\
	  .offset = BN_CFG_OFF(st, m, int), .def = (d),			\
	  .allowed = (allow) }
#define BN_CFG_F_ADDR(k, st, m, d)					\
	{ .key = (k), .type = BN_CFG_ADDR,				\
	  .offset = BN_CFG_OFF(st, m, struct bn_config_addr), .def = (d) }
#define BN_CFG_F_STR_LIST(k, st, m, maxn)				\
	{ .key = (k), .type = BN_CFG_STR_LIST,				\
	  .offset = BN_CFG_OFF(st, m, struct bn_config_strlist),	\
	  .max = (maxn) }
#define BN_CFG_F_TABLE_LIST(k, st, m, subfields, elemtype, maxn)	\
	{ .key = (k), .type = BN_CFG_TABLE_LIST,			\
	  .offset = BN_CFG_OFF(st, m, struct bn_config_list),		\
	  .sub = (subfields), .sub_size = sizeof(elemtype),		\
	  .max = (maxn) }
#define BN_CFG_F_END	{ .key = NULL, .type = BN_CFG_END }

/*
 * Load path (NULL: no file, defaults and environment only) into the
 * nsec registered sections.  BN_OK, BN_ERR_CONFIG (message in errbuf),
 * BN_ERR_ALLOC.
 */
int	bn_config_load(const char *path,
	    const struct bn_config_section *secs, size_t nsec, char *errbuf,
	    size_t errlen);
/* The same from memory; name is used in messages in place of a path. */
int	bn_config_load_mem(const char *name, const void *data, size_t len,
	    const struct bn_config_section *secs, size_t nsec, char *errbuf,
	    size_t errlen);

/*
 * Set one key of a section from text (a flag or an env value), with the
 * same parsing and checks as the file.  On error the target is unchanged
 * and errbuf says "section.key: must be ...".  TABLE_LIST keys cannot be
 * set this way.
 */
int	bn_config_set(const struct bn_config_section *sec, const char *key,
	    const char *value, char *errbuf, size_t errlen);

/* Release what a section's target holds and zero those members. */
void	bn_config_free(const struct bn_config_field *fields, void *target);

/* Parsers behind the types, for daemons with their own flags. */
int	bn_config_parse_duration_ms(const char *s, uint64_t *out);
int	bn_config_parse_size(const char *s, uint64_t *out);
int	bn_config_parse_addr(const char *s, struct bn_config_addr *out);

/*
 * The `common` section every daemon reads.  log_level indexes
 * bn_config_log_levels (same order as enum bn_log_level); profile
 * indexes bn_config_profiles (BETANET_PROFILE overrides the file).
 */
enum bn_profile {
	BN_PROFILE_MINIMAL = 0,
	BN_PROFILE_STANDARD = 1,
	BN_PROFILE_EXTENDED = 2,
};

struct bn_common_config {
	char		*run_dir;	/* Unix sockets: <daemon>.sock */
	char		*key_dir;	/* key files */
	char		*state_dir;	/* replay logs, stores */
	int		 log_level;
	int		 profile;
};

extern const char *const bn_config_log_levels[];
extern const char *const bn_config_profiles[];
extern const struct bn_config_field bn_config_common_fields[];

#endif /* BETANET_CONFIG_H */
