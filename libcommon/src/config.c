/*
 * config: libyaml loader into typed structs (see config.h).
 *
 * Two passes.  The first turns libyaml's event stream into a small tree
 * of scalars, sequences and mappings with their marks, refusing what a
 * configuration file never needs and an attacker likes (anchors,
 * aliases, tags, second documents, deep nesting, too many nodes) and
 * duplicate keys.  Working from events, not yaml_document_t, means an
 * alias is refused before anything is expanded.  The second pass walks
 * the tree against the callers' field tables.  Both passes are bounded
 * by BN_CONFIG_MAX_BYTES, BN_CONFIG_MAX_DEPTH and BN_CONFIG_MAX_NODES;
 * recursion depth is bounded by BN_CONFIG_MAX_DEPTH.
 *
 * Every value, from the file, a default, the environment or a flag, goes
 * through field_set_text(): one parser and one set of checks per type.
 * A value is parsed into a temporary and committed only when valid, so a
 * failed set leaves the target as it was.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "betanet/config.h"
#include "betanet/err.h"
#include "betanet/log.h"

#define CFG_PATH_MAX	192
#define CFG_MSG_MAX	192

const char *const bn_config_log_levels[] = {
	"debug", "info", "warn", "error", NULL
};

const char *const bn_config_profiles[] = {
	"MINIMAL", "STANDARD", "EXTENDED", NULL
};

const struct bn_config_field bn_config_common_fields[] = {
	BN_CFG_F_STR("run_dir", struct bn_common_config, run_dir,
	    "/run/betanet", 1, 255),
	BN_CFG_F_STR("key_dir", struct bn_common_config, key_dir,
	    "/etc/betanet/keys", 1, 255),
	BN_CFG_F_STR("state_dir", struct bn_common_config, state_dir,
	    "/var/lib/betanet", 1, 255),
	BN_CFG_F_ENUM("log_level", struct bn_common_config, log_level,
	    "info", bn_config_log_levels),
	{ .key = "profile", .type = BN_CFG_ENUM,
	  .offset = BN_CFG_OFF(struct bn_common_config, profile, int),
	  .def = "STANDARD", .allowed = bn_config_profiles,
	  .env = "BETANET_PROFILE" },
	BN_CFG_F_END
};

/* ---- the tree ------------------------------------------------------- */

enum cnode_kind { CN_SCALAR, CN_SEQ, CN_MAP };

struct cnode {
	enum cnode_kind	  kind;
	yaml_mark_t	  mark;
	char		 *s;		/* scalar, NUL-terminated */
	size_t		  len;
	int		  is_null;	/* plain "", ~, null */
	struct cnode	**kid;		/* seq: items; map: k, v... */
	size_t		  n;
	size_t		  cap;
};

struct cctx {
	const char	*name;		/* file name for messages */
	char		*err;
	size_t		 errlen;
	size_t		 nodes;
};

static void
cfg_err(struct cctx *x, const yaml_mark_t *m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
cfg_err(struct cctx *x, const yaml_mark_t *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (x->err == NULL || x->errlen == 0)
		return;
	if (m != NULL)
		n = snprintf(x->err, x->errlen, "%s:%zu:%zu: ", x->name,
		    m->line + 1, m->column + 1);
	else
		n = snprintf(x->err, x->errlen, "%s: ", x->name);
	if (n < 0 || (size_t)n >= x->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(x->err + n, x->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static void
cnode_free(struct cnode *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++)
		cnode_free(c->kid[i]);
	free(c->kid);
	free(c->s);
	free(c);
}

static int
cnode_add(struct cnode *parent, struct cnode *c)
{
	struct cnode **k;
	size_t cap;

	if (parent->n == parent->cap) {
		cap = parent->cap == 0 ? 8 : parent->cap * 2;
		if ((k = reallocarray(parent->kid, cap, sizeof(*k))) == NULL)
			return BN_ERR_ALLOC;
		parent->kid = k;
		parent->cap = cap;
	}
	parent->kid[parent->n++] = c;
	return BN_OK;
}

static int
key_cmp(const void *a, const void *b)
{
	const struct cnode *x = *(struct cnode *const *)a;
	const struct cnode *y = *(struct cnode *const *)b;
	size_t n = x->len < y->len ? x->len : y->len;
	int r;

	if ((r = memcmp(x->s, y->s, n)) != 0)
		return r;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	/* Equal keys: order by position, so the later one is reported. */
	return x->mark.index < y->mark.index ? -1 :
	    x->mark.index > y->mark.index;
}

static int
map_check_dups(struct cctx *x, const struct cnode *m)
{
	struct cnode **keys;
	char q[BN_LOG_VALUE_MAX];
	size_t i, nk = m->n / 2;
	int r = BN_OK;

	if (nk < 2)
		return BN_OK;
	if ((keys = calloc(nk, sizeof(*keys))) == NULL)
		return BN_ERR_ALLOC;
	for (i = 0; i < nk; i++)
		keys[i] = m->kid[2 * i];
	qsort(keys, nk, sizeof(*keys), key_cmp);
	for (i = 1; i < nk; i++) {
		if (keys[i]->len == keys[i - 1]->len &&
		    memcmp(keys[i]->s, keys[i - 1]->s, keys[i]->len) == 0) {
			bn_log_quote(q, sizeof(q), keys[i]->s, keys[i]->len);
			cfg_err(x, &keys[i]->mark, "duplicate key %s", q);
			r = BN_ERR_CONFIG;
			break;
		}
	}
	free(keys);
	return r;
}

static struct cnode *
cnode_new(struct cctx *x, enum cnode_kind kind, const yaml_event_t *ev)
{
	struct cnode *c;

	if (x->nodes >= BN_CONFIG_MAX_NODES) {
		cfg_err(x, &ev->start_mark, "more than %d nodes",
		    BN_CONFIG_MAX_NODES);
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		cfg_err(x, NULL, "out of memory");
		return NULL;
	}
	x->nodes++;
	c->kind = kind;
	c->mark = ev->start_mark;
	return c;
}

static struct cnode *
scalar_new(struct cctx *x, const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	struct cnode *c;

	if ((c = cnode_new(x, CN_SCALAR, ev)) == NULL)
		return NULL;
	if ((c->s = malloc(len + 1)) == NULL) {
		cfg_err(x, NULL, "out of memory");
		free(c);
		return NULL;
	}
	if (len > 0)
		memcpy(c->s, v, len);
	c->s[len] = '\0';
	c->len = len;
	c->is_null = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    (len == 0 || strcmp(c->s, "~") == 0 || strcmp(c->s, "null") == 0 ||
	    strcmp(c->s, "Null") == 0 || strcmp(c->s, "NULL") == 0);
	return c;
}

/* Anchors and tags have no use in our files; refuse them outright. */
static int
event_check_props(struct cctx *x, const yaml_event_t *ev)
{
	const yaml_char_t *anchor = NULL, *tag = NULL;

	if (ev->type == YAML_SCALAR_EVENT) {
		anchor = ev->data.scalar.anchor;
		tag = ev->data.scalar.tag;
	} else if (ev->type == YAML_SEQUENCE_START_EVENT) {
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
	} else if (ev->type == YAML_MAPPING_START_EVENT) {
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
	}
	if (anchor != NULL) {
		cfg_err(x, &ev->start_mark, "anchors are not allowed");
		return BN_ERR_CONFIG;
	}
	if (tag != NULL) {
		cfg_err(x, &ev->start_mark, "tags are not allowed");
		return BN_ERR_CONFIG;
	}
	return BN_OK;
}

struct tree_build {
	struct cnode	*root;
	struct cnode	*stack[BN_CONFIG_MAX_DEPTH];
	size_t		 depth;
	int		 docs;
};

/* Hang node c under the open container (or make it the root). */
static int
tree_attach(struct cctx *x, struct tree_build *t, struct cnode *c)
{
	struct cnode *top;

	if (t->depth == 0) {
		if (t->root != NULL) {
			/* Report first: the mark lives in c. */
			cfg_err(x, &c->mark, "more than one root node");
			cnode_free(c);
			return BN_ERR_CONFIG;
		}
		t->root = c;
		return BN_OK;
	}
	top = t->stack[t->depth - 1];
	if (top->kind == CN_MAP && top->n % 2 == 0 && c->kind != CN_SCALAR) {
		cfg_err(x, &c->mark, "mapping keys must be scalars");
		cnode_free(c);
		return BN_ERR_CONFIG;
	}
	if (cnode_add(top, c) != BN_OK) {
		cfg_err(x, NULL, "out of memory");
		cnode_free(c);
		return BN_ERR_ALLOC;
	}
	return BN_OK;
}

static int
tree_event(struct cctx *x, struct tree_build *t, const yaml_event_t *ev,
    int *done)
{
	struct cnode *c;
	int r;

	switch (ev->type) {
	case YAML_STREAM_START_EVENT:
	case YAML_DOCUMENT_END_EVENT:
	case YAML_NO_EVENT:
		return BN_OK;
	case YAML_STREAM_END_EVENT:
		*done = 1;
		return BN_OK;
	case YAML_DOCUMENT_START_EVENT:
		if (t->docs++ > 0) {
			cfg_err(x, &ev->start_mark,
			    "only one YAML document is allowed");
			return BN_ERR_CONFIG;
		}
		return BN_OK;
	case YAML_ALIAS_EVENT:
		cfg_err(x, &ev->start_mark, "aliases are not allowed");
		return BN_ERR_CONFIG;
	case YAML_SCALAR_EVENT:
		if ((r = event_check_props(x, ev)) != BN_OK)
			return r;
		if ((c = scalar_new(x, ev)) == NULL)
			return BN_ERR_CONFIG;
		return tree_attach(x, t, c);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if ((r = event_check_props(x, ev)) != BN_OK)
			return r;
		if (t->depth == BN_CONFIG_MAX_DEPTH) {
			cfg_err(x, &ev->start_mark, "nesting deeper than %d",
			    BN_CONFIG_MAX_DEPTH);
			return BN_ERR_CONFIG;
		}
		if ((c = cnode_new(x, ev->type == YAML_SEQUENCE_START_EVENT ?
		    CN_SEQ : CN_MAP, ev)) == NULL)
			return BN_ERR_CONFIG;
		if ((r = tree_attach(x, t, c)) != BN_OK)
			return r;
		t->stack[t->depth++] = c;
		return BN_OK;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (t->depth == 0)
			return BN_ERR_INTERNAL;
		c = t->stack[--t->depth];
		return c->kind == CN_MAP ? map_check_dups(x, c) : BN_OK;
	}
	return BN_OK;
}

static int
tree_parse(struct cctx *x, const void *data, size_t len, struct cnode **out)
{
	struct tree_build t;
	yaml_parser_t p;
	yaml_event_t ev;
	int done = 0, r = BN_OK;

	*out = NULL;
	memset(&t, 0, sizeof(t));
	if (!yaml_parser_initialize(&p)) {
		cfg_err(x, NULL, "out of memory");
		return BN_ERR_ALLOC;
	}
	yaml_parser_set_input_string(&p, data, len);
	while (!done && r == BN_OK) {
		if (!yaml_parser_parse(&p, &ev)) {
			cfg_err(x, &p.problem_mark, "YAML syntax error: %s",
			    p.problem != NULL ? p.problem : "unknown");
			r = BN_ERR_CONFIG;
			break;
		}
		r = tree_event(x, &t, &ev, &done);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (r != BN_OK) {
		cnode_free(t.root);
		return r;
	}
	*out = t.root;
	return BN_OK;
}

/* ---- typed values ---------------------------------------------------- */

static int
parse_u64(const char **sp, uint64_t *out)
{
	const char *s = *sp;
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return BN_ERR_MALFORMED;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return BN_ERR_TOO_LARGE;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*sp = s;
	*out = v;
	return BN_OK;
}

static int
mul_u64(uint64_t a, uint64_t b, uint64_t *out)
{
	if (b != 0 && a > UINT64_MAX / b)
		return BN_ERR_TOO_LARGE;
	*out = a * b;
	return BN_OK;
}

int
bn_config_parse_duration_ms(const char *s, uint64_t *out)
{
	static const struct { const char *u; uint64_t ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
	};
	uint64_t total = 0, n, part;
	size_t i, ul;
	int r;

	*out = 0;
	if (strcmp(s, "0") == 0)
		return BN_OK;
	if (*s == '\0')
		return BN_ERR_MALFORMED;
	while (*s != '\0') {
		if ((r = parse_u64(&s, &n)) != BN_OK)
			return r;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			ul = strlen(units[i].u);
			/* "m" must not eat the "m" of "ms". */
			if (strncmp(s, units[i].u, ul) == 0 &&
			    (s[ul] == '\0' || (s[ul] >= '0' && s[ul] <= '9')))
				break;
		}
		if (i == sizeof(units) / sizeof(units[0]))
			return BN_ERR_MALFORMED;
		s += ul;
		if ((r = mul_u64(n, units[i].ms, &part)) != BN_OK)
			return r;
		if (part > UINT64_MAX - total)
			return BN_ERR_TOO_LARGE;
		total += part;
	}
	*out = total;
	return BN_OK;
}

int
bn_config_parse_size(const char *s, uint64_t *out)
{
	static const struct { const char *u; uint64_t mult; } units[] = {
		{ "", 1 }, { "B", 1 }, { "KiB", (uint64_t)1 << 10 },
		{ "MiB", (uint64_t)1 << 20 }, { "GiB", (uint64_t)1 << 30 },
		{ "TiB", (uint64_t)1 << 40 },
	};
	uint64_t n;
	size_t i;
	int r;

	*out = 0;
	if ((r = parse_u64(&s, &n)) != BN_OK)
		return r;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(s, units[i].u) == 0)
			return mul_u64(n, units[i].mult, out);
	}
	return BN_ERR_MALFORMED;
}

static int
host_char_ok(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_';
}

int
bn_config_parse_addr(const char *s, struct bn_config_addr *out)
{
	struct in6_addr a6;
	const char *host, *colon;
	size_t hlen, i;
	uint64_t port;
	int r;

	memset(out, 0, sizeof(*out));
	if (s[0] == '[') {
		host = s + 1;
		if ((colon = strchr(host, ']')) == NULL || colon[1] != ':')
			return BN_ERR_MALFORMED;
		hlen = (size_t)(colon - host);
		colon++;
	} else {
		host = s;
		if ((colon = strrchr(s, ':')) == NULL)
			return BN_ERR_MALFORMED;
		hlen = (size_t)(colon - host);
		for (i = 0; i < hlen; i++) {
			if (!host_char_ok(host[i]))
				return BN_ERR_MALFORMED;
		}
	}
	if (hlen == 0 || hlen > BN_CONFIG_HOST_MAX)
		return BN_ERR_MALFORMED;
	memcpy(out->host, host, hlen);
	out->host[hlen] = '\0';
	if (s[0] == '[' && inet_pton(AF_INET6, out->host, &a6) != 1)
		goto bad;
	s = colon + 1;
	if ((r = parse_u64(&s, &port)) != BN_OK || *s != '\0' ||
	    port == 0 || port > 65535)
		goto bad;
	out->port = (uint16_t)port;
	out->is_set = 1;
	return BN_OK;
 bad:
	memset(out, 0, sizeof(*out));
	return BN_ERR_MALFORMED;
}

static int
parse_int(const char *s, int64_t *out)
{
	uint64_t v;
	int neg = 0, r;

	*out = 0;
	if (*s == '-') {
		neg = 1;
		s++;
	}
	if ((r = parse_u64(&s, &v)) != BN_OK)
		return r;
	if (*s != '\0')
		return BN_ERR_MALFORMED;
	if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX)
		return BN_ERR_TOO_LARGE;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return BN_OK;
}

static int
bounded(const struct bn_config_field *f)
{
	return f->min != 0 || f->max != 0;
}

struct unit {
	uint64_t	 mult;
	const char	*name;
};

static const struct unit dur_units[] = {
	{ 3600000, "h" }, { 60000, "m" }, { 1000, "s" }, { 1, "ms" },
};
static const struct unit size_units[] = {
	{ (uint64_t)1 << 30, "GiB" }, { (uint64_t)1 << 20, "MiB" },
	{ (uint64_t)1 << 10, "KiB" }, { 1, "" },
};

/* Human form of a bound: 90s, 2m, 64KiB. */
static void
fmt_unit(char *out, size_t outlen, enum bn_cfg_type t, int64_t v)
{
	const struct unit *u = t == BN_CFG_DURATION_MS ? dur_units :
	    size_units;
	size_t i;

	if (v <= 0 || (t != BN_CFG_DURATION_MS && t != BN_CFG_SIZE)) {
		snprintf(out, outlen, "%" PRId64, v);
		return;
	}
	for (i = 0; i < 3; i++) {
		if ((uint64_t)v % u[i].mult == 0)
			break;
	}
	snprintf(out, outlen, "%" PRIu64 "%s", (uint64_t)v / u[i].mult,
	    u[i].name);
}

static int
range_fail(const struct bn_config_field *f, char *msg, size_t msglen)
{
	char lo[32], hi[32];

	fmt_unit(lo, sizeof(lo), f->type, f->min);
	fmt_unit(hi, sizeof(hi), f->type, f->max);
	snprintf(msg, msglen, "must be %s..%s", lo, hi);
	return BN_ERR_CONFIG;
}

/* r is the parser's result: BN_OK or BN_ERR_TOO_LARGE (overflow). */
static int
int_check(const struct bn_config_field *f, int r, int64_t v, char *msg,
    size_t msglen)
{
	if (bounded(f) && (r != BN_OK || v < f->min || v > f->max))
		return range_fail(f, msg, msglen);
	if (r != BN_OK) {
		snprintf(msg, msglen, "value out of range");
		return BN_ERR_CONFIG;
	}
	return BN_OK;
}

static int
uint_check(const struct bn_config_field *f, int r, uint64_t v, char *msg,
    size_t msglen)
{
	if (v > (uint64_t)INT64_MAX)
		r = BN_ERR_TOO_LARGE;
	return int_check(f, r, r == BN_OK ? (int64_t)v : 0, msg, msglen);
}

static int
str_check(const struct bn_config_field *f, const char *s, char *msg,
    size_t msglen)
{
	size_t len = strlen(s), i;

	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			snprintf(msg, msglen,
			    "must not contain control characters");
			return BN_ERR_CONFIG;
		}
	}
	if (f->max > 0 && len > (uint64_t)f->max) {
		snprintf(msg, msglen, "must be at most %" PRId64 " bytes",
		    f->max);
		return BN_ERR_CONFIG;
	}
	if (f->min > 0 && len < (uint64_t)f->min) {
		snprintf(msg, msglen, f->min == 1 ? "must not be empty" :
		    "must be at least %" PRId64 " bytes", f->min);
		return BN_ERR_CONFIG;
	}
	return BN_OK;
}

static size_t
list_max(const struct bn_config_field *f)
{
	return f->max > 0 && (uint64_t)f->max < BN_CONFIG_MAX_ITEMS ?
	    (size_t)f->max : BN_CONFIG_MAX_ITEMS;
}

static void
strlist_clear(struct bn_config_strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Append a copy of s[0..len) after checking it as a string item. */
static int
strlist_push(const struct bn_config_field *f, struct bn_config_strlist *l,
    const char *s, size_t len, char *msg, size_t msglen)
{
	struct bn_config_field item = { .type = BN_CFG_STR, .min = 1 };
	char **v, *d;
	int r;

	if (l->n >= list_max(f)) {
		snprintf(msg, msglen, "must have at most %zu items",
		    list_max(f));
		return BN_ERR_CONFIG;
	}
	if ((d = strndup(s, len)) == NULL)
		return BN_ERR_ALLOC;
	if (strlen(d) != len) {
		snprintf(msg, msglen, "must not contain NUL bytes");
		free(d);
		return BN_ERR_CONFIG;
	}
	if ((r = str_check(&item, d, msg, msglen)) != BN_OK) {
		free(d);
		return r;
	}
	if ((v = reallocarray(l->v, l->n + 1, sizeof(*v))) == NULL) {
		free(d);
		return BN_ERR_ALLOC;
	}
	l->v = v;
	l->v[l->n++] = d;
	return BN_OK;
}

static int
enum_parse(const struct bn_config_field *f, const char *s, int *out,
    char *msg, size_t msglen)
{
	size_t i, o = 0;
	int n;

	for (i = 0; f->allowed != NULL && f->allowed[i] != NULL; i++) {
		if (strcmp(s, f->allowed[i]) == 0) {
			*out = (int)i;
			return BN_OK;
		}
	}
	n = snprintf(msg, msglen, "must be one of ");
	o = n > 0 ? (size_t)n : 0;
	for (i = 0; f->allowed != NULL && f->allowed[i] != NULL; i++) {
		n = snprintf(msg + o, o < msglen ? msglen - o : 0, "%s%s",
		    i > 0 ? "|" : "", f->allowed[i]);
		if (n < 0 || (size_t)n >= msglen - o)
			break;
		o += (size_t)n;
	}
	return BN_ERR_CONFIG;
}

/*
 * Parse text s as field f and store it in target.  On failure msg says
 * why (no location) and target is unchanged.
 */
static int
field_set_text(const struct bn_config_field *f, void *target, const char *s,
    char *msg, size_t msglen)
{
	void *dst = (char *)target + f->offset;
	struct bn_config_strlist l = { NULL, 0 };
	struct bn_config_addr a;
	const char *p, *comma;
	uint64_t u;
	int64_t i;
	char *d;
	int e, r;

	switch (f->type) {
	case BN_CFG_STR:
		if ((r = str_check(f, s, msg, msglen)) != BN_OK)
			return r;
		if ((d = strdup(s)) == NULL)
			return BN_ERR_ALLOC;
		free(*(char **)dst);
		*(char **)dst = d;
		return BN_OK;
	case BN_CFG_INT:
		if ((r = parse_int(s, &i)) == BN_ERR_MALFORMED) {
			snprintf(msg, msglen, "must be an integer");
			return BN_ERR_CONFIG;
		}
		if (int_check(f, r, i, msg, msglen) != BN_OK)
			return BN_ERR_CONFIG;
		*(int64_t *)dst = i;
		return BN_OK;
	case BN_CFG_BOOL:
		if (strcmp(s, "true") != 0 && strcmp(s, "false") != 0) {
			snprintf(msg, msglen, "must be true or false");
			return BN_ERR_CONFIG;
		}
		*(int *)dst = s[0] == 't';
		return BN_OK;
	case BN_CFG_DURATION_MS:
	case BN_CFG_SIZE:
		r = f->type == BN_CFG_SIZE ? bn_config_parse_size(s, &u) :
		    bn_config_parse_duration_ms(s, &u);
		if (r == BN_ERR_MALFORMED) {
			snprintf(msg, msglen, f->type == BN_CFG_SIZE ?
			    "must be a size like 65536, 64KiB, 1MiB" :
			    "must be a duration like 250ms, 5s, 2m, 1h");
			return BN_ERR_CONFIG;
		}
		if (uint_check(f, r, u, msg, msglen) != BN_OK)
			return BN_ERR_CONFIG;
		*(uint64_t *)dst = u;
		return BN_OK;
	case BN_CFG_ENUM:
		if ((r = enum_parse(f, s, &e, msg, msglen)) != BN_OK)
			return r;
		*(int *)dst = e;
		return BN_OK;
	case BN_CFG_ADDR:
		if (bn_config_parse_addr(s, &a) != BN_OK) {
			snprintf(msg, msglen, "must be host:port or "
			    "[ipv6]:port with port 1..65535");
			return BN_ERR_CONFIG;
		}
		*(struct bn_config_addr *)dst = a;
		return BN_OK;
	case BN_CFG_STR_LIST:
		/* Text form: comma-separated; "" is the empty list. */
		for (p = s; *s != '\0'; p = comma + 1) {
			/* *s: the empty text is the empty list. */
			comma = strchr(p, ',');
			if (comma == NULL)
				comma = p + strlen(p);
			if ((r = strlist_push(f, &l, p, (size_t)(comma - p),
			    msg, msglen)) != BN_OK) {
				strlist_clear(&l);
				return r;
			}
			if (*comma == '\0')
				break;
		}
		strlist_clear(dst);
		*(struct bn_config_strlist *)dst = l;
		return BN_OK;
	case BN_CFG_TABLE_LIST:
		snprintf(msg, msglen, "cannot be set from text");
		return BN_ERR_CONFIG;
	case BN_CFG_END:
		break;
	}
	return BN_ERR_INTERNAL;
}

static const struct bn_config_field *
field_find(const struct bn_config_field *fields, const char *key)
{
	for (; fields->type != BN_CFG_END; fields++) {
		if (strcmp(fields->key, key) == 0)
			return fields;
	}
	return NULL;
}

static int
fields_defaults(struct cctx *x, const struct bn_config_field *fields,
    void *target, const char *path)
{
	char msg[CFG_MSG_MAX];
	int r;

	for (; fields->type != BN_CFG_END; fields++) {
		if (fields->def == NULL)
			continue;
		msg[0] = '\0';
		if ((r = field_set_text(fields, target, fields->def, msg,
		    sizeof(msg))) != BN_OK) {
			cfg_err(x, NULL, "%s.%s: bad default: %s", path,
			    fields->key, r == BN_ERR_ALLOC ? "out of memory" :
			    msg);
			return r;
		}
	}
	return BN_OK;
}

static int
field_is_empty(const struct bn_config_field *f, const void *target)
{
	const void *v = (const char *)target + f->offset;

	switch (f->type) {
	case BN_CFG_STR:
		return *(char *const *)v == NULL;
	case BN_CFG_ADDR:
		return !((const struct bn_config_addr *)v)->is_set;
	case BN_CFG_STR_LIST:
		return ((const struct bn_config_strlist *)v)->n == 0;
	case BN_CFG_TABLE_LIST:
		return ((const struct bn_config_list *)v)->n == 0;
	default:
		return 0;
	}
}

static int
fields_required(struct cctx *x, const struct bn_config_field *fields,
    const void *target, const char *path, const yaml_mark_t *m)
{
	for (; fields->type != BN_CFG_END; fields++) {
		if ((fields->flags & BN_CFG_REQUIRED) &&
		    field_is_empty(fields, target)) {
			cfg_err(x, m, "%s.%s: required", path, fields->key);
			return BN_ERR_CONFIG;
		}
	}
	return BN_OK;
}

static int section_apply(struct cctx *, const struct bn_config_field *,
    void *, const char *, const struct cnode *);

/* Key path for messages ("htx_gw.upstreams[2].addr"); cut when long. */
static void
cfg_path(char *out, size_t outlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
cfg_path(char *out, size_t outlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, outlen, fmt, ap);
	va_end(ap);
}

static int
value_scalar(struct cctx *x, const struct bn_config_field *f, void *target,
    const char *path, const struct cnode *v)
{
	char msg[CFG_MSG_MAX];
	int r;

	if (v->kind != CN_SCALAR) {
		cfg_err(x, &v->mark, "%s: must be a single value", path);
		return BN_ERR_CONFIG;
	}
	if (v->is_null) {
		cfg_err(x, &v->mark, "%s: missing value", path);
		return BN_ERR_CONFIG;
	}
	if (strlen(v->s) != v->len) {
		cfg_err(x, &v->mark, "%s: must not contain NUL bytes", path);
		return BN_ERR_CONFIG;
	}
	msg[0] = '\0';
	if ((r = field_set_text(f, target, v->s, msg, sizeof(msg))) != BN_OK)
		cfg_err(x, &v->mark, "%s: %s", path,
		    r == BN_ERR_ALLOC ? "out of memory" : msg);
	return r;
}

static int
value_strlist(struct cctx *x, const struct bn_config_field *f, void *target,
    const char *path, const struct cnode *v)
{
	struct bn_config_strlist l = { NULL, 0 };
	char msg[CFG_MSG_MAX];
	size_t i;
	int r = BN_OK;

	if (v->kind == CN_SCALAR && v->is_null)
		goto commit;
	if (v->kind != CN_SEQ) {
		cfg_err(x, &v->mark, "%s: must be a list", path);
		return BN_ERR_CONFIG;
	}
	for (i = 0; i < v->n; i++) {
		if (v->kid[i]->kind != CN_SCALAR || v->kid[i]->is_null) {
			cfg_err(x, &v->kid[i]->mark, "%s[%zu]: must be a "
			    "string", path, i);
			r = BN_ERR_CONFIG;
			goto out;
		}
		msg[0] = '\0';
		if ((r = strlist_push(f, &l, v->kid[i]->s, v->kid[i]->len,
		    msg, sizeof(msg))) != BN_OK) {
			cfg_err(x, &v->kid[i]->mark, "%s[%zu]: %s", path, i,
			    r == BN_ERR_ALLOC ? "out of memory" : msg);
			goto out;
		}
	}
 commit:
	strlist_clear((void *)((char *)target + f->offset));
	*(struct bn_config_strlist *)((char *)target + f->offset) = l;
	return BN_OK;
 out:
	strlist_clear(&l);
	return r;
}

static void
tablelist_clear(const struct bn_config_field *f, struct bn_config_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		bn_config_free(f->sub, (char *)l->v + i * f->sub_size);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int
value_tablelist(struct cctx *x, const struct bn_config_field *f,
    void *target, const char *path, const struct cnode *v)
{
	struct bn_config_list l = { NULL, 0 };
	char sub[CFG_PATH_MAX];
	void *elem;
	size_t i;
	int r = BN_OK;

	if (v->kind == CN_SCALAR && v->is_null)
		goto commit;
	if (v->kind != CN_SEQ) {
		cfg_err(x, &v->mark, "%s: must be a list", path);
		return BN_ERR_CONFIG;
	}
	if (v->n > list_max(f)) {
		cfg_err(x, &v->mark, "%s: must have at most %zu items", path,
		    list_max(f));
		return BN_ERR_CONFIG;
	}
	if (v->n > 0 && (l.v = calloc(v->n, f->sub_size)) == NULL) {
		cfg_err(x, NULL, "out of memory");
		return BN_ERR_ALLOC;
	}
	for (i = 0; i < v->n; i++) {
		elem = (char *)l.v + i * f->sub_size;
		l.n = i + 1;
		cfg_path(sub, sizeof(sub), "%s[%zu]", path, i);
		if ((r = fields_defaults(x, f->sub, elem, sub)) != BN_OK ||
		    (r = section_apply(x, f->sub, elem, sub, v->kid[i])) !=
		    BN_OK || (r = fields_required(x, f->sub, elem, sub,
		    &v->kid[i]->mark)) != BN_OK) {
			tablelist_clear(f, &l);
			return r;
		}
	}
 commit:
	tablelist_clear(f, (void *)((char *)target + f->offset));
	*(struct bn_config_list *)((char *)target + f->offset) = l;
	return BN_OK;
}

static int
section_apply(struct cctx *x, const struct bn_config_field *fields,
    void *target, const char *path, const struct cnode *m)
{
	const struct bn_config_field *f;
	const struct cnode *k, *v;
	char kp[CFG_PATH_MAX], q[BN_LOG_VALUE_MAX];
	size_t i;
	int r;

	if (m->kind == CN_SCALAR && m->is_null)
		return BN_OK;
	if (m->kind != CN_MAP) {
		cfg_err(x, &m->mark, "%s: must be a mapping", path);
		return BN_ERR_CONFIG;
	}
	for (i = 0; i + 1 < m->n; i += 2) {
		k = m->kid[i];
		v = m->kid[i + 1];
		if (strlen(k->s) != k->len ||
		    (f = field_find(fields, k->s)) == NULL) {
			bn_log_quote(q, sizeof(q), k->s, k->len);
			cfg_err(x, &k->mark, "%s.%s: unknown key", path, q);
			return BN_ERR_CONFIG;
		}
		cfg_path(kp, sizeof(kp), "%s.%s", path, f->key);
		if (f->type == BN_CFG_STR_LIST)
			r = value_strlist(x, f, target, kp, v);
		else if (f->type == BN_CFG_TABLE_LIST)
			r = value_tablelist(x, f, target, kp, v);
		else
			r = value_scalar(x, f, target, kp, v);
		if (r != BN_OK)
			return r;
	}
	return BN_OK;
}

static int
sections_env(struct cctx *x, const struct bn_config_section *secs,
    size_t nsec)
{
	const struct bn_config_field *f;
	char msg[CFG_MSG_MAX];
	const char *val;
	size_t i;
	int r;

	for (i = 0; i < nsec; i++) {
		for (f = secs[i].fields; f->type != BN_CFG_END; f++) {
			if (f->env == NULL || (val = getenv(f->env)) == NULL)
				continue;
			msg[0] = '\0';
			if ((r = field_set_text(f, secs[i].target, val, msg,
			    sizeof(msg))) != BN_OK) {
				cfg_err(x, NULL, "env %s: %s.%s: %s", f->env,
				    secs[i].name, f->key, r == BN_ERR_ALLOC ?
				    "out of memory" : msg);
				return r;
			}
		}
	}
	return BN_OK;
}

static int
config_apply(struct cctx *x, const struct cnode *root,
    const struct bn_config_section *secs, size_t nsec)
{
	const struct cnode *k, *v;
	char q[BN_LOG_VALUE_MAX];
	size_t i, j;
	int r;

	for (j = 0; j < nsec; j++) {
		if ((r = fields_defaults(x, secs[j].fields, secs[j].target,
		    secs[j].name)) != BN_OK)
			return r;
	}
	if (root != NULL && !(root->kind == CN_SCALAR && root->is_null)) {
		if (root->kind != CN_MAP) {
			cfg_err(x, &root->mark, "top level must be a mapping "
			    "of sections");
			return BN_ERR_CONFIG;
		}
		for (i = 0; i + 1 < root->n; i += 2) {
			k = root->kid[i];
			v = root->kid[i + 1];
			for (j = 0; j < nsec; j++) {
				if (strlen(secs[j].name) == k->len &&
				    memcmp(secs[j].name, k->s, k->len) == 0)
					break;
			}
			if (j < nsec) {
				r = section_apply(x, secs[j].fields,
				    secs[j].target, secs[j].name, v);
				if (r != BN_OK)
					return r;
			} else if (v->kind != CN_MAP &&
			    !(v->kind == CN_SCALAR && v->is_null)) {
				/* Someone else's section: shape only. */
				bn_log_quote(q, sizeof(q), k->s, k->len);
				cfg_err(x, &v->mark, "%s: must be a mapping",
				    q);
				return BN_ERR_CONFIG;
			}
		}
	}
	if ((r = sections_env(x, secs, nsec)) != BN_OK)
		return r;
	for (j = 0; j < nsec; j++) {
		if ((r = fields_required(x, secs[j].fields, secs[j].target,
		    secs[j].name, NULL)) != BN_OK)
			return r;
	}
	return BN_OK;
}

int
bn_config_load_mem(const char *name, const void *data, size_t len,
    const struct bn_config_section *secs, size_t nsec, char *errbuf,
    size_t errlen)
{
	struct cctx x = { name != NULL ? name : "config", errbuf, errlen, 0 };
	struct cnode *root = NULL;
	int r;

	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	if (len > BN_CONFIG_MAX_BYTES) {
		cfg_err(&x, NULL, "larger than %zu bytes",
		    BN_CONFIG_MAX_BYTES);
		return BN_ERR_CONFIG;
	}
	if (data != NULL && len > 0 &&
	    (r = tree_parse(&x, data, len, &root)) != BN_OK)
		return r == BN_ERR_ALLOC ? r : BN_ERR_CONFIG;
	r = config_apply(&x, root, secs, nsec);
	cnode_free(root);
	return r == BN_OK || r == BN_ERR_ALLOC ? r : BN_ERR_CONFIG;
}

/* Read the whole file, at most BN_CONFIG_MAX_BYTES of it. */
static int
file_slurp(struct cctx *x, const char *path, char **out, size_t *outlen)
{
	struct stat st;
	char *d = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, fl, r = BN_ERR_CONFIG;

	*out = NULL;
	*outlen = 0;
	/*
	 * O_NONBLOCK so that opening a FIFO (or a device) cannot block us
	 * forever; fstat then refuses anything but a regular file, and
	 * blocking mode comes back for the reads.
	 */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		cfg_err(x, NULL, "cannot open: %s", strerror(errno));
		return BN_ERR_CONFIG;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		cfg_err(x, NULL, "not a regular file");
		goto out;
	}
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == -1) {
		cfg_err(x, NULL, "fcntl: %s", strerror(errno));
		goto out;
	}
	/* One byte over the limit tells "too large" from "exactly". */
	if ((d = malloc(BN_CONFIG_MAX_BYTES + 1)) == NULL) {
		cfg_err(x, NULL, "out of memory");
		r = BN_ERR_ALLOC;
		goto out;
	}
	while (len <= BN_CONFIG_MAX_BYTES) {
		n = read(fd, d + len, BN_CONFIG_MAX_BYTES + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cfg_err(x, NULL, "read: %s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > BN_CONFIG_MAX_BYTES) {
		cfg_err(x, NULL, "larger than %zu bytes",
		    BN_CONFIG_MAX_BYTES);
		goto out;
	}
	*out = d;
	*outlen = len;
	d = NULL;
	r = BN_OK;
 out:
	free(d);
	close(fd);
	return r;
}

int
bn_config_load(const char *path, const struct bn_config_section *secs,
    size_t nsec, char *errbuf, size_t errlen)
{
	struct cctx x = { path, errbuf, errlen, 0 };
	char *d;
	size_t len;
	int r;

	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	if (path == NULL)
		return bn_config_load_mem("config", NULL, 0, secs, nsec,
		    errbuf, errlen);
	if ((r = file_slurp(&x, path, &d, &len)) != BN_OK)
		return r;
	r = bn_config_load_mem(path, d, len, secs, nsec, errbuf, errlen);
	free(d);
	return r;
}

int
bn_config_set(const struct bn_config_section *sec, const char *key,
    const char *value, char *errbuf, size_t errlen)
{
	const struct bn_config_field *f;
	char msg[CFG_MSG_MAX], q[BN_LOG_VALUE_MAX];
	int r;

	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	if (key == NULL || value == NULL ||
	    (f = field_find(sec->fields, key)) == NULL) {
		if (errbuf != NULL)
			snprintf(errbuf, errlen, "%s.%s: unknown key",
			    sec->name, bn_log_qstr(q, sizeof(q), key));
		return BN_ERR_CONFIG;
	}
	msg[0] = '\0';
	if ((r = field_set_text(f, sec->target, value, msg, sizeof(msg))) !=
	    BN_OK && errbuf != NULL)
		snprintf(errbuf, errlen, "%s.%s: %s", sec->name, f->key,
		    r == BN_ERR_ALLOC ? "out of memory" : msg);
	return r == BN_OK || r == BN_ERR_ALLOC ? r : BN_ERR_CONFIG;
}

void
bn_config_free(const struct bn_config_field *fields, void *target)
{
	void *v;

	if (fields == NULL || target == NULL)
		return;
	for (; fields->type != BN_CFG_END; fields++) {
		v = (char *)target + fields->offset;
		if (fields->type == BN_CFG_STR) {
			free(*(char **)v);
			*(char **)v = NULL;
		} else if (fields->type == BN_CFG_STR_LIST)
			strlist_clear(v);
		else if (fields->type == BN_CFG_TABLE_LIST)
			tablelist_clear(fields, v);
	}
}
