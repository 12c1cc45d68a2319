"""Running Atende: the background worker and its periodic sweeps, the doctor's checks, online backups."""
