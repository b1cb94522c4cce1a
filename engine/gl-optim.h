/* gl-optim.h — optimiser steps and learning-rate schedules over flat float
 * arrays (the parameters of one tensor and their gradients). */
#pragma once

#include <glib.h>

#include "engine/gl-net.h"

G_BEGIN_DECLS

/* SGD with momentum (PyTorch's form): g' = g + wd·w; v = μ·v + g'; w −= lr·v.
 * @param, @grad, @velocity: (count). */
void gl_sgd_step (gsize count, float lr, float momentum, float weight_decay, float *param, const float *grad,
                  float *velocity);

/* AdamW: w −= lr·wd·w, then the Adam update with bias correction for step
 * @t (1-based). @param, @grad, @m, @v: (count). */
void gl_adam_step (gsize count, float lr, float beta1, float beta2, float epsilon, float weight_decay, guint64 t,
                   float *param, const float *grad, float *m, float *v);

/* The learning rate at optimiser step @step (0-based) of @total_steps planned
 * (0 = unknown: cosine acts as constant), in epoch @epoch (0-based). */
float gl_schedule_lr (GlSchedule schedule, float base_lr, guint64 step, guint64 total_steps, guint epoch,
                      guint step_epochs, float step_gamma);

G_END_DECLS
