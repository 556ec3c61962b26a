#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/log.h"

#define LOG_LINE_MAX 4096
#define LOG_CAPTURE_MAX (16u << 20)

void
log_init(struct log *l, enum log_sink sink, int level, const char *prefix)
{
	memset(l, 0, sizeof(*l));
	l->sink = sink;
	l->level = level;
	l->prefix = prefix;
	l->facility = LOG_MAIL;
	buf_init(&l->capture, LOG_CAPTURE_MAX);
}

void
log_free(struct log *l)
{
	if (l == NULL)
		return;
	buf_free(&l->capture);
}

/* Write one finished line (no newline in it) to l's sink. */
static void
emit(struct log *l, int prio, const char *line, size_t len)
{
	char stamp[64];
	time_t now;
	struct tm tm;

	switch (l->sink) {
	case LOG_SINK_STDERR:
		if (l->prefix != NULL)
			fprintf(stderr, "%s: %s\n", l->prefix, line);
		else
			fprintf(stderr, "%s\n", line);
		break;
	case LOG_SINK_SYSLOG:
		syslog(l->facility | prio, "%s", line);
		break;
	case LOG_SINK_FILE:
		now = time(NULL);
		if (localtime_r(&now, &tm) == NULL ||
		    strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm) == 0)
			stamp[0] = '\0';
		fprintf(l->fp, "%s %s\n", stamp, line);
		fflush(l->fp);
		break;
	case LOG_SINK_CAPTURE:
		(void)buf_append(&l->capture, line, len);
		(void)buf_append_byte(&l->capture, '\n');
		break;
	case LOG_SINK_NONE:
		break;
	}
}

void
log_msg(struct log *l, int prio, const char *fmt, ...)
{
	char raw[LOG_LINE_MAX];
	struct buf line;
	va_list ap;

	if (l == NULL || l->sink == LOG_SINK_NONE || prio > l->level)
		return;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	buf_init(&line, LOG_LINE_MAX * 4);
	if (buf_append_escaped(&line, raw, strlen(raw)) == 0)
		emit(l, prio, buf_str(&line), line.len);
	buf_free(&line);
}

void
log_verbatim(struct log *l, int prio, const char *line)
{
	size_t i, n;

	if (l == NULL || l->sink == LOG_SINK_NONE || prio > l->level ||
	    line == NULL)
		return;
	/* The caller's promise, kept: a control byte is dropped, never
	 * written (it could split or forge a line). */
	n = strlen(line);
	for (i = 0; i < n; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			return;
	emit(l, prio, line, n);
}
