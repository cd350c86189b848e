/*
 * gw_workers: `--workers N`: N gateway processes sharing the HTTP port.
 *
 * For: forking the workers before any socket is opened (each worker then
 * binds its own SO_REUSEPORT listeners, so the kernel spreads
 * connections over them) and supervising them in the parent: SIGTERM
 * and SIGINT are passed on (each worker drains), SIGHUP is passed on,
 * and the parent exits when the last worker has, 0 when all exited 0.
 * Not for: anything a worker does.  Call before the event_base exists.
 */
#ifndef GW_WORKERS_H
#define GW_WORKERS_H

/*
 * n <= 1: returns -1 at once (run in this process).  Otherwise returns
 * -1 in each child (go on as a worker) and, in the parent, never
 * returns: it supervises and exits.  Returns 1 if fork failed.
 */
int	gw_workers_run(int n);

#endif /* GW_WORKERS_H */
