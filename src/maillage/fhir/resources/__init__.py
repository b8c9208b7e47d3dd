"""The resource types, one module each; importing this package registers them all."""

from maillage.fhir.resources import (  # noqa: F401
    agenda,
    coordination,
    directory,
    documents,
    patient,
    questionnaire,
    record,
    sharing,
    team,
)
