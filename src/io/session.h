/*
 * io_session: the poll() driver that pumps an SMTP engine (client or
 * server) over a socket or a TLS stream (s->tls, io/tls.h).
 *
 * It is the only code that turns engine output into system calls:
 * everything an engine has queued leaves in one write() where the kernel
 * takes it whole, and reads wait with the timeout that fits what the
 * engine is waiting for (RFC 5321 4.5.3.2).
 *
 * Errors: ERR_TEMP (timeout, connection reset, a failed TLS record
 * ("TLS read: received alert: ..."): the engine has been told
 * with *_eof() and will report it as events), ERR_OS.
 */
#ifndef POSTIE_IO_SESSION_H
#define POSTIE_IO_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "smtp/client.h"
#include "smtp/server.h"
#include "util/err.h"
#include "util/log.h"

#define IO_SESSION_READ_CHUNK 65536

/* Seconds; RFC 5321 4.5.3.2 minimums by default. */
struct io_session_timeouts {
	int connect;		/* TCP connect, per address: 30 s default */
	int greeting;		/* 5 min */
	int command;		/* EHLO, MAIL, RCPT, RSET, QUIT...: 5 min */
	int data_init;		/* 354 to DATA: 2 min */
	int data_block;		/* each write of message data: 3 min */
	int data_end;		/* reply to the final dot: 10 min */
};

void io_session_timeouts_default(struct io_session_timeouts *t);
/*
 * Every timeout set to seconds (msmtp's single `timeout` command), except
 * that the wait for the reply to the final dot never drops below its RFC
 * 5321 default of 10 minutes (a shorter one turns a slow acceptance into
 * a retry, and the retry into a duplicate).  t must hold the defaults.
 */
void io_session_timeouts_all(struct io_session_timeouts *t, int seconds);

struct io_tls;		/* io/tls.h: the encrypted stream, when on */
struct io_tls_conf;
struct io_tls_server_conf;

struct io_session {
	int fd;
	struct io_tls *tls;		/* NULL: plain socket */
	struct io_session_timeouts to;
	struct log *log;		/* may be NULL */
	unsigned long long bytes_in;
	unsigned long long bytes_out;
	unsigned flights;		/* number of non-empty flushes */
	bool eof;			/* peer closed its side */
	long long reply_deadline;	/* client: end of the current wait, or
					 * -1 (io_net_now_ms() time) */
	int reply_wait;			/* client: what that wait is for */
};

/* Take ownership of fd (closed by io_session_close). */
void io_session_init(struct io_session *s, int fd,
    const struct io_session_timeouts *to, struct log *log);
void io_session_close(struct io_session *s);

/* Write all n bytes, each write waiting at most timeout_s. */
enum err_kind io_session_write(struct io_session *s, const void *p, size_t n,
    int timeout_s, struct err *e);
/*
 * One read of at most cap bytes, waiting at most timeout_s (-1: for ever).
 * *got == 0 means the peer closed the connection.
 */
enum err_kind io_session_read(struct io_session *s, void *p, size_t cap,
    size_t *got, int timeout_s, struct err *e);

/*
 * Client: write everything the engine has queued (one flight), then, if it
 * wants input, read once with the timeout for smtp_client_waiting() and
 * feed it.  EOF, a timeout or a socket error is passed to the engine with
 * smtp_client_eof() (and returned), so the engine's events stay the one
 * source of truth.  Call it when the engine has no event pending.
 */
enum err_kind io_session_pump_client(struct io_session *s,
    struct smtp_client *c, struct err *e);

/*
 * Server: write what the engine has queued when it wants input (so the
 * replies to a pipelined group leave together), then read once, waiting at
 * most idle_s, and feed it; on EOF call smtp_server_eof().
 */
enum err_kind io_session_pump_server(struct io_session *s,
    struct smtp_server *srv, int idle_s, struct err *e);

/*
 * Whether the peer has sent bytes we have not read (buffered in TLS or
 * waiting on the socket), without reading or waiting.  Where nothing may
 * come (after 220 to STARTTLS, before the final dot) such bytes are an
 * injection or a broken server.
 */
bool io_session_input_waiting(struct io_session *s);

/* Write what the server engine has queued now (e.g. before a close). */
enum err_kind io_session_flush_server(struct io_session *s,
    struct smtp_server *srv, struct err *e);

/*
 * Run the TLS handshake on s->fd (io/tls.h) and, on success, set s->tls:
 * every later read and write of the session is encrypted, and
 * io_session_close() ends TLS before closing the socket.  Call it only
 * when the engine has nothing buffered to send and the peer nothing
 * unread (right after connect or accept, or at the STARTTLS events).
 * Errors: those of io_tls_client_start / io_tls_server_start;
 * ERR_SOFTWARE when TLS is already on.
 */
enum err_kind io_session_start_tls_client(struct io_session *s,
    const struct io_tls_conf *conf, struct err *e);
enum err_kind io_session_start_tls_server(struct io_session *s,
    const struct io_tls_server_conf *conf, struct err *e);

#endif
