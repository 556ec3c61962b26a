/*
 * err: error values.
 *
 * Every function below cmd/ that can fail returns an enum err_kind and, on
 * failure, fills a caller-owned struct err with the kind and one line of
 * text (no trailing newline, no control bytes).  Only cmd/ maps kinds to
 * exit codes and prints them.  ERR_OK is 0 so "if (rc)" reads naturally.
 */
#ifndef POSTIE_UTIL_ERR_H
#define POSTIE_UTIL_ERR_H

#include <stddef.h>

#define ERR_MSG_MAX 512

enum err_kind {
	ERR_OK = 0,
	ERR_USAGE,		/* bad command line */
	ERR_DATA,		/* bad input data (message, address) */
	ERR_NOUSER,		/* recipient unknown */
	ERR_NOHOST,		/* host or domain unknown */
	ERR_UNAVAILABLE,	/* permanent failure, service unavailable */
	ERR_SOFTWARE,		/* internal error: a bug */
	ERR_OS,			/* system call failed */
	ERR_CANTCREAT,		/* cannot create a file */
	ERR_IO,			/* input/output error */
	ERR_TEMP,		/* temporary failure: retry later */
	ERR_PROTOCOL,		/* remote side broke the protocol */
	ERR_NOPERM,		/* permission denied (also: auth refused) */
	ERR_CONFIG,		/* configuration error */
	ERR_KIND_COUNT
};

struct err {
	enum err_kind kind;
	char msg[ERR_MSG_MAX];
};

/* Clear e to ERR_OK with an empty message.  e may be NULL. */
void err_clear(struct err *e);

/*
 * Set e (may be NULL) to kind with a printf-formatted message; control
 * bytes in the result are replaced by '?'.  Returns kind, so callers can
 * write "return err_set(e, ERR_IO, ...);".
 */
enum err_kind err_set(struct err *e, enum err_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefix the existing message of e with a printf-formatted context. */
void err_prefix(struct err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A short stable name for kind ("temp", "protocol", ...). */
const char *err_kind_name(enum err_kind kind);

#endif
