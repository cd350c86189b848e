/*
 * up_template: "{{ var }}" templates from file roots (see up_template.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "betanet/err.h"
#include "up_template.h"

struct tmpl_entry {
	char		*path;		/* resolved; NULL = free slot */
	char		*text;
	size_t		 len;
	struct timespec	 mtime;
	off_t		 size;
	ino_t		 ino;
	dev_t		 dev;
	uint64_t	 used;		/* LRU tick */
};

struct up_tmpl {
	char		*roots[UP_TMPL_ROOTS_MAX];	/* realpath()s */
	size_t		 nroots;
	struct tmpl_entry cache[UP_TMPL_CACHE_MAX];
	uint64_t	 tick;
};

/* Output under construction, bounded by max. */
struct sbuf {
	char		*p;
	size_t		 len;
	size_t		 cap;
	size_t		 max;
};

static int
sbuf_put(struct sbuf *sb, const char *s, size_t n)
{
	size_t ncap;
	char *np;

	if (n > sb->max || sb->max - n < sb->len)
		return BN_ERR_TOO_LARGE;
	if (sb->cap - sb->len <= n) {
		ncap = sb->cap ? sb->cap : 256;
		while (ncap - sb->len <= n)
			ncap *= 2;
		if ((np = realloc(sb->p, ncap)) == NULL)
			return BN_ERR_ALLOC;
		sb->p = np;
		sb->cap = ncap;
	}
	memcpy(sb->p + sb->len, s, n);
	sb->len += n;
	sb->p[sb->len] = '\0';
	return BN_OK;
}

static int
put_escaped(struct sbuf *sb, const char *s)
{
	const char *rep;
	size_t run;
	int r;

	while (*s != '\0') {
		run = strcspn(s, "&<>\"'");
		if (run > 0 && (r = sbuf_put(sb, s, run)) != BN_OK)
			return r;
		s += run;
		switch (*s) {
		case '&':	rep = "&amp;"; break;
		case '<':	rep = "&lt;"; break;
		case '>':	rep = "&gt;"; break;
		case '"':	rep = "&quot;"; break;
		case '\'':	rep = "&#39;"; break;
		default:	return BN_OK;
		}
		if ((r = sbuf_put(sb, rep, strlen(rep))) != BN_OK)
			return r;
		s++;
	}
	return BN_OK;
}

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
is_var_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/* Parse the inside of one tag: name and whether "|safe" follows. */
static int
parse_tag(const char *t, size_t n, const char **name, size_t *namelen,
    int *safe)
{
	size_t i = 0, s;

	while (i < n && is_ws(t[i]))
		i++;
	s = i;
	while (i < n && is_var_char(t[i]))
		i++;
	if (i == s)
		return BN_ERR_MALFORMED;
	*name = t + s;
	*namelen = i - s;
	*safe = 0;
	while (i < n && is_ws(t[i]))
		i++;
	if (i < n && t[i] == '|') {
		i++;
		while (i < n && is_ws(t[i]))
			i++;
		if (n - i < 4 || memcmp(t + i, "safe", 4) != 0)
			return BN_ERR_MALFORMED;
		i += 4;
		*safe = 1;
		while (i < n && is_ws(t[i]))
			i++;
	}
	return i == n ? BN_OK : BN_ERR_MALFORMED;
}

static const char *
lookup(const struct bn_app_var *vars, size_t nvars, const char *name,
    size_t len)
{
	size_t i;

	for (i = 0; i < nvars; i++)
		if (vars[i].name != NULL && strlen(vars[i].name) == len &&
		    memcmp(vars[i].name, name, len) == 0)
			return vars[i].value != NULL ? vars[i].value : "";
	return "";
}

/* Index of "{{" / "}}" at or after from, or len. */
static size_t
find2(const char *t, size_t len, size_t from, char c)
{
	size_t i;

	for (i = from; i + 1 < len; i++)
		if (t[i] == c && t[i + 1] == c)
			return i;
	return len;
}

int
up_tmpl_render(const char *text, size_t len, const struct bn_app_var *vars,
    size_t nvars, char **out, size_t *outlen)
{
	struct sbuf sb = { NULL, 0, 0, BN_APP_RENDER_MAX };
	size_t i = 0, open, close, namelen;
	const char *name;
	int r, safe;

	*out = NULL;
	*outlen = 0;
	if (text == NULL && len > 0)
		return BN_ERR_INVALID_ARG;
	if (len > BN_APP_TEMPLATE_MAX)
		return BN_ERR_TOO_LARGE;
	if ((r = sbuf_put(&sb, "", 0)) != BN_OK)
		goto out;
	while (i < len) {
		open = find2(text, len, i, '{');
		if ((r = sbuf_put(&sb, text + i, open - i)) != BN_OK)
			goto out;
		if (open == len)
			break;
		close = find2(text, len, open + 2, '}');
		if (close == len || close - (open + 2) > UP_TMPL_TAG_MAX) {
			r = BN_ERR_MALFORMED;
			goto out;
		}
		if ((r = parse_tag(text + open + 2, close - open - 2, &name,
		    &namelen, &safe)) != BN_OK)
			goto out;
		name = lookup(vars, nvars, name, namelen);
		r = safe ? sbuf_put(&sb, name, strlen(name)) :
		    put_escaped(&sb, name);
		if (r != BN_OK)
			goto out;
		i = close + 2;
	}
	*out = sb.p;
	*outlen = sb.len;
	sb.p = NULL;
	r = BN_OK;
 out:
	free(sb.p);
	return r;
}

struct up_tmpl *
up_tmpl_new(void)
{
	return calloc(1, sizeof(struct up_tmpl));
}

static void
entry_clear(struct tmpl_entry *e)
{
	free(e->path);
	free(e->text);
	memset(e, 0, sizeof(*e));
}

void
up_tmpl_free(struct up_tmpl *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nroots; i++)
		free(t->roots[i]);
	for (i = 0; i < UP_TMPL_CACHE_MAX; i++)
		entry_clear(&t->cache[i]);
	free(t);
}

int
up_tmpl_add_root(struct up_tmpl *t, const char *dir)
{
	struct stat st;
	char *real;

	if (t == NULL || dir == NULL)
		return BN_ERR_INVALID_ARG;
	if (t->nroots == UP_TMPL_ROOTS_MAX)
		return BN_ERR_LIMIT;
	if ((real = realpath(dir, NULL)) == NULL)
		return BN_ERR_NOT_FOUND;
	if (stat(real, &st) != 0 || !S_ISDIR(st.st_mode)) {
		free(real);
		return BN_ERR_INVALID_ARG;
	}
	t->roots[t->nroots++] = real;
	return BN_OK;
}

int
up_tmpl_name_ok(const char *name)
{
	size_t len, seg;
	const char *s;

	if (name == NULL || (len = strlen(name)) == 0 ||
	    len > UP_TMPL_NAME_MAX || name[0] == '/' ||
	    strchr(name, '\\') != NULL)
		return 0;
	for (s = name;; s += seg + 1) {
		seg = strcspn(s, "/");
		if (seg == 0 || (seg == 1 && s[0] == '.') ||
		    (seg == 2 && s[0] == '.' && s[1] == '.'))
			return 0;
		if (s[seg] == '\0')
			return 1;
	}
}

/* Is path inside root (root itself excluded)? */
static int
under_root(const char *root, const char *path)
{
	size_t rl = strlen(root);

	if (strcmp(root, "/") == 0)
		return path[0] == '/' && path[1] != '\0';
	return strncmp(root, path, rl) == 0 && path[rl] == '/';
}

/* Find the cached entry for path, or pick a slot (free or LRU) for it. */
static struct tmpl_entry *
cache_slot(struct up_tmpl *t, const char *path, int *hit)
{
	struct tmpl_entry *e, *victim = &t->cache[0];
	size_t i;

	*hit = 0;
	for (i = 0; i < UP_TMPL_CACHE_MAX; i++) {
		e = &t->cache[i];
		if (e->path != NULL && strcmp(e->path, path) == 0) {
			*hit = 1;
			return e;
		}
		if (victim->path != NULL &&
		    (e->path == NULL || e->used < victim->used))
			victim = e;
	}
	return victim;
}

/* Read fd's whole content (size from fstat) into a fresh entry. */
static int
cache_fill(struct tmpl_entry *e, const char *path, int fd,
    const struct stat *st)
{
	size_t got = 0;
	ssize_t n;
	char *text;

	if ((text = malloc((size_t)st->st_size + 1)) == NULL)
		return BN_ERR_ALLOC;
	while (got < (size_t)st->st_size) {
		n = read(fd, text + got, (size_t)st->st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(text);
			return BN_ERR_SYSTEM;
		}
		got += (size_t)n;
	}
	text[got] = '\0';
	entry_clear(e);
	if ((e->path = strdup(path)) == NULL) {
		free(text);
		return BN_ERR_ALLOC;
	}
	e->text = text;
	e->len = got;
	e->mtime = st->st_mtim;
	e->size = st->st_size;
	e->ino = st->st_ino;
	e->dev = st->st_dev;
	return BN_OK;
}

/* Load (or revalidate) the template at resolved path real. */
static int
load(struct up_tmpl *t, const char *real, struct tmpl_entry **out)
{
	struct tmpl_entry *e;
	struct stat st;
	int fd, hit, r;

	*out = NULL;
	if ((fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return BN_ERR_NOT_FOUND;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		r = BN_ERR_NOT_FOUND;
		goto out;
	}
	if (st.st_size > BN_APP_TEMPLATE_MAX) {
		r = BN_ERR_TOO_LARGE;
		goto out;
	}
	e = cache_slot(t, real, &hit);
	if (!hit || e->size != st.st_size || e->ino != st.st_ino ||
	    e->dev != st.st_dev || e->mtime.tv_sec != st.st_mtim.tv_sec ||
	    e->mtime.tv_nsec != st.st_mtim.tv_nsec) {
		if ((r = cache_fill(e, real, fd, &st)) != BN_OK)
			goto out;
	}
	e->used = ++t->tick;
	*out = e;
	r = BN_OK;
 out:
	close(fd);
	return r;
}

int
up_tmpl_render_file(struct up_tmpl *t, const char *name,
    const struct bn_app_var *vars, size_t nvars, char **out, size_t *outlen)
{
	char path[PATH_MAX], *real;
	struct tmpl_entry *e;
	size_t i;
	int r;

	*out = NULL;
	*outlen = 0;
	if (t == NULL || !up_tmpl_name_ok(name))
		return BN_ERR_INVALID_ARG;
	for (i = 0; i < t->nroots; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", t->roots[i],
		    name) >= sizeof(path))
			continue;
		if ((real = realpath(path, NULL)) == NULL)
			continue;
		if (!under_root(t->roots[i], real)) {
			free(real);
			continue;
		}
		r = load(t, real, &e);
		free(real);
		if (r == BN_ERR_NOT_FOUND)
			continue;
		if (r != BN_OK)
			return r;
		return up_tmpl_render(e->text, e->len, vars, nvars, out,
		    outlen);
	}
	return BN_ERR_NOT_FOUND;
}
