/*
 * mail_idn: internationalised envelope addresses (RFC 6530, RFC 6531),
 * pure apart from libidn2 (itself pure: no I/O, no global state).
 *
 * An envelope address is UTF-8: "local@domain", a bare local name such as
 * "root" (no '@'), or "" (the null reverse-path).  The domain starts at the
 * first '@' outside a quoted string, as in mail/address.h.  It goes on the
 * wire in one of two forms:
 *
 *   ASCII (mail_idn_to_ascii), for a server without SMTPUTF8: a non-ASCII
 *   domain becomes A-labels (IDNA2008 through libidn2, UTS #46
 *   non-transitional processing, input NFC-normalised first), so
 *   bücher.example gives xn--bcher-kva.example and faß.de xn--fa-hia.de.
 *   An ASCII domain comes out byte for byte as it came in: IDNA is not run
 *   on it, so its case is kept and what IDNA would refuse (an underscore,
 *   "xn--" labels as they are) stays.  An address literal ("[192.0.2.1]",
 *   "[IPv6:...]") is never converted.  A non-ASCII local part has no ASCII
 *   form: only SMTPUTF8 can carry it.
 *
 *   SMTPUTF8 (mail_idn_to_utf8), for a server that offers SMTPUTF8 when
 *   the message needs it: the local part byte for byte (it means what the
 *   recipient's domain says it means, RFC 5321 2.4: postie does not
 *   normalise it); an ASCII domain byte for byte; a non-ASCII domain as
 *   the U-labels of its A-labels (IDNA2008 "U-labels", RFC 6531 3.3), that
 *   is NFC-normalised and UTS #46-mapped (lower case, width folded), so
 *   that what is sent is exactly the name that was checked.
 *
 * Checks, in every function: the address is valid UTF-8 (RFC 3629: no
 * overlong form, no surrogate, nothing past U+10FFFF), holds no control
 * character (C0, DEL or C1), is at most MAIL_IDN_LEN_MAX bytes, and a
 * non-ASCII domain is one that libidn2 converts and whose A-label form is
 * a host name (letters, digits, '-', '_' and '.' only, no empty label, at
 * most 63 bytes a label and 255 in all, RFC 5321 4.5.3.1.2): UTS #46
 * mapping could otherwise turn U+FE6B into '@'.  An address literal must
 * be ASCII.
 *
 * Errors: ERR_DATA with one line naming the address, non-printable bytes
 * and invalid UTF-8 escaped as \xHH, e.g.
 *   "invalid address 'a@b\xff.example': not valid UTF-8"
 *   "invalid address 'a@-x.example': its domain is refused by IDNA: ..."
 *   "address 'jörg@example.org': non-ASCII local part needs SMTPUTF8"
 * Ownership: results go to caller buffers; nothing is allocated that
 * outlives a call.
 */
#ifndef POSTIE_MAIL_IDN_H
#define POSTIE_MAIL_IDN_H

#include <stdbool.h>
#include <stddef.h>

#include "mail/address.h"
#include "util/err.h"

/* An address in either form; a domain and a label in A-labels (RFC 5321
 * 4.5.3.1.2, RFC 1035 2.3.4). */
#define MAIL_IDN_LEN_MAX MAIL_ADDRESS_LEN_MAX
#define MAIL_IDN_DOMAIN_MAX 255
#define MAIL_IDN_LABEL_MAX 63

enum mail_idn_class {
	MAIL_IDN_ASCII,		/* nothing but ASCII: goes as it is */
	MAIL_IDN_DOMAIN,	/* non-ASCII in the domain only: A-labels do */
	MAIL_IDN_LOCAL		/* non-ASCII local part: needs SMTPUTF8 */
};

/*
 * Check addr as above and tell which class it is in (*cls, may be NULL).
 * ERR_OK or ERR_DATA.  A MAIL_IDN_LOCAL address is valid: whether it can
 * be sent depends on the server.
 */
enum err_kind mail_idn_check(const char *addr, enum mail_idn_class *cls,
    struct err *e);

/*
 * Whether d[0..n) is a host name in ASCII: labels of 1 to
 * MAIL_IDN_LABEL_MAX letters, digits, '-' or '_' separated by single
 * dots, at most MAIL_IDN_DOMAIN_MAX bytes, no final dot.
 */
bool mail_idn_is_host_name(const char *d, size_t n);

/*
 * The ASCII wire form of addr into out (outlen bytes, NUL-terminated; an
 * out of MAIL_IDN_LEN_MAX + 1 bytes always fits a valid result).  ERR_DATA
 * when addr is invalid, its local part is not ASCII ("needs SMTPUTF8"), or
 * the result does not fit.
 */
enum err_kind mail_idn_to_ascii(const char *addr, char *out, size_t outlen,
    struct err *e);

/*
 * The SMTPUTF8 wire form of addr into out, as mail_idn_to_ascii().
 * ERR_DATA when addr is invalid or the result does not fit.
 */
enum err_kind mail_idn_to_utf8(const char *addr, char *out, size_t outlen,
    struct err *e);

#endif
