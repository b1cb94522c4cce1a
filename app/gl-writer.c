/* gl-writer.c — see gl-writer.h. */
#include "app/gl-writer.h"

typedef struct
{
  GTask *task; /* NULL: stop */
  GlWriterFunc func;
} Job;

struct _GlWriter
{
  char *db_path;
  GAsyncQueue *jobs; /* Job */
  GThread *thread;
};

static gpointer
writer_thread (gpointer data)
{
  GlWriter *self = data;
  GError *open_error = NULL;
  GlDb *db = gl_db_open (self->db_path, &open_error);

  for (;;)
    {
      Job *job = g_async_queue_pop (self->jobs);
      GTask *task = job->task;
      GlWriterFunc func = job->func;

      g_free (job);
      if (task == NULL)
        break;
      func (task, db, open_error);
      g_object_unref (task);
    }
  g_clear_pointer (&db, gl_db_close);
  g_clear_error (&open_error);
  return NULL;
}

GlWriter *
gl_writer_new (const char *db_path)
{
  GlWriter *self = g_new0 (GlWriter, 1);

  self->db_path = g_strdup (db_path);
  self->jobs = g_async_queue_new ();
  self->thread = g_thread_new ("gl-writer", writer_thread, self);
  return self;
}

void
gl_writer_push (GlWriter *self, GTask *task, GlWriterFunc func)
{
  Job *job = g_new0 (Job, 1);

  g_return_if_fail (G_IS_TASK (task) && func != NULL);
  job->task = g_object_ref (task);
  job->func = func;
  g_async_queue_push (self->jobs, job);
}

void
gl_writer_free (GlWriter *self)
{
  if (self == NULL)
    return;
  /* Behind every write pushed so far. */
  g_async_queue_push (self->jobs, g_new0 (Job, 1));
  g_thread_join (self->thread);
  g_async_queue_unref (self->jobs);
  g_free (self->db_path);
  g_free (self);
}
