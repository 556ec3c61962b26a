#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/header.h"
#include "tap.h"

#define S(lit) lit, sizeof(lit) - 1

static void
test_next(void)
{
	static const char h[] =
	    "Subject: a\r\n"
	    "\tfolded\r\n"
	    " twice\r\n"
	    "X-Empty:\r\n"
	    "not a field line\r\n"
	    "Name With Space: x\r\n"
	    "Obs-Name \t: obs\r\n"
	    "To: a@b";
	struct mail_header_field f;
	size_t pos = 0;

	tap_is_int(mail_header_next(S(h), &pos, &f), 1, "first field");
	tap_is_mem(f.name, f.name_len, S("Subject"), "name");
	tap_is_mem(f.value, f.value_len, S(" a\r\n\tfolded\r\n twice"),
	    "value keeps its folds, not the final CRLF");
	tap_is_mem(f.raw, f.raw_len, S("Subject: a\r\n\tfolded\r\n twice\r\n"),
	    "raw is the whole field");
	tap_is_int(mail_header_next(S(h), &pos, &f), 1, "second field");
	tap_is_mem(f.name, f.name_len, S("X-Empty"), "empty field name");
	tap_is_int((long long)f.value_len, 0, "empty value");
	tap_is_mem(f.raw, f.raw_len, S("X-Empty:\r\n"), "empty field raw");
	tap_is_int(mail_header_next(S(h), &pos, &f), 1, "obs-optional field");
	tap_is_mem(f.name, f.name_len, S("Obs-Name"),
	    "lines that are not fields skipped; blank before colon");
	tap_is_mem(f.value, f.value_len, S(" obs"), "obs value");
	tap_is_int(mail_header_next(S(h), &pos, &f), 1, "last field");
	tap_is_mem(f.raw, f.raw_len, S("To: a@b"), "unterminated last line");
	tap_is_mem(f.value, f.value_len, S(" a@b"), "its value");
	tap_is_int(mail_header_next(S(h), &pos, &f), 0, "end");
	tap_is_int(mail_header_next(S(h), &pos, &f), 0, "end stays end");

	pos = 0;
	tap_is_int(mail_header_next("", 0, &pos, &f), 0, "no header at all");
	pos = 0;
	tap_is_int(mail_header_next(S(" orphan\r\n\tfold\r\n"), &pos, &f), 0,
	    "continuation lines without a field");
	pos = 0;
	tap_is_int(mail_header_next(S(":x\r\n"), &pos, &f), 0,
	    "empty name is not a field");
}

static void
test_is(void)
{
	struct mail_header_field f;
	size_t pos = 0;

	mail_header_next(S("rESENT-bcc: x\r\n"), &pos, &f);
	tap_ok(mail_header_is(&f, "Resent-Bcc"), "is: case-insensitive");
	tap_ok(!mail_header_is(&f, "Resent-Bc"), "is: prefix is not equal");
	tap_ok(!mail_header_is(&f, "Resent-Bcc2"), "is: longer is not equal");
	tap_ok(!mail_header_is(&f, "Bcc"), "is: suffix is not equal");
}

/* The recipients joined with " | ", or "ERR:" and the message. */
static const char *
rcpts(const char *h, size_t len)
{
	static char out[4096];
	struct mail_address_list l;
	struct err e;
	size_t i;

	mail_address_list_init(&l);
	out[0] = '\0';
	if (mail_header_recipients(h, len, &l, &e) != ERR_OK) {
		snprintf(out, sizeof(out), "ERR:%s", e.msg);
		mail_address_list_free(&l);
		return out;
	}
	for (i = 0; i < l.n; i++) {
		if (i > 0)
			strlcat(out, " | ", sizeof(out));
		strlcat(out, l.addrs[i], sizeof(out));
	}
	mail_address_list_free(&l);
	return out;
}

static void
test_recipients(void)
{
	tap_is_str(rcpts(S(
	    "From: me@x\r\n"
	    "To: a@x, \"B\" <b@x>\r\n"
	    "Subject: To: not@me\r\n"
	    "cc: c@x,\r\n"
	    "  a@X\r\n"
	    "BCC: d@x\r\n"
	    "Reply-To: r@x\r\n"
	    "To: e@x, b@X\r\n")),
	    "a@x | b@x | c@x | d@x | e@x",
	    "To, Cc and Bcc, any case, folded, duplicates dropped");
	tap_is_str(rcpts(S("From: me@x\r\nSubject: hi\r\n")), "",
	    "no recipient fields");
	tap_is_str(rcpts("", 0), "", "no header at all");
	tap_is_str(rcpts(S("To:\r\nCc: \r\n")), "", "empty values");
	tap_is_str(rcpts(S("To: a@x\r\nCc: b@x, <c@x\r\n")),
	    "ERR:Cc: invalid address list: unterminated '<' near '<c@x'",
	    "error names the field");
	tap_is_str(rcpts(S("X-To: a@x\r\nTo-X: b@x\r\nTo : c@x\r\n")), "c@x",
	    "only exact names");
}

static void
test_resent(void)
{
	tap_is_str(rcpts(S(
	    "Received: from a by b\r\n"
	    "Resent-From: r@x\r\n"
	    "Resent-To: n1@x\r\n"
	    "Resent-Cc: n2@x\r\n"
	    "Resent-Bcc: n3@x\r\n"
	    "Resent-Date: today\r\n"
	    "From: me@x\r\n"
	    "To: old@x\r\n")),
	    "n1@x | n2@x | n3@x", "Resent fields replace To/Cc/Bcc");
	tap_is_str(rcpts(S(
	    "Return-Path: <x@y>\r\n"
	    "Received: by hop2\r\n"
	    "Resent-Date: two\r\n"
	    "Resent-From: r2@x\r\n"
	    "Resent-To: new@x\r\n"
	    "Received: by hop1\r\n"
	    "Resent-Date: one\r\n"
	    "Resent-From: r1@x\r\n"
	    "Resent-To: older@x\r\n"
	    "To: old@x\r\n")),
	    "new@x", "only the newest (topmost) block");
	tap_is_str(rcpts(S(
	    "Resent-To: new@x\r\n"
	    "Resent-Date: two\r\n"
	    "Resent-Date: one\r\n"
	    "Resent-To: older@x\r\n")),
	    "new@x", "adjacent blocks split at a second Resent-Date");
	tap_is_str(rcpts(S(
	    "Resent-From: r@x\r\n"
	    "Resent-Date: one\r\n"
	    "To: old@x\r\n")),
	    "", "a resent block without recipients names none");
	tap_is_str(rcpts(S(
	    "From: me@x\r\n"
	    "To: old@x\r\n"
	    "resent-to: appended@x\r\n")),
	    "appended@x", "a block below the other fields still counts");
	tap_is_str(rcpts(S("Resent-To: a@x\r\nResent-Bcc: <b@x\r\n")),
	    "ERR:Resent-Bcc: invalid address list: unterminated '<' near '<b@x'",
	    "error in a Resent field names it");
}

static const char *
removed(const char *h, size_t len, const char *const *names)
{
	static char out[4096];
	struct buf b;
	struct err e;

	buf_init(&b, 4096);
	if (mail_header_remove(h, len, names, &b, &e) != ERR_OK)
		snprintf(out, sizeof(out), "ERR:%s", e.msg);
	else
		strlcpy(out, buf_str(&b), sizeof(out));
	buf_free(&b);
	return out;
}

static void
test_remove(void)
{
	static const char *const bcc[] = { "Bcc", "Resent-Bcc", NULL };
	static const char *const none[] = { NULL };
	static const char h[] =
	    "From: me@x\r\n"
	    "bcc: hidden@x,\r\n"
	    "\tmore@x\r\n"
	    " evenmore@x\r\n"
	    "To: a@x\r\n"
	    "junk line\r\n"
	    "RESENT-BCC: r@x\r\n"
	    "Bccx: keep\r\n"
	    "Bcc: last@x";
	struct buf b;
	struct err e;

	tap_is_str(removed(S(h), bcc),
	    "From: me@x\r\nTo: a@x\r\njunk line\r\nBccx: keep\r\n",
	    "Bcc and Resent-Bcc removed with continuation lines");
	tap_is_str(removed(S(h), none), h, "nothing to remove: a copy");
	tap_is_str(removed(S("Subject: x\r\n"), bcc), "Subject: x\r\n",
	    "no Bcc field: a copy");
	tap_is_str(removed(S("Bcc: a\r\n"), bcc), "", "only a Bcc field");
	tap_is_str(removed("", 0, bcc), "", "empty section");

	buf_init(&b, 8);
	tap_is_int(mail_header_remove(S(h), bcc, &b, &e), ERR_DATA,
	    "output over the buffer cap");
	buf_free(&b);
	buf_init(&b, 64);
	buf_append_str(&b, "X: 1\r\n");
	mail_header_remove(S("Y: 2\r\nBcc: z\r\n"), bcc, &b, &e);
	tap_is_str(buf_str(&b), "X: 1\r\nY: 2\r\n", "appends to out");
	buf_free(&b);
}

/* Many fields: still linear. */
static void
test_many(void)
{
	size_t n = 100000, cap = n * 20, o = 0, i;
	struct mail_address_list l;
	struct err e;
	char *h = malloc(cap);

	if (h == NULL)
		abort();
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(h + o, cap - o, "To: u%zu@x\r\n", i);
	mail_address_list_init(&l);
	tap_is_int(mail_header_recipients(h, o, &l, &e), ERR_OK,
	    "100000 To fields");
	tap_is_int((long long)l.n, (long long)n, "100000 recipients");
	mail_address_list_free(&l);
	free(h);
}

int
main(void)
{
	test_next();
	test_is();
	test_recipients();
	test_resent();
	test_remove();
	test_many();
	return tap_done();
}
