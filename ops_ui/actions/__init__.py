"""What agents do on the review board, each a short script over the engine's claim and verified writes."""
