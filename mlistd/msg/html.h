/*
 * html - HTML to readable plain text, for HTML-only mail (SPEC 5).
 *
 * The only libxml2 user: the HTML parser in recover mode turns whatever it
 * is given into a tree, which is walked into text lines.
 */
#ifndef MLISTD_HTML_H
#define MLISTD_HTML_H

#include <stddef.h>

/* html_to_text - UTF-8 text of len bytes of UTF-8 HTML; never NULL, caller
   frees.  Blocks give line breaks, list items "- ", blockquotes "> ". */
char *html_to_text(const char *html, size_t len);

#endif
