-- +goose Up
CREATE TABLE books (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  author_id bigint NOT NULL REFERENCES authors (id),
  title text NOT NULL CHECK (title <> ''),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- A function body holds semicolons: StatementBegin/End sends it to PostgreSQL as one statement.
-- +goose StatementBegin
CREATE FUNCTION touch_updated_at() RETURNS trigger AS $$
BEGIN
  NEW.updated_at := clock_timestamp();
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd

CREATE TRIGGER books_touch_updated_at BEFORE UPDATE ON books
  FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- +goose Down
DROP TRIGGER books_touch_updated_at ON books;
DROP FUNCTION touch_updated_at();
DROP TABLE books;
