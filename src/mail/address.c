#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/address.h"

/*
 * The parser is a lexer over RFC 5322 tokens (section 3.2: atoms, quoted
 * strings, domain literals and specials, with CFWS skipped between them)
 * and a small LL(1) grammar on top (section 3.4, with the section 4.4
 * obsolete forms).  A word sequence is ambiguous until the token after it:
 * ':' makes it a group's display name, '<' a mailbox's display name, '@'
 * a local part; so the words are copied into the address buffer as a
 * candidate local part while they are read, and dropped if they turn out
 * to be a display name.  Nothing recurses on the input, so hostile nesting
 * cannot exhaust the stack; every step consumes input, so the work is
 * linear in the length of the text.
 */

#define EXCERPT_IN 24		/* input bytes quoted in an error message */

enum tok_kind {
	TOK_END,
	TOK_ATOM,		/* atext run (bytes >= 0x80 count as atext) */
	TOK_QSTRING,		/* "...", quotes included */
	TOK_DLIT,		/* [...], brackets included */
	TOK_SPECIAL,		/* one of < > @ , : ; . */
	TOK_ERR			/* the lexer set the error */
};

struct tok {
	enum tok_kind kind;
	size_t start, end;	/* [start, end) in the text */
	char c;			/* the character of a TOK_SPECIAL */
};

struct parser {
	const char *s;
	size_t len;
	size_t pos;
	struct mail_address_list *l;
	struct err *e;
	char addr[MAIL_ADDRESS_LEN_MAX + 1];
	size_t alen;
	bool too_long;
	bool failed;		/* an error was set: it is final */
};

/* --- the list and its duplicate index ------------------------------------ */

void
mail_address_list_init(struct mail_address_list *l)
{
	memset(l, 0, sizeof(*l));
}

void
mail_address_list_free(struct mail_address_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		free(l->addrs[i]);
	free(l->addrs);
	free(l->slots);
	memset(l, 0, sizeof(*l));
}

static unsigned char
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* A domain literal may hold '@' too, but comes after the domain's. */
size_t
mail_address_at(const char *a, size_t len)
{
	bool quoted = false;
	size_t i;

	for (i = 0; i < len; i++) {
		if (quoted && a[i] == '\\' && i + 1 < len)
			i++;
		else if (a[i] == '"')
			quoted = !quoted;
		else if (!quoted && a[i] == '@')
			return i;
	}
	return len;
}

/* FNV-1a over the local part as is and the domain in lower case. */
static uint64_t
addr_hash(const char *a, size_t len)
{
	size_t at = mail_address_at(a, len), i;
	uint64_t h = 14695981039346656037ULL;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)a[i];

		h ^= i > at ? lower(c) : c;
		h *= 1099511628211ULL;
	}
	return h;
}

/* RFC 5321 2.4: the local part is case-sensitive, the domain is not. */
static bool
addr_equal(const char *a, const char *b, size_t blen)
{
	size_t alen = strlen(a), at, i;

	if (alen != blen)
		return false;
	at = mail_address_at(a, alen);
	if (at != mail_address_at(b, blen) || memcmp(a, b, at) != 0)
		return false;
	for (i = at; i < alen; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return false;
	return true;
}

static void
index_put(size_t *slots, size_t nslots, const char *a, size_t pos)
{
	size_t i = (size_t)addr_hash(a, strlen(a)) & (nslots - 1);

	while (slots[i] != 0)
		i = (i + 1) & (nslots - 1);
	slots[i] = pos + 1;
}

/* Keep the index at most half full; rebuilt from addrs when it grows. */
static int
index_reserve(struct mail_address_list *l)
{
	size_t nslots = 64, i, *slots;

	if (l->slots != NULL && l->nslots / 2 > l->n + 1)
		return 0;
	while (nslots / 2 <= l->n + 1)
		nslots *= 2;
	if ((slots = calloc(nslots, sizeof(*slots))) == NULL)
		return -1;
	for (i = 0; i < l->n; i++)
		index_put(slots, nslots, l->addrs[i], i);
	free(l->slots);
	l->slots = slots;
	l->nslots = nslots;
	return 0;
}

static bool
list_has(const struct mail_address_list *l, const char *a, size_t len)
{
	size_t i = (size_t)addr_hash(a, len) & (l->nslots - 1);

	for (; l->slots[i] != 0; i = (i + 1) & (l->nslots - 1))
		if (addr_equal(l->addrs[l->slots[i] - 1], a, len))
			return true;
	return false;
}

static int
list_push(struct mail_address_list *l, const char *a, size_t len)
{
	char *copy, **p;
	size_t ncap;

	if (l->n == l->cap) {
		ncap = l->cap < 16 ? 16 : l->cap * 2;
		p = reallocarray(l->addrs, ncap, sizeof(*p));
		if (p == NULL)
			return -1;
		l->addrs = p;
		l->cap = ncap;
	}
	if ((copy = strndup(a, len)) == NULL)
		return -1;
	l->addrs[l->n] = copy;
	index_put(l->slots, l->nslots, copy, l->n);
	l->n++;
	return 0;
}

enum err_kind
mail_address_list_add(struct mail_address_list *l, const char *addr,
    struct err *e)
{
	size_t len = strlen(addr), i;

	if (len == 0)
		return err_set(e, ERR_DATA, "invalid address: empty");
	if (len > MAIL_ADDRESS_LEN_MAX)
		return err_set(e, ERR_DATA,
		    "invalid address: longer than %d bytes",
		    MAIL_ADDRESS_LEN_MAX);
	for (i = 0; i < len; i++)
		if ((unsigned char)addr[i] < 0x20 || addr[i] == 0x7f)
			return err_set(e, ERR_DATA,
			    "invalid address: control character");
	if (index_reserve(l) == -1)
		return err_set(e, ERR_OS, "out of memory");
	if (list_has(l, addr, len))
		return ERR_OK;
	if (l->n >= MAIL_ADDRESS_MAX)
		return err_set(e, ERR_DATA,
		    "invalid address: more than %d addresses",
		    MAIL_ADDRESS_MAX);
	if (list_push(l, addr, len) == -1)
		return err_set(e, ERR_OS, "out of memory");
	return ERR_OK;
}

/* --- errors ---------------------------------------------------------------- */

/* A short excerpt of the input from at, escaped so that it is one line. */
static void
excerpt(const struct parser *p, size_t at, char *out, size_t outsz)
{
	size_t i, o = 0;
	char tmp[8];

	out[0] = '\0';
	for (i = at; i < p->len && i < at + EXCERPT_IN; i++) {
		unsigned char c = (unsigned char)p->s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'')
			snprintf(tmp, sizeof(tmp), "%c", c);
		else
			snprintf(tmp, sizeof(tmp), "\\x%02x", c);
		if (o + strlen(tmp) >= outsz)
			break;
		o = strlcat(out, tmp, outsz);
	}
	if (i < p->len)
		strlcat(out, "...", outsz);
}

static enum err_kind
fail(struct parser *p, size_t at, const char *why)
{
	char ex[EXCERPT_IN * 4 + 8];

	if (p->failed)		/* keep the first, most precise message */
		return ERR_DATA;
	p->failed = true;
	excerpt(p, at, ex, sizeof(ex));
	return err_set(p->e, ERR_DATA, "invalid address list: %s near '%s'",
	    why, ex);
}

/* --- the lexer (RFC 5322 3.2) ---------------------------------------------- */

bool
mail_address_is_atext(unsigned char c)
{
	if (c >= 0x80)		/* RFC 6532 3.2: UTF-8 (or junk) kept as is */
		return true;
	return c > 0x20 && c < 0x7f && strchr("()<>[]:;@\\,.\"", c) == NULL;
}

static bool
is_ctl(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

/*
 * At a CR: RFC 5322 3.2.2 allows CRLF only when a blank follows (a fold).
 * Skips it and returns ERR_OK, or fails.
 */
static enum err_kind
skip_fold(struct parser *p)
{
	size_t i = p->pos;

	if (i + 2 < p->len && p->s[i + 1] == '\n' &&
	    (p->s[i + 2] == ' ' || p->s[i + 2] == '\t')) {
		p->pos += 3;
		return ERR_OK;
	}
	return fail(p, i, "line break not followed by a blank");
}

/*
 * A quoted-pair (RFC 5322 3.2.1) at a backslash: the escaped byte may be
 * anything but a control character (obs-qp's NUL, CR and LF are refused).
 */
static enum err_kind
skip_pair(struct parser *p)
{
	if (p->pos + 1 >= p->len)
		return fail(p, p->pos, "backslash at the end");
	if (is_ctl((unsigned char)p->s[p->pos + 1]))
		return fail(p, p->pos, "control character");
	p->pos += 2;
	return ERR_OK;
}

/* RFC 5322 3.2.2: comments nest and hold quoted-pairs. */
static enum err_kind
skip_comment(struct parser *p)
{
	size_t open = p->pos, depth = 0;
	enum err_kind rc;

	while (p->pos < p->len) {
		unsigned char c = (unsigned char)p->s[p->pos];

		if (c == '\\')
			rc = skip_pair(p);
		else if (c == '\r')
			rc = skip_fold(p);
		else if (is_ctl(c))
			rc = fail(p, p->pos, "control character");
		else {
			p->pos++;
			rc = ERR_OK;
			if (c == '(')
				depth++;
			else if (c == ')' && --depth == 0)
				return ERR_OK;
		}
		if (rc != ERR_OK)
			return rc;
	}
	return fail(p, open, "unterminated comment");
}

static enum err_kind
skip_cfws(struct parser *p)
{
	enum err_kind rc = ERR_OK;

	while (p->pos < p->len && rc == ERR_OK) {
		char c = p->s[p->pos];

		if (c == ' ' || c == '\t')
			p->pos++;
		else if (c == '\r')
			rc = skip_fold(p);
		else if (c == '(')
			rc = skip_comment(p);
		else
			break;
	}
	return rc;
}

/*
 * A quoted string or a domain literal from its opening byte to close:
 * quoted-pairs, folds and (in a quoted string) any non-control byte.
 */
static enum err_kind
scan_delimited(struct parser *p, char close, const char *what)
{
	size_t open = p->pos;
	enum err_kind rc = ERR_OK;
	char msg[48];

	p->pos++;
	while (p->pos < p->len && rc == ERR_OK) {
		unsigned char c = (unsigned char)p->s[p->pos];

		if (c == (unsigned char)close) {
			p->pos++;
			return ERR_OK;
		}
		if (c == '\\')
			rc = skip_pair(p);
		else if (c == '\r')
			rc = skip_fold(p);
		else if (is_ctl(c))
			rc = fail(p, p->pos, "control character");
		else if (close == ']' && c == '[')
			rc = fail(p, p->pos, "'[' inside a domain literal");
		else
			p->pos++;
	}
	if (rc != ERR_OK)
		return rc;
	snprintf(msg, sizeof(msg), "unterminated %s", what);
	return fail(p, open, msg);
}

static enum err_kind
lex_at(struct parser *p, struct tok *t)
{
	unsigned char c = (unsigned char)p->s[p->pos];

	if (c == '"') {
		t->kind = TOK_QSTRING;
		return scan_delimited(p, '"', "quoted string");
	}
	if (c == '[') {
		t->kind = TOK_DLIT;
		return scan_delimited(p, ']', "domain literal");
	}
	if (mail_address_is_atext(c)) {
		t->kind = TOK_ATOM;
		while (p->pos < p->len &&
		    mail_address_is_atext((unsigned char)p->s[p->pos]))
			p->pos++;
		return ERR_OK;
	}
	if (strchr("<>@,:;.", c) != NULL && c != '\0') {
		t->kind = TOK_SPECIAL;
		t->c = (char)c;
		p->pos++;
		return ERR_OK;
	}
	if (c == ')')
		return fail(p, p->pos, "unbalanced ')'");
	if (c == ']')
		return fail(p, p->pos, "unbalanced ']'");
	if (c == '\\')
		return fail(p, p->pos, "backslash outside quotes");
	return fail(p, p->pos, "control character");
}

/* The next token, CFWS skipped before it. */
static void
lex(struct parser *p, struct tok *t)
{
	t->c = '\0';
	t->start = t->end = p->pos;
	if (p->failed || skip_cfws(p) != ERR_OK) {
		t->kind = TOK_ERR;
		return;
	}
	t->start = t->end = p->pos;
	if (p->pos >= p->len) {
		t->kind = TOK_END;
		return;
	}
	if (lex_at(p, t) != ERR_OK) {
		t->kind = TOK_ERR;
		return;
	}
	t->end = p->pos;
}

/* Push t back: the next lex() reads it again. */
static void
unlex(struct parser *p, const struct tok *t)
{
	p->pos = t->start;
}

static bool
is_special(const struct tok *t, char c)
{
	return t->kind == TOK_SPECIAL && t->c == c;
}

/* --- building an address --------------------------------------------------- */

static void
put(struct parser *p, const char *s, size_t n)
{
	if (p->too_long || n > MAIL_ADDRESS_LEN_MAX - p->alen) {
		p->too_long = true;
		return;
	}
	memcpy(p->addr + p->alen, s, n);
	p->alen += n;
}

/*
 * Append a token's text.  Unfolding (RFC 5322 3.2.2) removes the CRLF of
 * a fold inside a quoted string or literal; a domain literal also loses
 * its blanks.  Quoted-pairs stay as written.
 */
static void
put_tok(struct parser *p, const struct tok *t)
{
	size_t i;

	for (i = t->start; i < t->end; i++) {
		char c = p->s[i];

		if (c == '\\' && i + 1 < t->end) {
			put(p, p->s + i, 2);
			i++;
		} else if (c == '\r' || c == '\n')
			continue;
		else if (t->kind == TOK_DLIT && (c == ' ' || c == '\t'))
			continue;
		else
			put(p, &c, 1);
	}
}

static void
addr_reset(struct parser *p)
{
	p->alen = 0;
	p->too_long = false;
}

static enum err_kind
addr_finish(struct parser *p, size_t at)
{
	if (p->too_long)
		return fail(p, at, "address too long");
	p->addr[p->alen] = '\0';
	if (index_reserve(p->l) == -1)
		return err_set(p->e, ERR_OS, "out of memory");
	if (list_has(p->l, p->addr, p->alen))
		return ERR_OK;
	if (p->l->n >= MAIL_ADDRESS_MAX)
		return fail(p, at, "too many addresses");
	if (list_push(p->l, p->addr, p->alen) == -1)
		return err_set(p->e, ERR_OS, "out of memory");
	return ERR_OK;
}

/* --- the grammar (RFC 5322 3.4, 4.4) --------------------------------------- */

struct words {
	size_t n;		/* words read */
	bool adjacent;		/* two words with no '.' between them */
};

/*
 * Read words and dots (a phrase, or a local part with obs-local-part's
 * CFWS between its words) into the address buffer; t gets the token after
 * them.  Dots are taken anywhere (john..doe, john.) as MTAs do.
 */
static void
read_words(struct parser *p, struct tok *t, struct words *w)
{
	bool prev_word = false;

	addr_reset(p);
	w->n = 0;
	w->adjacent = false;
	for (;;) {
		lex(p, t);
		if (t->kind == TOK_ATOM || t->kind == TOK_QSTRING) {
			if (prev_word)
				w->adjacent = true;
			put_tok(p, t);
			prev_word = true;
			w->n++;
		} else if (is_special(t, '.')) {
			put(p, ".", 1);
			prev_word = false;
		} else
			return;
	}
}

/* After '@': dot-atom, obs-domain (CFWS around the dots) or a literal. */
static enum err_kind
parse_domain(struct parser *p, const struct tok *at)
{
	struct tok t;

	put(p, "@", 1);
	lex(p, &t);
	if (t.kind == TOK_DLIT) {
		put_tok(p, &t);
		return ERR_OK;
	}
	while (t.kind == TOK_ATOM) {
		put_tok(p, &t);
		lex(p, &t);
		if (!is_special(&t, '.')) {
			unlex(p, &t);
			return t.kind == TOK_ERR ? ERR_DATA : ERR_OK;
		}
		put(p, ".", 1);
		lex(p, &t);
	}
	if (t.kind == TOK_ERR)
		return ERR_DATA;
	return fail(p, at->start, "missing domain or empty domain label");
}

static enum err_kind
check_local(struct parser *p, const struct words *w, size_t at,
    bool bare)
{
	if (w->n == 0)
		return fail(p, at, bare ? "expected an address" :
		    "missing local part");
	if (w->adjacent)
		return fail(p, at, bare ? "words without an address" :
		    "blank inside the local part");
	return ERR_OK;
}

/* obs-route (RFC 5322 4.4): "@a,@b:" before the addr-spec, dropped. */
static enum err_kind
skip_route(struct parser *p)
{
	struct tok t;
	enum err_kind rc;

	for (;;) {
		lex(p, &t);
		if (is_special(&t, ':'))
			return ERR_OK;
		if (is_special(&t, '@')) {
			if ((rc = parse_domain(p, &t)) != ERR_OK)
				return rc;
		} else if (t.kind == TOK_ERR)
			return ERR_DATA;
		else if (!is_special(&t, ','))
			return fail(p, t.start, "invalid route");
	}
}

/* angle-addr after its '<' (RFC 5322 3.4, obs-angle-addr 4.4). */
static enum err_kind
parse_angle(struct parser *p, const struct tok *lt)
{
	struct tok t;
	struct words w;
	enum err_kind rc;

	lex(p, &t);
	if (t.kind == TOK_ERR)
		return ERR_DATA;
	unlex(p, &t);
	if ((is_special(&t, '@') || is_special(&t, ',')) &&
	    (rc = skip_route(p)) != ERR_OK)
		return rc;
	read_words(p, &t, &w);
	if (is_special(&t, '@')) {
		if ((rc = check_local(p, &w, lt->start, false)) != ERR_OK ||
		    (rc = parse_domain(p, &t)) != ERR_OK)
			return rc;
		lex(p, &t);
	} else if (w.n == 0 && is_special(&t, '>'))
		return fail(p, lt->start, "empty address <>");
	else if ((rc = check_local(p, &w, lt->start, true)) != ERR_OK)
		return rc;
	if (is_special(&t, '>'))
		return addr_finish(p, lt->start);
	if (t.kind == TOK_ERR)
		return ERR_DATA;
	if (t.kind == TOK_END)
		return fail(p, lt->start, "unterminated '<'");
	return fail(p, t.start, "expected '>'");
}

static enum err_kind parse_members(struct parser *p, bool in_group);

/* One mailbox, or (outside a group) one group. */
static enum err_kind
parse_member(struct parser *p, bool in_group)
{
	size_t start = p->pos;
	struct tok t;
	struct words w;
	enum err_kind rc;

	read_words(p, &t, &w);
	if (t.kind == TOK_ERR)
		return ERR_DATA;
	if (is_special(&t, '<'))
		return parse_angle(p, &t);
	if (is_special(&t, ':'))
		return in_group ? fail(p, t.start, "group inside a group") :
		    parse_members(p, true);
	if (is_special(&t, '@')) {
		if ((rc = check_local(p, &w, start, false)) != ERR_OK ||
		    (rc = parse_domain(p, &t)) != ERR_OK)
			return rc;
		return addr_finish(p, start);
	}
	if (t.kind == TOK_END || is_special(&t, ',') || is_special(&t, ';')) {
		unlex(p, &t);
		if ((rc = check_local(p, &w, start, true)) != ERR_OK)
			return rc;
		return addr_finish(p, start);	/* a bare local name */
	}
	if (is_special(&t, '>'))
		return fail(p, t.start, "unbalanced '>'");
	return fail(p, t.start, "unexpected text");
}

/*
 * address-list, or a group's mailbox list after its ':' up to its ';'.
 * Empty members are skipped (obs-addr-list, obs-group-list); a group left
 * open at the end of the text is closed there, as MTAs do for
 * "undisclosed-recipients:".
 */
static enum err_kind
parse_members(struct parser *p, bool in_group)
{
	struct tok t;
	enum err_kind rc;

	for (;;) {
		lex(p, &t);
		if (t.kind == TOK_ERR)
			return ERR_DATA;
		if (t.kind == TOK_END || (in_group && is_special(&t, ';')))
			return ERR_OK;
		if (is_special(&t, ','))
			continue;
		if (is_special(&t, ';'))
			return fail(p, t.start, "';' outside a group");
		unlex(p, &t);
		if ((rc = parse_member(p, in_group)) != ERR_OK)
			return rc;
		lex(p, &t);
		if (t.kind == TOK_ERR)
			return ERR_DATA;
		if (t.kind == TOK_END || (in_group && is_special(&t, ';')))
			return ERR_OK;
		if (!is_special(&t, ','))
			return fail(p, t.start, "expected ','");
	}
}

/* On failure, drop what this call appended: l is as it was. */
static void
list_truncate(struct mail_address_list *l, size_t n)
{
	if (l->n == n)
		return;
	while (l->n > n)
		free(l->addrs[--l->n]);
	free(l->slots);
	l->slots = NULL;
	l->nslots = 0;
}

enum err_kind
mail_address_parse_list(const char *text, size_t len,
    struct mail_address_list *l, struct err *e)
{
	struct parser *p;
	size_t n0 = l->n;
	enum err_kind rc;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return err_set(e, ERR_OS, "out of memory");
	p->s = text;
	p->len = len;
	p->l = l;
	p->e = e;
	rc = parse_members(p, false);
	free(p);
	if (rc != ERR_OK)
		list_truncate(l, n0);
	return rc;
}

/* ---- the RFC 5321 form ------------------------------------------------ */

bool
mail_address_dot_atom(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] == '.' ? i + 1 < n && s[i + 1] == '.' :
		    !mail_address_is_atext((unsigned char)s[i]))
			return false;
	}
	return true;
}

enum err_kind
mail_address_smtp_form(const char *addr, char *out, size_t outlen,
    struct err *e)
{
	size_t len = strlen(addr), n = mail_address_at(addr, len), i, k = 0;

	/* The null path ("") and quoted local parts stay as they are. */
	if (addr[0] == '\0' || addr[0] == '"' || mail_address_dot_atom(addr, n)) {
		if (strlcpy(out, addr, outlen) >= outlen)
			return err_set(e, ERR_DATA, "address too long");
		return ERR_OK;
	}
	if (outlen < 3)
		return err_set(e, ERR_DATA, "address too long");
	out[k++] = '"';
	for (i = 0; i < n; i++) {
		if (k + 4 >= outlen)
			return err_set(e, ERR_DATA, "address too long");
		if (addr[i] == '"' || addr[i] == '\\')
			out[k++] = '\\';
		out[k++] = addr[i];
	}
	out[k++] = '"';
	out[k] = '\0';
	if (strlcat(out, addr + n, outlen) >= outlen)
		return err_set(e, ERR_DATA, "address too long");
	return ERR_OK;
}
