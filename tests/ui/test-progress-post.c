/* test-progress-post.c — progress posted by a worker thread reaches the main
 * thread through one coalesced idle at a time, newest figures last, and the
 * owner's references are all given back. */
#include "gleaner-config.h"

#include <gtk/gtk.h>

#include "ui/gleaner-progress-post.h"

typedef struct
{
  guint64 done, total;
} Figures;

typedef struct
{
  GleanerProgressPost post;
  GThread *main_thread;
  guint shown;
  Figures last;
  gboolean in_order;
} Owner;

static void
show (gpointer owner, gconstpointer figures)
{
  Owner *o = g_object_get_data (owner, "owner");
  const Figures *f = figures;
  g_assert_true (g_thread_self () == o->main_thread);
  if (o->shown > 0 && f->done < o->last.done)
    o->in_order = FALSE;
  o->last = *f;
  o->shown++;
}

static gpointer
publish_thread (gpointer data)
{
  Owner *o = data;
  for (guint64 i = 1; i <= 20000; i++)
    {
      Figures f = { i, 20000 };
      gleaner_progress_post_publish (&o->post, &f);
    }
  return NULL;
}

static void
test_coalesced (void)
{
  g_autoptr (GObject) obj = g_object_new (G_TYPE_OBJECT, NULL);
  Owner o = { .main_thread = g_thread_self (), .in_order = TRUE };
  g_object_set_data (obj, "owner", &o);
  gleaner_progress_post_init (&o.post, obj, sizeof (Figures), show);

  GThread *t = g_thread_new ("publish", publish_thread, &o);
  while (TRUE)
    {
      g_main_context_iteration (NULL, FALSE);
      g_mutex_lock (&o.post.mutex);
      gboolean done = o.last.done == 20000 && !o.post.pending;
      g_mutex_unlock (&o.post.mutex);
      if (done)
        break;
      g_usleep (100);
    }
  g_thread_join (t);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (o.shown, >=, 1);
  g_assert_cmpuint (o.shown, <, 20000); /* coalesced: far fewer shows than posts */
  g_assert_true (o.in_order);
  g_assert_cmpuint (o.last.total, ==, 20000);
  g_assert_cmpuint (obj->ref_count, ==, 1); /* every queued idle gave its reference back */
  gleaner_progress_post_clear (&o.post);
}

static void
test_set_bar (void)
{
  GtkProgressBar *bar = GTK_PROGRESS_BAR (g_object_ref_sink (gtk_progress_bar_new ()));
  GtkLabel *label = GTK_LABEL (g_object_ref_sink (gtk_label_new (NULL)));
  gleaner_progress_post_set_bar (bar, label, 25, 100, "25 of 100");
  g_assert_cmpfloat_with_epsilon (gtk_progress_bar_get_fraction (bar), 0.25, 1e-9);
  g_assert_cmpstr (gtk_label_get_text (label), ==, "25 of 100");
  /* No total yet: the bar pulses (its fraction is left alone) and the text is shown. */
  gleaner_progress_post_set_bar (bar, label, 0, 0, "Looking for images…");
  g_assert_cmpfloat_with_epsilon (gtk_progress_bar_get_fraction (bar), 0.25, 1e-9);
  g_assert_cmpstr (gtk_label_get_text (label), ==, "Looking for images…");
  g_object_unref (label);
  g_object_unref (bar);
}

int
main (int argc, char **argv)
{
  gtk_test_init (&argc, &argv, NULL);
  g_test_add_func ("/progress-post/coalesced", test_coalesced);
  g_test_add_func ("/progress-post/set-bar", test_set_bar);
  return g_test_run ();
}
