/*
 * deliver_input: the message as postie took it from its caller.
 *
 * The whole message is read before any connection opens, so a slow
 * producer never holds a server session open.  On the way in it is
 * normalised (smtp/dotstuff.h, DOTSTUFF_NORMALISE_ONLY: CRLF line ends, a
 * bare CR becomes a space, NUL removed), which is also the form the header
 * scanner sees: what is scanned is what is sent.
 *
 * The header section (up to and including the empty line that ends it, or
 * up to the first line that is not a header field) is kept in memory,
 * capped at DELIVER_INPUT_HEADER_MAX.  The body is kept in memory up to
 * DELIVER_INPUT_MEM_MAX and past that in an unlinked temporary file, so
 * memory stays bounded whatever the message size.
 *
 * eightbit says whether any byte >= 0x80 was read; header_8bit whether the
 * header section as it is now (after deliver_input_set_header() too) has
 * one: such a header needs SMTPUTF8 when the server offers it (RFC 6532).
 *
 * Without -i (dot_ends), a line holding only "." ends the message, as in
 * Sendmail and Postfix; input after it is not read.
 *
 * Lifecycle: deliver_input_init(), deliver_input_read() (or _begin(),
 * _feed()..., _end()), then any number of
 * passes of deliver_input_rewind() + deliver_input_next(); _free().
 *
 * Errors: ERR_DATA (header section over the cap), ERR_IO (read error),
 * ERR_CANTCREAT (temporary file), ERR_OS.
 */
#ifndef POSTIE_DELIVER_INPUT_H
#define POSTIE_DELIVER_INPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

#define DELIVER_INPUT_HEADER_MAX (1u << 20)
#define DELIVER_INPUT_MEM_MAX (1u << 20)
#define DELIVER_INPUT_CHUNK 65536

struct deliver_input {
	struct buf header;	/* normalised header section, CRLF lines */
	bool header_ended;	/* the section ended with an empty line */
	struct buf body;	/* body while in memory */
	int fd;			/* body's temporary file, or -1 */
	unsigned long long body_size;
	bool eightbit;		/* some byte >= 0x80 was seen */
	bool header_8bit;	/* the header section has a byte >= 0x80 */
	struct deliver_input_reader *rd;	/* while reading */
	/* reading back */
	int pass_stage;		/* 0 header, 1 separator, 2 body, 3 end */
	unsigned long long pass_off;
	char chunk[DELIVER_INPUT_CHUNK];
};

void deliver_input_init(struct deliver_input *in);
void deliver_input_free(struct deliver_input *in);

/*
 * Read fd to its end (or to a lone "." line when dot_ends).  tmpdir: where
 * a large body goes ($TMPDIR or /tmp when NULL).
 */
enum err_kind deliver_input_read(struct deliver_input *in, int fd,
    bool dot_ends, const char *tmpdir, struct err *e);

/*
 * The same, fed by the caller (postie -bs): begin(), any number of
 * feed() calls with raw bytes, then end().  deliver_input_ended() says
 * whether a lone "." line already ended the message (dot_ends); feed()
 * takes nothing after it.
 */
enum err_kind deliver_input_begin(struct deliver_input *in, bool dot_ends,
    const char *tmpdir, struct err *e);
enum err_kind deliver_input_feed(struct deliver_input *in, const void *p,
    size_t n, struct err *e);
bool deliver_input_ended(const struct deliver_input *in);
enum err_kind deliver_input_end(struct deliver_input *in, struct err *e);

/* Replace the header section (e.g. with Bcc removed); it must be
 * normalised CRLF text without the ending empty line.  header_8bit then
 * describes the new section. */
enum err_kind deliver_input_set_header(struct deliver_input *in,
    const char *hdr, size_t len, struct err *e);

/* Total bytes deliver_input_next() yields in one pass. */
unsigned long long deliver_input_size(const struct deliver_input *in);

/* Start a pass over the message: header, the empty line, body. */
void deliver_input_rewind(struct deliver_input *in);
/*
 * The next chunk of the message: *p borrowed until the next call, *n == 0
 * at the end.  ERR_IO when the temporary file cannot be read.
 */
enum err_kind deliver_input_next(struct deliver_input *in, const void **p,
    size_t *n, struct err *e);

#endif
