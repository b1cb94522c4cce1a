/* gl-chart.c — see gl-chart.h: palettes, the frame of a chart, text, and
 * rendering to PNG / SVG. The five drawings are in gl-chart-kinds.c. */
#include "app/gl-chart-private.h"

#include <cairo-svg.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <string.h>

#include "app/gl-export.h"

#define PAD 12.0

static const char *const kind_ids[]
    = { "learning-curve", "class-metrics", "class-balance", "confusion", "reliability" };
static const char *const kind_titles[]
    = { "Learning curve", "Per-class metrics", "Class balance", "Confusion matrix", "Reliability diagram" };

const char *
gl_chart_kind_id (GlChartKind kind)
{
  return kind < GL_CHART_N_KINDS ? kind_ids[kind] : "?";
}

const char *
gl_chart_kind_title (GlChartKind kind)
{
  return kind < GL_CHART_N_KINDS ? kind_titles[kind] : "?";
}

gboolean
gl_chart_colour_parse (const char *text, GlChartColour *out)
{
  unsigned v = 0;
  if (text == NULL || text[0] != '#' || strlen (text) != 7 || !g_ascii_isxdigit (text[1]))
    return FALSE;
  for (int i = 1; i < 7; i++)
    if (!g_ascii_isxdigit (text[i]))
      return FALSE;
  v = (unsigned)g_ascii_strtoull (text + 1, NULL, 16);
  *out = (GlChartColour){ ((v >> 16) & 0xff) / 255.0, ((v >> 8) & 0xff) / 255.0, (v & 0xff) / 255.0, 1.0 };
  return TRUE;
}

static GlChartColour
hex (const char *text)
{
  GlChartColour c = { 0, 0, 0, 1 };
  gl_chart_colour_parse (text, &c);
  return c;
}

/* The GNOME palette (blue, orange, green, red); text colours as
 * libadwaita's window foreground in each style. */
void
gl_chart_palette_init_light (GlChartPalette *p)
{
  memset (p, 0, sizeof *p);
  p->background = hex ("#ffffff");
  p->text = (GlChartColour){ 0, 0, 0, 0.8 };
  p->muted = (GlChartColour){ 0, 0, 0, 0.55 };
  p->grid = (GlChartColour){ 0, 0, 0, 0.12 };
  p->series[0] = hex ("#1c71d8");
  p->series[1] = hex ("#e66100");
  p->series[2] = hex ("#26a269");
  p->heat = hex ("#1c71d8");
  p->good = hex ("#26a269");
  p->bad = hex ("#c01c28");
  g_strlcpy (p->font, "Sans", sizeof p->font);
  p->font_size = 9;
}

void
gl_chart_palette_init_dark (GlChartPalette *p)
{
  gl_chart_palette_init_light (p);
  p->background = hex ("#242424");
  p->text = (GlChartColour){ 1, 1, 1, 0.9 };
  p->muted = (GlChartColour){ 1, 1, 1, 0.6 };
  p->grid = (GlChartColour){ 1, 1, 1, 0.15 };
  p->series[0] = hex ("#62a0ea");
  p->series[1] = hex ("#ffa348");
  p->series[2] = hex ("#57e389");
  p->heat = hex ("#3584e4");
  p->good = hex ("#57e389");
  p->bad = hex ("#ff7b63");
}

void
gl_chart_set_colour (cairo_t *cr, const GlChartColour *c)
{
  cairo_set_source_rgba (cr, c->r, c->g, c->b, c->a);
}

GlChartColour
gl_chart_mix (const GlChartColour *a, const GlChartColour *b, double t)
{
  t = isnan (t) ? 0 : CLAMP (t, 0.0, 1.0);
  return (GlChartColour){ a->r + (b->r - a->r) * t, a->g + (b->g - a->g) * t, a->b + (b->b - a->b) * t,
                          a->a + (b->a - a->a) * t };
}

const char *
gl_chart_number (char buf[32], double value)
{
  if (isnan (value))
    return "n/a";
  g_snprintf (buf, 32, "%.3f", value);
  return buf;
}

const char *
gl_chart_change (char buf[32], double value)
{
  if (isnan (value))
    return "n/a";
  g_snprintf (buf, 32, "%s%.3f", value < 0 ? "−" : "+", fabs (value));
  return buf;
}

/* ---- Frame ---- */

static gboolean
has_legend (GlChartKind kind)
{
  return kind != GL_CHART_CONFUSION;
}

void
gl_chart_frame (GlChartKind kind, const GlInsights *r, const GlChartPalette *palette, double width,
                double height, GlChartFrame *f)
{
  memset (f, 0, sizeof *f);
  f->width = width;
  f->height = height;
  f->fs = palette->font_size * 96.0 / 72.0;
  double fs = f->fs;
  f->title_y = PAD;
  f->subtitle_y = f->title_y + fs * 1.7;
  f->legend_y = f->subtitle_y + fs * 1.6;
  double top = f->legend_y + (has_legend (kind) ? fs * 1.8 : fs * 0.4);
  double bottom = height - PAD;
  guint n = r ? r->n_classes : 0;
  f->label_w = CLAMP (width * 0.2, 60.0, 150.0);
  switch (kind)
    {
      case GL_CHART_LEARNING_CURVE:
      case GL_CHART_RELIABILITY:
        f->plot = (GlChartRect){ PAD + fs * 3.2, top + fs * 0.5, 0, 0 };
        f->plot.w = width - PAD - fs * 0.8 - f->plot.x;
        f->plot.h = bottom - fs * 3.0 - f->plot.y;
        break;
      case GL_CHART_CLASS_METRICS:
      case GL_CHART_CLASS_BALANCE:
        f->plot = (GlChartRect){ PAD + f->label_w + fs * 0.6, top + fs * 0.3, 0, 0 };
        f->plot.w = width - PAD - fs * 1.2 - f->plot.x;
        f->plot.h = bottom - fs * 1.6 - f->plot.y;
        break;
      case GL_CHART_CONFUSION:
      default:
        {
          /* Column numbers above the grid, the predicted-class note below. */
          double x = PAD + f->label_w + fs * 2.2, y = top + fs * 1.4;
          double avail_w = width - PAD - x, avail_h = bottom - fs * 1.6 - y;
          f->cell = n ? MAX (1.0, floor (MIN (avail_w, avail_h) / n)) : 0;
          f->plot = (GlChartRect){ x, y, f->cell * n, f->cell * n };
          break;
        }
    }
  f->plot.w = MAX (f->plot.w, 1.0);
  f->plot.h = MAX (f->plot.h, 1.0);
}

/* ---- Text ---- */

static PangoLayout *
make_layout (cairo_t *cr, const GlChartPalette *palette, const char *text, double max_width, double scale,
             gboolean bold)
{
  PangoLayout *layout = pango_cairo_create_layout (cr);
  PangoFontDescription *desc = pango_font_description_from_string (palette->font);
  pango_font_description_set_absolute_size (desc, palette->font_size * 96.0 / 72.0 * scale * PANGO_SCALE);
  if (bold)
    pango_font_description_set_weight (desc, PANGO_WEIGHT_BOLD);
  pango_layout_set_font_description (layout, desc);
  pango_font_description_free (desc);
  pango_layout_set_text (layout, text, -1);
  if (max_width > 0)
    {
      pango_layout_set_width (layout, (int)(max_width * PANGO_SCALE));
      pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
    }
  return layout;
}

void
gl_chart_text (cairo_t *cr, const GlChartPalette *palette, const GlChartColour *colour, const char *text,
               double x, double y, double align, double valign, double max_width, double scale, gboolean bold)
{
  PangoLayout *layout = make_layout (cr, palette, text, max_width, scale, bold);
  int w = 0, h = 0;
  pango_layout_get_pixel_size (layout, &w, &h);
  cairo_save (cr);
  gl_chart_set_colour (cr, colour);
  cairo_move_to (cr, x - align * w, y - valign * h);
  pango_cairo_show_layout (cr, layout);
  cairo_restore (cr);
  g_object_unref (layout);
}

static double
text_width (cairo_t *cr, const GlChartPalette *palette, const char *text)
{
  PangoLayout *layout = make_layout (cr, palette, text, 0, 1.0, FALSE);
  int w = 0;
  pango_layout_get_pixel_size (layout, &w, NULL);
  g_object_unref (layout);
  return w;
}

void
gl_chart_header (cairo_t *cr, const GlChartPalette *p, const GlChartFrame *f, const char *title,
                 const char *subtitle, const char *const *names, const GlChartColour *colours, guint n)
{
  double fs = f->fs;
  gl_chart_text (cr, p, &p->text, title, PAD, f->title_y, 0, 0, f->width - 2 * PAD, 1.15, TRUE);
  if (subtitle)
    gl_chart_text (cr, p, &p->muted, subtitle, PAD, f->subtitle_y, 0, 0, f->width - 2 * PAD, 1.0, FALSE);
  /* Legend: a swatch and a name each, in a row (the legend is not hit-tested,
   * so its layout may follow the measured text). */
  double x = PAD, end = f->width - PAD;
  for (guint i = 0; i < n; i++)
    {
      double w = text_width (cr, p, names[i]);
      if (x + fs * 1.3 > end)
        break;
      gl_chart_set_colour (cr, &colours[i]);
      cairo_rectangle (cr, x, f->legend_y + fs * 0.25, fs * 0.9, fs * 0.9);
      cairo_fill (cr);
      gl_chart_text (cr, p, &p->text, names[i], x + fs * 1.3, f->legend_y, 0, 0, end - x - fs * 1.3, 1.0,
                     FALSE);
      x += fs * 1.3 + w + fs * 1.6;
    }
}

void
gl_chart_empty (cairo_t *cr, const GlChartPalette *p, const GlChartFrame *f, const char *message)
{
  gl_chart_text (cr, p, &p->muted, message, f->width / 2, (f->plot.y + f->height) / 2, 0.5, 0.5,
                 f->width - 4 * PAD, 1.0, FALSE);
}

void
gl_chart_unit_axis (cairo_t *cr, const GlChartPalette *p, const GlChartFrame *f, gboolean vertical,
                    double max, gboolean percent)
{
  const GlChartRect *pl = &f->plot;
  double step = max > 0.5 ? 0.2 : max > 0.2 ? 0.1 : max > 0.1 ? 0.05 : 0.02;
  cairo_save (cr);
  cairo_set_line_width (cr, 1);
  for (int i = 0; i * step <= max + 1e-9; i++)
    {
      double v = i * step;
      char buf[32];
      if (percent)
        g_snprintf (buf, sizeof buf, "%.0f%%", v * 100);
      else
        g_snprintf (buf, sizeof buf, "%.1f", v);
      gl_chart_set_colour (cr, &p->grid);
      if (vertical)
        {
          double y = round (pl->y + pl->h - v / max * pl->h) + 0.5;
          cairo_move_to (cr, pl->x, y);
          cairo_line_to (cr, pl->x + pl->w, y);
          cairo_stroke (cr);
          gl_chart_text (cr, p, &p->muted, buf, pl->x - f->fs * 0.4, y, 1, 0.5, 0, 0.9, FALSE);
        }
      else
        {
          double x = round (pl->x + v / max * pl->w) + 0.5;
          cairo_move_to (cr, x, pl->y);
          cairo_line_to (cr, x, pl->y + pl->h);
          cairo_stroke (cr);
          gl_chart_text (cr, p, &p->muted, buf, x, pl->y + pl->h + f->fs * 0.3, 0.5, 0, 0, 0.9, FALSE);
        }
    }
  cairo_restore (cr);
}

/* ---- Public entry points ---- */

void
gl_chart_begin (cairo_t *cr, const GlChartPalette *palette, double width, double height)
{
  cairo_save (cr);
  if (!palette->transparent && palette->background.a > 0)
    {
      gl_chart_set_colour (cr, &palette->background);
      cairo_rectangle (cr, 0, 0, width, height);
      cairo_fill (cr);
    }
  cairo_rectangle (cr, 0, 0, width, height);
  cairo_clip (cr);
}

void
gl_chart_draw (cairo_t *cr, GlChartKind kind, const GlInsights *report, const GlChartPalette *palette,
               double width, double height)
{
  g_return_if_fail (kind < GL_CHART_N_KINDS);
  GlChartFrame f;
  gl_chart_frame (kind, report, palette, width, height, &f);
  gl_chart_begin (cr, palette, width, height);
  if (report == NULL)
    {
      gl_chart_header (cr, palette, &f, gl_chart_kind_title (kind), NULL, NULL, NULL, 0);
      gl_chart_empty (cr, palette, &f, "No model version yet");
    }
  else
    gl_chart_draw_kind (cr, kind, report, palette, &f);
  cairo_restore (cr);
}

char *
gl_chart_query (GlChartKind kind, const GlInsights *report, double width, double height, double x, double y,
                gint *row, gint *column)
{
  gint dummy_r, dummy_c;
  row = row ? row : &dummy_r;
  column = column ? column : &dummy_c;
  *row = *column = -1;
  if (report == NULL || kind >= GL_CHART_N_KINDS)
    return NULL;
  GlChartPalette p;
  gl_chart_palette_init_light (&p);
  GlChartFrame f;
  gl_chart_frame (kind, report, &p, width, height, &f);
  return gl_chart_query_kind (kind, report, &f, x, y, row, column);
}

char *
gl_chart_describe (GlChartKind kind, const GlInsights *report)
{
  if (report == NULL || kind >= GL_CHART_N_KINDS)
    return g_strdup ("No model version yet.");
  return gl_chart_describe_kind (kind, report);
}

static cairo_status_t
append_bytes (void *closure, const unsigned char *data, unsigned int length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

GBytes *
gl_chart_render_with (GlChartDrawFunc draw, gconstpointer data, const char *id, const GlChartPalette *palette,
                      GlChartFormat format, int width, int height, GError **error)
{
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  cairo_surface_t *surface = format == GL_CHART_FORMAT_SVG
                                 ? cairo_svg_surface_create_for_stream (append_bytes, bytes, width, height)
                                 : cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, height);
  cairo_t *cr = cairo_create (surface);
  draw (cr, data, palette, width, height);
  cairo_status_t status = cairo_status (cr);
  cairo_destroy (cr);
  if (status == CAIRO_STATUS_SUCCESS && format == GL_CHART_FORMAT_PNG)
    status = cairo_surface_write_to_png_stream (surface, append_bytes, bytes);
  cairo_surface_finish (surface);
  if (status == CAIRO_STATUS_SUCCESS)
    status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot draw the %s chart: %s", id,
                   cairo_status_to_string (status));
      return NULL;
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&bytes));
}

gboolean
gl_chart_write_bytes (GBytes *bytes, const char *path, GError **error)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  return gl_export_write_file (path, data, len, error);
}

/* One of the five kinds, for gl_chart_render_with. */
typedef struct
{
  GlChartKind kind;
  const GlInsights *report;
} KindData;

static void
draw_kind (cairo_t *cr, gconstpointer data, const GlChartPalette *palette, double width, double height)
{
  const KindData *k = data;
  gl_chart_draw (cr, k->kind, k->report, palette, width, height);
}

GBytes *
gl_chart_render (GlChartKind kind, const GlInsights *report, const GlChartPalette *palette,
                 GlChartFormat format, int width, int height, GError **error)
{
  KindData k = { kind, report };
  return gl_chart_render_with (draw_kind, &k, gl_chart_kind_id (kind), palette, format, width, height, error);
}

gboolean
gl_chart_export (GlChartKind kind, const GlInsights *report, const GlChartPalette *palette,
                 GlChartFormat format, int width, int height, const char *path, GError **error)
{
  g_autoptr (GBytes) bytes = gl_chart_render (kind, report, palette, format, width, height, error);
  return bytes != NULL && gl_chart_write_bytes (bytes, path, error);
}
