#!lua name=ledger
-- The ledger workload as a Redis 7 function, in its best shape: one FCALL per batch of
-- debits (args: account_id, debit_id, amount, repeated). Per account: hash a:<id> with the
-- balance (b) and journal seq (s), hash d:<id> of debit_id -> amount (idempotency forever),
-- list j:<id> of journal rows "seq:debit_id:amount:balance_after".
-- Codes as in ledger/error.hpp: 0 ok, 1 duplicate, 2 exists_with_different_fields,
-- 3 account_not_found, 5 insufficient_funds. The result is a flat array of code, balance.
-- The keys are derived from the arguments (not declared): fine on a standalone server.
local function debit_batch(keys, args)
  local out = {}
  for i = 1, #args, 3 do
    local acct, id, amount = args[i], args[i + 1], tonumber(args[i + 2])
    local akey = 'a:' .. acct
    local dkey = 'd:' .. acct
    local prior = redis.call('HGET', dkey, id)
    if prior then
      out[#out + 1] = (tonumber(prior) == amount) and 1 or 2
      out[#out + 1] = tonumber(redis.call('HGET', akey, 'b') or 0)
    else
      local balance = redis.call('HGET', akey, 'b')
      if not balance then
        out[#out + 1] = 3
        out[#out + 1] = 0
      elseif tonumber(balance) <= 0 then
        out[#out + 1] = 5
        out[#out + 1] = tonumber(balance)
      else
        local after = redis.call('HINCRBY', akey, 'b', -amount)
        local seq = redis.call('HINCRBY', akey, 's', 1)
        redis.call('HSET', dkey, id, amount)
        redis.call('RPUSH', 'j:' .. acct, seq .. ':' .. id .. ':' .. amount .. ':' .. after)
        out[#out + 1] = 0
        out[#out + 1] = after
      end
    end
  end
  return out
end

-- Creates accounts first..first+count-1 with a balance (micros).
local function create_accounts(keys, args)
  local first, count, balance = tonumber(args[1]), tonumber(args[2]), args[3]
  for id = first, first + count - 1 do
    redis.call('HSET', 'a:' .. id, 'b', balance, 's', 0)
  end
  return count
end

redis.register_function('debit_batch', debit_batch)
redis.register_function('create_accounts', create_accounts)
