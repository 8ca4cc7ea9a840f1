"""digestlib - building a club's archive for the digest scenario tests:
messages as an mbox that "mlistctl import" loads, dated as they were
written, and the thread keys DIGEST.md 2.4 defines."""

import email.policy
import hashlib
from email.message import EmailMessage
from email.utils import parsedate_to_datetime

import lmtplib as L


def key(msgid):
    """thread_key: SHA-1 of the root's Message-ID, brackets included"""
    return hashlib.sha1(("<%s@example.org>" % msgid).encode()).hexdigest()[:8]


def mail(mid, frm, date, subject, body, parent=None, refs=(),
         club="entreprendre35"):
    m = EmailMessage(policy=email.policy.SMTP)
    m["From"] = frm
    m["To"] = "%s@%s" % (club, L.DOMAIN)
    m["Subject"] = subject
    m["Date"] = date
    m["Message-ID"] = "<%s@example.org>" % mid
    if parent:
        m["In-Reply-To"] = "<%s@example.org>" % parent
        m["References"] = " ".join("<%s@example.org>" % r
                                   for r in list(refs) + [parent])
    m.set_content(body)
    return m


def mbox(path, msgs):
    with open(path, "wb") as f:
        for m in msgs:
            when = parsedate_to_datetime(m["Date"])
            f.write(("From %s %s\n" % (m["From"],
                     when.strftime("%a %b %d %H:%M:%S %Y"))).encode())
            f.write(m.as_bytes().replace(b"\r\n", b"\n") + b"\n")


def fr(day, hm, year=2025):
    """a Date header in Paris winter time: fr("Tue, 04 Mar", "09:00")"""
    return "%s %d %s:00 +0100" % (day, year, hm)


def parts(msg):
    """a multipart message's parts by content type"""
    return {p.get_content_type(): p.get_content()
            for p in msg.iter_parts()} if msg else {}
