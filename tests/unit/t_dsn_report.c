#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/dsn_report.h"
#include "mail/header.h"
#include "tap.h"

#define S(lit) lit, sizeof(lit) - 1
#define OUT_MAX (4u << 20)
#define NOW 1795433696LL	/* Mon, 23 Nov 2026 11:34:56 UTC */
#define PARTS_MAX 8

static const unsigned char rnd[16] = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4,
    5, 6, 7, 8, 9, 10, 11, 12 };

static const char orig[] =
    "Received: from localhost by mta.example.net\r\n"
    "From: Sender <sender@example.net>\r\n"
    "To: someone@example.org\r\n"
    "Subject: hello\r\n"
    "\tthere\r\n"
    "Message-ID: <1@example.net>\r\n";

/* ---- the message parsed back ------------------------------------------ */

struct part {
	const char *hdr, *content;
	size_t hdr_len, content_len;
};

struct msg {
	const char *data, *hdr, *body;
	size_t len, hdr_len, body_len;
	char boundary[128];
	struct part part[PARTS_MAX];
	size_t nparts;
	bool closed;		/* the close delimiter ends the body */
	bool stray;		/* a line starts with "--boundary" otherwise */
};

/* Split at the first empty line; hdr keeps its last CRLF. */
static bool
split(const char *p, size_t n, const char **hdr, size_t *hlen,
    const char **rest, size_t *rlen)
{
	const char *e = memmem(p, n, "\r\n\r\n", 4);

	if (e == NULL)
		return false;
	*hdr = p;
	*hlen = (size_t)(e - p) + 2;
	*rest = e + 4;
	*rlen = n - *hlen - 2;
	return true;
}

/* The value of the first field called name, unfolded, leading blanks
 * dropped; "" when absent (then *found is false). */
static const char *
value(const char *h, size_t len, const char *name, bool *found)
{
	static char out[4096];
	struct mail_header_field f;
	size_t pos = 0, i, k = 0;

	out[0] = '\0';
	if (found != NULL)
		*found = false;
	while (mail_header_next(h, len, &pos, &f)) {
		if (!mail_header_is(&f, name))
			continue;
		for (i = 0; i < f.value_len && k + 1 < sizeof(out); i++)
			if (f.value[i] != '\r' && f.value[i] != '\n')
				out[k++] = f.value[i];
		out[k] = '\0';
		for (i = 0; out[i] == ' ' || out[i] == '\t'; i++)
			continue;
		if (found != NULL)
			*found = true;
		return out + i;
	}
	return out;
}

/* The field names of h joined by ','. */
static const char *
names(const char *h, size_t len)
{
	static char out[1024];
	struct mail_header_field f;
	size_t pos = 0, k = 0;

	out[0] = '\0';
	while (mail_header_next(h, len, &pos, &f) && k + f.name_len + 2 <
	    sizeof(out)) {
		if (k > 0)
			out[k++] = ',';
		memcpy(out + k, f.name, f.name_len);
		k += f.name_len;
		out[k] = '\0';
	}
	return out;
}

static void
take_boundary(struct msg *m)
{
	const char *ct = value(m->hdr, m->hdr_len, "Content-Type", NULL);
	const char *b = strstr(ct, "boundary=\"");
	size_t n;

	m->boundary[0] = '\0';
	if (b == NULL)
		return;
	b += 10;
	n = strcspn(b, "\"");
	if (n < sizeof(m->boundary))
		snprintf(m->boundary, sizeof(m->boundary), "%.*s", (int)n, b);
}

/* RFC 2046 5.1.1, strictly: parts between delimiter lines. */
static bool
parse(const char *data, size_t len, struct msg *m)
{
	const char *p, *eol, *end;
	size_t bl;
	struct part *cur = NULL;

	memset(m, 0, sizeof(*m));
	m->data = data;
	m->len = len;
	if (!split(data, len, &m->hdr, &m->hdr_len, &m->body, &m->body_len))
		return false;
	take_boundary(m);
	if ((bl = strlen(m->boundary)) == 0)
		return false;
	end = m->body + m->body_len;
	for (p = m->body; p < end; p = eol + 2) {
		if ((eol = memmem(p, (size_t)(end - p), "\r\n", 2)) == NULL)
			return false;
		if ((size_t)(eol - p) < bl + 2 || p[0] != '-' || p[1] != '-' ||
		    memcmp(p + 2, m->boundary, bl) != 0)
			continue;
		if (cur != NULL) {
			/* The CRLF before a delimiter belongs to it. */
			cur->content_len = (size_t)(p - 2 - cur->content);
		}
		if ((size_t)(eol - p) == bl + 4 && memcmp(p + 2 + bl, "--",
		    2) == 0) {
			m->closed = eol + 2 == end;
			return true;
		}
		if ((size_t)(eol - p) != bl + 2) {
			m->stray = true;
			continue;
		}
		if (m->nparts == PARTS_MAX)
			return false;
		cur = &m->part[m->nparts++];
		cur->content = eol + 2;
	}
	return false;
}

/* Split each part into header and content. */
static bool
parse_parts(struct msg *m)
{
	size_t i;
	struct part *pt;
	const char *c;
	size_t clen;

	for (i = 0; i < m->nparts; i++) {
		pt = &m->part[i];
		if (!split(pt->content, pt->content_len, &pt->hdr,
		    &pt->hdr_len, &c, &clen))
			return false;
		pt->content = c;
		pt->content_len = clen;
	}
	return true;
}

/* Every line ends in CRLF, no NUL, none longer than max. */
static bool
lines_ok(const char *p, size_t n, size_t max)
{
	size_t i, col = 0;

	for (i = 0; i < n; i++) {
		if (p[i] == '\0')
			return false;
		if (p[i] == '\r') {
			if (i + 1 >= n || p[i + 1] != '\n')
				return false;
			if (col > max)
				return false;
			col = 0;
			i++;
			continue;
		}
		if (p[i] == '\n')
			return false;
		col++;
	}
	return col == 0;
}

/* The i-th group of a message/delivery-status content (0: per-message). */
static bool
group(const struct part *pt, size_t i, const char **g, size_t *glen)
{
	const char *p = pt->content, *end = pt->content + pt->content_len, *e;

	*g = "";
	*glen = 0;
	for (;;) {
		e = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
		if (i == 0) {
			*g = p;
			*glen = e != NULL ? (size_t)(e - p) + 2 :
			    (size_t)(end - p);
			return true;
		}
		if (e == NULL)
			return false;
		p = e + 4;
		i--;
	}
}

static size_t
groups(const struct part *pt)
{
	const char *g;
	size_t glen, n = 0;

	while (group(pt, n, &g, &glen))
		n++;
	return n;
}

static bool
has_8bit(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] >= 0x80)
			return true;
	return false;
}

static size_t
count(const char *p, size_t n, const char *needle)
{
	size_t k = 0, nl = strlen(needle);
	const char *q;

	while (n >= nl && (q = memmem(p, n, needle, nl)) != NULL) {
		k++;
		n -= (size_t)(q - p) + 1;
		p = q + 1;
	}
	return k;
}

/* ---- composing --------------------------------------------------------- */

static void
base(struct mail_dsn_report *r, struct mail_dsn_report_rcpt *rc)
{
	memset(r, 0, sizeof(*r));
	memset(rc, 0, sizeof(*rc));
	rc->addr = "someone@example.org";
	rc->action = MAIL_DSN_REPORT_FAILED;
	rc->remote_mta = "mx.example.org";
	rc->diagnostic = "550 5.1.1 <someone@example.org>: no such user";
	rc->last_attempt = NOW - 60;
	r->reporting_mta = "mta.example.net";
	r->postmaster = "MAILER-DAEMON@mta.example.net";
	r->to = "sender@example.net";
	r->arrival = NOW - 120;
	r->now = NOW;
	r->utc_offset = 3600;
	r->rnd = rnd;
	r->nrnd = sizeof(rnd);
	r->domain = "mta.example.net";
	r->lifetime_s = 5 * 86400;
	r->rcpts = rc;
	r->nrcpt = 1;
	r->orig_header = orig;
	r->orig_header_len = sizeof(orig) - 1;
}

/* Compose r into out (initialised here); the kind returned. */
static enum err_kind
compose(const struct mail_dsn_report *r, struct buf *out, struct err *e)
{
	buf_init(out, OUT_MAX);
	err_clear(e);
	return mail_dsn_report_compose(r, out, e);
}

/* Compose and parse; false (with a failed test) when either fails. */
static bool
compose_parsed(const struct mail_dsn_report *r, struct buf *out,
    struct msg *m, const char *what)
{
	struct err e;

	if (!tap_ok(compose(r, out, &e) == ERR_OK, "%s: composed", what)) {
		tap_diag("%s", e.msg);
		return false;
	}
	return tap_ok(parse(buf_str(out), out->len, m) && m->closed &&
	    !m->stray && m->nparts == 3 && parse_parts(m),
	    "%s: a multipart of 3 parts", what);
}

/* ---- tests ------------------------------------------------------------ */

static const char golden[] =
    "From: Mail Delivery System <MAILER-DAEMON@mta.example.net>\r\n"
    "To: sender@example.net\r\n"
    "Subject: Undelivered Mail Returned to Sender\r\n"
    "Date: Mon, 23 Nov 2026 12:34:56 +0100\r\n"
    "Message-ID: <toydi8.32w353ybaibqibiga4eascqlbq@mta.example.net>\r\n"
    "Auto-Submitted: auto-replied\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/report; report-type=delivery-status;\r\n"
    " boundary=\"=_postie_dsn_32w353ybaibqibiga4eascql\"\r\n"
    "\r\n"
    "This is a MIME-encapsulated message.\r\n"
    "\r\n"
    "--=_postie_dsn_32w353ybaibqibiga4eascql\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Description: Notification\r\n"
    "\r\n"
    "This is the mail delivery system at mta.example.net.\r\n"
    "\r\n"
    "Your message could not be delivered to the recipients below. The "
    "error is\r\n"
    "permanent: it will not be retried.\r\n"
    "\r\n"
    "<someone@example.org>\r\n"
    "    host mx.example.org said: 550 5.1.1 <someone@example.org>: no "
    "such user\r\n"
    "\r\n"
    "The header section of your message is attached.\r\n"
    "\r\n"
    "--=_postie_dsn_32w353ybaibqibiga4eascql\r\n"
    "Content-Type: message/delivery-status\r\n"
    "Content-Description: Delivery report\r\n"
    "\r\n"
    "Reporting-MTA: dns; mta.example.net\r\n"
    "Arrival-Date: Mon, 23 Nov 2026 12:32:56 +0100\r\n"
    "\r\n"
    "Final-Recipient: rfc822;someone@example.org\r\n"
    "Action: failed\r\n"
    "Status: 5.1.1\r\n"
    "Remote-MTA: dns; mx.example.org\r\n"
    "Diagnostic-Code: smtp; 550 5.1.1 <someone@example.org>: no such user\r\n"
    "Last-Attempt-Date: Mon, 23 Nov 2026 12:33:56 +0100\r\n"
    "\r\n"
    "--=_postie_dsn_32w353ybaibqibiga4eascql\r\n"
    "Content-Type: text/rfc822-headers\r\n"
    "Content-Description: Message header\r\n"
    "\r\n"
    "Received: from localhost by mta.example.net\r\n"
    "From: Sender <sender@example.net>\r\n"
    "To: someone@example.org\r\n"
    "Subject: hello\r\n"
    "\tthere\r\n"
    "Message-ID: <1@example.net>\r\n"
    "\r\n"
    "--=_postie_dsn_32w353ybaibqibiga4eascql--\r\n";

static void
test_golden(void)
{
	struct mail_dsn_report r;
	struct mail_dsn_report_rcpt rc;
	struct buf out, again;
	struct err e;

	base(&r, &rc);
	tap_is_int(compose(&r, &out, &e), ERR_OK, "golden: composed");
	tap_is_mem(out.data, out.len, S(golden), "golden: byte for byte");
	tap_is_int(compose(&r, &again, &e), ERR_OK, "golden: again");
	tap_ok(again.len == out.len && memcmp(again.data, out.data,
	    out.len) == 0, "golden: same now and rnd, same bytes");
	buf_free(&out);
	buf_free(&again);
}

static void
test_structure(void)
{
	struct mail_dsn_report r;
	struct mail_dsn_report_rcpt rc;
	struct buf out, want;
	struct msg m;
	struct err e;
	const char *g;
	size_t glen;

	base(&r, &rc);
	if (!compose_parsed(&r, &out, &m, "structure"))
		return;
	tap_is_str(names(m.hdr, m.hdr_len), "From,To,Subject,Date,"
	    "Message-ID,Auto-Submitted,MIME-Version,Content-Type",
	    "header fields, in order");
	tap_is_str(value(m.hdr, m.hdr_len, "From", NULL),
	    "Mail Delivery System <MAILER-DAEMON@mta.example.net>", "From");
	tap_is_str(value(m.hdr, m.hdr_len, "To", NULL), "sender@example.net",
	    "To: the envelope sender");
	tap_is_str(value(m.hdr, m.hdr_len, "Auto-Submitted", NULL),
	    "auto-replied", "Auto-Submitted (RFC 3834)");
	tap_ok(strncmp(value(m.hdr, m.hdr_len, "Content-Type", NULL),
	    "multipart/report; report-type=delivery-status; boundary=\"", 57)
	    == 0, "Content-Type: multipart/report, delivery-status");
	tap_ok(lines_ok(out.data, out.len, MAIL_HEADER_FOLD_AT),
	    "CRLF lines of at most 78");

	buf_init(&want, 256);
	mail_header_date(NOW, 3600, &want, &e);
	tap_is_str(value(m.hdr, m.hdr_len, "Date", NULL), buf_str(&want),
	    "Date: mail_header_date(now)");
	buf_reset(&want);
	mail_header_msgid(NOW, rnd, sizeof(rnd), "mta.example.net", &want, &e);
	tap_is_str(value(m.hdr, m.hdr_len, "Message-ID", NULL),
	    buf_str(&want), "Message-ID: mail_header_msgid(now, rnd)");
	buf_free(&want);

	tap_is_str(value(m.part[0].hdr, m.part[0].hdr_len, "Content-Type",
	    NULL), "text/plain; charset=utf-8", "part 1: text/plain");
	tap_is_str(names(m.part[0].hdr, m.part[0].hdr_len),
	    "Content-Type,Content-Description", "part 1: 7-bit, no CTE");
	tap_is_str(value(m.part[1].hdr, m.part[1].hdr_len, "Content-Type",
	    NULL), "message/delivery-status", "part 2: delivery-status");
	tap_is_str(value(m.part[2].hdr, m.part[2].hdr_len, "Content-Type",
	    NULL), "text/rfc822-headers", "part 3: rfc822-headers");
	tap_is_mem(m.part[2].content, m.part[2].content_len, S(orig),
	    "part 3: the original header section, as it was");
	tap_is_int((long long)groups(&m.part[1]), 2,
	    "part 2: per-message and one recipient group");
	group(&m.part[1], 0, &g, &glen);
	tap_is_str(names(g, glen), "Reporting-MTA,Arrival-Date",
	    "per-message fields");
	group(&m.part[1], 1, &g, &glen);
	tap_is_str(names(g, glen), "Final-Recipient,Action,Status,"
	    "Remote-MTA,Diagnostic-Code,Last-Attempt-Date",
	    "per-recipient fields, in RFC 3464's order");
	tap_ok(memmem(m.part[0].content, m.part[0].content_len,
	    S("host mx.example.org said: 550 5.1.1")) != NULL,
	    "text: the host and its reply");
	buf_free(&out);
}

static void
test_recipients(void)
{
	struct mail_dsn_report r;
	struct mail_dsn_report_rcpt rc[3];
	struct buf out;
	struct msg m;
	const char *g;
	size_t glen;

	base(&r, &rc[0]);
	rc[0].orcpt = "alias@example.org";
	rc[1] = rc[0];
	rc[1].addr = "two@example.org";
	rc[1].orcpt = "two@example.org";
	rc[1].diagnostic = "552-5.2.2 mailbox full\r\n552 5.2.2 try later";
	rc[1].remote_mta = "mx2.example.org";
	rc[1].last_attempt = 0;
	rc[2] = rc[0];
	rc[2].addr = "three@example.com";
	rc[2].orcpt = NULL;
	rc[2].status = "5.7.1";
	rc[2].diagnostic = "550 5.1.1 the reply's code loses";
	r.rcpts = rc;
	r.nrcpt = 3;
	if (!compose_parsed(&r, &out, &m, "three recipients"))
		return;
	tap_is_int((long long)groups(&m.part[1]), 4, "three groups");
	group(&m.part[1], 1, &g, &glen);
	tap_is_str(names(g, glen), "Original-Recipient,Final-Recipient,"
	    "Action,Status,Remote-MTA,Diagnostic-Code,Last-Attempt-Date",
	    "1: Original-Recipient first");
	tap_is_str(value(g, glen, "Original-Recipient", NULL),
	    "rfc822;alias@example.org", "1: Original-Recipient");
	tap_is_str(value(g, glen, "Final-Recipient", NULL),
	    "rfc822;someone@example.org", "1: Final-Recipient");
	group(&m.part[1], 2, &g, &glen);
	tap_is_str(names(g, glen), "Original-Recipient,Final-Recipient,"
	    "Action,Status,Remote-MTA,Diagnostic-Code",
	    "2: no Last-Attempt-Date when 0");
	tap_is_str(value(g, glen, "Status", NULL), "5.2.2",
	    "2: status from the multi-line reply");
	tap_is_str(value(g, glen, "Diagnostic-Code", NULL),
	    "smtp; 552-5.2.2 mailbox full 552 5.2.2 try later",
	    "2: lines joined by one space");
	tap_is_str(value(g, glen, "Remote-MTA", NULL), "dns; mx2.example.org",
	    "2: its own Remote-MTA");
	group(&m.part[1], 3, &g, &glen);
	tap_is_str(names(g, glen), "Final-Recipient,Action,Status,"
	    "Remote-MTA,Diagnostic-Code,Last-Attempt-Date",
	    "3: no Original-Recipient without orcpt");
	tap_is_str(value(g, glen, "Status", NULL), "5.7.1",
	    "3: the given status wins");
	tap_is_int((long long)count(m.part[0].content, m.part[0].content_len,
	    "sent to <"), 1, "text: 'sent to' only when orcpt differs");
	tap_ok(memmem(m.part[0].content, m.part[0].content_len,
	    S("<three@example.com>\r\n")) != NULL, "text: third listed");
	buf_free(&out);
}

static void
test_expired_refused(void)
{
	struct mail_dsn_report r;
	struct mail_dsn_report_rcpt rc;
	struct buf out;
	struct msg m;
	const char *g;
	size_t glen;

	base(&r, &rc);
	r.expired = true;
	rc.diagnostic = "451 4.2.2 mailbox full";
	if (!compose_parsed(&r, &out, &m, "expired"))
		return;
	tap_is_str(value(m.hdr, m.hdr_len, "Subject", NULL),
	    "Undelivered Mail Returned to Sender", "expired: subject");
	tap_ok(memmem(m.part[0].content, m.part[0].content_len,
	    S("could not be delivered for 5 days")) != NULL,
	    "expired: text names the lifetime");
	group(&m.part[1], 1, &g, &glen);
	tap_is_str(value(g, glen, "Action", NULL), "failed", "expired: failed");
	tap_is_str(value(g, glen, "Status", NULL), "4.2.2",
	    "expired: the last reply's status");
	buf_free(&out);

	rc.diagnostic = NULL;
	rc.remote_mta = NULL;
	r.lifetime_s = 36 * 3600;
	if (!compose_parsed(&r, &out, &m, "expired, no reply"))
		return;
	group(&m.part[1], 1, &g, &glen);
	tap_is_str(value(g, glen, "Status", NULL), "4.4.7",
	    "expired without a reply: 4.4.7 (RFC 3463 delivery time expired)");
	tap_is_str(names(g, glen), "Final-Recipient,Action,Status,"
	    "Last-Attempt-Date", "expired without a reply: no Remote-MTA, "
	    "no Diagnostic-Code");
	tap_ok(memmem(m.part[0].content, m.part[0].content_len,
	    S("for 36 hours")) != NULL, "expired: hours under two days");
	tap_ok(memmem(m.part[0].content, m.part[0].content_len,
	    S("    delivery time expired\r\n")) != NULL,
	    "expired: the reason without a reply");
	buf_free(&out);

	base(&r, &rc);
	rc.diagnostic = "550 no such user here";
	if (!compose_parsed(&r, &out, &m, "refused"))
		return;
	tap_ok(memmem(m.part[0].content, m.part[0].content_len,
	    S("will not be retried")) != NULL, "refused: permanent");
	tap_ok(memmem(m.part[0].content, m.part[0].content_len,
	    S("days")) == NULL, "refused: no lifetime");
	group(&m.part[1], 1, &g, &glen);
	tap_is_str(value(g, glen, "Status", NULL), "5.0.0",
	    "a reply without enhanced code: 5.0.0");
	buf_free(&out);
}

static void
test_status_derived(void)
{
	static const struct {
		const char *status, *diag, *want, *type;
		enum mail_dsn_report_action action;
	} t[] = {
		{ NULL, "550 4.1.1 class mismatch", "5.0.0", "smtp;",
		  MAIL_DSN_REPORT_FAILED },
		{ "5.x.1", "554 5.7.1 relay denied", "5.7.1", "smtp;",
		  MAIL_DSN_REPORT_FAILED },
		{ "2.0.0", "550 5.1.2 bad domain", "5.1.2", "smtp;",
		  MAIL_DSN_REPORT_FAILED },
		{ NULL, "Host or domain name not found", "5.0.0", "X-Postie;",
		  MAIL_DSN_REPORT_FAILED },
		{ NULL, "connection timed out", "4.0.0", "X-Postie;",
		  MAIL_DSN_REPORT_DELAYED },
		{ NULL, "421 4.4.2 closing", "4.4.2", "smtp;",
		  MAIL_DSN_REPORT_DELAYED },
		{ NULL, "5500 5.1.1 not a code", "5.0.0", "X-Postie;",
		  MAIL_DSN_REPORT_FAILED },
		{ NULL, "550 5.1.1234 too long", "5.0.0", "smtp;",
		  MAIL_DSN_REPORT_FAILED },
		{ NULL, "  \t550 5.1.10 leading blanks", "5.1.10", "smtp;",
		  MAIL_DSN_REPORT_FAILED },
	};
	struct mail_dsn_report r;
	struct mail_dsn_report_rcpt rc;
	struct buf out;
	struct msg m;
	const char *g;
	size_t glen, i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		base(&r, &rc);
		rc.status = t[i].status;
		rc.diagnostic = t[i].diag;
		rc.action = t[i].action;
		if (!compose_parsed(&r, &out, &m, t[i].diag))
			continue;
		group(&m.part[1], 1, &g, &glen);
		tap_is_str(value(g, glen, "Status", NULL), t[i].want,
		    t[i].diag);
		tap_ok(strncmp(value(g, glen, "Diagnostic-Code", NULL),
		    t[i].type, strlen(t[i].type)) == 0, "%s: type %s",
		    t[i].diag, t[i].type);
		buf_free(&out);
	}
}

static void
test_delayed(void)
{
	struct mail_dsn_report r;
	struct mail_dsn_report_rcpt rc[2];
	struct buf out, want;
	struct msg m;
	struct err e;
	const char *g;
	size_t glen;

	base(&r, &rc[0]);
	rc[0].action = MAIL_DSN_REPORT_DELAYED;
	rc[0].diagnostic = "451 greylisted";
	if (!compose_parsed(&r, &out, &m, "delayed"))
		return;
	tap_is_str(value(m.hdr, m.hdr_len, "Subject", NULL),
	    "Delayed Mail (still being retried)", "delayed: subject");
	group(&m.part[1], 1, &g, &glen);
	tap_is_str(names(g, glen), "Final-Recipient,Action,Status,"
	    "Remote-MTA,Diagnostic-Code,Last-Attempt-Date,Will-Retry-Until",
	    "delayed: Will-Retry-Until last");
	tap_is_str(value(g, glen, "Action", NULL), "delayed", "delayed: action");
	tap_is_str(value(g, glen, "Status", NULL), "4.0.0",
	    "delayed: 4.0.0 from a 451 without enhanced code");
	buf_init(&want, 64);
	mail_header_date(r.arrival + r.lifetime_s, 3600, &want, &e);
	tap_is_str(value(g, glen, "Will-Retry-Until", NULL), buf_str(&want),
	    "delayed: until arrival + lifetime");
	tap_ok(strstr(buf_str(&out), "Delivery is\r\nstill being retried, "
	    "until ") != NULL, "delayed: text says it is still retried");
	buf_free(&want);
	buf_free(&out);

	rc[1] = rc[0];
	rc[0].action = MAIL_DSN_REPORT_FAILED;
	rc[0].diagnostic = "550 5.1.1 no";
	rc[1].addr = "later@example.org";
	r.nrcpt = 2;
	if (!compose_parsed(&r, &out, &m, "failed and delayed"))
		return;
	tap_is_str(value(m.hdr, m.hdr_len, "Subject", NULL),
	    "Undelivered Mail Returned to Sender", "mixed: failure subject");
	tap_ok(memmem(m.part[0].content, m.part[0].content_len,
	    S("<later@example.org> (still being retried)\r\n")) != NULL,
	    "mixed: the delayed one marked");
	group(&m.part[1], 2, &g, &glen);
	tap_is_str(value(g, glen, "Action", NULL), "delayed",
	    "mixed: second delayed");
	buf_free(&out);
}

static void
test_optional(void)
{
	struct mail_dsn_report r;
	struct mail_dsn_report_rcpt rc;
	struct buf out;
	struct msg m;
	const char *g;
	size_t glen;

	base(&r, &rc);
	rc.remote_mta = NULL;
	rc.diagnostic = NULL;
	r.envid = "QQ314159";
	if (!compose_parsed(&r, &out, &m, "envid, no remote MTA"))
		return;
	group(&m.part[1], 0, &g, &glen);
	tap_is_str(names(g, glen), "Original-Envelope-Id,Reporting-MTA,"
	    "Arrival-Date", "envid: first per-message field (RFC 3464 2.2)");
	tap_is_str(value(g, glen, "Original-Envelope-Id", NULL), "QQ314159",
	    "envid: as given");
	group(&m.part[1], 1, &g, &glen);
	tap_is_str(names(g, glen), "Final-Recipient,Action,Status,"
	    "Last-Attempt-Date", "no remote MTA: no Remote-MTA");
	tap_is_str(value(g, glen, "Status", NULL), "5.0.0", "no reply: 5.0.0");
	tap_ok(memmem(m.part[0].content, m.part[0].content_len,
	    S("host")) == NULL, "no remote MTA: text names no host");
	tap_ok(memmem(m.part[0].content, m.part[0].content_len,
	    S("    delivery failed\r\n")) != NULL, "no reply: a reason");
	buf_free(&out);

	base(&r, &rc);
	r.arrival = 0;
	r.orig_header = NULL;
	r.orig_header_len = 0;
	if (!compose_parsed(&r, &out, &m, "no arrival, no header"))
		return;
	group(&m.part[1], 0, &g, &glen);
	tap_is_str(names(g, glen), "Reporting-MTA", "no arrival: no "
	    "Arrival-Date");
	tap_is_int((long long)m.part[2].content_len, 0,
	    "no header: part 3 empty");
	buf_free(&out);
}

static void
test_utf8(void)
{
	struct mail_dsn_report r;
	struct mail_dsn_report_rcpt rc;
	struct buf out;
	struct msg m;
	const char *g;
	size_t glen;

	base(&r, &rc);
	rc.addr = "j\xc3\xb6rg+x=y@b\xc3\xbc" "cher.example";
	rc.orcpt = "j\xc3\xb6rg@example.org";
	if (!compose_parsed(&r, &out, &m, "UTF-8 recipient"))
		return;
	group(&m.part[1], 1, &g, &glen);
	tap_is_str(value(g, glen, "Final-Recipient", NULL),
	    "utf-8;j\\x{F6}rg\\x{2B}x\\x{3D}y@b\\x{FC}cher.example",
	    "Final-Recipient: RFC 6533 utf-8-addr-xtext");
	tap_is_str(value(g, glen, "Original-Recipient", NULL),
	    "utf-8;j\\x{F6}rg@example.org", "Original-Recipient: utf-8 too");
	tap_ok(!has_8bit(m.part[1].hdr, (size_t)(m.part[1].content -
	    m.part[1].hdr) + m.part[1].content_len), "part 2 stays 7-bit");
	tap_is_str(value(m.part[0].hdr, m.part[0].hdr_len,
	    "Content-Transfer-Encoding", NULL), "8bit", "part 1: 8bit");
	tap_ok(memmem(m.part[0].content, m.part[0].content_len,
	    S("<j\xc3\xb6rg+x=y@b\xc3\xbc" "cher.example>")) != NULL,
	    "part 1: the address as UTF-8");
	tap_is_str(value(m.hdr, m.hdr_len, "Content-Transfer-Encoding", NULL),
	    "8bit", "message: 8bit when a part is");
	tap_is_str(names(m.hdr, m.hdr_len), "From,To,Subject,Date,"
	    "Message-ID,Auto-Submitted,MIME-Version,Content-Type,"
	    "Content-Transfer-Encoding", "8bit: CTE after Content-Type");
	buf_free(&out);

	base(&r, &rc);
	rc.addr = "bad\xff\xfe@example.org";
	if (!compose_parsed(&r, &out, &m, "malformed UTF-8 recipient"))
		return;
	group(&m.part[1], 1, &g, &glen);
	tap_is_str(value(g, glen, "Final-Recipient", NULL),
	    "rfc822;bad??@example.org", "malformed bytes become '?'");
	tap_ok(!strpbrk(buf_str(&out), "\xff\xfe"), "nothing malformed left");
	buf_free(&out);
}

static void
test_hostile_diagnostic(void)
{
	struct mail_dsn_report r;
	struct mail_dsn_report_rcpt rc;
	struct buf out;
	struct msg m;
	const char *g;
	size_t glen;
	char evil[512];

	base(&r, &rc);
	/* The boundary the message would otherwise have. */
	snprintf(evil, sizeof(evil), "550 5.1.1 no\r\n--%s\r\nContent-Type: "
	    "text/html\r\n\r\n<b>x</b>\r\nX-Evil: 1\r\n\r\n--%s--\r\n"
	    "Bcc: victim@example.com\x01", "=_postie_dsn_"
	    "32w353ybaibqibiga4eascql", "=_postie_dsn_32w353ybaibqibiga4eascql");
	rc.diagnostic = evil;
	rc.remote_mta = "mx.example.org\r\nX-Injected: yes";
	if (!compose_parsed(&r, &out, &m, "hostile diagnostic"))
		return;
	tap_is_int((long long)groups(&m.part[1]), 2,
	    "hostile: still one recipient group");
	group(&m.part[1], 1, &g, &glen);
	tap_is_str(names(g, glen), "Final-Recipient,Action,Status,"
	    "Remote-MTA,Diagnostic-Code,Last-Attempt-Date",
	    "hostile: exactly the fields expected");
	tap_is_str(value(g, glen, "Remote-MTA", NULL),
	    "dns; mx.example.org X-Injected: yes", "hostile: host on one line");
	tap_ok(strncmp(value(g, glen, "Diagnostic-Code", NULL), "smtp; 550 "
	    "5.1.1 no --=_postie_dsn_32w353ybaibqibiga4eascql Content-Type: "
	    "text/html <b>x</b> X-Evil: 1", 100) == 0,
	    "hostile: reply flattened to one field");
	tap_ok(strcmp(m.boundary, "=_postie_dsn_32w353ybaibqibiga4eascql")
	    != 0, "hostile: the boundary was changed");
	tap_is_int((long long)count(buf_str(&out), out.len, m.boundary), 5,
	    "hostile: boundary only in Content-Type and the 4 delimiters");
	tap_ok(lines_ok(out.data, out.len, MAIL_HEADER_LINE_MAX),
	    "hostile: CRLF lines only");
	tap_ok(memmem(out.data, out.len, S("\r\nX-Evil")) == NULL &&
	    memmem(out.data, out.len, S("\r\nX-Injected")) == NULL &&
	    memmem(out.data, out.len, S("\r\nContent-Type: text/html")) ==
	    NULL, "hostile: no injected line starts a line");
	buf_free(&out);
}

static void
test_hostile_header(void)
{
	static const char h[] =
	    "Subject: a\nX-Bare-Lf: b\r\n"
	    "X-Ctl: \x01\x7f\rc\x00" "d\r\n"
	    "not a field\r\n"
	    "\r\n"
	    "--=_postie_dsn_32w353ybaibqibiga4eascql: x\r\n"
	    "--=_postie_dsn_32w353ybaibqibiga4eascql0: x\r\n"
	    "X-8bit: gr\xc3\xbc\xc3\x9f\r\n"
	    "To: last";
	static const char want[] =
	    "Subject: a\r\nX-Bare-Lf: b\r\n"
	    "X-Ctl: ???c?d\r\n"
	    "--=_postie_dsn_32w353ybaibqibiga4eascql: x\r\n"
	    "--=_postie_dsn_32w353ybaibqibiga4eascql0: x\r\n"
	    "X-8bit: gr\xc3\xbc\xc3\x9f\r\n"
	    "To: last\r\n";
	struct mail_dsn_report r;
	struct mail_dsn_report_rcpt rc;
	struct buf out;
	struct msg m;

	base(&r, &rc);
	r.orig_header = h;
	r.orig_header_len = sizeof(h) - 1;
	if (!compose_parsed(&r, &out, &m, "hostile header"))
		return;
	tap_is_mem(m.part[2].content, m.part[2].content_len, S(want),
	    "hostile header: fields only, CRLF, controls as '?'");
	tap_is_str(m.boundary, "=_postie_dsn_32w353ybaibqibiga4eascql1",
	    "hostile header: boundary lengthened past both");
	tap_is_str(value(m.part[2].hdr, m.part[2].hdr_len,
	    "Content-Transfer-Encoding", NULL), "8bit", "8-bit header: 8bit");
	tap_is_str(names(m.part[0].hdr, m.part[0].hdr_len),
	    "Content-Type,Content-Description", "8-bit header: part 1 7-bit");
	tap_ok(lines_ok(out.data, out.len, MAIL_HEADER_LINE_MAX),
	    "hostile header: CRLF lines only");
	buf_free(&out);
}

static void
test_huge_header(void)
{
	struct mail_dsn_report r;
	struct mail_dsn_report_rcpt rc;
	struct buf out;
	struct msg m;
	char *h;
	size_t n;

	base(&r, &rc);
	/* 100-byte fields: 655 of them fit in 64 KiB. */
	h = tap_repeat("", "X-Filler: 01234567890123456789012345678901234567"
	    "89012345678901234567890123456789012345678901234567\r\n", 2000,
	    "To: end@example.org\r\n", &n);
	r.orig_header = h;
	r.orig_header_len = n;
	if (compose_parsed(&r, &out, &m, "huge header")) {
		tap_is_int((long long)m.part[2].content_len, 65500,
		    "huge header: 655 fields kept");
		tap_is_mem(m.part[2].content, m.part[2].content_len, h, 65500,
		    "huge header: cut at a field boundary");
		tap_ok(memmem(m.part[0].content, m.part[0].content_len,
		    S("cut after its first 64 KiB")) != NULL,
		    "huge header: text says so");
		buf_free(&out);
	}
	free(h);

	/* One field of 200 KiB with no blank; a 2000-byte line. */
	h = tap_repeat("X-Long: ", "y", 200000, "\r\nTo: x@example.org\r\n",
	    &n);
	r.orig_header = h;
	r.orig_header_len = n;
	if (compose_parsed(&r, &out, &m, "one huge field")) {
		tap_is_int((long long)m.part[2].content_len, 0,
		    "huge field: nothing of it kept");
		buf_free(&out);
	}
	free(h);
	h = tap_repeat("X-Long: ", "y", 2000, "\r\nTo: x@example.org\r\n", &n);
	r.orig_header = h;
	r.orig_header_len = n;
	if (compose_parsed(&r, &out, &m, "long line")) {
		tap_ok(lines_ok(m.part[2].content, m.part[2].content_len,
		    MAIL_HEADER_LINE_MAX), "long line: folded under 998");
		tap_is_int((long long)m.part[2].content_len, (long long)n + 6,
		    "long line: two folds added");
		buf_free(&out);
	}
	free(h);
}

static void
test_long_values(void)
{
	struct mail_dsn_report r;
	struct mail_dsn_report_rcpt rc;
	struct buf out;
	struct msg m;
	const char *g;
	size_t glen, n;
	char *d;

	base(&r, &rc);
	d = tap_repeat("550 5.1.1", " word", 2000, "", &n);
	rc.diagnostic = d;
	if (compose_parsed(&r, &out, &m, "long diagnostic")) {
		group(&m.part[1], 1, &g, &glen);
		tap_is_int((long long)strlen(value(g, glen, "Diagnostic-Code",
		    NULL)), (long long)strlen("smtp; ") +
		    MAIL_DSN_REPORT_VALUE_MAX - 1 + 3,
		    "long diagnostic: cut, '...' marks it");
		tap_ok(lines_ok(out.data, out.len, MAIL_HEADER_FOLD_AT),
		    "long diagnostic: folded at 78");
		buf_free(&out);
	}
	free(d);
	d = tap_repeat("550 ", "x", 5000, "", &n);
	rc.diagnostic = d;
	rc.addr = d + 4;
	if (compose_parsed(&r, &out, &m, "long word")) {
		tap_ok(lines_ok(out.data, out.len, MAIL_HEADER_LINE_MAX),
		    "long word and address: no line past 998");
		buf_free(&out);
	}
	free(d);
}

static void
test_errors(void)
{
	struct mail_dsn_report r;
	struct mail_dsn_report_rcpt rc;
	struct buf out;
	struct err e;

	base(&r, &rc);
	r.nrcpt = 0;
	tap_is_int(compose(&r, &out, &e), ERR_DATA, "no recipient: ERR_DATA");
	tap_ok(e.msg[0] != '\0', "no recipient: a message");
	buf_free(&out);
	base(&r, &rc);
	r.to = "";
	tap_is_int(compose(&r, &out, &e), ERR_DATA, "null sender: ERR_DATA");
	buf_free(&out);
	base(&r, &rc);
	r.to = "a@b\r\nBcc: x@y";
	tap_is_int(compose(&r, &out, &e), ERR_DATA, "CRLF in To: ERR_DATA");
	tap_is_int((long long)out.len, 0, "refused before writing");
	buf_free(&out);
	base(&r, &rc);
	r.reporting_mta = "mta example";
	tap_is_int(compose(&r, &out, &e), ERR_DATA, "blank in host: ERR_DATA");
	buf_free(&out);
	base(&r, &rc);
	r.nrnd = 7;
	tap_is_int(compose(&r, &out, &e), ERR_DATA, "7 random bytes: ERR_DATA");
	buf_free(&out);
	base(&r, &rc);
	r.domain = "bad domain";
	tap_is_int(compose(&r, &out, &e), ERR_DATA, "bad domain: ERR_DATA");
	buf_free(&out);
	base(&r, &rc);
	rc.addr = NULL;
	tap_is_int(compose(&r, &out, &e), ERR_DATA, "no address: ERR_DATA");
	buf_free(&out);
	base(&r, &rc);
	buf_init(&out, 1000);
	tap_is_int(mail_dsn_report_compose(&r, &out, &e), ERR_DATA,
	    "out's cap: ERR_DATA");
	tap_ok(strstr(e.msg, "longer than") != NULL, "out's cap: said so");
	buf_free(&out);
}

int
main(void)
{
	test_golden();
	test_structure();
	test_recipients();
	test_expired_refused();
	test_status_derived();
	test_delayed();
	test_optional();
	test_utf8();
	test_hostile_diagnostic();
	test_hostile_header();
	test_huge_header();
	test_long_values();
	test_errors();
	return tap_done();
}
