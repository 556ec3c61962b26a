/*
 * mail/text_int.h: byte helpers shared by mime.c, rfc2047.c and
 * dsn_report.c (ASCII only, no locale).  Internal to src/mail.
 */
#ifndef POSTIE_MAIL_TEXT_INT_H
#define POSTIE_MAIL_TEXT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

static inline unsigned char
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

static inline bool
same_ci(const char *a, size_t an, const char *b)
{
	size_t i;

	if (an != strlen(b))
		return false;
	for (i = 0; i < an; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return false;
	return true;
}

static inline bool
is_blank(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static inline bool
in_set(unsigned char c, const char *set)
{
	return c != '\0' && strchr(set, c) != NULL;
}

static inline bool
has_8bit(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] >= 0x80)
			return true;
	return false;
}

/* The length of the UTF-8 sequence a lead byte starts (1 if not one). */
static inline size_t
utf8_len(unsigned char c)
{
	if (c >= 0xc2 && c <= 0xdf)
		return 2;
	if (c >= 0xe0 && c <= 0xef)
		return 3;
	if (c >= 0xf0 && c <= 0xf4)
		return 4;
	return 1;
}

#endif
