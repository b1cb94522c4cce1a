/* gleaner-classes-dialog.c — see gleaner-classes-dialog.h. */
#include "gleaner-config.h"

#include "ui/gleaner-classes-dialog.h"

#include <glib/gi18n.h>

#include "app/gl-session.h"
#include "ui/gleaner-label-view.h"

struct _GleanerClassesDialog
{
  AdwWindow parent_instance;

  /* template children */
  AdwToastOverlay *toast_overlay;
  GtkListBox *classes_list;
  AdwEntryRow *add_row;

  /* borrowed */
  GlProject *project;

  /* owned */
  GPtrArray *classes; /* GlSessionClass, in order */
};

G_DEFINE_FINAL_TYPE (GleanerClassesDialog, gleaner_classes_dialog, ADW_TYPE_WINDOW)

enum
{
  SIGNAL_CHANGED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static void reload (GleanerClassesDialog *self);

static void
report (GleanerClassesDialog *self, const GError *error)
{
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (error->message));
}

/* After a change: show the classes again and tell the window. */
static void
changed (GleanerClassesDialog *self)
{
  reload (self);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

static GlSessionClass *
class_of (GleanerClassesDialog *self, GtkWidget *widget)
{
  guint index = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (widget), "class-index"));
  return self->classes != NULL && index < self->classes->len ? g_ptr_array_index (self->classes, index) : NULL;
}

static void
on_rename_apply_cb (AdwEntryRow *row, GleanerClassesDialog *self)
{
  GlSessionClass *klass = class_of (self, GTK_WIDGET (row));
  g_autoptr (GError) error = NULL;
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));

  if (klass == NULL || g_strcmp0 (name, klass->name) == 0)
    return;
  if (!gl_session_rename_class (self->project, klass->id, name, &error))
    {
      report (self, error);
      gtk_editable_set_text (GTK_EDITABLE (row), klass->name);
      return;
    }
  changed (self);
}

static void
on_colour_set_cb (GtkColorButton *button, GleanerClassesDialog *self)
{
  GlSessionClass *klass = class_of (self, GTK_WIDGET (button));
  g_autoptr (GError) error = NULL;
  g_autofree char *colour = NULL;
  GdkRGBA rgba;

  if (klass == NULL)
    return;
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_color_chooser_get_rgba (GTK_COLOR_CHOOSER (button), &rgba);
  G_GNUC_END_IGNORE_DEPRECATIONS
  colour = g_strdup_printf ("#%02x%02x%02x", (int) (rgba.red * 255 + 0.5), (int) (rgba.green * 255 + 0.5),
                            (int) (rgba.blue * 255 + 0.5));
  if (!gl_session_recolour_class (self->project, klass->id, colour, &error))
    report (self, error);
  else
    changed (self);
}

static void
move (GleanerClassesDialog *self, GtkWidget *button, int delta)
{
  GlSessionClass *klass = class_of (self, button);
  g_autoptr (GError) error = NULL;

  if (klass == NULL)
    return;
  if (!gl_session_move_class (self->project, klass->id, delta, &error))
    report (self, error);
  else
    changed (self);
}

static void
on_up_clicked_cb (GtkButton *button, GleanerClassesDialog *self)
{
  move (self, GTK_WIDGET (button), -1);
}

static void
on_down_clicked_cb (GtkButton *button, GleanerClassesDialog *self)
{
  move (self, GTK_WIDGET (button), +1);
}

static void
on_shortcut_changed_cb (GtkEditable *entry, GleanerClassesDialog *self)
{
  GlSessionClass *klass = class_of (self, GTK_WIDGET (entry));
  const char *text = gtk_editable_get_text (entry);
  g_autoptr (GError) error = NULL;
  gunichar key = g_utf8_get_char (text);

  if (klass == NULL || key == klass->shortcut)
    return;
  /* S skips in the Label view; digits and letters are the class keys. */
  if (key != 0 && (g_unichar_tolower (key) == 's' || !g_unichar_isalnum (key)))
    {
      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” cannot be a class key: use a digit or a letter other than S"), text);
      report (self, error);
      return;
    }
  if (!gl_session_set_class_shortcut (self->project, klass->id, g_unichar_tolower (key), &error))
    report (self, error);
  else
    changed (self);
}

/* ---- delete ---- */

static void
delete_response_cb (AdwMessageDialog *dialog, const char *response, GleanerClassesDialog *self)
{
  gint64 class_id = *(gint64 *) g_object_get_data (G_OBJECT (dialog), "class-id");
  g_autoptr (GError) error = NULL;
  guint64 n = 0;

  if (g_strcmp0 (response, "delete") != 0)
    return;
  if (!gl_session_delete_class (self->project, class_id, &n, &error))
    report (self, error);
  else
    changed (self);
}

static void
on_delete_clicked_cb (GtkButton *button, GleanerClassesDialog *self)
{
  GlSessionClass *klass = class_of (self, GTK_WIDGET (button));
  g_autofree char *heading = NULL;
  g_autofree char *body = NULL;
  GtkWidget *dialog;

  if (klass == NULL)
    return;
  heading = g_strdup_printf (_("Delete “%s”?"), klass->name);
  if (klass->labeled > 0)
    body = g_strdup_printf (ngettext ("The %'" G_GUINT64_FORMAT " image labeled “%s” becomes unlabeled and returns "
                                      "to the queue. Earlier labels stay in the history.",
                                      "The %'" G_GUINT64_FORMAT " images labeled “%s” become unlabeled and return "
                                      "to the queue. Earlier labels stay in the history.",
                                      klass->labeled),
                            klass->labeled, klass->name);
  else
    body = g_strdup_printf (_("No image is labeled “%s”."), klass->name);
  dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"), "delete", _("_Delete"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "delete", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "class-id", g_memdup2 (&klass->id, sizeof klass->id), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (delete_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- merge ---- */

static void
merge_response_cb (AdwMessageDialog *dialog, const char *response, GleanerClassesDialog *self)
{
  gint64 from = *(gint64 *) g_object_get_data (G_OBJECT (dialog), "class-id");
  GtkDropDown *into_drop = g_object_get_data (G_OBJECT (dialog), "into");
  GPtrArray *targets = g_object_get_data (G_OBJECT (dialog), "targets");
  guint selected = gtk_drop_down_get_selected (into_drop);
  g_autoptr (GError) error = NULL;
  guint64 n = 0;

  if (g_strcmp0 (response, "merge") != 0 || selected >= targets->len)
    return;
  if (!gl_session_merge_classes (self->project, from, *(gint64 *) g_ptr_array_index (targets, selected), &n, &error))
    report (self, error);
  else
    changed (self);
}

static void
on_merge_clicked_cb (GtkButton *button, GleanerClassesDialog *self)
{
  GlSessionClass *klass = class_of (self, GTK_WIDGET (button));
  g_autoptr (GStrvBuilder) names = g_strv_builder_new ();
  g_auto (GStrv) list = NULL;
  GPtrArray *targets;
  g_autofree char *heading = NULL;
  g_autofree char *body = NULL;
  GtkWidget *dialog, *drop;

  if (klass == NULL)
    return;
  targets = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < self->classes->len; i++)
    {
      GlSessionClass *other = g_ptr_array_index (self->classes, i);
      if (other->id == klass->id)
        continue;
      g_strv_builder_add (names, other->name);
      g_ptr_array_add (targets, g_memdup2 (&other->id, sizeof other->id));
    }
  list = g_strv_builder_end (names);
  heading = g_strdup_printf (_("Merge “%s” Into…"), klass->name);
  body = g_strdup_printf (ngettext ("The %'" G_GUINT64_FORMAT " image labeled “%s” takes the class chosen below, "
                                    "and “%s” is deleted.",
                                    "The %'" G_GUINT64_FORMAT " images labeled “%s” take the class chosen below, "
                                    "and “%s” is deleted.",
                                    klass->labeled),
                          klass->labeled, klass->name, klass->name);
  dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, body);
  drop = gtk_drop_down_new_from_strings ((const char *const *) list);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), drop);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"), "merge", _("_Merge"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "merge", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (dialog), "merge", targets->len > 0);
  g_object_set_data_full (G_OBJECT (dialog), "class-id", g_memdup2 (&klass->id, sizeof klass->id), g_free);
  g_object_set_data (G_OBJECT (dialog), "into", drop);
  g_object_set_data_full (G_OBJECT (dialog), "targets", targets, (GDestroyNotify) g_ptr_array_unref);
  g_signal_connect_object (dialog, "response", G_CALLBACK (merge_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- the list ---- */

static GtkWidget *
row_button (GleanerClassesDialog *self, guint index, const char *icon, const char *tooltip, GCallback callback)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_widget_add_css_class (button, "flat");
  g_object_set_data (G_OBJECT (button), "class-index", GUINT_TO_POINTER (index));
  g_signal_connect (button, "clicked", callback, self);
  return button;
}

static void
reload (GleanerClassesDialog *self)
{
  g_autoptr (GError) error = NULL;
  g_autofree gunichar *custom = NULL;
  g_autofree gunichar *keys = NULL;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->classes_list))) != NULL)
    gtk_list_box_remove (self->classes_list, child);
  g_clear_pointer (&self->classes, g_ptr_array_unref);
  self->classes = gl_session_list_classes (self->project, &error);
  if (self->classes == NULL)
    {
      report (self, error);
      return;
    }

  custom = g_new0 (gunichar, MAX (1u, self->classes->len));
  keys = g_new0 (gunichar, MAX (1u, self->classes->len));
  for (guint i = 0; i < self->classes->len; i++)
    custom[i] = ((GlSessionClass *) g_ptr_array_index (self->classes, i))->shortcut;
  gleaner_label_view_assign_keys (custom, self->classes->len, keys);

  for (guint i = 0; i < self->classes->len; i++)
    {
      GlSessionClass *klass = g_ptr_array_index (self->classes, i);
      GtkWidget *row = adw_entry_row_new ();
      GtkWidget *colour, *key, *count;
      gunichar ch = keys[i];
      g_autofree char *title = NULL;
      g_autofree char *labeled = g_strdup_printf (ngettext ("%'" G_GUINT64_FORMAT " label", "%'" G_GUINT64_FORMAT
                                                            " labels", klass->labeled),
                                                  klass->labeled);
      char keybuf[8] = { 0 };
      GdkRGBA rgba;

      if (ch != 0)
        g_unichar_to_utf8 (g_unichar_toupper (ch), keybuf);
      title = g_strdup_printf (_("Class %u"), i + 1);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      gtk_editable_set_text (GTK_EDITABLE (row), klass->name);
      adw_entry_row_set_show_apply_button (ADW_ENTRY_ROW (row), TRUE);
      g_object_set_data (G_OBJECT (row), "class-index", GUINT_TO_POINTER (i));
      g_signal_connect (row, "apply", G_CALLBACK (on_rename_apply_cb), self);

      /* Its key: its own shortcut, or the default (shown as a placeholder). */
      key = gtk_entry_new ();
      gtk_entry_set_max_length (GTK_ENTRY (key), 1);
      gtk_editable_set_width_chars (GTK_EDITABLE (key), 2);
      gtk_editable_set_max_width_chars (GTK_EDITABLE (key), 2);
      gtk_entry_set_alignment (GTK_ENTRY (key), 0.5f);
      if (klass->shortcut != 0)
        {
          char own[8] = { 0 };
          g_unichar_to_utf8 (g_unichar_toupper (klass->shortcut), own);
          gtk_editable_set_text (GTK_EDITABLE (key), own);
        }
      gtk_entry_set_placeholder_text (GTK_ENTRY (key), keybuf);
      gtk_widget_add_css_class (key, "keycap-entry");
      gtk_widget_set_valign (key, GTK_ALIGN_CENTER);
      gtk_widget_set_tooltip_text (key, _("Its key in the Label view; empty for the default"));
      g_object_set_data (G_OBJECT (key), "class-index", GUINT_TO_POINTER (i));
      g_signal_connect (key, "changed", G_CALLBACK (on_shortcut_changed_cb), self);
      adw_entry_row_add_prefix (ADW_ENTRY_ROW (row), key);

      G_GNUC_BEGIN_IGNORE_DEPRECATIONS
      colour = gtk_color_button_new ();
      if (gdk_rgba_parse (&rgba, klass->colour))
        gtk_color_chooser_set_rgba (GTK_COLOR_CHOOSER (colour), &rgba);
      gtk_color_chooser_set_use_alpha (GTK_COLOR_CHOOSER (colour), FALSE);
      G_GNUC_END_IGNORE_DEPRECATIONS
      gtk_widget_set_valign (colour, GTK_ALIGN_CENTER);
      gtk_widget_set_tooltip_text (colour, _("Colour"));
      g_object_set_data (G_OBJECT (colour), "class-index", GUINT_TO_POINTER (i));
      g_signal_connect (colour, "color-set", G_CALLBACK (on_colour_set_cb), self);
      adw_entry_row_add_prefix (ADW_ENTRY_ROW (row), colour);

      count = gtk_label_new (labeled);
      gtk_widget_set_tooltip_text (count, _("Images labeled with it"));
      gtk_widget_add_css_class (count, "dim-label");
      gtk_widget_add_css_class (count, "counter");
      adw_entry_row_add_suffix (ADW_ENTRY_ROW (row), count);
      adw_entry_row_add_suffix (ADW_ENTRY_ROW (row), row_button (self, i, "go-up-symbolic", _("Move Up"),
                                                                 G_CALLBACK (on_up_clicked_cb)));
      adw_entry_row_add_suffix (ADW_ENTRY_ROW (row), row_button (self, i, "go-down-symbolic", _("Move Down"),
                                                                 G_CALLBACK (on_down_clicked_cb)));
      adw_entry_row_add_suffix (ADW_ENTRY_ROW (row), row_button (self, i, "mail-forward-symbolic",
                                                                 _("Merge Into Another Class…"),
                                                                 G_CALLBACK (on_merge_clicked_cb)));
      adw_entry_row_add_suffix (ADW_ENTRY_ROW (row), row_button (self, i, "user-trash-symbolic", _("Delete…"),
                                                                 G_CALLBACK (on_delete_clicked_cb)));
      gtk_list_box_append (self->classes_list, row);
    }
}

static void
on_add_row_apply_cb (GleanerClassesDialog *self)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->add_row))));

  if (*name == '\0')
    return;
  if (!gl_session_add_class (self->project, name, &error))
    {
      report (self, error);
      return;
    }
  gtk_editable_set_text (GTK_EDITABLE (self->add_row), "");
  changed (self);
}

GleanerClassesDialog *
gleaner_classes_dialog_new (GtkWindow *parent, GlProject *project)
{
  GleanerClassesDialog *self = g_object_new (GLEANER_TYPE_CLASSES_DIALOG, "transient-for", parent, NULL);
  self->project = project;
  reload (self);
  return self;
}

static void
gleaner_classes_dialog_dispose (GObject *object)
{
  GleanerClassesDialog *self = GLEANER_CLASSES_DIALOG (object);

  g_clear_pointer (&self->classes, g_ptr_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), GLEANER_TYPE_CLASSES_DIALOG);
  G_OBJECT_CLASS (gleaner_classes_dialog_parent_class)->dispose (object);
}

static void
gleaner_classes_dialog_class_init (GleanerClassesDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gleaner_classes_dialog_dispose;
  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                          NULL, G_TYPE_NONE, 0);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/gleaner/Gleaner/gleaner-classes-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, GleanerClassesDialog, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, GleanerClassesDialog, classes_list);
  gtk_widget_class_bind_template_child (widget_class, GleanerClassesDialog, add_row);
  gtk_widget_class_bind_template_callback (widget_class, on_add_row_apply_cb);
}

static void
gleaner_classes_dialog_init (GleanerClassesDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
