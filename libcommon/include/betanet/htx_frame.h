/*
 * htx_frame: seal and open HTX frames, 1.2 (WIRE.md §2) and the legacy
 * 1.1 framing (WIRE.md §3b).
 *
 * A struct bn_htx_dir is one direction's key state: AEAD key, NonceSalt
 * and counter.  Sealing takes the next counter; opening a frame tries
 * the current counter (and, in compat, up to `skip` counters ahead) and
 * on success moves the counter past the one that opened.  Lengths are
 * checked from the header alone before any decryption.
 *
 * Pure: no sockets, no clock.  A bn_htx_dir owns its bn_aead (free it
 * with bn_htx_dir_clear, which wipes the key).  Caller buffers stay
 * owned by the caller.
 */
#ifndef BETANET_HTX_FRAME_H
#define BETANET_HTX_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "betanet/buf.h"
#include "betanet/crypto.h"

/* 1.2 frame types (WIRE.md §2). */
enum bn_htx_type {
	BN_HTX_STREAM = 0x00,
	BN_HTX_WINDOW_UPDATE = 0x01,
	BN_HTX_PING = 0x02,
	BN_HTX_KEY_UPDATE = 0x03,
	BN_HTX_CLOSE = 0x04,
};

/* Legacy 1.1 frame types (WIRE.md §3b): numbered differently. */
enum bn_htx11_type {
	BN_HTX11_STREAM = 0,
	BN_HTX11_PING = 1,
	BN_HTX11_CLOSE = 2,
	BN_HTX11_KEY_UPDATE = 3,
	BN_HTX11_WINDOW_UPDATE = 4,
};

#define BN_HTX_HDR_LEN		10	/* Len u24 Type u8 StreamID u32 AAD u16 */
#define BN_HTX_OVERHEAD		(BN_HTX_HDR_LEN + BN_AEAD_TAG_LEN)
#define BN_HTX_LEN_MIN		23	/* 7 + 0 + 16 */
#define BN_HTX_FRAME_MAX	65535	/* Len + 3 */
#define BN_HTX_PAYLOAD_MAX	(BN_HTX_FRAME_MAX - BN_HTX_OVERHEAD)
#define BN_HTX11_FRAME_MAX	(3 + 0xffffff)

struct bn_htx_dir {
	struct bn_aead	*aead;
	uint8_t		 nonce_salt[BN_AEAD_NONCE_LEN];
	uint64_t	 counter;	/* next counter to seal or open */
};

/*
 * Install a key and NonceSalt, counter 0 (allocates the AEAD once; the
 * struct starts zeroed).  Seal/open on a dir with no key: BN_ERR_STATE.
 */
int	bn_htx_dir_set(struct bn_htx_dir *d, const uint8_t key[BN_KEY_LEN],
	    const uint8_t nonce_salt[BN_AEAD_NONCE_LEN]);
void	bn_htx_dir_clear(struct bn_htx_dir *d);
/* NonceSalt XOR (u64le(counter) || 00 00 00 00). */
void	bn_htx_nonce(uint8_t nonce[BN_AEAD_NONCE_LEN],
	    const uint8_t salt[BN_AEAD_NONCE_LEN], uint64_t counter);

struct bn_htx_frame {
	uint8_t		 type;
	uint32_t	 stream_id;
	uint16_t	 aad;		/* AADfield (1.2 only) */
	const uint8_t	*payload;	/* plaintext */
	size_t		 len;
};

/*
 * 1.2: append one sealed frame to out.  The payload is the concatenation
 * of iov[0..iovcnt) (scatter: e.g. the 11-byte STREAM header and data
 * taken straight from a send queue).  BN_ERR_TOO_LARGE past
 * BN_HTX_PAYLOAD_MAX, BN_ERR_NONCE_EXHAUSTED if the counter would wrap.
 */
int	bn_htx_frame_seal(struct bn_htx_dir *d, uint8_t type,
	    uint32_t stream_id, uint16_t aad, const struct bn_iov *iov,
	    int iovcnt, struct bn_buf *out);
/*
 * 1.2: how many bytes the frame at the front of `in` needs in all:
 * BN_ERR_INCOMPLETE with fewer than 3 bytes, BN_ERR_FRAME_LEN when Len is
 * out of range (decided from Len alone), else BN_OK and *need = Len + 3.
 */
int	bn_htx_frame_peek(const struct bn_buf *in, size_t *need);
/*
 * 1.2: open the whole frame at the front of `in` in place (in must be a
 * writable buffer) and consume it.  f->payload points into in's store,
 * valid until in is next modified.  skip: how many counters past the
 * current one to also try (0 native, 8 compat).  BN_ERR_AUTH when no
 * counter opens it.  On any failure nothing is consumed and in's bytes
 * are unchanged, so the frame may be retried under another key.  A
 * bn_buf_view() is not writable: BN_ERR_INVALID_ARG.
 */
int	bn_htx_frame_open(struct bn_htx_dir *d, struct bn_buf *in,
	    unsigned skip, struct bn_htx_frame *f);

/*
 * Legacy 1.1 equivalents (StreamID present for STREAM and WINDOW_UPDATE).
 * Peek needs Len, Type and the whole StreamID varint; an unknown Type is
 * BN_ERR_MALFORMED (the header size is unknowable), Len < 16 is
 * BN_ERR_FRAME_LEN, a StreamID over 32 bits BN_ERR_MALFORMED.
 */
int	bn_htx11_frame_seal(struct bn_htx_dir *d, uint8_t type,
	    uint32_t stream_id, const uint8_t *pt, size_t ptlen,
	    struct bn_buf *out);
int	bn_htx11_frame_peek(const struct bn_buf *in, size_t *need);
int	bn_htx11_frame_open(struct bn_htx_dir *d, struct bn_buf *in,
	    unsigned skip, struct bn_htx_frame *f);

#endif /* BETANET_HTX_FRAME_H */
