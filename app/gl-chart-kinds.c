/* gl-chart-kinds.c — the five Insights charts: drawing, what is under a
 * point (tooltips, clicks) and every number as text (accessibility). */
#include "app/gl-chart-private.h"

#include <math.h>

/* ---- Shared ---- */

/* A step of 1, 2 or 5 × 10^k giving at most about six ticks up to @max. */
static double
nice_step (double max)
{
  double raw = max / 5, mag = pow (10, floor (log10 (MAX (raw, 1e-9))));
  double r = raw / mag;
  return (r <= 1 ? 1 : r <= 2 ? 2 : r <= 5 ? 5 : 10) * mag;
}

static double
band (const GlChartFrame *f, guint n)
{
  return n ? f->plot.h / n : f->plot.h;
}

/* The class row under @y of a row chart, or -1. */
static gint
row_at (const GlChartFrame *f, guint n, double x, double y)
{
  if (n == 0 || y < f->plot.y || y >= f->plot.y + f->plot.h || x < 0 || x > f->width)
    return -1;
  gint k = (gint)floor ((y - f->plot.y) / band (f, n));
  return k >= 0 && k < (gint)n ? k : -1;
}

static void
row_labels (cairo_t *cr, const GlChartPalette *p, const GlChartFrame *f, const GlInsights *r)
{
  double b = band (f, r->n_classes);
  double scale = MIN (1.0, b / (f->fs * 1.3));
  if (scale < 0.6)
    return; /* too many classes for names: the tooltip and the table have them */
  for (guint k = 0; k < r->n_classes; k++)
    gl_chart_text (cr, p, &p->text, r->class_names[k], f->plot.x - f->fs * 0.5, f->plot.y + (k + 0.5) * b, 1,
                   0.5, f->label_w, scale, FALSE);
}

static void
bar (cairo_t *cr, const GlChartColour *c, double x, double y, double w, double h)
{
  gl_chart_set_colour (cr, c);
  cairo_rectangle (cr, x, y, MAX (w, 0), h);
  cairo_fill (cr);
}

/* ---- Learning curve ---- */

static double
lc_xmax (const GlInsights *r)
{
  guint64 m = 1;
  for (guint i = 0; i < r->n_versions; i++)
    m = MAX (m, r->versions[i].n_labels);
  double step = nice_step ((double)m);
  return ceil ((double)m * 1.04 / step) * step;
}

static double
lc_x (const GlChartFrame *f, double xmax, double labels)
{
  return f->plot.x + labels / xmax * f->plot.w;
}

static double
unit_y (const GlChartFrame *f, double v)
{
  return f->plot.y + f->plot.h - CLAMP (v, 0.0, 1.0) * f->plot.h;
}

static void
draw_learning_curve (cairo_t *cr, const GlInsights *r, const GlChartPalette *p, const GlChartFrame *f)
{
  const char *names[] = { "Validation accuracy", "Macro-F1", "Audit accuracy, 95% CI" };
  gl_chart_header (cr, p, f, "Learning curve",
                   "One point per model version, against the labels it was trained on", names, p->series, 3);
  gl_chart_unit_axis (cr, p, f, TRUE, 1.0, FALSE);
  double xmax = lc_xmax (r), step = nice_step (xmax);
  cairo_set_line_width (cr, 1);
  for (double v = 0; v <= xmax + step * 1e-6; v += step)
    {
      char buf[32];
      g_snprintf (buf, sizeof buf, "%.0f", v);
      gl_chart_text (cr, p, &p->muted, buf, lc_x (f, xmax, v), f->plot.y + f->plot.h + f->fs * 0.3, 0.5, 0, 0,
                     0.9, FALSE);
    }
  gl_chart_text (cr, p, &p->muted, "labels", f->plot.x + f->plot.w, f->plot.y + f->plot.h + f->fs * 1.6, 1, 0,
                 0, 0.9, FALSE);
  /* The chosen version. */
  const GlInsightsVersion *sel = &r->versions[r->version_index];
  double sx = round (lc_x (f, xmax, (double)sel->n_labels)) + 0.5;
  gl_chart_set_colour (cr, &p->muted);
  double dash[] = { 3, 3 };
  cairo_set_dash (cr, dash, 2, 0);
  cairo_move_to (cr, sx, f->plot.y);
  cairo_line_to (cr, sx, f->plot.y + f->plot.h);
  cairo_stroke (cr);
  cairo_set_dash (cr, NULL, 0, 0);
  /* Two lines with points; NaN breaks a line. */
  cairo_set_line_width (cr, 2);
  for (int s = 0; s < 2; s++)
    {
      gboolean open = FALSE;
      for (guint i = 0; i < r->n_versions; i++)
        {
          double v = s == 0 ? r->versions[i].val_accuracy : r->versions[i].macro_f1;
          if (isnan (v))
            {
              open = FALSE;
              continue;
            }
          double x = lc_x (f, xmax, (double)r->versions[i].n_labels), y = unit_y (f, v);
          if (open)
            cairo_line_to (cr, x, y);
          else
            cairo_move_to (cr, x, y);
          open = TRUE;
        }
      gl_chart_set_colour (cr, &p->series[s]);
      cairo_stroke (cr);
      for (guint i = 0; i < r->n_versions; i++)
        {
          double v = s == 0 ? r->versions[i].val_accuracy : r->versions[i].macro_f1;
          if (!isnan (v))
            {
              cairo_arc (cr, lc_x (f, xmax, (double)r->versions[i].n_labels), unit_y (f, v), 3.5, 0,
                         2 * G_PI);
              cairo_fill (cr);
            }
        }
    }
  /* Audit accuracy: a square with its interval. */
  gl_chart_set_colour (cr, &p->series[2]);
  cairo_set_line_width (cr, 1.5);
  for (guint i = 0; i < r->n_versions; i++)
    {
      const GlProportion *a = &r->versions[i].audit;
      if (a->n == 0)
        continue;
      double x = lc_x (f, xmax, (double)r->versions[i].n_labels) + 5;
      cairo_move_to (cr, x, unit_y (f, a->low));
      cairo_line_to (cr, x, unit_y (f, a->high));
      cairo_move_to (cr, x - 3, unit_y (f, a->low));
      cairo_line_to (cr, x + 3, unit_y (f, a->low));
      cairo_move_to (cr, x - 3, unit_y (f, a->high));
      cairo_line_to (cr, x + 3, unit_y (f, a->high));
      cairo_stroke (cr);
      cairo_rectangle (cr, x - 3, unit_y (f, a->rate) - 3, 6, 6);
      cairo_fill (cr);
    }
}

static char *
version_text (const GlInsightsVersion *v, gboolean chosen)
{
  char a[32], b[32];
  GString *s = g_string_new (NULL);
  g_string_append_printf (s,
                          "Version %" G_GINT64_FORMAT "%s: %" G_GUINT64_FORMAT
                          " labels; validation accuracy %s,"
                          " macro-F1 %s",
                          v->id, chosen ? " (shown)" : "", v->n_labels, gl_chart_number (a, v->val_accuracy),
                          gl_chart_number (b, v->macro_f1));
  if (v->audit.n > 0)
    g_string_append_printf (s,
                            "; audit accuracy %.3f (95%% CI %.3f–%.3f, %" G_GUINT64_FORMAT " audit labels)",
                            v->audit.rate, v->audit.low, v->audit.high, v->audit.n);
  else
    g_string_append (s, "; no audit labels");
  return g_string_free (s, FALSE);
}

static char *
query_learning_curve (const GlInsights *r, const GlChartFrame *f, double x, double y)
{
  if (y < f->plot.y - 6 || y > f->plot.y + f->plot.h + 6)
    return NULL;
  double xmax = lc_xmax (r), best = 10;
  gint k = -1;
  for (guint i = 0; i < r->n_versions; i++)
    {
      double d = fabs (lc_x (f, xmax, (double)r->versions[i].n_labels) - x);
      if (d <= best)
        best = d, k = (gint)i;
    }
  return k < 0 ? NULL : version_text (&r->versions[k], (guint)k == r->version_index);
}

/* ---- Per-class metrics ---- */

static void
draw_class_metrics (cairo_t *cr, const GlInsights *r, const GlChartPalette *p, const GlChartFrame *f)
{
  const char *names[] = { "Precision", "Recall", "F1" };
  g_autofree char *sub
      = r->previous_id >= 0
            ? g_strdup_printf ("Validation labels of version %" G_GINT64_FORMAT
                               "; the tick marks version %" G_GINT64_FORMAT,
                               r->model_id, r->previous_id)
            : g_strdup_printf ("Validation labels of version %" G_GINT64_FORMAT " (the first)", r->model_id);
  gl_chart_header (cr, p, f, "Per-class metrics", sub, names, p->series, 3);
  if (!r->has_metrics || r->n_classes == 0)
    {
      gl_chart_empty (cr, p, f, "This version has no validation metrics");
      return;
    }
  gl_chart_unit_axis (cr, p, f, FALSE, 1.0, FALSE);
  row_labels (cr, p, f, r);
  double b = band (f, r->n_classes), h = b * 0.8 / 3;
  for (guint k = 0; k < r->n_classes; k++)
    {
      const double v[3] = { r->precision[k], r->recall[k], r->f1[k] };
      const double d[3] = { r->d_precision[k], r->d_recall[k], r->d_f1[k] };
      for (int s = 0; s < 3; s++)
        {
          double y = f->plot.y + k * b + b * 0.1 + s * h;
          if (isnan (v[s]))
            continue;
          bar (cr, &p->series[s], f->plot.x, y + 0.5, v[s] * f->plot.w, h - 1);
          if (!isnan (d[s]))
            {
              /* The previous version's value, coloured by the direction of the change. */
              double px = round (f->plot.x + CLAMP (v[s] - d[s], 0.0, 1.0) * f->plot.w) + 0.5;
              gl_chart_set_colour (cr, d[s] >= 0 ? &p->good : &p->bad);
              cairo_set_line_width (cr, 2);
              cairo_move_to (cr, px, y - 1);
              cairo_line_to (cr, px, y + h + 1);
              cairo_stroke (cr);
            }
        }
    }
}

static char *
class_metrics_text (const GlInsights *r, guint k)
{
  char a[32], b[32], c[32], da[32], db[32], dc[32];
  return g_strdup_printf (
      "%s: precision %s (%s), recall %s (%s), F1 %s (%s); %" G_GUINT64_FORMAT " validation labels",
      r->class_names[k], gl_chart_number (a, r->precision[k]), gl_chart_change (da, r->d_precision[k]),
      gl_chart_number (b, r->recall[k]), gl_chart_change (db, r->d_recall[k]), gl_chart_number (c, r->f1[k]),
      gl_chart_change (dc, r->d_f1[k]), r->support[k]);
}

/* ---- Class balance ---- */

static double
share (guint64 part, guint64 total)
{
  return total ? (double)part / (double)total : NAN;
}

static double
balance_max (const GlInsights *r)
{
  double m = 0.05;
  for (guint k = 0; k < r->n_classes; k++)
    {
      double a = share (r->labeled[k], r->labeled_total), b = share (r->predicted[k], r->predicted_total);
      m = MAX (m, isnan (a) ? 0 : a);
      m = MAX (m, isnan (b) ? 0 : b);
    }
  double step = m > 0.5 ? 0.2 : m > 0.2 ? 0.1 : m > 0.1 ? 0.05 : 0.02;
  return MIN (1.0, ceil (m / step - 1e-9) * step);
}

static void
draw_class_balance (cairo_t *cr, const GlInsights *r, const GlChartPalette *p, const GlChartFrame *f)
{
  const char *names[] = { "Share of the labels", "Share of the unlabeled pool, predicted" };
  g_autofree char *sub = g_strdup_printf ("%" G_GUINT64_FORMAT " labels; %" G_GUINT64_FORMAT
                                          " unlabeled images as predicted by version %" G_GINT64_FORMAT,
                                          r->labeled_total, r->predicted_total, r->model_id);
  gl_chart_header (cr, p, f, "Class balance", sub, names, p->series, 2);
  if (r->n_classes == 0 || (r->labeled_total == 0 && r->predicted_total == 0))
    {
      gl_chart_empty (cr, p, f, "No labels and no predictions yet");
      return;
    }
  double max = balance_max (r);
  gl_chart_unit_axis (cr, p, f, FALSE, max, TRUE);
  row_labels (cr, p, f, r);
  double b = band (f, r->n_classes), h = b * 0.8 / 2;
  for (guint k = 0; k < r->n_classes; k++)
    {
      double v[2] = { share (r->labeled[k], r->labeled_total), share (r->predicted[k], r->predicted_total) };
      for (int s = 0; s < 2; s++)
        if (!isnan (v[s]))
          bar (cr, &p->series[s], f->plot.x, f->plot.y + k * b + b * 0.1 + s * h + 0.5,
               v[s] / max * f->plot.w, h - 1);
    }
}

static char *
class_balance_text (const GlInsights *r, guint k)
{
  return g_strdup_printf (
      "%s: %" G_GUINT64_FORMAT " labeled (%.1f%% of %" G_GUINT64_FORMAT " labels); %" G_GUINT64_FORMAT
      " unlabeled images predicted as it (%.1f%% of %" G_GUINT64_FORMAT ")",
      r->class_names[k], r->labeled[k],
      100 * (r->labeled_total ? share (r->labeled[k], r->labeled_total) : 0), r->labeled_total,
      r->predicted[k], 100 * (r->predicted_total ? share (r->predicted[k], r->predicted_total) : 0),
      r->predicted_total);
}

/* ---- Confusion matrix ---- */

static void
draw_confusion (cairo_t *cr, const GlInsights *r, const GlChartPalette *p, const GlChartFrame *f)
{
  g_autofree char *sub
      = g_strdup_printf ("%" G_GUINT64_FORMAT " validation labels of version %" G_GINT64_FORMAT
                         " · rows: label, columns: prediction",
                         r->confusion_total, r->model_id);
  gl_chart_header (cr, p, f, "Confusion matrix", sub, NULL, NULL, 0);
  if (r->confusion == NULL || r->n_classes == 0)
    {
      gl_chart_empty (cr, p, f, "This version has no confusion matrix");
      return;
    }
  guint n = r->n_classes;
  double c = f->cell, fs = f->fs;
  /* An empty cell is the grid colour over the background; the others go
   * from there to the heat colour with the row's share, so that a small
   * share never looks emptier than nothing (dark style included). */
  const GlChartColour *g = &p->grid, *bg = &p->background;
  GlChartColour base
      = { bg->r + (g->r - bg->r) * g->a, bg->g + (g->g - bg->g) * g->a, bg->b + (g->b - bg->b) * g->a, 1.0 };
  GlChartColour empty = base;
  double label_scale = MIN (1.0, c / (fs * 1.3));
  for (guint i = 0; i < n; i++)
    {
      char num[16];
      g_snprintf (num, sizeof num, "%u", i + 1);
      if (label_scale >= 0.6)
        {
          gl_chart_text (cr, p, &p->muted, num, f->plot.x - fs * 0.4, f->plot.y + (i + 0.5) * c, 1, 0.5, 0,
                         label_scale, FALSE);
          gl_chart_text (cr, p, &p->text, r->class_names[i], f->plot.x - fs * 2.2, f->plot.y + (i + 0.5) * c,
                         1, 0.5, f->label_w, label_scale, FALSE);
          gl_chart_text (cr, p, &p->muted, num, f->plot.x + (i + 0.5) * c, f->plot.y - fs * 0.3, 0.5, 1, 0,
                         label_scale, FALSE);
        }
      for (guint j = 0; j < n; j++)
        {
          double s = gl_insights_confusion_share (r, i, j);
          guint32 count = r->confusion[i * n + j];
          GlChartColour fill
              = count ? gl_chart_mix (&base, &p->heat, 0.12 + 0.88 * (isnan (s) ? 0 : s)) : empty;
          double x = f->plot.x + j * c, y = f->plot.y + i * c;
          bar (cr, &fill, x + 0.5, y + 0.5, c - 1, c - 1);
          if (count == 0 || c < fs * 1.6)
            continue;
          char text[32];
          g_snprintf (text, sizeof text, "%u", count);
          GlChartColour ink = s > 0.45 ? (GlChartColour){ 1, 1, 1, 1 } : p->text;
          gboolean two = c >= fs * 3.4;
          gl_chart_text (cr, p, &ink, text, x + c / 2, y + c / 2, 0.5, two ? 0.9 : 0.5, c - 2, 0.9, i == j);
          if (two)
            {
              g_snprintf (text, sizeof text, "%.0f%%", 100 * s);
              gl_chart_text (cr, p, &ink, text, x + c / 2, y + c / 2, 0.5, -0.05, c - 2, 0.8, FALSE);
            }
        }
    }
}

static guint64
row_total (const GlInsights *r, guint i)
{
  guint64 row = 0;
  for (guint j = 0; j < r->n_classes; j++)
    row += r->confusion[i * r->n_classes + j];
  return row;
}

static char *
confusion_text (const GlInsights *r, guint i, guint j)
{
  double s = gl_insights_confusion_share (r, i, j);
  return g_strdup_printf ("Labeled %s, predicted %s: %u of %" G_GUINT64_FORMAT " (%.1f%% of the row)\n"
                          "Click to show the images labeled %s and predicted %s in the Gallery",
                          r->class_names[i], r->class_names[j], r->confusion[i * r->n_classes + j],
                          row_total (r, i), isnan (s) ? 0.0 : 100 * s, r->class_names[i], r->class_names[j]);
}

static char *
query_confusion (const GlInsights *r, const GlChartFrame *f, double x, double y, gint *row, gint *column)
{
  if (r->confusion == NULL || f->cell <= 0 || x < f->plot.x || y < f->plot.y || x >= f->plot.x + f->plot.w
      || y >= f->plot.y + f->plot.h)
    return NULL;
  guint i = (guint)((y - f->plot.y) / f->cell), j = (guint)((x - f->plot.x) / f->cell);
  if (i >= r->n_classes || j >= r->n_classes)
    return NULL;
  *row = (gint)i;
  *column = (gint)j;
  return confusion_text (r, i, j);
}

/* ---- Reliability diagram ---- */

static void
draw_reliability (cairo_t *cr, const GlInsights *r, const GlChartPalette *p, const GlChartFrame *f)
{
  const char *names[] = { "Accuracy per bin", "Mean confidence", "Perfect calibration" };
  const GlChartColour colours[] = { p->series[0], p->bad, p->muted };
  char a[32], b[32];
  g_autofree char *sub = g_strdup_printf ("ECE %s on %" G_GUINT64_FORMAT " unseen labels (%" G_GUINT64_FORMAT
                                          " audit, %" G_GUINT64_FORMAT " test) · validation ECE %s",
                                          gl_chart_number (a, r->ece), r->reliability_n,
                                          r->reliability_audit_n, r->reliability_n - r->reliability_audit_n,
                                          gl_chart_number (b, r->versions[r->version_index].ece));
  gl_chart_header (cr, p, f, "Reliability diagram", sub, names, colours, 3);
  gl_chart_unit_axis (cr, p, f, TRUE, 1.0, FALSE);
  for (int i = 0; i <= 5; i++)
    {
      char buf[16];
      g_snprintf (buf, sizeof buf, "%.1f", i * 0.2);
      gl_chart_text (cr, p, &p->muted, buf, f->plot.x + i * 0.2 * f->plot.w,
                     f->plot.y + f->plot.h + f->fs * 0.3, 0.5, 0, 0, 0.9, FALSE);
    }
  gl_chart_text (cr, p, &p->muted, "confidence (top-class probability)", f->plot.x + f->plot.w,
                 f->plot.y + f->plot.h + f->fs * 1.6, 1, 0, 0, 0.9, FALSE);
  if (r->reliability_n == 0)
    {
      gl_chart_empty (cr, p, f, "No audit or held-out test label has a prediction of this version");
      return;
    }
  double bw = f->plot.w / GL_INSIGHTS_BINS;
  for (guint k = 0; k < GL_INSIGHTS_BINS; k++)
    {
      if (r->bin_count[k] == 0)
        continue;
      double acc = gl_insights_bin_accuracy (r, k), conf = r->bin_confidence[k];
      double x = f->plot.x + k * bw + 1;
      bar (cr, &p->series[0], x, unit_y (f, acc), bw - 2, f->plot.y + f->plot.h - unit_y (f, acc));
      /* The bin's mean confidence and its gap to the accuracy. */
      gl_chart_set_colour (cr, &p->bad);
      cairo_set_line_width (cr, 1.5);
      double cx = round (x + (bw - 2) / 2) + 0.5;
      cairo_move_to (cr, cx, unit_y (f, acc));
      cairo_line_to (cr, cx, unit_y (f, conf));
      cairo_stroke (cr);
      cairo_set_line_width (cr, 3);
      cairo_move_to (cr, x, unit_y (f, conf));
      cairo_line_to (cr, x + bw - 2, unit_y (f, conf));
      cairo_stroke (cr);
    }
  gl_chart_set_colour (cr, &p->muted);
  cairo_set_line_width (cr, 1.5);
  double dash[] = { 5, 4 };
  cairo_set_dash (cr, dash, 2, 0);
  cairo_move_to (cr, f->plot.x, f->plot.y + f->plot.h);
  cairo_line_to (cr, f->plot.x + f->plot.w, f->plot.y);
  cairo_stroke (cr);
  cairo_set_dash (cr, NULL, 0, 0);
}

static char *
bin_text (const GlInsights *r, guint k)
{
  char a[32], b[32];
  return g_strdup_printf (
      "Confidence %.2f–%.2f: %" G_GUINT64_FORMAT " labels, mean confidence %s, accuracy %s",
      (double)k / GL_INSIGHTS_BINS, (double)(k + 1) / GL_INSIGHTS_BINS, r->bin_count[k],
      gl_chart_number (a, r->bin_confidence[k]), gl_chart_number (b, gl_insights_bin_accuracy (r, k)));
}

static char *
query_reliability (const GlInsights *r, const GlChartFrame *f, double x, double y)
{
  if (r->reliability_n == 0 || x < f->plot.x || x >= f->plot.x + f->plot.w || y < f->plot.y
      || y > f->plot.y + f->plot.h)
    return NULL;
  guint k = MIN ((guint)((x - f->plot.x) / (f->plot.w / GL_INSIGHTS_BINS)), GL_INSIGHTS_BINS - 1);
  return bin_text (r, k);
}

/* ---- Dispatch ---- */

void
gl_chart_draw_kind (cairo_t *cr, GlChartKind kind, const GlInsights *r, const GlChartPalette *p,
                    const GlChartFrame *f)
{
  switch (kind)
    {
      case GL_CHART_LEARNING_CURVE:
        draw_learning_curve (cr, r, p, f);
        break;
      case GL_CHART_CLASS_METRICS:
        draw_class_metrics (cr, r, p, f);
        break;
      case GL_CHART_CLASS_BALANCE:
        draw_class_balance (cr, r, p, f);
        break;
      case GL_CHART_CONFUSION:
        draw_confusion (cr, r, p, f);
        break;
      case GL_CHART_RELIABILITY:
      default:
        draw_reliability (cr, r, p, f);
        break;
    }
}

char *
gl_chart_query_kind (GlChartKind kind, const GlInsights *r, const GlChartFrame *f, double x, double y,
                     gint *row, gint *column)
{
  gint k;
  switch (kind)
    {
      case GL_CHART_LEARNING_CURVE:
        return query_learning_curve (r, f, x, y);
      case GL_CHART_CLASS_METRICS:
        k = r->has_metrics ? row_at (f, r->n_classes, x, y) : -1;
        return k < 0 ? NULL : class_metrics_text (r, (guint)k);
      case GL_CHART_CLASS_BALANCE:
        k = row_at (f, r->n_classes, x, y);
        return k < 0 ? NULL : class_balance_text (r, (guint)k);
      case GL_CHART_CONFUSION:
        return query_confusion (r, f, x, y, row, column);
      case GL_CHART_RELIABILITY:
      default:
        return query_reliability (r, f, x, y);
    }
}

char *
gl_chart_describe_kind (GlChartKind kind, const GlInsights *r)
{
  GString *s = g_string_new (NULL);
  switch (kind)
    {
      case GL_CHART_LEARNING_CURVE:
        for (guint i = 0; i < r->n_versions; i++)
          {
            g_autofree char *t = version_text (&r->versions[i], i == r->version_index);
            g_string_append_printf (s, "%s\n", t);
          }
        break;
      case GL_CHART_CLASS_METRICS:
        if (!r->has_metrics)
          g_string_append (s, "This version has no validation metrics.\n");
        for (guint k = 0; r->has_metrics && k < r->n_classes; k++)
          {
            g_autofree char *t = class_metrics_text (r, k);
            g_string_append_printf (s, "%s\n", t);
          }
        if (r->has_metrics && r->previous_id >= 0)
          g_string_append_printf (s, "Changes in brackets are since version %" G_GINT64_FORMAT ".\n",
                                  r->previous_id);
        break;
      case GL_CHART_CLASS_BALANCE:
        for (guint k = 0; k < r->n_classes; k++)
          {
            g_autofree char *t = class_balance_text (r, k);
            g_string_append_printf (s, "%s\n", t);
          }
        break;
      case GL_CHART_CONFUSION:
        if (r->confusion == NULL)
          g_string_append (s, "This version has no confusion matrix.\n");
        else
          g_string_append (s, "Validation labels; each cell's colour is its share of the row.\n");
        for (guint i = 0; r->confusion && i < r->n_classes; i++)
          {
            g_string_append_printf (s, "Labeled %s (%" G_GUINT64_FORMAT "):", r->class_names[i],
                                    row_total (r, i));
            gboolean first = TRUE;
            for (guint j = 0; j < r->n_classes; j++)
              if (r->confusion[i * r->n_classes + j])
                {
                  g_string_append_printf (s, "%spredicted %s %u (%.1f%%)", first ? " " : ", ",
                                          r->class_names[j], r->confusion[i * r->n_classes + j],
                                          100 * gl_insights_confusion_share (r, i, j));
                  first = FALSE;
                }
            g_string_append (s, first ? " none\n" : "\n");
          }
        break;
      case GL_CHART_RELIABILITY:
      default:
        {
          char a[32];
          g_string_append_printf (s,
                                  "Expected calibration error %s on %" G_GUINT64_FORMAT
                                  " labels (%" G_GUINT64_FORMAT " audit, %" G_GUINT64_FORMAT
                                  " held-out test).\n",
                                  gl_chart_number (a, r->ece), r->reliability_n, r->reliability_audit_n,
                                  r->reliability_n - r->reliability_audit_n);
          for (guint k = 0; k < GL_INSIGHTS_BINS; k++)
            if (r->bin_count[k])
              {
                g_autofree char *t = bin_text (r, k);
                g_string_append_printf (s, "%s\n", t);
              }
          break;
        }
    }
  if (s->len > 0 && s->str[s->len - 1] == '\n')
    g_string_truncate (s, s->len - 1);
  return g_string_free (s, FALSE);
}
