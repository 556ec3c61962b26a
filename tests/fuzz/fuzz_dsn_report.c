/*
 * fuzz_dsn_report: a delivery status notification built from hostile
 * values.
 *
 * Input: one option byte (bit 0 expired, bit 1 the first recipient
 * delayed, bit 2 the others delayed, bits 3-4 the recipients less one,
 * bit 5 an envelope id, bit 6 last-attempt dates), then NUL-separated
 * values: diagnostic, remote MTA, address, original recipient, status,
 * envelope id; the rest is the original header section.  Every
 * recipient gets the same values.  Oracles besides the sanitizers:
 *
 *  - composing succeeds (the fixed fields are valid; only the hostile
 *    values vary, and they are cleaned, never refused);
 *  - CRLF lines only, no NUL, none past 998 bytes;
 *  - the header section holds exactly the fields promised, in order;
 *  - the body is exactly three parts between delimiter lines, the close
 *    delimiter last, no other line starting with "--boundary", and the
 *    boundary nowhere but there and in Content-Type;
 *  - part 2 is 7-bit and holds one group per recipient, each with the
 *    fields RFC 3464 orders, none twice and no other;
 *  - part 3 is at most MAIL_DSN_REPORT_HEADER_MAX bytes.
 */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/dsn_report.h"
#include "mail/header.h"

#define OUT_MAX (16u << 20)
#define NVAL 6
#define VAL_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned char rnd[16] = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4,
    5, 6, 7, 8, 9, 10, 11, 12 };

static const char *const head_names[] = {
	"From", "To", "Subject", "Date", "Message-ID", "Auto-Submitted",
	"MIME-Version", "Content-Type", "Content-Transfer-Encoding", NULL
};

static const char *const rcpt_names[] = {
	"Original-Recipient", "Final-Recipient", "Action", "Status",
	"Remote-MTA", "Diagnostic-Code", "Last-Attempt-Date",
	"Will-Retry-Until", NULL
};

/* Fields of h[0..n) in the order of names (each at most once, those
 * before required_upto all present); the count, or -1. */
static int
fields_in_order(const char *h, size_t n, const char *const *names,
    size_t required_upto)
{
	struct mail_header_field f;
	size_t pos = 0, k = 0, seen = 0, end = 0;

	while (mail_header_next(h, n, &pos, &f)) {
		if ((size_t)(f.raw - h) != end)
			return -1;	/* a line that is no field */
		end = pos;
		while (names[k] != NULL && !mail_header_is(&f, names[k]))
			k++;
		if (names[k] == NULL)
			return -1;
		k++;
		seen++;
	}
	if (end != n || k < required_upto)
		return -1;
	return (int)seen;
}

static bool
lines_ok(const char *p, size_t n)
{
	size_t i, col = 0;

	for (i = 0; i < n; i++) {
		if (p[i] == '\0' || (p[i] == '\n'))
			return false;
		if (p[i] == '\r') {
			if (i + 1 >= n || p[i + 1] != '\n' ||
			    col > MAIL_HEADER_LINE_MAX)
				return false;
			col = 0;
			i++;
		} else
			col++;
	}
	return col == 0;
}

static size_t
count(const char *p, size_t n, const char *s, size_t sn)
{
	const char *q, *end = p + n;
	size_t k = 0;

	while ((size_t)(end - p) >= sn &&
	    (q = memmem(p, (size_t)(end - p), s, sn)) != NULL) {
		k++;
		p = q + 1;
	}
	return k;
}

/* The delivery-status content: one group per recipient. */
static void
check_status(const char *p, size_t n, size_t nrcpt)
{
	const char *e, *end = p + n;
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] >= 0x80)
			abort();
	e = memmem(p, n, "\r\n\r\n", 4);	/* per-message fields */
	if (e == NULL)
		abort();
	for (i = 0; i < nrcpt; i++) {
		p = e + 4;
		e = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
		if (fields_in_order(p, e != NULL ? (size_t)(e - p) + 2 :
		    (size_t)(end - p), rcpt_names, 4) < 3)
			abort();
		if (e == NULL && i + 1 < nrcpt)
			abort();
	}
	if (e != NULL && e + 4 != end)
		abort();
}

/* Part i's content, after its header section. */
static void
part_content(const char *p, size_t n, const char **c, size_t *cn)
{
	const char *e = memmem(p, n, "\r\n\r\n", 4);

	if (e == NULL)
		abort();
	*c = e + 4;
	*cn = n - (size_t)(*c - p);
}

static void
check(const char *m, size_t n, size_t nrcpt)
{
	const char *body, *ct, *q, *eol, *part[3], *c;
	size_t hlen, bl, k = 0, plen[3], cn;
	char b[MAIL_DSN_REPORT_BOUNDARY_MAX + 3];

	if (!lines_ok(m, n) || (body = memmem(m, n, "\r\n\r\n", 4)) == NULL)
		abort();
	hlen = (size_t)(body - m) + 2;
	body += 4;
	if (fields_in_order(m, hlen, head_names, 8) < 8)
		abort();
	if ((ct = memmem(m, hlen, "boundary=\"", 10)) == NULL)
		abort();
	ct += 10;
	bl = strcspn(ct, "\"");
	if (bl == 0 || bl > MAIL_DSN_REPORT_BOUNDARY_MAX)
		abort();
	b[0] = b[1] = '-';
	memcpy(b + 2, ct, bl);
	if (count(m, n, b + 2, bl) != 5)
		abort();
	/* Delimiter lines: "--b" three times, then "--b--" at the end. */
	for (q = body; q < m + n; q = eol + 2) {
		eol = memmem(q, (size_t)(m + n - q), "\r\n", 2);
		if ((size_t)(eol - q) < bl + 2 || memcmp(q, b, bl + 2) != 0)
			continue;
		if (k > 0)
			plen[k - 1] = (size_t)(q - 2 - part[k - 1]);
		if (k == 3) {
			if ((size_t)(eol - q) != bl + 4 || eol + 2 != m + n)
				abort();
			k++;
			break;
		}
		if ((size_t)(eol - q) != bl + 2)
			abort();
		part[k++] = eol + 2;
	}
	if (k != 4)
		abort();
	part_content(part[1], plen[1], &c, &cn);
	check_status(c, cn, nrcpt);
	part_content(part[2], plen[2], &c, &cn);
	if (cn > MAIL_DSN_REPORT_HEADER_MAX)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mail_dsn_report r;
	struct mail_dsn_report_rcpt rc[4];
	char val[NVAL][VAL_MAX + 1];
	size_t i, k, n, pos = 1;
	struct buf out;
	struct err e;

	if (size < 1)
		return 0;
	for (i = 0; i < NVAL; i++) {
		for (k = 0; pos < size && data[pos] != '\0'; pos++)
			if (k < VAL_MAX)
				val[i][k++] = (char)data[pos];
		val[i][k] = '\0';
		if (pos < size)
			pos++;
	}
	memset(&r, 0, sizeof(r));
	n = 1 + ((data[0] >> 3) & 3);
	for (i = 0; i < n; i++) {
		memset(&rc[i], 0, sizeof(rc[i]));
		rc[i].diagnostic = val[0][0] != '\0' ? val[0] : NULL;
		rc[i].remote_mta = val[1][0] != '\0' ? val[1] : NULL;
		rc[i].addr = val[2][0] != '\0' ? val[2] : "x@example.org";
		rc[i].orcpt = val[3][0] != '\0' ? val[3] : NULL;
		rc[i].status = val[4][0] != '\0' ? val[4] : NULL;
		rc[i].action = (data[0] & (i == 0 ? 2 : 4)) ?
		    MAIL_DSN_REPORT_DELAYED : MAIL_DSN_REPORT_FAILED;
		rc[i].last_attempt = (data[0] & 0x40) ? 1795433636LL : 0;
	}
	r.reporting_mta = "mta.example.net";
	r.postmaster = "MAILER-DAEMON@mta.example.net";
	r.to = "sender@example.net";
	r.envid = (data[0] & 0x20) ? val[5] : NULL;
	r.arrival = 1795433576LL;
	r.now = 1795433696LL;
	r.utc_offset = -19800;
	r.rnd = rnd;
	r.nrnd = sizeof(rnd);
	r.domain = "mta.example.net";
	r.expired = (data[0] & 1) != 0;
	r.lifetime_s = 5 * 86400;
	r.rcpts = rc;
	r.nrcpt = n;
	r.orig_header = (const char *)data + pos;
	r.orig_header_len = size - pos;

	buf_init(&out, OUT_MAX);
	if (mail_dsn_report_compose(&r, &out, &e) != ERR_OK)
		abort();
	check(buf_str(&out), out.len, n);
	buf_free(&out);
	return 0;
}
