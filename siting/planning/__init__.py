"""Decisions about sites: candidate sites, placing a plan's projects, scoring candidates."""
