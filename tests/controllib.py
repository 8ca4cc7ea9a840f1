"""controllib - helpers for the control-by-mail tests: send a mail to a
club address over LMTP, and read the answers the capture relay wrote."""

import email
import email.policy
import os
import re
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lmtplib as L  # noqa: E402

D = L.DOMAIN
_n = [0]


def daemon(extra=()):
    """A daemon using the source tree's templates."""
    return L.Daemon(extra=["templates = " + os.path.join(
        L.tests_dir(), "..", "templates")] + list(extra))


def two_clubs(d):
    """Clubs acme (English, "Acme Club") and cercle (French, "Cercle"),
    each with the animator anim@example.com."""
    d.ctl("club", "create", "acme", "--title", "Acme Club", check=True)
    d.ctl("club", "create", "cercle", "--title", "Cercle", "--lang", "fr",
          check=True)
    for club in ("acme", "cercle"):
        d.ctl("member", "add", club, "anim@example.com", "--role",
              "animator", "--name", "Anna Anim", check=True)


def mail(frm, to, subject="", body="", extra="", name=None):
    """A plain UTF-8 mail as bytes."""
    _n[0] += 1
    hdr = "From: %s\r\n" % (("%s <%s>" % (name, frm)) if name else frm)
    hdr += "To: %s\r\nSubject: %s\r\nMessage-ID: <c%d.%d@test.example>\r\n" \
        % (to, subject, os.getpid(), _n[0])
    hdr += "Date: Mon, 10 Mar 2025 08:00:00 +0100\r\n"
    hdr += "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
    hdr += "Content-Transfer-Encoding: 8bit\r\n" + extra
    return (hdr + "\r\n" + body.replace("\n", "\r\n")).encode("utf-8")


def send(d, frm, to, subject="", body="", extra="", mail_from=None):
    """Deliver; returns the LMTP reply after DATA (or at RCPT)."""
    if "@" not in to:
        to = to + "@" + D
    raw = mail(frm, to, subject, body, extra)
    return d.deliver(to, raw, frm if mail_from is None else mail_from)


def settle(d, timeout=20):
    """Wait until the relay sent everything queued."""
    time.sleep(0.2)
    d.wait_queue_empty(timeout)


class Out:
    """One captured message."""

    def __init__(self, env, raw):
        self.env = env
        self.raw = raw
        self.msg = email.message_from_bytes(raw, policy=email.policy.default)
        self.to = env["rcpt_to"][0]
        self.subject = str(self.msg["Subject"] or "")
        self.reply_to = str(self.msg["Reply-To"] or "").strip("<>")
        self.text = ""
        self.html = ""
        self.attached = None
        for part in self.msg.walk():
            ct = part.get_content_type()
            if ct == "text/plain" and not self.text:
                self.text = part.get_content()
            elif ct == "text/html" and not self.html:
                self.html = part.get_content()
            elif ct == "message/rfc822":
                self.attached = part.get_payload()[0]
                break

    def __repr__(self):
        return "<to=%s subject=%r>" % (self.to, self.subject)


def outbox(d):
    return [Out(env, raw) for env, raw in d.outbox_pairs()]


class Box:
    """The outbox seen from one test step: what arrived since last()."""

    def __init__(self, d):
        self.d = d
        self.seen = 0

    def new(self, settle_first=True):
        if settle_first:
            settle(self.d)
        all_ = outbox(self.d)
        out = all_[self.seen:]
        self.seen = len(all_)
        return out

    def to(self, addr):
        return [m for m in self.new() if m.to == addr]


def token_local(addr):
    """The local part after the delimiter: 'confirm-q.1.x.y'."""
    return addr.split("@")[0].split("+", 1)[1]


def member(d, addr, club="acme"):
    """The member row of addr as a dict, or None."""
    rows = d.sql("SELECT m.address, m.delivery, m.highlights, m.profile, "
                 "m.moderated, m.role, m.invited_by FROM members m JOIN clubs "
                 "c ON c.id = m.club_id WHERE c.name = ? AND m.address = ?",
                 (club, addr))
    if not rows:
        return None
    k = ["address", "delivery", "highlights", "profile", "moderated", "role",
         "invited_by"]
    return dict(zip(k, rows[0]))


def confirm_reply(d, out, frm=None, quote=True):
    """Reply to a captured confirmation as a mail client would: to its
    Reply-To, with the original quoted."""
    body = "Yes please\n"
    if quote:
        body += "\n> " + "\n> ".join(out.text.splitlines()) + "\n"
    return send(d, frm or out.to, out.reply_to, "Re: " + out.subject, body)


def words(s):
    return re.sub(r"\s+", " ", s)
