/* gl-cli-watch.c — gleaner-cli watch: import images as they arrive in
 * watched folders, without a window (app/gl-watch.h). */
#include "gleaner-config.h"

#include "app/gl-cli.h"
#include "app/gl-drift-report.h"
#include "app/gl-export.h"
#include "app/gl-watch.h"

#include <glib-unix.h>
#include <stdio.h>

typedef struct
{
  GMainLoop *loop;
  GlWatch *watch;
  gboolean json;
  gboolean once;     /* quit at the first idle */
  gboolean stopping; /* a signal asked to quit: import what is ready, then quit */
  GlProject *project;  /* borrowed */
  guint drift_running; /* batches whose drift is being computed */
  guint batches;
  guint64 added, unreadable, duplicates;
  guint failures;
} Run;

/* After a signal: import what is ready, then quit (files still being
 * written are left for the next run). */
static void
quit_if_stopped (Run *r)
{
  if (!r->stopping)
    return;
  gl_watch_flush (r->watch);
  if (!gl_watch_is_importing (r->watch) && r->drift_running == 0)
    g_main_loop_quit (r->loop);
}

/* A batch's drift, computed off the main loop. */
typedef struct
{
  Run *run;
  gint64 batch_id;
  gint64 last_action; /* drift_actions id before it */
} DriftJob;

static void
on_drift_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DriftJob *job = user_data;
  Run *r = job->run;
  g_autoptr (GError) error = NULL;

  if (!gl_drift_report_update_finish (result, &error))
    g_printerr ("gleaner-cli watch: drift of batch %" G_GINT64_FORMAT " not computed: %s\n", job->batch_id,
                error->message);
  else
    gl_cli_drift_print_batch (r->project, job->batch_id, job->last_action, r->json);
  fflush (stdout);
  r->drift_running--;
  g_free (job);
  if (r->drift_running == 0 && (r->once || r->stopping) && gl_watch_is_idle (r->watch))
    g_main_loop_quit (r->loop);
  else
    quit_if_stopped (r);
}

static gint64
last_action_id (GlProject *project)
{
  g_autoptr (GArray) actions = gl_db_list_drift_actions (gl_project_get_db (project), 1, NULL);
  return actions && actions->len > 0 ? g_array_index (actions, GlDbDriftAction, 0).id : 0;
}

static void
on_batch_imported_cb (GlWatch *watch, gint64 batch_id, guint64 added, guint64 unreadable, guint64 duplicates,
                      gpointer user_data)
{
  Run *r = user_data;
  r->batches++;
  r->added += added;
  r->unreadable += unreadable;
  r->duplicates += duplicates;
  if (r->json)
    printf ("{\"event\":\"batch\",\"batch\":%" G_GINT64_FORMAT ",\"added\":%" G_GUINT64_FORMAT
            ",\"unreadable\":%" G_GUINT64_FORMAT ",\"duplicates\":%" G_GUINT64_FORMAT "}\n",
            batch_id, added, unreadable, duplicates);
  else
    printf ("batch %" G_GINT64_FORMAT ": %" G_GUINT64_FORMAT " added, %" G_GUINT64_FORMAT
            " unreadable, %" G_GUINT64_FORMAT " duplicates\n",
            batch_id, added, unreadable, duplicates);
  fflush (stdout);
  if (added > 0)
    {
      DriftJob *job = g_new0 (DriftJob, 1);
      *job = (DriftJob){ r, batch_id, last_action_id (r->project) };
      r->drift_running++;
      gl_drift_report_update_async (r->project, NULL, on_drift_done_cb, job);
    }
  quit_if_stopped (r);
}

static void
on_failed_cb (GlWatch *watch, const GError *error, gpointer user_data)
{
  Run *r = user_data;
  r->failures++;
  g_printerr ("gleaner-cli watch: %s\n", error->message);
  if (r->stopping && !gl_watch_is_importing (r->watch))
    g_main_loop_quit (r->loop); /* no retry when asked to stop */
}

static void
on_idle_cb (GlWatch *watch, gpointer user_data)
{
  Run *r = user_data;
  if ((r->once || r->stopping) && r->drift_running == 0)
    g_main_loop_quit (r->loop);
}

static gboolean
on_signal_cb (gpointer user_data)
{
  Run *r = user_data;
  if (r->stopping)
    {
      g_main_loop_quit (r->loop); /* a second signal: quit now */
      return G_SOURCE_CONTINUE;
    }
  r->stopping = TRUE;
  g_printerr ("gleaner-cli watch: stopping after the files that are ready\n");
  gl_watch_set_eager (r->watch, TRUE);
  quit_if_stopped (r);
  return G_SOURCE_CONTINUE;
}

static int
list_folders (GlProject *p, gboolean json)
{
  g_auto (GStrv) folders = gl_watch_list_folders (p);
  g_autoptr (GString) out = g_string_new (json ? "{\"folders\":[" : "");
  for (guint i = 0; folders[i] != NULL; i++)
    {
      g_autofree char *disp = g_filename_display_name (folders[i]);
      if (json)
        {
          g_string_append (out, i ? "," : "");
          gl_json_append_string (out, disp);
        }
      else
        g_string_append_printf (out, "%s\n", disp);
    }
  if (json)
    g_string_append (out, "]}\n");
  fputs (out->str, stdout);
  return 0;
}

static struct
{
  gboolean once, list, remove;
  int batch_files;
  double batch_seconds;
} watch_opt;

const GOptionEntry gl_cli_watch_options[] = {
  { "once", 0, 0, G_OPTION_ARG_NONE, &watch_opt.once, "Import what arrived since the last run, then quit", NULL },
  { "list", 0, 0, G_OPTION_ARG_NONE, &watch_opt.list, "List the watched folders", NULL },
  { "remove", 0, 0, G_OPTION_ARG_NONE, &watch_opt.remove, "Stop watching the FOLDERs given", NULL },
  { "batch-files", 0, 0, G_OPTION_ARG_INT, &watch_opt.batch_files, "Files per import batch (default 100)", "N" },
  { "batch-seconds", 0, 0, G_OPTION_ARG_DOUBLE, &watch_opt.batch_seconds,
    "Import a smaller batch once its first file waited this long (default 10)", "S" },
  { NULL },
};

int
gl_cli_watch (int argc, char **argv)
{
  /* --json: one JSON object per line for each batch. */
  const gboolean json = gl_cli_json, once = watch_opt.once, list = watch_opt.list, remove = watch_opt.remove;
  const int batch_files = watch_opt.batch_files;
  const double batch_seconds = watch_opt.batch_seconds;
  if (argc < 2 || (remove && argc < 3) || batch_files < 0 || batch_seconds < 0)
    return gl_cli_usage ("watch");
  g_autoptr (GError) error = NULL;
  g_autoptr (GlProject) p = gl_project_open (argv[1], &error);
  if (p == NULL)
    return gl_cli_fail ("watch", error);
  for (int i = 2; i < argc; i++)
    {
      gboolean ok
          = remove ? gl_watch_remove_folder (p, argv[i], &error) : gl_watch_add_folder (p, argv[i], &error);
      if (!ok)
        return gl_cli_fail ("watch", error);
    }
  if (list || remove)
    return list_folders (p, json);
  g_auto (GStrv) folders = gl_watch_list_folders (p);
  if (folders[0] == NULL)
    {
      g_printerr ("gleaner-cli watch: the project watches no folder; give one: watch PROJECT FOLDER\n");
      return 2;
    }

  GlWatchOptions options = { (guint)batch_files, batch_seconds, 0, 0 };
  g_autoptr (GlWatch) watch = gl_watch_new (p, &options);
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Run r = { loop, watch, json, once, FALSE, p, 0, 0, 0, 0, 0, 0 };
  g_signal_connect (watch, "batch-imported", G_CALLBACK (on_batch_imported_cb), &r);
  g_signal_connect (watch, "failed", G_CALLBACK (on_failed_cb), &r);
  g_signal_connect (watch, "idle", G_CALLBACK (on_idle_cb), &r);
  guint sigint = g_unix_signal_add (SIGINT, on_signal_cb, &r);
  guint sigterm = g_unix_signal_add (SIGTERM, on_signal_cb, &r);
  gl_watch_set_eager (watch, once);
  if (!gl_watch_start (watch, &error))
    return gl_cli_fail ("watch", error);
  if (!json)
    {
      for (guint i = 0; folders[i] != NULL; i++)
        {
          g_autofree char *disp = g_filename_display_name (folders[i]);
          printf ("watching %s\n", disp);
        }
      fflush (stdout);
    }
  g_main_loop_run (loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  guint pending = gl_watch_get_pending (watch);
  gl_watch_stop (watch);
  if (json)
    printf ("{\"event\":\"summary\",\"batches\":%u,\"added\":%" G_GUINT64_FORMAT
            ",\"unreadable\":%" G_GUINT64_FORMAT ",\"duplicates\":%" G_GUINT64_FORMAT
            ",\"pending\":%u,\"failures\":%u}\n",
            r.batches, r.added, r.unreadable, r.duplicates, pending, r.failures);
  else
    printf ("%u batches: %" G_GUINT64_FORMAT " added, %" G_GUINT64_FORMAT " unreadable, %" G_GUINT64_FORMAT
            " duplicates; %u files not imported yet\n",
            r.batches, r.added, r.unreadable, r.duplicates, pending);
  return r.failures > 0 ? 1 : 0;
}
