/*
 * fuzz - the fuzz targets' entry points (README "Sanitizers, fuzzing,
 * valgrind").
 *
 * Each is a plain C function over one input of any bytes: libFuzzer
 * calls it through fuzz_main.c (make fuzz, clang), test-fuzz_regress
 * replays the committed seeds and regression inputs through it (make
 * check, the normal compiler).  A target aborts when an invariant it
 * checks does not hold; the sanitizers report the rest.
 */
#ifndef MLISTD_FUZZ_H
#define MLISTD_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* fuzz_lmtp - the bytes as a client's side of one LMTP conversation,
   delivered in pieces to a session over a real intake and database */
void fuzz_lmtp(const uint8_t *data, size_t size);
/* fuzz_lmtp_cleanup - stop that intake and remove its directory */
void fuzz_lmtp_cleanup(void);
/* fuzz_msg - a message: parser, text normalizer, subject, rewrite */
void fuzz_msg(const uint8_t *data, size_t size);
/* fuzz_addr - addresses and the tokens they carry */
void fuzz_addr(const uint8_t *data, size_t size);
/* fuzz_command - "Subject\nbody": mail commands and moderation replies */
void fuzz_command(const uint8_t *data, size_t size);
/* fuzz_tmpl - "template\0name=value lines": the template renderer */
void fuzz_tmpl(const uint8_t *data, size_t size);
/* fuzz_tmpl_cleanup - remove the template directory */
void fuzz_tmpl_cleanup(void);
/* fuzz_dsn - a delivery report: the bounce reader */
void fuzz_dsn(const uint8_t *data, size_t size);

/* fuzz_cstr - the bytes as a NUL-terminated string (NULs inside kept,
   so C string functions see a prefix); caller frees */
char *fuzz_cstr(const uint8_t *data, size_t size);
/* fuzz_check - abort with what when cond is false (an invariant broke) */
void fuzz_check(int cond, const char *what);

#endif
