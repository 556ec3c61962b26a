/*
 * mail_address: RFC 5322 address lists (section 3.4), pure.
 *
 * Parses a field body such as
 *     "Joe Q. Public" <john.q.public@example.com>, Mary <mary@x.test>,
 *     jdoe@one.test (comment), undisclosed-recipients:;, team: a@b, c@d;
 * into the addr-specs it names, in order: group members are listed, an
 * empty group names none.  Folding (CRLF followed by blanks) counts as
 * blanks; comments may nest; quoted strings keep their quotes in a quoted
 * local part ("a b"@x.test).  Obsolete syntax (RFC 5322 section 4.4) is
 * accepted: obs-route (<@relay:user@x.test> gives user@x.test), empty list
 * members (", ,"), obs-local-part with CFWS between words.  Encoded-words
 * are left alone (they only occur in display names).
 *
 * An address is "local@domain"; an address without "@domain" (a bare local
 * name such as "root") is returned as is, and the caller decides whether
 * to qualify it.
 *
 * Errors: ERR_DATA "invalid address list: <why> near '<text>'" for
 * unbalanced quotes, comments or angle brackets, a missing local part or
 * domain, a control character, or more than MAIL_ADDRESS_MAX addresses;
 * ERR_OS on ENOMEM.  <text> is a short excerpt of the input from where
 * the problem is, escaped (\xHH) so that it is safe to print.
 *
 * Also accepted, as MTAs do: dots anywhere in a local part ("john..doe",
 * "john."), a group left open at the end of the text
 * ("undisclosed-recipients:"), a group without a display name, and a bare
 * local name in angle brackets ("<root>").  Refused: CR or LF other than
 * as a fold (CRLF + blank), any other control byte but HT (even in a
 * quoted-pair), "<>", blanks between words of a local part, and an address
 * longer than MAIL_ADDRESS_LEN_MAX.
 *
 * Ownership: the list owns its strings; mail_address_list_free().
 */
#ifndef POSTIE_MAIL_ADDRESS_H
#define POSTIE_MAIL_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

#define MAIL_ADDRESS_MAX 100000		/* addresses in one list */
#define MAIL_ADDRESS_LEN_MAX 998	/* one address */

struct mail_address_list {
	char **addrs;
	size_t n;
	size_t cap;
	/* private: open-addressing index over addrs (slot = position + 1,
	 * 0 = empty) so that the duplicate check stays O(1); built lazily,
	 * so a zeroed list works too.  Change a list only through the
	 * functions below. */
	size_t *slots;
	size_t nslots;
};

/* A list starts zeroed (or with _init()); _free() releases it and leaves
 * it empty and reusable.  _free(NULL) is a no-op. */
void mail_address_list_init(struct mail_address_list *l);
void mail_address_list_free(struct mail_address_list *l);

/* Append a copy of addr unless an equal one (local part case-sensitive,
 * domain case-insensitive) is already in l.  ERR_OK or ERR_OS/ERR_DATA
 * (empty, longer than MAIL_ADDRESS_LEN_MAX, a control byte, or l already
 * full). */
enum err_kind mail_address_list_add(struct mail_address_list *l,
    const char *addr, struct err *e);

/* Parse the address list in text[0..len) and append its addresses to l
 * (duplicates dropped).  text need not be NUL-terminated and may hold NUL
 * bytes (refused as control characters).  On error l is left as it was. */
enum err_kind mail_address_parse_list(const char *text, size_t len,
    struct mail_address_list *l, struct err *e);

/*
 * Where addr[0..len)'s domain starts: the index of the first '@' outside
 * a quoted string (a quoted local part may hold '@'), or len when there
 * is none (a bare local name).
 */
size_t mail_address_at(const char *addr, size_t len);

/* RFC 5322 3.2.3 atext, with RFC 6532 3.2's UTF-8 (any byte >= 0x80). */
bool mail_address_is_atext(unsigned char c);

/* Whether s[0..n) is a dot-atom-text (RFC 5322 3.2.3; RFC 5321's
 * Dot-string): atext runs joined by single dots. */
bool mail_address_dot_atom(const char *s, size_t n);

/*
 * The RFC 5321 (4.1.2) form of addr's local part, into out: a Dot-string
 * or a Quoted-string stays as it is; any other local part ("john.",
 * "john..doe", ".john", which RFC 5322's obsolete syntax allows) is
 * quoted, '"' and '\' escaped, as Postfix sends it.  Bytes >= 0x80 count
 * as atext (RFC 6531).  ERR_OK, or ERR_DATA when out is too small.
 */
enum err_kind mail_address_smtp_form(const char *addr, char *out,
    size_t outlen, struct err *e);

#endif
