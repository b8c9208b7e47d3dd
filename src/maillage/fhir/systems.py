"""Identifier systems, code systems and extensions used in resources (FR Core, HL7)."""

# FR Core identifiers (Interop'Santé FR Core IG).
INS_NIR = "urn:oid:1.2.250.1.213.1.4.8"
INS_NIA = "urn:oid:1.2.250.1.213.1.4.9"
FINESS = "https://finess.esante.gouv.fr"
SIRET = "http://sirene.fr"
RPPS = "https://rpps.esante.gouv.fr"
FR_IDENTIFIER_TYPE = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203"
HL7_IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"

# FR Core identity reliability (RNIV statuses PROV, RECUP, VALI, QUAL).
IDENTITY_RELIABILITY = (
    "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-identity-reliability"
)
IDENTITY_STATUS = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-identity-status"
IDENTITY_VALIDATION_MODE = (
    "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-mode-validation-identity"
)
IDENTITY_COMMENT = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-identity-status-comment"
INSEE_CODE = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-address-insee-code"
INSEE_COG = "https://mos.esante.gouv.fr/NOS/TRE_R13-CommuneOM/FHIR/TRE-R13-CommuneOM"
PATIENT_PROFILE = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient"

# HL7 extensions.
BIRTH_PLACE = "http://hl7.org/fhir/StructureDefinition/patient-birthPlace"
INTERPRETER_REQUIRED = "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired"
PRONOUNS = "http://hl7.org/fhir/StructureDefinition/individual-pronouns"

# HL7 code systems.
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ICPC2 = "http://hl7.org/fhir/sid/icpc-2"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ENCOUNTER_CLASS = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
LANGUAGE = "urn:ietf:bcp:47"


def local(kind: str) -> str:
    """The code system of one of Maillage's own code lists (encounter types, roles…): the
    same on every instance, so that exports of several centres compare."""
    return f"urn:maillage:codesystem:{kind}"
