/* gl-parallel.c — a small fixed pool for splitting kernel loops.
 *
 * The loop is cut into several chunks per thread, which the caller and the
 * helpers claim one at a time from a shared counter. On a machine shared
 * with other programs a helper may not get a core for a while: the caller
 * then claims the chunks itself instead of waiting for it, and only waits
 * for chunks a helper has already started. */
#include "engine/gl-parallel.h"

#include <cblas.h>

#define MAX_HELPERS 63
#define CHUNKS_PER_THREAD 4

typedef struct
{
  GMutex lock;
  GCond wake;        /* a task was posted */
  GCond done;        /* a helper left a task, or the last chunk finished */
  guint64 generation; /* of the task posted last */
  guint active;      /* helpers that took the current task and have not left it */
  /* The task; written only while no helper is active. */
  GlRangeFunc func;
  gpointer data;
  gsize n, chunk;
  gint n_chunks;
  gint next;         /* atomic: the next chunk to claim */
  gint finished;     /* atomic: chunks done */
} Pool;

static GMutex dispatch_lock;
static Pool pool = { .lock = { 0 } };
static GThread *helpers[MAX_HELPERS];
static guint n_helpers;

static void
run_chunks (GlRangeFunc func, gpointer data, gsize n, gsize chunk, gint n_chunks)
{
  gint i;
  while ((i = g_atomic_int_add (&pool.next, 1)) < n_chunks)
    {
      const gsize begin = (gsize) i * chunk;
      func (begin, MIN (n, begin + chunk), data);
      if (g_atomic_int_add (&pool.finished, 1) + 1 == n_chunks)
        {
          g_mutex_lock (&pool.lock);
          g_cond_broadcast (&pool.done);
          g_mutex_unlock (&pool.lock);
        }
    }
}

static gpointer
helper_main (gpointer user_data)
{
  guint64 seen = 0;
  g_mutex_lock (&pool.lock);
  for (;;)
    {
      while (pool.generation == seen)
        g_cond_wait (&pool.wake, &pool.lock);
      seen = pool.generation;
      pool.active++;
      GlRangeFunc func = pool.func;
      gpointer data = pool.data;
      const gsize n = pool.n, chunk = pool.chunk;
      const gint n_chunks = pool.n_chunks;
      g_mutex_unlock (&pool.lock);
      run_chunks (func, data, n, chunk, n_chunks);
      g_mutex_lock (&pool.lock);
      pool.active--;
      g_cond_broadcast (&pool.done);
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
  const guint threads = gl_parallel_get_n_threads ();
  if (min_chunk == 0)
    min_chunk = 1;
  const gsize max_chunks = MAX (n / min_chunk, 1);
  const gsize n_chunks = MIN ((gsize) threads * CHUNKS_PER_THREAD, max_chunks);
  if (threads <= 1 || n_chunks <= 1 || !g_mutex_trylock (&dispatch_lock))
    {
      if (n > 0)
        func (0, n, data);
      return;
    }

  g_mutex_lock (&pool.lock);
  while (n_helpers < threads - 1)
    helpers[n_helpers++] = g_thread_new ("gl-parallel", helper_main, NULL);
  /* A helper still inside the previous task holds its copy of it. */
  while (pool.active > 0)
    g_cond_wait (&pool.done, &pool.lock);
  const gsize chunk = (n + n_chunks - 1) / n_chunks;
  pool.func = func;
  pool.data = data;
  pool.n = n;
  pool.chunk = chunk;
  pool.n_chunks = (gint) ((n + chunk - 1) / chunk);
  g_atomic_int_set (&pool.next, 0);
  g_atomic_int_set (&pool.finished, 0);
  pool.generation++;
  g_cond_broadcast (&pool.wake);
  const gint total = pool.n_chunks;
  g_mutex_unlock (&pool.lock);

  run_chunks (func, data, n, chunk, total);

  g_mutex_lock (&pool.lock);
  while (g_atomic_int_get (&pool.finished) < total)
    g_cond_wait (&pool.done, &pool.lock);
  g_mutex_unlock (&pool.lock);
  g_mutex_unlock (&dispatch_lock);
}
