"""prisoner-to-nomis-update: keeps NOMIS in step with DPS by consuming HMPPS domain events."""

__version__ = "1.0.0"
APP_NAME = "hmpps-prisoner-to-nomis-update"
