/* gleaner-connect-dialog.c — see gleaner-connect-dialog.h. */
#include "gleaner-config.h"

#include "ui/gleaner-connect-dialog.h"

#include <glib/gi18n.h>
#include <string.h>

#include "app/gl-identity.h"
#include "app/gl-project.h"
#include "ui/gleaner-window.h"

struct _GleanerConnectDialog
{
  AdwMessageDialog parent_instance;

  /* borrowed: children of the dialog, alive as long as it is */
  AdwEntryRow *target_row;
  AdwPasswordEntryRow *password_row;
  AdwEntryRow *name_row;
};

G_DEFINE_FINAL_TYPE (GleanerConnectDialog, gleaner_connect_dialog, ADW_TYPE_MESSAGE_DIALOG)

static const char *
row_text (gpointer row)
{
  return gtk_editable_get_text (GTK_EDITABLE (row));
}

gboolean
gleaner_connect_dialog_can_connect (GleanerConnectDialog *self)
{
  g_autofree char *target = g_strstrip (g_strdup (row_text (self->target_row)));
  return gl_project_is_team_target (target) && gl_identity_check_name (row_text (self->name_row), NULL);
}

static void
update_connect_enabled (GleanerConnectDialog *self)
{
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), "connect",
                                           gleaner_connect_dialog_can_connect (self));
}

char *
gleaner_connect_dialog_dup_target (GleanerConnectDialog *self, GError **error)
{
  g_autofree char *target = g_strstrip (g_strdup (row_text (self->target_row)));
  return gl_project_team_target (target, row_text (self->password_row), error);
}

static void
show_error (GtkWindow *parent, const char *message)
{
  GtkWidget *dialog = adw_message_dialog_new (parent, _("Cannot Connect"), message);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_response_cb (GleanerConnectDialog *self, const char *response, gpointer user_data)
{
  GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (self));
  g_autoptr (GError) error = NULL;

  if (g_strcmp0 (response, "connect") != 0 || !gleaner_connect_dialog_can_connect (self))
    return;
  const char *name = row_text (self->name_row);
  g_autofree char *current = gl_identity_current (NULL);
  if (g_strcmp0 (name, current) != 0)
    {
      if (!gl_identity_save (name, &error))
        {
          show_error (parent, error->message);
          return;
        }
      gl_identity_apply ();
    }
  char *target = gleaner_connect_dialog_dup_target (self, &error);
  if (target == NULL)
    {
      show_error (parent, error->message);
      return;
    }
  if (GLEANER_IS_WINDOW (parent))
    gleaner_window_open_team (GLEANER_WINDOW (parent), target);
  memset (target, 0, strlen (target));
  g_free (target);
}

void
gleaner_connect_dialog_fill (GleanerConnectDialog *self, const char *target, const char *password,
                             const char *annotator)
{
  gtk_editable_set_text (GTK_EDITABLE (self->target_row), target ? target : "");
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), password ? password : "");
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), annotator ? annotator : "");
}

static void
gleaner_connect_dialog_dispose (GObject *object)
{
  GleanerConnectDialog *self = GLEANER_CONNECT_DIALOG (object);

  /* The password's characters do not outlive the dialog in its entry. */
  if (self->password_row != NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
  self->password_row = NULL;
  G_OBJECT_CLASS (gleaner_connect_dialog_parent_class)->dispose (object);
}

static void
gleaner_connect_dialog_class_init (GleanerConnectDialogClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = gleaner_connect_dialog_dispose;
}

static void
gleaner_connect_dialog_init (GleanerConnectDialog *self)
{
  AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (self);
  GtkWidget *group = adw_preferences_group_new ();

  adw_message_dialog_set_heading (dialog, _("Connect to a Team Project"));
  adw_message_dialog_set_body (dialog, _("A team project lives in a PostgreSQL database that everyone on the team "
                                         "connects to. Your labels are stored there under your name."));
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "connect", _("C_onnect"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "connect", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "connect");
  adw_message_dialog_set_close_response (dialog, "cancel");
  gtk_widget_set_size_request (group, 400, -1);

  self->target_row = ADW_ENTRY_ROW (adw_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->target_row),
                                 _("Connection String (postgresql://user@server/project)"));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (self->target_row));

  self->password_row = ADW_PASSWORD_ENTRY_ROW (adw_password_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->password_row), _("Password, if the Server Asks"));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (self->password_row));

  self->name_row = ADW_ENTRY_ROW (adw_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->name_row), _("Your Name in the Team"));
  g_autofree char *name = gl_identity_current (NULL);
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), name);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (self->name_row));

  adw_message_dialog_set_extra_child (dialog, group);
  g_signal_connect_swapped (self->target_row, "changed", G_CALLBACK (update_connect_enabled), self);
  g_signal_connect_swapped (self->name_row, "changed", G_CALLBACK (update_connect_enabled), self);
  g_signal_connect (self, "response", G_CALLBACK (on_response_cb), NULL);
  update_connect_enabled (self);
}

GleanerConnectDialog *
gleaner_connect_dialog_new (GtkWindow *parent)
{
  return g_object_new (GLEANER_TYPE_CONNECT_DIALOG, "transient-for", parent, "modal", TRUE, NULL);
}
