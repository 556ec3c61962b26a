/*
 * conf_load: configuration files from disk, and secrets from their sources.
 *
 * Reads /etc/postie.conf (POSTIE_SYSTEM_CONF) and then the user's file:
 * the one given with -C, else $XDG_CONFIG_HOME/postie/config (default
 * ~/.config/postie/config).  Either may be absent; a file that exists
 * but cannot be read is an error.  The user's file overrides the system's
 * (see conf/parse.h).
 *
 * A file that holds a `password` and is readable by group or others is
 * refused (ERR_CONFIG), as is a -C file not owned by the caller or root or
 * writable by group or others.  Passwords come from conf_load_password()
 * below.
 *
 * Errors: ERR_CONFIG (with "FILE:LINE: why"), ERR_OS, ERR_NOPERM.
 */
#ifndef POSTIE_CONF_LOAD_H
#define POSTIE_CONF_LOAD_H

#include <stdbool.h>

#include "conf/parse.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/secret.h"

/* Parse one file into c.  required: a missing file is an error. */
enum err_kind conf_load_file(struct conf *c, const char *path, bool required,
    struct err *e);

/*
 * A whole file of at most max bytes into b (initialised here; the caller
 * frees it), e.g. the aliases file.  ERR_CONFIG when it is missing or
 * larger, ERR_NOPERM when it may not be read, ERR_IO, ERR_OS.
 */
enum err_kind conf_load_read(const char *path, size_t max, struct buf *b,
    struct err *e);

/*
 * System file then user file.  user_path: the -C file (required to exist
 * and to be owned by the caller or root, not writable by group or
 * others), or NULL for the XDG default (optional).  skip_system: read
 * only the user file.
 */
enum err_kind conf_load_standard(struct conf *c, const char *user_path,
    bool skip_system, struct err *e);

/*
 * The password for user at host (the account's `user` and `host`), from
 * the first source that has one:
 *
 *   1. `password`;
 *   2. the first line of the output of `passwordeval` (/bin/sh -c, stdin
 *      /dev/null; a failing command is an error);
 *   3. $HOME/.netrc (HOME, else the password database), then /etc/netrc
 *      (see conf/netrc.h; files capped at 1 MiB; an absent file, and an
 *      unreadable /etc/netrc, are skipped);
 *   4. when may_prompt, a prompt "password for USER at HOST: " on
 *      /dev/tty (readpassphrase(3), no echo); no terminal: skipped.  An
 *      empty answer is a password.
 *
 * Sources 3 and 4 need host and user (NULL or "": skipped).  ~/.netrc
 * that supplies the password but is readable by group or others is an
 * error, as in ftp(1).  ERR_OK with *pw unset when no source has one.
 * pw must be initialised (secret_init); *pw is wiped by secret_free().
 *
 * Errors: ERR_CONFIG (passwordeval failed, netrc syntax, permissions,
 * size), ERR_NOPERM (~/.netrc unreadable), ERR_IO (the prompt failed),
 * ERR_OS.
 */
enum err_kind conf_load_password(const struct conf_account *a,
    const char *host, const char *user, bool may_prompt, struct secret *pw,
    struct err *e);

/* As conf_load_password(), with sys_netrc in place of /etc/netrc (tests). */
enum err_kind conf_load_password_with(const struct conf_account *a,
    const char *host, const char *user, bool may_prompt,
    const char *sys_netrc, struct secret *pw, struct err *e);

#endif
