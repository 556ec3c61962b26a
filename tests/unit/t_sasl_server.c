/*
 * t_sasl_server: the server side of AUTH (smtp/sasl_server.h), each
 * mechanism against the real client (smtp/sasl.h) in memory: success,
 * wrong credentials, malformed input, cancel, the SCRAM channel binding
 * rules (-PLUS, the "y" downgrade), EXTERNAL, and the RFC 5802/7677
 * vectors from the server's side.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "smtp/sasl.h"
#include "smtp/sasl_server.h"
#include "util/base64.h"
#include "tap.h"

static const char cb_a[] = "channel-binding-data-A-0123456789";
static const char cb_b[] = "channel-binding-data-B-0123456789";

/* The server's users: user/pencil, tim/tanstaaftanstaaf, jö/pässwörd. */
static int
lookup(void *arg, const char *user, struct secret *pw)
{
	static const char *const db[][2] = {
		{ "user", "pencil" },
		{ "tim", "tanstaaftanstaaf" },
		{ "j\xc3\xb6", "p\xc3\xa4sswd \xc2\xa0x" },
	};
	size_t i;

	(void)arg;
	for (i = 0; i < sizeof(db) / sizeof(db[0]); i++)
		if (strcmp(user, db[i][0]) == 0)
			return secret_set(pw, db[i][1], strlen(db[i][1]));
	return -1;
}

static int
check_token(void *arg, const char *user, const char *token)
{
	(void)arg;
	return strcmp(user, "user") == 0 && strcmp(token, "tok123") == 0 ?
	    0 : -1;
}

static struct smtp_sasl_server_conf sconf;

static void
sconf_reset(void)
{
	memset(&sconf, 0, sizeof(sconf));
	sconf.password = lookup;
	sconf.token = check_token;
	sconf.scram_iterations = 4096;
}

/* What a run ended with, for tap_is_str. */
static char outcome[ERR_MSG_MAX + 64];

/*
 * Run one exchange as the engines would: the client's AUTH (with its
 * initial response or none), then 334 challenges and responses until
 * the server decides; a client error sends "*".  Returns outcome:
 * "OK user", "FAIL", "MALFORMED", "ERROR", or "client <kind>: <msg>"
 * (the client refused to go on, or at 235 via finish).
 */
static const char *
run(const char *mech, const char *user, const char *pass, const char *cb,
    const char *offered)
{
	struct secret pw;
	struct smtp_sasl_conf c = { .mech = mech, .user = user,
	    .password = &pw, .host = "mx.example", .port = 587 };
	struct smtp_sasl *cl = smtp_sasl_new(&c);
	struct smtp_sasl_server *sv = smtp_sasl_server_new(mech, &sconf);
	struct smtp_caps caps;
	struct buf init, chal, resp;
	enum smtp_sasl_server_status st;
	const char *name;
	struct err e;
	bool has;
	int rounds = 0;

	secret_init(&pw);
	if (pass != NULL)
		secret_set(&pw, pass, strlen(pass));
	buf_init(&init, 16384);
	buf_init(&chal, 16384);
	buf_init(&resp, 16384);
	smtp_caps_clear(&caps);
	caps.flags = SMTP_CAP_AUTH;
	strlcpy(caps.auth, offered != NULL ? offered : mech, sizeof(caps.auth));
	if (cb != NULL)
		smtp_sasl_set_channel_binding(cl, "tls-exporter", cb,
		    strlen(cb), &e);
	if (smtp_sasl_start(cl, &caps, true, &name, &init, &has, &e) !=
	    ERR_OK) {
		snprintf(outcome, sizeof(outcome), "client %s: %s",
		    err_kind_name(e.kind), e.msg);
		goto out;
	}
	st = smtp_sasl_server_step(sv, has ? buf_str(&init) : NULL, &chal);
	while (st == SMTP_SASL_SERVER_CONTINUE && rounds++ < 10) {
		buf_reset(&resp);
		if (smtp_sasl_step(cl, buf_str(&chal), &resp, &e) != ERR_OK) {
			st = smtp_sasl_server_step(sv, "*", &chal);
			snprintf(outcome, sizeof(outcome), "client %s: %s",
			    err_kind_name(e.kind), e.msg);
			goto out;
		}
		buf_reset(&chal);
		st = smtp_sasl_server_step(sv, buf_str(&resp), &chal);
	}
	if (st == SMTP_SASL_SERVER_OK &&
	    smtp_sasl_finish(cl, "2.7.0 Authentication successful", &e) !=
	    ERR_OK)
		snprintf(outcome, sizeof(outcome), "client %s: %s",
		    err_kind_name(e.kind), e.msg);
	else if (st == SMTP_SASL_SERVER_OK)
		snprintf(outcome, sizeof(outcome), "OK %s",
		    smtp_sasl_server_user(sv));
	else
		snprintf(outcome, sizeof(outcome), "%s",
		    st == SMTP_SASL_SERVER_FAIL ? "FAIL" :
		    st == SMTP_SASL_SERVER_MALFORMED ? "MALFORMED" : "ERROR");
out:
	smtp_sasl_free(cl);
	smtp_sasl_server_free(sv);
	secret_free(&pw);
	buf_free(&init);
	buf_free(&chal);
	buf_free(&resp);
	return outcome;
}

static void
test_each_mechanism(void)
{
	static const char *const pw_mechs[] = { "PLAIN", "LOGIN", "CRAM-MD5",
	    "SCRAM-SHA-1", "SCRAM-SHA-256" };
	char name[128];
	size_t i;

	sconf_reset();
	for (i = 0; i < sizeof(pw_mechs) / sizeof(pw_mechs[0]); i++) {
		snprintf(name, sizeof(name), "%s: success", pw_mechs[i]);
		tap_is_str(run(pw_mechs[i], "user", "pencil", NULL, NULL),
		    "OK user", name);
		snprintf(name, sizeof(name), "%s: wrong password", pw_mechs[i]);
		tap_is_str(run(pw_mechs[i], "user", "pencils", NULL, NULL),
		    "FAIL", name);
		snprintf(name, sizeof(name), "%s: unknown user", pw_mechs[i]);
		tap_is_str(run(pw_mechs[i], "nobody", "pencil", NULL, NULL),
		    "FAIL", name);
	}
	tap_is_str(run("SCRAM-SHA-256", "j\xc3\xb6", "p\xc3\xa4sswd \xc2\xa0x",
	    NULL, NULL), "OK j\xc3\xb6", "SCRAM: UTF-8 user and password");
	tap_is_str(run("SCRAM-SHA-1", "j\xc3\xb6", "p\xc3\xa4sswd  x",
	    NULL, NULL), "OK j\xc3\xb6",
	    "SCRAM: SASLprep maps NBSP to SPACE on both sides");
	tap_is_str(run("XOAUTH2", "user", "tok123", NULL, NULL), "OK user",
	    "XOAUTH2: success");
	tap_is_str(run("XOAUTH2", "user", "expired", NULL, NULL), "FAIL",
	    "XOAUTH2: bad token: JSON error, then FAIL");
	tap_is_str(run("OAUTHBEARER", "user", "tok123", NULL, NULL), "OK user",
	    "OAUTHBEARER: success");
	tap_is_str(run("OAUTHBEARER", "user", "expired", NULL, NULL), "FAIL",
	    "OAUTHBEARER: bad token: JSON error, then FAIL");
	tap_ok(smtp_sasl_server_new("GSSAPI", &sconf) == NULL,
	    "unknown mechanism: NULL");
}

static void
test_plus(void)
{
	sconf_reset();
	sconf.cb_type = "tls-exporter";
	sconf.cb_data = cb_a;
	sconf.cb_len = strlen(cb_a);
	tap_is_str(run("SCRAM-SHA-256-PLUS", "user", "pencil", cb_a, NULL),
	    "OK user", "SCRAM-SHA-256-PLUS: same binding: success");
	tap_is_str(run("SCRAM-SHA-1-PLUS", "user", "pencil", cb_a, NULL),
	    "OK user", "SCRAM-SHA-1-PLUS: same binding: success");
	tap_is_str(run("SCRAM-SHA-256-PLUS", "user", "pencil", cb_b, NULL),
	    "FAIL", "SCRAM-SHA-256-PLUS: other binding (MITM): FAIL");
	/* The client can bind, but -PLUS was taken out of the offer. */
	tap_is_str(run("SCRAM-SHA-256", "user", "pencil", cb_a,
	    "SCRAM-SHA-256"), "FAIL",
	    "SCRAM: client says y while we offer -PLUS: downgrade, FAIL");
	tap_is_str(run("SCRAM-SHA-256", "user", "pencil", NULL, NULL),
	    "OK user", "SCRAM: client without binding (n): success");
	tap_is_str(run("SCRAM-SHA-256", "user", "pencil", cb_a,
	    "SCRAM-SHA-256 SCRAM-SHA-256-PLUS"), "OK user",
	    "SCRAM named while -PLUS offered: client says n: success");
	sconf.cb_data = NULL;
	sconf.cb_len = 0;
	tap_is_str(run("SCRAM-SHA-256", "user", "pencil", cb_a,
	    "SCRAM-SHA-256"), "OK user",
	    "SCRAM: y when we have no binding: success");
	tap_is_str(run("SCRAM-SHA-256-PLUS", "user", "pencil", cb_a, NULL),
	    "FAIL", "SCRAM-PLUS without server binding: FAIL");
	sconf.cb_data = cb_a;
	sconf.cb_len = strlen(cb_a);
	sconf.cb_type = "tls-unique";
	tap_is_str(run("SCRAM-SHA-256-PLUS", "user", "pencil", cb_a, NULL),
	    "FAIL", "SCRAM-PLUS: other binding type: FAIL");
}

static void
test_forged(void)
{
	sconf_reset();
	sconf.forge_scram_signature = true;
	tap_is_str(run("SCRAM-SHA-256", "user", "pencil", NULL, NULL),
	    "client protocol: server signature does not verify",
	    "forged v=: the client refuses");
	tap_is_str(run("SCRAM-SHA-1", "user", "pencil", NULL, NULL),
	    "client protocol: server signature does not verify",
	    "forged v= (SHA-1): the client refuses");
}

static void
test_external(void)
{
	sconf_reset();
	tap_is_str(run("EXTERNAL", NULL, NULL, NULL, NULL), "FAIL",
	    "EXTERNAL without a verified certificate: FAIL");
	sconf.external_id = "CN=client";
	tap_is_str(run("EXTERNAL", NULL, NULL, NULL, NULL), "OK CN=client",
	    "EXTERNAL: empty authzid: the certificate's identity");
	tap_is_str(run("EXTERNAL", "CN=client", NULL, NULL, NULL),
	    "OK CN=client", "EXTERNAL: same authzid");
	tap_is_str(run("EXTERNAL", "root", NULL, NULL, NULL), "FAIL",
	    "EXTERNAL: other authzid: FAIL");
}

/* One server step with a raw (decoded) response; the status. */
static enum smtp_sasl_server_status
raw_step(struct smtp_sasl_server *s, const void *raw, size_t n)
{
	struct buf in, out;
	enum smtp_sasl_server_status st;

	buf_init(&in, 4096);
	buf_init(&out, 4096);
	if (n == 0)
		buf_append_str(&in, "=");
	else
		base64_encode(&in, raw, n);
	st = smtp_sasl_server_step(s, buf_str(&in), &out);
	buf_free(&in);
	buf_free(&out);
	return st;
}

static enum smtp_sasl_server_status
one_shot(const char *mech, const void *raw, size_t n)
{
	struct smtp_sasl_server *s = smtp_sasl_server_new(mech, &sconf);
	enum smtp_sasl_server_status st = raw_step(s, raw, n);

	smtp_sasl_server_free(s);
	return st;
}

static void
test_malformed(void)
{
	struct smtp_sasl_server *s;
	struct buf out;

	sconf_reset();
	buf_init(&out, 4096);
	tap_is_int(one_shot("PLAIN", "\0user\0pencil", 12),
	    SMTP_SASL_SERVER_OK, "PLAIN raw: ok");
	tap_is_int(one_shot("PLAIN", "user\0user\0pencil", 16),
	    SMTP_SASL_SERVER_OK, "PLAIN: authzid = user: ok");
	tap_is_int(one_shot("PLAIN", "root\0user\0pencil", 16),
	    SMTP_SASL_SERVER_FAIL, "PLAIN: authzid other than user: FAIL");
	tap_is_int(one_shot("PLAIN", "\0userpencil", 11),
	    SMTP_SASL_SERVER_MALFORMED, "PLAIN: one NUL: malformed");
	tap_is_int(one_shot("PLAIN", "\0user\0pen\0cil", 14),
	    SMTP_SASL_SERVER_MALFORMED, "PLAIN: three NULs: malformed");
	tap_is_int(one_shot("PLAIN", "\0\0pencil", 8),
	    SMTP_SASL_SERVER_MALFORMED, "PLAIN: empty user: malformed");
	tap_is_int(one_shot("SCRAM-SHA-256", "garbage", 7),
	    SMTP_SASL_SERVER_MALFORMED, "SCRAM: garbage: malformed");
	tap_is_int(one_shot("SCRAM-SHA-256", "n,,r=abc", 8),
	    SMTP_SASL_SERVER_MALFORMED, "SCRAM: no n=: malformed");
	tap_is_int(one_shot("SCRAM-SHA-256", "n,a=root,n=user,r=abc", 21),
	    SMTP_SASL_SERVER_FAIL, "SCRAM: authzid other than user: FAIL");
	tap_is_int(one_shot("SCRAM-SHA-256", "p=tls-exporter,,n=user,r=a", 26),
	    SMTP_SASL_SERVER_FAIL, "SCRAM: p= on a non-PLUS mechanism: FAIL");
	tap_is_int(one_shot("XOAUTH2", "user=user\001auth=Bearer tok123", 28),
	    SMTP_SASL_SERVER_MALFORMED, "XOAUTH2: unterminated: malformed");
	tap_is_int(one_shot("OAUTHBEARER", "n,,\001auth=Bearer tok123\001\001",
	    24), SMTP_SASL_SERVER_MALFORMED, "OAUTHBEARER: no a=: malformed");
	tap_is_int(one_shot("CRAM-MD5", "x", 1), SMTP_SASL_SERVER_MALFORMED,
	    "CRAM-MD5: an initial response: malformed");

	s = smtp_sasl_server_new("PLAIN", &sconf);
	tap_is_int(smtp_sasl_server_step(s, "not base64!", &out),
	    SMTP_SASL_SERVER_MALFORMED, "bad base64: malformed");
	smtp_sasl_server_free(s);

	/* No initial response: an empty challenge, then the response. */
	s = smtp_sasl_server_new("PLAIN", &sconf);
	tap_is_int(smtp_sasl_server_step(s, NULL, &out),
	    SMTP_SASL_SERVER_CONTINUE, "PLAIN without initial: 334");
	tap_is_str(buf_str(&out), "", "... with an empty challenge");
	tap_is_int(raw_step(s, "\0user\0pencil", 12), SMTP_SASL_SERVER_OK,
	    "... then the response: ok");
	tap_is_str(smtp_sasl_server_user(s), "user", "... user is known");
	smtp_sasl_server_free(s);

	/* LOGIN: the challenges, then a cancel. */
	s = smtp_sasl_server_new("LOGIN", &sconf);
	smtp_sasl_server_step(s, NULL, &out);
	tap_is_str(buf_str(&out), "VXNlcm5hbWU6", "LOGIN: Username:");
	buf_reset(&out);
	smtp_sasl_server_step(s, "dXNlcg==", &out);
	tap_is_str(buf_str(&out), "UGFzc3dvcmQ6", "LOGIN: Password:");
	tap_is_int(smtp_sasl_server_step(s, "*", &out),
	    SMTP_SASL_SERVER_MALFORMED, "LOGIN: * cancels");
	tap_is_int(smtp_sasl_server_step(s, "cGVuY2ls", &out),
	    SMTP_SASL_SERVER_MALFORMED, "LOGIN: nothing after the end");
	smtp_sasl_server_free(s);
	buf_free(&out);
}

/* The server's side of RFC 5802 section 5 and RFC 7677 section 3. */
static void
test_server_vectors(void)
{
	static const struct {
		const char *mech, *snonce, *salt, *first, *server_first, *final,
		    *v;
	} v[] = {
		{ "SCRAM-SHA-1", "3rfcNHYJY1ZVvWVs7j", "QSXCR+Q6sek8bf92",
		    "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
		    "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
		    "s=QSXCR+Q6sek8bf92,i=4096",
		    "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
		    "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
		    "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=" },
		{ "SCRAM-SHA-256", "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
		    "W22ZaJ0SNY7soEsUEjb6gQ==",
		    "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
		    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
		    "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
		    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF"
		    "$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
		    "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=" },
	};
	struct smtp_sasl_server *s;
	struct buf out, dec;
	char name[128];
	size_t i;

	buf_init(&out, 4096);
	buf_init(&dec, 4096);
	for (i = 0; i < 2; i++) {
		sconf_reset();
		sconf.test_nonce = v[i].snonce;
		sconf.test_salt = v[i].salt;
		s = smtp_sasl_server_new(v[i].mech, &sconf);
		buf_reset(&out);
		raw_step(s, v[i].first, strlen(v[i].first));
		smtp_sasl_server_free(s);
		s = smtp_sasl_server_new(v[i].mech, &sconf);
		base64_encode(&out, v[i].first, strlen(v[i].first));
		buf_reset(&dec);
		{
			struct buf chal;

			buf_init(&chal, 4096);
			smtp_sasl_server_step(s, buf_str(&out), &chal);
			base64_decode(&dec, chal.data, chal.len);
			buf_free(&chal);
		}
		snprintf(name, sizeof(name), "%s server-first (RFC vector)",
		    v[i].mech);
		tap_is_str(buf_str(&dec), v[i].server_first, name);
		buf_reset(&out);
		base64_encode(&out, v[i].final, strlen(v[i].final));
		{
			struct buf chal;

			buf_init(&chal, 4096);
			snprintf(name, sizeof(name), "%s client-final accepted",
			    v[i].mech);
			tap_is_int(smtp_sasl_server_step(s, buf_str(&out),
			    &chal), SMTP_SASL_SERVER_CONTINUE, name);
			buf_reset(&dec);
			base64_decode(&dec, chal.data, chal.len);
			buf_free(&chal);
		}
		snprintf(name, sizeof(name), "%s server-final (RFC vector)",
		    v[i].mech);
		tap_is_str(buf_str(&dec), v[i].v, name);
		buf_reset(&out);
		tap_is_int(smtp_sasl_server_step(s, "", &out),
		    SMTP_SASL_SERVER_OK, "... the empty answer: OK");
		smtp_sasl_server_free(s);
	}
	buf_free(&out);
	buf_free(&dec);
}

int
main(void)
{
	tap_ok(strstr(smtp_sasl_server_mechs(), "SCRAM-SHA-256-PLUS") != NULL &&
	    strstr(smtp_sasl_server_mechs(), "EXTERNAL") != NULL,
	    "mechs lists every mechanism");
	test_each_mechanism();
	test_plus();
	test_forged();
	test_external();
	test_malformed();
	test_server_vectors();
	return tap_done();
}
