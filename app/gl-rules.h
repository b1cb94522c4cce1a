/* gl-rules.h — bootstrap rules: a glob on the file name or a folder → a
 * suggested class.
 *
 * A rule's glob uses g_pattern_match_simple syntax ("*" any text, "?" one
 * character). A glob without "/" matches an image whose file name, or the
 * name of any folder on its path, matches it: "*boot*" suggests its class for
 * "…/boots/a.jpg" and for "…/x/boot_12.png". A glob with "/" is matched
 * against the whole path ("*" crosses "/" there). Matching is case-sensitive.
 * When several rules match, the oldest rule wins.
 *
 * Rules are stored in the project; gl_rules_apply turns them into SUGGESTED
 * labels of the unlabeled images (replacing the previous suggestions in one
 * transaction). The labeling queue shows suggested images first, with the
 * class to confirm (Enter) or correct (its key); the label is stored with
 * origin "rule" (accepted) or "human" (corrected).
 */
#pragma once

#include "app/gl-project.h"

G_BEGIN_DECLS

#define GL_RULES_ERROR (gl_rules_error_quark ())
GQuark gl_rules_error_quark (void);

typedef enum
{
  GL_RULES_ERROR_INVALID,   /* an empty or over-long glob, an unknown class */
  GL_RULES_ERROR_STORE,     /* the store failed */
} GlRulesError;

/* TRUE if @glob matches @path by the rules above. */
gboolean gl_rules_glob_matches (const char *glob, const char *path);

/* Compiled rules, in order (the first match wins). */
typedef struct _GlRules GlRules;

/* @globs (n), @classes (n): the class of each rule (any integer id). */
GlRules *gl_rules_new (const char *const *globs, const gint64 *classes, guint n);
void gl_rules_free (GlRules *rules);
guint gl_rules_get_n (GlRules *rules);
/* The class of the first rule that matches @path (and its index in
 * @rule_index, optional), or -1. */
gint64 gl_rules_match (GlRules *rules, const char *path, guint *rule_index);

/* Adds a rule to @project: @glob → the class named @class_name. */
gboolean gl_rules_add (GlProject *project, const char *glob, const char *class_name, gint64 *rule_id,
                       GError **error);
/* Removes a rule by id. */
gboolean gl_rules_delete (GlProject *project, gint64 rule_id, GError **error);
/* Suggests a class for every unlabeled readable pool image that a rule of
 * @project matches; replaces the stored suggestions. @n_suggested (optional). */
gboolean gl_rules_apply (GlProject *project, guint64 *n_suggested, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlRules, gl_rules_free)

G_END_DECLS
