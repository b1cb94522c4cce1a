/* gl-optim.c — SGD, AdamW, schedules. */
#include "engine/gl-optim.h"

#include <math.h>

#include "engine/gl-parallel.h"

/* Chunks of at least this many parameters per thread. */
#define MIN_CHUNK 16384

typedef struct
{
  float lr, momentum, beta1, beta2, epsilon, weight_decay;
  guint64 t;
  float *param;
  const float *grad;
  float *m, *v;
} StepJob;

static void
sgd_chunk (gsize b, gsize e, gpointer data)
{
  const StepJob *j = data;
  const float lr = j->lr, momentum = j->momentum, weight_decay = j->weight_decay;
  float *restrict param = j->param, *restrict velocity = j->m;
  const float *restrict grad = j->grad;
  for (gsize i = b; i < e; i++)
    {
      const float g = grad[i] + weight_decay * param[i];
      const float v = momentum * velocity[i] + g;
      velocity[i] = v;
      param[i] -= lr * v;
    }
}

void
gl_sgd_step (gsize count, float lr, float momentum, float weight_decay, float *param, const float *grad,
             float *velocity)
{
  StepJob j = { .lr = lr, .momentum = momentum, .weight_decay = weight_decay, .param = param, .grad = grad,
                .m = velocity };
  gl_parallel_for (count, MIN_CHUNK, sgd_chunk, &j);
}

static void
adam_chunk (gsize b, gsize e, gpointer data)
{
  const StepJob *j = data;
  const float lr = j->lr, beta1 = j->beta1, beta2 = j->beta2, epsilon = j->epsilon, weight_decay = j->weight_decay;
  const guint64 t = j->t;
  float *restrict param = j->param, *restrict m = j->m, *restrict v = j->v;
  const float *restrict grad = j->grad;
  const float c1 = 1.0f / (float) (1.0 - pow (beta1, (double) t));
  const float c2 = 1.0f / (float) (1.0 - pow (beta2, (double) t));
  const float decay = 1.0f - lr * weight_decay;
  for (gsize i = b; i < e; i++)
    {
      const float g = grad[i];
      const float mi = beta1 * m[i] + (1.0f - beta1) * g;
      const float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
      m[i] = mi;
      v[i] = vi;
      param[i] = param[i] * decay - lr * (mi * c1) / (sqrtf (vi * c2) + epsilon);
    }
}

void
gl_adam_step (gsize count, float lr, float beta1, float beta2, float epsilon, float weight_decay, guint64 t,
              float *param, const float *grad, float *m, float *v)
{
  StepJob j = { .lr = lr, .beta1 = beta1, .beta2 = beta2, .epsilon = epsilon, .weight_decay = weight_decay, .t = t,
                .param = param, .grad = grad, .m = m, .v = v };
  gl_parallel_for (count, MIN_CHUNK, adam_chunk, &j);
}

float
gl_schedule_lr (GlSchedule schedule, float base_lr, guint64 step, guint64 total_steps, guint epoch,
                guint step_epochs, float step_gamma)
{
  switch (schedule)
    {
    case GL_SCHEDULE_COSINE:
      if (total_steps == 0)
        return base_lr;
      if (step >= total_steps)
        return 0.0f;
      return (float) (base_lr * 0.5 * (1.0 + cos (G_PI * (double) step / (double) total_steps)));
    case GL_SCHEDULE_STEP:
      if (step_epochs == 0)
        return base_lr;
      return (float) (base_lr * pow (step_gamma, (double) (epoch / step_epochs)));
    case GL_SCHEDULE_CONSTANT:
    default:
      return base_lr;
    }
}
