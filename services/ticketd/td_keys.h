/*
 * td_keys: ticketd's site keys: the current one and the previous one.
 *
 * For: loading the key directory (layout in README.md and ticketd
 * --help: site.{key,pub,id} current, previous.{key,pub,id} optional) and
 * rotating it: a fresh key pair is written as next.* (0600 private,
 * through libcommon keyfile), then site.* is renamed to previous.* and
 * next.* to site.*.  A rotation cut short by a crash is finished (or,
 * when next.* was not complete yet, dropped) by the next load, so the
 * directory always ends up as one consistent current + previous pair.
 * In memory, rotation swaps the struct only after every file is in
 * place, so a failed rotation leaves the old keys active.
 *
 * Not for: verifying tickets (ticket.h) or deciding admission.  The
 * struct holds private keys: td_keys_clear() wipes it.
 */
#ifndef TD_KEYS_H
#define TD_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "betanet/crypto.h"
#include "betanet/ticket.h"

#define TD_KEYS_MAX	2	/* current, previous */

struct td_keys {
	char				dir[256];
	struct bn_ticket_site_key	k[TD_KEYS_MAX];	/* [0] is current */
	uint8_t				pub[TD_KEYS_MAX][BN_KEY_LEN];
	size_t				n;
	uint64_t			rotations;
};

/*
 * Load dir into ks.  A missing site.key, a private key that group or
 * others may read, or malformed content is an error with one line in
 * errbuf (the daemon exits 2).
 */
int	td_keys_load(struct td_keys *ks, const char *dir, char *errbuf,
	    size_t errlen);

/* Make a new current key; the old current becomes previous. */
int	td_keys_rotate(struct td_keys *ks, char *errbuf, size_t errlen);

void	td_keys_clear(struct td_keys *ks);

#endif /* TD_KEYS_H */
