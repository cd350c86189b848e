/*
 * up_template: upstreamd's minimal template engine (the seed's
 * "{{ var }}" placeholders), with files read from one or more roots.
 *
 * Syntax: "{{ name }}" is replaced by the variable's value with & < > " '
 * HTML-escaped; "{{ name|safe }}" (spaces around '|' allowed) inserts it
 * raw.  A name is [A-Za-z0-9_.-]+.  An unknown variable renders as the
 * empty string (as Jinja's default Undefined does).  Anything else inside
 * "{{ }}", an unclosed "{{", or a tag longer than UP_TMPL_TAG_MAX is
 * BN_ERR_MALFORMED.  There are no loops, conditions or includes, so
 * rendering is one linear pass with no recursion.
 *
 * Files: a template name is a relative path ("dashboard.html",
 * "admin/index.html") looked up in each root in the order added; names
 * with "..", ".", empty segments, a leading '/', a backslash or a NUL are
 * refused, and a name whose resolved path (symlinks followed) falls
 * outside its root is treated as absent there.  Parsed files are cached
 * by resolved path and revalidated on every render by (mtime, size,
 * inode): editing a file invalidates its entry.  The cache holds at most
 * UP_TMPL_CACHE_MAX files (least recently used goes first).
 *
 * Bounds: template text BN_APP_TEMPLATE_MAX, output BN_APP_RENDER_MAX
 * (BN_ERR_TOO_LARGE past either).  Outputs are malloc'd, NUL-terminated
 * and the caller's to free().
 */
#ifndef BN_UP_TEMPLATE_H
#define BN_UP_TEMPLATE_H

#include <stddef.h>

#include "app.h"

#define UP_TMPL_ROOTS_MAX	16
#define UP_TMPL_CACHE_MAX	64
#define UP_TMPL_TAG_MAX		256	/* bytes between "{{" and "}}" */
#define UP_TMPL_NAME_MAX	255

struct up_tmpl;

struct up_tmpl *up_tmpl_new(void);
void	up_tmpl_free(struct up_tmpl *t);
/* dir must exist and be a directory; BN_ERR_LIMIT past the roots max. */
int	up_tmpl_add_root(struct up_tmpl *t, const char *dir);
/* BN_ERR_NOT_FOUND when no root has it; BN_ERR_INVALID_ARG: bad name. */
int	up_tmpl_render_file(struct up_tmpl *t, const char *name,
	    const struct bn_app_var *vars, size_t nvars, char **out,
	    size_t *outlen);
int	up_tmpl_render(const char *text, size_t len,
	    const struct bn_app_var *vars, size_t nvars, char **out,
	    size_t *outlen);
/* Nonzero when name is an acceptable template name. */
int	up_tmpl_name_ok(const char *name);

#endif /* BN_UP_TEMPLATE_H */
