-- +goose Up
CREATE TYPE job_status AS ENUM ('queued', 'done', 'failed');
CREATE TABLE jobs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind text NOT NULL,
  payload jsonb NOT NULL DEFAULT '{}',
  status job_status NOT NULL DEFAULT 'queued',
  attempts integer NOT NULL DEFAULT 0,
  last_error text
);

-- +goose Down
DROP TABLE jobs;
DROP TYPE job_status;
