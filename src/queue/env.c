#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "queue/env.h"

#define MAGIC "postie-queue"

/* The keys of the file; a bit each in struct parser.seen. */
enum key {
	K_ID, K_CREATED, K_ATTEMPTS, K_NEXT, K_LAST, K_ACCOUNT, K_FROM, K_RET,
	K_ENVID, K_NOTIFY, K_BODY, K_SMTPUTF8, K_BOUNCE, K_RCPT, K_END,
	K_COUNT
};

static const char *const key_names[K_COUNT] = {
	"id", "created", "attempts", "next", "last", "account", "from", "ret",
	"envid", "notify", "body", "smtputf8", "bounce", "rcpt", "end"
};

#define REQUIRED ((1u << K_ID) | (1u << K_CREATED) | (1u << K_ATTEMPTS) | \
	(1u << K_NEXT) | (1u << K_LAST) | (1u << K_FROM))

static const char *const state_names[] = { "pending", "sent", "failed" };

/* --- the struct ----------------------------------------------------------- */

void
queue_env_init(struct queue_env *env)
{
	memset(env, 0, sizeof(*env));
}

void
queue_env_free(struct queue_env *env)
{
	size_t i;

	if (env == NULL)
		return;
	for (i = 0; i < env->nrcpt; i++) {
		free(env->rcpts[i].addr);
		free(env->rcpts[i].reply);
	}
	free(env->rcpts);
	free(env->account);
	free(env->from);
	free(env->ret);
	free(env->envid);
	free(env->notify);
	free(env->body);
	queue_env_init(env);
}

const char *
queue_env_state_name(enum queue_rcpt_state state)
{
	if ((unsigned)state >= sizeof(state_names) / sizeof(state_names[0]))
		return "?";
	return state_names[state];
}

size_t
queue_env_pending(const struct queue_env *env)
{
	size_t i, n = 0;

	for (i = 0; i < env->nrcpt; i++)
		if (env->rcpts[i].state == QUEUE_RCPT_PENDING)
			n++;
	return n;
}

bool
queue_env_valid_id(const char *id)
{
	size_t n;

	if (id == NULL)
		return false;
	for (n = 0; id[n] != '\0'; n++) {
		if (n == QUEUE_ID_MAX)
			return false;
		if (!((id[n] >= '0' && id[n] <= '9') ||
		    (id[n] >= 'a' && id[n] <= 'z')))
			return false;
	}
	return n >= QUEUE_ID_MIN;
}

void
queue_env_make_id(long long now, const unsigned char *rnd,
    char out[QUEUE_ID_MAX + 1])
{
	static const char b32[] = "0123456789abcdefghijklmnopqrstuv";
	unsigned long long t, r = 0;
	int i;

	t = now < 0 ? 0 : now > (1LL << 35) - 1 ? (1ULL << 35) - 1 :
	    (unsigned long long)now;
	for (i = 6; i >= 0; i--, t >>= 5)
		out[i] = b32[t & 31];
	for (i = 0; i < 8; i++)
		r = r << 8 | rnd[i];
	/* 13 characters carry 65 bits: the 64 random ones, then a zero. */
	out[19] = b32[(r & 15) << 1];
	r >>= 4;
	for (i = 18; i >= 7; i--, r >>= 5)
		out[i] = b32[r & 31];
	out[QUEUE_ID_MAX] = '\0';
}

/* The checks of queue_env_set(): ERR_OK or ERR_DATA. */
static enum err_kind
check_value(enum queue_env_field field, const char *v, struct err *e)
{
	size_t n = strlen(v);

	switch (field) {
	case QUEUE_ENV_FROM:
		if (n > QUEUE_ENV_ADDR_MAX)
			return err_set(e, ERR_DATA, "sender longer than %d "
			    "bytes", QUEUE_ENV_ADDR_MAX);
		return ERR_OK;
	case QUEUE_ENV_RET:
		if (strcmp(v, "FULL") != 0 && strcmp(v, "HDRS") != 0)
			return err_set(e, ERR_DATA, "ret is not FULL or HDRS");
		return ERR_OK;
	case QUEUE_ENV_BODY:
		if (strcmp(v, "7BIT") != 0 && strcmp(v, "8BITMIME") != 0)
			return err_set(e, ERR_DATA, "body is not 7BIT or "
			    "8BITMIME");
		return ERR_OK;
	case QUEUE_ENV_ACCOUNT:
	case QUEUE_ENV_ENVID:
	case QUEUE_ENV_NOTIFY:
		if (n > QUEUE_ENV_VALUE_MAX)
			return err_set(e, ERR_DATA, "value longer than %d "
			    "bytes", QUEUE_ENV_VALUE_MAX);
		return ERR_OK;
	}
	return err_set(e, ERR_SOFTWARE, "queue_env_set: bad field %d",
	    (int)field);
}

static char **
field_ptr(struct queue_env *env, enum queue_env_field field)
{
	switch (field) {
	case QUEUE_ENV_ACCOUNT:
		return &env->account;
	case QUEUE_ENV_FROM:
		return &env->from;
	case QUEUE_ENV_RET:
		return &env->ret;
	case QUEUE_ENV_ENVID:
		return &env->envid;
	case QUEUE_ENV_NOTIFY:
		return &env->notify;
	case QUEUE_ENV_BODY:
		return &env->body;
	}
	return NULL;
}

enum err_kind
queue_env_set(struct queue_env *env, enum queue_env_field field,
    const char *value, struct err *e)
{
	char **slot = field_ptr(env, field), *copy = NULL;
	enum err_kind rc;

	if (slot == NULL)
		return err_set(e, ERR_SOFTWARE, "queue_env_set: bad field %d",
		    (int)field);
	if (value != NULL) {
		if ((rc = check_value(field, value, e)) != ERR_OK)
			return rc;
		if ((copy = strdup(value)) == NULL)
			return err_set(e, ERR_OS, "out of memory");
	}
	free(*slot);
	*slot = copy;
	return ERR_OK;
}

static enum err_kind
check_rcpt(enum queue_rcpt_state state, const char *reply, struct err *e)
{
	if ((unsigned)state > QUEUE_RCPT_FAILED)
		return err_set(e, ERR_DATA, "bad recipient state %d",
		    (int)state);
	if (reply != NULL && strlen(reply) > QUEUE_ENV_REPLY_MAX)
		return err_set(e, ERR_DATA, "reply longer than %d bytes",
		    QUEUE_ENV_REPLY_MAX);
	return ERR_OK;
}

enum err_kind
queue_env_add_rcpt(struct queue_env *env, const char *addr,
    enum queue_rcpt_state state, const char *reply, struct err *e)
{
	struct queue_rcpt *r, *nr;
	enum err_kind rc;
	size_t n = strlen(addr);

	if (n == 0 || n > QUEUE_ENV_ADDR_MAX)
		return err_set(e, ERR_DATA, "recipient address %s", n == 0 ?
		    "is empty" : "too long");
	if ((rc = check_rcpt(state, reply, e)) != ERR_OK)
		return rc;
	if (env->nrcpt == QUEUE_ENV_RCPT_MAX)
		return err_set(e, ERR_DATA, "more than %d recipients",
		    QUEUE_ENV_RCPT_MAX);
	/* Grow by doubling; nrcpt == capacity exactly at powers of two. */
	if ((env->nrcpt & (env->nrcpt - 1)) == 0) {
		nr = reallocarray(env->rcpts, env->nrcpt ? env->nrcpt * 2 : 1,
		    sizeof(*nr));
		if (nr == NULL)
			return err_set(e, ERR_OS, "out of memory");
		env->rcpts = nr;
	}
	r = &env->rcpts[env->nrcpt];
	r->addr = strdup(addr);
	r->reply = strdup(reply != NULL ? reply : "");
	r->state = state;
	if (r->addr == NULL || r->reply == NULL) {
		free(r->addr);
		free(r->reply);
		return err_set(e, ERR_OS, "out of memory");
	}
	env->nrcpt++;
	return ERR_OK;
}

enum err_kind
queue_env_set_rcpt(struct queue_env *env, size_t i,
    enum queue_rcpt_state state, const char *reply, struct err *e)
{
	enum err_kind rc;
	char *copy;

	if (i >= env->nrcpt)
		return err_set(e, ERR_SOFTWARE, "queue_env_set_rcpt: no "
		    "recipient %zu", i);
	if ((rc = check_rcpt(state, reply, e)) != ERR_OK)
		return rc;
	if ((copy = strdup(reply != NULL ? reply : "")) == NULL)
		return err_set(e, ERR_OS, "out of memory");
	free(env->rcpts[i].reply);
	env->rcpts[i].reply = copy;
	env->rcpts[i].state = state;
	return ERR_OK;
}

/* --- writing -------------------------------------------------------------- */

/* Appends into out, remembering the first failure. */
struct fmt {
	struct buf *out;
	size_t start;
	bool toobig, nomem;
};

static void
put(struct fmt *f, const void *p, size_t n)
{
	if (f->toobig || f->nomem)
		return;
	if (f->out->len - f->start + n > QUEUE_ENV_FILE_MAX ||
	    n > f->out->max - f->out->len) {
		f->toobig = true;
		return;
	}
	if (buf_append(f->out, p, n) == -1)
		f->nomem = true;
}

static void
put_str(struct fmt *f, const char *s)
{
	put(f, s, strlen(s));
}

static bool
must_escape(unsigned char c)
{
	return c < 0x21 || c == 0x7f || c == '%';
}

/* s escaped as described in the header. */
static void
put_value(struct fmt *f, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	char esc[3];
	size_t run;

	if (*p == '\0') {
		put_str(f, "<>");
		return;
	}
	if (*p == '<') {
		put_str(f, "%3C");
		p++;
	}
	while (*p != '\0') {
		for (run = 0; p[run] != '\0' && !must_escape(p[run]); run++)
			;
		put(f, p, run);
		p += run;
		if (*p == '\0')
			break;
		esc[0] = '%';
		esc[1] = hex[*p >> 4];
		esc[2] = hex[*p & 15];
		put(f, esc, 3);
		p++;
	}
}

static void
put_line(struct fmt *f, const char *key, const char *value)
{
	put_str(f, key);
	put(f, " ", 1);
	put_value(f, value);
	put(f, "\n", 1);
}

static void
put_num(struct fmt *f, const char *key, long long v)
{
	char tmp[64];
	int n = snprintf(tmp, sizeof(tmp), "%s %lld\n", key, v);

	if (n > 0 && (size_t)n < sizeof(tmp))
		put(f, tmp, (size_t)n);
}

static void
put_opt(struct fmt *f, const char *key, const char *value)
{
	if (value != NULL)
		put_line(f, key, value);
}

static void
put_rcpts(struct fmt *f, const struct queue_env *env)
{
	size_t i;

	for (i = 0; i < env->nrcpt && !f->toobig && !f->nomem; i++) {
		put_str(f, "rcpt ");
		put_str(f, queue_env_state_name(env->rcpts[i].state));
		put(f, " ", 1);
		put_value(f, env->rcpts[i].addr);
		put(f, " ", 1);
		put_value(f, env->rcpts[i].reply);
		put(f, "\n", 1);
	}
}

/* What queue_env_format() refuses to write: it could not be read back. */
static enum err_kind
check_writable(const struct queue_env *env, struct err *e)
{
	size_t i;

	if (!queue_env_valid_id(env->id))
		return err_set(e, ERR_SOFTWARE, "queue entry without a valid "
		    "id");
	if (env->from == NULL)
		return err_set(e, ERR_SOFTWARE, "queue entry %s without a "
		    "sender", env->id);
	if (env->created < 0 || env->next < 0 || env->last < 0)
		return err_set(e, ERR_SOFTWARE, "queue entry %s: negative "
		    "time", env->id);
	for (i = 0; i < env->nrcpt; i++)
		if ((unsigned)env->rcpts[i].state > QUEUE_RCPT_FAILED ||
		    env->rcpts[i].addr[0] == '\0')
			return err_set(e, ERR_SOFTWARE, "queue entry %s: bad "
			    "recipient %zu", env->id, i + 1);
	return ERR_OK;
}

enum err_kind
queue_env_format(const struct queue_env *env, struct buf *out, struct err *e)
{
	struct fmt f = { out, out->len, false, false };
	enum err_kind rc;

	if ((rc = check_writable(env, e)) != ERR_OK)
		return rc;
	put_num(&f, MAGIC, QUEUE_ENV_VERSION);
	put_str(&f, "id ");
	put_str(&f, env->id);
	put(&f, "\n", 1);
	put_num(&f, "created", env->created);
	put_num(&f, "attempts", env->attempts);
	put_num(&f, "next", env->next);
	put_num(&f, "last", env->last);
	put_opt(&f, "account", env->account);
	put_line(&f, "from", env->from);
	put_opt(&f, "ret", env->ret);
	put_opt(&f, "envid", env->envid);
	put_opt(&f, "notify", env->notify);
	put_opt(&f, "body", env->body);
	if (env->smtputf8)
		put_str(&f, "smtputf8\n");
	if (env->bounce)
		put_str(&f, "bounce\n");
	put_rcpts(&f, env);
	put_str(&f, "end\n");
	if (!f.toobig && !f.nomem)
		return ERR_OK;
	out->len = f.start;
	if (out->data != NULL)
		out->data[out->len] = '\0';
	if (f.nomem)
		return err_set(e, ERR_OS, "out of memory");
	return err_set(e, ERR_DATA, "queue entry %s: larger than %u bytes",
	    env->id, QUEUE_ENV_FILE_MAX);
}

/* --- reading -------------------------------------------------------------- */

struct parser {
	const char *p, *end;
	unsigned line;
	unsigned seen;		/* 1 << key for each key read */
	struct queue_env *env;
	struct err *e;
};

static enum err_kind
bad(struct parser *ps, const char *why)
{
	return err_set(ps->e, ERR_DATA, "queue entry: line %u: %s", ps->line,
	    why);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Undo put_value() on s[0..n) into a malloc'd string of at most max. */
static enum err_kind
unescape(struct parser *ps, const char *s, size_t n, size_t max, char **out)
{
	size_t i, k = 0;
	char *d;
	int hi, lo;

	*out = NULL;
	if (n == 0)
		return bad(ps, "empty value");
	if (n == 2 && s[0] == '<' && s[1] == '>')
		n = 0;
	else if (s[0] == '<')
		return bad(ps, "value starts with '<'");
	if ((d = malloc(n + 1)) == NULL)
		return err_set(ps->e, ERR_OS, "out of memory");
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c != '%' && must_escape(c)) {
			free(d);
			return bad(ps, "control byte in a value");
		}
		if (c == '%') {
			if (n - i < 3 || (hi = hexval(s[i + 1])) < 0 ||
			    (lo = hexval(s[i + 2])) < 0) {
				free(d);
				return bad(ps, "bad %-escape");
			}
			c = (unsigned char)(hi << 4 | lo);
			if (c == 0) {
				free(d);
				return bad(ps, "NUL in a value");
			}
			i += 2;
		}
		d[k++] = (char)c;
	}
	d[k] = '\0';
	if (k > max) {
		free(d);
		return bad(ps, "value too long");
	}
	*out = d;
	return ERR_OK;
}

/* A decimal number without sign or leading zero, at most max. */
static enum err_kind
number(struct parser *ps, const char *s, size_t n, unsigned long long max,
    unsigned long long *out)
{
	unsigned long long v = 0;
	size_t i;

	if (n == 0 || n > 20 || (s[0] == '0' && n > 1))
		return bad(ps, "bad number");
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return bad(ps, "bad number");
		if (v > (max - (unsigned)(s[i] - '0')) / 10)
			return bad(ps, "number too large");
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return ERR_OK;
}

static enum err_kind
parse_rcpt(struct parser *ps, const char *v, size_t n)
{
	const char *sp1, *sp2, *end = v + n;
	char *addr = NULL, *reply = NULL;
	enum queue_rcpt_state st;
	enum err_kind rc;
	size_t sl;

	if ((sp1 = memchr(v, ' ', n)) == NULL ||
	    (sp2 = memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1))) == NULL ||
	    memchr(sp2 + 1, ' ', (size_t)(end - sp2 - 1)) != NULL)
		return bad(ps, "rcpt needs state, address and reply");
	sl = (size_t)(sp1 - v);
	for (st = QUEUE_RCPT_PENDING; st <= QUEUE_RCPT_FAILED; st++)
		if (strlen(state_names[st]) == sl &&
		    memcmp(state_names[st], v, sl) == 0)
			break;
	if (st > QUEUE_RCPT_FAILED)
		return bad(ps, "bad recipient state");
	if (ps->env->nrcpt == QUEUE_ENV_RCPT_MAX)
		return bad(ps, "too many recipients");
	rc = unescape(ps, sp1 + 1, (size_t)(sp2 - sp1 - 1), QUEUE_ENV_ADDR_MAX,
	    &addr);
	if (rc == ERR_OK && addr[0] == '\0')
		rc = bad(ps, "empty recipient address");
	if (rc == ERR_OK)
		rc = unescape(ps, sp2 + 1, (size_t)(end - sp2 - 1),
		    QUEUE_ENV_REPLY_MAX, &reply);
	if (rc == ERR_OK)
		rc = queue_env_add_rcpt(ps->env, addr, st, reply, ps->e);
	free(addr);
	free(reply);
	return rc;
}

static enum err_kind
parse_string(struct parser *ps, enum queue_env_field field, const char *v,
    size_t n)
{
	size_t max = field == QUEUE_ENV_FROM ? QUEUE_ENV_ADDR_MAX :
	    QUEUE_ENV_VALUE_MAX;
	struct err why;
	enum err_kind rc;
	char *s;

	if ((rc = unescape(ps, v, n, max, &s)) != ERR_OK)
		return rc;
	rc = queue_env_set(ps->env, field, s, &why);
	free(s);
	if (rc == ERR_DATA)
		return bad(ps, why.msg);
	if (rc != ERR_OK)
		return err_set(ps->e, rc, "%s", why.msg);
	return ERR_OK;
}

static enum err_kind
parse_id(struct parser *ps, const char *v, size_t n)
{
	if (n > QUEUE_ID_MAX)
		return bad(ps, "bad id");
	memcpy(ps->env->id, v, n);
	ps->env->id[n] = '\0';
	if (!queue_env_valid_id(ps->env->id))
		return bad(ps, "bad id");
	return ERR_OK;
}

static enum err_kind
parse_num_key(struct parser *ps, enum key k, const char *v, size_t n)
{
	unsigned long long x;
	enum err_kind rc;

	rc = number(ps, v, n, k == K_ATTEMPTS ? UINT_MAX : LLONG_MAX, &x);
	if (rc != ERR_OK)
		return rc;
	switch (k) {
	case K_CREATED:
		ps->env->created = (long long)x;
		break;
	case K_NEXT:
		ps->env->next = (long long)x;
		break;
	case K_LAST:
		ps->env->last = (long long)x;
		break;
	default:
		ps->env->attempts = (unsigned)x;
		break;
	}
	return ERR_OK;
}

/* One line after the version line: key, then " value" unless a flag. */
static enum err_kind
parse_item(struct parser *ps, const char *s, size_t n)
{
	const char *sp = memchr(s, ' ', n), *v;
	size_t kl = sp != NULL ? (size_t)(sp - s) : n, vn;
	unsigned k;

	for (k = 0; k < K_COUNT; k++)
		if (strlen(key_names[k]) == kl &&
		    memcmp(key_names[k], s, kl) == 0)
			break;
	if (k == K_COUNT)
		return bad(ps, "unknown key");
	if (k != K_RCPT && (ps->seen & (1u << k)))
		return bad(ps, "key repeated");
	ps->seen |= 1u << k;
	if (k == K_SMTPUTF8 || k == K_BOUNCE || k == K_END) {
		if (sp != NULL)
			return bad(ps, "flag with a value");
		if (k == K_SMTPUTF8)
			ps->env->smtputf8 = true;
		else if (k == K_BOUNCE)
			ps->env->bounce = true;
		return ERR_OK;
	}
	if (sp == NULL)
		return bad(ps, "key without a value");
	v = sp + 1;
	vn = n - kl - 1;
	switch (k) {
	case K_ID:
		return parse_id(ps, v, vn);
	case K_CREATED:
	case K_ATTEMPTS:
	case K_NEXT:
	case K_LAST:
		return parse_num_key(ps, (enum key)k, v, vn);
	case K_ACCOUNT:
		return parse_string(ps, QUEUE_ENV_ACCOUNT, v, vn);
	case K_FROM:
		return parse_string(ps, QUEUE_ENV_FROM, v, vn);
	case K_RET:
		return parse_string(ps, QUEUE_ENV_RET, v, vn);
	case K_ENVID:
		return parse_string(ps, QUEUE_ENV_ENVID, v, vn);
	case K_NOTIFY:
		return parse_string(ps, QUEUE_ENV_NOTIFY, v, vn);
	case K_BODY:
		return parse_string(ps, QUEUE_ENV_BODY, v, vn);
	default:
		return parse_rcpt(ps, v, vn);
	}
}

/* The next line into *s, *n (without the LF); false at a cut-short end. */
static bool
next_line(struct parser *ps, const char **s, size_t *n)
{
	const char *nl;

	if (ps->p == ps->end)
		return false;
	if ((nl = memchr(ps->p, '\n', (size_t)(ps->end - ps->p))) == NULL)
		return false;
	*s = ps->p;
	*n = (size_t)(nl - ps->p);
	ps->p = nl + 1;
	ps->line++;
	return true;
}

static enum err_kind
parse_version(struct parser *ps)
{
	static const char want[] = MAGIC " ";
	unsigned long long v;
	const char *s;
	size_t n;

	ps->line = 0;
	if (!next_line(ps, &s, &n)) {
		ps->line = 1;
		return bad(ps, "cut short (no end line)");
	}
	if (n < sizeof(want) || memcmp(s, want, sizeof(want) - 1) != 0)
		return bad(ps, "not a postie queue file");
	if (number(ps, s + sizeof(want) - 1, n - (sizeof(want) - 1), UINT_MAX,
	    &v) != ERR_OK || v != QUEUE_ENV_VERSION)
		return bad(ps, "unsupported version");
	return ERR_OK;
}

static enum err_kind
parse_all(struct parser *ps)
{
	enum err_kind rc;
	const char *s;
	size_t n;

	if ((rc = parse_version(ps)) != ERR_OK)
		return rc;
	while (!(ps->seen & (1u << K_END))) {
		if (!next_line(ps, &s, &n)) {
			ps->line++;
			return bad(ps, "cut short (no end line)");
		}
		if ((rc = parse_item(ps, s, n)) != ERR_OK)
			return rc;
	}
	if (ps->p != ps->end) {
		ps->line++;
		return bad(ps, "data after the end line");
	}
	if ((ps->seen & REQUIRED) != REQUIRED)
		return bad(ps, "a required key is missing");
	return ERR_OK;
}

enum err_kind
queue_env_parse(const char *text, size_t len, struct queue_env *env,
    struct err *e)
{
	struct parser ps;
	enum err_kind rc;

	queue_env_free(env);
	if (len > QUEUE_ENV_FILE_MAX)
		return err_set(e, ERR_DATA, "queue entry: larger than %u "
		    "bytes", QUEUE_ENV_FILE_MAX);
	ps.p = text;
	ps.end = text + len;
	ps.line = 0;
	ps.seen = 0;
	ps.env = env;
	ps.e = e;
	if ((rc = parse_all(&ps)) != ERR_OK)
		queue_env_free(env);
	return rc;
}
