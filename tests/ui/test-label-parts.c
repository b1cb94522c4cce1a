/* test-label-parts.c — the Label view paints a change over up to six frames
 * (the image first, then the name and top classes, the controls, the reason,
 * the counters and the strip, one per frame): every part arrives after a key,
 * and updates in every frame (a held arrow key) do not keep the later parts
 * from being painted. */
#include "gleaner-config.h"

#include "app/gl-project.h"
#include "app/gl-queue.h"
#include "app/gl-trainer.h"
#include "gleaner-test-util.h"
#include "ui/gleaner-application.h"
#include "ui/gleaner-label-view.h"
#include "ui/gleaner-window.h"

#define N_IMAGES 12

static GleanerApplication *app;

static gboolean
queue_has_item (gpointer data)
{
  GlQueue *queue = gleaner_window_get_queue (GLEANER_WINDOW (data));
  return queue != NULL && gl_queue_get_current (queue) != NULL;
}

static gboolean
window_not_loading (gpointer data)
{
  return g_strcmp0 (gleaner_window_get_state (GLEANER_WINDOW (data)), "loading") != 0;
}

/* Buttons under @root that carry the CSS class @name. */
static guint
count_marked (GtkWidget *root, const char *name)
{
  guint n = GTK_IS_BUTTON (root) && gtk_widget_has_css_class (root, name) ? 1 : 0;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL; child = gtk_widget_get_next_sibling (child))
    n += count_marked (child, name);
  return n;
}

/* A label or inscription under @root whose text is @text. */
static gboolean
has_label (GtkWidget *root, const char *text)
{
  if (GTK_IS_LABEL (root) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (root)), text) == 0)
    return TRUE;
  if (GTK_IS_INSCRIPTION (root) && g_strcmp0 (gtk_inscription_get_text (GTK_INSCRIPTION (root)), text) == 0)
    return TRUE;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL; child = gtk_widget_get_next_sibling (child))
    if (has_label (child, text))
      return TRUE;
  return FALSE;
}

typedef struct
{
  GleanerLabelView *view;
  GlQueue *queue;
  guint frames, labeled_frames, marked_when_labeled, unlabeled_frames, clear_when_unlabeled;
  gboolean back; /* the next move */
} Toggle;

/* After each frame: did the class buttons in this frame mark the shown
 * image's label (one button for the labeled image, none for the other)?
 * Then move to the other image, so that every frame brings an update. */
static void
on_after_paint (GdkFrameClock *clock, Toggle *t)
{
  const GlQueueItem *item = gleaner_label_view_get_item (t->view);
  guint marked = count_marked (GTK_WIDGET (t->view), "current-label");
  if (item != NULL && item->label >= 0)
    {
      t->labeled_frames++;
      t->marked_when_labeled += marked == 1;
    }
  else if (item != NULL)
    {
      t->unlabeled_frames++;
      t->clear_when_unlabeled += marked == 0;
    }
  t->frames++;
  if (t->back)
    g_assert_true (gl_queue_back (t->queue));
  else
    g_assert_true (gl_queue_forward (t->queue));
  t->back = !t->back;
}

static gboolean
keep_drawing (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  gtk_widget_queue_draw (widget);
  return G_SOURCE_CONTINUE;
}

static gboolean
enough_frames (gpointer data)
{
  return ((Toggle *) data)->frames >= 120;
}

static gboolean
view_settled (gpointer data)
{
  return gleaner_label_view_is_settled (data);
}

static void
test_parts (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("gleaner-test-label-parts-XXXXXX", NULL);
  g_autofree char *dir = g_build_filename (tmp, "Shapes", NULL);
  g_autoptr (GFile) file = g_file_new_for_path (dir);
  g_autofree char *count_text = NULL;

  gl_project_close (gleaner_test_make_project (dir, N_IMAGES));
  GleanerWindow *window = gleaner_window_new (app);
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 760);
  gtk_window_present (GTK_WINDOW (window));
  gleaner_window_open_project (window, file);
  gleaner_test_wait (window_not_loading, window);
  gleaner_test_wait (queue_has_item, window);
  gl_trainer_set_retrain_every (gleaner_window_get_trainer (window), 0);
  GlQueue *queue = gleaner_window_get_queue (window);
  GleanerLabelView *view = GLEANER_LABEL_VIEW (gleaner_test_find_descendant (GTK_WIDGET (window),
                                                                            GLEANER_TYPE_LABEL_VIEW, 0));
  g_assert_nonnull (view);
  gleaner_test_wait (view_settled, view);

  /* A label: the image changes at once, and the rest follows in the next
   * five frames, one part each, the counter among them. */
  gint64 first = gl_queue_get_current (queue)->image_id;
  g_assert_true (gleaner_label_view_handle_key (view, GDK_KEY_1, 0));
  while (gleaner_label_view_get_item (view) == NULL || gleaner_label_view_get_item (view)->image_id == first)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (gleaner_label_view_is_settled (view));
  gleaner_test_wait_frames (GTK_WIDGET (window), 6);
  g_assert_true (gleaner_label_view_is_settled (view));
  count_text = g_strdup_printf ("1 of %u labeled", N_IMAGES);
  g_assert_true (has_label (GTK_WIDGET (view), count_text));

  /* Back on the labeled image, then forth, one move per frame for 120
   * frames: the labeled image's class mark is painted again and again. */
  g_assert_true (gl_queue_back (queue));
  gleaner_test_wait (view_settled, view);
  g_assert_cmpuint (count_marked (GTK_WIDGET (view), "current-label"), ==, 1);
  Toggle t = { view, queue, 0, 0, 0, FALSE };
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));
  gulong id = g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), &t);
  guint tick = gtk_widget_add_tick_callback (GTK_WIDGET (window), keep_drawing, NULL, NULL);
  gleaner_test_wait (enough_frames, &t);
  gtk_widget_remove_tick_callback (GTK_WIDGET (window), tick);
  g_signal_handler_disconnect (clock, id);
  g_test_message ("class marks right in %u of %u frames that showed the labeled image, %u of %u that showed the "
                  "unlabeled one", t.marked_when_labeled, t.labeled_frames, t.clear_when_unlabeled, t.unlabeled_frames);
  g_assert_cmpuint (t.labeled_frames, >=, 50);
  g_assert_cmpuint (t.unlabeled_frames, >=, 50);
  g_assert_cmpuint (t.marked_when_labeled, >=, t.labeled_frames / 6);
  g_assert_cmpuint (t.clear_when_unlabeled, >=, t.unlabeled_frames / 6);

  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  gl_remove_tree (tmp);
}

int
main (int argc, char **argv)
{
  app = gleaner_test_app_init (&argc, &argv);
  g_test_add_func ("/label/parts", test_parts);
  return gleaner_test_app_run (app);
}
