/*
 * keyfile: key files on disk (see keyfile.h).
 *
 * SECURITY: a private key is read only from a regular file, opened with
 * O_NOFOLLOW and O_NONBLOCK (a FIFO cannot stall us), whose mode gives
 * group and others no access, as OpenSSH's sshkey_perm_ok() demands.
 * Writes go to a fresh O_EXCL temp file in the target directory that is
 * given its final mode before any key byte is written.  A crash between
 * writing a temp file and renaming it can leave a stray PREFIX.key.tmp*
 * (mode 0600, so no worse than the key itself); it is never read, and
 * may be removed by hand.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "betanet/codec.h"
#include "betanet/crypto.h"
#include "betanet/err.h"
#include "betanet/keyfile.h"

/* The longest file we read: 64 hex digits, '\n', one byte to spot more. */
#define READ_MAX	(2 * BN_KEY_LEN + 2)

static void seterr(char *errbuf, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
seterr(char *errbuf, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errbuf == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
}

static int
make_path(char *out, size_t outlen, const char *prefix, const char *ext,
    char *errbuf, size_t errlen)
{
	int n = snprintf(out, outlen, "%s%s", prefix, ext);

	if (n < 0 || (size_t)n >= outlen) {
		seterr(errbuf, errlen, "%s%s: path too long", prefix, ext);
		return BN_ERR_INVALID_ARG;
	}
	return BN_OK;
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* fsync the directory holding path, so that a rename or link is durable. */
static int
sync_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, r = 0;

	if (slash == NULL)
		strcpy(dir, ".");
	else if (slash == path)
		strcpy(dir, "/");
	else if ((size_t)(slash - path) < sizeof(dir)) {
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
	} else
		return -1;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	if (fsync(fd) != 0 && errno != EINVAL)	/* EINVAL: not supported */
		r = -1;
	close(fd);
	return r;
}

/*
 * Write len bytes as hex to a fresh temp file next to path, with its final
 * mode set before any key byte lands in it, and fsync it.  On BN_OK the
 * temp file's name is in tmp[PATH_MAX] and the caller must commit() or
 * unlink it; on failure nothing is left behind and tmp is "".
 */
static int
write_temp(const char *path, const uint8_t *data, size_t len, mode_t mode,
    char tmp[PATH_MAX], char *errbuf, size_t errlen)
{
	char text[2 * 64 + 2], rnd[bn_hex_enc_len(8)];
	uint8_t rb[8];
	int fd = -1, r, n;

	tmp[0] = '\0';
	if (len == 0 || len > 64) {
		seterr(errbuf, errlen, "%s: bad key length %zu", path, len);
		return BN_ERR_INVALID_ARG;
	}
	if ((r = bn_random(rb, sizeof(rb))) != BN_OK) {
		seterr(errbuf, errlen, "%s: no random bytes", path);
		return r;
	}
	bn_hex_encode(rnd, rb, sizeof(rb));
	n = snprintf(tmp, PATH_MAX, "%s.tmp%s", path, rnd);
	if (n < 0 || n >= PATH_MAX) {
		tmp[0] = '\0';
		seterr(errbuf, errlen, "%s: path too long", path);
		return BN_ERR_INVALID_ARG;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) < 0) {
		seterr(errbuf, errlen, "%s: cannot create a temp file: %s",
		    path, strerror(errno));
		tmp[0] = '\0';
		return BN_ERR_SYSTEM;
	}
	r = BN_ERR_SYSTEM;
	bn_hex_encode(text, data, len);
	text[2 * len] = '\n';
	/* The final mode is set before any key byte lands in the file. */
	if (fchmod(fd, mode) != 0 || write_all(fd, text, 2 * len + 1) != 0 ||
	    fsync(fd) != 0) {
		seterr(errbuf, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	n = close(fd);
	fd = -1;
	if (n != 0) {
		seterr(errbuf, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	r = BN_OK;
 out:
	if (fd >= 0)
		close(fd);
	if (r != BN_OK) {
		unlink(tmp);
		tmp[0] = '\0';
	}
	bn_cleanse(text, sizeof(text));
	return r;
}

/*
 * Put a finished temp file in place: rename() with BN_KEYFILE_F_FORCE,
 * else link() (which never replaces, so no window where a key is lost)
 * and unlink the temp name.  On BN_OK tmp is "" (nothing to clean up).
 */
static int
commit(char tmp[PATH_MAX], const char *path, int flags, char *errbuf,
    size_t errlen)
{
	if (flags & BN_KEYFILE_F_FORCE) {
		if (rename(tmp, path) != 0) {
			seterr(errbuf, errlen, "%s: %s", path, strerror(errno));
			return BN_ERR_SYSTEM;
		}
	} else if (link(tmp, path) != 0) {
		if (errno == EEXIST) {
			seterr(errbuf, errlen, "%s: exists (use --force to "
			    "replace it)", path);
			return BN_ERR_INVALID_ARG;
		}
		seterr(errbuf, errlen, "%s: %s", path, strerror(errno));
		return BN_ERR_SYSTEM;
	} else
		unlink(tmp);
	tmp[0] = '\0';
	return BN_OK;
}

int
bn_keyfile_write_hex(const char *path, const uint8_t *data, size_t len,
    mode_t mode, int flags, char *errbuf, size_t errlen)
{
	char tmp[PATH_MAX];
	int r;

	if ((r = write_temp(path, data, len, mode, tmp, errbuf,
	    errlen)) != BN_OK)
		return r;
	if ((r = commit(tmp, path, flags, errbuf, errlen)) != BN_OK)
		goto out;
	if (sync_dir(path) != 0) {
		seterr(errbuf, errlen, "%s: fsync of directory: %s", path,
		    strerror(errno));
		r = BN_ERR_SYSTEM;
	}
 out:
	if (tmp[0] != '\0')
		unlink(tmp);
	return r;
}

/*
 * Open a key file and read at most READ_MAX bytes.  With private set,
 * apply the SECURITY checks above.
 */
static int
read_small(const char *path, int private, char *buf, size_t *n,
    char *errbuf, size_t errlen)
{
	struct stat st;
	ssize_t got;
	int fd, flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC, r = BN_ERR_SYSTEM;

	*n = 0;
	if (private)
		flags |= O_NOFOLLOW;
	if ((fd = open(path, flags)) < 0) {
		if (errno == ENOENT) {
			seterr(errbuf, errlen, "%s: no such file", path);
			return BN_ERR_NOT_FOUND;
		}
		if (errno == ELOOP && private) {
			seterr(errbuf, errlen, "%s: is a symbolic link; a "
			    "private key must be a regular file", path);
			return BN_ERR_KEY_PERM;
		}
		seterr(errbuf, errlen, "%s: %s", path, strerror(errno));
		return BN_ERR_SYSTEM;
	}
	if (fstat(fd, &st) != 0) {
		seterr(errbuf, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		seterr(errbuf, errlen, "%s: not a regular file", path);
		r = private ? BN_ERR_KEY_PERM : BN_ERR_KEY_FORMAT;
		goto out;
	}
	if (private && (st.st_mode & 077) != 0) {
		seterr(errbuf, errlen, "UNPROTECTED PRIVATE KEY FILE: %s has "
		    "mode %04o; it must not be accessible by group or others "
		    "(chmod 600 %s)", path, (unsigned)(st.st_mode & 07777),
		    path);
		r = BN_ERR_KEY_PERM;
		goto out;
	}
	while ((got = read(fd, buf + *n, READ_MAX - *n)) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			seterr(errbuf, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		*n += (size_t)got;
		if (*n == READ_MAX)
			break;
	}
	r = BN_OK;
 out:
	close(fd);
	return r;
}

/* len bytes of hex and an optional '\n', nothing else. */
static int
parse_hex(const char *path, const char *buf, size_t n, uint8_t *out,
    size_t len, char *errbuf, size_t errlen)
{
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n < 2 * len) {
		seterr(errbuf, errlen, "%s: too short (want %zu hex digits "
		    "and a newline)", path, 2 * len);
		return BN_ERR_KEY_FORMAT;
	}
	if (n > 2 * len) {
		seterr(errbuf, errlen, "%s: too long (want %zu hex digits "
		    "and a newline)", path, 2 * len);
		return BN_ERR_KEY_FORMAT;
	}
	if (bn_hex_decode_exact(out, len, buf, n) != BN_OK) {
		seterr(errbuf, errlen, "%s: not hex", path);
		return BN_ERR_KEY_FORMAT;
	}
	return BN_OK;
}

static int
load(const char *path, int private, uint8_t *out, size_t len,
    char *errbuf, size_t errlen)
{
	char buf[READ_MAX];
	size_t n;
	int r;

	memset(out, 0, len);
	if (len == 0 || len > BN_KEY_LEN) {
		seterr(errbuf, errlen, "%s: bad key length %zu", path, len);
		return BN_ERR_INVALID_ARG;
	}
	if ((r = read_small(path, private, buf, &n, errbuf, errlen)) != BN_OK)
		goto out;
	r = parse_hex(path, buf, n, out, len, errbuf, errlen);
 out:
	bn_cleanse(buf, sizeof(buf));
	if (r != BN_OK)
		bn_cleanse(out, len);
	return r;
}

int
bn_keyfile_load_private(const char *path, uint8_t priv[BN_KEY_LEN],
    char *errbuf, size_t errlen)
{
	return load(path, 1, priv, BN_KEY_LEN, errbuf, errlen);
}

int
bn_keyfile_load_hex(const char *path, uint8_t *out, size_t len,
    char *errbuf, size_t errlen)
{
	return load(path, 0, out, len, errbuf, errlen);
}

/* Without FORCE, fail early if any of the files to write exists. */
static int
check_absent(char paths[][PATH_MAX], int n, int flags, char *errbuf,
    size_t errlen)
{
	struct stat st;
	int i;

	if (flags & BN_KEYFILE_F_FORCE)
		return BN_OK;
	for (i = 0; i < n; i++)
		if (lstat(paths[i], &st) == 0) {
			seterr(errbuf, errlen, "%s: exists (use --force to "
			    "replace it)", paths[i]);
			return BN_ERR_INVALID_ARG;
		}
	return BN_OK;
}

/*
 * Write every file of a key pair as a temp file first, then put them in
 * place with the private key last: a failure before that point leaves the
 * old files (or no files) exactly as they were, so `keygen --force` can
 * never lose the old private key.  Without FORCE, files already linked
 * in are removed again when a later one fails (they are ours and new).
 * With FORCE, a failure after .pub/.id were replaced leaves them next to
 * the old .key: nothing secret is lost, and a rerun fixes it.
 */
static int
keygen(const char *prefix, int flags, uint8_t pub_out[BN_KEY_LEN],
    uint8_t id_out[BN_TICKET_KEY_ID_LEN], char *errbuf, size_t errlen)
{
	static const char *const ext[3] = { ".key", ".pub", ".id" };
	static const mode_t mode[3] = { BN_KEYFILE_PRIV_MODE,
	    BN_KEYFILE_PUB_MODE, BN_KEYFILE_PUB_MODE };
	char paths[3][PATH_MAX], tmps[3][PATH_MAX];
	uint8_t priv[BN_KEY_LEN], pub[BN_KEY_LEN];
	uint8_t id[BN_TICKET_KEY_ID_LEN];
	const uint8_t *data[3] = { priv, pub, id };
	const size_t len[3] = { sizeof(priv), sizeof(pub), sizeof(id) };
	int r, i, n = id_out != NULL ? 3 : 2, linked[3] = { 0, 0, 0 };

	for (i = 0; i < 3; i++)
		tmps[i][0] = '\0';
	for (i = 0; i < 3; i++)
		if ((r = make_path(paths[i], PATH_MAX, prefix, ext[i], errbuf,
		    errlen)) != BN_OK)
			goto out;
	if ((r = check_absent(paths, n, flags, errbuf, errlen)) != BN_OK)
		goto out;
	if ((r = bn_x25519_keygen(priv, pub)) != BN_OK ||
	    (r = bn_random(id, sizeof(id))) != BN_OK) {
		seterr(errbuf, errlen, "%s: key generation failed", prefix);
		goto out;
	}
	for (i = 0; i < n; i++)
		if ((r = write_temp(paths[i], data[i], len[i], mode[i],
		    tmps[i], errbuf, errlen)) != BN_OK)
			goto out;
	/* .id, .pub, then .key last. */
	for (i = n - 1; i >= 0; i--) {
		if ((r = commit(tmps[i], paths[i], flags, errbuf,
		    errlen)) != BN_OK)
			goto out;
		linked[i] = !(flags & BN_KEYFILE_F_FORCE);
	}
	if (sync_dir(paths[0]) != 0) {
		seterr(errbuf, errlen, "%s: fsync of directory: %s", paths[0],
		    strerror(errno));
		r = BN_ERR_SYSTEM;
		goto out;
	}
	if (pub_out != NULL)
		memcpy(pub_out, pub, sizeof(pub));
	if (id_out != NULL)
		memcpy(id_out, id, sizeof(id));
 out:
	for (i = 0; i < 3; i++) {
		if (tmps[i][0] != '\0')
			unlink(tmps[i]);
		if (r != BN_OK && linked[i])
			unlink(paths[i]);
	}
	bn_cleanse(priv, sizeof(priv));
	return r;
}

int
bn_keyfile_keygen(const char *prefix, int flags, uint8_t pub[BN_KEY_LEN],
    char *errbuf, size_t errlen)
{
	return keygen(prefix, flags, pub, NULL, errbuf, errlen);
}

int
bn_keyfile_ticket_keygen(const char *prefix, int flags,
    uint8_t pub[BN_KEY_LEN], uint8_t key_id[BN_TICKET_KEY_ID_LEN],
    char *errbuf, size_t errlen)
{
	uint8_t id[BN_TICKET_KEY_ID_LEN];

	return keygen(prefix, flags, pub, key_id != NULL ? key_id : id,
	    errbuf, errlen);
}

int
bn_keyfile_load_ticket_key(const char *prefix, struct bn_ticket_site_key *k,
    char *errbuf, size_t errlen)
{
	char path[PATH_MAX];
	int r;

	memset(k, 0, sizeof(*k));
	if ((r = make_path(path, sizeof(path), prefix, ".key", errbuf,
	    errlen)) != BN_OK ||
	    (r = bn_keyfile_load_private(path, k->priv, errbuf,
	    errlen)) != BN_OK ||
	    (r = make_path(path, sizeof(path), prefix, ".id", errbuf,
	    errlen)) != BN_OK ||
	    (r = bn_keyfile_load_hex(path, k->key_id, sizeof(k->key_id),
	    errbuf, errlen)) != BN_OK)
		bn_cleanse(k, sizeof(*k));
	return r;
}

int
bn_keyfile_load_ticket_pub(const char *prefix, uint8_t pub[BN_KEY_LEN],
    uint8_t key_id[BN_TICKET_KEY_ID_LEN], char *errbuf, size_t errlen)
{
	char path[PATH_MAX];
	int r;

	memset(pub, 0, BN_KEY_LEN);
	memset(key_id, 0, BN_TICKET_KEY_ID_LEN);
	if ((r = make_path(path, sizeof(path), prefix, ".pub", errbuf,
	    errlen)) != BN_OK ||
	    (r = bn_keyfile_load_hex(path, pub, BN_KEY_LEN, errbuf,
	    errlen)) != BN_OK ||
	    (r = make_path(path, sizeof(path), prefix, ".id", errbuf,
	    errlen)) != BN_OK ||
	    (r = bn_keyfile_load_hex(path, key_id, BN_TICKET_KEY_ID_LEN,
	    errbuf, errlen)) != BN_OK) {
		/* Never half a result: a .pub without its .id is no use. */
		memset(pub, 0, BN_KEY_LEN);
		memset(key_id, 0, BN_TICKET_KEY_ID_LEN);
	}
	return r;
}
