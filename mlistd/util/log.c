/*
 * log - severities and a syslog or stderr sink (see log.h).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* log_emit - one line to the sink; stderr lines are written whole, in
   one write(2): stderr is unbuffered, so each stdio call would be one */
static void
log_emit(int prio, const char *level, const char *fmt, va_list ap)
{
	char line[1024], *p = line;
	va_list aq;
	int n, m;

	if (log_sink == LOG_SINK_SYSLOG) {
		vsyslog(prio, fmt, ap);
		return;
	}
	n = snprintf(line, sizeof(line), "%s: %s", log_ident, level);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	va_copy(aq, ap);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, aq);
	va_end(aq);
	if (m < 0)
		m = 0;
	if ((size_t)(n + m) + 2 > sizeof(line)) {
		/* a long line (a fatal error quoting input): the heap */
		if ((p = malloc((size_t)(n + m) + 2)) == NULL)
			return;
		memcpy(p, line, (size_t)n);
		vsnprintf(p + n, (size_t)m + 1, fmt, ap);
	}
	p[n + m] = '\n';
	pthread_mutex_lock(&log_lock);
	fwrite(p, 1, (size_t)(n + m) + 1, stderr);
	pthread_mutex_unlock(&log_lock);
	if (p != line)
		free(p);
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
