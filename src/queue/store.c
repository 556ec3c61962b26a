#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "queue/store.h"

/* configure --with-spooldir will define it; until then the FHS place. */
#ifndef POSTIE_SPOOLDIR
#define POSTIE_SPOOLDIR "/var/spool/postie"
#endif

#define NAME_LEN (QUEUE_ID_MAX + 5)	/* "ID.ext" and a NUL */
#define ID_TRIES 8			/* fresh ids before put() gives up */
#define READ_CHUNK 65536

/* Where a file lives, for messages: "" (the queue), "tmp/" or "dead/". */
#define IN_QUEUE ""
#define IN_TMP "tmp/"
#define IN_DEAD "dead/"

static void
entry_name(char out[NAME_LEN], const char *id, const char *ext)
{
	snprintf(out, NAME_LEN, "%s.%s", id, ext);
}

/* A system call failed with errnum: kind and "DIR/SUBNAME: what: why". */
static enum err_kind
sys_fail(const struct queue_store *q, enum err_kind kind, const char *sub,
    const char *name, const char *what, int errnum, struct err *e)
{
	return err_set(e, kind, "%s/%s%s: %s: %s", q->path, sub, name, what,
	    strerror(errnum));
}

/* Creating: out of space is "cannot create", a device error is I/O. */
static enum err_kind
create_kind(int errnum)
{
	return errnum == EIO ? ERR_IO : ERR_CANTCREAT;
}

/* Writing: no space or over a limit is "cannot create", else I/O. */
static enum err_kind
write_kind(int errnum)
{
	return errnum == ENOSPC || errnum == EDQUOT || errnum == EFBIG ?
	    ERR_CANTCREAT : ERR_IO;
}

static int
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		w = write(fd, c, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			return -1;
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* --- paths and folders ---------------------------------------------------- */

enum err_kind
queue_store_default_dir(char *out, size_t len, struct err *e)
{
	const char *x, *home = NULL;
	struct passwd *pw;
	int n;

	if (geteuid() == 0)
		n = snprintf(out, len, "%s", POSTIE_SPOOLDIR);
	else if ((x = getenv("XDG_STATE_HOME")) != NULL && x[0] == '/')
		n = snprintf(out, len, "%s/postie/queue", x);
	else {
		if ((x = getenv("HOME")) != NULL && x[0] == '/')
			home = x;
		else if ((pw = getpwuid(geteuid())) != NULL &&
		    pw->pw_dir != NULL && pw->pw_dir[0] == '/')
			home = pw->pw_dir;
		if (home == NULL)
			return err_set(e, ERR_CONFIG, "no home directory for "
			    "the queue (set HOME or queue_dir)");
		n = snprintf(out, len, "%s/.local/state/postie/queue", home);
	}
	if (n < 0 || (size_t)n >= len)
		return err_set(e, ERR_CONFIG, "the queue directory's path is "
		    "too long");
	return ERR_OK;
}

/* A new folder's name is durable once its parent is fsync'd. */
static void
sync_parent(char *p, size_t end)
{
	int fd;

	while (end > 0 && p[end - 1] != '/')
		end--;
	if (end == 0)
		fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	else {
		char c = p[end];

		p[end] = '\0';
		fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		p[end] = c;
	}
	if (fd != -1) {
		(void)fsync(fd);
		close(fd);
	}
}

/* mkdir -p, mode 0700 for what it makes. */
static enum err_kind
make_dirs(const char *dir, struct err *e)
{
	char p[PATH_MAX];
	struct stat st;
	size_t i, n;
	char c;

	n = strlcpy(p, dir, sizeof(p));
	for (i = 1; i <= n; i++) {
		if ((p[i] != '/' && p[i] != '\0') || p[i - 1] == '/')
			continue;
		c = p[i];
		p[i] = '\0';
		if (mkdir(p, 0700) == 0)
			sync_parent(p, i);
		else if (errno != EEXIST &&
		    !(stat(p, &st) == 0 && S_ISDIR(st.st_mode)))
			return err_set(e, ERR_CANTCREAT, "cannot create %s: %s",
			    p, strerror(errno));
		p[i] = c;
	}
	return ERR_OK;
}

/* The folder must be ours (or root's) and closed to group and others. */
static enum err_kind
check_dir(int fd, const char *shown, struct err *e)
{
	struct stat st;

	if (fstat(fd, &st) == -1)
		return err_set(e, ERR_OS, "%s: %s", shown, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return err_set(e, ERR_NOPERM, "%s: not a directory", shown);
	if (st.st_uid != geteuid() && st.st_uid != 0)
		return err_set(e, ERR_NOPERM, "%s: owned by uid %lu, not by "
		    "you or root", shown, (unsigned long)st.st_uid);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return err_set(e, ERR_NOPERM, "%s: writable by group or "
		    "others (chmod go-w %s)", shown, shown);
	return ERR_OK;
}

/* Open folder name at at, never through a symbolic link; *missing on
 * ENOENT (then ERR_CANTCREAT). */
static enum err_kind
open_dir(int at, const char *name, const char *shown, int *fd, bool *missing,
    struct err *e)
{
	struct stat st;
	enum err_kind rc;
	int errnum;

	*missing = false;
	*fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (*fd == -1) {
		errnum = errno;
		if (errnum == ELOOP || (errnum == ENOTDIR &&
		    fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISLNK(st.st_mode)))
			return err_set(e, ERR_NOPERM, "%s: is a symbolic link "
			    "(refused)", shown);
		*missing = errnum == ENOENT;
		return err_set(e, errnum == EACCES ? ERR_NOPERM :
		    ERR_CANTCREAT, "%s: %s", shown, strerror(errnum));
	}
	if ((rc = check_dir(*fd, shown, e)) != ERR_OK) {
		close(*fd);
		*fd = -1;
	}
	return rc;
}

static enum err_kind
open_sub(struct queue_store *q, const char *sub, int *fd, struct err *e)
{
	char shown[PATH_MAX + 8];
	bool missing;

	snprintf(shown, sizeof(shown), "%s/%s", q->path, sub);
	if (mkdirat(q->dfd, sub, 0700) == 0)
		(void)fsync(q->dfd);
	else if (errno != EEXIST)
		return err_set(e, create_kind(errno), "cannot create %s: %s",
		    shown, strerror(errno));
	return open_dir(q->dfd, sub, shown, fd, &missing, e);
}

void
queue_store_close(struct queue_store *q)
{
	if (q == NULL)
		return;
	if (q->dfd != -1)
		close(q->dfd);
	if (q->tmpfd != -1)
		close(q->tmpfd);
	if (q->deadfd != -1)
		close(q->deadfd);
	q->dfd = q->tmpfd = q->deadfd = -1;
}

enum err_kind
queue_store_open(struct queue_store *q, const char *dir, bool create,
    struct err *e)
{
	enum err_kind rc;
	bool missing;

	memset(q, 0, sizeof(*q));
	q->dfd = q->tmpfd = q->deadfd = -1;
	if (dir[0] == '\0' || strlcpy(q->path, dir, sizeof(q->path)) >=
	    sizeof(q->path))
		return err_set(e, ERR_CONFIG, "queue directory: empty or too "
		    "long path");
	if (create && (rc = make_dirs(dir, e)) != ERR_OK)
		return rc;
	rc = open_dir(AT_FDCWD, dir, dir, &q->dfd, &missing, e);
	if (rc != ERR_OK && missing && !create) {
		err_clear(e);
		return ERR_OK;
	}
	if (rc != ERR_OK)
		return rc;
	if ((rc = open_sub(q, "tmp", &q->tmpfd, e)) == ERR_OK)
		rc = open_sub(q, "dead", &q->deadfd, e);
	if (rc != ERR_OK)
		queue_store_close(q);
	return rc;
}

/* --- files ---------------------------------------------------------------- */

/*
 * Create sub/name at at (O_EXCL, 0600), write p[0..n), fsync, close.  On
 * failure the file is gone again.
 */
static enum err_kind
write_file(struct queue_store *q, int at, const char *sub, const char *name,
    const void *p, size_t n, struct err *e)
{
	enum err_kind rc = ERR_OK;
	int fd;

	fd = openat(at, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1)
		return sys_fail(q, create_kind(errno), sub, name, "create",
		    errno, e);
	if (write_all(fd, p, n) == -1)
		rc = sys_fail(q, write_kind(errno), sub, name, "write", errno,
		    e);
	else if (fsync(fd) == -1)
		rc = sys_fail(q, ERR_IO, sub, name, "fsync", errno, e);
	if (close(fd) == -1 && rc == ERR_OK)
		rc = sys_fail(q, write_kind(errno), sub, name, "close", errno,
		    e);
	if (rc != ERR_OK)
		(void)unlinkat(at, name, 0);
	return rc;
}

/*
 * Open an entry's file for reading, never through a link: a regular file
 * of ours.  ENOENT is GONE.  sb gets its status.
 */
static enum err_kind
open_entry_file(struct queue_store *q, int at, const char *id,
    const char *name, int *fd, struct stat *sb, enum queue_store_status *st,
    struct err *e)
{
	int errnum;

	*fd = openat(at, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC);
	if (*fd == -1) {
		errnum = errno;
		if (errnum == ENOENT) {
			*st = QUEUE_STORE_GONE;
			return err_set(e, ERR_DATA, "queue entry %s: no such "
			    "entry", id);
		}
		if (errnum == ELOOP)
			return err_set(e, ERR_NOPERM, "%s/%s: is a symbolic "
			    "link (refused)", q->path, name);
		return sys_fail(q, ERR_OS, IN_QUEUE, name, "open", errnum, e);
	}
	if (fstat(*fd, sb) == -1) {
		errnum = errno;
		close(*fd);
		*fd = -1;
		return sys_fail(q, ERR_OS, IN_QUEUE, name, "fstat", errnum, e);
	}
	if (!S_ISREG(sb->st_mode) || sb->st_uid != geteuid()) {
		close(*fd);
		*fd = -1;
		return err_set(e, ERR_NOPERM, "%s/%s: %s (refused)", q->path,
		    name, S_ISREG(sb->st_mode) ? "not owned by you" :
		    "not a regular file");
	}
	/* O_NONBLOCK only kept a planted FIFO from hanging the open. */
	(void)fcntl(*fd, F_SETFL, fcntl(*fd, F_GETFL) & ~O_NONBLOCK);
	return ERR_OK;
}

/* Read and parse ID.env. */
static enum err_kind
read_env(struct queue_store *q, const char *id, struct queue_env *env,
    enum queue_store_status *st, struct err *e)
{
	char name[NAME_LEN], chunk[READ_CHUNK];
	struct buf text;
	struct stat sb;
	enum err_kind rc = ERR_OK;
	ssize_t got;
	int fd;

	entry_name(name, id, "env");
	if ((rc = open_entry_file(q, q->dfd, id, name, &fd, &sb, st, e)) !=
	    ERR_OK)
		return rc;
	buf_init(&text, QUEUE_ENV_FILE_MAX);
	for (;;) {
		got = read(fd, chunk, sizeof(chunk));
		if (got == -1 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		if (buf_append(&text, chunk, (size_t)got) == -1) {
			rc = err_set(e, ERR_DATA, "%s/%s: larger than %u bytes",
			    q->path, name, QUEUE_ENV_FILE_MAX);
			break;
		}
	}
	if (rc == ERR_OK && got == -1)
		rc = sys_fail(q, ERR_IO, IN_QUEUE, name, "read", errno, e);
	close(fd);
	if (rc == ERR_OK &&
	    (rc = queue_env_parse(text.data, text.len, env, e)) != ERR_OK)
		err_prefix(e, "%s/%s", q->path, name);
	if (rc == ERR_OK && strcmp(env->id, id) != 0) {
		rc = err_set(e, ERR_DATA, "%s/%s: holds entry %s", q->path,
		    name, env->id);
		queue_env_free(env);
	}
	buf_free(&text);
	return rc;
}

/* --- put ------------------------------------------------------------------ */

/* What put() has made so far, to undo it. */
struct put_state {
	char id[QUEUE_ID_MAX + 1];
	char msg[NAME_LEN], env[NAME_LEN];
	int fd;			/* tmp/ID.msg, locked */
	bool tmp_msg, tmp_env, in_msg, in_env;
};

/* A fresh id whose tmp/ID.msg we created (O_EXCL) and locked. */
static enum err_kind
put_create(struct queue_store *q, struct put_state *ps, struct err *e)
{
	unsigned char rnd[8];
	struct stat sb;
	int i;

	for (i = 0; i < ID_TRIES; i++) {
		arc4random_buf(rnd, sizeof(rnd));
		queue_env_make_id((long long)time(NULL), rnd, ps->id);
		entry_name(ps->msg, ps->id, "msg");
		entry_name(ps->env, ps->id, "env");
		if (fstatat(q->dfd, ps->msg, &sb, AT_SYMLINK_NOFOLLOW) == 0 ||
		    fstatat(q->dfd, ps->env, &sb, AT_SYMLINK_NOFOLLOW) == 0)
			continue;
		ps->fd = openat(q->tmpfd, ps->msg, O_WRONLY | O_CREAT |
		    O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (ps->fd == -1 && errno == EEXIST)
			continue;
		if (ps->fd == -1)
			return sys_fail(q, create_kind(errno), IN_TMP, ps->msg,
			    "create", errno, e);
		ps->tmp_msg = true;
		if (flock(ps->fd, LOCK_EX | LOCK_NB) == -1)
			return sys_fail(q, ERR_OS, IN_TMP, ps->msg, "flock",
			    errno, e);
		return ERR_OK;
	}
	return err_set(e, ERR_CANTCREAT, "%s: no free queue id after %d "
	    "tries", q->path, ID_TRIES);
}

static enum err_kind
put_message(struct queue_store *q, struct put_state *ps,
    struct deliver_input *msg, struct err *e)
{
	enum err_kind rc;
	const void *p;
	size_t n;

	deliver_input_rewind(msg);
	for (;;) {
		if ((rc = deliver_input_next(msg, &p, &n, e)) != ERR_OK)
			return rc;
		if (n == 0)
			break;
		if (write_all(ps->fd, p, n) == -1)
			return sys_fail(q, write_kind(errno), IN_TMP, ps->msg,
			    "write", errno, e);
	}
	if (fsync(ps->fd) == -1)
		return sys_fail(q, ERR_IO, IN_TMP, ps->msg, "fsync", errno, e);
	return ERR_OK;
}

static enum err_kind
put_env(struct queue_store *q, struct put_state *ps,
    const struct queue_env *env, struct err *e)
{
	struct buf text;
	enum err_kind rc;

	buf_init(&text, QUEUE_ENV_FILE_MAX);
	rc = queue_env_format(env, &text, e);
	if (rc == ERR_OK)
		rc = write_file(q, q->tmpfd, IN_TMP, ps->env, text.data,
		    text.len, e);
	ps->tmp_env = rc == ERR_OK;
	buf_free(&text);
	return rc;
}

/* Rename tmp/NAME into the queue, then fsync the queue folder. */
static enum err_kind
put_rename(struct queue_store *q, const char *name, bool *tmp, bool *in,
    struct err *e)
{
	if (renameat(q->tmpfd, name, q->dfd, name) == -1)
		return sys_fail(q, create_kind(errno), IN_TMP, name,
		    "rename into the queue", errno, e);
	*tmp = false;
	*in = true;
	if (fsync(q->dfd) == -1)
		return err_set(e, ERR_IO, "%s: fsync: %s", q->path,
		    strerror(errno));
	return ERR_OK;
}

static void
put_undo(struct queue_store *q, struct put_state *ps)
{
	if (ps->in_env)
		(void)unlinkat(q->dfd, ps->env, 0);
	if (ps->in_msg)
		(void)unlinkat(q->dfd, ps->msg, 0);
	if (ps->tmp_env)
		(void)unlinkat(q->tmpfd, ps->env, 0);
	if (ps->tmp_msg)
		(void)unlinkat(q->tmpfd, ps->msg, 0);
	if (ps->in_env || ps->in_msg)
		(void)fsync(q->dfd);
}

enum err_kind
queue_store_put(struct queue_store *q, struct deliver_input *msg,
    struct queue_env *env, struct err *e)
{
	char old_id[sizeof(env->id)];
	long long old_created = env->created;
	struct put_state ps;
	enum err_kind rc;

	if (q->dfd == -1 || q->tmpfd == -1)
		return err_set(e, ERR_CANTCREAT, "%s: the queue directory "
		    "does not exist", q->path);
	memset(&ps, 0, sizeof(ps));
	ps.fd = -1;
	memcpy(old_id, env->id, sizeof(old_id));
	if ((rc = put_create(q, &ps, e)) == ERR_OK)
		rc = put_message(q, &ps, msg, e);
	if (rc == ERR_OK) {
		memcpy(env->id, ps.id, sizeof(env->id));
		if (env->created == 0)
			env->created = (long long)time(NULL);
		rc = put_env(q, &ps, env, e);
	}
	/* The .msg first: an entry exists only once its .env is in. */
	if (rc == ERR_OK)
		rc = put_rename(q, ps.msg, &ps.tmp_msg, &ps.in_msg, e);
	if (rc == ERR_OK)
		rc = put_rename(q, ps.env, &ps.tmp_env, &ps.in_env, e);
	if (rc != ERR_OK) {
		put_undo(q, &ps);
		memcpy(env->id, old_id, sizeof(env->id));
		env->created = old_created;
	}
	if (ps.fd != -1)
		close(ps.fd);
	return rc;
}

/* --- listing and gc ------------------------------------------------------- */

static DIR *
open_listing(int fd)
{
	int dup_fd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;

	if (dup_fd == -1)
		return NULL;
	if ((d = fdopendir(dup_fd)) == NULL)
		close(dup_fd);
	return d;
}

/* The id of an entry file name "ID.ext" into id; false for other names. */
static bool
name_id(const char *name, const char *ext, char id[QUEUE_ID_MAX + 1])
{
	const char *dot = strrchr(name, '.');
	size_t n;

	if (dot == NULL || strcmp(dot + 1, ext) != 0 ||
	    (n = (size_t)(dot - name)) > QUEUE_ID_MAX)
		return false;
	memcpy(id, name, n);
	id[n] = '\0';
	return queue_env_valid_id(id);
}

static bool
is_regular(int at, const char *name)
{
	struct stat sb;

	return fstatat(at, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(sb.st_mode);
}

static int
cmp_ids(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
queue_store_list_free(char **ids, size_t n)
{
	size_t i;

	if (ids == NULL)
		return;
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

enum err_kind
queue_store_list(struct queue_store *q, char ***ids, size_t *n, struct err *e)
{
	char id[QUEUE_ID_MAX + 1], msg[NAME_LEN], **v = NULL, **nv;
	size_t cap = 0;
	struct dirent *de;
	DIR *d;

	*ids = NULL;
	*n = 0;
	if (q->dfd == -1)
		return ERR_OK;
	if ((d = open_listing(q->dfd)) == NULL)
		return err_set(e, ERR_OS, "%s: %s", q->path, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (!name_id(de->d_name, "env", id))
			continue;
		entry_name(msg, id, "msg");
		if (!is_regular(q->dfd, de->d_name) || !is_regular(q->dfd, msg))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL)
				break;
			v = nv;
		}
		if ((v[*n] = strdup(id)) == NULL)
			break;
		(*n)++;
	}
	closedir(d);
	if (de != NULL) {
		queue_store_list_free(v, *n);
		*n = 0;
		return err_set(e, ERR_OS, "out of memory");
	}
	if (*n > 0)
		qsort(v, *n, sizeof(*v), cmp_ids);
	*ids = v;
	return ERR_OK;
}

/*
 * Open at/name and take its lock without waiting: a file someone holds
 * (a put or a delivery in progress) is not garbage.  -1 when busy or
 * gone.
 */
static int
gc_grab(int at, const char *name, struct stat *sb)
{
	int fd = openat(at, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC);

	if (fd == -1)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1 || fstat(fd, sb) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static enum err_kind
gc_tmp(struct queue_store *q, long long now, struct err *e)
{
	struct stat sb, lsb;
	struct dirent *de;
	DIR *d;
	int fd;

	if ((d = open_listing(q->tmpfd)) == NULL)
		return err_set(e, ERR_OS, "%s/tmp: %s", q->path,
		    strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    fstatat(q->tmpfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) ==
		    -1 || now - (long long)sb.st_mtime <= QUEUE_STORE_TMP_AGE ||
		    S_ISDIR(sb.st_mode))
			continue;
		if (!S_ISREG(sb.st_mode)) {
			/* A link or such: unlinking it follows nothing. */
			(void)unlinkat(q->tmpfd, de->d_name, 0);
			continue;
		}
		if ((fd = gc_grab(q->tmpfd, de->d_name, &lsb)) == -1)
			continue;
		if (lsb.st_ino == sb.st_ino && lsb.st_dev == sb.st_dev)
			(void)unlinkat(q->tmpfd, de->d_name, 0);
		close(fd);
	}
	closedir(d);
	return ERR_OK;
}

/* ID.msg without ID.env, old and not locked: a put() that died. */
static void
gc_orphan(struct queue_store *q, long long now, const char *id,
    const char *msg)
{
	char env[NAME_LEN];
	struct stat sb, lsb;
	int fd;

	entry_name(env, id, "env");
	if (fstatat(q->dfd, env, &sb, AT_SYMLINK_NOFOLLOW) == 0 ||
	    errno != ENOENT ||
	    fstatat(q->dfd, msg, &sb, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISREG(sb.st_mode) ||
	    now - (long long)sb.st_mtime <= QUEUE_STORE_ORPHAN_AGE)
		return;
	if ((fd = gc_grab(q->dfd, msg, &lsb)) == -1)
		return;
	/* Under the lock: still the same file, and still no .env. */
	if (lsb.st_ino == sb.st_ino && lsb.st_dev == sb.st_dev &&
	    lsb.st_nlink > 0 &&
	    fstatat(q->dfd, env, &sb, AT_SYMLINK_NOFOLLOW) == -1 &&
	    errno == ENOENT)
		(void)unlinkat(q->dfd, msg, 0);
	close(fd);
}

enum err_kind
queue_store_gc(struct queue_store *q, long long now, struct err *e)
{
	char id[QUEUE_ID_MAX + 1];
	struct dirent *de;
	enum err_kind rc;
	DIR *d;

	if (q->dfd == -1)
		return ERR_OK;
	if ((rc = gc_tmp(q, now, e)) != ERR_OK)
		return rc;
	if ((d = open_listing(q->dfd)) == NULL)
		return err_set(e, ERR_OS, "%s: %s", q->path, strerror(errno));
	while ((de = readdir(d)) != NULL)
		if (name_id(de->d_name, "msg", id))
			gc_orphan(q, now, id, de->d_name);
	closedir(d);
	return ERR_OK;
}

/* --- entries -------------------------------------------------------------- */

static void
entry_init(struct queue_entry *ent)
{
	memset(ent, 0, sizeof(*ent));
	ent->msg_fd = -1;
	queue_env_init(&ent->env);
}

/* After the lock: the .msg we hold is still ID.msg, and ID.env is there. */
static enum err_kind
lock_verify(struct queue_store *q, int fd, const char *id, const char *msg,
    struct stat *sb, enum queue_store_status *st, struct err *e)
{
	struct stat now;

	if (fstat(fd, sb) == -1)
		return sys_fail(q, ERR_OS, IN_QUEUE, msg, "fstat", errno, e);
	if (sb->st_nlink == 0 ||
	    fstatat(q->dfd, msg, &now, AT_SYMLINK_NOFOLLOW) == -1 ||
	    now.st_ino != sb->st_ino || now.st_dev != sb->st_dev) {
		*st = QUEUE_STORE_GONE;
		return err_set(e, ERR_DATA, "queue entry %s: no such entry",
		    id);
	}
	return ERR_OK;
}

/* What lock() and read() check first: the id's form, and a queue. */
static enum err_kind
entry_first(const struct queue_store *q, const char *id,
    enum queue_store_status *st, struct err *e)
{
	if (!queue_env_valid_id(id))
		return err_set(e, ERR_USAGE, "'%s' is not a queue entry id",
		    id != NULL ? id : "");
	if (q->dfd == -1) {
		*st = QUEUE_STORE_GONE;
		return err_set(e, ERR_DATA, "queue entry %s: no such entry",
		    id);
	}
	return ERR_OK;
}

enum err_kind
queue_store_lock(struct queue_store *q, const char *id,
    struct queue_entry *ent, enum queue_store_status *st, struct err *e)
{
	enum queue_store_status dummy;
	char msg[NAME_LEN];
	struct stat sb;
	enum err_kind rc;
	int fd;

	if (st == NULL)
		st = &dummy;
	*st = QUEUE_STORE_FAILED;
	entry_init(ent);
	if ((rc = entry_first(q, id, st, e)) != ERR_OK)
		return rc;
	entry_name(msg, id, "msg");
	if ((rc = open_entry_file(q, q->dfd, id, msg, &fd, &sb, st, e)) !=
	    ERR_OK)
		return rc;
	if (q->lock_hook != NULL)
		q->lock_hook(q->lock_hook_arg);
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK) {
			*st = QUEUE_STORE_BUSY;
			rc = err_set(e, ERR_TEMP, "queue entry %s is being "
			    "delivered by another process", id);
		} else
			rc = sys_fail(q, ERR_OS, IN_QUEUE, msg, "flock", errno,
			    e);
		close(fd);
		return rc;
	}
	if ((rc = lock_verify(q, fd, id, msg, &sb, st, e)) == ERR_OK)
		rc = read_env(q, id, &ent->env, st, e);
	if (rc == ERR_DATA && *st == QUEUE_STORE_FAILED) {
		/* Damaged: kept locked, so it can be moved aside. */
		*st = QUEUE_STORE_DAMAGED;
		memcpy(ent->id, id, strlen(id) + 1);
		ent->msg_fd = fd;
		ent->size = (unsigned long long)sb.st_size;
		return rc;
	}
	if (rc != ERR_OK) {
		close(fd);
		return rc;
	}
	memcpy(ent->id, id, strlen(id) + 1);
	ent->msg_fd = fd;
	ent->size = (unsigned long long)sb.st_size;
	*st = QUEUE_STORE_OK;
	return ERR_OK;
}

int
queue_entry_msg_fd(const struct queue_entry *ent)
{
	return ent->msg_fd;
}

void
queue_store_unlock(struct queue_entry *ent)
{
	if (ent->msg_fd != -1)
		close(ent->msg_fd);
	queue_env_free(&ent->env);
	ent->msg_fd = -1;
}

static enum err_kind
check_locked(const struct queue_entry *ent, struct err *e)
{
	if (ent->msg_fd == -1 || !queue_env_valid_id(ent->id))
		return err_set(e, ERR_SOFTWARE, "queue entry not locked");
	return ERR_OK;
}

/* fsync a folder: sub is "" for the queue, or "tmp/", "dead/". */
static enum err_kind
fsync_dir(struct queue_store *q, int fd, const char *sub, struct err *e)
{
	if (fsync(fd) == -1)
		return err_set(e, ERR_IO, "%s/%s: fsync: %s", q->path, sub,
		    strerror(errno));
	return ERR_OK;
}

enum err_kind
queue_store_update(struct queue_store *q, struct queue_entry *ent,
    struct err *e)
{
	char upd[NAME_LEN], env[NAME_LEN];
	struct buf text;
	enum err_kind rc;

	if ((rc = check_locked(ent, e)) != ERR_OK)
		return rc;
	if (strcmp(ent->env.id, ent->id) != 0)
		return err_set(e, ERR_SOFTWARE, "queue entry %s: env of %s",
		    ent->id, ent->env.id);
	entry_name(upd, ent->id, "upd");
	entry_name(env, ent->id, "env");
	buf_init(&text, QUEUE_ENV_FILE_MAX);
	if ((rc = queue_env_format(&ent->env, &text, e)) == ERR_OK) {
		/* A leftover of a crashed update (or anything planted). */
		(void)unlinkat(q->tmpfd, upd, 0);
		rc = write_file(q, q->tmpfd, IN_TMP, upd, text.data, text.len,
		    e);
	}
	buf_free(&text);
	if (rc != ERR_OK)
		return rc;
	if (renameat(q->tmpfd, upd, q->dfd, env) == -1) {
		rc = sys_fail(q, create_kind(errno), IN_TMP, upd,
		    "rename into the queue", errno, e);
		(void)unlinkat(q->tmpfd, upd, 0);
		return rc;
	}
	return fsync_dir(q, q->dfd, IN_QUEUE, e);
}

enum err_kind
queue_store_remove(struct queue_store *q, struct queue_entry *ent,
    struct err *e)
{
	char msg[NAME_LEN], env[NAME_LEN];
	enum err_kind rc;

	if ((rc = check_locked(ent, e)) != ERR_OK)
		return rc;
	entry_name(msg, ent->id, "msg");
	entry_name(env, ent->id, "env");
	if (unlinkat(q->dfd, env, 0) == -1 && errno != ENOENT)
		return sys_fail(q, ERR_OS, IN_QUEUE, env, "unlink", errno, e);
	/* The entry is gone now; a .msg left over is an orphan for gc(). */
	(void)unlinkat(q->dfd, msg, 0);
	return fsync_dir(q, q->dfd, IN_QUEUE, e);
}

enum err_kind
queue_store_to_dead(struct queue_store *q, struct queue_entry *ent,
    struct err *e)
{
	char msg[NAME_LEN], env[NAME_LEN];
	enum err_kind rc;

	if ((rc = check_locked(ent, e)) != ERR_OK)
		return rc;
	if (q->deadfd == -1)
		return err_set(e, ERR_CANTCREAT, "%s/dead: missing", q->path);
	entry_name(msg, ent->id, "msg");
	entry_name(env, ent->id, "env");
	/* A copy left by an earlier attempt that crashed. */
	(void)unlinkat(q->deadfd, msg, 0);
	if (linkat(q->dfd, msg, q->deadfd, msg, 0) == -1)
		return sys_fail(q, create_kind(errno), IN_DEAD, msg, "link",
		    errno, e);
	if ((rc = fsync_dir(q, q->deadfd, IN_DEAD, e)) != ERR_OK) {
		(void)unlinkat(q->deadfd, msg, 0);
		return rc;
	}
	if (renameat(q->dfd, env, q->deadfd, env) == -1) {
		rc = sys_fail(q, create_kind(errno), IN_QUEUE, env,
		    "rename into dead/", errno, e);
		(void)unlinkat(q->deadfd, msg, 0);
		return rc;
	}
	if ((rc = fsync_dir(q, q->deadfd, IN_DEAD, e)) != ERR_OK)
		return rc;
	(void)unlinkat(q->dfd, msg, 0);
	return fsync_dir(q, q->dfd, IN_QUEUE, e);
}

enum err_kind
queue_store_read(struct queue_store *q, const char *id,
    struct queue_env *env, unsigned long long *size,
    enum queue_store_status *st, struct err *e)
{
	enum queue_store_status dummy;
	char msg[NAME_LEN];
	struct stat sb;
	enum err_kind rc;

	if (st == NULL)
		st = &dummy;
	*st = QUEUE_STORE_FAILED;
	queue_env_free(env);
	if ((rc = entry_first(q, id, st, e)) != ERR_OK)
		return rc;
	entry_name(msg, id, "msg");
	if (fstatat(q->dfd, msg, &sb, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno != ENOENT)
			return sys_fail(q, ERR_OS, IN_QUEUE, msg, "stat",
			    errno, e);
		*st = QUEUE_STORE_GONE;
		return err_set(e, ERR_DATA, "queue entry %s: no such entry",
		    id);
	}
	if (!S_ISREG(sb.st_mode))
		return err_set(e, ERR_NOPERM, "%s/%s: not a regular file "
		    "(refused)", q->path, msg);
	if ((rc = read_env(q, id, env, st, e)) != ERR_OK)
		return rc;
	if (size != NULL)
		*size = (unsigned long long)sb.st_size;
	*st = QUEUE_STORE_OK;
	return ERR_OK;
}
