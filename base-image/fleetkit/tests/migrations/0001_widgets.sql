-- A throwaway schema for the kit's own tests.
CREATE TABLE widgets (
    id    integer PRIMARY KEY,
    name  text NOT NULL
);
