#include "config.h"

/* Placeholder until the TLS work lands: every call says TLS is missing. */
#include <errno.h>

#include "io/tls.h"

enum err_kind
io_tls_client_start(int fd, const struct io_tls_conf *conf,
    struct io_tls **out, struct err *e)
{
	(void)fd;
	(void)conf;
	*out = NULL;
	return err_set(e, ERR_TEMP, "TLS is not available yet");
}

enum err_kind
io_tls_server_start(int fd, const struct io_tls_server_conf *conf,
    struct io_tls **out, struct err *e)
{
	(void)fd;
	(void)conf;
	*out = NULL;
	return err_set(e, ERR_TEMP, "TLS is not available yet");
}

ssize_t
io_tls_read(struct io_tls *t, void *p, size_t n)
{
	(void)t;
	(void)p;
	(void)n;
	errno = EIO;
	return -1;
}

ssize_t
io_tls_write(struct io_tls *t, const void *p, size_t n)
{
	(void)t;
	(void)p;
	(void)n;
	errno = EIO;
	return -1;
}

bool
io_tls_pending(struct io_tls *t)
{
	(void)t;
	return false;
}

void
io_tls_describe(struct io_tls *t, struct buf *out)
{
	(void)t;
	(void)buf_append_str(out, "no TLS");
}

const char *
io_tls_version(struct io_tls *t)
{
	(void)t;
	return "none";
}

enum err_kind
io_tls_channel_binding(struct io_tls *t, const char **type, struct buf *out,
    struct err *e)
{
	(void)t;
	(void)out;
	*type = NULL;
	return err_set(e, ERR_UNAVAILABLE, "no TLS");
}

bool
io_tls_peer_verified(struct io_tls *t, struct buf *subject)
{
	(void)t;
	(void)subject;
	return false;
}

void
io_tls_close(struct io_tls *t)
{
	(void)t;
}
