/*
 * html - HTML to readable plain text, for HTML-only mail (SPEC 5).
 *
 * libxml2's HTML parser in recover mode builds a tree from anything; we
 * walk it and write text the way a reader sees it: block elements end
 * lines, <br> breaks one, list items start with "- ", blockquotes (the
 * quoted mail of an HTML reply) get "> " so quote stripping removes them,
 * script and style vanish, runs of white space become one space.
 * html_doc_to_text() (html_doc.h) runs the same walk on a tree tmpl.c has
 * filled, optionally writing each link's target after its text so a reply
 * address stays usable in a text part.
 */
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "buf.h"
#include "html.h"
#include "html_doc.h"
#include "xalloc.h"

/* the tree libxml2 builds is bounded, but a walk must not trust that */
#define MAX_DEPTH 512

struct out {
	struct buf b;
	int nl;	    /* line breaks owed before the next text */
	bool space; /* a space owed before the next text */
	int quote;  /* blockquote depth: "> " per level */
	int pre;    /* inside <pre>: keep white space */
	int flags;  /* HTML_TEXT_* */
};

static const char *const skip_tags[] = {
    "script",	"style",  "head",   "title", "noscript",
    "template", "object", "iframe", "svg",   NULL};

/* paragraph-like blocks leave an empty line after them */
static const char *const para_tags[] = {
    "p",  "h1", "h2",	 "h3",	"h4", "h5", "h6", "blockquote",
    "ul", "ol", "table", "pre", "dl", "hr", NULL};

static const char *const block_tags[] = {
    "div",     "li",	   "tr",	 "dt",	    "dd",
    "section", "article",  "header",	 "footer",  "address",
    "form",    "fieldset", "center",	 "nav",	    "aside",
    "main",    "figure",   "figcaption", "caption", "body",
    "html",    "tbody",	   "thead",	 "tfoot",   NULL};

static bool
in_list(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (strcasecmp(name, *list) == 0)
			return true;
	return false;
}

/* need_break - owe at least n line breaks, once there is text before */
static void
need_break(struct out *o, int n)
{
	if (o->b.len && o->nl < n)
		o->nl = n;
}

/* start_text - pay what is owed before real text */
static void
start_text(struct out *o)
{
	if (o->nl) {
		for (int i = 0; i < o->nl; i++)
			buf_putc(&o->b, '\n');
		for (int q = 0; q < o->quote; q++)
			buf_puts(&o->b, "> ");
		o->nl = 0;
		o->space = false;
	} else if (o->b.len == 0) {
		for (int q = 0; q < o->quote; q++)
			buf_puts(&o->b, "> ");
		o->space = false;
	} else if (o->space) {
		buf_putc(&o->b, ' ');
		o->space = false;
	}
}

static void
text(struct out *o, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (o->pre && c == '\n') {
			o->nl++;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		    c == '\f') {
			if (o->pre) {
				start_text(o);
				buf_putc(&o->b, (char)c == '\t' ? '\t' : ' ');
			} else {
				o->space = true;
			}
			continue;
		}
		start_text(o);
		buf_putc(&o->b, (char)c);
	}
}

/* link_target - write " <url>" after a link's text, unless the text
   already is the url (a bare address written out in the template) */
static void
link_target(struct out *o, const char *href, size_t start)
{
	const char *url = href, *t;
	size_t ulen;

	while (*url == ' ' || *url == '\t' || *url == '\n' || *url == '\r')
		url++;
	if (*url == '\0' || *url == '#')
		return;
	if (strncasecmp(url, "mailto:", 7) == 0) {
		/* a text reader wants the address, not the URL around it */
		url += 7;
		ulen = strcspn(url, "?");
	} else {
		ulen = strlen(url);
	}
	if (ulen == 0)
		return;
	t = o->b.data ? o->b.data + start : "";
	while (*t == ' ' || *t == '\n' || *t == '>')
		t++;
	if (strlen(t) == ulen && strncasecmp(t, url, ulen) == 0)
		return;
	if (*t == '\0') {
		start_text(o);
	} else {
		buf_putc(&o->b, ' ');
	}
	buf_putc(&o->b, '<');
	buf_append(&o->b, url, ulen);
	buf_putc(&o->b, '>');
}

static void
walk(struct out *o, xmlNode *n, int depth)
{
	for (; n; n = n->next) {
		const char *name = (const char *)n->name;
		bool para, block;

		if (n->type == XML_TEXT_NODE ||
		    n->type == XML_CDATA_SECTION_NODE) {
			if (n->content)
				text(o, (const char *)n->content);
			continue;
		}
		if (n->type != XML_ELEMENT_NODE || name == NULL)
			continue;
		if (in_list(name, skip_tags) || depth > MAX_DEPTH)
			continue;
		if (strcasecmp(name, "br") == 0) {
			/* consecutive <br> each count, up to an empty line */
			if (o->b.len && o->nl < 2)
				o->nl++;
			continue;
		}
		if (strcasecmp(name, "td") == 0 ||
		    strcasecmp(name, "th") == 0) {
			o->space = true;
			walk(o, n->children, depth + 1);
			o->space = true;
			continue;
		}
		para = in_list(name, para_tags);
		block = para || in_list(name, block_tags);
		if (block)
			need_break(o, para ? 2 : 1);
		if (strcasecmp(name, "li") == 0) {
			start_text(o);
			buf_puts(&o->b, "- ");
		}
		if (strcasecmp(name, "blockquote") == 0)
			o->quote++;
		if (strcasecmp(name, "pre") == 0)
			o->pre++;
		if (strcasecmp(name, "img") == 0) {
			/* nothing: an image's alt text is rarely prose */
		}
		if ((o->flags & HTML_TEXT_LINKS) &&
		    strcasecmp(name, "a") == 0) {
			xmlChar *href = xmlGetProp(n, BAD_CAST "href");
			size_t start = o->b.len;

			walk(o, n->children, depth + 1);
			if (href)
				link_target(o, (const char *)href, start);
			xmlFree(href);
		} else {
			walk(o, n->children, depth + 1);
		}
		if (strcasecmp(name, "pre") == 0)
			o->pre--;
		if (strcasecmp(name, "blockquote") == 0) {
			need_break(o, 2);
			o->quote--;
		}
		if (block)
			need_break(o, para ? 2 : 1);
	}
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void
init_libxml(void)
{
	xmlInitParser();
}

/* html_init - xmlInitParser() is not safe to race in libxml2 2.9 */
void
html_init(void)
{
	pthread_once(&init_once, init_libxml);
}

/* crude - tag-stripped copy, for when libxml2 gives no document at all */
static char *
crude(const char *html, size_t len)
{
	struct buf b = BUF_INIT;
	bool tag = false;

	for (size_t i = 0; i < len; i++) {
		if (html[i] == '<')
			tag = true;
		else if (html[i] == '>')
			tag = false;
		else if (!tag && html[i] != '\0')
			buf_putc(&b, html[i]);
	}
	if (b.data == NULL)
		return xstrdup("");
	return buf_steal(&b);
}

/* html_to_text - parse UTF-8 HTML and walk it into text */
char *
html_to_text(const char *html, size_t len)
{
	htmlDocPtr doc;
	char *s;

	if (html == NULL || len == 0)
		return xstrdup("");
	if (len > INT_MAX)
		len = INT_MAX;
	html_init();
	/* the caller converted to UTF-8, so a <meta charset> must not win */
	doc = htmlReadMemory(html, (int)len, NULL, "UTF-8",
			     HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
				 HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
	if (doc == NULL)
		return crude(html, len);
	s = html_doc_to_text(doc, 0);
	xmlFreeDoc(doc);
	return s;
}

/* html_doc_to_text - the walk on a tree someone else parsed */
char *
html_doc_to_text(xmlDoc *doc, int flags)
{
	struct out o = {BUF_INIT, 0, false, 0, 0, flags};

	if (doc)
		walk(&o, xmlDocGetRootElement(doc), 0);
	if (o.b.data == NULL)
		return xstrdup("");
	return buf_steal(&o.b);
}
