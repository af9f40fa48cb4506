package chat

import "strconv"

// luaCommon is what every program of rtchat's starts with: the type of a
// key, a field of an entry, and reading the state and the author's
// changes of entries (docs/DESIGN.md, "Structure"). A key of the wrong
// type (written by another tool) is never used: the writers refuse with
// an error that names it, the readers go on without it and name it in
// their reply. It uses nothing of a call but what it is given (the
// library defines it once: see script).
const luaCommon = `
local function keytype(k) return redis.call('TYPE', k)['ok'] end
local function field(e, name)
  local f = e[2]
  for i = 1, #f, 2 do if f[i] == name then return f[i + 1] end end
  return nil
end
local function refuse(msg) error({err = msg}) end
local function need(k, want)
  local t = keytype(k)
  if t ~= 'none' and t ~= want then
    refuse('BADKEY ' .. k .. ' holds a ' .. t .. ', not a ' .. want .. ' (written by another tool?); delete or rename it')
  end
  return t
end
-- clip empties every value longer than limit bytes in entries (another
-- tool's; rtchat's are never so long), saying so in an 'odd' field, so
-- that no reply is larger than its entries' count allows.
local function clip(entries, limit)
  for _, e in ipairs(entries) do
    local f = e[2]
    for i = 2, #f, 2 do
      if #f[i] > limit then
        local n = #f[i]
        f[i] = ''
        f[#f + 1] = 'odd'
        f[#f + 1] = f[i - 1] .. ' was ' .. n .. ' bytes, over the limit'
      end
    end
  end
  return entries
end
-- annotate reads, for entries of the stream keys[1], the state of each
-- (Hash keys[2]) and its author's changes of it (Hash keys[1]..':by:'..user),
-- aligned with entries (false where there is none); keys of the wrong
-- type are skipped and listed in odd.
local function annotate(KEYS, entries, odd)
  local states, changes, ids, byUser = {}, {}, {}, {}
  for k, e in ipairs(entries) do
    ids[k], states[k], changes[k] = e[1], false, false
    local u = field(e, 'user')
    if u and u ~= '' and #u <= 64 then
      byUser[u] = byUser[u] or {}
      table.insert(byUser[u], k)
    end
  end
  if #ids == 0 then return states, changes end
  local st = keytype(KEYS[2])
  if st == 'hash' then states = redis.call('HMGET', KEYS[2], unpack(ids))
  elseif st ~= 'none' then odd[#odd + 1] = KEYS[2] end
  for u, ks in pairs(byUser) do
    local key = KEYS[1] .. ':by:' .. u
    local t = keytype(key)
    if t == 'hash' then
      local want = {}
      for j, k in ipairs(ks) do want[j] = ids[k] end
      local got = redis.call('HMGET', key, unpack(want))
      for j, k in ipairs(ks) do changes[k] = got[j] end
    elseif t ~= 'none' then odd[#odd + 1] = key end
  end
  return states, changes
end
`

// sendPrelude is the send's own functions (see script): the checks of
// the records a change reads, and try, which runs a write after the entry
// is stored and keeps its failure as a warning.
const sendPrelude = `
local function strings(v)
  if type(v) ~= 'table' then return false end
  for k, x in pairs(v) do if type(k) ~= 'number' or type(x) ~= 'string' then return false end end
  return true
end
-- decoded is the record raw of message target in key, refused when
-- damaged (check says what a good one holds); {} when there is none.
local function decoded(target, key, raw, check)
  if not raw then return {} end
  local ok, v = pcall(cjson.decode, raw)
  if not ok or type(v) ~= 'table' or not check(v) then
    refuse('BADSTATE the record of message ' .. target .. ' in ' .. key .. ' is damaged (written by another tool?); an admin can remove it with HDEL ' .. key .. ' ' .. target)
  end
  return v
end
local function goodState(v)
  if v.r ~= nil then
    if type(v.r) ~= 'table' then return false end
    for e, us in pairs(v.r) do if type(e) ~= 'string' or not strings(us) then return false end end
  end
  return (v.n == nil or type(v.n) == 'number') and (v.l == nil or type(v.l) == 'string') and (v.p == nil or strings(v.p))
end
local function goodChanges(v)
  return (v.e == nil or type(v.e) == 'table') and (v.d == nil or type(v.d) == 'table')
end
local function try(warnings, ...)
  local r = redis.pcall(...)
  if type(r) == 'table' and r.err then warnings[#warnings + 1] = r.err end
end
`

// sendScriptSource is the one atomic step of a send (docs/DESIGN.md,
// "Send"): it appends the entry to the conversation's stream and
// publishes the stored entry, its id and its predecessor's id live. A
// retried send first looks for its client-made id among the entries added
// while its earlier tries may have reached the server, and returns that
// entry if one did. Its keys and arguments are sendArgs's fields, in
// order.
//
// Everything that could make it fail is checked before its first write
// (Redis does not roll back what a script wrote before it failed): the
// keys' types, the message a change is about, the state it changes, a
// thread's copy. A write after the entry is stored runs with pcall and
// its failure comes back as a warning, so a stored message is never
// reported as not sent.
//
// An edit or a delete must come from the message's author and goes into
// the author's own changes (KEYS[5], "<stream>:by:<author>"), which with
// accounts only the author may write; a reaction or a thread reply must
// concern a message (not a change, not a reply in a thread) and goes into
// the shared state (KEYS[3]). A thread reply is also copied, with its
// id, into the thread's stream (KEYS[4]), so that a thread reads in one
// range.
//
// A file message (SendFile) is refused unless its file's chunks
// (KEYS[6]) are all stored; once stored, they lose their TTL and are
// listed in the stream's files (KEYS[7]), which retention reads to
// remove the files of trimmed messages; deleting it removes its bytes.
//
// It returns {stream id, receivers, 1 stored or 0 already stored,
// channel id, warning ("" none)}. The previous id is read with XREVRANGE
// rather than kept in a key of its own, so entries other tools add show
// up as a gap at the next live entry.
const sendScriptSource = `
-- A key's type is asked only when a command on it fails (TYPE costs
-- 0.5 µs a call): need then names what holds it.
local top = redis.pcall('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if top.err then need(KEYS[1], 'stream') return top end
local prev = top[1] and top[1][1] or ''
if ARGV[5] ~= '' then
  local seen, first, last = string.match(ARGV[5], '^(%S*) (%d+) (%d+)$')
  if not first then return redis.error_reply('ERR bad retry window') end
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local lo = math.max(now - tonumber(first) - 5000, 0)
  local start = string.format('%.0f', lo)
  local sms = tonumber(string.match(seen, '^(%d+)-'))
  if sms and sms >= lo then start = '(' .. seen end
  local stop = string.format('%.0f', now - tonumber(last) + 5000)
  for _ = 1, 100 do
    local batch = redis.call('XRANGE', KEYS[1], start, stop, 'COUNT', 200)
    for _, e in ipairs(batch) do
      if field(e, 'mid') == ARGV[9] then return {e[1], 0, 0, '', ''} end
    end
    if #batch < 200 then break end
    start = '(' .. batch[#batch][1]
  end
end
local cid = ARGV[10]
if cid == '' then
  cid = redis.pcall('HGET', KEYS[2], 'id')
  if type(cid) == 'table' then need(KEYS[2], 'hash') return cid end
  if not cid then return redis.error_reply('NOCHANNEL channel does not exist') end
end
local op, target, st, changes, targetFile = ARGV[11], ARGV[12], nil, nil, nil
if op ~= '' then
  local t = redis.call('XRANGE', KEYS[1], target, target)
  if not t[1] then return redis.error_reply('NOMESSAGE no such message') end
  local tu, tk, tt = field(t[1], 'user') or '', field(t[1], 'kind') or '', field(t[1], 'thread') or ''
  targetFile = field(t[1], 'file')
  if tk ~= '' and tk ~= 'action' then return redis.error_reply('NOMESSAGE that entry is not a message') end
  if (op == 'edit' or op == 'delete') and tu ~= ARGV[6] then return redis.error_reply('NOTYOURS only its author may change a message') end
  if op == 'thread' and tt ~= '' then return redis.error_reply('NOMESSAGE a reply in a thread has no thread of its own') end
  local byAuthor = KEYS[1] .. ':by:' .. tu
  if op == 'edit' or op == 'delete' then byAuthor = KEYS[5] end
  need(byAuthor, 'hash')
  changes = decoded(target, byAuthor, redis.call('HGET', byAuthor, target), goodChanges)
  if changes.d and op ~= 'thread' then return redis.error_reply('NOMESSAGE that message was deleted') end
  if op == 'react' or op == 'thread' then
    need(KEYS[3], 'hash')
    st = decoded(target, KEYS[3], redis.call('HGET', KEYS[3], target), goodState)
  end
  if op == 'thread' then
    need(KEYS[4], 'stream')
    -- Every real copy is older than the stream's newest entry: a newer
    -- one was written by another tool and would refuse the copy.
    local tt = redis.call('XREVRANGE', KEYS[4], '+', '-', 'COUNT', 1)
    if tt[1] and prev ~= '' then
      local a1, a2 = string.match(tt[1][1], '^(%d+)-(%d+)$')
      local b1, b2 = string.match(prev, '^(%d+)-(%d+)$')
      if tonumber(a1) > tonumber(b1) or (a1 == b1 and tonumber(a2) > tonumber(b2)) then
        refuse('BADKEY ' .. KEYS[4] .. ' holds an entry newer than its conversation (written by another tool?); delete it')
      end
    end
    if not st.p then st.p = {tu} end
  end
elseif prev == '' and KEYS[2] ~= KEYS[1] and redis.call('EXISTS', KEYS[2]) == 0 then
  return redis.error_reply('NOCHANNEL channel does not exist')
end
-- A file message is stored only when its file is: every chunk there,
-- their sizes adding up to the size it gives.
local fileRaw
for i = 14, #ARGV - 1, 2 do if ARGV[i] == 'file' then fileRaw = ARGV[i + 1] end end
if fileRaw then
  local ok, f = pcall(cjson.decode, fileRaw)
  if not ok or type(f) ~= 'table' or type(f.id) ~= 'string' or type(f.size) ~= 'number' then
    return redis.error_reply('NOFILE the description of the file is damaged')
  end
  if KEYS[6] ~= KEYS[1] .. ':file:' .. ARGV[6] .. ':' .. f.id then return redis.error_reply('NOFILE the file is not where its message says') end
  -- The chunks the size needs, and no others: the loop is bounded by
  -- the size (at most 1 GiB), never by what the Hash holds.
  local CHUNK = 262080
  if f.size < 0 or f.size > 1073741824 then return redis.error_reply('NOFILE the size of the file is out of range') end
  local n = math.ceil(f.size / CHUNK)
  if n > 0 then
    if keytype(KEYS[6]) ~= 'hash' then return redis.error_reply('NOFILE the file is not stored (its upload took over an hour?)') end
    local total = 0
    if redis.call('HLEN', KEYS[6]) == n then
      for i = 0, n - 1 do total = total + redis.call('HSTRLEN', KEYS[6], tostring(i)) end
    end
    if total ~= f.size then return redis.error_reply('NOFILE the file is not stored whole') end
  end
  need(KEYS[7], 'zset')
end
local id, first
if ARGV[1] ~= '0' then
  -- Whether this XADD trims: its stream's oldest entry changes (read
  -- only until the state Hash says the stream was once trimmed). Only
  -- commands an account's rules allow: not XLEN (chat/rules.go).
  local ok, mark = pcall(redis.call, 'HGET', KEYS[3], 'trimmed')
  if not (ok and mark == '1') then
    local f = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
    first = f[1] and f[1][1]
  end
  id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'user', ARGV[6], 'text', ARGV[7], 'ts', ARGV[8], 'mid', ARGV[9], 'channel_id', cid, unpack(ARGV, 14))
else
  id = redis.call('XADD', KEYS[1], '*', 'user', ARGV[6], 'text', ARGV[7], 'ts', ARGV[8], 'mid', ARGV[9], 'channel_id', cid, unpack(ARGV, 14))
end
local warnings = {}
-- Retention removed older entries: readers say so where history starts.
if first then
  local f = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
  if f[1] and f[1][1] ~= first then try(warnings, 'HSET', KEYS[3], 'trimmed', '1') end
end
-- Retention trimmed messages: their files go with them (a few a send).
if ARGV[1] ~= '0' and keytype(KEYS[7]) == 'zset' then
  local f = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
  local oldest = f[1] and string.match(f[1][1], '^(%d+)')
  if oldest then
    for _, k in ipairs(redis.call('ZRANGEBYSCORE', KEYS[7], '-inf', '(' .. oldest, 'LIMIT', 0, 16)) do
      if string.sub(k, 1, #KEYS[1] + 6) == KEYS[1] .. ':file:' then try(warnings, 'UNLINK', k) end
      try(warnings, 'ZREM', KEYS[7], k)
    end
  end
end
if fileRaw then
  try(warnings, 'PERSIST', KEYS[6])
  try(warnings, 'ZADD', KEYS[7], string.match(id, '^(%d+)'), KEYS[6])
end
if op == 'edit' or op == 'delete' then
  local c = cjson.decode(ARGV[13])
  c.id = id
  if op == 'edit' then changes.e = c else changes.d, changes.e = c, nil end
  try(warnings, 'HSET', KEYS[5], target, cjson.encode(changes))
  -- Deleting a file message deletes its bytes.
  local ok, f = pcall(cjson.decode, targetFile or '')
  if op == 'delete' and ok and type(f) == 'table' and type(f.id) == 'string' then
    local fk = KEYS[1] .. ':file:' .. ARGV[6] .. ':' .. f.id
    try(warnings, 'UNLINK', fk)
    try(warnings, 'ZREM', KEYS[7], fk)
  end
elseif op == 'react' then
  st.r = type(st.r) == 'table' and st.r or {}
  local us, at = st.r[ARGV[7]] or {}, nil
  for i, u in ipairs(us) do if u == ARGV[6] then at = i end end
  if at then table.remove(us, at) else us[#us + 1] = ARGV[6] end
  if #us == 0 then st.r[ARGV[7]] = nil else st.r[ARGV[7]] = us end
  if next(st.r) == nil then st.r = nil end
  try(warnings, 'HSET', KEYS[3], target, cjson.encode(st))
elseif op == 'thread' then
  st.n, st.l = (tonumber(st.n) or 0) + 1, id
  local known = false
  for _, u in ipairs(st.p) do if u == ARGV[6] then known = true end end
  if not known then st.p[#st.p + 1] = ARGV[6] end
  try(warnings, 'XADD', KEYS[4], id, 'user', ARGV[6], 'text', ARGV[7], 'ts', ARGV[8], 'mid', ARGV[9], 'channel_id', cid, unpack(ARGV, 14))
  try(warnings, 'HSET', KEYS[3], target, cjson.encode(st))
end
local n = 0
if ARGV[3] ~= '0' then
  local payload = 'v2\n' .. id .. '\n' .. prev .. '\nchannel_id:' .. string.len(cid) .. ':' .. cid .. ARGV[4]
  local r = redis.pcall(ARGV[3] == '1' and 'PUBLISH' or 'SPUBLISH', ARGV[2], payload)
  if type(r) == 'number' then n = r elseif type(r) == 'table' and r.err then warnings[#warnings + 1] = r.err end
end
return {id, n, 1, cid, table.concat(warnings, '; ')}
`

// sendArgs are the send script's keys and arguments, in the script's
// order (KEYS[i], ARGV[i]).
type sendArgs struct {
	// KEYS
	stream string
	// hash is the channel's Hash, whose id the script reads; the stream
	// again when the caller gives the id (a direct conversation, which
	// has no hash, or a private channel, whose hash members may only
	// read).
	hash string
	// state is the stream's shared state Hash (reactions, threads).
	state string
	// thread is the thread's stream for a thread reply (else the stream).
	thread string
	// changes is the sender's own changes Hash ("<stream>:by:<user>").
	changes string
	// file is the Hash of the file the message carries (else the
	// stream); files the stream's ZSet of stored files.
	file, files string

	// ARGV
	maxLen int64 // 1: "0" keeps everything
	topic  string
	// publish: 0 no, 1 PUBLISH, 2 SPUBLISH (a cluster).
	publish int
	// live is the live payload's fields, without channel_id.
	live string
	// retry is "" on a first try, else "seen first_ago last_ago": the
	// newest id the sender knew before its first try and how many ms ago
	// its first and last uncertain tries were.
	retry                  string
	user, text, ts, msgID  string
	channelID              string // "" to read it from hash; "@" for a direct conversation
	op, target, changeJSON string // what the entry changes ("", edit, delete, react, thread), of which message, its record
	// more are the entry's further field/value pairs (kind, ref, …, key, sig).
	more []any
}

func (a *sendArgs) keys() []string {
	return []string{a.stream, a.hash, a.state, a.thread, a.changes, a.file, a.files}
}

func (a *sendArgs) argv() []any {
	v := []any{a.maxLen, a.topic, strconv.Itoa(a.publish), a.live, a.retry, a.user, a.text, a.ts, a.msgID,
		a.channelID, a.op, a.target, a.changeJSON}
	return append(v, a.more...)
}
