/*
 * test-strutil - UTF-8 validation, trimming, constant-time compare, and
 * JSON string escaping (buf_json_str relies on the UTF-8 check).
 */
#include <stdlib.h>

#include "buf.h"
#include "strutil.h"
#include "tap.h"

static const struct {
	const char *s;
	size_t len;
	size_t want;
} seqs[] = {
    {"a", 1, 1},
    {"\xc3\xa9", 2, 2},		/* é */
    {"\xe2\x82\xac", 3, 3},	/* € */
    {"\xf0\x9f\x98\x80", 4, 4}, /* emoji */
    {"\xc3", 1, 0},		/* truncated */
    {"\xc0\xaf", 2, 0},		/* overlong */
    {"\xe0\x80\xaf", 3, 0},	/* overlong */
    {"\xed\xa0\x80", 3, 0},	/* surrogate */
    {"\xf4\x90\x80\x80", 4, 0}, /* beyond U+10FFFF */
    {"\xff", 1, 0},
    {"\x80", 1, 0},	/* lone continuation */
    {"\xe2\x82", 3, 0}, /* NUL inside */
};

int
main(void)
{
	struct buf b = BUF_INIT;
	char t[] = "  \t hello world \n";

	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++)
		is_int(str_utf8_seq(seqs[i].s, seqs[i].len), seqs[i].want,
		       "utf8 sequence %zu", i);
	ok(str_utf8_valid("Caf\xc3\xa9 cr\xc3\xa8me", 13), "valid text");
	ok(!str_utf8_valid("Caf\xe9", 4), "latin-1 is not UTF-8");
	is_str(str_trim(t), "hello world", "trim");
	ok(str_const_eq("abcdef", "abcdef", 6), "equal");
	ok(!str_const_eq("abcdef", "abcdeg", 6), "different last byte");
	buf_json_str(&b, "a\"b\\c\n\x01\xff\xc3\xa9");
	is_str(buf_cstr(&b), "\"a\\\"b\\\\c\\n\\u0001\\ufffd\xc3\xa9\"",
	       "JSON escaping keeps UTF-8 and replaces invalid bytes");
	buf_reset(&b);
	buf_json_str(&b, NULL);
	is_str(buf_cstr(&b), "null", "NULL is null");
	buf_free(&b);
	tap_done();
}
