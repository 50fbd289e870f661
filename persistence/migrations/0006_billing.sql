-- Billing (DESIGN.md §5): one row per account and its ledger. Amounts are
-- integer minor units (kopecks, cents). An account's balance changes only
-- with a ledger row, in one transaction, so balance = sum(ledger.amount) of
-- the account, always; the CHECKs make a negative balance impossible even
-- for a buggy writer.
CREATE TABLE accounts (
  id         TEXT PRIMARY KEY,
  owner      TEXT NOT NULL, -- the user or client the account belongs to
  balance    BIGINT NOT NULL DEFAULT 0 CHECK (balance >= 0),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX accounts_owner ON accounts (owner);

-- Every operation on an account, refused withdrawals included, once: its
-- operation id (the caller's idempotency key, or saga_id:step) is unique,
-- and a repeat is answered from this row (or refused, when it asks for
-- something else). `amount` is the signed change of
-- the balance (0 when refused); `requested` what the caller asked for.
CREATE TABLE ledger (
  id            BIGSERIAL PRIMARY KEY,
  op_id         TEXT NOT NULL UNIQUE,
  account_id    TEXT NOT NULL REFERENCES accounts (id),
  kind          TEXT NOT NULL CHECK (kind IN ('open', 'deposit', 'withdraw')),
  requested     BIGINT NOT NULL CHECK (requested >= 0),
  amount        BIGINT NOT NULL,
  outcome       TEXT NOT NULL CHECK (outcome IN ('applied', 'refused')),
  balance_after BIGINT NOT NULL CHECK (balance_after >= 0),
  shard         INTEGER NOT NULL, -- the lease it was written under (fenced)
  epoch         BIGINT NOT NULL,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX ledger_account ON ledger (account_id, id);
