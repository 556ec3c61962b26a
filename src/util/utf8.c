#include "config.h"

#include <stdio.h>

#include "util/utf8.h"

size_t
utf8_decode(const void *s, size_t n, uint32_t *cp)
{
	const unsigned char *p = s;
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t len, i;
	uint32_t v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		v = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		v = c & 0x07;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	/* The second byte's range rules out overlongs, surrogates and
	 * code points past U+10FFFF. */
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 1; i < len; i++) {
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
		v = (v << 6) | (p[i] & 0x3f);
	}
	*cp = v;
	return len;
}

bool
utf8_valid(const void *s, size_t n)
{
	const unsigned char *p = s;
	uint32_t cp;
	size_t i = 0, k;

	while (i < n) {
		if ((k = utf8_decode(p + i, n - i, &cp)) == 0)
			return false;
		i += k;
	}
	return true;
}

size_t
utf8_xtext_unit(uint32_t cp, char out[UTF8_XTEXT_UNIT_MAX])
{
	if (cp >= 0x21 && cp <= 0x7e && cp != '+' && cp != '=' && cp != '\\') {
		out[0] = (char)cp;
		out[1] = '\0';
		return 1;
	}
	return (size_t)snprintf(out, UTF8_XTEXT_UNIT_MAX, "\\x{%02lX}",
	    (unsigned long)cp);
}
