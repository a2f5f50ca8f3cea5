"""Fix planning (pure) and, later, executors that write new files."""
