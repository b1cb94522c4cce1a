/* bench-team-annotator.c — see bench-team-annotator.h. */
#include "gleaner-config.h"

#include "bench-team-annotator.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <string.h>
#include <unistd.h>

#include "app/gl-project.h"
#include "app/gl-queue.h"
#include "app/gl-team-watch.h"
#include "db/gl-db.h"
#include "engine/team-sim.h"

/* One process's annotator; main thread only. */
typedef struct
{
  const BenchTeamAnnotator *opt; /* borrowed */
  GlProject *project;            /* owned */
  GlQueue *queue;                /* owned */
  GlTeamWatch *watch;            /* owned; NULL in the agreement phase */
  GMainLoop *loop;               /* owned */
  int log_fd;
  GlRng rng;
  GArray *class_ids;             /* (gint64) the store's class id of each queue class index */
  GHashTable *mine;              /* image ids labeled here (gint64 *, owned keys) */
  guint done;
  gint64 issued_us;              /* the label under way: when it was given */
  gint64 image_id;
  gint klass;                    /* its queue class index */
  int status;                    /* the exit status */
  gboolean stopping;             /* no further label is given */
} Annotator;

static void
log_line (Annotator *a, const char *line)
{
  gsize len = strlen (line);
  for (gsize off = 0; off < len;)
    {
      ssize_t n = write (a->log_fd, line + off, len - off);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          g_printerr ("bench-team: cannot write %s: %s\n", a->opt->log, g_strerror (errno));
          _exit (4);
        }
      off += (gsize) n;
    }
}

static void
log_error (Annotator *a, const char *what, const GError *error)
{
  g_autofree char *msg = g_strdup_printf ("%s: %s", what, error ? error->message : "unknown");
  g_strdelimit (msg, "\n", ' ');
  g_autofree char *line = g_strdup_printf ("E %s\n", msg);
  log_line (a, line);
}

static void
finish (Annotator *a, int status)
{
  a->status = status;
  a->stopping = TRUE;
  if (a->opt->linger_ms > 0 && status == 0)
    g_timeout_add_once (a->opt->linger_ms, (GSourceOnceFunc) g_main_loop_quit, a->loop);
  else
    g_main_loop_quit (a->loop);
}

/* The class this annotator gives @image_id: its reference (true) class, or
 * with probability eta a uniform one. -1 with @error. */
static gint
answer (Annotator *a, gint64 image_id, GError **error)
{
  GlDbLabel l = { 0 };
  if (!gl_db_get_current_label (gl_project_get_db (a->project), image_id, TRUE, &l, error))
    return -1;
  gint64 truth = l.class_id;
  gl_db_label_clear (&l);
  for (guint c = 0; c < a->class_ids->len; c++)
    if (g_array_index (a->class_ids, gint64, c) == truth)
      return team_sim_label (&a->rng, (gint) c, a->opt->eta, a->class_ids->len);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "image %" G_GINT64_FORMAT " has no reference label",
               image_id);
  return -1;
}

static void
label_next (gpointer data)
{
  Annotator *a = data;
  if (a->stopping)
    return;
  const GlQueueItem *item = gl_queue_get_current (a->queue);
  if (item == NULL)
    {
      finish (a, 0);
      return;
    }
  g_autoptr (GError) error = NULL;
  a->image_id = item->image_id;
  a->klass = answer (a, item->image_id, &error);
  if (a->klass < 0)
    {
      log_error (a, "reference label", error);
      finish (a, 3);
      return;
    }
  g_hash_table_add (a->mine, g_memdup2 (&a->image_id, sizeof a->image_id));
  /* Committed on this thread: gl_queue_label_async would commit on the
   * queue's writer thread, whose connection is opened from the store's
   * redacted name (gl-queue.c, gl_writer_new (gl_db_get_path ())), which
   * cannot reach a server on a socket folder or with a password. */
  a->issued_us = g_get_real_time ();
  if (!gl_queue_label (a->queue, a->klass, GL_LABEL_ORIGIN_HUMAN, &error))
    {
      log_error (a, "label", error);
      finish (a, 3);
      return;
    }
  gint64 acked = g_get_real_time ();
  g_autofree char *line = g_strdup_printf ("A %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT
                                           " %" G_GINT64_FORMAT "\n", a->image_id,
                                           g_array_index (a->class_ids, gint64, a->klass), a->issued_us, acked);
  log_line (a, line);
  a->done++;
  if (a->done >= a->opt->n_labels)
    finish (a, 0);
  else
    g_timeout_add_once (a->opt->pace_ms, label_next, a);
}

static void
on_labels_changed (GlTeamWatch *watch, GArray *ids, gpointer data)
{
  Annotator *a = data;
  gint64 now = g_get_real_time ();
  GString *lines = g_string_new (NULL);
  for (guint i = 0; i < ids->len; i++)
    {
      gint64 id = g_array_index (ids, gint64, i);
      if (!g_hash_table_contains (a->mine, &id))
        g_string_append_printf (lines, "S %" G_GINT64_FORMAT " %" G_GINT64_FORMAT "\n", id, now);
    }
  log_line (a, lines->str);
  g_string_free (lines, TRUE);
}

static void
on_model_changed (GlTeamWatch *watch, gint64 model_id, gpointer data)
{
  Annotator *a = data;
  g_autoptr (GError) error = NULL;
  /* As the window does: the queue takes the trainer's new ranking. */
  if (!gl_queue_reload (a->queue, &error))
    log_error (a, "reload the queue", error);
}

static void
on_lost (GlTeamWatch *watch, const char *message, gpointer data)
{
  Annotator *a = data;
  g_autoptr (GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE, message);
  log_error (a, "live updates", error);
}

static gboolean
on_term (gpointer data)
{
  Annotator *a = data;
  a->status = 0;
  a->stopping = TRUE;
  g_main_loop_quit (a->loop);
  return G_SOURCE_CONTINUE; /* removed by bench_team_annotator_run */
}

/* The agreement phase: the listed images, in order, each committed before the next. */
static int
label_list (Annotator *a)
{
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  if (!g_file_get_contents (a->opt->images, &text, NULL, &error))
    {
      log_error (a, "image list", error);
      return 1;
    }
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (lines[i][0] == '\0')
        continue;
      gint64 id = g_ascii_strtoll (lines[i], NULL, 10);
      gint klass = answer (a, id, &error);
      if (klass < 0)
        {
          log_error (a, "reference label", error);
          return 3;
        }
      gint64 issued = g_get_real_time ();
      if (!gl_queue_label_image (a->queue, id, klass, GL_LABEL_ORIGIN_HUMAN, &error))
        {
          log_error (a, "label", error);
          return 3;
        }
      g_autofree char *line = g_strdup_printf ("A %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT
                                               " %" G_GINT64_FORMAT "\n", id,
                                               g_array_index (a->class_ids, gint64, klass), issued,
                                               g_get_real_time ());
      log_line (a, line);
    }
  return 0;
}

static gboolean
load_classes (Annotator *a, GError **error)
{
  g_autoptr (GArray) classes = gl_db_list_classes (gl_project_get_db (a->project), TRUE, error);
  if (classes == NULL)
    return FALSE;
  a->class_ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (guint i = 0; i < classes->len; i++)
    {
      GlDbClass *k = &g_array_index (classes, GlDbClass, i);
      g_array_append_val (a->class_ids, k->id);
      gl_db_class_clear (k);
    }
  return TRUE;
}

static void
annotator_clear (Annotator *a)
{
  if (a->watch != NULL)
    g_signal_handlers_disconnect_by_data (a->watch, a);
  g_clear_object (&a->watch);
  g_clear_object (&a->queue);
  g_clear_pointer (&a->project, gl_project_close);
  g_clear_pointer (&a->loop, g_main_loop_unref);
  g_clear_pointer (&a->class_ids, g_array_unref);
  g_clear_pointer (&a->mine, g_hash_table_unref);
  if (a->log_fd >= 0)
    close (a->log_fd);
}

int
bench_team_annotator_run (const BenchTeamAnnotator *opt)
{
  Annotator a = { .opt = opt, .log_fd = -1 };
  a.log_fd = open (opt->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (a.log_fd < 0)
    {
      g_printerr ("bench-team: cannot open %s: %s\n", opt->log, g_strerror (errno));
      return 1;
    }
  gl_rng_init (&a.rng, opt->seed);
  a.mine = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  a.loop = g_main_loop_new (NULL, FALSE);
  gl_db_set_default_annotator (opt->name);
  g_autoptr (GError) error = NULL;
  a.project = gl_project_open (opt->target, &error);
  if (a.project == NULL || !load_classes (&a, &error) || (a.queue = gl_queue_new (a.project, &error)) == NULL)
    {
      log_error (&a, "open", error);
      annotator_clear (&a);
      return 1;
    }
  if (opt->images != NULL)
    {
      a.status = label_list (&a);
      annotator_clear (&a);
      return a.status;
    }
  a.watch = gl_team_watch_new (a.project, &error);
  if (a.watch == NULL)
    {
      log_error (&a, "live updates", error);
      annotator_clear (&a);
      return 1;
    }
  g_autofree char *start = g_strdup_printf ("W %" G_GINT64_FORMAT "\n", g_get_real_time ());
  log_line (&a, start);
  g_signal_connect (a.watch, "labels-changed", G_CALLBACK (on_labels_changed), &a);
  g_signal_connect (a.watch, "model-changed", G_CALLBACK (on_model_changed), &a);
  g_signal_connect (a.watch, "lost", G_CALLBACK (on_lost), &a);
  guint term = g_unix_signal_add (SIGTERM, on_term, &a);
  g_idle_add_once (label_next, &a);
  g_main_loop_run (a.loop);
  g_source_remove (term);
  g_autofree char *end = g_strdup_printf ("Q %" G_GINT64_FORMAT "\n", g_get_real_time ());
  log_line (&a, end);
  annotator_clear (&a);
  return a.status;
}
