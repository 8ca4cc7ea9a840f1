/*
 * privs - dropping root for the configured user (SPEC.md section 3).
 */
#ifndef MLISTD_PRIVS_H
#define MLISTD_PRIVS_H

/* privs_drop - become user (empty: stay as we are unless we are root,
   which must be said explicitly with "user = root").  Returns 0 or -1
   with *error_r (caller frees). */
int privs_drop(const char *user, char **error_r);

#endif
