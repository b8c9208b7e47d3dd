"""C14: the FHIR R4 interface (``/fhir/R4/``) — the record, projects and coordination as
standard resources, with French identifiers (FR Core), the same access policy and the same
audit as the web pages. See docs/fhir.md."""
