/*
 * mail_dsn_report: a delivery status notification (a bounce, or a delay
 * warning) composed as RFC 3464 says, pure: no clock, no random source,
 * no file.  Everything it would take from the world (the time, the zone,
 * random bytes, the host name) comes in struct mail_dsn_report.
 *
 * The result is one whole message, header section and body, CRLF lines,
 * not dot-stuffed: a multipart/report; report-type=delivery-status
 * (RFC 6522) with three parts:
 *
 *  1. text/plain; charset=utf-8: what happened, for people, each
 *     recipient with its reason (lines wrapped at 78 where blanks allow);
 *  2. message/delivery-status (RFC 3464 2): Original-Envelope-Id,
 *     Reporting-MTA, Arrival-Date, then per recipient, after an empty
 *     line, Original-Recipient, Final-Recipient, Action, Status,
 *     Remote-MTA, Diagnostic-Code, Last-Attempt-Date, Will-Retry-Until,
 *     in the order of the RFC's grammar, each only when known;
 *  3. text/rfc822-headers: the original message's header section only,
 *     whatever RET asked for.  A bounce stays small, and nobody can make
 *     postie send a large body to a forged sender (RFC 3461 4.3 allows a
 *     DSN to return less than RET=FULL asks).  A section larger than
 *     MAIL_DSN_REPORT_HEADER_MAX is cut before the first field that
 *     would pass it, and part 1 says so.
 *
 * Hostile text: the diagnostic (a server's reply), the remote host name,
 * the envelope id, the recipients and the original header cannot add
 * header fields or MIME parts.  Control bytes are replaced by '?' (in a
 * diagnostic CR, LF and tab runs become one space), 8-bit bytes by '?'
 * except in the addresses and the original header, values are cut to
 * MAIL_DSN_REPORT_VALUE_MAX bytes ("..." marks the cut) and folded
 * (mail_header_fold()), the original header gets CRLF line ends and
 * lines of at most MAIL_HEADER_LINE_MAX; and the boundary, built from the
 * random bytes, is lengthened until no part holds it.
 *
 * 7-bit and 8-bit: part 2 is always 7-bit; a non-ASCII address there is
 * written as RFC 6533 utf-8-addr-xtext ("utf-8;" type, "\x{FC}").  Parts
 * 1 and 3 are labelled "Content-Transfer-Encoding: 8bit", and the whole
 * message too, when they hold bytes >= 0x80 (a UTF-8 address, an 8-bit
 * original header); the caller then sends it with BODY=8BITMIME (and
 * SMTPUTF8 when the To address is not ASCII), or not at all.
 *
 * Errors: ERR_DATA (a missing or unusable reporting_mta, postmaster, to
 * or domain; fewer than 8 random bytes; no recipient; out's cap reached),
 * ERR_OS (no memory).  out may then hold part of a message.
 *
 * Ownership: everything in the structs is borrowed for the call.
 */
#ifndef POSTIE_MAIL_DSN_REPORT_H
#define POSTIE_MAIL_DSN_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

#define MAIL_DSN_REPORT_HEADER_MAX 65536	/* original header kept */
#define MAIL_DSN_REPORT_VALUE_MAX 900		/* one value, before "..." */
#define MAIL_DSN_REPORT_BOUNDARY_MAX 70		/* RFC 2046 5.1.1 */

/* RFC 3464 2.3.3; only the two a bounce or a warning reports. */
enum mail_dsn_report_action {
	MAIL_DSN_REPORT_FAILED,		/* "failed": given up */
	MAIL_DSN_REPORT_DELAYED		/* "delayed": still being retried */
};

struct mail_dsn_report_rcpt {
	const char *addr;	/* final recipient (UTF-8 allowed) */
	const char *orcpt;	/* the recipient as first given (ORCPT, or
				 * before alias expansion), just the address
				 * (no "rfc822;"), or NULL */
	enum mail_dsn_report_action action;
	const char *status;	/* RFC 3463 "5.1.1", or NULL: then the
				 * diagnostic's enhanced code, else class.0.0
				 * of its reply code, else 4.4.7 when the
				 * message expired, else 5.0.0 (failed) or
				 * 4.0.0 (delayed).  One that is not
				 * class.subject.detail counts as NULL. */
	const char *remote_mta;	/* "smtp.example.org", or NULL */
	const char *diagnostic;	/* the server's reply, "550 5.1.1 no such
				 * user" (its lines joined by anything), or
				 * postie's own reason; or NULL.  Written as
				 * "smtp;" when it starts with a reply code,
				 * else "X-Postie;" */
	long long last_attempt;	/* seconds since the epoch, 0: none */
};

struct mail_dsn_report {
	const char *reporting_mta;	/* this host's name, printable ASCII
					 * without blanks (an A-label), for
					 * "Reporting-MTA: dns;" and the text */
	const char *postmaster;		/* From: address ("MAILER-DAEMON@host"),
					 * shown as "Mail Delivery System" */
	const char *to;			/* the original envelope sender, never
					 * empty (no DSN to the null sender) */
	const char *envid;		/* the ENVID, decoded, or NULL */
	long long arrival;		/* when postie took the message; 0:
					 * no Arrival-Date */
	long long now;			/* Date: and the Message-ID */
	long utc_offset;		/* seconds east of UTC, for every date */
	const unsigned char *rnd;	/* random bytes: Message-ID, boundary */
	size_t nrnd;			/* at least 8; 16 are plenty */
	const char *domain;		/* right side of the Message-ID */
	bool expired;			/* the message's lifetime passed (vs a
					 * refusal, or a delay warning) */
	long long lifetime_s;		/* that lifetime, for the text and
					 * Will-Retry-Until; 0: unknown */
	const struct mail_dsn_report_rcpt *rcpts;
	size_t nrcpt;			/* at least 1 */
	const char *orig_header;	/* the original header section (CRLF
					 * lines, no final empty line), or
					 * NULL: part 3 is then empty */
	size_t orig_header_len;
};

/*
 * The whole DSN for r, appended to out.  Header fields, in this order:
 * From, To, Subject ("Undelivered Mail Returned to Sender" when any
 * recipient failed, else "Delayed Mail (still being retried)"), Date,
 * Message-ID, Auto-Submitted: auto-replied (RFC 3834 5), MIME-Version,
 * Content-Type (multipart/report), and Content-Transfer-Encoding: 8bit
 * only when a part is 8-bit.  Errors as above.
 */
enum err_kind mail_dsn_report_compose(const struct mail_dsn_report *r,
    struct buf *out, struct err *e);

#endif
