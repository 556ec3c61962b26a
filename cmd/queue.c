/*
 * The queue in the front end (see job.h): what postie stores, when it
 * runs the queue, retries, expiry and bounces.  The files themselves are
 * src/queue/store.c's; the envelope format src/queue/env.c's.
 *
 * Retry: an entry that failed for now is tried again after queue_retry_min
 * (5 minutes), doubling each time up to queue_retry_max (4 hours).  An
 * entry older than queue_lifetime (5 days) fails for good.  A recipient
 * that fails for good gets a bounce (RFC 3464) to the envelope sender,
 * itself queued with the null sender, through the same account; a bounce
 * never gets a bounce: one that cannot be delivered goes to dead/ and the
 * log.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/job.h"
#include "deliver/route.h"
#include "deliver/submit.h"
#include "io/net.h"
#include "mail/dsn_report.h"
#include "queue/env.h"
#include "queue/store.h"

#define RETRY_MIN_DEFAULT 300LL
#define RETRY_MAX_DEFAULT 14400LL
#define LIFETIME_DEFAULT (5LL * 86400)
#define AFTER_SUCCESS_MS 10000LL	/* the queue run after a success */
#define BOUNCE_MAX (1u << 20)

/* The account the queue's settings come from: the message's, else the
 * default. */
static const struct conf_account *
settings(const struct cmd_job *j)
{
	return j->acct != NULL ? j->acct :
	    conf_parse_find(&j->conf, j->o.account);
}

bool
cmd_queue_enabled(const struct cmd_job *j)
{
	return conf_parse_bool(settings(j), CONF_QUEUE, true);
}

static enum err_kind
open_queue(const struct cmd_job *j, bool create, struct queue_store *q,
    struct err *e)
{
	const char *dir = conf_parse_get(settings(j), CONF_QUEUE_DIR);
	char def[PATH_MAX];

	if (dir == NULL) {
		if (queue_store_default_dir(def, sizeof(def), e) != ERR_OK)
			return e->kind;
		dir = def;
	}
	return queue_store_open(q, dir, create, e);
}

static long long
now_s(void)
{
	return (long long)time(NULL);
}

/* Seconds to wait after the attempts-th failed attempt. */
static long long
backoff(const struct cmd_job *j, unsigned attempts)
{
	long long lo = conf_parse_seconds(settings(j), CONF_QUEUE_RETRY_MIN,
	    RETRY_MIN_DEFAULT);
	long long hi = conf_parse_seconds(settings(j), CONF_QUEUE_RETRY_MAX,
	    RETRY_MAX_DEFAULT);
	long long d = lo > 0 ? lo : 1;
	unsigned i;

	for (i = 1; i < attempts && d < hi; i++)
		d *= 2;
	return d < hi ? d : (hi > 0 ? hi : d);
}

/* The envelope of the message in hand, without recipients. */
static enum err_kind
env_of_job(const struct cmd_job *j, struct queue_env *env, struct err *e)
{
	const struct cmd_options *o = &j->o;

	env->created = now_s();
	env->next = env->created;
	env->smtputf8 = o->smtputf8;
	if (queue_env_set(env, QUEUE_ENV_FROM, j->from, e) != ERR_OK ||
	    queue_env_set(env, QUEUE_ENV_ACCOUNT, j->acct != NULL ?
	    j->acct->name : NULL, e) != ERR_OK ||
	    queue_env_set(env, QUEUE_ENV_RET, o->dsn_ret[0] != '\0' ?
	    o->dsn_ret : NULL, e) != ERR_OK ||
	    queue_env_set(env, QUEUE_ENV_ENVID, o->dsn_envid, e) != ERR_OK ||
	    queue_env_set(env, QUEUE_ENV_NOTIFY, o->dsn_notify[0] != '\0' ?
	    o->dsn_notify : NULL, e) != ERR_OK ||
	    queue_env_set(env, QUEUE_ENV_BODY, o->body_type, e) != ERR_OK)
		return e->kind;
	return ERR_OK;
}

static enum err_kind
put(struct cmd_job *j, struct queue_env *env, char *qid, size_t qidlen,
    struct err *e)
{
	struct queue_store q;
	enum err_kind rc;

	if (open_queue(j, true, &q, e) != ERR_OK)
		return e->kind;
	rc = queue_store_put(&q, &j->in, env, e);
	if (rc == ERR_OK)
		strlcpy(qid, env->id, qidlen);
	queue_store_close(&q);
	return rc;
}

enum err_kind
cmd_queue_defer(struct cmd_job *j, const struct deliver_submit_result *res,
    char *qid, size_t qidlen, struct err *e)
{
	struct queue_env env;
	enum err_kind rc;
	size_t i;

	queue_env_init(&env);
	rc = env_of_job(j, &env, e);
	/* Those refused for good were told on stderr already: no entry, so
	 * no bounce repeats it. */
	for (i = 0; i < res->nrcpt && i < j->rcpts.n && rc == ERR_OK; i++) {
		enum smtp_client_outcome o = res->rcpt[i].outcome;

		if (o != SMTP_CLIENT_PERM)
			rc = queue_env_add_rcpt(&env, j->rcpts.addrs[i],
			    o == SMTP_CLIENT_OK ? QUEUE_RCPT_SENT :
			    QUEUE_RCPT_PENDING, res->rcpt[i].text, e);
	}
	if (rc == ERR_OK) {
		env.attempts = 1;
		env.last = env.created;
		env.next = env.created + backoff(j, 1);
		rc = put(j, &env, qid, qidlen, e);
	}
	queue_env_free(&env);
	return rc;
}

enum err_kind
cmd_queue_store_new(struct cmd_job *j, char *qid, size_t qidlen,
    struct err *e)
{
	struct queue_env env;
	enum err_kind rc;
	size_t i;

	queue_env_init(&env);
	rc = env_of_job(j, &env, e);
	for (i = 0; i < j->rcpts.n && rc == ERR_OK; i++)
		rc = queue_env_add_rcpt(&env, j->rcpts.addrs[i],
		    QUEUE_RCPT_PENDING, "", e);
	if (rc == ERR_OK)
		rc = put(j, &env, qid, qidlen, e);
	queue_env_free(&env);
	return rc;
}

/* ---- running the queue ---------------------------------------------------- */

/*
 * Due entries of one account go over one connection, one transaction (or
 * more) each, in batches of at most BATCH_MAX entries or BATCH_BYTES of
 * messages (each message is read back before the session starts).
 */
#define BATCH_MAX 64
#define BATCH_BYTES (32ULL << 20)

/* A locked entry of the batch, with its message read back. */
struct item {
	struct queue_entry ent;
	struct deliver_input in;
	const char **rcpts;		/* the pending recipients */
	size_t *map;			/* rcpts index -> env index */
	size_t n;
	bool recorded;			/* its results are in ent.env */
	bool locked;			/* not settled yet */
};

struct runner {
	struct cmd_job *j;
	struct queue_store q;
	bool force;			/* -qf, -qI: ignore the schedule */
	const char *account;		/* only entries of this account */
	long long deadline_ms;		/* 0: none */
	struct item *batch;
	size_t nbatch;
	unsigned long long batch_bytes;
	enum err_kind first;		/* the first failure, for the exit */
	char first_msg[ERR_MSG_MAX];
};

static enum err_kind run_one(struct runner *r, const char *id);

static void
note(struct runner *r, enum err_kind rc, const char *msg)
{
	if (rc == ERR_OK || r->first != ERR_OK)
		return;
	r->first = rc;
	strlcpy(r->first_msg, msg, sizeof(r->first_msg));
}

static void
item_free(struct item *it)
{
	it->locked = false;
	queue_store_unlock(&it->ent);
	deliver_input_free(&it->in);
	free(it->rcpts);
	free(it->map);
	memset(it, 0, sizeof(*it));
}

/* The account of an entry, as configured now (else the default). */
static const struct conf_account *
entry_account(const struct cmd_job *j, const struct queue_env *env)
{
	const struct conf_account *a = env->account != NULL ?
	    conf_parse_find(&j->conf, env->account) : NULL;

	return a != NULL ? a : conf_parse_find(&j->conf, NULL);
}

/* Read the entry's message back and list its pending recipients. */
static enum err_kind
item_load(struct item *it, struct err *e)
{
	const struct queue_env *env = &it->ent.env;
	size_t i;

	deliver_input_init(&it->in);
	it->rcpts = calloc(env->nrcpt + 1, sizeof(*it->rcpts));
	it->map = calloc(env->nrcpt + 1, sizeof(*it->map));
	if (it->rcpts == NULL || it->map == NULL)
		return err_set(e, ERR_OS, "out of memory");
	for (i = 0; i < env->nrcpt; i++)
		if (env->rcpts[i].state == QUEUE_RCPT_PENDING) {
			it->map[it->n] = i;
			it->rcpts[it->n++] = env->rcpts[i].addr;
		}
	if (lseek(queue_entry_msg_fd(&it->ent), 0, SEEK_SET) == -1)
		return err_set(e, ERR_IO, "queue entry %s: %s", env->id,
		    strerror(errno));
	return deliver_input_read(&it->in, queue_entry_msg_fd(&it->ent),
	    false, cmd_job_tmpdir(), e);
}

/* Every pending recipient of an expired entry fails for good. */
static void
expire(struct queue_env *env, long long lifetime)
{
	char why[QUEUE_ENV_REPLY_MAX];
	size_t i;
	struct err e;

	for (i = 0; i < env->nrcpt; i++) {
		const struct queue_rcpt *qr = &env->rcpts[i];

		if (qr->state != QUEUE_RCPT_PENDING)
			continue;
		snprintf(why, sizeof(why), "expired after %lld%s in the "
		    "queue%s%.300s", lifetime >= 86400 ? lifetime / 86400 :
		    lifetime >= 3600 ? lifetime / 3600 : lifetime,
		    lifetime >= 86400 ? " days" : lifetime >= 3600 ? " hours" :
		    " seconds", qr->reply != NULL &&
		    qr->reply[0] != '\0' ? "; last reply: " : "",
		    qr->reply != NULL ? qr->reply : "");
		(void)queue_env_set_rcpt(env, i, QUEUE_RCPT_FAILED, why, &e);
	}
}

/*
 * A bounce (RFC 3464) for the failed recipients of env, with the header
 * section of orig; queued with the null sender for the same account, and
 * run at once.
 */
static enum err_kind
bounce(struct runner *r, const struct queue_env *env,
    const struct deliver_input *orig, long long lifetime, bool expired,
    struct err *e)
{
	struct cmd_job *j = r->j;
	struct mail_dsn_report rep;
	struct mail_dsn_report_rcpt *rr;
	struct queue_env benv;
	struct deliver_input in;
	struct buf text;
	unsigned char rnd[32];
	char host[256], pm[300], qid[QUEUE_ID_MAX + 1] = "";
	size_t i, n = 0;
	enum err_kind rc;

	if ((rr = calloc(env->nrcpt + 1, sizeof(*rr))) == NULL)
		return err_set(e, ERR_OS, "out of memory");
	for (i = 0; i < env->nrcpt; i++) {
		if (env->rcpts[i].state != QUEUE_RCPT_FAILED)
			continue;
		rr[n].addr = env->rcpts[i].addr;
		rr[n].action = MAIL_DSN_REPORT_FAILED;
		rr[n].diagnostic = env->rcpts[i].reply;
		rr[n].last_attempt = env->last;
		n++;
	}
	cmd_job_hostname_of(j, entry_account(j, env), host, sizeof(host));
	snprintf(pm, sizeof(pm), "MAILER-DAEMON@%s", host);
	arc4random_buf(rnd, sizeof(rnd));
	memset(&rep, 0, sizeof(rep));
	rep.reporting_mta = host;
	rep.postmaster = pm;
	rep.to = env->from;
	rep.envid = env->envid;
	rep.arrival = env->created;
	rep.now = now_s();
	cmd_job_utc_offset(&rep.utc_offset);
	rep.rnd = rnd;
	rep.nrnd = sizeof(rnd);
	rep.domain = host;
	rep.expired = expired;
	rep.lifetime_s = lifetime;
	rep.rcpts = rr;
	rep.nrcpt = n;
	rep.orig_header = buf_str(&orig->header);
	rep.orig_header_len = orig->header.len;
	buf_init(&text, BOUNCE_MAX);
	deliver_input_init(&in);
	queue_env_init(&benv);
	rc = mail_dsn_report_compose(&rep, &text, e);
	free(rr);
	if (rc == ERR_OK)
		rc = deliver_input_begin(&in, false, cmd_job_tmpdir(), e);
	if (rc == ERR_OK)
		rc = deliver_input_feed(&in, text.data, text.len, e);
	if (rc == ERR_OK)
		rc = deliver_input_end(&in, e);
	buf_free(&text);
	if (rc == ERR_OK) {
		benv.bounce = true;
		benv.smtputf8 = in.header_8bit;
		rc = queue_env_set(&benv, QUEUE_ENV_FROM, "", e);
	}
	if (rc == ERR_OK && in.eightbit)
		rc = queue_env_set(&benv, QUEUE_ENV_BODY, "8BITMIME", e);
	if (rc == ERR_OK)
		rc = queue_env_set(&benv, QUEUE_ENV_ACCOUNT, env->account, e);
	if (rc == ERR_OK)
		rc = queue_env_add_rcpt(&benv, env->from, QUEUE_RCPT_PENDING,
		    "", e);
	if (rc == ERR_OK)
		rc = queue_store_put(&r->q, &in, &benv, e);
	if (rc == ERR_OK)
		strlcpy(qid, benv.id, sizeof(qid));
	queue_env_free(&benv);
	deliver_input_free(&in);
	if (rc != ERR_OK)
		return rc;
	log_msg(&j->mlog, LOG_INFO, "queue entry %s: bounce %s to <%s>",
	    env->id, qid, env->from);
	return run_one(r, qid);
}

/*
 * An attempt is over (or the entry expired): when nothing is pending any
 * more, bounce the failures and remove the entry, else store the new
 * state.  Unlocks.
 */
static void
settle(struct runner *r, struct item *it, long long lifetime, bool expired)
{
	struct queue_env *env = &it->ent.env;
	struct err e;
	enum err_kind rc = ERR_OK;
	size_t i, failed = 0;

	err_clear(&e);
	for (i = 0; i < env->nrcpt; i++)
		failed += env->rcpts[i].state == QUEUE_RCPT_FAILED;
	if (queue_env_pending(env) > 0)
		rc = queue_store_update(&r->q, &it->ent, &e);
	else if (failed > 0 && env->bounce) {
		/* Never a bounce for a bounce: kept for the postmaster. */
		log_msg(&r->j->mlog, LOG_ERR, "queue entry %s: a bounce "
		    "could not be delivered; moved to dead/", env->id);
		rc = queue_store_to_dead(&r->q, &it->ent, &e);
	} else {
		if (failed > 0 && env->from != NULL && env->from[0] != '\0' &&
		    (env->notify == NULL || strstr(env->notify, "FAILURE") !=
		    NULL))
			rc = bounce(r, env, &it->in, lifetime, expired, &e);
		/* The bounce is queued (or failed to be: the entry stays,
		 * and the next run tries again). */
		if (rc == ERR_OK)
			rc = queue_store_remove(&r->q, &it->ent, &e);
	}
	note(r, rc, e.msg);
	item_free(it);
}

/* The results of one message of the batch into its entry's state. */
static void
record(struct runner *r, struct item *it,
    const struct deliver_submit_result *res, long long ms)
{
	struct cmd_job *j = r->j;
	struct queue_env *env = &it->ent.env;
	struct cmd_job_sent sent;
	struct err e;
	enum err_kind rc;
	size_t i;

	for (i = 0; i < res->nrcpt && i < it->n; i++) {
		enum smtp_client_outcome o = res->rcpt[i].outcome;

		/* Our side's trouble (credentials, configuration) is no
		 * reason to bounce mail: it waits until it is mended. */
		if (o == SMTP_CLIENT_PERM && (res->session_err == ERR_NOPERM ||
		    res->session_err == ERR_CONFIG ||
		    res->session_err == ERR_SOFTWARE ||
		    res->session_err == ERR_OS))
			o = SMTP_CLIENT_TEMP;
		(void)queue_env_set_rcpt(env, it->map[i], o == SMTP_CLIENT_OK ?
		    QUEUE_RCPT_SENT : o == SMTP_CLIENT_TEMP ?
		    QUEUE_RCPT_PENDING : QUEUE_RCPT_FAILED, res->rcpt[i].text,
		    &e);
	}
	env->attempts++;
	env->last = now_s();
	env->next = env->last + backoff(j, env->attempts);
	sent.msg = &it->in;
	sent.from = env->from != NULL ? env->from : "";
	sent.rcpts = it->rcpts;
	sent.nrcpt = it->n;
	rc = deliver_submit_outcome(res, &e);
	cmd_job_log(j, &sent, res, rc, ms, env->id);
}

struct batch_run {
	struct runner *r;
	long long t0, lifetime;
};

/*
 * A message of the batch is over (submit's done hook): its state goes to
 * disk now, not after the session, so a crash later in the batch loses
 * at most the message in flight.  An entry with failures to bounce waits
 * for the end of the session (a bounce is a session of its own).
 */
static void
batch_done(void *arg, size_t k, const struct deliver_submit_result *res)
{
	struct batch_run *br = arg;
	struct runner *r = br->r;
	struct item *it = &r->batch[k];
	size_t i, failed = 0;

	record(r, it, res, io_net_now_ms() - br->t0);
	it->recorded = true;
	for (i = 0; i < it->ent.env.nrcpt; i++)
		failed += it->ent.env.rcpts[i].state == QUEUE_RCPT_FAILED;
	if (failed == 0)
		settle(r, it, br->lifetime, false);
}

/*
 * Without a smarthost each entry goes to its recipients' MX hosts by
 * itself (deliver/route.h), recorded the moment it is over as a batch's
 * are; a signal leaves the rest as they are.
 */
static void
deliver_direct(struct cmd_job *j, const struct deliver_submit_req *reqs,
    size_t n, struct deliver_submit_result *res, struct batch_run *br)
{
	struct deliver_route_req rr;
	struct err e;
	size_t i;

	rr.tls_policy = conf_parse_get(j->acct, CONF_TLS_POLICY);
	for (i = 0; i < n && !io_net_stopped(); i++) {
		rr.base = &reqs[i];
		if (deliver_route_run(&rr, &res[i], &e) == ERR_OK)
			batch_done(br, i, &res[i]);
	}
}

/* Deliver the batch over one connection, then settle every entry. */
static void
deliver_batch(struct runner *r)
{
	struct batch_run br;
	struct cmd_job *j = r->j;
	struct deliver_submit_req base, *reqs = NULL;
	struct deliver_submit_result *res = NULL;
	struct cmd_tls_files tf;
	struct err e;
	long long t0 = io_net_now_ms(), lifetime;
	size_t i, n = r->nbatch;

	if (n == 0)
		return;
	if (io_net_stopped()) {		/* a signal: leave them as they are */
		for (i = 0; i < n; i++)
			if (r->batch[i].locked)
				item_free(&r->batch[i]);
		r->nbatch = 0;
		r->batch_bytes = 0;
		return;
	}
	err_clear(&e);
	cmd_job_message_reset(j);
	j->acct = entry_account(j, &r->batch[0].ent.env);
	(void)cmd_job_open_log(j, &e);
	err_clear(&e);
	cmd_job_hostname_of(j, j->acct, j->helo, sizeof(j->helo));
	lifetime = conf_parse_seconds(j->acct, CONF_QUEUE_LIFETIME,
	    LIFETIME_DEFAULT);
	br.r = r;
	br.t0 = t0;
	br.lifetime = lifetime;
	reqs = calloc(n, sizeof(*reqs));
	res = calloc(n, sizeof(*res));
	if (reqs == NULL || res == NULL)
		err_set(&e, ERR_OS, "out of memory");
	else if (cmd_job_route(j, &base, &tf, &e) == ERR_OK) {
		for (i = 0; i < n; i++) {
			const struct queue_env *env = &r->batch[i].ent.env;

			reqs[i] = base;
			reqs[i].mail_from = env->from != NULL ? env->from : "";
			reqs[i].rcpts = r->batch[i].rcpts;
			reqs[i].nrcpt = r->batch[i].n;
			reqs[i].msg = &r->batch[i].in;
			reqs[i].body_type = env->body;
			reqs[i].dsn_notify = env->notify;
			reqs[i].dsn_ret = env->ret;
			reqs[i].dsn_envid = env->envid;
			reqs[i].smtputf8 = env->smtputf8;
			reqs[i].partial_ok = true;
			deliver_submit_result_init(&res[i]);
		}
		reqs[0].done = batch_done;
		reqs[0].done_arg = &br;
		if (base.host != NULL)
			(void)deliver_submit_run_many(reqs, n, res, &e);
		else
			deliver_direct(j, reqs, n, res, &br);
	}
	for (i = 0; i < n; i++) {
		struct item *it = &r->batch[i];

		if (!it->locked) {		/* settled by batch_done */
			if (res != NULL)
				deliver_submit_result_free(&res[i]);
			continue;
		}
		if (it->recorded)
			;
		else if (res != NULL && res[i].rcpt != NULL)
			record(r, it, &res[i], io_net_now_ms() - t0);
		else {		/* it never ran: the reason on every one */
			size_t k;

			for (k = 0; k < it->n; k++)
				(void)queue_env_set_rcpt(&it->ent.env,
				    it->map[k], QUEUE_RCPT_PENDING, e.msg, &e);
			it->ent.env.attempts++;
			it->ent.env.last = now_s();
			it->ent.env.next = it->ent.env.last +
			    backoff(j, it->ent.env.attempts);
			note(r, e.kind, e.msg);
		}
		if (res != NULL)
			deliver_submit_result_free(&res[i]);
		settle(r, it, lifetime, false);
	}
	free(reqs);
	free(res);
	r->nbatch = 0;
	r->batch_bytes = 0;
	cmd_job_message_reset(j);
}

/* -qR and -qS: a recipient or the sender holds the substring. */
static bool
selected(const struct cmd_job *j, const struct queue_env *env)
{
	size_t i;

	if (j->o.queue_sender != NULL && (env->from == NULL ||
	    strcasestr(env->from, j->o.queue_sender) == NULL))
		return false;
	if (j->o.queue_rcpt == NULL)
		return true;
	for (i = 0; i < env->nrcpt; i++)
		if (strcasestr(env->rcpts[i].addr, j->o.queue_rcpt) != NULL)
			return true;
	return false;
}

/*
 * Lock entry id; a due entry with pending recipients joins the batch (the
 * batch goes first when it is full or of another account); an expired one
 * or one with nothing pending is settled now.
 */
static void
take(struct runner *r, const char *id)
{
	struct cmd_job *j = r->j;
	struct item it;
	struct err e;
	enum queue_store_status st;
	const struct conf_account *acct;
	long long now = now_s(), lifetime;
	bool expired;

	memset(&it, 0, sizeof(it));
	err_clear(&e);
	if (queue_store_lock(&r->q, id, &it.ent, &st, &e) != ERR_OK) {
		/* A damaged entry goes to dead/ (with its error in the log
		 * and the exit status), not in the way of every later run. */
		if (st == QUEUE_STORE_DAMAGED) {
			log_msg(&j->mlog, LOG_ERR, "%s; moved to dead/", e.msg);
			note(r, e.kind, e.msg);
			err_clear(&e);
			if (queue_store_to_dead(&r->q, &it.ent, &e) != ERR_OK)
				note(r, e.kind, e.msg);
		/* Busy: another runner has it.  Gone: delivered meanwhile. */
		} else if (st != QUEUE_STORE_BUSY && st != QUEUE_STORE_GONE)
			note(r, e.kind, e.msg);
		queue_store_unlock(&it.ent);
		return;
	}
	acct = entry_account(j, &it.ent.env);
	if (!selected(j, &it.ent.env) ||
	    (r->account != NULL && (it.ent.env.account == NULL ||
	    strcmp(it.ent.env.account, r->account) != 0)) ||
	    (!r->force && it.ent.env.next > now) || acct == NULL) {
		queue_store_unlock(&it.ent);
		return;
	}
	if (item_load(&it, &e) != ERR_OK) {
		note(r, e.kind, e.msg);
		item_free(&it);
		return;
	}
	lifetime = conf_parse_seconds(acct, CONF_QUEUE_LIFETIME,
	    LIFETIME_DEFAULT);
	expired = now - it.ent.env.created >= lifetime;
	if (expired || it.n == 0) {
		if (expired)
			expire(&it.ent.env, lifetime);
		settle(r, &it, lifetime, expired);
		return;
	}
	if (r->nbatch > 0 && (r->nbatch == BATCH_MAX ||
	    r->batch_bytes + it.ent.size > BATCH_BYTES ||
	    entry_account(j, &r->batch[0].ent.env) != acct))
		deliver_batch(r);
	it.locked = true;
	it.recorded = false;
	r->batch[r->nbatch++] = it;
	r->batch_bytes += it.ent.size;
}

/* One entry alone (a bounce just made), outside the batch in hand. */
static enum err_kind
run_one(struct runner *r, const char *id)
{
	struct runner one;

	memset(&one, 0, sizeof(one));
	one.j = r->j;
	one.q = r->q;
	one.force = true;
	if ((one.batch = calloc(BATCH_MAX, sizeof(*one.batch))) == NULL)
		return ERR_OK;	/* queued: the next run sends it */
	take(&one, id);
	deliver_batch(&one);
	free(one.batch);
	return ERR_OK;
}

static enum err_kind
run(struct runner *r, const char *only, struct err *e)
{
	struct cmd_options saved = r->j->o;
	char **ids = NULL;
	size_t n = 0, i;

	(void)queue_store_gc(&r->q, now_s(), e);
	err_clear(e);
	if (queue_store_list(&r->q, &ids, &n, e) != ERR_OK)
		return e->kind;
	if ((r->batch = calloc(BATCH_MAX, sizeof(*r->batch))) == NULL) {
		queue_store_list_free(ids, n);
		return err_set(e, ERR_OS, "out of memory");
	}
	for (i = 0; i < n && !io_net_stopped(); i++) {
		if (only != NULL && strstr(ids[i], only) == NULL)
			continue;
		if (r->deadline_ms > 0 && io_net_now_ms() > r->deadline_ms)
			break;
		take(r, ids[i]);
	}
	deliver_batch(r);
	free(r->batch);
	r->batch = NULL;
	queue_store_list_free(ids, n);
	r->j->o = saved;
	if (r->first != ERR_OK)
		return err_set(e, r->first, "%s", r->first_msg);
	return ERR_OK;
}

enum err_kind
cmd_queue_run(struct cmd_job *j, const char *only_id, struct err *e)
{
	struct runner r;
	enum err_kind rc;

	memset(&r, 0, sizeof(r));
	r.j = j;
	/* -qf, -q -v (sendmail: a verbose run ignores the schedule too) and
	 * -qI ID try now whatever the schedule says. */
	r.force = j->o.queue_force || j->o.verbose || only_id != NULL;
	if (only_id != NULL && (only_id[0] == '\0' ||
	    strspn(only_id, "0123456789abcdefghijklmnopqrstuvwxyz") !=
	    strlen(only_id)))
		return err_set(e, ERR_USAGE, "'%s' is no queue id", only_id);
	if (open_queue(j, false, &r.q, e) != ERR_OK)
		return e->kind;
	rc = run(&r, only_id, e);
	queue_store_close(&r.q);
	return rc;
}

void
cmd_queue_after_success(struct cmd_job *j)
{
	struct runner r;
	struct err e;
	const struct conf_account *acct = j->acct;

	if (!cmd_queue_enabled(j) || acct == NULL)
		return;
	memset(&r, 0, sizeof(r));
	err_clear(&e);
	if (open_queue(j, false, &r.q, &e) != ERR_OK)
		return;		/* no queue: nothing waits */
	r.j = j;
	r.account = acct->name;
	r.deadline_ms = io_net_now_ms() + AFTER_SUCCESS_MS;
	(void)run(&r, NULL, &e);
	queue_store_close(&r.q);
}

/* ---- mailq and --queue-delete ---------------------------------------------- */

static const char *
state_name(enum queue_rcpt_state s)
{
	return s == QUEUE_RCPT_SENT ? "sent" : s == QUEUE_RCPT_FAILED ?
	    "failed" : "pending";
}

static void
age(long long secs, char *out, size_t outlen)
{
	if (secs < 0)
		secs = 0;
	if (secs < 120)
		snprintf(out, outlen, "%llds", secs);
	else if (secs < 7200)
		snprintf(out, outlen, "%lldm", secs / 60);
	else if (secs < 172800)
		snprintf(out, outlen, "%lldh", secs / 3600);
	else
		snprintf(out, outlen, "%lldd", secs / 86400);
}

static void
header(FILE *out)
{
	fprintf(out, "%-20s %10s %6s  %s\n", "ID", "SIZE", "AGE",
	    "SENDER / RECIPIENTS");
}

enum err_kind
cmd_queue_list(struct cmd_job *j, FILE *out, struct err *e)
{
	enum queue_store_status st;
	struct queue_store q;
	char **ids = NULL, a[32], nx[32];
	size_t n = 0, i, k, shown = 0;
	long long now = now_s();

	if (open_queue(j, false, &q, e) != ERR_OK)
		return e->kind;
	if (queue_store_list(&q, &ids, &n, e) != ERR_OK) {
		queue_store_close(&q);
		return e->kind;
	}
	for (i = 0; i < n; i++) {
		struct queue_env env;
		unsigned long long size = 0;

		queue_env_init(&env);
		if (queue_store_read(&q, ids[i], &env, &size, &st, e) !=
		    ERR_OK) {
			if (st != QUEUE_STORE_GONE) {	/* shown, not hidden */
				if (shown++ == 0)
					header(out);
				fprintf(out, "%-20s (%s)\n", ids[i], e->msg);
			}
			queue_env_free(&env);
			err_clear(e);
			continue;	/* gone since the listing */
		}
		if (shown++ == 0)
			header(out);
		age(now - env.created, a, sizeof(a));
		age(env.next - now, nx, sizeof(nx));
		fprintf(out, "%-20s %10llu %6s  <%s>%s, attempts %u, next %s\n",
		    env.id, size, a, env.from != NULL ? env.from : "",
		    env.bounce ? " (bounce)" : "", env.attempts,
		    env.next <= now ? "now" : nx);
		for (k = 0; k < env.nrcpt; k++)
			fprintf(out, "%39s<%s> %s%s%s%s\n", "",
			    env.rcpts[k].addr, state_name(env.rcpts[k].state),
			    env.rcpts[k].reply != NULL &&
			    env.rcpts[k].reply[0] != '\0' ? " (" : "",
			    env.rcpts[k].reply != NULL ? env.rcpts[k].reply :
			    "", env.rcpts[k].reply != NULL &&
			    env.rcpts[k].reply[0] != '\0' ? ")" : "");
		queue_env_free(&env);
	}
	if (shown == 0)
		fprintf(out, "Mail queue is empty\n");
	else
		fprintf(out, "%zu %s in the queue\n", shown,
		    shown == 1 ? "message" : "messages");
	queue_store_list_free(ids, n);
	queue_store_close(&q);
	return ERR_OK;
}

enum err_kind
cmd_queue_delete(struct cmd_job *j, const char *id, struct err *e)
{
	struct queue_store q;
	struct queue_entry ent;
	enum queue_store_status st;
	enum err_kind rc;

	if (!queue_env_valid_id(id))
		return err_set(e, ERR_USAGE, "'%s' is no queue id", id);
	if (open_queue(j, false, &q, e) != ERR_OK)
		return e->kind;
	rc = queue_store_lock(&q, id, &ent, &st, e);
	if (rc == ERR_OK || st == QUEUE_STORE_DAMAGED)	/* damaged: too */
		rc = queue_store_remove(&q, &ent, e);
	queue_store_unlock(&ent);
	queue_store_close(&q);
	return rc;
}
