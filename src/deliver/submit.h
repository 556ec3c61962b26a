/*
 * deliver_submit: hand one message to a smarthost and collect what
 * happened to each recipient.
 *
 * It resolves the host, connects (every address in turn), runs the client
 * engine (smtp/client.h) over the session driver (io/session.h), streams
 * the message from a deliver_input, and records each recipient's final
 * outcome with the server's reply.  It never prints; diagnostics and the
 * -v transcript go to req->log.
 *
 * MAIL FROM carries SIZE= when the server offers SIZE (and a message over
 * its announced limit is refused before MAIL: permanent, 5.3.4), and
 * BODY=8BITMIME when the message has 8-bit bytes or -B 8BITMIME was given
 * and the server offers 8BITMIME (BODY=7BIT for -B 7BIT).
 *
 * International addresses (RFC 6531, mail/idn.h): req's addresses are
 * UTF-8.  When the server offers SMTPUTF8 and the message wants it
 * (req->smtputf8, a non-ASCII envelope address, or a non-ASCII header
 * section), MAIL carries SMTPUTF8 and the addresses go as UTF-8 (non-ASCII
 * domains in U-labels).  Otherwise every domain goes in A-labels; a
 * recipient with a non-ASCII local part fails by itself, permanently
 * (5.6.7, "non-ASCII local part needs SMTPUTF8, which HOST does not
 * offer") and is left out of the transaction, while the others get the
 * message; such a sender fails the whole message (5.6.7, session_err
 * ERR_DATA).  req->smtputf8 alone never fails: without SMTPUTF8 at the
 * server the -v transcript says so.  With DSN, the ORCPT of a non-ASCII
 * recipient is "utf-8;" + RFC 6533 utf-8-addr-xtext with SMTPUTF8, else
 * "rfc822;" + the A-label form.
 *
 * TLS (req->tls): implicit TLS shakes hands right after connect, before
 * the greeting is read; STARTTLS shakes hands when the engine asks
 * (SMTP_CLIENT_EV_NEED_TLS), then hands the channel binding to
 * req->sasl.  A TLS failure, and anything that goes wrong before TLS is
 * up when it is required, is ERR_TEMP (RFC 3207 6: it may be an
 * attacker's doing), except unusable TLS configuration (ERR_CONFIG).
 * Nothing but EHLO, STARTTLS and QUIT is sent before TLS is up.  With
 * req->trace the session is described at LOG_INFO ("--- TLS: ...").
 *
 * Without a queue (req->partial_ok false), a recipient that gets a 4xx
 * must not let the others receive the message alone (a retry of the whole
 * message would duplicate it for them), so the transaction is abandoned
 * in that case.  With one, the others get it and the caller queues the
 * deferred ones.  When a signal stops the run (io_net_set_stop()), the
 * message is never ended: the session fails ERR_TEMP before the final
 * dot or BDAT LAST.
 *
 * Many recipients: at most the server's LIMITS RCPTMAX (RFC 9422) go in
 * one transaction, and recipients answered 452 too many recipients (RFC
 * 5321 4.5.3.1.10) go in a further one, on the same connection, as long
 * as each transaction delivers to somebody.  One that delivers to nobody
 * and fails for now ends the session; the recipients not tried yet end
 * temporary.  With CHUNKING and PIPELINING the body goes as BDAT
 * (smtp/client.h).
 *
 * deliver_submit_outcome() folds the results into one error kind, the rule
 * the exit status follows (DESIGN.md "Errors and exit codes"):
 *   ERR_OK     the message was delivered to at least one recipient (the
 *              failed ones are reported, each on its own; a temporary one
 *              is left only when a further transaction failed);
 *   ERR_TEMP   nothing was delivered and a retry may work;
 *   otherwise  nothing was delivered and a retry will not help (ERR_NOUSER,
 *              ERR_NOHOST, ERR_DATA, ERR_UNAVAILABLE, ERR_NOPERM...).
 */
#ifndef POSTIE_DELIVER_SUBMIT_H
#define POSTIE_DELIVER_SUBMIT_H

#include <stdbool.h>
#include <stddef.h>

struct addrinfo;

#include "deliver/input.h"
#include "io/net.h"
#include "io/session.h"
#include "io/tls.h"
#include "smtp/client.h"
#include "util/err.h"
#include "util/log.h"

#define DELIVER_TEXT_MAX 512

struct deliver_submit_result;

struct deliver_submit_req {
	const char *host;
	const char *port;		/* "25", "587"... */
	/* Connect to this address of host alone (the MX loop's choice),
	 * or NULL: resolve host and try each address in turn. */
	const struct addrinfo *addr;
	struct io_session_timeouts timeouts;
	const char *helo_name;
	enum smtp_client_tls tls;
	struct io_tls_conf tls_conf;	/* used when tls != ..._TLS_NONE */
	struct smtp_sasl *sasl;		/* NULL: no AUTH */
	const char *mail_from;		/* "" for the null sender */
	const char *const *rcpts;
	size_t nrcpt;
	struct deliver_input *msg;
	const char *body_type;		/* -B: "7BIT", "8BITMIME" or NULL */
	/* DSN (RFC 3461), checked by smtp/dsn.h, or NULL: */
	const char *dsn_notify;		/* -N: "NEVER", "SUCCESS,FAILURE" */
	const char *dsn_ret;		/* -R: "FULL" or "HDRS" */
	const char *dsn_envid;		/* -V, sent as xtext */
	bool smtputf8;			/* -U */
	/* A recipient's 4xx need not call the transaction off: the caller
	 * queues the deferred recipients alone (the queue is on). */
	bool partial_ok;
	struct log *log;		/* may be NULL */
	bool trace;			/* -v: transcript to log at LOG_INFO */
	/*
	 * deliver_submit_run_many(): called (reqs[0]'s) as soon as message
	 * k is over and its results are final, while the session goes on
	 * with the next, so the caller can record them at once (a crash
	 * later loses nothing it was told).  A session that fails calls it
	 * for no message after that: the results are in res on return.
	 */
	void (*done)(void *arg, size_t k,
	    const struct deliver_submit_result *res);
	void *done_arg;
};

struct deliver_rcpt_result {
	enum smtp_client_outcome outcome;
	char text[DELIVER_TEXT_MAX];	/* server reply or reason, printable */
	int code;			/* reply code, 0 when none */
	char esc[SMTP_REPLY_ESC_MAX];	/* enhanced status, "" when none */
};

struct deliver_submit_result {
	struct deliver_rcpt_result *rcpt;	/* nrcpt entries, owned */
	size_t nrcpt;
	char relay[IO_NET_ADDRSTR_MAX + 256];	/* "host [addr:port]" */
	char tls[32];				/* "TLS1.3"; "" without TLS */
	char policy[64];	/* MX delivery's TLS policy (deliver/route.h) */
	unsigned flights;			/* writes we made */
	/* The server refused the sender (MAIL): session_text says so, and
	 * no recipient is to blame. */
	bool sender_refused;
	/* The TLS handshake (or its verification) failed: opportunistic
	 * TLS retries in clear on a new connection. */
	bool tls_failed;
	/* Why the session failed before any recipient was decided. */
	enum err_kind session_err;
	char session_text[DELIVER_TEXT_MAX];
};

void deliver_submit_result_init(struct deliver_submit_result *res);
void deliver_submit_result_free(struct deliver_submit_result *res);

/*
 * Run the submission.  Returns ERR_OK when every recipient got a final
 * outcome in res (even if it is a failure), else the error that stopped
 * the session before that (then every recipient is TEMP or PERM
 * accordingly and res->session_* say why).
 */
enum err_kind deliver_submit_run(const struct deliver_submit_req *req,
    struct deliver_submit_result *res, struct err *e);

/*
 * Several messages over one connection (a queue run), one transaction or
 * more each, in order: the route, TLS, AUTH, timeouts and log come from
 * reqs[0]; each req its own envelope, message and options; res[i] gets
 * req[i]'s results (every res initialised).  A session failure fails the
 * message in hand and every later one alike.  Returns as
 * deliver_submit_run().
 */
enum err_kind deliver_submit_run_many(const struct deliver_submit_req *reqs,
    size_t n, struct deliver_submit_result *res, struct err *e);

/* The one outcome of a result, as described above; e says why. */
enum err_kind deliver_submit_outcome(const struct deliver_submit_result *res,
    struct err *e);

#endif
