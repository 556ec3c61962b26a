#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtp/server_int.h"

/*
 * The server engine's two phases where client lines are not commands.
 *
 * The data phase (RFC 5321 4.1.1.4, 4.5.2): after the 354, the client's
 * bytes are dot-unstuffed and handed out as EV_DATA chunks, counted
 * against conf.size_max, until "\r\n.\r\n" gives EV_DATA_END and its
 * answer ends the transaction.
 *
 * The AUTH exchange (RFC 4954), at the end of the file: accept() of AUTH
 * starts a smtp_sasl_server; each 334 challenge is answered by one
 * client line (EV_AUTH_LINE) until 235, 535 or 501.
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

/* The end of the data (the final dot, or a taken BDAT LAST's last octet,
 * server_bdat.c): any answer ends the transaction. */
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

/* ---- the AUTH exchange (RFC 4954) ------------------------------------ */

#define AUTH_CHALLENGE_MAX 4096	/* one base64 challenge */

/* 1 when word (n bytes) is one of the space-separated names in list. */
static int
in_list(const char *list, const char *word, size_t n)
{
	const char *p = list;
	size_t len;

	while (*p != '\0') {
		len = strcspn(p, " ");
		if (len == n && strncasecmp(p, word, n) == 0)
			return 1;
		p += len;
		p += strspn(p, " ");
	}
	return 0;
}

/*
 * The list to advertise: conf.auth_mechs, or every mechanism the SASL
 * server has; the -PLUS ones only with channel binding data to check.
 * Without conf.auth, the old lure: conf.auth_mechs or "PLAIN".
 */
const char *
srv_auth_mechs(struct smtp_server *s)
{
	const char *src = s->conf.auth_mechs, *p;
	size_t n, len;

	if (s->conf.auth == NULL)
		return src != NULL ? src : "PLAIN";
	if (src == NULL)
		src = smtp_sasl_server_mechs();
	s->auth_adv[0] = '\0';
	for (p = src; *p != '\0'; p += n, p += strspn(p, " ")) {
		n = strcspn(p, " ");
		if (n == 0 || (n > 5 && strncasecmp(p + n - 5, "-PLUS", 5) ==
		    0 && s->conf.auth->cb_data == NULL))
			continue;
		len = strlen(s->auth_adv);
		if (len + n + 2 > sizeof(s->auth_adv))
			break;
		snprintf(s->auth_adv + len, sizeof(s->auth_adv) - len,
		    "%s%.*s", len > 0 ? " " : "", (int)n, p);
	}
	return s->auth_adv;
}

int
srv_auth_check(struct smtp_server *s, int *code, const char **text)
{
	size_t n = strcspn(s->arg, " ");

	*code = 503;
	if (s->conf.auth == NULL) {
		*code = 502;
		*text = "5.5.1 Not implemented";
	} else if (s->state == ST_INIT)
		*text = "5.5.1 Error: send EHLO first";
	else if (s->auth_user != NULL)
		*text = "5.5.1 Already authenticated";
	else if (s->state != ST_READY)
		*text = "5.5.1 Error: MAIL transaction in progress";
	else if (n == 0) {
		*code = 501;
		*text = "5.5.4 Syntax: AUTH mechanism [initial-response]";
	} else if (!in_list(srv_auth_mechs(s), s->arg, n)) {
		*code = 504;
		*text = "5.5.4 Unrecognized authentication type";
	} else
		return 0;
	return -1;
}

static void
auth_end(struct smtp_server *s)
{
	smtp_sasl_server_free(s->sasl);
	s->sasl = NULL;
	srv_set_state(s, ST_READY);
}

/* The SASL server's verdict into replies and the state. */
static void
auth_result(struct smtp_server *s, enum smtp_sasl_server_status st,
    const struct buf *chal)
{
	switch (st) {
	case SMTP_SASL_SERVER_CONTINUE:
		if (buf_append_str(&s->out, "334 ") == -1 ||
		    buf_append(&s->out, chal->data, chal->len) == -1 ||
		    buf_append_str(&s->out, "\r\n") == -1) {
			srv_close_session(s);
			return;
		}
		srv_set_state(s, ST_AUTH);
		return;
	case SMTP_SASL_SERVER_OK:
		free(s->auth_user);
		if ((s->auth_user = strdup(smtp_sasl_server_user(s->sasl))) ==
		    NULL) {
			srv_put_reply(s, 454, "4.7.0 Temporary authentication "
			    "failure");
			break;
		}
		srv_put_reply(s, 235, "2.7.0 Authentication successful");
		s->auth_done_due = true;
		break;
	case SMTP_SASL_SERVER_FAIL:
		srv_put_reply(s, 535, "5.7.8 Authentication credentials "
		    "invalid");
		srv_count_error(s);
		break;
	case SMTP_SASL_SERVER_MALFORMED:
		srv_put_reply(s, 501, "5.5.2 Malformed authentication data");
		srv_count_error(s);
		break;
	default:
		srv_put_reply(s, 454, "4.7.0 Temporary authentication failure");
		break;
	}
	auth_end(s);
}

/* The bytes of s->line (and its copy in the input) hold a secret. */
static void
wipe_later(struct smtp_server *s)
{
	s->wipe_due = true;
	s->wipe_off = s->line_off;
	s->wipe_len = s->in_pos > s->line_off ? s->in_pos - s->line_off : 0;
}

void
srv_auth_start(struct smtp_server *s)
{
	struct buf chal;
	const char *init;
	char mech[64];
	size_t n = strcspn(s->arg, " ");

	wipe_later(s);
	snprintf(mech, sizeof(mech), "%.*s", (int)n, s->arg);
	init = s->arg[n] == ' ' ? s->arg + n + 1 : NULL;
	/* Where we offer no -PLUS, "y" from the client is no downgrade. */
	s->auth_conf = *s->conf.auth;
	if (!in_list(srv_auth_mechs(s), "SCRAM-SHA-256-PLUS", 18) &&
	    !in_list(srv_auth_mechs(s), "SCRAM-SHA-1-PLUS", 16)) {
		s->auth_conf.cb_data = NULL;
		s->auth_conf.cb_len = 0;
	}
	smtp_sasl_server_free(s->sasl);
	if ((s->sasl = smtp_sasl_server_new(mech, &s->auth_conf)) == NULL) {
		srv_put_reply(s, 504, "5.5.4 Unrecognized authentication type");
		return;
	}
	buf_init(&chal, AUTH_CHALLENGE_MAX);
	auth_result(s, smtp_sasl_server_step(s->sasl, init, &chal), &chal);
	buf_free(&chal);
}

enum smtp_server_event_type
srv_auth_next(struct smtp_server *s, struct smtp_server_event *ev)
{
	struct buf chal;

	if (!srv_take_line(s))
		return SMTP_SERVER_EV_NONE;
	wipe_later(s);
	if (s->state == ST_AUTH && s->sasl != NULL) {
		if (strcmp(s->line, "*") == 0) {
			/* RFC 4954 section 4: the client cancels. */
			srv_put_reply(s, 501, "5.0.0 Authentication cancelled");
			auth_end(s);
		} else {
			buf_init(&chal, AUTH_CHALLENGE_MAX);
			auth_result(s, smtp_sasl_server_step(s->sasl, s->line,
			    &chal), &chal);
			buf_free(&chal);
		}
	}
	ev->type = SMTP_SERVER_EV_AUTH_LINE;
	ev->cmd = SMTP_SERVER_CMD_AUTH;
	ev->line = s->line;
	ev->verb = ev->arg = ev->params = "";
	return ev->type;
}

void
srv_auth_abort(struct smtp_server *s)
{
	auth_end(s);
}

void
srv_auth_reset(struct smtp_server *s)
{
	smtp_sasl_server_free(s->sasl);
	s->sasl = NULL;
	free(s->auth_user);
	s->auth_user = NULL;
	s->auth_done_due = false;
}

void
srv_auth_wipe(struct smtp_server *s)
{
	if (!s->wipe_due)
		return;
	s->wipe_due = false;
	explicit_bzero(s->line, sizeof(s->line));
	explicit_bzero(s->parts, sizeof(s->parts));
	if (s->in.data != NULL && s->wipe_off < s->in.len)
		explicit_bzero(s->in.data + s->wipe_off,
		    s->wipe_len < s->in.len - s->wipe_off ? s->wipe_len :
		    s->in.len - s->wipe_off);
}
