/*
 * fuzz_compose: the header section as postie composes it.
 *
 * Input: two option bytes, a length byte n, n bytes of full name (-F),
 * then the message.  The message is read as postie reads standard input
 * (deliver_input_read(): normalised, the header section cut where it
 * ends), its -t recipients are taken (mail_header_recipients()), and the
 * section is composed (mail_header_compose(): From, Date, Message-ID
 * added or not, Bcc removed, undisclosed To, qualified names) with the
 * options the first bytes choose.  Oracles besides the sanitizers, on
 * success:
 *
 *  - the result is a header section again: CRLF lines only (no bare CR,
 *    no bare LF, no NUL), no empty line, the first line a field and every
 *    other a field or a continuation line, nothing mail_header_next()
 *    skips;
 *  - with remove_bcc no Bcc or Resent-Bcc field is left; with undisclosed
 *    the only To, Cc or Bcc field is "To: undisclosed-recipients:;";
 *  - with qualify every address in From, Sender, Reply-To, To, Cc, Bcc
 *    and their Resent- forms that parses has a domain;
 *  - a From, Date, Message-ID that was asked for (auto or on) is there,
 *    exactly one From when set_from_header is on;
 *  - growth is bounded: the input, the generated fields, and one
 *    "@domain" per bare name at most;
 *  - composing the result again with the same options changes nothing;
 *  - without Bcc removal and undisclosed, the -t recipients of the result
 *    are those of the input (bare names qualified when qualify is on).
 *
 * The same arbitrary bytes are also composed as they are (not
 * normalised, which breaks the function's precondition): it must not
 * crash and growth stays bounded.
 */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deliver/input.h"
#include "mail/header.h"

#define QUALIFY "q.example"
#define OUT_MAX (8u << 20)
#define GEN_MAX 8192		/* generated fields, the name at most 255 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned char rnd[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
    12, 13, 14, 15, 16 };

static const char *const senders[] = {
	"me@client.example", "", NULL, "\"a b\"@client.example",
	"x@[192.0.2.1]", "me@client.example", "me@client.example",
	"me@client.example"
};

static const enum mail_header_set sets[] = {
	MAIL_HEADER_SET_OFF, MAIL_HEADER_SET_AUTO, MAIL_HEADER_SET_ON,
	MAIL_HEADER_SET_AUTO
};

struct opts {
	struct mail_header_compose c;
	bool dot_ends;
	char name[256];
};

static void
opts_make(const uint8_t *d, struct opts *o)
{
	memset(o, 0, sizeof(*o));
	o->c.from = sets[d[0] & 3];
	o->c.date = sets[(d[0] >> 2) & 3];
	o->c.msgid = sets[(d[0] >> 4) & 3];
	o->c.remove_bcc = (d[0] & 0x40) != 0;
	o->c.undisclosed = (d[0] & 0x80) != 0;
	o->c.qualify = (d[1] & 1) ? QUALIFY : NULL;
	o->dot_ends = (d[1] & 2) != 0;
	o->c.sender = senders[(d[1] >> 2) & 7];
	o->c.full_name = (d[1] & 0x20) ? o->name : NULL;
	o->c.now = 1795433696 + (long long)(d[1] >> 6) * 86400 * 400;
	o->c.utc_offset = (d[1] & 0x40) ? -19800 : 3600;
	o->c.rnd = rnd;
	o->c.nrnd = sizeof(rnd);
	o->c.domain = "client.example";
}

/* The message read as postie reads it, from a file (any size). */
static bool
read_message(const uint8_t *p, size_t n, bool dot_ends,
    struct deliver_input *in)
{
	static FILE *fp;
	struct err e;

	if (fp == NULL && (fp = tmpfile()) == NULL)
		abort();
	if (ftruncate(fileno(fp), 0) != 0 ||
	    pwrite(fileno(fp), p, n, 0) != (ssize_t)n ||
	    lseek(fileno(fp), 0, SEEK_SET) != 0)
		abort();
	deliver_input_init(in);
	return deliver_input_read(in, fileno(fp), dot_ends, NULL, &e) ==
	    ERR_OK;
}

/* RFC 5322 2.2 field-name then ':' (as deliver/input.c tells a field). */
static bool
is_field_line(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ':')
			return i > 0;
		if (c < 33 || c > 126)
			return false;
	}
	return false;
}

/* CRLF lines, no empty one, fields and continuation lines only. */
static void
check_shape(const char *h, size_t len)
{
	size_t pos = 0, end, i;
	struct mail_header_field f;

	while (pos < len) {
		const char *lf = memchr(h + pos, '\n', len - pos);

		if (lf == NULL)
			abort();	/* the last line lacks CRLF */
		end = (size_t)(lf - h);
		if (end == pos || h[end - 1] != '\r' || end - 1 == pos)
			abort();	/* bare LF, or an empty line */
		for (i = pos; i < end - 1; i++)
			if (h[i] == '\r' || h[i] == '\0')
				abort();	/* bare CR, NUL */
		if (!is_field_line(h + pos, end - 1 - pos) &&
		    (pos == 0 || (h[pos] != ' ' && h[pos] != '\t')))
			abort();	/* neither field nor continuation */
		pos = end + 1;
	}
	/* Nothing the scanner skips: its fields cover the section. */
	pos = 0;
	end = 0;
	while (mail_header_next(h, len, &pos, &f)) {
		if (f.raw != h + end)
			abort();
		end = pos;
	}
	if (end != len)
		abort();
}

/* Whether a (from a parsed list) has '@' outside its quoted local part. */
static bool
has_domain(const char *a)
{
	bool q = false;

	for (; *a != '\0'; a++) {
		if (q && *a == '\\' && a[1] != '\0')
			a++;
		else if (*a == '"')
			q = !q;
		else if (!q && *a == '@')
			return true;
	}
	return false;
}

static bool
is_addr_field(const struct mail_header_field *f)
{
	static const char *const names[] = {
		"From", "Sender", "Reply-To", "To", "Cc", "Bcc",
		"Resent-From", "Resent-Sender", "Resent-To", "Resent-Cc",
		"Resent-Bcc", NULL
	};
	size_t i;

	for (i = 0; names[i] != NULL; i++)
		if (mail_header_is(f, names[i]))
			return true;
	return false;
}

static void
check_fields(const char *h, size_t len, const struct opts *o)
{
	struct mail_header_field f;
	struct mail_address_list l;
	struct err e;
	size_t pos = 0, i, from = 0, date = 0, msgid = 0, tocc = 0;
	bool sender = o->c.sender != NULL && o->c.sender[0] != '\0';

	while (mail_header_next(h, len, &pos, &f)) {
		from += mail_header_is(&f, "From");
		date += mail_header_is(&f, "Date");
		msgid += mail_header_is(&f, "Message-ID");
		if (o->c.remove_bcc && (mail_header_is(&f, "Bcc") ||
		    mail_header_is(&f, "Resent-Bcc")))
			abort();
		if (mail_header_is(&f, "To") || mail_header_is(&f, "Cc") ||
		    mail_header_is(&f, "Bcc")) {
			tocc++;
			if (o->c.undisclosed && (!mail_header_is(&f, "To") ||
			    f.raw_len != 30 || memcmp(f.raw,
			    "To: undisclosed-recipients:;\r\n", 30) != 0))
				abort();
		}
		if (o->c.qualify == NULL || !is_addr_field(&f))
			continue;
		mail_address_list_init(&l);
		if (mail_address_parse_list(f.value, f.value_len, &l, &e) ==
		    ERR_OK)
			for (i = 0; i < l.n; i++)
				if (!has_domain(l.addrs[i]))
					abort();
		mail_address_list_free(&l);
	}
	if ((o->c.undisclosed && tocc != 1) ||
	    (o->c.date != MAIL_HEADER_SET_OFF && date == 0) ||
	    (o->c.msgid != MAIL_HEADER_SET_OFF && msgid == 0) ||
	    (sender && o->c.from != MAIL_HEADER_SET_OFF && from == 0) ||
	    (sender && o->c.from == MAIL_HEADER_SET_ON && from != 1))
		abort();
}

/* The -t recipients of h, bare names qualified as postie would. */
static bool
recipients(const char *h, size_t len, const char *qualify,
    struct mail_address_list *out)
{
	struct mail_address_list l;
	struct err e;
	char a[MAIL_ADDRESS_LEN_MAX + 64];
	size_t i;
	bool ok;

	mail_address_list_init(&l);
	mail_address_list_init(out);
	ok = mail_header_recipients(h, len, &l, &e) == ERR_OK;
	if (!ok && e.msg[0] == '\0')
		abort();
	for (i = 0; ok && i < l.n; i++) {
		if (qualify != NULL && !has_domain(l.addrs[i]))
			snprintf(a, sizeof(a), "%s@%s", l.addrs[i], qualify);
		else
			strlcpy(a, l.addrs[i], sizeof(a));
		ok = mail_address_list_add(out, a, &e) == ERR_OK;
	}
	mail_address_list_free(&l);
	return ok;
}

static void
check_recipients(const char *in, size_t inlen, const char *out,
    size_t outlen, const struct opts *o)
{
	struct mail_address_list a, b;
	size_t i;

	if (o->c.remove_bcc || o->c.undisclosed)
		return;
	if (recipients(in, inlen, o->c.qualify, &a)) {
		/* Qualifying in the header may only repair what the
		 * envelope would have qualified the same way. */
		if (!recipients(out, outlen, NULL, &b) || a.n != b.n)
			abort();
		for (i = 0; i < a.n; i++)
			if (strcmp(a.addrs[i], b.addrs[i]) != 0)
				abort();
		mail_address_list_free(&b);
	}
	mail_address_list_free(&a);
}

/* Bare names can at most double-and-a-domain the text they are in. */
static size_t
growth_max(size_t len, const struct opts *o)
{
	size_t per = o->c.qualify != NULL ? strlen(QUALIFY) + 1 : 0;

	return len + len * per + GEN_MAX;
}

static void
compose_checked(const char *h, size_t len, const struct opts *o,
    bool normalised)
{
	struct buf out, again;
	struct err e;
	enum err_kind rc;

	buf_init(&out, OUT_MAX);
	err_clear(&e);
	rc = mail_header_compose(h, len, &o->c, &out, &e);
	if (rc != ERR_OK) {
		if (e.msg[0] == '\0' || (rc != ERR_DATA && rc != ERR_OS))
			abort();
		buf_free(&out);
		return;
	}
	if (out.len > growth_max(len, o))
		abort();
	if (normalised) {
		check_shape(out.data != NULL ? out.data : "", out.len);
		check_fields(buf_str(&out), out.len, o);
		check_recipients(h, len, buf_str(&out), out.len, o);
		buf_init(&again, OUT_MAX);
		if (mail_header_compose(buf_str(&out), out.len, &o->c, &again,
		    &e) != ERR_OK || again.len != out.len ||
		    memcmp(buf_str(&again), buf_str(&out), out.len) != 0)
			abort();
		buf_free(&again);
	}
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct deliver_input in;
	struct mail_address_list l;
	struct opts o;
	struct err e;
	size_t n;

	if (size < 3)
		return 0;
	opts_make(data, &o);
	n = data[2];
	if (n > size - 3)
		n = size - 3;
	memcpy(o.name, data + 3, n);
	o.name[n] = '\0';	/* a NUL in the name ends it, as in argv */
	data += 3 + n;
	size -= 3 + n;

	if (read_message(data, size, o.dot_ends, &in)) {
		mail_address_list_init(&l);
		(void)mail_header_recipients(buf_str(&in.header),
		    in.header.len, &l, &e);
		if (l.n > MAIL_ADDRESS_MAX)
			abort();
		mail_address_list_free(&l);
		compose_checked(buf_str(&in.header), in.header.len, &o, true);
	}
	deliver_input_free(&in);
	compose_checked((const char *)data, size, &o, false);
	return 0;
}
