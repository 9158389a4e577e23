-- Take or renew lease ?1 for holder ?2 until ?4, unless another holder's
-- lease is still unexpired at ?3. One row changed means it is held.
INSERT INTO leases (name, holder, expires_at_ms) VALUES (?1, ?2, ?4)
ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at_ms = excluded.expires_at_ms
WHERE leases.holder = excluded.holder OR leases.expires_at_ms <= ?3
