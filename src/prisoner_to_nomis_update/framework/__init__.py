"""Everything a domain reuses and none re-writes."""
