/*
 * gw_workers: fork and supervise gateway workers (gw_workers.h).
 */
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "betanet/log.h"
#include "gw_config.h"
#include "gw_workers.h"

static void
kill_all(const pid_t *pids, int n, int sig)
{
	int i;

	for (i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], sig);
}

static void
supervise(pid_t *pids, int n, const sigset_t *set)
{
	int alive = n, status, bad = 0, sig, i;
	pid_t pid;

	while (alive > 0) {
		if (sigwait(set, &sig) != 0)
			continue;
		if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP) {
			kill_all(pids, n, sig == SIGINT ? SIGTERM : sig);
			continue;
		}
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			for (i = 0; i < n; i++)
				if (pids[i] == pid)
					pids[i] = 0;
			alive--;
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
				bad = 1;
				bn_log_event(BN_LOG_ERROR, "worker_exit",
				    "pid=%ld status=%d", (long)pid, status);
			}
		}
	}
	exit(bad ? 1 : 0);
}

int
gw_workers_run(int n)
{
	pid_t pids[GW_MAX_WORKERS];
	sigset_t set, old;
	int i;

	if (n <= 1)
		return -1;
	if (n > GW_MAX_WORKERS)
		n = GW_MAX_WORKERS;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	memset(pids, 0, sizeof(pids));
	for (i = 0; i < n; i++) {
		if ((pids[i] = fork()) < 0) {
			bn_log_event(BN_LOG_ERROR, "fork_failed", "errno=%d",
			    errno);
			kill_all(pids, i, SIGTERM);
			return 1;
		}
		if (pids[i] == 0) {
			/* A worker never outlives its supervisor. */
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			sigprocmask(SIG_SETMASK, &old, NULL);
			return -1;
		}
	}
	bn_log_event(BN_LOG_INFO, "workers_started", "n=%d", n);
	supervise(pids, n, &set);
	return 1;
}
