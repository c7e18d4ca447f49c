"""Background work: the job queue, and the jobs the sync engine runs on its own."""
