#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/server.h"
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
	struct smtp_server *s = greeted(0, 0);
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
	tap_is_str(cmd(s, "BDAT 10 LAST\r\n"), "502 5.5.1 Not implemented\r\n",
	    "BDAT: not yet");
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

		tap_is_str(cmd(s, "RCPT TO:<\"a\\\">b\"@c> NOTIFY=NEVER\r\n"),
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
	    "501 5.5.4 Syntax: MAIL FROM:<address>\r\n", "SIZE=x");
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
	return tap_done();
}
