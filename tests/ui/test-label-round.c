/* test-label-round.c — the annotator never waits for the model.
 *
 * A project of N_IMAGES generated images is opened in the real window, and
 * class keys are typed into it through the X server (xdotool, one key every
 * 0.25 s, in chunks that run while the main loop runs) from the first image
 * on, through the whole first round: the cold-start ranking, the round that
 * starts after RETRAIN_EVERY labels and trains for its whole time budget
 * (TRAIN_SECONDS: far longer than the cold-start ranking's first
 * RANKING_SIZE images last at that pace), the scoring of the pool, and the
 * new ranking taken over; then KEYS_AFTER keys more. Every key must become a
 * label: the queue always has an image to show (it never falls back to
 * "Choosing Images" while unlabeled images are left) and the view takes
 * every key. Without xdotool the keys go to the window's key controller on
 * the same timer.
 */
#include "gleaner-config.h"

#include <gdk/x11/gdkx.h>
#include <string.h>

#include "app/gl-project.h"
#include "app/gl-queue.h"
#include "app/gl-trainer.h"
#include "gleaner-test-util.h"
#include "ui/gleaner-application.h"
#include "ui/gleaner-label-view.h"
#include "ui/gleaner-window.h"

#define N_IMAGES 1200
#define RETRAIN_EVERY 50
#define TRAIN_SECONDS 30.0
#define KEY_DELAY_MS 250
#define CHUNK 16      /* keys per xdotool run */
#define KEYS_AFTER 24 /* keys typed once the model's ranking is in */
#define MAX_KEYS 800  /* the round never ended: the test fails */

static GleanerApplication *app;

typedef struct
{
  GleanerWindow *window;
  GlQueue *queue;
  GlTrainer *trainer;
  guint sent;            /* keys typed */
  guint dry;             /* "changed" with no image while unlabeled images were left */
  gboolean model_ranked; /* an image of the model's ranking was shown */
  gint round_from;       /* keys typed when the trainer was first seen busy (-1: not yet) */
  gint round_until;      /* keys typed when the model's ranking first showed (-1: not yet) */
  gboolean typing;       /* a chunk of keys is being typed */
  char *xdotool;         /* NULL: deliver to the key controller */
  guint tick;            /* the timer of delivered keys */
  guint to_deliver;
} Run;

static void
on_queue_changed (GlQueue *queue, Run *run)
{
  const GlQueueItem *item = gl_queue_get_current (queue);

  if (item == NULL && gl_queue_get_n_labeled (queue) < gl_queue_get_n_total (queue))
    run->dry++;
  if (run->round_from < 0 && gl_trainer_get_state (run->trainer) != GL_TRAINER_IDLE)
    run->round_from = (gint)run->sent;
  if (item != NULL && gl_trainer_get_model_version (run->trainer) > 0
      && (item->reason == GL_QUEUE_REASON_STRATEGY || item->reason == GL_QUEUE_REASON_AUDIT)
      && item->n_top > 0)
    {
      if (!run->model_ranked)
        run->round_until = (gint)run->sent;
      run->model_ranked = TRUE;
    }
}

static const char *
key_for (guint i)
{
  static const char *const keys[] = { "1", "2", "3" };
  return keys[(i * 7 + i / 3) % 3];
}

static void
typed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Run *run = user_data;
  g_autoptr (GError) error = NULL;

  g_assert_true (g_subprocess_wait_check_finish (G_SUBPROCESS (source), result, &error));
  g_assert_no_error (error);
  run->typing = FALSE;
}

/* Delivers one key to the window's key controller, the path a key press
 * takes without the X server. */
static gboolean
deliver_tick_cb (gpointer user_data)
{
  Run *run = user_data;
  GListModel *controllers = gtk_widget_observe_controllers (GTK_WIDGET (run->window));
  guint keyval = gdk_keyval_from_name (key_for (run->sent));
  gboolean handled = FALSE;

  for (guint i = 0; i < g_list_model_get_n_items (controllers) && !handled; i++)
    {
      g_autoptr (GtkEventController) controller = g_list_model_get_item (controllers, i);
      if (GTK_IS_EVENT_CONTROLLER_KEY (controller))
        g_signal_emit_by_name (controller, "key-pressed", keyval, 0, 0, &handled);
    }
  g_object_unref (controllers);
  g_assert_true (handled);
  run->sent++;
  if (--run->to_deliver > 0)
    return G_SOURCE_CONTINUE;
  run->tick = 0;
  run->typing = FALSE;
  return G_SOURCE_REMOVE;
}

/* Types the next @n keys, one every KEY_DELAY_MS, while the main loop runs. */
static void
type_chunk (Run *run, guint n)
{
  run->typing = TRUE;
  if (run->xdotool != NULL)
    {
      GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (run->window));
      g_autofree char *xid = g_strdup_printf ("%lu", (unsigned long)gdk_x11_surface_get_xid (surface));
      g_autofree char *delay = g_strdup_printf ("%d", KEY_DELAY_MS);
      g_autoptr (GPtrArray) argv = g_ptr_array_new ();
      g_autoptr (GSubprocess) process = NULL;
      g_autoptr (GError) error = NULL;

      for (const char *const *a
           = (const char *const[]){ "timeout", "60", run->xdotool, "windowfocus", "--sync", xid, "key",
                                    "--clearmodifiers", "--delay", delay, NULL };
           *a != NULL; a++)
        g_ptr_array_add (argv, (gpointer)*a);
      for (guint i = 0; i < n; i++)
        g_ptr_array_add (argv, (gpointer)key_for (run->sent + i));
      g_ptr_array_add (argv, NULL);
      process = g_subprocess_newv ((const char *const *)argv->pdata, G_SUBPROCESS_FLAGS_NONE, &error);
      g_assert_no_error (error);
      run->sent += n;
      g_subprocess_wait_check_async (process, NULL, typed_cb, run);
    }
  else
    {
      run->to_deliver = n;
      run->tick = g_timeout_add (KEY_DELAY_MS, deliver_tick_cb, run);
    }
}

static gboolean
label_view_settled (gpointer data)
{
  return gleaner_label_view_is_settled (data);
}

/* The Label view in light and dark style, as it shows the first image (in
 * import order: the project is not ranked yet when the window opens it). */
static void
render_first_image (GleanerWindow *window)
{
  GtkWidget *view = gleaner_test_find_descendant (GTK_WIDGET (window), GLEANER_TYPE_LABEL_VIEW, 0);
  static const char *const names[] = { "label-unranked.png", "label-unranked-dark.png" };

  g_assert_nonnull (view);
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *png = NULL;
      adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                          i == 0 ? ADW_COLOR_SCHEME_FORCE_LIGHT
                                                 : ADW_COLOR_SCHEME_FORCE_DARK);
      gleaner_test_wait_frames (GTK_WIDGET (window), 3);
      gleaner_test_wait (label_view_settled, view);
      gleaner_test_wait_frames (GTK_WIDGET (window), 2);
      png = gleaner_test_render_png (GTK_WIDGET (window), names[i]);
      g_test_message ("%s", png);
    }
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
}

static gboolean
chunk_typed (gpointer data)
{
  return !((Run *)data)->typing;
}

/* Every key typed is a committed label, and the view has none waiting. */
static gboolean
all_keys_labeled (gpointer data)
{
  Run *run = data;
  return !gl_queue_is_busy (run->queue) && gl_queue_get_n_labeled (run->queue) >= run->sent;
}

static void
test_keys_through_first_round (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("gleaner-test-round-XXXXXX", NULL);
  g_autofree char *dir = g_build_filename (tmp, "Shapes", NULL);
  Run run = { .round_from = -1, .round_until = -1 };
  GlProjectInfo info;
  g_autoptr (GError) error = NULL;
  guint after = 0;

  gl_project_close (gleaner_test_make_project (dir, N_IMAGES));
  run.window = gleaner_test_open_window (app, dir);
  run.queue = gleaner_window_get_queue (run.window);
  run.trainer = gleaner_window_get_trainer (run.window);
  g_assert_nonnull (run.trainer);
  /* The round trains for its whole budget: the cold-start ranking's first
   * images are labeled long before it ends. */
  gl_trainer_set_retrain_every (run.trainer, RETRAIN_EVERY);
  gl_trainer_set_time_budget (run.trainer, TRAIN_SECONDS);
  gl_trainer_set_min_steps (run.trainer, 1000000);
  g_signal_connect (run.queue, "changed", G_CALLBACK (on_queue_changed), &run);
  run.xdotool = g_find_program_in_path ("xdotool");
  render_first_image (run.window);

  while (after < KEYS_AFTER)
    {
      g_assert_cmpuint (run.sent, <, MAX_KEYS);
      if (run.model_ranked)
        after += CHUNK;
      type_chunk (&run, CHUNK);
      gleaner_test_wait (chunk_typed, &run);
      g_assert_cmpuint (run.dry, ==, 0);
    }
  /* A whole round went by while typing: keys kept coming from the time the
   * trainer got busy until its ranking showed (how many depends on how fast
   * xdotool types on this machine, not on the app: at least two chunks). */
  g_test_message ("%u keys typed; the round ran from key %d to key %d; model version %" G_GINT64_FORMAT, run.sent,
                  run.round_from, run.round_until, gl_trainer_get_model_version (run.trainer));
  g_assert_cmpint (run.round_from, >=, 0);
  g_assert_cmpint (run.round_until, >=, run.round_from + 2 * CHUNK);

  gleaner_test_wait (all_keys_labeled, &run);
  g_assert_cmpuint (run.dry, ==, 0);
  g_assert_cmpuint (gl_queue_get_n_labeled (run.queue), ==, run.sent);
  g_assert_true (gl_project_get_info (gleaner_window_get_project (run.window), &info, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (info.labeled, ==, run.sent);
  gl_project_info_clear (&info);

  g_signal_handlers_disconnect_by_data (run.queue, &run);
  gtk_window_destroy (GTK_WINDOW (run.window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_free (run.xdotool);
  gl_remove_tree (tmp);
}

int
main (int argc, char **argv)
{
  app = gleaner_test_app_init (&argc, &argv);
  g_test_add_func ("/label-round/keys-through-first-round", test_keys_through_first_round);
  return gleaner_test_app_run (app);
}
