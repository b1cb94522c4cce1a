/* gl-team-watch.c — see gl-team-watch.h. */
#include "app/gl-team-watch.h"

#include <glib-unix.h>

#include "db/gl-db-notify.h"

struct _GlTeamWatch
{
  GObject parent_instance;

  /* owned; the creating thread only */
  GlDb *db;      /* the listening connection */
  guint source;  /* the socket watch on the thread-default context, 0 once lost */
};

G_DEFINE_FINAL_TYPE (GlTeamWatch, gl_team_watch, G_TYPE_OBJECT)

enum
{
  SIGNAL_LABELS_CHANGED,
  SIGNAL_CLASSES_CHANGED,
  SIGNAL_MODEL_CHANGED,
  SIGNAL_LOST,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
lost (GlTeamWatch *self, GError *error)
{
  self->source = 0;
  g_signal_emit (self, signals[SIGNAL_LOST], 0, error->message);
}

/* The images of the label events in @events, distinct and ascending; NULL with @error. */
static GArray *
changed_images (GlTeamWatch *self, GArray *events, GError **error)
{
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (guint i = 0; i < events->len; i++)
    {
      const GlDbEvent *ev = &g_array_index (events, GlDbEvent, i);
      if (ev->kind != GL_DB_EVENT_LABELS)
        continue;
      g_autoptr (GArray) some = gl_db_labeled_images_between (self->db, ev->first, ev->last, error);
      if (some == NULL)
        return NULL;
      g_array_append_vals (ids, some->data, some->len);
    }
  return g_steal_pointer (&ids);
}

static int
cmp_id (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

static gboolean
on_socket_cb (int fd, GIOCondition condition, gpointer user_data)
{
  GlTeamWatch *self = GL_TEAM_WATCH (user_data);
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) events = gl_db_notify_take (self->db, &error);
  if (events == NULL)
    {
      lost (self, error);
      return G_SOURCE_REMOVE;
    }
  gboolean classes = FALSE, labels = FALSE;
  gint64 model = G_MININT64;
  for (guint i = 0; i < events->len; i++)
    {
      const GlDbEvent *ev = &g_array_index (events, GlDbEvent, i);
      classes |= ev->kind == GL_DB_EVENT_CLASSES;
      labels |= ev->kind == GL_DB_EVENT_LABELS;
      if (ev->kind == GL_DB_EVENT_MODEL)
        model = ev->first;
    }
  g_object_ref (self);
  if (classes)
    g_signal_emit (self, signals[SIGNAL_CLASSES_CHANGED], 0);
  if (labels)
    {
      g_autoptr (GArray) ids = changed_images (self, events, &error);
      if (ids == NULL)
        {
          lost (self, error);
          g_object_unref (self);
          return G_SOURCE_REMOVE;
        }
      g_array_sort (ids, cmp_id);
      guint out = 0;
      for (guint i = 0; i < ids->len; i++)
        if (out == 0 || g_array_index (ids, gint64, i) != g_array_index (ids, gint64, out - 1))
          g_array_index (ids, gint64, out++) = g_array_index (ids, gint64, i);
      g_array_set_size (ids, out);
      g_signal_emit (self, signals[SIGNAL_LABELS_CHANGED], 0, ids);
    }
  if (model != G_MININT64)
    g_signal_emit (self, signals[SIGNAL_MODEL_CHANGED], 0, model);
  g_object_unref (self);
  return G_SOURCE_CONTINUE;
}

GlTeamWatch *
gl_team_watch_new (GlProject *project, GError **error)
{
  g_return_val_if_fail (gl_project_is_team (project), NULL);
  g_autoptr (GlDb) db = gl_project_open_db (project, error);
  if (db == NULL || !gl_db_notify_listen (db, error))
    return NULL;
  int fd = gl_db_notify_socket (db);
  if (fd < 0)
    {
      g_set_error (error, GL_DB_ERROR, GL_DB_ERROR_FAILED, "%s: no socket to watch for the team's changes",
                   gl_project_get_name (project));
      return NULL;
    }
  GlTeamWatch *self = g_object_new (GL_TYPE_TEAM_WATCH, NULL);
  self->db = g_steal_pointer (&db);
  GSource *source = g_unix_fd_source_new (fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
  g_source_set_callback (source, (GSourceFunc) (void (*) (void)) on_socket_cb, self, NULL);
  self->source = g_source_attach (source, g_main_context_get_thread_default ());
  g_source_unref (source);
  return self;
}

static void
gl_team_watch_dispose (GObject *object)
{
  GlTeamWatch *self = GL_TEAM_WATCH (object);
  if (self->source != 0)
    {
      GSource *s = g_main_context_find_source_by_id (g_main_context_get_thread_default (), self->source);
      if (s != NULL)
        g_source_destroy (s);
      self->source = 0;
    }
  g_clear_pointer (&self->db, gl_db_close);
  G_OBJECT_CLASS (gl_team_watch_parent_class)->dispose (object);
}

static void
gl_team_watch_class_init (GlTeamWatchClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = gl_team_watch_dispose;
  signals[SIGNAL_LABELS_CHANGED] = g_signal_new ("labels-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                                 NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ARRAY);
  signals[SIGNAL_CLASSES_CHANGED] = g_signal_new ("classes-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_MODEL_CHANGED] = g_signal_new ("model-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                                NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT64);
  signals[SIGNAL_LOST] = g_signal_new ("lost", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                       G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
gl_team_watch_init (GlTeamWatch *self)
{
}
