/*
 * test-tmpl - tmpl_render(): placeholders, escaping, lookup order and
 * fallback, errors, the shipped templates, and hostile template files.
 *
 * Synthetic templates are written to a fresh temporary directory; the
 * shipped ones are read from TEMPLATES_DIR (the source tree's templates/,
 * so distcheck's read-only copy works).
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "tap.h"
#include "tmpl.h"
#include "xalloc.h"

#ifndef TEMPLATES_DIR
#error TEMPLATES_DIR must name the templates directory of the source tree
#endif

static char root[4096];

/* put - write a file under root, creating its directory */
static void
put(const char *rel, const char *data, size_t len)
{
	char path[4200], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	slash = strrchr(path, '/');
	*slash = '\0';
	mkdir(path, 0700);
	*slash = '/';
	f = fopen(path, "w");
	if (f == NULL) {
		perror(path);
		exit(1);
	}
	fwrite(data, 1, len, f);
	fclose(f);
}

/* page - a minimal template around a title and a body */
static char *
page(const char *title, const char *body)
{
	return xasprintf("<!DOCTYPE html>\n<html lang=\"en\"><head>"
			 "<meta charset=\"utf-8\"><title>%s</title></head>"
			 "<body>%s</body></html>\n",
			 title, body);
}

static void
put_page(const char *rel, const char *title, const char *body)
{
	char *s = page(title, body);

	put(rel, s, strlen(s));
	free(s);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* render - tmpl_render() with rc, all outputs; error freed by caller */
static int
render(const struct tmpl_dirs *d, const char *lang, const char *name,
       const struct tmpl_vars *v, char **html, char **text, char **subject,
       char **error)
{
	*html = *text = *subject = *error = NULL;
	return tmpl_render(d, lang, name, v, html, text, subject, error);
}

static void
free4(char *a, char *b, char *c, char *d)
{
	free(a);
	free(b);
	free(c);
	free(d);
}

/* diag - show a rendering as TAP comments, for whoever reads the log */
static void
diag(const char *lang, const char *name, const char *subject, const char *text)
{
	printf("# --- %s/%s\n# Subject: %s\n# ", lang, name, subject);
	for (const char *p = text; *p; p++)
		fputs(*p == '\n' ? "\n# " : (char[2]){*p, 0}, stdout);
	printf("\n");
}

/* the variables every table case sees */
static struct tmpl_vars *
case_vars(void)
{
	struct tmpl_vars *v = tmpl_vars_new(), *it, *sec;

	tmpl_vars_set(v, "name", "Alice");
	tmpl_vars_set(v, "evil", "<script>alert(1)</script>");
	tmpl_vars_set(v, "quote", "\"><img src=x onerror=alert(1)>");
	tmpl_vars_set(v, "both", "' onmouseover='x' \"");
	tmpl_vars_set(v, "url", "https://example.org/r?a=1&b=2");
	tmpl_vars_set(v, "url_evil", "https://example.org/\"><img src=x>");
	tmpl_vars_set(v, "mail",
		      "mailto:acme+r-k@lists.example.org?subject=Re");
	tmpl_vars_set(v, "bad", "javascript:alert(1)");
	tmpl_vars_set(v, "empty", "");
	tmpl_vars_set(v, "crlf", "a\r\nBcc: x@y");
	tmpl_vars_set(v, "brace", "{{name}}");
	tmpl_vars_setf(v, "count", "%d items", 2);
	tmpl_vars_set(v, "gone", "x");
	tmpl_vars_set(v, "gone", NULL);
	it = tmpl_vars_list_add(v, "items");
	tmpl_vars_set(it, "item", "one");
	tmpl_vars_set(it, "extra", "yes");
	it = tmpl_vars_list_add(v, "items");
	tmpl_vars_set(it, "item", "two");
	sec = tmpl_vars_list_add(v, "sections");
	tmpl_vars_set(sec, "title", "S1");
	tmpl_vars_set(tmpl_vars_list_add(sec, "entries"), "entry", "e1");
	tmpl_vars_set(tmpl_vars_list_add(sec, "entries"), "entry", "e2");
	sec = tmpl_vars_list_add(v, "sections");
	tmpl_vars_set(sec, "title", "S2");
	tmpl_vars_set(tmpl_vars_list_add(sec, "entries"), "entry", "e3");
	return v;
}

static void
test_vars(void)
{
	struct tmpl_vars *v = case_vars();

	is_str(tmpl_vars_get(v, "name"), "Alice", "vars: get");
	is_str(tmpl_vars_get(v, "count"), "2 items", "vars: setf");
	ok(tmpl_vars_get(v, "gone") == NULL, "vars: set NULL unsets");
	ok(tmpl_vars_get(v, "nothing") == NULL, "vars: absent is NULL");
	is_int(tmpl_vars_list_len(v, "items"), 2, "vars: list length");
	is_int(tmpl_vars_list_len(v, "nothing"), 0, "vars: absent list");
	tmpl_vars_free(&v);
	ok(v == NULL, "vars: free NULLs the pointer");
}

static void
test_cases(const struct tmpl_dirs *d)
{
	static const struct {
		const char *name, *title, *body;
		const char *html_has, *html_not, *text, *subject;
	} t[] = {
	    {"var", "T", "<p>Hi <span data-var=\"name\">Bob</span>!</p>",
	     "<span>Alice</span>", "Bob", "Hi Alice!", "T"},
	    {"var escaped", "T", "<p data-var=\"evil\">x</p>",
	     "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>", "<script",
	     "<script>alert(1)</script>", "T"},
	    {"attribute escaped", "T",
	     "<p data-title=\"quote\" data-alt=\"both\">x</p>",
	     "alt=\"' onmouseover='x' &quot;\"", "<img", "x", "T"},
	    {"attribute quote escaped", "T", "<p data-title=\"quote\">x</p>",
	     "title='\"&gt;&lt;img src=x onerror=alert(1)&gt;'", "<img", "x",
	     "T"},
	    {"url escaped", "T", "<a data-href=\"url_evil\" href=\"#\">x</a>",
	     "href=\"https://example.org/%22&gt;&lt;img%20src=x&gt;\"", "<img",
	     NULL, "T"},
	    {"url filled", "T",
	     "<p>See <a data-href=\"url\" href=\"https://old/\">the site</a>"
	     ".</p>",
	     "<a href=\"https://example.org/r?a=1&amp;b=2\">the site</a>",
	     "old", "See the site <https://example.org/r?a=1&b=2>.", "T"},
	    {"mailto link in text", "T",
	     "<p>Reply: <a data-href=\"mail\" href=\"mailto:x@y\">here</a>"
	     "</p>",
	     "href=\"mailto:acme+r-k@lists.example.org?subject=Re\"", "x@y",
	     "Reply: here <acme+r-k@lists.example.org>", "T"},
	    {"link text is the address", "T",
	     "<p><a data-href=\"mail\" href=\"mailto:x@y\">"
	     "acme+r-k@lists.example.org</a></p>",
	     NULL, NULL, "acme+r-k@lists.example.org", "T"},
	    {"unsafe url dropped", "T",
	     "<a data-href=\"bad\" href=\"https://ok/\">x</a>", "href=\"\"",
	     "javascript", "x", "T"},
	    {"data-if and data-unless", "T",
	     "<p data-if=\"name\">A</p><p data-if=\"empty\">B</p>"
	     "<p data-if=\"nothing\">C</p><p data-if=\"items\">D</p>"
	     "<p data-unless=\"empty\">E</p><p data-unless=\"name\">F</p>"
	     "<p data-if=\"nolist\">G</p>",
	     "<p>A</p>", "data-", "A\n\nD\n\nE", "T"},
	    {"data-each", "T",
	     "<ul><li data-each=\"items\"><span data-var=\"item\">x</span> "
	     "<span data-var=\"name\">y</span></li></ul>",
	     "<li><span>one</span> <span>Alice</span></li>", "data-each",
	     "- one Alice\n- two Alice", "T"},
	    {"data-each with data-if", "T",
	     "<ul><li data-each=\"items\" data-if=\"extra\" "
	     "data-var=\"item\">x</li></ul>",
	     "<li>one</li>", "two", "- one", "T"},
	    {"nested data-each", "T",
	     "<div data-each=\"sections\"><h2 data-var=\"title\">T</h2>"
	     "<p data-each=\"entries\" data-var=\"entry\">e</p></div>",
	     "<h2>S2</h2>", "data-", "S1\n\ne1\n\ne2\n\nS2\n\ne3", "T"},
	    {"empty list", "T",
	     "<p>a</p><ul><li data-each=\"nolist\">x</li></ul>", NULL, "<li",
	     "a", "T"},
	    {"title filled and escaped", "[{{name}}] {{ evil }} {{nothing}}x",
	     "<p>b</p>",
	     "<title>[Alice] &lt;script&gt;alert(1)&lt;/script&gt; "
	     "x</title>",
	     "{{", "b", "[Alice] <script>alert(1)</script> x"},
	    {"subject on one line", "\n  Hi\t{{crlf}}\n", "<p>b</p>", NULL,
	     NULL, "b", "Hi a Bcc: x@y"},
	    {"values not re-read", "{{brace}} {{ }} {{name", "<p>b</p>", NULL,
	     NULL, "b", "{{name}} {{ }} {{name"},
	    {"unknown data attributes kept", "T",
	     "<p data-role=\"x\" class=\"c\">b</p>",
	     "<p data-role=\"x\" class=\"c\">b</p>", NULL, "b", "T"},
	    {"UTF-8 kept", "Été", "<p>déjà &amp; &eacute;</p>",
	     "<p>déjà &amp; é</p>", NULL, "déjà & é", "Été"},
	};
	struct tmpl_vars *v = case_vars();

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *html, *text, *subject, *error, rel[64];
		int rc;

		snprintf(rel, sizeof(rel), "shipped/en/case%zu.html", i);
		put_page(rel, t[i].title, t[i].body);
		snprintf(rel, sizeof(rel), "case%zu", i);
		rc = render(d, "en", rel, v, &html, &text, &subject, &error);
		is_int(rc, 0, "%s: renders", t[i].name);
		if (rc != 0) {
			printf("#   %s\n", error);
			free4(html, text, subject, error);
			continue;
		}
		if (t[i].html_has)
			ok(strstr(html, t[i].html_has) != NULL,
			   "%s: html has %s", t[i].name, t[i].html_has);
		if (t[i].html_not)
			ok(strstr(html, t[i].html_not) == NULL,
			   "%s: html lacks %s", t[i].name, t[i].html_not);
		if (t[i].text)
			is_str(text, t[i].text, "%s: text", t[i].name);
		is_str(subject, t[i].subject, "%s: subject", t[i].name);
		if ((t[i].html_has && !strstr(html, t[i].html_has)) ||
		    (t[i].html_not && strstr(html, t[i].html_not)))
			printf("#   html: %s\n", html);
		free4(html, text, subject, error);
	}
	tmpl_vars_free(&v);
}

static void
test_lookup(const struct tmpl_dirs *d)
{
	static const struct {
		const char *lang, *name, *want, *why;
	} t[] = {
	    {"fr", "a", "shipped-fr-a", "French file used"},
	    {"fr", "b", "shipped-en-b", "French falls back to English"},
	    {"fr", "c", "local-fr-c", "local override wins"},
	    {"en", "c", "local-en-c", "local English override"},
	    {"fr", "d", "local-en-d", "local English before shipped English"},
	    {"de", "a", "shipped-en-a", "unknown language: English"},
	    {NULL, "a", "shipped-en-a", "no language: English"},
	};
	static const char *files[][2] = {
	    {"shipped/en/a.html", "shipped-en-a"},
	    {"shipped/fr/a.html", "shipped-fr-a"},
	    {"shipped/en/b.html", "shipped-en-b"},
	    {"shipped/en/c.html", "shipped-en-c"},
	    {"shipped/fr/c.html", "shipped-fr-c"},
	    {"local/fr/c.html", "local-fr-c"},
	    {"local/en/c.html", "local-en-c"},
	    {"shipped/en/d.html", "shipped-en-d"},
	    {"local/en/d.html", "local-en-d"},
	};
	char *html, *text, *subject, *error;
	struct tmpl_dirs nolocal = {NULL, d->shipped};
	char dir[4200];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		put_page(files[i][0], files[i][1], "<p>x</p>");
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = render(d, t[i].lang, t[i].name, NULL, &html, &text,
				&subject, &error);

		is_int(rc, 0, "lookup %s/%s renders", t[i].lang, t[i].name);
		is_str(subject, t[i].want, "lookup: %s", t[i].why);
		free4(html, text, subject, error);
	}
	render(&nolocal, "fr", "c", NULL, &html, &text, &subject, &error);
	is_str(subject, "shipped-fr-c", "no local directory");
	free4(html, text, subject, error);

	/* only the wanted outputs */
	error = NULL;
	ok(tmpl_render(d, "en", "a", NULL, NULL, NULL, NULL, &error) == 0,
	   "all outputs NULL");

	is_int(render(d, "fr", "missing", NULL, &html, &text, &subject, &error),
	       -1, "missing template fails");
	ok(html == NULL && text == NULL && subject == NULL,
	   "missing: no output");
	ok(error && strstr(error, "missing.html") &&
	       strstr(error, "local/fr/missing.html") &&
	       strstr(error, "shipped/en/missing.html"),
	   "missing: error names the paths: %s", error ? error : "");
	free4(html, text, subject, error);

	snprintf(dir, sizeof(dir), "%s/local/fr/e.html", root);
	mkdir(dir, 0700);
	put_page("shipped/fr/e.html", "shipped", "<p>x</p>");
	is_int(render(d, "fr", "e", NULL, &html, &text, &subject, &error), -1,
	       "unreadable override is an error, not a fallback");
	ok(error && strstr(error, dir), "it names the path: %s",
	   error ? error : "");
	free4(html, text, subject, error);

	put("shipped/en/notitle.html", "<p>no title</p>", 15);
	is_int(render(d, "en", "notitle", NULL, &html, &text, &subject, &error),
	       -1, "no <title> is an error");
	ok(error && strstr(error, "shipped/en/notitle.html") &&
	       strstr(error, "title"),
	   "it names the path: %s", error ? error : "");
	free4(html, text, subject, error);

	put("shipped/en/empty.html", "", 0);
	is_int(render(d, "en", "empty", NULL, &html, &text, &subject, &error),
	       -1, "empty file is an error");
	ok(error && strstr(error, "shipped/en/empty.html"),
	   "it names the path: %s", error ? error : "");
	free4(html, text, subject, error);

	static const char *const bad_names[][2] = {
	    {"en", "../en/a"}, {"en", "a/b"},	 {"en", ".hidden"},
	    {"en", ""},	       {"../x", "a"},	 {"en/../fr", "a"},
	    {"-x", "a"},       {"en", "a.html"},
	};
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		is_int(render(d, bad_names[i][0], bad_names[i][1], NULL, &html,
			      &text, &subject, &error),
		       -1, "refused: lang '%s' name '%s'", bad_names[i][0],
		       bad_names[i][1]);
		free4(html, text, subject, error);
	}
}

static void
test_shipped(void)
{
	static const char *const langs[] = {"en", "fr"};
	static const char *const names[] = {"bounce-probe", "bounce-suspended"};
	struct tmpl_dirs d = {NULL, TEMPLATES_DIR};
	struct tmpl_vars *full = tmpl_vars_new(), *min = tmpl_vars_new();
	struct tmpl_vars *b;

	tmpl_vars_set(full, "club_title", "Club <Test>");
	tmpl_vars_set(full, "member_address", "zoe@member.test");
	tmpl_vars_set(full, "member_name", "Zoé Durand");
	tmpl_vars_set(full, "last_error", "550 5.1.1 <zoe@member.test>: nope");
	tmpl_vars_set(full, "reply_url", "mailto:club+probe-tok@lists.test");
	tmpl_vars_set(full, "reply_address", "club+probe-tok@lists.test");
	tmpl_vars_set(full, "removal_date", "31/12/2031");
	tmpl_vars_set(full, "join_url", "mailto:club+subscribe@lists.test");
	tmpl_vars_set(full, "join_address", "club+subscribe@lists.test");
	b = tmpl_vars_list_add(full, "bounces");
	tmpl_vars_set(b, "date", "2031-12-01");
	tmpl_vars_set(b, "reason", "mailbox full");
	b = tmpl_vars_list_add(full, "bounces");
	tmpl_vars_set(b, "date", "2031-12-02");
	tmpl_vars_set(b, "reason", "user unknown");
	tmpl_vars_set(min, "club_title", "Club Min");
	tmpl_vars_set(min, "member_address", "zoe@member.test");
	tmpl_vars_set(min, "reply_url", "mailto:club+probe-tok@lists.test");
	tmpl_vars_set(min, "reply_address", "club+probe-tok@lists.test");

	for (size_t l = 0; l < 2; l++) {
		for (size_t n = 0; n < 2; n++) {
			const char *L = langs[l], *N = names[n];
			char *html, *text, *subject, *error;
			int rc;

			rc = render(&d, L, N, full, &html, &text, &subject,
				    &error);
			is_int(rc, 0, "%s/%s renders", L, N);
			if (rc) {
				printf("#   %s\n", error);
				free4(html, text, subject, error);
				continue;
			}
			ok(strstr(subject, "[Club <Test>]") &&
			       strstr(subject, "{{") == NULL,
			   "%s/%s: subject filled: %s", L, N, subject);
			ok(strstr(html, "<!DOCTYPE html>") &&
			       strstr(html, "data-") == NULL &&
			       strstr(html, "Club &lt;Test&gt;") &&
			       strstr(html, "<Test>") == NULL,
			   "%s/%s: html filled and escaped", L, N);
			ok(strstr(text, "zoe@member.test") &&
			       strstr(text, "Zoé Durand") &&
			       strstr(text, "31/12/2031") &&
			       strstr(text, "Club <Test>"),
			   "%s/%s: text has the values", L, N);
			ok(strstr(text, "example.org") == NULL &&
			       strstr(text, "Alice") == NULL &&
			       strstr(text, "2025") == NULL,
			   "%s/%s: no sample text left", L, N);
			if (n == 0)
				ok(strstr(text, "club+probe-tok@lists.test") &&
				       strstr(text, "nope"),
				   "%s/%s: reply address and error in text", L,
				   N);
			else
				ok(strstr(text, "mailbox full") &&
				       strstr(text, "user unknown") &&
				       strstr(text,
					      "club+subscribe@lists.test"),
				   "%s/%s: bounces and join address in text", L,
				   N);
			if (l == 1)
				ok(strstr(html, "lang=\"fr\"") &&
				       (n == 1 || strstr(subject, "\u202f?")),
				   "fr/%s: French, with typography", N);
			diag(L, N, subject, text);
			free4(html, text, subject, error);

			rc = render(&d, L, N, min, &html, &text, &subject,
				    &error);
			is_int(rc, 0, "%s/%s renders with few variables", L, N);
			ok(rc == 0 && strstr(text, "zoe@member.test") &&
			       strstr(text, "Alice") == NULL &&
			       strstr(text, "2025") == NULL &&
			       strstr(text, "mailbox full") == NULL,
			   "%s/%s: optional parts left out", L, N);
			free4(html, text, subject, error);
		}
	}
	tmpl_vars_free(&full);
	tmpl_vars_free(&min);
}

static void
test_hostile(const struct tmpl_dirs *d)
{
	static const struct {
		const char *name, *data;
		int rc; /* 0, -1, or 2: either */
	} t[] = {
	    {"garbage", "<<<>>>&&&;;<p<b<i data-var=", 2},
	    {"unclosed",
	     "<html><head><title>x<body><p data-each=\"items\">"
	     "<p data-if=",
	     2},
	    {"each on html",
	     "<html data-each=\"items\"><title>t</title>"
	     "<body>x</body></html>",
	     2},
	    {"if removes html",
	     "<html data-if=\"nothing\"><title>t</title>"
	     "</html>",
	     -1},
	    {"data-var on html",
	     "<html data-var=\"name\"><title>t</title>"
	     "</html>",
	     -1},
	    {"data-var in title",
	     "<title>a<span data-var=\"evil\">b</span>"
	     "</title>",
	     0},
	    {"title data-var", "<title data-var=\"evil\">b</title>", 0},
	    {"each in each, same list",
	     "<title>t</title><p data-each=\"items\"><b data-each=\"items\" "
	     "data-var=\"item\">x</b></p>",
	     0},
	    {"empty attributes",
	     "<title>t</title><p data-var data-if "
	     "data-each data-href>x</p>",
	     2},
	    {"entities",
	     "<!DOCTYPE x [<!ENTITY e \"boom\">]><title>&e;&e;"
	     "</title>",
	     2},
	    {"NUL", "<title>t</title>\0<p>x</p>", 2},
	    {"comments and cdata",
	     "<title>t</title><!-- <p data-var=\"x\"> "
	     "--><![CDATA[ x ]]><?pi x?>",
	     2},
	};
	struct tmpl_vars *v = case_vars();
	char *html, *text, *subject, *error;
	struct buf b = BUF_INIT;
	int rc;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char rel[64];
		size_t len = strlen(t[i].data);

		if (strcmp(t[i].name, "NUL") == 0)
			len += 1 + strlen(t[i].data + len + 1);
		snprintf(rel, sizeof(rel), "shipped/en/hostile%zu.html", i);
		put(rel, t[i].data, len);
		snprintf(rel, sizeof(rel), "hostile%zu", i);
		rc = render(d, "en", rel, v, &html, &text, &subject, &error);
		if (t[i].rc == 2)
			ok(rc == 0 || (rc == -1 && error), "%s: no crash (%s)",
			   t[i].name, rc ? error : "rendered");
		else
			is_int(rc, t[i].rc, "%s: %s", t[i].name,
			       rc ? error : "rendered");
		if (rc == 0)
			ok(html && text && subject &&
			       strstr(html, "<script") == NULL,
			   "%s: outputs, nothing unescaped", t[i].name);
		free4(html, text, subject, error);
	}

	/* libxml2 itself stops nesting at 256; either way, no crash */
	buf_puts(&b, "<title>t</title>");
	for (int i = 0; i < 20000; i++)
		buf_puts(&b, "<div data-each=\"items\"><b data-var=\"name\">");
	put("shipped/en/deep.html", b.data, b.len);
	rc = render(d, "en", "deep", v, &html, &text, &subject, &error);
	ok(rc == 0 || (error && strstr(error, "deep.html: nested too deeply")),
	   "20000 nested elements: no crash (%s)", rc ? error : "rendered");
	free4(html, text, subject, error);

	buf_reset(&b);
	buf_puts(&b, "<title>t</title>");
	for (int i = 0; i < 40; i++)
		buf_puts(&b, "<div data-each=\"items\">");
	put("shipped/en/exp.html", b.data, b.len);
	rc = render(d, "en", "exp", v, &html, &text, &subject, &error);
	ok(rc == -1 && error && strstr(error, "exp.html: expands to too many"),
	   "2^40 copies refused: %s", error ? error : "");
	free4(html, text, subject, error);

	buf_reset(&b);
	buf_puts(&b, "<title>t</title>");
	for (int i = 0; i < TMPL_MAX_DEPTH - 8; i++)
		buf_puts(&b, "<div data-each=\"items\">");
	buf_puts(&b, "x");
	put("shipped/en/deepok.html", b.data, b.len);
	rc = render(d, "en", "deepok", NULL, &html, &text, &subject, &error);
	is_int(rc, 0, "nesting under the limit renders");
	free4(html, text, subject, error);

	buf_reset(&b);
	buf_puts(&b, "<title>t</title><p title=\"");
	for (int i = 0; i < 900 * 1024; i++)
		buf_putc(&b, i % 7 ? 'a' : '<');
	buf_puts(&b, "\" data-var=\"name\">x</p>");
	put("shipped/en/hugeattr.html", b.data, b.len);
	rc = render(d, "en", "hugeattr", v, &html, &text, &subject, &error);
	ok(rc == 0 || error, "900 KiB attribute: no crash (%s)",
	   rc ? error : "rendered");
	if (rc == 0)
		is_str(text, "Alice", "900 KiB attribute: filled");
	free4(html, text, subject, error);

	buf_reset(&b);
	buf_puts(&b, "<title>t</title>");
	while (b.len <= TMPL_MAX_SIZE)
		buf_puts(&b, "<p>0123456789012345678901234567890123456789</p>");
	put("shipped/en/big.html", b.data, b.len);
	rc = render(d, "en", "big", v, &html, &text, &subject, &error);
	ok(rc == -1 && error && strstr(error, "big.html") &&
	       strstr(error, "larger"),
	   "file over the size limit refused: %s", error ? error : "");
	free4(html, text, subject, error);

	buf_free(&b);
	tmpl_vars_free(&v);
}

/* test_set - a set parses once and renders each call from a fresh copy:
   the same output as tmpl_render, whatever the calls before filled */
static void
test_set(const struct tmpl_dirs *d)
{
	struct tmpl_set *set = tmpl_set_new(d);
	struct tmpl_vars *a = case_vars(), *b = tmpl_vars_new();
	const struct tmpl_vars *vs[3] = {a, b, a};
	char *h1, *t1, *s1, *e1, *h2, *t2, *s2, *e2;

	put_page("shipped/en/set.html", "Hi {{name}}",
		 "<p data-var=\"name\">x</p><ul><li data-each=\"items\">"
		 "<span data-var=\"item\">i</span></li></ul>"
		 "<p data-if=\"name\">named</p>");
	for (int i = 0; i < 3; i++) {
		int r1 = render(d, "en", "set", vs[i], &h1, &t1, &s1, &e1);
		int r2;

		h2 = t2 = s2 = e2 = NULL;
		r2 = tmpl_set_render(set, "en", "set", vs[i], &h2, &t2, &s2,
				     &e2);
		ok(r1 == 0 && r2 == 0, "set: render %d succeeds", i);
		is_str(h2, h1, "set: render %d html as tmpl_render's", i);
		is_str(t2, t1, "set: render %d text as tmpl_render's", i);
		is_str(s2, s1, "set: render %d subject as tmpl_render's", i);
		free4(h1, t1, s1, e1);
		free4(h2, t2, s2, e2);
	}
	/* parsed once: a file changed after its first use is not read again */
	put_page("shipped/en/set.html", "Changed", "<p>changed</p>");
	h2 = t2 = s2 = e2 = NULL;
	ok(tmpl_set_render(set, "en", "set", a, &h2, &t2, &s2, &e2) == 0 &&
	       strstr(h2, "Alice") != NULL,
	   "set: the tree parsed first is kept");
	free4(h2, t2, s2, e2);
	/* a failure is not kept: reported on each call */
	for (int i = 0; i < 2; i++) {
		h2 = t2 = s2 = e2 = NULL;
		ok(tmpl_set_render(set, "en", "set_none", a, &h2, &t2, &s2,
				   &e2) < 0 &&
		       e2 && strstr(e2, "set_none.html not found"),
		   "set: a missing template fails on call %d", i);
		free4(h2, t2, s2, e2);
	}
	tmpl_set_free(&set);
	ok(set == NULL, "set: free NULLs the pointer");
	tmpl_vars_free(&a);
	tmpl_vars_free(&b);
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");
	char shipped[4200], local[4200], sub[4300];
	struct tmpl_dirs d = {local, shipped};

	snprintf(root, sizeof(root), "%s/test-tmpl.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(root) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(shipped, sizeof(shipped), "%s/shipped", root);
	snprintf(local, sizeof(local), "%s/local", root);
	mkdir(shipped, 0700);
	mkdir(local, 0700);
	snprintf(sub, sizeof(sub), "%s/en", shipped);
	mkdir(sub, 0700);

	test_vars();
	test_cases(&d);
	test_lookup(&d);
	test_shipped();
	test_hostile(&d);
	test_set(&d);

	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	tap_done();
}
