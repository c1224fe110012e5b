"""Protecting the saved API keys (DESIGN.md section 4).

- `vault`: the envelope. `Vault` encrypts each secret field with the data key; `open_vault`
  unwraps that key (creating the vault on first start); `set_passphrase` / `remove_passphrase`
  re-wrap it when the protection mode changes.
- `keyfile`: the zero-config key-encryption key, a 0600 file kept apart from the database.
- `passphrase`: the master passphrase: its rules and its Argon2id key derivation.
- `fingerprint`: keyed fingerprints of API keys (HKDF from the data key, HMAC-SHA256).

Import from the concrete module, e.g. `from backfuture_core.security.vault import open_vault`.
"""
