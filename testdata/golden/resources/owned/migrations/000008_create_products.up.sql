-- Products: the rows of the products resource (internal/products).

CREATE TABLE products (
    id          uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
    title       varchar(255) NOT NULL,
    price       numeric      NOT NULL,
    in_stock    boolean,
    category_id uuid         NOT NULL CONSTRAINT products_category_id_fkey REFERENCES categories (id),
    created_by  uuid         CONSTRAINT products_created_by_fkey REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz  NOT NULL DEFAULT now(),
    updated_at  timestamptz  NOT NULL DEFAULT now()
);

-- The list's default order, newest first. Every order ends on id, so that
-- pages never overlap.
CREATE INDEX products_created_at_idx ON products (created_at DESC, id DESC);
-- A user's own products, newest first.
CREATE INDEX products_created_by_idx ON products (created_by, created_at DESC, id DESC);
-- The list's filter on in_stock and its order by in_stock.
CREATE INDEX products_in_stock_idx ON products (in_stock, id);
-- The list's filter on category_id, and the look-ups of a delete in categories.
CREATE INDEX products_category_id_idx ON products (category_id, id);

CREATE TRIGGER products_updated_at BEFORE UPDATE ON products
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
