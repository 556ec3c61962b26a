#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "smtp/dsn.h"
#include "util/utf8.h"

/* One NOTIFY keyword of n bytes at p, upper-cased into out. */
static int
notify_word(const char *p, size_t n, struct buf *out)
{
	static const char *const words[] = { "SUCCESS", "FAILURE", "DELAY" };
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strlen(words[i]) == n && strncasecmp(p, words[i], n) == 0)
			return buf_append_str(out, words[i]);
	return -1;
}

enum err_kind
smtp_dsn_notify(const char *arg, char *out, size_t outlen, struct err *e)
{
	struct buf b;
	const char *p = arg, *comma;
	int rc = 0;

	if (strcasecmp(arg, "never") == 0) {
		strlcpy(out, "NEVER", outlen);
		return ERR_OK;
	}
	buf_init(&b, 64);
	while (rc == 0) {
		comma = strchr(p, ',');
		rc = notify_word(p, comma != NULL ? (size_t)(comma - p) :
		    strlen(p), &b);
		if (comma == NULL)
			break;
		if (rc == 0)
			rc = buf_append_byte(&b, ',');
		p = comma + 1;
	}
	if (rc == 0)
		strlcpy(out, buf_str(&b), outlen);
	buf_free(&b);
	if (rc != 0)
		return err_set(e, ERR_USAGE, "-N takes never, or success, "
		    "failure and delay separated by commas, not '%s'", arg);
	return ERR_OK;
}

enum err_kind
smtp_dsn_ret(const char *arg, char *out, size_t outlen, struct err *e)
{
	if (strcasecmp(arg, "full") == 0)
		strlcpy(out, "FULL", outlen);
	else if (strcasecmp(arg, "hdrs") == 0)
		strlcpy(out, "HDRS", outlen);
	else
		return err_set(e, ERR_USAGE, "-R takes full or hdrs, not '%s'",
		    arg);
	return ERR_OK;
}

enum err_kind
smtp_dsn_envid(const char *arg, struct err *e)
{
	const unsigned char *p;

	if (strlen(arg) > SMTP_DSN_ENVID_MAX)
		return err_set(e, ERR_USAGE, "-V: an envelope id has at most "
		    "%d characters", SMTP_DSN_ENVID_MAX);
	for (p = (const unsigned char *)arg; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			return err_set(e, ERR_USAGE, "-V: an envelope id is "
			    "printable US-ASCII");
	return ERR_OK;
}

int
smtp_dsn_xtext(struct buf *out, const char *s)
{
	const unsigned char *p;
	char hex[4];

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p >= '!' && *p <= '~' && *p != '+' && *p != '=') {
			if (buf_append_byte(out, *p) == -1)
				return -1;
			continue;
		}
		snprintf(hex, sizeof(hex), "+%02X", *p);
		if (buf_append_str(out, hex) == -1)
			return -1;
	}
	return 0;
}

int
smtp_dsn_utf8_xtext(struct buf *out, const char *s)
{
	struct buf tmp;
	uint32_t cp;
	size_t n = strlen(s), i = 0, k;
	char unit[UTF8_XTEXT_UNIT_MAX];
	int rc = 0;

	/* Built apart, so that a failure appends nothing. */
	buf_init(&tmp, out->max);
	while (i < n && rc == 0) {
		if ((k = utf8_decode(s + i, n - i, &cp)) == 0)
			rc = -1;
		else
			rc = buf_append(&tmp, unit, utf8_xtext_unit(cp, unit));
		i += k;
	}
	if (rc == 0 && tmp.len > 0)
		rc = buf_append(out, tmp.data, tmp.len);
	buf_free(&tmp);
	return rc;
}
