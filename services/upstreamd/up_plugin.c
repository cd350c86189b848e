/*
 * up_plugin: dlopen plugins and check their ABI (see up_plugin.h).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "betanet/err.h"
#include "up_plugin.h"

struct up_plugin_set {
	void		*h[UP_PLUGINS_MAX];
	size_t		 n;
};

struct up_plugin_set *
up_plugin_set_new(void)
{
	return calloc(1, sizeof(struct up_plugin_set));
}

void
up_plugin_set_free(struct up_plugin_set *ps)
{
	if (ps == NULL)
		return;
	while (ps->n > 0)
		up_plugin_close_last(ps);
	free(ps);
}

void
up_plugin_close_last(struct up_plugin_set *ps)
{
	if (ps->n == 0)
		return;
	ps->n--;
	dlclose(ps->h[ps->n]);
	ps->h[ps->n] = NULL;
}

size_t
up_plugin_count(const struct up_plugin_set *ps)
{
	return ps->n;
}

static void
seterr(char *err, size_t errlen, const char *path, const char *what,
    const char *detail)
{
	if (errlen == 0)
		return;
	snprintf(err, errlen, "plugin %s: %s%s%s", path, what,
	    detail != NULL ? ": " : "", detail != NULL ? detail : "");
}

/*
 * A plugin runs as the daemon: whoever can write it (or, for a plugin
 * directory, drop a file into it) owns the daemon.  So, as OpenSSH does
 * for its key files, refuse what a group or everyone may write and what
 * someone else owns.
 */
static int
check_perm(const char *path, const struct stat *st, char *err,
    size_t errlen)
{
	char msg[96];
	uid_t me = geteuid();

	if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		snprintf(msg, sizeof(msg), "mode %04o", (unsigned)
		    (st->st_mode & 07777));
		seterr(err, errlen, path, "refused: group- or world-writable",
		    msg);
		return BN_ERR_INVALID_ARG;
	}
	if (st->st_uid != 0 && st->st_uid != me) {
		snprintf(msg, sizeof(msg), "owned by uid %lu, not root or "
		    "uid %lu", (unsigned long)st->st_uid, (unsigned long)me);
		seterr(err, errlen, path, "refused: wrong owner", msg);
		return BN_ERR_INVALID_ARG;
	}
	return BN_OK;
}

int
up_plugin_open(struct up_plugin_set *ps, const char *path,
    int (**reg)(struct bn_app *), char *err, size_t errlen)
{
	struct stat st;
	const int *abi;
	void *h, *sym;
	char msg[96];
	int r;

	*reg = NULL;
	if (errlen > 0)
		err[0] = '\0';
	if (path == NULL || strchr(path, '/') == NULL) {
		seterr(err, errlen, path ? path : "(null)",
		    "path must contain '/'", NULL);
		return BN_ERR_INVALID_ARG;
	}
	if (ps->n == UP_PLUGINS_MAX) {
		seterr(err, errlen, path, "too many plugins", NULL);
		return BN_ERR_LIMIT;
	}
	if (stat(path, &st) != 0) {
		seterr(err, errlen, path, "cannot load", strerror(errno));
		return BN_ERR_NOT_FOUND;
	}
	if (!S_ISREG(st.st_mode)) {
		seterr(err, errlen, path, "cannot load", "not a regular file");
		return BN_ERR_NOT_FOUND;
	}
	if ((r = check_perm(path, &st, err, errlen)) != BN_OK)
		return r;
	dlerror();
	if ((h = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		seterr(err, errlen, path, "cannot load", dlerror());
		return BN_ERR_NOT_FOUND;
	}
	dlerror();
	if ((abi = dlsym(h, "bn_plugin_abi")) == NULL) {
		seterr(err, errlen, path, "no bn_plugin_abi", dlerror());
		r = BN_ERR_INVALID_ARG;
		goto fail;
	}
	if (*abi != BN_APP_ABI_VERSION) {
		snprintf(msg, sizeof(msg), "built for ABI %d, host has %d",
		    *abi, BN_APP_ABI_VERSION);
		seterr(err, errlen, path, "ABI mismatch", msg);
		r = BN_ERR_INVALID_ARG;
		goto fail;
	}
	dlerror();
	if ((sym = dlsym(h, "bn_plugin_register")) == NULL) {
		seterr(err, errlen, path, "no bn_plugin_register", dlerror());
		r = BN_ERR_INVALID_ARG;
		goto fail;
	}
	/* POSIX guarantees this conversion works for dlsym results. */
	*(void **)reg = sym;
	ps->h[ps->n++] = h;
	return BN_OK;
 fail:
	dlclose(h);
	return r;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
up_plugin_paths_free(char **paths, size_t n)
{
	size_t i;

	if (paths == NULL)
		return;
	for (i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

int
up_plugin_list_dir(const char *dir, char ***paths, size_t *n, char *err,
    size_t errlen)
{
	char **v = NULL;
	struct dirent *de;
	struct stat st;
	size_t cnt = 0, len, plen;
	DIR *d;
	char *p;
	int r;

	*paths = NULL;
	*n = 0;
	if (errlen > 0)
		err[0] = '\0';
	if ((d = opendir(dir)) == NULL) {
		seterr(err, errlen, dir, "cannot open directory", NULL);
		return BN_ERR_NOT_FOUND;
	}
	if (fstat(dirfd(d), &st) != 0) {
		seterr(err, errlen, dir, "cannot open directory",
		    strerror(errno));
		r = BN_ERR_NOT_FOUND;
		goto out;
	}
	if ((r = check_perm(dir, &st, err, errlen)) != BN_OK)
		goto out;
	if ((v = calloc(UP_PLUGIN_DIR_MAX, sizeof(*v))) == NULL) {
		r = BN_ERR_ALLOC;
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 4 || strcmp(de->d_name + len - 3, ".so") != 0 ||
		    de->d_name[0] == '.')
			continue;
		if (cnt == UP_PLUGIN_DIR_MAX) {
			seterr(err, errlen, dir, "too many plugins", NULL);
			r = BN_ERR_LIMIT;
			goto out;
		}
		plen = strlen(dir) + 1 + len + 1;
		if ((p = malloc(plen)) == NULL) {
			r = BN_ERR_ALLOC;
			goto out;
		}
		snprintf(p, plen, "%s/%s", dir, de->d_name);
		if (stat(p, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(p);
			continue;
		}
		v[cnt++] = p;
	}
	qsort(v, cnt, sizeof(*v), cmp_str);
	*paths = v;
	*n = cnt;
	v = NULL;
	r = BN_OK;
 out:
	up_plugin_paths_free(v, cnt);
	closedir(d);
	return r;
}
