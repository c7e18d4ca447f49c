"""The sync engine: booking, claims, verified writes to Cal.com, the due pass and its back-off."""
