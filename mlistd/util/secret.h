/*
 * secret - the installation secret that keys every token's HMAC.
 */
#ifndef MLISTD_SECRET_H
#define MLISTD_SECRET_H

#include "token.h"

/* secret_load - read the 64-hex-digit secret from path; when create is
   set and the file is missing, make a new random one with mode 0600.
   Returns 0, or -1 with *error_r (caller frees). */
int secret_load(const char *path, int create, unsigned char key[TOKEN_KEY_LEN],
		char **error_r);

#endif
