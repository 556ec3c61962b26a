/*
 * t_queue_store: the queue directory (queue/store) in a fresh folder under
 * $TMPDIR (or /tmp): put, list, lock, read back byte for byte, update,
 * remove, dead/, half-written entries, gc, planted symbolic links, lock
 * contention and the delivered-between-open-and-lock race, unsafe
 * folders, and a write that fails (RLIMIT_FSIZE) leaving nothing behind.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "queue/store.h"
#include "tap.h"

#ifndef POSTIE_SPOOLDIR
#define POSTIE_SPOOLDIR "/var/spool/postie"
#endif

static char base[PATH_MAX];	/* the test's folder */
static char qdir[PATH_MAX];	/* base/queue */

/* --- helpers -------------------------------------------------------------- */

static void
die(const char *what)
{
	tap_diag("setup: %s: %s", what, strerror(errno));
	tap_ok(0, "setup");
	exit(tap_done());
}

static void
must(enum err_kind rc, const struct err *e, const char *what)
{
	if (rc != ERR_OK) {
		tap_diag("setup: %s: %s", what, e->msg);
		tap_ok(0, "setup");
		exit(tap_done());
	}
}

static void
path_of(char *out, size_t len, const char *dir, const char *name)
{
	if ((size_t)snprintf(out, len, "%s/%s", dir, name) >= len)
		die("path too long");
}

static void
write_text(const char *path, const char *text, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd == -1 || write(fd, text, n) != (ssize_t)n || close(fd) == -1)
		die(path);
}

/* The whole file at path (malloc'd, NUL-terminated), or NULL. */
static char *
slurp_fd(int fd, size_t *n)
{
	char *p = NULL, *np;
	size_t cap = 0;
	ssize_t got;

	*n = 0;
	for (;;) {
		if (cap - *n < 65536) {
			if ((np = realloc(p, cap + 65537)) == NULL)
				abort();
			p = np;
			cap += 65536;
		}
		got = read(fd, p + *n, cap - *n);
		if (got <= 0)
			break;
		*n += (size_t)got;
	}
	p[*n] = '\0';
	return p;
}

static char *
slurp(const char *path, size_t *n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *p;

	if (fd == -1)
		return NULL;
	p = slurp_fd(fd, n);
	close(fd);
	return p;
}

/* Entries in a folder, but . and .. (-1 when it cannot be read). */
static int
count_dir(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static bool
exists(const char *dir, const char *name)
{
	char p[PATH_MAX];
	struct stat st;

	path_of(p, sizeof(p), dir, name);
	return lstat(p, &st) == 0;
}

static void
entry_file(char *out, size_t len, const char *dir, const char *id,
    const char *ext)
{
	char name[64];

	snprintf(name, sizeof(name), "%s.%s", id, ext);
	path_of(out, len, dir, name);
}

/* A message: header, blank line, body; repeated body lines to size. */
static void
make_msg(struct deliver_input *in, size_t body_lines)
{
	static const char head[] = "From: a@b.test\r\nTo: c@d.test\r\n"
	    "Subject: queue \xc3\xa9\r\n\r\n";
	struct err e;
	size_t i;

	deliver_input_init(in);
	must(deliver_input_begin(in, false, base, &e), &e, "begin");
	must(deliver_input_feed(in, head, sizeof(head) - 1, &e), &e, "feed");
	for (i = 0; i < body_lines; i++) {
		char line[80];
		int n = snprintf(line, sizeof(line), "line %zu of the body, "
		    "with a tab\tand 8-bit \xff bytes\n", i);

		must(deliver_input_feed(in, line, (size_t)n, &e), &e, "feed");
	}
	must(deliver_input_end(in, &e), &e, "end");
}

/* One pass of the message, malloc'd. */
static char *
msg_bytes(struct deliver_input *in, size_t *n)
{
	char *p = malloc(deliver_input_size(in) + 1);
	const void *c;
	size_t k;
	struct err e;

	if (p == NULL)
		abort();
	*n = 0;
	deliver_input_rewind(in);
	for (;;) {
		must(deliver_input_next(in, &c, &k, &e), &e, "next");
		if (k == 0)
			break;
		memcpy(p + *n, c, k);
		*n += k;
	}
	return p;
}

static void
make_env(struct queue_env *env, size_t nrcpt)
{
	struct err e;
	char addr[64];
	size_t i;

	queue_env_init(env);
	env->next = 1700000300;
	must(queue_env_set(env, QUEUE_ENV_FROM, "sender@b.test", &e), &e,
	    "from");
	must(queue_env_set(env, QUEUE_ENV_ACCOUNT, "work acct", &e), &e,
	    "account");
	for (i = 0; i < nrcpt; i++) {
		snprintf(addr, sizeof(addr), "rcpt%zu@d.test", i);
		must(queue_env_add_rcpt(env, addr, QUEUE_RCPT_PENDING, NULL,
		    &e), &e, "rcpt");
	}
}

/* Both envs give the same text. */
static bool
env_same(const struct queue_env *a, const struct queue_env *b)
{
	struct buf ta, tb;
	struct err e;
	bool same;

	buf_init(&ta, QUEUE_ENV_FILE_MAX);
	buf_init(&tb, QUEUE_ENV_FILE_MAX);
	same = queue_env_format(a, &ta, &e) == ERR_OK &&
	    queue_env_format(b, &tb, &e) == ERR_OK && ta.len == tb.len &&
	    memcmp(ta.data, tb.data, ta.len) == 0;
	buf_free(&ta);
	buf_free(&tb);
	return same;
}

/* Put a message of body_lines lines; its id into id. */
static void
put_one(struct queue_store *q, size_t body_lines, char *id)
{
	struct deliver_input in;
	struct queue_env env;
	struct err e;

	make_msg(&in, body_lines);
	make_env(&env, 2);
	must(queue_store_put(q, &in, &env, &e), &e, "put");
	memcpy(id, env.id, QUEUE_ID_MAX + 1);
	queue_env_free(&env);
	deliver_input_free(&in);
}

static bool
listed(struct queue_store *q, const char *id)
{
	char **ids;
	size_t n, i;
	struct err e;
	bool found = false;

	must(queue_store_list(q, &ids, &n, &e), &e, "list");
	for (i = 0; i < n; i++)
		found |= strcmp(ids[i], id) == 0;
	queue_store_list_free(ids, n);
	return found;
}

static void
set_age(const char *dir, const char *name, long long age)
{
	struct timespec ts[2];
	char p[PATH_MAX];

	path_of(p, sizeof(p), dir, name);
	ts[0].tv_sec = ts[1].tv_sec = (time_t)(time(NULL) - age);
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	if (utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW) == -1)
		die(p);
}

/* --- tests ---------------------------------------------------------------- */

static void
test_open(void)
{
	char deep[PATH_MAX], missing[PATH_MAX], sub[PATH_MAX];
	struct queue_store q;
	struct queue_entry ent;
	struct deliver_input in;
	struct queue_env env;
	enum queue_store_status st;
	struct stat sb;
	struct err e;
	char **ids;
	size_t n;

	path_of(deep, sizeof(deep), base, "a/b/c/queue");
	tap_is_int(queue_store_open(&q, deep, true, &e), ERR_OK,
	    "open makes the folder and its parents");
	tap_ok(stat(deep, &sb) == 0 && (sb.st_mode & 0777) == 0700,
	    "... mode 0700");
	path_of(sub, sizeof(sub), deep, "tmp");
	tap_ok(stat(sub, &sb) == 0 && (sb.st_mode & 0777) == 0700,
	    "... tmp/ 0700");
	path_of(sub, sizeof(sub), deep, "dead");
	tap_ok(stat(sub, &sb) == 0 && (sb.st_mode & 0777) == 0700,
	    "... dead/ 0700");
	path_of(sub, sizeof(sub), base, "a/b");
	tap_ok(stat(sub, &sb) == 0 && (sb.st_mode & 0777) == 0700,
	    "... parents 0700");
	queue_store_close(&q);
	tap_is_int(queue_store_open(&q, deep, false, &e), ERR_OK,
	    "open an existing queue without create");
	queue_store_close(&q);

	path_of(missing, sizeof(missing), base, "nothing/here");
	tap_is_int(queue_store_open(&q, missing, false, &e), ERR_OK,
	    "open a missing queue without create: an empty queue");
	tap_ok(queue_store_list(&q, &ids, &n, &e) == ERR_OK && n == 0,
	    "... lists nothing");
	queue_store_list_free(ids, n);
	tap_ok(queue_store_lock(&q, "0123456789abcdef", &ent, &st, &e) ==
	    ERR_DATA && st == QUEUE_STORE_GONE, "... locks nothing");
	queue_store_unlock(&ent);
	make_msg(&in, 1);
	make_env(&env, 1);
	tap_is_int(queue_store_put(&q, &in, &env, &e), ERR_CANTCREAT,
	    "... put fails");
	tap_is_int(queue_store_gc(&q, time(NULL), &e), ERR_OK, "... gc is ok");
	tap_ok(stat(missing, &sb) == -1, "... and nothing was made");
	queue_env_free(&env);
	deliver_input_free(&in);
	queue_store_close(&q);
	queue_store_close(NULL);
	tap_is_int(queue_store_open(&q, "", true, &e), ERR_CONFIG,
	    "an empty path is refused");
}

static void
test_put_lock(void)
{
	struct deliver_input in, back;
	struct queue_store q;
	struct queue_env env, renv;
	struct queue_entry ent;
	enum queue_store_status st;
	unsigned long long size;
	char id1[QUEUE_ID_MAX + 1], id2[QUEUE_ID_MAX + 1], p[PATH_MAX];
	char *want, *got, **ids;
	size_t wn, gn, n;
	struct stat sb;
	struct err e;

	must(queue_store_open(&q, qdir, true, &e), &e, "open");
	make_msg(&in, 3);
	make_env(&env, 3);
	tap_is_int(queue_store_put(&q, &in, &env, &e), ERR_OK, "put a small "
	    "message");
	tap_ok(queue_env_valid_id(env.id), "... assigns a valid id");
	tap_ok(env.created > 1600000000 && env.created <= time(NULL),
	    "... and the creation time");
	memcpy(id1, env.id, sizeof(id1));
	entry_file(p, sizeof(p), qdir, id1, "msg");
	tap_ok(stat(p, &sb) == 0 && (sb.st_mode & 0777) == 0600 &&
	    S_ISREG(sb.st_mode), "... .msg is a regular file, mode 0600");
	entry_file(p, sizeof(p), qdir, id1, "env");
	tap_ok(stat(p, &sb) == 0 && (sb.st_mode & 0777) == 0600,
	    "... .env mode 0600");
	path_of(p, sizeof(p), qdir, "tmp");
	tap_is_int(count_dir(p), 0, "... nothing left in tmp/");

	/* A body past DELIVER_INPUT_MEM_MAX lives in a temporary file. */
	make_msg(&back, 40000);
	tap_ok(back.fd != -1, "a 2 MiB message (body in a temporary file)");
	make_env(&renv, 1);
	renv.created = 1234;
	tap_is_int(queue_store_put(&q, &back, &renv, &e), ERR_OK, "put it");
	tap_is_int(renv.created, 1234, "... a given creation time is kept");
	memcpy(id2, renv.id, sizeof(id2));
	tap_ok(strcmp(id1, id2) != 0, "... another id");

	must(queue_store_list(&q, &ids, &n, &e), &e, "list");
	tap_ok(n == 2 && strcmp(ids[0], ids[1]) < 0 &&
	    (strcmp(ids[0], id1) == 0 || strcmp(ids[1], id1) == 0) &&
	    (strcmp(ids[0], id2) == 0 || strcmp(ids[1], id2) == 0),
	    "list: both, sorted");
	queue_store_list_free(ids, n);

	tap_is_int(queue_store_lock(&q, id1, &ent, &st, &e), ERR_OK, "lock");
	tap_is_int(st, QUEUE_STORE_OK, "... status ok");
	tap_ok(env_same(&env, &ent.env), "... reads the env that was put");
	want = msg_bytes(&in, &wn);
	got = slurp_fd(queue_entry_msg_fd(&ent), &gn);
	tap_is_mem(got, gn, want, wn, "... the message, byte for byte");
	tap_is_int((long long)ent.size, (long long)wn, "... its size");
	free(got);
	free(want);
	queue_store_unlock(&ent);
	queue_store_unlock(&ent);
	tap_ok(1, "unlock twice is safe");

	tap_is_int(queue_store_lock(&q, id2, &ent, &st, &e), ERR_OK,
	    "lock the large one");
	want = msg_bytes(&back, &wn);
	got = slurp_fd(queue_entry_msg_fd(&ent), &gn);
	tap_is_mem(got, gn, want, wn, "... byte for byte");
	free(got);
	/* Read back as the runner does: deliver_input_read() on the fd. */
	deliver_input_free(&back);
	deliver_input_init(&back);
	lseek(queue_entry_msg_fd(&ent), 0, SEEK_SET);
	must(deliver_input_read(&back, queue_entry_msg_fd(&ent), false, base,
	    &e), &e, "read");
	got = msg_bytes(&back, &gn);
	tap_is_mem(got, gn, want, wn, "... deliver_input_read() of it yields "
	    "the same bytes");
	free(got);
	free(want);
	queue_store_unlock(&ent);

	queue_env_free(&renv);
	tap_is_int(queue_store_read(&q, id1, &renv, &size, &st, &e), ERR_OK,
	    "read without lock");
	tap_ok(env_same(&env, &renv) && size == deliver_input_size(&in) &&
	    st == QUEUE_STORE_OK, "... env and size");
	queue_env_free(&renv);

	tap_ok(queue_store_lock(&q, "../../etc/passwd", &ent, &st, &e) ==
	    ERR_USAGE && st == QUEUE_STORE_FAILED, "a bad id is refused");
	tap_ok(queue_store_lock(&q, "0123456789abcdef", &ent, &st, &e) ==
	    ERR_DATA && st == QUEUE_STORE_GONE, "an unknown id is gone");
	tap_is_str(e.msg, "queue entry 0123456789abcdef: no such entry",
	    "... saying so");
	tap_ok(queue_store_read(&q, "0123456789abcdef", &renv, NULL, &st, &e)
	    == ERR_DATA && st == QUEUE_STORE_GONE, "read of an unknown id");

	queue_env_free(&env);
	deliver_input_free(&in);
	deliver_input_free(&back);
	queue_store_close(&q);
}

static void
test_update_remove_dead(void)
{
	struct queue_store q;
	struct queue_entry ent;
	struct queue_env env;
	char id[QUEUE_ID_MAX + 1], id2[QUEUE_ID_MAX + 1], p[PATH_MAX];
	char dead[PATH_MAX], *a, *b;
	size_t an, bn;
	struct err e;

	must(queue_store_open(&q, qdir, true, &e), &e, "open");
	put_one(&q, 2, id);
	must(queue_store_lock(&q, id, &ent, NULL, &e), &e, "lock");
	ent.env.attempts = 3;
	ent.env.last = 1700000500;
	must(queue_env_set_rcpt(&ent.env, 0, QUEUE_RCPT_SENT, "250 ok", &e),
	    &e, "set");
	must(queue_env_set_rcpt(&ent.env, 1, QUEUE_RCPT_PENDING,
	    "451 4.7.1 later", &e), &e, "set");
	tap_is_int(queue_store_update(&q, &ent, &e), ERR_OK, "update");
	queue_env_init(&env);
	tap_is_int(queue_store_read(&q, id, &env, NULL, NULL, &e), ERR_OK,
	    "... read it back");
	tap_ok(env_same(&env, &ent.env) && env.attempts == 3 &&
	    env.rcpts[0].state == QUEUE_RCPT_SENT &&
	    strcmp(env.rcpts[1].reply, "451 4.7.1 later") == 0,
	    "... the new state is on disk");
	path_of(p, sizeof(p), qdir, "tmp");
	tap_is_int(count_dir(p), 0, "... nothing left in tmp/");
	memcpy(ent.env.id, "0123456789abcdef", 17);
	tap_is_int(queue_store_update(&q, &ent, &e), ERR_SOFTWARE,
	    "update with another id in env refused");
	memcpy(ent.env.id, id, sizeof(id));

	tap_is_int(queue_store_remove(&q, &ent, &e), ERR_OK, "remove");
	tap_ok(!listed(&q, id), "... not listed");
	entry_file(p, sizeof(p), qdir, id, "env");
	tap_ok(access(p, F_OK) == -1, "... .env gone");
	entry_file(p, sizeof(p), qdir, id, "msg");
	tap_ok(access(p, F_OK) == -1, "... .msg gone");
	queue_store_unlock(&ent);
	tap_is_int(queue_store_update(&q, &ent, &e), ERR_SOFTWARE,
	    "update after unlock refused");
	tap_is_int(queue_store_remove(&q, &ent, &e), ERR_SOFTWARE,
	    "remove after unlock refused");

	put_one(&q, 5, id2);
	entry_file(p, sizeof(p), qdir, id2, "msg");
	a = slurp(p, &an);
	must(queue_store_lock(&q, id2, &ent, NULL, &e), &e, "lock");
	tap_is_int(queue_store_to_dead(&q, &ent, &e), ERR_OK, "to dead/");
	queue_store_unlock(&ent);
	tap_ok(!listed(&q, id2), "... not listed");
	tap_ok(access(p, F_OK) == -1, "... .msg gone from the queue");
	path_of(dead, sizeof(dead), qdir, "dead");
	entry_file(p, sizeof(p), dead, id2, "msg");
	b = slurp(p, &bn);
	tap_ok(a != NULL && b != NULL && an == bn && memcmp(a, b, an) == 0,
	    "... dead/ID.msg holds the message");
	entry_file(p, sizeof(p), dead, id2, "env");
	tap_ok(access(p, F_OK) == 0, "... dead/ID.env is there");
	tap_ok(queue_store_lock(&q, id2, &ent, NULL, &e) == ERR_DATA,
	    "... and it cannot be locked");
	queue_store_unlock(&ent);
	free(a);
	free(b);
	queue_env_free(&env);
	queue_store_close(&q);
}

static void
test_half_written(void)
{
	static const char orphan_id[] = "00000000000000000001";
	static const char envonly_id[] = "00000000000000000002";
	static const char fresh_id[] = "00000000000000000003";
	static const char locked_id[] = "00000000000000000004";
	char text[512], p[PATH_MAX], tmp[PATH_MAX], id[QUEUE_ID_MAX + 1];
	struct queue_store q;
	struct queue_entry ent;
	enum queue_store_status st;
	struct err e;
	int fd, n;

	must(queue_store_open(&q, qdir, true, &e), &e, "open");
	put_one(&q, 1, id);
	entry_file(p, sizeof(p), qdir, orphan_id, "msg");
	write_text(p, "orphan\r\n", 8);
	entry_file(p, sizeof(p), qdir, fresh_id, "msg");
	write_text(p, "fresh\r\n", 7);
	entry_file(p, sizeof(p), qdir, locked_id, "msg");
	write_text(p, "locked\r\n", 8);
	n = snprintf(text, sizeof(text), "postie-queue 1\nid %s\ncreated 1\n"
	    "attempts 0\nnext 0\nlast 0\nfrom <>\nend\n", envonly_id);
	entry_file(p, sizeof(p), qdir, envonly_id, "env");
	write_text(p, text, (size_t)n);
	path_of(p, sizeof(p), qdir, "README.env");
	write_text(p, "junk", 4);
	path_of(tmp, sizeof(tmp), qdir, "tmp");
	path_of(p, sizeof(p), tmp, "old-junk");
	write_text(p, "x", 1);
	path_of(p, sizeof(p), tmp, "new-junk");
	write_text(p, "x", 1);
	path_of(p, sizeof(p), tmp, "old-link");
	if (symlink("/etc/passwd", p) == -1)
		die("symlink");

	tap_ok(listed(&q, id) && !listed(&q, orphan_id) &&
	    !listed(&q, envonly_id) && !listed(&q, fresh_id),
	    "list: a .msg without .env or .env without .msg is no entry");
	tap_ok(queue_store_lock(&q, orphan_id, &ent, &st, &e) == ERR_DATA &&
	    st == QUEUE_STORE_GONE, "lock of a .msg without .env: gone");
	queue_store_unlock(&ent);
	tap_ok(queue_store_lock(&q, envonly_id, &ent, &st, &e) == ERR_DATA &&
	    st == QUEUE_STORE_GONE, "lock of a .env without .msg: gone");
	queue_store_unlock(&ent);
	tap_ok(queue_store_read(&q, envonly_id, &ent.env, NULL, &st, &e) ==
	    ERR_DATA && st == QUEUE_STORE_GONE,
	    "read of a .env without .msg: gone");

	set_age(qdir, "00000000000000000001.msg", 2 * 3600);
	set_age(qdir, "00000000000000000003.msg", 600);
	set_age(qdir, "00000000000000000004.msg", 2 * 3600);
	set_age(qdir, "00000000000000000002.env", 2 * 86400);
	set_age(tmp, "old-junk", 2 * 86400);
	set_age(tmp, "new-junk", 3600);
	set_age(tmp, "old-link", 2 * 86400);
	entry_file(p, sizeof(p), qdir, id, "msg");
	set_age(qdir, strrchr(p, '/') + 1, 30 * 86400);
	entry_file(p, sizeof(p), qdir, locked_id, "msg");
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) == -1 ||
	    flock(fd, LOCK_EX) == -1)
		die("lock");

	tap_is_int(queue_store_gc(&q, time(NULL), &e), ERR_OK, "gc");
	tap_ok(!exists(qdir, "00000000000000000001.msg"),
	    "... removes an orphan .msg older than an hour");
	tap_ok(exists(qdir, "00000000000000000003.msg"),
	    "... keeps a recent one");
	tap_ok(exists(qdir, "00000000000000000004.msg"),
	    "... keeps an old one that is locked");
	tap_ok(exists(qdir, "00000000000000000002.env"),
	    "... leaves a .env alone");
	tap_ok(listed(&q, id), "... keeps an old complete entry");
	tap_ok(!exists(tmp, "old-junk") && !exists(tmp, "old-link"),
	    "... removes tmp/ files older than a day");
	tap_ok(exists(tmp, "new-junk"), "... keeps recent tmp/ files");
	tap_ok(access("/etc/passwd", F_OK) == 0, "... not what a link names");
	close(fd);
	tap_is_int(queue_store_gc(&q, time(NULL) + 86400, &e), ERR_OK,
	    "gc a day later");
	tap_ok(!exists(qdir, "00000000000000000004.msg") &&
	    !exists(qdir, "00000000000000000003.msg") &&
	    !exists(tmp, "new-junk"), "... the rest of the junk goes");
	tap_ok(listed(&q, id), "... the entry stays");

	/* Remove the test's leftovers so later listings stay simple. */
	unlinkat(q.dfd, "00000000000000000002.env", 0);
	unlinkat(q.dfd, "README.env", 0);
	must(queue_store_lock(&q, id, &ent, NULL, &e), &e, "lock");
	must(queue_store_remove(&q, &ent, &e), &e, "remove");
	queue_store_unlock(&ent);
	queue_store_close(&q);
}

static void
test_damaged(void)
{
	char id[QUEUE_ID_MAX + 1], p[PATH_MAX], want[PATH_MAX + 64];
	struct queue_store q;
	struct queue_entry ent, ent2;
	enum queue_store_status st;
	struct err e;

	must(queue_store_open(&q, qdir, true, &e), &e, "open");
	put_one(&q, 1, id);
	entry_file(p, sizeof(p), qdir, id, "env");
	write_text(p, "postie-queue 1\nid x\n", 20);
	tap_ok(queue_store_lock(&q, id, &ent, &st, &e) == ERR_DATA &&
	    st == QUEUE_STORE_DAMAGED, "a damaged .env: ERR_DATA, DAMAGED");
	snprintf(want, sizeof(want), "%s: queue entry: line 2: bad id", p);
	tap_is_str(e.msg, want, "... naming file and line");
	tap_ok(queue_entry_msg_fd(&ent) != -1 &&
	    queue_store_lock(&q, id, &ent2, &st, &e) == ERR_TEMP &&
	    st == QUEUE_STORE_BUSY, "... kept locked, so it can be cleared");
	queue_store_unlock(&ent2);
	queue_store_unlock(&ent);
	tap_ok(queue_store_lock(&q, id, &ent2, &st, &e) == ERR_DATA &&
	    st == QUEUE_STORE_DAMAGED, "... and the lock was let go");
	queue_store_unlock(&ent2);
	write_text(p, "postie-queue 1\nid 0123456789abcdef\ncreated 1\n"
	    "attempts 0\nnext 0\nlast 0\nfrom <>\nend\n", 82);
	tap_ok(queue_store_lock(&q, id, &ent, &st, &e) == ERR_DATA &&
	    strstr(e.msg, "holds entry 0123456789abcdef") != NULL,
	    "a .env of another id is refused");
	queue_store_unlock(&ent);
	unlinkat(q.dfd, strrchr(p, '/') + 1, 0);
	entry_file(p, sizeof(p), qdir, id, "msg");
	unlink(p);
	queue_store_close(&q);
}

static const char secret[] = "outside: must stay as it is\n";

/* Links at the queue folder, tmp/ and dead/. */
static void
test_symlink_dirs(void)
{
	char target[PATH_MAX], link[PATH_MAX], p[PATH_MAX], q2dir[PATH_MAX];
	struct queue_store q2;
	struct err e;

	path_of(target, sizeof(target), base, "target");
	if (mkdir(target, 0700) == -1)
		die("mkdir");

	/* The queue folder itself. */
	path_of(link, sizeof(link), base, "linkq");
	if (symlink(target, link) == -1)
		die("symlink");
	tap_is_int(queue_store_open(&q2, link, true, &e), ERR_NOPERM,
	    "a link as the queue folder is refused");
	tap_ok(strstr(e.msg, "symbolic link") != NULL, "... saying so");
	tap_is_int(count_dir(target), 0, "... nothing made where it points");
	tap_is_int(queue_store_open(&q2, link, false, &e), ERR_NOPERM,
	    "... also without create");

	/* tmp/ and dead/. */
	path_of(q2dir, sizeof(q2dir), base, "q2");
	must(queue_store_open(&q2, q2dir, true, &e), &e, "open");
	queue_store_close(&q2);
	path_of(p, sizeof(p), q2dir, "tmp");
	if (rmdir(p) == -1 || symlink(target, p) == -1)
		die("tmp link");
	tap_is_int(queue_store_open(&q2, q2dir, true, &e), ERR_NOPERM,
	    "a link as tmp/ is refused");
	unlink(p);
	path_of(p, sizeof(p), q2dir, "dead");
	if (rmdir(p) == -1 || symlink(target, p) == -1)
		die("dead link");
	tap_is_int(queue_store_open(&q2, q2dir, true, &e), ERR_NOPERM,
	    "a link as dead/ is refused");
	tap_is_int(count_dir(target), 0, "... nothing made where they point");
}

/* Links at ID.env and tmp/ID.upd. */
static void
test_symlink_env(void)
{
	char outside[PATH_MAX], p[PATH_MAX], id[QUEUE_ID_MAX + 1], *text;
	struct queue_store q;
	struct queue_entry ent;
	struct queue_env env;
	struct stat sb;
	struct err e;
	size_t n;

	path_of(outside, sizeof(outside), base, "outside.txt");
	/* ID.env: the link is not listed, locked nor read. */
	must(queue_store_open(&q, qdir, true, &e), &e, "open");
	put_one(&q, 1, id);
	entry_file(p, sizeof(p), qdir, id, "env");
	text = slurp(p, &n);
	write_text(outside, text, n);		/* a valid env, outside */
	if (unlink(p) == -1 || symlink(outside, p) == -1)
		die("env link");
	tap_ok(!listed(&q, id), "a link as ID.env: not listed");
	tap_is_int(queue_store_lock(&q, id, &ent, NULL, &e), ERR_NOPERM,
	    "... not locked");
	queue_store_unlock(&ent);
	queue_env_init(&env);
	tap_is_int(queue_store_read(&q, id, &env, NULL, NULL, &e), ERR_NOPERM,
	    "... not read");
	queue_env_free(&env);
	/* An update replaces the link, never writes through it. */
	if (unlink(p) == -1)
		die("unlink");
	write_text(p, text, n);
	must(queue_store_lock(&q, id, &ent, NULL, &e), &e, "lock");
	if (unlink(p) == -1 || symlink(outside, p) == -1)
		die("env link");
	ent.env.attempts = 99;
	tap_is_int(queue_store_update(&q, &ent, &e), ERR_OK,
	    "update over a link planted at ID.env");
	tap_ok(lstat(p, &sb) == 0 && S_ISREG(sb.st_mode),
	    "... ID.env is a file again");
	free(text);
	text = slurp(outside, &n);
	tap_ok(strstr(text, "attempts 99") == NULL,
	    "... the file the link named is untouched");
	free(text);
	/* A link planted at the update's temporary name. */
	path_of(p, sizeof(p), qdir, "tmp");
	snprintf(p + strlen(p), sizeof(p) - strlen(p), "/%s.upd", id);
	if (symlink(outside, p) == -1)
		die("upd link");
	ent.env.attempts = 100;
	tap_is_int(queue_store_update(&q, &ent, &e), ERR_OK,
	    "update with a link planted at tmp/ID.upd");
	text = slurp(outside, &n);
	tap_ok(strstr(text, "attempts 100") == NULL, "... not written through");
	free(text);
	must(queue_store_remove(&q, &ent, &e), &e, "remove");
	queue_store_unlock(&ent);
	queue_store_close(&q);
}

/* A link at ID.msg. */
static void
test_symlink_msg(void)
{
	char outside[PATH_MAX], p[PATH_MAX], id[QUEUE_ID_MAX + 1], *text;
	struct queue_store q;
	struct queue_entry ent;
	struct queue_env env;
	struct err e;
	size_t n;

	path_of(outside, sizeof(outside), base, "outside.txt");
	write_text(outside, secret, sizeof(secret) - 1);
	must(queue_store_open(&q, qdir, true, &e), &e, "open");
	queue_env_init(&env);
	put_one(&q, 1, id);
	entry_file(p, sizeof(p), qdir, id, "msg");
	if (unlink(p) == -1 || symlink(outside, p) == -1)
		die("msg link");
	tap_ok(!listed(&q, id), "a link as ID.msg: not listed");
	tap_is_int(queue_store_lock(&q, id, &ent, NULL, &e), ERR_NOPERM,
	    "... not locked (so not read)");
	queue_store_unlock(&ent);
	tap_is_int(queue_store_read(&q, id, &env, NULL, NULL, &e), ERR_NOPERM,
	    "... read refuses it");
	tap_is_int(queue_store_gc(&q, time(NULL) + 30 * 86400, &e), ERR_OK,
	    "... gc a month later");
	text = slurp(outside, &n);
	tap_is_mem(text, n, secret, sizeof(secret) - 1,
	    "the file outside never changed");
	free(text);
	unlink(p);
	entry_file(p, sizeof(p), qdir, id, "env");
	unlink(p);
	queue_env_free(&env);
	queue_store_close(&q);
}

static void
test_unsafe_dirs(void)
{
	char p[PATH_MAX], id[QUEUE_ID_MAX + 1];
	struct queue_store q;
	struct queue_entry ent;
	struct err e;

	chmod(qdir, 0770);
	tap_is_int(queue_store_open(&q, qdir, true, &e), ERR_NOPERM,
	    "a group-writable queue folder is refused");
	tap_ok(strstr(e.msg, "writable by group or others") != NULL,
	    "... saying so");
	chmod(qdir, 0702);
	tap_is_int(queue_store_open(&q, qdir, true, &e), ERR_NOPERM,
	    "an other-writable queue folder is refused");
	chmod(qdir, 0755);
	tap_is_int(queue_store_open(&q, qdir, true, &e), ERR_OK,
	    "a readable one is taken");
	queue_store_close(&q);
	chmod(qdir, 0700);
	path_of(p, sizeof(p), qdir, "tmp");
	chmod(p, 0777);
	tap_is_int(queue_store_open(&q, qdir, true, &e), ERR_NOPERM,
	    "a world-writable tmp/ is refused");
	chmod(p, 0700);
	if (geteuid() != 0) {
		tap_skip(3, "owner checks need root (chown)");
		return;
	}
	if (chown(qdir, 65534, 65534) == -1)
		die("chown");
	tap_is_int(queue_store_open(&q, qdir, true, &e), ERR_NOPERM,
	    "a queue folder owned by someone else is refused");
	if (chown(qdir, 0, 0) == -1)
		die("chown");
	must(queue_store_open(&q, qdir, true, &e), &e, "open");
	put_one(&q, 1, id);
	entry_file(p, sizeof(p), qdir, id, "msg");
	if (chown(p, 65534, 65534) == -1)
		die("chown");
	tap_is_int(queue_store_lock(&q, id, &ent, NULL, &e), ERR_NOPERM,
	    "a .msg owned by someone else is refused");
	queue_store_unlock(&ent);
	if (chown(p, 0, 0) == -1)
		die("chown");
	tap_is_int(queue_store_lock(&q, id, &ent, NULL, &e), ERR_OK,
	    "... and taken once it is ours");
	must(queue_store_remove(&q, &ent, &e), &e, "remove");
	queue_store_unlock(&ent);
	queue_store_close(&q);
}

static void
test_contention(void)
{
	char id[QUEUE_ID_MAX + 1], want[128], c;
	struct queue_store q;
	struct queue_entry ent, ent2;
	enum queue_store_status st;
	int ready[2], go[2], status;
	struct err e;
	pid_t pid;

	must(queue_store_open(&q, qdir, true, &e), &e, "open");
	put_one(&q, 1, id);
	if (pipe(ready) == -1 || pipe(go) == -1)
		die("pipe");
	fflush(stdout);
	if ((pid = fork()) == -1)
		die("fork");
	if (pid == 0) {
		struct queue_store cq;

		close(ready[0]);
		close(go[1]);
		if (queue_store_open(&cq, qdir, false, &e) != ERR_OK ||
		    queue_store_lock(&cq, id, &ent, NULL, &e) != ERR_OK)
			_exit(1);
		if (write(ready[1], "l", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(2);
		queue_store_unlock(&ent);
		queue_store_close(&cq);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	tap_ok(read(ready[0], &c, 1) == 1, "a child locks the entry");
	tap_is_int(queue_store_lock(&q, id, &ent, &st, &e), ERR_TEMP,
	    "another lock: ERR_TEMP");
	tap_is_int(st, QUEUE_STORE_BUSY, "... status busy");
	snprintf(want, sizeof(want), "queue entry %s is being delivered by "
	    "another process", id);
	tap_is_str(e.msg, want, "... saying so");
	queue_store_unlock(&ent);
	tap_ok(write(go[1], "u", 1) == 1 && waitpid(pid, &status, 0) == pid &&
	    WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "the child unlocks and exits");
	close(ready[0]);
	close(go[1]);
	tap_is_int(queue_store_lock(&q, id, &ent, &st, &e), ERR_OK,
	    "then the lock is ours");
	tap_is_int(queue_store_lock(&q, id, &ent2, &st, &e), ERR_TEMP,
	    "a second lock in the same process is busy too");
	queue_store_unlock(&ent2);
	must(queue_store_remove(&q, &ent, &e), &e, "remove");
	queue_store_unlock(&ent);
	queue_store_close(&q);
}

/* The race: between our open and our flock, someone else finishes. */
struct race {
	struct queue_store *other;
	const char *id;
	int action;		/* 0 remove, 1 to dead/, 2 update */
	bool done;
};

static void
race_hook(void *arg)
{
	struct race *r = arg;
	struct queue_entry ent;
	struct err e;

	if (queue_store_lock(r->other, r->id, &ent, NULL, &e) != ERR_OK)
		return;
	if (r->action == 0)
		r->done = queue_store_remove(r->other, &ent, &e) == ERR_OK;
	else if (r->action == 1)
		r->done = queue_store_to_dead(r->other, &ent, &e) == ERR_OK;
	else {
		ent.env.attempts = 42;
		r->done = queue_store_update(r->other, &ent, &e) == ERR_OK;
	}
	queue_store_unlock(&ent);
}

static void
test_race(void)
{
	static const char *const names[] = { "removed", "moved to dead/",
	    "updated" };
	char id[QUEUE_ID_MAX + 1];
	struct queue_store q, other;
	struct queue_entry ent;
	enum queue_store_status st;
	struct race r;
	struct err e;
	enum err_kind rc;
	int action;

	must(queue_store_open(&q, qdir, true, &e), &e, "open");
	must(queue_store_open(&other, qdir, true, &e), &e, "open");
	for (action = 0; action < 3; action++) {
		put_one(&q, 1, id);
		r.other = &other;
		r.id = id;
		r.action = action;
		r.done = false;
		q.lock_hook = race_hook;
		q.lock_hook_arg = &r;
		rc = queue_store_lock(&q, id, &ent, &st, &e);
		q.lock_hook = NULL;
		tap_ok(r.done, "another handle %s the entry between our open "
		    "and our lock", names[action]);
		if (action < 2) {
			tap_ok(rc == ERR_DATA && st == QUEUE_STORE_GONE,
			    "... our lock finds it gone");
			queue_store_unlock(&ent);
			continue;
		}
		tap_ok(rc == ERR_OK && ent.env.attempts == 42,
		    "... our lock reads the new state");
		must(queue_store_remove(&q, &ent, &e), &e, "remove");
		queue_store_unlock(&ent);
	}
	queue_store_close(&other);
	queue_store_close(&q);
}

static void
test_write_failure(void)
{
	struct deliver_input in;
	struct queue_store q;
	struct queue_env env;
	struct rlimit old, lim;
	char p[PATH_MAX], **ids;
	size_t n0, n;
	struct err e;
	enum err_kind rc;

	must(queue_store_open(&q, qdir, true, &e), &e, "open");
	must(queue_store_list(&q, &ids, &n0, &e), &e, "list");
	queue_store_list_free(ids, n0);
	if (getrlimit(RLIMIT_FSIZE, &old) == -1)
		die("getrlimit");
	signal(SIGXFSZ, SIG_IGN);
	lim = old;
	lim.rlim_cur = 65536;
	path_of(p, sizeof(p), qdir, "tmp");

	/* The message does not fit. */
	make_msg(&in, 40000);
	make_env(&env, 1);
	if (setrlimit(RLIMIT_FSIZE, &lim) == -1)
		die("setrlimit");
	rc = queue_store_put(&q, &in, &env, &e);
	setrlimit(RLIMIT_FSIZE, &old);
	tap_is_int(rc, ERR_CANTCREAT, "a message over RLIMIT_FSIZE: "
	    "ERR_CANTCREAT");
	tap_ok(strstr(e.msg, ".msg: write: File too large") != NULL,
	    "... saying what failed");
	if (rc != ERR_CANTCREAT)
		tap_diag("  %s", e.msg);
	tap_is_str(env.id, "", "... env has no id");
	tap_is_int(count_dir(p), 0, "... nothing left in tmp/");
	must(queue_store_list(&q, &ids, &n, &e), &e, "list");
	queue_store_list_free(ids, n);
	tap_is_int((long long)n, (long long)n0, "... no entry added");
	deliver_input_free(&in);
	queue_env_free(&env);

	/* The message fits, its env does not. */
	make_msg(&in, 1);
	make_env(&env, 5000);
	if (setrlimit(RLIMIT_FSIZE, &lim) == -1)
		die("setrlimit");
	rc = queue_store_put(&q, &in, &env, &e);
	setrlimit(RLIMIT_FSIZE, &old);
	tap_is_int(rc, ERR_CANTCREAT, "an env over RLIMIT_FSIZE: "
	    "ERR_CANTCREAT");
	tap_ok(strstr(e.msg, ".env: write: File too large") != NULL,
	    "... saying what failed");
	tap_is_int(count_dir(p), 0, "... nothing left in tmp/");
	must(queue_store_list(&q, &ids, &n, &e), &e, "list");
	queue_store_list_free(ids, n);
	tap_is_int((long long)n, (long long)n0, "... no entry added");
	tap_is_int(count_dir(qdir), 2 + (int)(2 * n0),
	    "... and no half-written .msg in the queue");
	queue_env_free(&env);

	/* An env that cannot be written at all. */
	make_env(&env, 1);
	must(queue_env_set(&env, QUEUE_ENV_FROM, NULL, &e), &e, "from");
	tap_is_int(queue_store_put(&q, &in, &env, &e), ERR_SOFTWARE,
	    "an env without sender: ERR_SOFTWARE");
	tap_is_int(count_dir(p), 0, "... nothing left in tmp/");
	tap_is_int(count_dir(qdir), 2 + (int)(2 * n0), "... nor in the queue");
	signal(SIGXFSZ, SIG_DFL);
	queue_env_free(&env);
	deliver_input_free(&in);
	queue_store_close(&q);
}

/* Run queue_store_default_dir() as uid 65534 with the given HOME and
 * XDG_STATE_HOME (NULL: unset); the result or "ERR" into out. */
static void
default_as_user(const char *home, const char *xdg, char *out, size_t len)
{
	int fds[2], status;
	ssize_t got;
	pid_t pid;

	if (pipe(fds) == -1)
		die("pipe");
	fflush(stdout);
	if ((pid = fork()) == -1)
		die("fork");
	if (pid == 0) {
		char dir[PATH_MAX];
		struct err e;

		close(fds[0]);
		if (geteuid() == 0 && (setgid(65534) == -1 ||
		    setuid(65534) == -1))
			_exit(1);
		if (home != NULL)
			setenv("HOME", home, 1);
		else
			unsetenv("HOME");
		if (xdg != NULL)
			setenv("XDG_STATE_HOME", xdg, 1);
		else
			unsetenv("XDG_STATE_HOME");
		if (queue_store_default_dir(dir, sizeof(dir), &e) != ERR_OK)
			strlcpy(dir, "ERR", sizeof(dir));
		if (write(fds[1], dir, strlen(dir)) == -1)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	got = read(fds[0], out, len - 1);
	out[got > 0 ? got : 0] = '\0';
	close(fds[0]);
	waitpid(pid, &status, 0);
}

static void
test_default_dir(void)
{
	char dir[PATH_MAX], small[8];
	struct err e;

	if (geteuid() == 0) {
		tap_is_int(queue_store_default_dir(dir, sizeof(dir), &e),
		    ERR_OK, "default folder as root");
		tap_is_str(dir, POSTIE_SPOOLDIR, "... the spool folder");
		tap_is_int(queue_store_default_dir(small, sizeof(small), &e),
		    ERR_CONFIG, "... too small a buffer: ERR_CONFIG");
	} else
		tap_skip(3, "the spool folder is root's (not root)");
	default_as_user("/home/u", "/state", dir, sizeof(dir));
	tap_is_str(dir, "/state/postie/queue", "a user: $XDG_STATE_HOME");
	default_as_user("/home/u", NULL, dir, sizeof(dir));
	tap_is_str(dir, "/home/u/.local/state/postie/queue",
	    "a user without XDG_STATE_HOME: $HOME/.local/state");
	default_as_user("/home/u", "relative", dir, sizeof(dir));
	tap_is_str(dir, "/home/u/.local/state/postie/queue",
	    "a relative XDG_STATE_HOME is ignored");
	if (geteuid() == 0) {
		default_as_user(NULL, NULL, dir, sizeof(dir));
		tap_ok(dir[0] == '/' && strstr(dir, "/.local/state/postie/"
		    "queue") != NULL, "without HOME: the password database "
		    "(%s)", dir);
	} else
		tap_skip(1, "HOME from the password database: needs root to "
		    "be another user");
}

static void
cleanup(const char *dir)
{
	char cmd[PATH_MAX + 32];

	/* The folder is ours and made by mkdtemp; rm -rf is simplest. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", dir);
}

int
main(void)
{
	const char *t = getenv("TMPDIR");

	umask(022);
	snprintf(base, sizeof(base), "%s/t_queue_store.XXXXXX",
	    t != NULL && t[0] == '/' ? t : "/tmp");
	if (mkdtemp(base) == NULL)
		die("mkdtemp");
	path_of(qdir, sizeof(qdir), base, "queue");
	test_open();
	test_put_lock();
	test_update_remove_dead();
	test_half_written();
	test_damaged();
	test_symlink_dirs();
	test_symlink_env();
	test_symlink_msg();
	test_unsafe_dirs();
	test_contention();
	test_race();
	test_write_failure();
	test_default_dir();
	cleanup(base);
	return tap_done();
}
