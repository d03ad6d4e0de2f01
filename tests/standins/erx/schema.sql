-- The e-prescription stand-in's database (sqlite3). Created once per
-- directory; the start script keeps it across restarts.
-- Bundle.identifier is the dedup key: UNIQUE makes a concurrent second insert
-- fail instead of creating a twin (the service also runs every write in
-- BEGIN IMMEDIATE).
CREATE TABLE IF NOT EXISTS prescriptions (
	id TEXT PRIMARY KEY,                -- EP-XXXX-XXXX-XXXC
	bundle_id TEXT NOT NULL UNIQUE,     -- Bundle.identifier.value (urn:uuid:, lower case)
	content_sha256 TEXT NOT NULL,       -- SHA-256 of the JCS of the Bundle minus signature
	body BLOB NOT NULL,                 -- the request body, as received
	signer_idnat TEXT NOT NULL,
	created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS prescription_lines (
	prescription_id TEXT NOT NULL REFERENCES prescriptions(id),
	line TEXT NOT NULL,                 -- "1".."n"
	quantity INTEGER NOT NULL CHECK (quantity > 0),
	unit TEXT NOT NULL,
	med_system TEXT NOT NULL,
	med_code TEXT NOT NULL,
	substitution_allowed INTEGER NOT NULL,
	PRIMARY KEY (prescription_id, line)
);
CREATE TABLE IF NOT EXISTS dispensations (
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	id TEXT NOT NULL UNIQUE,            -- ED-XXXX-XXXX-XXXC
	bundle_id TEXT NOT NULL UNIQUE,
	content_sha256 TEXT NOT NULL,
	prescription_id TEXT NOT NULL REFERENCES prescriptions(id),
	body BLOB NOT NULL,
	signer_idnat TEXT NOT NULL,
	created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS dispensed_lines (
	dispensation_id TEXT NOT NULL REFERENCES dispensations(id),
	line TEXT NOT NULL,
	quantity INTEGER NOT NULL CHECK (quantity > 0),
	substituted INTEGER NOT NULL,
	PRIMARY KEY (dispensation_id, line)
);
CREATE INDEX IF NOT EXISTS dispensations_by_prescription ON dispensations (prescription_id);
