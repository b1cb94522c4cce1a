/* gl-chart-drift.c — see gl-chart-drift.h. */
#include "app/gl-chart-drift.h"

#include <math.h>
#include <string.h>

#include "app/gl-chart-private.h"

#define PAD 12.0
/* Where a result has no level stored (before schema 8), the shading takes
 * 0.05, the only level Gleaner used then; the texts say "not recorded". */
#define SHADE_ALPHA 0.05

/* "Holm, α 0.05" or "Holm, α not recorded" into @buf. */
static const char *
level_text (char buf[48], double alpha)
{
  if (isnan (alpha))
    g_strlcpy (buf, "Holm, α not recorded", 48);
  else
    g_snprintf (buf, 48, "Holm, α %.2g", alpha);
  return buf;
}

/* Where the parts go, from the size and the timeline only. */
typedef struct
{
  GlChartFrame f;   /* title, subtitle, legend rows; plot: the grid */
  double strip_y;   /* the verdict strip above the grid */
  double strip_h;
  double cw, rh;    /* cell width and height */
  guint first;      /* the first column shown (the newest that fit are shown) */
  guint shown;      /* columns shown */
} DriftFrame;

static void
drift_frame (const GlDriftTimeline *t, const GlChartPalette *p, double width, double height, DriftFrame *d)
{
  memset (d, 0, sizeof *d);
  GlChartFrame *f = &d->f;
  f->width = width;
  f->height = height;
  f->fs = p->font_size * 96.0 / 72.0;
  double fs = f->fs;
  f->title_y = PAD;
  f->subtitle_y = f->title_y + fs * 1.7;
  f->legend_y = f->subtitle_y + fs * 1.6;
  f->label_w = CLAMP (width * 0.2, 60.0, 150.0);
  d->strip_y = f->legend_y + fs * 2.0;
  d->strip_h = fs * 1.0;
  double x = PAD + f->label_w + fs * 0.6, y = d->strip_y + d->strip_h + fs * 0.4;
  double avail_w = MAX (width - PAD - x, 1.0), avail_h = MAX (height - PAD - fs * 3.0 - y, 1.0);
  guint n = t ? t->n_classes : 0, cols = t ? t->n_columns : 0;
  guint fit = MAX ((guint)floor (avail_w / (fs * 1.2)), 1u);
  d->shown = MIN (cols, fit);
  d->first = cols - d->shown;
  d->cw = d->shown ? floor (MIN (avail_w / d->shown, fs * 5.0)) : 0;
  d->rh = n ? floor (MIN (avail_h / n, fs * 2.2)) : 0;
  f->plot = (GlChartRect){ x, y, MAX (d->cw * d->shown, 1.0), MAX (d->rh * n, 1.0) };
}

int
gl_chart_drift_natural_height (guint n_classes)
{
  double fs = 9 * 96.0 / 72.0;
  return (int)ceil (2 * PAD + fs * (1.7 + 1.6 + 2.0 + 1.0 + 0.4 + 3.0) + n_classes * fs * 2.0);
}

int
gl_chart_drift_export_height (const GlDriftTimeline *timeline)
{
  return MAX (GL_CHART_EXPORT_HEIGHT / 2, gl_chart_drift_natural_height (timeline ? timeline->n_classes : 0));
}

/* ---- Text ---- */

static char *
column_title (const GlDriftColumn *c)
{
  if (c->kind == GL_DB_DRIFT_BATCH)
    return g_strdup_printf ("Import batch %" G_GINT64_FORMAT ", images %" G_GINT64_FORMAT "–%" G_GINT64_FORMAT,
                            c->batch_id, c->first_image, c->last_image);
  return g_strdup_printf ("Window of %u, images %" G_GINT64_FORMAT "–%" G_GINT64_FORMAT, c->window_size,
                          c->first_image, c->last_image);
}

static char *
column_text (const GlDriftTimeline *t, const GlDriftColumn *c)
{
  g_autofree char *title = column_title (c);
  char a[32], b[32], s[32], psi[32];
  GString *out = g_string_new (NULL);
  char level[48];
  g_string_append_printf (out, "%s (%" G_GUINT64_FORMAT " images): %s, %u of %u tests fired (%s)", title,
                          c->n_images, c->drifted ? "drift" : "no drift", c->n_fired, c->n_tested,
                          level_text (level, c->alpha));
  gint k = c->top_class >= 0 ? gl_drift_timeline_class_index (t, c->top_class) : -1;
  if (k >= 0)
    g_string_append_printf (out, ", %s named first", t->class_names[k]);
  g_string_append_printf (out, "; estimated accuracy %s ± %s (95%%, CBPE on %" G_GUINT64_FORMAT
                          " images), reference %s; PSI of the class shares %s",
                          gl_chart_number (a, c->accuracy_est),
                          isnan (c->accuracy_se) ? "n/a" : gl_chart_number (s, 1.96 * c->accuracy_se),
                          c->n_images, gl_chart_number (b, c->accuracy_ref), gl_chart_number (psi, c->psi));
  return g_string_free (out, FALSE);
}

static char *
cell_text (const GlDriftTimeline *t, guint k, guint col, gboolean with_click)
{
  const GlDriftColumn *c = &t->columns[col];
  const GlDriftCell *cell = gl_drift_timeline_cell (t, k, col);
  g_autofree char *name = gl_drift_timeline_column_name (c);
  GString *out = g_string_new (NULL);
  char a[32], b[32], e[32], st[32], pe[32], ps[32], pr[32], prs[32];
  g_string_append_printf (out, "%s, %s: ", t->class_names[k], name);
  if (!cell->present)
    g_string_append (out, "not reported (the class was added after this result)");
  else if (cell->insufficient || cell->n_tested == 0)
    g_string_append_printf (out, "insufficient data, %" G_GUINT64_FORMAT " images predicted as it (< 30): no verdict",
                            cell->n_images);
  else
    {
      char level[48];
      g_string_append_printf (out, "%s, %u of %u tests fired (%s)", cell->drifted ? "drift" : "no drift",
                              cell->n_fired, cell->n_tested, level_text (level, c->alpha));
      g_string_append_printf (out, "; strongest: %s, statistic %s, p %s (adjusted %s), effect %s, n %" G_GUINT64_FORMAT
                              " reference / %" G_GUINT64_FORMAT " here",
                              gl_drift_timeline_test_title (cell->test), gl_chart_number (st, cell->statistic),
                              gl_drift_timeline_format_p (a, cell->p_value), gl_drift_timeline_format_p (b, cell->p_adjusted),
                              gl_chart_number (e, cell->effect), cell->n_ref, cell->n_win);
    }
  if (cell->present)
    g_string_append_printf (out, "; %" G_GUINT64_FORMAT " images predicted as it, CBPE precision %s ± %s"
                            " (reference %s ± %s, 95%%)",
                            cell->n_images, gl_chart_number (pe, cell->precision_est),
                            isnan (cell->precision_se) ? "n/a" : gl_chart_number (ps, 1.96 * cell->precision_se),
                            gl_chart_number (pr, cell->precision_ref),
                            isnan (cell->precision_ref_se) ? "n/a" : gl_chart_number (prs, 1.96 * cell->precision_ref_se));
  if (with_click)
    g_string_append_printf (out, "\nClick to show the images of %s predicted as %s in the Gallery", name,
                            t->class_names[k]);
  return g_string_free (out, FALSE);
}

/* ---- Drawing ---- */

/* The colour an empty cell has: the grid colour over the background. */
static GlChartColour
base_colour (const GlChartPalette *p)
{
  const GlChartColour *g = &p->grid, *bg = &p->background;
  return (GlChartColour){ bg->r + (g->r - bg->r) * g->a, bg->g + (g->g - bg->g) * g->a,
                          bg->b + (g->b - bg->b) * g->a, 1.0 };
}

/* How strong a drifted cell is shown: from 0.5 at the level to 1 at p 10⁻⁶. */
static double
strength (double p_adjusted, double alpha)
{
  double level = isnan (alpha) ? SHADE_ALPHA : alpha;
  double lp = -log10 (MAX (isnan (p_adjusted) ? level : p_adjusted, 1e-300));
  return 0.5 + 0.5 * CLAMP ((lp - -log10 (level)) / (6.0 + log10 (level)), 0.0, 1.0);
}

static void
hatch (cairo_t *cr, const GlChartPalette *p, double x, double y, double w, double h)
{
  cairo_save (cr);
  cairo_rectangle (cr, x, y, w, h);
  cairo_clip (cr);
  gl_chart_set_colour (cr, &p->muted);
  cairo_set_line_width (cr, 1);
  for (double s = -h; s < w; s += 6)
    {
      cairo_move_to (cr, x + s, y + h);
      cairo_line_to (cr, x + s + h, y);
    }
  cairo_stroke (cr);
  cairo_restore (cr);
}

static void
draw_cell (cairo_t *cr, const GlChartPalette *p, const DriftFrame *d, const GlDriftCell *cell, double alpha, double x,
           double y)
{
  GlChartColour base = base_colour (p);
  double w = d->cw - 1, h = d->rh - 1, fs = d->f.fs;
  if (!cell->present || cell->insufficient || cell->n_tested == 0)
    {
      gl_chart_set_colour (cr, &base);
      cairo_rectangle (cr, x + 0.5, y + 0.5, w, h);
      cairo_fill (cr);
      hatch (cr, p, x + 0.5, y + 0.5, w, h);
      return;
    }
  GlChartColour fill = cell->drifted ? gl_chart_mix (&base, &p->bad, strength (cell->p_adjusted, alpha))
                                     : gl_chart_mix (&base, &p->good, 0.22);
  gl_chart_set_colour (cr, &fill);
  cairo_rectangle (cr, x + 0.5, y + 0.5, w, h);
  cairo_fill (cr);
  if (cell->drifted && w >= fs * 0.9 && h >= fs * 0.9)
    {
      GlChartColour ink = p->background;
      ink.a = 1;
      gl_chart_text (cr, p, &ink, "!", x + 0.5 + w / 2, y + 0.5 + h / 2, 0.5, 0.5, 0, MIN (1.0, h / (fs * 1.3)),
                     TRUE);
    }
}

static void
draw_axis (cairo_t *cr, const GlDriftTimeline *t, const GlChartPalette *p, const DriftFrame *d)
{
  const GlChartFrame *f = &d->f;
  double fs = f->fs, y = f->plot.y + f->plot.h + fs * 0.3;
  /* A label every few columns, so that they never overlap. */
  guint every = MAX (1u, (guint)ceil (fs * 4.5 / MAX (d->cw, 1.0)));
  for (guint i = 0; i < d->shown; i++)
    {
      guint col = d->first + i;
      if ((d->shown - 1 - i) % every != 0)
        continue; /* the newest column always has its label */
      const GlDriftColumn *c = &t->columns[col];
      char buf[32];
      if (c->kind == GL_DB_DRIFT_BATCH)
        g_snprintf (buf, sizeof buf, "%" G_GINT64_FORMAT, c->batch_id);
      else
        g_snprintf (buf, sizeof buf, "…%" G_GINT64_FORMAT, c->last_image);
      gl_chart_text (cr, p, &p->muted, buf, f->plot.x + (i + 0.5) * d->cw, y, 0.5, 0, d->cw * every, 0.9, FALSE);
    }
  const char *axis = t->kind == GL_DB_DRIFT_BATCH ? "import batch, oldest to newest"
                                                  : "window (its last image), oldest to newest";
  gl_chart_text (cr, p, &p->muted, axis, f->plot.x + f->plot.w, y + fs * 1.3, 1, 0, 0, 0.9, FALSE);
}

static void
draw_grid (cairo_t *cr, const GlDriftTimeline *t, const GlChartPalette *p, const DriftFrame *d)
{
  const GlChartFrame *f = &d->f;
  double fs = f->fs, scale = MIN (1.0, d->rh / (fs * 1.3));
  GlChartColour base = base_colour (p);
  gl_chart_text (cr, p, &p->muted, "verdict", f->plot.x - fs * 0.5, d->strip_y + d->strip_h / 2, 1, 0.5, f->label_w,
                 0.9, FALSE);
  for (guint i = 0; i < d->shown; i++)
    {
      const GlDriftColumn *c = &t->columns[d->first + i];
      GlChartColour fill = c->drifted ? p->bad : gl_chart_mix (&base, &p->good, 0.45);
      gl_chart_set_colour (cr, &fill);
      cairo_rectangle (cr, f->plot.x + i * d->cw + 0.5, d->strip_y, d->cw - 1, d->strip_h);
      cairo_fill (cr);
    }
  for (guint k = 0; k < t->n_classes; k++)
    {
      double y = f->plot.y + k * d->rh;
      if (scale >= 0.6)
        gl_chart_text (cr, p, &p->text, t->class_names[k], f->plot.x - fs * 0.5, y + d->rh / 2, 1, 0.5, f->label_w,
                       scale, FALSE);
      for (guint i = 0; i < d->shown; i++)
        draw_cell (cr, p, d, gl_drift_timeline_cell (t, k, d->first + i), t->columns[d->first + i].alpha,
                   f->plot.x + i * d->cw, y);
    }
  draw_axis (cr, t, p, d);
}

void
gl_chart_drift_draw (cairo_t *cr, const GlDriftTimeline *t, const GlChartPalette *p, double width, double height)
{
  DriftFrame d;
  drift_frame (t, p, width, height, &d);
  gl_chart_begin (cr, p, width, height);
  GlChartColour base = base_colour (p);
  const char *names[] = { "Drift (a test fired)", "No drift", "Insufficient data (< 30 images)" };
  const GlChartColour colours[] = { p->bad, gl_chart_mix (&base, &p->good, 0.45), p->muted };
  if (t == NULL)
    {
      gl_chart_header (cr, p, &d.f, "Drift per class", NULL, NULL, NULL, 0);
      gl_chart_empty (cr, p, &d.f, "No model version yet");
      cairo_restore (cr);
      return;
    }
  const char *what = t->kind == GL_DB_DRIFT_BATCH ? "import batches" : "sliding windows";
  const char *unit = t->kind == GL_DB_DRIFT_BATCH ? "batch" : "window";
  /* The level of the newest result (each cell's text has its own). */
  double alpha = t->n_columns > 0 ? t->columns[t->n_columns - 1].alpha : NAN;
  g_autofree char *level = isnan (alpha) ? g_strdup_printf ("Holm-corrected per %s", unit)
                                         : g_strdup_printf ("Holm-corrected, α %.2g per %s", alpha, unit);
  g_autofree char *sub
      = d.shown < t->n_columns
            ? g_strdup_printf ("The newest %u of %u %s against the reference of version %" G_GINT64_FORMAT " · %s",
                               d.shown, t->n_columns, what, t->model_id, level)
            : g_strdup_printf ("%u %s against the reference of version %" G_GINT64_FORMAT " · %s", t->n_columns,
                               what, t->model_id, level);
  gl_chart_header (cr, p, &d.f, "Drift per class", sub, names, colours, 3);
  if (t->n_columns == 0 || t->n_classes == 0)
    gl_chart_empty (cr, p, &d.f,
                    t->kind == GL_DB_DRIFT_BATCH ? "No import batch has a drift result for this version yet"
                                                 : "No sliding window has a drift result for this version yet");
  else
    draw_grid (cr, t, p, &d);
  cairo_restore (cr);
}

/* ---- Queries ---- */

char *
gl_chart_drift_query (const GlDriftTimeline *t, double width, double height, double x, double y, gint *row,
                      gint *column)
{
  gint dummy_r, dummy_c;
  row = row ? row : &dummy_r;
  column = column ? column : &dummy_c;
  *row = -2;
  *column = -1;
  if (t == NULL || t->n_columns == 0 || t->n_classes == 0)
    return NULL;
  GlChartPalette p;
  gl_chart_palette_init_light (&p);
  DriftFrame d;
  drift_frame (t, &p, width, height, &d);
  const GlChartRect *pl = &d.f.plot;
  if (x < pl->x || x >= pl->x + d.cw * d.shown || d.cw <= 0)
    return NULL;
  guint col = d.first + (guint)((x - pl->x) / d.cw);
  if (col >= t->n_columns)
    return NULL;
  if (y >= d.strip_y && y < d.strip_y + d.strip_h)
    {
      *row = -1;
      *column = (gint)col;
      return column_text (t, &t->columns[col]);
    }
  if (y < pl->y || y >= pl->y + d.rh * t->n_classes || d.rh <= 0)
    return NULL;
  guint k = (guint)((y - pl->y) / d.rh);
  if (k >= t->n_classes)
    return NULL;
  *row = (gint)k;
  *column = (gint)col;
  return cell_text (t, k, col, TRUE);
}

gboolean
gl_chart_drift_cell_rect (const GlDriftTimeline *t, double width, double height, guint row, guint column, double *x,
                          double *y, double *w, double *h)
{
  if (t == NULL || row >= t->n_classes || column >= t->n_columns)
    return FALSE;
  GlChartPalette p;
  gl_chart_palette_init_light (&p);
  DriftFrame d;
  drift_frame (t, &p, width, height, &d);
  if (column < d.first || d.cw <= 0 || d.rh <= 0)
    return FALSE;
  *x = d.f.plot.x + (column - d.first) * d.cw;
  *y = d.f.plot.y + row * d.rh;
  *w = d.cw;
  *h = d.rh;
  return TRUE;
}

char *
gl_chart_drift_cell_text (const GlDriftTimeline *t, guint row, guint column)
{
  g_return_val_if_fail (t != NULL && row < t->n_classes && column < t->n_columns, NULL);
  return cell_text (t, row, column, TRUE);
}

char *
gl_chart_drift_describe (const GlDriftTimeline *t)
{
  if (t == NULL)
    return g_strdup ("No model version yet.");
  if (t->n_columns == 0)
    return g_strdup_printf ("No %s has a drift result for version %" G_GINT64_FORMAT " yet.",
                            t->kind == GL_DB_DRIFT_BATCH ? "import batch" : "sliding window", t->model_id);
  GString *s = g_string_new (NULL);
  for (guint c = 0; c < t->n_columns; c++)
    {
      g_autofree char *head = column_text (t, &t->columns[c]);
      g_string_append_printf (s, "%s\n", head);
      for (guint k = 0; k < t->n_classes; k++)
        {
          g_autofree char *line = cell_text (t, k, c, FALSE);
          g_string_append_printf (s, "  %s\n", line);
        }
    }
  g_string_truncate (s, s->len - 1);
  return g_string_free (s, FALSE);
}

/* ---- Files ---- */

static void
draw_timeline (cairo_t *cr, gconstpointer data, const GlChartPalette *palette, double width, double height)
{
  gl_chart_drift_draw (cr, data, palette, width, height);
}

GBytes *
gl_chart_drift_render (const GlDriftTimeline *t, const GlChartPalette *palette, GlChartFormat format, int width,
                       int height, GError **error)
{
  return gl_chart_render_with (draw_timeline, t, "drift-timeline", palette, format, width, height, error);
}

gboolean
gl_chart_drift_export (const GlDriftTimeline *t, const GlChartPalette *palette, GlChartFormat format, int width,
                       int height, const char *path, GError **error)
{
  g_autoptr (GBytes) bytes = gl_chart_drift_render (t, palette, format, width, height, error);
  return bytes != NULL && gl_chart_write_bytes (bytes, path, error);
}
