"""Event feature switches (framework.md 3.4).

An event is processed only if both `feature.event.<eventType>` and `feature.event.<domain>.<eventType>`
are true; each is true when absent. Helm sets them as environment variables: upper case, dots turned
into underscores, hyphens kept (`FEATURE_EVENT_PRISON-VISIT_BOOKED=false`). Event types never contain
underscores, so the variable maps back to exactly one property.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

_PREFIX = "FEATURE_EVENT_"
_PROPERTY_PREFIX = "feature.event."


def _boolean(variable: str, value: str) -> bool:
    normalised = value.strip().lower()
    if normalised not in ("true", "false"):
        # Imported lazily: settings imports this module.
        from prisoner_to_nomis_update.settings import ConfigError

        raise ConfigError(f"{variable} must be true or false, got {value!r}")
    return normalised == "true"


@dataclass(frozen=True)
class FeatureSwitches:
    switches: dict[str, bool]

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> FeatureSwitches:
        switches: dict[str, bool] = {}
        for key, value in env.items():
            if key.startswith(_PROPERTY_PREFIX) and len(key) > len(_PROPERTY_PREFIX):
                # The literal property form, as a config file or `env feature.event.x=...` gives it.
                switches[key[len(_PROPERTY_PREFIX) :]] = _boolean(key, value)
            elif key.startswith(_PREFIX) and len(key) > len(_PREFIX):
                switches[key[len(_PREFIX) :].lower().replace("_", ".")] = _boolean(key, value)
        return cls(switches)

    @classmethod
    def from_properties(cls, properties: Mapping[str, bool]) -> FeatureSwitches:
        return cls(dict(properties))

    def is_enabled(self, event_type: str, domain: str) -> bool:
        return self._lookup(event_type) and self._lookup(f"{domain}.{event_type}")

    def _lookup(self, name: str) -> bool:
        if name in self.switches:
            return self.switches[name]
        return self.switches.get(name.lower(), True)

    def as_info(self) -> dict[str, bool]:
        return dict(sorted(self.switches.items()))
