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

#endif
