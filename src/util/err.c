#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/err.h"

static const char *const err_names[ERR_KIND_COUNT] = {
	[ERR_OK] = "ok",
	[ERR_USAGE] = "usage",
	[ERR_DATA] = "data",
	[ERR_NOUSER] = "nouser",
	[ERR_NOHOST] = "nohost",
	[ERR_UNAVAILABLE] = "unavailable",
	[ERR_SOFTWARE] = "software",
	[ERR_OS] = "os",
	[ERR_CANTCREAT] = "cantcreat",
	[ERR_IO] = "io",
	[ERR_TEMP] = "temp",
	[ERR_PROTOCOL] = "protocol",
	[ERR_NOPERM] = "noperm",
	[ERR_CONFIG] = "config",
};

void
err_clear(struct err *e)
{
	if (e == NULL)
		return;
	e->kind = ERR_OK;
	e->msg[0] = '\0';
}

static void
scrub(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

enum err_kind
err_set(struct err *e, enum err_kind kind, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return kind;
	e->kind = kind;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	scrub(e->msg);
	return kind;
}

void
err_prefix(struct err *e, const char *fmt, ...)
{
	char head[ERR_MSG_MAX], old[ERR_MSG_MAX];
	va_list ap;

	if (e == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	strlcpy(old, e->msg, sizeof(old));
	/* Truncation is fine: the message is one line for a human. */
	strlcpy(e->msg, head, sizeof(e->msg));
	strlcat(e->msg, ": ", sizeof(e->msg));
	strlcat(e->msg, old, sizeof(e->msg));
	scrub(e->msg);
}

const char *
err_kind_name(enum err_kind kind)
{
	if ((unsigned)kind >= ERR_KIND_COUNT)
		return "unknown";
	return err_names[kind];
}
