-- writ schema v9: the handset a caller used. Call detail records from a
-- carrier usually carry the IMEI of the handset the calling number was in;
-- burner-switch analysis follows a number to its handset, and reads that
-- handset's pings under a location authority of its own. Empty when the
-- source does not give it (landlines, older files).

ALTER TABLE contacts ADD COLUMN caller_device TEXT NOT NULL DEFAULT '';
