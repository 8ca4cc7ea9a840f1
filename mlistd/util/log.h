/*
 * log - severities and a syslog or stderr sink.
 *
 * Only programs and their top layers (lmtp_session, main) log; libraries
 * return errors.  log_fatal() exits with the given sysexits code;
 * log_panic() aborts, so a broken invariant leaves a core and Postfix
 * re-queues what was not acknowledged.
 */
#ifndef MLISTD_LOG_H
#define MLISTD_LOG_H

enum log_sink { LOG_SINK_STDERR, LOG_SINK_SYSLOG };

void log_open(const char *ident, enum log_sink sink);
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_fatal(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
void log_panic(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif
