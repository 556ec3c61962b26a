/*
 * base64: RFC 4648 section 4 encoding, as SMTP AUTH uses it.
 */
#ifndef POSTIE_UTIL_BASE64_H
#define POSTIE_UTIL_BASE64_H

#include <stddef.h>

#include "util/buf.h"

/* Length of the encoding of n bytes, without NUL. */
size_t base64_encoded_len(size_t n);

/* Append the encoding of p[0..n) to out.  0, or -1 when out's cap is hit. */
int base64_encode(struct buf *out, const void *p, size_t n);

/*
 * Append the decoding of s[0..n) to out.  Strict: padding required, no
 * white space, no bytes outside the alphabet, no nonzero trailing bits.
 * Returns 0, or -1 on malformed input or when out's cap is hit (out is
 * then left with its old length).
 */
int base64_decode(struct buf *out, const char *s, size_t n);

#endif
