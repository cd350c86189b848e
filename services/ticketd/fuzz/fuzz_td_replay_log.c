/*
 * fuzz_td_replay_log: a replay / spent log image through
 * td_replay_log_load_buf(), the parser td_replay_log_new() runs on the
 * file at startup.  The first byte picks the table size (1..64 entries,
 * so the over-capacity refusal is reached) and the input's expiries are
 * judged against a fixed "now" in the middle of the u32 range.  Whatever
 * loads must be consistent: the kept length is the header plus whole
 * records and within the input, the live count within the table.
 */
#include <stdint.h>
#include <stdlib.h>

#include "betanet/err.h"
#include "td_replay.h"

#define NOW	0x80000000u
#define HDR	16
#define REC	48

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct td_replay_log_image img;
	char err[256];
	size_t max;
	int r;

	if (size < 1)
		return 0;
	max = (size_t)(data[0] % 64) + 1;
	err[0] = '\0';
	r = td_replay_log_load_buf(data + 1, size - 1, max, NOW, &img, err,
	    sizeof(err));
	if (r == BN_OK) {
		if (img.keep > size - 1 || img.live > max)
			abort();
		if (size - 1 >= HDR && (img.keep - HDR) % REC != 0)
			abort();
		if (size - 1 >= HDR && size - 1 - img.keep >= REC)
			abort();
	} else if (r != BN_ERR_MALFORMED && r != BN_ERR_LIMIT &&
	    r != BN_ERR_ALLOC)
		abort();
	else if (r != BN_ERR_ALLOC && err[0] == '\0')
		abort();
	return 0;
}
