#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/server.h"
#include "util/buf.h"
#include "tap.h"

#define FEED(s, lit) smtp_server_feed((s), (lit), sizeof(lit) - 1)

static char outbuf[65536];

static struct smtp_server *
new_server(unsigned caps, unsigned long long size_max)
{
	struct smtp_server_conf conf = {
		.hostname = "mx.test",
		.caps = caps,
		.size_max = size_max,
		.auth_mechs = "PLAIN LOGIN",
	};

	return smtp_server_new(&conf);
}

/* Take all output as a C string (static buffer). */
static const char *
take(struct smtp_server *s)
{
	size_t len;
	const void *p = smtp_server_output(s, &len);

	if (len >= sizeof(outbuf))
		len = sizeof(outbuf) - 1;
	memcpy(outbuf, p, len);
	outbuf[len] = '\0';
	smtp_server_output_consume(s, len);
	return outbuf;
}

static struct smtp_server *
greeted(unsigned caps, unsigned long long size_max)
{
	struct smtp_server *s = new_server(caps, size_max);
	struct smtp_server_event ev;

	smtp_server_next_event(s, &ev);
	smtp_server_accept(s);
	take(s);
	return s;
}

/* Feed a line, expect one command event, accept it, return the output. */
static const char *
cmd(struct smtp_server *s, const char *line)
{
	struct smtp_server_event ev;

	smtp_server_feed(s, line, strlen(line));
	if (smtp_server_next_event(s, &ev) != SMTP_SERVER_EV_COMMAND)
		return "(no command event)";
	smtp_server_accept(s);
	return take(s);
}

/* Up to DATA accepted. */
static struct smtp_server *
in_data(unsigned long long size_max)
{
	struct smtp_server *s = greeted(0, size_max);

	cmd(s, "EHLO c.test\r\n");
	cmd(s, "MAIL FROM:<a@b.test>\r\n");
	cmd(s, "RCPT TO:<c@d.test>\r\n");
	cmd(s, "DATA\r\n");
	return s;
}

/* Collect data events into got until DATA_END (1) or none left (0). */
static int
collect(struct smtp_server *s, char *got, size_t gotmax, size_t *glen,
    size_t *msg_size)
{
	struct smtp_server_event ev;

	while (smtp_server_next_event(s, &ev) != SMTP_SERVER_EV_NONE) {
		if (ev.type == SMTP_SERVER_EV_DATA_END) {
			*msg_size = ev.msg_size;
			return 1;
		}
		if (ev.type != SMTP_SERVER_EV_DATA)
			return -1;
		if (*glen + ev.len <= gotmax) {
			memcpy(got + *glen, ev.data, ev.len);
			*glen += ev.len;
		}
	}
	return 0;
}

static void
test_greeting(void)
{
	struct smtp_server *s = new_server(0, 0);
	struct smtp_server_event ev;

	tap_is_str(smtp_server_state_name(s), "CONNECT", "starts in CONNECT");
	tap_is_int(smtp_server_next_event(s, &ev), SMTP_SERVER_EV_COMMAND,
	    "first event is a command");
	tap_is_int(ev.cmd, SMTP_SERVER_CMD_CONNECT, "  ... CONNECT");
	tap_is_int(smtp_server_next_event(s, &ev), SMTP_SERVER_EV_NONE,
	    "nothing more until it is answered");
	tap_ok(!smtp_server_wants_input(s), "no input wanted before answer");
	smtp_server_accept(s);
	tap_is_str(take(s), "220 mx.test ESMTP postie\r\n", "greeting bytes");
	tap_is_str(smtp_server_state_name(s), "INIT", "INIT after greeting");
	tap_ok(smtp_server_wants_input(s), "then wants input");
	smtp_server_free(s);

	s = new_server(0, 0);
	smtp_server_next_event(s, &ev);
	smtp_server_reply(s, 554, "5.3.2 No service here");
	tap_is_str(take(s), "554 5.3.2 No service here\r\n", "554 greeting");
	tap_ok(smtp_server_closed(s), "closed after a 554 greeting");
	tap_is_int(smtp_server_next_event(s, &ev), SMTP_SERVER_EV_CLOSE,
	    "EV_CLOSE after a 554 greeting");
	tap_is_int(smtp_server_next_event(s, &ev), SMTP_SERVER_EV_NONE,
	    "EV_CLOSE only once");
	tap_ok(!smtp_server_wants_input(s), "closed wants no input");
	smtp_server_free(s);
}

static void
test_ehlo(void)
{
	struct smtp_server *s;
	struct smtp_server_envelope env;

	s = greeted(0, 0);
	tap_is_str(cmd(s, "EHLO c.test\r\n"), "250 mx.test\r\n",
	    "EHLO without caps: one line");
	smtp_server_envelope(s, &env);
	tap_is_str(env.helo, "c.test", "helo recorded");
	smtp_server_free(s);

	s = greeted(SMTP_CAP_PIPELINING | SMTP_CAP_SIZE | SMTP_CAP_8BITMIME |
	    SMTP_CAP_ENHANCEDSTATUSCODES | SMTP_CAP_STARTTLS, 1000);
	tap_is_str(cmd(s, "ehlo c.test\r\n"),
	    "250-mx.test\r\n250-PIPELINING\r\n250-SIZE 1000\r\n"
	    "250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250 STARTTLS\r\n",
	    "EHLO (lower case) with five caps");
	smtp_server_free(s);

	s = greeted(0x3ff, 0);
	tap_is_str(cmd(s, "EHLO c.test\r\n"),
	    "250-mx.test\r\n250-PIPELINING\r\n250-SIZE\r\n250-8BITMIME\r\n"
	    "250-SMTPUTF8\r\n250-DSN\r\n250-ENHANCEDSTATUSCODES\r\n"
	    "250-CHUNKING\r\n250-BINARYMIME\r\n250-AUTH PLAIN LOGIN\r\n"
	    "250 STARTTLS\r\n", "EHLO with every cap, SIZE 0");
	smtp_server_free(s);

	{
		struct smtp_server_conf conf = { .hostname = "mx.test",
		    .caps = SMTP_CAP_STARTTLS | SMTP_CAP_DSN,
		    .tls_active = true };

		s = smtp_server_new(&conf);
		smtp_server_accept(s);	/* nothing pending: ignored */
		tap_is_str(take(s), "", "accept with nothing pending: no output");
		tap_is_str(cmd(s, ""), "220 mx.test ESMTP postie\r\n",
		    "then the greeting");
		tap_is_str(cmd(s, "EHLO c.test\r\n"), "250-mx.test\r\n250 DSN\r\n",
		    "no STARTTLS offered under implicit TLS");
		tap_is_str(cmd(s, "STARTTLS\r\n"),
		    "502 5.5.1 Error: command not implemented\r\n",
		    "STARTTLS under TLS: 502");
		smtp_server_free(s);
	}

	s = greeted(0, 0);
	tap_is_str(cmd(s, "HELO c.test\r\n"), "250 mx.test\r\n", "HELO");
	tap_is_str(cmd(s, "HELO\r\n"), "501 5.5.4 Syntax: HELO hostname\r\n",
	    "HELO without a name: 501");
	tap_is_str(cmd(s, "EHLO   \r\n"), "501 5.5.4 Syntax: EHLO hostname\r\n",
	    "EHLO without a name: 501");
	smtp_server_free(s);
}

static void
test_happy(void)
{
	struct smtp_server *s = greeted(SMTP_CAP_8BITMIME, 0);
	struct smtp_server_envelope env;
	struct smtp_server_event ev;
	char got[256];
	size_t glen = 0, msg_size = 0;

	cmd(s, "EHLO c.test\r\n");
	FEED(s, "MAIL FROM:<a@b.test> BODY=8BITMIME\r\n");
	tap_is_int(smtp_server_next_event(s, &ev), SMTP_SERVER_EV_COMMAND,
	    "MAIL event");
	tap_is_int(ev.cmd, SMTP_SERVER_CMD_MAIL, "  ... cmd MAIL");
	tap_is_str(ev.verb, "MAIL", "  ... verb");
	tap_is_str(ev.arg, "a@b.test", "  ... arg is the path");
	tap_is_str(ev.params, "BODY=8BITMIME", "  ... params");
	tap_is_str(ev.line, "MAIL FROM:<a@b.test> BODY=8BITMIME",
	    "  ... whole line");
	smtp_server_accept(s);
	tap_is_str(take(s), "250 2.1.0 Ok\r\n", "MAIL accepted");
	tap_is_str(cmd(s, "RCPT TO: <c@d.test>\r\n"), "250 2.1.5 Ok\r\n",
	    "RCPT (space after the colon) accepted");
	tap_is_str(cmd(s, "rcpt to:<e@f.test>\r\n"), "250 2.1.5 Ok\r\n",
	    "second RCPT, lower case");
	smtp_server_envelope(s, &env);
	tap_is_str(env.mail_from, "a@b.test", "envelope sender");
	tap_is_int((long long)env.nrcpt, 2, "two recipients");
	tap_is_str(env.rcpts[1], "e@f.test", "second recipient");
	tap_is_str(cmd(s, "DATA\r\n"), "354 End data with <CR><LF>.<CR><LF>\r\n",
	    "DATA: 354");
	tap_is_str(smtp_server_state_name(s), "DATA", "state DATA");
	FEED(s, "Subject: x\r\n\r\nhi\r\n.\r\n");
	tap_is_int(collect(s, got, sizeof(got), &glen, &msg_size), 1,
	    "data end seen");
	tap_is_mem(got, glen, "Subject: x\r\n\r\nhi\r\n", 18,
	    "message bytes incl. the final CRLF");
	tap_is_int((long long)msg_size, 18, "msg_size");
	smtp_server_envelope(s, &env);
	tap_is_int((long long)env.nrcpt, 2, "envelope valid at DATA_END");
	smtp_server_accept(s);
	tap_is_str(take(s), "250 2.0.0 Ok: queued\r\n", "queued");
	smtp_server_envelope(s, &env);
	tap_ok(env.mail_from == NULL && env.nrcpt == 0, "txn reset after it");
	tap_is_str(smtp_server_state_name(s), "READY", "READY again");
	tap_is_str(cmd(s, "MAIL FROM:<>\r\n"), "250 2.1.0 Ok\r\n",
	    "second txn, null sender");
	smtp_server_envelope(s, &env);
	tap_is_str(env.mail_from, "", "null sender is empty");
	tap_is_str(cmd(s, "RSET\r\n"), "250 2.0.0 Ok\r\n", "RSET");
	smtp_server_envelope(s, &env);
	tap_ok(env.mail_from == NULL, "RSET clears the txn");
	tap_is_str(cmd(s, "NOOP\r\n"), "250 2.0.0 Ok\r\n", "NOOP");
	tap_is_str(cmd(s, "VRFY x\r\n"), "252 2.5.0 Cannot VRFY user\r\n",
	    "VRFY");
	tap_is_str(cmd(s, "AUTH PLAIN\r\n"), "502 5.5.1 Not implemented\r\n",
	    "AUTH: not yet");
	tap_is_str(cmd(s, "XYZZY\r\n"), "500 5.5.2 Command unrecognized\r\n",
	    "unknown verb");
	tap_is_str(cmd(s, "QUIT\r\n"), "221 2.0.0 Bye\r\n", "QUIT");
	tap_ok(smtp_server_closed(s), "closed after QUIT");
	tap_is_int(smtp_server_next_event(s, &ev), SMTP_SERVER_EV_CLOSE,
	    "EV_CLOSE after QUIT");
	smtp_server_free(s);
}

static void
test_sequence(void)
{
	struct smtp_server *s = greeted(0, 0);

	tap_is_str(cmd(s, "MAIL FROM:<a@b>\r\n"),
	    "503 5.5.1 Error: send HELO/EHLO first\r\n", "MAIL before HELO");
	cmd(s, "HELO c\r\n");
	tap_is_str(cmd(s, "RCPT TO:<a@b>\r\n"),
	    "503 5.5.1 Error: need MAIL command\r\n", "RCPT before MAIL");
	tap_is_str(cmd(s, "DATA\r\n"), "503 5.5.1 Error: need RCPT command\r\n",
	    "DATA before MAIL");
	tap_is_str(cmd(s, "MAIL FROM:a@b\r\n"),
	    "501 5.5.4 Syntax: MAIL FROM:<address>\r\n", "MAIL without <>");
	tap_is_str(cmd(s, "MAIL FROM:<a@b>x\r\n"),
	    "501 5.5.4 Syntax: MAIL FROM:<address>\r\n", "junk after >");
	tap_is_str(cmd(s, "MAIL TO:<a@b>\r\n"),
	    "501 5.5.4 Syntax: MAIL FROM:<address>\r\n", "MAIL TO:");
	tap_is_str(cmd(s, "MAIL FROM:<a@b>\r\n"), "250 2.1.0 Ok\r\n", "MAIL");
	tap_is_str(cmd(s, "MAIL FROM:<a@b>\r\n"),
	    "503 5.5.1 Error: nested MAIL command\r\n", "nested MAIL");
	tap_is_str(cmd(s, "DATA\r\n"), "554 5.5.1 No valid recipients\r\n",
	    "DATA before RCPT");
	tap_is_str(cmd(s, "RCPT TO:<>\r\n"),
	    "501 5.5.4 Syntax: RCPT TO:<address>\r\n", "RCPT TO:<>");
	tap_is_str(cmd(s, "RCPT TO:<\"a b\"@c>\r\n"), "250 2.1.5 Ok\r\n",
	    "quoted local part with a space");
	{
		struct smtp_server_envelope env;

		tap_is_str(cmd(s, "RCPT TO:<\"a\\\">b\"@c>\r\n"),
		    "250 2.1.5 Ok\r\n", "quoted '>' and escaped quote");
		smtp_server_envelope(s, &env);
		tap_is_str(env.rcpts[1], "\"a\\\">b\"@c", "  ... path kept whole");
	}
	tap_is_str(cmd(s, "RCPT TO:<a\x01b@c>\r\n"),
	    "501 5.5.4 Syntax: RCPT TO:<address>\r\n", "control byte in path");
	tap_is_str(cmd(s, "DATA x\r\n"), "501 5.5.4 Syntax: DATA\r\n",
	    "DATA with an argument");
	tap_is_str(smtp_server_state_name(s), "RCPT", "still RCPT");
	smtp_server_free(s);
}

static void
test_reply_override(void)
{
	struct smtp_server *s = greeted(0, 0);
	struct smtp_server_envelope env;
	struct smtp_server_event ev;

	cmd(s, "HELO c\r\n");
	FEED(s, "MAIL FROM:<a@b>\r\n");
	smtp_server_next_event(s, &ev);
	smtp_server_reply(s, 451, "4.3.0 Try later\nreally");
	tap_is_str(take(s), "451-4.3.0 Try later\r\n451 really\r\n",
	    "multi-line override");
	tap_is_str(smtp_server_state_name(s), "READY", "4xx: no state change");
	FEED(s, "MAIL FROM:<a@b>\r\n");
	smtp_server_next_event(s, &ev);
	smtp_server_reply(s, 250, "custom");
	tap_is_str(take(s), "250 custom\r\n", "2xx override text");
	tap_is_str(smtp_server_state_name(s), "MAIL", "2xx: state change");
	FEED(s, "RCPT TO:<x@y>\r\n");
	smtp_server_next_event(s, &ev);
	smtp_server_reply(s, 550, "5.1.1 No such user");
	tap_is_str(take(s), "550 5.1.1 No such user\r\n", "RCPT refused");
	FEED(s, "RCPT TO:<z@y>\r\n");
	smtp_server_next_event(s, &ev);
	smtp_server_reply(s, 251, "2.1.5 will forward\r\nfake\x01");
	tap_is_str(take(s), "251-2.1.5 will forward?\r\n251 fake?\r\n",
	    "control bytes in the driver's text are escaped");
	smtp_server_envelope(s, &env);
	tap_is_int((long long)env.nrcpt, 1, "only the accepted recipient");
	tap_is_str(env.rcpts[0], "z@y", "  ... z@y");
	FEED(s, "DATA\r\n.\r\n");
	smtp_server_next_event(s, &ev);
	smtp_server_reply(s, 354, "go");
	tap_is_int(smtp_server_next_event(s, &ev), SMTP_SERVER_EV_DATA_END,
	    "354 override enters data");
	smtp_server_reply(s, 554, "5.7.1 spam");
	tap_is_str(take(s), "354 go\r\n554 5.7.1 spam\r\n", "data end refused");
	smtp_server_envelope(s, &env);
	tap_ok(env.mail_from == NULL, "refused data end still ends the txn");
	FEED(s, "NOOP\r\n");
	smtp_server_next_event(s, &ev);
	smtp_server_reply(s, 421, "4.3.2 Shutting down");
	tap_is_str(take(s), "421 4.3.2 Shutting down\r\n", "421");
	tap_ok(smtp_server_closed(s), "421 closes");
	tap_is_int(smtp_server_next_event(s, &ev), SMTP_SERVER_EV_CLOSE,
	    "  ... EV_CLOSE");
	smtp_server_free(s);
}

static void
test_pipelining(void)
{
	static const char group[] = "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n"
	    "RCPT TO:<e@f>\r\nDATA\r\n";
	static const enum smtp_server_cmd want[] = { SMTP_SERVER_CMD_MAIL,
	    SMTP_SERVER_CMD_RCPT, SMTP_SERVER_CMD_RCPT, SMTP_SERVER_CMD_DATA };
	struct smtp_server *s = greeted(SMTP_CAP_PIPELINING, 0);
	struct smtp_server_event ev;
	size_t i;
	int ok_one = 1, ok_wants = 1;

	cmd(s, "EHLO c\r\n");
	smtp_server_feed(s, group, sizeof(group) - 1);
	for (i = 0; i < 4; i++) {
		if (smtp_server_next_event(s, &ev) != SMTP_SERVER_EV_COMMAND ||
		    ev.cmd != want[i])
			ok_one = 0;
		if (smtp_server_next_event(s, &ev) != SMTP_SERVER_EV_NONE)
			ok_one = 0;
		if (smtp_server_wants_input(s))
			ok_wants = 0;
		smtp_server_accept(s);
		if (i < 3 && smtp_server_wants_input(s))
			ok_wants = 0;
	}
	tap_ok(ok_one, "four commands, one event at a time, in order");
	tap_ok(ok_wants, "wants_input false until the last is answered");
	tap_ok(smtp_server_wants_input(s), "then true");
	tap_is_str(take(s), "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"
	    "354 End data with <CR><LF>.<CR><LF>\r\n",
	    "the four replies leave together");
	smtp_server_free(s);

	/* A partial line keeps wants_input true. */
	s = greeted(SMTP_CAP_PIPELINING, 0);
	FEED(s, "NOOP\r\nNO");
	tap_ok(!smtp_server_wants_input(s), "whole line buffered: no input");
	smtp_server_next_event(s, &ev);
	smtp_server_accept(s);
	take(s);
	tap_is_int(smtp_server_next_event(s, &ev), SMTP_SERVER_EV_NONE,
	    "partial line: no event");
	tap_ok(smtp_server_wants_input(s), "partial line: wants input");
	tap_is_str(cmd(s, "OP\n"), "250 2.0.0 Ok\r\n", "bare LF ends a command");
	smtp_server_free(s);
}

static void
test_data(void)
{
	static const char msg[] = "..a\r\n.\r\r\n\n.\nb\r.\r\n.x\r\n"
	    "..\r\nend\r\n.\r\nNOOP\r\n";
	static const char want[] = ".a\r\n\r\r\n\n.\nb\r.\r\nx\r\n.\r\nend\r\n";
	struct smtp_server *s = in_data(0);
	struct smtp_server_event ev;
	char got[256];
	size_t glen = 0, msg_size = 0, i;
	int r = 0;

	smtp_server_feed(s, msg, sizeof(msg) - 1);
	tap_is_int(collect(s, got, sizeof(got), &glen, &msg_size), 1,
	    "whole feed: data end");
	tap_is_mem(got, glen, want, sizeof(want) - 1,
	    "unstuffed; \\n.\\n and \\r.\\r\\n do not end the data");
	tap_is_int((long long)msg_size, sizeof(want) - 1, "msg_size");
	smtp_server_accept(s);
	tap_is_str(take(s), "250 2.0.0 Ok: queued\r\n", "queued");
	tap_is_int(smtp_server_next_event(s, &ev), SMTP_SERVER_EV_COMMAND,
	    "the command after the data is parsed");
	smtp_server_free(s);

	s = in_data(0);
	glen = 0;
	for (i = 0; i < sizeof(msg) - 1 && r == 0; i++) {
		smtp_server_feed(s, msg + i, 1);
		r = collect(s, got, sizeof(got), &glen, &msg_size);
		if (r == 0 && !smtp_server_wants_input(s))
			r = -2;
	}
	tap_is_int(r, 1, "byte at a time: data end");
	tap_is_int((long long)i, sizeof(msg) - 1 - 6, "  ... at the dot");
	tap_is_mem(got, glen, want, sizeof(want) - 1, "  ... same bytes");
	smtp_server_free(s);

	s = in_data(0);
	glen = 0;
	FEED(s, ".\r\n");
	tap_is_int(collect(s, got, sizeof(got), &glen, &msg_size), 1,
	    "empty message: data end");
	tap_is_int((long long)(glen + msg_size), 0, "  ... no bytes");
	smtp_server_free(s);

	s = in_data(0);
	FEED(s, "abc\r\n.");
	smtp_server_eof(s);
	glen = 0;
	tap_is_int(collect(s, got, sizeof(got), &glen, &msg_size), -1,
	    "EOF in data: close, no data end");
	tap_ok(smtp_server_closed(s), "  ... closed");
	smtp_server_free(s);
}

static void
test_size(void)
{
	struct smtp_server *s = greeted(SMTP_CAP_SIZE, 10);
	char got[256];
	size_t glen = 0, msg_size = 0;

	cmd(s, "EHLO c\r\n");
	tap_is_str(cmd(s, "MAIL FROM:<a@b> SIZE=11\r\n"),
	    "552 5.3.4 Message size exceeds fixed limit\r\n", "SIZE=11 > 10");
	tap_is_str(cmd(s, "MAIL FROM:<a@b> SIZE=x\r\n"),
	    "501 5.5.4 Bad parameter: SIZE=x\r\n", "SIZE=x");
	tap_is_str(cmd(s, "MAIL FROM:<a@b> size=10\r\n"), "250 2.1.0 Ok\r\n",
	    "SIZE=10 ok");
	cmd(s, "RCPT TO:<c@d>\r\n");
	cmd(s, "DATA\r\n");
	FEED(s, "0123456789abcdef\r\n.\r\n");
	tap_is_int(collect(s, got, sizeof(got), &glen, &msg_size), 1,
	    "oversized data still ends");
	tap_is_mem(got, glen, "0123456789", 10, "only size_max bytes out");
	tap_is_int((long long)msg_size, 18, "msg_size counts all");
	smtp_server_accept(s);
	tap_is_str(take(s), "552 5.3.4 Message size exceeds fixed limit\r\n",
	    "552 at the data end");
	tap_is_str(smtp_server_state_name(s), "READY", "txn over");
	smtp_server_free(s);
}

static void
test_starttls(void)
{
	struct smtp_server *s = greeted(SMTP_CAP_STARTTLS, 0);
	struct smtp_server_envelope env;
	struct smtp_server_event ev;
	static const char inj[] = "STARTTLS\r\nMAIL FROM:<evil@x>\r\n";

	cmd(s, "EHLO c\r\n");
	smtp_server_feed(s, inj, sizeof(inj) - 1);
	tap_is_int(smtp_server_next_event(s, &ev), SMTP_SERVER_EV_COMMAND,
	    "STARTTLS command");
	smtp_server_accept(s);
	tap_is_str(take(s), "220 2.0.0 Ready to start TLS\r\n", "220");
	tap_is_int(smtp_server_next_event(s, &ev), SMTP_SERVER_EV_STARTTLS,
	    "EV_STARTTLS");
	tap_is_int(smtp_server_next_event(s, &ev), SMTP_SERVER_EV_NONE,
	    "then nothing until the handshake");
	FEED(s, "NOOP\r\n");	/* plain text: dropped too */
	smtp_server_tls_started(s);
	tap_is_str(smtp_server_state_name(s), "INIT", "back to INIT");
	smtp_server_envelope(s, &env);
	tap_is_str(env.helo, "", "HELO forgotten");
	tap_is_int(smtp_server_next_event(s, &ev), SMTP_SERVER_EV_NONE,
	    "injected MAIL discarded");
	tap_ok(smtp_server_wants_input(s), "wants input");
	tap_is_str(cmd(s, "EHLO c\r\n"), "250 mx.test\r\n",
	    "STARTTLS no longer offered");
	tap_is_str(cmd(s, "MAIL FROM:<a@b>\r\n"), "250 2.1.0 Ok\r\n", "MAIL");
	tap_is_str(cmd(s, "STARTTLS\r\n"),
	    "502 5.5.1 Error: command not implemented\r\n", "second STARTTLS");
	smtp_server_free(s);

	s = greeted(SMTP_CAP_STARTTLS, 0);
	cmd(s, "EHLO c\r\n");
	cmd(s, "MAIL FROM:<a@b>\r\n");
	tap_is_str(cmd(s, "STARTTLS\r\n"),
	    "503 5.5.1 Error: MAIL transaction in progress\r\n",
	    "STARTTLS inside a txn");
	smtp_server_free(s);
}

static void
test_limits(void)
{
	struct smtp_server *s = greeted(0, 0);
	struct smtp_server_event ev;
	char *big;
	int i;

	big = malloc(SMTP_SERVER_LINE_MAX + 100);
	memset(big, 'x', SMTP_SERVER_LINE_MAX + 100);
	smtp_server_feed(s, big, SMTP_SERVER_LINE_MAX + 100);
	tap_is_int(smtp_server_next_event(s, &ev), SMTP_SERVER_EV_NONE,
	    "too long line: no event");
	tap_is_str(take(s), "500 5.5.2 Line too long\r\n", "  ... 500");
	smtp_server_feed(s, big, 10);
	tap_is_str(cmd(s, "xx\r\nNOOP\r\n"), "250 2.0.0 Ok\r\n",
	    "rest of the line dropped, next command parsed");
	free(big);
	big = malloc(SMTP_SERVER_LINE_MAX + 3);
	memset(big, 'y', SMTP_SERVER_LINE_MAX + 3);
	memcpy(big, "NOOP ", 5);
	memcpy(big + SMTP_SERVER_LINE_MAX, "\r\n", 2);
	smtp_server_feed(s, big, SMTP_SERVER_LINE_MAX + 2);
	tap_is_int(smtp_server_next_event(s, &ev), SMTP_SERVER_EV_COMMAND,
	    "a line of exactly LINE_MAX is fine");
	smtp_server_accept(s);
	take(s);
	free(big);
	smtp_server_free(s);

	s = greeted(0, 0);
	for (i = 0; i < 19; i++)
		cmd(s, "BOGUS\r\n");
	tap_ok(!smtp_server_closed(s), "19 errors: still open");
	tap_is_str(cmd(s, "BOGUS\r\n"), "500 5.5.2 Command unrecognized\r\n"
	    "421 4.7.0 Too many errors\r\n", "20th error: 421");
	tap_ok(smtp_server_closed(s), "  ... closed");
	smtp_server_free(s);

	s = greeted(0, 0);
	cmd(s, "HELO c\r\n");
	cmd(s, "MAIL FROM:<a@b>\r\n");
	for (i = 0; i < 1000; i++)
		cmd(s, "RCPT TO:<a@b>\r\n");
	tap_is_str(cmd(s, "RCPT TO:<a@b>\r\n"),
	    "452 4.5.3 Error: too many recipients\r\n", "1001st RCPT: 452");
	smtp_server_free(s);

	s = greeted(0, 0);
	FEED(s, "NOOP\r\n");
	smtp_server_eof(s);
	tap_is_int(smtp_server_next_event(s, &ev), SMTP_SERVER_EV_COMMAND,
	    "EOF: buffered command still parsed");
	smtp_server_accept(s);
	tap_is_int(smtp_server_next_event(s, &ev), SMTP_SERVER_EV_CLOSE,
	    "then EV_CLOSE");
	tap_ok(smtp_server_closed(s), "closed at EOF");
	smtp_server_free(s);
	smtp_server_free(NULL);
}

/* ---- CHUNKING (RFC 3030) -------------------------------------------- */

#define CHUNKY (SMTP_CAP_PIPELINING | SMTP_CAP_CHUNKING)

/* What a driver that accepts everything saw of a run. */
struct run {
	struct buf out;		/* every reply, in order */
	struct buf data;	/* every EV_DATA byte */
	char cmds[1024];	/* the command verbs, space-separated */
	int ends;		/* EV_DATA_END events */
	size_t msg_size;	/* of the last */
	int closed;		/* EV_CLOSE seen */
	int stuck;		/* no event, no input wanted, not closed */
	int early;		/* output while the engine still had input */
};

static void
run_init(struct run *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->out, 1 << 20);
	buf_init(&r->data, 1 << 20);
}

static void
run_free(struct run *r)
{
	buf_free(&r->out);
	buf_free(&r->data);
}

static void
run_events(struct smtp_server *s, struct run *r)
{
	struct smtp_server_event ev;

	while (smtp_server_next_event(s, &ev) != SMTP_SERVER_EV_NONE) {
		switch (ev.type) {
		case SMTP_SERVER_EV_COMMAND:
			if (r->cmds[0] != '\0')
				strlcat(r->cmds, " ", sizeof(r->cmds));
			strlcat(r->cmds, ev.verb, sizeof(r->cmds));
			smtp_server_accept(s);
			break;
		case SMTP_SERVER_EV_DATA:
			buf_append(&r->data, ev.data, ev.len);
			break;
		case SMTP_SERVER_EV_DATA_END:
			r->ends++;
			r->msg_size = ev.msg_size;
			smtp_server_accept(s);
			break;
		case SMTP_SERVER_EV_CLOSE:
			r->closed = 1;
			break;
		default:
			break;
		}
	}
}

/*
 * Drive s like a driver: answer everything with accept(), take the
 * output when the engine wants input, feed n bytes of in step bytes at
 * a time (0: all at once), then EOF when eof.
 */
static void
drive(struct smtp_server *s, const void *in, size_t n, size_t step,
    int eof, struct run *r)
{
	const char *p = in;
	const void *o;
	size_t pos = 0, k, len;

	for (;;) {
		run_events(s, r);
		o = smtp_server_output(s, &len);
		if (len > 0 && !smtp_server_wants_input(s) &&
		    !smtp_server_closed(s))
			r->early = 1;
		buf_append(&r->out, o, len);
		smtp_server_output_consume(s, len);
		if (smtp_server_closed(s))
			break;
		if (!smtp_server_wants_input(s)) {
			r->stuck = 1;
			break;
		}
		if (pos == n) {
			if (!eof)
				break;
			smtp_server_eof(s);
			eof = 0;
			continue;
		}
		k = step == 0 || n - pos < step ? n - pos : step;
		smtp_server_feed(s, p + pos, k);
		pos += k;
	}
	run_events(s, r);
	o = smtp_server_output(s, &len);
	buf_append(&r->out, o, len);
	smtp_server_output_consume(s, len);
}

/* Greeted and EHLO'd with caps (and the EHLO reply dropped). */
static struct smtp_server *
ehlod(unsigned caps, unsigned long long size_max)
{
	struct smtp_server *s = greeted(caps, size_max);

	cmd(s, "EHLO c.test\r\n");
	return s;
}

#define DRIVE(s, lit, step, r) drive((s), (lit), sizeof(lit) - 1, (step), \
	0, (r))

static void
test_bdat_basic(void)
{
	static const char msg[] = "Subject: x\r\n\r\nhi\r\n";
	struct smtp_server *s = ehlod(CHUNKY, 0);
	struct smtp_server_envelope env;
	struct smtp_server_event ev;
	struct run r;
	char got[64];
	size_t glen = 0, msg_size = 0;

	cmd(s, "MAIL FROM:<a@b.test>\r\n");
	cmd(s, "RCPT TO:<c@d.test>\r\n");
	FEED(s, "BDAT 18 LAST\r\nSubject: x\r\n\r\nhi\r\n");
	tap_is_int(smtp_server_next_event(s, &ev), SMTP_SERVER_EV_COMMAND,
	    "BDAT: a command event");
	tap_is_int(ev.cmd, SMTP_SERVER_CMD_BDAT, "  ... cmd BDAT");
	tap_is_str(ev.arg, "18 LAST", "  ... arg is size and LAST");
	tap_is_str(ev.line, "BDAT 18 LAST", "  ... the whole line");
	smtp_server_accept(s);
	tap_is_str(take(s), "", "BDAT LAST accepted: no reply of its own");
	tap_is_str(smtp_server_state_name(s), "CHUNK", "state CHUNK");
	tap_is_int(collect(s, got, sizeof(got), &glen, &msg_size), 1,
	    "single chunk LAST: data end");
	tap_is_mem(got, glen, msg, sizeof(msg) - 1, "  ... the octets");
	tap_is_int((long long)msg_size, 18, "  ... msg_size");
	smtp_server_envelope(s, &env);
	tap_is_int((long long)env.nrcpt, 1, "envelope valid at DATA_END");
	smtp_server_accept(s);
	tap_is_str(take(s), "250 2.0.0 Ok: queued\r\n",
	    "answered like the dot");
	tap_is_str(smtp_server_state_name(s), "READY", "READY again");
	smtp_server_envelope(s, &env);
	tap_ok(env.mail_from == NULL, "  ... transaction over");
	smtp_server_free(s);

	/* Several chunks; the data end's reply is the driver's. */
	s = ehlod(CHUNKY, 0);
	run_init(&r);
	DRIVE(s, "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 5\r\nHello"
	    "BDAT 3\r\n, wBDAT 4 LAST\r\norldNOOP\r\n", 0, &r);
	tap_is_str(buf_str(&r.out), "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
	    "250 2.0.0 5 octets received\r\n250 2.0.0 3 octets received\r\n"
	    "250 2.0.0 Ok: queued\r\n250 2.0.0 Ok\r\n",
	    "three chunks: one reply each, in order");
	tap_is_mem(r.data.data, r.data.len, "Hello, world", 12,
	    "  ... the message is the chunks joined");
	tap_is_int(r.ends, 1, "  ... one data end");
	tap_is_int((long long)r.msg_size, 12, "  ... msg_size counts them all");
	tap_is_str(r.cmds, "MAIL RCPT BDAT BDAT BDAT NOOP",
	    "  ... the octets were not taken for commands");
	tap_ok(!r.stuck && !r.early, "  ... driven without a hitch");
	run_free(&r);
	smtp_server_free(s);

	/* BDAT 0 and BDAT 0 LAST. */
	s = ehlod(CHUNKY, 0);
	run_init(&r);
	DRIVE(s, "MAIL FROM:<>\r\nRCPT TO:<c@d>\r\nBDAT 0\r\nBDAT 0 LAST\r\n",
	    0, &r);
	tap_is_str(buf_str(&r.out), "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
	    "250 2.0.0 0 octets received\r\n250 2.0.0 Ok: queued\r\n",
	    "BDAT 0, then BDAT 0 LAST: an empty message");
	tap_ok(r.ends == 1 && r.msg_size == 0 && r.data.len == 0,
	    "  ... data end with no octets");
	run_free(&r);
	smtp_server_free(s);

	/* Case and spacing of LAST. */
	s = ehlod(CHUNKY, 0);
	run_init(&r);
	DRIVE(s, "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nbdat 2  last\r\nok", 0,
	    &r);
	tap_ok(r.ends == 1 && r.msg_size == 2, "\"bdat 2  last\": LAST");
	run_free(&r);
	smtp_server_free(s);
}

static void
test_bdat_octets(void)
{
	static const char chunk[] = "a\r\n.\r\nb\n.\nc\r\r\n..\r\n.";
	static const char sess[] = "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n"
	    "BDAT 19\r\na\r\n.\r\nb\n.\nc\r\r\n..\r\n."
	    "BDAT 12 LAST\r\nQUIT\r\nRSET\r\n"
	    "QUIT\r\n";
	static const char want_out[] = "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
	    "250 2.0.0 19 octets received\r\n250 2.0.0 Ok: queued\r\n"
	    "221 2.0.0 Bye\r\n";
	struct smtp_server *s;
	struct buf want;
	struct run r;
	size_t step;
	int ok = 1;

	buf_init(&want, 1024);
	buf_append(&want, chunk, sizeof(chunk) - 1);
	buf_append(&want, "QUIT\r\nRSET\r\n", 12);
	s = ehlod(CHUNKY, 0);
	run_init(&r);
	DRIVE(s, sess, 0, &r);
	tap_is_str(buf_str(&r.out), want_out,
	    "MAIL, RCPT, two chunks and QUIT in one feed: replies in order");
	tap_is_mem(r.data.data, r.data.len, want.data, want.len,
	    "  ... CRLF.CRLF, bare LF, \"..\" and command lines kept verbatim");
	tap_is_str(r.cmds, "MAIL RCPT BDAT BDAT QUIT",
	    "  ... nothing inside a chunk is a command");
	tap_ok(r.closed && r.ends == 1, "  ... message ended, session closed");
	run_free(&r);
	smtp_server_free(s);

	for (step = 1; step <= 7; step++) {
		s = ehlod(CHUNKY, 0);
		run_init(&r);
		DRIVE(s, sess, step, &r);
		if (strcmp(buf_str(&r.out), want_out) != 0 ||
		    r.data.len != want.len ||
		    memcmp(r.data.data, want.data, want.len) != 0 ||
		    r.stuck || r.early || !r.closed)
			ok = 0;
		run_free(&r);
		smtp_server_free(s);
	}
	tap_ok(ok, "the same fed 1 to 7 bytes at a time, never stuck");
	buf_free(&want);
}

static void
test_bdat_hold(void)
{
	struct smtp_server *s = ehlod(CHUNKY, 0);
	struct smtp_server_event ev;
	struct run r;

	cmd(s, "MAIL FROM:<a@b>\r\n");
	cmd(s, "RCPT TO:<c@d>\r\n");
	FEED(s, "BDAT 5\r\nab");
	smtp_server_next_event(s, &ev);
	smtp_server_accept(s);
	tap_is_int(smtp_server_next_event(s, &ev), SMTP_SERVER_EV_DATA,
	    "partial chunk: its octets so far");
	tap_is_int((long long)ev.len, 2, "  ... two");
	tap_is_int(smtp_server_next_event(s, &ev), SMTP_SERVER_EV_NONE,
	    "  ... then nothing");
	tap_ok(smtp_server_wants_input(s), "  ... wants input");
	tap_is_str(take(s), "", "the chunk's 250 waits for its last octet");
	FEED(s, "cde");
	tap_is_int(smtp_server_next_event(s, &ev), SMTP_SERVER_EV_DATA,
	    "the rest");
	tap_is_int(smtp_server_next_event(s, &ev), SMTP_SERVER_EV_NONE,
	    "  ... then nothing");
	tap_is_str(take(s), "250 2.0.0 5 octets received\r\n",
	    "  ... and now the 250");
	tap_is_str(smtp_server_state_name(s), "BDAT", "state BDAT");
	smtp_server_free(s);

	/* EOF inside a chunk: the chunk's reply never leaves. */
	s = ehlod(CHUNKY, 0);
	run_init(&r);
	drive(s, "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 10\r\nabc", 40, 0,
	    1, &r);
	tap_is_str(buf_str(&r.out), "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n",
	    "EOF inside a chunk: no reply to it");
	tap_ok(r.closed && r.ends == 0, "  ... closed, no data end");
	run_free(&r);
	smtp_server_free(s);
}

static void
test_bdat_sequence(void)
{
	struct smtp_server *s;
	struct smtp_server_envelope env;
	struct run r;

	s = ehlod(CHUNKY, 0);
	run_init(&r);
	DRIVE(s, "BDAT 6\r\nRSET\r\nNOOP\r\n", 0, &r);
	tap_is_str(buf_str(&r.out), "503 5.5.1 Error: need MAIL command\r\n"
	    "250 2.0.0 Ok\r\n", "BDAT before MAIL: 503, its octets skipped");
	tap_is_str(r.cmds, "BDAT NOOP", "  ... the RSET inside was data");
	tap_is_int((long long)r.data.len, 0, "  ... and not handed out");
	run_free(&r);
	smtp_server_free(s);

	s = ehlod(CHUNKY, 0);
	run_init(&r);
	DRIVE(s, "MAIL FROM:<a@b>\r\nBDAT 4 LAST\r\nNOOPNOOP\r\n", 0, &r);
	tap_is_str(buf_str(&r.out), "250 2.1.0 Ok\r\n"
	    "554 5.5.1 No valid recipients\r\n250 2.0.0 Ok\r\n",
	    "BDAT LAST without a recipient: 554, octets skipped, in sync");
	tap_is_str(smtp_server_state_name(s), "READY",
	    "  ... a refused BDAT LAST ends the transaction");
	run_free(&r);
	smtp_server_free(s);

	s = ehlod(CHUNKY, 0);
	run_init(&r);
	DRIVE(s, "MAIL FROM:<a@b>\r\nRCPT TO:<x@y>\r\nDATA\r\n.\r\n"
	    "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 2\r\nabDATA\r\n"
	    "RCPT TO:<e@f>\r\nMAIL FROM:<g@h>\r\nBDAT 1 LAST\r\nx", 0, &r);
	tap_is_str(buf_str(&r.out), "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
	    "354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Ok: queued\r\n"
	    "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.0.0 2 octets received\r\n"
	    "503 5.5.1 Error: DATA after BDAT\r\n"
	    "503 5.5.1 Error: RCPT after BDAT\r\n"
	    "503 5.5.1 Error: nested MAIL command\r\n250 2.0.0 Ok: queued\r\n",
	    "DATA, RCPT and MAIL between chunks: 503; the message goes on");
	tap_ok(r.ends == 2 && r.msg_size == 3, "  ... two messages, 3 octets");
	run_free(&r);
	smtp_server_free(s);

	/* BDAT after a refused DATA in the same transaction. */
	{
		struct smtp_server_event ev;

		s = ehlod(CHUNKY, 0);
		cmd(s, "MAIL FROM:<a@b>\r\n");
		cmd(s, "RCPT TO:<c@d>\r\n");
		FEED(s, "DATA\r\n");
		smtp_server_next_event(s, &ev);
		smtp_server_reply(s, 451, "4.3.0 not now");
		take(s);
		run_init(&r);
		DRIVE(s, "BDAT 3 LAST\r\nabcNOOP\r\n", 0, &r);
		tap_is_str(buf_str(&r.out),
		    "503 5.5.1 Error: BDAT after DATA\r\n250 2.0.0 Ok\r\n",
		    "BDAT after DATA: 503, octets skipped");
		tap_ok(r.ends == 0, "  ... no message");
		run_free(&r);
		smtp_server_free(s);
	}

	/* RSET between chunks drops the message. */
	s = ehlod(CHUNKY, 0);
	run_init(&r);
	DRIVE(s, "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 5\r\nfirstRSET\r\n",
	    0, &r);
	smtp_server_envelope(s, &env);
	tap_ok(env.mail_from == NULL && env.nrcpt == 0 &&
	    strcmp(smtp_server_state_name(s), "READY") == 0,
	    "RSET after a chunk: no transaction left");
	buf_reset(&r.out);
	DRIVE(s, "BDAT 3 LAST\r\nxyz", 0, &r);
	tap_is_str(buf_str(&r.out), "503 5.5.1 Error: need MAIL command\r\n",
	    "  ... a BDAT now needs MAIL again");
	buf_reset(&r.data);
	DRIVE(s, "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 6 LAST\r\nsecond",
	    0, &r);
	tap_is_mem(r.data.data, r.data.len, "second", 6,
	    "  ... the next message has only its own octets");
	tap_ok(r.ends == 1 && r.msg_size == 6, "  ... msg_size 6");
	run_free(&r);
	smtp_server_free(s);

	/* EHLO between chunks too. */
	s = ehlod(CHUNKY, 0);
	run_init(&r);
	DRIVE(s, "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 1\r\nxEHLO c\r\n",
	    0, &r);
	tap_is_str(smtp_server_state_name(s), "READY",
	    "EHLO after a chunk: READY");
	run_free(&r);
	smtp_server_free(s);

	/* 20 bad BDATs: the 421 comes after the last one's octets. */
	{
		int i;

		s = ehlod(CHUNKY, 0);
		run_init(&r);
		for (i = 0; i < 19; i++)
			DRIVE(s, "BDAT 1\r\nx", 0, &r);
		buf_reset(&r.out);
		DRIVE(s, "BDAT 2\r\nxy", 0, &r);
		tap_is_str(buf_str(&r.out), "503 5.5.1 Error: need MAIL "
		    "command\r\n421 4.7.0 Too many errors\r\n",
		    "20th bad BDAT: its reply, then 421");
		tap_ok(smtp_server_closed(s), "  ... closed");
		run_free(&r);
		smtp_server_free(s);
	}
}

static void
test_bdat_unoffered(void)
{
	struct smtp_server *s = ehlod(SMTP_CAP_PIPELINING, 0);
	struct run r;

	run_init(&r);
	DRIVE(s, "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 6 LAST\r\nNOOP\r\n"
	    "NOOP\r\n", 0, &r);
	tap_is_str(buf_str(&r.out), "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
	    "502 5.5.1 Error: command not implemented\r\n250 2.0.0 Ok\r\n",
	    "CHUNKING not offered: 502, and the octets are still skipped");
	tap_is_str(r.cmds, "MAIL RCPT BDAT NOOP",
	    "  ... never read as commands");
	tap_is_str(smtp_server_state_name(s), "RCPT",
	    "  ... the transaction is as it was");
	buf_reset(&r.out);
	DRIVE(s, "DATA\r\nhi\r\n.\r\n", 0, &r);
	tap_is_str(buf_str(&r.out), "354 End data with <CR><LF>.<CR><LF>\r\n"
	    "250 2.0.0 Ok: queued\r\n", "  ... and DATA works after it");
	buf_reset(&r.out);
	DRIVE(s, "BDAT x\r\nNOOP\r\n", 0, &r);
	tap_is_str(buf_str(&r.out), "502 5.5.1 Error: command not "
	    "implemented\r\n250 2.0.0 Ok\r\n",
	    "  ... a size that does not read: the next line is a command");
	tap_ok(!smtp_server_closed(s), "  ... still open");
	run_free(&r);
	smtp_server_free(s);
}

static void
test_bdat_sizes(void)
{
	static const char *const bad[] = { "BDAT\r\n", "BDAT x\r\n",
	    "BDAT -5\r\n", "BDAT +5\r\n", "BDAT 5x LAST\r\n",
	    "BDAT 1000000000001\r\n", "BDAT 99999999999999999999999 LAST\r\n",
	    "BDAT 18446744073709551617\r\n" };
	struct smtp_server *s;
	struct run r;
	size_t i;
	int ok = 1;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s = ehlod(CHUNKY, 0);
		cmd(s, "MAIL FROM:<a@b>\r\n");
		cmd(s, "RCPT TO:<c@d>\r\n");
		run_init(&r);
		drive(s, bad[i], strlen(bad[i]), 0, 0, &r);
		if (strcmp(buf_str(&r.out), "501 5.5.4 Syntax: BDAT size "
		    "[LAST]\r\n421 4.5.0 BDAT size unreadable, closing\r\n")
		    != 0 || !r.closed) {
			tap_diag("%s: %s", bad[i], buf_str(&r.out));
			ok = 0;
		}
		run_free(&r);
		smtp_server_free(s);
	}
	tap_ok(ok, "sizes that are not digits, absurd or past 64 bits: "
	    "501 and the session ends");

	s = ehlod(CHUNKY, 0);
	run_init(&r);
	DRIVE(s, "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 5 FIRST\r\nabcde"
	    "BDAT 1 LAST\r\nxNOOP\r\n", 0, &r);
	tap_is_str(buf_str(&r.out), "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
	    "501 5.5.4 Syntax: BDAT size [LAST]\r\n"
	    "501 5.5.4 Syntax: BDAT size [LAST]\r\n250 2.0.0 Ok\r\n",
	    "a size that reads but junk after it: 501, octets skipped, and "
	    "the message is void");
	tap_ok(r.ends == 0 && !r.closed, "  ... no message, still open");
	run_free(&r);
	smtp_server_free(s);

	/* The largest size still reads: its octets would be skipped. */
	s = ehlod(CHUNKY, 1000);
	run_init(&r);
	DRIVE(s, "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n"
	    "BDAT 1000000000000 LAST\r\n0123456789", 0, &r);
	tap_is_str(buf_str(&r.out), "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n",
	    "BDAT 10^12 over SIZE: its 552 waits for the octets");
	tap_ok(smtp_server_wants_input(s) && !smtp_server_closed(s),
	    "  ... which it reads");
	run_free(&r);
	smtp_server_free(s);
}

static void
test_bdat_size_limit(void)
{
	struct smtp_server *s = ehlod(CHUNKY | SMTP_CAP_SIZE, 10);
	struct run r;

	run_init(&r);
	DRIVE(s, "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 6\r\n012345"
	    "BDAT 6\r\n6789ab" "BDAT 2\r\ncd" "BDAT 0 LAST\r\nNOOP\r\n", 0, &r);
	tap_is_str(buf_str(&r.out), "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
	    "250 2.0.0 6 octets received\r\n"
	    "552 5.3.4 Message size exceeds fixed limit\r\n"
	    "552 5.3.4 Message size exceeds fixed limit\r\n"
	    "552 5.3.4 Message size exceeds fixed limit\r\n250 2.0.0 Ok\r\n",
	    "size limit across chunks: 552 for the chunk past it and every "
	    "later one");
	tap_is_mem(r.data.data, r.data.len, "012345", 6,
	    "  ... the refused chunks are not handed out");
	tap_ok(r.ends == 0, "  ... and there is no data end");
	tap_is_str(smtp_server_state_name(s), "READY",
	    "  ... BDAT LAST ended the transaction");
	run_free(&r);
	run_init(&r);
	DRIVE(s, "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 11 LAST\r\n"
	    "0123456789aBDAT 10 LAST\r\n0123456789", 0, &r);
	tap_is_str(buf_str(&r.out), "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
	    "552 5.3.4 Message size exceeds fixed limit\r\n"
	    "503 5.5.1 Error: need MAIL command\r\n",
	    "one chunk over the limit: 552, and the transaction is over");
	run_free(&r);
	run_init(&r);
	DRIVE(s, "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 10 LAST\r\n"
	    "0123456789", 0, &r);
	tap_ok(r.ends == 1 && r.msg_size == 10, "exactly the limit: fine");
	run_free(&r);
	smtp_server_free(s);
}

static void
test_bdat_hook(void)
{
	struct smtp_server *s;
	struct smtp_server_event ev;
	struct run r;

	/* The driver refuses a chunk: later ones get the same reply. */
	s = ehlod(CHUNKY, 0);
	cmd(s, "MAIL FROM:<a@b>\r\n");
	cmd(s, "RCPT TO:<c@d>\r\n");
	FEED(s, "BDAT 3\r\nabcBDAT 3\r\ndefBDAT 1 LAST\r\ngNOOP\r\n");
	smtp_server_next_event(s, &ev);
	smtp_server_reply(s, 452, "4.3.1 Disk full");
	tap_is_int(smtp_server_next_event(s, &ev), SMTP_SERVER_EV_COMMAND,
	    "refused chunk: no EV_DATA, the next BDAT follows");
	tap_is_str(ev.line, "BDAT 3", "  ... the second BDAT");
	run_init(&r);
	smtp_server_accept(s);
	drive(s, "", 0, 0, 0, &r);
	tap_is_str(buf_str(&r.out), "452 4.3.1 Disk full\r\n"
	    "452 4.3.1 Disk full\r\n452 4.3.1 Disk full\r\n250 2.0.0 Ok\r\n",
	    "  ... every later chunk gets the driver's 452 again");
	tap_ok(r.data.len == 0 && r.ends == 0, "  ... no data at all");
	run_free(&r);
	smtp_server_free(s);

	/* A 2xx from the driver where the engine refuses changes nothing. */
	s = ehlod(CHUNKY | SMTP_CAP_SIZE, 4);
	cmd(s, "MAIL FROM:<a@b>\r\n");
	cmd(s, "RCPT TO:<c@d>\r\n");
	FEED(s, "BDAT 5\r\nabcdeBDAT 0 LAST\r\n");
	smtp_server_next_event(s, &ev);
	smtp_server_reply(s, 250, "2.0.0 sure");
	run_init(&r);
	drive(s, "", 0, 0, 0, &r);
	tap_is_str(buf_str(&r.out), "250 2.0.0 sure\r\n"
	    "552 5.3.4 Message size exceeds fixed limit\r\n",
	    "driver's 250 to a chunk over SIZE: sent, but the message is void");
	tap_ok(r.data.len == 0 && r.ends == 0, "  ... nothing handed out");
	run_free(&r);
	smtp_server_free(s);

	/* The driver's 2xx to BDAT LAST only lets the octets in. */
	s = ehlod(CHUNKY, 0);
	cmd(s, "MAIL FROM:<a@b>\r\n");
	cmd(s, "RCPT TO:<c@d>\r\n");
	FEED(s, "BDAT 2 LAST\r\nhi");
	smtp_server_next_event(s, &ev);
	smtp_server_reply(s, 250, "2.0.0 go on");
	tap_is_int(smtp_server_next_event(s, &ev), SMTP_SERVER_EV_DATA,
	    "driver's 250 to BDAT LAST: the octets come");
	tap_is_int(smtp_server_next_event(s, &ev), SMTP_SERVER_EV_DATA_END,
	    "  ... then the data end");
	smtp_server_reply(s, 554, "5.7.1 spam");
	tap_is_str(take(s), "554 5.7.1 spam\r\n",
	    "  ... whose answer is the only reply");
	tap_is_str(smtp_server_state_name(s), "READY", "  ... READY");
	smtp_server_free(s);

	/* 421 to BDAT: closed at once. */
	s = ehlod(CHUNKY, 0);
	FEED(s, "BDAT 2\r\nhi");
	smtp_server_next_event(s, &ev);
	smtp_server_reply(s, 421, "4.3.0 bye");
	tap_is_str(take(s), "421 4.3.0 bye\r\n", "421 to BDAT: out at once");
	tap_ok(smtp_server_closed(s), "  ... closed");
	smtp_server_free(s);
}

/* ---- SMTPUTF8 (RFC 6531) and parameters ----------------------------- */

static void
test_smtputf8(void)
{
	struct smtp_server *s = ehlod(SMTP_CAP_SMTPUTF8, 0);
	struct smtp_server_envelope env;

	tap_is_str(cmd(s, "MAIL FROM:<j\xc3\xb6" "e@ex\xc3\xa4mple.test> "
	    "SMTPUTF8\r\n"), "250 2.1.0 Ok\r\n", "UTF-8 sender with SMTPUTF8");
	tap_is_str(cmd(s, "RCPT TO:<d\xc3\xbc@b.test>\r\n"), "250 2.1.5 Ok\r\n",
	    "  ... and a UTF-8 recipient");
	tap_is_str(cmd(s, "RCPT TO:<\xe7\x94\xb0\xe4\xb8\xad@\xf0\x9f\x98\x80."
	    "test>\r\n"), "250 2.1.5 Ok\r\n", "  ... 3- and 4-byte sequences");
	smtp_server_envelope(s, &env);
	tap_ok(env.smtputf8, "  ... envelope says SMTPUTF8");
	tap_is_str(env.mail_from, "j\xc3\xb6" "e@ex\xc3\xa4mple.test",
	    "  ... path kept as sent");
	cmd(s, "RSET\r\n");
	tap_is_str(cmd(s, "MAIL FROM:<j\xc3\xb6" "e@b.test>\r\n"),
	    "553 5.6.7 Non-ASCII address needs SMTPUTF8\r\n",
	    "UTF-8 sender without SMTPUTF8: 553 5.6.7");
	tap_is_str(cmd(s, "MAIL FROM:<a@b.test>\r\n"), "250 2.1.0 Ok\r\n",
	    "ASCII transaction");
	smtp_server_envelope(s, &env);
	tap_ok(!env.smtputf8, "  ... envelope says no SMTPUTF8");
	tap_is_str(cmd(s, "RCPT TO:<d\xc3\xbc@b.test>\r\n"),
	    "553 5.6.7 Non-ASCII address needs SMTPUTF8\r\n",
	    "  ... UTF-8 recipient: 553 5.6.7");
	tap_is_str(cmd(s, "RCPT TO:<d@b.test> SMTPUTF8\r\n"),
	    "555 5.5.4 Unsupported parameter: SMTPUTF8\r\n",
	    "SMTPUTF8 on RCPT: 555");
	cmd(s, "RSET\r\n");
	tap_is_str(cmd(s, "MAIL FROM:<\xff@b.test> SMTPUTF8\r\n"),
	    "501 5.5.4 Syntax: MAIL FROM:<address>\r\n",
	    "invalid UTF-8 (0xff): 501");
	tap_is_str(cmd(s, "MAIL FROM:<\xc0\xaf@b.test> SMTPUTF8\r\n"),
	    "501 5.5.4 Syntax: MAIL FROM:<address>\r\n", "  ... overlong");
	tap_is_str(cmd(s, "MAIL FROM:<\xed\xa0\x80@b.test> SMTPUTF8\r\n"),
	    "501 5.5.4 Syntax: MAIL FROM:<address>\r\n", "  ... surrogate");
	tap_is_str(cmd(s, "MAIL FROM:<a@b\xc3> SMTPUTF8\r\n"),
	    "501 5.5.4 Syntax: MAIL FROM:<address>\r\n", "  ... truncated");
	tap_is_str(cmd(s, "MAIL FROM:<\xf4\x90\x80\x80@b> SMTPUTF8\r\n"),
	    "501 5.5.4 Syntax: MAIL FROM:<address>\r\n",
	    "  ... past U+10FFFF");
	tap_is_str(cmd(s, "MAIL FROM:<a@b> SMTPUTF8=yes\r\n"),
	    "501 5.5.4 Bad parameter: SMTPUTF8=yes\r\n", "SMTPUTF8=yes: 501");
	tap_is_str(cmd(s, "MAIL FROM:<a@b> SMTPUTF8 SMTPUTF8\r\n"),
	    "501 5.5.4 Bad parameter: SMTPUTF8\r\n", "SMTPUTF8 twice: 501");
	smtp_server_free(s);

	s = ehlod(0, 0);
	tap_is_str(cmd(s, "MAIL FROM:<a@b> SMTPUTF8\r\n"),
	    "555 5.5.4 Unsupported parameter: SMTPUTF8\r\n",
	    "SMTPUTF8 not offered: 555");
	tap_is_str(cmd(s, "MAIL FROM:<j\xc3\xb6@b>\r\n"),
	    "553 5.6.7 Non-ASCII address needs SMTPUTF8\r\n",
	    "  ... UTF-8 sender: 553 5.6.7");
	smtp_server_free(s);
}

static void
test_params(void)
{
	struct smtp_server *s = ehlod(SMTP_CAP_8BITMIME | SMTP_CAP_DSN |
	    SMTP_CAP_SIZE | SMTP_CAP_AUTH, 0);

	tap_is_str(cmd(s, "MAIL FROM:<a@b> FOO=BAR\r\n"),
	    "555 5.5.4 Unsupported parameter: FOO=BAR\r\n", "unknown: 555");
	tap_is_str(cmd(s, "MAIL FROM:<a@b> BODY=BINARYMIME\r\n"),
	    "555 5.5.4 Unsupported parameter: BODY=BINARYMIME\r\n",
	    "BODY=BINARYMIME not offered: 555");
	tap_is_str(cmd(s, "MAIL FROM:<a@b> BODY=9BIT\r\n"),
	    "501 5.5.4 Bad parameter: BODY=9BIT\r\n", "BODY=9BIT: 501");
	tap_is_str(cmd(s, "MAIL FROM:<a@b> RET=ALL\r\n"),
	    "501 5.5.4 Bad parameter: RET=ALL\r\n", "RET=ALL: 501");
	tap_is_str(cmd(s, "MAIL FROM:<a@b> ENVID=a+2\r\n"),
	    "501 5.5.4 Bad parameter: ENVID=a+2\r\n", "ENVID with bad xtext");
	tap_is_str(cmd(s, "MAIL FROM:<a@b> SIZE=1 SIZE=2\r\n"),
	    "501 5.5.4 Bad parameter: SIZE=2\r\n", "SIZE twice: 501");
	tap_is_str(cmd(s, "MAIL FROM:<a@b> SIZE=\r\n"),
	    "501 5.5.4 Bad parameter: SIZE=\r\n", "SIZE= empty: 501");
	tap_is_str(cmd(s, "MAIL FROM:<a@b> NOTIFY=NEVER\r\n"),
	    "555 5.5.4 Unsupported parameter: NOTIFY=NEVER\r\n",
	    "NOTIFY on MAIL: 555");
	tap_is_str(cmd(s, "MAIL FROM:<a@b> -X\r\n"),
	    "501 5.5.4 Bad parameter: -X\r\n", "keyword syntax: 501");
	tap_is_str(cmd(s, "MAIL FROM:<a@b>  size=10  body=8bitmime "
	    "RET=hdrs ENVID=QQ+20314159 AUTH=<>\r\n"), "250 2.1.0 Ok\r\n",
	    "SIZE, BODY, RET, ENVID, AUTH (any case, extra spaces)");
	tap_is_str(cmd(s, "RCPT TO:<c@d> NOTIFY=SUCCESS,failure "
	    "ORCPT=rfc822;c@d\r\n"), "250 2.1.5 Ok\r\n", "NOTIFY and ORCPT");
	tap_is_str(cmd(s, "RCPT TO:<c@d> NOTIFY=NEVER,SUCCESS\r\n"),
	    "501 5.5.4 Bad parameter: NOTIFY=NEVER,SUCCESS\r\n",
	    "NOTIFY=NEVER,SUCCESS: 501");
	tap_is_str(cmd(s, "RCPT TO:<c@d> ORCPT=rfc822\r\n"),
	    "501 5.5.4 Bad parameter: ORCPT=rfc822\r\n", "ORCPT without ';'");
	tap_is_str(cmd(s, "RCPT TO:<c@d> ORCPT=utf-8;d\xc3\xbc@b\r\n"),
	    "250 2.1.5 Ok\r\n", "ORCPT=utf-8;... (RFC 6533)");
	tap_is_str(cmd(s, "RCPT TO:<c@d> SIZE=1\r\n"),
	    "555 5.5.4 Unsupported parameter: SIZE=1\r\n", "SIZE on RCPT: 555");
	smtp_server_free(s);

	s = ehlod(0, 0);
	tap_is_str(cmd(s, "MAIL FROM:<a@b> BODY=8BITMIME\r\n"),
	    "555 5.5.4 Unsupported parameter: BODY=8BITMIME\r\n",
	    "no 8BITMIME: BODY= 555");
	tap_is_str(cmd(s, "MAIL FROM:<a@b> SIZE=10\r\n"),
	    "555 5.5.4 Unsupported parameter: SIZE=10\r\n", "no SIZE: 555");
	tap_is_str(cmd(s, "MAIL FROM:<a@b> RET=FULL\r\n"),
	    "555 5.5.4 Unsupported parameter: RET=FULL\r\n", "no DSN: 555");
	tap_is_str(cmd(s, "MAIL FROM:<a@b>\r\n"), "250 2.1.0 Ok\r\n",
	    "no parameters: fine");
	tap_is_str(cmd(s, "RCPT TO:<c@d> NOTIFY=NEVER\r\n"),
	    "555 5.5.4 Unsupported parameter: NOTIFY=NEVER\r\n",
	    "no DSN: NOTIFY 555");
	smtp_server_free(s);

	s = ehlod(CHUNKY | SMTP_CAP_BINARYMIME, 0);
	{
		struct run r;

		run_init(&r);
		DRIVE(s, "MAIL FROM:<a@b> BODY=BINARYMIME\r\nRCPT TO:<c@d>\r\n"
		    "BDAT 1 LAST\r\n\x00", 0, &r);
		tap_is_str(buf_str(&r.out), "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
		    "250 2.0.0 Ok: queued\r\n",
		    "BODY=BINARYMIME offered: BDAT takes it");
		tap_is_mem(r.data.data, r.data.len, "", 1, "  ... a NUL octet");
		run_free(&r);
	}
	cmd(s, "MAIL FROM:<a@b> BODY=BINARYMIME\r\n");
	cmd(s, "RCPT TO:<c@d>\r\n");
	tap_is_str(cmd(s, "DATA\r\n"),
	    "503 5.5.1 Error: BODY=BINARYMIME needs BDAT\r\n",
	    "  ... DATA: 503 (RFC 3030 3)");
	smtp_server_free(s);
}

static void
test_rcpt_max(void)
{
	struct smtp_server_conf conf = { .hostname = "mx.test",
	    .caps = SMTP_CAP_PIPELINING, .rcpt_max = 3 };
	struct smtp_server *s = smtp_server_new(&conf);
	struct smtp_server_event ev;

	smtp_server_next_event(s, &ev);
	smtp_server_accept(s);
	take(s);
	tap_is_str(cmd(s, "EHLO c\r\n"), "250-mx.test\r\n250-PIPELINING\r\n"
	    "250 LIMITS RCPTMAX=3\r\n", "rcpt_max: LIMITS RCPTMAX=3 announced");
	cmd(s, "MAIL FROM:<a@b>\r\n");
	cmd(s, "RCPT TO:<c1@d>\r\n");
	cmd(s, "RCPT TO:<c2@d>\r\n");
	tap_is_str(cmd(s, "RCPT TO:<c3@d>\r\n"), "250 2.1.5 Ok\r\n",
	    "third RCPT: fine");
	tap_is_str(cmd(s, "RCPT TO:<c4@d>\r\n"),
	    "452 4.5.3 Error: too many recipients\r\n",
	    "fourth RCPT: 452 4.5.3");
	cmd(s, "RSET\r\n");
	cmd(s, "MAIL FROM:<a@b>\r\n");
	tap_is_str(cmd(s, "RCPT TO:<c1@d>\r\n"), "250 2.1.5 Ok\r\n",
	    "a new transaction counts anew");
	smtp_server_free(s);
}

int
main(void)
{
	test_greeting();
	test_ehlo();
	test_happy();
	test_sequence();
	test_reply_override();
	test_pipelining();
	test_data();
	test_size();
	test_starttls();
	test_limits();
	test_bdat_basic();
	test_bdat_octets();
	test_bdat_hold();
	test_bdat_sequence();
	test_bdat_unoffered();
	test_bdat_sizes();
	test_bdat_size_limit();
	test_bdat_hook();
	test_smtputf8();
	test_params();
	test_rcpt_max();
	return tap_done();
}
