#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deliver/input.h"
#include "io/net.h"
#include "smtp/dotstuff.h"

/* Where the reader is within the normalised stream. */
enum scan_state {
	SCAN_HEADER,		/* collecting header lines */
	SCAN_BOL,		/* body, at the start of a line */
	SCAN_DOT,		/* body, the line so far is "." */
	SCAN_DOT_CR,		/* body, the line so far is ".\r" */
	SCAN_MID,		/* body, inside a line */
	SCAN_END		/* a lone "." line ended the message */
};

/* The reading side, between deliver_input_begin() and _end(). */
struct deliver_input_reader {
	struct deliver_input *in;
	bool dot_ends;
	const char *tmpdir;
	enum scan_state state;
	struct buf line;	/* the header line being collected */
	struct dotstuff ds;	/* DOTSTUFF_NORMALISE_ONLY */
	struct buf norm;	/* normalised bytes of one feed */
};

#define reader deliver_input_reader

void
deliver_input_init(struct deliver_input *in)
{
	memset(in, 0, sizeof(*in));
	buf_init(&in->header, DELIVER_INPUT_HEADER_MAX);
	buf_init(&in->body, DELIVER_INPUT_MEM_MAX);
	in->fd = -1;
}

static void
reader_free(struct deliver_input *in)
{
	if (in->rd == NULL)
		return;
	buf_free(&in->rd->line);
	buf_free(&in->rd->norm);
	free(in->rd);
	in->rd = NULL;
}

void
deliver_input_free(struct deliver_input *in)
{
	if (in == NULL)
		return;
	reader_free(in);
	buf_free(&in->header);
	buf_free(&in->body);
	if (in->fd != -1)
		close(in->fd);
	in->fd = -1;
}

static enum err_kind
write_all(int fd, const char *p, size_t n, struct err *e)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			return err_set(e, ERR_IO,
			    "writing the temporary message file: %s",
			    strerror(errno));
		p += w;
		n -= (size_t)w;
	}
	return ERR_OK;
}

/* Move the in-memory body to an unlinked temporary file. */
static enum err_kind
spill(struct reader *r, struct err *e)
{
	struct deliver_input *in = r->in;
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/postie.XXXXXX",
	    r->tmpdir != NULL ? r->tmpdir : "/tmp");
	if ((fd = mkstemp(path)) == -1)
		return err_set(e, ERR_CANTCREAT,
		    "cannot create a temporary file in %s: %s",
		    r->tmpdir != NULL ? r->tmpdir : "/tmp", strerror(errno));
	(void)unlink(path);
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	in->fd = fd;
	if (write_all(fd, in->body.data, in->body.len, e) != ERR_OK)
		return e->kind;
	buf_reset(&in->body);
	return ERR_OK;
}

static enum err_kind
body_out(struct reader *r, const char *p, size_t n, struct err *e)
{
	struct deliver_input *in = r->in;

	in->body_size += n;
	if (in->fd == -1 && buf_append(&in->body, p, n) == 0)
		return ERR_OK;
	if (in->fd == -1 && spill(r, e) != ERR_OK)
		return e->kind;
	return write_all(in->fd, p, n, e);
}

/* RFC 5322 2.2: field-name is printable US-ASCII except ':', then ':'. */
static bool
is_field(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ':')
			return i > 0;
		if (c < 33 || c > 126)
			return false;
	}
	return false;
}

static bool
has_8bit(const char *s, size_t n)
{
	unsigned char hi = 0;
	size_t i;

	for (i = 0; i < n; i++)
		hi |= (unsigned char)s[i];
	return (hi & 0x80) != 0;
}

/* A whole header-phase line (with its CRLF) is in r->line. */
static enum err_kind
header_line(struct reader *r, struct err *e)
{
	struct deliver_input *in = r->in;
	const char *s = r->line.data;
	size_t n = r->line.len;

	if (r->dot_ends && n == 3 && memcmp(s, ".\r\n", 3) == 0) {
		r->state = SCAN_END;
	} else if (n == 2) {
		in->header_ended = true;
		r->state = SCAN_BOL;
	} else if (is_field(s, n) ||
	    ((s[0] == ' ' || s[0] == '\t') && in->header.len > 0)) {
		if (buf_append(&in->header, s, n) == -1)
			return err_set(e, ERR_DATA,
			    "the header section is larger than %u bytes",
			    DELIVER_INPUT_HEADER_MAX);
		if (!in->header_8bit && has_8bit(s, n))
			in->header_8bit = true;
	} else {
		/* Not a header field: the body starts here. */
		r->state = SCAN_MID;
		if (body_out(r, s, n, e) != ERR_OK)
			return e->kind;
		r->state = SCAN_BOL;
	}
	buf_reset(&r->line);
	return ERR_OK;
}

static enum err_kind
scan_header(struct reader *r, const char *p, size_t n, size_t *used,
    struct err *e)
{
	const char *nl = memchr(p, '\n', n);
	size_t take = nl != NULL ? (size_t)(nl - p) + 1 : n;

	*used = take;
	if (buf_append(&r->line, p, take) == -1)
		return err_set(e, ERR_DATA,
		    "the header section is larger than %u bytes",
		    DELIVER_INPUT_HEADER_MAX);
	if (nl != NULL)
		return header_line(r, e);
	return ERR_OK;
}

/*
 * Body bytes: pass them through, watching for a line that is only "."
 * when dot_ends.  The input is normalised, so CR is always followed by LF;
 * a held "." (or ".\r") is given back when the line turns out longer.
 */
static enum err_kind
scan_body(struct reader *r, const char *p, size_t n, struct err *e)
{
	size_t i, start = 0;

	if (!r->dot_ends)
		return body_out(r, p, n, e);
	for (i = 0; i < n; i++) {
		char c = p[i];

		switch (r->state) {
		case SCAN_BOL:
			if (c != '.') {
				r->state = c == '\n' ? SCAN_BOL : SCAN_MID;
				break;
			}
			if (body_out(r, p + start, i - start, e) != ERR_OK)
				return e->kind;
			start = i + 1;
			r->state = SCAN_DOT;
			break;
		case SCAN_DOT:
			if (c == '\r') {
				start = i + 1;
				r->state = SCAN_DOT_CR;
				break;
			}
			if (body_out(r, ".", 1, e) != ERR_OK)
				return e->kind;
			start = i;
			r->state = SCAN_MID;
			break;
		case SCAN_DOT_CR:
			r->state = SCAN_END;	/* ".\r\n": the end */
			return ERR_OK;
		case SCAN_MID:
			if (c == '\n')
				r->state = SCAN_BOL;
			break;
		default:
			return err_set(e, ERR_SOFTWARE, "input: bad state %d",
			    (int)r->state);
		}
	}
	if (r->state == SCAN_BOL || r->state == SCAN_MID)
		return body_out(r, p + start, n - start, e);
	return ERR_OK;
}

/* Feed normalised bytes to the scanner. */
static enum err_kind
scan(struct reader *r, const char *p, size_t n, struct err *e)
{
	size_t used;

	if (!r->in->eightbit && has_8bit(p, n))
		r->in->eightbit = true;
	while (n > 0 && r->state == SCAN_HEADER) {
		if (scan_header(r, p, n, &used, e) != ERR_OK)
			return e->kind;
		p += used;
		n -= used;
	}
	if (n > 0 && r->state != SCAN_END)
		return scan_body(r, p, n, e);
	return ERR_OK;
}

enum err_kind
deliver_input_begin(struct deliver_input *in, bool dot_ends,
    const char *tmpdir, struct err *e)
{
	struct reader *r;

	reader_free(in);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return err_set(e, ERR_OS, "out of memory");
	r->in = in;
	r->dot_ends = dot_ends;
	r->tmpdir = tmpdir;
	r->state = SCAN_HEADER;
	buf_init(&r->line, DELIVER_INPUT_HEADER_MAX);
	/* Normalising one feed at most doubles it (bare CR: CRLF). */
	buf_init(&r->norm, 2 * DELIVER_INPUT_CHUNK + 16);
	dotstuff_init(&r->ds, DOTSTUFF_NORMALISE_ONLY);
	in->rd = r;
	return ERR_OK;
}

/* Normalise n raw bytes (NULL: the end of input) and scan them. */
static enum err_kind
feed_norm(struct reader *r, const char *p, size_t n, struct err *e)
{
	buf_reset(&r->norm);
	if ((p != NULL ? dotstuff_feed(&r->ds, p, n, &r->norm) :
	    dotstuff_finish(&r->ds, &r->norm)) == -1)
		return err_set(e, ERR_SOFTWARE, "input: normalising");
	return scan(r, r->norm.data, r->norm.len, e);
}

enum err_kind
deliver_input_feed(struct deliver_input *in, const void *data, size_t n,
    struct err *e)
{
	struct reader *r = in->rd;
	const char *p = data;

	if (r == NULL)
		return err_set(e, ERR_SOFTWARE, "input: feed before begin");
	while (n > 0 && r->state != SCAN_END) {
		size_t take = n < DELIVER_INPUT_CHUNK ? n : DELIVER_INPUT_CHUNK;

		if (feed_norm(r, p, take, e) != ERR_OK)
			return e->kind;
		p += take;
		n -= take;
	}
	return ERR_OK;
}

bool
deliver_input_ended(const struct deliver_input *in)
{
	return in->rd != NULL && in->rd->state == SCAN_END;
}

enum err_kind
deliver_input_end(struct deliver_input *in, struct err *e)
{
	enum err_kind rc = ERR_OK;

	if (in->rd == NULL)
		return err_set(e, ERR_SOFTWARE, "input: end before begin");
	/* Input that ended inside a line: normalising adds its CRLF. */
	if (in->rd->state != SCAN_END)
		rc = feed_norm(in->rd, NULL, 0, e);
	reader_free(in);
	return rc;
}

enum err_kind
deliver_input_read(struct deliver_input *in, int fd, bool dot_ends,
    const char *tmpdir, struct err *e)
{
	char raw[DELIVER_INPUT_CHUNK];

	if (deliver_input_begin(in, dot_ends, tmpdir, e) != ERR_OK)
		return e->kind;
	while (!deliver_input_ended(in)) {
		ssize_t got = read(fd, raw, sizeof(raw));

		if (got == -1 && errno == EINTR && io_net_stopped()) {
			reader_free(in);
			return err_set(e, ERR_TEMP, "reading the message: "
			    IO_NET_STOPPED_TEXT);
		}
		if (got == -1 && errno == EINTR)
			continue;
		if (got == -1) {
			reader_free(in);
			return err_set(e, ERR_IO, "reading the message: %s",
			    strerror(errno));
		}
		if (got == 0)
			break;
		if (deliver_input_feed(in, raw, (size_t)got, e) != ERR_OK) {
			reader_free(in);
			return e->kind;
		}
	}
	return deliver_input_end(in, e);
}

enum err_kind
deliver_input_set_header(struct deliver_input *in, const char *hdr,
    size_t len, struct err *e)
{
	buf_reset(&in->header);
	in->header_8bit = false;
	if (buf_append(&in->header, hdr, len) == -1)
		return err_set(e, ERR_DATA,
		    "the header section is larger than %u bytes",
		    DELIVER_INPUT_HEADER_MAX);
	in->header_8bit = has_8bit(hdr, len);
	return ERR_OK;
}

/* The empty line between header and body: when the input had one, or
 * when the body began with a line that was not a header field. */
static bool
has_separator(const struct deliver_input *in)
{
	return in->header_ended || (in->header.len > 0 && in->body_size > 0);
}

unsigned long long
deliver_input_size(const struct deliver_input *in)
{
	return in->header.len + (has_separator(in) ? 2 : 0) + in->body_size;
}

void
deliver_input_rewind(struct deliver_input *in)
{
	in->pass_stage = 0;
	in->pass_off = 0;
}

static enum err_kind
next_file_chunk(struct deliver_input *in, const void **p, size_t *n,
    struct err *e)
{
	ssize_t got;

	do
		got = pread(in->fd, in->chunk, sizeof(in->chunk),
		    (off_t)in->pass_off);
	while (got == -1 && errno == EINTR);
	if (got == -1)
		return err_set(e, ERR_IO, "reading the temporary message "
		    "file: %s", strerror(errno));
	if (got == 0 && in->pass_off < in->body_size)
		return err_set(e, ERR_IO, "the temporary message file is "
		    "shorter than what was written");
	in->pass_off += (unsigned long long)got;
	*p = in->chunk;
	*n = (size_t)got;
	return ERR_OK;
}

enum err_kind
deliver_input_next(struct deliver_input *in, const void **p, size_t *n,
    struct err *e)
{
	*p = NULL;
	*n = 0;
	for (;;) {
		switch (in->pass_stage++) {
		case 0:
			if (in->header.len == 0)
				continue;
			*p = in->header.data;
			*n = in->header.len;
			return ERR_OK;
		case 1:
			if (!has_separator(in))
				continue;
			*p = "\r\n";
			*n = 2;
			return ERR_OK;
		case 2:
			if (in->fd == -1) {
				if (in->body.len == 0)
					continue;
				*p = in->body.data;
				*n = in->body.len;
				return ERR_OK;
			}
			if (in->pass_off >= in->body_size)
				continue;
			in->pass_stage = 2;	/* stay until the file ends */
			return next_file_chunk(in, p, n, e);
		default:
			in->pass_stage = 3;
			return ERR_OK;
		}
	}
}
