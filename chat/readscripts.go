package chat

// The programs that read a conversation (docs/DESIGN.md, "Structure"):
// each returns entries with, aligned, their shared state and their
// author's changes (see luaCommon's annotate), and last the keys it went
// on without because they held a value of the wrong type.

// readGuard starts a reader: a stream of the wrong type reads as empty,
// named in the reply (empty is the reply's shape with no entries).
const readGuard = `
local odd = {}
local stype = keytype(KEYS[1])
if stype ~= 'stream' and stype ~= 'none' then
  odd[1] = KEYS[1]
  return EMPTY(odd)
end
`

// pageScriptSource reads a page of a conversation's messages, newest
// first: the entries shown as lines (messages, not changes, not thread
// replies), the state and changes of each, and the messages the page's
// replies answer that lie outside it — in one call, however many changes
// lie between them.
//
//	KEYS: 1 stream, 2 state Hash
//	ARGV: 1 upper end ("+" or "(" id), 2 lines wanted, 3 entries to scan
//	      at most, 4 the longest value returned (see clip)
//
// It returns {entries, states, changes, quoted entries, 1 when older
// entries remain, the newest entry scanned ("" when none), odd keys, 1
// when no older entries remain but retention removed some (the send
// script marks the state Hash's "trimmed" field when it trims)}.
const pageScriptSource = `
local function EMPTY(odd) return {{}, {}, {}, {}, 0, '', odd, 0} end
` + readGuard + `
local hi, want, budget = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local out, scanned, top, more, replies = {}, 0, '', 0, false
while scanned < budget do
  local n = math.min(want + 20, budget - scanned)
  local batch = redis.call('XREVRANGE', KEYS[1], hi, '-', 'COUNT', n)
  if top == '' and batch[1] then top = batch[1][1] end
  for _, e in ipairs(batch) do
    if #out >= want then more = 1 break end
    scanned = scanned + 1
    local f = e[2]
    -- A message as rtchat writes it: its 5 fields (channel_id last),
    -- and the signature's 2 when signed.
    local shown = f[9] == 'channel_id' and (#f == 10 or (#f == 14 and f[11] == 'key'))
    if not shown then
      shown = true
      for j = 1, #f, 2 do
        if (f[j] == 'kind' and f[j + 1] ~= '' and f[j + 1] ~= 'action') or f[j] == 'thread' then shown = false
        elseif f[j] == 'reply' then replies = true end
      end
    end
    if shown then out[#out + 1] = e end
  end
  if more == 1 or #batch < n then break end
  hi = '(' .. batch[#batch][1]
  if scanned >= budget then more = 1 end
end
local seen = {}
for _, e in ipairs(out) do seen[e[1]] = true end
clip(out, tonumber(ARGV[4]))
local states, changes = annotate(KEYS, out, odd)
local quoted = {}
if replies then
  for _, e in ipairs(out) do
    local r = field(e, 'reply')
    if r and not seen[r] and #quoted < 50 then
      seen[r] = true
      local ok, q = pcall(redis.call, 'XRANGE', KEYS[1], r, r)
      if ok and q[1] then quoted[#quoted + 1] = clip(q, tonumber(ARGV[4]))[1] end
    end
  end
end
local trimmed = 0
if more == 0 then
  local ok, t = pcall(redis.call, 'HGET', KEYS[2], 'trimmed')
  if ok and t == '1' then trimmed = 1 end
end
return {out, states, changes, quoted, more, top, odd, trimmed}
`

// threadScriptSource reads a thread: its root and its newest replies,
// with their states and changes, in one call on the conversation's node.
//
//	KEYS: 1 stream, 2 state Hash, 3 the thread's stream
//	ARGV: 1 root id, 2 replies wanted, 3 the longest value returned
//
// It returns {root (as XRANGE gives it), replies (newest first), states,
// changes (the root's first, then the replies'), odd keys}.
const threadScriptSource = `
local function EMPTY(odd) return {{}, {}, {}, {}, odd} end
` + readGuard + `
local root = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
local replies = {}
local ttype = keytype(KEYS[3])
if ttype == 'stream' then
  replies = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', tonumber(ARGV[2]))
elseif ttype ~= 'none' then
  odd[#odd + 1] = KEYS[3]
end
clip(root, tonumber(ARGV[3]))
clip(replies, tonumber(ARGV[3]))
local all = {}
if root[1] then all[1] = root[1] end
for _, e in ipairs(replies) do all[#all + 1] = e end
local states, changes = annotate(KEYS, all, odd)
return {root, replies, states, changes, odd}
`

// aroundScriptSource reads the messages shown as lines around an id: up
// to n before it, the entry itself and up to n after, with their states
// and changes.
//
//	KEYS: 1 stream, 2 state Hash
//	ARGV: 1 id, 2 n, 3 entries to scan each way at most, 4 the longest
//	      value returned
//
// It returns {entries (oldest first), states, changes, odd keys}.
const aroundScriptSource = `
local function EMPTY(odd) return {{}, {}, {}, odd} end
` + readGuard + `
local function shown(e)
  local f = e[2]
  for i = 1, #f, 2 do
    if (f[i] == 'kind' and f[i + 1] ~= '' and f[i + 1] ~= 'action') or f[i] == 'thread' then return false end
  end
  return true
end
local n, scan, out = tonumber(ARGV[2]), tonumber(ARGV[3]), {}
local before = redis.call('XREVRANGE', KEYS[1], '(' .. ARGV[1], '-', 'COUNT', scan)
local b = {}
for _, e in ipairs(before) do
  if #b >= n then break end
  if shown(e) then b[#b + 1] = e end
end
for i = #b, 1, -1 do out[#out + 1] = b[i] end
for _, e in ipairs(redis.call('XRANGE', KEYS[1], ARGV[1], '+', 'COUNT', scan)) do
  if #out >= #b + n + 1 then break end
  if e[1] == ARGV[1] or shown(e) then out[#out + 1] = e end
end
clip(out, tonumber(ARGV[4]))
local states, changes = annotate(KEYS, out, odd)
return {out, states, changes, odd}
`

// searchScriptSource scans a stream backwards from a cursor and returns
// the entries that match a query (see Query): every term in the text
// (or a file's name), ASCII letters compared in lower case, and the
// filters.
//
//	KEYS: 1 stream, 2 state Hash
//	ARGV: 1 upper end of the scan ("+" or "(" id), 2 the terms (lower
//	      case, one a line), 3 hits wanted, 4 entries to scan at most, 5
//	      chunk size, 6 the longest value returned, 7 the author ("" for
//	      anyone), 8 lower end of the scan ("-" or an id), 9 flags: "l"
//	      has a link, "f" has a file, "t" is in a thread
//
// Only messages are searched (thread replies too; not edits, deletes,
// reactions). It returns {hits (entries as XREVRANGE gives them), id of
// the last entry scanned, 1 when the lower end was reached, entries
// scanned, the hits' states, their changes, odd keys}.
const searchScriptSource = `
local function EMPTY(odd) return {{}, '', 1, 0, {}, {}, odd} end
` + readGuard + `
local function finish(r)
  clip(r[1], tonumber(ARGV[6]))
  r[5], r[6] = annotate(KEYS, r[1], odd)
  r[7] = odd
  return r
end
local terms = {}
for t in string.gmatch(ARGV[2], '[^\n]+') do terms[#terms + 1] = t end
local from, lo, flags = ARGV[7], ARGV[8], ARGV[9]
local link, file, thread = string.find(flags, 'l', 1, true), string.find(flags, 'f', 1, true), string.find(flags, 't', 1, true)
local function matches(f)
  local text, user, fj, re, shown = nil, nil, nil, nil, true
  for i = 1, #f, 2 do
    local k = f[i]
    if k == 'text' then text = f[i + 1]
    elseif k == 'user' then user = f[i + 1]
    elseif k == 'file' then fj = f[i + 1]
    elseif k == 'thread' then re = f[i + 1]
    elseif k == 'kind' and f[i + 1] ~= '' and f[i + 1] ~= 'action' then shown = false end
  end
  if not shown or not text then return false end
  if (from ~= '' and user ~= from) or (file and not fj) or (thread and not re) then return false end
  if #terms == 0 and not link then return true end
  local hay = string.lower(text)
  if fj then hay = hay .. ' ' .. string.lower(string.match(fj, '"name":"(.-)"') or '') end
  for _, t in ipairs(terms) do
    if not string.find(hay, t, 1, true) then return false end
  end
  return not link or string.find(hay, 'http://', 1, true) or string.find(hay, 'https://', 1, true)
end
local want, budget, chunk = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local hi, hits, scanned, last = ARGV[1], {}, 0, ''
while scanned < budget do
  local n = math.min(chunk, budget - scanned)
  local batch = redis.call('XREVRANGE', KEYS[1], hi, lo, 'COUNT', n)
  for _, e in ipairs(batch) do
    scanned = scanned + 1
    last = e[1]
    if matches(e[2]) then hits[#hits + 1] = e end
    if #hits >= want then return finish({hits, last, 0, scanned}) end
  end
  if #batch < n then return finish({hits, last, 1, scanned}) end
  hi = '(' .. last
end
return finish({hits, last, 0, scanned})
`

// rangeScriptSource reads entries of a stream as XRANGE does, with
// values longer than a message may be emptied (see clip): catching up
// after entries another tool wrote costs what their count allows.
//
//	KEYS: 1 stream
//	ARGV: 1 start, 2 end, 3 count, 4 the longest value returned
//
// It returns {entries, odd keys}.
const rangeScriptSource = `
local function EMPTY(odd) return {{}, odd} end
` + readGuard + `
return {clip(redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[2], 'COUNT', tonumber(ARGV[3])), tonumber(ARGV[4])), odd}
`

// idsScriptSource reads the ids of a stream's entries as XRANGE takes
// them, without their fields: what settling a chain needs (see
// feed.settleLocked), at half the cost of the entries in Redis and none
// of their bytes on the wire.
//
//	KEYS: 1 stream
//	ARGV: 1 start, 2 count (at most 1000: an account calling it by hand
//	      holds Redis no longer than a client does)
//
// It returns {ids, odd keys}.
const idsScriptSource = `
local function EMPTY(odd) return {{}, odd} end
` + readGuard + `
local ids = {}
local count = math.max(1, math.min(tonumber(ARGV[2]) or 1, 1000))
for i, e in ipairs(redis.call('XRANGE', KEYS[1], ARGV[1], '+', 'COUNT', count)) do ids[i] = e[1] end
return {ids, odd}
`
