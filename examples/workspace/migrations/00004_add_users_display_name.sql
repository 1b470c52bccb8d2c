-- +goose Up
SET lock_timeout = '5s';
ALTER TABLE users ADD COLUMN display_name text;

-- +goose Down
SET lock_timeout = '5s';
ALTER TABLE users DROP COLUMN display_name;
