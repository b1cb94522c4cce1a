/* gleaner-preferences-window.c — see gleaner-preferences-window.h. */
#include "gleaner-config.h"

#include "ui/gleaner-preferences-window.h"

#include "app/gl-identity.h"
#include "db/gl-db.h"

struct _GleanerPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  /* template children */
  AdwComboRow *strategy_row;
  GtkAdjustment *audit_adjustment;
  GtkAdjustment *retrain_adjustment;
  GtkAdjustment *validation_adjustment;
  GtkAdjustment *threads_adjustment;
  GtkSwitch *augmentation_switch;
  AdwEntryRow *annotator_row; /* the person's name (app/gl-identity.h), saved on apply */

  /* owned */
  GSettings *settings;
};

G_DEFINE_FINAL_TYPE (GleanerPreferencesWindow, gleaner_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

/* The combo row lists the strategies in the order of the schema's enum. */
static gboolean
strategy_get_mapping (GValue *value, GVariant *variant, gpointer user_data)
{
  GSettings *settings = user_data;
  g_value_set_uint (value, (guint) g_settings_get_enum (settings, "acquisition-strategy"));
  return TRUE;
}

static GVariant *
strategy_set_mapping (const GValue *value, const GVariantType *type, gpointer user_data)
{
  static const char *nicks[] = { "default", "random", "least-confidence", "margin", "entropy", "bald", "k-center" };
  guint i = g_value_get_uint (value);

  if (i >= G_N_ELEMENTS (nicks))
    return NULL;
  return g_variant_new_string (nicks[i]);
}

/* Shares are stored as 0…1 and shown as percentages. */
static gboolean
percent_get_mapping (GValue *value, GVariant *variant, gpointer user_data)
{
  g_value_set_double (value, g_variant_get_double (variant) * 100.0);
  return TRUE;
}

static GVariant *
percent_set_mapping (const GValue *value, const GVariantType *type, gpointer user_data)
{
  return g_variant_new_double (g_value_get_double (value) / 100.0);
}

static gboolean
uint_get_mapping (GValue *value, GVariant *variant, gpointer user_data)
{
  g_value_set_double (value, (double) g_variant_get_uint32 (variant));
  return TRUE;
}

static GVariant *
uint_set_mapping (const GValue *value, const GVariantType *type, gpointer user_data)
{
  return g_variant_new_uint32 ((guint32) g_value_get_double (value));
}

/* A name that cannot be saved is marked as an error, with the reason as the
 * row's tooltip; a good one is saved and used for the labels from now on. */
static void
on_annotator_row_apply_cb (AdwEntryRow *row, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  const char *name = gtk_editable_get_text (GTK_EDITABLE (row));
  if (!gl_identity_save (name, &error))
    {
      gtk_widget_add_css_class (GTK_WIDGET (row), "error");
      gtk_widget_set_tooltip_text (GTK_WIDGET (row), error->message);
      return;
    }
  gl_db_set_default_annotator (name);
}

static void
on_annotator_row_changed_cb (AdwEntryRow *row, gpointer user_data)
{
  gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
  gtk_widget_set_tooltip_text (GTK_WIDGET (row), NULL);
}

GleanerPreferencesWindow *
gleaner_preferences_window_new (void)
{
  return g_object_new (GLEANER_TYPE_PREFERENCES_WINDOW, NULL);
}

static void
gleaner_preferences_window_dispose (GObject *object)
{
  GleanerPreferencesWindow *self = GLEANER_PREFERENCES_WINDOW (object);

  g_clear_object (&self->settings);
  gtk_widget_dispose_template (GTK_WIDGET (self), GLEANER_TYPE_PREFERENCES_WINDOW);
  G_OBJECT_CLASS (gleaner_preferences_window_parent_class)->dispose (object);
}

static void
gleaner_preferences_window_class_init (GleanerPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gleaner_preferences_window_dispose;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/gleaner/Gleaner/gleaner-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, GleanerPreferencesWindow, strategy_row);
  gtk_widget_class_bind_template_child (widget_class, GleanerPreferencesWindow, audit_adjustment);
  gtk_widget_class_bind_template_child (widget_class, GleanerPreferencesWindow, retrain_adjustment);
  gtk_widget_class_bind_template_child (widget_class, GleanerPreferencesWindow, validation_adjustment);
  gtk_widget_class_bind_template_child (widget_class, GleanerPreferencesWindow, threads_adjustment);
  gtk_widget_class_bind_template_child (widget_class, GleanerPreferencesWindow, augmentation_switch);
  gtk_widget_class_bind_template_child (widget_class, GleanerPreferencesWindow, annotator_row);
  gtk_widget_class_bind_template_callback (widget_class, on_annotator_row_apply_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_annotator_row_changed_cb);
}

static void
gleaner_preferences_window_init (GleanerPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (GLEANER_APP_ID);
  g_settings_bind_with_mapping (self->settings, "acquisition-strategy", self->strategy_row, "selected",
                                G_SETTINGS_BIND_DEFAULT, strategy_get_mapping, strategy_set_mapping, self->settings,
                                NULL);
  g_settings_bind_with_mapping (self->settings, "audit-share", self->audit_adjustment, "value",
                                G_SETTINGS_BIND_DEFAULT, percent_get_mapping, percent_set_mapping, NULL, NULL);
  g_settings_bind_with_mapping (self->settings, "validation-share", self->validation_adjustment, "value",
                                G_SETTINGS_BIND_DEFAULT, percent_get_mapping, percent_set_mapping, NULL, NULL);
  g_settings_bind_with_mapping (self->settings, "retrain-every", self->retrain_adjustment, "value",
                                G_SETTINGS_BIND_DEFAULT, uint_get_mapping, uint_set_mapping, NULL, NULL);
  g_settings_bind_with_mapping (self->settings, "threads", self->threads_adjustment, "value",
                                G_SETTINGS_BIND_DEFAULT, uint_get_mapping, uint_set_mapping, NULL, NULL);
  g_settings_bind (self->settings, "augmentation", self->augmentation_switch, "active", G_SETTINGS_BIND_DEFAULT);

  g_autofree char *name = gl_identity_current (NULL);
  gtk_editable_set_text (GTK_EDITABLE (self->annotator_row), name);
}
