"""`mirrorpass report`: a bench result as terminal tables, a self-contained HTML page, or JSON."""
