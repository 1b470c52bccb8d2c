-- migrate:up
CREATE TABLE invoices (
  id serial PRIMARY KEY,
  customer_id integer NOT NULL REFERENCES customers (id),
  cents integer NOT NULL CHECK (cents > 0)
);

-- migrate:down
DROP TABLE invoices;
