/*
 * io_net: sockets with deadlines.
 *
 * Every socket it returns is non-blocking, close-on-exec, and (TCP) has
 * TCP_NODELAY set: postie writes each pipelined group in one write and must
 * not wait for Nagle.
 *
 * Errors: ERR_TEMP (refused, unreachable, timed out: another try may
 * work), ERR_OS.
 */
#ifndef POSTIE_IO_NET_H
#define POSTIE_IO_NET_H

#include <netdb.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

#define IO_NET_ADDRSTR_MAX 64	/* "[ffff:...:ffff]:65535" fits */

/*
 * Connect to each address of addrs in turn until one answers, giving each
 * at most timeout_ms.  On success *fd is the socket and peer (when not
 * NULL) gets "192.0.2.1:25" or "[2001:db8::1]:25".  The error names every
 * address tried and why it failed.
 */
enum err_kind io_net_connect(const struct addrinfo *addrs, int timeout_ms,
    int *fd, char *peer, size_t peerlen, struct err *e);

/*
 * Listen on addr (a literal, e.g. "127.0.0.1" or "::1") and port ("0" for
 * any free port); *port_out gets the bound port.
 */
enum err_kind io_net_listen(const char *addr, const char *port, int *fd,
    unsigned *port_out, struct err *e);

/* Accept one connection on a listening socket (blocking until one comes
 * or timeout_ms passes; -1 waits for ever).  ERR_TEMP on timeout. */
enum err_kind io_net_accept(int lfd, int timeout_ms, int *fd, char *peer,
    size_t peerlen, struct err *e);

/* Milliseconds on the monotonic clock, for deadlines. */
long long io_net_now_ms(void);
/* The deadline timeout_ms from now (-1: none). */
long long io_net_deadline(long long timeout_ms);
/*
 * poll() fd for events until deadline (io_net_now_ms() time; -1: none),
 * restarting after EINTR with the time left.  1 ready, 0 deadline passed,
 * -1 with errno on error.  The one wait every io/ module uses.
 */
int io_net_wait(int fd, short events, long long deadline);

/*
 * A flag a signal handler sets (SIGTERM, SIGINT, SIGHUP): once it is set,
 * a wait interrupted by a signal returns -1 with errno EINTR instead of
 * restarting, and every io/ caller fails with ERR_TEMP "interrupted by a
 * signal".  The handler must be installed without SA_RESTART.  NULL: no
 * flag (the default).
 */
void io_net_set_stop(volatile sig_atomic_t *flag);
bool io_net_stopped(void);
/*
 * While held, the flag is not looked at: after the final dot the reply
 * is awaited whatever happens (giving up then could make an accepted
 * message look refused, and its retry a duplicate).
 */
void io_net_hold_stop(bool hold);
#define IO_NET_STOPPED_TEXT "interrupted by a signal"
/* Why io_net_wait() returned -1: ERR_TEMP when stopped, else ERR_OS. */
enum err_kind io_net_wait_error(struct err *e);

/* Format a socket address as "ip:port" / "[ip6]:port". */
void io_net_addrstr(const struct sockaddr *sa, char *out, size_t outlen);

#endif
