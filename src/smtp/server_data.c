#include "config.h"

#include <stdbool.h>
#include <stddef.h>

#include "smtp/server_int.h"

/*
 * The server engine's data phase (RFC 5321 4.1.1.4, 4.5.2): after the
 * 354, the client's bytes are dot-unstuffed and handed out as EV_DATA
 * chunks, counted against conf.size_max, until "\r\n.\r\n" gives
 * EV_DATA_END and its answer ends the transaction.
 */

void
srv_data_start(struct smtp_server *s)
{
	s->dpos = DATA_BOL;	/* the data starts at a line start */
	s->msg_size = 0;
	s->too_big = false;
	srv_set_state(s, ST_DATA);
}

/*
 * Scan data at p (n bytes) for the run to hand out.  Only "\r\n.\r\n"
 * ends the data, and only a "." right after CRLF (or first in the data)
 * is a stuffed one; bare CR and bare LF are message bytes (so "\n.\n"
 * smuggling goes through as data).  Returns the run length; *skip is set
 * to the bytes to drop after it (1 for a stuffed dot, 3 for ".\r\n"),
 * *end when the data is complete.  A run of 0 with *skip 0 needs input.
 */
static size_t
scan_data(struct smtp_server *s, const char *p, size_t n, size_t *skip,
    bool *end)
{
	size_t i = 0;

	*skip = 0;
	*end = false;
	while (i < n) {
		if (s->dpos == DATA_BOL && p[i] == '.') {
			if (i > 0)
				return i;	/* decide on the dot next time */
			if (n < 2 || (p[1] == '\r' && n < 3))
				return 0;
			s->dpos = DATA_TEXT;
			*end = p[1] == '\r' && p[2] == '\n';
			*skip = *end ? 3 : 1;
			return 0;
		}
		if (p[i] == '\n' && s->dpos == DATA_CR)
			s->dpos = DATA_BOL;
		else
			s->dpos = p[i] == '\r' ? DATA_CR : DATA_TEXT;
		i++;
	}
	return i;
}

bool
srv_data_decidable(const struct smtp_server *s)
{
	const char *p = buf_str(&s->in) + s->in_pos;
	size_t n = s->in.len - s->in_pos;

	if (n == 0)
		return false;
	if (s->dpos != DATA_BOL || p[0] != '.')
		return true;
	return n >= 3 || (n == 2 && p[1] != '\r');
}

/* Hand out the next data chunk or the data end. */
enum smtp_server_event_type
srv_data_next(struct smtp_server *s, struct smtp_server_event *ev)
{
	unsigned long long room;
	size_t run, skip;
	const char *p;
	bool end;

	for (;;) {
		p = buf_str(&s->in) + s->in_pos;
		run = scan_data(s, p, s->in.len - s->in_pos, &skip, &end);
		s->in_pos += run + skip;
		if (end) {
			s->pending = PEND_DATA_END;
			ev->type = SMTP_SERVER_EV_DATA_END;
			ev->msg_size = (size_t)s->msg_size;
			return ev->type;
		}
		if (run == 0 && skip == 0)
			return SMTP_SERVER_EV_NONE;
		if (run == 0)
			continue;
		room = s->conf.size_max == 0 ? run :
		    s->msg_size >= s->conf.size_max ? 0 :
		    s->conf.size_max - s->msg_size;
		s->msg_size += run;
		if (s->conf.size_max != 0 && s->msg_size > s->conf.size_max)
			s->too_big = true;
		if (room == 0)
			continue;	/* over the limit: consumed, not handed out */
		ev->type = SMTP_SERVER_EV_DATA;
		ev->data = p;
		ev->len = room < run ? (size_t)room : run;
		return ev->type;
	}
}

/* The end of the data: any answer ends the transaction. */
void
srv_data_end_answer(struct smtp_server *s, int code, const char *text)
{
	if (text == NULL) {
		code = s->too_big ? 552 : 250;
		text = s->too_big ? "5.3.4 Message size exceeds fixed limit" :
		    "2.0.0 Ok: queued";
	}
	srv_txn_reset(s);
	srv_set_state(s, ST_READY);
	srv_put_reply(s, code, text);
	if (code == 421)
		srv_close_session(s);
}

/*
 * Seam for BDAT (RFC 3030): a chunk of exactly the announced size, no
 * unstuffing and no end marker; it is handed out as EV_DATA chunks under
 * the same size limit (msg_size, too_big), and BDAT LAST answers through
 * srv_data_end_answer() like the final dot.
 */
