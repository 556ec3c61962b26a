#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io/net.h"

#define NET_LISTEN_BACKLOG 64

long long
io_net_now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The front end's signal flag (io_net_set_stop); the world's state, so
 * it lives here in io/, never below. */
static volatile sig_atomic_t *stop_flag;
static bool stop_held;

int
io_net_wait(int fd, short events, long long deadline)
{
	struct pollfd pfd;
	long long left;
	int rc;

	for (;;) {
		left = -1;
		if (deadline >= 0) {
			left = deadline - io_net_now_ms();
			if (left < 0)
				left = 0;
			if (left > 0x7fffffff)
				left = 0x7fffffff;
		}
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		rc = poll(&pfd, 1, (int)left);
		if (rc > 0)
			return 1;
		if (rc == 0)
			return 0;
		if (errno != EINTR)
			return -1;
		if (stop_flag != NULL && *stop_flag && !stop_held)
			return -1;	/* errno EINTR: io_net_stopped() */
	}
}

void
io_net_set_stop(volatile sig_atomic_t *flag)
{
	stop_flag = flag;
}

bool
io_net_stopped(void)
{
	return stop_flag != NULL && *stop_flag && !stop_held;
}

enum err_kind
io_net_wait_error(struct err *e)
{
	if (io_net_stopped())
		return err_set(e, ERR_TEMP, IO_NET_STOPPED_TEXT);
	return err_set(e, ERR_OS, "poll: %s", strerror(errno));
}

void
io_net_hold_stop(bool hold)
{
	stop_held = hold;
}

long long
io_net_deadline(long long timeout_ms)
{
	return timeout_ms < 0 ? -1 : io_net_now_ms() + timeout_ms;
}

/* Non-blocking and close-on-exec, the POSIX way (no SOCK_* flags). */
static int
set_flags(int fd)
{
	int fl;

	fl = fcntl(fd, F_GETFL);
	if (fl == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return -1;
	fl = fcntl(fd, F_GETFD);
	if (fl == -1 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) == -1)
		return -1;
	return 0;
}

/* TCP_NODELAY: each pipelined group leaves at once (see net.h). */
static void
set_nodelay(int fd, int family)
{
	int on = 1;

	if (family == AF_INET || family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on,
		    sizeof(on));
}

/* A new non-blocking close-on-exec socket, or -1 with errno. */
static int
new_socket(int family, int type, int proto)
{
	int fd, saved;

#if defined(SOCK_CLOEXEC) && defined(SOCK_NONBLOCK)
	fd = socket(family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, proto);
	if (fd != -1 || errno != EINVAL)
		return fd;
#endif
	fd = socket(family, type, proto);
	if (fd == -1)
		return -1;
	if (set_flags(fd) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

void
io_net_addrstr(const struct sockaddr *sa, char *out, size_t outlen)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];
	socklen_t len;

	if (outlen == 0)
		return;
	len = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
	if ((sa->sa_family != AF_INET && sa->sa_family != AF_INET6) ||
	    getnameinfo(sa, len, host, sizeof(host), serv, sizeof(serv),
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		strlcpy(out, "?", outlen);
		return;
	}
	if (sa->sa_family == AF_INET6)
		snprintf(out, outlen, "[%s]:%s", host, serv);
	else
		snprintf(out, outlen, "%s:%s", host, serv);
}

/*
 * Try one address.  Returns the connected socket, or -1 with *why set to
 * the errno (ETIMEDOUT when the deadline passed) and *sockerr true when
 * the failure was ours (socket(), not the network).
 */
static int
connect_one(const struct addrinfo *ai, int timeout_ms, int *why,
    int *sockerr)
{
	socklen_t elen;
	int fd, rc, soerr;

	*sockerr = 0;
	fd = new_socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
	if (fd == -1) {
		*why = errno;
		*sockerr = 1;
		return -1;
	}
	set_nodelay(fd, ai->ai_family);
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS && errno != EINTR) {
		*why = errno;
		close(fd);
		return -1;
	}
	/* EINTR: the connect goes on in the background, as EINPROGRESS. */
	rc = io_net_wait(fd, POLLOUT, io_net_deadline(timeout_ms));
	if (rc <= 0) {
		*why = rc == 0 ? ETIMEDOUT : errno;
		close(fd);
		return -1;
	}
	soerr = 0;
	elen = sizeof(soerr);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &elen) == -1)
		soerr = errno;
	if (soerr != 0) {
		*why = soerr;
		close(fd);
		return -1;
	}
	return fd;
}

/* Append "connect to PEER: WHY" to msg, "; "-separated. */
static void
note_failure(char *msg, size_t msglen, const char *peer, int why,
    int timeout_ms)
{
	char one[256];

	if (why == ETIMEDOUT && timeout_ms % 1000 == 0)
		snprintf(one, sizeof(one), "connect to %s: timed out after "
		    "%d s", peer, timeout_ms / 1000);
	else if (why == ETIMEDOUT)
		snprintf(one, sizeof(one), "connect to %s: timed out after "
		    "%d ms", peer, timeout_ms);
	else
		snprintf(one, sizeof(one), "connect to %s: %s", peer,
		    strerror(why));
	if (msg[0] != '\0')
		strlcat(msg, "; ", msglen);
	strlcat(msg, one, msglen);
}

enum err_kind
io_net_connect(const struct addrinfo *addrs, int timeout_ms, int *fd,
    char *peer, size_t peerlen, struct err *e)
{
	const struct addrinfo *ai;
	char msg[ERR_MSG_MAX], addr[IO_NET_ADDRSTR_MAX];
	int s, why, sockerr, any_net = 0;

	*fd = -1;
	msg[0] = '\0';
	for (ai = addrs; ai != NULL; ai = ai->ai_next) {
		io_net_addrstr(ai->ai_addr, addr, sizeof(addr));
		s = connect_one(ai, timeout_ms, &why, &sockerr);
		if (s != -1) {
			*fd = s;
			if (peer != NULL && peerlen > 0)
				strlcpy(peer, addr, peerlen);
			return ERR_OK;
		}
		if (!sockerr)
			any_net = 1;
		note_failure(msg, sizeof(msg), addr, why, timeout_ms);
	}
	if (addrs == NULL)
		return err_set(e, ERR_SOFTWARE, "connect: no address to try");
	/* A network failure (refused, unreachable, timeout) may pass; a
	 * local one (no sockets left, no IPv6 in the kernel) may not. */
	return err_set(e, any_net ? ERR_TEMP : ERR_OS, "%s", msg);
}

static int
bind_listen(const struct addrinfo *ai)
{
	int fd, on = 1, saved;

	fd = new_socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
	if (fd == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    listen(fd, NET_LISTEN_BACKLOG) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* The port a socket is bound to, or 0. */
static unsigned
bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

enum err_kind
io_net_listen(const char *addr, const char *port, int *fd,
    unsigned *port_out, struct err *e)
{
	struct addrinfo hints, *res, *ai;
	int rc, s = -1, why = 0;

	*fd = -1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	rc = getaddrinfo(addr, port, &hints, &res);
	if (rc != 0)
		return err_set(e, ERR_OS, "listen on %s port %s: %s",
		    addr != NULL ? addr : "*", port, gai_strerror(rc));
	for (ai = res; ai != NULL && s == -1; ai = ai->ai_next) {
		s = bind_listen(ai);
		if (s == -1)
			why = errno;
	}
	freeaddrinfo(res);
	if (s == -1)
		return err_set(e, ERR_OS, "listen on %s port %s: %s",
		    addr != NULL ? addr : "*", port, strerror(why));
	*fd = s;
	if (port_out != NULL)
		*port_out = bound_port(s);
	return ERR_OK;
}

enum err_kind
io_net_accept(int lfd, int timeout_ms, int *fd, char *peer, size_t peerlen,
    struct err *e)
{
	struct sockaddr_storage ss;
	socklen_t len;
	long long deadline;
	int s, rc;

	*fd = -1;
	deadline = io_net_deadline(timeout_ms);
	for (;;) {
		rc = io_net_wait(lfd, POLLIN, deadline);
		if (rc == 0)
			return err_set(e, ERR_TEMP, "accept: timed out");
		if (rc == -1)
			return err_set(e, ERR_OS, "accept: poll: %s",
			    strerror(errno));
		len = sizeof(ss);
		s = accept(lfd, (struct sockaddr *)&ss, &len);
		if (s != -1)
			break;
		/* The client may have gone between poll and accept. */
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR || errno == ECONNABORTED)
			continue;
		return err_set(e, errno == EMFILE || errno == ENFILE ?
		    ERR_TEMP : ERR_OS, "accept: %s", strerror(errno));
	}
	/* Accepted sockets inherit O_NONBLOCK on some systems, not others. */
	if (set_flags(s) == -1) {
		rc = errno;
		close(s);
		return err_set(e, ERR_OS, "accept: fcntl: %s", strerror(rc));
	}
	set_nodelay(s, ss.ss_family);
	*fd = s;
	if (peer != NULL && peerlen > 0)
		io_net_addrstr((struct sockaddr *)&ss, peer, peerlen);
	return ERR_OK;
}
