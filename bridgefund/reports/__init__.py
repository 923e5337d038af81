"""Reports: figures as plain data (SQL aggregates) and their rendering to PDF (Jinja → WeasyPrint)."""
