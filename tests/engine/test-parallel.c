/* test-parallel.c — gl_parallel_for: every item once, and the threads
 * preference honoured when it goes down as well as up (counted: the
 * distinct threads that ran chunks, not a timing). */
#include "engine/gl-parallel.h"

typedef struct
{
  GMutex lock;
  GThread *threads[64]; /* distinct threads that ran a chunk */
  guint n_threads;
  guint hits[256]; /* per item: times handled */
} Seen;

static void
record_chunk (gsize begin, gsize end, gpointer data)
{
  Seen *seen = data;
  /* Long enough that every woken helper gets to claim a chunk before the
   * caller has run them all. */
  g_usleep (3000);
  g_mutex_lock (&seen->lock);
  guint i = 0;
  while (i < seen->n_threads && seen->threads[i] != g_thread_self ())
    i++;
  if (i == seen->n_threads)
    seen->threads[seen->n_threads++] = g_thread_self ();
  for (gsize j = begin; j < end; j++)
    seen->hits[j]++;
  g_mutex_unlock (&seen->lock);
}

/* The distinct threads that ran a loop of 64 items with @threads wanted. */
static guint
threads_used (guint threads)
{
  Seen seen = { 0 };
  g_mutex_init (&seen.lock);
  gl_parallel_set_n_threads (threads);
  g_assert_cmpuint (gl_parallel_get_n_threads (), ==, threads);
  gl_parallel_for (64, 1, record_chunk, &seen);
  for (guint j = 0; j < 64; j++)
    g_assert_cmpuint (seen.hits[j], ==, 1);
  g_mutex_clear (&seen.lock);
  g_test_message ("%u thread(s) wanted, %u ran chunks", threads, seen.n_threads);
  return seen.n_threads;
}

static void
test_threads_honoured (void)
{
  /* Four threads (three helpers are made); the caller alone cannot take all
   * 16 chunks before the helpers wake. */
  const guint four = threads_used (4);
  g_assert_cmpuint (four, <=, 4);
  g_assert_cmpuint (four, >=, 2);
  /* Lowered: the extra helpers exist but must not join. */
  g_assert_cmpuint (threads_used (2), <=, 2);
  g_assert_cmpuint (threads_used (1), ==, 1);
  g_assert_cmpuint (threads_used (3), <=, 3);
  g_assert_cmpuint (threads_used (2), <=, 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/parallel/threads-honoured", test_threads_honoured);
  return g_test_run ();
}
