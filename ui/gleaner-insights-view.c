/* gleaner-insights-view.c — see gleaner-insights-view.h. */
#include "ui/gleaner-insights-view.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "app/gl-chart-drift.h"
#include "app/gl-insights.h"

struct _GleanerInsightsView
{
  GtkWidget parent_instance;

  /* children (owned by the widget tree) */
  GtkWidget *box;
  GtkDropDown *version_dropdown;
  GtkStringList *version_names;
  GtkSpinner *spinner;
  GtkLabel *status;
  GleanerChart *charts[GL_CHART_N_KINDS];
  GtkLabel *tables[GL_CHART_N_KINDS];
  GleanerDriftTimeline *drift;   /* the drift timeline card's chart */
  GtkLabel *drift_table;
  GtkToggleButton *drift_windows; /* on: sliding windows; off: import batches */

  /* borrowed */
  GlProject *project;

  /* owned; main thread */
  GlInsights *report;
  GCancellable *cancellable; /* of the computation running, NULL when none */
  GArray *version_ids;       /* gint64, the dropdown's versions in order */
  gint64 wanted;             /* the version asked for, -1: current */
  gboolean updating;         /* filling the dropdown: ignore its notifications */
  GCancellable *drift_cancellable; /* of the timeline's load, NULL when none */
};

G_DEFINE_FINAL_TYPE (GleanerInsightsView, gleaner_insights_view, GTK_TYPE_WIDGET)

enum
{
  SIGNAL_SHOW_CONFUSION,
  SIGNAL_SHOW_DRIFT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

GtkWidget *
gleaner_insights_view_new (void)
{
  return g_object_new (GLEANER_TYPE_INSIGHTS_VIEW, NULL);
}

static void
toast (GleanerInsightsView *self, const char *text)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);
  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (text));
  else
    g_message ("%s", text);
}

/* ---- The report ---- */

static void
fill_versions (GleanerInsightsView *self)
{
  self->updating = TRUE;
  guint old = g_list_model_get_n_items (G_LIST_MODEL (self->version_names));
  g_array_set_size (self->version_ids, 0);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const GlInsights *r = self->report;
  /* Newest first: the version one looks at most. */
  for (guint i = r ? r->n_versions : 0; i-- > 0;)
    {
      const GlInsightsVersion *v = &r->versions[i];
      g_ptr_array_add (names,
                       g_strdup_printf (_ ("Version %" G_GINT64_FORMAT " · %" G_GUINT64_FORMAT " labels%s"),
                                        v->id, v->n_labels, v->id == r->current_id ? _ (" (current)") : ""));
      g_array_append_val (self->version_ids, v->id);
    }
  g_ptr_array_add (names, NULL);
  gtk_string_list_splice (self->version_names, 0, old, (const char *const *)names->pdata);
  for (guint i = 0; i < self->version_ids->len; i++)
    if (r && g_array_index (self->version_ids, gint64, i) == r->model_id)
      gtk_drop_down_set_selected (self->version_dropdown, i);
  gtk_widget_set_sensitive (GTK_WIDGET (self->version_dropdown), self->version_ids->len > 0);
  self->updating = FALSE;
}

/* ---- The drift timeline ---- */

static void
set_timeline (GleanerInsightsView *self, GlDriftTimeline *timeline)
{
  gleaner_drift_timeline_set_timeline (self->drift, timeline);
  g_autofree char *text = gl_chart_drift_describe (timeline);
  gtk_label_set_text (self->drift_table, text);
}

static void
on_timeline_loaded_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlDriftTimeline) timeline = gl_drift_timeline_load_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return; /* the view is gone or asked again */
  GleanerInsightsView *self = user_data;
  g_clear_object (&self->drift_cancellable);
  if (timeline == NULL && !g_error_matches (error, GL_DRIFT_TIMELINE_ERROR, GL_DRIFT_TIMELINE_ERROR_NO_MODEL))
    {
      g_autofree char *text = g_strdup_printf (_ ("Cannot read the drift results: %s"), error->message);
      toast (self, text);
    }
  set_timeline (self, timeline);
}

/* Reads the timeline of the version the charts show, of the kind picked. */
static void
load_timeline (GleanerInsightsView *self)
{
  if (self->drift_cancellable)
    g_cancellable_cancel (self->drift_cancellable);
  g_clear_object (&self->drift_cancellable);
  if (self->project == NULL || self->report == NULL)
    {
      set_timeline (self, NULL);
      return;
    }
  self->drift_cancellable = g_cancellable_new ();
  GlDbDriftKind kind = gtk_toggle_button_get_active (self->drift_windows) ? GL_DB_DRIFT_WINDOW : GL_DB_DRIFT_BATCH;
  gl_drift_timeline_load_async (gl_project_get_db_path (self->project), self->report->model_id, kind,
                                self->drift_cancellable, on_timeline_loaded_cb, self);
}

static void
on_drift_kind_toggled_cb (GleanerInsightsView *self)
{
  load_timeline (self);
}

static void
on_drift_cell_activated_cb (GleanerDriftTimeline *timeline, gint64 class_id, gint64 first_image, gint64 last_image,
                            GleanerInsightsView *self)
{
  g_signal_emit (self, signals[SIGNAL_SHOW_DRIFT], 0, class_id, first_image, last_image);
}

static void
set_report (GleanerInsightsView *self, GlInsights *report)
{
  if (report != self->report)
    {
      g_clear_pointer (&self->report, gl_insights_unref);
      self->report = report ? gl_insights_ref (report) : NULL;
    }
  for (guint k = 0; k < GL_CHART_N_KINDS; k++)
    {
      gleaner_chart_set_report (self->charts[k], report);
      g_autofree char *text = gl_chart_describe (k, report);
      gtk_label_set_text (self->tables[k], text);
    }
  fill_versions (self);
}

static void
on_computed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlInsights) report = gl_insights_compute_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return; /* the view is gone or asked again */
  GleanerInsightsView *self = user_data;
  g_clear_object (&self->cancellable);
  gtk_spinner_stop (self->spinner);
  if (report == NULL)
    {
      gboolean none = g_error_matches (error, GL_INSIGHTS_ERROR, GL_INSIGHTS_ERROR_NO_MODEL);
      g_autofree char *text = none ? g_strdup (_ ("No model yet: label images of two classes and train"))
                                   : g_strdup_printf (_ ("Cannot read the insights: %s"), error->message);
      gtk_label_set_text (self->status, text);
      set_report (self, NULL);
      load_timeline (self);
      return;
    }
  gtk_label_set_text (self->status, "");
  set_report (self, report);
  load_timeline (self);
}

void
gleaner_insights_view_show_version (GleanerInsightsView *self, gint64 model_id)
{
  g_return_if_fail (GLEANER_IS_INSIGHTS_VIEW (self));
  self->wanted = model_id;
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->project == NULL)
    return;
  self->cancellable = g_cancellable_new ();
  gtk_spinner_start (self->spinner);
  gtk_label_set_text (self->status, _ ("Reading the store…"));
  /* The callback holds no reference: a cancelled one never touches the view,
   * and dispose cancels. */
  gl_insights_compute_async (gl_project_get_db_path (self->project), model_id, self->cancellable,
                             on_computed_cb, self);
}

void
gleaner_insights_view_reload (GleanerInsightsView *self)
{
  g_return_if_fail (GLEANER_IS_INSIGHTS_VIEW (self));
  /* A version picked stays picked; the newest otherwise. */
  gint64 id = self->wanted;
  if (self->report != NULL && self->report->model_id == self->report->current_id)
    id = -1;
  gleaner_insights_view_show_version (self, id);
}

void
gleaner_insights_view_set_project (GleanerInsightsView *self, GlProject *project)
{
  g_return_if_fail (GLEANER_IS_INSIGHTS_VIEW (self));
  if (project == self->project)
    return;
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  gtk_spinner_stop (self->spinner);
  self->project = project;
  self->wanted = -1;
  set_report (self, NULL);
  load_timeline (self);
  gtk_label_set_text (self->status, "");
}

static void
on_version_selected_cb (GleanerInsightsView *self)
{
  guint i = gtk_drop_down_get_selected (self->version_dropdown);
  if (self->updating || i >= self->version_ids->len)
    return;
  gint64 id = g_array_index (self->version_ids, gint64, i);
  if (self->report == NULL || id != self->report->model_id)
    gleaner_insights_view_show_version (self, id);
}

/* ---- Charts and export ---- */

static void
on_cell_activated_cb (GleanerChart *chart, gint64 label_class, gint64 predicted_class,
                      GleanerInsightsView *self)
{
  g_signal_emit (self, signals[SIGNAL_SHOW_CONFUSION], 0, label_class, predicted_class);
}

/* One export dialog's request (main thread; freed with the dialog). */
typedef struct
{
  GleanerInsightsView *view; /* owned reference */
  GtkWidget *chart;          /* owned reference: a GleanerChart or the GleanerDriftTimeline */
  GlChartFormat format;
} ExportRequest;

/* "confusion", "drift-timeline": the file name of @chart's export. */
static const char *
chart_id (GtkWidget *chart)
{
  return GLEANER_IS_CHART (chart) ? gl_chart_kind_id (gleaner_chart_get_kind (GLEANER_CHART (chart)))
                                  : "drift-timeline";
}

/* @chart drawn as it is on screen into the file at @path. */
static gboolean
save_chart (GtkWidget *chart, GlChartFormat format, const char *path, GError **error)
{
  GlChartPalette palette;
  gleaner_chart_palette_for (chart, &palette);
  if (GLEANER_IS_CHART (chart))
    return gl_chart_export (gleaner_chart_get_kind (GLEANER_CHART (chart)),
                            gleaner_chart_get_report (GLEANER_CHART (chart)), &palette, format, GL_CHART_EXPORT_WIDTH,
                            GL_CHART_EXPORT_HEIGHT, path, error);
  GlDriftTimeline *t = gleaner_drift_timeline_get_timeline (GLEANER_DRIFT_TIMELINE (chart));
  return gl_chart_drift_export (t, &palette, format, GL_CHART_EXPORT_WIDTH, gl_chart_drift_export_height (t), path,
                                error);
}

static void
on_export_response_cb (GtkNativeDialog *dialog, int response, gpointer user_data)
{
  ExportRequest *req = user_data;
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;
      g_autoptr (GError) error = NULL;
      if (path == NULL)
        toast (req->view, _ ("Charts can only be saved to a local file"));
      else if (!save_chart (req->chart, req->format, path, &error))
        toast (req->view, error->message);
      else
        {
          g_autofree char *base = g_path_get_basename (path);
          g_autofree char *text = g_strdup_printf (_ ("Saved %s"), base);
          toast (req->view, text);
        }
    }
  g_object_unref (req->view);
  g_object_unref (req->chart);
  g_free (req);
  g_object_unref (dialog);
}

static void
export_chart (GleanerInsightsView *self, GtkWidget *chart, GlChartFormat format)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *dialog
      = gtk_file_chooser_native_new (_ ("Export Chart"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                     GTK_FILE_CHOOSER_ACTION_SAVE, _ ("_Export"), _ ("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_autofree char *name = g_strdup_printf ("%s.%s", chart_id (chart), format == GL_CHART_FORMAT_SVG ? "svg" : "png");
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name);
  ExportRequest *req = g_new0 (ExportRequest, 1);
  req->view = g_object_ref (self);
  req->chart = g_object_ref (chart);
  req->format = format;
  g_signal_connect (dialog, "response", G_CALLBACK (on_export_response_cb), req);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
on_export_png_clicked_cb (GtkButton *button, GleanerInsightsView *self)
{
  export_chart (self, g_object_get_data (G_OBJECT (button), "chart"), GL_CHART_FORMAT_PNG);
}

static void
on_export_svg_clicked_cb (GtkButton *button, GleanerInsightsView *self)
{
  export_chart (self, g_object_get_data (G_OBJECT (button), "chart"), GL_CHART_FORMAT_SVG);
}

static GtkWidget *
export_button (GleanerInsightsView *self, GtkWidget *chart, const char *label, const char *tooltip,
               GCallback callback)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (label);
  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_widget_set_valign (button, GTK_ALIGN_START);
  gtk_widget_add_css_class (button, "flat");
  g_object_set_data (G_OBJECT (button), "chart", chart);
  g_signal_connect (button, "clicked", callback, self);
  return button;
}

/* The row under a chart: its numbers as selectable text in an expander
 * (@table: the label), wrapped at @max_chars; buttons go after it. */
static GtkWidget *
numbers_row (GtkLabel **table, const char *mnemonic, int max_chars)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_widget_set_margin_start (row, 6);
  gtk_widget_set_margin_end (row, 6);
  gtk_widget_set_margin_bottom (row, 6);
  GtkWidget *label = gtk_label_new ("");
  *table = GTK_LABEL (label);
  gtk_label_set_selectable (*table, TRUE);
  gtk_label_set_wrap (*table, TRUE);
  gtk_label_set_max_width_chars (*table, max_chars);
  gtk_label_set_xalign (*table, 0);
  gtk_widget_add_css_class (label, "caption");
  gtk_widget_set_margin_top (label, 6);
  GtkWidget *expander = gtk_expander_new_with_mnemonic (mnemonic);
  gtk_expander_set_child (GTK_EXPANDER (expander), label);
  gtk_widget_set_hexpand (expander, TRUE);
  gtk_widget_set_margin_top (expander, 7); /* its title level with the buttons' text */
  gtk_box_append (GTK_BOX (row), expander);
  return row;
}

/* One card: the chart, its numbers in an expander, and the export buttons. */
static GtkWidget *
make_card (GleanerInsightsView *self, GlChartKind kind)
{
  GtkWidget *card = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_widget_add_css_class (card, "card");
  gtk_widget_add_css_class (card, "insights-card");
  GtkWidget *chart = gleaner_chart_new (kind);
  self->charts[kind] = GLEANER_CHART (chart);
  gtk_widget_set_size_request (chart, 420, 300);
  gtk_widget_set_hexpand (chart, TRUE);
  gtk_widget_set_vexpand (chart, TRUE);
  g_signal_connect (chart, "cell-activated", G_CALLBACK (on_cell_activated_cb), self);
  gtk_box_append (GTK_BOX (card), chart);

  /* Wrapped at the card's width: a long table never widens the card (which
   * would put the charts in one column). */
  GtkWidget *row = numbers_row (&self->tables[kind], _ ("_Numbers"), 40);
  g_autofree char *png_tip = g_strdup_printf (_ ("Export the %s as PNG"), gl_chart_kind_title (kind));
  g_autofree char *svg_tip = g_strdup_printf (_ ("Export the %s as SVG"), gl_chart_kind_title (kind));
  gtk_box_append (GTK_BOX (row), export_button (self, chart, _ ("PNG…"), png_tip, G_CALLBACK (on_export_png_clicked_cb)));
  gtk_box_append (GTK_BOX (row), export_button (self, chart, _ ("SVG…"), svg_tip, G_CALLBACK (on_export_svg_clicked_cb)));
  gtk_box_append (GTK_BOX (card), row);
  return card;
}

/* The drift timeline's card, across the view above the other charts: the
 * chart, "Import batches | Sliding windows", and its numbers. */
static GtkWidget *
make_drift_card (GleanerInsightsView *self)
{
  GtkWidget *card = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_widget_add_css_class (card, "card");
  gtk_widget_add_css_class (card, "insights-card");
  gtk_widget_set_margin_start (card, 12);
  gtk_widget_set_margin_end (card, 12);
  GtkWidget *chart = gleaner_drift_timeline_new ();
  self->drift = GLEANER_DRIFT_TIMELINE (chart);
  gtk_widget_set_hexpand (chart, TRUE);
  g_signal_connect (chart, "cell-activated", G_CALLBACK (on_drift_cell_activated_cb), self);
  gtk_box_append (GTK_BOX (card), chart);

  GtkWidget *row = numbers_row (&self->drift_table, _ ("N_umbers"), 80);
  GtkWidget *kinds = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_widget_add_css_class (kinds, "linked");
  gtk_widget_set_valign (kinds, GTK_ALIGN_START);
  GtkWidget *batches = gtk_toggle_button_new_with_mnemonic (_ ("Import _Batches"));
  GtkWidget *windows = gtk_toggle_button_new_with_mnemonic (_ ("Sliding _Windows"));
  gtk_widget_set_tooltip_text (batches, _ ("One column per import batch"));
  gtk_widget_set_tooltip_text (windows, _ ("One column per sliding window over the newest images"));
  gtk_toggle_button_set_group (GTK_TOGGLE_BUTTON (windows), GTK_TOGGLE_BUTTON (batches));
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (batches), TRUE);
  self->drift_windows = GTK_TOGGLE_BUTTON (windows);
  g_signal_connect_swapped (windows, "toggled", G_CALLBACK (on_drift_kind_toggled_cb), self);
  gtk_box_append (GTK_BOX (kinds), batches);
  gtk_box_append (GTK_BOX (kinds), windows);
  gtk_box_append (GTK_BOX (row), kinds);
  gtk_box_append (GTK_BOX (row), export_button (self, chart, _ ("PNG…"), _ ("Export the drift timeline as PNG"),
                                                G_CALLBACK (on_export_png_clicked_cb)));
  gtk_box_append (GTK_BOX (row), export_button (self, chart, _ ("SVG…"), _ ("Export the drift timeline as SVG"),
                                                G_CALLBACK (on_export_svg_clicked_cb)));
  gtk_box_append (GTK_BOX (card), row);
  return card;
}

/* ---- Accessors for tests ---- */

GleanerChart *
gleaner_insights_view_get_chart (GleanerInsightsView *self, GlChartKind kind)
{
  g_return_val_if_fail (GLEANER_IS_INSIGHTS_VIEW (self) && kind < GL_CHART_N_KINDS, NULL);
  return self->charts[kind];
}

gboolean
gleaner_insights_view_is_loading (GleanerInsightsView *self)
{
  g_return_val_if_fail (GLEANER_IS_INSIGHTS_VIEW (self), FALSE);
  return self->cancellable != NULL;
}

GleanerDriftTimeline *
gleaner_insights_view_get_drift_timeline (GleanerInsightsView *self)
{
  g_return_val_if_fail (GLEANER_IS_INSIGHTS_VIEW (self), NULL);
  return self->drift;
}

gboolean
gleaner_insights_view_is_loading_drift (GleanerInsightsView *self)
{
  g_return_val_if_fail (GLEANER_IS_INSIGHTS_VIEW (self), FALSE);
  return self->drift_cancellable != NULL;
}

GtkToggleButton *
gleaner_insights_view_get_drift_windows_button (GleanerInsightsView *self)
{
  g_return_val_if_fail (GLEANER_IS_INSIGHTS_VIEW (self), NULL);
  return self->drift_windows;
}

GtkDropDown *
gleaner_insights_view_get_version_dropdown (GleanerInsightsView *self)
{
  g_return_val_if_fail (GLEANER_IS_INSIGHTS_VIEW (self), NULL);
  return self->version_dropdown;
}

/* ---- GObject ---- */

static void
gleaner_insights_view_dispose (GObject *object)
{
  GleanerInsightsView *self = GLEANER_INSIGHTS_VIEW (object);
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->drift_cancellable)
    g_cancellable_cancel (self->drift_cancellable);
  g_clear_object (&self->drift_cancellable);
  g_clear_pointer (&self->report, gl_insights_unref);
  g_clear_pointer (&self->box, gtk_widget_unparent);
  G_OBJECT_CLASS (gleaner_insights_view_parent_class)->dispose (object);
}

static void
gleaner_insights_view_finalize (GObject *object)
{
  GleanerInsightsView *self = GLEANER_INSIGHTS_VIEW (object);
  g_array_unref (self->version_ids);
  G_OBJECT_CLASS (gleaner_insights_view_parent_class)->finalize (object);
}

static void
gleaner_insights_view_class_init (GleanerInsightsViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gleaner_insights_view_dispose;
  object_class->finalize = gleaner_insights_view_finalize;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "insights");

  /* (label class id, predicted class id): a confusion cell was clicked. */
  signals[SIGNAL_SHOW_CONFUSION]
      = g_signal_new ("show-confusion", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                      G_TYPE_NONE, 2, G_TYPE_INT64, G_TYPE_INT64);
  /* (class id, first image id, last image id): a drift timeline cell was clicked. */
  signals[SIGNAL_SHOW_DRIFT]
      = g_signal_new ("show-drift", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
                      3, G_TYPE_INT64, G_TYPE_INT64, G_TYPE_INT64);
}

static void
gleaner_insights_view_init (GleanerInsightsView *self)
{
  self->version_ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->wanted = -1;
  self->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_widget_set_parent (self->box, GTK_WIDGET (self));

  GtkWidget *bar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_widget_set_margin_start (bar, 12);
  gtk_widget_set_margin_end (bar, 12);
  gtk_widget_set_margin_top (bar, 6);
  gtk_widget_set_margin_bottom (bar, 6);
  GtkWidget *label = gtk_label_new_with_mnemonic (_ ("Model _version"));
  gtk_box_append (GTK_BOX (bar), label);
  self->version_names = gtk_string_list_new (NULL);
  self->version_dropdown = GTK_DROP_DOWN (gtk_drop_down_new (G_LIST_MODEL (self->version_names), NULL));
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), GTK_WIDGET (self->version_dropdown));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->version_dropdown), _ ("The model version the charts show"));
  gtk_widget_set_sensitive (GTK_WIDGET (self->version_dropdown), FALSE);
  g_signal_connect_swapped (self->version_dropdown, "notify::selected", G_CALLBACK (on_version_selected_cb),
                            self);
  gtk_box_append (GTK_BOX (bar), GTK_WIDGET (self->version_dropdown));
  self->spinner = GTK_SPINNER (gtk_spinner_new ());
  gtk_box_append (GTK_BOX (bar), GTK_WIDGET (self->spinner));
  self->status = GTK_LABEL (gtk_label_new (""));
  gtk_label_set_ellipsize (self->status, PANGO_ELLIPSIZE_END);
  gtk_label_set_xalign (self->status, 0);
  gtk_widget_set_hexpand (GTK_WIDGET (self->status), TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->status), "dim-label");
  gtk_box_append (GTK_BOX (bar), GTK_WIDGET (self->status));
  gtk_box_append (GTK_BOX (self->box), bar);

  GtkWidget *flow = gtk_flow_box_new ();
  gtk_flow_box_set_selection_mode (GTK_FLOW_BOX (flow), GTK_SELECTION_NONE);
  gtk_flow_box_set_homogeneous (GTK_FLOW_BOX (flow), TRUE);
  gtk_flow_box_set_min_children_per_line (GTK_FLOW_BOX (flow), 1);
  gtk_flow_box_set_max_children_per_line (GTK_FLOW_BOX (flow), 2);
  gtk_flow_box_set_column_spacing (GTK_FLOW_BOX (flow), 12);
  gtk_flow_box_set_row_spacing (GTK_FLOW_BOX (flow), 12);
  gtk_widget_set_margin_start (flow, 12);
  gtk_widget_set_margin_end (flow, 12);
  gtk_widget_set_margin_bottom (flow, 12);
  gtk_widget_set_valign (flow, GTK_ALIGN_START);
  for (guint k = 0; k < GL_CHART_N_KINDS; k++)
    {
      GtkWidget *card = make_card (self, k);
      gtk_flow_box_append (GTK_FLOW_BOX (flow), card);
      /* The flow box's child only holds the card: no focus stop of its own. */
      gtk_widget_set_focusable (gtk_widget_get_parent (card), FALSE);
    }
  GtkWidget *content = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_box_append (GTK_BOX (content), make_drift_card (self));
  gtk_box_append (GTK_BOX (content), flow);
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), content);
  gtk_widget_set_vexpand (scrolled, TRUE);
  gtk_box_append (GTK_BOX (self->box), scrolled);
}
