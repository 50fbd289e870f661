-- Identity (DESIGN.md §5): users, their login sessions, and settings shared
-- by every node.

-- A user. The password is kept only as its argon2id string (libsodium's
-- crypto_pwhash_str: algorithm, parameters, salt and hash in one). client_id
-- is the customer record of the saga gateway, set by the registration saga.
-- created_by is the idempotency key of the command that created the row: the
-- same command repeated finds its user instead of creating a second one.
CREATE TABLE users (
  id            TEXT PRIMARY KEY DEFAULT gen_random_uuid()::text,
  login         TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
  first_name    TEXT NOT NULL,
  last_name     TEXT NOT NULL,
  email         TEXT NOT NULL,
  role          TEXT NOT NULL CHECK (role IN ('user', 'admin')),
  client_id     TEXT,
  created_by    TEXT UNIQUE,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- A login. The id is the SHA-256 (hex) of the session token the client
-- holds in its cookie: the token itself is never stored, so a copy of this
-- table opens no session. Bearer tokens name their session (claim `sid`)
-- and are refused once it has ended, so logout ends both at once. Times are
-- PostgreSQL's clock.
CREATE TABLE sessions (
  id         TEXT PRIMARY KEY,
  user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  expires_at TIMESTAMPTZ NOT NULL,
  revoked_at TIMESTAMPTZ
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- Values every node must agree on, created by whichever node needs one
-- first: 'jwt_secret', the HS256 key of bearer tokens when identity.jwt_secret
-- is not configured.
CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
