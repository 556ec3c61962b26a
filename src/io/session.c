#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "io/net.h"
#include "io/session.h"
#include "io/tls.h"

/*
 * SIGPIPE: writes go through send(MSG_NOSIGNAL) where the system has it,
 * so a peer that closed cannot kill us.  Where it does not (and for fds
 * that are not sockets, e.g. `postie -bs` on a pipe), the program must
 * ignore SIGPIPE itself; cmd/postie.c and smtp-testd do.
 */
#ifdef MSG_NOSIGNAL
#define SESSION_SEND_FLAGS MSG_NOSIGNAL
#else
#define SESSION_SEND_FLAGS 0
#endif

void
io_session_timeouts_default(struct io_session_timeouts *t)
{
	/* RFC 5321 4.5.3.2. */
	t->connect = 30;
	t->greeting = 300;
	t->command = 300;
	t->data_init = 120;
	t->data_block = 180;
	t->data_end = 600;
}

void
io_session_timeouts_all(struct io_session_timeouts *t, int seconds)
{
	t->connect = seconds;
	t->greeting = seconds;
	t->command = seconds;
	t->data_init = seconds;
	t->data_block = seconds;
	/*
	 * RFC 5321 4.5.3.2.6: never less than 10 minutes for the reply to
	 * the final dot.  Giving up earlier reports a failure for a message
	 * the server may have taken, and the caller's retry duplicates it.
	 */
	if (seconds > t->data_end)
		t->data_end = seconds;
}

bool
io_session_input_waiting(struct io_session *s)
{
	char c;

	if (s->tls != NULL && io_tls_pending(s->tls))
		return true;
	return recv(s->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

void
io_session_init(struct io_session *s, int fd,
    const struct io_session_timeouts *to, struct log *log)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->tls = NULL;
	if (to != NULL)
		s->to = *to;
	else
		io_session_timeouts_default(&s->to);
	s->log = log;
	s->reply_deadline = -1;
}

void
io_session_close(struct io_session *s)
{
	io_tls_close(s->tls);	/* close_notify before the socket goes */
	s->tls = NULL;
	if (s->fd != -1)
		close(s->fd);
	s->fd = -1;
}

/*
 * The byte seam: every read and write of the session passes here, so a
 * TLS stream (s->tls, io/tls.h) can take over without the pumps knowing.
 * Same contract as read(2)/write(2): -1 with errno EAGAIN when the socket
 * is not ready.
 */
static ssize_t
sock_read(struct io_session *s, void *p, size_t n)
{
	if (s->tls != NULL)
		return io_tls_read(s->tls, p, n);
	return read(s->fd, p, n);
}

static ssize_t
sock_write(struct io_session *s, const void *p, size_t n)
{
	ssize_t rc;

	if (s->tls != NULL)
		return io_tls_write(s->tls, p, n);
	rc = send(s->fd, p, n, SESSION_SEND_FLAGS);
	if (rc == -1 && errno == ENOTSOCK)
		rc = write(s->fd, p, n);
	return rc;
}

/*
 * Wait for events on the session's fd, at most timeout_s (-1: for ever),
 * restarting after EINTR with the time left.  1 ready, 0 timeout, -1
 * error (errno).
 */
/* The deadline timeout_s from now; -1 (none) for a negative timeout. */
static long long
seconds_from_now(int timeout_s)
{
	return io_net_deadline(timeout_s < 0 ? -1 : (long long)timeout_s *
	    1000);
}

static int
wait_fd(struct io_session *s, short events, int timeout_s)
{
	return io_net_wait(s->fd, events, seconds_from_now(timeout_s));
}

/* A socket error: the peer is gone or the network is (ERR_TEMP), or
 * something is wrong here (ERR_OS). */
static enum err_kind
sock_err_kind(int err)
{
	switch (err) {
	case EPIPE:
	case ECONNRESET:
	case ECONNABORTED:
	case ETIMEDOUT:
	case ENETDOWN:
	case ENETUNREACH:
	case EHOSTUNREACH:
	case ENOTCONN:
		return ERR_TEMP;
	default:
		return ERR_OS;
	}
}

/*
 * What to poll for after EAGAIN: a TLS stream may need to write to read
 * (a key update) or to read to write (gnutls_record_get_direction).
 */
static short
blocked_on(struct io_session *s, short plain)
{
	if (s->tls == NULL)
		return plain;
	return io_tls_wants_write(s->tls) ? POLLOUT : POLLIN;
}

/* "read: Connection reset by peer", or the TLS layer's reason. */
static enum err_kind
io_fail(struct io_session *s, const char *what, int err, struct err *e)
{
	if (s->tls != NULL)
		return err_set(e, ERR_TEMP, "TLS %s: %s", what,
		    io_tls_error(s->tls));
	return err_set(e, sock_err_kind(err), "%s: %s", what, strerror(err));
}

/* Write until n bytes are out; *done counts what left. */
static enum err_kind
write_all(struct io_session *s, const char *p, size_t n, size_t *done,
    int timeout_s, struct err *e)
{
	ssize_t rc;
	int w;

	while (*done < n) {
		rc = sock_write(s, p + *done, n - *done);
		if (rc > 0) {
			*done += (size_t)rc;
			continue;
		}
		if (rc == -1 && errno == EINTR)
			continue;
		if (rc == -1 && errno != EAGAIN && errno != EWOULDBLOCK)
			return io_fail(s, "write", errno, e);
		/* EAGAIN (or a 0 write): wait until the kernel takes more. */
		w = wait_fd(s, blocked_on(s, POLLOUT), timeout_s);
		if (w == 0)
			return err_set(e, ERR_TEMP, "timeout after %d s "
			    "writing", timeout_s);
		if (w == -1)
			return io_net_wait_error(e);
	}
	return ERR_OK;
}

/* One call that sends anything is one flight, even when it then fails. */
enum err_kind
io_session_write(struct io_session *s, const void *p, size_t n,
    int timeout_s, struct err *e)
{
	enum err_kind rc;
	size_t done = 0;

	rc = write_all(s, p, n, &done, timeout_s, e);
	if (done > 0) {
		s->flights++;
		s->bytes_out += done;
	}
	return rc;
}

/*
 * io_session_read(), telling a timeout (*timed_out) from other failures so
 * the pumps can word it for the engine.
 */
static enum err_kind
read_once(struct io_session *s, void *p, size_t cap, size_t *got,
    long long deadline, bool *timed_out, struct err *e)
{
	ssize_t rc;
	short events = POLLIN;
	int w;

	*got = 0;
	*timed_out = false;
	for (;;) {
		/* Bytes TLS has decrypted already are not on the socket. */
		w = io_tls_pending(s->tls) ? 1 :
		    io_net_wait(s->fd, events, deadline);
		if (w == 0) {
			*timed_out = true;
			return err_set(e, ERR_TEMP, "timeout");
		}
		if (w == -1)
			return io_net_wait_error(e);
		rc = sock_read(s, p, cap);
		if (rc >= 0)
			break;
		/* EAGAIN after poll said ready: a spurious wakeup, or a
		 * partial TLS record: wait on. */
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) {
			events = blocked_on(s, POLLIN);
			continue;
		}
		return io_fail(s, "read", errno, e);
	}
	*got = (size_t)rc;
	s->bytes_in += (unsigned long long)rc;
	if (rc == 0)
		s->eof = true;
	return ERR_OK;
}

enum err_kind
io_session_read(struct io_session *s, void *p, size_t cap, size_t *got,
    int timeout_s, struct err *e)
{
	enum err_kind rc;
	bool timed_out;

	rc = read_once(s, p, cap, got, seconds_from_now(timeout_s), &timed_out,
	    e);
	if (timed_out)
		err_set(e, ERR_TEMP, "timeout after %d s", timeout_s);
	return rc;
}

/* RFC 5321 4.5.3.2: the timeout for the reply the client waits for. */
static int
client_timeout(const struct io_session *s, enum smtp_client_wait w)
{
	switch (w) {
	case SMTP_CLIENT_WAIT_GREETING:
		return s->to.greeting;
	case SMTP_CLIENT_WAIT_DATA:
		return s->to.data_init;
	case SMTP_CLIENT_WAIT_DATA_END:
		return s->to.data_end;
	case SMTP_CLIENT_WAIT_NONE:
		/* Writing message data with no reply awaited. */
		return s->to.data_block;
	case SMTP_CLIENT_WAIT_COMMAND:
	case SMTP_CLIENT_WAIT_MAIL:
	case SMTP_CLIENT_WAIT_RCPT:
	case SMTP_CLIENT_WAIT_QUIT:
	default:
		return s->to.command;
	}
}

/*
 * Write all queued client output in one flight.  The write waits as long
 * as the reply the engine will wait for, or data_block while it sends
 * message data and waits for nothing.
 */
static enum err_kind
client_flush(struct io_session *s, struct smtp_client *c, struct err *e)
{
	const void *out;
	size_t len;
	enum err_kind rc;
	int t;

	out = smtp_client_output(c, &len);
	if (len == 0)
		return ERR_OK;
	t = smtp_client_wants_input(c) ?
	    client_timeout(s, smtp_client_waiting(c)) : s->to.data_block;
	rc = io_session_write(s, out, len, t, e);
	if (rc != ERR_OK) {
		smtp_client_eof(c, e->msg);
		return rc;
	}
	smtp_client_output_consume(c, len);
	s->reply_deadline = -1;		/* the replies to this flight */
	return ERR_OK;
}

/* Read once and feed the client engine; see session.h. */
static enum err_kind
client_read(struct io_session *s, struct smtp_client *c, struct err *e)
{
	char chunk[IO_SESSION_READ_CHUNK];
	enum err_kind rc;
	size_t got;
	bool timed_out;
	enum smtp_client_wait w;
	int t;

	w = smtp_client_waiting(c);
	t = client_timeout(s, w);
	/*
	 * The timeout bounds the wait for the whole reply, not each read: a
	 * server trickling a byte at a time cannot hold us for ever.  A new
	 * flight of commands, or a new kind of wait, starts a new deadline.
	 */
	if (s->reply_deadline < 0 || s->reply_wait != (int)w) {
		s->reply_deadline = seconds_from_now(t);
		s->reply_wait = (int)w;
	}
	rc = read_once(s, chunk, sizeof(chunk), &got, s->reply_deadline,
	    &timed_out, e);
	if (rc != ERR_OK) {
		if (timed_out)
			err_set(e, ERR_TEMP, "timeout after %d s waiting for "
			    "the server", t);
		smtp_client_eof(c, e->msg);
		return rc;
	}
	if (got == 0) {
		err_set(e, ERR_TEMP, "connection closed by server");
		smtp_client_eof(c, e->msg);
		return ERR_TEMP;
	}
	smtp_client_feed(c, chunk, got);
	return ERR_OK;
}

enum err_kind
io_session_pump_client(struct io_session *s, struct smtp_client *c,
    struct err *e)
{
	struct err local;
	enum err_kind rc;

	if (e == NULL)
		e = &local;
	rc = client_flush(s, c, e);
	if (rc != ERR_OK || !smtp_client_wants_input(c))
		return rc;
	return client_read(s, c, e);
}

enum err_kind
io_session_flush_server(struct io_session *s, struct smtp_server *srv,
    struct err *e)
{
	const void *out;
	size_t len;
	enum err_kind rc;

	out = smtp_server_output(srv, &len);
	if (len == 0)
		return ERR_OK;
	rc = io_session_write(s, out, len, s->to.command, e);
	if (rc != ERR_OK)
		return rc;
	smtp_server_output_consume(srv, len);
	return ERR_OK;
}

/*
 * A write failure or EOF means the client is gone: the engine hears it
 * (smtp_server_eof) so it stops waiting.  A read timeout is left to the
 * caller, which may want to say 421 first.
 */
enum err_kind
io_session_pump_server(struct io_session *s, struct smtp_server *srv,
    int idle_s, struct err *e)
{
	char chunk[IO_SESSION_READ_CHUNK];
	enum err_kind rc;
	size_t got;
	bool timed_out;

	if (!smtp_server_wants_input(srv))
		return ERR_OK;
	rc = io_session_flush_server(s, srv, e);
	if (rc != ERR_OK) {
		smtp_server_eof(srv);
		return rc;
	}
	rc = read_once(s, chunk, sizeof(chunk), &got, seconds_from_now(idle_s),
	    &timed_out, e);
	if (rc != ERR_OK) {
		if (timed_out)
			err_set(e, ERR_TEMP, "timeout after %d s waiting for "
			    "the client", idle_s);
		else
			smtp_server_eof(srv);
		return rc;
	}
	if (got == 0)
		smtp_server_eof(srv);
	else
		smtp_server_feed(srv, chunk, got);
	return ERR_OK;
}

/* ---- TLS ------------------------------------------------------------ */

enum err_kind
io_session_start_tls_client(struct io_session *s,
    const struct io_tls_conf *conf, struct err *e)
{
	if (s->tls != NULL)
		return err_set(e, ERR_SOFTWARE, "TLS is already on");
	return io_tls_client_start(s->fd, conf, &s->tls, e);
}

enum err_kind
io_session_start_tls_server(struct io_session *s,
    const struct io_tls_server_conf *conf, struct err *e)
{
	if (s->tls != NULL)
		return err_set(e, ERR_SOFTWARE, "TLS is already on");
	return io_tls_server_start(s->fd, conf, &s->tls, e);
}
