/*
 * t_client: the client engine (smtp/client.h) against scripted server
 * bytes (client_harness.h), each scenario run twice: replies fed whole,
 * then one byte at a time.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/client.h"
#include "smtp/sasl.h"
#include "client_harness.h"
#include "tap.h"

static const char *const rcpts2[] = { "b@y.example", "c@y.example" };
static const struct smtp_client_txn txn2 = {
	"a@x.example", NULL, rcpts2, NULL, 2, false, false
};
static const struct smtp_client_txn txn2_last = {
	"a@x.example", NULL, rcpts2, NULL, 2, true, false
};
static const struct smtp_client_txn txn2_abandon = {
	"a@x.example", NULL, rcpts2, NULL, 2, false, true
};
static const struct smtp_client_txn txn2_abandon_last = {
	"a@x.example", NULL, rcpts2, NULL, 2, true, true
};

static void
test_pipelined_happy(void)
{
	struct h h;
	const char *n = "pipelined happy path";

	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.txn[h.ntxn++] = &txn2_last;
	tap_is_int(smtp_client_waiting(h.c), SMTP_CLIENT_WAIT_GREETING,
	    "waits for the greeting first");
	tap_ok(smtp_client_wants_input(h.c), "wants input at start");
	h_ready(&h, EHLO_PIPE, n);
	ev_is(&h, "READY", n);
	out_is(&h, "MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n"
	    "RCPT TO:<c@y.example>\r\nDATA\r\n", "pipelined: one flight");
	tap_is_int(smtp_client_waiting(h.c), SMTP_CLIENT_WAIT_MAIL,
	    "oldest outstanding is MAIL");
	srv(&h, "250 2.1.0 ok\r\n");
	tap_is_int(smtp_client_waiting(h.c), SMTP_CLIENT_WAIT_RCPT,
	    "then RCPT");
	srv(&h, "250 2.1.5 ok\r\n250 2.1.5 ok\r\n354 go\r\n");
	ev_is(&h, "BODY", n);
	out_is(&h, "hello\r\n..dot\r\n.\r\nQUIT\r\n",
	    "pipelined last: body, dot and QUIT together");
	tap_is_int(smtp_client_waiting(h.c), SMTP_CLIENT_WAIT_DATA_END,
	    "waits for the dot's reply");
	srv(&h, "250 2.0.0 queued as X\r\n");
	ev_is(&h, "R0:OK:250 R1:OK:250 T:OK:2", n);
	tap_is_str(h.rcpt_text, "250 2.0.0 queued as X", "EV_RCPT text");
	tap_is_int(smtp_client_waiting(h.c), SMTP_CLIENT_WAIT_QUIT,
	    "then QUIT's reply");
	srv(&h, "221 bye\r\n");
	ev_is(&h, "DONE", n);
	tap_ok(!smtp_client_wants_input(h.c), "no input wanted after DONE");
	tap_ok(strstr(buf_str(&h.trace), "hello") == NULL,
	    "body lines are not traced");
	tap_ok(strstr(buf_str(&h.trace), "C: RCPT TO:<c@y.example>\n") &&
	    strstr(buf_str(&h.trace), "S: 354 go\n") &&
	    strstr(buf_str(&h.trace), "I: state envelope -> body\n"),
	    "trace has commands, replies and state changes");
	h_free(&h);
}

static void
test_non_pipelined(void)
{
	struct h h;
	const char *n = "non-pipelined";

	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.txn[h.ntxn++] = &txn2_last;
	h_ready(&h, EHLO_PLAIN, n);
	ev_is(&h, "READY", n);
	out_is(&h, "MAIL FROM:<a@x.example>\r\n", "non-pipelined: MAIL alone");
	srv(&h, "250 ok\r\n");
	out_is(&h, "RCPT TO:<b@y.example>\r\n", "non-pipelined: RCPT 1");
	srv(&h, "250 ok\r\n");
	out_is(&h, "RCPT TO:<c@y.example>\r\n", "non-pipelined: RCPT 2");
	srv(&h, "250 ok\r\n");
	out_is(&h, "DATA\r\n", "non-pipelined: DATA");
	tap_is_int(smtp_client_waiting(h.c), SMTP_CLIENT_WAIT_DATA,
	    "waits for 354");
	srv(&h, "354 go\r\n");
	out_is(&h, "hello\r\n..dot\r\n.\r\n", "non-pipelined: no QUIT yet");
	srv(&h, "250 ok\r\n");
	ev_is(&h, "BODY R0:OK:250 R1:OK:250 T:OK:2", n);
	out_is(&h, "QUIT\r\n", "non-pipelined: QUIT after the dot's reply");
	smtp_client_eof(h.c, "closed");
	ev_is(&h, "DONE", "EOF while waiting for QUIT's reply");
	h_free(&h);
}

static void
test_helo_fallback(void)
{
	struct h h;
	const char *n = "HELO fallback";

	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.txn[h.ntxn++] = &txn2;
	h_ready(&h, "502 5.5.1 what\r\n", n);
	out_is(&h, "HELO client.example\r\n", n);
	srv(&h, "250 hi\r\n");
	ev_is(&h, "READY", n);
	tap_is_int(smtp_client_caps(h.c)->flags, 0, "HELO: no extensions");
	out_is(&h, "MAIL FROM:<a@x.example>\r\n", "HELO: not pipelined");
	h_free(&h);

	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h_ready(&h, "500 unknown\r\n", n);
	out_is(&h, "HELO client.example\r\n", "500 also falls back");
	srv(&h, "550 no\r\n");
	ev_is(&h, "F:unavailable", "HELO refused");
	h_free(&h);
}

static void
test_greeting(void)
{
	struct h h;
	struct err e;

	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	srv(&h, "554 5.3.2 go away\r\n");
	ev_is(&h, "F:unavailable", "greeting 554");
	out_is(&h, "QUIT\r\n", "greeting 554");
	tap_is_str(h.fail_text, "server refused the session: 554 5.3.2 go away",
	    "greeting 554: text");
	tap_ok(!smtp_client_wants_input(h.c), "greeting 554: no input");
	tap_is_int(smtp_client_mail(h.c, &txn2, &e), ERR_SOFTWARE,
	    "mail() after FAILED refused");
	srv(&h, "250 more\r\n");
	ev_is(&h, "", "feed after FAILED ignored");
	h_free(&h);

	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	srv(&h, "421 4.3.2 busy\r\n");
	ev_is(&h, "F:temp", "greeting 421");
	out_is(&h, "", "greeting 421");
	h_free(&h);

	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	srv(&h, "450 later\r\n");
	ev_is(&h, "F:temp", "greeting 450");
	h_free(&h);
}

static void
test_ehlo_refused(void)
{
	struct h h;

	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h_ready(&h, "550 5.7.1 not you\r\n", "EHLO 550");
	ev_is(&h, "F:unavailable", "EHLO 550");
	out_is(&h, "QUIT\r\n", "EHLO 550");
	h_free(&h);

	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h_ready(&h, "451 later\r\n", "EHLO 451");
	ev_is(&h, "F:temp", "EHLO 451");
	h_free(&h);
}

static void
test_mail_refused(void)
{
	struct h h;

	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.txn[h.ntxn++] = &txn2;
	h_ready(&h, EHLO_PLAIN, "MAIL 451");
	out_is(&h, "MAIL FROM:<a@x.example>\r\n", "MAIL 451");
	srv(&h, "451 4.3.0 try later\r\n");
	ev_is(&h, "READY R0:TEMP:451 R1:TEMP:451 T:TEMP:0 READY",
	    "MAIL 451: ready again at once");
	tap_is_str(h.rcpt_text, "451 4.3.0 try later", "MAIL 451: rcpt text");
	out_is(&h, "", "MAIL 451: no RCPT, and no RSET (no transaction open)");
	h_free(&h);

	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.txn[h.ntxn++] = &txn2_last;
	h_ready(&h, EHLO_PIPE, "MAIL 550 pipelined");
	out_is(&h, "MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n"
	    "RCPT TO:<c@y.example>\r\nDATA\r\n", "MAIL 550 pipelined");
	srv(&h, "550 5.7.1 no\r\n503 5.5.1 need MAIL\r\n"
	    "503 5.5.1 need MAIL\r\n503 5.5.1 need MAIL\r\n");
	ev_is(&h, "READY R0:PERM:550 R1:PERM:550 T:PERM:0",
	    "MAIL 550 pipelined");
	out_is(&h, "QUIT\r\n", "MAIL 550 pipelined, last: QUIT, no RSET");
	srv(&h, "221 bye\r\n");
	ev_is(&h, "DONE", "MAIL 550 pipelined: done");
	h_free(&h);
}

static void
test_rcpt_partial(void)
{
	struct h h;
	const char *n = "one of two RCPT 550";

	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.txn[h.ntxn++] = &txn2;
	h_ready(&h, EHLO_PIPE, n);
	out_is(&h, "MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n"
	    "RCPT TO:<c@y.example>\r\nDATA\r\n", n);
	srv(&h, "250 ok\r\n550 5.1.1 no such user\r\n250 ok\r\n354 go\r\n");
	out_is(&h, "hello\r\n..dot\r\n.\r\n", n);
	srv(&h, "250 2.0.0 queued\r\n");
	ev_is(&h, "READY BODY R0:PERM:550 R1:OK:250 T:OK:1 READY", n);
	out_is(&h, "", "no RSET after a delivered message");
	h_free(&h);

	/* Non-pipelined: the first one refused. */
	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.txn[h.ntxn++] = &txn2;
	h_ready(&h, EHLO_PLAIN, "non-pipelined RCPT 450");
	srv(&h, "250 ok\r\n450 4.2.1 full\r\n250 ok\r\n");
	out_is(&h, "MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n"
	    "RCPT TO:<c@y.example>\r\nDATA\r\n", "non-pipelined RCPT 450");
	srv(&h, "354 go\r\n");
	srv(&h, "250 ok\r\n");
	ev_is(&h, "READY BODY R0:TEMP:450 R1:OK:250 T:OK:1 READY",
	    "non-pipelined RCPT 450");
	h_free(&h);
}

static void
test_all_rcpt_refused(void)
{
	struct h h;
	const char *n = "all RCPT refused, DATA 354";

	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.txn[h.ntxn++] = &txn2;
	h_ready(&h, EHLO_PIPE, n);
	out_is(&h, "MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n"
	    "RCPT TO:<c@y.example>\r\nDATA\r\n", n);
	srv(&h, "250 ok\r\n550 no\r\n551 no\r\n354 go\r\n");
	ev_is(&h, "READY R0:PERM:550 R1:PERM:551 T:PERM:0", n);
	out_is(&h, ".\r\n", "RFC 2920: a lone dot, no body");
	srv(&h, "554 no valid recipients\r\n");
	out_is(&h, "", "then no RSET: the dot ended the transaction");
	ev_is(&h, "READY", n);
	h_free(&h);

	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.txn[h.ntxn++] = &txn2_last;
	h_ready(&h, EHLO_PIPE, "all refused, last");
	srv(&h, "250 ok\r\n550 no\r\n551 no\r\n354 go\r\n");
	out_is(&h, "MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n"
	    "RCPT TO:<c@y.example>\r\nDATA\r\n.\r\nQUIT\r\n",
	    "all refused, last: lone dot and QUIT");
	srv(&h, "554 no\r\n221 bye\r\n");
	ev_is(&h, "READY R0:PERM:550 R1:PERM:551 T:PERM:0 DONE",
	    "all refused, last");
	h_free(&h);

	/* Non-pipelined: DATA is never sent. */
	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.txn[h.ntxn++] = &txn2_last;
	h_ready(&h, EHLO_PLAIN, "all refused, non-pipelined");
	srv(&h, "250 ok\r\n550 no\r\n450 later\r\n");
	out_is(&h, "MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n"
	    "RCPT TO:<c@y.example>\r\nQUIT\r\n",
	    "all refused, non-pipelined: no DATA, QUIT");
	ev_is(&h, "READY R0:PERM:550 R1:TEMP:450 T:TEMP:0",
	    "all refused, non-pipelined");
	h_free(&h);
}

static void
test_abandon(void)
{
	struct h h;

	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.txn[h.ntxn++] = &txn2_abandon;
	h_ready(&h, EHLO_PLAIN, "abandon non-pipelined");
	srv(&h, "250 ok\r\n451 4.2.0 later\r\n");
	out_is(&h, "MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n"
	    "RSET\r\n", "abandon non-pipelined: RSET at the first 4xx");
	ev_is(&h, "READY R0:TEMP:451 R1:TEMP:0 T:TEMP:0",
	    "abandon non-pipelined");
	h_free(&h);

	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.txn[h.ntxn++] = &txn2_abandon_last;
	h_ready(&h, EHLO_PLAIN, "abandon non-pipelined last");
	srv(&h, "250 ok\r\n250 ok\r\n451 4.2.0 later\r\n");
	out_is(&h, "MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n"
	    "RCPT TO:<c@y.example>\r\nQUIT\r\n",
	    "abandon non-pipelined last: QUIT, no DATA");
	ev_is(&h, "READY R0:TEMP:0 R1:TEMP:451 T:TEMP:0",
	    "abandon non-pipelined last");
	tap_ok(strstr(h.rcpt_text, "abandoned") != NULL ||
	    strstr(h.rcpt_text, "451") != NULL, "abandon: text explains");
	h_free(&h);

	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.txn[h.ntxn++] = &txn2_abandon;
	h_ready(&h, EHLO_PIPE, "abandon pipelined, DATA 354");
	out_is(&h, "MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n"
	    "RCPT TO:<c@y.example>\r\nDATA\r\n", "abandon pipelined");
	srv(&h, "250 ok\r\n250 ok\r\n451 later\r\n354 go\r\n");
	ev_is(&h, "READY R0:TEMP:0 R1:TEMP:451 T:TEMP:0 F:temp",
	    "abandon pipelined, DATA 354");
	out_is(&h, "", "abandon pipelined: no dot, no body");
	h_free(&h);

	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.txn[h.ntxn++] = &txn2_abandon;
	h_ready(&h, EHLO_PIPE, "abandon pipelined, DATA 554");
	srv(&h, "250 ok\r\n250 ok\r\n451 later\r\n554 no\r\n");
	ev_is(&h, "READY R0:TEMP:0 R1:TEMP:451 T:TEMP:0",
	    "abandon pipelined, DATA 554");
	out_is(&h, "MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n"
	    "RCPT TO:<c@y.example>\r\nDATA\r\nRSET\r\n",
	    "abandon pipelined, DATA 554: RSET");
	h_free(&h);

	/* A 5xx recipient keeps its permanent outcome when a 4xx one makes
	 * the transaction be abandoned. */
	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.txn[h.ntxn++] = &txn2_abandon;
	h_ready(&h, EHLO_PIPE, "abandon with a 5xx recipient");
	srv(&h, "250 ok\r\n550 5.1.1 no\r\n451 later\r\n554 no\r\n");
	ev_is(&h, "READY R0:PERM:550 R1:TEMP:451 T:TEMP:0",
	    "abandon with a 5xx recipient: it stays permanent");
	h_free(&h);
}

static void
test_data_and_dot_refused(void)
{
	struct h h;

	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.txn[h.ntxn++] = &txn2;
	h_ready(&h, EHLO_PLAIN, "DATA 554");
	srv(&h, "250 ok\r\n250 ok\r\n250 ok\r\n554 5.3.0 no\r\n");
	ev_is(&h, "READY R0:PERM:554 R1:PERM:554 T:PERM:0", "DATA 554");
	out_is(&h, "MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n"
	    "RCPT TO:<c@y.example>\r\nDATA\r\nRSET\r\n", "DATA 554");
	h_free(&h);

	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.txn[h.ntxn++] = &txn2;
	h_ready(&h, EHLO_PIPE, "dot 451");
	srv(&h, "250 ok\r\n250 ok\r\n550 no\r\n354 go\r\n");
	srv(&h, "451 4.3.0 later\r\n");
	ev_is(&h, "READY BODY R0:TEMP:451 R1:PERM:550 T:TEMP:0 READY",
	    "dot 451");
	h_free(&h);

	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.txn[h.ntxn++] = &txn2_last;
	h_ready(&h, EHLO_PLAIN, "dot 554");
	srv(&h, "250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n");
	srv(&h, "554 5.6.0 spam\r\n");
	ev_is(&h, "READY BODY R0:PERM:554 R1:PERM:554 T:PERM:0", "dot 554");
	tap_is_str(h.rcpt_text, "554 5.6.0 spam", "dot 554: text");
	out_is(&h, "MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n"
	    "RCPT TO:<c@y.example>\r\nDATA\r\nhello\r\n..dot\r\n.\r\nQUIT\r\n",
	    "dot 554");
	h_free(&h);
}

static void
test_421_and_eof(void)
{
	struct h h;

	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.txn[h.ntxn++] = &txn2;
	h_ready(&h, EHLO_PIPE, "421 mid-transaction");
	srv(&h, "250 ok\r\n550 no\r\n421 4.3.2 shutting down\r\n");
	ev_is(&h, "READY R0:PERM:550 R1:TEMP:421 T:TEMP:0 F:temp",
	    "421 mid-transaction");
	tap_is_str(h.fail_text, "server closed the session: 421 4.3.2 "
	    "shutting down", "421: text");
	tap_ok(!smtp_client_wants_input(h.c), "421: no input wanted");
	h_free(&h);

	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.txn[h.ntxn++] = &txn2;
	h_ready(&h, EHLO_PIPE, "EOF mid-transaction");
	srv(&h, "250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n");
	smtp_client_eof(h.c, "timeout waiting for the server");
	ev_is(&h, "READY BODY R0:TEMP:0 R1:TEMP:0 T:TEMP:0 F:temp",
	    "EOF after the dot");
	tap_is_str(h.rcpt_text, "timeout waiting for the server",
	    "EOF: recipient text is why");
	tap_is_str(h.fail_text, "timeout waiting for the server",
	    "EOF: failure text is why");
	h_free(&h);

	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h_ready(&h, EHLO_PIPE, "reply when idle");
	srv(&h, "250 what\r\n");
	ev_is(&h, "READY F:protocol", "reply when idle");
	h_free(&h);

	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h_ready(&h, EHLO_PIPE, "421 when idle");
	srv(&h, "421 idle too long\r\n");
	ev_is(&h, "READY F:temp", "421 when idle");
	h_free(&h);

	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	srv(&h, "220 hi\r\n");
	srv(&h, "250-x\r\n251 y\r\n");
	ev_is(&h, "F:protocol", "malformed reply");
	h_free(&h);
}

static void
test_starttls(void)
{
	struct h h;
	const char *ehlo_tls = "250-mx.example\r\n250-PIPELINING\r\n"
	    "250-AUTH PLAIN\r\n250 STARTTLS\r\n";

	h_init(&h, "client.example", SMTP_CLIENT_TLS_STARTTLS, NULL);
	h.txn[h.ntxn++] = &txn2;
	h_ready(&h, EHLO_PIPE, "STARTTLS missing");
	ev_is(&h, "F:temp", "STARTTLS missing");
	out_is(&h, "QUIT\r\n", "STARTTLS missing: nothing but QUIT");
	tap_is_str(h.fail_text, "server does not offer STARTTLS",
	    "STARTTLS missing: text");
	h_free(&h);

	h_init(&h, "client.example", SMTP_CLIENT_TLS_STARTTLS, NULL);
	h_ready(&h, ehlo_tls, "STARTTLS injection");
	out_is(&h, "STARTTLS\r\n", "STARTTLS alone");
	/* One chunk, even in bytewise mode: the bytes arrive together. */
	smtp_client_feed(h.c, "220 go\r\n250 injected\r\n", 23);
	ev_is(&h, "F:protocol", "STARTTLS injection");
	out_is(&h, "", "STARTTLS injection: nothing sent");
	h_free(&h);

	h_init(&h, "client.example", SMTP_CLIENT_TLS_STARTTLS, NULL);
	h.auto_tls = false;
	h.txn[h.ntxn++] = &txn2;
	h_ready(&h, ehlo_tls, "STARTTLS");
	out_is(&h, "STARTTLS\r\n", "STARTTLS");
	srv(&h, "220 2.0.0 ready\r\n");
	ev_is(&h, "TLS", "STARTTLS: need TLS");
	tap_ok(!smtp_client_wants_input(h.c), "no input during the handshake");
	tap_is_int(smtp_client_waiting(h.c), SMTP_CLIENT_WAIT_NONE,
	    "not waiting during the handshake");
	smtp_client_tls_started(h.c);
	tap_is_int(smtp_client_caps(h.c)->flags, 0,
	    "caps forgotten after TLS");
	out_is(&h, "EHLO client.example\r\n", "EHLO again after TLS");
	srv(&h, "250-mx.example\r\n250 SIZE 1000\r\n");
	ev_is(&h, "READY", "after TLS: ready, no second STARTTLS");
	tap_is_int(smtp_client_caps(h.c)->flags, SMTP_CAP_SIZE,
	    "only the caps learned after TLS");
	out_is(&h, "MAIL FROM:<a@x.example>\r\n",
	    "no PIPELINING after TLS since not offered again");
	h_free(&h);

	h_init(&h, "client.example", SMTP_CLIENT_TLS_STARTTLS, NULL);
	h_ready(&h, ehlo_tls, "STARTTLS 454");
	srv(&h, "454 4.7.0 TLS not available\r\n");
	ev_is(&h, "F:temp", "STARTTLS 454");
	out_is(&h, "STARTTLS\r\nQUIT\r\n", "STARTTLS 454");
	h_free(&h);
}

/* SMTP_CLIENT_TLS_MAY: STARTTLS when offered, else on in clear. */
static void
test_starttls_may(void)
{
	struct h h;
	const char *ehlo_tls = "250-mx.example\r\n250-PIPELINING\r\n"
	    "250 STARTTLS\r\n";

	h_init(&h, "client.example", SMTP_CLIENT_TLS_MAY, NULL);
	h.txn[h.ntxn++] = &txn2;
	h_ready(&h, EHLO_PIPE, "may, not offered");
	ev_is(&h, "READY", "may, not offered: ready in clear");
	out_is(&h, "MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n"
	    "RCPT TO:<c@y.example>\r\nDATA\r\n",
	    "may, not offered: the transaction, no STARTTLS");
	h_free(&h);

	h_init(&h, "client.example", SMTP_CLIENT_TLS_MAY, NULL);
	h.auto_tls = false;
	h.txn[h.ntxn++] = &txn2;
	h_ready(&h, ehlo_tls, "may, offered");
	out_is(&h, "STARTTLS\r\n", "may, offered: STARTTLS alone");
	srv(&h, "220 2.0.0 ready\r\n");
	ev_is(&h, "TLS", "may, offered: need TLS");
	smtp_client_tls_started(h.c);
	out_is(&h, "EHLO client.example\r\n", "may: EHLO again after TLS");
	srv(&h, "250-mx.example\r\n250 STARTTLS\r\n");
	ev_is(&h, "READY", "may: ready after TLS, no second STARTTLS");
	out_is(&h, "MAIL FROM:<a@x.example>\r\n", "may: MAIL after TLS");
	h_free(&h);

	h_init(&h, "client.example", SMTP_CLIENT_TLS_MAY, NULL);
	h.txn[h.ntxn++] = &txn2;
	h_ready(&h, ehlo_tls, "may, refused");
	out_is(&h, "STARTTLS\r\n", "may, refused: STARTTLS");
	srv(&h, "454 4.7.0 TLS not available\r\n");
	ev_is(&h, "READY", "may, refused: on in clear");
	out_is(&h, "MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n"
	    "RCPT TO:<c@y.example>\r\nDATA\r\n",
	    "may, refused: the transaction without STARTTLS again");
	h_free(&h);

	h_init(&h, "client.example", SMTP_CLIENT_TLS_MAY, NULL);
	h.auto_tls = false;
	h_ready(&h, ehlo_tls, "may, injection");
	out_is(&h, "STARTTLS\r\n", "may, injection: STARTTLS");
	smtp_client_feed(h.c, "220 go\r\n250 injected\r\n", 23);
	ev_is(&h, "F:protocol", "may: bytes after the 220 still fail");
	out_is(&h, "", "may, injection: nothing sent");
	h_free(&h);

	h_init(&h, "client.example", SMTP_CLIENT_TLS_MAY, NULL);
	h.auto_tls = false;
	h_ready(&h, ehlo_tls, "may, handshake fails");
	srv(&h, "220 go\r\n");
	ev_is(&h, "TLS", "may, handshake fails: need TLS");
	smtp_client_tls_failed(h.c, "bad record");
	ev_is(&h, "F:temp", "may: a failed handshake fails the session");
	h_free(&h);
}

static struct smtp_sasl *
sasl_new(const char *mech, struct secret *pw, bool plaintext)
{
	struct smtp_sasl_conf conf = { .mech = mech, .user = "user",
	    .password = pw, .allow_plaintext = plaintext };

	return smtp_sasl_new(&conf);
}

static void
test_auth(void)
{
	struct secret pw;
	struct smtp_sasl *s;
	struct h h;

	secret_init(&pw);
	secret_set(&pw, "pass", 4);

	s = sasl_new(NULL, &pw, false);
	h_init(&h, "client.example", SMTP_CLIENT_TLS_IMPLICIT, s);
	h_ready(&h, "250-mx\r\n250 AUTH LOGIN PLAIN\r\n", "AUTH PLAIN");
	out_is(&h, "AUTH PLAIN AHVzZXIAcGFzcw==\r\n", "AUTH PLAIN");
	srv(&h, "235 2.7.0 ok\r\n");
	ev_is(&h, "READY", "AUTH PLAIN");
	tap_ok(strstr(buf_str(&h.trace), "C: AUTH PLAIN <redacted>\n") != NULL,
	    "AUTH PLAIN redacted in the trace");
	tap_ok(strstr(buf_str(&h.trace), "AHVz") == NULL,
	    "AUTH PLAIN payload not in the trace");
	h_free(&h);
	smtp_sasl_free(s);

	s = sasl_new("LOGIN", &pw, false);
	h_init(&h, "client.example", SMTP_CLIENT_TLS_IMPLICIT, s);
	h_ready(&h, "250-mx\r\n250 AUTH LOGIN PLAIN\r\n", "AUTH LOGIN");
	out_is(&h, "AUTH LOGIN\r\n", "AUTH LOGIN");
	srv(&h, "334 VXNlcm5hbWU6\r\n");
	out_is(&h, "dXNlcg==\r\n", "AUTH LOGIN user");
	srv(&h, "334 UGFzc3dvcmQ6\r\n");
	out_is(&h, "cGFzcw==\r\n", "AUTH LOGIN password");
	srv(&h, "235 ok\r\n");
	ev_is(&h, "READY", "AUTH LOGIN");
	tap_ok(strstr(buf_str(&h.trace), "C: <redacted>\nS: 334 UGFzc3dvcmQ6"
	    "\nC: <redacted>\n") != NULL, "AUTH LOGIN payloads redacted");
	h_free(&h);
	smtp_sasl_free(s);

	secret_free(&pw);
}

static void
test_auth_refused(void)
{
	struct secret pw;
	struct smtp_sasl *s;
	struct h h;

	secret_init(&pw);
	secret_set(&pw, "pass", 4);

	s = sasl_new(NULL, &pw, false);
	h_init(&h, "client.example", SMTP_CLIENT_TLS_IMPLICIT, s);
	h_ready(&h, "250-mx\r\n250 AUTH PLAIN\r\n", "AUTH 535");
	srv(&h, "535 5.7.8 bad credentials\r\n");
	ev_is(&h, "F:noperm", "AUTH 535");
	h_free(&h);
	smtp_sasl_free(s);

	s = sasl_new(NULL, &pw, false);
	h_init(&h, "client.example", SMTP_CLIENT_TLS_IMPLICIT, s);
	h_ready(&h, "250-mx\r\n250 AUTH PLAIN\r\n", "AUTH 454");
	srv(&h, "454 4.7.0 later\r\n");
	ev_is(&h, "F:temp", "AUTH 454");
	h_free(&h);
	smtp_sasl_free(s);

	s = sasl_new("LOGIN", &pw, false);
	h_init(&h, "client.example", SMTP_CLIENT_TLS_IMPLICIT, s);
	h_ready(&h, "250-mx\r\n250 AUTH LOGIN\r\n", "AUTH bad challenge");
	out_is(&h, "AUTH LOGIN\r\n", "AUTH bad challenge");
	srv(&h, "334 %%%\r\n");
	out_is(&h, "*\r\n", "AUTH bad challenge: cancelled with *");
	ev_is(&h, "F:protocol", "AUTH bad challenge");
	h_free(&h);
	smtp_sasl_free(s);

	s = sasl_new(NULL, &pw, false);
	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, s);
	h.txn[h.ntxn++] = &txn2;
	h_ready(&h, "250-mx\r\n250 AUTH PLAIN\r\n", "AUTH without TLS");
	ev_is(&h, "F:noperm", "AUTH without TLS");
	tap_is_str(h.fail_text,
	    "refusing AUTH PLAIN without TLS: it would expose the "
	    "credentials (auth_plaintext off)", "AUTH without TLS: text");
	out_is(&h, "QUIT\r\n", "AUTH without TLS: no AUTH, no MAIL");
	h_free(&h);
	smtp_sasl_free(s);

	secret_free(&pw);
}

static void
test_two_transactions(void)
{
	struct h h;
	const char *n = "two transactions";

	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.txn[h.ntxn++] = &txn2;
	h.txn[h.ntxn++] = &txn2_last;
	h_ready(&h, EHLO_PIPE, n);
	srv(&h, "250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n");
	srv(&h, "250 one\r\n");
	ev_is(&h, "READY BODY R0:OK:250 R1:OK:250 T:OK:2 READY", n);
	out_is(&h, "MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n"
	    "RCPT TO:<c@y.example>\r\nDATA\r\nhello\r\n..dot\r\n.\r\n"
	    "MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n"
	    "RCPT TO:<c@y.example>\r\nDATA\r\n", "two transactions: first");
	srv(&h, "250 ok\r\n450 no\r\n250 ok\r\n354 go\r\n");
	srv(&h, "250 two\r\n221 bye\r\n");
	ev_is(&h, "BODY R0:TEMP:450 R1:OK:250 T:OK:1 DONE", n);
	out_is(&h, "hello\r\n..dot\r\n.\r\nQUIT\r\n", "two transactions: last");
	h_free(&h);

	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.quit_at_ready = true;
	h_ready(&h, EHLO_PIPE, "quit at ready");
	out_is(&h, "QUIT\r\n", "quit at ready");
	srv(&h, "221 bye\r\n");
	ev_is(&h, "READY DONE", "quit at ready");
	h_free(&h);
}

static void
test_mail_checks(void)
{
	static const char *const bad1[] = { "b@y\r\nRSET" };
	static const char *const bad2[] = { "<b@y>" };
	static const char *const ok1[] = { "b@y" };
	static const char *const bad_params[] = { " X=1\r\nDATA" };
	char longp[600];
	const char *longr[1] = { longp };
	struct smtp_client_txn t = { "a@x", NULL, ok1, NULL, 1, false, false };
	struct err e;
	struct h h;

	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	tap_is_int(smtp_client_mail(h.c, &t, &e), ERR_SOFTWARE,
	    "mail() before READY");
	h_ready(&h, EHLO_PIPE, "mail checks");
	ev_is(&h, "READY", "mail checks");
	t.rcpts = bad1;
	tap_is_int(smtp_client_mail(h.c, &t, &e), ERR_SOFTWARE, "CRLF in path");
	t.rcpts = bad2;
	tap_is_int(smtp_client_mail(h.c, &t, &e), ERR_SOFTWARE, "<> in path");
	t.rcpts = longr;
	tap_is_int(smtp_client_mail(h.c, &t, &e), ERR_SOFTWARE, "line too long");
	t.rcpts = ok1;
	t.rcpt_params = bad_params;
	tap_is_int(smtp_client_mail(h.c, &t, &e), ERR_SOFTWARE,
	    "CRLF in params");
	t.rcpt_params = NULL;
	t.nrcpt = 0;
	tap_is_int(smtp_client_mail(h.c, &t, &e), ERR_SOFTWARE, "no recipient");
	t.nrcpt = 1;
	t.mail_from = "";
	t.mail_params = " BODY=8BITMIME";
	out_is(&h, "", "nothing sent for invalid transactions");
	tap_is_int(smtp_client_mail(h.c, &t, &e), ERR_OK, "null sender ok");
	out_is(&h, "MAIL FROM:<> BODY=8BITMIME\r\nRCPT TO:<b@y>\r\nDATA\r\n",
	    "null sender and params");
	tap_is_int(smtp_client_mail(h.c, &t, &e), ERR_SOFTWARE,
	    "mail() during a transaction");
	h_free(&h);
}

static void
test_body_control(void)
{
	struct h h;
	const void *o;
	size_t len, big = 33u << 20;
	char *huge;

	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.txn[h.ntxn++] = &txn2;
	h.body = NULL;
	h_ready(&h, EHLO_PIPE, "body control");
	srv(&h, "250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n");
	ev_is(&h, "READY BODY", "body control");
	out_is(&h, "MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n"
	    "RCPT TO:<c@y.example>\r\nDATA\r\n", "body control");
	tap_is_int(smtp_client_wants_input(h.c), 0,
	    "no input wanted while the body is written");
	huge = calloc(1, big);
	if (huge != NULL) {
		tap_is_int(smtp_client_body(h.c, huge, big), -1,
		    "body(): -1 past SMTP_CLIENT_OUT_MAX");
		smtp_client_output(h.c, &len);
		tap_is_int(len, 0, "body(): nothing appended on -1");
		free(huge);
	}
	tap_is_int(smtp_client_body(h.c, "x\r", 2), 0, "body(): split CR");
	tap_is_int(smtp_client_body(h.c, "\n.", 2), 0, "body(): dot");
	o = smtp_client_output(h.c, &len);
	tap_is_mem(o, len, "x\r\n..", 5, "body(): stuffed across calls");
	smtp_client_abort(h.c, "spool file unreadable");
	ev_is(&h, "R0:TEMP:0 R1:TEMP:0 T:TEMP:0 F:temp", "abort at NEED_BODY");
	tap_is_str(h.fail_text, "spool file unreadable", "abort: text");
	tap_is_int(smtp_client_body_end(h.c), 0, "body_end() after abort");
	h_free(&h);

	/* The dot's reply before the body was sent: a lying server. */
	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.txn[h.ntxn++] = &txn2;
	h.body = NULL;
	h_ready(&h, EHLO_PIPE, "early reply");
	srv(&h, "250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n250 sure\r\n");
	ev_is(&h, "READY R0:TEMP:0 R1:TEMP:0 T:TEMP:0 F:protocol",
	    "reply to a dot never sent");
	h_free(&h);

	h_init(&h, "client.example", SMTP_CLIENT_TLS_STARTTLS, NULL);
	h.auto_tls = false;
	h_ready(&h, "250-mx\r\n250 STARTTLS\r\n", "TLS failed");
	srv(&h, "220 go\r\n");
	smtp_client_tls_failed(h.c, "certificate expired");
	ev_is(&h, "TLS F:temp", "TLS handshake failed");
	tap_is_str(h.fail_text, "TLS handshake failed: certificate expired",
	    "TLS failed: text");
	tap_is_str(smtp_client_state_name(h.c), "failed", "state name");
	h_free(&h);
}

static void
run_all(void)
{
	test_pipelined_happy();
	test_non_pipelined();
	test_helo_fallback();
	test_greeting();
	test_ehlo_refused();
	test_mail_refused();
	test_rcpt_partial();
	test_all_rcpt_refused();
	test_abandon();
	test_data_and_dot_refused();
	test_421_and_eof();
	test_starttls();
	test_starttls_may();
	test_auth();
	test_auth_refused();
	test_two_transactions();
}

int
main(void)
{
	bytewise = false;
	run_all();
	bytewise = true;
	run_all();
	bytewise = false;
	test_mail_checks();
	test_body_control();
	return tap_done();
}
