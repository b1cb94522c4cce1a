/* gl-optim.c — SGD, AdamW, schedules. */
#include "engine/gl-optim.h"

#include <math.h>

void
gl_sgd_step (gsize count, float lr, float momentum, float weight_decay, float *restrict param,
             const float *restrict grad, float *restrict velocity)
{
  for (gsize i = 0; i < count; i++)
    {
      const float g = grad[i] + weight_decay * param[i];
      const float v = momentum * velocity[i] + g;
      velocity[i] = v;
      param[i] -= lr * v;
    }
}

void
gl_adam_step (gsize count, float lr, float beta1, float beta2, float epsilon, float weight_decay, guint64 t,
              float *restrict param, const float *restrict grad, float *restrict m, float *restrict v)
{
  const float c1 = 1.0f / (float) (1.0 - pow (beta1, (double) t));
  const float c2 = 1.0f / (float) (1.0 - pow (beta2, (double) t));
  const float decay = 1.0f - lr * weight_decay;
  for (gsize i = 0; i < count; i++)
    {
      const float g = grad[i];
      const float mi = beta1 * m[i] + (1.0f - beta1) * g;
      const float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
      m[i] = mi;
      v[i] = vi;
      param[i] = param[i] * decay - lr * (mi * c1) / (sqrtf (vi * c2) + epsilon);
    }
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
