/*
 * test-html - html_to_text() on typical mail HTML and on garbage.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "html.h"
#include "tap.h"

int
main(void)
{
	static const struct {
		const char *in, *want, *name;
	} t[] = {
	    {"<p>Bonjour</p><p>Merci</p>", "Bonjour\n\nMerci", "paragraphs"},
	    {"<div>a</div><div>b</div>", "a\nb", "divs"},
	    {"un<br>deux<br/><br>trois", "un\ndeux\n\ntrois", "br"},
	    {"<ul><li>un</li><li>deux</li></ul>", "- un\n- deux", "list items"},
	    {"<a href=\"http://x\">le site</a> ici", "le site ici",
	     "links keep text"},
	    {"<script>alert(1)</script><style>p{}</style>ok", "ok",
	     "script and style dropped"},
	    {"<html><head><title>T</title></head><body>x</body></html>", "x",
	     "head dropped"},
	    {"&eacute;t&eacute; &amp; &lt;hiver&gt; &#8364;", "été & <hiver> €",
	     "entities"},
	    {"  lots   of\n\n spaces\t here  ", "lots of spaces here",
	     "whitespace collapsed"},
	    {"<pre>a  b\nc</pre>", "a  b\nc", "pre kept"},
	    {"<p>Oui.</p><div class=\"gmail_quote\">Le lun., Bob a écrit "
	     ":<blockquote>ancien<br>texte</blockquote></div>",
	     "Oui.\n\nLe lun., Bob a écrit :\n\n> ancien\n> texte",
	     "blockquote quoted"},
	    {"<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr>"
	     "</table>",
	     "a b\nc", "table cells"},
	    {"<meta charset=\"iso-8859-1\"><p>déjà</p>", "déjà",
	     "meta charset does not override UTF-8"},
	    {"", "", "empty"},
	    {"<<<>>>&&&;;<p<b<i", NULL, "garbage"},
	    {"<div><div><div><div>deep</div></div></div></div>", "deep",
	     "nesting"},
	};
	struct buf deep = BUF_INIT;
	char *s;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		s = html_to_text(t[i].in, strlen(t[i].in));
		if (t[i].want)
			is_str(s, t[i].want, "%s", t[i].name);
		else
			ok(s != NULL, "%s: no crash", t[i].name);
		free(s);
	}
	for (int i = 0; i < 100000; i++)
		buf_puts(&deep, "<div><b>");
	buf_puts(&deep, "x");
	s = html_to_text(deep.data, deep.len);
	ok(s != NULL, "100000 nested elements");
	free(s);
	buf_free(&deep);
	s = html_to_text("a\0b<p>c", 7);
	ok(s != NULL, "NUL inside");
	free(s);
	s = html_to_text(NULL, 0);
	is_str(s, "", "NULL");
	free(s);
	tap_done();
}
