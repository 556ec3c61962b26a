/*
 * smtp_dsn: the parameters of RFC 3461 delivery status notifications,
 * pure: NOTIFY (-N), RET (-R), ENVID (-V) and ORCPT, checked and encoded
 * for MAIL and RCPT; and RFC 6533's utf-8 address type for an ORCPT that
 * is not ASCII.
 *
 * Errors: ERR_USAGE with a one-line reason for a bad -N, -R or -V value.
 */
#ifndef POSTIE_SMTP_DSN_H
#define POSTIE_SMTP_DSN_H

#include "util/buf.h"
#include "util/err.h"

#define SMTP_DSN_ENVID_MAX 100	/* RFC 3461 4.4 */

/*
 * Check -N: "never", or a comma-separated list of success, failure and
 * delay (any case).  On success out gets the NOTIFY value, upper-cased.
 */
enum err_kind smtp_dsn_notify(const char *arg, char *out, size_t outlen,
    struct err *e);
/* Check -R: "full" or "hdrs" (any case); out gets FULL or HDRS. */
enum err_kind smtp_dsn_ret(const char *arg, char *out, size_t outlen,
    struct err *e);
/* Check -V: printable US-ASCII, at most SMTP_DSN_ENVID_MAX characters. */
enum err_kind smtp_dsn_envid(const char *arg, struct err *e);

/*
 * Append s as RFC 3461 4 xtext: bytes outside '!'..'~', and '+' and '=',
 * as "+XX".  0, or -1 when out is full.
 */
int smtp_dsn_xtext(struct buf *out, const char *s);

/*
 * Append the UTF-8 address s as RFC 6533 3 utf-8-addr-xtext, the value of
 * "ORCPT=utf-8;": printable ASCII but '+', '=' and '\' as it is, every
 * other character as "\x{HEX}" (its code point in upper-case hex, no
 * leading zero, at least two digits: "\x{2B}", "\x{FC}", "\x{1F4E7}").
 * The result is 7-bit and valid xtext, so it needs no further encoding
 * and is safe with or without SMTPUTF8.  0, or -1 when out is full or s
 * is not valid UTF-8 (nothing is appended then).
 */
int smtp_dsn_utf8_xtext(struct buf *out, const char *s);

#endif
