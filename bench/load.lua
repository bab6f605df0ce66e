-- wrk script for Roster's benchmark phases (bench/__main__.py drives it).
-- Env: BENCH_PHASE, BENCH_TOKEN, BENCH_IDS (file, one id per line), BENCH_N, BENCH_PREFIX,
--      BENCH_GROUP, BENCH_ADMIN_TOKEN, BENCH_RUN, BENCH_STRIDE (threads, for *_each phases)
local phase = os.getenv("BENCH_PHASE")
local token = os.getenv("BENCH_TOKEN") or ""
local admin = os.getenv("BENCH_ADMIN_TOKEN") or ""
local n = tonumber(os.getenv("BENCH_N") or "1000")
local prefix = os.getenv("BENCH_PREFIX") or "seed-"
local group = os.getenv("BENCH_GROUP") or ""
local run = os.getenv("BENCH_RUN") or "0"
local stride = tonumber(os.getenv("BENCH_STRIDE") or "1")
local ids = {}
local threads = {}
local counter = 0
non2xx = 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  for line in io.lines(os.getenv("BENCH_IDS")) do ids[#ids + 1] = line end
  math.randomseed(os.time() + (tid or 0) * 7919)
end

local function scim(method, path, body)
  local headers = { ["Authorization"] = "Bearer " .. token, ["Accept"] = "application/scim+json" }
  if body then headers["Content-Type"] = "application/scim+json" end
  return wrk.format(method, "/scim/v2" .. path, headers, body)
end

local function gql(query, variables)
  local body = '{"query":"' .. query .. '","variables":' .. variables .. '}'
  return wrk.format("POST", "/graphql", {
    ["Authorization"] = "Bearer " .. admin, ["Content-Type"] = "application/json" }, body)
end

local USERS_PAGE = "query { users(first: 100) { totalCount nodes { id loginId externalId authProvider status "
  .. "createdAt updatedAt version firstName lastName email displayName title department "
  .. "employeeNumber locale timezone userType organization roles groups(first: 10) { nodes { id displayName } } } } }"
local ONE_USER = "query($id: ID!) { node(id: $id) { ... on User { id loginId firstName lastName email status } } }"

local DEACTIVATE = '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],'
  .. '"Operations":[{"op":"replace","value":{"active":false}}]}'

function request()
  local id = ids[math.random(#ids)]
  if phase == "get_by_id" then
    return scim("GET", "/Users/" .. id)
  elseif phase == "filter_eq" then
    local k = math.random(0, n - 1)
    return scim("GET", "/Users?filter=userName%20eq%20%22" .. prefix .. k .. "%40example.com%22")
  elseif phase == "list_first" then
    return scim("GET", "/Users?startIndex=1&count=100")
  elseif phase == "list_last" then
    return scim("GET", "/Users?startIndex=" .. math.max(1, n - 99) .. "&count=100")
  elseif phase == "patch_deactivate" then
    return scim("PATCH", "/Users/" .. id, DEACTIVATE)
  elseif phase == "patch_deactivate_each" then
    -- each id once, in turn across the threads (thread t takes ids t, t + stride, ...)
    counter = counter + 1
    local k = ((tid - 1) + (counter - 1) * stride) % #ids + 1
    return scim("PATCH", "/Users/" .. ids[k], DEACTIVATE)
  elseif phase == "group_get" then
    return scim("GET", "/Groups/" .. group .. "?excludedAttributes=members")
  elseif phase == "create" then
    counter = counter + 1
    local name = "bench-" .. run .. "-" .. tostring(tid) .. "-" .. counter .. "@example.com"
    -- as an IdP sends it: with an externalId (a create then looks for the IdP's deleted twin)
    return scim("POST", "/Users", '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"'
      .. name .. '","externalId":"ext-' .. name .. '","name":{"givenName":"B","familyName":"'
      .. counter .. '"},"emails":[{"value":"' .. name .. '","type":"work","primary":true}],"active":true}')
  elseif phase == "graphql_users_page" then
    return gql(USERS_PAGE, "{}")
  elseif phase == "graphql_user" then
    return gql(ONE_USER, '{"id":"' .. id .. '"}')
  end
  return scim("GET", "/ServiceProviderConfig")
end

function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end

function done(summary, latency, requests)
  local errors = 0
  for _, t in ipairs(threads) do errors = errors + (t:get("non2xx") or 0) end
  io.write(string.format('BENCH_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"non2xx":%d,"socket_errors":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), errors,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
