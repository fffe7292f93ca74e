"""Console accounts: operators, supervisors and admins of one regency."""
