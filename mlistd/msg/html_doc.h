/*
 * html_doc - the HTML layer's internal entry points on a parsed tree.
 *
 * Only html.c and tmpl.c include this header: it names libxml2 types,
 * which must not reach the rest of mlistd (STYLE.md 7.3).  tmpl.c fills a
 * template's tree and has it turned into the text part here, so there is
 * one HTML-to-text walk, not two.
 */
#ifndef MLISTD_HTML_DOC_H
#define MLISTD_HTML_DOC_H

#include <libxml/tree.h>

/* html_doc_to_text flags */
#define HTML_TEXT_LINKS 0x1 /* a link reads "text <url>", mailto: dropped */

/* html_init - initialize libxml2 once per process; thread-safe */
void html_init(void);

/* html_doc_to_text - the text of doc's root element, as html_to_text()
   writes it; never NULL, caller frees; doc is not changed */
char *html_doc_to_text(xmlDoc *doc, int flags);

#endif
