/*
 * tmpl - notices and digests rendered from HTML templates (SPEC.md 10).
 *
 * Entry points: the tmpl_vars_* set the caller fills, and tmpl_render(),
 * which finds LANG/NAME.html (local overrides first, English as the per-
 * file fallback), parses it with libxml2's HTML parser, fills the tree in
 * place, and returns the serialized HTML, the text part (html.c's walk on
 * the same tree) and the subject (the filled <title>).
 *
 * Part of the HTML layer with html.c: the only other file that touches
 * libxml2.  Values enter the tree only as text nodes and attribute values,
 * never as markup, so escaping is libxml2's serializer's job and cannot be
 * forgotten by a template.
 *
 * Templates are admin-supplied files: they are read with a size cap,
 * refused beyond TMPL_MAX_DEPTH nesting before any recursive step runs,
 * and names or languages that could leave the template directories are
 * refused.  Diagnostics are returned in error_r and name the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/HTMLparser.h>
#include <libxml/HTMLtree.h>
#include <libxml/tree.h>
#include <libxml/xmlIO.h>

#include "buf.h"
#include "html_doc.h"
#include "tmpl.h"
#include "xalloc.h"

struct tmpl_var {
	char *name;
	char *value;		  /* NULL: not set (may still be a list) */
	struct tmpl_vars **items; /* the list of that name, owned */
	size_t nitems;
};

struct tmpl_vars {
	struct tmpl_var *vars;
	size_t n;
};

/* the variables visible while rendering: an item, then what encloses it */
struct tmpl_scope {
	const struct tmpl_vars *v;
	const struct tmpl_scope *up;
};

struct tmpl_ctx {
	xmlDoc *doc;
	const char *path;
	char *error;
	size_t nodes; /* copied by data-each so far */
};

/* attributes data-NAME fills; the URL ones only with a safe scheme */
static const struct {
	const char *data, *attr;
	bool url;
} tmpl_fills[] = {
    {"data-href", "href", true},    {"data-src", "src", true},
    {"data-alt", "alt", false},	    {"data-title", "title", false},
    {"data-value", "value", false},
};

/* tmpl_vars_new - an empty set */
struct tmpl_vars *
tmpl_vars_new(void)
{
	return xcalloc(1, sizeof(struct tmpl_vars));
}

/* tmpl_vars_destroy - free a set and everything below it */
static void
tmpl_vars_destroy(struct tmpl_vars *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->n; i++) {
		for (size_t j = 0; j < v->vars[i].nitems; j++)
			tmpl_vars_destroy(v->vars[i].items[j]);
		free(v->vars[i].items);
		free(v->vars[i].name);
		free(v->vars[i].value);
	}
	free(v->vars);
	free(v);
}

/* tmpl_vars_free - free a top set, NULL the caller's pointer */
void
tmpl_vars_free(struct tmpl_vars **v)
{
	tmpl_vars_destroy(*v);
	*v = NULL;
}

/* tmpl_vars_find - the entry name in v itself, or NULL */
static struct tmpl_var *
tmpl_vars_find(const struct tmpl_vars *v, const char *name)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->vars[i].name, name) == 0)
			return &v->vars[i];
	return NULL;
}

/* tmpl_vars_entry - the entry name in v, created if missing */
static struct tmpl_var *
tmpl_vars_entry(struct tmpl_vars *v, const char *name)
{
	struct tmpl_var *e = tmpl_vars_find(v, name);

	if (e)
		return e;
	/* sets hold a handful of names: grow one at a time */
	v->vars = xrealloc(v->vars, (v->n + 1) * sizeof(*v->vars));
	e = &v->vars[v->n++];
	memset(e, 0, sizeof(*e));
	e->name = xstrdup(name);
	return e;
}

/* tmpl_vars_set - set or unset one value */
void
tmpl_vars_set(struct tmpl_vars *v, const char *name, const char *value)
{
	struct tmpl_var *e = tmpl_vars_entry(v, name);

	free(e->value);
	e->value = value ? xstrdup(value) : NULL;
}

/* tmpl_vars_setf - set a formatted value */
void
tmpl_vars_setf(struct tmpl_vars *v, const char *name, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	tmpl_vars_set(v, name, buf_cstr(&b));
	buf_free(&b);
}

/* tmpl_vars_get - a value of v itself */
const char *
tmpl_vars_get(const struct tmpl_vars *v, const char *name)
{
	const struct tmpl_var *e = tmpl_vars_find(v, name);

	return e ? e->value : NULL;
}

/* tmpl_vars_list_add - a new item at the end of list name */
struct tmpl_vars *
tmpl_vars_list_add(struct tmpl_vars *v, const char *name)
{
	struct tmpl_var *e = tmpl_vars_entry(v, name);

	e->items = xrealloc(e->items, (e->nitems + 1) * sizeof(*e->items));
	e->items[e->nitems] = tmpl_vars_new();
	return e->items[e->nitems++];
}

/* tmpl_vars_list_len - how many items list name has */
size_t
tmpl_vars_list_len(const struct tmpl_vars *v, const char *name)
{
	const struct tmpl_var *e = tmpl_vars_find(v, name);

	return e ? e->nitems : 0;
}

/* tmpl_lookup - the innermost entry called name, or NULL */
static const struct tmpl_var *
tmpl_lookup(const struct tmpl_scope *s, const char *name)
{
	const struct tmpl_var *e;

	for (; s; s = s->up)
		if ((e = tmpl_vars_find(s->v, name)) != NULL)
			return e;
	return NULL;
}

/* tmpl_value - the value of name in scope, "" when absent */
static const char *
tmpl_value(const struct tmpl_scope *s, const char *name)
{
	const struct tmpl_var *e = tmpl_lookup(s, name);

	return e && e->value ? e->value : "";
}

/* tmpl_true - what data-if tests: a non-empty value or a non-empty list */
static bool
tmpl_true(const struct tmpl_scope *s, const char *name)
{
	const struct tmpl_var *e = tmpl_lookup(s, name);

	return e && ((e->value && *e->value) || e->nitems > 0);
}

/* tmpl_fail - keep the first error, naming the file */
static int
tmpl_fail(struct tmpl_ctx *c, const char *what)
{
	if (c->error == NULL)
		c->error = xasprintf("%s: %s", c->path, what);
	return -1;
}

/* tmpl_take_attr - an attribute's value (caller frees), removed from n;
   NULL if n has none */
static char *
tmpl_take_attr(xmlNode *n, const char *name)
{
	xmlAttr *a = xmlHasProp(n, BAD_CAST name);
	xmlChar *v;
	char *s;

	if (a == NULL)
		return NULL;
	v = xmlNodeGetContent((xmlNode *)a);
	s = xstrdup(v ? (const char *)v : "");
	xmlFree(v);
	xmlRemoveProp(a);
	return s;
}

/* tmpl_clear - drop every child of n */
static void
tmpl_clear(xmlNode *n)
{
	xmlNode *k;

	while ((k = n->children) != NULL) {
		xmlUnlinkNode(k);
		xmlFreeNode(k);
	}
}

/* tmpl_set_text - n's content becomes the text s; a text node, so the
   serializer escapes it and it is never read as markup */
static void
tmpl_set_text(struct tmpl_ctx *c, xmlNode *n, const char *s)
{
	tmpl_clear(n);
	xmlAddChild(n, xmlNewDocText(c->doc, BAD_CAST s));
}

/* tmpl_remove - take n out of the tree and free it */
static void
tmpl_remove(xmlNode *n)
{
	xmlUnlinkNode(n);
	xmlFreeNode(n);
}

/* tmpl_safe_url - whether a value may go into href or src: a javascript:
   or data: URL would be code, however well escaped */
static bool
tmpl_safe_url(const char *u)
{
	return strncasecmp(u, "http://", 7) == 0 ||
	       strncasecmp(u, "https://", 8) == 0 ||
	       strncasecmp(u, "mailto:", 7) == 0;
}

/* tmpl_interpolate - s with each {{name}} replaced by its value; values
   are copied as they are and never scanned again */
static char *
tmpl_interpolate(const struct tmpl_scope *s, const char *in)
{
	struct buf b = BUF_INIT;
	const char *p = in, *open, *close;

	while ((open = strstr(p, "{{")) != NULL &&
	       (close = strstr(open + 2, "}}")) != NULL) {
		const char *n = open + 2, *e = close;
		char name[64];

		while (n < e && *n == ' ')
			n++;
		while (e > n && e[-1] == ' ')
			e--;
		buf_append(&b, p, (size_t)(open - p));
		if (e > n && (size_t)(e - n) < sizeof(name)) {
			memcpy(name, n, (size_t)(e - n));
			name[e - n] = '\0';
			buf_puts(&b, tmpl_value(s, name));
		} else {
			/* not a name we could have: leave it visible */
			buf_append(&b, open, (size_t)(close + 2 - open));
		}
		p = close + 2;
	}
	buf_puts(&b, p);
	if (b.data == NULL)
		return xstrdup("");
	return buf_steal(&b);
}

static int tmpl_fill_node(struct tmpl_ctx *c, xmlNode *n,
			  const struct tmpl_scope *s, int depth);

/* tmpl_fill_children - fill every element child of n; a child may vanish
   or be multiplied, so the next one is found before */
static int
tmpl_fill_children(struct tmpl_ctx *c, xmlNode *n, const struct tmpl_scope *s,
		   int depth)
{
	xmlNode *k, *next;

	for (k = n->children; k; k = next) {
		next = k->next;
		if (k->type == XML_ELEMENT_NODE &&
		    tmpl_fill_node(c, k, s, depth) < 0)
			return -1;
	}
	return 0;
}

/* tmpl_fill_element - one element and its subtree, data-each done */
static int
tmpl_fill_element(struct tmpl_ctx *c, xmlNode *n, const struct tmpl_scope *s,
		  int depth)
{
	char *a;
	bool keep = true;

	if ((a = tmpl_take_attr(n, "data-if")) != NULL) {
		keep = tmpl_true(s, a);
		free(a);
	}
	if ((a = tmpl_take_attr(n, "data-unless")) != NULL) {
		keep = keep && !tmpl_true(s, a);
		free(a);
	}
	if (!keep) {
		tmpl_remove(n);
		return 0;
	}
	for (size_t i = 0; i < sizeof(tmpl_fills) / sizeof(tmpl_fills[0]);
	     i++) {
		const char *val;

		if ((a = tmpl_take_attr(n, tmpl_fills[i].data)) == NULL)
			continue;
		val = tmpl_value(s, a);
		if (tmpl_fills[i].url && !tmpl_safe_url(val))
			val = "";
		xmlSetProp(n, BAD_CAST tmpl_fills[i].attr, BAD_CAST val);
		free(a);
	}
	if ((a = tmpl_take_attr(n, "data-var")) != NULL) {
		tmpl_set_text(c, n, tmpl_value(s, a));
		free(a);
		return 0;
	}
	if (n->name && strcasecmp((const char *)n->name, "title") == 0) {
		/* a title holds text only: its placeholders are {{name}} */
		xmlChar *t = xmlNodeGetContent(n);
		char *filled = tmpl_interpolate(s, t ? (const char *)t : "");

		tmpl_set_text(c, n, filled);
		free(filled);
		xmlFree(t);
		return 0;
	}
	return tmpl_fill_children(c, n, s, depth + 1);
}

/* tmpl_size - nodes in n's subtree; iterative, like tmpl_depth_ok */
static size_t
tmpl_size(xmlNode *n)
{
	xmlNode *top = n;
	size_t count = 0;

	while (n) {
		count++;
		if (n->type == XML_ELEMENT_NODE && n->children) {
			n = n->children;
			continue;
		}
		while (n != top && n->next == NULL)
			n = n->parent;
		if (n == top)
			break;
		n = n->next;
	}
	return count;
}

/* tmpl_fill_node - one element: copies for data-each, else filled */
static int
tmpl_fill_node(struct tmpl_ctx *c, xmlNode *n, const struct tmpl_scope *s,
	       int depth)
{
	const struct tmpl_var *list;
	char *each;
	size_t size;

	if (depth > TMPL_MAX_DEPTH)
		return tmpl_fail(c, "nested too deeply");
	if ((each = tmpl_take_attr(n, "data-each")) == NULL)
		return tmpl_fill_element(c, n, s, depth);
	list = tmpl_lookup(s, each);
	free(each);
	size = list && list->nitems ? tmpl_size(n) : 0;
	for (size_t i = 0; list && i < list->nitems; i++) {
		struct tmpl_scope item = {list->items[i], s};
		xmlNode *copy;

		/* nested data-each on the same list multiply: a template of
		   30 of them would otherwise expand to 2^30 copies */
		if ((c->nodes += size) > TMPL_MAX_NODES)
			return tmpl_fail(c, "expands to too many elements");
		if ((copy = xmlDocCopyNode(n, c->doc, 1)) == NULL)
			return tmpl_fail(c, "out of memory copying an item");
		xmlAddPrevSibling(n, copy);
		if (tmpl_fill_element(c, copy, &item, depth) < 0)
			return -1;
	}
	tmpl_remove(n);
	return 0;
}

/* tmpl_depth_ok - whether no element is nested deeper than the limit;
   iterative, since the tree is what we do not trust yet */
static bool
tmpl_depth_ok(xmlNode *root)
{
	xmlNode *n = root;
	int depth = 0;

	while (n) {
		if (n->type == XML_ELEMENT_NODE && n->children) {
			if (++depth > TMPL_MAX_DEPTH)
				return false;
			n = n->children;
			continue;
		}
		while (n != root && n->next == NULL) {
			n = n->parent;
			depth--;
		}
		if (n == root)
			return true;
		n = n->next;
	}
	return true;
}

/* tmpl_find_title - <title>, in <head> or at the top */
static xmlNode *
tmpl_find_title(xmlDoc *doc)
{
	xmlNode *root = xmlDocGetRootElement(doc), *k, *h;

	for (k = root ? root->children : NULL; k; k = k->next) {
		if (k->type != XML_ELEMENT_NODE)
			continue;
		if (strcasecmp((const char *)k->name, "title") == 0)
			return k;
		if (strcasecmp((const char *)k->name, "head") != 0)
			continue;
		for (h = k->children; h; h = h->next)
			if (h->type == XML_ELEMENT_NODE &&
			    strcasecmp((const char *)h->name, "title") == 0)
				return h;
	}
	return NULL;
}

/* tmpl_subject - the title's text on one line: every run of white space
   or control characters becomes one space, so a value cannot start a
   header of its own */
static char *
tmpl_subject(xmlNode *title)
{
	xmlChar *t = xmlNodeGetContent(title);
	struct buf b = BUF_INIT;
	bool space = false;

	for (const unsigned char *p = t ? t : BAD_CAST ""; *p; p++) {
		if (*p <= ' ' || *p == 0x7f) {
			space = b.len > 0;
			continue;
		}
		if (space)
			buf_putc(&b, ' ');
		space = false;
		buf_putc(&b, (char)*p);
	}
	xmlFree(t);
	if (b.data == NULL)
		return xstrdup("");
	return buf_steal(&b);
}

/* tmpl_valid_part - lang and name become path components: letters,
   digits, "-" and "_" only, so nothing can climb out of a directory */
static bool
tmpl_valid_part(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max || s[0] == '-')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return false;
	return true;
}

/* tmpl_read - the file at path: 1 read, 0 absent, -1 error (error_r) */
static int
tmpl_read(const char *path, struct buf *b, char **error_r)
{
	struct stat st;
	char chunk[8192];
	ssize_t r;
	int fd;

	/* O_NONBLOCK: a FIFO planted as a template must not hang us */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		*error_r = xasprintf("%s: not a regular file", path);
		close(fd);
		return -1;
	}
	for (;;) {
		r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		buf_append(b, chunk, (size_t)r);
		if (b->len > TMPL_MAX_SIZE) {
			*error_r = xasprintf("%s: larger than %d bytes", path,
					     TMPL_MAX_SIZE);
			close(fd);
			return -1;
		}
	}
	if (r < 0) {
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 1;
}

/* tmpl_find - read the first of the four candidates that exists */
static int
tmpl_find(const struct tmpl_dirs *dirs, const char *lang, const char *name,
	  struct buf *b, char **path_r, char **error_r)
{
	const char *langs[2] = {lang, "en"};
	const char *roots[2] = {dirs->local, dirs->shipped};
	struct buf tried = BUF_INIT;

	for (int l = 0; l < 2; l++) {
		if (l == 1 && strcmp(lang, "en") == 0)
			break;
		for (int r = 0; r < 2; r++) {
			char *path;
			int found;

			if (roots[r] == NULL || *roots[r] == '\0')
				continue;
			path = xasprintf("%s/%s/%s.html", roots[r], langs[l],
					 name);
			found = tmpl_read(path, b, error_r);
			if (found != 0) {
				buf_free(&tried);
				if (found > 0)
					*path_r = path;
				else
					free(path);
				return found > 0 ? 0 : -1;
			}
			buf_printf(&tried, "%s%s", tried.len ? ", " : "", path);
			free(path);
		}
	}
	*error_r =
	    xasprintf("template %s.html not found: %s", name,
		      tried.len ? buf_cstr(&tried) : "no template directory");
	buf_free(&tried);
	return -1;
}

/* tmpl_serialize - the document as UTF-8 HTML; the serializer escapes
   text and attribute values, and leaves non-ASCII alone */
static char *
tmpl_serialize(xmlDoc *doc)
{
	xmlOutputBuffer *out = xmlAllocOutputBuffer(NULL);
	const xmlChar *content;
	char *s;

	if (out == NULL)
		return NULL;
	htmlDocContentDumpFormatOutput(out, doc, "UTF-8", 0);
	xmlOutputBufferFlush(out);
	content = xmlOutputBufferGetContent(out);
	s = content
		? xstrndup((const char *)content, xmlOutputBufferGetSize(out))
		: NULL;
	xmlOutputBufferClose(out);
	return s;
}

/* one template as parsed: the tree each render copies and fills */
struct tmpl_parsed {
	char *lang, *name; /* as asked, so a fallback file is found once */
	char *path;
	xmlDoc *doc;
};

struct tmpl_set {
	char *local, *shipped;
	struct tmpl_parsed *t;
	size_t n;
};

/* tmpl_set_new - an empty set reading from dirs (copied) */
struct tmpl_set *
tmpl_set_new(const struct tmpl_dirs *dirs)
{
	struct tmpl_set *s = xcalloc(1, sizeof(*s));

	s->local = dirs->local ? xstrdup(dirs->local) : NULL;
	s->shipped = dirs->shipped ? xstrdup(dirs->shipped) : NULL;
	return s;
}

/* tmpl_set_free - free the parsed trees and the set */
void
tmpl_set_free(struct tmpl_set **set)
{
	struct tmpl_set *s = *set;

	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++) {
		xmlFreeDoc(s->t[i].doc);
		free(s->t[i].lang);
		free(s->t[i].name);
		free(s->t[i].path);
	}
	free(s->t);
	free(s->local);
	free(s->shipped);
	free(s);
	*set = NULL;
}

/* tmpl_parse - find, read and parse lang/name, checked as a tree we do
   not trust yet; NULL with *error_r */
static xmlDoc *
tmpl_parse(const struct tmpl_dirs *dirs, const char *lang, const char *name,
	   char **path_r, char **error_r)
{
	struct buf b = BUF_INIT;
	xmlDoc *doc;
	xmlNode *root;

	if (tmpl_find(dirs, lang, name, &b, path_r, error_r) < 0) {
		buf_free(&b); /* what a refused file left there */
		return NULL;
	}
	html_init();
	/* the file is UTF-8 by rule (README.md), so no <meta> may say
	   otherwise; NONET: no fetching anything a template points at */
	doc = htmlReadMemory(buf_cstr(&b), (int)b.len, NULL, "UTF-8",
			     HTML_PARSE_NONET | HTML_PARSE_NOERROR |
				 HTML_PARSE_NOWARNING);
	buf_free(&b);
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (root == NULL || !tmpl_depth_ok(root)) {
		*error_r = xasprintf("%s: %s", *path_r,
				     root ? "nested too deeply"
					  : "not an HTML document");
		if (doc)
			xmlFreeDoc(doc);
		free(*path_r);
		*path_r = NULL;
		return NULL;
	}
	return doc;
}

/* tmpl_set_get - lang/name from s, parsed on first use; a failure is
   not kept, so the next call reports it again */
static const struct tmpl_parsed *
tmpl_set_get(struct tmpl_set *s, const char *lang, const char *name,
	     char **error_r)
{
	struct tmpl_dirs dirs = {s->local, s->shipped};
	struct tmpl_parsed p = {NULL, NULL, NULL, NULL};

	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->t[i].lang, lang) == 0 &&
		    strcmp(s->t[i].name, name) == 0)
			return &s->t[i];
	if ((p.doc = tmpl_parse(&dirs, lang, name, &p.path, error_r)) == NULL)
		return NULL;
	p.lang = xstrdup(lang);
	p.name = xstrdup(name);
	/* a run uses a template or two: grow one at a time */
	s->t = xrealloc(s->t, (s->n + 1) * sizeof(*s->t));
	s->t[s->n] = p;
	return &s->t[s->n++];
}

/* tmpl_set_render - copy the parsed tree, fill, serialize */
int
tmpl_set_render(struct tmpl_set *s, const char *lang, const char *name,
		const struct tmpl_vars *v, char **html_r, char **text_r,
		char **subject_r, char **error_r)
{
	struct tmpl_ctx c = {NULL, NULL, NULL, 0};
	struct tmpl_scope top = {v, NULL};
	struct tmpl_vars *none = NULL;
	const struct tmpl_parsed *p;
	char *html = NULL, *subject = NULL;
	xmlNode *title;
	int ret = -1;

	if (lang == NULL || *lang == '\0')
		lang = "en";
	if (!tmpl_valid_part(lang, 16)) {
		*error_r = xasprintf("invalid template language \"%s\"", lang);
		return -1;
	}
	if (name == NULL || !tmpl_valid_part(name, 64)) {
		*error_r = xasprintf("invalid template name \"%s\"",
				     name ? name : "(null)");
		return -1;
	}
	if ((p = tmpl_set_get(s, lang, name, error_r)) == NULL)
		return -1;
	c.path = p->path;
	if (v == NULL)
		top.v = none = tmpl_vars_new();
	/* filling edits the tree in place: the parsed one stays pristine */
	if ((c.doc = xmlCopyDoc(p->doc, 1)) == NULL) {
		tmpl_fail(&c, "out of memory copying the template");
		goto out;
	}
	if (tmpl_fill_node(&c, xmlDocGetRootElement(c.doc), &top, 0) < 0)
		goto out;
	if ((title = tmpl_find_title(c.doc)) == NULL) {
		tmpl_fail(&c, "no <title>, which gives the subject");
		goto out;
	}
	subject = tmpl_subject(title);
	if ((html = tmpl_serialize(c.doc)) == NULL) {
		tmpl_fail(&c, "cannot serialize");
		goto out;
	}
	if (text_r)
		*text_r = html_doc_to_text(c.doc, HTML_TEXT_LINKS);
	if (html_r) {
		*html_r = html;
		html = NULL;
	}
	if (subject_r) {
		*subject_r = subject;
		subject = NULL;
	}
	ret = 0;
out:
	if (ret < 0)
		*error_r = c.error;
	if (c.doc)
		xmlFreeDoc(c.doc);
	tmpl_vars_free(&none);
	free(html);
	free(subject);
	return ret;
}

/* tmpl_render - a one-template set, used once */
int
tmpl_render(const struct tmpl_dirs *dirs, const char *lang, const char *name,
	    const struct tmpl_vars *v, char **html_r, char **text_r,
	    char **subject_r, char **error_r)
{
	struct tmpl_set *s = tmpl_set_new(dirs);
	int ret = tmpl_set_render(s, lang, name, v, html_r, text_r, subject_r,
				  error_r);

	tmpl_set_free(&s);
	return ret;
}
