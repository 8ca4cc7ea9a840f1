/*
 * bounce_words - the phrase families of delivery reports
 * (see bounce_words.h).
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "bounce_words.h"

static const char *const bw_dmarc[] = {"dmarc", NULL};

/* checked before the hard words: "mailbox full" and "mailbox
   unavailable" share words, and a refusal for policy may name the user */
static const char *const bw_soft[] = {
    /* full */
    "mailbox full", "mailbox is full", "mailbox has exceeded", "quota",
    "exceeded storage", "exceeds the storage", "storage limit",
    "insufficient system storage", "out of storage", "mailbox size limit",
    "full mailbox", "boite pleine", "boîte pleine", "boîte aux lettres pleine",
    "postfach voll", "postfach ist voll", "speicherplatz", "buzón lleno",
    "casella piena", "caixa postal cheia", "переполнен", "いっぱい", "容量",
    /* content, spam, policy */
    "spam", "blocked", "blacklist", "block list", "blocklist",
    "rejected for policy", "policy reason", "virus", "too large",
    "message size", "size exceeds", "exceeds size", "content rejected",
    "rejected due to content", "reputation", "reverse dns", "ptr record", "spf",
    "dkim", "not authorized", "authentication",
    /* relaying and rate */
    "relaying", "relay denied", "relaying denied", "relay access denied",
    "not permitted to relay", "unable to relay", "relay not permitted",
    "too many", "rate limit", "greylist",
    /* the receiving system's own trouble */
    "mailer error", "system error", "internal error",
    /* network and time: expired after retries is soft (SPEC 8) */
    "timed out", "timeout", "connection refused", "retry time", "expired",
    "too long", "temporarily", "try again later", "delais expire",
    "délai expiré", "zeitüberschreitung", NULL};

/* the mailbox is dead (SPEC 8: unknown user, disabled or moved mailbox,
   "not accepting mail") */
static const char *const bw_hard_user[] = {
    "user unknown", "unknown user", "no such user", "no such mailbox",
    "no such recipient", "no such address", "no such person",
    "mailbox unavailable", "mailbox not found", "mailbox does not exist",
    "does not exist", "doesn't exist", "not exist", "invalid recipient",
    "invalid mailbox", "invalid address", "recipient unknown",
    "unknown recipient", "addressee unknown", "unknown address",
    "address unknown", "unknown local part", "unknown or illegal",
    "user not found", "recipient not found", "address not found",
    "account not found", "no mailbox", "bad destination mailbox",
    "recipient address rejected", "address rejected", "not a valid",
    "is not valid", "account disabled", "account has been disabled",
    "mailbox disabled", "is disabled", "has been disabled", "disabled account",
    "inactive", "deactivated", "account closed", "has been closed", "suspended",
    "expired account", "account expired", "not accepting mail",
    "does not accept mail", "no longer", "has moved", "moved permanently",
    "not listed", "unknown alias", "no account", "mailbox unknown",
    "not our customer", "non-existent", "nonexistent", "not a known user",
    "no user", "user doesn't", "user does not", "not found", "not reachable",
    /* French */
    "inconnu", "inexistant", "adresse destinataire invalide",
    "adresse invalide", "n'existe pas", "introuvable", "désactivé",
    /* German */
    "unbekannt", "existiert nicht", "ungültig", "ungueltig", "gibt es nicht",
    "nicht gefunden", "deaktiviert",
    /* Spanish, Italian, Portuguese */
    "no existe", "desconocido", "inexistente", "sconosciuto", "inesistente",
    "non esiste", "não existe", "desconhecido",
    /* Russian */
    "не существует", "не найден", "нет такого", "несуществующ", "неизвестн",
    "заблокирован",
    /* Japanese, Chinese */
    "存在しません", "存在しない", "宛先不明", "見つかりません", "ユーザー不明",
    "ユーザ不明", "不存在", NULL};

/* the domain is dead: no such host, no mail route at all */
static const char *const bw_hard_domain[] = {"no such domain",
					     "host not found",
					     "domain not found",
					     "host unknown",
					     "unknown host",
					     "unknown domain",
					     "name service error",
					     "domain does not exist",
					     "no mx",
					     "null mx",
					     "unrouteable",
					     "unroutable",
					     "nxdomain",
					     "domaine inexistant",
					     "domaine inconnu",
					     "domain existiert nicht",
					     NULL};

/* a refusal of the envelope sender or of the sending host */
static const char *const bw_sender[] = {"sender address",
					"sender rejected",
					"after mail from",
					"sender verify",
					"sender domain",
					"sender address rejected",
					NULL};

/* words that make a line an error line */
static const char *const bw_error[] = {"unknown",
				       "no such",
				       "does not exist",
				       "doesn't exist",
				       "invalid",
				       "rejected",
				       "refused",
				       "denied",
				       "failed",
				       "failure",
				       "unavailable",
				       "undeliverable",
				       "not delivered",
				       "could not be delivered",
				       "couldn't be delivered",
				       "can't be delivered",
				       "not be delivered",
				       "unable to deliver",
				       "quota",
				       "full",
				       "disabled",
				       "exceeded",
				       "inexistant",
				       "inconnu",
				       "invalide",
				       "unzustellbar",
				       "error",
				       "permanent",
				       "not found",
				       "not accepting",
				       "blocked",
				       "expired",
				       "unbekannt",
				       "fehlgeschlagen",
				       "existiert nicht",
				       "user",
				       "mailbox",
				       "recipient",
				       "not reach",
				       "timed out",
				       "delivery",
				       "no existe",
				       "не существует",
				       "не найден",
				       "ошибка",
				       "не доставлено",
				       "存在しません",
				       "見つかりません",
				       "いっぱい",
				       "エラー",
				       "不明",
				       NULL};

/* words that make an address someone else's: the sender, a header */
static const char *const bw_notrcpt[] = {"mail from",
					 "from:",
					 "from <",
					 "sender",
					 "envelope-from",
					 "reply-to",
					 "message-id",
					 "return-path",
					 "helo",
					 "ehlo",
					 "postmaster",
					 "mailer-daemon",
					 "smtp.mailfrom",
					 "received from",
					 "contact",
					 "administrator",
					 "webmaster",
					 "abuse@",
					 "www.",
					 "http",
					 "subject:",
					 "message from",
					 "your message to",
					 "cc:",
					 "date:",
					 NULL};

/* a line where the returned original starts: everything after is
   someone else's mail and its addresses are not the failed ones.  They
   are matched at the start of a line (see bounce.c bounce_cut). */
static const char *const bw_cut[] = {"below this line is a copy of the message",
				     "this is a copy of the message",
				     "original message follows",
				     "original message -",
				     "original message ---",
				     "original message:",
				     "-----original message-----",
				     "unsent message below",
				     "message header follows",
				     "headers of the original message",
				     "header of the original message",
				     "original message header",
				     "text of the original message",
				     "the original message was",
				     "returned message",
				     "content-type: message/rfc822",
				     "message text follows",
				     "copy of the original message",
				     "message d'origine",
				     "message original",
				     "ursprüngliche nachricht",
				     "kopie der ursprünglichen nachricht",
				     NULL};

static const char *const bw_sender_name[] = {"mailer-daemon",
					     "postmaster",
					     "mail delivery",
					     "maildelivery",
					     "mailer_daemon",
					     "mdaemon",
					     "mail administrator",
					     "mailadmin",
					     "double-bounce",
					     "bounce",
					     "post_master",
					     "mail-daemon",
					     "maildaemon",
					     "mailerdaemon",
					     NULL};

static const char *const bw_subject[] = {"undeliver",
					 "delivery status",
					 "failure notice",
					 "returned mail",
					 "delivery fail",
					 "mail delivery",
					 "could not be delivered",
					 "non remis",
					 "non délivré",
					 "unzustellbar",
					 "nicht zustellbar",
					 "warning: message",
					 "delivery notif",
					 "not delivered",
					 "delivery problem",
					 "mail system error",
					 "nondeliverable",
					 "non-deliverable",
					 "delivery report",
					 "failed delivery",
					 "delivery error",
					 "delivery delayed",
					 "unable to deliver",
					 "mail failure",
					 "returned to sender",
					 "permanent error",
					 "undelivered",
					 "échec de la remise",
					 "mail could not",
					 "nicht zugestellt",
					 "zustellung fehlgeschlagen",
					 "не доставлено",
					 "配信不能",
					 "配送不能",
					 "no entregado",
					 "non consegnato",
					 NULL};

/* what only a delivery report's own text says */
static const char *const bw_text[] = {"qmail-send program",
				      "mail delivery software",
				      "could not be delivered",
				      "couldn't be delivered",
				      "was not delivered",
				      "wasn't delivered",
				      "permanent fatal errors",
				      "transcript of session follows",
				      "delivery has failed",
				      "delivery to the following",
				      "unable to deliver",
				      "undeliverable",
				      "delivery failed",
				      "failed permanently",
				      "wasn't able to deliver",
				      "not be delivered",
				      "did not reach",
				      "message not delivered",
				      "following addresses had",
				      "following address(es) failed",
				      "delivery status notification",
				      "user unknown",
				      "mailbox unavailable",
				      "could not deliver",
				      "non remis",
				      "delivery attempts",
				      "has not been delivered",
				      "has not yet been delivered",
				      "this is a warning message",
				      "returned to sender",
				      "the following recipient",
				      "message could not be sent",
				      "undelivered mail",
				      "could not be reached",
				      "adresse destinataire invalide",
				      "n'a pas pu être délivré",
				      "n'a pas pu être remis",
				      "n'a pas pu etre",
				      "unzustellbar",
				      "zustellung fehlgeschlagen",
				      "konnte nicht zugestellt",
				      "nicht zugestellt werden",
				      "ist fehlgeschlagen",
				      "не доставлено",
				      "не удалось доставить",
				      "配信できませんでした",
				      "送信できませんでした",
				      "届きませんでした",
				      "no se pudo entregar",
				      "no ha podido ser entregado",
				      "non è stato possibile consegnare",
				      "não pôde ser entregue",
				      NULL};

/* a warning says so in so many words, whatever else it says ("your
   message could not be delivered for more than 4 hours") */
static const char *const bw_delay_sure[] = {"warning only",
					    "warning message only",
					    "do not need to resend",
					    "will be retried until",
					    "will keep trying",
					    "has not yet been delivered",
					    "delivery attempts will continue",
					    "still being retried",
					    NULL};

static const char *const bw_delay[] = {"warning",
				       "delayed",
				       "not yet been delivered",
				       "will continue",
				       "will retry",
				       "will be retried",
				       "still trying",
				       "retry again",
				       "will try again",
				       "delivery is delayed",
				       "still being retried",
				       "verzögert",
				       "retardé",
				       NULL};

static const char *const bw_final[] = {
    "permanent",   "given up",	 "giving up",
    "fatal",	   "gave up",	 "could not be delivered",
    "will not be", "no further", NULL};

static const char *const bw_auto_subject[] = {"out of office",
					      "out of the office",
					      "auto:",
					      "autoreply",
					      "auto-reply",
					      "auto reply",
					      "automatic reply",
					      "vacation",
					      "absence",
					      "absent",
					      "abwesenheit",
					      "automatische antwort",
					      "réponse automatique",
					      "reponse automatique",
					      "away from",
					      "autoresponse",
					      "respuesta automática",
					      "risposta automatica",
					      "resposta automática",
					      "автоответ",
					      "自動返信",
					      "自動応答",
					      "不在",
					      NULL};

const char *const *
bounce_words_list(enum bounce_words w)
{
	switch (w) {
	case BW_DMARC:
		return bw_dmarc;
	case BW_SOFT:
		return bw_soft;
	case BW_HARD_USER:
		return bw_hard_user;
	case BW_HARD_DOMAIN:
		return bw_hard_domain;
	case BW_SENDER:
		return bw_sender;
	case BW_ERROR:
		return bw_error;
	case BW_NOTRCPT:
		return bw_notrcpt;
	case BW_CUT:
		return bw_cut;
	case BW_SENDER_NAME:
		return bw_sender_name;
	case BW_SUBJECT:
		return bw_subject;
	case BW_TEXT:
		return bw_text;
	case BW_DELAY_SURE:
		return bw_delay_sure;
	case BW_DELAY:
		return bw_delay;
	case BW_FINAL:
		return bw_final;
	case BW_AUTO_SUBJECT:
		return bw_auto_subject;
	}
	return bw_dmarc + 1; /* empty */
}

bool
bounce_words_in(enum bounce_words w, const char *s)
{
	if (s == NULL)
		return false;
	for (const char *const *k = bounce_words_list(w); *k; k++)
		if (strcasestr(s, *k) != NULL)
			return true;
	return false;
}
