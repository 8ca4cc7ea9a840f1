/*
 * test-modreply - reading an animator's reply to a moderation notice:
 * the words in English and French, quotes and attributions skipped,
 * signatures and Outlook-style originals ending the reply, the reason,
 * the Subject only when the body has no line, and bounded work on
 * hostile input.  Also the mod token's payload (post and animator ids).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "moderate.h"
#include "modreply.h"
#include "tap.h"
#include "token.h"

static const char *const vname[] = {"none", "approve", "reject"};

static void
check(const char *text, const char *subject, enum modreply_verdict want,
      const char *reason, const char *desc)
{
	struct modreply r;

	modreply_parse(text, subject, &r);
	is_str(vname[r.verdict], vname[want], "%s: verdict", desc);
	if (reason)
		is_str(r.reason, reason, "%s: reason", desc);
}

int
main(void)
{
	struct modreply r;
	char *big;

	check("ok\n", NULL, MODREPLY_APPROVE, "", "ok");
	check("OK!\n\nOn Mon, Anna wrote:\n> no\n", NULL, MODREPLY_APPROVE,
	      NULL, "OK! above the quote");
	check("Oui", NULL, MODREPLY_APPROVE, NULL, "Oui");
	check("  accepter, merci\n", NULL, MODREPLY_APPROVE, NULL, "accepter,");
	check("valider", NULL, MODREPLY_APPROVE, NULL, "valider");
	check("Accept\xc3\xa9, merci !\n", NULL, MODREPLY_APPROVE, NULL,
	      "Accept\xc3\xa9,");
	check("valid\xc3\xa9", NULL, MODREPLY_APPROVE, NULL, "valid\xc3\xa9");
	check("D'accord\n", NULL, MODREPLY_APPROVE, NULL, "D'accord");
	check("d\xe2\x80\x99"
	      "accord\n",
	      NULL, MODREPLY_APPROVE, NULL,
	      "d\xe2\x80\x99"
	      "accord (typographic apostrophe)");
	check("Refus\xc3\xa9 : hors sujet\n", NULL, MODREPLY_REJECT,
	      "hors sujet", "Refus\xc3\xa9 : reason");
	check("rejet\xc3\xa9", NULL, MODREPLY_REJECT, "", "rejet\xc3\xa9");
	check("accept\xc3\xa9e", NULL, MODREPLY_NONE, NULL,
	      "a longer word is not taken");
	check("approve", NULL, MODREPLY_APPROVE, NULL, "approve");
	check("yes please", NULL, MODREPLY_APPROVE, NULL, "yes");
	check("\xc2\xa0"
	      "ok\xc2\xa0\n",
	      NULL, MODREPLY_APPROVE, NULL, "no-break spaces around");
	check("no\n", NULL, MODREPLY_REJECT, "", "no without reason");
	check("Non, hors sujet.\n", NULL, MODREPLY_REJECT, "hors sujet.",
	      "Non, reason");
	check("refuser : pub\n", NULL, MODREPLY_REJECT, "pub", "refuser : pub");
	check("reject: Off-topic.\r\nUse the jobs board.\r\n\r\n"
	      "On Mon, 7 Jan 2030, Acme wrote:\r\n> ok\r\n",
	      NULL, MODREPLY_REJECT, "Off-topic. Use the jobs board.",
	      "reason over lines, up to the attribution");
	check("reject spam\n-- \nAnna, animator\n", NULL, MODREPLY_REJECT,
	      "spam", "the signature ends the reason");
	check("> ok\n> quoted\n\nno thanks\n", NULL, MODREPLY_REJECT, "thanks",
	      "bottom-posting: quotes skipped");
	check("Le lun. 7 janv. 2030, Acme a \xc3\xa9"
	      "crit :\n> x\n\n"
	      "oui\n",
	      NULL, MODREPLY_APPROVE, NULL, "French attribution skipped");
	check("", "Re: [Acme Club] Held for moderation: x", MODREPLY_NONE, NULL,
	      "empty reply: the subject holds no word");
	modreply_parse("\n\n> ok\n", "RE: Re : ok", &r);
	is_str(vname[r.verdict], "approve", "empty body: the subject decides");
	check("",
	      "R\xc3\xa9"
	      "f : non trop tard",
	      MODREPLY_REJECT, "trop tard", "French subject prefix, reason");
	check("maybe\n", "ok", MODREPLY_NONE, NULL,
	      "the body's word wins over the subject");
	modreply_parse("okay-ish\n", NULL, &r);
	is_str(vname[r.verdict], "none", "okay-ish is no word of ours");
	is_str(r.word, "okay-ish", "the word is kept for the answer");
	check("-----Original Message-----\nFrom: x\nok\n", NULL, MODREPLY_NONE,
	      NULL, "an Outlook original ends the reply");
	check("From: Acme\nok\n", NULL, MODREPLY_NONE, NULL,
	      "a header block ends the reply");
	check(NULL, NULL, MODREPLY_NONE, NULL, "nothing at all");

	/* a reason is bounded and cut on a character boundary */
	big = malloc(3 * MODREPLY_SCAN);
	strcpy(big, "no ");
	for (size_t i = 3; i + 2 < 3 * MODREPLY_SCAN - 1; i += 2)
		memcpy(big + i, "\xc3\xa9", 2);
	big[3 * MODREPLY_SCAN - 1] = '\0';
	modreply_parse(big, NULL, &r);
	is_str(vname[r.verdict], "reject", "a huge reason");
	ok(strlen(r.reason) <= MODREPLY_REASON && strlen(r.reason) % 2 == 0,
	   "is cut at %d bytes on a character boundary (%zu)", MODREPLY_REASON,
	   strlen(r.reason));
	/* a huge word and no line end: bounded too */
	memset(big, 'a', 3 * MODREPLY_SCAN - 1);
	modreply_parse(big, NULL, &r);
	ok(r.verdict == MODREPLY_NONE && strlen(r.word) < MODREPLY_WORD,
	   "a huge word: no decision, word cut (%zu)", strlen(r.word));
	free(big);
	/* the mod token's payload: "MSG.MEMBER" in base 36 */
	{
		static const char *const bad[] = {
		    "",	    ".",    "1.",   ".1",   "0.1", "1.0", "1.2.3",
		    "-1.2", " 1.2", "1.+2", "1.2 ", "A.b", NULL};
		char arg[32];
		int64_t g = 0, m = 0;

		token_pair(123456789, 42, arg);
		is_str(arg, "21i3v9.16", "token_pair writes base 36");
		ok(moderate_parse_arg(arg, &g, &m) == 0 && g == 123456789 &&
		       m == 42,
		   "moderate_parse_arg reads it back");
		for (int i = 0; bad[i]; i++)
			is_int(moderate_parse_arg(bad[i], &g, &m), -1,
			       "payload '%s' refused", bad[i]);
	}
	/* control characters never reach the reason */
	check("no a\x01"
	      "b\x1b[31m\n",
	      NULL, MODREPLY_REJECT, "ab[31m", "control characters dropped");
	tap_done();
}
