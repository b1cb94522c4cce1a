/* gl-team-trainer.h — the team's trainer service (issue 18), behind
 * `gleaner-cli trainer PROJECT`.
 *
 * Any number of these may run on a project, on any machines; the trainer
 * lease (db/gl-db-trainer-lease.h) lets one of them train at a time. The
 * others wait and try for the lease every third of the lease time; when the
 * holder dies its lease runs out and one of them takes over.
 *
 * The holder renews its lease every third of the lease time (also while a
 * round runs: the round iterates the main context) and runs the app's round
 * (GlTrainer, app/gl-round.h: snapshot, train, evaluate, save, score, rank;
 * on a team's server the model file goes into team_models and the labels
 * are the annotators' consensus) once enough new labels have come in: the
 * app's rule, the project's "retrain_every" (default 50) unless
 * min_labels says otherwise. New labels are counted from the lease's label
 * mark, the newest label row the last finished round trained on; on a
 * team's server it counts when the server announces labels (LISTEN, no
 * polling), on a project folder every 2 s. A round killed half way leaves
 * the previous version current and the mark where it was, so the next
 * holder trains on those labels.
 *
 * SCORING PAST ONE MACHINE. With chunk_images > 0 a training round scores
 * only its first chunk (the ranking the queue switches to) and leaves the
 * version not current; the pool is then split into chunks of chunk_images
 * images (db/gl-db-score-chunks.h) that `gleaner-cli score-worker`
 * processes and the trainer itself take and score (app/gl-score-worker.h);
 * once every chunk is done the trainer runs a ranking round, which reads
 * the chunks' predictions back, scores what they left (held-out images),
 * and makes the version current (the store's O(1) swap): never before it
 * is whole. A trainer that takes the lease finishes a version left so by
 * the one before it.
 *
 * A holder that finds its lease taken (it stalled past the lease time)
 * cancels its round and waits again. On cancellation (SIGTERM, SIGINT in
 * gleaner-cli) it cancels the round and gives the lease back.
 *
 * Threads: made, run and freed on one thread, whose thread-default main
 * context runs it; the round's engine work runs on GlTrainer's engine
 * thread. */
#pragma once

#include <gio/gio.h>

#include "app/gl-project.h"
#include "app/gl-trainer.h"

G_BEGIN_DECLS

#define GL_TEAM_TRAINER_DEFAULT_LEASE_SECONDS 30

typedef struct
{
  guint min_labels;    /* new labels that start a round; 0: the project's retrain_every (its default when 0) */
  guint lease_seconds; /* the lease time; 0: GL_TEAM_TRAINER_DEFAULT_LEASE_SECONDS */
  gboolean once;       /* one round as soon as the lease is held (whatever the new labels), then give it back */
  guint chunk_images;  /* pool images per scoring chunk for score workers; 0: the round scores the whole pool */
} GlTeamTrainerOptions;

typedef enum
{
  GL_TEAM_TRAINER_WAITING,        /* another holds the lease (message: who, until when) */
  GL_TEAM_TRAINER_TOOK,           /* this process holds the lease now (message: as whom) */
  GL_TEAM_TRAINER_ROUND_STARTED,  /* round, new_labels */
  GL_TEAM_TRAINER_ROUND_FINISHED, /* round, report */
  GL_TEAM_TRAINER_ROUND_FAILED,   /* round, message (the previous version stays current) */
  GL_TEAM_TRAINER_LOST,           /* the lease ran out and another took it (message: who) */
  GL_TEAM_TRAINER_RELEASED,       /* the lease was given back (on stopping) */
  GL_TEAM_TRAINER_CHUNKS,         /* a version's pool is split into chunks for the score workers (message) */
  GL_TEAM_TRAINER_PUBLISHED,      /* every chunk is in: the version is current (report: the ranking round's) */
} GlTeamTrainerEventKind;

/* What the service did; every pointer borrowed for the call only. */
typedef struct
{
  GlTeamTrainerEventKind kind;
  guint64 round;                 /* rounds this process started, 1-based; 0 outside a round */
  gint64 new_labels;             /* ROUND_STARTED: label rows since the last finished round */
  const GlTrainerReport *report; /* ROUND_FINISHED, else NULL */
  const char *message;           /* text for people, or NULL */
} GlTeamTrainerEvent;

typedef void (*GlTeamTrainerFunc) (const GlTeamTrainerEvent *event, gpointer user_data);

typedef struct _GlTeamTrainer GlTeamTrainer;

/* A service for @project (borrowed, outlives it) that reports to @func
 * (called on the running thread). NULL with @error when the store cannot be
 * opened or the lease table made. */
GlTeamTrainer *gl_team_trainer_new (GlProject *project, const GlTeamTrainerOptions *options, GlTeamTrainerFunc func,
                                    gpointer user_data, GError **error);
void gl_team_trainer_free (GlTeamTrainer *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlTeamTrainer, gl_team_trainer_free)

/* Runs until @cancellable is cancelled (TRUE: stopped as asked, the lease
 * given back), or with options.once after its round, or until the store
 * fails (FALSE with @error; a once round that failed too). */
gboolean gl_team_trainer_run (GlTeamTrainer *self, GCancellable *cancellable, GError **error);

G_END_DECLS
