/*
 * buf: a growable byte buffer with a hard cap.
 *
 * Every buffer knows the most it may ever hold (max); an append that would
 * pass it fails with -1 and leaves the buffer unchanged, so a hostile peer
 * can never make us grow without bound.  The bytes are always followed by a
 * NUL that is not counted in len, so text can be used as a C string.
 *
 * Lifecycle: buf_init() (no allocation), appends, buf_free().  A buf that
 * was only initialised may be freed.  Data is owned by the buf; pointers
 * into it are valid until the next call that changes it.
 */
#ifndef POSTIE_UTIL_BUF_H
#define POSTIE_UTIL_BUF_H

#include <stddef.h>

struct buf {
	char *data;	/* NULL until the first append */
	size_t len;	/* bytes held */
	size_t cap;	/* bytes allocated (excluding the NUL) */
	size_t max;	/* hard cap on len */
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);		/* b may be NULL; wipes nothing */
void buf_wipe_free(struct buf *b);	/* explicit_bzero, then free */

/* Appends return 0, or -1 when the cap would be passed or memory ran out. */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_append_str(struct buf *b, const char *s);
int buf_append_byte(struct buf *b, unsigned char c);
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Append s (n bytes) with control bytes, DEL and bytes >= 0x80 escaped as
 * \r, \n, \t or \xHH, and backslash as \\.  For text from peers that goes
 * to a terminal or a log.
 */
int buf_append_escaped(struct buf *b, const void *s, size_t n);

/* Drop the first n bytes (n > len drops all). */
void buf_consume(struct buf *b, size_t n);
/* Empty the buffer, keep the allocation. */
void buf_reset(struct buf *b);

/* The data as a C string: "" when nothing was ever appended.  Borrowed. */
const char *buf_str(const struct buf *b);

#endif
