#!/bin/sh
# signals.sh - SIGTERM lets an open transaction finish, answers idle
# sessions 421 4.3.2 and exits 0; SIGHUP reloads a valid configuration
# and keeps the running one when the new file is invalid.
. "${MLISTD_TESTS:-$(dirname "$0")}/lib.sh"
need sqlite3

write_conf "max_message_size = 1M"
ctl club create acme >/dev/null
start_daemon || { ok 1 "mlistd starts"; done_testing; }

# lmtp_py SCRIPT: run a small python LMTP client against $PORT
lmtp_py() {
	PORT=$PORT DAEMON=$DAEMON python3 -c "
import os, socket, signal, time
s = socket.create_connection(('127.0.0.1', int(os.environ['PORT'])), 5)
s.settimeout(10)
f = s.makefile('rb')
def reply():
    lines = []
    while True:
        l = f.readline().decode()
        if not l: return ' '.join(lines) or 'EOF'
        lines.append(l.strip())
        if len(l) < 4 or l[3] != '-': return ' '.join(lines)
def send(x): s.sendall(x.encode())
$1
"
}

# SIGHUP with a new valid size: new sessions see it
sed -i 's/^max_message_size = 1M/max_message_size = 2M/' "$CONF"
kill -HUP "$DAEMON"; sleep 0.5
out=$(lmtp_py "reply(); send('LHLO t\r\n'); print(reply())")
like "$out" "SIZE 2097152" "SIGHUP: the new configuration is used"
echo "bogus = 1" >>"$CONF"
kill -HUP "$DAEMON"; sleep 0.5
out=$(lmtp_py "reply(); send('LHLO t\r\n'); print(reply())")
like "$out" "SIZE 2097152" "SIGHUP with an invalid file keeps the running configuration"
like "$(cat "$T_DIR/mlistd.log")" "reload failed, keeping the running configuration: .*:[0-9]+: bogus: unknown key" "and logs why"
kill -0 "$DAEMON"; ok $? "still running"
# a change only a restart can apply is refused whole
sed -i '/^bogus = 1$/d; s|^database = .*|database = /nonexistent/other.db|; s/^max_message_size = 2M/max_message_size = 3M/' "$CONF"
kill -HUP "$DAEMON"; sleep 0.5
like "$(cat "$T_DIR/mlistd.log")" "reload refused, keeping the running configuration: .*database changed; restart mlistd to apply it" "SIGHUP changing the database is refused and says why"
out=$(lmtp_py "reply(); send('LHLO t\r\n'); print(reply())")
like "$out" "SIZE 2097152" "and nothing of that file is applied"

# SIGTERM in the middle of DATA: the transaction completes
out=$(lmtp_py "
reply(); send('LHLO t\r\n'); reply()
send('MAIL FROM:<a@example.com>\r\n'); reply()
send('RCPT TO:<acme@lists.example.org>\r\n'); reply()
send('DATA\r\n'); reply()
send('Subject: during shutdown\r\nMessage-ID: <term@x>\r\n\r\nfirst part\r\n')
idle = socket.create_connection(('127.0.0.1', int(os.environ['PORT'])), 5)
idle.settimeout(10); fi = idle.makefile('rb'); fi.readline()
idle.sendall(b'LHLO idle\r\n')
while fi.readline()[3:4] == b'-': pass
os.kill(int(os.environ['DAEMON']), signal.SIGTERM)
time.sleep(1.5)
print('idle:', fi.readline().decode().strip())
send('second part\r\n.\r\n'); print('data:', reply())
send('QUIT\r\n'); print('quit:', reply())
try:
    socket.create_connection(('127.0.0.1', int(os.environ['PORT'])), 2)
    print('new: accepted')
except OSError:
    print('new: refused')
")
like "$out" "idle: 421 4.3.2" "an idle session is told 421 4.3.2"
like "$out" "data: 250 2.0.0" "the open transaction still gets its 250"
like "$out" "new: refused" "no new connections after SIGTERM"
wait "$DAEMON"; rc=$?
is "$rc" 0 "mlistd exits 0"
is "$(sql "select count(*) from messages where message_id='<term@x>'")" 1 "the message is stored"
like "$(sql "select raw from messages where message_id='<term@x>'")" "second part" "completely"
done_testing
