/*
 * buf - growable byte buffer, always NUL-terminated.
 *
 * The buffer owns its data; buf_free() releases it.  Growth may move data,
 * so pointers into buf.data are valid only until the next append.
 */
#ifndef MLISTD_BUF_H
#define MLISTD_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

#define BUF_INIT                                                               \
	{                                                                      \
		NULL, 0, 0                                                     \
	}

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* buf_cstr - the contents as a C string ("" when empty; never NULL) */
const char *buf_cstr(const struct buf *b);
/* buf_steal - hand the data to the caller (free it), leave b empty */
char *buf_steal(struct buf *b);
/* buf_json_str - append s as a JSON string literal; NULL gives null.
   Invalid UTF-8 bytes become U+FFFD so the output is always valid JSON. */
void buf_json_str(struct buf *b, const char *s);

#endif
