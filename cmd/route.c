/*
 * The route of a message (see job.h): host and port, timeouts, TLS and its
 * files, AUTH and its password, the EHLO name; and GnuTLS, initialised
 * only when TLS or AUTH will use it.
 */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "cmd/job.h"
#include "conf/load.h"
#include "deliver/submit.h"
#include "smtp/sasl.h"

#define TIMEOUT_MAX 86400	/* seconds */

/* The TLS mode the account asks for (setup_tls fills the rest). */
static enum smtp_client_tls
tls_mode(const struct cmd_job *j)
{
	if (!conf_parse_bool(j->acct, CONF_TLS, false))
		return SMTP_CLIENT_TLS_NONE;
	return conf_parse_bool(j->acct, CONF_TLS_STARTTLS, true) ?
	    SMTP_CLIENT_TLS_STARTTLS : SMTP_CLIENT_TLS_IMPLICIT;
}

static const char *
default_port(enum smtp_client_tls tls)
{
	return tls == SMTP_CLIENT_TLS_IMPLICIT ? "465" :
	    tls == SMTP_CLIENT_TLS_STARTTLS ? "587" : "25";
}

/* A port string from default_port(): always a valid number. */
static long long
atoi_port(const char *p)
{
	return strtonum(p, 1, 65535, NULL);
}

/*
 * Whether host names this machine: "localhost", 127.0.0.0/8 or ::1.  The
 * only servers a password may reach without TLS (auth_plaintext).
 */
static bool
host_is_local(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (strcasecmp(host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, host, &a6) == 1 &&
	    IN6_IS_ADDR_LOOPBACK(&a6);
}

static enum err_kind
setup_auth(struct cmd_job *j, struct err *e)
{
	const char *auth = conf_parse_get(j->acct, CONF_AUTH);
	const char *host = conf_parse_get(j->acct, CONF_HOST);
	struct smtp_sasl_conf sc;

	if (auth == NULL || strcmp(auth, "off") == 0)
		return ERR_OK;
	memset(&sc, 0, sizeof(sc));
	sc.mech = strcmp(auth, "on") == 0 ? NULL : auth;
	sc.user = conf_parse_get(j->acct, CONF_USER);
	sc.password = &j->password;
	sc.allow_plaintext = conf_parse_bool(j->acct, CONF_AUTH_PLAINTEXT,
	    false);
	sc.peer_local = host_is_local(host);
	sc.host = host;
	sc.port = (unsigned)conf_parse_num(j->acct, CONF_PORT,
	    atoi_port(default_port(tls_mode(j))));
	/* EXTERNAL proves who we are with the client certificate. */
	if (sc.mech != NULL && strcmp(sc.mech, "EXTERNAL") == 0 &&
	    conf_parse_get(j->acct, CONF_TLS_CERT_FILE) == NULL)
		return err_set(e, ERR_CONFIG, "auth external needs a client "
		    "certificate (tls_cert_file and tls_key_file)");
	if (sc.mech == NULL || strcmp(sc.mech, "EXTERNAL") != 0) {
		if (sc.user == NULL)
			return err_set(e, ERR_CONFIG,
			    "auth is on but no 'user' is set");
		/* A prompt only when a person is at the terminal. */
		if (conf_load_password(j->acct, host, sc.user,
		    isatty(STDIN_FILENO) == 1, &j->password, e) != ERR_OK)
			return e->kind;
		if (!secret_is_set(&j->password))
			return err_set(e, ERR_CONFIG, "auth is on but no "
			    "password is configured ('password', "
			    "'passwordeval', ~/.netrc, /etc/netrc or a "
			    "terminal)");
	}
	if ((j->sasl = smtp_sasl_new(&sc)) == NULL)
		return err_set(e, ERR_OS, "out of memory");
	return ERR_OK;
}

/*
 * The value of k with a leading "~/" replaced by $HOME (as msmtp does),
 * into out; NULL when unset.
 */
static const char *
tls_file(const struct cmd_job *j, enum conf_key k, char *out, size_t outlen,
    struct err *e)
{
	const char *v = conf_parse_get(j->acct, k), *home;
	struct passwd *pw;

	if (v == NULL || strncmp(v, "~/", 2) != 0)
		return v;
	home = getenv("HOME");
	if ((home == NULL || home[0] == '\0') &&
	    (pw = getpwuid(getuid())) != NULL)
		home = pw->pw_dir;
	if (home == NULL || home[0] == '\0') {
		err_set(e, ERR_CONFIG, "%s %s: no home directory for ~",
		    conf_parse_key_name(k), v);
		return NULL;
	}
	if ((size_t)snprintf(out, outlen, "%s/%s", home, v + 2) >= outlen) {
		err_set(e, ERR_CONFIG, "%s: file name too long",
		    conf_parse_key_name(k));
		return NULL;
	}
	return out;
}

/*
 * What a smarthost's TLS and direct delivery's share: the files ("~/"
 * expanded into f), priorities, minimum version, handshake timeout, log.
 */
static enum err_kind
tls_common(struct cmd_job *j, struct deliver_submit_req *req,
    struct cmd_tls_files *f, struct err *e)
{
	struct io_tls_conf *tc = &req->tls_conf;

	tc->trust_file = tls_file(j, CONF_TLS_TRUST_FILE, f->trust,
	    sizeof(f->trust), e);
	tc->crl_file = tls_file(j, CONF_TLS_CRL_FILE, f->crl, sizeof(f->crl),
	    e);
	tc->cert_file = tls_file(j, CONF_TLS_CERT_FILE, f->cert,
	    sizeof(f->cert), e);
	tc->key_file = tls_file(j, CONF_TLS_KEY_FILE, f->key, sizeof(f->key),
	    e);
	if (e->kind != ERR_OK)
		return e->kind;
	tc->priorities = conf_parse_get(j->acct, CONF_TLS_PRIORITIES);
	tc->min_version = conf_parse_get(j->acct, CONF_TLS_MIN_VERSION);
	tc->timeout_s = req->timeouts.command;
	tc->log = &j->log;
	return ERR_OK;
}

/*
 * req->tls, req->tls_conf and the default port from the account: `tls`
 * off: plain on 25; on with tls_starttls (the default): STARTTLS on 587;
 * tls_starttls off: implicit TLS on 465 (RFC 8314).  `tls_certcheck off`
 * is said in the message log always, on stderr with -v only (cron stays
 * silent).
 */
static enum err_kind
setup_tls(struct cmd_job *j, struct deliver_submit_req *req,
    struct cmd_tls_files *f, struct err *e)
{
	struct io_tls_conf *tc = &req->tls_conf;
	const char *over = conf_parse_get(j->acct, CONF_TLS_HOST_OVERRIDE);

	err_clear(e);
	req->tls = tls_mode(j);
	if (req->tls == SMTP_CLIENT_TLS_NONE)
		return ERR_OK;
	tc->host = over != NULL ? over : req->host;
	if (tls_common(j, req, f, e) != ERR_OK)
		return e->kind;
	tc->fingerprint = conf_parse_get(j->acct, CONF_TLS_FINGERPRINT);
	tc->certcheck = conf_parse_bool(j->acct, CONF_TLS_CERTCHECK, true);
	if (!tc->certcheck && tc->fingerprint == NULL) {
		log_msg(&j->mlog, LOG_WARNING, "tls_certcheck is off: the "
		    "server's certificate is not checked");
		log_msg(&j->log, LOG_WARNING, "warning: tls_certcheck is off: "
		    "the server's certificate is not checked");
	}
	return ERR_OK;
}

/*
 * GnuTLS initialises itself in a library constructor unless the program
 * defines this hook, which GnuTLS exports for that purpose (GNUTLS_3_4
 * symbol version).  Most submissions use neither TLS nor AUTH, so postie
 * skips that start-up work and initialises GnuTLS only when it will use it
 * (crypto_init).  Where the hook is not honoured, the library initialises
 * itself as before and gnutls_global_init() merely counts a reference.
 * With GnuTLS opened when first used (cmd/gnutls_lazy.c, the default
 * build) the hook is not seen (the program does not export it) and that
 * start-up work is done at the dlopen, which crypto_init() causes: the
 * same work, by the same runs.
 */
int _gnutls_global_init_skip(void);

int
_gnutls_global_init_skip(void)
{
	return 1;
}

static enum err_kind
crypto_init(struct cmd_job *j, struct err *e)
{
	int rc;

	if (j->gnutls_ready)
		return ERR_OK;
	if ((rc = gnutls_global_init()) < 0)
		return err_set(e, ERR_SOFTWARE, "cannot initialise GnuTLS: %s",
		    gnutls_strerror(rc));
	j->gnutls_ready = true;
	return ERR_OK;
}

/*
 * Direct delivery (no `host`): the EHLO name must be one the MX hosts
 * can look up, so a short host name (no `domain` configured) becomes the
 * machine's fully qualified name when the resolver knows one.
 */
static void
fqdn_helo(struct cmd_job *j)
{
	struct addrinfo hints, *ai = NULL;

	if (conf_parse_get(j->acct, CONF_DOMAIN) != NULL ||
	    strchr(j->helo, '.') != NULL)
		return;
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_CANONNAME;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(j->helo, NULL, &hints, &ai) == 0 && ai != NULL &&
	    ai->ai_canonname != NULL && strchr(ai->ai_canonname, '.') != NULL)
		strlcpy(j->helo, ai->ai_canonname, sizeof(j->helo));
	if (ai != NULL)
		freeaddrinfo(ai);
}

/*
 * The TLS files and settings direct delivery uses when a policy asks for
 * TLS (deliver/route.c sets the mode, host and checks per MX host).
 */
static enum err_kind
setup_direct(struct cmd_job *j, struct deliver_submit_req *req,
    struct cmd_tls_files *f, struct err *e)
{
	const char *auth = conf_parse_get(j->acct, CONF_AUTH);

	err_clear(e);
	if (auth != NULL && strcmp(auth, "off") != 0)
		return err_set(e, ERR_CONFIG, "auth is on but no 'host' is set: "
		    "delivery straight to MX hosts never authenticates");
	fqdn_helo(j);
	req->port = "25";
	req->tls = SMTP_CLIENT_TLS_MAY;
	return tls_common(j, req, f, e);
}

/*
 * req's route: host, port, timeouts, TLS, and the EHLO name.  No `host`:
 * req->host stays NULL, each recipient domain's MX hosts (route.h).
 */
static enum err_kind
setup_route(struct cmd_job *j, struct deliver_submit_req *req,
    struct cmd_tls_files *tf, struct err *e)
{
	const char *port = conf_parse_get(j->acct, CONF_PORT);
	long long timeout = conf_parse_num(j->acct, CONF_TIMEOUT, 0);

	/* 0 or off: keep RFC 5321's timeouts; more than a day is a day. */
	if (timeout > TIMEOUT_MAX)
		timeout = TIMEOUT_MAX;
	req->host = conf_parse_get(j->acct, CONF_HOST);
	io_session_timeouts_default(&req->timeouts);
	if (timeout > 0)
		io_session_timeouts_all(&req->timeouts, (int)timeout);
	req->helo_name = j->helo;
	if (req->host == NULL)
		return setup_direct(j, req, tf, e);
	if (setup_tls(j, req, tf, e) != ERR_OK)
		return e->kind;
	req->port = port != NULL ? port : default_port(req->tls);
	return ERR_OK;
}

enum err_kind
cmd_job_route_only(struct cmd_job *j, struct deliver_submit_req *req,
    struct cmd_tls_files *tf, struct err *e)
{
	memset(req, 0, sizeof(*req));
	return setup_route(j, req, tf, e);
}

enum err_kind
cmd_job_route(struct cmd_job *j, struct deliver_submit_req *req,
    struct cmd_tls_files *tf, struct err *e)
{
	if (cmd_job_route_only(j, req, tf, e) != ERR_OK ||
	    setup_auth(j, e) != ERR_OK)
		return e->kind;
	req->sasl = j->sasl;
	if ((req->tls != SMTP_CLIENT_TLS_NONE || req->sasl != NULL) &&
	    crypto_init(j, e) != ERR_OK)
		return e->kind;
	req->partial_ok = cmd_queue_enabled(j);
	req->log = &j->log;
	req->trace = j->o.verbose;
	return ERR_OK;
}
