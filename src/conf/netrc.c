#include "config.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "conf/netrc.h"

#define NETRC_TOKEN_MAX 4096	/* longest token (host, login, password) */

/* The tokenizer: text in, one token at a time into tok (wiped at the end). */
struct lex {
	const char *p, *end;
	const char *file;
	unsigned line;		/* line of p */
	unsigned tok_line;	/* line where tok started */
	size_t len;
	char tok[NETRC_TOKEN_MAX + 1];
};

/* The machine or default entry being read. */
struct entry {
	bool open;		/* inside an entry */
	bool is_default;
	bool host_ok;		/* machine equals host */
	bool has_login;
	bool login_ok;		/* login equals user */
	struct secret pw;
};

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v';
}

static enum err_kind
push(struct lex *lx, char c, struct err *e)
{
	if (c == '\0')
		return err_set(e, ERR_CONFIG, "%s:%u: NUL byte", lx->file,
		    lx->line);
	if (lx->len == NETRC_TOKEN_MAX)
		return err_set(e, ERR_CONFIG, "%s:%u: token longer than %d "
		    "bytes", lx->file, lx->tok_line, NETRC_TOKEN_MAX);
	lx->tok[lx->len++] = c;
	return ERR_OK;
}

/* "..." with backslash escapes; lx->p is on the opening quote. */
static enum err_kind
lex_quoted(struct lex *lx, struct err *e)
{
	enum err_kind rc;
	char c;

	lx->p++;
	for (;;) {
		if (lx->p == lx->end)
			return err_set(e, ERR_CONFIG, "%s:%u: unterminated "
			    "quote", lx->file, lx->tok_line);
		c = *lx->p++;
		if (c == '"')
			return ERR_OK;
		if (c == '\\') {
			if (lx->p == lx->end)
				continue;	/* reported above */
			c = *lx->p++;
		}
		if (c == '\n')
			lx->line++;
		if ((rc = push(lx, c, e)) != ERR_OK)
			return rc;
	}
}

/* The next token into lx->tok (NUL-terminated); *got false at the end. */
static enum err_kind
lex_next(struct lex *lx, bool *got, struct err *e)
{
	enum err_kind rc = ERR_OK;

	while (lx->p < lx->end && is_blank(*lx->p))
		if (*lx->p++ == '\n')
			lx->line++;
	lx->len = 0;
	lx->tok[0] = '\0';
	*got = lx->p < lx->end;
	if (!*got)
		return ERR_OK;
	lx->tok_line = lx->line;
	if (*lx->p == '"')
		rc = lex_quoted(lx, e);
	else
		while (rc == ERR_OK && lx->p < lx->end && !is_blank(*lx->p))
			rc = push(lx, *lx->p++, e);
	lx->tok[lx->len] = '\0';
	return rc;
}

/* The value that must follow keyword kw. */
static enum err_kind
lex_value(struct lex *lx, const char *kw, struct err *e)
{
	unsigned line = lx->tok_line;
	enum err_kind rc;
	bool got;

	if ((rc = lex_next(lx, &got, e)) != ERR_OK)
		return rc;
	if (!got)
		return err_set(e, ERR_CONFIG, "%s:%u: '%s' without a value",
		    lx->file, line, kw);
	return ERR_OK;
}

/*
 * A macro body runs from the line after `macdef NAME` to the first empty
 * line (or the end of the text), as in ftp(1); it may hold any words.
 */
static void
skip_macro(struct lex *lx)
{
	bool bol = false;
	char c;

	while (lx->p < lx->end) {
		c = *lx->p++;
		if (c == '\n') {
			lx->line++;
			if (bol)
				return;
			bol = true;
		} else if (c != '\r')
			bol = false;
	}
}

/*
 * Close the entry cur.  A matching machine entry sets *found and keeps its
 * password in cur->pw; the first complete default entry moves its password
 * to dflt; anything else is wiped.
 */
static void
entry_close(struct entry *cur, struct secret *dflt, bool *found)
{
	bool ok;

	if (!cur->open)
		return;
	cur->open = false;
	ok = secret_is_set(&cur->pw) && (!cur->has_login || cur->login_ok);
	if (ok && !cur->is_default && cur->host_ok) {
		*found = true;
		return;
	}
	if (ok && cur->is_default && !secret_is_set(dflt)) {
		*dflt = cur->pw;
		secret_init(&cur->pw);
		return;
	}
	secret_free(&cur->pw);
}

static void
entry_open(struct entry *cur, bool is_default, bool host_ok)
{
	cur->open = true;
	cur->is_default = is_default;
	cur->host_ok = host_ok;
	cur->has_login = false;
	cur->login_ok = false;
	secret_free(&cur->pw);
}

/* One keyword (in lx->tok) and its value. */
static enum err_kind
step(struct lex *lx, const char *host, const char *user, struct entry *cur,
    struct secret *dflt, bool *found, struct err *e)
{
	enum err_kind rc = ERR_OK;

	if (strcmp(lx->tok, "machine") == 0 ||
	    strcmp(lx->tok, "default") == 0) {
		/* A new entry ends the one before, which may be the match. */
		entry_close(cur, dflt, found);
		if (*found)
			return ERR_OK;
		if (lx->tok[0] == 'd')
			entry_open(cur, true, false);
		else if ((rc = lex_value(lx, "machine", e)) == ERR_OK)
			entry_open(cur, false, host != NULL &&
			    strcasecmp(lx->tok, host) == 0);
	} else if (strcmp(lx->tok, "login") == 0) {
		if ((rc = lex_value(lx, "login", e)) == ERR_OK && cur->open) {
			cur->has_login = true;
			cur->login_ok = user != NULL &&
			    strcmp(lx->tok, user) == 0;
		}
	} else if (strcmp(lx->tok, "password") == 0) {
		if ((rc = lex_value(lx, "password", e)) == ERR_OK &&
		    cur->open && secret_set(&cur->pw, lx->tok, lx->len) == -1)
			rc = err_set(e, ERR_OS, "%s: out of memory", lx->file);
	} else if (strcmp(lx->tok, "account") == 0)
		rc = lex_value(lx, "account", e);
	else if (strcmp(lx->tok, "macdef") == 0) {
		if ((rc = lex_value(lx, "macdef", e)) == ERR_OK)
			skip_macro(lx);
	}
	/* Other words are ignored, as curl does. */
	return rc;
}

enum err_kind
conf_netrc_lookup(const char *text, size_t len, const char *file,
    const char *host, const char *user, struct secret *pw, struct err *e)
{
	struct lex lx;
	struct entry cur;
	struct secret dflt;
	enum err_kind rc = ERR_OK;
	bool found = false, got;

	memset(&cur, 0, sizeof(cur));
	secret_init(&cur.pw);
	secret_init(&dflt);
	lx.p = text;
	lx.end = text + len;
	lx.file = file;
	lx.line = lx.tok_line = 1;
	do {
		if ((rc = lex_next(&lx, &got, e)) != ERR_OK)
			break;
		if (got)
			rc = step(&lx, host, user, &cur, &dflt, &found, e);
		else
			entry_close(&cur, &dflt, &found);
	} while (rc == ERR_OK && got && !found);
	explicit_bzero(lx.tok, sizeof(lx.tok));
	if (rc == ERR_OK && (found || secret_is_set(&dflt))) {
		secret_free(pw);
		*pw = found ? cur.pw : dflt;
		if (found)
			secret_init(&cur.pw);
		else
			secret_init(&dflt);
	}
	secret_free(&cur.pw);
	secret_free(&dflt);
	return rc;
}
