package cli

// SchemaVersion is the version of every JSON document mailcred prints
// (field "schema_version"). It changes only when a field is removed or
// changes meaning; adding a field keeps it.
const SchemaVersion = 1
