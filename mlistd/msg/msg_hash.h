/*
 * msg_hash - the SHA-256 digests of mail: the body hash that is part of
 * a message's duplicate key (store: UNIQUE (club_id, message_id, rcpt,
 * body_sha256)), and the plain digest behind generated Message-IDs.
 *
 * msg_body_sha256's header/body split must never change: a different
 * hash for the same mail would let a redelivered post in twice.
 * Together with msg_rewrite's boundary chain, the only includer of
 * nettle/sha2.h.
 */
#ifndef MLISTD_MSG_HASH_H
#define MLISTD_MSG_HASH_H

#include <stddef.h>

/* msg_sha256_hex - lower-case hex SHA-256 of len bytes at data */
void msg_sha256_hex(const void *data, size_t len, char out[65]);
/* msg_body_sha256 - SHA-256 hex of the body after the header block (the
   first empty line, CRLF or LF; all of raw without one) */
void msg_body_sha256(const char *raw, size_t len, char out[65]);

#endif
