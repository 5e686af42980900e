-- Boxes: the rows of the boxes resource (internal/boxes).

CREATE TABLE boxes (
    id         uuid             PRIMARY KEY DEFAULT gen_random_uuid(),
    label      varchar(255)     NOT NULL CONSTRAINT boxes_label_key UNIQUE,
    note       text,
    size       bigint           NOT NULL,
    ratio      double precision,
    weight     numeric          CONSTRAINT boxes_weight_key UNIQUE,
    fragile    boolean,
    seen_at    timestamptz,
    shipped_on date             CONSTRAINT boxes_shipped_on_key UNIQUE,
    code       uuid             CONSTRAINT boxes_code_key UNIQUE,
    meta       jsonb,
    tag_id     uuid             CONSTRAINT boxes_tag_id_fkey REFERENCES tags (id),
    created_at timestamptz      NOT NULL DEFAULT now(),
    updated_at timestamptz      NOT NULL DEFAULT now()
);

-- The list's default order, newest first. Every order ends on id, so that
-- pages never overlap.
CREATE INDEX boxes_created_at_idx ON boxes (created_at DESC, id DESC);
-- The list's filter on size and its order by size.
CREATE INDEX boxes_size_idx ON boxes (size, id);
-- The list's filter on ratio and its order by ratio.
CREATE INDEX boxes_ratio_idx ON boxes (ratio, id);
-- The list's filter on seen_at and its order by seen_at.
CREATE INDEX boxes_seen_at_idx ON boxes (seen_at, id);
-- The list's filter on tag_id, and the look-ups of a delete in tags.
CREATE INDEX boxes_tag_id_idx ON boxes (tag_id, id);

CREATE TRIGGER boxes_updated_at BEFORE UPDATE ON boxes
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
