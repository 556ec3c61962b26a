/*
 * fuzz_idn: arbitrary bytes (up to the first NUL) as an envelope address.
 * Oracles besides the sanitizers:
 *   - mail_idn_check() and mail_idn_to_utf8() agree on validity; an
 *     invalid address has a message without control bytes;
 *   - mail_idn_to_ascii() succeeds exactly when the address is valid and
 *     its local part is ASCII; its result is ASCII, no longer than
 *     MAIL_IDN_LEN_MAX, the input itself for an all-ASCII address, and a
 *     fixed point (converting it again changes nothing);
 *   - the SMTPUTF8 form is valid UTF-8, converts to the same ASCII form
 *     (the U-labels name the same domain), and is a fixed point too.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/idn.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define IN_MAX 2048

static void
check_msg(const struct err *e)
{
	const unsigned char *p;

	if (e->kind != ERR_DATA || e->msg[0] == '\0')
		abort();
	for (p = (const unsigned char *)e->msg; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			abort();
}

static void
check_ascii(const char *in, const char *out, enum mail_idn_class c)
{
	char again[MAIL_IDN_LEN_MAX + 1];
	const unsigned char *p;
	struct err e;

	if (strlen(out) > MAIL_IDN_LEN_MAX)
		abort();
	for (p = (const unsigned char *)out; *p != '\0'; p++)
		if (*p >= 0x80 || *p < 0x20 || *p == 0x7f)
			abort();
	if (c == MAIL_IDN_ASCII && strcmp(in, out) != 0)
		abort();
	if (mail_idn_to_ascii(out, again, sizeof(again), &e) != ERR_OK ||
	    strcmp(again, out) != 0)
		abort();
}

static void
check_utf8(const char *u, const char *ascii, enum mail_idn_class c)
{
	char again[MAIL_IDN_LEN_MAX + 1];
	struct err e;

	if (strlen(u) > MAIL_IDN_LEN_MAX || !utf8_valid(u, strlen(u)))
		abort();
	if (mail_idn_to_utf8(u, again, sizeof(again), &e) != ERR_OK ||
	    strcmp(again, u) != 0)
		abort();
	if (c == MAIL_IDN_LOCAL)
		return;
	if (mail_idn_to_ascii(u, again, sizeof(again), &e) != ERR_OK ||
	    strcmp(again, ascii) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[IN_MAX + 1], ascii[MAIL_IDN_LEN_MAX + 1];
	char u[MAIL_IDN_LEN_MAX + 1];
	enum mail_idn_class c;
	enum err_kind rc_check, rc_ascii, rc_utf8;
	struct err e;

	if (size > IN_MAX)
		size = IN_MAX;
	memcpy(in, data, size);
	in[size] = '\0';
	err_clear(&e);
	rc_check = mail_idn_check(in, &c, &e);
	if (rc_check != ERR_OK)
		check_msg(&e);
	err_clear(&e);
	rc_utf8 = mail_idn_to_utf8(in, u, sizeof(u), &e);
	if (rc_utf8 != rc_check)
		abort();
	err_clear(&e);
	rc_ascii = mail_idn_to_ascii(in, ascii, sizeof(ascii), &e);
	if (rc_check != ERR_OK) {
		if (rc_ascii != ERR_DATA)
			abort();
		check_msg(&e);
		return 0;
	}
	if ((rc_ascii == ERR_OK) != (c != MAIL_IDN_LOCAL))
		abort();
	if (rc_ascii == ERR_OK)
		check_ascii(in, ascii, c);
	check_utf8(u, ascii, c);
	return 0;
}
