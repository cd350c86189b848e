/*
 * caps: HTX capability maps, selection and the native key context
 * (WIRE.md §3 and §4).
 *
 * A caps map is {"l2": [text], "l3": [text], "l4": [text], "l5": [text]}
 * plus, from our own peers, "features": {"native": true} and optionally
 * "template": bytes(32).  Decoding accepts unknown keys (a newer peer may
 * add some) but requires l2..l5 to be arrays of text.  The selection is
 * {"l2": s, ..., "l5": s}, each s the greatest (bytewise) string offered
 * by both sides, or "".
 *
 * Pure; struct bn_caps holds copies, so the input may be freed.
 */
#ifndef BETANET_CAPS_H
#define BETANET_CAPS_H

#include <stddef.h>
#include <stdint.h>

#include "betanet/buf.h"

#define BN_CAPS_LAYERS		4	/* l2, l3, l4, l5 */
#define BN_CAPS_MAX_PROTOS	8	/* per layer */
#define BN_CAPS_MAX_NAME	64	/* bytes, NUL excluded */

struct bn_caps {
	uint8_t	 nproto[BN_CAPS_LAYERS];
	char	 proto[BN_CAPS_LAYERS][BN_CAPS_MAX_PROTOS][BN_CAPS_MAX_NAME + 1];
	int	 native;		/* features.native == true */
	int	 has_template;
	uint8_t	 template_id[32];
};

struct bn_caps_sel {
	char	 l[BN_CAPS_LAYERS][BN_CAPS_MAX_NAME + 1];
};

/* Our default offer: l2 betanet/htx/1.2.0, l3 betanet/mesh/1.2.0. */
void	bn_caps_default(struct bn_caps *c, int native);
int	bn_caps_encode(const struct bn_caps *c, struct bn_buf *out);
int	bn_caps_decode(const uint8_t *p, size_t len, struct bn_caps *c);
void	bn_caps_select(const struct bn_caps *client,
	    const struct bn_caps *server, struct bn_caps_sel *sel);
int	bn_caps_sel_encode(const struct bn_caps_sel *sel, struct bn_buf *out);
int	bn_caps_sel_decode(const uint8_t *p, size_t len,
	    struct bn_caps_sel *sel);
/*
 * The native key context of WIRE.md §4: DETCBOR of the selection's
 * l2..l5, the two caps maps exactly as sent (raw bytes, embedded) and
 * the 32-byte TemplateID.
 */
int	bn_caps_context(const struct bn_caps_sel *sel,
	    const uint8_t *caps_client, size_t cclen,
	    const uint8_t *caps_server, size_t cslen,
	    const uint8_t template_id[32], struct bn_buf *out);

#endif /* BETANET_CAPS_H */
