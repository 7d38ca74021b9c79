-- Purpose: the tables and columns of the opened store (to tell "not computed yet" from "empty").
-- Grain: one row per (table_name, column_name) of the main schema.
-- Inputs: information_schema.columns. Parameters: none.
SELECT table_name, column_name, data_type
FROM information_schema.columns
WHERE table_schema = 'main'
ORDER BY table_name, ordinal_position
