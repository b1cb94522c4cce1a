/* gleaner-welcome-page.c — see gleaner-welcome-page.h. */
#include "gleaner-config.h"

#include "ui/gleaner-welcome-page.h"

#include <glib/gi18n.h>
#include <string.h>

#include "app/gl-project.h"

struct _GleanerWelcomePage
{
  AdwBin parent_instance;

  /* template children */
  AdwPreferencesGroup *recent_group;
  GtkListBox *recent_list;

  /* owned */
  GSettings *settings;
  char *location; /* where new projects go */

  /* the new-project dialog while it is open (borrowed widgets of it) */
  AdwMessageDialog *dialog;
  AdwEntryRow *name_row;
  AdwComboRow *colour_row;
  AdwComboRow *size_row;
  AdwEntryRow *classes_row;
  AdwActionRow *location_row;
};

G_DEFINE_FINAL_TYPE (GleanerWelcomePage, gleaner_welcome_page, ADW_TYPE_BIN)

enum
{
  SIGNAL_PROJECT_CREATED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static const guint sizes[] = { 28, 32, 64, 96, 128 };

static char *
display_path (const char *path)
{
  const char *home = g_get_home_dir ();
  gsize n = strlen (home);

  if (g_str_has_prefix (path, home) && (path[n] == '/' || path[n] == '\0'))
    return g_strconcat ("~", path + n, NULL);
  return g_strdup (path);
}

static void
rebuild_recent (GleanerWelcomePage *self)
{
  g_auto (GStrv) recent = g_settings_get_strv (self->settings, "recent-projects");
  GtkWidget *child;
  guint shown = 0;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->recent_list))) != NULL)
    gtk_list_box_remove (self->recent_list, child);

  for (guint i = 0; recent[i] != NULL; i++)
    {
      g_autofree char *name = NULL;
      g_autofree char *where = NULL;
      GtkWidget *row;

      gboolean team = gl_project_is_team_target (recent[i]); /* kept without its password */
      if (!team && !g_file_test (recent[i], G_FILE_TEST_IS_DIR))
        continue;
      name = g_path_get_basename (recent[i]);
      where = team ? g_strdup (recent[i]) : display_path (recent[i]);
      row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), where);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name ("go-next-symbolic"));
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (row), "win.open-recent");
      gtk_actionable_set_action_target (GTK_ACTIONABLE (row), "s", recent[i]);
      gtk_list_box_append (self->recent_list, row);
      shown++;
    }
  gtk_widget_set_visible (GTK_WIDGET (self->recent_group), shown > 0);
}

/* ---- the new-project dialog ---- */

static char **
parse_classes (const char *text)
{
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; parts[i] != NULL; i++)
    {
      char *name = g_strstrip (parts[i]);
      if (*name != '\0')
        g_strv_builder_add (builder, name);
    }
  return g_strv_builder_end (builder);
}

static void
update_create_enabled (GleanerWelcomePage *self)
{
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_row));
  g_auto (GStrv) classes = parse_classes (gtk_editable_get_text (GTK_EDITABLE (self->classes_row)));
  g_autofree char *stripped = g_strstrip (g_strdup (name));
  gboolean ok = *stripped != '\0' && strchr (stripped, '/') == NULL && g_strv_length (classes) >= 2;

  adw_message_dialog_set_response_enabled (self->dialog, "create", ok);
}

static void
update_location_row (GleanerWelcomePage *self)
{
  g_autofree char *where = display_path (self->location);
  adw_action_row_set_subtitle (self->location_row, where);
}

static void
location_response_cb (GtkNativeDialog *chooser, int response, gpointer user_data)
{
  GleanerWelcomePage *self = GLEANER_WELCOME_PAGE (user_data);

  if (response == GTK_RESPONSE_ACCEPT && self->dialog != NULL)
    {
      g_autoptr (GFile) dir = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = dir ? g_file_get_path (dir) : NULL;
      if (path != NULL)
        {
          g_free (self->location);
          self->location = g_steal_pointer (&path);
          update_location_row (self);
        }
    }
  g_object_unref (chooser);
  g_object_unref (self);
}

static void
on_location_clicked_cb (GleanerWelcomePage *self)
{
  GtkFileChooserNative *chooser = gtk_file_chooser_native_new (_("Where to Create the Project"),
                                                               GTK_WINDOW (self->dialog),
                                                               GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Select"),
                                                               _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (location_response_cb), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
show_error (GleanerWelcomePage *self, const char *heading, const char *message)
{
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))), heading, message);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
dialog_response_cb (AdwMessageDialog *dialog, const char *response, gpointer user_data)
{
  GleanerWelcomePage *self = GLEANER_WELCOME_PAGE (user_data);
  g_autoptr (GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *dir = NULL;
  g_auto (GStrv) classes = NULL;
  GlProject *project;
  guint size, colour;

  if (g_strcmp0 (response, "create") != 0)
    {
      self->dialog = NULL;
      return;
    }
  name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_row))));
  classes = parse_classes (gtk_editable_get_text (GTK_EDITABLE (self->classes_row)));
  size = sizes[MIN (adw_combo_row_get_selected (self->size_row), G_N_ELEMENTS (sizes) - 1)];
  colour = adw_combo_row_get_selected (self->colour_row) == 1 ? 3 : 1;
  dir = g_build_filename (self->location, name, NULL);
  self->dialog = NULL;

  project = gl_project_create (dir, size, size, colour, (const char *const *) classes, &error);
  if (project == NULL)
    {
      show_error (self, _("Cannot Create the Project"), error->message);
      return;
    }
  gl_project_close (project);
  g_signal_emit (self, signals[SIGNAL_PROJECT_CREATED], 0, dir);
}

void
gleaner_welcome_page_new_project (GleanerWelcomePage *self)
{
  GtkWidget *group, *button;
  const char *colours[] = { _("Greyscale"), _("Colour"), NULL };
  const char *size_names[] = { "28 × 28", "32 × 32", "64 × 64", "96 × 96", "128 × 128", NULL };

  g_return_if_fail (GLEANER_IS_WELCOME_PAGE (self));
  if (self->dialog != NULL)
    {
      gtk_window_present (GTK_WINDOW (self->dialog));
      return;
    }

  self->dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                                             _("New Project"),
                                                             _("Images are scaled to the model's input size; "
                                                               "the files stay where they are.")));
  adw_message_dialog_add_responses (self->dialog, "cancel", _("_Cancel"), "create", _("C_reate"), NULL);
  adw_message_dialog_set_response_appearance (self->dialog, "create", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (self->dialog, "create");
  adw_message_dialog_set_close_response (self->dialog, "cancel");

  group = adw_preferences_group_new ();
  gtk_widget_set_size_request (group, 360, -1);

  self->name_row = ADW_ENTRY_ROW (adw_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->name_row), _("Name"));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (self->name_row));

  self->classes_row = ADW_ENTRY_ROW (adw_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->classes_row), _("Classes, separated by commas"));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (self->classes_row));

  self->colour_row = ADW_COMBO_ROW (adw_combo_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->colour_row), _("Input"));
  adw_combo_row_set_model (self->colour_row, G_LIST_MODEL (gtk_string_list_new (colours)));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (self->colour_row));

  self->size_row = ADW_COMBO_ROW (adw_combo_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->size_row), _("Input Size"));
  adw_combo_row_set_model (self->size_row, G_LIST_MODEL (gtk_string_list_new (size_names)));
  adw_combo_row_set_selected (self->size_row, 2);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (self->size_row));

  self->location_row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->location_row), _("Location"));
  button = gtk_button_new_from_icon_name ("folder-open-symbolic");
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (button, _("Choose a Folder"));
  gtk_widget_add_css_class (button, "flat");
  g_signal_connect_swapped (button, "clicked", G_CALLBACK (on_location_clicked_cb), self);
  adw_action_row_add_suffix (self->location_row, button);
  adw_action_row_set_activatable_widget (self->location_row, button);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (self->location_row));
  update_location_row (self);

  adw_message_dialog_set_extra_child (self->dialog, group);
  g_signal_connect_swapped (self->name_row, "changed", G_CALLBACK (update_create_enabled), self);
  g_signal_connect_swapped (self->classes_row, "changed", G_CALLBACK (update_create_enabled), self);
  g_signal_connect (self->dialog, "response", G_CALLBACK (dialog_response_cb), self);
  update_create_enabled (self);
  gtk_window_present (GTK_WINDOW (self->dialog));
  gtk_widget_grab_focus (GTK_WIDGET (self->name_row));
}

static void
gleaner_welcome_page_dispose (GObject *object)
{
  GleanerWelcomePage *self = GLEANER_WELCOME_PAGE (object);

  if (self->dialog != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->dialog, self);
      gtk_window_destroy (GTK_WINDOW (self->dialog));
      self->dialog = NULL;
    }
  g_clear_object (&self->settings);
  gtk_widget_dispose_template (GTK_WIDGET (self), GLEANER_TYPE_WELCOME_PAGE);
  G_OBJECT_CLASS (gleaner_welcome_page_parent_class)->dispose (object);
}

static void
gleaner_welcome_page_finalize (GObject *object)
{
  GleanerWelcomePage *self = GLEANER_WELCOME_PAGE (object);

  g_free (self->location);
  G_OBJECT_CLASS (gleaner_welcome_page_parent_class)->finalize (object);
}

static void
gleaner_welcome_page_class_init (GleanerWelcomePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gleaner_welcome_page_dispose;
  object_class->finalize = gleaner_welcome_page_finalize;

  signals[SIGNAL_PROJECT_CREATED] = g_signal_new ("project-created", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/gleaner/Gleaner/gleaner-welcome-page.ui");
  gtk_widget_class_bind_template_child (widget_class, GleanerWelcomePage, recent_group);
  gtk_widget_class_bind_template_child (widget_class, GleanerWelcomePage, recent_list);
}

static void
gleaner_welcome_page_init (GleanerWelcomePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->location = g_build_filename (g_get_home_dir (), "Gleaner", NULL);
  self->settings = g_settings_new (GLEANER_APP_ID);
  g_signal_connect_object (self->settings, "changed::recent-projects", G_CALLBACK (rebuild_recent), self,
                           G_CONNECT_SWAPPED);
  rebuild_recent (self);
}
