#!/usr/bin/env python3
"""smtp_stub - a tiny SMTP server for the relay tests, where smtp-sink
cannot do what a test needs: refuse one recipient and accept the others.

    smtp_stub.py PORT DUMPDIR [RCPT=REPLY ...]

Listens on 127.0.0.1:PORT only.  RCPT TO:<addr> gets REPLY (e.g.
"450 4.2.2 Mailbox full") when addr is listed, else 250.  Each accepted
message is dumped to DUMPDIR/m.N in smtp-sink's -d layout (X-Mail-Args,
X-Rcpt-Args, a three-line Received:, the message with LF line ends), so
lmtplib.Sink.messages() reads it.  Runs until SIGTERM.
"""

import os
import socketserver
import sys
import threading

PORT, DUMP = int(sys.argv[1]), sys.argv[2]
REFUSE = dict(a.split("=", 1) for a in sys.argv[3:])
COUNT = [0]
LOCK = threading.Lock()    # sessions run in threads: one number each


class Session(socketserver.StreamRequestHandler):
    def say(self, line):
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self):
        self.say("220 stub ESMTP")
        mail, rcpts = "", []
        while True:
            line = self.rfile.readline(1000)
            if not line:
                return
            cmd = line.decode("utf-8", "replace").strip()
            verb = cmd.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.say("250-stub\r\n250 8BITMIME")
            elif verb == "MAIL":
                mail, rcpts = cmd[10:].split(" ")[0], []
                self.say("250 2.1.0 Ok")
            elif verb == "RCPT":
                addr = cmd[8:].split(" ")[0].strip("<>").lower()
                if addr in REFUSE:
                    self.say(REFUSE[addr])
                else:
                    rcpts.append(addr)
                    self.say("250 2.1.5 Ok")
            elif verb == "DATA" and rcpts:
                self.say("354 End data with <CR><LF>.<CR><LF>")
                self.data(mail, rcpts)
                self.say("250 2.0.0 Ok: queued")
            elif verb == "DATA":
                self.say("554 5.5.1 Error: no valid recipients")
            elif verb == "QUIT":
                self.say("221 2.0.0 Bye")
                return
            else:
                self.say("250 2.0.0 Ok")

    def data(self, mail, rcpts):
        body = []
        while True:
            line = self.rfile.readline(100000)
            if not line or line in (b".\r\n", b".\n"):
                break
            if line.startswith(b".."):
                line = line[1:]
            body.append(line.replace(b"\r\n", b"\n"))
        with LOCK:
            COUNT[0] += 1
            n = COUNT[0]
        tmp = os.path.join(DUMP, ".m.%d" % n)
        with open(tmp, "wb") as f:
            f.write(("X-Mail-Args: %s\n" % mail).encode())
            for r in rcpts:
                f.write(("X-Rcpt-Args: <%s>\n" % r).encode())
            f.write(b"Received: from client\n\tby stub\n\tfor you;\n")
            f.write(b"".join(body))
        os.rename(tmp, os.path.join(DUMP, "m.%08d" % n))


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


Server(("127.0.0.1", PORT), Session).serve_forever()
