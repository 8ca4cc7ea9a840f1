/*
 * msg_hash - SHA-256 digests of mail (see msg_hash.h).
 */
#include <nettle/sha2.h>
#include <stdint.h>

#include "msg_hash.h"
#include "strutil.h"

void
msg_sha256_hex(const void *data, size_t len, char out[65])
{
	struct sha256_ctx ctx;
	unsigned char dg[SHA256_DIGEST_SIZE];

	sha256_init(&ctx);
	sha256_update(&ctx, len, (const uint8_t *)data);
	sha256_digest(&ctx, sizeof(dg), dg);
	str_hex(dg, sizeof(dg), out);
}

void
msg_body_sha256(const char *raw, size_t len, char out[65])
{
	const char *body = raw;
	size_t blen = len;

	/* the body starts after the first empty line (CRLF or LF) */
	for (size_t i = 0; i + 1 < len; i++) {
		if (raw[i] != '\n')
			continue;
		if (raw[i + 1] == '\n') {
			body = raw + i + 2;
			break;
		}
		if (raw[i + 1] == '\r' && i + 2 < len && raw[i + 2] == '\n') {
			body = raw + i + 3;
			break;
		}
	}
	blen = len - (size_t)(body - raw);
	msg_sha256_hex(body, blen, out);
}
