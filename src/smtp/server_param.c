#include "config.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtp/server_int.h"
#include "util/utf8.h"

/*
 * The arguments of MAIL and RCPT: the path (RFC 5321 4.1.2, with UTF-8
 * from RFC 6531 3.3) and the parameters (esmtp-param, 4.1.1.11): each
 * parameter must be known and its extension offered (else 555), appear
 * once and have a well-formed value (else 501).  The verdicts are kept in
 * s (cmd_syntax_ok, param_code/param_text) for check_mail() and
 * check_rcpt(); the values the engine acts on go into s->cmd_*.
 */

#define PARAM_ECHO_MAX 64	/* of the client's text, in a reply */

enum param_kw {
	KW_SIZE, KW_BODY, KW_SMTPUTF8, KW_RET, KW_ENVID, KW_AUTH,
	KW_NOTIFY, KW_ORCPT, KW_COUNT
};

static const struct {
	const char *name;
	bool mail;		/* a MAIL parameter (else RCPT) */
	unsigned caps;		/* offered when any of these is */
} keywords[KW_COUNT] = {
	[KW_SIZE] = { "SIZE", true, SMTP_CAP_SIZE },		/* RFC 1870 */
	[KW_BODY] = { "BODY", true, SMTP_CAP_8BITMIME |	/* RFC 6152 */
	    SMTP_CAP_BINARYMIME },				/* RFC 3030 */
	[KW_SMTPUTF8] = { "SMTPUTF8", true, SMTP_CAP_SMTPUTF8 },/* RFC 6531 */
	[KW_RET] = { "RET", true, SMTP_CAP_DSN },		/* RFC 3461 */
	[KW_ENVID] = { "ENVID", true, SMTP_CAP_DSN },
	[KW_AUTH] = { "AUTH", true, SMTP_CAP_AUTH },		/* RFC 4954 */
	[KW_NOTIFY] = { "NOTIFY", false, SMTP_CAP_DSN },
	[KW_ORCPT] = { "ORCPT", false, SMTP_CAP_DSN },
};

static bool
hex_ok(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') ||
	    (c >= 'a' && c <= 'f');
}

/* RFC 3461 4: xtext = *( xchar / "+" 2HEXCHAR ), lenient on hex case. */
static bool
xtext_ok(const char *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '+') {
			if (n - i < 3 || !hex_ok(v[i + 1]) ||
			    !hex_ok(v[i + 2]))
				return false;
			i += 2;
		} else if (c < '!' || c > '~' || c == '=')
			return false;
	}
	return true;
}

/* v (n bytes) is one of the words in list (any case). */
static bool
one_of(const char *v, size_t n, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strlen(*list) == n && strncasecmp(v, *list, n) == 0)
			return true;
	return false;
}

/* RFC 3461 4.1: NEVER, or a list of SUCCESS, FAILURE and DELAY. */
static bool
notify_ok(const char *v, size_t n)
{
	static const char *const words[] = { "SUCCESS", "FAILURE", "DELAY",
	    NULL };
	size_t len;

	if (n == 5 && strncasecmp(v, "NEVER", 5) == 0)
		return true;
	for (;;) {
		len = strcspn(v, ",");
		if (len > n)
			len = n;
		if (!one_of(v, len, words))
			return false;
		if (len == n)
			return true;
		v += len + 1;
		n -= len + 1;
	}
}

/* RFC 3461 4.2: addr-type ";" xtext (RFC 6533: utf-8-addr-xtext). */
static bool
orcpt_ok(const char *v, size_t n)
{
	const char *semi = memchr(v, ';', n);
	size_t tlen, i;

	if (semi == NULL || semi == v || semi + 1 == v + n)
		return false;
	tlen = (size_t)(semi - v);
	for (i = 0; i < tlen; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", v[i]) == NULL)
			return false;
	if (tlen == 6 && strncasecmp(v, "rfc822", 6) == 0)
		return xtext_ok(semi + 1, n - tlen - 1);
	return true;	/* other types: the value's bytes were checked */
}

/* The value of keyword kw; fills s->cmd_*.  False when malformed. */
static bool
value_ok(struct smtp_server *s, enum param_kw kw, const char *v, size_t n)
{
	static const char *const bodies[] = { "7BIT", "8BITMIME",
	    "BINARYMIME", NULL };
	static const char *const rets[] = { "FULL", "HDRS", NULL };
	const char *errstr;
	char num[32];

	switch (kw) {
	case KW_SIZE:
		if (n == 0 || n >= sizeof(num) || strspn(v, "0123456789") < n)
			return false;
		memcpy(num, v, n);
		num[n] = '\0';
		s->cmd_size = (unsigned long long)strtonum(num, 0, LLONG_MAX,
		    &errstr);
		return errstr == NULL;
	case KW_BODY:
		s->cmd_binary = n == 10 && strncasecmp(v, "BINARYMIME", 10) ==
		    0;
		return one_of(v, n, bodies);
	case KW_SMTPUTF8:
		s->cmd_smtputf8 = true;
		return v == NULL;
	case KW_RET:
		return one_of(v, n, rets);
	case KW_ENVID:
		return xtext_ok(v, n);
	case KW_AUTH:	/* RFC 4954 5: xtext, or "<>" */
		return (n == 2 && memcmp(v, "<>", 2) == 0) || xtext_ok(v, n);
	case KW_NOTIFY:
		return notify_ok(v, n);
	case KW_ORCPT:
		return orcpt_ok(v, n);
	default:
		return false;
	}
}

/* A value that is offered only with its own extension (RFC 3030 3). */
static bool
value_offered(const struct smtp_server *s, enum param_kw kw, const char *v,
    size_t n)
{
	if (kw != KW_BODY)
		return true;
	if (n == 10 && strncasecmp(v, "BINARYMIME", 10) == 0)
		return (s->conf.caps & SMTP_CAP_BINARYMIME) != 0;
	if (n == 8 && strncasecmp(v, "8BITMIME", 8) == 0)
		return (s->conf.caps & SMTP_CAP_8BITMIME) != 0;
	return true;
}

static void
param_error(struct smtp_server *s, int code, const char *what,
    const char *p, size_t n)
{
	if (s->param_code != 0)
		return;		/* the first error is the reply */
	s->param_code = code;
	snprintf(s->param_text, sizeof(s->param_text), "5.5.4 %s: %.*s",
	    what, (int)(n > PARAM_ECHO_MAX ? PARAM_ECHO_MAX : n), p);
}

/* esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-") */
static bool
keyword_ok(const char *k, size_t n)
{
	size_t i;

	if (n == 0 || k[0] == '-')
		return false;
	for (i = 0; i < n; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", k[i]) == NULL)
			return false;
	return true;
}

/* esmtp-value: no SP, control, "=" or DEL; UTF-8 allowed (RFC 6531). */
static bool
value_bytes_ok(const char *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c <= ' ' || c == '=' || c == 0x7f)
			return false;
	}
	return utf8_valid(v, n);
}

/* One "KEYWORD[=VALUE]" of n bytes at p; seen: keywords so far. */
static void
one_param(struct smtp_server *s, bool mail, const char *p, size_t n,
    unsigned *seen)
{
	const char *eq = memchr(p, '=', n), *v = NULL;
	size_t klen = eq != NULL ? (size_t)(eq - p) : n, vlen = 0;
	int kw;

	if (eq != NULL) {
		v = eq + 1;
		vlen = n - klen - 1;
	}
	if (!keyword_ok(p, klen) || (v != NULL && (vlen == 0 ||
	    !value_bytes_ok(v, vlen)))) {
		param_error(s, 501, "Bad parameter", p, n);
		return;
	}
	for (kw = 0; kw < KW_COUNT; kw++)
		if (keywords[kw].mail == mail &&
		    strlen(keywords[kw].name) == klen &&
		    strncasecmp(p, keywords[kw].name, klen) == 0)
			break;
	if (kw == KW_COUNT || !(s->conf.caps & keywords[kw].caps) ||
	    (v != NULL && !value_offered(s, kw, v, vlen))) {
		param_error(s, 555, "Unsupported parameter", p, n);
		return;
	}
	if ((*seen & (1u << kw)) || (v == NULL) != (kw == KW_SMTPUTF8) ||
	    !value_ok(s, kw, v, vlen)) {
		param_error(s, 501, "Bad parameter", p, n);
		return;
	}
	*seen |= 1u << kw;
}

void
srv_param_parse(struct smtp_server *s, bool mail)
{
	const char *p = s->params;
	unsigned seen = 0;
	size_t n;

	s->param_code = 0;
	s->param_text[0] = '\0';
	s->cmd_size = 0;
	s->cmd_smtputf8 = false;
	s->cmd_binary = false;
	while (*p != '\0') {
		n = strcspn(p, " ");
		if (n > 0)
			one_param(s, mail, p, n, &seen);
		p += n;
		p += strspn(p, " ");
	}
}

/* ---- the path ------------------------------------------------------- */

static bool
path_char_ok(unsigned char c)
{
	return c > 0x20 && c != 0x7f;
}

/*
 * "FROM:<path> params" (RFC 5321 4.1.1.2, 3.3): key is "FROM:" or "TO:".
 * One space after the colon is tolerated.  Fills arg (the path without
 * the brackets) and params in s->parts after the verb.  0, or -1 on bad
 * syntax.
 */
static int
parse_path(struct smtp_server *s, const char *rest, const char *key,
    char *dst)
{
	size_t klen = strlen(key), i;
	bool quoted = false;

	if (strncasecmp(rest, key, klen) != 0)
		return -1;
	rest += klen;
	if (*rest == ' ')
		rest++;
	if (*rest++ != '<')
		return -1;
	for (i = 0; rest[i] != '\0'; i++) {
		if (!path_char_ok((unsigned char)rest[i]) &&
		    !(quoted && rest[i] == ' '))
			return -1;
		if (rest[i] == '"')
			quoted = !quoted;
		else if (quoted && rest[i] == '\\' && rest[i + 1] != '\0') {
			if (!path_char_ok((unsigned char)rest[++i]) &&
			    rest[i] != ' ')
				return -1;
		}
		else if (!quoted && rest[i] == '>')
			break;
	}
	if (rest[i] != '>' || (rest[i + 1] != '\0' && rest[i + 1] != ' '))
		return -1;
	memcpy(dst, rest, i);
	dst[i] = '\0';
	s->arg = dst;
	rest += i + 1;
	while (*rest == ' ')
		rest++;
	dst += i + 1;
	memcpy(dst, rest, strlen(rest) + 1);
	s->params = dst;
	return 0;
}

/* Whether s holds a byte >= 0x80. */
static bool
nonascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return true;
	return false;
}

void
srv_param_path(struct smtp_server *s, const char *after, char *dst)
{
	bool mail = s->cmd == SMTP_SERVER_CMD_MAIL;

	s->cmd_nonascii = false;
	s->cmd_syntax_ok = parse_path(s, after, mail ? "FROM:" : "TO:",
	    dst) == 0 && (mail || s->arg[0] != '\0');
	if (s->cmd_syntax_ok) {
		/* RFC 6531 3.3: UTF-8, allowed later only with SMTPUTF8 */
		s->cmd_nonascii = nonascii(s->arg);
		if (s->cmd_nonascii && !utf8_valid(s->arg, strlen(s->arg)))
			s->cmd_syntax_ok = false;
	}
}
