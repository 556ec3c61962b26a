/*
 * log: where diagnostics go.
 *
 * A struct log is a sink chosen by the front end: stderr, syslog, a file,
 * or a capture buffer for tests.  It is passed down explicitly; there is
 * no global logger.  A NULL struct log * is valid everywhere and drops the
 * message.  Messages are one line each; control bytes are escaped.
 *
 * Levels follow syslog's priorities (LOG_ERR, LOG_WARNING, LOG_INFO,
 * LOG_DEBUG); a message above the sink's level is dropped.
 */
#ifndef POSTIE_UTIL_LOG_H
#define POSTIE_UTIL_LOG_H

#include <stdio.h>
#include <syslog.h>

#include "util/buf.h"

enum log_sink {
	LOG_SINK_NONE,
	LOG_SINK_STDERR,	/* "prefix: message\n" on stderr */
	LOG_SINK_SYSLOG,	/* syslog(3) with the facility below */
	LOG_SINK_FILE,		/* appended to fp, with a time stamp */
	LOG_SINK_CAPTURE	/* appended to capture, for tests */
};

struct log {
	enum log_sink sink;
	int level;		/* highest priority number still logged */
	const char *prefix;	/* borrowed; e.g. "postie" */
	int facility;		/* for LOG_SINK_SYSLOG */
	FILE *fp;		/* for LOG_SINK_FILE; owned by the caller */
	struct buf capture;	/* for LOG_SINK_CAPTURE; lines end in \n */
};

/* Initialise l as the given sink (capture buffers are capped at 16 MiB). */
void log_init(struct log *l, enum log_sink sink, int level, const char *prefix);
/* Free what log_init allocated (the capture buffer).  l may be NULL. */
void log_free(struct log *l);

void log_msg(struct log *l, int prio, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * A line already made safe by its writer (deliver/msglog: escaped, capped
 * at 64 KiB), written as it is: not escaped again, not cut at log_msg()'s
 * 4 KiB.  A line holding a control byte is dropped whole.
 */
void log_verbatim(struct log *l, int prio, const char *line);

#endif
