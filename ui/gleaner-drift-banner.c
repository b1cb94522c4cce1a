/* gleaner-drift-banner.c — see gleaner-drift-banner.h. */
#include "ui/gleaner-drift-banner.h"

#include <glib/gi18n.h>
#include <math.h>

#include "app/gl-drift-timeline.h"

#define SHOWN_CLASSES 3 /* classes named in the details; the tooltip has them all */

struct _GleanerDriftBanner
{
  GtkWidget parent_instance;

  /* children (owned by the widget tree) */
  GtkRevealer *revealer;
  GtkLabel *title;
  GtkLabel *details;
  GtkButton *button;

  /* owned; main thread */
  gint64 shown_id;     /* the result shown, -1 none */
  gint64 dismissed_id; /* the newest result dismissed, -1 none */
};

G_DEFINE_FINAL_TYPE (GleanerDriftBanner, gleaner_drift_banner, GTK_TYPE_WIDGET)

enum
{
  SIGNAL_LABEL_DRIFTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

GtkWidget *
gleaner_drift_banner_new (void)
{
  return g_object_new (GLEANER_TYPE_DRIFT_BANNER, NULL);
}

/* "Sneaker: BBSD (KS on the softmax column), adjusted p 0.0003, effect 0.310,
 * n 400 reference / 180 here; precision 71.0% ± 9.8% (reference 88.0%)". */
static void
append_class (GString *out, const GlDriftAutoClass *c)
{
  char p[32];
  g_string_append_printf (out,
                          _ ("%s: %s, adjusted p %s, effect %.3f, n %" G_GUINT64_FORMAT " reference / %" G_GUINT64_FORMAT
                             " here"),
                          c->name, gl_drift_timeline_test_title (c->test), gl_drift_timeline_format_p (p, c->p_adjusted),
                          c->effect, c->n_ref, c->n_win);
  if (!isnan (c->precision_est) && !isnan (c->precision_se))
    g_string_append_printf (out, _ ("; estimated precision %.1f%% ± %.1f%% (95%%, CBPE; reference %.1f%%)"),
                            100 * c->precision_est, 196 * c->precision_se, 100 * c->precision_ref);
  if (c->novel && !isnan (c->novelty_ratio))
    g_string_append_printf (out, _ ("; new kind of image, novelty %.1f× the reference"), c->novelty_ratio);
}

static void
hide (GleanerDriftBanner *self)
{
  self->shown_id = -1;
  gtk_revealer_set_reveal_child (self->revealer, FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
}

/* Why Gleaner acts (or not): persists, hurts, the boost. */
static void
append_action (GString *out, const GlDriftAutoState *s)
{
  if (s->run_length <= 1)
    g_string_append (out, _ ("Only the newest result drifted"));
  else
    g_string_append_printf (out, _ ("The newest %u results in a row drifted"), s->run_length);
  if (s->adwin_fired)
    g_string_append_printf (out,
                            _ ("; the audited accuracy of a class fell from %.1f%% (%" G_GUINT64_FORMAT
                               " labels) to %.1f%% (%" G_GUINT64_FORMAT " labels; ADWIN, δ %.3g)"),
                            100 * s->adwin.mean_before, s->adwin.width_before, 100 * s->adwin.mean_after,
                            s->adwin.width_after, s->adwin.delta);
  g_string_append (out, s->persists_and_hurts ? _ (": it persists and hurts. ")
                        : s->persists         ? _ (": it persists, but no class loses enough to act. ")
                                              : _ (". "));
  if (s->boost_active)
    g_string_append_printf (out,
                            _ ("Drifted images are labeled first (started by %s): %" G_GINT64_FORMAT
                               " labeled, %" G_GUINT64_FORMAT " left."),
                            g_strcmp0 (s->boost_origin, "auto") == 0 ? _ ("Gleaner") : _ ("you"), s->boost_labeled,
                            s->boost_left);
  else if (!s->automation)
    g_string_append (out, _ ("Automatic retraining is off for this project."));
}

void
gleaner_drift_banner_show_state (GleanerDriftBanner *self, const GlDriftAutoState *s)
{
  g_return_if_fail (GLEANER_IS_DRIFT_BANNER (self));
  if (s == NULL || s->model_id < 0 || s->drift_id < 0 || !s->drifted || s->drift_id <= self->dismissed_id)
    {
      hide (self);
      return;
    }
  g_autofree char *where
      = s->kind == GL_DB_DRIFT_BATCH
            ? g_strdup_printf (_ ("import batch %" G_GINT64_FORMAT), s->batch_id)
            : g_strdup_printf (_ ("images %" G_GINT64_FORMAT "–%" G_GINT64_FORMAT), s->first_image, s->last_image);
  g_autofree char *title = g_strdup_printf (
      ngettext ("Drift detected in %s (%" G_GUINT64_FORMAT " images, model v%" G_GINT64_FORMAT
                "): %u test fired, α %.2f over all the tests",
                "Drift detected in %s (%" G_GUINT64_FORMAT " images, model v%" G_GINT64_FORMAT
                "): %u tests fired, α %.2f over all the tests",
                s->n_fired),
      where, s->n_images, s->model_id, s->n_fired, s->alpha);
  GString *details = g_string_new (NULL), *all = g_string_new (NULL);
  guint n = s->classes ? s->classes->len : 0;
  for (guint i = 0; i < n; i++)
    {
      const GlDriftAutoClass *c = &g_array_index (s->classes, GlDriftAutoClass, i);
      if (i < SHOWN_CLASSES)
        {
          if (i > 0)
            g_string_append (details, "\n");
          append_class (details, c);
        }
      append_class (all, c);
      g_string_append_c (all, '\n');
    }
  if (n > SHOWN_CLASSES)
    g_string_append_printf (details, _ ("\nand %u more classes (in the tooltip)"), n - SHOWN_CLASSES);
  if (n == 0)
    g_string_append (details, _ ("Only window-wide tests fired (class shares, confidence or embedding): no single class"));
  g_string_append_c (details, '\n');
  append_action (details, s);
  append_action (all, s);
  gtk_label_set_text (self->title, title);
  gtk_label_set_text (self->details, details->str);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->details), all->str);
  g_string_free (details, TRUE);
  g_string_free (all, TRUE);
  self->shown_id = s->drift_id;
  gtk_widget_set_visible (GTK_WIDGET (self), TRUE);
  gtk_revealer_set_reveal_child (self->revealer, TRUE);
}

gboolean
gleaner_drift_banner_is_shown (GleanerDriftBanner *self)
{
  g_return_val_if_fail (GLEANER_IS_DRIFT_BANNER (self), FALSE);
  return gtk_widget_get_visible (GTK_WIDGET (self)) && gtk_revealer_get_reveal_child (self->revealer);
}

const char *
gleaner_drift_banner_get_title (GleanerDriftBanner *self)
{
  g_return_val_if_fail (GLEANER_IS_DRIFT_BANNER (self), NULL);
  return gtk_label_get_text (self->title);
}

const char *
gleaner_drift_banner_get_details (GleanerDriftBanner *self)
{
  g_return_val_if_fail (GLEANER_IS_DRIFT_BANNER (self), NULL);
  return gtk_label_get_text (self->details);
}

GtkButton *
gleaner_drift_banner_get_button (GleanerDriftBanner *self)
{
  g_return_val_if_fail (GLEANER_IS_DRIFT_BANNER (self), NULL);
  return self->button;
}

static void
on_button_clicked_cb (GleanerDriftBanner *self)
{
  g_signal_emit (self, signals[SIGNAL_LABEL_DRIFTED], 0);
}

static void
on_dismiss_clicked_cb (GleanerDriftBanner *self)
{
  self->dismissed_id = MAX (self->dismissed_id, self->shown_id);
  hide (self);
}

static void
gleaner_drift_banner_dispose (GObject *object)
{
  GleanerDriftBanner *self = GLEANER_DRIFT_BANNER (object);
  GtkWidget *child = GTK_WIDGET (self->revealer);
  self->revealer = NULL;
  g_clear_pointer (&child, gtk_widget_unparent);
  G_OBJECT_CLASS (gleaner_drift_banner_parent_class)->dispose (object);
}

static void
gleaner_drift_banner_class_init (GleanerDriftBannerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gleaner_drift_banner_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "driftbanner");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);

  /* "Label Drifted Images" was clicked. */
  signals[SIGNAL_LABEL_DRIFTED] = g_signal_new ("label-drifted", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                                NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
gleaner_drift_banner_init (GleanerDriftBanner *self)
{
  self->shown_id = self->dismissed_id = -1;
  self->revealer = GTK_REVEALER (gtk_revealer_new ());
  gtk_widget_set_parent (GTK_WIDGET (self->revealer), GTK_WIDGET (self));
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_widget_add_css_class (box, "drift-banner");
  GtkWidget *icon = gtk_image_new_from_icon_name ("dialog-warning-symbolic");
  gtk_widget_set_valign (icon, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (box), icon);
  GtkWidget *text = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  gtk_widget_set_hexpand (text, TRUE);
  gtk_widget_set_valign (text, GTK_ALIGN_CENTER);
  self->title = GTK_LABEL (gtk_label_new (""));
  gtk_widget_add_css_class (GTK_WIDGET (self->title), "heading");
  self->details = GTK_LABEL (gtk_label_new (""));
  for (GtkLabel *l = self->title; l != NULL; l = l == self->title ? self->details : NULL)
    {
      gtk_label_set_xalign (l, 0);
      gtk_label_set_wrap (l, TRUE);
      gtk_label_set_selectable (l, TRUE);
      gtk_box_append (GTK_BOX (text), GTK_WIDGET (l));
    }
  gtk_box_append (GTK_BOX (box), text);
  self->button = GTK_BUTTON (gtk_button_new_with_mnemonic (_ ("_Label Drifted Images")));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->button),
                               _ ("Label images of the drifted classes first, then retrain on them"));
  gtk_widget_set_valign (GTK_WIDGET (self->button), GTK_ALIGN_CENTER);
  g_signal_connect_swapped (self->button, "clicked", G_CALLBACK (on_button_clicked_cb), self);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->button));
  GtkWidget *dismiss = gtk_button_new_from_icon_name ("window-close-symbolic");
  gtk_widget_add_css_class (dismiss, "flat");
  gtk_widget_add_css_class (dismiss, "circular");
  gtk_widget_set_valign (dismiss, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (dismiss, _ ("Hide until new drift is found"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (dismiss), GTK_ACCESSIBLE_PROPERTY_LABEL, _ ("Dismiss"), -1);
  g_signal_connect_swapped (dismiss, "clicked", G_CALLBACK (on_dismiss_clicked_cb), self);
  gtk_box_append (GTK_BOX (box), dismiss);
  gtk_revealer_set_child (self->revealer, box);
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
}
