/*
 * t_options: sendmail's command line (cmd/options.c), every option, the
 * syntax rules, and the refusals that stop argument injection.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cmd/options.h"
#include "tap.h"

#define ARGV_MAX 32

/* Parse the NULL-terminated words after "sendmail". */
static enum err_kind
parse(struct cmd_options *o, struct err *e, char **argv, const char *first,
    va_list ap)
{
	int argc = 0;
	const char *w;

	argv[argc++] = (char *)"sendmail";
	for (w = first; w != NULL && argc < ARGV_MAX - 1; w = va_arg(ap, char *))
		argv[argc++] = (char *)w;
	argv[argc] = NULL;
	cmd_options_init(o);
	return cmd_options_parse(argc, argv, o, e);
}

static char *words[ARGV_MAX];

/* The words parse; o is left for the caller to look at. */
static int
parses(struct cmd_options *o, const char *name, const char *first, ...)
{
	struct err e;
	va_list ap;
	enum err_kind rc;

	va_start(ap, first);
	rc = parse(o, &e, words, first, ap);
	va_end(ap);
	if (!tap_ok(rc == ERR_OK, "%s", name)) {
		tap_diag("  refused: %s", e.msg);
		return 0;
	}
	return 1;
}

/* The words are refused with ERR_USAGE and exactly msg. */
static void
refused(const char *msg, const char *first, ...)
{
	struct cmd_options o;
	struct err e;
	va_list ap;
	enum err_kind rc;

	va_start(ap, first);
	rc = parse(&o, &e, words, first, ap);
	va_end(ap);
	if (!tap_ok(rc == ERR_USAGE && strcmp(e.msg, msg) == 0, "refused: %s",
	    msg))
		tap_diag("  got kind %d, '%s'", rc, e.msg);
}

static void
test_modes(void)
{
	struct cmd_options o;

	if (parses(&o, "no option: send", "a@b", NULL))
		tap_ok(o.mode == CMD_MODE_SEND && o.dot_ends &&
		    o.hop_count == -1 && o.nrcpt == 1, "defaults");
	if (parses(&o, "-bm", "-bm", "a@b", NULL))
		tap_ok(o.mode == CMD_MODE_SEND, "-bm: send");
	if (parses(&o, "-bs", "-bs", NULL))
		tap_ok(o.mode == CMD_MODE_SMTP, "-bs: SMTP");
	if (parses(&o, "-bv", "-bv", "root", NULL))
		tap_ok(o.mode == CMD_MODE_VERIFY && o.nrcpt == 1, "-bv: verify");
	if (parses(&o, "-bp", "-bp", NULL))
		tap_ok(o.mode == CMD_MODE_LIST_QUEUE, "-bp: list");
	if (parses(&o, "-bi", "-bi", NULL))
		tap_ok(o.mode == CMD_MODE_NEWALIASES, "-bi: newaliases");
	if (parses(&o, "--help", "--help", NULL))
		tap_ok(o.mode == CMD_MODE_HELP, "--help");
	if (parses(&o, "--version", "--version", NULL))
		tap_ok(o.mode == CMD_MODE_VERSION, "--version");
	refused("unsupported mode -bd: postie is no daemon (see -bs)", "-bd",
	    NULL);
	refused("unsupported mode -bD: postie is no daemon (see -bs)", "-bD",
	    NULL);
	refused("unsupported mode -bt: postie has no rule sets or host status "
	    "(see -bv)", "-bt", NULL);
	refused("unsupported mode -be: postie has no rule sets or host status "
	    "(see -bv)", "-be", NULL);
	refused("unsupported mode -bh: postie has no rule sets or host status "
	    "(see -bv)", "-bh", NULL);
	refused("unsupported mode -bx", "-bx", NULL);
	refused("unsupported mode -b", "-b", NULL);
	refused("unknown option --verbose", "--verbose", NULL);
}

static void
test_queue(void)
{
	struct cmd_options o;

	if (parses(&o, "-q", "-q", NULL))
		tap_ok(o.mode == CMD_MODE_RUN_QUEUE && !o.queue_force &&
		    o.queue_interval == 0, "-q: run the queue");
	if (parses(&o, "-qf", "-qf", NULL))
		tap_ok(o.queue_force, "-qf: force");
	if (parses(&o, "-q30m", "-q30m", NULL))
		tap_ok(o.queue_interval == 1800, "-q30m: 1800 s");
	if (parses(&o, "-q1h30m", "-q1h30m", NULL))
		tap_ok(o.queue_interval == 5400, "-q1h30m: 5400 s");
	if (parses(&o, "-q90", "-q90", NULL))
		tap_ok(o.queue_interval == 90, "-q90: seconds");
	if (parses(&o, "-qIabc", "-qIabc", NULL))
		tap_is_str(o.queue_id, "abc", "-qI: the id");
	if (parses(&o, "-qRexample", "-qRexample", NULL))
		tap_is_str(o.queue_rcpt, "example", "-qR: the recipient");
	if (parses(&o, "-qSroot", "-qSroot", NULL))
		tap_is_str(o.queue_sender, "root", "-qS: the sender");
	if (parses(&o, "-q -I ID", "-q", "-I", "1lg8nc3acdvqslqr20su", NULL))
		tap_ok(o.mode == CMD_MODE_RUN_QUEUE && o.queue_id != NULL &&
		    strcmp(o.queue_id, "1lg8nc3acdvqslqr20su") == 0,
		    "-q -I ID: one entry");
	refused("-I abc needs -q", "-I", "abc", NULL);
	refused("-I needs a queue id", "-q", "-I", "-f", NULL);
	if (parses(&o, "--queue-delete ID", "--queue-delete", "abc", NULL))
		tap_ok(o.mode == CMD_MODE_QUEUE_DELETE &&
		    strcmp(o.queue_delete, "abc") == 0, "--queue-delete ID");
	if (parses(&o, "--queue-delete=ID", "--queue-delete=abc", NULL))
		tap_ok(o.mode == CMD_MODE_QUEUE_DELETE, "--queue-delete=ID");
	refused("option --queue-delete needs an argument", "--queue-delete",
	    NULL);
	refused("--queue-delete needs a queue id", "--queue-delete", "-x",
	    NULL);
	refused("-q30x: not a queue run interval (such as 30m or 1h)", "-q30x",
	    NULL);
	refused("-q0: not a queue run interval (such as 30m or 1h)", "-q0",
	    NULL);
	refused("-q999999999w: not a queue run interval (such as 30m or 1h)",
	    "-q999999999w", NULL);
	refused("-qI needs a plain substring", "-qI", NULL);
	refused("-qR needs a plain substring", "-qR!x", NULL);
}

static void
test_flags(void)
{
	struct cmd_options o;

	if (parses(&o, "grouped -tivUnG", "-tivUnG", NULL))
		tap_ok(o.from_headers && !o.dot_ends && o.verbose &&
		    o.smtputf8 && o.no_aliases, "grouped flags all set");
	if (parses(&o, "-oi", "-oi", "a@b", NULL))
		tap_ok(!o.dot_ends, "-oi: dots do not end");
	if (parses(&o, "-o i (separate)", "-o", "i", "a@b", NULL))
		tap_ok(!o.dot_ends && o.nrcpt == 1, "-o i: dots do not end");
	if (parses(&o, "-oifalse", "-i", "-oifalse", NULL))
		tap_ok(o.dot_ends, "-oifalse: dots end again");
	if (parses(&o, "-O IgnoreDots=true", "-O", "IgnoreDots=true", NULL))
		tap_ok(!o.dot_ends, "-O IgnoreDots");
	if (parses(&o, "-OIgnoreDots (attached)", "-OIgnoreDots", NULL))
		tap_ok(!o.dot_ends, "-OIgnoreDots");
	refused("-O IgnoreDots takes true or false", "-OIgnoreDots=maybe",
	    NULL);
	if (parses(&o, "-h 17", "-h", "17", "a@b", NULL))
		tap_ok(o.hop_count == 17 && o.nrcpt == 1, "-h: hop count");
	refused("-h takes a hop count, not 'x'", "-h", "x", NULL);
	refused("-h takes a hop count, not '-1'", "-h-1", NULL);
	refused("-h takes a hop count, not '99999'", "-h99999", NULL);
	if (parses(&o, "-B 8BITMIME", "-B", "8BITMIME", NULL))
		tap_is_str(o.body_type, "8BITMIME", "-B");
	if (parses(&o, "-B7bit attached", "-B7bit", NULL))
		tap_is_str(o.body_type, "7bit", "-B any case");
	refused("-B takes 7BIT or 8BITMIME, not 'BINARY'", "-BBINARY", NULL);
	if (parses(&o, "-L tag", "-L", "myapp", NULL))
		tap_is_str(o.syslog_tag, "myapp", "-L: syslog tag");
	refused("-L takes a syslog tag", "-L", "", NULL);
	if (parses(&o, "-Am -Ac -G -p -M", "-Am", "-Ac", "-G", "-p", "esmtp",
	    "-Mrsmtp", "a@b", NULL))
		tap_ok(o.nrcpt == 1 && strcmp(o.rcpts[0], "a@b") == 0,
		    "ignored options take their arguments, not the recipient");
	refused("-A takes m or c", "-Ax", NULL);
	refused("-M needs a macro", "-M", NULL);
	if (parses(&o, "-a account", "-a", "work", NULL))
		tap_is_str(o.account, "work", "-a");
	if (parses(&o, "-C file", "-C", "/etc/x.conf", NULL))
		tap_is_str(o.conf_file, "/etc/x.conf", "-C");
}

static void
test_modes_o(void)
{
	static const struct {
		const char *arg;
		enum cmd_errmode em;
	} em[] = {
		{ "-oep", CMD_ERR_PRINT }, { "-oeq", CMD_ERR_QUIET },
		{ "-oem", CMD_ERR_MAIL }, { "-oew", CMD_ERR_WRITE },
		{ "-oee", CMD_ERR_PRINT }, { "-OErrorMode=q", CMD_ERR_QUIET },
	};
	static const struct {
		const char *arg;
		enum cmd_delivery d;
	} dm[] = {
		{ "-odi", CMD_DELIVER_INTERACTIVE },
		{ "-odb", CMD_DELIVER_BACKGROUND },
		{ "-odq", CMD_DELIVER_QUEUE }, { "-odd", CMD_DELIVER_QUEUE },
		{ "-ODeliveryMode=b", CMD_DELIVER_BACKGROUND },
	};
	struct cmd_options o;
	size_t i;

	for (i = 0; i < sizeof(em) / sizeof(em[0]); i++)
		if (parses(&o, em[i].arg, em[i].arg, NULL))
			tap_ok(o.errmode == em[i].em, "%s: error mode",
			    em[i].arg);
	for (i = 0; i < sizeof(dm) / sizeof(dm[0]); i++)
		if (parses(&o, dm[i].arg, dm[i].arg, NULL))
			tap_ok(o.delivery == dm[i].d, "%s: delivery mode",
			    dm[i].arg);
	refused("unknown error mode -oex", "-oex", NULL);
	refused("unknown delivery mode -odx", "-odx", NULL);
	refused("unknown error mode -O ErrorMode", "-OErrorMode=pq", NULL);
	refused("unknown option -oZ", "-oZ", NULL);
	refused("unknown option -oeqq", "-oeqq", NULL);
	refused("unknown option -O Timeout", "-OTimeout=5", NULL);
	if (parses(&o, "quiet sendmail options", "-om", "-os", "-oL9", "-o7",
	    "-OMeToo=true", "-OSuperSafe", "-OLogLevel=9", NULL))
		tap_ok(o.nwarn == 0, "ignored silently: no warning");
}

/* PHPMailer CVE-2016-10033: -X and -oQ wrote a web shell. */
static void
test_ignored_with_warning(void)
{
	struct cmd_options o;

	if (parses(&o, "-X FILE", "-X", "/var/www/shell.php", "a@b", NULL)) {
		tap_ok(o.nwarn == 1 && o.nrcpt == 1, "-X: one warning, its "
		    "argument is no recipient");
		tap_is_str(o.warn[0], "ignoring -X /var/www/shell.php: postie "
		    "writes no traffic log (use -v)", "-X: the warning");
	}
	if (parses(&o, "-oQ/tmp", "-oQ/tmp", "a@b", NULL))
		tap_is_str(o.warn[0], "ignoring -oQ: postie's queue directory "
		    "is not set from the command line", "-oQ: warned");
	if (parses(&o, "-O QueueDirectory=", "-O", "QueueDirectory=/tmp",
	    NULL))
		tap_ok(o.nwarn == 1, "-O QueueDirectory: warned");
	if (parses(&o, "-oA", "-oA/tmp/aliases", NULL))
		tap_ok(o.nwarn == 1, "-oA: warned");
	if (parses(&o, "-O AliasFile", "-OAliasFile=/tmp/a", NULL))
		tap_ok(o.nwarn == 1, "-O AliasFile: warned");
	if (parses(&o, "-D FILE", "-D", "/tmp/debug", "a@b", NULL))
		tap_ok(o.nwarn == 1 && o.nrcpt == 1, "-D: warned, argument "
		    "taken");
	if (parses(&o, "-d 0.1 (separate)", "-d", "0.1", "a@b", NULL))
		tap_ok(o.nwarn == 1 && o.nrcpt == 1 &&
		    strcmp(o.rcpts[0], "a@b") == 0, "-d: its argument is no "
		    "recipient");
	if (parses(&o, "-d0.1 (attached)", "-d0.1", "a@b", NULL))
		tap_ok(o.nwarn == 1 && o.nrcpt == 1, "-d0.1: warned");
}

static void
test_addresses(void)
{
	struct cmd_options o;

	if (parses(&o, "-f attached", "-fa@b", "c@d", NULL))
		tap_is_str(o.from, "a@b", "-f attached");
	if (parses(&o, "-r separate", "-r", "a@b", "c@d", NULL))
		tap_is_str(o.from, "a@b", "-r separate");
	if (parses(&o, "-f <> (null sender)", "-f", "<>", "c@d", NULL))
		tap_is_str(o.from, "<>", "-f <>");
	if (parses(&o, "-F name", "-F", "Cron Daemon", "c@d", NULL))
		tap_is_str(o.fullname, "Cron Daemon", "-F");
	if (parses(&o, "--: ends options", "--", "a@b", NULL))
		tap_ok(o.nrcpt == 1, "-- then a recipient");
	if (parses(&o, "operands end options", "a@b", "c@d", NULL))
		tap_ok(o.nrcpt == 2, "two recipients");
	refused("refusing sender '-X/tmp/x': it starts with '-'", "-f",
	    "-X/tmp/x", "a@b", NULL);
	refused("refusing sender '-oQ/tmp': it starts with '-'", "-f-oQ/tmp",
	    "a@b", NULL);
	refused("refusing recipient '-oQ/tmp': it starts with '-'", "--",
	    "-oQ/tmp", NULL);
	refused("refusing recipient '-f': it starts with '-'", "a@b", "-f",
	    "x@y", NULL);
	refused("refusing recipient with a line break", "a@b\r\nRCPT TO:<c@d>",
	    NULL);
	refused("refusing sender with a line break", "-f", "a@b\nx", NULL);
	refused("refusing a full name (-F) with a line break", "-F",
	    "Name\r\nBcc: x@y", NULL);
	refused("option -f needs an argument", "-f", NULL);
	refused("option -F needs an argument", "-F", NULL);
	refused("option -X needs an argument", "-X", NULL);
	refused("unknown option -Z", "-Z", NULL);
	refused("unknown option -Z", "-tZ", NULL);
	refused("unknown option -Q", "-Q", "reason", NULL);
}

static void
test_dsn(void)
{
	struct cmd_options o;

	if (parses(&o, "-N -R -V", "-N", "success,failure", "-Rhdrs", "-V",
	    "id1", "a@b", NULL)) {
		tap_ok(o.dsn_notify[0] != '\0' && o.dsn_ret[0] != '\0',
		    "-N and -R kept");
		tap_is_str(o.dsn_envid, "id1", "-V kept");
	}
	refused("-N takes never, or success, failure and delay separated by "
	    "commas, not 'often'", "-N", "often",
	    NULL);
}

int
main(void)
{
	test_modes();
	test_queue();
	test_flags();
	test_modes_o();
	test_ignored_with_warning();
	test_addresses();
	test_dsn();
	return tap_done();
}
