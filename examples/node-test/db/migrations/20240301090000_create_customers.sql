-- migrate:up
CREATE TABLE customers (
  id serial PRIMARY KEY,
  email text NOT NULL UNIQUE,
  name text NOT NULL
);

-- migrate:down
DROP TABLE customers;
