/* gleaner-progress-post.c — see gleaner-progress-post.h. */
#include "gleaner-config.h"

#include "ui/gleaner-progress-post.h"

#include <string.h>

void
gleaner_progress_post_init (GleanerProgressPost *self, gpointer owner, gsize size, GleanerProgressShowFunc show)
{
  g_mutex_init (&self->mutex);
  self->owner = G_OBJECT (owner);
  self->show = show;
  self->size = size;
  self->latest = g_malloc0 (size);
  self->pending = FALSE;
}

void
gleaner_progress_post_clear (GleanerProgressPost *self)
{
  g_clear_pointer (&self->latest, g_free);
  g_mutex_clear (&self->mutex);
}

static gboolean
progress_idle_cb (gpointer user_data)
{
  GleanerProgressPost *self = user_data;
  g_autofree gpointer figures = g_malloc (self->size);

  g_mutex_lock (&self->mutex);
  memcpy (figures, self->latest, self->size);
  self->pending = FALSE;
  g_mutex_unlock (&self->mutex);
  self->show (self->owner, figures);
  return G_SOURCE_REMOVE;
}

static void
progress_idle_done (gpointer user_data)
{
  GleanerProgressPost *self = user_data;

  g_object_unref (self->owner); /* may free @self */
}

void
gleaner_progress_post_publish (GleanerProgressPost *self, gconstpointer figures)
{
  g_mutex_lock (&self->mutex);
  memcpy (self->latest, figures, self->size);
  if (!self->pending)
    {
      self->pending = TRUE;
      /* The owner's reference keeps @self (embedded in it) alive until the idle ran. */
      g_object_ref (self->owner);
      g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, progress_idle_cb, self, progress_idle_done);
    }
  g_mutex_unlock (&self->mutex);
}

void
gleaner_progress_post_set_bar (GtkProgressBar *bar, GtkLabel *label, guint64 done, guint64 total, const char *text)
{
  if (total > 0)
    gtk_progress_bar_set_fraction (bar, (double) done / (double) total);
  else
    gtk_progress_bar_pulse (bar);
  gtk_label_set_text (label, text);
}
