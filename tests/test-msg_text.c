/*
 * test-msg_text - quote stripping, ack-only, question and auto-subject
 * detection against the cases DIGEST.md 1.2, 1.3, 2.4 and 4 name.
 */
#include <stdlib.h>
#include <string.h>

#include "msg_text.h"
#include "tap.h"

static void
test_strip(void)
{
	static const struct {
		const char *in, *want, *name;
	} t[] = {
	    {"Merci beaucoup !\n", "Merci beaucoup !", "plain"},
	    {"Oui.\n> quoted\n>> deeper\nNon.\n", "Oui.\nNon.", "> lines"},
	    {"D'accord.\n\nLe lun. 10 mars 2025 à 08:00, Alice <a@b> a "
	     "écrit :\nold text\n",
	     "D'accord.", "FR attribution"},
	    {"D'accord.\n\nLe lun. 10 mars 2025 à 08:00, Alice <a@b> a\n"
	     "écrit :\n> old\n",
	     "D'accord.", "FR attribution wrapped"},
	    {"Sure.\nOn Mon, Mar 10, 2025 at 8:00 AM Bob <b@x> wrote:\n"
	     "old\n",
	     "Sure.", "EN attribution"},
	    {"Vu.\n-----Original Message-----\nFrom: x\n", "Vu.",
	     "Outlook original message"},
	    {"Vu.\n-----Message d'origine-----\nDe : x\n", "Vu.",
	     "Outlook message d'origine"},
	    {"Ok.\n________________________________\nDe : x\n", "Ok.",
	     "underscore separator"},
	    {"Ok.\n\nDe : Alice Martin\nEnvoyé : lundi 10 mars\nÀ : club\n"
	     "Objet : RE: x\n\nold\n",
	     "Ok.", "De :/Envoyé : block"},
	    {"Ok.\n*From:* Alice\n*Sent:* Monday\n", "Ok.",
	     "bold From:/Sent: block"},
	    {"From: my experience, it works.\nThanks\n",
	     "From: my experience, it works.\nThanks", "From: alone is prose"},
	    {"Texte.\n-- \nAlice\nACME\n", "Texte.", "signature"},
	    {"Texte.\n--\nAlice\n", "Texte.", "signature without space"},
	    {"Voir https://example.org/x?a=1 et <http://y.example/z>.\n",
	     "Voir  et .", "URLs removed"},
	    {"Merci !\n\nEnvoyé de mon iPhone\n", "Merci !", "mobile footer"},
	    {"", "", "empty"},
	    {"Le prix est bon.\n", "Le prix est bon.", "Le without a écrit"},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *s = msg_text_strip(t[i].in);

		is_str(s, t[i].want, "strip: %s", t[i].name);
		free(s);
	}
	{
		char *s = msg_text_strip(NULL);

		is_str(s, "", "strip: NULL");
		free(s);
		s = msg_text_strip("bad \xff\xfe utf8\n> q\n");
		ok(s != NULL, "strip: invalid UTF-8 survives");
		free(s);
	}
}

static void
test_ack(void)
{
	static const struct {
		const char *in;
		size_t len;
		bool ack;
	} t[] = {
	    {"Merci beaucoup !", 16, true},
	    {"Merci\xc2\xa0"
	     "beaucoup\xc2\xa0!",
	     16, true},
	    {"  Merci \n\n\t beaucoup  ! \n", 16, true},
	    {"Merci\xe2\x80\xaf!", 7, true},
	    {"", 0, true},
	    {"123456789012345678901", 21, false},
	    {"12345678901234567890", 20, true},
	    {"e\xcc\x81t\xc3\xa9", 3, true}, /* NFC: é twice */
	    {"Merci pour ce retour très complet.", 34, false},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		is_int(msg_text_ack_len(t[i].in), t[i].len, "ack_len case %zu",
		       i);
		ok(msg_text_ack_only(t[i].in) == t[i].ack, "ack_only case %zu",
		   i);
	}
}

static void
test_question(void)
{
	static const struct {
		const char *subject, *body;
		bool q;
	} t[] = {
	    /* DIGEST 4 fixtures */
	    {"Recruter un alternant en 2025 : bonne idée ou pas ?", "", true},
	    {"Quel logiciel de facturation utilisez-vous ?", "", true},
	    {"Présentation : Emma, agence de communication à Rennes",
	     "Bonjour à tous,\nNous sommes une agence. Nous cherchons des "
	     "imprimeurs locaux fiables.",
	     true},
	    {"Quelqu'un connaît un expert-comptable pour une SAS ?", "", true},
	    /* negatives (DIGEST 1.3) */
	    {"Compte rendu de la réunion du 4 mars.",
	     "Compte rendu de la réunion du 4 mars.", false},
	    {"Bonne semaine à tous !", "Bonne semaine à tous !", false},
	    {"Infos", "Rendez-vous jeudi à 18h.", false},
	    {"Infos", "Voir le lien: a?b", false},
	    /* rule 1 */
	    {"Infos", "C'est prêt\xc2\xa0?", true},
	    {"Infos", "Vous venez\xe2\x80\xaf? Merci.", true},
	    {"Re: [club] Dispo ?", "", true},
	    /* rule 2 */
	    {"Infos", "Bonjour à tous, comment gérez-vous la TVA.", true},
	    {"Infos", "Hi all, how do you handle VAT.", true},
	    {"Infos", "OÙ trouver un local.", true},
	    {"Infos", "Utilisez-vous un outil.", true},
	    {"Infos", "A-t-on des nouvelles.", true},
	    {"Infos", "Est-ce que ça marche.", true},
	    {"Infos", "Y a-t-il un parking.", true},
	    {"Infos", "Ceci est une info. Does it work for you.", true},
	    {"Infos", "Quelque chose de neuf.", false},
	    {"Infos", "Island trip report.", false},
	    {"Infos", "Can't make it tomorrow.", false},
	    {"Infos", "Can you make it tomorrow.", true},
	    {"Infos",
	     "Qu\xe2\x80\x99"
	     "en pensez-vous.",
	     true},
	    /* rule 3 */
	    {"Infos", "Je recherche un comptable.", true},
	    {"Infos", "J'ai besoin d'aide.", true},
	    {"Infos", "Vos retours sont les bienvenus.", true},
	    {"Infos",
	     "Merci d\xe2\x80\x99"
	     "avance.",
	     true},
	    {"Infos", "We are looking\nfor a printer.", true},
	    {"Infos", "Thanks in advance.", true},
	    {"Infos", "Un conseiller passera.", false},
	    {"Infos", "Nous recherchonsx rien.", false},
	    {NULL, NULL, false},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ok(msg_text_is_question(t[i].subject, t[i].body) == t[i].q,
		   "question case %zu: %s", i,
		   t[i].subject ? t[i].subject : "(null)");
}

static void
test_auto_subject(void)
{
	static const struct {
		const char *s;
		bool a;
	} t[] = {
	    {"Réponse automatique : Absent", true},
	    {"REPONSE AUTOMATIQUE", true},
	    {"Absence du bureau", true},
	    {"Message d’absence", true},
	    {"Out of Office: back monday", true},
	    {"Automatic reply: Meeting", true},
	    {"AUTO: away", true},
	    {"Re: Out of office", false},
	    {"Question sur l'absence", false},
	    {"", false},
	    {NULL, false},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ok(msg_text_is_auto_subject(t[i].s) == t[i].a,
		   "auto subject: %s", t[i].s ? t[i].s : "(null)");
}

static void
test_fold(void)
{
	char *f = msg_text_fold("Où ÉTÉ\xc2\xa0l\xe2\x80\x99"
				"ami ﬁn");

	is_str(f, "ou ete l'ami fin", "fold: accents, case, NBSP, ’, ligature");
	free(f);
}

int
main(void)
{
	test_strip();
	test_ack();
	test_question();
	test_auto_subject();
	test_fold();
	tap_done();
}
