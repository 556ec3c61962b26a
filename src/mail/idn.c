#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#include "mail/address.h"
#include "mail/idn.h"
#include "util/utf8.h"

#define SHOWN_MAX 240		/* escaped address bytes in a message */
/* RFC 5891 5 with UTS #46 (RFC 5895's spirit), not IDNA2003: ß stays. */
#define IDN_FLAGS (IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT)

/* Where the pieces of an address are. */
struct parts {
	size_t len;		/* strlen(addr) */
	size_t at;		/* the domain's '@', or len when none */
	bool local_8bit;	/* a byte >= 0x80 before at */
	bool domain_8bit;	/* a byte >= 0x80 after at */
};

static bool
is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp < 0xa0);
}

/* --- messages ------------------------------------------------------------ */

/*
 * addr for a message: printable ASCII and printable UTF-8 as they are,
 * anything else (invalid UTF-8, controls, and the backslash and quote
 * that would make it ambiguous) as \xHH; cut with "..." when long.
 */
static void
shown(const char *addr, char *out, size_t outlen)
{
	const unsigned char *p = (const unsigned char *)addr;
	size_t n = strlen(addr), i = 0, k, o = 0;
	uint32_t cp;
	char tmp[16];

	out[0] = '\0';
	while (i < n) {
		k = utf8_decode(p + i, n - i, &cp);
		if (k == 0 || is_control(cp) || cp == '\\' || cp == '\'') {
			snprintf(tmp, sizeof(tmp), "\\x%02x", p[i]);
			k = 1;
		} else {
			memcpy(tmp, p + i, k);
			tmp[k] = '\0';
		}
		if (o + strlen(tmp) > SHOWN_MAX || o + strlen(tmp) + 4 > outlen)
			break;
		o = strlcat(out, tmp, outlen);
		i += k;
	}
	if (i < n)
		strlcat(out, "...", outlen);
}

static enum err_kind
invalid(const char *addr, const char *why, const char *detail,
    struct err *e)
{
	char s[SHOWN_MAX + 8];

	shown(addr, s, sizeof(s));
	return err_set(e, ERR_DATA, "invalid address '%s': %s%s%s", s, why,
	    detail != NULL ? ": " : "", detail != NULL ? detail : "");
}

static enum err_kind
needs_smtputf8(const char *addr, struct err *e)
{
	char s[SHOWN_MAX + 8];

	shown(addr, s, sizeof(s));
	return err_set(e, ERR_DATA, "address '%s': non-ASCII local part needs "
	    "SMTPUTF8", s);
}

/* --- the address --------------------------------------------------------- */

/* Length, UTF-8 and controls; then where the parts are. */
static enum err_kind
scan(const char *addr, struct parts *pt, struct err *e)
{
	const unsigned char *p = (const unsigned char *)addr;
	size_t n = strlen(addr), i = 0, k;
	uint32_t cp;

	memset(pt, 0, sizeof(*pt));
	if (n > MAIL_IDN_LEN_MAX)
		return invalid(addr, "longer than 998 bytes", NULL, e);
	while (i < n) {
		if ((k = utf8_decode(p + i, n - i, &cp)) == 0)
			return invalid(addr, "not valid UTF-8", NULL, e);
		if (is_control(cp))
			return invalid(addr, "control character", NULL, e);
		i += k;
	}
	pt->len = n;
	pt->at = mail_address_at(addr, n);
	for (i = 0; i < n; i++)
		if (p[i] >= 0x80) {
			if (i < pt->at)
				pt->local_8bit = true;
			else
				pt->domain_8bit = true;
		}
	return ERR_OK;
}

/*
 * What IDNA gives must be a host name: UTS #46 maps some characters to
 * ASCII that is not (U+FE6B to '@', U+FF0E to '.', giving empty labels).
 * Underscores are let through, as for ASCII domains.
 */
bool
mail_idn_is_host_name(const char *d, size_t n)
{
	size_t label = 0, i;

	if (n == 0 || n > MAIL_IDN_DOMAIN_MAX)
		return false;
	for (i = 0; i <= n; i++) {
		unsigned char c = i < n ? (unsigned char)d[i] : '\0';

		if (c == '.' || c == '\0') {
			if (label == 0 || label > MAIL_IDN_LABEL_MAX)
				return false;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_')
			label++;
		else
			return false;
	}
	return true;
}

/*
 * The A-label form of the non-ASCII domain of addr (after pt->at) into
 * out.  unicode: the U-labels of that form instead.
 */
static enum err_kind
convert_domain(const char *addr, const struct parts *pt, bool unicode,
    char *out, size_t outlen, struct err *e)
{
	const char *dom = addr + pt->at + 1;
	char *ace = NULL, *u = NULL;
	enum err_kind rc = ERR_OK;
	int irc;

	if (dom[0] == '[')
		return invalid(addr, "non-ASCII in an address literal", NULL,
		    e);
	irc = idn2_to_ascii_8z(dom, &ace, IDN_FLAGS);
	if (irc != IDN2_OK)
		rc = invalid(addr, "its domain is refused by IDNA",
		    idn2_strerror(irc), e);
	else if (!mail_idn_is_host_name(ace, strlen(ace)))
		rc = invalid(addr, "its domain is not a host name in A-labels",
		    NULL, e);
	else if (unicode && (irc = idn2_to_unicode_8z8z(ace, &u, 0)) !=
	    IDN2_OK)
		rc = invalid(addr, "its domain is refused by IDNA",
		    idn2_strerror(irc), e);
	else if (strlcpy(out, unicode ? u : ace, outlen) >= outlen)
		rc = invalid(addr, "too long once converted", NULL, e);
	idn2_free(ace);
	idn2_free(u);
	return rc;
}

/* local part + '@' + the converted domain of addr into out. */
static enum err_kind
assemble(const char *addr, const struct parts *pt, bool unicode, char *out,
    size_t outlen, struct err *e)
{
	char dom[MAIL_IDN_LEN_MAX + 1];

	if (!pt->domain_8bit) {
		if (strlcpy(out, addr, outlen) >= outlen)
			return invalid(addr, "too long for the buffer", NULL,
			    e);
		return ERR_OK;
	}
	if (convert_domain(addr, pt, unicode, dom, sizeof(dom), e) != ERR_OK)
		return ERR_DATA;
	if (pt->at + 1 + strlen(dom) > MAIL_IDN_LEN_MAX ||
	    pt->at + 1 + strlen(dom) >= outlen)
		return invalid(addr, "too long once converted", NULL, e);
	memcpy(out, addr, pt->at + 1);
	memcpy(out + pt->at + 1, dom, strlen(dom) + 1);
	return ERR_OK;
}

enum err_kind
mail_idn_check(const char *addr, enum mail_idn_class *cls, struct err *e)
{
	char dom[MAIL_IDN_LEN_MAX + 1];
	struct parts pt;

	if (scan(addr, &pt, e) != ERR_OK)
		return ERR_DATA;
	if (pt.domain_8bit &&
	    convert_domain(addr, &pt, false, dom, sizeof(dom), e) != ERR_OK)
		return ERR_DATA;
	if (cls != NULL)
		*cls = pt.local_8bit ? MAIL_IDN_LOCAL : pt.domain_8bit ?
		    MAIL_IDN_DOMAIN : MAIL_IDN_ASCII;
	return ERR_OK;
}

enum err_kind
mail_idn_to_ascii(const char *addr, char *out, size_t outlen, struct err *e)
{
	struct parts pt;

	if (outlen > 0)
		out[0] = '\0';
	if (scan(addr, &pt, e) != ERR_OK)
		return ERR_DATA;
	if (pt.local_8bit) {
		/* The domain is checked first: the worse problem is named. */
		if (pt.domain_8bit && mail_idn_check(addr, NULL, e) != ERR_OK)
			return ERR_DATA;
		return needs_smtputf8(addr, e);
	}
	return assemble(addr, &pt, false, out, outlen, e);
}

enum err_kind
mail_idn_to_utf8(const char *addr, char *out, size_t outlen, struct err *e)
{
	struct parts pt;

	if (outlen > 0)
		out[0] = '\0';
	if (scan(addr, &pt, e) != ERR_OK)
		return ERR_DATA;
	return assemble(addr, &pt, true, out, outlen, e);
}
