/*
 * td_verify: ticket MAC checks in the loop or on worker threads
 * (td_verify.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "betanet/buf.h"
#include "betanet/crypto.h"
#include "betanet/err.h"
#include "betanet/log.h"
#include "td_verify.h"

#define TD_MAX_WORKERS	16

struct td_verify {
	struct event_base	*base;
	td_verify_done_fn	 done;
	void			*arg;
	size_t			 inflight;
	/* in-loop mode */
	struct event		*run_ev;
	struct td_vjob_q	 todo;		/* also the workers' queue */
	/* worker mode */
	int			 nworkers;
	pthread_t		 th[TD_MAX_WORKERS];
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct td_vjob_q	 finished;	/* under mu */
	int			 stop;		/* under mu */
	int			 pipefd[2];
	struct event		*wake_ev;
};

void
td_verify_run(struct td_vjob *j)
{
	struct bn_buf in;

	bn_buf_view(&in, j->payload, j->len);
	if ((j->result = bn_ticket_parse(&in, &j->t)) == BN_OK)
		j->result = bn_ticket_verify(&j->t, j->keys, j->nkeys, j->now,
		    &j->hour);
	bn_cleanse(j->keys, sizeof(j->keys));
}

static void
finish(struct td_verify *v, struct td_vjob *j)
{
	v->inflight--;
	v->done(j, v->arg);
}

/* In-loop mode: one batch, then let the loop poll before the next. */
static void
run_cb(evutil_socket_t fd, short what, void *arg)
{
	struct td_verify *v = arg;
	struct td_vjob *j;
	struct timeval zero = { 0, 0 };
	int n;

	for (n = 0; n < TD_VERIFY_BATCH &&
	    (j = TAILQ_FIRST(&v->todo)) != NULL; n++) {
		TAILQ_REMOVE(&v->todo, j, entry);
		td_verify_run(j);
		finish(v, j);
	}
	if (!TAILQ_EMPTY(&v->todo))
		event_add(v->run_ev, &zero);
}

static void *
worker_main(void *arg)
{
	struct td_verify *v = arg;
	struct td_vjob *j;
	int was_empty;
	uint8_t one = 1;

	pthread_mutex_lock(&v->mu);
	for (;;) {
		while (!v->stop && TAILQ_EMPTY(&v->todo))
			pthread_cond_wait(&v->cv, &v->mu);
		if (v->stop)
			break;
		j = TAILQ_FIRST(&v->todo);
		TAILQ_REMOVE(&v->todo, j, entry);
		pthread_mutex_unlock(&v->mu);
		td_verify_run(j);
		pthread_mutex_lock(&v->mu);
		was_empty = TAILQ_EMPTY(&v->finished);
		TAILQ_INSERT_TAIL(&v->finished, j, entry);
		/* One wake-up byte per empty->non-empty transition. */
		if (was_empty)
			while (write(v->pipefd[1], &one, 1) < 0 &&
			    errno == EINTR)
				;
	}
	pthread_mutex_unlock(&v->mu);
	return NULL;
}

static void
wake_cb(evutil_socket_t fd, short what, void *arg)
{
	struct td_verify *v = arg;
	struct td_vjob_q q;
	struct td_vjob *j;
	uint8_t buf[64];

	TAILQ_INIT(&q);
	pthread_mutex_lock(&v->mu);
	while (read(v->pipefd[0], buf, sizeof(buf)) > 0)
		;
	TAILQ_CONCAT(&q, &v->finished, entry);
	pthread_mutex_unlock(&v->mu);
	while ((j = TAILQ_FIRST(&q)) != NULL) {
		TAILQ_REMOVE(&q, j, entry);
		finish(v, j);
	}
}

void
td_verify_submit(struct td_verify *v, struct td_vjob *j)
{
	struct timeval zero = { 0, 0 };

	v->inflight++;
	if (v->nworkers == 0) {
		TAILQ_INSERT_TAIL(&v->todo, j, entry);
		if (!event_pending(v->run_ev, EV_TIMEOUT, NULL))
			event_add(v->run_ev, &zero);
		return;
	}
	pthread_mutex_lock(&v->mu);
	TAILQ_INSERT_TAIL(&v->todo, j, entry);
	pthread_cond_signal(&v->cv);
	pthread_mutex_unlock(&v->mu);
}

size_t
td_verify_inflight(const struct td_verify *v)
{
	return v->inflight;
}

struct td_verify *
td_verify_new(struct event_base *base, int nworkers, td_verify_done_fn done,
    void *arg)
{
	struct td_verify *v;
	int i;

	if (nworkers < 0 || nworkers > TD_MAX_WORKERS || done == NULL)
		return NULL;
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return NULL;
	v->base = base;
	v->done = done;
	v->arg = arg;
	v->pipefd[0] = v->pipefd[1] = -1;
	TAILQ_INIT(&v->todo);
	TAILQ_INIT(&v->finished);
	pthread_mutex_init(&v->mu, NULL);
	pthread_cond_init(&v->cv, NULL);
	if ((v->run_ev = evtimer_new(base, run_cb, v)) == NULL)
		goto fail;
	if (nworkers == 0)
		return v;
	if (pipe(v->pipefd) != 0 ||
	    fcntl(v->pipefd[0], F_SETFL, O_NONBLOCK) != 0 ||
	    fcntl(v->pipefd[1], F_SETFL, O_NONBLOCK) != 0 ||
	    fcntl(v->pipefd[0], F_SETFD, FD_CLOEXEC) != 0 ||
	    fcntl(v->pipefd[1], F_SETFD, FD_CLOEXEC) != 0 ||
	    (v->wake_ev = event_new(base, v->pipefd[0], EV_READ | EV_PERSIST,
	    wake_cb, v)) == NULL || event_add(v->wake_ev, NULL) != 0)
		goto fail;
	for (i = 0; i < nworkers; i++) {
		if (pthread_create(&v->th[i], NULL, worker_main, v) != 0)
			goto fail;
		v->nworkers++;
	}
	return v;
 fail:
	bn_log_event(BN_LOG_ERROR, "verify_init_fail", "errno=%d", errno);
	td_verify_free(v);
	return NULL;
}

void
td_verify_free(struct td_verify *v)
{
	struct td_vjob *j;
	int i;

	if (v == NULL)
		return;
	pthread_mutex_lock(&v->mu);
	v->stop = 1;
	pthread_cond_broadcast(&v->cv);
	pthread_mutex_unlock(&v->mu);
	for (i = 0; i < v->nworkers; i++)
		pthread_join(v->th[i], NULL);
	/* Dropped jobs still hold key copies. */
	TAILQ_FOREACH(j, &v->todo, entry)
		bn_cleanse(j->keys, sizeof(j->keys));
	if (v->run_ev != NULL)
		event_free(v->run_ev);
	if (v->wake_ev != NULL)
		event_free(v->wake_ev);
	if (v->pipefd[0] >= 0)
		close(v->pipefd[0]);
	if (v->pipefd[1] >= 0)
		close(v->pipefd[1]);
	pthread_mutex_destroy(&v->mu);
	pthread_cond_destroy(&v->cv);
	free(v);
}
