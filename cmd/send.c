/*
 * The message path of the front end (see job.h): configuration and
 * account, envelope and aliases, header, submission and its log line; the
 * -bv dry run and the newaliases check.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "cmd/job.h"
#include "conf/load.h"
#include "deliver/msglog.h"
#include "deliver/route.h"
#include "deliver/submit.h"
#include "io/net.h"
#include "mail/header.h"
#include "mail/idn.h"
#include "smtp/sasl.h"
#include "util/buf.h"

static void local_domain(const struct conf_account *a, char *out,
    size_t outlen);

#define ALIASES_MAX (1u << 20)	/* an aliases file's size cap */

void
cmd_job_init(struct cmd_job *j)
{
	memset(j, 0, sizeof(*j));
	cmd_options_init(&j->o);
	conf_parse_init(&j->conf);
	conf_aliases_init(&j->aliases);
	mail_address_list_init(&j->rcpts);
	deliver_input_init(&j->in);
	secret_init(&j->password);
	log_init(&j->log, LOG_SINK_STDERR, LOG_ERR, PROG);
	log_init(&j->mlog, LOG_SINK_NONE, LOG_INFO, PROG);
}

void
cmd_job_message_reset(struct cmd_job *j)
{
	smtp_sasl_free(j->sasl);
	j->sasl = NULL;
	secret_free(&j->password);
	secret_init(&j->password);
	deliver_input_free(&j->in);
	deliver_input_init(&j->in);
	mail_address_list_free(&j->rcpts);
	mail_address_list_init(&j->rcpts);
	j->from[0] = '\0';
	j->acct = NULL;
}

void
cmd_job_free(struct cmd_job *j)
{
	cmd_job_message_reset(j);
	mail_address_list_free(&j->rcpts);
	deliver_input_free(&j->in);
	conf_aliases_free(&j->aliases);
	conf_parse_free(&j->conf);
	log_free(&j->log);
	log_free(&j->mlog);
	if (j->logfp != NULL && j->logfp != stdout)
		fclose(j->logfp);
	j->logfp = NULL;
	if (j->mlog.sink == LOG_SINK_SYSLOG)
		closelog();
	if (j->gnutls_ready)
		gnutls_global_deinit();
}

void
cmd_job_hostname(const struct cmd_job *j, char *out, size_t outlen)
{
	local_domain(conf_parse_find(&j->conf, j->o.account), out, outlen);
}

void
cmd_job_hostname_of(const struct cmd_job *j, const struct conf_account *a,
    char *out, size_t outlen)
{
	(void)j;
	local_domain(a, out, outlen);
}

const char *
cmd_job_tmpdir(void)
{
	const char *t = getenv("TMPDIR");

	return t != NULL && t[0] == '/' ? t : NULL;
}

/* ---- configuration ----------------------------------------------------- */

/*
 * -C as sendmail: a program that builds sendmail command lines from what
 * a web form sent must not point postie at a file of the attacker's
 * choosing, so only the system file can allow it (PHPMailer,
 * CVE-2016-10033).  The file's owner and mode are checked by conf_load in
 * every case.
 */
static enum err_kind
config_option_allowed(struct err *e)
{
	struct conf sys;
	enum err_kind rc;
	bool allowed;

	conf_parse_init(&sys);
	rc = conf_load_file(&sys, POSTIE_SYSTEM_CONF, false, e);
	allowed = rc == ERR_OK &&
	    conf_parse_bool(&sys.defaults, CONF_ALLOW_CONFIG_OPTION, false);
	conf_parse_free(&sys);
	if (rc != ERR_OK)
		return rc;
	if (!allowed)
		return err_set(e, ERR_NOPERM, "-C is not allowed when called as "
		    "sendmail (set allow_config_option on in %s)",
		    POSTIE_SYSTEM_CONF);
	return ERR_OK;
}

enum err_kind
cmd_job_config(struct cmd_job *j, struct err *e)
{
	if (j->o.conf_file != NULL && j->as_sendmail &&
	    config_option_allowed(e) != ERR_OK)
		return e->kind;
	if (conf_load_standard(&j->conf, j->o.conf_file, false, e) != ERR_OK)
		return e->kind;
	j->conf_loaded = true;
	if (j->o.account != NULL && conf_parse_find(&j->conf,
	    j->o.account) == NULL)
		return err_set(e, ERR_CONFIG, "account '%s' not found",
		    j->o.account);
	return ERR_OK;
}

/* The machine's name for EHLO and the default sender's domain. */
static void
local_domain(const struct conf_account *a, char *out, size_t outlen)
{
	const char *d = conf_parse_get(a, CONF_DOMAIN);
	char host[HOST_NAME_MAX + 1];

	if (d != NULL) {
		strlcpy(out, d, outlen);
		return;
	}
	if (gethostname(host, sizeof(host)) == 0 && host[0] != '\0') {
		host[sizeof(host) - 1] = '\0';
		strlcpy(out, host, outlen);
		return;
	}
	strlcpy(out, "localhost", outlen);
}

/* One address out of a sender given as "addr", "<addr>", "Name <addr>". */
static enum err_kind
one_address(const char *what, const char *text, char *out, size_t outlen,
    struct err *e)
{
	struct mail_address_list l;
	enum err_kind rc;

	if (strcmp(text, "") == 0 || strcmp(text, "<>") == 0) {
		out[0] = '\0';		/* the null reverse-path */
		return ERR_OK;
	}
	mail_address_list_init(&l);
	rc = mail_address_parse_list(text, strlen(text), &l, e);
	if (rc == ERR_OK && l.n != 1)
		rc = err_set(e, ERR_USAGE, "%s '%s' is not one address", what,
		    text);
	if (rc == ERR_OK)
		strlcpy(out, l.addrs[0], outlen);
	mail_address_list_free(&l);
	if (rc != ERR_OK && rc != ERR_USAGE)
		err_prefix(e, "%s", what);
	return rc;
}

/* A set_*_header value: auto unless the configuration says on or off. */
static enum mail_header_set
header_set(const struct cmd_job *j, enum conf_key k)
{
	const char *v = conf_parse_get(j->acct, k);

	if (v == NULL || strcmp(v, "auto") == 0)
		return MAIL_HEADER_SET_AUTO;
	return strcmp(v, "on") == 0 ? MAIL_HEADER_SET_ON : MAIL_HEADER_SET_OFF;
}

/* The time now and the local zone's offset east of UTC, in seconds. */
static void
now_and_zone(long long *now, long *offset)
{
	time_t t = time(NULL);
	struct tm lt, ut;

	*now = (long long)t;
	*offset = 0;
	if (localtime_r(&t, &lt) != NULL && gmtime_r(&t, &ut) != NULL)
		*offset = mail_header_utc_offset(&lt, &ut);
}

/*
 * The header section as it is sent (mail_header_compose()): Bcc removed,
 * From, Date and Message-ID added, as configured.  The world's part (the
 * time, the zone, random bytes, the domain) is gathered here.
 */
static enum err_kind
compose_header(struct cmd_job *j, struct err *e)
{
	struct mail_header_compose c;
	unsigned char rnd[MAIL_HEADER_MSGID_RANDOM];
	const char *to = conf_parse_get(j->acct, CONF_SET_TO_HEADER);
	char dom[256];
	struct buf hdr;
	enum err_kind rc;

	local_domain(j->acct, dom, sizeof(dom));
	memset(&c, 0, sizeof(c));
	c.from = header_set(j, CONF_SET_FROM_HEADER);
	c.date = header_set(j, CONF_SET_DATE_HEADER);
	c.msgid = header_set(j, CONF_SET_MSGID_HEADER);
	c.undisclosed = to != NULL && strcmp(to, "undisclosed_recipients") == 0;
	c.remove_bcc = conf_parse_bool(j->acct, CONF_REMOVE_BCC_HEADERS, true);
	if (conf_parse_bool(j->acct, CONF_QUALIFY_HEADERS, false))
		c.qualify = dom;
	c.sender = j->from;
	c.full_name = j->o.fullname != NULL ? j->o.fullname :
	    conf_parse_get(j->acct, CONF_FROM_FULL_NAME);
	now_and_zone(&c.now, &c.utc_offset);
	arc4random_buf(rnd, sizeof(rnd));
	c.rnd = rnd;
	c.nrnd = sizeof(rnd);
	c.domain = dom;
	buf_init(&hdr, DELIVER_INPUT_HEADER_MAX);
	rc = mail_header_compose(buf_str(&j->in.header), j->in.header.len, &c,
	    &hdr, e);
	if (rc == ERR_OK)
		rc = deliver_input_set_header(&j->in, buf_str(&hdr), hdr.len, e);
	buf_free(&hdr);
	return rc;
}

/*
 * Every envelope address can go to some server (mail/idn.h): valid UTF-8,
 * and a non-ASCII domain that IDNA takes.  Checked before any connection,
 * so that nothing is sent for a message that would fail at one address.
 * A non-ASCII local part is fine here: it depends on the server.
 */
static enum err_kind
check_envelope(const struct cmd_job *j, struct err *e)
{
	size_t i;

	if (mail_idn_check(j->from, NULL, e) != ERR_OK) {
		err_prefix(e, "sender");
		return e->kind;
	}
	for (i = 0; i < j->rcpts.n; i++)
		if (mail_idn_check(j->rcpts.addrs[i], NULL, e) != ERR_OK) {
			err_prefix(e, "recipient");
			return e->kind;
		}
	return ERR_OK;
}

/* A `syslog` value (checked by the parser): "on" or a facility name. */
static int
syslog_facility(const char *v)
{
	static const struct {
		const char *name;
		int facility;
	} map[] = {
		{ "LOG_USER", LOG_USER }, { "LOG_MAIL", LOG_MAIL },
		{ "LOG_LOCAL0", LOG_LOCAL0 }, { "LOG_LOCAL1", LOG_LOCAL1 },
		{ "LOG_LOCAL2", LOG_LOCAL2 }, { "LOG_LOCAL3", LOG_LOCAL3 },
		{ "LOG_LOCAL4", LOG_LOCAL4 }, { "LOG_LOCAL5", LOG_LOCAL5 },
		{ "LOG_LOCAL6", LOG_LOCAL6 }, { "LOG_LOCAL7", LOG_LOCAL7 },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(v, map[i].name) == 0)
			return map[i].facility;
	return LOG_MAIL;
}

/*
 * One line for each recipient the server refused: when the whole session
 * failed too, only those refused for good on their own (the final error
 * line says the rest).  Returns how many lines were printed.
 */
static size_t
report(const struct cmd_job *j, const struct deliver_submit_result *res,
    bool queued)
{
	size_t i, n = 0;

	for (i = 0; i < res->nrcpt && res->sender_refused; i++)
		if (res->rcpt[i].outcome == SMTP_CLIENT_OK)
			break;
	if (res->sender_refused && i == res->nrcpt)
		return 0;	/* nobody got it: the final line says why */
	for (i = 0; i < res->nrcpt; i++) {
		const struct deliver_rcpt_result *rr = &res->rcpt[i];

		if (rr->outcome == SMTP_CLIENT_OK ||
		    (queued && rr->outcome == SMTP_CLIENT_TEMP) ||
		    (res->session_err != ERR_OK &&
		    (rr->outcome != SMTP_CLIENT_PERM ||
		    strcmp(rr->text, res->session_text) == 0)))
			continue;
		fprintf(stderr, "%s: <%s>: %s\n", PROG, j->rcpts.addrs[i],
		    rr->text);
		n++;
	}
	return n;
}

/* ---- the message ------------------------------------------------------- */

/*
 * The account: -a; else, with a sender given (-f, or MAIL FROM under
 * -bs), the first account whose `from` glob matches it (msmtp's rule);
 * else the default.
 */
static enum err_kind
choose_account(struct cmd_job *j, struct err *e)
{
	char addr[MAIL_ADDRESS_LEN_MAX + 1];

	j->acct = NULL;
	if (j->o.account == NULL && j->sender_given && j->sender[0] != '\0' &&
	    one_address("sender", j->sender, addr, sizeof(addr), e) ==
	    ERR_OK && addr[0] != '\0')
		j->acct = conf_parse_find_from(&j->conf, addr);
	err_clear(e);	/* a bad sender is reported with the envelope */
	if (j->acct == NULL)
		j->acct = conf_parse_find(&j->conf, j->o.account);
	if (j->acct == NULL)
		return err_set(e, ERR_CONFIG, "account '%s' not found",
		    j->o.account != NULL ? j->o.account : "default");
	local_domain(j->acct, j->helo, sizeof(j->helo));
	return ERR_OK;
}

static enum err_kind
envelope_sender(struct cmd_job *j, struct err *e)
{
	const char *f = j->sender_given ? j->sender : NULL;
	struct passwd *pw;
	char dom[256];

	if (f == NULL && (f = conf_parse_get(j->acct, CONF_FROM)) != NULL &&
	    strpbrk(f, "*?[") != NULL)
		return err_set(e, ERR_CONFIG, "account '%s': from '%s' is a "
		    "pattern for choosing the account by -f, not a sender: "
		    "give -f", j->acct->name, f);
	if (f != NULL) {
		if (one_address("sender", f, j->from, sizeof(j->from), e))
			return e->kind;
		if (j->from[0] != '\0' && strchr(j->from, '@') == NULL) {
			local_domain(j->acct, dom, sizeof(dom));
			strlcat(j->from, "@", sizeof(j->from));
			strlcat(j->from, dom, sizeof(j->from));
		}
		return ERR_OK;
	}
	if ((pw = getpwuid(getuid())) == NULL)
		return err_set(e, ERR_CONFIG, "cannot tell who you are (no "
		    "passwd entry for uid %ld): set 'from' or use -f",
		    (long)getuid());
	local_domain(j->acct, dom, sizeof(dom));
	snprintf(j->from, sizeof(j->from), "%s@%s", pw->pw_name, dom);
	return ERR_OK;
}

/* The aliases file of the account, read once (`aliases`; not with -n). */
static enum err_kind
load_aliases(struct cmd_job *j, const char **file, struct err *e)
{
	struct buf b;
	enum err_kind rc;

	*file = conf_parse_get(j->acct, CONF_ALIASES);
	if (*file == NULL || j->aliases_loaded)
		return ERR_OK;
	if (conf_load_read(*file, ALIASES_MAX, &b, e) == ERR_OK)
		(void)conf_aliases_parse(&j->aliases, b.data, b.len, *file, e);
	buf_free(&b);
	if ((rc = e->kind) == ERR_OK)
		j->aliases_loaded = true;
	return rc;
}

/*
 * Envelope recipients: a local one (no domain, or ours) goes through the
 * aliases; a bare local name ("root", as cron's MAILTO gives) is then
 * qualified with the local domain, as Sendmail and Postfix do.
 */
static enum err_kind
add_qualified(struct cmd_job *j, const struct mail_address_list *raw,
    struct mail_address_list *to, struct err *e)
{
	char dom[256], q[MAIL_ADDRESS_LEN_MAX + 258];
	struct mail_address_list exp;
	const char *file = NULL;
	enum err_kind rc = ERR_OK;
	size_t i, k;

	local_domain(j->acct, dom, sizeof(dom));
	if (!j->o.no_aliases && load_aliases(j, &file, e) != ERR_OK)
		return e->kind;
	mail_address_list_init(&exp);
	for (i = 0; i < raw->n && rc == ERR_OK; i++) {
		if (file != NULL && !j->o.no_aliases &&
		    conf_aliases_is_local(raw->addrs[i], dom))
			rc = conf_aliases_expand(&j->aliases, raw->addrs[i],
			    dom, &exp, e);
		else
			rc = mail_address_list_add(&exp, raw->addrs[i], e);
	}
	for (k = 0; k < exp.n && rc == ERR_OK; k++) {
		const char *a = exp.addrs[k];

		if (strchr(a, '@') == NULL) {
			snprintf(q, sizeof(q), "%s@%s", a, dom);
			a = q;
		}
		rc = mail_address_list_add(to, a, e);
	}
	mail_address_list_free(&exp);
	return rc;
}

/*
 * argv's and the header's recipients merged (Postfix, msmtp); with -t and
 * `recipients_from_args exclude`, the header's less argv's (Sendmail).
 */
static enum err_kind
merge_recipients(struct cmd_job *j, const struct mail_address_list *args,
    const struct mail_address_list *hdrs, struct err *e)
{
	const char *mode = conf_parse_get(j->acct, CONF_RECIPIENTS_FROM_ARGS);
	struct mail_address_list all;
	enum err_kind rc;
	size_t i, nargs;

	if (!j->o.from_headers || mode == NULL ||
	    strcmp(mode, "exclude") != 0) {
		if ((rc = add_qualified(j, args, &j->rcpts, e)) != ERR_OK)
			return rc;
		return add_qualified(j, hdrs, &j->rcpts, e);
	}
	/* A list drops duplicates: what hdrs adds past args is not in it. */
	mail_address_list_init(&all);
	rc = add_qualified(j, args, &all, e);
	nargs = all.n;
	if (rc == ERR_OK)
		rc = add_qualified(j, hdrs, &all, e);
	for (i = nargs; i < all.n && rc == ERR_OK; i++)
		rc = mail_address_list_add(&j->rcpts, all.addrs[i], e);
	mail_address_list_free(&all);
	return rc;
}

static enum err_kind
collect_recipients(struct cmd_job *j, char **rcpts, size_t nrcpt,
    struct err *e)
{
	struct mail_address_list args, hdrs;
	enum err_kind rc = ERR_OK;
	size_t i;

	mail_address_list_init(&args);
	mail_address_list_init(&hdrs);
	for (i = 0; i < nrcpt && rc == ERR_OK; i++)
		rc = mail_address_parse_list(rcpts[i], strlen(rcpts[i]), &args,
		    e);
	if (rc == ERR_OK && j->o.from_headers)
		rc = mail_header_recipients(buf_str(&j->in.header),
		    j->in.header.len, &hdrs, e);
	if (rc == ERR_OK)
		rc = merge_recipients(j, &args, &hdrs, e);
	mail_address_list_free(&args);
	mail_address_list_free(&hdrs);
	if (rc != ERR_OK)
		return rc;
	if (j->rcpts.n == 0)
		return err_set(e, ERR_USAGE, j->o.from_headers ?
		    "no recipient addresses found in the message header" :
		    "no recipients given (use -t to take them from the "
		    "message)");
	return ERR_OK;
}

/* The per-message log: `logfile FILE` or `syslog [FACILITY]`; -L names it. */
static enum err_kind
open_message_log(struct cmd_job *j, struct err *e)
{
	const char *lf = conf_parse_get(j->acct, CONF_LOGFILE);
	const char *sl = conf_parse_get(j->acct, CONF_SYSLOG);
	const char *tag = j->o.syslog_tag != NULL ? j->o.syslog_tag : PROG;

	/* The first message's account decides, for the whole run (-bs). */
	if (j->mlog.sink != LOG_SINK_NONE)
		return ERR_OK;
	j->mlog.prefix = tag;
	if (lf != NULL && lf[0] != '\0') {
		if (strcmp(lf, "-") == 0)
			j->logfp = stdout;
		else if ((j->logfp = fopen(lf, "ae")) == NULL)
			return err_set(e, ERR_CANTCREAT, "cannot open log file "
			    "%s: %s", lf, strerror(errno));
		j->mlog.sink = LOG_SINK_FILE;
		j->mlog.fp = j->logfp;
	} else if (sl != NULL && strcmp(sl, "off") != 0) {
		j->mlog.sink = LOG_SINK_SYSLOG;
		j->mlog.facility = syslog_facility(sl);
		openlog(tag, LOG_PID, j->mlog.facility);
	}
	return ERR_OK;
}

enum err_kind
cmd_job_open_log(struct cmd_job *j, struct err *e)
{
	return open_message_log(j, e);
}

enum err_kind
cmd_job_prepare(struct cmd_job *j, char **rcpts, size_t nrcpt, struct err *e)
{
	if (choose_account(j, e) != ERR_OK ||
	    open_message_log(j, e) != ERR_OK ||
	    envelope_sender(j, e) != ERR_OK ||
	    collect_recipients(j, rcpts, nrcpt, e) != ERR_OK ||
	    check_envelope(j, e) != ERR_OK || compose_header(j, e) != ERR_OK)
		return e->kind;
	return ERR_OK;
}

/* The Message-ID of the header as sent, without <>, into out ("" none). */
static void
message_id(const struct deliver_input *msg, char *out, size_t outlen)
{
	struct mail_header_field f;
	size_t pos = 0, a, b;

	out[0] = '\0';
	while (mail_header_next(buf_str(&msg->header), msg->header.len, &pos,
	    &f) == 1) {
		if (!mail_header_is(&f, "Message-ID"))
			continue;
		for (a = 0; a < f.value_len && strchr(" \t\r\n<", f.value[a]);
		    a++)
			;
		for (b = f.value_len; b > a && strchr(" \t\r\n>",
		    f.value[b - 1]); b--)
			;
		(void)snprintf(out, outlen, "%.*s", (int)(b - a), f.value + a);
		return;
	}
}

static const char *
rcpt_status(enum smtp_client_outcome o)
{
	return o == SMTP_CLIENT_OK ? "sent" : o == SMTP_CLIENT_TEMP ?
	    "deferred" : "bounced";
}

/* sent: all; partial: some; else deferred, bounced or failed. */
static const char *
outcome(const struct deliver_submit_result *res, enum err_kind kind)
{
	size_t i, ok = 0, temp = 0;

	for (i = 0; i < res->nrcpt; i++) {
		ok += res->rcpt[i].outcome == SMTP_CLIENT_OK;
		temp += res->rcpt[i].outcome == SMTP_CLIENT_TEMP;
	}
	if (res->nrcpt > 0 && ok == res->nrcpt)
		return "sent";
	if (ok > 0)
		return "partial";
	if (kind == ERR_TEMP || temp > 0)
		return "deferred";
	return res->session_err == ERR_OK ? "bounced" : "failed";
}

static size_t deferred(const struct deliver_submit_result *res);

/*
 * A JSON line in a log file: the object alone on its line (no time stamp
 * in front, as log_msg() writes), with the time as its first member.
 */
static void
json_line(FILE *fp, const char *obj)
{
	char stamp[64];
	time_t now = time(NULL);
	struct tm tm;

	if (localtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S%z", &tm) == 0)
		stamp[0] = '\0';
	fprintf(fp, "{\"time\":\"%s\",%s\n", stamp, obj + 1);
	fflush(fp);
}

/* One line for the message (deliver/msglog.h). */
static void
log_result(struct cmd_job *j, const struct cmd_job_sent *sent,
    const struct deliver_submit_result *res, enum err_kind kind, long long ms,
    const char *qid)
{
	struct deliver_msglog m;
	struct deliver_msglog_rcpt *r;
	const char *fmt = conf_parse_get(j->acct, CONF_LOG_FORMAT);
	bool json = fmt != NULL && strcmp(fmt, "json") == 0;
	char id[256], queued[DELIVER_TEXT_MAX + 128];
	struct buf line;
	struct err e;
	size_t i;

	if (j->mlog.sink == LOG_SINK_NONE)
		return;
	if ((r = calloc(res->nrcpt + 1, sizeof(*r))) == NULL)
		return;
	for (i = 0; i < res->nrcpt; i++) {
		r[i].addr = i < sent->nrcpt ? sent->rcpts[i] : "";
		r[i].status = rcpt_status(res->rcpt[i].outcome);
		r[i].reply = res->rcpt[i].text;
	}
	message_id(sent->msg, id, sizeof(id));
	memset(&m, 0, sizeof(m));
	m.msgid = id;
	m.from = sent->from;
	m.rcpts = r;
	m.nrcpt = res->nrcpt;
	m.relay = res->relay;
	m.tls = res->tls;
	m.policy = res->policy;
	m.size = deliver_input_size(sent->msg);
	m.duration_ms = ms;
	m.outcome = outcome(res, kind);
	m.error = res->session_err != ERR_OK || res->sender_refused ?
	    res->session_text : NULL;
	if (qid != NULL && qid[0] != '\0' && deferred(res) > 0) {
		snprintf(queued, sizeof(queued), "queued as %s%s%s", qid,
		    m.error != NULL ? ": " : "", m.error != NULL ? m.error : "");
		m.error = queued;
	}
	buf_init(&line, DELIVER_MSGLOG_MAX);
	err_clear(&e);
	if (deliver_msglog_format(&m, json ? DELIVER_MSGLOG_JSON :
	    DELIVER_MSGLOG_TEXT, &line, &e) != ERR_OK)
		;	/* out of memory: no line rather than half a line */
	else if (json && j->mlog.sink == LOG_SINK_FILE)
		json_line(j->logfp, buf_str(&line));
	else
		log_verbatim(&j->mlog, kind == ERR_OK ? LOG_INFO : LOG_ERR,
		    buf_str(&line));
	buf_free(&line);
	free(r);
}

enum err_kind
cmd_job_deliver(struct cmd_job *j, struct deliver_submit_result *res,
    struct err *e)
{
	struct deliver_submit_req req;
	struct cmd_tls_files tls_files;
	enum err_kind rc;

	if (cmd_job_route(j, &req, &tls_files, e) != ERR_OK)
		return e->kind;
	req.mail_from = j->from;
	req.rcpts = (const char *const *)j->rcpts.addrs;
	req.nrcpt = j->rcpts.n;
	req.msg = &j->in;
	req.body_type = j->o.body_type;
	req.dsn_notify = j->o.dsn_notify[0] != '\0' ? j->o.dsn_notify : NULL;
	req.dsn_ret = j->o.dsn_ret[0] != '\0' ? j->o.dsn_ret : NULL;
	req.dsn_envid = j->o.dsn_envid;
	req.smtputf8 = j->o.smtputf8;
	/* Its failures are in res too; the outcome reads them all. */
	if (req.host == NULL) {
		struct deliver_route_req rr;

		rr.base = &req;
		rr.tls_policy = conf_parse_get(j->acct, CONF_TLS_POLICY);
		(void)deliver_route_run(&rr, res, e);
		return deliver_submit_outcome(res, e);
	}
	(void)deliver_submit_run(&req, res, e);
	rc = deliver_submit_outcome(res, e);
	if (rc != ERR_OK && res->session_err != ERR_OK)
		err_prefix(e, "%s", req.host);
	return rc;
}

/* Recipients the result left for later (4xx, or the session failed so). */
static size_t
deferred(const struct deliver_submit_result *res)
{
	size_t i, n = 0;

	for (i = 0; i < res->nrcpt; i++)
		n += res->rcpt[i].outcome == SMTP_CLIENT_TEMP;
	return n;
}

enum err_kind
cmd_job_submit(struct cmd_job *j, bool quiet, struct err *e)
{
	struct deliver_submit_result res;
	struct cmd_job_sent sent;
	char qid[64] = "";
	long long t0 = io_net_now_ms();
	enum err_kind rc, qrc = ERR_OK;
	struct err qe;

	deliver_submit_result_init(&res);
	rc = cmd_job_deliver(j, &res, e);
	if (res.nrcpt == 0) {		/* it never ran: nothing to report */
		deliver_submit_result_free(&res);
		return rc;
	}
	/* Deferred recipients go into the queue: taken care of, exit 0. */
	err_clear(&qe);
	if (deferred(&res) > 0 && cmd_queue_enabled(j)) {
		qrc = cmd_queue_defer(j, &res, qid, sizeof(qid), &qe);
		if (qrc == ERR_OK) {
			log_msg(&j->log, LOG_INFO, "queued as %s: %s", qid,
			    e->msg);
			rc = ERR_OK;
			err_clear(e);
		}
	}
	/* Every failure already has its line: no summary repeating one. */
	j->reported = !quiet && report(j, &res, qid[0] != '\0') > 0 &&
	    rc != ERR_OK && res.session_err == ERR_OK;
	sent.msg = &j->in;
	sent.from = j->from;
	sent.rcpts = (const char *const *)j->rcpts.addrs;
	sent.nrcpt = j->rcpts.n;
	log_result(j, &sent, &res, rc, io_net_now_ms() - t0, qid);
	deliver_submit_result_free(&res);
	if (qrc != ERR_OK) {
		j->reported = false;
		/* Not stored after an I/O error (a failed fsync): a retry
		 * may work, 75; no space or no permission stays what it is. */
		return err_set(e, qrc == ERR_IO ? ERR_TEMP : qrc, "%s (and "
		    "the message could not be "
		    "queued: %s)", e->msg, qe.msg);
	}
	strlcpy(j->queued_as, qid, sizeof(j->queued_as));
	/* Not under -bs: the client waits for its reply meanwhile. */
	if (rc == ERR_OK && qid[0] == '\0' && j->o.mode != CMD_MODE_SMTP)
		cmd_queue_after_success(j);
	return rc;
}

void
cmd_job_log(struct cmd_job *j, const struct cmd_job_sent *sent,
    const struct deliver_submit_result *res, enum err_kind kind, long long ms,
    const char *qid)
{
	log_result(j, sent, res, kind, ms, qid);
}

void
cmd_job_utc_offset(long *offset)
{
	long long now;

	now_and_zone(&now, offset);
}

/* ---- -bv and newaliases -------------------------------------------------- */

static const char *
tls_name(enum smtp_client_tls t)
{
	return t == SMTP_CLIENT_TLS_IMPLICIT ? "implicit TLS" :
	    t == SMTP_CLIENT_TLS_STARTTLS ? "STARTTLS" : "none";
}

/* The header section with LF line ends, as the rest of the output. */
static void
show_header(const struct cmd_job *j, FILE *out)
{
	const char *p = buf_str(&j->in.header);
	size_t i, n = j->in.header.len;

	for (i = 0; i < n; i++)
		if (p[i] != '\r' || i + 1 >= n || p[i + 1] != '\n')
			(void)putc(p[i], out);
}

/*
 * -bv without a smarthost: each recipient domain and its TLS policy (no
 * DNS lookup: -bv connects nowhere and asks nobody).
 */
static void
verify_direct(const struct cmd_job *j, FILE *out)
{
	const char *pol = conf_parse_get(j->acct, CONF_TLS_POLICY);
	char dom[MAIL_IDN_LEN_MAX + 1];
	struct err e;
	size_t i, k;

	for (i = 0; i < j->rcpts.n; i++) {
		if (deliver_route_domain(j->rcpts.addrs[i], dom, sizeof(dom),
		    &e) != ERR_OK)
			continue;
		for (k = 0; k < i; k++) {
			char prev[MAIL_IDN_LEN_MAX + 1];

			if (deliver_route_domain(j->rcpts.addrs[k], prev,
			    sizeof(prev), &e) == ERR_OK &&
			    strcmp(prev, dom) == 0)
				break;
		}
		if (k < i)
			continue;
		fprintf(out, "route: %s: its MX hosts, port 25, TLS policy "
		    "%s, no auth\n", dom, conf_parse_tls_policy_name(
		    conf_parse_tls_policy(pol, dom, CONF_TLS_POLICY_DANE)));
	}
}

/*
 * What would be sent, and where: no connection, no password source asked
 * (a passwordeval command is not run), nothing sent.
 */
enum err_kind
cmd_job_verify(struct cmd_job *j, FILE *out, struct err *e)
{
	struct deliver_submit_req req;
	struct cmd_tls_files tls_files;
	const char *auth = conf_parse_get(j->acct, CONF_AUTH);
	const char *user = conf_parse_get(j->acct, CONF_USER);
	size_t i;

	if (cmd_job_route_only(j, &req, &tls_files, e) != ERR_OK)
		return e->kind;
	fprintf(out, "account: %s\n", j->acct->name);
	if (req.host == NULL)
		verify_direct(j, out);
	else
		fprintf(out, "route: %s port %s, TLS %s%s, auth %s%s%s\n",
		    req.host, req.port, tls_name(req.tls),
		    req.tls != SMTP_CLIENT_TLS_NONE && !req.tls_conf.certcheck ?
		    " (certificate not checked)" : "", auth != NULL ? auth :
		    "off", user != NULL ? " as " : "", user != NULL ? user : "");
	fprintf(out, "EHLO %s\n", j->helo);
	fprintf(out, "MAIL FROM:<%s>\n", j->from);
	for (i = 0; i < j->rcpts.n; i++)
		fprintf(out, "RCPT TO:<%s>\n", j->rcpts.addrs[i]);
	fprintf(out, "\n");
	show_header(j, out);
	fprintf(out, "\n(message size %llu bytes; nothing was sent)\n",
	    deliver_input_size(&j->in));
	if (fflush(out) == EOF || ferror(out))
		return err_set(e, ERR_IO, "writing standard output: %s",
		    strerror(errno));
	return ERR_OK;
}

enum err_kind
cmd_job_newaliases(struct cmd_job *j, struct err *e)
{
	const char *file;
	char dom[256];
	size_t n = 0;

	if ((j->acct = conf_parse_find(&j->conf, j->o.account)) == NULL)
		return err_set(e, ERR_CONFIG, "account '%s' not found",
		    j->o.account != NULL ? j->o.account : "default");
	if (load_aliases(j, &file, e) != ERR_OK)
		return e->kind;
	if (file == NULL) {
		log_msg(&j->log, LOG_INFO, "no aliases file is configured "
		    "(aliases FILE): nothing to check");
		return ERR_OK;
	}
	local_domain(j->acct, dom, sizeof(dom));
	if (conf_aliases_check(&j->aliases, dom, &n, e) != ERR_OK)
		return e->kind;
	printf("%s: %zu aliases\n", file, n);
	return ERR_OK;
}
