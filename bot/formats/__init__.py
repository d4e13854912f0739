"""Files the bot draws and writes: charts (PNG) and tables (XLSX, or a ZIP of CSVs)."""
