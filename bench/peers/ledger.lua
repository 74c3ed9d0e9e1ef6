#!lua name=ledger
-- The ledger workload as a Redis 7 function, in its best shape: one FCALL per batch of
-- debits (args: account_id, debit_id, amount, repeated). Per account: hash a:<id> with the
-- balance (b) and a marker that the account exists (s), hash d:<id> of debit_id -> amount
-- (idempotency forever), list j:<id> of journal rows "debit_id:amount:balance_after" (a
-- row's journal seq is its position in the list, from 1).
-- Codes as in ledger/error.hpp: 0 ok, 1 duplicate, 2 exists_with_different_fields,
-- 3 account_not_found, 5 insufficient_funds. The result is a flat array of code, balance.
-- The keys are derived from the arguments (not declared): fine on a standalone server.
-- An applied debit costs three calls (HSETNX, HINCRBY, RPUSH); a refused one undoes its
-- record and decrement, which is rare.
local function refuse(akey, dkey, id, amount)
  redis.call('HDEL', dkey, id)
  if redis.call('HEXISTS', akey, 's') == 0 then
    -- HINCRBY made the hash of an account that does not exist: remove it.
    redis.call('DEL', akey)
    return 3, 0
  end
  return 5, redis.call('HINCRBY', akey, 'b', amount)
end

local function debit_batch(keys, args)
  local out = {}
  for i = 1, #args, 3 do
    local acct, id, amount = args[i], args[i + 1], tonumber(args[i + 2])
    local akey = 'a:' .. acct
    local dkey = 'd:' .. acct
    local code, balance
    if redis.call('HSETNX', dkey, id, amount) == 0 then
      code = (tonumber(redis.call('HGET', dkey, id)) == amount) and 1 or 2
      balance = tonumber(redis.call('HGET', akey, 'b') or 0)
    else
      local after = redis.call('HINCRBY', akey, 'b', -amount)
      if after + amount > 0 then
        redis.call('RPUSH', 'j:' .. acct, id .. ':' .. amount .. ':' .. after)
        code, balance = 0, after
      else
        code, balance = refuse(akey, dkey, id, amount)
      end
    end
    out[#out + 1] = code
    out[#out + 1] = balance
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
