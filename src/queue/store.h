/*
 * queue_store: the queue directory, the only code that touches it.
 *
 * Layout (every folder mode 0700, every file 0600, owned by the user that
 * runs postie):
 *
 *   DIR/ID.msg     the message, exactly the bytes deliver_input yields
 *   DIR/ID.env     its envelope and state (queue/env.h)
 *   DIR/tmp/       files being written; renamed into DIR when complete
 *   DIR/dead/      entries given up on (a bounce that cannot be delivered)
 *
 * An entry exists once its .env is in place: put() renames the .msg in
 * first, then the .env, with an fsync of each file and of the folder in
 * between, so a crash leaves either no entry, a whole one, or a .msg
 * without .env (half-written: never listed nor locked; gc() removes it
 * after an hour).  remove() unlinks the .env first for the same reason.
 * State updates write a new .env in tmp/ and rename it over the old one.
 *
 * DIR: queue_store_default_dir(), or a directory the configuration names.
 * It is opened once, with O_NOFOLLOW (a symbolic link there is refused),
 * and must be a folder owned by the effective user or by root (root may
 * replace anything anyway; this admits a root-made queue) and not
 * writable by group or others; tmp/ and dead/ likewise.  Every later
 * operation is relative to the folder descriptors (openat, renameat,
 * unlinkat, fstatat with AT_SYMLINK_NOFOLLOW, O_NOFOLLOW, files created
 * O_CREAT|O_EXCL), so a symbolic link planted at any queue path is never
 * followed, and renaming the folder later does not redirect us.
 *
 * Concurrency.  Any number of processes may use one queue at once.  Each
 * entry is locked with flock(LOCK_EX) on its .msg; whoever delivers,
 * updates, removes or moves an entry holds that lock, and lock() checks
 * after locking that the entry still exists (the .msg it opened is still
 * DIR/ID.msg and ID.env is there), so an entry another process finished
 * between our open and our flock is never sent again.  put() holds the
 * lock of its new .msg until the entry is complete, so gc() never takes a
 * .msg being written for an orphan.  read() takes no lock: it sees the
 * old or the new state, never a mixture (renames are atomic), or finds
 * the entry gone.  Locks die with their process, so a crash frees them.
 *
 * Later: a setgid submission mode.  A root-owned queue gets one more
 * folder, DIR/incoming/, group postdrop and mode 1730 (group may create,
 * not list or read; sticky).  A setgid postie writes ID.msg and ID.env
 * there (O_EXCL, 0640, same formats and order); a runner as root checks
 * each pair (owner, link count, format), takes the submitting uid from
 * the file owner, and moves it into DIR with put()'s rename order.  The
 * users never read DIR, so account passwords stay root's.  Nothing of it
 * exists yet; open() would simply skip such a folder.
 *
 * Lifecycle: queue_store_open() ... queue_store_close().  An entry:
 * queue_store_lock(), then queue_entry_msg_fd() to read it, then
 * queue_store_update() / _remove() / _to_dead() as delivery goes, then
 * queue_store_unlock() (always; also after a failed lock()).
 *
 * Errors: ERR_NOPERM for an unsafe queue folder (link, owner, mode);
 * ERR_CANTCREAT when a file or folder cannot be created or there is no
 * space (ENOSPC, EDQUOT, EFBIG); ERR_IO for a failed read, write or
 * fsync; ERR_TEMP only when an entry is locked by another process;
 * ERR_DATA for a damaged or missing entry; ERR_CONFIG for a path that
 * cannot be made; ERR_OS for other system call failures.  Messages name
 * the path ("/home/u/.local/state/postie/queue/ID.env: ...").
 */
#ifndef POSTIE_QUEUE_STORE_H
#define POSTIE_QUEUE_STORE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "deliver/input.h"
#include "queue/env.h"
#include "util/err.h"

#define QUEUE_STORE_TMP_AGE (24 * 3600)		/* gc(): tmp/ files */
#define QUEUE_STORE_ORPHAN_AGE 3600		/* gc(): .msg without .env */

struct queue_store {
	int dfd;		/* DIR; -1: it does not exist (see open()) */
	int tmpfd, deadfd;	/* DIR/tmp, DIR/dead */
	char path[PATH_MAX];	/* DIR, for messages */
	/*
	 * Test hook: when set, lock() calls it between opening the .msg
	 * and locking it, so a test can stage another process's work in
	 * that window.  NULL in normal use.
	 */
	void (*lock_hook)(void *arg);
	void *lock_hook_arg;
};

/* A locked entry.  Fields are read-only for the caller but env, which
 * the caller changes before queue_store_update(). */
struct queue_entry {
	char id[QUEUE_ID_MAX + 1];
	int msg_fd;			/* the locked .msg; -1 when unlocked */
	unsigned long long size;	/* of the .msg, in bytes */
	struct queue_env env;
};

/* Why lock() or read() did not get an entry. */
enum queue_store_status {
	QUEUE_STORE_OK,		/* got it */
	QUEUE_STORE_BUSY,	/* locked by another process (ERR_TEMP) */
	QUEUE_STORE_GONE,	/* no such entry (ERR_DATA): skip it */
	QUEUE_STORE_DAMAGED,	/* lock(): its .env does not parse (ERR_DATA);
				 * ent holds the lock (env empty) so that
				 * to_dead() or remove() can clear it */
	QUEUE_STORE_FAILED	/* anything else: see the kind */
};

/*
 * The default queue folder into out: as root (geteuid() == 0) the spool
 * folder (configure --with-spooldir, /var/spool/postie by default);
 * otherwise $XDG_STATE_HOME/postie/queue when that is an absolute path,
 * else HOME/.local/state/postie/queue with HOME from the environment or,
 * when unset or not absolute, the password database.  ERR_CONFIG when no
 * home is found or the path does not fit in len.
 */
enum err_kind queue_store_default_dir(char *out, size_t len, struct err *e);

/*
 * Open the queue at dir.  create: make dir (and missing parents) mode
 * 0700 when it is missing; without create a missing dir is not an error
 * but an empty queue (list() finds nothing, lock() and read() find no
 * entry, put() fails with ERR_CANTCREAT).  tmp/ and dead/ are made when
 * missing.  On failure q holds no descriptor (close() is still safe).
 * ERR_NOPERM, ERR_CANTCREAT, ERR_CONFIG (path too long), ERR_OS.
 */
enum err_kind queue_store_open(struct queue_store *q, const char *dir,
    bool create, struct err *e);
/* Close the folders; locked entries stay locked.  q may be NULL. */
void queue_store_close(struct queue_store *q);

/*
 * Store msg (one pass of deliver_input_rewind()/_next()) and env as a new
 * entry: assigns env->id (and env->created, when it is 0, to now), writes
 * and fsyncs tmp/ID.msg and tmp/ID.env, renames them into place in that
 * order and fsyncs the folder after each.  ERR_OK only when the entry is
 * durably stored; on failure nothing of it is left and env->id (and
 * created) are as they were.  ERR_CANTCREAT (cannot create, no space,
 * file too large), ERR_IO (write or fsync failed, or reading msg), and
 * the errors of queue_env_format().
 */
enum err_kind queue_store_put(struct queue_store *q, struct deliver_input *msg,
    struct queue_env *env, struct err *e);

/*
 * The ids of the complete entries (ID.env and ID.msg both regular files),
 * sorted (so oldest first): *ids is a malloc'd array of *n malloc'd
 * strings, freed with queue_store_list_free().  ERR_OS.
 */
enum err_kind queue_store_list(struct queue_store *q, char ***ids, size_t *n,
    struct err *e);
void queue_store_list_free(char **ids, size_t n);

/*
 * Remove what crashes left: files in tmp/ last changed more than
 * QUEUE_STORE_TMP_AGE before now, and ID.msg without ID.env older than
 * QUEUE_STORE_ORPHAN_AGE that nobody has locked.  Files that vanish or
 * are locked meanwhile are skipped.  ERR_OS when a folder cannot be read.
 */
enum err_kind queue_store_gc(struct queue_store *q, long long now,
    struct err *e);

/*
 * Lock entry id (flock LOCK_EX|LOCK_NB on its .msg, never waiting) and
 * read its state into ent->env.  ent is initialised whatever happens; on
 * ERR_OK it holds the lock until queue_store_unlock().  *st (st may be
 * NULL) says why not: BUSY with ERR_TEMP "queue entry ID is being
 * delivered by another process"; GONE with ERR_DATA "queue entry ID: no
 * such entry" (also when it was delivered or moved between our open and
 * our lock); FAILED otherwise: ERR_USAGE for an id that is not
 * queue_env_valid_id(), ERR_NOPERM for a symbolic link or a file not
 * ours, ERR_DATA for a damaged .env, ERR_IO, ERR_OS.
 */
enum err_kind queue_store_lock(struct queue_store *q, const char *id,
    struct queue_entry *ent, enum queue_store_status *st, struct err *e);

/*
 * The locked message, positioned at its start after lock() (the caller
 * moves it; lseek(fd, 0, SEEK_SET) to read it again).  Borrowed, valid
 * until unlock().  Read it with deliver_input_read(fd, false, ...).
 */
int queue_entry_msg_fd(const struct queue_entry *ent);

/*
 * Write ent->env as the entry's new state: tmp/ID.upd, fsync, renamed
 * over ID.env, fsync of the folder.  Needs the lock.  On failure the old
 * state stays, except that after a failed fsync of the folder (ERR_IO)
 * either state may be the one on disk.  ERR_SOFTWARE (not locked, or
 * env->id is not ent's id), ERR_CANTCREAT, ERR_IO, queue_env_format()'s.
 */
enum err_kind queue_store_update(struct queue_store *q,
    struct queue_entry *ent, struct err *e);

/*
 * Delete the entry: ID.env (from then on it does not exist), then
 * ID.msg, then fsync of the folder.  Needs the lock, which is kept until
 * unlock().  ERR_SOFTWARE (not locked), ERR_OS, ERR_IO (fsync).
 */
enum err_kind queue_store_remove(struct queue_store *q,
    struct queue_entry *ent, struct err *e);

/*
 * Move the entry into dead/: link ID.msg there, rename ID.env there (the
 * entry leaves the queue), unlink ID.msg from the queue, fsync both
 * folders.  A crash in between leaves the entry in the queue, or a .msg
 * orphan that gc() removes.  Needs the lock.  ERR_SOFTWARE, ERR_CANTCREAT,
 * ERR_OS, ERR_IO.
 */
enum err_kind queue_store_to_dead(struct queue_store *q,
    struct queue_entry *ent, struct err *e);

/* Unlock and free ent (closing the .msg).  Safe on an unlocked ent. */
void queue_store_unlock(struct queue_entry *ent);

/*
 * Read entry id's state without locking (for mailq), and the size of its
 * message into *size (size may be NULL).  env is queue_env_free()d first.
 * *st (may be NULL) and the errors as for lock(), without BUSY.
 */
enum err_kind queue_store_read(struct queue_store *q, const char *id,
    struct queue_env *env, unsigned long long *size,
    enum queue_store_status *st, struct err *e);

#endif
