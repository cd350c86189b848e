/*
 * td_keys: the site key directory and its rotation (td_keys.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "betanet/crypto.h"
#include "betanet/err.h"
#include "betanet/keyfile.h"
#include "betanet/log.h"
#include "td_keys.h"

static const char *const exts[] = { "key", "pub", "id" };
#define NEXTS	(sizeof(exts) / sizeof(exts[0]))

static int
path_of(char *out, size_t outlen, const char *dir, const char *name,
    const char *ext)
{
	int n;

	if (ext != NULL)
		n = snprintf(out, outlen, "%s/%s.%s", dir, name, ext);
	else
		n = snprintf(out, outlen, "%s/%s", dir, name);
	return (n < 0 || (size_t)n >= outlen) ? BN_ERR_INVALID_ARG : BN_OK;
}

static int
exists(const char *dir, const char *name, const char *ext)
{
	char p[512];
	struct stat st;

	if (path_of(p, sizeof(p), dir, name, ext) != BN_OK)
		return 0;
	return lstat(p, &st) == 0;
}

static int
move(const char *dir, const char *from, const char *to, const char *ext)
{
	char a[512], b[512];

	if (path_of(a, sizeof(a), dir, from, ext) != BN_OK ||
	    path_of(b, sizeof(b), dir, to, ext) != BN_OK)
		return BN_ERR_INVALID_ARG;
	if (rename(a, b) != 0) {
		bn_log_event(BN_LOG_ERROR, "keys_rename_fail", "ext=%s "
		    "errno=%d", ext, errno);
		return BN_ERR_SYSTEM;
	}
	return BN_OK;
}

static int
sync_dir(const char *dir)
{
	int fd, r = BN_OK;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY)) < 0)
		return BN_ERR_SYSTEM;
	if (fsync(fd) != 0)
		r = BN_ERR_SYSTEM;
	close(fd);
	return r;
}

/*
 * Finish or drop a rotation cut short (see td_keys.h).  next.* complete,
 * or some next.* left while some site.* is gone: the rotation passed its
 * commit point, so finish it.  Otherwise next.* is a partial keygen.
 */
static int
recover(const char *dir)
{
	size_t i, nnext = 0, nsite = 0;
	char p[512];
	int r;

	for (i = 0; i < NEXTS; i++) {
		nnext += exists(dir, "next", exts[i]);
		nsite += exists(dir, "site", exts[i]);
	}
	if (nnext == 0)
		return BN_OK;
	if (nnext != NEXTS && nsite == NEXTS) {
		for (i = 0; i < NEXTS; i++)
			if (path_of(p, sizeof(p), dir, "next", exts[i]) ==
			    BN_OK)
				(void)unlink(p);
		bn_log_event(BN_LOG_WARN, "keys_rotation_dropped", NULL);
		return sync_dir(dir);
	}
	for (i = 0; i < NEXTS; i++)
		if (exists(dir, "next", exts[i]) &&
		    exists(dir, "site", exts[i]) &&
		    (r = move(dir, "site", "previous", exts[i])) != BN_OK)
			return r;
	for (i = 0; i < NEXTS; i++)
		if (exists(dir, "next", exts[i]) &&
		    (r = move(dir, "next", "site", exts[i])) != BN_OK)
			return r;
	bn_log_event(BN_LOG_WARN, "keys_rotation_finished", NULL);
	return sync_dir(dir);
}

static int
load_one(const char *dir, const char *name, struct bn_ticket_site_key *k,
    uint8_t pub[BN_KEY_LEN], char *errbuf, size_t errlen)
{
	char prefix[512];
	int r;

	if (path_of(prefix, sizeof(prefix), dir, name, NULL) != BN_OK) {
		snprintf(errbuf, errlen, "%s: path too long", dir);
		return BN_ERR_INVALID_ARG;
	}
	if ((r = bn_keyfile_load_ticket_key(prefix, k, errbuf, errlen)) !=
	    BN_OK)
		return r;
	if ((r = bn_x25519_public(pub, k->priv)) != BN_OK)
		snprintf(errbuf, errlen, "%s.key: unusable key", prefix);
	return r;
}

int
td_keys_load(struct td_keys *ks, const char *dir, char *errbuf,
    size_t errlen)
{
	struct td_keys n;
	int r;

	memset(&n, 0, sizeof(n));
	if (snprintf(n.dir, sizeof(n.dir), "%s", dir) >= (int)sizeof(n.dir)) {
		snprintf(errbuf, errlen, "keys: path too long");
		r = BN_ERR_INVALID_ARG;
		goto out;
	}
	if ((r = recover(dir)) != BN_OK) {
		snprintf(errbuf, errlen, "%s: cannot finish an interrupted "
		    "rotation", dir);
		goto out;
	}
	if ((r = load_one(dir, "site", &n.k[0], n.pub[0], errbuf,
	    errlen)) != BN_OK)
		goto out;
	n.n = 1;
	if (exists(dir, "previous", "key")) {
		if ((r = load_one(dir, "previous", &n.k[1], n.pub[1], errbuf,
		    errlen)) != BN_OK)
			goto out;
		n.n = 2;
	}
	n.rotations = ks->rotations;
	td_keys_clear(ks);
	*ks = n;
 out:
	bn_cleanse(&n, sizeof(n));
	return r;
}

int
td_keys_rotate(struct td_keys *ks, char *errbuf, size_t errlen)
{
	char prefix[512];
	uint64_t rot = ks->rotations;
	size_t i;
	int r;

	if (path_of(prefix, sizeof(prefix), ks->dir, "next", NULL) != BN_OK)
		return BN_ERR_INVALID_ARG;
	if ((r = bn_keyfile_ticket_keygen(prefix, BN_KEYFILE_F_FORCE, NULL,
	    NULL, errbuf, errlen)) != BN_OK)
		return r;
	/* Commit point: next.* is complete and durable. */
	for (i = 0; i < NEXTS; i++)
		if ((r = move(ks->dir, "site", "previous", exts[i])) != BN_OK)
			goto fail;
	for (i = 0; i < NEXTS; i++)
		if ((r = move(ks->dir, "next", "site", exts[i])) != BN_OK)
			goto fail;
	if ((r = sync_dir(ks->dir)) != BN_OK)
		goto fail;
	if ((r = td_keys_load(ks, ks->dir, errbuf, errlen)) != BN_OK)
		return r;
	ks->rotations = rot + 1;
	return BN_OK;
 fail:
	snprintf(errbuf, errlen, "%s: rotation failed (finished at next "
	    "load)", ks->dir);
	return r;
}

void
td_keys_clear(struct td_keys *ks)
{
	bn_cleanse(ks, sizeof(*ks));
}
