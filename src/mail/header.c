#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "mail/header.h"

#define FIELD_NAME_SHOWN 64	/* of a field name quoted in an error */

static unsigned char
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

static bool
same_ci(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return false;
	return true;
}

/* The end of the line at pos: past its LF, or len. */
static size_t
line_end(const char *hdr, size_t len, size_t pos)
{
	const char *lf = memchr(hdr + pos, '\n', len - pos);

	return lf != NULL ? (size_t)(lf - hdr) + 1 : len;
}

/*
 * RFC 5322 3.6.8: field-name = 1*ftext (printable ASCII but ':'), then
 * the colon; obs-optional (4.5) allows blanks before it.  Returns the
 * colon's offset, or 0 when the line at pos is not a field.
 */
static size_t
field_colon(const char *hdr, size_t end, size_t pos, size_t *name_end)
{
	size_t i = pos;

	while (i < end && hdr[i] > 0x20 && hdr[i] < 0x7f && hdr[i] != ':')
		i++;
	if (i == pos)
		return 0;
	*name_end = i;
	while (i < end && (hdr[i] == ' ' || hdr[i] == '\t'))
		i++;
	return i < end && hdr[i] == ':' ? i : 0;
}

int
mail_header_next(const char *hdr, size_t len, size_t *pos,
    struct mail_header_field *f)
{
	size_t start, end, colon, name_end = 0, vend;

	while (*pos < len) {
		start = *pos;
		end = line_end(hdr, len, start);
		*pos = end;
		if ((colon = field_colon(hdr, end, start, &name_end)) == 0)
			continue;	/* not a field: skipped */
		/* RFC 5322 2.2.3: continuation lines start with a blank. */
		while (end < len && (hdr[end] == ' ' || hdr[end] == '\t'))
			end = line_end(hdr, len, end);
		*pos = end;
		vend = end;
		if (vend > colon + 1 && hdr[vend - 1] == '\n')
			vend--;
		if (vend > colon + 1 && hdr[vend - 1] == '\r')
			vend--;
		f->name = hdr + start;
		f->name_len = name_end - start;
		f->value = hdr + colon + 1;
		f->value_len = vend - colon - 1;
		f->raw = hdr + start;
		f->raw_len = end - start;
		return 1;
	}
	return 0;
}

bool
mail_header_is(const struct mail_header_field *f, const char *name)
{
	size_t n = strlen(name);

	return f->name_len == n && same_ci(f->name, name, n);
}

static bool
is_resent(const struct mail_header_field *f)
{
	return f->name_len > 7 && same_ci(f->name, "Resent-", 7);
}

static enum err_kind
add_field(const struct mail_header_field *f, struct mail_address_list *l,
    struct err *e)
{
	enum err_kind rc;
	int shown;

	rc = mail_address_parse_list(f->value, f->value_len, l, e);
	if (rc != ERR_OK) {
		shown = f->name_len > FIELD_NAME_SHOWN ? FIELD_NAME_SHOWN :
		    (int)f->name_len;
		err_prefix(e, "%.*s", shown, f->name);
	}
	return rc;
}

/*
 * The newest resent block (RFC 5322 3.6.6: each resend prepends one) is
 * the run of consecutive Resent-* fields that starts at the topmost
 * Resent-* field.  It ends at the first field that is not a Resent-* one
 * (the Received fields of the earlier transfer separate blocks, 3.6.7),
 * or at a second Resent-Date or Resent-From (a block has one of each), so
 * that two blocks with nothing between them are not merged.
 */
static enum err_kind
resent_recipients(const char *hdr, size_t len, size_t pos,
    struct mail_address_list *l, struct err *e)
{
	struct mail_header_field f;
	bool date = false, from = false, *seen;
	enum err_kind rc;

	while (mail_header_next(hdr, len, &pos, &f) && is_resent(&f)) {
		seen = mail_header_is(&f, "Resent-Date") ? &date :
		    mail_header_is(&f, "Resent-From") ? &from : NULL;
		if (seen != NULL && *seen)
			break;
		if (seen != NULL)
			*seen = true;
		if (mail_header_is(&f, "Resent-To") ||
		    mail_header_is(&f, "Resent-Cc") ||
		    mail_header_is(&f, "Resent-Bcc"))
			if ((rc = add_field(&f, l, e)) != ERR_OK)
				return rc;
	}
	return ERR_OK;
}

enum err_kind
mail_header_recipients(const char *hdr, size_t len,
    struct mail_address_list *l, struct err *e)
{
	struct mail_header_field f;
	size_t pos = 0, here = 0;
	enum err_kind rc;

	while (mail_header_next(hdr, len, &pos, &f)) {
		if (is_resent(&f))
			return resent_recipients(hdr, len, here, l, e);
		here = pos;
	}
	pos = 0;
	while (mail_header_next(hdr, len, &pos, &f))
		if (mail_header_is(&f, "To") || mail_header_is(&f, "Cc") ||
		    mail_header_is(&f, "Bcc"))
			if ((rc = add_field(&f, l, e)) != ERR_OK)
				return rc;
	return ERR_OK;
}

static bool
is_named(const struct mail_header_field *f, const char *const *names)
{
	for (; *names != NULL; names++)
		if (mail_header_is(f, *names))
			return true;
	return false;
}

static enum err_kind
copy_out(struct buf *out, const char *p, size_t n, struct err *e)
{
	if (n == 0 || buf_append(out, p, n) == 0)
		return ERR_OK;
	if (n > out->max || out->len > out->max - n)
		return err_set(e, ERR_DATA, "header section too long");
	return err_set(e, ERR_OS, "out of memory");
}

enum err_kind
mail_header_remove(const char *hdr, size_t len, const char *const *names,
    struct buf *out, struct err *e)
{
	struct mail_header_field f;
	size_t pos = 0, done = 0, start;
	enum err_kind rc;

	while (mail_header_next(hdr, len, &pos, &f)) {
		start = (size_t)(f.raw - hdr);
		if (!is_named(&f, names))
			continue;
		/* Keep everything before the field, skipped lines too. */
		if ((rc = copy_out(out, hdr + done, start - done, e)) != ERR_OK)
			return rc;
		done = pos;
	}
	return copy_out(out, hdr + done, len - done, e);
}
