/*
 * utf8: well-formed UTF-8 (RFC 3629 4), the one decoder every layer uses.
 * Pure.  Overlong forms (C0, C1, E0 80-9F, F0 80-8F), surrogates (ED A0-BF)
 * and code points past U+10FFFF (F4 90-, F5-FF) are not UTF-8.
 */
#ifndef POSTIE_UTIL_UTF8_H
#define POSTIE_UTIL_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The length of the sequence at p (n >= 1 bytes left) with its code point
 * in *cp, or 0 when it is not well-formed or runs past n.
 */
size_t utf8_decode(const void *p, size_t n, uint32_t *cp);

/*
 * One code point of RFC 6533 3's utf-8-addr-xtext into out: itself when
 * it is a QCHAR (printable ASCII but '+', '=' and '\'), else "\x{HEX}"
 * (upper-case hex, at least two digits).  Returns the length written
 * (NUL-terminated).
 */
#define UTF8_XTEXT_UNIT_MAX 12
size_t utf8_xtext_unit(uint32_t cp, char out[UTF8_XTEXT_UNIT_MAX]);

/* Whether s[0..n) is well-formed UTF-8 (ASCII is). */
bool utf8_valid(const void *s, size_t n);

#endif
