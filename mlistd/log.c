/*
 * log - severities and a syslog or stderr sink (see log.h).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static enum log_sink log_sink = LOG_SINK_STDERR;
static const char *log_ident = "mlistd";
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void
log_open(const char *ident, enum log_sink sink)
{
	log_ident = ident;
	log_sink = sink;
	if (sink == LOG_SINK_SYSLOG)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

/* log_emit - one line to the sink; stderr lines are written whole */
static void
log_emit(int prio, const char *level, const char *fmt, va_list ap)
{
	if (log_sink == LOG_SINK_SYSLOG) {
		vsyslog(prio, fmt, ap);
		return;
	}
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "%s: %s", log_ident, level);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	pthread_mutex_unlock(&log_lock);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_INFO, "", fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_WARNING, "warning: ", fmt, ap);
	va_end(ap);
}

void
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_ERR, "error: ", fmt, ap);
	va_end(ap);
}

void
log_fatal(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_CRIT, "fatal: ", fmt, ap);
	va_end(ap);
	exit(code);
}

void
log_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_CRIT, "panic: ", fmt, ap);
	va_end(ap);
	abort();
}
