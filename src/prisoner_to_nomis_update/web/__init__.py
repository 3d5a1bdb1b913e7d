"""The service's own HTTP surface that is not a domain's: errors, health, info, queue admin."""
