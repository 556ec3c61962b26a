/*
 * mail_header: RFC 5322 header section scanner and rewriter, pure.
 *
 * Works on a normalised header section: CRLF-terminated lines, without the
 * empty line that ends it (deliver/input.h keeps it in that form).  A field
 * is a line "Name: value" followed by its continuation lines (lines that
 * start with a space or a tab).
 *
 * Ownership: fields point into the caller's text (borrowed).
 */
#ifndef POSTIE_MAIL_HEADER_H
#define POSTIE_MAIL_HEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "mail/address.h"
#include "util/buf.h"
#include "util/err.h"

struct mail_header_field {
	const char *name;	/* field name, without the colon */
	size_t name_len;
	const char *value;	/* after the colon, up to but not including the
				 * final CRLF; may hold CRLF + blank folds */
	size_t value_len;
	const char *raw;	/* the whole field, final CRLF included */
	size_t raw_len;
};

/*
 * The field at *pos, advancing *pos past it.  Returns 1 with *f set, or 0
 * at the end.  Text that is not a field (should not occur in a section
 * deliver/input produced) is skipped line by line.
 */
int mail_header_next(const char *hdr, size_t len, size_t *pos,
    struct mail_header_field *f);

/* Case-insensitive comparison of f's name with name. */
bool mail_header_is(const struct mail_header_field *f, const char *name);

/*
 * Recipients for -t: the addresses in To, Cc and Bcc, or, when the section
 * holds Resent- fields, those in Resent-To, Resent-Cc and Resent-Bcc of the
 * newest Resent block (the topmost one, RFC 5322 3.6.6).  Appended to l
 * with duplicates dropped.  Errors as mail_address_parse_list, prefixed
 * with the field name ("Cc: invalid address list: ..."); l then keeps the
 * addresses of the fields before the bad one.
 *
 * The newest block is the run of consecutive fields named Resent-* that
 * starts at the topmost such field (trace fields above it do not matter);
 * it ends at the first other field (Received fields separate the blocks
 * of successive resends) or at a second Resent-Date or Resent-From (each
 * block has one of each), so that adjacent blocks are not merged.
 */
enum err_kind mail_header_recipients(const char *hdr, size_t len,
    struct mail_address_list *l, struct err *e);

/*
 * Copy hdr to out without the fields named in names (NULL-terminated,
 * case-insensitive), e.g. { "Bcc", "Resent-Bcc", NULL }.  A field goes
 * whole, continuation lines included; everything else (lines that are not
 * fields too) is copied byte for byte.  Appended to out.  ERR_DATA when
 * out's cap would be passed, ERR_OS on ENOMEM; out then holds part.
 */
enum err_kind mail_header_remove(const char *hdr, size_t len,
    const char *const *names, struct buf *out, struct err *e);

/* ---- composing the header section (issue 4) ---------------------------- */

#define MAIL_HEADER_FOLD_AT 78		/* RFC 5322 2.1.1: SHOULD */
#define MAIL_HEADER_LINE_MAX 998	/* RFC 5322 2.1.1: MUST */
#define MAIL_HEADER_MSGID_RANDOM 16	/* random bytes in a Message-ID */

/* When a field is generated (msmtp's set_*_header commands). */
enum mail_header_set {
	MAIL_HEADER_SET_OFF,	/* never */
	MAIL_HEADER_SET_AUTO,	/* when the section has no such field */
	MAIL_HEADER_SET_ON	/* always, replacing the field (From only) */
};

/*
 * What mail_header_compose() does.  Everything it would otherwise take
 * from the world comes in here: the time, the zone, the random bytes, the
 * domain.  Borrowed for the call.
 */
struct mail_header_compose {
	enum mail_header_set from;	/* From: sender and full_name */
	enum mail_header_set date;	/* Date: now at utc_offset */
	enum mail_header_set msgid;	/* Message-ID: now, rnd, domain */
	bool remove_bcc;		/* drop Bcc and Resent-Bcc */
	bool undisclosed;		/* To, Cc, Bcc become one
					   "To: undisclosed-recipients:;" */
	const char *qualify;		/* domain for bare local names in
					   address fields, or NULL */
	const char *sender;		/* From's address; NULL or "" (the null
					   sender): no From is generated */
	const char *full_name;		/* From's display name, or NULL */
	long long now;			/* seconds since the epoch */
	long utc_offset;		/* seconds east of UTC */
	const unsigned char *rnd;	/* random bytes for the Message-ID */
	size_t nrnd;			/* at most 32 are used */
	const char *domain;		/* right side of the Message-ID */
};

/*
 * Copy the header section hdr to out, rewritten as c says (RFC 5322 3.6):
 *
 *  - Bcc and Resent-Bcc removed (remove_bcc);
 *  - with undisclosed, every To, Cc and Bcc removed and
 *    "To: undisclosed-recipients:;" put where the first of them was, or
 *    added when there was none;
 *  - with qualify, a bare local name ("root") in From, Sender, Reply-To,
 *    To, Cc, Bcc and their Resent- forms becomes "root@<qualify>"
 *    (mail_header_qualify());
 *  - From: with SET_ON the first From is replaced in place and any other
 *    From removed; with SET_AUTO (and SET_ON when there is none) one is
 *    added when the section has none;
 *  - Date and Message-ID added when missing (SET_AUTO; SET_ON acts as
 *    SET_AUTO for them).
 *
 * Added fields go at the top, in the order Date, From, Message-ID, To.
 * A field counts as present whatever its value (even empty).  Fields that
 * are not generated are copied byte for byte, except for the qualified
 * addresses; generated fields are folded (mail_header_fold()).
 * Appended to out.  Errors: ERR_DATA (out's cap; a generated field that
 * cannot be folded under MAIL_HEADER_LINE_MAX; a domain that cannot be
 * used), ERR_OS.
 */
enum err_kind mail_header_compose(const char *hdr, size_t len,
    const struct mail_header_compose *c, struct buf *out, struct err *e);

/*
 * RFC 5322 3.3 date-time for t (seconds since the epoch, clamped to the
 * years 1970..9999) in the zone utc_offset seconds east of UTC (seconds
 * past the minute dropped; clamped to +-99:59), e.g.
 * "Mon, 23 Nov 2026 12:34:56 +0100".  Appended to out.  ERR_DATA (cap),
 * ERR_OS.
 */
enum err_kind mail_header_date(long long t, long utc_offset, struct buf *out,
    struct err *e);

/*
 * The offset east of UTC, in seconds, of a moment given as local time and
 * as UTC (localtime_r() and gmtime_r() of one time_t), for systems where
 * struct tm has no tm_gmtoff.
 */
long mail_header_utc_offset(const struct tm *local, const struct tm *utc);

/*
 * RFC 5322 3.6.4 msg-id: "<" time in base 36 "." the random bytes in
 * base 32 (RFC 4648 alphabet, lower case, no padding) "@" domain ">".
 * ERR_DATA when domain is not a dot-atom (3.2.3) of at most 255 bytes or
 * rnd holds fewer than 8 bytes, or out's cap; ERR_OS.  Appended to out.
 */
enum err_kind mail_header_msgid(long long t, const unsigned char *rnd,
    size_t nrnd, const char *domain, struct buf *out, struct err *e);

/*
 * RFC 5322 3.4 mailbox for addr with display name name (NULL or "": just
 * addr).  The name goes as is when it is atoms separated by single
 * spaces; quoted (3.2.4, with \" and \\) when it holds specials or other
 * blanks; as RFC 2047 encoded-words (=?utf-8?q?...?=, each at most 75
 * bytes, split between characters, section 5 (3) rules) when it holds a
 * byte >= 0x80 or a control byte.  ERR_DATA when name or addr holds CR or
 * LF, or out's cap; ERR_OS.  Appended to out.
 */
enum err_kind mail_header_mailbox(const char *name, const char *addr,
    struct buf *out, struct err *e);

/*
 * Append the field text[0..len) (no CRLF) to out with its final CRLF,
 * folded (RFC 5322 2.2.3: CRLF inserted before a blank) so that lines stay
 * within MAIL_HEADER_FOLD_AT octets where a blank allows; never before the
 * first word of the value, never before an empty word.  ERR_DATA when a
 * line still passes MAIL_HEADER_LINE_MAX, or out's cap; ERR_OS.
 */
enum err_kind mail_header_fold(const char *text, size_t len, struct buf *out,
    struct err *e);

/*
 * Append the address-list field value v[0..len) to out with each bare
 * local name (a mailbox or angle-addr without "@domain", e.g. "root",
 * "Admin <root>") given "@domain".  Names inside quoted strings and
 * comments are left alone.  A value that mail_address_parse_list() refuses
 * is copied unchanged.  ERR_DATA (cap, or domain not a dot-atom), ERR_OS.
 */
enum err_kind mail_header_qualify(const char *v, size_t len,
    const char *domain, struct buf *out, struct err *e);

#endif
