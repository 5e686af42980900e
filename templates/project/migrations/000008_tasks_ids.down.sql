ALTER TABLE tasks ALTER COLUMN id SET DEFAULT gen_random_uuid();
DROP FUNCTION IF EXISTS tasks_new_id();
