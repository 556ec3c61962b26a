#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtp/caps.h"

#define CAPS_WORD_MAX 64	/* longest keyword or parameter we look at */

static const struct {
	const char *name;
	enum smtp_cap flag;
} cap_names[] = {
	{ "PIPELINING", SMTP_CAP_PIPELINING },
	{ "SIZE", SMTP_CAP_SIZE },
	{ "8BITMIME", SMTP_CAP_8BITMIME },
	{ "SMTPUTF8", SMTP_CAP_SMTPUTF8 },
	{ "DSN", SMTP_CAP_DSN },
	{ "ENHANCEDSTATUSCODES", SMTP_CAP_ENHANCEDSTATUSCODES },
	{ "CHUNKING", SMTP_CAP_CHUNKING },
	{ "STARTTLS", SMTP_CAP_STARTTLS },
	{ "AUTH", SMTP_CAP_AUTH },
	{ "BINARYMIME", SMTP_CAP_BINARYMIME },
};

unsigned
smtp_caps_from_name(const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(cap_names) / sizeof(cap_names[0]); i++)
		if (strlen(cap_names[i].name) == n &&
		    strncasecmp(cap_names[i].name, name, n) == 0)
			return cap_names[i].flag;
	return 0;
}

void
smtp_caps_clear(struct smtp_caps *c)
{
	memset(c, 0, sizeof(*c));
}

/*
 * Copy the next space-separated word of *s into w (truncated to wlen),
 * advance *s past it; 0 when there is none.
 */
static int
next_word(const char **s, char *w, size_t wlen)
{
	const char *p = *s;
	size_t n = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return 0;
	while (*p != '\0' && *p != ' ' && *p != '\t') {
		if (n + 1 < wlen)
			w[n++] = *p;
		p++;
	}
	w[n] = '\0';
	*s = p;
	return 1;
}

/* RFC 4422 3.1: a mechanism name is 1-20 of [A-Z0-9-_]. */
static int
valid_mech(const char *m)
{
	size_t n = strlen(m), i;

	if (n == 0 || n > 20)
		return 0;
	for (i = 0; i < n; i++)
		if (!isupper((unsigned char)m[i]) &&
		    !isdigit((unsigned char)m[i]) && m[i] != '-' && m[i] != '_')
			return 0;
	return 1;
}

static void
add_auth(struct smtp_caps *c, const char *params)
{
	char w[CAPS_WORD_MAX];
	size_t i;

	while (next_word(&params, w, sizeof(w))) {
		for (i = 0; w[i] != '\0'; i++)
			w[i] = (char)toupper((unsigned char)w[i]);
		if (!valid_mech(w) || smtp_caps_has_auth(c, w))
			continue;
		if (c->auth[0] != '\0' &&
		    strlcat(c->auth, " ", sizeof(c->auth)) >= sizeof(c->auth))
			break;
		if (strlcat(c->auth, w, sizeof(c->auth)) >= sizeof(c->auth)) {
			/* Drop the truncated name and its separator. */
			char *sp = strrchr(c->auth, ' ');

			if (sp != NULL)
				*sp = '\0';
			else
				c->auth[0] = '\0';
			break;
		}
	}
}

static unsigned long long
number(const char *s, unsigned long long max)
{
	const char *err = NULL;
	long long v;

	v = strtonum(s, 0, (long long)max, &err);
	return err != NULL ? 0 : (unsigned long long)v;
}

/* RFC 9422 section 4: LIMITS RCPTMAX=n MAILMAX=n (others ignored). */
static void
add_limits(struct smtp_caps *c, const char *params)
{
	char w[CAPS_WORD_MAX];

	while (next_word(&params, w, sizeof(w))) {
		if (strncasecmp(w, "RCPTMAX=", 8) == 0)
			c->rcptmax = (unsigned)number(w + 8, 1000000000);
		else if (strncasecmp(w, "MAILMAX=", 8) == 0)
			c->mailmax = (unsigned)number(w + 8, 1000000000);
	}
}

static void
parse_line(struct smtp_caps *c, const char *line)
{
	char kw[CAPS_WORD_MAX], w[CAPS_WORD_MAX];
	const char *params;
	size_t n, i;

	while (*line == ' ')
		line++;
	n = strcspn(line, " =");
	if (n == 0 || n >= sizeof(kw))
		return;
	memcpy(kw, line, n);
	kw[n] = '\0';
	params = line + n + (line[n] != '\0');
	if (strcasecmp(kw, "LIMITS") == 0) {
		add_limits(c, params);
		return;
	}
	for (i = 0; i < sizeof(cap_names) / sizeof(cap_names[0]); i++)
		if (strcasecmp(kw, cap_names[i].name) == 0)
			break;
	if (i == sizeof(cap_names) / sizeof(cap_names[0]))
		return;
	c->flags |= cap_names[i].flag;
	if (cap_names[i].flag == SMTP_CAP_AUTH)
		add_auth(c, params);
	else if (cap_names[i].flag == SMTP_CAP_SIZE &&
	    next_word(&params, w, sizeof(w)))
		c->size_max = number(w, LLONG_MAX);
}

void
smtp_caps_parse(struct smtp_caps *c, const struct smtp_reply *r)
{
	size_t i;

	/* Line 0 is the server's greeting (RFC 5321 4.1.1.1). */
	for (i = 1; i < r->nlines; i++)
		parse_line(c, smtp_reply_line(r, i));
}

int
smtp_caps_has_auth(const struct smtp_caps *c, const char *mech)
{
	const char *p = c->auth;
	char w[CAPS_WORD_MAX];

	while (next_word(&p, w, sizeof(w)))
		if (strcasecmp(w, mech) == 0)
			return 1;
	return 0;
}

void
smtp_caps_describe(const struct smtp_caps *c, char *out, size_t outlen)
{
	size_t i;

	if (outlen == 0)
		return;
	out[0] = '\0';
	for (i = 0; i < sizeof(cap_names) / sizeof(cap_names[0]); i++) {
		if (!(c->flags & cap_names[i].flag))
			continue;
		if (out[0] != '\0')
			strlcat(out, " ", outlen);
		strlcat(out, cap_names[i].name, outlen);
	}
	if (c->rcptmax != 0 || c->mailmax != 0)
		strlcat(out, out[0] != '\0' ? " LIMITS" : "LIMITS", outlen);
}
