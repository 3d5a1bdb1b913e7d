"""Per-domain fakes: each module's `install(estate)` adds its NOMIS, mapping and DPS routes."""
