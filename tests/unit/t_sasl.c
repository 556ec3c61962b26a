/*
 * t_sasl: the AUTH mechanisms and their policy (smtp/sasl.h).
 */
#include "config.h"

#include <string.h>

#include "smtp/sasl.h"
#include "tap.h"

static struct secret pw;

static void
offer(struct smtp_caps *c, const char *mechs)
{
	smtp_caps_clear(c);
	if (mechs == NULL)
		return;
	c->flags |= SMTP_CAP_AUTH;
	strlcpy(c->auth, mechs, sizeof(c->auth));
}

/* Start with mech (NULL: best), return its rc; *name and initial set. */
static enum err_kind
start(const char *mech, const char *offered, bool tls, bool plaintext,
    const char **name, struct buf *initial, bool *has, struct err *e)
{
	struct smtp_sasl_conf conf = { .mech = mech, .user = "user",
	    .password = &pw, .allow_plaintext = plaintext };
	struct smtp_sasl *s = smtp_sasl_new(&conf);
	struct smtp_caps caps;
	enum err_kind rc;

	offer(&caps, offered);
	err_clear(e);
	*name = NULL;
	rc = smtp_sasl_start(s, &caps, tls, name, initial, has, e);
	smtp_sasl_free(s);
	return rc;
}

static void
test_plain(void)
{
	struct buf init;
	const char *name;
	struct err e;
	bool has;

	buf_init(&init, 1024);
	tap_is_int(start("PLAIN", "PLAIN LOGIN", true, false, &name, &init,
	    &has, &e), ERR_OK, "PLAIN: start ok");
	tap_is_str(name, "PLAIN", "PLAIN: name");
	tap_ok(has, "PLAIN: has an initial response");
	/* base64("\0user\0pass") */
	tap_is_str(buf_str(&init), "AHVzZXIAcGFzcw==", "PLAIN: exact payload");
	buf_free(&init);
}

static void
test_login(void)
{
	struct smtp_sasl_conf conf = { .mech = "LOGIN", .user = "user",
	    .password = &pw };
	struct smtp_sasl *s = smtp_sasl_new(&conf);
	struct smtp_caps caps;
	struct buf b;
	const char *name = NULL;
	struct err e;
	bool has = true;

	buf_init(&b, 1024);
	offer(&caps, "PLAIN LOGIN");
	tap_is_int(smtp_sasl_start(s, &caps, true, &name, &b, &has, &e), ERR_OK,
	    "LOGIN: start ok");
	tap_is_str(name, "LOGIN", "LOGIN: forced by conf");
	tap_ok(!has && b.len == 0, "LOGIN: no initial response");
	tap_is_int(smtp_sasl_step(s, "VXNlcm5hbWU6", &b, &e), ERR_OK,
	    "LOGIN: Username: step");
	tap_is_str(buf_str(&b), "dXNlcg==", "LOGIN: user sent");
	buf_reset(&b);
	tap_is_int(smtp_sasl_step(s, "UGFzc3dvcmQ6", &b, &e), ERR_OK,
	    "LOGIN: Password: step");
	tap_is_str(buf_str(&b), "cGFzcw==", "LOGIN: password sent");
	buf_reset(&b);
	tap_is_int(smtp_sasl_step(s, "UGFzc3dvcmQ6", &b, &e), ERR_PROTOCOL,
	    "LOGIN: third challenge is a protocol error");
	tap_is_int(smtp_sasl_finish(s, "2.7.0 ok", &e), ERR_OK, "LOGIN: finish");

	/* Password asked first: answered by the prompt, not the order. */
	smtp_sasl_start(s, &caps, true, &name, &b, &has, &e);
	tap_is_int(smtp_sasl_step(s, "UGFzc3dvcmQ6", &b, &e), ERR_OK,
	    "LOGIN: password first");
	tap_is_str(buf_str(&b), "cGFzcw==", "LOGIN: password first: sent");
	buf_reset(&b);
	tap_is_int(smtp_sasl_step(s, "VXNlcm5hbWU6", &b, &e), ERR_OK,
	    "LOGIN: then user");
	tap_is_str(buf_str(&b), "dXNlcg==", "LOGIN: then user: sent");
	buf_reset(&b);

	/* Unknown prompts: user, then password. */
	smtp_sasl_start(s, &caps, true, &name, &b, &has, &e);
	smtp_sasl_step(s, "", &b, &e);
	tap_is_str(buf_str(&b), "dXNlcg==", "LOGIN: empty prompt -> user");
	buf_reset(&b);
	smtp_sasl_step(s, "Zm9vOg==", &b, &e);
	tap_is_str(buf_str(&b), "cGFzcw==", "LOGIN: 'foo:' prompt -> password");
	buf_reset(&b);

	smtp_sasl_start(s, &caps, true, &name, &b, &has, &e);
	tap_is_int(smtp_sasl_step(s, "not base64!", &b, &e), ERR_PROTOCOL,
	    "LOGIN: malformed challenge");
	tap_ok(b.len == 0, "LOGIN: nothing sent for a malformed challenge");
	buf_free(&b);
	smtp_sasl_free(s);
}

static void
test_selection(void)
{
	struct buf b;
	const char *name;
	struct err e;
	bool has;

	buf_init(&b, 1024);
	start(NULL, "LOGIN PLAIN", true, false, &name, &b, &has, &e);
	tap_is_str(name, "PLAIN", "best: PLAIN over LOGIN");
	buf_reset(&b);
	start(NULL, "CRAM-MD5 LOGIN", true, false, &name, &b, &has, &e);
	tap_is_str(name, "LOGIN", "best: LOGIN when PLAIN is not offered");
	tap_is_int(start(NULL, "GSSAPI", true, false, &name, &b, &has, &e),
	    ERR_NOPERM, "best: nothing usable");
	tap_is_int(start("LOGIN", "PLAIN", true, false, &name, &b, &has, &e),
	    ERR_NOPERM, "forced: not offered");
	tap_is_str(e.msg, "server does not offer AUTH LOGIN",
	    "forced: not offered: message");
	tap_is_int(start("FOO", "FOO", true, false, &name, &b, &has, &e),
	    ERR_NOPERM, "forced: unsupported mechanism");
	tap_is_int(start(NULL, NULL, true, false, &name, &b, &has, &e),
	    ERR_NOPERM, "no AUTH");
	tap_is_str(e.msg, "server does not offer AUTH", "no AUTH: message");
	buf_free(&b);
}

static void
test_policy(void)
{
	struct buf b;
	const char *name;
	struct err e;
	bool has;

	buf_init(&b, 1024);
	tap_is_int(start(NULL, "PLAIN", false, false, &name, &b, &has, &e),
	    ERR_NOPERM, "no TLS, no plaintext: refused");
	tap_is_str(e.msg,
	    "refusing to send a password without TLS (auth_plaintext off)",
	    "no TLS: message");
	tap_ok(b.len == 0, "no TLS: nothing produced");
	tap_is_int(start("LOGIN", "LOGIN", false, false, &name, &b, &has, &e),
	    ERR_NOPERM, "no TLS: LOGIN refused too");
	tap_is_int(start(NULL, "PLAIN", false, true, &name, &b, &has, &e),
	    ERR_OK, "no TLS but auth_plaintext on: allowed");
	tap_is_str(buf_str(&b), "AHVzZXIAcGFzcw==", "plaintext: payload");
	buf_free(&b);
}

int
main(void)
{
	secret_init(&pw);
	secret_set(&pw, "pass", 4);
	test_plain();
	test_login();
	test_selection();
	test_policy();
	secret_free(&pw);
	return tap_done();
}
