"""Files in and out: the import service, the format parsers, the codes they map, CSV and FHIR exports."""
