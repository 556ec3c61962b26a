/*
 * t_client_chunk: the client engine's BDAT (RFC 3030) and its handling of
 * 452 too many recipients (RFC 5321 4.5.3.1.10), against scripted server
 * bytes (client_harness.h); each scenario runs with replies fed whole,
 * then one byte at a time.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_harness.h"
#include "tap.h"

#define EHLO_CHUNK "250-mx.example hi\r\n250-PIPELINING\r\n" \
	"250-CHUNKING\r\n250 8BITMIME\r\n"
#define EHLO_CHUNK_NOPIPE "250-mx.example hi\r\n250-CHUNKING\r\n" \
	"250 8BITMIME\r\n"

static const char *const rcpts1[] = { "b@y.example" };
static const char *const rcpts2[] = { "b@y.example", "c@y.example" };
static const char *const rcpts3[] = { "b@y.example", "c@y.example",
	"d@y.example" };

/* mail_from, params, rcpts, rcpt_params, nrcpt, last, abandon */
static const struct smtp_client_txn one_last = {
	"a@x.example", NULL, rcpts1, NULL, 1, true, true
};
static const struct smtp_client_txn two_last = {
	"a@x.example", NULL, rcpts2, NULL, 2, true, true
};
static const struct smtp_client_txn two = {
	"a@x.example", NULL, rcpts2, NULL, 2, false, true
};
static const struct smtp_client_txn two_partial_last = {
	"a@x.example", NULL, rcpts2, NULL, 2, true, false
};
static const struct smtp_client_txn three_last = {
	"a@x.example", NULL, rcpts3, NULL, 3, true, true
};
/* The further transaction with what did not fit. */
static const struct smtp_client_txn rest_last = {
	"a@x.example", NULL, rcpts3 + 1, NULL, 2, true, true
};

/* h.body is "hello\n.dot\n": 13 bytes once normalised, not stuffed. */
#define BODY_CHUNK "hello\r\n.dot\r\n"

static void
test_one_shot(void)
{
	struct h h;
	const char *n = "BDAT one recipient";

	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.txn[h.ntxn++] = &one_last;
	h_ready(&h, EHLO_CHUNK, n);
	ev_is(&h, "READY BODY", n);
	tap_ok(smtp_client_bdat(h.c), "BDAT in use");
	out_is(&h, "MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n"
	    "BDAT 13 LAST\r\n" BODY_CHUNK "QUIT\r\n",
	    "one flight: MAIL, RCPT, BDAT LAST, QUIT");
	tap_is_int(smtp_client_waiting(h.c), SMTP_CLIENT_WAIT_MAIL,
	    "waits for MAIL's reply first");
	srv(&h, "250 2.1.0 ok\r\n250 2.1.5 ok\r\n");
	tap_is_int(smtp_client_waiting(h.c), SMTP_CLIENT_WAIT_DATA_END,
	    "then LAST's, with the final-dot timeout");
	srv(&h, "250 2.0.0 queued as X\r\n");
	ev_is(&h, "R0:OK:250 T:OK:1", n);
	tap_is_str(h.rcpt_text, "250 2.0.0 queued as X", n);
	srv(&h, "221 bye\r\n");
	ev_is(&h, "DONE", n);
	tap_ok(strstr(buf_str(&h.trace), "C: BDAT 13 LAST\n") != NULL,
	    "BDAT traced, the data not");
	tap_ok(strstr(buf_str(&h.trace), "hello") == NULL, "data not traced");
	h_free(&h);

	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.txn[h.ntxn++] = &one_last;
	h.body = "";
	h_ready(&h, EHLO_CHUNK, "empty body");
	out_is(&h, "MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n"
	    "BDAT 0 LAST\r\nQUIT\r\n", "empty body: BDAT 0 LAST");
	h_free(&h);
}

static void
test_one_shot_refused(void)
{
	struct h h;
	const char *n = "BDAT one recipient, refused";

	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.txn[h.ntxn++] = &one_last;
	h_ready(&h, EHLO_CHUNK, n);
	out_is(&h, "MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n"
	    "BDAT 13 LAST\r\n" BODY_CHUNK "QUIT\r\n", n);
	srv(&h, "250 ok\r\n550 5.1.1 no such user\r\n"
	    "554 5.5.1 no valid recipients\r\n221 bye\r\n");
	ev_is(&h, "READY BODY R0:PERM:550 T:PERM:0 DONE", n);
	h_free(&h);

	n = "BDAT MAIL refused";
	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.txn[h.ntxn++] = &one_last;
	h_ready(&h, EHLO_CHUNK, n);
	out_is(&h, "MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n"
	    "BDAT 13 LAST\r\n" BODY_CHUNK "QUIT\r\n", n);
	srv(&h, "553 5.7.1 sender refused\r\n503 5.5.1 need MAIL\r\n"
	    "503 5.5.1 need MAIL\r\n221 bye\r\n");
	ev_is(&h, "READY BODY R0:PERM:553 T:PERM:0 DONE", n);
	h_free(&h);

	n = "BDAT LAST refused";
	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.txn[h.ntxn++] = &one_last;
	h_ready(&h, EHLO_CHUNK, n);
	out_is(&h, "MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n"
	    "BDAT 13 LAST\r\n" BODY_CHUNK "QUIT\r\n", n);
	srv(&h, "250 ok\r\n250 ok\r\n451 4.3.0 try later\r\n221 bye\r\n");
	ev_is(&h, "READY BODY R0:TEMP:451 T:TEMP:0 DONE", n);
	h_free(&h);
}

/* Two recipients and abandon_on_temp_rcpt: LAST waits for the RCPTs. */
static void
test_hold(void)
{
	struct h h;
	const char *n = "BDAT two recipients";

	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.txn[h.ntxn++] = &two_last;
	h_ready(&h, EHLO_CHUNK, n);
	ev_is(&h, "READY BODY", n);
	out_is(&h, "MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n"
	    "RCPT TO:<c@y.example>\r\nBDAT 13\r\n" BODY_CHUNK,
	    "first flight: the data, not LAST");
	srv(&h, "250 ok\r\n250 ok\r\n");
	out_is(&h, "", "nothing before the last RCPT reply");
	srv(&h, "250 ok\r\n");
	out_is(&h, "BDAT 0 LAST\r\nQUIT\r\n", "then LAST and QUIT");
	srv(&h, "250 2.0.0 13 octets\r\n250 2.0.0 queued\r\n221 bye\r\n");
	ev_is(&h, "R0:OK:250 R1:OK:250 T:OK:2 DONE", n);
	h_free(&h);

	n = "BDAT two recipients, one 4xx";
	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.txn[h.ntxn++] = &two_last;
	h_ready(&h, EHLO_CHUNK, n);
	ev_is(&h, "READY BODY", n);
	out_is(&h, "MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n"
	    "RCPT TO:<c@y.example>\r\nBDAT 13\r\n" BODY_CHUNK, n);
	srv(&h, "250 ok\r\n250 ok\r\n450 4.2.1 busy\r\n");
	out_is(&h, "QUIT\r\n", "called off: QUIT, no LAST");
	ev_is(&h, "R0:TEMP:0 R1:TEMP:450 T:TEMP:0", n);
	srv(&h, "250 2.0.0 13 octets\r\n221 bye\r\n");
	ev_is(&h, "DONE", n);
	h_free(&h);

	n = "BDAT not last, one 4xx";
	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.txn[h.ntxn++] = &two;
	h.quit_at_ready = true;
	h_ready(&h, EHLO_CHUNK, n);
	out_is(&h, "MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n"
	    "RCPT TO:<c@y.example>\r\nBDAT 13\r\n" BODY_CHUNK, n);
	srv(&h, "250 ok\r\n450 4.2.1 busy\r\n250 ok\r\n");
	out_is(&h, "RSET\r\n", "called off: RSET discards the chunk");
	srv(&h, "250 2.0.0 13 octets\r\n250 2.0.0 reset\r\n");
	ev_is(&h, "READY BODY R0:TEMP:450 R1:TEMP:0 T:TEMP:0 READY", n);
	out_is(&h, "QUIT\r\n", n);
	h_free(&h);

	n = "BDAT partial allowed";
	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.txn[h.ntxn++] = &two_partial_last;
	h_ready(&h, EHLO_CHUNK, n);
	out_is(&h, "MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n"
	    "RCPT TO:<c@y.example>\r\nBDAT 13 LAST\r\n" BODY_CHUNK,
	    "no waiting when a partial delivery is fine; QUIT waits");
	srv(&h, "250 ok\r\n250 ok\r\n450 4.2.1 busy\r\n250 2.0.0 queued\r\n");
	ev_is(&h, "READY BODY R0:OK:250 R1:TEMP:450 T:OK:1", n);
	out_is(&h, "QUIT\r\n", n);
	h_free(&h);
}

static void
test_no_pipelining(void)
{
	struct h h;
	const char *n = "CHUNKING without PIPELINING";

	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.txn[h.ntxn++] = &one_last;
	h_ready(&h, EHLO_CHUNK_NOPIPE, n);
	out_is(&h, "MAIL FROM:<a@x.example>\r\n", "DATA path: MAIL alone");
	tap_ok(!smtp_client_bdat(h.c), "no BDAT");
	srv(&h, "250 ok\r\n");
	out_is(&h, "RCPT TO:<b@y.example>\r\n", n);
	srv(&h, "250 ok\r\n");
	out_is(&h, "DATA\r\n", n);
	h_free(&h);
}

/* The concatenated chunk data of out[0..len) after the envelope; -1 when
 * the framing is wrong.  *nchunks, *last_seen report what was found. */
static long
unchunk(const char *out, size_t len, struct buf *data, int *nchunks,
    bool *last_seen)
{
	const char *p = out, *end = out + len, *eol;
	unsigned long n;
	char *num_end;

	*nchunks = 0;
	*last_seen = false;
	while (p < end) {
		if ((eol = memmem(p, (size_t)(end - p), "\r\n", 2)) == NULL)
			return -1;
		if (strncmp(p, "BDAT ", 5) != 0) {
			p = eol + 2;	/* MAIL, RCPT, QUIT */
			continue;
		}
		if (*last_seen)
			return -1;
		n = strtoul(p + 5, &num_end, 10);
		*last_seen = strncmp(num_end, " LAST\r\n", 7) == 0;
		if (!*last_seen && strncmp(num_end, "\r\n", 2) != 0)
			return -1;
		p = eol + 2;
		if (n > (unsigned long)(end - p))
			return -1;
		buf_append(data, p, n);
		p += n;
		(*nchunks)++;
	}
	return (long)data->len;
}

static void
test_big(void)
{
	struct h h;
	struct buf all, data;
	char *body;
	size_t i, len = 700 * 1024, outlen;
	const void *out;
	int nchunks;
	bool last;
	const char *n = "BDAT big message";

	/* Lines of 99 bytes + LF: 100 -> 101 on the wire. */
	body = malloc(len + 1);
	for (i = 0; i < len; i++)
		body[i] = i % 100 == 99 ? '\n' : 'x';
	body[len] = '\0';
	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.txn[h.ntxn++] = &one_last;
	h.body = body;
	h_ready(&h, EHLO_CHUNK, n);
	drain(&h);
	out = smtp_client_output(h.c, &outlen);
	buf_init(&all, 4u << 20);
	buf_append(&all, out, outlen);
	smtp_client_output_consume(h.c, outlen);
	buf_init(&data, 4u << 20);
	tap_is_int(unchunk(all.data, all.len, &data, &nchunks, &last),
	    (long)(len + len / 100), "every byte sent, CRLF-normalised");
	tap_is_int(nchunks, 3, "in three chunks (256 KiB at least each)");
	tap_ok(last, "the last one LAST");
	tap_ok(memmem(all.data, all.len, "x\nx", 3) == NULL,
	    "no bare LF in the data");
	tap_ok(all.len > 6 && memcmp(all.data + all.len - 6, "QUIT\r\n", 6) ==
	    0, "QUIT last");
	/* The first chunk is refused: the message is, whatever follows. */
	srv(&h, "250 ok\r\n250 ok\r\n552 5.3.4 too big\r\n");
	ev_is(&h, "READY BODY", n);
	srv(&h, "552 5.3.4 too big\r\n552 5.3.4 too big\r\n");
	ev_is(&h, "R0:PERM:552 T:PERM:0", "chunk refused: the message is");
	srv(&h, "221 bye\r\n");
	ev_is(&h, "DONE", n);
	buf_free(&all);
	buf_free(&data);
	h_free(&h);
	free(body);
}

/* RFC 5321 4.5.3.1.10: 452 too many recipients, then a further txn. */
static void
test_too_many(void)
{
	struct h h;
	const char *n = "452 too many recipients";

	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.txn[h.ntxn++] = &three_last;
	h.txn[h.ntxn++] = &rest_last;
	h_ready(&h, EHLO_PIPE, n);
	out_is(&h, "MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n"
	    "RCPT TO:<c@y.example>\r\nRCPT TO:<d@y.example>\r\nDATA\r\n", n);
	srv(&h, "250 ok\r\n250 ok\r\n452 4.5.3 too many recipients\r\n"
	    "452 4.5.3 too many recipients\r\n354 go\r\n");
	out_is(&h, "hello\r\n..dot\r\n.\r\n",
	    "not called off; no QUIT with the dot");
	srv(&h, "250 2.0.0 queued\r\n");
	ev_is(&h, "READY BODY R0:OK:250 R1:TEMP:452:D R2:TEMP:452:D T:OK:1 "
	    "READY", "deferred, then READY for a further transaction");
	out_is(&h, "MAIL FROM:<a@x.example>\r\nRCPT TO:<c@y.example>\r\n"
	    "RCPT TO:<d@y.example>\r\nDATA\r\n", "the rest");
	srv(&h, "250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n");
	out_is(&h, "hello\r\n..dot\r\n.\r\nQUIT\r\n", n);
	srv(&h, "250 2.0.0 queued\r\n221 bye\r\n");
	ev_is(&h, "BODY R0:OK:250 R1:OK:250 T:OK:2 DONE", n);
	h_free(&h);

	n = "452 without an enhanced code";
	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.txn[h.ntxn++] = &two_last;
	h.quit_at_ready = true;
	h_ready(&h, EHLO_PIPE, n);
	out_is(&h, "MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n"
	    "RCPT TO:<c@y.example>\r\nDATA\r\n", n);
	srv(&h, "250 ok\r\n250 ok\r\n452 Too many recipients\r\n354 go\r\n");
	out_is(&h, "hello\r\n..dot\r\n.\r\n", n);
	srv(&h, "250 ok\r\n");
	ev_is(&h, "READY BODY R0:OK:250 R1:TEMP:452:D T:OK:1 READY", n);
	out_is(&h, "QUIT\r\n", n);
	h_free(&h);

	n = "452 4.2.2 mailbox full is no limit";
	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.txn[h.ntxn++] = &two_last;
	h_ready(&h, EHLO_PIPE, n);
	out_is(&h, "MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n"
	    "RCPT TO:<c@y.example>\r\nDATA\r\n", n);
	srv(&h, "250 ok\r\n250 ok\r\n452 4.2.2 mailbox full\r\n354 go\r\n");
	ev_is(&h, "READY R0:TEMP:0 R1:TEMP:452 T:TEMP:0 F:temp",
	    "abandoned as before");
	h_free(&h);

	n = "452 for every recipient";
	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.txn[h.ntxn++] = &two_last;
	h_ready(&h, EHLO_PIPE, n);
	out_is(&h, "MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n"
	    "RCPT TO:<c@y.example>\r\nDATA\r\n", n);
	srv(&h, "250 ok\r\n452 4.5.3 too many\r\n452 4.5.3 too many\r\n"
	    "554 5.5.1 no valid recipients\r\n");
	ev_is(&h, "READY R0:TEMP:452:D R1:TEMP:452:D T:TEMP:0",
	    "no progress: no further transaction");
	out_is(&h, "QUIT\r\n", n);
	h_free(&h);

	n = "452 with BDAT";
	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.txn[h.ntxn++] = &two_last;
	h.quit_at_ready = true;
	h_ready(&h, EHLO_CHUNK, n);
	out_is(&h, "MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n"
	    "RCPT TO:<c@y.example>\r\nBDAT 13\r\n" BODY_CHUNK, n);
	srv(&h, "250 ok\r\n250 ok\r\n452 4.5.3 too many\r\n");
	out_is(&h, "BDAT 0 LAST\r\n", "LAST without QUIT");
	srv(&h, "250 ok\r\n250 2.0.0 queued\r\n");
	ev_is(&h, "READY BODY R0:OK:250 R1:TEMP:452:D T:OK:1 READY", n);
	out_is(&h, "QUIT\r\n", n);
	h_free(&h);

	n = "452 without pipelining";
	h_init(&h, "client.example", SMTP_CLIENT_TLS_NONE, NULL);
	h.txn[h.ntxn++] = &two_last;
	h.quit_at_ready = true;
	h_ready(&h, EHLO_PLAIN, n);
	out_is(&h, "MAIL FROM:<a@x.example>\r\n", n);
	srv(&h, "250 ok\r\n");
	out_is(&h, "RCPT TO:<b@y.example>\r\n", n);
	srv(&h, "250 ok\r\n");
	out_is(&h, "RCPT TO:<c@y.example>\r\n", n);
	srv(&h, "452 4.5.3 too many\r\n");
	out_is(&h, "DATA\r\n", "DATA for the one accepted");
	srv(&h, "354 go\r\n");
	out_is(&h, "hello\r\n..dot\r\n.\r\n", n);
	srv(&h, "250 ok\r\n");
	ev_is(&h, "READY BODY R0:OK:250 R1:TEMP:452:D T:OK:1 READY", n);
	out_is(&h, "QUIT\r\n", n);
	h_free(&h);
}

static void
run_all(void)
{
	test_one_shot();
	test_one_shot_refused();
	test_hold();
	test_no_pipelining();
	test_too_many();
}

int
main(void)
{
	bytewise = false;
	run_all();
	bytewise = true;
	run_all();
	bytewise = false;
	test_big();
	return tap_done();
}
