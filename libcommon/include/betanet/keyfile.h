/*
 * keyfile: X25519 keys and ticket key ids on disk.
 *
 * For: writing key files atomically and reading them back with the checks
 * OpenSSH makes on private keys.  Every file is one line of lower-case hex
 * and a newline:
 *   PREFIX.key   private key, 64 hex digits, mode 0600
 *   PREFIX.pub   public key, 64 hex digits, mode 0644
 *   PREFIX.id    ticket key id (ticket-keygen only), 16 hex digits, 0644
 * Readers accept either case of hex and one optional trailing '\n',
 * nothing else.
 *
 * A private key file is opened without following symlinks and refused
 * (BN_ERR_KEY_PERM) unless it is a regular file that neither group nor
 * others may access.  Missing files are BN_ERR_NOT_FOUND, bad content
 * BN_ERR_KEY_FORMAT, other failures BN_ERR_SYSTEM.
 *
 * Not for: key policy (which key a daemon uses) or rotation; no global
 * state.  Every function takes an optional errbuf (NULL, or errlen
 * bytes) that receives one line naming the file and the problem, fit to
 * print after "betanet: keygen: ".  Private key bytes are wiped from
 * every buffer used here; the caller owns and wipes its own copies.
 */
#ifndef BETANET_KEYFILE_H
#define BETANET_KEYFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "betanet/crypto.h"
#include "betanet/ticket.h"

#define BN_KEYFILE_PRIV_MODE	0600
#define BN_KEYFILE_PUB_MODE	0644

/* Flags for writers. */
#define BN_KEYFILE_F_FORCE	0x1	/* replace files that exist */

/* A buffer large enough for any errbuf message. */
#define BN_KEYFILE_ERRLEN	256

/*
 * Write `len` bytes as hex + '\n' to path with exactly `mode`: a temp
 * file in the same directory (O_CREAT|O_EXCL|O_NOFOLLOW), fsync, then
 * rename (with BN_KEYFILE_F_FORCE) or link (without: an existing path is
 * BN_ERR_INVALID_ARG, "exists"), then fsync of the directory.
 */
int	bn_keyfile_write_hex(const char *path, const uint8_t *data,
	    size_t len, mode_t mode, int flags, char *errbuf, size_t errlen);

/* Private key: the permission checks above, then 32 bytes of hex. */
int	bn_keyfile_load_private(const char *path, uint8_t priv[BN_KEY_LEN],
	    char *errbuf, size_t errlen);

/* Public data (a .pub or .id file): exactly len bytes of hex. */
int	bn_keyfile_load_hex(const char *path, uint8_t *out, size_t len,
	    char *errbuf, size_t errlen);

/*
 * `betanet keygen`: a fresh X25519 pair in PREFIX.key and PREFIX.pub.
 * Without BN_KEYFILE_F_FORCE, refuses (BN_ERR_INVALID_ARG) when either
 * file exists.  pub (may be NULL) receives the public key.
 *
 * Every file is written to a temp file first and only then put in place,
 * PREFIX.key last: if anything fails before that, the old files are left
 * untouched (with FORCE the old private key is never lost) and no temp
 * file is left behind.  With FORCE, a failure while putting files in
 * place can leave a new .pub (and .id) beside the old .key; run it again.
 * A crash (not a failure) part way can leave stray PREFIX.*.tmp<hex>
 * files, mode as their target; they are never read and may be deleted.
 */
int	bn_keyfile_keygen(const char *prefix, int flags,
	    uint8_t pub[BN_KEY_LEN], char *errbuf, size_t errlen);

/*
 * `betanet ticket-keygen`: as bn_keyfile_keygen plus a random 8-byte key
 * id in PREFIX.id.  pub and key_id may be NULL.
 */
int	bn_keyfile_ticket_keygen(const char *prefix, int flags,
	    uint8_t pub[BN_KEY_LEN], uint8_t key_id[BN_TICKET_KEY_ID_LEN],
	    char *errbuf, size_t errlen);

/* Site key for bn_ticket_verify(): PREFIX.key and PREFIX.id. */
int	bn_keyfile_load_ticket_key(const char *prefix,
	    struct bn_ticket_site_key *k, char *errbuf, size_t errlen);

/*
 * What a client needs: PREFIX.pub and PREFIX.id.  On any failure both
 * pub and key_id are all zero.
 */
int	bn_keyfile_load_ticket_pub(const char *prefix,
	    uint8_t pub[BN_KEY_LEN], uint8_t key_id[BN_TICKET_KEY_ID_LEN],
	    char *errbuf, size_t errlen);

#endif /* BETANET_KEYFILE_H */
