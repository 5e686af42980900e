-- Categories: the rows of the categories resource (internal/categories).

CREATE TABLE categories (
    id         uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
    name       varchar(255) NOT NULL CONSTRAINT categories_name_key UNIQUE,
    about      text,
    created_at timestamptz  NOT NULL DEFAULT now(),
    updated_at timestamptz  NOT NULL DEFAULT now()
);

-- The list's default order, newest first. Every order ends on id, so that
-- pages never overlap.
CREATE INDEX categories_created_at_idx ON categories (created_at DESC, id DESC);

CREATE TRIGGER categories_updated_at BEFORE UPDATE ON categories
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
