-- The ledger workload in PostgreSQL 15, in its best shape: one server-side function call
-- per batch of debits, one transaction per batch.
-- A debit: idempotent by (account_id, debit_id) forever; refused when the balance is <= 0;
-- applied as a balance update, a journal row and a debit record, in one transaction.
CREATE TABLE accounts (
  id bigint PRIMARY KEY,
  balance bigint NOT NULL,
  journal_seq bigint NOT NULL DEFAULT 0
);
CREATE TABLE debits (
  account_id bigint NOT NULL,
  debit_id bigint NOT NULL,
  amount bigint NOT NULL,
  PRIMARY KEY (account_id, debit_id)
);
CREATE TABLE journal (
  account_id bigint NOT NULL,
  seq bigint NOT NULL,
  debit_id bigint NOT NULL,
  amount bigint NOT NULL,
  balance_after bigint NOT NULL,
  PRIMARY KEY (account_id, seq)
);

-- Codes as in ledger/error.hpp: 0 ok, 1 duplicate, 2 exists_with_different_fields,
-- 3 account_not_found, 5 insufficient_funds. Debits are applied in account order (stable,
-- so one account's debits keep their batch order): every transaction then locks accounts in
-- the same order and concurrent batches cannot deadlock.
CREATE FUNCTION debit_batch(acc bigint[], ids bigint[], amts bigint[])
RETURNS TABLE (pos bigint, code int, balance bigint) AS $$
DECLARE
  r record;
  b bigint;
  s bigint;
  prior bigint;
BEGIN
  FOR r IN SELECT u.a, u.d, u.m, u.n FROM unnest(acc, ids, amts) WITH ORDINALITY AS u(a, d, m, n)
           ORDER BY u.a, u.n LOOP
    pos := r.n;
    INSERT INTO debits (account_id, debit_id, amount) VALUES (r.a, r.d, r.m)
      ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
      SELECT d.amount INTO prior FROM debits d WHERE d.account_id = r.a AND d.debit_id = r.d;
      code := CASE WHEN prior = r.m THEN 1 ELSE 2 END;
      SELECT a.balance INTO balance FROM accounts a WHERE a.id = r.a;
      RETURN NEXT;
      CONTINUE;
    END IF;
    UPDATE accounts a SET balance = a.balance - r.m, journal_seq = a.journal_seq + 1
      WHERE a.id = r.a AND a.balance > 0
      RETURNING a.balance, a.journal_seq INTO b, s;
    IF NOT FOUND THEN
      DELETE FROM debits d WHERE d.account_id = r.a AND d.debit_id = r.d;
      code := CASE WHEN EXISTS (SELECT 1 FROM accounts a WHERE a.id = r.a) THEN 5 ELSE 3 END;
      balance := 0;
      RETURN NEXT;
      CONTINUE;
    END IF;
    INSERT INTO journal (account_id, seq, debit_id, amount, balance_after)
      VALUES (r.a, s, r.d, r.m, b);
    code := 0;
    balance := b;
    RETURN NEXT;
  END LOOP;
END
$$ LANGUAGE plpgsql;
