/* downgrade.h — SQL that takes a current project file back to an older
 * schema version, as the build of that version left it, so that the
 * migration tests start from a real old file. Each string undoes one
 * version's migration (db/gl-db.c); chain them newest first. */
#pragma once

/* 9 → 8: the listing slots' copies of the label; the label's listing
 * indexes on cls again, as schema 8 had them. */
#define GL_TEST_UNDO_V9                                                                                                \
  " DROP INDEX images_cls_u; DROP INDEX images_cls_c; DROP INDEX images_lab_u; DROP INDEX images_lab_c;"              \
  " DROP INDEX images_dis; DROP INDEX images_dis_u; DROP INDEX images_dis_c; DROP INDEX images_dis_n;"                \
  " DROP INDEX images_cls_u1; DROP INDEX images_cls_c1; DROP INDEX images_lab_u1; DROP INDEX images_lab_c1;"          \
  " DROP INDEX images_dis1; DROP INDEX images_dis_u1; DROP INDEX images_dis_c1; DROP INDEX images_dis_n1;"            \
  " ALTER TABLE images DROP COLUMN scls; ALTER TABLE images DROP COLUMN scls1;"                                        \
  " DELETE FROM counters WHERE name IN ('slot0_labels', 'slot1_labels');"                                             \
  " CREATE INDEX images_cls_u ON images (cls, ukey, id); CREATE INDEX images_cls_c ON images (cls, ckey, id);"        \
  " CREATE INDEX images_lab_u ON images (ukey, id) WHERE cls > 0;"                                                    \
  " CREATE INDEX images_lab_c ON images (ckey, id) WHERE cls > 0;"                                                    \
  " CREATE INDEX images_dis ON images (id) WHERE cls > 0 AND pred_class <> cls;"                                      \
  " CREATE INDEX images_dis_u ON images (ukey, id) WHERE cls > 0 AND pred_class <> cls;"                              \
  " CREATE INDEX images_dis_c ON images (ckey, id) WHERE cls > 0 AND pred_class <> cls;"                              \
  " CREATE INDEX images_dis_n ON images (path, id) WHERE cls > 0 AND pred_class <> cls;"                              \
  " CREATE INDEX images_cls_u1 ON images (cls, ukey1, id); CREATE INDEX images_cls_c1 ON images (cls, ckey1, id);"    \
  " CREATE INDEX images_lab_u1 ON images (ukey1, id) WHERE cls > 0;"                                                  \
  " CREATE INDEX images_lab_c1 ON images (ckey1, id) WHERE cls > 0;"                                                  \
  " CREATE INDEX images_dis1 ON images (id) WHERE cls > 0 AND pred_class1 <> cls;"                                    \
  " CREATE INDEX images_dis_u1 ON images (ukey1, id) WHERE cls > 0 AND pred_class1 <> cls;"                           \
  " CREATE INDEX images_dis_c1 ON images (ckey1, id) WHERE cls > 0 AND pred_class1 <> cls;"                           \
  " CREATE INDEX images_dis_n1 ON images (path, id) WHERE cls > 0 AND pred_class1 <> cls;"

/* 8 → 7: the drift verdict's significance level, the candidates' priority. */
#define GL_TEST_UNDO_V8 " ALTER TABLE drift DROP COLUMN alpha; ALTER TABLE drift_candidates DROP COLUMN priority;"

/* 7 → 6: the drift automation tables. */
#define GL_TEST_UNDO_V7 " DROP TABLE drift_actions; DROP TABLE drift_audit_changes; DROP TABLE drift_candidates;"

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

/* 6 → 5: the second listing slot and the versions that wrote each row. */
#define GL_TEST_UNDO_V6                                                                                                \
  " DROP INDEX images_pm; DROP INDEX images_pm1; DROP INDEX images_u1; DROP INDEX images_c1;"                          \
  " DROP INDEX images_cls_u1; DROP INDEX images_cls_c1; DROP INDEX images_pred1; DROP INDEX images_pred_u1;"          \
  " DROP INDEX images_pred_c1; DROP INDEX images_pred_n1; DROP INDEX images_lab_u1; DROP INDEX images_lab_c1;"        \
  " DROP INDEX images_dis1; DROP INDEX images_dis_u1; DROP INDEX images_dis_c1; DROP INDEX images_dis_n1;"            \
  " ALTER TABLE images DROP COLUMN pmodel; ALTER TABLE images DROP COLUMN pred_class1;"                                \
  " ALTER TABLE images DROP COLUMN ukey1; ALTER TABLE images DROP COLUMN ckey1; ALTER TABLE images DROP COLUMN pmodel1;" \
  " ALTER TABLE model_versions DROP COLUMN pruned;"                                                                    \
  " DELETE FROM counters WHERE name IN ('listing_slot', 'slot0_model', 'slot1_model', 'prune_model', 'prune_next');"
