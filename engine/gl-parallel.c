/* gl-parallel.c — a small fixed pool for splitting kernel loops.
 *
 * The loop is cut into several chunks per thread, which the caller and the
 * helpers claim one at a time from a shared counter. On a machine shared
 * with other programs a helper may not get a core for a while: the caller
 * then claims the chunks itself instead of waiting for it, and only waits
 * for chunks a helper has already started. A helper switches to the
 * scheduling policy of the dispatching thread when it takes a task. */
#include "engine/gl-parallel.h"

#include <sched.h>
#include <string.h>

#include "engine/gl-blas.h"
#include "engine/gl-gemm.h"

#define MAX_HELPERS 63
#define CHUNKS_PER_THREAD 4

typedef struct
{
  GMutex lock;
  GCond wake;        /* a task was posted */
  GCond done;        /* a helper left a task, or the last chunk finished */
  guint64 generation; /* of the task posted last */
  guint active;      /* helpers that took the current task and have not left it */
  guint n_joining;   /* helpers 0 … n_joining − 1 take the current task; the others sleep */
  /* The task; written only while no helper is active. */
  GlSlotRangeFunc func;
  gpointer data;
  gsize n, chunk;
  gint n_chunks;
  gint next;         /* atomic: the next chunk to claim */
  gint finished;     /* atomic: chunks done */
  int policy;        /* the dispatching thread's scheduling policy */
} Pool;

static GMutex dispatch_lock;
static Pool pool = { .lock = { 0 } };
static GThread *helpers[MAX_HELPERS];
static guint n_helpers;
static gint n_threads_wanted = -1; /* atomic: 0 = every core, −1 = not set */

/* The calling thread's scheduling policy (SCHED_OTHER where unknown). */
static int
thread_policy (void)
{
#ifdef __linux__
  int policy = sched_getscheduler (0);
  return policy < 0 ? SCHED_OTHER : policy;
#else
  return SCHED_OTHER;
#endif
}

/* Moves the calling thread to @policy (priority 0); FALSE when refused, e.g.
 * leaving SCHED_IDLE without the right (RLIMIT_NICE) to do so. */
static gboolean
set_thread_policy (int policy)
{
#ifdef __linux__
  struct sched_param param = { .sched_priority = 0 };
  return sched_setscheduler (0, policy, &param) == 0;
#else
  return policy == SCHED_OTHER;
#endif
}

/* Loops posted to the helpers so far (gl_parallel_get_n_dispatches); atomic. */
static guint64 n_dispatches;

static void
run_chunks (GlSlotRangeFunc func, gpointer data, guint slot, gsize n, gsize chunk, gint n_chunks)
{
  gint i;
  while ((i = g_atomic_int_add (&pool.next, 1)) < n_chunks)
    {
      const gsize begin = (gsize) i * chunk;
      func (begin, MIN (n, begin + chunk), slot, data);
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
  const guint index = GPOINTER_TO_UINT (user_data); /* this helper's place in helpers[] */
  guint64 seen = 0;
  int policy = thread_policy ();
  g_mutex_lock (&pool.lock);
  for (;;)
    {
      while (pool.generation == seen)
        g_cond_wait (&pool.wake, &pool.lock);
      seen = pool.generation;
      /* Helpers beyond the thread count of this task (made when a larger
       * count was asked) leave it to the others. */
      if (index >= pool.n_joining)
        continue;
      pool.active++;
      GlSlotRangeFunc func = pool.func;
      gpointer data = pool.data;
      const gsize n = pool.n, chunk = pool.chunk;
      const gint n_chunks = pool.n_chunks;
      const int wanted = pool.policy;
      g_mutex_unlock (&pool.lock);
      if (wanted != policy)
        {
          set_thread_policy (wanted);
          policy = thread_policy ();
        }
      run_chunks (func, data, index + 1, n, chunk, n_chunks);
      g_mutex_lock (&pool.lock);
      pool.active--;
      g_cond_broadcast (&pool.done);
    }
  return NULL;
}

void
gl_parallel_set_n_threads (guint n_threads)
{
  g_atomic_int_set (&n_threads_wanted, (gint) MIN (n_threads, (guint) MAX_HELPERS + 1));
}

/* Until gl_parallel_set_n_threads is called: as many threads as OpenBLAS
 * was given when it loaded (OPENBLAS_NUM_THREADS, or every core). */
static gint
default_n_threads (void)
{
  return (gint) gl_blas_get_default_threads ();
}

/* The machine's cores, read once: g_get_num_processors () opens and reads
 * /sys/devices/system/cpu/online on every call, and every parallel loop
 * asks (1,200 times a second while training, three system calls each). */
static gint
n_processors (void)
{
  static gsize once = 0;
  static gint n;
  if (g_once_init_enter (&once))
    {
      n = (gint) g_get_num_processors ();
      g_once_init_leave (&once, 1);
    }
  return n;
}

guint
gl_parallel_get_n_threads (void)
{
  gint n = g_atomic_int_get (&n_threads_wanted);
  if (n < 0)
    n = default_n_threads ();
  if (n == 0)
    n = n_processors ();
  return (guint) CLAMP (n, 1, MAX_HELPERS + 1);
}

void
gl_parallel_for_slots (gsize n, gsize min_chunk, guint max_slots, GlSlotRangeFunc func, gpointer data)
{
  const guint threads = MIN (gl_parallel_get_n_threads (), MAX (max_slots, 1));
  if (min_chunk == 0)
    min_chunk = 1;
  const gsize max_chunks = MAX (n / min_chunk, 1);
  const gsize n_chunks = MIN ((gsize) threads * CHUNKS_PER_THREAD, max_chunks);
  if (threads <= 1 || n_chunks <= 1 || !g_mutex_trylock (&dispatch_lock))
    {
      if (n > 0)
        func (0, n, 0, data);
      return;
    }
  __atomic_fetch_add (&n_dispatches, 1, __ATOMIC_RELAXED);

  g_mutex_lock (&pool.lock);
  while (n_helpers < threads - 1)
    {
      helpers[n_helpers] = g_thread_new ("gl-parallel", helper_main, GUINT_TO_POINTER (n_helpers));
      n_helpers++;
    }
  /* A helper still inside the previous task holds its copy of it. */
  while (pool.active > 0)
    g_cond_wait (&pool.done, &pool.lock);
  const gsize chunk = (n + n_chunks - 1) / n_chunks;
  pool.func = func;
  pool.data = data;
  pool.n = n;
  pool.chunk = chunk;
  pool.n_chunks = (gint) ((n + chunk - 1) / chunk);
  pool.policy = thread_policy ();
  pool.n_joining = threads - 1;
  g_atomic_int_set (&pool.next, 0);
  g_atomic_int_set (&pool.finished, 0);
  pool.generation++;
  g_cond_broadcast (&pool.wake);
  const gint total = pool.n_chunks;
  g_mutex_unlock (&pool.lock);

  run_chunks (func, data, 0, n, chunk, total);

  g_mutex_lock (&pool.lock);
  while (g_atomic_int_get (&pool.finished) < total)
    g_cond_wait (&pool.done, &pool.lock);
  g_mutex_unlock (&pool.lock);
  g_mutex_unlock (&dispatch_lock);
}

typedef struct
{
  GlRangeFunc func;
  gpointer data;
} Unslotted;

static void
run_unslotted (gsize begin, gsize end, guint slot, gpointer data)
{
  const Unslotted *u = data;
  u->func (begin, end, u->data);
}

void
gl_parallel_for (gsize n, gsize min_chunk, GlRangeFunc func, gpointer data)
{
  Unslotted u = { func, data };
  gl_parallel_for_slots (n, min_chunk, MAX_HELPERS + 1, run_unslotted, &u);
}

guint64
gl_parallel_get_n_dispatches (void)
{
  return __atomic_load_n (&n_dispatches, __ATOMIC_RELAXED);
}

/* ---- matrix products ---- */

/* Below this many multiply-adds per block, splitting costs more than it saves. */
#define SGEMM_MIN_BLOCK (1 << 18)

typedef struct
{
  gboolean trans_a, trans_b, by_rows;
  gboolean own;  /* on gl_gemm_avx512, else OpenBLAS */
  gsize unit;    /* rows (or columns) per item of the loop: the last item may have fewer */
  gsize m, n, k, lda, ldb, ldc;
  float alpha, beta;
  const float *a, *b;
  float *c;
  const float *bias; /* (n) added to each row of C (gl_sgemm_bias_relu; beta is then 0), or NULL */
  gboolean relu;     /* C ends as max (0, C) */
} SgemmJob;

/* OpenBLAS with the epilogue of gl_sgemm_bias_relu: the block of C (m, n)
 * at @c filled with the bias first (beta 1), the ReLU after, while the block
 * is in the cache. */
static void
blas_block (const SgemmJob *j, gsize m, gsize n, const float *a, const float *b, const float *bias, float *c)
{
  if (bias != NULL)
    for (gsize i = 0; i < m; i++)
      memcpy (c + i * j->ldc, bias, n * sizeof (float));
  gl_blas_sgemm (j->trans_a, j->trans_b, (int) m, (int) n, (int) j->k, j->alpha, a, (int) j->lda, b, (int) j->ldb,
                 bias != NULL ? 1.0f : j->beta, c, (int) j->ldc);
  if (j->relu)
    for (gsize i = 0; i < m; i++)
      for (gsize q = 0; q < n; q++)
        c[i * j->ldc + q] = c[i * j->ldc + q] > 0.0f ? c[i * j->ldc + q] : 0.0f;
}

static void
sgemm_block (const SgemmJob *j, gsize i0, gsize m, gsize j0, gsize n)
{
  /* Row i of op(A): row i of A, or column i of A when transposed; column j
   * of op(B): column j of B, or row j of B when transposed. */
  const float *a = j->a + (j->trans_a ? i0 : i0 * j->lda);
  const float *b = j->b + (j->trans_b ? j0 * j->ldb : j0);
  const float *bias = j->bias != NULL ? j->bias + j0 : NULL;
  float *c = j->c + i0 * j->ldc + j0;
  if (!j->own)
    blas_block (j, m, n, a, b, bias, c);
  else if (j->bias != NULL || j->relu)
    gl_gemm_avx512_bias_relu (m, n, j->k, a, j->lda, b, j->ldb, bias, j->relu, c, j->ldc);
  else
    gl_gemm_avx512 (j->trans_a, j->trans_b, m, n, j->k, j->alpha, a, j->lda, b, j->ldb, j->beta, c, j->ldc);
}

static void
sgemm_chunk (gsize begin, gsize end, gpointer data)
{
  const SgemmJob *j = data;
  const gsize lines = j->by_rows ? j->m : j->n;
  const gsize first = begin * j->unit, last = MIN (end * j->unit, lines);
  if (j->by_rows)
    sgemm_block (j, first, last - first, 0, j->n);
  else
    sgemm_block (j, 0, j->m, first, last - first);
}

static void
run_sgemm (SgemmJob *j)
{
  if (j->m == 0 || j->n == 0)
    return;
  /* The engine's kernel gets blocks of whole register blocks (but the
   * last), so that no block is cut into two part-filled ones. */
  j->unit = j->own ? (j->by_rows ? GL_GEMM_MR : GL_GEMM_NR) : 1;
  /* Every sgemm runs on the thread that calls it (see gl-parallel.h). */
  gl_blas_set_num_threads (1);
  const gsize lines = j->by_rows ? j->m : j->n, other = j->by_rows ? j->n : j->m;
  const gsize per_line = MAX (other * MAX (j->k, 1), 1);
  const gsize min_lines = MAX (SGEMM_MIN_BLOCK / per_line, 16);
  gl_parallel_for ((lines + j->unit - 1) / j->unit, (min_lines + j->unit - 1) / j->unit, sgemm_chunk, j);
}

void
gl_sgemm (gboolean trans_a, gboolean trans_b, gsize m, gsize n, gsize k, float alpha, const float *a, gsize lda,
          const float *b, gsize ldb, float beta, float *c, gsize ldc)
{
  SgemmJob j = { trans_a, trans_b, m >= n, gl_blas_get_own_gemm (), 1, m, n, k, lda, ldb, ldc, alpha, beta,
                 a, b, c, NULL, FALSE };
  run_sgemm (&j);
}

void
gl_sgemm_bias_relu (gsize m, gsize n, gsize k, const float *a, gsize lda, const float *b, gsize ldb,
                    const float *bias, gboolean relu, float *c, gsize ldc)
{
  SgemmJob j = { FALSE, FALSE, m >= n, gl_blas_get_own_gemm (), 1, m, n, k, lda, ldb, ldc, 1.0f, 0.0f,
                 a, b, c, bias, relu };
  run_sgemm (&j);
}
