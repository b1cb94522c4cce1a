/* gl-parallel.c — a small fixed pool for splitting kernel loops. */
#include "engine/gl-parallel.h"

#include <cblas.h>

#define MAX_HELPERS 63

typedef struct
{
  GMutex lock;
  GCond wake;      /* a new task was posted */
  GCond done;      /* the helper finished its chunk */
  guint64 posted;  /* generation of the last task posted */
  guint64 finished; /* generation of the last task finished */
  GlRangeFunc func;
  gpointer data;
  gsize begin, end;
  GThread *thread;
} Helper;

static GMutex dispatch_lock;
static Helper helpers[MAX_HELPERS];
static guint n_started;

static gpointer
helper_main (gpointer user_data)
{
  Helper *h = user_data;
  guint64 seen = 0;
  g_mutex_lock (&h->lock);
  for (;;)
    {
      while (h->posted == seen)
        g_cond_wait (&h->wake, &h->lock);
      seen = h->posted;
      GlRangeFunc func = h->func;
      gpointer data = h->data;
      gsize begin = h->begin, end = h->end;
      g_mutex_unlock (&h->lock);
      func (begin, end, data);
      g_mutex_lock (&h->lock);
      h->finished = seen;
      g_cond_signal (&h->done);
    }
  return NULL;
}

guint
gl_parallel_get_n_threads (void)
{
  int n = openblas_get_num_threads ();
  return (guint) CLAMP (n, 1, MAX_HELPERS + 1);
}

void
gl_parallel_for (gsize n, gsize min_chunk, GlRangeFunc func, gpointer data)
{
  guint threads = gl_parallel_get_n_threads ();
  if (min_chunk == 0)
    min_chunk = 1;
  if ((gsize) threads > n / min_chunk)
    threads = (guint) MAX (n / min_chunk, 1);
  if (threads <= 1 || !g_mutex_trylock (&dispatch_lock))
    {
      if (n > 0)
        func (0, n, data);
      return;
    }

  const gsize chunk = (n + threads - 1) / threads;
  guint used = 0;
  for (guint t = 1; t < threads; t++)
    {
      const gsize begin = t * chunk, end = MIN (n, begin + chunk);
      if (begin >= end)
        break;
      Helper *h = &helpers[t - 1];
      if (t > n_started)
        {
          g_mutex_init (&h->lock);
          g_cond_init (&h->wake);
          g_cond_init (&h->done);
          h->thread = g_thread_new ("gl-parallel", helper_main, h);
          n_started = t;
        }
      g_mutex_lock (&h->lock);
      h->func = func;
      h->data = data;
      h->begin = begin;
      h->end = end;
      h->posted++;
      g_cond_signal (&h->wake);
      g_mutex_unlock (&h->lock);
      used = t;
    }
  func (0, MIN (chunk, n), data);
  for (guint t = 1; t <= used; t++)
    {
      Helper *h = &helpers[t - 1];
      g_mutex_lock (&h->lock);
      while (h->finished != h->posted)
        g_cond_wait (&h->done, &h->lock);
      g_mutex_unlock (&h->lock);
    }
  g_mutex_unlock (&dispatch_lock);
}
