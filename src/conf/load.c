#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <readpassphrase.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/load.h"
#include "conf/netrc.h"
#include "util/buf.h"

#define PWEVAL_KEEP 4096		/* bytes of passwordeval output kept */
#define PWEVAL_DRAIN (1u << 20)		/* bytes read before giving up */
#define NETRC_MAX (1u << 20)		/* a netrc file's size cap */
#define NETRC_SYSTEM "/etc/netrc"
#define PROMPT_MAX 1024			/* longest password typed at a prompt */

/* ---- files ------------------------------------------------------------- */

/* Read all of fd into b (whose max is the file cap + 1, so "too big" shows). */
static enum err_kind
read_all(int fd, const char *path, struct buf *b, struct err *e)
{
	char chunk[8192];
	ssize_t n;

	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return err_set(e, ERR_IO, "%s: %s", path,
			    strerror(errno));
		if (n == 0)
			break;
		if (buf_append(b, chunk, (size_t)n) == -1) {
			explicit_bzero(chunk, sizeof(chunk));
			return err_set(e, ERR_CONFIG, "%s: larger than %zu bytes",
			    path, b->max - 1);
		}
	}
	explicit_bzero(chunk, sizeof(chunk));
	return ERR_OK;
}

/* Does c hold a password that was read from path? */
static bool
has_password_from(const struct conf *c, const char *path)
{
	const struct conf_account *a;
	size_t i;

	for (i = 0; i <= c->naccounts; i++) {
		a = i == 0 ? &c->defaults : c->accounts[i - 1];
		if (a->val[CONF_PASSWORD] != NULL &&
		    a->val[CONF_PASSWORD][0] != '\0' &&
		    a->file[CONF_PASSWORD] != NULL &&
		    strcmp(a->file[CONF_PASSWORD], path) == 0)
			return true;
	}
	return false;
}

/* The checks a -C file must pass: it decides where mail and passwords go. */
static enum err_kind
check_owner(const struct stat *st, const char *path, struct err *e)
{
	if (st->st_uid != geteuid() && st->st_uid != 0)
		return err_set(e, ERR_CONFIG, "%s: must be owned by you or "
		    "root", path);
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return err_set(e, ERR_CONFIG, "%s: is writable by group or "
		    "others (chmod go-w %s)", path, path);
	return ERR_OK;
}

static enum err_kind
open_conf(const char *path, bool required, int *fd, struct err *e)
{
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd != -1)
		return ERR_OK;
	if ((errno == ENOENT || errno == ENOTDIR) && !required)
		return ERR_OK;
	if (errno == ENOENT || errno == ENOTDIR)
		return err_set(e, ERR_CONFIG, "%s: %s", path, strerror(errno));
	if (errno == EACCES)
		return err_set(e, ERR_NOPERM, "%s: %s", path, strerror(errno));
	return err_set(e, ERR_OS, "%s: %s", path, strerror(errno));
}

enum err_kind
conf_load_read(const char *path, size_t max, struct buf *b, struct err *e)
{
	enum err_kind rc;
	int fd;

	buf_init(b, max + 1);
	if ((rc = open_conf(path, true, &fd, e)) != ERR_OK)
		return rc;
	rc = read_all(fd, path, b, e);
	(void)close(fd);
	return rc;
}

static enum err_kind
load(struct conf *c, const char *path, bool required, bool strict,
    struct err *e)
{
	struct buf b;
	struct stat st;
	enum err_kind rc;
	int fd;

	if ((rc = open_conf(path, required, &fd, e)) != ERR_OK || fd == -1)
		return rc;
	if (fstat(fd, &st) == -1) {
		rc = err_set(e, ERR_OS, "%s: %s", path, strerror(errno));
		close(fd);
		return rc;
	}
	if (!S_ISREG(st.st_mode))
		rc = err_set(e, ERR_CONFIG, "%s: not a regular file", path);
	else if (st.st_size > (off_t)CONF_TEXT_MAX)
		rc = err_set(e, ERR_CONFIG, "%s: larger than %u bytes", path,
		    (unsigned)CONF_TEXT_MAX);
	else if (strict)
		rc = check_owner(&st, path, e);
	buf_init(&b, (size_t)CONF_TEXT_MAX + 1);
	if (rc == ERR_OK)
		rc = read_all(fd, path, &b, e);
	close(fd);
	if (rc == ERR_OK)
		rc = conf_parse_text(c, b.data != NULL ? b.data : "", b.len,
		    path, e);
	buf_wipe_free(&b);
	if (rc == ERR_OK && (st.st_mode & (S_IRGRP | S_IROTH)) &&
	    has_password_from(c, path))
		rc = err_set(e, ERR_CONFIG, "%s: contains a password but is "
		    "readable by others (chmod 600 %s)", path, path);
	return rc;
}

enum err_kind
conf_load_file(struct conf *c, const char *path, bool required,
    struct err *e)
{
	return load(c, path, required, false, e);
}

/* $HOME, else the password database's; NULL if none.  Borrowed. */
static const char *
home_dir(void)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (home != NULL && home[0] != '\0')
		return home;
	pw = getpwuid(getuid());
	if (pw == NULL || pw->pw_dir == NULL || pw->pw_dir[0] == '\0')
		return NULL;
	return pw->pw_dir;
}

/* $XDG_CONFIG_HOME/postie/config or ~/.config/postie/config; "" if none. */
static enum err_kind
user_default(char *out, size_t size, struct err *e)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home;
	int n;

	out[0] = '\0';
	/* The XDG spec says a relative path is invalid and to be ignored. */
	if (xdg != NULL && xdg[0] == '/')
		n = snprintf(out, size, "%s/postie/config", xdg);
	else {
		if ((home = home_dir()) == NULL)
			return ERR_OK;
		n = snprintf(out, size, "%s/.config/postie/config", home);
	}
	if (n < 0 || (size_t)n >= size)
		return err_set(e, ERR_CONFIG, "configuration path too long");
	return ERR_OK;
}

enum err_kind
conf_load_standard(struct conf *c, const char *user_path, bool skip_system,
    struct err *e)
{
	char path[PATH_MAX];
	enum err_kind rc;

	if (!skip_system &&
	    (rc = load(c, POSTIE_SYSTEM_CONF, false, false, e)) != ERR_OK)
		return rc;
	if (user_path != NULL)
		return load(c, user_path, true, true, e);
	if ((rc = user_default(path, sizeof(path), e)) != ERR_OK ||
	    path[0] == '\0')
		return rc;
	return load(c, path, false, false, e);
}

/* ---- passwordeval ------------------------------------------------------ */

static void
child(const char *cmd, int wr)
{
	int null;

	/* stdin may be the message being sent: the command must not eat it. */
	if ((null = open("/dev/null", O_RDONLY)) != -1 && null != 0) {
		dup2(null, 0);
		close(null);
	}
	if (wr == 1) {
		/* dup2() would clear close-on-exec; here it must be done. */
		if (fcntl(1, F_SETFD, 0) == -1)
			_exit(127);
	} else {
		if (dup2(wr, 1) == -1)
			_exit(127);
		close(wr);
	}
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

/*
 * Read the child's output, keeping the first PWEVAL_KEEP bytes in out.
 * Reading on (and dropping) the rest lets the child finish writing; a
 * runaway child is cut off after PWEVAL_DRAIN bytes.
 */
static size_t
read_output(int fd, char *out, size_t size)
{
	char junk[4096];
	size_t len = 0, total = 0;
	ssize_t n;

	while (total < PWEVAL_DRAIN) {
		if (len < size)
			n = read(fd, out + len, size - len);
		else
			n = read(fd, junk, sizeof(junk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (len < size)
			len += (size_t)n;
		total += (size_t)n;
	}
	explicit_bzero(junk, sizeof(junk));
	return len;
}

static enum err_kind
wait_child(pid_t pid, struct err *e)
{
	int status;

	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return err_set(e, ERR_OS, "passwordeval: waitpid: %s",
			    strerror(errno));
	if (WIFSIGNALED(status))
		return err_set(e, ERR_CONFIG, "passwordeval: command failed "
		    "(signal %d)", WTERMSIG(status));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return err_set(e, ERR_CONFIG, "passwordeval: command failed "
		    "(exit %d)", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return ERR_OK;
}

/* The first line of out[0..len), without its CR/LF, into pw. */
static enum err_kind
first_line(const char *out, size_t len, struct secret *pw, struct err *e)
{
	const char *nl = memchr(out, '\n', len);

	if (nl != NULL)
		len = (size_t)(nl - out);
	if (len > 0 && out[len - 1] == '\r')
		len--;
	if (len == 0)
		return err_set(e, ERR_CONFIG, "passwordeval: command failed "
		    "(exit 0, no output)");
	if (secret_set(pw, out, len) == -1)
		return err_set(e, ERR_OS, "passwordeval: out of memory");
	return ERR_OK;
}

static enum err_kind
run_eval(const char *cmd, struct secret *pw, struct err *e)
{
	char out[PWEVAL_KEEP];
	enum err_kind rc;
	int fds[2];
	size_t len;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) == -1)
		return err_set(e, ERR_OS, "passwordeval: pipe: %s",
		    strerror(errno));
	if ((pid = fork()) == -1) {
		rc = err_set(e, ERR_OS, "passwordeval: fork: %s",
		    strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return rc;
	}
	if (pid == 0)
		child(cmd, fds[1]);
	close(fds[1]);
	len = read_output(fds[0], out, sizeof(out));
	close(fds[0]);
	rc = wait_child(pid, e);
	if (rc == ERR_OK)
		rc = first_line(out, len, pw, e);
	explicit_bzero(out, sizeof(out));
	return rc;
}

/* ---- netrc and prompt -------------------------------------------------- */

/* Open a netrc file; *fd -1 when it is absent (or, !mine, unreadable). */
static enum err_kind
open_netrc(const char *path, bool mine, int *fd, struct err *e)
{
	/* O_NONBLOCK: a FIFO must not hang us before the S_ISREG check. */
	*fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (*fd != -1)
		return ERR_OK;
	/* /etc/netrc is often root's alone: then it is not for us. */
	if (errno == ENOENT || errno == ENOTDIR || (errno == EACCES && !mine))
		return ERR_OK;
	if (errno == EACCES)
		return err_set(e, ERR_NOPERM, "%s: %s", path, strerror(errno));
	return err_set(e, ERR_OS, "%s: %s", path, strerror(errno));
}

/*
 * Look host and user up in the netrc file at path; *pw set (and *found)
 * on a match.  mine: the user's own file, whose password is refused when
 * group or others may read the file, as ftp(1) does.
 */
static enum err_kind
netrc_file(const char *path, bool mine, const char *host, const char *user,
    struct secret *pw, bool *found, struct err *e)
{
	struct secret got;
	struct buf b;
	struct stat st;
	enum err_kind rc = ERR_OK;
	int fd;

	*found = false;
	if ((rc = open_netrc(path, mine, &fd, e)) != ERR_OK || fd == -1)
		return rc;
	if (fstat(fd, &st) == -1)
		rc = err_set(e, ERR_OS, "%s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		rc = err_set(e, ERR_CONFIG, "%s: not a regular file", path);
	else if (st.st_size > (off_t)NETRC_MAX)
		rc = err_set(e, ERR_CONFIG, "%s: larger than %u bytes", path,
		    (unsigned)NETRC_MAX);
	buf_init(&b, (size_t)NETRC_MAX + 1);
	secret_init(&got);
	if (rc == ERR_OK)
		rc = read_all(fd, path, &b, e);
	close(fd);
	if (rc == ERR_OK)
		rc = conf_netrc_lookup(buf_str(&b), b.len, path, host, user,
		    &got, e);
	buf_wipe_free(&b);
	if (rc == ERR_OK && secret_is_set(&got) && mine &&
	    (st.st_mode & (S_IRGRP | S_IROTH)))
		rc = err_set(e, ERR_CONFIG, "%s: contains passwords but is "
		    "readable by others (chmod 600 %s)", path, path);
	if (rc == ERR_OK && secret_is_set(&got)) {
		secret_free(pw);
		*pw = got;
		*found = true;
	} else
		secret_free(&got);
	return rc;
}

/* ~/.netrc, then sys_netrc. */
static enum err_kind
netrc_both(const char *sys_netrc, const char *host, const char *user,
    struct secret *pw, bool *found, struct err *e)
{
	char path[PATH_MAX];
	const char *home = home_dir();
	enum err_kind rc;
	int n;

	if (home != NULL) {
		n = snprintf(path, sizeof(path), "%s/.netrc", home);
		if (n < 0 || (size_t)n >= sizeof(path))
			return err_set(e, ERR_CONFIG, "~/.netrc: path too "
			    "long");
		if ((rc = netrc_file(path, true, host, user, pw, found, e)) !=
		    ERR_OK || *found)
			return rc;
	}
	return netrc_file(sys_netrc, false, host, user, pw, found, e);
}

/*
 * Ask on the terminal.  readpassphrase(3) opens /dev/tty itself and, with
 * RPP_REQUIRE_TTY, fails with ENOTTY when there is none: nothing found.
 */
static enum err_kind
prompt(const char *host, const char *user, struct secret *pw, struct err *e)
{
	char q[512], in[PROMPT_MAX + 1];
	enum err_kind rc = ERR_OK;
	size_t i;

	(void)snprintf(q, sizeof(q), "password for %s at %s: ", user, host);
	/* The prompt goes to a terminal: no control bytes from the config. */
	for (i = 0; q[i] != '\0'; i++)
		if ((unsigned char)q[i] < 0x20 || q[i] == 0x7f)
			q[i] = '?';
	if (readpassphrase(q, in, sizeof(in), RPP_REQUIRE_TTY) == NULL) {
		if (errno != ENOTTY)
			rc = err_set(e, ERR_IO, "password prompt: %s",
			    strerror(errno));
	} else if (secret_set(pw, in, strlen(in)) == -1)
		rc = err_set(e, ERR_OS, "password prompt: out of memory");
	explicit_bzero(in, sizeof(in));
	return rc;
}

enum err_kind
conf_load_password_with(const struct conf_account *a, const char *host,
    const char *user, bool may_prompt, const char *sys_netrc,
    struct secret *pw, struct err *e)
{
	const char *v;
	enum err_kind rc;
	bool found;

	if ((v = conf_parse_get(a, CONF_PASSWORD)) != NULL) {
		if (secret_set(pw, v, strlen(v)) == -1)
			return err_set(e, ERR_OS, "password: out of memory");
		return ERR_OK;
	}
	if ((v = conf_parse_get(a, CONF_PASSWORDEVAL)) != NULL)
		return run_eval(v, pw, e);
	if (host == NULL || host[0] == '\0' || user == NULL ||
	    user[0] == '\0')
		return ERR_OK;
	if ((rc = netrc_both(sys_netrc, host, user, pw, &found, e)) !=
	    ERR_OK || found)
		return rc;
	if (may_prompt)
		return prompt(host, user, pw, e);
	return ERR_OK;
}

enum err_kind
conf_load_password(const struct conf_account *a, const char *host,
    const char *user, bool may_prompt, struct secret *pw, struct err *e)
{
	return conf_load_password_with(a, host, user, may_prompt,
	    NETRC_SYSTEM, pw, e);
}
