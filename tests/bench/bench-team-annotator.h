/* bench-team-annotator.h — one simulated annotator of tests/bench/team: a
 * process of its own (its own connection, identity and per-desktop cache)
 * that labels a team project through the window's code path — GlQueue with
 * its leases, gl_queue_label (committed, then the queue moves on to its next
 * image and leases it), and GlTeamWatch for the other desktops' labels — and logs, one line per
 * event, written with write(2) at once so that a SIGKILL loses none:
 *
 *   A IMAGE CLASS_ID ISSUED_US ACKED_US   a label acknowledged (committed)
 *   S IMAGE SEEN_US                        another client's label seen live
 *   E MESSAGE                              a label failed: the client stops
 *   W START_US                             it started watching (walking the queue)
 *   Q END_US                               it stopped watching
 *
 * Times are CLOCK_REALTIME (g_get_real_time), comparable between the
 * processes of one machine. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  const char *target;  /* the project's connection string (borrowed) */
  const char *name;    /* the annotator's identity (borrowed) */
  const char *log;     /* the log file (borrowed); created or appended to */
  const char *images;  /* NULL: walk the queue; else a file of image ids, one a line, labeled in that order through
                          gl_queue_label_image (the agreement phase) */
  double eta;          /* label noise: a uniform class with probability eta, else the true (reference) class */
  guint64 seed;
  guint n_labels;      /* walking the queue: stop after this many labels */
  guint pace_ms;       /* think time between an acknowledged label and the next */
  guint linger_ms;     /* after the last label, keep watching the others' labels this long */
} BenchTeamAnnotator;

/* Runs the annotator to its end; the process's exit status: 0 done, 1 could
 * not start, 3 a label failed (logged as E). SIGTERM ends it cleanly. */
int bench_team_annotator_run (const BenchTeamAnnotator *a);

G_END_DECLS
