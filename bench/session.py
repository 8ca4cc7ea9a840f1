"""session - the client side of one LMTP or SMTP session, as the bench
clients (accept.sh's client.py, digest.sh's probe.py) drive it: a reply
is its last line, any unexpected reply ends the bench with it."""

import socket
import sys


class Session:
    def __init__(self, port, hello):
        """Connect to 127.0.0.1:port, read the greeting, say hello
        ("LHLO name" or "EHLO name")."""
        self.s = socket.create_connection(("127.0.0.1", port), 30)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.f = self.s.makefile("rb")
        self.reply()
        self.cmd(hello, b"250")

    def reply(self):
        """The last line of the next reply."""
        while True:
            ln = self.f.readline()
            if not ln:
                sys.exit("connection closed")
            if ln[3:4] != b"-":
                return ln

    def cmd(self, line, want):
        """Send a command line; exit unless the reply starts with want."""
        self.s.sendall(line.encode() + b"\r\n")
        r = self.reply()
        if not r.startswith(want):
            sys.exit("%s -> %r" % (line, r))

    def send(self, data):
        self.s.sendall(data)
