"""Event feature switches (framework.md 3.4): global and domain-scoped, property and env spellings."""

from __future__ import annotations

import pytest

from prisoner_to_nomis_update.framework.feature_switches import FeatureSwitches
from prisoner_to_nomis_update.settings import ConfigError

# The original's test configuration, in the literal property form a config file gives.
PROPERTIES = {
    "feature.event.prison-visit.revised": "true",
    "feature.event.casenote.prison-visit.booked": "false",
    "feature.event.OTHER_EVENT": "false",
}


@pytest.mark.scenario("framework", 1)
def test_switched_on_event_is_enabled_for_any_domain() -> None:
    switches = FeatureSwitches.from_env(PROPERTIES)
    for domain in ("visits", "casenote", "billybob"):
        assert switches.is_enabled("prison-visit.revised", domain)


@pytest.mark.scenario("framework", 2)
def test_switched_off_event_is_disabled_for_any_domain() -> None:
    switches = FeatureSwitches.from_env(PROPERTIES)
    for domain in ("visits", "casenote", "billybob"):
        assert not switches.is_enabled("OTHER_EVENT", domain)


@pytest.mark.scenario("framework", 3)
def test_event_without_a_switch_is_enabled() -> None:
    assert FeatureSwitches.from_env(PROPERTIES).is_enabled("NO_SWITCH_EVENT", "visits")
    assert FeatureSwitches.from_env({}).is_enabled("prison-visit.booked", "visits")


@pytest.mark.scenario("framework", 4)
@pytest.mark.scenario("framework", 5)
def test_domain_scoped_switch_only_affects_its_domain() -> None:
    switches = FeatureSwitches.from_env(PROPERTIES)
    assert switches.is_enabled("prison-visit.booked", "billybob")
    assert switches.is_enabled("prison-visit.booked", "alert")
    assert not switches.is_enabled("prison-visit.booked", "casenote")


@pytest.mark.scenario("framework", 1)
@pytest.mark.scenario("framework", 5)
def test_helm_environment_variable_spelling() -> None:
    """Upper case, dots as underscores, hyphens kept: maps back to exactly one property."""
    switches = FeatureSwitches.from_env(
        {
            "FEATURE_EVENT_PRISON-VISIT_BOOKED": "false",
            "FEATURE_EVENT_CASENOTE_PRISON-VISIT_REVISED": "FALSE",
            "FEATURE_EVENT_PRISON-PROPERTY_CONTAINER_CREATED": "true",
            "FEATURE_EVENT_ORGANISATIONS-API_ORGANISATION-ADDRESS_CREATED": "false",
            "FEATURE_COURT-SCHEDULER_IGNORE-ALL-SENTENCING-EVENTS": "true",  # not an event switch
            "PATH": "/usr/bin",
        }
    )
    assert not switches.is_enabled("prison-visit.booked", "visits")
    assert switches.is_enabled("prison-visit.revised", "visits")
    assert not switches.is_enabled("prison-visit.revised", "casenote")
    assert switches.is_enabled("prison-property.container.created", "property")
    assert not switches.is_enabled("organisations-api.organisation-address.created", "organisations")
    assert switches.as_info() == {
        "casenote.prison-visit.revised": False,
        "organisations-api.organisation-address.created": False,
        "prison-property.container.created": True,
        "prison-visit.booked": False,
    }


def test_malformed_switch_names_the_variable() -> None:
    with pytest.raises(
        ConfigError, match=r"FEATURE_EVENT_PRISON-VISIT_BOOKED must be true or false, got 'nope'"
    ):
        FeatureSwitches.from_env({"FEATURE_EVENT_PRISON-VISIT_BOOKED": "nope"})
    with pytest.raises(ConfigError, match=r"feature.event.x"):
        FeatureSwitches.from_env({"feature.event.x": ""})
