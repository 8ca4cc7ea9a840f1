/*
 * tmpl - notices and digests rendered from HTML templates (SPEC.md 10).
 *
 * A template is templates/LANG/NAME.html, a valid HTML file that reads
 * well in a browser as it is: its placeholders are data-* attributes on
 * ordinary elements, and their sample content is what the browser shows.
 *
 *   <span data-var="member_name">Alice</span>
 *	the content is replaced by the value of member_name, as text
 *   <a data-href="reply_url" href="mailto:club+r-x@example.org">...</a>
 *	data-href, data-src, data-alt, data-title, data-value fill the
 *	attribute of that name; href and src take only http:, https: and
 *	mailto: values (anything else leaves the attribute empty)
 *   <section data-if="debates"> / <p data-unless="member_name">
 *	kept only when the variable is non-empty (a list: has items) /
 *	only when it is empty or absent
 *   <li data-each="items">
 *	repeated once per item of the list "items", each copy filled with
 *	the item's variables first, then the enclosing ones; no item, no copy
 *   <title>Delivery paused for {{member_address}}</title>
 *	<title> cannot hold elements, so it alone takes {{name}}; its filled
 *	text, white space collapsed, is the subject
 *
 * An absent variable is empty.  The renderer's data-* attributes are
 * removed from the output; other attributes are left alone.  Values
 * become text nodes or attribute values in the tree, so libxml2 escapes
 * them when it serializes: a value is never markup.
 *
 * Lookup: templates_local/LANG, templates/LANG, templates_local/en,
 * templates/en, the first NAME.html found wins; only a missing file moves
 * on, so an unreadable override is an error, not a silent fallback.
 *
 * Errors are returned, never logged: int + error_r (caller frees).
 * tmpl_render reads and parses the file on each call; a tmpl_set (below)
 * parses each template once for many renders.
 */
#ifndef MLISTD_TMPL_H
#define MLISTD_TMPL_H

#include <stddef.h>

/* a template larger than this is refused, as is one nested deeper than
   TMPL_MAX_DEPTH elements or whose data-each copies exceed TMPL_MAX_NODES
   nodes in all */
#define TMPL_MAX_SIZE (1024 * 1024)
#define TMPL_MAX_DEPTH 256
#define TMPL_MAX_NODES 1000000

/* where templates live; local may be NULL or "" (no overrides) */
struct tmpl_dirs {
	const char *local;   /* templates_local, searched first */
	const char *shipped; /* templates */
};

struct tmpl_vars;

/* tmpl_vars_new - an empty variables set; free it with tmpl_vars_free */
struct tmpl_vars *tmpl_vars_new(void);
/* tmpl_vars_free - free v with its lists and NULL the caller's pointer;
   only for sets from tmpl_vars_new(), not list items */
void tmpl_vars_free(struct tmpl_vars **v);

/* tmpl_vars_set - name = value (copied), replacing an earlier value;
   value NULL unsets */
void tmpl_vars_set(struct tmpl_vars *v, const char *name, const char *value);
/* tmpl_vars_setf - name = printf(fmt, ...) */
void tmpl_vars_setf(struct tmpl_vars *v, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* tmpl_vars_get - the value of name in v itself, or NULL; borrowed until
   name is set again or v is freed */
const char *tmpl_vars_get(const struct tmpl_vars *v, const char *name);

/* tmpl_vars_list_add - append an item to the list name (created on first
   use) and return it to be filled; the item belongs to v.  While an item
   is rendered, a name it lacks is looked up in the enclosing items, then
   in the top set. */
struct tmpl_vars *tmpl_vars_list_add(struct tmpl_vars *v, const char *name);
/* tmpl_vars_list_len - items in the list name of v, 0 if there is none */
size_t tmpl_vars_list_len(const struct tmpl_vars *v, const char *name);

/* tmpl_render - fill template name in language lang (NULL: en) with v.
   On success returns 0 and sets *html_r (a complete UTF-8 HTML document),
   *text_r (its plain-text rendering, links as "text <url>") and
   *subject_r (the filled <title>, one line), all caller-freed; any of the
   three may be NULL if unwanted.  On failure returns -1 and sets *error_r
   (caller frees), naming the file or the directories searched. */
int tmpl_render(const struct tmpl_dirs *dirs, const char *lang,
		const char *name, const struct tmpl_vars *v, char **html_r,
		char **text_r, char **subject_r, char **error_r);

/* A set keeps each template it has parsed, so a run rendering thousands
   of issues reads and parses the file once and fills a copy of the tree
   each time.  Lookup is tmpl_render's, done at first use: a file changed
   or added later is not seen by that set.  One thread at a time. */
struct tmpl_set;

/* tmpl_set_new - an empty set over dirs (copied); free with tmpl_set_free */
struct tmpl_set *tmpl_set_new(const struct tmpl_dirs *dirs);
/* tmpl_set_free - free s with its parsed templates, NULL the pointer */
void tmpl_set_free(struct tmpl_set **s);
/* tmpl_set_render - tmpl_render with the templates of s, each read and
   parsed on its first use (a failure is not kept: it is reported again
   on the next call) */
int tmpl_set_render(struct tmpl_set *s, const char *lang, const char *name,
		    const struct tmpl_vars *v, char **html_r, char **text_r,
		    char **subject_r, char **error_r);

#endif
