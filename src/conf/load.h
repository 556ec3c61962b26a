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
 * writable by others.
 *
 * Errors: ERR_CONFIG (with "FILE:LINE: why"), ERR_OS, ERR_NOPERM.
 */
#ifndef POSTIE_CONF_LOAD_H
#define POSTIE_CONF_LOAD_H

#include <stdbool.h>

#include "conf/parse.h"
#include "util/err.h"
#include "util/secret.h"

/* Parse one file into c.  required: a missing file is an error. */
enum err_kind conf_load_file(struct conf *c, const char *path, bool required,
    struct err *e);

/*
 * System file then user file.  user_path: the -C file (required to exist
 * and to be owned by the caller or root, not writable by others), or NULL
 * for the XDG default (optional).  skip_system: read only the user file.
 */
enum err_kind conf_load_standard(struct conf *c, const char *user_path,
    bool skip_system, struct err *e);

/*
 * The password for account a: `password`, else the first line of the
 * output of `passwordeval` (run with /bin/sh -c).  ERR_OK with *pw unset
 * when the account has neither.  *pw is wiped by secret_free().
 */
enum err_kind conf_load_password(const struct conf_account *a,
    struct secret *pw, struct err *e);

#endif
