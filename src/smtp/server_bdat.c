#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "smtp/server_int.h"

/*
 * CHUNKING (RFC 3030): "BDAT <size> [LAST]" and exactly <size> octets.
 *
 * The command is answered like any other (check, then the driver's
 * accept() or reply()), and that answer decides what the chunk's octets
 * do (enum chunk_effect): taken (EV_DATA), or read and dropped.  Either
 * way they are read, so the session stays in step with the client.  The
 * reply waits in the output until the last octet is in (the client must
 * not see "250" for a chunk the server has not got); a taken BDAT LAST
 * has no reply of its own and ends in EV_DATA_END, answered by
 * srv_data_end_answer() like the final dot.
 *
 * A chunk refused inside a transaction voids the message (RFC 3030 2:
 * the client must send no more chunks, and those already pipelined are
 * read and discarded): the transaction stays, with bdat_failed, and every
 * later BDAT of it gets the first refusal again, so the client sees one
 * failure class; a BDAT LAST ends it.  RSET, HELO and EHLO clear it.
 */

static bool
chunking_offered(const struct smtp_server *s)
{
	return (s->conf.caps & SMTP_CAP_CHUNKING) != 0;
}

static bool
in_txn(enum state st)
{
	return st == ST_MAIL || st == ST_RCPT || st == ST_BDAT;
}

/*
 * "<size>[ LAST]" (RFC 3030 2: chunk-size = 1*DIGIT, end-marker = "LAST").
 * chunk_size_ok when the size reads, whatever follows it: the octets can
 * then be skipped even when the rest of the line is wrong.
 */
void
srv_bdat_parse(struct smtp_server *s)
{
	const char *p = s->arg + strspn(s->arg, " "), *rest;
	unsigned long long n = 0;
	size_t digits = strspn(p, "0123456789"), i;

	s->chunk_size_ok = false;
	s->chunk_last = false;
	s->chunk_size = 0;
	s->cmd_syntax_ok = false;
	if (digits == 0 || (p[digits] != '\0' && p[digits] != ' '))
		return;
	for (i = 0; i < digits; i++) {
		if (n > (SMTP_SERVER_CHUNK_MAX - (unsigned)(p[i] - '0')) / 10)
			return;		/* absurd, or past 64 bits */
		n = n * 10 + (unsigned)(p[i] - '0');
	}
	s->chunk_size = n;
	s->chunk_size_ok = true;
	rest = p + digits;
	rest += strspn(rest, " ");
	if (*rest == '\0')
		s->cmd_syntax_ok = true;
	else if (strncasecmp(rest, "LAST", 4) == 0 &&
	    rest[4 + strspn(rest + 4, " ")] == '\0') {
		s->chunk_last = true;
		s->cmd_syntax_ok = true;
	}
}

/* Whether the chunk would take the message past conf.size_max. */
static bool
too_big(const struct smtp_server *s)
{
	unsigned long long max = s->conf.size_max;

	return max != 0 && (s->chunk_size > max ||
	    s->msg_size > max - s->chunk_size);
}

void
srv_bdat_check(struct smtp_server *s, int *code, const char **text,
    bool *error)
{
	*error = true;
	if (!chunking_offered(s)) {
		*code = 502;
		*text = "5.5.1 Error: command not implemented";
	} else if (!s->cmd_syntax_ok) {
		*code = 501;
		*text = "5.5.4 Syntax: BDAT size [LAST]";
	} else if (!in_txn(s->state)) {
		*code = 503;
		*text = "5.5.1 Error: need MAIL command";
	} else if (s->bdat_failed) {
		*code = s->bdat_err_code;
		*text = s->bdat_err;
		*error = false;	/* pipelined after the failure */
	} else if (s->data_tried) {
		*code = 503;
		*text = "5.5.1 Error: BDAT after DATA";
	} else if (s->state == ST_MAIL) {
		*code = 554;
		*text = "5.5.1 No valid recipients";
	} else if (too_big(s)) {
		*code = 552;
		*text = "5.3.4 Message size exceeds fixed limit";
		*error = false;
	} else {
		*code = 250;
		snprintf(s->text, sizeof(s->text), "2.0.0 %llu octets received",
		    s->chunk_size);
		*text = s->text;
		*error = false;
	}
}

/* RFC 3030 2: where the next command starts is unknown; hang up. */
static void
lost_sync(struct smtp_server *s, int code, const char *text)
{
	srv_put_reply(s, code, text);
	if (code != 421)
		srv_put_reply(s, 421, "4.5.0 BDAT size unreadable, closing");
	srv_close_session(s);
}

/* What the octets do, from the verdict and the answer's code. */
static enum chunk_effect
effect_of(const struct smtp_server *s, int vcode, int code)
{
	if (vcode < 400 && code >= 200 && code < 400)
		return CHUNK_TAKE;
	if (!chunking_offered(s) || !in_txn(s->state))
		return CHUNK_SKIP;
	return s->chunk_last ? CHUNK_END : CHUNK_VOID;
}

void
srv_bdat_answer(struct smtp_server *s, int code, const char *text)
{
	const char *vtext;
	bool verror, count = false;
	int vcode;

	srv_bdat_check(s, &vcode, &vtext, &verror);
	if (text == NULL) {
		code = vcode;
		text = vtext;
		count = verror;
	}
	if (!s->chunk_size_ok) {
		if (chunking_offered(s) || code == 421) {
			lost_sync(s, code, text);
			return;
		}
		srv_put_reply(s, code, text);	/* an unknown command */
		if (count)
			srv_count_error(s);
		return;
	}
	if (code == 421) {
		srv_put_reply(s, code, text);
		srv_close_session(s);
		return;
	}
	s->chunk_effect = effect_of(s, vcode, code);
	if (s->chunk_effect == CHUNK_VOID && !s->bdat_failed) {
		/* The first refusal: a 2xx from the driver is not one. */
		s->bdat_err_code = code >= 400 ? code : vcode;
		strlcpy(s->bdat_err, code >= 400 ? text : vtext,
		    sizeof(s->bdat_err));
	}
	s->chunk_from = s->state;
	s->chunk_left = s->chunk_size;
	s->chunk_count_error = count;
	s->out_hold = s->out.len;
	s->out_held = true;
	if (s->chunk_effect != CHUNK_TAKE || !s->chunk_last)
		srv_put_reply(s, code, text);
	srv_set_state(s, ST_CHUNK);
}

/* The last octet is in: the reply may leave, and the state moves on. */
static enum smtp_server_event_type
chunk_end(struct smtp_server *s, struct smtp_server_event *ev)
{
	s->out_held = false;
	switch (s->chunk_effect) {
	case CHUNK_TAKE:
		if (s->chunk_last) {
			s->pending = PEND_DATA_END;
			ev->type = SMTP_SERVER_EV_DATA_END;
			ev->msg_size = (size_t)s->msg_size;
			return ev->type;
		}
		srv_set_state(s, ST_BDAT);
		break;
	case CHUNK_VOID:
		s->bdat_failed = true;
		srv_set_state(s, ST_BDAT);
		break;
	case CHUNK_END:
		srv_txn_reset(s);
		srv_set_state(s, ST_READY);
		break;
	case CHUNK_SKIP:
	default:
		srv_set_state(s, s->chunk_from);
		break;
	}
	if (s->chunk_count_error)
		srv_count_error(s);
	return SMTP_SERVER_EV_NONE;
}

enum smtp_server_event_type
srv_bdat_next(struct smtp_server *s, struct smtp_server_event *ev)
{
	size_t avail, n;
	const char *p;

	for (;;) {
		if (s->chunk_left == 0)
			return chunk_end(s, ev);
		p = buf_str(&s->in) + s->in_pos;
		avail = s->in.len - s->in_pos;
		if (avail == 0)
			return SMTP_SERVER_EV_NONE;
		n = s->chunk_left < avail ? (size_t)s->chunk_left : avail;
		s->in_pos += n;
		s->chunk_left -= n;
		if (s->chunk_effect != CHUNK_TAKE)
			continue;
		s->msg_size += n;
		ev->type = SMTP_SERVER_EV_DATA;
		ev->data = p;
		ev->len = n;
		return ev->type;
	}
}

bool
srv_bdat_decidable(const struct smtp_server *s)
{
	return s->chunk_left == 0 || s->in.len > s->in_pos;
}

size_t
srv_bdat_out_len(const struct smtp_server *s)
{
	if (s->out_held && s->out_hold < s->out.len)
		return s->out_hold;
	return s->out.len;
}

void
srv_bdat_out_taken(struct smtp_server *s, size_t n)
{
	if (s->out_held)
		s->out_hold -= n < s->out_hold ? n : s->out_hold;
}

void
srv_bdat_drop_held(struct smtp_server *s)
{
	if (!s->out_held)
		return;
	s->out_held = false;
	if (s->out_hold < s->out.len) {
		/* struct buf has no truncate; the bytes past len are free. */
		s->out.len = s->out_hold;
		s->out.data[s->out.len] = '\0';
	}
}
