#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/aliases.h"
#include "util/buf.h"

enum target_kind {
	TARGET_ADDR,		/* an address, expanded when local */
	TARGET_MAILBOX,		/* "\name": the mailbox, never expanded */
	TARGET_PROGRAM,		/* "|command" */
	TARGET_FILE,		/* "/path" */
	TARGET_INCLUDE		/* ":include:/path" */
};

struct target {
	char *text;		/* the address, or the raw unusable target */
	unsigned line;
	enum target_kind kind;
};

struct conf_aliases_entry {
	char *name;
	size_t name_len;
	unsigned line;
	struct target *t;
	size_t nt, cap;
};

/* Where each physical line of an entry starts in its joined value. */
struct seg {
	size_t off;
	unsigned line;
};

struct parser {
	struct conf_aliases *a;
	size_t cap;		/* entries allocated in a */
	const char *file;
	unsigned line;		/* the physical line being read */
	struct err *e;
	/* The entry being read: its lines joined by blanks into val. */
	bool open;
	char *name;
	unsigned name_line;
	struct buf val;
	struct seg *segs;
	size_t nsegs, capsegs, segcur;
};

/* ---- names ------------------------------------------------------------- */

static int
fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* ASCII case-insensitive order of a[0..an) and b[0..bn): names are local
 * parts, and the locale must not change which alias a name finds. */
static int
name_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i;
	int d;

	for (i = 0; i < an && i < bn; i++)
		if ((d = fold((unsigned char)a[i]) -
		    fold((unsigned char)b[i])) != 0)
			return d;
	return an < bn ? -1 : an > bn;
}

static int
entry_cmp(const void *x, const void *y)
{
	const struct conf_aliases_entry *a =
	    *(const struct conf_aliases_entry *const *)x;
	const struct conf_aliases_entry *b =
	    *(const struct conf_aliases_entry *const *)y;
	int d = name_cmp(a->name, a->name_len, b->name, b->name_len);

	if (d != 0)
		return d;
	return a->line < b->line ? -1 : a->line > b->line;
}

static const struct conf_aliases_entry *
lookup(const struct conf_aliases *a, const char *s, size_t n)
{
	size_t lo = 0, hi = a->n, mid;
	int d;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		d = name_cmp(a->byname[mid]->name, a->byname[mid]->name_len,
		    s, n);
		if (d == 0)
			return a->byname[mid];
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- the table --------------------------------------------------------- */

static void
entry_free(struct conf_aliases_entry *en)
{
	size_t i;

	for (i = 0; i < en->nt; i++)
		free(en->t[i].text);
	free(en->t);
	free(en->name);
	memset(en, 0, sizeof(*en));
}

void
conf_aliases_init(struct conf_aliases *a)
{
	memset(a, 0, sizeof(*a));
}

void
conf_aliases_free(struct conf_aliases *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->n; i++)
		entry_free(&a->entries[i]);
	free(a->entries);
	free(a->byname);
	free(a->file);
	memset(a, 0, sizeof(*a));
}

/* ---- parsing ----------------------------------------------------------- */

static enum err_kind perr(struct parser *, unsigned, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/* ERR_CONFIG "FILE:LINE: why". */
static enum err_kind
perr(struct parser *p, unsigned line, const char *fmt, ...)
{
	char why[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return err_set(p->e, ERR_CONFIG, "%s:%u: %s", p->file, line, why);
}

static enum err_kind
nomem(struct parser *p)
{
	return err_set(p->e, ERR_OS, "%s: out of memory", p->file);
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The line of the byte at off in the joined value; offsets only grow
 * while one entry is split, so a cursor keeps this linear. */
static unsigned
line_at(struct parser *p, size_t off)
{
	while (p->segcur + 1 < p->nsegs && p->segs[p->segcur + 1].off <= off)
		p->segcur++;
	return p->segs[p->segcur].line;
}

/* Append s[0..n) to the value as the start of physical line p->line. */
static enum err_kind
value_add(struct parser *p, const char *s, size_t n)
{
	struct seg *ns;

	if (p->nsegs == p->capsegs) {
		size_t ncap = p->capsegs ? p->capsegs * 2 : 8;

		if ((ns = reallocarray(p->segs, ncap, sizeof(*ns))) == NULL)
			return nomem(p);
		p->segs = ns;
		p->capsegs = ncap;
	}
	/* A line break becomes a blank, as folding does in a header. */
	if (p->val.len > 0 && buf_append_byte(&p->val, ' ') == -1)
		return nomem(p);
	p->segs[p->nsegs].off = p->val.len;
	p->segs[p->nsegs++].line = p->line;
	/* The cap is the text's, which the value can never pass. */
	if (buf_append(&p->val, s, n) == -1)
		return nomem(p);
	return ERR_OK;
}

static enum err_kind
target_add(struct parser *p, struct conf_aliases_entry *en, const char *s,
    size_t n, unsigned line, enum target_kind kind)
{
	struct target *nt;

	if (en->nt == en->cap) {
		size_t ncap = en->cap ? en->cap * 2 : 4;

		if ((nt = reallocarray(en->t, ncap, sizeof(*nt))) == NULL)
			return nomem(p);
		en->t = nt;
		en->cap = ncap;
	}
	if ((en->t[en->nt].text = strndup(s, n)) == NULL)
		return nomem(p);
	en->t[en->nt].line = line;
	en->t[en->nt++].kind = kind;
	return ERR_OK;
}

/* The kind of target s[0..n) by its first bytes, a leading quote
 * skipped ("|cmd arg" must be quoted in Postfix). */
static enum target_kind
target_kind(const char *s, size_t n)
{
	if (n > 0 && s[0] == '"') {
		s++;
		n--;
	}
	if (n > 0 && s[0] == '|')
		return TARGET_PROGRAM;
	if (n > 0 && s[0] == '/')
		return TARGET_FILE;
	if (n >= 9 && strncasecmp(s, ":include:", 9) == 0)
		return TARGET_INCLUDE;
	return TARGET_ADDR;
}

/*
 * Where the target that starts at s[i] ends: the first comma outside a
 * quoted string, a comment, angle brackets (an obs-route holds commas)
 * or a group (RFC 5322 3.4: "team: a, b;" is one list member).  An
 * unquoted program, file or include target honours quotes only, as in
 * Sendmail: a command may hold '(' or ':'.
 */
static size_t
item_end(const char *s, size_t i, size_t n, bool raw)
{
	bool quoted = false, angle = false, group = false;
	int depth = 0;

	for (; i < n; i++) {
		char c = s[i];

		if (quoted || depth > 0) {
			if (c == '\\')
				i++;
			else if (quoted && c == '"')
				quoted = false;
			else if (!quoted && c == '(')
				depth++;
			else if (!quoted && c == ')')
				depth--;
		} else if (c == '"')
			quoted = true;
		else if (c == ',' && (raw || (!angle && !group)))
			break;
		else if (raw)
			continue;
		else if (c == '(')
			depth = 1;
		else if (c == '<' || c == '>')
			angle = c == '<';
		else if ((c == ':' || c == ';') && !angle)
			group = c == ':';
	}
	return i < n ? i : n;
}

/* One comma-separated member s[0..n) through the RFC 5322 parser. */
static enum err_kind
item_parse(struct parser *p, struct conf_aliases_entry *en, const char *s,
    size_t n, unsigned line, bool mailbox)
{
	struct mail_address_list l;
	struct err le;
	enum err_kind rc;
	enum target_kind kind;
	size_t i, len;

	mail_address_list_init(&l);
	if ((rc = mail_address_parse_list(s, n, &l, &le)) != ERR_OK) {
		mail_address_list_free(&l);
		if (rc == ERR_DATA)
			return perr(p, line, "alias '%s': %s", en->name,
			    le.msg);
		return err_set(p->e, rc, "%s", le.msg);
	}
	for (i = 0; i < l.n && rc == ERR_OK; i++) {
		len = strlen(l.addrs[i]);
		/* A bare name may still be <|cmd> or "/a file". */
		kind = mail_address_at(l.addrs[i], len) < len ? TARGET_ADDR :
		    target_kind(l.addrs[i], len);
		if (mailbox && kind == TARGET_ADDR)
			kind = TARGET_MAILBOX;
		rc = target_add(p, en, l.addrs[i], len, line, kind);
	}
	mail_address_list_free(&l);
	return rc;
}

/* One member s[i..j), blanks at its start skipped. */
static enum err_kind
item_add(struct parser *p, struct conf_aliases_entry *en, const char *s,
    size_t i, size_t j)
{
	unsigned line = line_at(p, i);
	enum target_kind kind = target_kind(s + i, j - i);

	if (i < j && s[i] == '\\')
		return item_parse(p, en, s + i + 1, j - i - 1, line, true);
	if (kind == TARGET_ADDR || s[i] == '"')
		return item_parse(p, en, s + i, j - i, line, false);
	while (j > i && is_blank(s[j - 1]))
		j--;
	return target_add(p, en, s + i, j - i, line, kind);
}

/* Split the joined value of the entry being read into its targets. */
static enum err_kind
entry_targets(struct parser *p, struct conf_aliases_entry *en)
{
	const char *s = buf_str(&p->val);
	size_t n = p->val.len, i = 0, j;
	enum err_kind rc = ERR_OK;
	bool raw;

	p->segcur = 0;
	while (i < n && rc == ERR_OK) {
		while (i < n && is_blank(s[i]))
			i++;
		raw = s[i] != '"' && target_kind(s + i, n - i) != TARGET_ADDR;
		j = item_end(s, i, n, raw);
		rc = item_add(p, en, s, i, j);
		i = j + 1;
	}
	if (rc == ERR_OK && en->nt == 0)
		rc = perr(p, en->line, "alias '%s' has no targets", en->name);
	return rc;
}

/* Finish the entry being read, if any, and add it to the table. */
static enum err_kind
entry_close(struct parser *p)
{
	struct conf_aliases *a = p->a;
	struct conf_aliases_entry en, *ne;
	enum err_kind rc;

	if (!p->open)
		return ERR_OK;
	p->open = false;
	memset(&en, 0, sizeof(en));
	en.name = p->name;
	en.name_len = strlen(p->name);
	en.line = p->name_line;
	p->name = NULL;
	if ((rc = entry_targets(p, &en)) != ERR_OK) {
		entry_free(&en);
		return rc;
	}
	if (a->n == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 16;

		ne = reallocarray(a->entries, ncap, sizeof(*ne));
		if (ne == NULL) {
			entry_free(&en);
			return nomem(p);
		}
		a->entries = ne;
		p->cap = ncap;
	}
	a->entries[a->n++] = en;
	return ERR_OK;
}

/* "NAME: targets" at the start of line s[0..n). */
static enum err_kind
entry_open(struct parser *p, const char *s, size_t n)
{
	size_t i, len;

	for (i = 0; i < n && !is_blank(s[i]) && s[i] != ':' && s[i] != '#';
	    i++)
		continue;
	len = i;
	if (len == 0)
		return perr(p, p->line, "alias without a name");
	if (memchr(s, '@', len) != NULL)
		return perr(p, p->line, "alias name '%.*s' holds '@'",
		    (int)len, s);
	while (i < n && is_blank(s[i]))
		i++;
	if (i == n || s[i] != ':')
		return perr(p, p->line, "no ':' after alias name '%.*s'",
		    (int)len, s);
	if ((p->name = strndup(s, len)) == NULL)
		return nomem(p);
	p->open = true;
	p->name_line = p->line;
	p->nsegs = 0;
	buf_reset(&p->val);
	return value_add(p, s + i + 1, n - i - 1);
}

/* Reject what no line may hold. */
static enum err_kind
check_line(struct parser *p, const char *s, size_t n)
{
	size_t i;

	if (n > CONF_ALIASES_LINE_MAX)
		return perr(p, p->line, "line longer than %d bytes",
		    CONF_ALIASES_LINE_MAX);
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '\0')
			return perr(p, p->line, "NUL byte in line");
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return perr(p, p->line, "control character in line");
	}
	return ERR_OK;
}

static enum err_kind
parse_line(struct parser *p, const char *s, size_t n)
{
	enum err_kind rc;
	size_t i;

	if (n > 0 && s[n - 1] == '\r')
		n--;
	if ((rc = check_line(p, s, n)) != ERR_OK)
		return rc;
	for (i = 0; i < n && is_blank(s[i]); i++)
		continue;
	/* Postfix: blank and comment lines are skipped and end nothing. */
	if (i == n || s[i] == '#')
		return ERR_OK;
	if (i > 0) {
		if (!p->open)
			return perr(p, p->line, "continuation line without "
			    "an alias");
		return value_add(p, s + i, n - i);
	}
	if ((rc = entry_close(p)) != ERR_OK)
		return rc;
	return entry_open(p, s, n);
}

/* Sort the names for lookup; the first name defined twice (in file
 * order of its second definition) is an error. */
static enum err_kind
index_names(struct parser *p)
{
	struct conf_aliases *a = p->a;
	const struct conf_aliases_entry *first = NULL, *x, *y;
	const struct conf_aliases_entry *dup = NULL, *orig = NULL;
	size_t i;

	if (a->n == 0)
		return ERR_OK;
	if ((a->byname = reallocarray(NULL, a->n, sizeof(*a->byname))) == NULL)
		return nomem(p);
	for (i = 0; i < a->n; i++)
		a->byname[i] = &a->entries[i];
	/* Equal names sort by line, so the first of a run is the original. */
	qsort(a->byname, a->n, sizeof(*a->byname), entry_cmp);
	for (i = 1; i < a->n; i++) {
		x = a->byname[i - 1];
		y = a->byname[i];
		if (name_cmp(x->name, x->name_len, y->name, y->name_len) != 0) {
			first = NULL;
			continue;
		}
		if (first == NULL)
			first = x;
		if (dup == NULL || y->line < dup->line) {
			dup = y;
			orig = first;
		}
	}
	if (dup != NULL)
		return perr(p, dup->line, "alias '%s' already defined at line "
		    "%u", dup->name, orig->line);
	return ERR_OK;
}

enum err_kind
conf_aliases_parse(struct conf_aliases *a, const char *text, size_t len,
    const char *file, struct err *e)
{
	struct parser p;
	const char *nl;
	size_t off = 0, n;
	enum err_kind rc = ERR_OK;

	conf_aliases_free(a);
	if (file == NULL)
		file = "(aliases)";
	if (len > CONF_ALIASES_TEXT_MAX)
		return err_set(e, ERR_CONFIG, "%s: larger than %u bytes", file,
		    (unsigned)CONF_ALIASES_TEXT_MAX);
	memset(&p, 0, sizeof(p));
	p.a = a;
	p.file = file;
	p.e = e;
	buf_init(&p.val, CONF_ALIASES_TEXT_MAX);
	if ((a->file = strdup(file)) == NULL)
		rc = nomem(&p);
	while (off < len && rc == ERR_OK) {
		p.line++;
		nl = memchr(text + off, '\n', len - off);
		n = nl != NULL ? (size_t)(nl - (text + off)) : len - off;
		rc = parse_line(&p, text + off, n);
		off += n + (nl != NULL);
	}
	if (rc == ERR_OK)
		rc = entry_close(&p);
	if (rc == ERR_OK)
		rc = index_names(&p);
	free(p.name);
	free(p.segs);
	buf_free(&p.val);
	if (rc != ERR_OK)
		conf_aliases_free(a);
	return rc;
}

/* ---- expansion --------------------------------------------------------- */

/* One expansion: the chain of entries from the recipient to here. */
struct walk {
	const struct conf_aliases *a;
	const char *localhost;
	struct mail_address_list *out;	/* NULL: only check */
	const struct conf_aliases_entry *dflt;
	const struct conf_aliases_entry *top;
	const struct conf_aliases_entry *chain[CONF_ALIASES_DEPTH_MAX];
	size_t depth;
	size_t visits;			/* targets walked from top */
	size_t total, total_max;	/* targets walked in all */
	struct err *e;
};

static enum err_kind walk_entry(struct walk *,
    const struct conf_aliases_entry *, unsigned);

/* The length of addr's local part when addr is local, else SIZE_MAX. */
static size_t
local_len(const char *addr, const char *localhost)
{
	size_t len = strlen(addr), at = mail_address_at(addr, len);

	if (at == len)
		return len;
	if (localhost != NULL && name_cmp(addr + at + 1, len - at - 1,
	    localhost, strlen(localhost)) == 0)
		return at;
	return SIZE_MAX;
}

bool
conf_aliases_is_local(const char *addr, const char *localhost)
{
	return local_len(addr, localhost) != SIZE_MAX;
}

static bool
on_chain(const struct walk *w, const struct conf_aliases_entry *en)
{
	size_t i;

	for (i = 0; i < w->depth; i++)
		if (w->chain[i] == en)
			return true;
	return false;
}

static enum err_kind
keep(struct walk *w, const char *addr)
{
	if (w->out == NULL)
		return ERR_OK;
	return mail_address_list_add(w->out, addr, w->e);
}

/* "alias loop: a -> b -> a", from en's first place on the chain. */
static enum err_kind
loop_error(struct walk *w, const struct conf_aliases_entry *en,
    unsigned line)
{
	char path[ERR_MSG_MAX] = "";
	size_t i;

	for (i = 0; w->chain[i] != en; i++)
		continue;
	for (; i < w->depth; i++) {
		strlcat(path, w->chain[i]->name, sizeof(path));
		strlcat(path, " -> ", sizeof(path));
	}
	strlcat(path, en->name, sizeof(path));
	return err_set(w->e, ERR_CONFIG, "%s:%u: alias loop: %s", w->a->file,
	    line, path);
}

/*
 * The address addr, reached from entry from (NULL for the recipient).
 * A local name with no entry takes the catch-all, unless the catch-all is
 * being expanded already: then it is the mailbox of that name.
 */
static enum err_kind
walk_addr(struct walk *w, const struct conf_aliases_entry *from,
    const char *addr, unsigned line)
{
	const struct conf_aliases_entry *next;
	size_t n = local_len(addr, w->localhost);

	if (n == SIZE_MAX || n == 0)
		return keep(w, addr);
	/* Sendmail: "root: root, ..." is root's own mailbox. */
	if (from != NULL && name_cmp(from->name, from->name_len, addr, n) == 0)
		return keep(w, addr);
	if ((next = lookup(w->a, addr, n)) == NULL) {
		next = w->dflt;
		if (next == NULL || on_chain(w, next))
			return keep(w, addr);
	}
	return walk_entry(w, next, line);
}

static enum err_kind
walk_target(struct walk *w, const struct conf_aliases_entry *en,
    const struct target *t)
{
	static const char *const what[] = {
		[TARGET_PROGRAM] = "a program",
		[TARGET_FILE] = "a file",
		[TARGET_INCLUDE] = "an :include: list",
	};

	/* Fan-out is exponential in depth (a: b,b,b; b: c,c,c; ...). */
	if (++w->visits > CONF_ALIASES_VISITS_MAX)
		return err_set(w->e, ERR_CONFIG, "%s:%u: alias '%s': expands "
		    "to more than %d targets", w->a->file, w->top->line,
		    w->top->name, CONF_ALIASES_VISITS_MAX);
	if (++w->total > w->total_max)
		return err_set(w->e, ERR_CONFIG, "%s: too complex to check: "
		    "more than %zu targets walked", w->a->file, w->total_max);
	switch (t->kind) {
	case TARGET_ADDR:
		return walk_addr(w, en, t->text, t->line);
	case TARGET_MAILBOX:
		return keep(w, t->text);
	default:
		return err_set(w->e, ERR_CONFIG, "%s:%u: alias '%s': postie "
		    "cannot deliver to %s: %s", w->a->file, t->line, en->name,
		    what[t->kind], t->text);
	}
}

/* Replace a reference (on line) to en by en's targets. */
static enum err_kind
walk_entry(struct walk *w, const struct conf_aliases_entry *en,
    unsigned line)
{
	enum err_kind rc = ERR_OK;
	size_t i;

	if (on_chain(w, en))
		return loop_error(w, en, line);
	if (w->depth == CONF_ALIASES_DEPTH_MAX)
		return err_set(w->e, ERR_CONFIG, "%s:%u: alias '%s': nested "
		    "deeper than %d aliases", w->a->file, line, en->name,
		    CONF_ALIASES_DEPTH_MAX);
	if (w->depth == 0) {
		w->top = en;
		w->visits = 0;
	}
	w->chain[w->depth++] = en;
	for (i = 0; i < en->nt && rc == ERR_OK; i++)
		rc = walk_target(w, en, &en->t[i]);
	w->depth--;
	return rc;
}

static void
walk_init(struct walk *w, const struct conf_aliases *a, const char *localhost,
    struct mail_address_list *out, struct err *e)
{
	memset(w, 0, sizeof(*w));
	w->a = a;
	w->localhost = localhost;
	w->out = out;
	w->e = e;
	w->total_max = SIZE_MAX;
	w->dflt = a->n > 0 ? lookup(a, "default", 7) : NULL;
}

enum err_kind
conf_aliases_expand(const struct conf_aliases *a, const char *addr,
    const char *localhost, struct mail_address_list *out, struct err *e)
{
	struct walk w;

	walk_init(&w, a, localhost, out, e);
	return walk_addr(&w, NULL, addr, 0);
}

enum err_kind
conf_aliases_check(const struct conf_aliases *a, const char *localhost,
    size_t *n, struct err *e)
{
	struct walk w;
	enum err_kind rc = ERR_OK;
	size_t i;

	walk_init(&w, a, localhost, NULL, e);
	w.total_max = CONF_ALIASES_CHECK_MAX;
	for (i = 0; i < a->n && rc == ERR_OK; i++)
		rc = walk_entry(&w, &a->entries[i], a->entries[i].line);
	if (n != NULL)
		*n = a->n;
	return rc;
}
