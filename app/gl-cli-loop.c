/* gl-cli-loop.c — gleaner-cli queue, label, undo, train, predict, stats,
 * export, simulate and rules: the active-learning loop without eyes. */
#include "gleaner-config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app/gl-cli.h"
#include "app/gl-export.h"
#include "app/gl-insights.h"
#include "app/gl-names.h"
#include "app/gl-path.h"
#include "app/gl-project.h"
#include "app/gl-queue.h"
#include "app/gl-round.h"
#include "app/gl-rules.h"
#include "app/gl-simulate.h"
#include "app/gl-trainer.h"
#include "db/gl-db.h"
#include "engine/gl-acquire.h"
#include "engine/gl-metrics.h"

/* 0 when @min_argc <= argc <= @max_argc (argv[0] is the command, argv[1]
 * the project), else the usage error of @command. */
static int
check_args (const char *command, int argc, int min_argc, int max_argc)
{
  return argc < min_argc || argc > max_argc ? gl_cli_usage (command) : 0;
}

/* Opens the project at @path; NULL after printing why. */
static GlProject *
open_project (const char *command, const char *path)
{
  g_autoptr (GError) error = NULL;
  GlProject *project = gl_project_open (path, &error);
  if (project == NULL)
    gl_cli_fail (command, error);
  return project;
}

static GlDb *
open_db (const char *command, GlProject *project)
{
  g_autoptr (GError) error = NULL;
  GlDb *db = gl_db_open (gl_project_get_db_path (project), &error);
  if (db == NULL)
    gl_cli_fail (command, error);
  return db;
}

/* The setup of the commands that read a project's store and take only
 * --json (predict, stats): opens the project and its store. Returns 0, or
 * the exit status after printing why. */
static int
open_store_command (const char *command, int argc, char **argv, GlProject **project, GlDb **db)
{
  if (check_args (command, argc, 2, 2))
    return GL_CLI_EXIT_USAGE;
  g_autoptr (GlProject) p = open_project (command, argv[1]);
  if (p == NULL)
    return GL_CLI_EXIT_ERROR;
  *db = open_db (command, p);
  if (*db == NULL)
    return GL_CLI_EXIT_ERROR;
  *project = g_steal_pointer (&p);
  return 0;
}

/* A figure for text output: three decimals, or "n/a" when undefined (NaN). */
static char *
figure (double value)
{
  return isfinite (value) ? g_strdup_printf ("%.3f", value) : g_strdup ("n/a");
}

static void
json_double_field (GString *out, const char *name, double value)
{
  g_string_append_printf (out, ",\"%s\":", name);
  gl_json_append_double (out, value);
}

static void
item_json (GString *out, const GlQueueItem *it, char **names)
{
  g_string_append_printf (out, "{\"id\":%" G_GINT64_FORMAT ",\"path\":", it->image_id);
  g_autofree char *shown = gl_path_display (it->path);
  gl_json_append_string (out, shown);
  g_string_append (out, ",\"reason\":");
  gl_json_append_string (out, it->reason_text);
  g_string_append_printf (out, ",\"audit\":%s", it->audit ? "true" : "false");
  json_double_field (out, "score", it->score);
  g_string_append (out, ",\"suggested\":");
  if (it->suggested_class >= 0)
    gl_json_append_string (out, names[it->suggested_class]);
  else
    g_string_append (out, "null");
  g_string_append (out, ",\"top\":[");
  for (guint r = 0; r < it->n_top; r++)
    {
      g_string_append (out, r ? ",{\"class\":" : "{\"class\":");
      gl_json_append_string (out, names[it->top_class[r]]);
      json_double_field (out, "probability", it->top_prob[r]);
      g_string_append_c (out, '}');
    }
  g_string_append (out, "]}");
}

static void
item_text (const GlQueueItem *it, char **names)
{
  g_autofree char *top = NULL;
  if (it->n_top > 0)
    top = g_strdup_printf ("  [%s %.2f]", names[it->top_class[0]], it->top_prob[0]);
  g_autofree char *shown = gl_path_display (it->path);
  printf ("%" G_GINT64_FORMAT "\t%s\t%s%s%s%s\n", it->image_id, shown, it->reason_text, top ? top : "",
          it->suggested_class >= 0 ? "  suggested: " : "", it->suggested_class >= 0 ? names[it->suggested_class] : "");
}

static struct
{
  int n;          /* -n N */
  char *strategy; /* --strategy S */
} queue_opt = { 10, NULL };

const GOptionEntry gl_cli_queue_options[] = {
  { "number", 'n', 0, G_OPTION_ARG_INT, &queue_opt.n, "How many items to list (default 10)", "N" },
  { "strategy", 0, 0, G_OPTION_ARG_STRING, &queue_opt.strategy,
    "Set the project's strategy first: random, least-confidence, margin, entropy, bald, k-center, default", "S" },
  { NULL },
};

int
gl_cli_queue (int argc, char **argv)
{
  int n = queue_opt.n;
  const char *strategy = queue_opt.strategy;
  gboolean json = gl_cli_json;
  if (check_args ("queue", argc, 2, 2) || n < 1)
    return gl_cli_usage ("queue");
  g_autoptr (GError) error = NULL;
  g_autoptr (GlProject) p = open_project ("queue", argv[1]);
  if (p == NULL)
    return 1;
  g_autoptr (GlQueue) queue = gl_queue_new (p, &error);
  if (queue == NULL)
    return gl_cli_fail ("queue", error);
  gboolean rank = FALSE;
  if (strategy != NULL)
    {
      if (!gl_queue_set_strategy (queue, strategy, &error))
        return gl_cli_fail ("queue", error);
      rank = TRUE;
    }
  if (rank || gl_queue_needs_ranking (queue))
    {
      g_autoptr (GlTrainer) trainer = gl_trainer_new (p, &error);
      if (trainer == NULL || !gl_trainer_run_round (trainer, FALSE, NULL, NULL, &error))
        return gl_cli_fail ("queue", error);
      g_clear_object (&queue);
      queue = gl_queue_new (p, &error);
      if (queue == NULL)
        return gl_cli_fail ("queue", error);
    }
  g_auto (GStrv) names = gl_queue_dup_class_names (queue);
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) gl_queue_item_free);
  const GlQueueItem *cur = gl_queue_get_current (queue);
  if (cur != NULL)
    {
      g_ptr_array_add (items, gl_queue_item_copy (cur));
      g_autoptr (GPtrArray) next = gl_queue_peek (queue, (guint) n - 1);
      for (guint i = 0; i < next->len; i++)
        g_ptr_array_add (items, gl_queue_item_copy (g_ptr_array_index (next, i)));
    }
  if (!gl_queue_take_error (queue, &error))
    return gl_cli_fail ("queue", error);
  g_autofree char *strat = gl_queue_dup_strategy (queue);
  if (json)
    {
      g_autoptr (GString) out = g_string_new ("{\"strategy\":");
      gl_json_append_string (out, strat);
      g_string_append_printf (out, ",\"labeled\":%" G_GUINT64_FORMAT ",\"total\":%" G_GUINT64_FORMAT ",\"items\":[",
                              gl_queue_get_n_labeled (queue), gl_queue_get_n_total (queue));
      for (guint i = 0; i < items->len; i++)
        {
          if (i)
            g_string_append_c (out, ',');
          item_json (out, g_ptr_array_index (items, i), names);
        }
      g_string_append (out, "]}");
      gl_cli_print_json (out);
    }
  else
    {
      printf ("strategy %s, %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " images labeled\n", strat,
              gl_queue_get_n_labeled (queue), gl_queue_get_n_total (queue));
      for (guint i = 0; i < items->len; i++)
        item_text (g_ptr_array_index (items, i), names);
      if (items->len == 0)
        printf ("nothing to label\n");
    }
  return 0;
}

/* An image by id, by its path as stored, or by a path relative to the
 * working directory (stored paths are absolute and canonical). */
gboolean
gl_cli_lookup_image (GlDb *db, const char *text, gint64 *image_id, GError **error)
{
  g_autoptr (GError) local = NULL;
  if (gl_db_lookup_image (db, text, image_id, &local))
    return TRUE;
  if (g_path_is_absolute (text) && g_file_test (text, G_FILE_TEST_EXISTS) == FALSE)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  g_autofree char *abs = g_canonicalize_filename (text, NULL);
  g_autofree char *stored = gl_path_encode (abs);
  if (gl_db_find_image_by_path (db, stored, image_id, NULL))
    return TRUE;
  g_autofree char *disp = g_filename_display_name (text);
  g_autofree char *shown = gl_path_display (stored);
  g_set_error (error, GL_DB_ERROR, GL_DB_ERROR_NOT_FOUND, "no image with id or path “%s” (looked for %s)", disp,
               shown);
  return FALSE;
}

/* A live class by exact name; else NOT_FOUND listing the classes and the
 * nearest name. */
gboolean
gl_cli_find_class (GlDb *db, const char *name, gint64 *class_id, GError **error)
{
  if (gl_db_find_class (db, name, class_id, NULL))
    return TRUE;
  g_autoptr (GArray) classes = gl_db_list_classes (db, FALSE, error);
  if (classes == NULL)
    return FALSE;
  g_autofree const char **names = g_new0 (const char *, classes->len + 1);
  for (guint i = 0; i < classes->len; i++)
    names[i] = g_array_index (classes, GlDbClass, i).name;
  g_autofree char *hint = gl_names_hint ("classes", name, names);
  g_set_error (error, GL_DB_ERROR, GL_DB_ERROR_NOT_FOUND, "no class named “%s” %s", name, hint);
  return FALSE;
}

const GOptionEntry gl_cli_label_options[] = { { NULL } };

int
gl_cli_label (int argc, char **argv)
{
  if (check_args ("label", argc, 4, 4))
    return GL_CLI_EXIT_USAGE;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlProject) p = open_project ("label", argv[1]);
  if (p == NULL)
    return 1;
  g_autoptr (GlDb) db = open_db ("label", p);
  if (db == NULL)
    return 1;
  gint64 image_id, class_id;
  if (!gl_cli_lookup_image (db, argv[2], &image_id, &error) || !gl_cli_find_class (db, argv[3], &class_id, &error))
    return gl_cli_fail ("label", error);
  g_autoptr (GlQueue) queue = gl_queue_new (p, &error);
  if (queue == NULL)
    return gl_cli_fail ("label", error);
  g_auto (GStrv) names = gl_queue_dup_class_names (queue);
  gint k = -1;
  for (guint i = 0; names[i]; i++)
    if (g_strcmp0 (names[i], argv[3]) == 0)
      k = (gint) i;
  if (!gl_queue_label_image (queue, image_id, k, GL_LABEL_ORIGIN_HUMAN, &error))
    return gl_cli_fail ("label", error);
  if (gl_cli_json)
    {
      g_autoptr (GString) out = g_string_new (NULL);
      g_string_append_printf (out, "{\"image\":%" G_GINT64_FORMAT ",\"class\":", image_id);
      gl_json_append_string (out, argv[3]);
      g_string_append_c (out, '}');
      gl_cli_print_json (out);
    }
  else
    printf ("image %" G_GINT64_FORMAT " labeled %s\n", image_id, argv[3]);
  return GL_CLI_EXIT_OK;
}

const GOptionEntry gl_cli_undo_options[] = { { NULL } };

int
gl_cli_undo (int argc, char **argv)
{
  if (check_args ("undo", argc, 2, 2))
    return GL_CLI_EXIT_USAGE;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlProject) p = open_project ("undo", argv[1]);
  if (p == NULL)
    return 1;
  g_autoptr (GlQueue) queue = gl_queue_new (p, &error);
  if (queue == NULL || !gl_queue_undo (queue, &error))
    return gl_cli_fail ("undo", error);
  const GlQueueItem *it = gl_queue_get_current (queue);
  g_autofree char *shown = gl_path_display (it ? it->path : "");
  if (gl_cli_json)
    {
      g_autoptr (GString) out = g_string_new (NULL);
      g_string_append_printf (out, "{\"image\":%" G_GINT64_FORMAT ",\"path\":", it ? it->image_id : -1);
      gl_json_append_string (out, shown);
      g_string_append_c (out, '}');
      gl_cli_print_json (out);
    }
  else
    printf ("undid the label of image %" G_GINT64_FORMAT " (%s)\n", it ? it->image_id : -1, shown);
  return GL_CLI_EXIT_OK;
}

static void
on_train_progress (GlTrainer *trainer, gpointer user_data)
{
  gboolean *tty = user_data;
  if (!*tty)
    return;
  double f = gl_trainer_get_fraction (trainer);
  if (f >= 0)
    fprintf (stderr, "\r%3.0f%%  epoch %u/%u", f * 100, gl_trainer_get_epoch (trainer),
             gl_trainer_get_n_epochs (trainer));
}

static struct
{
  int epochs;     /* --epochs N; 0: the trainer's rule */
  double seconds; /* --seconds S; < 0: the default budget */
  double rescore; /* --rescore-budget S; 0: the project's setting */
} train_opt = { 0, -1, 0 };

const GOptionEntry gl_cli_train_options[] = {
  { "epochs", 0, 0, G_OPTION_ARG_INT, &train_opt.epochs,
    "Train exactly N epochs (default: 10, more for few labels, within the time budget)", "N" },
  { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &train_opt.seconds, "Time budget of the training (default 20; 0 = none)",
    "S" },
  { "rescore-budget", 0, 0, G_OPTION_ARG_DOUBLE, &train_opt.rescore,
    "Seconds of rescoring the pool; the images left are skipped and the new version is not current until a later "
    "round scores them (default: the project's setting rescore_budget, none)",
    "S" },
  { NULL },
};

int
gl_cli_train (int argc, char **argv)
{
  int epochs = train_opt.epochs;
  double seconds = train_opt.seconds;
  gboolean json = gl_cli_json;
  if (check_args ("train", argc, 2, 2) || epochs < 0 || train_opt.rescore < 0)
    return gl_cli_usage ("train");
  g_autoptr (GError) error = NULL;
  g_autoptr (GlProject) p = open_project ("train", argv[1]);
  if (p == NULL)
    return 1;
  g_autoptr (GlTrainer) trainer = gl_trainer_new (p, &error);
  if (trainer == NULL)
    return gl_cli_fail ("train", error);
  if (epochs > 0)
    {
      gl_trainer_set_max_epochs (trainer, (guint) epochs);
      gl_trainer_set_min_steps (trainer, 0);
      gl_trainer_set_time_budget (trainer, 0);
    }
  if (seconds >= 0)
    gl_trainer_set_time_budget (trainer, seconds);
  gl_trainer_set_rescore_budget (trainer, train_opt.rescore);
  gboolean tty = !json && isatty (fileno (stderr));
  g_signal_connect (trainer, "progress", G_CALLBACK (on_train_progress), &tty);
  GlTrainerReport r;
  gboolean ok = gl_trainer_run_round (trainer, TRUE, &r, NULL, &error);
  if (tty)
    fprintf (stderr, "\r\033[K");
  if (!ok)
    return gl_cli_fail ("train", error);
  if (json)
    {
      g_autoptr (GString) out = g_string_new (NULL);
      g_string_append_printf (out, "{\"model_version\":%" G_GINT64_FORMAT ",\"train_labels\":%" G_GUINT64_FORMAT
                              ",\"validation_labels\":%" G_GUINT64_FORMAT ",\"audit_labels\":%" G_GUINT64_FORMAT
                              ",\"epochs\":%u",
                              r.model_version, r.n_train, r.n_validation, r.n_audit, r.epochs);
      json_double_field (out, "train_seconds", r.train_seconds);
      json_double_field (out, "score_seconds", r.score_seconds);
      json_double_field (out, "accuracy", r.accuracy);
      json_double_field (out, "macro_f1", r.macro_f1);
      json_double_field (out, "audit_accuracy", r.audit_accuracy);
      g_string_append_printf (out, ",\"scored\":%" G_GUINT64_FORMAT ",\"resumed\":%" G_GUINT64_FORMAT
                              ",\"skipped\":%" G_GUINT64_FORMAT, r.n_scored, r.n_resumed, r.n_skipped);
      json_double_field (out, "rescore_budget", r.rescore_budget);
      g_string_append_c (out, '}');
      gl_cli_print_json (out);
    }
  else
    {
      printf ("model version %" G_GINT64_FORMAT ": %" G_GUINT64_FORMAT " labels (%" G_GUINT64_FORMAT
              " training, %" G_GUINT64_FORMAT " validation, %" G_GUINT64_FORMAT " audit), %u epochs in %.1f s; ",
              r.model_version, r.n_train + r.n_validation + r.n_audit, r.n_train, r.n_validation, r.n_audit, r.epochs,
              r.train_seconds);
      if (r.n_validation > 0 && isfinite (r.accuracy))
        printf ("validation accuracy %.3f, macro-F1 %.3f", r.accuracy, r.macro_f1);
      else
        printf ("no validation labels yet, so no validation accuracy");
      if (r.n_audit > 0 && isfinite (r.audit_accuracy))
        printf ("; audit accuracy %.3f", r.audit_accuracy);
      printf ("; %" G_GUINT64_FORMAT " images rescored in %.1f s", r.n_scored, r.score_seconds);
      if (r.n_resumed > 0)
        printf (" (%" G_GUINT64_FORMAT " of them by a rescore stopped before)", r.n_resumed);
      if (r.n_skipped > 0)
        printf ("; %" G_GUINT64_FORMAT " pool images skipped by the rescore budget of %.0f s: version %" G_GINT64_FORMAT
                " is not current until a later round scores them",
                r.n_skipped, r.rescore_budget, r.model_version);
      printf ("\n");
    }
  return 0;
}

const GOptionEntry gl_cli_predict_options[] = { { NULL } };

int
gl_cli_predict (int argc, char **argv)
{
  gboolean json = gl_cli_json;
  g_autoptr (GlProject) p = NULL;
  g_autoptr (GlDb) db = NULL;
  int status = open_store_command ("predict", argc, argv, &p, &db);
  if (status != 0)
    return status;
  g_autoptr (GError) error = NULL;
  gint64 model = gl_db_get_current_model (db);
  if (model < 0)
    {
      g_printerr ("gleaner-cli predict: the project has no trained model yet (run gleaner-cli train)\n");
      return 1;
    }
  g_autoptr (GArray) classes = gl_db_list_classes (db, TRUE, &error);
  if (classes == NULL)
    return gl_cli_fail ("predict", error);
  g_autoptr (GHashTable) names = g_hash_table_new (g_int64_hash, g_int64_equal);
  for (guint k = 0; k < classes->len; k++)
    g_hash_table_insert (names, &g_array_index (classes, GlDbClass, k).id, g_array_index (classes, GlDbClass, k).name);
  g_autoptr (GString) out = g_string_new (NULL);
  if (json)
    g_string_append_printf (out, "{\"model_version\":%" G_GINT64_FORMAT ",\"predictions\":[", model);
  GlDbFilter filter = { GL_DB_FILTER_ALL, -1 };
  GlDbCursor *cursor = NULL;
  guint64 n = 0;
  for (;;)
    {
      GArray *page = NULL;
      GlDbCursor *next = NULL;
      if (!gl_db_list_images (db, &filter, GL_DB_SORT_NAME, cursor, 5000, &page, &next, &error))
        {
          gl_db_cursor_free (cursor);
          return gl_cli_fail ("predict", error);
        }
      gl_db_cursor_free (cursor);
      cursor = next;
      for (guint i = 0; i < page->len; i++)
        {
          const GlDbListRow *row = &g_array_index (page, GlDbListRow, i);
          const char *name = g_hash_table_lookup (names, &row->predicted_class);
          if (name == NULL)
            continue;
          const char *label = g_hash_table_lookup (names, &row->class_id);
          g_autofree char *shown = gl_path_display (row->path);
          if (json)
            {
              g_string_append_printf (out, "%s{\"id\":%" G_GINT64_FORMAT ",\"path\":", n ? "," : "", row->image_id);
              gl_json_append_string (out, shown);
              g_string_append (out, ",\"class\":");
              gl_json_append_string (out, name);
              json_double_field (out, "probability", row->confidence);
              g_string_append (out, ",\"label\":");
              if (label)
                gl_json_append_string (out, label);
              else
                g_string_append (out, "null");
              g_string_append_c (out, '}');
            }
          else
            g_string_append_printf (out, "%" G_GINT64_FORMAT "\t%s\t%s\t%.3f\n", row->image_id, shown, name,
                                    row->confidence);
          n++;
        }
      g_array_unref (page);
      if (json || out->len > 1 << 20)
        {
          if (!json)
            {
              fwrite (out->str, 1, out->len, stdout);
              g_string_truncate (out, 0);
            }
        }
      if (next == NULL)
        break;
    }
  if (json)
    {
      g_string_append (out, "]}");
      gl_cli_print_json (out);
    }
  else
    fwrite (out->str, 1, out->len, stdout);
  return 0;
}

typedef struct
{
  GlDb *db;
  GHashTable *index_of_class;
  gint64 model;
  GArray *labels, *predicted;
} TestEval;

static gboolean
collect_test (const GlDbCurrentLabel *label, gpointer user_data)
{
  TestEval *t = user_data;
  if (!label->held_out_test)
    return TRUE;
  GlDbPrediction p = { 0 };
  if (!gl_db_get_prediction (t->db, t->model, label->image_id, &p, NULL))
    return TRUE;
  gint truth = GPOINTER_TO_INT (g_hash_table_lookup (t->index_of_class, &label->class_id)) - 1;
  gint pred = GPOINTER_TO_INT (g_hash_table_lookup (t->index_of_class, &p.top_class)) - 1;
  gl_db_prediction_clear (&p);
  if (truth >= 0 && pred >= 0)
    {
      g_array_append_val (t->labels, truth);
      g_array_append_val (t->predicted, pred);
    }
  return TRUE;
}

/* The validation confusion matrix of the current model, rows the true class
 * and columns the predicted one, in the order of @metrics (which is the
 * matrix's); nothing when the store has none in a known order. */
static void
append_confusion (GString *out, gboolean json, GArray *metrics, GArray *classes, GHashTable *index_of_class,
                  GBytes *confusion)
{
  guint n = metrics ? metrics->len : 0;
  gsize size = 0;
  const guint32 *cells = confusion ? g_bytes_get_data (confusion, &size) : NULL;
  if (n == 0 || cells == NULL || size != sizeof (guint32) * n * n)
    return;
  if (json)
    g_string_append (out, ",\"confusion\":[");
  else
    g_string_append_printf (out, "confusion matrix on the validation labels (rows: true class, columns: predicted"
                                 " class, in the order above):\n");
  for (guint i = 0; i < n; i++)
    {
      const GlDbClassMetrics *m = &g_array_index (metrics, GlDbClassMetrics, i);
      gint k = GPOINTER_TO_INT (g_hash_table_lookup (index_of_class, &m->class_id)) - 1;
      if (json)
        g_string_append (out, i ? ",[" : "[");
      else
        g_string_append_printf (out, "%-24s", k >= 0 ? g_array_index (classes, GlDbClass, k).name : "?");
      for (guint j = 0; j < n; j++)
        if (!json)
          g_string_append_printf (out, " %6u", cells[i * n + j]);
        else
          g_string_append_printf (out, j ? ",%u" : "%u", cells[i * n + j]);
      g_string_append (out, json ? "]" : "\n");
    }
  if (json)
    g_string_append_c (out, ']');
}

/* ,"classes":[{"class", "precision", "recall", "f1", "support"}…] of @metrics (may be NULL). */
static void
append_class_metrics_json (GString *out, GArray *metrics, GArray *classes, GHashTable *index_of_class)
{
  g_string_append (out, ",\"classes\":[");
  for (guint i = 0; metrics && i < metrics->len; i++)
    {
      const GlDbClassMetrics *m = &g_array_index (metrics, GlDbClassMetrics, i);
      gint k = GPOINTER_TO_INT (g_hash_table_lookup (index_of_class, &m->class_id)) - 1;
      g_string_append (out, i ? ",{\"class\":" : "{\"class\":");
      gl_json_append_string (out, k >= 0 ? g_array_index (classes, GlDbClass, k).name : "");
      json_double_field (out, "precision", m->precision);
      json_double_field (out, "recall", m->recall);
      json_double_field (out, "f1", m->f1);
      g_string_append_printf (out, ",\"support\":%" G_GUINT64_FORMAT "}", m->support);
    }
  g_string_append (out, "]");
}

const GOptionEntry gl_cli_stats_options[] = { { NULL } };

int
gl_cli_stats (int argc, char **argv)
{
  gboolean json = gl_cli_json;
  g_autoptr (GlProject) p = NULL;
  g_autoptr (GlDb) db = NULL;
  int status = open_store_command ("stats", argc, argv, &p, &db);
  if (status != 0)
    return status;
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) classes = gl_db_list_classes (db, TRUE, &error);
  g_autoptr (GArray) versions = classes ? gl_db_list_model_versions (db, &error) : NULL;
  if (versions == NULL)
    return gl_cli_fail ("stats", error);
  gint64 model = gl_db_get_current_model (db);
  g_autoptr (GString) out = g_string_new (NULL);
  if (json)
    g_string_append_printf (out, "{\"model_version\":%" G_GINT64_FORMAT, MAX (model, 0));
  GlDbModelVersion cur = { 0 };
  gboolean have = model >= 0 && gl_db_get_model_version (db, model, &cur, NULL);
  g_autoptr (GBytes) confusion = NULL;
  g_autoptr (GArray) metrics = have ? gl_db_get_class_metrics (db, model, &confusion, NULL) : NULL;
  g_autoptr (GHashTable) index_of_class = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  for (guint k = 0; k < classes->len; k++)
    {
      gint64 id = g_array_index (classes, GlDbClass, k).id;
      g_hash_table_insert (index_of_class, g_memdup2 (&id, sizeof id), GUINT_TO_POINTER (k + 1));
    }
  /* Accuracy on held-out reference labels (the demo's test set), from the predictions. */
  TestEval t = { db, index_of_class, model, g_array_new (FALSE, FALSE, sizeof (gint)),
                 g_array_new (FALSE, FALSE, sizeof (gint)) };
  if (have && !gl_db_foreach_current_label (db, TRUE, collect_test, &t, &error))
    {
      g_array_unref (t.labels);
      g_array_unref (t.predicted);
      gl_db_model_version_clear (&cur);
      return gl_cli_fail ("stats", error);
    }
  g_autoptr (GlMetrics) test = t.labels->len > 0
                                 ? gl_metrics_compute_from_predictions ((gint *) t.labels->data,
                                                                        (gint *) t.predicted->data, t.labels->len,
                                                                        classes->len, NULL)
                                 : NULL;
  g_array_unref (t.labels);
  g_array_unref (t.predicted);
  if (!have)
    {
      if (json)
        g_string_append (out, ",\"classes\":[]");
      else
        g_string_append (out, "no trained model yet (run gleaner-cli train)\n");
    }
  else if (json)
    {
      g_string_append_printf (out, ",\"labels\":%" G_GUINT64_FORMAT, cur.n_labels);
      json_double_field (out, "accuracy", cur.val_accuracy);
      json_double_field (out, "macro_f1", cur.macro_f1);
      json_double_field (out, "ece", cur.ece);
      json_double_field (out, "test_accuracy", test ? test->accuracy : NAN);
      json_double_field (out, "test_macro_f1", test ? test->macro_f1 : NAN);
      append_class_metrics_json (out, metrics, classes, index_of_class);
      append_confusion (out, TRUE, metrics, classes, index_of_class, confusion);
    }
  else
    {
      g_autofree char *acc = figure (cur.val_accuracy), *f1 = figure (cur.macro_f1), *ece = figure (cur.ece);
      g_string_append_printf (out, "model version %" G_GINT64_FORMAT ", trained on %" G_GUINT64_FORMAT
                              " labels (training, validation and audit): validation accuracy %s, macro-F1 %s, "
                              "ECE %s\n", model, cur.n_labels, acc, f1, ece);
      if (test)
        g_string_append_printf (out, "held-out test (%" G_GUINT64_FORMAT " reference labels): accuracy %.3f, "
                                "macro-F1 %.3f\n", test->n_samples, test->accuracy, test->macro_f1);
      g_string_append_printf (out, "%-24s %9s %9s %9s %8s\n", "class", "precision", "recall", "F1", "support");
      for (guint i = 0; metrics && i < metrics->len; i++)
        {
          const GlDbClassMetrics *m = &g_array_index (metrics, GlDbClassMetrics, i);
          gint k = GPOINTER_TO_INT (g_hash_table_lookup (index_of_class, &m->class_id)) - 1;
          g_string_append_printf (out, "%-24s", k >= 0 ? g_array_index (classes, GlDbClass, k).name : "?");
          /* Undefined (no validation label of the class, or none predicted as it). */
          double v[3] = { m->precision, m->recall, m->f1 };
          for (guint j = 0; j < 3; j++)
            if (isnan (v[j]))
              g_string_append_printf (out, " %9s", "n/a");
            else
              g_string_append_printf (out, " %9.3f", v[j]);
          g_string_append_printf (out, " %8" G_GUINT64_FORMAT "\n", m->support);
        }
      append_confusion (out, FALSE, metrics, classes, index_of_class, confusion);
    }
  gl_db_model_version_clear (&cur);
  /* The learning curve: every version. */
  if (json)
    g_string_append (out, ",\"learning_curve\":[");
  else if (versions->len > 0)
    g_string_append (out, "learning curve (version, labels, validation accuracy, macro-F1, audit accuracy [95%"
                          " Wilson interval] on n audit labels):\n");
  for (guint i = 0; i < versions->len; i++)
    {
      const GlDbModelVersion *v = &g_array_index (versions, GlDbModelVersion, i);
      GlProportion audit;
      if (!gl_insights_audit (db, v->id, &audit, &error))
        return gl_cli_fail ("stats", error);
      if (json)
        {
          g_string_append_printf (out, "%s{\"version\":%" G_GINT64_FORMAT ",\"labels\":%" G_GUINT64_FORMAT,
                                  i ? "," : "", v->id, v->n_labels);
          json_double_field (out, "accuracy", v->val_accuracy);
          json_double_field (out, "macro_f1", v->macro_f1);
          json_double_field (out, "ece", v->ece);
          g_string_append (out, ",\"audit\":");
          gl_insights_append_proportion_json (out, &audit);
          g_autoptr (GArray) vm = gl_db_get_class_metrics (db, v->id, NULL, &error);
          if (vm == NULL)
            return gl_cli_fail ("stats", error);
          append_class_metrics_json (out, vm, classes, index_of_class);
          g_string_append_c (out, '}');
        }
      else if (audit.n > 0)
        {
          g_autofree char *acc = figure (v->val_accuracy), *f1 = figure (v->macro_f1);
          g_string_append_printf (out, "  %4" G_GINT64_FORMAT " %7" G_GUINT64_FORMAT " %7s %7s   %.3f [%.3f, %.3f]"
                                  " on %" G_GUINT64_FORMAT "\n", v->id, v->n_labels, acc, f1, audit.rate, audit.low,
                                  audit.high, audit.n);
        }
      else
        {
          g_autofree char *acc = figure (v->val_accuracy), *f1 = figure (v->macro_f1);
          g_string_append_printf (out, "  %4" G_GINT64_FORMAT " %7" G_GUINT64_FORMAT " %7s %7s   n/a\n", v->id,
                                  v->n_labels, acc, f1);
        }
    }
  if (json)
    {
      g_string_append (out, "]}");
      gl_cli_print_json (out);
    }
  else
    fwrite (out->str, 1, out->len, stdout);
  return 0;
}

static void
on_export_progress (const GlExportProgress *progress, gpointer user_data)
{
  if (*(gboolean *) user_data && progress->total > 0)
    fprintf (stderr, "\r%" G_GUINT64_FORMAT " / %" G_GUINT64_FORMAT, progress->done, progress->total);
}

static struct
{
  char *format, *split, *link, *labels;
  gint64 seed;
  gboolean force, model, predictions, unconfirmed, annotators;
} export_opt;

const GOptionEntry gl_cli_export_options[] = {
  { "format", 0, 0, G_OPTION_ARG_STRING, &export_opt.format,
    "imagefolder (class folders), csv (labels.csv) or json (manifest.json); required", "F" },
  { "split", 0, 0, G_OPTION_ARG_STRING, &export_opt.split,
    "Train,val,test shares that add up to 1 (default 0.8,0.1,0.1)", "T,V,T" },
  { "seed", 0, 0, G_OPTION_ARG_INT64, &export_opt.seed, "Seed of the split (default 0)", "N" },
  { "force", 0, 0, G_OPTION_ARG_NONE, &export_opt.force, "Write into a folder that is not empty", NULL },
  { "link", 0, 0, G_OPTION_ARG_STRING, &export_opt.link, "imagefolder: copy (default), hardlink or symlink",
    "MODE" },
  { "include-model", 0, 0, G_OPTION_ARG_NONE, &export_opt.model, "Also the current model and its class list",
    NULL },
  { "include-predictions", 0, 0, G_OPTION_ARG_NONE, &export_opt.predictions,
    "csv, json: the model's prediction of each image", NULL },
  { "include-unconfirmed", 0, 0, G_OPTION_ARG_NONE, &export_opt.unconfirmed,
    "Also the model's predictions for unlabeled images (origin \"model\")", NULL },
  { "labels", 0, 0, G_OPTION_ARG_STRING, &export_opt.labels,
    "An image several annotators labeled: consensus (default; ties are left out) or newest", "L" },
  { "include-annotators", 0, 0, G_OPTION_ARG_NONE, &export_opt.annotators,
    "csv, json: every annotator's label of each image", NULL },
  { NULL },
};

int
gl_cli_export (int argc, char **argv)
{
  const char *format = export_opt.format, *split = export_opt.split, *link = export_opt.link;
  gint64 seed = export_opt.seed;
  gboolean force = export_opt.force, json = gl_cli_json, model = export_opt.model;
  gboolean predictions = export_opt.predictions, unconfirmed = export_opt.unconfirmed;
  gboolean annotators = export_opt.annotators;
  const char *labels = export_opt.labels;
  if (check_args ("export", argc, 3, 3))
    return GL_CLI_EXIT_USAGE;
  if (format == NULL)
    {
      g_printerr ("gleaner-cli export: say which format with --format imagefolder (class folders), csv "
                  "(labels.csv) or json (manifest.json)\n");
      return gl_cli_usage ("export");
    }
  g_autoptr (GError) error = NULL;
  GlExportOptions o;
  gl_export_options_init (&o);
  if (!gl_export_format_from_string (format, &o.format, &error)
      || (split && !gl_export_parse_split (split, o.shares, &error))
      || (link && !gl_export_link_from_string (link, &o.link, &error))
      || (labels && !gl_export_labels_from_string (labels, &o.labels, &error)))
    {
      g_printerr ("gleaner-cli export: %s\n", error->message);
      return 2;
    }
  if (predictions && o.format == GL_EXPORT_IMAGEFOLDER)
    {
      g_printerr ("gleaner-cli export: --include-predictions writes the predictions into labels.csv or "
                  "manifest.json: use it with --format csv or json, not imagefolder\n");
      return 2;
    }
  if (annotators && o.format == GL_EXPORT_IMAGEFOLDER)
    {
      g_printerr ("gleaner-cli export: --include-annotators writes every annotator's label into labels.csv or "
                  "manifest.json: use it with --format csv or json, not imagefolder\n");
      return 2;
    }
  o.include_annotators = annotators;
  o.seed = (guint64) seed;
  o.force = force;
  o.include_model = model;
  o.include_predictions = predictions;
  o.include_unconfirmed = unconfirmed;
  g_autoptr (GlProject) p = open_project ("export", argv[1]);
  if (p == NULL)
    return 1;
  gboolean tty = !json && isatty (fileno (stderr));
  GlExportProgress s;
  gboolean ok = gl_export_project (p, argv[2], &o, on_export_progress, &tty, NULL, &s, &error);
  if (tty)
    fprintf (stderr, "\r\033[K");
  if (!ok)
    return gl_cli_fail ("export", error);
  if (json)
    {
      g_autoptr (GString) out = g_string_new ("{\"target\":");
      gl_json_append_string (out, argv[2]);
      g_string_append_printf (out, ",\"format\":\"%s\",\"images\":%" G_GUINT64_FORMAT ",\"bytes\":%" G_GUINT64_FORMAT
                              ",\"consensus\":%" G_GUINT64_FORMAT ",\"left_out_ties\":%" G_GUINT64_FORMAT "}",
                              format, s.done, s.written_bytes, s.consensus, s.ties);
      gl_cli_print_json (out);
    }
  else
    {
      printf ("exported %" G_GUINT64_FORMAT " labeled images to %s\n", s.done, argv[2]);
      if (s.consensus > 0)
        printf ("%" G_GUINT64_FORMAT " of them labeled by several annotators carry their consensus\n", s.consensus);
      if (s.ties > 0)
        printf ("left out %" G_GUINT64_FORMAT " images whose annotators tie: resolve them with gleaner-cli conflicts "
                "%s, or export with --labels newest\n", s.ties, argv[1]);
    }
  return 0;
}

static void
on_simulate_round (const GlSimulateRound *r, gpointer user_data)
{
  if (*(gboolean *) user_data)
    {
      printf ("%8" G_GUINT64_FORMAT " %9.4f %9.4f %9.1f\n", r->labels, r->test_accuracy, r->macro_f1, r->seconds);
      fflush (stdout);
    }
}

static struct
{
  char *strategy;
  int seed_labels, batch, budget, epochs;
  double round_seconds;
  gint64 seed, max_pool, max_test;
} simulate_opt = { NULL, 100, 100, 3000, GL_TRAINER_DEFAULT_EPOCHS, GL_ROUND_DEFAULT_TIME_BUDGET, 0, 0, 0 };

const GOptionEntry gl_cli_simulate_options[] = {
  { "strategy", 0, 0, G_OPTION_ARG_STRING, &simulate_opt.strategy,
    "random, least-confidence, margin, entropy, bald, k-center or default; required", "S" },
  { "seed-labels", 0, 0, G_OPTION_ARG_INT, &simulate_opt.seed_labels, "Random labels to start from (default 100)",
    "N" },
  { "batch", 0, 0, G_OPTION_ARG_INT, &simulate_opt.batch, "Labels asked per round (default 100)", "N" },
  { "budget", 0, 0, G_OPTION_ARG_INT, &simulate_opt.budget, "Stop at this many labels (default 3000)", "N" },
  { "seed", 0, 0, G_OPTION_ARG_INT64, &simulate_opt.seed, "Seed (default 0)", "N" },
  { "epochs", 0, 0, G_OPTION_ARG_INT, &simulate_opt.epochs, "Epochs per round (default " G_STRINGIFY (GL_TRAINER_DEFAULT_EPOCHS) ", the app's; more for few labels)",
    "N" },
  { "round-seconds", 0, 0, G_OPTION_ARG_DOUBLE, &simulate_opt.round_seconds,
    "Training time budget per round in seconds (default: the app's, " G_STRINGIFY (GL_ROUND_DEFAULT_TIME_BUDGET) ")", "S" },
  { "max-pool", 0, 0, G_OPTION_ARG_INT64, &simulate_opt.max_pool, "Use at most N pool images (default all)", "N" },
  { "max-test", 0, 0, G_OPTION_ARG_INT64, &simulate_opt.max_test, "Evaluate on at most N test images (default all)",
    "N" },
  { NULL },
};

int
gl_cli_simulate (int argc, char **argv)
{
  const char *strategy = simulate_opt.strategy;
  int seed_labels = simulate_opt.seed_labels, batch = simulate_opt.batch, budget = simulate_opt.budget;
  int epochs = simulate_opt.epochs;
  double round_seconds = simulate_opt.round_seconds;
  gint64 seed = simulate_opt.seed, max_pool = simulate_opt.max_pool, max_test = simulate_opt.max_test;
  gboolean json = gl_cli_json;
  if (check_args ("simulate", argc, 2, 2) || strategy == NULL || seed_labels < 1 || batch < 1 || budget < 1
      || epochs < 1 || max_pool < 0 || max_test < 0)
    return gl_cli_usage ("simulate");
  GlStrategy s;
  g_autoptr (GError) error = NULL;
  if (!gl_strategy_from_string (strategy, &s, &error))
    {
      g_printerr ("gleaner-cli simulate: %s\n", error->message);
      return 2;
    }
  g_autoptr (GlProject) p = open_project ("simulate", argv[1]);
  if (p == NULL)
    return 1;
  GlSimulateOptions o;
  gl_simulate_options_init (&o);
  o.strategy = strategy;
  o.seed_labels = (guint) seed_labels;
  o.batch = (guint) batch;
  o.budget = (guint) budget;
  o.seed = (guint64) seed;
  o.epochs = (guint) epochs;
  o.round_seconds = round_seconds;
  o.max_pool = (gsize) max_pool;
  o.max_test = (gsize) max_test;
  gboolean text = !json;
  if (text)
    printf ("strategy %s\n%8s %9s %9s %9s\n", gl_strategy_to_string (s), "labels", "test_acc", "macro_f1", "seconds");
  g_autoptr (GlSimulateResult) r = gl_simulate_run (p, &o, on_simulate_round, &text, NULL, &error);
  if (r == NULL)
    return gl_cli_fail ("simulate", error);
  if (json)
    {
      g_autofree char *out = gl_simulate_result_to_json (r);
      printf ("%s\n", out);
    }
  else
    {
      guint64 to85 = gl_simulate_labels_to_reach (r, 0.85);
      if (to85 > 0)
        printf ("labels to reach 85%% test accuracy: %" G_GUINT64_FORMAT "\n", to85);
      else
        printf ("85%% test accuracy not reached within %u labels\n", o.budget);
    }
  return 0;
}

const GOptionEntry gl_cli_rules_options[] = { { NULL } };

/* The result of rules add, delete and apply: text or JSON. */
static int
rules_done (gint64 rule_id, const char *what, guint64 n_suggested)
{
  if (gl_cli_json)
    {
      g_autoptr (GString) out = g_string_new (NULL);
      if (rule_id > 0)
        g_string_append_printf (out, "{\"rule\":%" G_GINT64_FORMAT ",", rule_id);
      else
        g_string_append_c (out, '{');
      g_string_append_printf (out, "\"suggested\":%" G_GUINT64_FORMAT "}", n_suggested);
      gl_cli_print_json (out);
    }
  else
    printf ("%s%s%" G_GUINT64_FORMAT " images suggested\n", what ? what : "", what ? "; " : "", n_suggested);
  return GL_CLI_EXIT_OK;
}

static int
rules_list (GlProject *p)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlDb) db = open_db ("rules", p);
  if (db == NULL)
    return GL_CLI_EXIT_ERROR;
  g_autoptr (GArray) rules = gl_db_list_rules (db, &error);
  if (rules == NULL)
    return gl_cli_fail ("rules", error);
  g_autoptr (GString) out = g_string_new (gl_cli_json ? "{\"rules\":[" : NULL);
  for (guint i = 0; i < rules->len; i++)
    {
      const GlDbRule *r = &g_array_index (rules, GlDbRule, i);
      GlDbClass c = { 0 };
      gboolean named = gl_db_get_class (db, r->class_id, &c, NULL);
      if (gl_cli_json)
        {
          g_string_append_printf (out, "%s{\"id\":%" G_GINT64_FORMAT ",\"glob\":", i ? "," : "", r->id);
          gl_json_append_string (out, r->glob);
          g_string_append (out, ",\"class\":");
          gl_json_append_string (out, named ? c.name : "");
          g_string_append_c (out, '}');
        }
      else
        g_string_append_printf (out, "%" G_GINT64_FORMAT "\t%s\t%s\n", r->id, r->glob, named ? c.name : "?");
      if (named)
        gl_db_class_clear (&c);
    }
  if (gl_cli_json)
    {
      g_string_append (out, "]}");
      gl_cli_print_json (out);
    }
  else
    fwrite (out->str, 1, out->len, stdout);
  return GL_CLI_EXIT_OK;
}

int
gl_cli_rules (int argc, char **argv)
{
  if (check_args ("rules", argc, 3, 5))
    return GL_CLI_EXIT_USAGE;
  const char *verb = argv[2];
  gboolean known = (g_str_equal (verb, "add") && argc == 5) || (g_str_equal (verb, "delete") && argc == 4)
                   || (g_str_equal (verb, "apply") && argc == 3) || (g_str_equal (verb, "list") && argc == 3);
  if (!known)
    return gl_cli_usage ("rules");
  g_autoptr (GError) error = NULL;
  g_autoptr (GlProject) p = open_project ("rules", argv[1]);
  if (p == NULL)
    return GL_CLI_EXIT_ERROR;
  if (g_str_equal (verb, "list"))
    return rules_list (p);
  guint64 n = 0;
  if (g_str_equal (verb, "add"))
    {
      gint64 id;
      if (!gl_rules_add (p, argv[3], argv[4], &id, &error) || !gl_rules_apply (p, &n, &error))
        return gl_cli_fail ("rules", error);
      g_autofree char *what = g_strdup_printf ("rule %" G_GINT64_FORMAT ": %s → %s", id, argv[3], argv[4]);
      return rules_done (id, what, n);
    }
  if (g_str_equal (verb, "delete"))
    {
      gint64 id = 0;
      if (!g_ascii_string_to_signed (argv[3], 10, 1, G_MAXINT64, &id, NULL))
        {
          g_printerr ("gleaner-cli rules: “%s” is not a rule id (gleaner-cli rules PROJECT list shows them)\n",
                      argv[3]);
          return GL_CLI_EXIT_USAGE;
        }
      if (!gl_rules_delete (p, id, &error) || !gl_rules_apply (p, &n, &error))
        return gl_cli_fail ("rules", error);
      g_autofree char *what = g_strdup_printf ("rule %" G_GINT64_FORMAT " deleted", id);
      return rules_done (-1, what, n);
    }
  if (!gl_rules_apply (p, &n, &error))
    return gl_cli_fail ("rules", error);
  return rules_done (-1, NULL, n);
}
