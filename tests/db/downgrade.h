/* downgrade.h — SQL that takes a current project file back to an older
 * schema version, as the build of that version left it, so that the
 * migration tests start from a real old file. Each string undoes one
 * version's migration (db/gl-db.c); chain them newest first. */
#pragma once

/* 6 → 5: the drift automation tables. */
#define GL_TEST_UNDO_V6 "DROP TABLE drift_actions; DROP TABLE drift_audit_changes; DROP TABLE drift_candidates;"

/* 5 → 4: the drift tables and columns. */
#define GL_TEST_UNDO_V5                                                                                                \
  "DROP TABLE drift_tests; DROP TABLE drift_classes; DROP TABLE drift_references; DROP INDEX drift_model;"              \
  " ALTER TABLE drift DROP COLUMN kind; ALTER TABLE drift DROP COLUMN first_image;"                                     \
  " ALTER TABLE drift DROP COLUMN last_image; ALTER TABLE drift DROP COLUMN n_images;"                                  \
  " ALTER TABLE drift DROP COLUMN window_size; ALTER TABLE drift DROP COLUMN drifted;"                                  \
  " ALTER TABLE drift DROP COLUMN n_fired; ALTER TABLE drift DROP COLUMN top_class;"                                    \
  " ALTER TABLE drift DROP COLUMN accuracy_est; ALTER TABLE drift DROP COLUMN accuracy_ref;"

/* 4 → 3: the label-error tables. */
#define GL_TEST_UNDO_V4 " DROP TABLE label_errors; DROP TABLE label_error_runs;"
