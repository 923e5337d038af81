"""marshmallow schemas: a dump schema per resource, load schemas per action, query-args per list."""
